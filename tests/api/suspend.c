/* Callbacks that suspend the server's handshake (issue #10.16; SSL_CTX_set_client_hello_cb(3),
 * SSL_CTX_set_cert_cb(3), SSL_get_error(3)): a ClientHello callback returning
 * SSL_CLIENT_HELLO_RETRY, or a certificate callback returning < 0, makes SSL_do_handshake
 * return -1 with SSL_ERROR_WANT_CLIENT_HELLO_CB / SSL_ERROR_WANT_X509_LOOKUP, with nothing
 * written; calling it again calls the callback again and, once it succeeds, the handshake
 * completes (asynchronous certificate selection, as nginx and haproxy do it). */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain ec;
static int hello_calls, hello_retries, cert_calls, cert_retries;

static int hello_cb(SSL *s, int *al, void *arg)
{
    hello_calls++;
    return hello_calls <= hello_retries ? SSL_CLIENT_HELLO_RETRY : SSL_CLIENT_HELLO_SUCCESS;
}

static int cert_cb(SSL *s, void *arg)
{
    cert_calls++;
    return cert_calls <= cert_retries ? -1 : 1;
}

/* What the server has written so far, as the client's BIO would read it. */
static size_t pending_for_client(SSL *c)
{
    return BIO_ctrl_pending(SSL_get_rbio(c));
}

/* Both handshakes to completion, calling again whenever a callback suspended the server. */
static int drive(SSL *c, SSL *s)
{
    int cdone = 0, sdone = 0;
    for (int i = 0; i < 100 && !(cdone && sdone); i++) {
        int r;
        if (!cdone && (r = SSL_do_handshake(c)) == 1)
            cdone = 1;
        else if (!cdone && SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
            return 0;
        if (!sdone && (r = SSL_do_handshake(s)) == 1) {
            sdone = 1;
        } else if (!sdone) {
            int e = SSL_get_error(s, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_X509_LOOKUP
                    && e != SSL_ERROR_WANT_CLIENT_HELLO_CB)
                return 0;
        }
    }
    return cdone && sdone;
}

/* One connection: the client's hello, then the server suspended `retries` times at the
 * callback, then both to completion. want: the SSL_get_error value of a suspension. */
static int per_ssl_cert_cb; /* run() sets cert_cb on the server SSL (SSL_set_cert_cb) */

static void run(SSL_CTX *cctx, SSL_CTX *sctx, int retries, int want, int want_state)
{
    SSL *c, *s;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    if (per_ssl_cert_cb)
        SSL_set_cert_cb(s, cert_cb, NULL);
    CHECK(SSL_set_tlsext_host_name(c, "server.test"));
    CHECK_EQ(SSL_do_handshake(c), -1);
    CHECK_EQ(SSL_get_error(c, -1), SSL_ERROR_WANT_READ);
    for (int i = 0; i < retries; i++) {
        int r = SSL_do_handshake(s);
        CHECK_EQ(r, -1);
        CHECK_EQ(SSL_get_error(s, r), want);
        CHECK_EQ(SSL_want(s), want_state);
        CHECK_EQ(ERR_peek_error(), 0);
        CHECK_EQ(pending_for_client(c), 0); /* nothing sent while suspended */
        CHECK(!SSL_is_init_finished(s));
    }
    CHECK(drive(c, s));
    CHECK(SSL_get0_peer_certificate(c) != NULL);
    /* and the connection works */
    char buf[8];
    CHECK_EQ(SSL_write(c, "ping", 4), 4);
    CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 4);
    SSL_free(c);
    SSL_free(s);
}

int main(void)
{
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 365));
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    SSL_CTX_set_verify(sctx, SSL_VERIFY_NONE, NULL);

    /* The ClientHello callback: RETRY twice, then SUCCESS; called three times in all. */
    SSL_CTX_set_client_hello_cb(sctx, hello_cb, NULL);
    hello_calls = 0, hello_retries = 2;
    run(cctx, sctx, 2, SSL_ERROR_WANT_CLIENT_HELLO_CB, SSL_CLIENT_HELLO_CB);
    CHECK_EQ(hello_calls, 3);
    SSL_CTX_set_client_hello_cb(sctx, NULL, NULL);

    /* The certificate callback: -1 three times, then 1. */
    SSL_CTX_set_cert_cb(sctx, cert_cb, NULL);
    cert_calls = 0, cert_retries = 3;
    run(cctx, sctx, 3, SSL_ERROR_WANT_X509_LOOKUP, SSL_X509_LOOKUP);
    CHECK_EQ(cert_calls, 4);

    /* The same callback set on the SSL instead: -1 twice, then 1. */
    SSL_CTX_set_cert_cb(sctx, NULL, NULL);
    per_ssl_cert_cb = 1;
    cert_calls = 0, cert_retries = 2;
    run(cctx, sctx, 2, SSL_ERROR_WANT_X509_LOOKUP, SSL_X509_LOOKUP);
    CHECK_EQ(cert_calls, 3);
    per_ssl_cert_cb = 0;
    SSL_CTX_set_cert_cb(sctx, cert_cb, NULL);

    /* Both, with a HelloRetryRequest between: the ClientHello callback runs for each hello. */
    SSL_CTX_set_client_hello_cb(sctx, hello_cb, NULL);
    CHECK(SSL_CTX_set1_groups_list(sctx, "P-256"));
    CHECK(SSL_CTX_set1_groups_list(cctx, "X25519:P-256"));
    hello_calls = 0, hello_retries = 1, cert_calls = 0, cert_retries = 1;
    run(cctx, sctx, 1, SSL_ERROR_WANT_CLIENT_HELLO_CB, SSL_CLIENT_HELLO_CB);
    CHECK_EQ(hello_calls, 3); /* RETRY, SUCCESS on ClientHello 1; SUCCESS on ClientHello 2 */
    CHECK_EQ(cert_calls, 3); /* -1, 1 on ClientHello 1 (before the HRR), 1 on ClientHello 2 */

    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    keel_test_chain_free(&ec);
    return keel_test_finish("suspend");
}
