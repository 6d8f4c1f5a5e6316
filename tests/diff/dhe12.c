/* Differential probe (tests/diff/run.sh): compiled against the SYSTEM <openssl/ssl.h> and run once
 * on the system libssl and once on keel's (LD_LIBRARY_PATH); the two outputs must be identical.
 * TLS 1.2 finite-field DHE (RFC 5246 §7.4.3) and RSA key transport (§7.4.7.1), both ends in this
 * process on the same library:
 *   - the DH setters' return values and reasons (SSL_CTX_set_tmp_dh, SSL_set_tmp_dh,
 *     SSL_[CTX_]set0_tmp_dh_pkey, SSL_[CTX_]set_dh_auto), the callback's arguments;
 *   - which parameters a server uses: none configured (no DHE suite), dh_auto for RSA-2048 and
 *     RSA-3072 certificates and at security level 3, SSL_CTX_set_tmp_dh, set0_tmp_dh_pkey, the
 *     callback; what SSL_get_tmp_key / SSL_get_peer_tmp_key / SSL_get_negotiated_group report;
 *   - the client's check of the server's prime against its security level (SSL_SECOP_TMP_DH:
 *     1024 bits refused at level 2, taken at level 1), with the alert and reason;
 *   - the suite a server picks when the client offers ECDHE, DHE and RSA key transport;
 *   - RSA key transport: negotiated with an RSA certificate, not with an RSA-PSS one;
 *   - SSL_CIPHER_description and the kx/auth NIDs of the new suites. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SSL_CTX_set_tmp_dh takes a DH: deprecated, still ABI */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <openssl/ssl.h>
#include <openssl/dh.h>
#include <openssl/err.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "tls.h"

static keel_test_chain rsa, pss;
static EVP_PKEY *rsa3k_key;
static X509 *rsa3k_cert;
static char alerts[2][64];

static void info_cb(const SSL *s, int where, int ret)
{
    char *a = alerts[SSL_is_server((SSL *)s)];
    if ((where & SSL_CB_WRITE_ALERT) && a[0] == 0)
        snprintf(a, 64, "%s:%s", SSL_alert_type_string(ret), SSL_alert_desc_string_long(ret));
}

static void reasons(const char *who)
{
    unsigned long e;
    int n = 0;
    printf("  %s reasons:", who);
    for (int i = 0; (e = ERR_get_error()) != 0 && i < 8; i++, n++)
        printf(" [%s]", ERR_reason_error_string(e));
    printf("%s\n", n ? "" : " none");
    ERR_clear_error();
}

static EVP_PKEY *named_dh(const char *group)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
    EVP_PKEY *pk = NULL;
    OSSL_PARAM prm[] = { OSSL_PARAM_utf8_string("group", (char *)group, 0), OSSL_PARAM_END };
    if (pc == NULL || EVP_PKEY_paramgen_init(pc) != 1 || EVP_PKEY_CTX_set_params(pc, prm) != 1
            || EVP_PKEY_paramgen(pc, &pk) != 1)
        pk = NULL;
    EVP_PKEY_CTX_free(pc);
    return pk;
}

static int cb_calls, cb_export, cb_keylen;
static DH *cb_dh;
static DH *dh_cb(SSL *s, int is_export, int keylength)
{
    (void)s;
    cb_calls++;
    cb_export = is_export;
    cb_keylen = keylength;
    return cb_dh;
}

static int secop_bits[8], nsecop;
static int sec_cb(const SSL *s, const SSL_CTX *ctx, int op, int bits, int nid, void *other, void *ex)
{
    (void)s, (void)ctx, (void)nid, (void)other, (void)ex;
    if (op == SSL_SECOP_TMP_DH && nsecop < 8)
        secop_bits[nsecop++] = bits;
    return op == SSL_SECOP_TMP_DH ? bits >= 112 : 1;
}

static SSL_CTX *server_ctx(const keel_test_chain *k)
{
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_use_certificate(c, k->leaf);
    SSL_CTX_use_PrivateKey(c, k->leaf_key);
    SSL_CTX_set_info_callback(c, info_cb);
    return c;
}

static SSL_CTX *client_ctx(const char *ciphers)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(c, ciphers);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c), rsa.ca);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c), pss.ca);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_info_callback(c, info_cb);
    return c;
}

static void key_line(const char *who, int ok, EVP_PKEY *k)
{
    if (!ok || k == NULL) {
        printf(" %s none", who);
        return;
    }
    printf(" %s %s/%d", who, OBJ_nid2sn(EVP_PKEY_get_base_id(k)), EVP_PKEY_get_bits(k));
    EVP_PKEY_free(k);
}

static void handshake(const char *what, SSL_CTX *cc, SSL_CTX *sc)
{
    SSL *c, *s;
    EVP_PKEY *k = NULL;
    int ok;
    memset(alerts, 0, sizeof(alerts));
    printf("%s:\n", what);
    if (!keel_test_pair(cc, sc, &c, &s)) {
        printf("  pair failed\n");
        return;
    }
    SSL_set_tlsext_host_name(c, "localhost");
    ok = keel_test_handshake(c, s);
    printf("  handshake %d", ok);
    if (ok) {
        printf(", %s %s, group %ld/%ld", SSL_get_version(c), SSL_get_cipher_name(c),
               SSL_get_negotiated_group(c), SSL_get_negotiated_group(s));
        ok = SSL_get_peer_tmp_key(c, &k) > 0;
        key_line("c peer", ok, ok ? k : NULL);
        /* (not the server's SSL_get_tmp_key: OpenSSL 3.0 drops its own TLS 1.2 key at the end
         * of the handshake, keel keeps it — for ECDHE as well, a difference of its own) */
        printf("\n");
    } else {
        printf(", client alert %s, server alert %s\n", alerts[0][0] ? alerts[0] : "none",
               alerts[1][0] ? alerts[1] : "none");
    }
    reasons("both");
    SSL_free(c);
    SSL_free(s);
}

static void setters(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *s = SSL_new(ctx);
    DH *dh = DH_get_2048_256();
    printf("setters:\n");
    printf("  SSL_CTX_set_dh_auto(1) %ld (2) %ld (0) %ld\n", SSL_CTX_set_dh_auto(ctx, 1),
           SSL_CTX_set_dh_auto(ctx, 2), SSL_CTX_set_dh_auto(ctx, 0));
    reasons("ctx");
    printf("  SSL_set_dh_auto(1) %ld\n", SSL_set_dh_auto(s, 1));
    printf("  SSL_set_tmp_dh %ld, NULL %ld\n", SSL_set_tmp_dh(s, dh), SSL_set_tmp_dh(s, NULL));
    reasons("ssl");
    EVP_PKEY *pk = named_dh("ffdhe2048");
    long r = SSL_set0_tmp_dh_pkey(s, pk);
    printf("  SSL_set0_tmp_dh_pkey(ffdhe2048) %ld\n", r);
    if (r != 1)
        EVP_PKEY_free(pk);
    SSL_set_security_level(s, 4);
    pk = named_dh("ffdhe3072");
    r = SSL_set0_tmp_dh_pkey(s, pk);
    printf("  SSL_set0_tmp_dh_pkey(ffdhe3072) at level 4 %ld\n", r);
    if (r != 1)
        EVP_PKEY_free(pk);
    reasons("ssl");
    SSL_CTX_set_tmp_dh_callback(ctx, dh_cb);
    SSL_set_tmp_dh_callback(s, dh_cb);
    reasons("callbacks");
    DH_free(dh);
    SSL_free(s);
    SSL_CTX_free(ctx);
}

static void descriptions(void)
{
    static const char *names[] = { "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-CHACHA20-POLY1305",
                                   "DHE-RSA-AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-GCM-SHA256" };
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL_CTX_set_cipher_list(ctx, "DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305:"
                                 "DHE-RSA-AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-GCM-SHA256");
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
    char buf[128];
    printf("suites:\n");
    for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
        int skip = 1;
        for (int j = 0; j < 5; j++)
            skip &= strcmp(SSL_CIPHER_get_name(c), names[j]) != 0;
        if (skip)
            continue; /* TLS 1.3 suites */
        printf("  %s", SSL_CIPHER_description(c, buf, sizeof(buf)));
        printf("    kx %s auth %s std %s bits %d id %08lx\n", OBJ_nid2sn(SSL_CIPHER_get_kx_nid(c)),
               OBJ_nid2sn(SSL_CIPHER_get_auth_nid(c)), SSL_CIPHER_standard_name(c),
               SSL_CIPHER_get_bits(c, NULL), (unsigned long)SSL_CIPHER_get_id(c));
    }
    SSL_CTX_free(ctx);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--which") == 0) {
        Dl_info di;
        if (!dladdr((void *)SSL_new, &di))
            return 1;
        printf("%s\n", di.dli_fname);
        return 0;
    }
    if (!keel_test_make_chain(&rsa, KT_RSA2048, "localhost", 30)
            || !keel_test_make_chain(&pss, KT_RSA_PSS, "localhost", 30))
        return 1;
    rsa3k_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
    rsa3k_cert = keel_test_cert("localhost", rsa3k_key, rsa.ca, rsa.ca_key, 0);
    setters();
    descriptions();

    const char *dhe = "DHE-RSA-AES128-GCM-SHA256";
    SSL_CTX *cc = client_ctx(dhe), *sc = server_ctx(&rsa);
    handshake("DHE, no parameters configured", cc, sc);
    SSL_CTX_set_dh_auto(sc, 1);
    handshake("DHE, dh_auto, RSA-2048", cc, sc);
    SSL_CTX_set_cipher_list(cc, "DHE-RSA-AES256-GCM-SHA384");
    handshake("DHE-RSA-AES256-GCM-SHA384, dh_auto", cc, sc);
    SSL_CTX_set_cipher_list(cc, "DHE-RSA-CHACHA20-POLY1305");
    handshake("DHE-RSA-CHACHA20-POLY1305, dh_auto", cc, sc);
    SSL_CTX_set_cipher_list(cc, dhe);
    SSL_CTX_free(sc);

    sc = server_ctx(&rsa);
    SSL_CTX_use_certificate(sc, rsa3k_cert);
    SSL_CTX_use_PrivateKey(sc, rsa3k_key);
    SSL_CTX_set_dh_auto(sc, 1);
    handshake("DHE, dh_auto, RSA-3072", cc, sc);
    SSL_CTX_free(sc);

    sc = server_ctx(&rsa);
    DH *dh = DH_get_2048_256();
    printf("SSL_CTX_set_tmp_dh(2048/256) %ld\n", SSL_CTX_set_tmp_dh(sc, dh));
    handshake("DHE, SSL_CTX_set_tmp_dh(RFC 5114 2048/256)", cc, sc);
    EVP_PKEY *pk = named_dh("ffdhe3072");
    printf("SSL_CTX_set0_tmp_dh_pkey(ffdhe3072) %d\n", SSL_CTX_set0_tmp_dh_pkey(sc, pk));
    handshake("DHE, set0_tmp_dh_pkey(ffdhe3072) after set_tmp_dh", cc, sc);
    SSL_CTX_set_dh_auto(sc, 1);
    handshake("DHE, dh_auto and set0_tmp_dh_pkey(ffdhe3072)", cc, sc);
    DH_free(dh);
    SSL_CTX_free(sc);

    sc = server_ctx(&rsa);
    cb_dh = DH_get_2048_256();
    SSL_CTX_set_tmp_dh_callback(sc, dh_cb);
    handshake("DHE, tmp_dh_callback", cc, sc);
    printf("  callback calls %d is_export %d keylength %d\n", cb_calls, cb_export, cb_keylen);
    DH_free(cb_dh);
    SSL_CTX_free(sc);

    /* A 1024-bit prime: set on a level-0 server, refused by a level-2 client, taken at level 1. */
    sc = server_ctx(&rsa);
    SSL_CTX_set_security_level(sc, 0);
    dh = DH_get_1024_160();
    printf("SSL_CTX_set_tmp_dh(1024/160) at level 0 %ld\n", SSL_CTX_set_tmp_dh(sc, dh));
    SSL_CTX_set_security_level(cc, 2);
    handshake("DHE 1024, client level 2", cc, sc);
    SSL_CTX_set_security_level(cc, 1);
    handshake("DHE 1024, client level 1", cc, sc);
    SSL_CTX_set_security_level(cc, 0);
    handshake("DHE 1024, client level 0", cc, sc);
    SSL_CTX_set_security_level(cc, 1);
    SSL_CTX_set_security_callback(cc, sec_cb);
    nsecop = 0;
    handshake("DHE 1024, client security callback (112 bits for TMP_DH)", cc, sc);
    printf("  TMP_DH asked %d time(s):", nsecop);
    for (int i = 0; i < nsecop; i++)
        printf(" %d", secop_bits[i]);
    printf("\n");
    DH_free(dh);
    SSL_CTX_free(sc);
    SSL_CTX_free(cc);

    /* The server's choice among kinds. */
    cc = client_ctx("ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256");
    sc = server_ctx(&rsa);
    handshake("client ECDHE:DHE:RSA, server without DH", cc, sc);
    SSL_CTX_set_cipher_list(cc, "DHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256");
    handshake("client DHE:RSA, server without DH", cc, sc);
    SSL_CTX_set_dh_auto(sc, 1);
    handshake("client DHE:RSA, server dh_auto", cc, sc);
    SSL_CTX_set_cipher_list(cc, "AES256-GCM-SHA384");
    handshake("RSA key transport AES256-GCM-SHA384", cc, sc);
    SSL_CTX_set_cipher_list(cc, "AES128-GCM-SHA256");
    handshake("RSA key transport AES128-GCM-SHA256", cc, sc);
    SSL_CTX_free(sc);
    sc = server_ctx(&pss);
    handshake("RSA key transport, RSA-PSS certificate", cc, sc);
    SSL_CTX_free(sc);
    SSL_CTX_free(cc);

    keel_test_chain_free(&rsa);
    keel_test_chain_free(&pss);
    EVP_PKEY_free(rsa3k_key);
    X509_free(rsa3k_cert);
    return 0;
}
