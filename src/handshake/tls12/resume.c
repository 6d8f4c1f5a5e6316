/* TLS 1.2 server resumption: session ids in the server cache (RFC 5246 §7.3, §7.4.1.2) and
 * stateless tickets (RFC 5077), sealed and opened by the code TLS 1.3 uses (tls13/ticket.c). */
#include "handshake/tls12/tls12.h"
#include "proto/session.h"

#include <string.h>

/* Whether ss may resume this connection: 1, 0 (a full handshake) or minus the alert to end the
 * handshake with. A TLS 1.2
 * session (never one of TLS 1.3's, RFC 8446 §4.6.1 / the reverse) of our session id context,
 * unexpired, made the same way as to the extended master secret (RFC 7627 §5.3: a session made
 * with it and a hello without it ends the handshake, handshake_failure, as OpenSSL 3.0 does; the
 * reverse is a full handshake). */
static int usable(SSL *s, const SSL_SESSION *ss, int cached)
{
    keel_conn *c = s->conn;

    if (ss->version != TLS1_2_VERSION || ss->cipher == NULL || ss->cipher->min_tls != TLS1_2_VERSION
            || ss->master_key_len != KEEL12_MASTER_LEN || ss->not_resumable
            || ss->sid_ctx_len != s->s->sid_ctx_len
            || memcmp(ss->sid_ctx, s->s->sid_ctx, ss->sid_ctx_len) != 0)
        return 0;
    /* A session of our context while client certificates are verified and no session id context
     * is set: nothing says the session was made for this application, so OpenSSL 3.0 ends the
     * handshake rather than resume it (SSL_CTX_set_session_id_context(3)). */
    if ((s->s->verify_mode & SSL_VERIFY_PEER) && s->s->sid_ctx_len == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_SESSION_ID_CONTEXT_UNINITIALIZED);
        return -SSL_AD_INTERNAL_ERROR;
    }
    if (keel_session_expired(ss, time(NULL))) {
        atomic_fetch_add(&s->session_ctx->stats[KEEL_STAT_TIMEOUTS], 1);
        if (cached) /* as OpenSSL does: an expired session leaves the cache (remove_session_cb) */
            SSL_CTX_remove_session(s->session_ctx, (SSL_SESSION *)ss);
        return 0;
    }
    if (ss->ems && !c->ems) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INCONSISTENT_EXTMS);
        return -SSL_AD_HANDSHAKE_FAILURE;
    }
    /* RFC 7366 §3.1: a session keeps its MAC mode; a hello that would change it gets a full
     * handshake (OpenSSL 3.0 keeps no such record and renegotiates the mode). */
    if (!ss->etm != !(c->etm && ss->cipher->mac != KEEL_MAC_AEAD))
        return 0;
    return !ss->ems == !c->ems;
}

/* From the ClientHello: a non-empty session_ticket (unless SSL_OP_NO_TICKET) is the only
 * candidate; else the session id is looked up in the cache. Whatever does not resume means a full
 * handshake; 0 or an alert. Sets c->resumed, c->hs->ticket_expected, the session id to echo. */
int keel12_server_try_resume(SSL *s, keel_hello *h, keel_rd sid)
{
    keel_conn *c = s->conn;
    int tickets = !(s->s->options & SSL_OP_NO_TICKET), renew = 0, by_ticket = 0;
    SSL_SESSION *ss = NULL;

    /* RFC 5077 §3.2: an empty extension asks for a ticket; one is issued unless disabled. */
    c->hs->ticket_expected = h->has_ticket && tickets;
    if (h->has_ticket && tickets && h->ticket.len > 0) {
        by_ticket = 1;
        ss = keel_ticket_open(s, h->ticket.p, h->ticket.len, &renew);
    } else if (sid.len > 0) {
        ss = keel_session_lookup(s, sid.p, sid.len);
        if (ss == NULL)
            atomic_fetch_add(&s->session_ctx->stats[KEEL_STAT_MISSES], 1);
    }
    if (ss == NULL)
        return 0;
    int use = usable(s, ss, !by_ticket), alert = 0;
    if (use == 0) {
        SSL_SESSION_free(ss);
        return 0;
    }
    if (use < 0) {
        alert = -use;
    } else if (!keel_client_suite_offered(c, ss->cipher->code)) {
        /* RFC 5246 §7.4.1.2: the client MUST offer the session's suite; OpenSSL 3.0 ends the
         * handshake when it does not. */
        ERR_raise(ERR_LIB_SSL, SSL_R_REQUIRED_CIPHER_MISSING);
        alert = SSL_AD_ILLEGAL_PARAMETER;
    }
    if (alert) {
        /* RFC 5246 §7.2.2: a session whose handshake ends in a fatal alert is not resumed again
         * (OpenSSL 3.0 removes it from the cache). */
        if (!by_ticket)
            SSL_CTX_remove_session(s->session_ctx, ss);
        SSL_SESSION_free(ss);
        return alert;
    }
    atomic_fetch_add(&s->session_ctx->stats[KEEL_STAT_HITS], 1);
    if (by_ticket) {
        /* RFC 5077 §3.4: the session id the client sent along with the ticket is echoed. */
        memcpy(ss->session_id, sid.p, sid.len);
        ss->session_id_len = sid.len;
        c->hs->ticket_expected = renew;
    }
    memcpy(c->hs->session_id, sid.p, sid.len);
    c->hs->session_id_len = sid.len;
    c->resumed = 1;
    c->mfl = ss->mfl_mode; /* RFC 6066 §4: the session's, whatever this hello asked for */
    c->cipher = ss->cipher;
    c->etm = ss->etm;
    memcpy(c->master, ss->master_key, KEEL12_MASTER_LEN);
    s->verify_result = ss->verify_result;
    SSL_SESSION_free(s->session);
    s->session = ss;
    return 0;
}

/* A full handshake's session (RFC 5246 §7.4.1.3): the connection's parameters and master secret,
 * stored in the server cache and shown to the new session callback as OpenSSL does (server cache
 * mode; not without a session id context when client certificates are verified, since such a
 * session could not be resumed safely). */
int keel12_server_new_session(SSL *s)
{
    keel_conn *c = s->conn;
    SSL_CTX *sctx = s->session_ctx;
    /* The id the ServerHello carried (or none). */
    SSL_SESSION *ss = keel_session_from_conn(s, c->hs->session_id, c->hs->session_id_len);

    if (ss == NULL)
        return 0;
    memcpy(ss->master_key, c->master, KEEL12_MASTER_LEN);
    ss->master_key_len = KEEL12_MASTER_LEN;
    ss->ems = c->ems;
    ss->etm = c->etm;
    ss->not_resumable = c->hs->session_id_len == 0 && !c->hs->ticket_expected;
    if (!keel12_psk_to_session(s, ss)) {
        SSL_SESSION_free(ss);
        return 0;
    }
    SSL_SESSION_free(s->session);
    s->session = ss;
    if (!(sctx->session_cache_mode & SSL_SESS_CACHE_SERVER) || ss->session_id_len == 0
            || (ss->sid_ctx_len == 0 && (s->s->verify_mode & SSL_VERIFY_PEER)))
        return 1;
    if (!(sctx->session_cache_mode & SSL_SESS_CACHE_NO_INTERNAL_STORE))
        SSL_CTX_add_session(sctx, ss);
    if (sctx->new_session_cb != NULL) {
        SSL_SESSION_up_ref(ss);
        if (sctx->new_session_cb(s, ss) == 0)
            SSL_SESSION_free(ss);
    }
    return 1;
}

/* NewSessionTicket (RFC 5077 §3.3): the session sealed, with its lifetime as the hint. An
 * application callback that declines gives an empty ticket with hint 0 (the ServerHello already
 * promised the message). */
int keel12_server_write_ticket(SSL *s)
{
    SSL_SESSION *ss = s->session;
    uint8_t *enc = NULL, *ticket = NULL;
    size_t enc_len = 0, ticket_len = 0, body, m;
    keel_wr w;
    int r = keel_session_encode(ss, &enc, &enc_len)
        ? keel_ticket_seal(s, enc, enc_len, NULL, &ticket, &ticket_len) : 0;
    uint32_t hint = r > 0 && ss->timeout > 0 ? (uint32_t)ss->timeout : 0;

    OPENSSL_clear_free(enc, enc_len);
    if (r == 0 || !keel_wr_init(&w, 16 + ticket_len)) {
        OPENSSL_free(ticket);
        return 0;
    }
    keel_wr_u8(&w, SSL3_MT_NEWSESSION_TICKET);
    keel_wr_open24(&w, &body);
    keel_wr_u32(&w, hint);
    keel_wr_open16(&w, &m);
    if (r > 0)
        keel_wr_bytes(&w, ticket, ticket_len);
    keel_wr_close(&w, m);
    keel_wr_close(&w, body);
    OPENSSL_free(ticket);
    return keel_send_hs(s, &w);
}
