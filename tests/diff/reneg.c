/* Differential probe (tests/diff/run.sh): compiled against the SYSTEM <openssl/ssl.h> and run once
 * on the system libssl and once on keel's (LD_LIBRARY_PATH); the two outputs must be identical.
 * TLS 1.2 renegotiation (RFC 5746) as the application sees it (issue #13 item 5), both ends in
 * this process on the same library, joined by a BIO pair:
 *   - the info callback's sequence (HANDSHAKE_START / DONE on the renegotiation: what nginx and
 *     haproxy count), return values and SSL_get_error of each call, SSL_renegotiate_pending,
 *     SSL_num_renegotiations / SSL_total_renegotiations / SSL_clear_num_renegotiations;
 *   - server-initiated (HelloRequest), client-initiated (refused by default, allowed with
 *     SSL_OP_ALLOW_CLIENT_RENEGOTIATION), abbreviated (SSL_renegotiate_abbreviated: the session
 *     resumed), SSL_OP_NO_RENEGOTIATION on either side, application data written by the peer while
 *     the renegotiation runs (SSL_read returns it), SSL_MODE_AUTO_RETRY off;
 *   - SSL_renegotiate on a TLS 1.3 connection, and before a handshake. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "tls.h"

static keel_test_chain ec;
static int log_info = 1;

static void info_cb(const SSL *s, int where, int ret)
{
    if (!log_info)
        return;
    const char *side = SSL_is_server((SSL *)s) ? "S" : "C";
    if (where & SSL_CB_ALERT)
        printf("  %s alert %s %s:%s\n", side, (where & SSL_CB_READ) ? "read" : "write",
               SSL_alert_type_string(ret), SSL_alert_desc_string_long(ret));
    else if (where & SSL_CB_HANDSHAKE_START)
        printf("  %s start\n", side);
    else if (where & SSL_CB_HANDSHAKE_DONE)
        printf("  %s done\n", side);
    else if (where & SSL_CB_LOOP)
        printf("  %s loop %s\n", side, SSL_state_string_long(s));
    else if (where & SSL_CB_EXIT)
        printf("  %s exit %d %s\n", side, ret, SSL_state_string_long(s));
}

static const char *errname(int e)
{
    switch (e) {
    case SSL_ERROR_NONE: return "NONE";
    case SSL_ERROR_SSL: return "SSL";
    case SSL_ERROR_WANT_READ: return "WANT_READ";
    case SSL_ERROR_WANT_WRITE: return "WANT_WRITE";
    case SSL_ERROR_SYSCALL: return "SYSCALL";
    case SSL_ERROR_ZERO_RETURN: return "ZERO_RETURN";
    default: return "other";
    }
}

static void print_err(void)
{
    unsigned long e;
    while ((e = ERR_get_error()) != 0)
        printf("   error %s\n", ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?");
}

/* After a fatal alert, sent or received, the probe stops calling that side: what the calls
 * return then is not renegotiation's business (tests/diff/fatal_alert.c), and neither is
 * SSL_in_init in the error state. */
static int failed(SSL *x)
{
    return strcmp(SSL_state_string_long(x), "error") == 0;
}

static void counts(const char *who, SSL *x)
{
    printf(" %s: pending %d, num %ld, total %ld, in_init %d, reused %d, state %s\n", who,
           SSL_renegotiate_pending(x), SSL_num_renegotiations(x), SSL_total_renegotiations(x),
           failed(x) ? -1 : SSL_in_init(x), SSL_session_reused(x), SSL_state_string_long(x));
}

static void report(const char *who, const char *call, SSL *x, int r)
{
    printf(" %s %s -> %d (%s)\n", who, call, r, r > 0 ? "ok" : errname(SSL_get_error(x, r)));
    print_err();
}

static int do_hs(const char *who, SSL *x)
{
    if (failed(x))
        return -1;
    int r = SSL_do_handshake(x);
    report(who, "SSL_do_handshake", x, r);
    return r;
}

/* A read: application data is printed; nothing to read is WANT_READ. */
static int rd(const char *who, SSL *x)
{
    char buf[64];
    if (failed(x))
        return -1;
    int r = SSL_read(x, buf, sizeof(buf) - 1);
    if (r > 0) {
        buf[r] = 0;
        printf(" %s SSL_read -> %d \"%s\"\n", who, r, buf);
    } else {
        report(who, "SSL_read", x, r);
    }
    return r;
}

static void wr(const char *who, SSL *x, const char *msg)
{
    if (failed(x))
        return;
    int r = SSL_write(x, msg, (int)strlen(msg));
    report(who, "SSL_write", x, r);
}

static SSL_CTX *sctx_new(uint64_t opts, int max)
{
    SSL_CTX *c = keel_test_server_ctx(&ec);
    SSL_CTX_set_max_proto_version(c, max);
    SSL_CTX_set_options(c, opts);
    SSL_CTX_set_info_callback(c, info_cb);
    SSL_CTX_set_session_id_context(c, (const unsigned char *)"reneg", 5);
    return c;
}

static SSL_CTX *cctx_new(uint64_t opts, int max)
{
    SSL_CTX *c = keel_test_client_ctx(&ec);
    SSL_CTX_set_max_proto_version(c, max);
    SSL_CTX_set_options(c, opts);
    SSL_CTX_set_info_callback(c, info_cb);
    return c;
}

static int connect_pair(SSL_CTX *cc, SSL_CTX *sc, SSL **c, SSL **s)
{
    log_info = 0;
    int ok = keel_test_pair(cc, sc, c, s) && keel_test_handshake(*c, *s);
    log_info = 1;
    printf(" connected %d, %s %s, secure renegotiation %ld/%ld\n", ok, SSL_get_version(*c),
           SSL_get_cipher_name(*c), SSL_get_secure_renegotiation_support(*c),
           SSL_get_secure_renegotiation_support(*s));
    return ok;
}

/* The contexts' statistics (SSL_CTX_sess_number(3)): handshakes started, completed, renegotiated
 * (not the server's SSL_CTX_sess_accept_renegotiate: OpenSSL 3.0 counts a server-initiated
 * renegotiation three times, keel twice, the HelloRequest and the ClientHello; docs/COMPAT.md). */
static void done(SSL *c, SSL *s, SSL_CTX *cc, SSL_CTX *sc)
{
    printf(" stats C connect %ld good %ld renegotiate %ld; S accept %ld good %ld hits %ld\n",
           SSL_CTX_sess_connect(cc), SSL_CTX_sess_connect_good(cc), SSL_CTX_sess_connect_renegotiate(cc),
           SSL_CTX_sess_accept(sc), SSL_CTX_sess_accept_good(sc), SSL_CTX_sess_hits(sc));
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
}

/* The server asks (HelloRequest); the client answers when it next reads. */
static void server_initiated(uint64_t copts, uint64_t sopts, int abbreviated_note)
{
    SSL_CTX *cc = cctx_new(copts, TLS1_2_VERSION), *sc = sctx_new(sopts, TLS1_2_VERSION);
    SSL *c, *s;
    (void)abbreviated_note;
    if (!connect_pair(cc, sc, &c, &s))
        return;
    counts("C", c);
    counts("S", s);
    printf(" S SSL_renegotiate -> %d\n", SSL_renegotiate(s));
    print_err();
    counts("S", s);
    do_hs("S", s);
    counts("S", s);
    wr("S", s, "during");
    rd("C", c);
    counts("C", c);
    rd("S", s);
    counts("S", s);
    rd("C", c);
    rd("S", s);
    rd("C", c);
    counts("C", c);
    counts("S", s);
    wr("C", c, "after-c");
    wr("S", s, "after-s");
    rd("S", s);
    rd("C", c);
    printf(" S clear num -> %ld\n", SSL_clear_num_renegotiations(s));
    counts("S", s);
    done(c, s, cc, sc);
}

/* The client starts it with a new ClientHello (SSL_renegotiate then SSL_do_handshake). With
 * early_data, the server writes before it has read the ClientHello: application data reaching
 * SSL_do_handshake in a renegotiation is an unexpected record. */
static void client_initiated(uint64_t copts, uint64_t sopts, int abbreviated, int early_data)
{
    SSL_CTX *cc = cctx_new(copts, TLS1_2_VERSION), *sc = sctx_new(sopts, TLS1_2_VERSION);
    SSL *c, *s;
    if (!connect_pair(cc, sc, &c, &s))
        return;
    printf(" C %s -> %d\n", abbreviated ? "SSL_renegotiate_abbreviated" : "SSL_renegotiate",
           abbreviated ? SSL_renegotiate_abbreviated(c) : SSL_renegotiate(c));
    print_err();
    counts("C", c);
    do_hs("C", c);
    counts("C", c);
    if (early_data)
        wr("S", s, "s-data");
    rd("S", s);
    counts("S", s);
    do_hs("C", c);
    rd("S", s);
    do_hs("C", c);
    rd("S", s);
    counts("C", c);
    counts("S", s);
    wr("C", c, "after-c");
    rd("S", s);
    wr("S", s, "after-s");
    rd("C", c);
    rd("C", c);
    counts("C", c);
    counts("S", s);
    done(c, s, cc, sc);
}

/* Application data the server wrote before it read the client's renegotiation ClientHello: the
 * client's SSL_read returns it while it waits for the ServerHello; the server reads the client's
 * data after the renegotiation. */
static void interleaved(void)
{
    SSL_CTX *cc = cctx_new(0, TLS1_2_VERSION), *sc = sctx_new(SSL_OP_ALLOW_CLIENT_RENEGOTIATION, TLS1_2_VERSION);
    SSL *c, *s;
    if (!connect_pair(cc, sc, &c, &s))
        return;
    wr("S", s, "before");
    printf(" C SSL_renegotiate -> %d\n", SSL_renegotiate(c));
    rd("C", c); /* sends the ClientHello, returns the server's data */
    counts("C", c);
    rd("C", c);
    rd("S", s);
    rd("C", c);
    rd("S", s);
    wr("S", s, "post");
    rd("C", c);
    counts("C", c);
    counts("S", s);
    done(c, s, cc, sc);
}

/* The server's renegotiation with SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION: a full handshake
 * although the client offers its session. */
static void server_full(void)
{
    SSL_CTX *cc = cctx_new(0, TLS1_2_VERSION);
    SSL_CTX *sc = sctx_new(SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION, TLS1_2_VERSION);
    SSL *c, *s;
    if (!connect_pair(cc, sc, &c, &s))
        return;
    printf(" S SSL_renegotiate -> %d\n", SSL_renegotiate(s));
    do_hs("S", s);
    rd("C", c);
    rd("S", s);
    rd("C", c);
    rd("S", s);
    rd("C", c);
    counts("C", c);
    counts("S", s);
    done(c, s, cc, sc);
}

/* SSL_MODE_AUTO_RETRY off: a read that handled only handshake records returns WANT_READ. */
static void no_auto_retry(void)
{
    SSL_CTX *cc = cctx_new(0, TLS1_2_VERSION), *sc = sctx_new(0, TLS1_2_VERSION);
    SSL *c, *s;
    SSL_CTX_clear_mode(cc, SSL_MODE_AUTO_RETRY);
    SSL_CTX_clear_mode(sc, SSL_MODE_AUTO_RETRY);
    if (!connect_pair(cc, sc, &c, &s))
        return;
    printf(" S SSL_renegotiate -> %d\n", SSL_renegotiate(s));
    do_hs("S", s);
    rd("C", c);
    rd("S", s);
    rd("C", c);
    rd("S", s);
    rd("C", c);
    counts("C", c);
    counts("S", s);
    done(c, s, cc, sc);
}

static void tls13(void)
{
    SSL_CTX *cc = cctx_new(0, TLS1_3_VERSION), *sc = sctx_new(0, TLS1_3_VERSION);
    SSL *c, *s;
    if (!connect_pair(cc, sc, &c, &s))
        return;
    printf(" C SSL_renegotiate -> %d\n", SSL_renegotiate(c));
    print_err();
    printf(" S SSL_renegotiate_abbreviated -> %d\n", SSL_renegotiate_abbreviated(s));
    print_err();
    counts("C", c);
    done(c, s, cc, sc);
    SSL_CTX *x = cctx_new(0, TLS1_2_VERSION);
    SSL *n = SSL_new(x);
    printf(" before handshake: SSL_renegotiate -> %d\n", SSL_renegotiate(n));
    print_err();
    SSL_free(n);
    SSL_CTX_free(x);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--which") == 0) {
        Dl_info info;
        dladdr((void *)SSL_new, &info);
        printf("%s\n", info.dli_fname);
        return 0;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_LOAD_SSL_STRINGS, NULL);
    if (!keel_test_make_chain(&ec, KT_EC_P256, "localhost", 30))
        return 1;
    printf("== server-initiated\n");
    server_initiated(0, 0, 0);
    printf("== server-initiated, client SSL_OP_NO_RENEGOTIATION\n");
    server_initiated(SSL_OP_NO_RENEGOTIATION, 0, 0);
    printf("== client-initiated, server default\n");
    client_initiated(0, 0, 0, 0);
    printf("== client-initiated, server SSL_OP_ALLOW_CLIENT_RENEGOTIATION\n");
    client_initiated(0, SSL_OP_ALLOW_CLIENT_RENEGOTIATION, 0, 0);
    printf("== client-initiated, server writes first\n");
    client_initiated(0, SSL_OP_ALLOW_CLIENT_RENEGOTIATION, 0, 1);
    printf("== client-initiated abbreviated, server SSL_OP_ALLOW_CLIENT_RENEGOTIATION\n");
    client_initiated(0, SSL_OP_ALLOW_CLIENT_RENEGOTIATION, 1, 0);
    printf("== client-initiated, server ALLOW_CLIENT_RENEGOTIATION|NO_RENEGOTIATION\n");
    client_initiated(0, SSL_OP_ALLOW_CLIENT_RENEGOTIATION | SSL_OP_NO_RENEGOTIATION, 0, 0);
    printf("== client-initiated, client SSL_OP_NO_RENEGOTIATION\n");
    client_initiated(SSL_OP_NO_RENEGOTIATION, SSL_OP_ALLOW_CLIENT_RENEGOTIATION, 0, 0);
    printf("== interleaved data\n");
    interleaved();
    printf("== server-initiated, SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION\n");
    server_full();
    printf("== SSL_MODE_AUTO_RETRY off\n");
    no_auto_retry();
    printf("== TLS 1.3\n");
    tls13();
    keel_test_chain_free(&ec);
    return 0;
}
