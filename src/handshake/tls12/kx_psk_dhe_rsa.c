/* The TLS 1.2 PSK kinds whose premaster secret wraps another key exchange's (RFC 4279 §2: other_secret
 * || psk), entries of kx.c's dispatch:
 *   - DHE_PSK (RFC 4279 §3): ServerKeyExchange = psk_identity_hint + ServerDHParams, unsigned;
 *     ClientKeyExchange = psk_identity + ClientDiffieHellmanPublic; other_secret = Z without its
 *     leading zeros, "the same as for DHE" (RFC 5246 §8.1.2), as OpenSSL 3.0 computes it. The
 *     server needs DH parameters as for DHE (SSL_CTX_set_tmp_dh(3), dh_auto sized by the suite's
 *     cipher since no certificate is sent): without them it chooses no DHE_PSK suite.
 *   - RSA_PSK (RFC 4279 §4): the server's RSA Certificate, a ServerKeyExchange only with a hint
 *     (as for PSK and as OpenSSL 3.0 sends it); ClientKeyExchange = psk_identity +
 *     EncryptedPreMasterSecret; other_secret = the 48-byte RSA premaster secret, decrypted in the
 *     implicit-rejection mode of kx_rsa.c, so a bad one fails at Finished as for RSA.
 * Each step is the DHE, RSA or PSK kind's own code (kx_dhe.c, kx_rsa.c, kx_psk.c), called. */
#include "handshake/tls12/tls12.h"

/* ---- server ---- */

int keel12_dhe_psk_usable(SSL *s)
{
    return keel12_psk_usable(s) && keel12_dhe_usable(s);
}

int keel12_dhe_psk_write_params(SSL *s, keel_wr *w)
{
    return keel12_psk_write_hint(s, w) && keel12_dhe_write_params(s, w);
}

int keel12_dhe_psk_read_cke(SSL *s, keel_rd *body)
{
    return keel12_psk_read_cke_with(s, body, keel12_dhe_read_cke);
}

int keel12_rsa_psk_read_cke(SSL *s, keel_rd *body)
{
    return keel12_psk_read_cke_with(s, body, keel12_rsa_read_cke);
}

/* ---- client ---- */

/* The hint, then ServerDHParams with nothing after them (no signature: the PSK authenticates).
 * Z is kept in c->hs->pms until the ClientKeyExchange wraps it with the PSK. */
int keel12_dhe_psk_read_ske(SSL *s, keel_rd *body)
{
    keel12_dh_params dp;
    int alert = keel12_psk_read_hint(s, body);

    if (alert != 0)
        return alert;
    if (!keel12_dhe_params_parse(body, &dp)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    if (!keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_EXTRA_DATA_IN_MESSAGE);
        return SSL_AD_DECODE_ERROR;
    }
    if ((alert = keel12_dhe_params_check(s, &dp)) != 0 || (alert = keel12_dhe_derive(s, &dp)) != 0)
        return alert;
    keel12_dhe_take(s, &dp);
    return 0;
}

/* Z is in c->hs->pms since the ServerKeyExchange; dh_Yc follows the identity. */
int keel12_dhe_psk_write_cke(SSL *s, keel_wr *w)
{
    keel_hs *hs = s->conn->hs;
    return hs->pms != NULL && hs->kex != NULL && keel12_psk_write_cke_with(s, w, keel12_dhe_write_cke);
}

/* keel12_rsa_write_cke makes the 48-byte premaster secret (c->hs->pms) and encrypts it. */
int keel12_rsa_psk_write_cke(SSL *s, keel_wr *w)
{
    return keel12_psk_write_cke_with(s, w, keel12_rsa_write_cke);
}
