#!/bin/bash
# run-login-bench.sh BUILD_DIR — vncgated's SASL login rows (called by
# tests/bench/run-bench.sh; runs on its own too, or as BENCH_ONLY=logins
# ./run bench).
#
# Two vncgated instances on the same bench backend and sasldb, which differ
# only in [sasl] workers: 0 (every SASL step on the main loop) and unset
# (the default pool). For each:
#   SCRAM logins/s   vncgate-login-storm logins: BENCH_LOGIN_CLIENTS clients
#                    log in (SCRAM-SHA-256, through ServerInit) again and
#                    again for BENCH_LOGIN_SECONDS.
#   live relay RTT   vncgate-login-storm storm-rtt: one relayed session
#                    pings the backend every 2 ms, first alone, then while
#                    BENCH_STORM_RATE SCRAM logins/s (BENCH_STORM_KIND=login,
#                    or =start: unauthenticated first steps) run for
#                    BENCH_LOGIN_SECONDS.
# Prints the table and the targets: logins/s with workers >= 1.6x workers=0
# on 2 cores, and the live relay's p99 < 2 ms under the storm with workers.
#
# Each figure is the median of BENCH_ROUNDS rounds (3), which alternate
# which daemon goes first.
#
# Environment: BENCH_LOGIN_SECONDS (5), BENCH_LOGIN_CLIENTS (4),
# BENCH_STORM_RATE (100), BENCH_STORM_KIND (login), BENCH_ROUNDS,
# BENCH_STRICT=1, BENCH_KEEP=1 (as in run-bench.sh).
set -euo pipefail

BUILD=$(cd "${1:?usage: run-login-bench.sh BUILD_DIR}" && pwd)
SECONDS_EACH=${BENCH_LOGIN_SECONDS:-5}
CLIENTS=${BENCH_LOGIN_CLIENTS:-4}
STORM_RATE=${BENCH_STORM_RATE:-100}
STORM_KIND=${BENCH_STORM_KIND:-login}

VNCGATED=$BUILD/daemon/vncgated
BENCH=$BUILD/tests/bench/vncgate-bench
BACKEND=$BUILD/tests/bench/vncgate-bench-backend
STORM=$BUILD/tests/bench/vncgate-login-storm

BENCH_PROG=run-login-bench
BENCH_LOGS='*.log'
CHECK_WIDTH=56
# shellcheck source=tests/bench/lib.sh
source "$(dirname "$0")/lib.sh"

require_exe "$VNCGATED" "$BENCH" "$BACKEND" "$STORM"
require_tool saslpasswd2

start_backend "$BACKEND"

make_sasldb scram-sha-256 bench bench

# start_gateway NAME WORKERS_LINE: sets GW_PORT and GW_PID. The storm comes
# from one address, so the per-source handshake limit is raised.
start_gateway() {
  local name=$1 workers_line=$2
  GW_PORT=$("$BENCH" free-port)
  write_gateway_conf "$name" "$GW_PORT" bench bench \
    "handshake-timeout=30"$'\n'"max-handshakes-per-source=256" "min-ssf=0"$'\n'"$workers_line"
  start_vncgated "$name"
}

# Both daemons run side by side; the measurements alternate between them.
start_gateway workers0 "workers=0"
PORT0=$GW_PORT
start_gateway workers-default ""
PORTN=$GW_PORT
CONN=(--user bench --password "$PASSWORD" --connect /console/bench)

# Rounds alternate the order (0 first, then the default first, ...), and
# each figure is the median of the rounds: the machine's load drifts.
ALL_L0="" ALL_LN="" ALL_S0="" ALL_SN=""
logins() {  # logins PORT LABEL
  "$STORM" logins --port "$1" --label "$2" --clients "$CLIENTS" --seconds "$SECONDS_EACH" \
    "${CONN[@]}"
}
storm() {  # storm PORT LABEL
  "$STORM" storm-rtt --port "$1" --label "$2" --rate "$STORM_RATE" --kind "$STORM_KIND" \
    --seconds "$SECONDS_EACH" "${CONN[@]}"
}
for ((round = 1; round <= ROUNDS; round++)); do
  note "round $round/$ROUNDS: SCRAM logins/s ($CLIENTS clients, ${SECONDS_EACH}s), then a live relay during $STORM_RATE SCRAM ${STORM_KIND}s/s, each with workers=0 and the default"
  if ((round % 2)); then
    ALL_L0+=$(logins "$PORT0" workers0)$'\n'
    ALL_LN+=$(logins "$PORTN" workers)$'\n'
    ALL_S0+=$(storm "$PORT0" workers0)$'\n'
    ALL_SN+=$(storm "$PORTN" workers)$'\n'
  else
    ALL_LN+=$(logins "$PORTN" workers)$'\n'
    ALL_L0+=$(logins "$PORT0" workers0)$'\n'
    ALL_SN+=$(storm "$PORTN" workers)$'\n'
    ALL_S0+=$(storm "$PORT0" workers0)$'\n'
  fi
done
L0=$(median_of "$ALL_L0") LN=$(median_of "$ALL_LN")
S0=$(median_of "$ALL_S0") SN=$(median_of "$ALL_SN")

echo
echo "vncgate SASL login benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs"
read -r LOAD_END _ </proc/loadavg
echo "1-min load average: $LOAD_START at the start, $LOAD_END at the end (from other work, it makes the figures noisy)"
echo "median of $ROUNDS rounds; logins: SCRAM-SHA-256 through ServerInit, $CLIENTS concurrent clients, ${SECONDS_EACH}s"
echo "storm: $STORM_RATE SCRAM ${STORM_KIND}s/s for ${SECONDS_EACH}s; live relay pinged every 2 ms (64 bytes)"
FMT='%-28s %9s %11s %11s %11s %11s %11s\n'
# shellcheck disable=SC2059
printf "$FMT" "[sasl] workers" "logins/s" "storm /s" "idle p50 µs" "idle p99 µs" "storm p50" \
  "storm p99"
for pair in "0|$L0|$S0" "default ($(nproc) CPUs)|$LN|$SN"; do
  IFS='|' read -r name l s <<<"$pair"
  # shellcheck disable=SC2059
  printf "$FMT" "$name" "$(field "$l" logins_per_s)" "$(field "$s" storm_per_s)" \
    "$(field "$s" idle_p50_us)" "$(field "$s" idle_p99_us)" "$(field "$s" rtt_p50_us)" \
    "$(field "$s" rtt_p99_us)"
done
echo
echo "ratios and targets"
check "SCRAM logins/s, default workers / workers=0" \
  "$(ratio "$(field "$LN" logins_per_s)" "$(field "$L0" logins_per_s)")" ">=" 1.6 "x"
check "live relay p99 during the login storm, default workers" \
  "$(field "$SN" rtt_p99_us)" "<=" 2000 "µs"
echo "  (for reference: workers=0 storm p50 $(field "$S0" rtt_p50_us) µs, p99 $(field "$S0" rtt_p99_us) µs)"

if ((MISSED)) && [[ ${BENCH_STRICT:-} == 1 ]]; then
  exit 1
fi
exit 0
