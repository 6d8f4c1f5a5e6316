/* Differential probe (tests/diff/run.sh): the server session cache's observable order and sizes
 * (issue #15, the hashed cache must keep OpenSSL 3.0's behaviour). Sessions are made with the
 * setters and named by their id's first byte; the remove callback prints every session it is
 * given, so the eviction order is visible:
 *   - SSL_CTX_sess_set_cache_size(n): what n holds, which session a full cache drops, cache_full;
 *   - adding a session again (same object), a copy with the same id, the same id at another
 *     version (the cache is keyed by version and id);
 *   - SSL_CTX_remove_session's result and callback, also for a copy and when nothing is cached;
 *   - sessions with different lifetimes: the order they are dropped in, SSL_CTX_flush_sessions(t)
 *     for t before, at and after expiry and t = 0, the timeouts statistic;
 *   - a smaller cache size: when the extra sessions go; size 0 (no limit); an empty id;
 *   - SSL_SESSION_set_timeout/set_time on cached sessions: flush finds them by their new expiry;
 *   - a TLS 1.2 session-id resumption (a cache hit): whether the hit moves its session;
 *   - SSL_CTX_free: the callback for what is left, in its order. */
#include <time.h>

#include "probe.h"

static long now;
static unsigned char hs_id[32]; /* the handshake's session, named S */

static void remove_cb(SSL_CTX *ctx, SSL_SESSION *ss)
{
    unsigned int len = 0;
    const unsigned char *id = SSL_SESSION_get_id(ss, &len);
    (void)ctx;
    char name = len == 0 ? '-' : len == sizeof(hs_id) && memcmp(id, hs_id, len) == 0 ? 'S' : (char)id[0];
    printf(" rm:%c/%x", name, SSL_SESSION_get_protocol_version(ss) & 0xf);
}

static SSL_SESSION *mk_sess(char name, int version, long t, long timeout)
{
    SSL_SESSION *ss = SSL_SESSION_new();
    unsigned char id[32], key[48];
    memset(id, name, sizeof(id));
    memset(key, 0x5c, sizeof(key));
    if (ss == NULL || !SSL_SESSION_set1_id(ss, id, sizeof(id))
            || !SSL_SESSION_set1_master_key(ss, key, sizeof(key))
            || !SSL_SESSION_set_protocol_version(ss, version))
        return ss;
    SSL_SESSION_set_time(ss, t);
    SSL_SESSION_set_timeout(ss, timeout);
    return ss;
}

static void add(SSL_CTX *ctx, SSL_SESSION *ss, const char *what)
{
    printf("%s:", what);
    int r = SSL_CTX_add_session(ctx, ss);
    printf(" -> %d number %ld full %ld\n", r, SSL_CTX_sess_number(ctx), SSL_CTX_sess_cache_full(ctx));
}

/* A new session, added and released (the cache keeps its reference). */
static void add_new(SSL_CTX *ctx, char name, int version, long t, long timeout)
{
    char what[32];
    snprintf(what, sizeof(what), "add %c (%ld+%ld)", name, t - now, timeout);
    SSL_SESSION *ss = mk_sess(name, version, t, timeout);
    add(ctx, ss, what);
    SSL_SESSION_free(ss);
}

static void rm(SSL_CTX *ctx, SSL_SESSION *ss, const char *what)
{
    printf("%s:", what);
    int r = SSL_CTX_remove_session(ctx, ss);
    printf(" -> %d number %ld\n", r, SSL_CTX_sess_number(ctx));
}

static void flush(SSL_CTX *ctx, long t, const char *what)
{
    printf("flush %s:", what);
    SSL_CTX_flush_sessions(ctx, t);
    printf(" number %ld timeouts %ld\n", SSL_CTX_sess_number(ctx), SSL_CTX_sess_timeouts(ctx));
}

static void sizes_and_keys(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_sess_set_remove_cb(ctx, remove_cb);
    printf("default size %ld\n", SSL_CTX_sess_get_cache_size(ctx));
    SSL_CTX_sess_set_cache_size(ctx, 3);
    for (char n = 'A'; n <= 'E'; n++)
        add_new(ctx, n, TLS1_2_VERSION, now, 100);
    SSL_SESSION *c = mk_sess('C', TLS1_2_VERSION, now, 100);
    add(ctx, c, "add C again (new object)");
    add(ctx, c, "add the same C object");
    add_new(ctx, 'F', TLS1_2_VERSION, now, 100);
    add(ctx, c, "add the same C object");
    add_new(ctx, 'G', TLS1_2_VERSION, now, 100);
    SSL_SESSION *c2 = mk_sess('C', TLS1_2_VERSION, now, 100);
    add(ctx, c2, "add a copy of C");
    SSL_SESSION *c13 = mk_sess('C', TLS1_3_VERSION, now, 100);
    add(ctx, c13, "add C at TLS 1.3");
    rm(ctx, c13, "remove C/1.3");
    rm(ctx, c13, "remove C/1.3 again");
    SSL_SESSION *copy = mk_sess('C', TLS1_2_VERSION, now, 5);
    rm(ctx, copy, "remove a copy of C/1.2");
    printf("C resumable %d, copy resumable %d\n", SSL_SESSION_is_resumable(c), SSL_SESSION_is_resumable(copy));
    flush(ctx, now + 1000, "after everything");
    SSL_SESSION_free(c);
    SSL_SESSION_free(c2);
    SSL_SESSION_free(c13);
    SSL_SESSION_free(copy);

    /* lifetimes */
    SSL_CTX_sess_set_cache_size(ctx, 4);
    add_new(ctx, '1', TLS1_2_VERSION, now, 50);
    add_new(ctx, '2', TLS1_2_VERSION, now, 10);
    add_new(ctx, '3', TLS1_2_VERSION, now, 30);
    add_new(ctx, '4', TLS1_2_VERSION, now, 70);
    add_new(ctx, '5', TLS1_2_VERSION, now, 40);
    add_new(ctx, '6', TLS1_2_VERSION, now - 100, 20);
    add_new(ctx, '7', TLS1_2_VERSION, now + 20, 30);
    flush(ctx, now - 80, "at 6's expiry");
    flush(ctx, now - 79, "a second after it");
    flush(ctx, now + 50, "at 1's and 7's expiry");
    flush(ctx, now + 51, "a second later");
    add_new(ctx, '8', TLS1_2_VERSION, now, 100);
    add_new(ctx, '9', TLS1_2_VERSION, now, 100);
    flush(ctx, 0, "t = 0");

    /* a smaller size; no limit; an empty id */
    SSL_CTX_sess_set_cache_size(ctx, 10);
    for (char n = 'a'; n <= 'f'; n++)
        add_new(ctx, n, TLS1_2_VERSION, now, 100);
    printf("size 2: previous %ld, number %ld\n", SSL_CTX_sess_set_cache_size(ctx, 2),
           SSL_CTX_sess_number(ctx));
    add_new(ctx, 'g', TLS1_2_VERSION, now, 100);
    SSL_CTX_sess_set_cache_size(ctx, 0);
    for (char n = 'p'; n <= 'r'; n++)
        add_new(ctx, n, TLS1_2_VERSION, now, 100);
    SSL_SESSION *empty = mk_sess('z', TLS1_2_VERSION, now, 100);
    SSL_SESSION_set1_id(empty, (const unsigned char *)"", 0);
    add(ctx, empty, "add an empty id");
    SSL_SESSION_free(empty);
    printf("free:");
    SSL_CTX_free(ctx);
    printf("\n");
}

/* A cached session's lifetime changed: OpenSSL 3.0 moves it in the order flush walks. */
static void lifetime_changed(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_sess_set_remove_cb(ctx, remove_cb);
    SSL_SESSION *a = mk_sess('A', TLS1_2_VERSION, now, 100), *b = mk_sess('B', TLS1_2_VERSION, now, 100),
                *c = mk_sess('C', TLS1_2_VERSION, now, 100);
    add(ctx, a, "add A");
    add(ctx, b, "add B");
    add(ctx, c, "add C");
    SSL_SESSION_set_timeout(b, 1);
    flush(ctx, now + 2, "after B's new timeout");
    SSL_SESSION_set_time(a, now + 1000);
    flush(ctx, now + 101, "after A's new time");
    printf("free:");
    SSL_CTX_free(ctx);
    printf("\n");
    SSL_SESSION_free(a);
    SSL_SESSION_free(b);
    SSL_SESSION_free(c);
}

/* A cache hit (TLS 1.2 resumption by session id): is its session moved? The handshake's
 * session S expires before B, so B is ahead of it; then S is resumed and D added to a full
 * cache: the callback names the session dropped. */
static void hit_order(void)
{
    keel_test_chain ec;
    if (!keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30))
        return;
    SSL_CTX *cc = keel_test_client_ctx(&ec), *sc = keel_test_server_ctx(&ec);
    SSL *c = NULL, *s = NULL;
    SSL_CTX_set_max_proto_version(cc, TLS1_2_VERSION);
    SSL_CTX_set_options(sc, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_id_context(sc, (const unsigned char *)"hit", 3);
    SSL_CTX_sess_set_cache_size(sc, 3);
    SSL_CTX_sess_set_remove_cb(sc, remove_cb);
    int ok = keel_test_pair(cc, sc, &c, &s) && keel_test_handshake(c, s);
    SSL_SESSION *first = SSL_get1_session(c);
    unsigned int len = 0;
    const unsigned char *id = SSL_SESSION_get_id(first, &len);
    if (len == sizeof(hs_id))
        memcpy(hs_id, id, len);
    printf("hit: handshake %d, id length %u, number %ld\n", ok, len, SSL_CTX_sess_number(sc));
    keel_test_free_pair(c, s); /* as if shut down: freed mid-connection, its session leaves the cache */
    add_new(sc, 'B', TLS1_2_VERSION, now, 7300);
    ok = keel_test_pair(cc, sc, &c, &s) && SSL_set_session(c, first) && keel_test_handshake(c, s);
    printf("hit: resumed %d %d, hits %ld, number %ld\n", ok, SSL_session_reused(s),
           SSL_CTX_sess_hits(sc), SSL_CTX_sess_number(sc));
    keel_test_free_pair(c, s);
    add_new(sc, 'D', TLS1_2_VERSION, now, 7300);
    SSL_SESSION_free(first);
    printf("free:");
    SSL_CTX_free(sc);
    printf("\n");
    SSL_CTX_free(cc);
    keel_test_chain_free(&ec);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    now = (long)time(NULL);
    sizes_and_keys();
    lifetime_changed();
    hit_order();
    return 0;
}
