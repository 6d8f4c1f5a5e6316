/* Per-record protection: nonce and additional data for TLS 1.3 (RFC 8446 §5.2, §5.3) and for the
 * TLS 1.2 AEAD suites (RFC 5246 §6.2.3.3; RFC 5288 §3 for AES-GCM, RFC 6655 §3 for AES-CCM, RFC 7905
 * §2 for ChaCha20-Poly1305), the TLS 1.3 inner plaintext (content type and padding, §5.2, §5.4),
 * and the TLS 1.2 CBC records' framing (RFC 5246 §6.2.3.2, RFC 7366; the cryptography is
 * src/crypto/cbc.c's). */
#include "record/record_int.h"

#include "common/proto.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/sslerr.h>
#include <string.h>

#define AAD12_LEN 13   /* seq_num(8) type(1) version(2) length(2), RFC 5246 §6.2.3.3 */

int keel_rl_is_protected(const keel_rl_dir *d, uint8_t type)
{
    if (d->prot == KEEL_RL_PROT_NONE)
        return 0;
    /* RFC 8446 §5: change_cipher_spec records are never protected in TLS 1.3. */
    if (d->prot == KEEL_RL_PROT_TLS13 && type == KEEL_CT_CHANGE_CIPHER_SPEC)
        return 0;
    return 1;
}

static int tls12_explicit_nonce(const keel_rl_dir *d)
{
    return d->aead_id != KEEL_AEAD_CHACHA20_POLY1305;
}

/* 64-bit sequence number in network order (RFC 5246 §6.2.3.3 seq_num, RFC 8446 §5.3). */
static int put_seq(keel_wr *w, uint64_t seq)
{
    return keel_wr_u32(w, (uint32_t)(seq >> 32)) && keel_wr_u32(w, (uint32_t)seq);
}

static int put_header(uint8_t *out, uint8_t type, uint16_t version, size_t len)
{
    keel_wr w;

    return keel_wr_init_fixed(&w, out, KEEL_RL_HEADER_LEN) && keel_wr_u8(&w, type)
        && keel_wr_u16(&w, version) && keel_wr_u16(&w, (uint32_t)len);
}

/* RFC 8446 §5.3 (and RFC 7905 §2, which is the same construction): the sequence number, left-padded
 * with zeros to the iv length, XORed with the static iv. */
static void xor_nonce(const keel_rl_dir *d, uint8_t nonce[KEEL_AEAD_NONCE_LEN])
{
    memcpy(nonce, d->iv, KEEL_AEAD_NONCE_LEN);
    for (int i = 0; i < 8; i++)
        nonce[KEEL_AEAD_NONCE_LEN - 1 - i] ^= (uint8_t)(d->seq >> (8 * i));
}

/* RFC 5246 §6.2.3.3 additional_data for TLS 1.2; `len` is the plaintext length. */
static int aad12(const keel_rl_dir *d, uint8_t type, uint16_t version, size_t len,
                 uint8_t aad[AAD12_LEN])
{
    keel_wr w;

    return keel_wr_init_fixed(&w, aad, AAD12_LEN) && put_seq(&w, d->seq) && keel_wr_u8(&w, type)
        && keel_wr_u16(&w, version) && keel_wr_u16(&w, (uint32_t)len);
}

/* RFC 8446 §5.3: a sequence number must never wrap; keel stops before using the last value so
 * that the increment after a record can never overflow. */
static int seq_available(const keel_rl_dir *d)
{
    return d->seq != UINT64_MAX;
}

/* RFC 5246 §6.2.3.1: the MAC input's seq_num || type || version (the length follows, cbc.c). */
static int ad_cbc(const keel_rl_dir *d, uint8_t type, uint16_t version, uint8_t ad[KEEL_CBC_AD_LEN])
{
    keel_wr w;

    return keel_wr_init_fixed(&w, ad, KEEL_CBC_AD_LEN) && put_seq(&w, d->seq) && keel_wr_u8(&w, type)
        && keel_wr_u16(&w, version);
}

/* GenericBlockCipher = IV || block-ciphered (content || MAC || padding), or with RFC 7366
 * IV || ciphertext || MAC. */
static int seal_cbc(keel_rl_dir *d, uint8_t type, uint16_t version, const uint8_t *data, size_t len,
                    uint8_t *out, size_t *out_len)
{
    uint8_t ad[KEEL_CBC_AD_LEN];
    size_t flen = keel_cbc_sealed_len(d->cbc, len);

    if (!put_header(out, type, version, flen) || !ad_cbc(d, type, version, ad)
            || !keel_cbc_seal(d->cbc, ad, data, len, out + KEEL_RL_HEADER_LEN))
        return 0;
    *out_len = KEEL_RL_HEADER_LEN + flen;
    d->seq++;
    return 1;
}

int keel_rl_seal_record(keel_rl_dir *d, uint8_t type, uint16_t version, const uint8_t *data,
                        size_t len, size_t pad, uint8_t *out, size_t *out_len)
{
    uint8_t nonce[KEEL_AEAD_NONCE_LEN], aad[AAD12_LEN];
    uint8_t *frag = out + KEEL_RL_HEADER_LEN;
    size_t explicit_len;

    if (d->prot == KEEL_RL_PROT_BROKEN) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    if (!keel_rl_is_protected(d, type)) {
        if (!put_header(out, type, version, len))
            return 0;
        if (len > 0)
            memcpy(frag, data, len);
        *out_len = KEEL_RL_HEADER_LEN + len;
        return 1;
    }
    if (!seq_available(d)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_SEQUENCE_NUMBER);
        return 0;
    }

    if (d->prot == KEEL_RL_PROT_TLS13) {
        /* §5.2: TLSInnerPlaintext = content || type || zeros[pad] (§5.4); the outer record is
         * application_data / 0x0303 and the header itself is the additional data. */
        size_t inner = len + 1 + pad, tl = keel_aead_tag_len(d->aead_id);

        if (!put_header(out, KEEL_CT_APPLICATION_DATA, KEEL_VERSION_TLS12, inner + tl))
            return 0;
        xor_nonce(d, nonce);
        if (pad == 0) {
            /* Sealed from the caller's buffer into the record: no copy of the content. */
            if (!keel_aead_seal_tail(d->aead, nonce, out, KEEL_RL_HEADER_LEN, data, len, type, frag))
                return 0;
            *out_len = KEEL_RL_HEADER_LEN + inner + tl;
            d->seq++;
            return 1;
        }
        if (len > 0)
            memcpy(frag, data, len);
        frag[len] = type;
        memset(frag + len + 1, 0, pad);
        if (!keel_aead_seal(d->aead, nonce, out, KEEL_RL_HEADER_LEN, frag, inner, frag))
            return 0;
        *out_len = KEEL_RL_HEADER_LEN + inner + tl;
        d->seq++;
        return 1;
    }
    if (d->prot == KEEL_RL_PROT_TLS12_CBC)
        return seal_cbc(d, type, version, data, len, out, out_len);

    /* TLS 1.2 GenericAEADCipher = nonce_explicit || aead-ciphered content (RFC 5246 §6.2.3.3). */
    explicit_len = tls12_explicit_nonce(d) ? KEEL_RL_EXPLICIT_NONCE_LEN : 0;
    if (!put_header(out, type, version, explicit_len + len + keel_aead_tag_len(d->aead_id))
            || !aad12(d, type, version, len, aad))
        return 0;
    if (explicit_len > 0) {
        /* RFC 5288 §3: nonce = salt(4) || nonce_explicit(8); the sequence number is a fine explicit
         * part since it never repeats under one key. */
        keel_wr w;

        if (!keel_wr_init_fixed(&w, frag, explicit_len) || !put_seq(&w, d->seq))
            return 0;
        memcpy(nonce, d->iv, 4);
        memcpy(nonce + 4, frag, KEEL_RL_EXPLICIT_NONCE_LEN);
    } else {
        xor_nonce(d, nonce);   /* RFC 7905 §2 */
    }
    if (!keel_aead_seal(d->aead, nonce, aad, AAD12_LEN, data, len, frag + explicit_len))
        return 0;
    *out_len = KEEL_RL_HEADER_LEN + explicit_len + len + keel_aead_tag_len(d->aead_id);
    d->seq++;
    return 1;
}

static int fail(int *alert, int alert_value, int reason)
{
    ERR_raise(ERR_LIB_SSL, reason);
    *alert = alert_value;
    return 0;
}

/* §5.4: the content type is the last non-zero byte of the inner plaintext; zeros after it are
 * padding. The inner plaintext lies in two pieces: a[0..alen) then b[0..blen). Returns the content
 * length (the type's position) and sets *type, or -1 for a plaintext of only zeros. */
static long inner_type(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t *type)
{
    while (blen > 0 && b[blen - 1] == 0)
        blen--;
    if (blen > 0) {
        *type = b[blen - 1];
        return (long)(alen + blen - 1);
    }
    while (alen > 0 && a[alen - 1] == 0)
        alen--;
    if (alen == 0)
        return -1;
    *type = a[alen - 1];
    return (long)(alen - 1);
}

/* How many bytes of a protected record's plaintext keel_rl_open_record puts in a destination of
 * dst_cap bytes (0: none, the record is opened in the work buffer). `type` is the outer type,
 * flen the fragment's length. GCM and ChaCha20-Poly1305 only (the AEAD must split its output).
 * TLS 1.3: all but the last byte of the inner plaintext, so that a record of a full 2^14 bytes
 * of content fits a 2^14-byte buffer. TLS 1.2: the whole content of an application data record. */
static size_t dst_split(const keel_rl_dir *d, uint8_t type, size_t flen, size_t dst_cap)
{
    size_t tl = keel_aead_tag_len(d->aead_id), n;

    if (!keel_aead_can_split(d->aead_id))
        return 0;
    if (d->prot == KEEL_RL_PROT_TLS13) {
        if (flen < tl + 2 || flen - tl > KEEL_MAX_PLAINTEXT + 1)
            return 0;
        n = flen - tl - 1;
    } else if (d->prot == KEEL_RL_PROT_TLS12) {
        size_t explicit_len = tls12_explicit_nonce(d) ? KEEL_RL_EXPLICIT_NONCE_LEN : 0;

        if (type != KEEL_CT_APPLICATION_DATA || flen <= explicit_len + tl
                || flen - explicit_len - tl > KEEL_MAX_PLAINTEXT)
            return 0;
        n = flen - explicit_len - tl;
    } else {
        return 0;
    }
    return n <= dst_cap ? n : 0;
}

int keel_rl_opens_into(const keel_rl_dir *d, uint8_t type, size_t rec_len, size_t dst_cap)
{
    return rec_len >= KEEL_RL_HEADER_LEN && dst_split(d, type, rec_len - KEEL_RL_HEADER_LEN, dst_cap) > 0;
}

static int open13(keel_rl_dir *d, const uint8_t *rec, size_t rec_len, uint8_t *work, uint8_t *dst,
                  size_t dst_cap, uint8_t *type, size_t *off, size_t *len, int *in_dst, int *alert)
{
    uint8_t nonce[KEEL_AEAD_NONCE_LEN], last;
    const uint8_t *frag = rec + KEEL_RL_HEADER_LEN;
    uint8_t *out = work != NULL ? work + KEEL_RL_HEADER_LEN : NULL, *rest;
    size_t flen = rec_len - KEEL_RL_HEADER_LEN, inner, split = 0, tl = keel_aead_tag_len(d->aead_id);
    long plen;

    /* Too short to hold a tag: cannot be authentic (§5.2 "decryption fails"). */
    if (flen < tl)
        return fail(alert, KEEL_ALERT_BAD_RECORD_MAC, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
    /* §5.4: the full encoded TLSInnerPlaintext (content, type and padding) is at most 2^14 + 1
     * bytes; its length is known before opening, so no decryption is spent on it. */
    inner = flen - tl;
    if (inner > KEEL_MAX_PLAINTEXT + 1)
        return fail(alert, KEEL_ALERT_RECORD_OVERFLOW, SSL_R_DATA_LENGTH_TOO_LONG);
    xor_nonce(d, nonce);
    /* With a destination for the content: all but the last byte of the inner plaintext go there
     * and the last (the type, unless there is padding) stays in the record (dst_split), or in
     * `last` when there is no work buffer. */
    if (dst != NULL)
        split = dst_split(d, KEEL_CT_APPLICATION_DATA, flen, dst_cap);
    if (out == NULL && split == 0)
        return fail(alert, KEEL_ALERT_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    rest = out != NULL ? out + split : &last;   /* inner - split == 1 byte when split > 0 */
    if (split > 0 ? !keel_aead_open_split(d->aead, nonce, rec, KEEL_RL_HEADER_LEN, frag, flen, dst, split,
                                          rest)
                  : !keel_aead_open(d->aead, nonce, rec, KEEL_RL_HEADER_LEN, frag, flen, out))
        return fail(alert, KEEL_ALERT_BAD_RECORD_MAC, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
    d->seq++;

    /* A plaintext of only zeros has no type: unexpected_message. */
    plen = split > 0 ? inner_type(dst, split, rest, inner - split, type)
                     : inner_type(out, inner, NULL, 0, type);
    if (plen < 0) {
        if (split > 0)
            OPENSSL_cleanse(dst, split);
        return fail(alert, KEEL_ALERT_UNEXPECTED_MESSAGE, SSL_R_BAD_RECORD_TYPE);
    }
    /* Only application data is left in the destination; anything else is put back in the
     * record, where the handshake layer expects it, and not left in the caller's buffer. With
     * no work buffer the content stays in dst for the caller to move (record_int.h); what
     * followed it (the type, padding) is cleansed. */
    if (split > 0 && *type != KEEL_CT_APPLICATION_DATA) {
        if (out != NULL) {
            memcpy(out, dst, (size_t)plen);
            OPENSSL_cleanse(dst, split);
            split = 0;
        } else {
            OPENSSL_cleanse(dst + plen, split - (size_t)plen);
        }
    }
    /* §5: a protected record carries handshake, alert or application data; a protected
     * change_cipher_spec (or anything unknown) is unexpected_message. */
    if (*type != KEEL_CT_HANDSHAKE && *type != KEEL_CT_ALERT && *type != KEEL_CT_APPLICATION_DATA) {
        if (split > 0)
            OPENSSL_cleanse(dst, split);
        return fail(alert, KEEL_ALERT_UNEXPECTED_MESSAGE, SSL_R_BAD_RECORD_TYPE);
    }
    *in_dst = split > 0;
    *off = split > 0 ? 0 : KEEL_RL_HEADER_LEN;
    *len = (size_t)plen;
    return 1;
}

static int open12(keel_rl_dir *d, const uint8_t *rec, size_t rec_len, uint8_t *work, uint8_t *dst,
                  size_t dst_cap, uint8_t *type, size_t *off, size_t *len, int *in_dst, int *alert)
{
    uint8_t nonce[KEEL_AEAD_NONCE_LEN], aad[AAD12_LEN];
    size_t explicit_len = tls12_explicit_nonce(d) ? KEEL_RL_EXPLICIT_NONCE_LEN : 0;
    size_t flen = rec_len - KEEL_RL_HEADER_LEN, plen, tl = keel_aead_tag_len(d->aead_id);
    const uint8_t *frag = rec + KEEL_RL_HEADER_LEN;
    uint8_t *out = work != NULL ? work + KEEL_RL_HEADER_LEN : NULL;
    keel_rd hdr;
    uint32_t t, version;

    keel_rd_init(&hdr, rec, KEEL_RL_HEADER_LEN);
    if (!keel_rd_u8(&hdr, &t) || !keel_rd_u16(&hdr, &version))
        return fail(alert, KEEL_ALERT_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    if (flen < explicit_len + tl)
        return fail(alert, KEEL_ALERT_BAD_RECORD_MAC, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
    plen = flen - explicit_len - tl;
    /* RFC 5246 §6.2.1: TLSPlaintext.length <= 2^14; an AEAD's plaintext length is known before
     * opening, so an oversized one is refused without spending the decryption. */
    if (plen > KEEL_MAX_PLAINTEXT)
        return fail(alert, KEEL_ALERT_RECORD_OVERFLOW, SSL_R_DATA_LENGTH_TOO_LONG);
    if (explicit_len > 0) {
        memcpy(nonce, d->iv, 4);                       /* RFC 5288 §3 */
        memcpy(nonce + 4, frag, KEEL_RL_EXPLICIT_NONCE_LEN);
    } else {
        xor_nonce(d, nonce);                           /* RFC 7905 §2 */
    }
    if (!aad12(d, (uint8_t)t, (uint16_t)version, plen, aad))
        return fail(alert, KEEL_ALERT_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    /* Application data with a destination that holds it: opened straight into it. */
    *in_dst = dst != NULL && dst_split(d, (uint8_t)t, flen, dst_cap) > 0;
    if (out == NULL && !*in_dst)
        return fail(alert, KEEL_ALERT_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    if (*in_dst ? !keel_aead_open_split(d->aead, nonce, aad, AAD12_LEN, frag + explicit_len, plen + tl,
                                        dst, plen, NULL)
                : !keel_aead_open(d->aead, nonce, aad, AAD12_LEN, frag + explicit_len, plen + tl,
                                  out + explicit_len))
        return fail(alert, KEEL_ALERT_BAD_RECORD_MAC, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
    d->seq++;
    *type = (uint8_t)t;
    *off = *in_dst ? 0 : KEEL_RL_HEADER_LEN + explicit_len;
    *len = plen;
    return 1;
}

static int open_cbc(keel_rl_dir *d, uint8_t *rec, size_t rec_len, uint8_t *type, size_t *off,
                    size_t *len, int *alert)
{
    uint8_t ad[KEEL_CBC_AD_LEN];
    size_t flen = rec_len - KEEL_RL_HEADER_LEN, o, plen;
    keel_rd hdr;
    uint32_t t, version;

    keel_rd_init(&hdr, rec, KEEL_RL_HEADER_LEN);
    if (!keel_rd_u8(&hdr, &t) || !keel_rd_u16(&hdr, &version) || !ad_cbc(d, (uint8_t)t, (uint16_t)version, ad))
        return fail(alert, KEEL_ALERT_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    /* Not a whole number of blocks, or too short for IV, MAC and a padding byte: cannot be
     * authentic; refused before any decryption (the length is public). */
    if (!keel_cbc_len_ok(d->cbc, flen))
        return fail(alert, KEEL_ALERT_BAD_RECORD_MAC, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
    /* Bad padding and bad MAC are one failure, after the same work (cbc.c). */
    if (!keel_cbc_open(d->cbc, ad, rec + KEEL_RL_HEADER_LEN, flen, &o, &plen))
        return fail(alert, KEEL_ALERT_BAD_RECORD_MAC, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
    d->seq++;
    /* RFC 5246 §6.2.1: TLSPlaintext.length <= 2^14, known only now. */
    if (plen > KEEL_MAX_PLAINTEXT)
        return fail(alert, KEEL_ALERT_RECORD_OVERFLOW, SSL_R_DATA_LENGTH_TOO_LONG);
    *type = (uint8_t)t;
    *off = KEEL_RL_HEADER_LEN + o;
    *len = plen;
    return 1;
}

int keel_rl_open_record(keel_rl_dir *d, const uint8_t *rec, size_t rec_len, uint8_t *work,
                        uint8_t *dst, size_t dst_cap, uint8_t *type, size_t *off, size_t *len,
                        int *in_dst, int *alert)
{
    *in_dst = 0;
    /* CBC records are opened in place only (cbc.c). */
    if (rec_len < KEEL_RL_HEADER_LEN || d->prot == KEEL_RL_PROT_NONE || d->prot == KEEL_RL_PROT_BROKEN
            || (d->prot == KEEL_RL_PROT_TLS12_CBC && work != rec))
        return fail(alert, KEEL_ALERT_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    /* RFC 8446 §5.3: terminate rather than wrap the sequence number. */
    if (!seq_available(d))
        return fail(alert, KEEL_ALERT_INTERNAL_ERROR, SSL_R_INVALID_SEQUENCE_NUMBER);
    if (d->prot == KEEL_RL_PROT_TLS13)
        return open13(d, rec, rec_len, work, dst, dst_cap, type, off, len, in_dst, alert);
    if (d->prot == KEEL_RL_PROT_TLS12_CBC)
        return open_cbc(d, work, rec_len, type, off, len, alert);
    return open12(d, rec, rec_len, work, dst, dst_cap, type, off, len, in_dst, alert);
}
