#!/bin/bash
# Pre-shared keys against real peers (issue #13 item 7), keel's side being unmodified programs run
# on keel's libssl.so.3 (the `openssl` command, stunnel4), the peers on the system libssl or gnutls:
#   - TLS 1.3 external PSKs both ways with openssl s_server/s_client -psk -nocert: psk_dhe_ke;
#     psk_ke with -allow_no_dhe_kex on both sides and no group in common (OpenSSL 3.0 takes psk_ke
#     only then), refused when the server does not allow it; a wrong key fails on the binder;
#   - TLS 1.2 PSK-AES128-GCM-SHA256, PSK-AES256-GCM-SHA384, PSK-CHACHA20-POLY1305,
#     ECDHE-PSK-CHACHA20-POLY1305, CBC (PSK-, ECDHE-PSK-) and CCM (PSK-) suites both ways, the server's -psk_hint reaching the client's session,
#     the identity in both sessions, resumption with -reconnect, a wrong key's bad_record_mac;
#   - TLS 1.2 DHE-PSK (RFC 4279 §3: every suite, GCM, ChaCha20, CBC, CCM; the server's automatic
#     DH parameters) and RSA-PSK (§4: every suite, with the server's RSA certificate, the hint
#     sent and not), both ways; a wrong key's bad_record_mac for each; an s_server -no_dhe
#     chooses no DHE-PSK suite;
#   - gnutls-serv --pskpasswd <- openssl s_client on keel (TLS 1.2 PSK, ECDHE-PSK, DHE-PSK,
#     RSA-PSK, TLS 1.3), gnutls-cli --pskusername --pskkey -> openssl s_server on keel (TLS 1.2
#     PSK, RSA-PSK, TLS 1.3; gnutls-cli 3.7 crashes on DHE-PSK against the system's s_server);
#   - stunnel4 on keel with PSKsecrets, as a server in front of an echo (TLS 1.3 and 1.2) and as a
#     client to openssl s_server -psk.
. "$(dirname "$0")/lib.sh"
for tool in gnutls-serv gnutls-cli stunnel4 socat ss; do
    command -v $tool >/dev/null || fail "$tool is not installed (make deps)"
done
[ "$FAILS" -eq 0 ] || finish

KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
BAD=00112233445566778899aabbccddeeff00112233445566778899aabbccddeefe
ID=client1
PSK=(-psk $KEY -psk_identity $ID)

# A sanitizer build of keel needs its runtime loaded first in a program not built with it.
SAN_RT=$(ldd "$KEEL_BUILD/libssl.so.3" | awk '/libasan|libtsan/ { print $3; exit }')
ON_KEEL=(env LD_PRELOAD="$SAN_RT" ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH="$KEEL_BUILD")

# server LIB NAME ARGS...: openssl s_server -psk on LIB (sys | keel), no certificate (the RSA one
# with SRV_CERT=rsa).
server() {
    local lib=$1 name=$2
    shift 2
    local pre=() cert=(-nocert)
    [ "$lib" = keel ] && pre=("${ON_KEEL[@]}")
    [ "${SRV_CERT:-}" = rsa ] && cert=(-cert "$T/rsa.pem" -key "$T/rsa.key")
    _start_peer "$name" '^ACCEPT' "${pre[@]}" openssl s_server -accept 127.0.0.1:@PORT@ "${cert[@]}" \
        "${PSK[@]}" "$@" || fail "$name: openssl s_server on $lib did not start"
}
# RSA-PSK's server certificate (RFC 4279 §4: rsaEncryption)
make_ca ca && make_cert ca rsa rsa2048 || fail "could not make the RSA certificate"
DHE_PSK_SUITES="DHE-PSK-AES128-GCM-SHA256 DHE-PSK-AES256-GCM-SHA384 DHE-PSK-CHACHA20-POLY1305
    DHE-PSK-AES128-CBC-SHA DHE-PSK-AES256-CBC-SHA DHE-PSK-AES128-CBC-SHA256 DHE-PSK-AES256-CBC-SHA384
    DHE-PSK-AES128-CCM DHE-PSK-AES256-CCM DHE-PSK-AES128-CCM8 DHE-PSK-AES256-CCM8"
RSA_PSK_SUITES="RSA-PSK-AES128-GCM-SHA256 RSA-PSK-AES256-GCM-SHA384 RSA-PSK-CHACHA20-POLY1305
    RSA-PSK-AES128-CBC-SHA RSA-PSK-AES256-CBC-SHA RSA-PSK-AES128-CBC-SHA256 RSA-PSK-AES256-CBC-SHA384"
# client LIB NAME ARGS...: openssl s_client on LIB to $PORT; output in $T/NAME.out.
client() {
    local lib=$1 name=$2
    shift 2
    if [ "$lib" = keel ]; then
        printf 'Q\n' | timeout 20 "${ON_KEEL[@]}" openssl s_client -connect 127.0.0.1:$PORT "$@" \
            >"$T/$name.out" 2>&1
    else
        printf 'Q\n' | timeout 20 openssl s_client -connect 127.0.0.1:$PORT "$@" >"$T/$name.out" 2>&1
    fi
}

# ---- openssl both ways: S = server's library, C = client's ----
for dir in keel-client keel-server; do
    if [ $dir = keel-client ]; then S=sys C=keel; else S=keel C=sys; fi

    n=$dir.13
    server $S $n.srv
    client $C $n "${PSK[@]}"
    expect "$n: TLS 1.3 external PSK (reported as a reuse)" "$T/$n.out" '^Reused, TLSv1.3, Cipher is TLS_' "$T/$n.srv.out"
    expect "$n: psk_dhe_ke" "$T/$n.out" '^Server Temp Key: X25519'
    expect_not "$n: no certificate" "$T/$n.out" '^Server certificate'
    client $C $n.bad -psk $BAD -psk_identity $ID
    expect "$n: a wrong key fails on the binder" "$T/$n.bad.out" 'alert (decrypt error|illegal parameter)'
    stop "$SRV_PID"

    n=$dir.13ke
    server $S $n.srv -allow_no_dhe_kex -groups P-384
    client $C $n "${PSK[@]}" -allow_no_dhe_kex -groups X25519
    expect "$n: psk_ke" "$T/$n.out" '^Reused, TLSv1.3' "$T/$n.srv.out"
    expect_not "$n: no key exchange" "$T/$n.out" 'Server Temp Key'
    stop "$SRV_PID"
    server $S $n.no.srv -groups P-384
    client $C $n.no "${PSK[@]}" -allow_no_dhe_kex -groups X25519
    expect "$n: refused by a server without -allow_no_dhe_kex" "$T/$n.no.out" 'alert handshake failure' "$T/$n.no.srv.out"
    stop "$SRV_PID"

    n=$dir.12
    # ALL: the CCM suites are not in the default list (on either library)
    server $S $n.srv -psk_hint hint-x -cipher ALL
    for suite in PSK-AES128-GCM-SHA256 PSK-AES256-GCM-SHA384 PSK-CHACHA20-POLY1305 ECDHE-PSK-CHACHA20-POLY1305 \
        PSK-AES128-CBC-SHA PSK-AES256-CBC-SHA384 ECDHE-PSK-AES128-CBC-SHA256 ECDHE-PSK-AES256-CBC-SHA \
        PSK-AES128-CCM PSK-AES256-CCM8; do
        client $C $n.$suite "${PSK[@]}" -tls1_2 -cipher $suite
        # s_client prints the suite's own version (SSL_CIPHER_get_version): SSLv3 / TLSv1.0 for CBC ones
        expect "$n: $suite" "$T/$n.$suite.out" "^New, (TLSv1\.2|TLSv1\.0|SSLv3), Cipher is $suite\$" "$T/$n.srv.out"
        expect "$n: $suite: the hint reached the client" "$T/$n.$suite.out" '^ +PSK identity hint: hint-x$'
        expect "$n: $suite: the client's session has the identity" "$T/$n.$suite.out" "^ +PSK identity: $ID\$"
    done
    client $C $n.resume "${PSK[@]}" -tls1_2 -reconnect
    if [ "$(grep -c '^Reused, TLSv1.2' "$T/$n.resume.out")" -eq 5 ]; then
        pass "$n: -reconnect resumed 5 times"
    else
        fail "$n: -reconnect did not resume"
        show "$T/$n.resume.out"
    fi
    client $C $n.bad -psk $BAD -psk_identity $ID -tls1_2
    expect "$n: a wrong key: bad_record_mac" "$T/$n.bad.out" 'alert bad record mac'
    stop "$SRV_PID"

    # DHE-PSK (RFC 4279 §3): s_server's automatic DH parameters (SSL_CTX_set_dh_auto)
    n=$dir.dhepsk
    server $S $n.srv -psk_hint hint-d -cipher ALL
    for suite in $DHE_PSK_SUITES; do
        client $C $n.$suite "${PSK[@]}" -tls1_2 -cipher $suite
        expect "$n: $suite" "$T/$n.$suite.out" "^New, (TLSv1\.2|TLSv1\.0|SSLv3), Cipher is $suite\$" "$T/$n.srv.out"
        expect "$n: $suite: a DH key exchange" "$T/$n.$suite.out" '^Server Temp Key: DH, (2048|3072) bits'
        expect "$n: $suite: the hint reached the client" "$T/$n.$suite.out" '^ +PSK identity hint: hint-d$'
        expect "$n: $suite: the client's session has the identity" "$T/$n.$suite.out" "^ +PSK identity: $ID\$"
        expect_not "$n: $suite: no certificate" "$T/$n.$suite.out" '^Server certificate'
    done
    client $C $n.bad -psk $BAD -psk_identity $ID -tls1_2 -cipher DHE-PSK-AES128-GCM-SHA256
    expect "$n: a wrong key: bad_record_mac" "$T/$n.bad.out" 'alert bad record mac'
    stop "$SRV_PID"
    # a server without DH parameters has no DHE-PSK suite to choose (as for DHE)
    server $S $n.nodh.srv -no_dhe -cipher ALL
    client $C $n.nodh "${PSK[@]}" -tls1_2 -cipher DHE-PSK-AES128-GCM-SHA256
    expect "$n: -no_dhe: no shared cipher" "$T/$n.nodh.out" 'alert handshake failure' "$T/$n.nodh.srv.out"
    expect "$n: -no_dhe: the server's reason" "$T/$n.nodh.srv.out" 'no shared cipher'
    stop "$SRV_PID"

    # RSA-PSK (RFC 4279 §4): the server's RSA certificate; a ServerKeyExchange only for a hint
    n=$dir.rsapsk
    for hint in with without; do
        harg=()
        [ $hint = with ] && harg=(-psk_hint hint-r)
        SRV_CERT=rsa server $S $n.$hint.srv "${harg[@]}" -cipher ALL
        for suite in $RSA_PSK_SUITES; do
            m=$n.$hint.$suite
            client $C $m "${PSK[@]}" -tls1_2 -cipher $suite
            expect "$m" "$T/$m.out" "^New, (TLSv1\.2|TLSv1\.0|SSLv3), Cipher is $suite\$" "$T/$n.$hint.srv.out"
            expect "$m: the RSA certificate" "$T/$m.out" '^subject=CN = rsa$'
            expect_not "$m: no ephemeral key" "$T/$m.out" 'Server Temp Key'
            if [ $hint = with ]; then
                expect "$m: the hint reached the client" "$T/$m.out" '^ +PSK identity hint: hint-r$'
            else
                expect "$m: no hint" "$T/$m.out" '^ +PSK identity hint: None$'
            fi
            expect "$m: the client's session has the identity" "$T/$m.out" "^ +PSK identity: $ID\$"
        done
        stop "$SRV_PID"
    done
    SRV_CERT=rsa server $S $n.bad.srv -cipher ALL
    client $C $n.bad -psk $BAD -psk_identity $ID -tls1_2 -cipher RSA-PSK-AES128-GCM-SHA256
    expect "$n: a wrong key: bad_record_mac" "$T/$n.bad.out" 'alert bad record mac'
    client $C $n.resume "${PSK[@]}" -tls1_2 -cipher RSA-PSK-AES256-GCM-SHA384 -reconnect
    if [ "$(grep -c '^Reused, TLSv1.2, Cipher is RSA-PSK-AES256-GCM-SHA384' "$T/$n.resume.out")" -eq 5 ]; then
        pass "$n: -reconnect resumed 5 times"
    else
        fail "$n: -reconnect did not resume"
        show "$T/$n.resume.out"
    fi
    stop "$SRV_PID"
done

# ---- gnutls ----
printf '%s:%s\n' $ID $KEY >"$T/psk.passwd"
n=gnutls-serv
start_gnutls_server $n.srv --pskpasswd "$T/psk.passwd" --priority 'NORMAL:+PSK:+ECDHE-PSK' ||
    fail "$n: gnutls-serv did not start"
for suite in PSK-AES128-GCM-SHA256 PSK-AES256-GCM-SHA384 ECDHE-PSK-CHACHA20-POLY1305; do
    client keel $n.$suite "${PSK[@]}" -tls1_2 -cipher $suite
    expect "$n: openssl s_client on keel, $suite" "$T/$n.$suite.out" "^New, TLSv1.2, Cipher is $suite\$" "$T/$n.srv.out"
done
client keel $n.13 "${PSK[@]}"
expect "$n: openssl s_client on keel, TLS 1.3 PSK" "$T/$n.13.out" '^Reused, TLSv1.3' "$T/$n.srv.out"
stop "$SRV_PID"
# DHE-PSK and RSA-PSK (the RSA certificate for the latter; gnutls' NORMAL has no CBC suite with
# these key exchanges)
n=gnutls-serv.dhe-rsa
start_gnutls_server $n.srv --pskpasswd "$T/psk.passwd" --x509certfile "$T/rsa.pem" --x509keyfile "$T/rsa.key" \
    --priority 'NORMAL:+DHE-PSK:+RSA-PSK' || fail "$n: gnutls-serv did not start"
for suite in DHE-PSK-AES128-GCM-SHA256 DHE-PSK-AES256-GCM-SHA384 DHE-PSK-CHACHA20-POLY1305 \
    RSA-PSK-AES128-GCM-SHA256 RSA-PSK-AES256-GCM-SHA384 RSA-PSK-CHACHA20-POLY1305; do
    client keel $n.$suite "${PSK[@]}" -tls1_2 -cipher $suite
    expect "$n: openssl s_client on keel, $suite" "$T/$n.$suite.out" "^New, TLSv1.2, Cipher is $suite\$" "$T/$n.srv.out"
done
stop "$SRV_PID"

n=gnutls-cli
SRV_CERT=rsa server keel $n.srv -cipher ALL
# (gnutls-cli 3.7 crashes on TLS 1.2 ECDHE-PSK and DHE-PSK against the system's s_server too: not
# tested.)
for pr in 'NORMAL:-KX-ALL:+PSK:-VERS-TLS1.3' 'NORMAL:-KX-ALL:+PSK:+ECDHE-PSK' 'NORMAL:-KX-ALL:+RSA-PSK:-VERS-TLS1.3'; do
    echo | timeout 20 gnutls-cli --port $PORT 127.0.0.1 --insecure --pskusername $ID --pskkey $KEY --priority "$pr" \
        >"$T/$n.out" 2>&1
    case $pr in
    *RSA-PSK*) want='Description: \(TLS1.2-X.509\)-\(RSA-PSK\)' ;;
    *VERS-TLS1.3) want='Description: \(TLS1.2[^)]*\)-\(PSK\)' ;;
    *) want='Description: \(TLS1.3' ;;
    esac
    expect "$n: gnutls-cli -> openssl s_server on keel, $pr" "$T/$n.out" "$want" "$T/$n.srv.out"
    expect "$n: $pr: handshake completed" "$T/$n.out" 'Handshake was completed'
done
echo | timeout 20 gnutls-cli --port $PORT 127.0.0.1 --pskusername $ID --pskkey $BAD \
    --priority 'NORMAL:-KX-ALL:+PSK:-VERS-TLS1.3' >"$T/$n.bad.out" 2>&1
expect_not "$n: a wrong key fails" "$T/$n.bad.out" 'Handshake was completed'
stop "$SRV_PID"

# ---- stunnel4 on keel, PSKsecrets (identity:ASCII key) ----
SECRET=keel-psk-secret-0123456789
printf '%s:%s\n' $ID $SECRET >"$T/psk.secrets"
chmod 600 "$T/psk.secrets"
HEX=$(printf %s $SECRET | od -An -tx1 -v | tr -d ' \n')
# start_stunnel NAME CONFIG: as in dropin.sh (CONFIG with @PORT@ for its accept port).
start_stunnel() {
    local n=$1 conf=$2 p i
    for _ in 1 2 3; do
        p=$(free_port)
        printf 'foreground = yes\npid =\ndebug = info\n%s\n' "${conf//@PORT@/$p}" >"$T/$n.conf"
        timeout 60 "${ON_KEEL[@]}" stunnel4 "$T/$n.conf" >"$T/$n.out" 2>&1 &
        SRV_PID=$!
        BG_PIDS+=("$SRV_PID")
        for ((i = 0; i < 200; i++)); do
            if ss -Htln "sport = :$p" | grep -q .; then
                PORT=$p
                return 0
            fi
            kill -0 "$SRV_PID" 2>/dev/null || break
            sleep 0.05
        done
        stop "$SRV_PID"
    done
    fail "stunnel4 $n did not start"
    show "$T/$n.out"
    PORT=0
    return 1
}

n=stunnel-server
_start_peer $n.echo - socat TCP-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr,fork EXEC:cat
ECHO_PID=$SRV_PID
start_stunnel $n.srv "[echo]
accept = 127.0.0.1:@PORT@
connect = 127.0.0.1:$PORT
PSKsecrets = $T/psk.secrets"
for v in 1_3 1_2; do
    { echo "ping-$v"; hold_until "$T/$n.$v.out" "ping-$v" 5; } |
        timeout 20 openssl s_client -connect 127.0.0.1:$PORT -psk $HEX -psk_identity $ID -tls$v -quiet \
            >"$T/$n.$v.out" 2>&1
    expect "$n: TLS ${v/_/.} echo through stunnel on keel" "$T/$n.$v.out" "^ping-$v\$" "$T/$n.srv.out"
done
expect "$n: stunnel found the identity" "$T/$n.srv.out" "Key configured for PSK identity \"$ID\""
stop "$SRV_PID"
stop "$ECHO_PID"

n=stunnel-client
PSK=(-psk $HEX -psk_identity $ID)
server sys $n.tls -www
TLS_PORT=$PORT
TLS_PID=$SRV_PID
start_stunnel $n.srv "[web]
client = yes
accept = 127.0.0.1:@PORT@
connect = 127.0.0.1:$TLS_PORT
PSKsecrets = $T/psk.secrets"
printf '%s' "$HTTP_GET" | timeout 20 socat -t 5 - TCP:127.0.0.1:$PORT >"$T/$n.page" 2>&1
expect "$n: openssl s_server -psk's page through stunnel on keel" "$T/$n.page" '^Reused, TLSv1.3' \
    "$T/$n.srv.out" "$T/$n.tls.out"
stop "$SRV_PID"
stop "$TLS_PID"

finish
