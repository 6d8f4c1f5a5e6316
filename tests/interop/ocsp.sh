#!/bin/bash
# OCSP stapling (issue #13 item 6; RFC 6066 §8 in TLS 1.2, RFC 8446 §4.4.2.1 in TLS 1.3) between
# keel and real peers, both versions, both directions, with a response `openssl ocsp` signs for
# the test CA:
#   - openssl s_client -status on keel -> openssl s_server -status_file, and gnutls-serv
#     --ocsp-response; a server that staples nothing;
#   - openssl s_client -status (system) and gnutls-cli --ocsp -> openssl s_server -status_file on keel;
#   - curl --cert-status (system) -> openssl s_server on keel, and curl --cert-status on keel ->
#     openssl s_server (system);
#   - nginx (nginx-light) on keel stapling a file (ssl_stapling_file) -> curl --cert-status.
# The "keel side" and KEEL_T12_SELFTEST=1 (the same programs on the system libssl, to validate
# the script) are tls12_common.inc's.
. "$(dirname "$0")/tls12_common.inc"
for tool in curl nginx; do
    command -v $tool >/dev/null || fail "$tool is not installed (make deps: nginx-light)"
done
[ "$FAILS" -eq 0 ] || finish

# ---- an OCSP response for srv-p256, signed by the CA itself (RFC 6960 §4.2.2.2) ----
serial=$(openssl x509 -in "$T/srv-p256.pem" -noout -serial | cut -d= -f2)
subject=$(openssl x509 -in "$T/srv-p256.pem" -noout -subject -nameopt compat | sed 's/^subject=//')
printf 'V\t%s\t\t%s\tunknown\t%s\n' "$(date -u -d '+3 days' +%y%m%d%H%M%SZ)" "$serial" "$subject" >"$T/index.txt"
openssl ocsp -issuer "$CA" -cert "$T/srv-p256.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
openssl ocsp -index "$T/index.txt" -rsigner "$CA" -rkey "$T/ca.key" -CA "$CA" -reqin "$T/req.der" \
    -respout "$T/resp.der" -ndays 1 >/dev/null 2>&1
openssl ocsp -respin "$T/resp.der" -resp_text -noverify 2>/dev/null | grep -q 'Cert Status: good' ||
    { fail "cannot make the OCSP response"; finish; }
# (curl finds the issuer for its OCSP check in the chain the server sends)
STAPLE=(-cert "$T/srv-p256.pem" -key "$T/srv-p256.key" -cert_chain "$CA" -status_file "$T/resp.der")
GOOD=('OCSP Response Status: successful' 'Cert Status: good' 'Verify return code: 0 \(ok\)')

# ======== keel as the client ========
sys_srv A.srv -www "${STAPLE[@]}"; PA=$PORT
sys_srv N.srv -www $(cert p256); PN=$PORT
gnutls_srv G.srv --http --ocsp-response "$T/resp.der" --x509certfile "$T/srv-p256.pem" --x509keyfile "$T/srv-p256.key"; PG=$PORT
for v in 1_2 1_3; do
    spawn kc c-a-$v $PA -tls$v -status "${OV[@]}"
    spawn kc c-n-$v $PN -tls$v -status "${OV[@]}"
    spawn kc c-g-$v $PG -tls$v -status "${OV[@]}"
    spawn kc c-x-$v $PA -tls$v "${OV[@]}"
done
K curl-k
timeout 20 "${KP[@]}" curl -sSv --cert-status --cacert "$CA" -o /dev/null "https://localhost:$PA/" >"$T/curl-k.out" 2>&1
drain
stop_servers
for v in 1_2 1_3; do
    ver=TLSv${v/_/.}
    ok "keel client -> openssl s_server -status_file ($ver): response stapled and verified" @"$T/c-a-$v.cli" "${GOOD[@]}" "^New, $ver, Cipher is"
    ok "keel client -> gnutls-serv --ocsp-response ($ver): response stapled and verified" @"$T/c-g-$v.cli" "${GOOD[@]}" "^New, $ver, Cipher is"
    ok "keel client -> a server without a response ($ver): none, handshake completes" @"$T/c-n-$v.cli" \
        'OCSP response: no response sent' 'Verify return code: 0 \(ok\)' "^New, $ver, Cipher is"
    ok "keel client without -status ($ver): nothing asked, nothing stapled" @"$T/c-x-$v.cli" \
        '!OCSP response' '!Cert Status' 'Verify return code: 0 \(ok\)'
done
ok "curl --cert-status on keel -> openssl s_server -status_file" @"$T/curl-k.out" 'SSL certificate status: good'

# ======== keel as the server ========
keel_srv B.srv -www "${STAPLE[@]}"; PB=$PORT
keel_srv BN.srv -www $(cert p256); PBN=$PORT
for v in 1_2 1_3; do
    spawn sc s-b-$v $PB -tls$v -status "${OV[@]}"
    spawn sc s-n-$v $PBN -tls$v -status "${OV[@]}"
    m=${v/_/.}
    spawn eval "timeout 20 curl -sSv --cert-status --tls-max $m --cacert '$CA' -o /dev/null https://localhost:$PB/ >'$T/curl-s-$v.out' 2>&1"
    spawn eval "timeout 20 curl -sSv --cert-status --tls-max $m --cacert '$CA' -o /dev/null https://localhost:$PBN/ >'$T/curl-sn-$v.out' 2>&1"
    prio="NORMAL:-VERS-ALL:+VERS-TLS$m"
    spawn gc g-b-$v $PB "$prio" --ocsp
    spawn gc g-n-$v $PBN "$prio" --ocsp
done
drain
stop_servers
for v in 1_2 1_3; do
    ver=TLSv${v/_/.}
    ok "openssl s_client -status -> keel s_server -status_file ($ver): stapled and verified" @"$T/s-b-$v.cli" "${GOOD[@]}" "^New, $ver, Cipher is"
    ok "openssl s_client -status -> keel server without a response ($ver)" @"$T/s-n-$v.cli" \
        'OCSP response: no response sent' 'Verify return code: 0 \(ok\)'
    ok "curl --cert-status -> keel ($ver): good" @"$T/curl-s-$v.out" 'SSL certificate status: good' "SSL connection using $ver"
    ok "curl --cert-status -> keel stapling nothing ($ver): refused" @"$T/curl-sn-$v.out" \
        'No OCSP response received|OCSP response' '!SSL certificate status: good'
    ok "gnutls-cli --ocsp -> keel ($ver): stapled" @"$T/g-b-$v.out" 'Options: .*OCSP status request' 'Handshake was completed'
    # (gnutls-cli then asks the certificate's responder, which it does not name)
    ok "gnutls-cli --ocsp -> keel stapling nothing ($ver)" @"$T/g-n-$v.out" '!Options: .*OCSP status request' \
        'Cannot find OCSP server URI'

done

# ======== nginx on keel, stapling a file ========
cat "$T/srv-p256.pem" "$CA" >"$T/srv-chain.pem"
start_nginx "        ssl_certificate $T/srv-chain.pem;
        ssl_certificate_key $T/srv-p256.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_stapling on;
        ssl_stapling_file $T/resp.der;" 'nginx $ssl_protocol' ||
    { fail "nginx on keel did not start"; show "$T/nginx.out" "$NGX/error.log"; }
p=$PORT
for v in 1.2 1.3; do
    timeout 20 curl -sSv --tlsv$v --cert-status --tls-max $v --cacert "$CA" "https://localhost:$p/" >"$T/ngx-$v.out" 2>&1
    ok "nginx on keel, ssl_stapling_file -> curl --cert-status (TLSv$v)" @"$T/ngx-$v.out" \
        'SSL certificate status: good' "^nginx TLSv$v\$"
done
stop_servers

check_traces
finish
