#!/bin/sh
# check-unit.sh UNIT VNCGATED: the generated unit passes
#  1. systemd-analyze verify (no output about the unit at all);
#  2. systemd-analyze security with an overall exposure of at most 1.9.
#     The unit scores 1.7 ("OK") on systemd 252: what remains is what the
#     job needs (network access, the host's file system for mkvterm, other
#     users' groups for the control socket). 1.9 leaves room for scoring
#     differences but not for a lost safeguard: without User= the score is
#     2.0, without the system call filter 3.0;
#  3. the directives the packaging relies on (the dedicated user and the
#     directories systemd makes for it) are present, since some of them
#     (ProtectSystem=strict vs full) do not move the score.
# ExecStart names the installed daemon, which verify requires to exist, so
# a copy of the unit points it at the built one. Skips (77) when
# systemd-analyze is missing or does not work here.
set -eu
unit=$1
daemon=$(realpath "$2")
command -v systemd-analyze >/dev/null 2>&1 || { echo "no systemd-analyze: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Does verify work at all in this environment?
printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' >"$tmp/probe.service"
if ! systemd-analyze verify --man=no "$tmp/probe.service" >"$tmp/probe.log" 2>&1; then
  echo "systemd-analyze verify does not work here: skipped"
  cat "$tmp/probe.log"
  exit 77
fi
name=$(basename "$unit")
sed "s|^ExecStart=[^ ]*/vncgated |ExecStart=$daemon |" "$unit" >"$tmp/$name"
grep -q "^ExecStart=$daemon " "$tmp/$name" || { echo "ExecStart not found in $unit"; exit 1; }
out=$(systemd-analyze verify --man=no "$tmp/$name" 2>&1) || { echo "$out"; exit 1; }
# verify exits 0 on some warnings; any output about the unit is a failure.
if printf '%s\n' "$out" | grep -q "$name"; then echo "$out"; exit 1; fi
echo "$name: verify ok"

# --threshold counts in tenths: 19 = exposure 1.9.
threshold=19
if out=$(systemd-analyze security --offline=yes --threshold=$threshold "$tmp/$name" 2>&1); then
  printf '%s\n' "$out" | grep 'Overall exposure level'
else
  printf '%s\n' "$out"
  echo "$name: exposure above 1.9 (--threshold=$threshold)"
  exit 1
fi

status=0
for line in 'Type=notify' 'User=vncgate' 'Group=vncgate' 'StateDirectory=vncgate' \
    'RuntimeDirectory=vncgate' 'ConfigurationDirectory=vncgate' 'NoNewPrivileges=yes' \
    'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK'; do
  grep -qx "$line" "$unit" || { echo "$name: missing $line"; status=1; }
done
# Nothing in the unit may be left unsubstituted by meson.
if grep -n '@[a-z_]*@' "$unit"; then echo "$name: unsubstituted @variables@"; status=1; fi
[ $status = 0 ] && echo "$name: directives ok"
exit $status
