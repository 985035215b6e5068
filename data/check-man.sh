#!/bin/sh
# check-man.sh PAGE...: each man page renders without warnings.
set -eu
if command -v man >/dev/null 2>&1; then
  render() { LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$1"; }
elif command -v groff >/dev/null 2>&1; then
  render() { groff -man -ww -Tutf8 "$1"; }
else
  echo "neither man nor groff: skipped"
  exit 77
fi
status=0
for page in "$@"; do
  err=$(render "$page" 2>&1 >/dev/null) || { echo "$page: failed to render"; status=1; }
  if [ -n "$err" ]; then
    echo "$page: warnings:"
    echo "$err"
    status=1
  else
    echo "$page: ok"
  fi
done
exit $status
