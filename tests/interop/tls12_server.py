#!/usr/bin/env python3
# A scripted TLS 1.2 server for tls12_client.sh: it answers one ClientHello with a server flight
# (RFC 5246 §7.3: ServerHello Certificate ServerKeyExchange [CertificateRequest] ServerHelloDone,
# ECDHE-ECDSA-AES128-GCM-SHA256 over X25519) in which CASE changes one thing, then prints what the
# client sent back: "alert LEVEL DESC" for a plaintext alert, "record TYPE LENGTH" otherwise. It
# never decrypts: cases after the client's flight send plaintext records the client must refuse.
# Usage: tls12_server.py PORT CASE CERT.pem KEY.pem RSACERT.pem (prints READY once listening).
# Signatures are made by the openssl command, so nothing beyond the standard library is needed.
import os, socket, struct, subprocess, sys

port, case, certf, keyf, rsacertf = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]

def der(pem):
    return subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"], check=True,
                          capture_output=True).stdout

def u8(x): return bytes([x])
def u16(x): return struct.pack(">H", x)
def u24(x): return struct.pack(">I", x)[1:]
def v8(b): return u8(len(b)) + b
def v16(b): return u16(len(b)) + b
def v24(b): return u24(len(b)) + b
def hs(t, body): return u8(t) + v24(body)
def rec(t, body): return u8(t) + u16(0x0303) + v16(body)
def ext(t, body): return u16(t) + v16(body)

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(1)
ls.settimeout(10)
print("READY", flush=True)
c, _ = ls.accept()
c.settimeout(1)

def readrec():
    h = b""
    while len(h) < 5:
        x = c.recv(5 - len(h))
        if not x:
            return None
        h += x
    n = struct.unpack(">H", h[3:5])[0]
    b = b""
    while len(b) < n:
        x = c.recv(n - len(b))
        if not x:
            return None
        b += x
    return h[0], b

def report():
    try:
        while True:
            r = readrec()
            if r is None:
                print("eof")
                return
            if r[0] == 21 and len(r[1]) == 2:
                print("alert", r[1][0], r[1][1])
            else:
                print("record", r[0], len(r[1]))
    except socket.timeout:
        print("timeout")

r = readrec()
ch = r[1]
crand = ch[6:38]
if case == "hrr_then_12":
    # RFC 8446 §4.1.4: a HelloRetryRequest, then (below) a TLS 1.2 ServerHello
    hrr_random = bytes.fromhex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C")
    csid = ch[39:39 + ch[38]]
    hx = ext(0x002b, u16(0x0304)) + ext(0x0033, u16(0x0017))
    c.sendall(rec(22, hs(2, u16(0x0303) + hrr_random + v8(csid) + u16(0x1301) + u8(0) + v16(hx))))
    r = readrec()
    while r is not None and r[0] != 22:
        r = readrec()

srand = os.urandom(32)
if case == "sentinel":
    srand = srand[:24] + b"DOWNGRD\x01"  # RFC 8446 §4.1.3
sid = os.urandom(33 if case == "sid_too_long" else 32)
if case.startswith("resume_"):
    sid = ch[39:39 + ch[38]]  # the offered session's id echoed: resumption (RFC 5246 §7.4.1.3)
suite = {"sh_cipher_13": 0x1301, "sh_cipher_unoffered": 0xC02C, "resume_cipher": 0xC02C}.get(case, 0xC02B)
exts = b""
if case != "no_reneg":
    exts += ext(0xff01, v8(b"\x01" if case == "sh_reneg_nonempty" else b""))
if case != "resume_no_ems":
    exts += ext(0x0017, b"")  # extended_master_secret
exts += ext(0x000b, v8(b"\x01" if case == "sh_ec_formats" else b"\x00"))
if case.startswith("nst_") or case == "sh_ticket_nonempty":
    exts += ext(0x0023, b"\x00" if case == "sh_ticket_nonempty" else b"")
if case == "sh_alpn":
    exts += ext(0x0010, v16(v8(b"h2")))
if case == "sh_key_share":
    exts += ext(0x0033, u16(0x001d) + v16(bytes(32)))
ver = 0x0302 if case == "sh_tls11" else 0x0303
sh = hs(2, u16(ver) + srand + v8(sid) + u16(suite) + u8(1 if case == "sh_comp" else 0) + v16(exts))

chain = b"" if case == "empty_cert" else v24(der(rsacertf if case == "rsa_cert" else certf))
cert = hs(11, v24(chain))
point = os.urandom(32)  # an X25519 public value (RFC 7748: any 32 bytes)
if case == "ske_bad_point":
    point = point[:31]
params = u8(1 if case == "ske_curve_type" else 3) + u16(0x0017 if case == "ske_group" else 0x001d) + v8(point)
scheme = {"ske_scheme_not_offered": 0x0603, "ske_scheme_wrong_key": 0x0804}.get(case, 0x0403)
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", keyf], input=crand + srand + params,
                     check=True, capture_output=True).stdout
if case == "ske_bad_sig":
    sig = sig[:-1] + bytes([sig[-1] ^ 1])
ske = hs(12, params + u16(scheme) + v16(sig))
shd = hs(14, b"\x00" if case == "shd_nonempty" else b"")
cr = hs(13, v8(b"" if case == "cr_no_types" else b"\x40\x01") + v16(u16(0x0403)) + v16(b""))

flight = [sh]
if case == "hello_request":
    flight.append(hs(0, b""))  # RFC 5246 §7.4.1.1: ignored during a handshake
if case.startswith("resume_"):
    flight = []
    c.sendall(rec(22, sh))  # an abbreviated handshake would go on with CCS Finished
elif case == "ccs_early":
    c.sendall(rec(22, sh))
    c.sendall(rec(20, b"\x01"))
    flight = []
else:
    flight += [cert, ske]
    if case.startswith("cr_"):
        flight.append(cr)
    flight.append(shd)
if case == "warn_before_sh":
    c.sendall(rec(21, b"\x01\x70"))  # warning unrecognized_name
if case in ("warn_after_sh", "warn_norenego"):
    c.sendall(rec(22, flight[0]))
    c.sendall(rec(21, b"\x01\x70" if case == "warn_after_sh" else b"\x01\x64"))
    flight = flight[1:]
if flight:
    c.sendall(rec(22, b"".join(flight)))

if case.startswith("nst_") or case.startswith("post_"):
    # the client's ClientKeyExchange, ChangeCipherSpec and Finished first
    for _ in range(3):
        r = readrec()
        if r is None or r[0] == 21:
            break
    if case == "nst_short":
        c.sendall(rec(22, hs(4, b"\x00\x00\x01")))
    if case == "nst_trailing":
        c.sendall(rec(22, hs(4, struct.pack(">I", 300) + v16(b"T" * 40) + b"x")))
    if case == "post_fin_plain":
        c.sendall(rec(22, hs(20, bytes(12))))  # Finished without ChangeCipherSpec
    if case == "post_ccs_bad":
        c.sendall(rec(20, b"\x02"))
    if case == "post_ccs_long":
        c.sendall(rec(20, b"\x01\x01"))
    if case == "post_ccs_mid":
        c.sendall(rec(22, b"\x04\x00"))  # half a message header, then the CCS
        c.sendall(rec(20, b"\x01"))
report()
