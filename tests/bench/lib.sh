# tests/bench/lib.sh — shell helpers shared by run-bench.sh and
# security/run-security-bench.sh (sourced, not run). The caller sets
# BENCH_PROG (its name for messages) and BENCH_LOGS (globs, relative to
# TMP, of the logs to show when it fails) before sourcing; afterwards it has TMP, PIDS, WAITER, the
# BENCH_* settings, process helpers and the report arithmetic.

BYTES=${BENCH_BYTES:-$((256 << 20))}
PINGS=${BENCH_PINGS:-10000}
PING_SIZE=${BENCH_PING_SIZE:-64}
ROUNDS=${BENCH_ROUNDS:-3}

die() { printf '%s: %s\n' "$BENCH_PROG" "$*" >&2; exit 1; }
note() { printf '\033[1m--> %s\033[0m\n' "$*" >&2; }

# require_exe FILE...: every bench program is built.
require_exe() {
  local exe
  for exe; do
    [[ -x $exe ]] || die "$exe is missing: run ./run build (with -Dtests=true) first"
  done
}

# require_tool NAME...: every tool is on PATH.
require_tool() {
  local tool
  for tool; do
    command -v "$tool" >/dev/null || die "$tool is not installed (./run deps installs it)"
  done
}

read -r LOAD_START _ </proc/loadavg
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vncgate-$BENCH_PROG.XXXXXX")
PIDS=()
WAITER=

stop_pid() {  # TERM, then KILL after a bounded wait
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317  # called by the EXIT trap
bench_cleanup() {
  local status=$? pid log
  [[ -n $WAITER ]] && kill "$WAITER" 2>/dev/null
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if ((status != 0)); then
    local pattern
    for pattern in $BENCH_LOGS; do
      for log in "$TMP"/$pattern; do
        [[ -s $log ]] || continue
        printf '\n--- %s (last lines) ---\n' "${log##*/}" >&2
        tail -n 15 "$log" >&2
      done
    done
  fi
  if [[ ${BENCH_KEEP:-} == 1 ]]; then
    note "kept $TMP"
  else
    rm -rf "$TMP"
  fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# Waits (bounded) until FILE is non-empty while PID lives.
wait_file() {
  local file=$1 pid=$2 what=$3 i
  for ((i = 0; i < 200; i++)); do
    [[ -s $file ]] && return 0
    kill -0 "$pid" 2>/dev/null || die "$what exited during startup"
    sleep 0.05
  done
  die "$what did not start within 10 s"
}

# start_backend BACKEND_EXE: the bench backend on a free port; sets BACKEND_PORT.
start_backend() {
  note "starting the bench backend"
  "$1" --port-file "$TMP/backend.port" >/dev/null 2>"$TMP/backend.log" &
  PIDS+=($!)
  wait_file "$TMP/backend.port" "$!" "the bench backend"
  BACKEND_PORT=$(<"$TMP/backend.port")
}

# make_sasldb MECHS REALM USER [USER...]: a private sasldb and Cyrus app
# config for app "vncgate" in $TMP/sasl (sets SASL_DIR); the first user's
# password is PASSWORD, the others get random ones nobody knows.
make_sasldb() {
  local mechs=$1 realm=$2 user
  shift 2
  SASL_DIR=$TMP/sasl
  mkdir -p "$SASL_DIR"
  printf 'mech_list: %s\nsasldb_path: %s/sasldb\n' "$mechs" "$SASL_DIR" >"$SASL_DIR/vncgate.conf"
  PASSWORD="bench-$RANDOM-$RANDOM"
  printf '%s' "$PASSWORD" | saslpasswd2 -p -a vncgate -c -f "$SASL_DIR/sasldb" -u "$realm" "$1"
  shift
  for user in "$@"; do
    printf '%s' "other-$RANDOM-$RANDOM" |
      saslpasswd2 -p -a vncgate -c -f "$SASL_DIR/sasldb" -u "$realm" "$user"
  done
}

# write_gateway_conf NAME PORT REALM USERS [GATEWAY_LINES] [SASL_LINES] [MORE]:
# $TMP/NAME.conf for one bench gateway on 127.0.0.1:PORT with the console
# "bench" (the bench backend) open to USERS; the optional arguments add
# lines to [gateway], to [sasl] and whole sections before the console.
write_gateway_conf() {
  cat >"$TMP/$1.conf" <<EOF
[gateway]
listen=127.0.0.1:$2
allowed-clients=127.0.0.0/8;::1
${5:-}

[sasl]
app-name=vncgate
realm=$3
${6:-}

${7:-}

[console:bench]
backend=127.0.0.1:$BACKEND_PORT
allowed-users=$4
EOF
}

# start_vncgated NAME: starts "$VNCGATED" --config "$TMP/NAME.conf" (log
# "$TMP/NAME.log", SASL_CONF_PATH="$SASL_DIR") with sd_notify readiness and
# waits, bounded, until it reported READY=1 and $GW_PORT accepts. Sets GW_PID.
start_vncgated() {
  local name=$1 sock=$TMP/$1.notify i
  "$BENCH" wait-notify "$sock" 15000 >/dev/null 2>"$TMP/$name-notify.log" &
  WAITER=$!
  for ((i = 0; i < 200; i++)); do
    [[ -S $sock ]] && break
    kill -0 "$WAITER" 2>/dev/null || die "the readiness listener for $name failed"
    sleep 0.05
  done
  [[ -S $sock ]] || die "the readiness socket $sock did not appear"
  NOTIFY_SOCKET=$sock SASL_CONF_PATH=$SASL_DIR \
    "$VNCGATED" --config "$TMP/$name.conf" 2>"$TMP/$name.log" &
  GW_PID=$!
  PIDS+=("$GW_PID")
  # The waiter gives up after 15 s; stop early if the daemon dies.
  while kill -0 "$WAITER" 2>/dev/null; do
    if ! kill -0 "$GW_PID" 2>/dev/null; then
      kill "$WAITER" 2>/dev/null || true
      die "vncgated ($name) exited during startup (see $name.log below)"
    fi
    sleep 0.05
  done
  wait "$WAITER" || die "vncgated ($name) did not report READY=1 (see $name.log below)"
  WAITER=
  "$BENCH" wait-tcp 127.0.0.1 "$GW_PORT" 5000 >/dev/null
}

# median_of LINES: one key=value line with the median of every numeric field.
median_of() {
  awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); k = kv[1]; v = kv[2]
        if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
        vals[k, ++cnt[k]] = v } }
    END {
      for (j = 1; j <= nk; j++) {
        k = order[j]; n = cnt[k]
        if (vals[k, 1] !~ /^[0-9.]+$/) { out = out k "=" vals[k, 1] " "; continue }
        for (a = 1; a <= n; a++) x[a] = vals[k, a] + 0
        for (a = 2; a <= n; a++) { t = x[a]; for (b = a - 1; b >= 1 && x[b] > t; b--) x[b + 1] = x[b]; x[b + 1] = t }
        m = n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
        out = out k "=" m " "
      }
      print out
    }' <<<"$1"
}

field() {  # field "k=v k=v" KEY
  local kv
  for kv in $1; do [[ ${kv%%=*} == "$2" ]] && { printf '%s' "${kv#*=}"; return; }; done
  printf 'NA'
}

# check LABEL VALUE OP TARGET UNIT: one target line; MISSED=1 when missed.
MISSED=0
CHECK_WIDTH=${CHECK_WIDTH:-52}
check() {
  local verdict
  if awk -v v="$2" -v t="$4" -v op="$3" \
      'BEGIN { exit !((op == ">=" && v + 0 >= t + 0) || (op == "<=" && v + 0 <= t + 0)) }'; then
    verdict=ok
  else
    verdict=MISSED
    MISSED=1
  fi
  printf "  %-${CHECK_WIDTH}s %9s %s   (target %s %s%s)  %s\n" "$1" "$2" "$5" "$3" "$4" "$5" "$verdict"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "NA"; else printf "%.2f", a / b }'; }
delta() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
