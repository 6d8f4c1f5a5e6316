/* The settings an SSL shares with its context instead of copying (issue #15, memory held): the
 * seed's object model must not see the sharing. SSL_new(3): the SSL inherits the context's
 * settings; a later SSL_CTX_set_* does not reach an existing SSL; SSL_set_* does not reach the
 * context or its other SSLs; SSL_dup copies the SSL's. Checked by the suite each handshake
 * actually negotiates (TLS 1.2), so the lists in use are what is tested, not a value read back. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain chain;
static SSL_CTX *sctx;

#define S_AES128 "ECDHE-ECDSA-AES128-GCM-SHA256"
#define S_AES256 "ECDHE-ECDSA-AES256-GCM-SHA384"
#define S_CHACHA "ECDHE-ECDSA-CHACHA20-POLY1305"

/* The suite a TLS 1.2 handshake of client c with a fresh server SSL negotiates; "" on failure. */
static const char *negotiated(SSL *c)
{
    static char name[64];
    SSL *s = SSL_new(sctx);
    BIO *cb, *sb;

    name[0] = '\0';
    if (s == NULL || !BIO_new_bio_pair(&cb, 0, &sb, 0)) {
        SSL_free(s);
        return name;
    }
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    if (keel_test_handshake(c, s))
        strncpy(name, SSL_get_cipher_name(c), sizeof(name) - 1);
    ERR_clear_error();
    SSL_free(s);
    return name;
}

static SSL *client(SSL_CTX *ctx)
{
    SSL *c = SSL_new(ctx);

    if (c != NULL)
        SSL_set_tlsext_host_name(c, "server.test");
    return c;
}

static void test_cipher_list_sharing(void)
{
    SSL_CTX *cctx = keel_test_client_ctx(&chain);

    CHECK(cctx != NULL);
    CHECK(SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION));
    CHECK(SSL_CTX_set_cipher_list(cctx, S_AES128));

    /* SSL_new inherits the context's list. */
    SSL *a = client(cctx);
    CHECK(a != NULL);
    /* The context's list set after SSL_new does not change the existing SSL ... */
    CHECK(SSL_CTX_set_cipher_list(cctx, S_CHACHA));
    SSL *b = client(cctx);
    CHECK(b != NULL);
    /* ... and an SSL's own list does not change the context's or a sibling's. */
    CHECK(SSL_set_cipher_list(b, S_AES256));
    SSL *c = client(cctx);
    CHECK(c != NULL);
    /* SSL_dup copies the SSL's list, which the original may then replace. */
    SSL *d = SSL_dup(b);
    CHECK(d != NULL);
    CHECK(SSL_set_cipher_list(b, S_CHACHA));
    /* A syntax error leaves an SSL's list as it was. */
    CHECK(!SSL_set_cipher_list(c, "NOT-A-SUITE:+++"));
    ERR_clear_error();

    /* The context goes away first: the lists the SSLs hold must outlive its reference. */
    CHECK(SSL_CTX_set_cipher_list(cctx, S_AES256));
    SSL_CTX_free(cctx);

    CHECK(strcmp(negotiated(a), S_AES128) == 0);
    CHECK(strcmp(negotiated(b), S_CHACHA) == 0);
    CHECK(strcmp(negotiated(c), S_CHACHA) == 0);
    CHECK(strcmp(negotiated(d), S_AES256) == 0);
    SSL_free(a);
    SSL_free(b);
    SSL_free(c);
    SSL_free(d);
}

/* SSL_set_SSL_CTX (the server's SNI switch) takes the certificates from the new context but keeps
 * the SSL's own suites. */
static void test_switch_keeps_list(void)
{
    SSL_CTX *cctx = keel_test_client_ctx(&chain), *other = keel_test_client_ctx(&chain);

    CHECK(cctx != NULL && other != NULL);
    CHECK(SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION));
    CHECK(SSL_CTX_set_cipher_list(cctx, S_AES128));
    CHECK(SSL_CTX_set_cipher_list(other, S_CHACHA));
    SSL *a = client(cctx);
    CHECK(a != NULL);
    CHECK(SSL_set_SSL_CTX(a, other) == other);
    SSL_CTX_free(other);
    SSL_CTX_free(cctx);
    CHECK(strcmp(negotiated(a), S_AES128) == 0);
    SSL_free(a);
}

int main(void)
{
    CHECK(keel_test_make_chain(&chain, KT_EC_P256, "server.test", 30));
    sctx = keel_test_server_ctx(&chain);
    CHECK(sctx != NULL);
    CHECK(SSL_CTX_set_cipher_list(sctx, S_AES128 ":" S_AES256 ":" S_CHACHA));
    test_cipher_list_sharing();
    test_switch_keeps_list();
    SSL_CTX_free(sctx);
    keel_test_chain_free(&chain);
    return keel_test_finish("settings_share");
}
