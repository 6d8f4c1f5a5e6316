/* The SSL object of SSL_new(3): creation from a context, reference counting, duplication,
 * SSL_clear, context switching, role and handshake-state queries. */
#include "internal.h"
#include "handshake/hs.h"

#include <string.h>

/* Connection state is released here; the handshake code owns what keel_conn holds. */
void keel_conn_free(keel_conn *c);

static SSL *ssl_alloc(SSL_CTX *ctx)
{
    SSL *s = OPENSSL_zalloc(sizeof(*s));
    if (s == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    s->state = TLS_ST_BEFORE;
    s->in_init = 1;
    s->verify_result = X509_V_OK;
    s->rwstate = SSL_NOTHING;
    SSL_CTX_up_ref(ctx);
    s->ctx = ctx;
    SSL_CTX_up_ref(ctx);
    s->session_ctx = ctx;
    return s;
}

/* The settings an SSL starts with: a reference to src's block (a copy if the block has the
 * application's security callback, which names its one holder: internal.h) and the verification
 * parameters of the context (from NULL) or of the SSL it duplicates. */
static int inherit(SSL *s, const keel_settings *src, SSL_CTX *ctx, const SSL *from)
{
    s->s = keel_settings_ref(src);
    if (!keel_param_inherit(s, ctx, from))
        return 0;
    if (src->security_cb != keel_sec_default_cb() && src->security_cb != NULL)
        return keel_ssl_w(s) != NULL;
    return 1;
}

/* Everything an SSL owns, in one place, safe on a partly built object. */
static void ssl_release(SSL *s)
{
    keel_conn_free(s->conn);
    s->conn = NULL;
    keel_chain_free(s->cleared_chain);
    keel_chain_free(s->cleared_verified);
    keel_settings_release(s->s);
    X509_VERIFY_PARAM_free(s->param);
    keel_param_snap_release(s->param_snap);
    sk_SSL_CIPHER_free(s->cipher_stack);
    /* rbio and wbio each hold one reference, even when they are the same BIO. */
    BIO_free_all(s->wbio);
    BIO_free_all(s->rbio);
    OPENSSL_free(s->hostname);
    SSL_SESSION_free(s->session);
    keel_status_free(s);
    sk_X509_NAME_pop_free(s->client_ca, X509_NAME_free);
    sk_X509_NAME_pop_free(s->ca_names, X509_NAME_free);
    SSL_CTX_free(s->session_ctx);
    SSL_CTX_free(s->ctx);
    OPENSSL_free(s);
}

SSL *SSL_new(SSL_CTX *ctx)
{
    SSL *s;

    if (ctx == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NULL_SSL_CTX);
        return NULL;
    }
    if ((s = ssl_alloc(ctx)) == NULL)
        return NULL;
    /* The seed: the new SSL inherits method, options, verification and timeout settings: the
     * context's block, shared until either writes it, and its verification parameters. */
    if (ctx->settings_lost) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        goto err;
    }
    if (!inherit(s, ctx->s, ctx, NULL))
        goto err;
    s->status_type = ctx->status_type;
    /* SSL_CTX_set_max_pipelines(3) above 1 implies read_ahead, as OpenSSL's SSL_new applies it. */
    if (ctx->s->max_pipelines > 1 && !ctx->s->read_ahead) {
        keel_settings *w = keel_ssl_w(s);
        if (w == NULL)
            goto err;
        w->read_ahead = 1;
    }
    /* A method usable in one role only fixes the role; TLS_method leaves it to
     * SSL_set_connect_state/SSL_set_accept_state (OpenSSL 3.0 reports such an SSL as a server). */
    s->server = ctx->s->method->server;
    if (!CRYPTO_new_ex_data(CRYPTO_EX_INDEX_SSL, s, &s->ex_data)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_CRYPTO_LIB);
        goto err_noex;
    }
    return s;
err:
    /* ex_data not yet created: nothing to free there. */
err_noex:
    ssl_release(s);
    return NULL;
}

int SSL_up_ref(SSL *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return 1;
}

void SSL_free(SSL *s)
{
    if (s == NULL)
        return;
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    CRYPTO_free_ex_data(CRYPTO_EX_INDEX_SSL, s, &s->ex_data);
    /* SSL_free(3): a connection freed after its handshake without having sent close_notify may
     * have been cut short, so its session leaves the cache and is not resumed (as OpenSSL 3.0;
     * RFC 5246 §7.2.1 ties resumability to a proper close). */
    if (s->session != NULL && !(s->shutdown & SSL_SENT_SHUTDOWN) && !SSL_in_init(s) && !SSL_in_before(s))
        SSL_CTX_remove_session(s->session_ctx, s->session);
    ssl_release(s);
}

static int dup_bios(SSL *dst, const SSL *src)
{
    if (src->rbio != NULL && (dst->rbio = BIO_dup_chain(src->rbio)) == NULL)
        return 0;
    if (src->wbio == src->rbio) {
        if (dst->rbio != NULL && !BIO_up_ref(dst->rbio))
            return 0;
        dst->wbio = dst->rbio;
    } else if (src->wbio != NULL && (dst->wbio = BIO_dup_chain(src->wbio)) == NULL) {
        return 0;
    }
    return 1;
}

/* The seed: SSL_dup always makes a new SSL with every setting of the original and none of its
 * connection, in the initial accept (server) or connect (client) state of the original's role.
 * (OpenSSL 3.0 returns the same object when a connection is active; docs/COMPAT.md.) */
SSL *SSL_dup(SSL *s)
{
    SSL *d;

    if (s == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        return NULL;
    }
    if ((d = ssl_alloc(s->ctx)) == NULL)
        return NULL;
    SSL_CTX_free(d->session_ctx);
    SSL_CTX_up_ref(s->session_ctx);
    d->session_ctx = s->session_ctx;
    if (!inherit(d, s->s, NULL, s))
        goto err;
    d->info_callback = s->info_callback;
    d->status_type = s->status_type;
    d->server = s->server;
    d->role_set = s->role_set;
    if (s->hostname != NULL && (d->hostname = OPENSSL_strdup(s->hostname)) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        goto err;
    }
    if (!dup_bios(d, s)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_BIO_LIB);
        goto err;
    }
    if (!CRYPTO_new_ex_data(CRYPTO_EX_INDEX_SSL, d, &d->ex_data)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_CRYPTO_LIB);
        goto err;
    }
    if (!CRYPTO_dup_ex_data(CRYPTO_EX_INDEX_SSL, &d->ex_data, &s->ex_data)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_CRYPTO_LIB);
        SSL_free(d);
        return NULL;
    }
    return d;
err:
    ssl_release(d);
    return NULL;
}

/* SSL_clear(3): drop the connection, keep every setting and the BIOs. What OpenSSL keeps in the
 * session stays reported until the next handshake: the cipher and peer certificate (from the
 * session, info.c) and a client's peer chain (tests/diff/lifecycle.c). */
int SSL_clear(SSL *s)
{
    /* A connection cleared after its handshake without close_notify: its session leaves the
     * cache and the SSL, as in SSL_free (OpenSSL 3.0 does the same here; tests/diff/misc16.c). */
    int bad = s->session != NULL && !(s->shutdown & SSL_SENT_SHUTDOWN) && !SSL_in_init(s) && !SSL_in_before(s);
    if (bad) {
        SSL_CTX_remove_session(s->session_ctx, s->session);
        SSL_SESSION_free(s->session);
        s->session = NULL;
    }
    /* The peer chain (as SSL_get_peer_cert_chain shows it in this role) and the verified chain
     * stay with the session, as OpenSSL keeps them, until a new handshake replaces them. */
    if (bad || (s->conn != NULL && s->conn->peer_chain != NULL)) {
        keel_chain_free(s->cleared_chain);
        keel_chain_free(s->cleared_verified);
        s->cleared_chain = s->cleared_verified = NULL;
    }
    if (!bad && s->conn != NULL && s->conn->peer_chain != NULL) {
        if (!s->server) {
            s->cleared_chain = s->conn->peer_chain;
            s->conn->peer_chain = NULL;
        } else {
            (void)SSL_get_peer_cert_chain(s); /* builds the leafless view */
            s->cleared_chain = s->conn->peer_chain_noleaf;
            s->conn->peer_chain_noleaf = NULL;
        }
        s->cleared_verified = s->conn->verified_chain;
        s->conn->verified_chain = NULL;
    }
    keel_conn_free(s->conn);
    s->conn = NULL;
    s->state = TLS_ST_BEFORE;
    s->in_init = 1;
    s->shutdown = 0;
    s->rwstate = SSL_NOTHING;
    s->verify_result = X509_V_OK;
    return 1;
}

SSL_CTX *SSL_get_SSL_CTX(const SSL *s) { return s->ctx; }

/* SSL_set_SSL_CTX: the server's SNI switch. The certificates (and what belongs to them: signature
 * algorithms and the cert callback) come from the new context; so does the session id context if
 * the SSL still had the old context's. Other settings stay the SSL's own. */
SSL_CTX *SSL_set_SSL_CTX(SSL *s, SSL_CTX *ctx)
{
    keel_settings *tmp, *w;
    keel_lists *l;

    if (ctx == NULL)
        ctx = s->session_ctx;
    if (ctx == s->ctx)
        return s->ctx;
    if ((tmp = keel_settings_dup(ctx->s)) == NULL)
        return NULL;
    if ((w = keel_ssl_w(s)) == NULL || (l = keel_settings_lists(w)) == NULL) {
        keel_settings_release(tmp);
        return NULL;
    }
    for (int i = 0; i < KEEL_SLOT_COUNT; i++) {
        keel_certkey swap = w->certs[i];
        w->certs[i] = tmp->certs[i];
        tmp->certs[i] = swap;
    }
    w->cur_slot = tmp->cur_slot;
    memcpy(l->sigalgs, tmp->lists->sigalgs, sizeof(l->sigalgs));
    w->nsigalgs = tmp->nsigalgs;
    /* OpenSSL keeps these beside the certificates, so the new context's apply too. */
    memcpy(l->client_sigalgs, tmp->lists->client_sigalgs, sizeof(l->client_sigalgs));
    w->nclient_sigalgs = tmp->nclient_sigalgs;
    w->security_level = tmp->security_level;
    w->security_cb = tmp->security_cb;
    w->security_ex = tmp->security_ex;
    w->cert_cb = tmp->cert_cb;
    w->cert_cb_arg = tmp->cert_cb_arg;
    if (w->sid_ctx_len == s->ctx->s->sid_ctx_len
            && memcmp(w->sid_ctx, s->ctx->s->sid_ctx, w->sid_ctx_len) == 0) {
        memcpy(w->sid_ctx, ctx->s->sid_ctx, ctx->s->sid_ctx_len);
        w->sid_ctx_len = ctx->s->sid_ctx_len;
    }
    keel_settings_release(tmp);
    SSL_CTX_up_ref(ctx);
    SSL_CTX_free(s->ctx);
    s->ctx = ctx;
    return ctx;
}

/* ---- role and state ---- */

void SSL_set_connect_state(SSL *s)
{
    SSL_clear(s);
    s->server = 0;
    s->role_set = 1;
}

void SSL_set_accept_state(SSL *s)
{
    SSL_clear(s);
    s->server = 1;
    s->role_set = 1;
}

int SSL_is_server(const SSL *s) { return s->server; }
OSSL_HANDSHAKE_STATE SSL_get_state(const SSL *s) { return keel_shown_state(s); }
/* After a fatal alert, sent or received, OpenSSL's state machine is in its error state, which
 * counts as in init (and never finished), whether or not the handshake had completed
 * (tests/diff/lifecycle.c). */
/* A KeyUpdate the application scheduled, a post-handshake CertificateRequest or tickets asked
 * for also count until they are sent, as OpenSSL enters its state machine for them (an answer to
 * the peer's KeyUpdate request does not). */
int SSL_in_init(const SSL *s)
{
    const keel_conn *c = s->conn;
    return s->in_init || (c != NULL && (c->fatal || c->key_update_due == KEEL_KEY_UPDATE_OWN
                                        || c->pha_state == KEEL_PHA_PENDING || c->tickets_queued));
}
int SSL_in_before(const SSL *s) { return s->state == TLS_ST_BEFORE && s->conn == NULL; }
int SSL_is_init_finished(const SSL *s) { return !SSL_in_init(s) && s->state == TLS_ST_OK; }

void SSL_set_shutdown(SSL *s, int mode) { s->shutdown = mode; }
int SSL_get_shutdown(const SSL *s) { return s->shutdown; }

/* ---- ex_data ---- */

int SSL_set_ex_data(SSL *s, int idx, void *data) { return CRYPTO_set_ex_data(&s->ex_data, idx, data); }
void *SSL_get_ex_data(const SSL *s, int idx) { return CRYPTO_get_ex_data(&s->ex_data, idx); }
