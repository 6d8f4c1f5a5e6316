/* SSL_ctrl / SSL_CTX_ctrl / *_callback_ctrl: OpenSSL's numbered control interface. Many public
 * "functions" are macros over these numbers, so the numbers are ABI. Commands that act on the
 * settings block are answered once, in keel_settings_ctrl, for both objects. A number OpenSSL 3.0
 * does not answer on that object returns 0 and leaves the error queue alone, as OpenSSL does
 * (docs/COMPAT.md has the table: number, macro, status). */
#define OPENSSL_SUPPRESS_DEPRECATED /* SSL_CTX_set_tmp_ecdh takes an EC_KEY: deprecated, still ABI */
#include "handshake/hs.h"
#include "proto/session.h"

#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/ocsp.h>
#include <string.h>

/* SSL_CTX_set_tmp_ecdh(3) (ctrl 4): the group list becomes that key's curve alone, as OpenSSL
 * 3.0 does; the key itself is not used (a fresh share is made per handshake, RFC 8446 §4.2.8). */
static long tmp_ecdh(keel_settings *s, const EC_KEY *k)
{
    if (s == NULL)
        return 0;
    const EC_GROUP *g = k != NULL ? EC_KEY_get0_group(k) : NULL;
    int nid = g != NULL ? EC_GROUP_get_curve_name(g) : NID_undef;

    if (k == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if (nid == NID_undef) {
        ERR_raise(ERR_LIB_SSL, SSL_R_MISSING_PARAMETERS);
        return 0;
    }
    keel_lists *l = keel_settings_lists(s);

    return l != NULL && keel_groups_from_nids(&nid, 1, l->groups, &s->ngroups);
}

static int version_ok(long v)
{
    return v == 0 || v == TLS1_VERSION || v == TLS1_1_VERSION || v == TLS1_2_VERSION
        || v == TLS1_3_VERSION || v == SSL3_VERSION;
}

static const keel_settings *holder_r(keel_holder h)
{
    return h.ssl != NULL ? h.ssl->s : h.ctx->s;
}

/* The holder's block to write: NULL (raised, the holder marked) if it could not be made its own. */
static keel_settings *holder_w(keel_holder h)
{
    return h.ssl != NULL ? keel_ssl_w(h.ssl) : keel_ctx_w(h.ctx);
}

/* SSL_CTX_set1_chain & co. act on the current certificate slot. */
static long chain_ctrl(keel_holder h, int cmd, long larg, void *parg)
{
    const keel_settings *r = holder_r(h);

    if (cmd == SSL_CTRL_GET_CHAIN_CERTS) { /* no current certificate: no chain */
        *(STACK_OF(X509) **)parg = r->cur_slot >= 0 ? r->certs[r->cur_slot].chain : NULL;
        return 1;
    }
    if (r->cur_slot < 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_CERTIFICATE_ASSIGNED);
        return 0;
    }
    keel_settings *s = holder_w(h);
    if (s == NULL)
        return 0;
    keel_certkey *ck = &s->certs[s->cur_slot];
    switch (cmd) {
    case SSL_CTRL_CHAIN: {
        STACK_OF(X509) *chain = parg;
        /* Each chain certificate must satisfy the security level or callback. */
        int reason = keel_sec_chain(s, NULL, chain, 0);
        if (reason != 0) {
            ERR_raise(ERR_LIB_SSL, reason);
            return 0;
        }
        if (larg) { /* set1: take our own references */
            if (chain != NULL && (chain = X509_chain_up_ref(chain)) == NULL)
                return 0;
        }
        keel_chain_free(ck->chain);
        ck->chain = chain;
        return 1;
    }
    case SSL_CTRL_CHAIN_CERT: {
        X509 *x = parg;
        if (x == NULL)
            return 0;
        int reason = keel_sec_cert(s, x, 0, 0); /* SSL_R_CA_KEY_TOO_SMALL, SSL_R_CA_MD_TOO_WEAK */
        if (reason != 0) {
            ERR_raise(ERR_LIB_SSL, reason);
            return 0;
        }
        if (ck->chain == NULL && (ck->chain = sk_X509_new_null()) == NULL)
            return 0;
        if (larg && !X509_up_ref(x))
            return 0;
        if (!sk_X509_push(ck->chain, x)) {
            if (larg)
                X509_free(x);
            return 0;
        }
        return 1;
    }
    }
    return 0;
}

/* Reads go to the holder's block as it is; each write first makes it the holder's own (W). */
#define W() ((s = holder_w(h)) != NULL)
long keel_settings_ctrl(keel_holder h, int cmd, long larg, void *parg, int *handled)
{
    const keel_settings *r = holder_r(h);
    keel_settings *s;
    keel_lists *l;

    *handled = 1;
    switch (cmd) {
    case SSL_CTRL_MODE:
    case SSL_CTRL_CLEAR_MODE: {
        uint32_t m = cmd == SSL_CTRL_MODE ? r->mode | (uint32_t)larg : r->mode & ~(uint32_t)larg;
        if (m != r->mode && W())
            s->mode = m;
        return holder_r(h)->mode;
    }
    case SSL_CTRL_SET_MIN_PROTO_VERSION:
    case SSL_CTRL_SET_MAX_PROTO_VERSION:
        if (!version_ok(larg)) {
            ERR_raise(ERR_LIB_SSL, SSL_R_UNKNOWN_SSL_VERSION);
            return 0;
        }
        if ((cmd == SSL_CTRL_SET_MIN_PROTO_VERSION ? r->min_version : r->max_version) == larg)
            return 1;
        if (!W())
            return 0;
        if (cmd == SSL_CTRL_SET_MIN_PROTO_VERSION)
            s->min_version = (int)larg;
        else
            s->max_version = (int)larg;
        return 1;
    case SSL_CTRL_GET_MIN_PROTO_VERSION:
        return r->min_version;
    case SSL_CTRL_GET_MAX_PROTO_VERSION:
        return r->max_version;
    case SSL_CTRL_SET_GROUPS:
        return W() && (l = keel_settings_lists(s)) != NULL
            && keel_groups_from_nids(parg, (size_t)larg, l->groups, &s->ngroups);
    case SSL_CTRL_SET_GROUPS_LIST:
        return parg != NULL && W() && (l = keel_settings_lists(s)) != NULL
            && keel_groups_parse(parg, l->groups, &s->ngroups);
    case SSL_CTRL_SET_SIGALGS_LIST:
        return parg != NULL && W() && (l = keel_settings_lists(s)) != NULL
            && keel_sigalgs_parse(parg, l->sigalgs, &s->nsigalgs);
    case SSL_CTRL_SET_CLIENT_SIGALGS_LIST:
        return parg != NULL && W() && (l = keel_settings_lists(s)) != NULL
            && keel_sigalgs_parse(parg, l->client_sigalgs, &s->nclient_sigalgs);
    case SSL_CTRL_SET_SIGALGS:
        return W() && (l = keel_settings_lists(s)) != NULL
            && keel_sigalgs_from_nids(parg, (size_t)larg, l->sigalgs, &s->nsigalgs);
    case SSL_CTRL_SET_CLIENT_SIGALGS:
        return W() && (l = keel_settings_lists(s)) != NULL
            && keel_sigalgs_from_nids(parg, (size_t)larg, l->client_sigalgs, &s->nclient_sigalgs);
    case SSL_CTRL_SET_MAX_SEND_FRAGMENT:
        if (larg < 512 || larg > SSL3_RT_MAX_PLAIN_LENGTH || !W())
            return 0;
        s->max_send_fragment = (size_t)larg;
        return 1;
    case SSL_CTRL_SET_READ_AHEAD: {
        long old = r->read_ahead;
        if (old != larg && W())
            s->read_ahead = (int)larg;
        return old;
    }
    case SSL_CTRL_GET_READ_AHEAD:
        return r->read_ahead;
    case SSL_CTRL_SET_MAX_CERT_LIST: {
        long old = (long)r->max_cert_list;
        if (r->max_cert_list != (unsigned long)larg && W())
            s->max_cert_list = (unsigned long)larg;
        return old;
    }
    case SSL_CTRL_GET_MAX_CERT_LIST:
        return (long)r->max_cert_list;
    case SSL_CTRL_SET_MSG_CALLBACK_ARG:
        if (r->msg_callback_arg == parg)
            return 1;
        if (!W())
            return 0;
        s->msg_callback_arg = parg;
        return 1;
    case SSL_CTRL_SET_DH_AUTO:
        /* SSL_CTX_set_dh_auto(3): 1 sizes the parameters to the certificate, 2 to 80 bits (1024)
         * raised to the security level (src/handshake/tls12/kx_dhe.c). */
        if (!W())
            return 0;
        s->dh_auto = (int)larg;
        return 1;
    case SSL_CTRL_SET_TMP_DH:
        return keel_set_tmp_dh(holder_w(h), parg); /* src/api/dh_params.c */
    case SSL_CTRL_SET_TMP_DH_CB:
        /* A function pointer goes through *_callback_ctrl, never here (OpenSSL says the same). */
        ERR_raise(ERR_LIB_SSL, ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED);
        return 0;
    case SSL_CTRL_SET_TMP_ECDH:
        return tmp_ecdh(holder_w(h), parg);
    case SSL_CTRL_SET_SPLIT_SEND_FRAGMENT:
        /* Only meaningful with pipelines, which keel does not use; checked as OpenSSL 3.0 checks
         * it (1 .. max_send_fragment, tests/diff/fraglen.c). Nothing else reads it. */
        return larg >= 1 && (size_t)larg <= r->max_send_fragment;
    case SSL_CTRL_SET_MAX_PIPELINES:
        /* One pipeline is all keel does; more are accepted as OpenSSL accepts them for ciphers
         * that cannot pipeline (every suite keel has): records are then processed one at a time.
         * More than one turns read_ahead on, for the SSL at once and for SSLs made from a context
         * later, as in OpenSSL (SSL_ctrl and SSL_new). */
        if (larg < 1 || larg > SSL_MAX_PIPELINES || !W())
            return 0;
        s->max_pipelines = larg;
        return 1;
    case SSL_CTRL_SELECT_CURRENT_CERT:
        return keel_cert_select(holder_w(h), cmd, larg, parg);
    case SSL_CTRL_SET_VERIFY_CERT_STORE:
    case SSL_CTRL_SET_CHAIN_CERT_STORE:
        return keel_cert_store_set(holder_w(h), cmd, larg, parg);
    case SSL_CTRL_GET_VERIFY_CERT_STORE:
        *(X509_STORE **)parg = r->verify_store;
        return 1;
    case SSL_CTRL_GET_CHAIN_CERT_STORE:
        *(X509_STORE **)parg = r->chain_store;
        return 1;
    case SSL_CTRL_SET_CLIENT_CERT_TYPES:
        /* TLS 1.2's CertificateRequest certificate_types (RFC 5246 §7.4.4); TLS 1.3 has none, so
         * the list is checked and, keel having no TLS 1.2 handshake, has no use yet. */
        return larg >= 0 && larg <= 0xff && (larg == 0 || parg != NULL);
    case SSL_CTRL_CHAIN:
    case SSL_CTRL_CHAIN_CERT:
    case SSL_CTRL_GET_CHAIN_CERTS:
        return chain_ctrl(h, cmd, larg, parg);
    }
    *handled = 0;
    return 0;
}
#undef W

long SSL_CTX_ctrl(SSL_CTX *ctx, int cmd, long larg, void *parg)
{
    int handled;
    long ret = keel_settings_ctrl((keel_holder){ NULL, ctx }, cmd, larg, parg, &handled);
    if (handled)
        return ret;

    switch (cmd) {
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_TYPE:
        ctx->status_type = (int)larg;
        return 1;
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_TYPE:
        return ctx->status_type;
    case SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG:
        ctx->servername_arg = parg;
        return 1;
    case SSL_CTRL_EXTRA_CHAIN_CERT:
        if (parg == NULL)
            return 0;
        if (ctx->extra_certs == NULL && (ctx->extra_certs = sk_X509_new_null()) == NULL)
            return 0;
        return sk_X509_push(ctx->extra_certs, parg) > 0;
    case SSL_CTRL_GET_EXTRA_CHAIN_CERTS:
        /* SSL_CTX_get_extra_chain_certs (larg 0) falls back to the current certificate's chain;
         * SSL_CTX_get_extra_chain_certs_only (larg 1) does not. */
        *(STACK_OF(X509) **)parg = ctx->extra_certs;
        if (ctx->extra_certs == NULL && larg == 0 && ctx->s->cur_slot >= 0)
            *(STACK_OF(X509) **)parg = ctx->s->certs[ctx->s->cur_slot].chain;
        return 1;
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB_ARG:
        ctx->status_arg = parg;
        return 1;
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_CB:
        *(int (**)(SSL *, void *))parg = ctx->status_cb;
        return 1;
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_CB_ARG:
        *(void **)parg = ctx->status_arg;
        return 1;
    case SSL_CTRL_GET_TLSEXT_TICKET_KEYS:
    case SSL_CTRL_SET_TLSEXT_TICKET_KEYS:
        return keel_ticket_keys_ctrl(ctx, cmd == SSL_CTRL_SET_TLSEXT_TICKET_KEYS, parg, larg);
    case SSL_CTRL_SET_CURRENT_CERT:
        return keel_cert_select(keel_ctx_w(ctx), cmd, larg, NULL);
    case SSL_CTRL_BUILD_CERT_CHAIN:
        return keel_build_chain(keel_ctx_w(ctx), ctx, (unsigned long)larg);
    case SSL_CTRL_CLEAR_EXTRA_CHAIN_CERTS:
        keel_chain_free(ctx->extra_certs);
        ctx->extra_certs = NULL;
        return 1;
    case SSL_CTRL_SET_SESS_CACHE_MODE: {
        long old = ctx->session_cache_mode;
        ctx->session_cache_mode = larg;
        return old;
    }
    case SSL_CTRL_GET_SESS_CACHE_MODE:
        return ctx->session_cache_mode;
    case SSL_CTRL_SET_SESS_CACHE_SIZE: {
        long old = ctx->session_cache_size;
        if (larg < 0)
            return 0;
        ctx->session_cache_size = larg;
        return old;
    }
    case SSL_CTRL_GET_SESS_CACHE_SIZE:
        return ctx->session_cache_size;
    case SSL_CTRL_SESS_NUMBER:
    case SSL_CTRL_SESS_CONNECT:
    case SSL_CTRL_SESS_CONNECT_GOOD:
    case SSL_CTRL_SESS_CONNECT_RENEGOTIATE:
    case SSL_CTRL_SESS_ACCEPT:
    case SSL_CTRL_SESS_ACCEPT_GOOD:
    case SSL_CTRL_SESS_ACCEPT_RENEGOTIATE:
    case SSL_CTRL_SESS_HIT:
    case SSL_CTRL_SESS_CB_HIT:
    case SSL_CTRL_SESS_MISSES:
    case SSL_CTRL_SESS_TIMEOUTS:
    case SSL_CTRL_SESS_CACHE_FULL:
        return keel_cache_stat(ctx, cmd);
    }
    return 0; /* not a context command in OpenSSL 3.0 either: no error, as there */
}

/* SSL_get_shared_group(3): the groups both sides support, in the client's order unless
 * SSL_OP_CIPHER_SERVER_PREFERENCE; n = -1 counts them. Only a server knows the peer's list. */
static long shared_group(const SSL *s, long n)
{
    const keel_conn *c = s->conn;
    uint16_t ours[KEEL_MAX_GROUPS];
    size_t nours, k = 0;
    int server_pref = (s->s->options & SSL_OP_CIPHER_SERVER_PREFERENCE) != 0;

    if (!s->server || c == NULL)
        return 0;
    nours = keel_groups_effective(s, 0, ours);
    size_t outer = server_pref ? nours : c->npeer_groups, inner = server_pref ? c->npeer_groups : nours;
    for (size_t i = 0; i < outer; i++) {
        uint16_t g = server_pref ? ours[i] : c->peer_groups[i];
        size_t j;
        for (j = 0; j < inner && (server_pref ? c->peer_groups[j] : ours[j]) != g; j++)
            ;
        if (j == inner || !keel_sec_group(s->s, SSL_SECOP_CURVE_SHARED, g))
            continue;
        /* TLS 1.2 ECDHE takes no ffdhe group (RFC 7919 §2's range 256-511), so OpenSSL 3.0
         * does not count them as shared there. */
        if (c->version == TLS1_2_VERSION && g >= 0x0100 && g <= 0x01ff)
            continue;
        if (n >= 0 && k == (size_t)n)
            return keel_group_nid(g);
        k++;
    }
    return n < 0 ? (long)k : 0;
}

/* SSL_get1_groups(3): the groups the peer sent (a server's view), as NIDs; a group keel has no
 * NID for is TLSEXT_nid_unknown | its codepoint, as documented. parg NULL: the count. */
static long peer_groups(const SSL *s, int *out)
{
    const keel_conn *c = s->conn;
    if (c == NULL || !s->server)
        return 0;
    for (size_t i = 0; out != NULL && i < c->npeer_groups; i++) {
        int nid = keel_group_nid(c->peer_groups[i]);
        out[i] = nid != NID_undef ? nid : (int)(TLSEXT_nid_unknown | c->peer_groups[i]);
    }
    return (long)c->npeer_groups;
}

static long tmp_key(const SSL *s, int peer, EVP_PKEY **out)
{
    EVP_PKEY *k;
    /* After a TLS 1.2 key exchange OpenSSL 3.0 keeps only the client's copy of the server's
     * share: its own ephemeral key, and the server's copy of the client's, are gone; a client
     * reports as its own the TLS 1.3 key share its ClientHello offered, if any. */
    if (s->conn != NULL && s->conn->version == TLS1_2_VERSION && (!peer || s->server))
        k = s->server ? NULL : s->conn->offered_key;
    else
        k = keel_conn_tmp_key(s->conn, s->ctx->algs, peer);
    if (k == NULL || !EVP_PKEY_up_ref(k))
        return 0;
    *out = k;
    return 1;
}

/* Status request (OCSP, RFC 6066 §8) values, used by src/handshake/status.c: the client's ids and
 * extensions (sent) or those the server received; the response received or to staple. */
const keel_ssl_rare keel_ssl_rare_none;

keel_ssl_rare *keel_ssl_rare_w(SSL *s)
{
    if (s->rare == NULL && (s->rare = OPENSSL_zalloc(sizeof(*s->rare))) == NULL)
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
    return s->rare;
}

void keel_status_free(SSL *s)
{
    keel_ssl_rare *r = s->rare;

    if (r == NULL)
        return;
    sk_X509_EXTENSION_pop_free(r->status_exts, X509_EXTENSION_free);
    sk_OCSP_RESPID_pop_free((STACK_OF(OCSP_RESPID) *)r->status_ids, OCSP_RESPID_free);
    OPENSSL_free(r->ocsp_resp);
    OPENSSL_free(r);
    s->rare = NULL;
}

static long status_ctrl(SSL *s, int cmd, long larg, void *parg)
{
    const keel_ssl_rare *rr = keel_ssl_rare_r(s);
    keel_ssl_rare *r;

    switch (cmd) {
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_EXTS:
        *(STACK_OF(X509_EXTENSION) **)parg = rr->status_exts;
        return 1;
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_IDS:
        *(void **)parg = rr->status_ids;
        return 1;
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_OCSP_RESP:
        /* -1: no response; an empty one set by a server reads as none, as in OpenSSL 3.0. */
        *(unsigned char **)parg = rr->ocsp_resp;
        return rr->ocsp_resp != NULL && rr->ocsp_resp_len > 0 ? rr->ocsp_resp_len : -1;
    }
    /* The setters take ownership only when they succeed. */
    if ((cmd == SSL_CTRL_SET_TLSEXT_STATUS_REQ_OCSP_RESP && larg < 0) || (r = keel_ssl_rare_w(s)) == NULL)
        return 0;
    switch (cmd) {
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_EXTS:
        sk_X509_EXTENSION_pop_free(r->status_exts, X509_EXTENSION_free);
        r->status_exts = parg;
        return 1;
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_IDS:
        sk_OCSP_RESPID_pop_free((STACK_OF(OCSP_RESPID) *)r->status_ids, OCSP_RESPID_free);
        r->status_ids = parg;
        return 1;
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_OCSP_RESP:
        OPENSSL_free(r->ocsp_resp);
        r->ocsp_resp = parg;
        r->ocsp_resp_len = larg;
        return 1;
    }
    return 0;
}

long SSL_ctrl(SSL *s, int cmd, long larg, void *parg)
{
    int handled;
    long ret = keel_settings_ctrl((keel_holder){ s, NULL }, cmd, larg, parg, &handled);
    if (cmd == SSL_CTRL_SET_MAX_PIPELINES && ret == 1 && larg > 1)
        KEEL_SET(keel_ssl_w, s, read_ahead, 1);
    if (handled)
        return ret;

    switch (cmd) {
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_TYPE:
        s->status_type = (int)larg;
        return 1;
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_TYPE:
        return s->status_type;
    case SSL_CTRL_GET_PEER_SIGNATURE_NID:
    case SSL_CTRL_GET_SIGNATURE_NID:
        return keel_sig_hash_nid(s, cmd == SSL_CTRL_GET_PEER_SIGNATURE_NID, parg);
    case SSL_CTRL_SET_TLSEXT_HOSTNAME: {
        const char *name = parg;
        if (larg != TLSEXT_NAMETYPE_host_name) {
            ERR_raise(ERR_LIB_SSL, SSL_R_UNSUPPORTED_SSL_VERSION);
            return 0;
        }
        char *copy = NULL;
        if (name != NULL) {
            size_t len = strlen(name);
            if (len == 0 || len > TLSEXT_MAXLEN_host_name) {
                ERR_raise(ERR_LIB_SSL, SSL_R_SSL3_EXT_INVALID_SERVERNAME);
                return 0;
            }
            if ((copy = OPENSSL_strdup(name)) == NULL) {
                ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
                return 0;
            }
        }
        OPENSSL_free(s->hostname);
        s->hostname = copy;
        return 1;
    }
    case SSL_CTRL_GET_NEGOTIATED_GROUP:
        return s->conn != NULL && s->conn->group != 0 ? keel_group_nid(s->conn->group) : 0;
    case SSL_CTRL_SET_TLSEXT_DEBUG_ARG: {
        keel_ssl_rare *r = keel_ssl_rare_w(s);
        if (r != NULL)
            r->tlsext_debug_arg = parg;
        return r != NULL;
    }
    case SSL_CTRL_GET_SHARED_GROUP:
        return shared_group(s, larg);
    case SSL_CTRL_GET_GROUPS:
        return peer_groups(s, parg);
    case SSL_CTRL_GET_PEER_TMP_KEY:
    case SSL_CTRL_GET_TMP_KEY:
        return tmp_key(s, cmd == SSL_CTRL_GET_PEER_TMP_KEY, parg);
    case SSL_CTRL_GET_NUM_RENEGOTIATIONS:
        /* TLS 1.2 renegotiations we started or accepted (tls12/reneg.c), as OpenSSL counts */
        return s->conn != NULL ? s->conn->num_reneg : 0;
    case SSL_CTRL_CLEAR_NUM_RENEGOTIATIONS: {
        long n = s->conn != NULL ? s->conn->num_reneg : 0;
        if (s->conn != NULL)
            s->conn->num_reneg = 0;
        return n;
    }
    case SSL_CTRL_GET_TOTAL_RENEGOTIATIONS:
        return s->conn != NULL ? s->conn->total_reneg : 0;
    case SSL_CTRL_GET_RI_SUPPORT:
        /* RFC 5746 §3.6: a server learns it from the SCSV or the extension in the ClientHello;
         * a TLS 1.3 ServerHello carries neither, so a client learns nothing. */
        if (!s->server) /* RFC 5746 §3.4: a TLS 1.2 ServerHello's renegotiation_info */
            return s->conn != NULL && s->conn->version == TLS1_2_VERSION && s->conn->peer_ri;
        /* the extension, or RFC 5746 §3.6's SCSV among the ClientHello's suites */
        return s->server && s->conn != NULL
            && (s->conn->peer_ri || keel_client_suite_offered(s->conn, 0x00ff));
    case SSL_CTRL_GET_EXTMS_SUPPORT:
        /* -1 until a handshake is complete. The extended master secret (RFC 7627) is TLS 1.2's;
         * a TLS 1.3 session does not have it. */
        if (s->session == NULL || SSL_in_init(s))
            return -1;
        return s->session->ems ? 1 : 0;
    case SSL_CTRL_GET_RAW_CIPHERLIST:
        /* SSL_get0_raw_cipherlist(3): the ClientHello's cipher_suites as received (a server's
         * view); with parg NULL, the size of one entry. */
        if (parg == NULL)
            return 2;
        if (s->conn == NULL || !s->server || s->conn->client_suites == NULL)
            return 0;
        *(unsigned char **)parg = s->conn->client_suites;
        return (long)s->conn->client_suites_len;
    case SSL_CTRL_GET_EC_POINT_FORMATS:
        /* TLS 1.3 has no ec_point_formats (RFC 8446 §4.2.7): none received. */
        return 0;
    case SSL_CTRL_GET_CLIENT_CERT_TYPES:
        /* Received in a TLS 1.2 CertificateRequest only; a TLS 1.3 one has none. */
        if (s->server || s->conn == NULL || s->conn->peer_cert_types == NULL)
            return 0;
        if (parg != NULL)
            *(const unsigned char **)parg = s->conn->peer_cert_types;
        return (long)s->conn->npeer_cert_types;
    case SSL_CTRL_SET_CURRENT_CERT:
        if (larg == SSL_CERT_SET_SERVER) {
            /* The certificate the server presented in this handshake. */
            const keel_certkey *ck = s->server && s->conn != NULL ? s->conn->certkey : NULL;
            for (int i = 0; ck != NULL && i < KEEL_SLOT_COUNT; i++)
                if (ck->x509 == s->s->certs[i].x509) {
                    KEEL_SET(keel_ssl_w, s, cur_slot, i);
                    return s->s->cur_slot == i;
                }
            return 0;
        }
        return keel_cert_select(keel_ssl_w(s), cmd, larg, NULL);
    case SSL_CTRL_BUILD_CERT_CHAIN:
        return keel_build_chain(keel_ssl_w(s), s->ctx, (unsigned long)larg);
    case SSL_CTRL_SET_RETRY_VERIFY:
        /* SSL_set_retry_verify(3): suspending the handshake from the verify callback is not
         * implemented; fail honestly. */
        ERR_raise_data(ERR_LIB_SSL, ERR_R_UNSUPPORTED, "SSL_set_retry_verify");
        return 0;
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_EXTS:
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_EXTS:
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_IDS:
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_IDS:
    case SSL_CTRL_GET_TLSEXT_STATUS_REQ_OCSP_RESP:
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_OCSP_RESP:
        return status_ctrl(s, cmd, larg, parg);
    }
    return 0; /* not a connection command in OpenSSL 3.0 either: no error, as there */
}

long SSL_CTX_callback_ctrl(SSL_CTX *ctx, int cmd, void (*fp)(void))
{
    switch (cmd) {
    case SSL_CTRL_SET_TLSEXT_SERVERNAME_CB:
        ctx->servername_cb = (int (*)(SSL *, int *, void *))fp;
        return 1;
    case SSL_CTRL_SET_MSG_CALLBACK:
        KEEL_SET(keel_ctx_w, ctx, msg_callback, (void (*)(int, int, int, const void *, size_t, SSL *, void *))fp);
        return 1;
    case SSL_CTRL_SET_TMP_DH_CB:
        /* SSL_CTX_set_tmp_dh_callback(3) is a function of its own; the ctrl sets the same. */
        KEEL_SET(keel_ctx_w, ctx, dh_tmp_cb, (DH * (*)(SSL *, int, int))fp);
        return 1;
    case SSL_CTRL_SET_NOT_RESUMABLE_SESS_CB:
        /* OpenSSL asks it when choosing a TLS 1.2 suite only; keel has no TLS 1.2 handshake, so,
         * as for a TLS 1.3 connection on OpenSSL, it is never called (docs/compat-notes.txt). */
        return 1;
    case SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB:
        ctx->status_cb = (int (*)(SSL *, void *))fp;
        return 1;
    case SSL_CTRL_SET_TLSEXT_TICKET_KEY_CB:
        /* SSL_CTX_set_tlsext_ticket_key_cb(3): tickets sealed and opened by the application, on
         * the same path as the EVP_MAC form (src/crypto/ticket_evp.c). */
        ctx->ticket_key_cb = (int (*)(SSL *, unsigned char *, unsigned char *, EVP_CIPHER_CTX *,
                                      HMAC_CTX *, int))fp;
        return 1;
    }
    return 0;
}

long SSL_callback_ctrl(SSL *s, int cmd, void (*fp)(void))
{
    switch (cmd) {
    case SSL_CTRL_SET_MSG_CALLBACK:
        KEEL_SET(keel_ssl_w, s, msg_callback, (void (*)(int, int, int, const void *, size_t, SSL *, void *))fp);
        keel_conn_trace(s, s->conn);
        return 1;
    case SSL_CTRL_SET_TMP_DH_CB:
        KEEL_SET(keel_ssl_w, s, dh_tmp_cb, (DH * (*)(SSL *, int, int))fp);
        return 1;
    case SSL_CTRL_SET_NOT_RESUMABLE_SESS_CB:
        return 1; /* as SSL_CTX_callback_ctrl */
    case SSL_CTRL_SET_TLSEXT_DEBUG_CB: {
        keel_ssl_rare *r = keel_ssl_rare_w(s);
        if (r != NULL)
            r->tlsext_debug_cb = (void (*)(SSL *, int, int, const unsigned char *, int, void *))fp;
        return r != NULL;
    }
    }
    return 0;
}
