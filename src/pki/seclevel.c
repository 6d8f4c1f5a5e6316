/* Security levels and the security callback (SSL_CTX_set_security_level(3),
 * SSL_CTX_set_security_callback(3)): the one place that decides whether a key, a signature digest,
 * a group, a cipher suite or a protocol version is acceptable. Every caller goes through
 * keel_sec_allowed, which asks the application's callback (with OpenSSL's SSL_SECOP_* operations
 * and arguments) or, by default, the level rule. */
#include "internal.h"

#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

/* Minimum security bits per level 1..5 (the man page's "DEFAULT CALLBACK BEHAVIOUR"). */
static const int level_bits[] = { 0, 80, 112, 128, 192, 256 };

/* The level rule. */
static int level_rule(int level, int op, int bits, int nid)
{
    if (level <= 0)
        return 1; /* level 0: everything is permitted */
    if (level > 5)
        level = 5;
    switch (op) {
    case SSL_SECOP_VERSION:
        /* SSL 2/3 from level 2 (SSL 2 does not exist here), below TLS 1.1 from 3, 1.2 from 4. */
        if (level >= 4)
            return nid >= TLS1_2_VERSION;
        if (level >= 3)
            return nid >= TLS1_1_VERSION;
        if (level >= 2)
            return nid >= TLS1_VERSION;
        return 1;
    case SSL_SECOP_COMPRESSION:
        return level < 2;
    case SSL_SECOP_TICKET:
        /* TLS 1.2 session tickets are off from level 3; TLS 1.3 tickets are not asked about. */
        return level < 3;
    default:
        /* Keys, signature digests, groups, cipher strengths: the level's minimum bits. */
        return bits >= level_bits[level];
    }
}

/* The default callback: the level rule. It is what SSL_CTX_get_security_callback returns until
 * the application sets its own, so that an application's callback can defer to it. */
static int default_cb(const SSL *s, const SSL_CTX *ctx, int op, int bits, int nid, void *other,
                      void *ex)
{
    if (s == NULL && ctx == NULL)
        return 0;
    return level_rule(s != NULL ? SSL_get_security_level(s) : SSL_CTX_get_security_level(ctx),
                      op, bits, nid);
}

/* The level's minimum bits (0 at level 0), what SSL_CTX_set_dh_auto's parameters are raised to. */
int keel_sec_level_bits(const keel_settings *st)
{
    int level = st->security_level < 0 ? 0 : st->security_level > 5 ? 5 : st->security_level;
    return level_bits[level];
}

keel_sec_cb keel_sec_default_cb(void)
{
    return default_cb;
}

int keel_sec_allowed(const keel_settings *st, int op, int bits, int nid, void *other)
{
    /* The callback gets the SSL or the context that asks, never both (as OpenSSL passes them). */
    const SSL *s = st->sec_ssl;
    const SSL_CTX *ctx = s != NULL ? NULL : st->sec_ctx;

    if (st->security_cb == NULL || st->security_cb == default_cb || (s == NULL && ctx == NULL))
        return level_rule(st->security_level, op, bits, nid);
    return st->security_cb(s, ctx, op, bits, nid, other, st->security_ex) > 0;
}

int keel_sec_cipher(const keel_settings *st, int op, const SSL_CIPHER *c)
{
    /* The cipher's strength bits; nid 0 and the SSL_CIPHER as `other`, as OpenSSL passes them. */
    return keel_sec_allowed(st, op, SSL_CIPHER_get_bits(c, NULL), 0, (void *)c);
}

/* Security bits of each named group (RFC 8446 §4.2.7; RFC 7748 §1 for X25519/X448; the RFC
 * 7919 groups as OpenSSL 3.0 rates them, tests/diff/seclevel.c). */
static int group_bits(uint16_t group)
{
    switch (group) {
    case 0x0017: return 128; /* P-256 */
    case 0x0018: return 192; /* P-384 */
    case 0x0019: return 256; /* P-521 */
    case 0x001d: return 128; /* X25519 */
    case 0x001e: return 224; /* X448 */
    case 0x0100: return 112;
    case 0x0101: case 0x0102: case 0x0103: return 128;
    case 0x0104: return 192;
    }
    return 0;
}

int keel_sec_group(const keel_settings *st, int op, uint16_t group)
{
    unsigned char id[2] = { (unsigned char)(group >> 8), (unsigned char)group };
    return keel_sec_allowed(st, op, group_bits(group), keel_group_nid(group), id);
}

/* A signature scheme's security bits and digest NID: half the digest's bits; SHA-1 counts as
 * 64 (chosen-prefix collisions cost about 2^63), below level 1's 80, as OpenSSL 3.0 rates it;
 * EdDSA by its curve (RFC 8032 §5: Ed25519 ~128, Ed448 ~224). */
static int sigalg_bits(uint16_t scheme, int *md_nid)
{
    *md_nid = NID_undef;
    switch (scheme) {
    case 0x0807: return 128;
    case 0x0808: return 224;
    }
    switch (scheme == 0x0809 || scheme == 0x0804 ? 0x04
            : scheme == 0x080a || scheme == 0x0805 ? 0x05
            : scheme == 0x080b || scheme == 0x0806 ? 0x06 : scheme >> 8) {
    case 0x02: *md_nid = NID_sha1; return 64;
    case 0x03: *md_nid = NID_sha224; return 112;
    case 0x04: *md_nid = NID_sha256; return 128;
    case 0x05: *md_nid = NID_sha384; return 192;
    case 0x06: *md_nid = NID_sha512; return 256;
    }
    return 0;
}

int keel_sec_sigalg(const keel_settings *st, int op, uint16_t scheme)
{
    unsigned char id[2] = { (unsigned char)(scheme >> 8), (unsigned char)scheme };
    int nid, bits = sigalg_bits(scheme, &nid);
    return keel_sec_allowed(st, op, bits, nid, id);
}

/* One certificate: its key (EE or CA), then the digest it is signed with unless it is
 * self-signed (a trust anchor's own signature proves nothing). 0 or the reason to raise. */
int keel_sec_cert(const keel_settings *st, X509 *x, int is_ee, int peer)
{
    int pflag = peer ? SSL_SECOP_PEER : 0, nid = NID_undef, secbits = -1;
    EVP_PKEY *pub = X509_get0_pubkey(x);
    int bits = pub != NULL ? EVP_PKEY_get_security_bits(pub) : -1;

    if (!keel_sec_allowed(st, (is_ee ? SSL_SECOP_EE_KEY : SSL_SECOP_CA_KEY) | pflag, bits, 0, x))
        return is_ee ? SSL_R_EE_KEY_TOO_SMALL : SSL_R_CA_KEY_TOO_SMALL;
    if (X509_get_extension_flags(x) & EXFLAG_SS)
        return 0;
    if (!X509_get_signature_info(x, &nid, NULL, &secbits, NULL))
        nid = NID_undef, secbits = -1;
    if (!keel_sec_allowed(st, SSL_SECOP_CA_MD | pflag, secbits, nid == NID_undef ? 0 : nid, x))
        return SSL_R_CA_MD_TOO_WEAK;
    return 0;
}

int keel_sec_chain(const keel_settings *st, X509 *leaf, STACK_OF(X509) *chain, int peer)
{
    int r = leaf != NULL ? keel_sec_cert(st, leaf, 1, peer) : 0;
    for (int i = 0; r == 0 && i < sk_X509_num(chain); i++)
        r = keel_sec_cert(st, sk_X509_value(chain, i), 0, peer);
    return r;
}
