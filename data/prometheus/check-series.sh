#!/bin/sh
# check-series.sh VNCGATED PENDING RULES...: every series the rules name is
# one vncgated exports. It starts a real vncgated with a control socket on
# loopback, scrapes GET /metrics with curl, and compares:
#   vncgate_*            must be in the scrape (a sample, or a "# TYPE" line:
#                        a labelled counter has no sample before its first event)
#   name:with:colons     must be recorded by one of the rule files
#   up                   comes from Prometheus itself (allowed)
#   anything else that looks like a series (process_*, node_*) is refused:
#                        vncgated exports no process collector.
# PENDING lists series that other work is adding (one per line, # comments):
# allowed to be missing, and an error once exported, so the list cannot
# outlive the merge that makes it true.
set -eu
vncgated=$(realpath "$1")
pending=$2
shift 2
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
command -v curl >/dev/null || { echo "curl is needed (apt-get install curl)"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir "$tmp/sasl"
echo 'mech_list: digest-md5' >"$tmp/sasl/vncgate.conf"
cat >"$tmp/vncgated.conf" <<EOF
[gateway]
listen=127.0.0.1:$port

[control]
socket=$tmp/control.sock

[console:demo]
backend=127.0.0.1:5900
EOF
SASL_CONF_PATH=$tmp/sasl "$vncgated" --config "$tmp/vncgated.conf" >"$tmp/log" 2>&1 &
pid=$!
i=0
until grep -q ' ready, listening on 127.0.0.1:'"$port" "$tmp/log"; do
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/log"; echo "vncgated exited"; pid=; exit 1; }
  i=$((i + 1))
  [ $i -lt 200 ] || { cat "$tmp/log"; echo "vncgated not ready after 20 s"; exit 1; }
  sleep 0.1
done
curl -sS --fail --max-time 10 --unix-socket "$tmp/control.sock" http://localhost/metrics >"$tmp/metrics"
{
  sed -n 's/^# TYPE \([a-zA-Z_:][a-zA-Z0-9_:]*\) .*/\1/p' "$tmp/metrics"
  grep -v '^#' "$tmp/metrics" | sed 's/[{ ].*//'
} | LC_ALL=C sort -u >"$tmp/exported"
echo "vncgated exports $(wc -l <"$tmp/exported") series names"

# The PromQL of every expr: (one line, or a ">-" block), without quoted
# label values; and the names the files record.
awk '
  /^ *(- )?expr:/ { sub(/^ *(- )?expr: *(>-)? */, ""); print; inexpr = 1; next }
  /^ *(- )?[a-z_]+:/ { inexpr = 0 }
  inexpr { print }' "$@" | sed 's/"[^"]*"//g' >"$tmp/exprs"
sed -n 's/^ *- record: *//p' "$@" | LC_ALL=C sort -u >"$tmp/recorded"
grep -oE '[a-zA-Z_:][a-zA-Z0-9_:]*' "$tmp/exprs" | LC_ALL=C sort -u >"$tmp/names"
grep -v '^#' "$pending" | grep . | LC_ALL=C sort -u >"$tmp/pending" || true

status=0
while read -r name; do
  case $name in
    *:*)
      grep -qxF "$name" "$tmp/recorded" || { echo "$name: used but not recorded by the rules"; status=1; } ;;
    vncgate_*)
      if grep -qxF "$name" "$tmp/exported"; then
        if grep -qxF "$name" "$tmp/pending"; then
          echo "$name: exported now: remove it from $(basename "$pending")"
          status=1
        fi
      elif grep -qxF "$name" "$tmp/pending"; then
        echo "$name: not exported yet (pending)"
      else
        echo "$name: named by the rules, not exported by vncgated"
        status=1
      fi ;;
    up) ;;
    process_* | node_* | go_*)
      echo "$name: vncgated exports no $name (use the vncgate_* gauges)"
      status=1 ;;
  esac
done <"$tmp/names"
kill -TERM "$pid"
wait "$pid" || true
pid=
[ $status = 0 ] && echo "every series the rules name is exported or recorded"
exit $status
