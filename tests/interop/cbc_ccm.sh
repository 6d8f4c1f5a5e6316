#!/bin/bash
# Issue 13 items 1 and 4 between keel and OpenSSL 3.0 / GnuTLS, both directions (the "keel side"
# of tls12_common.inc: openssl's own commands on keel's libssl.so.3): every ECDHE CBC suite with
# encrypt_then_mac (RFC 7366, negotiated by default: the ServerHello's extension seen with
# -tlsextdebug) and without it (-no_etm on openssl's side), resumption keeping the mode, the
# AES-CCM / CCM_8 suites of TLS 1.2 (RFC 7251) and TLS 1.3 (RFC 8446 §B.4), and 1 MiB each way
# over a CBC suite in both modes. Run the generic constant-time path too: OPENSSL_ia32cap without
# AES-NI makes libcrypto's stitched AES-CBC-HMAC ciphers unavailable to keel's side.
. "$(dirname "$0")/tls12_common.inc"

ECBC="ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA ECDHE-ECDSA-AES128-SHA256 ECDHE-ECDSA-AES256-SHA384"
RCBC="ECDHE-RSA-AES128-SHA ECDHE-RSA-AES256-SHA ECDHE-RSA-AES128-SHA256 ECDHE-RSA-AES256-SHA384"
CCM12="ECDHE-ECDSA-AES128-CCM ECDHE-ECDSA-AES256-CCM ECDHE-ECDSA-AES128-CCM8 ECDHE-ECDSA-AES256-CCM8"
CCM13="TLS_AES_128_CCM_SHA256 TLS_AES_128_CCM_8_SHA256"
ALL13="TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256"
# Dual certificates: the suite decides which one serves.
DUAL=(-cert "$T/srv-p256.pem" -key "$T/srv-p256.key" -dcert "$T/srv-rsa2048.pem" -dkey "$T/srv-rsa2048.key")
NOAESNI=(env OPENSSL_ia32cap="~0x200000200000000")

sys_srv A.srv -www -cipher ALL -ciphersuites "$ALL13" "${DUAL[@]}"; PA=$PORT
sys_srv A-noetm.srv -www -no_etm -cipher ALL "${DUAL[@]}"; PA_N=$PORT
sys_srv A-tk.srv -tls1_2 -www -no_cache -cipher ALL "${DUAL[@]}"; PA_TK=$PORT
keel_srv B.srv -www -cipher ALL -ciphersuites "$ALL13" "${DUAL[@]}"; PB=$PORT
K B-gen.srv
_start_peer B-gen.srv '^ACCEPT' "${NOAESNI[@]}" "${KP[@]}" openssl s_server -accept 127.0.0.1:@PORT@ -www -cipher ALL "${DUAL[@]}"; PB_G=$PORT
gnutls_srv G.srv --http --x509certfile "$T/srv-p256.pem" --x509keyfile "$T/srv-p256.key" \
    --x509certfile "$T/srv-rsa2048.pem" --x509keyfile "$T/srv-rsa2048.key" \
    --priority "NORMAL:+AES-128-CCM:+AES-256-CCM:+AES-128-CCM-8:+AES-256-CCM-8:+SHA384:+SHA256"; PG=$PORT

G12='NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:-MAC-ALL:+AES-128-CBC:+AES-256-CBC:+SHA1:+SHA256:+SHA384:+AES-128-CCM:+AES-256-CCM:+AES-128-CCM-8:+AES-256-CCM-8:+AEAD'
g_cbc() { case $1 in *AES128-SHA) echo '+AES-128-CBC:+SHA1' ;; *AES256-SHA) echo '+AES-256-CBC:+SHA1' ;;
    *AES128-SHA256) echo '+AES-128-CBC:+SHA256' ;; *AES256-SHA384) echo '+AES-256-CBC:+SHA384' ;;
    *AES128-CCM) echo '+AES-128-CCM:+AEAD' ;; *AES256-CCM) echo '+AES-256-CCM:+AEAD' ;;
    *AES128-CCM8) echo '+AES-128-CCM-8:+AEAD' ;; *AES256-CCM8) echo '+AES-256-CCM-8:+AEAD' ;; esac; }
g_kxp() { case $1 in ECDHE-ECDSA-*) echo '+ECDHE-ECDSA' ;; *) echo '+ECDHE-RSA' ;; esac; }
TLSX='TLS server extension "encrypt-then-mac"'

for s in $ECBC $RCBC $CCM12; do
    spawn kc kc-$s $PA -tls1_2 -cipher "$s" -tlsextdebug "${OV[@]}"
    spawn sc sc-$s $PB -tls1_2 -cipher "$s" -tlsextdebug "${OV[@]}"
    spawn gc gc-$s $PB "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:-MAC-ALL:-KX-ALL:$(g_kxp $s):$(g_cbc $s)"
    spawn kc kg-$s $PG -tls1_2 -cipher "$s" -tlsextdebug "${OV[@]}"
done
for s in $ECBC $RCBC; do
    spawn kc kcn-$s $PA_N -tls1_2 -cipher "$s" -tlsextdebug "${OV[@]}"
    spawn sc scn-$s $PB -tls1_2 -cipher "$s" -tlsextdebug -no_etm "${OV[@]}"
    spawn kc kcno-$s $PA -tls1_2 -cipher "$s" -tlsextdebug -no_etm "${OV[@]}"
    spawn sc scg-$s $PB_G -tls1_2 -cipher "$s" -tlsextdebug -no_etm "${OV[@]}"
done
for s in $CCM13; do
    spawn kc kc-$s $PA -ciphersuites "$s" "${OV[@]}"
    spawn sc sc-$s $PB -ciphersuites "$s" "${OV[@]}"
done
# Resumption by ticket keeps encrypt_then_mac (and MAC-then-encrypt).
spawn eval 'kc res.1 $PA_TK -tls1_2 -cipher ECDHE-RSA-AES128-SHA256 -tlsextdebug "${OV[@]}" -sess_out "$T/res.sess";
            kc res.2 $PA_TK -tls1_2 -cipher ECDHE-RSA-AES128-SHA256 -tlsextdebug "${OV[@]}" -sess_in "$T/res.sess"'
spawn eval 'sc resb.1 $PB -tls1_2 -cipher ECDHE-ECDSA-AES256-SHA -tlsextdebug "${OV[@]}" -sess_out "$T/resb.sess";
            sc resb.2 $PB -tls1_2 -cipher ECDHE-ECDSA-AES256-SHA -tlsextdebug "${OV[@]}" -sess_in "$T/resb.sess"'
drain

for s in $ECBC $RCBC $CCM12; do
    cbc=1; case $s in *CCM*) cbc=0 ;; esac
    e="$TLSX"; [ $cbc = 1 ] || e="!$TLSX"
    ok "kc-$s: keel client -> openssl s_server" @"$T/kc-$s.cli" "Cipher is $s" "$e" @"$T/kc-$s.page" "Cipher is $s"
    ok "sc-$s: openssl s_client -> keel server" @"$T/sc-$s.cli" "Cipher is $s" "$e" @"$T/sc-$s.page" "Cipher is $s"
    ok "gc-$s: gnutls-cli -> keel server" @"$T/gc-$s.out" "Handshake was completed" @"$T/gc-$s.page" "Cipher is $s"
    ok "kg-$s: keel client -> gnutls-serv" @"$T/kg-$s.cli" "Cipher is $s" "$e" @"$T/kg-$s.page" "TLS1.2"
done
for s in $ECBC $RCBC; do
    ok "kcn-$s: keel client -> openssl s_server -no_etm" @"$T/kcn-$s.cli" "Cipher is $s" "!$TLSX" @"$T/kcn-$s.page" "Cipher is $s"
    ok "scn-$s: openssl s_client -no_etm -> keel server" @"$T/scn-$s.cli" "Cipher is $s" "!$TLSX" @"$T/scn-$s.page" "Cipher is $s"
    ok "kcno-$s: keel client with -no_etm -> openssl" @"$T/kcno-$s.cli" "Cipher is $s" "!$TLSX" @"$T/kcno-$s.page" "Cipher is $s"
    ok "scg-$s: openssl s_client -no_etm -> keel server, generic MtE path" @"$T/scg-$s.cli" "Cipher is $s" "!$TLSX" @"$T/scg-$s.page" "Cipher is $s"
done
for s in $CCM13; do
    ok "kc-$s: keel client -> openssl s_server (TLS 1.3)" @"$T/kc-$s.cli" "Cipher is $s" @"$T/kc-$s.page" "Cipher is $s"
    ok "sc-$s: openssl s_client -> keel server (TLS 1.3)" @"$T/sc-$s.cli" "Cipher is $s" @"$T/sc-$s.page" "Cipher is $s"
done
ok "res: keel client resumes with openssl, encrypt_then_mac kept" @"$T/res.1.cli" '^New, ' "$TLSX" @"$T/res.2.cli" '^Reused, ' "$TLSX"
ok "resb: openssl client resumes with keel, encrypt_then_mac kept" @"$T/resb.1.cli" '^New, ' "$TLSX" @"$T/resb.2.cli" '^Reused, ' "$TLSX"
stop_servers

# ======== 1 MiB each way, CBC with and without encrypt_then_mac, stitched and generic ========
# The server's stdin (a FIFO) gives B and stays open until it has received all of A; the client
# reads until the server closes (as tls12_features.sh).
digits "$T/A" 1048576
digits "$T/B" 1048576
# bulk N SIDE PREFIX SUITE ARGS: SIDE keel-client or keel-server; PREFIX (env ... or -) before
# keel's side; ARGS for both peers.
bulk() {
    local n=$1 side=$2 pre=$3 suite=$4 pfx=()
    shift 4
    [ "$pre" = - ] || pfx=($pre)
    mkfifo "$T/$n.srv.in"
    { cat "$T/B"; hold_until_size "$T/$n.srv.out" 1048576 20; } >"$T/$n.srv.in" &
    if [ "$side" = keel-client ]; then
        sys_srv $n.srv -tls1_2 -quiet -naccept 1 -cipher "$suite" "${DUAL[@]}" "$@"
        K $n
        timeout 30 "${pfx[@]}" "${KP[@]}" openssl s_client -quiet -tls1_2 -cipher "$suite" -connect 127.0.0.1:$PORT "${OV[@]}" "$@" <"$T/A" >"$T/$n.out" 2>"$T/$n.err"
    else
        K $n.srv
        _start_peer $n.srv - "${pfx[@]}" "${KP[@]}" openssl s_server -accept 127.0.0.1:@PORT@ -quiet -naccept 1 -cipher "$suite" "${DUAL[@]}" "$@"
        timeout 30 openssl s_client -quiet -tls1_2 -cipher "$suite" -connect 127.0.0.1:$PORT "${OV[@]}" "$@" <"$T/A" >"$T/$n.out" 2>"$T/$n.err"
    fi
    wait_exit "$SRV_PID" 10
    [ "$(sha256sum <"$T/A")" = "$(sha256sum <"$T/$n.srv.out")" ] && pass "$n: 1 MiB client -> server intact ($side, $suite $*)" ||
        { fail "$n: client -> server data differs ($(stat -c %s "$T/$n.srv.out") bytes)"; show "$T/$n.err"; }
    [ "$(sha256sum <"$T/B")" = "$(sha256sum <"$T/$n.out")" ] && pass "$n: 1 MiB server -> client intact ($side, $suite $*)" ||
        { fail "$n: server -> client data differs ($(stat -c %s "$T/$n.out") bytes)"; show "$T/$n.err"; }
}
bulk bulk-kc-etm keel-client - ECDHE-ECDSA-AES128-SHA &
bulk bulk-ks-mte keel-server - ECDHE-RSA-AES256-SHA384 -no_etm
wait
bulk bulk-kc-mte keel-client - ECDHE-ECDSA-AES128-SHA256 -no_etm -max_send_frag 512 &
bulk bulk-ks-gen keel-server "${NOAESNI[*]}" ECDHE-RSA-AES128-SHA -no_etm
wait
bulk bulk-kc-gen keel-client "${NOAESNI[*]}" ECDHE-ECDSA-AES256-SHA -no_etm &
bulk bulk-ccm8 keel-server - ECDHE-ECDSA-AES256-CCM8
wait
check_traces
finish
