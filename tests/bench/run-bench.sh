#!/bin/bash
# run-bench.sh BUILD_DIR — vncgated benchmark (called by `./run bench`).
#
# Measures, in one run, the same bench backend (RFB 3.8 None, then
# echo/sink/source) reached four ways:
#   direct          client ─► backend
#   socat           client ─► socat TCP relay ─► backend          (RFB None)
#   vncgated layer  client ─► vncgated (DIGEST-MD5, SSF 128: RC4) ─► backend
#   vncgated plain  client ─► vncgated (min-ssf 0, SCRAM-SHA-256, no layer) ─► backend
# Bulk throughput each way (median of rounds), 64-byte round trips (one
# client alternating blocks of pings between the paths), and vncgated's
# VmRSS growth per idle authenticated session, each on a freshly started
# daemon, and per closed login (complete logins that end: what a daemon that
# runs for months keeps from each; ~0 unless something leaks). Prints a
# table and the ratios against the targets.
#
# Environment: BENCH_BYTES (bulk bytes each way, default 256 MiB),
# BENCH_PINGS (default 10000), BENCH_PING_SIZE (64), BENCH_SESSIONS (1000),
# BENCH_ROUNDS (3; each throughput/latency figure is the median of the rounds),
# BENCH_LOGINS (closed logins measured per mechanism after 100 warm-up ones,
# default 300),
# BENCH_STRICT=1 (exit 1 when a target is missed), BENCH_KEEP=1 (keep the
# temporary directory with configs and logs), BENCH_ONLY=logins (only the
# SASL login rows of run-login-bench.sh, about two minutes), BENCH_ONLY=cluster
# (only the token-login rows of run-cluster-bench.sh, Redis against the
# state directory, about a minute).
# After this table come the SASL login rows (run-login-bench.sh, with its
# own BENCH_LOGIN_* / BENCH_STORM_* settings) and the TLS and Kerberos rows
# (security/run-security-bench.sh).
set -euo pipefail

BUILD=$(cd "${1:?usage: run-bench.sh BUILD_DIR}" && pwd)
if [[ ${BENCH_ONLY:-} == logins ]]; then
  exec "$(dirname "$0")/run-login-bench.sh" "$BUILD"
fi
if [[ ${BENCH_ONLY:-} == cluster ]]; then
  exec "$(dirname "$0")/run-cluster-bench.sh" "$BUILD"
fi
if [[ ${BENCH_ONLY:-} == web ]]; then
  exec "$(dirname "$0")/run-web-bench.sh" "$BUILD"
fi
SESSIONS=${BENCH_SESSIONS:-1000}

VNCGATED=$BUILD/daemon/vncgated
BENCH=$BUILD/tests/bench/vncgate-bench
BACKEND=$BUILD/tests/bench/vncgate-bench-backend

BENCH_PROG=run-bench
BENCH_LOGS='*.log'
# shellcheck source=tests/bench/lib.sh
source "$(dirname "$0")/lib.sh"

require_exe "$VNCGATED" "$BENCH" "$BACKEND"
require_tool socat saslpasswd2

# Each idle session holds a client socket here, two sockets in vncgated and
# one in the backend: make sure the descriptor limit allows it.
need_fds=$((2 * SESSIONS + 256))
if (($(ulimit -n) < need_fds)); then
  hard=$(ulimit -Hn)
  if [[ $hard != unlimited ]] && ((hard < need_fds)); then
    die "ulimit -n hard limit $hard is below the $need_fds descriptors $SESSIONS sessions need"
  fi
  ulimit -n "$need_fds"
fi

# ---- bench backend and socat ------------------------------------------------
start_backend "$BACKEND"

note "starting socat"
SOCAT_PORT=$("$BENCH" free-port)
socat "TCP-LISTEN:$SOCAT_PORT,bind=127.0.0.1,reuseaddr,fork" "TCP:127.0.0.1:$BACKEND_PORT" \
  2>"$TMP/socat.log" &
PIDS+=($!)
"$BENCH" wait-tcp 127.0.0.1 "$SOCAT_PORT" 10000 >/dev/null

# ---- SASL: private config dir and sasldb (realm "bench") --------------------
make_sasldb 'digest-md5 scram-sha-256' bench bench

# ---- vncgated instances ---------------------------------------------------------
# start_gateway NAME MIN_SSF: sets GW_PORT and GW_PID.
start_gateway() {
  local name=$1 min_ssf=$2
  GW_PORT=$("$BENCH" free-port)
  write_gateway_conf "$name" "$GW_PORT" bench bench \
    "handshake-timeout=30"$'\n'"idle-close=300"$'\n'"max-sessions=$((SESSIONS + 100))" \
    "min-ssf=$min_ssf"$'\n'"auth-failure-delay=1"
  start_vncgated "$name"
}

stop_gateway() {
  stop_pid "$1"
  local kept=() pid
  for pid in "${PIDS[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
  PIDS=("${kept[@]}")
}

RUN=(--bytes "$BYTES" --pings 0)
SASL_LAYER=(--connect /console/bench --auth sasl --user bench --password "$PASSWORD"
  --mech DIGEST-MD5 --min-ssf 56)
SASL_PLAIN=(--connect /console/bench --auth sasl --user bench --password "$PASSWORD"
  --mech SCRAM-SHA-256 --max-ssf 0)

# Throughput is measured in interleaved rounds and each figure is the median
# over the rounds, so one noisy moment on a small machine does not decide.
start_gateway layer 56
LAYER_PORT=$GW_PORT LAYER_PID=$GW_PID
start_gateway plain 0
PLAIN_PORT=$GW_PORT PLAIN_PID=$GW_PID
ALL_DIRECT="" ALL_SOCAT="" ALL_LAYER="" ALL_PLAIN=""
for ((round = 1; round <= ROUNDS; round++)); do
  note "throughput round $round/$ROUNDS: direct, socat, vncgated with the SASL layer, without"
  ALL_DIRECT+=$("$BENCH" run --port "$BACKEND_PORT" --label direct "${RUN[@]}")$'\n'
  ALL_SOCAT+=$("$BENCH" run --port "$SOCAT_PORT" --label socat "${RUN[@]}")$'\n'
  ALL_LAYER+=$("$BENCH" run --port "$LAYER_PORT" --label layer "${SASL_LAYER[@]}" "${RUN[@]}")$'\n'
  ALL_PLAIN+=$("$BENCH" run --port "$PLAIN_PORT" --label plain "${SASL_PLAIN[@]}" "${RUN[@]}")$'\n'
done
# Round trips: one client holds a session on every path and alternates
# blocks of pings between them, so all paths see the same conditions.
note "round trips: $PINGS per path in alternating blocks"
RTT=$("$BENCH" rtt --user bench --password "$PASSWORD" --pings "$PINGS" --ping-size "$PING_SIZE" \
  --blocks 20 --path "direct,$BACKEND_PORT,none" --path "socat,$SOCAT_PORT,none" \
  --path "layer,$LAYER_PORT,sasl,DIGEST-MD5,56,256,/console/bench" \
  --path "plain,$PLAIN_PORT,sasl,SCRAM-SHA-256,0,0,/console/bench")
stop_gateway "$LAYER_PID"
stop_gateway "$PLAIN_PID"

# Each path's line: its round-trip figures first (field() takes the first
# match), then the throughput medians.
rtt_of() { grep "^label=$1 " <<<"$RTT"; }
R_DIRECT="$(rtt_of direct) $(median_of "$ALL_DIRECT")"
R_SOCAT="$(rtt_of socat) $(median_of "$ALL_SOCAT")"
R_LAYER="$(rtt_of layer) $(median_of "$ALL_LAYER")"
R_PLAIN="$(rtt_of plain) $(median_of "$ALL_PLAIN")"

# Closed logins, on the idle-session daemons before they hold sessions: one
# login at a time, each closed after ServerInit.
LOGINS=${BENCH_LOGINS:-300}
LOGIN_RUN=(--count "$LOGINS" --warmup 100)

start_gateway rss-layer 56
note "measuring: $LOGINS closed logins with the SASL layer"
L_LAYER=$("$BENCH" logins --pid "$GW_PID" --port "$GW_PORT" --label layer "${SASL_LAYER[@]}" \
  "${LOGIN_RUN[@]}")
note "measuring: $SESSIONS idle sessions with the SASL layer"
S_LAYER=$("$BENCH" sessions --pid "$GW_PID" --port "$GW_PORT" --count "$SESSIONS" \
  --label layer "${SASL_LAYER[@]}")
stop_gateway "$GW_PID"

start_gateway rss-plain 0
note "measuring: $LOGINS closed logins without a layer"
L_PLAIN=$("$BENCH" logins --pid "$GW_PID" --port "$GW_PORT" --label plain "${SASL_PLAIN[@]}" \
  "${LOGIN_RUN[@]}")
note "measuring: $SESSIONS idle sessions without a layer"
S_PLAIN=$("$BENCH" sessions --pid "$GW_PID" --port "$GW_PORT" --count "$SESSIONS" \
  --label plain "${SASL_PLAIN[@]}")
stop_gateway "$GW_PID"

# ---- report ---------------------------------------------------------------------------

echo
echo "vncgate benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs"
read -r LOAD_END _ </proc/loadavg
echo "1-min load average: $LOAD_START at the start, $LOAD_END at the end (from other work, it makes the figures noisy)"
echo "throughput: median of $ROUNDS rounds of $((BYTES >> 20)) MiB each way (MB = 10^6 bytes)"
echo "round trips: $PINGS of $PING_SIZE bytes per path, paths alternating in 20 blocks"
printf '%-24s %-14s %4s %11s %11s %9s %9s\n' path mechanism SSF "up MB/s" "down MB/s" "p50 µs" "p99 µs"
for r in "$R_DIRECT" "$R_SOCAT" "$R_LAYER" "$R_PLAIN"; do
  case $(field "$r" label) in
    direct) name="direct" ;;
    socat) name="socat relay" ;;
    layer) name="vncgated SASL layer" ;;
    plain) name="vncgated no layer" ;;
  esac
  printf '%-24s %-14s %4s %11s %11s %9s %9s\n' "$name" "$(field "$r" mech)" "$(field "$r" ssf)" \
    "$(field "$r" up_MBps)" "$(field "$r" down_MBps)" "$(field "$r" rtt_p50_us)" \
    "$(field "$r" rtt_p99_us)"
done
echo
printf '%-24s %-14s %4s %9s %11s %11s %11s %11s\n' "idle sessions" mechanism SSF sessions \
  "RSS before" "RSS after" "KiB/session" "opened/s"
for s in "$S_LAYER" "$S_PLAIN"; do
  case $(field "$s" label) in layer) name="vncgated SASL layer" ;; *) name="vncgated no layer" ;; esac
  printf '%-24s %-14s %4s %9s %7s KiB %7s KiB %11s %11s\n' "$name" "$(field "$s" mech)" \
    "$(field "$s" ssf)" "$(field "$s" sessions)" "$(field "$s" rss_before_kib)" \
    "$(field "$s" rss_after_kib)" "$(field "$s" kib_per_session)" "$(field "$s" open_per_s)"
done

echo
printf '%-24s %-14s %4s %9s %11s %11s %11s %11s\n' "closed logins" mechanism SSF logins \
  "RSS before" "RSS after" "KiB/login" "logins/s"
for l in "$L_LAYER" "$L_PLAIN"; do
  case $(field "$l" label) in layer) name="vncgated SASL layer" ;; *) name="vncgated no layer" ;; esac
  printf '%-24s %-14s %4s %9s %7s KiB %7s KiB %11s %11s\n' "$name" "$(field "$l" mech)" \
    "$(field "$l" ssf)" "$(field "$l" logins)" "$(field "$l" rss_before_kib)" \
    "$(field "$l" rss_after_kib)" "$(field "$l" kib_per_login)" "$(field "$l" logins_per_s)"
done

echo
echo "ratios and targets"

check "throughput no layer / socat, client→backend" \
  "$(ratio "$(field "$R_PLAIN" up_MBps)" "$(field "$R_SOCAT" up_MBps)")" ">=" 1.5 "x"
check "throughput no layer / socat, backend→client" \
  "$(ratio "$(field "$R_PLAIN" down_MBps)" "$(field "$R_SOCAT" down_MBps)")" ">=" 1.5 "x"
for r in "$R_PLAIN" "$R_LAYER"; do
  name=$([[ $(field "$r" label) == plain ]] && echo "no layer" || echo "SASL layer")
  check "added p50 round trip over direct, $name" \
    "$(delta "$(field "$r" rtt_p50_us)" "$(field "$R_DIRECT" rtt_p50_us)")" "<=" 30 "µs"
  check "added p99 round trip over direct, $name" \
    "$(delta "$(field "$r" rtt_p99_us)" "$(field "$R_DIRECT" rtt_p99_us)")" "<=" 150 "µs"
done
check "idle session memory, SASL layer" "$(field "$S_LAYER" kib_per_session)" "<=" 32 "KiB"
check "idle session memory, no layer" "$(field "$S_PLAIN" kib_per_session)" "<=" 32 "KiB"
check "memory kept per closed login, SASL layer" "$(field "$L_LAYER" kib_per_login)" "<=" 1 "KiB"
check "memory kept per closed login, no layer" "$(field "$L_PLAIN" kib_per_login)" "<=" 1 "KiB"
echo "  (for reference: SASL layer / socat throughput $(ratio "$(field "$R_LAYER" up_MBps)" "$(field "$R_SOCAT" up_MBps)")x up, $(ratio "$(field "$R_LAYER" down_MBps)" "$(field "$R_SOCAT" down_MBps)")x down)"

"$(dirname "$0")/run-login-bench.sh" "$BUILD" || MISSED=1
"$(dirname "$0")/run-cluster-bench.sh" "$BUILD" || MISSED=1
"$(dirname "$0")/security/run-security-bench.sh" "$BUILD" || MISSED=1

if ((MISSED)) && [[ ${BENCH_STRICT:-} == 1 ]]; then
  exit 1
fi
exit 0
