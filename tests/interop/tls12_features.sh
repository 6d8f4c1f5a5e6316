#!/bin/bash
# TLS 1.2 (issue #12) features between keel and OpenSSL 3.0 / GnuTLS 3.7, both directions, with
# the same "keel side" and KEEL_T12_SELFTEST=1 mode as tls12.sh (see tls12_common.inc):
# resumption (session id, ticket), EMS off (and RFC 7627 §5.3 on resumption), mutual TLS, ALPN, SNI,
# 1 MiB each way, key log lines,
# the downgrade sentinel (RFC 8446 §4.1.3) and TLS_FALLBACK_SCSV (RFC 7507).
. "$(dirname "$0")/tls12_common.inc"

CERT=($(cert p256))
# An openssl.cnf whose system_default turns EMS off: the openssl command has no switch for it.
printf 'openssl_conf = oc\n[oc]\nssl_conf = sc\n[sc]\nsystem_default = sd\n[sd]\nOptions = -ExtendedMasterSecret\n' >"$T/noems.cnf"
printf 'openssl_conf = oc\n[oc]\nssl_conf = sc\n[sc]\nsystem_default = sd\n[sd]\nMaxProtocol = TLSv1.2\n' >"$T/max12.cnf"
NOEMS=(env OPENSSL_CONF="$T/noems.cnf")

# ======== resumption ========
# Session id: servers with -no_ticket (their cache); ticket: servers with -no_cache (a ticket is
# then the only way to resume). gnutls-serv: its cache, or its tickets (default).
sys_srv A-id.srv -tls1_2 -www -no_ticket "${CERT[@]}"; PA_ID=$PORT
sys_srv A-tk.srv -tls1_2 -www -no_cache "${CERT[@]}"; PA_TK=$PORT
keel_srv B-id.srv -www -no_ticket "${CERT[@]}"; PB_ID=$PORT
keel_srv B-tk.srv -www -no_cache "${CERT[@]}"; PB_TK=$PORT
ktool_srv T-id.srv -www -no_ticket "${CERT[@]}"; PT_ID=$PORT
ktool_srv T-tk.srv -www "${CERT[@]}"; PT_TK=$PORT
gnutls_srv G-id.srv --http --noticket --x509certfile "$T/srv-p256.pem" --x509keyfile "$T/srv-p256.key" --priority "$PRIO12"; PG_ID=$PORT
gnutls_srv G-tk.srv --http --x509certfile "$T/srv-p256.pem" --x509keyfile "$T/srv-p256.key" --priority "$PRIO12"; PG_TK=$PORT
sys_srv A13.srv -www "${CERT[@]}"; PA13=$PORT

# pair FN N PORT ARGS: two connections, the second resuming the session the first saved
pair() {
    local fn=$1 n=$2 p=$3
    shift 3
    $fn $n.1 $p "$@" -sess_out "$T/$n.sess"
    $fn $n.2 $p "$@" -sess_in "$T/$n.sess"
}
for m in id tk; do
    eval "pa=\$PA_${m^^} pb=\$PB_${m^^} pt=\$PT_${m^^} pg=\$PG_${m^^}"
    spawn pair kc r-a-$m $pa -tls1_2 "${OV[@]}"
    spawn pair kc r-g-$m $pg -tls1_2 "${OV[@]}"
    spawn pair sc r-b-$m $pb -tls1_2 "${OV[@]}"
    spawn pair sc r-t-$m $pt -tls1_2 "${OV[@]}"
    spawn pair kt r-at-$m $pa -CAfile "$CA" -servername localhost
    spawn gc r-bg-$m $pb "$PRIO12" --resume
done
# A TLS 1.2 session offered to a 1.3-capable server by a 1.3-capable client: a new 1.3 handshake.
spawn eval 'kc r-x.1 $PA13 -tls1_2 "${OV[@]}" -sess_out "$T/r-x.sess"; kc r-x.2 $PA13 "${OV[@]}" -sess_in "$T/r-x.sess"'
drain
stop_servers
for m in id tk; do
    [ $m = id ] && what="session id" || what="ticket"
    # first connection: a ticket was (tk) or was not (id) issued
    [ $m = tk ] && tre='TLS session ticket lifetime hint' || tre='!TLS session ticket lifetime hint'
    for d in a b t; do
        case $d in a) desc="keel client -> openssl s_server" ;; b) desc="openssl s_client -> keel (openssl s_server)" ;;
        t) desc="openssl s_client -> keel s_server" ;; esac
        page2=("^Reused, TLSv1.2, Cipher is ECDHE-ECDSA-")
        ok "r-$d-$m: $desc: resumed by $what" @"$T/r-$d-$m.1.cli" '^New, TLSv1.2, ' "$tre" \
            @"$T/r-$d-$m.2.cli" '^Reused, TLSv1.2, Cipher is ECDHE-ECDSA-' 'Verify return code: 0 \(ok\)' \
            @"$T/r-$d-$m.2.page" "${page2[@]}"
    done
    ok "r-g-$m: keel client -> gnutls-serv: resumed by $what" @"$T/r-g-$m.1.cli" '^New, TLSv1.2, ' "$tre" \
        @"$T/r-g-$m.2.cli" '^Reused, TLSv1.2, Cipher is ECDHE-ECDSA-'
    ok "r-at-$m: keel s_client -> openssl s_server -tls1_2: resumed" @"$T/r-at-$m.1.cli" '^New, TLSv1.2, ' \
        @"$T/r-at-$m.2.cli" '^Reused, TLSv1.2, ' @"$T/r-at-$m.2.page" '^Reused, TLSv1.2, '
    ok "r-bg-$m: gnutls-cli --resume -> keel (openssl s_server): resumed" @"$T/r-bg-$m.out" \
        'This is a resumed session' 'Reused, TLSv1.2, Cipher is ECDHE-ECDSA-'
done
ok "r-id: openssl s_server counted the cache hit" @"$T/r-a-id.2.page" '^ +[1-9][0-9]* session cache hits'
ok "r-id: keel (openssl s_server) counted the cache hit" @"$T/r-b-id.2.page" '^ +[1-9][0-9]* session cache hits'
ok "r-x: a TLS 1.2 session is not resumed by TLS 1.3" @"$T/r-x.1.cli" '^New, TLSv1.2, ' \
    @"$T/r-x.2.cli" '^New, TLSv1.3, ' '!^Reused'

# ======== extended master secret off (RFC 7627) ========
sys_srv A.srv -tls1_2 -www "${CERT[@]}"; PA=$PORT
_start_peer A-noems.srv '^ACCEPT' "${NOEMS[@]}" openssl s_server -accept 127.0.0.1:@PORT@ -tls1_2 -www "${CERT[@]}"; PAN=$PORT
keel_srv B.srv -www "${CERT[@]}"; PB=$PORT
K B-noems.srv
_start_peer B-noems.srv '^ACCEPT' "${KP[@]}" OPENSSL_CONF="$T/noems.cnf" openssl s_server -accept 127.0.0.1:@PORT@ -www "${CERT[@]}"; PBN=$PORT
gnutls_srv G-noems.srv --http --x509certfile "$T/srv-p256.pem" --x509keyfile "$T/srv-p256.key" --priority "$PRIO12:%NO_SESSION_HASH"; PGN=$PORT
kc_noems() { local n=$1; shift; K "$n"; printf '%s' "$HTTP_GET" | timeout 20 "${KP[@]}" OPENSSL_CONF="$T/noems.cnf" openssl s_client -ign_eof -connect 127.0.0.1:"$@" >"$T/$n.out" 2>&1; split "$n"; }
sc_noems() { local n=$1; shift; printf '%s' "$HTTP_GET" | timeout 20 "${NOEMS[@]}" openssl s_client -ign_eof -connect 127.0.0.1:"$@" >"$T/$n.out" 2>&1; split "$n"; }
spawn kc_noems e-a-client $PA -tls1_2 "${OV[@]}"
spawn kc e-a-server $PAN -tls1_2 "${OV[@]}"
spawn sc_noems e-b-client $PB -tls1_2 "${OV[@]}"
spawn sc e-b-server $PBN -tls1_2 "${OV[@]}"
spawn kc e-g-server $PGN -tls1_2 "${OV[@]}"
spawn gc e-bg-client $PB "$PRIO12:%NO_SESSION_HASH"
# RFC 7627 §5.3 by session id: an EMS session offered without EMS is refused (OpenSSL's server aborts
# with handshake_failure); a session without EMS offered with EMS gets a full handshake with EMS.
sys_srv A-eid.srv -tls1_2 -www -no_ticket "${CERT[@]}"; PAE=$PORT
keel_srv B-eid.srv -www -no_ticket "${CERT[@]}"; PBE=$PORT
spawn eval 'kc e-r1-a.1 $PAE -tls1_2 "${OV[@]}" -sess_out "$T/e-r1-a.sess"; kc_noems e-r1-a.2 $PAE -tls1_2 "${OV[@]}" -sess_in "$T/e-r1-a.sess"'
spawn eval 'sc e-r1-b.1 $PBE -tls1_2 "${OV[@]}" -sess_out "$T/e-r1-b.sess"; sc_noems e-r1-b.2 $PBE -tls1_2 "${OV[@]}" -sess_in "$T/e-r1-b.sess"'
spawn eval 'kc_noems e-r2-a.1 $PAE -tls1_2 "${OV[@]}" -sess_out "$T/e-r2-a.sess"; kc e-r2-a.2 $PAE -tls1_2 "${OV[@]}" -sess_in "$T/e-r2-a.sess"'
spawn eval 'sc_noems e-r2-b.1 $PBE -tls1_2 "${OV[@]}" -sess_out "$T/e-r2-b.sess"; sc e-r2-b.2 $PBE -tls1_2 "${OV[@]}" -sess_in "$T/e-r2-b.sess"'
drain
for d in a b; do
    [ $d = a ] && desc="keel client, openssl s_server" || desc="openssl s_client, keel server"
    ok "e-r1-$d: $desc: an EMS session offered without EMS is refused (handshake_failure)" \
        @"$T/e-r1-$d.1.cli" 'Extended master secret: yes' @"$T/e-r1-$d.2.cli" 'alert handshake failure' '!^Reused'
    ok "e-r2-$d: $desc: a session without EMS offered with EMS: a full handshake with EMS" \
        @"$T/e-r2-$d.1.cli" 'Extended master secret: no' @"$T/e-r2-$d.2.cli" '^New, TLSv1.2, ' 'Extended master secret: yes' \
        '!^Reused' @"$T/e-r2-$d.2.page" 'Extended master secret: yes'
done
for n in e-a-client e-a-server e-b-client e-b-server; do
    case $n in e-a-client) d="keel client without EMS -> openssl s_server" ;; e-a-server) d="keel client -> openssl s_server without EMS" ;;
    e-b-client) d="openssl s_client without EMS -> keel" ;; e-b-server) d="openssl s_client -> keel without EMS" ;; esac
    ok "$n: $d: no EMS on either side, one master secret" @"$T/$n.cli" '^New, TLSv1.2, ' 'Extended master secret: no' \
        @"$T/$n.page" 'Extended master secret: no' @"$T/$n.facts" '^mk agree$'
done
ok "e-g-server: keel client -> gnutls-serv %NO_SESSION_HASH: no EMS" @"$T/e-g-server.cli" '^New, TLSv1.2, ' 'Extended master secret: no'
ok "e-bg-client: gnutls-cli %NO_SESSION_HASH -> keel: no EMS" @"$T/e-bg-client.cli" '\(TLS1.2-X.509\)' \
    '!Options: extended master secret' @"$T/e-bg-client.page" 'Extended master secret: no'

# ======== downgrade protection (RFC 8446 §4.1.3) ========
# sh_tail N: the last 8 bytes of the ServerHello random in $T/N.out (an s_client -msg trace)
sh_tail() {
    awk '/^<<< .*ServerHello$/{p=1; next} /^(<<<|>>>)/{p=0} p' "$T/$1.out" | tr -s ' \n' ' ' |
        awk '{ s = ""; for (i = 31; i <= 38; i++) s = s $i; print "ServerHello random ends " s }' >"$T/$1.sh"
}
_start_peer A12cnf.srv '^ACCEPT' env OPENSSL_CONF="$T/max12.cnf" openssl s_server -accept 127.0.0.1:@PORT@ -www "${CERT[@]}"; PA12C=$PORT
keel_srv B12.srv -tls1_2 -www "${CERT[@]}"; PB12=$PORT
K B12cnf.srv
_start_peer B12cnf.srv '^ACCEPT' "${KP[@]}" OPENSSL_CONF="$T/max12.cnf" openssl s_server -accept 127.0.0.1:@PORT@ -www "${CERT[@]}"; PB12C=$PORT
# The downgrade attacker: a relay renaming supported_versions in the ClientHello (see the script).
cat >"$T/relay.py" <<'PY'
# Relays TCP to 127.0.0.1:argv[1]; in each client's first record (a ClientHello) it renames the
# supported_versions extension (43) to a GREASE type (0x0a0a, ignored by servers), so that a
# 1.3-capable server sees a 1.2-only client and must answer with the RFC 8446 §4.1.3 sentinel.
import socket, struct, sys, threading
def read_exact(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b
def rewrite(rec):
    body = bytearray(rec[5:])
    if rec[0] != 22 or body[0] != 1:
        return rec, False
    p = 4 + 2 + 32
    p += 1 + body[p]
    p += 2 + struct.unpack(">H", body[p:p + 2])[0]
    p += 1 + body[p]
    end = p + 2 + struct.unpack(">H", body[p:p + 2])[0]
    p += 2
    done = False
    while p + 4 <= end:
        t, l = struct.unpack(">HH", body[p:p + 4])
        if t == 43:
            body[p:p + 2] = b"\x0a\x0a"
            done = True
        p += 4 + l
    return rec[:5] + bytes(body), done
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def serve(c, port):
    try:
        u = socket.create_connection(("127.0.0.1", port), timeout=20)
        hdr = read_exact(c, 5)
        rec, done = rewrite(hdr + read_exact(c, struct.unpack(">H", hdr[3:5])[0]))
        print("rewrote supported_versions" if done else "ClientHello unchanged", flush=True)
        u.sendall(rec)
    except (OSError, EOFError, IndexError, struct.error) as e:
        print("error", e, flush=True)
        c.close()
        return
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
    pump(c, u)
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(8)
print("ACCEPT", ls.getsockname()[1], flush=True)
while True:
    c, _ = ls.accept()
    c.settimeout(20)
    threading.Thread(target=serve, args=(c, int(sys.argv[1])), daemon=True).start()
PY
# relay N UPSTREAM_PORT: start the relay, set RPORT
relay() {
    timeout 60 python3 "$T/relay.py" "$2" >"$T/$1.out" 2>&1 &
    BG_PIDS+=($!)
    wait_for "$T/$1.out" '^ACCEPT [0-9]+' 10 && RPORT=$(awk '/^ACCEPT/{print $2; exit}' "$T/$1.out") || RPORT=1
}
sys_srv A13d.srv -www "${CERT[@]}"; PA13=$PORT
keel_srv B13d.srv -www "${CERT[@]}"; PB13=$PORT
ktool_srv T13d.srv -www "${CERT[@]}"; PT13=$PORT
relay RA $PA13; RA=$RPORT
relay RB $PB13; RB=$RPORT
relay RT $PT13; RT=$RPORT
# 1.3-capable clients against servers forced to 1.2 by -tls1_2 or MaxProtocol: accepted.
spawn kc d-a-flag $PA "${OV[@]}"
spawn kc d-a-cnf $PA12C "${OV[@]}"
spawn kt d-at-flag $PA -CAfile "$CA" -servername localhost
spawn sc d-b-flag $PB12 -msg "${OV[@]}"
spawn sc d-b-cnf $PB12C "${OV[@]}"
spawn gc d-bg-flag $PB12 NORMAL
# a 1.2-only client against keel's 1.3-capable server: the sentinel is in its random
spawn sc d-b-sentinel $PB -tls1_2 -msg "${OV[@]}"
spawn sc d-a-sentinel $PA13 -tls1_2 -msg "${OV[@]}"
# through the attacker: the 1.3-capable client must abort with illegal_parameter
spawn kc d-a-attack $RA "${OV[@]}"
spawn kt d-at-attack $RA -CAfile "$CA" -servername localhost
spawn sc d-b-attack $RB "${OV[@]}"
spawn sc d-t-attack $RT "${OV[@]}"
drain
sh_tail d-b-flag
sh_tail d-b-sentinel
sh_tail d-a-sentinel
ok "d-a-flag: keel client (1.3-capable) -> openssl s_server -tls1_2: accepted" @"$T/d-a-flag.cli" '^New, TLSv1.2, ' \
    'Verify return code: 0 \(ok\)' @"$T/d-a-flag.page" '^New, TLSv1.2, '
ok "d-a-cnf: keel client (1.3-capable) -> openssl s_server MaxProtocol = TLSv1.2: accepted" @"$T/d-a-cnf.cli" \
    '^New, TLSv1.2, ' @"$T/d-a-cnf.page" '^New, TLSv1.2, '
ok "d-at-flag: keel s_client -> openssl s_server -tls1_2: accepted" @"$T/d-at-flag.cli" '^Protocol: TLSv1.2$'
ok "d-b-flag: openssl s_client (1.3-capable) -> keel -tls1_2: accepted, no sentinel (as OpenSSL: not 1.3-capable)" \
    @"$T/d-b-flag.cli" '^New, TLSv1.2, ' @"$T/d-b-flag.page" '^New, TLSv1.2, ' \
    @"$T/d-b-flag.sh" '^ServerHello random ends [0-9a-f]{16}$' '!ends 444f574e4752440[01]'
ok "d-b-cnf: openssl s_client (1.3-capable) -> keel MaxProtocol = TLSv1.2: accepted" @"$T/d-b-cnf.cli" '^New, TLSv1.2, ' \
    @"$T/d-b-cnf.page" '^New, TLSv1.2, '
ok "d-bg-flag: gnutls-cli NORMAL (1.3-capable) -> keel -tls1_2: accepted" @"$T/d-bg-flag.cli" '\(TLS1.2-X.509\)' \
    @"$T/d-bg-flag.page" '^New, TLSv1.2, '
ok "d-a-sentinel: (reference) openssl s_server, 1.3-capable, answers a 1.2 client with DOWNGRD\\x01" \
    @"$T/d-a-sentinel.sh" '^ServerHello random ends 444f574e47524401$'
ok "d-b-sentinel: keel (1.3-capable) answers a 1.2 client with DOWNGRD\\x01 in its random" \
    @"$T/d-b-sentinel.cli" '^New, TLSv1.2, ' @"$T/d-b-sentinel.sh" '^ServerHello random ends 444f574e47524401$'
ok "d-a-attack: keel client refuses the downgraded ServerHello (illegal_parameter)" \
    @"$T/RA.out" 'rewrote supported_versions' @"$T/d-a-attack.cli" 'inappropriate fallback' '!Cipher is ECDHE' \
    @"$T/A13d.srv.out" 'alert illegal parameter'
ok "d-at-attack: keel s_client refuses the downgraded ServerHello (illegal_parameter)" \
    @"$T/d-at-attack.cli" '!^Protocol: TLSv1.2' @"$T/A13d.srv.out" 'alert illegal parameter'
ok "d-b-attack: keel (openssl s_server) wrote the sentinel: openssl s_client aborts" \
    @"$T/d-b-attack.cli" 'inappropriate fallback' '!Cipher is ECDHE' @"$T/B13d.srv.out" 'alert illegal parameter'
ok "d-t-attack: keel s_server wrote the sentinel: openssl s_client aborts" \
    @"$T/d-t-attack.cli" 'inappropriate fallback' '!Cipher is ECDHE'

# ======== TLS_FALLBACK_SCSV (RFC 7507) ========
spawn kc f-a $PA13 -fallback_scsv -tls1_2 "${OV[@]}"
spawn sc f-b $PB13 -fallback_scsv -tls1_2 "${OV[@]}"
spawn sc f-t $PT13 -fallback_scsv -tls1_2 "${OV[@]}"
spawn kc f-a-ok $PA -fallback_scsv -tls1_2 "${OV[@]}"
spawn sc f-b-ok $PB12 -fallback_scsv -tls1_2 "${OV[@]}"
drain
ok "f-a: keel client's fallback SCSV refused by a 1.3-capable openssl s_server" @"$T/f-a.cli" \
    'alert inappropriate fallback' '!Cipher is ECDHE' @"$T/A13d.srv.out" 'inappropriate fallback'
ok "f-b: keel (openssl s_server) refuses a fallback SCSV with inappropriate_fallback" @"$T/f-b.cli" \
    'alert inappropriate fallback' '!Cipher is ECDHE' @"$T/B13d.srv.out" 'inappropriate fallback'
ok "f-t: keel s_server refuses a fallback SCSV with inappropriate_fallback" @"$T/f-t.cli" \
    'alert inappropriate fallback' '!Cipher is ECDHE'
ok "f-a-ok: keel client's fallback SCSV accepted by a 1.2-only server" @"$T/f-a-ok.cli" '^New, TLSv1.2, '
ok "f-b-ok: keel -tls1_2 accepts a fallback SCSV" @"$T/f-b-ok.cli" '^New, TLSv1.2, ' @"$T/f-b-ok.page" '^New, TLSv1.2, '
stop_servers

# ======== mutual TLS ========
# (-verify_return_error: without it openssl s_server goes on after a failed verification)
sys_srv mA.srv -tls1_2 -www -Verify 1 -verify_return_error -CAfile "$CA" "${CERT[@]}"; PMA=$PORT
keel_srv mB.srv -www -Verify 1 -verify_return_error -CAfile "$CA" "${CERT[@]}"; PMB=$PORT
ktool_srv mT.srv -www -Verify 1 -CAfile "$CA" "${CERT[@]}"; PMT=$PORT
for t in p256 rsa2048; do
    CC=(-cert "$T/cli-$t.pem" -key "$T/cli-$t.key")
    spawn kc m-a-$t $PMA -tls1_2 "${CC[@]}" "${OV[@]}"
    spawn sc m-b-$t $PMB -tls1_2 "${CC[@]}" "${OV[@]}"
    spawn sc m-t-$t $PMT -tls1_2 "${CC[@]}" "${OV[@]}"
done
spawn kt m-at $PMA -CAfile "$CA" -servername localhost -cert "$T/cli-p256.pem" -key "$T/cli-p256.key"
spawn gc m-bg $PMB "$PRIO12" --x509certfile "$T/cli-p256.pem" --x509keyfile "$T/cli-p256.key"
spawn kc m-a-none $PMA -tls1_2 "${OV[@]}"
spawn sc m-b-none $PMB -tls1_2 "${OV[@]}"
# a client certificate from an unrelated CA
make_cert other stranger p256 DNS:client
spawn sc m-b-stranger $PMB -tls1_2 -cert "$T/stranger.pem" -key "$T/stranger.key" "${OV[@]}"
drain
for t in p256 rsa2048; do
    ok "m-a-$t: keel client's $t certificate verified by openssl s_server" @"$T/m-a-$t.cli" '^New, TLSv1.2, ' \
        'Verify return code: 0 \(ok\)' '^Client Certificate Types: ' '^Acceptable client certificate CA names' \
        @"$T/m-a-$t.page" '^Client certificate' @"$T/mA.srv.out" "^depth=0 CN = cli-$t\$"
    ok "m-b-$t: openssl s_client's $t certificate verified by keel (openssl s_server)" @"$T/m-b-$t.cli" \
        '^New, TLSv1.2, ' 'Verify return code: 0 \(ok\)' '^Client Certificate Types: ' '^CN = keel test ca$' \
        @"$T/m-b-$t.page" '^Client certificate' @"$T/mB.srv.out" "^depth=0 CN = cli-$t\$"
    ok "m-t-$t: openssl s_client's $t certificate verified by keel s_server" @"$T/m-t-$t.cli" '^New, TLSv1.2, ' \
        '^CN = keel test ca$' @"$T/m-t-$t.page" "^Client certificate subject=CN = cli-$t\$"
done
ok "m-at: keel s_client's certificate verified by openssl s_server -tls1_2" @"$T/m-at.cli" '^Protocol: TLSv1.2$' \
    @"$T/m-at.page" '^Client certificate' @"$T/mA.srv.out" '^depth=0 CN = cli-p256$'
ok "m-bg: gnutls-cli's certificate verified by keel (openssl s_server)" @"$T/m-bg.cli" '\(TLS1.2-X.509\)' \
    @"$T/m-bg.page" '^Client certificate'
ok "m-a-none: openssl s_server -Verify 1 refuses keel's client without a certificate" @"$T/m-a-none.cli" \
    'alert handshake failure' '!^Client certificate' @"$T/mA.srv.out" 'peer did not return a certificate'
ok "m-b-none: keel -Verify 1 refuses a client without a certificate (handshake_failure)" @"$T/m-b-none.cli" \
    'alert handshake failure' '!^Client certificate' @"$T/mB.srv.out" 'peer did not return a certificate'
ok "m-b-stranger: keel refuses a client certificate from an unknown CA (unknown_ca)" @"$T/m-b-stranger.cli" \
    'alert unknown ca' '!^Client certificate' @"$T/mB.srv.out" 'certificate verify failed'
stop_servers

# ======== ALPN and SNI ========
# A client naming "localhost" gets the second certificate (CN = sni-cert). openssl s_server
# answers ALPN on its first context only, so ALPN is checked on connections without SNI.
SNI=(-servername localhost -cert2 "$T/sni-cert.pem" -key2 "$T/sni-cert.key")
sys_srv sA.srv -tls1_2 -www -alpn h2,http/1.1 "${SNI[@]}" "${CERT[@]}"; PSA=$PORT
keel_srv sB.srv -www -alpn h2,http/1.1 "${SNI[@]}" "${CERT[@]}"; PSB=$PORT
ktool_srv sT.srv -www -alpn h2,http/1.1 "${SNI[@]}" "${CERT[@]}"; PST=$PORT
NV=(-CAfile "$CA" -verify_return_error -verify_hostname localhost)
spawn kc s-a-sni $PSA -tls1_2 -servername localhost "${NV[@]}"
spawn kc s-a-alpn $PSA -tls1_2 -noservername -alpn foo,http/1.1 "${NV[@]}"
spawn kc s-a-refused $PSA -tls1_2 -noservername -alpn foo "${NV[@]}"
spawn sc s-b-sni $PSB -tls1_2 -servername localhost "${NV[@]}"
spawn sc s-b-alpn $PSB -tls1_2 -noservername -alpn foo,http/1.1 "${NV[@]}"
spawn sc s-b-refused $PSB -tls1_2 -noservername -alpn foo "${NV[@]}"
spawn sc s-t $PST -tls1_2 -servername localhost -alpn foo,http/1.1 "${NV[@]}"
spawn kt s-at-sni $PSA -CAfile "$CA" -servername localhost
spawn kt s-at-alpn $PSA -CAfile "$CA" -noservername -verify_hostname localhost -alpn foo,http/1.1
drain
for d in a b; do
    [ $d = a ] && desc="keel client -> openssl s_server" || desc="openssl s_client -> keel (openssl s_server)"
    ok "s-$d-sni: $desc: SNI selects the second certificate" @"$T/s-$d-sni.cli" '^New, TLSv1.2, ' \
        '^subject=CN = sni-cert$' 'Verify return code: 0 \(ok\)'
    ok "s-$d-alpn: $desc: no SNI: the first certificate; ALPN http/1.1" @"$T/s-$d-alpn.cli" '^New, TLSv1.2, ' \
        '^subject=CN = srv-p256$' '^ALPN protocol: http/1.1$'
    ok "s-$d-refused: $desc: no common protocol: no_application_protocol" @"$T/s-$d-refused.cli" \
        'no application protocol' '!Cipher is ECDHE'
done
ok "s-t: openssl s_client -> keel s_server: SNI and ALPN" @"$T/s-t.cli" '^New, TLSv1.2, ' '^subject=CN = sni-cert$' \
    '^ALPN protocol: http/1.1$' @"$T/s-t.page" '^ALPN protocol: http/1.1$'
ok "s-at-sni: keel s_client -> openssl s_server -tls1_2: SNI" @"$T/s-at-sni.cli" '^Protocol: TLSv1.2$' \
    '^subject=CN = sni-cert$'
ok "s-at-alpn: keel s_client -> openssl s_server -tls1_2: ALPN" @"$T/s-at-alpn.cli" '^Protocol: TLSv1.2$' \
    '^ALPN protocol: http/1.1$'
stop_servers

# ======== 1 MiB each way ========
# The server's stdin (a FIFO) gives B and stays open until it has received all of A; the client
# reads until the server closes.
digits "$T/A" 1048576
digits "$T/B" 1048576
bulk() {
    local n=$1 side=$2
    mkfifo "$T/$n.srv.in"
    { cat "$T/B"; hold_until_size "$T/$n.srv.out" 1048576 20; } >"$T/$n.srv.in" &
    if [ "$side" = keel-client ]; then
        sys_srv $n.srv -tls1_2 -quiet -naccept 1 "${CERT[@]}"
        K $n
        timeout 30 "${KP[@]}" openssl s_client -quiet -tls1_2 -connect 127.0.0.1:$PORT "${OV[@]}" <"$T/A" >"$T/$n.out" 2>"$T/$n.err"
    else
        keel_srv $n.srv -quiet -naccept 1 "${CERT[@]}"
        timeout 30 openssl s_client -quiet -tls1_2 -connect 127.0.0.1:$PORT "${OV[@]}" <"$T/A" >"$T/$n.out" 2>"$T/$n.err"
    fi
    wait_exit "$SRV_PID" 10
    [ "$(sha256sum <"$T/A")" = "$(sha256sum <"$T/$n.srv.out")" ] && pass "$n: 1 MiB client -> server intact" ||
        { fail "$n: client -> server data differs ($(stat -c %s "$T/$n.srv.out") bytes)"; show "$T/$n.err"; }
    [ "$(sha256sum <"$T/B")" = "$(sha256sum <"$T/$n.out")" ] && pass "$n: 1 MiB server -> client intact" ||
        { fail "$n: server -> client data differs ($(stat -c %s "$T/$n.out") bytes)"; show "$T/$n.err"; }
}
bulk bulk-keel-client keel-client &
bulk bulk-keel-server keel-server
wait

# ======== key log ========
# keylog_ok N DESC: both files' non-comment lines, sorted, must be the same single CLIENT_RANDOM line.
keylog_ok() {
    local n=$1 desc=$2
    grep -v '^#' "$T/$n.c.log" 2>/dev/null | sort >"$T/$n.a"
    grep -v '^#' "$T/$n.s.log" 2>/dev/null | sort >"$T/$n.b"
    if [ "$(wc -l <"$T/$n.a")" -eq 1 ] && grep -Eq '^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$' "$T/$n.a" &&
        cmp -s "$T/$n.a" "$T/$n.b"; then
        pass "$n: $desc: the same CLIENT_RANDOM line on both sides"
    else
        fail "$n: $desc: key logs differ"
        show "$T/$n.a" "$T/$n.b" "$T/$n.out"
    fi
}
sys_srv kl-a.srv -tls1_2 -www -naccept 1 -keylogfile "$T/kl-a.s.log" "${CERT[@]}"
kc kl-a $PORT -tls1_2 -keylogfile "$T/kl-a.c.log" "${OV[@]}"
wait_exit "$SRV_PID" 5
keylog_ok kl-a "keel client -> openssl s_server"
keel_srv kl-b.srv -www -naccept 1 -keylogfile "$T/kl-b.s.log" "${CERT[@]}"
sc kl-b $PORT -tls1_2 -keylogfile "$T/kl-b.c.log" "${OV[@]}"
wait_exit "$SRV_PID" 5
keylog_ok kl-b "openssl s_client -> keel (openssl s_server)"
sys_srv kl-at.srv -tls1_2 -www -naccept 1 -keylogfile "$T/kl-at.s.log" "${CERT[@]}"
kt kl-at $PORT -CAfile "$CA" -servername localhost -keylogfile "$T/kl-at.c.log"
wait_exit "$SRV_PID" 5
keylog_ok kl-at "keel s_client -> openssl s_server -tls1_2"
ktool_srv kl-t.srv -www -naccept 1 -keylogfile "$T/kl-t.s.log" "${CERT[@]}"
sc kl-t $PORT -tls1_2 -keylogfile "$T/kl-t.c.log" "${OV[@]}"
wait_exit "$SRV_PID" 5
keylog_ok kl-t "openssl s_client -> keel s_server"
stop_servers

check_traces
finish
