/* Anti-replay under threads (SSL_read_early_data(3), REPLAY PROTECTION; RFC 8446 §8.1): one
 * ticket presented with early data by eight clients at once to one server context. Exactly one
 * handshake resumes it and has its early data accepted; every other one is a full handshake whose
 * early data is rejected (the client is told: REJECTED), and every handshake completes. */
#include "testutil.h"
#include "tls.h"

#include <pthread.h>
#include <string.h>

#define THREADS 8

static keel_test_chain chain;
static SSL_CTX *sctx, *cctx;
static SSL_SESSION *sess;
static pthread_barrier_t start;

typedef struct {
    int done, accepted, reused, client_status, got;
} result;

static void *one(void *arg)
{
    result *res = arg;
    SSL *c, *s;
    size_t w, n;
    char buf[64];
    int sdone = 0, shs = 0, cdone = 0;

    if (!keel_test_pair(cctx, sctx, &c, &s) || !SSL_set_session(c, sess))
        return NULL;
    pthread_barrier_wait(&start);
    if (SSL_write_early_data(c, "replay?", 7, &w) != 1)
        goto end;
    for (int i = 0; i < 60 && !(shs && cdone); i++) {
        if (!sdone) {
            int r = SSL_read_early_data(s, buf, sizeof(buf), &n);
            if (r == SSL_READ_EARLY_DATA_SUCCESS)
                res->got += (int)n;
            else if (r == SSL_READ_EARLY_DATA_FINISH)
                sdone = 1;
            else if (SSL_get_error(s, 0) != SSL_ERROR_WANT_READ)
                goto end;
        } else if (!shs) {
            int r = SSL_do_handshake(s);
            if (r == 1)
                shs = 1;
            else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
                goto end;
        }
        if (!cdone) {
            int r = SSL_do_handshake(c);
            if (r == 1)
                cdone = 1;
            else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
                goto end;
        }
    }
    res->done = shs && cdone;
    res->accepted = SSL_get_early_data_status(s) == SSL_EARLY_DATA_ACCEPTED;
    res->reused = SSL_session_reused(s);
    res->client_status = SSL_get_early_data_status(c);
end:
    /* Not a bare SSL_free: freeing a finished connection that sent no close_notify removes its
     * session from the cache and makes it unresumable (SSL_free(3)), and `sess` is shared by every
     * thread: a thread still to write its ClientHello would then have no ticket to offer (OpenSSL
     * 3.0 does the same). */
    keel_test_free_pair(c, s);
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    result res[THREADS];

    CHECK(keel_test_make_chain(&chain, KT_EC_P256, "localhost", 30));
    sctx = keel_test_server_ctx(&chain);
    cctx = keel_test_client_ctx(&chain);
    CHECK(SSL_CTX_set_max_early_data(sctx, 16384));
    sess = keel_test_ticket_session(cctx, sctx);
    CHECK(sess != NULL && SSL_SESSION_get_max_early_data(sess) > 0);

    memset(res, 0, sizeof(res));
    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, one, &res[i]) == 0);
    int accepted = 0, reused = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK(res[i].done);
        accepted += res[i].accepted;
        reused += res[i].reused;
        if (res[i].accepted) {
            CHECK_EQ(res[i].got, 7);
            CHECK_EQ(res[i].client_status, SSL_EARLY_DATA_ACCEPTED);
        } else {
            CHECK_EQ(res[i].got, 0);
            CHECK_EQ(res[i].client_status, SSL_EARLY_DATA_REJECTED);
        }
    }
    CHECK_EQ(accepted, 1);
    CHECK_EQ(reused, 1);
    pthread_barrier_destroy(&start);
    SSL_SESSION_free(sess);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    keel_test_chain_free(&chain);
    return keel_test_finish("early_replay_threads");
}
