#!/bin/bash
# Handshakes that must fail, keel against OpenSSL both ways: unknown CA, wrong host name, expired
# certificate, no shared cipher suite, no shared group. keel must fail with the right reason, and
# the alert must be the one OpenSSL itself sends in the same situation: each case is first run
# openssl <-> openssl to learn that alert, then with keel on one side.
. "$(dirname "$0")/lib.sh"

make_ca ca && make_ca other || { fail "cannot make the CAs"; finish; }
make_cert ca srv p256 && make_cert ca old p256 DNS:localhost,IP:127.0.0.1 expired ||
    { fail "cannot make the certificates"; finish; }

alert_num() { grep -oE 'SSL alert number [0-9]+' "$1" 2>/dev/null | head -n1 | grep -oE '[0-9]+$'; }
alert_text() { grep -oE '(sslv3|tlsv1|tlsv13) alert [a-z ]+' "$1" 2>/dev/null | head -n1 | sed 's/ *$//'; }

# same NAME WHAT GOT WANT: pass when both are non-empty and equal.
same() {
    if [ -n "$4" ] && [ "$3" = "$4" ]; then
        pass "$1: $2 ($3)"
    else
        fail "$1: $2: keel case '$3', openssl case '$4'"
    fi
}

# ---- keel s_client -> openssl s_server ----
# k2o NAME "SERVER ARGS" "OPENSSL CLIENT ARGS" "KEEL CLIENT ARGS" KEEL_STDERR_REGEX
# The reference run learns the alert of openssl <-> openssl; with keel as the client, the alert
# must be the same whichever side sends it.
k2o() {
    local n=$1 sargs=$2 oargs=$3 kargs=$4 re=$5
    # shellcheck disable=SC2086
    start_openssl_server $n.ref.srv -naccept 1 $sargs
    # shellcheck disable=SC2086
    openssl_client $n.ref -connect 127.0.0.1:$PORT $oargs
    wait_exit "$SRV_PID" 5
    # shellcheck disable=SC2086
    start_openssl_server $n.srv -naccept 1 $sargs
    # shellcheck disable=SC2086
    if keel_client $n -connect 127.0.0.1:$PORT $kargs; then
        fail "$n: keel s_client succeeded"
    else
        pass "$n: keel s_client failed"
    fi
    wait_exit "$SRV_PID" 5
    expect "$n: keel's reason" "$T/$n.err" "$re"
    local want got
    want=$(alert_num "$T/$n.ref.srv.out")
    if [ -n "$want" ]; then
        # openssl s_client gave up: openssl s_server must see the same alert from keel.
        got=$(alert_num "$T/$n.srv.out")
        same "$n" "alert number openssl s_server received" "$got" "$want"
    else
        # openssl s_server refused: keel must report the alert openssl s_client reports.
        want=$(alert_text "$T/$n.ref.out")
        got=$(alert_text "$T/$n.err")
        same "$n" "alert keel received" "$got" "$want"
    fi
}

CERT="-cert $T/srv.pem -key $T/srv.key"
OV="-verify_return_error -servername localhost"

k2o k2o-unknown-ca "-www $CERT" "$OV -CAfile $T/other.pem" \
    "-servername localhost -CAfile $T/other.pem" 'certificate verify failed'
expect "k2o-unknown-ca: verify code" "$T/k2o-unknown-ca.err" 'Verify return code: 20 '

k2o k2o-wrong-host "-www $CERT" "$OV -CAfile $T/ca.pem -verify_hostname wrong.example" \
    "-servername localhost -verify_hostname wrong.example -CAfile $T/ca.pem" 'certificate verify failed'
expect "k2o-wrong-host: verify code" "$T/k2o-wrong-host.err" 'Verify return code: 62 \(hostname mismatch\)'

k2o k2o-expired "-www -cert $T/old.pem -key $T/old.key" "$OV -CAfile $T/ca.pem" \
    "-servername localhost -CAfile $T/ca.pem" 'certificate verify failed'
expect "k2o-expired: verify code" "$T/k2o-expired.err" 'Verify return code: 10 \(certificate has expired\)'

# No shared suite / group: openssl s_server refuses, keel must report the alert it received.
k2o k2o-no-cipher "-www $CERT -ciphersuites TLS_AES_256_GCM_SHA384" \
    "-CAfile $T/ca.pem -ciphersuites TLS_AES_128_GCM_SHA256" \
    "-CAfile $T/ca.pem -servername localhost -ciphersuites TLS_AES_128_GCM_SHA256" 'alert handshake failure'
expect "k2o-no-cipher: openssl s_server says why" "$T/k2o-no-cipher.srv.out" 'no shared cipher'

k2o k2o-no-group "-www $CERT -groups P-256" "-CAfile $T/ca.pem -groups X448" \
    "-CAfile $T/ca.pem -servername localhost -groups X448" 'alert handshake failure'

# ---- openssl s_client -> keel s_server ----
# o2k NAME "SERVER ARGS" "CLIENT ARGS" KEEL_STDERR_REGEX
# The reference run is openssl <-> openssl; the alert openssl s_client reports must be the same
# with keel as the server, and keel s_server must fail (exit 1) with the given reason.
o2k() {
    local n=$1 sargs=$2 cargs=$3 re=$4
    # shellcheck disable=SC2086
    start_openssl_server $n.ref.srv -naccept 1 $sargs
    # shellcheck disable=SC2086
    openssl_client $n.ref -connect 127.0.0.1:$PORT $cargs
    wait_exit "$SRV_PID" 5
    # shellcheck disable=SC2086
    start_keel_server $n.srv -www -naccept 1 $sargs
    # shellcheck disable=SC2086
    openssl_client $n -connect 127.0.0.1:$PORT $cargs
    wait_exit "$SRV_PID" 5 && fail "$n: keel s_server exit 0" || pass "$n: keel s_server failed"
    expect "$n: keel's reason" "$T/$n.srv.err" "$re"
    expect_not "$n: no page" "$T/$n.out" '^keel s_server$'
    local want got
    want=$(alert_text "$T/$n.ref.srv.out")
    [ -n "$want" ] || want=$(alert_text "$T/$n.ref.out")
    got=$(alert_text "$T/$n.srv.err")
    [ -n "$got" ] || got=$(alert_text "$T/$n.out")
    same "$n" "alert" "$got" "$want"
}

# openssl s_client rejects keel's certificate: keel s_server must read openssl's (encrypted) alert.
o2k o2k-unknown-ca "$CERT" "$OV -CAfile $T/other.pem" 'alert unknown ca'
o2k o2k-wrong-host "$CERT" "$OV -CAfile $T/ca.pem -verify_hostname wrong.example" 'alert bad certificate'
o2k o2k-expired "-cert $T/old.pem -key $T/old.key" "$OV -CAfile $T/ca.pem" 'alert certificate expired'
# keel s_server refuses.
o2k o2k-no-cipher "$CERT -ciphersuites TLS_AES_256_GCM_SHA384" \
    "-CAfile $T/ca.pem -ciphersuites TLS_AES_128_GCM_SHA256" 'no shared cipher'
o2k o2k-no-group "$CERT -groups P-256" "-CAfile $T/ca.pem -groups X448" 'no suitable key share|no shared group|handshake failure'

finish
