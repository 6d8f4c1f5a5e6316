/* AEAD seal/open for the record layer (RFC 8446 §5.2; RFC 5288 §3 and RFC 7905 for TLS 1.2).
 * One EVP_CIPHER_CTX per direction lives as long as the connection: a key change re-keys it in
 * place, and each record only sets the nonce, so the record path never allocates. */
#include "crypto/algs_int.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <limits.h>
#include <string.h>

struct keel_aead_ctx {
    EVP_CIPHER_CTX *ctx;
    keel_aead_id id;
    int enc;
    int keyed;
};

size_t keel_aead_key_len(keel_aead_id id)
{
    switch (id) {
    case KEEL_AEAD_AES_128_GCM: return 16;
    case KEEL_AEAD_AES_256_GCM: return 32;
    case KEEL_AEAD_CHACHA20_POLY1305: return 32;
    }
    return 0;
}

int keel_aead_supported(const keel_algs *algs, keel_aead_id id)
{
    return (unsigned)id < KEEL_NUM_AEADS && algs->aead[id] != NULL;
}

keel_aead_ctx *keel_aead_new(const keel_algs *algs, keel_aead_id id, int enc)
{
    keel_aead_ctx *c;

    if (!keel_aead_supported(algs, id)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_UNSUPPORTED);
        return NULL;
    }
    if ((c = OPENSSL_zalloc(sizeof(*c))) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    c->id = id;
    c->enc = enc ? 1 : 0;
    if ((c->ctx = EVP_CIPHER_CTX_new()) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        goto err;
    }
    /* The TLS nonce is always 12 bytes (RFC 8446 §5.3, RFC 5288 §3, RFC 7905 §2), which is each
     * cipher's default IV length; set it anyway so the contract does not rest on a default. */
    if (!EVP_CipherInit_ex2(c->ctx, algs->aead[id], NULL, NULL, c->enc, NULL)
            || EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_IVLEN, KEEL_AEAD_NONCE_LEN, NULL) <= 0) {
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        goto err;
    }
    return c;
err:
    keel_aead_free(c);
    return NULL;
}

int keel_aead_set_key(keel_aead_ctx *c, const uint8_t *key)
{
    if (!EVP_CipherInit_ex2(c->ctx, NULL, key, NULL, c->enc, NULL)) {
        c->keyed = 0;
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        return 0;
    }
    c->keyed = 1;
    return 1;
}

/* Nonce and AAD for one record. */
static int aead_start(keel_aead_ctx *c, const uint8_t *nonce, const uint8_t *aad, size_t aad_len)
{
    int outl;

    if (!c->keyed || aad_len > INT_MAX)
        return 0;
    if (!EVP_CipherInit_ex2(c->ctx, NULL, NULL, nonce, c->enc, NULL))
        return 0;
    return aad_len == 0 || EVP_CipherUpdate(c->ctx, NULL, &outl, aad, (int)aad_len);
}

int keel_aead_seal(keel_aead_ctx *c, const uint8_t nonce[KEEL_AEAD_NONCE_LEN],
                   const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                   uint8_t *out)
{
    int outl = 0, finl = 0;

    if (!c->enc || len > INT_MAX - KEEL_AEAD_TAG_LEN) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    if (!aead_start(c, nonce, aad, aad_len)
            || (len > 0 && !EVP_CipherUpdate(c->ctx, out, &outl, in, (int)len))
            || !EVP_CipherFinal_ex(c->ctx, out + outl, &finl)
            || (size_t)outl + (size_t)finl != len
            || EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_GET_TAG, KEEL_AEAD_TAG_LEN, out + len) <= 0) {
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        return 0;
    }
    return 1;
}

int keel_aead_open(keel_aead_ctx *c, const uint8_t nonce[KEEL_AEAD_NONCE_LEN],
                   const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                   uint8_t *out)
{
    uint8_t tag[KEEL_AEAD_TAG_LEN], dummy[KEEL_AEAD_TAG_LEN];
    size_t plen;
    int outl = 0, finl = 0;

    if (c->enc || len < KEEL_AEAD_TAG_LEN || len > INT_MAX)
        return 0;
    plen = len - KEEL_AEAD_TAG_LEN;
    /* Copy the tag out first: with in == out the plaintext must not be able to overwrite it. */
    memcpy(tag, in + plen, KEEL_AEAD_TAG_LEN);
    if (!aead_start(c, nonce, aad, aad_len)
            || EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_TAG, KEEL_AEAD_TAG_LEN, tag) <= 0
            || (plen > 0 && !EVP_CipherUpdate(c->ctx, out, &outl, in, (int)plen)))
        goto fail;
    /* AEAD finals emit no bytes; `dummy` keeps a NULL `out` (empty record) out of the arithmetic. */
    if (EVP_CipherFinal_ex(c->ctx, plen > 0 ? out + outl : dummy, &finl) <= 0 || (size_t)outl + (size_t)finl != plen)
        goto fail;
    return 1;
fail:
    /* RFC 8446 §5.2: nothing of a record that fails authentication may be released. */
    if (plen > 0)
        OPENSSL_cleanse(out, plen);
    return 0;
}

void keel_aead_free(keel_aead_ctx *c)
{
    if (c == NULL)
        return;
    EVP_CIPHER_CTX_free(c->ctx);   /* cleanses the key schedule */
    OPENSSL_free(c);
}
