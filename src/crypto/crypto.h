/* keel's crypto boundary: the only door from protocol code to libcrypto's EVP layer.
 *
 * Protocol code (record engine, handshake, key schedule) calls these functions and never sees an
 * EVP object; only the .c files of src/crypto/ include <openssl/evp.h>. Every algorithm is fetched
 * once into a `keel_algs` table (GUIDE "Performance principles": per-operation fetches are what
 * makes OpenSSL 3.0 handshakes slow), and every function takes that table.
 *
 * Conventions: 1 on success, 0 on failure with an error on the ERR stack (except keel_aead_open's
 * authentication failure, which is silent: the record layer decides what it means). */
#ifndef KEEL_CRYPTO_H
#define KEEL_CRYPTO_H

#include <openssl/sha.h>     /* SHA256_CTX, SHA512_CTX: keel_dg's direct form */
#include <openssl/types.h>   /* EVP_PKEY, OSSL_LIB_CTX as opaque types; no EVP API */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"

typedef struct keel_algs keel_algs;

/* ---- algorithm table (algs.c) ------------------------------------------------------------- */

/* The table for the default library context and no property query: built on first use, once per
 * process (thread-safe; a failed attempt is retried on the next call), and never freed — it lives as
 * long as the process (OpenSSL's own cleanup may run before any destructor of ours could). NULL if
 * SHA-256/HMAC cannot be fetched. */
const keel_algs *keel_algs_default(void);
/* A table of one's own for SSL_CTX_new_ex with a non-default libctx/propq. Algorithms the
 * provider lacks (e.g. ChaCha20 under FIPS) are simply absent: see the *_supported() queries. */
keel_algs *keel_algs_new(OSSL_LIB_CTX *libctx, const char *propq);
void keel_algs_free(keel_algs *algs);
OSSL_LIB_CTX *keel_algs_libctx(const keel_algs *algs);
const char *keel_algs_propq(const keel_algs *algs);

/* Random bytes from the table's library context (RAND_bytes_ex). */
int keel_random(const keel_algs *algs, uint8_t *out, size_t n);

/* ---- AEAD (aead.c) ------------------------------------------------------------------------ */

/* A suite's bulk cipher: the AEADs, then the two CBC block ciphers, which are never AEAD contexts
 * (a suite with a MAC uses keel_cbc_*, below). */
typedef enum {
    KEEL_AEAD_AES_128_GCM, KEEL_AEAD_AES_256_GCM, KEEL_AEAD_CHACHA20_POLY1305,
    KEEL_AEAD_AES_128_CCM, KEEL_AEAD_AES_256_CCM,        /* RFC 6655 / RFC 8446 §B.4: 16-byte tag */
    KEEL_AEAD_AES_128_CCM_8, KEEL_AEAD_AES_256_CCM_8,    /* RFC 6655 §3: 8-byte tag */
    KEEL_CBC_AES_128, KEEL_CBC_AES_256,                  /* RFC 5246 §6.2.3.2 block ciphers */
} keel_aead_id;
#define KEEL_AEAD_TAG_LEN 16         /* the longest tag; keel_aead_tag_len gives each AEAD's */
#define KEEL_AEAD_NONCE_LEN 12
#define KEEL_AEAD_MAX_KEY_LEN 32

size_t keel_aead_key_len(keel_aead_id id);           /* 16 or 32 (also for the CBC ciphers) */
size_t keel_aead_tag_len(keel_aead_id id);           /* 16, or 8 for CCM_8 */
int keel_aead_supported(const keel_algs *algs, keel_aead_id id);
typedef struct keel_aead_ctx keel_aead_ctx;            /* one per direction, kept for the connection's life */
keel_aead_ctx *keel_aead_new(const keel_algs *algs, keel_aead_id id, int enc); /* enc=1 seal, 0 open */
int keel_aead_set_key(keel_aead_ctx *c, const uint8_t *key);   /* (re)key; no reallocation */
int keel_aead_seal(keel_aead_ctx *c, const uint8_t nonce[KEEL_AEAD_NONCE_LEN],
                   const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                   uint8_t *out);
/* Seals in || tail (one byte) into out (not overlapping in), tag after it: a TLS 1.3 record's
 * content and inner type (RFC 8446 §5.2) go from the caller's buffer straight into the record,
 * with no copy for GCM and ChaCha20-Poly1305 (CCM assembles the message in out first). */
int keel_aead_seal_tail(keel_aead_ctx *c, const uint8_t nonce[KEEL_AEAD_NONCE_LEN],
                        const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t tail,
                        uint8_t *out);   /* writes len + KEEL_AEAD_TAG_LEN bytes; in == out allowed */
int keel_aead_open(keel_aead_ctx *c, const uint8_t nonce[KEEL_AEAD_NONCE_LEN],
                   const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                   uint8_t *out);   /* len includes the tag; writes len - TAG bytes; in == out allowed;
                                       returns 0 on authentication failure (no ERR needed) */
/* keel_aead_open with the plaintext in two places: its first out_len bytes to out, the rest to
 * rest (neither may overlap the other; each may be the ciphertext's own place). The record layer
 * decrypts a record's content straight into the application's buffer this way. GCM and
 * ChaCha20-Poly1305 only (CCM takes the message in one piece: returns 0). On failure both parts
 * are cleansed. */
int keel_aead_open_split(keel_aead_ctx *c, const uint8_t nonce[KEEL_AEAD_NONCE_LEN],
                         const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                         uint8_t *out, size_t out_len, uint8_t *rest);
int keel_aead_can_split(keel_aead_id id);   /* whether keel_aead_open_split works for id */
void keel_aead_free(keel_aead_ctx *c);

/* ---- CBC suites: TLS 1.2 GenericBlockCipher (cbc.c) ----------------------------------------
 * RFC 5246 §6.2.3.2 (MAC-then-encrypt) and RFC 7366 (encrypt_then_mac). The record engine builds
 * the additional data and checks the sizes; these functions do the record's cryptography: MAC,
 * padding, explicit IV, CBC. MAC-then-encrypt records are opened in constant time (Lucky13):
 * libcrypto's stitched AES-CBC-HMAC ciphers where it offers them (they check padding and MAC
 * themselves), otherwise keel's own path, which does the same work and feeds the hash the same
 * number of blocks whatever the padding (cbc.c). */
typedef enum { KEEL_MAC_AEAD = 0, KEEL_MAC_SHA1, KEEL_MAC_SHA256, KEEL_MAC_SHA384 } keel_mac_id;
#define KEEL_CBC_BLOCK 16            /* AES block = record_iv_length (RFC 5246 §6.2.3.2) */
#define KEEL_MAC_MAX_LEN 48
/* The 11 bytes of the MAC input before the length: seq_num(8) type(1) version(2). */
#define KEEL_CBC_AD_LEN 11

size_t keel_mac_len(keel_mac_id mac);                /* 0, 20, 32, 48 */
int keel_cbc_supported(const keel_algs *algs, keel_aead_id enc, keel_mac_id mac);
typedef struct keel_cbc_ctx keel_cbc_ctx;
/* etm: RFC 7366 encrypt-then-MAC. stitched: use libcrypto's AES-CBC-HMAC cipher when it has one
 * for this pair (MAC-then-encrypt with SHA-1 or SHA-256 only); 0 forces the generic path. */
keel_cbc_ctx *keel_cbc_new(const keel_algs *algs, keel_aead_id enc, keel_mac_id mac, int seal,
                           int etm, int stitched);
int keel_cbc_set_key(keel_cbc_ctx *c, const uint8_t *mac_key, const uint8_t *key);
int keel_cbc_is_stitched(const keel_cbc_ctx *c);
/* Bytes a sealed record of len plaintext bytes takes: IV, content, MAC, minimal padding. */
size_t keel_cbc_sealed_len(const keel_cbc_ctx *c, size_t len);
/* Seals len bytes of in (not overlapping out) into out (keel_cbc_sealed_len bytes). ad is
 * seq_num || type || version. A fresh random explicit IV per record. */
int keel_cbc_seal(keel_cbc_ctx *c, const uint8_t ad[KEEL_CBC_AD_LEN], const uint8_t *in, size_t len,
                  uint8_t *out);
/* Whether len bytes can be a record of this context at all (a multiple of the block, long enough
 * for IV, MAC and one padding byte): the record engine refuses the rest before any work. */
int keel_cbc_len_ok(const keel_cbc_ctx *c, size_t len);
/* Opens buf[0..len) in place (len passed keel_cbc_len_ok); the content is buf[*off .. *off+*plen).
 * 0 on a bad MAC or bad padding alike, with the same work done (no ERR: the record layer decides). */
int keel_cbc_open(keel_cbc_ctx *c, const uint8_t ad[KEEL_CBC_AD_LEN], uint8_t *buf, size_t len,
                  size_t *off, size_t *plen);
/* Test hook (tests/unit/record_cbc.c): the bytes the last keel_cbc_open fed to the MAC, and the
 * bytes it fed to the dummy hash to even out the compression-function calls; 0, 0 on the stitched
 * path, whose constant-time check is libcrypto's. */
void keel_cbc_last_work(const keel_cbc_ctx *c, size_t *mac_bytes, size_t *dummy_bytes);
void keel_cbc_free(keel_cbc_ctx *c);

/* ---- hashes, transcript (hash.c) ---------------------------------------------------------- */

typedef enum { KEEL_HASH_SHA256, KEEL_HASH_SHA384, KEEL_HASH_SHA512 } keel_hash_id;
#define KEEL_HASH_MAX_LEN 64

/* The table's fetched digest, as an opaque object for application callbacks that are handed one
 * (SSL_CTX_set_psk_use_session_callback(3)'s md); NULL with a reason if absent (algs.c). */
const EVP_MD *keel_hash_md(const keel_algs *algs, keel_hash_id id);
size_t keel_hash_len(keel_hash_id id);                  /* 32, 48, 64 */
int keel_hash(const keel_algs *algs, keel_hash_id id, const uint8_t *data, size_t len, uint8_t *out);

/* One running hash (digest.c): libcrypto's SHA-2 state itself where the table's digest is the
 * default provider's (no allocation; a copy is a struct copy), else an EVP_MD_CTX over the fetched
 * digest, made on first use. Embed it by value; the fields are digest.c's. */
typedef struct {
    EVP_MD_CTX *md;         /* the EVP form's context (NULL until used; always NULL if direct) */
    const EVP_MD *type;
    uint8_t id;             /* keel_hash_id */
    bool direct;            /* s is the state */
    bool live;              /* s holds a state to cleanse */
    union { SHA256_CTX c256; SHA512_CTX c512; } s;
} keel_dg;
/* Setup allocates nothing and cannot fail (id must be a hash the table has: keel_hash_md). A
 * copy's destination is set up with the same hash. Cleanup frees and cleanses. */
void keel_dg_setup(keel_dg *d, const keel_algs *algs, keel_hash_id id);
int keel_dg_start(keel_dg *d);
int keel_dg_update(keel_dg *d, const void *data, size_t len);
int keel_dg_final(keel_dg *d, uint8_t *out);              /* keel_hash_len bytes */
int keel_dg_copy(keel_dg *dst, const keel_dg *src);
void keel_dg_cleanup(keel_dg *d);

/* The running handshake hash (RFC 8446 §4.4.1). Embed it by value; fields are private to hash.c.
 * A client sends ClientHello before it knows the suite's hash, so a transcript may start in
 * buffering mode (keel_transcript_init) and learn its hash later (keel_transcript_set_hash), which
 * replays the buffered bytes. */
typedef struct keel_transcript {
    const keel_algs *algs;
    keel_hash_id id;
    int hashing;            /* id is known and md holds the running hash */
    int keep_buffer;        /* keep the raw messages after set_hash (TLS 1.2 client auth) */
    keel_dg md, scratch;
    uint8_t *buf;
    size_t len, cap;
    /* The last hash taken of the running state while no message came since (a TLS 1.3 side
     * hashes the same point twice: application secrets and the client's Finished). Each take
     * copies the digest state (an allocation in the EVP form). */
    int last_valid;
    uint8_t last[KEEL_HASH_MAX_LEN];
} keel_transcript;

int keel_transcript_init(keel_transcript *t, const keel_algs *algs);            /* buffering */
int keel_transcript_init_hash(keel_transcript *t, const keel_algs *algs, keel_hash_id id);
int keel_transcript_set_hash(keel_transcript *t, keel_hash_id id);   /* fails if already hashing */
void keel_transcript_keep_buffer(keel_transcript *t);   /* call before set_hash to retain raw bytes */
int keel_transcript_update(keel_transcript *t, const uint8_t *data, size_t len);
/* Hash of everything so far, without disturbing the running state. Fails while buffering. */
int keel_transcript_current(keel_transcript *t, uint8_t *out);
/* Hash(transcript || extra) with hash `id`, leaving t untouched; works in buffering mode too (PSK
 * binders over a truncated ClientHello, RFC 8446 §4.2.11.2). When hashing, id must equal t->id. */
int keel_transcript_current_with(keel_transcript *t, keel_hash_id id,
                                 const uint8_t *extra, size_t extra_len, uint8_t *out);
/* RFC 8446 §4.4.1: after a HelloRetryRequest, replace ClientHello1 by the synthetic message
 * message_hash(254) || 00 00 Hash.length || Hash(ClientHello1). Call with exactly ClientHello1 in
 * the transcript, before adding the HRR. */
int keel_transcript_hrr_rewrite(keel_transcript *t);
/* The raw bytes (buffering mode, or keep_buffer). */
int keel_transcript_buffer(const keel_transcript *t, const uint8_t **data, size_t *len);
/* ---- tickets sealed by an application's callback (ticket_evp.c) ---- */
typedef int (*keel_ticket_cb)(SSL *, unsigned char *, unsigned char *, EVP_CIPHER_CTX *, EVP_MAC_CTX *, int);
typedef int (*keel_ticket_hmac_cb)(SSL *, unsigned char *, unsigned char *, EVP_CIPHER_CTX *, HMAC_CTX *, int);
/* The two forms of the application's ticket callback: evp if set, else hmac. */
typedef struct {
    keel_ticket_cb evp;
    keel_ticket_hmac_cb hmac;
} keel_ticket_cbs;
/* 1 = sealed into *out, 0 = the callback declined, -1 = error */
int keel_ticket_cb_seal(const keel_algs *algs, const keel_ticket_cbs *cbs, SSL *s, const uint8_t *pt,
                        size_t len, uint8_t **out, size_t *out_len);
/* 1 or 2 (renew) = opened into *pt, 0 = not usable (full handshake), -1 = the callback failed */
int keel_ticket_cb_open(const keel_algs *algs, const keel_ticket_cbs *cbs, SSL *s, const uint8_t *t,
                        size_t len, uint8_t **pt, size_t *pt_len);

/* An independent copy of a hashing transcript (post-handshake authentication branches off the
 * handshake's transcript, RFC 8446 §4.4). */
int keel_transcript_dup(keel_transcript *dst, const keel_transcript *src);
void keel_transcript_cleanup(keel_transcript *t);

/* ---- HMAC, HKDF, TLS 1.2 PRF (hkdf.c) ----------------------------------------------------- */

int keel_hmac(const keel_algs *algs, keel_hash_id id, const uint8_t *key, size_t key_len,
              const uint8_t *data, size_t len, uint8_t *out);            /* writes keel_hash_len */
/* RFC 5869 §2.2; salt may be NULL (= HashLen zeros). Writes keel_hash_len(hash) bytes. */
int keel_hkdf_extract(const keel_algs *algs, keel_hash_id hash, const uint8_t *salt, size_t salt_len,
                      const uint8_t *ikm, size_t ikm_len, uint8_t *out);
/* RFC 5869 §2.3 with a raw info string; out_len <= 255 * HashLen. In all expand/derive functions
 * `out` must not overlap the input secret. */
int keel_hkdf_expand(const keel_algs *algs, keel_hash_id hash, const uint8_t *prk,
                     const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);
/* RFC 8446 §7.1 HKDF-Expand-Label; `label` without the "tls13 " prefix (added here). secret is
 * keel_hash_len(hash) bytes. */
/* Hash("") and the TLS 1.3 handshake stage's salt without a PSK, Derive-Secret(HKDF-Extract(0,
 * 0), "derived", "") (RFC 8446 §7.1): the table's constants, or NULL if it could not compute them. */
const uint8_t *keel_hash_empty(const keel_algs *algs, keel_hash_id id);
const uint8_t *keel_tls13_salt_no_psk(const keel_algs *algs, keel_hash_id id);
int keel_hkdf_expand_label(const keel_algs *algs, keel_hash_id hash, const uint8_t *secret,
                           const char *label, const uint8_t *ctx, size_t ctx_len,
                           uint8_t *out, size_t out_len);
/* Same with a counted label (exporter labels are application bytes, RFC 8446 §7.5). */
int keel_hkdf_expand_label_n(const keel_algs *algs, keel_hash_id hash, const uint8_t *secret,
                             const uint8_t *label, size_t label_len, const uint8_t *ctx, size_t ctx_len,
                             uint8_t *out, size_t out_len);
/* RFC 8446 §7.1 Derive-Secret(Secret, Label, Messages) given Transcript-Hash(Messages). */
int keel_derive_secret(const keel_algs *algs, keel_hash_id hash, const uint8_t *secret,
                       const char *label, const uint8_t *transcript_hash, uint8_t *out);
/* RFC 5246 §5 PRF(secret, label, seed) = P_<hash>(secret, label || seed). */
int keel_tls12_prf(const keel_algs *algs, keel_hash_id hash, const uint8_t *secret, size_t secret_len,
                   const char *label, const uint8_t *seed, size_t seed_len,
                   uint8_t *out, size_t out_len);

/* A reusable HMAC context for one hash (hkdf.c). Each call takes a key, or NULL for "the key of
 * the previous call": RFC 2104's padded keys are then not hashed again, so a chain of
 * HKDF-Expand-Label calls under one secret (RFC 8446 §7.1, §7.3) pays for the key once, and the
 * context is allocated once rather than per operation. Freeing cleanses the keyed state. */
/* HMAC (RFC 2104) driven over one digest context; its fields are hkdf.c's. */
typedef struct {
    keel_dg md;
    keel_dg ist, ost;       /* the digest states after K ^ ipad and K ^ opad, when kept */
    int states;             /* ist and ost hold the current key's states */
    int mode;               /* the running MAC's: plain, from copies, or consuming the states */
    size_t hlen, blen;
    uint8_t k[128];         /* the key padded to the block size (SHA-512's is the largest) */
} keel_hm;
/* Declared here only so that an owner can embed one (keel_prf_init/cleanup, e.g. the TLS 1.3
 * key schedule: one allocation fewer per handshake); the fields are hkdf.c's. */
typedef struct keel_prf {
    keel_hm h;                  /* its digest context reused; k: the key while keyed */
    const keel_algs *algs;
    keel_hash_id id;
    int keyed;
    int again;                  /* keel_prf_again: the next call's key is used once more */
} keel_prf;
keel_prf *keel_prf_new(const keel_algs *algs, keel_hash_id id);
void keel_prf_free(keel_prf *prf);
/* In place: init sets up the running hashes, allocating nothing (on failure, an unknown hash,
 * nothing to clean up); cleanup frees and cleanses them. */
int keel_prf_init(keel_prf *prf, const keel_algs *algs, keel_hash_id id);
void keel_prf_cleanup(keel_prf *prf);
keel_hash_id keel_prf_hash(const keel_prf *prf);
/* HMAC(key, data) -> keel_hash_len bytes; HKDF-Extract is keel_prf_hmac(salt, ikm). */
int keel_prf_hmac(keel_prf *prf, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
                  uint8_t *out);
/* HKDF-Expand-Label(secret, label, ctx, out_len); secret NULL: the previous key. */
int keel_prf_expand_label(keel_prf *prf, const uint8_t *secret, const char *label, const uint8_t *ctx,
                          size_t ctx_len, uint8_t *out, size_t out_len);
/* A hint, for the next keel_prf_hmac / keel_prf_expand_label call only: its key will be used
 * again by the call after it (which passes NULL). That call then keeps the key's pad states
 * (two digest contexts, made once per keel_prf) so that the later ones skip the two pad blocks;
 * the first call without the hint uses them up. Results never depend on it: a wrong hint costs a
 * digest start or two, nothing else. */
void keel_prf_again(keel_prf *prf);
/* HKDF-Extract(salt, ikm) under one of the TLS 1.3 schedule's fixed salts: KEEL_FIXED_ZERO (no
 * salt: Hash.length zeros, RFC 8446 §7.1's Early Secret) or KEEL_FIXED_SALT0 (the no-PSK salt,
 * keel_tls13_salt_no_psk). From the table's pad states where it has them. Leaves no key (a NULL
 * key next is refused). */
enum { KEEL_FIXED_ZERO, KEEL_FIXED_SALT0 };
int keel_prf_extract_fixed(keel_prf *prf, int which, const uint8_t *ikm, size_t ikm_len, uint8_t *out);
/* The TLS 1.2 PRF (as keel_tls12_prf); secret NULL: the previous key. */
int keel_prf_tls12(keel_prf *prf, const uint8_t *secret, size_t secret_len, const char *label,
                   const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);

/* ---- key exchange (kex.c) ----------------------------------------------------------------- */

/* Groups by their TLS codepoint (KEEL_GROUP_* in common/proto.h). */
typedef struct keel_kex keel_kex;
#define KEEL_KEX_MAX_PUBLIC 1024   /* ffdhe8192 share; x25519 32, secp521r1 133 */
#define KEEL_KEX_MAX_SECRET 1024

int keel_kex_supported(const keel_algs *algs, uint16_t group);
keel_kex *keel_kex_new(const keel_algs *algs, uint16_t group);   /* generates the key pair */
uint16_t keel_kex_group(const keel_kex *kex);
/* Our share as a KeyShareEntry.key_exchange body (RFC 8446 §4.2.8.2: X25519/X448 raw, NIST curves
 * uncompressed 04||X||Y; §4.2.8.1 FFDHE public value left-padded to the prime's size). Same bytes
 * serve TLS 1.2's ECPoint (RFC 4492 §5.4). */
int keel_kex_public(const keel_kex *kex, uint8_t *out, size_t *out_len);  /* *out_len: in cap, out len */
int keel_kex_public_wr(const keel_kex *kex, keel_wr *w);                   /* appends, no prefix */
/* Validates the peer's share (length, uncompressed form, on curve, DH range, non-zero X25519/X448
 * result) and writes the shared secret (RFC 8446 §7.4). Fails with SSL_R_BAD_ECPOINT (curves) or
 * SSL_R_BAD_DH_VALUE (ffdhe): the caller sends illegal_parameter. *out_len: in cap, out len. */
int keel_kex_derive(keel_kex *kex, const uint8_t *peer, size_t peer_len, uint8_t *out, size_t *out_len);
void keel_kex_free(keel_kex *kex);
/* Public-only copies of our share and the peer's (1), or 0 leaving both NULL. */
/* A public-only copy of our share (NULL if it cannot be made). */
EVP_PKEY *keel_kex_own_public(const keel_kex *kex);
int keel_kex_tmp_keys(const keel_kex *kex, const uint8_t *peer, size_t peer_len, EVP_PKEY **ours,
                      EVP_PKEY **theirs);
/* A public-only key of a named group from its share's bytes (1), or 0 with *out NULL: what
 * keel_kex_tmp_keys gives, built later from bytes kept instead of the key objects. */
int keel_kex_pub_key(const keel_algs *algs, uint16_t group, const uint8_t *pub, size_t pub_len,
                     EVP_PKEY **out);

/* ---- TLS 1.2 finite-field DHE (kex_dh.c) --------------------------------------------------- */

/* A key pair in DH (or DHX) parameters the server chose (a reference to params is taken). The
 * object then works with keel_kex_public (Y padded to the prime's size), keel_kex_derive (Z with
 * leading zeros stripped, RFC 5246 §8.1.2; the peer's Y of any length, 1 < Y < p-1) and
 * keel_kex_tmp_keys. keel_kex_group is 0. */
keel_kex *keel_dhe_new(const keel_algs *algs, EVP_PKEY *params);
/* The client's key pair in the ServerDHParams' p and g (big-endian). *bad = 1 (SSL_R_BAD_DH_VALUE
 * raised) when the parameters are no group: zero, larger than 8192 bits, or failing libcrypto's
 * quick parameter check; 0 with NULL for an internal failure. */
keel_kex *keel_dhe_new_peer(const keel_algs *algs, const uint8_t *p, size_t plen, const uint8_t *g,
                            size_t glen, int *bad);
/* SSL_CTX_set_dh_auto's parameters for a security strength, as OpenSSL 3.0 chooses them. New
 * reference, or NULL. */
EVP_PKEY *keel_dhe_auto_params(const keel_algs *algs, int secbits);
/* Appends ServerDHParams (dh_p, dh_g, dh_Ys, each <1..2^16-1>, RFC 5246 §7.4.3). */
int keel_dhe_params_wr(const keel_kex *kex, keel_wr *w);
/* An application's DH object's parameters as a provider key (new reference), or NULL. */
EVP_PKEY *keel_dh_to_pkey(const DH *dh);
/* The key exchange's domain parameters (NULL for X25519/X448); not a new reference. */
EVP_PKEY *keel_kex_params(const keel_kex *kex);
/* EVP_PKEY_get_security_bits, 0 for NULL (what SSL_SECOP_TMP_DH is asked with). */
int keel_pkey_security_bits(const EVP_PKEY *pk);

/* ---- TLS 1.2 RSA key transport (rsa_kx.c) ------------------------------------------------- */

int keel_rsa_kx_key_ok(const EVP_PKEY *pk);          /* an rsaEncryption key (not RSA-PSS) */
size_t keel_rsa_kx_size(const EVP_PKEY *pk);         /* the modulus' size in bytes */
/* RSAES-PKCS1-v1_5 of the premaster secret; *out_len: in cap, out len. */
int keel_rsa_kx_encrypt(const keel_algs *algs, EVP_PKEY *pub, const uint8_t *pms, size_t pms_len,
                        uint8_t *out, size_t *out_len);
/* RFC 5246 §7.4.7.1 with implicit rejection: 1 = pms holds the premaster secret, or a random one
 * if padding, length or version (client_version, the rollback check) were wrong — the caller
 * cannot tell and must not try; 0 = the ciphertext is publicly invalid (size, range); -1 = an
 * internal failure. SSL_R_DECRYPTION_FAILED is raised for 0 and -1. */
int keel_rsa_kx_decrypt(const keel_algs *algs, EVP_PKEY *priv, const uint8_t *in, size_t len,
                        unsigned client_version, uint8_t pms[48]);

/* ---- signatures (sig.c) ------------------------------------------------------------------- */

/* Schemes by their TLS codepoint (KEEL_SIG_* in common/proto.h). The whole message is passed;
 * the scheme's hash is applied inside. Sign/verify check that the key type fits the scheme (the
 * TLS 1.2 rules: any EC curve for ecdsa_*); TLS 1.3's stricter pairing is keel_sig_key_matches(.., 1). */
int keel_sig_sign(const keel_algs *algs, EVP_PKEY *pkey, uint16_t scheme, const uint8_t *msg,
                  size_t msg_len, uint8_t *out, size_t *out_len);   /* *out_len: in cap, out len */
int keel_sig_verify(const keel_algs *algs, EVP_PKEY *pkey, uint16_t scheme, const uint8_t *msg,
                    size_t msg_len, const uint8_t *sig, size_t sig_len);
/* Can this key sign/verify with this scheme? tls13: RFC 8446 §4.2.3's rules (ECDSA curve bound to
 * the hash, no PKCS#1 v1.5 / SHA-1 in handshake signatures). */
int keel_sig_key_matches(const EVP_PKEY *pkey, uint16_t scheme, int tls13);
/* The same, -1 (error raised) when libcrypto cannot tell (an allocation failed). */
int keel_sig_key_matches_ex(const EVP_PKEY *pkey, uint16_t scheme, int tls13);
/* keel_sig_key_matches_ex for a key with its certificate (x509 may be NULL): the curve is read
 * from the certificate, which allocates nothing. */
int keel_sig_cert_matches(const EVP_PKEY *pkey, const X509 *x509, uint16_t scheme, int tls13);
size_t keel_sig_max_len(const EVP_PKEY *pkey);
/* RFC 8446 §4.4.3 CertificateVerify signed content: 64 spaces, context string, 0x00, hash. */
#define KEEL_CV_CONTENT_MAX (64 + 33 + 1 + KEEL_HASH_MAX_LEN)
int keel_cv_content(int server, const uint8_t *th, size_t th_len, uint8_t *out, size_t *out_len);

#endif
