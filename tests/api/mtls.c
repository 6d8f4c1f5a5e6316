/* Client certificates keel <-> keel (RFC 8446 §4.3.2, §4.4.2, §4.6.2): mutual TLS with each key
 * type, the verify-mode flags, certificate_authorities, the client certificate and cert callbacks,
 * post-handshake authentication, resumed sessions keeping the client's identity, and tickets
 * sealed by an application's SSL_CTX_set_tlsext_ticket_key_evp_cb. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain srv;

/* A server requiring (or requesting) a client certificate from `cli`'s CA. */
static SSL_CTX *server_ctx(const keel_test_chain *cli, int mode)
{
    SSL_CTX *ctx = keel_test_server_ctx(&srv);
    CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cli->ca));
    SSL_CTX_set_verify(ctx, mode, NULL);
    /* verifying peers, resumption needs a session id context (OpenSSL ends the handshake) */
    CHECK(SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"mtls", 4));
    return ctx;
}

static SSL_CTX *client_ctx(const keel_test_chain *cli)
{
    SSL_CTX *ctx = keel_test_client_ctx(&srv);
    if (cli != NULL) {
        CHECK(SSL_CTX_use_certificate(ctx, cli->leaf));
        CHECK(SSL_CTX_use_PrivateKey(ctx, cli->leaf_key));
    }
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

/* The reason for the last error, or 0. */
static int last_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    return e == 0 ? 0 : ERR_GET_REASON(e);
}

static void test_mutual(int type)
{
    keel_test_chain cli;
    CHECK(keel_test_make_chain(&cli, type, "client.test", 30));
    SSL_CTX *sctx = server_ctx(&cli, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    SSL_CTX *cctx = client_ctx(&cli);
    SSL *c, *s;
    CHECK(pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    CHECK(SSL_get0_peer_certificate(s) != NULL
          && X509_cmp(SSL_get0_peer_certificate(s), cli.leaf) == 0);
    CHECK_EQ(SSL_get_verify_result(s), X509_V_OK);
    CHECK(SSL_get0_verified_chain(s) != NULL && sk_X509_num(SSL_get0_verified_chain(s)) == 2);
    /* A server's peer chain leaves the leaf out (SSL_get_peer_cert_chain(3)). */
    CHECK(SSL_get_peer_cert_chain(s) != NULL && sk_X509_num(SSL_get_peer_cert_chain(s)) == 0);
    CHECK_EQ(SSL_write(c, "hi", 2), 2);
    char buf[4];
    CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 2);
    keel_test_free_pair(c, s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    keel_test_chain_free(&cli);
}

/* No client certificate: fine with SSL_VERIFY_PEER alone, certificate_required with
 * FAIL_IF_NO_PEER_CERT; an untrusted one: unknown_ca. */
static void test_missing_and_untrusted(void)
{
    keel_test_chain cli, other;
    CHECK(keel_test_make_chain(&cli, KT_EC_P256, "client.test", 30));
    CHECK(keel_test_make_chain(&other, KT_EC_P256, "client.test", 30));
    char buf[4];
    SSL *c, *s;

    SSL_CTX *sctx = server_ctx(&cli, SSL_VERIFY_PEER);
    SSL_CTX *cctx = client_ctx(NULL);
    CHECK(pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    CHECK(SSL_get0_peer_certificate(s) == NULL);
    keel_test_free_pair(c, s);
    SSL_CTX_free(sctx);

    sctx = server_ctx(&cli, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    CHECK(pair(cctx, sctx, &c, &s));
    CHECK(!keel_test_handshake(c, s));
    CHECK_EQ(last_reason(), SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE);
    ERR_clear_error();
    CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 0); /* the peer's fatal alert: 0, as OpenSSL 3.0 */
    CHECK_EQ(last_reason(), SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED);
    ERR_clear_error();
    keel_test_free_pair(c, s);
    SSL_CTX_free(cctx);

    /* A certificate from another CA of the same name: its signature does not verify. */
    cctx = client_ctx(&other);
    CHECK(pair(cctx, sctx, &c, &s));
    CHECK(!keel_test_handshake(c, s));
    CHECK_EQ(last_reason(), SSL_R_CERTIFICATE_VERIFY_FAILED);
    CHECK_EQ(SSL_get_verify_result(s), X509_V_ERR_CERT_SIGNATURE_FAILURE);
    ERR_clear_error();
    CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 0); /* the peer's fatal alert: 0, as OpenSSL 3.0 */
    CHECK_EQ(last_reason(), SSL_R_TLSV1_ALERT_DECRYPT_ERROR);
    ERR_clear_error();
    keel_test_free_pair(c, s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    keel_test_chain_free(&cli);
    keel_test_chain_free(&other);
}

/* ---- callbacks ---- */

static keel_test_chain *cb_chain;
static int cb_calls, cb_retry_first, cert_cb_calls, cb_saw_ca_names;

static int client_cert_cb(SSL *ssl, X509 **x, EVP_PKEY **pkey)
{
    cb_calls++;
    const STACK_OF(X509_NAME) *names = SSL_get0_peer_CA_list(ssl);
    cb_saw_ca_names = names != NULL && sk_X509_NAME_num(names) == 1
        && X509_NAME_cmp(sk_X509_NAME_value(names, 0), X509_get_subject_name(cb_chain->ca)) == 0
        && SSL_get_client_CA_list(ssl) == names;
    if (cb_retry_first && cb_calls == 1)
        return -1;
    X509_up_ref(cb_chain->leaf);
    EVP_PKEY_up_ref(cb_chain->leaf_key);
    *x = cb_chain->leaf;
    *pkey = cb_chain->leaf_key;
    return 1;
}

static int cert_cb(SSL *ssl, void *arg)
{
    cert_cb_calls++;
    return *(int *)arg;
}

static void test_callbacks(void)
{
    keel_test_chain cli;
    CHECK(keel_test_make_chain(&cli, KT_ED25519, "client.test", 30));
    cb_chain = &cli;
    SSL_CTX *sctx = server_ctx(&cli, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    CHECK(SSL_CTX_add_client_CA(sctx, cli.ca));
    SSL_CTX *cctx = client_ctx(NULL);
    SSL_CTX_set_client_cert_cb(cctx, client_cert_cb);
    int cert_cb_result = 1;
    SSL_CTX_set_cert_cb(cctx, cert_cb, &cert_cb_result);
    SSL *c, *s;

    /* The callback supplies the certificate; the server's CA names reached it. */
    cb_calls = cert_cb_calls = cb_saw_ca_names = cb_retry_first = 0;
    CHECK(pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(cb_calls, 1);
    CHECK_EQ(cert_cb_calls, 1);
    CHECK(cb_saw_ca_names);
    CHECK(SSL_get0_peer_certificate(s) != NULL && X509_cmp(SSL_get0_peer_certificate(s), cli.leaf) == 0);
    keel_test_free_pair(c, s);

    /* -1: the handshake pauses with SSL_ERROR_WANT_X509_LOOKUP and resumes on the next call. */
    cb_calls = cert_cb_calls = 0;
    cb_retry_first = 1;
    CHECK(pair(cctx, sctx, &c, &s));
    int saw_lookup = 0, cdone = 0, sdone = 0;
    for (int i = 0; i < 50 && !(cdone && sdone); i++) {
        int r;
        if (!cdone && (r = SSL_do_handshake(c)) == 1)
            cdone = 1;
        else if (!cdone && SSL_get_error(c, r) == SSL_ERROR_WANT_X509_LOOKUP)
            saw_lookup++;
        if (!sdone && SSL_do_handshake(s) == 1)
            sdone = 1;
    }
    CHECK(cdone && sdone);
    CHECK_EQ(saw_lookup, 1);
    CHECK_EQ(cb_calls, 2);
    CHECK(SSL_get0_peer_certificate(s) != NULL);
    keel_test_free_pair(c, s);

    /* A cert callback reporting failure ends the handshake. */
    cert_cb_result = 0;
    CHECK(pair(cctx, sctx, &c, &s));
    CHECK(!keel_test_handshake(c, s));
    CHECK_EQ(ERR_GET_REASON(ERR_peek_error()), SSL_R_CERT_CB_ERROR);
    ERR_clear_error();
    keel_test_free_pair(c, s);

    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    keel_test_chain_free(&cli);
}

/* ---- post-handshake authentication ---- */

/* Runs one read on each side so the post-handshake messages travel; returns the server's
 * SSL_read result. */
static int exchange(SSL *c, SSL *s)
{
    char buf[8];
    int r = SSL_read(c, buf, sizeof(buf));
    CHECK(r == -1 && SSL_get_error(c, r) == SSL_ERROR_WANT_READ);
    return SSL_read(s, buf, sizeof(buf));
}

static void test_post_handshake(void)
{
    keel_test_chain cli;
    CHECK(keel_test_make_chain(&cli, KT_EC_P384, "client.test", 30));
    SSL_CTX *sctx = server_ctx(&cli, SSL_VERIFY_PEER | SSL_VERIFY_POST_HANDSHAKE);
    SSL_CTX *cctx = client_ctx(&cli);
    SSL *c, *s;
    char buf[8];

    /* Without the client's post_handshake_auth extension the server may not ask. */
    CHECK(pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    CHECK(SSL_get0_peer_certificate(s) == NULL); /* not asked during the handshake */
    CHECK(!SSL_verify_client_post_handshake(s));
    CHECK_EQ(ERR_GET_REASON(ERR_get_error()), SSL_R_EXTENSION_NOT_RECEIVED);
    CHECK(!SSL_verify_client_post_handshake(c));
    CHECK_EQ(ERR_GET_REASON(ERR_get_error()), SSL_R_NOT_SERVER);
    keel_test_free_pair(c, s);

    SSL_CTX_set_post_handshake_auth(cctx, 1);
    for (int round = 0; round < 2; round++) {
        CHECK(pair(cctx, sctx, &c, &s));
        CHECK(keel_test_handshake(c, s));
        CHECK(SSL_verify_client_post_handshake(s));
        CHECK(!SSL_verify_client_post_handshake(s));
        /* A pending request counts as in init, as in OpenSSL 3.0 (tests/diff/errcodes.c). */
        CHECK_EQ(ERR_GET_REASON(ERR_get_error()), SSL_R_STILL_IN_INIT);
        CHECK_EQ(SSL_do_handshake(s), 1); /* sends the CertificateRequest */
        if (round == 1) /* data in flight in both directions around the exchange */
            CHECK_EQ(SSL_write(s, "srv", 3), 3);
        CHECK(!SSL_verify_client_post_handshake(s));
        CHECK_EQ(ERR_GET_REASON(ERR_get_error()), SSL_R_REQUEST_SENT);
        if (round == 1) {
            CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 3); /* the answer is sent on the way */
            CHECK_EQ(SSL_write(c, "cli", 3), 3);
            CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 3);
        } else {
            int r = exchange(c, s);
            CHECK(r == -1 && SSL_get_error(s, r) == SSL_ERROR_WANT_READ);
        }
        CHECK(SSL_get0_peer_certificate(s) != NULL
              && X509_cmp(SSL_get0_peer_certificate(s), cli.leaf) == 0);
        CHECK_EQ(SSL_get_verify_result(s), X509_V_OK);
        /* The session now names the client too. */
        CHECK(SSL_get_session(s) != NULL && SSL_SESSION_get0_peer(SSL_get_session(s)) != NULL
              && X509_cmp(SSL_SESSION_get0_peer(SSL_get_session(s)), cli.leaf) == 0);
        /* A second request on the same connection works as well (fresh context). */
        CHECK(SSL_verify_client_post_handshake(s));
        CHECK_EQ(SSL_do_handshake(s), 1);
        int r = exchange(c, s);
        CHECK(r == -1 && SSL_get_error(s, r) == SSL_ERROR_WANT_READ);
        CHECK_EQ(SSL_write(c, "ok", 2), 2);
        CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 2);
        keel_test_free_pair(c, s);
    }

    /* A client without a certificate fails a request that requires one. */
    SSL_CTX *bare = client_ctx(NULL);
    SSL_CTX_set_post_handshake_auth(bare, 1);
    SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_POST_HANDSHAKE | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    CHECK(pair(bare, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    CHECK(SSL_verify_client_post_handshake(s));
    CHECK_EQ(SSL_do_handshake(s), 1);
    CHECK_EQ(exchange(c, s), -1);
    CHECK_EQ(SSL_get_error(s, -1), SSL_ERROR_SSL);
    CHECK_EQ(last_reason(), SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE);
    ERR_clear_error();
    CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 0); /* the peer's fatal alert: 0, as OpenSSL 3.0 */
    CHECK_EQ(last_reason(), SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED);
    ERR_clear_error();
    keel_test_free_pair(c, s);
    SSL_CTX_free(bare);

    /* SSL_VERIFY_CLIENT_ONCE: a certificate asked for in the handshake is not asked for again. */
    SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, NULL);
    CHECK(pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    CHECK(SSL_get0_peer_certificate(s) != NULL);
    CHECK(!SSL_verify_client_post_handshake(s));
    CHECK_EQ(ERR_GET_REASON(ERR_get_error()), SSL_R_INVALID_CONFIG);
    keel_test_free_pair(c, s);

    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    keel_test_chain_free(&cli);
}

/* ---- resumption keeps the client's identity; tickets sealed by the application ---- */

static int ticket_cb_calls[2], ticket_cb_decline;
static unsigned char app_key[32], app_mac_key[32];

static int ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *ctx,
                     EVP_MAC_CTX *hctx, int enc)
{
    OSSL_PARAM params[3];
    ticket_cb_calls[enc ? 1 : 0]++;
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, app_mac_key, sizeof(app_mac_key));
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
    params[2] = OSSL_PARAM_construct_end();
    if (enc) {
        memset(name, 'k', 16);
        memset(iv, 0x42, 16);
        return EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, app_key, iv)
            && EVP_MAC_CTX_set_params(hctx, params) ? 1 : -1;
    }
    if (ticket_cb_decline || name[0] != 'k')
        return 0;
    return EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, app_key, iv)
        && EVP_MAC_CTX_set_params(hctx, params) ? 1 : -1;
}

static SSL_SESSION *resume(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *offer, int *reused, X509 **peer)
{
    SSL *c, *s;
    char buf[8];
    SSL_SESSION *got = NULL;
    *reused = -1;
    if (!pair(cctx, sctx, &c, &s))
        return NULL;
    if (offer != NULL)
        SSL_set_session(c, offer);
    if (keel_test_handshake(c, s)) {
        *reused = SSL_session_reused(s);
        *peer = SSL_get1_peer_certificate(s);
        int r = SSL_read(c, buf, sizeof(buf));
        CHECK_EQ(SSL_get_error(c, r), SSL_ERROR_WANT_READ);
        got = SSL_get1_session(c);
    }
    keel_test_free_pair(c, s);
    return got;
}

static void test_resumption(void)
{
    keel_test_chain cli;
    CHECK(keel_test_make_chain(&cli, KT_EC_P256, "client.test", 30));
    SSL_CTX *sctx = server_ctx(&cli, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    SSL_CTX *cctx = client_ctx(&cli);
    int reused;
    X509 *peer = NULL;

    for (int with_cb = 0; with_cb < 2; with_cb++) {
        if (with_cb) {
            memset(app_key, 7, sizeof(app_key));
            memset(app_mac_key, 9, sizeof(app_mac_key));
            CHECK(SSL_CTX_set_tlsext_ticket_key_evp_cb(sctx, ticket_cb));
        }
        ticket_cb_calls[0] = ticket_cb_calls[1] = 0;
        SSL_SESSION *first = resume(cctx, sctx, NULL, &reused, &peer);
        CHECK(first != NULL && reused == 0);
        X509_free(peer);
        peer = NULL;
        SSL_SESSION *second = resume(cctx, sctx, first, &reused, &peer);
        CHECK_EQ(reused, 1);
        /* The resumed server still knows who the client is. */
        CHECK(peer != NULL && X509_cmp(peer, cli.leaf) == 0);
        X509_free(peer);
        peer = NULL;
        if (with_cb) {
            /* Two tickets after the full handshake, one after the resumption
             * (SSL_CTX_set_num_tickets(3): never more than 1 following a resumption). */
            CHECK_EQ(ticket_cb_calls[1], 3);
            CHECK_EQ(ticket_cb_calls[0], 1);
            /* The application no longer knows the key: a full handshake, not a failure. */
            ticket_cb_decline = 1;
            SSL_SESSION *third = resume(cctx, sctx, second, &reused, &peer);
            CHECK(third != NULL);
            CHECK_EQ(reused, 0);
            X509_free(peer);
            peer = NULL;
            SSL_SESSION_free(third);
            ticket_cb_decline = 0;
        }
        SSL_SESSION_free(first);
        SSL_SESSION_free(second);
    }
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    keel_test_chain_free(&cli);
}

int main(void)
{
    CHECK(keel_test_make_chain(&srv, KT_EC_P256, "server.test", 30));
    test_mutual(KT_EC_P256);
    test_mutual(KT_EC_P384);
    test_mutual(KT_RSA2048);
    test_mutual(KT_ED25519);
    test_mutual(KT_ED448);
    test_missing_and_untrusted();
    test_callbacks();
    test_post_handshake();
    test_resumption();
    keel_test_chain_free(&srv);
    return keel_test_finish("mtls");
}
