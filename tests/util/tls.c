#include "tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <string.h>

static EVP_PKEY *make_key(int type)
{
    switch (type) {
    case KT_EC_P256:
    case KT_EC_P256_SHA1: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    case KT_RSA1024: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    case KT_EC_P384: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    case KT_RSA2048: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    case KT_RSA_PSS: {
        EVP_PKEY *k = NULL;
        EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
        if (pc == NULL || EVP_PKEY_keygen_init(pc) <= 0 || EVP_PKEY_CTX_set_rsa_keygen_bits(pc, 2048) <= 0
                || EVP_PKEY_keygen(pc, &k) <= 0)
            k = NULL;
        EVP_PKEY_CTX_free(pc);
        return k;
    }
    case KT_ED25519: return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    case KT_ED448: return EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    }
    return NULL;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = e != NULL && X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok;
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int ca,
                       long days, const EVP_MD *md)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    static long serial = 1;
    int ok = x != NULL && name != NULL && X509_set_version(x, 2)
        && ASN1_INTEGER_set(X509_get_serialNumber(x), serial++)
        && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0)
        && X509_set_subject_name(x, name)
        && X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name)
        && X509_gmtime_adj(X509_getm_notBefore(x), days < 0 ? days * 86400 * 2 : -3600)
        && X509_gmtime_adj(X509_getm_notAfter(x), days * 86400)
        && X509_set_pubkey(x, key);
    if (ok && ca)
        ok = add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE")
            && add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
    else if (ok) {
        char san[300];
        snprintf(san, sizeof(san), "DNS:%s", cn);
        ok = add_ext(x, issuer, NID_subject_alt_name, san)
            && add_ext(x, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
    }
    EVP_PKEY *sk = issuer_key ? issuer_key : key;
    int md_less = EVP_PKEY_is_a(sk, "ED25519") || EVP_PKEY_is_a(sk, "ED448");
    ok = ok && X509_sign(x, sk, md_less ? NULL : md) > 0;
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

X509 *keel_test_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int ca)
{
    return make_cert(cn, key, issuer, issuer_key, ca, 30, EVP_sha256());
}

int keel_test_make_chain(keel_test_chain *c, int leaf_type, const char *host, long not_after_days)
{
    c->ca_key = make_key(KT_EC_P256);
    c->leaf_key = make_key(leaf_type);
    char ca_name[300];
    snprintf(ca_name, sizeof(ca_name), "keel test CA for %s", host);
    c->ca = c->ca_key ? make_cert(ca_name, c->ca_key, NULL, NULL, 1, 30, EVP_sha256()) : NULL;
    c->leaf = c->leaf_key && c->ca ? make_cert(host, c->leaf_key, c->ca, c->ca_key, 0, not_after_days,
                                               leaf_type == KT_EC_P256_SHA1 ? EVP_sha1() : EVP_sha256())
                                   : NULL;
    return c->leaf != NULL;
}

void keel_test_chain_free(keel_test_chain *c)
{
    EVP_PKEY_free(c->ca_key);
    EVP_PKEY_free(c->leaf_key);
    X509_free(c->ca);
    X509_free(c->leaf);
}

int keel_test_server_setup(SSL_CTX *ctx, const keel_test_chain *c)
{
    return SSL_CTX_use_certificate(ctx, c->leaf) && SSL_CTX_use_PrivateKey(ctx, c->leaf_key);
}

int keel_test_client_setup(SSL_CTX *ctx, const keel_test_chain *c)
{
    if (!X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), c->ca))
        return 0;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return 1;
}

SSL_CTX *keel_test_server_ctx(const keel_test_chain *c)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL || !keel_test_server_setup(ctx, c)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

SSL_CTX *keel_test_client_ctx(const keel_test_chain *c)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL || !keel_test_client_setup(ctx, c)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

int keel_test_pair(SSL_CTX *cctx, SSL_CTX *sctx, SSL **client, SSL **server)
{
    BIO *cb, *sb;
    *client = SSL_new(cctx);
    *server = SSL_new(sctx);
    if (*client == NULL || *server == NULL || !BIO_new_bio_pair(&cb, 0, &sb, 0))
        return 0;
    SSL_set_bio(*client, cb, cb);
    SSL_set_bio(*server, sb, sb);
    SSL_set_connect_state(*client);
    SSL_set_accept_state(*server);
    return 1;
}

void keel_test_free_pair(SSL *client, SSL *server)
{
    if (client != NULL)
        SSL_set_shutdown(client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    if (server != NULL)
        SSL_set_shutdown(server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(client);
    SSL_free(server);
}

SSL_SESSION *keel_test_ticket_session(SSL_CTX *cctx, SSL_CTX *sctx)
{
    SSL *c, *s;
    char b[4];
    SSL_SESSION *sess = NULL;

    if (!keel_test_pair(cctx, sctx, &c, &s))
        return NULL;
    if (keel_test_handshake(c, s) && SSL_write(s, "x", 1) == 1 && SSL_read(c, b, sizeof(b)) == 1)
        sess = SSL_get1_session(c);
    keel_test_free_pair(c, s);
    return sess;
}

int keel_test_sha384_handshake(SSL_CTX *cctx, SSL_CTX *sctx, int version, const char *host)
{
    SSL *c = NULL, *s = NULL;
    unsigned char ek[2][32];
    int ok = SSL_CTX_set_min_proto_version(cctx, version) && SSL_CTX_set_max_proto_version(cctx, version)
        && SSL_CTX_set_ciphersuites(cctx, "TLS_AES_256_GCM_SHA384")
        && SSL_CTX_set_cipher_list(cctx, "ECDHE-ECDSA-AES256-GCM-SHA384")
        && keel_test_pair(cctx, sctx, &c, &s) && (host == NULL || SSL_set1_host(c, host))
        && keel_test_handshake(c, s)
        && SSL_version(c) == version && strstr(SSL_get_cipher_name(c), "SHA384") != NULL
        && SSL_get_verify_result(c) == X509_V_OK
        && SSL_export_keying_material(c, ek[0], 32, "EXPORTER-test", 13, NULL, 0, 0) == 1
        && SSL_export_keying_material(s, ek[1], 32, "EXPORTER-test", 13, NULL, 0, 0) == 1
        && memcmp(ek[0], ek[1], 32) == 0;
    keel_test_free_pair(c, s);
    return ok;
}

int keel_test_handshake(SSL *client, SSL *server)
{
    int cdone = 0, sdone = 0;
    for (int i = 0; i < 100 && !(cdone && sdone); i++) {
        if (!cdone) {
            int r = SSL_do_handshake(client);
            if (r == 1)
                cdone = 1;
            else if (SSL_get_error(client, r) != SSL_ERROR_WANT_READ
                     && SSL_get_error(client, r) != SSL_ERROR_WANT_WRITE)
                return 0;
        }
        if (!sdone) {
            int r = SSL_do_handshake(server);
            if (r == 1)
                sdone = 1;
            else if (SSL_get_error(server, r) != SSL_ERROR_WANT_READ
                     && SSL_get_error(server, r) != SSL_ERROR_WANT_WRITE)
                return 0;
        }
    }
    return cdone && sdone;
}

SSL_SESSION *keel_test_psk_session(SSL *s, const char *cipher, const unsigned char *key, size_t len)
{
    const SSL_CIPHER *cs = NULL;
    STACK_OF(SSL_CIPHER) *all = SSL_get_ciphers(s);
    for (int i = 0; i < sk_SSL_CIPHER_num(all); i++)
        if (strcmp(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(all, i)), cipher) == 0)
            cs = sk_SSL_CIPHER_value(all, i);
    SSL_SESSION *ss = SSL_SESSION_new();
    if (ss == NULL || cs == NULL || !SSL_SESSION_set1_master_key(ss, key, len)
            || !SSL_SESSION_set_cipher(ss, cs) || !SSL_SESSION_set_protocol_version(ss, TLS1_3_VERSION)) {
        SSL_SESSION_free(ss);
        return NULL;
    }
    return ss;
}
