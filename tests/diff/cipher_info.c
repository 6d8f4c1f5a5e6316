/* Differential probe (tests/diff/run.sh): the SSL_CIPHER getters (SSL_CIPHER_get_name(3)) for every
 * suite keel implements, the CBC, CCM, DHE-PSK and RSA-PSK suites of issue 13 included: names, ids, version, bits,
 * AEAD or not, cipher/digest/kx/auth NIDs, handshake digest and SSL_CIPHER_description, each
 * printed on the system libssl and on keel's; and the lists `openssl ciphers` would print for a
 * few strings that select them (restricted to keel's suites, in order). */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static const char *const SUITES[] = {
    "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256",
    "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA384", "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
    "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-CCM",
    "ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES256-CCM8", "ECDHE-ECDSA-AES128-CCM8",
    /* DHE-PSK and RSA-PSK (RFC 4279 §3, §4) */
    "DHE-PSK-AES256-GCM-SHA384", "DHE-PSK-CHACHA20-POLY1305", "DHE-PSK-AES128-GCM-SHA256",
    "RSA-PSK-AES256-GCM-SHA384", "RSA-PSK-CHACHA20-POLY1305", "RSA-PSK-AES128-GCM-SHA256",
    "DHE-PSK-AES256-CBC-SHA384", "DHE-PSK-AES256-CBC-SHA", "DHE-PSK-AES128-CBC-SHA256",
    "DHE-PSK-AES128-CBC-SHA", "RSA-PSK-AES256-CBC-SHA384", "RSA-PSK-AES256-CBC-SHA",
    "RSA-PSK-AES128-CBC-SHA256", "RSA-PSK-AES128-CBC-SHA", "DHE-PSK-AES256-CCM", "DHE-PSK-AES128-CCM",
    "DHE-PSK-AES256-CCM8", "DHE-PSK-AES128-CCM8",
};
#define NSUITES (sizeof(SUITES) / sizeof(SUITES[0]))

static int ours(const char *n)
{
    for (size_t k = 0; k < NSUITES; k++)
        if (strcmp(n, SUITES[k]) == 0)
            return 1;
    return 0;
}

static void describe(const SSL_CIPHER *c)
{
    char buf[128];
    int alg = 0;
    const EVP_MD *md = SSL_CIPHER_get_handshake_digest(c);

    printf("%s std=%s id=%08lx proto=%04x version=%s bits=%d/", SSL_CIPHER_get_name(c),
           SSL_CIPHER_standard_name(c), (unsigned long)SSL_CIPHER_get_id(c),
           SSL_CIPHER_get_protocol_id(c), SSL_CIPHER_get_version(c), SSL_CIPHER_get_bits(c, &alg));
    printf("%d aead=%d cipher=%d digest=%d kx=%d auth=%d hs=%s\n", alg, SSL_CIPHER_is_aead(c),
           SSL_CIPHER_get_cipher_nid(c), SSL_CIPHER_get_digest_nid(c), SSL_CIPHER_get_kx_nid(c),
           SSL_CIPHER_get_auth_nid(c), md != NULL ? EVP_MD_get0_name(md) : "none");
    printf("  %s", SSL_CIPHER_description(c, buf, sizeof(buf)));
}

static void list(const char *str, const char *suites13)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    int r = SSL_CTX_set_cipher_list(ctx, str), r13 = SSL_CTX_set_ciphersuites(ctx, suites13);
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);

    printf("[%s | %s] ret=%d/%d:", str, suites13, r, r13);
    for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++)
        if (ours(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i))))
            printf(" %s", SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i)));
    printf("\n");
    ERR_clear_error();
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
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);

    /* Every suite, found through a list that selects all of them. */
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_cipher_list(ctx, "ALL");
    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"
                                  "TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256");
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
    int found = 0;
    for (size_t k = 0; k < NSUITES; k++)
        for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++)
            if (strcmp(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i)), SUITES[k]) == 0) {
                describe(sk_SSL_CIPHER_value(sk, i));
                found++;
            }
    printf("%d suites described\n", found);
    /* SSL_CIPHER_find by code, for the new ones. */
    SSL *s = SSL_new(ctx);
    static const unsigned char codes[][2] = { { 0xC0, 0x09 }, { 0xC0, 0x28 }, { 0xC0, 0xAE }, { 0x13, 0x05 } };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        const SSL_CIPHER *c = SSL_CIPHER_find(s, codes[i]);
        printf("find %02x%02x: %s\n", codes[i][0], codes[i][1], c != NULL ? SSL_CIPHER_get_name(c) : "NULL");
    }
    SSL_free(s);
    SSL_CTX_free(ctx);

    /* Lists as `openssl ciphers` prints them. */
    list("DEFAULT", "TLS_AES_128_GCM_SHA256");
    list("ECDHE+AES", "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256");
    list("AESCCM", "TLS_AES_128_CCM_8_SHA256:TLS_AES_128_CCM_SHA256");
    list("CCM8", "TLS_AES_128_CCM_SHA256");
    list("ECDHE-ECDSA-AES128-CCM:ECDHE-ECDSA-AES256-CCM8", "TLS_AES_256_GCM_SHA384");
    list("SHA1", "");
    list("SHA256:SHA384", "");
    list("HIGH:!AESGCM:!CHACHA20", "");
    list("CBC", "");
    list("TLSv1", "");
    list("TLSv1.2+AES128", "");
    list("ALL:@STRENGTH", "");
    list("DEFAULT:!SHA1", "");
    list("DEFAULT:AESCCM", "");
    return 0;
}
