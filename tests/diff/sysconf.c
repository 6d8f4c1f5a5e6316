/* Differential probe (tests/diff/run.sh): compiled against the SYSTEM <openssl/ssl.h> and run once
 * on the system libssl and once on keel's (LD_LIBRARY_PATH); the two outputs must be identical.
 * The system's OpenSSL configuration (config(5), SSL_CONF_cmd(3) "configuration file" commands,
 * SSL_CTX_config(3)): the probe writes a private configuration file, points OPENSSL_CONF at it
 * before the first library call, and shows that
 *   - every new SSL_CTX gets the ssl_conf module's system_default section (versions, options,
 *     suites, groups, signature algorithms), role-specific and certificate commands and unknown
 *     names being skipped without an error;
 *   - handshakes the policy forbids fail (an X25519-only client against the P-384/P-521 policy; a
 *     P-256 server certificate when only ECDSA+SHA384 is allowed) and the allowed one succeeds with
 *     the policy's suite, group and scheme;
 *   - SSL_CTX_config applies a named section over it, every command even after an unknown one,
 *     and refuses a missing name. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char CONFIG[] =
    "openssl_conf = probe_init\n"
    "[probe_init]\n"
    "ssl_conf = probe_ssl\n"
    "[probe_ssl]\n"
    "system_default = probe_policy\n"
    "strict = probe_strict\n"
    "[probe_policy]\n"
    "MinProtocol = TLSv1.3\n"
    "MaxProtocol = TLSv1.3\n"
    "CipherString = ECDHE+AESGCM:!SHA384\n"
    "Ciphersuites = TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256\n"
    "Bogus = 1\n"
    "Groups = P-384:P-521\n"
    "SignatureAlgorithms = ECDSA+SHA384:ECDSA+SHA512\n"
    "Certificate = /nonexistent/cert.pem\n"
    "Options = -SessionTicket,ServerPreference,NoRenegotiation\n"
    "[probe_strict]\n"
    "Ciphersuites = TLS_CHACHA20_POLY1305_SHA256\n"
    "NoSuchCommand = x\n"
    "Groups = P-521\n";

static X509 *cert(EVP_PKEY *k)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"sysconf", -1, -1, 0);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, n);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, k);
    X509_sign(x, k, EVP_sha384());
    X509_NAME_free(n);
    return x;
}

static const char *reason_str(unsigned long e)
{
    const char *s = e != 0 ? ERR_reason_error_string(e) : NULL;
    return s != NULL ? s : e != 0 ? "?" : "-";
}

/* The error queue, then empty it: what a call left behind. */
static void print_errors(const char *what)
{
    unsigned long e;
    printf("  %s errors:", what);
    while ((e = ERR_get_error()) != 0)
        printf(" [%s]", reason_str(e));
    printf("\n");
}

static void print_ctx(const char *what, SSL_CTX *ctx)
{
    const uint64_t shown = SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION
        | SSL_OP_NO_COMPRESSION | SSL_OP_ENABLE_MIDDLEBOX_COMPAT;
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);

    printf("%s: min %#lx max %#lx options %#llx\n  suites:", what, SSL_CTX_get_min_proto_version(ctx),
           SSL_CTX_get_max_proto_version(ctx), (unsigned long long)(SSL_CTX_get_options(ctx) & shown));
    for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
        /* TLS 1.2 suites: only the ECDHE AEAD ones keel implements */
        const char *n = SSL_CIPHER_get_name(c);
        if (strncmp(n, "TLS_", 4) == 0 || (strncmp(n, "ECDHE-", 6) == 0
                && (strstr(n, "GCM") != NULL || strstr(n, "CHACHA20") != NULL)))
            printf(" %s", n);
    }
    printf("\n");
}

/* ---- a handshake over a BIO pair ---- */

static char cli_alert[40], srv_alert[40];

static void info_cb(const SSL *s, int where, int ret)
{
    char *d = SSL_is_server((SSL *)s) ? srv_alert : cli_alert;
    if ((where & SSL_CB_WRITE_ALERT) && d[0] == '\0')
        snprintf(d, sizeof(cli_alert), "%s", SSL_alert_desc_string_long(ret));
}

static int step(SSL *s, int *done, unsigned long *err)
{
    if (*done)
        return 1;
    int r = SSL_do_handshake(s);
    if (r == 1)
        return *done = 1;
    if (SSL_get_error(s, r) == SSL_ERROR_WANT_READ)
        return 1;
    *err = ERR_peek_error();
    ERR_clear_error();
    return 0;
}

/* `detail`: print the alerts and reasons of a failure too. */
static void handshake(const char *what, SSL_CTX *cctx, SSL_CTX *sctx, int detail)
{
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    BIO *b1, *b2;
    int cd = 0, sd = 0;
    unsigned long ce = 0, se = 0;

    cli_alert[0] = srv_alert[0] = '\0';
    SSL_set_info_callback(c, info_cb);
    SSL_set_info_callback(s, info_cb);
    BIO_new_bio_pair(&b1, 0, &b2, 0);
    SSL_set_bio(c, b1, b1);
    SSL_set_bio(s, b2, b2);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    ERR_clear_error();
    for (int i = 0; i < 50 && !(cd && sd); i++)
        if (!step(c, &cd, &ce) || !step(s, &sd, &se))
            break;
    printf("%s:", what);
    if (cd && sd) {
        int sig = NID_undef;
        SSL_get_peer_signature_type_nid(c, &sig);
        int md = NID_undef;
        SSL_get_peer_signature_nid(c, &md);
        printf(" ok %s group=%s cipher=%s sig=%s+%s\n", SSL_get_version(c),
               SSL_group_to_name(c, SSL_get_negotiated_group(c)),
               SSL_CIPHER_get_name(SSL_get_current_cipher(c)), OBJ_nid2sn(sig), OBJ_nid2sn(md));
    } else if (!detail) {
        printf(" failed\n");
    } else {
        printf(" failed; client alert %s reason %s; server alert %s reason %s\n",
               cli_alert[0] ? cli_alert : "-", reason_str(ce), srv_alert[0] ? srv_alert : "-",
               reason_str(se));
    }
    SSL_free(c);
    SSL_free(s);
    ERR_clear_error();
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--which") == 0) {
        Dl_info info;
        dladdr((void *)SSL_new, &info);
        printf("%s\n", info.dli_fname);
        return 0;
    }
    /* The configuration is read once, by the first initialisation: OPENSSL_CONF must be set first. */
    char path[] = "/tmp/keel-sysconf-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, CONFIG, sizeof(CONFIG) - 1) != (ssize_t)(sizeof(CONFIG) - 1) || close(fd) != 0) {
        perror("config file");
        return 1;
    }
    setenv("OPENSSL_CONF", path, 1);

    SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
    print_errors("client SSL_CTX_new");
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
    print_errors("server SSL_CTX_new");
    unlink(path);
    if (cctx == NULL || sctx == NULL)
        return 1;
    print_ctx("client", cctx);
    print_ctx("server", sctx);

    EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *c384 = cert(p384), *c256 = cert(p256);
    SSL_CTX_use_certificate(sctx, c384);
    SSL_CTX_use_PrivateKey(sctx, p384);

    handshake("policy on both sides", cctx, sctx, 1);

    SSL_CTX *x25519 = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set1_groups_list(x25519, "X25519");
    handshake("X25519-only client", x25519, sctx, 1);
    SSL_CTX_free(x25519);

    SSL_CTX *s256 = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(s256, c256);
    SSL_CTX_use_PrivateKey(s256, p256);
    /* Refused by both; how differs: OpenSSL 3.0 drops TLS 1.3 for a certificate it cannot sign
     * with under the policy and so has no version left (protocol_version, "unsupported protocol");
     * keel keeps the version and finds no scheme (handshake_failure, "no suitable signature
     * algorithm"). */
    handshake("P-256 server certificate", cctx, s256, 0);
    SSL_CTX_free(s256);

    SSL_CTX *strict = SSL_CTX_new(TLS_client_method());
    printf("SSL_CTX_config strict: %d\n", SSL_CTX_config(strict, "strict"));
    print_errors("SSL_CTX_config strict");
    print_ctx("strict client", strict);
    handshake("strict client", strict, sctx, 1);
    printf("SSL_CTX_config missing: %d\n", SSL_CTX_config(strict, "missing"));
    print_errors("SSL_CTX_config missing");
    SSL_CTX_free(strict);

    /* An explicit SSL_CONF context sees the same table: a list applies up to its first bad name. */
    SSL_CTX *opt = SSL_CTX_new(TLS_client_method());
    SSL_CONF_CTX *conf = SSL_CONF_CTX_new();
    SSL_CONF_CTX_set_flags(conf, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_CLIENT);
    SSL_CONF_CTX_set_ssl_ctx(conf, opt);
    SSL_CTX_clear_options(opt, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    printf("Options -SessionTicket,ServerPreference,NoRenegotiation on a client: %d\n",
           SSL_CONF_cmd(conf, "Options", "-SessionTicket,ServerPreference,NoRenegotiation"));
    print_errors("Options");
    print_ctx("after Options", opt);
    SSL_CONF_CTX_free(conf);
    SSL_CTX_free(opt);

    X509_free(c384);
    X509_free(c256);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(p256);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    return 0;
}
