/* Issue #11.11a: a server key that lives in an ENGINE (a PKCS#11 token: softhsm2 through
 * libengine-pkcs11-openssl) signs keel's handshakes, as it does OpenSSL's libssl's. The key is
 * generated inside the token and never leaves it; keel must sign through libcrypto's generic
 * calls, which the engine's RSA and EC methods serve. Each case is a full TLS 1.3 handshake whose
 * CertificateVerify (RFC 8446 §4.4.3) a verifying keel client checks against the certificate's
 * public key, with the client's sigalgs forcing the scheme; then the same with the engine key as
 * the client's certificate key, checked by the server.
 * The tools are dependencies (Makefile DEB_PACKAGES): a missing one fails the test. */
#define OPENSSL_SUPPRESS_DEPRECATED /* the ENGINE API is deprecated in 3.0, yet keys live there */
#include <openssl/engine.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "tls.h"

static const char *const module_paths[] = {
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
};

static char dir[] = "/tmp/keel-engine.XXXXXX";

static int run(const char *cmd)
{
    int rc = system(cmd);

    if (rc != 0)
        fprintf(stderr, "    command failed (%d): %s\n", rc, cmd);
    return rc == 0;
}

/* A fresh softhsm2 token in the temp dir with an RSA-2048 key (id 01) and a P-256 key (id 02). */
static int make_token(const char *module)
{
    char buf[1024];
    FILE *f;

    snprintf(buf, sizeof(buf), "%s/tokens", dir);
    if (mkdir(buf, 0700) != 0)
        return 0;
    snprintf(buf, sizeof(buf), "%s/softhsm2.conf", dir);
    if ((f = fopen(buf, "w")) == NULL)
        return 0;
    fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n", dir);
    fclose(f);
    setenv("SOFTHSM2_CONF", buf, 1);
    if (!run("softhsm2-util --init-token --free --label keel --so-pin 5678 --pin 1234 >/dev/null"))
        return 0;
    snprintf(buf, sizeof(buf),
             "pkcs11-tool --module %s --token-label keel --login --pin 1234 --keypairgen "
             "--key-type rsa:2048 --id 01 --label rsa >/dev/null 2>&1", module);
    if (!run(buf))
        return 0;
    snprintf(buf, sizeof(buf),
             "pkcs11-tool --module %s --token-label keel --login --pin 1234 --keypairgen "
             "--key-type EC:prime256v1 --id 02 --label ec >/dev/null 2>&1", module);
    return run(buf);
}

/* A leaf certificate for the token key, issued by the fixture's CA (the CA key is an ordinary
 * software key: only the handshake signature is the engine's). */
static X509 *make_leaf(const keel_test_chain *c, EVP_PKEY *pub)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();

    if (x == NULL || n == NULL || !X509_set_version(x, 2)
        || !ASN1_INTEGER_set(X509_get_serialNumber(x), 11)
        || !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0)
        || !X509_set_subject_name(x, n) || !X509_set_issuer_name(x, X509_get_subject_name(c->ca))
        || X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL
        || X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL || !X509_set_pubkey(x, pub)
        || !X509_sign(x, c->ca_key, EVP_sha256())) {
        X509_free(x);
        x = NULL;
    }
    X509_NAME_free(n);
    return x;
}

/* One TLS 1.3 handshake in which the token key `key` (certificate `leaf`) signs the
 * CertificateVerify with `sigalg`: the server's own (client offers only `sigalg`) or, with
 * `as_client`, the client's certificate (the server's CertificateRequest offers only `sigalg`,
 * its own certificate is the fixture's software P-256 leaf). Returns 1 when the handshake
 * completes and the peer of the token key verified it. */
static int handshake_with(const keel_test_chain *c, X509 *leaf, EVP_PKEY *key, const char *sigalg,
                          int as_client)
{
    SSL_CTX *sctx = as_client ? keel_test_server_ctx(c) : SSL_CTX_new(TLS_server_method());
    SSL_CTX *cctx = keel_test_client_ctx(c), *kctx = as_client ? cctx : sctx;
    SSL *cl = NULL, *sv = NULL;
    X509 *peer = NULL;
    char list[96];
    int ok = 0;

    if (sctx == NULL || cctx == NULL)
        goto out;
    CHECK(SSL_CTX_use_certificate(kctx, leaf) == 1);
    CHECK(SSL_CTX_use_PrivateKey(kctx, key) == 1);
    CHECK(SSL_CTX_check_private_key(kctx) == 1);
    CHECK(SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION) == 1);
    if (as_client) {
        CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx), c->ca) == 1);
        SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        CHECK(SSL_CTX_set1_client_sigalgs_list(sctx, sigalg) == 1);
        /* The client must also accept the server's P-256 CertificateVerify. */
        snprintf(list, sizeof(list), "%s%s", sigalg,
                 strcmp(sigalg, "ecdsa_secp256r1_sha256") == 0 ? "" : ":ecdsa_secp256r1_sha256");
        CHECK(SSL_CTX_set1_sigalgs_list(cctx, list) == 1);
    } else {
        CHECK(SSL_CTX_set1_sigalgs_list(cctx, sigalg) == 1);
    }
    if (!keel_test_pair(cctx, sctx, &cl, &sv))
        goto out;
    ok = keel_test_handshake(cl, sv) && SSL_version(cl) == TLS1_3_VERSION
        && SSL_get_verify_result(as_client ? sv : cl) == X509_V_OK
        && (peer = SSL_get1_peer_certificate(as_client ? sv : cl)) != NULL
        && X509_cmp(peer, leaf) == 0;
    if (!ok)
        fprintf(stderr, "    handshake with the token key as %s, %s, failed\n",
                as_client ? "client" : "server", sigalg);
out:
    X509_free(peer);
    SSL_free(cl);
    SSL_free(sv);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    return ok;
}

static EVP_PKEY *token_key(ENGINE *e, const char *label, int priv)
{
    char uri[160];

    snprintf(uri, sizeof(uri), "pkcs11:token=keel;object=%s;type=%s;pin-value=1234", label,
             priv ? "private" : "public");
    return priv ? ENGINE_load_private_key(e, uri, NULL, NULL) : ENGINE_load_public_key(e, uri, NULL, NULL);
}

int main(void)
{
    const char *module = NULL;
    keel_test_chain c;
    ENGINE *e = NULL;
    EVP_PKEY *rsa = NULL, *ec = NULL, *rsa_pub = NULL, *ec_pub = NULL;
    X509 *rsa_leaf = NULL, *ec_leaf = NULL;
    char cmd[512];

    for (size_t i = 0; i < sizeof(module_paths) / sizeof(module_paths[0]); i++)
        if (access(module_paths[i], R_OK) == 0)
            module = module_paths[i];
    CHECK(module != NULL); /* softhsm2 is a dependency */
    CHECK(mkdtemp(dir) != NULL);
    CHECK(keel_test_make_chain(&c, KT_EC_P256, "localhost", 30));
    if (module == NULL || !make_token(module)) {
        CHECK(!"softhsm2 token set up");
        goto done;
    }

    ENGINE_load_builtin_engines();
    e = ENGINE_by_id("pkcs11");
    CHECK(e != NULL); /* libengine-pkcs11-openssl is a dependency */
    if (e == NULL)
        goto done;
    CHECK(ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module, 0) == 1);
    CHECK(ENGINE_init(e) == 1);
    rsa = token_key(e, "rsa", 1);
    ec = token_key(e, "ec", 1);
    rsa_pub = token_key(e, "rsa", 0);
    ec_pub = token_key(e, "ec", 0);
    CHECK(rsa != NULL && ec != NULL && rsa_pub != NULL && ec_pub != NULL);
    if (rsa == NULL || ec == NULL || rsa_pub == NULL || ec_pub == NULL)
        goto done;
    /* Not vacuous: these keys sign through the engine's methods (libp11 puts its RSA_METHOD and
     * EC_KEY_METHOD on the keys), not libcrypto's software implementation. */
    CHECK(RSA_get_method(EVP_PKEY_get0_RSA(rsa)) != RSA_PKCS1_OpenSSL());
    CHECK(EC_KEY_get_method(EVP_PKEY_get0_EC_KEY(ec)) != EC_KEY_OpenSSL());
    CHECK((rsa_leaf = make_leaf(&c, rsa_pub)) != NULL);
    CHECK((ec_leaf = make_leaf(&c, ec_pub)) != NULL);
    if (rsa_leaf == NULL || ec_leaf == NULL)
        goto done;

    /* RFC 8446 §4.4.3: an RSA key signs RSASSA-PSS only in TLS 1.3; ECDSA names its curve. */
    for (int as_client = 0; as_client < 2; as_client++) {
        CHECK(handshake_with(&c, rsa_leaf, rsa, "rsa_pss_rsae_sha256", as_client));
        CHECK(handshake_with(&c, rsa_leaf, rsa, "rsa_pss_rsae_sha384", as_client));
        CHECK(handshake_with(&c, rsa_leaf, rsa, "rsa_pss_rsae_sha512", as_client));
        CHECK(handshake_with(&c, ec_leaf, ec, "ecdsa_secp256r1_sha256", as_client));
    }

done:
    X509_free(rsa_leaf);
    X509_free(ec_leaf);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa_pub);
    EVP_PKEY_free(ec_pub);
    if (e != NULL) {
        ENGINE_finish(e);
        ENGINE_free(e);
    }
    keel_test_chain_free(&c);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (strncmp(dir, "/tmp/keel-engine.", 17) == 0)
        (void)system(cmd);
    return keel_test_finish("engine_key");
}
