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
# (the system's list restricted to the suites keel implements: ECDHE, DHE-RSA and RSA key transport
# with AEAD and CBC, ECDHE with CCM)
sys12=$(timeout 30 python3 -W ignore "$T/ctx.py" 2>&1 | sed -n 's/^tls12 //p' | tr ':' '\n' |
        grep -E '^((ECDHE-(ECDSA|RSA)-|DHE-RSA-)?(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305|AES(128|256)-SHA(256|384)?)|ECDHE-(ECDSA|RSA)-AES(128|256)-CCM8?)$' | paste -sd:)
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

# ---- a python3 ssl server on keel, openssl s_client (system libssl) as the peer ----
# A CPython-default context (its upstream cipher string), load_dh_params, set_ecdh_curve taking
# effect, post-handshake auth and session resumption. One server process takes one connection per
# mode named on its command line and prints one line per connection.
CPY_CIPHERS='@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM'
make_cert ca cli p256 || { fail "cannot make the client certificate"; finish; }
# ffdhe2048 (RFC 7919) as PEM "DH PARAMETERS": what `openssl dhparam` writes, without the wait.
openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$T/dh.pem" 2>/dev/null ||
    { fail "cannot write DH parameters"; finish; }
cat >"$T/srv.py" <<'PY'
import socket, ssl, sys
cert, key, ca, dh, ciphers = sys.argv[1:6]
modes = sys.argv[6:]
maps = open("/proc/self/maps").read()
print("loaded", [l.split()[-1] for l in maps.splitlines() if "libssl.so.3" in l][0], flush=True)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.set_ciphers(ciphers)
ctx.load_cert_chain(cert, key)
ctx.load_verify_locations(ca)
ctx.load_dh_params(dh)
ctx.set_ecdh_curve("prime256v1")
ctx.post_handshake_auth = True
ctx.verify_mode = ssl.CERT_REQUIRED
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(5)
ls.settimeout(30)
print("PORT", ls.getsockname()[1], flush=True)
for i, mode in enumerate(modes):
    raw, _ = ls.accept()
    raw.settimeout(20)
    try:
        with ctx.wrap_socket(raw, server_side=True) as s:
            if mode == "pha":
                s.verify_client_post_handshake()
                s.sendall(b"pha requested\n")
            else:
                s.sendall(b"hello from python\n")
            line = s.recv(100)
            peer = s.getpeercert()
            subj = dict(x[0] for x in peer["subject"])["commonName"] if peer else None
            print(mode, "ok", s.version(), s.cipher()[0], "reused", s.session_reused,
                  "peer", subj, "got", line.decode().strip(), flush=True)
    except Exception as e:
        print(mode, "error", type(e).__name__, e, flush=True)
        raw.close()
PY
LD_PRELOAD="$SAN_RT" ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH="$KEEL_BUILD" timeout 90 python3 -W ignore \
    "$T/srv.py" "$T/srv.pem" "$T/srv.key" "$T/ca.pem" "$T/dh.pem" "$CPY_CIPHERS" \
    p256 x25519 pha sess1 sess2 >"$T/pysrv.out" 2>&1 &
PYSRV=$!
BG_PIDS+=("$PYSRV")
if wait_for "$T/pysrv.out" '^PORT [0-9]+' 20; then
    PYPORT=$(awk '/^PORT/{print $2; exit}' "$T/pysrv.out")
else
    fail "the python3 server did not start"; show "$T/pysrv.out"; PYPORT=1
fi
expect "the python3 server loaded keel's libssl.so.3" "$T/pysrv.out" "^loaded $KEEL_BUILD/libssl.so.3\$"
# pycli NAME MODE ARGS...: openssl s_client to the python3 server; it sends one line once the
# server's greeting has arrived, then waits for the server's line for MODE before closing.
pycli() {
    local name=$1 mode=$2
    shift 2
    { hold_until "$T/$name.out" '^(hello from python|pha requested)' 10; echo "line from $name"
      hold_until "$T/pysrv.out" "^$mode " 10; } |
        timeout 30 openssl s_client -connect 127.0.0.1:$PYPORT -tls1_3 -CAfile "$T/ca.pem" \
            -verify_return_error "$@" >"$T/$name.out" 2>&1
    wait_for "$T/pysrv.out" "^$mode " 10 || true
}
pycli c.p256 p256 -groups P-256
expect "python3 server on keel: openssl s_client connects (P-256)" "$T/pysrv.out" \
    "^p256 ok TLSv1.3 TLS_[A-Z0-9_]+ reused False peer None got line from c.p256\$" "$T/c.p256.out"
expect "... and s_client verified the server" "$T/c.p256.out" "Verify return code: 0 \(ok\)"
pycli c.x25519 x25519 -groups X25519
expect "set_ecdh_curve('prime256v1') took effect: a client offering only X25519 is refused" \
    "$T/pysrv.out" "^x25519 error SSLError" "$T/c.x25519.out"
expect_not "... and the X25519 client did not get a session" "$T/c.x25519.out" "^hello from python"
pycli c.pha pha -enable_pha -cert "$T/cli.pem" -key "$T/cli.key"
expect "post-handshake auth: the python3 server got s_client's certificate" "$T/pysrv.out" \
    "^pha ok TLSv1.3 .* peer cli got line from c.pha\$" "$T/c.pha.out"
pycli c.sess1 sess1 -sess_out "$T/pysrv.sess"
pycli c.sess2 sess2 -sess_in "$T/pysrv.sess"
expect "session resumption on the python3 server: s_client resumed" "$T/c.sess2.out" "^Reused, TLSv1.3" \
    "$T/c.sess1.out"
expect "... and the python3 server says session_reused" "$T/pysrv.out" "^sess2 ok TLSv1.3 .* reused True"
wait "$PYSRV" 2>/dev/null

# ---- a python3 client on keel against openssl s_server: SSLSocket.session and SSLObject.session ----
start_openssl_server py.rsrv -www -cert "$T/srv.pem" -key "$T/srv.key"
cat >"$T/resume.py" <<'PY'
import socket, ssl, sys
ca, port, ciphers = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
ctx.set_ciphers(ciphers)
def fetch(s):
    s.sendall(b"GET / HTTP/1.0\r\n\r\n") if hasattr(s, "sendall") else None
    data = b""
    while True:
        d = s.recv(4096)
        if not d:
            return data
        data += d
def sock_conn(session):
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as s:
            data = fetch(s)
            return s.session, s.session_reused, data.split(b"\r\n")[0].decode()
# SSLObject over memory BIOs, pumped through a socket by hand.
def obj_conn(session):
    raw = socket.create_connection(("127.0.0.1", port), timeout=20)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    o = ctx.wrap_bio(inc, out, server_hostname="localhost", session=session)
    def pump(fn, *a):
        while True:
            try:
                r = fn(*a)
                if out.pending:
                    raw.sendall(out.read())
                return r
            except ssl.SSLWantReadError:
                if out.pending:
                    raw.sendall(out.read())
                d = raw.recv(16384)
                if not d:
                    inc.write_eof()
                else:
                    inc.write(d)
    pump(o.do_handshake)
    pump(o.write, b"GET / HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        try:
            d = pump(o.read, 4096)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            break
        if not d:
            break
        data += d
    raw.close()
    return o.session, o.session_reused, data.split(b"\r\n")[0].decode()
for name, conn in (("SSLSocket", sock_conn), ("SSLObject", obj_conn)):
    sess, r1, l1 = conn(None)
    print(name, "first", r1, l1, "has_ticket", sess is not None and sess.has_ticket)
    sess2, r2, l2 = conn(sess)
    print(name, "second", r2, l2)
PY
py_keel "$T/resume.py" "$T/ca.pem" "$PORT" "$CPY_CIPHERS" >"$T/resume.out" 2>&1
for kind in SSLSocket SSLObject; do
    expect "python3 client on keel ($kind, CPython-default ciphers) fetches from s_server" "$T/resume.out" \
        "^$kind first False HTTP/1.0 200 ok has_ticket True\$"
    expect "... and $kind.session resumes: session_reused True on the second connection" "$T/resume.out" \
        "^$kind second True HTTP/1.0 200 ok\$"
done
finish
