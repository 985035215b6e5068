#!/bin/bash
# ./run demo: vncgated on loopback in front of a real VNC server (QEMU's
# SeaBIOS screen) and, through the fake mkvterm, a PowerVM-style vterm
# console; a demo SASL user; instructions to connect. Ctrl+C stops it all.
# DEMO_CHECK=1 makes it connect once with a gtk-vnc client and exit.
set -euo pipefail
BUILD=${1:?build dir}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(mktemp -d /tmp/vncgate-demo.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f $DIR/qemu.pid ]] && kill "$(cat "$DIR/qemu.pid")" 2>/dev/null || true
  [[ -x $ROOT/tests/fake/rmvterm ]] && FAKE_MKVTERM_DIR=$DIR/vterms "$ROOT/tests/fake/rmvterm" --id 7 >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }
pick_port() {  # preferred port, else the next free one above it
  local p=$1
  while ! port_free "$p"; do p=$((p + 1)); done
  echo "$p"
}
wait_port() {  # bounded wait until something listens on 127.0.0.1:$1
  for _ in $(seq 100); do ss -Hltn "sport = :$1" | grep -q . && return 0; sleep 0.05; done
  echo "nothing listens on port $1" >&2; return 1
}

GW=$(pick_port 5901)
CON=$(pick_port $((GW + 1)))
QP=$(pick_port 5990)
PASS=$(head -c 9 /dev/urandom | base64 | tr -d '/+=' | head -c 12)

echo "==> backend: QEMU (SeaBIOS screen) on 127.0.0.1:$QP"
qemu-system-x86_64 -nodefaults -machine pc,accel=tcg -m 64 -vga std -display none \
  -vnc "127.0.0.1:$((QP - 5900))" -monitor none -serial none \
  -pidfile "$DIR/qemu.pid" -daemonize
wait_port "$QP"

cat >"$DIR/vncgate.conf" <<CONF
mech_list: digest-md5 scram-sha-256
sasldb_path: $DIR/sasldb
CONF
echo -n "$PASS" | saslpasswd2 -p -a vncgate -c -f "$DIR/sasldb" -u demo demo

mkdir -p "$DIR/vterms"
cat >"$DIR/vncgated.conf" <<CONF
[gateway]
listen=127.0.0.1:$GW
allowed-clients=127.0.0.0/8;::1
idle-close=60
mkvterm=$ROOT/tests/fake/mkvterm
rmvterm=$ROOT/tests/fake/rmvterm
public-host=127.0.0.1

[control]
socket=$DIR/control.sock

[sasl]
realm=demo

[console:demo]
backend=127.0.0.1:$QP
port=$CON

[console:lpar7]
lpar-id=7
CONF

echo "==> starting vncgated"
SASL_CONF_PATH=$DIR FAKE_MKVTERM_DIR=$DIR/vterms "$BUILD/daemon/vncgated" --config "$DIR/vncgated.conf" \
  2> >(tee "$DIR/vncgated.log" >&2) &
PIDS+=($!)
wait_port "$GW"

# The project's own viewer and launcher exist only in a full build
# (./run build): ./run demo builds the daemon alone.
OWN_CLIENTS="  (./run build also builds the project's own viewer and launcher)"
if [[ -x $BUILD/launcher/viewer/vncgate-viewer ]]; then
  OWN_CLIENTS="    $BUILD/launcher/viewer/vncgate-viewer vncgate://127.0.0.1:$GW/console/demo"
fi
if [[ -x $BUILD/launcher/launcher/vncgate-launcher ]]; then
  OWN_CLIENTS+="
    $BUILD/launcher/launcher/vncgate-launcher vncgate://127.0.0.1:$GW/console/lpar7"
fi

cat <<INFO

  vncgate demo is running (config: $DIR/vncgated.conf)

  gateway        127.0.0.1:$GW   (HTTP CONNECT /console/demo or /console/lpar7, then RFB + SASL)
  console "demo" 127.0.0.1:$CON   (dedicated port: plain RFB + SASL, QEMU behind it)
  user           demo
  password       $PASS
  mechanisms     DIGEST-MD5 (SSF 128 security layer on plain TCP)

  Connect with a stock gtk-vnc client (asks for user and password):
    gvncviewer 127.0.0.1:$((CON - 5900))
    remote-viewer vnc://127.0.0.1:$CON
  or save a screenshot from a terminal:
    gvnccapture 127.0.0.1:$((CON - 5900)) console.png
  Or open the console link with the project's viewer (through the gateway port):
$OWN_CLIENTS

  Mint a one-time console link (control API, Unix socket):
    $BUILD/daemon/vncgatectl --socket $DIR/control.sock link demo --user demo
    $BUILD/daemon/vncgatectl --socket $DIR/control.sock sessions

  The log and, when a session ends, its audit record appear below
  (also in $DIR/vncgated.log).

  Press Ctrl+C to stop.
INFO

if [[ ${DEMO_CHECK:-} == 1 ]]; then
  echo "==> DEMO_CHECK: capturing the console through the gateway"
  (sleep 1; printf 'demo\n'; sleep 0.5; printf '%s\n' "$PASS"; sleep 5) |
    timeout 20 script -qc "gvnccapture 127.0.0.1:$((CON - 5900)) $DIR/console.png" /dev/null >/dev/null
  [[ -s $DIR/console.png ]] || { echo "DEMO_CHECK failed: no screenshot" >&2; exit 1; }
  cp "$DIR/console.png" "$BUILD/demo-console.png"
  echo "==> DEMO_CHECK: minting a console link with vncgatectl"
  LINK=$("$BUILD/daemon/vncgatectl" --socket "$DIR/control.sock" link demo --user demo)
  [[ $LINK == "vncgate://127.0.0.1:$GW/console/demo?token="* ]] ||
    { echo "DEMO_CHECK failed: vncgatectl link printed '$LINK'" >&2; exit 1; }
  echo "==> DEMO_CHECK: ok, console captured to $BUILD/demo-console.png, link minted"
  exit 0
fi
wait
