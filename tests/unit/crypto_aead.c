/* AEAD boundary: published vectors, in-place operation, tamper detection, rekeying, misuse. */
#include "crypto/crypto.h"
#include "testutil.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <string.h>

typedef struct {
    keel_aead_id id;
    const char *key, *nonce, *aad, *pt, *ct_tag;
} vector;

static const vector vectors[] = {
    /* RFC 8439 §2.8.2 (AEAD_CHACHA20_POLY1305). pt is set from the RFC's sentence below. */
    { KEEL_AEAD_CHACHA20_POLY1305,
      "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
      "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7", NULL,
      "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b"
      "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
      "3ff4def08e4b7a9de576d26586cec64b6116"
      "1ae10b594f09e26a7e902ecbd0600691" },
    /* The GCM specification's (McGrew & Viega) test cases 4 and 16: AES-128 / AES-256 with AAD. */
    { KEEL_AEAD_AES_128_GCM, "feffe9928665731c6d6a8f9467308308",
      "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525"
      "b16aedf5aa0de657ba637b39",
      "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05"
      "1ba30b396a0aac973d58e091"
      "5bc94fbc3221a5db94fae95ae7121a47" },
    { KEEL_AEAD_AES_256_GCM, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
      "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525"
      "b16aedf5aa0de657ba637b39",
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838"
      "c5f61e6393ba7a0abcc9f662"
      "76fc6ece0f4e1768cddf8853bb2d551b" },
    /* NIST SP 800-38C Appendix C, Example 3: AES-128-CCM with a 12-byte nonce and an 8-byte tag,
     * TLS's CCM_8 (RFC 6655 §3). keel-to-keel tests cannot see a nonce-length slip (both ends
     * would use the same wrong length); this vector does. */
    { KEEL_AEAD_AES_128_CCM_8, "404142434445464748494a4b4c4d4e4f", "101112131415161718191a1b",
      "000102030405060708090a0b0c0d0e0f10111213", "202122232425262728292a2b2c2d2e2f3031323334353637",
      "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951" },
};

static const char sunscreen[] = "Ladies and Gentlemen of the class of '99: If I could offer you only one "
                                "tip for the future, sunscreen would be it.";

static void test_vectors(const keel_algs *algs)
{
    for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
        const vector *t = &vectors[v];
        uint8_t key[32], nonce[12], aad[32], pt[256], expect[256], buf[256];
        int klen = keel_test_unhex(t->key, key, sizeof(key));
        int alen = keel_test_unhex(t->aad, aad, sizeof(aad));
        int plen = t->pt ? keel_test_unhex(t->pt, pt, sizeof(pt)) : (int)strlen(sunscreen);
        int clen = keel_test_unhex(t->ct_tag, expect, sizeof(expect));
        keel_aead_ctx *seal, *open;

        int tl = (int)keel_aead_tag_len(t->id);

        if (!keel_aead_supported(algs, t->id))
            continue;
        if (t->pt == NULL)
            memcpy(pt, sunscreen, (size_t)plen);
        CHECK(keel_test_unhex(t->nonce, nonce, sizeof(nonce)) == 12);
        CHECK_EQ(klen, keel_aead_key_len(t->id));
        CHECK_EQ(clen, plen + tl);

        CHECK((seal = keel_aead_new(algs, t->id, 1)) != NULL);
        CHECK((open = keel_aead_new(algs, t->id, 0)) != NULL);
        if (seal == NULL || open == NULL)
            continue;
        CHECK(keel_aead_set_key(seal, key));
        CHECK(keel_aead_set_key(open, key));

        /* Separate buffers. */
        memset(buf, 0, sizeof(buf));
        CHECK(keel_aead_seal(seal, nonce, aad, (size_t)alen, pt, (size_t)plen, buf));
        CHECK(memcmp(buf, expect, (size_t)clen) == 0);
        memset(buf, 0, sizeof(buf));
        CHECK(keel_aead_open(open, nonce, aad, (size_t)alen, expect, (size_t)clen, buf));
        CHECK(memcmp(buf, pt, (size_t)plen) == 0);

        /* In place, both ways (the record engine decrypts in place). */
        memcpy(buf, pt, (size_t)plen);
        CHECK(keel_aead_seal(seal, nonce, aad, (size_t)alen, buf, (size_t)plen, buf));
        CHECK(memcmp(buf, expect, (size_t)clen) == 0);
        CHECK(keel_aead_open(open, nonce, aad, (size_t)alen, buf, (size_t)clen, buf));
        CHECK(memcmp(buf, pt, (size_t)plen) == 0);

        /* Any flipped bit — ciphertext, tag, AAD or nonce — fails authentication, without
         * leaving an error behind and without releasing plaintext. */
        for (int where = 0; where < 4; where++) {
            uint8_t ct[256], a2[32], n2[12];

            memcpy(ct, expect, (size_t)clen);
            memcpy(a2, aad, (size_t)alen);
            memcpy(n2, nonce, 12);
            if (where == 0) ct[3] ^= 0x01;
            if (where == 1) ct[clen - 1] ^= 0x80;
            if (where == 2) a2[alen - 1] ^= 0x10;
            if (where == 3) n2[11] ^= 0x01;
            ERR_clear_error();
            memset(buf, 0x5a, sizeof(buf));
            CHECK(!keel_aead_open(open, n2, a2, (size_t)alen, ct, (size_t)clen, buf));
            /* libcrypto's CCM reports a failed check itself (a provider error, as under OpenSSL's
             * libssl, which drives the same provider); GCM and ChaCha20-Poly1305 report none. */
            if (!keel_aead_can_split(t->id)) /* CCM */
                CHECK(ERR_peek_error() == 0 || ERR_GET_LIB(ERR_peek_error()) == ERR_LIB_PROV);
            else
                CHECK(ERR_peek_error() == 0);
            ERR_clear_error();
            CHECK(memcmp(buf, pt, 16) != 0);
            /* and the context still works afterwards */
            CHECK(keel_aead_open(open, nonce, aad, (size_t)alen, expect, (size_t)clen, buf));
        }
        /* Shorter than a tag can never authenticate. */
        CHECK(!keel_aead_open(open, nonce, aad, (size_t)alen, expect, (size_t)tl - 1, buf));
        /* Direction is fixed at creation. */
        CHECK(!keel_aead_seal(open, nonce, aad, (size_t)alen, pt, (size_t)plen, buf));
        CHECK(!keel_aead_open(seal, nonce, aad, (size_t)alen, expect, (size_t)clen, buf));
        ERR_clear_error();

        keel_aead_free(seal);
        keel_aead_free(open);
    }
}

static void test_rekey_and_empty(const keel_algs *algs)
{
    static const keel_aead_id ids[] = { KEEL_AEAD_AES_128_GCM, KEEL_AEAD_AES_256_GCM,
                                        KEEL_AEAD_CHACHA20_POLY1305 };

    for (size_t i = 0; i < 3; i++) {
        uint8_t k1[32], k2[32], nonce[12] = { 0 }, ct[64], ct2[64], out[64];
        static const uint8_t msg[] = "application data";
        keel_aead_ctx *seal = keel_aead_new(algs, ids[i], 1), *open = keel_aead_new(algs, ids[i], 0);
        size_t n = sizeof(msg);

        CHECK(seal != NULL && open != NULL);
        if (seal == NULL || open == NULL)
            continue;
        memset(k1, 0x11, sizeof(k1));
        memset(k2, 0x22, sizeof(k2));
        /* Unkeyed contexts refuse to work rather than use a zero key. */
        CHECK(!keel_aead_seal(seal, nonce, NULL, 0, msg, n, ct));
        ERR_clear_error();

        CHECK(keel_aead_set_key(seal, k1) && keel_aead_set_key(open, k1));
        CHECK(keel_aead_seal(seal, nonce, NULL, 0, msg, n, ct));
        CHECK(keel_aead_open(open, nonce, NULL, 0, ct, n + KEEL_AEAD_TAG_LEN, out));
        CHECK(memcmp(out, msg, n) == 0);

        /* KeyUpdate-style rekey of the seal side only: the peer's old key no longer opens. */
        CHECK(keel_aead_set_key(seal, k2));
        CHECK(keel_aead_seal(seal, nonce, NULL, 0, msg, n, ct2));
        CHECK(memcmp(ct, ct2, n) != 0);
        CHECK(!keel_aead_open(open, nonce, NULL, 0, ct2, n + KEEL_AEAD_TAG_LEN, out));
        CHECK(keel_aead_set_key(open, k2));
        CHECK(keel_aead_open(open, nonce, NULL, 0, ct2, n + KEEL_AEAD_TAG_LEN, out));
        CHECK(memcmp(out, msg, n) == 0);

        /* Empty plaintext (a record of only padding/type never happens in TLS 1.3, but an
         * empty TLS 1.2 fragment does): the output is just a tag, and open accepts NULL out. */
        CHECK(keel_aead_seal(seal, nonce, ct, 5, NULL, 0, ct2));
        CHECK(keel_aead_open(open, nonce, ct, 5, ct2, KEEL_AEAD_TAG_LEN, NULL));
        ct2[0] ^= 1;
        CHECK(!keel_aead_open(open, nonce, ct, 5, ct2, KEEL_AEAD_TAG_LEN, NULL));

        keel_aead_free(seal);
        keel_aead_free(open);
    }
    CHECK_EQ(keel_aead_key_len(KEEL_AEAD_AES_128_GCM), 16);
    CHECK_EQ(keel_aead_key_len(KEEL_AEAD_AES_256_GCM), 32);
    CHECK_EQ(keel_aead_key_len(KEEL_AEAD_CHACHA20_POLY1305), 32);
    CHECK(keel_aead_new(algs, (keel_aead_id)7, 1) == NULL);
    ERR_clear_error();
    keel_aead_free(NULL);
}

/* keel_aead_open_split: the plaintext in two places, each byte where the split says; the same
 * authentication as keel_aead_open (a flipped bit fails and cleanses both parts); CCM refuses. */
static void test_open_split(const keel_algs *algs)
{
    static const keel_aead_id ids[] = { KEEL_AEAD_AES_128_GCM, KEEL_AEAD_AES_256_GCM,
                                        KEEL_AEAD_CHACHA20_POLY1305 };
    static const size_t splits[] = { 0, 1, 15, 16, 17, 63, 64, 99, 100 };
    uint8_t key[32], nonce[12] = { 9 }, aad[5] = { 23, 3, 3, 0, 116 }, pt[100], ct[116], a[100], b[116];

    for (size_t i = 0; i < sizeof(pt); i++)
        pt[i] = (uint8_t)(i * 7 + 1);
    memset(key, 0x33, sizeof(key));
    for (size_t i = 0; i < 3; i++) {
        keel_aead_ctx *seal = keel_aead_new(algs, ids[i], 1), *open = keel_aead_new(algs, ids[i], 0);

        CHECK(seal != NULL && open != NULL);
        if (seal == NULL || open == NULL)
            continue;
        CHECK(keel_aead_can_split(ids[i]));
        CHECK(keel_aead_set_key(seal, key) && keel_aead_set_key(open, key));
        CHECK(keel_aead_seal(seal, nonce, aad, sizeof(aad), pt, sizeof(pt), ct));
        for (size_t k = 0; k < sizeof(splits) / sizeof(splits[0]); k++) {
            size_t n = splits[k];

            memset(a, 0xee, sizeof(a));
            memset(b, 0xee, sizeof(b));
            CHECK(keel_aead_open_split(open, nonce, aad, sizeof(aad), ct, sizeof(ct), a, n, b));
            CHECK(memcmp(a, pt, n) == 0 && memcmp(b, pt + n, sizeof(pt) - n) == 0);
            CHECK(n == sizeof(a) || a[n] == 0xee);            /* nothing past the first part */
            CHECK(b[sizeof(pt) - n] == 0xee);                  /* nor past the second */
            /* The second part in place, as the record engine uses it. */
            memcpy(b, ct, sizeof(ct));
            CHECK(keel_aead_open_split(open, nonce, aad, sizeof(aad), b, sizeof(ct), a, n, b + n));
            CHECK(memcmp(a, pt, n) == 0 && memcmp(b + n, pt + n, sizeof(pt) - n) == 0);
        }
        /* A flipped tag bit: refused, both parts cleansed of any plaintext. */
        ct[sizeof(ct) - 1] ^= 0x01;
        memset(a, 0xee, sizeof(a));
        memset(b, 0xee, sizeof(b));
        CHECK(!keel_aead_open_split(open, nonce, aad, sizeof(aad), ct, sizeof(ct), a, 40, b));
        for (size_t j = 0; j < 40; j++)
            CHECK(a[j] == 0);
        for (size_t j = 0; j < 60; j++)
            CHECK(b[j] == 0);
        ct[sizeof(ct) - 1] ^= 0x01;
        /* A first part longer than the plaintext, or the wrong direction: refused. */
        CHECK(!keel_aead_open_split(open, nonce, aad, sizeof(aad), ct, sizeof(ct), a, 101, b));
        CHECK(!keel_aead_open_split(seal, nonce, aad, sizeof(aad), ct, sizeof(ct), a, 40, b));
        /* The context still opens afterwards. */
        CHECK(keel_aead_open_split(open, nonce, aad, sizeof(aad), ct, sizeof(ct), a, 100, NULL));
        CHECK(memcmp(a, pt, sizeof(pt)) == 0);
        keel_aead_free(seal);
        keel_aead_free(open);
    }
    /* CCM takes the message in one piece. */
    CHECK(!keel_aead_can_split(KEEL_AEAD_AES_128_CCM));
    if (keel_aead_supported(algs, KEEL_AEAD_AES_128_CCM)) {
        keel_aead_ctx *seal = keel_aead_new(algs, KEEL_AEAD_AES_128_CCM, 1);
        keel_aead_ctx *open = keel_aead_new(algs, KEEL_AEAD_AES_128_CCM, 0);

        CHECK(seal != NULL && open != NULL && keel_aead_set_key(seal, key) && keel_aead_set_key(open, key));
        CHECK(keel_aead_seal(seal, nonce, aad, sizeof(aad), pt, sizeof(pt), ct));
        CHECK(!keel_aead_open_split(open, nonce, aad, sizeof(aad), ct, sizeof(ct), a, 40, b));
        CHECK(keel_aead_open(open, nonce, aad, sizeof(aad), ct, sizeof(ct), a));
        keel_aead_free(seal);
        keel_aead_free(open);
    }
    ERR_clear_error();
}

static void test_alloc_failure(const keel_algs *algs)
{
    for (long k = 1; k < 50; k++) {
        long live = keel_test_live_allocs();
        keel_aead_ctx *c;

        keel_test_fail_after(k);
        c = keel_aead_new(algs, KEEL_AEAD_AES_128_GCM, 1);
        long used = keel_test_alloc_count();
        keel_test_fail_after(0);
        keel_aead_free(c);
        ERR_clear_error();
        CHECK_EQ(keel_test_live_allocs(), live);
        /* The sweep ends once the injected failure is no longer reached (libcrypto shrugs
         * off a few failed allocations in its caches, so success alone does not end it). */
        if (used < k) {
            CHECK(c != NULL);
            break;
        }
        CHECK(k < 49);   /* the sweep must reach an allocation-free run */
    }
}

int main(void)
{
    const keel_algs *algs;

    keel_test_malloc_install();
    algs = keel_algs_default();
    CHECK(algs != NULL);
    CHECK(algs == keel_algs_default());     /* fetched once */
    if (algs == NULL)
        return keel_test_finish("crypto_aead");
    test_vectors(algs);
    test_rekey_and_empty(algs);
    test_open_split(algs);
    test_alloc_failure(algs);

    /* A table of one's own (SSL_CTX_new_ex) works the same way. */
    keel_algs *own = keel_algs_new(NULL, "provider=default");
    CHECK(own != NULL);
    if (own != NULL) {
        test_vectors(own);
        keel_algs_free(own);
    }
    /* A property query nothing satisfies leaves no usable table. */
    CHECK(keel_algs_new(NULL, "provider=nonexistent") == NULL);
    ERR_clear_error();
    return keel_test_finish("crypto_aead");
}
