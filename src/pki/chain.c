/* Our own certificate chain built from a trust store with libcrypto's X509_verify_cert:
 * SSL_CTX_build_cert_chain(3), and the automatic completion SSL_CTX_add_extra_chain_cert(3)
 * describes ("If no chain is specified, the library will try to complete the chain from the
 * available CA certificates in the trusted CA storage"). As OpenSSL 3.0 does (checked with
 * openssl s_server -CAfile intermediate+root and no chain: s_client receives leaf, intermediate,
 * root), the completed chain holds everything the store supplied, the root included, and a chain
 * that does not verify is sent as far as it was built. */
#include "internal.h"

#include <openssl/x509v3.h>

/* Runs X509_verify_cert on leaf over `store` (and `untrusted`); *out gets the chain built after
 * the leaf, without a self-signed root if no_root. 1 verified, 2 built but not verified (*verr
 * says why), 0 on allocation failure. */
static int build(SSL_CTX *ctx, X509_STORE *store, X509 *leaf, STACK_OF(X509) *untrusted, int no_root,
                 STACK_OF(X509) **out, int *verr)
{
    X509_STORE_CTX *xs = X509_STORE_CTX_new_ex(ctx->libctx, ctx->propq);
    STACK_OF(X509) *chain = NULL;
    int ret = 0;

    *out = NULL;
    if (xs == NULL || !X509_STORE_CTX_init(xs, store, leaf, untrusted))
        goto end;
    int ok = X509_verify_cert(xs);
    *verr = X509_STORE_CTX_get_error(xs);
    /* After a failure the context holds the chain as far as it got. */
    if ((chain = X509_STORE_CTX_get1_chain(xs)) == NULL && (chain = sk_X509_new_null()) == NULL)
        goto end;
    if (sk_X509_num(chain) > 0)
        X509_free(sk_X509_shift(chain)); /* the leaf itself is sent first, separately */
    if (no_root && sk_X509_num(chain) > 0) {
        X509 *top = sk_X509_value(chain, sk_X509_num(chain) - 1);
        if ((X509_get_extension_flags(top) & EXFLAG_SS) != 0)
            X509_free(sk_X509_pop(chain));
    }
    *out = chain;
    chain = NULL;
    ret = ok > 0 ? 1 : 2;
end:
    keel_chain_free(chain);
    X509_STORE_CTX_free(xs);
    return ret;
}

int keel_build_chain(keel_settings *s, SSL_CTX *ctx, unsigned long flags)
{
    if (s == NULL)
        return 0;
    keel_certkey *ck = s->cur_slot >= 0 ? &s->certs[s->cur_slot] : NULL;
    X509_STORE *store = s->chain_store, *tmp = NULL;
    STACK_OF(X509) *untrusted = NULL, *chain = NULL;
    int verr = 0, ret = 0;

    if (ck == NULL || ck->x509 == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_CERTIFICATE_SET);
        return 0;
    }
    if (store == NULL)
        store = ctx->cert_store;
    if (flags & SSL_BUILD_CHAIN_FLAG_CHECK) {
        /* Only the configured chain certificates: a sanity check that also puts them in order. */
        if ((tmp = X509_STORE_new()) == NULL) {
            ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
            return 0;
        }
        for (int i = 0; i < sk_X509_num(ck->chain); i++)
            if (!X509_STORE_add_cert(tmp, sk_X509_value(ck->chain, i))) {
                ERR_raise(ERR_LIB_SSL, ERR_R_X509_LIB);
                goto end;
            }
        store = tmp;
    } else if (flags & SSL_BUILD_CHAIN_FLAG_UNTRUSTED) {
        untrusted = ck->chain;
    }
    if (store == NULL && (store = tmp = X509_STORE_new()) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return 0;
    }
    ret = build(ctx, store, ck->x509, untrusted, (flags & SSL_BUILD_CHAIN_FLAG_NO_ROOT) != 0, &chain,
                &verr);
    if (ret == 0) {
        ERR_raise(ERR_LIB_SSL, ERR_R_X509_LIB);
        goto end;
    }
    if (ret == 2) {
        if (!(flags & SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR)) {
            ERR_raise_data(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED, "Verify error:%s",
                           X509_verify_cert_error_string(verr));
            ret = 0;
            goto end;
        }
        /* X509_verify_cert leaves nothing on the error queue; CLEAR_ERROR has nothing to clear.
         * The man page promises 2 here; OpenSSL 3.0 returns 2 only when nothing was built beyond
         * the leaf and 1 when the partial chain holds certificates (probes: an empty store gives
         * 2, a store holding only the intermediate 1, with IGNORE_ERROR and with
         * IGNORE_ERROR|CLEAR_ERROR), and apps test for what it does. */
        ret = sk_X509_num(chain) > 0 ? 1 : 2;
    }
    /* The built chain must satisfy the security level or callback (SSL_CTX_set_security_level(3)). */
    int reason = keel_sec_chain(s, NULL, chain, 0);
    if (reason != 0) {
        ERR_raise(ERR_LIB_SSL, reason);
        ret = 0;
        goto end;
    }
    keel_chain_free(ck->chain);
    ck->chain = chain; /* replaces any existing chain, so it is not completed again per handshake */
    chain = NULL;
end:
    keel_chain_free(chain);
    X509_STORE_free(tmp);
    return ret;
}

/* The context's completed chain for ck's leaf: from the cache, else built and cached. */
static int auto_chain(SSL *s, const keel_certkey *ck, STACK_OF(X509) **out)
{
    SSL_CTX *ctx = s->ctx;
    /* The chain store if one is set, else the context's store (not the verify store), as
     * OpenSSL 3.0 completes chains. */
    X509_STORE *store = s->s->chain_store != NULL ? s->s->chain_store : ctx->cert_store;
    int slot = keel_cert_slot_for_key(ck->pkey != NULL ? ck->pkey : X509_get0_pubkey(ck->x509));
    unsigned gen = atomic_load(&ctx->store_gen);
    STACK_OF(X509) *chain = NULL;
    int verr;

    if (store == NULL || slot < 0)
        return 1; /* nothing to complete from */
    if (!CRYPTO_THREAD_read_lock(ctx->lock))
        return 0;
    if (ctx->auto_chain[slot].leaf == ck->x509 && ctx->auto_chain[slot].store == store
            && ctx->auto_chain[slot].gen == gen)
        chain = X509_chain_up_ref(ctx->auto_chain[slot].chain);
    CRYPTO_THREAD_unlock(ctx->lock);
    if (chain != NULL) {
        *out = chain;
        return 1;
    }
    /* Verification errors are not ours to report: the peer judges the chain (RFC 8446 §4.4.2.2);
     * whatever was built is sent. */
    ERR_set_mark();
    int r = build(ctx, store, ck->x509, NULL, 0, &chain, &verr);
    ERR_pop_to_mark();
    if (r == 0) {
        ERR_raise(ERR_LIB_SSL, ERR_R_X509_LIB);
        return 0;
    }
    STACK_OF(X509) *keep = X509_chain_up_ref(chain);
    if (keep != NULL && X509_up_ref(ck->x509) && CRYPTO_THREAD_write_lock(ctx->lock)) {
        X509_free(ctx->auto_chain[slot].leaf);
        keel_chain_free(ctx->auto_chain[slot].chain);
        ctx->auto_chain[slot].leaf = ck->x509;
        ctx->auto_chain[slot].store = store;
        ctx->auto_chain[slot].gen = gen;
        ctx->auto_chain[slot].chain = keep;
        CRYPTO_THREAD_unlock(ctx->lock);
    } else {
        keel_chain_free(keep); /* not cached: built again next time */
    }
    *out = chain;
    return 1;
}

int keel_chain_to_send(SSL *s, const keel_certkey *ck, STACK_OF(X509) **out)
{
    STACK_OF(X509) *conf = ck->chain != NULL ? ck->chain : s->ctx->extra_certs;

    *out = NULL;
    if (conf != NULL) {
        if ((*out = X509_chain_up_ref(conf)) == NULL) {
            ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
            return 0;
        }
        return 1;
    }
    if (s->s->mode & SSL_MODE_NO_AUTO_CHAIN)
        return 1;
    return auto_chain(s, ck, out);
}

void keel_auto_chain_free(SSL_CTX *ctx)
{
    for (int i = 0; i < KEEL_SLOT_COUNT; i++) {
        X509_free(ctx->auto_chain[i].leaf);
        keel_chain_free(ctx->auto_chain[i].chain);
        ctx->auto_chain[i].leaf = NULL;
        ctx->auto_chain[i].chain = NULL;
    }
}
