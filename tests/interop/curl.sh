#!/bin/bash
# Debian's curl on keel: (1) the system curl binary with LD_LIBRARY_PATH on keel's libssl.so.3
# fetches from openssl s_server -www (and from keel s_server: keel on both ends), and the dynamic
# loader's trace proves keel's library was the one loaded; (2) the system curl on the system
# libssl fetches from keel s_server -www.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { fail "curl is not installed"; finish; }

make_ca ca && make_cert ca srv p256 || { fail "cannot make certificates"; finish; }
CA="$T/ca.pem"
CERT=(-cert "$T/srv.pem" -key "$T/srv.key")

# curl_keel NAME URL: curl with keel's libssl.so.3; page to NAME.page, stderr (with the loader's
# trace) to NAME.err.
# A sanitizer build of keel needs its runtime loaded first in a program that was not built with it:
# preload it (leak checking off: curl's own allocations at exit are not keel's concern here).
SAN_RT=$(ldd "$KEEL_BUILD/libssl.so.3" | awk '/libasan|libtsan/ { print $3; exit }')
curl_keel() {
    LD_PRELOAD="$SAN_RT" ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH="$KEEL_BUILD" LD_DEBUG=libs \
        timeout 20 curl -sS --cacert "$CA" -o "$T/$1.page" "$2" 2>"$T/$1.err"
}
loaded_keel() {
    local n=$1
    if grep -q "calling init: $KEEL_BUILD/libssl.so.3" "$T/$n.err"; then
        pass "$n: curl loaded keel's $KEEL_BUILD/libssl.so.3"
    else
        fail "$n: keel's libssl.so.3 was not initialised by the loader"
        grep -E 'libssl|symbol|error' "$T/$n.err" | grep -v 'search path\|trying file' | head -20 | sed 's/^/  | /'
    fi
    if grep -Eq 'calling init: /(usr/)?lib/.*/libssl\.so\.3' "$T/$n.err"; then
        fail "$n: the system libssl.so.3 was loaded too"
    else
        pass "$n: the system libssl.so.3 was not loaded"
    fi
    # (a preloaded sanitizer runtime probes for interceptor targets that may not exist: not keel's)
    if grep 'symbol lookup error\|undefined symbol' "$T/$n.err" | grep -qv 'lib[at]san'; then
        fail "$n: missing symbols in keel's libssl.so.3"
        grep 'symbol lookup error\|undefined symbol' "$T/$n.err" | grep -v 'lib[at]san' | head | sed 's/^/  | /'
    fi
}

n=curl-keel-to-openssl
start_openssl_server $n.srv -www "${CERT[@]}"
curl_keel $n "https://localhost:$PORT/" && pass "$n: curl exit 0" || fail "$n: curl exit $?"
loaded_keel $n
expect "$n: openssl s_server's page" "$T/$n.page" '^New, TLSv1.3, Cipher is TLS_'
# Verification is on in curl: an unrelated CA must make keel refuse the server.
make_ca other
LD_PRELOAD="$SAN_RT" ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH="$KEEL_BUILD" timeout 20 curl -sS --cacert "$T/other.pem" -o /dev/null "https://localhost:$PORT/" 2>"$T/$n.bad.err" &&
    fail "$n: curl on keel accepted a server from an unknown CA" ||
    pass "$n: curl on keel refused a server from an unknown CA"
expect "$n: curl reports the verification failure" "$T/$n.bad.err" 'certificate verify failed|SSL certificate problem'
stop "$SRV_PID"

n=curl-keel-to-keel
start_keel_server $n.srv -www -naccept 1 "${CERT[@]}"
curl_keel $n "https://localhost:$PORT/" && pass "$n: curl exit 0" || fail "$n: curl exit $?"
loaded_keel $n
expect "$n: keel s_server's page" "$T/$n.page" '^keel s_server$'
expect "$n: SNI reached keel s_server" "$T/$n.srv.out" '^Server name: localhost$'
wait_exit "$SRV_PID" 5 && pass "$n: keel s_server exit 0" || fail "$n: keel s_server exit $?"

n=curl-system-to-keel
start_keel_server $n.srv -www -naccept 1 "${CERT[@]}"
timeout 20 curl -sS --cacert "$CA" -o "$T/$n.page" "https://localhost:$PORT/" 2>"$T/$n.err" &&
    pass "$n: curl exit 0" || { fail "$n: curl exit $?"; show "$T/$n.err" "$T/$n.srv.err"; }
expect "$n: keel s_server's page" "$T/$n.page" '^keel s_server$'
expect "$n: TLS 1.3" "$T/$n.page" '^Protocol: TLSv1.3$'
wait_exit "$SRV_PID" 5 && pass "$n: keel s_server exit 0" || fail "$n: keel s_server exit $?"

finish
