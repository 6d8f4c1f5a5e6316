/* OCSP stapling, both roles and both versions (RFC 6066 §8; RFC 8446 §4.4.2.1), with OpenSSL
 * 3.0's callbacks (SSL_CTX_set_tlsext_status_cb(3)): the client's status_request in ClientHello
 * and its callback once the server's flight is in; the server's callback once its certificate is
 * chosen, and the response it set stapled — in TLS 1.2 an empty status_request in ServerHello and
 * a CertificateStatus message after Certificate, in TLS 1.3 a status_request in the leaf's
 * CertificateEntry. Where OpenSSL 3.0 departs from the RFCs the comments say so; each such place
 * is checked by tests/diff/ocsp.c or tests/api/malformed*.c on the system libssl. */
#include "handshake/ext.h"
#include "handshake/tls12/tls12.h"

#include <openssl/ocsp.h>

#define KEEL_STATUS_NONE (-1) /* no status type (SSL_get_tlsext_status_type(3)) */

/* The client's CertificateStatusRequest (RFC 6066 §8): status_type ocsp(1), then
 * ResponderID responder_id_list<0..2^16-1> (each ResponderID<1..2^16-1>, a DER OCSP ResponderID)
 * and Extensions request_extensions<0..2^16-1> (DER), from SSL_set_tlsext_status_ids / _exts.
 * Before the first ClientHello the previous handshake's response is dropped, so the callback
 * sees this handshake's or none. 1 = done (written or not asked for), 0 = error. */
int keel_status_write_ch(SSL *s, keel_wr *w)
{
    const keel_ssl_rare *rare = keel_ssl_rare_r(s);
    const STACK_OF(OCSP_RESPID) *ids = rare->status_ids;
    size_t x, m, n;

    if (!s->conn->hs->hrr && s->rare != NULL) {
        OPENSSL_free(s->rare->ocsp_resp);
        s->rare->ocsp_resp = NULL;
        s->rare->ocsp_resp_len = 0;
    }
    if (s->status_type != TLSEXT_STATUSTYPE_ocsp)
        return 1;
    s->conn->hs->ext_offered |= keel_ext_bit(TLSEXT_TYPE_status_request);
    keel_wr_u16(w, TLSEXT_TYPE_status_request);
    keel_wr_open16(w, &x);
    keel_wr_u8(w, TLSEXT_STATUSTYPE_ocsp);
    keel_wr_open16(w, &m);
    for (int i = 0; i < sk_OCSP_RESPID_num(ids); i++) {
        OCSP_RESPID *id = sk_OCSP_RESPID_value(ids, i);
        int len = i2d_OCSP_RESPID(id, NULL);
        uint8_t *p;
        if (len <= 0 || !keel_wr_open16(w, &n) || !keel_wr_space(w, (size_t)len, &p)
                || i2d_OCSP_RESPID(id, &p) != len || !keel_wr_close(w, n)) {
            ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
            return 0;
        }
    }
    keel_wr_close(w, m);
    keel_wr_open16(w, &m);
    if (rare->status_exts != NULL) {
        int len = i2d_X509_EXTENSIONS(rare->status_exts, NULL);
        uint8_t *p;
        if (len <= 0 || !keel_wr_space(w, (size_t)len, &p) || i2d_X509_EXTENSIONS(rare->status_exts, &p) != len) {
            ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
            return 0;
        }
    }
    keel_wr_close(w, m);
    return keel_wr_close(w, x) && !keel_wr_failed(w);
}

/* The server reads the request (RFC 6066 §8). A status_type other than ocsp is ignored, as
 * OpenSSL 3.0 does; the responder ids and extensions are kept for the callback
 * (SSL_get_tlsext_status_ids / _exts), replacing any earlier ones. */
int keel_ext_status_ch(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    uint32_t type;
    keel_rd list, exts, der;
    STACK_OF(OCSP_RESPID) *ids = NULL;
    STACK_OF(X509_EXTENSION) *xs = NULL;

    if (!keel_rd_u8(d, &type))
        return 0;
    if (type != TLSEXT_STATUSTYPE_ocsp)
        return 1;
    if (!keel_rd_prefixed16(d, &list))
        return 0;
    while (!keel_rd_done(&list)) {
        const unsigned char *p;
        OCSP_RESPID *id;
        if (!keel_rd_prefixed16(&list, &der) || der.len == 0)
            goto bad;
        p = der.p;
        if ((ids == NULL && (ids = sk_OCSP_RESPID_new_null()) == NULL)) {
            *alert = SSL_AD_INTERNAL_ERROR;
            return 0;
        }
        if ((id = d2i_OCSP_RESPID(NULL, &p, (long)der.len)) == NULL || p != der.p + der.len) {
            OCSP_RESPID_free(id);
            goto bad;
        }
        if (!sk_OCSP_RESPID_push(ids, id)) {
            OCSP_RESPID_free(id);
            sk_OCSP_RESPID_pop_free(ids, OCSP_RESPID_free);
            *alert = SSL_AD_INTERNAL_ERROR;
            return 0;
        }
    }
    if (!keel_rd_prefixed16(d, &exts) || !keel_rd_done(d))
        goto bad;
    if (exts.len > 0) {
        const unsigned char *p = exts.p;
        if ((xs = d2i_X509_EXTENSIONS(NULL, &p, (long)exts.len)) == NULL || p != exts.p + exts.len) {
            sk_X509_EXTENSION_pop_free(xs, X509_EXTENSION_free);
            goto bad;
        }
    }
    /* Kept for SSL_get_tlsext_status_ids / _exts; a request with neither needs no block. */
    if (ids != NULL || xs != NULL || s->rare != NULL) {
        keel_ssl_rare *r = keel_ssl_rare_w(s);
        if (r == NULL) {
            sk_OCSP_RESPID_pop_free(ids, OCSP_RESPID_free);
            sk_X509_EXTENSION_pop_free(xs, X509_EXTENSION_free);
            *alert = SSL_AD_INTERNAL_ERROR;
            return 0;
        }
        sk_OCSP_RESPID_pop_free((STACK_OF(OCSP_RESPID) *)r->status_ids, OCSP_RESPID_free);
        r->status_ids = ids;
        sk_X509_EXTENSION_pop_free(r->status_exts, X509_EXTENSION_free);
        r->status_exts = xs;
    }
    s->status_type = TLSEXT_STATUSTYPE_ocsp;
    return 1;
bad:
    sk_OCSP_RESPID_pop_free(ids, OCSP_RESPID_free);
    ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
    return 0; /* decode_error */
}

/* CertificateStatus's body (RFC 6066 §8): status_type ocsp(1), OCSPResponse<1..2^24-1>. Kept for
 * SSL_get_tlsext_status_ocsp_resp. */
static int read_status_body(SSL *s, keel_rd *d)
{
    uint32_t type;
    keel_rd resp;

    if (!keel_rd_u8(d, &type) || type != TLSEXT_STATUSTYPE_ocsp) {
        ERR_raise(ERR_LIB_SSL, SSL_R_UNSUPPORTED_STATUS_TYPE);
        return SSL_AD_DECODE_ERROR;
    }
    if (!keel_rd_prefixed24(d, &resp) || !keel_rd_done(d)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    /* An empty response breaks the RFC's <1..> bound; OpenSSL 3.0 fails it as an allocation of
     * nothing that fails (internal_error, ERR_R_MALLOC_FAILURE), and so does keel, so that
     * applications see the same. */
    uint8_t *copy = resp.len > 0 ? OPENSSL_memdup(resp.p, resp.len) : NULL;
    keel_ssl_rare *r = copy != NULL ? keel_ssl_rare_w(s) : NULL;
    if (r == NULL) {
        OPENSSL_free(copy);
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return SSL_AD_INTERNAL_ERROR;
    }
    OPENSSL_free(r->ocsp_resp);
    r->ocsp_resp = copy;
    r->ocsp_resp_len = (long)resp.len;
    return 0;
}

/* The client reads the server's status_request: in a TLS 1.2 ServerHello empty, announcing a
 * CertificateStatus (RFC 6066 §8); in a TLS 1.3 CertificateEntry a CertificateStatus body, used
 * for the leaf only (RFC 8446 §4.4.2.1; OpenSSL 3.0 ignores it on other entries); in a
 * CertificateRequest (a server asking for the client's status) ignored, as OpenSSL 3.0 does. A
 * server ignores it in the client's Certificate. keel_ext_parse judged the rest (unsolicited in
 * ServerHello, misplaced in EncryptedExtensions). */
int keel_ext_status_peer(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    keel_conn *c = s->conn;

    if (s->server || h->msg == KEEL_MSG_CR)
        return 1;
    if (c->hs == NULL || !(c->hs->ext_offered & keel_ext_bit(TLSEXT_TYPE_status_request))) {
        ERR_raise(ERR_LIB_SSL, SSL_R_UNSOLICITED_EXTENSION);
        *alert = SSL_AD_UNSUPPORTED_EXTENSION;
        return 0;
    }
    if (h->msg == KEEL_MSG_SH12) {
        if (!keel_rd_done(d)) {
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
            return 0;
        }
        c->hs->status_expected = 1;
        return 1;
    }
    if (h->cert_entry != 0)
        return 1;
    return (*alert = read_status_body(s, d)) == 0;
}

/* A TLS 1.2 CertificateStatus (RFC 6066 §8), which may follow Certificate when the ServerHello
 * acknowledged status_request (the server may still leave it out). */
int keel12_client_read_cert_status(SSL *s, keel_rd *body)
{
    int alert = read_status_body(s, body);
    if (alert)
        return alert;
    return keel_hs_hash_current(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* The client's callback, once the server's flight is in (OpenSSL 3.0: at ServerHelloDone in TLS
 * 1.2, at the server's Finished in TLS 1.3 — resumptions included there), whenever the client
 * asked, with the response or none (-1): > 0 accepts, 0 refuses (bad_certificate_status_response),
 * < 0 is an error. 0 or the alert. */
int keel_status_client_cb(SSL *s)
{
    if (s->status_type != TLSEXT_STATUSTYPE_ocsp || s->ctx->status_cb == NULL)
        return 0;
    int r = s->ctx->status_cb(s, s->ctx->status_arg);
    if (r == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_STATUS_RESPONSE);
        return SSL_AD_BAD_CERTIFICATE_STATUS_RESPONSE;
    }
    if (r < 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_OCSP_CALLBACK_FAILURE);
        return SSL_AD_INTERNAL_ERROR;
    }
    return 0;
}

/* Before a ClientHello is read: a server knows of a request only from this hello. */
void keel_status_server_start(SSL *s)
{
    s->status_type = KEEL_STATUS_NONE;
}

/* The server's decision, once its certificate is chosen (both versions' write step): a resumed
 * session sends no certificate, so the request is dropped and the callback not called (as
 * OpenSSL 3.0: SSL_get_tlsext_status_type then reads -1). Otherwise, when the client asked and a
 * callback is set: SSL_TLSEXT_ERR_OK staples the response it set (if any, even an empty one, as
 * OpenSSL does), NOACK staples nothing, anything else ends the handshake as OpenSSL 3.0 ends it.
 * 0 or the alert. */
int keel_status_server(SSL *s)
{
    keel_conn *c = s->conn;

    c->hs->status_expected = 0;
    if (c->resumed) {
        s->status_type = KEEL_STATUS_NONE;
        return 0;
    }
    if (s->status_type != TLSEXT_STATUSTYPE_ocsp || s->ctx->status_cb == NULL || c->certkey == NULL)
        return 0;
    switch (s->ctx->status_cb(s, s->ctx->status_arg)) {
    case SSL_TLSEXT_ERR_OK:
        c->hs->status_expected = keel_ssl_rare_r(s)->ocsp_resp != NULL;
        return 0;
    case SSL_TLSEXT_ERR_NOACK:
        return 0;
    default:
        ERR_raise(ERR_LIB_SSL, SSL_R_CLIENTHELLO_TLSEXT);
        return SSL_AD_INTERNAL_ERROR;
    }
}

/* RFC 6066 §8: the TLS 1.2 ServerHello's empty status_request, when a CertificateStatus follows. */
int keel_extw_status(SSL *s, keel_wr *w, unsigned msg)
{
    size_t x;
    if (msg != KEEL_MSG_SH12 || !s->conn->hs->status_expected)
        return 0;
    keel_wr_u16(w, TLSEXT_TYPE_status_request);
    keel_wr_open16(w, &x);
    return keel_wr_close(w, x) && !keel_wr_failed(w) ? 1 : -1;
}

static void write_status_body(SSL *s, keel_wr *w)
{
    const keel_ssl_rare *rare = keel_ssl_rare_r(s);
    size_t m;
    keel_wr_u8(w, TLSEXT_STATUSTYPE_ocsp);
    keel_wr_open24(w, &m);
    keel_wr_bytes(w, rare->ocsp_resp, (size_t)rare->ocsp_resp_len);
    keel_wr_close(w, m);
}

/* The TLS 1.2 CertificateStatus message, after Certificate (RFC 6066 §8). 1 = sent or not due. */
int keel12_server_write_cert_status(SSL *s)
{
    keel_wr w;
    size_t body;

    if (!s->conn->hs->status_expected)
        return 1;
    keel_step(s, TLS_ST_SW_CERT_STATUS);
    if (!keel_wr_init(&w, 8 + (size_t)keel_ssl_rare_r(s)->ocsp_resp_len))
        return 0;
    keel_wr_u8(&w, SSL3_MT_CERTIFICATE_STATUS);
    keel_wr_open24(&w, &body);
    write_status_body(s, &w);
    keel_wr_close(&w, body);
    return keel_send_hs(s, &w);
}

/* The extensions of our leaf's CertificateEntry (RFC 8446 §4.4.2): the server's stapled response
 * as a status_request carrying a CertificateStatus (§4.4.2.1), else none. */
int keel_status_write_entry(SSL *s, keel_wr *w)
{
    keel_conn *c = s->conn;
    size_t e, x;

    keel_wr_open16(w, &e);
    if (s->server && c->hs != NULL && c->hs->status_expected) {
        keel_wr_u16(w, TLSEXT_TYPE_status_request);
        keel_wr_open16(w, &x);
        write_status_body(s, w);
        keel_wr_close(w, x);
    }
    return keel_wr_close(w, e);
}
