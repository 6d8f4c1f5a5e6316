#!/bin/bash
# Debian's python3 on keel (issue #11 item 5): with LD_LIBRARY_PATH on keel's libssl.so.3, CPython's
# _ssl module builds its contexts with its upstream default cipher string ("@SECLEVEL=2:ECDH+AESGCM:
# ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"), which keel once refused
# ("No cipher can be selected" from every ssl.SSLContext()). Checks that the contexts are made,
# that keel's library is the one loaded, that the TLS 1.2 list is OpenSSL's (restricted to keel's
# suites), and that a client fetches from openssl s_server -www.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { fail "python3 is not installed"; finish; }

# A sanitizer build needs its runtime preloaded in an uninstrumented python3 (as curl.sh does).
SAN_RT=$(ldd "$KEEL_BUILD/libssl.so.3" | awk '/libasan|libtsan/ { print $3; exit }')
py_keel() {
    LD_PRELOAD="$SAN_RT" ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH="$KEEL_BUILD" timeout 30 python3 -W ignore "$@"
}

cat >"$T/ctx.py" <<'PY'
import ssl, sys
maps = open("/proc/self/maps").read()
print("loaded", [l.split()[-1] for l in maps.splitlines() if "libssl.so.3" in l][0])
ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx = ssl.create_default_context()
print("tls12", ":".join(c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"))
PY
py_keel "$T/ctx.py" >"$T/ctx.out" 2>&1
expect "python3 loaded keel's libssl.so.3" "$T/ctx.out" "^loaded $KEEL_BUILD/libssl.so.3\$"
sys12=$(timeout 30 python3 -W ignore "$T/ctx.py" 2>&1 | sed -n 's/^tls12 //p' | tr ':' '\n' |
        grep -E '^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$' | paste -sd:)
expect "the default context's TLS 1.2 suites are the system libssl's ($sys12)" "$T/ctx.out" "^tls12 $sys12\$"

make_ca ca && make_cert ca srv p256 || { fail "cannot make certificates"; finish; }
start_openssl_server py.srv -www -cert "$T/srv.pem" -key "$T/srv.key"
cat >"$T/get.py" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            data += d
        print(s.version(), s.cipher()[0])
        print(data.split(b"\r\n")[0].decode())
PY
py_keel "$T/get.py" "$T/ca.pem" "$PORT" >"$T/get.out" 2>&1
expect "python3 on keel fetches from openssl s_server -www" "$T/get.out" "^HTTP/1.0 200 ok"
expect "... over TLS 1.3" "$T/get.out" "^TLSv1.3 TLS_"
finish
