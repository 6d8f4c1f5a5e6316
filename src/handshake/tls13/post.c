/* Post-handshake messages (RFC 8446 §4.6): NewSessionTicket, KeyUpdate, and the messages of
 * post-handshake authentication (pha.c). */
#include "handshake/ext.h"
#include "handshake/tls12/tls12.h"

/* KeyUpdate (§4.6.3): request_update is 0 or 1. Our write key moves to the next generation after
 * the message is sealed under the current one. */
int keel_send_key_update(SSL *s, int request)
{
    keel_conn *c = s->conn;
    uint8_t msg[5];
    keel_wr w;
    keel_wr_init_fixed(&w, msg, sizeof(msg));
    keel_wr_u8(&w, SSL3_MT_KEY_UPDATE);
    keel_wr_u24(&w, 1);
    keel_wr_u8(&w, (uint8_t)request);
    /* The one send path (conn.c): it refuses after close_notify or a fatal alert. */
    if (!keel_send_hs(s, &w))
        return 0;
    if (!keel_hs_update_secret(s, KEEL_RL_WRITE))
        return 0;
    c->key_update_due = 0;
    return 1;
}

/* Returns 0 or the alert to send. */
int keel_post_handshake(SSL *s, int type, keel_rd *body)
{
    keel_conn *c = s->conn;

    /* TLS 1.2 has no post-handshake messages: its renegotiation requests (RFC 5246 §7.4.1.1)
     * start a new handshake before they get here (io.c, tls12/reneg.c). */
    if (c->version == TLS1_2_VERSION) {
        ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_MESSAGE);
        return SSL_AD_UNEXPECTED_MESSAGE;
    }
    switch (type) {
    case SSL3_MT_KEY_UPDATE: {
        uint32_t req;
        if (!keel_rd_u8(body, &req) || !keel_rd_done(body)) {
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_PACKET);
            return SSL_AD_DECODE_ERROR;
        }
        if (req > 1) {
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_KEY_UPDATE);
            return SSL_AD_ILLEGAL_PARAMETER;
        }
        keel_set_state(s, s->server ? TLS_ST_SR_KEY_UPDATE : TLS_ST_CR_KEY_UPDATE);
        if (!keel_hs_update_secret(s, KEEL_RL_READ))
            return SSL_AD_INTERNAL_ERROR;
        /* update_requested: answer with our own KeyUpdate before our next write (§4.6.3); one
         * the application scheduled already may ask for an update itself. */
        if (req == 1 && !c->key_update_due) {
            c->key_update_due = 1;
            c->key_update_req = SSL_KEY_UPDATE_NOT_REQUESTED;
        }
        return 0;
    }
    case SSL3_MT_NEWSESSION_TICKET:
        if (s->server) { /* servers never receive tickets */
            ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_MESSAGE);
            return SSL_AD_UNEXPECTED_MESSAGE;
        }
        keel_set_state(s, TLS_ST_CR_SESSION_TICKET);
        return keel_client_read_ticket(s, body);
    case SSL3_MT_CERTIFICATE_REQUEST:
        if (s->server) {
            ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_MESSAGE);
            return SSL_AD_UNEXPECTED_MESSAGE;
        }
        keel_set_state(s, TLS_ST_CR_CERT_REQ);
        return keel_pha_client_answer(s, body);
    case SSL3_MT_CERTIFICATE:
    case SSL3_MT_CERTIFICATE_VERIFY:
    case SSL3_MT_FINISHED:
        if (!s->server) {
            ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_MESSAGE);
            return SSL_AD_UNEXPECTED_MESSAGE;
        }
        return keel_pha_server_read(s, type, body);
    default:
        ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_MESSAGE);
        return SSL_AD_UNEXPECTED_MESSAGE;
    }
}
