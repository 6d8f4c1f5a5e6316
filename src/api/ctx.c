/* SSL_CTX: creation, reference counting and the context-level setters (SSL_CTX_new(3)). */
#include "internal.h"
#include "crypto/crypto.h"

#include <string.h>

SSL_CTX *SSL_CTX_new_ex(OSSL_LIB_CTX *libctx, const char *propq, const SSL_METHOD *meth)
{
    SSL_CTX *ctx;

    if (meth == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NULL_SSL_METHOD_PASSED);
        return NULL;
    }
    if (meth->dtls) {
        ERR_raise_data(ERR_LIB_SSL, SSL_R_UNSUPPORTED_SSL_VERSION, "keel does not implement DTLS");
        return NULL;
    }
    if (!OPENSSL_init_ssl(0, NULL))
        return NULL;
    if ((ctx = OPENSSL_zalloc(sizeof(*ctx))) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    atomic_init(&ctx->refs, 1);
    ctx->libctx = libctx;
    ctx->session_cache_mode = SSL_SESS_CACHE_SERVER;
    ctx->session_cache_size = SSL_SESSION_CACHE_MAX_SIZE_DEFAULT;
    ctx->status_type = -1;
    /* ex_data first: SSL_CTX_free calls CRYPTO_free_ex_data unconditionally. */
    if (!CRYPTO_new_ex_data(CRYPTO_EX_INDEX_SSL_CTX, ctx, &ctx->ex_data)) {
        OPENSSL_free(ctx);
        ERR_raise(ERR_LIB_SSL, ERR_R_CRYPTO_LIB);
        return NULL;
    }
    keel_settings *w = keel_settings_new(meth);
    if ((ctx->s = w) == NULL)
        goto err;
    w->sec_ctx = ctx;
    if ((ctx->param = X509_VERIFY_PARAM_new()) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_X509_LIB);
        goto err;
    }
    if (propq != NULL && (ctx->propq = OPENSSL_strdup(propq)) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        goto err;
    }
    /* Algorithms are fetched once per process for the default library context; a context of the
     * application's own gets its own table, fetched here once for every SSL it will create. */
    if (libctx == NULL && propq == NULL) {
        ctx->algs = keel_algs_default();
    } else {
        ctx->own_algs = keel_algs_new(libctx, propq);
        ctx->algs = ctx->own_algs;
    }
    if (ctx->algs == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LIBRARY_HAS_NO_CIPHERS);
        goto err;
    }
    if ((ctx->lock = CRYPTO_THREAD_lock_new()) == NULL
            || (ctx->sess_lock = CRYPTO_THREAD_lock_new()) == NULL
            || (ctx->cert_store = X509_STORE_new()) == NULL
            || (ctx->client_ca = sk_X509_NAME_new_null()) == NULL
            /* an empty CA list from the start, as SSL_CTX_get0_CA_list shows OpenSSL's */
            || (ctx->ca_names = sk_X509_NAME_new_null()) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        goto err;
    }
    if (!keel_random(ctx->algs, (uint8_t *)&ctx->cache_seed, sizeof(ctx->cache_seed)))
        goto err;
    /* Before the application forks its workers: they must share the ticket key. */
    if (!keel_ticket_keys_init(ctx))
        goto err;
    /* Last, over the defaults: the system's crypto policy (openssl.cnf's system_default). */
    keel_ctx_system_config(ctx);
    return ctx;
err:
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *SSL_CTX_new(const SSL_METHOD *meth)
{
    return SSL_CTX_new_ex(NULL, NULL, meth);
}

int SSL_CTX_up_ref(SSL_CTX *ctx)
{
    atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
    return 1;
}

void SSL_CTX_free(SSL_CTX *ctx)
{
    if (ctx == NULL)
        return;
    if (atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) != 1)
        return;
    keel_cache_free(ctx); /* first: the remove callback may read the context's ex_data */
    CRYPTO_free_ex_data(CRYPTO_EX_INDEX_SSL_CTX, ctx, &ctx->ex_data);
    keel_cert_cache_free(ctx);
    keel_auto_chain_free(ctx);
    CRYPTO_THREAD_lock_free(ctx->lock);
    CRYPTO_THREAD_lock_free(ctx->sess_lock);
    OPENSSL_cleanse(ctx->ticket_keys, sizeof(ctx->ticket_keys));
    OPENSSL_cleanse(ctx->ticket_secret, sizeof(ctx->ticket_secret));
    OPENSSL_cleanse(ctx->ticket_app_keys, sizeof(ctx->ticket_app_keys));
    keel_settings_release(ctx->s);
    X509_VERIFY_PARAM_free(ctx->param);
    keel_param_snap_release(atomic_load(&ctx->param_snap));
    sk_SSL_CIPHER_free(ctx->cipher_stack);
    X509_STORE_free(ctx->cert_store);
    keel_chain_free(ctx->extra_certs);
    sk_X509_NAME_pop_free(ctx->client_ca, X509_NAME_free);
    sk_X509_NAME_pop_free(ctx->ca_names, X509_NAME_free);
    keel_algs_free(ctx->own_algs);
    OPENSSL_free(ctx->propq);
    OPENSSL_free(ctx);
}

const SSL_METHOD *SSL_CTX_get_ssl_method(const SSL_CTX *ctx) { return ctx->s->method; }

int SSL_CTX_set_ssl_version(SSL_CTX *ctx, const SSL_METHOD *meth)
{
    if (meth == NULL || meth->dtls) {
        ERR_raise(ERR_LIB_SSL, SSL_R_UNSUPPORTED_SSL_VERSION);
        return 0;
    }
    keel_settings *w = keel_ctx_w(ctx);
    if (w == NULL)
        return 0;
    w->method = meth;
    if (meth->version != TLS_ANY_VERSION)
        w->min_version = w->max_version = meth->version;
    return 1;
}

/* ---- options, mode, verification, timeouts ---- */

uint64_t SSL_CTX_get_options(const SSL_CTX *ctx) { return ctx->s->options; }
uint64_t SSL_CTX_set_options(SSL_CTX *ctx, uint64_t op)
{
    uint64_t v = ctx->s->options | op;

    KEEL_SET(keel_ctx_w, ctx, options, v);
    return ctx->s->options;
}

uint64_t SSL_CTX_clear_options(SSL_CTX *ctx, uint64_t op)
{
    uint64_t v = ctx->s->options & ~op;

    KEEL_SET(keel_ctx_w, ctx, options, v);
    return ctx->s->options;
}

void SSL_CTX_set_verify(SSL_CTX *ctx, int mode, SSL_verify_cb cb)
{
    KEEL_SET(keel_ctx_w, ctx, verify_mode, mode);
    KEEL_SET(keel_ctx_w, ctx, verify_callback, cb);
}

void SSL_CTX_set_verify_depth(SSL_CTX *ctx, int depth)
{
    keel_ctx_param_changed(ctx, 0);
    X509_VERIFY_PARAM_set_depth(ctx->param, depth);
}

int SSL_CTX_get_verify_mode(const SSL_CTX *ctx) { return ctx->s->verify_mode; }
int SSL_CTX_get_verify_depth(const SSL_CTX *ctx) { return X509_VERIFY_PARAM_get_depth(ctx->param); }
SSL_verify_cb SSL_CTX_get_verify_callback(const SSL_CTX *ctx) { return ctx->s->verify_callback; }
/* The application may change what it gets here at any time: from now on every SSL_new copies. */
X509_VERIFY_PARAM *SSL_CTX_get0_param(SSL_CTX *ctx)
{
    keel_ctx_param_changed(ctx, 1);
    return ctx->param;
}

int SSL_CTX_set1_param(SSL_CTX *ctx, X509_VERIFY_PARAM *vpm)
{
    keel_ctx_param_changed(ctx, 0);
    return X509_VERIFY_PARAM_set1(ctx->param, vpm);
}

int SSL_CTX_set_purpose(SSL_CTX *ctx, int purpose)
{
    keel_ctx_param_changed(ctx, 0);
    return X509_VERIFY_PARAM_set_purpose(ctx->param, purpose);
}

int SSL_CTX_set_trust(SSL_CTX *ctx, int trust)
{
    keel_ctx_param_changed(ctx, 0);
    return X509_VERIFY_PARAM_set_trust(ctx->param, trust);
}

long SSL_CTX_set_timeout(SSL_CTX *ctx, long t)
{
    long old = ctx->s->session_timeout;
    KEEL_SET(keel_ctx_w, ctx, session_timeout, t);
    return old;
}

long SSL_CTX_get_timeout(const SSL_CTX *ctx) { return ctx->s->session_timeout; }

void SSL_CTX_set_cert_verify_callback(SSL_CTX *ctx, int (*cb)(X509_STORE_CTX *, void *), void *arg)
{
    ctx->app_verify_cb = cb;
    ctx->app_verify_arg = arg;
}

void SSL_CTX_set_quiet_shutdown(SSL_CTX *ctx, int mode) { KEEL_SET(keel_ctx_w, ctx, quiet_shutdown, mode); }
int SSL_CTX_get_quiet_shutdown(const SSL_CTX *ctx) { return ctx->s->quiet_shutdown; }

/* ---- session id context, callbacks stored for later stages ---- */

int SSL_CTX_set_session_id_context(SSL_CTX *ctx, const unsigned char *sid, unsigned int len)
{
    if (len > SSL_MAX_SID_CTX_LENGTH) {
        ERR_raise(ERR_LIB_SSL, SSL_R_SSL_SESSION_ID_CONTEXT_TOO_LONG);
        return 0;
    }
    keel_settings *w = keel_ctx_w(ctx);
    if (w == NULL)
        return 0;
    memcpy(w->sid_ctx, sid, len);
    w->sid_ctx_len = len;
    return 1;
}

void SSL_CTX_set_default_passwd_cb(SSL_CTX *ctx, pem_password_cb *cb) { KEEL_SET(keel_ctx_w, ctx, passwd_cb, cb); }
void SSL_CTX_set_default_passwd_cb_userdata(SSL_CTX *ctx, void *u) { KEEL_SET(keel_ctx_w, ctx, passwd_userdata, u); }
pem_password_cb *SSL_CTX_get_default_passwd_cb(SSL_CTX *ctx) { return ctx->s->passwd_cb; }
void *SSL_CTX_get_default_passwd_cb_userdata(SSL_CTX *ctx) { return ctx->s->passwd_userdata; }

void SSL_CTX_set_info_callback(SSL_CTX *ctx, void (*cb)(const SSL *, int, int)) { ctx->info_callback = cb; }
void (*SSL_CTX_get_info_callback(SSL_CTX *ctx))(const SSL *, int, int) { return ctx->info_callback; }

void SSL_CTX_set_msg_callback(SSL_CTX *ctx,
                              void (*cb)(int, int, int, const void *, size_t, SSL *, void *))
{
    KEEL_SET(keel_ctx_w, ctx, msg_callback, cb);
}

void SSL_CTX_set_keylog_callback(SSL_CTX *ctx, SSL_CTX_keylog_cb_func cb) { ctx->keylog_cb = cb; }
SSL_CTX_keylog_cb_func SSL_CTX_get_keylog_callback(const SSL_CTX *ctx) { return ctx->keylog_cb; }

void SSL_CTX_set_alpn_select_cb(SSL_CTX *ctx, SSL_CTX_alpn_select_cb_func cb, void *arg)
{
    ctx->alpn_select_cb = cb;
    ctx->alpn_select_arg = arg;
}

void SSL_CTX_set_client_cert_cb(SSL_CTX *ctx, int (*cb)(SSL *, X509 **, EVP_PKEY **)) { ctx->client_cert_cb = cb; }
int (*SSL_CTX_get_client_cert_cb(SSL_CTX *ctx))(SSL *, X509 **, EVP_PKEY **) { return ctx->client_cert_cb; }

void SSL_CTX_set_cert_cb(SSL_CTX *ctx, int (*cb)(SSL *, void *), void *arg)
{
    KEEL_SET(keel_ctx_w, ctx, cert_cb, cb);
    KEEL_SET(keel_ctx_w, ctx, cert_cb_arg, arg);
}

void SSL_CTX_set_post_handshake_auth(SSL_CTX *ctx, int val) { KEEL_SET(keel_ctx_w, ctx, post_handshake_auth, val); }

int SSL_CTX_set_num_tickets(SSL_CTX *ctx, size_t n)
{
    KEEL_SET(keel_ctx_w, ctx, num_tickets, n);
    return ctx->s->num_tickets == n;
}

size_t SSL_CTX_get_num_tickets(const SSL_CTX *ctx) { return ctx->s->num_tickets; }

void SSL_CTX_sess_set_new_cb(SSL_CTX *ctx, int (*cb)(SSL *, SSL_SESSION *)) { ctx->new_session_cb = cb; }
void SSL_CTX_sess_set_remove_cb(SSL_CTX *ctx, void (*cb)(SSL_CTX *, SSL_SESSION *)) { ctx->remove_session_cb = cb; }
void SSL_CTX_sess_set_get_cb(SSL_CTX *ctx,
                             SSL_SESSION *(*cb)(SSL *, const unsigned char *, int, int *))
{
    ctx->get_session_cb = cb;
}
int (*SSL_CTX_sess_get_new_cb(SSL_CTX *ctx))(SSL *, SSL_SESSION *) { return ctx->new_session_cb; }
void (*SSL_CTX_sess_get_remove_cb(SSL_CTX *ctx))(SSL_CTX *, SSL_SESSION *) { return ctx->remove_session_cb; }
SSL_SESSION *(*SSL_CTX_sess_get_get_cb(SSL_CTX *ctx))(SSL *, const unsigned char *, int, int *)
{
    return ctx->get_session_cb;
}

int SSL_CTX_set_ex_data(SSL_CTX *ctx, int idx, void *data) { return CRYPTO_set_ex_data(&ctx->ex_data, idx, data); }
void *SSL_CTX_get_ex_data(const SSL_CTX *ctx, int idx) { return CRYPTO_get_ex_data(&ctx->ex_data, idx); }

void SSL_CTX_set_security_level(SSL_CTX *ctx, int level) { KEEL_SET(keel_ctx_w, ctx, security_level, level); }
int SSL_CTX_get_security_level(const SSL_CTX *ctx) { return ctx->s->security_level; }

