#!/bin/bash
# run-soak.sh BUILD_DIR — bounded hostile-load run (called by `./run soak`,
# not part of `./run test`). One vncgated with its defaults for admission
# (max-handshakes, per-source places, the pre-auth buffer budget), the
# bench backend behind it, and vncgate-soak mixing for SOAK_SECONDS
# (default 90, at most 150; the whole run stays under 3 minutes):
#   - 1,000 idle sockets from 8 addresses, reopened as they are closed
#   - 64 slowloris CONNECT lines (a byte a second) from 4 addresses
#   - 400 maximal (64 KiB) SASL fields held open from 25 addresses
#   - 4 clients guessing another account's password
#   - keep-alive spam on the control API's Unix socket (100 requests a
#     connection)
# beside SOAK_SESSIONS (default 50) legitimate users, each on its own
# address, logging in with DIGEST-MD5 and echoing 256 KiB per session
# through the SASL layer. Prints logins ok/failed with the p99 login time,
# bytes lost, and the daemon's RSS and descriptors before, at peak and after.
# Exit status 1 when a legitimate login failed or a byte was lost.
# Environment: SOAK_SECONDS, SOAK_SESSIONS, SOAK_HOSTILE=0 (a reference run
# without the hostile clients), BENCH_KEEP=1 (keep the directory and logs).
set -euo pipefail

BUILD=$(cd "${1:?usage: run-soak.sh BUILD_DIR}" && pwd)
SECONDS_OF_LOAD=${SOAK_SECONDS:-90}
SESSIONS=${SOAK_SESSIONS:-50}
HOSTILE=${SOAK_HOSTILE:-1}  # 0: the legitimate sessions alone, for reference

VNCGATED=$BUILD/daemon/vncgated
SOAK=$BUILD/tests/bench/vncgate-soak
BENCH=$BUILD/tests/bench/vncgate-bench
BACKEND=$BUILD/tests/bench/vncgate-bench-backend

BENCH_PROG=run-soak
BENCH_LOGS='*.log'
# shellcheck source=tests/bench/lib.sh
source "$(dirname "$0")/lib.sh"

require_exe "$VNCGATED" "$SOAK" "$BENCH" "$BACKEND"
require_tool saslpasswd2 timeout

# The load holds about 1,600 sockets at once.
need_fds=4096
if (($(ulimit -n) < need_fds)); then
  hard=$(ulimit -Hn)
  if [[ $hard != unlimited ]] && ((hard < need_fds)); then
    die "ulimit -n hard limit $hard is below the $need_fds descriptors the soak needs"
  fi
  ulimit -n "$need_fds"
fi

start_backend "$BACKEND"

make_sasldb 'digest-md5 scram-sha-256' soak soak guessed

GW_PORT=$("$BENCH" free-port)
CONTROL_SOCKET=$TMP/control.sock
write_gateway_conf vncgated "$GW_PORT" soak "soak;guessed" "state-dir=$TMP/state" "min-ssf=56" \
  "[control]"$'\n'"socket=$CONTROL_SOCKET"
mkdir -p "$TMP/state"

note "starting vncgated"
start_vncgated vncgated

note "soak: ${SECONDS_OF_LOAD} s of hostile load beside $SESSIONS legitimate sessions"
status=0
timeout --kill-after=5 $((SECONDS_OF_LOAD + 60)) \
  "$SOAK" --port "$GW_PORT" --pid "$GW_PID" --user soak --password "$PASSWORD" \
  --guessed-user guessed --seconds "$SECONDS_OF_LOAD" --sessions "$SESSIONS" \
  --control-socket "$CONTROL_SOCKET" --hostile "$HOSTILE" || status=$?
kill -0 "$GW_PID" 2>/dev/null || { echo "run-soak: vncgated died during the soak" >&2; status=1; }
printf '  daemon log: %s lines, %s "refused connection" lines, %s accept pauses\n' \
  "$(wc -l <"$TMP/vncgated.log")" "$(grep -c 'refused connection' "$TMP/vncgated.log" || true)" \
  "$(grep -c 'cannot accept connections' "$TMP/vncgated.log" || true)"
exit "$status"
