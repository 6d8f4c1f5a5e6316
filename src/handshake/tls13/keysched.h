/* The TLS 1.3 key schedule (RFC 8446 §7.1) and what hangs off it: traffic keys (§7.3), KeyUpdate
 * (§7.2), Finished (§4.4.4), PSK binders (§4.2.11.2), resumption (§4.6.1) and exporters (§7.5).
 *
 * A keel_ks walks the three extract stages
 *     Early Secret -> Handshake Secret -> Master Secret
 * and derives each stage's secrets from transcript hashes the caller supplies (the schedule never
 * sees messages). Secrets are Hash.length bytes; buffers of KEEL_HASH_MAX_LEN always suffice.
 * Every function returns 1/0. keel_ks_cleanup cleanses. */
#ifndef KEEL_KEYSCHED_H
#define KEEL_KEYSCHED_H

#include "crypto/crypto.h"

/* The longest hash of a TLS suite (SHA-384; KEEL_HASH_MAX_LEN also admits SHA-512, which no suite
 * uses): what the connection keeps of each secret and Finished is this long at most, and
 * keel_ks_init refuses a longer hash. */
#define KEEL_SUITE_HASH_MAX 48

enum { KEEL_KS_NONE, KEEL_KS_EARLY, KEEL_KS_HANDSHAKE, KEEL_KS_MASTER };

typedef struct {
    const keel_algs *algs;
    keel_hash_id hash;
    size_t hlen;
    int stage;                            /* which secret `secret` holds */
    uint8_t secret[KEEL_HASH_MAX_LEN];
    /* One HMAC context for the whole schedule (made on first use, with one pair of pad-state
     * contexts made on the first keel_prf_again); prf_keyed: it holds the key `secret`, so the
     * stage's Derive-Secret calls reuse it (keel_prf in crypto.h). Runs of derivations under one
     * secret (the handshake secret's three, the master secret's first three, a traffic secret's
     * key, iv and finished key, the early secret's binder key and next salt) share the secret's
     * kept pad states. */
    keel_prf prf;                         /* embedded: no allocation of its own */
    /* The next stage's salt, derived ahead by keel_ks_handshake and (carry_on) by
     * keel_ks_binder_key (keysched.c says why). */
    uint8_t salt_next[KEEL_HASH_MAX_LEN];
    int have_salt_next;
    int carry_on;                         /* keel_ks_carry_on */
    int prf_ready;                        /* prf initialised */
    int prf_keyed;
} keel_ks;

int keel_ks_init(keel_ks *ks, const keel_algs *algs, keel_hash_id hash);
/* Also for a zeroed keel_ks that never went through keel_ks_init. */
void keel_ks_cleanup(keel_ks *ks);

/* ---- the three stages -------------------------------------------------------------------- */

/* Early Secret = HKDF-Extract(0, PSK); psk NULL means no PSK (Hash.length zeros). */
int keel_ks_early(keel_ks *ks, const uint8_t *psk, size_t psk_len);
/* Handshake Secret = HKDF-Extract(Derive-Secret(ES, "derived", ""), (EC)DHE); dhe NULL for
 * psk_ke (zeros). Calls keel_ks_early(ks, NULL, 0) first if no early stage was set up. */
int keel_ks_handshake(keel_ks *ks, const uint8_t *dhe, size_t dhe_len);
/* Master Secret = HKDF-Extract(Derive-Secret(HS, "derived", ""), 0). */
int keel_ks_master(keel_ks *ks);

/* ---- secrets of each stage (th = Transcript-Hash of the messages RFC 8446 §7.1 names) --------- */

/* Early stage. th = ClientHello. */
int keel_ks_binder_key(keel_ks *ks, int external, uint8_t *out);   /* "ext binder" / "res binder" */
/* The schedule goes on past its binders to the handshake stage (it is the handshake's, not one
 * made for a binder): the binder key's derivation then also derives the next stage's salt, which
 * needs no transcript, while the Early Secret's HMAC pad states are at hand. */
void keel_ks_carry_on(keel_ks *ks);
int keel_ks_client_early_traffic(keel_ks *ks, const uint8_t *th, uint8_t *out);
int keel_ks_early_exporter_master(keel_ks *ks, const uint8_t *th, uint8_t *out);
/* Handshake stage. th = ClientHello..ServerHello. */
int keel_ks_client_hs_traffic(keel_ks *ks, const uint8_t *th, uint8_t *out);
int keel_ks_server_hs_traffic(keel_ks *ks, const uint8_t *th, uint8_t *out);
/* Master stage. th = ClientHello..server Finished, except resumption: ..client Finished. */
int keel_ks_client_app_traffic(keel_ks *ks, const uint8_t *th, uint8_t *out);
int keel_ks_server_app_traffic(keel_ks *ks, const uint8_t *th, uint8_t *out);
int keel_ks_exporter_master(keel_ks *ks, const uint8_t *th, uint8_t *out);
int keel_ks_resumption_master(keel_ks *ks, const uint8_t *th, uint8_t *out);

/* ---- stateless helpers (a secret in, bytes out) ------------------------------------------ */

/* §7.3: write key (key_len bytes: keel_aead_key_len) and 12-byte IV from a traffic secret. */
int keel_ks_traffic_keys(const keel_algs *algs, keel_hash_id hash, const uint8_t *secret,
                         uint8_t *key, size_t key_len, uint8_t iv[KEEL_AEAD_NONCE_LEN]);
/* The same on ks's HMAC context when ks (may be NULL) is a schedule of `hash`: no context is made
 * per call. ks's stage and secret are kept; its context is rekeyed at its next derivation. */
int keel_ks_traffic_keys_on(keel_ks *ks, const keel_algs *algs, keel_hash_id hash, const uint8_t *secret,
                            uint8_t *key, size_t key_len, uint8_t iv[KEEL_AEAD_NONCE_LEN]);
/* The same, and (fk not NULL) finished_key (§4.4.4) from the same secret, a handshake traffic
 * secret, in the same run of HMACs under it: the Finished then costs one HMAC
 * (keel_ks_verify_data_fk_on) and the secret's pad blocks are hashed once for all three. */
int keel_ks_traffic_keys_fk_on(keel_ks *ks, const keel_algs *algs, keel_hash_id hash, const uint8_t *secret,
                               uint8_t *key, size_t key_len, uint8_t iv[KEEL_AEAD_NONCE_LEN], uint8_t *fk);
/* §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length).
 * out may equal secret. */
int keel_ks_next_secret(const keel_algs *algs, keel_hash_id hash, const uint8_t *secret, uint8_t *out);
/* §4.4.4: finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length);
 * verify_data = HMAC(finished_key, th). BaseKey is the sender's handshake (or, post-handshake,
 * application) traffic secret. */
int keel_ks_finished_key(const keel_algs *algs, keel_hash_id hash, const uint8_t *base_key, uint8_t *out);
int keel_ks_verify_data(const keel_algs *algs, keel_hash_id hash, const uint8_t *base_key,
                        const uint8_t *th, uint8_t *out);
int keel_ks_verify_data_on(keel_ks *ks, const keel_algs *algs, keel_hash_id hash, const uint8_t *base_key,
                           const uint8_t *th, uint8_t *out);  /* as keel_ks_traffic_keys_on */
/* verify_data = HMAC(fk, th) from a finished key (keel_ks_traffic_keys_fk_on), on ks's context
 * as keel_ks_verify_data_on. */
int keel_ks_verify_data_fk_on(keel_ks *ks, const keel_algs *algs, keel_hash_id hash, const uint8_t *fk,
                              const uint8_t *th, uint8_t *out);
/* Recomputes verify_data and compares in constant time (CRYPTO_memcmp); 0 on mismatch without an
 * error on the stack (the caller raises SSL_R_DIGEST_CHECK_FAILED and sends decrypt_error). */
int keel_ks_verify_data_check(const keel_algs *algs, keel_hash_id hash, const uint8_t *base_key,
                              const uint8_t *th, const uint8_t *received, size_t received_len);
/* §4.2.11.2: binder = HMAC(finished_key(binder_key), Transcript-Hash(truncated ClientHello...)). */
int keel_ks_binder(keel_ks *ks, int external, const uint8_t *th, uint8_t *out);
/* §4.6.1: PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length). */
int keel_ks_resumption_psk(const keel_algs *algs, keel_hash_id hash, const uint8_t *rms,
                           const uint8_t *nonce, size_t nonce_len, uint8_t *out);
/* §7.5: TLS-Exporter(label, context, length) =
 *   HKDF-Expand-Label(Derive-Secret(exporter_master, label, ""), "exporter", Hash(context), length).
 * SSL_export_keying_material semantics: use_context == 0 means no context, which TLS 1.3 defines
 * as the empty context. label_len <= 249 (HkdfLabel's limit). */
int keel_ks_export(const keel_algs *algs, keel_hash_id hash, const uint8_t *exporter_master,
                   const char *label, size_t label_len, const uint8_t *context, size_t context_len,
                   int use_context, uint8_t *out, size_t out_len);

#endif
