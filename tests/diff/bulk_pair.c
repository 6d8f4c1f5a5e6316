/* Differential probe (tests/diff/run.sh), issue #15: bulk transfer over BIO pairs. keel seals a
 * record straight into a pair's ring when the record fits contiguously and nobody watches the BIO
 * (src/record/write.c), and opens one straight from the ring (src/record/read.c); none of this
 * may show. For TLS 1.3 and TLS 1.2 (AES-GCM, ChaCha20-Poly1305, and one CBC suite), pairs of
 * several sizes (0 = the default) and writes of several sizes, driven as a blocking program
 * drives them (SSL_write until done, the reader draining on WANT_WRITE): every call's result,
 * the data, the records sent and received (the message callback's record headers) and, with a
 * BIO callback set, the bytes that callback saw; SSL_MODE_RELEASE_BUFFERS on both ends; also
 * with SSL_MODE_ENABLE_PARTIAL_WRITE (one record per successful call); with reads smaller than a
 * record (1000 bytes) and under TLS 1.3 a KeyUpdate before each transfer (a handshake record
 * met where SSL_read offered its buffer); with reads of exactly one record's content. */
#include "probe.h"

static keel_test_chain ec;
static unsigned char src[50000], dst[50000];

typedef struct { long recs, bytes; } rec_count;
static rec_count c_sent, s_recv;
static long bio_written, bio_read;
static size_t read_size = 20000;   /* SSL_read's buffer on the server */

/* Application data records by their header (SSL3_RT_HEADER): the client's sent, the server's
 * received; the sum of their lengths shows the records are the same size too. */
static void msg_cb(int write_p, int version, int type, const void *buf, size_t len, SSL *s, void *arg)
{
    const unsigned char *h = buf;
    (void)version, (void)s, (void)arg;
    if (type != SSL3_RT_HEADER || len < 5 || h[0] != SSL3_RT_APPLICATION_DATA)
        return;
    rec_count *c = write_p ? &c_sent : &s_recv;
    c->recs++;
    c->bytes += (h[3] << 8) | h[4];
}

static long bio_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret,
                   size_t *processed)
{
    (void)b, (void)argp, (void)len, (void)argi, (void)argl;
    if (ret > 0 && processed != NULL && oper == (BIO_CB_WRITE | BIO_CB_RETURN))
        bio_written += (long)*processed;
    if (ret > 0 && processed != NULL && oper == (BIO_CB_READ | BIO_CB_RETURN))
        bio_read += (long)*processed;
    return ret;
}

/* Reads on the server until it would block; each call's result goes to the line. */
static size_t drain(SSL *s, size_t got, size_t want)
{
    static unsigned char buf[20000];
    for (;;) {
        int r = SSL_read(s, buf, (int)read_size);
        if (r <= 0) {
            int e = SSL_get_error(s, r);
            printf(" R%s", e == SSL_ERROR_WANT_READ ? "" : errname(e));
            if (e != SSL_ERROR_WANT_READ)
                errs();
            return got;
        }
        printf(" r%d", r);
        if (got + (size_t)r <= want)
            memcpy(dst + got, buf, (size_t)r);
        got += (size_t)r;
    }
}

static void transfer(SSL *c, SSL *s, size_t want)
{
    size_t sent = 0, got = 0;
    memset(dst, 0, sizeof(dst));
    c_sent.recs = c_sent.bytes = s_recv.recs = s_recv.bytes = 0;
    bio_written = bio_read = 0;
    /* BIO_number_written/_read count what went through the pair halves, copied or not. */
    uint64_t nw = BIO_number_written(SSL_get_wbio(c)), nr = BIO_number_read(SSL_get_rbio(s));
    printf("  write %zu:", want);
    for (int i = 0; sent < want && i < 100000; i++) {
        int r = SSL_write(c, src + sent, (int)(want - sent));
        if (r > 0) {
            printf(" w%d", r);
            sent += (size_t)r;
            continue;
        }
        int e = SSL_get_error(c, r);
        printf(" W%s", e == SSL_ERROR_WANT_WRITE ? "" : errname(e));
        if (e != SSL_ERROR_WANT_WRITE) {
            errs();
            break;
        }
        got = drain(s, got, want);
    }
    got = drain(s, got, want);
    printf("\n  got %zu %s, records sent %ld (%ld bytes) received %ld (%ld bytes), bio callback %ld/%ld,"
           " BIO_number_written %llu read %llu\n",
           got, got == want && memcmp(src, dst, want) == 0 ? "intact" : "DIFFERENT", c_sent.recs,
           c_sent.bytes, s_recv.recs, s_recv.bytes, bio_written, bio_read,
           (unsigned long long)(BIO_number_written(SSL_get_wbio(c)) - nw),
           (unsigned long long)(BIO_number_read(SSL_get_rbio(s)) - nr));
    errs();
}

/* mode 0: nobody watches; 1: message callbacks; 2: message and BIO callbacks; 3: nobody watches,
 * SSL_MODE_ENABLE_PARTIAL_WRITE on the writer; 4: reads of 1000 bytes, under TLS 1.3 a KeyUpdate
 * before each transfer; 5: reads of 16384 bytes. */
static void run(int version, const char *suite, size_t pair, int mode)
{
    printf("== %s %s, pair %zu, %s\n", vname(version), suite, pair,
           mode == 0 ? "no callbacks" : mode == 1 ? "message callback"
           : mode == 2 ? "message and BIO callbacks" : mode == 3 ? "partial writes"
           : mode == 4 ? "1000-byte reads, key updates" : "16384-byte reads");
    SSL_CTX *cc = keel_test_client_ctx(&ec), *sc = keel_test_server_ctx(&ec);
    SSL_CTX_set_min_proto_version(cc, version);
    SSL_CTX_set_max_proto_version(cc, version);
    if (version == TLS1_3_VERSION)
        SSL_CTX_set_ciphersuites(cc, suite);
    else
        SSL_CTX_set_cipher_list(cc, suite);
    SSL_CTX_set_num_tickets(sc, 0);
    SSL_CTX_set_mode(cc, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_mode(sc, SSL_MODE_RELEASE_BUFFERS);
    if (mode == 3)
        SSL_CTX_set_mode(cc, SSL_MODE_ENABLE_PARTIAL_WRITE);
    SSL *c = SSL_new(cc), *s = SSL_new(sc);
    BIO *cb = NULL, *sb = NULL;
    if (c == NULL || s == NULL || !BIO_new_bio_pair(&cb, pair, &sb, pair)) {
        printf("  setup failed\n");
        return;
    }
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    SSL_set1_host(c, "server.test");
    int cd = 0, sd = 0;
    for (int i = 0; i < 10000 && !(cd && sd); i++) {
        if (!cd && SSL_do_handshake(c) == 1)
            cd = 1;
        if (!sd && SSL_do_handshake(s) == 1)
            sd = 1;
    }
    printf("  handshake %d %s\n", cd && sd, SSL_get_cipher_name(c));
    errs();
    if (mode == 1 || mode == 2) {
        SSL_set_msg_callback(c, msg_cb);
        SSL_set_msg_callback(s, msg_cb);
    }
    if (mode == 2) {
        BIO_set_callback_ex(cb, bio_cb);
        BIO_set_callback_ex(sb, bio_cb);
    }
    static const size_t sizes[] = { 1, 100, 16383, 16384, 16385, 50000 };
    read_size = mode == 4 ? 1000 : mode == 5 ? 16384 : 20000;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (mode == 4 && version == TLS1_3_VERSION) {
            printf("  key update %d\n", SSL_key_update(c, SSL_KEY_UPDATE_NOT_REQUESTED));
            errs();
        }
        transfer(c, s, sizes[i]);
    }
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    if (!keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30))
        return 1;
    for (size_t j = 0; j < sizeof(src); j++)
        src[j] = (unsigned char)(j * 7 + j / 251);
    static const struct { int version; const char *suite; } suites[] = {
        { TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256" },
        { TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256" },
        { TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384" },
        { TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305" },
        { TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA256" },
    };
    static const size_t pairs[] = { 0, 100, 4096, 16500, 40000 };
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
        for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++)
            for (int mode = 0; mode < 6; mode++)
                run(suites[i].version, suites[i].suite, pairs[p], mode);
    keel_test_chain_free(&ec);
    return 0;
}
