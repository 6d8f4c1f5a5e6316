#!/bin/bash
# TLS 1.2 renegotiation (RFC 5746) against real peers, both directions: the system `openssl`
# command run once on keel's libssl.so.3 (LD_LIBRARY_PATH) against the same command on the system
# libssl, and gnutls-cli --rehandshake against keel. openssl s_server's "r" command renegotiates
# (SSL_renegotiate + SSL_do_handshake: a HelloRequest), s_client's "R" does (a new ClientHello).
# A renegotiation that ran shows in the peer's -msg trace as a second ClientHello and two more
# Finished messages, with application data going through afterwards both ways; a refused one as a
# no_renegotiation warning. OpenSSL 3.0's server refuses client-initiated renegotiation unless
# -client_renegotiation (SSL_OP_ALLOW_CLIENT_RENEGOTIATION).
. "$(dirname "$0")/lib.sh"

make_ca ca && make_cert ca srv p256 && make_cert ca cli p256 || { fail "cannot make certificates"; finish; }
SAN_RT=$(ldd "$KEEL_BUILD/libssl.so.3" | awk '/libasan|libtsan/ { print $3; exit }')
# on LIBDIR CMD...: CMD on that libssl ("" = the system's)
on() {
    local lib=$1
    shift
    if [ -n "$lib" ]; then
        env LD_PRELOAD="$SAN_RT" ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH="$lib" "$@"
    else
        "$@"
    fi
}
# script CMD WORD: the stdin of a peer: after the handshake, CMD (a command letter, or nothing),
# then a line WORD once the renegotiation is over, then silence until the peer is stopped.
script() {
    sleep 1.5
    [ -n "$1" ] && echo "$1"
    sleep 1.5
    echo "$2"
    sleep 2.5
}

# pair NAME SRV-LIB SRV-CMD CLI-LIB CLI-CMD [SERVER-ARGS...] -- [CLIENT-ARGS...]: one connection,
# $T/NAME.srv and $T/NAME.cli the two -msg traces.
pair() {
    local name=$1 slib=$2 scmd=$3 clib=$4 ccmd=$5 p sargs=() cargs=()
    shift 5
    while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    cargs=("$@")
    p=$(free_port)
    script "$scmd" server-after | on "$slib" timeout 12 openssl s_server -accept 127.0.0.1:$p -tls1_2 \
        -cert "$T/srv.pem" -key "$T/srv.key" -msg -naccept 1 "${sargs[@]}" >"$T/$name.srv" 2>&1 &
    local pid=$!
    BG_PIDS+=("$pid")
    wait_for "$T/$name.srv" '^ACCEPT' 5
    script "$ccmd" client-after | on "$clib" timeout 10 openssl s_client -connect 127.0.0.1:$p \
        -CAfile "$T/ca.pem" -msg "${cargs[@]}" >"$T/$name.cli" 2>&1
    wait "$pid" 2>/dev/null
}

count() { grep -cE "$2" "$1"; }

# renegotiated NAME: both traces show the second handshake and the data after it.
renegotiated() {
    local n=$1 ch fin
    ch=$(count "$T/$n.srv" '^<<< TLS 1\.[23], Handshake \[length [0-9a-f]+\], ClientHello$')
    fin=$(count "$T/$n.srv" 'Handshake \[length [0-9a-f]+\], Finished$')
    if [ "$ch" = 2 ] && [ "$fin" = 4 ] && grep -q '^client-after' "$T/$n.srv" && grep -q '^server-after' "$T/$n.cli"; then
        pass "$n: renegotiated (2 ClientHello, 4 Finished), data both ways after it"
    else
        fail "$n: not renegotiated ($ch ClientHello, $fin Finished)"
        show "$T/$n.srv" "$T/$n.cli"
    fi
}

# refused NAME WHO: WHO (srv / cli) sent the no_renegotiation warning and no second handshake ran.
refused() {
    local n=$1 who=$2
    local fin
    fin=$(count "$T/$n.srv" 'Handshake \[length [0-9a-f]+\], Finished$')
    if grep -qE '^>>> TLS 1.2, Alert \[length 0002\], warning no_renegotiation$' "$T/$n.$who" && [ "$fin" = 2 ]; then
        pass "$n: refused with a no_renegotiation warning from the $who"
    else
        fail "$n: not refused by the $who as expected ($fin Finished)"
        show "$T/$n.srv" "$T/$n.cli"
    fi
}

# server-initiated: a HelloRequest; the client answers with a ClientHello offering its session
pair sr.keelcli "" r "$KEEL_BUILD" ""
renegotiated sr.keelcli
pair sr.keelsrv "$KEEL_BUILD" r "" ""
renegotiated sr.keelsrv
grep -q '^<<< TLS 1.2, Handshake \[length 0004\], HelloRequest$' "$T/sr.keelsrv.cli" &&
    pass "sr.keelsrv: the system client read keel's HelloRequest" || fail "sr.keelsrv: no HelloRequest seen"
# ... declined by a client with -no_renegotiation (SSL_OP_NO_RENEGOTIATION): the server's
# OpenSSL ends the connection (handshake_failure) as RFC 5746 §4.2 allows
pair sr.keelcli_no "" r "$KEEL_BUILD" "" -- -no_renegotiation
refused sr.keelcli_no cli

# client-initiated: refused by default, run with -client_renegotiation
pair cr.keelcli "" "" "$KEEL_BUILD" R
refused cr.keelcli srv
grep -q 'no renegotiation' "$T/cr.keelcli.cli" && pass "cr.keelcli: keel's client reports no renegotiation" ||
    { fail "cr.keelcli: keel's client does not report the refusal"; show "$T/cr.keelcli.cli"; }
pair cr.keelcli_ok "" "" "$KEEL_BUILD" R -client_renegotiation
renegotiated cr.keelcli_ok
pair cr.keelsrv "$KEEL_BUILD" "" "" R
refused cr.keelsrv srv
pair cr.keelsrv_ok "$KEEL_BUILD" "" "" R -client_renegotiation
renegotiated cr.keelsrv_ok
pair cr.keelsrv_no "$KEEL_BUILD" "" "" R -client_renegotiation -no_renegotiation
refused cr.keelsrv_no srv
# both ends keel's
pair cr.keel "$KEEL_BUILD" "" "$KEEL_BUILD" R -client_renegotiation
renegotiated cr.keel

# s_server's "R": a renegotiation that asks for a client certificate (SSL_VERIFY_PEER), the
# common reason servers renegotiate (a full handshake: -no_resumption_on_reneg); the client
# presents one for the first time
pair cert.keelsrv "$KEEL_BUILD" R "" "" -CAfile "$T/ca.pem" -no_resumption_on_reneg -- -cert "$T/cli.pem" -key "$T/cli.key"
renegotiated cert.keelsrv
grep -qE '^<<< TLS 1.2, Handshake \[length [0-9a-f]+\], Certificate$' "$T/cert.keelsrv.srv" &&
    [ "$(count "$T/cert.keelsrv.srv" '^<<< TLS 1.2, Handshake \[length [0-9a-f]+\], Certificate$')" = 1 ] &&
    pass "cert.keelsrv: the client's certificate came in the renegotiation" ||
    { fail "cert.keelsrv: no client certificate in the renegotiation"; show "$T/cert.keelsrv.srv"; }
pair cert.keelcli "" R "$KEEL_BUILD" "" -CAfile "$T/ca.pem" -no_resumption_on_reneg -- -cert "$T/cli.pem" -key "$T/cli.key"
renegotiated cert.keelcli
grep -qE '^>>> TLS 1.2, Handshake \[length [0-9a-f]+\], CertificateVerify$' "$T/cert.keelcli.cli" &&
    pass "cert.keelcli: keel's client signed with its certificate in the renegotiation" ||
    { fail "cert.keelcli: no CertificateVerify from keel's client"; show "$T/cert.keelcli.cli"; }

# gnutls-cli --rehandshake: client-initiated from GnuTLS
if command -v gnutls-cli >/dev/null; then
    gt() {
        local name=$1
        shift
        local p
        p=$(free_port)
        (sleep 6) | on "$KEEL_BUILD" timeout 10 openssl s_server -accept 127.0.0.1:$p -tls1_2 \
            -cert "$T/srv.pem" -key "$T/srv.key" -msg -naccept 1 "$@" >"$T/$name.srv" 2>&1 &
        local pid=$!
        BG_PIDS+=("$pid")
        wait_for "$T/$name.srv" '^ACCEPT' 5
        (sleep 3) | timeout 8 gnutls-cli --rehandshake --x509cafile="$T/ca.pem" -p "$p" 127.0.0.1 \
            >"$T/$name.cli" 2>&1
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    }
    gt gnutls_ok -client_renegotiation
    if grep -q 'ReHandshake was completed' "$T/gnutls_ok.cli" &&
            [ "$(count "$T/gnutls_ok.srv" '^<<< TLS 1\.[23], Handshake \[length [0-9a-f]+\], ClientHello$')" = 2 ]; then
        pass "gnutls_ok: gnutls-cli --rehandshake completes against keel's server"
    else
        fail "gnutls_ok: the rehandshake did not complete"
        show "$T/gnutls_ok.cli" "$T/gnutls_ok.srv"
    fi
    gt gnutls_no
    if grep -qE '^>>> TLS 1.2, Alert \[length 0002\], warning no_renegotiation$' "$T/gnutls_no.srv" &&
            ! grep -q 'ReHandshake was completed' "$T/gnutls_no.cli"; then
        pass "gnutls_no: keel's server declines gnutls' rehandshake by default"
    else
        fail "gnutls_no: not declined"
        show "$T/gnutls_no.cli" "$T/gnutls_no.srv"
    fi
else
    echo "SKIP: gnutls-cli is not installed"
fi
finish
