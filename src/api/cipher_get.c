/* The SSL_CIPHER getters (SSL_CIPHER_get_name(3)); the suite table is src/proto/cipher.c. */
#include "internal.h"
#include "proto/cipher.h"

#include <openssl/objects.h>
#include <stdio.h>
#include <string.h>

/* ---- SSL_CIPHER getters (SSL_CIPHER_get_name(3)) ---- */

const char *SSL_CIPHER_get_name(const SSL_CIPHER *c) { return c != NULL ? c->name : "(NONE)"; }
const char *SSL_CIPHER_standard_name(const SSL_CIPHER *c) { return c != NULL ? c->stdname : "(NONE)"; }

const char *OPENSSL_cipher_name(const char *stdname)
{
    const SSL_CIPHER *c = stdname != NULL ? keel_cipher_by_name(stdname, strlen(stdname)) : NULL;
    return c != NULL ? c->name : "(NONE)";
}

const char *SSL_CIPHER_get_version(const SSL_CIPHER *c)
{
    if (c == NULL)
        return "(NONE)";
    return c->min_tls == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2";
}

int SSL_CIPHER_get_bits(const SSL_CIPHER *c, int *alg_bits)
{
    if (c == NULL)
        return 0;
    if (alg_bits != NULL)
        *alg_bits = c->bits;
    return c->bits;
}

uint32_t SSL_CIPHER_get_id(const SSL_CIPHER *c) { return c->id; }
uint16_t SSL_CIPHER_get_protocol_id(const SSL_CIPHER *c) { return c->code; }
int SSL_CIPHER_is_aead(const SSL_CIPHER *c) { return 1; }
int SSL_CIPHER_get_kx_nid(const SSL_CIPHER *c) { return c->kx_nid; }
int SSL_CIPHER_get_auth_nid(const SSL_CIPHER *c) { return c->auth_nid; }
/* AEAD suites carry no separate MAC. */
int SSL_CIPHER_get_digest_nid(const SSL_CIPHER *c) { return NID_undef; }

int SSL_CIPHER_get_cipher_nid(const SSL_CIPHER *c)
{
    switch (c->aead) {
    case KEEL_AEAD_AES_128_GCM: return NID_aes_128_gcm;
    case KEEL_AEAD_AES_256_GCM: return NID_aes_256_gcm;
    default: return NID_chacha20_poly1305;
    }
}

const EVP_MD *SSL_CIPHER_get_handshake_digest(const SSL_CIPHER *c)
{
    return EVP_get_digestbynid(c->hash == KEEL_HASH_SHA384 ? NID_sha384 : NID_sha256);
}

const SSL_CIPHER *SSL_CIPHER_find(SSL *s, const unsigned char *ptr)
{
    return keel_cipher_by_code((uint16_t)(ptr[0] << 8 | ptr[1]));
}

char *SSL_CIPHER_description(const SSL_CIPHER *c, char *buf, int len)
{
    static const char *enc[] = { "AESGCM(128)", "AESGCM(256)", "CHACHA20/POLY1305(256)" };
    const char *kx = c->kx_nid == NID_kx_any ? "any" : c->kx_nid == NID_kx_dhe ? "DH"
                   : c->kx_nid == NID_kx_rsa ? "RSA" : "ECDH";
    const char *au = c->auth_nid == NID_auth_any ? "any" : c->auth_nid == NID_auth_rsa ? "RSA" : "ECDSA";

    if (buf == NULL) {
        len = 128;
        if ((buf = OPENSSL_malloc(len)) == NULL)
            return NULL;
    } else if (len < 128) {
        return NULL;
    }
    snprintf(buf, len, "%-30s %-7s Kx=%-8s Au=%-5s Enc=%-22s Mac=AEAD\n", c->name,
             SSL_CIPHER_get_version(c), kx, au, enc[c->aead]);
    return buf;
}
