/* Hashes and the handshake transcript (RFC 8446 §4.4.1; RFC 5246 §7.4.9 for TLS 1.2's). */
#include "crypto/algs_int.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/sslerr.h>
#include <string.h>

#include "common/proto.h"

size_t keel_hash_len(keel_hash_id id)
{
    switch (id) {
    case KEEL_HASH_SHA256: return 32;
    case KEEL_HASH_SHA384: return 48;
    case KEEL_HASH_SHA512: return 64;
    }
    return 0;
}

int keel_hash(const keel_algs *algs, keel_hash_id id, const uint8_t *data, size_t len, uint8_t *out)
{
    keel_dg d;
    int ok;

    if (keel_hash_md(algs, id) == NULL)
        return 0;
    keel_dg_setup(&d, algs, id);
    ok = keel_dg_start(&d) && keel_dg_update(&d, data, len) && keel_dg_final(&d, out);
    keel_dg_cleanup(&d);
    if (!ok)
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
    return ok;
}

/* ---- transcript --------------------------------------------------------------------------- */

int keel_transcript_init(keel_transcript *t, const keel_algs *algs)
{
    memset(t, 0, sizeof(*t));
    t->algs = algs;
    return 1;
}

static int buf_append(keel_transcript *t, const uint8_t *data, size_t len)
{
    if (len > t->cap - t->len) {
        size_t cap = t->cap < 512 ? 512 : t->cap;
        uint8_t *nb;

        while (cap - t->len < len) {
            if (cap > SIZE_MAX / 2) {
                ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
                return 0;
            }
            cap *= 2;
        }
        if ((nb = OPENSSL_realloc(t->buf, cap)) == NULL) {
            ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
            return 0;
        }
        t->buf = nb;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, data, len);
    t->len += len;
    return 1;
}

int keel_transcript_set_hash(keel_transcript *t, keel_hash_id id)
{
    if (t->hashing) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    if (keel_hash_md(t->algs, id) == NULL)
        return 0;
    keel_dg_setup(&t->md, t->algs, id);
    keel_dg_setup(&t->scratch, t->algs, id);
    if (!keel_dg_start(&t->md) || !keel_dg_update(&t->md, t->buf, t->len)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        goto err;
    }
    t->id = id;
    t->hashing = 1;
    if (!t->keep_buffer) {
        OPENSSL_free(t->buf);
        t->buf = NULL;
        t->len = t->cap = 0;
    }
    return 1;
err:
    keel_dg_cleanup(&t->md);
    return 0;
}

int keel_transcript_init_hash(keel_transcript *t, const keel_algs *algs, keel_hash_id id)
{
    keel_transcript_init(t, algs);
    return keel_transcript_set_hash(t, id);
}

void keel_transcript_keep_buffer(keel_transcript *t)
{
    t->keep_buffer = 1;
}

int keel_transcript_update(keel_transcript *t, const uint8_t *data, size_t len)
{
    if (len == 0)
        return 1;
    if ((!t->hashing || t->keep_buffer) && !buf_append(t, data, len))
        return 0;
    t->last_valid = 0;
    if (t->hashing && !keel_dg_update(&t->md, data, len)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        return 0;
    }
    return 1;
}

int keel_transcript_current_with(keel_transcript *t, keel_hash_id id,
                                 const uint8_t *extra, size_t extra_len, uint8_t *out)
{
    keel_dg tmp;
    int ok;

    if (t->hashing) {
        if (id != t->id) {
            ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
            return 0;
        }
        if (extra_len == 0 && t->last_valid) {
            memcpy(out, t->last, keel_hash_len(id));
            return 1;
        }
        /* Finalise a copy: the running state carries on for the messages still to come. */
        if (!keel_dg_copy(&t->scratch, &t->md) || !keel_dg_update(&t->scratch, extra, extra_len)
                || !keel_dg_final(&t->scratch, out)) {
            ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
            return 0;
        }
        if (extra_len == 0) {
            memcpy(t->last, out, keel_hash_len(id));
            t->last_valid = 1;
        }
        return 1;
    }
    if (keel_hash_md(t->algs, id) == NULL)
        return 0;
    keel_dg_setup(&tmp, t->algs, id);
    ok = keel_dg_start(&tmp) && keel_dg_update(&tmp, t->buf, t->len) && keel_dg_update(&tmp, extra, extra_len)
        && keel_dg_final(&tmp, out);
    keel_dg_cleanup(&tmp);
    if (!ok)
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
    return ok;
}

int keel_transcript_current(keel_transcript *t, uint8_t *out)
{
    if (!t->hashing) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    return keel_transcript_current_with(t, t->id, NULL, 0, out);
}

int keel_transcript_hrr_rewrite(keel_transcript *t)
{
    /* RFC 8446 §4.4.1: Transcript-Hash(ClientHello1, HelloRetryRequest, ...) =
     *   Hash(message_hash || 00 00 Hash.length || Hash(ClientHello1) || HelloRetryRequest || ...) */
    uint8_t msg[KEEL_HS_HEADER_LEN + KEEL_HASH_MAX_LEN];
    size_t hlen;

    if (!t->hashing) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    hlen = keel_hash_len(t->id);
    msg[0] = KEEL_HS_MESSAGE_HASH;
    msg[1] = 0;
    msg[2] = 0;
    msg[3] = (uint8_t)hlen;
    if (!keel_transcript_current(t, msg + KEEL_HS_HEADER_LEN))
        return 0;
    t->last_valid = 0;
    if (!keel_dg_start(&t->md)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        return 0;
    }
    t->len = 0;     /* a kept raw buffer restarts from the synthetic message too */
    return keel_transcript_update(t, msg, KEEL_HS_HEADER_LEN + hlen);
}

int keel_transcript_buffer(const keel_transcript *t, const uint8_t **data, size_t *len)
{
    if (t->hashing && !t->keep_buffer) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    *data = t->buf;
    *len = t->len;
    return 1;
}

int keel_transcript_dup(keel_transcript *dst, const keel_transcript *src)
{
    memset(dst, 0, sizeof(*dst));
    if (!src->hashing || src->keep_buffer) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    dst->algs = src->algs;
    dst->id = src->id;
    dst->hashing = 1;
    keel_dg_setup(&dst->md, src->algs, src->id);
    keel_dg_setup(&dst->scratch, src->algs, src->id);
    if (!keel_dg_copy(&dst->md, &src->md)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        keel_transcript_cleanup(dst);
        return 0;
    }
    return 1;
}

void keel_transcript_cleanup(keel_transcript *t)
{
    keel_dg_cleanup(&t->md);
    keel_dg_cleanup(&t->scratch);
    OPENSSL_free(t->buf);
    memset(t, 0, sizeof(*t));
}
