#!/bin/bash
# max_fragment_length (RFC 6066 §4) between keel and GnuTLS, each value (512 1024 2048 4096), TLS 1.2
# and TLS 1.3, both roles; the records are read from GnuTLS's own record-layer log (-d 5):
#   - `gnutls-cli --recordsize=N` (sends max_fragment_length, and record_size_limit, which OpenSSL 3.0
#     and keel ignore) fetches 20000 bytes from `openssl s_server -WWW` on keel: gnutls parsed the
#     server's max_fragment_length answer, the bytes arrive intact, and every application-data record
#     gnutls decrypted is at most N plaintext bytes, full ones exactly N;
#   - `openssl s_client -maxfraglen N` on keel fetches 20000 bytes from `gnutls-serv --httpdata`:
#     gnutls parsed keel's max_fragment_length, the bytes arrive intact, and every application-data
#     record gnutls sent is at most N plaintext bytes on the wire (the suite pinned to AES-128-GCM, so
#     the wire length is N + 29 in TLS 1.2, N + 22 in TLS 1.3), full ones exactly that. GnuTLS 3.7.9's
#     TLS 1.2 server echoes max_fragment_length yet sends 16 KiB records to a client that did not also
#     send record_size_limit (OpenSSL's s_client, and keel): keel must then refuse the record with
#     "data length too long" (record_overflow), as the system libssl does (KEEL_T12_SELFTEST=1).
# Uses tls12_common.inc's "keel side" (KEEL_T12_SELFTEST=1 runs the keel side on the system libssl).
. "$(dirname "$0")/tls12_common.inc"

CERT=($(cert p256))
digits "$T/big.txt" 20000
cd "$T" || exit 1

# gcli N PORT PRIORITY ARGS: gnutls-cli (system), stdin $T/N.in, received data to N.out, its debug
# log to N.err (apart: stderr lines must not land inside the data).
gcli() {
    local n=$1 p=$2 prio=$3
    shift 3
    timeout 20 gnutls-cli --x509cafile "$CA" --priority "$prio" "$@" -p "$p" localhost \
        <"$T/$n.in" >"$T/$n.out" 2>"$T/$n.err"
}
# lens FILE WHAT: the lengths gnutls's log gives for application-data records; WHAT "Decrypted"
# (received, plaintext length) or "Sent" (sent, wire length with the 5-byte header).
lens() {
    sed -nE "s/.*REC\[[^]]*\]: $2 Packet\[[0-9]+\] Application Data\(23\) .*length: ([0-9]+)$/\1/p" "$1"
}
# bounded NAME FILE WHAT MAX: every record at most MAX, at least one exactly MAX.
bounded() {
    local name=$1 f=$2 what=$3 max=$4 all big
    all=$(lens "$f" "$what" | sort -n | uniq -c | awk '{printf "%sx%s ", $1, $2}')
    big=$(lens "$f" "$what" | sort -n | tail -1)
    if [ -n "$big" ] && [ "$big" -le "$max" ] && lens "$f" "$what" | grep -qx "$max"; then
        pass "$name: records <= $max, full ones $max (count x length: $all)"
    else
        fail "$name: want records <= $max and some = $max; got (count x length): ${all:-none}"
    fi
}
# got_all NAME FILE: FILE holds big.txt's 20000 digits in one run.
got_all() {
    if tr -dc 0-9 <"$2" | grep -qF "$(cat big.txt)"; then pass "$1: all 20000 bytes arrived intact"; else
        fail "$1: the 20000 bytes did not arrive intact ($(tr -dc 0-9 <"$2" | wc -c) digits)"; fi
}

for v in tls1_2 tls1_3; do
    gv=TLS1.${v#tls1_}
    prio="NORMAL:-VERS-ALL:+VERS-$gv"
    # record overhead on the wire with AES-128-GCM: header 5 + explicit nonce 8 + tag 16 (TLS 1.2),
    # header 5 + inner content type 1 + tag 16 (TLS 1.3)
    [ $v = tls1_2 ] && o=29 || o=22
    for n in 512 1024 2048 4096; do
        t=$v-$n
        # ---- gnutls-cli -> keel's s_server ----
        printf 'GET /big.txt HTTP/1.0\r\n\r\n' >"g-$t.in"
        keel_srv "g-$t.srv" -WWW -naccept 1 "${CERT[@]}"
        gcli "g-$t" $PORT "$prio" --recordsize=$n -d 5
        r=$?
        wait_exit $SRV_PID 10 >/dev/null
        [ $r = 0 ] && pass "g-$t: gnutls-cli --recordsize=$n exit 0" || { fail "g-$t: gnutls-cli exit $r"; show "g-$t.out" "g-$t.srv.out"; }
        ok "g-$t: $gv negotiated" @"g-$t.out" "Description: \($gv-X\.509\)"
        ok "g-$t: gnutls sent max_fragment_length and parsed keel's answer" @"g-$t.err" \
            "Sending extension Maximum Record Size/1 " "Parsing extension 'Maximum Record Size/1'"
        got_all "g-$t: keel -> gnutls-cli --recordsize=$n ($v)" "g-$t.out"
        bounded "g-$t: keel's records as gnutls decrypted them" "g-$t.err" Decrypted $n

        # ---- keel's s_client -> gnutls-serv ----
        printf 'GET / HTTP/1.0\r\n\r\n' >"k-$t.in"
        gnutls_srv "k-$t.srv" -d 5 --http --httpdata="$T/big.txt" --x509certfile "$T/srv-p256.pem" \
            --x509keyfile "$T/srv-p256.key" --priority "$prio:-CIPHER-ALL:+AES-128-GCM"
        kc "k-$t" $PORT -$v -maxfraglen $n "${OV[@]}"
        stop $SRV_PID
        ok "k-$t: $gv with AES-128-GCM negotiated" @"k-$t.out" "^ *Protocol *: TLSv1\.${v#tls1_}$" \
            "Cipher is (TLS_AES_128_GCM_SHA256|ECDHE-ECDSA-AES128-GCM-SHA256)$"
        ok "k-$t: gnutls-serv parsed keel's max_fragment_length" @"k-$t.srv.out" "Parsing extension 'Maximum Record Size/1'"
        big=$(lens "k-$t.srv.out" Sent | sort -n | tail -1)
        if [ $v = tls1_2 ] && [ "${big:-0}" -gt $((n + o)) ]; then
            # GnuTLS 3.7's TLS 1.2 server echoes max_fragment_length but still sends 16 KiB records
            # (unless the client also sent record_size_limit, as gnutls-cli does): keel must refuse
            # the over-long record (RFC 6066 §4: record_overflow), as OpenSSL 3.0 does.
            ok "k-$t: gnutls-serv sent a ${big}-byte record despite max_fragment_length $n; keel refused it" \
                @"k-$t.out" "data length too long"
            tr -dc 0-9 <"k-$t.out" | grep -qF "$(cat big.txt)" &&
                fail "k-$t: keel delivered the data of records longer than its max_fragment_length $n" ||
                pass "k-$t: keel did not deliver the 20000 bytes past the over-long record"
        else
            got_all "k-$t: gnutls-serv -> keel -maxfraglen $n ($v)" "k-$t.out"
            bounded "k-$t: gnutls's records on the wire" "k-$t.srv.out" Sent $((n + o))
        fi
    done
done

stop_servers
check_traces
finish
