/* Differential probe (tests/diff/run.sh), issue #15: SSL_read and SSL_peek of full-size and odd-size
 * records with buffers of exactly the record's size, one byte less, more, and small, for each AEAD
 * suite of TLS 1.3 and TLS 1.2, with and without TLS 1.3 padding, SSL_MODE_RELEASE_BUFFERS, and a
 * KeyUpdate and tickets arriving between application data records. What each call returns, a
 * checksum of the bytes, SSL_pending and SSL_has_pending after it. keel decrypts a record that
 * fits straight into SSL_read's buffer (src/record/read.c keel_rl_offer); none of this may show. */
#include "probe.h"

static keel_test_chain ec;
static unsigned char src[5][16384];

/* FNV-1a of the bytes a call returned. */
static unsigned long sum(const unsigned char *p, int n)
{
    unsigned long h = 2166136261u;
    for (int i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h & 0xffffffffu;
}

static void op(SSL *s, const char *what, int peek, int num)
{
    static unsigned char buf[20000];
    memset(buf, 0xcc, sizeof(buf));
    int r = peek ? SSL_peek(s, buf, num) : SSL_read(s, buf, num);
    printf("  %s(%d) = %d sum %08lx, pending %d has_pending %d (%s)\n", what, num, r,
           r > 0 ? sum(buf, r) : 0, SSL_pending(s), SSL_has_pending(s), errname(SSL_get_error(s, r)));
    errs();
}

static void run(int version, const char *suite, int pad, int release)
{
    printf("== %s %s%s%s\n", vname(version), suite, pad ? ", client pads to 4096" : "",
           release ? ", RELEASE_BUFFERS" : "");
    SSL_CTX *cc = keel_test_client_ctx(&ec), *sc = keel_test_server_ctx(&ec);
    SSL_CTX_set_min_proto_version(cc, version);
    SSL_CTX_set_max_proto_version(cc, version);
    if (version == TLS1_3_VERSION)
        SSL_CTX_set_ciphersuites(cc, suite);
    else
        SSL_CTX_set_cipher_list(cc, suite);
    if (pad)
        SSL_CTX_set_block_padding(cc, 4096);
    if (release)
        SSL_CTX_set_mode(sc, SSL_MODE_RELEASE_BUFFERS);
    link_t l;
    mk(&l, cc, sc);
    printf("  handshake %d\n", shake(&l));
    /* The client reads its tickets (TLS 1.3) with a buffer large enough for a whole record. */
    op(l.c, "client read", 0, 16384);
    static const int sizes[] = { 16384, 16383, 1, 5000, 16384 };
    for (int i = 0; i < 5; i++)
        printf("  write %d = %d\n", sizes[i], SSL_write(l.c, src[i], sizes[i]));
    c2s(&l);
    op(l.s, "read", 0, 16384);     /* exactly the record */
    op(l.s, "read", 0, 16382);     /* one byte short of 16383 */
    op(l.s, "read", 0, 16384);     /* the last byte */
    op(l.s, "peek", 1, 20000);     /* a 1-byte record, larger buffer */
    op(l.s, "read", 0, 20000);
    op(l.s, "peek", 1, 100);       /* 5000: peeked, then read in pieces */
    op(l.s, "read", 0, 16384);
    op(l.s, "read", 0, 10);        /* a full record into a small buffer */
    op(l.s, "peek", 1, 16384);
    op(l.s, "read", 0, 16374);
    op(l.s, "read", 0, 16384);     /* nothing left */
    /* A KeyUpdate (TLS 1.3) between two records; the server reads through it. */
    if (version == TLS1_3_VERSION)
        printf("  key_update %d\n", SSL_key_update(l.c, SSL_KEY_UPDATE_NOT_REQUESTED));
    printf("  write = %d\n", SSL_write(l.c, src[0], 16384));
    printf("  write = %d\n", SSL_write(l.c, src[1], 300));
    c2s(&l);
    op(l.s, "read", 0, 16384);
    op(l.s, "read", 0, 16384);
    s2c(&l);
    /* The other way, after the server's answer to nothing: the client reads the server's data. */
    printf("  server write = %d\n", SSL_write(l.s, src[2], 16384));
    s2c(&l);
    op(l.c, "client read", 0, 16384);
    done(&l, cc, sc);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    if (!keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30))
        return 1;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 16384; j++)
            src[i][j] = (unsigned char)(j * (i + 3) + i);
    static const char *const s13[] = { "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                       "TLS_CHACHA20_POLY1305_SHA256" };
    static const char *const s12[] = { "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                                       "ECDHE-ECDSA-CHACHA20-POLY1305" };
    for (int i = 0; i < 3; i++)
        for (int pad = 0; pad < 2; pad++)
            run(TLS1_3_VERSION, s13[i], pad, pad);
    for (int i = 0; i < 3; i++)
        for (int release = 0; release < 2; release++)
            run(TLS1_2_VERSION, s12[i], 0, release);
    keel_test_chain_free(&ec);
    return 0;
}
