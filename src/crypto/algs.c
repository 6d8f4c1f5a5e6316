/* The algorithm table: every EVP algorithm keel uses, fetched once (GUIDE "Performance principles").
 * OpenSSL 3.0 resolves a name to an implementation on every *_fetch and on every context set up by
 * name; keel pays that price once per library context instead of once per record or handshake. */
#define OPENSSL_SUPPRESS_DEPRECATED /* ENGINE_get_digest_engine: deprecated in 3.0, still honoured by EVP */
#include "crypto/algs_int.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/sslerr.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* Provider names for the ids of crypto.h, in enum order. */
static const char *const aead_names[KEEL_NUM_AEADS] = {
    "AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305",
    "AES-128-CCM", "AES-256-CCM", "AES-128-CCM", "AES-256-CCM", /* CCM_8: the same, 8-byte tag */
};
static const char *const cbc_names[2] = { "AES-128-CBC", "AES-256-CBC" };
static const char *const stitched_names[2][2] = {
    { "AES-128-CBC-HMAC-SHA1", "AES-128-CBC-HMAC-SHA256" },
    { "AES-256-CBC-HMAC-SHA1", "AES-256-CBC-HMAC-SHA256" },
};
static const char *const md_names[KEEL_NUM_HASHES] = { "SHA2-256", "SHA2-384", "SHA2-512" };
/* OpenSSL's NIDs of md_names, for the engine check. */
static const int md_nids[KEEL_NUM_HASHES] = { NID_sha256, NID_sha384, NID_sha512 };

/* Whether md is the default provider's SHA-2, which keel_dg may run directly (digest.c): the
 * provider named "default" (libcrypto's built-in one) and no engine registered for the digest
 * (libcrypto 3.0 hands even a fetched digest to such an engine). */
static bool digest_direct(const EVP_MD *md, int nid)
{
    const OSSL_PROVIDER *prov = md != NULL ? EVP_MD_get0_provider(md) : NULL;
    ENGINE *e;

    if (prov == NULL || strcmp(OSSL_PROVIDER_get0_name(prov), "default") != 0)
        return false;
    if ((e = ENGINE_get_digest_engine(nid)) != NULL) {
        ENGINE_finish(e);
        return false;
    }
    return true;
}

static const char *const ec_names[KEEL_NUM_EC] = { "P-256", "P-384", "P-521" };
static const char *const dh_names[KEEL_NUM_FFDHE] = {
    "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192",
};

/* Domain parameters of a named group, or NULL if the provider cannot make them (the group is then
 * reported unsupported rather than failing the whole table). */
static EVP_PKEY *named_params(const keel_algs *a, const char *type, const char *group)
{
    EVP_PKEY_CTX *pctx;
    EVP_PKEY *params = NULL;
    OSSL_PARAM p[2];

    if ((pctx = EVP_PKEY_CTX_new_from_name(a->libctx, type, a->propq)) == NULL)
        return NULL;
    p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
    p[1] = OSSL_PARAM_construct_end();
    if (EVP_PKEY_fromdata_init(pctx) <= 0
            || EVP_PKEY_fromdata(pctx, &params, EVP_PKEY_KEY_PARAMETERS, p) <= 0) {
        EVP_PKEY_free(params);
        params = NULL;
    }
    EVP_PKEY_CTX_free(pctx);
    return params;
}

static int has_keymgmt(const keel_algs *a, const char *name)
{
    EVP_KEYMGMT *km = EVP_KEYMGMT_fetch(a->libctx, name, a->propq);

    EVP_KEYMGMT_free(km);
    return km != NULL;
}

/* Whether the HMAC implementation accepts the digest `id` (with the table's properties): the
 * CBC suites' MACs and the ticket key callbacks set HMAC up by that name. */
static int hmac_usable(const keel_algs *a, keel_hash_id id)
{
    EVP_MAC_CTX *m;
    OSSL_PARAM p[3];
    int ok;

    if (a->hmac == NULL || a->md[id] == NULL || (m = EVP_MAC_CTX_new(a->hmac)) == NULL)
        return 0;
    p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md_names[id], 0);
    p[1] = a->propq != NULL
        ? OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_PROPERTIES, a->propq, 0)
        : OSSL_PARAM_construct_end();
    p[2] = OSSL_PARAM_construct_end();
    ok = EVP_MAC_CTX_set_params(m, p);
    EVP_MAC_CTX_free(m);
    return ok;
}

keel_algs *keel_algs_new(OSSL_LIB_CTX *libctx, const char *propq)
{
    keel_algs *a;
    int have_hmac_sha256;

    if ((a = OPENSSL_zalloc(sizeof(*a))) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    a->libctx = libctx;
    if (propq != NULL && (a->propq = OPENSSL_strdup(propq)) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        goto err;
    }
    /* Optional algorithms are probed with the error stack marked, so that a provider without
     * ChaCha20 or X448 does not leave stale errors behind for the application to find. */
    ERR_set_mark();
    for (int i = 0; i < KEEL_NUM_AEADS; i++)
        a->aead[i] = EVP_CIPHER_fetch(libctx, aead_names[i], a->propq);
    for (int i = 0; i < 2; i++) {
        a->cbc[i] = EVP_CIPHER_fetch(libctx, cbc_names[i], a->propq);
        for (int j = 0; j < 2; j++)
            a->stitched[i][j] = EVP_CIPHER_fetch(libctx, stitched_names[i][j], a->propq);
    }
    for (int i = 0; i < KEEL_NUM_HASHES; i++) {
        a->md[i] = EVP_MD_fetch(libctx, md_names[i], a->propq);
        a->direct[i] = digest_direct(a->md[i], md_nids[i]);
    }
    a->sha1 = EVP_MD_fetch(libctx, "SHA1", a->propq);
    a->hmac = EVP_MAC_fetch(libctx, "HMAC", a->propq);
    have_hmac_sha256 = hmac_usable(a, KEEL_HASH_SHA256);
    for (int i = 0; i < KEEL_NUM_EC; i++)
        a->ec_params[i] = named_params(a, "EC", ec_names[i]);
    for (int i = 0; i < KEEL_NUM_FFDHE; i++)
        a->dh_params[i] = named_params(a, "DH", dh_names[i]);
    a->have_x25519 = has_keymgmt(a, "X25519");
    a->have_x448 = has_keymgmt(a, "X448");
    /* the base points' u-coordinates (RFC 7748 §4.1, §4.2) serve as the public keys */
    static const uint8_t u25519[32] = { 9 }, u448[56] = { 5 };
    if (a->have_x25519)
        a->ecx_tmpl[0] = EVP_PKEY_new_raw_public_key_ex(libctx, "X25519", a->propq, u25519, sizeof(u25519));
    if (a->have_x448)
        a->ecx_tmpl[1] = EVP_PKEY_new_raw_public_key_ex(libctx, "X448", a->propq, u448, sizeof(u448));
    keel_algs_consts(a);
    ERR_pop_to_mark();

    /* SHA-256 with HMAC is the floor: every TLS 1.3 and TLS 1.2 suite keel offers needs a hash
     * with HMAC, and without SHA-256 none can run. */
    if (!have_hmac_sha256) {
        ERR_raise_data(ERR_LIB_SSL, ERR_R_EVP_LIB, "SHA2-256/HMAC unavailable");
        goto err;
    }
    return a;
err:
    keel_algs_free(a);
    return NULL;
}

void keel_algs_free(keel_algs *a)
{
    if (a == NULL)
        return;
    for (int i = 0; i < KEEL_NUM_AEADS; i++)
        EVP_CIPHER_free(a->aead[i]);
    for (int i = 0; i < 2; i++) {
        EVP_CIPHER_free(a->cbc[i]);
        for (int j = 0; j < 2; j++)
            EVP_CIPHER_free(a->stitched[i][j]);
    }
    for (int i = 0; i < KEEL_NUM_HASHES; i++)
        EVP_MD_free(a->md[i]);
    keel_algs_consts_free(a);
    EVP_MD_free(a->sha1);
    EVP_MAC_free(a->hmac);
    for (int i = 0; i < KEEL_NUM_EC; i++)
        EVP_PKEY_free(a->ec_params[i]);
    for (int i = 0; i < 2; i++)
        EVP_PKEY_free(a->ecx_tmpl[i]);
    for (int i = 0; i < KEEL_NUM_FFDHE; i++)
        EVP_PKEY_free(a->dh_params[i]);
    for (int i = 0; i < KEEL_NUM_GROUPS; i++)
        for (int j = 0; j < KEEL_KEYGEN_POOL; j++)
            EVP_PKEY_CTX_free(atomic_load(&a->keygen_pool[i][j]));
    OPENSSL_free(a->propq);
    OPENSSL_free(a);
}

/* The process-wide table. Never freed: it must outlive every SSL_CTX, and an atexit() of ours
 * could run after OPENSSL_cleanup() has already torn the providers down. It stays reachable
 * through this pointer, so leak checkers report it as "still reachable", not lost.
 * Built under a static mutex rather than CRYPTO_THREAD_run_once so that a failed attempt (say, an
 * allocation failure) is retried by the next SSL_CTX_new instead of being remembered forever. */
static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(keel_algs *) default_algs;

const keel_algs *keel_algs_default(void)
{
    keel_algs *a = atomic_load_explicit(&default_algs, memory_order_acquire);

    if (a != NULL)
        return a;
    if (pthread_mutex_lock(&default_lock) != 0) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return NULL;
    }
    if ((a = atomic_load_explicit(&default_algs, memory_order_relaxed)) == NULL) {
        a = keel_algs_new(NULL, NULL);
        atomic_store_explicit(&default_algs, a, memory_order_release);
    }
    pthread_mutex_unlock(&default_lock);
    return a;
}

OSSL_LIB_CTX *keel_algs_libctx(const keel_algs *a) { return a->libctx; }
const char *keel_algs_propq(const keel_algs *a) { return a->propq; }

const EVP_MD *keel_hash_md(const keel_algs *a, keel_hash_id id)
{
    if ((unsigned)id >= KEEL_NUM_HASHES || a->md[id] == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_UNKNOWN_DIGEST);
        return NULL;
    }
    return a->md[id];
}

int keel_random(const keel_algs *a, uint8_t *out, size_t n)
{
    if (n == 0)
        return 1;
    if (RAND_bytes_ex(a->libctx, out, n, 0) <= 0) {
        ERR_raise(ERR_LIB_SSL, ERR_R_CRYPTO_LIB);
        return 0;
    }
    return 1;
}
