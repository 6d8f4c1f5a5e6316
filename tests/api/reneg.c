/* TLS 1.2 renegotiation between two keel ends (SSL_renegotiate(3), RFC 5746), public API only:
 *   - a full server-initiated renegotiation with application data written by both ends while it
 *     runs: every byte arrives once, in order; the new handshake's Finished and master secret are
 *     new, the data after it flows under the new keys;
 *   - a client-initiated abbreviated one (SSL_renegotiate_abbreviated): the session resumed;
 *   - the peer's certificate changing identity in a renegotiation is refused (the rule;
 *     OpenSSL 3.0 accepts it), the same certificate again is fine;
 *   - TLS 1.3 refuses SSL_renegotiate;
 *   - ALPN negotiated again in the renegotiation is kept once (an ASan build finds a leaked copy). */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain chain, other;

/* Both ends read (and so drive any handshake) until neither moves; what each read is appended
 * to its buffer; the client's first failure's reason in *cerr (when given). */
static unsigned long pump_err(SSL *c, SSL *s, char *cbuf, size_t *cn, char *sbuf, size_t *sn)
{
    unsigned long cerr = 0;
    for (int i = 0; i < 20; i++) {
        char tmp[256];
        int r = SSL_read(c, tmp, sizeof(tmp));
        if (r > 0) {
            memcpy(cbuf + *cn, tmp, (size_t)r);
            *cn += (size_t)r;
        } else if (cerr == 0 && SSL_get_error(c, r) == SSL_ERROR_SSL) {
            cerr = ERR_peek_error();
        }
        r = SSL_read(s, tmp, sizeof(tmp));
        if (r > 0) {
            memcpy(sbuf + *sn, tmp, (size_t)r);
            *sn += (size_t)r;
        }
    }
    return cerr;
}

static void pump(SSL *c, SSL *s, char *cbuf, size_t *cn, char *sbuf, size_t *sn)
{
    (void)pump_err(c, s, cbuf, cn, sbuf, sn);
}

static SSL_CTX *server_ctx(long opts)
{
    SSL_CTX *x = keel_test_server_ctx(&chain);
    SSL_CTX_set_max_proto_version(x, TLS1_2_VERSION);
    SSL_CTX_set_options(x, opts);
    SSL_CTX_set_session_id_context(x, (const unsigned char *)"r", 1);
    return x;
}

static int alpn_cb(SSL *s, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                   unsigned int inlen, void *arg)
{
    (void)s;
    (void)arg;
    return SSL_select_next_proto((unsigned char **)out, outlen, in, inlen, in, inlen)
        == OPENSSL_NPN_NEGOTIATED ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK;
}

static void alpn_is_h2(const SSL *x)
{
    const unsigned char *p;
    unsigned int n;
    SSL_get0_alpn_selected(x, &p, &n);
    CHECK(n == 2 && memcmp(p, "h2", 2) == 0);
}

static void full_interleaved(void)
{
    SSL_CTX *cc = keel_test_client_ctx(&chain), *sc = server_ctx(SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
    SSL *c, *s;
    CHECK_EQ(SSL_CTX_set_alpn_protos(cc, (const unsigned char *)"\x02h2", 3), 0);
    SSL_CTX_set_alpn_select_cb(sc, alpn_cb, NULL);
    CHECK(keel_test_pair(cc, sc, &c, &s) && keel_test_handshake(c, s));
    alpn_is_h2(c);
    unsigned char fin0[64], mk0[48], mk1[48];
    size_t fin0_len = SSL_get_finished(c, fin0, sizeof(fin0));
    CHECK_EQ(SSL_SESSION_get_master_key(SSL_get_session(c), mk0, sizeof(mk0)), 48);

    CHECK_EQ(SSL_renegotiate(s), 1);
    CHECK_EQ(SSL_renegotiate_pending(s), 1);
    CHECK_EQ(SSL_write(s, "s1", 2), 2); /* sends the HelloRequest first */
    CHECK_EQ(SSL_write(c, "c1", 2), 2);
    char cb[64], sb[64];
    size_t cn = 0, sn = 0;
    /* the client reads s1 while it waits for the ServerHello; the server reads c1 before the
     * renegotiation's ClientHello */
    pump(c, s, cb, &cn, sb, &sn);
    CHECK_EQ(SSL_write(s, "s2", 2), 2);
    CHECK_EQ(SSL_write(c, "c2", 2), 2);
    pump(c, s, cb, &cn, sb, &sn);
    CHECK(cn == 4 && memcmp(cb, "s1s2", 4) == 0);
    CHECK(sn == 4 && memcmp(sb, "c1c2", 4) == 0);
    CHECK_EQ(SSL_renegotiate_pending(s), 0);
    CHECK_EQ(SSL_renegotiate_pending(c), 0);
    CHECK_EQ(SSL_total_renegotiations(s), 1);
    CHECK_EQ(SSL_total_renegotiations(c), 1);
    CHECK_EQ(SSL_session_reused(c), 0);
    unsigned char fin1[64];
    size_t fin1_len = SSL_get_finished(c, fin1, sizeof(fin1));
    CHECK(fin1_len == fin0_len && memcmp(fin0, fin1, fin0_len) != 0);
    CHECK_EQ(SSL_SESSION_get_master_key(SSL_get_session(c), mk1, sizeof(mk1)), 48);
    CHECK(memcmp(mk0, mk1, 48) != 0);
    unsigned char smk[48];
    CHECK_EQ(SSL_SESSION_get_master_key(SSL_get_session(s), smk, sizeof(smk)), 48);
    CHECK(memcmp(smk, mk1, 48) == 0);
    alpn_is_h2(c);
    alpn_is_h2(s);
    CHECK_EQ(SSL_write(c, "after", 5), 5);
    char buf[16];
    CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 5);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
}

static void abbreviated(void)
{
    SSL_CTX *cc = keel_test_client_ctx(&chain), *sc = server_ctx(SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
    SSL *c, *s;
    CHECK(keel_test_pair(cc, sc, &c, &s) && keel_test_handshake(c, s));
    CHECK_EQ(SSL_renegotiate_abbreviated(c), 1);
    CHECK_EQ(SSL_do_handshake(c), -1);
    CHECK_EQ(SSL_get_error(c, -1), SSL_ERROR_WANT_READ);
    CHECK_EQ(SSL_in_init(c), 1);
    char cb[64], sb[64];
    size_t cn = 0, sn = 0;
    pump(c, s, cb, &cn, sb, &sn);
    CHECK_EQ(SSL_do_handshake(c), 1);
    CHECK_EQ(SSL_session_reused(c), 1);
    CHECK_EQ(SSL_session_reused(s), 1);
    CHECK_EQ(SSL_renegotiate_pending(c), 0);
    CHECK_EQ(SSL_write(s, "x", 1), 1);
    char buf[4];
    CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 1);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
}

/* The server presents `leaf` in a full renegotiation: 1 if the client accepted it. */
static int reneg_with(X509 *leaf, EVP_PKEY *key, unsigned long *client_err)
{
    SSL_CTX *cc = keel_test_client_ctx(&chain), *sc = server_ctx(SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
    SSL *c, *s;
    int ok = keel_test_pair(cc, sc, &c, &s) && keel_test_handshake(c, s);
    CHECK(ok);
    CHECK(SSL_use_certificate(s, leaf) && SSL_use_PrivateKey(s, key));
    CHECK_EQ(SSL_renegotiate(s), 1);
    CHECK_EQ(SSL_do_handshake(s), 1);
    char cb[64], sb[64];
    size_t cn = 0, sn = 0;
    *client_err = pump_err(c, s, cb, &cn, sb, &sn);
    ok = SSL_total_renegotiations(c) == 1 && SSL_renegotiate_pending(c) == 0 && SSL_write(c, "z", 1) == 1;
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
    ERR_clear_error();
    return ok;
}

static void identity(void)
{
    unsigned long e = 0;
    CHECK(reneg_with(chain.leaf, chain.leaf_key, &e));
    /* another certificate the client would trust (same CA, same name) is still another peer */
    X509 *leaf2 = keel_test_cert("server.test", other.leaf_key, chain.ca, chain.ca_key, 0);
    CHECK(leaf2 != NULL);
    CHECK(!reneg_with(leaf2, other.leaf_key, &e));
    CHECK_EQ(ERR_GET_REASON(e), SSL_R_CERTIFICATE_VERIFY_FAILED);
    X509_free(leaf2);
}

static void tls13(void)
{
    SSL_CTX *cc = keel_test_client_ctx(&chain), *sc = keel_test_server_ctx(&chain);
    SSL *c, *s;
    CHECK(keel_test_pair(cc, sc, &c, &s) && keel_test_handshake(c, s));
    CHECK_EQ(SSL_version(c), TLS1_3_VERSION);
    CHECK_EQ(SSL_renegotiate(c), 0);
    CHECK_EQ(ERR_GET_REASON(ERR_get_error()), SSL_R_WRONG_SSL_VERSION);
    CHECK_EQ(SSL_renegotiate_pending(c), 0);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
}

int main(void)
{
    CHECK(keel_test_make_chain(&chain, KT_EC_P256, "server.test", 30));
    CHECK(keel_test_make_chain(&other, KT_EC_P256, "server.test", 30));
    full_interleaved();
    abbreviated();
    identity();
    tls13();
    keel_test_chain_free(&chain);
    keel_test_chain_free(&other);
    return keel_test_finish("reneg");
}
