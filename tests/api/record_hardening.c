/* Issue #10, the record layer and the one send path, through the public API: handshake messages
 * fragmented by the connection's current max_send_fragment (NewSessionTicket included), the
 * fragment length changed mid-connection, and nothing written after close_notify or a fatal
 * alert (KeyUpdate, post-handshake CertificateRequest). */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain srv, cli;

static SSL_CTX *sctx_new(int client_auth)
{
    SSL_CTX *ctx = keel_test_server_ctx(&srv);
    if (client_auth) {
        CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cli.ca));
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return ctx;
}

static SSL_CTX *cctx_new(void)
{
    SSL_CTX *ctx = keel_test_client_ctx(&srv);
    CHECK(SSL_CTX_use_certificate(ctx, cli.leaf));
    CHECK(SSL_CTX_use_PrivateKey(ctx, cli.leaf_key));
    return ctx;
}

static int pair(SSL_CTX *cctx, SSL_CTX *sctx, SSL **c, SSL **s)
{
    if (!keel_test_pair(cctx, sctx, c, s))
        return 0;
    SSL_set1_host(*c, "server.test");
    SSL_set_tlsext_host_name(*c, "server.test");
    return 1;
}

/* Reads exactly n bytes on r (the writer w being driven in between). */
static int read_all(SSL *r, SSL *w, unsigned char *buf, size_t n)
{
    size_t got = 0;
    for (int i = 0; i < 1000 && got < n; i++) {
        int k = SSL_read(r, buf + got, (int)(n - got));
        if (k > 0) {
            got += (size_t)k;
            continue;
        }
        if (SSL_get_error(r, k) != SSL_ERROR_WANT_READ)
            return 0;
        (void)SSL_write(w, "", 0);
    }
    return got == n;
}

/* #10.13: a stateless ticket embeds the client certificate, so with client authentication and a
 * 512-byte fragment the NewSessionTicket is larger than one record: it must be fragmented like
 * every handshake message (RFC 8446 §5.1), not refused. */
static void test_ticket_fragmented(void)
{
    SSL_CTX *sctx = sctx_new(1), *cctx = cctx_new();
    SSL *c = NULL, *s = NULL;
    unsigned char b[8];

    CHECK(pair(cctx, sctx, &c, &s));
    CHECK(SSL_set_max_send_fragment(s, 512));
    CHECK(keel_test_handshake(c, s));
    /* The client takes the tickets from its next read. */
    CHECK(SSL_read(c, b, sizeof(b)) <= 0 && SSL_get_error(c, -1) == SSL_ERROR_WANT_READ);
    SSL_SESSION *ss = SSL_get1_session(c);
    CHECK(ss != NULL && SSL_SESSION_has_ticket(ss));
    SSL_SESSION_free(ss);
    /* The connection is still alive both ways. */
    CHECK_EQ(SSL_write(s, "ping", 4), 4);
    CHECK(read_all(c, s, b, 4) && memcmp(b, "ping", 4) == 0);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

/* #10.14: SSL_set_max_send_fragment(3) changed on an established connection applies to the next
 * SSL_write, upwards and downwards. */
static void test_max_fragment_mid_connection(void)
{
    SSL_CTX *sctx = sctx_new(0), *cctx = cctx_new();
    SSL *c = NULL, *s = NULL;
    static unsigned char out[10000], in[10000];

    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (unsigned char)(i * 7);
    CHECK(pair(cctx, sctx, &c, &s));
    CHECK(SSL_set_max_send_fragment(c, 512));
    CHECK(keel_test_handshake(c, s));

    CHECK(SSL_set_max_send_fragment(c, 16384));
    CHECK_EQ(SSL_write(c, out, sizeof(out)), (int)sizeof(out));
    CHECK(read_all(s, c, in, sizeof(out)) && memcmp(in, out, sizeof(out)) == 0);
    /* 10000 bytes in one record now: after one byte read, the rest of it is pending. */
    CHECK_EQ(SSL_write(c, out, sizeof(out)), (int)sizeof(out));
    CHECK(read_all(s, c, in, 1));
    CHECK_EQ(SSL_pending(s), (int)sizeof(out) - 1);
    CHECK(read_all(s, c, in + 1, sizeof(out) - 1) && memcmp(in, out, sizeof(out)) == 0);

    CHECK(SSL_set_max_send_fragment(c, 512));
    CHECK_EQ(SSL_write(c, out, 2000), 2000);
    CHECK(read_all(s, c, in, 1));
    CHECK_EQ(SSL_pending(s), 511);
    CHECK(read_all(s, c, in + 1, 1999) && memcmp(in, out, 2000) == 0);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

/* Bytes `from` has written that its peer has not read yet (the BIO pair's buffer). */
static size_t in_flight(SSL *to)
{
    return BIO_ctrl_pending(SSL_get_rbio(to));
}

/* Everything an application may call after the connection ended on our side; none of it may put
 * a byte on the wire (RFC 8446 §6.1: nothing after close_notify; §6.2: nothing after a fatal
 * alert). */
static void poke(SSL *x)
{
    char b[8];
    (void)SSL_key_update(x, SSL_KEY_UPDATE_REQUESTED);
    (void)SSL_do_handshake(x);
    (void)SSL_read(x, b, sizeof(b));
    (void)SSL_write(x, "x", 1);
    if (SSL_is_server(x)) {
        (void)SSL_verify_client_post_handshake(x);
        (void)SSL_do_handshake(x);
        (void)SSL_read(x, b, sizeof(b));
    }
    (void)SSL_shutdown(x);
    ERR_clear_error();
}

/* #10.15: KeyUpdate and a post-handshake CertificateRequest after our close_notify. */
static void test_nothing_after_close_notify(int server)
{
    SSL_CTX *sctx = sctx_new(0), *cctx = cctx_new();
    SSL *c = NULL, *s = NULL;

    SSL_CTX_set_post_handshake_auth(cctx, 1);
    CHECK(pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    SSL *x = server ? s : c, *peer = server ? c : s;
    char b[8];
    (void)SSL_read(c, b, sizeof(b)); /* the tickets */
    CHECK_EQ(SSL_shutdown(x), 0);
    size_t before = in_flight(peer);
    CHECK(before > 0);
    /* The key update is refused outright, with a reason. */
    ERR_clear_error();
    CHECK_EQ(SSL_key_update(x, SSL_KEY_UPDATE_NOT_REQUESTED), 0);
    CHECK(ERR_peek_error() != 0);
    poke(x);
    CHECK_EQ(in_flight(peer), before);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

/* #10.15: the same after a fatal alert we sent (the peer sent a record that is not TLS). */
static void test_nothing_after_fatal(int server)
{
    SSL_CTX *sctx = sctx_new(0), *cctx = cctx_new();
    SSL *c = NULL, *s = NULL;
    static const unsigned char junk[] = { 0x17, 0x03, 0x03, 0x00, 0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                          10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
                                          24, 25, 26, 27, 28, 29, 30, 31, 32 };
    char b[8];

    SSL_CTX_set_post_handshake_auth(cctx, 1);
    CHECK(pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    (void)SSL_read(c, b, sizeof(b)); /* the tickets */
    SSL *x = server ? s : c, *peer = server ? c : s;
    /* The peer's write side feeds x's read side: junk under x's read key (bad_record_mac). */
    CHECK_EQ(BIO_write(SSL_get_wbio(peer), junk, sizeof(junk)), (int)sizeof(junk));
    int r = SSL_read(x, b, sizeof(b));
    CHECK(r <= 0 && SSL_get_error(x, r) == SSL_ERROR_SSL);
    ERR_clear_error();
    size_t before = in_flight(peer);
    CHECK(before > 0); /* the alert */
    ERR_clear_error();
    CHECK_EQ(SSL_key_update(x, SSL_KEY_UPDATE_NOT_REQUESTED), 0);
    poke(x);
    CHECK_EQ(in_flight(peer), before);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

int main(void)
{
    CHECK(keel_test_make_chain(&srv, KT_EC_P256, "server.test", 365));
    CHECK(keel_test_make_chain(&cli, KT_RSA2048, "client.test", 365));
    test_ticket_fragmented();
    test_max_fragment_mid_connection();
    test_nothing_after_close_notify(1);
    test_nothing_after_close_notify(0);
    test_nothing_after_fatal(1);
    test_nothing_after_fatal(0);
    keel_test_chain_free(&srv);
    keel_test_chain_free(&cli);
    return keel_test_finish("record_hardening");
}
