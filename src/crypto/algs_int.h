/* The algorithm table's layout: private to src/crypto/. */
#ifndef KEEL_CRYPTO_ALGS_INT_H
#define KEEL_CRYPTO_ALGS_INT_H

#include <openssl/evp.h>
#include <stdatomic.h>
#include "crypto/crypto.h"

#define KEEL_NUM_AEADS 7      /* the AEAD ids of keel_aead_id (the CBC ids follow them) */
#define KEEL_NUM_HASHES 3
#define KEEL_NUM_EC 3        /* P-256, P-384, P-521 */
#define KEEL_NUM_FFDHE 5     /* ffdhe2048 .. ffdhe8192 */
#define KEEL_NUM_GROUPS 10   /* kex.c's named-group table */
#define KEEL_KEYGEN_POOL 4   /* spare key-generation contexts per group */

struct keel_algs {
    OSSL_LIB_CTX *libctx;
    char *propq;
    EVP_CIPHER *aead[KEEL_NUM_AEADS];   /* by keel_aead_id; NULL if the provider lacks it */
    EVP_CIPHER *cbc[2];                 /* AES-128-CBC, AES-256-CBC */
    /* libcrypto's stitched MAC-then-encrypt ciphers, [aes128/256][sha1/sha256]; NULL where the
     * provider has none (no AES-NI): the generic constant-time path is used then. */
    EVP_CIPHER *stitched[2][2];
    EVP_MD *md[KEEL_NUM_HASHES];        /* by keel_hash_id */
    /* md[i] is the default provider's (no engine either): keel_dg runs libcrypto's SHA-2 code
     * directly (digest.c). */
    bool direct[KEEL_NUM_HASHES];
    EVP_MD *sha1;                       /* legacy signatures only (RFC 8446 §4.2.3 rsa_pkcs1_sha1) */
    EVP_MAC *hmac;                      /* CBC records' MACs, ticket key callbacks (HKDF: hkdf.c) */
    /* Domain parameters to generate keys from: saves the key manager lookup and the curve setup
     * on every key share. NULL if the group is unavailable. */
    EVP_PKEY *ec_params[KEEL_NUM_EC];
    EVP_PKEY *dh_params[KEEL_NUM_FFDHE];
    int have_x25519, have_x448;
    /* Key-generation contexts, initialised and ready (kex.c): taken and given back with atomic
     * exchanges, so a key share costs no key-manager lookup by name and no lock. They hold no
     * secret (the generated key leaves with its EVP_PKEY). A mutable cache in a table that is
     * otherwise read-only after creation. */
    _Atomic(EVP_PKEY_CTX *) keygen_pool[KEEL_NUM_GROUPS][KEEL_KEYGEN_POOL];
    /* X25519, X448 (by the group's idx): a public key of each, made once, that key shares are
     * generated and peer shares decoded from: EVP_PKEY_CTX_new_from_name and
     * EVP_PKEY_new_raw_public_key_ex fetch the key manager on every call. NULL: by name. */
    EVP_PKEY *ecx_tmpl[2];
    /* Constants of the TLS 1.3 key schedule per hash, computed once (RFC 8446 §7.1): Hash("")
     * and, for a handshake without a PSK, Derive-Secret(HKDF-Extract(0, 0), "derived", ""). Each
     * costs a digest context or two HMACs (allocations) when computed per handshake. */
    int have_consts[KEEL_NUM_HASHES];
    uint8_t empty_hash[KEEL_NUM_HASHES][KEEL_HASH_MAX_LEN];
    uint8_t salt_no_psk[KEEL_NUM_HASHES][KEEL_HASH_MAX_LEN];
    /* HMAC's digest states after K ^ ipad and K ^ opad for the schedule's two fixed extract
     * keys, [hash][KEEL_FIXED_*][0 ipad, 1 opad] (hkdf.c keel_prf_extract_fixed): each extract
     * under them starts from copies (read-only, so shared by every thread) instead of hashing
     * the two pad blocks. have_fixed_pads[i] 0 where not made (the extract then pads the key
     * itself). */
    int have_fixed_pads[KEEL_NUM_HASHES];
    keel_dg fixed_pads[KEEL_NUM_HASHES][2][2];
};

/* Fills have_consts / empty_hash / salt_no_psk (hkdf.c); a failure leaves have_consts 0. */
void keel_algs_consts(keel_algs *a);
/* Frees what keel_algs_consts made (the fixed pad states). */
void keel_algs_consts_free(keel_algs *a);

#endif
