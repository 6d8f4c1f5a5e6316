/* The TLS 1.2 client's session (RFC 5246 §7.4.1.2, RFC 5077 §3.3-§3.4): the NewSessionTicket it
 * receives, the SSL_SESSION a handshake leaves (SSL_get1_session(3)), and the new session callback
 * (SSL_CTX_sess_set_new_cb(3)) at the end of a full handshake. */
#include "handshake/tls12/tls12.h"
#include "proto/session.h"

#include <string.h>

/* NewSessionTicket (RFC 5077 §3.3): ticket_lifetime_hint, ticket<0..2^16-1> (empty: the server
 * issues none after all). Part of the TLS 1.2 transcript; kept until the session is made. */
int keel12_client_read_ticket(SSL *s, keel_rd *body)
{
    keel_hs *hs = s->conn->hs;
    uint32_t hint;
    keel_rd ticket;

    if (!keel_rd_u32(body, &hint) || !keel_rd_prefixed16(body, &ticket) || !keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    OPENSSL_free(hs->ticket12);
    hs->ticket12 = NULL;
    hs->ticket12_len = 0;
    if (ticket.len > 0 && (hs->ticket12 = OPENSSL_memdup(ticket.p, ticket.len)) == NULL)
        return SSL_AD_INTERNAL_ERROR;
    hs->ticket12_len = ticket.len;
    hs->ticket12_hint = hint;
    hs->ticket12_received = 1;
    return keel_hs_hash_current(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* The session of a TLS 1.2 handshake (SSL_get1_session(3)): version, suite, master secret, the
 * server's session id, the ticket, EMS, the peer's certificate and verify result, SNI and ALPN.
 * After a resumption it is the resumed session, or a copy of it carrying a new ticket. The new
 * session callback hears of it in client cache mode, as OpenSSL's does. */
int keel12_client_make_session(SSL *s)
{
    keel_conn *c = s->conn;
    keel_hs *hs = c->hs;
    SSL_SESSION *ss;

    if (c->resumed && !hs->ticket12_received)
        return 1;
    if (c->resumed) {
        ss = SSL_SESSION_dup(s->session);
        if (ss == NULL)
            return 0;
        /* A new ticket makes the old one out of date: the resumed session leaves the client
         * cache (not resumable), as OpenSSL 3.0's client removes it. */
        if (s->session_ctx->session_cache_mode & SSL_SESS_CACHE_CLIENT)
            SSL_CTX_remove_session(s->session_ctx, s->session);
        OPENSSL_free(ss->ticket);
        ss->ticket = NULL;
        ss->ticket_len = 0;
    } else {
        X509 *peer = SSL_get0_peer_certificate(s);
        if ((ss = SSL_SESSION_new()) == NULL)
            return 0;
        ss->version = TLS1_2_VERSION;
        ss->cipher = c->cipher;
        ss->kex_group = c->group;
        ss->timeout = s->s->session_timeout;
        ss->verify_result = s->verify_result;
        ss->ems = c->ems;
        ss->mfl_mode = c->mfl; /* RFC 6066 §4 */
        ss->etm = c->etm;
        memcpy(ss->master_key, c->master, KEEL12_MASTER_LEN);
        ss->master_key_len = KEEL12_MASTER_LEN;
        memcpy(ss->sid_ctx, s->s->sid_ctx, s->s->sid_ctx_len);
        ss->sid_ctx_len = s->s->sid_ctx_len;
        memcpy(ss->session_id, c->hs->session_id, c->hs->session_id_len);
        ss->session_id_len = c->hs->session_id_len;
        if (peer != NULL && X509_up_ref(peer))
            ss->peer = peer;
        if ((peer != NULL && ss->peer == NULL)
                || !SSL_SESSION_set1_hostname(ss, c->sni_acked ? s->hostname : NULL) /* RFC 6066 §3 */
                || !SSL_SESSION_set1_alpn_selected(ss, c->alpn, c->alpn_len)
                || !keel12_psk_to_session(s, ss)) {
            SSL_SESSION_free(ss);
            return 0;
        }
    }
    if (hs->ticket12_len > 0) {
        if ((ss->ticket = OPENSSL_memdup(hs->ticket12, hs->ticket12_len)) == NULL) {
            SSL_SESSION_free(ss);
            return 0;
        }
        ss->ticket_len = hs->ticket12_len;
        ss->ticket_lifetime_hint = hs->ticket12_hint;
        /* A ticket session needs an id of its own to be cached by (RFC 5077 §3.4 lets the
         * client pick one): the hash of the ticket, when the server gave none. */
        if (ss->session_id_len == 0) {
            uint8_t h[KEEL_HASH_MAX_LEN];
            if (!keel_hash(s->ctx->algs, KEEL_HASH_SHA256, ss->ticket, ss->ticket_len, h)) {
                SSL_SESSION_free(ss);
                return 0;
            }
            memcpy(ss->session_id, h, 32);
            ss->session_id_len = 32;
        }
    }
    /* Neither an id nor a ticket: nothing can resume it (SSL_SESSION_is_resumable(3)). */
    ss->not_resumable = ss->session_id_len == 0 && ss->ticket_len == 0;
    SSL_SESSION_free(s->session);
    s->session = ss;
    /* OpenSSL 3.0's client tells the new session callback of a full handshake's session only,
     * not of a resumed one with a new ticket. */
    hs->announce12 = !ss->not_resumable && !c->resumed;
    return 1;
}

/* After the info callback's last LOOP, before HANDSHAKE_DONE, as OpenSSL's client calls it; the
 * transcript is dropped. */
void keel12_client_finish(SSL *s)
{
    SSL_SESSION *ss = s->session;
    /* Nothing after a TLS 1.2 handshake uses its transcript (kept whole for CertificateVerify):
     * it goes with the handshake. */
    keel_transcript_cleanup(&s->conn->hs->transcript);
    if (!s->conn->hs->announce12 || ss == NULL)
        return;
    s->conn->hs->announce12 = 0;
    keel_client_new_session(s, ss);
}
