#!/bin/bash
# TLS 1.2 (issue #12) between keel and OpenSSL 3.0 / GnuTLS 3.7, both directions, over loopback.
# "keel" is a real program on keel's libssl.so.3: the system `openssl` command (s_client/s_server)
# run with LD_LIBRARY_PATH=$KEEL_LIBDIR (the loader's trace of every such process is checked, as in
# dropin.sh), and keel's own `keel` tool where it has the options (it has no -tls1_2/-cipher: it
# runs 1.3-capable against peers pinned to 1.2). Peers run on the system libssl.
#   - every suite x its key types: ECDHE-ECDSA-{AES128-GCM,AES256-GCM,CHACHA20} with ECDSA
#     P-256/P-384/P-521, Ed25519, Ed448 certificates; ECDHE-RSA-{...} with RSA 2048 (rsa_pkcs1 and
#     rsa_pss_rsae sigalgs) and an RSA-PSS certificate (rsa_pss_pss); every group (X25519, X448,
#     P-256, P-384, P-521). Asserted per connection from both sides' output: protocol, cipher,
#     group, signature type, EMS, and the master key printed by both sides being the same;
#   - RFC 4492 §5.1/§5.3 as OpenSSL applies it: a client whose groups omit the ECDSA certificate's
#     curve is refused.
# The other TLS 1.2 features (resumption, EMS, mTLS, ALPN/SNI, 1 MiB, key log, downgrade sentinel,
# fallback SCSV) are in tls12_features.sh; programs (curl, nginx, python3) in dropin12.sh.
# KEEL_T12_SELFTEST=1 runs the same script with KEEL_LIBDIR = the system libssl's directory: every
# "keel" process then runs on the system libssl, and every check must pass (validates the script).
# KEEL_T12_JOBS: clients run at once (default 6). SHOW_MAX: failures shown in detail (default 6).
. "$(dirname "$0")/tls12_common.inc"

# ======== the matrix: suites x key types, groups ========
# Per key type: a system openssl s_server -tls1_2 (A), gnutls-serv 1.2 (G), openssl s_server on
# keel (B, 1.3-capable), keel's tool s_server (T); clients against each, in parallel.
# Connection names: NAME = side-key-suite-variant[-group].
for k in $KEYTYPES; do
    sys_srv A-$k.srv -tls1_2 -www $(cert $k)
    PA=$PORT
    gnutls_srv G-$k.srv --http --x509certfile "$T/srv-$k.pem" --x509keyfile "$T/srv-$k.key" --priority "$PRIO12"
    PG=$PORT
    keel_srv B-$k.srv -www $(cert $k)
    PB=$PORT
    ktool_srv T-$k.srv -www $(cert $k)
    PT=$PORT
    while read -r s v; do
        IFS=: read -r vn osig otype gsign gre <<<"$v"
        sg=()
        [ "$osig" != - ] && sg=(-sigalgs "$osig")
        gp="$PRIO12:-CIPHER-ALL:+$(g_cipher $s):-KX-ALL:+$(g_kx $s)"
        [ "$gsign" != - ] && gp="$gp:-SIGN-ALL:+$gsign"
        c="$k-$s-$vn"
        spawn kc a-$c $PA -tls1_2 -cipher $s "${sg[@]}" "${OV[@]}"
        spawn kc g-$c $PG -tls1_2 -cipher $s "${sg[@]}" "${OV[@]}"
        spawn sc b-$c $PB -tls1_2 -cipher $s "${sg[@]}" "${OV[@]}"
        spawn gc bg-$c $PB "$gp"
        spawn sc t-$c $PT -tls1_2 -cipher $s "${sg[@]}" "${OV[@]}"
    done < <(variants $k)
    # keel's tool as client: 1.3-capable, the server picks the suite.
    spawn kt at-$k $PA -CAfile "$CA" -servername localhost
    # Groups on the RSA server: in TLS 1.2 the client's supported_groups also bounds the curve of
    # an ECDSA certificate (RFC 4492 §5.1, §5.3, kept by RFC 8422; checked below), which an RSA certificate avoids.
    if [ $k = rsa2048 ]; then
        s=ECDHE-RSA-AES128-GCM-SHA256
        for g in $GROUPS_; do
            spawn kc a-grp-$g $PA -tls1_2 -cipher $s -groups $g "${OV[@]}"
            spawn kc g-grp-$g $PG -tls1_2 -cipher $s -groups $g "${OV[@]}"
            spawn sc b-grp-$g $PB -tls1_2 -cipher $s -groups $g "${OV[@]}"
            spawn gc bg-grp-$g $PB "$PRIO12:-CIPHER-ALL:+AES-128-GCM:-GROUP-ALL:+GROUP-$(g_grp $g)"
            spawn sc t-grp-$g $PT -tls1_2 -cipher $s -groups $g "${OV[@]}"
            spawn kt at-grp-$g $PA -CAfile "$CA" -servername localhost -groups $g
        done
    fi
    if [ $k = p256 ]; then
        # a client whose supported_groups omit P-256 cannot be served with the P-256 certificate
        spawn kc a-curve $PA -tls1_2 -groups X25519 "${OV[@]}"
        spawn sc b-curve $PB -tls1_2 -groups X25519 "${OV[@]}"
        spawn sc t-curve $PT -tls1_2 -groups X25519 "${OV[@]}"
    fi
    drain
    stop_servers
done

# checks of the matrix
for k in $KEYTYPES; do
    while read -r s v; do
        IFS=: read -r vn osig otype gsign gre <<<"$v"
        c="$k-$s-$vn"
        # keel's openssl s_client -> openssl s_server: s_client's lines are keel's API, the page
        # is the system's view of the same connection.
        ok "a-$c: keel client -> openssl s_server" \
            @"$T/a-$c.cli" "^New, TLSv1.2, Cipher is $s\$" "$V12" "^Peer signature type: $otype\$" \
            '^Server Temp Key: X25519' 'Verify return code: 0 \(ok\)' 'Extended master secret: yes' \
            @"$T/a-$c.page" "^New, TLSv1.2, Cipher is $s\$" 'Extended master secret: yes' \
            @"$T/a-$c.facts" '^mk agree$'
        ok "g-$c: keel client -> gnutls-serv" \
            @"$T/g-$c.cli" "^New, TLSv1.2, Cipher is $s\$" "^Peer signature type: $otype\$" \
            '^Server Temp Key: X25519' 'Verify return code: 0 \(ok\)' 'Extended master secret: yes' \
            @"$T/g-$c.page" "\(TLS1.2-X.509\)-\(ECDHE-X25519\)-\($gre\)-\($(g_cipher $s)\)" "$(g_suite $s)"
        ok "b-$c: openssl s_client -> keel (openssl s_server)" \
            @"$T/b-$c.cli" "^New, TLSv1.2, Cipher is $s\$" "^Peer signature type: $otype\$" \
            '^Server Temp Key: X25519' 'Verify return code: 0 \(ok\)' 'Extended master secret: yes' \
            @"$T/b-$c.page" "^New, TLSv1.2, Cipher is $s\$" "$V12" 'Extended master secret: yes' \
            @"$T/b-$c.facts" '^mk agree$'
        ok "bg-$c: gnutls-cli -> keel (openssl s_server)" \
            @"$T/bg-$c.cli" "Description: \(TLS1.2-X.509\)-\(ECDHE-[A-Z0-9]+\)-\($gre\)-\($(g_cipher $s)\)" \
            'Options: extended master secret' 'Status: The certificate is trusted' \
            @"$T/bg-$c.page" "^New, TLSv1.2, Cipher is $s\$" 'Extended master secret: yes'
        ok "t-$c: openssl s_client -> keel s_server" \
            @"$T/t-$c.cli" "^New, TLSv1.2, Cipher is $s\$" "^Peer signature type: $otype\$" \
            '^Server Temp Key: X25519' 'Verify return code: 0 \(ok\)' 'Extended master secret: yes' \
            @"$T/t-$c.page" '^Protocol: TLSv1.2$' "^Cipher: $s\$"
    done < <(variants $k)
    case $k in rsa*) au=RSA ;; *) au=ECDSA ;; esac
    ok "at-$k: keel s_client (1.3-capable) -> openssl s_server -tls1_2" \
        @"$T/at-$k.cli" '^Protocol: TLSv1.2$' "^Cipher: ECDHE-$au-" '^Negotiated group: x25519$' \
        'Verify return code: 0 \(ok\)' @"$T/at-$k.page" "^New, TLSv1.2, Cipher is ECDHE-$au-"
done
for g in $GROUPS_; do
    s=ECDHE-RSA-AES128-GCM-SHA256
    ok "a-grp-$g: keel client -> openssl s_server" @"$T/a-grp-$g.cli" "^Server Temp Key: $(o_tmp $g)" \
        "^New, TLSv1.2, Cipher is $s\$" @"$T/a-grp-$g.page" "^New, TLSv1.2, Cipher is $s\$" @"$T/a-grp-$g.facts" '^mk agree$'
    ok "g-grp-$g: keel client -> gnutls-serv" @"$T/g-grp-$g.cli" "^Server Temp Key: $(o_tmp $g)" \
        "^New, TLSv1.2, Cipher is $s\$" @"$T/g-grp-$g.page" "\(TLS1.2-X.509\)-\(ECDHE-$(g_grp $g)\)-"
    ok "b-grp-$g: openssl s_client -> keel (openssl s_server)" @"$T/b-grp-$g.cli" "^Server Temp Key: $(o_tmp $g)" \
        "^New, TLSv1.2, Cipher is $s\$" @"$T/b-grp-$g.page" "^New, TLSv1.2, Cipher is $s\$" @"$T/b-grp-$g.facts" '^mk agree$'
    ok "bg-grp-$g: gnutls-cli -> keel (openssl s_server)" \
        @"$T/bg-grp-$g.cli" "Description: \(TLS1.2-X.509\)-\(ECDHE-$(g_grp $g)\)-\(RSA-[A-Z0-9-]+\)-\(AES-128-GCM\)" \
        @"$T/bg-grp-$g.page" "^New, TLSv1.2, Cipher is $s\$"
    ok "t-grp-$g: openssl s_client -> keel s_server" @"$T/t-grp-$g.cli" "^Server Temp Key: $(o_tmp $g)" \
        @"$T/t-grp-$g.page" "^Cipher: $s\$" @"$T/T-rsa2048.srv.out" "^Negotiated group: $(k_grp $g)\$"
    ok "at-grp-$g: keel s_client -> openssl s_server -tls1_2" @"$T/at-grp-$g.cli" '^Protocol: TLSv1.2$' \
        "^Negotiated group: $(k_grp $g)\$" @"$T/at-grp-$g.page" '^New, TLSv1.2, Cipher is ECDHE-RSA-'
done

# RFC 4492 §5.1, §5.3 (RFC 8422) as OpenSSL applies it: the ECDSA certificate's curve must be in the client's list.
ok "a-curve: openssl s_server refuses keel's client offering only X25519 to a P-256 certificate" \
    @"$T/a-curve.cli" 'alert handshake failure' '!Cipher is ECDHE' @"$T/A-p256.srv.out" 'no shared cipher'
ok "b-curve: keel (openssl s_server) refuses a client offering only X25519 to its P-256 certificate" \
    @"$T/b-curve.cli" 'alert handshake failure' '!Cipher is ECDHE' @"$T/B-p256.srv.out" 'no shared cipher'
ok "t-curve: keel s_server refuses a client offering only X25519 to its P-256 certificate" \
    @"$T/t-curve.cli" 'alert handshake failure' '!Cipher is ECDHE'

check_traces
finish
