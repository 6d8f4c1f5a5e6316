/* TLS 1.3 PSK offers meeting a HelloRetryRequest or no common group (issue #13 follow-ups, found
 * while recording fuzz seeds), keel client and keel server over a BIO pair:
 *  - an external PSK the server does not know, offered in a ClientHello the server answers with a
 *    HelloRetryRequest (its only group is not the client's key share), through
 *    SSL_CTX_set_psk_use_session_callback and the legacy SSL_CTX_set_psk_client_callback: a full
 *    handshake when the PSK fits the suite chosen, else the client's own internal_error;
 *  - psk_ke (RFC 8446 §4.2.9) when the client's only group (X448) is one the server lacks and both
 *    sides set SSL_OP_ALLOW_NO_DHE_KEX: no HelloRetryRequest is possible, the known PSK (external
 *    or a resumption) is used without (EC)DHE.
 * Public API only: built against the system libssl (with tests/util's testutil.c and tls.c,
 * -lssl -lcrypto) every check passes there too. */
#include "psk.h"

/* The client's and server's groups force a HelloRetryRequest: the key share is X25519, the
 * server takes only P-384. */
static void set_hrr_groups(SSL_CTX *cctx, SSL_CTX *sctx)
{
    CHECK(SSL_CTX_set1_groups_list(cctx, "X25519:X448:P-384"));
    CHECK(SSL_CTX_set1_groups_list(sctx, "P-384"));
}

/* A use-session callback that follows SSL_CTX_set_psk_use_session_callback(3): asked again with
 * the suite's md, it offers no PSK when its own does not have that hash. */
static int use_cb_md(SSL *s, const EVP_MD *md, const unsigned char **id, size_t *idlen, SSL_SESSION **sess)
{
    if (md != NULL && EVP_MD_get_type(md) != NID_sha256) {
        g.use_calls++;
        *sess = NULL;
        return 1;
    }
    return use_cb(s, md, id, idlen, sess);
}

/* Defect 1: an external PSK the server does not know (no callback, or one that answers
 * "unknown"), and a HelloRetryRequest. The PSK is SHA-256.
 *  - with the default suites the server (it has a certificate) picks TLS_AES_256_GCM_SHA384; the
 *    client, asked again after the HelloRetryRequest, gets the SHA-256 PSK back from a callback
 *    that ignores md (or from the legacy callback, always SHA-256) and cannot offer it in
 *    ClientHello 2 (RFC 8446 §4.1.4: the PSK must fit the suite the HelloRetryRequest chose):
 *    the CLIENT ends the handshake with internal_error and SSL_R_BAD_PSK, as OpenSSL 3.0 does —
 *    the server only receives that alert (SSL_R_TLSV1_ALERT_INTERNAL_ERROR), which is why it
 *    looked like "the server's internal_error with no reason";
 *  - with a SHA-256 suite chosen, or a callback that honours md, ClientHello 2 offers a PSK the
 *    server again does not take (or none), and the handshake completes as a full one. */
static void test_unknown_psk_hrr(void)
{
    keel_test_chain ch;
    CHECK(keel_test_make_chain(&ch, KT_EC_P256, "server.test", 30));
    for (int v = 0; v < 12; v++) {
        int legacy = v & 1, server_cbs = (v >> 1) & 1, mode = v >> 2; /* 0 SHA-384, 1 SHA-256, 2 md */
        if (legacy && mode == 2)
            continue;
        SSL_CTX *cctx = ctx_new(0, 0), *sctx = keel_test_server_ctx(&ch);
        SSL *c = NULL, *s = NULL;
        reset();
        g.client_identity = "stranger";
        SSL_CTX_set_info_callback(sctx, info_cb);
        if (legacy)
            SSL_CTX_set_psk_client_callback(cctx, client_cb);
        else
            SSL_CTX_set_psk_use_session_callback(cctx, mode == 2 ? use_cb_md : use_cb);
        if (server_cbs && legacy)
            SSL_CTX_set_psk_server_callback(sctx, server_cb);
        else if (server_cbs)
            SSL_CTX_set_psk_find_session_callback(sctx, find_cb);
        if (mode == 1)
            CHECK(SSL_CTX_set_ciphersuites(cctx, "TLS_AES_128_GCM_SHA256"));
        set_hrr_groups(cctx, sctx);
        int ok = run(cctx, sctx, &c, &s);
        CHECK_EQ(g.use_calls + g.client_calls, 2); /* asked for each ClientHello */
        if (mode == 0) {
            CHECK(!ok);
            CHECK_EQ(alert_at_server, SSL_AD_INTERNAL_ERROR);
            CHECK(has_reason(SSL_R_BAD_PSK));
            CHECK(has_reason(SSL_R_TLSV1_ALERT_INTERNAL_ERROR));
        } else {
            CHECK(ok);
            if (!ok)
                fprintf(stderr, "    v=%d: alert at client %d, at server %d\n", v, alert_at_client,
                        alert_at_server);
            CHECK(!SSL_session_reused(c) && !SSL_session_reused(s));
            CHECK(SSL_get0_peer_certificate(c) != NULL);
            EVP_PKEY *peer = NULL;
            CHECK(SSL_get_peer_tmp_key(c, &peer)); /* P-384, after the HelloRetryRequest */
            CHECK(peer != NULL && EVP_PKEY_get_bits(peer) == 384);
            EVP_PKEY_free(peer);
            if (ok) {
                char buf[8];
                CHECK_EQ(SSL_write(c, "ping", 4), 4);
                CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 4);
            }
        }
        done(cctx, sctx, c, s);
    }
    keel_test_chain_free(&ch);
}

/* Defect 3, external PSK: the client's only group is X448, the server lacks it. */
static void test_psk_ke_x448_external(void)
{
    SSL_CTX *cctx = ctx_new(0, 0), *sctx = ctx_new(1, 0);
    SSL *c = NULL, *s = NULL;

    reset();
    SSL_CTX_set_psk_use_session_callback(cctx, use_cb);
    SSL_CTX_set_psk_find_session_callback(sctx, find_cb);
    CHECK(SSL_CTX_set_ciphersuites(cctx, "TLS_AES_128_GCM_SHA256"));
    SSL_CTX_set_options(cctx, SSL_OP_ALLOW_NO_DHE_KEX);
    SSL_CTX_set_options(sctx, SSL_OP_ALLOW_NO_DHE_KEX);
    CHECK(SSL_CTX_set1_groups_list(cctx, "X448"));
    CHECK(SSL_CTX_set1_groups_list(sctx, "X25519:P-256"));
    int ok = run(cctx, sctx, &c, &s);
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "    alert at client %d, %d reasons, first %d\n", alert_at_client, nreasons,
                nreasons > 0 ? reasons[0] : 0);
    CHECK(SSL_session_reused(c) && SSL_session_reused(s));
    EVP_PKEY *peer = NULL;
    CHECK(!SSL_get_peer_tmp_key(c, &peer)); /* psk_ke: no (EC)DHE */
    EVP_PKEY_free(peer);
    CHECK_EQ(g.use_calls, 1); /* no HelloRetryRequest */
    if (ok) {
        char buf[8];
        CHECK_EQ(SSL_write(s, "pong", 4), 4);
        CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 4);
    }
    done(cctx, sctx, c, s);
}

/* Defect 3, resumption: a full handshake with common groups, then a resumption offered by a
 * client whose only group is X448. */
static void test_psk_ke_x448_resumption(void)
{
    keel_test_chain ch;
    CHECK(keel_test_make_chain(&ch, KT_EC_P256, "server.test", 30));
    SSL_CTX *sctx = keel_test_server_ctx(&ch), *cctx = keel_test_client_ctx(&ch);
    SSL *c = NULL, *s = NULL;
    SSL_SESSION *sess = NULL;
    char buf[8];

    SSL_CTX_set_options(cctx, SSL_OP_ALLOW_NO_DHE_KEX);
    SSL_CTX_set_options(sctx, SSL_OP_ALLOW_NO_DHE_KEX);
    CHECK(SSL_CTX_set1_groups_list(sctx, "X25519:P-256"));
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    /* the client reads the tickets along with the data */
    CHECK_EQ(SSL_write(s, "pong", 4), 4);
    CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 4);
    sess = SSL_get1_session(c);
    CHECK(sess != NULL && SSL_SESSION_is_resumable(sess));
    /* a clean close, or OpenSSL's server drops the session (SSL_free(3)) */
    SSL_shutdown(c);
    SSL_shutdown(s);
    SSL_free(c);
    SSL_free(s);

    CHECK(SSL_CTX_set1_groups_list(cctx, "X448"));
    SSL_CTX_set_info_callback(cctx, info_cb);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(SSL_set_session(c, sess));
    alert_at_client = -1;
    int ok = keel_test_handshake(c, s);
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "    alert at client %d\n", alert_at_client);
    CHECK(SSL_session_reused(c) && SSL_session_reused(s));
    EVP_PKEY *peer = NULL;
    CHECK(!SSL_get_peer_tmp_key(c, &peer));
    EVP_PKEY_free(peer);
    if (ok) {
        CHECK_EQ(SSL_write(c, "ping", 4), 4);
        CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 4);
    }
    SSL_SESSION_free(sess);
    done(cctx, sctx, c, s);
    keel_test_chain_free(&ch);
}

int main(void)
{
    test_unknown_psk_hrr();
    test_psk_ke_x448_external();
    test_psk_ke_x448_resumption();
    return keel_test_finish("psk_hrr");
}
