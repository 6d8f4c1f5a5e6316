/* The TLS 1.2 handshake as a table (RFC 5246 §7.3, Figure 1 full, Figure 2 abbreviated; RFC 5077
 * §3.1 tickets): in each state, which message may arrive and which handler takes it, and when it
 * is our turn to speak. The first rows of both roles (the client's ClientHello and its reading of
 * the ServerHello, the server's reading of the ClientHello) are version-independent and live in
 * the TLS 1.3 table; this one takes over once TLS 1.2 is chosen. A change_cipher_spec record is
 * the message KEEL_MT_CCS here (ccs_message), so it is as much a row as any message: one before it
 * is due is refused by the driver. Row format and driver contract: hs.h. */
#include "handshake/tls12/tls12.h"

static int full(const SSL *s) { return !s->conn->resumed; }
static int resumed(const SSL *s) { return s->conn->resumed; }
/* RFC 5077 §3.3: a NewSessionTicket comes (goes) before the server's ChangeCipherSpec exactly
 * when the server acknowledged session_ticket in its ServerHello. */
static int full_ticket(const SSL *s) { return !s->conn->resumed && s->conn->hs->ticket_expected; }
static int full_no_ticket(const SSL *s) { return !s->conn->resumed && !s->conn->hs->ticket_expected; }
static int resumed_ticket(const SSL *s) { return s->conn->resumed && s->conn->hs->ticket_expected; }
static int resumed_no_ticket(const SSL *s) { return s->conn->resumed && !s->conn->hs->ticket_expected; }
/* RFC 5246 §7.4.6: a client sends Certificate only when asked; §7.4.8: CertificateVerify only
 * after a non-empty Certificate. */
static int cert_requested(const SSL *s) { return s->conn->cert_requested; }
static int no_cert_requested(const SSL *s) { return !s->conn->cert_requested; }
static int peer_cert(const SSL *s)
{
    return s->conn->peer_chain != NULL && sk_X509_num(s->conn->peer_chain) > 0;
}
static int no_peer_cert(const SSL *s) { return !peer_cert(s); }
/* The key exchange decides which of the server's messages come (kx.c): a Certificate unless the
 * suite is authenticated by a pre-shared key alone, a ServerKeyExchange when the kind has one
 * (always, or optionally: a PSK identity hint). */
static int full_cert(const SSL *s) { return full(s) && keel12_kx_server_cert(s->conn->cipher); }
static int full_no_cert(const SSL *s) { return full(s) && !keel12_kx_server_cert(s->conn->cipher); }
static int server_cert(const SSL *s) { return keel12_kx_server_cert(s->conn->cipher); }
static int ske_allowed(const SSL *s) { return keel12_kx_ske(s->conn->cipher) != KEEL12_SKE_NONE; }
static int ske_not_due(const SSL *s) { return keel12_kx_ske(s->conn->cipher) != KEEL12_SKE_REQUIRED; }
static int full_no_cert_ske_not_due(const SSL *s) { return full_no_cert(s) && ske_not_due(s); }
/* RFC 6066 §8: a CertificateStatus may follow Certificate when the ServerHello acknowledged
 * status_request; the server may still leave it out (OpenSSL 3.0's client allows that too). */
static int status_expected(const SSL *s) { return s->conn->hs->status_expected; }
/* The client picks its certificate as soon as it is asked (before ServerHelloDone), as OpenSSL's
 * client does, so client_cert_cb suspends in TLS_ST_CR_CERT_REQ. */
static int cert_to_choose(const SSL *s)
{
    return s->conn->cert_requested && s->conn->hs != NULL && !s->conn->hs->cert12_chosen;
}

/* A renegotiation we start (SSL_renegotiate): the client's ClientHello, the server's
 * HelloRequest; one the peer starts is read in TLS_ST_OK (tls12/reneg.c). */
static int reneg_ours(const SSL *s) { return s->conn->hs->reneg_ours; }

#define R(st, srv, msg, guard, fn, next) { st, srv, msg, guard, fn, NULL, next }
#define W(st, srv, guard, fn, next) { st, srv, KEEL_WRITE, guard, NULL, fn, next }

static const keel_row rows[] = {
    /* renegotiation (RFC 5746): the client's new ClientHello (ours, or answering a HelloRequest)
     * and the ServerHello; the server's HelloRequest and the client's new ClientHello */
    W(TLS_ST_OK, 0, reneg_ours, keel12_client_write_reneg_hello, TLS_ST_CW_CLNT_HELLO),
    R(TLS_ST_OK, 0, SSL3_MT_HELLO_REQUEST, NULL, keel12_client_hello_request, TLS_ST_CR_HELLO_REQ),
    W(TLS_ST_CR_HELLO_REQ, 0, NULL, keel12_client_write_reneg_hello, TLS_ST_CW_CLNT_HELLO),
    R(TLS_ST_CW_CLNT_HELLO, 0, SSL3_MT_SERVER_HELLO, NULL, keel_client_read_server_hello,
      TLS_ST_CR_SRVR_HELLO),
    W(TLS_ST_OK, 1, reneg_ours, keel12_server_write_hello_request, TLS_ST_SW_HELLO_REQ),
    R(TLS_ST_OK, 1, SSL3_MT_CLIENT_HELLO, NULL, keel12_server_reneg_hello, TLS_ST_SR_CLNT_HELLO),
    /* client, full: ServerHello (TLS 1.3 table) [Certificate] [ServerKeyExchange]
     * [CertificateRequest] ServerHelloDone (which: the key exchange's guards above); our
     * flight; [NewSessionTicket] CCS Finished */
    R(TLS_ST_CR_SRVR_HELLO, 0, SSL3_MT_CERTIFICATE, full_cert, keel12_client_read_certificate,
      TLS_ST_CR_CERT),
    R(TLS_ST_CR_SRVR_HELLO, 0, SSL3_MT_SERVER_KEY_EXCHANGE, full_no_cert,
      keel12_client_read_key_exchange, TLS_ST_CR_KEY_EXCH),
    R(TLS_ST_CR_SRVR_HELLO, 0, SSL3_MT_SERVER_DONE, full_no_cert_ske_not_due,
      keel12_client_read_server_done, TLS_ST_CR_SRVR_DONE),
    R(TLS_ST_CR_CERT, 0, SSL3_MT_SERVER_KEY_EXCHANGE, ske_allowed, keel12_client_read_key_exchange,
      TLS_ST_CR_KEY_EXCH),
    R(TLS_ST_CR_CERT, 0, SSL3_MT_CERTIFICATE_REQUEST, ske_not_due, keel12_client_read_cert_request,
      TLS_ST_CR_CERT_REQ),
    R(TLS_ST_CR_CERT, 0, SSL3_MT_SERVER_DONE, ske_not_due, keel12_client_read_server_done,
      TLS_ST_CR_SRVR_DONE),
    /* [CertificateStatus] (RFC 6066 §8), then what follows Certificate */
    R(TLS_ST_CR_CERT, 0, SSL3_MT_CERTIFICATE_STATUS, status_expected, keel12_client_read_cert_status,
      TLS_ST_CR_CERT_STATUS),
    R(TLS_ST_CR_CERT_STATUS, 0, SSL3_MT_SERVER_KEY_EXCHANGE, ske_allowed,
      keel12_client_read_key_exchange, TLS_ST_CR_KEY_EXCH),
    R(TLS_ST_CR_CERT_STATUS, 0, SSL3_MT_CERTIFICATE_REQUEST, ske_not_due,
      keel12_client_read_cert_request, TLS_ST_CR_CERT_REQ),
    R(TLS_ST_CR_CERT_STATUS, 0, SSL3_MT_SERVER_DONE, ske_not_due, keel12_client_read_server_done,
      TLS_ST_CR_SRVR_DONE),
    R(TLS_ST_CR_KEY_EXCH, 0, SSL3_MT_CERTIFICATE_REQUEST, server_cert, keel12_client_read_cert_request,
      TLS_ST_CR_CERT_REQ),
    R(TLS_ST_CR_KEY_EXCH, 0, SSL3_MT_SERVER_DONE, NULL, keel12_client_read_server_done,
      TLS_ST_CR_SRVR_DONE),
    W(TLS_ST_CR_CERT_REQ, 0, cert_to_choose, keel12_client_choose_cert, TLS_ST_CR_CERT_REQ),
    R(TLS_ST_CR_CERT_REQ, 0, SSL3_MT_SERVER_DONE, NULL, keel12_client_read_server_done,
      TLS_ST_CR_SRVR_DONE),
    /* [Certificate] ClientKeyExchange [CertificateVerify] CCS Finished */
    W(TLS_ST_CR_SRVR_DONE, 0, NULL, keel12_client_write_flight, TLS_ST_CW_FINISHED),
    R(TLS_ST_CW_FINISHED, 0, SSL3_MT_NEWSESSION_TICKET, full_ticket, keel12_client_read_ticket,
      TLS_ST_CR_SESSION_TICKET),
    R(TLS_ST_CW_FINISHED, 0, KEEL_MT_CCS, full_no_ticket, keel12_read_ccs, TLS_ST_CR_CHANGE),
    /* client, abbreviated: ServerHello [NewSessionTicket] CCS Finished; our CCS Finished */
    R(TLS_ST_CR_SRVR_HELLO, 0, SSL3_MT_NEWSESSION_TICKET, resumed_ticket, keel12_client_read_ticket,
      TLS_ST_CR_SESSION_TICKET),
    R(TLS_ST_CR_SRVR_HELLO, 0, KEEL_MT_CCS, resumed_no_ticket, keel12_read_ccs, TLS_ST_CR_CHANGE),
    R(TLS_ST_CR_SESSION_TICKET, 0, KEEL_MT_CCS, NULL, keel12_read_ccs, TLS_ST_CR_CHANGE),
    R(TLS_ST_CR_CHANGE, 0, SSL3_MT_FINISHED, NULL, keel12_client_read_finished, TLS_ST_CR_FINISHED),
    W(TLS_ST_CR_FINISHED, 0, resumed, keel12_client_write_finished, TLS_ST_CW_FINISHED),

    /* server, full: ServerHello Certificate ServerKeyExchange [CertificateRequest]
     * ServerHelloDone; the client's [Certificate] ClientKeyExchange [CertificateVerify] CCS
     * Finished; [NewSessionTicket] CCS Finished */
    W(TLS_ST_SR_CLNT_HELLO, 1, full, keel12_server_write_hello, TLS_ST_SW_SRVR_DONE),
    R(TLS_ST_SW_SRVR_DONE, 1, SSL3_MT_CERTIFICATE, cert_requested, keel_read_client_certificate,
      TLS_ST_SR_CERT),
    R(TLS_ST_SW_SRVR_DONE, 1, SSL3_MT_CLIENT_KEY_EXCHANGE, no_cert_requested,
      keel12_server_read_key_exchange, TLS_ST_SR_KEY_EXCH),
    R(TLS_ST_SR_CERT, 1, SSL3_MT_CLIENT_KEY_EXCHANGE, NULL, keel12_server_read_key_exchange,
      TLS_ST_SR_KEY_EXCH),
    R(TLS_ST_SR_KEY_EXCH, 1, SSL3_MT_CERTIFICATE_VERIFY, peer_cert, keel12_server_read_cert_verify,
      TLS_ST_SR_CERT_VRFY),
    R(TLS_ST_SR_KEY_EXCH, 1, KEEL_MT_CCS, no_peer_cert, keel12_read_ccs, TLS_ST_SR_CHANGE),
    R(TLS_ST_SR_CERT_VRFY, 1, KEEL_MT_CCS, NULL, keel12_read_ccs, TLS_ST_SR_CHANGE),
    R(TLS_ST_SR_CHANGE, 1, SSL3_MT_FINISHED, NULL, keel12_read_finished, TLS_ST_SR_FINISHED),
    /* [NewSessionTicket] CCS Finished */
    W(TLS_ST_SR_FINISHED, 1, full, keel12_server_write_finished, TLS_ST_SW_FINISHED),
    /* server, abbreviated: ServerHello [NewSessionTicket] CCS Finished; the client's CCS
     * Finished */
    W(TLS_ST_SR_CLNT_HELLO, 1, resumed, keel12_server_write_resumed, TLS_ST_SW_FINISHED),
    R(TLS_ST_SW_FINISHED, 1, KEEL_MT_CCS, resumed, keel12_read_ccs, TLS_ST_SR_CHANGE),
};

/* Who speaks last: the server in a full handshake, the client in an abbreviated one. A
 * HelloRequest, or a renegotiation declined, ends where it is (reneg.c). */
static int complete(const SSL *s)
{
    int resumed = s->conn->resumed;
    if (s->conn->hs->reneg_over)
        return 1;
    if (s->server)
        return s->state == (resumed ? TLS_ST_SR_FINISHED : TLS_ST_SW_FINISHED);
    return s->state == (resumed ? TLS_ST_CW_FINISHED : TLS_ST_CR_FINISHED);
}

/* The client's session is announced once the handshake is over (client.c). */
static void finish(SSL *s)
{
    int declined = s->conn->hs->reneg_over;
    keel12_reneg_finish(s);
    if (!s->server && !declined)
        keel12_client_finish(s);
}

static const keel_table table = { rows, sizeof(rows) / sizeof(rows[0]), 1, complete, finish, 1 };

const keel_table *keel_tls12_table(void)
{
    return &table;
}
