/* Signatures by SignatureScheme: round trips, key/scheme pairing, tampering, PSS parameters,
 * and the CertificateVerify content. */
#include "common/proto.h"
#include "crypto/crypto.h"
#include "testutil.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sslerr.h>
#include <openssl/x509.h>
#include <string.h>

enum { K_RSA, K_RSA1024, K_PSS, K_P256, K_P384, K_P521, K_ED25519, K_ED448, K_COUNT };
static EVP_PKEY *keys[K_COUNT];

static int gen_keys(void)
{
    keys[K_RSA] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    keys[K_RSA1024] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    if (pc == NULL || EVP_PKEY_keygen_init(pc) <= 0 || EVP_PKEY_CTX_set_rsa_keygen_bits(pc, 2048) <= 0
            || EVP_PKEY_keygen(pc, &keys[K_PSS]) <= 0)
        keys[K_PSS] = NULL;
    EVP_PKEY_CTX_free(pc);
    keys[K_P256] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    keys[K_P384] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    keys[K_P521] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    keys[K_ED25519] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    keys[K_ED448] = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    for (int i = 0; i < K_COUNT; i++)
        if (keys[i] == NULL)
            return 0;
    return 1;
}

static int last_reason(void)
{
    unsigned long e = ERR_peek_last_error();

    return ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : -1;
}

typedef struct {
    uint16_t scheme;
    int key;
    int tls13;      /* expected keel_sig_key_matches(.., 1) for this key */
} pair;

static const pair pairs[] = {
    { KEEL_SIG_ECDSA_SECP256R1_SHA256, K_P256, 1 },
    { KEEL_SIG_ECDSA_SECP384R1_SHA384, K_P384, 1 },
    { KEEL_SIG_ECDSA_SECP521R1_SHA512, K_P521, 1 },
    { KEEL_SIG_RSA_PSS_RSAE_SHA256, K_RSA, 1 },
    { KEEL_SIG_RSA_PSS_RSAE_SHA384, K_RSA, 1 },
    { KEEL_SIG_RSA_PSS_RSAE_SHA512, K_RSA, 1 },
    { KEEL_SIG_RSA_PSS_PSS_SHA256, K_PSS, 1 },
    { KEEL_SIG_RSA_PSS_PSS_SHA384, K_PSS, 1 },
    { KEEL_SIG_RSA_PSS_PSS_SHA512, K_PSS, 1 },
    { KEEL_SIG_ED25519, K_ED25519, 1 },
    { KEEL_SIG_ED448, K_ED448, 1 },
    { KEEL_SIG_RSA_PKCS1_SHA256, K_RSA, 0 },
    { KEEL_SIG_RSA_PKCS1_SHA384, K_RSA, 0 },
    { KEEL_SIG_RSA_PKCS1_SHA512, K_RSA, 0 },
    { KEEL_SIG_RSA_PKCS1_SHA1, K_RSA, 0 },
    { KEEL_SIG_ECDSA_SHA1, K_P256, 0 },
    /* SHA-224 (RFC 5246 §7.4.1.4.1): certificate signatures only, never a TLS 1.3 CertificateVerify. */
    { KEEL_SIG_RSA_PKCS1_SHA224, K_RSA, 0 },
    { KEEL_SIG_ECDSA_SHA224, K_P256, 0 },
    /* TLS 1.2's ecdsa_sha256 is curve-agnostic; TLS 1.3's ecdsa_secp256r1_sha256 is not. */
    { KEEL_SIG_ECDSA_SECP256R1_SHA256, K_P384, 0 },
    { KEEL_SIG_ECDSA_SECP384R1_SHA384, K_P521, 0 },
};

static void test_round_trips(const keel_algs *a)
{
    static const uint8_t msg[] = "content covered by CertificateVerify";

    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        const pair *p = &pairs[i];
        EVP_PKEY *k = keys[p->key];
        uint8_t sig[1024], bad[1024];
        size_t len = sizeof(sig);

        CHECK(keel_sig_key_matches(k, p->scheme, 0));
        CHECK_EQ(keel_sig_key_matches(k, p->scheme, 1), p->tls13);
        CHECK(keel_sig_max_len(k) <= sizeof(sig) && keel_sig_max_len(k) > 0);
        CHECK(keel_sig_sign(a, k, p->scheme, msg, sizeof(msg), sig, &len));
        CHECK(len > 0 && len <= keel_sig_max_len(k));
        CHECK(keel_sig_verify(a, k, p->scheme, msg, sizeof(msg), sig, len));

        /* A flipped bit anywhere in the signature, or in the message, is caught with
         * SSL_R_BAD_SIGNATURE (the caller sends decrypt_error). */
        for (size_t pos = 0; pos < len; pos += len / 4 + 1) {
            memcpy(bad, sig, len);
            bad[pos] ^= 0x04;
            ERR_clear_error();
            CHECK(!keel_sig_verify(a, k, p->scheme, msg, sizeof(msg), bad, len));
            CHECK_EQ(last_reason(), SSL_R_BAD_SIGNATURE);
        }
        CHECK(!keel_sig_verify(a, k, p->scheme, msg, sizeof(msg) - 1, sig, len));
        CHECK(!keel_sig_verify(a, k, p->scheme, msg, sizeof(msg), sig, len - 1));
        ERR_clear_error();

        /* Too small an output buffer is refused. */
        size_t small = keel_sig_max_len(k) - 1;
        CHECK(!keel_sig_sign(a, k, p->scheme, msg, sizeof(msg), sig, &small));
        ERR_clear_error();
    }
}

static void test_mismatches(const keel_algs *a)
{
    static const uint8_t msg[] = "m";
    static const struct { uint16_t scheme; int key; } wrong[] = {
        { KEEL_SIG_ECDSA_SECP256R1_SHA256, K_RSA },
        { KEEL_SIG_RSA_PSS_RSAE_SHA256, K_PSS },      /* rsae needs an rsaEncryption key */
        { KEEL_SIG_RSA_PSS_PSS_SHA256, K_RSA },       /* pss needs an RSASSA-PSS key */
        { KEEL_SIG_RSA_PKCS1_SHA256, K_P256 },
        { KEEL_SIG_ED25519, K_ED448 },
        { KEEL_SIG_ED448, K_ED25519 },
        { KEEL_SIG_ED25519, K_P256 },
        { 0x0000, K_RSA },                            /* unknown scheme */
        { 0x0202, K_RSA },                            /* dsa_sha1: not supported */
        { KEEL_SIG_ECDSA_SHA224, K_RSA },
        { KEEL_SIG_RSA_PKCS1_SHA224, K_P256 },
        /* RFC 8017 §9.1.1: PSS with SHA-512 and a 64-byte salt needs more than 1024 bits. */
        { KEEL_SIG_RSA_PSS_RSAE_SHA512, K_RSA1024 },
    };
    uint8_t sig[1024];

    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        EVP_PKEY *k = keys[wrong[i].key];
        size_t len = sizeof(sig);

        CHECK(!keel_sig_key_matches(k, wrong[i].scheme, 0));
        CHECK(!keel_sig_key_matches(k, wrong[i].scheme, 1));
        ERR_clear_error();
        CHECK(!keel_sig_sign(a, k, wrong[i].scheme, msg, 1, sig, &len));
        CHECK_EQ(last_reason(), SSL_R_WRONG_SIGNATURE_TYPE);
        ERR_clear_error();
        CHECK(!keel_sig_verify(a, k, wrong[i].scheme, msg, 1, sig, 64));
        CHECK_EQ(last_reason(), SSL_R_WRONG_SIGNATURE_TYPE);
        ERR_clear_error();
    }
    CHECK(keel_sig_key_matches(keys[K_RSA1024], KEEL_SIG_RSA_PSS_RSAE_SHA256, 1));

    /* A signature made under one scheme does not verify under another of the same key. */
    size_t len = sizeof(sig);
    CHECK(keel_sig_sign(a, keys[K_RSA], KEEL_SIG_RSA_PSS_RSAE_SHA256, msg, 1, sig, &len));
    CHECK(!keel_sig_verify(a, keys[K_RSA], KEEL_SIG_RSA_PKCS1_SHA256, msg, 1, sig, len));
    CHECK(!keel_sig_verify(a, keys[K_RSA], KEEL_SIG_RSA_PSS_RSAE_SHA384, msg, 1, sig, len));
    ERR_clear_error();
}

/* PSS parameters on the wire (RFC 8446 §4.2.3): MGF1 with the same hash, salt = hash length.
 * Checked against signatures libcrypto makes directly with explicit parameters. */
static int evp_pss(EVP_PKEY *k, const char *md, int saltlen, int sign, const uint8_t *msg, size_t mlen,
                   uint8_t *sig, size_t *slen)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    int ok = (sign ? EVP_DigestSignInit_ex(m, &pc, md, NULL, NULL, k, NULL)
                   : EVP_DigestVerifyInit_ex(m, &pc, md, NULL, NULL, k, NULL)) > 0
        && EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) > 0
        && EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, md, NULL) > 0
        && EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, saltlen) > 0
        && (sign ? EVP_DigestSign(m, sig, slen, msg, mlen) > 0
                 : EVP_DigestVerify(m, sig, *slen, msg, mlen) == 1);

    EVP_MD_CTX_free(m);
    return ok;
}

static void test_pss_parameters(const keel_algs *a)
{
    static const uint8_t msg[] = "pss";
    uint8_t sig[512];
    size_t len;

    /* keel's signature verifies with explicit (SHA-384, MGF1-SHA-384, salt 48). */
    len = sizeof(sig);
    CHECK(keel_sig_sign(a, keys[K_RSA], KEEL_SIG_RSA_PSS_RSAE_SHA384, msg, 3, sig, &len));
    CHECK(evp_pss(keys[K_RSA], "SHA384", 48, 0, msg, 3, sig, &len));
    CHECK(!evp_pss(keys[K_RSA], "SHA384", 20, 0, msg, 3, sig, &len));
    ERR_clear_error();

    /* A correct-salt signature from elsewhere verifies; a maximum-salt one must not. */
    len = sizeof(sig);
    CHECK(evp_pss(keys[K_RSA], "SHA256", 32, 1, msg, 3, sig, &len));
    CHECK(keel_sig_verify(a, keys[K_RSA], KEEL_SIG_RSA_PSS_RSAE_SHA256, msg, 3, sig, len));
    len = sizeof(sig);
    CHECK(evp_pss(keys[K_RSA], "SHA256", RSA_PSS_SALTLEN_MAX, 1, msg, 3, sig, &len));
    CHECK(!keel_sig_verify(a, keys[K_RSA], KEEL_SIG_RSA_PSS_RSAE_SHA256, msg, 3, sig, len));
    ERR_clear_error();
}

/* ECDSA is signed over a digest keel computes (sig.c's ec_prehashed): its signatures are libcrypto's
 * DigestSign ones, checked both ways against libcrypto driven directly, for each ECDSA scheme and
 * for TLS 1.2's looser pairings of hash and curve. */
static int evp_ecdsa(EVP_PKEY *k, const char *md, int sign, const uint8_t *msg, size_t mlen,
                     uint8_t *sig, size_t *slen)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    int ok = m != NULL
        && (sign ? EVP_DigestSignInit_ex(m, NULL, md, NULL, NULL, k, NULL)
                 : EVP_DigestVerifyInit_ex(m, NULL, md, NULL, NULL, k, NULL)) > 0
        && (sign ? EVP_DigestSign(m, sig, slen, msg, mlen) > 0
                 : EVP_DigestVerify(m, sig, *slen, msg, mlen) == 1);

    EVP_MD_CTX_free(m);
    return ok;
}

static void test_ecdsa_interop(const keel_algs *a)
{
    static const uint8_t msg[] = "ECDSA over the scheme's hash";
    static const struct { uint16_t scheme; int key; const char *md; } v[] = {
        { KEEL_SIG_ECDSA_SECP256R1_SHA256, K_P256, "SHA256" },
        { KEEL_SIG_ECDSA_SECP384R1_SHA384, K_P384, "SHA384" },
        { KEEL_SIG_ECDSA_SECP521R1_SHA512, K_P521, "SHA512" },
        { KEEL_SIG_ECDSA_SECP256R1_SHA256, K_P521, "SHA256" },   /* TLS 1.2: any curve */
        { KEEL_SIG_ECDSA_SECP521R1_SHA512, K_P256, "SHA512" },   /* digest longer than the order */
        { KEEL_SIG_ECDSA_SHA1, K_P384, "SHA1" },
        { KEEL_SIG_ECDSA_SHA224, K_P256, "SHA224" },
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        EVP_PKEY *k = keys[v[i].key];
        uint8_t sig[256];
        size_t len = sizeof(sig);

        CHECK(keel_sig_sign(a, k, v[i].scheme, msg, sizeof(msg), sig, &len));
        CHECK(evp_ecdsa(k, v[i].md, 0, msg, sizeof(msg), sig, &len));
        len = sizeof(sig);
        CHECK(evp_ecdsa(k, v[i].md, 1, msg, sizeof(msg), sig, &len));
        CHECK(keel_sig_verify(a, k, v[i].scheme, msg, sizeof(msg), sig, len));
        /* The same signature under another hash of the same curve does not verify. */
        ERR_clear_error();
        CHECK(!keel_sig_verify(a, k, v[i].scheme == KEEL_SIG_ECDSA_SHA1 ? KEEL_SIG_ECDSA_SHA224
                                                                        : KEEL_SIG_ECDSA_SHA1,
                               msg, sizeof(msg), sig, len));
        CHECK_EQ(last_reason(), SSL_R_BAD_SIGNATURE);
        ERR_clear_error();
    }
}

/* keel_sig_cert_matches reads the curve from the certificate (no allocation) and agrees with the
 * key's own answer; without a certificate it asks the key. */
static X509 *self_signed(EVP_PKEY *k)
{
    X509 *x = X509_new();

    if (x == NULL || !ASN1_INTEGER_set(X509_get_serialNumber(x), 1)
            || X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL
            || X509_gmtime_adj(X509_getm_notAfter(x), 3600) == NULL || !X509_set_pubkey(x, k)
            || !X509_sign(x, k, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static void test_cert_curve(void)
{
    static const uint16_t ec[] = { KEEL_SIG_ECDSA_SECP256R1_SHA256, KEEL_SIG_ECDSA_SECP384R1_SHA384,
                                   KEEL_SIG_ECDSA_SECP521R1_SHA512, KEEL_SIG_RSA_PSS_RSAE_SHA256 };
    static const int kk[] = { K_P256, K_P384, K_P521 };

    for (size_t i = 0; i < sizeof(kk) / sizeof(kk[0]); i++) {
        X509 *x = self_signed(keys[kk[i]]);
        CHECK(x != NULL);
        if (x == NULL)
            continue;
        for (size_t j = 0; j < sizeof(ec) / sizeof(ec[0]); j++) {
            int want = j == i;
            CHECK_EQ(keel_sig_cert_matches(keys[kk[i]], x, ec[j], 1), want);
            CHECK_EQ(keel_sig_cert_matches(X509_get0_pubkey(x), x, ec[j], 1), want);
            CHECK_EQ(keel_sig_cert_matches(keys[kk[i]], NULL, ec[j], 1), want);
            CHECK_EQ(keel_sig_cert_matches(keys[kk[i]], x, ec[j], 0), j < 3);
        }
        /* Reading the curve from the certificate allocates nothing. */
        long before = keel_test_alloc_count();
        CHECK_EQ(keel_sig_cert_matches(keys[kk[i]], x, ec[i], 1), 1);
        CHECK_EQ(keel_test_alloc_count(), before);
        X509_free(x);
    }
}

static void test_cv_content(void)
{
    uint8_t th[48], out[KEEL_CV_CONTENT_MAX];
    size_t len = sizeof(out);
    static const char srv[] = "TLS 1.3, server CertificateVerify";
    static const char cli[] = "TLS 1.3, client CertificateVerify";

    for (int i = 0; i < 48; i++)
        th[i] = (uint8_t)(0xa0 + i);
    CHECK(keel_cv_content(1, th, 32, out, &len));
    CHECK_EQ(len, 64 + 33 + 1 + 32);
    for (int i = 0; i < 64; i++)
        CHECK(out[i] == 0x20);
    CHECK(memcmp(out + 64, srv, 33) == 0 && out[97] == 0 && memcmp(out + 98, th, 32) == 0);

    len = sizeof(out);
    CHECK(keel_cv_content(0, th, 48, out, &len));
    CHECK(len == 64 + 33 + 1 + 48 && memcmp(out + 64, cli, 33) == 0 && memcmp(out + 98, th, 48) == 0);

    len = 64 + 33 + 32;      /* one byte short */
    CHECK(!keel_cv_content(1, th, 32, out, &len));
    ERR_clear_error();
}

static void test_alloc_failure(const keel_algs *a)
{
    static const uint8_t msg[] = "x";

    for (long k = 1; k < 3000; k++) {
        long live = keel_test_live_allocs();
        uint8_t sig[256];
        size_t len = sizeof(sig);
        int ok;

        keel_test_fail_after(k);
        ok = keel_sig_sign(a, keys[K_P256], KEEL_SIG_ECDSA_SECP256R1_SHA256, msg, 1, sig, &len)
            && keel_sig_verify(a, keys[K_P256], KEEL_SIG_ECDSA_SECP256R1_SHA256, msg, 1, sig, len);
        long used = keel_test_alloc_count();
        keel_test_fail_after(0);
        ERR_clear_error();
        CHECK_EQ(keel_test_live_allocs(), live);
        if (used < k) {
            CHECK(ok);
            break;
        }
        CHECK(k < 2999);
    }
}

int main(void)
{
    const keel_algs *a;

    keel_test_malloc_install();
    a = keel_algs_default();
    CHECK(a != NULL);
    if (a == NULL || !gen_keys()) {
        CHECK(!"key generation");
        return keel_test_finish("crypto_sig");
    }
    test_round_trips(a);
    test_mismatches(a);
    test_pss_parameters(a);
    test_ecdsa_interop(a);
    test_cert_curve();
    test_cv_content();
    test_alloc_failure(a);
    for (int i = 0; i < K_COUNT; i++)
        EVP_PKEY_free(keys[i]);
    return keel_test_finish("crypto_sig");
}
