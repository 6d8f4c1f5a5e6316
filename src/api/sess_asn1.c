/* Sessions as bytes: i2d_SSL_SESSION / d2i_SSL_SESSION and the PEM wrappers, so that a session
 * survives a process restart. The format is keel's own (OpenSSL's is not an interface), versioned,
 * and parsed with the bounded reader: anything malformed, truncated or unknown is rejected with
 * SSL_R_BAD_DATA and never half-accepted. The encoding delimits itself, so d2i_SSL_SESSION takes
 * one session from a longer buffer; tickets and copies must hold exactly one, nothing trailing.
 *
 *   "KSS" u8 format(1) | u16 version | u16 cipher | <u8> master_key | <u8> session_id | <u8> sid_ctx
 *   | u32 time_hi | u32 time_lo | u32 timeout | <u16> ticket | u32 lifetime_hint | u32 age_add
 *   | u32 max_early_data | <u16> hostname | <u8> alpn | <u24> peer certificate (DER) | u32 verify_result
 */
#include "api/session.h"
#include "api/cipher.h"
#include "common/bytes.h"

#include <openssl/pem.h>
#include <string.h>

#define FORMAT 1

int keel_session_encode(const SSL_SESSION *ss, uint8_t **out, size_t *len)
{
    keel_wr w;
    size_t m;
    uint64_t t = (uint64_t)ss->time;

    if (ss->cipher == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_DATA);
        return 0;
    }
    if (!keel_wr_init(&w, 512))
        return 0;
    keel_wr_secret(&w); /* the resumption secret is in it */
    keel_wr_bytes(&w, (const uint8_t *)"KSS", 3);
    keel_wr_u8(&w, FORMAT);
    keel_wr_u16(&w, (uint32_t)ss->version);
    keel_wr_u16(&w, ss->cipher->code);
    keel_wr_open8(&w, &m);
    keel_wr_bytes(&w, ss->master_key, ss->master_key_len);
    keel_wr_close(&w, m);
    keel_wr_open8(&w, &m);
    keel_wr_bytes(&w, ss->session_id, ss->session_id_len);
    keel_wr_close(&w, m);
    keel_wr_open8(&w, &m);
    keel_wr_bytes(&w, ss->sid_ctx, ss->sid_ctx_len);
    keel_wr_close(&w, m);
    keel_wr_u32(&w, (uint32_t)(t >> 32));
    keel_wr_u32(&w, (uint32_t)t);
    keel_wr_u32(&w, (uint32_t)ss->timeout);
    keel_wr_open16(&w, &m);
    keel_wr_bytes(&w, ss->ticket, ss->ticket_len);
    keel_wr_close(&w, m);
    keel_wr_u32(&w, ss->ticket_lifetime_hint);
    keel_wr_u32(&w, ss->ticket_age_add);
    keel_wr_u32(&w, ss->max_early_data);
    keel_wr_open16(&w, &m);
    if (ss->hostname != NULL)
        keel_wr_bytes(&w, (const uint8_t *)ss->hostname, strlen(ss->hostname));
    keel_wr_close(&w, m);
    keel_wr_open8(&w, &m);
    keel_wr_bytes(&w, ss->alpn, ss->alpn_len);
    keel_wr_close(&w, m);
    keel_wr_open24(&w, &m);
    if (ss->peer != NULL) {
        int n = i2d_X509(ss->peer, NULL);
        uint8_t *p;
        if (n <= 0 || !keel_wr_space(&w, (size_t)n, &p) || i2d_X509(ss->peer, &p) != n) {
            keel_wr_cleanup(&w);
            return 0;
        }
    }
    keel_wr_close(&w, m);
    keel_wr_u32(&w, (uint32_t)ss->verify_result);
    if (!keel_wr_finish(&w, out, len)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    return 1;
}

/* One session from the start of p; *used says how many bytes it took. The encoding delimits
 * itself: fixed-size fields and length-prefixed ones, the last a fixed u32. */
static SSL_SESSION *decode_one(const uint8_t *p, size_t len, size_t *used)
{
    keel_rd r, f;
    const uint8_t *magic;
    uint32_t fmt, version, code, thi, tlo, timeout, vr;
    SSL_SESSION *ss = SSL_SESSION_new();

    if (ss == NULL)
        return NULL;
    keel_rd_init(&r, p, len);
    if (!keel_rd_bytes(&r, &magic, 3) || memcmp(magic, "KSS", 3) != 0 || !keel_rd_u8(&r, &fmt)
            || fmt != FORMAT || !keel_rd_u16(&r, &version) || !keel_rd_u16(&r, &code))
        goto bad;
    ss->version = (int)version;
    if (version != TLS1_3_VERSION || (ss->cipher = keel_cipher_by_code((uint16_t)code)) == NULL
            || ss->cipher->min_tls != TLS1_3_VERSION)
        goto bad;
    if (!keel_rd_prefixed8(&r, &f) || f.len > sizeof(ss->master_key))
        goto bad;
    memcpy(ss->master_key, f.p, f.len);
    ss->master_key_len = f.len;
    if (!keel_rd_prefixed8(&r, &f) || f.len > sizeof(ss->session_id))
        goto bad;
    memcpy(ss->session_id, f.p, f.len);
    ss->session_id_len = f.len;
    if (!keel_rd_prefixed8(&r, &f) || f.len > sizeof(ss->sid_ctx))
        goto bad;
    memcpy(ss->sid_ctx, f.p, f.len);
    ss->sid_ctx_len = f.len;
    if (!keel_rd_u32(&r, &thi) || !keel_rd_u32(&r, &tlo) || !keel_rd_u32(&r, &timeout)
            || timeout > INT32_MAX)
        goto bad;
    ss->time = (time_t)((uint64_t)thi << 32 | tlo);
    ss->timeout = (long)timeout;
    if (!keel_rd_prefixed16(&r, &f))
        goto bad;
    if (f.len > 0 && (ss->ticket = OPENSSL_memdup(f.p, f.len)) == NULL)
        goto fail;
    ss->ticket_len = f.len;
    if (!keel_rd_u32(&r, &ss->ticket_lifetime_hint) || !keel_rd_u32(&r, &ss->ticket_age_add)
            || !keel_rd_u32(&r, &ss->max_early_data) || !keel_rd_prefixed16(&r, &f)
            || memchr(f.p, 0, f.len) != NULL)
        goto bad;
    if (f.len > 0 && (ss->hostname = OPENSSL_strndup((const char *)f.p, f.len)) == NULL)
        goto fail;
    if (!keel_rd_prefixed8(&r, &f))
        goto bad;
    if (f.len > 0 && (ss->alpn = OPENSSL_memdup(f.p, f.len)) == NULL)
        goto fail;
    ss->alpn_len = f.len;
    if (!keel_rd_prefixed24(&r, &f))
        goto bad;
    if (f.len > 0) {
        const unsigned char *q = f.p;
        if ((ss->peer = d2i_X509(NULL, &q, (long)f.len)) == NULL || q != f.p + f.len)
            goto bad;
    }
    if (!keel_rd_u32(&r, &vr))
        goto bad;
    ss->verify_result = (long)(int32_t)vr;
    *used = len - keel_rd_left(&r);
    return ss;
bad:
    ERR_raise(ERR_LIB_SSL, SSL_R_BAD_DATA);
fail:
    SSL_SESSION_free(ss);
    return NULL;
}

/* Exactly one session and nothing after it (tickets, SSL_SESSION_dup). */
SSL_SESSION *keel_session_decode(const uint8_t *p, size_t len)
{
    size_t used = 0;
    SSL_SESSION *ss = decode_one(p, len, &used);
    if (ss != NULL && used != len) {
        SSL_SESSION_free(ss);
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_DATA);
        return NULL;
    }
    return ss;
}

int i2d_SSL_SESSION(const SSL_SESSION *ss, unsigned char **pp)
{
    uint8_t *der;
    size_t len;

    if (ss == NULL || !keel_session_encode(ss, &der, &len))
        return 0;
    if (len > INT32_MAX) {
        OPENSSL_clear_free(der, len);
        return 0;
    }
    if (pp != NULL) {
        if (*pp == NULL) {
            *pp = der; /* i2d convention: the caller frees with OPENSSL_free */
            return (int)len;
        }
        memcpy(*pp, der, len);
        *pp += len;
    }
    OPENSSL_clear_free(der, len);
    return (int)len;
}

SSL_SESSION *d2i_SSL_SESSION(SSL_SESSION **a, const unsigned char **pp, long length)
{
    if (pp == NULL || *pp == NULL || length <= 0) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        return NULL;
    }
    /* As d2i functions do: the first encoded session of a buffer that may hold more, *pp moved
     * past what it took (and not moved on failure). */
    size_t used = 0;
    SSL_SESSION *ss = decode_one(*pp, (size_t)length, &used);
    if (ss == NULL)
        return NULL;
    *pp += used;
    if (a != NULL) {
        SSL_SESSION_free(*a);
        *a = ss;
    }
    return ss;
}

/* PEM: the "SSL SESSION PARAMETERS" label, as OpenSSL's PEM_write_bio_SSL_SESSION uses. */
#define PEM_LABEL "SSL SESSION PARAMETERS"

int PEM_write_bio_SSL_SESSION(BIO *bp, const SSL_SESSION *ss)
{
    uint8_t *der;
    size_t len;
    if (!keel_session_encode(ss, &der, &len))
        return 0;
    int ok = PEM_write_bio(bp, PEM_LABEL, "", der, (long)len) > 0;
    OPENSSL_clear_free(der, len);
    return ok;
}

SSL_SESSION *PEM_read_bio_SSL_SESSION(BIO *bp, SSL_SESSION **x, pem_password_cb *cb, void *u)
{
    unsigned char *der = NULL;
    long len;
    if (!PEM_bytes_read_bio(&der, &len, NULL, PEM_LABEL, bp, cb, u))
        return NULL;
    const unsigned char *p = der;
    SSL_SESSION *ss = d2i_SSL_SESSION(x, &p, len);
    OPENSSL_clear_free(der, (size_t)len);
    return ss;
}

int PEM_write_SSL_SESSION(FILE *fp, const SSL_SESSION *ss)
{
    BIO *b = BIO_new_fp(fp, BIO_NOCLOSE);
    int ok = b != NULL && PEM_write_bio_SSL_SESSION(b, ss);
    BIO_free(b);
    return ok;
}

SSL_SESSION *PEM_read_SSL_SESSION(FILE *fp, SSL_SESSION **x, pem_password_cb *cb, void *u)
{
    BIO *b = BIO_new_fp(fp, BIO_NOCLOSE);
    SSL_SESSION *ss = b != NULL ? PEM_read_bio_SSL_SESSION(b, x, cb, u) : NULL;
    BIO_free(b);
    return ss;
}
