/* TLS 1.3 resumption (RFC 8446 §4.6.1): the server's NewSessionTicket, stateless ticket sealing,
 * the client's session from a ticket, the server cache's lookup. The PSK offer and acceptance
 * (§4.2.11) are psk.c's. */
#include "handshake/ext.h"
#include "proto/session.h"

#include <string.h>

/* A resumption PSK is as long as its suite's hash and lives inside the session. */
_Static_assert(sizeof(((SSL_SESSION *)0)->key_buf) >= KEEL_SUITE_HASH_MAX, "session key_buf");

#define TICKET_NAME_LEN 16
#define MAX_TICKET_LIFETIME 604800 /* seven days, RFC 8446 §4.6.1 */

/* ---- ticket keys: a current and a previous key per context, one per rotation period ---- */

/* The keys are derived, not drawn: from a secret made in SSL_CTX_new and the number of the
 * period (one session lifetime long). Every worker a server forks after creating its context
 * therefore computes the same key for the same period, and a ticket issued by one resumes on
 * another, also after rotations. Only the secret is ever random. */
static int period_key(const SSL_CTX *ctx, uint64_t period, keel_ticket_key *k)
{
    static const char label[] = "keel ticket key";
    uint8_t info[sizeof(label) + 8], out[sizeof(k->name) + sizeof(k->key)];

    memcpy(info, label, sizeof(label));
    for (size_t i = 0; i < 8; i++)
        info[sizeof(label) + i] = (uint8_t)(period >> (56 - 8 * i));
    if (!keel_hkdf_expand(ctx->algs, KEEL_HASH_SHA256, ctx->ticket_secret, info, sizeof(info), out,
                          sizeof(out)))
        return 0;
    memcpy(k->name, out, sizeof(k->name));
    memcpy(k->key, out + sizeof(k->name), sizeof(k->key));
    k->period = period;
    OPENSSL_cleanse(out, sizeof(out));
    return 1;
}

static uint64_t period_now(const SSL_CTX *ctx)
{
    long life = ctx->s->session_timeout > 0 ? ctx->s->session_timeout : 7200;
    time_t now = time(NULL);
    return (uint64_t)(now > 0 ? now : 0) / (uint64_t)life + 1; /* from 1: 0 marks no key */
}

/* Under the context's write lock. */
static int rotate_keys(SSL_CTX *ctx)
{
    keel_ticket_key *k = ctx->ticket_keys;
    uint64_t period = period_now(ctx);

    if (k[0].period == period)
        return 1;
    return period_key(ctx, period, &k[0]) && period_key(ctx, period - 1, &k[1]);
}

/* A copy of the current and previous keys; the write lock only when a period has turned. */
static int keys_now(SSL_CTX *ctx, keel_ticket_key keys[2])
{
    int ok = 0;

    if (!CRYPTO_THREAD_read_lock(ctx->lock))
        return 0;
    if (ctx->ticket_keys[0].period == period_now(ctx)) {
        memcpy(keys, ctx->ticket_keys, 2 * sizeof(keys[0]));
        ok = 1;
    }
    CRYPTO_THREAD_unlock(ctx->lock);
    if (ok)
        return 1;
    if (!CRYPTO_THREAD_write_lock(ctx->lock))
        return 0;
    ok = rotate_keys(ctx);
    memcpy(keys, ctx->ticket_keys, 2 * sizeof(keys[0]));
    CRYPTO_THREAD_unlock(ctx->lock);
    return ok;
}

/* The secret is extracted from the 80 bytes SSL_CTX_get/set_tlsext_ticket_keys(3) exchange
 * (RFC 5869 §2.2), so that servers given the same keys issue tickets each other can open. */
static int keys_from_app(SSL_CTX *ctx)
{
    uint8_t secret[sizeof(ctx->ticket_secret)];
    if (!keel_hkdf_extract(ctx->algs, KEEL_HASH_SHA256, NULL, 0, ctx->ticket_app_keys,
                           sizeof(ctx->ticket_app_keys), secret))
        return 0;
    memcpy(ctx->ticket_secret, secret, sizeof(secret));
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(ctx->ticket_keys, sizeof(ctx->ticket_keys)); /* the old keys are secrets */
    return rotate_keys(ctx);
}

/* SSL_CTX_new makes the keys, as OpenSSL makes its key there: servers create their context and
 * then fork workers, which must share it. */
int keel_ticket_keys_init(SSL_CTX *ctx)
{
    return keel_random(ctx->algs, ctx->ticket_app_keys, sizeof(ctx->ticket_app_keys))
        && keys_from_app(ctx);
}

/* Ctrls 58/59: the 80 bytes (OpenSSL's key name, HMAC and AES keys; keel's ticket keys are
 * derived from all of them); parg NULL asks for the length. */
long keel_ticket_keys_ctrl(SSL_CTX *ctx, int set, void *keys, long len)
{
    if (keys == NULL)
        return (long)sizeof(ctx->ticket_app_keys);
    if (len != (long)sizeof(ctx->ticket_app_keys)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_TICKET_KEYS_LENGTH);
        return 0;
    }
    if (!set) {
        if (!CRYPTO_THREAD_read_lock(ctx->lock))
            return 0;
        memcpy(keys, ctx->ticket_app_keys, sizeof(ctx->ticket_app_keys));
        CRYPTO_THREAD_unlock(ctx->lock);
        return 1;
    }
    if (!CRYPTO_THREAD_write_lock(ctx->lock))
        return 0;
    memcpy(ctx->ticket_app_keys, keys, sizeof(ctx->ticket_app_keys));
    int ok = keys_from_app(ctx);
    CRYPTO_THREAD_unlock(ctx->lock);
    return ok;
}

int SSL_CTX_set_tlsext_ticket_key_evp_cb(SSL_CTX *ctx, keel_ticket_cb cb)
{
    ctx->ticket_key_evp_cb = cb;
    return 1;
}

/* ticket = key_name(16) || nonce(12) || AES-256-GCM(session encoding, aad = key_name) || tag,
 * unless the application seals tickets itself. 1 = sealed, 0 = error, -1 = the application's
 * callback declined to issue a ticket. Both versions' tickets (TLS 1.2: RFC 5077 §4). The nonce is
 * random: KEEL_AEAD_NONCE_LEN bytes the caller drew along with others, or NULL to draw it here. */
int keel_ticket_seal(SSL *s, const uint8_t *pt, size_t len, const uint8_t *nonce, uint8_t **out,
                     size_t *out_len)
{
    SSL_CTX *ctx = s->session_ctx;
    keel_ticket_key key;
    uint8_t *t = NULL;
    size_t tl = TICKET_NAME_LEN + KEEL_AEAD_NONCE_LEN + len + KEEL_AEAD_TAG_LEN;
    keel_aead_ctx *a = NULL;
    int ok = 0;

    if (ctx->ticket_key_evp_cb != NULL || ctx->ticket_key_cb != NULL) {
        keel_ticket_cbs cbs = { ctx->ticket_key_evp_cb, ctx->ticket_key_cb };
        int r = keel_ticket_cb_seal(ctx->algs, &cbs, s, pt, len, out, out_len);
        return r > 0 ? 1 : r == 0 ? -1 : 0;
    }
    keel_ticket_key keys[2];
    ok = keys_now(ctx, keys);
    key = keys[0];
    OPENSSL_cleanse(keys, sizeof(keys));
    if (!ok || (t = OPENSSL_malloc(tl)) == NULL
            || (a = keel_aead_new(ctx->algs, KEEL_AEAD_AES_256_GCM, 1)) == NULL
            || !keel_aead_set_key(a, key.key)) {
        if (ok && t == NULL)
            ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        ok = 0; /* never hand out t unsealed */
        goto end;
    }
    memcpy(t, key.name, TICKET_NAME_LEN);
    if (nonce != NULL)
        memcpy(t + TICKET_NAME_LEN, nonce, KEEL_AEAD_NONCE_LEN);
    ok = (nonce != NULL || keel_random(ctx->algs, t + TICKET_NAME_LEN, KEEL_AEAD_NONCE_LEN))
        && keel_aead_seal(a, t + TICKET_NAME_LEN, t, TICKET_NAME_LEN, pt, len,
                          t + TICKET_NAME_LEN + KEEL_AEAD_NONCE_LEN);
end:
    keel_aead_free(a);
    OPENSSL_cleanse(&key, sizeof(key));
    if (!ok) {
        OPENSSL_free(t);
        return 0;
    }
    *out = t;
    *out_len = tl;
    return 1;
}

/* The session a ticket stands for, or NULL (unknown key, tampered, malformed): a ticket that
 * cannot be opened means a full handshake, never an error. *renew (may be NULL) is set when the
 * ticket should be replaced: sealed under the previous period's key, or the application's
 * callback returned 2 (SSL_CTX_set_tlsext_ticket_key_evp_cb(3)). */
SSL_SESSION *keel_ticket_open(SSL *s, const uint8_t *t, size_t len, int *renew)
{
    SSL_CTX *ctx = s->session_ctx;
    keel_ticket_key key;
    int found = 0, dummy;

    if (renew == NULL)
        renew = &dummy;
    *renew = 0;

    if (ctx->ticket_key_evp_cb != NULL || ctx->ticket_key_cb != NULL) {
        keel_ticket_cbs cbs = { ctx->ticket_key_evp_cb, ctx->ticket_key_cb };
        uint8_t *pt = NULL;
        size_t ptlen = 0;
        SSL_SESSION *ss = NULL;
        int r = keel_ticket_cb_open(ctx->algs, &cbs, s, t, len, &pt, &ptlen);
        *renew = r == 2;
        if (r > 0) {
            ERR_set_mark();
            ss = keel_session_decode(pt, ptlen);
            ERR_pop_to_mark();
        }
        OPENSSL_clear_free(pt, ptlen);
        return ss;
    }
    if (len < TICKET_NAME_LEN + KEEL_AEAD_NONCE_LEN + KEEL_AEAD_TAG_LEN + 1)
        return NULL;
    keel_ticket_key keys[2];
    ERR_set_mark(); /* a key derivation failure means a full handshake: its errors only are dropped */
    if (!keys_now(ctx, keys)) {
        OPENSSL_cleanse(keys, sizeof(keys));
        ERR_pop_to_mark();
        return NULL;
    }
    ERR_clear_last_mark();
    for (int i = 0; i < 2 && !found; i++) {
        if (CRYPTO_memcmp(keys[i].name, t, TICKET_NAME_LEN) == 0) {
            key = keys[i];
            found = 1;
            *renew = i == 1;
        }
    }
    OPENSSL_cleanse(keys, sizeof(keys));
    if (!found)
        return NULL;
    size_t ctl = len - TICKET_NAME_LEN - KEEL_AEAD_NONCE_LEN;
    uint8_t *pt = OPENSSL_malloc(ctl);
    keel_aead_ctx *a = keel_aead_new(ctx->algs, KEEL_AEAD_AES_256_GCM, 0);
    SSL_SESSION *ss = NULL;
    if (pt != NULL && a != NULL && keel_aead_set_key(a, key.key)
            && keel_aead_open(a, t + TICKET_NAME_LEN, t, TICKET_NAME_LEN,
                              t + TICKET_NAME_LEN + KEEL_AEAD_NONCE_LEN, ctl, pt)) {
        ERR_set_mark();
        ss = keel_session_decode(pt, ctl - KEEL_AEAD_TAG_LEN);
        ERR_pop_to_mark();
    }
    keel_aead_free(a);
    OPENSSL_clear_free(pt, ctl);
    OPENSSL_cleanse(&key, sizeof(key));
    return ss;
}

/* A session describing this connection (both roles, both versions), without ticket or PSK yet;
 * its session id is id (id_len ≤ 32 bytes; none when 0). The callers that want a random one draw
 * it along with whatever else they need: a RAND_bytes call costs ~6k instructions. */
SSL_SESSION *keel_session_from_conn(SSL *s, const uint8_t *id, size_t id_len)
{
    keel_conn *c = s->conn;
    SSL_SESSION *ss = SSL_SESSION_new();
    X509 *peer = SSL_get0_peer_certificate(s);

    if (ss == NULL)
        return NULL;
    ss->version = c->version;
    ss->cipher = c->cipher;
    ss->kex_group = c->group; /* recorded as OpenSSL does ([19] of the encoding) */
    ss->mfl_mode = c->mfl;    /* RFC 6066 §4: it holds for the session's resumptions too */
    ss->timeout = s->s->session_timeout;
    ss->verify_result = s->verify_result;
    memcpy(ss->sid_ctx, s->s->sid_ctx, s->s->sid_ctx_len);
    ss->sid_ctx_len = s->s->sid_ctx_len;
    if (peer != NULL && X509_up_ref(peer))
        ss->peer = peer;
    /* The name is the session's only if the server acknowledged it (RFC 6066 §3), as OpenSSL
     * records it on both sides. */
    if ((peer != NULL && ss->peer == NULL) || !SSL_SESSION_set1_hostname(ss, c->sni_acked ? s->hostname : NULL)
            || !SSL_SESSION_set1_alpn_selected(ss, c->alpn, c->alpn_len)) {
        SSL_SESSION_free(ss);
        return NULL;
    }
    if (id_len > 0)
        memcpy(ss->session_id, id, id_len);
    ss->session_id_len = (unsigned int)id_len;
    return ss;
}

/* The server's fresh session of its handshake start (io.c), not yet describing the connection. */
static int session_is_fresh(const SSL_SESSION *ss)
{
    return ss == NULL || ss->cipher == NULL;
}

/* Server: after the client's Finished, num_tickets NewSessionTickets (§4.6.1), or one (just_one:
 * SSL_new_session_ticket). With SSL_OP_NO_TICKET the "ticket" is the session id of a session held
 * in the server cache. */
int keel_server_send_tickets(SSL *s, int just_one)
{
    keel_conn *c = s->conn;
    /* With anti-replay on, tickets are stateful (SSL_read_early_data(3)). */
    int stateful = (s->s->options & SSL_OP_NO_TICKET) != 0 || keel_early_anti_replay(s);
    SSL_CTX *sctx = s->session_ctx;
    /* Stored only where the server cache is on (SSL_CTX_set_session_cache_mode(3)). */
    int store = (sctx->session_cache_mode & SSL_SESS_CACHE_SERVER)
        && !(sctx->session_cache_mode & SSL_SESS_CACHE_NO_INTERNAL_STORE);

    /* SSL_CTX_set_num_tickets(3): never more than one following a resumption. */
    size_t count = just_one || (c->resumed && s->s->num_tickets > 1) ? 1 : s->s->num_tickets;
    for (size_t i = 0; i < count; i++) {
        /* One draw: the session id (OpenSSL's TLS 1.3 server sessions have a random one; it is
         * the stateful ticket), ticket_age_add (§4.6.1) and the sealing nonce of a stateless one. */
        uint8_t rnd[32 + 4 + KEEL_AEAD_NONCE_LEN];
        SSL_SESSION *ss = keel_random(s->ctx->algs, rnd, sizeof(rnd)) ? keel_session_from_conn(s, rnd, 32) : NULL;
        /* A counter of 8 bytes (§4.6.1 allows up to 255): unique among the connection's tickets,
         * so no two tickets carry the same resumption PSK. */
        uint8_t nonce[8], *ticket = NULL, *enc = NULL;
        size_t ticket_len = 0, enc_len = 0, body, m;
        keel_wr w;
        int ok = ss != NULL;
        uint32_t hint = 0;

        /* After a PSK handshake the ticket's session inherits the verification result of the
         * session it used (an external PSK's included), as OpenSSL's derive from it. */
        if (ok && c->resumed && s->session != NULL)
            ss->verify_result = s->session->verify_result;
        if (ok)
            ss->max_early_data = s->s->max_early_data; /* §4.6.1, and kept in the session */
        if (s->state != TLS_ST_OK) {
            /* In a handshake (or after post-handshake authentication) each ticket is a state of
             * the info callback's, as in OpenSSL; the handshake is reported done before the
             * first one. SSL_new_session_ticket's tickets are not. */
            keel_step(s, TLS_ST_SW_SESSION_TICKET);
            if (!c->done_reported) {
                c->done_reported = 1;
                keel_info(s, SSL_CB_HANDSHAKE_DONE, 1);
            }
        }
        for (size_t j = 0, n = c->tickets_sent; j < sizeof(nonce); j++, n >>= 8)
            nonce[sizeof(nonce) - 1 - j] = (uint8_t)(n & 0xff);
        if (ok)
            memcpy(&ss->ticket_age_add, rnd + 32, 4);
        ok = ok && keel_ks_resumption_psk(s->ctx->algs, c->cipher->hash, c->resumption, nonce,
                                      sizeof(nonce), ss->master_key);
        if (ok) {
            ss->master_key_len = keel_hash_len(c->cipher->hash);
            /* The hint goes on the wire only: a server's session has none, as OpenSSL's. */
            hint = (uint32_t)(ss->timeout > MAX_TICKET_LIFETIME ? MAX_TICKET_LIFETIME
                              : ss->timeout < 0 ? 0 : ss->timeout);
        }
        if (ok && stateful) {
            if (store)
                ok = SSL_CTX_add_session(sctx, ss);
            ticket = ss->session_id;
            ticket_len = ss->session_id_len;
        }
        if (ok && (sctx->session_cache_mode & SSL_SESS_CACHE_SERVER) && sctx->new_session_cb != NULL) {
            SSL_SESSION_up_ref(ss);
            if (sctx->new_session_cb(s, ss) == 0)
                SSL_SESSION_free(ss);
        }
        int declined = 0; /* the application's ticket callback issued none */
        if (ok && !stateful) {
            int r = keel_session_encode(ss, &enc, &enc_len)
                ? keel_ticket_seal(s, enc, enc_len, rnd + 32 + 4, &ticket, &ticket_len) : 0;
            declined = r < 0;
            ok = r != 0;
        }
        if (ok && !declined && (ok = keel_wr_init(&w, 64 + ticket_len))) {
            keel_wr_u8(&w, SSL3_MT_NEWSESSION_TICKET);
            keel_wr_open24(&w, &body);
            keel_wr_u32(&w, hint);
            keel_wr_u32(&w, ss->ticket_age_add);
            keel_wr_u8(&w, sizeof(nonce));
            keel_wr_bytes(&w, nonce, sizeof(nonce));
            keel_wr_open16(&w, &m);
            keel_wr_bytes(&w, ticket, ticket_len);
            keel_wr_close(&w, m);
            keel_early_write_nst(s, &w); /* early_data, or no extension */
            keel_wr_close(&w, body);
            ok = !keel_wr_failed(&w);
            /* The one send path: fragmented by the current max_send_fragment (a stateless ticket
             * holds the client's certificate), kept out of the transcript by message type. */
            ok = ok && keel_write_hs(s, &w);
            keel_wr_cleanup(&w);
        }
        if (!stateful)
            OPENSSL_free(ticket);
        OPENSSL_clear_free(enc, enc_len);
        if (ok && (session_is_fresh(s->session) || c->resumed)) {
            /* The first ticket's session describes a full handshake's connection; a resumed one's
             * becomes its new ticket's, as OpenSSL 3.0's server does, so that what is forgotten
             * after a fatal alert (RFC 5246 §7.2.2, msg.c) is this connection's ticket, not the
             * one it resumed. */
            SSL_SESSION_up_ref(ss);
            SSL_SESSION_free(s->session);
            s->session = ss;
        }
        SSL_SESSION_free(ss);
        if (!ok)
            return 0;
        c->tickets_sent++;
    }
    if (session_is_fresh(s->session)) {
        /* No ticket issued: the session still describes the connection, but nothing resumes it. */
        /* OpenSSL 3.0's server session has an id only from its first ticket on (misc16.c). */
        SSL_SESSION *ss = keel_session_from_conn(s, NULL, 0);
        if (ss == NULL)
            return 0;
        ss->not_resumable = 1;
        SSL_SESSION_free(s->session);
        s->session = ss;
    }
    return 1;
}

/* Client, full handshake complete: SSL_get_session(3) returns a session that describes the
 * connection but cannot be used for resumption until a ticket arrives (each ticket's session
 * replaces it). As OpenSSL's TLS 1.3 client session it has no session id and no PSK. A resumed
 * handshake keeps the session it resumed. */
int keel_client_session_complete(SSL *s)
{
    SSL_SESSION *ss;

    if (s->conn->resumed)
        return 1;
    if ((ss = keel_session_from_conn(s, NULL, 0)) == NULL)
        return 0;
    ss->not_resumable = 1;
    SSL_SESSION_free(s->session);
    s->session = ss;
    return 1;
}

/* Client: a NewSessionTicket becomes the SSL's session (and the application's, through the new
 * session callback in client cache mode). */
int keel_client_read_ticket(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    uint32_t lifetime, age_add;
    keel_rd nonce, ticket, exts, block;
    SSL_SESSION *ss;
    keel_hello h;
    int alert;

    if (!keel_rd_u32(body, &lifetime) || !keel_rd_u32(body, &age_add)
            || !keel_rd_prefixed8(body, &nonce) || !keel_rd_prefixed16(body, &ticket)
            || keel_rd_left(&ticket) == 0 || (block = *body, !keel_rd_prefixed16(body, &exts))
            || !keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    /* §4.6.1: early_data's max_early_data_size is the one extension we act on. */
    memset(&h, 0, sizeof(h));
    if (!keel_ext_parse(s, KEEL_MSG_NST, &block, &h, keel_ext_bit(TLSEXT_TYPE_early_data), &alert))
        return alert;
    if (lifetime > MAX_TICKET_LIFETIME) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_DATA);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    if (lifetime == 0)
        return 0; /* "discard the ticket immediately" */
    uint8_t id[32]; /* the client's session has a random id of its own */
    if (!keel_random(s->ctx->algs, id, sizeof(id)) || (ss = keel_session_from_conn(s, id, sizeof(id))) == NULL)
        return SSL_AD_INTERNAL_ERROR;
    if (c->resumed && s->session != NULL) {
        /* The resumed (or external PSK's) session's peer and verification result carry over, as
         * OpenSSL's client derives the new session from it. */
        if (s->session->peer != NULL && ss->peer == NULL) {
            X509_up_ref(s->session->peer);
            ss->peer = s->session->peer;
        }
        ss->verify_result = s->session->verify_result;
    }
    ss->ticket_lifetime_hint = lifetime;
    ss->ticket_age_add = age_add;
    ss->max_early_data = h.max_early_data;
    ss->master_key_len = keel_hash_len(c->cipher->hash);
    if ((ss->ticket = OPENSSL_memdup(ticket.p, ticket.len)) == NULL
            || !keel_ks_resumption_psk(s->ctx->algs, c->cipher->hash, c->resumption, nonce.p,
                                       nonce.len, ss->master_key)) {
        SSL_SESSION_free(ss);
        return SSL_AD_INTERNAL_ERROR;
    }
    ss->ticket_len = ticket.len;
    SSL_SESSION_free(s->session);
    s->session = ss;
    keel_client_new_session(s, ss);
    return 0;
}

/* The client's session cache (SSL_CTX_set_session_cache_mode(3), SSL_SESS_CACHE_CLIENT): a new
 * session enters the session context's cache (unless SSL_SESS_CACHE_NO_INTERNAL_STORE), then the
 * new session callback hears of it; one without a session id is neither, as in OpenSSL 3.0. */
void keel_client_new_session(SSL *s, SSL_SESSION *ss)
{
    SSL_CTX *sctx = s->session_ctx;
    if (!(sctx->session_cache_mode & SSL_SESS_CACHE_CLIENT) || ss->session_id_len == 0)
        return;
    if (!(sctx->session_cache_mode & SSL_SESS_CACHE_NO_INTERNAL_STORE))
        SSL_CTX_add_session(sctx, ss);
    if (sctx->new_session_cb != NULL) {
        SSL_SESSION_up_ref(ss);
        if (sctx->new_session_cb(s, ss) == 0)
            SSL_SESSION_free(ss);
    }
}

/* A TLS 1.3 client's resumed handshake is complete: the session it used leaves the client cache
 * (and is no longer resumable), tickets being meant for one use (RFC 8446 §C.4), as OpenSSL 3.0
 * removes it. */
void keel_client_session_used(SSL *s)
{
    if (!s->server && s->conn->version == TLS1_3_VERSION && s->conn->resumed && s->session != NULL
            && (s->session_ctx->session_cache_mode & SSL_SESS_CACHE_CLIENT))
        SSL_CTX_remove_session(s->session_ctx, s->session);
}

/* ---- the server cache's lookup (both versions) ---- */

/* A session id in the server cache (unless SSL_SESS_CACHE_NO_INTERNAL_LOOKUP), else from the
 * application's get_session_cb (SSL_CTX_sess_set_get_cb(3)); a reference or NULL. */
SSL_SESSION *keel_session_lookup(SSL *s, const uint8_t *id, size_t len)
{
    SSL_CTX *ctx = s->session_ctx;
    SSL_SESSION *ss = NULL;
    if (!(ctx->session_cache_mode & SSL_SESS_CACHE_NO_INTERNAL_LOOKUP))
        ss = keel_cache_lookup(ctx, id, len);
    if (ss == NULL && ctx->get_session_cb != NULL && len <= SSL_MAX_SSL_SESSION_ID_LENGTH) {
        int copy = 1;
        ss = ctx->get_session_cb(s, id, (int)len, &copy);
        if (ss != NULL) {
            atomic_fetch_add(&ctx->stats[KEEL_STAT_CB_HIT], 1);
            if (copy)
                SSL_SESSION_up_ref(ss);
        }
    }
    return ss;
}
