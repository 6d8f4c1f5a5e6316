#!/bin/bash
# Unmodified Debian programs on keel (issue #11, Proof): the `openssl` command itself, socat and
# stunnel4 run with LD_LIBRARY_PATH on keel's libssl.so.3 — the dynamic loader's trace of each run
# proves keel's library was initialised and the system libssl.so.3 was not — against peers on the
# system libssl (and, for openssl s_client, keel s_server too):
#   - openssl s_client on keel -> openssl s_server and keel s_server: client certificate required
#     by the server, -sess_out then -sess_in resumes; openssl sess_id on keel prints the saved
#     session as the system's sess_id does and re-encodes it to the same DER;
#   - openssl s_server on keel <- openssl s_client (system): client certificate, resumption;
#   - openssl s_time on keel (new and -reuse) -> openssl s_server -www, bounded by -time 2;
#   - openssl ciphers -v 'HIGH:!aNULL' on keel = the system's lines for the suites keel implements;
#   - socat OPENSSL-LISTEN,verify=1 on keel <- openssl s_client, and socat OPENSSL:,verify=1 on
#     keel -> openssl s_server -rev: data both ways, a missing client certificate / unknown CA refused;
#   - stunnel4 server on keel in front of a plain TCP echo <- openssl s_client, and a client
#     stunnel4 on keel -> openssl s_server -www.
# A program missing on the machine fails the test (Makefile DEB_PACKAGES installs them).
. "$(dirname "$0")/lib.sh"
for tool in socat stunnel4 ss; do
    command -v $tool >/dev/null || fail "$tool is not installed (make deps)"
done
[ "$FAILS" -eq 0 ] || finish

make_ca ca && make_ca other && make_cert ca srv p256 && make_cert ca cli p256 DNS:client ||
    { fail "cannot make certificates"; finish; }
CA="$T/ca.pem"
SRV=(-cert "$T/srv.pem" -key "$T/srv.key")
CLI=(-cert "$T/cli.pem" -key "$T/cli.key")

# A sanitizer build of keel needs its runtime loaded first in a program not built with it (as in
# curl.sh); leak checking off: the programs' own allocations at exit are not keel's concern.
SAN_RT=$(ldd "$KEEL_BUILD/libssl.so.3" | awk '/libasan|libtsan/ { print $3; exit }')
# on_keel NAME: sets ON_KEEL, a command prefix running a program on keel's libssl.so.3 with the
# loader's trace in $T/NAME.ld.<pid> (one file per process: the program and anything it runs).
on_keel() {
    ON_KEEL=(env LD_PRELOAD="$SAN_RT" ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH="$KEEL_BUILD"
        LD_DEBUG=libs LD_DEBUG_OUTPUT="$T/$1.ld")
}
# loaded_keel NAME PROGRAM [OUTPUT FILE]: the trace shows PROGRAM initialising keel's libssl.so.3,
# no process initialised the system's, and nothing reported a missing symbol.
loaded_keel() {
    local n=$1 prog=$2 out=${3:-}
    local traces=("$T/$n".ld.*)
    if cat "${traces[@]}" 2>/dev/null | grep -q "calling init: $KEEL_BUILD/libssl.so.3"; then
        pass "$n: $prog loaded keel's libssl.so.3"
    else
        fail "$n: keel's libssl.so.3 was not initialised by the loader"
        cat "${traces[@]}" 2>/dev/null | grep -E 'libssl|error' | grep -v 'search path\|trying file' |
            head -20 | sed 's/^/  | /'
    fi
    if cat "${traces[@]}" 2>/dev/null | grep -Eq 'calling init: /(usr/)?lib/.*/libssl\.so\.3'; then
        fail "$n: the system libssl.so.3 was loaded too"
    else
        pass "$n: the system libssl.so.3 was not loaded"
    fi
    if [ -n "$out" ] && grep 'symbol lookup error\|undefined symbol' "$out" | grep -qv 'lib[at]san'; then
        fail "$n: missing symbols in keel's libssl.so.3"
        grep 'symbol lookup error\|undefined symbol' "$out" | head | sed 's/^/  | /'
    fi
}
# ossl_keel NAME ARGS...: `openssl ARGS` on keel, stdin an HTTP GET, stdout+stderr to NAME.out.
ossl_keel() {
    local n=$1
    shift
    on_keel "$n"
    printf '%s' "$HTTP_GET" | timeout 20 "${ON_KEEL[@]}" openssl "$@" >"$T/$n.out" 2>&1
}

# ---- openssl s_client on keel ----
# s_client_keel NAME DESC: two connections to $PORT with a client certificate, the second resuming
# the session the first saved; the server requires the certificate (-Verify 1).
s_client_keel() {
    local n=$1 desc=$2
    local OC=(s_client -connect 127.0.0.1:$PORT -servername localhost -CAfile "$CA" -verify_return_error
        "${CLI[@]}" -ign_eof)
    ossl_keel $n.1 "${OC[@]}" -sess_out "$T/$n.sess" && pass "$n: s_client exit 0" ||
        { fail "$n: s_client exit $?"; show "$T/$n.1.out"; }
    loaded_keel $n.1 openssl "$T/$n.1.out"
    expect "$n: full handshake with $desc" "$T/$n.1.out" '^New, TLSv1.3, Cipher is TLS_'
    expect "$n: server certificate verified" "$T/$n.1.out" '^Verify return code: 0 \(ok\)$'
    [ -s "$T/$n.sess" ] && pass "$n: -sess_out wrote a session" || fail "$n: no session file"
    ossl_keel $n.2 "${OC[@]}" -sess_in "$T/$n.sess" && pass "$n: s_client -sess_in exit 0" ||
        { fail "$n: s_client -sess_in exit $?"; show "$T/$n.2.out"; }
    expect "$n: -sess_in resumed" "$T/$n.2.out" '^Reused, TLSv1.3'
}

n=sc-keel-to-openssl
start_openssl_server $n.srv -www -Verify 1 -CAfile "$CA" "${SRV[@]}"
s_client_keel $n "openssl s_server"
# openssl s_server -www prints the client certificate it received on its page.
expect "$n: openssl s_server got the client certificate" "$T/$n.1.out" '^Client certificate$'
stop "$SRV_PID"

# openssl sess_id on keel reads the file keel's s_client wrote: same text as the system's reading,
# and the same DER when re-encoded (keel writes OpenSSL's SSL_SESSION structure).
n2=$n.sessid
on_keel $n2
timeout 10 "${ON_KEEL[@]}" openssl sess_id -in "$T/$n.sess" -text -noout >"$T/$n2.keel" 2>&1 &&
    pass "$n2: sess_id on keel exit 0" || { fail "$n2: sess_id on keel exit $?"; show "$T/$n2.keel"; }
loaded_keel $n2 openssl "$T/$n2.keel"
timeout 10 openssl sess_id -in "$T/$n.sess" -text -noout >"$T/$n2.sys" 2>&1
expect "$n2: TLS 1.3 session" "$T/$n2.keel" '^ +Protocol +: TLSv1.3$'
expect "$n2: a resumption PSK" "$T/$n2.keel" '^ +Resumption PSK: [0-9A-F]{64,96}$'
if diff -u "$T/$n2.sys" "$T/$n2.keel" >"$T/$n2.diff"; then
    pass "$n2: same text as sess_id on the system libssl"
else
    fail "$n2: sess_id text differs from the system's"
    show "$T/$n2.diff"
fi
timeout 10 "${ON_KEEL[@]}" openssl sess_id -in "$T/$n.sess" -outform DER -out "$T/$n2.keel.der" 2>/dev/null
timeout 10 openssl sess_id -in "$T/$n.sess" -outform DER -out "$T/$n2.sys.der" 2>/dev/null
if [ -s "$T/$n2.sys.der" ] && cmp -s "$T/$n2.sys.der" "$T/$n2.keel.der"; then
    pass "$n2: re-encoded DER identical to the system's"
else
    fail "$n2: re-encoded DER differs from the system's"
fi

n=sc-keel-to-keel
start_keel_server $n.srv -www -Verify 1 -CAfile "$CA" "${SRV[@]}"
s_client_keel $n "keel s_server"
stop "$SRV_PID"

# ---- openssl s_server on keel, openssl s_client on the system libssl ----
n=ss-keel
on_keel $n.srv
_start_peer $n.srv '^ACCEPT' "${ON_KEEL[@]}" openssl s_server -accept 127.0.0.1:@PORT@ -www \
    -Verify 1 -CAfile "$CA" "${SRV[@]}" || fail "$n: openssl s_server on keel did not start"
loaded_keel $n.srv openssl "$T/$n.srv.out"
OC=(-connect 127.0.0.1:$PORT -servername localhost -CAfile "$CA" -verify_return_error "${CLI[@]}")
openssl_client $n.1 "${OC[@]}" -sess_out "$T/$n.sess"
expect "$n: full handshake" "$T/$n.1.out" '^New, TLSv1.3, Cipher is TLS_' "$T/$n.srv.out"
expect "$n: keel's s_server verified the client certificate" "$T/$n.srv.out" '^depth=0 CN = cli$'
expect "$n: the page shows the client certificate" "$T/$n.1.out" '^Client certificate$'
openssl_client $n.2 "${OC[@]}" -sess_in "$T/$n.sess"
expect "$n: openssl s_client resumed" "$T/$n.2.out" '^Reused, TLSv1.3' "$T/$n.srv.out"
# openssl sess_id on keel reads the file the system's s_client wrote: the system's text, same DER.
on_keel $n.sessid
timeout 10 "${ON_KEEL[@]}" openssl sess_id -in "$T/$n.sess" -text -noout >"$T/$n.sessid.keel" 2>&1 &&
    pass "$n: sess_id on keel reads the system's session file" ||
    { fail "$n: sess_id on keel exit $?"; show "$T/$n.sessid.keel"; }
timeout 10 openssl sess_id -in "$T/$n.sess" -text -noout >"$T/$n.sessid.sys" 2>&1
diff -u "$T/$n.sessid.sys" "$T/$n.sessid.keel" >"$T/$n.sessid.diff" &&
    pass "$n: same sess_id text as the system's" ||
    { fail "$n: sess_id text differs from the system's"; show "$T/$n.sessid.diff"; }
timeout 10 "${ON_KEEL[@]}" openssl sess_id -in "$T/$n.sess" -outform DER -out "$T/$n.keel.der" 2>/dev/null
timeout 10 openssl sess_id -in "$T/$n.sess" -outform DER -out "$T/$n.sys.der" 2>/dev/null
[ -s "$T/$n.sys.der" ] && cmp -s "$T/$n.sys.der" "$T/$n.keel.der" &&
    pass "$n: keel re-encodes the system's session to the same DER" ||
    fail "$n: keel's DER of the system's session differs"
# Without a certificate the handshake fails (-Verify 1 requires one).
openssl_client $n.nocert -connect 127.0.0.1:$PORT -CAfile "$CA"
expect_not "$n: no client certificate, no page" "$T/$n.nocert.out" '^HTTP/1.0 200'
# openssl s_time on the system libssl against s_server on keel, with the client certificate.
timeout 15 openssl s_time -connect 127.0.0.1:$PORT -CAfile "$CA" "${CLI[@]}" -www / -time 2 -new \
    >"$T/$n.time" 2>&1 && pass "$n: s_time exit 0" || fail "$n: s_time exit $?"
expect "$n: s_time made connections and read pages" "$T/$n.time" '^[1-9][0-9]* connections in [0-9.]+s.*bytes read [1-9]'
stop "$SRV_PID"

# ---- openssl s_time on keel -> openssl s_server -www ----
n=stime-keel
start_openssl_server $n.srv -www "${SRV[@]}"
for mode in new reuse; do
    on_keel $n.$mode
    timeout 15 "${ON_KEEL[@]}" openssl s_time -connect 127.0.0.1:$PORT -CAfile "$CA" -www / -time 2 \
        -$mode >"$T/$n.$mode.out" 2>&1 && pass "$n -$mode: exit 0" || fail "$n -$mode: exit $?"
    loaded_keel $n.$mode openssl "$T/$n.$mode.out"
    expect "$n -$mode: connections made, pages read" "$T/$n.$mode.out" \
        '^[1-9][0-9]* connections in [0-9.]+s.*bytes read [1-9]'
done
stop "$SRV_PID"

# ---- openssl ciphers -v on keel vs the system ----
# keel implements a subset of OpenSSL's suites; for those, the lines (name, version, Kx, Au, Enc,
# Mac) and their order must be the system's.
n=ciphers
on_keel $n
timeout 10 "${ON_KEEL[@]}" openssl ciphers -v 'HIGH:!aNULL' >"$T/$n.keel" 2>&1 &&
    pass "$n: ciphers -v on keel exit 0" || { fail "$n: ciphers on keel exit $?"; show "$T/$n.keel"; }
loaded_keel $n openssl "$T/$n.keel"
openssl ciphers -v 'HIGH:!aNULL' >"$T/$n.sys"
awk '{ print $1 }' "$T/$n.keel" >"$T/$n.names"
awk 'NR == FNR { k[$1] = 1; next } ($1 in k)' "$T/$n.names" "$T/$n.sys" >"$T/$n.sys.restricted"
if [ -s "$T/$n.keel" ] && diff -u "$T/$n.sys.restricted" "$T/$n.keel" >"$T/$n.diff"; then
    pass "$n: keel's $(wc -l <"$T/$n.keel") lines = the system's for the suites keel implements"
else
    fail "$n: keel's ciphers -v differs from the system's"
    show "$T/$n.diff"
fi
expect "$n: TLS 1.3 suites listed" "$T/$n.keel" '^TLS_AES_128_GCM_SHA256 +TLSv1.3 '
expect "$n: TLS 1.2 ECDHE suites listed" "$T/$n.keel" '^ECDHE-ECDSA-AES128-GCM-SHA256 +TLSv1.2 +Kx=ECDH +Au=ECDSA '

# ---- socat ----
# socat_peer NAME ARGS...: openssl s_client (system) to $PORT sends a line, ends once it came back
# (or after $HOLD seconds, default 10). s_client's own text and the data interleave on its stdout:
# the data is matched anywhere in a line.
socat_peer() {
    local n=$1
    shift
    { echo "ping-from-$n"; hold_until "$T/$n.out" "ping-from-$n" "${HOLD:-10}"; } |
        timeout 20 openssl s_client -connect 127.0.0.1:$PORT -CAfile "$CA" -verify_return_error "$@" \
            >"$T/$n.out" 2>&1
}
n=socat-server-keel
on_keel $n.srv
_start_peer $n.srv - "${ON_KEEL[@]}" socat \
    "OPENSSL-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr,fork,cert=$T/srv.pem,key=$T/srv.key,cafile=$CA,verify=1" \
    "SYSTEM:echo greeting-from-socat; exec cat" || fail "$n: socat on keel did not start"
socat_peer $n.1 "${CLI[@]}"
expect "$n: socat's data reached the client" "$T/$n.1.out" 'greeting-from-socat' "$T/$n.srv.out"
expect "$n: the client's data came back" "$T/$n.1.out" "ping-from-$n.1"
expect "$n: TLS 1.3" "$T/$n.1.out" 'TLSv1.3'
HOLD=3 socat_peer $n.nocert
expect_not "$n: verify=1 refuses a client without a certificate" "$T/$n.nocert.out" 'greeting-from-socat'
loaded_keel $n.srv socat "$T/$n.srv.out"
stop "$SRV_PID"

n=socat-client-keel
start_openssl_server $n.srv -rev -Verify 1 -CAfile "$CA" "${SRV[@]}"
on_keel $n
{ echo "hello-from-socat"; hold_until "$T/$n.out" 'tacos-morf-olleh' 10; } |
    timeout 20 "${ON_KEEL[@]}" socat -t 2 - \
        "OPENSSL:127.0.0.1:$PORT,verify=1,cafile=$CA,cert=$T/cli.pem,key=$T/cli.key" >"$T/$n.out" 2>"$T/$n.err"
expect "$n: the reversed line came back through keel" "$T/$n.out" 'tacos-morf-olleh' "$T/$n.err" "$T/$n.srv.out"
loaded_keel $n socat "$T/$n.err"
echo nope | timeout 20 "${ON_KEEL[@]}" socat -t 2 - \
    "OPENSSL:127.0.0.1:$PORT,verify=1,cafile=$T/other.pem,cert=$T/cli.pem,key=$T/cli.key" \
    >"$T/$n.bad.out" 2>"$T/$n.bad.err" && fail "$n: socat on keel accepted a server from an unknown CA" ||
    pass "$n: verify=1 refused a server from an unknown CA"
expect "$n: socat reports the verification failure" "$T/$n.bad.err" 'certificate verify failed'
stop "$SRV_PID"

# ---- stunnel4 ----
# start_stunnel NAME CONFIG: CONFIG (with @PORT@ for its accept port) to $T/NAME.conf, stunnel4
# on keel in the foreground; sets PORT and SRV_PID.
start_stunnel() {
    local n=$1 conf=$2 p i
    on_keel $n
    for _ in 1 2 3; do
        p=$(free_port)
        printf 'foreground = yes\npid =\ndebug = info\n%s\n' "${conf//@PORT@/$p}" >"$T/$n.conf"
        timeout 60 "${ON_KEEL[@]}" stunnel4 "$T/$n.conf" >"$T/$n.out" 2>&1 &
        SRV_PID=$!
        BG_PIDS+=("$SRV_PID")
        for ((i = 0; i < 200; i++)); do
            if ss -Htln "sport = :$p" | grep -q .; then
                PORT=$p
                return 0
            fi
            kill -0 "$SRV_PID" 2>/dev/null || break
            sleep 0.05
        done
        stop "$SRV_PID"
    done
    echo "stunnel4 $n did not start" >&2
    show "$T/$n.out" >&2
    PORT=0
    return 1
}

n=stunnel-server-keel
# the plain TCP service behind stunnel: socat as an echo (no TLS)
_start_peer $n.echo - socat TCP-LISTEN:@PORT@,bind=127.0.0.1,reuseaddr,fork EXEC:cat
ECHO_PID=$SRV_PID
start_stunnel $n.srv "[echo]
accept = 127.0.0.1:@PORT@
connect = 127.0.0.1:$PORT
cert = $T/srv.pem
key = $T/srv.key
CAfile = $CA
verifyChain = yes" || fail "$n: stunnel4 on keel did not start"
socat_peer $n.1 "${CLI[@]}"
expect "$n: the echo came back through stunnel on keel" "$T/$n.1.out" "ping-from-$n.1" "$T/$n.srv.out"
expect "$n: TLS 1.3" "$T/$n.1.out" 'TLSv1.3'
expect "$n: stunnel accepted the client certificate" "$T/$n.srv.out" 'Certificate accepted at depth=0: CN=cli'
HOLD=3 socat_peer $n.nocert
expect_not "$n: no client certificate, no echo" "$T/$n.nocert.out" "ping-from-$n.nocert"
loaded_keel $n.srv stunnel4 "$T/$n.srv.out"
stop "$SRV_PID"
stop "$ECHO_PID"

n=stunnel-client-keel
start_openssl_server $n.tls -www -Verify 1 -CAfile "$CA" "${SRV[@]}"
TLS_PORT=$PORT
TLS_PID=$SRV_PID
start_stunnel $n.srv "[web]
client = yes
accept = 127.0.0.1:@PORT@
connect = 127.0.0.1:$TLS_PORT
cert = $T/cli.pem
key = $T/cli.key
CAfile = $CA
verifyChain = yes
checkHost = localhost" || fail "$n: stunnel4 on keel did not start"
printf '%s' "$HTTP_GET" | timeout 20 socat -t 5 - TCP:127.0.0.1:$PORT >"$T/$n.page" 2>&1
expect "$n: openssl s_server's page through stunnel on keel" "$T/$n.page" '^New, TLSv1.3, Cipher is TLS_' \
    "$T/$n.srv.out" "$T/$n.tls.out"
expect "$n: stunnel sent the client certificate" "$T/$n.page" '^Client certificate$'
expect "$n: stunnel verified the server" "$T/$n.srv.out" 'Certificate accepted at depth=0: CN=srv'
loaded_keel $n.srv stunnel4 "$T/$n.srv.out"
stop "$SRV_PID"
stop "$TLS_PID"

finish
