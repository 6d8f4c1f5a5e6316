/* Security levels, the security callback and client_sigalgs, by their effects
 * (SSL_CTX_set_security_level(3), SSL_CTX_set_security_callback(3), SSL_CTX_set1_sigalgs(3)).
 * tests/diff/seclevel.c compares the same behaviour with the system libssl line by line; this
 * program asserts the effects through keel's own header, including the per-SSL setters. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static int server_read_alert = -1;

static void info_cb(const SSL *s, int where, int ret)
{
    if ((where & SSL_CB_READ_ALERT) && SSL_is_server((SSL *)s) && server_read_alert < 0)
        server_read_alert = ret & 0xff;
}

/* A server at level 0 (so that it may hold a weak certificate) with the chain's leaf. */
static SSL_CTX *weak_server(const keel_test_chain *ch)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_security_level(ctx, 0);
    CHECK(SSL_CTX_use_certificate(ctx, ch->leaf) == 1);
    CHECK(SSL_CTX_use_PrivateKey(ctx, ch->leaf_key) == 1);
    SSL_CTX_set_info_callback(ctx, info_cb);
    return ctx;
}

/* Handshake with the client at `level` (-1: leave the default); returns the handshake result and
 * the client's verify result. */
static int run(const keel_test_chain *ch, int level, long *verify)
{
    SSL_CTX *sctx = weak_server(ch), *cctx = keel_test_client_ctx(ch);
    SSL *c, *s;
    if (level >= 0)
        SSL_CTX_set_security_level(cctx, level);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    server_read_alert = -1;
    int ok = keel_test_handshake(c, s);
    if (!ok)
        SSL_do_handshake(s); /* let the server read the client's alert */
    *verify = SSL_get_verify_result(c);
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    return ok;
}

static void test_peer_certificates(void)
{
    keel_test_chain rsa1024, rsa2048, sha1;
    long v;

    CHECK(keel_test_make_chain(&rsa1024, KT_RSA1024, "weak.example", 30));
    CHECK(keel_test_make_chain(&rsa2048, KT_RSA2048, "rsa.example", 30));
    CHECK(keel_test_make_chain(&sha1, KT_EC_P256_SHA1, "sha1.example", 30));

    /* Level 3 wants 128 bits: RSA-2048 (112) is refused through the verify path, and the server
     * hears bad_certificate, as from OpenSSL. */
    CHECK(!run(&rsa2048, 3, &v));
    CHECK_EQ(v, X509_V_ERR_EE_KEY_TOO_SMALL);
    CHECK_EQ(server_read_alert, SSL_AD_BAD_CERTIFICATE);
    CHECK(run(&rsa2048, 2, &v));
    CHECK_EQ(v, X509_V_OK);

    /* The default level (Debian's 2) refuses RSA-1024; level 0 accepts it. */
    CHECK(!run(&rsa1024, -1, &v));
    CHECK_EQ(v, X509_V_ERR_EE_KEY_TOO_SMALL);
    CHECK(run(&rsa1024, 0, &v));
    CHECK_EQ(v, X509_V_OK);
    CHECK(run(&rsa1024, 1, &v));

    /* A SHA-1 signature is refused from level 1 (OpenSSL 3.0 rates SHA-1 below 80 bits). */
    CHECK(!run(&sha1, 1, &v));
    CHECK_EQ(v, X509_V_ERR_CA_MD_TOO_WEAK);
    CHECK_EQ(server_read_alert, SSL_AD_BAD_CERTIFICATE);
    CHECK(run(&sha1, 0, &v));

    /* "@SECLEVEL=0" in the cipher string sets the level too (openssl-ciphers(1)). */
    {
        SSL_CTX *sctx = weak_server(&rsa1024), *cctx = keel_test_client_ctx(&rsa1024);
        SSL *c, *s;
        CHECK(SSL_CTX_set_cipher_list(cctx, "DEFAULT:@SECLEVEL=0") == 1);
        CHECK_EQ(SSL_CTX_get_security_level(cctx), 0);
        CHECK(keel_test_pair(cctx, sctx, &c, &s));
        CHECK(keel_test_handshake(c, s));
        SSL_free(c);
        SSL_free(s);
        SSL_CTX_free(cctx);
        SSL_CTX_free(sctx);
    }
    keel_test_chain_free(&rsa1024);
    keel_test_chain_free(&rsa2048);
    keel_test_chain_free(&sha1);
}

static int reason(void)
{
    int r = ERR_GET_REASON(ERR_peek_error());
    ERR_clear_error();
    return r;
}

static void test_own_certificates(void)
{
    keel_test_chain rsa1024, sha1, ok;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    CHECK(keel_test_make_chain(&rsa1024, KT_RSA1024, "weak.example", 30));
    CHECK(keel_test_make_chain(&sha1, KT_EC_P256_SHA1, "sha1.example", 30));
    CHECK(keel_test_make_chain(&ok, KT_EC_P256, "ok.example", 30));

    CHECK_EQ(SSL_CTX_use_certificate(ctx, rsa1024.leaf), 0);
    CHECK_EQ(reason(), SSL_R_EE_KEY_TOO_SMALL);
    CHECK_EQ(SSL_CTX_use_certificate(ctx, sha1.leaf), 0);
    CHECK_EQ(reason(), SSL_R_CA_MD_TOO_WEAK);
    CHECK_EQ(SSL_CTX_use_cert_and_key(ctx, rsa1024.leaf, rsa1024.leaf_key, NULL, 1), 0);
    CHECK_EQ(reason(), SSL_R_EE_KEY_TOO_SMALL);
    CHECK_EQ(SSL_CTX_use_certificate(ctx, ok.leaf), 1);
    /* A CA whose key is too small cannot join the chain (the self-signed root's own digest is not
     * judged); the extra-chain list is not checked, as in OpenSSL. */
    CHECK_EQ(SSL_CTX_add1_chain_cert(ctx, rsa1024.leaf), 0);
    CHECK_EQ(reason(), SSL_R_CA_KEY_TOO_SMALL);
    CHECK_EQ(SSL_CTX_add1_chain_cert(ctx, sha1.leaf), 0);
    CHECK_EQ(reason(), SSL_R_CA_MD_TOO_WEAK);
    CHECK_EQ(SSL_CTX_add1_chain_cert(ctx, ok.ca), 1);

    /* The SSL's own level: lowered on one SSL, that SSL accepts what its context refuses. */
    SSL *s = SSL_new(ctx);
    CHECK_EQ(SSL_use_certificate(s, rsa1024.leaf), 0);
    CHECK_EQ(reason(), SSL_R_EE_KEY_TOO_SMALL);
    SSL_set_security_level(s, 0);
    CHECK_EQ(SSL_use_certificate(s, rsa1024.leaf), 1);
    SSL_free(s);
    SSL_CTX_free(ctx);
    keel_test_chain_free(&rsa1024);
    keel_test_chain_free(&sha1);
    keel_test_chain_free(&ok);
}

static int calls;
static void *seen_ex;
static const SSL *seen_ssl;

static int refuse_all(const SSL *s, const SSL_CTX *ctx, int op, int bits, int nid, void *other, void *ex)
{
    calls++;
    seen_ex = ex;
    seen_ssl = s;
    return 0;
}

static int allow_all(const SSL *s, const SSL_CTX *ctx, int op, int bits, int nid, void *other, void *ex)
{
    calls++;
    return 1;
}

static void test_callback(void)
{
    keel_test_chain ch, rsa1024;
    static int marker;
    CHECK(keel_test_make_chain(&ch, KT_EC_P256, "cb.example", 30));
    CHECK(keel_test_make_chain(&rsa1024, KT_RSA1024, "weak.example", 30));

    /* A per-SSL callback that refuses everything is called, with the SSL and its ex data, and
     * the handshake fails before anything is sent. */
    SSL_CTX *sctx = keel_test_server_ctx(&ch), *cctx = keel_test_client_ctx(&ch);
    SSL *c, *s;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    SSL_set_security_callback(c, refuse_all);
    SSL_set0_security_ex_data(c, &marker);
    calls = 0;
    CHECK(!keel_test_handshake(c, s));
    CHECK(calls > 0);
    CHECK(seen_ex == &marker);
    CHECK(seen_ssl == c);
    CHECK_EQ(BIO_ctrl_pending(SSL_get_wbio(c)), 0);
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);

    /* A context callback refusing everything also refuses configuring a certificate. */
    SSL_CTX_set_security_callback(sctx, refuse_all);
    CHECK_EQ(SSL_CTX_use_certificate(sctx, ch.leaf), 0);
    CHECK_EQ(reason(), SSL_R_EE_KEY_TOO_SMALL);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);

    /* The callback, not the level, decides: allowing everything lets a context at the default
     * level take an RSA-1024 certificate (the peer chain is still judged by the level). */
    sctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_security_callback(sctx, allow_all);
    calls = 0;
    CHECK_EQ(SSL_CTX_use_certificate(sctx, rsa1024.leaf), 1);
    CHECK(calls > 0);
    /* The default callback is what the getter returns before one is set; it applies the level. */
    SSL_CTX *fresh = SSL_CTX_new(TLS_method());
    CHECK(SSL_CTX_get_security_callback(fresh) != NULL);
    SSL_CTX_free(fresh);
    SSL_CTX_free(sctx);
    keel_test_chain_free(&ch);
    keel_test_chain_free(&rsa1024);
}

static void test_level4_negotiation(void)
{
    keel_test_chain ch;
    SSL *c, *s;
    CHECK(keel_test_make_chain(&ch, KT_EC_P384, "p384.example", 30));

    /* Level 4 wants 192 bits: X25519 and P-256 (128) and AES-128 are not offered. */
    SSL_CTX *sctx = keel_test_server_ctx(&ch), *cctx = keel_test_client_ctx(&ch);
    SSL_CTX_set_security_level(cctx, 4);
    SSL_CTX_set_security_level(sctx, 0);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(!keel_test_handshake(c, s)); /* the CA (P-256, SHA-256) is too weak for level 4 */
    CHECK_EQ(SSL_get_verify_result(c), X509_V_ERR_CA_MD_TOO_WEAK);
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    CHECK(SSL_get_negotiated_group(c) != NID_X25519 && SSL_get_negotiated_group(c) != NID_X9_62_prime256v1);
    CHECK(strcmp(SSL_CIPHER_get_name(SSL_get_current_cipher(c)), "TLS_AES_128_GCM_SHA256") != 0);
    SSL_free(c);
    SSL_free(s);

    /* No suite left at all: the TLS 1.3 one and the TLS 1.2 one are 128-bit. */
    CHECK(SSL_CTX_set_ciphersuites(cctx, "TLS_AES_128_GCM_SHA256"));
    CHECK(SSL_CTX_set_cipher_list(cctx, "ECDHE-ECDSA-AES128-GCM-SHA256"));
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(!keel_test_handshake(c, s));
    CHECK_EQ(reason(), SSL_R_NO_CIPHERS_AVAILABLE);
    SSL_free(c);
    SSL_free(s);
    CHECK(SSL_CTX_set_ciphersuites(cctx, "TLS_AES_256_GCM_SHA384"));
    CHECK(SSL_CTX_set1_groups_list(cctx, "X25519:P-256"));
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(!keel_test_handshake(c, s));
    CHECK_EQ(reason(), SSL_R_NO_SUITABLE_GROUPS);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    keel_test_chain_free(&ch);
}

/* Client authentication with an RSA-2048 client certificate; the server's and the client's
 * client_sigalgs lists (NULL: unset). Returns the digest of the client's CertificateVerify as the
 * server saw it, NID_undef if the handshake failed; *nrequest = schemes in the CertificateRequest. */
static int client_auth(const char *server_list, const char *client_list, int *nrequest)
{
    keel_test_chain sc, cc;
    SSL *c, *s;
    int nid = NID_undef, type = NID_undef;
    CHECK(keel_test_make_chain(&sc, KT_EC_P256, "server.example", 30));
    CHECK(keel_test_make_chain(&cc, KT_RSA2048, "client.example", 30));
    SSL_CTX *sctx = keel_test_server_ctx(&sc), *cctx = keel_test_client_ctx(&sc);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx), cc.ca);
    SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    CHECK(SSL_CTX_use_certificate(cctx, cc.leaf) && SSL_CTX_use_PrivateKey(cctx, cc.leaf_key));
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    if (server_list != NULL)
        CHECK(SSL_set1_client_sigalgs_list(s, server_list) == 1);
    if (client_list != NULL)
        CHECK(SSL_set1_client_sigalgs_list(c, client_list) == 1);
    if (keel_test_handshake(c, s)) {
        CHECK(SSL_get_peer_signature_type_nid(s, &type));
        CHECK_EQ(type, EVP_PKEY_RSA_PSS);
        CHECK(SSL_get_peer_signature_nid(s, &nid));
    }
    *nrequest = SSL_get_sigalgs(c, -1, NULL, NULL, NULL, NULL, NULL);
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    keel_test_chain_free(&sc);
    keel_test_chain_free(&cc);
    return nid;
}

static void test_client_sigalgs(void)
{
    int n, all;
    /* Unset: the client picks the first scheme of the request it can use (rsa_pss_rsae_sha256). */
    CHECK_EQ(client_auth(NULL, NULL, &all), NID_sha256);
    CHECK(all > 2);
    /* The server's list is the CertificateRequest, and the only scheme the client may use. */
    CHECK_EQ(client_auth("rsa_pss_rsae_sha384", NULL, &n), NID_sha384);
    CHECK_EQ(n, 1);
    CHECK_EQ(client_auth("ECDSA+SHA256:RSA-PSS+SHA512", NULL, &n), NID_sha512);
    CHECK_EQ(n, 2);
    /* The client's list restricts its CertificateVerify among the request's schemes. */
    CHECK_EQ(client_auth(NULL, "rsa_pss_rsae_sha512", &n), NID_sha512);
    CHECK_EQ(n, all);
    /* The (digest, key) NID-pair form on one SSL: SHA-384 with RSA-PSS only. */
    {
        static const int pss384[] = { NID_sha384, EVP_PKEY_RSA_PSS };
        keel_test_chain sc, cc;
        SSL *c, *s;
        int nid = NID_undef;
        CHECK(keel_test_make_chain(&sc, KT_EC_P256, "server.example", 30));
        CHECK(keel_test_make_chain(&cc, KT_RSA2048, "client.example", 30));
        SSL_CTX *sctx = keel_test_server_ctx(&sc), *cctx = keel_test_client_ctx(&sc);
        X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx), cc.ca);
        SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER, NULL);
        CHECK(SSL_CTX_use_certificate(cctx, cc.leaf) && SSL_CTX_use_PrivateKey(cctx, cc.leaf_key));
        CHECK(keel_test_pair(cctx, sctx, &c, &s));
        CHECK(SSL_set1_client_sigalgs(c, pss384, 2) == 1);
        CHECK(keel_test_handshake(c, s));
        CHECK(SSL_get_peer_signature_nid(s, &nid));
        CHECK_EQ(nid, NID_sha384);
        SSL_free(c);
        SSL_free(s);
        SSL_CTX_free(cctx);
        SSL_CTX_free(sctx);
        keel_test_chain_free(&sc);
        keel_test_chain_free(&cc);
    }
    /* No scheme in common: the client has no certificate to offer; the server insists on one. */
    CHECK_EQ(client_auth("rsa_pss_rsae_sha384", "rsa_pss_rsae_sha256", &n), NID_undef);
}

int main(void)
{
    test_peer_certificates();
    test_own_certificates();
    test_callback();
    test_level4_negotiation();
    test_client_sigalgs();
    return keel_test_finish("seclevel");
}
