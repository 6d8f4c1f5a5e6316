/* The TLS 1.3 handshake as a table (RFC 8446 §2, Figure 1 and §A.1/§A.2): in each state, which
 * message may arrive and which handler takes it. A row may carry a guard, a condition on the
 * connection: a row whose guard fails is as if it were not there, so the message is an
 * unexpected_message, refused here in one place before any handler sees it. A handler returns 0
 * or the alert to send (KEEL_SUSPEND: a callback asked to be called again, nothing consumed); it
 * moves the state on itself (some messages are optional, so the next state depends on the
 * message). Write steps are the states in which it is our turn to speak. */
#include "handshake/ext.h"

typedef int (*keel_handler)(SSL *, keel_rd *);
typedef int (*keel_guard)(const SSL *);

/* RFC 8446 §2.2, §4.3.2: a PSK handshake has no CertificateRequest and no server Certificate;
 * without a PSK the server must authenticate before its Finished. */
static int psk(const SSL *s) { return s->conn->resumed; }
static int no_psk(const SSL *s) { return !s->conn->resumed; }
/* The server rests in TLS_ST_EARLY_DATA after each of its flights, as OpenSSL's does: after a
 * HelloRetryRequest the second ClientHello is due, after ServerHello..Finished the client's.
 * §4.4.2: the client sends a Certificate only in answer to a CertificateRequest, and then must. */
static int hrr_wait(const SSL *s) { return s->conn->hrr_wait; }
static int flight_cert(const SSL *s) { return !s->conn->hrr_wait && s->conn->cert_requested; }
static int flight_no_cert(const SSL *s) { return !s->conn->hrr_wait && !s->conn->cert_requested; }

static const struct {
    OSSL_HANDSHAKE_STATE state;
    int server;
    int msg;
    keel_guard guard;   /* NULL: always */
    keel_handler handler;
} table[] = {
    /* client */
    { TLS_ST_CW_CLNT_HELLO, 0, SSL3_MT_SERVER_HELLO, NULL, keel_client_read_server_hello },
    { TLS_ST_CR_SRVR_HELLO, 0, SSL3_MT_ENCRYPTED_EXTENSIONS, NULL, keel_client_read_encrypted_extensions },
    { TLS_ST_CR_ENCRYPTED_EXTENSIONS, 0, SSL3_MT_CERTIFICATE_REQUEST, no_psk, keel_client_read_cert_request },
    { TLS_ST_CR_ENCRYPTED_EXTENSIONS, 0, SSL3_MT_CERTIFICATE, no_psk, keel_client_read_certificate },
    { TLS_ST_CR_ENCRYPTED_EXTENSIONS, 0, SSL3_MT_FINISHED, psk, keel_client_read_finished },
    { TLS_ST_CR_CERT_REQ, 0, SSL3_MT_CERTIFICATE, NULL, keel_client_read_certificate },
    { TLS_ST_CR_CERT, 0, SSL3_MT_CERTIFICATE_VERIFY, NULL, keel_client_read_cert_verify },
    { TLS_ST_CR_CERT_VRFY, 0, SSL3_MT_FINISHED, NULL, keel_client_read_finished },
    /* server */
    { TLS_ST_BEFORE, 1, SSL3_MT_CLIENT_HELLO, NULL, keel_server_read_client_hello },
    { TLS_ST_EARLY_DATA, 1, SSL3_MT_CLIENT_HELLO, hrr_wait, keel_server_read_client_hello },
    { TLS_ST_EARLY_DATA, 1, SSL3_MT_CERTIFICATE, flight_cert, keel_server_read_certificate },
    { TLS_ST_EARLY_DATA, 1, SSL3_MT_FINISHED, flight_no_cert, keel_server_read_finished },
    { TLS_ST_SR_CERT, 1, SSL3_MT_CERTIFICATE_VERIFY, NULL, keel_server_read_cert_verify },
    { TLS_ST_SR_CERT_VRFY, 1, SSL3_MT_FINISHED, NULL, keel_server_read_finished },
};

static keel_handler lookup(const SSL *s, int msg)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].state == s->state && table[i].server == s->server && table[i].msg == msg
                && (table[i].guard == NULL || table[i].guard(s)))
            return table[i].handler;
    return NULL;
}

/* Our turn to speak: the client's first and last flights, the server's reply to a ClientHello.
 * 1 = done or nothing to do, 0 = failed (*alert to send), -1 = a callback asked to be called
 * again (client_cert_cb, cert_cb: nothing written). */
static int write_step(SSL *s, int *wrote, int *alert)
{
    *wrote = 1;
    *alert = SSL_AD_INTERNAL_ERROR;
    if (!s->server && s->state == TLS_ST_BEFORE) {
        keel_step(s, TLS_ST_CW_CLNT_HELLO);
        return keel_client_write_hello(s);
    }
    if (!s->server && s->state == TLS_ST_CR_FINISHED)
        return keel_client_write_finished(s);
    if (s->server && s->state == TLS_ST_SR_CLNT_HELLO) {
        int r = keel_server_write_hello(s);
        if (r == KEEL_SUSPEND)
            return -1;
        *alert = r;
        return r == 0;
    }
    *wrote = 0;
    return 1;
}

static int finished(SSL *s)
{
    if (s->server)
        return s->state == TLS_ST_SR_FINISHED || s->state == TLS_ST_SW_SESSION_TICKET;
    return s->state == TLS_ST_CW_FINISHED;
}

static void done(SSL *s)
{
    keel_conn *c = s->conn;
    keel_step(s, TLS_ST_OK);
    s->in_init = 0;
    keel_hs_wipe_secrets(s);
    if (c->hs_len == 0) {
        OPENSSL_free(c->hs_buf);
        c->hs_buf = NULL;
        c->hs_cap = 0;
    }
    /* A server reported it before its first ticket (ticket.c), as OpenSSL does. */
    if (!c->done_reported)
        keel_info(s, SSL_CB_HANDSHAKE_DONE, 1);
    c->done_reported = 1;
}

static int run(SSL *s);

/* Drive the handshake as far as the BIOs allow. 1 = complete, -1 = the BIO wants a retry
 * (s->rwstate says which way), 0 = failed (reason on the error stack, alert sent).
 * The info callback sees what OpenSSL's state machine reports (SSL_CTX_set_info_callback(3)):
 * HANDSHAKE_START once per handshake, a LOOP per state change (keel_step) and per switch to
 * reading, and an EXIT on every return: 1 when complete, -1 otherwise. */
int keel_handshake(SSL *s)
{
    keel_conn *c = s->conn;

    /* Entering the state machine clears the error queue, as OpenSSL's does: a stale error of the
     * application's must not turn a retry into SSL_ERROR_SSL (SSL_get_error(3)). */
    ERR_clear_error();
    if (c->fatal) {
        ERR_raise(ERR_LIB_SSL, SSL_R_PROTOCOL_IS_SHUTDOWN);
        return 0;
    }
    if (!c->hs_started) {
        c->hs_started = 1;
        keel_info(s, SSL_CB_HANDSHAKE_START, 1);
    }
    int r = run(s);
    keel_info_exit(s, r == 1 ? 1 : -1);
    return r;
}

static int run(SSL *s)
{
    keel_conn *c = s->conn;

    for (;;) {
        int r, wrote, alert;
        /* Whatever a previous step queued goes out first. */
        if (keel_rl_unflushed(&c->rl) > 0 && (r = keel_flush(s)) <= 0)
            return r;
        if (finished(s)) {
            done(s);
            return 1;
        }
        if ((r = write_step(s, &wrote, &alert)) < 0) {
            s->rwstate = SSL_X509_LOOKUP;
            return -1;
        }
        if (r == 0) {
            if (ERR_peek_error() == 0)
                ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
            keel_fatal(s, alert);
            return 0;
        }
        if (wrote)
            continue;
        if (!c->info_reading) {
            /* Nothing (more) to write: OpenSSL reports the switch to reading. */
            keel_info_loop(s);
            c->info_reading = 1;
        }
        int type;
        keel_rd body;
        size_t len;
        int held = c->hs_held;
        if ((r = keel_read_hs(s, &type, &body, &len)) <= 0)
            return r;
        c->cur_len = len;
        /* A message arrived: LOOP in the state it moves on from (once, if it was held). */
        if (!held)
            keel_info_loop(s);
        keel_handler h = lookup(s, type);
        if (h == NULL) {
            ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_MESSAGE);
            keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
            return 0;
        }
        alert = h(s, &body);
        if (alert == KEEL_SUSPEND) {
            /* Only the client-hello callback suspends a read handler; the message stays. */
            c->hs_held = 1;
            s->rwstate = SSL_CLIENT_HELLO_CB;
            return -1;
        }
        keel_hs_consume(s, len);
        if (alert) {
            if (ERR_peek_error() == 0)
                ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
            keel_fatal(s, alert);
            return 0;
        }
    }
}
