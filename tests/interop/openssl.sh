#!/bin/bash
# keel <-> OpenSSL 3.0 (the system's openssl command and libssl), both directions, over loopback:
# every TLS 1.3 suite, every group, every server key type, HelloRetryRequest, ALPN agreed and
# refused, 1 MiB each way, and key-log lines that agree with OpenSSL's for the same connection.
. "$(dirname "$0")/lib.sh"

SUITES="TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256"
GROUPS_="X25519 P-256 P-384 P-521 X448"
KEYTYPES="p256 p384 rsa2048 ed25519"
# keel's name for a group (SSL_group_to_name) and openssl s_client's "Server Temp Key" text.
keel_group() { case $1 in X25519) echo x25519 ;; X448) echo x448 ;; P-256) echo secp256r1 ;; P-384) echo secp384r1 ;; P-521) echo secp521r1 ;; esac; }
ossl_tempkey() { case $1 in X25519) echo "X25519" ;; X448) echo "X448" ;; P-256) echo "ECDH, prime256v1" ;; P-384) echo "ECDH, secp384r1" ;; P-521) echo "ECDH, secp521r1" ;; esac; }
# openssl s_client's "Peer signature type" for a key type in TLS 1.3.
ossl_sigtype() { case $1 in p256 | p384) echo ECDSA ;; rsa2048) echo RSA-PSS ;; ed25519) echo ed25519 ;; esac; }

make_ca ca || { fail "cannot make the CA"; finish; }
for t in $KEYTYPES; do make_cert ca "srv-$t" "$t" || fail "cannot make the $t certificate"; done
CA="$T/ca.pem"
KCLIENT=(-servername localhost -CAfile "$CA")
OCLIENT=(-servername localhost -CAfile "$CA" -verify_return_error -verify_hostname localhost)

# ======== keel s_client -> openssl s_server ========
start_openssl_server osrv -www -cert "$T/srv-p256.pem" -key "$T/srv-p256.key"
OPORT=$PORT
for s in $SUITES; do
    n=k2o-suite-$s
    keel_client $n -connect 127.0.0.1:$OPORT "${KCLIENT[@]}" -ciphersuites $s ||
        fail "$n: keel s_client exited $?"
    expect "$n: keel negotiated $s" "$T/$n.out" "^Cipher: $s\$" "$T/$n.err"
    expect "$n: openssl s_server reports $s" "$T/$n.out" "^New, TLSv1.3, Cipher is $s"
    expect "$n: verified" "$T/$n.out" '^Verify return code: 0 \(ok\)'
done
for g in $GROUPS_; do
    n=k2o-group-$g
    keel_client $n -connect 127.0.0.1:$OPORT "${KCLIENT[@]}" -groups $g || fail "$n: keel s_client exited $?"
    expect "$n: keel negotiated $g" "$T/$n.out" "^Negotiated group: $(keel_group $g)\$" "$T/$n.err"
    expect "$n: page received" "$T/$n.out" '^HTTP/1.0 200 ok'
done
stop "$SRV_PID"

for t in $KEYTYPES; do
    n=k2o-key-$t
    start_openssl_server $n.srv -www -naccept 1 -cert "$T/srv-$t.pem" -key "$T/srv-$t.key"
    keel_client $n -connect 127.0.0.1:$PORT "${KCLIENT[@]}" || fail "$n: keel s_client exited $?"
    expect "$n: keel verified the $t server" "$T/$n.out" '^Verify return code: 0 \(ok\)' "$T/$n.err"
    expect "$n: peer subject" "$T/$n.out" "^subject=CN = srv-$t\$"
    stop "$SRV_PID"
done

# HelloRetryRequest: keel's first key share (X25519) is not acceptable to the server.
n=k2o-hrr
start_openssl_server $n.srv -www -naccept 1 -msg -groups P-256 -cert "$T/srv-p256.pem" -key "$T/srv-p256.key"
keel_client $n -connect 127.0.0.1:$PORT "${KCLIENT[@]}" -groups X25519:P-256 || fail "$n: keel s_client exited $?"
expect "$n: keel negotiated P-256 after HRR" "$T/$n.out" '^Negotiated group: secp256r1$' "$T/$n.err"
wait_exit "$SRV_PID" 5
c=$(grep -c '<<< TLS 1.3, Handshake .*ClientHello' "$T/$n.srv.out")
[ "$c" = 2 ] && pass "$n: openssl s_server saw two ClientHellos" ||
    { fail "$n: openssl s_server saw $c ClientHellos (want 2)"; show "$T/$n.srv.out"; }

# ALPN: agreed, then refused (openssl s_server sends no_application_protocol).
start_openssl_server oalpn -www -alpn h2,http/1.1 -cert "$T/srv-p256.pem" -key "$T/srv-p256.key"
n=k2o-alpn-agreed
keel_client $n -connect 127.0.0.1:$PORT "${KCLIENT[@]}" -alpn foo,http/1.1 || fail "$n: keel s_client exited $?"
expect "$n: http/1.1 selected" "$T/$n.out" '^ALPN protocol: http/1.1$' "$T/$n.err"
n=k2o-alpn-refused
if keel_client $n -connect 127.0.0.1:$PORT "${KCLIENT[@]}" -alpn foo; then
    fail "$n: handshake succeeded without a common protocol"
else
    pass "$n: handshake failed"
fi
expect "$n: keel reports the alert" "$T/$n.err" 'no application protocol'
stop "$SRV_PID"

# 1 MiB each way. openssl s_server ends the connection at EOF on its stdin, so its stdin is held
# open until it has received all of keel's data; keel waits for the server to close (-ign_eof).
digits "$T/A" 1048576
digits "$T/B" 1048576
n=k2o-bulk
mkfifo "$T/$n.srv.in"
{ cat "$T/B"; hold_until_size "$T/$n.srv.out" 1048576 20; } >"$T/$n.srv.in" &
start_openssl_server $n.srv -quiet -naccept 1 -cert "$T/srv-p256.pem" -key "$T/srv-p256.key"
cp "$T/A" "$T/$n.in"
keel_client $n -connect 127.0.0.1:$PORT "${KCLIENT[@]}" -quiet -ign_eof || fail "$n: keel s_client exited $?"
wait_exit "$SRV_PID" 10
[ "$(sha256sum <"$T/A")" = "$(sha256sum <"$T/$n.srv.out")" ] &&
    pass "$n: 1 MiB keel -> openssl intact" ||
    { fail "$n: keel -> openssl data differs ($(stat -c %s "$T/$n.srv.out") bytes)"; show "$T/$n.err"; }
[ "$(sha256sum <"$T/B")" = "$(sha256sum <"$T/$n.out")" ] &&
    pass "$n: 1 MiB openssl -> keel intact" ||
    { fail "$n: openssl -> keel data differs ($(stat -c %s "$T/$n.out") bytes)"; show "$T/$n.err"; }

# Key log: keel's lines equal openssl s_server's for the same connection.
n=k2o-keylog
start_openssl_server $n.srv -www -naccept 1 -keylogfile "$T/$n.srv.log" -cert "$T/srv-p256.pem" -key "$T/srv-p256.key"
keel_client $n -connect 127.0.0.1:$PORT "${KCLIENT[@]}" -keylogfile "$T/$n.log" || fail "$n: keel s_client exited $?"
wait_exit "$SRV_PID" 5
grep -v '^#' "$T/$n.log" 2>/dev/null | sort >"$T/$n.a"
grep -v '^#' "$T/$n.srv.log" 2>/dev/null | sort >"$T/$n.b"
if [ "$(wc -l <"$T/$n.a")" -eq 5 ] && cmp -s "$T/$n.a" "$T/$n.b"; then
    pass "$n: keel's 5 key-log lines equal openssl s_server's"
else
    fail "$n: key logs differ"
    show "$T/$n.a" "$T/$n.b"
fi

# ======== openssl s_client -> keel s_server ========
start_keel_server ksrv -www -cert "$T/srv-p256.pem" -key "$T/srv-p256.key"
KPORT=$PORT
KSRV_PID=$SRV_PID
for s in $SUITES; do
    n=o2k-suite-$s
    openssl_client $n -connect 127.0.0.1:$KPORT "${OCLIENT[@]}" -ciphersuites $s
    expect "$n: openssl negotiated $s" "$T/$n.out" "^New, TLSv1.3, Cipher is $s"
    expect "$n: keel's page reports $s" "$T/$n.out" "^Cipher: $s\$"
    expect "$n: openssl verified keel" "$T/$n.out" '^Verify return code: 0 \(ok\)'
done
for g in $GROUPS_; do
    n=o2k-group-$g
    openssl_client $n -connect 127.0.0.1:$KPORT "${OCLIENT[@]}" -groups $g
    expect "$n: openssl negotiated $g" "$T/$n.out" "^Server Temp Key: $(ossl_tempkey $g)"
    expect "$n: page received" "$T/$n.out" '^keel s_server$'
done
expect "o2k: keel s_server printed each group" "$T/ksrv.out" '^Negotiated group: x448$'
stop "$KSRV_PID"

for t in $KEYTYPES; do
    n=o2k-key-$t
    start_keel_server $n.srv -www -naccept 1 -cert "$T/srv-$t.pem" -key "$T/srv-$t.key"
    openssl_client $n -connect 127.0.0.1:$PORT "${OCLIENT[@]}"
    expect "$n: openssl verified the $t keel server" "$T/$n.out" '^Verify return code: 0 \(ok\)' "$T/$n.srv.err"
    expect "$n: signature type" "$T/$n.out" "^Peer signature type: $(ossl_sigtype $t)\$"
    wait_exit "$SRV_PID" 5 && pass "$n: keel s_server exit 0" || fail "$n: keel s_server exit $?"
done

n=o2k-hrr
start_keel_server $n.srv -www -naccept 1 -groups P-256 -cert "$T/srv-p256.pem" -key "$T/srv-p256.key"
openssl_client $n -connect 127.0.0.1:$PORT "${OCLIENT[@]}" -groups X25519:P-256 -msg
expect "$n: P-256 after HRR" "$T/$n.out" '^Server Temp Key: ECDH, prime256v1' "$T/$n.srv.err"
c=$(grep -c '>>> TLS 1.3, Handshake .*ClientHello' "$T/$n.out")
[ "$c" = 2 ] && pass "$n: openssl sent two ClientHellos" || fail "$n: openssl sent $c ClientHellos (want 2)"
expect "$n: keel s_server reports secp256r1" "$T/$n.srv.out" '^Negotiated group: secp256r1$'

start_keel_server kalpn -www -alpn h2,http/1.1 -cert "$T/srv-p256.pem" -key "$T/srv-p256.key"
n=o2k-alpn-agreed
openssl_client $n -connect 127.0.0.1:$PORT "${OCLIENT[@]}" -alpn foo,http/1.1
expect "$n: http/1.1 selected" "$T/$n.out" '^ALPN protocol: http/1.1$' "$T/kalpn.err"
n=o2k-alpn-refused
openssl_client $n -connect 127.0.0.1:$PORT "${OCLIENT[@]}" -alpn foo
expect "$n: openssl received no_application_protocol" "$T/$n.out" 'no application protocol'
expect_not "$n: no page" "$T/$n.out" '^keel s_server$'
expect "$n: keel s_server reports it" "$T/kalpn.err" 'no application protocol'
stop "$SRV_PID"

n=o2k-bulk
mkfifo "$T/$n.srv.in"
# keel's stdout is "ACCEPT <port>" then the data: wait for 1 MiB beyond that line.
{
    cat "$T/B"
    wait_for "$T/$n.srv.out" '^ACCEPT' 10
    hold_until_size "$T/$n.srv.out" $((1048576 + $(head -n1 "$T/$n.srv.out" | wc -c))) 20
} >"$T/$n.srv.in" &
start_keel_server $n.srv -quiet -no_ign_eof -naccept 1 -cert "$T/srv-p256.pem" -key "$T/srv-p256.key"
# openssl s_client -quiet implies -ign_eof: it reads until keel's close_notify.
timeout 20 openssl s_client -quiet -connect 127.0.0.1:$PORT "${OCLIENT[@]}" <"$T/A" >"$T/$n.out" 2>"$T/$n.err"
wait_exit "$SRV_PID" 10 && pass "$n: keel s_server exit 0" || fail "$n: keel s_server exit $?"
[ "$(sha256sum <"$T/A")" = "$(tail -n +2 "$T/$n.srv.out" | sha256sum)" ] &&
    pass "$n: 1 MiB openssl -> keel intact" ||
    { fail "$n: openssl -> keel data differs"; show "$T/$n.srv.err" "$T/$n.err"; }
[ "$(sha256sum <"$T/B")" = "$(sha256sum <"$T/$n.out")" ] &&
    pass "$n: 1 MiB keel -> openssl intact" ||
    { fail "$n: keel -> openssl data differs ($(stat -c %s "$T/$n.out") bytes)"; show "$T/$n.err"; }

# Key log through SSLKEYLOGFILE on keel's side, -keylogfile on openssl's.
n=o2k-keylog
SSLKEYLOGFILE="$T/$n.srv.log" start_keel_server $n.srv -www -naccept 1 -cert "$T/srv-p256.pem" -key "$T/srv-p256.key"
openssl_client $n -connect 127.0.0.1:$PORT "${OCLIENT[@]}" -keylogfile "$T/$n.log"
wait_exit "$SRV_PID" 5
grep -v '^#' "$T/$n.log" 2>/dev/null | sort >"$T/$n.a"
grep -v '^#' "$T/$n.srv.log" 2>/dev/null | sort >"$T/$n.b"
if [ "$(wc -l <"$T/$n.a")" -eq 5 ] && cmp -s "$T/$n.a" "$T/$n.b"; then
    pass "$n: keel's 5 key-log lines (SSLKEYLOGFILE) equal openssl s_client's"
else
    fail "$n: key logs differ"
    show "$T/$n.a" "$T/$n.b"
fi

finish
