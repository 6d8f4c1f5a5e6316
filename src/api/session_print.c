/* SSL_SESSION_print(3): a human-readable summary of a session, and SSL_SESSION_print_keylog: the
 * session's key in NSS key log format. The layout follows the summary `openssl s_client` shows, so
 * scripts that read those lines keep working. */
#include "proto/session.h"

#include <openssl/bio.h>
#include <limits.h>

static int print_hex(BIO *bp, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (BIO_printf(bp, "%02X", p[i]) <= 0)
            return 0;
    return 1;
}

int SSL_SESSION_print(BIO *bp, const SSL_SESSION *x)
{
    long vr;

    if (bp == NULL || x == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    vr = x->verify_result;
    /* TLS 1.3 keeps the resumption PSK where TLS 1.2 keeps the master secret (RFC 8446 §4.6.1). */
    const char *key_label = x->version == TLS1_3_VERSION ? "Resumption PSK" : "Master-Key";
    if (BIO_puts(bp, "SSL-Session:\n") <= 0
            || BIO_printf(bp, "    Protocol  : %s\n", keel_version_name(x->version)) <= 0
            || BIO_printf(bp, "    Cipher    : %s\n",
                          x->cipher != NULL ? SSL_CIPHER_get_name(x->cipher) : "unknown") <= 0
            || BIO_puts(bp, "    Session-ID: ") <= 0 || !print_hex(bp, x->session_id, x->session_id_len)
            || BIO_puts(bp, "\n    Session-ID-ctx: ") <= 0 || !print_hex(bp, x->sid_ctx, x->sid_ctx_len)
            || BIO_printf(bp, "\n    %s: ", key_label) <= 0
            || !print_hex(bp, x->master_key, x->master_key_len)
            || BIO_printf(bp, "\n    PSK identity: %s\n    PSK identity hint: %s\n",
                          x->psk_identity != NULL ? x->psk_identity : "None",
                          x->psk_identity_hint != NULL ? x->psk_identity_hint : "None") <= 0
            || BIO_puts(bp, "    SRP username: None\n") <= 0)
        goto err;
    /* OpenSSL 3.0 prints neither the SNI hostname nor the ALPN protocol a session holds (checked
     * with the system's `openssl sess_id -text` on the same file): scripts compare this text. */
    if (x->ticket_lifetime_hint != 0
            && BIO_printf(bp, "    TLS session ticket lifetime hint: %lu (seconds)\n",
                          (unsigned long)x->ticket_lifetime_hint) <= 0)
        goto err;
    if (x->ticket != NULL && x->ticket_len > 0) {
        if (BIO_puts(bp, "    TLS session ticket:\n") <= 0
                || BIO_dump_indent(bp, x->ticket, x->ticket_len > INT_MAX ? INT_MAX : (int)x->ticket_len, 4) <= 0
                /* an empty line follows the dump, as in OpenSSL's text */
                || BIO_puts(bp, "\n") <= 0)
            goto err;
    }
    if (BIO_printf(bp, "    Start Time: %lld\n", (long long)x->time) <= 0
            || BIO_printf(bp, "    Timeout   : %ld (sec)\n", x->timeout) <= 0
            || BIO_printf(bp, "    Verify return code: %ld (%s)\n", vr,
                          X509_verify_cert_error_string(vr)) <= 0
            || BIO_printf(bp, "    Extended master secret: %s\n", x->ems ? "yes" : "no") <= 0
            || BIO_printf(bp, "    Max Early Data: %u\n", (unsigned)x->max_early_data) <= 0)
        goto err;
    return 1;
err:
    ERR_raise(ERR_LIB_SSL, ERR_R_BUF_LIB);
    return 0;
}

int SSL_SESSION_print_fp(FILE *fp, const SSL_SESSION *x)
{
    BIO *b = BIO_new_fp(fp, BIO_NOCLOSE);
    if (b == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_BUF_LIB);
        return 0;
    }
    int ret = SSL_SESSION_print(b, x);
    BIO_free(b);
    return ret;
}

/* NSS key log format: "RSA Session-ID:<hex> Master-Key:<hex>". There is nothing to print for a
 * session without an id or a key; as in OpenSSL that is a failure. */
int SSL_SESSION_print_keylog(BIO *bp, const SSL_SESSION *x)
{
    if (bp == NULL || x == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if (x->session_id_len == 0 || x->master_key_len == 0) {
        ERR_raise_data(ERR_LIB_SSL, SSL_R_BAD_VALUE, "keel: the session has no id or no key");
        return 0;
    }
    if (BIO_puts(bp, "RSA Session-ID:") <= 0 || !print_hex(bp, x->session_id, x->session_id_len)
            || BIO_puts(bp, " Master-Key:") <= 0 || !print_hex(bp, x->master_key, x->master_key_len)
            || BIO_puts(bp, "\n") <= 0) {
        ERR_raise(ERR_LIB_SSL, ERR_R_BUF_LIB);
        return 0;
    }
    return 1;
}
