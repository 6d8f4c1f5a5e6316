/* Functions docs/COMPAT.md lists as implemented that no test exercised yet: SSL_CTX_new_ex in a
 * library context of its own, SSL_clear (a cleared SSL completes a new handshake), SSL_group_to_name
 * on the negotiated group, SSL_load_client_CA_file. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain ec;

static void test_new_ex(void)
{
    OSSL_LIB_CTX *lc = OSSL_LIB_CTX_new();
    CHECK(lc != NULL);
    SSL_CTX *sctx = SSL_CTX_new_ex(lc, NULL, TLS_server_method());
    SSL_CTX *cctx = SSL_CTX_new_ex(lc, NULL, TLS_client_method());
    CHECK(sctx != NULL && cctx != NULL);
    if (sctx == NULL || cctx == NULL)
        goto out;
    CHECK(keel_test_server_setup(sctx, &ec) && keel_test_client_setup(cctx, &ec));
    SSL *c, *s;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(SSL_set1_host(c, "server.test"));
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_get_verify_result(c), X509_V_OK);
    SSL_free(c);
    SSL_free(s);
out:
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    OSSL_LIB_CTX_free(lc);
}

/* SSL_clear(3): the SSL keeps its settings, loses its connection and can handshake again. */
static void test_clear(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    SSL *c, *s;
    char buf[4];
    BIO *cb, *sb;

    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(SSL_set1_host(c, "server.test"));
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_write(c, "one", 3), 3);
    CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 3);
    CHECK(!SSL_in_before(c) && SSL_is_init_finished(c));

    /* Closed properly: without close_notify SSL_clear drops the session as SSL_free would
     * (tests/diff/misc16.c). */
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    CHECK_EQ(SSL_clear(c), 1);
    CHECK_EQ(SSL_clear(s), 1);
    CHECK(SSL_in_before(c) && SSL_in_before(s));
    /* OpenSSL 3.0 keeps the session through SSL_clear, and with it the peer certificate
     * (tests/diff/lifecycle.c). */
    CHECK(SSL_get0_peer_certificate(c) != NULL);
    CHECK_EQ(SSL_is_server(s), 1);
    CHECK_EQ(SSL_is_server(c), 0);
    CHECK(BIO_new_bio_pair(&cb, 0, &sb, 0));
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    CHECK(keel_test_handshake(c, s)); /* host name and verification settings were kept */
    CHECK_EQ(SSL_get_verify_result(c), X509_V_OK);
    CHECK(SSL_get0_peer_certificate(c) != NULL);
    CHECK_EQ(SSL_write(s, "two", 3), 3);
    CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 3);
    CHECK(memcmp(buf, "two", 3) == 0);

    /* SSL_group_to_name(3) on what SSL_get_negotiated_group reports (X25519 is the default). */
    const char *g = SSL_group_to_name(c, SSL_get_negotiated_group(c));
    CHECK(g != NULL && strcmp(g, "x25519") == 0);
    CHECK(SSL_group_to_name(c, TLSEXT_nid_unknown | 0xfefe) == NULL);
    ERR_clear_error();

    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_load_client_ca_file(void)
{
    char path[] = "/tmp/keel-claims-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "w");
    CHECK(f != NULL && PEM_write_X509(f, ec.ca) && PEM_write_X509(f, ec.leaf));
    fclose(f);
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(path);
    CHECK(names != NULL && sk_X509_NAME_num(names) == 2);
    if (names != NULL && sk_X509_NAME_num(names) == 2) {
        CHECK(X509_NAME_cmp(sk_X509_NAME_value(names, 0), X509_get_subject_name(ec.ca)) == 0);
        CHECK(X509_NAME_cmp(sk_X509_NAME_value(names, 1), X509_get_subject_name(ec.leaf)) == 0);
    }
    sk_X509_NAME_pop_free(names, X509_NAME_free);
    unlink(path);
    CHECK(SSL_load_client_CA_file(path) == NULL); /* gone: NULL with an error */
    CHECK(ERR_peek_error() != 0);
    ERR_clear_error();
}

int main(void)
{
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    test_new_ex();
    test_clear();
    test_load_client_ca_file();
    keel_test_chain_free(&ec);
    return keel_test_finish("claims");
}
