/* Hashes, transcript, HMAC, HKDF, HKDF-Expand-Label, Derive-Secret and the TLS 1.2 PRF. */
#include "crypto/algs_int.h"
#include "crypto/crypto.h"
#include "testutil.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <string.h>

static int hexeq(const uint8_t *got, size_t n, const char *hex)
{
    uint8_t want[256];
    int len = keel_test_unhex(hex, want, sizeof(want));

    return len == (int)n && memcmp(got, want, n) == 0;
}

static void test_hmac(const keel_algs *a)
{
    /* RFC 4231 §4.2 test case 1. */
    uint8_t key[20], out[64];

    memset(key, 0x0b, sizeof(key));
    CHECK(keel_hmac(a, KEEL_HASH_SHA256, key, 20, (const uint8_t *)"Hi There", 8, out));
    CHECK(hexeq(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
    CHECK(keel_hmac(a, KEEL_HASH_SHA384, key, 20, (const uint8_t *)"Hi There", 8, out));
    CHECK(hexeq(out, 48, "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
                         "faea9ea9076ede7f4af152e8b2fa9cb6"));
    CHECK(keel_hmac(a, KEEL_HASH_SHA512, key, 20, (const uint8_t *)"Hi There", 8, out));
    CHECK(hexeq(out, 64, "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                         "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"));
    CHECK(!keel_hmac(a, (keel_hash_id)9, key, 20, key, 1, out));
    ERR_clear_error();

    /* RFC 4231 §4.7 test case 6: a key longer than the block is hashed first (RFC 2104 §2). */
    uint8_t big[131];
    static const char tc6[] = "Test Using Larger Than Block-Size Key - Hash Key First";

    memset(big, 0xaa, sizeof(big));
    CHECK(keel_hmac(a, KEEL_HASH_SHA256, big, sizeof(big), (const uint8_t *)tc6, strlen(tc6), out));
    CHECK(hexeq(out, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
    CHECK(keel_hmac(a, KEEL_HASH_SHA512, big, sizeof(big), (const uint8_t *)tc6, strlen(tc6), out));
    CHECK(hexeq(out, 64, "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
                         "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"));

    /* Every key length around both block sizes (64, 128) agrees with libcrypto's HMAC. */
    static const char *names[] = { "SHA256", "SHA384", "SHA512" };
    static const keel_hash_id ids[] = { KEEL_HASH_SHA256, KEEL_HASH_SHA384, KEEL_HASH_SHA512 };
    static const size_t klens[] = { 0, 1, 63, 64, 65, 127, 128, 129 };

    for (size_t h = 0; h < 3; h++)
        for (size_t k = 0; k < sizeof(klens) / sizeof(klens[0]); k++) {
            uint8_t want[64];
            size_t wl = 0;

            for (size_t i = 0; i < sizeof(big); i++)
                big[i] = (uint8_t)(i * 7 + k);
            CHECK(EVP_Q_mac(NULL, "HMAC", NULL, names[h], NULL, klens[k] > 0 ? big : (const uint8_t *)"",
                            klens[k], (const uint8_t *)tc6, 11, want, sizeof(want), &wl) != NULL);
            CHECK(keel_hmac(a, ids[h], big, klens[k], (const uint8_t *)tc6, 11, out));
            CHECK(wl == keel_hash_len(ids[h]) && memcmp(out, want, wl) == 0);
        }

    /* SHA-256("") (FIPS 180-4 well-known value), through the one-shot hash. */
    CHECK(keel_hash(a, KEEL_HASH_SHA256, NULL, 0, out));
    CHECK(hexeq(out, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    /* ... and the table's constant for it. */
    CHECK(keel_hash_empty(a, KEEL_HASH_SHA256) != NULL
          && hexeq(keel_hash_empty(a, KEEL_HASH_SHA256), 32,
                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    CHECK(keel_hash_empty(a, (keel_hash_id)9) == NULL);
    CHECK_EQ(keel_hash_len(KEEL_HASH_SHA256), 32);
    CHECK_EQ(keel_hash_len(KEEL_HASH_SHA384), 48);
    CHECK_EQ(keel_hash_len(KEEL_HASH_SHA512), 64);
}

static void test_hkdf(const keel_algs *a)
{
    uint8_t ikm[22], salt[13], info[10], prk[32], okm[42];

    /* RFC 5869 A.1 (test case 1): 42 bytes = two blocks of SHA-256. */
    memset(ikm, 0x0b, sizeof(ikm));
    for (int i = 0; i < 13; i++)
        salt[i] = (uint8_t)i;
    for (int i = 0; i < 10; i++)
        info[i] = (uint8_t)(0xf0 + i);
    CHECK(keel_hkdf_extract(a, KEEL_HASH_SHA256, salt, sizeof(salt), ikm, sizeof(ikm), prk));
    CHECK(hexeq(prk, 32, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"));
    CHECK(keel_hkdf_expand(a, KEEL_HASH_SHA256, prk, info, sizeof(info), okm, sizeof(okm)));
    CHECK(hexeq(okm, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                         "34007208d5b887185865"));

    /* RFC 5869 A.3 (test case 3): no salt, no info. */
    CHECK(keel_hkdf_extract(a, KEEL_HASH_SHA256, NULL, 0, ikm, sizeof(ikm), prk));
    CHECK(hexeq(prk, 32, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04"));
    CHECK(keel_hkdf_expand(a, KEEL_HASH_SHA256, prk, NULL, 0, okm, sizeof(okm)));
    CHECK(hexeq(okm, 42, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                         "9d201395faa4b61a96c8"));

    /* RFC 5869 §2.3: L <= 255 * HashLen. */
    static uint8_t big[255 * 32 + 1];
    CHECK(keel_hkdf_expand(a, KEEL_HASH_SHA256, prk, NULL, 0, big, 255 * 32));
    CHECK(!keel_hkdf_expand(a, KEEL_HASH_SHA256, prk, NULL, 0, big, 255 * 32 + 1));
    ERR_clear_error();
}

static void test_expand_label_rfc8448(const keel_algs *a)
{
    /* RFC 8448 §3 (Simple 1-RTT Handshake). */
    uint8_t hs[32], th[32], sh[32], out[32], empty[32], es[32];

    keel_test_unhex("1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac", hs, 32);
    keel_test_unhex("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8", th, 32);
    keel_test_unhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38", sh, 32);
    keel_test_unhex("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a", es, 32);

    CHECK(keel_derive_secret(a, KEEL_HASH_SHA256, hs, "c hs traffic", th, out));
    CHECK(hexeq(out, 32, "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"));
    CHECK(keel_derive_secret(a, KEEL_HASH_SHA256, hs, "s hs traffic", th, out));
    CHECK(hexeq(out, 32, "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"));
    CHECK(keel_hash(a, KEEL_HASH_SHA256, NULL, 0, empty));
    CHECK(keel_derive_secret(a, KEEL_HASH_SHA256, es, "derived", empty, out));
    CHECK(hexeq(out, 32, "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba"));

    CHECK(keel_hkdf_expand_label(a, KEEL_HASH_SHA256, sh, "key", NULL, 0, out, 16));
    CHECK(hexeq(out, 16, "3fce516009c21727d0f2e4e86ee403bc"));
    CHECK(keel_hkdf_expand_label(a, KEEL_HASH_SHA256, sh, "iv", NULL, 0, out, 12));
    CHECK(hexeq(out, 12, "5d313eb2671276ee13000b30"));
    CHECK(keel_hkdf_expand_label(a, KEEL_HASH_SHA256, sh, "finished", NULL, 0, out, 32));
    CHECK(hexeq(out, 32, "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8"));

    /* HkdfLabel limits (RFC 8446 §7.1): label <= 255 - 6, context <= 255. */
    char label[251];
    static uint8_t ctx[256];
    memset(label, 'x', sizeof(label));
    label[249] = 0;
    CHECK(keel_hkdf_expand_label(a, KEEL_HASH_SHA256, sh, label, ctx, 255, out, 32));
    label[249] = 'x';
    label[250] = 0;
    CHECK(!keel_hkdf_expand_label(a, KEEL_HASH_SHA256, sh, label, NULL, 0, out, 32));
    CHECK(!keel_hkdf_expand_label(a, KEEL_HASH_SHA256, sh, "key", ctx, 256, out, 32));
    ERR_clear_error();
}

/* SHA-384 has no RFC 8448 trace: check HKDF-Expand-Label against libcrypto's own TLS13-KDF. */
static void test_expand_label_sha384(const keel_algs *a)
{
    uint8_t secret[48], ctx[48], ours[48], theirs[48];
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS13-KDF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    OSSL_PARAM p[7];

    for (int i = 0; i < 48; i++) {
        secret[i] = (uint8_t)(i * 7 + 1);
        ctx[i] = (uint8_t)(255 - i);
    }
    CHECK(kctx != NULL);
    p[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    p[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA384", 0);
    p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, secret, 48);
    p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, "tls13 ", 6);
    p[4] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, "c ap traffic", 12);
    p[5] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_DATA, ctx, 48);
    p[6] = OSSL_PARAM_construct_end();
    CHECK(kctx != NULL && EVP_KDF_derive(kctx, theirs, 48, p) > 0);
    CHECK(keel_derive_secret(a, KEEL_HASH_SHA384, secret, "c ap traffic", ctx, ours));
    CHECK(memcmp(ours, theirs, 48) == 0);
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
}

/* The TLS 1.2 PRF against libcrypto's TLS1-PRF, both hashes, several lengths. */
static void test_tls12_prf(const keel_algs *a)
{
    static const keel_hash_id ids[] = { KEEL_HASH_SHA256, KEEL_HASH_SHA384 };
    static const char *names[] = { "SHA256", "SHA384" };
    static const size_t lens[] = { 12, 32, 48, 100, 136 };
    uint8_t secret[48], seed[64], ours[136], theirs[136];
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);

    CHECK(kdf != NULL);
    for (int i = 0; i < 48; i++)
        secret[i] = (uint8_t)(i ^ 0x5c);
    for (int i = 0; i < 64; i++)
        seed[i] = (uint8_t)(i * 3);
    for (size_t h = 0; h < 2 && kdf != NULL; h++) {
        for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
            uint8_t full_seed[13 + 64];
            OSSL_PARAM p[4];

            memcpy(full_seed, "master secret", 13);
            memcpy(full_seed + 13, seed, 64);
            p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)names[h], 0);
            p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, secret, 48);
            p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, full_seed, sizeof(full_seed));
            p[3] = OSSL_PARAM_construct_end();
            CHECK(kctx != NULL && EVP_KDF_derive(kctx, theirs, lens[l], p) > 0);
            CHECK(keel_tls12_prf(a, ids[h], secret, 48, "master secret", seed, 64, ours, lens[l]));
            CHECK(memcmp(ours, theirs, lens[l]) == 0);
            EVP_KDF_CTX_free(kctx);
        }
    }
    EVP_KDF_free(kdf);
}

static void sha256_of(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, uint8_t *out)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();

    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    EVP_DigestUpdate(c, a, al);
    EVP_DigestUpdate(c, b, bl);
    EVP_DigestFinal_ex(c, out, NULL);
    EVP_MD_CTX_free(c);
}

static void test_transcript(const keel_algs *a)
{
    static const uint8_t m1[] = "ClientHello-bytes", m2[] = "ServerHello", m3[] = "EncryptedExtensions";
    uint8_t all[128], got[64], got2[64], want[64];
    size_t n = 0;
    keel_transcript t;
    const uint8_t *buf;
    size_t blen;

    memcpy(all, m1, sizeof(m1)); n += sizeof(m1);
    memcpy(all + n, m2, sizeof(m2)); n += sizeof(m2);

    /* Buffering until the suite is known, then replay. */
    CHECK(keel_transcript_init(&t, a));
    CHECK(keel_transcript_update(&t, m1, sizeof(m1)));
    CHECK(!keel_transcript_current(&t, got));       /* no hash yet */
    ERR_clear_error();
    /* ...but a binder-style peek with a chosen hash works while buffering. */
    CHECK(keel_transcript_current_with(&t, KEEL_HASH_SHA256, m2, sizeof(m2), got));
    sha256_of(all, n, NULL, 0, want);
    CHECK(memcmp(got, want, 32) == 0);
    CHECK(keel_transcript_buffer(&t, &buf, &blen) && blen == sizeof(m1));
    CHECK(keel_transcript_update(&t, m2, sizeof(m2)));
    CHECK(keel_transcript_set_hash(&t, KEEL_HASH_SHA256));
    CHECK(!keel_transcript_set_hash(&t, KEEL_HASH_SHA384));   /* once only */
    ERR_clear_error();
    CHECK(keel_transcript_current(&t, got));
    CHECK(memcmp(got, want, 32) == 0);
    /* current() leaves the running hash alone: same answer twice, then it moves on. */
    CHECK(keel_transcript_current(&t, got2) && memcmp(got, got2, 32) == 0);
    CHECK(keel_transcript_current_with(&t, KEEL_HASH_SHA256, m3, sizeof(m3), got2));
    CHECK(keel_transcript_current(&t, got) && memcmp(got, want, 32) == 0);
    CHECK(!keel_transcript_current_with(&t, KEEL_HASH_SHA384, NULL, 0, got));
    ERR_clear_error();
    CHECK(keel_transcript_update(&t, m3, sizeof(m3)));
    CHECK(keel_transcript_current(&t, got) && memcmp(got, got2, 32) == 0);
    sha256_of(all, n, m3, sizeof(m3), want);
    CHECK(memcmp(got, want, 32) == 0);
    CHECK(!keel_transcript_buffer(&t, &buf, &blen));  /* dropped once hashing */
    ERR_clear_error();
    keel_transcript_cleanup(&t);

    /* HelloRetryRequest (RFC 8446 §4.4.1): CH1 becomes message_hash || 00 00 20 || Hash(CH1). */
    static const uint8_t hrr[] = "HelloRetryRequest-bytes";
    uint8_t synth[4 + 32];
    CHECK(keel_transcript_init_hash(&t, a, KEEL_HASH_SHA256));
    CHECK(keel_transcript_update(&t, m1, sizeof(m1)));
    CHECK(keel_transcript_hrr_rewrite(&t));
    CHECK(keel_transcript_update(&t, hrr, sizeof(hrr)));
    synth[0] = 254; synth[1] = 0; synth[2] = 0; synth[3] = 32;
    sha256_of(m1, sizeof(m1), NULL, 0, synth + 4);
    sha256_of(synth, sizeof(synth), hrr, sizeof(hrr), want);
    CHECK(keel_transcript_current(&t, got) && memcmp(got, want, 32) == 0);
    keel_transcript_cleanup(&t);

    /* keep_buffer: raw messages stay available (TLS 1.2 client CertificateVerify). */
    CHECK(keel_transcript_init(&t, a));
    keel_transcript_keep_buffer(&t);
    CHECK(keel_transcript_update(&t, m1, sizeof(m1)));
    CHECK(keel_transcript_set_hash(&t, KEEL_HASH_SHA384));
    CHECK(keel_transcript_update(&t, m2, sizeof(m2)));
    CHECK(keel_transcript_buffer(&t, &buf, &blen) && blen == n && memcmp(buf, all, n) == 0);
    CHECK(keel_transcript_current(&t, got));
    CHECK(keel_hash(a, KEEL_HASH_SHA384, all, n, want) && memcmp(got, want, 48) == 0);
    keel_transcript_cleanup(&t);

    /* Large buffered transcript (certificate chains) grows correctly. */
    static uint8_t bigmsg[70000];
    for (size_t i = 0; i < sizeof(bigmsg); i++)
        bigmsg[i] = (uint8_t)i;
    CHECK(keel_transcript_init(&t, a));
    CHECK(keel_transcript_update(&t, bigmsg, 100));
    CHECK(keel_transcript_update(&t, bigmsg + 100, sizeof(bigmsg) - 100));
    CHECK(keel_transcript_set_hash(&t, KEEL_HASH_SHA256));
    CHECK(keel_transcript_current(&t, got));
    CHECK(keel_hash(a, KEEL_HASH_SHA256, bigmsg, sizeof(bigmsg), want) && memcmp(got, want, 32) == 0);
    keel_transcript_cleanup(&t);
}

static void test_alloc_failure(const keel_algs *a)
{
    static const uint8_t m[] = "some handshake message";

    for (long k = 1; k < 200; k++) {
        long live = keel_test_live_allocs();
        keel_transcript t;
        uint8_t out[64], okm[80];
        int ok;

        keel_test_fail_after(k);
        ok = keel_transcript_init(&t, a)
            && keel_transcript_update(&t, m, sizeof(m))
            && keel_transcript_set_hash(&t, KEEL_HASH_SHA256)
            && keel_transcript_update(&t, m, sizeof(m))
            && keel_transcript_current(&t, out)
            && keel_hkdf_expand_label(a, KEEL_HASH_SHA256, out, "key", NULL, 0, okm, 80)
            && keel_tls12_prf(a, KEEL_HASH_SHA256, out, 32, "key expansion", m, sizeof(m), okm, 80);
        long used = keel_test_alloc_count();
        keel_test_fail_after(0);
        keel_transcript_cleanup(&t);
        ERR_clear_error();
        CHECK_EQ(keel_test_live_allocs(), live);
        /* The sweep ends once the injected failure is no longer reached (libcrypto shrugs
         * off a few failed allocations in its caches, so success alone does not end it). */
        if (used < k) {
            CHECK(ok);
            break;
        }
        CHECK(k < 199);   /* the sweep must reach an allocation-free run */
    }
}

/* The reusable context (keel_prf) gives what the one-shot forms give, under a new key and under
 * the previous one (NULL), refuses NULL before any key, and leaks nothing when an allocation
 * fails. */
static void test_prf_ctx(const keel_algs *a)
{
    static const uint8_t m[] = "some handshake message";
    uint8_t key[48], want[80], got[80];
    keel_prf *p;

    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (uint8_t)(i * 5 + 1);
    CHECK((p = keel_prf_new(a, KEEL_HASH_SHA384)) != NULL);
    CHECK(keel_prf_hash(p) == KEEL_HASH_SHA384);
    CHECK(!keel_prf_expand_label(p, NULL, "key", NULL, 0, got, 16)); /* no previous key */
    ERR_clear_error();
    CHECK(keel_hkdf_expand_label(a, KEEL_HASH_SHA384, key, "key", m, 5, want, 80));
    CHECK(keel_prf_expand_label(p, key, "key", m, 5, got, 80) && memcmp(got, want, 80) == 0);
    CHECK(keel_hkdf_expand_label(a, KEEL_HASH_SHA384, key, "iv", NULL, 0, want, 12));
    CHECK(keel_prf_expand_label(p, NULL, "iv", NULL, 0, got, 12) && memcmp(got, want, 12) == 0);
    CHECK(keel_hmac(a, KEEL_HASH_SHA384, key, 20, m, sizeof(m), want));
    CHECK(keel_prf_hmac(p, key, 20, m, sizeof(m), got) && memcmp(got, want, 48) == 0);
    CHECK(keel_tls12_prf(a, KEEL_HASH_SHA384, key, 48, "key expansion", m, sizeof(m), want, 80));
    CHECK(keel_prf_tls12(p, key, 48, "key expansion", m, sizeof(m), got, 80) && memcmp(got, want, 80) == 0);
    CHECK(keel_tls12_prf(a, KEEL_HASH_SHA384, key, 48, "client finished", m, 4, want, 12));
    CHECK(keel_prf_tls12(p, NULL, 48, "client finished", m, 4, got, 12) && memcmp(got, want, 12) == 0);
    /* The TLS 1.2 PRF keeps its key's pad states: HMAC under the same key (NULL) uses them, and a
     * new key, by either form, must not. */
    CHECK(keel_hmac(a, KEEL_HASH_SHA384, key, 48, m, sizeof(m), want));
    CHECK(keel_prf_hmac(p, NULL, 0, m, sizeof(m), got) && memcmp(got, want, 48) == 0);
    key[0] ^= 1;
    CHECK(keel_tls12_prf(a, KEEL_HASH_SHA384, key, 48, "server finished", m, 4, want, 12));
    CHECK(keel_prf_tls12(p, key, 48, "server finished", m, 4, got, 12) && memcmp(got, want, 12) == 0);
    key[1] ^= 1;
    CHECK(keel_hkdf_expand_label(a, KEEL_HASH_SHA384, key, "key", m, 5, want, 32));
    CHECK(keel_prf_expand_label(p, key, "key", m, 5, got, 32) && memcmp(got, want, 32) == 0);
    CHECK(keel_tls12_prf(a, KEEL_HASH_SHA384, key, 48, "key expansion", m, sizeof(m), want, 80));
    CHECK(keel_prf_tls12(p, NULL, 48, "key expansion", m, sizeof(m), got, 80) && memcmp(got, want, 80) == 0);
    keel_prf_free(p);
    keel_prf_free(NULL);

    for (long k = 1; k < 50; k++) {
        long live = keel_test_live_allocs();
        int ok;

        keel_test_fail_after(k);
        p = keel_prf_new(a, KEEL_HASH_SHA256);
        ok = p != NULL && keel_prf_expand_label(p, key, "key", NULL, 0, got, 16)
            && keel_prf_expand_label(p, NULL, "iv", NULL, 0, got, 12)
            && keel_prf_tls12(p, key, 48, "master secret", m, sizeof(m), got, 48);
        long used = keel_test_alloc_count();
        keel_test_fail_after(0);
        keel_prf_free(p);
        ERR_clear_error();
        CHECK_EQ(keel_test_live_allocs(), live);
        if (used < k) {
            CHECK(ok);
            break;
        }
        CHECK(k < 49);
    }
}

/* keel_prf_again (a key's pad states kept for the calls after it, then used up): every call gives
 * what the one-shot forms give whatever the hints, including a wrong hint (no further use), a
 * hint before a new key, a multi-block expansion, and an HMAC; a key used three times with the
 * hints costs no more allocations than without them, once the state contexts exist; and an
 * allocation failure anywhere leaves no leak. */
static void test_prf_again(const keel_algs *a)
{
    static const uint8_t m[] = "transcript hash stand-in";
    uint8_t k1[48], k2[48], want[96], got[96];
    long plain, hinted;
    keel_prf *p;

    for (size_t i = 0; i < sizeof(k1); i++) {
        k1[i] = (uint8_t)(i * 7 + 3);
        k2[i] = (uint8_t)(i * 11 + 5);
    }
    CHECK((p = keel_prf_new(a, KEEL_HASH_SHA384)) != NULL);
    /* k1 three times: kept, kept, used up; then once more (states gone: made afresh). */
    keel_prf_again(p);
    CHECK(keel_hkdf_expand_label(a, KEEL_HASH_SHA384, k1, "c hs traffic", m, 24, want, 48));
    CHECK(keel_prf_expand_label(p, k1, "c hs traffic", m, 24, got, 48) && memcmp(got, want, 48) == 0);
    keel_prf_again(p);
    CHECK(keel_hkdf_expand_label(a, KEEL_HASH_SHA384, k1, "key", NULL, 0, want, 96)); /* 2 blocks */
    CHECK(keel_prf_expand_label(p, NULL, "key", NULL, 0, got, 96) && memcmp(got, want, 96) == 0);
    CHECK(keel_hkdf_expand_label(a, KEEL_HASH_SHA384, k1, "iv", NULL, 0, want, 12));
    CHECK(keel_prf_expand_label(p, NULL, "iv", NULL, 0, got, 12) && memcmp(got, want, 12) == 0);
    CHECK(keel_hkdf_expand_label(a, KEEL_HASH_SHA384, k1, "finished", NULL, 0, want, 48));
    CHECK(keel_prf_expand_label(p, NULL, "finished", NULL, 0, got, 48) && memcmp(got, want, 48) == 0);
    /* A wrong hint (k1's states kept, never used), then a new key: k1's states must not serve. */
    keel_prf_again(p);
    CHECK(keel_prf_expand_label(p, NULL, "derived", m, 24, got, 48));
    keel_prf_again(p);
    CHECK(keel_hkdf_expand_label(a, KEEL_HASH_SHA384, k2, "s ap traffic", m, 24, want, 48));
    CHECK(keel_prf_expand_label(p, k2, "s ap traffic", m, 24, got, 48) && memcmp(got, want, 48) == 0);
    /* HMAC under the kept k2 (uses them up), then a multi-block expansion under k2 unhinted. */
    CHECK(keel_hmac(a, KEEL_HASH_SHA384, k2, 48, m, sizeof(m), want));
    CHECK(keel_prf_hmac(p, NULL, 0, m, sizeof(m), got) && memcmp(got, want, 48) == 0);
    CHECK(keel_hkdf_expand_label(a, KEEL_HASH_SHA384, k2, "exporter", m, 3, want, 96));
    CHECK(keel_prf_expand_label(p, NULL, "exporter", m, 3, got, 96) && memcmp(got, want, 96) == 0);
    /* A failed call drops the hint: the next call, unhinted, must not keep states. */
    keel_prf_again(p);
    CHECK(!keel_prf_expand_label(p, k1, "key", m, 256, got, 16));
    ERR_clear_error();

    /* Allocations for three uses of a key: hinted (kept, kept, used up) against unhinted. */
    keel_test_fail_after(0);
    CHECK(keel_prf_expand_label(p, k1, "a", NULL, 0, got, 48) && keel_prf_expand_label(p, NULL, "b", NULL, 0, got, 48)
          && keel_prf_expand_label(p, NULL, "c", NULL, 0, got, 48));
    plain = keel_test_alloc_count();
    keel_test_fail_after(0);
    keel_prf_again(p);
    CHECK(keel_prf_expand_label(p, k1, "a", NULL, 0, got, 48));
    keel_prf_again(p);
    CHECK(keel_prf_expand_label(p, NULL, "b", NULL, 0, want, 48));
    CHECK(keel_prf_expand_label(p, NULL, "c", NULL, 0, got, 48));
    hinted = keel_test_alloc_count();
    CHECK(hinted <= plain);
    keel_prf_free(p);

    for (long k = 1; k < 60; k++) {
        long live = keel_test_live_allocs();
        int ok;

        keel_test_fail_after(k);
        p = keel_prf_new(a, KEEL_HASH_SHA384);
        ok = p != NULL;
        if (ok)
            keel_prf_again(p);
        ok = ok && keel_prf_expand_label(p, k1, "key", NULL, 0, got, 96);
        if (ok)
            keel_prf_again(p);
        ok = ok && keel_prf_hmac(p, NULL, 0, m, sizeof(m), got) && keel_prf_expand_label(p, NULL, "iv", NULL, 0, got, 12);
        keel_prf_free(p);
        keel_test_fail_after(0);
        ERR_clear_error();
        CHECK(keel_test_live_allocs() == live);
        if (ok)
            break;
    }
    /* The context still works after the sweep's failures. */
    CHECK((p = keel_prf_new(a, KEEL_HASH_SHA384)) != NULL);
    keel_prf_again(p);
    CHECK(keel_hkdf_expand_label(a, KEEL_HASH_SHA384, k1, "key", NULL, 0, want, 48));
    CHECK(keel_prf_expand_label(p, k1, "key", NULL, 0, got, 48) && memcmp(got, want, 48) == 0);
    keel_prf_free(p);
}

/* keel_prf_extract_fixed gives HKDF-Extract under the empty salt (RFC 5869 A.3's PRK for SHA-256)
 * and under the no-PSK salt, from the table's pad states and, on a table without them, by padding
 * the key itself; a NULL key after it is refused. */
static void test_extract_fixed(const keel_algs *a)
{
    uint8_t ikm[22], want[48], got[48];
    keel_algs *bare = keel_algs_new(NULL, NULL);

    memset(ikm, 0x0b, sizeof(ikm));
    CHECK(bare != NULL);
    if (bare == NULL)
        return;
    keel_algs_consts_free(bare); /* as if the states could not be made */
    for (int t = 0; t < 2; t++) {
        const keel_algs *tab = t == 0 ? a : bare;
        for (int i = 0; i < 2; i++) {
            keel_hash_id id = i == 0 ? KEEL_HASH_SHA256 : KEEL_HASH_SHA384;
            size_t hl = keel_hash_len(id);
            keel_prf *p = keel_prf_new(tab, id);

            CHECK(p != NULL);
            if (p == NULL)
                continue;
            CHECK(keel_prf_extract_fixed(p, KEEL_FIXED_ZERO, ikm, sizeof(ikm), got));
            if (id == KEEL_HASH_SHA256)
                CHECK(hexeq(got, 32, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04"));
            CHECK(keel_hkdf_extract(a, id, NULL, 0, ikm, sizeof(ikm), want) && memcmp(got, want, hl) == 0);
            CHECK(keel_prf_extract_fixed(p, KEEL_FIXED_SALT0, ikm, sizeof(ikm), got));
            CHECK(keel_hkdf_extract(a, id, keel_tls13_salt_no_psk(a, id), hl, ikm, sizeof(ikm), want)
                  && memcmp(got, want, hl) == 0);
            CHECK(!keel_prf_expand_label(p, NULL, "key", NULL, 0, got, 16));
            ERR_clear_error();
            CHECK(!keel_prf_extract_fixed(p, 2, ikm, sizeof(ikm), got));
            ERR_clear_error();
            keel_prf_free(p);
        }
    }
    keel_algs_free(bare);
}

/* The default table runs SHA-2 directly (digest.c): a handshake's HMACs, HKDF expansions, PRF
 * blocks and transcript hashes allocate nothing. Through EVP they do. */
static void test_direct_allocates_nothing(const keel_algs *a, bool direct)
{
    static const uint8_t m[] = "some handshake message";
    uint8_t out[64], okm[80];
    keel_transcript t;
    keel_prf p;

    for (int i = 0; i < KEEL_NUM_HASHES; i++)
        CHECK_EQ(a->direct[i], direct);
    CHECK(keel_prf_init(&p, a, KEEL_HASH_SHA384) && keel_transcript_init(&t, a)
          && keel_transcript_set_hash(&t, KEEL_HASH_SHA384));
    long before = keel_test_alloc_count();
    CHECK(keel_transcript_update(&t, m, sizeof(m)) && keel_transcript_current(&t, out)
          && keel_transcript_current_with(&t, KEEL_HASH_SHA384, m, 3, out)
          && keel_prf_extract_fixed(&p, KEEL_FIXED_ZERO, m, 48, out)
          && keel_prf_expand_label(&p, out, "key", NULL, 0, okm, 80)
          && keel_prf_tls12(&p, out, 48, "key expansion", m, sizeof(m), okm, 80)
          && keel_hmac(a, KEEL_HASH_SHA256, m, 7, m, sizeof(m), out)
          && keel_hkdf_expand_label(a, KEEL_HASH_SHA512, out, "iv", NULL, 0, okm, 12)
          && keel_hash(a, KEEL_HASH_SHA256, m, sizeof(m), out));
    if (direct)
        CHECK_EQ(keel_test_alloc_count(), before);
    else
        CHECK(keel_test_alloc_count() > before + 10);
    keel_transcript_cleanup(&t);
    keel_prf_cleanup(&p);
}

/* The table's constants made under every allocation failure (the EVP form allocates for its pad
 * states): nothing leaks, a failure leaves a hash without its pad states and nothing else, and
 * the extracts that would use them still give the right answer. */
static void test_consts_alloc_failure(keel_algs *evp)
{
    uint8_t ikm[22], want[48], got[48];
    int partial = 0; /* a run that made a hash's constants but not its pad states */

    memset(ikm, 0x0b, sizeof(ikm));
    for (long k = 1; k < 200; k++) {
        keel_algs_consts_free(evp);
        long live = keel_test_live_allocs();
        keel_test_fail_after(k);
        keel_algs_consts(evp);
        long used = keel_test_alloc_count();
        keel_test_fail_after(0);
        ERR_clear_error();
        for (int i = 0; i < 2; i++) {
            keel_hash_id id = i == 0 ? KEEL_HASH_SHA256 : KEEL_HASH_SHA384;
            size_t hl = keel_hash_len(id);
            keel_prf p;

            if (!evp->have_consts[id])
                continue;
            partial |= !evp->have_fixed_pads[id];
            CHECK(keel_prf_init(&p, evp, id));
            CHECK(keel_prf_extract_fixed(&p, KEEL_FIXED_SALT0, ikm, sizeof(ikm), got));
            CHECK(keel_hkdf_extract(evp, id, keel_tls13_salt_no_psk(evp, id), hl, ikm, sizeof(ikm), want)
                  && memcmp(got, want, hl) == 0);
            keel_prf_cleanup(&p);
        }
        keel_algs_consts_free(evp);
        CHECK_EQ(keel_test_live_allocs(), live);
        if (used < k)
            break;
        CHECK(k < 199);
    }
    CHECK(partial);
    keel_algs_consts(evp);
    for (int i = 0; i < KEEL_NUM_HASHES; i++)
        CHECK(evp->have_fixed_pads[i]);
}

static void run_all(const keel_algs *a)
{
    test_hmac(a);
    test_hkdf(a);
    test_expand_label_rfc8448(a);
    test_expand_label_sha384(a);
    test_tls12_prf(a);
    test_transcript(a);
    test_alloc_failure(a);
    test_prf_ctx(a);
    test_prf_again(a);
    test_extract_fixed(a);
}

int main(void)
{
    const keel_algs *a;
    keel_algs *evp;

    keel_test_malloc_install();
    a = keel_algs_default();
    CHECK(a != NULL);
    if (a == NULL)
        return keel_test_finish("crypto_hash");
    test_direct_allocates_nothing(a, true);
    run_all(a);
    /* The same vectors and failure sweeps through EVP, the form a digest from any other
     * provider takes: a table of its own, switched before its constants are made. */
    evp = keel_algs_new(NULL, NULL);
    CHECK(evp != NULL);
    if (evp != NULL) {
        keel_algs_consts_free(evp);
        for (int i = 0; i < KEEL_NUM_HASHES; i++)
            evp->direct[i] = false;
        keel_algs_consts(evp);
        test_direct_allocates_nothing(evp, false);
        run_all(evp);
        test_consts_alloc_failure(evp);
        keel_algs_free(evp);
    }
    return keel_test_finish("crypto_hash");
}
