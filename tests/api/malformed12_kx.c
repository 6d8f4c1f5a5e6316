/* Hostile TLS 1.2 peers for the DHE and RSA key exchanges (issue #13), on the harness of
 * malformed12.h: the server forced to TLS 1.2 with an RSA-2048 certificate, DHE-RSA-AES128-GCM-
 * SHA256 with dh_auto (RFC 3526's 2048-bit group), or AES128-GCM-SHA256 (RSA key transport) by
 * the case's setup, requesting a client certificate. Each case checks SSL_ERROR_SSL, the reason,
 * one fatal alert as the last record and nothing after it (malformed12.h's expect12).
 *   - the server's ServerDHParams: empty p, g, Ys; trailing bytes; Ys of 0, 1, p-1, p, and a
 *     generator of 1 (re-signed with the server's key, so that only the value is wrong);
 *   - the client's ClientDiffieHellmanPublic: empty, 0, 1, p-1, p, trailing bytes;
 *   - the client's EncryptedPreMasterSecret: garbage, a well-formed premaster secret that is not
 *     the client's, one with another client_version (RFC 5246 §7.4.7.1's rollback check), one of
 *     47 bytes: all four go on to the Finished and fail there alike (bad_record_mac), never with
 *     an early alert of their own (Bleichenbacher / ROBOT); empty, longer than the modulus, not
 *     below it, trailing bytes;
 *   - the same EncryptedPreMasterSecret edits after an RSA_PSK ClientKeyExchange's identity
 *     (RFC 4279 §4): the same outcomes.
 * The expected values are the system OpenSSL's: this program builds on the system libssl too
 *   cc -Itests/util tests/api/malformed12_kx.c tests/util/testutil.c tests/util/tls.c -lssl -lcrypto */
#include "malformed12.h"

#include <openssl/rand.h>
#include <openssl/rsa.h>

static int use_rsa_kx;

static void dhe_setup(SSL *client, SSL *server)
{
    (void)client, (void)server;
}

/* No client certificate: a CertificateVerify would sign the transcript with the edited
 * ClientKeyExchange in it, and fail before the Finished does. */
static void rsa_setup(SSL *client, SSL *server)
{
    SSL_set_cipher_list(client, "AES128-GCM-SHA256");
    SSL_set_cipher_list(server, "AES128-GCM-SHA256");
    SSL_set_verify(server, SSL_VERIFY_NONE, NULL);
}

/* ---- ServerKeyExchange (RFC 5246 §7.4.3): dh_p, dh_g, dh_Ys <1..2^16-1>, scheme, signature ---- */

typedef struct { size_t p, g, y, sig; size_t plen, glen, ylen; } ske_at;

static void ske_layout(const buf *b, ske_at *a)
{
    a->p = 2;
    a->plen = (size_t)b->p[0] << 8 | b->p[1];
    a->g = a->p + a->plen + 2;
    a->glen = (size_t)b->p[a->g - 2] << 8 | b->p[a->g - 1];
    a->y = a->g + a->glen + 2;
    a->ylen = (size_t)b->p[a->y - 2] << 8 | b->p[a->y - 1];
    a->sig = a->y + a->ylen;
}

static uint8_t client_random[32], server_random[32];

/* The flight's ServerHello gives server_random; the original ClientHello client_random. */
static void randoms(flight *f)
{
    memcpy(client_random, orig_ch.p + 4 + 2, 32);
    for (int k = 0; k < f->n; k++)
        if (f->m[k].type == SSL3_MT_SERVER_HELLO)
            memcpy(server_random, f->m[k].body + 2, 32);
}

/* Replaces the signature over the (edited) params by a fresh one with the server's key, in the
 * message's scheme (rsa_pss_rsae_* or rsa_pkcs1_*). */
static void resign(buf *b)
{
    ske_at a;
    ske_layout(b, &a);
    unsigned scheme = (unsigned)b->p[a.sig] << 8 | b->p[a.sig + 1];
    const EVP_MD *md = (scheme & 0xff) == 0x04 || scheme == 0x0401 ? EVP_sha256()
                     : (scheme & 0xff) == 0x05 || scheme == 0x0501 ? EVP_sha384() : EVP_sha512();
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    uint8_t sig[1024];
    size_t slen = sizeof(sig);
    buf tbs = { 0 };
    b_put(&tbs, client_random, 32);
    b_put(&tbs, server_random, 32);
    b_put(&tbs, b->p, a.sig);
    if (m == NULL || !EVP_DigestSignInit(m, &pc, md, NULL, mf_chain.leaf_key)
            || ((scheme >> 8) == 0x08 && (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) <= 0
                                          || EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) <= 0))
            || !EVP_DigestSign(m, sig, &slen, tbs.p, tbs.n))
        abort();
    b->n = a.sig + 2;
    b_u16(b, (unsigned)slen);
    b_put(b, sig, slen);
    EVP_MD_CTX_free(m);
    b_free(&tbs);
}

/* Ys replaced by a value of the prime's length: 0, 1, p - 1 or p. */
static void ys_value(buf *b, int which)
{
    ske_at a;
    ske_layout(b, &a);
    uint8_t *y = b->p + a.y;
    if (which <= 1) {
        memset(y, 0, a.ylen);
        y[a.ylen - 1] = (uint8_t)which;
    } else {
        memcpy(y, b->p + a.p, a.plen); /* p (the lengths are equal: Ys is padded) */
        if (which == 2)
            y[a.ylen - 1] -= 1;
    }
    resign(b);
}
static void ske_ys_zero(buf *b) { ys_value(b, 0); }
static void ske_ys_one(buf *b) { ys_value(b, 1); }
static void ske_ys_pm1(buf *b) { ys_value(b, 2); }
static void ske_ys_p(buf *b) { ys_value(b, 3); }
static void ske_g_one(buf *b)
{
    ske_at a;
    ske_layout(b, &a);
    b->p[a.g] = 1;
    resign(b);
}
static void cut(buf *b, size_t at, size_t n)
{
    memmove(b->p + at, b->p + at + n, b->n - at - n);
    b->n -= n;
}
/* One of the three fields emptied (its length 0, its bytes gone). */
static void ske_empty(buf *b, int field)
{
    ske_at a;
    ske_layout(b, &a);
    size_t at = field == 0 ? a.p : field == 1 ? a.g : a.y;
    size_t n = field == 0 ? a.plen : field == 1 ? a.glen : a.ylen;
    b->p[at - 2] = b->p[at - 1] = 0;
    cut(b, at, n);
}
static void ske_p_empty(buf *b) { ske_empty(b, 0); }
static void ske_g_empty(buf *b) { ske_empty(b, 1); }
static void ske_ys_empty(buf *b) { ske_empty(b, 2); }
static void ske_trailing(buf *b) { b_u8(b, 0); }
static void ske_bad_sig(buf *b) { b->p[b->n - 4] ^= 0x40; }

#define SF(name, edit) static void name(flight *f) { randoms(f); edit12(f, SSL3_MT_SERVER_KEY_EXCHANGE, edit); }
SF(sf_dhe_ys_zero, ske_ys_zero)
SF(sf_dhe_ys_one, ske_ys_one)
SF(sf_dhe_ys_pm1, ske_ys_pm1)
SF(sf_dhe_ys_p, ske_ys_p)
SF(sf_dhe_g_one, ske_g_one)
SF(sf_dhe_p_empty, ske_p_empty)
SF(sf_dhe_g_empty, ske_g_empty)
SF(sf_dhe_ys_empty, ske_ys_empty)
SF(sf_dhe_trailing, ske_trailing)
SF(sf_dhe_bad_sig, ske_bad_sig)

/* ---- ClientKeyExchange, DHE (RFC 5246 §7.4.7.2): dh_Yc<1..2^16-1> ---- */

static BIGNUM *dh_p;  /* the server's prime: RFC 3526 2048-bit MODP (dh_auto for RSA-2048) */

static void yc_value(buf *b, int which)
{
    size_t n = (size_t)b->p[0] << 8 | b->p[1];
    uint8_t *y = b->p + 2;
    if (which <= 1) {
        memset(y, 0, n);
        y[n - 1] = (uint8_t)which;
    } else {
        BN_bn2binpad(dh_p, y, (int)n);
        if (which == 2)
            y[n - 1] -= 1;
    }
}
static void cke_yc_zero(buf *b) { yc_value(b, 0); }
static void cke_yc_one(buf *b) { yc_value(b, 1); }
static void cke_yc_pm1(buf *b) { yc_value(b, 2); }
static void cke_yc_p(buf *b) { yc_value(b, 3); }
static void cke_empty16(buf *b) { b->p[0] = b->p[1] = 0; b->n = 2; }
static void cke_trailing(buf *b) { b_u8(b, 0); }
static void cke_no_prefix(buf *b) { memmove(b->p, b->p + 2, b->n - 2); b->n -= 2; }

#define CF(name, edit) static void name(flight *f) { edit12(f, SSL3_MT_CLIENT_KEY_EXCHANGE, edit); }
CF(cf_dhe_yc_zero, cke_yc_zero)
CF(cf_dhe_yc_one, cke_yc_one)
CF(cf_dhe_yc_pm1, cke_yc_pm1)
CF(cf_dhe_yc_p, cke_yc_p)
CF(cf_dhe_empty, cke_empty16)
CF(cf_dhe_trailing, cke_trailing)
CF(cf_dhe_no_prefix, cke_no_prefix)

/* ---- ClientKeyExchange, RSA (RFC 5246 §7.4.7.1): EncryptedPreMasterSecret<0..2^16-1> ---- */

/* A fresh encryption to the server's key of a premaster secret {version, random} of `len` bytes. */
static void epms_of(buf *b, unsigned version, size_t len)
{
    uint8_t pms[64], ct[512];
    size_t n = sizeof(ct);
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(mf_chain.leaf_key, NULL);
    if (RAND_bytes(pms, sizeof(pms)) != 1 || pc == NULL || EVP_PKEY_encrypt_init(pc) <= 0
            || EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) <= 0)
        abort();
    pms[0] = (uint8_t)(version >> 8), pms[1] = (uint8_t)version;
    if (EVP_PKEY_encrypt(pc, ct, &n, pms, len) <= 0)
        abort();
    EVP_PKEY_CTX_free(pc);
    b->n = 0;
    b_u16(b, (unsigned)n);
    b_put(b, ct, n);
}
static void epms_wrong(buf *b) { epms_of(b, 0x0303, 48); }
static void epms_version(buf *b) { epms_of(b, 0x0302, 48); }
static void epms_47(buf *b) { epms_of(b, 0x0303, 47); }
/* Garbage below the modulus (its top byte cleared): the padding check fails. */
static void epms_garbage(buf *b)
{
    if (RAND_bytes(b->p + 2, (int)b->n - 2) != 1)
        abort();
    b->p[2] = 0;
}
static void epms_flip(buf *b) { b->p[b->n - 1] ^= 1; }
static void epms_long(buf *b)
{
    size_t n = b->n - 2 + 1;
    b_u8(b, 0x5a);
    b->p[0] = (uint8_t)(n >> 8), b->p[1] = (uint8_t)n;
}
static void epms_ge_modulus(buf *b) { memset(b->p + 2, 0xff, b->n - 2); }

CF(cf_rsa_garbage, epms_garbage)
CF(cf_rsa_flip, epms_flip)
CF(cf_rsa_wrong_pms, epms_wrong)
CF(cf_rsa_version, epms_version)
CF(cf_rsa_pms_47, epms_47)
CF(cf_rsa_empty, cke_empty16)
CF(cf_rsa_long, epms_long)
CF(cf_rsa_ge_modulus, epms_ge_modulus)
CF(cf_rsa_trailing, cke_trailing)

/* ---- ClientKeyExchange, RSA_PSK (RFC 4279 §4): psk_identity<0..2^16-1>, then the
 * EncryptedPreMasterSecret, edited as for RSA ---- */

static const unsigned char psk_key[32] = "malformed12_kx rsa-psk key 0123";
static unsigned int psk_client(SSL *s, const char *hint, char *id, unsigned int max_id, unsigned char *psk,
                               unsigned int max_psk)
{
    (void)s, (void)hint, (void)max_psk;
    snprintf(id, max_id, "client1");
    memcpy(psk, psk_key, sizeof(psk_key));
    return sizeof(psk_key);
}
static unsigned int psk_server(SSL *s, const char *id, unsigned char *psk, unsigned int max_psk)
{
    (void)s, (void)id, (void)max_psk;
    memcpy(psk, psk_key, sizeof(psk_key));
    return sizeof(psk_key);
}
static void rsa_psk_setup(SSL *client, SSL *server)
{
    SSL_set_cipher_list(client, "RSA-PSK-AES128-GCM-SHA256");
    SSL_set_cipher_list(server, "RSA-PSK-AES128-GCM-SHA256");
    SSL_set_verify(server, SSL_VERIFY_NONE, NULL);
    SSL_set_psk_client_callback(client, psk_client);
    SSL_set_psk_server_callback(server, psk_server);
}

static void after_identity(buf *b, void (*edit)(buf *))
{
    size_t id = 2 + ((size_t)b->p[0] << 8 | b->p[1]);
    buf rest = { 0 };
    b_put(&rest, b->p + id, b->n - id);
    edit(&rest);
    b->n = id;
    b_put(b, rest.p, rest.n);
    b_free(&rest);
}
#define PCF(name, edit) \
    static void name##_edit(buf *b) { after_identity(b, edit); } \
    CF(name, name##_edit)
PCF(cf_rsapsk_garbage, epms_garbage)
PCF(cf_rsapsk_flip, epms_flip)
PCF(cf_rsapsk_wrong_pms, epms_wrong)
PCF(cf_rsapsk_version, epms_version)
PCF(cf_rsapsk_pms_47, epms_47)
PCF(cf_rsapsk_ge_modulus, epms_ge_modulus)

#define AD(x) SSL_AD_##x
#define R(x) SSL_R_##x
#define D(name, at, alert, reason) { #name, at, name, alert, reason, 0, dhe_setup }
#define K(name, alert, reason) { #name, MF_AT_CF, name, alert, reason, 0, rsa_setup }
#define KP(name, alert, reason) { #name, MF_AT_CF, name, alert, reason, 0, rsa_psk_setup }

static const mf_case cases[] = {
    /* DHE: the server's parameters (client victim) */
    D(sf_dhe_ys_zero, MF_AT_SF, AD(ILLEGAL_PARAMETER), R(BAD_DH_VALUE)),
    D(sf_dhe_ys_one, MF_AT_SF, AD(ILLEGAL_PARAMETER), R(BAD_DH_VALUE)),
    D(sf_dhe_ys_pm1, MF_AT_SF, AD(ILLEGAL_PARAMETER), R(BAD_DH_VALUE)),
    D(sf_dhe_ys_p, MF_AT_SF, AD(ILLEGAL_PARAMETER), R(BAD_DH_VALUE)),
    D(sf_dhe_g_one, MF_AT_SF, AD(ILLEGAL_PARAMETER), R(BAD_DH_VALUE)),
    D(sf_dhe_p_empty, MF_AT_SF, AD(ILLEGAL_PARAMETER), R(BAD_DH_VALUE)),
    D(sf_dhe_g_empty, MF_AT_SF, AD(ILLEGAL_PARAMETER), R(BAD_DH_VALUE)),
    D(sf_dhe_ys_empty, MF_AT_SF, AD(ILLEGAL_PARAMETER), R(BAD_DH_VALUE)),
    D(sf_dhe_trailing, MF_AT_SF, AD(DECODE_ERROR), R(LENGTH_MISMATCH)),
    D(sf_dhe_bad_sig, MF_AT_SF, AD(DECRYPT_ERROR), R(BAD_SIGNATURE)),
    /* DHE: the client's public value (server victim) */
    D(cf_dhe_yc_zero, MF_AT_CF, AD(ILLEGAL_PARAMETER), R(BAD_KEY_SHARE)),
    D(cf_dhe_yc_one, MF_AT_CF, AD(ILLEGAL_PARAMETER), R(BAD_KEY_SHARE)),
    D(cf_dhe_yc_pm1, MF_AT_CF, AD(ILLEGAL_PARAMETER), R(BAD_KEY_SHARE)),
    D(cf_dhe_yc_p, MF_AT_CF, AD(ILLEGAL_PARAMETER), R(BAD_KEY_SHARE)),
    D(cf_dhe_empty, MF_AT_CF, AD(DECODE_ERROR), R(MISSING_TMP_DH_KEY)),
    D(cf_dhe_trailing, MF_AT_CF, AD(DECODE_ERROR), R(DH_PUBLIC_VALUE_LENGTH_IS_WRONG)),
    D(cf_dhe_no_prefix, MF_AT_CF, AD(DECODE_ERROR), R(DH_PUBLIC_VALUE_LENGTH_IS_WRONG)),
    /* RSA key transport (server victim): a bad premaster secret is found at Finished, alike */
    K(cf_rsa_garbage, AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC)),
    K(cf_rsa_flip, AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC)),
    K(cf_rsa_wrong_pms, AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC)),
    K(cf_rsa_version, AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC)),
    K(cf_rsa_pms_47, AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC)),
    /* publicly invalid ciphertexts: anyone can tell, OpenSSL 3.0 says so at once (an empty one
     * it decrypts to a random premaster secret) */
    K(cf_rsa_empty, AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC)),
    K(cf_rsa_long, AD(DECRYPT_ERROR), R(DECRYPTION_FAILED)),
    K(cf_rsa_ge_modulus, AD(DECRYPT_ERROR), R(DECRYPTION_FAILED)),
    K(cf_rsa_trailing, AD(DECODE_ERROR), R(LENGTH_MISMATCH)),
    /* RSA_PSK (server victim): the same decryption, so the same outcomes, at Finished */
    KP(cf_rsapsk_garbage, AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC)),
    KP(cf_rsapsk_flip, AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC)),
    KP(cf_rsapsk_wrong_pms, AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC)),
    KP(cf_rsapsk_version, AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC)),
    KP(cf_rsapsk_pms_47, AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC)),
    KP(cf_rsapsk_ge_modulus, AD(DECRYPT_ERROR), R(DECRYPTION_FAILED)),
};

int main(int argc, char **argv)
{
    const char *name = "malformed12_kx";
    (void)use_rsa_kx;
    dh_p = BN_get_rfc3526_prime_2048(NULL);
    CHECK(dh_p != NULL);
    /* DHE with automatic parameters, a client certificate requested. */
    if (dh_p == NULL || !mf12_contexts(KT_RSA2048, "DHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256",
                                       "DHE-RSA-AES128-GCM-SHA256"))
        return keel_test_finish(name);
    CHECK(SSL_CTX_set_dh_auto(sctx12, 1));
    CHECK(SSL_CTX_use_certificate(cctx12, mf_chain.leaf));
    CHECK(SSL_CTX_use_PrivateKey(cctx12, mf_chain.leaf_key));
    CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(sctx12), mf_chain.ca));
    SSL_CTX_set_verify(sctx12, SSL_VERIFY_PEER, NULL);
    CHECK(SSL_CTX_set_session_id_context(sctx12, (const unsigned char *)"mf12", 4));

    int rc = mf12_run(name, cases, MF_NCASES(cases), argc, argv);
    BN_free(dh_p);
    return rc;
}
