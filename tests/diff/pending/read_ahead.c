/* Differential probe (tests/diff/run.sh): SSL_set_read_ahead(3) (Python calls it), by its effect:
 * what a read leaves in the BIO when two records wait there, TLS 1.3 and TLS 1.2.
 * PENDING (not built by the tests/diff glob of .c files; build it by hand against the system
 * header, e.g. `cc -Itests/util tests/diff/pending/read_ahead.c tests/util/tls.c -lssl -lcrypto`):
 * keel's record engine reads exactly one record from the BIO whatever read_ahead says, where
 * OpenSSL 3.0 with read_ahead takes everything the BIO holds (BIO_pending 0 after the first read,
 * SSL_has_pending 1 until the second record is read). Implementing it means keeping bytes past the
 * current record in the read buffer (src/record/read.c), left for the record-buffer work. */
#include "../probe.h"

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

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    if (!keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30))
        return 1;
    read_ahead(TLS1_3_VERSION);
    read_ahead(TLS1_2_VERSION);
    keel_test_chain_free(&ec);
    return 0;
}
