#!/bin/bash
# Issue #11.11a: keys in an ENGINE. The `openssl` command itself, run on keel (LD_LIBRARY_PATH),
# serves and authenticates with a key that lives in a PKCS#11 token (softhsm2, reached through
# libengine-pkcs11-openssl: -engine pkcs11 -keyform engine), and an openssl peer on the system
# libssl verifies its TLS 1.3 CertificateVerify: RSA-PSS from an RSA-2048 token key, ECDSA from a
# P-256 one, as server and as client. softhsm2, pkcs11-tool (opensc) and the engine are
# dependencies (Makefile DEB_PACKAGES): a missing one fails the test.
. "$(dirname "$0")/lib.sh"

MODULE=
for m in /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so /usr/lib/softhsm/libsofthsm2.so \
    /usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so; do
    [ -r "$m" ] && MODULE=$m
done
[ -n "$MODULE" ] || { fail "softhsm2 is not installed"; finish; }
for tool in softhsm2-util pkcs11-tool; do
    command -v $tool >/dev/null || { fail "$tool is not installed"; finish; }
done

# A token of our own: SOFTHSM2_CONF points at a token directory inside $T.
mkdir "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF="$T/softhsm2.conf"
softhsm2-util --init-token --free --label keel --so-pin 5678 --pin 1234 >/dev/null &&
    pkcs11-tool --module "$MODULE" --token-label keel --login --pin 1234 --keypairgen \
        --key-type rsa:2048 --id 01 --label rsa >/dev/null 2>&1 &&
    pkcs11-tool --module "$MODULE" --token-label keel --login --pin 1234 --keypairgen \
        --key-type EC:prime256v1 --id 02 --label ec >/dev/null 2>&1 ||
    { fail "cannot create the softhsm2 token and its keys"; finish; }
uri() { echo "pkcs11:token=keel;object=$1;type=private;pin-value=1234"; }
ENG=(-engine pkcs11 -keyform engine)

# Certificates for the token keys, issued by a software CA: the CSR is signed in the token.
make_ca ca || { fail "cannot make the CA"; finish; }
for k in rsa ec; do
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$T/tok-$k.ext"
    openssl req -new "${ENG[@]}" -key "$(uri $k)" -subj "/CN=tok-$k" -out "$T/tok-$k.csr" \
        >/dev/null 2>&1 &&
        openssl x509 -req -in "$T/tok-$k.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
            -out "$T/tok-$k.pem" -days 3 -extfile "$T/tok-$k.ext" >/dev/null 2>&1 ||
        fail "cannot certify the token's $k key"
done
make_cert ca srv p256 || fail "cannot make the software server certificate"

# Proof that the `openssl` command below loads keel's libssl, not the system's.
if LD_LIBRARY_PATH="$KEEL_BUILD" ldd "$(command -v openssl)" | grep -q "libssl.so.3 => $KEEL_BUILD/"; then
    pass "openssl with LD_LIBRARY_PATH loads keel's libssl.so.3"
else
    fail "openssl does not load keel's libssl.so.3"
    LD_LIBRARY_PATH="$KEEL_BUILD" ldd "$(command -v openssl)"
fi

# `openssl` on keel: under a sanitizer build, keel's library needs its runtime preloaded (as in
# curl.sh); leaks of the unsanitized program are not keel's.
SAN_RT=$(ldd "$KEEL_BUILD/libssl.so.3" | awk '/libasan|libtsan/ { print $3; exit }')
ON_KEEL=(env LD_PRELOAD="$SAN_RT" ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH="$KEEL_BUILD")

sigalg_of() { [ "$1" = rsa ] && echo rsa_pss_rsae_sha256 || echo ecdsa_secp256r1_sha256; }
type_of() { [ "$1" = rsa ] && echo RSA-PSS || echo ECDSA; }

# ======== openssl s_server on keel, token key -> openssl s_client (system) ========
for k in rsa ec; do
    n=eng-server-$k
    _start_peer $n.srv '^ACCEPT' "${ON_KEEL[@]}" openssl s_server \
        -accept 127.0.0.1:@PORT@ -tls1_3 -naccept 1 -www "${ENG[@]}" -key "$(uri $k)" \
        -cert "$T/tok-$k.pem" || { fail "$n: openssl s_server on keel did not start"; continue; }
    openssl_client $n -connect 127.0.0.1:$PORT -servername localhost -CAfile "$T/ca.pem" \
        -verify_return_error -sigalgs "$(sigalg_of $k)" || fail "$n: openssl s_client exited $?"
    wait_exit "$SRV_PID" 5
    expect "$n: TLS 1.3" "$T/$n.out" '^New, TLSv1\.3' "$T/$n.srv.out"
    expect "$n: the token signed the CertificateVerify with $(type_of $k)" "$T/$n.out" \
        "^Peer signature type: $(type_of $k)\$" "$T/$n.srv.out"
    expect "$n: openssl s_client verified the server" "$T/$n.out" '^Verify return code: 0 \(ok\)'
done

# ======== openssl s_client on keel, token key as client certificate -> openssl s_server ========
for k in rsa ec; do
    n=eng-client-$k
    start_openssl_server $n.srv -naccept 1 -Verify 1 -CAfile "$T/ca.pem" -client_sigalgs \
        "$(sigalg_of $k)" -cert "$T/srv.pem" -key "$T/srv.key" ||
        { fail "$n: openssl s_server did not start"; continue; }
    # s_client's stdin stays open until the server has seen the handshake (EOF ends s_client).
    mkfifo "$T/$n.in"
    { hold_until "$T/$n.srv.out" 'CIPHER is|error' 10; } >"$T/$n.in" &
    BG_PIDS+=($!)
    timeout 20 "${ON_KEEL[@]}" openssl s_client -connect 127.0.0.1:$PORT -tls1_3 \
        -servername localhost -CAfile "$T/ca.pem" -verify_return_error "${ENG[@]}" \
        -key "$(uri $k)" -cert "$T/tok-$k.pem" <"$T/$n.in" >"$T/$n.out" 2>&1 ||
        fail "$n: openssl s_client on keel exited $?"
    wait_exit "$SRV_PID" 5
    expect "$n: openssl s_server verified the token's certificate" "$T/$n.srv.out" \
        "^depth=0 CN = tok-$k\$" "$T/$n.out"
    expect "$n: the handshake completed" "$T/$n.srv.out" '^CIPHER is TLS_' "$T/$n.out"
    expect_not "$n: no verify error" "$T/$n.srv.out" 'verify error|handshake failure'
done

finish
