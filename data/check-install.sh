#!/bin/sh
# check-install.sh MESON BUILDDIR PATH...: "meson install --destdir" of the
# build puts each PATH (absolute, under the configured prefix) into the
# scratch DESTDIR. The package file lists (debian/*.install, the RPM %files)
# use wildcards and would not notice a file that stops being installed.
# Also checks that the installed unit starts the installed daemon.
set -eu
meson=$1
build=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$meson" install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet >"$tmp/log" 2>&1 \
  || { cat "$tmp/log"; echo "meson install failed"; exit 1; }
status=0
for path in "$@"; do
  if [ -e "$tmp/root$path" ]; then
    echo "ok       $path"
  else
    echo "MISSING  $path"
    status=1
  fi
done
unit=$(find "$tmp/root" -name vncgated.service | head -n 1)
daemon=$(printf '%s\n' "$@" | grep '/vncgated$' | head -n 1)
if [ -n "$unit" ] && ! grep -q "^ExecStart=$daemon " "$unit"; then
  echo "the unit does not start $daemon:"
  grep '^ExecStart=' "$unit"
  status=1
fi
exit $status
