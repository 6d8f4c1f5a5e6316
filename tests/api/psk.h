/* The fixtures of tests/api/psk.c (TLS 1.3) and psk12.c (TLS 1.2): PSK callbacks that record
 * what they were given, a handshake driver that lets the surviving side read the alert, the SSL
 * reasons each call left. A header because every .c in tests/api/ is a program of its own. */
#ifndef KEEL_TEST_PSK_H
#define KEEL_TEST_PSK_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

/* Each test program uses part of this. */
#pragma GCC diagnostic ignored "-Wunused-function"

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

static int use_cb(SSL *s, const EVP_MD *md, const unsigned char **id, size_t *idlen, SSL_SESSION **sess)
{
    if (g.use_calls < 4)
        g.md_seen[g.use_calls] = md;
    g.use_calls++;
    *id = (const unsigned char *)g.client_identity;
    *idlen = strlen(g.client_identity);
    *sess = keel_test_psk_session(s, g.session_cipher, g.client_key, 32);
    return *sess != NULL;
}

static int find_cb(SSL *s, const unsigned char *identity, size_t identity_len, SSL_SESSION **sess)
{
    g.find_calls++;
    *sess = NULL;
    if (g.find_fails)
        return 0;
    if (identity_len == strlen(g.server_identity) && memcmp(identity, g.server_identity, identity_len) == 0)
        *sess = keel_test_psk_session(s, g.session_cipher, g.server_key, 32);
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

#endif
