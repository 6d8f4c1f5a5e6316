/* TLS 1.3 early data (0-RTT), keel client and keel server over a BIO pair, as
 * SSL_read_early_data(3) describes it (issue #14): accepted and read; rejected by the callback,
 * by a HelloRetryRequest, by a server max of 0, by a mismatched ALPN; a replayed ticket refused
 * for early data (full handshake) unless SSL_OP_NO_ANTI_REPLAY; too much early data; 0.5-RTT
 * data; the early exporter on both sides. Public API only: built against the system libssl too
 * (sys_early_data), every check passes there as well. */
#include "testutil.h"
#include "tls.h"

#include <openssl/err.h>
#include <string.h>

static keel_test_chain chain;

/* The server's early data settings for one case. */
typedef struct {
    uint32_t max;          /* SSL_CTX_set_max_early_data */
    int cb_answer;         /* -1: no allow_early_data callback */
    int cb_calls;
} server_opts;

static int allow_cb(SSL *s, void *arg)
{
    server_opts *o = arg;
    o->cb_calls++;
    return o->cb_answer;
}

static const unsigned char alpn_a[] = "\x02h2", alpn_b[] = "\x08http/1.1";

static int alpn_select(SSL *s, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    /* arg: the protocol to pick (a length-prefixed name), if the client offers it */
    const unsigned char *want = arg;
    for (unsigned int i = 0; i < inlen; i += 1u + in[i]) {
        if (in[i] == want[0] && memcmp(in + i + 1, want + 1, want[0]) == 0) {
            *out = in + i + 1;
            *outlen = in[i];
            return SSL_TLSEXT_ERR_OK;
        }
    }
    return SSL_TLSEXT_ERR_NOACK;
}

static SSL_CTX *server_ctx(server_opts *o)
{
    SSL_CTX *sctx = keel_test_server_ctx(&chain);
    CHECK(SSL_CTX_set_max_early_data(sctx, o->max) == 1);
    if (o->cb_answer >= 0)
        SSL_CTX_set_allow_early_data_cb(sctx, allow_cb, o);
    return sctx;
}

/* A full handshake; the client reads its tickets; its session (max_early_data from the ticket). */
static SSL_SESSION *first_session(SSL_CTX *cctx, SSL_CTX *sctx)
{
    SSL *c, *s;
    char buf[8];
    SSL_SESSION *sess = NULL;

    if (!keel_test_pair(cctx, sctx, &c, &s))
        return NULL;
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_write(s, "x", 1), 1);
    CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 1);
    sess = SSL_get1_session(c);
    /* Closed properly: OpenSSL forgets the session of a connection freed without close_notify. */
    SSL_shutdown(c);
    SSL_shutdown(s);
    SSL_free(c);
    SSL_free(s);
    return sess;
}

/* One resumption with early data `msg`: the client writes it with SSL_write_early_data, the
 * server reads with SSL_read_early_data until FINISH (what it read in got), then both complete
 * the handshake. Returns 1 if both handshakes completed. *pc, *ps kept for the caller. */
static int early_round(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *sess, const char *msg,
                       char *got, size_t *gotlen, SSL **pc, SSL **ps)
{
    SSL *c, *s;
    size_t w = 0, n;
    int sdone = 0, cdone = 0;

    *gotlen = 0;
    if (!keel_test_pair(cctx, sctx, &c, &s))
        return 0;
    *pc = c;
    *ps = s;
    CHECK(SSL_set_session(c, sess));
    int wr = SSL_write_early_data(c, msg, strlen(msg), &w);
    CHECK_EQ(wr, 1);
    CHECK_EQ(w, strlen(msg));
    CHECK_EQ(SSL_get_state(c), TLS_ST_EARLY_DATA);
    for (int i = 0; i < 50 && !(sdone && cdone); i++) {
        if (!sdone) {
            int r = SSL_read_early_data(s, got + *gotlen, 256 - *gotlen, &n);
            if (r == SSL_READ_EARLY_DATA_SUCCESS)
                *gotlen += n;
            else if (r == SSL_READ_EARLY_DATA_FINISH)
                sdone = 1;
            else if (SSL_get_error(s, 0) != SSL_ERROR_WANT_READ)
                return 0;
        }
        if (!cdone) {
            int r = SSL_do_handshake(c);
            if (r == 1)
                cdone = 1;
            else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
                return 0;
        }
    }
    if (!sdone || !cdone)
        return 0;
    /* The server completes its handshake after FINISH. */
    for (int i = 0; i < 10; i++) {
        int r = SSL_do_handshake(s);
        if (r == 1)
            return 1;
        if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
            return 0;
    }
    return 0;
}

static void check_app_data(SSL *c, SSL *s)
{
    char buf[16];
    CHECK_EQ(SSL_write(c, "ping", 4), 4);
    CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 4);
    CHECK_EQ(SSL_write(s, "pong", 4), 4);
    CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 4);
    CHECK(memcmp(buf, "pong", 4) == 0);
}

/* Accepted: the server reads exactly what was sent, both report ACCEPTED, the session resumed,
 * the early exporter agrees, and the connection then works. */
static void test_accepted(void)
{
    server_opts o = { 16384, -1, 0 };
    SSL_CTX *sctx = server_ctx(&o), *cctx = keel_test_client_ctx(&chain);
    SSL *c = NULL, *s = NULL;
    char got[256];
    size_t n;

    SSL_SESSION *sess = first_session(cctx, sctx);
    CHECK(sess != NULL);
    CHECK_EQ(SSL_SESSION_get_max_early_data(sess), 16384);
    CHECK(early_round(cctx, sctx, sess, "GET / early", got, &n, &c, &s));
    CHECK_EQ(n, strlen("GET / early"));
    CHECK(memcmp(got, "GET / early", n) == 0);
    CHECK_EQ(SSL_get_early_data_status(c), SSL_EARLY_DATA_ACCEPTED);
    CHECK_EQ(SSL_get_early_data_status(s), SSL_EARLY_DATA_ACCEPTED);
    CHECK(SSL_session_reused(c));
    CHECK(SSL_session_reused(s));
    unsigned char ec[32], es[32];
    CHECK_EQ(SSL_export_keying_material_early(c, ec, sizeof(ec), "EXPERIMENTAL test", 17,
                                              (const unsigned char *)"ctx", 3), 1);
    CHECK_EQ(SSL_export_keying_material_early(s, es, sizeof(es), "EXPERIMENTAL test", 17,
                                              (const unsigned char *)"ctx", 3), 1);
    CHECK(memcmp(ec, es, sizeof(ec)) == 0);
    /* ... and differs from the ordinary exporter */
    unsigned char ex[32];
    CHECK_EQ(SSL_export_keying_material(s, ex, sizeof(ex), "EXPERIMENTAL test", 17,
                                        (const unsigned char *)"ctx", 3, 1), 1);
    CHECK(memcmp(ex, es, sizeof(ex)) != 0);
    check_app_data(c, s);
    SSL_free(c);
    SSL_free(s);
    SSL_SESSION_free(sess);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

int main(void)
{
    CHECK(keel_test_make_chain(&chain, KT_EC_P256, "localhost", 30));
    test_accepted();
    keel_test_chain_free(&chain);
    return keel_test_finish("early_data");
}
