/* The cipher-suite table, the SSL_CIPHER getters and the two configuration grammars:
 * SSL_CTX_set_ciphersuites (TLS 1.3: a ':'-list of names) and SSL_CTX_set_cipher_list (TLS 1.2:
 * openssl-ciphers(1)'s cipher strings, for the suites keel implements). */
#include "internal.h"
#include "api/cipher.h"

#include <openssl/objects.h>
#include <stdio.h>
#include <string.h>

/* Attribute bits for cipher-string aliases. */
enum {
    A_KECDHE = 1 << 0, A_ARSA = 1 << 1, A_AECDSA = 1 << 2, A_AESGCM = 1 << 3, A_AES128 = 1 << 4,
    A_AES256 = 1 << 5, A_CHACHA = 1 << 6, A_SHA256 = 1 << 7, A_SHA384 = 1 << 8, A_TLS12 = 1 << 9,
    A_AEAD = 1 << 10, A_HIGH = 1 << 11, A_TLS13 = 1 << 12,
};

#define T13(code, name, aead, hash, bits, attrs) \
    { name, name, 0x03000000u | (code), (code), TLS1_3_VERSION, bits, aead, hash, \
      NID_kx_any, NID_auth_any, attrs | A_TLS13 | A_AEAD | A_HIGH }
#define T12(code, name, std, aead, hash, bits, auth, attrs) \
    { name, std, 0x03000000u | (code), (code), TLS1_2_VERSION, bits, aead, hash, \
      NID_kx_ecdhe, auth, attrs | A_KECDHE | A_TLS12 | A_AEAD | A_HIGH }

/* Order = the default preference order (strongest first, as OpenSSL's DEFAULT sorts them). */
static const SSL_CIPHER table[] = {
    T13(0x1302, "TLS_AES_256_GCM_SHA384", KEEL_AEAD_AES_256_GCM, KEEL_HASH_SHA384, 256, A_AESGCM | A_AES256 | A_SHA384),
    T13(0x1303, "TLS_CHACHA20_POLY1305_SHA256", KEEL_AEAD_CHACHA20_POLY1305, KEEL_HASH_SHA256, 256, A_CHACHA | A_SHA256),
    T13(0x1301, "TLS_AES_128_GCM_SHA256", KEEL_AEAD_AES_128_GCM, KEEL_HASH_SHA256, 128, A_AESGCM | A_AES128 | A_SHA256),
    T12(0xC02C, "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        KEEL_AEAD_AES_256_GCM, KEEL_HASH_SHA384, 256, NID_auth_ecdsa, A_AECDSA | A_AESGCM | A_AES256 | A_SHA384),
    T12(0xC030, "ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        KEEL_AEAD_AES_256_GCM, KEEL_HASH_SHA384, 256, NID_auth_rsa, A_ARSA | A_AESGCM | A_AES256 | A_SHA384),
    T12(0xCCA9, "ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        KEEL_AEAD_CHACHA20_POLY1305, KEEL_HASH_SHA256, 256, NID_auth_ecdsa, A_AECDSA | A_CHACHA | A_SHA256),
    T12(0xCCA8, "ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        KEEL_AEAD_CHACHA20_POLY1305, KEEL_HASH_SHA256, 256, NID_auth_rsa, A_ARSA | A_CHACHA | A_SHA256),
    T12(0xC02B, "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        KEEL_AEAD_AES_128_GCM, KEEL_HASH_SHA256, 128, NID_auth_ecdsa, A_AECDSA | A_AESGCM | A_AES128 | A_SHA256),
    T12(0xC02F, "ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        KEEL_AEAD_AES_128_GCM, KEEL_HASH_SHA256, 128, NID_auth_rsa, A_ARSA | A_AESGCM | A_AES128 | A_SHA256),
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

const SSL_CIPHER *keel_cipher_by_code(uint16_t code)
{
    for (size_t i = 0; i < NTABLE; i++)
        if (table[i].code == code)
            return &table[i];
    return NULL;
}

static const SSL_CIPHER *by_name(const char *name, size_t len)
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
    return keel_ciphersuites_parse(OSSL_default_ciphersuites(), s->ciphers13, &s->nciphers13)
        && keel_cipher_list_parse(OSSL_default_cipher_list(), s->ciphers12, &s->nciphers12, NULL);
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
    const SSL_CIPHER *list[KEEL_MAX_CIPHERS];
    size_t count = 0;

    for (const char *p = str; *p != '\0';) {
        size_t len = strcspn(p, ":");
        const SSL_CIPHER *c = by_name(p, len);
        if (c != NULL && c->min_tls == TLS1_3_VERSION) {
            size_t j;
            for (j = 0; j < count && list[j] != c; j++)
                ;
            if (j == count && count < KEEL_MAX_CIPHERS)
                list[count++] = c;
        }
        p += len;
        if (*p == ':')
            p++;
    }
    if (count == 0 && *str != '\0') {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_CIPHER_MATCH);
        return 0;
    }
    memcpy(out, list, count * sizeof(list[0]));
    *n = count;
    return 1;
}

/* ---- TLS 1.2: openssl-ciphers(1) grammar over keel's suites ---- */

struct alias { const char *name; uint32_t attrs; };
static const struct alias aliases[] = {
    { "ALL", A_TLS12 }, { "DEFAULT", A_TLS12 }, { "HIGH", A_HIGH }, { "FIPS", A_HIGH },
    { "kECDHE", A_KECDHE }, { "ECDHE", A_KECDHE }, { "EECDH", A_KECDHE }, { "kEECDH", A_KECDHE },
    { "aRSA", A_ARSA }, { "aECDSA", A_AECDSA }, { "ECDSA", A_AECDSA }, { "AESGCM", A_AESGCM },
    { "AES", A_AES128 | A_AES256 }, { "AES128", A_AES128 }, { "AES256", A_AES256 },
    { "CHACHA20", A_CHACHA }, { "SHA256", A_SHA256 }, { "SHA384", A_SHA384 },
    { "TLSv1.2", A_TLS12 }, { "AEAD", A_AEAD },
    /* Known to OpenSSL, matching none of keel's suites. */
    { "COMPLEMENTOFDEFAULT", 0 }, { "COMPLEMENTOFALL", 0 }, { "MEDIUM", 0 }, { "LOW", 0 },
    { "eNULL", 0 }, { "NULL", 0 }, { "aNULL", 0 }, { "ADH", 0 }, { "AECDH", 0 }, { "kRSA", 0 },
    { "RSA", 0 }, { "DHE", 0 }, { "EDH", 0 }, { "kDHE", 0 }, { "kEDH", 0 }, { "MD5", 0 },
    { "SHA1", 0 }, { "SHA", 0 }, { "PSK", 0 }, { "SRP", 0 }, { "3DES", 0 }, { "DES", 0 },
    { "RC4", 0 }, { "CAMELLIA", 0 }, { "ARIA", 0 }, { "CCM", 0 }, { "CCM8", 0 }, { "IDEA", 0 },
    { "SEED", 0 }, { "EXP", 0 }, { "EXPORT", 0 }, { "TLSv1", 0 }, { "SSLv3", 0 }, { "TLSv1.0", 0 },
    { "aDSS", 0 }, { "DSS", 0 }, { "kPSK", 0 }, { "aPSK", 0 }, { "ECDHEPSK", 0 }, { "DHEPSK", 0 },
    { "RSAPSK", 0 }, { "kECDHEPSK", 0 }, { "kDHEPSK", 0 }, { "kRSAPSK", 0 }, { "aGOST", 0 },
    { "SUITEB128", 0 }, { "SUITEB192", 0 }, { "SUITEB128ONLY", 0 },
};

/* The set of table entries one '+'-joined term selects. Returns 0 for an unknown word. */
static int term_mask(const char *t, size_t len, uint32_t *sel)
{
    uint32_t set = (1u << NTABLE) - 1;
    const char *end = t + len;

    while (t < end) {
        size_t wl = 0;
        while (t + wl < end && t[wl] != '+')
            wl++;
        uint32_t wset = 0;
        const SSL_CIPHER *c = by_name(t, wl);
        if (c != NULL) {
            wset = 1u << (c - table);
        } else {
            size_t a;
            for (a = 0; a < sizeof(aliases) / sizeof(aliases[0]); a++)
                if (strlen(aliases[a].name) == wl && strncmp(aliases[a].name, t, wl) == 0)
                    break;
            if (a == sizeof(aliases) / sizeof(aliases[0]))
                return 0;
            for (size_t i = 0; i < NTABLE; i++)
                if (aliases[a].attrs != 0 && (table[i].attrs & aliases[a].attrs) != 0)
                    wset |= 1u << i;
        }
        set &= wset;
        t += wl;
        if (t < end)
            t++;
    }
    /* The TLS 1.2 list never holds TLS 1.3 suites. */
    for (size_t i = 0; i < NTABLE; i++)
        if (table[i].min_tls == TLS1_3_VERSION)
            set &= ~(1u << i);
    *sel = set;
    return 1;
}

int keel_cipher_list_parse(const char *str, const SSL_CIPHER **out, size_t *n, int *seclevel)
{
    int order[NTABLE];
    size_t count = 0;
    uint32_t killed = 0;

    for (const char *p = str; *p != '\0';) {
        size_t len = strcspn(p, ":, ;");
        /* "DEFAULT@SECLEVEL=n": a list may begin with DEFAULT and go straight on to a command. */
        if (p == str && len > 7 && strncmp(p, "DEFAULT@", 8) == 0)
            len = 7;
        if (len > 0) {
            char op = *p;
            const char *t = p;
            size_t tl = len;
            uint32_t sel;
            if (op == '!' || op == '-' || op == '+') {
                t++;
                tl--;
            } else {
                op = 0;
            }
            if (t[0] == '@') {
                if (tl == 9 && strncmp(t, "@STRENGTH", 9) == 0) {
                    /* Stable sort by bits, strongest first. */
                    for (size_t i = 1; i < count; i++)
                        for (size_t j = i; j > 0 && table[order[j]].bits > table[order[j - 1]].bits; j--) {
                            int tmp = order[j]; order[j] = order[j - 1]; order[j - 1] = tmp;
                        }
                } else if (tl >= 10 && strncmp(t, "@SECLEVEL=", 10) == 0) {
                    /* SSL_CTX_set_security_level(3) through the cipher string (openssl-ciphers(1)):
                     * one digit 0..5. As in OpenSSL the level is set even if the list then
                     * selects nothing. */
                    if (tl != 11 || t[10] < '0' || t[10] > '5') { /* "@SECLEVEL=", "=7", "=12" */
                        ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_COMMAND);
                        return 0;
                    }
                    if (seclevel != NULL)
                        *seclevel = t[10] - '0';
                }
            } else if (term_mask(t, tl, &sel)) {
                size_t w = 0;
                switch (op) {
                case '!':
                    killed |= sel;
                    /* fall through */
                case '-':
                    for (size_t i = 0; i < count; i++)
                        if (!(sel & (1u << order[i])))
                            order[w++] = order[i];
                    count = w;
                    break;
                case '+': {
                    int moved[NTABLE];
                    size_t m = 0;
                    for (size_t i = 0; i < count; i++) {
                        if (sel & (1u << order[i]))
                            moved[m++] = order[i];
                        else
                            order[w++] = order[i];
                    }
                    memcpy(order + w, moved, m * sizeof(int));
                    break;
                }
                default:
                    for (size_t i = 0; i < NTABLE; i++) {
                        if (!(sel & (1u << i)) || (killed & (1u << i)))
                            continue;
                        size_t j;
                        for (j = 0; j < count && order[j] != (int)i; j++)
                            ;
                        if (j == count)
                            order[count++] = (int)i;
                    }
                }
            }
            /* Unknown words are ignored, as openssl-ciphers(1) says. */
        }
        p += len;
        if (*p != '\0' && *p != '@')
            p++;
    }
    if (count == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_CIPHER_MATCH);
        return 0;
    }
    for (size_t i = 0; i < count; i++)
        out[i] = &table[order[i]];
    *n = count;
    return 1;
}

/* ---- SSL_CIPHER getters (SSL_CIPHER_get_name(3)) ---- */

const char *SSL_CIPHER_get_name(const SSL_CIPHER *c) { return c != NULL ? c->name : "(NONE)"; }
const char *SSL_CIPHER_standard_name(const SSL_CIPHER *c) { return c != NULL ? c->stdname : "(NONE)"; }

const char *OPENSSL_cipher_name(const char *stdname)
{
    const SSL_CIPHER *c = stdname != NULL ? by_name(stdname, strlen(stdname)) : NULL;
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
    const char *kx = c->kx_nid == NID_kx_any ? "any" : "ECDH";
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
