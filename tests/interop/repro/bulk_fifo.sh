#!/bin/bash
# Reproducer for a flaky 1 MiB check (not a ctest test: run by hand). The bulk scenarios of
# tls12_features.sh (bulk()) and openssl.sh (k2o-bulk), each in a loop, with the lib.sh helpers
# they use: an openssl s_server (on keel's libssl or the system's) whose stdin is a FIFO fed
# `cat 1MiB; hold_until_size`, and an openssl / keel s_client sending 1 MiB.
#   KEEL_BUILD=build bash tests/interop/repro/bulk_fifo.sh [ITERATIONS] [LOAD]
# LOAD: none | cpu (two busy loops, the peers niced differently) | ports (a helper holds ~PORTS
# established loopback connections, whose local ports are in the ephemeral range free_port draws
# from — what a busy `ctest -j2` does, amplified) | inject (the first port free_port offers to each
# server is bound by another socket, not listening: `ss -tln` does not show it, bind() fails).
# Prints one line per failure and a summary; counts how many server starts needed a retry.
ITER=${1:-20}
LOAD=${2:-none}
. "$(dirname "$0")/../lib.sh"
make_ca ca && make_cert ca srv p256 || { fail "certificates"; finish; }
CA="$T/ca.pem"
CERT=(-cert "$T/srv.pem" -key "$T/srv.key")
OV=(-CAfile "$CA" -verify_return_error -verify_hostname localhost -servername localhost)
digits "$T/A" 1048576
digits "$T/B" 1048576
KENV=(env LD_LIBRARY_PATH="$KEEL_BUILD")

# every free_port call is logged: more than one per server start is a retry
: >"$T/free_port.log"
: >"$T/retried"
eval "orig_$(declare -f free_port)"
free_port() { echo x >>"$T/free_port.log"; orig_free_port; }
if [ "$LOAD" = inject ]; then
    # a socket bound to a port, not listening, for as long as this script runs
    python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1], flush=True); time.sleep(3600)' >"$T/squat" &
    BG_PIDS+=($!)
    wait_for "$T/squat" '^[0-9]+$' 5
    SQUAT=$(cat "$T/squat")
    # the first call of each server start (counted in $T/starts) gets the bound port
    free_port() {
        echo x >>"$T/free_port.log"
        if [ ! -e "$T/squat.used.$START" ]; then : >"$T/squat.used.$START"; echo "$SQUAT"; else orig_free_port; fi
    }
fi
case $LOAD in
cpu)
    for i in 1 2; do (while :; do :; done) & BG_PIDS+=($!); done ;;
ports)
    python3 -c 'import socket,sys,time
n=int(sys.argv[1]); l=socket.socket(); l.bind(("127.0.0.1",0)); l.listen(4096); keep=[]
for i in range(n):
    c=socket.socket(); c.connect(l.getsockname()); a,_=l.accept(); keep+=[c,a]
print("ready", flush=True); time.sleep(3600)' "${PORTS:-6000}" >"$T/ports" &
    BG_PIDS+=($!)
    wait_for "$T/ports" ready 60 || echo "port holder not ready" ;;
esac
START=0
# bulk NAME SIDE: one 1 MiB exchange each way. SIDE: k12srv (openssl s_server on keel, TLS 1.2,
# as tls12_features' bulk-keel-server), s12srv (system server, keel-side openssl client: bulk-keel-client),
# s13srv (system server, keel's s_client: openssl.sh's k2o-bulk), k13srv (openssl s_server on keel, TLS 1.3)
bulk() {
    local n=$1 side=$2 nice_s=() nice_c=()
    START=$((START + 1))
    if [ "$LOAD" = cpu ]; then nice_s=(nice -n $((START % 2 * 15))); nice_c=(nice -n $(((START + 1) % 2 * 15))); fi
    rm -f "$T/$n.srv.in" "$T/$n.srv.out" "$T/$n.out"
    mkfifo "$T/$n.srv.in"
    { cat "$T/B"; hold_until_size "$T/$n.srv.out" 1048576 20; } >"$T/$n.srv.in" &
    local feeder=$! before=$(wc -l <"$T/free_port.log")
    case $side in
    k12srv | k13srv) _start_peer $n.srv - "${nice_s[@]}" "${KENV[@]}" openssl s_server -accept 127.0.0.1:@PORT@ -quiet -naccept 1 "${CERT[@]}" ;;
    *) _start_peer $n.srv - "${nice_s[@]}" openssl s_server -accept 127.0.0.1:@PORT@ -quiet -naccept 1 "${CERT[@]}" ;;
    esac
    local tries=$(($(wc -l <"$T/free_port.log") - before))
    [ "$tries" -gt 1 ] && echo "$n" >>"$T/retried"
    case $side in
    k12srv) timeout 30 "${nice_c[@]}" openssl s_client -quiet -tls1_2 -connect 127.0.0.1:$PORT "${OV[@]}" <"$T/A" >"$T/$n.out" 2>"$T/$n.err" ;;
    s12srv) timeout 30 "${nice_c[@]}" "${KENV[@]}" openssl s_client -quiet -tls1_2 -connect 127.0.0.1:$PORT "${OV[@]}" <"$T/A" >"$T/$n.out" 2>"$T/$n.err" ;;
    k13srv) timeout 30 "${nice_c[@]}" openssl s_client -quiet -connect 127.0.0.1:$PORT "${OV[@]}" <"$T/A" >"$T/$n.out" 2>"$T/$n.err" ;;
    s13srv) timeout 30 "${nice_c[@]}" "$KEEL" s_client -connect 127.0.0.1:$PORT -servername localhost -CAfile "$CA" -quiet -ign_eof <"$T/A" >"$T/$n.out" 2>"$T/$n.err" ;;
    esac
    wait_exit "$SRV_PID" 10
    local up=$(stat -c %s "$T/$n.srv.out" 2>/dev/null || echo 0) down=$(stat -c %s "$T/$n.out" 2>/dev/null || echo 0)
    if cmp -s "$T/A" "$T/$n.srv.out" && cmp -s "$T/B" "$T/$n.out"; then
        pass "$n ($tries port(s))" >/dev/null
    else
        fail "$n: client->server $up bytes, server->client $down bytes, $tries port(s) tried"
    fi
    wait "$feeder"
}
for ((it = 1; it <= ITER; it++)); do
    for side in k12srv s12srv s13srv k13srv; do bulk $side-$it $side; done
done
echo "== load $LOAD: $FAILS of $((PASSES + FAILS)) exchanges failed; $(wc -l <"$T/retried") server starts needed a retry"
[ "$FAILS" -eq 0 ]
