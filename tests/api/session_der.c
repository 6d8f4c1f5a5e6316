/* Sessions in OpenSSL's encoding (issue #11 item 10), keel's own output read back through the
 * paths programs use: i2d_SSL_SESSION is a DER SEQUENCE libcrypto's generic parser takes apart
 * (version 1, protocol, cipher, session id, resumption PSK in OpenSSL's places), so the
 * d2i_SSL_SESSION_bio / i2d_SSL_SESSION_bio macros (libcrypto's ASN1_d2i_bio, which reads one DER
 * element off the BIO) and PEM_read_bio_SSL_SESSION read what keel wrote, and the session read back
 * still resumes. Garbage on a BIO is a clean failure. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/asn1.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain ec;

/* A handshake offering `offer`; the client's session after reading the tickets. */
static SSL_SESSION *connect_once(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *offer, int *reused)
{
    SSL *c, *s;
    char buf[8];
    SSL_SESSION *got = NULL;
    *reused = -1;
    if (!keel_test_pair(cctx, sctx, &c, &s))
        return NULL;
    SSL_set_tlsext_host_name(c, "server.test");
    if (offer != NULL)
        CHECK(SSL_set_session(c, offer));
    if (keel_test_handshake(c, s)) {
        *reused = SSL_session_reused(c);
        int r = SSL_read(c, buf, sizeof(buf)); /* processes the NewSessionTickets */
        CHECK_EQ(SSL_get_error(c, r), SSL_ERROR_WANT_READ);
        got = SSL_get1_session(c);
    }
    SSL_free(c);
    SSL_free(s);
    return got;
}

static int same_encoding(SSL_SESSION *a, SSL_SESSION *b)
{
    unsigned char *da = NULL, *db = NULL;
    int na = i2d_SSL_SESSION(a, &da), nb = i2d_SSL_SESSION(b, &db);
    int same = na > 0 && na == nb && memcmp(da, db, (size_t)na) == 0;
    OPENSSL_free(da);
    OPENSSL_free(db);
    return same;
}

/* The structure, by libcrypto's generic DER parser rather than keel's. */
static void test_structure(SSL_SESSION *ss)
{
    unsigned char *der = NULL, mk[64];
    int n = i2d_SSL_SESSION(ss, &der);
    CHECK(n > 0);
    const unsigned char *p = der;
    ASN1_SEQUENCE_ANY *seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, n);
    CHECK(seq != NULL && p == der + n);
    if (seq != NULL && sk_ASN1_TYPE_num(seq) >= 5) {
        ASN1_TYPE *t0 = sk_ASN1_TYPE_value(seq, 0), *t1 = sk_ASN1_TYPE_value(seq, 1);
        ASN1_TYPE *t2 = sk_ASN1_TYPE_value(seq, 2), *t3 = sk_ASN1_TYPE_value(seq, 3);
        ASN1_TYPE *t4 = sk_ASN1_TYPE_value(seq, 4);
        CHECK(t0->type == V_ASN1_INTEGER && ASN1_INTEGER_get(t0->value.integer) == 1);
        CHECK(t1->type == V_ASN1_INTEGER && ASN1_INTEGER_get(t1->value.integer) == TLS1_3_VERSION);
        uint32_t id = SSL_CIPHER_get_id(SSL_SESSION_get0_cipher(ss));
        CHECK(t2->type == V_ASN1_OCTET_STRING && ASN1_STRING_length(t2->value.octet_string) == 2);
        const unsigned char *c = ASN1_STRING_get0_data(t2->value.octet_string);
        CHECK(c[0] == ((id >> 8) & 0xff) && c[1] == (id & 0xff));
        unsigned int idlen;
        const unsigned char *sid = SSL_SESSION_get_id(ss, &idlen);
        CHECK(t3->type == V_ASN1_OCTET_STRING && ASN1_STRING_length(t3->value.octet_string) == (int)idlen
              && memcmp(ASN1_STRING_get0_data(t3->value.octet_string), sid, idlen) == 0);
        size_t mkl = SSL_SESSION_get_master_key(ss, mk, sizeof(mk));
        CHECK(mkl > 0 && t4->type == V_ASN1_OCTET_STRING
              && ASN1_STRING_length(t4->value.octet_string) == (int)mkl
              && memcmp(ASN1_STRING_get0_data(t4->value.octet_string), mk, mkl) == 0);
        /* then the optional [n] fields: context-specific, constructed */
        for (int i = 5; i < sk_ASN1_TYPE_num(seq); i++)
            CHECK(sk_ASN1_TYPE_value(seq, i)->type == V_ASN1_OTHER);
    } else {
        CHECK(!"a SEQUENCE of at least 5 elements");
    }
    sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
    OPENSSL_free(der);
}

/* Any timeout SSL_SESSION_set_timeout takes survives i2d/d2i, and SSL_SESSION_dup copies a zero
 * time and timeout as they are (the reader's defaults, now and 3 seconds, are for files). */
static void test_values(SSL_SESSION *ss)
{
    SSL_SESSION *m = SSL_SESSION_dup(ss);
    CHECK(m != NULL);
    if (m == NULL)
        return;
    CHECK(SSL_SESSION_set_timeout(m, 0x7fffffffL * 4));
    unsigned char *der = NULL;
    int n = i2d_SSL_SESSION(m, &der);
    const unsigned char *p = der;
    SSL_SESSION *back = n > 0 ? d2i_SSL_SESSION(NULL, &p, n) : NULL;
    CHECK(back != NULL && SSL_SESSION_get_timeout(back) == 0x7fffffffL * 4);
    SSL_SESSION_free(back);
    OPENSSL_free(der);

    SSL_SESSION_set_time(m, 0);
    CHECK(SSL_SESSION_set_timeout(m, 0));
    SSL_SESSION *d = SSL_SESSION_dup(m);
    CHECK(d != NULL && SSL_SESSION_get_time(d) == 0 && SSL_SESSION_get_timeout(d) == 0);
    SSL_SESSION_free(d);
    SSL_SESSION_free(m);
}

int main(void)
{
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    int reused;
    SSL_SESSION *ss = connect_once(cctx, sctx, NULL, &reused);
    CHECK(ss != NULL && reused == 0);
    if (ss == NULL)
        return keel_test_finish("session_der");
    test_structure(ss);
    test_values(ss);

    /* DER through a BIO: i2d_SSL_SESSION_bio / d2i_SSL_SESSION_bio (ASN1_d2i_bio) */
    BIO *b = BIO_new(BIO_s_mem());
    CHECK(i2d_SSL_SESSION_bio(b, ss) == 1);
    CHECK(BIO_puts(b, "trailing") > 0); /* after one DER element: not read */
    SSL_SESSION *fromder = d2i_SSL_SESSION_bio(b, NULL);
    CHECK(fromder != NULL);
    CHECK(fromder != NULL && same_encoding(ss, fromder));
    char rest[16] = {0};
    CHECK(BIO_read(b, rest, sizeof(rest) - 1) == 8 && strcmp(rest, "trailing") == 0);
    BIO_free(b);
    SSL_SESSION *r1 = fromder != NULL ? connect_once(cctx, sctx, fromder, &reused) : NULL;
    CHECK_EQ(reused, 1);

    /* PEM: PEM_write_bio_SSL_SESSION / PEM_read_bio_SSL_SESSION */
    b = BIO_new(BIO_s_mem());
    CHECK(PEM_write_bio_SSL_SESSION(b, ss) == 1);
    SSL_SESSION *frompem = PEM_read_bio_SSL_SESSION(b, NULL, NULL, NULL);
    CHECK(frompem != NULL && same_encoding(ss, frompem));
    BIO_free(b);
    SSL_SESSION *r2 = frompem != NULL ? connect_once(cctx, sctx, frompem, &reused) : NULL;
    CHECK_EQ(reused, 1);

    /* garbage on a BIO: NULL with a reason, for DER and PEM alike */
    ERR_clear_error();
    b = BIO_new_mem_buf("\x30\x03\x02\x01\x05", 5);
    CHECK(d2i_SSL_SESSION_bio(b, NULL) == NULL && ERR_peek_error() != 0);
    BIO_free(b);
    ERR_clear_error();
    b = BIO_new_mem_buf("-----BEGIN SSL SESSION PARAMETERS-----\nMAMCAQU=\n"
                        "-----END SSL SESSION PARAMETERS-----\n", -1);
    CHECK(PEM_read_bio_SSL_SESSION(b, NULL, NULL, NULL) == NULL && ERR_peek_error() != 0);
    BIO_free(b);
    ERR_clear_error();

    SSL_SESSION_free(r1);
    SSL_SESSION_free(r2);
    SSL_SESSION_free(fromder);
    SSL_SESSION_free(frompem);
    SSL_SESSION_free(ss);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    keel_test_chain_free(&ec);
    return keel_test_finish("session_der");
}
