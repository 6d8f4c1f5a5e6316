#!/bin/bash
# TLS 1.3 early data (0-RTT, RFC 8446 §4.2.10) across implementations, through the tools' flags:
# keel s_client -sess_in -early_data FILE against openssl s_server -early_data and gnutls-serv
# --earlydata; openssl s_client and gnutls-cli --resume --earlydata against keel s_server
# -early_data, and keel <-> keel. Cases: accepted (the data printed by the server before the handshake's session
# line), rejected because the ticket is replayed (anti-replay: single-use tickets; the full
# handshake proceeds) or because the server's max_early_data is now 0 (a session file whose
# max_early_data is raised after the fact, so the client sends), replays accepted with
# -no_anti_replay. KEEL_ED_SELFTEST=1 runs the keel side on the system libssl (checks the script).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { fail "python3 is not installed"; finish; }

if [ "${KEEL_ED_SELFTEST:-0}" = 1 ]; then
    sysdir=$(dirname "$(ldd "$(command -v openssl)" | awk '/libssl\.so\.3/ { print $3; exit }')")
    printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$sysdir" "$KEEL" >"$T/keel-sys"
    chmod +x "$T/keel-sys"
    KEEL=$T/keel-sys
    echo "== selftest: the keel side runs on the system libssl in $sysdir"
fi

make_ca ca && make_cert ca srv p256 || { fail "cannot make certificates"; finish; }
CA="$T/ca.pem"
CERT=(-cert "$T/srv.pem" -key "$T/srv.key")
OC=(-servername localhost -CAfile "$CA" -verify_return_error)
printf 'early bytes 0-RTT\n' >"$T/early.txt"

# raise_max SESSION.pem OUT.pem N: the same session with max_early_data N (OpenSSL's
# SSL_SESSION DER: [15] INTEGER inside the outer SEQUENCE, before [16] and later fields).
raise_max() {
    python3 - "$@" <<'EOF'
import base64, re, sys
pem = open(sys.argv[1]).read()
der = base64.b64decode("".join(re.search(r"-----BEGIN SSL SESSION PARAMETERS-----(.*?)-----END", pem, re.S).group(1).split()))
def tlv(b, i):
    tag, n = b[i], b[i + 1]; i += 2
    if n & 0x80:
        k = n & 0x7f; n = int.from_bytes(b[i:i + k], "big"); i += k
    return tag, b[i:i + n], i + n
def enc(tag, body):
    n = len(body)
    ln = bytes([n]) if n < 128 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + ln + body
tag, body, _ = tlv(der, 0)
fields, i = [], 0
while i < len(body):
    t, v, j = tlv(body, i); fields.append((t, body[i:j])); i = j
v = int(sys.argv[3]); iv = v.to_bytes((v.bit_length() + 8) // 8, "big")
new = enc(0xAF, enc(0x02, iv))
fields = [f for f in fields if f[0] != 0xAF]
pos = next((k for k, f in enumerate(fields) if 0xB0 <= f[0] <= 0xBE), len(fields))
fields.insert(pos, (0xAF, new))
out = base64.b64encode(enc(0x30, b"".join(f[1] for f in fields))).decode()
open(sys.argv[2], "w").write("-----BEGIN SSL SESSION PARAMETERS-----\n" + "\n".join(out[k:k + 64] for k in range(0, len(out), 64)) + "\n-----END SSL SESSION PARAMETERS-----\n")
EOF
}

# line FILE REGEX [NTH]: the line number of REGEX's NTH (default last) match in FILE, 0 if none.
line() {
    grep -nE -- "$2" "$1" 2>/dev/null | awk -F: -v n="${3:-0}" '{l[NR]=$1} END {print (NR ? (n ? l[n] + 0 : l[NR]) : 0)}'
}
count() { grep -cE -- "$2" "$1" 2>/dev/null; }

# kcl NAME ARGS...: keel s_client to 127.0.0.1:$PORT sending one line (stdin NAME.in)
kcl() {
    local n=$1
    shift
    printf '%s line\n' "$n" >"$T/$n.in"
    keel_client "$n" -connect 127.0.0.1:$PORT -servername localhost -CAfile "$CA" "$@" ||
        echo "(exit $?)" >>"$T/$n.err"
}
# ocl NAME ARGS...: openssl s_client sending one line, kept open until WAIT_RE shows in WAIT_FILE
# (the server has the line, and -sess_out has been written) so that the ticket arrives.
ocl() {
    local n=$1 a sess=
    shift
    for a in "$@"; do [ "$a" = -sess_out ] && sess=$T/$n.sess; done
    { printf '%s line\n' "$n"; hold_until "$WAIT_FILE" "$n line" 10; [ -z "$sess" ] || hold_until "$sess" "END SSL SESSION" 5; } |
        timeout 20 openssl s_client -connect 127.0.0.1:$PORT "${OC[@]}" "$@" >"$T/$n.out" 2>&1
}

# ======== keel s_client -> openssl s_server -early_data ========
start_openssl_server o -early_data "${CERT[@]}"
S=$T/o.out
n=k2o.1
kcl $n -sess_out "$T/k2o.pem"
expect "$n: a first, full handshake" "$T/$n.out" '^New, TLSv1.3' "$T/$n.err"
expect "$n: nothing sent early" "$T/$n.out" '^Early data was not sent'
n=k2o.2
kcl $n -sess_in "$T/k2o.pem" -early_data "$T/early.txt"
expect "$n: keel: Early data was accepted" "$T/$n.out" '^Early data was accepted' "$T/$n.err" "$S"
expect "$n: keel: Reused" "$T/$n.out" '^Reused, TLSv1.3'
expect "$n: openssl s_server: End of early data" "$S" '^End of early data'
wait_for "$S" "$n line" 5
e=$(line "$S" '^early bytes 0-RTT') c=$(line "$S" '^CIPHER is')
[ "$e" -gt 0 ] && [ "$e" -lt "$c" ] && pass "$n: the early bytes before the handshake's end (line $e < $c)" ||
    { fail "$n: early bytes at line $e, handshake end at line $c"; show "$S"; }
expect "$n: the line after the handshake arrived too" "$S" "^$n line"
n=k2o.3
kcl $n -sess_in "$T/k2o.pem" -early_data "$T/early.txt"
expect "$n (the same ticket again): keel: Early data was rejected" "$T/$n.out" '^Early data was rejected' "$T/$n.err" "$S"
expect "$n: a full handshake" "$T/$n.out" '^New, TLSv1.3'
expect "$n: openssl s_server: Early data was rejected" "$S" '^Early data was rejected'
wait_for "$S" "$n line" 5
[ "$(count "$S" '^early bytes 0-RTT')" = 1 ] && pass "$n: the replayed bytes did not reach the server" ||
    { fail "$n: the early bytes arrived $(count "$S" '^early bytes 0-RTT') times"; show "$S"; }
expect "$n: the line after the handshake arrived" "$S" "^$n line"
stop "$SRV_PID"

start_openssl_server o0 -early_data -max_early_data 0 "${CERT[@]}"
S=$T/o0.out
n=k2o0.1
kcl $n -sess_out "$T/k2o0.pem"
raise_max "$T/k2o0.pem" "$T/k2o0.raised.pem" 16384 && pass "session file edited (max_early_data 16384)" ||
    fail "cannot edit the session file"
n=k2o0.2
kcl $n -sess_in "$T/k2o0.pem" -early_data "$T/early.txt"
expect "$n: a session with max_early_data 0: nothing sent" "$T/$n.out" '^Early data was not sent' "$T/$n.err"
n=k2o0.3
kcl $n -sess_in "$T/k2o0.raised.pem" -early_data "$T/early.txt"
expect "$n: server max 0: keel: Early data was rejected" "$T/$n.out" '^Early data was rejected' "$T/$n.err" "$S"
expect "$n: still a resumption" "$T/$n.out" '^Reused, TLSv1.3'
wait_for "$S" "$n line" 5
expect "$n: the line after the handshake arrived" "$S" "^$n line"
expect_not "$n: the skipped early bytes never reached the server" "$S" '^early bytes 0-RTT'
stop "$SRV_PID"

# ======== openssl s_client -> keel s_server -early_data ========
for ar in anti no_anti; do
    extra=()
    [ $ar = no_anti ] && extra=(-no_anti_replay)
    start_keel_server k-$ar -early_data "${extra[@]}" "${CERT[@]}"
    S=$T/k-$ar.out WAIT_FILE=$S
    n=o2k-$ar.1
    ocl $n -sess_out "$T/$n.sess"
    expect "$n: openssl s_client: New" "$T/$n.out" '^New, TLSv1.3' "$T/k-$ar.err"
    expect "$n: keel s_server: No early data received" "$S" '^No early data received'
    n=o2k-$ar.2
    ocl $n -sess_in "$T/o2k-$ar.1.sess" -early_data "$T/early.txt"
    expect "$n: openssl s_client: Early data was accepted" "$T/$n.out" '^Early data was accepted' "$T/k-$ar.err" "$S"
    e=$(line "$S" '^early bytes 0-RTT') h=$(line "$S" '^Early data received:') c=$(line "$S" '^Reused, TLSv1.3')
    [ "$h" -gt 0 ] && [ "$e" -gt "$h" ] && [ "$e" -lt "$c" ] &&
        pass "$n: keel s_server printed the early bytes before the handshake's end (line $e < $c)" ||
        { fail "$n: header $h, early bytes $e, session line $c"; show "$S" "$T/k-$ar.err"; }
    expect "$n: keel s_server: End of early data" "$S" '^End of early data'
    n=o2k-$ar.3
    ocl $n -sess_in "$T/o2k-$ar.1.sess" -early_data "$T/early.txt"
    if [ $ar = anti ]; then
        expect "$n (replayed): openssl s_client: Early data was rejected" "$T/$n.out" '^Early data was rejected' "$T/k-$ar.err"
        expect "$n: a full handshake" "$T/$n.out" '^New, TLSv1.3'
        expect "$n: keel s_server: Early data was rejected" "$S" '^Early data was rejected'
        [ "$(count "$S" '^early bytes 0-RTT')" = 1 ] && pass "$n: the replayed bytes were not delivered" ||
            { fail "$n: the early bytes were delivered $(count "$S" '^early bytes 0-RTT') times"; show "$S"; }
    else
        expect "$n (replayed, -no_anti_replay): openssl s_client: Early data was accepted" "$T/$n.out" '^Early data was accepted' "$T/k-$ar.err"
        [ "$(count "$S" '^early bytes 0-RTT')" = 2 ] && pass "$n: the replayed bytes were delivered again" ||
            { fail "$n: the early bytes were delivered $(count "$S" '^early bytes 0-RTT') times"; show "$S"; }
    fi
    expect "$n: the line after the handshake arrived" "$S" "^$n line"
    stop "$SRV_PID"
done

start_keel_server k0 -early_data -max_early_data 0 "${CERT[@]}"
S=$T/k0.out WAIT_FILE=$S
n=o2k0.1
ocl $n -sess_out "$T/$n.sess"
raise_max "$T/$n.sess" "$T/o2k0.raised.pem" 16384 || fail "cannot edit the session file"
n=o2k0.2
ocl $n -sess_in "$T/o2k0.raised.pem" -early_data "$T/early.txt"
expect "$n: server max 0: openssl s_client: Early data was rejected" "$T/$n.out" '^Early data was rejected' "$T/k0.err" "$S"
expect "$n: still a resumption" "$T/$n.out" '^Reused, TLSv1.3'
expect "$n: keel s_server: Early data was rejected" "$S" '^Early data was rejected'
expect_not "$n: the skipped early bytes were not delivered" "$S" '^early bytes 0-RTT'
expect "$n: the line after the handshake arrived" "$S" "^$n line"
stop "$SRV_PID"

# ======== keel s_client -> keel s_server -early_data ========
start_keel_server kk -early_data "${CERT[@]}"
S=$T/kk.out
n=k2k.1
kcl $n -sess_out "$T/k2k.pem"
expect "$n: a first, full handshake" "$T/$n.out" '^New, TLSv1.3' "$T/$n.err" "$T/kk.err"
n=k2k.2
kcl $n -sess_in "$T/k2k.pem" -early_data "$T/early.txt"
expect "$n: keel client: Early data was accepted" "$T/$n.out" '^Early data was accepted' "$T/$n.err" "$S" "$T/kk.err"
wait_for "$S" "^$n line" 5
e=$(line "$S" '^early bytes 0-RTT') c=$(line "$S" '^Reused, TLSv1.3')
[ "$e" -gt 0 ] && [ "$e" -lt "$c" ] && pass "$n: keel server: the early bytes before the handshake's end (line $e < $c)" ||
    { fail "$n: early bytes at line $e, session line at $c"; show "$S"; }
expect "$n: the line after the handshake arrived" "$S" "^$n line"
n=k2k.3
kcl $n -sess_in "$T/k2k.pem" -early_data "$T/early.txt"
expect "$n (replayed): keel client: Early data was rejected" "$T/$n.out" '^Early data was rejected' "$T/$n.err" "$S"
expect "$n: a full handshake" "$T/$n.out" '^New, TLSv1.3'
wait_for "$S" "^$n line" 5
[ "$(count "$S" '^early bytes 0-RTT')" = 1 ] && pass "$n: the replayed bytes were not delivered" ||
    { fail "$n: the early bytes were delivered $(count "$S" '^early bytes 0-RTT') times"; show "$S"; }
stop "$SRV_PID"

# ======== keel <-> gnutls (3.7.9: gnutls-serv --earlydata, gnutls-cli --resume --earlydata) ========
if command -v gnutls-serv >/dev/null && gnutls-serv --help | grep -q -- --earlydata &&
    gnutls-cli --help | grep -q -- --earlydata; then
    # gnutls-serv does not show early data; keel's status line is the evidence.
    start_gnutls_server g --echo --earlydata --maxearlydata 16384 --x509certfile "$T/srv.pem" --x509keyfile "$T/srv.key"
    n=k2g.1
    kcl $n -sess_out "$T/k2g.pem"
    n=k2g.2
    kcl $n -sess_in "$T/k2g.pem" -early_data "$T/early.txt"
    expect "$n: gnutls-serv: keel: Early data was accepted" "$T/$n.out" '^Early data was accepted' "$T/$n.err"
    expect "$n: the echo of the line after the handshake" "$T/$n.out" "^$n line"
    stop "$SRV_PID"

    start_keel_server kg -early_data "${CERT[@]}"
    S=$T/kg.out
    n=g2k
    { printf '%s line\n' $n; hold_until "$S" "$n line" 10; } |
        timeout 20 gnutls-cli --x509cafile "$CA" --resume --earlydata="$T/early.txt" -p "$PORT" localhost >"$T/$n.out" 2>&1
    expect "$n: gnutls-cli: This is a resumed session" "$T/$n.out" 'This is a resumed session' "$T/kg.err"
    expect "$n: keel s_server: Early data received" "$S" '^Early data received:' "$T/kg.err"
    expect "$n: keel s_server: the early bytes" "$S" '^early bytes 0-RTT'
    expect "$n: keel s_server: End of early data" "$S" '^End of early data'
    stop "$SRV_PID"
else
    fail "gnutls-bin with --earlydata is not installed"
fi

finish
