#!/bin/bash
# keel <-> GnuTLS 3.7 (an independent TLS 1.3 implementation), both directions over loopback:
# keel s_client against gnutls-serv (echo server) for each suite, group and server key type, and
# gnutls-cli against keel s_server -www with the same variety; HelloRetryRequest both ways.
. "$(dirname "$0")/lib.sh"
if ! command -v gnutls-serv >/dev/null || ! command -v gnutls-cli >/dev/null; then
    fail "gnutls-bin is not installed"
    finish
fi

SUITES="TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256"
GROUPS_="X25519 P-256 P-384 P-521 X448"
KEYTYPES="p256 p384 rsa2048 ed25519"
PRIO='NORMAL:-VERS-ALL:+VERS-TLS1.3'
g_cipher() { case $1 in TLS_AES_128_GCM_SHA256) echo AES-128-GCM ;; TLS_AES_256_GCM_SHA384) echo AES-256-GCM ;; TLS_CHACHA20_POLY1305_SHA256) echo CHACHA20-POLY1305 ;; esac; }
g_group() { case $1 in X25519) echo X25519 ;; X448) echo X448 ;; P-256) echo SECP256R1 ;; P-384) echo SECP384R1 ;; P-521) echo SECP521R1 ;; esac; }
keel_group() { case $1 in X25519) echo x25519 ;; X448) echo x448 ;; P-256) echo secp256r1 ;; P-384) echo secp384r1 ;; P-521) echo secp521r1 ;; esac; }

make_ca ca || { fail "cannot make the CA"; finish; }
for t in $KEYTYPES; do make_cert ca "srv-$t" "$t" || fail "cannot make the $t certificate"; done
CA="$T/ca.pem"
KC=(-servername localhost -CAfile "$CA")

# ======== keel s_client -> gnutls-serv (echo) ========
# keel sends a line, then close_notify at EOF on stdin, and reads until gnutls closes.
echo "hello from keel $$" >"$T/line"
kecho() {
    local n=$1
    shift
    cp "$T/line" "$T/$n.in"
    keel_client $n -connect 127.0.0.1:$PORT "${KC[@]}" "$@" || fail "$n: keel s_client exited $?"
    expect "$n: echoed" "$T/$n.out" "^hello from keel $$\$" "$T/$n.err"
    expect "$n: verified" "$T/$n.out" '^Verify return code: 0 \(ok\)$'
}
start_gnutls_server gsrv --echo --x509certfile "$T/srv-p256.pem" --x509keyfile "$T/srv-p256.key" --priority "$PRIO"
for s in $SUITES; do
    n=k2g-suite-$s
    kecho $n -ciphersuites $s
    expect "$n: negotiated $s" "$T/$n.out" "^Cipher: $s\$"
done
for g in $GROUPS_; do
    n=k2g-group-$g
    kecho $n -groups $g
    expect "$n: negotiated $g" "$T/$n.out" "^Negotiated group: $(keel_group $g)\$"
done
stop "$SRV_PID"
for t in $KEYTYPES; do
    n=k2g-key-$t
    start_gnutls_server $n.srv --echo --x509certfile "$T/srv-$t.pem" --x509keyfile "$T/srv-$t.key" --priority "$PRIO"
    kecho $n
    expect "$n: server certificate" "$T/$n.out" "^subject=CN = srv-$t\$"
    stop "$SRV_PID"
done

# HelloRetryRequest: keel's first key share is P-256, gnutls-serv only takes P-384.
n=k2g-hrr
start_gnutls_server $n.srv -d 4 --echo --x509certfile "$T/srv-p256.pem" --x509keyfile "$T/srv-p256.key" \
    --priority "$PRIO:-GROUP-ALL:+GROUP-SECP384R1"
kecho $n -groups P-256:P-384
expect "$n: negotiated P-384" "$T/$n.out" '^Negotiated group: secp384r1$'
c=$(grep -c 'CLIENT HELLO .*was received' "$T/$n.srv.out")
[ "$c" = 2 ] && pass "$n: gnutls-serv received two ClientHellos" ||
    { fail "$n: gnutls-serv received $c ClientHellos (want 2)"; grep -i 'hello' "$T/$n.srv.out" | head | sed 's/^/  | /'; }
stop "$SRV_PID"

# ======== gnutls-cli -> keel s_server -www ========
# gnutls-cli sends the request and prints the page until keel closes.
gcli() {
    local n=$1 prio=$2
    shift 2
    printf '%s' "$HTTP_GET" | timeout 20 gnutls-cli "$@" --x509cafile "$CA" --priority "$prio" -p "$PORT" localhost \
        >"$T/$n.out" 2>&1
}
start_keel_server ksrv -www -cert "$T/srv-p256.pem" -key "$T/srv-p256.key"
for s in $SUITES; do
    n=g2k-suite-$s
    gcli $n "$PRIO:-CIPHER-ALL:+$(g_cipher $s)" && pass "$n: gnutls-cli exit 0" || fail "$n: gnutls-cli exit $?"
    expect "$n: gnutls negotiated $(g_cipher $s)" "$T/$n.out" "Description: \(TLS1.3-X.509\)-.*-\($(g_cipher $s)\)" "$T/ksrv.err"
    expect "$n: keel's page reports $s" "$T/$n.out" "^Cipher: $s\$"
done
for g in $GROUPS_; do
    n=g2k-group-$g
    gcli $n "$PRIO:-GROUP-ALL:+GROUP-$(g_group $g)" && pass "$n: gnutls-cli exit 0" || fail "$n: gnutls-cli exit $?"
    expect "$n: gnutls negotiated $g" "$T/$n.out" "Description: \(TLS1.3-X.509\)-\(ECDHE-$(g_group $g)\)" "$T/ksrv.err"
done
stop "$SRV_PID"
for t in $KEYTYPES; do
    n=g2k-key-$t
    start_keel_server $n.srv -www -naccept 1 -cert "$T/srv-$t.pem" -key "$T/srv-$t.key"
    gcli $n "$PRIO" && pass "$n: gnutls-cli verified keel's $t server" || { fail "$n: gnutls-cli exit $?"; show "$T/$n.out" "$T/$n.srv.err"; }
    expect "$n: page" "$T/$n.out" '^keel s_server$'
    wait_exit "$SRV_PID" 5 && pass "$n: keel s_server exit 0" || fail "$n: keel s_server exit $?"
done

# HelloRetryRequest: gnutls's first (only) key share is P-256, keel s_server only takes P-384.
# (gnutls shares X25519 and P-256 at once when both are enabled, so only NIST groups are listed.)
n=g2k-hrr
start_keel_server $n.srv -www -naccept 1 -groups P-384 -cert "$T/srv-p256.pem" -key "$T/srv-p256.key"
gcli $n "$PRIO:-GROUP-ALL:+GROUP-SECP256R1:+GROUP-SECP384R1" -d 4 && pass "$n: gnutls-cli exit 0" || fail "$n: gnutls-cli exit $?"
expect "$n: gnutls received a HelloRetryRequest" "$T/$n.out" 'HELLO RETRY REQUEST .*was received' "$T/$n.srv.err"
expect "$n: P-384 after HRR" "$T/$n.out" 'Description: \(TLS1.3-X.509\)-\(ECDHE-SECP384R1\)'
expect "$n: keel s_server reports secp384r1" "$T/$n.srv.out" '^Negotiated group: secp384r1$'

finish
