/* Per-SSL setters and getters over the SSL's own settings block, and the setters both objects
 * share (ALPN lists, cipher strings). SSL_CTX_set_* write the context's block (src/api/ctx.c). */
#include "internal.h"
#include "handshake/hs.h"

#include <string.h>

const SSL_METHOD *SSL_get_ssl_method(const SSL *s) { return s->s->method; }

int SSL_set_ssl_method(SSL *s, const SSL_METHOD *meth)
{
    if (meth == NULL || meth->dtls) {
        ERR_raise(ERR_LIB_SSL, SSL_R_UNSUPPORTED_SSL_VERSION);
        return 0;
    }
    KEEL_SET(keel_ssl_w, s, method, meth);
    if (s->s->method != meth)
        return 0;
    if (!s->role_set)
        s->server = meth->server;
    return 1;
}

uint64_t SSL_get_options(const SSL *s) { return s->s->options; }
uint64_t SSL_set_options(SSL *s, uint64_t op)
{
    uint64_t v = s->s->options | op;

    KEEL_SET(keel_ssl_w, s, options, v);
    return s->s->options;
}

uint64_t SSL_clear_options(SSL *s, uint64_t op)
{
    uint64_t v = s->s->options & ~op;

    KEEL_SET(keel_ssl_w, s, options, v);
    return s->s->options;
}

void SSL_set_verify(SSL *s, int mode, SSL_verify_cb cb)
{
    KEEL_SET(keel_ssl_w, s, verify_mode, mode);
    if (cb != NULL)
        KEEL_SET(keel_ssl_w, s, verify_callback, cb);
}

/* The setters write the SSL's own parameters (keel_param_w: a copy of the shared ones first). */
void SSL_set_verify_depth(SSL *s, int depth)
{
    X509_VERIFY_PARAM *p = keel_param_w(s);
    if (p != NULL)
        X509_VERIFY_PARAM_set_depth(p, depth);
}

int SSL_get_verify_mode(const SSL *s) { return s->s->verify_mode; }
int SSL_get_verify_depth(const SSL *s) { return X509_VERIFY_PARAM_get_depth(keel_param_r(s)); }
SSL_verify_cb SSL_get_verify_callback(const SSL *s) { return s->s->verify_callback; }
X509_VERIFY_PARAM *SSL_get0_param(SSL *s) { return keel_param_w(s); }

int SSL_set1_param(SSL *s, X509_VERIFY_PARAM *vpm)
{
    X509_VERIFY_PARAM *p = keel_param_w(s);
    return p != NULL && X509_VERIFY_PARAM_set1(p, vpm);
}

int SSL_set_purpose(SSL *s, int purpose)
{
    X509_VERIFY_PARAM *p = keel_param_w(s);
    return p != NULL && X509_VERIFY_PARAM_set_purpose(p, purpose);
}

int SSL_set_trust(SSL *s, int trust)
{
    X509_VERIFY_PARAM *p = keel_param_w(s);
    return p != NULL && X509_VERIFY_PARAM_set_trust(p, trust);
}

void SSL_set_verify_result(SSL *s, long r) { s->verify_result = r; }
long SSL_get_verify_result(const SSL *s) { return s->verify_result; }

/* SSL_set1_host(3): the name the peer certificate must match; NULL clears. */
int SSL_set1_host(SSL *s, const char *host)
{
    X509_VERIFY_PARAM *p = keel_param_w(s);
    return p != NULL && X509_VERIFY_PARAM_set1_host(p, host, 0);
}

int SSL_add1_host(SSL *s, const char *host)
{
    X509_VERIFY_PARAM *p = keel_param_w(s);
    return p != NULL && X509_VERIFY_PARAM_add1_host(p, host, 0);
}

void SSL_set_hostflags(SSL *s, unsigned int flags)
{
    X509_VERIFY_PARAM *p = keel_param_w(s);
    if (p != NULL)
        X509_VERIFY_PARAM_set_hostflags(p, flags);
}

const char *SSL_get0_peername(SSL *s) { return X509_VERIFY_PARAM_get0_peername(keel_param_r(s)); }

int SSL_set_session_id_context(SSL *s, const unsigned char *sid, unsigned int len)
{
    if (len > SSL_MAX_SID_CTX_LENGTH) {
        ERR_raise(ERR_LIB_SSL, SSL_R_SSL_SESSION_ID_CONTEXT_TOO_LONG);
        return 0;
    }
    keel_settings *w = keel_ssl_w(s);
    if (w == NULL)
        return 0;
    memcpy(w->sid_ctx, sid, len);
    w->sid_ctx_len = len;
    return 1;
}

void SSL_set_quiet_shutdown(SSL *s, int mode) { KEEL_SET(keel_ssl_w, s, quiet_shutdown, mode); }
int SSL_get_quiet_shutdown(const SSL *s) { return s->s->quiet_shutdown; }

void SSL_set_default_passwd_cb(SSL *s, pem_password_cb *cb) { KEEL_SET(keel_ssl_w, s, passwd_cb, cb); }
void SSL_set_default_passwd_cb_userdata(SSL *s, void *u) { KEEL_SET(keel_ssl_w, s, passwd_userdata, u); }
pem_password_cb *SSL_get_default_passwd_cb(SSL *s) { return s->s->passwd_cb; }
void *SSL_get_default_passwd_cb_userdata(SSL *s) { return s->s->passwd_userdata; }

void SSL_set_info_callback(SSL *s, void (*cb)(const SSL *, int, int)) { s->info_callback = cb; }
/* The SSL's own callback: NULL when only the context has one (the context's is called then,
 * conn.c), as OpenSSL reports it. */
void (*SSL_get_info_callback(const SSL *s))(const SSL *, int, int) { return s->info_callback; }

void SSL_set_msg_callback(SSL *s, void (*cb)(int, int, int, const void *, size_t, SSL *, void *))
{
    KEEL_SET(keel_ssl_w, s, msg_callback, cb);
    keel_conn_trace(s, s->conn);
}

void SSL_set_cert_cb(SSL *s, int (*cb)(SSL *, void *), void *arg)
{
    KEEL_SET(keel_ssl_w, s, cert_cb, cb);
    KEEL_SET(keel_ssl_w, s, cert_cb_arg, arg);
}

void SSL_set_post_handshake_auth(SSL *s, int val) { KEEL_SET(keel_ssl_w, s, post_handshake_auth, val); }

int SSL_set_num_tickets(SSL *s, size_t n)
{
    KEEL_SET(keel_ssl_w, s, num_tickets, n);
    return s->s->num_tickets == n;
}

size_t SSL_get_num_tickets(const SSL *s) { return s->s->num_tickets; }
void SSL_set_security_level(SSL *s, int level) { KEEL_SET(keel_ssl_w, s, security_level, level); }
int SSL_get_security_level(const SSL *s) { return s->s->security_level; }

/* ---- ALPN (SSL_CTX_set_alpn_protos(3)): note the inverted return, 0 = success ---- */

static int set_alpn(keel_settings *s, const unsigned char *protos, unsigned int len)
{
    uint8_t *copy = NULL;

    if (s == NULL)
        return 1;
    if (protos == NULL || len == 0) {
        OPENSSL_free(s->alpn);
        s->alpn = NULL;
        s->alpn_len = 0;
        return 0;
    }
    if (!keel_alpn_check(protos, len)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_VALUE);
        return 1;
    }
    if ((copy = OPENSSL_memdup(protos, len)) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return 1;
    }
    OPENSSL_free(s->alpn);
    s->alpn = copy;
    s->alpn_len = len;
    return 0;
}

int SSL_CTX_set_alpn_protos(SSL_CTX *ctx, const unsigned char *p, unsigned int len) { return set_alpn(keel_ctx_w(ctx), p, len); }
int SSL_set_alpn_protos(SSL *s, const unsigned char *p, unsigned int len) { return set_alpn(keel_ssl_w(s), p, len); }

/* ---- cipher configuration ---- */

static int set_suites(keel_settings *s, const char *str)
{
    keel_lists *l;

    if (s == NULL || str == NULL || (l = keel_settings_lists(s)) == NULL
            || !keel_ciphersuites_parse(str, l->ciphers13, &s->nciphers13))
        return 0;
    keel_settings_ciphers_changed(s);
    return 1;
}

static int set_list(keel_settings *s, const char *str)
{
    int level = -1;
    const SSL_CIPHER *v[KEEL_MAX_CIPHERS];
    size_t n = 0;

    if (s == NULL)
        return 0;
    /* -1: no suite matched; OpenSSL has then already installed the (empty) TLS 1.2 list. */
    int ok = str != NULL ? keel_cipher_list_parse(str, v, &n, &level) : 0;
    if (level >= 0)
        s->security_level = level; /* "@SECLEVEL=n", applied as OpenSSL does even on failure */
    if (ok == 0 || !keel_settings_set_ciphers12(s, v, n))
        return 0;
    keel_settings_ciphers_changed(s);
    return ok == 1;
}

int SSL_CTX_set_ciphersuites(SSL_CTX *ctx, const char *str) { return set_suites(keel_ctx_w(ctx), str); }
int SSL_set_ciphersuites(SSL *s, const char *str) { return set_suites(keel_ssl_w(s), str); }
int SSL_CTX_set_cipher_list(SSL_CTX *ctx, const char *str) { return set_list(keel_ctx_w(ctx), str); }
int SSL_set_cipher_list(SSL *s, const char *str) { return set_list(keel_ssl_w(s), str); }

/* The enabled suites, TLS 1.3 first, as one stack the holder owns (*stack), built again when its
 * block's lists are not those it was built from (*gen). */
static STACK_OF(SSL_CIPHER) *cipher_stack(const keel_settings *s, STACK_OF(SSL_CIPHER) **stack,
                                          unsigned *gen)
{
    if (*stack != NULL && *gen == s->ciphers_gen)
        return *stack;
    STACK_OF(SSL_CIPHER) *sk = sk_SSL_CIPHER_new_null();
    if (sk == NULL)
        return NULL;
    for (size_t i = 0; i < s->nciphers13 + s->nciphers12; i++) {
        const SSL_CIPHER *c = i < s->nciphers13 ? s->lists->ciphers13[i] : s->ciphers12[i - s->nciphers13];
        if (!sk_SSL_CIPHER_push(sk, c)) {
            sk_SSL_CIPHER_free(sk);
            return NULL;
        }
    }
    sk_SSL_CIPHER_free(*stack);
    *gen = s->ciphers_gen;
    return *stack = sk;
}

/* NULL for a NULL object, as documented (SSL_get_ciphers(3)). The stack is the object's cache,
 * which the const API lets it fill. */
STACK_OF(SSL_CIPHER) *SSL_CTX_get_ciphers(const SSL_CTX *ctx)
{
    SSL_CTX *c = (SSL_CTX *)ctx;
    return c != NULL ? cipher_stack(c->s, &c->cipher_stack, &c->cipher_stack_gen) : NULL;
}

STACK_OF(SSL_CIPHER) *SSL_get_ciphers(const SSL *s)
{
    SSL *w = (SSL *)s;
    return w != NULL ? cipher_stack(w->s, &w->cipher_stack, &w->cipher_stack_gen) : NULL;
}

const char *SSL_get_cipher_list(const SSL *s, int n)
{
    STACK_OF(SSL_CIPHER) *sk = SSL_get_ciphers(s);
    if (sk == NULL || n < 0 || n >= sk_SSL_CIPHER_num(sk))
        return NULL;
    return SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, n));
}

long SSL_get_default_timeout(const SSL *s) { return 7200; }

/* SSL_get_servername(3): the client's configured name, or the name a server received. */
/* In the ClientHello callback a server has not yet taken the name (OpenSSL processes server_name
 * after the callback; the callback reads it with SSL_client_hello_get0_ext). */
static const char *servername(const SSL *s)
{
    if (s->server && keel_in_client_hello_cb(s))
        return NULL;
    return s->hostname;
}

const char *SSL_get_servername(const SSL *s, const int type)
{
    return type == TLSEXT_NAMETYPE_host_name ? servername(s) : NULL;
}

int SSL_get_servername_type(const SSL *s)
{
    return servername(s) != NULL ? TLSEXT_NAMETYPE_host_name : -1;
}
