/* Between the record engine and the handshake: message reassembly, the one send path of handshake
 * messages, alerts, and the change_cipher_spec we write. */
#include "handshake/hs.h"

#include <stdio.h>
#include <string.h>

int keel_flush(SSL *s)
{
    int r = keel_rl_flush(&s->conn->rl, s->wbio);
    if (r == KEEL_RL_OK) {
        s->rwstate = SSL_NOTHING;
        s->conn->tickets_queued = 0;
        (void)BIO_flush(s->wbio);
        return 1;
    }
    if (r == KEEL_RL_RETRY) {
        s->rwstate = SSL_WRITING;
        return -1;
    }
    s->rwstate = SSL_NOTHING;
    s->conn->fatal = 1;
    return 0;
}

int keel_send_alert(SSL *s, int level, int desc)
{
    uint8_t a[2] = { (uint8_t)level, (uint8_t)desc };
    if (s->conn == NULL || s->wbio == NULL)
        return 0;
    keel_keylog_before_alert(s);
    if (!keel_rl_seal_pad(&s->conn->rl, SSL3_RT_ALERT, a, 2, keel_record_padding(s, SSL3_RT_ALERT, 2)))
        return 0;
    keel_msg_cb(s, 1, SSL3_RT_ALERT, a, 2);
    keel_info(s, SSL_CB_WRITE_ALERT, level << 8 | desc);
    return keel_flush(s);
}

/* RFC 5246 §7.2.2: after a fatal alert, sent or received, "both parties MUST forget any
 * session-identifiers, keys, and secrets associated with a failed connection". As OpenSSL 3.0
 * does for both versions (tests/diff/fatal_alert.c): the connection's session leaves the cache
 * and is marked not resumable, so neither a client offering it nor the server resumes it. */
static void forget_session(SSL *s)
{
    if (s->session != NULL)
        SSL_CTX_remove_session(s->session_ctx, s->session);
}

/* A fatal error: send the alert once (RFC 8446 §6.2) and mark the connection dead. The reason is
 * already on the error stack, raised where the failure was found. */
void keel_fatal(SSL *s, int alert)
{
    keel_conn *c = s->conn;
    if (c == NULL || c->fatal)
        return;
    c->fatal = 1;
    /* After our close_notify nothing more is written (RFC 8446 §6.1). */
    if (alert >= 0 && !(s->shutdown & SSL_SENT_SHUTDOWN)) {
        forget_session(s);
        keel_send_alert(s, SSL3_AL_FATAL, alert);
    }
    /* c->fatal alone stops further writes: OpenSSL sets no shutdown flag for the alert it sends
     * (SSL_get_shutdown stays as it was; tests/diff/lifecycle.c). */
}

/* The one send path of handshake messages, during the handshake and after it. */
int keel_write_hs(SSL *s, keel_wr *msg)
{
    const uint8_t *p = keel_wr_data(msg);
    size_t len = keel_wr_len(msg), max = keel_send_limit(s);

    /* RFC 8446 §6.1, §6.2: nothing follows our close_notify or a fatal alert. */
    if (s->conn->fatal || (s->shutdown & SSL_SENT_SHUTDOWN)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_PROTOCOL_IS_SHUTDOWN);
        return 0;
    }
    if (len < 4 || max == 0 || max > SSL3_RT_MAX_PLAIN_LENGTH) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    /* §4.4.1: the transcript holds the handshake's messages; NewSessionTicket and KeyUpdate are
     * post-handshake messages outside it (post-handshake authentication's messages extend the
     * copy of it pha.c keeps). */
    /* RFC 5077 §3.3: in TLS 1.2 NewSessionTicket is a handshake message, hashed for Finished. */
    /* RFC 5246 §7.4.1.1: a HelloRequest is in no handshake's hashes. */
    int outside = (s->conn->version != TLS1_2_VERSION
                   && (p[0] == SSL3_MT_NEWSESSION_TICKET || p[0] == SSL3_MT_KEY_UPDATE))
        || p[0] == SSL3_MT_HELLO_REQUEST;
    keel_transcript *t = keel_transcript_of(s->conn);
    if (!outside && t == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    if (!outside && !keel_transcript_update(t, p, len))
        return 0;
    /* Handshake messages may be fragmented across records (RFC 8446 §5.1), by the fragment
     * length in force now (SSL_set_max_send_fragment may change it mid-connection; a negotiated
     * max_fragment_length bounds it, RFC 6066 §4). */
    for (size_t off = 0; off < len; off += max) {
        size_t n = len - off < max ? len - off : max;
        if (!keel_rl_seal_pad(&s->conn->rl, SSL3_RT_HANDSHAKE, p + off, n,
                              keel_record_padding(s, SSL3_RT_HANDSHAKE, n)))
            return 0;
    }
    /* After its records (whose headers the record engine reported), as OpenSSL 3.0 shows it. */
    keel_msg_cb(s, 1, SSL3_RT_HANDSHAKE, p, len);
    return 1;
}

/* A message built in w (any builder failure counts), sent; w is released either way. */
int keel_send_hs(SSL *s, keel_wr *w)
{
    int ok = !keel_wr_failed(w) && keel_write_hs(s, w);
    keel_wr_cleanup(w);
    return ok;
}

/* Middlebox compatibility (RFC 8446 §D.4): one change_cipher_spec, written before the write key
 * of the next flight is installed, so it goes out unprotected. */
int keel_write_ccs(SSL *s)
{
    static const uint8_t one = 1;
    /* TLS 1.2's ChangeCipherSpec (RFC 5246 §7.1) is no option: it always goes. */
    if (s->conn->version != TLS1_2_VERSION
            && (s->conn->ccs_sent || !(s->s->options & SSL_OP_ENABLE_MIDDLEBOX_COMPAT)))
        return 1;
    s->conn->ccs_sent = 1;
    keel_step(s, s->server ? TLS_ST_SW_CHANGE : TLS_ST_CW_CHANGE);
    if (!keel_rl_seal(&s->conn->rl, SSL3_RT_CHANGE_CIPHER_SPEC, &one, 1))
        return 0;
    keel_msg_cb(s, 1, SSL3_RT_CHANGE_CIPHER_SPEC, &one, 1);
    return 1;
}

/* An alert record from the peer, consumed here. close_notify ends reading cleanly; in TLS 1.3
 * every other alert but user_canceled is fatal (RFC 8446 §6), in TLS 1.2 every warning but
 * no_renegotiation is not (RFC 5246 §7.2), and a flood of warnings is bounded like one of empty
 * records. The reason is SSL_AD_REASON_OFFSET + description, as OpenSSL
 * reports it (e.g. SSL_R_TLSV1_ALERT_UNKNOWN_CA). Returns 1 if reading may go on, 0 at
 * close_notify or a fatal alert. */
int keel_read_alert(SSL *s, const keel_record *rec)
{
    keel_conn *c = s->conn;
    uint8_t data[2];
    size_t len = rec->len;

    memcpy(data, rec->data, len < 2 ? len : 2);
    keel_rl_consume(&c->rl, len);
    if (len != 2) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_ALERT);
        keel_fatal(s, SSL_AD_DECODE_ERROR);
        return 0;
    }
    keel_msg_cb(s, 0, SSL3_RT_ALERT, data, 2);
    keel_info(s, SSL_CB_READ_ALERT, data[0] << 8 | data[1]);
    if (data[1] == SSL_AD_CLOSE_NOTIFY) {
        s->shutdown |= SSL_RECEIVED_SHUTDOWN;
        return 0;
    }
    /* TLS 1.2 (RFC 5246 §7.2), and a client before the ServerHello says which version: a
     * warning goes on, but a no_renegotiation answering our renegotiation request ends the
     * handshake, as in OpenSSL 3.0 (checked against a scripted server). */
    int warn_ok = c->version == TLS1_2_VERSION || (c->version == 0 && !s->server);
    if (warn_ok && data[0] == SSL3_AL_WARNING && data[1] == SSL_AD_NO_RENEGOTIATION) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_RENEGOTIATION);
        keel_fatal(s, SSL_AD_HANDSHAKE_FAILURE);
        return 0;
    }
    if ((data[1] == SSL_AD_USER_CANCELLED || warn_ok) && data[0] == SSL3_AL_WARNING) {
        /* OpenSSL 3.0's limit: the fifth warning alert in a row ends the connection
         * (tests/diff/records.c); any other record starts the count again. */
        if (++c->warn_alerts < KEEL_MAX_WARN_ALERTS)
            return 1;
        ERR_raise(ERR_LIB_SSL, SSL_R_TOO_MANY_WARN_ALERTS);
        keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
        return 0;
    }
    ERR_raise_data(ERR_LIB_SSL, SSL_AD_REASON_OFFSET + data[1], "SSL alert number %d", data[1]);
    c->fatal = KEEL_FATAL_RECEIVED;
    s->shutdown |= SSL_RECEIVED_SHUTDOWN;
    forget_session(s);
    return 0;
}

/* Handshake bytes join the reassembly buffer; messages may span records (RFC 8446 §5.1). */
int keel_hs_append(SSL *s, const uint8_t *data, size_t len)
{
    keel_conn *c = s->conn;
    if (c->hs_len + len > KEEL_MAX_HS_MSG + 4) {
        ERR_raise(ERR_LIB_SSL, SSL_R_EXCESSIVE_MESSAGE_SIZE);
        keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
        return 0;
    }
    if (c->hs_len + len > c->hs_cap) {
        size_t cap = c->hs_len + len < 4096 ? 4096 : c->hs_len + len;
        uint8_t *n = OPENSSL_realloc(c->hs_buf, cap);
        if (n == NULL) {
            ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
            keel_fatal(s, SSL_AD_INTERNAL_ERROR);
            return 0;
        }
        c->hs_buf = n;
        c->hs_cap = (uint32_t)cap;
    }
    memcpy(c->hs_buf + c->hs_len, data, len);
    c->hs_len += (uint32_t)len;
    return 1;
}

/* An empty record, consumed: KEEL_REC_ROUTED, or 0 once more than KEEL_MAX_EMPTY_RECORDS came in
 * a row (alert sent). */
static int skip_empty(SSL *s)
{
    keel_conn *c = s->conn;

    keel_rl_consume(&c->rl, 0);
    if (++c->empty_records > KEEL_MAX_EMPTY_RECORDS) {
        ERR_raise(ERR_LIB_SSL, SSL_R_RECORD_TOO_SMALL);
        keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
        return 0;
    }
    return KEEL_REC_ROUTED;
}

/* The one record read path (RFC 8446 §5, RFC 5246 §6.2): reads one record and routes it.
 * Handshake bytes join the reassembly buffer, alerts go to keel_read_alert, change_cipher_spec
 * follows the table's rule, application data is left in *app for the caller (SSL_read); in a
 * handshake (in_handshake: a message is being assembled) it is an unexpected record. Returns
 * KEEL_REC_ROUTED (read on), KEEL_REC_APP, KEEL_REC_CCS (a CCS for the table, consumed), -1 retry,
 * 0 closed or failed (reason set, alert sent). */
int keel_read_record(SSL *s, int in_handshake, keel_record *app)
{
    keel_conn *c = s->conn;
    keel_record rec;
    int alert = 0, early;

    s->rwstate = SSL_READING;
    int fresh = !(c->rl.rec_ready && c->rl.rec_len > 0); /* not the current record again */
    c->rl.read_ahead = s->s->read_ahead != 0; /* the setting as it is now (SSL_set_read_ahead) */
    int r = keel_rl_read(&c->rl, s->rbio, &rec, &alert);
    if (r == KEEL_RL_RETRY)
        return -1;
    s->rwstate = SSL_NOTHING;
    if (r == KEEL_RL_EOF) {
        /* EOF without close_notify: a truncation attack unless the application opted out
         * (SSL_OP_IGNORE_UNEXPECTED_EOF: at a record boundary, in the handshake too, as OpenSSL
         * 3.0 takes it, the connection is closed as if close_notify came: no alert, not an
         * error state). */
        if (s->s->options & SSL_OP_IGNORE_UNEXPECTED_EOF) {
            s->shutdown |= SSL_RECEIVED_SHUTDOWN;
            return 0;
        }
        /* OpenSSL 3.0 answers it with decode_error; SSL_read then returns 0. */
        ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_EOF_WHILE_READING);
        keel_fatal(s, SSL_AD_DECODE_ERROR);
        c->fatal = KEEL_FATAL_EOF;
        return 0;
    }
    if (r == KEEL_RL_ERROR) {
        c->fatal = 1;
        return 0;
    }
    if (r == KEEL_RL_ALERT) {
        /* An EOF inside a record (read.c) is a truncation even with SSL_OP_IGNORE_UNEXPECTED_EOF:
         * keel stays stricter than OpenSSL here, which reports such a cut record as a clean
         * close; the bytes received prove data was lost (docs/COMPAT.md). */
        int eof = ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
        keel_fatal(s, alert);
        if (eof)
            c->fatal = KEEL_FATAL_EOF;
        return 0;
    }
    if (rec.type != SSL3_RT_ALERT)
        c->warn_alerts = 0;
    switch (rec.type) {
    case SSL3_RT_APPLICATION_DATA:
        /* A renegotiating client that SSL_read drives takes the server's application data
         * until the ServerHello (SSL_read(3): it may arrive while a renegotiation is pending),
         * as OpenSSL 3.0's does; anywhere else in a handshake it is an unexpected record. */
        /* Accepted early data is application data in the server's handshake (tls13/early.c). */
        early = c->version == TLS1_3_VERSION && keel_early_app_ok(s);
        if (in_handshake && !early && !(c->in_read && c->hs != NULL && c->hs->reneg && !s->server
                                        && s->state == TLS_ST_CW_CLNT_HELLO && c->hs_len == 0))
            break;
        if (early && fresh && !keel_early_received(s, rec.len))
            return 0;
        if (rec.len == 0)
            return skip_empty(s);
        c->empty_records = 0;
        *app = rec;
        return KEEL_REC_APP;
    case SSL3_RT_HANDSHAKE:
        if (rec.len == 0) /* unprotected or TLS 1.2 (read.c): tolerated as OpenSSL 3.0 does */
            return skip_empty(s);
        if (!keel_hs_append(s, rec.data, rec.len))
            return 0;
        keel_rl_consume(&c->rl, rec.len);
        if (in_handshake)
            c->empty_records = 0;
        return KEEL_REC_ROUTED;
    case SSL3_RT_CHANGE_CIPHER_SPEC:
        if (!in_handshake && c->version == TLS1_2_VERSION && !s->in_init) {
            /* After a TLS 1.2 handshake: OpenSSL 3.0's reason (tests/api/malformed12.c). */
            ERR_raise(ERR_LIB_SSL, SSL_R_CCS_RECEIVED_EARLY);
            keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
            return 0;
        }
        if (!in_handshake)
            break;
        if (s->in_init && keel_table_for(s)->ccs_message) {
            /* RFC 5246 §7.1: a one-byte 1, a message of its own: no handshake message may span
             * it (the read key changes after it). The table decides whether it is expected. */
            /* OpenSSL 3.0's reasons (tests/api/malformed12.c, tests/interop/tls12_client.sh):
             * a message whose body it splits, or an empty CCS, is unexpected; one that splits
             * a message header, or a body other than 1, a bad change cipher spec. */
            if (c->hs_len != 0 || rec.len != 1 || rec.data[0] != 1) {
                int unexpected = c->hs_len >= 4 || (c->hs_len == 0 && rec.len == 0);
                ERR_raise(ERR_LIB_SSL, unexpected ? SSL_R_UNEXPECTED_MESSAGE : SSL_R_BAD_CHANGE_CIPHER_SPEC);
                keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
                return 0;
            }
            /* No message callback: OpenSSL 3.0 reports a TLS 1.2 CCS it receives only as its
             * record header (checked with s_client/s_server -msg). */
            keel_rl_consume(&c->rl, rec.len);
            return KEEL_REC_CCS;
        }
        /* RFC 8446 §5: a single 0x01 CCS is ignored during the handshake (middlebox
         * compatibility), from the first ClientHello on; anything else, or too many, is
         * unexpected. A server that has not read a ClientHello yet is in TLS_ST_BEFORE. */
        if (s->server && s->state == TLS_ST_BEFORE) {
            ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_MESSAGE); /* as OpenSSL 3.0 reports it */
            keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
            return 0;
        }
        if (rec.len != 1 || rec.data[0] != 1 || c->ccs_received || !s->in_init) {
            ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_CCS_MESSAGE);
            keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
            return 0;
        }
        /* Not shown to the message callback: OpenSSL 3.0 reports a compatibility CCS it
         * receives only as its record header (tests/diff/callbacks.c). */
        keel_rl_consume(&c->rl, rec.len);
        c->ccs_received = 1;
        return KEEL_REC_ROUTED;
    case SSL3_RT_ALERT:
        /* Before (or inside) the ClientHello a server takes no alert, fatal or warning: OpenSSL
         * 3.0 answers unexpected_message (tests/diff/records.c). */
        if (s->server && s->state == TLS_ST_BEFORE) {
            ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_MESSAGE);
            keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
            return 0;
        }
        if (keel_read_alert(s, &rec))
            return KEEL_REC_ROUTED;
        /* A close_notify in the middle of a handshake ends it as OpenSSL 3.0 does: nothing
         * pushed, no alert, SSL_get_error says SSL_ERROR_ZERO_RETURN (tests/diff/records.c). */
        return 0;
    default:
        break;
    }
    /* A server before the ClientHello: OpenSSL 3.0's reason is unexpected message. */
    ERR_raise(ERR_LIB_SSL, s->server && s->state == TLS_ST_BEFORE ? SSL_R_UNEXPECTED_MESSAGE : SSL_R_UNEXPECTED_RECORD);
    keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
    return 0;
}

/* A message's header is in (or a CCS the table takes as a message): OpenSSL's state machine
 * reports the transition it leads to now, in the state it moves on from, before the body is read
 * and shown to the message callback (tests/diff/callbacks.c) — a post-handshake message with one
 * LOOP more for entering the state machine from TLS_ST_OK. An empty HelloRequest that is skipped
 * is no transition. */
static void arrived(SSL *s, int ccs)
{
    keel_conn *c = s->conn;

    if (!ccs) {
        c->hs_arrived = 1;
        if (c->hs_buf[0] == SSL3_MT_HELLO_REQUEST && c->hs_buf[1] == 0 && c->hs_buf[2] == 0
                && c->hs_buf[3] == 0 && keel_skips_hello_request(s))
            return;
    }
    if (c->hs == NULL && s->state == TLS_ST_OK)
        keel_info_loop(s);
    keel_info_loop(s);
}

/* Take the next whole handshake message from hs_buf, reading records as needed. A CCS the table
 * takes as a message comes out as type KEEL_MT_CCS, empty, of length 0. */
int keel_read_hs(SSL *s, int *type, keel_rd *body, size_t *msg_len, int (*accept)(SSL *s, int type))
{
    keel_conn *c = s->conn;

    for (;;) {
        if (c->hs_len >= 4) {
            size_t len = (size_t)c->hs_buf[1] << 16 | (size_t)c->hs_buf[2] << 8 | c->hs_buf[3];
            if (!c->hs_arrived) {
                arrived(s, 0);
                /* OpenSSL 3.0 refuses a message no state takes at its header (tests/diff/hs_state.c). */
                if (accept != NULL && !accept(s, c->hs_buf[0])) {
                    ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_MESSAGE);
                    keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
                    return 0;
                }
            }
            if (len > KEEL_MAX_HS_MSG || len > s->s->max_cert_list + 4096) {
                ERR_raise(ERR_LIB_SSL, SSL_R_EXCESSIVE_MESSAGE_SIZE);
                keel_fatal(s, SSL_AD_ILLEGAL_PARAMETER);
                return 0;
            }
            if (c->hs_len >= 4 + len) {
                *type = c->hs_buf[0];
                keel_rd_init(body, c->hs_buf + 4, len);
                *msg_len = 4 + len;
                if (!c->hs_held) /* once per message, though handled again after a suspension */
                    keel_msg_cb(s, 0, SSL3_RT_HANDSHAKE, c->hs_buf, 4 + len);
                c->hs_held = 0;
                return 1;
            }
        }
        keel_record unused;
        int r = keel_read_record(s, 1, &unused);
        if (r == KEEL_REC_APP) /* left for SSL_read (keel_read_record's renegotiation rule) */
            return -1;
        if (r == KEEL_REC_CCS) {
            arrived(s, 1);
            *type = KEEL_MT_CCS;
            keel_rd_init(body, NULL, 0);
            *msg_len = 0;
            return 1;
        }
        if (r != KEEL_REC_ROUTED)
            return r;
    }
}

void keel_hs_consume(SSL *s, size_t msg_len)
{
    keel_conn *c = s->conn;
    memmove(c->hs_buf, c->hs_buf + msg_len, c->hs_len - msg_len);
    c->hs_len -= (uint32_t)msg_len;
    c->cur_len = 0; /* no message is current: a write step's key change needs hs_len == 0 */
    c->hs_arrived = 0;
    c->hs_shown = 0;
    /* The reassembly buffer is kept between handshake messages, not after the handshake. */
    if (c->hs_len == 0 && (c->hs_cap > 16384 || !s->in_init)) {
        OPENSSL_free(c->hs_buf);
        c->hs_buf = NULL;
        c->hs_cap = 0;
    }
}
