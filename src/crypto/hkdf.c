/* HMAC, HKDF (RFC 5869), TLS 1.3's HKDF-Expand-Label/Derive-Secret (RFC 8446 §7.1) and the
 * TLS 1.2 PRF (RFC 5246 §5).
 *
 * HKDF is composed here from HMAC rather than driven through EVP_KDF: the key schedule runs it ~20
 * times per handshake, and building a KDF context from named parameters each time costs far more.
 * HMAC itself is driven over the fetched digest (see keel_hm below). */
#include "crypto/algs_int.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/sslerr.h>
#include <string.h>

/* HMAC (RFC 2104) over one running hash (keel_dg): HMAC(K, m) = H((K ^ opad) | H((K ^ ipad) | m)).
 * libcrypto 3.0 allocates on every EVP_MAC_CTX_dup (10 blocks) and on every EVP_MAC_init with a
 * key (4); driving the digest directly costs nothing in keel_dg's direct form and one allocation
 * per digest initialisation in its EVP form, so an HKDF-Expand-Label of one block costs 0 or 3
 * instead of 15 (the key schedule runs ~23 per side). The hash itself stays libcrypto's. The
 * padded key and the states are cleansed by hmac_done.
 *
 * A keel_prf (below) is the same object kept: its digest context and padded key live as long as
 * the key, so a MAC under a key already set costs the two digest starts only. It can also keep
 * the digest states after K ^ ipad and K ^ opad (ist, ost) and start MACs from copies of them
 * (keel_dg_copy), skipping the two pad blocks' compressions. Measured in libcrypto 3.0.x: an EVP
 * copy allocates exactly as a digest start does (one provider context, even into a context that
 * already holds the same digest), so copies alone would cost two allocations more per key. Hence
 * the three modes of hmac_begin: the states are kept only for a key its user says is used again
 * (keel_prf_again), and the last MAC under them consumes them in place, so m MACs under one key
 * cost 2m allocations whichever way (none in the direct form), and 2 pad compressions instead of
 * 2m. The TLS 1.3 schedule hints its runs of derivations under one secret (keysched.c); the TLS
 * 1.2 PRF (keel_prf_tls12) keeps its master secret's states throughout (8 MACs per side under it:
 * 14 compressions fewer per side for 4 allocations more in the EVP form). */
/* keel_hm is declared in crypto.h (a keel_prf embeds one). */

static int hmac_setup(keel_hm *h, const keel_algs *a, keel_hash_id id)
{
    const EVP_MD *type;

    memset(h, 0, sizeof(*h));
    if ((type = keel_hash_md(a, id)) == NULL)
        return 0;
    h->hlen = keel_hash_len(id);
    h->blen = (size_t)EVP_MD_get_block_size(type);
    if (h->blen > sizeof(h->k) || h->blen < h->hlen || h->blen % 8 != 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_UNKNOWN_DIGEST);
        return 0;
    }
    keel_dg_setup(&h->md, a, id);
    keel_dg_setup(&h->ist, a, id);
    keel_dg_setup(&h->ost, a, id);
    return 1;
}

/* h->k = the key padded with zeros to the block size. */
static int hmac_pad_key(keel_hm *h, const uint8_t *key, size_t key_len)
{
    memset(h->k, 0, sizeof(h->k));
    /* RFC 2104 §2: a key longer than the block is replaced by its hash. */
    if (key_len > h->blen) {
        if (!keel_dg_start(&h->md) || !keel_dg_update(&h->md, key, key_len) || !keel_dg_final(&h->md, h->k)) {
            ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
            return 0;
        }
    } else if (key_len > 0) {
        memcpy(h->k, key, key_len);
    }
    return 1;
}

static int hmac_key(keel_hm *h, const keel_algs *a, keel_hash_id id, const uint8_t *key, size_t key_len)
{
    return hmac_setup(h, a, id) && hmac_pad_key(h, key, key_len);
}

/* md = a fresh digest over K ^ pad. */
static int pad_start(keel_hm *h, keel_dg *md, uint8_t pad)
{
    uint8_t b[sizeof(h->k)];
    uint64_t w, p = 0x0101010101010101ULL * pad;
    int ok;

    /* Eight bytes at a time (every block size is a multiple of 8): twice per MAC, so the byte
     * loop was ~6% of a TLS 1.2 abbreviated handshake's instructions. */
    for (size_t i = 0; i < h->blen; i += 8) {
        memcpy(&w, h->k + i, 8);
        w ^= p;
        memcpy(b + i, &w, 8);
    }
    ok = keel_dg_start(md) && keel_dg_update(md, b, h->blen);
    OPENSSL_cleanse(b, sizeof(b));
    return ok;
}

/* Keeps the current key's two pad states (h->states), once per key. */
static int hmac_keep_states(keel_hm *h)
{
    if (h->states)
        return 1;
    if (!pad_start(h, &h->ist, 0x36) || !pad_start(h, &h->ost, 0x5c)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        return 0;
    }
    h->states = 1;
    return 1;
}

/* How one MAC gets its inner and outer digests over K ^ ipad and K ^ opad:
 *   PLAIN:   md, started over each pad in turn (no states kept);
 *   COPY:    md, a copy of each kept state (the states stay for later MACs under the key);
 *   CONSUME: the kept states themselves (ist, then ost), which this MAC uses up.
 * In keel_dg's EVP form a digest start and a copy allocate alike (one provider context each), so
 * a MAC costs two allocations whichever way; COPY and CONSUME skip the two pad blocks'
 * compressions.
 * A key used m times with the states kept for all but the last use costs 2 + 2(m - 1)
 * allocations, as m PLAIN MACs do, and 2 pad compressions instead of 2m. */
enum { HM_PLAIN, HM_COPY, HM_CONSUME };

/* Starts one MAC under the key: the inner hash over K ^ ipad. keep: the key's states must
 * survive this MAC (made now if missing); otherwise kept states are used up, or there are none. */
static int hmac_begin(keel_hm *h, int keep)
{
    if (keep) {
        if (!hmac_keep_states(h))
            return 0;
        h->mode = HM_COPY;
        return keel_dg_copy(&h->md, &h->ist);
    }
    if (h->states) {
        h->states = 0; /* from here on they hold this MAC */
        h->mode = HM_CONSUME;
        return 1;
    }
    h->mode = HM_PLAIN;
    return pad_start(h, &h->md, 0x36);
}

/* The running MAC's inner and outer digests: the kept states it consumes, else md. */
static keel_dg *hm_inner(keel_hm *h) { return h->mode == HM_CONSUME ? &h->ist : &h->md; }
static keel_dg *hm_outer(keel_hm *h) { return h->mode == HM_CONSUME ? &h->ost : &h->md; }

static int hmac_update(keel_hm *h, const uint8_t *data, size_t len)
{
    return keel_dg_update(hm_inner(h), data, len);
}

static int hmac_final(keel_hm *h, uint8_t *out, size_t hlen)
{
    uint8_t inner[KEEL_HASH_MAX_LEN];
    int ok = hlen == h->hlen && keel_dg_final(hm_inner(h), inner);

    if (ok && h->mode == HM_COPY)
        ok = keel_dg_copy(&h->md, &h->ost);
    else if (ok && h->mode == HM_PLAIN)
        ok = pad_start(h, &h->md, 0x5c);
    ok = ok && keel_dg_update(hm_outer(h), inner, h->hlen) && keel_dg_final(hm_outer(h), out);
    OPENSSL_cleanse(inner, sizeof(inner));
    return ok;
}

/* The states are the key's (keel_dg_cleanup cleanses them), and so is the padded key. */
static void hmac_done(keel_hm *h)
{
    keel_dg_cleanup(&h->md);
    keel_dg_cleanup(&h->ist);
    keel_dg_cleanup(&h->ost);
    OPENSSL_cleanse(h->k, sizeof(h->k));
    h->states = 0;
}

/* RFC 5869 §2.3: T(i) = HMAC-Hash(PRK, T(i-1) | info | i), OKM = first L bytes of T(1)|T(2)|..
 * h is keyed with PRK already; keep: its states must survive the last block (hmac_begin). */
static int expand_keyed(keel_hm *h, const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len,
                        int keep)
{
    size_t hlen = h->hlen, done = 0, prev = 0;
    uint8_t t[KEEL_HASH_MAX_LEN];
    int ok = 1;

    for (unsigned i = 1; ok && done < out_len; i++) {
        uint8_t ctr = (uint8_t)i;
        size_t n = out_len - done < hlen ? out_len - done : hlen;

        /* Blocks before the last keep the states they find. */
        ok = hmac_begin(h, out_len - done > hlen ? keep || h->states : keep)
            && hmac_update(h, t, prev) && hmac_update(h, info, info_len)
            && hmac_update(h, &ctr, 1) && hmac_final(h, t, hlen);
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

/* RFC 5246 §5: P_hash(secret, s) = HMAC(secret, A(1) + s) + HMAC(secret, A(2) + s) + ...,
 * A(0) = s, A(i) = HMAC(secret, A(i-1)), with s = label + seed. h is keyed with the secret; kept
 * states (keel_prf_tls12) are kept throughout, or there are none (keel_tls12_prf). */
static int tls12_prf_keyed(keel_hm *h, const char *label, const uint8_t *seed, size_t seed_len,
                           uint8_t *out, size_t out_len)
{
    size_t hlen = h->hlen, llen = strlen(label), done = 0;
    uint8_t a[KEEL_HASH_MAX_LEN], blk[KEEL_HASH_MAX_LEN];
    int ok;

    /* A(1) = HMAC(secret, label + seed) */
    ok = hmac_begin(h, h->states) && hmac_update(h, (const uint8_t *)label, llen)
        && hmac_update(h, seed, seed_len)
        && hmac_final(h, a, hlen);
    while (ok && done < out_len) {
        size_t n = out_len - done < hlen ? out_len - done : hlen;

        ok = hmac_begin(h, h->states) && hmac_update(h, a, hlen) && hmac_update(h, (const uint8_t *)label, llen)
            && hmac_update(h, seed, seed_len) && hmac_final(h, blk, hlen);
        if (!ok)
            break;
        memcpy(out + done, blk, n);
        done += n;
        if (done < out_len)
            ok = hmac_begin(h, h->states) && hmac_update(h, a, hlen) && hmac_final(h, a, hlen);
    }
    OPENSSL_cleanse(a, sizeof(a));
    OPENSSL_cleanse(blk, sizeof(blk));
    if (!ok) {
        OPENSSL_cleanse(out, out_len);
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
    }
    return ok;
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

/* ---- a reusable keyed context (keel_prf) ------------------------------------------------------ */

int keel_prf_init(keel_prf *p, const keel_algs *algs, keel_hash_id id)
{
    memset(p, 0, sizeof(*p));
    if (!hmac_setup(&p->h, algs, id)) {
        hmac_done(&p->h);
        return 0;
    }
    p->id = id;
    p->algs = algs;
    return 1;
}

void keel_prf_cleanup(keel_prf *p)
{
    hmac_done(&p->h);
    p->keyed = 0;
}

keel_prf *keel_prf_new(const keel_algs *algs, keel_hash_id id)
{
    keel_prf *p;

    if ((p = OPENSSL_zalloc(sizeof(*p))) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    if (!keel_prf_init(p, algs, id)) {
        OPENSSL_free(p);
        return NULL;
    }
    return p;
}

void keel_prf_free(keel_prf *p)
{
    if (p == NULL)
        return;
    keel_prf_cleanup(p);
    OPENSSL_free(p);
}

keel_hash_id keel_prf_hash(const keel_prf *p) { return p->id; }

void keel_prf_again(keel_prf *p) { p->again = 1; }

/* key NULL: the key of the previous call (kept padded; no allocation either way unless a key
 * longer than the block is hashed). A failure leaves no key (a later NULL is refused). */
static int prf_key(keel_prf *p, const uint8_t *key, size_t key_len)
{
    keel_hm *h = &p->h;
    int ok;

    if (key == NULL) {
        if (!p->keyed)
            ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return p->keyed;
    }
    p->keyed = 0;
    h->states = 0; /* the kept states are the old key's (overwritten on their next use) */
    ok = hmac_pad_key(h, key, key_len);
    if (!ok) {
        OPENSSL_cleanse(h->k, sizeof(h->k));
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        return 0;
    }
    p->keyed = 1;
    return 1;
}

int keel_prf_hmac(keel_prf *p, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
                  uint8_t *out)
{
    int keep = p->again;

    p->again = 0;
    if (!prf_key(p, key, key_len))
        return 0;
    if (!hmac_begin(&p->h, keep) || !hmac_update(&p->h, data, len) || !hmac_final(&p->h, out, p->h.hlen)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        return 0;
    }
    return 1;
}

/* HKDF-Expand with PRK `prk` (Hash.length bytes, or NULL: the previous key). */
static int prf_expand(keel_prf *p, const uint8_t *prk, const uint8_t *info, size_t info_len,
                      uint8_t *out, size_t out_len, int keep)
{
    if (!expand_check(p->h.hlen, out_len))
        return 0;
    if (out_len == 0)
        return 1;
    return prf_key(p, prk, p->h.hlen) && expand_keyed(&p->h, info, info_len, out, out_len, keep);
}

int keel_prf_expand_label(keel_prf *p, const uint8_t *secret, const char *label, const uint8_t *ctx,
                          size_t ctx_len, uint8_t *out, size_t out_len)
{
    uint8_t info[KEEL_HKDF_LABEL_MAX];
    size_t info_len;
    int keep = p->again;

    p->again = 0;
    return hkdf_label(info, sizeof(info), &info_len, (const uint8_t *)label, strlen(label), ctx, ctx_len,
                      out_len)
        && prf_expand(p, secret, info, info_len, out, out_len, keep);
}

int keel_prf_tls12(keel_prf *p, const uint8_t *secret, size_t secret_len, const char *label,
                   const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
    p->again = 0; /* the TLS 1.2 PRF keeps its key's states anyway */
    if (out_len == 0)
        return 1;
    return prf_key(p, secret, secret_len) && hmac_keep_states(&p->h)
        && tls12_prf_keyed(&p->h, label, seed, seed_len, out, out_len);
}

int keel_prf_extract_fixed(keel_prf *p, int which, const uint8_t *ikm, size_t ikm_len, uint8_t *out)
{
    keel_hm *h = &p->h;
    const keel_dg *st;
    uint8_t inner[KEEL_HASH_MAX_LEN];
    int ok;

    p->again = 0;
    if ((unsigned)p->id >= KEEL_NUM_HASHES || (which != KEEL_FIXED_ZERO && which != KEEL_FIXED_SALT0)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    st = p->algs->fixed_pads[p->id][which];
    if (!p->algs->have_fixed_pads[p->id]) {
        const uint8_t *salt = which == KEEL_FIXED_ZERO ? (const uint8_t *)"" : keel_tls13_salt_no_psk(p->algs, p->id);

        if (salt == NULL) {
            ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
            return 0;
        }
        ok = keel_prf_hmac(p, salt, which == KEEL_FIXED_ZERO ? 0 : h->hlen, ikm, ikm_len, out);
    } else {
        /* HMAC from copies of the table's states: the MAC's inner, then outer, digest in h->md. */
        ok = keel_dg_copy(&h->md, &st[0]) && keel_dg_update(&h->md, ikm, ikm_len) && keel_dg_final(&h->md, inner)
            && keel_dg_copy(&h->md, &st[1]) && keel_dg_update(&h->md, inner, h->hlen)
            && keel_dg_final(&h->md, out);
        OPENSSL_cleanse(inner, sizeof(inner));
        if (!ok)
            ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
    }
    p->keyed = 0;
    h->states = 0;
    return ok;
}

/* ---- one-shot forms ------------------------------------------------------------------------ */

int keel_hmac(const keel_algs *algs, keel_hash_id id, const uint8_t *key, size_t key_len,
              const uint8_t *data, size_t len, uint8_t *out)
{
    keel_hm h;
    int ok = hmac_key(&h, algs, id, key, key_len) && hmac_begin(&h, 0) && hmac_update(&h, data, len)
        && hmac_final(&h, out, keel_hash_len(id));

    hmac_done(&h);
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
    keel_hm h;
    int ok;

    if (!expand_check(keel_hash_len(hash), out_len))
        return 0;
    if (out_len == 0)
        return 1;
    ok = hmac_key(&h, algs, hash, prk, keel_hash_len(hash)) && expand_keyed(&h, info, info_len, out, out_len, 0);
    hmac_done(&h);
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

int keel_tls12_prf(const keel_algs *algs, keel_hash_id hash, const uint8_t *secret, size_t secret_len,
                   const char *label, const uint8_t *seed, size_t seed_len,
                   uint8_t *out, size_t out_len)
{
    keel_hm h;
    int ok;

    if (out_len == 0)
        return 1;
    ok = hmac_key(&h, algs, hash, secret, secret_len) && tls12_prf_keyed(&h, label, seed, seed_len, out, out_len);
    hmac_done(&h);
    return ok;
}

const uint8_t *keel_hash_empty(const keel_algs *algs, keel_hash_id id)
{
    return (unsigned)id < KEEL_NUM_HASHES && algs->have_consts[id] ? algs->empty_hash[id] : NULL;
}

const uint8_t *keel_tls13_salt_no_psk(const keel_algs *algs, keel_hash_id id)
{
    return (unsigned)id < KEEL_NUM_HASHES && algs->have_consts[id] ? algs->salt_no_psk[id] : NULL;
}

static void fixed_pads_free(keel_algs *a, int i)
{
    for (int w = 0; w < 2; w++)
        for (int j = 0; j < 2; j++)
            keel_dg_cleanup(&a->fixed_pads[i][w][j]);
    a->have_fixed_pads[i] = 0;
}

/* Called once as the table is made. Without them every handshake computes them itself. */
void keel_algs_consts(keel_algs *a)
{
    for (int i = 0; i < KEEL_NUM_HASHES; i++) {
        keel_hash_id id = (keel_hash_id)i;
        uint8_t zeros[KEEL_HASH_MAX_LEN] = { 0 }, early[KEEL_HASH_MAX_LEN];
        size_t hlen = keel_hash_len(id);

        a->have_consts[i] = a->md[i] != NULL && hlen > 0
            && keel_hash(a, id, NULL, 0, a->empty_hash[i])
            && keel_hkdf_extract(a, id, NULL, 0, zeros, hlen, early)
            && keel_derive_secret(a, id, early, "derived", a->empty_hash[i], a->salt_no_psk[i]);
        OPENSSL_cleanse(early, sizeof(early));
        if (!a->have_consts[i])
            continue;
        /* The fixed extract keys' pad states (keel_prf_extract_fixed); a failure leaves none. */
        int ok = 1;

        for (int w = 0; ok && w < 2; w++) {
            keel_hm h;

            ok = hmac_key(&h, a, id, a->salt_no_psk[i], w == KEEL_FIXED_ZERO ? 0 : hlen) && hmac_keep_states(&h);
            if (ok) {
                a->fixed_pads[i][w][0] = h.ist;
                a->fixed_pads[i][w][1] = h.ost;
                memset(&h.ist, 0, sizeof(h.ist)); /* moved into the table */
                memset(&h.ost, 0, sizeof(h.ost));
            }
            hmac_done(&h);
        }
        a->have_fixed_pads[i] = ok;
        if (!ok)
            fixed_pads_free(a, i);
    }
}

void keel_algs_consts_free(keel_algs *a)
{
    for (int i = 0; i < KEEL_NUM_HASHES; i++)
        fixed_pads_free(a, i);
}
