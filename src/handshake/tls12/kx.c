/* TLS 1.2 key exchange, by the suite's kind (SSL_CIPHER_get_kx_nid): what each kind needs from the
 * server (a usable configuration, a ServerKeyExchange, a Certificate), and the two messages that
 * carry it (ServerKeyExchange RFC 5246 §7.4.3, ClientKeyExchange §7.4.7). This file holds the
 * dispatch and ECDHE (RFC 8422 §5.4, §5.7); each further kind is one more entry of `kinds` with its
 * handlers in a file of its own. Every kind ends with the premaster secret (c->hs->pms), from which
 * keel12_master_secret derives the master secret once ClientKeyExchange is through. */
#include "handshake/tls12/tls12.h"

#include <string.h>

typedef struct {
    int kx_nid;
    int ske;       /* KEEL12_SKE_*: whether the server sends ServerKeyExchange */
    int sign;      /* the ServerKeyExchange params are signed with the certificate's key */
    /* server: whether this kind can be served to this client (a shared group, a configured
     * parameter set, a callback); may record the choice in the connection. NULL: always (RSA:
     * the certificate, server.c's cert_for, is all it needs) */
    int (*usable)(SSL *s);
    /* server, once the suite is chosen: the ephemeral key or other state; 0 or the alert */
    int (*prepare)(SSL *s);
    /* server: the ServerKeyExchange params (all of it but the signature); 1 / 0 */
    int (*write_params)(SSL *s, keel_wr *w);
    /* server: ClientKeyExchange's body; sets c->hs->pms; 0 or the alert */
    int (*read_cke)(SSL *s, keel_rd *body);
    /* client: ServerKeyExchange's body, whole (params and signature: keel12_ske_signature); 0 or
     * the alert */
    int (*read_ske)(SSL *s, keel_rd *body);
    /* client: ClientKeyExchange's body; sets c->hs->pms if read_ske did not; 1 / 0 */
    int (*write_cke)(SSL *s, keel_wr *w);
} keel12_kx;

/* ---- ECDHE (RFC 8422) ---- */

/* The group (RFC 8422 §5.1.1): in the client's supported_groups order, or ours with
 * SSL_OP_CIPHER_SERVER_PREFERENCE, as OpenSSL 3.0 orders them. A client without the extension
 * shares none with us: OpenSSL 3.0 then has no ECDHE suite to offer it (checked: no shared
 * cipher), although RFC 8422 §4 would let a server assume any. */
int keel12_ecdhe_usable(SSL *s)
{
    keel_conn *c = s->conn;
    uint16_t ours[KEEL_MAX_GROUPS];
    size_t n = keel_groups_effective(s, SSL_SECOP_CURVE_SUPPORTED, ours);
    int server_pref = (s->s->options & SSL_OP_CIPHER_SERVER_PREFERENCE) != 0;
    const uint16_t *pref = server_pref ? ours : c->peer_groups;
    size_t npref = server_pref ? n : c->npeer_groups;

    for (size_t i = 0; i < npref; i++) {
        if (!keel_group_is_ffdhe(pref[i]) /* TLS 1.3 key shares only, as in OpenSSL 3.0 */
                && keel_u16_in(c->peer_groups, c->npeer_groups, pref[i]) && keel_u16_in(ours, n, pref[i])
                && keel_sec_group(s->s, SSL_SECOP_CURVE_SHARED, pref[i])) {
            c->group = pref[i];
            return 1;
        }
    }
    return 0;
}

int keel12_ecdhe_prepare(SSL *s)
{
    keel_conn *c = s->conn;
    keel_kex_free(c->hs->kex);
    return (c->hs->kex = keel_kex_new(s->ctx->algs, c->group)) != NULL ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* ServerECDHParams: ECParameters (named_curve(3), NamedCurve) and our ECPoint<1..2^8-1>. */
int keel12_ecdhe_write_params(SSL *s, keel_wr *w)
{
    keel_conn *c = s->conn;
    size_t m;
    keel_wr_u8(w, 3);
    keel_wr_u16(w, c->group);
    keel_wr_open8(w, &m);
    return keel_kex_public_wr(c->hs->kex, w) && keel_wr_close(w, m);
}

/* Z of the exchange between our key (c->hs->kex) and the peer's public value becomes the
 * premaster secret (RFC 5246 §8.1.2, RFC 8422 §5.10), the stack copy cleansed on every path. 0,
 * illegal_parameter for a value keel_kex_derive refused (its reason raised), or internal_error. */
int keel12_kex_pms(SSL *s, keel_rd peer)
{
    uint8_t z[KEEL_KEX_MAX_SECRET];
    size_t len = sizeof(z);
    int alert = 0;

    if (!keel_kex_derive(s->conn->hs->kex, peer.p, peer.len, z, &len))
        alert = SSL_AD_ILLEGAL_PARAMETER;
    else if (!keel12_set_pms(s, z, len))
        alert = SSL_AD_INTERNAL_ERROR;
    OPENSSL_cleanse(z, sizeof(z));
    return alert;
}

/* The server's side of an ephemeral exchange (ECDHE, DHE and their PSK kinds): the client's
 * public value. An empty, short, off-curve or compressed point (RFC 8422 §5.1.2: uncompressed
 * only) or a DH value outside 1 < Yc < p-1 (RFC 7919 §5.1) is illegal_parameter with bad key share
 * after the value's own reason, as OpenSSL 3.0 reports it (tests/api/malformed12.c and
 * malformed12_kx.c on the system libssl). 0 or the alert. */
int keel12_kex_read_peer(SSL *s, keel_rd peer)
{
    int alert = peer.len == 0 ? SSL_AD_ILLEGAL_PARAMETER : keel12_kex_pms(s, peer);

    if (alert == SSL_AD_ILLEGAL_PARAMETER)
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_KEY_SHARE);
    else if (alert == 0)
        keel_conn_keep_tmp_keys(s->conn, peer.p, peer.len);
    return alert;
}

/* ClientKeyExchange (RFC 8422 §5.7): the client's ECPoint<1..255>; the premaster secret is the
 * ECDH shared secret. */
int keel12_ecdhe_read_cke(SSL *s, keel_rd *body)
{
    keel_rd point;

    if (!keel_rd_prefixed8(body, &point) || !keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    return keel12_kex_read_peer(s, point);
}

/* The client's side of the server's ECDH params (RFC 8422 §5.4): a named curve we offered (an
 * ffdhe group is no curve: RFC 8422 §5.1.1; OpenSSL 3.0 allows them in TLS 1.3 only); 0 or the
 * alert. */
int keel12_ecdhe_check_curve(SSL *s, uint32_t type, uint32_t group)
{
    uint16_t groups[KEEL_MAX_GROUPS];
    size_t ngroups = keel_groups_effective(s, SSL_SECOP_CURVE_SUPPORTED, groups);

    if (type != 3 || keel_group_is_ffdhe((uint16_t)group) || !keel_u16_in(groups, ngroups, (uint16_t)group)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_CURVE);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    return 0;
}

/* Our share in the server's group, and the ECDH shared secret with its point as the premaster
 * secret (c->hs->pms); 0 or the alert (a bad point: illegal_parameter). */
int keel12_ecdhe_derive(SSL *s, uint32_t group, keel_rd point)
{
    keel_hs *hs = s->conn->hs;

    keel_kex_free(hs->kex);
    if ((hs->kex = keel_kex_new(s->ctx->algs, (uint16_t)group)) == NULL)
        return SSL_AD_INTERNAL_ERROR;
    return keel12_kex_pms(s, point);
}

/* ServerKeyExchange for ECDHE (RFC 8422 §5.4): ServerECDHParams {curve_type named_curve(3),
 * NamedCurve, ECPoint<1..2^8-1>}, then the signature. The premaster secret is computed now, so a
 * bad point is refused here. */
static int ecdhe_read_ske(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    keel_rd all = *body; /* the params are what the first reads below consume */
    uint32_t type, group;
    keel_rd point;
    keel12_ske_sig sig;
    int alert;

    if (!keel_rd_u8(body, &type) || !keel_rd_u16(body, &group) || !keel_rd_prefixed8(body, &point)
            || keel_rd_left(&point) == 0 || !keel12_ske_signature_parse(&all, body, &sig)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    /* The point before the signature: a bad point is bad_ecpoint even when the signature fails
     * too, as OpenSSL 3.0 reports it (tests/api/malformed12.c sf_ske_point_*). */
    if ((alert = keel12_ecdhe_check_curve(s, type, group)) != 0
            || (alert = keel12_ske_signature_check(s, &sig)) != 0
            || (alert = keel12_ecdhe_derive(s, group, point)) != 0
            || (alert = keel12_ske_signature_verify(s, &sig)) != 0)
        return alert;
    c->group = (uint16_t)group;
    keel_conn_keep_tmp_keys(c, point.p, point.len);
    return 0;
}

/* ClientKeyExchange for ECDHE (RFC 8422 §5.7): our ECPoint<1..2^8-1> in the server's group. */
int keel12_ecdhe_write_cke(SSL *s, keel_wr *w)
{
    size_t m;
    keel_wr_open8(w, &m);
    return keel_kex_public_wr(s->conn->hs->kex, w) && keel_wr_close(w, m);
}

static const keel12_kx kinds[] = {
    { NID_kx_ecdhe, KEEL12_SKE_REQUIRED, 1, keel12_ecdhe_usable, keel12_ecdhe_prepare,
      keel12_ecdhe_write_params, keel12_ecdhe_read_cke, ecdhe_read_ske, keel12_ecdhe_write_cke },
    /* kx_psk.c: RFC 4279 §2 (the hint's ServerKeyExchange is optional), RFC 5489 §2 (unsigned) */
    { NID_kx_psk, KEEL12_SKE_OPTIONAL, 0, keel12_psk_usable, NULL, keel12_psk_write_params,
      keel12_psk_read_cke, keel12_psk_read_ske, keel12_psk_write_cke },
    { NID_kx_ecdhe_psk, KEEL12_SKE_REQUIRED, 0, keel12_ecdhe_psk_usable, keel12_ecdhe_prepare,
      keel12_ecdhe_psk_write_params, keel12_ecdhe_psk_read_cke, keel12_ecdhe_psk_read_ske,
      keel12_ecdhe_psk_write_cke },
    /* kx_dhe.c (RFC 5246 §7.4.3, §7.4.7.2) */
    { NID_kx_dhe, KEEL12_SKE_REQUIRED, 1, keel12_dhe_usable, keel12_dhe_prepare,
      keel12_dhe_write_params, keel12_dhe_read_cke, keel12_dhe_read_ske, keel12_dhe_write_cke },
    /* kx_psk_dhe_rsa.c: RFC 4279 §3 (DHE_PSK: always, unsigned), §4 (RSA_PSK: the hint's, as PSK) */
    { NID_kx_dhe_psk, KEEL12_SKE_REQUIRED, 0, keel12_dhe_psk_usable, keel12_dhe_prepare,
      keel12_dhe_psk_write_params, keel12_dhe_psk_read_cke, keel12_dhe_psk_read_ske,
      keel12_dhe_psk_write_cke },
    { NID_kx_rsa_psk, KEEL12_SKE_OPTIONAL, 0, keel12_psk_usable, NULL, keel12_psk_write_params,
      keel12_rsa_psk_read_cke, keel12_psk_read_ske, keel12_rsa_psk_write_cke },
    /* kx_rsa.c (RFC 5246 §7.4.7.1): no ServerKeyExchange */
    { NID_kx_rsa, KEEL12_SKE_NONE, 0, NULL, NULL, NULL, keel12_rsa_read_cke, NULL,
      keel12_rsa_write_cke },
};

static const keel12_kx *kx_of(const SSL_CIPHER *cs)
{
    for (size_t i = 0; cs != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (kinds[i].kx_nid == cs->kx_nid)
            return &kinds[i];
    return NULL;
}

/* ---- what both roles ask ---- */

int keel12_kx_ske(const SSL_CIPHER *cs)
{
    const keel12_kx *k = kx_of(cs);
    return k != NULL ? k->ske : KEEL12_SKE_NONE;
}

/* RFC 4279 §2, §3: the PSK suites authenticated by the key alone have no server Certificate (nor
 * CertificateRequest); RSA_PSK's (§4) is authenticated by the RSA certificate. */
int keel12_kx_server_cert(const SSL_CIPHER *cs)
{
    return cs->auth_nid != NID_auth_psk;
}

int keel12_set_pms(SSL *s, const uint8_t *pms, size_t len)
{
    keel_hs *hs = s->conn->hs;
    OPENSSL_clear_free(hs->pms, hs->pms_len);
    hs->pms_len = 0;
    if ((hs->pms = OPENSSL_memdup(pms, len)) == NULL)
        return 0;
    hs->pms_len = len;
    return 1;
}

/* The premaster secret has served once the master secret is made (or the handshake failed). */
static void drop_pms(keel_hs *hs)
{
    OPENSSL_clear_free(hs->pms, hs->pms_len);
    hs->pms = NULL;
    hs->pms_len = 0;
    keel_kex_free(hs->kex);
    hs->kex = NULL;
}

/* ---- ServerKeyExchange's signature (RFC 5246 §7.4.3): a DigitallySigned over client_random +
 * server_random + params ---- */

int keel12_ske_signature_parse(const keel_rd *start, keel_rd *body, keel12_ske_sig *sig)
{
    keel_rd all = *start;
    size_t params_len = keel_rd_left(start) - keel_rd_left(body);
    sig->params_len = params_len;
    return keel_rd_bytes(&all, &sig->params, params_len) && keel_rd_u16(body, &sig->scheme)
        && keel_rd_prefixed16(body, &sig->sig) && keel_rd_done(body);
}

/* A scheme that does not fit the key is illegal; one that fits but we did not offer is a
 * handshake_failure (OpenSSL 3.0's alerts, checked against a scripted server). */
int keel12_ske_signature_check(SSL *s, const keel12_ske_sig *sig)
{
    keel_conn *c = s->conn;
    uint16_t ours[KEEL_MAX_SIGALGS];
    size_t nours = keel_sigalgs_effective(s, 0, SSL_SECOP_SIGALG_SUPPORTED, ours);
    EVP_PKEY *pub = X509_get0_pubkey(sk_X509_value(c->peer_chain, 0));

    if (pub == NULL || !keel_sig_key_matches(pub, (uint16_t)sig->scheme, 0)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_SIGNATURE_TYPE);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    if (!keel_u16_in(ours, nours, (uint16_t)sig->scheme)
            || !keel_sec_sigalg(s->s, SSL_SECOP_SIGALG_CHECK, (uint16_t)sig->scheme)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_SIGNATURE_TYPE);
        return SSL_AD_HANDSHAKE_FAILURE;
    }
    return 0;
}

int keel12_ske_signature_verify(SSL *s, const keel12_ske_sig *sig)
{
    keel_conn *c = s->conn;
    EVP_PKEY *pub = X509_get0_pubkey(sk_X509_value(c->peer_chain, 0));
    uint8_t *tbs = OPENSSL_malloc(64 + sig->params_len);

    if (tbs == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return SSL_AD_INTERNAL_ERROR;
    }
    memcpy(tbs, c->client_random, 32);
    memcpy(tbs + 32, c->server_random, 32);
    memcpy(tbs + 64, sig->params, sig->params_len);
    int good = keel_sig_verify(s->ctx->algs, pub, (uint16_t)sig->scheme, tbs, 64 + sig->params_len,
                               sig->sig.p, sig->sig.len);
    OPENSSL_free(tbs);
    if (!good) /* keel_sig_verify raised SSL_R_BAD_SIGNATURE */
        return SSL_AD_DECRYPT_ERROR;
    c->peer_sigalg = (uint16_t)sig->scheme;
    return 0;
}

/* ---- server ---- */

int keel12_server_kx_usable(SSL *s, const SSL_CIPHER *cs)
{
    const keel12_kx *k = kx_of(cs);
    return k != NULL && (k->usable == NULL || k->usable(s));
}

int keel12_server_kx_prepare(SSL *s)
{
    const keel12_kx *k = kx_of(s->conn->cipher);
    if (k == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return SSL_AD_INTERNAL_ERROR;
    }
    return k->prepare != NULL ? k->prepare(s) : 0;
}

/* ServerKeyExchange, when the kind has one: its params, signed (RFC 5246 §7.4.3) when the kind
 * says so. A kind whose message is optional writes no params when it has nothing to say. An
 * unsigned message is built in place; for a signed one the randoms go in front of the params, so
 * that the signed data is one buffer, and keel_send_signed builds the message. */
int keel12_server_write_key_exchange(SSL *s)
{
    keel_conn *c = s->conn;
    const keel12_kx *k = kx_of(c->cipher);
    uint8_t first[512]; /* on the stack while it fits (keel_wr_init_buf): an ffdhe share grows it */
    keel_wr w;
    size_t body = 0, start;
    int ok;

    if (k == NULL || k->ske == KEEL12_SKE_NONE)
        return 1;
    keel_wr_init_buf(&w, first, sizeof(first));
    if (k->sign) {
        keel_wr_bytes(&w, c->client_random, 32);
        keel_wr_bytes(&w, c->server_random, 32);
    } else {
        keel_wr_u8(&w, SSL3_MT_SERVER_KEY_EXCHANGE);
        keel_wr_open24(&w, &body);
    }
    start = keel_wr_len(&w);
    if (!k->write_params(s, &w) || keel_wr_failed(&w)) {
        keel_wr_cleanup(&w);
        return 0;
    }
    size_t params_len = keel_wr_len(&w) - start;
    if (params_len == 0 && k->ske == KEEL12_SKE_OPTIONAL) {
        keel_wr_cleanup(&w);
        return 1;
    }
    keel_step(s, TLS_ST_SW_KEY_EXCH);
    if (!k->sign) {
        keel_wr_close(&w, body);
        return keel_send_hs(s, &w);
    }
    const uint8_t *tbs = keel_wr_data(&w);
    ok = keel_send_signed(s, SSL3_MT_SERVER_KEY_EXCHANGE, tbs + start, params_len, tbs, keel_wr_len(&w));
    keel_wr_cleanup(&w);
    return ok;
}

/* ClientKeyExchange: the kind's premaster secret, then the master secret (with RFC 7627, over
 * the transcript through this message). */
int keel12_server_read_key_exchange(SSL *s, keel_rd *body)
{
    keel_hs *hs = s->conn->hs;
    const keel12_kx *k = kx_of(s->conn->cipher);
    int alert = k != NULL ? k->read_cke(s, body) : SSL_AD_INTERNAL_ERROR;

    if (alert == 0 && (!keel_hs_hash_current(s) || !keel12_master_secret(s, hs->pms, hs->pms_len)))
        alert = SSL_AD_INTERNAL_ERROR;
    drop_pms(hs);
    return alert;
}

/* ---- client ---- */

int keel12_client_read_key_exchange(SSL *s, keel_rd *body)
{
    const keel12_kx *k = kx_of(s->conn->cipher);
    int alert = k != NULL ? k->read_ske(s, body) : SSL_AD_INTERNAL_ERROR;
    if (alert)
        return alert;
    return keel_hs_hash_current(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* ClientKeyExchange, then the master secret (RFC 7627 §4: the session hash covers the
 * transcript through ClientKeyExchange). */
int keel12_client_write_key_exchange(SSL *s)
{
    keel_hs *hs = s->conn->hs;
    const keel12_kx *k = kx_of(s->conn->cipher);
    uint8_t first[512]; /* on the stack while it fits (keel_wr_init_buf) */
    keel_wr w;
    size_t body;
    int ok = k != NULL;

    if (ok) {
        keel_wr_init_buf(&w, first, sizeof(first));
        keel_wr_u8(&w, SSL3_MT_CLIENT_KEY_EXCHANGE);
        keel_wr_open24(&w, &body);
        if (k->write_cke(s, &w)) {
            keel_wr_close(&w, body);
            ok = keel_send_hs(s, &w);
        } else {
            keel_wr_cleanup(&w);
            ok = 0;
        }
    }
    ok = ok && hs->pms != NULL && keel12_master_secret(s, hs->pms, hs->pms_len);
    drop_pms(hs);
    return ok;
}
