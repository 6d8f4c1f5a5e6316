/* Reading records: framing and header checks (RFC 8446 §5.1, RFC 5246 §6.2.1), opening in place in
 * the read buffer, and the read buffer's lifetime. */
#include "record/record_int.h"

#include "common/proto.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/sslerr.h>
#include <string.h>

/* Room for the largest record any state accepts: RFC 5246 §6.2.3's 2^14 + 2048 (TLS 1.3's limit,
 * 2^14 + 256, is smaller). One allocation serves every record. */
#define RBUF_CAP (KEEL_RL_HEADER_LEN + KEEL_MAX_CIPHERTEXT_12)

void keel_rl_release_rbuf(keel_rl *rl)
{
    if (rl->release_buffers && rl->rbuf != NULL && rl->rhave == 0 && rl->ahead_len == 0
            && !(rl->rec_ready && rl->rec_len > 0)) {
        keel_rl_buf_free(rl->rbuf);
        rl->rbuf = NULL;
    }
}

static void current(const keel_rl *rl, keel_record *rec)
{
    rec->type = rl->rec_type;
    rec->data = (rl->rec_in_offer ? rl->offer : rl->rbuf) + rl->rec_off;
    rec->len = rl->rec_len;
}

/* Abandons the record being received (it was rejected) and reports the alert. */
static int reject(keel_rl *rl, int *alert, int alert_value, int reason)
{
    if (reason != 0)
        ERR_raise(ERR_LIB_SSL, reason);
    *alert = alert_value;
    rl->rhave = rl->rneed = rl->ahead_len = 0;
    return KEEL_RL_ALERT;
}

/* The record in rbuf[0, rneed) is taken: anything read past it (read_ahead) waits at rneed. */
static void take_record(keel_rl *rl)
{
    rl->ahead_off = rl->rneed;
    rl->ahead_len = rl->rhave - rl->rneed;
    rl->rhave = rl->rneed = 0;
}

/* Reads until the buffer holds `target` bytes of the current record, asking the BIO for no more
 * than that so that the bytes after this record stay in the BIO, as OpenSSL 3.0 does; with
 * read_ahead for as much as the buffer holds (tests/diff/read_ahead.c). 1 when done; otherwise 0
 * and *rv. */
static int fill(keel_rl *rl, BIO *rbio, size_t target, int *rv, int *alert)
{
    while (rl->rhave < target) {
        size_t want = rl->read_ahead ? RBUF_CAP - rl->rhave : target - rl->rhave;
        int n = BIO_read(rbio, rl->rbuf + rl->rhave, (int)want);

        if (n > 0) {
            rl->rhave += (size_t)n;
            continue;
        }
        if (BIO_should_retry(rbio)) {
            keel_rl_release_rbuf(rl);
            *rv = KEEL_RL_RETRY;
        } else if (n == 0 && rl->rhave == 0) {
            keel_rl_release_rbuf(rl);
            *rv = KEEL_RL_EOF;
        } else if (n == 0) {
            /* A clean EOF inside a record is a truncation the peer did not announce: decode_error,
             * as OpenSSL 3.0 answers an unexpected EOF. */
            ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_EOF_WHILE_READING);
            *alert = KEEL_ALERT_DECODE_ERROR;
            *rv = KEEL_RL_ALERT;
        } else {
            /* A negative return leaves the BIO's own error and errno for the SSL layer
             * (SSL_ERROR_SYSCALL). */
            *rv = KEEL_RL_ERROR;
        }
        return 0;
    }
    return 1;
}

/* A plaintext HTTP request or proxy CONNECT sent to a TLS port (what OpenSSL reports as
 * SSL_R_HTTP_REQUEST / SSL_R_HTTPS_PROXY_REQUEST): only the first five bytes are looked at. */
static int http_reason(const uint8_t *h)
{
    static const char *const req[] = { "GET ", "POST ", "HEAD ", "PUT " };

    for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
        size_t n = strlen(req[i]) < KEEL_RL_HEADER_LEN ? strlen(req[i]) : KEEL_RL_HEADER_LEN;

        if (memcmp(h, req[i], n) == 0)
            return SSL_R_HTTP_REQUEST;
    }
    if (memcmp(h, "CONNE", KEEL_RL_HEADER_LEN) == 0)
        return SSL_R_HTTPS_PROXY_REQUEST;
    return 0;
}

/* An alert record of exactly one alert taken in plaintext under TLS 1.3 protection: only while
 * the handshake layer has armed the one-shot allowance (keel_rl_allow_plain_alert), which the
 * first opened record and any read key change clear. The record layer knows nothing of when a
 * peer may send one; a sequence-number rule would accept a forged close_notify after every key
 * change. */
static int plain_alert(const keel_rl *rl, uint32_t type, uint32_t len)
{
    return rl->rd.prot == KEEL_RL_PROT_TLS13 && (rl->plain_alert_once || rl->plain_alerts_in)
        && type == KEEL_CT_ALERT && len == 2;
}

/* Allocates the read buffer if there is none (it is released only when it holds nothing, so
 * rhave is 0 then; rneed may already be set by read_pair's check_header). 1 / 0 with ERR. */
static int have_rbuf(keel_rl *rl)
{
    return rl->rbuf != NULL || (rl->rbuf = keel_rl_buf_alloc(RBUF_CAP)) != NULL;
}

/* Checks the 5-byte header h (in rbuf, or in a BIO pair's ring: read_pair) and sets rneed to the
 * whole record's length. KEEL_RL_OK or the failure to return. */
static int check_header(keel_rl *rl, const uint8_t *h, int *alert)
{
    keel_rd r;
    uint32_t type, version, len;
    int first = !rl->seen_record, prot;
    size_t limit;

    keel_rd_init(&r, h, KEEL_RL_HEADER_LEN);
    if (!keel_rd_u8(&r, &type) || !keel_rd_u16(&r, &version) || !keel_rd_u16(&r, &len))
        return reject(rl, alert, KEEL_ALERT_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    rl->seen_record = 1;
    /* Reported as read, before it is judged (the checks below may refuse it). */
    if (rl->trace != NULL)
        rl->trace(rl->trace_arg, 0, h, NULL);
    rl->held_alert = rl->held_reason = rl->v2_hello = 0;

    /* An SSL 2.0 CLIENT-HELLO: read whole if its length allows, then refused (sslv2.c). */
    if (first && rl->rd.prot == KEEL_RL_PROT_NONE && keel_rl_sslv2_header(h)) {
        size_t v2_len;
        int reason, a;
        if (!keel_rl_sslv2_length(h, &v2_len, &reason, &a))
            return reject(rl, alert, a, reason);
        rl->v2_hello = 1;
        rl->rneed = 2 + v2_len;
        return KEEL_RL_OK;
    }

    /* RFC 8446 §5.1: legacy_record_version is otherwise ignored, but every TLS and SSL 3 version is
     * 0x03xx (a first ClientHello may say 0x0301); anything else is not TLS. */
    if ((version >> 8) != 0x03) {
        /* A first record that is not TLS at all (plain HTTP, a proxy request, anything else) gets
         * no alert: the peer would not understand one (OpenSSL 3.0 sends none either). */
        if (first && rl->rd.prot == KEEL_RL_PROT_NONE) {
            int http = http_reason(h);
            ERR_raise(ERR_LIB_SSL, http != 0 ? http : SSL_R_WRONG_VERSION_NUMBER);
            rl->rhave = rl->rneed = 0;
            return KEEL_RL_ERROR;
        }
        return reject(rl, alert, KEEL_ALERT_PROTOCOL_VERSION, SSL_R_WRONG_VERSION_NUMBER);
    }

    /* RFC 8446 §5: an unknown content type, or under TLS 1.3 protection an outer type other than
     * application_data (change_cipher_spec excepted), is unexpected_message. */
    /* Under TLS 1.2 protection OpenSSL 3.0 reports it as an unexpected record. */
    /* Unprotected, OpenSSL 3.0 says unexpected message, once it has the body (tests/diff/records.c,
     * misc16.c). */
    if (type < KEEL_CT_CHANGE_CIPHER_SPEC || type > KEEL_CT_APPLICATION_DATA) {
        if (rl->rd.prot == KEEL_RL_PROT_NONE) {
            rl->held_alert = KEEL_ALERT_UNEXPECTED_MESSAGE;
            rl->held_reason = SSL_R_UNEXPECTED_MESSAGE;
        } else {
            return reject(rl, alert, KEEL_ALERT_UNEXPECTED_MESSAGE,
                          rl->rd.prot == KEEL_RL_PROT_TLS12 || rl->rd.prot == KEEL_RL_PROT_TLS12_CBC
                              ? SSL_R_UNEXPECTED_RECORD : SSL_R_BAD_RECORD_TYPE);
        }
    }
    /* RFC 8446 §5.1: under TLS 1.3 protection every record says 0x0303 (and under TLS 1.2's the
     * negotiated version, RFC 5246 §6.2.1); OpenSSL 3.0 refuses any other (tests/diff/records.c). */
    if (rl->rd.prot != KEEL_RL_PROT_NONE && version != KEEL_VERSION_TLS12)
        return reject(rl, alert, KEEL_ALERT_PROTOCOL_VERSION, SSL_R_WRONG_VERSION_NUMBER);
    if (rl->rd.prot == KEEL_RL_PROT_TLS13 && type != KEEL_CT_APPLICATION_DATA
            && type != KEEL_CT_CHANGE_CIPHER_SPEC && !plain_alert(rl, type, len))
        return reject(rl, alert, KEEL_ALERT_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_RECORD);

    /* RFC 8446 §5.1/§5.2 and RFC 5246 §6.2.1/§6.2.3: record_overflow past the state's limit. */
    prot = keel_rl_is_protected(&rl->rd, (uint8_t)type) && !plain_alert(rl, type, len);
    if (!prot)
        limit = KEEL_MAX_PLAINTEXT;
    else
        limit = rl->rd.prot == KEEL_RL_PROT_TLS13 ? KEEL_MAX_CIPHERTEXT_13 : KEEL_MAX_CIPHERTEXT_12;
    /* Under TLS 1.2 protection OpenSSL 3.0 reports it as a packet too long for its read buffer
     * (docs/compat-notes.txt). */
    /* Unprotected, OpenSSL 3.0's reason depends on what its read buffer holds: past 2^14 + 320
     * an encrypted length, from 16708 on a packet too long, both at the header; up to 2^14 + 320
     * a data length, once the body is there (tests/diff/records.c, misc16.c). */
    if (len > limit && !prot && len <= KEEL_MAX_PLAINTEXT + 320) {
        rl->held_alert = KEEL_ALERT_RECORD_OVERFLOW;
        rl->held_reason = SSL_R_DATA_LENGTH_TOO_LONG;
    } else if (len > limit)
        return reject(rl, alert, KEEL_ALERT_RECORD_OVERFLOW,
                      !prot ? (len >= 16708 ? SSL_R_PACKET_LENGTH_TOO_LONG : SSL_R_ENCRYPTED_LENGTH_TOO_LONG)
                      : rl->rd.prot == KEEL_RL_PROT_TLS13 ? SSL_R_ENCRYPTED_LENGTH_TOO_LONG
                                                          : SSL_R_PACKET_LENGTH_TOO_LONG);
    rl->rneed = KEEL_RL_HEADER_LEN + len;
    return KEEL_RL_OK;
}

/* A record that SSL_read may take straight from a BIO pair's ring (BIO_s_bio(3), "Non-copying
 * Interface"): nothing of it read yet, the read BIO a pair half nobody watches, the whole record
 * contiguous in the ring, protected by an AEAD (CBC decrypts in place), a buffer offered for its
 * content; not with read-ahead or while early data may be skipped. Its header goes through
 * check_header as if read (and is then taken from the ring, as fill would have taken it); the
 * record is opened from the ring into the offer, or into rbuf (never into the ring), and then
 * taken whole. A record that opens into the offer needs no read buffer: none is allocated for it
 * (with the buffers released whenever they empty, that saves a malloc and a free per record);
 * a TLS 1.3 record that turns out not to be application data is moved into one then.
 * KEEL_RL_OK, a failure to return, or PAIR_NO to read it the copying way. */
#define PAIR_NO (-1)

static int read_pair(keel_rl *rl, BIO *rbio, uint8_t *type, size_t *off, size_t *len, int *in_offer,
                     int *alert)
{
    char *p, *taken;
    int n, ok;
    keel_rd r;
    uint32_t t, v, flen;

    /* BIO_ctrl_pending first: BIO_nread0 on an empty ring would set the read request. */
    if (rl->read_ahead || rl->skip_early || rl->offer_cap == 0
            || (rl->rd.prot != KEEL_RL_PROT_TLS13 && rl->rd.prot != KEEL_RL_PROT_TLS12)
            || !keel_rl_pair_unwatched(rbio) || BIO_ctrl_pending(rbio) < KEEL_RL_HEADER_LEN
            || (n = BIO_nread0(rbio, &p)) < KEEL_RL_HEADER_LEN)
        return PAIR_NO;
    /* Only application data records (under TLS 1.3 all protected records; under TLS 1.2 what
     * SSL_read mostly meets), whole in the ring's contiguous part. */
    keel_rd_init(&r, (const uint8_t *)p, KEEL_RL_HEADER_LEN);
    if (!keel_rd_u8(&r, &t) || !keel_rd_u16(&r, &v) || !keel_rd_u16(&r, &flen)
            || t != KEEL_CT_APPLICATION_DATA || (size_t)n < KEEL_RL_HEADER_LEN + flen)
        return PAIR_NO;
    if ((ok = check_header(rl, (const uint8_t *)p, alert)) != KEEL_RL_OK || rl->held_alert != 0
            || rl->v2_hello || !keel_rl_is_protected(&rl->rd, KEEL_CT_APPLICATION_DATA)) {
        /* The header is taken as fill would have taken it; a held verdict (none arises under
         * protection) is given the copying way, once the body is read. */
        if (ok == KEEL_RL_OK) {
            if (!have_rbuf(rl))
                return reject(rl, alert, KEEL_ALERT_INTERNAL_ERROR, 0);
            memcpy(rl->rbuf, p, KEEL_RL_HEADER_LEN);
            rl->rhave = KEEL_RL_HEADER_LEN;
        }
        if (BIO_nread(rbio, &taken, KEEL_RL_HEADER_LEN) != KEEL_RL_HEADER_LEN && ok == KEEL_RL_OK)
            return reject(rl, alert, KEEL_ALERT_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
        return ok == KEEL_RL_OK ? PAIR_NO : ok;
    }
    if (rl->rbuf == NULL && !keel_rl_opens_into(&rl->rd, (uint8_t)t, rl->rneed, rl->offer_cap)
            && !have_rbuf(rl))
        return reject(rl, alert, KEEL_ALERT_INTERNAL_ERROR, 0); /* left in the ring, as fill would */
    ok = keel_rl_open_record(&rl->rd, (const uint8_t *)p, rl->rneed, rl->rbuf, rl->offer,
                             rl->offer_cap, type, off, len, in_offer, alert);
    /* Taken whether it opened or not, as the copying way would have read it. */
    if (BIO_nread(rbio, &taken, (int)rl->rneed) != (int)rl->rneed) {
        if (*in_offer)
            OPENSSL_cleanse(rl->offer, *len);
        return reject(rl, alert, KEEL_ALERT_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    if (!ok) {
        rl->rhave = rl->rneed = rl->ahead_len = 0;
        return KEEL_RL_ALERT;
    }
    /* Opened with no read buffer, and not application data (record_int.h): into one now, where
     * the handshake layer expects it, and nothing of it left in the caller's buffer. */
    if (*in_offer && *type != KEEL_CT_APPLICATION_DATA) {
        if (!have_rbuf(rl)) {
            OPENSSL_cleanse(rl->offer, *len);
            return reject(rl, alert, KEEL_ALERT_INTERNAL_ERROR, 0);
        }
        memcpy(rl->rbuf + KEEL_RL_HEADER_LEN, rl->offer, *len);
        OPENSSL_cleanse(rl->offer, *len);
        *in_offer = 0;
        *off = KEEL_RL_HEADER_LEN;
    }
    rl->plain_alert_once = 0; /* the peer has the key: the allowance is spent */
    if (rl->trace != NULL && rl->rd.prot == KEEL_RL_PROT_TLS13)
        rl->trace(rl->trace_arg, 0, NULL, type);
    rl->rhave = rl->rneed; /* as if read whole: take_record leaves nothing read ahead */
    return KEEL_RL_OK;
}

int keel_rl_read(keel_rl *rl, BIO *rbio, keel_record *rec, int *alert)
{
    uint8_t type;
    size_t off, len;
    int rv, in_offer = 0;

    if (rl->rec_ready && rl->rec_len > 0) {
        current(rl, rec);
        return KEEL_RL_OK;
    }
    rl->rec_ready = 0;
    rl->rec_in_offer = 0;
    rl->rec_off = rl->rec_len = 0;

    if (rl->rd.prot == KEEL_RL_PROT_BROKEN)
        return reject(rl, alert, KEEL_ALERT_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    if (rbio == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_READ_BIO_NOT_SET);
        return KEEL_RL_ERROR;
    }
again:
    /* Bytes read ahead past the last record: the front of this one (rbuf is kept while they wait). */
    if (rl->ahead_len > 0 && rl->rhave == 0) {
        memmove(rl->rbuf, rl->rbuf + rl->ahead_off, rl->ahead_len);
        rl->rhave = rl->ahead_len;
        rl->ahead_len = 0;
    }
    if (rl->rhave == 0 && rl->rneed == 0
            && (rv = read_pair(rl, rbio, &type, &off, &len, &in_offer, alert)) != PAIR_NO) {
        if (rv != KEEL_RL_OK)
            return rv;
        goto taken;
    }
    if (!have_rbuf(rl))
        return reject(rl, alert, KEEL_ALERT_INTERNAL_ERROR, 0);
    /* rneed == 0: the header is still being read. */
    if (rl->rneed == 0) {
        if (!fill(rl, rbio, KEEL_RL_HEADER_LEN, &rv, alert))
            return rv;
        if ((rv = check_header(rl, rl->rbuf, alert)) != KEEL_RL_OK)
            return rv;
    }
    if (!fill(rl, rbio, rl->rneed, &rv, alert))
        return rv;
    if (rl->v2_hello)
        return reject(rl, alert, keel_rl_sslv2_refuse(rl->rbuf + 2, rl->rneed - 2), 0);
    if (rl->held_alert != 0)
        return reject(rl, alert, rl->held_alert, rl->held_reason);

    type = rl->rbuf[0];
    if (rl->skip_early && rl->rd.prot == KEEL_RL_PROT_NONE && type == KEEL_CT_APPLICATION_DATA)
        goto skip; /* early data behind a ClientHello answered with a HelloRetryRequest */
    if (keel_rl_is_protected(&rl->rd, type) && !plain_alert(rl, type, rl->rneed - KEEL_RL_HEADER_LEN)) {
        if (rl->skip_early)
            ERR_set_mark();
        /* Not while trial-decrypting early data: a failure must leave nothing in the offer. */
        uint8_t *dst = rl->skip_early || rl->offer_cap == 0 ? NULL : rl->offer;

        if (!keel_rl_open_record(&rl->rd, rl->rbuf, rl->rneed, rl->rbuf, dst, rl->offer_cap, &type,
                                 &off, &len, &in_offer, alert)) {
            /* Early data under a key we were not given (RFC 8446 §4.2.10: trial decryption). */
            if (rl->skip_early && *alert == KEEL_ALERT_BAD_RECORD_MAC) {
                ERR_pop_to_mark();
                goto skip;
            }
            if (rl->skip_early)
                ERR_clear_last_mark();
            rl->rhave = rl->rneed = rl->ahead_len = 0;
            return KEEL_RL_ALERT;
        }
        if (rl->skip_early)
            ERR_clear_last_mark();
        rl->plain_alert_once = 0; /* the peer has the key: the allowance is spent */
        if (rl->trace != NULL && rl->rd.prot == KEEL_RL_PROT_TLS13)
            rl->trace(rl->trace_arg, 0, NULL, &type);
    } else {
        off = KEEL_RL_HEADER_LEN;
        len = rl->rneed - KEEL_RL_HEADER_LEN;
        /* No sequence number is used: plaintext records precede the first key (which resets it),
         * and TLS 1.3's unprotected change_cipher_spec is outside the protected stream (§5). */
    }
taken:
    take_record(rl);
    if (type != KEEL_CT_CHANGE_CIPHER_SPEC)
        rl->skip_early = 0; /* the client has moved on from its early data */

    /* RFC 8446 §5.1 / RFC 5246 §6.2.1: zero-length handshake and alert fragments are forbidden
     * (application data may be empty; the SSL layer limits how many it tolerates). Only TLS 1.3
     * protected ones are refused here, as OpenSSL 3.0 refuses them; others the SSL layer counts
     * as it counts empty application data (tests/diff/records.c). */
    if (len == 0 && (type == KEEL_CT_HANDSHAKE || type == KEEL_CT_ALERT) && rl->rd.prot == KEEL_RL_PROT_TLS13)
        return reject(rl, alert, KEEL_ALERT_UNEXPECTED_MESSAGE, SSL_R_BAD_LENGTH);

    /* RFC 6066 §4: with a negotiated maximum fragment length a longer record is record_overflow.
     * Judged on the plaintext, after decryption, as OpenSSL 3.0 does (its reason too). */
    if (rl->max_plain != 0 && len > rl->max_plain) {
        if (in_offer)
            OPENSSL_cleanse(rl->offer, len); /* nothing of a refused record for the caller */
        return reject(rl, alert, KEEL_ALERT_RECORD_OVERFLOW, SSL_R_DATA_LENGTH_TOO_LONG);
    }

    rl->rec_ready = 1;
    rl->rec_type = type;
    rl->rec_in_offer = (uint8_t)in_offer;
    if (in_offer)
        rl->offer_cap = 0; /* one record per offer: the next must not overwrite this one */
    rl->rec_off = off;
    rl->rec_len = len;
    current(rl, rec);
    return KEEL_RL_OK;

skip:
    /* A skipped record counts whole against the budget (its body as received). */
    len = rl->rneed - KEEL_RL_HEADER_LEN;
    if (len > rl->skip_budget)
        return reject(rl, alert, KEEL_ALERT_UNEXPECTED_MESSAGE, SSL_R_TOO_MUCH_EARLY_DATA);
    rl->skip_budget -= len;
    take_record(rl);
    goto again;
}

void keel_rl_offer(keel_rl *rl, uint8_t *buf, size_t cap)
{
    /* Withdrawn with a record still current there: move what is left to the read buffer, which a
     * record opened from a BIO pair's ring may not have had (read_pair). If it cannot be
     * allocated the rest is dropped, cleansed from the caller's buffer, and the read side fails
     * from now on: the stream has lost bytes. */
    if (rl->rec_in_offer && rl->rec_ready && rl->rec_len > 0) {
        if (have_rbuf(rl)) {
            memmove(rl->rbuf + KEEL_RL_HEADER_LEN, rl->offer + rl->rec_off, rl->rec_len);
        } else {
            OPENSSL_cleanse(rl->offer + rl->rec_off, rl->rec_len);
            rl->rec_ready = 0;
            rl->rec_len = 0;
            rl->rd.prot = KEEL_RL_PROT_BROKEN;
        }
    }
    if (rl->rec_in_offer) {
        rl->rec_in_offer = 0;
        rl->rec_off = KEEL_RL_HEADER_LEN;
    }
    rl->offer = buf;
    rl->offer_cap = buf == NULL ? 0 : cap > UINT16_MAX ? UINT16_MAX : (uint16_t)cap;
}

void keel_rl_consume(keel_rl *rl, size_t n)
{
    if (!rl->rec_ready)
        return;
    if (n > rl->rec_len)
        n = rl->rec_len;
    rl->rec_off += n;
    rl->rec_len -= n;
    if (rl->rec_len == 0)
        keel_rl_release_rbuf(rl);
}

size_t keel_rl_pending(const keel_rl *rl)
{
    return rl->rec_ready && rl->rec_type == KEEL_CT_APPLICATION_DATA ? rl->rec_len : 0;
}

int keel_rl_has_buffered(const keel_rl *rl)
{
    return rl->rhave > 0 || rl->ahead_len > 0 || (rl->rec_ready && rl->rec_len > 0);
}
