/* Handshake signatures by SignatureScheme (RFC 8446 §4.2.3, §4.4.3; RFC 5246 §7.4.1.4.1). */
#include "crypto/algs_int.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/sslerr.h>
#include <openssl/x509.h>
#include <string.h>

#include "common/proto.h"

enum { KT_RSA, KT_RSA_PSS, KT_EC, KT_ED25519, KT_ED448 };
enum { PAD_NONE, PAD_PKCS1, PAD_PSS };

typedef struct {
    uint16_t scheme;
    int key;            /* required key type */
    int pad;
    const char *md;     /* NULL: the scheme hashes internally (EdDSA, RFC 8032) */
    size_t hlen;
    int curve_nid;      /* ECDSA: the curve TLS 1.3 binds to the scheme */
    int tls13;          /* usable for TLS 1.3 handshake signatures */
} scheme_info;

/* RFC 8446 §4.2.3: ECDSA schemes name their curve in TLS 1.3 (in TLS 1.2 only the hash counts);
 * RSASSA-PKCS1-v1_5, SHA-224 (RFC 5246 §7.4.1.4.1 only) and SHA-1 schemes are for TLS 1.2 and
 * certificates only: listed (OpenSSL 3.0's CertificateRequest names them), never a TLS 1.3
 * CertificateVerify; rsa_pss_rsae_* use an
 * rsaEncryption key, rsa_pss_pss_* an RSASSA-PSS key (RFC 8446 §4.2.3). */
static const scheme_info schemes[] = {
    { KEEL_SIG_ECDSA_SECP256R1_SHA256, KT_EC, PAD_NONE, "SHA2-256", 32, NID_X9_62_prime256v1, 1 },
    { KEEL_SIG_ECDSA_SECP384R1_SHA384, KT_EC, PAD_NONE, "SHA2-384", 48, NID_secp384r1, 1 },
    { KEEL_SIG_ECDSA_SECP521R1_SHA512, KT_EC, PAD_NONE, "SHA2-512", 64, NID_secp521r1, 1 },
    { KEEL_SIG_RSA_PSS_RSAE_SHA256, KT_RSA, PAD_PSS, "SHA2-256", 32, 0, 1 },
    { KEEL_SIG_RSA_PSS_RSAE_SHA384, KT_RSA, PAD_PSS, "SHA2-384", 48, 0, 1 },
    { KEEL_SIG_RSA_PSS_RSAE_SHA512, KT_RSA, PAD_PSS, "SHA2-512", 64, 0, 1 },
    { KEEL_SIG_RSA_PSS_PSS_SHA256, KT_RSA_PSS, PAD_PSS, "SHA2-256", 32, 0, 1 },
    { KEEL_SIG_RSA_PSS_PSS_SHA384, KT_RSA_PSS, PAD_PSS, "SHA2-384", 48, 0, 1 },
    { KEEL_SIG_RSA_PSS_PSS_SHA512, KT_RSA_PSS, PAD_PSS, "SHA2-512", 64, 0, 1 },
    { KEEL_SIG_ED25519, KT_ED25519, PAD_NONE, NULL, 0, 0, 1 },
    { KEEL_SIG_ED448, KT_ED448, PAD_NONE, NULL, 0, 0, 1 },
    { KEEL_SIG_RSA_PKCS1_SHA256, KT_RSA, PAD_PKCS1, "SHA2-256", 32, 0, 0 },
    { KEEL_SIG_RSA_PKCS1_SHA384, KT_RSA, PAD_PKCS1, "SHA2-384", 48, 0, 0 },
    { KEEL_SIG_RSA_PKCS1_SHA512, KT_RSA, PAD_PKCS1, "SHA2-512", 64, 0, 0 },
    { KEEL_SIG_RSA_PKCS1_SHA224, KT_RSA, PAD_PKCS1, "SHA2-224", 28, 0, 0 },
    { KEEL_SIG_ECDSA_SHA224, KT_EC, PAD_NONE, "SHA2-224", 28, 0, 0 },
    { KEEL_SIG_RSA_PKCS1_SHA1, KT_RSA, PAD_PKCS1, "SHA1", 20, 0, 0 },
    { KEEL_SIG_ECDSA_SHA1, KT_EC, PAD_NONE, "SHA1", 20, 0, 0 },
};

static const scheme_info *scheme_find(uint16_t scheme)
{
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
        if (schemes[i].scheme == scheme)
            return &schemes[i];
    return NULL;
}

static int key_type(const EVP_PKEY *pkey)
{
    /* By the key's id first: EVP_PKEY_is_a looks the name up and allocates, and a failed
     * allocation would read as "not this type" (a client would then answer a CertificateRequest
     * with no certificate instead of failing). */
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA_PSS: return KT_RSA_PSS;
    case EVP_PKEY_RSA: return KT_RSA;
    case EVP_PKEY_EC: return KT_EC;
    case EVP_PKEY_ED25519: return KT_ED25519;
    case EVP_PKEY_ED448: return KT_ED448;
    default: break;
    }
    /* A provider's key without a legacy id. RSA-PSS first: a PSS key must not pass for an
     * rsaEncryption one. */
    if (EVP_PKEY_is_a(pkey, "RSA-PSS"))
        return KT_RSA_PSS;
    if (EVP_PKEY_is_a(pkey, "RSA"))
        return KT_RSA;
    if (EVP_PKEY_is_a(pkey, "EC"))
        return KT_EC;
    if (EVP_PKEY_is_a(pkey, "ED25519"))
        return KT_ED25519;
    if (EVP_PKEY_is_a(pkey, "ED448"))
        return KT_ED448;
    return -1;
}

/* The curve of an EC key; -1 if it cannot be read (every EC key has a group: an allocation
 * inside libcrypto failed). */
static int ec_curve_nid(const EVP_PKEY *pkey)
{
    char name[80];
    int nid;

    if (!EVP_PKEY_get_group_name(pkey, name, sizeof(name), NULL)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return -1;
    }
    if ((nid = OBJ_sn2nid(name)) == NID_undef)
        nid = EC_curve_nist2nid(name);
    return nid;
}

/* The curve as the certificate's SubjectPublicKeyInfo names it (RFC 5480 §2.1.1 namedCurve):
 * reading the parsed AlgorithmIdentifier allocates nothing, where EVP_PKEY_get_group_name
 * allocates 3 blocks per call (6 per handshake pair). Explicit curve parameters, or no
 * certificate, fall back to asking the key. x509's key is pkey's (or its private half: the
 * certificate slots check the pair as they are loaded). */
static int key_curve_nid(const EVP_PKEY *pkey, const X509 *x509)
{
    X509_PUBKEY *xpk = x509 != NULL ? X509_get_X509_PUBKEY(x509) : NULL;
    X509_ALGOR *alg = NULL;

    if (xpk != NULL && X509_PUBKEY_get0_param(NULL, NULL, NULL, &alg, xpk) && alg != NULL) {
        const ASN1_OBJECT *obj;
        const void *val;
        int type, nid;

        X509_ALGOR_get0(&obj, &type, &val, alg);
        if (type == V_ASN1_OBJECT && (nid = OBJ_obj2nid(val)) != NID_undef)
            return nid;
    }
    return ec_curve_nid(pkey);
}

int keel_sig_key_matches(const EVP_PKEY *pkey, uint16_t scheme, int tls13)
{
    return keel_sig_cert_matches(pkey, NULL, scheme, tls13) > 0;
}

int keel_sig_key_matches_ex(const EVP_PKEY *pkey, uint16_t scheme, int tls13)
{
    return keel_sig_cert_matches(pkey, NULL, scheme, tls13);
}

int keel_sig_cert_matches(const EVP_PKEY *pkey, const X509 *x509, uint16_t scheme, int tls13)
{
    const scheme_info *s = scheme_find(scheme);

    if (s == NULL || pkey == NULL || key_type(pkey) != s->key)
        return 0;
    if (tls13 && s->tls13 && s->curve_nid != 0) {
        int nid = key_curve_nid(pkey, x509);
        if (nid < 0)
            return -1;
        if (nid != s->curve_nid)
            return 0;
    }
    if (tls13 && !s->tls13)
        return 0;
    /* RFC 8017 §9.1.1: PSS needs emLen >= hLen + sLen + 2 with sLen = hLen (RFC 8446 §4.2.3), so
     * e.g. a 1024-bit key cannot do rsa_pss_*_sha512. */
    if (s->pad == PAD_PSS) {
        int bits = EVP_PKEY_get_bits(pkey);

        if (bits <= 0 || ((size_t)bits - 1 + 7) / 8 < 2 * s->hlen + 2)
            return 0;
    }
    return 1;
}

size_t keel_sig_max_len(const EVP_PKEY *pkey)
{
    int n = EVP_PKEY_get_size(pkey);

    return n > 0 ? (size_t)n : 0;
}

/* A digest-sign/verify context set up for the scheme's hash and padding. */
static EVP_MD_CTX *sig_ctx(const keel_algs *a, EVP_PKEY *pkey, const scheme_info *s, int sign)
{
    EVP_MD_CTX *mctx;
    EVP_PKEY_CTX *pctx = NULL;
    int ok;

    if ((mctx = EVP_MD_CTX_new()) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    ok = sign ? EVP_DigestSignInit_ex(mctx, &pctx, s->md, a->libctx, a->propq, pkey, NULL)
              : EVP_DigestVerifyInit_ex(mctx, &pctx, s->md, a->libctx, a->propq, pkey, NULL);
    if (ok > 0 && s->pad == PAD_PSS) {
        /* RFC 8446 §4.2.3: MGF1 with the signature's hash, salt as long as the hash. On verify,
         * RSA_PSS_SALTLEN_DIGEST also rejects any other salt length. The MGF1 hash goes through
         * the EVP_MD form of the setter: a key in an ENGINE (PKCS#11 tokens) has a legacy
         * EVP_PKEY_CTX that refuses the _name form (it returns 0) but takes the EVP_MD, while a
         * provider's context takes either. The padding comes first: the other two are only
         * accepted once PSS is selected. EVP_get_digestbyname's digests are static. */
        const EVP_MD *mgf1 = EVP_get_digestbyname(s->md);

        ok = mgf1 != NULL && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0
            && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, mgf1) > 0
            && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
    } else if (ok > 0 && s->pad == PAD_PKCS1) {
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
    }
    if (ok <= 0) {
        EVP_MD_CTX_free(mctx);
        return NULL;
    }
    return mctx;
}

/* ECDSA is signed and verified over a digest hashed here: libcrypto 3.0's DigestSign/VerifyInit
 * cost 15 allocations each, a key context over a digest 5 and the digest 2 (12 fewer per
 * handshake pair on each side). The signature is the same: ECDSA signs Hash(m) (FIPS 186-4
 * §6.4), truncated to the order inside libcrypto either way. No signature digest is set on the
 * context: it would only check the digest's length (ours is the scheme's) and costs 6
 * allocations more. A key without a provider (an ENGINE's, e.g. a PKCS#11 token through libp11)
 * keeps the DigestSign path: its legacy method wants the digest set. 1 = *out is the context (dg
 * holds s->hlen bytes); 0 = failed; -1 = not this path (not ECDSA, a legacy key, or a TLS
 * 1.2-only hash the schedule has no digest for). */
static int ec_prehashed(const keel_algs *a, EVP_PKEY *pkey, const scheme_info *s, int sign,
                        const uint8_t *msg, size_t msg_len, uint8_t *dg, EVP_PKEY_CTX **out)
{
    keel_hash_id id;
    EVP_PKEY_CTX *pctx;

    *out = NULL;
    if (s->key != KT_EC || EVP_PKEY_get0_provider(pkey) == NULL)
        return -1;
    switch (s->hlen) {
    case 32: id = KEEL_HASH_SHA256; break;
    case 48: id = KEEL_HASH_SHA384; break;
    case 64: id = KEEL_HASH_SHA512; break;
    default: return -1;
    }
    if (!keel_hash(a, id, msg, msg_len, dg))
        return 0;
    if ((pctx = EVP_PKEY_CTX_new_from_pkey(a->libctx, pkey, a->propq)) == NULL)
        return 0;
    if ((sign ? EVP_PKEY_sign_init(pctx) : EVP_PKEY_verify_init(pctx)) <= 0) {
        EVP_PKEY_CTX_free(pctx);
        return 0;
    }
    *out = pctx;
    return 1;
}

int keel_sig_sign(const keel_algs *a, EVP_PKEY *pkey, uint16_t scheme, const uint8_t *msg,
                  size_t msg_len, uint8_t *out, size_t *out_len)
{
    const scheme_info *s = scheme_find(scheme);
    EVP_MD_CTX *mctx;
    EVP_PKEY_CTX *pctx;
    uint8_t dg[KEEL_HASH_MAX_LEN];
    size_t siglen = *out_len;
    int ok, pre;

    if (s == NULL || !keel_sig_key_matches(pkey, scheme, 0)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_SIGNATURE_TYPE);
        return 0;
    }
    if (siglen < keel_sig_max_len(pkey)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
        return 0;
    }
    if ((pre = ec_prehashed(a, pkey, s, 1, msg, msg_len, dg, &pctx)) == 0) {
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        return 0;
    }
    if (pre > 0) {
        ok = EVP_PKEY_sign(pctx, out, &siglen, dg, s->hlen) > 0;
        EVP_PKEY_CTX_free(pctx);
    } else {
        if ((mctx = sig_ctx(a, pkey, s, 1)) == NULL) {
            ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
            return 0;
        }
        /* The caller offers exactly keel_sig_max_len() bytes (as libssl offers EVP_PKEY_get_size()):
         * libp11's RSA-PSS signer reports the offered length back as the signature's length. */
        ok = EVP_DigestSign(mctx, out, &siglen, msg, msg_len) > 0;
        EVP_MD_CTX_free(mctx);
    }
    OPENSSL_cleanse(dg, sizeof(dg));
    /* libcrypto 3.0's ECDSA can report success with a length of (unsigned)-1 when encoding the
     * signature fails for lack of memory: a length past the buffer is a failure. */
    if (!ok || siglen > *out_len) {
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        return 0;
    }
    *out_len = siglen;
    return 1;
}

int keel_sig_verify(const keel_algs *a, EVP_PKEY *pkey, uint16_t scheme, const uint8_t *msg,
                    size_t msg_len, const uint8_t *sig, size_t sig_len)
{
    const scheme_info *s = scheme_find(scheme);
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx;
    uint8_t dg[KEEL_HASH_MAX_LEN];
    int ok, pre;

    if (s == NULL || !keel_sig_key_matches(pkey, scheme, 0)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_SIGNATURE_TYPE);
        return 0;
    }
    /* A forged or malformed signature is the peer's doing: report the one SSL reason for it
     * (the caller sends decrypt_error, RFC 8446 §4.4.3) rather than libcrypto's details. */
    ERR_set_mark();
    if ((pre = ec_prehashed(a, pkey, s, 0, msg, msg_len, dg, &pctx)) == 0
            || (pre < 0 && (mctx = sig_ctx(a, pkey, s, 0)) == NULL)) {
        ERR_clear_last_mark();
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        return 0;
    }
    if (pre > 0) {
        ok = EVP_PKEY_verify(pctx, sig, sig_len, dg, s->hlen) == 1;
        EVP_PKEY_CTX_free(pctx);
    } else {
        ok = EVP_DigestVerify(mctx, sig, sig_len, msg, msg_len) == 1;
        EVP_MD_CTX_free(mctx);
    }
    ERR_pop_to_mark();
    if (!ok) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_SIGNATURE);
        return 0;
    }
    return 1;
}

int keel_cv_content(int server, const uint8_t *th, size_t th_len, uint8_t *out, size_t *out_len)
{
    /* RFC 8446 §4.4.3: 64 octets of 0x20, the context string, a single 0 byte, then the
     * transcript hash. */
    static const char srv[] = "TLS 1.3, server CertificateVerify";
    static const char cli[] = "TLS 1.3, client CertificateVerify";
    const char *ctx = server ? srv : cli;
    size_t clen = sizeof(srv) - 1, n = 64 + clen + 1 + th_len;

    if (th_len > KEEL_HASH_MAX_LEN || *out_len < n) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
        return 0;
    }
    memset(out, 0x20, 64);
    memcpy(out + 64, ctx, clen);
    out[64 + clen] = 0;
    memcpy(out + 64 + clen + 1, th, th_len);
    *out_len = n;
    return 1;
}
