/* A HelloRetryRequest carrying a cookie (RFC 8446 §4.2.2, issue #16 item 18): the client echoes
 * it, byte for byte, in its second ClientHello; an empty cookie (cookie<1..2^16-1>) is refused.
 * The server is keel's, forced into a HelloRetryRequest (P-256 only against the client's X25519
 * share); the test adds the cookie to the HelloRetryRequest on its way to the client. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain ec;
static unsigned char ch2_cookie[300];
static int nhello, ch2_cookie_len = -1;

/* The cookie extension of the client's second ClientHello, from the message callback. */
static void msg_cb(int write_p, int version, int ct, const void *buf, size_t len, SSL *s, void *arg)
{
    const unsigned char *p = buf, *end = p + len;
    if (!write_p || ct != SSL3_RT_HANDSHAKE || len < 4 || p[0] != SSL3_MT_CLIENT_HELLO || ++nhello != 2)
        return;
    /* every step checked against the message's end: a malformed hello fails the test, not the read */
    if (len < 4 + 2 + 32 + 1)
        return;
    p += 4 + 2 + 32;
    p += 1 + p[0];                  /* session id */
    if (end - p < 2)
        return;
    p += 2 + (p[0] << 8 | p[1]);    /* suites */
    if (end - p < 1)
        return;
    p += 1 + p[0];                  /* compression */
    p += 2;                         /* extensions length */
    while (end - p >= 4) {
        int type = p[0] << 8 | p[1], elen = p[2] << 8 | p[3];
        if (end - p - 4 < elen)
            return;
        if (type == TLSEXT_TYPE_cookie && elen >= 2 && (size_t)elen - 2 <= sizeof(ch2_cookie)) {
            ch2_cookie_len = elen - 2;
            memcpy(ch2_cookie, p + 6, (size_t)ch2_cookie_len);
        }
        p += 4 + elen;
    }
}

static void put16(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

/* Moves what `from` wrote to `to`; the first record, if it is a HelloRetryRequest, gets a cookie
 * extension of cookie_len bytes (0x5a...) appended. */
static int forward(BIO *from, BIO *to, size_t cookie_len)
{
    unsigned char in[8192], out[8192 + 400];
    int n = BIO_read(from, in, sizeof(in));
    if (n <= 0)
        return 0;
    size_t rlen = n < 5 ? 0 : (size_t)(in[3] << 8 | in[4]);
    if (rlen < 4 + 2 + 32 + 1 || 5 + rlen > (size_t)n || in[0] != SSL3_RT_HANDSHAKE
            || in[5] != SSL3_MT_SERVER_HELLO)
        return BIO_write(to, in, n) == n;
    /* ServerHello body: version(2) random(32) sid<1> suite(2) comp(1) extensions<2> */
    size_t off = 5 + 4 + 2 + 32;
    off += 1 + in[off];
    off += 3;
    if (off + 2 > 5 + rlen)
        return 0;
    size_t ext_len = (size_t)(in[off] << 8 | in[off + 1]);
    if (off + 2 + ext_len != 5 + rlen) /* the extensions end the record: one message in it */
        return 0;
    size_t add = 4 + 2 + cookie_len;
    memcpy(out, in, 5 + rlen);
    put16(out + off + 2 + ext_len, TLSEXT_TYPE_cookie);
    put16(out + off + 2 + ext_len + 2, 2 + cookie_len);
    put16(out + off + 2 + ext_len + 4, cookie_len);
    memset(out + off + 2 + ext_len + 6, 0x5a, cookie_len);
    put16(out + off, ext_len + add);
    size_t hs_len = rlen - 4 + add;
    out[6] = (unsigned char)(hs_len >> 16);
    put16(out + 7, hs_len);
    put16(out + 3, rlen + add);
    memcpy(out + 5 + rlen + add, in + 5 + rlen, (size_t)n - 5 - rlen);
    int total = n + (int)add;
    return BIO_write(to, out, total) == total;
}

static void run(size_t cookie_len)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    CHECK(SSL_CTX_set1_groups_list(sctx, "P-256"));
    CHECK(SSL_CTX_set1_groups_list(cctx, "X25519:P-256"));
    SSL_CTX_set_msg_callback(cctx, msg_cb);
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
    BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
    SSL_set_bio(c, c_in, c_out);
    SSL_set_bio(s, s_in, s_out);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    nhello = 0;
    ch2_cookie_len = -1;

    CHECK_EQ(SSL_get_error(c, SSL_do_handshake(c)), SSL_ERROR_WANT_READ); /* ClientHello 1 */
    CHECK(forward(c_out, s_in, 0));
    CHECK_EQ(SSL_get_error(s, SSL_do_handshake(s)), SSL_ERROR_WANT_READ); /* HelloRetryRequest */
    CHECK(forward(s_out, c_in, cookie_len));
    ERR_clear_error();
    int r = SSL_do_handshake(c);
    if (cookie_len > 0) {
        /* The client answers with ClientHello 2 carrying the same cookie. */
        CHECK_EQ(SSL_get_error(c, r), SSL_ERROR_WANT_READ);
        CHECK_EQ(nhello, 2);
        CHECK_EQ(ch2_cookie_len, (long long)cookie_len);
        unsigned char want[300];
        memset(want, 0x5a, sizeof(want));
        CHECK(ch2_cookie_len > 0 && memcmp(ch2_cookie, want, (size_t)ch2_cookie_len) == 0);
    } else {
        /* cookie<1..2^16-1>: an empty one is a malformed extension (RFC 8446 §4.2.2; OpenSSL
         * 3.0's client accepts it and echoes nothing: docs/compat-notes.txt). */
        CHECK_EQ(SSL_get_error(c, r), SSL_ERROR_SSL);
        CHECK_EQ(nhello, 1);
        CHECK_EQ(ERR_GET_REASON(ERR_peek_error()), SSL_R_BAD_EXTENSION);
        unsigned char alert[16];
        int n = BIO_read(c_out, alert, sizeof(alert));
        CHECK(n == 7 && alert[0] == SSL3_RT_ALERT && alert[6] == SSL_AD_DECODE_ERROR);
    }
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

int main(void)
{
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    run(32);
    run(1);
    run(255);
    run(0);
    keel_test_chain_free(&ec);
    return keel_test_finish("hrr_cookie");
}
