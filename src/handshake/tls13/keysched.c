/* TLS 1.3 key schedule (RFC 8446 §7.1 diagram, top to bottom). */
#include "handshake/tls13/keysched.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <string.h>

int keel_ks_init(keel_ks *ks, const keel_algs *algs, keel_hash_id hash)
{
    memset(ks, 0, sizeof(*ks));
    if ((ks->hlen = keel_hash_len(hash)) == 0 || ks->hlen > KEEL_SUITE_HASH_MAX) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    ks->algs = algs;
    ks->hash = hash;
    return 1;
}

void keel_ks_cleanup(keel_ks *ks)
{
    if (ks->prf_ready)
        keel_prf_cleanup(&ks->prf);
    OPENSSL_cleanse(ks, sizeof(*ks));
}

static keel_prf *ks_prf(keel_ks *ks)
{
    if (!ks->prf_ready)
        ks->prf_ready = keel_prf_init(&ks->prf, ks->algs, ks->hash);
    return ks->prf_ready ? &ks->prf : NULL;
}

/* Derive-Secret(secret, label, th) (RFC 8446 §7.1) under the stage's secret, keying the context
 * with it only on the stage's first derivation. more: another derivation of the stage follows
 * this one directly (keel_prf_again: its HMAC pad states are kept for it). */
static int ks_derive(keel_ks *ks, const char *label, const uint8_t *th, uint8_t *out, int more)
{
    keel_prf *p = ks_prf(ks);
    int ok;

    if (p != NULL && more)
        keel_prf_again(p);
    ok = p != NULL
        && keel_prf_expand_label(p, ks->prf_keyed ? NULL : ks->secret, label, th, ks->hlen, out, ks->hlen);

    ks->prf_keyed = ok;
    return ok;
}

/* HKDF-Extract(salt, ikm) into ks->secret. fixed >= 0: the salt is that fixed one
 * (keel_prf_extract_fixed: from the table's pad states), salt unused. */
static int ks_extract(keel_ks *ks, const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                      int fixed)
{
    keel_prf *p = ks_prf(ks);

    ks->prf_keyed = 0;
    if (p != NULL && fixed >= 0)
        return keel_prf_extract_fixed(p, fixed, ikm, ikm_len, ks->secret);
    return p != NULL && keel_prf_hmac(p, salt != NULL ? salt : (const uint8_t *)"", salt != NULL ? salt_len : 0,
                                      ikm, ikm_len, ks->secret);
}

static int want_stage(const keel_ks *ks, int stage)
{
    if (ks->stage != stage) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    return 1;
}

/* Derive-Secret(current, label, "") : the empty transcript is Hash("") (RFC 8446 §7.1). */
static int derive_empty(keel_ks *ks, const char *label, uint8_t *out, int more)
{
    uint8_t empty[KEEL_HASH_MAX_LEN];
    const uint8_t *h = keel_hash_empty(ks->algs, ks->hash);

    if (h == NULL) {
        if (!keel_hash(ks->algs, ks->hash, NULL, 0, empty))
            return 0;
        h = empty;
    }
    return ks_derive(ks, label, h, out, more);
}

/* secret = HKDF-Extract(salt, ikm or Hash.length zeros), the stage moved on; fixed: ks_extract. */
static int extract_stage(keel_ks *ks, const uint8_t *salt, const uint8_t *ikm, size_t ikm_len, int stage,
                         int fixed)
{
    uint8_t zeros[KEEL_HASH_MAX_LEN] = { 0 };
    int ok;

    if (ikm == NULL) {
        ikm = zeros;
        ikm_len = ks->hlen;
    }
    ok = ks_extract(ks, salt, ks->hlen, ikm, ikm_len, fixed);
    ks->stage = ok ? stage : KEEL_KS_NONE;
    return ok;
}

/* Next stage: secret = HKDF-Extract(Derive-Secret(secret, "derived", ""), ikm or zeros); the
 * salt is the one keel_ks_handshake derived ahead if there is one. */
static int next_stage(keel_ks *ks, const uint8_t *ikm, size_t ikm_len, int stage)
{
    uint8_t salt[KEEL_HASH_MAX_LEN];
    int ok;

    if (ks->have_salt_next)
        memcpy(salt, ks->salt_next, ks->hlen);
    ok = (ks->have_salt_next || derive_empty(ks, "derived", salt, 0))
        && extract_stage(ks, salt, ikm, ikm_len, stage, -1);
    OPENSSL_cleanse(ks->salt_next, sizeof(ks->salt_next));
    ks->have_salt_next = 0;
    if (!ok)
        ks->stage = KEEL_KS_NONE;
    OPENSSL_cleanse(salt, sizeof(salt));
    return ok;
}

/* The Handshake Secret has three uses: "derived" (the Master Secret's salt, which needs no
 * transcript), then "c hs traffic" and "s hs traffic", which keys.c asks for at once. The salt is
 * derived here, ahead, so that the three run in a row and share the secret's HMAC pad states
 * (keel_prf_again): 4 pad compressions fewer per side. */
static int handshake_salt_ahead(keel_ks *ks)
{
    ks->have_salt_next = ks->stage == KEEL_KS_HANDSHAKE && derive_empty(ks, "derived", ks->salt_next, 1);
    if (!ks->have_salt_next)
        ks->stage = KEEL_KS_NONE;
    return ks->have_salt_next;
}

int keel_ks_early(keel_ks *ks, const uint8_t *psk, size_t psk_len)
{
    uint8_t zeros[KEEL_HASH_MAX_LEN] = { 0 };

    /* RFC 8446 §7.1: without a PSK, the IKM is a string of Hash.length zeros. The salt 0 is
     * likewise Hash.length zeros (keel_hkdf_extract's NULL salt). */
    if (psk == NULL) {
        psk = zeros;
        psk_len = ks->hlen;
    }
    OPENSSL_cleanse(ks->salt_next, sizeof(ks->salt_next)); /* a salt of another Early Secret */
    ks->have_salt_next = 0;
    if (!ks_extract(ks, NULL, 0, psk, psk_len, KEEL_FIXED_ZERO)) {
        ks->stage = KEEL_KS_NONE;
        return 0;
    }
    ks->stage = KEEL_KS_EARLY;
    return 1;
}

int keel_ks_handshake(keel_ks *ks, const uint8_t *dhe, size_t dhe_len)
{
    const uint8_t *salt0;

    /* Without a PSK the early stage is HKDF-Extract(0, 0) (RFC 8446 §7.1), the same for every
     * handshake of the hash, and so is the salt derived from it: the table holds that salt. */
    if (ks->stage == KEEL_KS_NONE && (salt0 = keel_tls13_salt_no_psk(ks->algs, ks->hash)) != NULL)
        return extract_stage(ks, salt0, dhe, dhe_len, KEEL_KS_HANDSHAKE, KEEL_FIXED_SALT0)
            && handshake_salt_ahead(ks);
    if (ks->stage == KEEL_KS_NONE && !keel_ks_early(ks, NULL, 0))
        return 0;
    return want_stage(ks, KEEL_KS_EARLY) && next_stage(ks, dhe, dhe_len, KEEL_KS_HANDSHAKE)
        && handshake_salt_ahead(ks);
}

int keel_ks_master(keel_ks *ks)
{
    return want_stage(ks, KEEL_KS_HANDSHAKE) && next_stage(ks, NULL, 0, KEEL_KS_MASTER);
}

/* more: as for ks_derive (callers ask for the secrets in the order the hints expect; another
 * order costs a few compressions, never a wrong secret). */
static int stage_secret(keel_ks *ks, int stage, const char *label, const uint8_t *th, uint8_t *out, int more)
{
    return want_stage(ks, stage) && ks_derive(ks, label, th, out, more);
}

int keel_ks_binder_key(keel_ks *ks, int external, uint8_t *out)
{
    const char *label = external ? "ext binder" : "res binder";

    if (!want_stage(ks, KEEL_KS_EARLY))
        return 0;
    if (!ks->carry_on || ks->have_salt_next)
        return derive_empty(ks, label, out, 0);
    /* A schedule that carries on past its binder (keel_ks_carry_on) derives the Handshake
     * Secret's salt now, on the Early Secret's pad states kept from the binder key. */
    ks->have_salt_next = derive_empty(ks, label, out, 1) && derive_empty(ks, "derived", ks->salt_next, 0);
    return ks->have_salt_next;
}

void keel_ks_carry_on(keel_ks *ks)
{
    ks->carry_on = 1;
}

int keel_ks_client_early_traffic(keel_ks *ks, const uint8_t *th, uint8_t *out)
{
    return stage_secret(ks, KEEL_KS_EARLY, "c e traffic", th, out, 1); /* "e exp master" follows */
}

int keel_ks_early_exporter_master(keel_ks *ks, const uint8_t *th, uint8_t *out)
{
    return stage_secret(ks, KEEL_KS_EARLY, "e exp master", th, out, 0);
}

int keel_ks_client_hs_traffic(keel_ks *ks, const uint8_t *th, uint8_t *out)
{
    return stage_secret(ks, KEEL_KS_HANDSHAKE, "c hs traffic", th, out, 1);
}

int keel_ks_server_hs_traffic(keel_ks *ks, const uint8_t *th, uint8_t *out)
{
    return stage_secret(ks, KEEL_KS_HANDSHAKE, "s hs traffic", th, out, 0);
}

int keel_ks_client_app_traffic(keel_ks *ks, const uint8_t *th, uint8_t *out)
{
    return stage_secret(ks, KEEL_KS_MASTER, "c ap traffic", th, out, 1);
}

int keel_ks_server_app_traffic(keel_ks *ks, const uint8_t *th, uint8_t *out)
{
    return stage_secret(ks, KEEL_KS_MASTER, "s ap traffic", th, out, 1);
}

int keel_ks_exporter_master(keel_ks *ks, const uint8_t *th, uint8_t *out)
{
    return stage_secret(ks, KEEL_KS_MASTER, "exp master", th, out, 0);
}

int keel_ks_resumption_master(keel_ks *ks, const uint8_t *th, uint8_t *out)
{
    return stage_secret(ks, KEEL_KS_MASTER, "res master", th, out, 0);
}

/* ---- stateless helpers -------------------------------------------------------------------- */

/* The schedule's HMAC context lent to a helper deriving from another secret under the same hash
 * (*out NULL: ks is absent or of another hash, the helper makes its own context). Making a
 * context costs an allocation; the handshake's traffic keys and Finished MACs borrow this one. The
 * context is left keyed with the helper's secret, so the stage's next Derive-Secret rekeys it. */
static int ks_lend(keel_ks *ks, keel_hash_id hash, keel_prf **out)
{
    *out = NULL;
    if (ks == NULL || ks->hlen == 0 || ks->hash != hash)
        return 1;
    ks->prf_keyed = 0;
    *out = ks_prf(ks);
    return *out != NULL;
}

static int expand_label(keel_prf *p, const keel_algs *algs, keel_hash_id hash, const uint8_t *secret,
                        const char *label, uint8_t *out, size_t out_len)
{
    return p != NULL ? keel_prf_expand_label(p, secret, label, NULL, 0, out, out_len)
                     : keel_hkdf_expand_label(algs, hash, secret, label, NULL, 0, out, out_len);
}

int keel_ks_traffic_keys_fk_on(keel_ks *ks, const keel_algs *algs, keel_hash_id hash, const uint8_t *secret,
                               uint8_t *key, size_t key_len, uint8_t iv[KEEL_AEAD_NONCE_LEN], uint8_t *fk)
{
    /* RFC 8446 §7.3: [sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length),
     *                [sender]_write_iv  = HKDF-Expand-Label(Secret, "iv", "", iv_length);
     * §4.4.4: finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length).
     * Without a schedule, one-shot expansions: a keel_prf made for two MACs costs more
     * allocations than it saves. On the schedule's context the calls after the first reuse the
     * secret's pad states (keel_prf_again). */
    keel_prf *p;
    int ok = ks_lend(ks, hash, &p);
    int same = p != NULL && key_len > 0; /* the key's expansion keyed the context with secret */

    if (ok && p != NULL)
        keel_prf_again(p);
    ok = ok && expand_label(p, algs, hash, secret, "key", key, key_len);
    if (ok && p != NULL && fk != NULL)
        keel_prf_again(p);
    ok = ok && expand_label(p, algs, hash, same ? NULL : secret, "iv", iv, KEEL_AEAD_NONCE_LEN)
        && (fk == NULL || expand_label(p, algs, hash, same ? NULL : secret, "finished", fk, keel_hash_len(hash)));
    if (!ok) {
        OPENSSL_cleanse(key, key_len);
        if (fk != NULL)
            OPENSSL_cleanse(fk, keel_hash_len(hash));
    }
    return ok;
}

int keel_ks_traffic_keys_on(keel_ks *ks, const keel_algs *algs, keel_hash_id hash, const uint8_t *secret,
                            uint8_t *key, size_t key_len, uint8_t iv[KEEL_AEAD_NONCE_LEN])
{
    return keel_ks_traffic_keys_fk_on(ks, algs, hash, secret, key, key_len, iv, NULL);
}

int keel_ks_traffic_keys(const keel_algs *algs, keel_hash_id hash, const uint8_t *secret,
                         uint8_t *key, size_t key_len, uint8_t iv[KEEL_AEAD_NONCE_LEN])
{
    return keel_ks_traffic_keys_on(NULL, algs, hash, secret, key, key_len, iv);
}

int keel_ks_next_secret(const keel_algs *algs, keel_hash_id hash, const uint8_t *secret, uint8_t *out)
{
    uint8_t next[KEEL_HASH_MAX_LEN];
    size_t hlen = keel_hash_len(hash);

    /* Through a temporary so that out may alias secret. */
    if (!keel_hkdf_expand_label(algs, hash, secret, "traffic upd", NULL, 0, next, hlen))
        return 0;
    memcpy(out, next, hlen);
    OPENSSL_cleanse(next, sizeof(next));
    return 1;
}

int keel_ks_finished_key(const keel_algs *algs, keel_hash_id hash, const uint8_t *base_key, uint8_t *out)
{
    return keel_hkdf_expand_label(algs, hash, base_key, "finished", NULL, 0, out, keel_hash_len(hash));
}

/* §4.4.4 on one context: finished_key, then HMAC(finished_key, th). */
static int prf_verify_data(keel_prf *p, const uint8_t *base_key, const uint8_t *th, uint8_t *out)
{
    uint8_t fk[KEEL_HASH_MAX_LEN];
    size_t hlen = keel_hash_len(keel_prf_hash(p));
    int ok = keel_prf_expand_label(p, base_key, "finished", NULL, 0, fk, hlen)
        && keel_prf_hmac(p, fk, hlen, th, hlen, out);

    OPENSSL_cleanse(fk, sizeof(fk));
    return ok;
}

int keel_ks_verify_data_on(keel_ks *ks, const keel_algs *algs, keel_hash_id hash, const uint8_t *base_key,
                           const uint8_t *th, uint8_t *out)
{
    /* Without a schedule, one-shot forms, as for keel_ks_traffic_keys. */
    uint8_t fk[KEEL_HASH_MAX_LEN];
    size_t hlen = keel_hash_len(hash);
    keel_prf *p;
    int ok;

    if (!ks_lend(ks, hash, &p))
        return 0;
    if (p != NULL)
        return prf_verify_data(p, base_key, th, out);
    ok = keel_ks_finished_key(algs, hash, base_key, fk) && keel_hmac(algs, hash, fk, hlen, th, hlen, out);
    OPENSSL_cleanse(fk, sizeof(fk));
    return ok;
}

int keel_ks_verify_data_fk_on(keel_ks *ks, const keel_algs *algs, keel_hash_id hash, const uint8_t *fk,
                              const uint8_t *th, uint8_t *out)
{
    size_t hlen = keel_hash_len(hash);
    keel_prf *p;

    if (!ks_lend(ks, hash, &p))
        return 0;
    return p != NULL ? keel_prf_hmac(p, fk, hlen, th, hlen, out) : keel_hmac(algs, hash, fk, hlen, th, hlen, out);
}

int keel_ks_verify_data(const keel_algs *algs, keel_hash_id hash, const uint8_t *base_key,
                        const uint8_t *th, uint8_t *out)
{
    return keel_ks_verify_data_on(NULL, algs, hash, base_key, th, out);
}

int keel_ks_verify_data_check(const keel_algs *algs, keel_hash_id hash, const uint8_t *base_key,
                              const uint8_t *th, const uint8_t *received, size_t received_len)
{
    uint8_t expect[KEEL_HASH_MAX_LEN];
    size_t hlen = keel_hash_len(hash);
    int ok;

    if (!keel_ks_verify_data(algs, hash, base_key, th, expect))
        return 0;
    /* RFC 8446 §4.4.4: the recipient MUST verify; constant time so that a forger learns nothing. */
    ok = received_len == hlen && CRYPTO_memcmp(expect, received, hlen) == 0;
    OPENSSL_cleanse(expect, sizeof(expect));
    return ok;
}

int keel_ks_binder(keel_ks *ks, int external, const uint8_t *th, uint8_t *out)
{
    uint8_t bk[KEEL_HASH_MAX_LEN];
    int ok = keel_ks_binder_key(ks, external, bk) && prf_verify_data(ks_prf(ks), bk, th, out);

    ks->prf_keyed = 0; /* it now holds the finished key */
    OPENSSL_cleanse(bk, sizeof(bk));
    return ok;
}

int keel_ks_resumption_psk(const keel_algs *algs, keel_hash_id hash, const uint8_t *rms,
                           const uint8_t *nonce, size_t nonce_len, uint8_t *out)
{
    return keel_hkdf_expand_label(algs, hash, rms, "resumption", nonce, nonce_len, out,
                                  keel_hash_len(hash));
}

int keel_ks_export(const keel_algs *algs, keel_hash_id hash, const uint8_t *exporter_master,
                   const char *label, size_t label_len, const uint8_t *context, size_t context_len,
                   int use_context, uint8_t *out, size_t out_len)
{
    uint8_t empty[KEEL_HASH_MAX_LEN], ctx_hash[KEEL_HASH_MAX_LEN], secret[KEEL_HASH_MAX_LEN];
    size_t hlen = keel_hash_len(hash);
    int ok;

    /* RFC 8446 §7.5: "no context" and an empty context are the same in TLS 1.3. */
    if (!use_context)
        context_len = 0;
    ok = keel_hash(algs, hash, NULL, 0, empty)
        && keel_hkdf_expand_label_n(algs, hash, exporter_master, (const uint8_t *)label, label_len,
                                    empty, hlen, secret, hlen)
        && keel_hash(algs, hash, context, context_len, ctx_hash)
        && keel_hkdf_expand_label(algs, hash, secret, "exporter", ctx_hash, hlen, out, out_len);
    OPENSSL_cleanse(secret, sizeof(secret));
    return ok;
}
