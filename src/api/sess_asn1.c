/* Sessions as bytes: i2d_SSL_SESSION / d2i_SSL_SESSION and the PEM wrappers, so that a session
 * survives a process restart and crosses to and from programs on OpenSSL. The encoding is the DER
 * SSL_SESSION structure OpenSSL writes (its field tags and meanings; tests/diff/sess_der.c holds
 * keel to the system libssl byte for byte):
 *
 *   SEQUENCE { version INTEGER (1), ssl_version INTEGER, cipher OCTET STRING (the 2-byte suite),
 *     session_id OCTET STRING, master_key OCTET STRING (TLS 1.3: the resumption PSK),
 *     key_arg [0] IMPLICIT OCTET STRING OPT, time [1] INTEGER OPT, timeout [2] INTEGER OPT,
 *     peer [3] Certificate OPT, sid_ctx [4] OCTET STRING OPT, verify_result [5] INTEGER OPT,
 *     hostname [6] OCTET STRING OPT, psk_identity_hint [7], psk_identity [8] OCTET STRING OPT,
 *     ticket_lifetime_hint [9] INTEGER OPT, ticket [10] OCTET STRING OPT, comp_id [11],
 *     srp_username [12] OCTET STRING OPT, flags [13] INTEGER OPT, ticket_age_add [14] INTEGER OPT,
 *     max_early_data [15] INTEGER OPT, alpn_selected [16] OCTET STRING OPT,
 *     max_fragment_len_mode [17] INTEGER OPT, ticket_appdata [18] OCTET STRING OPT,
 *     kex_group [19] INTEGER OPT }        -- [1]..[19] EXPLICIT
 *
 * Written as OpenSSL 3.0 writes it: integers that are zero left out except [19], sid_ctx always
 * there. Fields keel has no use for ([0] [11] [12] [13] [18]) are checked for their
 * type and skipped. An absent or zero time means now and timeout 3 seconds, as OpenSSL reads them.
 * Parsed with the bounded reader as strict DER (minimal lengths and integers, tags once each and
 * in order, nothing unknown, nothing trailing inside): anything else is SSL_R_BAD_DATA and never
 * half-accepted. DER delimits itself, so d2i_SSL_SESSION takes one session from a longer buffer;
 * tickets (their plaintext is this same encoding: one format to keep safe, and it holds all a
 * server needs) and copies must hold exactly one, nothing trailing. */
#include "proto/session.h"
#include "proto/cipher.h"
#include "common/bytes.h"

/* The flags field's extended-master-secret bit, as OpenSSL writes it. */
#define KEEL_SESS_FLAG_EXTMS 0x1
/* keel's own bit of the flags field: encrypt_then_mac (RFC 7366 §3.1), so that a ticket or a
 * session file resumes with the same MAC mode. OpenSSL 3.0 defines only EXTMS and ignores it. */
#define KEEL_SESS_FLAG_ETM 0x10000

#include <openssl/pem.h>
#include <limits.h>
#include <string.h>

#define ASN1_VERSION 1
#define T_INTEGER 0x02
#define T_OCTETS 0x04
#define T_SEQUENCE 0x30
#define T_EXPLICIT(n) (0xa0 | (n)) /* context-specific, constructed: [n] EXPLICIT, n < 31 */
#define T_KEY_ARG 0x80             /* [0] IMPLICIT OCTET STRING */

/* ---- writing ---- */

/* A DER tag and definite length (X.690 §8.1.3: the short form below 128, else the fewest bytes). */
static void put_hdr(keel_wr *w, uint8_t tag, size_t len)
{
    keel_wr_u8(w, tag);
    if (len < 0x80) {
        keel_wr_u8(w, (uint32_t)len);
        return;
    }
    size_t n = 0;
    for (size_t l = len; l != 0; l >>= 8)
        n++;
    keel_wr_u8(w, (uint32_t)(0x80 | n));
    while (n-- > 0)
        keel_wr_u8(w, (uint32_t)((len >> (8 * n)) & 0xff));
}

static size_t hdr_len(size_t len)
{
    size_t n = 2;
    if (len >= 0x80)
        for (size_t l = len; l != 0; l >>= 8)
            n++;
    return n;
}

/* INTEGER content, two's complement in the fewest bytes (X.690 §8.3.2). */
static size_t int_bytes(int64_t v, uint8_t out[9])
{
    uint8_t be[9];
    uint64_t u = (uint64_t)v;
    be[0] = v < 0 ? 0xff : 0;
    for (int i = 0; i < 8; i++)
        be[8 - i] = (uint8_t)(u >> (8 * i));
    size_t i = 0;
    while (i < 8 && ((be[i] == 0 && !(be[i + 1] & 0x80)) || (be[i] == 0xff && (be[i + 1] & 0x80))))
        i++;
    memcpy(out, be + i, 9 - i);
    return 9 - i;
}

/* Unsigned values are non-negative INTEGERs: uint64 needs a leading zero byte past int64. */
static void put_int(keel_wr *w, int tag, uint64_t v, int is_signed)
{
    uint8_t c[10];
    size_t n;
    if (!is_signed && v > (uint64_t)INT64_MAX) {
        c[0] = 0;
        for (int i = 0; i < 8; i++)
            c[1 + i] = (uint8_t)(v >> (8 * (7 - i)));
        n = 9;
    } else {
        n = int_bytes((int64_t)v, c);
    }
    if (tag >= 0)
        put_hdr(w, T_EXPLICIT(tag), hdr_len(n) + n);
    put_hdr(w, T_INTEGER, n);
    keel_wr_bytes(w, c, n);
}

static void put_octets(keel_wr *w, int tag, const uint8_t *p, size_t n)
{
    if (tag >= 0)
        put_hdr(w, T_EXPLICIT(tag), hdr_len(n) + n);
    put_hdr(w, T_OCTETS, n);
    keel_wr_bytes(w, p, n);
}

int keel_session_encode(const SSL_SESSION *ss, uint8_t **out, size_t *len)
{
    keel_wr b, w;
    uint8_t cipher[2];

    if (ss->cipher == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_DATA);
        return 0;
    }
    if (!keel_wr_init(&b, 512))
        return 0;
    keel_wr_secret(&b); /* the resumption secret is in it */
    cipher[0] = (uint8_t)(ss->cipher->code >> 8);
    cipher[1] = (uint8_t)ss->cipher->code;
    put_int(&b, -1, ASN1_VERSION, 0);
    put_int(&b, -1, (uint64_t)(int64_t)ss->version, 1);
    put_octets(&b, -1, cipher, 2);
    put_octets(&b, -1, ss->session_id, ss->session_id_len);
    put_octets(&b, -1, ss->master_key, ss->master_key_len);
    if (ss->time != 0)
        put_int(&b, 1, (uint64_t)(int64_t)ss->time, 1);
    if (ss->timeout != 0)
        put_int(&b, 2, (uint64_t)(int64_t)ss->timeout, 1);
    if (ss->peer != NULL) {
        int n = i2d_X509(ss->peer, NULL);
        uint8_t *p;
        if (n <= 0) {
            keel_wr_cleanup(&b);
            return 0;
        }
        put_hdr(&b, T_EXPLICIT(3), (size_t)n);
        if (!keel_wr_space(&b, (size_t)n, &p) || i2d_X509(ss->peer, &p) != n) {
            keel_wr_cleanup(&b);
            return 0;
        }
    }
    put_octets(&b, 4, ss->sid_ctx, ss->sid_ctx_len);
    if (ss->verify_result != 0)
        put_int(&b, 5, (uint64_t)(int64_t)ss->verify_result, 1);
    if (ss->hostname != NULL)
        put_octets(&b, 6, (const uint8_t *)ss->hostname, strlen(ss->hostname));
    if (ss->psk_identity_hint != NULL)
        put_octets(&b, 7, (const uint8_t *)ss->psk_identity_hint, strlen(ss->psk_identity_hint));
    if (ss->psk_identity != NULL)
        put_octets(&b, 8, (const uint8_t *)ss->psk_identity, strlen(ss->psk_identity));
    if (ss->ticket_lifetime_hint != 0)
        put_int(&b, 9, ss->ticket_lifetime_hint, 0);
    if (ss->ticket_len > 0)
        put_octets(&b, 10, ss->ticket, ss->ticket_len);
    if (ss->ems || ss->etm)
        put_int(&b, 13, (ss->ems ? KEEL_SESS_FLAG_EXTMS : 0) | (ss->etm ? KEEL_SESS_FLAG_ETM : 0), 0);
    if (ss->ticket_age_add != 0)
        put_int(&b, 14, ss->ticket_age_add, 0);
    if (ss->max_early_data != 0)
        put_int(&b, 15, ss->max_early_data, 0);
    if (ss->alpn_len > 0)
        put_octets(&b, 16, ss->alpn, ss->alpn_len);
    if (ss->mfl_mode != 0)
        put_int(&b, 17, ss->mfl_mode, 0);
    put_int(&b, 19, ss->kex_group, 0);
    if (keel_wr_failed(&b) || !keel_wr_init(&w, keel_wr_len(&b) + 8)) {
        keel_wr_cleanup(&b);
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    keel_wr_secret(&w);
    put_hdr(&w, T_SEQUENCE, keel_wr_len(&b));
    keel_wr_bytes(&w, keel_wr_data(&b), keel_wr_len(&b));
    keel_wr_cleanup(&b);
    if (!keel_wr_finish(&w, out, len)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    return 1;
}

/* ---- reading ---- */

/* One DER element: its tag (low-tag-number form only, all this structure uses) and definite
 * length in the fewest bytes; the content in *c, the cursor moved past it. */
static int get_tlv(keel_rd *r, uint32_t *tag, keel_rd *c)
{
    keel_rd save = *r;
    uint32_t t, l, b;
    size_t len;
    const uint8_t *p;

    if (!keel_rd_u8(r, &t) || (t & 0x1f) == 0x1f || !keel_rd_u8(r, &l))
        goto bad;
    if (l < 0x80) {
        len = l;
    } else {
        size_t n = l & 0x7f;
        /* 0x80 is BER's indefinite length; more than 3 bytes cannot fit anything here */
        if (n == 0 || n > 3)
            goto bad;
        len = 0;
        for (size_t i = 0; i < n; i++) {
            if (!keel_rd_u8(r, &b) || (i == 0 && b == 0))
                goto bad;
            len = len << 8 | b;
        }
        if (len < 0x80)
            goto bad;
    }
    if (!keel_rd_bytes(r, &p, len))
        goto bad;
    keel_rd_init(c, p, len);
    *tag = t;
    return 1;
bad:
    *r = save;
    return 0;
}

static int get_typed(keel_rd *r, uint32_t want, keel_rd *c)
{
    uint32_t t;
    keel_rd save = *r;
    if (!get_tlv(r, &t, c) || t != want) {
        *r = save;
        return 0;
    }
    return 1;
}

/* An INTEGER in the fewest bytes (X.690 §8.3.2): an int64, or for unsigned fields a
 * non-negative value up to UINT64_MAX. */
static int get_int_content(keel_rd c, int is_signed, uint64_t *v)
{
    keel_rd peek = c;
    uint32_t b0, b1;
    size_t n = keel_rd_left(&c);

    if (!keel_rd_u8(&peek, &b0))
        return 0; /* an INTEGER has at least one byte */
    if (keel_rd_u8(&peek, &b1) && ((b0 == 0 && !(b1 & 0x80)) || (b0 == 0xff && (b1 & 0x80))))
        return 0; /* not the fewest bytes */
    if (!is_signed && (b0 & 0x80))
        return 0;
    if (!is_signed && b0 == 0 && n > 1) {
        keel_rd_u8(&c, &b0); /* the sign byte of a value with its top bit set */
        n--;
        b0 = 0;
    }
    if (n > 8)
        return 0;
    uint64_t u = (b0 & 0x80) ? UINT64_MAX : 0; /* sign extension */
    for (uint32_t b; keel_rd_u8(&c, &b);)
        u = u << 8 | b;
    *v = u;
    return 1;
}

static int get_int(keel_rd *r, int is_signed, uint64_t *v)
{
    keel_rd c;
    return get_typed(r, T_INTEGER, &c) && get_int_content(c, is_signed, v);
}

/* One session from the start of p; *used says how many bytes it took. */
static SSL_SESSION *decode_one(const uint8_t *p, size_t len, size_t *used)
{
    keel_rd r, seq, f, inner;
    uint64_t v;
    uint32_t tag;
    int last = -1;
    SSL_SESSION *ss = SSL_SESSION_new();

    if (ss == NULL)
        return NULL;
    ss->time = 0;
    ss->timeout = 0;
    ss->verify_result = X509_V_OK; /* verify_result [5] absent: 0, as OpenSSL 3.0's decoder */
    keel_rd_init(&r, p, len);
    if (!get_typed(&r, T_SEQUENCE, &seq))
        goto bad;
    if (!get_int(&seq, 0, &v) || v != ASN1_VERSION)
        goto bad;
    /* keel resumes TLS 1.3 and 1.2: any other protocol's session is not one it can use, nor a
     * suite of another version's */
    if (!get_int(&seq, 1, &v) || (v != TLS1_3_VERSION && v != TLS1_2_VERSION))
        goto bad;
    ss->version = (int)v;
    if (!get_typed(&seq, T_OCTETS, &f) || f.len != 2
            || (ss->cipher = keel_cipher_by_code((uint16_t)(f.p[0] << 8 | f.p[1]))) == NULL
            || (ss->cipher->min_tls == TLS1_3_VERSION) != (v == TLS1_3_VERSION))
        goto bad;
    if (!get_typed(&seq, T_OCTETS, &f) || f.len > sizeof(ss->session_id))
        goto bad;
    memcpy(ss->session_id, f.p, f.len);
    ss->session_id_len = f.len;
    if (!get_typed(&seq, T_OCTETS, &f) || f.len > PSK_MAX_PSK_LEN)
        goto bad;
    if (!SSL_SESSION_set1_master_key(ss, f.p, f.len))
        goto fail;

    while (!keel_rd_done(&seq)) {
        if (!get_tlv(&seq, &tag, &f))
            goto bad;
        int n;
        if (tag == T_KEY_ARG) {
            n = 0; /* key_arg: SSLv2's, unused since */
        } else if ((tag & 0xe0) == 0xa0 && (tag & 0x1f) >= 1 && (tag & 0x1f) <= 19) {
            n = (int)(tag & 0x1f);
        } else {
            goto bad;
        }
        if (n <= last) /* each field once, in the order of the structure */
            goto bad;
        last = n;
        if (n == 0)
            continue;
        if (n == 3) { /* the peer's certificate, exactly the content */
            const unsigned char *q = f.p;
            if ((ss->peer = d2i_X509(NULL, &q, (long)f.len)) == NULL || q != f.p + f.len)
                goto bad;
            continue;
        }
        int is_int = n == 1 || n == 2 || n == 5 || n == 9 || n == 13 || (n >= 14 && n <= 15)
            || n == 17 || n == 19;
        if (!(is_int ? get_int(&f, n == 1 || n == 2 || n == 5, &v) : get_typed(&f, T_OCTETS, &inner))
                || !keel_rd_done(&f))
            goto bad;
        switch (n) {
        case 1:
            ss->time = (time_t)(int64_t)v;
            break;
        case 2:
            /* any value SSL_SESSION_set_timeout may have written: keel_session_expired compares
             * without overflow, and a negative one is expired */
            if ((int64_t)v < LONG_MIN || (int64_t)v > LONG_MAX)
                goto bad;
            ss->timeout = (long)(int64_t)v;
            break;
        case 4:
            if (inner.len > sizeof(ss->sid_ctx))
                goto bad;
            memcpy(ss->sid_ctx, inner.p, inner.len);
            ss->sid_ctx_len = inner.len;
            break;
        case 5:
            if ((int64_t)v < INT32_MIN || (int64_t)v > INT32_MAX)
                goto bad;
            ss->verify_result = (long)(int64_t)v;
            break;
        case 6:
        case 7:
        case 8: { /* hostname, the TLS 1.2 PSK identity hint and identity: strings */
            char **dst = n == 6 ? &ss->hostname : n == 7 ? &ss->psk_identity_hint : &ss->psk_identity;
            if (memchr(inner.p, 0, inner.len) != NULL)
                goto bad;
            if ((*dst = OPENSSL_strndup((const char *)inner.p, inner.len)) == NULL)
                goto fail;
            break;
        }
        case 9:
            /* RFC 8446 §4.6.1: a uint32; OpenSSL's field is wider, keel's is not */
            if (v > UINT32_MAX)
                goto bad;
            ss->ticket_lifetime_hint = (uint32_t)v;
            break;
        case 10:
            if (inner.len > 0xffff) /* RFC 8446 §4.6.1: ticket<1..2^16-1> */
                goto bad;
            if (inner.len > 0 && (ss->ticket = OPENSSL_memdup(inner.p, inner.len)) == NULL)
                goto fail;
            ss->ticket_len = inner.len;
            break;
        case 13: /* flags: OpenSSL's extended-master-secret bit (RFC 7627) is the one keel keeps */
            ss->ems = (v & KEEL_SESS_FLAG_EXTMS) != 0;
            ss->etm = (v & KEEL_SESS_FLAG_ETM) != 0;
            break;
        case 17:
            /* OpenSSL keeps the code in a byte and reads the field into it as it is. */
            if (v > UINT32_MAX)
                goto bad;
            ss->mfl_mode = (uint8_t)v;
            break;
        case 14:
        case 15:
        case 19:
            if (v > UINT32_MAX)
                goto bad;
            if (n == 14)
                ss->ticket_age_add = (uint32_t)v;
            else if (n == 15)
                ss->max_early_data = (uint32_t)v;
            else
                ss->kex_group = (uint32_t)v;
            break;
        case 16:
            if (inner.len > 255) /* RFC 7301 §3.1: a ProtocolName is <1..2^8-1> */
                goto bad;
            if (inner.len > 0 && (ss->alpn = OPENSSL_memdup(inner.p, inner.len)) == NULL)
                goto fail;
            ss->alpn_len = inner.len;
            break;
        default: /* typed and skipped: compression, SRP, app data */
            break;
        }
    }
    /* What OpenSSL makes of zero or absent values: a session of now, lasting 3 seconds. */
    if (ss->time == 0)
        ss->time = time(NULL);
    if (ss->timeout == 0)
        ss->timeout = 3;
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
