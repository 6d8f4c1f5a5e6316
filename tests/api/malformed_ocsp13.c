/* Hostile TLS 1.3 peers around OCSP stapling (RFC 6066 §8, RFC 8446 §4.4.2.1), on malformed.h's
 * harness: the status_request a server may only put in the leaf's CertificateEntry (a
 * CertificateStatus body, and only when the client asked), misplaced in EncryptedExtensions,
 * unsolicited, with a wrong status_type, an empty, truncated or overlong OCSPResponse, on a
 * non-leaf entry; and the client's CertificateStatusRequest in ClientHello, malformed, read by
 * the server. The server's status callback staples a response whenever the client asks; the
 * cases marked "ocsp" have the client ask (SSL_set_tlsext_status_type).
 * Each checks the victim's alert and reason, one fatal alert and nothing after it. The expected
 * values are the system OpenSSL 3.0's: this program builds on the system libssl too, where every
 * case passes:
 *   cc -Itests/util tests/api/malformed_ocsp13.c tests/util/testutil.c tests/util/tls.c -lssl -lcrypto */
#include "malformed.h"

static const uint8_t staple[] = "an OCSP response";

static int staple_cb(SSL *s, void *arg)
{
    (void)arg;
    if (SSL_is_server(s)) {
        unsigned char *r = OPENSSL_memdup(staple, sizeof(staple));
        if (r == NULL || !SSL_set_tlsext_status_ocsp_resp(s, r, (long)sizeof(staple)))
            return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
}

/* The client asks for a status; the server (its context shared by every case) staples one. */
static void ocsp(SSL *client, SSL *server)
{
    SSL_CTX_set_tlsext_status_cb(SSL_get_SSL_CTX(server), staple_cb);
    SSL_set_tlsext_status_type(client, TLSEXT_STATUSTYPE_ocsp);
}
/* The server has no status callback (the client asks). */
static void no_cb(SSL *client, SSL *server)
{
    SSL_CTX_set_tlsext_status_cb(SSL_get_SSL_CTX(server), NULL);
    SSL_set_tlsext_status_type(client, TLSEXT_STATUSTYPE_ocsp);
}
/* The client does not ask: the server staples nothing. */
static void no_ocsp(SSL *client, SSL *server)
{
    (void)client;
    SSL_CTX_set_tlsext_status_cb(SSL_get_SSL_CTX(server), staple_cb);
}

/* ---- the server's Certificate (RFC 8446 §4.4.2): context, then entries of
 * cert_data<1..2^24-1> and extensions<0..2^16-1> ---- */

/* Each entry's extension block, as `edit` rewrites it (entry index, the block without its
 * length); `add_ca` appends a second entry, the CA's certificate with no extensions, which
 * `edit` then sees as entry 1. */
static void cert_rebuild(buf *b, void (*edit)(int idx, buf *exts), int add_ca)
{
    buf entries = { 0 }, c = { 0 };
    size_t ctx = b->p[0], off = 1 + ctx + 3;
    int idx = 0;

    for (; off < b->n; idx++) {
        size_t cl = (size_t)b->p[off] << 16 | (size_t)b->p[off + 1] << 8 | b->p[off + 2];
        size_t xo = off + 3 + cl, xl = (size_t)b->p[xo] << 8 | b->p[xo + 1];
        buf x = { 0 };
        b_put(&x, b->p + xo + 2, xl);
        edit(idx, &x);
        b_put(&entries, b->p + off, 3 + cl);
        b_u16(&entries, (unsigned)x.n);
        b_put(&entries, x.p, x.n);
        b_free(&x);
        off = xo + 2 + xl;
    }
    if (add_ca) {
        unsigned char *der = NULL;
        int dl = i2d_X509(mf_chain.ca, &der);
        buf x = { 0 };
        if (dl <= 0)
            abort();
        edit(idx, &x);
        b_u24(&entries, (size_t)dl);
        b_put(&entries, der, (size_t)dl);
        b_u16(&entries, (unsigned)x.n);
        b_put(&entries, x.p, x.n);
        b_free(&x);
        OPENSSL_free(der);
    }
    b_put(&c, b->p, 1 + ctx);
    b_u24(&c, entries.n);
    b_put(&c, entries.p, entries.n);
    b_free(&entries);
    b_free(b);
    *b = c;
}

/* A status_request extension with body p/n. */
static void x_status(buf *x, const void *p, size_t n)
{
    b_u16(x, TLSEXT_TYPE_status_request);
    b_u16(x, (unsigned)n);
    b_put(x, p, n);
}
/* A CertificateStatus body: ocsp(1), OCSPResponse<1..2^24-1> "abc". */
static const uint8_t cs_abc[] = { 1, 0, 0, 3, 'a', 'b', 'c' };

/* The leaf's stapled status_request (the case asked for one), its body edited in place. */
static void leaf_status_edit(int idx, buf *x, void (*edit)(buf *body))
{
    if (idx != 0)
        return;
    /* the entry carries exactly the server's status_request */
    if (x->n < 4 || (x->p[0] << 8 | x->p[1]) != TLSEXT_TYPE_status_request)
        abort();
    buf body = { 0 };
    b_put(&body, x->p + 4, x->n - 4);
    edit(&body);
    x->n = 0;
    x_status(x, body.p, body.n);
    b_free(&body);
}
static void st_type(buf *b) { b->p[0] = 2; }
static void st_empty(buf *b) { memset(b->p + 1, 0, 3); b->n = 4; }
static void st_long(buf *b) { b->p[3]++; }
static void st_trailing(buf *b) { b_u8(b, 0); }
static void st_short(buf *b) { b->n = 3; }
static void st_type_only(buf *b) { b->n = 1; }
static void st_none(buf *b) { b->n = 0; }
#define LEAF(name, edit) \
    static void e_##name(int idx, buf *x) { leaf_status_edit(idx, x, edit); } \
    static void c_##name(buf *b) { cert_rebuild(b, e_##name, 0); } \
    static void name(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, c_##name); }
LEAF(sf_cert_status_type, st_type)
LEAF(sf_cert_status_empty, st_empty)
LEAF(sf_cert_status_long, st_long)
LEAF(sf_cert_status_trailing, st_trailing)
LEAF(sf_cert_status_short, st_short)
LEAF(sf_cert_status_type_only, st_type_only)
LEAF(sf_cert_status_no_body, st_none)

/* A status_request on the leaf although the client did not ask. */
static void e_unsolicited(int idx, buf *x)
{
    if (idx == 0)
        x_status(x, cs_abc, sizeof(cs_abc));
}
static void c_unsolicited(buf *b) { cert_rebuild(b, e_unsolicited, 0); }
static void sf_cert_status_unsolicited(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, c_unsolicited); }

/* Two status_requests on the leaf (RFC 8446 §4.2: no extension twice in a block): the same
 * edit, after the server's own. */
static void sf_cert_status_twice(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, c_unsolicited); }

/* The CA's entry added after the leaf, with a status_request: a valid one, or one whose body
 * would be refused on the leaf (a wrong status_type). Used on the leaf only (§4.4.2.1), so the
 * Certificate is taken and what fails is the CertificateVerify, which signed the original. */
static void e_ca_status(int idx, buf *x)
{
    if (idx == 1)
        x_status(x, cs_abc, sizeof(cs_abc));
}
static void e_ca_bad_status(int idx, buf *x)
{
    static const uint8_t bad[] = { 2, 0, 0, 9 };
    if (idx == 1)
        x_status(x, bad, sizeof(bad));
}
static void e_ca_none(int idx, buf *x) { (void)idx, (void)x; }
static void c_ca_status(buf *b) { cert_rebuild(b, e_ca_status, 1); }
static void c_ca_bad_status(buf *b) { cert_rebuild(b, e_ca_bad_status, 1); }
static void c_ca_none(buf *b) { cert_rebuild(b, e_ca_none, 1); }
static void sf_cert_status_non_leaf(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, c_ca_status); }
static void sf_cert_status_non_leaf_bad(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, c_ca_bad_status); }
/* The reference for the two above: the CA's entry added without any extension. */
static void sf_cert_ca_added(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, c_ca_none); }

/* ---- EncryptedExtensions: status_request is not allowed there in TLS 1.3 (§4.2's table) ---- */

static void ee_with(flight *f, void (*edit)(hello *h))
{
    int i = find_msg(f, SSL3_MT_ENCRYPTED_EXTENSIONS);
    hello h;
    if (i < 0 || !hello_parse(&h, &f->m[i]))
        abort();
    put_orig_range(f, 0, i);
    edit(&h);
    put_hello(f, i, &h);
    put_orig_range(f, i + 1, f->n);
}
static void e_ee_status_empty(hello *h) { ext_add(h, TLSEXT_TYPE_status_request, "", 0); }
static void e_ee_status_body(hello *h) { ext_add(h, TLSEXT_TYPE_status_request, cs_abc, sizeof(cs_abc)); }
static void sf_ee_status_empty(flight *f) { ee_with(f, e_ee_status_empty); }
static void sf_ee_status_body(flight *f) { ee_with(f, e_ee_status_body); }

/* ---- the client's CertificateStatusRequest (RFC 6066 §8), the server the victim:
 * status_type, ResponderID responder_id_list<0..2^16-1>, Extensions request_extensions<0..2^16-1> ---- */

static const uint8_t *ch_body;
static size_t ch_len;
static void e_ch_status(hello *h) { ext_set(h, TLSEXT_TYPE_status_request, ch_body, ch_len); }
static void ch_status(flight *f, const void *p, size_t n)
{
    hello h;
    ch_body = p;
    ch_len = n;
    if (!hello_parse(&h, &f->m[0]))
        abort();
    e_ch_status(&h);
    put_hello(f, 0, &h);
}
#define CH(name, bytes) \
    static void name(flight *f) { static const uint8_t v[] = bytes; ch_status(f, v, sizeof(v) - 1); }
CH(ch_status_empty, "")
CH(ch_status_type_only, "\x01")
CH(ch_status_no_exts, "\x01\x00\x00")
CH(ch_status_ids_overrun, "\x01\x00\x05\x00\x00\x00\x00")
CH(ch_status_empty_id, "\x01\x00\x02\x00\x00\x00\x00")
CH(ch_status_bad_id_der, "\x01\x00\x04\x00\x02\x04\x00\x00\x00")
CH(ch_status_id_trailing_der, "\x01\x00\x06\x00\x04\xa2\x00\x00\x00\x00\x00")
CH(ch_status_exts_overrun, "\x01\x00\x00\x00\x03\x30\x00")
CH(ch_status_bad_exts_der, "\x01\x00\x00\x00\x02\x04\x00")
CH(ch_status_exts_trailing_der, "\x01\x00\x00\x00\x03\x30\x00\x00")
CH(ch_status_trailing, "\x01\x00\x00\x00\x00\xff")

#define AD(x) SSL_AD_##x
#define R(x) SSL_R_##x

static const mf_case cases[] = {
    /* the leaf's CertificateStatus (§4.4.2.1); OpenSSL 3.0 fails an empty response as an
     * allocation of nothing (as in TLS 1.2: malformed_ocsp.c) */
    { "sf_cert_status_type", MF_AT_SF, sf_cert_status_type, AD(DECODE_ERROR), R(UNSUPPORTED_STATUS_TYPE), 0, ocsp },
    { "sf_cert_status_empty", MF_AT_SF, sf_cert_status_empty, AD(INTERNAL_ERROR), ERR_R_MALLOC_FAILURE, 0, ocsp },
    { "sf_cert_status_long", MF_AT_SF, sf_cert_status_long, AD(DECODE_ERROR), R(LENGTH_MISMATCH), 0, ocsp },
    { "sf_cert_status_trailing", MF_AT_SF, sf_cert_status_trailing, AD(DECODE_ERROR), R(LENGTH_MISMATCH), 0, ocsp },
    { "sf_cert_status_short", MF_AT_SF, sf_cert_status_short, AD(DECODE_ERROR), R(LENGTH_MISMATCH), 0, ocsp },
    { "sf_cert_status_type_only", MF_AT_SF, sf_cert_status_type_only, AD(DECODE_ERROR), R(LENGTH_MISMATCH), 0, ocsp },
    { "sf_cert_status_no_body", MF_AT_SF, sf_cert_status_no_body, AD(DECODE_ERROR), R(UNSUPPORTED_STATUS_TYPE), 0, ocsp },
    { "sf_cert_status_unsolicited", MF_AT_SF, sf_cert_status_unsolicited, AD(UNSUPPORTED_EXTENSION), R(UNSOLICITED_EXTENSION), 0, no_ocsp },
    { "sf_cert_status_twice", MF_AT_SF, sf_cert_status_twice, AD(ILLEGAL_PARAMETER), R(BAD_EXTENSION), 0, ocsp },
    /* other entries: a status_request there is ignored (OpenSSL 3.0), unless unsolicited; the
     * CertificateVerify then fails, as it does with the CA's entry added bare */
    { "sf_cert_ca_added", MF_AT_SF, sf_cert_ca_added, AD(DECRYPT_ERROR), R(BAD_SIGNATURE), 0, ocsp },
    { "sf_cert_status_non_leaf", MF_AT_SF, sf_cert_status_non_leaf, AD(DECRYPT_ERROR), R(BAD_SIGNATURE), 0, ocsp },
    { "sf_cert_status_non_leaf_bad", MF_AT_SF, sf_cert_status_non_leaf_bad, AD(DECRYPT_ERROR), R(BAD_SIGNATURE), 0, ocsp },
    { "sf_cert_status_non_leaf_unsolicited", MF_AT_SF, sf_cert_status_non_leaf, AD(UNSUPPORTED_EXTENSION), R(UNSOLICITED_EXTENSION), 0, no_ocsp },
    /* EncryptedExtensions: illegal there, asked for or not */
    { "sf_ee_status_empty", MF_AT_SF, sf_ee_status_empty, AD(ILLEGAL_PARAMETER), R(BAD_EXTENSION), 0, ocsp },
    { "sf_ee_status_body", MF_AT_SF, sf_ee_status_body, AD(ILLEGAL_PARAMETER), R(BAD_EXTENSION), 0, ocsp },
    { "sf_ee_status_unsolicited", MF_AT_SF, sf_ee_status_empty, AD(ILLEGAL_PARAMETER), R(BAD_EXTENSION), 0, no_ocsp },
    /* ClientHello: decode_error, bad_extension (after libcrypto's reason where the DER fails),
     * with or without a status callback on the server */
    { "ch_status_empty", MF_AT_CH, ch_status_empty, AD(DECODE_ERROR), R(BAD_EXTENSION), 0, ocsp },
    { "ch_status_type_only", MF_AT_CH, ch_status_type_only, AD(DECODE_ERROR), R(BAD_EXTENSION), 0, ocsp },
    { "ch_status_no_exts", MF_AT_CH, ch_status_no_exts, AD(DECODE_ERROR), R(BAD_EXTENSION), 0, ocsp },
    { "ch_status_ids_overrun", MF_AT_CH, ch_status_ids_overrun, AD(DECODE_ERROR), R(BAD_EXTENSION), 0, ocsp },
    { "ch_status_empty_id", MF_AT_CH, ch_status_empty_id, AD(DECODE_ERROR), R(BAD_EXTENSION), 0, ocsp },
    { "ch_status_bad_id_der", MF_AT_CH, ch_status_bad_id_der, AD(DECODE_ERROR), R(BAD_EXTENSION), 0, ocsp },
    { "ch_status_id_trailing_der", MF_AT_CH, ch_status_id_trailing_der, AD(DECODE_ERROR), R(BAD_EXTENSION), 0, ocsp },
    { "ch_status_exts_overrun", MF_AT_CH, ch_status_exts_overrun, AD(DECODE_ERROR), R(BAD_EXTENSION), 0, ocsp },
    { "ch_status_bad_exts_der", MF_AT_CH, ch_status_bad_exts_der, AD(DECODE_ERROR), R(BAD_EXTENSION), 0, ocsp },
    { "ch_status_exts_trailing_der", MF_AT_CH, ch_status_exts_trailing_der, AD(DECODE_ERROR), R(BAD_EXTENSION), 0, ocsp },
    { "ch_status_trailing", MF_AT_CH, ch_status_trailing, AD(DECODE_ERROR), R(BAD_EXTENSION), 0, ocsp },
    { "ch_status_no_callback", MF_AT_CH, ch_status_trailing, AD(DECODE_ERROR), R(BAD_EXTENSION), 0, no_cb },
};

int main(int argc, char **argv)
{
    return mf_main(argc, argv, "malformed_ocsp13", cases, MF_NCASES(cases));
}
