/* The inherited settings block: the one place that knows which members are owned, and how a
 * shared block is made a holder's own before it is written (copy on write). */
#include "internal.h"

#include <string.h>

/* Defaults as OpenSSL 3.0 documents them: verify depth 100 (X509_VERIFY_PARAM default -1 means
 * "library default"), session timeout 7200 s (SSL_get_default_timeout for TLS), 2 TLS 1.3 tickets,
 * 16384-byte fragments, SSL_OP_ENABLE_MIDDLEBOX_COMPAT on; the security level is the system libssl's
 * compiled-in default (probed at build time: CMakeLists.txt), the default security callback. */
static void settings_free(keel_settings *s);

/* Every generation names one set of suite lists (cipher_stack_gen in the holders). */
static atomic_uint ciphers_gen_next = 1;

void keel_settings_ciphers_changed(keel_settings *s)
{
    s->ciphers_gen = atomic_fetch_add(&ciphers_gen_next, 1);
}

keel_settings *keel_settings_new(const SSL_METHOD *method)
{
    keel_settings *s = OPENSSL_zalloc(sizeof(*s));

    if (s == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    s->method = method;
    s->options = SSL_OP_ENABLE_MIDDLEBOX_COMPAT | SSL_OP_NO_COMPRESSION;
    s->mode = SSL_MODE_AUTO_RETRY;
    s->verify_mode = SSL_VERIFY_NONE;
    s->session_timeout = 7200;
    s->security_level = KEEL_DEFAULT_SECURITY_LEVEL;
    s->security_cb = keel_sec_default_cb();
    s->max_send_fragment = SSL3_RT_MAX_PLAIN_LENGTH;
    s->num_tickets = 2;
    s->recv_max_early_data = SSL3_RT_MAX_PLAIN_LENGTH; /* OpenSSL 3.0's default */
    s->max_cert_list = 100 * 1024;
    s->cur_slot = -1;
    if (method->version != TLS_ANY_VERSION)
        s->min_version = s->max_version = method->version;
    if ((s->lists = OPENSSL_zalloc(sizeof(*s->lists))) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        settings_free(s);
        return NULL;
    }
    atomic_init(&s->lists->refs, 1);
    if (!keel_ciphers_default(s)) {
        settings_free(s);
        return NULL;
    }
    keel_settings_ciphers_changed(s);
    return s;
}

static int copy_certkey(keel_certkey *dst, const keel_certkey *src)
{
    if (src->x509 != NULL && !X509_up_ref(src->x509))
        return 0;
    dst->x509 = src->x509;
    if (src->pkey != NULL && !EVP_PKEY_up_ref(src->pkey))
        return 0;
    dst->pkey = src->pkey;
    if (src->chain != NULL && (dst->chain = X509_chain_up_ref(src->chain)) == NULL)
        return 0;
    return 1;
}

keel_settings *keel_settings_dup(const keel_settings *src)
{
    keel_settings *dst = OPENSSL_malloc(sizeof(*dst));

    if (dst == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    memcpy(dst, src, sizeof(*dst));
    atomic_init(&dst->refs, 1);
    /* Owned members start empty so that settings_free is safe at every failure point. */
    dst->alpn = NULL;
    /* The suite list is immutable: shared, not copied; the other lists until one block writes. */
    if (dst->suites12 != NULL)
        atomic_fetch_add(&dst->suites12->refs, 1);
    atomic_fetch_add(&dst->lists->refs, 1);
    memset(dst->certs, 0, sizeof(dst->certs));
    dst->verify_store = NULL;
    dst->chain_store = NULL;
    dst->dh_tmp = NULL;
    dst->psk_identity_hint = NULL;
    dst->sec_ssl = NULL; /* the writer names itself (keel_ssl_w, keel_ctx_w) */
    dst->sec_ctx = NULL;

    if (src->alpn != NULL) {
        if ((dst->alpn = OPENSSL_memdup(src->alpn, src->alpn_len)) == NULL) {
            ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
            goto err;
        }
    }
    if (src->psk_identity_hint != NULL
            && (dst->psk_identity_hint = OPENSSL_strdup(src->psk_identity_hint)) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        goto err;
    }
    if ((src->verify_store != NULL && !X509_STORE_up_ref(src->verify_store))
            || (dst->verify_store = src->verify_store, 0)
            || (src->chain_store != NULL && !X509_STORE_up_ref(src->chain_store))
            || (dst->chain_store = src->chain_store, 0)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_X509_LIB);
        goto err;
    }
    if (src->dh_tmp != NULL) {
        if (!EVP_PKEY_up_ref(src->dh_tmp)) {
            ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
            goto err;
        }
        dst->dh_tmp = src->dh_tmp;
    }
    for (int i = 0; i < KEEL_SLOT_COUNT; i++) {
        if (!copy_certkey(&dst->certs[i], &src->certs[i])) {
            ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
            goto err;
        }
    }
    return dst;
err:
    settings_free(dst);
    return NULL;
}

const keel_settings *keel_settings_ref(const keel_settings *s)
{
    atomic_fetch_add_explicit(&((keel_settings *)s)->refs, 1, memory_order_relaxed);
    return s;
}

void keel_settings_release(const keel_settings *s)
{
    if (s != NULL && atomic_fetch_sub_explicit(&((keel_settings *)s)->refs, 1, memory_order_acq_rel) == 1)
        settings_free((keel_settings *)s);
}

/* The block in *slot, made private first, named as its holder's (ssl or ctx). Only the holders
 * of a reference can raise the count and this holder is being configured (the API does not let
 * an SSL or SSL_CTX be configured from two threads at once), so a count of 1 stays 1. */
static keel_settings *settings_w(const keel_settings **slot, const SSL *ssl, const SSL_CTX *ctx)
{
    keel_settings *w = (keel_settings *)*slot;

    if (atomic_load_explicit(&w->refs, memory_order_acquire) != 1) {
        if ((w = keel_settings_dup(*slot)) == NULL)
            return NULL;
        keel_settings_release(*slot);
        *slot = w;
    }
    w->sec_ssl = ssl;
    w->sec_ctx = ctx;
    return w;
}

keel_settings *keel_ssl_w(SSL *s)
{
    keel_settings *w = settings_w(&s->s, s, NULL);

    if (w == NULL)
        s->settings_lost = 1;
    return w;
}

keel_settings *keel_ctx_w(SSL_CTX *ctx)
{
    keel_settings *w = settings_w(&ctx->s, NULL, ctx);

    if (w == NULL)
        ctx->settings_lost = 1;
    return w;
}

static void lists_release(keel_lists *l)
{
    if (l != NULL && atomic_fetch_sub(&l->refs, 1) == 1)
        OPENSSL_free(l);
}

keel_lists *keel_settings_lists(keel_settings *s)
{
    keel_lists *l = s->lists;

    /* Only the blocks holding a reference can raise the count, and this one is being written
     * (the API does not let an SSL or SSL_CTX be configured from two threads at once), so a
     * count of 1 stays 1. */
    if (atomic_load(&l->refs) == 1)
        return l;
    if ((l = OPENSSL_malloc(sizeof(*l))) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    memcpy(l->groups, s->lists->groups, sizeof(l->groups));
    memcpy(l->sigalgs, s->lists->sigalgs, sizeof(l->sigalgs));
    memcpy(l->client_sigalgs, s->lists->client_sigalgs, sizeof(l->client_sigalgs));
    memcpy(l->ciphers13, s->lists->ciphers13, sizeof(l->ciphers13));
    atomic_init(&l->refs, 1);
    lists_release(s->lists);
    s->lists = l;
    return l;
}

static void suites_release(keel_suite_list *l)
{
    if (l != NULL && atomic_fetch_sub(&l->refs, 1) == 1)
        OPENSSL_free(l);
}

int keel_settings_set_ciphers12(keel_settings *s, const SSL_CIPHER *const *v, size_t n)
{
    keel_suite_list *l = OPENSSL_malloc(sizeof(*l) + n * sizeof(l->v[0]));

    if (l == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return 0;
    }
    atomic_init(&l->refs, 1);
    l->n = n;
    if (n > 0)
        memcpy(l->v, v, n * sizeof(l->v[0]));
    suites_release(s->suites12);
    s->suites12 = l;
    s->ciphers12 = l->v;
    s->nciphers12 = n;
    return 1;
}

static void settings_free(keel_settings *s)
{
    lists_release(s->lists);
    suites_release(s->suites12);
    OPENSSL_free(s->alpn);
    OPENSSL_free(s->psk_identity_hint);
    X509_STORE_free(s->verify_store);
    X509_STORE_free(s->chain_store);
    EVP_PKEY_free(s->dh_tmp);
    for (int i = 0; i < KEEL_SLOT_COUNT; i++) {
        X509_free(s->certs[i].x509);
        EVP_PKEY_free(s->certs[i].pkey);
        keel_chain_free(s->certs[i].chain);
    }
    OPENSSL_free(s);
}

/* ---- verification parameters: shared snapshots of a context's ---- */

void keel_param_snap_release(keel_param_snap *p)
{
    if (p != NULL && atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1) {
        X509_VERIFY_PARAM_free(p->p);
        OPENSSL_free(p);
    }
}

const X509_VERIFY_PARAM *keel_param_r(const SSL *s)
{
    return s->param != NULL ? s->param : s->param_snap->p;
}

static X509_VERIFY_PARAM *param_copy(const X509_VERIFY_PARAM *from)
{
    X509_VERIFY_PARAM *p = X509_VERIFY_PARAM_new();

    if (p == NULL || !X509_VERIFY_PARAM_set1(p, from)) {
        X509_VERIFY_PARAM_free(p);
        ERR_raise(ERR_LIB_SSL, ERR_R_X509_LIB);
        return NULL;
    }
    return p;
}

X509_VERIFY_PARAM *keel_param_w(SSL *s)
{
    if (s->param == NULL) {
        if ((s->param = param_copy(s->param_snap->p)) == NULL) {
            s->settings_lost = 1;
            return NULL;
        }
        keel_param_snap_release(s->param_snap);
        s->param_snap = NULL;
    }
    return s->param;
}

/* The context's snapshot, made by the first SSL_new that needs one (two threads making SSLs at
 * once may both make one; the first stored wins). NULL: none can be shared (exposed) or none
 * could be made; the SSL then copies the context's parameters. */
static keel_param_snap *ctx_snapshot(SSL_CTX *ctx)
{
    keel_param_snap *p = atomic_load_explicit(&ctx->param_snap, memory_order_acquire), *none = NULL;

    if (p != NULL || ctx->param_exposed)
        return p;
    if ((p = OPENSSL_malloc(sizeof(*p))) == NULL)
        return NULL;
    atomic_init(&p->refs, 1);
    ERR_set_mark();
    p->p = param_copy(ctx->param);
    ERR_pop_to_mark();
    if (p->p == NULL) {
        OPENSSL_free(p);
        return NULL;
    }
    if (!atomic_compare_exchange_strong(&ctx->param_snap, &none, p)) {
        keel_param_snap_release(p);
        p = none;
    }
    return p;
}

int keel_param_inherit(SSL *s, SSL_CTX *ctx, const SSL *from)
{
    keel_param_snap *p = from != NULL ? from->param_snap : ctx_snapshot(ctx);

    if (from != NULL && from->param != NULL)
        p = NULL;
    if (p != NULL) {
        atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
        s->param_snap = p;
        return 1;
    }
    return (s->param = param_copy(from != NULL ? from->param : ctx->param)) != NULL;
}

void keel_ctx_param_changed(SSL_CTX *ctx, int exposed)
{
    if (exposed)
        ctx->param_exposed = 1;
    keel_param_snap_release(atomic_exchange(&ctx->param_snap, NULL));
}
