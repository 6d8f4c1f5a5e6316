#!/bin/bash
# `make demo`: a throwaway CA and server certificate (ECDSA P-256, SAN DNS:localhost) under
# BUILD_DIR/demo/, `keel s_server` on an ephemeral loopback port, `keel s_client` verifying it
# against the CA, what was negotiated, and the server stopped. Every step is bounded by a timeout.
set -u
BUILD=${1:-build}
KEEL="$BUILD/keel"
DEMO="$BUILD/demo"

die() { echo "demo: $*" >&2; exit 1; }
[ -x "$KEEL" ] || die "$KEEL is not built (run: make build)"
command -v openssl >/dev/null || die "the openssl command is needed (Debian package: openssl)"

rm -rf "$DEMO"
mkdir -p "$DEMO" || die "cannot create $DEMO"

echo "== certificates (openssl command, ECDSA P-256) in $DEMO"
{
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DEMO/ca.key" &&
    openssl req -x509 -new -key "$DEMO/ca.key" -out "$DEMO/ca.pem" -days 2 -subj "/CN=keel demo CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" &&
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DEMO/server.key" &&
    openssl req -new -key "$DEMO/server.key" -subj "/CN=localhost" -out "$DEMO/server.csr" &&
    printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$DEMO/server.ext" &&
    openssl x509 -req -in "$DEMO/server.csr" -CA "$DEMO/ca.pem" -CAkey "$DEMO/ca.key" -CAcreateserial \
        -days 2 -extfile "$DEMO/server.ext" -out "$DEMO/server.pem"
} >"$DEMO/openssl.log" 2>&1 || { cat "$DEMO/openssl.log" >&2; die "certificate generation failed"; }
echo "   CA:     $DEMO/ca.pem"
echo "   server: $DEMO/server.pem (SAN DNS:localhost), key $DEMO/server.key"

echo "== keel s_server -accept 0 (ephemeral loopback port), one connection"
timeout 20 "$KEEL" s_server -accept 0 -naccept 1 -www -cert "$DEMO/server.pem" -key "$DEMO/server.key" \
    </dev/null >"$DEMO/server.out" 2>"$DEMO/server.err" &
SRV=$!
trap 'kill $SRV 2>/dev/null; wait $SRV 2>/dev/null' EXIT
PORT=
for _ in $(seq 100); do
    PORT=$(awk '/^ACCEPT/{print $2; exit}' "$DEMO/server.out" 2>/dev/null)
    [ -n "$PORT" ] && break
    kill -0 $SRV 2>/dev/null || break
    sleep 0.05
done
[ -n "$PORT" ] || { cat "$DEMO/server.err" >&2; die "keel s_server did not start"; }
echo "   listening on 127.0.0.1:$PORT"

echo "== keel s_client -connect 127.0.0.1:$PORT -CAfile ca.pem -servername localhost"
printf 'GET / HTTP/1.0\r\n\r\n' |
    timeout 10 "$KEEL" s_client -connect "127.0.0.1:$PORT" -CAfile "$DEMO/ca.pem" -servername localhost \
        >"$DEMO/client.out" 2>"$DEMO/client.err"
RC=$?
awk '/^HTTP\/1\.0 /{exit} {print "   " $0}' "$DEMO/client.out"
if [ $RC -ne 0 ]; then
    cat "$DEMO/client.err" >&2
    die "keel s_client failed (exit $RC)"
fi
echo "== the server's page, as the client received it"
sed -n '/^keel s_server$/,$p' "$DEMO/client.out" | sed 's/^/   /'

wait $SRV 2>/dev/null
SRC=$?
trap - EXIT
[ $SRC -eq 0 ] || { cat "$DEMO/server.err" >&2; die "keel s_server exited $SRC"; }
grep -q '^Verify return code: 0 (ok)$' "$DEMO/client.out" || die "the server was not verified"
echo "== what keel s_server printed"
sed -n '2,$p' "$DEMO/server.out" | sed 's/^/   /'
echo "== done: TLS 1.3 keel <-> keel, certificate verified against the demo CA"
