/* The sessions harness's seeds: i2d_SSL_SESSION of the sessions keel clients got from keel servers
 * (tickets read after the handshake), copies of one reassembled from its DER elements, each
 * breaking one rule of the format (src/api/sess_asn1.c) so that every rejection path starts from a
 * seed, one with fields OpenSSL may write and keel skips, and regressions. */
#include "recorder.h"

#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The elements of an encoding: DER SSL_SESSION (layout in src/api/sess_asn1.c), a SEQUENCE of
 * tag-length-value elements. Recorder-only: the input is keel's own fresh output. */
typedef struct { const uint8_t *p; size_t len; uint8_t tag; } elem;

static size_t der_hdr(const uint8_t *p, size_t *len)
{
    if (p[1] < 0x80) {
        *len = p[1];
        return 2;
    }
    size_t n = p[1] & 0x7f, l = 0;
    for (size_t i = 0; i < n; i++)
        l = l << 8 | p[2 + i];
    *len = l;
    return 2 + n;
}

static size_t parse(const uint8_t *p, elem *e, size_t max)
{
    size_t total, h = der_hdr(p, &total), o = h, n = 0;
    while (o < h + total && n < max) {
        size_t l, eh = der_hdr(p + o, &l);
        e[n].p = p + o;
        e[n].len = eh + l;
        e[n].tag = p[o];
        o += eh + l;
        n++;
    }
    return n;
}

/* A SEQUENCE of the elements, element `skip` left out, `repl` (if any) put in place of element
 * `at`. Returns the length written to out. */
static size_t assemble(uint8_t *out, const elem *e, size_t n, size_t skip, size_t at,
                       const uint8_t *repl, size_t repl_len)
{
    uint8_t body[8192];
    size_t b = 0, h = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == skip)
            continue;
        if (i == at) {
            memcpy(body + b, repl, repl_len);
            b += repl_len;
        } else {
            memcpy(body + b, e[i].p, e[i].len);
            b += e[i].len;
        }
    }
    out[h++] = 0x30;
    if (b >= 0x100) {
        out[h++] = 0x82, out[h++] = (uint8_t)(b >> 8), out[h++] = (uint8_t)b;
    } else if (b >= 0x80) {
        out[h++] = 0x81, out[h++] = (uint8_t)b;
    } else {
        out[h++] = (uint8_t)b;
    }
    memcpy(out + h, body, b);
    return h + b;
}

static size_t find(const elem *e, size_t n, uint8_t tag)
{
    for (size_t i = 5; i < n; i++)
        if (e[i].tag == tag)
            return i;
    fprintf(stderr, "recorder: no element %02x in the session\n", tag);
    exit(1);
}

static void save_variant(const char *name, const uint8_t *p, size_t n)
{
    keel_fuzz_save("sessions", name, p, n, NULL, 0);
}

void keel_fuzz_sessions(void)
{
    static const struct { int cli, srv; const char *name; } runs[] = {
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_DEFAULT, "keel-default" },   /* peer cert, ALPN */
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_AES256, "keel-aes256" },     /* 48-byte secret */
        /* TLS 1.2: master secret, extended_master_secret flag, ticket, session id */
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_TLS12, "keel-tls12" },
    };
    uint8_t *ref = NULL, buf[8192];
    int ref_len = 0;

    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        keel_fuzz_transcript t;
        unsigned char *der = NULL;
        int n;
        if (!keel_fuzz_transcript_run(keel_fuzz_client_ctx(runs[i].cli), keel_fuzz_server_ctx(runs[i].srv),
                                      KEEL_FUZZ_ACT_DATA, &t)
                || t.session == NULL || (n = i2d_SSL_SESSION(t.session, &der)) <= 0) {
            fprintf(stderr, "recorder: session %s failed\n", runs[i].name);
            ERR_print_errors_fp(stderr);
            exit(1);
        }
        save_variant(runs[i].name, der, (size_t)n);
        if (i == 0) {
            ref = der;
            ref_len = n;
        } else {
            OPENSSL_free(der);
        }
        keel_fuzz_transcript_free(&t);
    }
    if ((size_t)ref_len > sizeof(buf) - 16)
        exit(1);
    elem e[32], e2[32];
    size_t ne = parse(ref, e, 32), none = (size_t)-1, n;
    size_t peer = find(e, ne, 0xa3), ticket = find(e, ne, 0xaa), tm = find(e, ne, 0xa1);
    uint8_t repl[128];

    /* Truncated inside the ticket. */
    save_variant("bad-truncated", ref, (size_t)(e[ticket].p - ref) + 10);
    /* A TLS 1.2 suite (ECDHE-ECDSA-AES128-GCM-SHA256) in a TLS 1.3 session. */
    n = assemble(buf, e, ne, none, 2, (const uint8_t *)"\x04\x02\xc0\x2b", 4);
    save_variant("bad-tls12-cipher", buf, n);
    /* A master key longer than any hash (65 bytes). */
    repl[0] = 0x04, repl[1] = 65;
    memset(repl + 2, 0x5a, 65);
    n = assemble(buf, e, ne, none, 4, repl, 67);
    save_variant("bad-mk-length", buf, n);
    /* The peer certificate's DER damaged (its outer length one short). */
    n = assemble(buf, e, ne, none, none, NULL, 0);
    buf[(size_t)(e[peer].p - ref) + 4 + 3] ^= 0x01;
    save_variant("bad-peer-der", buf, n);
    /* Fields out of order: timeout [2] before time [1]. */
    {
        uint8_t sw[64];
        memcpy(sw, e[tm + 1].p, e[tm + 1].len);
        memcpy(sw + e[tm + 1].len, e[tm].p, e[tm].len);
        n = assemble(buf, e, ne, tm + 1, tm, sw, e[tm].len + e[tm + 1].len);
        save_variant("bad-field-order", buf, n);
    }
    /* BER's indefinite length: not DER. */
    memcpy(buf, ref, (size_t)ref_len);
    buf[1] = 0x80;
    save_variant("bad-indefinite", buf, (size_t)ref_len);
    /* Regression: a time of -2^63 made keel_session_expired's now - time overflow (UBSan, found
     * by this harness); the client offering the session computes it. */
    n = assemble(buf, e, ne, none, tm, (const uint8_t *)"\xa1\x0a\x02\x08\x80\x00\x00\x00\x00\x00\x00\x00", 12);
    save_variant("regress-time-overflow", buf, n);
    /* Without the peer certificate: decodes, and must round-trip byte for byte. */
    n = assemble(buf, e, ne, peer, none, NULL, 0);
    save_variant("ok-no-peer", buf, n);
    /* As OpenSSL may write it: fields keel skips (flags [13], max_fragment_len_mode [17]) and no
     * sid_ctx; accepted, re-encoded without them. */
    {
        uint8_t s1[8192], s2[8192], ins[64];
        size_t n1 = assemble(s1, e, ne, peer, none, NULL, 0), ne2 = parse(s1, e2, 32);
        size_t age = find(e2, ne2, 0xae);
        memcpy(ins, "\xad\x03\x02\x01\x01", 5);                /* flags [13] = 1, before [14] */
        memcpy(ins + 5, e2[age].p, e2[age].len);
        n1 = assemble(s2, e2, ne2, find(e2, ne2, 0xa4), age, ins, 5 + e2[age].len);
        ne2 = parse(s2, e2, 32);
        size_t grp = find(e2, ne2, 0xb3);
        memcpy(ins, "\xb1\x04\x02\x02\x00\xff", 6);            /* [17] = 255, before [19] */
        memcpy(ins + 6, e2[grp].p, e2[grp].len);
        n1 = assemble(buf, e2, ne2, none, grp, ins, 6 + e2[grp].len);
        save_variant("ok-openssl-extras", buf, n1);
    }
    OPENSSL_free(ref);
}
