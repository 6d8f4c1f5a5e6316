#!/bin/bash
# Automatic chain completion (SSL_CTX_add_extra_chain_cert(3) NOTES: "If no chain is specified,
# the library will try to complete the chain from the available CA certificates in the trusted CA
# storage"): keel configured with a leaf alone and a -CAfile holding the intermediate and the root
# sends leaf, intermediate and root (as OpenSSL 3.0 does), so a peer that trusts only the root
# verifies it; SSL_MODE_NO_AUTO_CHAIN (keel s_server -no_auto_chain) sends the leaf alone. Both
# roles: keel s_server to openssl s_client, keel s_client's certificate to openssl s_server.
. "$(dirname "$0")/lib.sh"

make_ca root || { fail "cannot make the root"; finish; }
# The intermediate: a CA certificate signed by the root.
genkey p256 "$T/int.key" &&
    openssl req -new -key "$T/int.key" -subj "/CN=keel test intermediate" -out "$T/int.csr" 2>/dev/null &&
    printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$T/int.ext" &&
    openssl x509 -req -in "$T/int.csr" -CA "$T/root.pem" -CAkey "$T/root.key" -CAcreateserial \
        -out "$T/int.pem" -days 3 -extfile "$T/int.ext" 2>/dev/null &&
    make_cert int srv p256 && make_cert int cli p256 ||
    { fail "cannot make certificates"; finish; }
cat "$T/int.pem" "$T/root.pem" >"$T/store.pem"

# ---- keel s_server -> openssl s_client (which trusts the root only) ----
n=o2k-auto
start_keel_server $n.srv -www -naccept 1 -cert "$T/srv.pem" -key "$T/srv.key" -CAfile "$T/store.pem"
openssl_client $n -connect 127.0.0.1:$PORT -servername localhost -CAfile "$T/root.pem" \
    -verify_return_error -showcerts
expect "$n: openssl s_client verified keel's completed chain" "$T/$n.out" '^Verify return code: 0 \(ok\)' "$T/$n.srv.err"
expect "$n: the intermediate was sent" "$T/$n.out" '^ 1 s:CN ?= ?keel test intermediate'
expect "$n: the root was sent (as OpenSSL does)" "$T/$n.out" '^ 2 s:CN ?= ?keel test root'
wait_exit "$SRV_PID" 5

n=o2k-no-auto
start_keel_server $n.srv -www -naccept 1 -cert "$T/srv.pem" -key "$T/srv.key" -CAfile "$T/store.pem" -no_auto_chain
openssl_client $n -connect 127.0.0.1:$PORT -servername localhost -CAfile "$T/root.pem" \
    -verify_return_error -showcerts
expect "$n: SSL_MODE_NO_AUTO_CHAIN: the leaf alone does not verify" "$T/$n.out" 'unable to get local issuer certificate'
expect_not "$n: no intermediate sent" "$T/$n.out" '^ 1 s:'
wait_exit "$SRV_PID" 5

# ---- keel s_client's certificate -> openssl s_server -Verify (trusting the root only) ----
n=k2o-auto
start_openssl_server $n.srv -www -Verify 2 -naccept 1 -CAfile "$T/root.pem" -verify_return_error \
    -cert "$T/srv.pem" -key "$T/srv.key" -cert_chain "$T/int.pem"
keel_client $n -connect 127.0.0.1:$PORT -servername localhost -CAfile "$T/store.pem" \
    -cert "$T/cli.pem" -key "$T/cli.key" || fail "$n: keel s_client exited $?"
wait_exit "$SRV_PID" 5
expect "$n: openssl s_server verified keel's completed client chain" "$T/$n.srv.out" '^depth=2 CN = keel test root$' "$T/$n.err"
expect "$n: the client certificate verified" "$T/$n.srv.out" '^depth=0 CN = cli$'
expect_not "$n: no verify error" "$T/$n.srv.out" 'verify error'
finish
