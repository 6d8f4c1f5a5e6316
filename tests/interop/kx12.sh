#!/bin/bash
# TLS 1.2 finite-field DHE (RFC 5246 §7.4.3) and RSA key transport (§7.4.7.1) between keel and
# OpenSSL 3.0 / GnuTLS, both directions, over loopback. "keel" is the system `openssl` command on
# keel's libssl.so.3 (loader traces checked) and keel's own tool as a client.
#   - DHE-RSA-{AES128-GCM,AES256-GCM,CHACHA20} in each RFC 7919 group given as -dhparam files
#     (ffdhe2048 .. ffdhe8192), and in s_server's automatic parameters (SSL_CTX_set_dh_auto: RFC
#     3526's 2048-bit group for an RSA-2048 certificate): openssl's "Server Temp Key: DH, N bits"
#     and the master key both sides print, gnutls' DHE description;
#   - AES128-GCM-SHA256 / AES256-GCM-SHA384 with RSA key transport: no temporary key, one master key;
#   - the CBC suites of both kinds (DHE-RSA-AES{128,256}-SHA{,256}, AES{128,256}-SHA{,256}) with
#     openssl both ways (with encrypt_then_mac, the default) and gnutls;
#   - a 1024-bit prime (RFC 5114's, from a server at level 0): refused by a client at security
#     level 2 ("dh key too small"), taken at level 1, by keel's client as by OpenSSL's.
. "$(dirname "$0")/tls12_common.inc"

C=$(cert rsa2048)
FF="ffdhe2048 ffdhe3072 ffdhe4096 ffdhe6144 ffdhe8192"
for g in $FF dh_1024_160; do
    openssl genpkey -genparam -algorithm DH -pkeyopt group:$g -out "$T/$g.pem" 2>/dev/null ||
        fail "cannot write DH parameters $g"
done
[ "$FAILS" -eq 0 ] || finish
bits() { case $1 in auto) echo 2048 ;; *) echo "${1#ffdhe}" ;; esac; }
DHP() { [ "$1" = auto ] || echo -dhparam "$T/$1.pem"; }
GDH='NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA'
GRSA='NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA'
RSA_KX="AES128-GCM-SHA256 AES256-GCM-SHA384"
CBC="DHE-RSA-AES128-SHA DHE-RSA-AES256-SHA DHE-RSA-AES128-SHA256 DHE-RSA-AES256-SHA256 AES128-SHA AES256-SHA AES128-SHA256 AES256-SHA256"

for g in $FF auto; do
    sys_srv A-$g.srv -tls1_2 -www $(DHP $g) $C
    PA=$PORT
    keel_srv B-$g.srv -www $(DHP $g) $C
    PB=$PORT
    gdh=()
    [ $g != auto ] && gdh=(--dhparams "$T/$g.pem")
    gnutls_srv G-$g.srv --http --x509certfile "$T/srv-rsa2048.pem" --x509keyfile "$T/srv-rsa2048.key" \
        --priority "NORMAL:-VERS-ALL:+VERS-TLS1.2:+DHE-RSA:+RSA" "${gdh[@]}"
    PG=$PORT
    spawn kc a-$g $PA -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256 "${OV[@]}"
    spawn kc g-$g $PG -tls1_2 -cipher DHE-RSA-AES256-GCM-SHA384 "${OV[@]}"
    spawn sc b-$g $PB -tls1_2 -cipher DHE-RSA-CHACHA20-POLY1305 "${OV[@]}"
    spawn gc bg-$g $PB "$GDH"
    spawn kt at-$g $PA -tls1_2 -cipher DHE-RSA-AES256-GCM-SHA384 -CAfile "$CA" -servername localhost
    if [ $g = auto ]; then
        for s in $RSA_KX; do
            spawn kc a-$s $PA -tls1_2 -cipher $s "${OV[@]}"
            spawn kc g-$s $PG -tls1_2 -cipher $s "${OV[@]}"
            spawn sc b-$s $PB -tls1_2 -cipher $s "${OV[@]}"
            spawn kt at-$s $PA -tls1_2 -cipher $s -CAfile "$CA" -servername localhost
        done
        spawn gc bg-rsa $PB "$GRSA"
        for s in $CBC; do
            spawn kc a-$s $PA -tls1_2 -cipher $s "${OV[@]}"
            spawn sc b-$s $PB -tls1_2 -cipher $s "${OV[@]}"
        done
        spawn kc g-cbc $PG -tls1_2 -cipher DHE-RSA-AES128-SHA "${OV[@]}"
        spawn gc bg-cbc $PB "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA:-CIPHER-ALL:+AES-256-CBC:-MAC-ALL:+SHA1"
    fi
    drain
    stop_servers
done

# a 1024-bit prime from a level-0 server
sys_srv A-1024.srv -tls1_2 -www -dhparam "$T/dh_1024_160.pem" -cipher 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0' $C
P=$PORT
spawn kc small2 $P -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256 "${OV[@]}"
spawn sc small2-sys $P -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256 "${OV[@]}"
spawn kc small1 $P -tls1_2 -cipher 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=1' "${OV[@]}"
spawn sc small1-sys $P -tls1_2 -cipher 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=1' "${OV[@]}"
drain
stop_servers

for g in $FF auto; do
    n=$(bits $g)
    ok "a-$g: keel client -> openssl s_server (DHE $g)" @"$T/a-$g.cli" "^Server Temp Key: DH, $n bits" \
        '^New, TLSv1.2, Cipher is DHE-RSA-AES128-GCM-SHA256$' 'Verify return code: 0 \(ok\)' \
        @"$T/a-$g.page" '^New, TLSv1.2, Cipher is DHE-RSA-AES128-GCM-SHA256$' @"$T/a-$g.facts" '^mk agree$'
    ok "g-$g: keel client -> gnutls-serv (DHE $g)" @"$T/g-$g.cli" "^Server Temp Key: DH, $n bits" \
        '^New, TLSv1.2, Cipher is DHE-RSA-AES256-GCM-SHA384$' @"$T/g-$g.page" '\(TLS1.2-X.509\)-\(DHE-'
    ok "b-$g: openssl s_client -> keel (openssl s_server, DHE $g)" @"$T/b-$g.cli" "^Server Temp Key: DH, $n bits" \
        '^New, TLSv1.2, Cipher is DHE-RSA-CHACHA20-POLY1305$' 'Verify return code: 0 \(ok\)' \
        @"$T/b-$g.page" '^New, TLSv1.2, Cipher is DHE-RSA-CHACHA20-POLY1305$' @"$T/b-$g.facts" '^mk agree$'
    ok "bg-$g: gnutls-cli -> keel (openssl s_server, DHE $g)" @"$T/bg-$g.cli" \
        '\(TLS1.2-X.509\)-\(DHE-[A-Z0-9]+\)-\(RSA-[A-Z0-9-]+\)-\(AES-(128|256)-GCM\)' \
        'Status: The certificate is trusted' @"$T/bg-$g.page" '^New, TLSv1.2, Cipher is DHE-RSA-'
    ok "at-$g: keel s_client -> openssl s_server (DHE $g)" @"$T/at-$g.cli" '^Protocol: TLSv1.2$' \
        '^Cipher: DHE-RSA-AES256-GCM-SHA384$' 'Verify return code: 0 \(ok\)' \
        @"$T/at-$g.page" '^New, TLSv1.2, Cipher is DHE-RSA-AES256-GCM-SHA384$'
done
for s in $RSA_KX; do
    ok "a-$s: keel client -> openssl s_server (RSA key transport)" @"$T/a-$s.cli" "^New, TLSv1.2, Cipher is $s\$" \
        '!Server Temp Key' 'Verify return code: 0 \(ok\)' @"$T/a-$s.page" "^New, TLSv1.2, Cipher is $s\$" \
        @"$T/a-$s.facts" '^mk agree$'
    ok "g-$s: keel client -> gnutls-serv (RSA key transport)" @"$T/g-$s.cli" "^New, TLSv1.2, Cipher is $s\$" \
        '!Server Temp Key' @"$T/g-$s.page" '\(TLS1.2-X.509\)-\(RSA\)-'
    ok "b-$s: openssl s_client -> keel (openssl s_server, RSA key transport)" @"$T/b-$s.cli" \
        "^New, TLSv1.2, Cipher is $s\$" '!Server Temp Key' 'Verify return code: 0 \(ok\)' \
        @"$T/b-$s.page" "^New, TLSv1.2, Cipher is $s\$" @"$T/b-$s.facts" '^mk agree$'
    ok "at-$s: keel s_client -> openssl s_server (RSA key transport)" @"$T/at-$s.cli" '^Protocol: TLSv1.2$' \
        "^Cipher: $s\$" @"$T/at-$s.page" "^New, TLSv1.2, Cipher is $s\$"
done
ok "bg-rsa: gnutls-cli -> keel (openssl s_server, RSA key transport)" @"$T/bg-rsa.cli" \
    '\(TLS1.2-X.509\)-\(RSA\)-\(AES-(128|256)-GCM\)' 'Status: The certificate is trusted' \
    @"$T/bg-rsa.page" '^New, TLSv1.2, Cipher is AES(128|256)-GCM-SHA(256|384)$'

for s in $CBC; do
    tk='^Server Temp Key: DH, 2048 bits'
    case $s in DHE-*) ;; *) tk='!Server Temp Key' ;; esac
    # (s_client names the version the suite was defined in: SSLv3 for the SHA-1 ones)
    nv="^New, (TLSv1.2|SSLv3), Cipher is $s\$"
    ok "a-$s: keel client -> openssl s_server (CBC)" @"$T/a-$s.cli" "$nv" "$tk" '^    Protocol  : TLSv1.2$' \
        'Verify return code: 0 \(ok\)' @"$T/a-$s.page" "$nv" @"$T/a-$s.facts" '^mk agree$'
    ok "b-$s: openssl s_client -> keel (openssl s_server, CBC)" @"$T/b-$s.cli" "$nv" "$tk" '^    Protocol  : TLSv1.2$' \
        @"$T/b-$s.page" "$nv" @"$T/b-$s.facts" '^mk agree$'
done
ok "g-cbc: keel client -> gnutls-serv (DHE-RSA-AES128-SHA)" @"$T/g-cbc.cli" \
    '^New, (TLSv1.2|SSLv3), Cipher is DHE-RSA-AES128-SHA$' '^Server Temp Key: DH' @"$T/g-cbc.page" '\(DHE-'
ok "bg-cbc: gnutls-cli -> keel (openssl s_server, RSA key transport, AES-256-CBC SHA1)" @"$T/bg-cbc.cli" \
    '\(TLS1.2-X.509\)-\(RSA\)-\(AES-256-CBC\)-\(SHA1\)' @"$T/bg-cbc.page" '^New, (TLSv1.2|SSLv3), Cipher is AES256-SHA$'

ok "small2: keel client at level 2 refuses a 1024-bit prime, as OpenSSL's" \
    @"$T/small2.cli" 'dh key too small' '!Cipher is DHE' @"$T/small2-sys.cli" 'dh key too small' '!Cipher is DHE'
ok "small1: keel client at level 1 takes a 1024-bit prime, as OpenSSL's" \
    @"$T/small1.cli" '^Server Temp Key: DH, 1024 bits' '^New, TLSv1.2, Cipher is DHE-RSA-AES128-GCM-SHA256$' \
    @"$T/small1.facts" '^mk agree$' @"$T/small1-sys.cli" '^Server Temp Key: DH, 1024 bits'

check_traces
finish
