/* TLS 1.2 key exchange at the crypto boundary: finite-field DHE in server-chosen parameters
 * (RFC 5246 §7.4.3, §8.1.2; RFC 7919 §5.1 range checks) and RSA key transport with implicit
 * rejection (RFC 5246 §7.4.7.1). */
#include "crypto/crypto.h"
#include "testutil.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sslerr.h>
#include <string.h>

/* ServerDHParams as the server writes them, read back. */
typedef struct { keel_rd p, g, y; uint8_t buf[3 * (KEEL_KEX_MAX_PUBLIC + 2)]; size_t len; } dh_params;

static int write_params(keel_kex *k, dh_params *out)
{
    keel_wr w;
    keel_rd r;
    if (!keel_wr_init_fixed(&w, out->buf, sizeof(out->buf)) || !keel_dhe_params_wr(k, &w))
        return 0;
    out->len = keel_wr_len(&w);
    keel_rd_init(&r, out->buf, out->len);
    return keel_rd_prefixed16(&r, &out->p) && keel_rd_prefixed16(&r, &out->g)
        && keel_rd_prefixed16(&r, &out->y) && keel_rd_done(&r);
}

static void test_dhe_agreement(const keel_algs *a)
{
    static const int secbits[] = { 80, 112, 128 };
    static const size_t plen[] = { 128, 256, 384 };
    for (size_t i = 0; i < 3; i++) {
        EVP_PKEY *params = keel_dhe_auto_params(a, secbits[i]);
        CHECK(params != NULL);
        keel_kex *srv = keel_dhe_new(a, params);
        EVP_PKEY_free(params); /* the object holds its own reference */
        dh_params sp;
        CHECK(srv != NULL && write_params(srv, &sp));
        if (srv == NULL)
            continue;
        CHECK_EQ(sp.p.len, plen[i]);
        CHECK(sp.g.len == 1 && sp.g.p[0] == 2);   /* generator 2, as OpenSSL 3.0's dh_auto */
        CHECK_EQ(sp.y.len, plen[i]);              /* Ys padded to the prime */
        CHECK_EQ(keel_kex_group(srv), 0);
        CHECK_EQ(keel_pkey_security_bits(keel_kex_params(srv)), secbits[i]);

        int bad = -1;
        keel_kex *cli = keel_dhe_new_peer(a, sp.p.p, sp.p.len, sp.g.p, sp.g.len, &bad);
        CHECK(cli != NULL && bad == 0);
        uint8_t yc[KEEL_KEX_MAX_PUBLIC], z1[KEEL_KEX_MAX_SECRET], z2[KEEL_KEX_MAX_SECRET];
        size_t lyc = sizeof(yc), l1 = sizeof(z1), l2 = sizeof(z2);
        CHECK(cli != NULL && keel_kex_public(cli, yc, &lyc) && lyc == plen[i]);
        CHECK(cli != NULL && keel_kex_derive(cli, sp.y.p, sp.y.len, z1, &l1));
        CHECK(keel_kex_derive(srv, yc, lyc, z2, &l2));
        CHECK(l1 == l2 && memcmp(z1, z2, l1) == 0 && l1 <= plen[i] && z1[0] != 0);

        /* RFC 7919 §5.1: Y must be 1 < Y < p-1. 0, 1, p-1, p, and p+k (too long) refused. */
        uint8_t y[KEEL_KEX_MAX_PUBLIC + 1];
        size_t n = sp.p.len;
        memset(y, 0, n);
        l2 = sizeof(z2);
        ERR_clear_error();
        CHECK(!keel_kex_derive(srv, y, n, z2, &l2));
        CHECK_EQ(ERR_GET_REASON(ERR_peek_last_error()), SSL_R_BAD_DH_VALUE);
        y[n - 1] = 1;
        l2 = sizeof(z2);
        CHECK(!keel_kex_derive(srv, y, n, z2, &l2));
        CHECK(!keel_kex_derive(srv, y + n - 1, 1, z2, &l2)); /* 1, one byte */
        memcpy(y, sp.p.p, n);
        l2 = sizeof(z2);
        CHECK(!keel_kex_derive(srv, y, n, z2, &l2));          /* p */
        y[n - 1] -= 1;
        l2 = sizeof(z2);
        CHECK(!keel_kex_derive(srv, y, n, z2, &l2));          /* p - 1 */
        y[n] = 0;
        l2 = sizeof(z2);
        CHECK(!keel_kex_derive(srv, y, n + 1, z2, &l2));      /* longer than p */
        /* A short Y is an integer like any other (RFC 5246: opaque<1..2^16-1>): 2 is in range. */
        uint8_t two = 2;
        l2 = sizeof(z2);
        CHECK(keel_kex_derive(srv, &two, 1, z2, &l2));
        ERR_clear_error();
        keel_kex_free(cli);
        keel_kex_free(srv);
    }
}

/* RFC 5246 §8.1.2: Z's leading zero bytes are stripped; both sides agree on the shorter secret.
 * About one exchange in 256 has one: try until it happens (bounded). */
static void test_dhe_strip(const keel_algs *a)
{
    EVP_PKEY *params = keel_dhe_auto_params(a, 80);
    keel_kex *srv = keel_dhe_new(a, params);
    dh_params sp;
    int seen = 0;
    EVP_PKEY_free(params);
    CHECK(srv != NULL && write_params(srv, &sp));
    for (int i = 0; srv != NULL && i < 4000 && !seen; i++) {
        int bad;
        keel_kex *cli = keel_dhe_new_peer(a, sp.p.p, sp.p.len, sp.g.p, sp.g.len, &bad);
        uint8_t yc[KEEL_KEX_MAX_PUBLIC], z1[KEEL_KEX_MAX_SECRET], z2[KEEL_KEX_MAX_SECRET];
        size_t lyc = sizeof(yc), l1 = sizeof(z1), l2 = sizeof(z2);
        if (cli == NULL || !keel_kex_public(cli, yc, &lyc) || !keel_kex_derive(cli, sp.y.p, sp.y.len, z1, &l1)
                || !keel_kex_derive(srv, yc, lyc, z2, &l2)) {
            CHECK(0);
            keel_kex_free(cli);
            break;
        }
        CHECK(l1 == l2 && memcmp(z1, z2, l1) == 0);
        if (l1 < sp.p.len) {
            seen = 1;
            CHECK(z1[0] != 0);
        }
        keel_kex_free(cli);
    }
    CHECK(seen);
    keel_kex_free(srv);
}

/* Parameters that are no group: zero p or g, p even, g = 1, g = p - 1. */
static void test_dhe_bad_params(const keel_algs *a)
{
    EVP_PKEY *params = keel_dhe_auto_params(a, 112);
    keel_kex *srv = keel_dhe_new(a, params);
    dh_params sp;
    uint8_t p[512], g[512], zero = 0, one = 1;
    int bad;
    EVP_PKEY_free(params);
    CHECK(srv != NULL && write_params(srv, &sp));
    if (srv == NULL)
        return;
    size_t n = sp.p.len;
    ERR_clear_error();
    CHECK(keel_dhe_new_peer(a, &zero, 1, sp.g.p, sp.g.len, &bad) == NULL && bad == 1);
    CHECK(keel_dhe_new_peer(a, sp.p.p, n, &zero, 1, &bad) == NULL && bad == 1);
    CHECK(keel_dhe_new_peer(a, sp.p.p, n, &one, 1, &bad) == NULL && bad == 1);
    memcpy(g, sp.p.p, n);
    g[n - 1] -= 1;
    CHECK(keel_dhe_new_peer(a, sp.p.p, n, g, n, &bad) == NULL && bad == 1);
    memcpy(p, sp.p.p, n);
    p[n - 1] ^= 1; /* even */
    CHECK(keel_dhe_new_peer(a, p, n, sp.g.p, sp.g.len, &bad) == NULL && bad == 1);
    CHECK_EQ(ERR_GET_REASON(ERR_peek_last_error()), SSL_R_BAD_DH_VALUE);
    ERR_clear_error();
    keel_kex_free(srv);
}

static void test_rsa(const keel_algs *a)
{
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    EVP_PKEY *pss = EVP_PKEY_Q_keygen(NULL, NULL, "RSA-PSS", (size_t)2048);
    uint8_t pms[48], ct[512], got[48], got2[48];
    size_t ctlen = sizeof(ct);

    CHECK(rsa != NULL && keel_rsa_kx_key_ok(rsa));
    CHECK(pss == NULL || !keel_rsa_kx_key_ok(pss));
    CHECK(!keel_rsa_kx_key_ok(NULL));
    CHECK_EQ(keel_rsa_kx_size(rsa), 256);
    CHECK(keel_random(a, pms, 48));
    pms[0] = 3, pms[1] = 3;
    CHECK(keel_rsa_kx_encrypt(a, rsa, pms, 48, ct, &ctlen) && ctlen == 256);
    CHECK_EQ(keel_rsa_kx_decrypt(a, rsa, ct, ctlen, 0x0303, got), 1);
    CHECK(memcmp(got, pms, 48) == 0);

    /* The version-rollback check (RFC 5246 §7.4.7.1): another client_version gives a random
     * premaster secret, and success. */
    CHECK_EQ(keel_rsa_kx_decrypt(a, rsa, ct, ctlen, 0x0302, got), 1);
    CHECK(memcmp(got, pms, 48) != 0);
    /* A premaster secret of another length (47 bytes): random, success. */
    ctlen = sizeof(ct);
    CHECK(keel_rsa_kx_encrypt(a, rsa, pms, 47, ct, &ctlen));
    CHECK_EQ(keel_rsa_kx_decrypt(a, rsa, ct, ctlen, 0x0303, got), 1);
    CHECK(memcmp(got, pms, 47) != 0);
    /* Garbage below the modulus (bad padding): random each time, success. */
    CHECK(keel_random(a, ct, 256));
    ct[0] = 0x00;
    CHECK_EQ(keel_rsa_kx_decrypt(a, rsa, ct, 256, 0x0303, got), 1);
    CHECK_EQ(keel_rsa_kx_decrypt(a, rsa, ct, 256, 0x0303, got2), 1);
    CHECK(memcmp(got, got2, 48) != 0);
    /* Shorter than the modulus: an integer like any other to libcrypto (random, success). */
    CHECK_EQ(keel_rsa_kx_decrypt(a, rsa, ct, 255, 0x0303, got), 1);
    /* Publicly invalid: longer than the modulus, or not below it. */
    ERR_clear_error();
    CHECK_EQ(keel_rsa_kx_decrypt(a, rsa, ct, 257, 0x0303, got), 0);
    CHECK_EQ(ERR_GET_REASON(ERR_peek_last_error()), SSL_R_DECRYPTION_FAILED);
    memset(ct, 0xff, 256);
    CHECK_EQ(keel_rsa_kx_decrypt(a, rsa, ct, 256, 0x0303, got), 0);
    ERR_clear_error();
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(pss);
}

int main(void)
{
    const keel_algs *a = keel_algs_default();
    CHECK(a != NULL);
    if (a != NULL) {
        test_dhe_agreement(a);
        test_dhe_strip(a);
        test_dhe_bad_params(a);
        test_rsa(a);
    }
    return keel_test_finish("crypto_dhe_rsa");
}
