/* TLS 1.3 sessions keel ↔ keel: stateless tickets and the stateful cache, SSL_SESSION's API,
 * serialisation, expiry, tampered tickets, wrong binders, and the seed's timeout inheritance. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain ec;

/* A full handshake, then let the client read the server's tickets; returns the client's session. */
static SSL_SESSION *connect_once(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *offer, int *reused)
{
    SSL *c, *s;
    char buf[8];
    SSL_SESSION *got = NULL;
    if (!keel_test_pair(cctx, sctx, &c, &s))
        return NULL;
    SSL_set1_host(c, "server.test");
    SSL_set_tlsext_host_name(c, "server.test");
    if (offer != NULL)
        CHECK(SSL_set_session(c, offer));
    if (keel_test_handshake(c, s)) {
        *reused = SSL_session_reused(c);
        CHECK_EQ(SSL_session_reused(s), *reused);
        CHECK(SSL_get0_peer_certificate(c) != NULL);
        CHECK_EQ(SSL_get_verify_result(c), X509_V_OK);
        int r = SSL_read(c, buf, sizeof(buf)); /* processes the NewSessionTickets */
        CHECK_EQ(SSL_get_error(c, r), SSL_ERROR_WANT_READ);
        got = SSL_get1_session(c);
    } else {
        *reused = -1;
    }
    keel_test_free_pair(c, s);
    return got;
}

/* The session ids the new-session callbacks saw, client's [0] and server's [1]: each a random 32
 * bytes (a RAND draw shared with other fields must not make two alike). */
static int new_cb_calls, ids_seen[2];
static unsigned char ids[2][4][32];

static void note_id(int server, const SSL_SESSION *ss)
{
    unsigned int len = 0;
    const unsigned char *id = SSL_SESSION_get_id(ss, &len);
    CHECK_EQ(len, 32);
    if (len != 32 || ids_seen[server] == 4)
        return;
    for (int i = 0; i < ids_seen[server]; i++)
        CHECK(memcmp(ids[server][i], id, 32) != 0);
    for (int i = 0; i < ids_seen[!server]; i++)
        CHECK(memcmp(ids[!server][i], id, 32) != 0);
    memcpy(ids[server][ids_seen[server]++], id, 32);
}

/* keel's stateless tickets (tls13/ticket.c): key name (16), sealing nonce (12), sealed session.
 * The nonces of a connection's tickets, drawn with their session ids, differ. */
static int nonces_seen;
static unsigned char nonces[4][12];

static int new_cb(SSL *s, SSL_SESSION *ss)
{
    const unsigned char *t;
    size_t len;
    new_cb_calls++;
    note_id(0, ss);
    SSL_SESSION_get0_ticket(ss, &t, &len);
    if (len > 16 + 12 + 16 && nonces_seen < 4) { /* a stateless ticket: more than a session id */
        for (int i = 0; i < nonces_seen; i++)
            CHECK(memcmp(nonces[i], t + 16, 12) != 0);
        memcpy(nonces[nonces_seen++], t + 16, 12);
    }
    return 0; /* we did not keep it */
}

static int server_new_cb(SSL *s, SSL_SESSION *ss)
{
    note_id(1, ss);
    return 0;
}

/* Accepts the client's SNI: only an acknowledged name is the session's (RFC 6066 §3). */
static int sni_ok(SSL *s, int *al, void *arg)
{
    return SSL_TLSEXT_ERR_OK;
}

static void test_tickets(int stateful)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    int reused;
    SSL_CTX_set_tlsext_servername_callback(sctx, sni_ok);
    if (stateful)
        SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT);
    SSL_CTX_sess_set_new_cb(cctx, new_cb);
    SSL_CTX_sess_set_new_cb(sctx, server_new_cb);
    new_cb_calls = 0;
    ids_seen[0] = ids_seen[1] = nonces_seen = 0;

    SSL_SESSION *ss = connect_once(cctx, sctx, NULL, &reused);
    CHECK(ss != NULL);
    CHECK_EQ(reused, 0);
    CHECK_EQ(new_cb_calls, 2); /* two tickets by default */
    CHECK_EQ(ids_seen[0], 2);
    CHECK_EQ(ids_seen[1], 2);
    CHECK_EQ(nonces_seen, stateful ? 0 : 2);
    CHECK(SSL_SESSION_is_resumable(ss));
    CHECK(SSL_SESSION_has_ticket(ss));
    CHECK_EQ(SSL_SESSION_get_protocol_version(ss), TLS1_3_VERSION);
    CHECK(SSL_SESSION_get0_cipher(ss) != NULL);
    CHECK(strcmp(SSL_SESSION_get0_hostname(ss), "server.test") == 0);
    CHECK(SSL_SESSION_get0_peer(ss) != NULL);
    CHECK(SSL_SESSION_get_ticket_lifetime_hint(ss) > 0);
    if (stateful)
        CHECK_EQ(SSL_CTX_sess_number(sctx), 2);

    SSL_SESSION *ss2 = connect_once(cctx, sctx, ss, &reused);
    CHECK_EQ(reused, 1);
    CHECK(ss2 != NULL);
    CHECK_EQ(SSL_CTX_sess_hits(sctx), 1);

    /* Serialised and back: still resumes (a session survives a process restart). */
    unsigned char *der = NULL;
    int len = i2d_SSL_SESSION(ss2, &der);
    CHECK(len > 0);
    const unsigned char *p = der;
    SSL_SESSION *back = d2i_SSL_SESSION(NULL, &p, len);
    CHECK(back != NULL && p == der + len);
    SSL_SESSION *ss3 = connect_once(cctx, sctx, back, &reused);
    CHECK_EQ(reused, 1);
    OPENSSL_free(der);

    /* Expired: a full handshake instead. */
    SSL_SESSION_set_time(ss3, (long)time(NULL) - 100000);
    SSL_SESSION *ss4 = connect_once(cctx, sctx, ss3, &reused);
    CHECK_EQ(reused, 0);

    SSL_SESSION_free(ss);
    SSL_SESSION_free(ss2);
    SSL_SESSION_free(back);
    SSL_SESSION_free(ss3);
    SSL_SESSION_free(ss4);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_tampered_and_bad_binder(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    int reused;
    SSL_SESSION *ss = connect_once(cctx, sctx, NULL, &reused);
    CHECK(ss != NULL);

    /* A ticket the server cannot open: full handshake, no error. */
    SSL_SESSION *t = SSL_SESSION_dup(ss);
    const unsigned char *tick;
    size_t tlen;
    SSL_SESSION_get0_ticket(t, &tick, &tlen);
    ((unsigned char *)tick)[tlen / 2] ^= 1;
    SSL_SESSION *after = connect_once(cctx, sctx, t, &reused);
    CHECK_EQ(reused, 0);
    SSL_SESSION_free(after);
    SSL_SESSION_free(t);

    /* A wrong PSK (so a wrong binder): the server aborts with decrypt_error. */
    SSL_SESSION *b = SSL_SESSION_dup(ss);
    unsigned char mk[64];
    size_t mlen = SSL_SESSION_get_master_key(b, mk, sizeof(mk));
    mk[0] ^= 1;
    CHECK(SSL_SESSION_set1_master_key(b, mk, mlen));
    SSL *c, *s;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    SSL_set_tlsext_host_name(c, "server.test");
    SSL_set_session(c, b);
    CHECK(!keel_test_handshake(c, s));
    ERR_clear_error();
    /* The error state: -1 and nothing pushed, as OpenSSL (tests/diff/lifecycle.c). */
    CHECK_EQ(SSL_do_handshake(s), -1);
    CHECK_EQ(ERR_peek_error(), 0);
    ERR_clear_error();
    SSL_do_handshake(c);
    CHECK_EQ(ERR_GET_REASON(ERR_peek_last_error()), SSL_AD_REASON_OFFSET + SSL_AD_DECRYPT_ERROR);
    ERR_clear_error();
    keel_test_free_pair(c, s);
    SSL_SESSION_free(b);
    SSL_SESSION_free(ss);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* The seed: "inherits ... timeout settings" — a session's timeout is its SSL's, fixed at SSL_new. */
static void test_timeout_inherited(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    SSL *c, *s;
    char buf[4];
    SSL_CTX_set_timeout(cctx, 300);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    SSL_CTX_set_timeout(cctx, 999); /* later: must not reach c */
    SSL_set1_host(c, "server.test");
    CHECK(keel_test_handshake(c, s));
    SSL_read(c, buf, sizeof(buf));
    CHECK(SSL_get_session(c) != NULL);
    CHECK_EQ(SSL_SESSION_get_timeout(SSL_get_session(c)), 300);
    CHECK_EQ(SSL_SESSION_get_timeout(SSL_get_session(s)), 7200); /* server ctx default */
    keel_test_free_pair(c, s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* Malformed serialised sessions are rejected, never crash; truncation at every length. */
static void test_malformed(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    int reused;
    SSL_SESSION *ss = connect_once(cctx, sctx, NULL, &reused);
    unsigned char *der = NULL;
    int len = i2d_SSL_SESSION(ss, &der);
    CHECK(len > 0);
    for (int n = 0; n < len; n++) {
        const unsigned char *p = der;
        SSL_SESSION *x = d2i_SSL_SESSION(NULL, &p, n);
        CHECK(x == NULL);
        SSL_SESSION_free(x);
    }
    der[0] = 'X';
    const unsigned char *p = der;
    CHECK(d2i_SSL_SESSION(NULL, &p, len) == NULL);
    CHECK(ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_BAD_DATA);
    ERR_clear_error();
    /* PEM round trip */
    BIO *b = BIO_new(BIO_s_mem());
    CHECK(PEM_write_bio_SSL_SESSION(b, ss));
    SSL_SESSION *pem = PEM_read_bio_SSL_SESSION(b, NULL, NULL, NULL);
    CHECK(pem != NULL);
    unsigned int idl1, idl2;
    const unsigned char *id1 = SSL_SESSION_get_id(ss, &idl1), *id2 = SSL_SESSION_get_id(pem, &idl2);
    CHECK(idl1 == idl2 && memcmp(id1, id2, idl1) == 0);
    BIO_free(b);
    SSL_SESSION_free(pem);
    OPENSSL_free(der);
    SSL_SESSION_free(ss);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

int main(void)
{
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    test_tickets(0);
    test_tickets(1);
    test_tampered_and_bad_binder();
    test_timeout_inherited();
    test_malformed();
    keel_test_chain_free(&ec);
    return keel_test_finish("session");
}
