#!/bin/bash
# Session files across implementations (issue #11 item 10): keel writes sessions in OpenSSL's
# SSL_SESSION encoding and reads OpenSSL's.
#   - `openssl sess_id -text` reads keel s_client's -sess_out file and shows what keel negotiated
#     (protocol, cipher, ticket lifetime, verify result, a 48-byte resumption PSK for SHA-384), and
#     libcrypto's asn1parse finds SNI and ALPN in their fields;
#   - openssl s_client -sess_in on that file resumes against keel s_server (so the PSK, ticket,
#     age_add, time and timeout landed where OpenSSL reads them);
#   - keel s_client -sess_in on a file openssl s_client -sess_out wrote against keel s_server resumes
#     (Reused on both sides), also after `openssl sess_id` rewrote the file as DER and back as PEM;
#   - each with stateless tickets and with the stateful cache (-no_ticket).
. "$(dirname "$0")/lib.sh"

make_ca ca && make_cert ca srv p256 || { fail "cannot make certificates"; finish; }
CA="$T/ca.pem"
CERT=(-cert "$T/srv.pem" -key "$T/srv.key")
KC=(-servername localhost -CAfile "$CA" -alpn h2)
OC=(-servername localhost -CAfile "$CA" -verify_return_error -alpn h2)
info() { awk '/^HTTP\/1\.[01] 200/{exit} {print}' "$1"; }
kpage() { awk 'p{print} /^keel s_server$/{p=1}' "$1"; }

for mode in tickets stateful; do
    extra=()
    [ $mode = stateful ] && extra=(-no_ticket)
    # -servername: the server acknowledges SNI (without a servername callback neither OpenSSL's
    # nor keel's does, and the session then has no hostname, RFC 6066 §3)
    start_keel_server k-$mode -servername localhost -www -alpn h2 -ciphersuites TLS_AES_256_GCM_SHA384 "${extra[@]}" "${CERT[@]}"

    # ---- keel writes, OpenSSL reads ----
    n=k2o-$mode
    keel_client $n.1 -connect 127.0.0.1:$PORT "${KC[@]}" -sess_out "$T/$n.pem" || fail "$n: keel s_client exited $?"
    expect "$n: keel: New" "$T/$n.1.out" '^New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384' "$T/$n.1.err"
    if openssl sess_id -in "$T/$n.pem" -text -noout >"$T/$n.text" 2>&1; then
        pass "$n: openssl sess_id reads keel's file"
    else
        fail "$n: openssl sess_id cannot read keel's file"
        show "$T/$n.text" "$T/$n.pem"
    fi
    expect "$n: sess_id: protocol" "$T/$n.text" '^ +Protocol +: TLSv1\.3$'
    expect "$n: sess_id: cipher" "$T/$n.text" '^ +Cipher +: TLS_AES_256_GCM_SHA384$'
    expect "$n: sess_id: a session id" "$T/$n.text" '^ +Session-ID: [0-9A-F]{2,}$'
    expect "$n: sess_id: 48-byte resumption PSK" "$T/$n.text" '^ +Resumption PSK: [0-9A-F]{96}$'
    expect "$n: sess_id: ticket lifetime" "$T/$n.text" '^ +TLS session ticket lifetime hint: 7200 \(seconds\)$'
    expect "$n: sess_id: a ticket" "$T/$n.text" '^ +TLS session ticket:$'
    expect "$n: sess_id: timeout" "$T/$n.text" '^ +Timeout +: 7200 \(sec\)$'
    expect "$n: sess_id: verify result" "$T/$n.text" '^ +Verify return code: 0 \(ok\)$'
    # sess_id does not print SNI or ALPN: libcrypto's asn1parse shows them in their fields
    openssl asn1parse -in "$T/$n.pem" >"$T/$n.asn1" 2>&1 || fail "$n: openssl asn1parse cannot read keel's file"
    grep -A1 'cont \[ 6 \]' "$T/$n.asn1" | grep -q 'OCTET STRING +:localhost$' -E &&
        pass "$n: asn1parse: [6] is the hostname" || fail "$n: asn1parse: no hostname in [6]"
    grep -A1 'cont \[ 16 \]' "$T/$n.asn1" | grep -q 'OCTET STRING +:h2$' -E &&
        pass "$n: asn1parse: [16] is the ALPN protocol" || fail "$n: asn1parse: no ALPN in [16]"
    start=$(awk '/Start Time:/{print $3}' "$T/$n.text")
    now=$(date +%s)
    [ -n "$start" ] && [ $((now - start)) -ge 0 ] && [ $((now - start)) -lt 60 ] &&
        pass "$n: sess_id: start time is the connection's" || fail "$n: sess_id: start time $start (now $now)"
    openssl_client $n.2 -connect 127.0.0.1:$PORT "${OC[@]}" -sess_in "$T/$n.pem"
    expect "$n: openssl s_client -sess_in keel's file: Reused" "$T/$n.2.out" '^Reused, TLSv1.3' "$T/k-$mode.err"
    kpage "$T/$n.2.out" >"$T/$n.2.page"
    expect "$n: keel s_server page: Reused" "$T/$n.2.page" '^Reused, TLSv1.3, Cipher is'

    # ---- OpenSSL writes, keel reads ----
    n=o2k-$mode
    openssl_client $n.1 -connect 127.0.0.1:$PORT "${OC[@]}" -sess_out "$T/$n.pem"
    expect "$n: openssl s_client: New" "$T/$n.1.out" '^New, TLSv1.3'
    keel_client $n.2 -connect 127.0.0.1:$PORT "${KC[@]}" -sess_in "$T/$n.pem" || fail "$n: keel s_client exited $?"
    info "$T/$n.2.out" >"$T/$n.2.info"
    expect "$n: keel s_client -sess_in OpenSSL's file: Reused" "$T/$n.2.info" '^Reused, TLSv1.3' "$T/$n.2.err"
    expect "$n: keel s_server page: Reused" "$T/$n.2.out" '^Reused, TLSv1.3, Cipher is'
    # the same session after OpenSSL re-encoded it, through DER
    if openssl sess_id -in "$T/$n.pem" -outform DER -out "$T/$n.der" &&
            openssl sess_id -inform DER -in "$T/$n.der" -out "$T/$n.re.pem"; then
        keel_client $n.3 -connect 127.0.0.1:$PORT "${KC[@]}" -sess_in "$T/$n.re.pem" || fail "$n: keel s_client exited $?"
        info "$T/$n.3.out" >"$T/$n.3.info"
        expect "$n: keel s_client -sess_in the re-encoded file: Reused" "$T/$n.3.info" '^Reused, TLSv1.3' "$T/$n.3.err"
    else
        fail "$n: openssl sess_id cannot re-encode its own file"
    fi
    stop "$SRV_PID"
done

finish
