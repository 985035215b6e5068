#!/bin/sh
# Cross-builds the Qt- and GLib-free Windows parts (link parser,
# launcher/windows) with mingw-w64 and runs their tests under wine, in a
# private build directory and wine prefix. Exit 77 (skip) when mingw-w64 or
# wine is missing.
#   usage: run_cross_tests.sh SOURCE_DIR CROSS_FILE
set -eu
src=$1
cross=$2
for tool in x86_64-w64-mingw32-g++-posix wine wineserver meson ninja; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool not installed" >&2
    exit 77
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/vncgate-wincross.XXXXXX")
. "$(dirname "$0")/wine_prefix.sh"
# Before meson: its cross sanity check already runs a program under wine.
wine_isolate "$work"
cleanup() {
  wine_stop  # only this prefix's wineserver
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

now() { date +%s; }
t0=$(now)
werror=false
if [ "${CI:-}" = true ]; then werror=true; fi
meson setup --cross-file "$cross" -Dwerror=$werror "$work/build" "$src" >"$work/setup.log" 2>&1 ||
  { cat "$work/setup.log"; exit 1; }
ninja -C "$work/build" >"$work/build.log" 2>&1 || { tail -50 "$work/build.log"; exit 1; }
t1=$(now)
wine_boot "$work/wineboot.log" || { cat "$work/wineboot.log"; exit 1; }
t2=$(now)
status=0
meson test -C "$work/build" --print-errorlogs --no-rebuild || status=$?
t3=$(now)
echo "cross build $((t1 - t0)) s, wine prefix $((t2 - t1)) s, tests under wine $((t3 - t2)) s"
exit $status
