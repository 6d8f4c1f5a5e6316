/* HMAC, HKDF (RFC 5869), TLS 1.3's HKDF-Expand-Label/Derive-Secret (RFC 8446 §7.1) and the
 * TLS 1.2 PRF (RFC 5246 §5).
 *
 * HKDF is composed here from HMAC rather than driven through EVP_KDF: the key schedule runs it ~20
 * times per handshake, and duplicating a pre-configured HMAC context (see algs_int.h) costs far less
 * than building a KDF context from named parameters each time. */
#include "crypto/algs_int.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/sslerr.h>
#include <string.h>

/* A fresh HMAC context keyed with `key`. A zero-length key is still passed as a non-NULL pointer:
 * EVP_MAC_init() reads NULL as "keep the previous key". */
static EVP_MAC_CTX *hmac_new(const keel_algs *a, keel_hash_id id)
{
    EVP_MAC_CTX *ctx;

    if ((unsigned)id >= KEEL_NUM_HASHES || a->hmac_tmpl[id] == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_UNKNOWN_DIGEST);
        return NULL;
    }
    if ((ctx = EVP_MAC_CTX_dup(a->hmac_tmpl[id])) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    return ctx;
}

/* Keys ctx with `key`, or with NULL restarts it under the key it already has: RFC 2104's inner and
 * outer pads are hashed once per key, and a restart only copies their saved states. */
static int hmac_init(EVP_MAC_CTX *ctx, const uint8_t *key, size_t key_len)
{
    int ok = key != NULL ? EVP_MAC_init(ctx, key_len > 0 ? key : (const uint8_t *)"", key_len, NULL)
                         : EVP_MAC_init(ctx, NULL, 0, NULL);

    if (!ok)
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
    return ok;
}

static EVP_MAC_CTX *hmac_start(const keel_algs *a, keel_hash_id id, const uint8_t *key, size_t key_len)
{
    EVP_MAC_CTX *ctx = hmac_new(a, id);

    if (ctx != NULL && !hmac_init(ctx, key != NULL ? key : (const uint8_t *)"", key_len)) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int hmac_update(EVP_MAC_CTX *ctx, const uint8_t *data, size_t len)
{
    return len == 0 || EVP_MAC_update(ctx, data, len);
}

static int hmac_final(EVP_MAC_CTX *ctx, uint8_t *out, size_t hlen)
{
    size_t outl = 0;

    return EVP_MAC_final(ctx, out, &outl, hlen) && outl == hlen;
}

/* ---- a reusable keyed context (keel_prf) ------------------------------------------------------ */

struct keel_prf {
    EVP_MAC_CTX *ctx;
    keel_hash_id id;
    int keyed;
};

keel_prf *keel_prf_new(const keel_algs *algs, keel_hash_id id)
{
    keel_prf *p;

    if ((p = OPENSSL_zalloc(sizeof(*p))) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    if ((p->ctx = hmac_new(algs, id)) == NULL) {
        OPENSSL_free(p);
        return NULL;
    }
    p->id = id;
    return p;
}

void keel_prf_free(keel_prf *p)
{
    if (p == NULL)
        return;
    EVP_MAC_CTX_free(p->ctx); /* the digest contexts holding the pads are cleansed when freed */
    OPENSSL_free(p);
}

keel_hash_id keel_prf_hash(const keel_prf *p) { return p->id; }

/* key NULL: the key of the previous call. A failure leaves no key (a later NULL is refused). */
static int prf_key(keel_prf *p, const uint8_t *key, size_t key_len)
{
    if (key == NULL && !p->keyed) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    p->keyed = 0;
    if (!hmac_init(p->ctx, key, key_len))
        return 0;
    p->keyed = 1;
    return 1;
}

int keel_prf_hmac(keel_prf *p, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
                  uint8_t *out)
{
    if (!prf_key(p, key, key_len))
        return 0;
    if (!hmac_update(p->ctx, data, len) || !hmac_final(p->ctx, out, keel_hash_len(p->id))) {
        p->keyed = 0;
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        return 0;
    }
    return 1;
}

/* RFC 5869 §2.3: T(i) = HMAC-Hash(PRK, T(i-1) | info | i), OKM = first L bytes of T(1)|T(2)|..
 * ctx is keyed with PRK already; each block restarts it under that key. */
static int expand_keyed(EVP_MAC_CTX *ctx, size_t hlen, const uint8_t *info, size_t info_len,
                        uint8_t *out, size_t out_len)
{
    size_t done = 0, prev = 0;
    uint8_t t[KEEL_HASH_MAX_LEN];
    int ok = 1;

    for (unsigned i = 1; ok && done < out_len; i++) {
        uint8_t ctr = (uint8_t)i;
        size_t n = out_len - done < hlen ? out_len - done : hlen;

        ok = (i == 1 || EVP_MAC_init(ctx, NULL, 0, NULL))
            && hmac_update(ctx, t, prev) && hmac_update(ctx, info, info_len)
            && hmac_update(ctx, &ctr, 1) && hmac_final(ctx, t, hlen);
        if (ok) {
            memcpy(out + done, t, n);
            done += n;
            prev = hlen;
        }
    }
    OPENSSL_cleanse(t, sizeof(t));
    if (!ok) {
        OPENSSL_cleanse(out, out_len);
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
    }
    return ok;
}

static int expand_check(size_t hlen, size_t out_len)
{
    if (hlen == 0 || out_len > 255 * hlen) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    return 1;
}

int keel_prf_expand(keel_prf *p, const uint8_t *prk, const uint8_t *info, size_t info_len,
                    uint8_t *out, size_t out_len)
{
    size_t hlen = keel_hash_len(p->id);

    if (!expand_check(hlen, out_len))
        return 0;
    if (out_len == 0)
        return 1;
    if (!prf_key(p, prk, hlen))
        return 0;
    if (!expand_keyed(p->ctx, hlen, info, info_len, out, out_len)) {
        p->keyed = 0;
        return 0;
    }
    return 1;
}

/* RFC 8446 §7.1:
 *   struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255>; }
 * The label vector's lower bound of 7 admits an empty Label (RFC 8446 §7.5 exporters). */
static int hkdf_label(uint8_t *info, size_t cap, size_t *info_len, const uint8_t *label, size_t label_len,
                      const uint8_t *ctx, size_t ctx_len, size_t out_len)
{
    static const char prefix[] = "tls13 ";
    keel_wr w;
    size_t m1, m2;

    if (label_len > 255 - (sizeof(prefix) - 1) || ctx_len > 255 || out_len > 0xffff) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    keel_wr_init_fixed(&w, info, cap);
    keel_wr_u16(&w, (uint32_t)out_len);
    keel_wr_open8(&w, &m1);
    keel_wr_bytes(&w, (const uint8_t *)prefix, sizeof(prefix) - 1);
    keel_wr_bytes(&w, label, label_len);
    keel_wr_close(&w, m1);
    keel_wr_open8(&w, &m2);
    keel_wr_bytes(&w, ctx, ctx_len);
    keel_wr_close(&w, m2);
    if (keel_wr_failed(&w))
        return 0;
    *info_len = keel_wr_len(&w);
    return 1;
}

#define KEEL_HKDF_LABEL_MAX (2 + 1 + 255 + 1 + 255)

int keel_prf_expand_label(keel_prf *p, const uint8_t *secret, const char *label, const uint8_t *ctx,
                          size_t ctx_len, uint8_t *out, size_t out_len)
{
    uint8_t info[KEEL_HKDF_LABEL_MAX];
    size_t info_len;

    return hkdf_label(info, sizeof(info), &info_len, (const uint8_t *)label, strlen(label), ctx, ctx_len,
                      out_len)
        && keel_prf_expand(p, secret, info, info_len, out, out_len);
}

/* ---- one-shot forms ------------------------------------------------------------------------ */

int keel_hmac(const keel_algs *algs, keel_hash_id id, const uint8_t *key, size_t key_len,
              const uint8_t *data, size_t len, uint8_t *out)
{
    EVP_MAC_CTX *ctx = hmac_start(algs, id, key, key_len);
    int ok;

    if (ctx == NULL)
        return 0;
    ok = hmac_update(ctx, data, len) && hmac_final(ctx, out, keel_hash_len(id));
    EVP_MAC_CTX_free(ctx);
    if (!ok)
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
    return ok;
}

int keel_hkdf_extract(const keel_algs *algs, keel_hash_id hash, const uint8_t *salt, size_t salt_len,
                      const uint8_t *ikm, size_t ikm_len, uint8_t *out)
{
    /* RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM); an absent salt is HashLen zeros, which HMAC's key
     * padding makes identical to an empty key. */
    if (salt == NULL)
        salt_len = 0;
    return keel_hmac(algs, hash, salt, salt_len, ikm, ikm_len, out);
}

int keel_hkdf_expand(const keel_algs *algs, keel_hash_id hash, const uint8_t *prk,
                     const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    size_t hlen = keel_hash_len(hash);
    EVP_MAC_CTX *ctx;
    int ok;

    if (!expand_check(hlen, out_len))
        return 0;
    if (out_len == 0)
        return 1;
    if ((ctx = hmac_start(algs, hash, prk, hlen)) == NULL)
        return 0;
    ok = expand_keyed(ctx, hlen, info, info_len, out, out_len);
    EVP_MAC_CTX_free(ctx);
    return ok;
}

int keel_hkdf_expand_label_n(const keel_algs *algs, keel_hash_id hash, const uint8_t *secret,
                             const uint8_t *label, size_t label_len, const uint8_t *ctx, size_t ctx_len,
                             uint8_t *out, size_t out_len)
{
    uint8_t info[KEEL_HKDF_LABEL_MAX];
    size_t info_len;

    return hkdf_label(info, sizeof(info), &info_len, label, label_len, ctx, ctx_len, out_len)
        && keel_hkdf_expand(algs, hash, secret, info, info_len, out, out_len);
}

int keel_hkdf_expand_label(const keel_algs *algs, keel_hash_id hash, const uint8_t *secret,
                           const char *label, const uint8_t *ctx, size_t ctx_len,
                           uint8_t *out, size_t out_len)
{
    return keel_hkdf_expand_label_n(algs, hash, secret, (const uint8_t *)label, strlen(label),
                                    ctx, ctx_len, out, out_len);
}

int keel_derive_secret(const keel_algs *algs, keel_hash_id hash, const uint8_t *secret,
                       const char *label, const uint8_t *transcript_hash, uint8_t *out)
{
    /* RFC 8446 §7.1: Derive-Secret = HKDF-Expand-Label(Secret, Label, Transcript-Hash, Hash.length) */
    size_t hlen = keel_hash_len(hash);

    return keel_hkdf_expand_label(algs, hash, secret, label, transcript_hash, hlen, out, hlen);
}

/* RFC 5246 §5: P_hash(secret, s) = HMAC(secret, A(1) + s) + HMAC(secret, A(2) + s) + ...,
 * A(0) = s, A(i) = HMAC(secret, A(i-1)), with s = label + seed. ctx is keyed with the secret; every
 * HMAC restarts it under that key, so the pads are hashed once for the whole PRF. */
static int tls12_prf_keyed(EVP_MAC_CTX *ctx, size_t hlen, const char *label, const uint8_t *seed,
                           size_t seed_len, uint8_t *out, size_t out_len)
{
    size_t llen = strlen(label), done = 0;
    uint8_t a[KEEL_HASH_MAX_LEN], blk[KEEL_HASH_MAX_LEN];
    int ok;

    /* A(1) = HMAC(secret, label + seed) */
    ok = hmac_update(ctx, (const uint8_t *)label, llen) && hmac_update(ctx, seed, seed_len)
        && hmac_final(ctx, a, hlen);
    while (ok && done < out_len) {
        size_t n = out_len - done < hlen ? out_len - done : hlen;

        ok = EVP_MAC_init(ctx, NULL, 0, NULL)
            && hmac_update(ctx, a, hlen) && hmac_update(ctx, (const uint8_t *)label, llen)
            && hmac_update(ctx, seed, seed_len) && hmac_final(ctx, blk, hlen);
        if (!ok)
            break;
        memcpy(out + done, blk, n);
        done += n;
        if (done < out_len)
            ok = EVP_MAC_init(ctx, NULL, 0, NULL) && hmac_update(ctx, a, hlen) && hmac_final(ctx, a, hlen);
    }
    OPENSSL_cleanse(a, sizeof(a));
    OPENSSL_cleanse(blk, sizeof(blk));
    if (!ok) {
        OPENSSL_cleanse(out, out_len);
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
    }
    return ok;
}

int keel_tls12_prf(const keel_algs *algs, keel_hash_id hash, const uint8_t *secret, size_t secret_len,
                   const char *label, const uint8_t *seed, size_t seed_len,
                   uint8_t *out, size_t out_len)
{
    EVP_MAC_CTX *ctx;
    int ok;

    if (out_len == 0)
        return 1;
    if ((ctx = hmac_start(algs, hash, secret, secret_len)) == NULL)
        return 0;
    ok = tls12_prf_keyed(ctx, keel_hash_len(hash), label, seed, seed_len, out, out_len);
    EVP_MAC_CTX_free(ctx);
    return ok;
}

int keel_prf_tls12(keel_prf *p, const uint8_t *secret, size_t secret_len, const char *label,
                   const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
    if (out_len == 0)
        return 1;
    if (!prf_key(p, secret, secret_len))
        return 0;
    if (!tls12_prf_keyed(p->ctx, keel_hash_len(p->id), label, seed, seed_len, out, out_len)) {
        p->keyed = 0;
        return 0;
    }
    return 1;
}
