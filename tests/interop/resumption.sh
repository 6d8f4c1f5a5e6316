#!/bin/bash
# TLS 1.3 session resumption across implementations: keel <-> openssl and keel <-> gnutls, both
# ways, with stateless tickets and with the server's stateful cache (-no_ticket), through
# -sess_out / -sess_in across processes and through keel s_client -reconnect. "Reused" is asserted
# on both sides wherever the peer shows it.
. "$(dirname "$0")/lib.sh"

make_ca ca && make_cert ca srv p256 || { fail "cannot make certificates"; finish; }
CA="$T/ca.pem"
CERT=(-cert "$T/srv.pem" -key "$T/srv.key")
KC=(-servername localhost -CAfile "$CA")
OC=(-servername localhost -CAfile "$CA" -verify_return_error)
GNUTLS_PRIO='NORMAL:-VERS-ALL:+VERS-TLS1.3'

# info / page parts of a keel s_client output that fetched an HTTP page: keel's own lines come
# before the status line, the server's page after it.
info() { awk '/^HTTP\/1\.[01] 200/{exit} {print}' "$1"; }
page() { awk 'p{print} /^HTTP\/1\.[01] 200/{p=1}' "$1"; }
# keel s_server's page inside an openssl s_client output
kpage() { awk 'p{print} /^keel s_server$/{p=1}' "$1"; }
count() { grep -cE -- "$2" "$1" 2>/dev/null; }

# check_reconnect NAME: keel -reconnect output = 1 New then 5 Reused, and the server's page of
# the last connection says Reused.
check_reconnect() {
    local n=$1
    info "$T/$n.out" >"$T/$n.info"
    page "$T/$n.out" >"$T/$n.page"
    local new reused
    new=$(count "$T/$n.info" '^New, TLSv1.3, Cipher is')
    reused=$(count "$T/$n.info" '^Reused, TLSv1.3, Cipher is')
    if [ "$new" = 1 ] && [ "$reused" = 5 ]; then
        pass "$n: keel: 1 New then 5 Reused"
    else
        fail "$n: keel: $new New, $reused Reused (want 1 and 5)"
        show "$T/$n.info" "$T/$n.err"
    fi
}

# ======== keel s_client -> openssl s_server ========
for mode in tickets stateful; do
    extra=()
    [ $mode = stateful ] && extra=(-no_ticket)
    start_openssl_server o-$mode -www "${extra[@]}" "${CERT[@]}"
    n=k2o-$mode-reconnect
    keel_client $n -connect 127.0.0.1:$PORT "${KC[@]}" -reconnect || fail "$n: keel s_client exited $?"
    check_reconnect $n
    expect "$n: openssl s_server: last connection Reused" "$T/$n.page" '^Reused, TLSv1.3, Cipher is'
    if [ $mode = stateful ]; then
        expect "$n: openssl s_server counted 5 cache hits" "$T/$n.page" '^ +5 session cache hits'
    fi

    n=k2o-$mode-sess
    keel_client $n.1 -connect 127.0.0.1:$PORT "${KC[@]}" -sess_out "$T/$n.pem" || fail "$n: first keel s_client exited $?"
    expect "$n: first connection New" "$T/$n.1.out" '^New, TLSv1.3'
    expect "$n: session written" "$T/$n.pem" '^-----BEGIN SSL SESSION PARAMETERS-----'
    keel_client $n.2 -connect 127.0.0.1:$PORT "${KC[@]}" -sess_in "$T/$n.pem" || fail "$n: second keel s_client exited $?"
    info "$T/$n.2.out" >"$T/$n.2.info"
    page "$T/$n.2.out" >"$T/$n.2.page"
    expect "$n: keel -sess_in: Reused" "$T/$n.2.info" '^Reused, TLSv1.3' "$T/$n.2.err"
    expect "$n: openssl s_server: Reused" "$T/$n.2.page" '^Reused, TLSv1.3'
    stop "$SRV_PID"
done

# ======== openssl s_client -> keel s_server ========
for mode in tickets stateful; do
    extra=()
    [ $mode = stateful ] && extra=(-no_ticket)
    start_keel_server k-$mode -www "${extra[@]}" "${CERT[@]}"
    n=o2k-$mode-sess
    # openssl s_client -sess_out writes the session at exit; reading the page first means the
    # tickets (sent right after the handshake) have arrived.
    openssl_client $n.1 -connect 127.0.0.1:$PORT "${OC[@]}" -sess_out "$T/$n.pem"
    expect "$n: first connection New" "$T/$n.1.out" '^New, TLSv1.3'
    openssl_client $n.2 -connect 127.0.0.1:$PORT "${OC[@]}" -sess_in "$T/$n.pem"
    expect "$n: openssl s_client: Reused" "$T/$n.2.out" '^Reused, TLSv1.3' "$T/k-$mode.err"
    kpage "$T/$n.2.out" >"$T/$n.2.page"
    expect "$n: keel s_server page: Reused" "$T/$n.2.page" '^Reused, TLSv1.3, Cipher is'
    expect "$n: keel s_server log: Reused" "$T/k-$mode.out" '^Reused, TLSv1.3'
    # keel <-> keel through the same server: -reconnect and -sess_out/-sess_in.
    n=k2k-$mode-reconnect
    keel_client $n -connect 127.0.0.1:$PORT "${KC[@]}" -reconnect || fail "$n: keel s_client exited $?"
    check_reconnect $n
    expect "$n: keel s_server page: Reused" "$T/$n.page" '^Reused, TLSv1.3'
    stop "$SRV_PID"
done

# -num_tickets 0: nothing to resume with, so every connection must be New on both sides.
start_keel_server k-none -www -num_tickets 0 "${CERT[@]}"
n=k2k-no-tickets
keel_client $n -connect 127.0.0.1:$PORT "${KC[@]}" -reconnect || fail "$n: keel s_client exited $?"
c=$(count "$T/$n.out" '^New, TLSv1.3, Cipher is')
[ "$c" -ge 7 ] && pass "$n: every connection New ($c lines: keel's and the pages')" ||
    { fail "$n: only $c New lines (want 6 from keel + 1 page)"; show "$T/$n.out"; }
expect_not "$n: nothing Reused" "$T/$n.out" '^Reused'
n=o2k-no-tickets
# openssl s_client writes -sess_out from its new-session callback, i.e. when a ticket arrives.
openssl_client $n -connect 127.0.0.1:$PORT "${OC[@]}" -sess_out "$T/$n.pem"
expect "$n: openssl s_client: New" "$T/$n.out" '^New, TLSv1.3'
[ ! -e "$T/$n.pem" ] && pass "$n: no ticket reached openssl s_client" ||
    fail "$n: openssl s_client got a session ticket from keel s_server -num_tickets 0"
stop "$SRV_PID"

# ======== keel <-> gnutls ========
if command -v gnutls-serv >/dev/null && command -v gnutls-cli >/dev/null; then
    start_gnutls_server g --http --x509certfile "$T/srv.pem" --x509keyfile "$T/srv.key" --priority "$GNUTLS_PRIO"
    n=k2g-reconnect
    keel_client $n -connect 127.0.0.1:$PORT "${KC[@]}" -reconnect || fail "$n: keel s_client exited $?"
    check_reconnect $n
    n=k2g-sess
    keel_client $n.1 -connect 127.0.0.1:$PORT "${KC[@]}" -sess_out "$T/$n.pem" || fail "$n: first keel s_client exited $?"
    keel_client $n.2 -connect 127.0.0.1:$PORT "${KC[@]}" -sess_in "$T/$n.pem" || fail "$n: second keel s_client exited $?"
    expect "$n: keel -sess_in: Reused" "$T/$n.2.out" '^Reused, TLSv1.3' "$T/$n.2.err"
    stop "$SRV_PID"

    for mode in tickets stateful; do
        extra=()
        [ $mode = stateful ] && extra=(-no_ticket)
        start_keel_server kg-$mode -www -naccept 2 "${extra[@]}" "${CERT[@]}"
        n=g2k-$mode
        printf '%s' "$HTTP_GET" | timeout 20 gnutls-cli --x509cafile "$CA" --priority "$GNUTLS_PRIO" \
            --resume -p "$PORT" localhost >"$T/$n.out" 2>&1
        expect "$n: gnutls-cli: This is a resumed session" "$T/$n.out" 'This is a resumed session' "$T/kg-$mode.err"
        expect "$n: keel s_server: Reused" "$T/kg-$mode.out" '^Reused, TLSv1.3'
        wait_exit "$SRV_PID" 5 && pass "$n: keel s_server exit 0" || fail "$n: keel s_server exit $?"
    done
else
    fail "gnutls-bin is not installed"
fi

finish
