/* The libssl features keel does not implement, in one place, grouped by feature. Every function
 * here is defined with OpenSSL 3.0's signature so that unmodified programs load and link; each
 * either fails honestly (the documented failure value AND an error on the stack naming what is
 * missing) or, where the documented answer for "this feature is not in use" is exact, gives that
 * answer (no compression method, no async job).
 * Void setters that would install a callback for a missing feature do nothing: the callback could
 * never be called. Each failure and each partial has a line in docs/compat-notes.txt; the exact
 * "not in use" answers need none. */
#include "internal.h"

#include <openssl/async.h>
#include <openssl/comp.h>
#include <openssl/ct.h>
#include <openssl/srtp.h>

/* In a macro so that the error records the public function's name, not a helper's. */
#define NOT_IMPL(reason, what) \
    ERR_raise_data(ERR_LIB_SSL, (reason), "keel: " what " is not implemented")

/* ---- stateless HelloRetryRequest cookies (SSL_stateless(3)) and DTLS (RFC 6347) ---- */

int SSL_stateless(SSL *s)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "SSL_stateless (stateless HelloRetryRequest cookies)");
    return -1;
}

void SSL_CTX_set_stateless_cookie_generate_cb(SSL_CTX *ctx, int (*cb)(SSL *ssl, unsigned char *cookie,
                                                                     size_t *cookie_len)) {}
void SSL_CTX_set_stateless_cookie_verify_cb(SSL_CTX *ctx, int (*cb)(SSL *ssl, const unsigned char *cookie,
                                                                   size_t cookie_len)) {}
/* DTLS contexts cannot be created (SSL_CTX_new refuses DTLS methods): these can never apply. */
void SSL_CTX_set_cookie_generate_cb(SSL_CTX *ctx, int (*cb)(SSL *ssl, unsigned char *cookie,
                                                           unsigned int *cookie_len)) {}
void SSL_CTX_set_cookie_verify_cb(SSL_CTX *ctx, int (*cb)(SSL *ssl, const unsigned char *cookie,
                                                         unsigned int cookie_len)) {}
void DTLS_set_timer_cb(SSL *s, DTLS_timer_cb cb) {}

size_t DTLS_get_data_mtu(const SSL *s)
{
    NOT_IMPL(SSL_R_WRONG_SSL_VERSION, "DTLS");
    return 0;
}

int DTLSv1_listen(SSL *s, BIO_ADDR *client)
{
    NOT_IMPL(SSL_R_UNSUPPORTED_SSL_VERSION, "DTLS");
    return -1;
}

/* ---- kernel TLS ---- */

ossl_ssize_t SSL_sendfile(SSL *s, int fd, off_t offset, size_t size, int flags)
{
    NOT_IMPL(SSL_R_UNINITIALIZED, "SSL_sendfile (it needs kernel TLS)");
    return -1;
}

/* ---- record compression: TLS 1.3 forbids it (RFC 8446 §4.1.2); keel never compresses ---- */

const COMP_METHOD *SSL_get_current_compression(const SSL *s) { return NULL; }
const COMP_METHOD *SSL_get_current_expansion(const SSL *s) { return NULL; }
unsigned int SSL_SESSION_get_compress_id(const SSL_SESSION *s) { return 0; }

const char *SSL_COMP_get_name(const COMP_METHOD *comp)
{
    return comp == NULL ? NULL : COMP_get_name(comp);
}

/* keel has no SSL_COMP objects, so none can be passed here. */
const char *SSL_COMP_get0_name(const SSL_COMP *comp) { return NULL; }
int SSL_COMP_get_id(const SSL_COMP *comp) { return -1; }

/* No compression methods: NULL, as from an OpenSSL built without compression. */
STACK_OF(SSL_COMP) *SSL_COMP_get_compression_methods(void) { return NULL; }

STACK_OF(SSL_COMP) *SSL_COMP_set0_compression_methods(STACK_OF(SSL_COMP) *meths)
{
    return NULL; /* the previous list: there was none; the new one is never used */
}

int SSL_COMP_add_compression_method(int id, COMP_METHOD *cm)
{
    NOT_IMPL(SSL_R_COMPRESSION_FAILURE, "record compression");
    return 1; /* SSL_COMP_add_compression_method(3): 1 is failure */
}

/* ---- asynchronous engines: keel never starts an ASYNC_JOB ---- */

int SSL_waiting_for_async(SSL *s) { return 0; }

/* No async job ever runs, so there is no wait context: 0 with the counts untouched, as OpenSSL
 * 3.0 answers for an SSL without one (tests/diff/surface16.c). */
int SSL_get_all_async_fds(SSL *s, OSSL_ASYNC_FD *fds, size_t *numfds)
{
    (void)s;
    (void)fds;
    (void)numfds;
    return 0;
}

int SSL_get_changed_async_fds(SSL *s, OSSL_ASYNC_FD *addfd, size_t *numaddfds, OSSL_ASYNC_FD *delfd,
                              size_t *numdelfds)
{
    (void)s;
    (void)addfd;
    (void)numaddfds;
    (void)delfd;
    (void)numdelfds;
    return 0;
}

int SSL_get_async_status(SSL *s, int *status)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "async mode");
    return 0;
}

int SSL_CTX_set_async_callback(SSL_CTX *ctx, SSL_async_callback_fn callback)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "async mode");
    return 0;
}

int SSL_CTX_set_async_callback_arg(SSL_CTX *ctx, void *arg)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "async mode");
    return 0;
}

int SSL_set_async_callback(SSL *s, SSL_async_callback_fn callback)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "async mode");
    return 0;
}

int SSL_set_async_callback_arg(SSL *s, void *arg)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "async mode");
    return 0;
}

int SSL_CTX_set_client_cert_engine(SSL_CTX *ctx, ENGINE *e)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "ENGINE client certificates");
    return 0;
}

/* ---- custom extensions and serverinfo (RFC 6066 §4-style opaque extension data) ---- */

int SSL_CTX_has_client_custom_ext(const SSL_CTX *ctx, unsigned int ext_type) { return 0; }

int SSL_CTX_add_client_custom_ext(SSL_CTX *ctx, unsigned int ext_type, custom_ext_add_cb add_cb,
                                  custom_ext_free_cb free_cb, void *add_arg,
                                  custom_ext_parse_cb parse_cb, void *parse_arg)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "custom extensions");
    return 0;
}

int SSL_CTX_add_server_custom_ext(SSL_CTX *ctx, unsigned int ext_type, custom_ext_add_cb add_cb,
                                  custom_ext_free_cb free_cb, void *add_arg,
                                  custom_ext_parse_cb parse_cb, void *parse_arg)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "custom extensions");
    return 0;
}

int SSL_CTX_add_custom_ext(SSL_CTX *ctx, unsigned int ext_type, unsigned int context,
                           SSL_custom_ext_add_cb_ex add_cb, SSL_custom_ext_free_cb_ex free_cb,
                           void *add_arg, SSL_custom_ext_parse_cb_ex parse_cb, void *parse_arg)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "custom extensions");
    return 0;
}

int SSL_CTX_use_serverinfo(SSL_CTX *ctx, const unsigned char *serverinfo, size_t serverinfo_length)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "serverinfo");
    return 0;
}

int SSL_CTX_use_serverinfo_ex(SSL_CTX *ctx, unsigned int version, const unsigned char *serverinfo,
                              size_t serverinfo_length)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "serverinfo");
    return 0;
}

int SSL_CTX_use_serverinfo_file(SSL_CTX *ctx, const char *file)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "serverinfo");
    return 0;
}

/* ---- Next Protocol Negotiation (pre-ALPN; absent from TLS 1.3) ---- */

void SSL_CTX_set_next_protos_advertised_cb(SSL_CTX *s, SSL_CTX_npn_advertised_cb_func cb, void *arg) {}
void SSL_CTX_set_next_proto_select_cb(SSL_CTX *s, SSL_CTX_npn_select_cb_func cb, void *arg) {}

void SSL_get0_next_proto_negotiated(const SSL *s, const unsigned char **data, unsigned *len)
{
    *data = NULL;
    *len = 0;
}

/* ---- TLS 1.2 session mechanics keel does not have ---- */

int SSL_set_session_secret_cb(SSL *s, tls_session_secret_cb_fn cb, void *arg)
{
    if (cb == NULL)
        return 1; /* removing it: there is none */
    NOT_IMPL(ERR_R_UNSUPPORTED, "SSL_set_session_secret_cb (TLS 1.2 EAP-FAST)");
    return 0;
}

int SSL_set_session_ticket_ext(SSL *s, void *ext_data, int ext_len)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "SSL_set_session_ticket_ext (TLS 1.2 EAP-FAST)");
    return 0;
}

int SSL_set_session_ticket_ext_cb(SSL *s, tls_session_ticket_ext_cb_fn cb, void *arg)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "SSL_set_session_ticket_ext_cb (TLS 1.2 EAP-FAST)");
    return 0;
}

/* The callback decides whether a TLS 1.2 session without forward secrecy may be cached; every
 * keel session comes from an (EC)DHE handshake, so there is nothing for it to decide. */
void SSL_CTX_set_not_resumable_session_callback(SSL_CTX *ctx, int (*cb)(SSL *ssl, int is_forward_secure)) {}
void SSL_set_not_resumable_session_callback(SSL *ssl, int (*cb)(SSL *ssl, int is_forward_secure)) {}

/* Session ids come from keel's generator; a replacement is refused, removing one is a no-op. */
int SSL_CTX_set_generate_session_id(SSL_CTX *ctx, GEN_SESSION_CB cb)
{
    if (cb == NULL)
        return 1;
    NOT_IMPL(ERR_R_UNSUPPORTED, "a custom session id generator");
    return 0;
}

int SSL_set_generate_session_id(SSL *s, GEN_SESSION_CB cb)
{
    if (cb == NULL)
        return 1;
    NOT_IMPL(ERR_R_UNSUPPORTED, "a custom session id generator");
    return 0;
}

int SSL_CTX_set_session_ticket_cb(SSL_CTX *ctx, SSL_CTX_generate_session_ticket_fn gen_cb,
                                  SSL_CTX_decrypt_session_ticket_fn dec_cb, void *arg)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "SSL_CTX_set_session_ticket_cb (ticket application data)");
    return 0;
}

int SSL_SESSION_set1_ticket_appdata(SSL_SESSION *ss, const void *data, size_t len)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "ticket application data");
    return 0;
}

/* Since none can be set, a session never carries any. */
int SSL_SESSION_get0_ticket_appdata(SSL_SESSION *ss, void **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    return 1;
}

/* keel's cache is a list, not an LHASH (src/api/sess_cache.c). */
LHASH_OF(SSL_SESSION) *SSL_CTX_sessions(SSL_CTX *ctx)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "SSL_CTX_sessions (the session cache is not an LHASH)");
    return NULL;
}

/* ---- certificate chain checks ---- */

int SSL_check_chain(SSL *s, X509 *x, EVP_PKEY *pk, STACK_OF(X509) *chain)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "SSL_check_chain");
    return 0;
}

/* ---- Certificate Transparency (RFC 6962): keel does not collect SCTs ---- */

int SSL_set_ct_validation_callback(SSL *s, ssl_ct_validation_cb callback, void *arg)
{
    if (callback == NULL)
        return 1; /* disabling: it is off */
    NOT_IMPL(ERR_R_UNSUPPORTED, "Certificate Transparency");
    return 0;
}

int SSL_CTX_set_ct_validation_callback(SSL_CTX *ctx, ssl_ct_validation_cb callback, void *arg)
{
    if (callback == NULL)
        return 1;
    NOT_IMPL(ERR_R_UNSUPPORTED, "Certificate Transparency");
    return 0;
}

static int enable_ct(int mode)
{
    if (mode != SSL_CT_VALIDATION_PERMISSIVE && mode != SSL_CT_VALIDATION_STRICT)
        ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_CT_VALIDATION_TYPE);
    else
        NOT_IMPL(ERR_R_UNSUPPORTED, "Certificate Transparency");
    return 0;
}

int SSL_enable_ct(SSL *s, int validation_mode) { return enable_ct(validation_mode); }
int SSL_CTX_enable_ct(SSL_CTX *ctx, int validation_mode) { return enable_ct(validation_mode); }
int SSL_ct_is_enabled(const SSL *s) { return 0; }
int SSL_CTX_ct_is_enabled(const SSL_CTX *ctx) { return 0; }
const STACK_OF(SCT) *SSL_get0_peer_scts(SSL *s) { return NULL; }

int SSL_CTX_set_default_ctlog_list_file(SSL_CTX *ctx)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "Certificate Transparency");
    return 0;
}

int SSL_CTX_set_ctlog_list_file(SSL_CTX *ctx, const char *path)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "Certificate Transparency");
    return 0;
}

/* Ownership passes to the context (SSL_CTX_set0_ctlog_store(3)); keel has no use for it. */
void SSL_CTX_set0_ctlog_store(SSL_CTX *ctx, CTLOG_STORE *logs) { CTLOG_STORE_free(logs); }
const CTLOG_STORE *SSL_CTX_get0_ctlog_store(const SSL_CTX *ctx) { return NULL; }

/* ---- DANE (RFC 6698, RFC 7671) ---- */

int SSL_CTX_dane_enable(SSL_CTX *ctx)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "DANE");
    return -1;
}

int SSL_CTX_dane_mtype_set(SSL_CTX *ctx, const EVP_MD *md, uint8_t mtype, uint8_t ord)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "DANE");
    return -1;
}

int SSL_dane_enable(SSL *s, const char *basedomain)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "DANE");
    return -1;
}

int SSL_dane_tlsa_add(SSL *s, uint8_t usage, uint8_t selector, uint8_t mtype,
                      const unsigned char *data, size_t dlen)
{
    ERR_raise_data(ERR_LIB_SSL, SSL_R_DANE_NOT_ENABLED, "keel: DANE is not implemented");
    return -1;
}

/* "Negative when DANE was not enabled" (SSL_get0_dane_authority(3)): never enabled here. */
int SSL_get0_dane_authority(SSL *s, X509 **mcert, EVP_PKEY **mspki) { return -1; }

int SSL_get0_dane_tlsa(SSL *s, uint8_t *usage, uint8_t *selector, uint8_t *mtype,
                       const unsigned char **data, size_t *dlen)
{
    return -1;
}

SSL_DANE *SSL_get0_dane(SSL *ssl) { return NULL; }
/* "The flags in effect before": none, and none are kept since DANE cannot be enabled. */
unsigned long SSL_CTX_dane_set_flags(SSL_CTX *ctx, unsigned long flags) { return 0; }
unsigned long SSL_CTX_dane_clear_flags(SSL_CTX *ctx, unsigned long flags) { return 0; }
unsigned long SSL_dane_set_flags(SSL *ssl, unsigned long flags) { return 0; }
unsigned long SSL_dane_clear_flags(SSL *ssl, unsigned long flags) { return 0; }

/* ---- SRTP key negotiation (RFC 5764): its functions return 1 for failure ---- */

int SSL_CTX_set_tlsext_use_srtp(SSL_CTX *ctx, const char *profiles)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "SRTP (use_srtp)");
    return 1;
}

int SSL_set_tlsext_use_srtp(SSL *ssl, const char *profiles)
{
    NOT_IMPL(ERR_R_UNSUPPORTED, "SRTP (use_srtp)");
    return 1;
}

STACK_OF(SRTP_PROTECTION_PROFILE) *SSL_get_srtp_profiles(SSL *ssl) { return NULL; }
SRTP_PROTECTION_PROFILE *SSL_get_selected_srtp_profile(SSL *s) { return NULL; }

/* ---- SRP (RFC 5054; deprecated in OpenSSL 3.0) ---- */

#define SRP_FAIL(ret)                   \
    do {                                \
        NOT_IMPL(ERR_R_UNSUPPORTED, "SRP"); \
        return (ret);                   \
    } while (0)

int SSL_SRP_CTX_init(SSL *s) { SRP_FAIL(0); }
int SSL_CTX_SRP_CTX_init(SSL_CTX *ctx) { SRP_FAIL(0); }
/* Nothing was ever allocated to free. */
int SSL_SRP_CTX_free(SSL *s) { return 1; }
int SSL_CTX_SRP_CTX_free(SSL_CTX *ctx) { return 1; }

int SSL_srp_server_param_with_username(SSL *s, int *ad)
{
    *ad = SSL_AD_INTERNAL_ERROR;
    SRP_FAIL(SSL3_AL_FATAL);
}

int SRP_Calc_A_param(SSL *s) { SRP_FAIL(0); }
int SSL_CTX_set_srp_username(SSL_CTX *ctx, char *name) { SRP_FAIL(0); }
int SSL_CTX_set_srp_password(SSL_CTX *ctx, char *password) { SRP_FAIL(0); }
int SSL_CTX_set_srp_strength(SSL_CTX *ctx, int strength) { SRP_FAIL(0); }
int SSL_CTX_set_srp_client_pwd_callback(SSL_CTX *ctx, char *(*cb)(SSL *, void *)) { SRP_FAIL(0); }
int SSL_CTX_set_srp_verify_param_callback(SSL_CTX *ctx, int (*cb)(SSL *, void *)) { SRP_FAIL(0); }
int SSL_CTX_set_srp_username_callback(SSL_CTX *ctx, int (*cb)(SSL *, int *, void *)) { SRP_FAIL(0); }
int SSL_CTX_set_srp_cb_arg(SSL_CTX *ctx, void *arg) { SRP_FAIL(0); }

int SSL_set_srp_server_param(SSL *s, const BIGNUM *N, const BIGNUM *g, BIGNUM *sa, BIGNUM *v,
                             char *info)
{
    SRP_FAIL(-1);
}

int SSL_set_srp_server_param_pw(SSL *s, const char *user, const char *pass, const char *grp)
{
    SRP_FAIL(-1);
}

BIGNUM *SSL_get_srp_g(SSL *s) { return NULL; }
BIGNUM *SSL_get_srp_N(SSL *s) { return NULL; }
char *SSL_get_srp_username(SSL *s) { return NULL; }
char *SSL_get_srp_userinfo(SSL *s) { return NULL; }

/* ---- OpenSSL's internal unit-test hook: only in OpenSSL's own test builds ---- */

const struct openssl_ssl_test_functions *SSL_test_functions(void) { return NULL; }
