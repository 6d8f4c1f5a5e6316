#!/bin/bash
# After a fatal alert keel's s_server and s_client must not close a socket that still holds unread
# peer data (the kernel would answer with a TCP reset, which can destroy the alert before the peer
# reads it): they shut down the send side, drain what the peer still sends for a bounded time,
# then close (issue #10 item 19). To make the race certain rather than occasional, the peer
# reads nothing for half a second through a small receive window, so keel's alert is still in
# keel's send queue (behind tickets, or behind application data) when keel gives up. The peer here (python3's ssl module on the system libssl)
# completes a handshake, then writes garbage records on the raw socket as fast as it can while
# reading: it must read keel's alert every time, never a connection reset.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { fail "python3 is not installed"; finish; }

make_ca ca && make_cert ca srv p256 || { fail "cannot make the certificates"; finish; }
ROUNDS=10
head -c 262144 /dev/zero | tr '\0' 'x' >"$T/drain.data"  # what keel s_client has queued to send

cat >"$T/peer.py" <<'PY'
import os, socket, ssl, sys, threading, time
role, port, ca, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

def garbage_writer(raw, stop):
    # Records of application_data whose AEAD tag cannot verify.
    junk = bytes([23, 3, 3, 0x40, 0]) + os.urandom(0x4000)
    try:
        while not stop.is_set():
            raw.sendall(junk)
    except OSError:
        pass

def run(tls):
    raw = socket.socket(fileno=os.dup(tls.fileno()))
    stop = threading.Event()
    t = threading.Thread(target=garbage_writer, args=(raw, stop))
    t.start()
    time.sleep(0.5)
    try:
        while True:
            if not tls.recv(4096):
                return "eof"
    except ssl.SSLError as e:
        return "alert" if "alert" in str(e).lower() else "ssl-error " + str(e)
    except ConnectionResetError:
        return "reset"
    except OSError as e:
        return "os-error " + str(e)
    finally:
        stop.set()
        try:
            raw.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        t.join()
        raw.close()

if role == "client":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.check_hostname = False
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    tls = ctx.wrap_socket(s)
else:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)  # inherited by the connection
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    print(ls.getsockname()[1], flush=True)
    c, _ = ls.accept()
    c.settimeout(10)
    tls = ctx.wrap_socket(c, server_side=True)
print(run(tls), flush=True)
PY

# keel s_server, hostile client
ok=0
for i in $(seq 1 $ROUNDS); do
    start_keel_server drain-srv.$i -naccept 1 -num_tickets 12 -cert "$T/srv.pem" -key "$T/srv.key" || break
    r=$(timeout 20 python3 "$T/peer.py" client "$PORT" "$T/ca.pem" - - 2>&1 | tail -n1)
    wait_exit "$SRV_PID" 5
    [ "$r" = alert ] && ok=$((ok + 1)) || echo "  round $i: $r"
done
[ $ok -eq $ROUNDS ] && pass "s_server: the client read the alert $ok/$ROUNDS times" ||
    fail "s_server: the client read the alert $ok/$ROUNDS times"

# keel s_client, hostile server
ok=0
for i in $(seq 1 $ROUNDS); do
    timeout 20 python3 "$T/peer.py" server 0 - "$T/srv.pem" "$T/srv.key" >"$T/drain-peer.$i" 2>&1 &
    PEER=$!
    BG_PIDS+=("$PEER")
    wait_for "$T/drain-peer.$i" '^[0-9]+$' 10 || { fail "python server did not start"; break; }
    port=$(head -n1 "$T/drain-peer.$i")
    timeout 20 "$KEEL" s_client -connect 127.0.0.1:$port -CAfile "$T/ca.pem" -ign_eof -nocommands \
        <"$T/drain.data" >"$T/drain-cli.$i" 2>&1
    wait "$PEER" 2>/dev/null
    r=$(tail -n1 "$T/drain-peer.$i")
    [ "$r" = alert ] && ok=$((ok + 1)) || echo "  round $i: $r"
done
[ $ok -eq $ROUNDS ] && pass "s_client: the server read the alert $ok/$ROUNDS times" ||
    fail "s_client: the server read the alert $ok/$ROUNDS times"
finish
