/* TLS 1.2 secrets: master secret (with or without RFC 7627), key block, Finished, exporter. */
#include "handshake/tls12/tls12.h"

#include <string.h>

const uint8_t keel12_downgrade[8] = { 0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01 };

int keel_tls12_allowed(const keel_settings *st)
{
    if (st->options & SSL_OP_NO_TLSv1_2)
        return 0;
    if (st->max_version != 0 && st->max_version < TLS1_2_VERSION)
        return 0;
    if (st->min_version > TLS1_2_VERSION)
        return 0;
    return keel_sec_allowed(st, SSL_SECOP_VERSION, 0, TLS1_2_VERSION, NULL);
}

static void randoms(const keel_conn *c, int server_first, uint8_t out[64])
{
    memcpy(out, server_first ? c->server_random : c->client_random, 32);
    memcpy(out + 32, server_first ? c->client_random : c->server_random, 32);
}

/* PRF(master, label, seed) (RFC 5246 §5) on the handshake's context: every PRF after the master
 * secret is keyed with it, so the HMAC pads are hashed once per handshake, not once per call. */
static int master_prf(SSL *s, const char *label, const uint8_t *seed, size_t seed_len, uint8_t *out,
                      size_t out_len)
{
    keel_conn *c = s->conn;
    keel_hs *hs = c->hs;
    keel_hash_id hash = c->cipher->hash;
    int same;

    if (hs == NULL)
        return keel_tls12_prf(s->ctx->algs, hash, c->master, KEEL12_MASTER_LEN, label, seed, seed_len, out,
                              out_len);
    if (hs->prf12 != NULL && keel_prf_hash(hs->prf12) != hash) {
        keel_prf_free(hs->prf12);
        hs->prf12 = NULL;
    }
    if (hs->prf12 == NULL && (hs->prf12 = keel_prf_new(s->ctx->algs, hash)) == NULL)
        return 0;
    same = hs->prf12_keyed && CRYPTO_memcmp(hs->prf12_master, c->master, KEEL12_MASTER_LEN) == 0;
    hs->prf12_keyed = keel_prf_tls12(hs->prf12, same ? NULL : c->master, KEEL12_MASTER_LEN, label, seed,
                                     seed_len, out, out_len);
    if (hs->prf12_keyed && !same)
        memcpy(hs->prf12_master, c->master, KEEL12_MASTER_LEN);
    return hs->prf12_keyed;
}

int keel12_master_secret(SSL *s, const uint8_t *pms, size_t pms_len)
{
    keel_conn *c = s->conn;
    const keel_algs *algs = s->ctx->algs;
    uint8_t seed[KEEL_HASH_MAX_LEN > 64 ? KEEL_HASH_MAX_LEN : 64];
    int ok;

    if (c->ems) {
        /* RFC 7627 §4: session_hash = Hash(ClientHello .. ClientKeyExchange). */
        ok = keel_transcript_current(&c->hs->transcript, seed)
            && keel_tls12_prf(algs, c->cipher->hash, pms, pms_len, "extended master secret", seed,
                              keel_hash_len(c->cipher->hash), c->master, KEEL12_MASTER_LEN);
    } else {
        randoms(c, 0, seed);
        ok = keel_tls12_prf(algs, c->cipher->hash, pms, pms_len, "master secret", seed, 64,
                            c->master, KEEL12_MASTER_LEN);
    }
    if (!ok) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    return 1;
}

/* RFC 5246 §6.3: key_block = PRF(master, "key expansion", server_random + client_random), split
 * into client/server MAC keys (none for AEAD), write keys, then write IVs: the 4-byte implicit
 * salt for AES-GCM and AES-CCM (RFC 5288 §3, RFC 6655 §3), the 12-byte fixed IV for
 * ChaCha20-Poly1305 (RFC 7905 §2), a block for CBC (part of the block, unused since TLS 1.1:
 * every record carries its IV). A CBC suite's key goes to keel_install_key as
 * MAC key || encryption key. */
int keel12_change_key(SSL *s, int dir)
{
    keel_conn *c = s->conn;
    const SSL_CIPHER *cs = c->cipher;
    size_t klen = keel_aead_key_len(cs->aead), mlen = keel_mac_len(cs->mac);
    size_t ivlen = cs->mac != KEEL_MAC_AEAD ? KEEL_CBC_BLOCK
                   : cs->aead == KEEL_AEAD_CHACHA20_POLY1305 ? 12 : 4;
    uint8_t seed[64], own[2 * (KEEL_MAC_MAX_LEN + KEEL_AEAD_MAX_KEY_LEN + KEEL_CBC_BLOCK)];
    uint8_t keys[KEEL_MAC_MAX_LEN + KEEL_AEAD_MAX_KEY_LEN];
    size_t need = 2 * mlen + 2 * klen + 2 * ivlen;
    /* The client's keys protect what the client writes. */
    int client_side = (dir == KEEL_RL_WRITE) == !c->server;
    /* One key block per handshake serves both ChangeCipherSpecs (kept in the handshake object,
     * cleansed with it); without one (cannot happen in a handshake) a local block. */
    uint8_t *block = c->hs != NULL && need <= sizeof(c->hs->key_block12) ? c->hs->key_block12 : own;

    if (block == own || c->hs->key_block12_len != need) {
        randoms(c, 1, seed);
        if (!master_prf(s, "key expansion", seed, sizeof(seed), block, need)) {
            ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
            return 0;
        }
        if (block != own)
            c->hs->key_block12_len = need;
    }
    memcpy(keys, block + (client_side ? 0 : mlen), mlen);
    memcpy(keys + mlen, block + 2 * mlen + (client_side ? 0 : klen), klen);
    const uint8_t *iv = block + 2 * mlen + 2 * klen + (client_side ? 0 : ivlen);
    int ok = keel_install_key(s, dir, keys, iv, ivlen, 0);
    OPENSSL_cleanse(own, sizeof(own));
    OPENSSL_cleanse(keys, sizeof(keys));
    return ok;
}

static int verify_data(SSL *s, int server, uint8_t out[KEEL12_VERIFY_LEN])
{
    keel_conn *c = s->conn;
    uint8_t th[KEEL_HASH_MAX_LEN];
    if (!keel_transcript_current(&c->hs->transcript, th)
            || !master_prf(s, server ? "server finished" : "client finished", th,
                           keel_hash_len(c->cipher->hash), out, KEEL12_VERIFY_LEN)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return 0;
    }
    return 1;
}

int keel12_write_finished(SSL *s)
{
    keel_conn *c = s->conn;
    uint8_t msg[4 + KEEL12_VERIFY_LEN];
    keel_wr w;
    size_t body;

    if (!verify_data(s, c->server, c->finished))
        return 0;
    keel_wr_init_fixed(&w, msg, sizeof(msg));
    /* The key log's line, as OpenSSL 3.0 writes it: with each Finished we write (so in a
     * resumption and a renegotiation too), after our change_cipher_spec (tests/diff/callbacks.c). */
    keel_keylog(s, "CLIENT_RANDOM", c->master, KEEL12_MASTER_LEN);
    c->finished_len = KEEL12_VERIFY_LEN;
    keel_wr_u8(&w, SSL3_MT_FINISHED);
    keel_wr_open24(&w, &body);
    keel_wr_bytes(&w, c->finished, KEEL12_VERIFY_LEN);
    keel_wr_close(&w, body);
    return keel_send_hs(s, &w);
}

int keel12_read_finished(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    uint8_t want[KEEL12_VERIFY_LEN];

    /* The expected value covers the transcript before this message (RFC 5246 §7.4.9). */
    if (!verify_data(s, !c->server, want))
        return SSL_AD_INTERNAL_ERROR;
    if (keel_rd_left(body) != KEEL12_VERIFY_LEN) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_DIGEST_LENGTH);
        return SSL_AD_DECODE_ERROR;
    }
    if (CRYPTO_memcmp(body->p, want, KEEL12_VERIFY_LEN) != 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_DIGEST_CHECK_FAILED);
        return SSL_AD_DECRYPT_ERROR;
    }
    memcpy(c->peer_finished, want, KEEL12_VERIFY_LEN);
    c->peer_finished_len = KEEL12_VERIFY_LEN;
    return keel_hs_hash_current(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

int keel12_write_ccs(SSL *s)
{
    return keel_write_ccs(s) && keel12_change_key(s, KEEL_RL_WRITE);
}

int keel12_read_ccs(SSL *s, keel_rd *body)
{
    (void)body; /* the read path checked it is the single byte 1 */
    return keel12_change_key(s, KEEL_RL_READ) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* RFC 5705 §4, with the labels RFC 5246 uses for itself refused, as OpenSSL 3.0 refuses them. */
int keel12_export(SSL *s, uint8_t *out, size_t out_len, const char *label, size_t label_len,
                  const uint8_t *context, size_t context_len, int use_context)
{
    static const char *const reserved[] = { "client finished", "server finished", "master secret",
                                            "extended master secret", "key expansion" };
    keel_conn *c = s->conn;
    uint8_t *seed;
    size_t seed_len = 64 + (use_context ? 2 + context_len : 0);
    char *lab;

    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (label_len == strlen(reserved[i]) && memcmp(label, reserved[i], label_len) == 0) {
            ERR_raise(ERR_LIB_SSL, SSL_R_TLS_ILLEGAL_EXPORTER_LABEL);
            return 0;
        }
    if (use_context && context_len > 0xffff) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
        return 0;
    }
    seed = OPENSSL_malloc(seed_len);
    lab = OPENSSL_strndup(label, label_len);
    if (seed == NULL || lab == NULL) {
        OPENSSL_free(seed);
        OPENSSL_free(lab);
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return 0;
    }
    randoms(c, 0, seed);
    if (use_context) {
        seed[64] = (uint8_t)(context_len >> 8);
        seed[65] = (uint8_t)context_len;
        if (context_len > 0)
            memcpy(seed + 66, context, context_len);
    }
    int ok = keel_tls12_prf(s->ctx->algs, c->cipher->hash, c->master, KEEL12_MASTER_LEN, lab, seed,
                            seed_len, out, out_len);
    OPENSSL_free(seed);
    OPENSSL_free(lab);
    if (!ok)
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
    return ok;
}
