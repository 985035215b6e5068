#!/bin/bash
# run-security-bench.sh BUILD_DIR — vncgated's security-layer benchmark rows
# (called by tests/bench/run-bench.sh; runs on its own too).
#
# The bench backend (RFB None, then echo/sink/source) reached through:
#   direct               client ─► backend
#   vncgated no layer    client ─► vncgated (SCRAM-SHA-256, min-ssf 0, no layer) ─► backend
#   vncgated GSSAPI      client ─► vncgated (Kerberos security layer) ─► backend
#   vncgated X509SASL    client ═TLS═► vncgated (VeNCrypt 263, SCRAM inside TLS) ─► backend
#   X509SASL + GSSAPI    the same with GSSAPI inside TLS (SSF external, no second layer)
#   socat OPENSSL-LISTEN client ═TLS═► socat ─► backend   (RFB None inside TLS)
# The TLS rows use the same cipher (TLS 1.3, AES-256-GCM; the client forces
# it) and a CA made here with openssl. GSSAPI uses a private MIT KDC on a
# free loopback port (realm TEST.LOCAL) and a kinit'ed ticket cache.
# Bulk throughput each way (median of rounds, with the relay's and the
# client's CPU use as a share of one core), 64-byte round trips (one client
# alternating blocks between the paths), the single-core speed of GnuTLS's
# AES-GCM and of MIT Kerberos' enctypes, and the ratios against the targets
# (X509SASL >= 1.2x socat OPENSSL-LISTEN).
#
# Environment (shared with run-bench.sh): BENCH_BYTES (bulk bytes each way,
# default 256 MiB), BENCH_PINGS (10000), BENCH_PING_SIZE (64), BENCH_ROUNDS
# (3), BENCH_STRICT=1 (exit 1 when a target is missed), BENCH_KEEP=1 (keep
# the temporary directory); BENCH_CIPHERS=0 skips `gnutls-cli
# --benchmark-ciphers` (about 15 s).
set -euo pipefail

BUILD=$(cd "${1:?usage: run-security-bench.sh BUILD_DIR}" && pwd)

VNCGATED=$BUILD/daemon/vncgated
BENCH=$BUILD/tests/bench/vncgate-bench
BACKEND=$BUILD/tests/bench/vncgate-bench-backend
SECBENCH=$BUILD/tests/bench/security/vncgate-security-bench

BENCH_PROG=run-security-bench
BENCH_LOGS='*.log krb/*.log'
CHECK_WIDTH=56
# shellcheck source=tests/bench/lib.sh
source "$(dirname "$0")/../lib.sh"

require_exe "$VNCGATED" "$BENCH" "$BACKEND" "$SECBENCH"
# The Kerberos tools live in /usr/sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
require_tool socat openssl saslpasswd2 gnutls-cli krb5kdc kdb5_util kadmin.local kinit

# Runs a setup command with a time limit; its output goes to setup.log.
run() {
  timeout 30 "$@" >>"$TMP/setup.log" 2>&1 || die "'$*' failed (see setup.log below)"
}

# ---- bench backend --------------------------------------------------------------
start_backend "$BACKEND"

# ---- PKI: a CA and a server certificate for localhost (ECDSA P-256) --------------
note "making a CA and a server certificate"
PKI=$TMP/pki
mkdir -p "$PKI"
run openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=vncgate bench CA" -keyout "$PKI/ca.key" -out "$PKI/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
run openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=localhost" -keyout "$PKI/server.key" -out "$PKI/server.csr"
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
  "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$PKI/server.ext"
run openssl x509 -req -in "$PKI/server.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
  -CAcreateserial -days 2 -extfile "$PKI/server.ext" -out "$PKI/server.pem"
chmod 600 "$PKI"/*.key

# ---- Kerberos: a private MIT KDC (realm TEST.LOCAL) --------------------------------
KRB=$TMP/krb
mkdir -p "$KRB"
export KRB5_CONFIG=$KRB/krb5.conf KRB5_KDC_PROFILE=$KRB/kdc.conf KRB5CCNAME=FILE:$KRB/ccache
KRB_PASSWORD="krb-$RANDOM-$RANDOM"
write_krb_config() {
  cat >"$KRB5_CONFIG" <<EOF
[libdefaults]
    default_realm = TEST.LOCAL
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    ignore_acceptor_hostname = true
    udp_preference_limit = 1
[realms]
    TEST.LOCAL = {
        kdc = 127.0.0.1:$1
    }
[domain_realm]
    localhost = TEST.LOCAL
    127.0.0.1 = TEST.LOCAL
EOF
  cat >"$KRB5_KDC_PROFILE" <<EOF
[kdcdefaults]
    kdc_listen = 127.0.0.1:$1
    kdc_tcp_listen = 127.0.0.1:$1
[realms]
    TEST.LOCAL = {
        database_name = $KRB/principal
        key_stash_file = $KRB/stash
        acl_file = $KRB/kadm5.acl
        max_life = 1h
        max_renewable_life = 0
    }
[logging]
    kdc = FILE:$KRB/kdc.log
EOF
}
note "starting a Kerberos KDC"
: >"$KRB/kadm5.acl"
write_krb_config "$("$BENCH" free-port)"
run kdb5_util create -s -r TEST.LOCAL -P "master-$RANDOM-$RANDOM"
run kadmin.local -r TEST.LOCAL -q "addprinc -pw $KRB_PASSWORD bench@TEST.LOCAL"
run kadmin.local -r TEST.LOCAL -q "addprinc -randkey vnc/localhost@TEST.LOCAL"
run kadmin.local -r TEST.LOCAL -q "ktadd -k $KRB/vnc.keytab vnc/localhost@TEST.LOCAL"
# The port was free a moment ago; krb5kdc also binds its UDP twin. Take
# another port if it cannot start, then wait (bounded) for a kinit to work.
KDC_UP=0
for _ in 1 2 3; do
  krb5kdc -n -P "$KRB/kdc.pid" >"$KRB/krb5kdc.log" 2>&1 &
  KDC_PID=$!
  PIDS+=("$KDC_PID")
  deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    kill -0 "$KDC_PID" 2>/dev/null || break
    if printf '%s\n' "$KRB_PASSWORD" | timeout 5 kinit bench@TEST.LOCAL >"$KRB/kinit.log" 2>&1
    then
      KDC_UP=1
      break
    fi
    sleep 0.05
  done
  ((KDC_UP)) && break
  stop_pid "$KDC_PID"
  write_krb_config "$("$BENCH" free-port)"
done
((KDC_UP)) || die "krb5kdc did not answer kinit (see krb5kdc.log and kinit.log below)"

# ---- SASL: private config dir, sasldb (realm "bench") and the keytab ------------
SASL_DIR=$TMP/sasl
mkdir -p "$SASL_DIR"
printf 'mech_list: gssapi scram-sha-256\nsasldb_path: %s/sasldb\n' "$SASL_DIR" \
  >"$SASL_DIR/vncgate.conf"
PASSWORD="bench-$RANDOM-$RANDOM"
printf '%s' "$PASSWORD" | saslpasswd2 -p -a vncgate -c -f "$SASL_DIR/sasldb" -u bench bench

# ---- socat OPENSSL-LISTEN ----------------------------------------------------------
note "starting socat OPENSSL-LISTEN"
SOCAT_PORT=$("$BENCH" free-port)
socat "OPENSSL-LISTEN:$SOCAT_PORT,bind=127.0.0.1,cert=$PKI/server.pem,key=$PKI/server.key,verify=0,fork,reuseaddr" \
  "TCP:127.0.0.1:$BACKEND_PORT" 2>"$TMP/socat.log" &
SOCAT_PID=$!
PIDS+=("$SOCAT_PID")
"$BENCH" wait-tcp 127.0.0.1 "$SOCAT_PORT" 10000 >/dev/null

# ---- vncgated: TLS (x509-sasl), plain SASL and GSSAPI on one gateway port ----------
# min-ssf=0 lets the no-layer row log in with SCRAM on plain TCP; the
# GSSAPI client asks for SSF >= 56, so it always gets the Kerberos layer.
note "starting vncgated"
GW_PORT=$("$BENCH" free-port)
cat >"$TMP/vncgated.conf" <<EOF
[gateway]
listen=127.0.0.1:$GW_PORT
allowed-clients=127.0.0.0/8;::1
handshake-timeout=30
idle-close=300

[sasl]
app-name=vncgate
min-ssf=0
realm=bench
keytab=$KRB/vnc.keytab
replay-cache=none:
auth-failure-delay=1

[tls]
cert=$PKI/server.pem
key=$PKI/server.key
subtypes=x509-sasl
offer-plain-sasl=true

[console:bench]
backend=127.0.0.1:$BACKEND_PORT
allowed-users=bench;bench@TEST.LOCAL
EOF
start_vncgated vncgated

# ---- measurements ------------------------------------------------------------------
COMMON=(--user bench --password "$PASSWORD" --ca "$PKI/ca.pem" --tls-name localhost
  --server-fqdn localhost)
P_DIRECT="direct,none,$BACKEND_PORT"
P_PLAIN="plain,sasl,$GW_PORT,SCRAM-SHA-256,0,0,/console/bench"
P_GSSAPI="gssapi,sasl,$GW_PORT,GSSAPI,56,256,/console/bench"
P_TLS="tls,x509sasl,$GW_PORT,SCRAM-SHA-256,/console/bench"
P_TLSKRB="tls-gssapi,x509sasl,$GW_PORT,GSSAPI,/console/bench"
P_SOCAT="socat-tls,tls-none,$SOCAT_PORT"
bulk() {  # bulk PATH [relay options]
  local path=$1
  shift
  "$SECBENCH" run --path "$path" --bytes "$BYTES" "$@" "${COMMON[@]}"
}

ALL_DIRECT="" ALL_PLAIN="" ALL_GSSAPI="" ALL_TLS="" ALL_TLSKRB="" ALL_SOCAT=""
for ((round = 1; round <= ROUNDS; round++)); do
  note "throughput round $round/$ROUNDS: direct, no layer, GSSAPI, X509SASL (SCRAM, GSSAPI), socat OPENSSL-LISTEN"
  ALL_DIRECT+=$(bulk "$P_DIRECT")$'\n'
  ALL_PLAIN+=$(bulk "$P_PLAIN" --relay-pid "$GW_PID")$'\n'
  ALL_GSSAPI+=$(bulk "$P_GSSAPI" --relay-pid "$GW_PID")$'\n'
  ALL_TLS+=$(bulk "$P_TLS" --relay-pid "$GW_PID")$'\n'
  ALL_TLSKRB+=$(bulk "$P_TLSKRB" --relay-pid "$GW_PID")$'\n'
  ALL_SOCAT+=$(bulk "$P_SOCAT" --relay-pid "$SOCAT_PID" --relay-children 1)$'\n'
done
note "round trips: $PINGS per path in alternating blocks"
RTT=$("$SECBENCH" rtt --pings "$PINGS" --ping-size "$PING_SIZE" --blocks 20 "${COMMON[@]}" \
  --path "$P_DIRECT" --path "$P_PLAIN" --path "$P_GSSAPI" --path "$P_TLS" --path "$P_TLSKRB" \
  --path "$P_SOCAT")

note "single-core cipher speed (GnuTLS AES-GCM, MIT Kerberos enctypes)"
CIPHERS=$("$SECBENCH" cipher-speed --ms 1500)
GNUTLS_CLI=""
if [[ ${BENCH_CIPHERS:-1} != 0 ]]; then
  # gnutls-cli prints the AEAD section first; stop it after that section.
  GNUTLS_CLI=$(timeout 60 stdbuf -oL gnutls-cli --benchmark-ciphers 2>&1 |
    awk '/^Checking AEAD/ { on = 1; next } on && NF == 0 { exit } on' || true)
fi

# ---- report ------------------------------------------------------------------------
rtt_of() { grep "^label=$1 " <<<"$RTT" | sed 's/ \(mech\|ssf\|tls\)=[^ ]*//g'; }
R_DIRECT="$(rtt_of direct) $(median_of "$ALL_DIRECT")"
R_PLAIN="$(rtt_of plain) $(median_of "$ALL_PLAIN")"
R_GSSAPI="$(rtt_of gssapi) $(median_of "$ALL_GSSAPI")"
R_TLS="$(rtt_of tls) $(median_of "$ALL_TLS")"
R_TLSKRB="$(rtt_of tls-gssapi) $(median_of "$ALL_TLSKRB")"
R_SOCAT="$(rtt_of socat-tls) $(median_of "$ALL_SOCAT")"

pct() {  # a share of one core as a percentage, or "-"
  [[ $1 == NA ]] && { printf -- '-'; return; }
  awk -v v="$1" 'BEGIN { printf "%.0f%%", v * 100 }'
}
cipher_of() {  # "(TLS1.3)-(ECDHE-...)-(AES-256-GCM)" -> "TLS1.3 AES-256-GCM"
  local t=$1
  [[ $t == NA || $t == - ]] && { printf -- '-'; return; }
  t=${t//(/}
  t=${t//)/}
  printf '%s %s' "${t%%-*}" "$(grep -o 'AES-[0-9]*-GCM\|CHACHA20-POLY1305\|AES-[0-9]*-CCM' <<<"$t" | head -1)"
}

echo
echo "vncgate security-layer benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs"
read -r LOAD_END _ </proc/loadavg
echo "1-min load average: $LOAD_START at the start, $LOAD_END at the end (from other work, it makes the figures noisy)"
echo "throughput: median of $ROUNDS rounds of $((BYTES >> 20)) MiB each way (MB = 10^6 bytes);"
echo "CPU: relay / client CPU time during the transfer, each as a share of one core"
echo "round trips: $PINGS of $PING_SIZE bytes per path, paths alternating in 20 blocks"
FMT='%-24s %-13s %4s %-18s %8s %8s %9s %9s %7s %7s\n'
# shellcheck disable=SC2059
printf "$FMT" path mechanism SSF TLS "up MB/s" "dn MB/s" "CPU up" "CPU dn" "p50 µs" "p99 µs"
for r in "$R_DIRECT" "$R_PLAIN" "$R_GSSAPI" "$R_TLS" "$R_TLSKRB" "$R_SOCAT"; do
  case $(field "$r" label) in
    direct) name="direct" ;;
    plain) name="vncgated no layer" ;;
    gssapi) name="vncgated GSSAPI layer" ;;
    tls) name="vncgated X509SASL" ;;
    tls-gssapi) name="vncgated X509SASL+GSSAPI" ;;
    socat-tls) name="socat OPENSSL-LISTEN" ;;
  esac
  # shellcheck disable=SC2059
  printf "$FMT" "$name" "$(field "$r" mech)" "$(field "$r" ssf)" \
    "$(cipher_of "$(field "$r" tls)")" "$(field "$r" up_MBps)" "$(field "$r" down_MBps)" \
    "$(pct "$(field "$r" up_relay_cpu)")/$(pct "$(field "$r" up_client_cpu)")" \
    "$(pct "$(field "$r" down_relay_cpu)")/$(pct "$(field "$r" down_client_cpu)")" \
    "$(field "$r" rtt_p50_us)" "$(field "$r" rtt_p99_us)"
done
echo
echo "single-core encryption speed (the relay decrypts or encrypts every byte once)"
while read -r line; do
  [[ -n $line ]] || continue
  case $(field "$line" cipher) in
    AES-*) src="GnuTLS, vncgate-security-bench cipher-speed" ;;
    *) src="MIT krb5 libk5crypto (GSSAPI layer), vncgate-security-bench cipher-speed" ;;
  esac
  printf '  %-27s %8s MB/s  %6s-byte payloads  (%s)\n' "$(field "$line" cipher)" \
    "$(field "$line" MBps)" "$(field "$line" payload)" "$src"
done <<<"$CIPHERS"
if [[ -n $GNUTLS_CLI ]]; then
  while read -r line; do
    case $line in
      AES-*GCM*) printf '  %-27s %13s  %6s-byte payloads  (gnutls-cli --benchmark-ciphers)\n' \
        "${line%% *}" "${line#* }" 16384 ;;
    esac
  done <<<"$GNUTLS_CLI"
  grep -q 'AES-256-GCM' <<<"$GNUTLS_CLI" ||
    echo "  (gnutls-cli $(gnutls-cli --version 2>/dev/null | awk 'NR == 1 { print $2 }') lists no AES-256-GCM; the cipher-speed line stands for it)"
fi

echo
echo "ratios and targets"
info() { printf '  %-56s %9s %s\n' "$1" "$2" "$3"; }
AES256=$(field "$(grep '^cipher=AES-256-GCM ' <<<"$CIPHERS")" MBps)

check "throughput X509SASL / socat OPENSSL-LISTEN, client→backend" \
  "$(ratio "$(field "$R_TLS" up_MBps)" "$(field "$R_SOCAT" up_MBps)")" ">=" 1.2 "x"
check "throughput X509SASL / socat OPENSSL-LISTEN, backend→client" \
  "$(ratio "$(field "$R_TLS" down_MBps)" "$(field "$R_SOCAT" down_MBps)")" ">=" 1.2 "x"
info "throughput X509SASL / AES-256-GCM core speed, up" \
  "$(ratio "$(field "$R_TLS" up_MBps)" "$AES256")" "x"
info "throughput X509SASL / AES-256-GCM core speed, down" \
  "$(ratio "$(field "$R_TLS" down_MBps)" "$AES256")" "x"
info "throughput X509SASL / no layer, up" \
  "$(ratio "$(field "$R_TLS" up_MBps)" "$(field "$R_PLAIN" up_MBps)")" "x"
info "throughput X509SASL / no layer, down" \
  "$(ratio "$(field "$R_TLS" down_MBps)" "$(field "$R_PLAIN" down_MBps)")" "x"
info "added p50 round trip, X509SASL over socat OPENSSL-LISTEN" \
  "$(delta "$(field "$R_TLS" rtt_p50_us)" "$(field "$R_SOCAT" rtt_p50_us)")" "µs"
info "throughput GSSAPI layer / no layer (plain relay), up" \
  "$(ratio "$(field "$R_GSSAPI" up_MBps)" "$(field "$R_PLAIN" up_MBps)")" "x"
info "throughput GSSAPI layer / no layer (plain relay), down" \
  "$(ratio "$(field "$R_GSSAPI" down_MBps)" "$(field "$R_PLAIN" down_MBps)")" "x"
info "round trip p50 GSSAPI layer / no layer" \
  "$(ratio "$(field "$R_GSSAPI" rtt_p50_us)" "$(field "$R_PLAIN" rtt_p50_us)")" "x"
info "added p50 round trip, GSSAPI layer over no layer" \
  "$(delta "$(field "$R_GSSAPI" rtt_p50_us)" "$(field "$R_PLAIN" rtt_p50_us)")" "µs"
info "added p99 round trip, GSSAPI layer over no layer" \
  "$(delta "$(field "$R_GSSAPI" rtt_p99_us)" "$(field "$R_PLAIN" rtt_p99_us)")" "µs"
info "throughput X509SASL+GSSAPI / no layer, up" \
  "$(ratio "$(field "$R_TLSKRB" up_MBps)" "$(field "$R_PLAIN" up_MBps)")" "x"
info "throughput X509SASL+GSSAPI / no layer, down" \
  "$(ratio "$(field "$R_TLSKRB" down_MBps)" "$(field "$R_PLAIN" down_MBps)")" "x"
[[ $(field "$R_GSSAPI" ssf) == 256 ]] ||
  echo "  note: the GSSAPI layer negotiated SSF $(field "$R_GSSAPI" ssf), not 256"

if ((MISSED)) && [[ ${BENCH_STRICT:-} == 1 ]]; then
  exit 1
fi
exit 0
