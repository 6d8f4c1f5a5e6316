/* SSL_get_peer_cert_chain(3) on a server whose peer chain is replaced by post-handshake
 * authentication (RFC 8446 §4.6.2): the no-leaf view the server returns must always describe the
 * current chain and never point at certificates that were freed (issue #10 item 2; run under ASan
 * in make test). Each exchange sends a leaf and more intermediates than the context's cache of
 * decoded certificates holds, so the previous exchange's certificates are freed. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

#define EXTRA 9

static keel_test_chain srv;

/* A client identity: a leaf from its own CA and EXTRA unrelated certificates as its chain. */
typedef struct {
    keel_test_chain id;
    keel_test_chain junk[EXTRA];
} identity;

static void identity_make(identity *c, const char *name)
{
    char host[64];
    CHECK(keel_test_make_chain(&c->id, KT_EC_P256, name, 30));
    for (int i = 0; i < EXTRA; i++) {
        snprintf(host, sizeof(host), "%s-extra-%d", name, i);
        CHECK(keel_test_make_chain(&c->junk[i], KT_EC_P256, host, 30));
    }
}

static void identity_free(identity *c)
{
    keel_test_chain_free(&c->id);
    for (int i = 0; i < EXTRA; i++)
        keel_test_chain_free(&c->junk[i]);
}

static void identity_use(SSL *c, const identity *id)
{
    CHECK(SSL_use_certificate(c, id->id.leaf));
    CHECK(SSL_use_PrivateKey(c, id->id.leaf_key));
    CHECK(SSL_clear_chain_certs(c));
    for (int i = 0; i < EXTRA; i++)
        CHECK(SSL_add1_chain_cert(c, id->junk[i].leaf));
}

/* The client answers a pending CertificateRequest; the server reads the answer. */
static void authenticate(SSL *c, SSL *s)
{
    char buf[8];
    CHECK(SSL_verify_client_post_handshake(s));
    CHECK_EQ(SSL_do_handshake(s), 1);
    CHECK_EQ(SSL_read(c, buf, sizeof(buf)), -1); /* the answer goes out on the way */
    CHECK_EQ(SSL_get_error(c, -1), SSL_ERROR_WANT_READ);
    CHECK_EQ(SSL_write(c, "x", 1), 1);
    CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 1);
}

/* The server's view: no leaf, then the chain as the client sent it; every entry is read (a freed
 * one is an ASan report). */
static void check_view(SSL *s, const identity *id)
{
    STACK_OF(X509) *v = SSL_get_peer_cert_chain(s);
    CHECK(X509_cmp(SSL_get0_peer_certificate(s), id->id.leaf) == 0);
    CHECK(v != NULL && sk_X509_num(v) == EXTRA);
    for (int i = 0; v != NULL && i < sk_X509_num(v) && i < EXTRA; i++) {
        char name[256];
        X509_NAME_oneline(X509_get_subject_name(sk_X509_value(v, i)), name, sizeof(name));
        CHECK(X509_cmp(sk_X509_value(v, i), id->junk[i].leaf) == 0);
    }
}

int main(void)
{
    identity a, b;
    SSL *c, *s;

    CHECK(keel_test_make_chain(&srv, KT_EC_P256, "server.test", 30));
    identity_make(&a, "alice.test");
    identity_make(&b, "bob.test");
    SSL_CTX *sctx = keel_test_server_ctx(&srv), *cctx = keel_test_client_ctx(&srv);
    CHECK(sctx != NULL && cctx != NULL);
    CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx), a.id.ca));
    CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx), b.id.ca));
    SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_POST_HANDSHAKE, NULL);
    SSL_CTX_set_post_handshake_auth(cctx, 1);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    SSL_set1_host(c, "server.test");
    CHECK(keel_test_handshake(c, s));
    CHECK(SSL_get_peer_cert_chain(s) == NULL);

    identity_use(c, &a);
    authenticate(c, s);
    check_view(s, &a);

    /* A second exchange replaces the chain; the first exchange's certificates are freed. */
    identity_use(c, &b);
    authenticate(c, s);
    check_view(s, &b);

    /* And once more, the view taken before the change being dropped with it. */
    identity_use(c, &a);
    authenticate(c, s);
    check_view(s, &a);

    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    identity_free(&a);
    identity_free(&b);
    keel_test_chain_free(&srv);
    return keel_test_finish("api_peer_chain");
}
