#!/bin/bash
# What keel's TLS 1.2 server decides by itself, with OpenSSL 3.0 as the specification: the system
# `openssl s_server` runs once on keel's libssl.so.3 (LD_LIBRARY_PATH) and once on the system
# libssl, the system `openssl s_client` connects to each the same way, and every expectation is
# checked on BOTH servers (so the script also proves it describes OpenSSL's behaviour):
#   - dual RSA + ECDSA certificates: the client's suites and signature schemes pick the one sent;
#   - suite order (client's, or ours with -serverpref; -prioritize_chacha) and group order;
#   - resumption by session id (-no_ticket: cached) and by ticket (no session id, nothing cached),
#     the cache statistics, RFC 7627 §5.3 (an EMS session offered without EMS is refused), the
#     session's suite missing from the offer (illegal_parameter);
#   - TLS 1.1 clients, TLS_FALLBACK_SCSV (RFC 7507), the RFC 8446 §4.1.3 downgrade sentinel;
#   - client certificates (required / absent), ALPN, SNI, a renegotiation attempt refused;
#   - the info callback's state sequence (-state) of full, resumed and mutual-TLS handshakes,
#     identical line for line.
. "$(dirname "$0")/lib.sh"

make_ca ca && make_cert ca ec p256 && make_cert ca rsa rsa2048 && make_cert ca sni p256 \
    && make_cert ca cli p256 || { fail "cannot make certificates"; finish; }
CA="$T/ca.pem"
EC=(-cert "$T/ec.pem" -key "$T/ec.key")
DUAL=(-cert "$T/rsa.pem" -key "$T/rsa.key" -dcert "$T/ec.pem" -dkey "$T/ec.key")
printf 'openssl_conf = oc\n[oc]\nssl_conf = sc\n[sc]\nsystem_default = sd\n[sd]\nOptions = -ExtendedMasterSecret\n' >"$T/noems.cnf"

# A sanitizer build's runtime must come first in a program not built with it (as dropin.sh).
SAN_RT=$(ldd "$KEEL_BUILD/libssl.so.3" | awk '/libasan|libtsan/ { print $3; exit }')

# srv LIB NAME ARGS...: openssl s_server on LIB (keel | sys), PORT set
srv() {
    local lib=$1 name=$2
    shift 2
    if [ "$lib" = keel ]; then
        _start_peer "$lib-$name" '^ACCEPT' env LD_PRELOAD="$SAN_RT" ASAN_OPTIONS=detect_leaks=0 \
            LD_LIBRARY_PATH="$KEEL_BUILD" openssl s_server -accept 127.0.0.1:@PORT@ "$@"
    else
        _start_peer "$lib-$name" '^ACCEPT' openssl s_server -accept 127.0.0.1:@PORT@ "$@"
    fi
}
# cli OUT ARGS...: openssl s_client (system libssl) to PORT, stdin closed after the handshake
cli() {
    local out=$1
    shift
    sleep 0.3 | timeout 10 openssl s_client -connect 127.0.0.1:$PORT "$@" >"$T/$out" 2>&1
}
# www OUT ARGS...: openssl s_client fetching the -www page (the server's session and statistics)
www() {
    local out=$1
    shift
    printf '%s' "$HTTP_GET" | timeout 10 openssl s_client -ign_eof -connect 127.0.0.1:$PORT "$@" >"$T/$out" 2>&1
}
# both NAME FILE-SUFFIX REGEX...: each REGEX ('!' = must not match) in $T/<lib>-NAME.<suffix>
# for both servers
both() {
    local name=$1 suf=$2 lib re f ok
    shift 2
    for lib in sys keel; do
        f="$T/$lib-$name.$suf"
        ok=1
        for re in "$@"; do
            if [ "${re:0:1}" = '!' ]; then
                grep -Eq -- "${re:1}" "$f" 2>/dev/null && { ok=0; echo "  /${re:1}/ in $f"; }
            else
                grep -Eq -- "$re" "$f" 2>/dev/null || { ok=0; echo "  /$re/ not in $f"; }
            fi
        done
        if [ $ok = 1 ]; then pass "$name ($lib server)"; else fail "$name ($lib server)"; show "$f"; fi
    done
}

# ======== certificate, suite and group choice ========
for lib in sys keel; do
    srv $lib dual -tls1_2 "${DUAL[@]}"
    cli $lib-dual-rsa.cli -sigalgs rsa_pss_rsae_sha256:rsa_pkcs1_sha256
    cli $lib-dual-ec.cli -sigalgs ecdsa_secp256r1_sha256
    cli $lib-dual-rsasuite.cli -cipher ECDHE-RSA-AES128-GCM-SHA256
    cli $lib-dual-ecsuite.cli -cipher ECDHE-ECDSA-CHACHA20-POLY1305
    cli $lib-dual-curve.cli -sigalgs ecdsa_secp256r1_sha256 -groups X25519
    stop $SRV_PID
    A=ECDHE-ECDSA-AES128-GCM-SHA256 B=ECDHE-ECDSA-AES256-GCM-SHA384 C=ECDHE-ECDSA-CHACHA20-POLY1305
    srv $lib order -tls1_2 "${EC[@]}" -cipher "$A:$B" -groups P-256:X25519
    cli $lib-order-client.cli -cipher "$B:$A" -groups X25519:P-256
    stop $SRV_PID
    srv $lib pref -tls1_2 "${EC[@]}" -cipher "$A:$B" -groups P-256:X25519 -serverpref
    cli $lib-order-server.cli -cipher "$B:$A" -groups X25519:P-256
    stop $SRV_PID
    srv $lib chacha -tls1_2 "${EC[@]}" -cipher "$A:$C" -serverpref -prioritize_chacha
    # (-tls1_2: a 1.3-capable client's first suite is a TLS 1.3 one, never ChaCha20's 1.2 suite)
    cli $lib-chacha-first.cli -tls1_2 -cipher "$C:$A"
    cli $lib-chacha-second.cli -tls1_2 -cipher "$A:$C"
    stop $SRV_PID
done
both dual-rsa cli '^New, TLSv1.2, Cipher is ECDHE-RSA-' '^subject=CN = rsa$' 'Peer signature type: RSA-PSS'
both dual-ec cli '^New, TLSv1.2, Cipher is ECDHE-ECDSA-' '^subject=CN = ec$' 'Peer signature type: ECDSA'
both dual-rsasuite cli '^New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256$' '^subject=CN = rsa$'
both dual-ecsuite cli '^New, TLSv1.2, Cipher is ECDHE-ECDSA-CHACHA20-POLY1305$' '^subject=CN = ec$'
# RFC 4492 §5.1: the ECDSA certificate's curve is not among the client's groups
both dual-curve cli 'alert handshake failure' '!^New, TLSv1.2'
both order-client cli "^New, TLSv1.2, Cipher is $B\$" '^Server Temp Key: X25519'
both order-server cli "^New, TLSv1.2, Cipher is $A\$" '^Server Temp Key: ECDH, prime256v1'
both chacha-first cli "^New, TLSv1.2, Cipher is $C\$"
both chacha-second cli "^New, TLSv1.2, Cipher is $A\$"

# ======== resumption ========
for lib in sys keel; do
    for mode in ticket id; do
        extra=()
        [ $mode = id ] && extra=(-no_ticket)
        srv $lib res-$mode -tls1_2 -www "${EC[@]}" "${extra[@]}"
        www $lib-res-$mode.1.cli -sess_out "$T/$lib-$mode.sess"
        www $lib-res-$mode.2.cli -sess_in "$T/$lib-$mode.sess"
        # the session's suite left out of the offer (RFC 5246 §7.4.1.2); an EMS session offered
        # without EMS (RFC 7627 §5.3). A fatal alert ends the session (RFC 5246 §7.2.2): after it,
        # the same session is not found again, so the second failure needs a session of its own.
        cli $lib-res-$mode-nosuite.cli -cipher ECDHE-ECDSA-AES128-GCM-SHA256 -sess_in "$T/$lib-$mode.sess"
        cli $lib-res-$mode-again.cli -sess_in "$T/$lib-$mode.sess"
        cli $lib-res-$mode-fresh.cli -sess_out "$T/$lib-$mode.2.sess"
        OPENSSL_CONF="$T/noems.cnf" cli $lib-res-$mode-noems.cli -sess_in "$T/$lib-$mode.2.sess"
        stop $SRV_PID
        cp "$T/$lib-res-$mode.out" "$T/$lib-res-$mode.srv"
    done
done
both res-ticket.1 cli '^New, TLSv1.2' 'TLS session ticket lifetime hint: 7200'
both res-ticket.2 cli '^Reused, TLSv1.2' '^ +0 items in the session cache' '^ +1 session cache hits'
both res-id.1 cli '^New, TLSv1.2' '!TLS session ticket lifetime hint'
both res-id.2 cli '^Reused, TLSv1.2' '^ +1 items in the session cache' '^ +1 session cache hits'
for mode in ticket id; do
    both res-$mode-nosuite cli 'alert illegal parameter' '!^Reused'
    both res-$mode-noems cli 'alert handshake failure' '!^Reused'
    both res-$mode srv 'required cipher missing' 'inconsistent extms'
done
# the session id of a failed resumption is gone; a ticket still resumes (it is no cache entry)
both res-id-again cli '^New, TLSv1.2' '!^Reused'
both res-ticket-again cli '^Reused, TLSv1.2'

# ======== versions ========
for lib in sys keel; do
    srv $lib v13 "${EC[@]}"
    cli $lib-v11.cli -tls1_1 -cipher DEFAULT@SECLEVEL=0
    cli $lib-fallback.cli -tls1_2 -fallback_scsv
    cli $lib-sentinel13.cli -tls1_2 -msg
    stop $SRV_PID
    srv $lib v12 -tls1_2 -min_protocol TLSv1.2 "${EC[@]}"
    cli $lib-v11min.cli -tls1_1 -cipher DEFAULT@SECLEVEL=0
    cli $lib-fallback12.cli -tls1_2 -fallback_scsv
    cli $lib-sentinel12.cli -tls1_2 -msg
    stop $SRV_PID
    # the ServerHello's random, bytes 24..31 (RFC 8446 §4.1.3)
    for v in 13 12; do
        awk '/ServerHello$/{p=1;next} /^(<<<|>>>)/{p=0} p' "$T/$lib-sentinel$v.cli" | tr -d ' \n' \
            | cut -c 61-76 >"$T/$lib-sentinel$v.tail"
    done
done
# OpenSSL 3.0 negotiates TLS 1.1 where its settings allow it, then finds no signature algorithm
# at security level 1 (internal_error); with a TLS 1.2 minimum it refuses the version.
both v11 cli 'alert internal error'
both v11min cli 'alert protocol version'
both fallback cli 'alert inappropriate fallback'
both fallback12 cli '^New, TLSv1.2'
both sentinel13 tail '^444f574e47524401$'
both sentinel12 tail '!^444f574e47524401$' '^[0-9a-f]{16}$'

# ======== client certificates, ALPN, SNI, renegotiation ========
for lib in sys keel; do
    srv $lib mtls -tls1_2 "${EC[@]}" -Verify 1 -CAfile "$CA"
    cli $lib-mtls-cert.cli -cert "$T/cli.pem" -key "$T/cli.key"
    cli $lib-mtls-none.cli
    stop $SRV_PID
    cp "$T/$lib-mtls.out" "$T/$lib-mtls.srv"
    srv $lib names -tls1_2 "${EC[@]}" -alpn h2,http/1.1 -servername sni.test -cert2 "$T/sni.pem" -key2 "$T/sni.key"
    cli $lib-alpn.cli -alpn http/1.1
    cli $lib-sni.cli -servername sni.test
    stop $SRV_PID
    srv $lib reneg -tls1_2 "${EC[@]}"
    (sleep 0.5; echo R; sleep 1) | timeout 10 openssl s_client -connect 127.0.0.1:$PORT >"$T/$lib-reneg.cli" 2>&1
    stop $SRV_PID
done
both mtls-cert cli '^New, TLSv1.2' '^Client Certificate Types: RSA sign, .*ECDSA sign' \
    '^Acceptable client certificate CA names' 'CN = keel test ca'
both mtls srv '^Client certificate' 'peer did not return a certificate'
both mtls-none cli 'alert handshake failure'
both alpn cli '^ALPN protocol: http/1.1$'
both sni cli '^subject=CN = sni$'
both reneg cli '^RENEGOTIATING' 'alert read:warning:no renegotiation|no renegotiation'

# ======== the info callback: identical state sequences ========
for lib in sys keel; do
    srv $lib st -tls1_2 -state "${EC[@]}" -Verify 1 -CAfile "$CA"
    cli $lib-st1.cli -cert "$T/cli.pem" -key "$T/cli.key" -sess_out "$T/$lib-st.sess"
    cli $lib-st2.cli -cert "$T/cli.pem" -key "$T/cli.key" -sess_in "$T/$lib-st.sess"
    stop $SRV_PID
    grep -E '^SSL_accept|^SSL3 alert' "$T/$lib-st.out" >"$T/$lib-st.seq"
done
if [ -s "$T/sys-st.seq" ] && grep -q '^Reused' "$T/keel-st2.cli" && diff "$T/sys-st.seq" "$T/keel-st.seq" >"$T/st.diff"; then
    pass "state sequences (full with client certificate, then resumed) are OpenSSL's"
else
    fail "state sequences differ from OpenSSL's"
    show "$T/st.diff" "$T/keel-st2.cli"
fi

finish
