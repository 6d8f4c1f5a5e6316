/* The TLS 1.2 server's handlers (RFC 5246 §7.4). */
#include "handshake/tls12/tls12.h"

/* Not written yet: every handler refuses. */
static int todo(void)
{
    ERR_raise(ERR_LIB_SSL, SSL_R_UNSUPPORTED_PROTOCOL);
    return SSL_AD_PROTOCOL_VERSION;
}

int keel12_server_write_hello(SSL *s) { return todo(); }
int keel12_server_read_certificate(SSL *s, keel_rd *body) { return todo(); }
int keel12_server_read_key_exchange(SSL *s, keel_rd *body) { return todo(); }
int keel12_server_read_cert_verify(SSL *s, keel_rd *body) { return todo(); }
int keel12_server_read_finished(SSL *s, keel_rd *body) { return todo(); }
int keel12_server_write_finished(SSL *s) { return todo(); }
int keel12_server_write_resumed(SSL *s) { return todo(); }
