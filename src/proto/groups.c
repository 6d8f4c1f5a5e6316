/* Named groups and signature schemes by name and NID, for SSL_CTX_set1_groups[_list] and
 * SSL_CTX_set1_sigalgs_list. Codepoints: RFC 8446 §4.2.7 and §4.2.3. */
#include "internal.h"

#include <openssl/obj_mac.h>
#include <string.h>
#include <strings.h>

struct group { uint16_t id; int nid; const char *names[3]; };
static const struct group groups[] = {
    { 0x001d, NID_X25519, { "X25519", "x25519", NULL } },
    { 0x0017, NID_X9_62_prime256v1, { "P-256", "prime256v1", "secp256r1" } },
    { 0x001e, NID_X448, { "X448", "x448", NULL } },
    { 0x0019, NID_secp521r1, { "P-521", "secp521r1", NULL } },
    { 0x0018, NID_secp384r1, { "P-384", "secp384r1", NULL } },
    /* RFC 7919 §6.1 finite-field groups: OpenSSL 3.0 knows each by its one registry name. */
    { 0x0100, NID_ffdhe2048, { "ffdhe2048", NULL, NULL } },
    { 0x0101, NID_ffdhe3072, { "ffdhe3072", NULL, NULL } },
    { 0x0102, NID_ffdhe4096, { "ffdhe4096", NULL, NULL } },
    { 0x0103, NID_ffdhe6144, { "ffdhe6144", NULL, NULL } },
    { 0x0104, NID_ffdhe8192, { "ffdhe8192", NULL, NULL } },
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

int keel_group_nid(uint16_t id)
{
    for (size_t i = 0; i < NGROUPS; i++)
        if (groups[i].id == id)
            return groups[i].nid;
    return NID_undef;
}

/* RFC 7919 §2: 0x0100-0x01FF are the finite-field groups; TLS 1.2 ECDHE (RFC 8422 §5.1.1) uses
 * only the others, and OpenSSL 3.0 offers them for TLS 1.3 only. */
int keel_group_is_ffdhe(uint16_t id) { return id >= 0x0100 && id <= 0x01ff; }

const char *keel_group_name(uint16_t id)
{
    for (size_t i = 0; i < NGROUPS; i++)
        if (groups[i].id == id)
            return groups[i].names[0];
    return NULL;
}

/* quiet: fail without a reason, as OpenSSL 3.0's list parsers do for a duplicate or too many. */
static int add_unique_q(uint16_t *out, size_t *n, size_t max, uint16_t v, int quiet)
{
    for (size_t i = 0; i < *n; i++)
        if (out[i] == v) {
            if (!quiet)
                ERR_raise(ERR_LIB_SSL, SSL_R_BAD_VALUE);
            return 0;
        }
    if (*n >= max) {
        if (!quiet)
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
        return 0;
    }
    out[(*n)++] = v;
    return 1;
}

static int add_unique(uint16_t *out, size_t *n, size_t max, uint16_t v)
{
    return add_unique_q(out, n, max, v, 0);
}

/* "X25519:P-256:…"; an unknown name or a duplicate fails the whole list, so that a typo never
 * silently narrows what the application asked for. Names are case-sensitive, as OpenSSL 3.0's
 * ("p-256" and "FFDHE2048" are refused; X25519 and X448 have both spellings: tests/diff/ffdhe13.c).
 * The reasons are OpenSSL 3.0's (tests/diff/errcodes.c): ERR_R_PASSED_INVALID_ARGUMENT for an
 * unknown name, nothing for an empty list, an empty element or a duplicate. */
int keel_groups_parse(const char *list, uint16_t *out, size_t *n)
{
    uint16_t tmp[KEEL_MAX_GROUPS];
    size_t count = 0;

    for (const char *p = list; *p != '\0';) {
        size_t len = strcspn(p, ":");
        size_t i, k = 0;
        for (i = 0; i < NGROUPS; i++) {
            for (k = 0; k < 3 && groups[i].names[k] != NULL; k++)
                if (strlen(groups[i].names[k]) == len && strncmp(groups[i].names[k], p, len) == 0)
                    break;
            if (k < 3 && groups[i].names[k] != NULL)
                break;
        }
        if (len == 0)
            return 0;
        if (i == NGROUPS) {
            ERR_raise_data(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT, "group '%.*s'", (int)len, p);
            return 0;
        }
        if (!add_unique_q(tmp, &count, KEEL_MAX_GROUPS, groups[i].id, 1))
            return 0;
        p += len;
        if (*p == ':')
            p++;
    }
    if (count == 0)
        return 0;
    memcpy(out, tmp, count * sizeof(tmp[0]));
    *n = count;
    return 1;
}

int keel_groups_from_nids(const int *nids, size_t count, uint16_t *out, size_t *n)
{
    uint16_t tmp[KEEL_MAX_GROUPS];
    size_t c = 0;

    if (nids == NULL || count == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
        return 0;
    }
    for (size_t j = 0; j < count; j++) {
        size_t i;
        for (i = 0; i < NGROUPS && groups[i].nid != nids[j]; i++)
            ;
        if (i == NGROUPS) {
            ERR_raise(ERR_LIB_SSL, SSL_R_UNSUPPORTED_ELLIPTIC_CURVE);
            return 0;
        }
        if (!add_unique(tmp, &c, KEEL_MAX_GROUPS, groups[i].id))
            return 0;
    }
    memcpy(out, tmp, c * sizeof(tmp[0]));
    *n = c;
    return 1;
}

/* Signature schemes: the TLS 1.3 name, and OpenSSL's "ALG+HASH" form. OpenSSL 3.0 knows
 * ecdsa_sha224 and ecdsa_sha1 by the "ALG+HASH" form only (a list naming them otherwise is
 * refused, tests/diff/sigalgs.c): no name. */
struct sigalg { uint16_t id; const char *name; const char *pair; };
static const struct sigalg sigalgs[] = {
    { 0x0403, "ecdsa_secp256r1_sha256", "ECDSA+SHA256" },
    { 0x0503, "ecdsa_secp384r1_sha384", "ECDSA+SHA384" },
    { 0x0603, "ecdsa_secp521r1_sha512", "ECDSA+SHA512" },
    { 0x0807, "ed25519", "ed25519" },
    { 0x0808, "ed448", "ed448" },
    { 0x0809, "rsa_pss_pss_sha256", NULL },
    { 0x080a, "rsa_pss_pss_sha384", NULL },
    { 0x080b, "rsa_pss_pss_sha512", NULL },
    { 0x0804, "rsa_pss_rsae_sha256", "RSA-PSS+SHA256" },
    { 0x0805, "rsa_pss_rsae_sha384", "RSA-PSS+SHA384" },
    { 0x0806, "rsa_pss_rsae_sha512", "RSA-PSS+SHA512" },
    { 0x0401, "rsa_pkcs1_sha256", "RSA+SHA256" },
    { 0x0501, "rsa_pkcs1_sha384", "RSA+SHA384" },
    { 0x0601, "rsa_pkcs1_sha512", "RSA+SHA512" },
    /* OpenSSL 3.0's order for the legacy ones: what its CertificateRequest lists at level 0. */
    { 0x0303, NULL, "ECDSA+SHA224" },
    { 0x0203, NULL, "ECDSA+SHA1" },
    { 0x0301, "rsa_pkcs1_sha224", "RSA+SHA224" },
    { 0x0201, "rsa_pkcs1_sha1", "RSA+SHA1" },
};
#define NSIGALGS (sizeof(sigalgs) / sizeof(sigalgs[0]))

/* keel's default list, in preference order (the table's order). */
size_t keel_sigalgs_default(const uint16_t **out)
{
    static uint16_t ids[NSIGALGS];
    static atomic_int ready;
    if (!atomic_load(&ready)) {
        for (size_t i = 0; i < NSIGALGS; i++)
            ids[i] = sigalgs[i].id;
        atomic_store(&ready, 1);
    }
    *out = ids;
    return NSIGALGS;
}

const char *keel_sigalg_name(uint16_t id)
{
    for (size_t i = 0; i < NSIGALGS; i++)
        if (sigalgs[i].id == id)
            return sigalgs[i].name;
    return NULL;
}

int keel_sigalgs_parse(const char *list, uint16_t *out, size_t *n)
{
    uint16_t tmp[KEEL_MAX_SIGALGS];
    size_t count = 0;

    for (const char *p = list; *p != '\0';) {
        size_t len = strcspn(p, ":");
        size_t i;
        for (i = 0; i < NSIGALGS; i++) {
            const struct sigalg *a = &sigalgs[i];
            if ((a->name != NULL && strlen(a->name) == len && strncasecmp(a->name, p, len) == 0)
                    || (a->pair != NULL && strlen(a->pair) == len && strncasecmp(a->pair, p, len) == 0)
                    || (a->pair != NULL && strncmp(a->pair, "RSA-PSS+", 8) == 0 && len == strlen(a->pair) - 4
                        && strncasecmp(p, "PSS+", 4) == 0 && strncasecmp(a->pair + 8, p + 4, len - 4) == 0))
                break;
        }
        /* OpenSSL 3.0 pushes no reason for any invalid signature algorithm list
         * (tests/diff/errcodes.c). */
        if (i == NSIGALGS)
            return 0;
        if (!add_unique_q(tmp, &count, KEEL_MAX_SIGALGS, sigalgs[i].id, 1))
            return 0;
        p += len;
        if (*p == ':')
            p++;
    }
    if (count == 0)
        return 0;
    memcpy(out, tmp, count * sizeof(tmp[0]));
    *n = count;
    return 1;
}

/* SSL_CTX_set1_sigalgs(3) and the client variant: (digest NID, public key NID) pairs. RSA-PSS
 * names the rsa_pss_rsae_* scheme, as the "RSA-PSS+SHA256" string form does. A pair keel has no
 * scheme for (MD5, DSA) fails the whole list, as an unknown name does. */
int keel_sigalgs_from_nids(const int *v, size_t count, uint16_t *out, size_t *n)
{
    uint16_t tmp[KEEL_MAX_SIGALGS];
    size_t c = 0;

    if (v == NULL || count == 0 || count % 2 != 0 || count / 2 > KEEL_MAX_SIGALGS) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
        return 0;
    }
    for (size_t i = 0; i < count; i += 2) {
        int md = v[i], pk = v[i + 1], hi;
        uint16_t id;
        switch (md) {
        case NID_sha1: hi = 0x02; break;
        case NID_sha224: hi = 0x03; break;
        case NID_sha256: hi = 0x04; break;
        case NID_sha384: hi = 0x05; break;
        case NID_sha512: hi = 0x06; break;
        default: hi = 0; break;
        }
        if (pk == EVP_PKEY_ED25519 || pk == EVP_PKEY_ED448)
            id = pk == EVP_PKEY_ED25519 ? 0x0807 : 0x0808;
        else if (hi != 0 && pk == EVP_PKEY_RSA)
            id = (uint16_t)(hi << 8 | 0x01);
        else if (hi != 0 && pk == EVP_PKEY_EC)
            id = (uint16_t)(hi << 8 | 0x03);
        else if (hi >= 0x04 && pk == EVP_PKEY_RSA_PSS) /* no rsa_pss_*_sha224 scheme */
            id = (uint16_t)(0x0800 | (hi == 0x04 ? 0x04 : hi == 0x05 ? 0x05 : 0x06));
        else {
            ERR_raise_data(ERR_LIB_SSL, SSL_R_UNKNOWN_DIGEST, "signature algorithm %d+%d", pk, md);
            return 0;
        }
        tmp[c++] = id;
    }
    memcpy(out, tmp, c * sizeof(tmp[0]));
    *n = c;
    return 1;
}
