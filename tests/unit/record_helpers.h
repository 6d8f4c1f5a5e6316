/* Shared helpers for the record engine's unit tests (record.c, record12.c, record_io.c).
 *
 * Expected records are built here straight from libcrypto's EVP interface, following the RFC text
 * (RFC 8446 §5.2-§5.3, RFC 5288 §3, RFC 7905 §2), independently of src/record/, so that a nonce or
 * AAD mistake made the same way on both sides of the engine cannot pass unnoticed. */
#ifndef KEEL_RECORD_HELPERS_H
#define KEEL_RECORD_HELPERS_H

#include "record/record.h"
#include "common/proto.h"
#include "testutil.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sslerr.h>
#include <string.h>

static const keel_aead_id all_aeads[] = {
    KEEL_AEAD_AES_128_GCM, KEEL_AEAD_AES_256_GCM, KEEL_AEAD_CHACHA20_POLY1305
};

static inline int last_reason(void)
{
    return ERR_GET_REASON(ERR_peek_last_error());
}

static inline const EVP_CIPHER *evp_for(keel_aead_id id)
{
    switch (id) {
    case KEEL_AEAD_AES_128_GCM: return EVP_aes_128_gcm();
    case KEEL_AEAD_AES_256_GCM: return EVP_aes_256_gcm();
    case KEEL_AEAD_CHACHA20_POLY1305: return EVP_chacha20_poly1305();
    default: return NULL;   /* CCM and CBC: tests/unit/record_cbc.c */
    }
}

/* Reference AEAD seal: out gets len + 16 bytes. */
static inline int ref_seal(keel_aead_id id, const uint8_t *key, const uint8_t nonce[12], const uint8_t *aad,
                    size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ok = 0, l = 0;

    if (c != NULL && EVP_EncryptInit_ex(c, evp_for(id), NULL, NULL, NULL)
            && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) > 0
            && EVP_EncryptInit_ex(c, NULL, NULL, key, nonce)
            && EVP_EncryptUpdate(c, NULL, &l, aad, (int)aad_len)
            && (len == 0 || EVP_EncryptUpdate(c, out, &l, in, (int)len))
            && EVP_EncryptFinal_ex(c, out + len, &l)
            && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, out + len) > 0)
        ok = 1;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

static inline void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* iv XOR left-padded seq (RFC 8446 §5.3, RFC 7905 §2). */
static inline void ref_nonce(const uint8_t iv[12], uint64_t seq, uint8_t nonce[12])
{
    uint8_t s[8];

    put_u64(s, seq);
    memcpy(nonce, iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= s[i];
}

/* A TLS 1.3 record with an arbitrary TLSInnerPlaintext (content || type || padding). Returns the
 * record's total length, or 0. */
static inline size_t ref_record13(keel_aead_id id, const uint8_t *key, const uint8_t iv[12], uint64_t seq,
                           uint8_t outer_type, const uint8_t *inner, size_t inner_len, uint8_t *out)
{
    uint8_t nonce[12];
    size_t clen = inner_len + 16;

    out[0] = outer_type;
    out[1] = 0x03;
    out[2] = 0x03;
    out[3] = (uint8_t)(clen >> 8);
    out[4] = (uint8_t)clen;
    ref_nonce(iv, seq, nonce);
    return ref_seal(id, key, nonce, out, 5, inner, inner_len, out + 5) ? 5 + clen : 0;
}

/* A TLS 1.2 AEAD record; for GCM iv is the 4-byte salt and the explicit nonce is `explicit_nonce`. */
static inline size_t ref_record12(keel_aead_id id, const uint8_t *key, const uint8_t *iv, uint64_t seq,
                           uint64_t explicit_nonce, uint8_t type, uint16_t version,
                           const uint8_t *data, size_t len, uint8_t *out)
{
    uint8_t nonce[12], aad[13];
    size_t ex = id == KEEL_AEAD_CHACHA20_POLY1305 ? 0 : 8, flen = ex + len + 16;

    out[0] = type;
    out[1] = (uint8_t)(version >> 8);
    out[2] = (uint8_t)version;
    out[3] = (uint8_t)(flen >> 8);
    out[4] = (uint8_t)flen;
    if (ex) {
        memcpy(nonce, iv, 4);
        put_u64(nonce + 4, explicit_nonce);
        memcpy(out + 5, nonce + 4, 8);
    } else {
        ref_nonce(iv, seq, nonce);
    }
    put_u64(aad, seq);
    aad[8] = type;
    aad[9] = (uint8_t)(version >> 8);
    aad[10] = (uint8_t)version;
    aad[11] = (uint8_t)(len >> 8);
    aad[12] = (uint8_t)len;
    return ref_seal(id, key, nonce, aad, 13, data, len, out + 5 + ex) ? 5 + flen : 0;
}

/* Everything queued in rl's write buffer, flushed into a fresh memory BIO. */
static inline BIO *flushed(keel_rl *rl)
{
    BIO *b = BIO_new(BIO_s_mem());

    if (b != NULL && keel_rl_flush(rl, b) != KEEL_RL_OK) {
        BIO_free(b);
        return NULL;
    }
    return b;
}

/* A memory BIO holding `len` raw bytes. */
static inline BIO *mem_with(const uint8_t *p, size_t len)
{
    BIO *b = BIO_new(BIO_s_mem());

    if (b != NULL && len > 0 && BIO_write(b, p, (int)len) != (int)len) {
        BIO_free(b);
        return NULL;
    }
    return b;
}

/* Reads one record out of `len` raw bytes with the caller's rl, after consuming whatever is left of
 * the current record (keel_rl_read would return that again); returns the keel_rl_read result, with
 * *alert and the ERR stack as left. */
static inline int read_raw(keel_rl *rl, const uint8_t *p, size_t len, keel_record *rec, int *alert)
{
    BIO *b = mem_with(p, len);
    int rv;

    if (b == NULL)
        return -1;
    keel_rl_consume(rl, SIZE_MAX);
    rv = keel_rl_read(rl, b, rec, alert);
    BIO_free(b);
    return rv;
}

#endif
