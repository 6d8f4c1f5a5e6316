/* Differential probe (tests/diff/run.sh), issue #16 items 13, 19-21 and the records of the
 * "Error reason codes" paragraph: raw records written into an SSL's memory BIO, the SSL's answer
 * printed (return value, SSL_get_error, the libssl reasons, the alert it wrote if any).
 *   - before the ClientHello: a fatal alert, warning alerts (close_notify, user_canceled, a run of
 *     them), zero-length handshake records (one, a run), garbage records (wrong version, wrong
 *     type, too long);
 *   - in the middle of a ClientHello split over records: a warning close_notify, an empty record;
 *   - the record version of the client's first ClientHello record (RFC 8446 §5.1);
 *   - a TLS 1.3 record whose legacy_record_version is not 0x0303, in the ServerHello and after
 *     the handshake;
 *   - a run of warning alerts the client reads before the server's flight (the limit). */
#include "probe.h"

static keel_test_chain ec;
static unsigned char hello[4096];
static int hello_len;

/* What an SSL wrote: the first record's type, and an alert's level and description. */
static void wrote(const char *who, BIO *out)
{
    char *p;
    long n = BIO_get_mem_data(out, &p);
    if (n < 5) {
        printf("   %s wrote nothing\n", who);
    } else if (p[0] == SSL3_RT_ALERT && n >= 7) {
        printf("   %s wrote alert %d %d\n", who, p[5], p[6]);
    } else {
        printf("   %s wrote a record of type %d\n", who, p[0]);
    }
    (void)BIO_reset(out);
}

static int rec(unsigned char *b, int type, int version, const unsigned char *body, int len)
{
    b[0] = (unsigned char)type;
    b[1] = (unsigned char)(version >> 8);
    b[2] = (unsigned char)version;
    b[3] = (unsigned char)(len >> 8);
    b[4] = (unsigned char)len;
    if (body != NULL)
        memcpy(b + 5, body, (size_t)len);
    else
        memset(b + 5, 0, (size_t)len);
    return 5 + len;
}

/* The ClientHello a client of the library under test sends (its first record's body). */
static void get_hello(void)
{
    SSL_CTX *cc = keel_test_client_ctx(&ec);
    unsigned char rec[sizeof(hello) + 5];
    int n = probe_client_hello(cc, rec, sizeof(rec));
    if (n < 5)
        exit(1);
    printf("== the first ClientHello record: type %d, version 0x%02x%02x\n", rec[0], rec[1], rec[2]);
    hello_len = n - 5;
    memcpy(hello, rec + 5, (size_t)hello_len);
    SSL_CTX_free(cc);
}

/* A server fed `bytes`, then (if more) the ClientHello. */
static void server_gets(const char *what, const unsigned char *bytes, int len, int then_hello)
{
    printf("== server: %s\n", what);
    SSL_CTX *sc = keel_test_server_ctx(&ec);
    SSL *s = SSL_new(sc);
    BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in, -1);
    SSL_set_bio(s, in, out);
    SSL_set_accept_state(s);
    BIO_write(in, bytes, len);
    if (then_hello) {
        unsigned char b[5000];
        BIO_write(in, b, rec(b, SSL3_RT_HANDSHAKE, 0x0301, hello, hello_len));
    }
    int r = SSL_do_handshake(s);
    printf("  do_handshake %d (%s)\n", r, errname(SSL_get_error(s, r)));
    errs();
    wrote("server", out);
    printf("   state %s, shutdown %d\n", SSL_state_string_long(s), SSL_get_shutdown(s));
    SSL_free(s);
    SSL_CTX_free(sc);
}

static void before_hello(void)
{
    static unsigned char b[70000];
    int n;
    static const unsigned char fatal[2] = { 2, 40 }, cn[2] = { 1, 0 }, uc[2] = { 1, 90 };
    n = rec(b, SSL3_RT_ALERT, 0x0301, fatal, 2);
    server_gets("a fatal alert first", b, n, 0);
    n = rec(b, SSL3_RT_ALERT, 0x0301, cn, 2);
    server_gets("a warning close_notify first", b, n, 1);
    n = rec(b, SSL3_RT_ALERT, 0x0301, uc, 2);
    server_gets("a warning user_canceled first", b, n, 1);
    for (int k = 2; k <= 6; k++) {
        n = 0;
        for (int i = 0; i < k; i++)
            n += rec(b + n, SSL3_RT_ALERT, 0x0301, uc, 2);
        char what[80];
        snprintf(what, sizeof(what), "%d warning user_canceled first", k);
        server_gets(what, b, n, 1);
    }
    n = rec(b, SSL3_RT_HANDSHAKE, 0x0301, NULL, 0);
    server_gets("an empty handshake record first", b, n, 1);
    n = rec(b, SSL3_RT_ALERT, 0x0301, NULL, 0);
    server_gets("an empty alert record first", b, n, 1);
    n = rec(b, SSL3_RT_ALERT, 0x0301, (const unsigned char *)"\1\0\0", 3);
    server_gets("a three-byte alert record first", b, n, 1);
    int counts[] = { 2, 31, 32, 33 };
    for (int k = 0; k < 4; k++) {
        n = 0;
        for (int i = 0; i < counts[k]; i++)
            n += rec(b + n, SSL3_RT_HANDSHAKE, 0x0301, NULL, 0);
        char what[80];
        snprintf(what, sizeof(what), "%d empty handshake records first", counts[k]);
        server_gets(what, b, n, 1);
    }
    n = rec(b, SSL3_RT_APPLICATION_DATA, 0x0301, NULL, 0);
    server_gets("an empty application data record first", b, n, 1);
    n = rec(b, SSL3_RT_APPLICATION_DATA, 0x0301, NULL, 10);
    server_gets("application data first", b, n, 1);
    n = rec(b, SSL3_RT_CHANGE_CIPHER_SPEC, 0x0301, (const unsigned char *)"\1", 1);
    server_gets("a change_cipher_spec first", b, n, 1);
    /* garbage */
    int versions[] = { 0x0200, 0x0300, 0x0304, 0x03ff, 0x0401, 0xfeff, 0x0000 };
    for (int i = 0; i < 7; i++) {
        n = rec(b, SSL3_RT_HANDSHAKE, versions[i], hello, hello_len);
        char what[80];
        snprintf(what, sizeof(what), "a ClientHello record of version 0x%04x", versions[i]);
        server_gets(what, b, n, 0);
    }
    int types[] = { 0, 19, 24, 25 };
    for (int i = 0; i < 4; i++) {
        n = rec(b, types[i], 0x0301, hello, hello_len);
        char what[80];
        snprintf(what, sizeof(what), "a record of type %d", types[i]);
        server_gets(what, b, n, 0);
    }
    int lens[] = { 16384, 16385, 16640, 16641, 16703, 16704, 16707, 16708, 18432, 18433, 65535 };
    for (int i = 0; i < 11; i++) {
        n = rec(b, SSL3_RT_HANDSHAKE, 0x0301, NULL, lens[i]);
        char what[80];
        snprintf(what, sizeof(what), "a handshake record of %d bytes", lens[i]);
        server_gets(what, b, n, 0);
    }
}

static void split_hello(void)
{
    unsigned char b[10000];
    static const unsigned char cn[2] = { 1, 0 }, uc[2] = { 1, 90 };
    int half = hello_len / 2, n;
    n = rec(b, SSL3_RT_HANDSHAKE, 0x0301, hello, half);
    n += rec(b + n, SSL3_RT_ALERT, 0x0301, cn, 2);
    n += rec(b + n, SSL3_RT_HANDSHAKE, 0x0301, hello + half, hello_len - half);
    server_gets("a warning close_notify in the middle of the ClientHello", b, n, 0);
    n = rec(b, SSL3_RT_HANDSHAKE, 0x0301, hello, half);
    n += rec(b + n, SSL3_RT_ALERT, 0x0301, uc, 2);
    n += rec(b + n, SSL3_RT_HANDSHAKE, 0x0301, hello + half, hello_len - half);
    server_gets("a warning user_canceled in the middle of the ClientHello", b, n, 0);
    n = rec(b, SSL3_RT_HANDSHAKE, 0x0301, hello, half);
    n += rec(b + n, SSL3_RT_HANDSHAKE, 0x0301, NULL, 0);
    n += rec(b + n, SSL3_RT_HANDSHAKE, 0x0301, hello + half, hello_len - half);
    server_gets("an empty handshake record in the middle of the ClientHello", b, n, 0);
    n = rec(b, SSL3_RT_HANDSHAKE, 0x0301, hello, half);
    n += rec(b + n, SSL3_RT_APPLICATION_DATA, 0x0301, (const unsigned char *)"data", 4);
    n += rec(b + n, SSL3_RT_HANDSHAKE, 0x0301, hello + half, hello_len - half);
    server_gets("application data in the middle of the ClientHello", b, n, 0);
    n = rec(b, SSL3_RT_HANDSHAKE, 0x0303, hello, half);
    n += rec(b + n, SSL3_RT_HANDSHAKE, 0x0301, hello + half, hello_len - half);
    server_gets("the ClientHello's records of versions 0x0303, 0x0301", b, n, 0);
}

/* The client side: its ClientHello goes to a real server; what comes back is edited. */
static void client_case(int version, const char *what, int nalerts, int edit_sh_version, int after)
{
    printf("== %s client: %s\n", vname(version), what);
    SSL_CTX *cc = keel_test_client_ctx(&ec), *sc = keel_test_server_ctx(&ec);
    SSL_CTX_set_max_proto_version(cc, version);
    link_t l;
    mk(&l, cc, sc);
    static const unsigned char uc[2] = { 1, 90 }, cn[2] = { 1, 0 };
    unsigned char b[20000];
    int r;
    if (!after) {
        SSL_do_handshake(l.c);
        c2s(&l);
        SSL_do_handshake(l.s);
        int n = 0;
        for (int i = 0; i < nalerts; i++)
            n += rec(b + n, SSL3_RT_ALERT, 0x0303, uc, 2);
        if (nalerts < 0) /* a warning close_notify instead */
            n += rec(b + n, SSL3_RT_ALERT, 0x0303, cn, 2);
        BIO_write(l.c_in, b, n);
        n = BIO_read(l.s_out, b, sizeof(b));
        if (edit_sh_version) {
            b[1] = (unsigned char)(edit_sh_version >> 8);
            b[2] = (unsigned char)edit_sh_version;
        }
        BIO_write(l.c_in, b, n);
        r = SSL_do_handshake(l.c);
        printf("  client do_handshake %d (%s)\n", r, errname(SSL_get_error(l.c, r)));
    } else {
        shake(&l);
        char rd[16];
        SSL_read(l.c, rd, sizeof(rd));
        ERR_clear_error();
        (void)BIO_reset(l.c_out);
        SSL_write(l.s, "hello", 5);
        int n = BIO_read(l.s_out, b, sizeof(b));
        b[1] = (unsigned char)(after >> 8);
        b[2] = (unsigned char)after;
        BIO_write(l.c_in, b, n);
        r = SSL_read(l.c, rd, sizeof(rd));
        printf("  client read %d (%s)\n", r, errname(SSL_get_error(l.c, r)));
    }
    errs();
    char *p;
    long n = BIO_get_mem_data(l.c_out, &p);
    if (!after || n == 0)
        wrote("client", l.c_out);
    else /* protected: the record's existence only */
        printf("   client wrote a record of type %d\n", p[0]);
    done(&l, cc, sc);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    if (!keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30))
        return 1;
    get_hello();
    before_hello();
    split_hello();
    int vs[2] = { TLS1_3_VERSION, TLS1_2_VERSION };
    for (int i = 0; i < 2; i++) {
        for (int k = 1; k <= 6; k++) {
            char what[80];
            snprintf(what, sizeof(what), "%d warning user_canceled before the ServerHello", k);
            client_case(vs[i], what, k, 0, 0);
        }
        client_case(vs[i], "a warning close_notify before the ServerHello", -1, 0, 0);
        client_case(vs[i], "a ServerHello record of version 0x0301", 0, 0x0301, 0);
        client_case(vs[i], "a ServerHello record of version 0x0304", 0, 0x0304, 0);
        client_case(vs[i], "an application data record of version 0x0301", 0, 0, 0x0301);
        client_case(vs[i], "an application data record of version 0x0302", 0, 0, 0x0302);
        client_case(vs[i], "an application data record of version 0x0304", 0, 0, 0x0304);
    }
    keel_test_chain_free(&ec);
    return 0;
}
