/* TLS 1.3 pre-shared keys through the public API, keel client and keel server over a BIO pair
 * (SSL_CTX_set_psk_use_session_callback(3), SSL_CTX_set_psk_find_session_callback(3),
 * SSL_CTX_set_psk_client_callback(3) in TLS 1.3): external PSKs from sessions and from the legacy
 * callbacks, the per-SSL setters, a HelloRetryRequest, psk_ke with SSL_OP_ALLOW_NO_DHE_KEX, wrong
 * keys, unknown identities, a failing callback, the session id context rule. TLS 1.2's PSK suites
 * are tests/api/psk12.c. Public API only: built against the system libssl (with tests/util's
 * testutil.c and tls.c, -lssl -lcrypto) every check passes there too; the one marked KEEL_DIFF
 * accepts either alert (a wrong binder: keel sends decrypt_error as RFC 8446 §6.2 says, OpenSSL
 * 3.0 illegal_parameter). */
#include "psk.h"

/* ---- TLS 1.3 ---- */

/* External PSKs as sessions: the client's callback gives one (md NULL on the first call), the
 * server's finds it by identity; no certificate anywhere (RFC 8446 §2.2), reported as a reuse. */
static void test13_sessions(void)
{
    SSL_CTX *cctx = ctx_new(0, 0), *sctx = ctx_new(1, 0);
    SSL *c = NULL, *s = NULL;

    reset();
    SSL_CTX_set_psk_use_session_callback(cctx, use_cb);
    SSL_CTX_set_psk_find_session_callback(sctx, find_cb);
    /* A SHA-256 PSK: the server chooses the suite first (the client's TLS_AES_256_GCM_SHA384), so
     * only a SHA-256 suite list lets it be used. */
    CHECK(SSL_CTX_set_ciphersuites(cctx, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"));
    CHECK(run(cctx, sctx, &c, &s));
    CHECK_EQ(SSL_version(c), TLS1_3_VERSION);
    CHECK(SSL_session_reused(c) && SSL_session_reused(s));
    CHECK(SSL_get0_peer_certificate(c) == NULL);
    CHECK_EQ(g.use_calls, 1);
    CHECK(g.md_seen[0] == NULL);
    CHECK_EQ(g.find_calls, 1);
    CHECK_EQ(g.client_calls + g.server_calls, 0);
    CHECK_EQ(hash_nid(c), NID_sha256);
    /* Data flows under the PSK's keys. */
    char buf[8];
    CHECK_EQ(SSL_write(c, "ping", 4), 4);
    CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 4);
    done(cctx, sctx, c, s);

    /* The same with the default suites and a SHA-384 PSK. */
    cctx = ctx_new(0, 0);
    sctx = ctx_new(1, 0);
    reset();
    g.session_cipher = "TLS_AES_256_GCM_SHA384";
    SSL_CTX_set_psk_use_session_callback(cctx, use_cb);
    SSL_CTX_set_psk_find_session_callback(sctx, find_cb);
    CHECK(run(cctx, sctx, &c, &s));
    CHECK(SSL_session_reused(s));
    CHECK_EQ(hash_nid(s), NID_sha384);
    done(cctx, sctx, c, s);

    /* A SHA-256 PSK against the default suites: the server takes TLS_AES_256_GCM_SHA384, the PSK
     * does not fit, and without a certificate the full handshake fails. */
    cctx = ctx_new(0, 0);
    sctx = ctx_new(1, 0);
    reset();
    SSL_CTX_set_psk_use_session_callback(cctx, use_cb);
    SSL_CTX_set_psk_find_session_callback(sctx, find_cb);
    CHECK(!run(cctx, sctx, &c, &s));
    CHECK_EQ(alert_at_client, SSL_AD_HANDSHAKE_FAILURE);
    done(cctx, sctx, c, s);
}

/* The per-SSL setters: one SSL's callbacks, the context's left alone (its next SSL has none). */
static void test13_ssl_setters(void)
{
    SSL_CTX *cctx = ctx_new(0, 0), *sctx = ctx_new(1, 0);
    SSL *c = NULL, *s = NULL;

    reset();
    CHECK(SSL_CTX_set_ciphersuites(cctx, "TLS_AES_128_GCM_SHA256"));
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    SSL_set_psk_use_session_callback(c, use_cb);
    SSL_set_psk_find_session_callback(s, find_cb);
    CHECK(keel_test_handshake(c, s));
    CHECK(SSL_session_reused(c) && SSL_session_reused(s));
    CHECK_EQ(g.use_calls, 1);
    CHECK_EQ(g.find_calls, 1);
    SSL_free(c);
    SSL_free(s);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(!keel_test_handshake(c, s)); /* no PSK and no certificate */
    CHECK_EQ(g.use_calls, 1);
    done(cctx, sctx, c, s);
}

/* After a HelloRetryRequest the use-session callback is asked again, with the suite's hash. */
static void test13_hrr(void)
{
    SSL_CTX *cctx = ctx_new(0, 0), *sctx = ctx_new(1, 0);
    SSL *c = NULL, *s = NULL;

    reset();
    SSL_CTX_set_psk_use_session_callback(cctx, use_cb);
    SSL_CTX_set_psk_find_session_callback(sctx, find_cb);
    CHECK(SSL_CTX_set_ciphersuites(cctx, "TLS_AES_128_GCM_SHA256"));
    CHECK(SSL_CTX_set1_groups_list(cctx, "X25519:P-256"));
    CHECK(SSL_CTX_set1_groups_list(sctx, "P-256"));
    CHECK(run(cctx, sctx, &c, &s));
    CHECK(SSL_session_reused(c) && SSL_session_reused(s));
    CHECK_EQ(g.use_calls, 2);
    CHECK(g.md_seen[0] == NULL);
    CHECK(g.md_seen[1] != NULL && EVP_MD_get_type(g.md_seen[1]) == NID_sha256);
    done(cctx, sctx, c, s);
}

/* The legacy callbacks in TLS 1.3: no hint, SHA-256; a server with no certificate prefers a
 * SHA-256 suite, so the client's default list works. */
static void test13_legacy(void)
{
    SSL_CTX *cctx = ctx_new(0, 0), *sctx = ctx_new(1, 0);
    SSL *c = NULL, *s = NULL;

    reset();
    SSL_CTX_set_psk_client_callback(cctx, client_cb);
    SSL_CTX_set_psk_server_callback(sctx, server_cb);
    CHECK(run(cctx, sctx, &c, &s));
    CHECK_EQ(SSL_version(c), TLS1_3_VERSION);
    CHECK(SSL_session_reused(c) && SSL_session_reused(s));
    CHECK_EQ(hash_nid(c), NID_sha256);
    CHECK_EQ(g.client_calls, 1);
    CHECK(strcmp(g.hint_seen, "(null)") == 0);
    CHECK_EQ(g.max_identity_len, PSK_MAX_IDENTITY_LEN);
    CHECK_EQ(g.max_psk_len, PSK_MAX_PSK_LEN);
    CHECK_EQ(g.server_calls, 1);
    CHECK(strcmp(g.identity_seen, "client1") == 0);
    done(cctx, sctx, c, s);

    /* A wrong key: the binder does not verify. */
    cctx = ctx_new(0, 0);
    sctx = ctx_new(1, 0);
    reset();
    g.client_key = key2;
    SSL_CTX_set_psk_client_callback(cctx, client_cb);
    SSL_CTX_set_psk_server_callback(sctx, server_cb);
    CHECK(!run(cctx, sctx, &c, &s));
    CHECK(alert_at_client == SSL_AD_DECRYPT_ERROR /* KEEL_DIFF */ || alert_at_client == SSL_AD_ILLEGAL_PARAMETER);
    CHECK(has_reason(SSL_R_BINDER_DOES_NOT_VERIFY));
    done(cctx, sctx, c, s);

    /* An unknown identity (the server callback answers 0): a full handshake, which a server
     * without a certificate cannot do. */
    cctx = ctx_new(0, 0);
    sctx = ctx_new(1, 0);
    reset();
    g.client_identity = "stranger";
    SSL_CTX_set_psk_client_callback(cctx, client_cb);
    SSL_CTX_set_psk_server_callback(sctx, server_cb);
    CHECK(!run(cctx, sctx, &c, &s));
    CHECK_EQ(alert_at_client, SSL_AD_HANDSHAKE_FAILURE);
    CHECK(strcmp(g.identity_seen, "stranger") == 0);
    done(cctx, sctx, c, s);

    /* The same with a certificate: the full handshake it falls back to succeeds. */
    keel_test_chain ch;
    CHECK(keel_test_make_chain(&ch, KT_EC_P256, "server.test", 30));
    cctx = ctx_new(0, 0);
    sctx = keel_test_server_ctx(&ch);
    reset();
    g.client_identity = "stranger";
    SSL_CTX_set_psk_client_callback(cctx, client_cb);
    SSL_CTX_set_psk_server_callback(sctx, server_cb);
    CHECK(run(cctx, sctx, &c, &s));
    CHECK(!SSL_session_reused(c));
    CHECK(SSL_get0_peer_certificate(c) != NULL);
    done(cctx, sctx, c, s);
    keel_test_chain_free(&ch);
}

/* The find-session callback failing ends the handshake (internal_error). */
static void test13_find_fails(void)
{
    SSL_CTX *cctx = ctx_new(0, 0), *sctx = ctx_new(1, 0);
    SSL *c = NULL, *s = NULL;

    reset();
    g.find_fails = 1;
    SSL_CTX_set_psk_use_session_callback(cctx, use_cb);
    SSL_CTX_set_psk_find_session_callback(sctx, find_cb);
    CHECK(!run(cctx, sctx, &c, &s));
    CHECK_EQ(alert_at_client, SSL_AD_INTERNAL_ERROR);
    CHECK(has_reason(SSL_R_BAD_EXTENSION));
    done(cctx, sctx, c, s);
}

/* A server verifying its peers (SSL_VERIFY_PEER) takes an external PSK only with a session id
 * context set: without one, internal_error (OpenSSL 3.0's refusal to use a PSK out of context). */
static void test13_sid_ctx(void)
{
    keel_test_chain ch;
    CHECK(keel_test_make_chain(&ch, KT_EC_P256, "server.test", 30));
    for (int with_ctx = 0; with_ctx < 2; with_ctx++) {
        SSL_CTX *cctx = ctx_new(0, 0), *sctx = keel_test_server_ctx(&ch);
        SSL *c = NULL, *s = NULL;
        reset();
        SSL_CTX_set_info_callback(sctx, info_cb);
        SSL_CTX_set_psk_client_callback(cctx, client_cb);
        SSL_CTX_set_psk_server_callback(sctx, server_cb);
        SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER, NULL);
        /* with a certificate the server does not prefer SHA-256: the client asks for it */
        CHECK(SSL_CTX_set_ciphersuites(cctx, "TLS_AES_128_GCM_SHA256"));
        if (with_ctx)
            CHECK(SSL_CTX_set_session_id_context(sctx, (const unsigned char *)"psk", 3));
        int ok = run(cctx, sctx, &c, &s);
        if (with_ctx) {
            CHECK(ok && SSL_session_reused(s));
        } else {
            CHECK(!ok);
            CHECK_EQ(alert_at_client, SSL_AD_INTERNAL_ERROR);
            CHECK(has_reason(SSL_R_SESSION_ID_CONTEXT_UNINITIALIZED));
        }
        done(cctx, sctx, c, s);
    }
    keel_test_chain_free(&ch);
}

/* psk_ke (RFC 8446 §4.2.9): taken only when both sides allow it (SSL_OP_ALLOW_NO_DHE_KEX) and no
 * (EC)DHE is possible — with a shared group the server still uses it. */
static void test13_psk_ke(void)
{
    for (int round = 0; round < 3; round++) {
        SSL_CTX *cctx = ctx_new(0, 0), *sctx = ctx_new(1, 0);
        SSL *c = NULL, *s = NULL;
        reset();
        SSL_CTX_set_psk_client_callback(cctx, client_cb);
        SSL_CTX_set_psk_server_callback(sctx, server_cb);
        SSL_CTX_set_options(cctx, SSL_OP_ALLOW_NO_DHE_KEX);
        if (round != 2)
            SSL_CTX_set_options(sctx, SSL_OP_ALLOW_NO_DHE_KEX);
        if (round != 1) { /* no group in common */
            CHECK(SSL_CTX_set1_groups_list(cctx, "X25519"));
            CHECK(SSL_CTX_set1_groups_list(sctx, "P-384"));
        }
        int ok = run(cctx, sctx, &c, &s);
        EVP_PKEY *peer = NULL;
        if (round == 0) { /* psk_ke */
            CHECK(ok && SSL_session_reused(c));
            CHECK(!SSL_get_peer_tmp_key(c, &peer));
        } else if (round == 1) { /* psk_dhe_ke all the same */
            CHECK(ok && SSL_session_reused(c));
            CHECK(SSL_get_peer_tmp_key(c, &peer));
        } else { /* the server does not allow psk_ke */
            CHECK(!ok);
            CHECK_EQ(alert_at_client, SSL_AD_HANDSHAKE_FAILURE);
        }
        EVP_PKEY_free(peer);
        if (ok) {
            char buf[8];
            CHECK_EQ(SSL_write(s, "pong", 4), 4);
            CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 4);
        }
        done(cctx, sctx, c, s);
    }
}

/* A client offering both a ticket and an external PSK, the server taking the external one (it
 * cannot open a ticket from another context): the connection's max_fragment_length is the
 * accepted PSK's (none), not the ticket session's (RFC 6066 §4), so the server's full-size
 * records reach the client. */
static void test13_ticket_and_external(void)
{
    keel_test_chain ch;
    CHECK(keel_test_make_chain(&ch, KT_EC_P256, "server.test", 30));
    SSL_CTX *cctx = ctx_new(0, 0), *sctx = keel_test_server_ctx(&ch);
    SSL *c = NULL, *s = NULL;
    char buf[4096];

    reset();
    g.session_cipher = "TLS_AES_256_GCM_SHA384"; /* the ticket's hash, the default suite's */
    CHECK(SSL_CTX_set_tlsext_max_fragment_length(cctx, TLSEXT_max_fragment_length_512));
    CHECK(run(cctx, sctx, &c, &s));
    CHECK_EQ(SSL_write(s, "x", 1), 1);
    CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 1); /* the tickets are in */
    SSL_SESSION *ticket = SSL_get1_session(c);
    CHECK(ticket != NULL && SSL_SESSION_get_max_fragment_length(ticket) == TLSEXT_max_fragment_length_512);
    done(cctx, sctx, c, s);

    cctx = ctx_new(0, 0);
    sctx = ctx_new(1, 0);
    SSL_CTX_set_psk_use_session_callback(cctx, use_cb);
    SSL_CTX_set_psk_find_session_callback(sctx, find_cb);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(SSL_set_session(c, ticket));
    CHECK(keel_test_handshake(c, s));
    CHECK(SSL_session_reused(c) && SSL_session_reused(s));
    memset(buf, 'y', sizeof(buf));
    CHECK_EQ(SSL_write(s, buf, 2000), 2000);
    CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 2000);
    SSL_SESSION_free(ticket);
    done(cctx, sctx, c, s);
    keel_test_chain_free(&ch);
}

int main(void)
{
    test13_sessions();
    test13_hrr();
    test13_ssl_setters();
    test13_legacy();
    test13_find_fails();
    test13_sid_ctx();
    test13_psk_ke();
    test13_ticket_and_external();
    return keel_test_finish("psk");
}
