/* Peer certificates already decoded, per context. Decoding a certificate (d2i_X509: ASN.1 and the
 * public-key decoder) is the largest single cost of a full handshake after the public-key
 * operations, and a server sees the same client certificates, a client the same server chain,
 * again and again. A hit is the same DER bytes, compared in full; the X509 is shared by reference
 * (libcrypto's X509 objects are safe to share once decoded). A small array, replaced in turn. */
#include "internal.h"

#include <string.h>

X509 *keel_cert_cache_get(SSL_CTX *ctx, const uint8_t *der, size_t len)
{
    X509 *x = NULL;

    if (!CRYPTO_THREAD_read_lock(ctx->lock))
        return NULL;
    for (size_t i = 0; i < KEEL_CERT_CACHE_SIZE; i++) {
        const keel_cached_cert *e = &ctx->cert_cache[i];
        if (e->x509 != NULL && e->len == len && memcmp(e->der, der, len) == 0) {
            if (X509_up_ref(e->x509))
                x = e->x509;
            break;
        }
    }
    CRYPTO_THREAD_unlock(ctx->lock);
    return x;
}

/* Best effort: a failure to cache is not a failure of the handshake. */
void keel_cert_cache_put(SSL_CTX *ctx, const uint8_t *der, size_t len, X509 *x)
{
    /* Only the errors of this attempt are dropped; the application's stay on the queue. */
    ERR_set_mark();
    uint8_t *copy = OPENSSL_memdup(der, len);

    if (copy == NULL || !X509_up_ref(x)) {
        OPENSSL_free(copy);
        ERR_pop_to_mark();
        return;
    }
    ERR_clear_last_mark();
    if (!CRYPTO_THREAD_write_lock(ctx->lock)) {
        OPENSSL_free(copy);
        X509_free(x);
        return;
    }
    keel_cached_cert *e = &ctx->cert_cache[ctx->cert_cache_next];
    ctx->cert_cache_next = (ctx->cert_cache_next + 1) % KEEL_CERT_CACHE_SIZE;
    keel_cached_cert old = *e;
    e->der = copy;
    e->len = len;
    e->x509 = x;
    CRYPTO_THREAD_unlock(ctx->lock);
    OPENSSL_free(old.der);
    X509_free(old.x509);
}

void keel_cert_cache_free(SSL_CTX *ctx)
{
    for (size_t i = 0; i < KEEL_CERT_CACHE_SIZE; i++) {
        OPENSSL_free(ctx->cert_cache[i].der);
        X509_free(ctx->cert_cache[i].x509);
    }
    memset(ctx->cert_cache, 0, sizeof(ctx->cert_cache));
}
