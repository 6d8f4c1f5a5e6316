/* What a connection negotiated, and OpenSSL's strings for versions, alerts and states
 * (SSL_get_version(3), SSL_alert_type_string(3), SSL_state_string(3), SSL_get_peer_certificate(3),
 * SSL_CTX_set_alpn_select_cb(3)). */
#include "handshake/hs.h"
#include "handshake/tls12/tls12.h"
#include "proto/session.h"

#include <string.h>

/* OpenSSL's name for a protocol version (SSL_get_version(3)). */
const char *keel_version_name(int v)
{
    switch (v) {
    case TLS1_3_VERSION: return "TLSv1.3";
    case TLS1_2_VERSION: return "TLSv1.2";
    case TLS1_1_VERSION: return "TLSv1.1";
    case TLS1_VERSION: return "TLSv1";
    case SSL3_VERSION: return "SSLv3";
    default: return "unknown";
    }
}

/* Before a handshake, OpenSSL reports the highest version the method allows. */
int SSL_version(const SSL *s)
{
    if (s->conn != NULL && s->conn->version != 0)
        return s->conn->version;
    return s->s->method->version == TLS_ANY_VERSION ? TLS1_3_VERSION : s->s->method->version;
}

const char *SSL_get_version(const SSL *s) { return keel_version_name(SSL_version(s)); }

const SSL_CIPHER *SSL_get_current_cipher(const SSL *s)
{
    if (s->conn == NULL) /* before a handshake or after SSL_clear: the session's, as OpenSSL */
        return s->session != NULL ? s->session->cipher : NULL;
    return !s->in_init ? s->conn->cipher : NULL;
}

const SSL_CIPHER *SSL_get_pending_cipher(const SSL *s)
{
    return s->conn != NULL ? s->conn->cipher : NULL;
}

/* After resumption the peer's certificate is the one the session recorded. */
X509 *SSL_get0_peer_certificate(const SSL *s)
{
    /* A certificate that failed verification and ended the handshake is not taken as the peer's
     * (OpenSSL sets the peer only once it is verified; the chain is still reported). */
    if (s->conn != NULL && s->conn->fatal && s->verify_result != X509_V_OK)
        return NULL;
    /* Before a handshake or after SSL_clear: the session's. */
    if (s->conn == NULL)
        return s->session != NULL ? s->session->peer : NULL;
    if (s->conn->peer_chain != NULL)
        return sk_X509_value(s->conn->peer_chain, 0);
    if (s->conn->resumed && s->session != NULL)
        return s->session->peer;
    return NULL;
}

X509 *SSL_get1_peer_certificate(const SSL *s)
{
    X509 *x = SSL_get0_peer_certificate(s);
    if (x != NULL)
        X509_up_ref(x);
    return x;
}

/* As OpenSSL: on a client the chain includes the leaf; on a server it does not. */
STACK_OF(X509) *SSL_get_peer_cert_chain(const SSL *s)
{
    keel_conn *c = s->conn;
    if (c == NULL)
        return s->cleared_chain;
    if (c->peer_chain == NULL)
        return NULL;
    if (!s->server)
        return c->peer_chain;
    /* The view holds its own references and is dropped whenever the peer chain is replaced
     * (keel_read_certificate), so it never outlives what it shows. */
    if (c->peer_chain_noleaf == NULL) {
        STACK_OF(X509) *v = X509_chain_up_ref(c->peer_chain);
        if (v == NULL)
            return NULL;
        X509_free(sk_X509_shift(v));
        c->peer_chain_noleaf = v;
    }
    return c->peer_chain_noleaf;
}

STACK_OF(X509) *SSL_get0_verified_chain(const SSL *s)
{
    return s->conn != NULL ? s->conn->verified_chain : s->cleared_verified;
}

void SSL_get0_alpn_selected(const SSL *s, const unsigned char **data, unsigned int *len)
{
    if (s->conn != NULL && s->conn->alpn != NULL) {
        *data = s->conn->alpn;
        *len = (unsigned int)s->conn->alpn_len;
    } else {
        *data = NULL;
        *len = 0;
    }
}

/* SSL_select_next_proto(3): the first of the server's protocols that the client also lists;
 * failing that, the client's first (OPENSSL_NPN_NO_OVERLAP). */
int SSL_select_next_proto(unsigned char **out, unsigned char *outlen, const unsigned char *server,
                          unsigned int server_len, const unsigned char *client, unsigned int client_len)
{
    for (unsigned int i = 0; i < server_len; i += 1u + server[i]) {
        if (i + 1u + server[i] > server_len)
            break;
        for (unsigned int j = 0; j < client_len; j += 1u + client[j]) {
            if (j + 1u + client[j] > client_len)
                break;
            if (server[i] == client[j] && memcmp(server + i + 1, client + j + 1, server[i]) == 0) {
                *out = (unsigned char *)server + i + 1;
                *outlen = server[i];
                return OPENSSL_NPN_NEGOTIATED;
            }
        }
    }
    if (client_len > 0 && client[0] > 0 && client[0] < client_len) {
        *out = (unsigned char *)client + 1;
        *outlen = client[0];
    } else {
        *out = NULL;
        *outlen = 0;
    }
    return OPENSSL_NPN_NO_OVERLAP;
}

int SSL_export_keying_material(SSL *s, unsigned char *out, size_t olen, const char *label,
                               size_t llen, const unsigned char *context, size_t contextlen,
                               int use_context)
{
    keel_conn *c = s->conn;
    /* As OpenSSL 3.0 (tests/diff/errcodes.c): -1 and no reason without a connection (no session
     * yet), 0 and an internal error while the handshake has not made the secrets. */
    if (c == NULL)
        return -1;
    if (!s->in_init && c->version == TLS1_2_VERSION) /* RFC 5705 */
        return keel12_export(s, out, olen, label, llen, context, contextlen, use_context);
    if (s->in_init || c->version != TLS1_3_VERSION) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    return keel_ks_export(s->ctx->algs, c->cipher->hash, c->exporter, label, llen, context,
                          contextlen, use_context, out, olen);
}

/* ---- alert strings: OpenSSL's two-letter codes and long names, per RFC 8446 §6 ---- */

const char *SSL_alert_type_string(int value)
{
    switch (value >> 8) {
    case SSL3_AL_WARNING: return "W";
    case SSL3_AL_FATAL: return "F";
    default: return "U";
    }
}

const char *SSL_alert_type_string_long(int value)
{
    switch (value >> 8) {
    case SSL3_AL_WARNING: return "warning";
    case SSL3_AL_FATAL: return "fatal";
    default: return "unknown";
    }
}

static const struct { int code; const char *s, *l; } alerts[] = {
    { SSL3_AD_CLOSE_NOTIFY, "CN", "close notify" },
    { SSL3_AD_UNEXPECTED_MESSAGE, "UM", "unexpected_message" },
    { SSL3_AD_BAD_RECORD_MAC, "BM", "bad record mac" },
    { TLS1_AD_DECRYPTION_FAILED, "DC", "decryption failed" },
    { TLS1_AD_RECORD_OVERFLOW, "RO", "record overflow" },
    { SSL3_AD_DECOMPRESSION_FAILURE, "DF", "decompression failure" },
    { SSL3_AD_HANDSHAKE_FAILURE, "HF", "handshake failure" },
    { SSL3_AD_NO_CERTIFICATE, "NC", "no certificate" },
    { SSL3_AD_BAD_CERTIFICATE, "BC", "bad certificate" },
    { SSL3_AD_UNSUPPORTED_CERTIFICATE, "UC", "unsupported certificate" },
    { SSL3_AD_CERTIFICATE_REVOKED, "CR", "certificate revoked" },
    { SSL3_AD_CERTIFICATE_EXPIRED, "CE", "certificate expired" },
    { SSL3_AD_CERTIFICATE_UNKNOWN, "CU", "certificate unknown" },
    { SSL3_AD_ILLEGAL_PARAMETER, "IP", "illegal parameter" },
    { TLS1_AD_UNKNOWN_CA, "CA", "unknown CA" },
    { TLS1_AD_ACCESS_DENIED, "AD", "access denied" },
    { TLS1_AD_DECODE_ERROR, "DE", "decode error" },
    { TLS1_AD_DECRYPT_ERROR, "CY", "decrypt error" },
    { TLS1_AD_EXPORT_RESTRICTION, "ER", "export restriction" },
    { TLS1_AD_PROTOCOL_VERSION, "PV", "protocol version" },
    { TLS1_AD_INSUFFICIENT_SECURITY, "IS", "insufficient security" },
    { TLS1_AD_INTERNAL_ERROR, "IE", "internal error" },
    { TLS1_AD_USER_CANCELLED, "US", "user canceled" },
    { TLS1_AD_NO_RENEGOTIATION, "NR", "no renegotiation" },
    { TLS1_AD_UNSUPPORTED_EXTENSION, "UE", "unsupported extension" },
    { TLS1_AD_CERTIFICATE_UNOBTAINABLE, "CO", "certificate unobtainable" },
    { TLS1_AD_UNRECOGNIZED_NAME, "UN", "unrecognized name" },
    { TLS1_AD_BAD_CERTIFICATE_STATUS_RESPONSE, "BR", "bad certificate status response" },
    { TLS1_AD_BAD_CERTIFICATE_HASH_VALUE, "BH", "bad certificate hash value" },
    { TLS1_AD_UNKNOWN_PSK_IDENTITY, "UP", "unknown PSK identity" },
    /* OpenSSL 3.0 has a long name only for this one of the later alerts, and no name at all
     * for inappropriate_fallback, missing_extension and certificate_required: "UK" /
     * "unknown", as its strings are what applications print and match. */
    { TLS1_AD_NO_APPLICATION_PROTOCOL, "UK", "no application protocol" },
};

const char *SSL_alert_desc_string(int value)
{
    for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
        if (alerts[i].code == (value & 0xff))
            return alerts[i].s;
    return "UK";
}

const char *SSL_alert_desc_string_long(int value)
{
    for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
        if (alerts[i].code == (value & 0xff))
            return alerts[i].l;
    return "unknown";
}

/* ---- handshake state strings (SSL_state_string(3)) ---- */

static const struct { OSSL_HANDSHAKE_STATE st; const char *s, *l; } states[] = {
    { TLS_ST_BEFORE, "PINIT", "before SSL initialization" },
    { TLS_ST_OK, "SSLOK", "SSL negotiation finished successfully" },
    { TLS_ST_CW_CLNT_HELLO, "TWCH", "SSLv3/TLS write client hello" },
    { TLS_ST_CR_SRVR_HELLO, "TRSH", "SSLv3/TLS read server hello" },
    { TLS_ST_CR_ENCRYPTED_EXTENSIONS, "TREE", "TLSv1.3 read encrypted extensions" },
    { TLS_ST_CR_CERT_REQ, "TRCR", "SSLv3/TLS read server certificate request" },
    { TLS_ST_CR_CERT, "TRSC", "SSLv3/TLS read server certificate" },
    { TLS_ST_CR_CERT_VRFY, "TRSCV", "TLSv1.3 read server certificate verify" },
    { TLS_ST_CR_FINISHED, "TRFIN", "SSLv3/TLS read finished" },
    { TLS_ST_CW_FINISHED, "TWFIN", "SSLv3/TLS write finished" },
    { TLS_ST_SR_CLNT_HELLO, "TRCH", "SSLv3/TLS read client hello" },
    { TLS_ST_SW_SRVR_HELLO, "TWSH", "SSLv3/TLS write server hello" },
    { TLS_ST_SW_FINISHED, "TWFIN", "SSLv3/TLS write finished" },
    { TLS_ST_SR_CERT, "TRCC", "SSLv3/TLS read client certificate" },
    { TLS_ST_SR_CERT_VRFY, "TRCV", "SSLv3/TLS read certificate verify" },
    { TLS_ST_SR_FINISHED, "TRFIN", "SSLv3/TLS read finished" },
    /* The states the info callback passes through (keel_step), named as OpenSSL names them. */
    { TLS_ST_CW_CHANGE, "TWCCS", "SSLv3/TLS write change cipher spec" },
    { TLS_ST_CW_CERT, "TWCC", "SSLv3/TLS write client certificate" },
    { TLS_ST_CW_CERT_VRFY, "TWCV", "SSLv3/TLS write certificate verify" },
    { TLS_ST_SW_CHANGE, "TWCCS", "SSLv3/TLS write change cipher spec" },
    { TLS_ST_SW_ENCRYPTED_EXTENSIONS, "TWEE", "TLSv1.3 write encrypted extensions" },
    { TLS_ST_SW_CERT_REQ, "TWCR", "SSLv3/TLS write certificate request" },
    { TLS_ST_SW_CERT, "TWSC", "SSLv3/TLS write certificate" },
    { TLS_ST_SW_CERT_VRFY, "TWSCV", "TLSv1.3 write server certificate verify" },
    { TLS_ST_EARLY_DATA, "TED", "TLSv1.3 early data" },
    { TLS_ST_PENDING_EARLY_DATA_END, "TPEDE", "TLSv1.3 pending early data end" },
    /* OpenSSL 3.0 gives the server's state the client's short name too */
    { TLS_ST_CW_END_OF_EARLY_DATA, "TWEOED", "SSLv3/TLS write end of early data" },
    { TLS_ST_SR_END_OF_EARLY_DATA, "TWEOED", "SSLv3/TLS read end of early data" },
    { TLS_ST_SW_SESSION_TICKET, "TWST", "SSLv3/TLS write session ticket" },
    { TLS_ST_CR_SESSION_TICKET, "TRST", "SSLv3/TLS read server session ticket" },
    { TLS_ST_CW_KEY_UPDATE, "TWCKU", "TLSv1.3 write client key update" },
    { TLS_ST_SW_KEY_UPDATE, "TWSKU", "TLSv1.3 write server key update" },
    { TLS_ST_CR_KEY_UPDATE, "TRSKU", "TLSv1.3 read server key update" },
    { TLS_ST_SR_KEY_UPDATE, "TRCKU", "TLSv1.3 read client key update" },
    /* TLS 1.2's own states (RFC 5246 §7.3), both roles */
    { TLS_ST_CR_KEY_EXCH, "TRSKE", "SSLv3/TLS read server key exchange" },
    { TLS_ST_CR_SRVR_DONE, "TRSD", "SSLv3/TLS read server done" },
    { TLS_ST_CW_KEY_EXCH, "TWCKE", "SSLv3/TLS write client key exchange" },
    { TLS_ST_CR_CHANGE, "TRCCS", "SSLv3/TLS read change cipher spec" },
    { TLS_ST_SW_KEY_EXCH, "TWSKE", "SSLv3/TLS write key exchange" },
    { TLS_ST_SW_SRVR_DONE, "TWSD", "SSLv3/TLS write server done" },
    { TLS_ST_SR_KEY_EXCH, "TRCKE", "SSLv3/TLS read client key exchange" },
    { TLS_ST_SR_CHANGE, "TRCCS", "SSLv3/TLS read change cipher spec" },
    { TLS_ST_CR_CERT_STATUS, "TRCS", "SSLv3/TLS read certificate status" },
    { TLS_ST_SW_CERT_STATUS, "TWCS", "SSLv3/TLS write certificate status" },
    /* renegotiation (RFC 5246 §7.4.1.1) */
    { TLS_ST_SW_HELLO_REQ, "TWHR", "SSLv3/TLS write hello request" },
    { TLS_ST_CR_HELLO_REQ, "TRHR", "SSLv3/TLS read hello request" },
};

const char *SSL_state_string(const SSL *s)
{
    if (s->conn != NULL && s->conn->fatal)
        return "SSLERR";
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        if (states[i].st == keel_shown_state(s))
            return states[i].s;
    return "UNKWN";
}

const char *SSL_state_string_long(const SSL *s)
{
    if (s->conn != NULL && s->conn->fatal)
        return "error"; /* as OpenSSL's state machine in its error state */
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        if (states[i].st == keel_shown_state(s))
            return states[i].l;
    return "unknown state";
}
