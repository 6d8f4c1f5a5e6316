/* The cipher-suite table and the two configuration grammars (the SSL_CIPHER getters are in
 * src/api/cipher_get.c):
 * SSL_CTX_set_ciphersuites (TLS 1.3: a ':'-list of names) and SSL_CTX_set_cipher_list (TLS 1.2:
 * openssl-ciphers(1)'s cipher strings, for the suites keel implements). */
#include "internal.h"
#include "proto/cipher.h"

#include <openssl/objects.h>
#include <stdio.h>
#include <string.h>

/* A suite's key length and PRF hash follow from its cipher and MAC, so rows do not repeat them:
 * 128 bits for the AES-128 ciphers, 256 for the rest (ChaCha20 included); SHA-384 for AES-256-GCM
 * (RFC 5288 §3, RFC 8446 §B.4) and the *-SHA384 MACs (RFC 5289 §3.2), SHA-256 for every other
 * suite (RFC 5246 §5, also with SHA-1 MACs). */
#define BITS(enc) ((enc) == KEEL_AEAD_AES_128_GCM || (enc) == KEEL_AEAD_AES_128_CCM \
                   || (enc) == KEEL_AEAD_AES_128_CCM_8 || (enc) == KEEL_CBC_AES_128 ? 128 : 256)
#define PRF(enc, mac) ((enc) == KEEL_AEAD_AES_256_GCM || (mac) == KEEL_MAC_SHA384 ? KEEL_HASH_SHA384 \
                                                                                : KEEL_HASH_SHA256)
#define ROW(code, name, std, min, enc, mac, kx, auth) \
    { name, std, 0x03000000u | (code), (code), min, BITS(enc), enc, PRF(enc, mac), kx, auth, mac }
#define T13(code, name, aead) ROW(code, name, name, TLS1_3_VERSION, aead, KEEL_MAC_AEAD, NID_kx_any, NID_auth_any)
#define T12(code, name, std, aead, kx, auth) ROW(code, name, std, TLS1_2_VERSION, aead, KEEL_MAC_AEAD, kx, auth)
/* A CBC suite (RFC 5246 §6.2.3.2): enc is KEEL_CBC_AES_*, mac its HMAC. */
#define T12C(code, name, std, enc, mac, kx, auth) ROW(code, name, std, TLS1_2_VERSION, enc, mac, kx, auth)

/* Order = the default preference order (strongest first, as OpenSSL's DEFAULT sorts them). */
static const SSL_CIPHER table[] = {
    T13(0x1302, "TLS_AES_256_GCM_SHA384", KEEL_AEAD_AES_256_GCM),
    T13(0x1303, "TLS_CHACHA20_POLY1305_SHA256", KEEL_AEAD_CHACHA20_POLY1305),
    T13(0x1301, "TLS_AES_128_GCM_SHA256", KEEL_AEAD_AES_128_GCM),
    T12(0xC02C, "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        KEEL_AEAD_AES_256_GCM, NID_kx_ecdhe, NID_auth_ecdsa),
    T12(0xC030, "ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        KEEL_AEAD_AES_256_GCM, NID_kx_ecdhe, NID_auth_rsa),
    T12(0x009F, "DHE-RSA-AES256-GCM-SHA384", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        KEEL_AEAD_AES_256_GCM, NID_kx_dhe, NID_auth_rsa),
    T12(0xCCA9, "ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        KEEL_AEAD_CHACHA20_POLY1305, NID_kx_ecdhe, NID_auth_ecdsa),
    T12(0xCCA8, "ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        KEEL_AEAD_CHACHA20_POLY1305, NID_kx_ecdhe, NID_auth_rsa),
    T12(0xCCAA, "DHE-RSA-CHACHA20-POLY1305", "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        KEEL_AEAD_CHACHA20_POLY1305, NID_kx_dhe, NID_auth_rsa),
    T12(0xC02B, "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        KEEL_AEAD_AES_128_GCM, NID_kx_ecdhe, NID_auth_ecdsa),
    T12(0xC02F, "ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        KEEL_AEAD_AES_128_GCM, NID_kx_ecdhe, NID_auth_rsa),
    T12(0x009E, "DHE-RSA-AES128-GCM-SHA256", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        KEEL_AEAD_AES_128_GCM, NID_kx_dhe, NID_auth_rsa),
    /* RSA key transport (RFC 5246 §7.4.7.1; RFC 5288 §3) */
    T12(0x009D, "AES256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384",
        KEEL_AEAD_AES_256_GCM, NID_kx_rsa, NID_auth_rsa),
    T12(0x009C, "AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256",
        KEEL_AEAD_AES_128_GCM, NID_kx_rsa, NID_auth_rsa),
    /* CBC (RFC 5246 §6.2.3.2; RFC 4492 §6 and RFC 5289 §3.2 for the codes) */
    T12C(0xC024, "ECDHE-ECDSA-AES256-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
         KEEL_CBC_AES_256, KEEL_MAC_SHA384, NID_kx_ecdhe, NID_auth_ecdsa),
    T12C(0xC028, "ECDHE-RSA-AES256-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
         KEEL_CBC_AES_256, KEEL_MAC_SHA384, NID_kx_ecdhe, NID_auth_rsa),
    T12C(0xC023, "ECDHE-ECDSA-AES128-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
         KEEL_CBC_AES_128, KEEL_MAC_SHA256, NID_kx_ecdhe, NID_auth_ecdsa),
    T12C(0xC027, "ECDHE-RSA-AES128-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
         KEEL_CBC_AES_128, KEEL_MAC_SHA256, NID_kx_ecdhe, NID_auth_rsa),
    T12C(0xC00A, "ECDHE-ECDSA-AES256-SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
         KEEL_CBC_AES_256, KEEL_MAC_SHA1, NID_kx_ecdhe, NID_auth_ecdsa),
    T12C(0xC014, "ECDHE-RSA-AES256-SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
         KEEL_CBC_AES_256, KEEL_MAC_SHA1, NID_kx_ecdhe, NID_auth_rsa),
    T12C(0xC009, "ECDHE-ECDSA-AES128-SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
         KEEL_CBC_AES_128, KEEL_MAC_SHA1, NID_kx_ecdhe, NID_auth_ecdsa),
    T12C(0xC013, "ECDHE-RSA-AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
         KEEL_CBC_AES_128, KEEL_MAC_SHA1, NID_kx_ecdhe, NID_auth_rsa),
    /* DHE-RSA and RSA key transport over CBC (RFC 5246 §A.5) */
    T12C(0x006B, "DHE-RSA-AES256-SHA256", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
         KEEL_CBC_AES_256, KEEL_MAC_SHA256, NID_kx_dhe, NID_auth_rsa),
    T12C(0x0067, "DHE-RSA-AES128-SHA256", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
         KEEL_CBC_AES_128, KEEL_MAC_SHA256, NID_kx_dhe, NID_auth_rsa),
    T12C(0x0039, "DHE-RSA-AES256-SHA", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
         KEEL_CBC_AES_256, KEEL_MAC_SHA1, NID_kx_dhe, NID_auth_rsa),
    T12C(0x0033, "DHE-RSA-AES128-SHA", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
         KEEL_CBC_AES_128, KEEL_MAC_SHA1, NID_kx_dhe, NID_auth_rsa),
    T12C(0x003D, "AES256-SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA256",
         KEEL_CBC_AES_256, KEEL_MAC_SHA256, NID_kx_rsa, NID_auth_rsa),
    T12C(0x003C, "AES128-SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA256",
         KEEL_CBC_AES_128, KEEL_MAC_SHA256, NID_kx_rsa, NID_auth_rsa),
    T12C(0x0035, "AES256-SHA", "TLS_RSA_WITH_AES_256_CBC_SHA",
         KEEL_CBC_AES_256, KEEL_MAC_SHA1, NID_kx_rsa, NID_auth_rsa),
    T12C(0x002F, "AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA",
         KEEL_CBC_AES_128, KEEL_MAC_SHA1, NID_kx_rsa, NID_auth_rsa),
    /* AES-CCM (RFC 7251 §2): not in DEFAULT, as in OpenSSL. */
    T12(0xC0AD, "ECDHE-ECDSA-AES256-CCM", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
        KEEL_AEAD_AES_256_CCM, NID_kx_ecdhe, NID_auth_ecdsa),
    T12(0xC0AC, "ECDHE-ECDSA-AES128-CCM", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
        KEEL_AEAD_AES_128_CCM, NID_kx_ecdhe, NID_auth_ecdsa),
    T12(0xC0AF, "ECDHE-ECDSA-AES256-CCM8", "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8",
        KEEL_AEAD_AES_256_CCM_8, NID_kx_ecdhe, NID_auth_ecdsa),
    T12(0xC0AE, "ECDHE-ECDSA-AES128-CCM8", "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
        KEEL_AEAD_AES_128_CCM_8, NID_kx_ecdhe, NID_auth_ecdsa),
    /* TLS 1.3 CCM (RFC 8446 §B.4): not in the default ciphersuites, as in OpenSSL. */
    T13(0x1304, "TLS_AES_128_CCM_SHA256", KEEL_AEAD_AES_128_CCM),
    T13(0x1305, "TLS_AES_128_CCM_8_SHA256", KEEL_AEAD_AES_128_CCM_8),
    /* Pre-shared keys (RFC 4279 §2 with RFC 5487 / RFC 7905 AEADs; RFC 5489 / RFC 7905 ECDHE_PSK) */
    T12(0x00A9, "PSK-AES256-GCM-SHA384", "TLS_PSK_WITH_AES_256_GCM_SHA384",
        KEEL_AEAD_AES_256_GCM, NID_kx_psk, NID_auth_psk),
    T12(0xCCAB, "PSK-CHACHA20-POLY1305", "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256",
        KEEL_AEAD_CHACHA20_POLY1305, NID_kx_psk, NID_auth_psk),
    T12(0xCCAC, "ECDHE-PSK-CHACHA20-POLY1305", "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256",
        KEEL_AEAD_CHACHA20_POLY1305, NID_kx_ecdhe_psk, NID_auth_psk),
    T12(0x00A8, "PSK-AES128-GCM-SHA256", "TLS_PSK_WITH_AES_128_GCM_SHA256",
        KEEL_AEAD_AES_128_GCM, NID_kx_psk, NID_auth_psk),
    /* PSK with CBC (RFC 4279 §2, RFC 5487 §3, RFC 5489 §3) and CCM (RFC 6655 §4: not in DEFAULT) */
    T12C(0x008C, "PSK-AES128-CBC-SHA", "TLS_PSK_WITH_AES_128_CBC_SHA",
         KEEL_CBC_AES_128, KEEL_MAC_SHA1, NID_kx_psk, NID_auth_psk),
    T12C(0x008D, "PSK-AES256-CBC-SHA", "TLS_PSK_WITH_AES_256_CBC_SHA",
         KEEL_CBC_AES_256, KEEL_MAC_SHA1, NID_kx_psk, NID_auth_psk),
    T12C(0x00AE, "PSK-AES128-CBC-SHA256", "TLS_PSK_WITH_AES_128_CBC_SHA256",
         KEEL_CBC_AES_128, KEEL_MAC_SHA256, NID_kx_psk, NID_auth_psk),
    T12C(0x00AF, "PSK-AES256-CBC-SHA384", "TLS_PSK_WITH_AES_256_CBC_SHA384",
         KEEL_CBC_AES_256, KEEL_MAC_SHA384, NID_kx_psk, NID_auth_psk),
    T12C(0xC035, "ECDHE-PSK-AES128-CBC-SHA", "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA",
         KEEL_CBC_AES_128, KEEL_MAC_SHA1, NID_kx_ecdhe_psk, NID_auth_psk),
    T12C(0xC036, "ECDHE-PSK-AES256-CBC-SHA", "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA",
         KEEL_CBC_AES_256, KEEL_MAC_SHA1, NID_kx_ecdhe_psk, NID_auth_psk),
    T12C(0xC037, "ECDHE-PSK-AES128-CBC-SHA256", "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256",
         KEEL_CBC_AES_128, KEEL_MAC_SHA256, NID_kx_ecdhe_psk, NID_auth_psk),
    T12C(0xC038, "ECDHE-PSK-AES256-CBC-SHA384", "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384",
         KEEL_CBC_AES_256, KEEL_MAC_SHA384, NID_kx_ecdhe_psk, NID_auth_psk),
    T12(0xC0A4, "PSK-AES128-CCM", "TLS_PSK_WITH_AES_128_CCM",
        KEEL_AEAD_AES_128_CCM, NID_kx_psk, NID_auth_psk),
    T12(0xC0A5, "PSK-AES256-CCM", "TLS_PSK_WITH_AES_256_CCM",
        KEEL_AEAD_AES_256_CCM, NID_kx_psk, NID_auth_psk),
    T12(0xC0A8, "PSK-AES128-CCM8", "TLS_PSK_WITH_AES_128_CCM_8",
        KEEL_AEAD_AES_128_CCM_8, NID_kx_psk, NID_auth_psk),
    T12(0xC0A9, "PSK-AES256-CCM8", "TLS_PSK_WITH_AES_256_CCM_8",
        KEEL_AEAD_AES_256_CCM_8, NID_kx_psk, NID_auth_psk),
    /* DHE_PSK and RSA_PSK (RFC 4279 §3, §4; RFC 5487 §2, §3; RFC 7905; RFC 6655 §4 for the
     * DHE_PSK CCM ones, not in DEFAULT). RSA_PSK is authenticated by an RSA certificate. */
    T12(0x00AB, "DHE-PSK-AES256-GCM-SHA384", "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384",
        KEEL_AEAD_AES_256_GCM, NID_kx_dhe_psk, NID_auth_psk),
    T12(0xCCAD, "DHE-PSK-CHACHA20-POLY1305", "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256",
        KEEL_AEAD_CHACHA20_POLY1305, NID_kx_dhe_psk, NID_auth_psk),
    T12(0x00AA, "DHE-PSK-AES128-GCM-SHA256", "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256",
        KEEL_AEAD_AES_128_GCM, NID_kx_dhe_psk, NID_auth_psk),
    T12(0x00AD, "RSA-PSK-AES256-GCM-SHA384", "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384",
        KEEL_AEAD_AES_256_GCM, NID_kx_rsa_psk, NID_auth_rsa),
    T12(0xCCAE, "RSA-PSK-CHACHA20-POLY1305", "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256",
        KEEL_AEAD_CHACHA20_POLY1305, NID_kx_rsa_psk, NID_auth_rsa),
    T12(0x00AC, "RSA-PSK-AES128-GCM-SHA256", "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256",
        KEEL_AEAD_AES_128_GCM, NID_kx_rsa_psk, NID_auth_rsa),
    T12C(0x00B3, "DHE-PSK-AES256-CBC-SHA384", "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384",
         KEEL_CBC_AES_256, KEEL_MAC_SHA384, NID_kx_dhe_psk, NID_auth_psk),
    T12C(0x0091, "DHE-PSK-AES256-CBC-SHA", "TLS_DHE_PSK_WITH_AES_256_CBC_SHA",
         KEEL_CBC_AES_256, KEEL_MAC_SHA1, NID_kx_dhe_psk, NID_auth_psk),
    T12C(0x00B2, "DHE-PSK-AES128-CBC-SHA256", "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256",
         KEEL_CBC_AES_128, KEEL_MAC_SHA256, NID_kx_dhe_psk, NID_auth_psk),
    T12C(0x0090, "DHE-PSK-AES128-CBC-SHA", "TLS_DHE_PSK_WITH_AES_128_CBC_SHA",
         KEEL_CBC_AES_128, KEEL_MAC_SHA1, NID_kx_dhe_psk, NID_auth_psk),
    T12C(0x00B7, "RSA-PSK-AES256-CBC-SHA384", "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384",
         KEEL_CBC_AES_256, KEEL_MAC_SHA384, NID_kx_rsa_psk, NID_auth_rsa),
    T12C(0x0095, "RSA-PSK-AES256-CBC-SHA", "TLS_RSA_PSK_WITH_AES_256_CBC_SHA",
         KEEL_CBC_AES_256, KEEL_MAC_SHA1, NID_kx_rsa_psk, NID_auth_rsa),
    T12C(0x00B6, "RSA-PSK-AES128-CBC-SHA256", "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256",
         KEEL_CBC_AES_128, KEEL_MAC_SHA256, NID_kx_rsa_psk, NID_auth_rsa),
    T12C(0x0094, "RSA-PSK-AES128-CBC-SHA", "TLS_RSA_PSK_WITH_AES_128_CBC_SHA",
         KEEL_CBC_AES_128, KEEL_MAC_SHA1, NID_kx_rsa_psk, NID_auth_rsa),
    /* (OpenSSL's standard names for the DHE_PSK CCM_8 suites are TLS_PSK_DHE_WITH_*) */
    T12(0xC0A7, "DHE-PSK-AES256-CCM", "TLS_DHE_PSK_WITH_AES_256_CCM",
        KEEL_AEAD_AES_256_CCM, NID_kx_dhe_psk, NID_auth_psk),
    T12(0xC0A6, "DHE-PSK-AES128-CCM", "TLS_DHE_PSK_WITH_AES_128_CCM",
        KEEL_AEAD_AES_128_CCM, NID_kx_dhe_psk, NID_auth_psk),
    T12(0xC0AB, "DHE-PSK-AES256-CCM8", "TLS_PSK_DHE_WITH_AES_256_CCM_8",
        KEEL_AEAD_AES_256_CCM_8, NID_kx_dhe_psk, NID_auth_psk),
    T12(0xC0AA, "DHE-PSK-AES128-CCM8", "TLS_PSK_DHE_WITH_AES_128_CCM_8",
        KEEL_AEAD_AES_128_CCM_8, NID_kx_dhe_psk, NID_auth_psk),
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

const SSL_CIPHER *keel_cipher_by_code(uint16_t code)
{
    for (size_t i = 0; i < NTABLE; i++)
        if (table[i].code == code)
            return &table[i];
    return NULL;
}

const SSL_CIPHER *keel_cipher_by_name(const char *name, size_t len)
{
    for (size_t i = 0; i < NTABLE; i++) {
        if ((strlen(table[i].name) == len && strncmp(table[i].name, name, len) == 0)
                || (strlen(table[i].stdname) == len && strncmp(table[i].stdname, name, len) == 0))
            return &table[i];
    }
    return NULL;
}

int keel_ciphers_default(keel_settings *s)
{
    const SSL_CIPHER *v[KEEL_MAX_CIPHERS];
    size_t n = 0;

    keel_lists *l = keel_settings_lists(s);

    return l != NULL && keel_ciphersuites_parse(OSSL_default_ciphersuites(), l->ciphers13, &s->nciphers13)
        && keel_cipher_list_parse(OSSL_default_cipher_list(), v, &n, NULL) == 1
        && keel_settings_set_ciphers12(s, v, n);
}

const char *OSSL_default_ciphersuites(void)
{
    return "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
}

const char *OSSL_default_cipher_list(void) { return "ALL:!COMPLEMENTOFDEFAULT:!eNULL"; }

/* ---- TLS 1.3: SSL_CTX_set_ciphersuites(3). Unknown names are ignored; a non-empty string naming
 * no suite fails. The empty string disables TLS 1.3. ---- */
int keel_ciphersuites_parse(const char *str, const SSL_CIPHER **out, size_t *n)
{
    const SSL_CIPHER *list[KEEL_MAX_CIPHERS13];
    size_t count = 0, named = 0;

    for (const char *p = str; *p != '\0';) {
        size_t len = strcspn(p, ":");
        const SSL_CIPHER *c = keel_cipher_by_name(p, len);
        if (c != NULL && c->min_tls == TLS1_3_VERSION) {
            size_t j;
            named++;
            for (j = 0; j < count && list[j] != c; j++)
                ;
            if (j == count && count < KEEL_MAX_CIPHERS13)
                list[count++] = c;
        }
        p += len;
        if (*p == ':')
            p++;
    }
    if (named == 0 && *str != '\0') {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_CIPHER_MATCH);
        return 0;
    }
    memcpy(out, list, count * sizeof(list[0]));
    *n = count;
    return 1;
}

/* ---- TLS 1.2: the cipher-string grammar of openssl-ciphers(1) ----
 *
 * A string is evaluated over the whole catalogue of TLS 1.2-and-earlier suites OpenSSL 3.0
 * defines (below), not only over the six keel implements: whether a string selects anything at
 * all (success or SSL_R_NO_CIPHER_MATCH) depends on suites keel lacks ("AES128-SHA" succeeds on
 * OpenSSL), and the relative order of keel's suites only depends on the operations applied to
 * them. The resulting list is then restricted to keel's suites.
 *
 * Each catalogue entry carries one bit per attribute (key exchange, authentication, encryption,
 * MAC: AEAD suites have MAC "AEAD", so SHA256/SHA384 never match them), the minimum protocol
 * version, a strength class and flags. An alias is a mask per attribute; '+' joins masks by
 * intersection. */

enum { /* key exchange */
    K_RSA = 1 << 0, K_DHE = 1 << 1, K_ECDHE = 1 << 2, K_PSK = 1 << 3, K_RSAPSK = 1 << 4,
    K_DHEPSK = 1 << 5, K_ECDHEPSK = 1 << 6, K_SRP = 1 << 7, K_GOST = 1 << 8, K_GOST18 = 1 << 9,
};
enum { /* authentication */
    U_RSA = 1 << 0, U_DSS = 1 << 1, U_ECDSA = 1 << 2, U_NULL = 1 << 3, U_PSK = 1 << 4,
    U_SRP = 1 << 5, U_GOST01 = 1 << 6, U_GOST12 = 1 << 7,
};
enum { /* encryption; the last group has no suite in OpenSSL 3.0's default build */
    E_AES128 = 1 << 0, E_AES256 = 1 << 1, E_AESGCM128 = 1 << 2, E_AESGCM256 = 1 << 3,
    E_AESCCM128 = 1 << 4, E_AESCCM256 = 1 << 5, E_AESCCM8128 = 1 << 6, E_AESCCM8256 = 1 << 7,
    E_ARIAGCM128 = 1 << 8, E_ARIAGCM256 = 1 << 9, E_CAMELLIA128 = 1 << 10, E_CAMELLIA256 = 1 << 11,
    E_CHACHA20 = 1 << 12, E_NULL = 1 << 13,
    E_DES = 1 << 14, E_3DES = 1 << 15, E_RC4 = 1 << 16, E_RC2 = 1 << 17, E_IDEA = 1 << 18,
    E_SEED = 1 << 19, E_GOST89 = 1 << 20,
    E_ALL = (1 << 21) - 1,
};
enum { /* MAC */
    M_MD5 = 1 << 0, M_SHA1 = 1 << 1, M_SHA256 = 1 << 2, M_SHA384 = 1 << 3, M_AEAD = 1 << 4,
    M_GOST94 = 1 << 5, M_GOST12 = 1 << 6, M_GOST89MAC = 1 << 7, M_GOST89MAC12 = 1 << 8,
};
enum { /* strength class (a suite may have several: HIGH and FIPS) and "not in DEFAULT" */
    S_LOW = 1 << 0, S_MEDIUM = 1 << 1, S_HIGH = 1 << 2, F_FIPS = 1 << 3, F_NOTDEF = 1 << 4,
    S_MASK = S_LOW | S_MEDIUM | S_HIGH | F_FIPS,
};

struct suite12 {
    const char *name;
    uint16_t kx, au;
    uint32_t enc;
    uint16_t mac;
    uint16_t min_tls;
    uint16_t bits;          /* for @STRENGTH */
    uint8_t strength;
};

/* OpenSSL 3.0's suites (TLS 1.2 and earlier), in its initial order ("openssl ciphers -v
 * 'ALL:COMPLEMENTOFALL'"); keel's six are among them. */
static const struct suite12 catalogue[] = {
    { "ECDHE-ECDSA-AES256-GCM-SHA384", K_ECDHE, U_ECDSA, E_AESGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_FIPS },
    { "ECDHE-RSA-AES256-GCM-SHA384", K_ECDHE, U_RSA, E_AESGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_FIPS },
    { "DHE-DSS-AES256-GCM-SHA384", K_DHE, U_DSS, E_AESGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF|F_FIPS },
    { "DHE-RSA-AES256-GCM-SHA384", K_DHE, U_RSA, E_AESGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_FIPS },
    { "ECDHE-ECDSA-CHACHA20-POLY1305", K_ECDHE, U_ECDSA, E_CHACHA20, M_AEAD, TLS1_2_VERSION, 256, S_HIGH },
    { "ECDHE-RSA-CHACHA20-POLY1305", K_ECDHE, U_RSA, E_CHACHA20, M_AEAD, TLS1_2_VERSION, 256, S_HIGH },
    { "DHE-RSA-CHACHA20-POLY1305", K_DHE, U_RSA, E_CHACHA20, M_AEAD, TLS1_2_VERSION, 256, S_HIGH },
    { "ECDHE-ECDSA-AES256-CCM8", K_ECDHE, U_ECDSA, E_AESCCM8256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "ECDHE-ECDSA-AES256-CCM", K_ECDHE, U_ECDSA, E_AESCCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "DHE-RSA-AES256-CCM8", K_DHE, U_RSA, E_AESCCM8256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "DHE-RSA-AES256-CCM", K_DHE, U_RSA, E_AESCCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "ECDHE-ECDSA-ARIA256-GCM-SHA384", K_ECDHE, U_ECDSA, E_ARIAGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "ECDHE-ARIA256-GCM-SHA384", K_ECDHE, U_RSA, E_ARIAGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "DHE-DSS-ARIA256-GCM-SHA384", K_DHE, U_DSS, E_ARIAGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "DHE-RSA-ARIA256-GCM-SHA384", K_DHE, U_RSA, E_ARIAGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "ADH-AES256-GCM-SHA384", K_DHE, U_NULL, E_AESGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF|F_FIPS },
    { "ECDHE-ECDSA-AES128-GCM-SHA256", K_ECDHE, U_ECDSA, E_AESGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_FIPS },
    { "ECDHE-RSA-AES128-GCM-SHA256", K_ECDHE, U_RSA, E_AESGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_FIPS },
    { "DHE-DSS-AES128-GCM-SHA256", K_DHE, U_DSS, E_AESGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF|F_FIPS },
    { "DHE-RSA-AES128-GCM-SHA256", K_DHE, U_RSA, E_AESGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_FIPS },
    { "ECDHE-ECDSA-AES128-CCM8", K_ECDHE, U_ECDSA, E_AESCCM8128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "ECDHE-ECDSA-AES128-CCM", K_ECDHE, U_ECDSA, E_AESCCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "DHE-RSA-AES128-CCM8", K_DHE, U_RSA, E_AESCCM8128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "DHE-RSA-AES128-CCM", K_DHE, U_RSA, E_AESCCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "ECDHE-ECDSA-ARIA128-GCM-SHA256", K_ECDHE, U_ECDSA, E_ARIAGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "ECDHE-ARIA128-GCM-SHA256", K_ECDHE, U_RSA, E_ARIAGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "DHE-DSS-ARIA128-GCM-SHA256", K_DHE, U_DSS, E_ARIAGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "DHE-RSA-ARIA128-GCM-SHA256", K_DHE, U_RSA, E_ARIAGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "ADH-AES128-GCM-SHA256", K_DHE, U_NULL, E_AESGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF|F_FIPS },
    { "ECDHE-ECDSA-AES256-SHA384", K_ECDHE, U_ECDSA, E_AES256, M_SHA384, TLS1_2_VERSION, 256, S_HIGH|F_FIPS },
    { "ECDHE-RSA-AES256-SHA384", K_ECDHE, U_RSA, E_AES256, M_SHA384, TLS1_2_VERSION, 256, S_HIGH|F_FIPS },
    { "DHE-RSA-AES256-SHA256", K_DHE, U_RSA, E_AES256, M_SHA256, TLS1_2_VERSION, 256, S_HIGH|F_FIPS },
    { "DHE-DSS-AES256-SHA256", K_DHE, U_DSS, E_AES256, M_SHA256, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF|F_FIPS },
    { "ECDHE-ECDSA-CAMELLIA256-SHA384", K_ECDHE, U_ECDSA, E_CAMELLIA256, M_SHA384, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "ECDHE-RSA-CAMELLIA256-SHA384", K_ECDHE, U_RSA, E_CAMELLIA256, M_SHA384, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "DHE-RSA-CAMELLIA256-SHA256", K_DHE, U_RSA, E_CAMELLIA256, M_SHA256, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "DHE-DSS-CAMELLIA256-SHA256", K_DHE, U_DSS, E_CAMELLIA256, M_SHA256, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "ADH-AES256-SHA256", K_DHE, U_NULL, E_AES256, M_SHA256, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF|F_FIPS },
    { "ADH-CAMELLIA256-SHA256", K_DHE, U_NULL, E_CAMELLIA256, M_SHA256, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "ECDHE-ECDSA-AES128-SHA256", K_ECDHE, U_ECDSA, E_AES128, M_SHA256, TLS1_2_VERSION, 128, S_HIGH|F_FIPS },
    { "ECDHE-RSA-AES128-SHA256", K_ECDHE, U_RSA, E_AES128, M_SHA256, TLS1_2_VERSION, 128, S_HIGH|F_FIPS },
    { "DHE-RSA-AES128-SHA256", K_DHE, U_RSA, E_AES128, M_SHA256, TLS1_2_VERSION, 128, S_HIGH|F_FIPS },
    { "DHE-DSS-AES128-SHA256", K_DHE, U_DSS, E_AES128, M_SHA256, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF|F_FIPS },
    { "ECDHE-ECDSA-CAMELLIA128-SHA256", K_ECDHE, U_ECDSA, E_CAMELLIA128, M_SHA256, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "ECDHE-RSA-CAMELLIA128-SHA256", K_ECDHE, U_RSA, E_CAMELLIA128, M_SHA256, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "DHE-RSA-CAMELLIA128-SHA256", K_DHE, U_RSA, E_CAMELLIA128, M_SHA256, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "DHE-DSS-CAMELLIA128-SHA256", K_DHE, U_DSS, E_CAMELLIA128, M_SHA256, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "ADH-AES128-SHA256", K_DHE, U_NULL, E_AES128, M_SHA256, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF|F_FIPS },
    { "ADH-CAMELLIA128-SHA256", K_DHE, U_NULL, E_CAMELLIA128, M_SHA256, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "ECDHE-ECDSA-AES256-SHA", K_ECDHE, U_ECDSA, E_AES256, M_SHA1, TLS1_VERSION, 256, S_HIGH|F_FIPS },
    { "ECDHE-RSA-AES256-SHA", K_ECDHE, U_RSA, E_AES256, M_SHA1, TLS1_VERSION, 256, S_HIGH|F_FIPS },
    { "DHE-RSA-AES256-SHA", K_DHE, U_RSA, E_AES256, M_SHA1, SSL3_VERSION, 256, S_HIGH|F_FIPS },
    { "DHE-DSS-AES256-SHA", K_DHE, U_DSS, E_AES256, M_SHA1, SSL3_VERSION, 256, S_HIGH|F_NOTDEF|F_FIPS },
    { "DHE-RSA-CAMELLIA256-SHA", K_DHE, U_RSA, E_CAMELLIA256, M_SHA1, SSL3_VERSION, 256, S_HIGH|F_NOTDEF },
    { "DHE-DSS-CAMELLIA256-SHA", K_DHE, U_DSS, E_CAMELLIA256, M_SHA1, SSL3_VERSION, 256, S_HIGH|F_NOTDEF },
    { "AECDH-AES256-SHA", K_ECDHE, U_NULL, E_AES256, M_SHA1, TLS1_VERSION, 256, S_HIGH|F_NOTDEF|F_FIPS },
    { "ADH-AES256-SHA", K_DHE, U_NULL, E_AES256, M_SHA1, SSL3_VERSION, 256, S_HIGH|F_NOTDEF|F_FIPS },
    { "ADH-CAMELLIA256-SHA", K_DHE, U_NULL, E_CAMELLIA256, M_SHA1, SSL3_VERSION, 256, S_HIGH|F_NOTDEF },
    { "ECDHE-ECDSA-AES128-SHA", K_ECDHE, U_ECDSA, E_AES128, M_SHA1, TLS1_VERSION, 128, S_HIGH|F_FIPS },
    { "ECDHE-RSA-AES128-SHA", K_ECDHE, U_RSA, E_AES128, M_SHA1, TLS1_VERSION, 128, S_HIGH|F_FIPS },
    { "DHE-RSA-AES128-SHA", K_DHE, U_RSA, E_AES128, M_SHA1, SSL3_VERSION, 128, S_HIGH|F_FIPS },
    { "DHE-DSS-AES128-SHA", K_DHE, U_DSS, E_AES128, M_SHA1, SSL3_VERSION, 128, S_HIGH|F_NOTDEF|F_FIPS },
    { "DHE-RSA-CAMELLIA128-SHA", K_DHE, U_RSA, E_CAMELLIA128, M_SHA1, SSL3_VERSION, 128, S_HIGH|F_NOTDEF },
    { "DHE-DSS-CAMELLIA128-SHA", K_DHE, U_DSS, E_CAMELLIA128, M_SHA1, SSL3_VERSION, 128, S_HIGH|F_NOTDEF },
    { "AECDH-AES128-SHA", K_ECDHE, U_NULL, E_AES128, M_SHA1, TLS1_VERSION, 128, S_HIGH|F_NOTDEF|F_FIPS },
    { "ADH-AES128-SHA", K_DHE, U_NULL, E_AES128, M_SHA1, SSL3_VERSION, 128, S_HIGH|F_NOTDEF|F_FIPS },
    { "ADH-CAMELLIA128-SHA", K_DHE, U_NULL, E_CAMELLIA128, M_SHA1, SSL3_VERSION, 128, S_HIGH|F_NOTDEF },
    { "RSA-PSK-AES256-GCM-SHA384", K_RSAPSK, U_RSA, E_AESGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_FIPS },
    { "DHE-PSK-AES256-GCM-SHA384", K_DHEPSK, U_PSK, E_AESGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_FIPS },
    { "RSA-PSK-CHACHA20-POLY1305", K_RSAPSK, U_RSA, E_CHACHA20, M_AEAD, TLS1_2_VERSION, 256, S_HIGH },
    { "DHE-PSK-CHACHA20-POLY1305", K_DHEPSK, U_PSK, E_CHACHA20, M_AEAD, TLS1_2_VERSION, 256, S_HIGH },
    { "ECDHE-PSK-CHACHA20-POLY1305", K_ECDHEPSK, U_PSK, E_CHACHA20, M_AEAD, TLS1_2_VERSION, 256, S_HIGH },
    { "DHE-PSK-AES256-CCM8", K_DHEPSK, U_PSK, E_AESCCM8256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "DHE-PSK-AES256-CCM", K_DHEPSK, U_PSK, E_AESCCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "RSA-PSK-ARIA256-GCM-SHA384", K_RSAPSK, U_RSA, E_ARIAGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "DHE-PSK-ARIA256-GCM-SHA384", K_DHEPSK, U_PSK, E_ARIAGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "AES256-GCM-SHA384", K_RSA, U_RSA, E_AESGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_FIPS },
    { "AES256-CCM8", K_RSA, U_RSA, E_AESCCM8256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "AES256-CCM", K_RSA, U_RSA, E_AESCCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "ARIA256-GCM-SHA384", K_RSA, U_RSA, E_ARIAGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "PSK-AES256-GCM-SHA384", K_PSK, U_PSK, E_AESGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_FIPS },
    { "PSK-CHACHA20-POLY1305", K_PSK, U_PSK, E_CHACHA20, M_AEAD, TLS1_2_VERSION, 256, S_HIGH },
    { "PSK-AES256-CCM8", K_PSK, U_PSK, E_AESCCM8256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "PSK-AES256-CCM", K_PSK, U_PSK, E_AESCCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "PSK-ARIA256-GCM-SHA384", K_PSK, U_PSK, E_ARIAGCM256, M_AEAD, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "RSA-PSK-AES128-GCM-SHA256", K_RSAPSK, U_RSA, E_AESGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_FIPS },
    { "DHE-PSK-AES128-GCM-SHA256", K_DHEPSK, U_PSK, E_AESGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_FIPS },
    { "DHE-PSK-AES128-CCM8", K_DHEPSK, U_PSK, E_AESCCM8128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "DHE-PSK-AES128-CCM", K_DHEPSK, U_PSK, E_AESCCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "RSA-PSK-ARIA128-GCM-SHA256", K_RSAPSK, U_RSA, E_ARIAGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "DHE-PSK-ARIA128-GCM-SHA256", K_DHEPSK, U_PSK, E_ARIAGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "AES128-GCM-SHA256", K_RSA, U_RSA, E_AESGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_FIPS },
    { "AES128-CCM8", K_RSA, U_RSA, E_AESCCM8128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "AES128-CCM", K_RSA, U_RSA, E_AESCCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "ARIA128-GCM-SHA256", K_RSA, U_RSA, E_ARIAGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "PSK-AES128-GCM-SHA256", K_PSK, U_PSK, E_AESGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_FIPS },
    { "PSK-AES128-CCM8", K_PSK, U_PSK, E_AESCCM8128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "PSK-AES128-CCM", K_PSK, U_PSK, E_AESCCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "PSK-ARIA128-GCM-SHA256", K_PSK, U_PSK, E_ARIAGCM128, M_AEAD, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "AES256-SHA256", K_RSA, U_RSA, E_AES256, M_SHA256, TLS1_2_VERSION, 256, S_HIGH|F_FIPS },
    { "CAMELLIA256-SHA256", K_RSA, U_RSA, E_CAMELLIA256, M_SHA256, TLS1_2_VERSION, 256, S_HIGH|F_NOTDEF },
    { "AES128-SHA256", K_RSA, U_RSA, E_AES128, M_SHA256, TLS1_2_VERSION, 128, S_HIGH|F_FIPS },
    { "CAMELLIA128-SHA256", K_RSA, U_RSA, E_CAMELLIA128, M_SHA256, TLS1_2_VERSION, 128, S_HIGH|F_NOTDEF },
    { "ECDHE-PSK-AES256-CBC-SHA384", K_ECDHEPSK, U_PSK, E_AES256, M_SHA384, TLS1_VERSION, 256, S_HIGH|F_FIPS },
    { "ECDHE-PSK-AES256-CBC-SHA", K_ECDHEPSK, U_PSK, E_AES256, M_SHA1, TLS1_VERSION, 256, S_HIGH|F_FIPS },
    { "SRP-DSS-AES-256-CBC-SHA", K_SRP, U_DSS, E_AES256, M_SHA1, SSL3_VERSION, 256, S_HIGH|F_NOTDEF },
    { "SRP-RSA-AES-256-CBC-SHA", K_SRP, U_RSA, E_AES256, M_SHA1, SSL3_VERSION, 256, S_HIGH },
    { "SRP-AES-256-CBC-SHA", K_SRP, U_SRP, E_AES256, M_SHA1, SSL3_VERSION, 256, S_HIGH },
    { "RSA-PSK-AES256-CBC-SHA384", K_RSAPSK, U_RSA, E_AES256, M_SHA384, TLS1_VERSION, 256, S_HIGH|F_FIPS },
    { "DHE-PSK-AES256-CBC-SHA384", K_DHEPSK, U_PSK, E_AES256, M_SHA384, TLS1_VERSION, 256, S_HIGH|F_FIPS },
    { "RSA-PSK-AES256-CBC-SHA", K_RSAPSK, U_RSA, E_AES256, M_SHA1, SSL3_VERSION, 256, S_HIGH|F_FIPS },
    { "DHE-PSK-AES256-CBC-SHA", K_DHEPSK, U_PSK, E_AES256, M_SHA1, SSL3_VERSION, 256, S_HIGH|F_FIPS },
    { "ECDHE-PSK-CAMELLIA256-SHA384", K_ECDHEPSK, U_PSK, E_CAMELLIA256, M_SHA384, TLS1_VERSION, 256, S_HIGH|F_NOTDEF },
    { "RSA-PSK-CAMELLIA256-SHA384", K_RSAPSK, U_RSA, E_CAMELLIA256, M_SHA384, TLS1_VERSION, 256, S_HIGH|F_NOTDEF },
    { "DHE-PSK-CAMELLIA256-SHA384", K_DHEPSK, U_PSK, E_CAMELLIA256, M_SHA384, TLS1_VERSION, 256, S_HIGH|F_NOTDEF },
    { "AES256-SHA", K_RSA, U_RSA, E_AES256, M_SHA1, SSL3_VERSION, 256, S_HIGH|F_FIPS },
    { "CAMELLIA256-SHA", K_RSA, U_RSA, E_CAMELLIA256, M_SHA1, SSL3_VERSION, 256, S_HIGH|F_NOTDEF },
    { "PSK-AES256-CBC-SHA384", K_PSK, U_PSK, E_AES256, M_SHA384, TLS1_VERSION, 256, S_HIGH|F_FIPS },
    { "PSK-AES256-CBC-SHA", K_PSK, U_PSK, E_AES256, M_SHA1, SSL3_VERSION, 256, S_HIGH|F_FIPS },
    { "PSK-CAMELLIA256-SHA384", K_PSK, U_PSK, E_CAMELLIA256, M_SHA384, TLS1_VERSION, 256, S_HIGH|F_NOTDEF },
    { "ECDHE-PSK-AES128-CBC-SHA256", K_ECDHEPSK, U_PSK, E_AES128, M_SHA256, TLS1_VERSION, 128, S_HIGH|F_FIPS },
    { "ECDHE-PSK-AES128-CBC-SHA", K_ECDHEPSK, U_PSK, E_AES128, M_SHA1, TLS1_VERSION, 128, S_HIGH|F_FIPS },
    { "SRP-DSS-AES-128-CBC-SHA", K_SRP, U_DSS, E_AES128, M_SHA1, SSL3_VERSION, 128, S_HIGH|F_NOTDEF },
    { "SRP-RSA-AES-128-CBC-SHA", K_SRP, U_RSA, E_AES128, M_SHA1, SSL3_VERSION, 128, S_HIGH },
    { "SRP-AES-128-CBC-SHA", K_SRP, U_SRP, E_AES128, M_SHA1, SSL3_VERSION, 128, S_HIGH },
    { "RSA-PSK-AES128-CBC-SHA256", K_RSAPSK, U_RSA, E_AES128, M_SHA256, TLS1_VERSION, 128, S_HIGH|F_FIPS },
    { "DHE-PSK-AES128-CBC-SHA256", K_DHEPSK, U_PSK, E_AES128, M_SHA256, TLS1_VERSION, 128, S_HIGH|F_FIPS },
    { "RSA-PSK-AES128-CBC-SHA", K_RSAPSK, U_RSA, E_AES128, M_SHA1, SSL3_VERSION, 128, S_HIGH|F_FIPS },
    { "DHE-PSK-AES128-CBC-SHA", K_DHEPSK, U_PSK, E_AES128, M_SHA1, SSL3_VERSION, 128, S_HIGH|F_FIPS },
    { "ECDHE-PSK-CAMELLIA128-SHA256", K_ECDHEPSK, U_PSK, E_CAMELLIA128, M_SHA256, TLS1_VERSION, 128, S_HIGH|F_NOTDEF },
    { "RSA-PSK-CAMELLIA128-SHA256", K_RSAPSK, U_RSA, E_CAMELLIA128, M_SHA256, TLS1_VERSION, 128, S_HIGH|F_NOTDEF },
    { "DHE-PSK-CAMELLIA128-SHA256", K_DHEPSK, U_PSK, E_CAMELLIA128, M_SHA256, TLS1_VERSION, 128, S_HIGH|F_NOTDEF },
    { "AES128-SHA", K_RSA, U_RSA, E_AES128, M_SHA1, SSL3_VERSION, 128, S_HIGH|F_FIPS },
    { "CAMELLIA128-SHA", K_RSA, U_RSA, E_CAMELLIA128, M_SHA1, SSL3_VERSION, 128, S_HIGH|F_NOTDEF },
    { "PSK-AES128-CBC-SHA256", K_PSK, U_PSK, E_AES128, M_SHA256, TLS1_VERSION, 128, S_HIGH|F_FIPS },
    { "PSK-AES128-CBC-SHA", K_PSK, U_PSK, E_AES128, M_SHA1, SSL3_VERSION, 128, S_HIGH|F_FIPS },
    { "PSK-CAMELLIA128-SHA256", K_PSK, U_PSK, E_CAMELLIA128, M_SHA256, TLS1_VERSION, 128, S_HIGH|F_NOTDEF },
    { "ECDHE-ECDSA-NULL-SHA", K_ECDHE, U_ECDSA, E_NULL, M_SHA1, TLS1_VERSION, 0, 0 },
    { "ECDHE-RSA-NULL-SHA", K_ECDHE, U_RSA, E_NULL, M_SHA1, TLS1_VERSION, 0, 0 },
    { "AECDH-NULL-SHA", K_ECDHE, U_NULL, E_NULL, M_SHA1, TLS1_VERSION, 0, 0 },
    { "NULL-SHA256", K_RSA, U_RSA, E_NULL, M_SHA256, TLS1_2_VERSION, 0, 0 },
    { "ECDHE-PSK-NULL-SHA384", K_ECDHEPSK, U_PSK, E_NULL, M_SHA384, TLS1_VERSION, 0, 0 },
    { "ECDHE-PSK-NULL-SHA256", K_ECDHEPSK, U_PSK, E_NULL, M_SHA256, TLS1_VERSION, 0, 0 },
    { "ECDHE-PSK-NULL-SHA", K_ECDHEPSK, U_PSK, E_NULL, M_SHA1, TLS1_VERSION, 0, 0 },
    { "RSA-PSK-NULL-SHA384", K_RSAPSK, U_RSA, E_NULL, M_SHA384, TLS1_VERSION, 0, 0 },
    { "RSA-PSK-NULL-SHA256", K_RSAPSK, U_RSA, E_NULL, M_SHA256, TLS1_VERSION, 0, 0 },
    { "DHE-PSK-NULL-SHA384", K_DHEPSK, U_PSK, E_NULL, M_SHA384, TLS1_VERSION, 0, 0 },
    { "DHE-PSK-NULL-SHA256", K_DHEPSK, U_PSK, E_NULL, M_SHA256, TLS1_VERSION, 0, 0 },
    { "RSA-PSK-NULL-SHA", K_RSAPSK, U_RSA, E_NULL, M_SHA1, SSL3_VERSION, 0, 0 },
    { "DHE-PSK-NULL-SHA", K_DHEPSK, U_PSK, E_NULL, M_SHA1, SSL3_VERSION, 0, 0 },
    { "NULL-SHA", K_RSA, U_RSA, E_NULL, M_SHA1, SSL3_VERSION, 0, 0 },
    { "NULL-MD5", K_RSA, U_RSA, E_NULL, M_MD5, SSL3_VERSION, 0, 0 },
    { "PSK-NULL-SHA384", K_PSK, U_PSK, E_NULL, M_SHA384, TLS1_VERSION, 0, 0 },
    { "PSK-NULL-SHA256", K_PSK, U_PSK, E_NULL, M_SHA256, TLS1_VERSION, 0, 0 },
    { "PSK-NULL-SHA", K_PSK, U_PSK, E_NULL, M_SHA1, SSL3_VERSION, 0, 0 },
};
#define NCAT (sizeof(catalogue) / sizeof(catalogue[0]))
_Static_assert(NCAT <= 255, "catalogue indices are uint8_t");

/* A selection pattern: a suite matches when it has a bit of every non-zero mask (and the given
 * minimum version and suite, if any). */
struct pattern {
    uint16_t kx, au;
    uint32_t enc;
    uint16_t mac;
    uint16_t min_tls;
    uint8_t strength, notdef;
    int suite;              /* a catalogue index, or -1 */
};

struct alias { const char *name; struct pattern p; };
#define AL(n, kx, au, enc, mac, tls, str) { n, { kx, au, enc, mac, tls, str, 0, -1 } }
#define E_AES (E_AES128 | E_AES256 | E_AESGCM128 | E_AESGCM256 | E_AESCCM128 | E_AESCCM256 | E_AESCCM8128 | E_AESCCM8256)
/* Every alias openssl-ciphers(1) documents for OpenSSL 3.0. */
static const struct alias aliases[] = {
    AL("ALL", 0, 0, E_ALL & ~E_NULL, 0, 0, 0),
    AL("COMPLEMENTOFALL", 0, 0, E_NULL, 0, 0, 0),
    { "COMPLEMENTOFDEFAULT", { 0, 0, 0, 0, 0, 0, 1, -1 } },
    AL("HIGH", 0, 0, 0, 0, 0, S_HIGH), AL("MEDIUM", 0, 0, 0, 0, 0, S_MEDIUM),
    AL("LOW", 0, 0, 0, 0, 0, S_LOW), AL("FIPS", 0, 0, 0, 0, 0, F_FIPS),
    AL("eNULL", 0, 0, E_NULL, 0, 0, 0), AL("NULL", 0, 0, E_NULL, 0, 0, 0),
    AL("aNULL", 0, U_NULL, 0, 0, 0, 0),
    AL("kRSA", K_RSA, 0, 0, 0, 0, 0), AL("aRSA", 0, U_RSA, 0, 0, 0, 0), AL("RSA", K_RSA, 0, 0, 0, 0, 0),
    AL("kDHE", K_DHE, 0, 0, 0, 0, 0), AL("kEDH", K_DHE, 0, 0, 0, 0, 0), AL("DH", K_DHE, 0, 0, 0, 0, 0),
    AL("DHE", K_DHE, (uint16_t)~U_NULL, 0, 0, 0, 0), AL("EDH", K_DHE, (uint16_t)~U_NULL, 0, 0, 0, 0),
    AL("ADH", K_DHE, U_NULL, 0, 0, 0, 0),
    AL("kEECDH", K_ECDHE, 0, 0, 0, 0, 0), AL("kECDHE", K_ECDHE, 0, 0, 0, 0, 0),
    AL("ECDH", K_ECDHE, 0, 0, 0, 0, 0),
    AL("ECDHE", K_ECDHE, (uint16_t)~U_NULL, 0, 0, 0, 0), AL("EECDH", K_ECDHE, (uint16_t)~U_NULL, 0, 0, 0, 0),
    AL("AECDH", K_ECDHE, U_NULL, 0, 0, 0, 0),
    AL("aDSS", 0, U_DSS, 0, 0, 0, 0), AL("DSS", 0, U_DSS, 0, 0, 0, 0),
    AL("aECDSA", 0, U_ECDSA, 0, 0, 0, 0), AL("ECDSA", 0, U_ECDSA, 0, 0, 0, 0),
    AL("TLSv1.2", 0, 0, 0, 0, TLS1_2_VERSION, 0), AL("TLSv1.0", 0, 0, 0, 0, TLS1_VERSION, 0),
    AL("TLSv1", 0, 0, 0, 0, TLS1_VERSION, 0), AL("SSLv3", 0, 0, 0, 0, SSL3_VERSION, 0),
    AL("AES128", 0, 0, E_AES128 | E_AESGCM128 | E_AESCCM128 | E_AESCCM8128, 0, 0, 0),
    AL("AES256", 0, 0, E_AES256 | E_AESGCM256 | E_AESCCM256 | E_AESCCM8256, 0, 0, 0),
    AL("AES", 0, 0, E_AES, 0, 0, 0),
    AL("AESGCM", 0, 0, E_AESGCM128 | E_AESGCM256, 0, 0, 0),
    AL("AESCCM", 0, 0, E_AESCCM128 | E_AESCCM256 | E_AESCCM8128 | E_AESCCM8256, 0, 0, 0),
    AL("AESCCM8", 0, 0, E_AESCCM8128 | E_AESCCM8256, 0, 0, 0),
    AL("ARIA128", 0, 0, E_ARIAGCM128, 0, 0, 0), AL("ARIA256", 0, 0, E_ARIAGCM256, 0, 0, 0),
    AL("ARIA", 0, 0, E_ARIAGCM128 | E_ARIAGCM256, 0, 0, 0),
    AL("ARIAGCM", 0, 0, E_ARIAGCM128 | E_ARIAGCM256, 0, 0, 0),
    AL("CAMELLIA128", 0, 0, E_CAMELLIA128, 0, 0, 0), AL("CAMELLIA256", 0, 0, E_CAMELLIA256, 0, 0, 0),
    AL("CAMELLIA", 0, 0, E_CAMELLIA128 | E_CAMELLIA256, 0, 0, 0),
    AL("CHACHA20", 0, 0, E_CHACHA20, 0, 0, 0),
    AL("3DES", 0, 0, E_3DES, 0, 0, 0), AL("DES", 0, 0, E_DES, 0, 0, 0), AL("RC4", 0, 0, E_RC4, 0, 0, 0),
    AL("RC2", 0, 0, E_RC2, 0, 0, 0), AL("IDEA", 0, 0, E_IDEA, 0, 0, 0), AL("SEED", 0, 0, E_SEED, 0, 0, 0),
    AL("MD5", 0, 0, 0, M_MD5, 0, 0), AL("SHA1", 0, 0, 0, M_SHA1, 0, 0), AL("SHA", 0, 0, 0, M_SHA1, 0, 0),
    AL("SHA256", 0, 0, 0, M_SHA256, 0, 0), AL("SHA384", 0, 0, 0, M_SHA384, 0, 0),
    AL("aGOST", 0, U_GOST01 | U_GOST12, 0, 0, 0, 0), AL("aGOST01", 0, U_GOST01, 0, 0, 0, 0),
    AL("aGOST12", 0, U_GOST12, 0, 0, 0, 0), AL("kGOST", K_GOST, 0, 0, 0, 0, 0),
    AL("kGOST18", K_GOST18, 0, 0, 0, 0, 0), AL("GOST94", 0, 0, 0, M_GOST94, 0, 0),
    AL("GOST12", 0, 0, 0, M_GOST12, 0, 0), AL("GOST89MAC", 0, 0, 0, M_GOST89MAC, 0, 0),
    AL("GOST89MAC12", 0, 0, 0, M_GOST89MAC12, 0, 0), AL("GOST89", 0, 0, E_GOST89, 0, 0, 0),
    AL("PSK", K_PSK | K_RSAPSK | K_DHEPSK | K_ECDHEPSK, 0, 0, 0, 0, 0),
    AL("kPSK", K_PSK, 0, 0, 0, 0, 0), AL("kECDHEPSK", K_ECDHEPSK, 0, 0, 0, 0, 0),
    AL("kDHEPSK", K_DHEPSK, 0, 0, 0, 0, 0), AL("kRSAPSK", K_RSAPSK, 0, 0, 0, 0, 0),
    AL("aPSK", 0, U_PSK, 0, 0, 0, 0),
    AL("kSRP", K_SRP, 0, 0, 0, 0, 0), AL("SRP", K_SRP, 0, 0, 0, 0, 0), AL("aSRP", 0, U_SRP, 0, 0, 0, 0),
    AL("CBC", 0, 0, E_DES | E_3DES | E_RC2 | E_IDEA | E_AES128 | E_AES256 | E_CAMELLIA128
                    | E_CAMELLIA256 | E_SEED, 0, 0, 0),
};
#define NALIAS (sizeof(aliases) / sizeof(aliases[0]))

/* Intersect one mask of a '+'-joined term with the next word's; 0 when nothing can match. */
#define JOIN(acc, m) do { if ((m) != 0) { if ((acc) != 0 && ((acc) &= (m)) == 0) return 0; \
                                          if ((acc) == 0) (acc) = (m); } } while (0)

/* Add the word w[0..len) to pattern p. Returns 0 for an unknown word or an empty intersection:
 * either way the whole term selects nothing. */
static int join_word(struct pattern *p, const char *w, size_t len)
{
    struct pattern q;
    size_t i;

    for (i = 0; i < NCAT; i++)
        if (strlen(catalogue[i].name) == len && strncmp(catalogue[i].name, w, len) == 0)
            break;
    if (i < NCAT) {
        /* A suite's name: its own attributes, and the suite itself; its version is not part of
         * the pattern. */
        const struct suite12 *c = &catalogue[i];
        q = (struct pattern){ c->kx, c->au, c->enc, c->mac, 0, c->strength & S_MASK,
                              (c->strength & F_NOTDEF) != 0, (int)i };
    } else {
        for (i = 0; i < NALIAS; i++)
            if (strlen(aliases[i].name) == len && strncmp(aliases[i].name, w, len) == 0)
                break;
        if (i == NALIAS)
            return 0;
        q = aliases[i].p;
    }
    JOIN(p->kx, q.kx);
    JOIN(p->au, q.au);
    JOIN(p->enc, q.enc);
    JOIN(p->mac, q.mac);
    /* OpenSSL keeps the strength class and the "not in DEFAULT" flag in one word and, when a
     * class first appears, overwrites the word: "COMPLEMENTOFDEFAULT+HIGH" is plain HIGH
     * (while "HIGH+COMPLEMENTOFDEFAULT" is the intersection). Reproduced, being observable. */
    if (q.strength != 0 && p->strength == 0)
        p->notdef = 0;
    JOIN(p->strength, q.strength);
    if (q.min_tls != 0) {
        if (p->min_tls != 0 && p->min_tls != q.min_tls)
            return 0;
        p->min_tls = q.min_tls;
    }
    p->notdef |= q.notdef;
    if (q.suite >= 0)
        p->suite = q.suite;
    return 1;
}

static int matches(const struct pattern *p, const struct suite12 *c, size_t idx)
{
    return (p->suite < 0 || (size_t)p->suite == idx) && (p->kx == 0 || (p->kx & c->kx))
        && (p->au == 0 || (p->au & c->au)) && (p->enc == 0 || (p->enc & c->enc))
        && (p->mac == 0 || (p->mac & c->mac)) && (p->min_tls == 0 || p->min_tls == c->min_tls)
        && (p->strength == 0 || (p->strength & c->strength)) && (!p->notdef || (c->strength & F_NOTDEF));
}

/* The working list: every suite not yet killed, in order, each active (selected) or not.
 * openssl-ciphers(1): a plain term appends the matching suites not yet in the list; '+' moves the
 * matching selected ones to the end; '-' removes them but they may come back ("most recently
 * removed first" when they do); '!' removes them for good. */
struct worklist {
    uint8_t order[NCAT];
    uint8_t active[NCAT];
    size_t len;
};

enum { OP_ADD, OP_MOVE, OP_DEL, OP_KILL };

static void apply(struct worklist *L, const struct pattern *p, int op)
{
    uint8_t hit[NCAT], rest[NCAT];
    size_t nh = 0, nr = 0;

    for (size_t i = 0; i < L->len; i++) {
        size_t c = L->order[i];
        int m = matches(p, &catalogue[c], c);
        if (m && op == OP_ADD && L->active[c])
            m = 0; /* already listed: stays where it is */
        if (m && (op == OP_MOVE || op == OP_DEL) && !L->active[c])
            m = 0;
        if (m)
            hit[nh++] = (uint8_t)c;
        else
            rest[nr++] = (uint8_t)c;
    }
    switch (op) {
    case OP_ADD:
    case OP_MOVE:
        for (size_t i = 0; i < nh; i++)
            L->active[hit[i]] = 1;
        memcpy(L->order, rest, nr);
        memcpy(L->order + nr, hit, nh);
        break;
    case OP_DEL:
        /* Removed suites go first, so that a later term re-adds them before the others. */
        for (size_t i = 0; i < nh; i++)
            L->active[hit[i]] = 0;
        memcpy(L->order, hit, nh);
        memcpy(L->order + nh, rest, nr);
        break;
    case OP_KILL:
        for (size_t i = 0; i < nh; i++)
            L->active[hit[i]] = 0;
        memcpy(L->order, rest, nr);
        L->len = nr;
        break;
    }
}

/* @STRENGTH: the selected suites, stably sorted by key length, strongest first. */
static void strength_sort(struct worklist *L)
{
    uint8_t out[NCAT];
    size_t n = 0;

    for (size_t i = 0; i < L->len; i++)
        if (!L->active[L->order[i]])
            out[n++] = L->order[i];
    for (int bits = 256; bits >= 0; bits--)
        for (size_t i = 0; i < L->len; i++)
            if (L->active[L->order[i]] && catalogue[L->order[i]].bits == bits)
                out[n++] = L->order[i];
    memcpy(L->order, out, L->len);
}

static int is_sep(char c) { return c == ':' || c == ' ' || c == ';' || c == ','; }

static int is_word(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
        || c == '_' || c == '.' || c == '=';
}

/* One rule string. Terms are separated by ':', ',', ' ' or ';', or simply follow each other when
 * the next one starts with an operator ("HIGH!aNULL", "HIGH@STRENGTH"). Unknown words are
 * ignored; a character that can begin no term is SSL_R_INVALID_COMMAND. */
static int process(const char *l, struct worklist *L, int *seclevel)
{
    int ok = 1;

    while (*l != '\0') {
        char ch = *l;
        int op = OP_ADD, special = 0;
        if (is_sep(ch)) {
            l++;
            continue;
        }
        if (ch == '-' || ch == '+' || ch == '!' || ch == '@') {
            op = ch == '-' ? OP_DEL : ch == '+' ? OP_MOVE : OP_KILL;
            special = ch == '@';
            l++;
        }
        struct pattern p = { 0, 0, 0, 0, 0, 0, 0, -1 };
        const char *w;
        size_t wl;
        int found = 0;
        for (;;) {
            for (w = l, wl = 0; is_word(*l); l++)
                wl++;
            if (wl == 0) {
                ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_COMMAND);
                return 0;
            }
            if (special)
                break;
            int more = *l == '+';
            if (more)
                l++;
            found = join_word(&p, w, wl);
            if (!found || !more)
                break;
        }
        if (special) {
            if (wl == 8 && strncmp(w, "STRENGTH", 8) == 0) {
                strength_sort(L);
            } else if (wl == 10 && strncmp(w, "SECLEVEL=", 9) == 0 && w[9] >= '0' && w[9] <= '5') {
                /* SSL_CTX_set_security_level(3) through the string; set even if the string
                 * then fails, as OpenSSL does. */
                if (seclevel != NULL)
                    *seclevel = w[9] - '0';
            } else {
                ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_COMMAND);
                ok = 0;
            }
        } else if (found) {
            apply(L, &p, op);
            continue;
        }
        /* The rest of an ignored or special term, up to the next separator, is dropped. */
        while (*l != '\0' && !is_sep(*l))
            l++;
    }
    return ok;
}

/* SUITEB128, SUITEB128ONLY, SUITEB128C2, SUITEB192 at the start of the string replace it by the
 * Suite B suites (RFC 6460 §3.1); the rest of the string is ignored. */
static const char *suiteb(const char *str)
{
    if (strncmp(str, "SUITEB128ONLY", 13) == 0)
        return "ECDHE-ECDSA-AES128-GCM-SHA256";
    if (strncmp(str, "SUITEB128C2", 11) == 0 || strncmp(str, "SUITEB192", 9) == 0)
        return "ECDHE-ECDSA-AES256-GCM-SHA384";
    if (strncmp(str, "SUITEB128", 9) == 0)
        return "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384";
    return str;
}

/* Returns 1 with the new list; 0 on a syntax error (list untouched); -1 when the string selects
 * no suite at all (SSL_R_NO_CIPHER_MATCH): OpenSSL has then already replaced the list, so the
 * caller installs the empty TLS 1.2 list given back. */
int keel_cipher_list_parse(const char *str, const SSL_CIPHER **out, size_t *n, int *seclevel)
{
    struct worklist L;
    size_t count = 0, any = 0;

    L.len = NCAT;
    for (size_t i = 0; i < NCAT; i++) {
        L.order[i] = (uint8_t)i;
        L.active[i] = 0;
    }
    str = suiteb(str);
    /* The DEFAULT keyword, only as the string's first word (openssl-ciphers(1)). */
    if (strncmp(str, "DEFAULT", 7) == 0) {
        if (!process(OSSL_default_cipher_list(), &L, seclevel))
            return 0;
        str += 7;
        if (*str == ':')
            str++;
    }
    if (!process(str, &L, seclevel))
        return 0;
    for (size_t i = 0; i < L.len; i++) {
        const char *name = catalogue[L.order[i]].name;
        if (!L.active[L.order[i]])
            continue;
        any++;
        const SSL_CIPHER *c = keel_cipher_by_name(name, strlen(name));
        if (c != NULL && c->min_tls == TLS1_2_VERSION && strcmp(c->name, name) == 0 && count < KEEL_MAX_CIPHERS)
            out[count++] = c;
    }
    *n = count;
    if (any == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_CIPHER_MATCH);
        return -1;
    }
    return 1;
}

/* ---- the words of openssl-ciphers(1) -v, from the catalogue's attributes ---- */

static const char *bit_word(uint32_t bits, const uint32_t *keys, const char *const *words, size_t n,
                            const char *none)
{
    for (size_t i = 0; i < n; i++)
        if (bits & keys[i])
            return words[i];
    return none;
}

void keel_cipher_words(const SSL_CIPHER *c, const char **version, const char **kx, const char **au,
                       char enc[32], const char **mac)
{
    static const uint32_t kk[] = { K_RSA, K_DHE, K_ECDHE, K_PSK, K_RSAPSK, K_DHEPSK, K_ECDHEPSK, K_SRP };
    static const char *const kw[] = { "RSA", "DH", "ECDH", "PSK", "RSAPSK", "DHEPSK", "ECDHEPSK", "SRP" };
    static const uint32_t ak[] = { U_RSA, U_DSS, U_ECDSA, U_NULL, U_PSK, U_SRP };
    static const char *const aw[] = { "RSA", "DSS", "ECDSA", "None", "PSK", "SRP" };
    static const uint32_t ek[] = { E_AES128 | E_AES256, E_AESGCM128 | E_AESGCM256, E_AESCCM128 | E_AESCCM256,
                                   E_AESCCM8128 | E_AESCCM8256, E_ARIAGCM128 | E_ARIAGCM256,
                                   E_CAMELLIA128 | E_CAMELLIA256, E_CHACHA20 };
    static const char *const ew[] = { "AES", "AESGCM", "AESCCM", "AESCCM8", "ARIAGCM", "Camellia",
                                      "CHACHA20/POLY1305" };
    static const uint32_t mk[] = { M_MD5, M_SHA1, M_SHA256, M_SHA384, M_AEAD };
    static const char *const mw[] = { "MD5", "SHA1", "SHA256", "SHA384", "AEAD" };
    const struct suite12 *e = NULL;
    const char *ename;

    for (size_t i = 0; i < NCAT && c->min_tls != TLS1_3_VERSION; i++)
        if (strcmp(catalogue[i].name, c->name) == 0)
            e = &catalogue[i];
    if (e == NULL) {
        /* TLS 1.3 suites (RFC 8446 §B.4): any key exchange and authentication. */
        static const char *const aead[] = { "AESGCM", "AESGCM", "CHACHA20/POLY1305", "AESCCM",
                                            "AESCCM", "AESCCM8", "AESCCM8" };
        *version = c->min_tls == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2";
        *kx = *au = "any";
        *mac = "AEAD";
        ename = (unsigned)c->aead < sizeof(aead) / sizeof(aead[0]) ? aead[c->aead] : "unknown";
    } else {
        *version = e->min_tls == SSL3_VERSION ? "SSLv3" : e->min_tls == TLS1_VERSION ? "TLSv1" : "TLSv1.2";
        *kx = bit_word(e->kx, kk, kw, sizeof(kk) / sizeof(kk[0]), "unknown");
        *au = bit_word(e->au, ak, aw, sizeof(ak) / sizeof(ak[0]), "unknown");
        *mac = bit_word(e->mac, mk, mw, sizeof(mk) / sizeof(mk[0]), "unknown");
        ename = bit_word(e->enc, ek, ew, sizeof(ek) / sizeof(ek[0]), "None");
    }
    if (strcmp(ename, "None") == 0)
        snprintf(enc, 32, "None");
    else
        snprintf(enc, 32, "%s(%d)", ename, c->bits);
}
