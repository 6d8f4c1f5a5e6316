/* TLS 1.2 RSA key transport (RFC 5246 §7.4.7.1): the client encrypts the 48-byte premaster secret
 * with the server's RSA key (RSAES-PKCS1-v1_5); the server decrypts it without revealing whether
 * the padding was valid (Bleichenbacher 1998; ROBOT 2017). */
#include "crypto/algs_int.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/sslerr.h>

/* RFC 8446 §4.2.3 / OpenSSL: an RSA-PSS key cannot decrypt; only rsaEncryption keys serve. */
int keel_rsa_kx_key_ok(const EVP_PKEY *pk)
{
    return pk != NULL && EVP_PKEY_is_a(pk, "RSA");
}

size_t keel_rsa_kx_size(const EVP_PKEY *pk)
{
    int n = pk != NULL ? EVP_PKEY_get_size(pk) : 0;
    return n > 0 ? (size_t)n : 0;
}

int keel_rsa_kx_encrypt(const keel_algs *a, EVP_PKEY *pub, const uint8_t *pms, size_t pms_len,
                        uint8_t *out, size_t *out_len)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(a->libctx, pub, a->propq);
    int ok = ctx != NULL && EVP_PKEY_encrypt_init(ctx) > 0
          && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0
          && EVP_PKEY_encrypt(ctx, out, out_len, pms, pms_len) > 0;

    if (!ok)
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_RSA_ENCRYPT);
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

/* libcrypto's TLS padding mode (EVP_PKEY_CTX_set_rsa_padding(3), RSA_PKCS1_WITH_TLS_PADDING) does
 * in constant time what RFC 5246 §7.4.7.1 asks: a premaster secret whose padding, length or
 * version (the client_version of the ClientHello: the rollback check) is wrong is replaced by a
 * random one, and decryption "succeeds". It fails only for a ciphertext that is publicly invalid
 * (not the modulus' size, or not below the modulus). */
int keel_rsa_kx_decrypt(const keel_algs *a, EVP_PKEY *priv, const uint8_t *in, size_t len,
                        unsigned client_version, uint8_t pms[48])
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(a->libctx, priv, a->propq);
    unsigned int ver = client_version;
    OSSL_PARAM prm[2] = {
        OSSL_PARAM_construct_uint(OSSL_ASYM_CIPHER_PARAM_TLS_CLIENT_VERSION, &ver),
        OSSL_PARAM_construct_end(),
    };
    size_t n = 48;
    int ok;

    if (ctx == NULL || EVP_PKEY_decrypt_init(ctx) <= 0
            || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_WITH_TLS_PADDING) <= 0
            || !EVP_PKEY_CTX_set_params(ctx, prm)) {
        EVP_PKEY_CTX_free(ctx);
        ERR_raise(ERR_LIB_SSL, SSL_R_DECRYPTION_FAILED);
        return -1;
    }
    ERR_set_mark();
    ok = EVP_PKEY_decrypt(ctx, pms, &n, in, len) > 0 && n == 48;
    ERR_pop_to_mark();
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        OPENSSL_cleanse(pms, 48);
        ERR_raise(ERR_LIB_SSL, SSL_R_DECRYPTION_FAILED);
        return 0;
    }
    return 1;
}
