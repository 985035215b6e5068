#!/bin/bash
# run-cluster-bench.sh BUILD_DIR — token logins with the tokens in Redis
# ([cluster]) against the state-directory store (called by
# tests/bench/run-bench.sh; runs on its own too, or as BENCH_ONLY=cluster
# ./run bench).
#
# Two vncgated instances on the same bench backend and sasldb, which differ
# only in where link tokens live: [gateway] state-dir, or [cluster] redis=
# (a private redis-server on a Unix socket, no persistence). Each mints one
# reusable link through its control API; vncgate-login-storm then logs in
# through CONNECT /console/bench?token=… (SCRAM-SHA-256, through
# ServerInit) with BENCH_LOGIN_CLIENTS clients for BENCH_LOGIN_SECONDS. A
# token login costs the Redis store two round trips (check and reserve,
# then record the use) where the state directory rewrites tokens.json.
# The mean login latency is clients / rate. Prints both rows and their
# ratio; there is no target. Each figure is the median of BENCH_ROUNDS
# rounds (3), which alternate which daemon goes first.
#
# Environment: BENCH_LOGIN_SECONDS (5), BENCH_LOGIN_CLIENTS (4),
# BENCH_ROUNDS, BENCH_KEEP=1 (as in run-bench.sh).
set -euo pipefail

BUILD=$(cd "${1:?usage: run-cluster-bench.sh BUILD_DIR}" && pwd)
SECONDS_EACH=${BENCH_LOGIN_SECONDS:-5}
CLIENTS=${BENCH_LOGIN_CLIENTS:-4}

VNCGATED=$BUILD/daemon/vncgated
BENCH=$BUILD/tests/bench/vncgate-bench
BACKEND=$BUILD/tests/bench/vncgate-bench-backend
STORM=$BUILD/tests/bench/vncgate-login-storm

BENCH_PROG=run-cluster-bench
BENCH_LOGS='*.log'
CHECK_WIDTH=56
# shellcheck source=tests/bench/lib.sh
source "$(dirname "$0")/lib.sh"

require_exe "$VNCGATED" "$BENCH" "$BACKEND" "$STORM"
require_tool saslpasswd2 redis-server redis-cli curl

start_backend "$BACKEND"

note "starting redis-server"
REDIS_SOCK=$TMP/redis.sock
redis-server --port 0 --unixsocket "$REDIS_SOCK" --unixsocketperm 700 --dir "$TMP" \
  --save '' --appendonly no --logfile "$TMP/redis.log" &
PIDS+=($!)
for ((i = 0; i < 200; i++)); do
  [[ $(redis-cli -s "$REDIS_SOCK" PING 2>/dev/null) == PONG ]] && break
  sleep 0.05
done
[[ $(redis-cli -s "$REDIS_SOCK" PING 2>/dev/null) == PONG ]] || die "redis-server did not start"

make_sasldb scram-sha-256 bench bench

# start_gateway NAME EXTRA_SECTION: sets GW_PORT and GW_PID; the control
# socket is $TMP/NAME.sock. The logins come from one address, so the
# per-source handshake limit is raised.
start_gateway() {
  GW_PORT=$("$BENCH" free-port)
  write_gateway_conf "$1" "$GW_PORT" bench bench \
    "handshake-timeout=30
max-handshakes-per-source=256
state-dir=$TMP/$1-state" "min-ssf=0" "[control]
socket=$TMP/$1.sock

$2"
  start_vncgated "$1"
}

# mint NAME: a reusable link's token from NAME's control API.
mint() {
  local reply
  reply=$(curl -sS --max-time 10 --unix-socket "$TMP/$1.sock" -X POST \
    --data-binary '{"ttl": 3600, "one_time": false}' http://localhost/v1/consoles/bench/links)
  [[ $reply =~ token=([A-Za-z0-9_-]+) ]] || die "no link from $1: $reply"
  printf '%s' "${BASH_REMATCH[1]}"
}

start_gateway statedir ""
PORT_S=$GW_PORT
start_gateway redis "[cluster]
redis=unix:$REDIS_SOCK
node-name=bench"
PORT_R=$GW_PORT
TOKEN_S=$(mint statedir)
TOKEN_R=$(mint redis)

logins() {  # logins PORT LABEL TOKEN
  "$STORM" logins --port "$1" --label "$2" --clients "$CLIENTS" --seconds "$SECONDS_EACH" \
    --user bench --password "$PASSWORD" --connect "/console/bench?token=$3"
}
ALL_S="" ALL_R=""
for ((round = 1; round <= ROUNDS; round++)); do
  note "round $round/$ROUNDS: token logins/s ($CLIENTS clients, ${SECONDS_EACH}s), state directory and Redis"
  if ((round % 2)); then
    ALL_S+=$(logins "$PORT_S" statedir "$TOKEN_S")$'\n'
    ALL_R+=$(logins "$PORT_R" redis "$TOKEN_R")$'\n'
  else
    ALL_R+=$(logins "$PORT_R" redis "$TOKEN_R")$'\n'
    ALL_S+=$(logins "$PORT_S" statedir "$TOKEN_S")$'\n'
  fi
done
S=$(median_of "$ALL_S") R=$(median_of "$ALL_R")
mean_ms() { awk -v c="$CLIENTS" -v r="$1" 'BEGIN { if (r + 0 == 0) print "NA"; else printf "%.1f", 1000 * c / r }'; }

echo
echo "vncgate token-login benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(redis-server -v | awk '{print $3}')"
read -r LOAD_END _ </proc/loadavg
echo "1-min load average: $LOAD_START at the start, $LOAD_END at the end (from other work, it makes the figures noisy)"
echo "median of $ROUNDS rounds; CONNECT with a reusable link token, then SCRAM-SHA-256 through ServerInit, $CLIENTS concurrent clients, ${SECONDS_EACH}s"
FMT='%-34s %10s %14s %8s\n'
# shellcheck disable=SC2059
printf "$FMT" "token store" "logins/s" "mean latency" "failed"
for pair in "[gateway] state-dir|$S" "[cluster] Redis (Unix socket)|$R"; do
  IFS='|' read -r name v <<<"$pair"
  # shellcheck disable=SC2059
  printf "$FMT" "$name" "$(field "$v" logins_per_s)" "$(mean_ms "$(field "$v" logins_per_s)") ms" \
    "$(field "$v" failed)"
done
echo "  Redis / state directory: $(ratio "$(field "$R" logins_per_s)" "$(field "$S" logins_per_s)")x the login rate"
exit 0
