/* TLS 1.2 renegotiation (RFC 5246 §7.4.1.1, RFC 5746 secure renegotiation): a new handshake over
 * an established connection, run by the driver through the TLS 1.2 table like the first one, in a
 * new handshake object (keel_hs_new), under the current keys until its change_cipher_spec. Who
 * may start one and who declines is OpenSSL 3.0's policy (SSL_CTX_set_options(3), checked
 * differentially by tests/diff/reneg.c):
 *   - SSL_renegotiate on a client sends a new ClientHello (no session offered; with
 *     SSL_renegotiate_abbreviated the current one), on a server a HelloRequest;
 *   - a client answers a HelloRequest with a ClientHello resuming the current session; a server
 *     accepts a ClientHello after the handshake when it asked for it or with
 *     SSL_OP_ALLOW_CLIENT_RENEGOTIATION;
 *   - SSL_OP_NO_RENEGOTIATION, or a peer without secure renegotiation (unless
 *     SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION), declines with a no_renegotiation warning
 *     (RFC 5746 §4.2, §4.4; RFC 5246 §7.2.2), which ends the declined "handshake" at once. */
#include "handshake/tls12/tls12.h"
#include "proto/session.h"

#include <string.h>

static int unsafe_allowed(const SSL *s)
{
    return (s->s->options & SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION) != 0;
}

int keel12_reneg_due(const SSL *s)
{
    const keel_conn *c = s->conn;
    if (c == NULL || s->in_init || c->version != TLS1_2_VERSION || c->reneg_req == KEEL_RENEG_NONE
            || c->fatal || (s->shutdown & SSL_SENT_SHUTDOWN))
        return 0;
    return !s->server || !c->hello_req_sent;
}

int keel12_reneg_message_due(const SSL *s)
{
    const keel_conn *c = s->conn;
    return !s->in_init && c->version == TLS1_2_VERSION && c->hs == NULL && c->hs_len > 0
        && c->hs_buf[0] == (s->server ? SSL3_MT_CLIENT_HELLO : SSL3_MT_HELLO_REQUEST);
}

int keel12_reneg_begin(SSL *s, int ours)
{
    keel_conn *c = s->conn;
    keel_hs *hs = keel_hs_new(s);

    if (hs == NULL)
        return 0;
    hs->reneg = 1;
    hs->reneg_ours = ours;
    /* RFC 5746 §3.1: the verify_data of the Finished messages of the handshake that established
     * the connection's current security parameters, client's first. */
    if (c->peer_ri && c->finished_len == KEEL12_VERIFY_LEN && c->peer_finished_len == KEEL12_VERIFY_LEN) {
        memcpy(hs->reneg_vd, s->server ? c->peer_finished : c->finished, KEEL12_VERIFY_LEN);
        memcpy(hs->reneg_vd + KEEL12_VERIFY_LEN, s->server ? c->finished : c->peer_finished,
               KEEL12_VERIFY_LEN);
        hs->reneg_vd_len = 2 * KEEL12_VERIFY_LEN;
    }
    c->hs = hs;
    c->resumed = 0;
    c->cert_requested = 0;
    c->ccs_sent = c->ccs_received = 0;
    c->hs_started = c->info_reading = c->done_reported = c->no_stats = 0;
    s->in_init = 1;
    return 1;
}

/* ---- client ---- */

/* RFC 5246 §7.4.1.1: HelloRequest is empty (a longer one is refused by its size, as OpenSSL 3.0
 * refuses it: tests/api/malformed12.c). Declined as the file's comment says; accepted, it asks
 * for an abbreviated handshake, as OpenSSL 3.0's TLS client does. */
int keel12_client_hello_request(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;

    if (!keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_EXCESSIVE_MESSAGE_SIZE);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    if ((s->s->options & SSL_OP_NO_RENEGOTIATION) || (c->hs->reneg_vd_len == 0 && !unsafe_allowed(s))) {
        keel_send_alert(s, SSL3_AL_WARNING, SSL_AD_NO_RENEGOTIATION);
        c->hs->reneg_over = 1;
        c->no_stats = 1;
        return 0;
    }
    c->reneg_req = KEEL_RENEG_ABBREV;
    return 0;
}

/* The renegotiation's ClientHello (hello.c builds it: TLS 1.2 only, renegotiation_info with our
 * client_verify_data, RFC 5746 §3.5). Without secure renegotiation only with
 * SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION (RFC 5746 §4.1). */
int keel12_client_write_reneg_hello(SSL *s)
{
    keel_conn *c = s->conn;

    if (c->hs->reneg_vd_len == 0 && !unsafe_allowed(s)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_UNSAFE_LEGACY_RENEGOTIATION_DISABLED);
        return SSL_AD_HANDSHAKE_FAILURE;
    }
    c->num_reneg++;
    c->total_reneg++;
    atomic_fetch_add(&s->session_ctx->stats[KEEL_STAT_CONNECT_RENEG], 1);
    keel_step(s, TLS_ST_CW_CLNT_HELLO);
    return keel_client_write_hello(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* RFC 5746 §3.5: the ServerHello of a renegotiation must carry client_verify_data ||
 * server_verify_data (keel_ext_parse compared it); none is a handshake_failure unless the
 * connection never had secure renegotiation. Outside a renegotiation, §3.4: a server without the
 * extension is refused unless SSL_OP_LEGACY_SERVER_CONNECT (or
 * SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION), as OpenSSL 3.0 refuses it. */
int keel12_reneg_check_server_hello(SSL *s, const keel_hello *h)
{
    const keel_hs *hs = s->conn->hs;
    uint64_t legacy_ok = SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION;

    if (h->reneg || (hs->reneg ? hs->reneg_vd_len == 0 : (s->s->options & legacy_ok) != 0))
        return 0;
    ERR_raise(ERR_LIB_SSL, SSL_R_UNSAFE_LEGACY_RENEGOTIATION_DISABLED);
    return SSL_AD_HANDSHAKE_FAILURE;
}

/* ---- server ---- */

/* HelloRequest (RFC 5246 §7.4.1.1): empty, outside the transcript (the send path knows). It is a
 * handshake of its own for the info callback, as in OpenSSL; the renegotiation stays pending
 * until the client's ClientHello has been answered. */
int keel12_server_write_hello_request(SSL *s)
{
    keel_conn *c = s->conn;
    uint8_t msg[4];
    keel_wr w;

    keel_step(s, TLS_ST_SW_HELLO_REQ);
    keel_wr_init_fixed(&w, msg, sizeof(msg));
    keel_wr_u8(&w, SSL3_MT_HELLO_REQUEST);
    keel_wr_u24(&w, 0);
    if (!keel_send_hs(s, &w))
        return SSL_AD_INTERNAL_ERROR;
    c->hello_req_sent = 1;
    c->num_reneg++;
    c->total_reneg++;
    c->hs->reneg_over = 1;
    c->no_stats = 1;
    atomic_fetch_add(&s->ctx->stats[KEEL_STAT_ACCEPT_RENEG], 1);
    return 0;
}

/* A ClientHello after the handshake. Declined (a no_renegotiation warning, the connection goes
 * on) with SSL_OP_NO_RENEGOTIATION, without secure renegotiation (unless
 * SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION), or when we did not ask for it and
 * SSL_OP_ALLOW_CLIENT_RENEGOTIATION is clear (OpenSSL 3.0's default, against the CPU cost of
 * client-initiated renegotiation). Accepted, it is read as any ClientHello, with a fresh session
 * object as at the start of a server's handshake (io.c). */
int keel12_server_reneg_hello(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    uint64_t o = s->s->options;

    atomic_fetch_add(&s->ctx->stats[KEEL_STAT_ACCEPT_RENEG], 1);
    if ((o & SSL_OP_NO_RENEGOTIATION) || (c->hs->reneg_vd_len == 0 && !unsafe_allowed(s))
            || (c->reneg_req == KEEL_RENEG_NONE && !(o & SSL_OP_ALLOW_CLIENT_RENEGOTIATION))) {
        if (keel_send_alert(s, SSL3_AL_WARNING, SSL_AD_NO_RENEGOTIATION) == 0)
            return SSL_AD_INTERNAL_ERROR;
        c->hs->reneg_over = 1;
        c->no_stats = 1;
        return 0;
    }
    SSL_SESSION *fresh = SSL_SESSION_new();
    if (fresh == NULL)
        return SSL_AD_INTERNAL_ERROR;
    SSL_SESSION_set_timeout(fresh, s->s->session_timeout);
    SSL_SESSION_free(s->session);
    s->session = fresh;
    if (c->reneg_req == KEEL_RENEG_NONE)
        c->reneg_req = KEEL_RENEG_FULL;
    return keel_server_read_client_hello(s, body);
}

/* RFC 5746 §3.7: in a renegotiation ClientHello the SCSV is a handshake_failure, and the
 * extension (compared by keel_ext_parse with client_verify_data) is required when the connection
 * has secure renegotiation. */
int keel12_reneg_check_client_hello(SSL *s, const keel_hello *h, int scsv)
{
    if (scsv) {
        ERR_raise(ERR_LIB_SSL, SSL_R_SCSV_RECEIVED_WHEN_RENEGOTIATING);
        return SSL_AD_HANDSHAKE_FAILURE;
    }
    if (!h->reneg && s->conn->hs->reneg_vd_len != 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_UNSAFE_LEGACY_RENEGOTIATION_DISABLED);
        return SSL_AD_HANDSHAKE_FAILURE;
    }
    return 0;
}

/* ---- both ---- */

/* The rule (OpenSSL 3.0 has none: it accepts any certificate in a renegotiation): the
 * peer a renegotiation authenticates is the one the connection already authenticated, so its
 * leaf certificate may not change (a peer that sent none before may present one now: that is how
 * a server asks for a client certificate by renegotiating). */
int keel12_reneg_same_peer(SSL *s, STACK_OF(X509) *chain)
{
    const keel_conn *c = s->conn;
    X509 *old = c->peer_chain != NULL && sk_X509_num(c->peer_chain) > 0 ? sk_X509_value(c->peer_chain, 0) : NULL;
    X509 *now = sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : NULL;

    if (c->hs == NULL || !c->hs->reneg || old == NULL || (now != NULL && X509_cmp(old, now) == 0))
        return 1;
    ERR_raise_data(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED,
                   "the peer's certificate changed in a renegotiation");
    return 0;
}

/* The table's finish: a renegotiation that really ran is no longer pending. */
void keel12_reneg_finish(SSL *s)
{
    keel_conn *c = s->conn;
    if (c->hs->reneg && !c->hs->reneg_over) {
        c->reneg_req = KEEL_RENEG_NONE;
        c->hello_req_sent = 0;
    }
}
