/* Secrets that outlive their use (issue #10 item 6): once a handshake completes, the handshake
 * traffic secrets and the key schedule's handshake/master secret are wiped in both roles; only what
 * later use needs survives (application traffic secrets for KeyUpdate, the exporter and resumption
 * master secrets), and that later use still works. Full and resumed handshakes, with a client
 * certificate. */
#include "handshake/hs.h"

#include <string.h>

#include "testutil.h"
#include "tls.h"

static int zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

static void check_wiped(const SSL *s)
{
    const keel_conn *c = s->conn;
    CHECK(c != NULL);
    if (c == NULL)
        return;
    CHECK(zero(c->client_hs, sizeof(c->client_hs)));
    CHECK(zero(c->server_hs, sizeof(c->server_hs)));
    CHECK(zero(c->ks.secret, sizeof(c->ks.secret)));
    CHECK(c->ks.stage == KEEL_KS_NONE);
    /* Still needed: KeyUpdate, exporters, tickets. */
    CHECK(!zero(c->client_ap, 32) && !zero(c->server_ap, 32));
    CHECK(!zero(c->exporter, 32) && !zero(c->resumption, 32));
}

static void exchange(SSL *c, SSL *s)
{
    char buf[16];
    uint8_t ec[32], es[32];
    CHECK(SSL_key_update(c, SSL_KEY_UPDATE_REQUESTED));
    CHECK_EQ(SSL_write(c, "ping", 4), 4);
    CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 4);
    CHECK_EQ(SSL_write(s, "pong", 4), 4);
    CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 4);
    CHECK(SSL_export_keying_material(c, ec, sizeof(ec), "EXPERIMENTAL x", 14, NULL, 0, 0));
    CHECK(SSL_export_keying_material(s, es, sizeof(es), "EXPERIMENTAL x", 14, NULL, 0, 0));
    CHECK(memcmp(ec, es, sizeof(ec)) == 0);
}

int main(void)
{
    keel_test_chain srv, cli;
    SSL *c, *s;
    SSL_SESSION *sess = NULL;

    CHECK(keel_test_make_chain(&srv, KT_EC_P256, "server.test", 30));
    CHECK(keel_test_make_chain(&cli, KT_EC_P256, "client.test", 30));
    SSL_CTX *sctx = keel_test_server_ctx(&srv), *cctx = keel_test_client_ctx(&srv);
    CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx), cli.ca));
    SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER, NULL);
    CHECK(SSL_CTX_use_certificate(cctx, cli.leaf) && SSL_CTX_use_PrivateKey(cctx, cli.leaf_key));

    for (int round = 0; round < 2; round++) {
        CHECK(keel_test_pair(cctx, sctx, &c, &s));
        SSL_set1_host(c, "server.test");
        if (sess != NULL)
            CHECK(SSL_set_session(c, sess));
        CHECK(keel_test_handshake(c, s));
        CHECK_EQ(SSL_session_reused(c), round);
        check_wiped(c);
        check_wiped(s);
        exchange(c, s);
        SSL_SESSION_free(sess);
        sess = SSL_get1_session(c);
        CHECK(sess != NULL);
        SSL_free(c);
        SSL_free(s);
    }
    SSL_SESSION_free(sess);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    keel_test_chain_free(&srv);
    keel_test_chain_free(&cli);
    return keel_test_finish("unit_secrets");
}
