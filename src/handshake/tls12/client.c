/* The TLS 1.2 client's handlers (RFC 5246 §7.4). */
#include "handshake/tls12/tls12.h"

/* Not written yet: every handler refuses. */
static int todo(void)
{
    ERR_raise(ERR_LIB_SSL, SSL_R_UNSUPPORTED_PROTOCOL);
    return SSL_AD_PROTOCOL_VERSION;
}

int keel12_client_read_certificate(SSL *s, keel_rd *body) { return todo(); }
int keel12_client_read_key_exchange(SSL *s, keel_rd *body) { return todo(); }
int keel12_client_read_cert_request(SSL *s, keel_rd *body) { return todo(); }
int keel12_client_read_server_done(SSL *s, keel_rd *body) { return todo(); }
int keel12_client_write_flight(SSL *s) { return todo(); }
int keel12_client_read_ticket(SSL *s, keel_rd *body) { return todo(); }
int keel12_client_read_finished(SSL *s, keel_rd *body) { return todo(); }
int keel12_client_write_finished(SSL *s) { return todo(); }
