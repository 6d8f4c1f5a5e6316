#!/bin/bash
# keel's own tool (tools/s_client.c, s_server.c) and its protocol options, named as openssl
# s_client/s_server name them: -tls1_2, -tls1_3, -cipher, -ciphersuites, -sigalgs, -groups; and the
# summary's TLS 1.2 lines (extended master secret, secure renegotiation). Against the system
# openssl (its own libssl), both roles, over loopback; each effect is read from the PEER's output.
. "$(dirname "$0")/lib.sh"

make_ca ca && make_cert ca srv p256 && make_cert ca srv-rsa rsa2048 || { fail "cannot make certificates"; finish; }
CA="$T/ca.pem"
ECC=(-cert "$T/srv.pem" -key "$T/srv.key")
RSA=(-cert "$T/srv-rsa.pem" -key "$T/srv-rsa.key")

# openssl s_server with ARGS as given (start_openssl_server adds -tls1_3).
start_openssl12() {
    local name=$1
    shift
    _start_peer "$name" '^ACCEPT' openssl s_server -accept 127.0.0.1:@PORT@ "$@"
}

# ======== keel s_server ========
n=srv-tls12
start_keel_server $n -www -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384 -sigalgs ecdsa_secp256r1_sha256 \
    -groups P-384 "${ECC[@]}"
openssl_client $n.cli -connect 127.0.0.1:$PORT -CAfile "$CA" -servername localhost
expect "$n: TLS 1.2 with the -cipher suite" "$T/$n.cli.out" 'New, TLSv1.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384' "$T/$n.err"
expect "$n: the -groups group" "$T/$n.cli.out" 'Server Temp Key: ECDH, (P-384|secp384r1)'
expect "$n: signed as -sigalgs says" "$T/$n.cli.out" 'Peer signature type: ECDSA'
expect "$n: keel's summary: TLS 1.2" "$T/$n.out" '^Protocol: TLSv1.2$'
expect "$n: keel's summary: extended master secret" "$T/$n.out" '^Extended master secret: yes$'
expect "$n: keel's summary: secure renegotiation" "$T/$n.out" '^Secure Renegotiation IS supported$'
# a TLS 1.3-only client is refused by the -tls1_2 server
openssl_client $n.cli13 -connect 127.0.0.1:$PORT -CAfile "$CA" -servername localhost -tls1_3
expect "$n: a 1.3-only client gets protocol_version" "$T/$n.cli13.out" 'alert protocol version'
# a client whose -cipher list misses the server's
openssl_client $n.nocipher -connect 127.0.0.1:$PORT -CAfile "$CA" -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
expect "$n: no shared suite: handshake_failure" "$T/$n.nocipher.out" 'alert handshake failure'
stop "$SRV_PID"

n=srv-sigalgs
start_keel_server $n -www -tls1_2 -sigalgs rsa_pss_rsae_sha256 "${RSA[@]}"
openssl_client $n.cli -connect 127.0.0.1:$PORT -CAfile "$CA" -servername localhost
expect "$n: RSA-PSS as the server's -sigalgs says" "$T/$n.cli.out" 'Peer signature type: RSA-PSS'
expect "$n: ECDHE-RSA suite" "$T/$n.cli.out" 'Cipher is ECDHE-RSA-'
stop "$SRV_PID"

n=srv-tls13
start_keel_server $n -www -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256 "${ECC[@]}"
openssl_client $n.cli -connect 127.0.0.1:$PORT -CAfile "$CA" -servername localhost
expect "$n: TLS 1.3 with the -ciphersuites suite" "$T/$n.cli.out" 'New, TLSv1.3, Cipher is TLS_CHACHA20_POLY1305_SHA256'
expect_not "$n: no TLS 1.2 lines in keel's TLS 1.3 summary" "$T/$n.out" 'Extended master secret'
openssl_client $n.cli12 -connect 127.0.0.1:$PORT -CAfile "$CA" -tls1_2
expect "$n: a 1.2-only client gets protocol_version" "$T/$n.cli12.out" 'alert protocol version'
stop "$SRV_PID"

# ======== keel s_client ========
# (-groups keeps P-256: in TLS 1.2 the client's groups also bound the ECDSA certificate's curve,
# RFC 8422 §5.1)
n=cli-tls12
start_openssl12 $n.srv -tls1_2 -www "${ECC[@]}"
keel_client $n -connect 127.0.0.1:$PORT -CAfile "$CA" -servername localhost -tls1_2 \
    -cipher ECDHE-ECDSA-CHACHA20-POLY1305 -groups X448:P-256 -sigalgs ecdsa_secp256r1_sha256 ||
    fail "$n: keel s_client exited $?"
expect "$n: TLS 1.2 with the -cipher suite" "$T/$n.out" 'New, TLSv1.2, Cipher is ECDHE-ECDSA-CHACHA20-POLY1305' "$T/$n.err"
expect "$n: the -groups group" "$T/$n.out" '^Negotiated group: [Xx]448$'
expect "$n: extended master secret" "$T/$n.out" '^Extended master secret: yes$'
expect "$n: secure renegotiation" "$T/$n.out" '^Secure Renegotiation IS supported$'
expect "$n: the server's page says TLS 1.2 and the suite" "$T/$n.out" 'Cipher is ECDHE-ECDSA-CHACHA20-POLY1305'
stop "$SRV_PID"

# -tls1_2 against a 1.3 server: 1.2 all the same (the client offers nothing else)
n=cli-tls12-vs13
start_openssl12 $n.srv -www "${ECC[@]}"
keel_client $n -connect 127.0.0.1:$PORT -CAfile "$CA" -servername localhost -tls1_2 ||
    fail "$n: keel s_client exited $?"
expect "$n: TLS 1.2 from a TLS 1.3 server" "$T/$n.out" '^Protocol: TLSv1.2$' "$T/$n.err"
keel_client $n.13 -connect 127.0.0.1:$PORT -CAfile "$CA" -servername localhost
expect "$n: without -tls1_2: TLS 1.3" "$T/$n.13.out" '^Protocol: TLSv1.3$' "$T/$n.13.err"
stop "$SRV_PID"

# -tls1_3 against a 1.2-only server: refused; -sigalgs the server cannot meet: refused
n=cli-tls13-vs12
start_openssl12 $n.srv -tls1_2 -www "${ECC[@]}"
if keel_client $n -connect 127.0.0.1:$PORT -CAfile "$CA" -servername localhost -tls1_3; then
    fail "$n: keel s_client -tls1_3 connected to a TLS 1.2 server"
else
    pass "$n: keel s_client -tls1_3 refused a TLS 1.2 server"
fi
expect "$n: protocol_version" "$T/$n.err" 'alert protocol version|unsupported protocol'
if keel_client $n.sig -connect 127.0.0.1:$PORT -CAfile "$CA" -servername localhost -tls1_2 -sigalgs rsa_pss_rsae_sha256; then
    fail "$n.sig: a -sigalgs list the ECDSA server cannot meet connected"
else
    pass "$n.sig: a -sigalgs list the ECDSA server cannot meet is refused"
fi
stop "$SRV_PID"

# bad lists are reported, not ignored
for opt in "-cipher NOPE" "-ciphersuites NOPE" "-sigalgs NOPE" "-groups NOPE"; do
    # shellcheck disable=SC2086
    if timeout 10 "$KEEL" s_client -connect 127.0.0.1:1 $opt >"$T/bad.out" 2>&1; then
        fail "keel s_client $opt: accepted"
    else
        expect "keel s_client $opt: reported" "$T/bad.out" "bad ${opt%% *} list"
    fi
done
timeout 10 "$KEEL" s_client -connect 127.0.0.1:1 -cipher >"$T/bad.out" 2>&1
expect "keel s_client -cipher without a list" "$T/bad.out" '-cipher needs an argument'
finish
