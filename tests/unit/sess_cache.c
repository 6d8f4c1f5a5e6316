/* The server session cache's table (src/api/sess_cache.c): no buckets until the first session,
 * growth with the number of sessions, short chains, every session found by its id, the order
 * sessions leave a full cache in (the one that expires first), removal by a copy, replacement by
 * version and id, flush, and allocation failures survived (a session not cached, nothing lost). */
#include "proto/session.h"
#include "testutil.h"

#include <openssl/err.h>
#include <string.h>

static long removed;
static uint32_t last_removed = UINT32_MAX;
static int order_ok = 1;

static uint32_t num_of(const SSL_SESSION *ss)
{
    return (uint32_t)ss->session_id[0] << 24 | (uint32_t)ss->session_id[1] << 16
        | (uint32_t)ss->session_id[2] << 8 | ss->session_id[3];
}

/* Sessions of equal lifetime leave oldest first: numbers increase. */
static void remove_cb(SSL_CTX *ctx, SSL_SESSION *ss)
{
    (void)ctx;
    uint32_t n = num_of(ss);
    if (last_removed != UINT32_MAX && n <= last_removed)
        order_ok = 0;
    last_removed = n;
    removed++;
}

static SSL_SESSION *mk(uint32_t n, int version, long t, long timeout)
{
    SSL_SESSION *ss = SSL_SESSION_new();
    uint8_t id[32] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
    if (ss == NULL)
        return NULL;
    SSL_SESSION_set1_id(ss, id, sizeof(id));
    SSL_SESSION_set_protocol_version(ss, version);
    SSL_SESSION_set_time(ss, t);
    SSL_SESSION_set_timeout(ss, timeout);
    return ss;
}

static size_t longest_chain(const SSL_CTX *ctx)
{
    size_t longest = 0;
    for (size_t i = 0; i < ctx->cache_nbuckets; i++) {
        size_t n = 0;
        for (const SSL_SESSION *ss = ctx->cache_buckets[i]; ss != NULL; ss = ss->hash_next)
            n++;
        if (n > longest)
            longest = n;
    }
    return longest;
}

static int found(SSL_CTX *ctx, uint32_t n)
{
    uint8_t id[32] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
    SSL_SESSION *ss = keel_cache_lookup(ctx, id, sizeof(id));
    SSL_SESSION_free(ss);
    return ss != NULL;
}

static void table(void)
{
    long now = (long)time(NULL);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    CHECK(ctx != NULL);
    SSL_CTX_sess_set_remove_cb(ctx, remove_cb);
    /* an empty cache holds no table */
    CHECK(ctx->cache_nbuckets == 0 && ctx->cache_buckets == NULL);
    CHECK(!found(ctx, 1));

    /* the default size (20,480) holds 20,479; 30,000 added: the first 10,000 go, oldest first */
    const uint32_t total = 30000, kept = SSL_SESSION_CACHE_MAX_SIZE_DEFAULT - 1;
    for (uint32_t i = 0; i < total; i++) {
        SSL_SESSION *ss = mk(i, TLS1_2_VERSION, now, 1000);
        CHECK(SSL_CTX_add_session(ctx, ss) == 1);
        SSL_SESSION_free(ss);
        if (i == 99) {
            CHECK(ctx->cache_nbuckets >= 100 && ctx->cache_nbuckets <= 256);
        }
    }
    CHECK_EQ(SSL_CTX_sess_number(ctx), kept);
    CHECK_EQ(removed, total - kept);
    CHECK_EQ(SSL_CTX_sess_cache_full(ctx), total - kept);
    CHECK(order_ok);
    CHECK(ctx->cache_nbuckets >= (size_t)kept && ctx->cache_nbuckets <= 4 * (size_t)kept);
    CHECK(longest_chain(ctx) <= 12); /* a keyed hash of random-looking ids: no pile-ups */
    CHECK(!found(ctx, 0) && !found(ctx, total - kept - 1));
    CHECK(found(ctx, total - kept) && found(ctx, total - 1) && found(ctx, total / 2 + 7000));

    /* the list and the count agree, head to tail in expiry order */
    long n = 0;
    for (SSL_SESSION *ss = ctx->cache_head; ss != NULL; ss = ss->cache_next) {
        CHECK(ss->cache_next == NULL || ss->cache_next->cache_prev == ss);
        n++;
    }
    CHECK_EQ(n, kept);

    /* removal by a copy (same version and id): only once */
    SSL_SESSION *copy = mk(total - 1, TLS1_2_VERSION, now, 5);
    removed = 0;
    CHECK_EQ(SSL_CTX_remove_session(ctx, copy), 1);
    CHECK_EQ(SSL_CTX_remove_session(ctx, copy), 0);
    CHECK(!found(ctx, total - 1));
    CHECK_EQ(removed, 2); /* the callback both times, as OpenSSL 3.0 */
    SSL_SESSION_free(copy);

    /* the same id at another version is another key; a copy at the same version replaces */
    SSL_SESSION *v13 = mk(total - 2, TLS1_3_VERSION, now, 1000);
    SSL_SESSION *v12 = mk(total - 2, TLS1_2_VERSION, now, 1000);
    long before = SSL_CTX_sess_number(ctx);
    CHECK_EQ(SSL_CTX_add_session(ctx, v13), 1);
    CHECK_EQ(SSL_CTX_sess_number(ctx), before + 1); /* the room the removal made */
    CHECK_EQ(SSL_CTX_add_session(ctx, v12), 1);  /* replaces the cached TLS 1.2 one */
    CHECK_EQ(SSL_CTX_add_session(ctx, v12), 0);  /* already there */
    CHECK_EQ(SSL_CTX_remove_session(ctx, v13), 1);
    CHECK_EQ(SSL_CTX_remove_session(ctx, v12), 1);
    CHECK(!found(ctx, total - 2));
    SSL_SESSION_free(v13);
    SSL_SESSION_free(v12);

    /* a session with a shorter lifetime goes to its place: first out of a full cache */
    SSL_SESSION *brief = mk(1u << 31, TLS1_2_VERSION, now, 10);
    CHECK_EQ(SSL_CTX_add_session(ctx, brief), 1);
    CHECK(ctx->cache_tail == brief);
    SSL_CTX_flush_sessions(ctx, now + 10);
    CHECK(ctx->cache_tail == brief);             /* expired only after time + timeout */
    SSL_CTX_flush_sessions(ctx, now + 11);
    CHECK(ctx->cache_tail != brief && brief->cache_owner == NULL && brief->not_resumable);
    SSL_SESSION_free(brief);

    /* flush: everything when past every expiry */
    SSL_CTX_flush_sessions(ctx, now + 1001);
    CHECK_EQ(SSL_CTX_sess_number(ctx), 0);
    CHECK(ctx->cache_head == NULL && ctx->cache_tail == NULL);
    SSL_CTX_free(ctx);
}

/* Allocation failures while adding: the session is either cached or not, never half. */
static void alloc_failures(void)
{
    long now = (long)time(NULL);
    for (long k = 1; k < 10; k++) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
        SSL_SESSION *ss[40];
        for (int i = 0; i < 40; i++)
            ss[i] = mk((uint32_t)i, TLS1_2_VERSION, now, 100);
        keel_test_fail_after(k);
        int cached = 0;
        for (int i = 0; i < 40; i++)
            cached += SSL_CTX_add_session(ctx, ss[i]);
        keel_test_fail_after(0);
        CHECK_EQ(SSL_CTX_sess_number(ctx), cached);
        /* the first table fails: that session alone is not cached; a failed growth loses none */
        CHECK_EQ(cached, k == 1 ? 39 : 40);
        for (int i = 0; i < 40; i++) {
            if (ss[i]->cache_owner != NULL)
                CHECK(found(ctx, (uint32_t)i));
            SSL_SESSION_free(ss[i]);
        }
        SSL_CTX_free(ctx);
        ERR_clear_error();
    }
}

int main(void)
{
    keel_test_malloc_install();
    table();
    alloc_failures();
    return keel_test_finish("sess_cache");
}
