/* TLS 1.2 CBC records (RFC 5246 §6.2.3.2 GenericBlockCipher, RFC 7366 encrypt_then_mac): the MAC,
 * the padding, the explicit IV and AES-CBC. The record engine (src/record/protect_cbc.c) builds
 * seq_num || type || version and checks sizes; this file does the rest, being the only room that
 * may touch EVP.
 *
 * MAC-then-encrypt is opened in constant time with respect to the padding (the Lucky13 attack,
 * AlFardan and Paterson 2013, times the MAC computation, whose length depends on the padding
 * length the receiver found). Two implementations:
 *  - libcrypto's stitched "AES-{128,256}-CBC-HMAC-SHA{1,256}" ciphers, driven by their TLS
 *    additional-data control: they decrypt, check padding and MAC in constant time themselves;
 *  - otherwise (SHA-384, no AES-NI, or stitched = 0) keel's own: every step runs whatever the
 *    padding byte says — the padding is checked over the same 256 bytes, an invalid padding is
 *    taken as length 0 so a MAC is still computed, the received MAC is gathered from every
 *    candidate position with masks, and the hash is fed dummy blocks after the real MAC so that
 *    the number of compression-function calls is the one of the longest possible content (the
 *    "constant number of blocks" counter-measure of s2n-tls). keel_cbc_last_work reports the bytes
 *    fed, for the structural test.
 * Encrypt-then-MAC needs none of this: the MAC covers the ciphertext and is checked first. */
#include "crypto/algs_int.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <limits.h>
#include <string.h>

struct keel_cbc_ctx {
    const keel_algs *algs;
    int seal, etm, stitched, keyed;
    EVP_CIPHER_CTX *cipher;     /* AES-CBC without padding, or the stitched cipher */
    EVP_MAC_CTX *hmac;          /* keyed HMAC, re-initialised per record (not on the stitched path) */
    EVP_MD_CTX *dummy;          /* the evening-out hash of the generic MAC-then-encrypt open */
    const EVP_MD *md;
    size_t mac_len, md_block, md_lenfield;
    size_t last_mac_bytes, last_dummy_bytes;
};

size_t keel_mac_len(keel_mac_id mac)
{
    switch (mac) {
    case KEEL_MAC_SHA1: return 20;
    case KEEL_MAC_SHA256: return 32;
    case KEEL_MAC_SHA384: return 48;
    case KEEL_MAC_AEAD: break;
    }
    return 0;
}

static const EVP_MD *mac_md(const keel_algs *a, keel_mac_id mac)
{
    switch (mac) {
    case KEEL_MAC_SHA1: return a->sha1;
    case KEEL_MAC_SHA256: return a->md[KEEL_HASH_SHA256];
    case KEEL_MAC_SHA384: return a->md[KEEL_HASH_SHA384];
    case KEEL_MAC_AEAD: break;
    }
    return NULL;
}

static int cbc_index(keel_aead_id enc)
{
    return enc == KEEL_CBC_AES_128 ? 0 : enc == KEEL_CBC_AES_256 ? 1 : -1;
}

int keel_cbc_supported(const keel_algs *a, keel_aead_id enc, keel_mac_id mac)
{
    int i = cbc_index(enc);
    return i >= 0 && a->cbc[i] != NULL && mac_md(a, mac) != NULL && a->hmac != NULL;
}

static EVP_CIPHER *stitched_cipher(const keel_algs *a, keel_aead_id enc, keel_mac_id mac)
{
    int i = cbc_index(enc);
    if (i < 0 || (mac != KEEL_MAC_SHA1 && mac != KEEL_MAC_SHA256))
        return NULL;
    return a->stitched[i][mac == KEEL_MAC_SHA256];
}

keel_cbc_ctx *keel_cbc_new(const keel_algs *algs, keel_aead_id enc, keel_mac_id mac, int seal,
                           int etm, int stitched)
{
    static const char *const names[] = { NULL, "SHA1", "SHA2-256", "SHA2-384" };
    EVP_CIPHER *st = etm || !stitched ? NULL : stitched_cipher(algs, enc, mac);
    keel_cbc_ctx *c;
    OSSL_PARAM p[3];

    if (!keel_cbc_supported(algs, enc, mac)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_UNSUPPORTED);
        return NULL;
    }
    if ((c = OPENSSL_zalloc(sizeof(*c))) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    c->algs = algs;
    c->seal = seal ? 1 : 0;
    c->etm = etm ? 1 : 0;
    c->stitched = st != NULL;
    c->md = mac_md(algs, mac);
    c->mac_len = keel_mac_len(mac);
    /* SHA-384's compression function takes 128-byte blocks and a 16-byte length field. */
    c->md_block = mac == KEEL_MAC_SHA384 ? 128 : 64;
    c->md_lenfield = mac == KEEL_MAC_SHA384 ? 16 : 8;
    if ((c->cipher = EVP_CIPHER_CTX_new()) == NULL)
        goto oom;
    if (!EVP_CipherInit_ex2(c->cipher, st != NULL ? st : algs->cbc[cbc_index(enc)], NULL, NULL,
                            c->seal, NULL)
            || !EVP_CIPHER_CTX_set_padding(c->cipher, 0))
        goto evp;
    if (!c->stitched) {
        if ((c->hmac = EVP_MAC_CTX_new(algs->hmac)) == NULL || (c->dummy = EVP_MD_CTX_new()) == NULL)
            goto oom;
        p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)names[mac], 0);
        p[1] = keel_algs_propq(algs) != NULL
            ? OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_PROPERTIES, (char *)keel_algs_propq(algs), 0)
            : OSSL_PARAM_construct_end();
        p[2] = OSSL_PARAM_construct_end();
        if (!EVP_MAC_CTX_set_params(c->hmac, p))
            goto evp;
    }
    return c;
oom:
    ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
    keel_cbc_free(c);
    return NULL;
evp:
    ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
    keel_cbc_free(c);
    return NULL;
}

int keel_cbc_set_key(keel_cbc_ctx *c, const uint8_t *mac_key, const uint8_t *key)
{
    /* The stitched cipher chains CBC itself; the fixed IV of the key block is unused from TLS 1.1
     * on (RFC 4346 §6.2.3.2: each record carries its own), so zeros stand in for it. */
    static const uint8_t zero_iv[KEEL_CBC_BLOCK];

    c->keyed = 0;
    if (c->stitched) {
        if (!EVP_CipherInit_ex2(c->cipher, NULL, key, zero_iv, c->seal, NULL)
                || EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_AEAD_SET_MAC_KEY, (int)c->mac_len,
                                       (void *)mac_key) <= 0)
            goto evp;
    } else if (!EVP_CipherInit_ex2(c->cipher, NULL, key, NULL, c->seal, NULL)
            || !EVP_MAC_init(c->hmac, mac_key, c->mac_len, NULL)) {
        goto evp;
    }
    c->keyed = 1;
    return 1;
evp:
    ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
    return 0;
}

int keel_cbc_is_stitched(const keel_cbc_ctx *c) { return c->stitched; }

static size_t round_block(size_t n) { return (n + KEEL_CBC_BLOCK - 1) / KEEL_CBC_BLOCK * KEEL_CBC_BLOCK; }

size_t keel_cbc_sealed_len(const keel_cbc_ctx *c, size_t len)
{
    /* At least one padding byte (the length byte itself), at most a block of it. */
    if (c->etm)
        return KEEL_CBC_BLOCK + round_block(len + 1) + c->mac_len;
    return KEEL_CBC_BLOCK + round_block(len + c->mac_len + 1);
}

int keel_cbc_len_ok(const keel_cbc_ctx *c, size_t len)
{
    if (c->etm)
        return len >= c->mac_len && (len - c->mac_len) % KEEL_CBC_BLOCK == 0
            && len - c->mac_len >= 2 * KEEL_CBC_BLOCK;
    return len % KEEL_CBC_BLOCK == 0 && len >= KEEL_CBC_BLOCK + round_block(c->mac_len + 1);
}

/* HMAC(seq_num || type || version || length || data) over n = length bytes of data (RFC 5246
 * §6.2.3.1, RFC 7366 §3). The same calls whatever n, 0 included: in the MAC-then-encrypt open n
 * is secret. */
static int hmac(keel_cbc_ctx *c, const uint8_t ad[KEEL_CBC_AD_LEN], const uint8_t *data, size_t n,
                uint8_t out[KEEL_MAC_MAX_LEN])
{
    uint8_t l[2] = { (uint8_t)(n >> 8), (uint8_t)n };
    size_t outl = 0;

    c->last_mac_bytes = KEEL_CBC_AD_LEN + 2 + n;
    return EVP_MAC_init(c->hmac, NULL, 0, NULL) && EVP_MAC_update(c->hmac, ad, KEEL_CBC_AD_LEN)
        && EVP_MAC_update(c->hmac, l, 2) && EVP_MAC_update(c->hmac, data, n)
        && EVP_MAC_final(c->hmac, out, &outl, KEEL_MAC_MAX_LEN) && outl == c->mac_len;
}

/* AES-CBC over buf[0..n) in place (n a multiple of the block) with the given IV. */
static int cbc(keel_cbc_ctx *c, const uint8_t iv[KEEL_CBC_BLOCK], uint8_t *buf, size_t n)
{
    uint8_t ivc[KEEL_CBC_BLOCK];
    int outl = 0;

    memcpy(ivc, iv, KEEL_CBC_BLOCK);   /* iv may be the block buf overwrites */
    return n <= INT_MAX && EVP_CipherInit_ex2(c->cipher, NULL, NULL, ivc, c->seal, NULL)
        && EVP_CipherUpdate(c->cipher, buf, &outl, buf, (int)n) && (size_t)outl == n;
}

/* RFC 5246 §6.2.3.2: padding_length + 1 bytes, each holding padding_length. */
static void put_padding(uint8_t *p, size_t n)
{
    memset(p, (int)(n - 1), n);
}

/* keel writes and reads CBC records in the TLS 1.1+ layout only (an explicit IV per record). The
 * stitched ciphers take the layout from the version in the additional data, so a header claiming
 * an older version is refused on both paths alike, whatever the CPU (such a record cannot be an
 * honest peer's, and the MAC covers the version). */
static int explicit_iv_version(const uint8_t ad[KEEL_CBC_AD_LEN])
{
    return ((unsigned)ad[9] << 8 | ad[10]) >= 0x0302;
}

int keel_cbc_seal(keel_cbc_ctx *c, const uint8_t ad[KEEL_CBC_AD_LEN], const uint8_t *in, size_t len,
                  uint8_t *out)
{
    uint8_t *iv = out, *p = out + KEEL_CBC_BLOCK;
    size_t total = keel_cbc_sealed_len(c, len), body;
    int ok;

    if (!c->seal || !c->keyed || len > INT_MAX - 2 * KEEL_CBC_BLOCK - KEEL_MAC_MAX_LEN
            || !explicit_iv_version(ad)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    /* RFC 5246 §6.2.3.2: the IV SHOULD be chosen at random and MUST be unpredictable. */
    if (!keel_random(c->algs, iv, KEEL_CBC_BLOCK))
        return 0;
    if (len > 0)
        memcpy(p, in, len);
    if (c->stitched) {
        /* The control takes the length of IV + content and answers how many MAC and padding
         * bytes the cipher will append; the IV block is encrypted along, as the explicit IV. */
        uint8_t aad[KEEL_CBC_AD_LEN + 2];
        memcpy(aad, ad, KEEL_CBC_AD_LEN);
        aad[KEEL_CBC_AD_LEN] = (uint8_t)((KEEL_CBC_BLOCK + len) >> 8);
        aad[KEEL_CBC_AD_LEN + 1] = (uint8_t)(KEEL_CBC_BLOCK + len);
        int pad = EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_AEAD_TLS1_AAD, sizeof(aad), aad);
        ok = pad > 0 && KEEL_CBC_BLOCK + len + (size_t)pad == total
            && EVP_Cipher(c->cipher, out, out, (unsigned int)total) > 0;
    } else if (c->etm) {
        /* RFC 7366 §3: encrypt, then MAC the IV and ciphertext. */
        body = total - KEEL_CBC_BLOCK - c->mac_len;
        put_padding(p + len, body - len);
        ok = cbc(c, iv, p, body)
            && hmac(c, ad, out, KEEL_CBC_BLOCK + body, p + body);
    } else {
        body = total - KEEL_CBC_BLOCK;
        put_padding(p + len + c->mac_len, body - len - c->mac_len);
        ok = hmac(c, ad, p, len, p + len) && cbc(c, iv, p, body);
    }
    if (!ok)
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
    return ok;
}

/* ---- constant-time helpers: all-ones or all-zeros masks, no data-dependent branch ---- */
#define MSB(x) ((size_t)0 - ((x) >> (sizeof(size_t) * CHAR_BIT - 1)))
static size_t ct_is_zero(size_t x) { return MSB(~x & (x - 1)); }
static size_t ct_eq(size_t a, size_t b) { return ct_is_zero(a ^ b); }
static size_t ct_lt(size_t a, size_t b) { return MSB(a ^ ((a ^ b) | ((a - b) ^ b))); }

/* Compression-function calls of the inner hash of HMAC over n message bytes: the key block, the
 * message, then the 0x80 byte and the length field (FIPS 180-4 §5.1). */
static size_t inner_blocks(const keel_cbc_ctx *c, size_t n)
{
    return (c->md_block + n + c->md_lenfield) / c->md_block + 1;
}

/* The generic MAC-then-encrypt open: buf = IV || CBC(content || MAC || padding). */
static int open_mte(keel_cbc_ctx *c, const uint8_t ad[KEEL_CBC_AD_LEN], uint8_t *buf, size_t len,
                    size_t *plen)
{
    /* The content is at most 255 bytes shorter than the longest: 4 blocks of 64 bytes, 2 of 128. */
    static const uint8_t filler[256];
    uint8_t *p = buf + KEEL_CBC_BLOCK, want[KEEL_MAC_MAX_LEN], got[KEEL_MAC_MAX_LEN];
    size_t n = len - KEEL_CBC_BLOCK, ml = c->mac_len, pad, good, content, longest, extra, start;
    size_t checked = n < 256 ? n : 256;   /* n is public: the loop bounds leak nothing */

    if (!cbc(c, buf, p, n))
        return 0;
    pad = p[n - 1];
    /* The padding and the MAC must fit (n >= ml + 1 is known from keel_cbc_len_ok). */
    good = ~ct_lt(n, pad + 1 + ml);
    /* Every byte of the last padding_length + 1 equals padding_length: the same 256 bytes are
     * looked at whatever the value. */
    for (size_t i = 0; i < checked; i++) {
        size_t in_pad = ct_lt(i, pad + 1);
        good &= ~(in_pad & ~ct_is_zero((size_t)(p[n - 1 - i] ^ (uint8_t)pad)));
    }
    /* A bad padding counts as none, so that a MAC is computed over a content all the same. */
    pad &= good;
    content = n - ml - 1 - pad;
    longest = n - ml - 1;

    if (!hmac(c, ad, p, content, want))
        return 0;
    /* Even out the compression calls: as many as the longest content would have taken, in one
     * update call whatever their number (whole blocks: each is compressed at once). */
    extra = inner_blocks(c, KEEL_CBC_AD_LEN + 2 + longest) - inner_blocks(c, KEEL_CBC_AD_LEN + 2 + content);
    c->last_dummy_bytes = extra * c->md_block;
    if (c->last_dummy_bytes > sizeof(filler) || !EVP_DigestInit_ex2(c->dummy, c->md, NULL)
            || !EVP_DigestUpdate(c->dummy, filler, c->last_dummy_bytes))
        return 0;

    /* The received MAC starts at `content`, somewhere in the last ml + 256 bytes: gathered from
     * every candidate position under a mask. */
    memset(got, 0, sizeof(got));
    start = n > ml + 256 ? n - ml - 256 : 0;
    for (size_t j = start; j + ml <= n; j++) {
        uint8_t m = (uint8_t)ct_eq(j, content);
        for (size_t i = 0; i < ml; i++)
            got[i] |= p[j + i] & m;
    }
    good &= ct_is_zero((size_t)CRYPTO_memcmp(got, want, ml));
    OPENSSL_cleanse(want, sizeof(want));
    *plen = content;
    return (int)(good & 1);
}

static int open_etm(keel_cbc_ctx *c, const uint8_t ad[KEEL_CBC_AD_LEN], uint8_t *buf, size_t len,
                    size_t *plen)
{
    uint8_t want[KEEL_MAC_MAX_LEN];
    size_t clen = len - c->mac_len, n = clen - KEEL_CBC_BLOCK, pad;
    uint8_t *p = buf + KEEL_CBC_BLOCK;

    /* RFC 7366 §3: the MAC over IV and ciphertext first; nothing is decrypted unless it holds. */
    if (!hmac(c, ad, buf, clen, want) || CRYPTO_memcmp(want, buf + clen, c->mac_len) != 0)
        return 0;
    if (!cbc(c, buf, p, n))
        return 0;
    /* Authentic, so no timing care is needed; a bad padding is still bad_record_mac. */
    pad = p[n - 1];
    if (pad + 1 > n)
        return 0;
    for (size_t i = 0; i <= pad; i++)
        if (p[n - 1 - i] != pad)
            return 0;
    *plen = n - pad - 1;
    return 1;
}

static int open_stitched(keel_cbc_ctx *c, const uint8_t ad[KEEL_CBC_AD_LEN], uint8_t *buf,
                         size_t len, size_t *plen)
{
    uint8_t aad[KEEL_CBC_AD_LEN + 2];

    memcpy(aad, ad, KEEL_CBC_AD_LEN);
    aad[KEEL_CBC_AD_LEN] = (uint8_t)(len >> 8);
    aad[KEEL_CBC_AD_LEN + 1] = (uint8_t)len;
    /* The cipher decrypts, then checks padding and MAC in constant time; on success the content
     * ends before MAC and padding. */
    if (len > UINT_MAX || EVP_CIPHER_CTX_ctrl(c->cipher, EVP_CTRL_AEAD_TLS1_AAD, sizeof(aad), aad) <= 0
            || EVP_Cipher(c->cipher, buf, buf, (unsigned int)len) <= 0)
        return 0;
    size_t pad = buf[len - 1];
    if (KEEL_CBC_BLOCK + c->mac_len + pad + 1 > len)
        return 0;   /* cannot happen after a successful check; kept as a bound */
    *plen = len - KEEL_CBC_BLOCK - c->mac_len - pad - 1;
    return 1;
}

int keel_cbc_open(keel_cbc_ctx *c, const uint8_t ad[KEEL_CBC_AD_LEN], uint8_t *buf, size_t len,
                  size_t *off, size_t *plen)
{
    int ok;

    c->last_mac_bytes = c->last_dummy_bytes = 0;
    if (c->seal || !c->keyed || !keel_cbc_len_ok(c, len) || len > INT_MAX || !explicit_iv_version(ad))
        return 0;
    ERR_set_mark();   /* libcrypto's errors about a bad record are not the application's */
    if (c->etm)
        ok = open_etm(c, ad, buf, len, plen);
    else if (c->stitched)
        ok = open_stitched(c, ad, buf, len, plen);
    else
        ok = open_mte(c, ad, buf, len, plen);
    ERR_pop_to_mark();
    *off = KEEL_CBC_BLOCK;
    if (!ok)
        OPENSSL_cleanse(buf, len);   /* nothing of a record that fails may be released */
    return ok;
}

void keel_cbc_last_work(const keel_cbc_ctx *c, size_t *mac_bytes, size_t *dummy_bytes)
{
    *mac_bytes = c->last_mac_bytes;
    *dummy_bytes = c->last_dummy_bytes;
}

void keel_cbc_free(keel_cbc_ctx *c)
{
    if (c == NULL)
        return;
    EVP_CIPHER_CTX_free(c->cipher);
    EVP_MAC_CTX_free(c->hmac);
    EVP_MD_CTX_free(c->dummy);
    OPENSSL_free(c);
}
