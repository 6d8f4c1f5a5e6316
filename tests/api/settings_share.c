/* The settings an SSL shares with its context instead of copying (issue #15, memory held): the
 * seed's object model must not see the sharing. SSL_new(3): the SSL inherits the context's
 * settings; a later SSL_CTX_set_* does not reach an existing SSL; SSL_set_* does not reach the
 * context or its other SSLs; SSL_dup copies the SSL's. Checked by the suite each handshake
 * actually negotiates (TLS 1.2), so the lists in use are what is tested, not a value read back. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SSL_use_RSAPrivateKey takes an RSA: deprecated, still ABI */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The whole settings block, not only its lists: verification mode and options, set on the
 * context after SSL_new or on an SSL, reach only the object they were set on (and SSL_dup's
 * copy what its source had). The client does not trust the server's CA, so VERIFY_PEER fails
 * the handshake and VERIFY_NONE lets it complete. */
static void test_block_sharing(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    CHECK(ctx != NULL);
    SSL *a = client(ctx);
    CHECK(a != NULL);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    CHECK(SSL_CTX_set_options(ctx, SSL_OP_NO_TLSv1_3) & SSL_OP_NO_TLSv1_3);
    SSL *b = client(ctx);
    CHECK(b != NULL);
    SSL *d = SSL_dup(b);
    CHECK(d != NULL);
    SSL_set_verify(b, SSL_VERIFY_NONE, NULL);
    SSL_clear_options(b, SSL_OP_NO_TLSv1_3);
    SSL *c = client(ctx);
    CHECK(c != NULL);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_free(ctx);

    CHECK(SSL_get_verify_mode(a) == SSL_VERIFY_NONE && SSL_get_verify_mode(b) == SSL_VERIFY_NONE);
    CHECK(SSL_get_verify_mode(c) == SSL_VERIFY_PEER && SSL_get_verify_mode(d) == SSL_VERIFY_PEER);
    CHECK(negotiated(a)[0] != '\0' && SSL_version(a) == TLS1_3_VERSION);
    CHECK(negotiated(b)[0] != '\0' && SSL_version(b) == TLS1_3_VERSION);
    CHECK(strcmp(negotiated(c), "") == 0); /* the context's VERIFY_PEER at SSL_new */
    CHECK(strcmp(negotiated(d), "") == 0); /* b's at SSL_dup */
    CHECK(SSL_get_verify_result(d) == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    SSL_free(a);
    SSL_free(b);
    SSL_free(c);
    SSL_free(d);
}

/* SSL_get_ciphers' stack belongs to its object: a context's later cipher string leaves an SSL's
 * stack (the same pointer, the same suites); the SSL's own string replaces it. */
static void test_cipher_stack(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    CHECK(ctx != NULL && SSL_CTX_set_cipher_list(ctx, S_AES128 ":" S_AES256));
    SSL *a = SSL_new(ctx);
    CHECK(a != NULL);
    STACK_OF(SSL_CIPHER) *sk = SSL_get_ciphers(a);
    CHECK(sk != NULL);
    int n = sk_SSL_CIPHER_num(sk);
    CHECK(SSL_CTX_set_cipher_list(ctx, S_CHACHA));
    CHECK(SSL_get_ciphers(a) == sk && sk_SSL_CIPHER_num(sk) == n);
    CHECK(sk_SSL_CIPHER_num(SSL_CTX_get_ciphers(ctx)) == n - 1);
    CHECK(SSL_set_cipher_list(a, S_AES256));
    CHECK(sk_SSL_CIPHER_num(SSL_get_ciphers(a)) == n - 1);
    CHECK(strcmp(SSL_get_cipher_list(a, n - 2), S_AES256) == 0);
    SSL_free(a);
    SSL_CTX_free(ctx);
}

/* A context's security callback, inherited: every SSL's calls name that SSL (not the context,
 * not another SSL made from it), as OpenSSL passes them. */
static const SSL *sec_seen_ssl;
static const SSL_CTX *sec_seen_ctx;
static int sec_calls, sec_wrong;

static int sec_cb(const SSL *s, const SSL_CTX *ctx, int op, int bits, int nid, void *other, void *ex)
{
    (void)op, (void)bits, (void)nid, (void)other, (void)ex;
    sec_calls++;
    if (s != sec_seen_ssl || ctx != sec_seen_ctx)
        sec_wrong++;
    return 1;
}

static void test_security_callback_owner(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    CHECK(ctx != NULL);
    SSL_CTX_set_security_callback(ctx, sec_cb);
    SSL *a = client(ctx), *b = client(ctx);
    CHECK(a != NULL && b != NULL);
    sec_seen_ctx = NULL;
    sec_seen_ssl = b;
    sec_calls = sec_wrong = 0;
    CHECK(negotiated(b)[0] != '\0');
    CHECK(sec_calls > 0 && sec_wrong == 0);
    sec_seen_ssl = a;
    sec_calls = sec_wrong = 0;
    CHECK(negotiated(a)[0] != '\0');
    CHECK(sec_calls > 0 && sec_wrong == 0);
    /* The context's own checks name the context. */
    sec_seen_ssl = NULL;
    sec_seen_ctx = ctx;
    sec_calls = sec_wrong = 0;
    CHECK(SSL_CTX_use_certificate(ctx, chain.leaf) == 1);
    CHECK(sec_calls > 0 && sec_wrong == 0);
    SSL_free(a);
    SSL_free(b);
    SSL_CTX_free(ctx);
}

/* The verification parameters an SSL shares with the others made from its context while the
 * context's do not change: a host set on the context after SSL_new (SSL_CTX_set1_param, or through
 * the pointer SSL_CTX_get0_param hands out, at any time later) reaches only the SSLs made after it;
 * an SSL's own host reaches neither its context nor its SSL_dup copy made before. Checked by the
 * handshake: the server's certificate names server.test. */
static int host_ok(SSL *c)
{
    return negotiated(c)[0] != '\0';
}

static void test_param_sharing(void)
{
    SSL_CTX *ctx = keel_test_client_ctx(&chain);
    X509_VERIFY_PARAM *other = X509_VERIFY_PARAM_new();

    CHECK(ctx != NULL && other != NULL && X509_VERIFY_PARAM_set1_host(other, "other.test", 0));
    SSL *a = client(ctx), *a2 = client(ctx);
    CHECK(a != NULL && a2 != NULL);
    SSL *dup = SSL_dup(a2);
    CHECK(dup != NULL && SSL_set1_host(a2, "other.test"));
    CHECK(SSL_CTX_set1_param(ctx, other));
    SSL *b = client(ctx);
    CHECK(b != NULL);
    X509_VERIFY_PARAM *vp = SSL_CTX_get0_param(ctx);
    CHECK(X509_VERIFY_PARAM_set1_host(vp, "server.test", 0));
    SSL *c = client(ctx);
    CHECK(c != NULL);
    CHECK(X509_VERIFY_PARAM_set1_host(vp, "third.test", 0)); /* the same pointer, later */
    SSL *d = client(ctx);
    CHECK(d != NULL);

    CHECK(host_ok(a));      /* made before any host */
    CHECK(!host_ok(a2));    /* its own */
    CHECK(host_ok(dup));    /* copied before a2 set its own */
    CHECK(!host_ok(b));     /* other.test */
    CHECK(host_ok(c));      /* server.test */
    CHECK(!host_ok(d));     /* third.test */
    CHECK(SSL_get0_peername(c) != NULL && strcmp(SSL_get0_peername(c), "server.test") == 0);
    CHECK(SSL_get0_peername(a) == NULL); /* no host asked for: no name matched */
    SSL_free(a);
    SSL_free(a2);
    SSL_free(dup);
    SSL_free(b);
    SSL_free(c);
    SSL_free(d);
    X509_VERIFY_PARAM_free(other);
    SSL_CTX_free(ctx);
}

/* A setter whose copy of the shared block cannot be made must not leave the object running with
 * the setting unmade: SSL_set_verify returns nothing, so the SSL refuses its handshake
 * (ERR_R_MALLOC_FAILURE) instead of completing one without the verification it was asked for;
 * a context in the same state refuses SSL_new. */
static void test_lost_setting_fails_closed(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    CHECK(ctx != NULL);
    SSL *a = client(ctx), *b = client(ctx);
    CHECK(a != NULL && b != NULL);
    keel_test_fail_after(1);
    SSL_set_verify(a, SSL_VERIFY_PEER, NULL);
    keel_test_fail_after(0);
    CHECK(SSL_get_verify_mode(a) == SSL_VERIFY_NONE); /* not made */
    ERR_clear_error();
    CHECK(strcmp(negotiated(a), "") == 0);
    CHECK(negotiated(b)[0] != '\0'); /* the context's block is untouched */

    keel_test_fail_after(1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL); /* shared with b: must copy */
    keel_test_fail_after(0);
    ERR_clear_error();
    SSL *c = SSL_new(ctx);
    CHECK(c == NULL);
    CHECK(ERR_GET_REASON(ERR_get_error()) == ERR_R_MALLOC_FAILURE);
    SSL_free(a);
    SSL_free(b);
    SSL_CTX_free(ctx);
}

/* Every setter that writes the settings block, on an SSL (or context) that shares it, with the
 * block's copy made to fail: a clean 0 with a reason on the error stack (no crash), and the SSL
 * refusing its handshake / the context refusing SSL_new, as for SSL_set_verify above. The
 * certificate-slot setters are tried on a block that has a certificate. */
static keel_test_chain rsa_chain;
static char cert_file[64], key_file[64];
static unsigned char *leaf_der;
static int leaf_der_len;

static int set_cert(SSL *s) { return SSL_use_certificate(s, chain.leaf); }
static int set_key(SSL *s) { return SSL_use_PrivateKey(s, chain.leaf_key); }
static int set_cert_der(SSL *s) { return SSL_use_certificate_ASN1(s, leaf_der, leaf_der_len); }
static int set_cert_file(SSL *s) { return SSL_use_certificate_file(s, cert_file, SSL_FILETYPE_PEM); }
static int set_key_file(SSL *s) { return SSL_use_PrivateKey_file(s, key_file, SSL_FILETYPE_PEM); }
static int set_chain_file(SSL *s) { return SSL_use_certificate_chain_file(s, cert_file); }
static int set_cert_and_key(SSL *s) { return SSL_use_cert_and_key(s, chain.leaf, chain.leaf_key, NULL, 1); }
static RSA *rsa_key; /* made before the failure is armed: EVP_PKEY_get1_RSA allocates */
static int set_rsa(SSL *s) { return SSL_use_RSAPrivateKey(s, rsa_key); }
static int set_hint(SSL *s) { return SSL_use_psk_identity_hint(s, "hint"); }
static int set_store(SSL *s) { return (int)SSL_set1_verify_cert_store(s, SSL_CTX_get_cert_store(sctx)); }
static int set_select(SSL *s) { return (int)SSL_select_current_cert(s, chain.leaf); }
static int set_first(SSL *s) { return (int)SSL_set_current_cert(s, SSL_CERT_SET_FIRST); }
static int set_chain(SSL *s) { return (int)SSL_set1_chain(s, NULL); }
static int set_host(SSL *s) { return SSL_set1_host(s, "server.test"); }

static void test_failed_copy_every_setter(void)
{
    static const struct { const char *name; int (*set)(SSL *); } setters[] = {
        { "SSL_use_certificate", set_cert }, { "SSL_use_PrivateKey", set_key },
        { "SSL_use_certificate_ASN1", set_cert_der }, { "SSL_use_certificate_file", set_cert_file },
        { "SSL_use_PrivateKey_file", set_key_file }, { "SSL_use_certificate_chain_file", set_chain_file },
        { "SSL_use_cert_and_key", set_cert_and_key }, { "SSL_use_RSAPrivateKey", set_rsa },
        { "SSL_use_psk_identity_hint", set_hint }, { "SSL_set1_verify_cert_store", set_store },
        { "SSL_select_current_cert", set_select }, { "SSL_set_current_cert", set_first },
        { "SSL_set1_chain", set_chain }, { "SSL_set1_host", set_host },
    };
    FILE *f;
    int fd;

    CHECK(keel_test_make_chain(&rsa_chain, KT_RSA2048, "server.test", 30));
    CHECK((rsa_key = EVP_PKEY_get1_RSA(rsa_chain.leaf_key)) != NULL);
    CHECK((leaf_der_len = i2d_X509(chain.leaf, &leaf_der)) > 0);
    strcpy(cert_file, "/tmp/keel-share-cert-XXXXXX");
    strcpy(key_file, "/tmp/keel-share-key-XXXXXX");
    CHECK((fd = mkstemp(cert_file)) >= 0 && (f = fdopen(fd, "w")) != NULL);
    CHECK(PEM_write_X509(f, chain.leaf) == 1 && fclose(f) == 0);
    CHECK((fd = mkstemp(key_file)) >= 0 && (f = fdopen(fd, "w")) != NULL);
    CHECK(PEM_write_PrivateKey(f, chain.leaf_key, NULL, NULL, 0, NULL, NULL) == 1 && fclose(f) == 0);

    for (size_t i = 0; i < sizeof(setters) / sizeof(setters[0]); i++) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        CHECK(ctx != NULL && SSL_CTX_use_cert_and_key(ctx, chain.leaf, chain.leaf_key, NULL, 1) == 1);
        SSL *a = client(ctx), *b = client(ctx);
        CHECK(a != NULL && b != NULL);
        ERR_clear_error();
        keel_test_fail_after(1);
        int r = setters[i].set(a);
        keel_test_fail_after(0);
        if (r != 0 || ERR_peek_error() == 0) {
            fprintf(stderr, "    %s: %d with %s error after a failed copy\n", setters[i].name, r,
                    ERR_peek_error() == 0 ? "no" : "an");
            CHECK(!"a failed copy fails the setter with a reason");
        }
        ERR_clear_error();
        if (strcmp(negotiated(a), "") != 0) {
            fprintf(stderr, "    %s: the handshake went on after a failed copy\n", setters[i].name);
            CHECK(!"the SSL refuses its handshake");
        }
        SSL_free(a);
        SSL_free(b);
        SSL_CTX_free(ctx);
    }
    /* A context's setters go through the same functions; two of them, on a block an SSL shares. */
    for (int i = 0; i < 2; i++) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        CHECK(ctx != NULL);
        SSL *a = client(ctx);
        CHECK(a != NULL);
        ERR_clear_error();
        keel_test_fail_after(1);
        int r = i == 0 ? SSL_CTX_use_certificate(ctx, chain.leaf)
                       : SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM);
        keel_test_fail_after(0);
        CHECK(r == 0 && ERR_peek_error() != 0);
        ERR_clear_error();
        CHECK(SSL_new(ctx) == NULL);
        ERR_clear_error();
        SSL_free(a);
        SSL_CTX_free(ctx);
    }
    unlink(cert_file);
    unlink(key_file);
    OPENSSL_free(leaf_der);
    RSA_free(rsa_key);
    keel_test_chain_free(&rsa_chain);
}

int main(void)
{
    CHECK(keel_test_malloc_install());
    CHECK(keel_test_make_chain(&chain, KT_EC_P256, "server.test", 30));
    sctx = keel_test_server_ctx(&chain);
    CHECK(sctx != NULL);
    CHECK(SSL_CTX_set_cipher_list(sctx, S_AES128 ":" S_AES256 ":" S_CHACHA));
    test_cipher_list_sharing();
    test_switch_keeps_list();
    test_tls13_lists_sharing();
    test_block_sharing();
    test_cipher_stack();
    test_security_callback_owner();
    test_param_sharing();
    test_lost_setting_fails_closed();
    test_failed_copy_every_setter();
    SSL_CTX_free(sctx);
    keel_test_chain_free(&chain);
    return keel_test_finish("settings_share");
}
