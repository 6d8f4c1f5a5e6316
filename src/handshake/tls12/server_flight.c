/* The TLS 1.2 server reading the client's flight (RFC 5246 §7.3 Figure 1): [Certificate]
 * ClientKeyExchange (kx.c) [CertificateVerify], then (after ChangeCipherSpec, keys.c) Finished. */
#include "handshake/tls12/tls12.h"

/* CertificateVerify (RFC 5246 §7.4.8): a scheme we listed that fits the client's key, over the
 * handshake messages so far, raw. */
int keel12_server_read_cert_verify(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    uint32_t scheme;
    keel_rd sig;
    uint16_t ours[KEEL_MAX_SIGALGS];
    size_t n = keel_sigalgs_effective(s, 1, SSL_SECOP_SIGALG_SUPPORTED, ours);
    EVP_PKEY *pub = X509_get0_pubkey(sk_X509_value(c->peer_chain, 0));
    const uint8_t *msgs;
    size_t msgs_len;

    if (!keel_rd_u16(body, &scheme) || !keel_rd_prefixed16(body, &sig) || !keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    if (!keel_u16_in(ours, n, (uint16_t)scheme) || pub == NULL
            || !keel_sig_key_matches(pub, (uint16_t)scheme, 0)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_SIGNATURE_TYPE);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    if (!keel_sec_sigalg(s->s, SSL_SECOP_SIGALG_CHECK, (uint16_t)scheme)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_SIGNATURE_TYPE);
        return SSL_AD_HANDSHAKE_FAILURE;
    }
    if (!keel_transcript_buffer(&c->hs->transcript, &msgs, &msgs_len))
        return SSL_AD_INTERNAL_ERROR;
    if (!keel_sig_verify(s->ctx->algs, pub, (uint16_t)scheme, msgs, msgs_len, sig.p, sig.len)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_SIGNATURE);
        return SSL_AD_DECRYPT_ERROR;
    }
    c->peer_sigalg = (uint16_t)scheme;
    return keel_hs_hash_current(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}
