/* Differential probe (tests/diff/run.sh): compiled against the SYSTEM <openssl/ssl.h> and run once
 * on the system libssl and once on keel's (LD_LIBRARY_PATH); the two outputs must be identical.
 * The cipher-string grammar of openssl-ciphers(1) (SSL_CTX_set_cipher_list(3)): every string of
 * the corpus cipher_strings.txt (next to this file, one string a line, '#' comments) is given to
 *   - SSL_CTX_set_cipher_list on a fresh SSL_CTX,
 *   - SSL_set_cipher_list on a fresh SSL,
 *   - the SSL_CONF "CipherString" command (SSL_CONF_cmd(3), file form),
 *   - SSL_CTX_set_cipher_list on an SSL_CTX already set to "HIGH" (what a failure leaves),
 * and the probe prints the return value, the reason of the error raised, the security level
 * afterwards and the resulting SSL_CTX_get_ciphers list restricted to the suites keel implements
 * (KEEL_SUITES): same order and membership, same success/failure, on both libraries.
 * Then the TLS 1.3 grammar (SSL_CTX_set_ciphersuites(3)) for a few strings, the CCM suites
 * included. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The suites keel implements, by OpenSSL name (TLS 1.3 ones too: SSL_get_ciphers lists them first). */
static const char *const KEEL_SUITES[] = {
    "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA384", "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
    "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-CCM",
    "ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES256-CCM8", "ECDHE-ECDSA-AES128-CCM8",
    "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256",
};

static void print_result(const char *what, int ret, STACK_OF(SSL_CIPHER) *sk, int level)
{
    unsigned long e = ERR_peek_last_error();
    printf("  %s: ret=%d reason=%d level=%d:", what, ret, ret ? 0 : ERR_GET_REASON(e), level);
    for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
        const char *n = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i));
        for (size_t k = 0; k < sizeof(KEEL_SUITES) / sizeof(KEEL_SUITES[0]); k++)
            if (strcmp(n, KEEL_SUITES[k]) == 0)
                printf(" %s", n);
    }
    printf("\n");
    ERR_clear_error();
}

static void probe(const char *str)
{
    printf("[%s]\n", str);

    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    int r = SSL_CTX_set_cipher_list(ctx, str);
    print_result("ctx", r, SSL_CTX_get_ciphers(ctx), SSL_CTX_get_security_level(ctx));

    SSL_CTX *base = SSL_CTX_new(TLS_method());
    SSL *s = SSL_new(base);
    r = SSL_set_cipher_list(s, str);
    print_result("ssl", r, SSL_get_ciphers(s), SSL_get_security_level(s));
    SSL_free(s);
    SSL_CTX_free(base);

    SSL_CTX *cctx_ctx = SSL_CTX_new(TLS_method());
    SSL_CONF_CTX *cctx = SSL_CONF_CTX_new();
    SSL_CONF_CTX_set_flags(cctx, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER | SSL_CONF_FLAG_CLIENT);
    SSL_CONF_CTX_set_ssl_ctx(cctx, cctx_ctx);
    r = SSL_CONF_cmd(cctx, "CipherString", str);
    int fin = SSL_CONF_CTX_finish(cctx);
    print_result(fin ? "conf" : "conf(finish failed)", r > 0, SSL_CTX_get_ciphers(cctx_ctx),
                 SSL_CTX_get_security_level(cctx_ctx));
    SSL_CONF_CTX_free(cctx);
    SSL_CTX_free(cctx_ctx);

    /* What a failing string leaves of an earlier list. */
    if (!SSL_CTX_set_cipher_list(ctx, "HIGH"))
        printf("  HIGH refused\n");
    r = SSL_CTX_set_cipher_list(ctx, str);
    print_result("after HIGH", r, SSL_CTX_get_ciphers(ctx), SSL_CTX_get_security_level(ctx));
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

    /* The corpus sits next to this source file. */
    char path[4096];
    const char *slash = strrchr(__FILE__, '/');
    snprintf(path, sizeof(path), "%.*scipher_strings.txt", slash != NULL ? (int)(slash - __FILE__ + 1) : 0,
             __FILE__);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#')
            continue;
        if (line[0] == '\0')
            continue;
        /* "<empty>" stands for the empty string, "<sp>" for a space. */
        char str[4096];
        size_t o = 0;
        for (const char *p = line; *p != '\0' && o < sizeof(str) - 1;) {
            if (strncmp(p, "<sp>", 4) == 0) {
                str[o++] = ' ';
                p += 4;
            } else if (strncmp(p, "<empty>", 7) == 0) {
                p += 7;
            } else {
                str[o++] = *p++;
            }
        }
        str[o] = '\0';
        probe(str);
        n++;
    }
    fclose(f);
    printf("%d strings\n", n);

    static const char *const suites13[] = {
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256", "FOO",
        "TLS_AES_128_GCM_SHA256:FOO", "", ":", ":TLS_AES_128_GCM_SHA256",
        "TLS_AES_128_GCM_SHA256::TLS_AES_256_GCM_SHA384", "TLS_AES_128_CCM_SHA256",
        "TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_CCM_8_SHA256:TLS_AES_256_GCM_SHA384",
        "tls_aes_128_gcm_sha256", "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384",
        "TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES128-GCM-SHA256",
        "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_256_GCM_SHA384",
    };
    for (size_t i = 0; i < sizeof(suites13) / sizeof(suites13[0]); i++) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_method());
        printf("[ciphersuites %s]\n", suites13[i]);
        int r = SSL_CTX_set_ciphersuites(ctx, suites13[i]);
        print_result("ctx", r, SSL_CTX_get_ciphers(ctx), SSL_CTX_get_security_level(ctx));
        SSL_CTX_free(ctx);
    }
    return 0;
}
