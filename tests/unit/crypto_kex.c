/* Key exchange: agreement for every group, share encodings, and rejection of bad peer shares. */
#include "common/proto.h"
#include "crypto/crypto.h"
#include "testutil.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sslerr.h>
#include <string.h>

typedef struct {
    uint16_t group;
    size_t pub_len, secret_len;
} group_case;

static const group_case cases[] = {
    { KEEL_GROUP_X25519, 32, 32 },
    { KEEL_GROUP_SECP256R1, 65, 32 },
    { KEEL_GROUP_SECP384R1, 97, 48 },
    { KEEL_GROUP_SECP521R1, 133, 66 },
    { KEEL_GROUP_X448, 56, 56 },
    { KEEL_GROUP_FFDHE2048, 256, 256 },
    { KEEL_GROUP_FFDHE3072, 384, 384 },
};

static int last_reason(void)
{
    unsigned long e = ERR_peek_last_error();

    return ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : -1;
}

/* Derive with a share that must be refused, and check the reason the caller turns into
 * illegal_parameter. */
static void expect_reject(keel_kex *k, const uint8_t *share, size_t len, int reason, int line)
{
    uint8_t out[KEEL_KEX_MAX_SECRET];
    size_t olen = sizeof(out);

    ERR_clear_error();
    if (keel_kex_derive(k, share, len, out, &olen)) {
        keel_test_fail(__FILE__, line, "bad share accepted");
        return;
    }
    if (last_reason() != reason) {
        keel_test_fail(__FILE__, line, "wrong reason for a bad share");
        fprintf(stderr, "    got %d, expected %d\n", last_reason(), reason);
    }
    ERR_clear_error();
}
#define REJECT(k, s, l, r) expect_reject(k, s, l, r, __LINE__)

static void test_agreement(const keel_algs *a)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const group_case *c = &cases[i];
        uint8_t pa[KEEL_KEX_MAX_PUBLIC], pb[KEEL_KEX_MAX_PUBLIC];
        uint8_t sa[KEEL_KEX_MAX_SECRET], sb[KEEL_KEX_MAX_SECRET];
        size_t la = sizeof(pa), lb = sizeof(pb), xa = sizeof(sa), xb = sizeof(sb);
        keel_kex *ka, *kb;
        keel_wr w;

        CHECK(keel_kex_supported(a, c->group));
        ka = keel_kex_new(a, c->group);       /* the client's share */
        kb = keel_kex_new(a, c->group);       /* the server's: "encapsulate" = new + derive */
        CHECK(ka != NULL && kb != NULL);
        if (ka == NULL || kb == NULL) {
            keel_kex_free(ka);
            keel_kex_free(kb);
            continue;
        }
        CHECK_EQ(keel_kex_group(ka), c->group);
        CHECK(keel_kex_public(ka, pa, &la) && la == c->pub_len);
        CHECK(keel_kex_public(kb, pb, &lb) && lb == c->pub_len);
        CHECK(la != lb || memcmp(pa, pb, la) != 0);   /* fresh keys */
        if (c->pub_len == 65 || c->pub_len == 97 || c->pub_len == 133)
            CHECK(pa[0] == 0x04);                      /* uncompressed, RFC 8446 §4.2.8.2 */

        CHECK(keel_kex_derive(ka, pb, lb, sa, &xa));
        CHECK(keel_kex_derive(kb, pa, la, sb, &xb));
        CHECK_EQ(xa, c->secret_len);
        CHECK(xa == xb && memcmp(sa, sb, xa) == 0);

        /* The builder form writes the same bytes, unprefixed. */
        CHECK(keel_wr_init(&w, 0) && keel_kex_public_wr(ka, &w));
        CHECK(keel_wr_len(&w) == la && memcmp(keel_wr_data(&w), pa, la) == 0);
        keel_wr_cleanup(&w);

        /* Output buffers too small are refused, not overrun. */
        size_t small = c->pub_len - 1;
        CHECK(!keel_kex_public(ka, pa, &small));
        small = c->secret_len - 1;
        CHECK(!keel_kex_derive(ka, pb, lb, sa, &small));
        ERR_clear_error();

        /* Wrong lengths. */
        int bad = c->group >= KEEL_GROUP_FFDHE2048 ? SSL_R_BAD_DH_VALUE : SSL_R_BAD_ECPOINT;
        REJECT(ka, pb, lb - 1, bad);
        REJECT(ka, pb, 0, bad);
        uint8_t longer[KEEL_KEX_MAX_PUBLIC + 1];
        memcpy(longer, pb, lb);
        longer[lb] = 0;
        REJECT(ka, longer, lb + 1, bad);

        keel_kex_free(ka);
        keel_kex_free(kb);
    }
}

static void test_bad_ec_points(const keel_algs *a)
{
    static const uint16_t curves[] = { KEEL_GROUP_SECP256R1, KEEL_GROUP_SECP384R1, KEEL_GROUP_SECP521R1 };

    for (size_t i = 0; i < 3; i++) {
        keel_kex *k = keel_kex_new(a, curves[i]), *peer = keel_kex_new(a, curves[i]);
        uint8_t p[KEEL_KEX_MAX_PUBLIC], q[KEEL_KEX_MAX_PUBLIC];
        size_t len = sizeof(p);

        CHECK(k != NULL && peer != NULL && keel_kex_public(peer, p, &len));
        if (k == NULL || peer == NULL) {
            keel_kex_free(k);
            keel_kex_free(peer);
            continue;
        }
        /* Not on the curve: one bit of Y changed. */
        memcpy(q, p, len);
        q[len - 1] ^= 0x01;
        REJECT(k, q, len, SSL_R_BAD_ECPOINT);
        /* Other point formats (compressed 02/03, hybrid 06/07) are illegal in TLS 1.3. */
        static const uint8_t forms[] = { 0x00, 0x02, 0x03, 0x06, 0x07 };
        for (size_t f = 0; f < sizeof(forms); f++) {
            memcpy(q, p, len);
            q[0] = forms[f];
            REJECT(k, q, len, SSL_R_BAD_ECPOINT);
        }
        /* (0, 0) and the all-zero string. */
        memset(q, 0, len);
        q[0] = 0x04;
        REJECT(k, q, len, SSL_R_BAD_ECPOINT);
        memset(q, 0, len);
        REJECT(k, q, len, SSL_R_BAD_ECPOINT);
        /* A point of another curve of the same length class never matches: P-256's share has
         * the wrong length for P-384. (Lengths are checked first.) */
        keel_kex_free(k);
        keel_kex_free(peer);
    }
}

static void test_small_order_ecx(const keel_algs *a)
{
    /* RFC 7748 §6: small-order X25519/X448 inputs give an all-zero secret, which RFC 8446 §7.4.2
     * requires us to refuse. u = 0 and u = 1 are of small order on both curves; the third is a
     * point of order 8 on Curve25519 (a well-known published value). */
    uint8_t zero[56] = { 0 }, one[56] = { 1 }, order8[32];
    keel_kex *k25 = keel_kex_new(a, KEEL_GROUP_X25519), *k448 = keel_kex_new(a, KEEL_GROUP_X448);

    keel_test_unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", order8, 32);
    CHECK(k25 != NULL && k448 != NULL);
    if (k25 != NULL) {
        REJECT(k25, zero, 32, SSL_R_BAD_ECPOINT);
        REJECT(k25, one, 32, SSL_R_BAD_ECPOINT);
        REJECT(k25, order8, 32, SSL_R_BAD_ECPOINT);
    }
    if (k448 != NULL) {
        REJECT(k448, zero, 56, SSL_R_BAD_ECPOINT);
        REJECT(k448, one, 56, SSL_R_BAD_ECPOINT);
    }
    keel_kex_free(k25);
    keel_kex_free(k448);
}

static void test_bad_dh(const keel_algs *a)
{
    /* RFC 8446 §4.2.8.1: the peer's Y must satisfy 1 < Y < p - 1. Get p from libcrypto. */
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
    EVP_PKEY *params = NULL;
    BIGNUM *p = NULL;
    OSSL_PARAM prm[2] = { OSSL_PARAM_construct_utf8_string("group", "ffdhe2048", 0),
                          OSSL_PARAM_construct_end() };
    uint8_t y[256];
    keel_kex *k = keel_kex_new(a, KEEL_GROUP_FFDHE2048);

    CHECK(pc != NULL && EVP_PKEY_fromdata_init(pc) > 0
          && EVP_PKEY_fromdata(pc, &params, EVP_PKEY_KEY_PARAMETERS, prm) > 0
          && EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, &p));
    CHECK(k != NULL);
    if (p != NULL && k != NULL) {
        memset(y, 0, sizeof(y));
        REJECT(k, y, 256, SSL_R_BAD_DH_VALUE);            /* 0 */
        y[255] = 1;
        REJECT(k, y, 256, SSL_R_BAD_DH_VALUE);            /* 1 */
        CHECK(BN_bn2binpad(p, y, 256) == 256);
        REJECT(k, y, 256, SSL_R_BAD_DH_VALUE);            /* p */
        CHECK(BN_sub_word(p, 1) && BN_bn2binpad(p, y, 256) == 256);
        REJECT(k, y, 256, SSL_R_BAD_DH_VALUE);            /* p - 1 */
        memset(y, 0xff, sizeof(y));
        REJECT(k, y, 256, SSL_R_BAD_DH_VALUE);            /* > p */
    }
    BN_free(p);
    EVP_PKEY_free(params);
    EVP_PKEY_CTX_free(pc);
    keel_kex_free(k);
}

static void test_unsupported(const keel_algs *a)
{
    CHECK(!keel_kex_supported(a, 0x1234));
    CHECK(!keel_kex_supported(a, 0x0016));    /* secp256k1: registered, not offered by keel */
    CHECK(keel_kex_new(a, 0x1234) == NULL);
    CHECK(last_reason() == SSL_R_UNSUPPORTED_ELLIPTIC_CURVE);
    ERR_clear_error();
    keel_kex_free(NULL);
}

static void test_alloc_failure(const keel_algs *a)
{
    static const uint16_t groups[] = { KEEL_GROUP_X25519, KEEL_GROUP_SECP256R1 };

    for (size_t g = 0; g < 2; g++) {
        for (long k = 1; k < 2000; k++) {
            long live = keel_test_live_allocs();
            keel_kex *x = NULL, *y = NULL;
            uint8_t pub[KEEL_KEX_MAX_PUBLIC], sec[KEEL_KEX_MAX_SECRET];
            size_t pl = sizeof(pub), sl = sizeof(sec);
            int ok;

            keel_test_fail_after(k);
            ok = (x = keel_kex_new(a, groups[g])) != NULL && (y = keel_kex_new(a, groups[g])) != NULL
                && keel_kex_public(y, pub, &pl) && keel_kex_derive(x, pub, pl, sec, &sl);
            long used = keel_test_alloc_count();
            keel_test_fail_after(0);
            keel_kex_free(x);
            keel_kex_free(y);
            ERR_clear_error();
            CHECK_EQ(keel_test_live_allocs(), live);
            /* libcrypto shrugs off some failed allocations (caches), so success alone does not
             * end the sweep: it ends once the injected failure is no longer reached. */
            if (used < k) {
                CHECK(ok);
                break;
            }
            CHECK(k < 1999);
        }
    }
}

int main(void)
{
    const keel_algs *a;

    keel_test_malloc_install();
    a = keel_algs_default();
    CHECK(a != NULL);
    if (a == NULL)
        return keel_test_finish("crypto_kex");
    test_agreement(a);
    test_bad_ec_points(a);
    test_small_order_ecx(a);
    test_bad_dh(a);
    test_unsupported(a);
    test_alloc_failure(a);
    return keel_test_finish("crypto_kex");
}
