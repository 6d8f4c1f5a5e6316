/* The connection object (keel_conn_new/free) and the callbacks the handshake reports to: the
 * info callback's events and the message callback. */
#include "handshake/hs.h"

keel_conn *keel_conn_new(SSL *s)
{
    keel_conn *c = OPENSSL_zalloc(sizeof(*c));
    if (c == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    c->server = s->server;
    if (!keel_rl_init(&c->rl, s->ctx->algs)) {
        OPENSSL_free(c);
        return NULL;
    }
    if ((c->hs = keel_hs_new(s)) == NULL) {
        keel_rl_cleanup(&c->rl);
        OPENSSL_free(c);
        return NULL;
    }
    keel_conn_trace(s, c);
    /* Record buffers are released whenever they empty, as SSL_MODE_RELEASE_BUFFERS asks, in every
     * mode: an idle connection then holds no buffers, at the price of a malloc per record burst.
     * Without the mode they are kept through the handshake (statem.c done() releases them): its
     * flights and empty reads would cost an allocation each (9 of a full TLS 1.3 pair's). */
    c->rl.release_buffers = (s->s->mode & SSL_MODE_RELEASE_BUFFERS) != 0;
    /* SSL_CTX_sess_accept(3) / sess_connect: handshakes started (one connection state each), on
     * the context the server starts with and the client's session context, as OpenSSL counts. */
    if (s->server)
        atomic_fetch_add(&s->ctx->stats[KEEL_STAT_ACCEPT], 1);
    else
        atomic_fetch_add(&s->session_ctx->stats[KEEL_STAT_CONNECT], 1);
    return c;
}

keel_hs *keel_hs_new(SSL *s)
{
    keel_hs *hs = OPENSSL_zalloc(sizeof(*hs));
    if (hs == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    if (!keel_transcript_init(&hs->transcript, s->ctx->algs)) {
        OPENSSL_free(hs);
        return NULL;
    }
    return hs;
}

void keel_hs_free(keel_hs *hs)
{
    if (hs == NULL)
        return;
    keel_ks_cleanup(&hs->ks);
    keel_prf_free(hs->prf12);
    keel_transcript_cleanup(&hs->transcript);
    keel_kex_free(hs->kex);
    OPENSSL_free(hs->cookie);
    OPENSSL_free(hs->psk_identity);
    SSL_SESSION_free(hs->ext_psk);
    OPENSSL_free(hs->ext_psk_id);
    OPENSSL_free(hs->psk12_identity);
    OPENSSL_free(hs->psk12_hint);
    OPENSSL_free(hs->peer_share);
    OPENSSL_free(hs->alpn12);
    OPENSSL_clear_free(hs->pms, hs->pms_len);
    OPENSSL_free(hs->ticket12);
    OPENSSL_clear_free(hs, sizeof(*hs));
}

/* The connection keeps a reference to the block ck points into: a later write to the SSL's
 * settings makes a copy rather than free or change the certificate a handshake chose. */
void keel_conn_set_certkey(SSL *s, const keel_certkey *ck)
{
    keel_conn *c = s->conn;

    keel_settings_release(c->certkey_block);
    c->certkey_block = ck != NULL ? keel_settings_ref(s->s) : NULL;
    c->certkey = ck;
}

void keel_conn_free(keel_conn *c)
{
    if (c == NULL)
        return;
    keel_settings_release(c->certkey_block);
    keel_hs_free(c->hs);
    keel_rl_cleanup(&c->rl);
    OPENSSL_free(c->hs_buf);
    OPENSSL_free(c->peer_cert_types);
    if (c->pha != NULL) {
        keel_transcript_cleanup(&c->pha->base);
        keel_transcript_cleanup(&c->pha->cur);
        OPENSSL_free(c->pha);
    }
    sk_X509_NAME_pop_free(c->peer_ca_names, X509_NAME_free);
    EVP_PKEY_free(c->tmp_key);
    EVP_PKEY_free(c->peer_tmp_key);
    OPENSSL_free(c->tmp_pub);
    EVP_PKEY_free(c->offered_key);
    keel_chain_free(c->peer_chain);
    keel_chain_free(c->peer_chain_noleaf);
    keel_chain_free(c->verified_chain);
    OPENSSL_free(c->alpn);
    OPENSSL_free(c->client_suites);
    OPENSSL_free(c->peer_groups);
    OPENSSL_free(c->peer_sigalgs);
    sk_SSL_CIPHER_free(c->client_ciphers);
    OPENSSL_clear_free(c->early.exporter, KEEL_SUITE_HASH_MAX);
    OPENSSL_clear_free(c, sizeof(*c));
}

void keel_conn_keep_tmp_keys(keel_conn *c, const uint8_t *peer, size_t peer_len)
{
    uint8_t pub[KEEL_KEX_MAX_PUBLIC];
    size_t n = sizeof(pub);
    uint16_t group = keel_kex_group(c->hs->kex);

    EVP_PKEY_free(c->tmp_key);
    EVP_PKEY_free(c->peer_tmp_key);
    OPENSSL_free(c->tmp_pub);
    c->tmp_key = c->peer_tmp_key = NULL;
    c->tmp_pub = NULL;
    c->tmp_group = 0;
    /* TLS 1.2 DHE in parameters of the server's choice has no group to rebuild from later. */
    if (group == 0) {
        keel_kex_tmp_keys(c->hs->kex, peer, peer_len, &c->tmp_key, &c->peer_tmp_key);
        return;
    }
    ERR_set_mark();
    if (keel_kex_public(c->hs->kex, pub, &n) && (c->tmp_pub = OPENSSL_malloc(n + peer_len)) != NULL) {
        memcpy(c->tmp_pub, pub, n);
        memcpy(c->tmp_pub + n, peer, peer_len);
        c->tmp_pub_len = (uint16_t)n;
        c->peer_tmp_pub_len = (uint16_t)peer_len; /* a key_exchange<1..2^16-1> */
        c->tmp_group = group;
    }
    ERR_pop_to_mark();
}

EVP_PKEY *keel_conn_tmp_key(keel_conn *c, const keel_algs *algs, int peer)
{
    EVP_PKEY **k;

    if (c == NULL)
        return NULL;
    k = peer ? &c->peer_tmp_key : &c->tmp_key;
    if (*k == NULL && c->tmp_pub != NULL) {
        const uint8_t *p = peer ? c->tmp_pub + c->tmp_pub_len : c->tmp_pub;
        size_t n = peer ? c->peer_tmp_pub_len : c->tmp_pub_len;

        keel_kex_pub_key(algs, c->tmp_group, p, n, k);
    }
    return *k;
}

void keel_set_state(SSL *s, OSSL_HANDSHAKE_STATE st)
{
    s->state = st;
}

void keel_info(const SSL *s, int where, int ret)
{
    /* SSL_CTX_sess_accept_good(3) / sess_connect_good: handshakes completed (the server's current
     * context, after any SNI switch; the client's session context, which also counts its
     * resumptions as hits). HANDSHAKE_DONE is announced once per completed handshake. */
    if (where == SSL_CB_HANDSHAKE_DONE && !(s->conn != NULL && s->conn->no_stats)) {
        if (s->server) {
            atomic_fetch_add(&s->ctx->stats[KEEL_STAT_ACCEPT_GOOD], 1);
        } else {
            atomic_fetch_add(&s->session_ctx->stats[KEEL_STAT_CONNECT_GOOD], 1);
            if (s->conn != NULL && s->conn->resumed)
                atomic_fetch_add(&s->session_ctx->stats[KEEL_STAT_HITS], 1);
        }
    }
    void (*cb)(const SSL *, int, int) = s->info_callback;
    if (cb == NULL)
        cb = s->ctx->info_callback;
    if (cb != NULL)
        cb(s, where, ret);
}

void keel_info_loop(SSL *s)
{
    keel_info(s, s->server ? SSL_CB_ACCEPT_LOOP : SSL_CB_CONNECT_LOOP, 1);
}

void keel_info_exit(SSL *s, int ret)
{
    keel_info(s, s->server ? SSL_CB_ACCEPT_EXIT : SSL_CB_CONNECT_EXIT, ret);
}

/* SSL_CTX_set_info_callback(3) reports each state change with SSL_CB_LOOP in the state being
 * left, as OpenSSL's state machine does before every message it writes; the next read will
 * report the switch to reading once (keel_handshake). */
void keel_step(SSL *s, OSSL_HANDSHAKE_STATE st)
{
    keel_info_loop(s);
    s->state = st;
    s->conn->info_reading = 0;
}

/* The record engine's observer (record.h): the message callback's pseudo-messages as OpenSSL 3.0
 * delivers them (SSL_CTX_set_msg_callback(3), tests/diff/callbacks.c): every record header, with
 * the record's own version field as the version argument, and a TLS 1.3 record's inner content
 * type, with 0x0303 when sent and 0x0304 when received. */
static void trace_record(void *arg, int write, const uint8_t *header, const uint8_t *inner)
{
    SSL *s = arg;

    if (s->s->msg_callback == NULL)
        return;
    if (header != NULL)
        s->s->msg_callback(write, header[1] << 8 | header[2], SSL3_RT_HEADER, header,
                          SSL3_RT_HEADER_LENGTH, s, s->s->msg_callback_arg);
    if (inner != NULL)
        s->s->msg_callback(write, write ? TLS1_2_VERSION : TLS1_3_VERSION, SSL3_RT_INNER_CONTENT_TYPE,
                          inner, 1, s, s->s->msg_callback_arg);
}

/* The record engine reports records only while a message callback is set: without one the
 * record path costs a NULL test. Called when the connection is made and when the SSL's message
 * callback changes (c: s->conn, or the one being made). */
void keel_conn_trace(SSL *s, keel_conn *c)
{
    if (c == NULL)
        return;
    c->rl.trace = s->s->msg_callback != NULL ? trace_record : NULL;
    c->rl.trace_arg = s;
}

void keel_msg_cb(SSL *s, int write, int content_type, const void *buf, size_t len)
{
    if (s->s->msg_callback == NULL)
        return;
    /* The version the message is interpreted by, as OpenSSL 3.0 reports it (tests/diff/tls12.c):
     * the negotiated one; before that a client's highest enabled version, and for a server TLS 1.3
     * for what it reads but TLS 1.2 for what it sends (an alert refusing the ClientHello). */
    int v = TLS1_3_VERSION;
    if (s->conn != NULL && s->conn->version != 0)
        v = s->conn->version;
    else if (s->server ? write : !keel_tls13_allowed(s->s))
        v = TLS1_2_VERSION;
    s->s->msg_callback(write, v, content_type, buf, len, s, s->s->msg_callback_arg);
}

/* RFC 6066 §4: codes 1..4 stand for 2^9..2^12 bytes. */
static size_t mfl_len(uint8_t mode)
{
    return mode >= TLSEXT_max_fragment_length_512 && mode <= TLSEXT_max_fragment_length_4096
        ? (size_t)512 << (mode - 1) : 0;
}

size_t keel_send_limit(const SSL *s)
{
    size_t max = s->s->max_send_fragment, mfl = s->conn != NULL ? mfl_len(s->conn->mfl) : 0;
    return mfl != 0 && mfl < max ? mfl : max;
}

/* RFC 6066 §4: "the negotiated length applies for the duration of the session": both our records
 * (keel_send_limit) and the peer's (the record layer's limit) from now on. */
void keel_set_mfl(SSL *s, uint8_t mode)
{
    s->conn->mfl = mode;
    keel_rl_set_max_plain(&s->conn->rl, mfl_len(mode));
}

/* RFC 8446 §5.4, as SSL_CTX_set_record_padding_callback(3) describes it and OpenSSL 3.0 behaves
 * (tests/diff/fraglen.c): only records under TLS 1.3 protection; the length the callback sees and
 * the block size rounds includes the inner content type byte; the padded record never exceeds the
 * send limit, and one already at it gets none (the callback is not asked). */
size_t keel_record_padding(SSL *s, uint8_t type, size_t len)
{
    size_t rlen = len + 1, max = keel_send_limit(s), pad = 0;

    if (s->conn == NULL || s->conn->rl.wr.prot != KEEL_RL_PROT_TLS13 || rlen >= max)
        return 0;
    if (s->s->record_padding_cb != NULL) {
        pad = s->s->record_padding_cb(s, type, rlen, s->s->record_padding_arg);
    } else if (s->s->block_padding > 1) {
        size_t rem = rlen % s->s->block_padding;
        pad = rem == 0 ? 0 : s->s->block_padding - rem;
    }
    return pad > max - rlen ? max - rlen : pad;
}
