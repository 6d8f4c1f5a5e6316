/* The server's session cache (SSL_CTX_set_session_cache_mode(3), SSL_CTX_add_session(3),
 * SSL_CTX_flush_sessions(3), SSL_CTX_sess_number(3)): a list of sessions keyed by session id,
 * newest first, bounded by SSL_CTX_sess_set_cache_size, under the context's lock (contexts are
 * shared between threads). */
#include "proto/session.h"

#include <string.h>

static void unlink_session(SSL_CTX *ctx, SSL_SESSION **pp)
{
    SSL_SESSION *ss = *pp;
    *pp = ss->cache_next;
    ss->cache_next = NULL;
    ctx->cache_count--;
}

int SSL_CTX_add_session(SSL_CTX *ctx, SSL_SESSION *ss)
{
    SSL_SESSION *evicted = NULL, *replaced = NULL;

    if (ss == NULL || ss->session_id_len == 0)
        return 0;
    if (!CRYPTO_THREAD_write_lock(ctx->lock))
        return 0;
    for (SSL_SESSION **pp = &ctx->cache_head; *pp != NULL; pp = &(*pp)->cache_next) {
        if (*pp == ss) {
            CRYPTO_THREAD_unlock(ctx->lock);
            return 0; /* already cached */
        }
        if ((*pp)->session_id_len == ss->session_id_len
                && memcmp((*pp)->session_id, ss->session_id, ss->session_id_len) == 0) {
            replaced = *pp;
            unlink_session(ctx, pp);
            break;
        }
    }
    SSL_SESSION_up_ref(ss);
    ss->cache_next = ctx->cache_head;
    ctx->cache_head = ss;
    ctx->cache_count++;
    if (ctx->session_cache_size > 0 && ctx->cache_count > ctx->session_cache_size) {
        /* Full: drop the oldest (the tail). */
        SSL_SESSION **pp = &ctx->cache_head;
        while ((*pp)->cache_next != NULL)
            pp = &(*pp)->cache_next;
        evicted = *pp;
        unlink_session(ctx, pp);
        atomic_fetch_add(&ctx->stats[KEEL_STAT_CACHE_FULL], 1);
    }
    CRYPTO_THREAD_unlock(ctx->lock);
    if (evicted != NULL && ctx->remove_session_cb != NULL)
        ctx->remove_session_cb(ctx, evicted);
    SSL_SESSION_free(evicted);
    SSL_SESSION_free(replaced);
    return 1;
}

/* SSL_CTX_remove_session(3): the cached session with ss's version and id (ss may be another copy
 * of it, e.g. the client's or one read back with d2i_SSL_SESSION), as OpenSSL's cache is keyed;
 * ss is marked not resumable either way. */
int SSL_CTX_remove_session(SSL_CTX *ctx, SSL_SESSION *ss)
{
    SSL_SESSION *found = NULL;

    if (ss == NULL || ss->session_id_len == 0 || !CRYPTO_THREAD_write_lock(ctx->lock))
        return 0;
    for (SSL_SESSION **pp = &ctx->cache_head; *pp != NULL; pp = &(*pp)->cache_next) {
        if (*pp == ss || ((*pp)->version == ss->version && (*pp)->session_id_len == ss->session_id_len
                          && memcmp((*pp)->session_id, ss->session_id, ss->session_id_len) == 0)) {
            found = *pp;
            unlink_session(ctx, pp);
            break;
        }
    }
    ss->not_resumable = 1;
    CRYPTO_THREAD_unlock(ctx->lock);
    if (found != NULL) {
        if (ctx->remove_session_cb != NULL)
            ctx->remove_session_cb(ctx, ss);
        SSL_SESSION_free(found);
    }
    return found != NULL;
}

/* A cached session by id, with a reference for the caller (who checks its expiry). */
SSL_SESSION *keel_cache_lookup(SSL_CTX *ctx, const uint8_t *id, size_t len)
{
    SSL_SESSION *found = NULL;

    if (!CRYPTO_THREAD_read_lock(ctx->lock))
        return NULL;
    for (SSL_SESSION *ss = ctx->cache_head; ss != NULL; ss = ss->cache_next) {
        /* constant time: the id is what a client presents to be let in */
        if (ss->session_id_len == len && CRYPTO_memcmp(ss->session_id, id, len) == 0) {
            SSL_SESSION_up_ref(ss);
            found = ss;
            break;
        }
    }
    CRYPTO_THREAD_unlock(ctx->lock);
    return found;
}

/* SSL_CTX_flush_sessions(3): remove the sessions that have expired at time t. */
void SSL_CTX_flush_sessions(SSL_CTX *ctx, long t)
{
    SSL_SESSION *gone = NULL;

    if (!CRYPTO_THREAD_write_lock(ctx->lock))
        return;
    for (SSL_SESSION **pp = &ctx->cache_head; *pp != NULL;) {
        if (keel_session_expired(*pp, (time_t)t)) {
            SSL_SESSION *ss = *pp;
            unlink_session(ctx, pp);
            ss->cache_next = gone;
            gone = ss;
            atomic_fetch_add(&ctx->stats[KEEL_STAT_TIMEOUTS], 1);
        } else {
            pp = &(*pp)->cache_next;
        }
    }
    CRYPTO_THREAD_unlock(ctx->lock);
    while (gone != NULL) {
        SSL_SESSION *next = gone->cache_next;
        gone->cache_next = NULL;
        if (ctx->remove_session_cb != NULL)
            ctx->remove_session_cb(ctx, gone);
        SSL_SESSION_free(gone);
        gone = next;
    }
}

/* Called by SSL_CTX_free: drop every cached session without callbacks (OpenSSL calls the remove
 * callback here too; keel does, so applications' external caches stay consistent). */
void keel_cache_free(SSL_CTX *ctx)
{
    SSL_SESSION *ss = ctx->cache_head;
    ctx->cache_head = NULL;
    while (ss != NULL) {
        SSL_SESSION *next = ss->cache_next;
        ss->cache_next = NULL;
        if (ctx->remove_session_cb != NULL)
            ctx->remove_session_cb(ctx, ss);
        SSL_SESSION_free(ss);
        ss = next;
    }
    ctx->cache_count = 0;
}

long keel_cache_stat(SSL_CTX *ctx, int cmd)
{
    switch (cmd) {
    case SSL_CTRL_SESS_NUMBER: {
        long n = 0;
        if (CRYPTO_THREAD_read_lock(ctx->lock)) {
            n = ctx->cache_count;
            CRYPTO_THREAD_unlock(ctx->lock);
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
