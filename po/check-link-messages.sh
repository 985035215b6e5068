#!/bin/sh
# check-link-messages.sh SOURCE_ROOT
# The launcher and viewer translate the link parser's filled-in messages by
# matching them against launcher/link_message.h's templates: every
# N_()-marked text with a "%s" in common/link must be listed there, or its
# translation would silently never be used.
set -u
root=$1
missing=0
templates=$(grep -ho 'N_("[^"]*%s[^"]*")' "$root"/common/link/*.cpp | sed 's/^N_(\(.*\))$/\1/' | sort -u)
[ -n "$templates" ] || { echo "no N_() template with %s found in common/link" >&2; exit 1; }
while IFS= read -r t; do
  if grep -qF -- "{$t," "$root/launcher/link_message.h"; then
    echo "ok: $t"
  else
    echo "MISSING in launcher/link_message.h: $t" >&2
    missing=$((missing + 1))
  fi
done <<EOF
$templates
EOF
[ "$missing" -eq 0 ]
