/* Differential probe (tests/diff/run.sh): compiled against the SYSTEM <openssl/ssl.h> and run once
 * on the system libssl and once on keel's (LD_LIBRARY_PATH); the two outputs must be identical.
 * Sessions as a program sees them (issue #16 items 6-9), TLS 1.3 and TLS 1.2:
 *   6. a server that verifies clients (SSL_VERIFY_PEER) without a session id context;
 *   7. the number of tickets after a full and after a resumed handshake (SSL_CTX_set_num_tickets(3));
 *   8. the client-side cache (SSL_SESS_CACHE_CLIENT) and the statistics of both contexts
 *      (SSL_CTX_sess_number(3));
 *   9. defaults: SSL_SESSION_new's timeout, the ticket lifetime hint, SSL_SESSION_get0_hostname
 *      with and without the server acknowledging SNI. */
#include <time.h>

#include "probe.h"

static keel_test_chain ch;
static int tickets;

static int new_sess_cb(SSL *s, SSL_SESSION *sess)
{
    (void)s;
    (void)sess;
    tickets++;
    return 0; /* not kept by the callback */
}

static SSL_CTX *sctx_new(int version)
{
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(c, version);
    SSL_CTX_set_max_proto_version(c, version);
    SSL_CTX_use_certificate(c, ch.leaf);
    SSL_CTX_use_PrivateKey(c, ch.leaf_key);
    return c;
}

static SSL_CTX *cctx_new(int version)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(c, version);
    SSL_CTX_set_max_proto_version(c, version);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c), ch.ca);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    SSL_CTX_sess_set_new_cb(c, new_sess_cb);
    return c;
}

/* One connection: handshake, then the client reads (tickets), closes both ways. Returns the
 * client's session (a reference) and prints what happened. */
static int no_shutdown; /* free both SSLs without close_notify */

static SSL_SESSION *conn(SSL_CTX *cc, SSL_CTX *sc, SSL_SESSION *resume, const char *sni)
{
    SSL *c, *s;
    char buf[8];
    if (!keel_test_pair(cc, sc, &c, &s))
        return NULL;
    if (resume)
        SSL_set_session(c, resume);
    if (sni)
        SSL_set_tlsext_host_name(c, sni);
    tickets = 0;
    int ok = keel_test_handshake(c, s);
    printf("  handshake %d reused %d/%d", ok, SSL_session_reused(c), SSL_session_reused(s));
    for (unsigned long e; (e = ERR_get_error()) != 0;)
        printf(" error \"%s\"", ERR_reason_error_string(e));
    SSL_read(c, buf, sizeof(buf));
    SSL_read(s, buf, sizeof(buf));
    SSL_read(c, buf, sizeof(buf));
    ERR_clear_error();
    printf(" tickets %d", tickets);
    SSL_SESSION *ss = SSL_get1_session(c), *srv = SSL_get_session(s);
    if (ss) {
        const char *h = SSL_SESSION_get0_hostname(ss);
        printf(" resumable %d hint %lu host %s", SSL_SESSION_is_resumable(ss),
               SSL_SESSION_get_ticket_lifetime_hint(ss), h ? h : "NULL");
    }
    if (srv && ok) { /* (after a failure OpenSSL's server may have no session yet: not compared) */
        const char *h = SSL_SESSION_get0_hostname(srv);
        printf(" | server: hint %lu host %s timeout %ld", SSL_SESSION_get_ticket_lifetime_hint(srv),
               h ? h : "NULL", SSL_SESSION_get_timeout(srv));
    }
    printf("\n");
    if (ok && !no_shutdown) {
        SSL_shutdown(c);
        SSL_shutdown(s);
        SSL_shutdown(c);
    }
    SSL_free(c);
    SSL_free(s);
    ERR_clear_error();
    return ss;
}

static void stats(const char *who, SSL_CTX *x)
{
    printf("  %s: number %ld connect %ld/%ld/%ld accept %ld/%ld/%ld hits %ld cb_hits %ld misses %ld"
           " timeouts %ld full %ld\n", who, SSL_CTX_sess_number(x), SSL_CTX_sess_connect(x),
           SSL_CTX_sess_connect_good(x), SSL_CTX_sess_connect_renegotiate(x), SSL_CTX_sess_accept(x),
           SSL_CTX_sess_accept_good(x), SSL_CTX_sess_accept_renegotiate(x), SSL_CTX_sess_hits(x),
           SSL_CTX_sess_cb_hits(x), SSL_CTX_sess_misses(x), SSL_CTX_sess_timeouts(x),
           SSL_CTX_sess_cache_full(x));
}

static const char *protoname(int v)
{
    return v == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2";
}

/* Item 6: verify peer without a session id context. */
static void verify_no_sid_ctx(int v, int with_ctx)
{
    printf("%s verify peer, %s session id context:\n", protoname(v), with_ctx ? "with" : "no");
    SSL_CTX *sc = sctx_new(v), *cc = cctx_new(v);
    SSL_CTX_set_verify(sc, SSL_VERIFY_PEER, NULL);
    if (with_ctx)
        SSL_CTX_set_session_id_context(sc, (const unsigned char *)"ctx", 3);
    SSL_SESSION *s1 = conn(cc, sc, NULL, NULL);
    SSL_SESSION *s2 = conn(cc, sc, s1, NULL);
    stats("server", sc);
    SSL_SESSION_free(s1);
    SSL_SESSION_free(s2);
    SSL_CTX_free(sc);
    SSL_CTX_free(cc);
}

/* Item 7: tickets after a resumption, for several num_tickets. */
static void num_tickets(int n)
{
    printf("TLSv1.3 num_tickets %d:\n", n);
    SSL_CTX *sc = sctx_new(TLS1_3_VERSION), *cc = cctx_new(TLS1_3_VERSION);
    SSL_CTX_set_num_tickets(sc, n);
    SSL_CTX_set_session_cache_mode(cc, SSL_SESS_CACHE_CLIENT);
    SSL_SESSION *s1 = conn(cc, sc, NULL, NULL);
    SSL_SESSION *s2 = conn(cc, sc, s1, NULL);
    SSL_SESSION *s3 = conn(cc, sc, s2 ? s2 : s1, NULL);
    SSL_SESSION_free(s1);
    SSL_SESSION_free(s2);
    SSL_SESSION_free(s3);
    SSL_CTX_free(sc);
    SSL_CTX_free(cc);
}

/* Item 8: the statistics of both contexts and the client cache. */
static void cache_stats(int v, long client_mode, long server_mode)
{
    printf("%s client cache mode %ld, server cache mode %ld:\n", protoname(v), client_mode, server_mode);
    SSL_CTX *sc = sctx_new(v), *cc = cctx_new(v);
    SSL_CTX_set_session_cache_mode(cc, client_mode);
    SSL_CTX_set_session_cache_mode(sc, server_mode);
    SSL_CTX_set_session_id_context(sc, (const unsigned char *)"ctx", 3);
    stats("client", cc);
    stats("server", sc);
    SSL_SESSION *s1 = conn(cc, sc, NULL, NULL);
    stats("client", cc);
    stats("server", sc);
    SSL_SESSION *s2 = conn(cc, sc, s1, NULL);
    stats("client", cc);
    stats("server", sc);
    /* a session the server no longer knows (its context flushed) */
    SSL_CTX_flush_sessions(sc, 0x7fffffffL);
    SSL_SESSION *s3 = conn(cc, sc, s2 ? s2 : s1, NULL);
    stats("client", cc);
    stats("server", sc);
    printf("  resumable after use: %d %d %d\n", SSL_SESSION_is_resumable(s1),
           s2 ? SSL_SESSION_is_resumable(s2) : -1, s3 ? SSL_SESSION_is_resumable(s3) : -1);
    /* SSL_free without close_notify: the session leaves both caches (SSL_free(3)) */
    no_shutdown = 1;
    SSL_SESSION *s4 = conn(cc, sc, NULL, NULL);
    no_shutdown = 0;
    stats("client", cc);
    stats("server", sc);
    printf("  after SSL_free without shutdown: resumable %d\n", s4 ? SSL_SESSION_is_resumable(s4) : -1);
    SSL_SESSION *s5 = conn(cc, sc, s4, NULL);
    SSL_SESSION_free(s4);
    SSL_SESSION_free(s5);
    SSL_SESSION_free(s1);
    SSL_SESSION_free(s2);
    SSL_SESSION_free(s3);
    SSL_CTX_free(sc);
    SSL_CTX_free(cc);
}

/* The server's newest session, from its new session callback, for the lookups below. */
static SSL_SESSION *srv_last;

static int srv_new_cb(SSL *s, SSL_SESSION *sess)
{
    (void)s;
    SSL_SESSION_free(srv_last);
    SSL_SESSION_up_ref(sess);
    srv_last = sess;
    return 0;
}

static SSL_SESSION *srv_get_cb(SSL *s, const unsigned char *id, int len, int *copy)
{
    unsigned int n = 0;
    const unsigned char *have = srv_last ? SSL_SESSION_get_id(srv_last, &n) : NULL;
    (void)s;
    *copy = 1;
    return have != NULL && (int)n == len && memcmp(have, id, n) == 0 ? srv_last : NULL;
}

/* Item 8, the lookup statistics (session ids in TLS 1.2, stateful tickets in TLS 1.3): a session
 * the server no longer has (misses), one it has but expired (timeouts), one only its get
 * callback has (cb_hits). */
static void lookups(int v)
{
    printf("%s server lookups:\n", protoname(v));
    SSL_CTX *sc = sctx_new(v), *cc = cctx_new(v);
    SSL_CTX_set_options(sc, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_id_context(sc, (const unsigned char *)"ctx", 3);
    SSL_CTX_sess_set_new_cb(sc, srv_new_cb);
    SSL_SESSION *s1 = conn(cc, sc, NULL, NULL);
    SSL_CTX_flush_sessions(sc, 0x7fffffffL);
    SSL_SESSION *s2 = conn(cc, sc, s1, NULL);
    stats("server, not cached", sc);
    SSL_SESSION *s3 = conn(cc, sc, NULL, NULL);
    if (srv_last != NULL) {
        SSL_SESSION_set_time(srv_last, (long)time(NULL) - 100);
        SSL_SESSION_set_timeout(srv_last, 10);
    }
    SSL_SESSION *s4 = conn(cc, sc, s3, NULL);
    stats("server, expired", sc);
    SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL_LOOKUP);
    SSL_CTX_sess_set_get_cb(sc, srv_get_cb);
    SSL_SESSION *s5 = conn(cc, sc, NULL, NULL);
    SSL_SESSION *s6 = conn(cc, sc, s5, NULL);
    stats("server, from the get callback", sc);
    SSL_SESSION *all[] = { s1, s2, s3, s4, s5, s6 };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        SSL_SESSION_free(all[i]);
    SSL_CTX_free(sc);
    SSL_CTX_free(cc);
    SSL_SESSION_free(srv_last);
    srv_last = NULL;
}

static int sni_ack_cb(SSL *s, int *al, void *arg)
{
    (void)s;
    (void)al;
    (void)arg;
    return SSL_TLSEXT_ERR_OK;
}

/* Item 9: defaults. */
static void defaults(int v)
{
    printf("%s defaults:\n", protoname(v));
    SSL_CTX *sc = sctx_new(v), *cc = cctx_new(v);
    SSL_CTX_set_session_id_context(sc, (const unsigned char *)"ctx", 3);
    SSL_SESSION *s1 = conn(cc, sc, NULL, "example.com");
    SSL_CTX_set_tlsext_servername_callback(sc, sni_ack_cb);
    SSL_SESSION *s2 = conn(cc, sc, NULL, "example.com");
    SSL_CTX_set_timeout(sc, 1000);
    SSL_SESSION *s3 = conn(cc, sc, NULL, NULL);
    SSL_SESSION_free(s1);
    SSL_SESSION_free(s2);
    SSL_SESSION_free(s3);
    SSL_CTX_free(sc);
    SSL_CTX_free(cc);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_LOAD_SSL_STRINGS, NULL);
    if (!keel_test_make_chain(&ch, KT_EC_P256, "example.com", 30))
        return 1;

    SSL_SESSION *n = SSL_SESSION_new();
    printf("SSL_SESSION_new: timeout %ld time %s protocol %x\n", SSL_SESSION_get_timeout(n),
           SSL_SESSION_get_time(n) > 0 ? "set" : "0", SSL_SESSION_get_protocol_version(n));
    SSL_SESSION_free(n);

    for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
        verify_no_sid_ctx(v, 0);
        verify_no_sid_ctx(v, 1);
    }
    num_tickets(2);
    num_tickets(3);
    num_tickets(1);
    num_tickets(0);
    for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
        cache_stats(v, SSL_SESS_CACHE_CLIENT, SSL_SESS_CACHE_SERVER);
        cache_stats(v, SSL_SESS_CACHE_OFF, SSL_SESS_CACHE_SERVER);
        cache_stats(v, SSL_SESS_CACHE_BOTH, SSL_SESS_CACHE_OFF);
        cache_stats(v, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE, SSL_SESS_CACHE_SERVER);
        defaults(v);
    }
    lookups(TLS1_2_VERSION);
    lookups(TLS1_3_VERSION);
    keel_test_chain_free(&ch);
    return 0;
}
