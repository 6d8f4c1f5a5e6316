#!/bin/bash
# Shared helpers for the interop tests, sourced by the other scripts. Run by itself (ctest
# interop_lib) it checks its own certificate helpers and the retry of a peer whose port was taken,
# which every other script relies on.
# Environment: KEEL_BUILD (build directory holding `keel` and libssl.so.3), KEEL_SRC.
# Peers (openssl, gnutls-*, curl) run WITHOUT LD_LIBRARY_PATH: they use the system's libssl.
# Everything listens on 127.0.0.1 with ephemeral ports; every process is bounded by `timeout`.
set -u

: "${KEEL_BUILD:?KEEL_BUILD must name the build directory}"
KEEL_BUILD=$(cd "$KEEL_BUILD" && pwd)
KEEL="$KEEL_BUILD/keel"
unset LD_LIBRARY_PATH SSLKEYLOGFILE
export LC_ALL=C

if [ ! -x "$KEEL" ]; then
    echo "FAIL: $KEEL is not built"
    exit 1
fi
for tool in openssl timeout; do
    command -v $tool >/dev/null || { echo "FAIL: $tool is not installed"; exit 1; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/keel-interop.XXXXXX")
# A FIFO this shell holds open read-write: as a peer's stdin it never reaches EOF.
mkfifo "$T/hold.fifo"
exec 7<>"$T/hold.fifo"
BG_PIDS=()
FAILS=0
PASSES=0

cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${BG_PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT

pass() { PASSES=$((PASSES + 1)); echo "PASS: $*"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL: $*"; }
# show FILE...: print files indented (for failure diagnosis)
show() {
    local f
    for f in "$@"; do
        echo "  --- $f"
        sed -e 's/^/  | /' "$f" 2>/dev/null | head -40
    done
}
finish() {
    echo "== $(basename "$0"): $PASSES passed, $FAILS failed"
    [ "$FAILS" -eq 0 ]
    exit $?
}

# expect NAME FILE REGEX [extra files to show on failure]: pass when grep -E finds REGEX in FILE.
expect() {
    local name=$1 file=$2 re=$3
    shift 3
    if grep -Eq -- "$re" "$file" 2>/dev/null; then
        pass "$name"
    else
        fail "$name: /$re/ not in $(basename "$file")"
        show "$file" "$@"
    fi
}
# expect_not NAME FILE REGEX
expect_not() {
    local name=$1 file=$2 re=$3
    shift 3
    if grep -Eq -- "$re" "$file" 2>/dev/null; then
        fail "$name: /$re/ unexpectedly in $(basename "$file")"
        show "$file" "$@"
    else
        pass "$name"
    fi
}

# wait_for FILE REGEX [SECONDS]: 0 once REGEX appears in FILE, 1 on timeout.
wait_for() {
    local file=$1 re=$2 secs=${3:-5} i
    for ((i = 0; i < secs * 20; i++)); do
        grep -Eq -- "$re" "$file" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# hold_until FILE REGEX [SECONDS]: for stdin of a peer that must not see EOF too early —
# stays silent until REGEX appears in FILE (or the time is up), then exits (EOF).
hold_until() {
    wait_for "$@" || true
}

# ---- certificates ----

# genkey TYPE OUT: p256 | p384 | p521 | rsa2048 | rsapss (an RSA-PSS key, 2048 bits) | ed25519 | ed448
genkey() {
    case $1 in
    p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
    p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" ;;
    p521) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$2" ;;
    rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" ;;
    rsapss) openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out "$2" ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$2" ;;
    ed448) openssl genpkey -algorithm ED448 -out "$2" ;;
    *) echo "genkey: unknown type $1" >&2; return 1 ;;
    esac 2>>"$T/certs.log"
}

# make_ca NAME: $T/NAME.pem (self-signed, P-256) and $T/NAME.key
make_ca() {
    genkey p256 "$T/$1.key" &&
        openssl req -x509 -new -key "$T/$1.key" -out "$T/$1.pem" -days 3 -subj "/CN=keel test $1" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
            2>>"$T/certs.log"
}

# make_cert CA NAME TYPE [SAN] [DAYS]: $T/NAME.pem and $T/NAME.key signed by CA.
# SAN defaults to DNS:localhost,IP:127.0.0.1; DAYS "expired" makes a certificate valid only in 2020.
make_cert() {
    local ca=$1 name=$2 type=$3 san=${4:-DNS:localhost,IP:127.0.0.1} days=${5:-3}
    genkey "$type" "$T/$name.key" || return 1
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$san" >"$T/$name.ext"
    openssl req -new -key "$T/$name.key" -subj "/CN=$name" -out "$T/$name.csr" 2>>"$T/certs.log" || return 1
    if [ "$days" = expired ]; then
        # `openssl ca` is the only stock way to choose the validity dates.
        local d="$T/ca-$name"
        mkdir -p "$d"
        : >"$d/index.txt"
        printf 'default_ca=c\n[c]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\ndefault_md=sha256\npolicy=p\ncopy_extensions=none\n[p]\ncommonName=supplied\n' \
            "$d" "$d" "$d" >"$d/ca.cnf"
        echo 01 >"$d/serial"
        openssl ca -batch -config "$d/ca.cnf" -cert "$T/$ca.pem" -keyfile "$T/$ca.key" \
            -in "$T/$name.csr" -out "$T/$name.pem" -notext -extfile "$T/$name.ext" \
            -startdate 20200101000000Z -enddate 20200201000000Z >/dev/null 2>&1
    else
        openssl x509 -req -in "$T/$name.csr" -CA "$T/$ca.pem" -CAkey "$T/$ca.key" -CAcreateserial \
            -out "$T/$name.pem" -days "$days" -extfile "$T/$name.ext" 2>>"$T/certs.log"
    fi
}

# ---- servers ----
# Each start_* sets PORT and SRV_PID; output goes to $T/NAME.out (stdout+stderr for peers,
# stdout only for keel — its stderr goes to $T/NAME.err). stdin comes from $T/NAME.in when that
# file or fifo exists; otherwise keel's from /dev/null (keel s_server ignores EOF on stdin by
# default) and the peers' from the held FIFO (openssl s_server ends a connection at EOF on stdin).

# start_keel_server NAME ARGS...
start_keel_server() {
    local name=$1
    shift
    local in=/dev/null
    [ -e "$T/$name.in" ] && in="$T/$name.in"
    timeout 60 "$KEEL" s_server -accept 0 "$@" <"$in" >"$T/$name.out" 2>"$T/$name.err" &
    SRV_PID=$!
    BG_PIDS+=("$SRV_PID")
    if ! wait_for "$T/$name.out" '^ACCEPT [0-9]+' 10; then
        echo "keel s_server did not start" >&2
        show "$T/$name.out" "$T/$name.err" >&2
        PORT=0
        return 1
    fi
    PORT=$(awk '/^ACCEPT/{print $2; exit}' "$T/$name.out")
}

# free_port: a port nothing listens on right now (the caller retries if it is taken meanwhile),
# below the kernel's ephemeral range when it can: ports in that range are also the local ports of
# outgoing connections, which `ss -tln` does not list but bind() refuses (the server is retried).
free_port() {
    local p lo=0 hi n=40000
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
    [ "${lo:-0}" -gt 22000 ] && n=$((lo - 20000))
    while :; do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % n))
        if ! ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then
            echo $p
            return
        fi
    done
}

# _start_peer NAME READY_REGEX CMD... (CMD contains the literal word @PORT@; READY_REGEX "-":
# only wait for the port to be listening)
_start_peer() {
    local name=$1 ready=$2
    shift 2
    local p args a hold=
    # A FIFO as stdin is also held open here (read-write, so opening it cannot block) until a
    # server is up: an attempt that fails (its port was taken meanwhile, or is bound by a socket
    # that does not listen) must not be the FIFO's last reader, or the FIFO's writer dies of
    # SIGPIPE with only a pipe-full (64 KiB) written, and the next attempt gets that much, then
    # EOF. (The peers read their stdin only once a client has connected: no attempt consumes it.)
    [ -p "$T/$name.in" ] && exec {hold}<>"$T/$name.in"
    for _ in 1 2 3 4 5; do
        p=$(free_port)
        args=()
        for a in "$@"; do args+=("${a//@PORT@/$p}"); done
        if [ -n "$hold" ]; then
            timeout 60 "${args[@]}" <"$T/$name.in" {hold}<&- >"$T/$name.out" 2>&1 &
        elif [ -e "$T/$name.in" ]; then
            timeout 60 "${args[@]}" <"$T/$name.in" >"$T/$name.out" 2>&1 &
        else
            timeout 60 "${args[@]}" <&7 >"$T/$name.out" 2>&1 &
        fi
        SRV_PID=$!
        BG_PIDS+=("$SRV_PID")
        local i
        for ((i = 0; i < 200; i++)); do
            if { [ "$ready" = - ] || grep -Eq -- "$ready" "$T/$name.out" 2>/dev/null; } &&
                ss -Htln "sport = :$p" | grep -q .; then
                PORT=$p
                [ -z "$hold" ] || exec {hold}<&-
                return 0
            fi
            kill -0 "$SRV_PID" 2>/dev/null || break
            sleep 0.05
        done
        kill "$SRV_PID" 2>/dev/null
        wait "$SRV_PID" 2>/dev/null
    done
    [ -z "$hold" ] || exec {hold}<&-
    echo "$1 did not start" >&2
    show "$T/$name.out" >&2
    PORT=0
    return 1
}

# start_openssl_server NAME ARGS...  (openssl s_server -accept <port> -tls1_3 ARGS; with -quiet
# it prints no ACCEPT line, so readiness is the listening port)
start_openssl_server() {
    local name=$1 ready='^ACCEPT' a
    shift
    for a in "$@"; do [ "$a" = -quiet ] && ready=-; done
    _start_peer "$name" "$ready" openssl s_server -accept 127.0.0.1:@PORT@ -tls1_3 "$@"
}

# size_at_least FILE BYTES
size_at_least() { [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ]; }
# hold_until_size FILE BYTES [SECONDS]: like hold_until, on a file's size.
hold_until_size() {
    local i secs=${3:-20}
    for ((i = 0; i < secs * 20; i++)); do
        size_at_least "$1" "$2" && return 0
        sleep 0.05
    done
    return 0
}
# digits FILE BYTES: random ASCII digits (peers' interactive commands are letters).
digits() {
    head -c $(($2 * 3 / 2 + 4096)) /dev/urandom | od -An -tu1 -v | tr -dc 0-9 | head -c "$2" >"$1"
}

# start_gnutls_server NAME ARGS... (gnutls-serv has no bind-address option: it listens on all
# addresses; the clients use 127.0.0.1)
start_gnutls_server() {
    local name=$1
    shift
    _start_peer "$name" 'listening' gnutls-serv --port @PORT@ "$@"
}

# stop PID: end a server we started and collect it.
stop() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

# wait_exit PID [SECONDS]: the exit status of a server expected to finish on its own (-naccept);
# 124 when it had to be killed.
wait_exit() {
    local pid=$1 secs=${2:-10} i
    for ((i = 0; i < secs * 20; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return 124
    fi
    wait "$pid"
}

HTTP_GET=$'GET / HTTP/1.0\r\n\r\n'

# keel_client NAME ARGS...: keel s_client with stdin from $T/NAME.in (or an HTTP GET);
# stdout to $T/NAME.out, stderr to $T/NAME.err; returns its status.
keel_client() {
    local name=$1
    shift
    if [ -e "$T/$name.in" ]; then
        timeout 20 "$KEEL" s_client "$@" <"$T/$name.in" >"$T/$name.out" 2>"$T/$name.err"
    else
        printf '%s' "$HTTP_GET" | timeout 20 "$KEEL" s_client "$@" >"$T/$name.out" 2>"$T/$name.err"
    fi
}

# openssl_client NAME ARGS...: openssl s_client (system libssl), sends an HTTP GET and reads
# until the server closes; stdout+stderr to $T/NAME.out.
openssl_client() {
    local name=$1
    shift
    if [ -e "$T/$name.in" ]; then
        timeout 20 openssl s_client "$@" <"$T/$name.in" >"$T/$name.out" 2>&1
    else
        printf '%s' "$HTTP_GET" | timeout 20 openssl s_client -ign_eof "$@" >"$T/$name.out" 2>&1
    fi
}

# ---- self-check when run directly ----
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    make_ca ca && make_ca other
    for t in p256 p384 rsa2048 ed25519; do
        make_cert ca "srv-$t" "$t"
        if openssl verify -CAfile "$T/ca.pem" -verify_hostname localhost "$T/srv-$t.pem" >/dev/null 2>&1; then
            pass "make_cert $t verifies under its CA with host localhost"
        else
            fail "make_cert $t does not verify"
        fi
    done
    if openssl verify -CAfile "$T/other.pem" "$T/srv-p256.pem" >/dev/null 2>&1; then
        fail "a certificate verifies under an unrelated CA"
    else
        pass "an unrelated CA does not verify the certificate"
    fi
    make_cert ca old p256 DNS:localhost expired
    out=$(openssl verify -CAfile "$T/ca.pem" "$T/old.pem" 2>&1)
    case $out in
    *"certificate has expired"*) pass "expired certificate is expired" ;;
    *) fail "expired certificate: $out" ;;
    esac
    if "$KEEL" version | grep -q '^keel '; then pass "keel version"; else fail "keel version"; fi
    start_openssl_server probe -www -cert "$T/srv-p256.pem" -key "$T/srv-p256.key" -naccept 1 &&
        [ "$PORT" -gt 0 ] && pass "openssl s_server started on port $PORT" ||
        fail "openssl s_server did not start"
    # A server whose first port is taken is started again on another: its stdin, a FIFO fed 1 MiB,
    # must reach the second one whole (the first must not take the feeder down with it). The
    # port is bound by another socket without listening: `ss -tln` does not show it, as a busy
    # machine's outgoing connections' local ports, but bind() fails.
    if command -v python3 >/dev/null; then
        python3 -c 'import socket,time
s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1], flush=True); time.sleep(60)' >"$T/squat" &
        BG_PIDS+=($!)
        wait_for "$T/squat" '^[0-9]+$' 10
        squat=$(cat "$T/squat")
        eval "real_$(declare -f free_port)"
        # the first port offered is the bound one, then free ones (each call in its own subshell)
        free_port() { if [ -e "$T/squat.offered" ]; then real_free_port; else : >"$T/squat.offered"; echo "$squat"; fi; }
        digits "$T/B" 1048576
        mkfifo "$T/retry.srv.in"
        { cat "$T/B"; hold_until_size "$T/retry.out" 1048576 10; } >"$T/retry.srv.in" &
        start_openssl_server retry.srv -quiet -naccept 1 -cert "$T/srv-p256.pem" -key "$T/srv-p256.key"
        if [ -e "$T/squat.offered" ] && [ "$PORT" -gt 0 ] && [ "$PORT" != "$squat" ]; then
            pass "a server whose first port was taken started on another"
        else
            fail "retry: port $PORT (the bound one: $squat, offered: $([ -e "$T/squat.offered" ] && echo yes || echo no))"
        fi
        # (-quiet: it reads until the server closes, at the end of the server's stdin. It sends a
        # line: s_server may block in SSL_read once after the handshake, until data comes.)
        echo hello | timeout 20 openssl s_client -quiet -connect 127.0.0.1:$PORT >"$T/retry.out" 2>"$T/retry.err"
        wait_exit "$SRV_PID" 10
        cmp -s "$T/B" "$T/retry.out" && pass "retry: the server sent its whole stdin (1 MiB)" ||
            { fail "retry: the server sent $(stat -c %s "$T/retry.out") of 1048576 bytes"; show "$T/retry.err" "$T/retry.srv.out"; }
        free_port() { real_free_port; }
    else
        fail "python3 is not installed"
    fi
    finish
fi
