#!/bin/bash
# build-packages.sh OUTDIR: builds the vncgate .deb packages from this
# source tree with `dpkg-buildpackage -us -uc -b` and puts the .debs, the
# .changes and the .buildinfo into OUTDIR.
#
# dpkg-buildpackage wants ./debian at the source root, so the tree is staged
# in a temporary directory, with packaging/debian's packaging files (from
# the working tree) as debian/. Which tree, by VNCGATE_DEB_SOURCE:
#   worktree (default)  the working tree as meson sees it: tracked and
#                       untracked files with their current contents, minus
#                       what .gitignore names (build directories). On a
#                       clean clone (CI) this is the commit.
#   head                the committed tree (git archive HEAD): a build that
#                       uncommitted work in progress cannot break.
set -euo pipefail

out=${1:?usage: build-packages.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# CI runs as root on a clone another user may own: trust this tree.
git() { command git -c safe.directory="$root" "$@"; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

stage=$(mktemp -d "${TMPDIR:-/tmp}/vncgate-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
src=$stage/vncgate
mkdir -p "$src"

case ${VNCGATE_DEB_SOURCE:-worktree} in
  worktree)
    # -z keeps odd names intact; a file deleted but still in the index is
    # skipped.
    (cd "$root" && git ls-files -z --cached --others --exclude-standard \
      | while IFS= read -r -d '' f; do [[ -e $f || -L $f ]] && printf '%s\0' "$f"; done \
      | tar --null --no-recursion -cf - --files-from=- | tar -xf - -C "$src")
    ;;
  head) git -C "$root" archive --format=tar HEAD | tar -xf - -C "$src" ;;
  *) echo "VNCGATE_DEB_SOURCE must be worktree or head" >&2; exit 2 ;;
esac
rm -rf "$src/debian"

# packaging/debian (its untracked files too: it is the packaging being
# built) without the project's own files there (tests, meson, README).
mkdir "$src/debian"
(cd "$here" && git ls-files -z --cached --others --exclude-standard . \
  | while IFS= read -r -d '' f; do
      case $f in meson.build | README* | build-packages.sh | test-packages.sh) continue ;; esac
      [[ -e $f ]] && printf '%s\0' "$f"
    done \
  | tar --null --no-recursion -cf - --files-from=- | tar -xf - -C "$src/debian")
[[ -x $src/debian/rules ]] || { echo "no debian/rules staged from $here" >&2; exit 1; }

# The package version follows meson.build's project version.
meson_version=$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$src/meson.build" | head -n1)
deb_version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
if [[ ${deb_version%-*} != "$meson_version" ]]; then
  echo "packaging/debian/changelog has $deb_version, meson.build has $meson_version:" >&2
  echo "add a changelog entry (dch -v $meson_version-1)" >&2
  exit 1
fi

jobs=$(nproc 2>/dev/null || echo 1)
echo "building vncgate $deb_version in $src" >&2
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
  dpkg-buildpackage -us -uc -b)

shopt -s nullglob
files=("$stage"/*.deb "$stage"/*.changes "$stage"/*.buildinfo)
((${#files[@]})) || { echo "dpkg-buildpackage produced no packages" >&2; exit 1; }
mv -f "${files[@]}" "$out/"
ls -1 "$out" >&2
