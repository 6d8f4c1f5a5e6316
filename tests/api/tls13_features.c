/* TLS 1.3 features and failure paths, keel ↔ keel over a BIO pair: HelloRetryRequest, ALPN,
 * SNI switching the certificate, KeyUpdate, shutdown, SSL_get_error, partial writes, callbacks,
 * SSL_dup of an established connection, and each verification failure with its reason and alert. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain ec, other;

static int make(SSL_CTX **cctx, SSL_CTX **sctx, SSL **c, SSL **s)
{
    *sctx = keel_test_server_ctx(&ec);
    *cctx = keel_test_client_ctx(&ec);
    if (*sctx == NULL || *cctx == NULL)
        return 0;
    return keel_test_pair(*cctx, *sctx, c, s) && SSL_set1_host(*c, "server.test");
}

static void drop(SSL_CTX *cctx, SSL_CTX *sctx, SSL *c, SSL *s)
{
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    ERR_clear_error();
}

static int last_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    return ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : -1;
}

/* Server accepts only P-384; the client's first share is X25519: one HelloRetryRequest. */
static int hrr_seen;
static void info_cb(const SSL *s, int where, int ret)
{
    if ((where & SSL_CB_LOOP) && SSL_get_state(s) == TLS_ST_SW_SRVR_HELLO && !SSL_is_init_finished(s))
        hrr_seen++;
}

static void test_hrr(void)
{
    SSL_CTX *cctx, *sctx;
    SSL *c, *s;
    CHECK(make(&cctx, &sctx, &c, &s));
    CHECK(SSL_set1_groups_list(s, "P-384"));
    SSL_set_info_callback(s, info_cb);
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_get_negotiated_group(c), NID_secp384r1);
    CHECK(hrr_seen > 0);
    drop(cctx, sctx, c, s);

    /* No common group at all: handshake_failure, no suitable key share. */
    CHECK(make(&cctx, &sctx, &c, &s));
    CHECK(SSL_set1_groups_list(s, "P-521"));
    CHECK(SSL_set1_groups_list(c, "X25519:P-256"));
    CHECK(!keel_test_handshake(c, s));
    drop(cctx, sctx, c, s);
}

static int alpn_cb(SSL *s, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                   unsigned int inlen, void *arg)
{
    static const unsigned char ours[] = { 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
    if (arg != NULL)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    if (SSL_select_next_proto((unsigned char **)out, outlen, ours, sizeof(ours), in, inlen)
            != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    return SSL_TLSEXT_ERR_OK;
}

static void test_alpn(void)
{
    static const unsigned char offer[] = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1', 2, 'h', '2' };
    static const unsigned char other_proto[] = { 3, 'f', 'o', 'o' };
    SSL_CTX *cctx, *sctx;
    SSL *c, *s;
    const unsigned char *p;
    unsigned int len;

    CHECK(make(&cctx, &sctx, &c, &s));
    SSL_CTX_set_alpn_select_cb(sctx, alpn_cb, NULL);
    CHECK_EQ(SSL_set_alpn_protos(c, offer, sizeof(offer)), 0);
    CHECK(keel_test_handshake(c, s));
    SSL_get0_alpn_selected(c, &p, &len);
    CHECK(len == 2 && memcmp(p, "h2", 2) == 0);
    SSL_get0_alpn_selected(s, &p, &len);
    CHECK(len == 2 && memcmp(p, "h2", 2) == 0);
    drop(cctx, sctx, c, s);

    /* No overlap: the server does not acknowledge, the handshake goes on without ALPN. */
    CHECK(make(&cctx, &sctx, &c, &s));
    SSL_CTX_set_alpn_select_cb(sctx, alpn_cb, NULL);
    CHECK_EQ(SSL_set_alpn_protos(c, other_proto, sizeof(other_proto)), 0);
    CHECK(keel_test_handshake(c, s));
    SSL_get0_alpn_selected(c, &p, &len);
    CHECK(len == 0 && p == NULL);
    drop(cctx, sctx, c, s);

    /* The callback refuses: no_application_protocol (120) reaches the client. */
    CHECK(make(&cctx, &sctx, &c, &s));
    SSL_CTX_set_alpn_select_cb(sctx, alpn_cb, (void *)1);
    CHECK_EQ(SSL_set_alpn_protos(c, offer, sizeof(offer)), 0);
    CHECK(!keel_test_handshake(c, s));
    ERR_clear_error();
    SSL_do_handshake(c); /* reads the server's alert */
    CHECK_EQ(last_reason(), SSL_AD_REASON_OFFSET + TLS1_AD_NO_APPLICATION_PROTOCOL);
    drop(cctx, sctx, c, s);
}

/* SNI: the servername callback switches to a context with another certificate. */
static SSL_CTX *sni_ctx;
static int sni_cb(SSL *s, int *al, void *arg)
{
    const char *name = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
    if (name != NULL && strcmp(name, "other.test") == 0)
        SSL_set_SSL_CTX(s, sni_ctx);
    return SSL_TLSEXT_ERR_OK;
}

static void test_sni(void)
{
    SSL_CTX *cctx, *sctx;
    SSL *c, *s;
    sni_ctx = keel_test_server_ctx(&other);
    CHECK(make(&cctx, &sctx, &c, &s));
    X509_STORE_add_cert(SSL_CTX_get_cert_store(cctx), other.ca);
    SSL_CTX_set_tlsext_servername_callback(sctx, sni_cb);
    CHECK(SSL_set_tlsext_host_name(c, "other.test"));
    CHECK(SSL_set1_host(c, "other.test"));
    CHECK(keel_test_handshake(c, s));
    CHECK(X509_cmp(SSL_get0_peer_certificate(c), other.leaf) == 0);
    CHECK(SSL_get_SSL_CTX(s) == sni_ctx);
    drop(cctx, sctx, c, s);
    SSL_CTX_free(sni_ctx);
}

static int rw(SSL *from, SSL *to, const char *msg)
{
    char buf[64];
    int n = (int)strlen(msg);
    if (SSL_write(from, msg, n) != n)
        return 0;
    int r = SSL_read(to, buf, sizeof(buf));
    return r == n && memcmp(buf, msg, (size_t)n) == 0;
}

static void test_key_update_and_shutdown(void)
{
    SSL_CTX *cctx, *sctx;
    SSL *c, *s;
    char buf[16];

    CHECK(make(&cctx, &sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    CHECK(rw(c, s, "before"));
    /* KeyUpdate from the client asking for one back; the server answers on its next write. */
    CHECK(SSL_key_update(c, SSL_KEY_UPDATE_REQUESTED));
    CHECK_EQ(SSL_get_key_update_type(c), SSL_KEY_UPDATE_REQUESTED);
    CHECK(rw(c, s, "after client update"));
    CHECK(rw(s, c, "server answered"));
    CHECK(SSL_key_update(s, SSL_KEY_UPDATE_NOT_REQUESTED));
    CHECK(rw(s, c, "after server update"));
    CHECK(rw(c, s, "still fine"));
    CHECK(!SSL_key_update(c, 7));
    CHECK_EQ(last_reason(), SSL_R_INVALID_KEY_UPDATE_TYPE);
    ERR_clear_error();

    /* Nothing to read: WANT_READ. */
    int r = SSL_read(c, buf, sizeof(buf));
    CHECK_EQ(SSL_get_error(c, r), SSL_ERROR_WANT_READ);

    /* SSL_shutdown: 0 after sending close_notify, then the peer reads ZERO_RETURN, then 1. */
    CHECK_EQ(SSL_shutdown(c), 0);
    r = SSL_read(s, buf, sizeof(buf));
    CHECK_EQ(r, 0);
    CHECK_EQ(SSL_get_error(s, r), SSL_ERROR_ZERO_RETURN);
    CHECK(SSL_get_shutdown(s) & SSL_RECEIVED_SHUTDOWN);
    CHECK_EQ(SSL_shutdown(s), 1);
    CHECK_EQ(SSL_shutdown(c), 1);
    CHECK(SSL_write(c, "x", 1) <= 0);
    drop(cctx, sctx, c, s);
}

/* Bulk: 1 MiB each way with partial writes over a small BIO pair buffer; every byte exactly once. */
static void test_bulk_partial(void)
{
    SSL_CTX *cctx = keel_test_client_ctx(&ec), *sctx = keel_test_server_ctx(&ec);
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    BIO *cb, *sb;
    static unsigned char out[1 << 20], in[1 << 20];

    CHECK(BIO_new_bio_pair(&cb, 4096, &sb, 4096));
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    SSL_set1_host(c, "server.test");
    CHECK(keel_test_handshake(c, s));
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (unsigned char)(i ^ (i >> 8));
    for (int dir = 0; dir < 2; dir++) {
        SSL *w = dir ? s : c, *rd = dir ? c : s;
        SSL_set_mode(w, SSL_MODE_ENABLE_PARTIAL_WRITE);
        size_t sent = 0, got = 0;
        int retries = 0;
        while (got < sizeof(out)) {
            if (sent < sizeof(out)) {
                int n = SSL_write(w, out + sent, (int)(sizeof(out) - sent));
                if (n > 0)
                    sent += (size_t)n;
                else if (SSL_get_error(w, n) == SSL_ERROR_WANT_WRITE)
                    retries++;
                else
                    break;
            }
            int n = SSL_read(rd, in + got, (int)(sizeof(in) - got));
            if (n > 0)
                got += (size_t)n;
            else if (SSL_get_error(rd, n) != SSL_ERROR_WANT_READ)
                break;
        }
        CHECK_EQ(got, sizeof(out));
        CHECK(memcmp(in, out, sizeof(out)) == 0);
        CHECK(retries > 0); /* the small pair really pushed back */
    }
    drop(cctx, sctx, c, s);
}

/* Without partial writes, a write interrupted by WANT_WRITE completes when retried with the same
 * arguments and reports the whole length once. */
static void test_write_retry(void)
{
    SSL_CTX *cctx = keel_test_client_ctx(&ec), *sctx = keel_test_server_ctx(&ec);
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    BIO *cb, *sb;
    static unsigned char out[100000], in[100000];

    CHECK(BIO_new_bio_pair(&cb, 8192, &sb, 8192));
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    SSL_set1_host(c, "server.test");
    CHECK(keel_test_handshake(c, s));
    memset(out, 'k', sizeof(out));
    int w, got = 0, wants = 0;
    while ((w = SSL_write(c, out, sizeof(out))) <= 0) {
        CHECK_EQ(SSL_get_error(c, w), SSL_ERROR_WANT_WRITE);
        wants++;
        int n = SSL_read(s, in + got, (int)sizeof(in) - got);
        if (n > 0)
            got += n;
    }
    CHECK_EQ(w, (int)sizeof(out));
    CHECK(wants > 0);
    while (got < (int)sizeof(out)) {
        int n = SSL_read(s, in + got, (int)sizeof(in) - got);
        if (n <= 0)
            break;
        got += n;
    }
    CHECK_EQ(got, (int)sizeof(out));
    CHECK(memcmp(in, out, sizeof(out)) == 0);
    drop(cctx, sctx, c, s);
}

/* Verification failures: the client's reason and the alert the server receives. */
static void expect_verify_failure(const char *host, keel_test_chain *chain, int trust, long verr,
                                  int alert)
{
    SSL_CTX *sctx = keel_test_server_ctx(chain);
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    SSL *c, *s;
    if (trust)
        X509_STORE_add_cert(SSL_CTX_get_cert_store(cctx), chain->ca);
    SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    SSL_set1_host(c, host);
    CHECK(!keel_test_handshake(c, s));
    CHECK_EQ(SSL_get_verify_result(c), verr);
    /* The client raised certificate verify failed; the server got the alert. */
    int cr = SSL_do_handshake(c);
    CHECK_EQ(SSL_get_error(c, cr), SSL_ERROR_SSL);
    ERR_clear_error();
    int sr = SSL_do_handshake(s);
    CHECK_EQ(SSL_get_error(s, sr), SSL_ERROR_SSL);
    CHECK_EQ(last_reason(), SSL_AD_REASON_OFFSET + alert);
    drop(cctx, sctx, c, s);
}

static void test_verify_failures(void)
{
    keel_test_chain expired;
    CHECK(keel_test_make_chain(&expired, KT_EC_P256, "server.test", -1));
    expect_verify_failure("server.test", &ec, 0, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                          TLS1_AD_UNKNOWN_CA);
    expect_verify_failure("wrong.test", &ec, 1, X509_V_ERR_HOSTNAME_MISMATCH, SSL3_AD_BAD_CERTIFICATE);
    expect_verify_failure("server.test", &expired, 1, X509_V_ERR_CERT_HAS_EXPIRED,
                          SSL3_AD_CERTIFICATE_EXPIRED);
    keel_test_chain_free(&expired);

    /* SSL_VERIFY_NONE: the handshake succeeds and the result is recorded. */
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = SSL_CTX_new(TLS_client_method());
    SSL *c, *s;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_get_verify_result(c), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    drop(cctx, sctx, c, s);
}

static void test_no_shared_cipher(void)
{
    SSL_CTX *cctx, *sctx;
    SSL *c, *s;
    CHECK(make(&cctx, &sctx, &c, &s));
    CHECK(SSL_set_ciphersuites(c, "TLS_AES_128_GCM_SHA256"));
    CHECK(SSL_set_ciphersuites(s, "TLS_AES_256_GCM_SHA384"));
    CHECK(!keel_test_handshake(c, s));
    int sr = SSL_do_handshake(s);
    CHECK_EQ(SSL_get_error(s, sr), SSL_ERROR_SSL);
    ERR_clear_error();
    /* The error state: -1 and nothing pushed, as OpenSSL (tests/diff/lifecycle.c). */
    CHECK_EQ(SSL_do_handshake(s), -1);
    CHECK_EQ(ERR_peek_error(), 0);
    ERR_clear_error();
    SSL_do_handshake(c);
    drop(cctx, sctx, c, s);
}

static int keylog_lines;
static void keylog_cb(const SSL *s, const char *line)
{
    if (strncmp(line, "CLIENT_HANDSHAKE_TRAFFIC_SECRET ", 32) == 0 || strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24) == 0)
        keylog_lines++;
}

static int msgs[2];
static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len, SSL *s,
                   void *arg)
{
    if (content_type == SSL3_RT_HANDSHAKE && len >= 4)
        msgs[write_p != 0]++;
}

static void test_callbacks_and_dup(void)
{
    SSL_CTX *cctx, *sctx;
    SSL *c, *s;
    CHECK(make(&cctx, &sctx, &c, &s));
    SSL_CTX_set_keylog_callback(cctx, keylog_cb);
    SSL_set_msg_callback(c, msg_cb);
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(keylog_lines, 2);
    CHECK_EQ(msgs[1], 2);      /* ClientHello, Finished */
    CHECK(msgs[0] >= 5);       /* ServerHello, EE, Certificate, CertificateVerify, Finished */
    CHECK(strcmp(SSL_state_string_long(c), "SSL negotiation finished successfully") == 0);

    /* SSL_dup of an established connection: a new SSL in the initial state, which completes a
     * handshake of its own (the seed). */
    SSL *d = SSL_dup(c);
    CHECK(d != NULL && d != c);
    CHECK(SSL_in_before(d) && !SSL_is_init_finished(d));
    CHECK(SSL_get0_peer_certificate(d) == NULL);
    SSL *s2 = SSL_new(sctx);
    BIO *b1, *b2;
    CHECK(BIO_new_bio_pair(&b1, 0, &b2, 0));
    SSL_set_bio(d, b1, b1);
    SSL_set_bio(s2, b2, b2);
    SSL_set_accept_state(s2);
    CHECK(keel_test_handshake(d, s2));
    CHECK(rw(d, s2, "dup works"));
    SSL_free(d);
    SSL_free(s2);
    drop(cctx, sctx, c, s);
}

int main(void)
{
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    CHECK(keel_test_make_chain(&other, KT_ED25519, "other.test", 30));
    test_hrr();
    test_alpn();
    test_sni();
    test_key_update_and_shutdown();
    test_bulk_partial();
    test_write_retry();
    test_verify_failures();
    test_no_shared_cipher();
    test_callbacks_and_dup();
    keel_test_chain_free(&ec);
    keel_test_chain_free(&other);
    return keel_test_finish("tls13_features");
}
