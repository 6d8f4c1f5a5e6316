/* Pre-shared keys through the public API, keel client and keel server over a BIO pair
 * (SSL_CTX_set_psk_client_callback(3), SSL_CTX_use_psk_identity_hint(3),
 * SSL_CTX_set_psk_use_session_callback(3), SSL_CTX_set_psk_find_session_callback(3)):
 * TLS 1.3 external PSKs from sessions and from the legacy callbacks, with a HelloRetryRequest,
 * psk_ke with SSL_OP_ALLOW_NO_DHE_KEX, wrong keys and unknown identities; the TLS 1.2 PSK and
 * ECDHE-PSK suites with the hint, the identity getters, resumption, and their failures.
 * Public API only: built against the system libssl (with tests/util's testutil.c and
 * tls.c, -lssl -lcrypto) every check passes there too, except the one marked KEEL_DIFF (a wrong TLS 1.3 binder:
 * keel sends decrypt_error as RFC 8446 §6.2 says, OpenSSL 3.0 illegal_parameter). */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static const unsigned char key1[32] = "0123456789abcdef0123456789abcde";
static const unsigned char key2[32] = "0123456789abcdef0123456789abcdX";

/* ---- what the callbacks saw, and what they answer ---- */
static struct {
    int client_calls, server_calls, use_calls, find_calls;
    char hint_seen[300];       /* the client callback's hint ("(null)" for NULL) */
    char identity_seen[300];   /* the server callback's identity */
    const EVP_MD *md_seen[4];  /* the use-session callback's md per call */
    unsigned int max_identity_len, max_psk_len;
    const unsigned char *client_key, *server_key;
    const char *client_identity, *server_identity;
    const char *session_cipher; /* the suite of the PSK sessions (TLS 1.3) */
    int find_fails;            /* the find-session callback returns 0 */
} g;

static void reset(void)
{
    memset(&g, 0, sizeof(g));
    g.client_key = g.server_key = key1;
    g.client_identity = g.server_identity = "client1";
    g.session_cipher = "TLS_AES_128_GCM_SHA256";
}

static unsigned int client_cb(SSL *s, const char *hint, char *identity, unsigned int max_identity_len,
                              unsigned char *psk, unsigned int max_psk_len)
{
    g.client_calls++;
    snprintf(g.hint_seen, sizeof(g.hint_seen), "%s", hint != NULL ? hint : "(null)");
    g.max_identity_len = max_identity_len;
    g.max_psk_len = max_psk_len;
    if (g.client_key == NULL)
        return 0;
    snprintf(identity, max_identity_len, "%s", g.client_identity);
    memcpy(psk, g.client_key, 32);
    return 32;
}

static unsigned int server_cb(SSL *s, const char *identity, unsigned char *psk, unsigned int max_psk_len)
{
    g.server_calls++;
    snprintf(g.identity_seen, sizeof(g.identity_seen), "%s", identity);
    if (strcmp(identity, g.server_identity) != 0)
        return 0;
    memcpy(psk, g.server_key, 32);
    return 32;
}

static SSL_SESSION *psk_session(SSL *s, const unsigned char *key)
{
    const SSL_CIPHER *cs = NULL;
    STACK_OF(SSL_CIPHER) *all = SSL_get_ciphers(s);
    for (int i = 0; i < sk_SSL_CIPHER_num(all); i++)
        if (strcmp(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(all, i)), g.session_cipher) == 0)
            cs = sk_SSL_CIPHER_value(all, i);
    SSL_SESSION *ss = SSL_SESSION_new();
    if (ss == NULL || cs == NULL || !SSL_SESSION_set1_master_key(ss, key, 32)
            || !SSL_SESSION_set_cipher(ss, cs) || !SSL_SESSION_set_protocol_version(ss, TLS1_3_VERSION)) {
        SSL_SESSION_free(ss);
        return NULL;
    }
    return ss;
}

static int use_cb(SSL *s, const EVP_MD *md, const unsigned char **id, size_t *idlen, SSL_SESSION **sess)
{
    if (g.use_calls < 4)
        g.md_seen[g.use_calls] = md;
    g.use_calls++;
    *id = (const unsigned char *)g.client_identity;
    *idlen = strlen(g.client_identity);
    *sess = psk_session(s, g.client_key);
    return *sess != NULL;
}

static int find_cb(SSL *s, const unsigned char *identity, size_t identity_len, SSL_SESSION **sess)
{
    g.find_calls++;
    *sess = NULL;
    if (g.find_fails)
        return 0;
    if (identity_len == strlen(g.server_identity) && memcmp(identity, g.server_identity, identity_len) == 0)
        *sess = psk_session(s, g.server_key);
    return 1;
}

/* The last alert each side received (SSL_CB_READ_ALERT), -1 if none. */
static int alert_at_client, alert_at_server;
static void info_cb(const SSL *s, int where, int ret)
{
    if (where & SSL_CB_READ_ALERT) {
        if (SSL_is_server(s))
            alert_at_server = ret & 0xff;
        else
            alert_at_client = ret & 0xff;
    }
}

/* The SSL reasons the last run() left in the error queue (drained there). */
static int reasons[32], nreasons;

/* Each call into the library clears the queue first: collect after each. */
static void drain(void)
{
    unsigned long e;
    while ((e = ERR_get_error()) != 0)
        if (ERR_GET_LIB(e) == ERR_LIB_SSL && nreasons < 32)
            reasons[nreasons++] = ERR_GET_REASON(e);
}

static int has_reason(int reason)
{
    for (int i = 0; i < nreasons; i++)
        if (reasons[i] == reason)
            return 1;
    fprintf(stderr, "    reason %d not among the %d queued\n", reason, nreasons);
    return 0;
}

static SSL_CTX *ctx_new(int server, int max_version)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (ctx != NULL && max_version != 0)
        SSL_CTX_set_max_proto_version(ctx, max_version);
    if (ctx != NULL)
        SSL_CTX_set_info_callback(ctx, info_cb);
    return ctx;
}

/* Runs one handshake: 1 = both completed. A side that fails stops while the other goes on, so
 * that it reads the alert. *c and *s are left for the checks. */
static int run(SSL_CTX *cctx, SSL_CTX *sctx, SSL **c, SSL **s)
{
    int state[2] = { 0, 0 }; /* 0 going, 1 done, -1 failed */
    SSL *ends[2];

    alert_at_client = alert_at_server = -1;
    nreasons = 0;
    if (!keel_test_pair(cctx, sctx, c, s))
        return 0;
    ends[0] = *c;
    ends[1] = *s;
    for (int i = 0; i < 100 && (state[0] == 0 || state[1] == 0); i++) {
        for (int k = 0; k < 2; k++) {
            if (state[k] != 0)
                continue;
            int r = SSL_do_handshake(ends[k]);
            int err = SSL_get_error(ends[k], r);
            drain();
            if (r == 1)
                state[k] = 1;
            else if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
                state[k] = -1;
        }
        if (state[0] == -1 || state[1] == -1) /* the survivor reads the alert once more */
            for (int k = 0; k < 2; k++)
                if (state[k] == 0 && SSL_do_handshake(ends[k]) != 1)
                    state[k] = -1;
        drain();
    }
    return state[0] == 1 && state[1] == 1;
}

static void done(SSL_CTX *cctx, SSL_CTX *sctx, SSL *c, SSL *s)
{
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    ERR_clear_error();
}

static int hash_nid(const SSL *s)
{
    return EVP_MD_get_type(SSL_CIPHER_get_handshake_digest(SSL_get_current_cipher(s)));
}

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
    test13_sessions();
    test13_hrr();
    test13_ssl_setters();
    test13_legacy();
    test13_find_fails();
    test13_sid_ctx();
    test13_psk_ke();
    test12_suites();
    test12_resume();
    test12_failures();
    test_hint_setter();
    return keel_test_finish("psk");
}
