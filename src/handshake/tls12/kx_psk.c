/* TLS 1.2 pre-shared key exchanges, entries of the key-exchange dispatch (kx.c): PSK (RFC 4279
 * §2) and ECDHE_PSK (RFC 5489 §2). The server's ServerKeyExchange carries its identity hint
 * (SSL_CTX_use_psk_identity_hint(3)) — for PSK only when a hint is set, for ECDHE_PSK always,
 * followed by the ECDH parameters, unsigned: the PSK authenticates. The client's
 * ClientKeyExchange carries the identity its callback chose (SSL_CTX_set_psk_client_callback(3)),
 * then for ECDHE_PSK its point; the server's callback (SSL_CTX_set_psk_server_callback(3)) finds
 * the key. Reasons and alerts are OpenSSL 3.0's. */
#include "handshake/tls12/tls12.h"
#include "proto/session.h"

#include <string.h>

/* RFC 4279 §2: premaster = other_secret<0..2^16-1> || psk<0..2^16-1>, where other_secret is as
 * many zeros as the PSK has bytes (PSK), or the ECDH shared secret (ECDHE_PSK, RFC 5489 §2). */
static int set_pms(SSL *s, const uint8_t *other, size_t other_len, const uint8_t *psk, size_t psk_len)
{
    uint8_t buf[4 + KEEL_KEX_MAX_SECRET + PSK_MAX_PSK_LEN];
    keel_wr w;
    size_t m;

    keel_wr_init_fixed(&w, buf, sizeof(buf));
    keel_wr_open16(&w, &m);
    if (other != NULL)
        keel_wr_bytes(&w, other, other_len);
    else
        keel_wr_zeros(&w, psk_len);
    keel_wr_close(&w, m);
    keel_wr_open16(&w, &m);
    keel_wr_bytes(&w, psk, psk_len);
    keel_wr_close(&w, m);
    int ok = !keel_wr_failed(&w) && keel12_set_pms(s, buf, keel_wr_len(&w));
    OPENSSL_cleanse(buf, sizeof(buf));
    return ok;
}

/* The premaster secret of the kinds whose other_secret is another key exchange's premaster
 * (ECDHE_PSK, DHE_PSK, RSA_PSK: RFC 5489 §2, RFC 4279 §3, §4): c->hs->pms, wrapped with the PSK
 * (set_pms reads it before keel12_set_pms replaces it). 1 / 0. */
int keel12_psk_wrap_pms(SSL *s, const uint8_t *psk, size_t psk_len)
{
    keel_hs *hs = s->conn->hs;
    return hs->pms != NULL && set_pms(s, hs->pms, hs->pms_len, psk, psk_len);
}

/* The server's ClientKeyExchange of those kinds: the identity, then the other kind's own
 * ClientKeyExchange (which leaves its premaster in c->hs->pms), wrapped. 0 or the alert. */
int keel12_psk_read_cke_with(SSL *s, keel_rd *body, int (*rest)(SSL *, keel_rd *))
{
    uint8_t psk[PSK_MAX_PSK_LEN];
    size_t psk_len = 0;
    int alert = keel12_psk_read_identity(s, body, psk, &psk_len);

    if (alert == 0)
        alert = rest(s, body);
    if (alert == 0 && !keel12_psk_wrap_pms(s, psk, psk_len))
        alert = SSL_AD_INTERNAL_ERROR;
    OPENSSL_cleanse(psk, sizeof(psk));
    return alert;
}

/* The client's: the identity, then the other kind's own ClientKeyExchange body, then the
 * premaster wrapped. 1 / 0. */
int keel12_psk_write_cke_with(SSL *s, keel_wr *w, int (*rest)(SSL *, keel_wr *))
{
    uint8_t psk[PSK_MAX_PSK_LEN];
    size_t psk_len = 0;
    int ok = keel12_psk_write_identity(s, w, psk, &psk_len) && rest(s, w)
        && keel12_psk_wrap_pms(s, psk, psk_len);
    OPENSSL_cleanse(psk, sizeof(psk));
    return ok;
}

static int set_str(char **dst, const uint8_t *p, size_t len)
{
    char *copy = NULL;
    if (len > 0 && (copy = OPENSSL_strndup((const char *)p, len)) == NULL)
        return 0;
    OPENSSL_free(*dst);
    *dst = copy;
    return 1;
}

/* The session made for the handshake keeps the identity and the hint (SSL_get_psk_identity(3)),
 * so that a resumption knows them too. 1 / 0. */
int keel12_psk_to_session(SSL *s, SSL_SESSION *ss)
{
    keel_hs *hs = s->conn->hs;
    if (hs == NULL || s->conn->cipher == NULL || !keel12_kx_is_psk(s->conn->cipher))
        return 1;
    return set_str(&ss->psk_identity, (const uint8_t *)hs->psk12_identity,
                   hs->psk12_identity != NULL ? strlen(hs->psk12_identity) : 0)
        && set_str(&ss->psk_identity_hint, (const uint8_t *)hs->psk12_hint,
                   hs->psk12_hint != NULL ? strlen(hs->psk12_hint) : 0);
}

/* ---- server ---- */

int keel12_psk_usable(SSL *s)
{
    return s->s->psk_server_cb != NULL;
}

int keel12_ecdhe_psk_usable(SSL *s)
{
    return s->s->psk_server_cb != NULL && keel12_ecdhe_usable(s);
}

/* ServerKeyExchange for PSK: the hint, only when one is set (SSL_CTX_use_psk_identity_hint(3):
 * otherwise no ServerKeyExchange, RFC 4279 §2). */
int keel12_psk_write_params(SSL *s, keel_wr *w)
{
    const char *hint = s->s->psk_identity_hint;
    size_t m;
    if (hint == NULL)
        return 1;
    keel_wr_open16(w, &m);
    keel_wr_bytes(w, (const uint8_t *)hint, strlen(hint));
    return keel_wr_close(w, m);
}

/* The hint<0..2^16-1> of the kinds that always send ServerKeyExchange (empty without one). */
int keel12_psk_write_hint(SSL *s, keel_wr *w)
{
    const char *hint = s->s->psk_identity_hint;
    size_t m;
    keel_wr_open16(w, &m);
    if (hint != NULL)
        keel_wr_bytes(w, (const uint8_t *)hint, strlen(hint));
    return keel_wr_close(w, m);
}

/* ECDHE_PSK (RFC 5489 §2): the hint, then ServerECDHParams. */
int keel12_ecdhe_psk_write_params(SSL *s, keel_wr *w)
{
    return keel12_psk_write_hint(s, w) && keel12_ecdhe_write_params(s, w);
}

/* The ClientKeyExchange's psk_identity<0..2^16-1> and the server callback's key for it: 0 with
 * the key in psk[*psk_len], or the alert. */
int keel12_psk_read_identity(SSL *s, keel_rd *body, uint8_t psk[PSK_MAX_PSK_LEN], size_t *psk_len)
{
    keel_rd id;
    char name[PSK_MAX_IDENTITY_LEN + 1];

    if (!keel_rd_prefixed16(body, &id)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    if (id.len > PSK_MAX_IDENTITY_LEN) { /* OpenSSL 3.0's alert (tests/api/malformed_psk.c) */
        ERR_raise(ERR_LIB_SSL, SSL_R_DATA_LENGTH_TOO_LONG);
        return SSL_AD_DECODE_ERROR;
    }
    if (s->s->psk_server_cb == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_PSK_NO_SERVER_CB);
        return SSL_AD_INTERNAL_ERROR;
    }
    memcpy(name, id.p, id.len);
    name[id.len] = '\0';
    /* The session has it while the callback runs (SSL_get_psk_identity), as in OpenSSL. */
    if (!set_str(&s->conn->hs->psk12_identity, id.p, id.len)
            || (s->session != NULL && !set_str(&s->session->psk_identity, id.p, id.len)))
        return SSL_AD_INTERNAL_ERROR;
    unsigned int n = s->s->psk_server_cb(s, name, psk, PSK_MAX_PSK_LEN);
    if (n > PSK_MAX_PSK_LEN) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return SSL_AD_INTERNAL_ERROR;
    }
    if (n == 0) { /* RFC 4279 §2: an identity the server does not know */
        ERR_raise(ERR_LIB_SSL, SSL_R_PSK_IDENTITY_NOT_FOUND);
        return TLS1_AD_UNKNOWN_PSK_IDENTITY;
    }
    *psk_len = n;
    return 0;
}

int keel12_psk_read_cke(SSL *s, keel_rd *body)
{
    uint8_t psk[PSK_MAX_PSK_LEN];
    size_t psk_len = 0;
    int alert = keel12_psk_read_identity(s, body, psk, &psk_len);

    if (alert == 0 && !keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        alert = SSL_AD_DECODE_ERROR;
    }
    if (alert == 0 && !set_pms(s, NULL, 0, psk, psk_len))
        alert = SSL_AD_INTERNAL_ERROR;
    OPENSSL_cleanse(psk, sizeof(psk));
    return alert;
}

/* ECDHE_PSK's ClientKeyExchange (RFC 5489 §2): the identity, then the client's ECPoint<1..255>. */
int keel12_ecdhe_psk_read_cke(SSL *s, keel_rd *body)
{
    return keel12_psk_read_cke_with(s, body, keel12_ecdhe_read_cke);
}

/* ---- client ---- */

/* psk_identity_hint<0..2^16-1>, kept for the client callback (an empty one is none). */
int keel12_psk_read_hint(SSL *s, keel_rd *body)
{
    keel_rd hint;
    if (!keel_rd_prefixed16(body, &hint)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    if (hint.len > PSK_MAX_IDENTITY_LEN) {
        ERR_raise(ERR_LIB_SSL, SSL_R_DATA_LENGTH_TOO_LONG);
        return SSL_AD_HANDSHAKE_FAILURE;
    }
    return set_str(&s->conn->hs->psk12_hint, hint.p, hint.len) ? 0 : SSL_AD_INTERNAL_ERROR;
}

int keel12_psk_read_ske(SSL *s, keel_rd *body)
{
    int alert = keel12_psk_read_hint(s, body);
    if (alert == 0 && !keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_EXTRA_DATA_IN_MESSAGE);
        alert = SSL_AD_DECODE_ERROR;
    }
    return alert;
}

/* ECDHE_PSK (RFC 5489 §2): the hint, then ServerECDHParams, unsigned. The ECDH shared secret is
 * kept in c->hs->pms until the ClientKeyExchange wraps it with the PSK. */
int keel12_ecdhe_psk_read_ske(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    uint32_t type, group;
    keel_rd point;
    int alert = keel12_psk_read_hint(s, body);

    if (alert != 0)
        return alert;
    if (!keel_rd_u8(body, &type) || !keel_rd_u16(body, &group)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_TOO_SHORT);
        return SSL_AD_DECODE_ERROR;
    }
    if ((alert = keel12_ecdhe_check_curve(s, type, group)) != 0)
        return alert;
    /* An empty point is a bad point (illegal_parameter), as OpenSSL 3.0 judges it. */
    if (!keel_rd_prefixed8(body, &point)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    if ((alert = keel12_ecdhe_derive(s, group, point)) != 0)
        return alert;
    if (!keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_EXTRA_DATA_IN_MESSAGE);
        return SSL_AD_DECODE_ERROR;
    }
    c->group = (uint16_t)group;
    keel_conn_keep_tmp_keys(c, point.p, point.len);
    return 0;
}

/* The client callback's identity (for the server's hint, NULL without one) and key; the
 * identity written as psk_identity<0..2^16-1>. 1, or 0 with the alert sent here (handshake_failure
 * when the callback has no key, as OpenSSL's client). */
int keel12_psk_write_identity(SSL *s, keel_wr *w, uint8_t psk[PSK_MAX_PSK_LEN], size_t *psk_len)
{
    char identity[PSK_MAX_IDENTITY_LEN + 1];
    size_t m;

    if (s->s->psk_client_cb == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_PSK_NO_CLIENT_CB);
        return 0;
    }
    memset(identity, 0, sizeof(identity));
    unsigned int n = s->s->psk_client_cb(s, s->conn->hs->psk12_hint, identity, PSK_MAX_IDENTITY_LEN,
                                        psk, PSK_MAX_PSK_LEN);
    identity[PSK_MAX_IDENTITY_LEN] = '\0';
    if (n > PSK_MAX_PSK_LEN || n == 0) {
        ERR_raise(ERR_LIB_SSL, n == 0 ? SSL_R_PSK_IDENTITY_NOT_FOUND : ERR_R_INTERNAL_ERROR);
        keel_fatal(s, SSL_AD_HANDSHAKE_FAILURE);
        return 0;
    }
    *psk_len = n;
    size_t len = strlen(identity);
    if (!set_str(&s->conn->hs->psk12_identity, (const uint8_t *)identity, len))
        return 0;
    keel_wr_open16(w, &m);
    keel_wr_bytes(w, (const uint8_t *)identity, len);
    return keel_wr_close(w, m);
}

int keel12_psk_write_cke(SSL *s, keel_wr *w)
{
    uint8_t psk[PSK_MAX_PSK_LEN];
    size_t psk_len = 0;
    int ok = keel12_psk_write_identity(s, w, psk, &psk_len) && set_pms(s, NULL, 0, psk, psk_len);
    OPENSSL_cleanse(psk, sizeof(psk));
    return ok;
}

/* ECDHE_PSK: the identity, then our ECPoint<1..2^8-1>; the premaster wraps the ECDH secret the
 * ServerKeyExchange left in c->hs->pms. */
int keel12_ecdhe_psk_write_cke(SSL *s, keel_wr *w)
{
    keel_hs *hs = s->conn->hs;
    return hs->pms != NULL && hs->kex != NULL && keel12_psk_write_cke_with(s, w, keel12_ecdhe_write_cke);
}

int keel12_kx_is_psk(const SSL_CIPHER *cs)
{
    return cs->kx_nid == NID_kx_psk || cs->kx_nid == NID_kx_ecdhe_psk || cs->kx_nid == NID_kx_dhe_psk
        || cs->kx_nid == NID_kx_rsa_psk;
}

int keel12_psk_suite_disabled(const SSL *s, const SSL_CIPHER *cs)
{
    return keel12_kx_is_psk(cs) && s->s->psk_client_cb == NULL;
}
