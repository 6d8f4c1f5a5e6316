/* RSA key transport in TLS 1.2 (RFC 5246 §7.4.7.1): kx.c's entry for NID_kx_rsa. No
 * ServerKeyExchange; the client encrypts a 48-byte premaster secret {client_version, random[46]}
 * to the server certificate's RSA key (an rsaEncryption key: server.c's certificate choice never
 * serves these suites with an RSA-PSS one).
 *
 * The server must not reveal whether the decrypted premaster secret was well formed
 * (Bleichenbacher; ROBOT): libcrypto's implicit-rejection TLS padding mode gives a random
 * premaster secret for a bad padding, length or version, so the handshake goes on and fails at
 * Finished (bad_record_mac: the client's Finished does not open under the keys the server
 * derived), exactly as for a well-formed premaster secret that is merely wrong. Nothing here
 * branches on the decryption's result except a ciphertext that is publicly invalid. */
#include "handshake/tls12/tls12.h"

#include <string.h>

#define PMS_LEN 48

/* EncryptedPreMasterSecret: public-key-encrypted PreMasterSecret, opaque<0..2^16-1> in TLS 1.0
 * and later. */
int keel12_rsa_read_cke(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    keel_rd enc;
    uint8_t pms[PMS_LEN];

    if (!keel_rd_prefixed16(body, &enc) || !keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    /* The version check is against the ClientHello's client_version (§7.4.7.1), inside the
     * padding mode; 1 means pms holds the real or a random premaster secret, indistinguishably. */
    int r = keel_rsa_kx_decrypt(s->ctx->algs, c->certkey->pkey, enc.p, enc.len, c->client_version, pms);
    /* r == 0: publicly invalid (not the modulus' size or not below it): anyone can tell, so a
     * random premaster secret hides nothing; OpenSSL 3.0 fails the same way here. */
    int alert = r < 0 ? SSL_AD_INTERNAL_ERROR : r == 0 ? SSL_AD_DECRYPT_ERROR
              : keel12_set_pms(s, pms, PMS_LEN) ? 0 : SSL_AD_INTERNAL_ERROR;
    OPENSSL_cleanse(pms, sizeof(pms));
    return alert;
}

int keel12_rsa_write_cke(SSL *s, keel_wr *w)
{
    keel_conn *c = s->conn;
    EVP_PKEY *pub = X509_get0_pubkey(sk_X509_value(c->peer_chain, 0));
    uint8_t pms[PMS_LEN], *ct;
    size_t n = keel_rsa_kx_size(pub), m;
    int ok;

    if (!keel_rsa_kx_key_ok(pub) || n == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_CERTIFICATE_TYPE);
        return 0;
    }
    /* client_version: the version we offered in the ClientHello (legacy_version 0x0303). */
    pms[0] = TLS1_2_VERSION >> 8;
    pms[1] = TLS1_2_VERSION & 0xff;
    ok = keel_random(s->ctx->algs, pms + 2, PMS_LEN - 2)
        && keel_wr_open16(w, &m) && keel_wr_space(w, n, &ct)
        && keel_rsa_kx_encrypt(s->ctx->algs, pub, pms, PMS_LEN, ct, &n)
        && keel_wr_close(w, m) && keel12_set_pms(s, pms, PMS_LEN);
    OPENSSL_cleanse(pms, sizeof(pms));
    c->group = 0; /* no group: SSL_get_negotiated_group reports 0, as OpenSSL 3.0 */
    return ok;
}
