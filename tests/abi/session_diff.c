/* Differential test of the server's session object (issue #10 items 0 and 6b): compiled against
 * the SYSTEM <openssl/ssl.h>, this program runs its probe twice — once on keel's libssl.so.3
 * (LD_LIBRARY_PATH = keel's build directory) and once on the system libssl — and requires the
 * same output. The probe reports what a server sees of SSL_get0_session in its ClientHello,
 * servername and certificate callbacks (nginx calls SSL_SESSION_get0_hostname(SSL_get0_session())
 * from its servername callback when client verification is on), after full and resumed
 * handshakes, with and without client verification; and what SSL_OP_NO_TICKET with the server
 * cache off stores and resumes. */

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c) do { if (!(c)) { failures++; fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); ERR_print_errors_fp(stderr); } } while (0)

static EVP_PKEY *key;
static X509 *cert;
/* What keel differs in, by design or outside this test, is not printed (docs/COMPAT.md):
 * - in the ClientHello callback keel's server already has its fresh session (OpenSSL: NULL);
 * - keel decides on resumption after the servername callback, so there the session is still the
 *   fresh one (OpenSSL: the resumed one); non-NULL either way;
 * - without a servername callback keel's server session keeps the SNI name (OpenSSL: none). */
static int resuming, show_host;

static int make_cert(void)
{
    X509_NAME *n;
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    cert = X509_new();
    if (key == NULL || cert == NULL)
        return 0;
    n = X509_get_subject_name(cert);
    return X509_set_version(cert, 2) && ASN1_INTEGER_set(X509_get_serialNumber(cert), 1)
        && X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"probe.test", -1, -1, 0)
        && X509_set_issuer_name(cert, n) && X509_gmtime_adj(X509_getm_notBefore(cert), -3600)
        && X509_gmtime_adj(X509_getm_notAfter(cert), 86400) && X509_set_pubkey(cert, key)
        && X509_sign(cert, key, EVP_sha256()) > 0;
}

static const char *host_of(const SSL_SESSION *ss)
{
    const char *h = ss != NULL ? SSL_SESSION_get0_hostname(ss) : NULL;
    return h != NULL ? h : "-";
}

/* What a server callback sees of the session. */
static void report(SSL *s, const char *where)
{
    SSL_SESSION *ss = SSL_get0_session(s);
    printf("  %s: session=%s host=%s resumable=%d\n", where, ss != NULL ? "yes" : "NULL",
           host_of(ss), ss != NULL ? SSL_SESSION_is_resumable(ss) : -1);
}

static int ch_cb(SSL *s, int *al, void *arg)
{
    (void)al; (void)arg;
    (void)s;
    printf("  client_hello_cb\n");
    return SSL_CLIENT_HELLO_SUCCESS;
}

static int sn_cb(SSL *s, int *al, void *arg)
{
    (void)al; (void)arg;
    if (!resuming)
        report(s, "servername_cb");
    else
        printf("  servername_cb: session=%s\n", SSL_get0_session(s) != NULL ? "yes" : "NULL");
    /* nginx's servername callback, when client verification is configured: must not crash */
    if (SSL_get_verify_mode(s) & SSL_VERIFY_PEER) {
        const char *h = SSL_SESSION_get0_hostname(SSL_get0_session(s));
        printf("  servername_cb: nginx host=%s\n", resuming ? "?" : h != NULL ? h : "-");
    }
    return SSL_TLSEXT_ERR_OK;
}

static int cert_cb(SSL *s, void *arg)
{
    (void)arg;
    report(s, "cert_cb"); /* not called at all on a resumed handshake */
    return 1;
}

static int accept_all(int ok, X509_STORE_CTX *x)
{
    (void)ok; (void)x;
    return 1;
}

static int client_new_sessions;
static int count_new(SSL *s, SSL_SESSION *ss)
{
    (void)s; (void)ss;
    client_new_sessions++;
    return 0;
}

static int handshake(SSL *c, SSL *s)
{
    int cdone = 0, sdone = 0;
    for (int i = 0; i < 100 && !(cdone && sdone); i++) {
        if (!cdone) {
            int r = SSL_do_handshake(c);
            if (r == 1)
                cdone = 1;
            else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
                return 0;
        }
        if (!sdone) {
            int r = SSL_do_handshake(s);
            if (r == 1)
                sdone = 1;
            else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
                return 0;
        }
    }
    /* The client reads the tickets that follow the handshake. */
    char b[1];
    for (int i = 0; i < 3; i++)
        if (SSL_read(c, b, 1) <= 0)
            ERR_clear_error();
    return cdone && sdone;
}

/* One connection; returns the client's session afterwards. */
static SSL_SESSION *connect_once(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *offer, const char *what)
{
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    BIO *bc, *bs;
    SSL_SESSION *got = NULL;

    printf(" %s\n", what);
    if (c == NULL || s == NULL || !BIO_new_bio_pair(&bc, 0, &bs, 0)) {
        CHECK(0);
        SSL_free(c);
        SSL_free(s);
        return NULL;
    }
    SSL_set_bio(c, bc, bc);
    SSL_set_bio(s, bs, bs);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    SSL_set_tlsext_host_name(c, "probe.test");
    if (offer != NULL)
        SSL_set_session(c, offer);
    report(s, "before handshake");
    int ok = handshake(c, s);
    printf("  handshake=%d client_reused=%d server_reused=%d\n", ok, SSL_session_reused(c),
           SSL_session_reused(s));
    SSL_SESSION *ss = SSL_get_session(s);
    printf("  server after: session=%s host=%s peer=%s\n", ss != NULL ? "yes" : "NULL",
           show_host ? host_of(ss) : "?",
           ss != NULL && SSL_SESSION_get0_peer(ss) != NULL ? "yes" : "no");
    SSL_shutdown(c);
    SSL_shutdown(s);
    got = SSL_get1_session(c);
    /* A server SSL used again after SSL_clear starts with a fresh session object again. */
    SSL_clear(s);
    SSL_free(c);
    SSL_free(s);
    ERR_clear_error();
    return got;
}

static void session_callbacks(int verify)
{
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method()), *cctx = SSL_CTX_new(TLS_client_method());
    CHECK(sctx != NULL && cctx != NULL);
    SSL_CTX_set_min_proto_version(sctx, TLS1_3_VERSION);
    SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION);
    CHECK(SSL_CTX_use_certificate(sctx, cert) && SSL_CTX_use_PrivateKey(sctx, key));
    SSL_CTX_set_client_hello_cb(sctx, ch_cb, NULL);
    SSL_CTX_set_tlsext_servername_callback(sctx, sn_cb);
    SSL_CTX_set_cert_cb(sctx, cert_cb, NULL);
    SSL_CTX_set_session_id_context(sctx, (const unsigned char *)"probe", 5);
    if (verify) {
        SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_all);
        CHECK(SSL_CTX_use_certificate(cctx, cert) && SSL_CTX_use_PrivateKey(cctx, key));
    }
    SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, accept_all);
    printf("verify=%d\n", verify);
    show_host = 1;
    SSL_SESSION *first = connect_once(cctx, sctx, NULL, "full");
    CHECK(first != NULL);
    resuming = 1;
    SSL_SESSION *second = connect_once(cctx, sctx, first, "resumed");
    resuming = 0;
    show_host = 0;
    SSL_SESSION_free(first);
    SSL_SESSION_free(second);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

/* SSL_OP_NO_TICKET (stateful) or not, with a cache mode: what is stored, what resumes. */
static void cache_mode(int no_ticket, long mode, const char *name)
{
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method()), *cctx = SSL_CTX_new(TLS_client_method());
    CHECK(sctx != NULL && cctx != NULL);
    SSL_CTX_set_min_proto_version(sctx, TLS1_3_VERSION);
    CHECK(SSL_CTX_use_certificate(sctx, cert) && SSL_CTX_use_PrivateKey(sctx, key));
    if (no_ticket)
        SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(sctx, mode);
    SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT);
    SSL_CTX_sess_set_new_cb(cctx, count_new);
    printf("no_ticket=%d cache=%s\n", no_ticket, name);
    client_new_sessions = 0;
    SSL_SESSION *first = connect_once(cctx, sctx, NULL, "full");
    printf("  tickets received=%d cached=%ld resumable=%d\n", client_new_sessions,
           SSL_CTX_sess_number(sctx), first != NULL && SSL_SESSION_is_resumable(first));
    SSL_SESSION *second = connect_once(cctx, sctx, first, "second");
    SSL_SESSION_free(first);
    SSL_SESSION_free(second);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
}

static int probe(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    CHECK(make_cert());
    session_callbacks(0);
    session_callbacks(1);
    cache_mode(1, SSL_SESS_CACHE_OFF, "off");
    cache_mode(1, SSL_SESS_CACHE_SERVER, "server");
    cache_mode(0, SSL_SESS_CACHE_OFF, "off");
    EVP_PKEY_free(key);
    X509_free(cert);
    fflush(stdout);
    return failures != 0;
}

/* The probe's output on the libssl a command line selects. */
static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    size_t len = 0, cap = 1 << 16;
    char *out = malloc(cap);
    if (p == NULL || out == NULL) {
        free(out);
        return NULL;
    }
    for (size_t n; (n = fread(out + len, 1, cap - 1 - len, p)) > 0;)
        len += n;
    out[len] = 0;
    if (pclose(p) != 0) {
        fprintf(stderr, "FAIL: probe failed: %s\n", cmd);
        failures++;
    }
    return out;
}

int main(int argc, char **argv)
{
    char want[PATH_MAX], self[PATH_MAX], cmd[4 * PATH_MAX];
    Dl_info info;

    if (argc >= 2 && strcmp(argv[1], "--probe") == 0) {
        char got[PATH_MAX];
        /* The probe says nothing of which library it runs on: only the caller compares. */
        if (argc >= 3 && (dladdr((void *)SSL_new, &info) == 0 || realpath(info.dli_fname, got) == NULL
                          || strncmp(got, argv[2], strlen(argv[2])) != 0)) {
            fprintf(stderr, "FAIL: libssl loaded from %s, not %s\n", info.dli_fname, argv[2]);
            return 1;
        }
        return probe();
    }
    if (argc < 2 || realpath(argv[1], want) == NULL || realpath("/proc/self/exe", self) == NULL) {
        fprintf(stderr, "usage: %s KEEL_BUILD_DIR\n", argv[0]);
        return 2;
    }
    snprintf(cmd, sizeof(cmd), "env -u LD_LIBRARY_PATH '%s' --probe", self);
    char *sys = run(cmd);
    snprintf(cmd, sizeof(cmd), "LD_LIBRARY_PATH='%s' '%s' --probe '%s'", want, self, want);
    char *keel = run(cmd);
    CHECK(sys != NULL && keel != NULL);
    if (sys != NULL && keel != NULL && strcmp(sys, keel) != 0) {
        failures++;
        fprintf(stderr, "FAIL: keel and the system libssl differ.\n--- system\n%s--- keel\n%s", sys, keel);
    }
    if (getenv("PROBE_SHOW") != NULL && sys != NULL)
        fputs(sys, stdout);
    free(sys);
    free(keel);
    if (failures == 0)
        printf("abi_session_diff: ok\n");
    return failures != 0;
}
