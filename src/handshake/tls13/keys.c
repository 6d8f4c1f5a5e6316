/* The connection's TLS 1.3 secrets: each stage of the key schedule at the point of the handshake
 * RFC 8446 §7.1 names, the key log, and the negotiation inputs both roles share (enabled groups,
 * signature schemes, whether TLS 1.3 may be spoken at all). */
#include "handshake/hs.h"

#include <string.h>

/* The current handshake message joins the transcript (the handshake's, or a post-handshake
 * authentication exchange's). */
int keel_hs_hash_current(SSL *s)
{
    keel_transcript *t = keel_transcript_of(s->conn);
    if (t == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    return keel_transcript_update(t, s->conn->hs_buf, s->conn->cur_len);
}

/* Hash of keel_transcript_of(c) so far. */
int keel_transcript_hash(keel_conn *c, uint8_t *out)
{
    keel_transcript *t = keel_transcript_of(c);
    if (t == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    return keel_transcript_current(t, out);
}

int keel_hs_derive_handshake(SSL *s, const uint8_t *shared, size_t len)
{
    keel_conn *c = s->conn;
    uint8_t th[KEEL_HASH_MAX_LEN];

    /* Not logged here: the key log follows OpenSSL 3.0's key changes, not keel's (keel_keylog_hs). */
    return keel_transcript_current(&c->hs->transcript, th) && keel_ks_handshake(&c->hs->ks, shared, len)
        && keel_ks_client_hs_traffic(&c->hs->ks, th, c->hs->client_hs)
        && keel_ks_server_hs_traffic(&c->hs->ks, th, c->hs->server_hs);
}

/* The key log's lines of the handshake secrets, each at the point OpenSSL 3.0 writes it
 * (tests/diff/callbacks.c): the client's SERVER_ line at the ServerHello, its CLIENT_ line when it
 * starts writing its second flight (after its change_cipher_spec, before Certificate or Finished)
 * or after EndOfEarlyData; the server both once its compatibility change_cipher_spec is out
 * (right after the ServerHello when there is none) — a server that accepted early data its
 * CLIENT_ line only at EndOfEarlyData (early.c): a connection that ends before it never logs it.
 * keel's client uses its handshake write key from the ServerHello on (an alert about the
 * server's flight is protected); the key log is only a callback and says nothing of that. */
void keel_keylog_hs(SSL *s, int server_secret, int client_secret)
{
    keel_conn *c = s->conn;
    size_t hl = keel_hash_len(c->cipher->hash);

    if (server_secret)
        keel_keylog(s, "SERVER_HANDSHAKE_TRAFFIC_SECRET", c->hs->server_hs, hl);
    if (client_secret && !c->hs->chts_logged) {
        c->hs->chts_logged = 1;
        keel_keylog(s, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", c->hs->client_hs, hl);
    }
}

/* keel's TLS 1.3 client protects an alert about the server's flight under its handshake key
 * (OpenSSL's sends it in plaintext, before it takes that key): the secret is logged first, so
 * that a key log always opens what was sent. */
void keel_keylog_before_alert(SSL *s)
{
    keel_conn *c = s->conn;

    if (!s->server && c->version == TLS1_3_VERSION && c->hs != NULL && !c->early.offered
            && c->rl.wr.prot == KEEL_RL_PROT_TLS13)
        keel_keylog_hs(s, 0, 1);
}

/* Over the transcript through the server's Finished. */
int keel_hs_derive_application(SSL *s)
{
    keel_conn *c = s->conn;
    uint8_t th[KEEL_HASH_MAX_LEN];
    size_t hl = keel_hash_len(c->cipher->hash);

    if (!keel_transcript_current(&c->hs->transcript, th) || !keel_ks_master(&c->hs->ks)
            || !keel_ks_client_app_traffic(&c->hs->ks, th, c->client_ap)
            || !keel_ks_server_app_traffic(&c->hs->ks, th, c->server_ap)
            || !keel_ks_exporter_master(&c->hs->ks, th, c->exporter))
        return 0;
    keel_keylog(s, "EXPORTER_SECRET", c->exporter, hl);
    keel_keylog(s, "SERVER_TRAFFIC_SECRET_0", c->server_ap, hl);
    /* CLIENT_TRAFFIC_SECRET_0 comes when the client's Finished is out (client.c), and on the
     * server when it arrives (server.c), as OpenSSL 3.0 logs it. */
    return 1;
}

/* Over the transcript through the client's Finished (§7.1), for tickets. */
int keel_hs_derive_resumption(SSL *s)
{
    keel_conn *c = s->conn;
    uint8_t th[KEEL_HASH_MAX_LEN];
    return keel_transcript_current(&c->hs->transcript, th)
        && keel_ks_resumption_master(&c->hs->ks, th, c->resumption);
}

/* The finished-key slot of a handshake traffic secret (keel_ks_traffic_keys_fk_on fills it with
 * the secret's traffic keys), with its present flag; NULL for any other secret. */
static uint8_t *fk_slot(keel_hs *hs, const uint8_t *secret, int **set)
{
    *set = hs == NULL ? NULL : secret == hs->client_hs ? &hs->client_fk_set
        : secret == hs->server_hs ? &hs->server_fk_set : NULL;
    return *set == NULL ? NULL : secret == hs->client_hs ? hs->client_fk : hs->server_fk;
}

/* verify_data of `server`'s Finished over the transcript so far (§4.4.4). A client's Finished in
 * post-handshake authentication is keyed by its current application traffic secret. */
int keel_hs_finished_mac(SSL *s, int server, uint8_t *out)
{
    keel_conn *c = s->conn;
    uint8_t th[KEEL_HASH_MAX_LEN];
    /* In post-handshake authentication the handshake object is gone. */
    const uint8_t *base = c->cert_ctx_len > 0 && !server ? c->client_ap
        : c->hs == NULL ? NULL : server ? c->hs->server_hs : c->hs->client_hs;
    if (base == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    /* The finished key derived with the secret's traffic keys, if it was. */
    int *fk_set;
    const uint8_t *fk = fk_slot(c->hs, base, &fk_set);
    if (fk != NULL && *fk_set)
        return keel_transcript_hash(c, th)
            && keel_ks_verify_data_fk_on(&c->hs->ks, s->ctx->algs, c->cipher->hash, fk, th, out);
    return keel_transcript_hash(c, th)
        && keel_ks_verify_data_on(c->hs != NULL ? &c->hs->ks : NULL, s->ctx->algs, c->cipher->hash,
                                  base, th, out);
}

/* The one place keys change (GUIDE: "Key changes happen in one function"), for both versions:
 * TLS 1.3 traffic keys (keel_set_traffic_key) and TLS 1.2's at ChangeCipherSpec
 * (keel12_change_key) come here. Called from a handler, while the message that causes the change
 * is still at the front of the reassembly buffer (cur_len bytes), or from a write step, when no
 * message is current (cur_len 0). The failure below is the peer's, so this function sends its
 * alert itself (unexpected_message); the callers' internal_error fallback then finds the
 * connection dead. plain_alert: arm the record layer's one-shot plaintext-alert allowance. */
/* early: a TLS 1.3 key of suite `early` before any version is negotiated (the client's
 * early data key, RFC 8446 §7.1 client_early_traffic_secret); key NULL: back to plaintext (the
 * client's second ClientHello after early data, §4.2.10). */
static int install(SSL *s, int dir, const SSL_CIPHER *early, const uint8_t *key, const uint8_t *iv,
                   size_t iv_len, int plain_alert)
{
    keel_conn *c = s->conn;
    const SSL_CIPHER *cs = early != NULL ? early : c->cipher;

    /* RFC 8446 §5.1, RFC 5246 §7.1: handshake messages MUST NOT span a key change; anything
     * buffered after the message that changes the read key came under the old key. */
    if (dir == KEEL_RL_READ && c->hs_len != c->cur_len) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NOT_ON_RECORD_BOUNDARY);
        keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
        return 0;
    }
    /* A TLS 1.2 CBC suite's key is MAC key || encryption key (keel12_change_key). */
    int ok = key == NULL ? keel_rl_set_plain(&c->rl, dir)
             : c->version == TLS1_3_VERSION || early != NULL
                 ? keel_rl_set_key13(&c->rl, dir, cs->aead, key, iv)
             : cs->mac != KEEL_MAC_AEAD
                 ? keel_rl_set_key12_cbc(&c->rl, dir, cs->aead, cs->mac, c->etm, key,
                                         key + keel_mac_len(cs->mac))
                 : keel_rl_set_key12(&c->rl, dir, cs->aead, key, iv, iv_len);
    if (!ok) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    if (plain_alert)
        keel_rl_allow_plain_alert(&c->rl);
    return 1;
}

int keel_install_key(SSL *s, int dir, const uint8_t *key, const uint8_t *iv, size_t iv_len,
                     int plain_alert)
{
    return install(s, dir, NULL, key, iv, iv_len, plain_alert);
}

/* The early data key of suite cs from client_early_traffic_secret, or (secret NULL) plaintext.
 * The server may not have the key (it may reject the early data): a client writing under it sends
 * its alerts in plaintext, and a server reading under it takes one plaintext alert, as OpenSSL's
 * do (RFC 8446 §4.2.10: the server may be unable to decrypt what the client sends early). */
int keel_set_early_key(SSL *s, int dir, const SSL_CIPHER *cs, const uint8_t *secret)
{
    uint8_t key[KEEL_AEAD_MAX_KEY_LEN], iv[KEEL_AEAD_NONCE_LEN];

    if (secret == NULL)
        return install(s, dir, NULL, NULL, NULL, 0, 0);
    keel_hs *hs = s->conn->hs;
    int ok = keel_ks_traffic_keys_on(hs != NULL ? &hs->ks : NULL, s->ctx->algs, cs->hash, secret, key,
                                     keel_aead_key_len(cs->aead), iv)
        && install(s, dir, cs, key, iv, sizeof(iv), 0);
    if (ok && dir == KEEL_RL_WRITE)
        keel_rl_plain_alerts_out(&s->conn->rl);
    else if (ok)
        keel_rl_plain_alerts_in(&s->conn->rl);
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(iv, sizeof(iv));
    return ok;
}

int keel_set_traffic_key(SSL *s, int dir, const uint8_t *secret)
{
    keel_conn *c = s->conn;
    const SSL_CIPHER *cs = c->cipher;
    uint8_t key[KEEL_AEAD_MAX_KEY_LEN], iv[KEEL_AEAD_NONCE_LEN];

    /* During the handshake on the key schedule's HMAC context (no context made per key); a
     * handshake traffic secret's finished key comes in the same run (keel_hs_finished_mac). */
    keel_hs *hs = c->hs;
    int *fk_set;
    uint8_t *fk = fk_slot(hs, secret, &fk_set);
    if (fk_set != NULL)
        *fk_set = 0;
    int ok = keel_ks_traffic_keys_fk_on(hs != NULL ? &hs->ks : NULL, s->ctx->algs, cs->hash, secret,
                                        key, keel_aead_key_len(cs->aead), iv, fk);
    if (ok && fk_set != NULL)
        *fk_set = 1;
    /* A client that cannot accept the server's flight may send its alert before it installs its
     * handshake write key (OpenSSL's client does): a server reading under the client's handshake
     * key takes one plaintext alert until the first record under that key (see record.h). */
    ok = ok && keel_install_key(s, dir, key, iv, sizeof(iv),
                                dir == KEEL_RL_READ && c->server && c->hs != NULL
                                    && secret == c->hs->client_hs);
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(iv, sizeof(iv));
    return ok;
}

/* KeyUpdate (§7.2): the next generation of one direction's application secret. */
int keel_hs_update_secret(SSL *s, int dir)
{
    keel_conn *c = s->conn;
    int ours = dir == KEEL_RL_WRITE;
    int client = ours == !c->server;
    uint8_t *secret = client ? c->client_ap : c->server_ap;
    if (!keel_ks_next_secret(s->ctx->algs, c->cipher->hash, secret, secret))
        return 0;
    /* OpenSSL 3.0 logs each generation under one label per direction. */
    keel_keylog(s, client ? "CLIENT_TRAFFIC_SECRET_N" : "SERVER_TRAFFIC_SECRET_N", secret,
                keel_hash_len(c->cipher->hash));
    return keel_set_traffic_key(s, dir, secret);
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
