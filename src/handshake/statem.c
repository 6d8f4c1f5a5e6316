/* The handshake driver: runs the table of the connection's protocol version (row format and
 * contract: hs.h), flushes what the rows queue, and returns the retry/suspend codes of
 * SSL_do_handshake(3). It knows no message and no version's rules. */
#include "handshake/hs.h"
#include "handshake/ext.h"

/* The table by negotiated version. Until a version is chosen (c->version == 0: the client's
 * ClientHello, the server's first ClientHello) the version-independent rows are those of the
 * TLS 1.3 table. */
const keel_table *keel_table_for(const SSL *s)
{
    switch (s->conn->version) {
    case TLS1_2_VERSION:
        return keel_tls12_table();
    case 0:
    case TLS1_3_VERSION:
    default:
        return keel_tls13_table();
    }
}

/* The row for msg (a message type, KEEL_MT_CCS or KEEL_WRITE) in the current state, or NULL. */
static const keel_row *lookup(const SSL *s, int msg)
{
    const keel_table *t = keel_table_for(s);
    /* Read once: guards only look (they take a const SSL), so neither changes during the scan. */
    const OSSL_HANDSHAKE_STATE state = s->state;
    const int server = s->server;
    const keel_row *r = t->rows, *end = t->rows + t->count;

    for (; r < end; r++)
        if (r->state == state && r->msg == msg && r->server == server && (r->guard == NULL || r->guard(s)))
            return r;
    return NULL;
}

int keel_skips_hello_request(const SSL *s)
{
    return !s->server && keel_table_for(s)->skip_hello_request
        && lookup(s, SSL3_MT_HELLO_REQUEST) == NULL;
}

/* 1, or 0 (no memory for the copy of the transcript). */
static int done(SSL *s)
{
    keel_conn *c = s->conn;
    const keel_table *t = keel_table_for(s);
    /* Post-handshake authentication extends the handshake's transcript (RFC 8446 §4.6.2): a
     * copy outlives the handshake object when it was offered. */
    if (c->version == TLS1_3_VERSION && c->pha_offered && c->pha == NULL) {
        if ((c->pha = OPENSSL_zalloc(sizeof(*c->pha))) == NULL) {
            ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
            return 0;
        }
        if (!keel_transcript_dup(&c->pha->base, &c->hs->transcript)) {
            OPENSSL_free(c->pha);
            c->pha = NULL;
            return 0;
        }
    }
    keel_step(s, TLS_ST_OK);
    if (t->finish != NULL)
        t->finish(s);
    keel_client_session_used(s);
    s->in_init = 0;
    /* The handshake object goes, its secrets cleansed (keel_hs_free): the key schedule and the
     * handshake traffic secrets (RFC 8446 §7.1), offers, hello state. */
    keel_hs_free(c->hs);
    c->hs = NULL;
    c->rl.release_buffers = 1; /* kept through the handshake (keel_conn_new) */
    keel_rl_release_idle(&c->rl);
    if (c->hs_len == 0) {
        OPENSSL_free(c->hs_buf);
        c->hs_buf = NULL;
        c->hs_cap = 0;
    }
    /* A server reported it before its first ticket (ticket.c), as OpenSSL does. */
    if (!c->done_reported)
        keel_info(s, SSL_CB_HANDSHAKE_DONE, 1);
    c->done_reported = 1;
    return 1;
}

/* keel_read_hs's question at a message's header: does a row take it here? OpenSSL's state
 * machine answers it at the header (refusing before the body), and moves to the state the
 * message leads to, which the application then sees while the message is read and handled. An
 * empty HelloRequest no row takes is skipped later (run). */
static int header_in(SSL *s, int type)
{
    const keel_row *r = lookup(s, type);

    if (r == NULL)
        return type == SSL3_MT_HELLO_REQUEST && keel_skips_hello_request(s);
    OSSL_HANDSHAKE_STATE to = r->next;
    /* The TLS 1.3 server's Certificate and Finished rows leave the next state to the handler
     * (what follows depends on the message); OpenSSL shows the message's own state. */
    if (to == KEEL_NEXT_BY_HANDLER && s->server)
        to = type == SSL3_MT_CERTIFICATE ? TLS_ST_SR_CERT
            : type == SSL3_MT_FINISHED ? TLS_ST_SR_FINISHED : KEEL_NEXT_BY_HANDLER;
    if (to != KEEL_NEXT_BY_HANDLER) {
        s->conn->hs_shown = 1;
        s->conn->hs_shown_state = to;
        s->conn->hs_shown_from = s->state;
    }
    return 1;
}

OSSL_HANDSHAKE_STATE keel_shown_state(const SSL *s)
{
    const keel_conn *c = s->conn;

    return c != NULL && c->hs_shown && s->state == c->hs_shown_from ? c->hs_shown_state : s->state;
}

static int run(SSL *s);

/* Drive the handshake as far as the BIOs allow. 1 = complete, -1 = the BIO wants a retry
 * (s->rwstate says which way), 0 = failed (reason on the error stack, alert sent).
 * The info callback sees what OpenSSL's state machine reports (SSL_CTX_set_info_callback(3)):
 * HANDSHAKE_START once per handshake, a LOOP per state change (keel_step) and per switch to
 * reading, and an EXIT on every return: 1 when complete, -1 otherwise. */
/* A setting the application made could not be written (keel_ssl_w): no handshake goes on with
 * the settings it did not ask for. */
static int lost(SSL *s)
{
    if (!s->settings_lost)
        return 0;
    ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
    keel_fatal(s, SSL_AD_INTERNAL_ERROR);
    return 1;
}

int keel_handshake(SSL *s)
{
    keel_conn *c = s->conn;

    /* Entering the state machine clears the error queue, as OpenSSL's does: a stale error of the
     * application's must not turn a retry into SSL_ERROR_SSL (SSL_get_error(3)). Only when there
     * is something to clear: libcrypto 3.0's ERR_clear_error walks all 16 slots (~1.2k
     * instructions) even when the queue is empty, and an empty queue holds no marks. */
    if (ERR_peek_error() != 0)
        ERR_clear_error();
    if (c->fatal) {
        ERR_raise(ERR_LIB_SSL, SSL_R_PROTOCOL_IS_SHUTDOWN);
        return 0;
    }
    if (!c->hs_started) {
        c->hs_started = 1;
        keel_info(s, SSL_CB_HANDSHAKE_START, 1);
    }
    int r = lost(s) ? 0 : run(s);
    /* A setting a callback made in the handshake that could not be written ends it too. */
    if (r == 1 && lost(s))
        r = 0;
    keel_info_exit(s, r == 1 ? 1 : -1);
    return r;
}

static int run(SSL *s)
{
    keel_conn *c = s->conn;

    for (;;) {
        int r, alert;
        /* Whatever a previous step queued goes out first. */
        if (keel_rl_unflushed(&c->rl) > 0 && (r = keel_flush(s)) <= 0)
            return r;
        /* SSL_write_early_data / SSL_read_early_data drive the handshake to here (tls13/early.c);
         * OpenSSL's state machine reports the pause as a handshake done (and again at the end). */
        if (keel_early_stop(s)) {
            keel_info(s, SSL_CB_HANDSHAKE_DONE, 1);
            return 1;
        }
        if (keel_table_for(s)->complete(s)) {
            if (!done(s)) {
                keel_fatal(s, SSL_AD_INTERNAL_ERROR);
                return 0;
            }
            return 1;
        }
        /* Our turn to speak: the row's handler writes a flight (KEEL_SUSPEND: a callback such
         * as cert_cb or client_cert_cb asked to be called again, nothing written). */
        const keel_row *w = lookup(s, KEEL_WRITE);
        if (w != NULL) {
            if ((alert = w->write(s)) == KEEL_SUSPEND) {
                s->rwstate = SSL_X509_LOOKUP;
                return -1;
            }
            if (alert) {
                if (ERR_peek_error() == 0)
                    ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
                keel_fatal(s, alert);
                return 0;
            }
            if (w->next != KEEL_NEXT_BY_HANDLER)
                s->state = w->next;
            continue;
        }
        if (!c->info_reading) {
            /* Nothing (more) to write: OpenSSL reports the switch to reading. */
            keel_info_loop(s);
            c->info_reading = 1;
        }
        int type;
        keel_rd body;
        size_t len;
        /* keel_read_hs reports the LOOP of a message's arrival, in the state it moves on from. */
        if ((r = keel_read_hs(s, &type, &body, &len, header_in)) <= 0)
            return r;
        /* ... an empty HelloRequest no row takes (a renegotiation's row does, tls12/table.c) */
        if (type == SSL3_MT_HELLO_REQUEST && keel_rd_left(&body) == 0 && keel_skips_hello_request(s)) {
            keel_hs_consume(s, len);
            continue;
        }
        c->cur_len = (uint32_t)len;
        const keel_row *row = lookup(s, type);
        if (row == NULL) {
            /* A change_cipher_spec the table takes as a message but not here is as unexpected as
             * any message: OpenSSL 3.0's client says so too (checked against a scripted server). */
            ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_MESSAGE);
            keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
            return 0;
        }
        alert = row->read(s, &body);
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
        if (row->next != KEEL_NEXT_BY_HANDLER)
            s->state = row->next;
    }
}
