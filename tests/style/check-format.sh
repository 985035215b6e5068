#!/bin/bash
# Fails when a tracked C++ file differs from .clang-format, naming each one
# and the command that fixes it. Outside a git checkout (a release tarball)
# there is nothing to compare against the tree's own list, so it skips.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v clang-format >/dev/null || { echo "clang-format is not installed"; exit 77; }
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "not a git checkout"; exit 77; }
bad=0
while IFS= read -r -d '' f; do
  if ! clang-format --dry-run --Werror "$f" 2>/dev/null; then
    echo "not formatted: $f"
    bad=1
  fi
done < <(git ls-files -z -- '*.cpp' '*.h')
if ((bad)); then
  echo "fix with: git ls-files -z -- '*.cpp' '*.h' | xargs -0 clang-format -i"
  exit 1
fi
echo "every tracked C++ file follows .clang-format"
