/* (EC)DHE key exchange for key_share (RFC 8446 §4.2.8, §7.4) and TLS 1.2 ECDHE (RFC 4492 §5.4);
 * TLS 1.2 DHE in parameters of the server's choice is set up by kex_dh.c, then uses these. */
#include "crypto/kex_int.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/err.h>
#include <openssl/sslerr.h>
#include <string.h>

#include "common/proto.h"

/* Share sizes: RFC 8446 §4.2.8.2 (X25519 32, X448 56; uncompressed points 1 + 2 * field size) and
 * §4.2.8.1 (Diffie-Hellman Y padded to the prime's size, RFC 7919 primes). The shared secret is the
 * X25519/X448 output, the x-coordinate (§7.4.2) or Z padded to the prime's size (§7.4.1). */
static const keel_group_info groups[] = {
    { KEEL_GROUP_X25519, KIND_ECX, 0, "X25519", 32, 32 },
    { KEEL_GROUP_SECP256R1, KIND_EC, 0, NULL, 65, 32 },
    { KEEL_GROUP_SECP384R1, KIND_EC, 1, NULL, 97, 48 },
    { KEEL_GROUP_SECP521R1, KIND_EC, 2, NULL, 133, 66 },
    { KEEL_GROUP_X448, KIND_ECX, 1, "X448", 56, 56 },
    { KEEL_GROUP_FFDHE2048, KIND_DH, 0, NULL, 256, 256 },
    { KEEL_GROUP_FFDHE3072, KIND_DH, 1, NULL, 384, 384 },
    { KEEL_GROUP_FFDHE4096, KIND_DH, 2, NULL, 512, 512 },
    { KEEL_GROUP_FFDHE6144, KIND_DH, 3, NULL, 768, 768 },
    { KEEL_GROUP_FFDHE8192, KIND_DH, 4, NULL, 1024, 1024 },
};

_Static_assert(sizeof(groups) / sizeof(groups[0]) == KEEL_NUM_GROUPS, "KEEL_NUM_GROUPS");

static const keel_group_info *group_find(uint16_t group)
{
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (groups[i].group == group)
            return &groups[i];
    return NULL;
}

static EVP_PKEY *group_params(const keel_algs *a, const keel_group_info *g)
{
    return g->kind == KIND_EC ? a->ec_params[g->idx]
         : g->kind == KIND_DH ? a->dh_params[g->idx] : NULL;
}

int keel_kex_supported(const keel_algs *a, uint16_t group)
{
    const keel_group_info *g = group_find(group);

    if (g == NULL)
        return 0;
    if (g->kind == KIND_ECX)
        return group == KEEL_GROUP_X25519 ? a->have_x25519 : a->have_x448;
    return group_params(a, g) != NULL;
}

keel_kex *keel_kex_new(const keel_algs *a, uint16_t group)
{
    const keel_group_info *g = group_find(group);
    keel_kex *k;

    if (g == NULL || !keel_kex_supported(a, group)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_UNSUPPORTED_ELLIPTIC_CURVE);
        return NULL;
    }
    if ((k = OPENSSL_zalloc(sizeof(*k))) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    k->algs = a;
    k->g = g;
    k->params = group_params(a, g); /* the table's: not owned */
    if (!keel_kex_keygen(k)) {
        keel_kex_free(k);
        return NULL;
    }
    return k;
}

/* The pool of a named group's ready key-generation contexts (algs_int.h); NULL for TLS 1.2 DHE in
 * the server's own parameters. */
static _Atomic(EVP_PKEY_CTX *) *keygen_pool(const keel_kex *k)
{
    if (k->g < groups || k->g >= groups + KEEL_NUM_GROUPS)
        return NULL;
    return ((keel_algs *)k->algs)->keygen_pool[k->g - groups];
}

int keel_kex_keygen(keel_kex *k)
{
    const keel_algs *a = k->algs;
    _Atomic(EVP_PKEY_CTX *) *pool = keygen_pool(k);
    EVP_PKEY_CTX *pctx = NULL;
    int ok, i;

    for (i = 0; pool != NULL && pctx == NULL && i < KEEL_KEYGEN_POOL; i++)
        pctx = atomic_exchange(&pool[i], NULL);
    if (pctx == NULL) {
        /* Curves and finite-field groups generate from domain parameters; X25519/X448 from the
         * table's key of the type (no key manager fetch), by name only if there is none. */
        EVP_PKEY *tmpl = k->g->kind == KIND_ECX ? a->ecx_tmpl[k->g->idx] : k->params;

        pctx = tmpl == NULL ? EVP_PKEY_CTX_new_from_name(a->libctx, k->g->name, a->propq)
                            : EVP_PKEY_CTX_new_from_pkey(a->libctx, tmpl, a->propq);
        if (pctx != NULL && EVP_PKEY_keygen_init(pctx) <= 0) {
            EVP_PKEY_CTX_free(pctx);
            pctx = NULL;
        }
    }
    ok = pctx != NULL && EVP_PKEY_keygen(pctx, &k->key) > 0;
    if (!ok)
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
    /* Back into a free slot, also after a failed generation (an allocation failure inside it
     * leaves the context as it was); the pool full, it is freed. */
    for (i = 0; pool != NULL && pctx != NULL && i < KEEL_KEYGEN_POOL; i++) {
        EVP_PKEY_CTX *none = NULL;
        if (atomic_compare_exchange_strong(&pool[i], &none, pctx))
            pctx = NULL;
    }
    EVP_PKEY_CTX_free(pctx);
    return ok;
}

uint16_t keel_kex_group(const keel_kex *k) { return k->g->group; }

int keel_kex_public(const keel_kex *k, uint8_t *out, size_t *out_len)
{
    size_t n = 0, want = k->g->pub_len;

    if (*out_len < want) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
        return 0;
    }
    if (!EVP_PKEY_get_octet_string_param(k->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, want, &n)
            || n == 0 || n > want) {
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        return 0;
    }
    /* RFC 8446 §4.2.8.1: a DH value shorter than the prime is left-padded with zeros. For the
     * curves the encoding is fixed-size already; anything short there is an error. */
    if (n < want) {
        if (k->g->kind != KIND_DH) {
            ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
            return 0;
        }
        memmove(out + (want - n), out, n);
        memset(out, 0, want - n);
    }
    *out_len = want;
    return 1;
}

int keel_kex_public_wr(const keel_kex *k, keel_wr *w)
{
    size_t n = k->g->pub_len;
    uint8_t *p;

    return keel_wr_space(w, n, &p) && keel_kex_public(k, p, &n);
}

/* The peer's share as a key of our group, or NULL if it is malformed or not a valid group element. */
static EVP_PKEY *peer_key(const keel_kex *k, const uint8_t *peer, size_t peer_len)
{
    const keel_group_info *g = k->g;
    uint8_t padded[KEEL_KEX_MAX_PUBLIC];
    EVP_PKEY *pk;

    /* RFC 5246 §7.4.3 / §7.4.7.2: a TLS 1.2 dh_Ys / dh_Yc is an integer of any length up to the
     * prime's; TLS 1.3 (RFC 8446 §4.2.8.1) and the curves have one exact length. */
    if (k->tls12_dh && peer_len >= 1 && peer_len < g->pub_len) {
        memset(padded, 0, g->pub_len - peer_len);
        memcpy(padded + (g->pub_len - peer_len), peer, peer_len);
        peer = padded;
        peer_len = g->pub_len;
    }
    if (peer_len != g->pub_len)
        return NULL;
    EVP_PKEY *tmpl = g->kind == KIND_ECX ? k->algs->ecx_tmpl[g->idx] : k->params;
    if (g->kind == KIND_ECX && tmpl == NULL)
        return EVP_PKEY_new_raw_public_key_ex(k->algs->libctx, g->name, k->algs->propq, peer, peer_len);
    /* RFC 8446 §4.2.8.2: only the uncompressed form (0x04) is legal for the NIST curves. */
    if (g->kind == KIND_EC && peer[0] != 0x04)
        return NULL;
    /* RFC 7919 §5.1 (RFC 8446 §4.2.8.1): 1 < Y < p-1, whatever else libcrypto can check with the
     * parameters at hand; decoding checks a point is on its curve. derive_set_peer_ex's
     * validation then runs the full public-key check. */
    if (g->kind == KIND_DH && !keel_dh_y_in_range(k->params, peer, peer_len))
        return NULL;
    if ((pk = EVP_PKEY_new()) == NULL)
        return NULL;
    if (!EVP_PKEY_copy_parameters(pk, tmpl) || !EVP_PKEY_set1_encoded_public_key(pk, peer, peer_len)) {
        EVP_PKEY_free(pk);
        return NULL;
    }
    return pk;
}

int keel_kex_derive(keel_kex *k, const uint8_t *peer, size_t peer_len, uint8_t *out, size_t *out_len)
{
    const keel_group_info *g = k->g;
    EVP_PKEY *pk = NULL;
    EVP_PKEY_CTX *dctx = NULL;
    size_t n = g->secret_len;
    uint8_t acc = 0;
    int ok = 0, bad_peer = 0;

    if (*out_len < g->secret_len) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
        return 0;
    }
    /* libcrypto's own errors about the peer's value are dropped: the application should see the
     * one SSL reason that says what went wrong, as OpenSSL's libssl reports it. */
    ERR_set_mark();
    if ((pk = peer_key(k, peer, peer_len)) == NULL) {
        bad_peer = 1;
        goto done;
    }
    if ((dctx = EVP_PKEY_CTX_new_from_pkey(k->algs->libctx, k->key, k->algs->propq)) == NULL
            || EVP_PKEY_derive_init(dctx) <= 0
            /* RFC 8446 §7.4.1: the DH secret keeps its leading zeros (padded to the prime). */
            || (g->kind == KIND_DH && EVP_PKEY_CTX_set_dh_pad(dctx, 1) <= 0))
        goto done;
    if (EVP_PKEY_derive_set_peer_ex(dctx, pk, 1) <= 0) {
        bad_peer = 1;
        goto done;
    }
    if (EVP_PKEY_derive(dctx, out, &n) <= 0) {
        /* X25519/X448 refuse an all-zero result themselves: that is the peer's fault too. */
        bad_peer = g->kind == KIND_ECX;
        goto done;
    }
    if (n != g->secret_len)
        goto done;
    /* RFC 8446 §7.4.2 / RFC 7748 §6: an all-zero X25519/X448 output means a small-order share. */
    for (size_t i = 0; i < n; i++)
        acc |= out[i];
    if (acc == 0) {
        bad_peer = 1;
        goto done;
    }
    /* RFC 5246 §8.1.2: in TLS 1.2 "leading bytes of Z that contain all zero bits are stripped". */
    if (k->tls12_dh) {
        size_t z = 0;
        while (z < n - 1 && out[z] == 0)
            z++;
        memmove(out, out + z, n - z);
        OPENSSL_cleanse(out + (n - z), z);
        n -= z;
    }
    ok = 1;
done:
    ERR_pop_to_mark();
    EVP_PKEY_CTX_free(dctx);
    EVP_PKEY_free(pk);
    if (!ok) {
        OPENSSL_cleanse(out, *out_len < g->secret_len ? *out_len : g->secret_len);
        if (bad_peer)
            ERR_raise(ERR_LIB_SSL, g->kind == KIND_DH ? SSL_R_BAD_DH_VALUE : SSL_R_BAD_ECPOINT);
        else
            ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        return 0;
    }
    *out_len = n;
    return 1;
}

/* SSL_get_tmp_key / SSL_get_peer_tmp_key (ctrls 133/109): both shares as public-only keys, so
 * the connection can report them after the handshake without keeping our private key (the key
 * schedule's forward secrecy, RFC 8446 §1.2). */
int keel_kex_tmp_keys(const keel_kex *k, const uint8_t *peer, size_t peer_len, EVP_PKEY **ours,
                      EVP_PKEY **theirs)
{
    int ok;

    *ours = keel_kex_own_public(k);
    ERR_set_mark();
    *theirs = peer_key(k, peer, peer_len);
    ok = *ours != NULL && *theirs != NULL;
    if (!ok) {
        EVP_PKEY_free(*ours);
        EVP_PKEY_free(*theirs);
        *ours = *theirs = NULL;
    }
    ERR_pop_to_mark();
    return ok;
}

int keel_kex_pub_key(const keel_algs *a, uint16_t group, const uint8_t *pub, size_t pub_len,
                     EVP_PKEY **out)
{
    /* A key-exchange object of the group without a key pair, only for peer_key's checks. */
    keel_kex k = { 0 };

    *out = NULL;
    if ((k.g = group_find(group)) == NULL || !keel_kex_supported(a, group))
        return 0;
    k.algs = a;
    k.params = group_params(a, k.g);
    ERR_set_mark();
    *out = peer_key(&k, pub, pub_len);
    ERR_pop_to_mark();
    return *out != NULL;
}

EVP_PKEY *keel_kex_own_public(const keel_kex *k)
{
    uint8_t pub[KEEL_KEX_MAX_PUBLIC];
    size_t n = sizeof(pub);
    EVP_PKEY *key;

    if (k == NULL)
        return NULL;
    ERR_set_mark();
    key = keel_kex_public(k, pub, &n) ? peer_key(k, pub, n) : NULL;
    ERR_pop_to_mark();
    return key;
}

void keel_kex_free(keel_kex *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_free(k->key);   /* libcrypto cleanses the private key */
    if (k->own_params)
        EVP_PKEY_free(k->params);
    OPENSSL_free(k);
}
