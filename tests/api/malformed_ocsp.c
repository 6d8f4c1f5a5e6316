/* Hostile TLS 1.2 servers around OCSP stapling (RFC 6066 §8), on malformed12.h's harness (the
 * server forced to TLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256): the ServerHello's status_request
 * and the CertificateStatus message. The server's status callback staples a response whenever
 * the client asks; the cases marked "ocsp" have the client ask (SSL_set_tlsext_status_type).
 * (A CertificateStatus left out although announced is allowed by RFC 6066 §8; OpenSSL 3.0's
 * client goes on then, as keel's does: tls12/table.c.)
 * Each checks OpenSSL 3.0's alert and reason, one fatal alert and nothing after it. The expected
 * values are the system OpenSSL's: this program builds on the system libssl too
 *   cc -Itests/util tests/api/malformed_ocsp.c tests/util/testutil.c tests/util/tls.c -lssl -lcrypto */
#include "malformed12.h"

static const uint8_t staple[] = "an OCSP response";

static int staple_cb(SSL *s, void *arg)
{
    (void)arg;
    unsigned char *r = OPENSSL_memdup(staple, sizeof(staple));
    if (r == NULL || !SSL_set_tlsext_status_ocsp_resp(s, r, (long)sizeof(staple)))
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    return SSL_TLSEXT_ERR_OK;
}

static void ocsp(SSL *client, SSL *server)
{
    (void)server;
    SSL_set_tlsext_status_type(client, TLSEXT_STATUSTYPE_ocsp);
}
/* Without a status request the server asks for a client certificate instead, so that its
 * flight has the harness's five messages either way. */
static void no_ocsp(SSL *client, SSL *server)
{
    (void)client;
    SSL_set_verify(server, SSL_VERIFY_PEER, NULL);
}

/* CertificateStatus (RFC 6066 §8): status_type, OCSPResponse<1..2^24-1>. */
static void cs_type(buf *b) { b->p[0] = 2; }
static void cs_empty(buf *b) { memset(b->p + 1, 0, 3); b->n = 4; }
static void cs_long(buf *b) { b->p[3]++; }
static void cs_trailing(buf *b) { b_u8(b, 0); }
static void cs_short(buf *b) { b->n = 3; }
#define CF(name, type, edit) static void name(flight *f) { edit12(f, type, edit); }
CF(sf_cs_type, SSL3_MT_CERTIFICATE_STATUS, cs_type)
CF(sf_cs_empty, SSL3_MT_CERTIFICATE_STATUS, cs_empty)
CF(sf_cs_long, SSL3_MT_CERTIFICATE_STATUS, cs_long)
CF(sf_cs_trailing, SSL3_MT_CERTIFICATE_STATUS, cs_trailing)
CF(sf_cs_short, SSL3_MT_CERTIFICATE_STATUS, cs_short)

/* The server's flight with a CertificateStatus added after Certificate (twice: `n`). */
static void with_status(flight *f, int n)
{
    static const uint8_t cs[] = { 1, 0, 0, 3, 'a', 'b', 'c' };
    for (int k = 0; k < f->n; k++) {
        orig12(f, k);
        for (int i = 0; f->m[k].type == SSL3_MT_CERTIFICATE && i < n; i++)
            hs12(f, 0, SSL3_MT_CERTIFICATE_STATUS, cs, sizeof(cs));
    }
}
/* A CertificateStatus the ServerHello did not announce (no status_request from the client). */
static void sf_cs_unsolicited(flight *f) { with_status(f, 1); }
/* A second one after the server's own. */
static void sf_cs_twice(flight *f) { with_status(f, 1); }
/* A CertificateStatus before Certificate. */
static void sf_cs_before_cert(flight *f)
{
    static const uint8_t cs[] = { 1, 0, 0, 3, 'a', 'b', 'c' };
    for (int k = 0; k < f->n; k++) {
        if (f->m[k].type == SSL3_MT_CERTIFICATE)
            hs12(f, 0, SSL3_MT_CERTIFICATE_STATUS, cs, sizeof(cs));
        if (f->m[k].type != SSL3_MT_CERTIFICATE_STATUS)
            orig12(f, k);
    }
}

/* ServerHello's status_request: in TLS 1.2 empty, and only if the client asked. */
static void sh_ext_edit(buf *b, void (*edit)(hello *h))
{
    msg m = { SSL3_MT_SERVER_HELLO, b->p, b->n, 0 };
    hello h;
    buf o = { 0 };
    if (!hello_parse(&h, &m))
        abort();
    edit(&h);
    hello_build(&h, &o);
    b->n = 0;
    b_put(b, o.p, o.n);
    b_free(&o);
}
static void e_status_add(hello *h) { ext_add(h, TLSEXT_TYPE_status_request, "", 0); }
static void e_status_data(hello *h) { ext_set(h, TLSEXT_TYPE_status_request, "\x01", 1); }
static void sh_status_add(buf *b) { sh_ext_edit(b, e_status_add); }
static void sh_status_data(buf *b) { sh_ext_edit(b, e_status_data); }
CF(sf_sh_status_unsolicited, SSL3_MT_SERVER_HELLO, sh_status_add)
CF(sf_sh_status_not_empty, SSL3_MT_SERVER_HELLO, sh_status_data)

#define AD(x) SSL_AD_##x
#define R(x) SSL_R_##x

static const mf_case cases[] = {
    { "sf_cs_type", MF_AT_SF, sf_cs_type, AD(DECODE_ERROR), R(UNSUPPORTED_STATUS_TYPE), 0, ocsp },
    /* OpenSSL 3.0 fails an empty response as an allocation of nothing (tests/diff/ocsp.c). */
    { "sf_cs_empty", MF_AT_SF, sf_cs_empty, AD(INTERNAL_ERROR), ERR_R_MALLOC_FAILURE, 0, ocsp },
    { "sf_cs_long", MF_AT_SF, sf_cs_long, AD(DECODE_ERROR), R(LENGTH_MISMATCH), 0, ocsp },
    { "sf_cs_trailing", MF_AT_SF, sf_cs_trailing, AD(DECODE_ERROR), R(LENGTH_MISMATCH), 0, ocsp },
    { "sf_cs_short", MF_AT_SF, sf_cs_short, AD(DECODE_ERROR), R(LENGTH_MISMATCH), 0, ocsp },
    { "sf_cs_unsolicited", MF_AT_SF, sf_cs_unsolicited, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE), 0, no_ocsp },
    { "sf_cs_twice", MF_AT_SF, sf_cs_twice, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE), 0, ocsp },
    { "sf_cs_before_cert", MF_AT_SF, sf_cs_before_cert, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE), 0, ocsp },
    { "sf_sh_status_unsolicited", MF_AT_SF, sf_sh_status_unsolicited, AD(UNSUPPORTED_EXTENSION), R(UNSOLICITED_EXTENSION), 0, no_ocsp },
    { "sf_sh_status_not_empty", MF_AT_SF, sf_sh_status_not_empty, AD(DECODE_ERROR), R(BAD_EXTENSION), 0, ocsp },
};

int main(int argc, char **argv)
{
    const char *name = "malformed_ocsp";
    if (!mf12_contexts(KT_EC_P256, "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"))
        return keel_test_finish(name);
    CHECK(SSL_CTX_set1_groups_list(cctx12, "P-256"));
    CHECK(SSL_CTX_set_session_id_context(sctx12, (const unsigned char *)"mfoc", 4));
    CHECK(SSL_CTX_set_tlsext_status_cb(sctx12, staple_cb));
    return mf12_run(name, cases, MF_NCASES(cases), argc, argv);
}
