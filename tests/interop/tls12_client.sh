#!/bin/bash
# The TLS 1.2 client against a scripted server (tls12_server.py), differentially: for each case
# the server's flight has one thing wrong (or unusual), and the system `openssl s_client` is run
# twice, on the system libssl and on keel's (LD_LIBRARY_PATH). Both must react alike: the same
# first error reason on the client's error queue, and the same records (a plaintext alert's level
# and description, or the flight the client went on with) seen by the server. OpenSSL 3.0's
# reactions are the reference, so no alert or reason is written down here; the "ok" and
# "hello_request" cases, which both clients must carry through their whole flight, show that a
# broken script cannot make every case agree vacuously.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 0; }
SERVER="$(dirname "$0")/tls12_server.py"
make_ca ca && make_cert ca srv p256 && make_cert ca rsa rsa2048 || { fail "cannot make certificates"; finish; }

if LD_LIBRARY_PATH="$KEEL_BUILD" ldd "$(command -v openssl)" | grep -q "libssl.so.3 => $KEEL_BUILD/"; then
    pass "openssl s_client with LD_LIBRARY_PATH loads keel's libssl.so.3"
else
    fail "openssl s_client with LD_LIBRARY_PATH does not load keel's libssl.so.3"
    finish
fi

# A sanitizer build of keel needs its runtime loaded first in a program not built with it (as in
# dropin.sh); leak checking off: the program's own allocations at exit are not keel's concern.
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

# run NAME LIBDIR CASE CLIENT-ARGS...: one connection; $T/NAME.srv (what the server saw) and
# $T/NAME.reason (the client's first SSL reason, without the function name).
run() {
    local name=$1 lib=$2 cs=$3
    shift 3
    _start_peer "$name.py" '^READY' python3 "$SERVER" @PORT@ "$cs" "$T/srv.pem" "$T/srv.key" "$T/rsa.pem" ||
        return 1
    local pid=$SRV_PID
    # stdin never ends (the held FIFO): the client stops when the server closes
    on "$lib" timeout 10 openssl s_client -connect 127.0.0.1:$PORT -CAfile "$T/ca.pem" \
        -servername localhost "$@" <&7 >"$T/$name.cli" 2>&1
    wait "$pid" 2>/dev/null
    grep -v '^READY' "$T/$name.py.out" | tr '\n' ' ' >"$T/$name.srv"
    grep -oE 'error:[0-9A-F]+:SSL routines:[^:]*:[^:]*' "$T/$name.cli" | head -1 |
        sed -E 's/^error:[0-9A-F]+:SSL routines:[^:]*://' >"$T/$name.reason"
}

# check CASE CLIENT-ARGS...
check() {
    local cs=$1
    shift
    local n="$cs${1:+-$(printf '%s\n' "$@" | grep -v / | tr -dc 'a-zA-Z0-9_')}"
    run "$n.sys" "" "$cs" "$@" && run "$n.keel" "$KEEL_BUILD" "$cs" "$@" || { fail "$n: a run did not start"; return; }
    local a b
    a="$(cat "$T/$n.sys.reason") | $(cat "$T/$n.sys.srv")"
    b="$(cat "$T/$n.keel.reason") | $(cat "$T/$n.keel.srv")"
    if [ "$a" = "$b" ] && grep -Eq '^(alert|record) ' "$T/$n.sys.srv"; then
        pass "$n: as OpenSSL: $a"
    else
        fail "$n: OpenSSL: $a; keel: $b"
    fi
}

# TLS 1.2 alone (-tls1_2) unless the case needs a client that can speak TLS 1.3 too
V12=-tls1_2
for cs in ok hello_request empty_cert rsa_cert no_reneg sid_too_long sh_cipher_13 sh_comp sh_tls11 \
    sh_alpn sh_key_share sh_ec_formats sh_ticket_nonempty sh_reneg_nonempty ske_curve_type \
    ske_bad_point ske_scheme_wrong_key ske_bad_sig ccs_early shd_nonempty cr_no_types warn_before_sh \
    warn_after_sh warn_norenego nst_short nst_trailing post_fin_plain post_ccs_bad post_ccs_mid \
    post_ccs_long; do
    check $cs $V12
done
check ske_group $V12 -groups X25519
check ske_scheme_not_offered $V12 -sigalgs ECDSA+SHA256
check sh_cipher_unoffered $V12 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
# a TLS 1.3-capable client: the downgrade sentinel, a 1.2 answer after a HelloRetryRequest, a 1.3
# extension in a 1.2 ServerHello that it did offer
check sentinel
check hrr_then_12
check sh_key_share
check ok

# resumption (RFC 5246 §7.4.1.3, RFC 7627 §5.3): a TLS 1.2 session with EMS from openssl s_server,
# offered by id; the scripted server echoes the id with another suite, or without EMS
_start_peer sess - openssl s_server -accept 127.0.0.1:@PORT@ -tls1_2 -no_ticket -cert "$T/srv.pem" \
    -key "$T/srv.key" -quiet
timeout 10 openssl s_client -connect 127.0.0.1:$PORT -CAfile "$T/ca.pem" -tls1_2 -sess_out "$T/sess.pem" \
    -cipher ECDHE-ECDSA-AES128-GCM-SHA256 </dev/null >"$T/sess.cli" 2>&1
expect "a TLS 1.2 session with EMS to offer" "$T/sess.cli" 'Extended master secret: yes'
stop "$SRV_PID"
check resume_cipher $V12 -sess_in "$T/sess.pem"
check resume_no_ems $V12 -sess_in "$T/sess.pem"

# RFC 5746 §4.2: a HelloRequest after the handshake (openssl s_server's "R" command) is declined
# with a no_renegotiation warning with -no_renegotiation (SSL_OP_NO_RENEGOTIATION); accepted
# renegotiations are tests/interop/reneg.sh's.
hello_request() {
    local name=$1 lib=$2 p
    shift 2
    p=$(free_port)
    (sleep 1.5; echo R; sleep 3) | timeout 10 openssl s_server -accept 127.0.0.1:$p -tls1_2 \
        -cert "$T/srv.pem" -key "$T/srv.key" -msg -naccept 1 >"$T/$name.srv" 2>&1 &
    local pid=$!
    BG_PIDS+=("$pid")
    wait_for "$T/$name.srv" '^ACCEPT' 5
    on "$lib" timeout 8 openssl s_client -connect 127.0.0.1:$p -CAfile "$T/ca.pem" "$@" \
        <&7 >"$T/$name.cli" 2>&1
    wait "$pid" 2>/dev/null
}
hello_request hr.sys "" -no_renegotiation
hello_request hr.keel "$KEEL_BUILD" -no_renegotiation
for n in sys keel; do
    # what the client sent after the HelloRequest: the warning first
    awk '/HelloRequest/ { on = 1; next } on && /^<<< / && !/RecordHeader/ { print; exit }' \
        "$T/hr.$n.srv" >"$T/hr.$n.next"
    expect "hr.$n: the client answers a HelloRequest after the handshake with a no_renegotiation warning" \
        "$T/hr.$n.next" '^<<< TLS 1.2, Alert \[length 0002\], warning no_renegotiation$' "$T/hr.$n.srv"
done

# RFC 5705 exporter (SSL_export_keying_material(3)): keel's client and openssl s_server derive the
# same bytes for the same TLS 1.2 connection, with and without EMS.
printf 'openssl_conf = oc\n[oc]\nssl_conf = sc\n[sc]\nsystem_default = sd\n[sd]\nOptions = -ExtendedMasterSecret\n' \
    >"$T/noems.cnf"
for ems in "" -no_ems; do
    srv=(openssl s_server -accept 127.0.0.1:@PORT@ -tls1_2 -naccept 1 -cert "$T/srv.pem" -key "$T/srv.key"
        -keymatexport EXPERIMENTAL-keel -keymatexportlen 40)
    if [ -n "$ems" ]; then # the server without EMS
        OPENSSL_CONF="$T/noems.cnf" _start_peer "ekm$ems" '^ACCEPT' "${srv[@]}"
    else
        _start_peer "ekm$ems" '^ACCEPT' "${srv[@]}"
    fi
    pid=$SRV_PID
    (sleep 1) | on "$KEEL_BUILD" timeout 8 openssl s_client -connect 127.0.0.1:$PORT -CAfile "$T/ca.pem" \
        -keymatexport EXPERIMENTAL-keel -keymatexportlen 40 >"$T/ekm$ems.cli" 2>&1
    wait "$pid" 2>/dev/null
    a=$(grep -E '^ +Keying material: [0-9A-F]{80}$' "$T/ekm$ems.cli")
    b=$(grep -E '^ +Keying material: [0-9A-F]{80}$' "$T/ekm$ems.out")
    want=yes
    [ -n "$ems" ] && want=no
    if grep -q '^New, TLSv1.2' "$T/ekm$ems.cli" && grep -q "Extended master secret: $want" "$T/ekm$ems.cli" &&
        [ -n "$a" ] && [ "$a" = "$b" ]; then
        pass "ekm$ems: keel's TLS 1.2 exporter output is openssl s_server's"
    else
        fail "ekm$ems: exporter outputs differ: keel '$a', openssl '$b'"
        show "$T/ekm$ems.cli" "$T/ekm$ems.out"
    fi
done

# the cases that must go through: both clients sent ClientKeyExchange, ChangeCipherSpec, Finished
for n in ok-tls1_2 hello_request-tls1_2 ok; do
    expect "$n: the client's whole flight" "$T/$n.keel.srv" '^record 22 37 record 20 1 record 22 40 '
done
finish
