/* The crypto floors: the public-key operations one full (or resumed) TLS 1.3 handshake needs, and
 * the AEAD work of one 16 KiB record, done bare through EVP with everything reusable set up once. No
 * TLS library can beat these; the report shows how close each gets. The protocol figures (tls.c)
 * run a floor in alternating slices with themselves, so both see the same machine load. */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "bench.h"

struct bench_hs_floor {
    int kex_only;                   /* a resumed handshake's floor: the key exchange alone */
    EVP_PKEY_CTX *keygen;           /* X25519 keygen, initialised once */
    EVP_MD_CTX *md;                 /* reset between signature operations */
    const EVP_MD *sha256;           /* NULL for Ed25519, which signs the message itself */
    EVP_PKEY *leaf_key, *leaf_pub, *ca_pub;
    int rsa;
    unsigned char *tbs;             /* the leaf's TBSCertificate and its signature by the CA */
    int tbs_len;
    const unsigned char *cert_sig;
    size_t cert_sig_len;
    unsigned char cv_msg[64 + 33 + 1 + 48];
};
typedef bench_hs_floor hs_floor;

/* Key share generation and the ECDHE secret (RFC 8446 §4.2.8, §7.4.2) for one side: its key pair,
 * the encoded public value, and the secret derived from the peer's encoded value. */
static EVP_PKEY *keygen(hs_floor *f, unsigned char pub[32])
{
    EVP_PKEY *k = NULL;
    size_t len = 32;
    if (EVP_PKEY_keygen(f->keygen, &k) <= 0 || !EVP_PKEY_get_raw_public_key(k, pub, &len) || len != 32)
        bench_die("X25519 keygen");
    return k;
}

static void derive(EVP_PKEY *mine, const unsigned char peer_pub[32], unsigned char secret[32])
{
    EVP_PKEY *peer = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, peer_pub, 32);
    EVP_PKEY_CTX *d = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL);
    size_t len = 32;
    if (peer == NULL || d == NULL || EVP_PKEY_derive_init(d) <= 0 || EVP_PKEY_derive_set_peer(d, peer) <= 0
            || EVP_PKEY_derive(d, secret, &len) <= 0 || len != 32)
        bench_die("X25519 derive");
    EVP_PKEY_CTX_free(d);
    EVP_PKEY_free(peer);
}

/* RFC 8446 §4.2.3: RSA keys sign with RSASSA-PSS, salt length = hash length. */
static void pss(hs_floor *f, EVP_PKEY_CTX *pc)
{
    if (f->rsa && (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) <= 0
                   || EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) <= 0))
        bench_die("PSS parameters");
}

static size_t sign_cv(hs_floor *f, unsigned char *sig, size_t cap)
{
    EVP_PKEY_CTX *pc;
    size_t len = cap;
    EVP_MD_CTX_reset(f->md);
    if (EVP_DigestSignInit(f->md, &pc, f->sha256, NULL, f->leaf_key) <= 0)
        bench_die("sign init");
    pss(f, pc);
    if (EVP_DigestSign(f->md, sig, &len, f->cv_msg, sizeof(f->cv_msg)) <= 0)
        bench_die("sign");
    return len;
}

static void verify(hs_floor *f, EVP_PKEY *key, const EVP_MD *md, int use_pss, const unsigned char *sig,
                   size_t sig_len, const unsigned char *msg, size_t msg_len)
{
    EVP_PKEY_CTX *pc;
    EVP_MD_CTX_reset(f->md);
    if (EVP_DigestVerifyInit(f->md, &pc, md, NULL, key) <= 0)
        bench_die("verify init");
    if (use_pss)
        pss(f, pc);
    if (EVP_DigestVerify(f->md, sig, sig_len, msg, msg_len) != 1)
        bench_die("verify");
}

/* A full handshake: 2 X25519 keygens, 2 derivations, the server's CertificateVerify signature, the
 * client's verification of it and of the leaf's signature by the CA. A resumed one (psk_dhe_ke,
 * RFC 8446 §4.2.9) keeps only the key exchange. */
__attribute__((noinline)) int bench_hs_floor_once(void *arg)
{
    hs_floor *f = arg;
    unsigned char cpub[32], spub[32], cs[32], ss[32], sig[512];
    EVP_PKEY *ck = keygen(f, cpub), *sk = keygen(f, spub);
    derive(sk, cpub, ss);
    derive(ck, spub, cs);
    if (memcmp(cs, ss, 32) != 0)
        bench_die("X25519 secrets differ");
    EVP_PKEY_free(ck);
    EVP_PKEY_free(sk);
    if (f->kex_only)
        return 1;
    size_t sig_len = sign_cv(f, sig, sizeof(sig));
    verify(f, f->leaf_pub, f->sha256, f->rsa, sig, sig_len, f->cv_msg, sizeof(f->cv_msg));
    verify(f, f->ca_pub, f->sha256 ? f->sha256 : EVP_sha256(), 0, f->cert_sig, f->cert_sig_len, f->tbs,
           (size_t)f->tbs_len);
    return 1;
}

bench_hs_floor *bench_hs_floor_new(const bench_chain *ch, int kex_only)
{
    hs_floor *f = OPENSSL_zalloc(sizeof(*f));
    if (f == NULL)
        bench_die("floor setup");
    f->kex_only = kex_only;
    f->rsa = EVP_PKEY_is_a(ch->leaf_key, "RSA");
    f->sha256 = EVP_PKEY_is_a(ch->leaf_key, "ED25519") ? NULL : EVP_sha256();
    f->leaf_key = ch->leaf_key;
    f->leaf_pub = X509_get0_pubkey(ch->leaf);
    f->ca_pub = X509_get0_pubkey(ch->ca);
    /* RFC 8446 §4.4.3: 64 spaces, the context string, a zero byte, the transcript hash. */
    memset(f->cv_msg, 0x20, 64);
    memcpy(f->cv_msg + 64, "TLS 1.3, server CertificateVerify", 33);
    f->cv_msg[97] = 0;
    memset(f->cv_msg + 98, 0xab, 48);
    const ASN1_BIT_STRING *sigbits;
    X509_get0_signature(&sigbits, NULL, ch->leaf);
    f->cert_sig = ASN1_STRING_get0_data(sigbits);
    f->cert_sig_len = (size_t)ASN1_STRING_length(sigbits);
    f->tbs_len = i2d_re_X509_tbs(ch->leaf, &f->tbs);
    f->keygen = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
    f->md = EVP_MD_CTX_new();
    if (f->tbs_len <= 0 || f->keygen == NULL || f->md == NULL || EVP_PKEY_keygen_init(f->keygen) <= 0
            || f->leaf_pub == NULL || f->ca_pub == NULL)
        bench_die("floor setup");
    return f;
}

void bench_hs_floor_free(bench_hs_floor *f)
{
    if (f == NULL)
        return;
    OPENSSL_free(f->tbs);
    EVP_PKEY_CTX_free(f->keygen);
    EVP_MD_CTX_free(f->md);
    OPENSSL_free(f);
}

/* The floor alone (figures floor_hs_*, for a look at it without the protocol). */
void bench_fig_floor_handshake(const bench_chain *ch, const char *name, double seconds, int kex_only)
{
    bench_hs_floor *f = bench_hs_floor_new(ch, kex_only);
    bench_result(name, bench_measure(seconds, bench_hs_floor_once, f));
    bench_hs_floor_free(f);
}

/* One TLS 1.3 record of 16 KiB each way through the AEAD (RFC 8446 §5.2): the inner plaintext
 * carries the content type byte, the additional data is the 5-byte record header, the nonce is
 * the IV XORed with the sequence number. Contexts keep their key; only the nonce changes. */
enum { PT = 16384 + 1, TAG = 16 };
struct bench_aead_floor {
    EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *enc, *dec;
    unsigned char iv[12];
    unsigned long long seq;
    unsigned char plain[PT], rec[PT + TAG], back[PT];
};

bench_aead_floor *bench_aead_floor_new(const char *cipher)
{
    unsigned char key[32];
    bench_aead_floor *f = OPENSSL_zalloc(sizeof(*f));
    if (f == NULL)
        bench_die("AEAD setup");
    memset(key, 0x42, sizeof(key));
    memset(f->iv, 0x24, sizeof(f->iv));
    for (size_t i = 0; i < sizeof(f->plain); i++)
        f->plain[i] = (unsigned char)i;
    f->cipher = EVP_CIPHER_fetch(NULL, cipher, NULL);
    f->enc = EVP_CIPHER_CTX_new();
    f->dec = EVP_CIPHER_CTX_new();
    if (f->cipher == NULL || f->enc == NULL || f->dec == NULL
            || !EVP_EncryptInit_ex2(f->enc, f->cipher, key, NULL, NULL)
            || !EVP_DecryptInit_ex2(f->dec, f->cipher, key, NULL, NULL))
        bench_die("AEAD setup");
    if (!bench_aead_floor_once(f) || memcmp(f->back, f->plain, PT) != 0)
        bench_die("AEAD round trip");
    return f;
}

/* Sixteen records (256 KiB) sealed and opened, the unit the bulk figure moves per call too. */
__attribute__((noinline)) int bench_aead_floor_once(void *arg)
{
    bench_aead_floor *f = arg;
    const unsigned char aad[5] = { 23, 3, 3, (PT + TAG) >> 8, (PT + TAG) & 0xff };
    unsigned char nonce[12];
    for (int r = 0; r < 16; r++) {
        memcpy(nonce, f->iv, 12);
        for (int i = 0; i < 8; i++)
            nonce[11 - i] ^= (unsigned char)(f->seq >> (8 * i));
        f->seq++;
        int l1, l2;
        if (!EVP_EncryptInit_ex2(f->enc, NULL, NULL, nonce, NULL) || !EVP_EncryptUpdate(f->enc, NULL, &l1, aad, 5)
                || !EVP_EncryptUpdate(f->enc, f->rec, &l1, f->plain, PT)
                || !EVP_EncryptFinal_ex(f->enc, f->rec + l1, &l2)
                || !EVP_CIPHER_CTX_ctrl(f->enc, EVP_CTRL_AEAD_GET_TAG, TAG, f->rec + PT))
            return 0;
        if (!EVP_DecryptInit_ex2(f->dec, NULL, NULL, nonce, NULL) || !EVP_DecryptUpdate(f->dec, NULL, &l1, aad, 5)
                || !EVP_DecryptUpdate(f->dec, f->back, &l1, f->rec, PT)
                || !EVP_CIPHER_CTX_ctrl(f->dec, EVP_CTRL_AEAD_SET_TAG, TAG, f->rec + PT)
                || EVP_DecryptFinal_ex(f->dec, f->back + l1, &l2) <= 0)
            return 0;
    }
    return 1;
}

void bench_aead_floor_free(bench_aead_floor *f)
{
    if (f == NULL)
        return;
    EVP_CIPHER_CTX_free(f->enc);
    EVP_CIPHER_CTX_free(f->dec);
    EVP_CIPHER_free(f->cipher);
    OPENSSL_free(f);
}

/* MB/s of application data: 16 records of 16 KiB per call. */
void bench_fig_floor_aead(const char *cipher, const char *name, double seconds)
{
    bench_aead_floor *f = bench_aead_floor_new(cipher);
    bench_result(name, bench_measure(seconds, bench_aead_floor_once, f) * 16 * 16384 / 1e6);
    bench_aead_floor_free(f);
}
