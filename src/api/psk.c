/* Pre-shared keys, the application's side (SSL_CTX_set_psk_client_callback(3),
 * SSL_CTX_use_psk_identity_hint(3), SSL_CTX_set_psk_use_session_callback(3),
 * SSL_CTX_set_psk_find_session_callback(3)): the callbacks and the hint live in the settings block,
 * so an SSL inherits its context's. The handshake calls them (src/handshake/psk.c). */
#include "handshake/hs.h"
#include "proto/session.h"

#include <string.h>

void SSL_CTX_set_psk_client_callback(SSL_CTX *ctx, SSL_psk_client_cb_func cb) { KEEL_SET(keel_ctx_w, ctx, psk_client_cb, cb); }
void SSL_set_psk_client_callback(SSL *s, SSL_psk_client_cb_func cb) { KEEL_SET(keel_ssl_w, s, psk_client_cb, cb); }
void SSL_CTX_set_psk_server_callback(SSL_CTX *ctx, SSL_psk_server_cb_func cb) { KEEL_SET(keel_ctx_w, ctx, psk_server_cb, cb); }
void SSL_set_psk_server_callback(SSL *s, SSL_psk_server_cb_func cb) { KEEL_SET(keel_ssl_w, s, psk_server_cb, cb); }
void SSL_CTX_set_psk_use_session_callback(SSL_CTX *ctx, SSL_psk_use_session_cb_func cb) { KEEL_SET(keel_ctx_w, ctx, psk_use_session_cb, cb); }
void SSL_set_psk_use_session_callback(SSL *s, SSL_psk_use_session_cb_func cb) { KEEL_SET(keel_ssl_w, s, psk_use_session_cb, cb); }
void SSL_CTX_set_psk_find_session_callback(SSL_CTX *ctx, SSL_psk_find_session_cb_func cb) { KEEL_SET(keel_ctx_w, ctx, psk_find_session_cb, cb); }
void SSL_set_psk_find_session_callback(SSL *s, SSL_psk_find_session_cb_func cb) { KEEL_SET(keel_ssl_w, s, psk_find_session_cb, cb); }

/* NULL deletes the hint; a hint longer than PSK_MAX_IDENTITY_LEN is refused (RFC 4279 §5.3 bounds
 * identities to 128 bytes at least; OpenSSL's limit and reason). */
static int set_hint(keel_settings *st, const char *hint)
{
    if (st == NULL) /* the block could not be made this object's (keel_ssl_w: raised) */
        return 0;
    char *copy = NULL;

    if (hint != NULL && strlen(hint) > PSK_MAX_IDENTITY_LEN) {
        ERR_raise(ERR_LIB_SSL, SSL_R_DATA_LENGTH_TOO_LONG);
        return 0;
    }
    if (hint != NULL && (copy = OPENSSL_strdup(hint)) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return 0;
    }
    OPENSSL_free(st->psk_identity_hint);
    st->psk_identity_hint = copy;
    return 1;
}

int SSL_CTX_use_psk_identity_hint(SSL_CTX *ctx, const char *hint) { return set_hint(keel_ctx_w(ctx), hint); }
int SSL_use_psk_identity_hint(SSL *s, const char *hint) { return set_hint(keel_ssl_w(s), hint); }

/* Both are the session's (the identity the TLS 1.2 client sent, the hint the server sent), as in
 * OpenSSL: NULL without a session or without a PSK suite. */
const char *SSL_get_psk_identity_hint(const SSL *s)
{
    return s != NULL && s->session != NULL ? s->session->psk_identity_hint : NULL;
}

const char *SSL_get_psk_identity(const SSL *s)
{
    return s != NULL && s->session != NULL ? s->session->psk_identity : NULL;
}
