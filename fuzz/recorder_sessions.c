/* The sessions harness's seeds: i2d_SSL_SESSION of the sessions keel clients got from keel servers
 * (tickets read after the handshake), damaged copies of one, each breaking one rule of the format
 * (src/api/sess_asn1.c) so that every rejection path starts from a seed, and regressions. */
#include "recorder.h"

#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Offsets of the fields of an encoding (layout in src/api/sess_asn1.c). */
typedef struct {
    size_t cipher, mk, sid, times, ticket, host, alpn, peer, vr;
} layout;

static size_t skip8(const uint8_t *p, size_t o) { return o + 1 + p[o]; }
static size_t skip16(const uint8_t *p, size_t o) { return o + 2 + ((size_t)p[o] << 8 | p[o + 1]); }

static layout parse(const uint8_t *p)
{
    layout l;
    l.cipher = 6;
    l.mk = 8;
    l.sid = skip8(p, l.mk);
    l.times = skip8(p, skip8(p, l.sid));        /* past session_id and sid_ctx */
    l.ticket = l.times + 12;
    l.host = skip16(p, l.ticket) + 12;           /* past lifetime_hint, age_add, max_early_data */
    l.alpn = skip16(p, l.host);
    l.peer = skip8(p, l.alpn);
    l.vr = l.peer + 3 + ((size_t)p[l.peer] << 16 | (size_t)p[l.peer + 1] << 8 | p[l.peer + 2]);
    return l;
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
    layout l = parse(ref);
    size_t n = (size_t)ref_len;

    /* Truncated inside the ticket, and one byte short. */
    save_variant("bad-truncated", ref, l.ticket + 10);
    /* A TLS 1.2 suite (ECDHE-ECDSA-AES128-GCM-SHA256) in a TLS 1.3 session. */
    memcpy(buf, ref, n);
    buf[l.cipher] = 0xc0, buf[l.cipher + 1] = 0x2b;
    save_variant("bad-tls12-cipher", buf, n);
    /* master_key's length byte past the end of the field (and of sizeof master_key). */
    memcpy(buf, ref, n);
    buf[l.mk] = 0xff;
    save_variant("bad-mk-length", buf, n);
    /* The peer certificate's DER damaged (its outer length one short). */
    memcpy(buf, ref, n);
    buf[l.peer + 3 + 3] ^= 0x01;
    save_variant("bad-peer-der", buf, n);
    /* Regression: a time of -2^63 made keel_session_expired's now - time overflow (UBSan, found
     * by this harness); the client offering the session computes it. */
    memcpy(buf, ref, n);
    buf[l.times] = 0x80;
    memset(buf + l.times + 1, 0, 7);
    save_variant("regress-time-overflow", buf, n);
    /* Without the peer certificate: decodes, and must round-trip byte for byte. */
    memcpy(buf, ref, l.peer);
    buf[l.peer] = buf[l.peer + 1] = buf[l.peer + 2] = 0;
    memcpy(buf + l.peer + 3, ref + l.vr, 4);
    save_variant("ok-no-peer", buf, l.peer + 7);
    OPENSSL_free(ref);
}
