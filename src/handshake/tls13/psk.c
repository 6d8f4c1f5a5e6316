/* TLS 1.3 pre-shared keys (RFC 8446 §4.2.11, §4.2.9, §2.2): the client's offer (the resumption
 * PSK of a ticket, then an external PSK) with its binders, and the server's acceptance of one.
 * External PSKs are the application's callbacks turned into sessions: a client asks
 * SSL_CTX_set_psk_use_session_callback(3)'s callback first, else the legacy
 * SSL_CTX_set_psk_client_callback(3) one (identity and key; the hash is SHA-256, §4.2.11: "the
 * Hash function ... SHA-256 if no such algorithm is defined"); a server asks
 * SSL_CTX_set_psk_find_session_callback(3)'s, else SSL_CTX_set_psk_server_callback(3)'s, for each
 * identity before it tries it as a ticket (ticket.c). Binders are "res binder" / "ext binder"
 * (§7.1). */
#include "handshake/ext.h"
#include "proto/session.h"

#include <string.h>
#include <time.h>

#define TLS13_AES_128_GCM_SHA256 0x1301

/* ---- external PSKs: the application's callbacks ---- */

/* A session standing for a legacy callback's key: TLS_AES_128_GCM_SHA256 for its hash, TLS 1.3. */
static SSL_SESSION *legacy_session(const uint8_t *key, size_t len)
{
    SSL_SESSION *ss = SSL_SESSION_new();
    if (ss == NULL || !SSL_SESSION_set1_master_key(ss, key, len)
            || !SSL_SESSION_set_cipher(ss, keel_cipher_by_code(TLS13_AES_128_GCM_SHA256))
            || !SSL_SESSION_set_protocol_version(ss, TLS1_3_VERSION)) {
        SSL_SESSION_free(ss);
        return NULL;
    }
    return ss;
}

/* Client, for each ClientHello: the external PSK to offer, in c->hs->ext_psk (NULL: none). After
 * a HelloRetryRequest the callback is given the suite's hash and the PSK must have it. 1, or 0
 * (the handshake fails: internal_error, SSL_R_BAD_PSK, as OpenSSL 3.0). */
int keel_client_ext_psk(SSL *s)
{
    keel_hs *hs = s->conn->hs;
    const SSL_CIPHER *chosen = s->conn->cipher; /* set only after a HelloRetryRequest */
    SSL_SESSION *ss = NULL;
    const unsigned char *id = NULL;
    size_t idlen = 0;
    char identity[PSK_MAX_IDENTITY_LEN + 1];

    SSL_SESSION_free(hs->ext_psk);
    hs->ext_psk = NULL;
    if (s->s->psk_use_session_cb != NULL) {
        /* The fetched digest, as OpenSSL hands its handshake digest ("SHA2-256"). */
        const EVP_MD *md = chosen != NULL ? keel_hash_md(s->ctx->algs, chosen->hash) : NULL;
        if (!s->s->psk_use_session_cb(s, md, &id, &idlen, &ss)
                || (ss != NULL && ss->version != TLS1_3_VERSION)) {
            SSL_SESSION_free(ss);
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_PSK);
            return 0;
        }
    }
    if (ss == NULL && s->s->psk_client_cb != NULL) {
        uint8_t key[PSK_MAX_PSK_LEN];
        memset(identity, 0, sizeof(identity));
        unsigned int n = s->s->psk_client_cb(s, NULL, identity, PSK_MAX_IDENTITY_LEN, key, sizeof(key));
        identity[PSK_MAX_IDENTITY_LEN] = '\0';
        if (n > 0 && n <= sizeof(key))
            ss = legacy_session(key, n);
        OPENSSL_cleanse(key, sizeof(key));
        if (n > sizeof(key)) {
            ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
            return 0;
        }
        if (n > 0 && ss == NULL)
            return 0;
        id = (const unsigned char *)identity;
        idlen = strlen(identity);
    }
    if (ss == NULL)
        return 1; /* the callback succeeded without a PSK: none is offered */
    /* An identity must be 1..2^16-1 bytes (§4.2.11); a suite of a hash we know. */
    if (idlen == 0 || idlen > 0xffff || ss->cipher == NULL || ss->master_key_len == 0
            || (chosen != NULL && ss->cipher->hash != chosen->hash)) {
        SSL_SESSION_free(ss);
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_PSK);
        return 0;
    }
    OPENSSL_free(hs->ext_psk_id);
    if ((hs->ext_psk_id = OPENSSL_memdup(id, idlen)) == NULL) {
        hs->ext_psk_id_len = 0;
        SSL_SESSION_free(ss);
        return 0;
    }
    hs->ext_psk_id_len = idlen;
    hs->ext_psk = ss;
    return 1;
}

/* Client, once the ServerHello took a PSK (c->resumed): its session, the resumed one or the
 * external one. */
const SSL_SESSION *keel_client_psk_taken(const keel_hs *hs)
{
    return hs->psk_external ? hs->ext_psk : hs->psk_offered;
}

/* Client, ServerHello with pre_shared_key: the identity the server selected among those offered
 * (the resumption PSK first, then the external one, as OpenSSL orders them). 0 with *out set, or
 * the alert. */
int keel_client_take_psk(SSL *s, const keel_hello *h, const SSL_SESSION **out)
{
    keel_hs *hs = s->conn->hs;
    size_t offered = (hs->psk_offered != NULL) + (hs->ext_psk != NULL);

    if (h->psk_index >= offered) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_PSK_IDENTITY);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    hs->psk_external = h->psk_index == 0 && hs->psk_offered != NULL ? 0 : 1;
    *out = keel_client_psk_taken(hs);
    if (hs->psk_external) {
        /* The connection's session is the PSK's from now on, as in OpenSSL (a ticket replaces it). */
        SSL_SESSION_up_ref(hs->ext_psk);
        SSL_SESSION_free(s->session);
        s->session = hs->ext_psk;
    }
    return 0;
}

/* Server, one identity of the ClientHello's: the application's session for it, or NULL (none, or
 * no callback: the identity may be a ticket). *alert is set when the callback failed. */
SSL_SESSION *keel_server_ext_psk(SSL *s, keel_rd id, int *alert)
{
    SSL_SESSION *ss = NULL;

    *alert = 0;
    if (s->s->psk_find_session_cb != NULL && !s->s->psk_find_session_cb(s, id.p, id.len, &ss)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
        *alert = SSL_AD_INTERNAL_ERROR;
        return NULL;
    }
    if (ss == NULL && s->s->psk_server_cb != NULL && id.len <= PSK_MAX_IDENTITY_LEN) {
        char name[PSK_MAX_IDENTITY_LEN + 1];
        uint8_t key[PSK_MAX_PSK_LEN];
        memcpy(name, id.p, id.len);
        name[id.len] = '\0';
        unsigned int n = s->s->psk_server_cb(s, name, key, sizeof(key));
        if (n > sizeof(key)) {
            OPENSSL_cleanse(key, sizeof(key));
            ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
            *alert = SSL_AD_INTERNAL_ERROR;
            return NULL;
        }
        if (n > 0 && (ss = legacy_session(key, n)) == NULL)
            *alert = SSL_AD_INTERNAL_ERROR;
        OPENSSL_cleanse(key, sizeof(key));
        return ss;
    }
    if (ss == NULL)
        return NULL;
    /* A copy, so that nothing the handshake does touches the application's object (OpenSSL dups
     * it too); ownership of the one given passed to us. */
    SSL_SESSION *copy = SSL_SESSION_dup(ss);
    SSL_SESSION_free(ss);
    if (copy == NULL)
        *alert = SSL_AD_INTERNAL_ERROR;
    return copy;
}

/* A server whose only way to authenticate is a legacy-callback PSK (a psk_server_callback and no
 * certificate at all) prefers SHA-256 suites in TLS 1.3, the hash such a PSK has, as OpenSSL 3.0
 * does. */
int keel_server_psk_only(const SSL *s)
{
    if (s->s->psk_server_cb == NULL)
        return 0;
    for (int slot = 0; slot < KEEL_SLOT_COUNT; slot++)
        if (s->s->certs[slot].x509 != NULL && s->s->certs[slot].pkey != NULL)
            return 0;
    return 1;
}

/* ---- PSK offer (client) ---- */

/* The session the client may offer: TLS 1.3, a ticket, resumable (SSL_SESSION_is_resumable(3): not
 * forgotten after a fatal alert), unexpired, a suite of its hash enabled. */
const SSL_SESSION *keel_client_psk_session(SSL *s)
{
    SSL_SESSION *ss = s->session;
    time_t now = time(NULL);

    if (ss == NULL || ss->version != TLS1_3_VERSION || ss->ticket == NULL || ss->cipher == NULL
            || ss->not_resumable || ss->master_key_len == 0 || keel_session_expired(ss, now)
            || (uint64_t)(now - ss->time) >= ss->ticket_lifetime_hint)
        return NULL;
    for (size_t i = 0; i < s->s->nciphers13; i++)
        if (s->s->lists->ciphers13[i]->hash == ss->cipher->hash)
            return ss;
    return NULL;
}

/* The pre_shared_key extension, last in the ClientHello (§4.2.11): the resumption PSK's identity
 * (the ticket, its obfuscated age), then the external PSK's (age 0, §4.2.11), and a binder
 * placeholder for each, which keel_client_psk_bind fills in once the message is complete. */
int keel_client_write_psk(SSL *s, keel_wr *w)
{
    keel_hs *hs = s->conn->hs;
    const SSL_SESSION *ss = hs->psk_offered, *ext = hs->ext_psk;
    size_t x, ids, binders, b;

    hs->ext_offered |= keel_ext_bit(TLSEXT_TYPE_psk);
    keel_wr_u16(w, TLSEXT_TYPE_psk);
    keel_wr_open16(w, &x);
    keel_wr_open16(w, &ids);
    if (ss != NULL) {
        /* §4.2.11.1 in milliseconds from a time kept in seconds: one second less, so that it is
         * never more than the server's own measure (a server that checks it, for early data
         * (§8.3), refuses an age above its own; OpenSSL's client rounds down the same way). */
        uint64_t secs = (uint64_t)(time(NULL) - ss->time);
        if (secs > 0)
            secs--;
        uint32_t age = (uint32_t)(secs * 1000u) + ss->ticket_age_add;
        keel_wr_open16(w, &b);
        keel_wr_bytes(w, ss->ticket, ss->ticket_len);
        keel_wr_close(w, b);
        keel_wr_u32(w, age);
    }
    if (ext != NULL) {
        keel_wr_open16(w, &b);
        keel_wr_bytes(w, hs->ext_psk_id, hs->ext_psk_id_len);
        keel_wr_close(w, b);
        keel_wr_u32(w, 0);
    }
    keel_wr_close(w, ids);
    keel_wr_open16(w, &binders);
    for (int i = 0; i < 2; i++) {
        const SSL_SESSION *p = i == 0 ? ss : ext;
        if (p == NULL)
            continue;
        size_t hl = keel_hash_len(p->cipher->hash);
        keel_wr_u8(w, (uint32_t)hl);
        keel_wr_zeros(w, hl);
    }
    keel_wr_close(w, binders);
    keel_wr_close(w, x);
    return !keel_wr_failed(w);
}

/* Binder over the transcript so far and the ClientHello up to the binders list (§4.2.11.2),
 * with the label of its kind of PSK (§7.1: "ext binder" / "res binder"). into (NULL, or the
 * handshake's schedule, initialised): left at the early stage of ss, so the server that takes ss
 * does not extract its Early Secret a second time (an HMAC and a context fewer per resumption). */
static int compute_binder(SSL *s, const SSL_SESSION *ss, int external, const uint8_t *msg,
                          size_t trunc_len, uint8_t *binder, keel_ks *into)
{
    keel_ks tmp = { 0 };
    int own = into == NULL || into->hlen == 0 || into->hash != ss->cipher->hash;
    keel_ks *ks = own ? &tmp : into;
    uint8_t th[KEEL_HASH_MAX_LEN];

    if (!own)
        keel_ks_carry_on(ks);
    int ok = keel_transcript_current_with(&s->conn->hs->transcript, ss->cipher->hash, msg, trunc_len, th)
        && (!own || keel_ks_init(ks, s->ctx->algs, ss->cipher->hash))
        && keel_ks_early(ks, ss->master_key, ss->master_key_len)
        && keel_ks_binder(ks, external, th, binder)
        && (!own || into == NULL || keel_ks_early(into, ss->master_key, ss->master_key_len));
    keel_ks_cleanup(&tmp);
    return ok;
}

int keel_client_psk_bind(SSL *s, keel_wr *w)
{
    keel_hs *hs = s->conn->hs;
    const SSL_SESSION *ss = hs->psk_offered, *ext = hs->ext_psk;
    size_t rl = ss != NULL ? keel_hash_len(ss->cipher->hash) : 0;
    size_t el = ext != NULL ? keel_hash_len(ext->cipher->hash) : 0;
    uint8_t *msg = keel_wr_data(w);
    size_t len = keel_wr_len(w);
    /* The message ends with the binders list: u16 length, then u8 length and binder each. */
    size_t list = (rl ? 1 + rl : 0) + (el ? 1 + el : 0), trunc = len - 2 - list;
    /* The resumption PSK's binder on the handshake's schedule (made now if ClientHello 1), which
     * then holds that PSK's early stage for ServerHello and early data (hs->ks_psk). */
    keel_ks *into = NULL;
    hs->ks_psk = NULL;
    if (ss != NULL && (hs->ks.hlen == 0 || hs->ks.hash == ss->cipher->hash)) {
        if (hs->ks.hlen == 0 && !keel_ks_init(&hs->ks, s->ctx->algs, ss->cipher->hash))
            return 0;
        into = &hs->ks;
    }
    if (ss != NULL && !compute_binder(s, ss, 0, msg, trunc, msg + trunc + 2 + 1, into))
        return 0;
    if (into != NULL)
        hs->ks_psk = ss;
    return ext == NULL || compute_binder(s, ext, 1, msg, trunc, msg + len - el, NULL);
}

/* ---- PSK acceptance (server) ---- */

static SSL_SESSION *find_session(SSL *s, const uint8_t *id, size_t len)
{
    int single_use = keel_early_anti_replay(s);
    if (!(s->s->options & SSL_OP_NO_TICKET) && !single_use)
        return keel_ticket_open(s, id, len, NULL);
    SSL_SESSION *ss = keel_session_lookup(s, id, len);
    /* SSL_read_early_data(3), REPLAY PROTECTION: each session is used once; whoever removes it
     * from the cache resumes it, anyone else (a replay) gets a full handshake (RFC 8446 §8.1). */
    if (ss != NULL && single_use && !SSL_CTX_remove_session(s->session_ctx, ss)) {
        SSL_SESSION_free(ss);
        return NULL;
    }
    return ss;
}

/* The binder of the accepted identity (the index-th) checked against ss over the transcript and
 * this ClientHello up to the binders (§4.2.11.2): 0, decode_error or decrypt_error. On 0 the
 * handshake's schedule is at ss's early stage (compute_binder). */
static int check_binder(SSL *s, const SSL_SESSION *ss, const keel_hello *h, size_t index, int external)
{
    keel_conn *c = s->conn;
    keel_rd binders = h->psk_binders, binder;
    uint8_t expect[KEEL_HASH_MAX_LEN];
    size_t trunc = c->cur_len - h->psk_binders_block_len;

    for (size_t i = 0; i <= index; i++) {
        if (!keel_rd_prefixed8(&binders, &binder)) {
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
            return SSL_AD_DECODE_ERROR;
        }
    }
    if (binder.len != keel_hash_len(c->cipher->hash)
            || !compute_binder(s, ss, external, c->hs_buf, trunc, expect, &c->hs->ks)
            || CRYPTO_memcmp(expect, binder.p, binder.len) != 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BINDER_DOES_NOT_VERIFY);
        return SSL_AD_DECRYPT_ERROR;
    }
    return 0;
}

/* The modes the client offered that we take (RFC 8446 §4.2.9): psk_ke only with
 * SSL_OP_ALLOW_NO_DHE_KEX. */
static int modes_ok(const SSL *s, const keel_hello *h)
{
    return h->psk_dhe || (h->psk_ke && (s->s->options & SSL_OP_ALLOW_NO_DHE_KEX));
}

/* Single-use tickets (anti-replay, SSL_read_early_data(3)): ClientHello 1 took the session out
 * of the cache, so ClientHello 2 finds it no more and the handshake is a full one, as OpenSSL
 * 3.0's server does it. Back to the state of a handshake without a PSK. */
static int forget_psk(SSL *s)
{
    keel_conn *c = s->conn;
    SSL_SESSION *fresh = SSL_SESSION_new();

    if (fresh == NULL)
        return SSL_AD_INTERNAL_ERROR;
    SSL_SESSION_set_timeout(fresh, s->s->session_timeout);
    if (!c->hs->sni_noack && !SSL_SESSION_set1_hostname(fresh, s->hostname)) {
        SSL_SESSION_free(fresh);
        return SSL_AD_INTERNAL_ERROR;
    }
    SSL_SESSION_free(s->session);
    s->session = fresh;
    keel_ks_cleanup(&c->hs->ks);
    if (!keel_ks_init(&c->hs->ks, s->ctx->algs, c->cipher->hash))
        return SSL_AD_INTERNAL_ERROR;
    c->resumed = 0;
    c->early.ok = 0;
    s->verify_result = X509_V_OK;
    return 0;
}

/* ClientHello 2 after a HelloRetryRequest (§4.1.2): the PSK accepted from ClientHello 1 may
 * only be updated (age, binder), not removed or replaced, and its new binder, which covers the
 * HelloRetryRequest, must verify. A PSK ClientHello 1 did not have, or that was not accepted,
 * is not taken now: the handshake stays a full one. */
static int recheck_psk(SSL *s, keel_hello *h)
{
    keel_conn *c = s->conn;
    keel_rd ids = h->psk_identities, id;
    uint32_t age;
    int ok;

    if (!c->resumed) {
        /* OpenSSL 3.0's server asks its PSK callbacks about the identities of each ClientHello,
         * the second too (tests/diff/misc16.c); what they give now is not taken. */
        ok = h->has_psk && modes_ok(s, h);
        while (ok && !keel_rd_done(&ids)) {
            int alert;
            if (!keel_rd_prefixed16(&ids, &id) || !keel_rd_u32(&ids, &age))
                break;
            SSL_SESSION_free(keel_server_ext_psk(s, id, &alert));
            if (alert != 0)
                return alert;
        }
        return 0;
    }
    if (!c->hs->psk_external && keel_early_anti_replay(s))
        return forget_psk(s);
    ok = h->has_psk && modes_ok(s, h);
    for (size_t i = 0; ok && i <= c->hs->psk_index; i++)
        ok = keel_rd_prefixed16(&ids, &id) && keel_rd_u32(&ids, &age);
    if (!ok || id.len != c->hs->psk_identity_len || memcmp(id.p, c->hs->psk_identity, id.len) != 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_PSK);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    if (!c->hs->psk_external)
        return check_binder(s, s->session, h, c->hs->psk_index, 0);
    /* An external PSK is asked for again, as OpenSSL's server asks its callbacks for each
     * ClientHello; it must still be there, with the suite's hash. */
    int alert;
    SSL_SESSION *ss = keel_server_ext_psk(s, id, &alert);
    if (alert != 0)
        return alert;
    if (ss == NULL || ss->cipher == NULL || ss->cipher->hash != c->cipher->hash) {
        SSL_SESSION_free(ss);
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_PSK);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    if ((alert = check_binder(s, ss, h, c->hs->psk_index, 1)) != 0) {
        SSL_SESSION_free(ss);
        return alert;
    }
    ss->sid_ctx_len = s->s->sid_ctx_len;
    memcpy(ss->sid_ctx, s->s->sid_ctx, ss->sid_ctx_len);
    SSL_SESSION_free(s->session);
    s->session = ss;
    return 0;
}

/* A ticket (or stateful session id) identity: its session if it may be resumed here, else NULL
 * (*alert set if the handshake must end). */
static SSL_SESSION *ticket_session(SSL *s, keel_rd id, int *alert)
{
    keel_conn *c = s->conn;
    SSL_SESSION *ss = find_session(s, id.p, id.len);
    /* A server verifying its peers must say which context a ticket belongs to: OpenSSL 3.0 ends
     * the handshake when no session id context is set rather than risk a session being used out
     * of context (SSL_CTX_set_session_id_context(3)); such a session is not counted as a hit. */
    if (ss != NULL && (s->s->verify_mode & SSL_VERIFY_PEER) && s->s->sid_ctx_len == 0) {
        SSL_SESSION_free(ss);
        ERR_raise(ERR_LIB_SSL, SSL_R_SESSION_ID_CONTEXT_UNINITIALIZED);
        *alert = SSL_AD_INTERNAL_ERROR;
        return NULL;
    }
    if (ss == NULL) {
        atomic_fetch_add(&s->session_ctx->stats[KEEL_STAT_MISSES], 1);
        return NULL;
    }
    int usable = ss->version == TLS1_3_VERSION && ss->cipher != NULL
        && ss->sid_ctx_len == s->s->sid_ctx_len && memcmp(ss->sid_ctx, s->s->sid_ctx, ss->sid_ctx_len) == 0
        && ss->master_key_len == keel_hash_len(c->cipher->hash)
        /* RFC 6066 §3: not under another name than the one the session was made with (a
         * session has one only if the server acknowledged it; OpenSSL 3.0 does not check) */
        && (ss->hostname == NULL || (s->hostname != NULL && strcmp(s->hostname, ss->hostname) == 0));
    if (usable && keel_session_expired(ss, time(NULL))) {
        atomic_fetch_add(&s->session_ctx->stats[KEEL_STAT_TIMEOUTS], 1);
        usable = 0;
    }
    if (!usable) {
        SSL_SESSION_free(ss);
        return NULL;
    }
    /* a hit only once the session passed its checks, as OpenSSL 3.0 counts it */
    atomic_fetch_add(&s->session_ctx->stats[KEEL_STAT_HITS], 1);
    return ss;
}

/* Returns 0 (resumed or not: c->resumed says), or an alert. The identities are tried in order,
 * each first as an external PSK (the application's callbacks, psk.c), then as a ticket; the first
 * whose hash is the suite's is taken. Whatever is wrong with a ticket but the binder means a full
 * handshake (§4.2.11). */
int keel_server_try_psk(SSL *s, keel_hello *h)
{
    keel_conn *c = s->conn;
    keel_rd ids = h->psk_identities, id;
    SSL_SESSION *ss = NULL;
    size_t index;
    int alert, external = 0;
    uint32_t age = 0;

    if (c->hs->hrr)
        return recheck_psk(s, h);
    if (!h->has_psk || !modes_ok(s, h))
        return 0;
    for (index = 0; ss == NULL && !keel_rd_done(&ids); index++) {
        if (!keel_rd_prefixed16(&ids, &id) || !keel_rd_u32(&ids, &age)) {
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
            return SSL_AD_DECODE_ERROR;
        }
        ss = keel_server_ext_psk(s, id, &alert);
        if (alert != 0)
            return alert;
        external = ss != NULL;
        if (ss == NULL && (ss = ticket_session(s, id, &alert)) == NULL && alert != 0)
            return alert;
        if (ss != NULL && (ss->cipher == NULL || ss->cipher->hash != c->cipher->hash)) {
            SSL_SESSION_free(ss); /* not this suite's hash: the next identity */
            ss = NULL;
        }
    }
    if (ss == NULL)
        return 0;
    index--;
    /* The same rule for an external PSK (ticket_session). */
    if (external && (s->s->verify_mode & SSL_VERIFY_PEER) && s->s->sid_ctx_len == 0) {
        SSL_SESSION_free(ss);
        ERR_raise(ERR_LIB_SSL, SSL_R_SESSION_ID_CONTEXT_UNINITIALIZED);
        return SSL_AD_INTERNAL_ERROR;
    }
    if ((alert = check_binder(s, ss, h, index, external)) != 0) {
        SSL_SESSION_free(ss);
        return alert;
    }
    /* Kept so that a ClientHello 2 can be held to the same identity. */
    OPENSSL_free(c->hs->psk_identity);
    if ((c->hs->psk_identity = OPENSSL_memdup(id.p, id.len)) == NULL) {
        SSL_SESSION_free(ss);
        return SSL_AD_INTERNAL_ERROR;
    }
    c->hs->psk_identity_len = id.len;
    c->hs->psk_index = index;
    keel_early_psk_taken(s, ss, index, age, external); /* may it carry early data (early.c) */
    c->hs->psk_external = external;
    c->resumed = 1;
    c->mfl = ss->mfl_mode; /* RFC 6066 §4: the session's, whatever this hello asked for */
    /* The session's verification result is the connection's, an external PSK's (X509_V_ERR_
     * UNSPECIFIED from SSL_SESSION_new) included, as OpenSSL's server reports it. */
    s->verify_result = ss->verify_result;
    if (external) { /* the application's session is bound to this context (as OpenSSL binds it) */
        ss->sid_ctx_len = s->s->sid_ctx_len;
        memcpy(ss->sid_ctx, s->s->sid_ctx, ss->sid_ctx_len);
    }
    SSL_SESSION_free(s->session);
    s->session = ss;
    return 0;
}
