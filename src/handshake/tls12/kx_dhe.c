/* The DHE key exchange of TLS 1.2 (RFC 5246 §7.4.3 ServerDHParams, §7.4.7.2 explicit
 * ClientDiffieHellmanPublic, §8.1.2 premaster secret = Z without leading zeros): kx.c's entry for
 * NID_kx_dhe. The server's parameters are the application's (SSL_CTX_set_tmp_dh(3)); a server
 * with none offers no DHE suite, as OpenSSL 3.0's. The client refuses parameters that are no group
 * (illegal_parameter) or too small for its security level (SSL_SECOP_TMP_DH, handshake_failure,
 * as OpenSSL 3.0: tests/diff/dhe12.c), and a public value outside 1 < Y < p-1 (RFC 7919 §5.1). */
#include "handshake/tls12/tls12.h"

int keel12_dhe_usable(SSL *s)
{
    return s->s->dh_auto || s->s->dh_tmp != NULL || s->s->dh_tmp_cb != NULL;
}

/* OpenSSL 3.0's order (checked with tests/diff/dhe12.c): automatic parameters, else the
 * configured ones, else the callback's. Automatic: sized to the certificate key's strength (with
 * dh_auto 2, to 80 bits: 1024), never below the security level's minimum. */
static EVP_PKEY *server_params(SSL *s)
{
    const keel_settings *st = s->s;
    if (st->dh_auto) {
        /* (no certificate: a suite authenticated otherwise, sized by its cipher as the man page
         * says: 128 bits for a 256-bit key, else 80) */
        const keel_certkey *ck = s->conn->certkey;
        int bits = st->dh_auto == 2 ? 80
                 : ck != NULL ? keel_pkey_security_bits(ck->pkey)
                 : SSL_CIPHER_get_bits(s->conn->cipher, NULL) >= 256 ? 128 : 80;
        if (bits < keel_sec_level_bits(st))
            bits = keel_sec_level_bits(st);
        return keel_dhe_auto_params(s->ctx->algs, bits);
    }
    if (st->dh_tmp != NULL)
        return EVP_PKEY_up_ref(st->dh_tmp) ? st->dh_tmp : NULL;
    return keel_dh_from_callback(s);
}

int keel12_dhe_prepare(SSL *s)
{
    keel_conn *c = s->conn;
    EVP_PKEY *params = server_params(s);

    if (params == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_MISSING_TMP_DH_KEY);
        return SSL_AD_INTERNAL_ERROR;
    }
    /* Parameters the callback returns, or that a lowered level let in, are judged now. */
    if (!keel_sec_allowed(s->s, SSL_SECOP_TMP_DH, keel_pkey_security_bits(params), 0, params)) {
        EVP_PKEY_free(params);
        ERR_raise(ERR_LIB_SSL, SSL_R_DH_KEY_TOO_SMALL);
        return SSL_AD_HANDSHAKE_FAILURE;
    }
    keel_kex_free(c->hs->kex);
    c->group = 0; /* no named group (SSL_get_negotiated_group: 0, as OpenSSL 3.0) */
    c->hs->kex = keel_dhe_new(s->ctx->algs, params);
    EVP_PKEY_free(params);
    return c->hs->kex != NULL ? 0 : SSL_AD_INTERNAL_ERROR;
}

int keel12_dhe_write_params(SSL *s, keel_wr *w)
{
    return keel_dhe_params_wr(s->conn->hs->kex, w);
}

/* ClientKeyExchange: ClientDiffieHellmanPublic, explicit (RFC 5246 §7.4.7.2): dh_Yc<1..2^16-1>. */
int keel12_dhe_read_cke(SSL *s, keel_rd *body)
{
    keel_rd y;

    /* OpenSSL 3.0's reasons and alerts (tests/api/malformed12_kx.c on the system libssl). */
    if (!keel_rd_prefixed16(body, &y) || !keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_DH_PUBLIC_VALUE_LENGTH_IS_WRONG);
        return SSL_AD_DECODE_ERROR;
    }
    if (y.len == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_MISSING_TMP_DH_KEY);
        return SSL_AD_DECODE_ERROR;
    }
    return keel12_kex_read_peer(s, y);
}

/* ServerDHParams {dh_p, dh_g, dh_Ys, each <1..2^16-1>} (RFC 5246 §7.4.3): 1, or 0 when the
 * lengths do not parse (the caller's decode_error). */
int keel12_dhe_params_parse(keel_rd *body, keel12_dh_params *dp)
{
    return keel_rd_prefixed16(body, &dp->p) && keel_rd_prefixed16(body, &dp->g)
        && keel_rd_prefixed16(body, &dp->ys);
}

/* The server's group (c->hs->kex): refused when p and g are no group (illegal_parameter) or too
 * small for our security level (handshake_failure). 0 or the alert. */
int keel12_dhe_params_check(SSL *s, const keel12_dh_params *dp)
{
    keel_conn *c = s->conn;
    int bad = 0;

    if (dp->p.len == 0 || dp->g.len == 0 || dp->ys.len == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_DH_VALUE);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    keel_kex_free(c->hs->kex);
    if ((c->hs->kex = keel_dhe_new_peer(s->ctx->algs, dp->p.p, dp->p.len, dp->g.p, dp->g.len, &bad)) == NULL)
        return bad ? SSL_AD_ILLEGAL_PARAMETER : SSL_AD_INTERNAL_ERROR;
    EVP_PKEY *params = keel_kex_params(c->hs->kex);
    if (!keel_sec_allowed(s->s, SSL_SECOP_TMP_DH, keel_pkey_security_bits(params), 0, params)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_DH_KEY_TOO_SMALL);
        return SSL_AD_HANDSHAKE_FAILURE;
    }
    return 0;
}

/* Z from the server's dh_Ys becomes the premaster secret (c->hs->pms; RFC 5246 §8.1.2: leading
 * zeros stripped). 0 or the alert (SSL_R_BAD_DH_VALUE: Ys outside 1 < Ys < p-1). */
int keel12_dhe_derive(SSL *s, const keel12_dh_params *dp)
{
    return keel12_kex_pms(s, dp->ys);
}

/* Once the params are accepted: no named group (SSL_get_negotiated_group reports 0, as OpenSSL
 * 3.0), and the server's value kept for SSL_get_peer_tmp_key. */
void keel12_dhe_take(SSL *s, const keel12_dh_params *dp)
{
    s->conn->group = 0;
    keel_conn_keep_tmp_keys(s->conn, dp->ys.p, dp->ys.len);
}

/* ServerKeyExchange: ServerDHParams, then the signature (RFC 5246 §7.4.3). The premaster secret
 * is computed here, before the signature is checked, as for ECDHE: a bad value is refused as
 * such. */
int keel12_dhe_read_ske(SSL *s, keel_rd *body)
{
    keel_rd all = *body;
    keel12_dh_params dp;
    keel12_ske_sig sig;
    int alert;

    if (!keel12_dhe_params_parse(body, &dp) || !keel12_ske_signature_parse(&all, body, &sig)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    if ((alert = keel12_dhe_params_check(s, &dp)) != 0
            || (alert = keel12_ske_signature_check(s, &sig)) != 0
            || (alert = keel12_dhe_derive(s, &dp)) != 0
            || (alert = keel12_ske_signature_verify(s, &sig)) != 0)
        return alert;
    keel12_dhe_take(s, &dp);
    return 0;
}

/* ClientKeyExchange: our dh_Yc<1..2^16-1>, padded to the prime's size as OpenSSL writes it. */
int keel12_dhe_write_cke(SSL *s, keel_wr *w)
{
    size_t m;
    return keel_wr_open16(w, &m) && keel_kex_public_wr(s->conn->hs->kex, w) && keel_wr_close(w, m);
}
