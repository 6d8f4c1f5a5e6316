/* Differential probe (tests/diff/run.sh), issue #16 items 10-12: I/O edges.
 *   10. zero-length SSL_read/SSL_read_ex/SSL_peek/SSL_write/SSL_write_ex, with and without data;
 *   11. a retried SSL_write: same buffer, moved buffer (with and without
 *       SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), shorter and longer length;
 *   12. end of stream without close_notify, at a record boundary and inside a record, with and
 *       without SSL_OP_IGNORE_UNEXPECTED_EOF, during and after the handshake. */
#include "probe.h"

static keel_test_chain ec;

static void mkv(link_t *l, int version, SSL_CTX **cc, SSL_CTX **sc)
{
    *cc = keel_test_client_ctx(&ec);
    *sc = keel_test_server_ctx(&ec);
    SSL_CTX_set_max_proto_version(*cc, version);
    mk(l, *cc, *sc);
}

static void zero_length(int version)
{
    printf("== %s: zero-length I/O\n", vname(version));
    SSL_CTX *cc, *sc;
    link_t l;
    mkv(&l, version, &cc, &sc);
    char b[16];
    size_t n = 99;
    printf("  before the handshake: read_ex %d n %zu\n", SSL_read_ex(l.c, b, 0, &n), n);
    errs();
    res("before the handshake: write 0", l.c, SSL_write(l.c, "", 0));
    printf("  handshake %d\n", shake(&l));
    res("client read (tickets)", l.c, SSL_read(l.c, b, sizeof(b)));
    n = 99;
    int r = SSL_read_ex(l.c, b, 0, &n);
    printf("  read_ex 0 = %d n %zu (%s)\n", r, n, errname(SSL_get_error(l.c, r)));
    errs();
    res("read 0", l.c, SSL_read(l.c, b, 0));
    res("peek 0", l.c, SSL_peek(l.c, b, 0));
    res("write 0", l.c, SSL_write(l.c, "", 0));
    n = 99;
    r = SSL_write_ex(l.c, "", 0, &n);
    printf("  write_ex 0 = %d n %zu (%s)\n", r, n, errname(SSL_get_error(l.c, r)));
    errs();
    printf("  client wrote %d bytes\n", (int)BIO_ctrl_pending(l.c_out));
    SSL_write(l.s, "data", 4);
    s2c(&l);
    n = 99;
    r = SSL_read_ex(l.c, b, 0, &n);
    printf("  with data: read_ex 0 = %d n %zu (%s), pending %d\n", r, n, errname(SSL_get_error(l.c, r)),
           SSL_pending(l.c));
    errs();
    res("with data: read 0", l.c, SSL_read(l.c, b, 0));
    printf("  pending %d\n", SSL_pending(l.c));
    res("with data: read", l.c, SSL_read(l.c, b, sizeof(b)));
    res("write NULL 0", l.c, SSL_write(l.c, NULL, 0));
    res("read NULL 0", l.c, SSL_read(l.c, NULL, 0));
    done(&l, cc, sc);
}

/* The client's writes go into a BIO pair with a small buffer, so a large write has to wait. */
static void write_retry(int version, const char *what, int mode, int moved, int delta)
{
    printf("== %s: SSL_write retried: %s\n", vname(version), what);
    SSL_CTX *cc = keel_test_client_ctx(&ec), *sc = keel_test_server_ctx(&ec);
    SSL_CTX_set_max_proto_version(cc, version);
    SSL *c = SSL_new(cc), *s = SSL_new(sc);
    BIO *b1, *b2;
    BIO_new_bio_pair(&b1, 2048, &b2, 2048);
    SSL_set_bio(c, b1, b1);
    SSL_set_bio(s, b2, b2);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    SSL_set_mode(c, mode);
    SSL_clear_mode(c, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER & ~mode);
    printf("  handshake %d\n", keel_test_handshake(c, s));
    static char big[6000], copy[6000], rd[8000];
    memset(big, 'a', sizeof(big));
    memset(copy, 'a', sizeof(copy));
    char b[8];
    SSL_read(c, b, sizeof(b));
    ERR_clear_error();
    res("first write", c, SSL_write(c, big, 5000));
    int got = 0, r;
    while ((r = SSL_read(s, rd, sizeof(rd))) > 0)
        got += r;
    ERR_clear_error();
    printf("  server read %d\n", got);
    res("retry", c, SSL_write(c, moved ? copy : big, 5000 + delta));
    res("retry again, as the first", c, SSL_write(c, big, 5000));
    got = 0;
    for (int i = 0; i < 10; i++) {
        while ((r = SSL_read(s, rd, sizeof(rd))) > 0)
            got += r;
        if (SSL_write(c, big, 5000) > 0)
            break;
    }
    ERR_clear_error();
    while ((r = SSL_read(s, rd, sizeof(rd))) > 0)
        got += r;
    ERR_clear_error();
    printf("  server read %d in all\n", got);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
}

/* EOF on the client's input: after `keep` bytes of the next server record (-1: all of it). */
static void eof(int version, int ignore, int in_handshake, int keep)
{
    printf("== %s: EOF without close_notify%s%s, %s\n", vname(version), ignore ? ", IGNORE_UNEXPECTED_EOF" : "",
           in_handshake ? ", in the handshake" : "",
           keep < 0 ? "after a record" : keep == 0 ? "before the next record" : "inside a record");
    SSL_CTX *cc, *sc;
    link_t l;
    mkv(&l, version, &cc, &sc);
    if (ignore)
        SSL_set_options(l.c, SSL_OP_IGNORE_UNEXPECTED_EOF);
    char b[16];
    if (!in_handshake) {
        shake(&l);
        SSL_read(l.c, b, sizeof(b));
        ERR_clear_error();
        SSL_write(l.s, "hello", 5);
    } else {
        SSL_do_handshake(l.c);
        c2s(&l);
        SSL_do_handshake(l.s);
    }
    char buf[20000];
    int n = BIO_read(l.s_out, buf, sizeof(buf));
    if (keep >= 0 && n > keep)
        n = keep;
    if (n > 0)
        BIO_write(l.c_in, buf, n);
    BIO_set_mem_eof_return(l.c_in, 0);
    if (in_handshake)
        res("client do_handshake", l.c, SSL_do_handshake(l.c));
    else
        res("client read", l.c, SSL_read(l.c, b, sizeof(b)));
    printf("  shutdown %d in_init %d state %s\n", SSL_get_shutdown(l.c), SSL_in_init(l.c), SSL_state_string_long(l.c));
    res("client read again", l.c, SSL_read(l.c, b, sizeof(b)));
    res("client write", l.c, SSL_write(l.c, "x", 1));
    res("client shutdown", l.c, SSL_shutdown(l.c));
    char *p;
    long len = BIO_get_mem_data(l.c_out, &p);
    printf("  client wrote %ld bytes", len);
    if (in_handshake) /* after its ClientHello record: a plaintext alert? */
        for (long i = 0; i + 5 <= len; i += 5 + ((unsigned char)p[i + 3] << 8 | (unsigned char)p[i + 4]))
            if (p[i] == SSL3_RT_ALERT && i + 7 <= len)
                printf(", alert %d %d", p[i + 5], p[i + 6]);
    printf("\n");
    done(&l, cc, sc);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    if (!keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30))
        return 1;
    int vs[2] = { TLS1_3_VERSION, TLS1_2_VERSION };
    for (int i = 0; i < 2; i++) {
        int v = vs[i];
        zero_length(v);
        write_retry(v, "the same buffer", 0, 0, 0);
        write_retry(v, "a moved buffer", 0, 1, 0);
        write_retry(v, "a moved buffer, ACCEPT_MOVING_WRITE_BUFFER", SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, 1, 0);
        write_retry(v, "shorter", 0, 0, -1000);
        write_retry(v, "shorter, ACCEPT_MOVING_WRITE_BUFFER", SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, 0, -1000);
        write_retry(v, "longer", 0, 0, 500);
        write_retry(v, "shorter, ENABLE_PARTIAL_WRITE", SSL_MODE_ENABLE_PARTIAL_WRITE, 0, -1000);
        /* With SSL_OP_IGNORE_UNEXPECTED_EOF an EOF inside a record is where keel deliberately
         * stays stricter (a truncation, not a close: tests/api/eof_truncated.c). */
        for (int ig = 0; ig < 2; ig++) {
            eof(v, ig, 0, -1);
            eof(v, ig, 0, 0);
            if (!ig) {
                eof(v, ig, 0, 3);
                eof(v, ig, 0, 10);
                eof(v, ig, 1, 40);
            }
            eof(v, ig, 1, 0);
        }
    }
    keel_test_chain_free(&ec);
    return 0;
}
