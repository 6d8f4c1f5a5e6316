/* TLS 1.2 pre-shared key suites through the public API (RFC 4279, RFC 5489;
 * SSL_CTX_set_psk_client_callback(3), SSL_CTX_use_psk_identity_hint(3)), keel client and keel
 * server over a BIO pair: the four suites with and without a hint, the hint reaching the client
 * callback, SSL_get_psk_identity(_hint) on both sides, resumption by ticket and by session id
 * keeping the identity, unknown identities, wrong keys, a client callback without a key, PSK
 * suites offered only with a client callback and chosen only with a server callback, the hint
 * setters; DHE-PSK and RSA-PSK (RFC 4279 §3, §4): their suites, what the server needs for them
 * (DH parameters, an RSA certificate). Public API only: built against the system libssl (with tests/util's testutil.c and
 * tls.c, -lssl -lcrypto) every check passes there too. */
#include "psk.h"

/* ---- TLS 1.2 ---- */

static void test12_suites(void)
{
    static const char *suites[] = { "PSK-AES128-GCM-SHA256", "PSK-AES256-GCM-SHA384",
                                    "PSK-CHACHA20-POLY1305", "ECDHE-PSK-CHACHA20-POLY1305" };
    for (size_t i = 0; i < 4; i++) {
        for (int with_hint = 0; with_hint < 2; with_hint++) {
            SSL_CTX *cctx = ctx_new(0, TLS1_2_VERSION), *sctx = ctx_new(1, 0);
            SSL *c = NULL, *s = NULL;
            reset();
            SSL_CTX_set_psk_client_callback(cctx, client_cb);
            SSL_CTX_set_psk_server_callback(sctx, server_cb);
            CHECK(SSL_CTX_set_cipher_list(cctx, suites[i]));
            if (with_hint)
                CHECK(SSL_CTX_use_psk_identity_hint(sctx, "hint-x"));
            CHECK(run(cctx, sctx, &c, &s));
            CHECK(strcmp(SSL_get_cipher_name(c), suites[i]) == 0);
            CHECK(SSL_get0_peer_certificate(c) == NULL);
            CHECK(!SSL_session_reused(c));
            /* The server's hint reaches the client callback (PSK sends it only when set; ECDHE-PSK
             * always sends the field, empty without a hint: NULL). */
            CHECK(strcmp(g.hint_seen, with_hint ? "hint-x" : "(null)") == 0);
            CHECK(strcmp(g.identity_seen, "client1") == 0);
            CHECK_EQ(g.client_calls, 1);
            CHECK_EQ(g.server_calls, 1);
            CHECK(SSL_get_psk_identity(s) != NULL && strcmp(SSL_get_psk_identity(s), "client1") == 0);
            CHECK(SSL_get_psk_identity(c) != NULL && strcmp(SSL_get_psk_identity(c), "client1") == 0);
            if (with_hint)
                CHECK(SSL_get_psk_identity_hint(c) != NULL && strcmp(SSL_get_psk_identity_hint(c), "hint-x") == 0);
            else
                CHECK(SSL_get_psk_identity_hint(c) == NULL);
            char buf[8];
            CHECK_EQ(SSL_write(c, "ping", 4), 4);
            CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 4);
            done(cctx, sctx, c, s);
        }
    }
}

/* Resumption (ticket, then session id): the session keeps the identity; no callback is asked. */
static void test12_resume(void)
{
    for (int ticket = 0; ticket < 2; ticket++) {
        SSL_CTX *cctx = ctx_new(0, TLS1_2_VERSION), *sctx = ctx_new(1, 0);
        SSL *c = NULL, *s = NULL;
        reset();
        SSL_CTX_set_psk_client_callback(cctx, client_cb);
        SSL_CTX_set_psk_server_callback(sctx, server_cb);
        CHECK(SSL_CTX_set_cipher_list(cctx, "PSK-AES128-GCM-SHA256"));
        if (!ticket)
            SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET);
        CHECK(run(cctx, sctx, &c, &s));
        SSL_SESSION *ss = SSL_get1_session(c);
        SSL_shutdown(c); /* unclean ends make OpenSSL forget the session */
        SSL_shutdown(s);
        SSL_free(c);
        SSL_free(s);
        c = s = NULL;
        CHECK(keel_test_pair(cctx, sctx, &c, &s));
        CHECK(SSL_set_session(c, ss));
        CHECK(keel_test_handshake(c, s));
        CHECK(SSL_get_psk_identity_hint(c) == NULL);
        CHECK(SSL_session_reused(c) && SSL_session_reused(s));
        CHECK_EQ(g.client_calls, 1);
        CHECK_EQ(g.server_calls, 1);
        CHECK(SSL_get_psk_identity(c) != NULL && strcmp(SSL_get_psk_identity(c), "client1") == 0);
        CHECK(SSL_get_psk_identity(s) != NULL && strcmp(SSL_get_psk_identity(s), "client1") == 0);
        SSL_SESSION_free(ss);
        done(cctx, sctx, c, s);
    }
}

static void test12_failures(void)
{
    SSL_CTX *cctx, *sctx;
    SSL *c = NULL, *s = NULL;

    /* An unknown identity: unknown_psk_identity (RFC 4279 §2). */
    cctx = ctx_new(0, TLS1_2_VERSION);
    sctx = ctx_new(1, 0);
    reset();
    g.client_identity = "stranger";
    SSL_CTX_set_psk_client_callback(cctx, client_cb);
    SSL_CTX_set_psk_server_callback(sctx, server_cb);
    CHECK(!run(cctx, sctx, &c, &s));
    CHECK_EQ(alert_at_client, TLS1_AD_UNKNOWN_PSK_IDENTITY);
    CHECK(has_reason(SSL_R_PSK_IDENTITY_NOT_FOUND));
    done(cctx, sctx, c, s);

    /* A wrong key: the server cannot open the client's Finished. */
    cctx = ctx_new(0, TLS1_2_VERSION);
    sctx = ctx_new(1, 0);
    reset();
    g.client_key = key2;
    SSL_CTX_set_psk_client_callback(cctx, client_cb);
    SSL_CTX_set_psk_server_callback(sctx, server_cb);
    CHECK(!run(cctx, sctx, &c, &s));
    CHECK_EQ(alert_at_client, SSL_AD_BAD_RECORD_MAC);
    done(cctx, sctx, c, s);

    /* The client callback has no key: handshake_failure. */
    cctx = ctx_new(0, TLS1_2_VERSION);
    sctx = ctx_new(1, 0);
    reset();
    g.client_key = NULL;
    SSL_CTX_set_psk_client_callback(cctx, client_cb);
    SSL_CTX_set_psk_server_callback(sctx, server_cb);
    CHECK(!run(cctx, sctx, &c, &s));
    CHECK_EQ(alert_at_server, SSL_AD_HANDSHAKE_FAILURE);
    CHECK(has_reason(SSL_R_PSK_IDENTITY_NOT_FOUND));
    done(cctx, sctx, c, s);

    /* A client without a PSK callback offers no PSK suite: a PSK-only server shares none. */
    cctx = ctx_new(0, TLS1_2_VERSION);
    sctx = ctx_new(1, 0);
    reset();
    SSL_CTX_set_psk_server_callback(sctx, server_cb);
    CHECK(!run(cctx, sctx, &c, &s));
    CHECK_EQ(alert_at_client, SSL_AD_HANDSHAKE_FAILURE);
    CHECK(has_reason(SSL_R_NO_SHARED_CIPHER));
    CHECK_EQ(g.server_calls, 0);
    done(cctx, sctx, c, s);

    /* A server without a PSK callback chooses no PSK suite (its certificate's suite instead). */
    keel_test_chain ch;
    CHECK(keel_test_make_chain(&ch, KT_EC_P256, "server.test", 30));
    cctx = ctx_new(0, TLS1_2_VERSION);
    sctx = keel_test_server_ctx(&ch);
    reset();
    SSL_CTX_set_psk_client_callback(cctx, client_cb);
    CHECK(SSL_CTX_set_cipher_list(cctx, "PSK-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"));
    CHECK(run(cctx, sctx, &c, &s));
    CHECK(strcmp(SSL_get_cipher_name(c), "ECDHE-ECDSA-AES128-GCM-SHA256") == 0);
    CHECK_EQ(g.client_calls, 0);
    done(cctx, sctx, c, s);
    keel_test_chain_free(&ch);
}

/* A server context for DHE-PSK / RSA-PSK: automatic DH parameters (dh) and the RSA certificate
 * (ch, or none). */
static SSL_CTX *server_ctx(const keel_test_chain *ch, int dh)
{
    SSL_CTX *sctx = ch != NULL ? keel_test_server_ctx(ch) : ctx_new(1, 0);
    if (sctx == NULL)
        return NULL;
    SSL_CTX_set_info_callback(sctx, info_cb);
    SSL_CTX_set_psk_server_callback(sctx, server_cb);
    if (dh)
        SSL_CTX_set_dh_auto(sctx, 1);
    return sctx;
}

/* DHE_PSK (RFC 4279 §3) and RSA_PSK (§4): the suite, the server's certificate (RSA_PSK's only),
 * the ephemeral DH key (DHE_PSK's only), the hint (DHE_PSK always sends the field; RSA_PSK a
 * ServerKeyExchange only for a hint), the identity on both sides, data both ways. That the
 * premaster secret is right is what the interop (tests/interop/psk.sh) proves. */
static void test12_dhe_rsa_suites(void)
{
    static const char *suites[] = { "DHE-PSK-AES128-GCM-SHA256", "DHE-PSK-AES256-CBC-SHA384",
                                    "DHE-PSK-CHACHA20-POLY1305", "DHE-PSK-AES128-CCM8",
                                    "RSA-PSK-AES256-GCM-SHA384", "RSA-PSK-AES128-CBC-SHA",
                                    "RSA-PSK-CHACHA20-POLY1305" };
    keel_test_chain ch;
    CHECK(keel_test_make_chain(&ch, KT_RSA2048, "server.test", 30));
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        int rsa = strncmp(suites[i], "RSA-", 4) == 0;
        for (int with_hint = 0; with_hint < 2; with_hint++) {
            SSL_CTX *cctx = ctx_new(0, TLS1_2_VERSION), *sctx = server_ctx(&ch, !rsa);
            SSL *c = NULL, *s = NULL;
            reset();
            SSL_CTX_set_psk_client_callback(cctx, client_cb);
            CHECK(SSL_CTX_set_cipher_list(cctx, suites[i]));
            CHECK(SSL_CTX_set_cipher_list(sctx, "ALL"));
            if (with_hint)
                CHECK(SSL_CTX_use_psk_identity_hint(sctx, "hint-x"));
            CHECK(run(cctx, sctx, &c, &s));
            CHECK(strcmp(SSL_get_cipher_name(c), suites[i]) == 0);
            CHECK(strcmp(SSL_get_cipher_name(s), suites[i]) == 0);
            CHECK((SSL_get0_peer_certificate(c) != NULL) == rsa);
            EVP_PKEY *tmp = NULL;
            CHECK(SSL_get_peer_tmp_key(c, &tmp) == !rsa);
            CHECK(rsa ? tmp == NULL : tmp != NULL && EVP_PKEY_is_a(tmp, "DH"));
            EVP_PKEY_free(tmp);
            CHECK(strcmp(g.hint_seen, with_hint ? "hint-x" : "(null)") == 0);
            CHECK(strcmp(g.identity_seen, "client1") == 0);
            CHECK_EQ(g.client_calls, 1);
            CHECK_EQ(g.server_calls, 1);
            CHECK(SSL_get_psk_identity(s) != NULL && strcmp(SSL_get_psk_identity(s), "client1") == 0);
            CHECK(SSL_get_psk_identity(c) != NULL && strcmp(SSL_get_psk_identity(c), "client1") == 0);
            char buf[8];
            CHECK_EQ(SSL_write(c, "ping", 4), 4);
            CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 4);
            CHECK_EQ(SSL_write(s, "pong", 4), 4);
            CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 4);
            done(cctx, sctx, c, s);
        }
    }
    /* A wrong key fails at the Finished, for each. */
    for (int rsa = 0; rsa < 2; rsa++) {
        SSL_CTX *cctx = ctx_new(0, TLS1_2_VERSION), *sctx = server_ctx(&ch, !rsa);
        SSL *c = NULL, *s = NULL;
        reset();
        g.client_key = key2;
        SSL_CTX_set_psk_client_callback(cctx, client_cb);
        CHECK(SSL_CTX_set_cipher_list(cctx, rsa ? "RSA-PSK-AES128-GCM-SHA256" : "DHE-PSK-AES128-GCM-SHA256"));
        CHECK(!run(cctx, sctx, &c, &s));
        CHECK_EQ(alert_at_client, SSL_AD_BAD_RECORD_MAC);
        done(cctx, sctx, c, s);
    }
    keel_test_chain_free(&ch);
}

/* What the server needs besides its PSK callback: DH parameters for DHE_PSK (as for DHE: none
 * configured, no DHE_PSK suite), an RSA certificate (rsaEncryption) for RSA_PSK. Without them the
 * suite is not chosen: the next one the client offers is, or none. (The bad
 * EncryptedPreMasterSecret of RSA_PSK, failing at the Finished as for RSA, is in
 * tests/api/malformed12_kx.c.) */
static void test12_dhe_rsa_refusals(void)
{
    keel_test_chain rsa, ec;
    CHECK(keel_test_make_chain(&rsa, KT_RSA2048, "server.test", 30));
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    const struct {
        const keel_test_chain *ch;
        int dh;
        const char *offer, *chosen; /* NULL: no shared cipher */
    } cases[] = {
        { NULL, 0, "DHE-PSK-AES128-GCM-SHA256", NULL },
        { NULL, 0, "DHE-PSK-AES128-GCM-SHA256:PSK-AES128-GCM-SHA256", "PSK-AES128-GCM-SHA256" },
        { NULL, 1, "DHE-PSK-AES128-GCM-SHA256:PSK-AES128-GCM-SHA256", "DHE-PSK-AES128-GCM-SHA256" },
        { NULL, 1, "RSA-PSK-AES128-GCM-SHA256", NULL },
        { NULL, 1, "RSA-PSK-AES128-GCM-SHA256:DHE-PSK-AES128-GCM-SHA256", "DHE-PSK-AES128-GCM-SHA256" },
        { &ec, 1, "RSA-PSK-AES128-GCM-SHA256", NULL },
        { &ec, 1, "RSA-PSK-AES128-GCM-SHA256:ECDHE-PSK-CHACHA20-POLY1305", "ECDHE-PSK-CHACHA20-POLY1305" },
        { &rsa, 0, "DHE-PSK-AES128-GCM-SHA256:RSA-PSK-AES128-GCM-SHA256", "RSA-PSK-AES128-GCM-SHA256" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        SSL_CTX *cctx = ctx_new(0, TLS1_2_VERSION), *sctx = server_ctx(cases[i].ch, cases[i].dh);
        SSL *c = NULL, *s = NULL;
        reset();
        SSL_CTX_set_psk_client_callback(cctx, client_cb);
        CHECK(SSL_CTX_set_cipher_list(cctx, cases[i].offer));
        CHECK(SSL_CTX_set_cipher_list(sctx, "ALL"));
        int ok = run(cctx, sctx, &c, &s);
        if (cases[i].chosen != NULL) {
            CHECK(ok);
            CHECK(ok && strcmp(SSL_get_cipher_name(c), cases[i].chosen) == 0);
        } else {
            CHECK(!ok);
            CHECK_EQ(alert_at_client, SSL_AD_HANDSHAKE_FAILURE);
            CHECK(has_reason(SSL_R_NO_SHARED_CIPHER));
            CHECK_EQ(g.server_calls, 0);
        }
        if ((cases[i].chosen != NULL) != ok
                || (ok && strcmp(SSL_get_cipher_name(c), cases[i].chosen) != 0))
            fprintf(stderr, "    case %zu: %s\n", i, cases[i].offer);
        done(cctx, sctx, c, s);
    }
    keel_test_chain_free(&rsa);
    keel_test_chain_free(&ec);
}

/* The hint setter: NULL deletes; an SSL inherits its context's. */
static void test_hint_setter(void)
{
    SSL_CTX *cctx = ctx_new(0, TLS1_2_VERSION), *sctx = ctx_new(1, 0);
    SSL *c = NULL, *s = NULL;
    reset();
    SSL_CTX_set_psk_client_callback(cctx, client_cb);
    SSL_CTX_set_psk_server_callback(sctx, server_cb);
    CHECK(SSL_CTX_set_cipher_list(cctx, "PSK-AES128-GCM-SHA256"));
    CHECK(SSL_CTX_use_psk_identity_hint(sctx, "ctx-hint"));
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(SSL_use_psk_identity_hint(s, NULL)); /* this SSL's only */
    alert_at_client = alert_at_server = -1;
    CHECK(keel_test_handshake(c, s));
    CHECK(strcmp(g.hint_seen, "(null)") == 0);
    SSL_free(c);
    SSL_free(s);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    CHECK(strcmp(g.hint_seen, "ctx-hint") == 0);
    done(cctx, sctx, c, s);
}

int main(void)
{
    test12_suites();
    test12_resume();
    test12_failures();
    test12_dhe_rsa_suites();
    test12_dhe_rsa_refusals();
    test_hint_setter();
    return keel_test_finish("psk12");
}
