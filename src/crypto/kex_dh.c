/* TLS 1.2 finite-field DHE (RFC 5246 §7.4.3 ServerDHParams, §7.4.7.2 ClientDiffieHellmanPublic,
 * §8.1.2 premaster secret): a key pair in parameters the server chose — its configured ones
 * (SSL_CTX_set_tmp_dh and relatives), the automatic ones OpenSSL 3.0 picks (SSL_CTX_set_dh_auto), or
 * on the client the ones the ServerKeyExchange carries. Once made, the object is a keel_kex like
 * any other: keel_kex_public / keel_kex_derive / keel_kex_tmp_keys (kex.c). */
#define OPENSSL_SUPPRESS_DEPRECATED /* DH_get0_pqg: an application's DH object (SSL_CTX_set_tmp_dh) */
#include "crypto/kex_int.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/sslerr.h>
#include <string.h>

static BIGNUM *get_p(const EVP_PKEY *params)
{
    BIGNUM *p = NULL;
    return EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, &p) ? p : NULL;
}

int keel_dh_y_in_range(const EVP_PKEY *params, const uint8_t *y, size_t len)
{
    BIGNUM *p = get_p(params), *v = BN_bin2bn(y, (int)len, NULL), *pm1 = BN_new();
    int ok = p != NULL && v != NULL && pm1 != NULL && BN_sub(pm1, p, BN_value_one())
          && BN_cmp(v, BN_value_one()) > 0 && BN_cmp(v, pm1) < 0;

    BN_free(p);
    BN_clear_free(v);
    BN_free(pm1);
    return ok;
}

/* A key pair in `params` (a reference taken). */
static keel_kex *dhe_new(const keel_algs *a, EVP_PKEY *params)
{
    BIGNUM *p = get_p(params);
    size_t plen = p != NULL ? (size_t)BN_num_bytes(p) : 0;
    keel_kex *k;

    BN_free(p);
    /* Our buffers (KEEL_KEX_MAX_PUBLIC) bound the prime at 8192 bits, the largest RFC 7919 and
     * RFC 3526 groups. */
    if (plen == 0 || plen > KEEL_KEX_MAX_PUBLIC) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_DH_VALUE);
        return NULL;
    }
    if ((k = OPENSSL_zalloc(sizeof(*k))) == NULL || !EVP_PKEY_up_ref(params)) {
        OPENSSL_free(k);
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    k->algs = a;
    k->params = params;
    k->own_params = 1;
    k->tls12_dh = 1;
    k->custom.kind = KIND_DH;
    k->custom.pub_len = k->custom.secret_len = plen;
    k->g = &k->custom;
    if (!keel_kex_keygen(k)) {
        keel_kex_free(k);
        return NULL;
    }
    return k;
}

keel_kex *keel_dhe_new(const keel_algs *a, EVP_PKEY *params)
{
    if (params == NULL || !(EVP_PKEY_is_a(params, "DH") || EVP_PKEY_is_a(params, "DHX"))) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_DH_VALUE);
        return NULL;
    }
    return dhe_new(a, params);
}

/* DH parameters {p, g} (and q when there is one: TLS 1.2 does not send it) as a key of type DH. */
static EVP_PKEY *params_from_bn(OSSL_LIB_CTX *libctx, const char *propq, const BIGNUM *p,
                                const BIGNUM *q, const BIGNUM *g)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *prm = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_PKEY *pk = NULL;

    if (bld != NULL && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p)
            && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g)
            && (q == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_Q, q))
            && (prm = OSSL_PARAM_BLD_to_param(bld)) != NULL
            && (pctx = EVP_PKEY_CTX_new_from_name(libctx, "DH", propq)) != NULL
            && EVP_PKEY_fromdata_init(pctx) > 0)
        (void)EVP_PKEY_fromdata(pctx, &pk, EVP_PKEY_KEY_PARAMETERS, prm);
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(prm);
    OSSL_PARAM_BLD_free(bld);
    return pk;
}

keel_kex *keel_dhe_new_peer(const keel_algs *a, const uint8_t *p, size_t plen, const uint8_t *g,
                            size_t glen, int *bad)
{
    BIGNUM *bp = BN_bin2bn(p, (int)plen, NULL), *bg = BN_bin2bn(g, (int)glen, NULL);
    EVP_PKEY *params = NULL;
    EVP_PKEY_CTX *cctx = NULL;
    keel_kex *k = NULL;

    *bad = 0;
    if (bp == NULL || bg == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        goto done;
    }
    /* An empty or zero p or g is no group. */
    if (BN_is_zero(bp) || BN_is_zero(bg) || (size_t)BN_num_bytes(bp) > KEEL_KEX_MAX_PUBLIC) {
        *bad = 1;
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_DH_VALUE);
        goto done;
    }
    ERR_set_mark();
    params = params_from_bn(a->libctx, a->propq, bp, NULL, bg);
    /* libcrypto's quick parameter check: p odd and large enough to be a prime candidate, 1 < g < p-1. */
    int good = params != NULL && (cctx = EVP_PKEY_CTX_new_from_pkey(a->libctx, params, a->propq)) != NULL
               && EVP_PKEY_param_check_quick(cctx) > 0;
    ERR_pop_to_mark();
    if (!good) {
        *bad = params != NULL;
        ERR_raise(ERR_LIB_SSL, params != NULL ? SSL_R_BAD_DH_VALUE : ERR_R_EVP_LIB);
        goto done;
    }
    k = dhe_new(a, params);
done:
    EVP_PKEY_CTX_free(cctx);
    EVP_PKEY_free(params);
    BN_free(bp);
    BN_free(bg);
    return k;
}

/* OpenSSL 3.0's automatic parameters (SSL_CTX_set_dh_auto(3)), checked against its server: a
 * safe-prime group of RFC 3526 (RFC 2409 §6.2 below 112 bits) with generator 2, sized to the
 * security bits asked for. */
EVP_PKEY *keel_dhe_auto_params(const keel_algs *a, int secbits)
{
    BIGNUM *p = secbits >= 192 ? BN_get_rfc3526_prime_8192(NULL)
              : secbits >= 152 ? BN_get_rfc3526_prime_4096(NULL)
              : secbits >= 128 ? BN_get_rfc3526_prime_3072(NULL)
              : secbits >= 112 ? BN_get_rfc3526_prime_2048(NULL)
              : BN_get_rfc2409_prime_1024(NULL);
    BIGNUM *g = BN_new();
    EVP_PKEY *pk = NULL;

    if (p != NULL && g != NULL && BN_set_word(g, 2))
        pk = params_from_bn(a->libctx, a->propq, p, NULL, g);
    if (pk == NULL)
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
    BN_free(p);
    BN_free(g);
    return pk;
}

/* An integer as opaque<1..2^16-1>, without leading zeros. */
static int wr_bn(keel_wr *w, const BIGNUM *v)
{
    size_t n = (size_t)BN_num_bytes(v), m;
    uint8_t *dst;

    return keel_wr_open16(w, &m) && keel_wr_space(w, n, &dst)
        && BN_bn2binpad(v, dst, (int)n) == (int)n && keel_wr_close(w, m);
}

/* ServerDHParams (RFC 5246 §7.4.3): dh_p<1..2^16-1>, dh_g<1..2^16-1>, dh_Ys<1..2^16-1>. Ys is
 * padded to the prime's length, as OpenSSL 3.0 writes it (older Microsoft stacks need it). */
int keel_dhe_params_wr(const keel_kex *k, keel_wr *w)
{
    BIGNUM *p = NULL, *g = NULL;
    size_t m;
    int ok = EVP_PKEY_get_bn_param(k->params, OSSL_PKEY_PARAM_FFC_P, &p)
          && EVP_PKEY_get_bn_param(k->params, OSSL_PKEY_PARAM_FFC_G, &g)
          && wr_bn(w, p) && wr_bn(w, g)
          && keel_wr_open16(w, &m) && keel_kex_public_wr(k, w) && keel_wr_close(w, m);

    BN_free(p);
    BN_free(g);
    if (!ok)
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
    return ok;
}

/* An application's DH (SSL_CTX_set_tmp_dh, the DH callback) as provider-side parameters: p, g and
 * q when it has one. A legacy key from EVP_PKEY_set1_DH would not export its parameters for
 * every DH (RFC 5114's, with q, are X9.42 keys there). */
EVP_PKEY *keel_dh_to_pkey(const DH *dh)
{
    const BIGNUM *p = NULL, *q = NULL, *g = NULL;
    EVP_PKEY *pk = NULL;

    DH_get0_pqg(dh, &p, &q, &g);
    if (p != NULL && g != NULL)
        pk = params_from_bn(NULL, NULL, p, q, g);
    if (pk == NULL)
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
    return pk;
}

EVP_PKEY *keel_kex_params(const keel_kex *k) { return k->params; }

int keel_pkey_security_bits(const EVP_PKEY *pk) { return pk != NULL ? EVP_PKEY_get_security_bits(pk) : 0; }
