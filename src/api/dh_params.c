/* TLS 1.2 DHE parameters for a server (SSL_CTX_set_tmp_dh(3)): set0_tmp_dh_pkey and the DH form
 * (ctrl 3) store them in the settings block, so an SSL inherits its context's; dh_auto (ctrl 118)
 * and the callback are kept beside them. Which one a handshake uses is decided in
 * src/handshake/tls12/kx_dhe.c (auto, else the parameters, else the callback, as OpenSSL 3.0). */
#define OPENSSL_SUPPRESS_DEPRECATED /* DH and the DH callback: deprecated, still ABI */
#include "internal.h"
#include "crypto/crypto.h"

#include <openssl/dh.h>

/* The parameters must satisfy the security level or callback (SSL_SECOP_TMP_DH, the key as
 * `other`), as in OpenSSL. */
int keel_tmp_dh_check(const keel_settings *s, EVP_PKEY *pk)
{
    if (!keel_sec_allowed(s, SSL_SECOP_TMP_DH, EVP_PKEY_get_security_bits(pk), 0, pk)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_DH_KEY_TOO_SMALL);
        return 0;
    }
    return 1;
}

/* Takes dhpkey on success; the caller keeps it on failure (SSL_CTX_set0_tmp_dh_pkey(3)). A key
 * that is not DH is refused here rather than at the first handshake. */
static int set0(keel_settings *s, EVP_PKEY *dhpkey)
{
    if (s == NULL)
        return 0;
    if (dhpkey == NULL || !(EVP_PKEY_is_a(dhpkey, "DH") || EVP_PKEY_is_a(dhpkey, "DHX"))) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_CERTIFICATE_TYPE);
        return 0;
    }
    if (!keel_tmp_dh_check(s, dhpkey))
        return 0;
    EVP_PKEY_free(s->dh_tmp);
    s->dh_tmp = dhpkey;
    return 1;
}

int SSL_CTX_set0_tmp_dh_pkey(SSL_CTX *ctx, EVP_PKEY *dhpkey) { return set0(keel_ctx_w(ctx), dhpkey); }
int SSL_set0_tmp_dh_pkey(SSL *s, EVP_PKEY *dhpkey) { return set0(keel_ssl_w(s), dhpkey); }

/* Ctrl 3 (SSL_CTX_set_tmp_dh, SSL_set_tmp_dh): a copy of the DH's parameters; the caller keeps
 * its DH. */
long keel_set_tmp_dh(keel_settings *s, const DH *dh)
{
    EVP_PKEY *pk;

    if (dh == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if ((pk = keel_dh_to_pkey(dh)) == NULL)
        return 0;
    if (!set0(s, pk)) {
        EVP_PKEY_free(pk);
        return 0;
    }
    return 1;
}

/* Called with (ssl, 0, 1024) when the parameters are needed, as OpenSSL 3.0 calls it
 * (tests/diff/dhe12.c); the DH it returns stays the application's. */
void SSL_CTX_set_tmp_dh_callback(SSL_CTX *ctx, DH *(*dh)(SSL *ssl, int is_export, int keylength))
{
    KEEL_SET(keel_ctx_w, ctx, dh_tmp_cb, dh);
}

void SSL_set_tmp_dh_callback(SSL *ssl, DH *(*dh)(SSL *ssl, int is_export, int keylength))
{
    KEEL_SET(keel_ssl_w, ssl, dh_tmp_cb, dh);
}

/* What a DHE handshake on this server uses (a new reference), or NULL with no DH configured. */
EVP_PKEY *keel_dh_from_callback(SSL *s)
{
    DH *dh = s->s->dh_tmp_cb != NULL ? s->s->dh_tmp_cb(s, 0, 1024) : NULL;
    return dh != NULL ? keel_dh_to_pkey(dh) : NULL;
}
