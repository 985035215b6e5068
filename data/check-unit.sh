#!/bin/sh
# check-unit.sh UNIT VNCGATED: systemd-analyze verify on the generated unit.
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
echo "$name: ok"
