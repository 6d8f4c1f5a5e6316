/* The I/O entry points with OpenSSL's semantics: SSL_do_handshake(3), SSL_read(3), SSL_write(3),
 * SSL_peek(3), SSL_pending(3), SSL_shutdown(3), SSL_key_update(3). Return conventions and the
 * rwstate that SSL_get_error reads follow the man pages. */
#include "handshake/hs.h"
#include "handshake/tls12/tls12.h"

#include <limits.h>
#include <string.h>

static int start(SSL *s)
{
    if (!s->role_set) {
        ERR_raise(ERR_LIB_SSL, SSL_R_CONNECTION_TYPE_NOT_SET);
        return 0;
    }
    if (s->rbio == NULL || s->wbio == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BIO_NOT_SET);
        return 0;
    }
    if (s->conn == NULL) {
        /* A server has a session object from the start of its handshake, as OpenSSL's does
         * (applications read SSL_get0_session in the servername and cert callbacks): a fresh,
         * not resumable one, replaced when a PSK is accepted, filled at completion (ticket.c). */
        SSL_SESSION *fresh = NULL;
        if (s->server && (fresh = SSL_SESSION_new()) == NULL)
            return 0;
        if ((s->conn = keel_conn_new(s)) == NULL) {
            SSL_SESSION_free(fresh);
            return 0;
        }
        if (fresh != NULL) {
            SSL_SESSION_set_timeout(fresh, s->s->session_timeout); /* the context's, as OpenSSL shows */
            SSL_SESSION_free(s->session);
            s->session = fresh;
        }
    }
    return 1;
}

/* The connection state as SSL_do_handshake makes it, for SSL_read/write_early_data
 * (api/early_data.c), which mark it before the handshake starts. */
int keel_start(SSL *s)
{
    return start(s);
}

/* SSL_verify_client_post_handshake(3): a pending request goes out with the next write operation
 * (SSL_do_handshake or SSL_write). Sending it enters the state machine, which clears the error
 * queue as OpenSSL's does. */
static int send_pha_request(SSL *s)
{
    ERR_clear_error();
    if (!keel_pha_send_request(s)) {
        keel_fatal(s, SSL_AD_INTERNAL_ERROR);
        keel_info_exit(s, -1);
        return 0;
    }
    return 1;
}

/* SSL_key_update(3): a scheduled KeyUpdate (ours, or the answer to the peer's update_requested)
 * goes out with the next write operation, reported to the info callback as OpenSSL does. */
static int send_key_update(SSL *s)
{
    keel_conn *c = s->conn;

    ERR_clear_error();
    keel_step(s, s->server ? TLS_ST_SW_KEY_UPDATE : TLS_ST_CW_KEY_UPDATE);
    int ok = keel_send_key_update(s, c->key_update_req);
    keel_step(s, TLS_ST_OK);
    keel_info_exit(s, ok ? 1 : -1);
    return ok;
}

int SSL_do_handshake(SSL *s)
{
    if (!start(s))
        return -1;
    s->rwstate = SSL_NOTHING;
    /* OpenSSL's state machine in its error state returns -1 and pushes nothing (SSL_get_error
     * then says SYSCALL, or ZERO_RETURN once the peer's alert was received). */
    if (s->conn->fatal)
        return -1;
    /* SSL_renegotiate(3): the renegotiation asked for starts here (a client's ClientHello, a
     * server's HelloRequest), through the TLS 1.2 table. */
    if (keel12_reneg_due(s)) {
        if (!keel12_reneg_begin(s, 1))
            return -1;
        return keel_handshake(s) == 1 ? 1 : -1;
    }
    if (!s->in_init) {
        keel_conn *c = s->conn;
        if (c->pha_state == KEEL_PHA_PENDING && !send_pha_request(s))
            return -1;
        if (c->key_update_due && c->wpend_len == 0 && !send_key_update(s))
            return -1;
        if (keel_rl_unflushed(&c->rl) > 0 && keel_flush(s) <= 0)
            return -1;
        return 1;
    }
    return keel_handshake(s) == 1 ? 1 : -1;
}

int SSL_connect(SSL *s)
{
    if (!s->role_set)
        SSL_set_connect_state(s);
    return SSL_do_handshake(s);
}

int SSL_accept(SSL *s)
{
    if (!s->role_set)
        SSL_set_accept_state(s);
    return SSL_do_handshake(s);
}

/* Read the next application data, handling post-handshake messages and alerts on the way.
 * 1 = data in the current record, 0 = closed / failed (reason set), -1 = retry. */
static int next_app_record(SSL *s)
{
    keel_conn *c = s->conn;

    for (;;) {
        /* An answer to a post-handshake message (KeyUpdate aside) goes out before reading on. */
        if (keel_rl_unflushed(&c->rl) > 0) {
            int r = keel_flush(s);
            if (r <= 0)
                return r;
        }
        if (keel_rl_pending(&c->rl) > 0)
            return 1;
        /* TLS 1.2: the peer's HelloRequest / ClientHello starts a renegotiation, a handshake of
         * the table that reads it (tls12/reneg.c); the server's application data a renegotiating
         * client reads before the ServerHello is returned (msg.c). */
        if (keel12_reneg_message_due(s)) {
            if (!keel12_reneg_begin(s, 0)) {
                keel_fatal(s, SSL_AD_INTERNAL_ERROR);
                return 0;
            }
            int r = keel_handshake(s);
            if (r < 0 && keel_rl_pending(&c->rl) > 0)
                return 1;
            if (r <= 0)
                return r;
            if (!(s->s->mode & SSL_MODE_AUTO_RETRY) && keel_rl_pending(&c->rl) == 0 && c->hs_len == 0) {
                s->rwstate = SSL_READING;
                return -1;
            }
            continue;
        }
        /* Post-handshake messages may already be buffered (e.g. tickets behind Finished). */
        if (c->hs_len > 0) {
            int type;
            keel_rd body;
            size_t len;
            /* A post-handshake message enters the state machine: the queue is cleared (as at
             * keel_handshake's entry). */
            ERR_clear_error();
            int r = keel_read_hs(s, &type, &body, &len, NULL);
            if (r <= 0)
                return r;
            c->cur_len = (uint32_t)len;
            /* The info callback as OpenSSL reports a post-handshake message: entering from
             * TLS_ST_OK (nothing to write, then the message's arrival: keel_read_hs), the
             * message's state, the answer's states, back to TLS_ST_OK. Post-handshake
             * authentication's messages are one exchange: reported from its first message to its
             * Finished. */
            int alert = keel_post_handshake(s, type, &body);
            keel_hs_consume(s, len);
            if (alert) {
                if (ERR_peek_error() == 0) /* as in keel_handshake: never fail without a reason */
                    ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
                keel_fatal(s, alert);
                keel_info_exit(s, -1);
                return 0;
            }
            if (s->state != TLS_ST_SR_CERT && s->state != TLS_ST_SR_CERT_VRFY) {
                keel_step(s, TLS_ST_OK);
                keel_info_exit(s, 1);
            }
            if (!(s->s->mode & SSL_MODE_AUTO_RETRY) && keel_rl_pending(&c->rl) == 0 && c->hs_len == 0) {
                s->rwstate = SSL_READING;
                return -1;
            }
            continue;
        }
        keel_record rec;
        int r = keel_read_record(s, 0, &rec);
        if (r == KEEL_REC_APP)
            return 1;
        if (r != KEEL_REC_ROUTED)
            return r;
    }
}

static int read_app(SSL *s, void *buf, size_t num, size_t *readbytes, int peek)
{
    *readbytes = 0;
    if (!s->role_set) { /* as OpenSSL: no handshake function set */
        ERR_raise(ERR_LIB_SSL, SSL_R_UNINITIALIZED);
        return -1;
    }
    /* OpenSSL checks the received-shutdown flag first (a close_notify or a fatal alert read). */
    if ((s->shutdown & SSL_RECEIVED_SHUTDOWN)) {
        s->rwstate = SSL_NOTHING;
        return 0;
    }
    if (keel_early_refuses_io(s, 0)) /* SSL_read_early_data(3)'s sequence (api/early_data.c) */
        return 0;
    if (s->conn == NULL || s->in_init || keel12_reneg_due(s)) {
        int r = SSL_do_handshake(s);
        /* A renegotiation in progress may leave application data for us (msg.c). */
        if (r <= 0 && !(r < 0 && s->in_init && s->conn != NULL && keel_rl_pending(&s->conn->rl) > 0))
            return r;
    }
    if (s->conn->fatal) /* the error state: -1, nothing pushed (as SSL_do_handshake) */
        return -1;
    /* The next record's content may be decrypted straight into buf instead of being copied there
     * (keel_rl_offer); not for SSL_peek, whose data stays for the next read. Withdrawn before
     * returning. */
    keel_rl *rl = &s->conn->rl;
    if (!peek && num > 0)
        keel_rl_offer(rl, buf, num);
    /* 0 at close_notify and, as OpenSSL 3.0 returns, at the peer's fatal alert (SSL_get_error
     * then says SSL_ERROR_SSL); -1 for a failure found here. */
    int r = next_app_record(s);
    if (r <= 0) {
        keel_rl_offer(rl, NULL, 0);
        return r < 0 ? -1 : (s->conn->fatal == 1 ? -1 : 0);
    }
    /* SSL_read(3) for 0 bytes: with data waiting it returns 0 and consumes nothing (SSL_get_error
     * then says SYSCALL), as OpenSSL 3.0 does. */
    if (num == 0) {
        s->rwstate = SSL_NOTHING;
        return 0;
    }
    keel_record rec;
    int alert;
    if (keel_rl_read(rl, s->rbio, &rec, &alert) != KEEL_RL_OK) {
        keel_rl_offer(rl, NULL, 0);
        return -1; /* cannot happen: the current record has unconsumed data */
    }
    *readbytes = num < rec.len ? num : rec.len;
    if (rec.data != buf) /* else it was opened in place there */
        memcpy(buf, rec.data, *readbytes);
    if (!peek)
        keel_rl_consume(rl, *readbytes);
    keel_rl_offer(rl, NULL, 0);
    return 1;
}

/* SSL_read drives a renegotiation's handshake with the in_read mark (msg.c takes application
 * data then). */
static int read_internal(SSL *s, void *buf, size_t num, size_t *readbytes, int peek)
{
    if (s->conn != NULL)
        s->conn->in_read = 1;
    int r = read_app(s, buf, num, readbytes, peek);
    if (s->conn != NULL)
        s->conn->in_read = 0;
    return r;
}

/* For a read of 0 bytes *readbytes is left as it was, as OpenSSL leaves it. */
int SSL_read_ex(SSL *s, void *buf, size_t num, size_t *readbytes)
{
    size_t dummy;
    return read_internal(s, buf, num, readbytes != NULL && num > 0 ? readbytes : &dummy, 0) > 0;
}

int SSL_peek_ex(SSL *s, void *buf, size_t num, size_t *readbytes)
{
    size_t dummy;
    return read_internal(s, buf, num, readbytes != NULL && num > 0 ? readbytes : &dummy, 1) > 0;
}

int SSL_read(SSL *s, void *buf, int num)
{
    size_t n;
    if (num < 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
        return -1;
    }
    int r = read_internal(s, buf, (size_t)num, &n, 0);
    return r > 0 ? (int)n : r;
}

int SSL_peek(SSL *s, void *buf, int num)
{
    size_t n;
    if (num < 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
        return -1;
    }
    int r = read_internal(s, buf, (size_t)num, &n, 1);
    return r > 0 ? (int)n : r;
}

int SSL_pending(const SSL *s)
{
    size_t n = s->conn != NULL ? keel_rl_pending(&s->conn->rl) : 0;
    return n > INT_MAX ? INT_MAX : (int)n;
}

int SSL_has_pending(const SSL *s)
{
    return s->conn != NULL && (keel_rl_pending(&s->conn->rl) > 0 || keel_rl_has_buffered(&s->conn->rl) || s->conn->hs_len > 0);
}

/* SSL_write(3): every byte sent exactly once. An interrupted write resumes from what was already
 * sealed; with SSL_MODE_ENABLE_PARTIAL_WRITE each completed record is reported. */
static int write_internal(SSL *s, const void *buf, size_t num, size_t *written)
{
    keel_conn *c;
    const uint8_t *p = buf;

    *written = 0;
    if (!s->role_set) { /* as OpenSSL: no handshake function set */
        ERR_raise(ERR_LIB_SSL, SSL_R_UNINITIALIZED);
        return -1;
    }
    /* OpenSSL's order: our close_notify first, then the handshake (or its error state). */
    if ((s->shutdown & SSL_SENT_SHUTDOWN)) {
        s->rwstate = SSL_NOTHING;
        ERR_raise(ERR_LIB_SSL, SSL_R_PROTOCOL_IS_SHUTDOWN);
        return -1;
    }
    if (keel_early_refuses_io(s, 1)) /* SSL_read_early_data(3)'s sequence (api/early_data.c) */
        return 0;
    if (s->conn == NULL || s->in_init || keel12_reneg_due(s)) {
        int r = SSL_do_handshake(s);
        if (r <= 0)
            return r;
    }
    c = s->conn;
    if (c->fatal) /* the error state: -1, nothing pushed (as SSL_do_handshake) */
        return -1;
    s->rwstate = SSL_NOTHING;
    /* SSL_write(3): a retry must offer at least what the interrupted call did, from the same
     * buffer unless SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER. As in OpenSSL 3.0 either failure ends
     * the connection (its error state; no alert can go ahead of the record still queued). */
    if (c->wpend_len > 0 && (num < c->wpend_len
                             || (buf != c->wpend_buf && !(s->s->mode & SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER)))) {
        ERR_raise(ERR_LIB_SSL, num < c->wpend_len ? SSL_R_BAD_LENGTH : SSL_R_BAD_WRITE_RETRY);
        c->fatal = 1;
        return -1;
    }
    if (c->pha_state == KEEL_PHA_PENDING && c->wpend_len == 0 && !send_pha_request(s))
        return -1;
    if (c->key_update_due && c->wpend_len == 0 && !send_key_update(s))
        return -1;
    size_t done = c->wpend_len > 0 ? c->wpend_done : 0;
    /* The length a retry is held to stays the first call's (a longer retry does not raise it). */
    if (c->wpend_len == 0) {
        c->wpend_len = num;
        c->wpend_buf = buf;
    }
    int fresh = 0;
    for (;;) {
        if (keel_rl_unflushed(&c->rl) > 0) {
            int r = keel_flush(s);
            if (r < 0) {
                c->wpend_done = done;
                return -1;
            }
            if (r == 0)
                return -1;
            /* A partial write returns once a record sealed by this call is out; finishing one an
             * earlier call left queued does not end the call (OpenSSL 3.0, tests/diff/bulk_pair.c). */
            if ((s->s->mode & SSL_MODE_ENABLE_PARTIAL_WRITE) && fresh) {
                c->wpend_len = 0;
                *written = done;
                return 1;
            }
        }
        if (done == num) {
            c->wpend_len = 0;
            *written = num;
            return 1;
        }
        size_t max = keel_send_limit(s);
        size_t n = num - done < max ? num - done : max;
        int sent;
        /* Over an idle BIO pair the record may go straight into the pair (record.h); it is then
         * written as a flush would have written it, and a partial write returns as after one. */
        if (!keel_rl_seal_send(&c->rl, s->wbio, SSL3_RT_APPLICATION_DATA, p + done, n,
                               keel_record_padding(s, SSL3_RT_APPLICATION_DATA, n), &sent)) {
            c->fatal = 1;
            return -1;
        }
        done += n;
        fresh = 1;
        if (sent && (s->s->mode & SSL_MODE_ENABLE_PARTIAL_WRITE) && done < num) {
            c->wpend_len = 0;
            *written = done;
            return 1;
        }
    }
}

int SSL_write_ex(SSL *s, const void *buf, size_t num, size_t *written)
{
    size_t dummy;
    return write_internal(s, buf, num, written != NULL ? written : &dummy) > 0;
}

int SSL_write(SSL *s, const void *buf, int num)
{
    size_t n;
    if (num < 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
        return -1;
    }
    int r = write_internal(s, buf, (size_t)num, &n);
    return r > 0 ? (int)n : r;
}

/* SSL_shutdown(3), as OpenSSL 3.0 behaves (tests/diff/lifecycle.c): a call that sends our
 * close_notify returns 0 (1 if the peer's was already received); a call after it flushes what is
 * still queued, else reads until the peer's close_notify, returning 1 once both are done. Our
 * close_notify already counts as sent when the application set SSL_SENT_SHUTDOWN itself, so that
 * first call reads. Application data read after our close_notify is a fatal error
 * (SSL_R_APPLICATION_DATA_AFTER_CLOSE_NOTIFY; no alert follows our close_notify, RFC 8446 §6.1);
 * SSL_read still returns it. */
int SSL_shutdown(SSL *s)
{
    if (s->conn == NULL && !s->role_set) {
        ERR_raise(ERR_LIB_SSL, SSL_R_UNINITIALIZED);
        return -1;
    }
    if (SSL_in_init(s)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_SHUTDOWN_WHILE_IN_INIT);
        return -1;
    }
    keel_conn *c = s->conn;
    if (s->s->quiet_shutdown) {
        s->shutdown = SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN;
        return 1;
    }
    if (!(s->shutdown & SSL_SENT_SHUTDOWN)) {
        s->shutdown |= SSL_SENT_SHUTDOWN;
        uint8_t a[2] = { SSL3_AL_WARNING, SSL_AD_CLOSE_NOTIFY };
        if (!keel_rl_seal_pad(&c->rl, SSL3_RT_ALERT, a, 2, keel_record_padding(s, SSL3_RT_ALERT, 2)))
            return -1;
        keel_msg_cb(s, 1, SSL3_RT_ALERT, a, 2);
        keel_info(s, SSL_CB_WRITE_ALERT, SSL3_AL_WARNING << 8 | SSL_AD_CLOSE_NOTIFY);
        if (keel_flush(s) <= 0)
            return -1;
    } else if (keel_rl_unflushed(&c->rl) > 0) {
        if (keel_flush(s) <= 0)
            return -1;
    } else if (!(s->shutdown & SSL_RECEIVED_SHUTDOWN)) {
        int r = next_app_record(s);
        if (r == 1) {
            keel_rl_consume(&c->rl, keel_rl_pending(&c->rl));
            ERR_raise(ERR_LIB_SSL, SSL_R_APPLICATION_DATA_AFTER_CLOSE_NOTIFY);
            keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
            return -1;
        }
        if (!(s->shutdown & SSL_RECEIVED_SHUTDOWN) || c->fatal)
            return -1;
    }
    return s->shutdown == (SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN) && keel_rl_unflushed(&c->rl) == 0;
}

int SSL_key_update(SSL *s, int updatetype)
{
    /* OpenSSL's order of checks: the protocol first (none before it is negotiated), then the
     * state. */
    if (s->conn == NULL || s->conn->version != TLS1_3_VERSION) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_SSL_VERSION);
        return 0;
    }
    /* One scheduled KeyUpdate at a time: OpenSSL is "in init" until it is sent. */
    if (!SSL_is_init_finished(s)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_STILL_IN_INIT);
        return 0;
    }
    if (updatetype != SSL_KEY_UPDATE_NOT_REQUESTED && updatetype != SSL_KEY_UPDATE_REQUESTED) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_KEY_UPDATE_TYPE);
        return 0;
    }
    /* RFC 8446 §6.1: nothing follows our close_notify (after a fatal alert SSL_in_init holds). */
    if (s->shutdown & SSL_SENT_SHUTDOWN) {
        ERR_raise(ERR_LIB_SSL, SSL_R_PROTOCOL_IS_SHUTDOWN);
        return 0;
    }
    /* Scheduled: sent by the next SSL_write or SSL_do_handshake (SSL_key_update(3)). */
    s->conn->key_update_due = KEEL_KEY_UPDATE_OWN;
    s->conn->key_update_req = updatetype;
    return 1;
}

/* The KeyUpdate scheduled and not yet sent, if any (SSL_get_key_update_type(3)). */
int SSL_get_key_update_type(const SSL *s)
{
    return s->conn != NULL && s->conn->key_update_due ? s->conn->key_update_req : SSL_KEY_UPDATE_NONE;
}
