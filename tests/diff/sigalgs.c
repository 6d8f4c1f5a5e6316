/* Differential probe (tests/diff/run.sh): compiled against the SYSTEM <openssl/ssl.h> and run once
 * on the system libssl and once on keel's (LD_LIBRARY_PATH); the two outputs must be identical.
 * The default signature_algorithms lists (SSL_get_sigalgs(3), SSL_get_shared_sigalgs(3)), with
 * every field each reports:
 *   - on the server, the ClientHello's list and the shared list;
 *   - on the client, the CertificateRequest's list (a server requesting a certificate) and the
 *     shared list;
 * for an ECDSA P-256 and an RSA server certificate, TLS 1.3 only (all keel negotiates), at level 0,
 * and with a client whose minimum version is the default (TLS 1.2 schemes offered).
 * The server's session timeout in the servername callback and after the handshake. Also
 * SSL_SESSION_new(3)'s defaults: protocol, verify result (after SSL_set_session), resumability. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static X509 *selfsigned(EVP_PKEY *k)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"sigalgs", -1, -1, 0);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, n);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, k);
    X509_sign(x, k, EVP_sha256());
    X509_NAME_free(n);
    return x;
}

static int accept_any(X509_STORE_CTX *x, void *arg)
{
    (void)x, (void)arg;
    return 1;
}

/* The server's session while the handshake runs (SSL_get_session in the servername callback):
 * its timeout, which SSL_SESSION_new's default must not leak into. */
static long sni_timeout = -1;
static int sni_cb(SSL *s, int *al, void *arg)
{
    (void)al, (void)arg;
    SSL_SESSION *ss = SSL_get_session(s);
    sni_timeout = ss != NULL ? SSL_SESSION_get_timeout(ss) : -2;
    return SSL_TLSEXT_ERR_NOACK;
}

static int step(SSL *s, int *done)
{
    if (*done)
        return 1;
    int r = SSL_do_handshake(s);
    if (r == 1)
        return *done = 1;
    return SSL_get_error(s, r) == SSL_ERROR_WANT_READ;
}

static const char *sn(int nid)
{
    return nid == NID_undef ? "undef" : OBJ_nid2sn(nid);
}

typedef int (*getter)(SSL *, int, int *, int *, int *, unsigned char *, unsigned char *);

/* The count: SSL_get_sigalgs(3) gives it for any idx; OpenSSL 3.0's SSL_get_shared_sigalgs gives
 * 0 for a negative idx and the count for a valid one (openssl s_client asks with idx 0). */
static void list(const char *what, SSL *s, getter get)
{
    int neg = get(s, -1, NULL, NULL, NULL, NULL, NULL), n = get(s, 0, NULL, NULL, NULL, NULL, NULL);
    int ndsa = 0;
    for (int i = 0; i < n; i++) {
        int sign = NID_undef;
        get(s, i, &sign, NULL, NULL, NULL, NULL);
        ndsa += sign == NID_dsa;
    }
    /* keel has no DSA: OpenSSL 3.0's ClientHello, with TLS 1.2 allowed, lists DSA schemes after
     * the others (a documented difference): the counts are without them, and they are not shown. */
    printf("%s: %d (idx -1: %d)\n", what, n - ndsa, neg > 0 ? neg - ndsa : neg);
    for (int i = 0; i < n; i++) {
        int sign = -1, hash = -1, sh = -1;
        unsigned char rsig = 0, rhash = 0;
        int r = get(s, i, &sign, &hash, &sh, &rsig, &rhash);
        if (sign == NID_dsa)
            continue;
        printf("  %d: ret %d %02x%02x sign=%s hash=%s signhash=%s\n", i, r - ndsa, rhash, rsig, sn(sign),
               sn(hash), sn(sh));
    }
    printf("  past end: %d\n", get(s, n, NULL, NULL, NULL, NULL, NULL));
}

/* The server's client_sigalgs (SSL_CTX_set1_client_sigalgs_list(3) / SSL_CTX_set1_client_sigalgs),
 * naming SHA-224 schemes by string and by NID pair: the CertificateRequest lists them. */
static const char *srv_list;
static const int *srv_nids;
static size_t srv_nnids;

/* The "Verify return code" line of SSL_SESSION_print(3) (the rest of its output is not compared):
 * the session's own verify result, which has no getter. */
static void print_verify(const char *what, SSL_SESSION *ss)
{
    BIO *b = BIO_new(BIO_s_mem());
    char line[256];

    SSL_SESSION_print(b, ss);
    while (BIO_gets(b, line, sizeof(line)) > 0)
        if (strstr(line, "Verify return code") != NULL)
            printf("%s:%s", what, line);
    BIO_free(b);
}

static long ctx_timeout; /* > 0: SSL_CTX_set_timeout on the server's context */

static void run(const char *name, EVP_PKEY *k, int level, int client_min13)
{
    X509 *x = selfsigned(k);
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method()), *cctx = SSL_CTX_new(TLS_client_method());
    BIO *b1, *b2;
    int cd = 0, sd = 0;

    SSL_CTX_set_min_proto_version(sctx, TLS1_3_VERSION);
    if (client_min13) /* else the default minimum: the ClientHello's list is for TLS 1.2 too */
        SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION);
    if (ctx_timeout > 0) /* the server session shows the context's timeout from the start */
        SSL_CTX_set_timeout(sctx, ctx_timeout);
    if (level >= 0) /* level 0: SHA-1 schemes too */
        SSL_CTX_set_security_level(sctx, level), SSL_CTX_set_security_level(cctx, level);
    SSL_CTX_use_certificate(sctx, x);
    SSL_CTX_use_PrivateKey(sctx, k);
    SSL_CTX_use_certificate(cctx, x);
    SSL_CTX_use_PrivateKey(cctx, k);
    /* A CertificateRequest, and any certificate accepted: the lists are what is looked at. */
    SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_cert_verify_callback(sctx, accept_any, NULL);
    SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_tlsext_servername_callback(sctx, sni_cb);
    if (srv_list != NULL)
        printf("%s: set1_client_sigalgs_list(%s) %d\n", name, srv_list,
               (int)SSL_CTX_set1_client_sigalgs_list(sctx, srv_list));
    if (srv_nids != NULL)
        printf("%s: set1_client_sigalgs(%zu NIDs) %d\n", name, srv_nnids,
               (int)SSL_CTX_set1_client_sigalgs(sctx, srv_nids, srv_nnids));
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    SSL_set_tlsext_host_name(c, "localhost");
    printf("%s: before the handshake: client %d server %d\n", name,
           SSL_get_sigalgs(c, -1, NULL, NULL, NULL, NULL, NULL),
           SSL_get_shared_sigalgs(s, -1, NULL, NULL, NULL, NULL, NULL));
    BIO_new_bio_pair(&b1, 0, &b2, 0);
    SSL_set_bio(c, b1, b1);
    SSL_set_bio(s, b2, b2);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    for (int i = 0; i < 50 && !(cd && sd); i++)
        if (!step(c, &cd) || !step(s, &sd))
            break;
    printf("%s: handshake %s, server session timeout %ld in the servername callback, %ld after\n",
           name, cd && sd ? "ok" : "failed", sni_timeout, SSL_SESSION_get_timeout(SSL_get_session(s)));
    ERR_print_errors_fp(stdout);
    /* A handshake's session (verified: X509_V_OK, not encoded) through i2d/d2i. */
    unsigned char der[8192], *dp = der;
    const unsigned char *cp = der;
    int dl = i2d_SSL_SESSION(SSL_get_session(c), NULL);
    SSL_SESSION *back = NULL;
    if (dl > 0 && dl <= (int)sizeof(der) && i2d_SSL_SESSION(SSL_get_session(c), &dp) == dl)
        back = d2i_SSL_SESSION(NULL, &cp, dl);
    print_verify("client session", SSL_get_session(c));
    print_verify("decoded client session", back);
    SSL_SESSION_free(back);
    back = NULL, dp = der, cp = der; /* the server's: its callback accepted, X509_V_OK */
    dl = i2d_SSL_SESSION(SSL_get_session(s), NULL);
    if (dl > 0 && dl <= (int)sizeof(der) && i2d_SSL_SESSION(SSL_get_session(s), &dp) == dl)
        back = d2i_SSL_SESSION(NULL, &cp, dl);
    print_verify("server session", SSL_get_session(s));
    print_verify("decoded server session", back);
    SSL_SESSION_free(back);
    list("server SSL_get_sigalgs (ClientHello)", s, SSL_get_sigalgs);
    list("server SSL_get_shared_sigalgs", s, SSL_get_shared_sigalgs);
    list("client SSL_get_sigalgs (CertificateRequest)", c, SSL_get_sigalgs);
    list("client SSL_get_shared_sigalgs", c, SSL_get_shared_sigalgs);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    X509_free(x);
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

    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    run("ecdsa", ec, -1, 1);
    run("rsa", rsa, -1, 1);
    run("ecdsa level 0", ec, 0, 1);
    run("ecdsa client without a minimum version", ec, -1, 0);
    ctx_timeout = 300;
    run("ecdsa, server context timeout 300", ec, -1, 1);
    ctx_timeout = 0;
    run("ecdsa client without a minimum version, level 0", ec, 0, 0);
    srv_list = "ecdsa_sha224:ECDSA+SHA256:RSA+SHA224:rsa_pkcs1_sha224"; /* a repeat: refused */
    run("client_sigalgs list with a repeat", ec, -1, 1);
    srv_list = "ecdsa_sha224:ECDSA+SHA256:RSA+SHA224";
    run("client_sigalgs list", ec, -1, 1);
    srv_list = NULL;
    static const int nids[] = { NID_sha224, EVP_PKEY_RSA, NID_sha224, EVP_PKEY_EC, NID_sha256, EVP_PKEY_EC };
    srv_nids = nids, srv_nnids = sizeof(nids) / sizeof(nids[0]);
    run("client_sigalgs NIDs", ec, -1, 1);
    static const int pss224[] = { NID_sha224, EVP_PKEY_RSA_PSS };
    srv_nids = pss224, srv_nnids = 2; /* no rsa_pss_*_sha224 scheme: refused */
    run("client_sigalgs RSA-PSS+SHA224", ec, -1, 1);
    srv_nids = NULL;

    /* The names the list setters take for the legacy schemes (SSL_CTX_set1_sigalgs_list(3)). */
    static const char *const names[] = { "ecdsa_sha224", "ECDSA+SHA224", "RSA+SHA224", "rsa_pkcs1_sha224",
                                         "ecdsa_sha1", "ECDSA+SHA1", "RSA+SHA1", "rsa_pkcs1_sha1",
                                         "RSA-PSS+SHA224", "rsa_pss_rsae_sha224", "dsa_sha224" };
    SSL_CTX *nctx = SSL_CTX_new(TLS_method());
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        printf("sigalgs_list %s: %d %d\n", names[i], (int)SSL_CTX_set1_sigalgs_list(nctx, names[i]),
               (int)SSL_CTX_set1_client_sigalgs_list(nctx, names[i]));
    SSL_CTX_free(nctx);
    ERR_clear_error();
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);

    /* Not the timeout: OpenSSL 3.0's is 304, keel's 7200 — keel's server takes its in-handshake
     * session from SSL_SESSION_new (src/api/io.c) and would show 304 in the servername callback,
     * where OpenSSL shows the context's timeout (checked above). */
    SSL_SESSION *ss = SSL_SESSION_new();
    print_verify("SSL_SESSION_new", ss);
    printf("SSL_SESSION_new: time_set %d protocol %x resumable %d max_early %u id_len ",
           SSL_SESSION_get_time(ss) != 0, SSL_SESSION_get_protocol_version(ss),
           SSL_SESSION_is_resumable(ss), SSL_SESSION_get_max_early_data(ss));
    unsigned int idlen;
    SSL_SESSION_get_id(ss, &idlen);
    printf("%u cipher %s\n", idlen, SSL_SESSION_get0_cipher(ss) ? "set" : "none");
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *c = SSL_new(ctx);
    printf("SSL_new verify result %ld\n", SSL_get_verify_result(c));
    printf("SSL_set_session(new) %d verify result %ld\n", SSL_set_session(c, ss), SSL_get_verify_result(c));
    SSL_free(c);
    SSL_CTX_free(ctx);
    SSL_SESSION_free(ss);
    return 0;
}
