/* Secrets that outlive their use (issue #10 item 6): once a handshake completes, the handshake
 * object (the key schedule's handshake/master secret, the handshake traffic secrets) is freed in
 * both roles, cleansed, and no handshake traffic secret remains in the connection; only what later
 * use needs survives (application traffic secrets for KeyUpdate, the exporter and resumption
 * master secrets), and that later use still works. Full and resumed handshakes, with a client
 * certificate. */
#include "handshake/hs.h"

#include <stdio.h>
#include <stdlib.h>
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

/* Every allocation carries its size, so the free hook can look at what is freed: the handshake
 * object must reach free() cleansed. */
static const void *watched[2];     /* the handshake objects of the pair under test */
static int hs_freed, hs_dirty;

static void *t_malloc(size_t n, const char *f, int l)
{
    (void)f, (void)l;
    size_t *p = malloc(sizeof(size_t) * 2 + n);
    if (p == NULL)
        return NULL;
    p[0] = n;
    return p + 2;
}

static void t_free(void *ptr, const char *f, int l)
{
    (void)f, (void)l;
    if (ptr == NULL)
        return;
    size_t *p = (size_t *)ptr - 2;
    for (int i = 0; i < 2; i++) {
        if (ptr == watched[i]) {
            hs_freed++;
            if (p[0] != sizeof(keel_hs) || !zero(ptr, sizeof(keel_hs)))
                hs_dirty++;
            watched[i] = NULL;
        }
    }
    free(p);
}

static void *t_realloc(void *ptr, size_t n, const char *f, int l)
{
    if (ptr == NULL)
        return t_malloc(n, f, l);
    size_t *p = (size_t *)ptr - 2, old = p[0];
    void *q = t_malloc(n, f, l);
    if (q == NULL)
        return NULL;
    memcpy(q, ptr, old < n ? old : n);
    t_free(ptr, f, l);
    return q;
}

/* The handshake traffic secrets, as the key log shows them, must not be anywhere in what the
 * connection keeps. */
static uint8_t hs_secrets[4][64];
static size_t nhs_secrets, hs_secret_len;

static void keylog(const SSL *s, const char *line)
{
    (void)s;
    if (strncmp(line, "CLIENT_HANDSHAKE_TRAFFIC_SECRET ", 32) != 0
            && strncmp(line, "SERVER_HANDSHAKE_TRAFFIC_SECRET ", 32) != 0)
        return;
    const char *hex = strrchr(line, ' ') + 1;
    size_t n = strlen(hex) / 2;
    if (nhs_secrets >= 4 || n > 64)
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        hs_secrets[nhs_secrets][i] = (uint8_t)v;
    }
    hs_secret_len = n;
    nhs_secrets++;
}

static int contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t len)
{
    for (size_t i = 0; i + len <= n; i++)
        if (memcmp(hay + i, needle, len) == 0)
            return 1;
    return 0;
}

/* While the handshake runs, note where its handshake object lives. */
static void info(const SSL *s, int where, int ret)
{
    (void)ret;
    if ((where & SSL_CB_HANDSHAKE_START) && s->conn != NULL && s->conn->hs != NULL)
        watched[s->server ? 1 : 0] = s->conn->hs;
}

static void check_wiped(const SSL *s)
{
    const keel_conn *c = s->conn;
    CHECK(c != NULL);
    if (c == NULL)
        return;
    CHECK(c->hs == NULL);
    for (size_t i = 0; i < nhs_secrets; i++)
        CHECK(!contains((const uint8_t *)c, sizeof(*c), hs_secrets[i], hs_secret_len));
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

    CHECK(CRYPTO_set_mem_functions(t_malloc, t_realloc, t_free));

    CHECK(keel_test_make_chain(&srv, KT_EC_P256, "server.test", 30));
    CHECK(keel_test_make_chain(&cli, KT_EC_P256, "client.test", 30));
    SSL_CTX *sctx = keel_test_server_ctx(&srv), *cctx = keel_test_client_ctx(&srv);
    CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx), cli.ca));
    SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER, NULL);
    CHECK(SSL_CTX_set_session_id_context(sctx, (const unsigned char *)"secrets", 7)); /* resumed */
    CHECK(SSL_CTX_use_certificate(cctx, cli.leaf) && SSL_CTX_use_PrivateKey(cctx, cli.leaf_key));
    SSL_CTX_set_keylog_callback(cctx, keylog);
    SSL_CTX_set_info_callback(cctx, info);
    SSL_CTX_set_info_callback(sctx, info);

    for (int round = 0; round < 2; round++) {
        hs_freed = hs_dirty = 0;
        nhs_secrets = 0;
        CHECK(keel_test_pair(cctx, sctx, &c, &s));
        SSL_set1_host(c, "server.test");
        if (sess != NULL)
            CHECK(SSL_set_session(c, sess));
        CHECK(keel_test_handshake(c, s));
        CHECK_EQ(SSL_session_reused(c), round);
        /* Both handshake objects were freed at the end of the handshake, cleansed. */
        CHECK_EQ(hs_freed, 2);
        CHECK_EQ(hs_dirty, 0);
        CHECK_EQ(nhs_secrets, 2);
        check_wiped(c);
        check_wiped(s);
        exchange(c, s);
        SSL_SESSION_free(sess);
        sess = SSL_get1_session(c);
        CHECK(sess != NULL);
        keel_test_free_pair(c, s);
    }
    SSL_SESSION_free(sess);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    keel_test_chain_free(&srv);
    keel_test_chain_free(&cli);
    return keel_test_finish("unit_secrets");
}
