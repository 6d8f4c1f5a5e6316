/* Where keel deliberately stays stricter than OpenSSL 3.0 (issue #16 item 12): with
 * SSL_OP_IGNORE_UNEXPECTED_EOF, an EOF at a record boundary is a close (as OpenSSL:
 * tests/diff/io_edges.c), but an EOF inside a record is not. OpenSSL reports the cut record as a
 * clean close (SSL_read 0, SSL_ERROR_ZERO_RETURN) and drops the bytes; keel fails with
 * SSL_R_UNEXPECTED_EOF_WHILE_READING and a decode_error alert, because received bytes of a record
 * prove that data was lost, which the option (for peers that close without close_notify) is not
 * meant to hide. Both versions, and a cut header as well as a cut body. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain ec;

static void one(int version, int keep)
{
    SSL_CTX *cc = keel_test_client_ctx(&ec), *sc = keel_test_server_ctx(&ec);
    SSL_CTX_set_max_proto_version(cc, version);
    SSL *c = SSL_new(cc), *s = SSL_new(sc);
    BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
    BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(c_in, -1);
    BIO_set_mem_eof_return(s_in, -1);
    SSL_set_bio(c, c_in, c_out);
    SSL_set_bio(s, s_in, s_out);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    SSL_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
    char buf[20000];
    int cd = 0, sd = 0, n;
    for (int i = 0; i < 20 && !(cd && sd); i++) {
        cd = cd || SSL_do_handshake(c) == 1;
        while ((n = BIO_read(c_out, buf, sizeof(buf))) > 0)
            BIO_write(s_in, buf, n);
        sd = sd || SSL_do_handshake(s) == 1;
        while ((n = BIO_read(s_out, buf, sizeof(buf))) > 0)
            BIO_write(c_in, buf, n);
    }
    CHECK(cd && sd);
    SSL_read(c, buf, sizeof(buf)); /* TLS 1.3 tickets */
    ERR_clear_error();
    CHECK_EQ(SSL_write(s, "hello", 5), 5);
    n = BIO_read(s_out, buf, sizeof(buf));
    CHECK(n > keep);
    BIO_write(c_in, buf, keep); /* part of the record, then the end of the stream */
    BIO_set_mem_eof_return(c_in, 0);
    char b[16];
    int r = SSL_read(c, b, sizeof(b));
    CHECK_EQ(r, 0);
    CHECK_EQ(SSL_get_error(c, r), SSL_ERROR_SSL);
    CHECK_EQ(ERR_GET_REASON(ERR_peek_last_error()), SSL_R_UNEXPECTED_EOF_WHILE_READING);
    CHECK_EQ(SSL_get_shutdown(c) & SSL_RECEIVED_SHUTDOWN, 0);
    ERR_clear_error();
    /* The connection is in the error state: no data either way, and a decode_error alert went out. */
    CHECK_EQ(SSL_write(c, "x", 1), -1);
    CHECK(SSL_in_init(c));
    CHECK(BIO_ctrl_pending(c_out) > 0);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
}

int main(void)
{
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    one(TLS1_3_VERSION, 3);
    one(TLS1_3_VERSION, 10);
    one(TLS1_2_VERSION, 3);
    one(TLS1_2_VERSION, 10);
    keel_test_chain_free(&ec);
    return keel_test_finish("eof_truncated");
}
