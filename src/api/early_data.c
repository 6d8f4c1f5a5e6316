/* TLS 1.3 early data (0-RTT) for applications, as SSL_read_early_data(3) describes it (the same
 * page covers SSL_write_early_data, SSL_get_early_data_status, the max_early_data setters and
 * the allow_early_data callback) and OpenSSL 3.0 behaves. The protocol is
 * src/handshake/tls13/early.c's; this file is the API's state machine around SSL_connect /
 * SSL_accept, which pause in TLS_ST_EARLY_DATA while these functions drive them. */
#include "handshake/hs.h"
#include "proto/session.h"

#include <string.h>

int SSL_CTX_set_max_early_data(SSL_CTX *ctx, uint32_t v) { KEEL_SET(keel_ctx_w, ctx, max_early_data, v); return ctx->s->max_early_data == v; }
uint32_t SSL_CTX_get_max_early_data(const SSL_CTX *ctx) { return ctx->s->max_early_data; }
int SSL_set_max_early_data(SSL *s, uint32_t v) { KEEL_SET(keel_ssl_w, s, max_early_data, v); return s->s->max_early_data == v; }
uint32_t SSL_get_max_early_data(const SSL *s) { return s->s->max_early_data; }
int SSL_CTX_set_recv_max_early_data(SSL_CTX *ctx, uint32_t v) { KEEL_SET(keel_ctx_w, ctx, recv_max_early_data, v); return ctx->s->recv_max_early_data == v; }
uint32_t SSL_CTX_get_recv_max_early_data(const SSL_CTX *ctx) { return ctx->s->recv_max_early_data; }
int SSL_set_recv_max_early_data(SSL *s, uint32_t v) { KEEL_SET(keel_ssl_w, s, recv_max_early_data, v); return s->s->recv_max_early_data == v; }
uint32_t SSL_get_recv_max_early_data(const SSL *s) { return s->s->recv_max_early_data; }

void SSL_CTX_set_allow_early_data_cb(SSL_CTX *ctx, SSL_allow_early_data_cb_fn cb, void *arg)
{
    KEEL_SET(keel_ctx_w, ctx, allow_early_data_cb, cb);
    KEEL_SET(keel_ctx_w, ctx, allow_early_data_arg, arg);
}

void SSL_set_allow_early_data_cb(SSL *s, SSL_allow_early_data_cb_fn cb, void *arg)
{
    KEEL_SET(keel_ssl_w, s, allow_early_data_cb, cb);
    KEEL_SET(keel_ssl_w, s, allow_early_data_arg, arg);
}

int SSL_get_early_data_status(const SSL *s)
{
    return s->conn != NULL ? s->conn->early.status : SSL_EARLY_DATA_NOT_SENT;
}

static int ed_state(const SSL *s)
{
    return s->conn != NULL ? s->conn->early.state : KEEL_ED_NONE;
}

/* The role as OpenSSL sees it before one is set: a method that can accept is a server's. */
static int is_server(const SSL *s)
{
    return s->role_set ? s->server : s->s->method->server;
}

/* SSL_read/SSL_write in the middle of SSL_write_early_data's or SSL_read_early_data's sequence
 * (a call that must be retried, or a server between early reads, which writes with
 * SSL_write_early_data) are refused, as OpenSSL refuses them (ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED). */
int keel_early_refuses_io(SSL *s, int write)
{
    int st = ed_state(s);
    if (st == KEEL_ED_CONNECTING || st == KEEL_ED_ACCEPTING || (write && s->server && st == KEEL_ED_READING)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED);
        return 1;
    }
    return 0;
}

/* Accepted early data: what has arrived, or FINISH once EndOfEarlyData was read (or the
 * handshake completed), or ERROR with SSL_get_error saying what to wait for. */
static int read_early(SSL *s, void *buf, size_t num, size_t *readbytes)
{
    keel_conn *c = s->conn;

    for (;;) {
        size_t n = keel_rl_pending(&c->rl);
        if (n > 0) {
            keel_record rec;
            int alert;
            if (keel_rl_read(&c->rl, s->rbio, &rec, &alert) != KEEL_RL_OK)
                return SSL_READ_EARLY_DATA_ERROR; /* cannot happen: the record has data */
            *readbytes = num < rec.len ? num : rec.len;
            memcpy(buf, rec.data, *readbytes);
            keel_rl_consume(&c->rl, *readbytes);
            return SSL_READ_EARLY_DATA_SUCCESS;
        }
        if (c->early.eoed || !s->in_init) {
            c->early.state = KEEL_ED_FINISHED;
            return SSL_READ_EARLY_DATA_FINISH;
        }
        if (c->hs_len == 0) {
            /* A record first, outside the state machine (as OpenSSL's SSL_read_ex reads early
             * data); only handshake bytes (EndOfEarlyData) enter it. */
            keel_record rec;
            c->early.reading = 1;
            int r = keel_read_record(s, 1, &rec);
            c->early.reading = 0;
            if (r == KEEL_REC_APP || (r == KEEL_REC_ROUTED && c->hs_len == 0))
                continue;
            if (r != KEEL_REC_ROUTED)
                return SSL_READ_EARLY_DATA_ERROR;
        }
        c->early.reading = 1;
        int r = SSL_do_handshake(s);
        c->early.reading = 0;
        if (r == 1 || (r < 0 && s->conn->fatal == 0
                       && (c->early.eoed || keel_rl_pending(&c->rl) > 0)))
            continue;
        return SSL_READ_EARLY_DATA_ERROR;
    }
}

int SSL_read_early_data(SSL *s, void *buf, size_t num, size_t *readbytes)
{
    *readbytes = 0;
    if (!is_server(s)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED);
        return SSL_READ_EARLY_DATA_ERROR;
    }
    switch (ed_state(s)) {
    case KEEL_ED_NONE:
        if (!SSL_in_before(s)) {
            ERR_raise(ERR_LIB_SSL, ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED);
            return SSL_READ_EARLY_DATA_ERROR;
        }
        if (!s->role_set)
            SSL_set_accept_state(s);
        if (!keel_start(s))
            return SSL_READ_EARLY_DATA_ERROR;
        s->conn->early.state = KEEL_ED_ACCEPTING;
        /* fall through */
    case KEEL_ED_ACCEPTING:
        /* Returns 1 once the server's flight is out (or the handshake is over: TLS 1.2). */
        if (SSL_accept(s) <= 0)
            return SSL_READ_EARLY_DATA_ERROR;
        if (s->conn->early.status != SSL_EARLY_DATA_ACCEPTED) {
            s->conn->early.state = KEEL_ED_FINISHED;
            return SSL_READ_EARLY_DATA_FINISH;
        }
        s->conn->early.state = KEEL_ED_READING;
        /* fall through */
    case KEEL_ED_READING:
        return read_early(s, buf, num, readbytes);
    default:
        ERR_raise(ERR_LIB_SSL, ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED);
        return SSL_READ_EARLY_DATA_ERROR;
    }
}

/* Sealed records out; a flush the BIO interrupts completes on the next call (which then reports
 * the data written, as OpenSSL's SSL_write_early_data does). */
static int flush_early(SSL *s, size_t num, size_t *written)
{
    int r = keel_flush(s);
    if (r < 0) {
        s->conn->early.flush_due = 1;
        return 0;
    }
    if (r == 0)
        return 0;
    s->conn->early.flush_due = 0;
    *written = num;
    return 1;
}

int SSL_write_early_data(SSL *s, const void *buf, size_t num, size_t *written)
{
    *written = 0;
    switch (ed_state(s)) {
    case KEEL_ED_NONE:
        /* A client before its handshake, with a session that allows early data or an external PSK
         * callback whose session may (checked as the ClientHello is written, as OpenSSL 3.0). */
        if (is_server(s) || !SSL_in_before(s)
                || ((s->session == NULL || s->session->max_early_data == 0) && s->s->psk_use_session_cb == NULL)) {
            ERR_raise(ERR_LIB_SSL, ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED);
            return 0;
        }
        if (!s->role_set)
            SSL_set_connect_state(s);
        if (!keel_start(s))
            return 0;
        s->conn->early.state = KEEL_ED_CONNECTING;
        /* fall through */
    case KEEL_ED_CONNECTING:
        /* Returns 1 once ClientHello (and the early key) is out. */
        if (SSL_connect(s) <= 0)
            return 0;
        s->conn->early.state = KEEL_ED_WRITING;
        /* fall through */
    case KEEL_ED_WRITING:
        if (s->conn->early.flush_due)
            return flush_early(s, num, written);
        if (s->state != TLS_ST_EARLY_DATA) {
            ERR_raise(ERR_LIB_SSL, ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED);
            return 0;
        }
        if (!s->conn->early.offered) {
            /* The session could not be offered after all (expired, suite disabled): no early
             * data may be sent, as OpenSSL counts it against a limit of 0. */
            ERR_raise(ERR_LIB_SSL, SSL_R_TOO_MUCH_EARLY_DATA);
            return 0;
        }
        if (!keel_early_seal(s, buf, num))
            return 0;
        return flush_early(s, num, written);
    case KEEL_ED_READING:
    case KEEL_ED_FINISHED:
        /* A server's 0.5-RTT data (RFC 8446 §2.3): to a client not yet authenticated, under the
         * application key its flight installed; once the handshake is over, SSL_write. */
        if (s->server) {
            if (!s->in_init) {
                int st = s->conn->early.state, r;
                s->conn->early.state = KEEL_ED_FINISHED; /* an ordinary write now */
                r = SSL_write_ex(s, buf, num, written);
                s->conn->early.state = st;
                return r;
            }
            if (!keel_early_seal(s, buf, num))
                return 0;
            return flush_early(s, num, written);
        }
        /* fall through */
    default:
        ERR_raise(ERR_LIB_SSL, ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED);
        return 0;
    }
}

/* RFC 8446 §7.5 with early_exporter_master_secret: a server that accepted early data, a client
 * that sent it (SSL_export_keying_material(3)); the context is always used (TLS 1.3 makes "no
 * context" the empty one). */
int SSL_export_keying_material_early(SSL *s, unsigned char *out, size_t olen, const char *label,
                                     size_t llen, const unsigned char *context, size_t contextlen)
{
    keel_conn *c = s->conn;
    if (c == NULL || c->early.exporter == NULL || (s->server && c->early.status != SSL_EARLY_DATA_ACCEPTED))
        return 0;
    return keel_ks_export(s->ctx->algs, c->early.hash, c->early.exporter, label, llen, context,
                          contextlen, 1, out, olen);
}
