/* Differential probe: pre-shared keys. Prints every PSK callback call with its arguments (hint,
 * identity, buffer sizes, the md the use-session callback is given, the handshake state), what
 * each handshake ends with (version, suite, reuse, alerts, reasons, the PSK getters of both
 * sides, the sessions), for TLS 1.3 external PSKs (session and legacy callbacks, HelloRetryRequest,
 * psk_ke, a resumption offered next to an external PSK, failures) and the TLS 1.2 PSK suites
 * (hint or none, failures, a TLS 1.3-capable client meeting a TLS 1.2 server), DHE-PSK and
 * RSA-PSK (hint or none, the server without DH parameters / certificate, failures, resumption). tests/diff/run.sh
 * runs it on the system libssl and on keel; the outputs must be identical. */
#include <dlfcn.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "tls.h"

static const unsigned char key1[32] = "0123456789abcdef0123456789abcde";
static const unsigned char key2[32] = "0123456789abcdef0123456789abcdX";

static struct {
    const unsigned char *client_key;
    const char *client_identity, *server_identity;
    const char *session_cipher;
    int use_no_session;  /* the use-session callback succeeds without a session */
    int find_fails;
} g;

static void reset(void)
{
    memset(&g, 0, sizeof(g));
    g.client_key = key1;
    g.client_identity = g.server_identity = "client1";
    g.session_cipher = "TLS_AES_128_GCM_SHA256";
}

static unsigned int client_cb(SSL *s, const char *hint, char *identity, unsigned int max_identity_len,
                              unsigned char *psk, unsigned int max_psk_len)
{
    printf("  client_cb state=%s hint=%s max_id=%u max_psk=%u\n", SSL_state_string(s),
           hint != NULL ? hint : "(null)", max_identity_len, max_psk_len);
    if (g.client_key == NULL)
        return 0;
    snprintf(identity, max_identity_len, "%s", g.client_identity);
    memcpy(psk, g.client_key, 32);
    return 32;
}

static unsigned int server_cb(SSL *s, const char *identity, unsigned char *psk, unsigned int max_psk_len)
{
    /* (No state: keel's driver is still in the previous state while a message is handled.) */
    printf("  server_cb identity=%s max_psk=%u psk_identity=%s\n", identity, max_psk_len, SSL_get_psk_identity(s) != NULL ? SSL_get_psk_identity(s) : "(null)");
    if (strcmp(identity, g.server_identity) != 0)
        return 0;
    memcpy(psk, key1, 32);
    return 32;
}

static int use_cb(SSL *s, const EVP_MD *md, const unsigned char **id, size_t *idlen, SSL_SESSION **sess)
{
    printf("  use_cb state=%s md=%s\n", SSL_state_string(s), md != NULL ? EVP_MD_get0_name(md) : "(null)");
    *id = (const unsigned char *)g.client_identity;
    *idlen = strlen(g.client_identity);
    *sess = g.use_no_session ? NULL : keel_test_psk_session(s, g.session_cipher, g.client_key, 32);
    return g.use_no_session || *sess != NULL;
}

static int find_cb(SSL *s, const unsigned char *identity, size_t identity_len, SSL_SESSION **sess)
{
    int known = identity_len == strlen(g.server_identity)
        && memcmp(identity, g.server_identity, identity_len) == 0;
    /* (The length only of an identity we know: keel's tickets are not OpenSSL's.) */
    if (known)
        printf("  find_cb identity_len=%zu known=1\n", identity_len);
    else
        printf("  find_cb known=0\n");
    *sess = NULL;
    if (g.find_fails)
        return 0;
    if (known)
        *sess = keel_test_psk_session(s, g.session_cipher, key1, 32);
    return 1;
}

static void info_cb(const SSL *s, int where, int ret)
{
    if (where & SSL_CB_ALERT)
        printf("  %s %s alert %s\n", SSL_is_server(s) ? "server" : "client",
               (where & SSL_CB_READ) ? "read" : "wrote", SSL_alert_desc_string_long(ret));
}

static void reasons(const char *who)
{
    unsigned long e;
    while ((e = ERR_get_error()) != 0)
        if (ERR_GET_LIB(e) == ERR_LIB_SSL)
            printf("  %s reason %d\n", who, ERR_GET_REASON(e));
}

static const char *str(const char *p) { return p != NULL ? p : "(null)"; }

static SSL_CTX *ctx(int server, int max)
{
    SSL_CTX *c = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    SSL_CTX_set_info_callback(c, info_cb);
    if (max)
        SSL_CTX_set_max_proto_version(c, max);
    return c;
}

/* One handshake; prints the outcome; returns the client's session (a reference) when it worked. */
static SSL_SESSION *run(const char *name, SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *resume)
{
    SSL *c = NULL, *s = NULL;
    int state[2] = { 0, 0 };
    SSL_SESSION *out = NULL;

    printf("%s\n", name);
    if (!keel_test_pair(cctx, sctx, &c, &s))
        return NULL;
    if (resume != NULL)
        SSL_set_session(c, resume);
    SSL *ends[2] = { c, s };
    for (int i = 0; i < 60 && (state[0] == 0 || state[1] == 0); i++) {
        for (int k = 0; k < 2; k++) {
            if (state[k] != 0)
                continue;
            int r = SSL_do_handshake(ends[k]);
            int err = SSL_get_error(ends[k], r);
            reasons(k ? "server" : "client");
            if (r == 1)
                state[k] = 1;
            else if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
                state[k] = -1;
        }
        if (state[0] == -1 || state[1] == -1)
            for (int k = 0; k < 2; k++)
                if (state[k] == 0) {
                    if (SSL_do_handshake(ends[k]) != 1)
                        state[k] = -1;
                    reasons(k ? "server" : "client");
                }
    }
    printf("  result client=%d server=%d\n", state[0], state[1]);
    if (state[0] == 1 && state[1] == 1) {
        char buf[16];
        int got = SSL_write(c, "ping", 4) == 4 ? SSL_read(s, buf, sizeof(buf)) : -1;
        got = got == 4 && SSL_write(s, "pong", 4) == 4 ? SSL_read(c, buf, sizeof(buf)) : -1;
        EVP_PKEY *tmp = NULL;
        int has_tmp = SSL_get_peer_tmp_key(c, &tmp);
        EVP_PKEY_free(tmp);
        printf("  %s %s reused=%d/%d peer_cert=%d peer_tmp_key=%d data=%d verify=%ld/%ld\n",
               SSL_get_version(c), SSL_get_cipher_name(c), SSL_session_reused(c), SSL_session_reused(s),
               SSL_get0_peer_certificate(c) != NULL, has_tmp, got, SSL_get_verify_result(c),
               SSL_get_verify_result(s));
        SSL_SESSION *cs = SSL_get_session(c), *ss = SSL_get_session(s);
        printf("  client identity=%s hint=%s; server identity=%s hint=%s\n", str(SSL_get_psk_identity(c)),
               str(SSL_get_psk_identity_hint(c)), str(SSL_get_psk_identity(s)), str(SSL_get_psk_identity_hint(s)));
        printf("  client session: %s %s resumable=%d ticket=%d mk=%zu; server session: %s resumable=%d\n",
               cs != NULL ? SSL_CIPHER_get_name(SSL_SESSION_get0_cipher(cs)) : "-",
               cs != NULL && SSL_SESSION_get_protocol_version(cs) == TLS1_3_VERSION ? "1.3" : "1.2",
               SSL_SESSION_is_resumable(cs), SSL_SESSION_has_ticket(cs),
               SSL_SESSION_get_master_key(cs, NULL, 0),
               ss != NULL && SSL_SESSION_get0_cipher(ss) != NULL ? SSL_CIPHER_get_name(SSL_SESSION_get0_cipher(ss)) : "-",
               SSL_SESSION_is_resumable(ss));
        out = SSL_get1_session(c);
        SSL_shutdown(c);
        SSL_shutdown(s);
    }
    SSL_free(c);
    SSL_free(s);
    ERR_clear_error();
    return out;
}

static void pairs(const char *name, int cmax, int smax, void (*setup)(SSL_CTX *, SSL_CTX *))
{
    SSL_CTX *cctx = ctx(0, cmax), *sctx = ctx(1, smax);
    setup(cctx, sctx);
    SSL_SESSION_free(run(name, cctx, sctx, NULL));
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void legacy(SSL_CTX *c, SSL_CTX *s)
{
    SSL_CTX_set_psk_client_callback(c, client_cb);
    SSL_CTX_set_psk_server_callback(s, server_cb);
}
static void sessions(SSL_CTX *c, SSL_CTX *s)
{
    SSL_CTX_set_psk_use_session_callback(c, use_cb);
    SSL_CTX_set_psk_find_session_callback(s, find_cb);
    SSL_CTX_set_ciphersuites(c, "TLS_AES_128_GCM_SHA256");
}
static void both(SSL_CTX *c, SSL_CTX *s)
{
    legacy(c, s);
    sessions(c, s);
}
static void hrr(SSL_CTX *c, SSL_CTX *s)
{
    sessions(c, s);
    SSL_CTX_set1_groups_list(c, "X25519:P-256");
    SSL_CTX_set1_groups_list(s, "P-256");
}
static void hint(SSL_CTX *c, SSL_CTX *s)
{
    legacy(c, s);
    SSL_CTX_use_psk_identity_hint(s, "hint-x");
}
static void ke_both(SSL_CTX *c, SSL_CTX *s)
{
    legacy(c, s);
    SSL_CTX_set_options(c, SSL_OP_ALLOW_NO_DHE_KEX);
    SSL_CTX_set_options(s, SSL_OP_ALLOW_NO_DHE_KEX);
}
static void ke_nogroup(SSL_CTX *c, SSL_CTX *s)
{
    ke_both(c, s);
    SSL_CTX_set1_groups_list(c, "X25519");
    SSL_CTX_set1_groups_list(s, "P-384");
}
static void ke_server_no(SSL_CTX *c, SSL_CTX *s)
{
    legacy(c, s);
    SSL_CTX_set_options(c, SSL_OP_ALLOW_NO_DHE_KEX);
    SSL_CTX_set1_groups_list(c, "X25519");
    SSL_CTX_set1_groups_list(s, "P-384");
}
static void only(const char *suite, SSL_CTX *c, SSL_CTX *s)
{
    hint(c, s);
    SSL_CTX_set_cipher_list(c, suite);
}
static void ecdhe_psk(SSL_CTX *c, SSL_CTX *s) { only("ECDHE-PSK-CHACHA20-POLY1305", c, s); }
static void psk256(SSL_CTX *c, SSL_CTX *s) { only("PSK-AES256-GCM-SHA384", c, s); }
static void no_client_cb(SSL_CTX *c, SSL_CTX *s) { SSL_CTX_set_psk_server_callback(s, server_cb); }
/* DHE_PSK (RFC 4279 §3): the server's automatic DH parameters, or none; RSA_PSK (§4): its RSA
 * certificate, the hint or none. */
static keel_test_chain rsa_chain;
static void dhe_psk(SSL_CTX *c, SSL_CTX *s)
{
    only("DHE-PSK-AES128-GCM-SHA256", c, s);
    SSL_CTX_set_dh_auto(s, 1);
}
static void dhe_psk_nohint(SSL_CTX *c, SSL_CTX *s)
{
    legacy(c, s);
    SSL_CTX_set_cipher_list(c, "DHE-PSK-CHACHA20-POLY1305");
    SSL_CTX_set_dh_auto(s, 1);
}
static void dhe_psk_nodh(SSL_CTX *c, SSL_CTX *s) { only("DHE-PSK-AES128-GCM-SHA256", c, s); }
static void rsa_psk_cert(SSL_CTX *s)
{
    SSL_CTX_use_certificate(s, rsa_chain.leaf);
    SSL_CTX_use_PrivateKey(s, rsa_chain.leaf_key);
}
static void rsa_psk(SSL_CTX *c, SSL_CTX *s)
{
    only("RSA-PSK-AES256-GCM-SHA384", c, s);
    rsa_psk_cert(s);
}
static void rsa_psk_nohint(SSL_CTX *c, SSL_CTX *s)
{
    legacy(c, s);
    SSL_CTX_set_cipher_list(c, "RSA-PSK-AES128-CBC-SHA256");
    rsa_psk_cert(s);
}
static void rsa_psk_nocert(SSL_CTX *c, SSL_CTX *s) { only("RSA-PSK-AES256-GCM-SHA384", c, s); }

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--which") == 0) {
        Dl_info info;
        dladdr((void *)SSL_new, &info);
        printf("%s\n", info.dli_fname);
        return 0;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_LOAD_SSL_STRINGS, NULL);

    reset();
    pairs("1.3 legacy callbacks", 0, 0, legacy);
    pairs("1.3 session callbacks", 0, 0, sessions);
    pairs("1.3 both kinds of callback", 0, 0, both);
    g.use_no_session = 1;
    pairs("1.3 use-session gives none, legacy client callback asked", 0, 0, both);
    reset();
    pairs("1.3 session callbacks with HelloRetryRequest", 0, 0, hrr);
    g.client_identity = "stranger";
    pairs("1.3 unknown identity, legacy", 0, 0, legacy);
    pairs("1.3 unknown identity, find then legacy", 0, 0, both);
    /* (A wrong TLS 1.3 binder is not here: keel sends decrypt_error, RFC 8446 §6.2, where
     * OpenSSL 3.0 sends illegal_parameter; tests/api/psk.c covers it.) */
    reset();
    g.find_fails = 1;
    pairs("1.3 find-session callback fails", 0, 0, sessions);
    reset();
    pairs("1.3 psk_ke allowed, group shared", 0, 0, ke_both);
    pairs("1.3 psk_ke allowed, no group shared", 0, 0, ke_nogroup);
    pairs("1.3 psk_ke not allowed by the server", 0, 0, ke_server_no);

    /* A ticket from an external-PSK handshake, offered next to the external PSK. */
    {
        SSL_CTX *cctx = ctx(0, 0), *sctx = ctx(1, 0);
        sessions(cctx, sctx);
        SSL_SESSION *ss = run("1.3 external PSK, for a ticket", cctx, sctx, NULL);
        SSL_SESSION_free(run("1.3 the ticket and the external PSK", cctx, sctx, ss));
        SSL_SESSION_free(ss);
        SSL_CTX_free(cctx);
        SSL_CTX_free(sctx);
    }

    pairs("1.2 PSK, no hint", TLS1_2_VERSION, 0, legacy);
    pairs("1.2 PSK, hint", TLS1_2_VERSION, 0, hint);
    pairs("1.2 PSK-AES256-GCM-SHA384", TLS1_2_VERSION, 0, psk256);
    pairs("1.2 ECDHE-PSK, hint", TLS1_2_VERSION, 0, ecdhe_psk);
    pairs("1.3-capable client, 1.2 server", 0, TLS1_2_VERSION, hint);
    pairs("1.2 client without a callback", TLS1_2_VERSION, 0, no_client_cb);
    g.client_identity = "stranger";
    pairs("1.2 unknown identity", TLS1_2_VERSION, 0, hint);
    reset();
    g.client_key = NULL;
    pairs("1.2 client callback without a key", TLS1_2_VERSION, 0, hint);
    reset();
    g.client_key = key2;
    pairs("1.2 wrong key", TLS1_2_VERSION, 0, hint);
    reset();
    if (!keel_test_make_chain(&rsa_chain, KT_RSA2048, "server.test", 30))
        return 1;
    pairs("1.2 DHE-PSK, hint", TLS1_2_VERSION, 0, dhe_psk);
    pairs("1.2 DHE-PSK, no hint", TLS1_2_VERSION, 0, dhe_psk_nohint);
    pairs("1.2 DHE-PSK, no DH parameters on the server", TLS1_2_VERSION, 0, dhe_psk_nodh);
    pairs("1.2 RSA-PSK, hint", TLS1_2_VERSION, 0, rsa_psk);
    pairs("1.2 RSA-PSK, no hint", TLS1_2_VERSION, 0, rsa_psk_nohint);
    pairs("1.2 RSA-PSK, no certificate on the server", TLS1_2_VERSION, 0, rsa_psk_nocert);
    g.client_identity = "stranger";
    pairs("1.2 DHE-PSK, unknown identity", TLS1_2_VERSION, 0, dhe_psk);
    pairs("1.2 RSA-PSK, unknown identity", TLS1_2_VERSION, 0, rsa_psk);
    reset();
    g.client_key = key2;
    pairs("1.2 DHE-PSK, wrong key", TLS1_2_VERSION, 0, dhe_psk);
    pairs("1.2 RSA-PSK, wrong key", TLS1_2_VERSION, 0, rsa_psk);
    reset();
    {
        SSL_CTX *cctx = ctx(0, TLS1_2_VERSION), *sctx = ctx(1, 0);
        rsa_psk(cctx, sctx);
        SSL_SESSION *ss = run("1.2 RSA-PSK, for a ticket", cctx, sctx, NULL);
        SSL_SESSION_free(run("1.2 RSA-PSK resumed", cctx, sctx, ss));
        SSL_SESSION_free(ss);
        SSL_CTX_free(cctx);
        SSL_CTX_free(sctx);
    }
    keel_test_chain_free(&rsa_chain);
    {
        SSL_CTX *cctx = ctx(0, TLS1_2_VERSION), *sctx = ctx(1, 0);
        hint(cctx, sctx);
        SSL_SESSION *ss = run("1.2 PSK, for a ticket", cctx, sctx, NULL);
        SSL_SESSION_free(run("1.2 PSK resumed", cctx, sctx, ss));
        SSL_SESSION_free(ss);
        SSL_CTX_free(cctx);
        SSL_CTX_free(sctx);
    }
    return 0;
}
