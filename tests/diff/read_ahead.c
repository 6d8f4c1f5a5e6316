/* Differential probe (tests/diff/run.sh): SSL_set_read_ahead(3) (Python calls it), by its effect:
 * what a read leaves in the BIO when two records wait there, TLS 1.3 and TLS 1.2. Without
 * read_ahead exactly one record is taken from the BIO; with it everything the BIO holds (up to the
 * read buffer), SSL_has_pending 1 while read-ahead bytes wait. Also with SSL_MODE_RELEASE_BUFFERS,
 * a read into a buffer large enough for the record (keel opens it in place there), the context's
 * setting (SSL_CTX_set_read_ahead), a record read ahead only in part, a new BIO set while bytes
 * read ahead wait (they are read first), and SSL_clear then. */
#include "probe.h"

static keel_test_chain ec;

static SSL_CTX *client_ctx(void) { return keel_test_client_ctx(&ec); }

/* ---- SSL_set_read_ahead ---- */

static void read_ahead(int version)
{
    printf("== %s: SSL_set_read_ahead\n", vname(version));
    for (int ra = 0; ra < 2; ra++) {
        SSL_CTX *sc = keel_test_server_ctx(&ec), *cc = client_ctx();
        SSL_CTX_set_max_proto_version(cc, version);
        SSL_CTX_set_num_tickets(sc, 0);
        link_t l;
        mk(&l, cc, sc);
        SSL_set_read_ahead(l.c, ra);
        int ok = shake(&l);
        SSL_write(l.s, "first", 5);
        SSL_write(l.s, "second", 6);
        s2c(&l);
        int before = (int)BIO_pending(l.c_in);
        char buf[16];
        int n = SSL_read(l.c, buf, 3);
        printf("  read_ahead %d (get %d): handshake %d, two records of %d bytes, read %d, left in the BIO %d,"
               " SSL_pending %d, has_pending %d\n", ra, SSL_get_read_ahead(l.c), ok, before, n,
               (int)BIO_pending(l.c_in), SSL_pending(l.c), SSL_has_pending(l.c));
        n = SSL_read(l.c, buf, sizeof(buf));
        printf("    next read %d, left in the BIO %d, has_pending %d\n", n, (int)BIO_pending(l.c_in),
               SSL_has_pending(l.c));
        ERR_clear_error();
        done(&l, cc, sc);
    }
}

/* ---- the other paths: flags 1 release buffers, 2 a large read buffer, 4 the context's setting,
 * 8 the second record cut in the BIO, 16 a new BIO set before the second read, 32 SSL_clear then
 * (bytes read ahead are dropped) ---- */

static void variant(int version, int flags)
{
    printf("== %s: read_ahead, flags %d\n", vname(version), flags);
    SSL_CTX *sc = keel_test_server_ctx(&ec), *cc = client_ctx();
    SSL_CTX_set_max_proto_version(cc, version);
    SSL_CTX_set_num_tickets(sc, 0);
    if (flags & 4)
        SSL_CTX_set_read_ahead(cc, 1);
    if (flags & 1)
        SSL_CTX_set_mode(cc, SSL_MODE_RELEASE_BUFFERS);
    printf("  ctx get %d\n", (int)SSL_CTX_get_read_ahead(cc));
    link_t l;
    mk(&l, cc, sc);
    if (!(flags & 4))
        SSL_set_read_ahead(l.c, 1);
    int ok = shake(&l);
    SSL_write(l.s, "first", 5);
    SSL_write(l.s, "second", 6);
    SSL_write(l.s, "third!!", 7);
    char raw[4096];
    int rawn = BIO_read(l.s_out, raw, sizeof(raw)), keep = 0;
    if (flags & 8)
        keep = 3; /* the last 3 bytes of the third record come later */
    BIO_write(l.c_in, raw, rawn - keep);
    char buf[20000];
    int bufsz = (flags & 2) ? (int)sizeof(buf) : 3;
    int n = SSL_read(l.c, buf, bufsz);
    printf("  handshake %d get %d: read %d '%.*s', left in the BIO %d, SSL_pending %d, has_pending %d\n", ok,
           SSL_get_read_ahead(l.c), n, n > 0 ? n : 0, buf, (int)BIO_pending(l.c_in), SSL_pending(l.c),
           SSL_has_pending(l.c));
    if (flags & 32) {
        int r = SSL_clear(l.c);
        printf("  SSL_clear %d: has_pending %d, SSL_pending %d, left in the BIO %d\n", r, SSL_has_pending(l.c),
               SSL_pending(l.c), (int)BIO_pending(l.c_in));
        ERR_clear_error();
        done(&l, cc, sc);
        return;
    }
    if (flags & 16) {
        BIO *in = BIO_new(BIO_s_mem());
        BIO_set_mem_eof_return(in, -1);
        SSL_set_bio(l.c, in, l.c_out); /* the same wbio: only the new rbio's reference is taken */
        l.c_in = in;
        printf("  new BIO: has_pending %d\n", SSL_has_pending(l.c));
    }
    for (int i = 0; i < 8; i++) {
        n = SSL_read(l.c, buf, bufsz);
        int e = SSL_get_error(l.c, n);
        printf("  read %d '%.*s' %s, left in the BIO %d, SSL_pending %d, has_pending %d\n", n, n > 0 ? n : 0,
               buf, errname(e), (int)BIO_pending(l.c_in), SSL_pending(l.c), SSL_has_pending(l.c));
        if (e == SSL_ERROR_WANT_READ && keep > 0) {
            BIO_write(l.c_in, raw + rawn - keep, keep);
            keep = 0;
        }
    }
    ERR_clear_error();
    done(&l, cc, sc);
}

/* ---- application data read ahead together with the Finished that ends the reader's handshake
 * (TLS 1.3: the server reads the client's Finished; TLS 1.2: the client reads the server's) ---- */

static void data_behind_finished(int version)
{
    printf("== %s: read_ahead, application data behind the peer's Finished\n", vname(version));
    SSL_CTX *sc = keel_test_server_ctx(&ec), *cc = client_ctx();
    SSL_CTX_set_max_proto_version(cc, version);
    SSL_CTX_set_num_tickets(sc, 0);
    link_t l;
    mk(&l, cc, sc);
    SSL_set_read_ahead(l.c, 1);
    SSL_set_read_ahead(l.s, 1);
    int wrote_c = 0, wrote_s = 0;
    for (int i = 0; i < 10 && !(SSL_is_init_finished(l.c) && SSL_is_init_finished(l.s)); i++) {
        SSL_do_handshake(l.c);
        if (SSL_is_init_finished(l.c) && !wrote_c)
            wrote_c = SSL_write(l.c, "from client", 11) == 11;
        c2s(&l);
        SSL_do_handshake(l.s);
        if (SSL_is_init_finished(l.s) && !wrote_s)
            wrote_s = SSL_write(l.s, "from server", 11) == 11;
        s2c(&l);
    }
    char buf[32];
    int n = SSL_read(l.s, buf, sizeof(buf));
    int m = SSL_read(l.c, buf, sizeof(buf));
    printf("  both done %d, wrote %d %d, server read %d, client read %d\n",
           SSL_is_init_finished(l.c) && SSL_is_init_finished(l.s), wrote_c, wrote_s, n, m);
    ERR_clear_error();
    done(&l, cc, sc);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    if (!keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30))
        return 1;
    read_ahead(TLS1_3_VERSION);
    read_ahead(TLS1_2_VERSION);
    data_behind_finished(TLS1_3_VERSION);
    data_behind_finished(TLS1_2_VERSION);
    static const int flags[] = { 0, 1, 2, 3, 4, 8, 9, 10, 16, 17, 32, 33 };
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        variant(TLS1_3_VERSION, flags[i]);
        variant(TLS1_2_VERSION, flags[i]);
    }
    keel_test_chain_free(&ec);
    return 0;
}
