/* The TLS 1.3 handshake as a table (RFC 8446 §2, Figure 1 and §A.1/§A.2): in each state, which
 * message may arrive and which handler takes it, and when it is our turn to speak. A row whose
 * guard fails is as if it were not there, so the message is an unexpected_message, refused by the
 * driver in one place before any handler sees it. Row format and driver contract: hs.h.
 * The version-independent first rows (the client's ClientHello, the server's first ClientHello)
 * live here for now: keel_table_for gives this table while no version is chosen. */
#include "handshake/hs.h"

/* RFC 8446 §2.2, §4.3.2: a PSK handshake has no CertificateRequest and no server Certificate;
 * without a PSK the server must authenticate before its Finished. */
static int psk(const SSL *s) { return s->conn->resumed; }
static int no_psk(const SSL *s) { return !s->conn->resumed; }
/* The server rests in TLS_ST_EARLY_DATA after each of its flights, as OpenSSL's does: after a
 * HelloRetryRequest the second ClientHello is due, after ServerHello..Finished the client's.
 * §4.4.2: the client sends a Certificate only in answer to a CertificateRequest, and then must.
 * A client that got a HelloRetryRequest answers it before reading on (§4.1.4). */
static int hrr_wait(const SSL *s) { return s->conn->hs->hrr_wait; }
static int flight_cert(const SSL *s)
{
    return !s->conn->hs->hrr_wait && s->conn->cert_requested && !keel_early_eoed_due(s);
}
static int flight_no_cert(const SSL *s)
{
    return !s->conn->hs->hrr_wait && !s->conn->cert_requested && !keel_early_eoed_due(s);
}

#define R(st, srv, msg, guard, fn, next) { st, srv, msg, guard, fn, NULL, next }
#define W(st, srv, guard, fn, next) { st, srv, KEEL_WRITE, guard, NULL, fn, next }

static const keel_row rows[] = {
    /* client */
    /* next by handler: CW_CLNT_HELLO, or EARLY_DATA when SSL_write_early_data drives it */
    W(TLS_ST_BEFORE, 0, NULL, keel_client_write_first_hello, KEEL_NEXT_BY_HANDLER),
    R(TLS_ST_CW_CLNT_HELLO, 0, SSL3_MT_SERVER_HELLO, NULL, keel_client_read_server_hello,
      TLS_ST_CR_SRVR_HELLO), /* a HelloRetryRequest too: hrr_wait then holds */
    R(TLS_ST_EARLY_DATA, 0, SSL3_MT_SERVER_HELLO, NULL, keel_client_read_server_hello,
      TLS_ST_CR_SRVR_HELLO),
    W(TLS_ST_CR_SRVR_HELLO, 0, hrr_wait, keel_client_write_retry_hello, TLS_ST_CW_CLNT_HELLO),
    R(TLS_ST_CR_SRVR_HELLO, 0, SSL3_MT_ENCRYPTED_EXTENSIONS, NULL,
      keel_client_read_encrypted_extensions, TLS_ST_CR_ENCRYPTED_EXTENSIONS),
    R(TLS_ST_CR_ENCRYPTED_EXTENSIONS, 0, SSL3_MT_CERTIFICATE_REQUEST, no_psk,
      keel_client_read_cert_request, TLS_ST_CR_CERT_REQ),
    R(TLS_ST_CR_ENCRYPTED_EXTENSIONS, 0, SSL3_MT_CERTIFICATE, no_psk, keel_client_read_certificate,
      TLS_ST_CR_CERT),
    R(TLS_ST_CR_ENCRYPTED_EXTENSIONS, 0, SSL3_MT_FINISHED, psk, keel_client_read_finished,
      TLS_ST_CR_FINISHED),
    R(TLS_ST_CR_CERT_REQ, 0, SSL3_MT_CERTIFICATE, NULL, keel_client_read_certificate, TLS_ST_CR_CERT),
    R(TLS_ST_CR_CERT, 0, SSL3_MT_CERTIFICATE_VERIFY, NULL, keel_client_read_cert_verify,
      TLS_ST_CR_CERT_VRFY),
    R(TLS_ST_CR_CERT_VRFY, 0, SSL3_MT_FINISHED, NULL, keel_client_read_finished, TLS_ST_CR_FINISHED),
    W(TLS_ST_CR_FINISHED, 0, NULL, keel_client_write_finished, TLS_ST_CW_FINISHED),
    /* server */
    R(TLS_ST_BEFORE, 1, SSL3_MT_CLIENT_HELLO, NULL, keel_server_read_client_hello,
      TLS_ST_SR_CLNT_HELLO),
    R(TLS_ST_EARLY_DATA, 1, SSL3_MT_CLIENT_HELLO, hrr_wait, keel_server_read_client_hello,
      TLS_ST_SR_CLNT_HELLO),
    /* cert_cb, then a HelloRetryRequest or ServerHello..Finished; both rest in EARLY_DATA */
    W(TLS_ST_SR_CLNT_HELLO, 1, NULL, keel_server_write_hello, TLS_ST_EARLY_DATA),
    /* next by handler: SR_CERT, or SR_CERT_VRFY after an empty Certificate */
    R(TLS_ST_EARLY_DATA, 1, SSL3_MT_CERTIFICATE, flight_cert, keel_server_read_certificate,
      KEEL_NEXT_BY_HANDLER),
    /* next by handler: SR_FINISHED, then SW_SESSION_TICKET per ticket written */
    R(TLS_ST_EARLY_DATA, 1, SSL3_MT_FINISHED, flight_no_cert, keel_server_read_finished,
      KEEL_NEXT_BY_HANDLER),
    /* Accepted early data ends with EndOfEarlyData before the client's flight (RFC 8446 §4.5). */
    R(TLS_ST_EARLY_DATA, 1, SSL3_MT_END_OF_EARLY_DATA, keel_early_eoed_due, keel_server_read_eoed,
      TLS_ST_SR_END_OF_EARLY_DATA),
    R(TLS_ST_SR_END_OF_EARLY_DATA, 1, SSL3_MT_FINISHED, flight_no_cert, keel_server_read_finished,
      KEEL_NEXT_BY_HANDLER),
    R(TLS_ST_SR_CERT, 1, SSL3_MT_CERTIFICATE_VERIFY, NULL, keel_read_cert_verify,
      TLS_ST_SR_CERT_VRFY),
    R(TLS_ST_SR_CERT_VRFY, 1, SSL3_MT_FINISHED, NULL, keel_server_read_finished,
      KEEL_NEXT_BY_HANDLER),
};

/* The server is done once it has the client's Finished (its tickets follow, in
 * SW_SESSION_TICKET), the client once it has sent its own. */
static int complete(const SSL *s)
{
    if (s->server)
        return s->state == TLS_ST_SR_FINISHED || s->state == TLS_ST_SW_SESSION_TICKET;
    return s->state == TLS_ST_CW_FINISHED;
}

static const keel_table table = { rows, sizeof(rows) / sizeof(rows[0]), 0, complete, NULL, 0 };

const keel_table *keel_tls13_table(void)
{
    return &table;
}
