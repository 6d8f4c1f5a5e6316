#!/bin/bash
# TLS 1.3 in the RFC 7919 finite-field groups (ffdhe2048 .. ffdhe8192, RFC 8446 §4.2.7, §4.2.8.1)
# between keel and OpenSSL 3.0 / GnuTLS, both directions, over loopback. "keel" is the system
# `openssl` command on keel's libssl.so.3 (loader traces checked) and keel's own tool.
#   - each group, both directions, with openssl and gnutls: the key share of the group's size
#     (openssl's "Server Temp Key: DH, N bits", gnutls' DHE-FFDHEN), both sides' view;
#   - HelloRetryRequest: a default client (x25519 share) to a server allowing one ffdhe group only;
#   - keel's default supported_groups as openssl s_server prints them: OpenSSL 3.0's list and order.
. "$(dirname "$0")/tls12_common.inc"

FF="ffdhe2048 ffdhe3072 ffdhe4096 ffdhe6144 ffdhe8192"
bits() { echo "${1#ffdhe}"; }
G13='NORMAL:-VERS-ALL:+VERS-TLS1.3'
GRP() { echo "$G13:-GROUP-ALL:+GROUP-$(echo "$1" | tr a-z A-Z)"; }
C=$(cert rsa2048)

for g in $FF; do
    sys_srv A-$g.srv -tls1_3 -www -groups $g $C
    PA=$PORT
    keel_srv B-$g.srv -tls1_3 -www -groups $g $C
    PB=$PORT
    gnutls_srv G-$g.srv --http --x509certfile "$T/srv-rsa2048.pem" --x509keyfile "$T/srv-rsa2048.key" --priority "$(GRP $g)"
    PG=$PORT
    ktool_srv T-$g.srv -www -groups $g $C
    PT=$PORT
    # clients that offer only this group (its key share in the first ClientHello)
    spawn kc a-$g $PA -groups $g "${OV[@]}"
    spawn kc g-$g $PG -groups $g "${OV[@]}"
    spawn sc b-$g $PB -groups $g "${OV[@]}"
    spawn gc bg-$g $PB "$(GRP $g)"
    spawn sc t-$g $PT -groups $g "${OV[@]}"
    spawn kt at-$g $PA -CAfile "$CA" -servername localhost -groups $g
    # default clients: x25519 share first, the server asks for its group (HelloRetryRequest)
    spawn kc ah-$g $PA "${OV[@]}"
    spawn sc bh-$g $PB "${OV[@]}"
    spawn kt ath-$g $PA -CAfile "$CA" -servername localhost
    drain
    stop_servers
done

for g in $FF; do
    n=$(bits $g)
    G=$(echo $g | tr a-z A-Z)
    ok "a-$g: keel client -> openssl s_server" @"$T/a-$g.cli" "^Server Temp Key: DH, $n bits" \
        '^New, TLSv1.3, Cipher is TLS_' 'Verify return code: 0 \(ok\)' \
        @"$T/a-$g.page" "^Shared groups: $g\$" "^Supported groups: $g\$"
    ok "g-$g: keel client -> gnutls-serv" @"$T/g-$g.cli" "^Server Temp Key: DH, $n bits" \
        '^New, TLSv1.3, Cipher is TLS_' @"$T/g-$g.page" "\(TLS1.3-X.509\)-\(DHE-$G\)-"
    ok "b-$g: openssl s_client -> keel (openssl s_server)" @"$T/b-$g.cli" "^Server Temp Key: DH, $n bits" \
        '^New, TLSv1.3, Cipher is TLS_' 'Verify return code: 0 \(ok\)' @"$T/b-$g.page" "^Shared groups: $g\$"
    ok "bg-$g: gnutls-cli -> keel (openssl s_server)" @"$T/bg-$g.cli" "\(TLS1.3-X.509\)-\(DHE-$G\)-" \
        'Status: The certificate is trusted' @"$T/bg-$g.page" '^New, TLSv1.3, Cipher is TLS_'
    ok "t-$g: openssl s_client -> keel s_server" @"$T/t-$g.cli" "^Server Temp Key: DH, $n bits" \
        '^New, TLSv1.3' @"$T/T-$g.srv.out" "^Negotiated group: $g\$"
    ok "at-$g: keel s_client -> openssl s_server" @"$T/at-$g.cli" '^Protocol: TLSv1.3$' \
        "^Negotiated group: $g\$" @"$T/at-$g.page" "^Shared groups: $g\$"
    ok "ah-$g: keel client (default groups) -> openssl s_server -groups $g (HelloRetryRequest)" \
        @"$T/ah-$g.cli" "^Server Temp Key: DH, $n bits" '^New, TLSv1.3' \
        @"$T/ah-$g.page" "^Shared groups: $g\$" \
        '^Supported groups: x25519:secp256r1:x448:secp521r1:secp384r1:ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192$'
    ok "bh-$g: openssl s_client (default) -> keel (openssl s_server -groups $g, HelloRetryRequest)" \
        @"$T/bh-$g.cli" "^Server Temp Key: DH, $n bits" '^New, TLSv1.3' @"$T/bh-$g.page" "^Shared groups: $g\$"
    ok "ath-$g: keel s_client (default) -> openssl s_server -groups $g" @"$T/ath-$g.cli" \
        "^Negotiated group: $g\$" @"$T/ath-$g.page" "^Shared groups: $g\$"
done

check_traces
finish
