/* SSL_ctrl / SSL_CTX_ctrl / *_callback_ctrl: OpenSSL's numbered control interface. Many public
 * "functions" are macros over these numbers, so the numbers are ABI. Commands that act on the
 * settings block are answered once, in keel_settings_ctrl, for both objects. */
#include "handshake/hs.h"

#include <string.h>

static int version_ok(long v)
{
    return v == 0 || v == TLS1_VERSION || v == TLS1_1_VERSION || v == TLS1_2_VERSION
        || v == TLS1_3_VERSION || v == SSL3_VERSION;
}

/* SSL_CTX_set1_chain & co. act on the current certificate slot. */
static long chain_ctrl(keel_settings *s, int cmd, long larg, void *parg)
{
    keel_certkey *ck = s->cur_slot >= 0 ? &s->certs[s->cur_slot] : NULL;

    if (ck == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_CERTIFICATE_ASSIGNED);
        return 0;
    }
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
    case SSL_CTRL_GET_CHAIN_CERTS:
        *(STACK_OF(X509) **)parg = ck->chain;
        return 1;
    }
    return 0;
}

long keel_settings_ctrl(keel_settings *s, int cmd, long larg, void *parg, int *handled)
{
    *handled = 1;
    switch (cmd) {
    case SSL_CTRL_MODE:
        return s->mode |= (uint32_t)larg;
    case SSL_CTRL_CLEAR_MODE:
        return s->mode &= ~(uint32_t)larg;
    case SSL_CTRL_SET_MIN_PROTO_VERSION:
    case SSL_CTRL_SET_MAX_PROTO_VERSION:
        if (!version_ok(larg)) {
            ERR_raise(ERR_LIB_SSL, SSL_R_UNKNOWN_SSL_VERSION);
            return 0;
        }
        if (cmd == SSL_CTRL_SET_MIN_PROTO_VERSION)
            s->min_version = (int)larg;
        else
            s->max_version = (int)larg;
        return 1;
    case SSL_CTRL_GET_MIN_PROTO_VERSION:
        return s->min_version;
    case SSL_CTRL_GET_MAX_PROTO_VERSION:
        return s->max_version;
    case SSL_CTRL_SET_GROUPS:
        return keel_groups_from_nids(parg, (size_t)larg, s->groups, &s->ngroups);
    case SSL_CTRL_SET_GROUPS_LIST:
        return parg != NULL && keel_groups_parse(parg, s->groups, &s->ngroups);
    case SSL_CTRL_SET_SIGALGS_LIST:
        return parg != NULL && keel_sigalgs_parse(parg, s->sigalgs, &s->nsigalgs);
    case SSL_CTRL_SET_CLIENT_SIGALGS_LIST:
        return parg != NULL && keel_sigalgs_parse(parg, s->client_sigalgs, &s->nclient_sigalgs);
    case SSL_CTRL_SET_SIGALGS:
        return keel_sigalgs_from_nids(parg, (size_t)larg, s->sigalgs, &s->nsigalgs);
    case SSL_CTRL_SET_CLIENT_SIGALGS:
        return keel_sigalgs_from_nids(parg, (size_t)larg, s->client_sigalgs, &s->nclient_sigalgs);
    case SSL_CTRL_SET_MAX_SEND_FRAGMENT:
        if (larg < 512 || larg > SSL3_RT_MAX_PLAIN_LENGTH)
            return 0;
        s->max_send_fragment = (size_t)larg;
        return 1;
    case SSL_CTRL_SET_READ_AHEAD: {
        long old = s->read_ahead;
        s->read_ahead = (int)larg;
        return old;
    }
    case SSL_CTRL_GET_READ_AHEAD:
        return s->read_ahead;
    case SSL_CTRL_SET_MAX_CERT_LIST: {
        long old = (long)s->max_cert_list;
        s->max_cert_list = (unsigned long)larg;
        return old;
    }
    case SSL_CTRL_GET_MAX_CERT_LIST:
        return (long)s->max_cert_list;
    case SSL_CTRL_SET_MSG_CALLBACK_ARG:
        s->msg_callback_arg = parg;
        return 1;
    case SSL_CTRL_SET_DH_AUTO:
        /* keel negotiates (EC)DHE groups only; finite-field DHE for TLS 1.2 is not implemented. */
        return 1;
    case SSL_CTRL_CHAIN:
    case SSL_CTRL_CHAIN_CERT:
    case SSL_CTRL_GET_CHAIN_CERTS:
        return chain_ctrl(s, cmd, larg, parg);
    }
    *handled = 0;
    return 0;
}

long SSL_CTX_ctrl(SSL_CTX *ctx, int cmd, long larg, void *parg)
{
    int handled;
    long ret = keel_settings_ctrl(&ctx->s, cmd, larg, parg, &handled);
    if (handled)
        return ret;

    switch (cmd) {
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
        *(STACK_OF(X509) **)parg = ctx->extra_certs;
        return 1;
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
    ERR_raise_data(ERR_LIB_SSL, SSL_R_UNKNOWN_COMMAND, "SSL_CTX_ctrl %d", cmd);
    return 0;
}

long SSL_ctrl(SSL *s, int cmd, long larg, void *parg)
{
    int handled;
    long ret = keel_settings_ctrl(&s->s, cmd, larg, parg, &handled);
    if (handled)
        return ret;

    switch (cmd) {
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
    case SSL_CTRL_GET_EXTRA_CHAIN_CERTS:
        return SSL_CTX_ctrl(s->ctx, cmd, larg, parg);
    case SSL_CTRL_GET_NEGOTIATED_GROUP:
        return s->conn != NULL && s->conn->group != 0 ? keel_group_nid(s->conn->group) : 0;
    }
    ERR_raise_data(ERR_LIB_SSL, SSL_R_UNKNOWN_COMMAND, "SSL_ctrl %d", cmd);
    return 0;
}

long SSL_CTX_callback_ctrl(SSL_CTX *ctx, int cmd, void (*fp)(void))
{
    switch (cmd) {
    case SSL_CTRL_SET_TLSEXT_SERVERNAME_CB:
        ctx->servername_cb = (int (*)(SSL *, int *, void *))fp;
        return 1;
    case SSL_CTRL_SET_MSG_CALLBACK:
        ctx->s.msg_callback = (void (*)(int, int, int, const void *, size_t, SSL *, void *))fp;
        return 1;
    }
    ERR_raise_data(ERR_LIB_SSL, SSL_R_UNKNOWN_COMMAND, "SSL_CTX_callback_ctrl %d", cmd);
    return 0;
}

long SSL_callback_ctrl(SSL *s, int cmd, void (*fp)(void))
{
    switch (cmd) {
    case SSL_CTRL_SET_MSG_CALLBACK:
        s->s.msg_callback = (void (*)(int, int, int, const void *, size_t, SSL *, void *))fp;
        return 1;
    }
    ERR_raise_data(ERR_LIB_SSL, SSL_R_UNKNOWN_COMMAND, "SSL_callback_ctrl %d", cmd);
    return 0;
}
