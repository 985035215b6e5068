#!/bin/sh
# check-installed-config.sh VNCGATED VNCGATECTL CONF SASL_CONF_DIR: the
# vncgated.conf installed as /etc/vncgate/vncgated.conf passes
# --check-config with no consoles, and the daemon really starts with it:
# it listens, serves the control socket to vncgatectl, and stops cleanly on
# SIGTERM. The file's system paths (state-dir, control socket, port) are
# moved into a scratch directory and a free loopback port; the rest is the
# file as installed, with the installed Cyrus application config.
set -eu
vncgated=$(realpath "$1")
vncgatectl=$(realpath "$2")
conf=$3
sasl_dir=$(realpath "$4")
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

out=$("$vncgated" --check-config --config "$conf") || { echo "$out"; exit 1; }
echo "$out"
case $out in
  *"configuration OK (0 consoles)") ;;
  *) echo "the installed configuration should have no consoles"; exit 1 ;;
esac
grep -qx 'state-dir=/var/lib/vncgate' "$conf" || { echo "state-dir is not the unit's StateDirectory"; exit 1; }
grep -qx 'socket=/run/vncgate/control.sock' "$conf" || { echo "socket is not in the unit's RuntimeDirectory"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|^listen=.*|listen=127.0.0.1:$port|" \
    -e "s|^state-dir=.*|state-dir=$tmp/state|" \
    -e "s|^socket=.*|socket=$tmp/run/control.sock|" \
    -e "s|^group=.*|group=|" "$conf" >"$tmp/vncgated.conf"

SASL_CONF_PATH=$sasl_dir "$vncgated" --config "$tmp/vncgated.conf" >"$tmp/log" 2>&1 &
pid=$!
# Ready when the log says so (the control socket exists by then); bounded.
i=0
until grep -q ' ready, listening on 127.0.0.1:'"$port" "$tmp/log"; do
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/log"; echo "vncgated exited"; pid=; exit 1; }
  i=$((i + 1))
  [ $i -lt 200 ] || { cat "$tmp/log"; echo "vncgated not ready after 20 s"; exit 1; }
  sleep 0.1
done
[ -S "$tmp/run/control.sock" ] || { echo "no control socket"; exit 1; }
mode=$(stat -c %a "$tmp/run/control.sock")
[ "$mode" = 660 ] || { echo "control socket mode $mode, expected 660"; exit 1; }
"$vncgatectl" --socket "$tmp/run/control.sock" --json consoles >"$tmp/consoles" \
  || { cat "$tmp/log"; echo "vncgatectl consoles failed"; exit 1; }
echo "consoles: $(cat "$tmp/consoles")"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
cat "$tmp/log"
[ $status = 0 ] || { echo "vncgated exited with $status after SIGTERM"; exit 1; }
if grep -q ': error: ' "$tmp/log"; then echo "errors in the log"; exit 1; fi
[ ! -e "$tmp/run/control.sock" ] || { echo "control socket left behind"; exit 1; }
echo "installed configuration: ok"
