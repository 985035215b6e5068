#!/bin/sh
# check-doc-permissions.sh UNIT DOC [OTHER_DOC...]: the statement of the
# daemon's user, sandbox and directories in DOC (docs/operations.md, "User,
# sandbox and file permissions") says what UNIT (vncgated.service.in) does:
# the same User=, Group=, ProtectSystem=, StateDirectory=,
# RuntimeDirectory=, ConfigurationDirectory= and their modes. No DOC names
# advice the unit has made wrong (root, ProtectSystem=full, a root-only
# keytab or a tmpfiles line for the runtime directory with other owners).
set -eu
unit=$1
doc=$2
shift 2
status=0

value() { # the last KEY= line of the unit (systemd lets later ones win)
  sed -n "s/^$1=//p" "$unit" | tail -n 1
}

for key in User Group ProtectSystem StateDirectory RuntimeDirectory ConfigurationDirectory; do
  v=$(value "$key")
  if [ -z "$v" ]; then
    echo "$unit: no $key= line"
    status=1
  elif ! grep -qF "$key=$v" "$doc"; then
    echo "$doc does not say $key=$v (as $unit does)"
    status=1
  else
    echo "$key=$v: stated"
  fi
done

# Each directory's mode appears in its row of the table.
for kind in State Runtime Configuration; do
  dir=$(value "${kind}Directory")
  mode=$(value "${kind}DirectoryMode")
  [ -n "$mode" ] || continue
  row=$(grep -F "${kind}Directory=$dir" "$doc" | grep '^|' || true)
  if ! printf '%s\n' "$row" | grep -qF "$mode"; then
    echo "$doc: the ${kind}Directory=$dir row does not give mode $mode"
    status=1
  else
    echo "${kind}DirectoryMode=$mode: stated"
  fi
done

for f in "$doc" "$@"; do
  for stale in 'ProtectSystem=full' 'd /run/vncgate 0750 root' 'runs vncgated as root' \
    'root:root 0600 keytab' 'keytab should be `root:root'; do
    if grep -qF "$stale" "$f"; then
      echo "$f still says: $stale"
      status=1
    fi
  done
done
exit $status
