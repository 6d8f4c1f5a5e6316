/* Tickets sealed with an application's own keys (SSL_CTX_set_tlsext_ticket_key_evp_cb(3), and its
 * older form SSL_CTX_set_tlsext_ticket_key_cb, which hands the callback an HMAC_CTX instead of an
 * EVP_MAC_CTX; the evp form wins when both are set, as documented).
 *
 * The application's callback sets up a cipher context and an HMAC context; the ticket is RFC 5077
 * §4's recommended construction, which is also what such callbacks are written for:
 *   key_name(16) || iv || ciphertext || HMAC(key_name || iv || ciphertext)
 * The contexts are libcrypto's, so this lives at the crypto boundary. */
#define OPENSSL_SUPPRESS_DEPRECATED /* HMAC_CTX: deprecated in 3.0, still the older callback's ABI */
#include "crypto/algs_int.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <limits.h>
#include <string.h>

#define NAME_LEN 16

/* The MAC context of either callback form. */
typedef struct {
    EVP_MAC_CTX *m;
    HMAC_CTX *h;
} tmac;

static int contexts(const keel_algs *algs, const keel_ticket_cbs *cbs, EVP_CIPHER_CTX **c, tmac *h)
{
    *c = EVP_CIPHER_CTX_new();
    h->m = NULL;
    h->h = NULL;
    if (cbs->evp != NULL)
        h->m = EVP_MAC_CTX_new(algs->hmac);
    else
        h->h = HMAC_CTX_new();
    if (*c == NULL || (h->m == NULL && h->h == NULL)) {
        EVP_CIPHER_CTX_free(*c);
        EVP_MAC_CTX_free(h->m);
        HMAC_CTX_free(h->h);
        ERR_raise(ERR_LIB_SSL, ERR_R_EVP_LIB);
        return 0;
    }
    return 1;
}

static void tmac_free(tmac *h)
{
    EVP_MAC_CTX_free(h->m);
    HMAC_CTX_free(h->h);
}

static int call(const keel_ticket_cbs *cbs, SSL *s, unsigned char *name, unsigned char *iv,
                EVP_CIPHER_CTX *c, tmac *h, int enc)
{
    return cbs->evp != NULL ? cbs->evp(s, name, iv, c, h->m, enc) : cbs->hmac(s, name, iv, c, h->h, enc);
}

static size_t tmac_size(const tmac *h)
{
    return h->m != NULL ? EVP_MAC_CTX_get_mac_size(h->m) : HMAC_size(h->h);
}

static int tmac_update(tmac *h, const uint8_t *d, size_t n)
{
    return h->m != NULL ? EVP_MAC_update(h->m, d, n) : HMAC_Update(h->h, d, n);
}

static int tmac_final(tmac *h, uint8_t *out, size_t *outl, size_t max)
{
    if (h->m != NULL)
        return EVP_MAC_final(h->m, out, outl, max);
    unsigned int l = 0;
    if (HMAC_size(h->h) > max || !HMAC_Final(h->h, out, &l))
        return 0;
    *outl = l;
    return 1;
}

int keel_ticket_cb_seal(const keel_algs *algs, const keel_ticket_cbs *cbs, SSL *s, const uint8_t *pt,
                        size_t len, uint8_t **out, size_t *out_len)
{
    EVP_CIPHER_CTX *c;
    tmac h;
    unsigned char name[NAME_LEN], iv[EVP_MAX_IV_LENGTH];
    uint8_t *t = NULL;
    int ret = -1, r, n1, n2;
    size_t ivlen, maclen, off, total, mlen;

    if (len > INT_MAX - EVP_MAX_BLOCK_LENGTH || !contexts(algs, cbs, &c, &h))
        return -1;
    if ((r = call(cbs, s, name, iv, c, &h, 1)) <= 0) {
        ret = r == 0 ? 0 : -1;
        goto end;
    }
    ivlen = (size_t)EVP_CIPHER_CTX_get_iv_length(c);
    maclen = tmac_size(&h);
    if (ivlen > sizeof(iv) || maclen == 0 || maclen > EVP_MAX_MD_SIZE)
        goto end;
    total = NAME_LEN + ivlen + len + EVP_MAX_BLOCK_LENGTH + maclen;
    if ((t = OPENSSL_malloc(total)) == NULL)
        goto end;
    memcpy(t, name, NAME_LEN);
    memcpy(t + NAME_LEN, iv, ivlen);
    off = NAME_LEN + ivlen;
    if (!EVP_EncryptUpdate(c, t + off, &n1, pt, (int)len) || !EVP_EncryptFinal_ex(c, t + off + n1, &n2))
        goto end;
    off += (size_t)n1 + (size_t)n2;
    if (!tmac_update(&h, t, off) || !tmac_final(&h, t + off, &mlen, maclen) || mlen != maclen)
        goto end;
    *out = t;
    *out_len = off + maclen;
    t = NULL;
    ret = 1;
end:
    if (ret < 0)
        ERR_raise(ERR_LIB_SSL, SSL_R_CALLBACK_FAILED);
    OPENSSL_free(t);
    EVP_CIPHER_CTX_free(c);
    tmac_free(&h);
    return ret;
}

int keel_ticket_cb_open(const keel_algs *algs, const keel_ticket_cbs *cbs, SSL *s, const uint8_t *t,
                        size_t len, uint8_t **pt, size_t *pt_len)
{
    EVP_CIPHER_CTX *c;
    tmac h;
    unsigned char name[NAME_LEN], iv[EVP_MAX_IV_LENGTH], mac[EVP_MAX_MD_SIZE];
    uint8_t *p = NULL;
    int ret = 0, r, n1, n2;
    size_t ivlen, maclen, ctlen, mlen;

    /* The callback reads the name and the IV from the ticket before it knows the IV's length. */
    if (len < NAME_LEN + sizeof(iv) || len > INT_MAX || !contexts(algs, cbs, &c, &h))
        return 0;
    ERR_set_mark();
    memcpy(name, t, NAME_LEN);
    memcpy(iv, t + NAME_LEN, sizeof(iv));
    if ((r = call(cbs, s, name, iv, c, &h, 0)) <= 0) {
        ret = r == 0 ? 0 : -1;
        goto end;
    }
    ivlen = (size_t)EVP_CIPHER_CTX_get_iv_length(c);
    maclen = tmac_size(&h);
    if (ivlen > sizeof(iv) || maclen == 0 || maclen > sizeof(mac) || len <= NAME_LEN + ivlen + maclen)
        goto end;
    ctlen = len - NAME_LEN - ivlen - maclen;
    if (!tmac_update(&h, t, len - maclen) || !tmac_final(&h, mac, &mlen, sizeof(mac)) || mlen != maclen
            || CRYPTO_memcmp(mac, t + len - maclen, maclen) != 0)
        goto end; /* tampered or not ours: a full handshake, not an error */
    if ((p = OPENSSL_malloc(ctlen + EVP_MAX_BLOCK_LENGTH)) == NULL) {
        ret = -1;
        goto end;
    }
    if (!EVP_DecryptUpdate(c, p, &n1, t + NAME_LEN + ivlen, (int)ctlen)
            || !EVP_DecryptFinal_ex(c, p + n1, &n2))
        goto end;
    *pt = p;
    *pt_len = (size_t)n1 + (size_t)n2;
    p = NULL;
    ret = r; /* 1, or 2: valid but to be renewed */
end:
    if (p != NULL) /* a failed decryption may have written part of a session's secret */
        OPENSSL_clear_free(p, ctlen + EVP_MAX_BLOCK_LENGTH);
    EVP_CIPHER_CTX_free(c);
    tmac_free(&h);
    ERR_pop_to_mark(); /* an unusable ticket leaves nothing on the stack */
    if (ret < 0)
        ERR_raise(ERR_LIB_SSL, SSL_R_CALLBACK_FAILED);
    return ret;
}
