#!/bin/bash
# Unmodified Debian programs speaking TLS 1.2 on keel's libssl.so.3 (issue #12), with the loader's
# trace of every such process checked (tls12_common.inc), peers on the system libssl:
#   - curl on keel -> a TLS 1.2-only openssl s_server; curl --tls-max 1.2 -> a 1.3-capable one;
#   - nginx (nginx-light) on keel, a server block with `ssl_protocols TLSv1.2;` and dual RSA +
#     ECDSA certificates: an RSA-only client gets the RSA certificate, an ECDSA-only client the
#     ECDSA one, a TLS 1.3-only client is refused, a ticket resumes;
#   - python3's ssl on keel with maximum_version = TLSv1_2, as server and as client.
# KEEL_T12_SELFTEST=1 runs the programs on the system libssl (validates the script).
. "$(dirname "$0")/tls12_common.inc"
# Debian's python3 (another python3 first in PATH may carry its own libpython, which the
# selftest's LD_LIBRARY_PATH would replace with Debian's)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
for tool in curl nginx "$PY"; do
    command -v $tool >/dev/null || fail "$tool is not installed (make deps: nginx-light)"
done
[ "$FAILS" -eq 0 ] || finish

# ======== curl ========
sys_srv c12.srv -tls1_2 -www $(cert p256); P12=$PORT
sys_srv c13.srv -www $(cert p256); P13=$PORT
K curl-12
timeout 20 "${KP[@]}" curl -sSv --cacert "$CA" -o "$T/curl-12.page" "https://localhost:$P12/" >"$T/curl-12.out" 2>&1
ok "curl on keel -> TLS 1.2-only openssl s_server" @"$T/curl-12.out" 'SSL connection using TLSv1.2 / ECDHE-ECDSA-' \
    @"$T/curl-12.page" '^New, TLSv1.2, Cipher is ECDHE-ECDSA-'
K curl-max12
timeout 20 "${KP[@]}" curl -sSv --tls-max 1.2 --cacert "$CA" -o "$T/curl-max12.page" "https://localhost:$P13/" >"$T/curl-max12.out" 2>&1
ok "curl --tls-max 1.2 on keel -> 1.3-capable openssl s_server" @"$T/curl-max12.out" 'SSL connection using TLSv1.2 / ' \
    @"$T/curl-max12.page" '^New, TLSv1.2, Cipher is ECDHE-'
K curl-bad
timeout 20 "${KP[@]}" curl -sS --cacert "$T/other.pem" -o /dev/null "https://localhost:$P12/" >"$T/curl-bad.out" 2>&1
ok "curl on keel refuses a TLS 1.2 server from an unknown CA" @"$T/curl-bad.out" 'certificate verify failed|SSL certificate problem'
stop_servers

# ======== nginx ========
start_nginx "        ssl_protocols TLSv1.2;
        ssl_certificate $T/srv-rsa2048.pem;
        ssl_certificate_key $T/srv-rsa2048.key;
        ssl_certificate $T/srv-p256.pem;
        ssl_certificate_key $T/srv-p256.key;" \
    'nginx $ssl_protocol $ssl_cipher reused=$ssl_session_reused' ||
    { fail "nginx on keel did not start"; show "$T/nginx.out" "$NGX/error.log"; }
PN=$PORT
spawn sc n-rsa $PN -tls1_2 -sigalgs RSA+SHA256:RSA-PSS+SHA256 -cipher ECDHE-RSA-AES128-GCM-SHA256 "${OV[@]}"
spawn sc n-ecdsa $PN -tls1_2 -sigalgs ECDSA+SHA256 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 "${OV[@]}"
spawn sc n-any $PN "${OV[@]}"
spawn sc n-13 $PN -tls1_3 "${OV[@]}"
spawn eval 'sc n-res.1 $PN -sess_out "$T/n-res.sess" "${OV[@]}"; sc n-res.2 $PN -sess_in "$T/n-res.sess" "${OV[@]}"'
timeout 20 curl -sS --cacert "$CA" "https://localhost:$PN/" >"$T/n-curl.out" 2>&1
drain
ok "nginx on keel: an RSA-only client gets the RSA certificate" @"$T/n-rsa.cli" '^New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256$' \
    '^subject=CN = srv-rsa2048$' '^Peer signature type: RSA' 'Verify return code: 0 \(ok\)' \
    @"$T/n-rsa.page" '^nginx TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 reused=\.$'
ok "nginx on keel: an ECDSA-only client gets the ECDSA certificate" @"$T/n-ecdsa.cli" '^New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256$' \
    '^subject=CN = srv-p256$' '^Peer signature type: ECDSA$' 'Verify return code: 0 \(ok\)' \
    @"$T/n-ecdsa.page" '^nginx TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 reused=\.$'
ok "nginx on keel: a 1.3-capable client negotiates TLS 1.2" @"$T/n-any.cli" '^New, TLSv1.2, Cipher is ECDHE-' \
    @"$T/n-any.page" '^nginx TLSv1.2 ECDHE-'
ok "nginx on keel (ssl_protocols TLSv1.2): a TLS 1.3-only client is refused (protocol_version)" @"$T/n-13.cli" \
    'alert protocol version' '!Cipher is TLS_'
ok "nginx on keel: a session ticket resumes" @"$T/n-res.1.cli" '^New, TLSv1.2, ' 'TLS session ticket lifetime hint' \
    @"$T/n-res.2.cli" '^Reused, TLSv1.2, ' @"$T/n-res.2.page" 'reused=r$'
ok "nginx on keel: Debian's curl (system libssl) fetches" @"$T/n-curl.out" '^nginx TLSv1.2 ECDHE-'
stop_servers

# ======== python3 ========
cat >"$T/srv.py" <<'PY'
import socket, ssl, sys
cert, key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.load_cert_chain(cert, key)
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(5)
ls.settimeout(30)
print("PORT", ls.getsockname()[1], flush=True)
for i in range(n):
    raw, _ = ls.accept()
    raw.settimeout(20)
    try:
        with ctx.wrap_socket(raw, server_side=True) as s:
            s.sendall(b"hello from python\n")
            line = s.recv(100)
            print("conn", i, "ok", s.version(), s.cipher()[0], "got", line.decode().strip(), flush=True)
    except Exception as e:
        print("conn", i, "error", type(e).__name__, e, flush=True)
        raw.close()
PY
K py-srv
timeout 60 "${KP[@]}" "$PY" -W ignore "$T/srv.py" "$T/srv-p256.pem" "$T/srv-p256.key" 2 >"$T/py-srv.out" 2>&1 &
PYSRV=$!
BG_PIDS+=("$PYSRV")
wait_for "$T/py-srv.out" '^PORT [0-9]+' 20 && PYPORT=$(awk '/^PORT/{print $2; exit}' "$T/py-srv.out") || PYPORT=1
# pyc N MARK ARGS: openssl s_client to the python3 server; sends a line once greeted (or after 10 s)
pyc() {
    local n=$1 mark=$2
    shift 2
    { hold_until "$T/$n.out" '^hello from python' 10; echo "line from $n"; hold_until "$T/py-srv.out" "^conn $mark " 10; } |
        timeout 30 openssl s_client -connect 127.0.0.1:$PYPORT "${OV[@]}" "$@" >"$T/$n.out" 2>&1
    wait_for "$T/py-srv.out" "^conn $mark " 10 || true
}
pyc py-c0 0
pyc py-c1 1 -tls1_3
wait_exit "$PYSRV" 10
ok "python3 server on keel (maximum_version TLSv1_2) <- openssl s_client (1.3-capable)" @"$T/py-srv.out" \
    '^conn 0 ok TLSv1.2 ECDHE-ECDSA-[A-Z0-9-]+ got line from py-c0$' @"$T/py-c0.out" '^New, TLSv1.2, ' 'Verify return code: 0 \(ok\)'
ok "python3 server on keel (maximum_version TLSv1_2) refuses a TLS 1.3-only client" @"$T/py-srv.out" '^conn 1 error' \
    @"$T/py-c1.out" 'alert protocol version'

cat >"$T/cli.py" <<'PY'
import socket, ssl, sys
ca, port, cap = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "max12"
ctx = ssl.create_default_context(cafile=ca)
if cap:
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            data += d
        print("client", s.version(), s.cipher()[0])
        sys.stdout.write(data.decode())
PY
sys_srv py13.srv -www $(cert p256); PY13=$PORT
sys_srv py12.srv -tls1_2 -www $(cert rsa2048); PY12=$PORT
K py-cli-max12
timeout 30 "${KP[@]}" "$PY" -W ignore "$T/cli.py" "$CA" $PY13 max12 >"$T/py-cli-max12.out" 2>&1
ok "python3 client on keel (maximum_version TLSv1_2) -> 1.3-capable openssl s_server" @"$T/py-cli-max12.out" \
    '^client TLSv1.2 ECDHE-ECDSA-' '^New, TLSv1.2, Cipher is ECDHE-ECDSA-'
K py-cli-default
timeout 30 "${KP[@]}" "$PY" -W ignore "$T/cli.py" "$CA" $PY12 default >"$T/py-cli-default.out" 2>&1
ok "python3 client on keel (default context) -> TLS 1.2-only openssl s_server (RSA)" @"$T/py-cli-default.out" \
    '^client TLSv1.2 ECDHE-RSA-' '^New, TLSv1.2, Cipher is ECDHE-RSA-'
stop_servers

check_traces
finish
