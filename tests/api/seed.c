/* The seed, SSL_new(3), sentence by sentence. Each block names the sentence it proves. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "testutil.h"

static int verify_cb_a(int ok, X509_STORE_CTX *x) { return ok; }
static int verify_cb_b(int ok, X509_STORE_CTX *x) { return 1; }

/* ex_data callbacks let the test observe the moment an SSL is really freed, and duplication. */
static int frees, dups;
static void ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    frees++;
}
static int ex_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d, int idx, long argl,
                  void *argp)
{
    dups++;
    return 1;
}

/* "SSL_new() ... inherits the settings of the underlying context ctx: connection method, options,
 * verification settings, timeout settings." */
static void test_inherits(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    CHECK(ctx != NULL);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb_a);
    SSL_CTX_set_verify_depth(ctx, 7);
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_PARTIAL_CHAIN);
    X509_VERIFY_PARAM_set_purpose(SSL_CTX_get0_param(ctx), X509_PURPOSE_SSL_SERVER);
    SSL_CTX_set_timeout(ctx, 1234);
    CHECK(SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION));

    SSL *s = SSL_new(ctx);
    CHECK(s != NULL);
    CHECK(SSL_get_ssl_method(s) == TLS_client_method());
    CHECK(SSL_get_SSL_CTX(s) == ctx);
    CHECK((SSL_get_options(s) & (SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE))
          == (SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE));
    CHECK_EQ(SSL_get_options(s), SSL_CTX_get_options(ctx));
    CHECK_EQ(SSL_get_verify_mode(s), SSL_VERIFY_PEER);
    CHECK(SSL_get_verify_callback(s) == verify_cb_a);
    CHECK_EQ(SSL_get_verify_depth(s), 7);
    CHECK(X509_VERIFY_PARAM_get_flags(SSL_get0_param(s)) & X509_V_FLAG_PARTIAL_CHAIN);
    CHECK(SSL_get0_param(s) != SSL_CTX_get0_param(ctx)); /* a copy, not shared */
    CHECK_EQ(SSL_get_min_proto_version(s), TLS1_3_VERSION);
    CHECK_EQ(SSL_CTX_get_timeout(ctx), 1234);

    /* Later changes to the context do not reach the existing SSL ... */
    SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, verify_cb_b);
    SSL_CTX_set_verify_depth(ctx, 2);
    X509_VERIFY_PARAM_clear_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_PARTIAL_CHAIN);
    CHECK(SSL_get_options(s) & SSL_OP_NO_TICKET);
    CHECK_EQ(SSL_get_verify_mode(s), SSL_VERIFY_PEER);
    CHECK(SSL_get_verify_callback(s) == verify_cb_a);
    CHECK_EQ(SSL_get_verify_depth(s), 7);
    CHECK(X509_VERIFY_PARAM_get_flags(SSL_get0_param(s)) & X509_V_FLAG_PARTIAL_CHAIN);

    /* ... and the SSL's own changes do not reach the context. */
    SSL_set_options(s, SSL_OP_NO_RENEGOTIATION);
    SSL_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_set_verify_depth(s, 3);
    CHECK(SSL_set1_host(s, "example.test"));
    CHECK(!(SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION));
    CHECK_EQ(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_NONE);
    CHECK_EQ(SSL_CTX_get_verify_depth(ctx), 2);
    CHECK(X509_VERIFY_PARAM_get0_host(SSL_CTX_get0_param(ctx), 0) == NULL);
    /* SSL_set_verify with a NULL callback keeps the callback (SSL_CTX_set_verify(3)). */
    CHECK(SSL_get_verify_callback(s) == verify_cb_a);

    /* A new SSL sees the context as it is now. */
    SSL *s2 = SSL_new(ctx);
    CHECK(s2 != NULL);
    CHECK_EQ(SSL_get_verify_depth(s2), 2);
    CHECK(!(SSL_get_options(s2) & SSL_OP_NO_TICKET));
    SSL_free(s2);
    SSL_free(s);
    SSL_CTX_free(ctx);
}

/* "An SSL structure is reference counted. Creating an SSL structure for the first time increments
 * the reference count. Freeing it (using SSL_free) decrements it. When the reference count drops to
 * zero, any memory or resources allocated to the SSL structure are freed."
 * "SSL_up_ref() increments the reference count ... returns 1 for success" */
static void test_refcount(int idx)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *s = SSL_new(ctx);
    CHECK(s != NULL);
    CHECK(SSL_set_ex_data(s, idx, (void *)"x"));
    frees = 0;
    CHECK_EQ(SSL_up_ref(s), 1);
    CHECK_EQ(SSL_up_ref(s), 1);
    SSL_free(s);
    SSL_free(s);
    CHECK_EQ(frees, 0);                 /* one reference left: still alive */
    CHECK(SSL_get_ex_data(s, idx) != NULL);
    SSL_free(s);
    CHECK_EQ(frees, 1);                 /* the creation's reference was the last */
    /* The SSL held a reference on its context: the context is still usable after SSL_free. */
    SSL *t = SSL_new(ctx);
    CHECK(t != NULL);
    SSL_CTX_free(ctx);                  /* t keeps ctx alive */
    CHECK(SSL_get_SSL_CTX(t) == ctx);
    CHECK(SSL_CTX_get_ssl_method(SSL_get_SSL_CTX(t)) == TLS_method());
    SSL_free(t);
    SSL_free(NULL);                     /* no-op, as free(NULL) */
}

/* "SSL_dup() duplicates an existing SSL structure into a new allocated one. All settings are
 * inherited from the original SSL structure. Dynamic data (i.e. existing connection details) are
 * not copied, the new SSL is set into an initial accept (server) or connect (client) state." */
static void test_dup(int idx)
{
    static const unsigned char alpn[] = { 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *s = SSL_new(ctx);
    CHECK(s != NULL);
    SSL_set_options(s, SSL_OP_NO_TICKET);
    SSL_set_verify(s, SSL_VERIFY_PEER, verify_cb_b);
    SSL_set_verify_depth(s, 4);
    CHECK(SSL_set1_host(s, "a.example"));
    CHECK(SSL_add1_host(s, "b.example"));
    CHECK(SSL_set_tlsext_host_name(s, "sni.example"));
    CHECK_EQ(SSL_set_alpn_protos(s, alpn, sizeof(alpn)), 0);
    CHECK(SSL_set_ciphersuites(s, "TLS_CHACHA20_POLY1305_SHA256"));
    CHECK(SSL_set_session_id_context(s, (const unsigned char *)"ctx1", 4));
    CHECK(SSL_set_ex_data(s, idx, (void *)"payload"));
    SSL_set_quiet_shutdown(s, 1);
    SSL_set_connect_state(s);
    SSL_set_shutdown(s, SSL_SENT_SHUTDOWN); /* connection data: must not be copied */
    SSL_set_verify_result(s, X509_V_ERR_CERT_HAS_EXPIRED);

    dups = 0;
    SSL *d = SSL_dup(s);
    CHECK(d != NULL && d != s);
    CHECK_EQ(dups, 1);
    CHECK(SSL_get_ex_data(d, idx) == SSL_get_ex_data(s, idx));
    CHECK(SSL_get_SSL_CTX(d) == ctx);
    CHECK(SSL_get_options(d) & SSL_OP_NO_TICKET);
    CHECK_EQ(SSL_get_verify_mode(d), SSL_VERIFY_PEER);
    CHECK(SSL_get_verify_callback(d) == verify_cb_b);
    CHECK_EQ(SSL_get_verify_depth(d), 4);
    CHECK(X509_VERIFY_PARAM_get0_host(SSL_get0_param(d), 0) != NULL
          && strcmp(X509_VERIFY_PARAM_get0_host(SSL_get0_param(d), 0), "a.example") == 0);
    CHECK(X509_VERIFY_PARAM_get0_host(SSL_get0_param(d), 1) != NULL
          && strcmp(X509_VERIFY_PARAM_get0_host(SSL_get0_param(d), 1), "b.example") == 0);
    CHECK(SSL_get_servername(d, TLSEXT_NAMETYPE_host_name) != NULL
          && strcmp(SSL_get_servername(d, TLSEXT_NAMETYPE_host_name), "sni.example") == 0);
    CHECK_EQ(SSL_get_quiet_shutdown(d), 1);
    STACK_OF(SSL_CIPHER) *ciphers = SSL_get_ciphers(d);
    CHECK(ciphers != NULL && strcmp(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, 0)),
                                    "TLS_CHACHA20_POLY1305_SHA256") == 0);
    /* Initial connect state of the original's role, no connection data. */
    CHECK_EQ(SSL_is_server(d), 0);
    CHECK(SSL_in_before(d));
    CHECK(SSL_in_init(d));
    CHECK_EQ(SSL_get_state(d), TLS_ST_BEFORE);
    CHECK_EQ(SSL_get_shutdown(d), 0);
    CHECK_EQ(SSL_get_verify_result(d), X509_V_OK);
    /* Independent: changing the duplicate leaves the original alone. */
    SSL_set_verify_depth(d, 9);
    CHECK_EQ(SSL_get_verify_depth(s), 4);
    SSL_free(d);

    SSL_set_accept_state(s);
    d = SSL_dup(s);
    CHECK(d != NULL);
    CHECK_EQ(SSL_is_server(d), 1);
    CHECK(SSL_in_before(d));
    SSL_free(d);
    SSL_free(s);
    SSL_CTX_free(ctx);
}

/* "NULL: The creation of a new SSL structure failed. Check the error stack to find out the
 * reason." */
static void test_failure(void)
{
    ERR_clear_error();
    CHECK(SSL_new(NULL) == NULL);
    unsigned long e = ERR_peek_last_error();
    CHECK(e != 0);
    CHECK_EQ(ERR_GET_LIB(e), ERR_LIB_SSL);
    CHECK_EQ(ERR_GET_REASON(e), SSL_R_NULL_SSL_CTX);
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    CHECK(strstr(buf, "null ssl ctx") != NULL);
    ERR_clear_error();
    CHECK(SSL_CTX_new(NULL) == NULL);
    CHECK_EQ(ERR_GET_REASON(ERR_peek_last_error()), SSL_R_NULL_SSL_METHOD_PASSED);
    ERR_clear_error();
    CHECK(SSL_dup(NULL) == NULL);
    CHECK(ERR_peek_last_error() != 0);
    ERR_clear_error();
}

int main(void)
{
    int idx = SSL_get_ex_new_index(0, NULL, NULL, ex_dup, ex_free);
    CHECK(idx >= 0);
    test_inherits();
    test_refcount(idx);
    test_dup(idx);
    test_failure();
    return keel_test_finish("seed");
}
