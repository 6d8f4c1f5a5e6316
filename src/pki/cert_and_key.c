/* The remaining ways to configure a certificate and key (SSL_CTX_use_certificate(3)):
 * SSL_CTX_use_cert_and_key, which sets certificate, key and chain as one unit, and the RSA-typed
 * private-key loaders that OpenSSL 3.0 keeps for compatibility. */
#define OPENSSL_SUPPRESS_DEPRECATED /* RSA and EVP_PKEY_set1_RSA: the ABI still takes RSA * */
#include "internal.h"

#include <openssl/pem.h>
#include <openssl/rsa.h>

/* Certificate x, its private key (NULL: the certificate's public key stands in, for keys held
 * in hardware) and its chain, into the slot of x's key type. Without `override`, an occupied
 * slot is left alone and the call fails. */
static int use_cert_and_key(keel_settings *s, X509 *x, EVP_PKEY *privatekey,
                            STACK_OF(X509) *chain, int override)
{
    if (s == NULL) /* the block could not be made this object's (keel_ssl_w: raised) */
        return 0;
    EVP_PKEY *pub, *key;
    STACK_OF(X509) *dup = NULL;
    int slot;

    if ((slot = keel_cert_slot(x, &pub)) < 0)
        return 0;
    /* The security level or callback must accept the leaf and every chain certificate. */
    int reason = keel_sec_chain(s, x, chain, 0);
    if (reason != 0) {
        ERR_raise(ERR_LIB_SSL, reason);
        return 0;
    }
    key = privatekey != NULL ? privatekey : pub;
    if (privatekey != NULL && EVP_PKEY_eq(pub, privatekey) != 1) {
        ERR_raise(ERR_LIB_SSL, SSL_R_PRIVATE_KEY_MISMATCH);
        return 0;
    }
    keel_certkey *ck = &s->certs[slot];
    if (!override && (ck->x509 != NULL || ck->pkey != NULL || ck->chain != NULL)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NOT_REPLACING_CERTIFICATE);
        return 0;
    }
    if (chain != NULL && (dup = X509_chain_up_ref(chain)) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return 0;
    }
    if (!X509_up_ref(x)) {
        keel_chain_free(dup);
        return 0;
    }
    if (!EVP_PKEY_up_ref(key)) {
        X509_free(x);
        keel_chain_free(dup);
        return 0;
    }
    X509_free(ck->x509);
    EVP_PKEY_free(ck->pkey);
    keel_chain_free(ck->chain);
    ck->x509 = x;
    ck->pkey = key;
    ck->chain = dup;
    s->cur_slot = slot;
    return 1;
}

int SSL_CTX_use_cert_and_key(SSL_CTX *ctx, X509 *x509, EVP_PKEY *privatekey,
                             STACK_OF(X509) *chain, int override)
{
    return use_cert_and_key(keel_ctx_w(ctx), x509, privatekey, chain, override);
}

int SSL_use_cert_and_key(SSL *ssl, X509 *x509, EVP_PKEY *privatekey, STACK_OF(X509) *chain,
                         int override)
{
    return use_cert_and_key(keel_ssl_w(ssl), x509, privatekey, chain, override);
}

/* ---- RSA * keys: wrapped in an EVP_PKEY that shares the RSA (its reference count goes up) ---- */

static int use_rsa(keel_settings *s, RSA *rsa)
{
    if (s == NULL) /* the block could not be made this object's (keel_ssl_w: raised) */
        return 0;
    EVP_PKEY *pkey;

    if (rsa == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if ((pkey = EVP_PKEY_new()) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return 0;
    }
    if (!EVP_PKEY_set1_RSA(pkey, rsa)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        EVP_PKEY_free(pkey);
        return 0;
    }
    int ok = keel_use_private_key(s, pkey);
    EVP_PKEY_free(pkey);
    return ok;
}

static int use_rsa_der(keel_settings *s, const unsigned char *d, long len)
{
    if (s == NULL) /* the block could not be made this object's (keel_ssl_w: raised) */
        return 0;
    RSA *rsa = d2i_RSAPrivateKey(NULL, &d, len);
    if (rsa == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_ASN1_LIB);
        return 0;
    }
    int ok = use_rsa(s, rsa);
    RSA_free(rsa);
    return ok;
}

static int use_rsa_file(keel_settings *s, const char *file, int type)
{
    if (s == NULL) /* the block could not be made this object's (keel_ssl_w: raised) */
        return 0;
    BIO *in;
    RSA *rsa = NULL;

    if (type != SSL_FILETYPE_PEM && type != SSL_FILETYPE_ASN1) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_SSL_FILETYPE);
        return 0;
    }
    if ((in = BIO_new_file(file, "r")) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_SYS_LIB);
        return 0;
    }
    if (type == SSL_FILETYPE_PEM)
        rsa = PEM_read_bio_RSAPrivateKey(in, NULL, s->passwd_cb, s->passwd_userdata);
    else
        rsa = d2i_RSAPrivateKey_bio(in, NULL);
    BIO_free(in);
    if (rsa == NULL) {
        ERR_raise(ERR_LIB_SSL, type == SSL_FILETYPE_PEM ? ERR_R_PEM_LIB : ERR_R_ASN1_LIB);
        return 0;
    }
    int ok = use_rsa(s, rsa);
    RSA_free(rsa);
    return ok;
}

int SSL_CTX_use_RSAPrivateKey(SSL_CTX *ctx, RSA *rsa) { return use_rsa(keel_ctx_w(ctx), rsa); }
int SSL_use_RSAPrivateKey(SSL *ssl, RSA *rsa) { return use_rsa(keel_ssl_w(ssl), rsa); }
int SSL_CTX_use_RSAPrivateKey_ASN1(SSL_CTX *ctx, const unsigned char *d, long len) { return use_rsa_der(keel_ctx_w(ctx), d, len); }
int SSL_use_RSAPrivateKey_ASN1(SSL *ssl, const unsigned char *d, long len) { return use_rsa_der(keel_ssl_w(ssl), d, len); }
int SSL_CTX_use_RSAPrivateKey_file(SSL_CTX *ctx, const char *file, int type) { return use_rsa_file(keel_ctx_w(ctx), file, type); }
int SSL_use_RSAPrivateKey_file(SSL *ssl, const char *file, int type) { return use_rsa_file(keel_ssl_w(ssl), file, type); }
