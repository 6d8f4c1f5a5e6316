/* The connection's TLS 1.3 secrets: each stage of the key schedule at the point of the handshake
 * RFC 8446 §7.1 names, the key log, and the negotiation inputs both roles share (enabled groups,
 * signature schemes, whether TLS 1.3 may be spoken at all). */
#include "handshake/hs.h"

#include <string.h>

/* The current handshake message joins the transcript. */
int keel_hs_hash_current(SSL *s)
{
    keel_conn *c = s->conn;
    return keel_transcript_update(&c->transcript, c->hs_buf, c->cur_len);
}

int keel_hs_derive_handshake(SSL *s, const uint8_t *shared, size_t len)
{
    keel_conn *c = s->conn;
    uint8_t th[KEEL_HASH_MAX_LEN];
    size_t hl = keel_hash_len(c->cipher->hash);

    if (!keel_transcript_current(&c->transcript, th) || !keel_ks_handshake(&c->ks, shared, len)
            || !keel_ks_client_hs_traffic(&c->ks, th, c->client_hs)
            || !keel_ks_server_hs_traffic(&c->ks, th, c->server_hs))
        return 0;
    keel_keylog(s, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", c->client_hs, hl);
    keel_keylog(s, "SERVER_HANDSHAKE_TRAFFIC_SECRET", c->server_hs, hl);
    return 1;
}

/* Over the transcript through the server's Finished. */
int keel_hs_derive_application(SSL *s)
{
    keel_conn *c = s->conn;
    uint8_t th[KEEL_HASH_MAX_LEN];
    size_t hl = keel_hash_len(c->cipher->hash);

    if (!keel_transcript_current(&c->transcript, th) || !keel_ks_master(&c->ks)
            || !keel_ks_client_app_traffic(&c->ks, th, c->client_ap)
            || !keel_ks_server_app_traffic(&c->ks, th, c->server_ap)
            || !keel_ks_exporter_master(&c->ks, th, c->exporter))
        return 0;
    keel_keylog(s, "CLIENT_TRAFFIC_SECRET_0", c->client_ap, hl);
    keel_keylog(s, "SERVER_TRAFFIC_SECRET_0", c->server_ap, hl);
    keel_keylog(s, "EXPORTER_SECRET", c->exporter, hl);
    return 1;
}

/* Over the transcript through the client's Finished (§7.1), for tickets. */
int keel_hs_derive_resumption(SSL *s)
{
    keel_conn *c = s->conn;
    uint8_t th[KEEL_HASH_MAX_LEN];
    return keel_transcript_current(&c->transcript, th)
        && keel_ks_resumption_master(&c->ks, th, c->resumption);
}

/* The handshake is over: its traffic secrets and the key schedule (handshake, then master
 * secret) are wiped. What later use needs was derived from them already: the application traffic
 * secrets (KeyUpdate, §7.2), the exporter and the resumption master secret (§7.1). */
void keel_hs_wipe_secrets(SSL *s)
{
    keel_conn *c = s->conn;
    OPENSSL_cleanse(c->client_hs, sizeof(c->client_hs));
    OPENSSL_cleanse(c->server_hs, sizeof(c->server_hs));
    keel_ks_cleanup(&c->ks);
}

/* verify_data of `server`'s Finished over the transcript so far (§4.4.4). A client's Finished in
 * post-handshake authentication is keyed by its current application traffic secret. */
int keel_hs_finished_mac(SSL *s, int server, uint8_t *out)
{
    keel_conn *c = s->conn;
    uint8_t th[KEEL_HASH_MAX_LEN];
    const uint8_t *base = server ? c->server_hs : c->cert_ctx_len > 0 ? c->client_ap : c->client_hs;
    return keel_transcript_current(&c->transcript, th)
        && keel_ks_verify_data(s->ctx->algs, c->cipher->hash, base, th, out);
}

/* The one place keys change (GUIDE: "Key changes happen in one function"), for both versions:
 * TLS 1.3 traffic keys (keel_set_traffic_key) and TLS 1.2's at ChangeCipherSpec
 * (keel12_change_key) come here. Called from a handler, while the message that causes the change
 * is still at the front of the reassembly buffer (cur_len bytes), or from a write step, when no
 * message is current (cur_len 0). The failure below is the peer's, so this function sends its
 * alert itself (unexpected_message); the callers' internal_error fallback then finds the
 * connection dead. plain_alert: arm the record layer's one-shot plaintext-alert allowance. */
int keel_install_key(SSL *s, int dir, const uint8_t *key, const uint8_t *iv, size_t iv_len,
                     int plain_alert)
{
    keel_conn *c = s->conn;
    const SSL_CIPHER *cs = c->cipher;

    /* RFC 8446 §5.1, RFC 5246 §7.1: handshake messages MUST NOT span a key change; anything
     * buffered after the message that changes the read key came under the old key. */
    if (dir == KEEL_RL_READ && c->hs_len != c->cur_len) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NOT_ON_RECORD_BOUNDARY);
        keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
        return 0;
    }
    int ok = c->version == TLS1_3_VERSION ? keel_rl_set_key13(&c->rl, dir, cs->aead, key, iv)
                                          : keel_rl_set_key12(&c->rl, dir, cs->aead, key, iv, iv_len);
    if (!ok) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    if (plain_alert)
        keel_rl_allow_plain_alert(&c->rl);
    return 1;
}

int keel_set_traffic_key(SSL *s, int dir, const uint8_t *secret)
{
    keel_conn *c = s->conn;
    const SSL_CIPHER *cs = c->cipher;
    uint8_t key[KEEL_AEAD_MAX_KEY_LEN], iv[KEEL_AEAD_NONCE_LEN];

    int ok = keel_ks_traffic_keys(s->ctx->algs, cs->hash, secret, key, keel_aead_key_len(cs->aead), iv);
    /* A client that cannot accept the server's flight may send its alert before it installs its
     * handshake write key (OpenSSL's client does): a server reading under the client's handshake
     * key takes one plaintext alert until the first record under that key (see record.h). */
    ok = ok && keel_install_key(s, dir, key, iv, sizeof(iv),
                                dir == KEEL_RL_READ && c->server && secret == c->client_hs);
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(iv, sizeof(iv));
    return ok;
}

/* KeyUpdate (§7.2): the next generation of one direction's application secret. */
int keel_hs_update_secret(SSL *s, int dir)
{
    keel_conn *c = s->conn;
    int ours = dir == KEEL_RL_WRITE;
    uint8_t *secret = (ours == !c->server) ? c->client_ap : c->server_ap;
    return keel_ks_next_secret(s->ctx->algs, c->cipher->hash, secret, secret)
        && keel_set_traffic_key(s, dir, secret);
}

/* ---- negotiation inputs ---- */

int keel_tls13_allowed(const keel_settings *st)
{
    if (st->options & SSL_OP_NO_TLSv1_3)
        return 0;
    if (st->max_version != 0 && st->max_version < TLS1_3_VERSION)
        return 0;
    return st->min_version <= TLS1_3_VERSION
        && keel_sec_allowed(st, SSL_SECOP_VERSION, 0, TLS1_3_VERSION, NULL);
}

/* OpenSSL 3.0's default group order, less what the provider cannot do and, with op
 * SSL_SECOP_CURVE_SUPPORTED, what the security level or callback refuses (op 0: the caller asks
 * about each candidate itself). */
size_t keel_groups_effective(const SSL *s, int op, uint16_t *out)
{
    static const uint16_t defaults[] = { 0x001d, 0x0017, 0x001e, 0x0019, 0x0018 };
    const uint16_t *list = s->s.ngroups ? s->s.groups : defaults;
    size_t n = s->s.ngroups ? s->s.ngroups : sizeof(defaults) / sizeof(defaults[0]), k = 0;

    for (size_t i = 0; i < n; i++)
        if (keel_kex_supported(s->ctx->algs, list[i])
                && (op == 0 || keel_sec_group(&s->s, op, list[i])))
            out[k++] = list[i];
    return k;
}

/* Our signature schemes (at most KEEL_MAX_SIGALGS into out): for client authentication
 * (the server's CertificateRequest and the client's CertificateVerify) the client_sigalgs list if
 * one is set (SSL_CTX_set1_client_sigalgs(3)), else the sigalgs list, else keel's default. A list
 * we send (op SSL_SECOP_SIGALG_SUPPORTED) loses what the security level or callback refuses
 * (SHA-1 from level 1); with op 0 the caller asks SSL_SECOP_SIGALG_SHARED itself. */
size_t keel_sigalgs_effective(const keel_settings *st, int client_auth, int op, uint16_t *out)
{
    const uint16_t *list;
    size_t n, k = 0;

    if (client_auth && st->nclient_sigalgs) {
        list = st->client_sigalgs;
        n = st->nclient_sigalgs;
    } else if (st->nsigalgs) {
        list = st->sigalgs;
        n = st->nsigalgs;
    } else {
        n = keel_sigalgs_default(&list);
    }
    /* A client whose minimum version is TLS 1.3 never offers SHA-1 or SHA-224 schemes (RFC 8446
     * §4.2.3: legacy, for TLS 1.2), as OpenSSL 3.0 does; a server's CertificateRequest lists them
     * (for certificate signatures), as OpenSSL 3.0's does. */
    int no_legacy = st->sec_ssl != NULL && !st->sec_ssl->server && st->min_version >= TLS1_3_VERSION;
    for (size_t i = 0; i < n && k < KEEL_MAX_SIGALGS; i++)
        if (!(no_legacy && ((list[i] >> 8) == 0x02 || (list[i] >> 8) == 0x03))
                && (op == 0 || keel_sec_sigalg(st, op, list[i])))
            out[k++] = list[i];
    return k;
}

/* A list we send must hold a scheme a TLS 1.3 CertificateVerify may use: RFC 8446 §4.2.3 keeps
 * rsa_pkcs1_*, SHA-224 and SHA-1 for certificate signatures only. */
int keel_sigalgs_can_sign13(const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((v[i] >> 8) != 0x02 && (v[i] >> 8) != 0x03 && v[i] != 0x0401 && v[i] != 0x0501 && v[i] != 0x0601)
            return 1;
    return 0;
}

size_t keel_sigalgs_shared(const SSL *s, int client_auth, uint16_t *out)
{
    const keel_conn *c = s->conn;
    uint16_t ours[KEEL_MAX_SIGALGS];
    size_t nours = keel_sigalgs_effective(&s->s, client_auth, 0, ours), k = 0, j;

    /* In the peer's order, each scheme once: a peer list of any length (repeats included)
     * yields at most nours entries. */
    for (size_t i = 0; i < c->npeer_sigalgs && k < KEEL_MAX_SIGALGS; i++) {
        size_t m;
        for (j = 0; j < nours && ours[j] != c->peer_sigalgs[i]; j++)
            ;
        for (m = 0; m < k && out[m] != c->peer_sigalgs[i]; m++)
            ;
        if (j < nours && m == k && keel_sec_sigalg(&s->s, SSL_SECOP_SIGALG_SHARED, ours[j]))
            out[k++] = ours[j];
    }
    return k;
}

/* NSS key log format: LABEL <client_random hex> <secret hex>. */
void keel_keylog(const SSL *s, const char *label, const uint8_t *secret, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char line[64 + 1 + 64 + 1 + 2 * KEEL_HASH_MAX_LEN + 1];
    size_t n = strlen(label);

    if (s->ctx->keylog_cb == NULL || n > 64 || len > KEEL_HASH_MAX_LEN)
        return;
    memcpy(line, label, n);
    line[n++] = ' ';
    for (size_t i = 0; i < 32; i++) {
        line[n++] = hex[s->conn->client_random[i] >> 4];
        line[n++] = hex[s->conn->client_random[i] & 15];
    }
    line[n++] = ' ';
    for (size_t i = 0; i < len; i++) {
        line[n++] = hex[secret[i] >> 4];
        line[n++] = hex[secret[i] & 15];
    }
    line[n] = '\0';
    s->ctx->keylog_cb(s, line);
    OPENSSL_cleanse(line, sizeof(line));
}
