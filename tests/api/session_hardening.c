/* Issue #10 (hardening), sessions and tickets: the server's session object during its handshake
 * (item 0), NULL-safe SSL_SESSION getters, ticket nonces that never repeat within a connection
 * (item 5), ticket keys shared by processes forked after SSL_CTX_new (item 6a), the server cache
 * off with stateful tickets (item 6b), and d2i_SSL_SESSION consuming one session (item 18). */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <string.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain ec;

/* Lets the client read whatever the server has sent after the handshake (tickets). */
static void client_reads(SSL *c)
{
    char buf[8];
    int r = SSL_read(c, buf, sizeof(buf));
    CHECK_EQ(SSL_get_error(c, r), SSL_ERROR_WANT_READ);
    ERR_clear_error();
}

static SSL_SESSION *connect_once(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *offer, int *reused)
{
    SSL *c, *s;
    SSL_SESSION *got = NULL;
    *reused = -1;
    if (!keel_test_pair(cctx, sctx, &c, &s))
        return NULL;
    SSL_set_tlsext_host_name(c, "server.test");
    if (offer != NULL)
        CHECK(SSL_set_session(c, offer));
    if (keel_test_handshake(c, s)) {
        *reused = SSL_session_reused(c);
        CHECK_EQ(SSL_session_reused(s), *reused);
        client_reads(c);
        got = SSL_get1_session(c);
    }
    SSL_shutdown(c);
    SSL_shutdown(s);
    SSL_free(c);
    SSL_free(s);
    return got;
}

/* ---- item 0: a session object in the server's callbacks ---- */

struct seen {
    int sn_calls, sn_session, cert_calls, cert_session;
    char sn_host[64], cert_host[64];
};
static struct seen seen;

static void copy_host(char *dst, const char *h)
{
    snprintf(dst, 64, "%s", h != NULL ? h : "(null)");
}

/* nginx's servername callback with client verification: the session's hostname, unchecked. */
static int sn_cb(SSL *s, int *al, void *arg)
{
    (void)al; (void)arg;
    seen.sn_calls++;
    seen.sn_session = SSL_get0_session(s) != NULL;
    copy_host(seen.sn_host, SSL_SESSION_get0_hostname(SSL_get0_session(s)));
    return SSL_TLSEXT_ERR_OK;
}

static int cert_cb(SSL *s, void *arg)
{
    (void)arg;
    seen.cert_calls++;
    seen.cert_session = SSL_get_session(s) != NULL;
    copy_host(seen.cert_host, SSL_SESSION_get0_hostname(SSL_get_session(s)));
    return 1;
}

static void test_servername_session(int verify)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    int reused;
    SSL_CTX_set_tlsext_servername_callback(sctx, sn_cb);
    SSL_CTX_set_cert_cb(sctx, cert_cb, NULL);
    if (verify) {
        SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        CHECK(SSL_CTX_set_session_id_context(sctx, (const unsigned char *)"sh", 2));
        CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx), ec.ca));
        CHECK(SSL_CTX_use_certificate(cctx, ec.leaf) && SSL_CTX_use_PrivateKey(cctx, ec.leaf_key));
    }

    /* Full handshake: a fresh session, no hostname yet in the servername callback (as OpenSSL 3.0);
     * the accepted name is in it by the certificate callback. */
    memset(&seen, 0, sizeof(seen));
    SSL_SESSION *first = connect_once(cctx, sctx, NULL, &reused);
    CHECK(first != NULL);
    CHECK_EQ(reused, 0);
    CHECK_EQ(seen.sn_calls, 1);
    CHECK(seen.sn_session);
    CHECK(strcmp(seen.sn_host, "(null)") == 0);
    CHECK_EQ(seen.cert_calls, 1);
    CHECK(seen.cert_session);
    CHECK(strcmp(seen.cert_host, "server.test") == 0);

    /* Resumed: the callback still has a session to read. */
    memset(&seen, 0, sizeof(seen));
    SSL_SESSION *second = connect_once(cctx, sctx, first, &reused);
    CHECK_EQ(reused, 1);
    CHECK_EQ(seen.sn_calls, 1);
    CHECK(seen.sn_session);
    SSL_SESSION_free(first);
    SSL_SESSION_free(second);

    /* After the handshake the server's session describes the connection (the fresh one it
     * replaced is not leaked: ASan; SSL_clear before SSL_free is exercised in abi/session_diff.c). */
    SSL *c, *s;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    SSL_set_tlsext_host_name(c, "server.test");
    CHECK(SSL_get_session(s) == NULL); /* before the handshake, as OpenSSL */
    CHECK(keel_test_handshake(c, s));
    SSL_SESSION *ss = SSL_get_session(s);
    CHECK(ss != NULL);
    CHECK(ss != NULL && SSL_SESSION_get0_hostname(ss) != NULL
          && strcmp(SSL_SESSION_get0_hostname(ss), "server.test") == 0);
    CHECK(ss != NULL && SSL_SESSION_get0_cipher(ss) == SSL_get_current_cipher(s));
    CHECK(ss != NULL && SSL_SESSION_get_protocol_version(ss) == TLS1_3_VERSION);
    CHECK(ss != NULL && (SSL_SESSION_get0_peer(ss) != NULL) == verify);
    CHECK(ss != NULL && SSL_SESSION_get_master_key(ss, NULL, 0) > 0);
    SSL_free(c);
    SSL_free(s);

    /* No tickets at all: the session after the handshake still describes the connection. */
    SSL_CTX_set_num_tickets(sctx, 0);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    SSL_set_tlsext_host_name(c, "server.test");
    CHECK(keel_test_handshake(c, s));
    ss = SSL_get_session(s);
    CHECK(ss != NULL && SSL_SESSION_get0_cipher(ss) == SSL_get_current_cipher(s));
    CHECK(ss != NULL && SSL_SESSION_get0_hostname(ss) != NULL);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

/* Every SSL_SESSION getter tolerates NULL. */
static void test_null_getters(void)
{
    const unsigned char *p = (const unsigned char *)"x";
    unsigned int ulen = 7;
    size_t len = 7;
    unsigned char buf[8];
    CHECK(SSL_SESSION_get0_hostname(NULL) == NULL);
    CHECK(SSL_SESSION_get0_cipher(NULL) == NULL);
    CHECK(SSL_SESSION_get0_peer(NULL) == NULL);
    CHECK_EQ(SSL_SESSION_get_protocol_version(NULL), 0);
    CHECK_EQ(SSL_SESSION_get_time(NULL), 0);
    CHECK_EQ(SSL_SESSION_get_timeout(NULL), 0);
    CHECK(SSL_SESSION_get_id(NULL, &ulen) == NULL);
    CHECK_EQ(ulen, 0);
    ulen = 7;
    CHECK(SSL_SESSION_get0_id_context(NULL, &ulen) == NULL);
    CHECK_EQ(ulen, 0);
    SSL_SESSION_get0_alpn_selected(NULL, &p, &len);
    CHECK(p == NULL && len == 0);
    p = (const unsigned char *)"x";
    len = 7;
    SSL_SESSION_get0_ticket(NULL, &p, &len);
    CHECK(p == NULL && len == 0);
    CHECK_EQ(SSL_SESSION_has_ticket(NULL), 0);
    CHECK_EQ(SSL_SESSION_get_ticket_lifetime_hint(NULL), 0);
    CHECK_EQ(SSL_SESSION_get_max_early_data(NULL), 0);
    CHECK_EQ(SSL_SESSION_is_resumable(NULL), 0);
    CHECK_EQ(SSL_SESSION_get_master_key(NULL, buf, sizeof(buf)), 0);
    CHECK(SSL_SESSION_get_ex_data(NULL, 0) == NULL);
    CHECK(SSL_get_session(NULL) == NULL);
    CHECK(SSL_get1_session(NULL) == NULL);
    ERR_clear_error();
}

/* ---- item 5: 257 tickets on one connection, 257 different resumption PSKs ---- */

#define NT 260
static SSL_SESSION *tickets[NT];
static int nt;
static int keep_cb(SSL *s, SSL_SESSION *ss)
{
    (void)s;
    if (nt < NT) {
        tickets[nt++] = ss;
        return 1; /* we keep the reference */
    }
    return 0;
}

static void test_ticket_nonce(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    SSL *c, *s;
    SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT);
    SSL_CTX_sess_set_new_cb(cctx, keep_cb);
    SSL_CTX_set_num_tickets(sctx, 1);
    nt = 0;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    SSL_set_tlsext_host_name(c, "server.test");
    CHECK(keel_test_handshake(c, s));
    client_reads(c);
    for (int i = 1; i < 258; i++) {
        CHECK(SSL_new_session_ticket(s));
        CHECK_EQ(SSL_do_handshake(s), 1); /* sends it */
        client_reads(c);
    }
    CHECK_EQ(nt, 258);
    unsigned char a[64], b[64];
    for (int i = 0; i + 256 < nt; i++) {
        size_t la = SSL_SESSION_get_master_key(tickets[i], a, sizeof(a));
        size_t lb = SSL_SESSION_get_master_key(tickets[i + 256], b, sizeof(b));
        CHECK(la > 0 && la == lb);
        CHECK(memcmp(a, b, la) != 0); /* RFC 8446 §4.6.1: each ticket its own PSK */
    }
    /* ... and ticket 256 still resumes (on a fresh connection). */
    int reused;
    SSL_SESSION *r = connect_once(cctx, sctx, tickets[256], &reused);
    CHECK_EQ(reused, 1);
    SSL_SESSION_free(r);
    for (int i = 0; i < nt; i++)
        SSL_SESSION_free(tickets[i]);
    nt = 0;
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

/* ---- item 6a: a ticket issued by one forked worker resumes on another ---- */

/* rotate: the key rotation period (one session lifetime, here 2 s) turns after the fork, before
 * the worker issues its ticket and before the parent resumes it: both must still use the same key. */
static void test_fork_ticket_key(int rotate)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    int fds[2];
    if (rotate)
        SSL_CTX_set_timeout(sctx, 2);
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* The worker: one handshake, the client's session back to the parent as bytes. */
        int reused;
        alarm(30);
        close(fds[0]);
        if (rotate)
            sleep(3);
        SSL_SESSION *ss = connect_once(cctx, sctx, NULL, &reused);
        unsigned char *der = NULL;
        int n = ss != NULL ? i2d_SSL_SESSION(ss, &der) : 0;
        int ok = n > 0 && write(fds[1], der, (size_t)n) == n;
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    unsigned char buf[16384];
    size_t len = 0;
    for (ssize_t r; (r = read(fds[0], buf + len, sizeof(buf) - len)) > 0;)
        len += (size_t)r;
    close(fds[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const unsigned char *p = buf;
    SSL_SESSION *ss = d2i_SSL_SESSION(NULL, &p, (long)len);
    CHECK(ss != NULL);
    int reused;
    SSL_SESSION *again = connect_once(cctx, sctx, ss, &reused);
    CHECK_EQ(reused, 1);
    SSL_SESSION_free(again);
    SSL_SESSION_free(ss);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

/* ---- item 6b: stateful tickets with the server cache off: nothing stored, nothing resumes ---- */

static int server_new_calls;
static int server_new_cb(SSL *s, SSL_SESSION *ss)
{
    (void)s; (void)ss;
    server_new_calls++;
    return 0;
}

static void test_cache_off(long mode)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    int reused;
    SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(sctx, mode);
    SSL_CTX_sess_set_new_cb(sctx, server_new_cb);
    server_new_calls = 0;
    SSL_SESSION *first = connect_once(cctx, sctx, NULL, &reused);
    CHECK(first != NULL); /* the tickets still go out, as OpenSSL 3.0 sends them */
    CHECK_EQ(reused, 0);
    CHECK_EQ(SSL_CTX_sess_number(sctx), 0);
    CHECK_EQ(server_new_calls, 0);
    SSL_SESSION *second = connect_once(cctx, sctx, first, &reused);
    CHECK_EQ(reused, 0);
    CHECK_EQ(SSL_CTX_sess_number(sctx), 0);
    SSL_SESSION_free(first);
    SSL_SESSION_free(second);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

/* ---- item 18: d2i_SSL_SESSION consumes exactly one session ---- */

static void test_d2i_consumes_one(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    int reused;
    SSL_SESSION *a = connect_once(cctx, sctx, NULL, &reused);
    SSL_SESSION *b = connect_once(cctx, sctx, NULL, &reused);
    CHECK(a != NULL && b != NULL);
    int la = i2d_SSL_SESSION(a, NULL), lb = i2d_SSL_SESSION(b, NULL);
    CHECK(la > 0 && lb > 0);
    unsigned char *buf = OPENSSL_malloc((size_t)(la + lb + 5)), *w = buf;
    CHECK(i2d_SSL_SESSION(a, &w) == la && i2d_SSL_SESSION(b, &w) == lb);
    memcpy(w, "trail", 5);
    long total = la + lb + 5;

    const unsigned char *p = buf;
    SSL_SESSION *da = d2i_SSL_SESSION(NULL, &p, total);
    CHECK(da != NULL);
    CHECK(p == buf + la);
    SSL_SESSION *db = d2i_SSL_SESSION(NULL, &p, total - (p - buf));
    CHECK(db != NULL);
    CHECK(p == buf + la + lb);
    unsigned char ka[64], kb[64], kda[64], kdb[64];
    size_t n1 = SSL_SESSION_get_master_key(a, ka, sizeof(ka)), n2 = SSL_SESSION_get_master_key(da, kda, sizeof(kda));
    CHECK(n1 > 0 && n1 == n2 && memcmp(ka, kda, n1) == 0);
    n1 = SSL_SESSION_get_master_key(b, kb, sizeof(kb));
    n2 = SSL_SESSION_get_master_key(db, kdb, sizeof(kdb));
    CHECK(n1 > 0 && n1 == n2 && memcmp(kb, kdb, n1) == 0);
    /* What follows is not a session: fails, *pp unmoved. */
    const unsigned char *q = p;
    CHECK(d2i_SSL_SESSION(NULL, &p, 5) == NULL);
    CHECK(p == q);
    ERR_clear_error();
    /* Truncated anywhere: fails, *pp unmoved. */
    for (long cut = 1; cut < la; cut++) {
        p = buf;
        SSL_SESSION *t = d2i_SSL_SESSION(NULL, &p, la - cut);
        CHECK(t == NULL && p == buf);
        SSL_SESSION_free(t);
    }
    ERR_clear_error();
    /* The exact length still works, and a decoded session resumes. */
    p = buf;
    SSL_SESSION *exact = d2i_SSL_SESSION(NULL, &p, la);
    CHECK(exact != NULL && p == buf + la);
    SSL_SESSION *r = connect_once(cctx, sctx, db, &reused);
    CHECK_EQ(reused, 1);
    SSL_SESSION_free(r);
    SSL_SESSION_free(exact);
    SSL_SESSION_free(da);
    SSL_SESSION_free(db);
    SSL_SESSION_free(a);
    SSL_SESSION_free(b);
    OPENSSL_free(buf);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

/* An optional argument runs one case alone (e.g. "nonce"). */
int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
#define RUN(name, call) do { if (only == NULL || strcmp(only, name) == 0) call; } while (0)
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    RUN("null", test_null_getters());
    RUN("servername", test_servername_session(0));
    RUN("servername_verify", test_servername_session(1));
    RUN("nonce", test_ticket_nonce());
    RUN("fork", test_fork_ticket_key(0));
    RUN("fork_rotation", test_fork_ticket_key(1));
    RUN("cache_off", test_cache_off(SSL_SESS_CACHE_OFF));
    RUN("cache_client_only", test_cache_off(SSL_SESS_CACHE_CLIENT));
    RUN("d2i", test_d2i_consumes_one());
    keel_test_chain_free(&ec);
    return keel_test_finish("session_hardening");
}
