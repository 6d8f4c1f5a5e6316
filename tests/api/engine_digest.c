/* An application that registers an ENGINE as the default SHA-384 implementation before its first
 * SSL_CTX gets its handshakes hashed by that engine, as libcrypto 3.0 hands even a fetched digest
 * to such an engine: keel's direct SHA-2 path (src/crypto/digest.c) stands aside for it. The
 * engine's digest is libcrypto's low-level SHA-384 with a call counter. */
#define OPENSSL_SUPPRESS_DEPRECATED /* ENGINE, EVP_MD_meth_*, SHA384_*: the legacy API under test */
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain ec;
static long calls;
static EVP_MD *md384;

static int e_init(EVP_MD_CTX *c) { return SHA384_Init(EVP_MD_CTX_md_data(c)); }
static int e_update(EVP_MD_CTX *c, const void *d, size_t n)
{
    calls++;
    return SHA384_Update(EVP_MD_CTX_md_data(c), d, n);
}
static int e_final(EVP_MD_CTX *c, unsigned char *out)
{
    calls++;
    return SHA384_Final(out, EVP_MD_CTX_md_data(c));
}

static int e_digests(ENGINE *e, const EVP_MD **digest, const int **nids, int nid)
{
    static const int ids[] = { NID_sha384 };

    (void)e;
    if (digest == NULL) {
        *nids = ids;
        return 1;
    }
    *digest = nid == NID_sha384 ? md384 : NULL;
    return *digest != NULL;
}

static ENGINE *engine_new(void)
{
    ENGINE *e = ENGINE_new();

    md384 = EVP_MD_meth_new(NID_sha384, NID_undef);
    if (e == NULL || md384 == NULL || !EVP_MD_meth_set_result_size(md384, SHA384_DIGEST_LENGTH)
            || !EVP_MD_meth_set_input_blocksize(md384, SHA512_CBLOCK)
            || !EVP_MD_meth_set_app_datasize(md384, sizeof(SHA512_CTX))
            || !EVP_MD_meth_set_init(md384, e_init) || !EVP_MD_meth_set_update(md384, e_update)
            || !EVP_MD_meth_set_final(md384, e_final) || !ENGINE_set_id(e, "keeltest")
            || !ENGINE_set_name(e, "keel test SHA-384") || !ENGINE_set_digests(e, e_digests)
            || !ENGINE_set_default_digests(e)) {
        ENGINE_free(e);
        return NULL;
    }
    return e;
}

static void test_engine_digest(void)
{
    ENGINE *e = engine_new();
    CHECK(e != NULL);
    if (e == NULL)
        return;
    /* The process's first contexts: the algorithm table is made now, with the engine in place. */
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);

    CHECK(sctx != NULL && cctx != NULL);
    for (int v = TLS1_2_VERSION; sctx != NULL && cctx != NULL && v <= TLS1_3_VERSION; v++) {
        long before = calls;

        CHECK(keel_test_sha384_handshake(cctx, sctx, v, NULL));
        /* Each side's transcript and key schedule: dozens of updates and finals. */
        CHECK(calls - before >= 40);
    }
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    ENGINE_unregister_digests(e); /* drops the table's functional reference */
    ENGINE_free(e);
    EVP_MD_meth_free(md384);
    ERR_clear_error();
}

int main(void)
{
    /* The chain is made before the engine exists: its signatures are SHA-256 anyway. */
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    test_engine_digest();
    keel_test_chain_free(&ec);
    return keel_test_finish("engine_digest");
}
