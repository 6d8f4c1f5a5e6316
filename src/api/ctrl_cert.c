/* The certificate ctrls (SSL_CTX_add1_chain_cert(3), SSL_CTX_build_cert_chain(3)): which
 * certificate slot the chain ctrls act on, the chain and verify stores, and building the chain. */
#include "internal.h"

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

/* SSL_CTX_select_current_cert: the slot holding exactly x. SSL_CTX_set_current_cert: the first
 * slot with a certificate, or the next one after the current slot (the order of keel's slots is
 * OpenSSL's order of key types). SSL_CERT_SET_SERVER (the certificate a server used) is answered
 * by the caller, which knows the connection. */
long keel_cert_select(keel_settings *s, int cmd, long larg, X509 *x)
{
    if (cmd == SSL_CTRL_SELECT_CURRENT_CERT) {
        for (int i = 0; x != NULL && i < KEEL_SLOT_COUNT; i++) {
            if (s->certs[i].x509 == x) {
                s->cur_slot = i;
                return 1;
            }
        }
        return 0;
    }
    int from;
    if (larg == SSL_CERT_SET_FIRST)
        from = 0;
    else if (larg == SSL_CERT_SET_NEXT && s->cur_slot >= 0)
        from = s->cur_slot + 1;
    else
        return 0;
    for (int i = from; i < KEEL_SLOT_COUNT; i++) {
        if (s->certs[i].x509 != NULL) {
            s->cur_slot = i;
            return 1;
        }
    }
    return 0;
}

/* SSL_CTX_set0/set1_verify_cert_store, set0/set1_chain_cert_store: larg says whether the caller
 * keeps its reference (set1) or hands it over (set0). */
long keel_cert_store_set(keel_settings *s, int cmd, long larg, X509_STORE *st)
{
    X509_STORE **slot = cmd == SSL_CTRL_SET_VERIFY_CERT_STORE ? &s->verify_store : &s->chain_store;
    if (larg && st != NULL && !X509_STORE_up_ref(st))
        return 0;
    X509_STORE_free(*slot);
    *slot = st;
    return 1;
}

/* SSL_CTX_build_cert_chain(3): the current certificate's chain, built by verifying it against
 * the chain store (else the context's verify store). Existing chain certificates are used as
 * untrusted intermediates with SSL_BUILD_CHAIN_FLAG_UNTRUSTED; with SSL_BUILD_CHAIN_FLAG_CHECK they
 * are the only trust anchors (the chain is checked, not completed). The result omits the leaf and,
 * with SSL_BUILD_CHAIN_FLAG_NO_ROOT, the self-signed root. A verification failure returns 0, or
 * 2 with SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR (the partial chain is kept; CLEAR_ERROR empties the
 * error queue). */
long keel_build_cert_chain(keel_settings *s, SSL_CTX *ctx, long flags)
{
    keel_certkey *ck = s->cur_slot >= 0 ? &s->certs[s->cur_slot] : NULL;
    X509_STORE *store = s->chain_store != NULL ? s->chain_store : ctx->cert_store, *own = NULL;
    STACK_OF(X509) *untrusted = NULL, *chain = NULL;
    X509_STORE_CTX *xs = NULL;
    long ret = 0;

    if (ck == NULL || ck->x509 == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_CERTIFICATE_SET);
        return 0;
    }
    if (flags & SSL_BUILD_CHAIN_FLAG_CHECK) {
        /* The chain certificates are the store: build only from them. */
        if ((own = X509_STORE_new()) == NULL)
            goto end;
        for (int i = 0; i < sk_X509_num(ck->chain); i++)
            if (!X509_STORE_add_cert(own, sk_X509_value(ck->chain, i)))
                goto end;
        store = own;
    } else if (flags & SSL_BUILD_CHAIN_FLAG_UNTRUSTED) {
        untrusted = ck->chain;
    }
    if ((xs = X509_STORE_CTX_new_ex(ctx->libctx, ctx->propq)) == NULL
            || !X509_STORE_CTX_init(xs, store, ck->x509, untrusted)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_X509_LIB);
        goto end;
    }
    int ok = X509_verify_cert(xs);
    if (ok <= 0) {
        if (!(flags & SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR)) {
            ERR_raise_data(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED, "Verify error:%s",
                           X509_verify_cert_error_string(X509_STORE_CTX_get_error(xs)));
            goto end;
        }
        if (flags & SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR)
            ERR_clear_error();
        ret = 2;
    } else {
        ret = 1;
    }
    if ((chain = X509_STORE_CTX_get1_chain(xs)) == NULL) {
        ret = 0;
        goto end;
    }
    X509_free(sk_X509_shift(chain)); /* the leaf */
    if ((flags & SSL_BUILD_CHAIN_FLAG_NO_ROOT) && sk_X509_num(chain) > 0) {
        X509 *top = sk_X509_value(chain, sk_X509_num(chain) - 1);
        if (X509_get_extension_flags(top) & EXFLAG_SS)
            X509_free(sk_X509_pop(chain));
    }
    /* Each certificate added must satisfy the security level, as when set by SSL_CTX_set1_chain. */
    int reason = keel_sec_chain(s, NULL, chain, 0);
    if (reason != 0) {
        ERR_raise(ERR_LIB_SSL, reason);
        ret = 0;
        goto end;
    }
    keel_chain_free(ck->chain);
    ck->chain = chain;
    chain = NULL;
end:
    keel_chain_free(chain);
    X509_STORE_CTX_free(xs);
    X509_STORE_free(own);
    return ret;
}
