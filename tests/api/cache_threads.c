/* The server session cache and the ticket keys under concurrency (issue #15): four threads add,
 * look up (SSL_has_matching_session_id), remove and flush on one small cache, so sessions are
 * evicted all the time (and some have their timeout changed, which moves them), while two more run TLS 1.3 ticket resumptions and TLS 1.2 session-id
 * resumptions on shared contexts and a seventh replaces the ticket keys (ctrl 58) and reads them
 * back. Afterwards the books must balance: every session stored left through exactly one of
 * remove (returning 1), eviction (cache_full), flush, or is still cached. Built under TSan by
 * `make test` (label "threads"). */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "tls.h"

#define HAMMERS 4
#define OPS 3000
#define HANDSHAKES 12

static keel_test_chain ec;
static SSL_CTX *cache_ctx, *cctx, *sctx13, *sctx12;
static atomic_long callbacks, remove_calls, removed_ok, added_ok, lookups_hit;
static atomic_int handshakes_done;
static long now;

static void remove_cb(SSL_CTX *ctx, SSL_SESSION *ss)
{
    (void)ctx;
    (void)ss;
    atomic_fetch_add(&callbacks, 1);
}

static SSL_SESSION *mk(int thread, int i)
{
    SSL_SESSION *ss = SSL_SESSION_new();
    unsigned char id[32] = { (unsigned char)thread, (unsigned char)(i >> 8), (unsigned char)i, 0x5a };
    if (ss != NULL) {
        SSL_SESSION_set1_id(ss, id, sizeof(id));
        SSL_SESSION_set_protocol_version(ss, TLS1_2_VERSION);
        SSL_SESSION_set_time(ss, now);
        SSL_SESSION_set_timeout(ss, 3600);
    }
    return ss;
}

static void *hammer(void *arg)
{
    int t = (int)(long)arg;
    long failures = 0;
    SSL *probe = SSL_new(cache_ctx); /* SSL_has_matching_session_id asks its context's cache */
    for (int i = 0; i < OPS; i++) {
        SSL_SESSION *ss = mk(t, i);
        unsigned int len = 0;
        const unsigned char *id = SSL_SESSION_get_id(ss, &len);
        if (SSL_CTX_add_session(cache_ctx, ss) == 1)
            atomic_fetch_add(&added_ok, 1);
        else
            failures++;
        if (SSL_has_matching_session_id(probe, id, len))
            atomic_fetch_add(&lookups_hit, 1);
        if (i % 7 == 0) /* moves it in the cache's order, if another thread has not evicted it */
            SSL_SESSION_set_timeout(ss, 3000);
        if (i % 3 == 0) {
            SSL_SESSION *copy = mk(t, i); /* another object, same version and id */
            atomic_fetch_add(&remove_calls, 1);
            if (SSL_CTX_remove_session(cache_ctx, copy) == 1)
                atomic_fetch_add(&removed_ok, 1);
            SSL_SESSION_free(copy);
        }
        if (i % 101 == 0)
            SSL_CTX_flush_sessions(cache_ctx, now - 100000); /* expires nothing */
        if (i % 499 == 0)
            SSL_CTX_flush_sessions(cache_ctx, 0);            /* everything */
        if (SSL_CTX_sess_number(cache_ctx) > SSL_CTX_sess_get_cache_size(cache_ctx))
            failures++;
        SSL_SESSION_free(ss);
    }
    SSL_free(probe);
    ERR_clear_error();
    return (void *)failures;
}

/* Full then resumed handshakes; with the ticket keys replaced meanwhile a resumption may fall back
 * to a full handshake, but every handshake completes. Returns the resumptions seen. */
static long resume_loop(SSL_CTX *server_ctx, long *failures)
{
    long reused = 0;
    SSL_SESSION *sess = NULL;
    for (int i = 0; i < HANDSHAKES; i++) {
        SSL *c = NULL, *s = NULL;
        char b[4];
        int ok = keel_test_pair(cctx, server_ctx, &c, &s);
        if (ok && sess != NULL && i % 4 != 0)
            ok = SSL_set_session(c, sess);
        ok = ok && keel_test_handshake(c, s);
        if (ok) {
            SSL_read(c, b, sizeof(b)); /* the TLS 1.3 tickets */
            reused += SSL_session_reused(s);
            SSL_SESSION_free(sess);
            sess = SSL_get1_session(c);
            SSL_shutdown(c);
            SSL_shutdown(s);
        }
        *failures += !ok;
        SSL_free(c);
        SSL_free(s);
        ERR_clear_error();
    }
    SSL_SESSION_free(sess);
    atomic_fetch_add(&handshakes_done, 1);
    return reused;
}

static long reused13, reused12;

static void *tls13(void *arg)
{
    long failures = 0;
    (void)arg;
    reused13 = resume_loop(sctx13, &failures);
    return (void *)failures;
}

static void *tls12(void *arg)
{
    long failures = 0;
    (void)arg;
    reused12 = resume_loop(sctx12, &failures);
    return (void *)failures;
}

static void *rotate(void *arg)
{
    long failures = 0;
    unsigned char keys[80], back[80];
    (void)arg;
    for (int i = 0; atomic_load(&handshakes_done) < 2; i++) {
        memset(keys, i & 0xff, sizeof(keys));
        if (SSL_CTX_set_tlsext_ticket_keys(sctx13, keys, sizeof(keys)) != 1
                || SSL_CTX_get_tlsext_ticket_keys(sctx13, back, sizeof(back)) != 1)
            failures++;
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return (void *)failures;
}

int main(void)
{
    pthread_t th[HAMMERS + 3];
    void *(*fn[HAMMERS + 3])(void *);
    now = (long)time(NULL);
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    cache_ctx = SSL_CTX_new(TLS_server_method());
    cctx = keel_test_client_ctx(&ec);
    sctx13 = keel_test_server_ctx(&ec);
    sctx12 = keel_test_server_ctx(&ec);
    CHECK(cache_ctx != NULL && cctx != NULL && sctx13 != NULL && sctx12 != NULL);
    SSL_CTX_sess_set_cache_size(cache_ctx, 16);
    SSL_CTX_sess_set_remove_cb(cache_ctx, remove_cb);
    SSL_CTX_set_options(sctx12, SSL_OP_NO_TICKET);   /* TLS 1.2 sessions by id: the cache */
    SSL_CTX_set_max_proto_version(sctx12, TLS1_2_VERSION);
    SSL_CTX_set_session_id_context(sctx12, (const unsigned char *)"ct", 2);
    SSL_CTX_set_session_id_context(sctx13, (const unsigned char *)"ct", 2);

    for (int i = 0; i < HAMMERS; i++)
        fn[i] = hammer;
    fn[HAMMERS] = tls13;
    fn[HAMMERS + 1] = tls12;
    fn[HAMMERS + 2] = rotate;
    for (int i = 0; i < HAMMERS + 3; i++)
        CHECK(pthread_create(&th[i], NULL, fn[i], (void *)(long)i) == 0);
    for (int i = 0; i < HAMMERS + 3; i++) {
        void *failures = NULL;
        pthread_join(th[i], &failures);
        CHECK_EQ((long)failures, 0);
    }

    /* The books: stored = removed + evicted + flushed + still cached; the callback saw every
     * remove call (OpenSSL 3.0 calls it whether or not the session was cached), every eviction
     * and every flushed session. */
    long number = SSL_CTX_sess_number(cache_ctx), full = SSL_CTX_sess_cache_full(cache_ctx);
    long flushed = atomic_load(&callbacks) - atomic_load(&remove_calls) - full;
    CHECK_EQ(atomic_load(&added_ok), HAMMERS * OPS);
    CHECK_EQ(atomic_load(&added_ok), atomic_load(&removed_ok) + full + flushed + number);
    CHECK(number < 16);
    CHECK(full > 0 && flushed > 0 && atomic_load(&removed_ok) > 0);
    CHECK(reused12 > 0); /* the session-id cache resumed under all that */
    long before = atomic_load(&callbacks);
    SSL_CTX_free(cache_ctx);
    CHECK_EQ(atomic_load(&callbacks) - before, number); /* the rest go through the callback */
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx13);
    SSL_CTX_free(sctx12);
    keel_test_chain_free(&ec);
    return keel_test_finish("cache_threads");
}
