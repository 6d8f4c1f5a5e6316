#!/bin/bash
# Mutual TLS between keel and OpenSSL, both ways: a client certificate of each key type, a missing
# client certificate (refused only with -Verify), an untrusted one, and TLS 1.3 post-handshake
# authentication (keel s_server -request_pha against openssl s_client -enable_pha, and keel
# s_client -enable_pha against openssl s_server's "c" command).
. "$(dirname "$0")/lib.sh"

KEYTYPES="p256 p384 rsa2048 ed25519"
make_ca ca && make_ca other && make_cert ca srv p256 && make_cert other stranger p256 ||
    { fail "cannot make certificates"; finish; }
for t in $KEYTYPES; do make_cert ca "cli-$t" "$t" || fail "cannot make the $t client certificate"; done
CA="$T/ca.pem"
CERT=(-cert "$T/srv.pem" -key "$T/srv.key")
KC=(-servername localhost -CAfile "$CA")
OC=(-servername localhost -CAfile "$CA" -verify_return_error)

# ======== keel s_client -> openssl s_server ========
for t in $KEYTYPES; do
    n=k2o-mtls-$t
    start_openssl_server $n.srv -www -Verify 1 -naccept 1 -CAfile "$CA" "${CERT[@]}"
    keel_client $n -connect 127.0.0.1:$PORT "${KC[@]}" -cert "$T/cli-$t.pem" -key "$T/cli-$t.key" ||
        fail "$n: keel s_client exited $?"
    wait_exit "$SRV_PID" 5
    expect "$n: openssl s_server verified keel's $t certificate" "$T/$n.srv.out" '^depth=0 CN = cli-'"$t"'$' "$T/$n.err"
    expect_not "$n: no verify error" "$T/$n.srv.out" 'verify error'
    expect "$n: page shows the client certificate" "$T/$n.out" "Subject: CN ?= ?cli-$t"
done

n=k2o-nocert-Verify
start_openssl_server $n.srv -www -Verify 1 -naccept 1 -CAfile "$CA" "${CERT[@]}"
if keel_client $n -connect 127.0.0.1:$PORT "${KC[@]}"; then
    fail "$n: keel s_client succeeded without a certificate"
else
    pass "$n: keel s_client failed"
fi
wait_exit "$SRV_PID" 5
expect "$n: keel received certificate_required" "$T/$n.err" 'alert certificate required'
expect "$n: openssl s_server: peer did not return a certificate" "$T/$n.srv.out" 'peer did not return a certificate'

n=k2o-nocert-verify
start_openssl_server $n.srv -www -verify 1 -naccept 1 -CAfile "$CA" "${CERT[@]}"
keel_client $n -connect 127.0.0.1:$PORT "${KC[@]}" && pass "$n: keel s_client succeeded" ||
    { fail "$n: keel s_client exited $?"; show "$T/$n.err"; }
expect "$n: page says no client certificate" "$T/$n.out" 'no client certificate available'

# keel s_client answers openssl s_server's post-handshake CertificateRequest ("c" on its stdin).
n=k2o-pha
mkfifo "$T/$n.srv.in" "$T/$n.in"
{
    wait_for "$T/$n.srv.out" '^CIPHER is' 10 && echo c
    # openssl s_server ends the connection at EOF on stdin: keep it open until keel has closed.
    hold_until "$T/$n.srv.out" 'CONNECTION CLOSED' 10
} >"$T/$n.srv.in" &
start_openssl_server $n.srv -naccept 1 -CAfile "$CA" "${CERT[@]}"
{ hold_until "$T/$n.srv.out" 'SSL_do_handshake|verify error' 10; } >"$T/$n.in" &
keel_client $n -connect 127.0.0.1:$PORT "${KC[@]}" -enable_pha -cert "$T/cli-p256.pem" -key "$T/cli-p256.key" ||
    fail "$n: keel s_client exited $?"
wait_exit "$SRV_PID" 5
expect "$n: openssl s_server got keel's certificate after the handshake" "$T/$n.srv.out" '^depth=0 CN = cli-p256$' "$T/$n.err"
expect "$n: post-handshake handshake completed" "$T/$n.srv.out" 'SSL_do_handshake -> 1'

# ======== openssl s_client -> keel s_server ========
start_keel_server kV -www -Verify 1 -CAfile "$CA" "${CERT[@]}"
KV_PID=$SRV_PID
KV_PORT=$PORT
for t in $KEYTYPES; do
    n=o2k-mtls-$t
    openssl_client $n -connect 127.0.0.1:$KV_PORT "${OC[@]}" -cert "$T/cli-$t.pem" -key "$T/cli-$t.key"
    expect "$n: keel's page shows the $t client certificate" "$T/$n.out" "^Client certificate subject=CN = cli-$t\$" "$T/kV.err"
done
expect "o2k-mtls: keel s_server verified the client certificates" "$T/kV.out" '^Verify return code: 0 \(ok\)'
# openssl s_client names the CAs keel asked for (SSL_load_client_CA_file).
expect "o2k-mtls: CA names sent" "$T/o2k-mtls-p256.out" '^Acceptable client certificate CA names'
expect "o2k-mtls: CA name is the test CA" "$T/o2k-mtls-p256.out" '^CN = keel test ca$'
stop "$KV_PID"

n=o2k-nocert-Verify
start_keel_server $n.srv -www -Verify 1 -naccept 1 -CAfile "$CA" "${CERT[@]}"
openssl_client $n -connect 127.0.0.1:$PORT "${OC[@]}"
wait_exit "$SRV_PID" 5 && fail "$n: keel s_server exit 0" || pass "$n: keel s_server failed"
expect "$n: keel: peer did not return a certificate" "$T/$n.srv.err" 'peer did not return a certificate'
expect "$n: openssl received certificate_required" "$T/$n.out" 'alert certificate required'
expect_not "$n: no page" "$T/$n.out" '^keel s_server$'

n=o2k-nocert-verify
start_keel_server $n.srv -www -verify 1 -naccept 1 -CAfile "$CA" "${CERT[@]}"
openssl_client $n -connect 127.0.0.1:$PORT "${OC[@]}"
wait_exit "$SRV_PID" 5 && pass "$n: keel s_server exit 0" || fail "$n: keel s_server exit $?"
expect "$n: page says no client certificate" "$T/$n.out" '^No client certificate$' "$T/$n.srv.err"

n=o2k-untrusted
start_keel_server $n.srv -www -verify 1 -naccept 1 -CAfile "$CA" "${CERT[@]}"
openssl_client $n -connect 127.0.0.1:$PORT "${OC[@]}" -cert "$T/stranger.pem" -key "$T/stranger.key"
wait_exit "$SRV_PID" 5 && fail "$n: keel s_server accepted an untrusted certificate" || pass "$n: keel s_server failed"
expect "$n: keel: certificate verify failed" "$T/$n.srv.err" 'certificate verify failed'
expect "$n: openssl received unknown_ca" "$T/$n.out" 'alert unknown ca'

# keel s_server asks for a certificate after the handshake (SSL_verify_client_post_handshake).
n=o2k-pha
mkfifo "$T/$n.in"
start_keel_server $n.srv -request_pha -naccept 1 -CAfile "$CA" "${CERT[@]}"
{ hold_until "$T/$n.srv.err" 'Verify return code|error' 10; } >"$T/$n.in" &
openssl_client $n -connect 127.0.0.1:$PORT "${OC[@]}" -enable_pha -cert "$T/cli-p256.pem" -key "$T/cli-p256.key"
wait_exit "$SRV_PID" 5 && pass "$n: keel s_server exit 0" || fail "$n: keel s_server exit $?"
expect "$n: keel got the certificate after the handshake" "$T/$n.srv.err" '^subject=CN = cli-p256$' "$T/$n.out"
expect "$n: and verified it" "$T/$n.srv.err" '^Verify return code: 0 \(ok\)$'

# Without -enable_pha the client did not offer it: the request must fail, not hang.
n=o2k-pha-not-offered
mkfifo "$T/$n.in"
start_keel_server $n.srv -request_pha -naccept 1 -CAfile "$CA" "${CERT[@]}"
{ hold_until "$T/$n.srv.err" 'error|failed' 10; } >"$T/$n.in" &
openssl_client $n -connect 127.0.0.1:$PORT "${OC[@]}" -cert "$T/cli-p256.pem" -key "$T/cli-p256.key"
wait_exit "$SRV_PID" 5
expect "$n: keel reports the request cannot be made" "$T/$n.srv.err" 'post-handshake authentication request failed'


# keel on both ends: keel s_server -request_pha, keel s_client -enable_pha with an Ed25519 key.
n=k2k-pha
mkfifo "$T/$n.in"
start_keel_server $n.srv -request_pha -naccept 1 -CAfile "$CA" "${CERT[@]}"
{ echo "data before the request"; hold_until "$T/$n.srv.err" 'Verify return code|error' 10; } >"$T/$n.in" &
keel_client $n -connect 127.0.0.1:$PORT "${KC[@]}" -enable_pha -cert "$T/cli-ed25519.pem" -key "$T/cli-ed25519.key" ||
    fail "$n: keel s_client exited $?"
wait_exit "$SRV_PID" 5 && pass "$n: keel s_server exit 0" || fail "$n: keel s_server exit $?"
expect "$n: keel s_server got the certificate after the handshake" "$T/$n.srv.err" '^subject=CN = cli-ed25519$' "$T/$n.err"
expect "$n: and verified it" "$T/$n.srv.err" '^Verify return code: 0 \(ok\)$'
expect "$n: data arrived" "$T/$n.srv.out" '^data before the request$'

finish
