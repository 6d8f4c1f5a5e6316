/* Post-handshake client authentication (RFC 8446 §4.6.2, SSL_verify_client_post_handshake(3)).
 *
 * After the handshake the server may send a CertificateRequest with a fresh, non-empty context;
 * the client answers with Certificate, CertificateVerify (if it has a certificate) and Finished.
 * Each exchange is hashed over the handshake's transcript (through the client's Finished) plus
 * its own messages (§4.4): the handshake's transcript, copied to c->pha->base as the handshake
 * ended, is copied again into c->pha->cur, the working transcript until the exchange ends. The client's Finished is
 * keyed by its current application traffic secret (keel_hs_finished_mac). */
#include "handshake/ext.h"
#include "proto/session.h"

#include <string.h>

/* Branch the working transcript off the handshake's and give the exchange its context. */
static int begin(SSL *s, const uint8_t *ctx, size_t ctx_len)
{
    keel_conn *c = s->conn;

    /* RFC 8446 §4.3.2: opaque certificate_request_context<0..2^8-1>. */
    if (c->pha == NULL || ctx_len == 0 || ctx_len > sizeof(c->pha->ctx) || c->cert_ctx_len != 0
            || !keel_transcript_dup(&c->pha->cur, &c->pha->base))
        return 0;
    memcpy(c->pha->ctx, ctx, ctx_len);
    c->cert_ctx_len = (uint8_t)ctx_len;
    return 1;
}

/* Back to the handshake's transcript: the next exchange starts from it again. */
static void end(SSL *s)
{
    keel_conn *c = s->conn;
    if (c->cert_ctx_len == 0)
        return;
    keel_transcript_cleanup(&c->pha->cur);
    c->cert_ctx_len = 0;
}

int SSL_verify_client_post_handshake(SSL *s)
{
    keel_conn *c = s->conn;

    /* OpenSSL 3.0's order (tests/diff/errcodes.c): the version (none yet before the handshake),
     * the role, then the state (a request already pending counts as in init). */
    if (c == NULL || c->version != TLS1_3_VERSION) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_SSL_VERSION);
        return 0;
    }
    if (!s->server) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NOT_SERVER);
        return 0;
    }
    if (!SSL_is_init_finished(s)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_STILL_IN_INIT);
        return 0;
    }
    if (!c->pha_offered) {
        ERR_raise(ERR_LIB_SSL, SSL_R_EXTENSION_NOT_RECEIVED);
        return 0;
    }
    if (c->pha_state == KEEL_PHA_PENDING) {
        ERR_raise(ERR_LIB_SSL, SSL_R_REQUEST_PENDING);
        return 0;
    }
    if (c->pha_state != KEEL_PHA_NONE) {
        ERR_raise(ERR_LIB_SSL, SSL_R_REQUEST_SENT);
        return 0;
    }
    if (!(s->s->verify_mode & SSL_VERIFY_PEER)) {
        ERR_raise_data(ERR_LIB_SSL, SSL_R_INVALID_CONFIG, "SSL_VERIFY_PEER is not set");
        return 0;
    }
    if ((s->s->verify_mode & SSL_VERIFY_CLIENT_ONCE) && c->cert_requested) {
        ERR_raise_data(ERR_LIB_SSL, SSL_R_INVALID_CONFIG,
                       "SSL_VERIFY_CLIENT_ONCE: a certificate was already requested");
        return 0;
    }
    c->pha_state = KEEL_PHA_PENDING;
    return 1;
}

/* Server: the pending request goes out (from SSL_do_handshake). */
int keel_pha_send_request(SSL *s)
{
    keel_conn *c = s->conn;
    uint8_t ctx[32]; /* unpredictable, so that answers cannot be replayed (§4.3.2) */

    if (!keel_random(s->ctx->algs, ctx, sizeof(ctx)) || !begin(s, ctx, sizeof(ctx)))
        return 0;
    keel_step(s, TLS_ST_SW_CERT_REQ);
    if (!keel_write_cert_request(s)) {
        end(s);
        return 0;
    }
    keel_step(s, TLS_ST_OK);
    keel_info_exit(s, 1);
    c->pha_state = KEEL_PHA_SENT;
    return 1;
}

/* The session now speaks for the authenticated client (tickets issued later carry it). A session
 * may be shared (the cache, the application), so a copy takes the new identity. */
static int record_peer(SSL *s)
{
    X509 *leaf = sk_X509_value(s->conn->peer_chain, 0);
    SSL_SESSION *ss;

    if (s->session == NULL || leaf == NULL)
        return 1;
    if ((ss = SSL_SESSION_dup(s->session)) == NULL || !X509_up_ref(leaf)) {
        SSL_SESSION_free(ss);
        return 0;
    }
    X509_free(ss->peer);
    ss->peer = leaf;
    ss->verify_result = s->verify_result;
    SSL_SESSION_free(s->session);
    s->session = ss;
    return 1;
}

/* Server: the client's answer, one message at a time. Returns 0 or the alert to send. */
int keel_pha_server_read(SSL *s, int type, keel_rd *body)
{
    keel_conn *c = s->conn;
    int alert;

    if (type == SSL3_MT_CERTIFICATE && c->pha_state == KEEL_PHA_SENT) {
        keel_set_state(s, TLS_ST_SR_CERT);
        if ((alert = keel_read_client_certificate(s, body)) != 0)
            return alert;
        c->pha_state = sk_X509_num(c->peer_chain) == 0 ? KEEL_PHA_CERT_VRFY : KEEL_PHA_CERT;
        return 0;
    }
    if (type == SSL3_MT_CERTIFICATE_VERIFY && c->pha_state == KEEL_PHA_CERT) {
        keel_set_state(s, TLS_ST_SR_CERT_VRFY);
        if ((alert = keel_read_cert_verify(s, body)) != 0)
            return alert;
        c->pha_state = KEEL_PHA_CERT_VRFY;
        return 0;
    }
    if (type == SSL3_MT_FINISHED && c->pha_state == KEEL_PHA_CERT_VRFY) {
        keel_set_state(s, TLS_ST_SR_FINISHED);
        if ((alert = keel_read_finished(s, body)) != 0)
            return alert;
        end(s);
        c->pha_state = KEEL_PHA_NONE;
        /* New tickets carry the client's identity, num_tickets of them as after the handshake
         * (OpenSSL's server issues them too; RFC 8446 §4.6.1 lets a server send tickets at
         * any time after the client's Finished). */
        return record_peer(s) && keel_server_send_tickets(s, 0) ? 0 : SSL_AD_INTERNAL_ERROR;
    }
    ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_MESSAGE);
    return SSL_AD_UNEXPECTED_MESSAGE;
}

/* Client: a CertificateRequest after the handshake, answered at once. Returns 0 or an alert;
 * a client certificate callback asking to be called again cannot suspend here, so it counts as
 * having no certificate. */
int keel_pha_client_answer(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    keel_hello h;
    keel_rd ctx;
    const keel_certkey *ck = NULL;
    int alert;

    if (!c->pha_offered) { /* §4.6.2: only after the client offered post_handshake_auth */
        ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_MESSAGE);
        return SSL_AD_UNEXPECTED_MESSAGE;
    }
    if (!keel_rd_prefixed8(body, &ctx) || ctx.len == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_CONTEXT);
        return SSL_AD_DECODE_ERROR;
    }
    memset(&h, 0, sizeof(h));
    c->npeer_sigalgs = 0;
    if (!keel_ext_parse(s, KEEL_MSG_CR, body, &h, 0, &alert))
        return alert;
    if (c->npeer_sigalgs == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_MISSING_SIGALGS_EXTENSION);
        return SSL_AD_MISSING_EXTENSION;
    }
    if (!begin(s, ctx.p, ctx.len))
        return SSL_AD_INTERNAL_ERROR;
    int ok = keel_hs_hash_current(s) && keel_choose_cert(s, &ck) != 0;
    if (ok) {
        keel_step(s, TLS_ST_CW_CERT);
        ok = keel_write_certificate(s, ck);
    }
    if (ok && ck != NULL) {
        keel_step(s, TLS_ST_CW_CERT_VRFY);
        ok = keel_write_cert_verify(s);
    }
    if (ok) {
        keel_step(s, TLS_ST_CW_FINISHED);
        ok = keel_write_finished(s);
    }
    end(s);
    return ok ? 0 : SSL_AD_INTERNAL_ERROR;
}
