#!/bin/sh
# check-po.sh MSGFMT CATALOG.po
# Passes when the catalog compiles with every msgfmt check (c-format and
# qt-format arguments, headers, matching newlines) and every message is
# translated: no fuzzy and no untranslated entry.
set -u
msgfmt=$1
po=$2
if ! stats=$("$msgfmt" --check --statistics --output-file=/dev/null "$po" 2>&1); then
  printf '%s\n' "$stats" >&2
  echo "$po: msgfmt --check failed" >&2
  exit 1
fi
printf '%s: %s\n' "$po" "$stats"
case $stats in
  *fuzzy* | *untranslated*)
    echo "$po: every message needs a translation (run ninja vncgate-update-po, then translate)" >&2
    exit 1
    ;;
esac
case $stats in
  *" translated message"*) exit 0 ;;
esac
echo "$po: no translated message" >&2
exit 1
