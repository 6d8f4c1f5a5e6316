/* Many threads doing full and resumed handshakes with mutual authentication on shared contexts
 * (issue #10 item 20): one client SSL_CTX and two server SSL_CTXs — stateless tickets, and stateful
 * (SSL_OP_NO_TICKET: the session cache) — so the ticket keys, the session cache, the peer
 * certificate cache and the statistics are all used concurrently. Built under TSan by `make test`
 * (label "threads"); each thread reports what went wrong and main checks it. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <pthread.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

#define THREADS 4
#define ROUNDS 20

static keel_test_chain srv, cli;
static SSL_CTX *cctx, *sctx[2];

/* One connection: 1 if the handshake completed with the client authenticated, data went both
 * ways, and the resumption state is as expected. *sess is offered, then replaced by the new one. */
static int connect_once(SSL_CTX *server_ctx, SSL_SESSION **sess, int expect_reused)
{
    SSL *c, *s;
    char buf[8];
    int ok = keel_test_pair(cctx, server_ctx, &c, &s);

    if (ok) {
        SSL_set1_host(c, "server.test");
        if (*sess != NULL)
            ok = SSL_set_session(c, *sess);
    }
    ok = ok && keel_test_handshake(c, s)
        && SSL_session_reused(c) == expect_reused && SSL_session_reused(s) == expect_reused
        && SSL_get0_peer_certificate(s) != NULL && X509_cmp(SSL_get0_peer_certificate(s), cli.leaf) == 0
        && SSL_get_verify_result(c) == X509_V_OK && SSL_get_verify_result(s) == X509_V_OK
        && SSL_write(c, "ping", 4) == 4 && SSL_read(s, buf, sizeof(buf)) == 4
        && SSL_write(s, "pong", 4) == 4 && SSL_read(c, buf, sizeof(buf)) == 4;
    if (ok) {
        SSL_SESSION_free(*sess);
        *sess = SSL_get1_session(c);
        ok = *sess != NULL;
    }
    keel_test_free_pair(c, s);
    ERR_clear_error();
    return ok;
}

static void *worker(void *arg)
{
    long failures = 0;
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        for (int k = 0; k < 2; k++) {
            SSL_SESSION *sess = NULL;
            failures += !connect_once(sctx[k], &sess, 0);
            failures += !connect_once(sctx[k], &sess, 1);
            SSL_SESSION_free(sess);
        }
    }
    return (void *)failures;
}

int main(void)
{
    pthread_t t[THREADS];

    CHECK(keel_test_make_chain(&srv, KT_EC_P256, "server.test", 30));
    CHECK(keel_test_make_chain(&cli, KT_EC_P256, "client.test", 30));
    cctx = keel_test_client_ctx(&srv);
    CHECK(cctx != NULL && SSL_CTX_use_certificate(cctx, cli.leaf) && SSL_CTX_use_PrivateKey(cctx, cli.leaf_key));
    for (int k = 0; k < 2; k++) {
        sctx[k] = keel_test_server_ctx(&srv);
        CHECK(sctx[k] != NULL && X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx[k]), cli.ca));
        SSL_CTX_set_verify(sctx[k], SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        CHECK(SSL_CTX_set_session_id_context(sctx[k], (const unsigned char *)"thr", 3));
    }
    SSL_CTX_set_options(sctx[1], SSL_OP_NO_TICKET);

    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, worker, NULL) == 0);
    for (int i = 0; i < THREADS; i++) {
        void *r = NULL;
        CHECK(pthread_join(t[i], &r) == 0);
        CHECK_EQ((long)r, 0);
    }
    /* Every resumption of the stateful context was a cache hit. */
    CHECK(SSL_CTX_sess_hits(sctx[1]) >= THREADS * ROUNDS);
    CHECK(SSL_CTX_sess_number(sctx[1]) > 0);

    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx[0]);
    SSL_CTX_free(sctx[1]);
    keel_test_chain_free(&srv);
    keel_test_chain_free(&cli);
    return keel_test_finish("api_handshake_threads");
}
