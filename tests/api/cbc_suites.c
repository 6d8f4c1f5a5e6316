/* The TLS 1.2 CBC suites (RFC 5246 §6.2.3.2) with and without encrypt_then_mac (RFC 7366) and the
 * AES-CCM suites (RFC 6655, RFC 7251; TLS 1.3 RFC 8446 §B.4), keel on both sides through the
 * public API: each suite is negotiated, encrypt_then_mac is negotiated by default for a CBC
 * suite only and turned off by SSL_OP_NO_ENCRYPT_THEN_MAC on either side (the records then differ
 * in size, which is how the test sees the mode), a resumed session keeps the mode (RFC 7366
 * §3.1), and 1 MiB goes each way in records of 1, 1000 and 16384 bytes. */
#include "testutil.h"
#include "tls.h"

#include <openssl/err.h>
#include <string.h>

static keel_test_chain chain;
static SSL_CTX *resume_sctx;

/* Moves what each side wrote to the other (the pair's BIOs are joined: a read drains). */
static int xfer(SSL *from, SSL *to, const unsigned char *data, size_t len, size_t chunk)
{
    static unsigned char buf[16384];
    size_t sent = 0, got = 0;
    int match = 1;

    while (got < len) {
        if (sent < len) {
            size_t n = len - sent < chunk ? len - sent : chunk;
            int w = SSL_write(from, data + sent, (int)n);
            if (w > 0)
                sent += (size_t)w;
            else if (SSL_get_error(from, w) != SSL_ERROR_WANT_WRITE)
                return 0;
        }
        for (;;) {
            int r = SSL_read(to, buf, sizeof(buf));
            if (r <= 0) {
                if (SSL_get_error(to, r) != SSL_ERROR_WANT_READ)
                    return 0;
                break;
            }
            match &= memcmp(buf, data + got, (size_t)r) == 0;
            got += (size_t)r;
        }
    }
    return match;
}

/* The wire size of one application record of `n` bytes from `from`. */
static long record_size(SSL *from, SSL *to, size_t n)
{
    BIO *rb = SSL_get_rbio(to);   /* the other half of the pair: what `from` wrote is pending there */
    unsigned char b[64] = { 0 }, r[64];
    size_t before = BIO_ctrl_pending(rb);
    long size;

    if (SSL_write(from, b, (int)n) != (int)n)
        return -1;
    size = (long)(BIO_ctrl_pending(rb) - before);
    while (SSL_read(to, r, sizeof(r)) > 0)
        ;
    return size;
}

static int run(const char *suite, int tls13, long copt, long sopt, SSL_SESSION **sess, long *recsize,
               const char **negotiated, int *reused)
{
    /* Resumption needs the server context that issued the ticket (resume_sctx, file scope). */
    SSL_CTX *cctx = keel_test_client_ctx(&chain), *sctx;
    SSL *c = NULL, *s = NULL;
    int ok = 0;

    if (sess != NULL) {
        if (resume_sctx == NULL)
            resume_sctx = keel_test_server_ctx(&chain);
        sctx = resume_sctx;
        SSL_CTX_up_ref(sctx);
    } else {
        sctx = keel_test_server_ctx(&chain);
    }

    if (tls13) {
        ok = SSL_CTX_set_ciphersuites(cctx, suite) && SSL_CTX_set_ciphersuites(sctx, suite);
    } else {
        ok = SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION) && SSL_CTX_set_cipher_list(cctx, suite)
            && SSL_CTX_set_cipher_list(sctx, suite);
    }
    SSL_CTX_set_options(cctx, copt);
    SSL_CTX_set_options(sctx, sopt);
    SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT);
    ok = ok && keel_test_pair(cctx, sctx, &c, &s);
    if (ok && sess != NULL && *sess != NULL)
        ok = SSL_set_session(c, *sess);
    ok = ok && keel_test_handshake(c, s);
    if (ok) {
        *negotiated = SSL_CIPHER_get_name(SSL_get_current_cipher(c));
        *reused = SSL_session_reused(c);
        *recsize = record_size(c, s, 10);
        if (sess != NULL && *sess == NULL)
            *sess = SSL_get1_session(c);
    }
    keel_test_free_pair(c, s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    return ok;
}

static void bulk(const char *suite, int tls13, long opt)
{
    static unsigned char data[1 << 20];
    static const size_t chunks[] = { 1, 1000, 16384 };
    SSL_CTX *cctx = keel_test_client_ctx(&chain), *sctx = keel_test_server_ctx(&chain);
    SSL *c = NULL, *s = NULL;

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 7 + (i >> 11));
    if (tls13) {
        CHECK(SSL_CTX_set_ciphersuites(cctx, suite) && SSL_CTX_set_ciphersuites(sctx, suite));
    } else {
        CHECK(SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION));
        CHECK(SSL_CTX_set_cipher_list(cctx, suite) && SSL_CTX_set_cipher_list(sctx, suite));
    }
    SSL_CTX_set_options(cctx, opt);
    CHECK(keel_test_pair(cctx, sctx, &c, &s) && keel_test_handshake(c, s));
    CHECK(strcmp(SSL_CIPHER_get_name(SSL_get_current_cipher(c)), suite) == 0);
    for (size_t k = 0; k < 3; k++) {
        /* 1-byte records: 64 KiB of them (a million would take long under sanitizers). */
        size_t len = chunks[k] == 1 ? 65536 : sizeof(data);
        CHECK(xfer(c, s, data, len, chunks[k]));
        CHECK(xfer(s, c, data, len, chunks[k]));
    }
    keel_test_free_pair(c, s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

int main(void)
{
    static const struct { const char *name; int mac, ecdsa; } cbc[] = {
        { "ECDHE-ECDSA-AES128-SHA", 20, 1 }, { "ECDHE-ECDSA-AES256-SHA", 20, 1 },
        { "ECDHE-ECDSA-AES128-SHA256", 32, 1 }, { "ECDHE-ECDSA-AES256-SHA384", 48, 1 },
    };
    static const char *const ccm[] = { "ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES256-CCM",
                                       "ECDHE-ECDSA-AES128-CCM8", "ECDHE-ECDSA-AES256-CCM8" };
    const char *neg;
    long rs;
    int reused;

    CHECK(keel_test_make_chain(&chain, KT_EC_P256, "localhost", 30));
    for (size_t i = 0; i < sizeof(cbc) / sizeof(cbc[0]); i++) {
        /* 10 bytes: MtE = IV 16 + roundup(10 + mac + 1); EtM = IV 16 + 16 + mac. */
        long mte = 5 + 16 + (10 + cbc[i].mac + 1 + 15) / 16 * 16, etm = 5 + 16 + 16 + cbc[i].mac;
        CHECK(run(cbc[i].name, 0, 0, 0, NULL, &rs, &neg, &reused) && strcmp(neg, cbc[i].name) == 0);
        CHECK_EQ(rs, etm);
        CHECK(run(cbc[i].name, 0, SSL_OP_NO_ENCRYPT_THEN_MAC, 0, NULL, &rs, &neg, &reused));
        CHECK_EQ(rs, mte);
        CHECK(run(cbc[i].name, 0, 0, SSL_OP_NO_ENCRYPT_THEN_MAC, NULL, &rs, &neg, &reused));
        CHECK_EQ(rs, mte);
        /* Resumption keeps the mode; a client that would change it gets a full handshake. */
        for (int mode = 0; mode < 2; mode++) {
            SSL_SESSION *ss = NULL;
            long o = mode ? SSL_OP_NO_ENCRYPT_THEN_MAC : 0;
            CHECK(run(cbc[i].name, 0, o, 0, &ss, &rs, &neg, &reused) && !reused && ss != NULL);
            CHECK(run(cbc[i].name, 0, o, 0, &ss, &rs, &neg, &reused) && reused);
            CHECK_EQ(rs, mode ? mte : etm);
            CHECK(run(cbc[i].name, 0, mode ? 0 : SSL_OP_NO_ENCRYPT_THEN_MAC, 0, &ss, &rs, &neg, &reused));
            CHECK(!reused);
            CHECK_EQ(rs, mode ? etm : mte);
            SSL_SESSION_free(ss);
        }
    }
    /* AEAD suites never use encrypt_then_mac: the CCM record is explicit nonce + content + tag. */
    for (size_t i = 0; i < 4; i++) {
        CHECK(run(ccm[i], 0, 0, 0, NULL, &rs, &neg, &reused) && strcmp(neg, ccm[i]) == 0);
        CHECK_EQ(rs, 5 + 8 + 10 + (strstr(ccm[i], "CCM8") != NULL ? 8 : 16));
    }
    /* Off by default (as in OpenSSL): a default context lists the CBC suites, no CCM one. */
    {
        SSL_CTX *d = SSL_CTX_new(TLS_method());
        STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(d);
        int ncbc = 0, nccm = 0;
        for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
            const char *n = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i));
            ncbc += !SSL_CIPHER_is_aead(sk_SSL_CIPHER_value(sk, i));
            nccm += strstr(n, "CCM") != NULL;
        }
        CHECK(ncbc >= 8 && nccm == 0);
        SSL_CTX_free(d);
    }
    CHECK(run("TLS_AES_128_CCM_SHA256", 1, 0, 0, NULL, &rs, &neg, &reused) && strcmp(neg, "TLS_AES_128_CCM_SHA256") == 0);
    CHECK_EQ(rs, 5 + 10 + 1 + 16);
    CHECK(run("TLS_AES_128_CCM_8_SHA256", 1, 0, 0, NULL, &rs, &neg, &reused) && strcmp(neg, "TLS_AES_128_CCM_8_SHA256") == 0);
    CHECK_EQ(rs, 5 + 10 + 1 + 8);
    ERR_clear_error();

    bulk("ECDHE-ECDSA-AES128-SHA", 0, 0);
    bulk("ECDHE-ECDSA-AES256-SHA384", 0, SSL_OP_NO_ENCRYPT_THEN_MAC);
    bulk("ECDHE-ECDSA-AES128-SHA256", 0, SSL_OP_NO_ENCRYPT_THEN_MAC);
    bulk("ECDHE-ECDSA-AES128-CCM8", 0, 0);
    bulk("TLS_AES_128_CCM_SHA256", 1, 0);
    SSL_CTX_free(resume_sctx);
    keel_test_chain_free(&chain);
    return keel_test_finish("api_cbc_suites");
}
