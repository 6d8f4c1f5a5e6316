/* AEAD seal/open for the record layer (RFC 8446 §5.2; RFC 5288 §3, RFC 7905 and RFC 6655 for
 * TLS 1.2; AES-CCM with a 16- or 8-byte tag, RFC 6655 §3 / RFC 8446 §B.4).
 * One EVP_CIPHER_CTX per direction lives as long as the connection: a key change re-keys it in
 * place, and each record only sets the nonce, so the record path never allocates. */
#include "crypto/algs_int.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <limits.h>
#include <string.h>

/* The tag per record through the provider's parameter interface (provider-cipher(7) "tag"): what
 * EVP_CIPHER_CTX_ctrl(EVP_CTRL_AEAD_GET_TAG/SET_TAG) turns into anyway, without its translation. */
static int get_tag(EVP_CIPHER_CTX *ctx, uint8_t *tag, size_t tl)
{
    OSSL_PARAM p[2] = { OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, tl), OSSL_PARAM_END };

    return EVP_CIPHER_CTX_get_params(ctx, p) > 0;
}

static int set_tag(EVP_CIPHER_CTX *ctx, uint8_t *tag, size_t tl)
{
    OSSL_PARAM p[2] = { OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, tl), OSSL_PARAM_END };

    return EVP_CIPHER_CTX_set_params(ctx, p) > 0;
}

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
    case KEEL_AEAD_AES_128_CCM: case KEEL_AEAD_AES_128_CCM_8: case KEEL_CBC_AES_128: return 16;
    case KEEL_AEAD_AES_256_CCM: case KEEL_AEAD_AES_256_CCM_8: case KEEL_CBC_AES_256: return 32;
    }
    return 0;
}

size_t keel_aead_tag_len(keel_aead_id id)
{
    return id == KEEL_AEAD_AES_128_CCM_8 || id == KEEL_AEAD_AES_256_CCM_8 ? 8 : 16;
}

static int is_ccm(keel_aead_id id)
{
    return id >= KEEL_AEAD_AES_128_CCM && id <= KEEL_AEAD_AES_256_CCM_8;
}

int keel_aead_can_split(keel_aead_id id)
{
    return id == KEEL_AEAD_AES_128_GCM || id == KEEL_AEAD_AES_256_GCM || id == KEEL_AEAD_CHACHA20_POLY1305;
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
    /* The TLS nonce is always 12 bytes (RFC 8446 §5.3, RFC 5288 §3, RFC 7905 §2): GCM and
     * ChaCha20-Poly1305 have it by default and skip the ctrl. CCM always sets it: libcrypto 3.0's
     * CCM reports a 12-byte IV for the algorithm but starts each context at 7 (L = 8). */
    /* CCM (RFC 3610 as RFC 6655 §3 uses it): the tag length M is part of the mode, set before
     * the key; a 12-byte nonce leaves L = 3 (records up to 2^24 bytes). */
    if (!EVP_CipherInit_ex2(c->ctx, algs->aead[id], NULL, NULL, c->enc, NULL)
            || ((is_ccm(id) || EVP_CIPHER_get_iv_length(algs->aead[id]) != KEEL_AEAD_NONCE_LEN)
                && EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_IVLEN, KEEL_AEAD_NONCE_LEN, NULL) <= 0)
            || (is_ccm(id) && EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_TAG,
                                                  (int)keel_aead_tag_len(id), NULL) <= 0)) {
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

/* Nonce and AAD for one record of len bytes (CCM must know the length before the AAD). */
static int aead_start(keel_aead_ctx *c, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                      size_t len)
{
    int outl;

    if (!c->keyed || aad_len > INT_MAX)
        return 0;
    if (!EVP_CipherInit_ex2(c->ctx, NULL, NULL, nonce, c->enc, NULL))
        return 0;
    if (is_ccm(c->id) && !EVP_CipherUpdate(c->ctx, NULL, &outl, NULL, (int)len))
        return 0;
    return aad_len == 0 || EVP_CipherUpdate(c->ctx, NULL, &outl, aad, (int)aad_len);
}

int keel_aead_seal(keel_aead_ctx *c, const uint8_t nonce[KEEL_AEAD_NONCE_LEN],
                   const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                   uint8_t *out)
{
    int outl = 0, finl = 0;
    size_t tl = keel_aead_tag_len(c->id);
    uint8_t dummy[KEEL_AEAD_TAG_LEN];

    if (!c->enc || len > INT_MAX - KEEL_AEAD_TAG_LEN) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    /* CCM takes the whole message in one update (the empty one included). */
    if (!aead_start(c, nonce, aad, aad_len, len)
            || ((len > 0 || is_ccm(c->id))
                && !EVP_CipherUpdate(c->ctx, len > 0 ? out : dummy, &outl, len > 0 ? in : dummy, (int)len))
            || !EVP_CipherFinal_ex(c->ctx, len > 0 ? out + outl : dummy, &finl)
            || (size_t)outl + (size_t)finl != len
            || !get_tag(c->ctx, out + len, tl)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        return 0;
    }
    return 1;
}

int keel_aead_seal_tail(keel_aead_ctx *c, const uint8_t nonce[KEEL_AEAD_NONCE_LEN],
                        const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t tail,
                        uint8_t *out)
{
    int outl = 0, taill = 0, finl = 0;
    size_t tl = keel_aead_tag_len(c->id);

    /* CCM takes the message in one update: put it together in `out` and seal it there. */
    if (is_ccm(c->id) || len == 0) {
        if (len > 0)
            memmove(out, in, len);
        out[len] = tail;
        return keel_aead_seal(c, nonce, aad, aad_len, out, len + 1, out);
    }
    if (!c->enc || len > INT_MAX - 1 - KEEL_AEAD_TAG_LEN) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    /* GCM and ChaCha20-Poly1305 stream: the two updates give the ciphertext of in || tail. */
    if (!aead_start(c, nonce, aad, aad_len, len + 1)
            || !EVP_CipherUpdate(c->ctx, out, &outl, in, (int)len)
            || !EVP_CipherUpdate(c->ctx, out + outl, &taill, &tail, 1)
            || !EVP_CipherFinal_ex(c->ctx, out + outl + taill, &finl)
            || (size_t)outl + (size_t)taill + (size_t)finl != len + 1
            || !get_tag(c->ctx, out + len + 1, tl)) {
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
    size_t plen, tl = keel_aead_tag_len(c->id);
    int outl = 0, finl = 0;

    if (c->enc || len < tl || len > INT_MAX)
        return 0;
    plen = len - tl;
    /* Copy the tag out first: with in == out the plaintext must not be able to overwrite it. */
    memcpy(tag, in + plen, tl);
    /* CCM: the tag before the length and AAD; the one update of the message verifies it. */
    if (is_ccm(c->id)) {
        if (!set_tag(c->ctx, tag, tl)
                || !aead_start(c, nonce, aad, aad_len, plen)
                || EVP_CipherUpdate(c->ctx, plen > 0 ? out : dummy, &outl, plen > 0 ? in : dummy,
                                    (int)plen) <= 0
                || (size_t)outl != plen)
            goto fail;
        return 1;
    }
    if (!aead_start(c, nonce, aad, aad_len, plen)
            || !set_tag(c->ctx, tag, tl)
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

int keel_aead_open_split(keel_aead_ctx *c, const uint8_t nonce[KEEL_AEAD_NONCE_LEN],
                         const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                         uint8_t *out, size_t out_len, uint8_t *rest)
{
    uint8_t tag[KEEL_AEAD_TAG_LEN], dummy[KEEL_AEAD_TAG_LEN];
    size_t plen, tl = keel_aead_tag_len(c->id);
    int outl = 0, restl = 0, finl = 0;

    /* CCM takes the message in one update: no split. */
    if (c->enc || is_ccm(c->id) || len < tl || len > INT_MAX || out_len > len - tl)
        return 0;
    plen = len - tl;
    memcpy(tag, in + plen, tl);
    /* GCM and ChaCha20-Poly1305 stream: two updates give the plaintext in two places. */
    if (!aead_start(c, nonce, aad, aad_len, plen)
            || !set_tag(c->ctx, tag, tl)
            || (out_len > 0 && !EVP_CipherUpdate(c->ctx, out, &outl, in, (int)out_len))
            || (plen > out_len && !EVP_CipherUpdate(c->ctx, rest, &restl, in + out_len, (int)(plen - out_len)))
            || EVP_CipherFinal_ex(c->ctx, dummy, &finl) <= 0
            || (size_t)outl + (size_t)restl + (size_t)finl != plen)
        goto fail;
    return 1;
fail:
    /* RFC 8446 §5.2: nothing of a record that fails authentication may be released. */
    if (out_len > 0)
        OPENSSL_cleanse(out, out_len);
    if (plen > out_len)
        OPENSSL_cleanse(rest, plen - out_len);
    return 0;
}

void keel_aead_free(keel_aead_ctx *c)
{
    if (c == NULL)
        return;
    EVP_CIPHER_CTX_free(c->ctx);   /* cleanses the key schedule */
    OPENSSL_free(c);
}
