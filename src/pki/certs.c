/* Certificate and private-key configuration (SSL_CTX_use_certificate(3)).
 * One slot per key type; a key must match the certificate already in its slot, and a rejected
 * setting leaves the previous one in place. */
#include "internal.h"

#include <openssl/pem.h>
#include <string.h>

int keel_cert_slot_for_key(const EVP_PKEY *pkey)
{
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA: return KEEL_SLOT_RSA;
    case EVP_PKEY_RSA_PSS: return KEEL_SLOT_RSA_PSS;
    case EVP_PKEY_EC: return KEEL_SLOT_EC;
    case EVP_PKEY_ED25519: return KEEL_SLOT_ED25519;
    case EVP_PKEY_ED448: return KEEL_SLOT_ED448;
    default: return -1;
    }
}

int keel_cert_slot(X509 *x, EVP_PKEY **pub)
{
    int slot;

    if (x == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        return -1;
    }
    if ((*pub = X509_get0_pubkey(x)) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_X509_LIB);
        return -1;
    }
    if ((slot = keel_cert_slot_for_key(*pub)) < 0)
        ERR_raise(ERR_LIB_SSL, SSL_R_UNKNOWN_CERTIFICATE_TYPE);
    return slot;
}

int keel_use_certificate(keel_settings *s, X509 *x)
{
    if (s == NULL) /* the block could not be made this object's (keel_ssl_w: raised) */
        return 0;
    EVP_PKEY *pub;
    int slot;

    if ((slot = keel_cert_slot(x, &pub)) < 0)
        return 0;
    /* SSL_CTX_set_security_level(3): a leaf whose key or signature digest the security level (or
     * callback) refuses is not configured: SSL_R_EE_KEY_TOO_SMALL or SSL_R_CA_MD_TOO_WEAK. */
    int reason = keel_sec_cert(s, x, 1, 0);
    if (reason != 0) {
        ERR_raise(ERR_LIB_SSL, reason);
        return 0;
    }
    if (!X509_up_ref(x))
        return 0;
    keel_certkey *ck = &s->certs[slot];
    /* A key already in the slot that does not belong to the new certificate is dropped (the
     * certificate is the newer statement of intent; use_PrivateKey then supplies the right key). */
    if (ck->pkey != NULL && EVP_PKEY_eq(ck->pkey, pub) != 1) {
        EVP_PKEY_free(ck->pkey);
        ck->pkey = NULL;
    }
    X509_free(ck->x509);
    ck->x509 = x;
    s->cur_slot = slot;
    return 1;
}

int keel_use_private_key(keel_settings *s, EVP_PKEY *pkey)
{
    if (s == NULL) /* the block could not be made this object's (keel_ssl_w: raised) */
        return 0;
    int slot;

    if (pkey == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if ((slot = keel_cert_slot_for_key(pkey)) < 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_UNKNOWN_PKEY_TYPE);
        return 0;
    }
    keel_certkey *ck = &s->certs[slot];
    if (ck->x509 != NULL && !X509_check_private_key(ck->x509, pkey)) {
        /* libcrypto put X509_R_KEY_VALUES_MISMATCH on the stack, and as with OpenSSL 3.0 that is
         * the only error (applications test for ERR_LIB_X509 / X509_R_KEY_VALUES_MISMATCH;
         * tests/diff/chain.c); the old key stays. */
        return 0;
    }
    if (!EVP_PKEY_up_ref(pkey))
        return 0;
    EVP_PKEY_free(ck->pkey);
    ck->pkey = pkey;
    s->cur_slot = slot;
    return 1;
}

int keel_check_private_key(const keel_settings *s)
{
    if (s->cur_slot < 0 || s->certs[s->cur_slot].x509 == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_CERTIFICATE_ASSIGNED);
        return 0;
    }
    if (s->certs[s->cur_slot].pkey == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_PRIVATE_KEY_ASSIGNED);
        return 0;
    }
    return X509_check_private_key(s->certs[s->cur_slot].x509, s->certs[s->cur_slot].pkey);
}

/* ---- loading from files and DER ---- */

static BIO *open_file(const char *file)
{
    BIO *in = BIO_new_file(file, "r");
    if (in == NULL)
        ERR_raise(ERR_LIB_SSL, ERR_R_SYS_LIB);
    return in;
}

static X509 *read_cert(BIO *in, int type, const keel_settings *s, SSL_CTX *ctx)
{
    X509 *x = X509_new_ex(ctx->libctx, ctx->propq);
    if (x == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    X509 *r;
    if (type == SSL_FILETYPE_PEM)
        r = PEM_read_bio_X509(in, &x, s->passwd_cb, s->passwd_userdata);
    else if (type == SSL_FILETYPE_ASN1)
        r = d2i_X509_bio(in, &x);
    else {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_SSL_FILETYPE);
        r = NULL;
    }
    if (r == NULL) {
        X509_free(x);
        if (type == SSL_FILETYPE_PEM || type == SSL_FILETYPE_ASN1)
            ERR_raise(ERR_LIB_SSL, type == SSL_FILETYPE_PEM ? ERR_R_PEM_LIB : ERR_R_ASN1_LIB);
    }
    return r;
}

static EVP_PKEY *read_key(BIO *in, int type, const keel_settings *s, SSL_CTX *ctx)
{
    EVP_PKEY *k = NULL;
    if (type == SSL_FILETYPE_PEM) {
        k = PEM_read_bio_PrivateKey_ex(in, NULL, s->passwd_cb, s->passwd_userdata, ctx->libctx,
                                       ctx->propq);
        if (k == NULL)
            ERR_raise(ERR_LIB_SSL, ERR_R_PEM_LIB);
    } else if (type == SSL_FILETYPE_ASN1) {
        k = d2i_PrivateKey_ex_bio(in, NULL, ctx->libctx, ctx->propq);
        if (k == NULL)
            ERR_raise(ERR_LIB_SSL, ERR_R_ASN1_LIB);
    } else {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_SSL_FILETYPE);
    }
    return k;
}

static int use_cert_file(keel_settings *s, SSL_CTX *ctx, const char *file, int type)
{
    if (s == NULL) /* the block could not be made this object's (keel_ssl_w: raised) */
        return 0;
    BIO *in = open_file(file);
    if (in == NULL)
        return 0;
    X509 *x = read_cert(in, type, s, ctx);
    int ok = x != NULL && keel_use_certificate(s, x);
    X509_free(x);
    BIO_free(in);
    return ok;
}

static int use_key_file(keel_settings *s, SSL_CTX *ctx, const char *file, int type)
{
    if (s == NULL) /* the block could not be made this object's (keel_ssl_w: raised) */
        return 0;
    BIO *in = open_file(file);
    if (in == NULL)
        return 0;
    EVP_PKEY *k = read_key(in, type, s, ctx);
    int ok = k != NULL && keel_use_private_key(s, k);
    EVP_PKEY_free(k);
    BIO_free(in);
    return ok;
}

/* SSL_CTX_use_certificate_chain_file(3): the first PEM certificate is the leaf, the rest its chain. */
int keel_use_chain_file(keel_settings *s, SSL_CTX *ctx, const char *file)
{
    if (s == NULL) /* the block could not be made this object's (keel_ssl_w: raised) */
        return 0;
    BIO *in = open_file(file);
    X509 *leaf = NULL, *ca;
    STACK_OF(X509) *chain = NULL;
    int ok = 0;

    if (in == NULL)
        return 0;
    leaf = PEM_read_bio_X509_AUX(in, NULL, s->passwd_cb, s->passwd_userdata);
    if (leaf == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PEM_LIB);
        goto end;
    }
    if ((chain = sk_X509_new_null()) == NULL)
        goto end;
    /* The end-of-file error of the loop below is dropped, and only it (not the application's). */
    ERR_set_mark();
    while ((ca = PEM_read_bio_X509(in, NULL, s->passwd_cb, s->passwd_userdata)) != NULL) {
        if (!sk_X509_push(chain, ca)) {
            X509_free(ca);
            ERR_clear_last_mark();
            goto end;
        }
    }
    /* The loop ends on "no start line" at end of file: that is success, anything else is not. */
    unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
        ERR_pop_to_mark();
    } else if (e != 0) {
        ERR_clear_last_mark();
        goto end;
    } else {
        ERR_clear_last_mark();
    }
    /* Chain certificates as SSL_CTX_add0_chain_cert takes them: SSL_R_CA_KEY_TOO_SMALL etc. */
    int reason = keel_sec_chain(s, NULL, chain, 0);
    if (reason != 0) {
        ERR_raise(ERR_LIB_SSL, reason);
        goto end;
    }
    if (!keel_use_certificate(s, leaf))
        goto end;
    keel_certkey *ck = &s->certs[s->cur_slot];
    keel_chain_free(ck->chain);
    /* A file holding the leaf alone configures no chain (as OpenSSL's clears the chain and adds
     * none), so the chain is still completed from the trust store (SSL_CTX_add_extra_chain_cert(3)). */
    ck->chain = sk_X509_num(chain) > 0 ? chain : NULL;
    if (ck->chain == NULL)
        keel_chain_free(chain);
    chain = NULL;
    ok = 1;
end:
    X509_free(leaf);
    keel_chain_free(chain);
    BIO_free(in);
    return ok;
}

/* ---- public wrappers: the context's block or the SSL's own block ---- */

int SSL_CTX_use_certificate(SSL_CTX *ctx, X509 *x) { return keel_use_certificate(keel_ctx_w(ctx), x); }
int SSL_use_certificate(SSL *s, X509 *x) { return keel_use_certificate(keel_ssl_w(s), x); }
int SSL_CTX_use_PrivateKey(SSL_CTX *ctx, EVP_PKEY *k) { return keel_use_private_key(keel_ctx_w(ctx), k); }
int SSL_use_PrivateKey(SSL *s, EVP_PKEY *k) { return keel_use_private_key(keel_ssl_w(s), k); }
int SSL_CTX_check_private_key(const SSL_CTX *ctx) { return keel_check_private_key(ctx->s); }
int SSL_check_private_key(const SSL *s) { return keel_check_private_key(s->s); }

int SSL_CTX_use_certificate_file(SSL_CTX *ctx, const char *f, int type) { return use_cert_file(keel_ctx_w(ctx), ctx, f, type); }
int SSL_use_certificate_file(SSL *s, const char *f, int type) { return use_cert_file(keel_ssl_w(s), s->ctx, f, type); }
int SSL_CTX_use_PrivateKey_file(SSL_CTX *ctx, const char *f, int type) { return use_key_file(keel_ctx_w(ctx), ctx, f, type); }
int SSL_use_PrivateKey_file(SSL *s, const char *f, int type) { return use_key_file(keel_ssl_w(s), s->ctx, f, type); }
int SSL_CTX_use_certificate_chain_file(SSL_CTX *ctx, const char *f) { return keel_use_chain_file(keel_ctx_w(ctx), ctx, f); }
int SSL_use_certificate_chain_file(SSL *s, const char *f) { return keel_use_chain_file(keel_ssl_w(s), s->ctx, f); }

static int use_cert_der(keel_settings *s, const unsigned char *d, int len)
{
    if (s == NULL) /* the block could not be made this object's (keel_ssl_w: raised) */
        return 0;
    X509 *x = d2i_X509(NULL, &d, len);
    if (x == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_ASN1_LIB);
        return 0;
    }
    int ok = keel_use_certificate(s, x);
    X509_free(x);
    return ok;
}

static int use_key_der(keel_settings *s, SSL_CTX *ctx, int type, const unsigned char *d, long len)
{
    if (s == NULL) /* the block could not be made this object's (keel_ssl_w: raised) */
        return 0;
    EVP_PKEY *k = d2i_PrivateKey_ex(type, NULL, &d, len, ctx->libctx, ctx->propq);
    if (k == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_ASN1_LIB);
        return 0;
    }
    int ok = keel_use_private_key(s, k);
    EVP_PKEY_free(k);
    return ok;
}

int SSL_CTX_use_certificate_ASN1(SSL_CTX *ctx, int len, const unsigned char *d) { return use_cert_der(keel_ctx_w(ctx), d, len); }
int SSL_use_certificate_ASN1(SSL *s, const unsigned char *d, int len) { return use_cert_der(keel_ssl_w(s), d, len); }
int SSL_CTX_use_PrivateKey_ASN1(int type, SSL_CTX *ctx, const unsigned char *d, long len) { return use_key_der(keel_ctx_w(ctx), ctx, type, d, len); }
int SSL_use_PrivateKey_ASN1(int type, SSL *s, const unsigned char *d, long len) { return use_key_der(keel_ssl_w(s), s->ctx, type, d, len); }

X509 *SSL_CTX_get0_certificate(const SSL_CTX *ctx)
{
    return ctx->s->cur_slot < 0 ? NULL : ctx->s->certs[ctx->s->cur_slot].x509;
}

EVP_PKEY *SSL_CTX_get0_privatekey(const SSL_CTX *ctx)
{
    return ctx->s->cur_slot < 0 ? NULL : ctx->s->certs[ctx->s->cur_slot].pkey;
}

X509 *SSL_get_certificate(const SSL *s)
{
    return s->s->cur_slot < 0 ? NULL : s->s->certs[s->s->cur_slot].x509;
}

EVP_PKEY *SSL_get_privatekey(const SSL *s)
{
    return s->s->cur_slot < 0 ? NULL : s->s->certs[s->s->cur_slot].pkey;
}
