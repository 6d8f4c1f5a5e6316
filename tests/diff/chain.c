/* Differential probe (tests/diff/run.sh): compiled against the SYSTEM <openssl/ssl.h> and run once
 * on the system libssl and once on keel's (LD_LIBRARY_PATH); the two outputs must be identical.
 *   - automatic chain completion (SSL_CTX_add_extra_chain_cert(3) NOTES): with no chain
 *     configured, the chain sent is completed from the trust store — the certificates the peer
 *     receives, for a server and for a client certificate, with the store holding the
 *     intermediate and the root, the intermediate alone, nothing; SSL_MODE_NO_AUTO_CHAIN turns it
 *     off; a configured chain or extra chain certificates are sent instead;
 *   - a key that does not match the certificate (SSL_CTX_use_PrivateKey(3)): the return value and
 *     every error on the stack (libcrypto's X509_R_KEY_VALUES_MISMATCH), in both orders. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

static void print_chain(const char *who, STACK_OF(X509) *sk)
{
    printf(" %s=[", who);
    for (int i = 0; i < sk_X509_num(sk); i++) {
        char cn[64] = "";
        X509_NAME_get_text_by_NID(X509_get_subject_name(sk_X509_value(sk, i)), NID_commonName, cn,
                                  sizeof(cn));
        printf("%s%s", i ? "," : "", cn);
    }
    printf("]");
}

static EVP_PKEY *root_k, *int_k, *leaf_k, *other_k;
static X509 *root, *inter, *leaf;

enum { ST_NONE, ST_INT, ST_BOTH };

/* How a context's own chain is configured for one case. */
typedef struct {
    const char *name;
    int store;        /* what the owner's trust store holds */
    int no_auto;      /* SSL_MODE_NO_AUTO_CHAIN */
    int set_chain;    /* SSL_CTX_add1_chain_cert(intermediate) */
    int extra;        /* SSL_CTX_add_extra_chain_cert(intermediate) */
} own;

static void configure(SSL_CTX *ctx, const own *o)
{
    X509_STORE *st = SSL_CTX_get_cert_store(ctx);
    if (o->store >= ST_INT)
        X509_STORE_add_cert(st, inter);
    if (o->store >= ST_BOTH)
        X509_STORE_add_cert(st, root);
    SSL_CTX_use_certificate(ctx, leaf);
    SSL_CTX_use_PrivateKey(ctx, leaf_k);
    if (o->no_auto)
        SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
    if (o->set_chain)
        SSL_CTX_add1_chain_cert(ctx, inter);
    if (o->extra) {
        X509_up_ref(inter);
        SSL_CTX_add_extra_chain_cert(ctx, inter);
    }
}

/* The peer trusts the root only; `client` says whose certificate is under test. */
static void run(const own *o, int client)
{
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX *owner = client ? cctx : sctx, *peer = client ? sctx : cctx;
    BIO *b1, *b2;

    SSL_CTX_set_min_proto_version(sctx, TLS1_3_VERSION);
    SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION);
    configure(owner, o);
    if (client) {
        SSL_CTX_use_certificate(sctx, leaf); /* any server certificate; the client does not verify */
        SSL_CTX_use_PrivateKey(sctx, leaf_k);
    }
    X509_STORE_add_cert(SSL_CTX_get_cert_store(peer), root);
    SSL_CTX_set_verify(peer, SSL_VERIFY_PEER | (client ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);

    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    BIO_new_bio_pair(&b1, 0, &b2, 0);
    SSL_set_bio(c, b1, b1);
    SSL_set_bio(s, b2, b2);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    int ok = keel_test_handshake(c, s);
    SSL *p = client ? s : c;
    printf("%s %s: %s verify=%ld", client ? "client" : "server", o->name, ok ? "ok" : "fail",
           SSL_get_verify_result(p));
    /* What the peer received: the leaf and SSL_get0_verified_chain's view are not compared (the
     * client's SSL_get_peer_cert_chain holds the leaf, the server's does not). */
    STACK_OF(X509) *got = SSL_get_peer_cert_chain(p);
    print_chain("received", got);
    printf("\n");
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void errors(const char *what, int r)
{
    unsigned long e;
    printf("%s -> %d", what, r);
    while ((e = ERR_get_error()) != 0)
        printf(" [lib=%d reason=%d]", ERR_GET_LIB(e), ERR_GET_REASON(e));
    printf("\n");
}

static void mismatch(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    errors("ctx cert", SSL_CTX_use_certificate(ctx, leaf));
    errors("ctx other key", SSL_CTX_use_PrivateKey(ctx, other_k));
    printf("  key kept: %s\n", SSL_CTX_get0_privatekey(ctx) != NULL ? "yes" : "no");
    errors("ctx check", SSL_CTX_check_private_key(ctx));
    errors("ctx right key", SSL_CTX_use_PrivateKey(ctx, leaf_k));
    errors("ctx check", SSL_CTX_check_private_key(ctx));
    SSL *s = SSL_new(ctx);
    errors("ssl other key", SSL_use_PrivateKey(s, other_k));
    errors("ssl check", SSL_check_private_key(s));
    unsigned char *der = NULL;
    int len = i2d_PrivateKey(other_k, &der);
    errors("ssl other key DER", SSL_use_PrivateKey_ASN1(EVP_PKEY_EC, s, der, len));
    OPENSSL_free(der);
    SSL_free(s);
    SSL_CTX_free(ctx);

    ctx = SSL_CTX_new(TLS_server_method());
    errors("ctx key first", SSL_CTX_use_PrivateKey(ctx, other_k));
    errors("ctx cert after other key", SSL_CTX_use_certificate(ctx, leaf));
    printf("  key kept: %s\n", SSL_CTX_get0_privatekey(ctx) != NULL ? "yes" : "no");
    errors("ctx check", SSL_CTX_check_private_key(ctx));
    SSL_CTX_free(ctx);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--which") == 0) {
        Dl_info info;
        dladdr((void *)SSL_new, &info);
        printf("%s\n", info.dli_fname);
        return 0;
    }
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_LOAD_SSL_STRINGS, NULL);
    root_k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    int_k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    leaf_k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    other_k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    root = keel_test_cert("root", root_k, NULL, NULL, 1);
    inter = keel_test_cert("intermediate", int_k, root, root_k, 1);
    leaf = keel_test_cert("leaf", leaf_k, inter, int_k, 0);

    static const own cases[] = {
        { "store=int+root", ST_BOTH, 0, 0, 0 },
        { "store=int", ST_INT, 0, 0, 0 },
        { "store=empty", ST_NONE, 0, 0, 0 },
        { "store=int+root NO_AUTO_CHAIN", ST_BOTH, 1, 0, 0 },
        { "store=int+root chain=int", ST_BOTH, 0, 1, 0 },
        { "store=int+root extra=int", ST_BOTH, 0, 0, 1 },
        { "store=int+root NO_AUTO_CHAIN extra=int", ST_BOTH, 1, 0, 1 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        for (int client = 0; client < 2; client++)
            run(&cases[i], client);
    mismatch();

    X509_free(leaf);
    X509_free(inter);
    X509_free(root);
    EVP_PKEY_free(root_k);
    EVP_PKEY_free(int_k);
    EVP_PKEY_free(leaf_k);
    EVP_PKEY_free(other_k);
    return 0;
}
