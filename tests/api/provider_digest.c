/* A context whose library context takes SHA-384 from a provider of the application's hashes its
 * handshakes with that provider's SHA-384 (the transcript, TLS 1.3's key schedule, TLS 1.2's PRF),
 * as it would under FIPS: keel runs libcrypto's SHA-2 code directly only where the fetched digest
 * is the default provider's (src/crypto/digest.c). The test provider below counts its calls; its
 * hash is libcrypto's low-level SHA-384, so a handshake that mixed the two forms would still
 * agree, and only the count tells which one ran. */
#define OPENSSL_SUPPRESS_DEPRECATED /* the test provider's hash: SHA384_Init & co. */
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain ec;
static long calls; /* the test provider's update and final calls */

static void *t_new(void *provctx)
{
    (void)provctx;
    return OPENSSL_zalloc(sizeof(SHA512_CTX));
}
static void t_free(void *c) { OPENSSL_clear_free(c, sizeof(SHA512_CTX)); }
static void *t_dup(void *c)
{
    void *d = OPENSSL_malloc(sizeof(SHA512_CTX));

    if (d != NULL)
        memcpy(d, c, sizeof(SHA512_CTX));
    return d;
}
static int t_init(void *c, const OSSL_PARAM p[])
{
    (void)p;
    return SHA384_Init(c);
}
static int t_update(void *c, const unsigned char *in, size_t n)
{
    calls++;
    return SHA384_Update(c, in, n);
}
static int t_final(void *c, unsigned char *out, size_t *outl, size_t outsz)
{
    calls++;
    if (outsz < SHA384_DIGEST_LENGTH || !SHA384_Final(out, c))
        return 0;
    *outl = SHA384_DIGEST_LENGTH;
    return 1;
}
static int t_get_params(OSSL_PARAM p[])
{
    OSSL_PARAM *q;

    if ((q = OSSL_PARAM_locate(p, OSSL_DIGEST_PARAM_BLOCK_SIZE)) != NULL && !OSSL_PARAM_set_size_t(q, SHA512_CBLOCK))
        return 0;
    if ((q = OSSL_PARAM_locate(p, OSSL_DIGEST_PARAM_SIZE)) != NULL && !OSSL_PARAM_set_size_t(q, SHA384_DIGEST_LENGTH))
        return 0;
    return 1;
}
static const OSSL_PARAM *t_gettable(void *provctx)
{
    static const OSSL_PARAM t[] = {
        OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_BLOCK_SIZE, NULL),
        OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_SIZE, NULL),
        OSSL_PARAM_END,
    };
    (void)provctx;
    return t;
}

static const OSSL_DISPATCH sha384_fns[] = {
    { OSSL_FUNC_DIGEST_NEWCTX, (void (*)(void))t_new },
    { OSSL_FUNC_DIGEST_INIT, (void (*)(void))t_init },
    { OSSL_FUNC_DIGEST_UPDATE, (void (*)(void))t_update },
    { OSSL_FUNC_DIGEST_FINAL, (void (*)(void))t_final },
    { OSSL_FUNC_DIGEST_FREECTX, (void (*)(void))t_free },
    { OSSL_FUNC_DIGEST_DUPCTX, (void (*)(void))t_dup },
    { OSSL_FUNC_DIGEST_GET_PARAMS, (void (*)(void))t_get_params },
    { OSSL_FUNC_DIGEST_GETTABLE_PARAMS, (void (*)(void))t_gettable },
    { 0, NULL },
};
static const OSSL_ALGORITHM digests[] = {
    { "SHA2-384:SHA-384:SHA384:2.16.840.1.101.3.4.2.2", "provider=keeltest", sha384_fns, "SHA-384 (test)" },
    { NULL, NULL, NULL, NULL },
};
static const OSSL_ALGORITHM *t_query(void *provctx, int op, int *no_cache)
{
    (void)provctx;
    *no_cache = 0;
    return op == OSSL_OP_DIGEST ? digests : NULL;
}
static const OSSL_DISPATCH prov_fns[] = {
    { OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))t_query },
    { 0, NULL },
};
static int t_prov_init(const OSSL_CORE_HANDLE *h, const OSSL_DISPATCH *in, const OSSL_DISPATCH **out, void **provctx)
{
    (void)h;
    (void)in;
    *out = prov_fns;
    *provctx = NULL;
    return 1;
}

/* One handshake of a new pair of contexts in lc under propq at version v with a SHA-384 suite
 * (keel_test_sha384_handshake); returns the test provider's calls during it (-1 on failure). */
static long handshake_calls(OSSL_LIB_CTX *lc, const char *propq, int v)
{
    SSL_CTX *sctx = SSL_CTX_new_ex(lc, propq, TLS_server_method());
    SSL_CTX *cctx = SSL_CTX_new_ex(lc, propq, TLS_client_method());
    long before = calls, n = -1;

    if (sctx != NULL && cctx != NULL && keel_test_server_setup(sctx, &ec) && keel_test_client_setup(cctx, &ec)
            && keel_test_sha384_handshake(cctx, sctx, v, "server.test"))
        n = calls - before;
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    ERR_clear_error();
    return n;
}

static void test_provider_digest(void)
{
    OSSL_LIB_CTX *lc = OSSL_LIB_CTX_new();
    OSSL_PROVIDER *def = NULL, *tp = NULL;

    CHECK(lc != NULL && OSSL_PROVIDER_add_builtin(lc, "keeltest", t_prov_init));
    CHECK((def = OSSL_PROVIDER_load(lc, "default")) != NULL && (tp = OSSL_PROVIDER_load(lc, "keeltest")) != NULL);
    if (def == NULL || tp == NULL)
        goto out;
    /* Preferred where it has the algorithm (SHA-384 only); the default provider for the rest. */
    for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
        long n = handshake_calls(lc, "?provider=keeltest", v);

        /* Each side's transcript and key schedule: dozens of updates and finals. */
        CHECK(n >= 40);
        /* The same library context without the preference: the default provider's SHA-384. */
        CHECK_EQ(handshake_calls(lc, NULL, v), 0);
    }
out:
    OSSL_PROVIDER_unload(tp);
    OSSL_PROVIDER_unload(def);
    OSSL_LIB_CTX_free(lc);
}

int main(void)
{
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    test_provider_digest();
    keel_test_chain_free(&ec);
    return keel_test_finish("provider_digest");
}
