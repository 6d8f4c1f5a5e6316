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

/* A TLS 1.3 client: its suite and key-exchange group, both from the lists the SSL holds. */
static void expect13(SSL *c, const char *suite, int group)
{
    CHECK(strcmp(negotiated(c), suite) == 0);
    CHECK(SSL_get_negotiated_group(c) == group);
}

/* The TLS 1.3 suites, groups and signature schemes an SSL shares with its context until either
 * writes (keel_settings_lists): the same model as the TLS 1.2 suites above. */
static void test_tls13_lists_sharing(void)
{
    SSL_CTX *cctx = keel_test_client_ctx(&chain);

    CHECK(cctx != NULL);
    CHECK(SSL_CTX_set_ciphersuites(cctx, "TLS_AES_128_GCM_SHA256"));
    CHECK(SSL_CTX_set1_groups_list(cctx, "P-256"));
    SSL *a = client(cctx);
    CHECK(a != NULL);
    /* Set on the context after SSL_new: not a's. */
    CHECK(SSL_CTX_set_ciphersuites(cctx, "TLS_CHACHA20_POLY1305_SHA256"));
    CHECK(SSL_CTX_set1_groups_list(cctx, "X25519"));
    SSL *b = client(cctx);
    CHECK(b != NULL);
    /* b's own: not the context's nor c's. */
    CHECK(SSL_set_ciphersuites(b, "TLS_AES_256_GCM_SHA384"));
    CHECK(SSL_set1_groups_list(b, "P-384"));
    SSL *c = client(cctx);
    CHECK(c != NULL);
    /* SSL_dup copies b's; b then writes its own again, and so does the context. */
    SSL *d = SSL_dup(b);
    CHECK(d != NULL);
    CHECK(SSL_set_ciphersuites(b, "TLS_AES_128_GCM_SHA256"));
    CHECK(SSL_set1_groups_list(b, "P-256"));
    CHECK(SSL_CTX_set_ciphersuites(cctx, "TLS_AES_256_GCM_SHA384"));
    CHECK(SSL_CTX_set1_groups_list(cctx, "P-521"));
    SSL_CTX_free(cctx);

    expect13(a, "TLS_AES_128_GCM_SHA256", NID_X9_62_prime256v1);
    expect13(b, "TLS_AES_128_GCM_SHA256", NID_X9_62_prime256v1);
    expect13(c, "TLS_CHACHA20_POLY1305_SHA256", NID_X25519);
    expect13(d, "TLS_AES_256_GCM_SHA384", NID_secp384r1);
    SSL_free(a);
    SSL_free(b);
    SSL_free(c);
    SSL_free(d);

    /* Signature schemes: the server's P-256 certificate can only answer ECDSA. */
    cctx = keel_test_client_ctx(&chain);
    CHECK(cctx != NULL);
    CHECK(SSL_CTX_set1_sigalgs_list(cctx, "ECDSA+SHA256"));
    a = client(cctx);
    CHECK(a != NULL);
    CHECK(SSL_CTX_set1_sigalgs_list(cctx, "ed25519"));
    b = client(cctx);
    CHECK(b != NULL);
    CHECK(SSL_set1_sigalgs_list(b, "ECDSA+SHA256"));
    c = client(cctx);
    CHECK(c != NULL);
    SSL_CTX_free(cctx);
    CHECK(strcmp(negotiated(a), "TLS_AES_256_GCM_SHA384") == 0);
    CHECK(strcmp(negotiated(b), "TLS_AES_256_GCM_SHA384") == 0);
    CHECK(strcmp(negotiated(c), "") == 0);
    SSL_free(a);
    SSL_free(b);
    SSL_free(c);
}

int main(void)
{
    CHECK(keel_test_make_chain(&chain, KT_EC_P256, "server.test", 30));
    sctx = keel_test_server_ctx(&chain);
    CHECK(sctx != NULL);
    CHECK(SSL_CTX_set_cipher_list(sctx, S_AES128 ":" S_AES256 ":" S_CHACHA));
    test_cipher_list_sharing();
    test_switch_keeps_list();
    test_tls13_lists_sharing();
    SSL_CTX_free(sctx);
    keel_test_chain_free(&chain);
    return keel_test_finish("settings_share");
}
