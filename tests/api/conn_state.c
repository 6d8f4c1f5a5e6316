/* Connection state as the application sees it (issue #11 items 2, 6, 7, 8), keel ↔ keel over a
 * BIO pair; tests/diff/state.c compares the same behaviours with the system libssl.
 *   - SSL_get_error(3): a stale error does not turn WANT_READ into SSL_ERROR_SSL when the state
 *     machine is entered; keel's own success paths leave the application's errors alone;
 *   - SSL_verify_client_post_handshake(3): SSL_write sends the pending CertificateRequest;
 *   - SSL_get_session(3): a TLS 1.3 client has a non-resumable session before a ticket arrives;
 *   - SSL_CTX_set_info_callback(3): HANDSHAKE_START once per handshake, however often a
 *     non-blocking server is called before the ClientHello arrives. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain ec, cli;

static int starts[2], dones[2];

static void count_cb(const SSL *s, int where, int ret)
{
    (void)ret;
    if (where & SSL_CB_HANDSHAKE_START)
        starts[SSL_is_server((SSL *)s)]++;
    if (where & SSL_CB_HANDSHAKE_DONE)
        dones[SSL_is_server((SSL *)s)]++;
}

static int make(SSL_CTX **cctx, SSL_CTX **sctx, SSL **c, SSL **s)
{
    *sctx = keel_test_server_ctx(&ec);
    *cctx = keel_test_client_ctx(&ec);
    if (*sctx == NULL || *cctx == NULL)
        return 0;
    return keel_test_pair(*cctx, *sctx, c, s);
}

static void drop(SSL_CTX *cctx, SSL_CTX *sctx, SSL *c, SSL *s)
{
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    ERR_clear_error();
}

static void stale(void)
{
    ERR_raise(ERR_LIB_SSL, SSL_R_UNKNOWN_COMMAND);
}

static void test_stale_error_at_entry(void)
{
    SSL_CTX *cctx, *sctx;
    SSL *c, *s;
    char b[8];

    CHECK(make(&cctx, &sctx, &c, &s));
    stale();
    int r = SSL_do_handshake(c);
    CHECK_EQ(SSL_get_error(c, r), SSL_ERROR_WANT_READ);
    CHECK_EQ(ERR_peek_last_error(), 0); /* cleared, not merely hidden */
    /* Two errors under a mark, the first already taken: what remains is cleared too (keel
     * clears only a non-empty queue). */
    ERR_set_mark();
    stale();
    stale();
    (void)ERR_get_error();
    stale();
    r = SSL_read(s, b, sizeof(b)); /* reads the ClientHello, answers, waits */
    CHECK_EQ(SSL_get_error(s, r), SSL_ERROR_WANT_READ);
    CHECK_EQ(ERR_peek_last_error(), 0);
    CHECK(keel_test_handshake(c, s));
    (void)SSL_read(c, b, sizeof(b));
    ERR_clear_error();
    /* A post-handshake message (KeyUpdate) is processed by the state machine: cleared too. */
    CHECK(SSL_key_update(c, SSL_KEY_UPDATE_NOT_REQUESTED));
    CHECK_EQ(SSL_do_handshake(c), 1);
    stale();
    r = SSL_read(s, b, sizeof(b));
    CHECK_EQ(SSL_get_error(s, r), SSL_ERROR_WANT_READ);
    drop(cctx, sctx, c, s);
}

/* An error the application queues during the handshake (here from its message callback, at the
 * server's EncryptedExtensions) is still there after a verification failure that SSL_VERIFY_NONE
 * lets pass: keel drops only what the verification raised itself. */
static void raise_at_ee(int write_p, int version, int type, const void *buf, size_t len, SSL *s, void *arg)
{
    (void)version; (void)s; (void)arg;
    if (!write_p && type == SSL3_RT_HANDSHAKE && len > 0
            && ((const unsigned char *)buf)[0] == SSL3_MT_ENCRYPTED_EXTENSIONS)
        ERR_raise(ERR_LIB_SSL, SSL_R_UNKNOWN_COMMAND);
}

static void test_app_error_kept(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = SSL_CTX_new(TLS_client_method());
    SSL *c, *s;

    CHECK(sctx != NULL && cctx != NULL && keel_test_pair(cctx, sctx, &c, &s));
    SSL_set_msg_callback(c, raise_at_ee);
    /* Driven by hand: the error queue is per thread, and each side's entry clears it. */
    CHECK_EQ(SSL_do_handshake(c), -1);
    CHECK_EQ(SSL_do_handshake(s), -1);
    CHECK_EQ(SSL_do_handshake(c), 1); /* EncryptedExtensions .. Finished, the chain verified */
    CHECK(SSL_get_verify_result(c) != X509_V_OK); /* nothing trusts the server's CA */
    CHECK_EQ(ERR_GET_REASON(ERR_peek_last_error()), SSL_R_UNKNOWN_COMMAND);
    drop(cctx, sctx, c, s);
}

/* SSL_CTX_use_certificate_chain_file succeeding leaves an earlier error of the application's
 * alone (its own end-of-file error is dropped under a mark). A deliberate difference: OpenSSL
 * 3.0 empties the whole queue here (probed), which issue #11 item 2 asks keel not to do. */
static void test_chain_file_keeps_error(void)
{
    const char *path = "conn_state_chain.pem";
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    CHECK(PEM_write_X509(f, ec.leaf) && PEM_write_X509(f, ec.ca));
    fclose(f);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    ERR_clear_error();
    ERR_raise(ERR_LIB_SSL, SSL_R_UNKNOWN_COMMAND);
    CHECK_EQ(SSL_CTX_use_certificate_chain_file(ctx, path), 1);
    CHECK_EQ(ERR_GET_REASON(ERR_peek_last_error()), SSL_R_UNKNOWN_COMMAND);
    ERR_clear_error();
    SSL_CTX_free(ctx);
    remove(path);
}

static void test_pha_through_write(void)
{
    SSL_CTX *cctx, *sctx;
    SSL *c, *s;
    char b[16];

    CHECK(make(&cctx, &sctx, &c, &s));
    CHECK(SSL_use_certificate(c, cli.leaf) && SSL_use_PrivateKey(c, cli.leaf_key));
    SSL_set_post_handshake_auth(c, 1);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx), cli.ca);
    CHECK(keel_test_handshake(c, s));
    (void)SSL_read(c, b, sizeof(b));
    CHECK(SSL_get0_peer_certificate(s) == NULL);
    SSL_set_verify(s, SSL_VERIFY_PEER, NULL);
    CHECK(SSL_verify_client_post_handshake(s));
    /* Only a write: it must carry the CertificateRequest (SSL_verify_client_post_handshake(3)). */
    CHECK_EQ(SSL_write(s, "response", 8), 8);
    CHECK_EQ(SSL_read(c, b, sizeof(b)), 8); /* the client answers while reading */
    int r = SSL_read(s, b, sizeof(b));
    CHECK_EQ(SSL_get_error(s, r), SSL_ERROR_WANT_READ);
    X509 *peer = SSL_get0_peer_certificate(s);
    CHECK(peer != NULL && X509_cmp(peer, cli.leaf) == 0);
    drop(cctx, sctx, c, s);
}

static void test_client_session(void)
{
    SSL_CTX *cctx, *sctx;
    SSL *c, *s;
    char b[8];

    for (int tickets = 0; tickets < 2; tickets++) {
        CHECK(make(&cctx, &sctx, &c, &s));
        SSL_set_num_tickets(s, (size_t)tickets);
        CHECK(keel_test_handshake(c, s));
        SSL_SESSION *ss = SSL_get_session(c);
        CHECK(ss != NULL && SSL_get0_session(c) == ss);
        SSL_SESSION *s1 = SSL_get1_session(c);
        CHECK(s1 == ss);
        SSL_SESSION_free(s1);
        CHECK_EQ(SSL_SESSION_is_resumable(ss), 0);
        CHECK_EQ(SSL_SESSION_get_protocol_version(ss), TLS1_3_VERSION);
        CHECK(SSL_SESSION_get0_cipher(ss) == SSL_get_current_cipher(c));
        CHECK(SSL_SESSION_get0_peer(ss) != NULL);
        CHECK(!SSL_SESSION_has_ticket(ss));
        (void)SSL_read(c, b, sizeof(b));
        ss = SSL_get_session(c);
        CHECK(ss != NULL);
        CHECK_EQ(SSL_SESSION_is_resumable(ss), tickets > 0);
        if (tickets > 0) {
            /* ... and the ticket's session resumes. */
            SSL_SESSION *keep = SSL_get1_session(c);
            SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
            SSL_free(c);
            SSL_free(s);
            CHECK(keel_test_pair(cctx, sctx, &c, &s) && SSL_set_session(c, keep));
            CHECK(keel_test_handshake(c, s));
            CHECK(SSL_session_reused(c));
            SSL_SESSION_free(keep);
        }
        drop(cctx, sctx, c, s);
    }
}

static void test_handshake_start_once(void)
{
    SSL_CTX *cctx, *sctx;
    SSL *c, *s;
    char b[8];

    CHECK(make(&cctx, &sctx, &c, &s));
    SSL_CTX_set_info_callback(sctx, count_cb);
    SSL_CTX_set_info_callback(cctx, count_cb);
    memset(starts, 0, sizeof(starts));
    memset(dones, 0, sizeof(dones));
    for (int i = 0; i < 3; i++) {
        int r = SSL_do_handshake(s);
        CHECK_EQ(SSL_get_error(s, r), SSL_ERROR_WANT_READ);
        r = SSL_read(s, b, sizeof(b));
        CHECK_EQ(SSL_get_error(s, r), SSL_ERROR_WANT_READ);
    }
    CHECK(keel_test_handshake(c, s));
    (void)SSL_read(c, b, sizeof(b));
    CHECK_EQ(starts[1], 1);
    CHECK_EQ(starts[0], 1);
    CHECK_EQ(dones[1], 1);
    CHECK_EQ(dones[0], 1);
    drop(cctx, sctx, c, s);
}

int main(void)
{
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    CHECK(keel_test_make_chain(&cli, KT_EC_P256, "client.test", 30));
    test_stale_error_at_entry();
    test_app_error_kept();
    test_chain_file_keeps_error();
    test_pha_through_write();
    test_client_session();
    test_handshake_start_once();
    keel_test_chain_free(&ec);
    keel_test_chain_free(&cli);
    return keel_test_finish("conn_state");
}
