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
    const char *v, *kx, *au, *mac;
    char enc[32];

    if (c == NULL)
        return "(NONE)";
    /* OpenSSL names the suite's minimum version: "TLSv1.0" for the SHA-1 CBC suites (which the
     * description calls "TLSv1"). */
    keel_cipher_words(c, &v, &kx, &au, enc, &mac);
    return strcmp(v, "TLSv1") == 0 ? "TLSv1.0" : v;
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
int SSL_CIPHER_is_aead(const SSL_CIPHER *c) { return c->mac == KEEL_MAC_AEAD; }
int SSL_CIPHER_get_kx_nid(const SSL_CIPHER *c) { return c->kx_nid; }
int SSL_CIPHER_get_auth_nid(const SSL_CIPHER *c) { return c->auth_nid; }

/* AEAD suites carry no separate MAC; a CBC suite's HMAC hash. */
int SSL_CIPHER_get_digest_nid(const SSL_CIPHER *c)
{
    switch (c->mac) {
    case KEEL_MAC_SHA1: return NID_sha1;
    case KEEL_MAC_SHA256: return NID_sha256;
    case KEEL_MAC_SHA384: return NID_sha384;
    case KEEL_MAC_AEAD: break;
    }
    return NID_undef;
}

int SSL_CIPHER_get_cipher_nid(const SSL_CIPHER *c)
{
    switch (c->aead) {
    case KEEL_AEAD_AES_128_GCM: return NID_aes_128_gcm;
    case KEEL_AEAD_AES_256_GCM: return NID_aes_256_gcm;
    case KEEL_AEAD_CHACHA20_POLY1305: return NID_chacha20_poly1305;
    case KEEL_AEAD_AES_128_CCM: case KEEL_AEAD_AES_128_CCM_8: return NID_aes_128_ccm;
    case KEEL_AEAD_AES_256_CCM: case KEEL_AEAD_AES_256_CCM_8: return NID_aes_256_ccm;
    case KEEL_CBC_AES_128: return NID_aes_128_cbc;
    case KEEL_CBC_AES_256: return NID_aes_256_cbc;
    }
    return NID_undef;
}

const EVP_MD *SSL_CIPHER_get_handshake_digest(const SSL_CIPHER *c)
{
    /* OpenSSL reports the pre-TLS 1.2 handshake hash, MD5-SHA1, for the suites it defines for
     * versions before TLS 1.2 ("SSLv3" / "TLSv1" in the description: the SHA-1 MAC suites and the
     * PSK ones with SHA-256 MACs, RFC 5487) but for the SHA-384 ones; their TLS 1.2 PRF is
     * SHA-256 all the same (RFC 5246 §5). */
    const char *v, *kx, *au, *mac;
    char enc[32];
    keel_cipher_words(c, &v, &kx, &au, enc, &mac);
    if ((strcmp(v, "TLSv1") == 0 || strcmp(v, "SSLv3") == 0) && c->hash != KEEL_HASH_SHA384)
        return EVP_get_digestbynid(NID_md5_sha1);
    return EVP_get_digestbynid(c->hash == KEEL_HASH_SHA384 ? NID_sha384 : NID_sha256);
}

const SSL_CIPHER *SSL_CIPHER_find(SSL *s, const unsigned char *ptr)
{
    return keel_cipher_by_code((uint16_t)(ptr[0] << 8 | ptr[1]));
}

char *SSL_CIPHER_description(const SSL_CIPHER *c, char *buf, int len)
{
    const char *v, *kx, *au, *mac;
    char enc[32];

    keel_cipher_words(c, &v, &kx, &au, enc, &mac);

    if (buf == NULL) {
        len = 128;
        if ((buf = OPENSSL_malloc(len)) == NULL)
            return NULL;
    } else if (len < 128) {
        return NULL;
    }
    snprintf(buf, len, "%-30s %-7s Kx=%-8s Au=%-5s Enc=%-22s Mac=%-4s\n", c->name, v, kx, au, enc,
             mac);
    return buf;
}
