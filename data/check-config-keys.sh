#!/bin/sh
# check-config-keys.sh VNCGATED MAN-SCD EXAMPLE: the configuration keys are
# documented in exactly the places that must name them. The keys the parser
# accepts come from the parser itself (vncgated --list-config-keys), so a new
# key in daemon/config.cpp fails here until vncgated.conf(5) and the example
# file describe it, and a key either names that the parser refuses fails too.
# Console sections are compared as [console:NAME].
set -eu
vncgated=$1 man=$2 example=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$vncgated" --list-config-keys | LC_ALL=C sort -u >"$tmp/parser"
[ -s "$tmp/parser" ] || { echo "vncgated --list-config-keys printed nothing"; exit 1; }

# Man page: "# [section]" headings; a key entry is an unindented line
# "*key* = ..." (two keys may share a line: "*cert* = _PATH_, *key* = _PATH_").
# Anything after the next non-section heading (EXAMPLE, SEE ALSO) is not reference.
awk '
  /^# \[.*\]$/ { section = substr($0, 4, length($0) - 4); next }
  /^# / { section = ""; next }
  section != "" && /^\*[a-z]/ {
    line = $0
    while (match(line, /\*[a-z][a-z0-9-]*\* =/)) {
      print section, substr(line, RSTART + 1, RLENGTH - 4)
      line = substr(line, RSTART + RLENGTH)
    }
  }' "$man" | LC_ALL=C sort -u >"$tmp/man"

# Example file: "[section]" or "#[section]" headings, "key=" or "#key=" lines
# (commented keys are the ones whose default is unset).
awk '
  /^#?\[.*\]$/ {
    section = $0; sub(/^#?\[/, "", section); sub(/\]$/, "", section)
    if (section ~ /^console:/) section = "console:NAME"
    next
  }
  section != "" && /^#?[a-z][a-z0-9-]*=/ {
    key = $0; sub(/^#/, "", key); sub(/=.*/, "", key)
    print section, key
  }' "$example" | LC_ALL=C sort -u >"$tmp/example"

status=0
report() {  # report FILE-LABEL LIST-FILE MESSAGE
  if [ -s "$2" ]; then
    echo "$1: $3:"
    sed 's/^\([^ ]*\) /  [\1] /' "$2"
    status=1
  fi
}
for doc in man example; do
  label=$man
  [ $doc = example ] && label=$example
  LC_ALL=C comm -23 "$tmp/parser" "$tmp/$doc" >"$tmp/missing"
  LC_ALL=C comm -13 "$tmp/parser" "$tmp/$doc" >"$tmp/unknown"
  report "$label" "$tmp/missing" "keys the parser accepts but this file does not document"
  report "$label" "$tmp/unknown" "keys this file names but the parser refuses"
done
[ $status = 0 ] && echo "$(wc -l <"$tmp/parser") keys: documented in $(basename "$man") and $(basename "$example")"
exit $status
