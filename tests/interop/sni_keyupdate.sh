#!/bin/bash
# keel <-> OpenSSL 3.0: SNI switching the server certificate (s_server -servername/-cert2/-key2,
# SSL_set_SSL_CTX), KeyUpdate in the middle of a connection in both directions (the tools' "k"/"K"
# input lines call SSL_key_update; openssl -msg shows every KeyUpdate and its request byte), and a
# handshake without a shared signature scheme.
. "$(dirname "$0")/lib.sh"

make_ca ca && make_cert ca srv p256 && make_cert ca sni2 p256 DNS:other.test ||
    { fail "cannot make the certificates"; finish; }
CA="$T/ca.pem"
CERT=(-cert "$T/srv.pem" -key "$T/srv.key")
CERT2=(-servername other.test -cert2 "$T/sni2.pem" -key2 "$T/sni2.key")

# ======== SNI ========
# openssl s_client -> keel s_server: other.test gets the second certificate, localhost the first.
start_keel_server ksni -www "${CERT[@]}" "${CERT2[@]}"
KSNI_PID=$SRV_PID
n=o2k-sni-other
openssl_client $n -connect 127.0.0.1:$PORT -CAfile "$CA" -verify_return_error \
    -servername other.test -verify_hostname other.test
expect "$n: second certificate" "$T/$n.out" '^subject=CN = sni2$' "$T/ksni.err"
expect "$n: verified" "$T/$n.out" '^Verify return code: 0 \(ok\)'
expect "$n: keel s_server switched context" "$T/ksni.err" '^Switching server context\.$'
n=o2k-sni-localhost
openssl_client $n -connect 127.0.0.1:$PORT -CAfile "$CA" -verify_return_error \
    -servername localhost -verify_hostname localhost
expect "$n: first certificate" "$T/$n.out" '^subject=CN = srv$' "$T/ksni.err"
expect "$n: verified" "$T/$n.out" '^Verify return code: 0 \(ok\)'
c=$(grep -c '^Switching server context' "$T/ksni.err")
[ "$c" = 1 ] && pass "o2k-sni: keel s_server switched once" || fail "o2k-sni: switched $c times (want 1)"
stop "$KSNI_PID"

# keel s_client -> openssl s_server -servername -cert2 -key2.
start_openssl_server osni -www "${CERT[@]}" "${CERT2[@]}"
OSNI_PID=$SRV_PID
n=k2o-sni-other
keel_client $n -connect 127.0.0.1:$PORT -CAfile "$CA" -servername other.test || fail "$n: keel s_client exited $?"
expect "$n: second certificate" "$T/$n.out" '^subject=CN = sni2$' "$T/$n.err"
expect "$n: verified" "$T/$n.out" '^Verify return code: 0 \(ok\)'
n=k2o-sni-localhost
keel_client $n -connect 127.0.0.1:$PORT -CAfile "$CA" -servername localhost || fail "$n: keel s_client exited $?"
expect "$n: first certificate" "$T/$n.out" '^subject=CN = srv$' "$T/$n.err"
expect "$n: verified" "$T/$n.out" '^Verify return code: 0 \(ok\)'
stop "$OSNI_PID"

# ======== KeyUpdate ========
# ku_log FILE: the data lines and KeyUpdates in an openssl -msg transcript, in order; a KeyUpdate
# is "<KU01" (received, update_requested) / ">KU00" (sent, update_not_requested) and so on.
ku_log() {
    awk '/^(<<<|>>>) TLS 1\.3, Handshake .*KeyUpdate/ { d = substr($0, 1, 1); getline; print d "KU" $NF; next }
         /^[cs]-hello[0-9]$/ { print }' "$1" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'
}
# same_log NAME FILE WANT
same_log() {
    local got
    got=$(ku_log "$2")
    if [ "$got" = "$3" ]; then pass "$1: $3"; else fail "$1: got '$got', want '$3'"; show "$2"; fi
}
# Each line goes out once the previous one has arrived, so that a command line is a read of its own
# for openssl's tools (they only look at the start of what one read returns).

# keel s_client -> openssl s_server -msg. keel sends K (update_requested) between two lines; the
# server must answer with its own KeyUpdate before its data; then the server sends K and keel
# answers before its last line.
n=k2o-ku
mkfifo "$T/$n.srv.in" "$T/$n.in"
{
    wait_for "$T/$n.srv.out" '^c-hello2$' 8 || exit
    printf 's-hello1\n'
    wait_for "$T/$n.out" '^s-hello1$' 5
    printf 'K\n'
    sleep 0.3
    printf 's-hello2\n'
    hold_until "$T/$n.srv.out" 'CONNECTION CLOSED' 8
} >"$T/$n.srv.in" &
BG_PIDS+=($!)
start_openssl_server $n.srv -naccept 1 -msg "${CERT[@]}"
SPID=$SRV_PID
{
    wait_for "$T/$n.out" '^Verify return code' 8 || exit
    printf 'c-hello1\n'
    wait_for "$T/$n.srv.out" '^c-hello1$' 5
    printf 'K\n'
    sleep 0.3
    printf 'c-hello2\n'
    wait_for "$T/$n.out" '^s-hello2$' 8
    printf 'c-hello3\n'
    hold_until "$T/$n.srv.out" '^c-hello3$' 5
} >"$T/$n.in" &
BG_PIDS+=($!)
keel_client $n -connect 127.0.0.1:$PORT -CAfile "$CA" -servername localhost || fail "$n: keel s_client exited $?"
wait_exit "$SPID" 5
same_log "$n: openssl s_server's transcript" "$T/$n.srv.out" \
    'c-hello1 <KU01 c-hello2 >KU00 >KU01 <KU00 c-hello3'
expect "$n: keel received line 1" "$T/$n.out" '^s-hello1$' "$T/$n.err"
expect "$n: keel received line 2" "$T/$n.out" '^s-hello2$'
expect "$n: keel reported its KeyUpdate" "$T/$n.err" '^KEYUPDATE \(update_requested\)$'
expect_not "$n: the command was not sent as data" "$T/$n.srv.out" '^K$'

# openssl s_client -msg -> keel s_server: openssl sends K; keel answers, then sends k
# (update_not_requested) between two lines.
n=o2k-ku
mkfifo "$T/$n.srv.in" "$T/$n.in"
{
    wait_for "$T/$n.srv.out" '^c-hello2$' 10 || exit
    printf 's-hello1\n'
    wait_for "$T/$n.out" '^s-hello1$' 5
    printf 'k\n'
    sleep 0.3
    printf 's-hello2\n'
    hold_until "$T/$n.srv.out" '^c-hello3$' 8
} >"$T/$n.srv.in" &
BG_PIDS+=($!)
start_keel_server $n.srv -naccept 1 "${CERT[@]}"
SPID=$SRV_PID
{
    wait_for "$T/$n.out" '^Verify return code' 8 || exit
    printf 'c-hello1\n'
    wait_for "$T/$n.srv.out" '^c-hello1$' 5
    printf 'K\n'
    sleep 0.3
    printf 'c-hello2\n'
    wait_for "$T/$n.out" '^s-hello2$' 8
    printf 'c-hello3\n'
    hold_until "$T/$n.srv.out" '^c-hello3$' 5
} >"$T/$n.in" &
BG_PIDS+=($!)
openssl_client $n -connect 127.0.0.1:$PORT -CAfile "$CA" -servername localhost -msg
wait_exit "$SPID" 5 && pass "$n: keel s_server exit 0" || fail "$n: keel s_server exit $?"
same_log "$n: openssl s_client's transcript" "$T/$n.out" '>KU01 <KU00 s-hello1 <KU00 s-hello2'
for i in 1 2 3; do
    expect "$n: keel received line $i" "$T/$n.srv.out" "^c-hello$i\$" "$T/$n.srv.err"
done
expect "$n: keel reported its KeyUpdate" "$T/$n.srv.err" '^KEYUPDATE$'
expect_not "$n: the command was not sent as data" "$T/$n.out" '^k$'

# -nocommands: "K" is data.
n=k2o-nocommands
printf 'x1\nK\nk\nx2\n' >"$T/$n.in"
start_openssl_server $n.srv -quiet -naccept 1 "${CERT[@]}"
SPID=$SRV_PID
keel_client $n -connect 127.0.0.1:$PORT -CAfile "$CA" -servername localhost -quiet -nocommands ||
    fail "$n: keel s_client exited $?"
wait_exit "$SPID" 5
if [ "$(cat "$T/$n.srv.out" 2>/dev/null)" = "$(cat "$T/$n.in")" ]; then
    pass "$n: K and k sent as data"
else
    fail "$n: openssl s_server received something else"
    show "$T/$n.srv.out" "$T/$n.err"
fi

# ======== no shared signature scheme ========
# openssl s_client offers only ed25519; the server holds only an ECDSA certificate. openssl
# s_server is the reference: keel must fail the same way and send the same alert.
alert_text() { grep -oE '(sslv3|tlsv1|tlsv13) alert [a-z ]+' "$1" 2>/dev/null | head -n1 | sed 's/ *$//'; }
n=o2k-no-sigalg
start_openssl_server $n.ref.srv -naccept 1 "${CERT[@]}"
openssl_client $n.ref -connect 127.0.0.1:$PORT -CAfile "$CA" -sigalgs ed25519
wait_exit "$SRV_PID" 5
expect "$n: openssl s_server's reason (reference)" "$T/$n.ref.srv.out" 'no suitable signature algorithm'
start_keel_server $n.srv -www -naccept 1 "${CERT[@]}"
openssl_client $n -connect 127.0.0.1:$PORT -CAfile "$CA" -sigalgs ed25519
wait_exit "$SRV_PID" 5 && fail "$n: keel s_server exit 0" || pass "$n: keel s_server failed"
expect "$n: keel's reason" "$T/$n.srv.err" 'no suitable signature algorithm'
expect_not "$n: no page" "$T/$n.out" '^keel s_server$'
want=$(alert_text "$T/$n.ref.out")
got=$(alert_text "$T/$n.out")
if [ -n "$want" ] && [ "$got" = "$want" ]; then
    pass "$n: openssl s_client received the same alert ($got)"
else
    fail "$n: alert with keel '$got', with openssl '$want'"
    show "$T/$n.out"
fi
expect "$n: it is handshake_failure" "$T/$n.out" 'alert handshake failure.*SSL alert number 40'

finish
