/* SSL_renegotiate(3): TLS 1.2 renegotiation asked for by the application; the handshake itself is
 * src/handshake/tls12/reneg.c's, started by the next SSL_do_handshake, SSL_read or SSL_write. */
#include "handshake/hs.h"

/* OpenSSL 3.0's two refusals: TLS 1.3 has no renegotiation (RFC 8446 §4.1.2: a ClientHello after
 * the handshake is unexpected), and SSL_OP_NO_RENEGOTIATION. Before a handshake the call succeeds
 * and does nothing, as OpenSSL's. */
static int request(SSL *s, int kind)
{
    if (s->conn != NULL && s->conn->version == TLS1_3_VERSION) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_SSL_VERSION);
        return 0;
    }
    if (s->s->options & SSL_OP_NO_RENEGOTIATION) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_RENEGOTIATION);
        return 0;
    }
    if (s->conn != NULL)
        s->conn->reneg_req = kind;
    return 1;
}

/* A full handshake: a client offers no session, a server (with
 * SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION) resumes none. */
int SSL_renegotiate(SSL *s) { return request(s, KEEL_RENEG_FULL); }

/* A client offers its current session (RFC 5246 §7.3 Figure 2 when the server resumes it). */
int SSL_renegotiate_abbreviated(SSL *s) { return request(s, KEEL_RENEG_ABBREV); }

/* From the request (ours, or the peer's accepted) until that renegotiation completes. */
int SSL_renegotiate_pending(const SSL *s)
{
    return s->conn != NULL && s->conn->reneg_req != KEEL_RENEG_NONE;
}
