/* The inherited settings block: the one place that knows which members are owned.
 * SSL_new, SSL_dup and SSL_set_SSL_CTX all go through keel_settings_copy. */
#include "internal.h"

#include <string.h>

/* Defaults as OpenSSL 3.0 documents them: verify depth 100 (X509_VERIFY_PARAM default -1 means
 * "library default"), session timeout 7200 s (SSL_get_default_timeout for TLS), 2 TLS 1.3 tickets,
 * 16384-byte fragments, SSL_OP_ENABLE_MIDDLEBOX_COMPAT on; the security level is the system libssl's
 * compiled-in default (probed at build time: CMakeLists.txt), the default security callback. */
int keel_settings_init(keel_settings *s, const SSL_METHOD *method)
{
    memset(s, 0, sizeof(*s));
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
    s->status_type = -1;
    if (method->version != TLS_ANY_VERSION)
        s->min_version = s->max_version = method->version;
    if ((s->param = X509_VERIFY_PARAM_new()) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_X509_LIB);
        return 0;
    }
    if ((s->lists = OPENSSL_zalloc(sizeof(*s->lists))) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        keel_settings_free(s);
        return 0;
    }
    atomic_init(&s->lists->refs, 1);
    if (!keel_ciphers_default(s)) {
        keel_settings_free(s);
        return 0;
    }
    return 1;
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

int keel_settings_copy(keel_settings *dst, const keel_settings *src)
{
    memcpy(dst, src, sizeof(*dst));
    /* Owned members start empty so that keel_settings_free is safe at every failure point. */
    dst->param = NULL;
    dst->alpn = NULL;
    dst->cipher_stack = NULL;
    /* The suite list is immutable: shared, not copied; the other lists until one block writes. */
    if (dst->suites12 != NULL)
        atomic_fetch_add(&dst->suites12->refs, 1);
    atomic_fetch_add(&dst->lists->refs, 1);
    memset(dst->certs, 0, sizeof(dst->certs));
    dst->verify_store = NULL;
    dst->chain_store = NULL;
    dst->dh_tmp = NULL;
    dst->psk_identity_hint = NULL;
    dst->sec_ssl = NULL; /* the new owner sets itself */
    dst->sec_ctx = NULL;

    if ((dst->param = X509_VERIFY_PARAM_new()) == NULL
            || !X509_VERIFY_PARAM_set1(dst->param, src->param)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_X509_LIB);
        goto err;
    }
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
    return 1;
err:
    keel_settings_free(dst);
    return 0;
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

void keel_settings_free(keel_settings *s)
{
    lists_release(s->lists);
    s->lists = NULL;
    suites_release(s->suites12);
    s->suites12 = NULL;
    s->ciphers12 = NULL;
    s->nciphers12 = 0;
    X509_VERIFY_PARAM_free(s->param);
    s->param = NULL;
    OPENSSL_free(s->alpn);
    s->alpn = NULL;
    OPENSSL_free(s->psk_identity_hint);
    s->psk_identity_hint = NULL;
    s->alpn_len = 0;
    sk_SSL_CIPHER_free(s->cipher_stack);
    s->cipher_stack = NULL;
    X509_STORE_free(s->verify_store);
    X509_STORE_free(s->chain_store);
    s->verify_store = s->chain_store = NULL;
    EVP_PKEY_free(s->dh_tmp);
    s->dh_tmp = NULL;
    for (int i = 0; i < KEEL_SLOT_COUNT; i++) {
        X509_free(s->certs[i].x509);
        EVP_PKEY_free(s->certs[i].pkey);
        keel_chain_free(s->certs[i].chain);
        memset(&s->certs[i], 0, sizeof(s->certs[i]));
    }
}
