#!/bin/bash
# Fragment limits between keel and OpenSSL 3.0, both directions, TLS 1.2 and TLS 1.3:
#   - max_fragment_length (RFC 6066 §4), each value: `openssl s_client -maxfraglen N` (system) to
#     `openssl s_server` on keel, and `openssl s_client -maxfraglen N` on keel to the system's
#     s_server; bulk data each way (20000 bytes, crossing record boundaries), the records on the wire
#     read from the SYSTEM side's -trace: every application-data record at most N plaintext bytes
#     and full ones exactly N (the system peer would also refuse a longer one with record_overflow);
#   - TLS 1.3 record padding (RFC 8446 §5.4): `-record_padding 512` on either side, each peer
#     reading the other's padded records; keel's padded records, seen by the system peer, are
#     multiples of 512;
#   - max_send_fragment (`-max_send_frag 1000`) on keel's side, seen on the wire.
# Uses tls12_common.inc's "keel side" (KEEL_T12_SELFTEST=1 runs the keel side on the system libssl).
. "$(dirname "$0")/tls12_common.inc"

CERT=($(cert p256))
digits "$T/up.txt" 20000
digits "$T/big.txt" 20000
cd "$T" || exit 1

# reclens FILE WHICH TYPE: the Length of each record of (inner) content type TYPE that WHICH
# ("Sent" / "Received") names in an OpenSSL -trace, one a line.
reclens() {
    awk -v want="$2 Record" -v type="$3" '
        function out() { if (inrec && t == type) print len; inrec = 0 }
        /^(Sent|Received) Record/ { out(); inrec = ($0 == want); t = ""; len = ""; next }
        inrec && /^  Content Type = / { t = $NF }
        inrec && /^  Length = / { len = $3 }
        inrec && /^  Inner Content Type = / { t = $NF }
        END { out() }' "$1"
}
# within NAME FILE WHICH MAX FULL: every application-data record WHICH the trace shows is at most
# MAX bytes long and at least one is exactly FULL (a full fragment).
within() {
    local name=$1 f=$2 which=$3 max=$4 full=$5
    local lens
    lens=$(reclens "$f" "$which" '(23)' | sort -n | uniq -c | tr '\n' ' ')
    local big
    big=$(reclens "$f" "$which" '(23)' | sort -n | tail -1)
    if [ -n "$big" ] && [ "$big" -le "$max" ] && reclens "$f" "$which" '(23)' | grep -qx "$full"; then
        pass "$name: records <= $max, full ones $full (count length: $lens)"
    else
        fail "$name: want records <= $max and some = $full; got (count length): $lens"
    fi
}
# got_all NAME FILE SRC: FILE holds SRC's 20000 digits (in one run, as printed).
got_all() {
    if tr -dc 0-9 <"$2" | grep -qF "$(cat "$3")"; then pass "$1: all 20000 bytes arrived"; else
        fail "$1: the 20000 bytes did not arrive intact ($(tr -dc 0-9 <"$2" | wc -c) digits)"; show "$2"; fi
}

# overhead of one application-data record: TLS 1.2 AES-GCM nonce + tag, TLS 1.3 type byte + tag
ovh() { [ "$1" = tls1_2 ] && echo 24 || echo 17; }

for v in tls1_2 tls1_3; do
    o=$(ovh $v)
    for n in 512 1024 2048 4096; do
        t=$v-$n
        # ---- system client -> keel server ----
        # client -> server bulk: s_server (on keel) prints what it reads; s_client sends its stdin
        cp up.txt "a-up-$t.in"
        keel_srv "a-up-$t.srv" -quiet -naccept 1 "${CERT[@]}"
        sc "a-up-$t" $PORT -$v -maxfraglen $n -trace -msgfile "$T/a-up-$t.trace" "${OV[@]}" -no_ign_eof
        wait $SRV_PID 2>/dev/null
        expect "a-up-$t: keel server echoed max_fragment_length" "$T/a-up-$t.trace" "max_fragment_length := 2\^[0-9]+ \($n bytes\)"
        got_all "a-up-$t: openssl s_client -maxfraglen $n -> keel ($v)" "$T/a-up-$t.srv.out" up.txt
        within "a-up-$t: the client's records" "$T/a-up-$t.trace" Sent $((n + o)) $((n + o))
        # server -> client bulk: keel's s_server -WWW serves big.txt
        printf 'GET /big.txt HTTP/1.0\r\n\r\n' >"a-dn-$t.in"
        keel_srv "a-dn-$t.srv" -WWW -naccept 1 "${CERT[@]}"
        sc "a-dn-$t" $PORT -$v -maxfraglen $n -trace -msgfile "$T/a-dn-$t.trace" "${OV[@]}"
        wait $SRV_PID 2>/dev/null
        got_all "a-dn-$t: keel -> openssl s_client -maxfraglen $n ($v)" "$T/a-dn-$t.out" big.txt
        within "a-dn-$t: keel's records as the system client received them" "$T/a-dn-$t.trace" Received $((n + o)) $((n + o))

        # ---- keel client -> system server ----
        cp up.txt "b-up-$t.in"
        sys_srv "b-up-$t.srv" -naccept 1 -trace -msgfile "$T/b-up-$t.trace" "${CERT[@]}"
        kc "b-up-$t" $PORT -$v -maxfraglen $n "${OV[@]}" -no_ign_eof
        wait $SRV_PID 2>/dev/null
        expect "b-up-$t: the system server answered keel's max_fragment_length" "$T/b-up-$t.trace" "max_fragment_length := 2\^[0-9]+ \($n bytes\)"
        got_all "b-up-$t: keel -maxfraglen $n -> openssl s_server ($v)" "$T/b-up-$t.srv.out" up.txt
        within "b-up-$t: keel's records as the system server received them" "$T/b-up-$t.trace" Received $((n + o)) $((n + o))
        printf 'GET /big.txt HTTP/1.0\r\n\r\n' >"b-dn-$t.in"
        sys_srv "b-dn-$t.srv" -WWW -naccept 1 -trace -msgfile "$T/b-dn-$t.trace" "${CERT[@]}"
        kc "b-dn-$t" $PORT -$v -maxfraglen $n "${OV[@]}"
        wait $SRV_PID 2>/dev/null
        got_all "b-dn-$t: openssl s_server -> keel -maxfraglen $n ($v)" "$T/b-dn-$t.out" big.txt
        within "b-dn-$t: the system server's records" "$T/b-dn-$t.trace" Sent $((n + o)) $((n + o))
    done
done

# ---- TLS 1.3 record padding, both ways ----
printf 'GET /big.txt HTTP/1.0\r\n\r\n' >"p-a.in"
keel_srv p-a.srv -WWW -naccept 1 -record_padding 512 "${CERT[@]}"
sc p-a $PORT -tls1_3 -record_padding 512 -trace -msgfile "$T/p-a.trace" "${OV[@]}"
wait $SRV_PID 2>/dev/null
got_all "p-a: openssl s_client -record_padding 512 <-> keel -record_padding 512" "$T/p-a.out" big.txt
lens=$(reclens "$T/p-a.trace" Received '(23)' | sort -u | tr '\n' ' ')
bad=$(reclens "$T/p-a.trace" Received '(23)' | awk '($1 - 16) % 512 != 0 && $1 != 16401' | head -3 | tr '\n' ' ')
[ -n "$lens" ] && [ -z "$bad" ] && pass "p-a: keel's padded records are multiples of 512 + tag (lengths: $lens)" ||
    fail "p-a: keel's records not padded to 512: $bad (all: $lens)"
cp up.txt p-b.in
sys_srv p-b.srv -naccept 1 -trace -msgfile "$T/p-b.trace" -record_padding 512 "${CERT[@]}"
kc p-b $PORT -tls1_3 -record_padding 512 "${OV[@]}" -no_ign_eof
wait $SRV_PID 2>/dev/null
got_all "p-b: keel -record_padding 512 -> openssl s_server -record_padding 512" "$T/p-b.srv.out" up.txt
lens=$(reclens "$T/p-b.trace" Received '(23)' | sort -u | tr '\n' ' ')
bad=$(reclens "$T/p-b.trace" Received '(23)' | awk '($1 - 16) % 512 != 0 && $1 != 16401' | head -3 | tr '\n' ' ')
[ -n "$lens" ] && [ -z "$bad" ] && pass "p-b: keel's padded records are multiples of 512 + tag (lengths: $lens)" ||
    fail "p-b: keel's records not padded to 512: $bad (all: $lens)"

# ---- max_send_fragment on keel's side ----
cp up.txt m-b.in
sys_srv m-b.srv -naccept 1 -trace -msgfile "$T/m-b.trace" "${CERT[@]}"
kc m-b $PORT -tls1_3 -max_send_frag 1000 "${OV[@]}" -no_ign_eof
wait $SRV_PID 2>/dev/null
got_all "m-b: keel -max_send_frag 1000 -> openssl s_server" "$T/m-b.srv.out" up.txt
within "m-b: keel's records with max_send_fragment 1000" "$T/m-b.trace" Received 1017 1017

stop_servers
check_traces
finish
