/* The server's session cache (SSL_CTX_set_session_cache_mode(3), SSL_CTX_add_session(3),
 * SSL_CTX_flush_sessions(3), SSL_CTX_sess_number(3)), under the context's cache lock (contexts
 * are shared between threads).
 *
 * A hash table keyed as OpenSSL keys its cache — protocol version and session id — with chains
 * through the sessions (hash_next), plus one doubly linked list through them (cache_prev/next)
 * in OpenSSL 3.0's order, which is observable through the remove callback (tests/diff/
 * sess_cache.c): sorted by expiry (time + timeout), latest first, a newcomer ahead of sessions
 * that expire when it does. A full cache drops the tail (the session that expires first) and
 * flush walks from the tail and stops at the first live session. Sessions of one context's
 * timeout arrive in expiry order, so insertion is at the head, O(1); a session with an earlier
 * expiry than the head walks to its place. A cache hit does not move its session (OpenSSL 3.0
 * does not either); adding a cached session again re-sorts it.
 *
 * The table starts empty (an SSL_CTX holds no buckets until its first session) and doubles
 * whenever it holds more sessions than buckets; if growing fails the chains only get longer.
 * Remove callbacks run after the lock is released, in the order OpenSSL calls them. */
#include "proto/session.h"

#include <string.h>

#define CACHE_MIN_BUCKETS 16
#define CACHE_MAX_BUCKETS ((size_t)1 << 24)

/* time + timeout, saturated: an overflowing lifetime never expires (as OpenSSL's). */
static int64_t expiry(const SSL_SESSION *ss)
{
    int64_t e;
    if (__builtin_add_overflow((int64_t)ss->time, (int64_t)ss->timeout, &e))
        return ss->timeout > 0 ? INT64_MAX : INT64_MIN;
    return e;
}

/* FNV-1a over the id, keyed per context: the ids a server stores are its own random ones, the
 * seed keeps chosen ids (SSL_SESSION_set1_id, generate_session_id callbacks) from lining up. */
static uint32_t id_hash(const SSL_CTX *ctx, const uint8_t *id, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ ctx->cache_seed;
    for (size_t i = 0; i < len; i++)
        h = (h ^ id[i]) * 0x100000001b3ULL;
    return (uint32_t)(h ^ (h >> 32));
}

/* version < 0: any. The id compared in constant time: it is what a client presents to be let in. */
static int same_key(const SSL_SESSION *a, int version, const uint8_t *id, size_t len)
{
    return (version < 0 || a->version == version) && a->session_id_len == len
        && CRYPTO_memcmp(a->session_id, id, len) == 0;
}

/* ---- the expiry-ordered list ---- */

static void list_unlink(SSL_CTX *ctx, SSL_SESSION *ss)
{
    if (ss->cache_prev != NULL)
        ss->cache_prev->cache_next = ss->cache_next;
    else
        ctx->cache_head = ss->cache_next;
    if (ss->cache_next != NULL)
        ss->cache_next->cache_prev = ss->cache_prev;
    else
        ctx->cache_tail = ss->cache_prev;
    ss->cache_prev = ss->cache_next = NULL;
}

static void list_insert_before(SSL_CTX *ctx, SSL_SESSION *ss, SSL_SESSION *at)
{
    ss->cache_next = at;
    ss->cache_prev = at != NULL ? at->cache_prev : ctx->cache_tail;
    if (ss->cache_prev != NULL)
        ss->cache_prev->cache_next = ss;
    else
        ctx->cache_head = ss;
    if (at != NULL)
        at->cache_prev = ss;
    else
        ctx->cache_tail = ss;
}

/* Ahead of the first session that expires no later than ss. */
static void list_insert(SSL_CTX *ctx, SSL_SESSION *ss)
{
    int64_t e = expiry(ss);
    SSL_SESSION *at = ctx->cache_head;
    if (at != NULL && e < expiry(at)) {
        if (e < expiry(ctx->cache_tail))
            at = NULL; /* last */
        else
            while (at != NULL && e < expiry(at))
                at = at->cache_next;
    }
    list_insert_before(ctx, ss, at);
}

/* ---- the table ---- */

static void table_grow(SSL_CTX *ctx)
{
    size_t n = ctx->cache_nbuckets ? 2 * ctx->cache_nbuckets : CACHE_MIN_BUCKETS;
    if (n > CACHE_MAX_BUCKETS)
        return;
    SSL_SESSION **b = OPENSSL_zalloc(n * sizeof(*b));
    if (b == NULL)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < ctx->cache_nbuckets; i++) {
        SSL_SESSION *ss = ctx->cache_buckets[i];
        while (ss != NULL) {
            SSL_SESSION *next = ss->hash_next;
            ss->hash_next = b[ss->cache_hash & (n - 1)];
            b[ss->cache_hash & (n - 1)] = ss;
            ss = next;
        }
    }
    OPENSSL_free(ctx->cache_buckets);
    ctx->cache_buckets = b;
    ctx->cache_nbuckets = n;
}

static SSL_SESSION *table_find(const SSL_CTX *ctx, int version, const uint8_t *id, size_t len)
{
    if (ctx->cache_nbuckets == 0)
        return NULL;
    SSL_SESSION *ss = ctx->cache_buckets[id_hash(ctx, id, len) & (ctx->cache_nbuckets - 1)];
    while (ss != NULL && !same_key(ss, version, id, len))
        ss = ss->hash_next;
    return ss;
}

/* Out of the table and the list; the cache's reference passes to the caller. */
static void cache_unlink(SSL_CTX *ctx, SSL_SESSION *ss)
{
    SSL_SESSION **pp = &ctx->cache_buckets[ss->cache_hash & (ctx->cache_nbuckets - 1)];
    while (*pp != ss)
        pp = &(*pp)->hash_next;
    *pp = ss->hash_next;
    ss->hash_next = NULL;
    list_unlink(ctx, ss);
    ss->cache_owner = NULL;
    ctx->cache_count--;
}

/* Sessions leaving the cache, kept in order for their callbacks after the lock (through
 * cache_next, which is free once a session is unlinked). */
typedef struct {
    SSL_SESSION *head, **tail;
} gone_list;

static void gone_add(gone_list *g, SSL_SESSION *ss)
{
    ss->not_resumable = 1;
    ss->cache_next = NULL;
    *g->tail = ss;
    g->tail = &ss->cache_next;
}

static void gone_finish(SSL_CTX *ctx, gone_list *g)
{
    SSL_SESSION *ss = g->head;
    while (ss != NULL) {
        SSL_SESSION *next = ss->cache_next;
        ss->cache_next = NULL;
        if (ctx->remove_session_cb != NULL)
            ctx->remove_session_cb(ctx, ss);
        SSL_SESSION_free(ss);
        ss = next;
    }
}

/* ---- the public operations ---- */

/* 1 = stored, 0 = already cached (it is re-sorted) or not stored. A session with the same
 * version and id is replaced without a callback; a full cache drops sessions from the tail while
 * it holds at least SSL_CTX_sess_get_cache_size sessions counting the newcomer (so a cache of
 * size n holds n - 1, as OpenSSL 3.0's does), each counted in cache_full. */
int SSL_CTX_add_session(SSL_CTX *ctx, SSL_SESSION *ss)
{
    SSL_SESSION *replaced = NULL;
    gone_list gone = { NULL, &gone.head };

    if (ss == NULL || !CRYPTO_THREAD_write_lock(ctx->sess_lock))
        return 0;
    if (ss->cache_owner != NULL) {
        /* In this cache: moved to its place again; in another context's: its links are taken. */
        if (ss->cache_owner == ctx) {
            list_unlink(ctx, ss);
            list_insert(ctx, ss);
        }
        CRYPTO_THREAD_unlock(ctx->sess_lock);
        return 0;
    }
    if (ctx->cache_count >= (long)ctx->cache_nbuckets)
        table_grow(ctx);
    if (ctx->cache_nbuckets == 0) {
        CRYPTO_THREAD_unlock(ctx->sess_lock);
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return 0;
    }
    if ((replaced = table_find(ctx, ss->version, ss->session_id, ss->session_id_len)) != NULL)
        cache_unlink(ctx, replaced);
    SSL_SESSION_up_ref(ss);
    ss->cache_hash = id_hash(ctx, ss->session_id, ss->session_id_len);
    SSL_SESSION **b = &ctx->cache_buckets[ss->cache_hash & (ctx->cache_nbuckets - 1)];
    ss->hash_next = *b;
    *b = ss;
    ss->cache_owner = ctx;
    ctx->cache_count++;
    while (ctx->session_cache_size > 0 && ctx->cache_count >= ctx->session_cache_size
           && ctx->cache_tail != NULL) {
        SSL_SESSION *old = ctx->cache_tail;
        cache_unlink(ctx, old);
        gone_add(&gone, old);
        atomic_fetch_add(&ctx->stats[KEEL_STAT_CACHE_FULL], 1);
    }
    list_insert(ctx, ss);
    CRYPTO_THREAD_unlock(ctx->sess_lock);
    gone_finish(ctx, &gone);
    SSL_SESSION_free(replaced);
    return 1;
}

/* SSL_CTX_remove_session(3): the cached session with ss's version and id (ss may be another copy
 * of it, e.g. the client's or one read back with d2i_SSL_SESSION). 1 only for the call that took
 * it out (0-RTT anti-replay relies on that). As in OpenSSL 3.0, ss is marked not resumable and
 * given to the remove callback whether or not it was cached; a session without an id is left
 * alone. */
int SSL_CTX_remove_session(SSL_CTX *ctx, SSL_SESSION *ss)
{
    SSL_SESSION *found;

    if (ss == NULL || ss->session_id_len == 0 || !CRYPTO_THREAD_write_lock(ctx->sess_lock))
        return 0;
    found = ss->cache_owner == ctx ? ss : table_find(ctx, ss->version, ss->session_id, ss->session_id_len);
    if (found != NULL)
        cache_unlink(ctx, found);
    ss->not_resumable = 1;
    CRYPTO_THREAD_unlock(ctx->sess_lock);
    if (ctx->remove_session_cb != NULL)
        ctx->remove_session_cb(ctx, ss);
    SSL_SESSION_free(found);
    return found != NULL;
}

/* SSL_SESSION_set_time/_set_timeout(3): a cached session moves to its place by the new expiry,
 * under its cache's lock, as OpenSSL 3.0 moves it (a flush stops at the first live session from
 * the tail, so the order must hold; tests/diff/sess_cache.c). */
void keel_cache_set_lifetime(SSL_SESSION *ss, time_t t, long timeout)
{
    SSL_CTX *owner = atomic_load(&ss->cache_owner);

    if (owner != NULL && CRYPTO_THREAD_write_lock(owner->sess_lock)) {
        if (atomic_load(&ss->cache_owner) == owner) {
            ss->time = t;
            ss->timeout = timeout;
            list_unlink(owner, ss);
            list_insert(owner, ss);
            CRYPTO_THREAD_unlock(owner->sess_lock);
            return;
        }
        CRYPTO_THREAD_unlock(owner->sess_lock);
    }
    ss->time = t;
    ss->timeout = timeout;
}

/* A cached session by id (any version: the caller checks it, and its expiry), with a reference
 * for the caller; the lookup leaves the order alone. */
SSL_SESSION *keel_cache_lookup(SSL_CTX *ctx, const uint8_t *id, size_t len)
{
    SSL_SESSION *found = NULL;

    if (!CRYPTO_THREAD_read_lock(ctx->sess_lock))
        return NULL;
    if ((found = table_find(ctx, -1, id, len)) != NULL)
        SSL_SESSION_up_ref(found);
    CRYPTO_THREAD_unlock(ctx->sess_lock);
    return found;
}

int keel_cache_has(SSL_CTX *ctx, int version, const uint8_t *id, size_t len)
{
    int found;

    if (!CRYPTO_THREAD_read_lock(ctx->sess_lock))
        return 0;
    found = table_find(ctx, version, id, len) != NULL;
    CRYPTO_THREAD_unlock(ctx->sess_lock);
    return found;
}

/* SSL_CTX_flush_sessions(3), as OpenSSL 3.0: from the tail while the session there has expired
 * at t (t > time + timeout), every session when t is 0. The timeouts statistic counts lookups
 * that found an expired session, not flushes. */
void SSL_CTX_flush_sessions(SSL_CTX *ctx, long t)
{
    gone_list gone = { NULL, &gone.head };

    if (!CRYPTO_THREAD_write_lock(ctx->sess_lock))
        return;
    while (ctx->cache_tail != NULL && (t == 0 || (int64_t)t > expiry(ctx->cache_tail))) {
        SSL_SESSION *ss = ctx->cache_tail;
        cache_unlink(ctx, ss);
        gone_add(&gone, ss);
    }
    CRYPTO_THREAD_unlock(ctx->sess_lock);
    gone_finish(ctx, &gone);
}

/* Called by SSL_CTX_free: every cached session goes, through the remove callback, as
 * SSL_CTX_flush_sessions(ctx, 0) (OpenSSL does the same, so external caches stay consistent). */
void keel_cache_free(SSL_CTX *ctx)
{
    if (ctx->sess_lock != NULL)
        SSL_CTX_flush_sessions(ctx, 0);
    OPENSSL_free(ctx->cache_buckets);
    ctx->cache_buckets = NULL;
    ctx->cache_nbuckets = 0;
}

long keel_cache_stat(SSL_CTX *ctx, int cmd)
{
    switch (cmd) {
    case SSL_CTRL_SESS_NUMBER: {
        long n = 0;
        if (CRYPTO_THREAD_read_lock(ctx->sess_lock)) {
            n = ctx->cache_count;
            CRYPTO_THREAD_unlock(ctx->sess_lock);
        }
        return n;
    }
    case SSL_CTRL_SESS_CONNECT: return atomic_load(&ctx->stats[KEEL_STAT_CONNECT]);
    case SSL_CTRL_SESS_CONNECT_GOOD: return atomic_load(&ctx->stats[KEEL_STAT_CONNECT_GOOD]);
    case SSL_CTRL_SESS_ACCEPT: return atomic_load(&ctx->stats[KEEL_STAT_ACCEPT]);
    case SSL_CTRL_SESS_ACCEPT_GOOD: return atomic_load(&ctx->stats[KEEL_STAT_ACCEPT_GOOD]);
    case SSL_CTRL_SESS_HIT: return atomic_load(&ctx->stats[KEEL_STAT_HITS]);
    case SSL_CTRL_SESS_CB_HIT: return atomic_load(&ctx->stats[KEEL_STAT_CB_HIT]);
    case SSL_CTRL_SESS_MISSES: return atomic_load(&ctx->stats[KEEL_STAT_MISSES]);
    case SSL_CTRL_SESS_TIMEOUTS: return atomic_load(&ctx->stats[KEEL_STAT_TIMEOUTS]);
    case SSL_CTRL_SESS_CACHE_FULL: return atomic_load(&ctx->stats[KEEL_STAT_CACHE_FULL]);
    /* TLS 1.2 renegotiations started (tls12/reneg.c) */
    case SSL_CTRL_SESS_CONNECT_RENEGOTIATE: return atomic_load(&ctx->stats[KEEL_STAT_CONNECT_RENEG]);
    case SSL_CTRL_SESS_ACCEPT_RENEGOTIATE: return atomic_load(&ctx->stats[KEEL_STAT_ACCEPT_RENEG]);
    }
    return -1;
}
