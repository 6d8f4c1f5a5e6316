/* TLS 1.3 client handlers (RFC 8446 §4.1.2–§4.4): one function per message. */
#include "handshake/ext.h"
#include "handshake/tls12/tls12.h"
#include "proto/session.h"

#include <arpa/inet.h>
#include <string.h>

/* SHA-256("HelloRetryRequest"): the ServerHello.random of a HelloRetryRequest (RFC 8446 §4.1.3). */
const uint8_t keel_hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* HelloRetryRequest (RFC 8446 §4.1.4): the server wants a share for another group we offered. */
static int client_retry(SSL *s, keel_hello *h)
{
    keel_conn *c = s->conn;
    uint16_t groups[KEEL_MAX_GROUPS];
    size_t ngroups = keel_groups_effective(s, SSL_SECOP_CURVE_SUPPORTED, groups);

    if (c->hs->hrr) {
        ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_MESSAGE);
        return SSL_AD_UNEXPECTED_MESSAGE;
    }
    if (!h->has_key_share && !h->has_cookie) {
        /* An HRR that would not change the ClientHello. */
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_CHANGE_FOLLOWING_HRR);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    if (h->has_key_share) {
        if (h->group == c->group || !keel_u16_in(groups, ngroups, h->group)) {
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_KEY_SHARE);
            return SSL_AD_ILLEGAL_PARAMETER;
        }
        keel_kex_free(c->hs->kex);
        c->hs->kex = NULL;
        c->group = h->group;
    }
    if (h->has_cookie) {
        if ((c->hs->cookie = OPENSSL_memdup(h->cookie.p, h->cookie.len)) == NULL)
            return SSL_AD_INTERNAL_ERROR;
        c->hs->cookie_len = h->cookie.len;
    }
    c->hs->hrr = 1;
    c->hs->hrr_wait = 1; /* the write row keel_client_write_retry_hello answers */
    if (!keel_transcript_hrr_rewrite(&c->hs->transcript) || !keel_hs_hash_current(s))
        return SSL_AD_INTERNAL_ERROR;
    return 0;
}

/* The answer to a HelloRetryRequest: [CCS] ClientHello 2 (RFC 8446 §4.1.4, §D.4). */
int keel_client_write_retry_hello(SSL *s)
{
    s->conn->hs->hrr_wait = 0;
    if (!keel_early_client_hrr(s))
        return SSL_AD_INTERNAL_ERROR;
    if (!keel_write_ccs(s))
        return SSL_AD_INTERNAL_ERROR;
    keel_step(s, TLS_ST_CW_CLNT_HELLO);
    return keel_client_write_hello(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

int keel_client_read_server_hello(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    keel_hello h;
    uint32_t legacy_version, cipher, comp;
    const uint8_t *random;
    keel_rd sid;
    int alert = SSL_AD_DECODE_ERROR;

    memset(&h, 0, sizeof(h));
    if (!keel_rd_u16(body, &legacy_version) || !keel_rd_bytes(body, &random, 32)
            || !keel_rd_prefixed8(body, &sid) || !keel_rd_u16(body, &cipher)
            || !keel_rd_u8(body, &comp)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    h.is_hrr = memcmp(random, keel_hrr_random, 32) == 0;
    h.legacy_version = (uint16_t)legacy_version;
    /* No supported_versions: a TLS 1.2 (or older) ServerHello, whose extensions are read in the
     * TLS 1.2 context (RFC 5246 §7.4.1.4). A client that cannot speak 1.2 refuses it below. */
    keel_rd sv;
    if (!h.is_hrr && keel_tls12_allowed(s->s) && !keel_ext_find(*body, TLSEXT_TYPE_supported_versions, &sv))
        return keel12_client_read_server_hello(s, &h, random, &sid, (uint16_t)cipher, comp, body);
    /* No extensions: no supported_versions, which keel_client_check_version refuses. */
    if (!keel_rd_done(body)
            && !keel_ext_parse(s, h.is_hrr ? KEEL_MSG_HRR : KEEL_MSG_SH, body, &h, c->hs->ext_offered, &alert))
        return alert;
    if ((alert = keel_client_check_version(s, &h)) != 0)
        return alert;
    if (sid.len != c->hs->session_id_len || memcmp(sid.p, c->hs->session_id, sid.len) != 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_SESSION_ID);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    const SSL_CIPHER *cs = keel_cipher_by_code((uint16_t)cipher);
    int offered = 0;
    for (size_t i = 0; i < s->s->nciphers13; i++)
        offered |= s->s->lists->ciphers13[i] == cs;
    /* One we offered, and still acceptable (SSL_SECOP_CIPHER_CHECK). */
    offered = offered && keel_sec_cipher(s->s, SSL_SECOP_CIPHER_CHECK, cs);
    if (!offered || (c->cipher != NULL && c->cipher != cs)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_CIPHER_RETURNED);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    if (comp != 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_COMPRESSION_ALGORITHM);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    c->version = h.version;
    if (c->cipher == NULL) {
        c->cipher = cs;
        if (!keel_transcript_set_hash(&c->hs->transcript, cs->hash))
            return SSL_AD_INTERNAL_ERROR;
    }
    /* The schedule of the suite's hash: the one the resumption binder left (hs->ks_psk) if it is
     * of that hash, else a fresh one. */
    if (c->hs->ks.hlen == 0 || c->hs->ks.hash != cs->hash) {
        keel_ks_cleanup(&c->hs->ks);
        c->hs->ks_psk = NULL;
        if (!keel_ks_init(&c->hs->ks, s->ctx->algs, cs->hash))
            return SSL_AD_INTERNAL_ERROR;
    }
    if (h.is_hrr)
        return client_retry(s, &h);

    memcpy(c->server_random, random, 32);
    if (h.psk_selected) {
        const SSL_SESSION *ss = NULL;
        if ((alert = keel_client_take_psk(s, &h, &ss)) != 0)
            return alert;
        if (ss->cipher->hash != cs->hash) {
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_PSK);
            return SSL_AD_ILLEGAL_PARAMETER;
        }
        /* The binder's Early Secret is this one if the schedule still holds it. */
        if ((c->hs->ks_psk != ss || c->hs->ks.stage != KEEL_KS_EARLY)
                && !keel_ks_early(&c->hs->ks, ss->master_key, ss->master_key_len))
            return SSL_AD_INTERNAL_ERROR;
        c->hs->ks_psk = ss;
        c->resumed = 1;
        /* A resumed session's verification result is the connection's; an external PSK leaves
         * it X509_V_OK, as OpenSSL's client does. */
        if (!c->hs->psk_external)
            s->verify_result = ss->verify_result;
    } else if (c->hs->ks.stage != KEEL_KS_NONE) {
        /* A full handshake: not from the early stage the binder left. */
        keel_ks_cleanup(&c->hs->ks);
        c->hs->ks_psk = NULL;
        if (!keel_ks_init(&c->hs->ks, s->ctx->algs, cs->hash))
            return SSL_AD_INTERNAL_ERROR;
    }
    if (!h.has_key_share && c->resumed && c->hs->psk_ke) {
        /* psk_ke, which we offered (RFC 8446 §4.2.9): no (EC)DHE, zeros into the schedule. */
        keel_kex_free(c->hs->kex);
        c->hs->kex = NULL;
        c->group = 0;
        int ok = keel_hs_hash_current(s) && keel_hs_derive_handshake(s, NULL, 0)
            && (keel_keylog_hs(s, 1, 0), keel_set_traffic_key(s, KEEL_RL_READ, c->hs->server_hs))
            && (c->early.offered || keel_set_traffic_key(s, KEEL_RL_WRITE, c->hs->client_hs));
        return ok ? 0 : SSL_AD_INTERNAL_ERROR;
    }
    if (!h.has_key_share) {
        /* Without psk_ke, key_share is mandatory here (RFC 8446 §4.2.8, §6.2). */
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_SUITABLE_KEY_SHARE);
        return SSL_AD_MISSING_EXTENSION;
    }
    if (h.group != c->group) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_KEY_SHARE);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    uint8_t shared[KEEL_KEX_MAX_SECRET];
    size_t shared_len = sizeof(shared);
    if (!keel_kex_derive(c->hs->kex, h.share.p, h.share.len, shared, &shared_len))
        return SSL_AD_ILLEGAL_PARAMETER;
    keel_conn_keep_tmp_keys(c, h.share.p, h.share.len);
    keel_kex_free(c->hs->kex);
    c->hs->kex = NULL;
    int ok = keel_hs_hash_current(s) && keel_hs_derive_handshake(s, shared, shared_len);
    OPENSSL_cleanse(shared, sizeof(shared));
    if (ok)
        keel_keylog_hs(s, 1, 0);
    /* Both handshake keys now: an alert about the server's flight must reach the server under
     * the key it expects. The compatibility CCS still goes out unprotected (RFC 8446 §5). After
     * early data the write key changes after EndOfEarlyData (tls13/early.c). */
    if (!ok || !keel_set_traffic_key(s, KEEL_RL_READ, c->hs->server_hs)
            || (!c->early.offered && !keel_set_traffic_key(s, KEEL_RL_WRITE, c->hs->client_hs)))
        return SSL_AD_INTERNAL_ERROR;
    return 0;
}

int keel_client_read_encrypted_extensions(SSL *s, keel_rd *body)
{
    keel_hello h;
    int alert;

    memset(&h, 0, sizeof(h));
    if (!keel_ext_parse(s, KEEL_MSG_EE, body, &h, s->conn->hs->ext_offered, &alert))
        return alert;
    if ((alert = keel_early_client_ee(s, &h)) != 0)
        return alert;
    /* RFC 6066 §4: the length the server echoed (peer_mfl held it to ours), else a resumed
     * session's, which OpenSSL's client keeps too: the PSK's the server took (tests/api/psk.c). */
    const SSL_SESSION *psk = s->conn->resumed ? keel_client_psk_taken(s->conn->hs) : NULL;
    keel_set_mfl(s, h.mfl != 0 ? h.mfl : psk != NULL ? psk->mfl_mode : 0);
    if (!keel_hs_hash_current(s))
        return SSL_AD_INTERNAL_ERROR;
    return 0;
}

/* CertificateRequest during the handshake (RFC 8446 §4.3.2): empty context, then extensions, of
 * which signature_algorithms is mandatory. */
int keel_client_read_cert_request(SSL *s, keel_rd *body)
{
    keel_rd ctx;
    keel_hello h;
    int alert;

    memset(&h, 0, sizeof(h));
    if (!keel_rd_prefixed8(body, &ctx) || keel_rd_left(&ctx) != 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    s->conn->npeer_sigalgs = 0;
    if (!keel_ext_parse(s, KEEL_MSG_CR, body, &h, 0, &alert))
        return alert;
    if (s->conn->npeer_sigalgs == 0) { /* mandatory in a CertificateRequest (§4.3.2) */
        ERR_raise(ERR_LIB_SSL, SSL_R_MISSING_SIGALGS_EXTENSION);
        return SSL_AD_MISSING_EXTENSION;
    }
    s->conn->cert_requested = 1;
    if (!keel_hs_hash_current(s))
        return SSL_AD_INTERNAL_ERROR;
    return 0;
}

int keel_client_read_certificate(SSL *s, keel_rd *body)
{
    int alert = keel_read_certificate(s, body);
    if (alert)
        return alert;
    if (sk_X509_num(s->conn->peer_chain) == 0) {
        /* A server must authenticate with a certificate (RFC 8446 §4.4.2.4). */
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_CERTIFICATES_RETURNED);
        return SSL_AD_DECODE_ERROR;
    }
    if ((alert = keel_verify_peer(s)) != 0)
        return alert;
    if (!keel_hs_hash_current(s))
        return SSL_AD_INTERNAL_ERROR;
    return 0;
}

int keel_client_read_cert_verify(SSL *s, keel_rd *body)
{
    int alert = keel_read_cert_verify(s, body);
    if (alert)
        return alert;
    return 0;
}

int keel_client_read_finished(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    int alert = keel_read_finished(s, body);
    /* The server's flight is in: OCSP stapling's callback judges the response, on a resumption
     * too, as OpenSSL 3.0 calls it (status.c). */
    if (alert || (alert = keel_status_client_cb(s)) != 0)
        return alert;
    /* Application secrets over the transcript through the server's Finished (RFC 8446 §7.1). */
    if (!keel_hs_derive_application(s) || !keel_set_traffic_key(s, KEEL_RL_READ, c->server_ap))
        return SSL_AD_INTERNAL_ERROR;
    return 0;
}

/* The client's second flight: [CCS] [Certificate CertificateVerify] Finished. 0, an alert, or
 * KEEL_SUSPEND: the client certificate callback wants to be called again (nothing written). */
int keel_client_write_finished(SSL *s)
{
    keel_conn *c = s->conn;
    const keel_certkey *ck = NULL;

    if (c->cert_requested) {
        int r = keel_choose_cert(s, &ck);
        if (r < 0)
            return KEEL_SUSPEND;
        if (r == 0)
            return SSL_AD_INTERNAL_ERROR;
    }
    if (!keel_early_client_eoed(s) || !keel_write_ccs(s))
        return SSL_AD_INTERNAL_ERROR;
    /* The key log's CLIENT_ lines where OpenSSL 3.0 writes them (keel_keylog_hs): the handshake
     * secret as the flight after the change_cipher_spec starts, the application secret once the
     * Finished is out. */
    if (c->cert_requested) {
        keel_step(s, TLS_ST_CW_CERT);
        keel_keylog_hs(s, 0, 1);
        if (!keel_write_certificate(s, ck))
            return SSL_AD_INTERNAL_ERROR;
        if (ck != NULL) {
            keel_step(s, TLS_ST_CW_CERT_VRFY);
            if (!keel_write_cert_verify(s))
                return SSL_AD_INTERNAL_ERROR;
        }
    }
    keel_step(s, TLS_ST_CW_FINISHED);
    keel_keylog_hs(s, 0, 1);
    if (!keel_write_finished(s))
        return SSL_AD_INTERNAL_ERROR;
    keel_keylog(s, "CLIENT_TRAFFIC_SECRET_0", c->client_ap, keel_hash_len(c->cipher->hash));
    if (!keel_set_traffic_key(s, KEEL_RL_WRITE, c->client_ap) || !keel_hs_derive_resumption(s)
            || !keel_client_session_complete(s))
        return SSL_AD_INTERNAL_ERROR;
    return 0;
}
