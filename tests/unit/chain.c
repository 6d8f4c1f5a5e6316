/* Our own chain from a trust store (src/pki/chain.c):
 *   - keel_build_chain, SSL_CTX_build_cert_chain(3)'s engine (the ctrl itself is wired in ctrl.c):
 *     each case's return value, resulting chain and errors are what the system libssl's
 *     SSL_CTX_build_cert_chain gives for the same configuration (probed against OpenSSL 3.0 —
 *     note that IGNORE_ERROR returns 1, not the man page's 2);
 *   - the automatic completion is built once per leaf and store and cached on the context, and
 *     rebuilt when the store is replaced. */
#include "internal.h"

#include <openssl/x509v3.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static EVP_PKEY *rk, *ik, *lk;
static X509 *root, *inter, *leaf;

static void names(STACK_OF(X509) *sk, char *out, size_t max)
{
    out[0] = '\0';
    for (int i = 0; i < sk_X509_num(sk); i++) {
        char cn[64] = "";
        X509_NAME_get_text_by_NID(X509_get_subject_name(sk_X509_value(sk, i)), NID_commonName, cn,
                                  sizeof(cn));
        snprintf(out + strlen(out), max - strlen(out), "%s%s", i ? "," : "", cn);
    }
}

enum { S_INT = 1, S_ROOT = 2 };
enum { C_NONE, C_INT, C_ROOT_INT, C_ROOT };

/* One SSL_CTX_build_cert_chain case: the store, the configured chain, flags; what OpenSSL 3.0
 * returned, the chain it left, and the reason it raised (0 = none). */
static void build_case(int store, int chain, int nocert, unsigned long flags, int want_ret,
                       const char *want_chain, int want_reason)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    char got[128];

    if (store & S_INT)
        X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), inter);
    if (store & S_ROOT)
        X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), root);
    if (!nocert) {
        CHECK(SSL_CTX_use_certificate(ctx, leaf) == 1);
        CHECK(SSL_CTX_use_PrivateKey(ctx, lk) == 1);
    }
    if (chain == C_ROOT_INT || chain == C_ROOT)
        SSL_CTX_add1_chain_cert(ctx, root);
    if (chain == C_INT || chain == C_ROOT_INT)
        SSL_CTX_add1_chain_cert(ctx, inter);
    ERR_clear_error();
    int ret = keel_build_chain(keel_ctx_w(ctx), ctx, flags);
    unsigned long e = ERR_get_error();
    CHECK_EQ(ret, want_ret);
    CHECK_EQ(ERR_GET_REASON(e), want_reason);
    CHECK(e == 0 || ERR_GET_LIB(e) == ERR_LIB_SSL);
    CHECK(ERR_get_error() == 0);
    names(ctx->s->cur_slot >= 0 ? ctx->s->certs[ctx->s->cur_slot].chain : NULL, got, sizeof(got));
    if (strcmp(got, want_chain) != 0) {
        fprintf(stderr, "    store=%d chain=%d flags=%lu: chain [%s], expected [%s]\n", store,
                chain, flags, got, want_chain);
        CHECK(!"chain as OpenSSL builds it");
    }
    SSL_CTX_free(ctx);
}

static void build_cases(void)
{
    const unsigned long IGN = SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR;
    build_case(S_INT | S_ROOT, C_NONE, 0, 0, 1, "intermediate,root", 0);
    build_case(S_INT | S_ROOT, C_NONE, 0, SSL_BUILD_CHAIN_FLAG_NO_ROOT, 1, "intermediate", 0);
    build_case(S_INT, C_NONE, 0, 0, 0, "", SSL_R_CERTIFICATE_VERIFY_FAILED);
    build_case(S_INT, C_NONE, 0, IGN, 1, "intermediate", 0);
    build_case(S_INT, C_NONE, 0, IGN | SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR, 1, "intermediate", 0);
    build_case(0, C_NONE, 0, 0, 0, "", SSL_R_CERTIFICATE_VERIFY_FAILED);
    /* CHECK: the configured certificates alone, put in order. */
    build_case(0, C_ROOT_INT, 0, SSL_BUILD_CHAIN_FLAG_CHECK, 1, "intermediate,root", 0);
    build_case(0, C_INT, 0, SSL_BUILD_CHAIN_FLAG_CHECK, 0, "intermediate", SSL_R_CERTIFICATE_VERIFY_FAILED);
    build_case(S_INT | S_ROOT, C_INT, 0, SSL_BUILD_CHAIN_FLAG_CHECK, 0, "intermediate",
               SSL_R_CERTIFICATE_VERIFY_FAILED);
    /* UNTRUSTED: the configured certificates help; without it they do not (and stay on failure). */
    build_case(S_ROOT, C_INT, 0, SSL_BUILD_CHAIN_FLAG_UNTRUSTED, 1, "intermediate,root", 0);
    build_case(S_ROOT, C_INT, 0, 0, 0, "intermediate", SSL_R_CERTIFICATE_VERIFY_FAILED);
    build_case(S_INT | S_ROOT, C_ROOT, 0, 0, 1, "intermediate,root", 0);
    build_case(S_INT | S_ROOT, C_NONE, 1, 0, 0, "", SSL_R_NO_CERTIFICATE_SET);
}

/* The chain the client received, as names after the leaf. */
static int handshake_chain(SSL_CTX *cctx, SSL_CTX *sctx, char *out, size_t max)
{
    SSL *c, *s;
    int ok = keel_test_pair(cctx, sctx, &c, &s) && keel_test_handshake(c, s);
    STACK_OF(X509) *got = ok ? SSL_get_peer_cert_chain(c) : NULL;
    STACK_OF(X509) *after = got != NULL ? sk_X509_dup(got) : NULL;
    if (after != NULL && sk_X509_num(after) > 0)
        (void)sk_X509_shift(after);
    names(after, out, max);
    sk_X509_free(after);
    SSL_free(c);
    SSL_free(s);
    ERR_clear_error();
    return ok;
}

static void auto_chain_cache(void)
{
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    char got[128];

    CHECK(SSL_CTX_use_certificate(sctx, leaf) == 1 && SSL_CTX_use_PrivateKey(sctx, lk) == 1);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx), inter);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx), root);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(cctx), root);
    SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);

    CHECK(handshake_chain(cctx, sctx, got, sizeof(got)));
    CHECK(strcmp(got, "intermediate,root") == 0);
    STACK_OF(X509) *cached = sctx->auto_chain[KEEL_SLOT_EC].chain;
    CHECK(cached != NULL && sctx->auto_chain[KEEL_SLOT_EC].leaf == leaf);
    /* The second handshake uses the cached chain: not rebuilt. */
    CHECK(handshake_chain(cctx, sctx, got, sizeof(got)));
    CHECK(strcmp(got, "intermediate,root") == 0);
    CHECK(sctx->auto_chain[KEEL_SLOT_EC].chain == cached);

    /* A new trust store (here: only the intermediate) makes the cached chain stale. */
    X509_STORE *st = X509_STORE_new();
    X509_STORE_add_cert(st, inter);
    SSL_CTX_set_cert_store(sctx, st);
    CHECK(handshake_chain(cctx, sctx, got, sizeof(got)));
    CHECK(strcmp(got, "intermediate") == 0);

    /* Loading more into the store rebuilds too. */
    FILE *f = fopen("chain_root.pem", "w");
    CHECK(f != NULL && PEM_write_X509(f, root) == 1);
    if (f != NULL)
        fclose(f);
    CHECK(SSL_CTX_load_verify_locations(sctx, "chain_root.pem", NULL) == 1);
    remove("chain_root.pem");
    CHECK(handshake_chain(cctx, sctx, got, sizeof(got)));
    CHECK(strcmp(got, "intermediate,root") == 0);

    /* SSL_MODE_NO_AUTO_CHAIN on the SSL's own block: the leaf alone, verification fails. */
    SSL_CTX_set_mode(sctx, SSL_MODE_NO_AUTO_CHAIN);
    CHECK(!handshake_chain(cctx, sctx, got, sizeof(got)));
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

int main(void)
{
    rk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ik = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    lk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    root = keel_test_cert("root", rk, NULL, NULL, 1);
    inter = keel_test_cert("intermediate", ik, root, rk, 1);
    leaf = keel_test_cert("leaf", lk, inter, ik, 0);

    build_cases();
    auto_chain_cache();

    X509_free(leaf);
    X509_free(inter);
    X509_free(root);
    EVP_PKEY_free(rk);
    EVP_PKEY_free(ik);
    EVP_PKEY_free(lk);
    return keel_test_finish("unit_chain");
}
