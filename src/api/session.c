/* SSL_SESSION: the reference-counted record of a negotiated session (SSL_SESSION_free(3),
 * SSL_SESSION_get_time(3), SSL_get_session(3), SSL_set_session(3) and friends). */
#include "handshake/hs.h"
#include "proto/session.h"

#include <string.h>

SSL_SESSION *SSL_SESSION_new(void)
{
    SSL_SESSION *ss = OPENSSL_zalloc(sizeof(*ss));
    if (ss == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    atomic_init(&ss->refs, 1);
    ss->master_key = ss->key_buf;
    ss->time = time(NULL);
    ss->timeout = 304; /* OpenSSL 3.0's default for a new session object (5 minutes and 4 s) */
    /* As OpenSSL 3.0's: not X509_V_OK until a verification says so (the connection's result is
     * copied in when a handshake fills the session, ticket.c). */
    ss->verify_result = X509_V_ERR_UNSPECIFIED;
    if (!CRYPTO_new_ex_data(CRYPTO_EX_INDEX_SSL_SESSION, ss, &ss->ex_data)) {
        OPENSSL_free(ss);
        ERR_raise(ERR_LIB_SSL, ERR_R_CRYPTO_LIB);
        return NULL;
    }
    return ss;
}

int SSL_SESSION_up_ref(SSL_SESSION *ss)
{
    atomic_fetch_add_explicit(&ss->refs, 1, memory_order_relaxed);
    return 1;
}

void SSL_SESSION_free(SSL_SESSION *ss)
{
    if (ss == NULL || atomic_fetch_sub_explicit(&ss->refs, 1, memory_order_acq_rel) != 1)
        return;
    CRYPTO_free_ex_data(CRYPTO_EX_INDEX_SSL_SESSION, ss, &ss->ex_data);
    OPENSSL_free(ss->ticket);
    OPENSSL_free(ss->hostname);
    OPENSSL_free(ss->alpn);
    X509_free(ss->peer);
    OPENSSL_free(ss->psk_identity);
    OPENSSL_free(ss->psk_identity_hint);
    if (ss->master_key != ss->key_buf)
        OPENSSL_clear_free(ss->master_key, ss->master_key_len);
    OPENSSL_clear_free(ss, sizeof(*ss));
}

static int dup_bytes(uint8_t **dst, const uint8_t *src, size_t len)
{
    return src == NULL || (*dst = OPENSSL_memdup(src, len)) != NULL;
}

static int dup_str(char **dst, const char *src)
{
    return src == NULL || (*dst = OPENSSL_strdup(src)) != NULL;
}

/* A deep copy (SSL_SESSION_dup(3)): every member, whatever the session holds (OpenSSL 3.0 copies
 * a session made by SSL_SESSION_new and a few setters too, which has no DER form; misc16.c), its
 * own reference count and ex_data, in no cache. */
SSL_SESSION *SSL_SESSION_dup(const SSL_SESSION *src)
{
    SSL_SESSION *d;

    if (src == NULL || (d = SSL_SESSION_new()) == NULL)
        return NULL;
    CRYPTO_EX_DATA ex = d->ex_data;
    memcpy(d, src, sizeof(*d));
    atomic_init(&d->refs, 1);
    d->ex_data = ex;
    d->cache_next = d->cache_prev = d->hash_next = NULL;
    atomic_init(&d->cache_owner, NULL);
    d->master_key = d->key_buf;
    d->ticket = d->alpn = NULL;
    d->hostname = d->psk_identity = d->psk_identity_hint = NULL;
    d->peer = NULL;
    if (src->master_key != src->key_buf && (d->master_key = OPENSSL_memdup(src->master_key, src->master_key_len)) == NULL) {
        d->master_key = d->key_buf;
        d->master_key_len = 0;
        goto err;
    }
    if (!dup_bytes(&d->ticket, src->ticket, src->ticket_len) || !dup_bytes(&d->alpn, src->alpn, src->alpn_len)
            || !dup_str(&d->hostname, src->hostname) || !dup_str(&d->psk_identity, src->psk_identity)
            || !dup_str(&d->psk_identity_hint, src->psk_identity_hint)
            || (src->peer != NULL && !X509_up_ref(src->peer)))
        goto err;
    d->peer = src->peer;
    if (!CRYPTO_dup_ex_data(CRYPTO_EX_INDEX_SSL_SESSION, &d->ex_data, &src->ex_data))
        goto err;
    return d;
err:
    ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
    SSL_SESSION_free(d);
    return NULL;
}

/* Expired once now is past time + timeout, not at it, as OpenSSL 3.0 (and the cache's flush) judge
 * it (tests/diff/misc16.c); the sum saturates (a decoded session's values may be anything). */
int keel_session_expired(const SSL_SESSION *ss, time_t now)
{
    int64_t end;
    if (__builtin_add_overflow((int64_t)ss->time, (int64_t)ss->timeout, &end))
        return ss->timeout < 0;
    return (int64_t)now > end;
}

long SSL_SESSION_get_time(const SSL_SESSION *ss) { return ss != NULL ? (long)ss->time : 0; }
long SSL_SESSION_get_timeout(const SSL_SESSION *ss) { return ss != NULL ? ss->timeout : 0; }

long SSL_SESSION_set_time(SSL_SESSION *ss, long t)
{
    if (ss == NULL)
        return 0;
    keel_cache_set_lifetime(ss, t, ss->timeout);
    return t;
}

long SSL_SESSION_set_timeout(SSL_SESSION *ss, long t)
{
    if (ss == NULL || t < 0)
        return 0;
    keel_cache_set_lifetime(ss, ss->time, t);
    return 1;
}

int SSL_SESSION_get_protocol_version(const SSL_SESSION *ss) { return ss != NULL ? ss->version : 0; }

int SSL_SESSION_set_protocol_version(SSL_SESSION *ss, int version)
{
    ss->version = version;
    return 1;
}

const SSL_CIPHER *SSL_SESSION_get0_cipher(const SSL_SESSION *ss) { return ss != NULL ? ss->cipher : NULL; }

int SSL_SESSION_set_cipher(SSL_SESSION *ss, const SSL_CIPHER *cipher)
{
    ss->cipher = cipher;
    return 1;
}

const unsigned char *SSL_SESSION_get_id(const SSL_SESSION *ss, unsigned int *len)
{
    if (len != NULL)
        *len = ss != NULL ? (unsigned int)ss->session_id_len : 0;
    return ss != NULL ? ss->session_id : NULL;
}

int SSL_SESSION_set1_id(SSL_SESSION *ss, const unsigned char *sid, unsigned int len)
{
    if (len > SSL_MAX_SSL_SESSION_ID_LENGTH) {
        ERR_raise(ERR_LIB_SSL, SSL_R_SSL_SESSION_ID_TOO_LONG);
        return 0;
    }
    memcpy(ss->session_id, sid, len);
    ss->session_id_len = len;
    return 1;
}

const unsigned char *SSL_SESSION_get0_id_context(const SSL_SESSION *ss, unsigned int *len)
{
    if (len != NULL)
        *len = ss != NULL ? (unsigned int)ss->sid_ctx_len : 0;
    return ss != NULL ? ss->sid_ctx : NULL;
}

int SSL_SESSION_set1_id_context(SSL_SESSION *ss, const unsigned char *ctx, unsigned int len)
{
    if (len > SSL_MAX_SID_CTX_LENGTH) {
        ERR_raise(ERR_LIB_SSL, SSL_R_SSL_SESSION_ID_CONTEXT_TOO_LONG);
        return 0;
    }
    memcpy(ss->sid_ctx, ctx, len);
    ss->sid_ctx_len = len;
    return 1;
}

/* NULL-safe like every getter here: servers read it from callbacks that run mid-handshake. */
const char *SSL_SESSION_get0_hostname(const SSL_SESSION *ss) { return ss != NULL ? ss->hostname : NULL; }

int SSL_SESSION_set1_hostname(SSL_SESSION *ss, const char *hostname)
{
    char *copy = NULL;
    if (hostname != NULL && (copy = OPENSSL_strdup(hostname)) == NULL)
        return 0;
    OPENSSL_free(ss->hostname);
    ss->hostname = copy;
    return 1;
}

void SSL_SESSION_get0_alpn_selected(const SSL_SESSION *ss, const unsigned char **alpn, size_t *len)
{
    *alpn = ss != NULL ? ss->alpn : NULL;
    *len = ss != NULL ? ss->alpn_len : 0;
}

int SSL_SESSION_set1_alpn_selected(SSL_SESSION *ss, const unsigned char *alpn, size_t len)
{
    uint8_t *copy = NULL;
    if (alpn != NULL && len > 0 && (copy = OPENSSL_memdup(alpn, len)) == NULL)
        return 0;
    OPENSSL_free(ss->alpn);
    ss->alpn = copy;
    ss->alpn_len = copy != NULL ? len : 0;
    return 1;
}

int SSL_SESSION_has_ticket(const SSL_SESSION *ss) { return ss != NULL && ss->ticket != NULL; }
unsigned long SSL_SESSION_get_ticket_lifetime_hint(const SSL_SESSION *ss) { return ss != NULL ? ss->ticket_lifetime_hint : 0; }

void SSL_SESSION_get0_ticket(const SSL_SESSION *ss, const unsigned char **tick, size_t *len)
{
    *tick = ss != NULL ? ss->ticket : NULL;
    *len = ss != NULL ? ss->ticket_len : 0;
}

uint32_t SSL_SESSION_get_max_early_data(const SSL_SESSION *ss) { return ss != NULL ? ss->max_early_data : 0; }
/* The max_fragment_length code negotiated for the session (RFC 6066 §4: it holds for resumptions). */
uint8_t SSL_SESSION_get_max_fragment_length(const SSL_SESSION *ss) { return ss != NULL ? ss->mfl_mode : 0; }

int SSL_SESSION_set_max_early_data(SSL_SESSION *ss, uint32_t n)
{
    ss->max_early_data = n;
    return 1;
}

/* Resumable: it holds a secret and something to present (a ticket, or an id for a cache). */
int SSL_SESSION_is_resumable(const SSL_SESSION *ss)
{
    /* An id or a ticket, as OpenSSL 3.0 decides it: no master key is required (misc16.c). */
    return ss != NULL && !ss->not_resumable && (ss->ticket != NULL || ss->session_id_len > 0);
}

size_t SSL_SESSION_get_master_key(const SSL_SESSION *ss, unsigned char *out, size_t outlen)
{
    if (ss == NULL)
        return 0;
    if (outlen == 0)
        return ss->master_key_len;
    if (outlen > ss->master_key_len)
        outlen = ss->master_key_len;
    memcpy(out, ss->master_key, outlen);
    return outlen;
}

int SSL_SESSION_set1_master_key(SSL_SESSION *ss, const unsigned char *in, size_t len)
{
    uint8_t *k = ss->key_buf;

    if (len > PSK_MAX_PSK_LEN)
        return 0;
    if (len > sizeof(ss->key_buf) && (k = OPENSSL_malloc(len)) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return 0;
    }
    if (len > 0)
        memmove(k, in, len); /* in may be the session's own key */
    if (ss->master_key != ss->key_buf)
        OPENSSL_clear_free(ss->master_key, ss->master_key_len);
    if (k == ss->key_buf)
        OPENSSL_cleanse(ss->key_buf + len, sizeof(ss->key_buf) - len);
    ss->master_key = k;
    ss->master_key_len = len;
    return 1;
}

X509 *SSL_SESSION_get0_peer(SSL_SESSION *ss) { return ss != NULL ? ss->peer : NULL; }

int SSL_SESSION_set_ex_data(SSL_SESSION *ss, int idx, void *arg) { return CRYPTO_set_ex_data(&ss->ex_data, idx, arg); }
void *SSL_SESSION_get_ex_data(const SSL_SESSION *ss, int idx) { return ss != NULL ? CRYPTO_get_ex_data(&ss->ex_data, idx) : NULL; }

/* ---- the SSL's session ---- */

SSL_SESSION *SSL_get_session(const SSL *s) { return s != NULL ? s->session : NULL; }

SSL_SESSION *SSL_get1_session(SSL *s)
{
    if (s == NULL)
        return NULL;
    if (s->session != NULL)
        SSL_SESSION_up_ref(s->session);
    return s->session;
}

/* SSL_set_session(3): the session a client offers on its next handshake. */
int SSL_set_session(SSL *s, SSL_SESSION *ss)
{
    if (ss != NULL)
        SSL_SESSION_up_ref(ss);
    SSL_SESSION_free(s->session);
    s->session = ss;
    return 1;
}

int SSL_session_reused(const SSL *s) { return s->conn != NULL && s->conn->resumed; }

int SSL_copy_session_id(SSL *to, const SSL *from)
{
    if (!SSL_set_session(to, from->session))
        return 0;
    return SSL_set_session_id_context(to, from->s->sid_ctx, (unsigned int)from->s->sid_ctx_len);
}
