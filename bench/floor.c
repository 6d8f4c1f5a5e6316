/* The crypto floors: the public-key operations one full (or resumed) TLS 1.3 handshake needs, and
 * the AEAD work of one 16 KiB record, done bare through EVP with everything reusable set up once. No
 * TLS library can beat these; the report shows how close each gets. The protocol figures (tls.c)
 * run a floor in alternating slices with themselves, so both see the same machine load. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "bench.h"

struct bench_hs_floor {
    int kex_only;                   /* BENCH_FLOOR_*: full, key exchange alone, TLS 1.2 abbreviated */
    EVP_MAC_CTX *hmac[2];           /* TLS 1.2 abbreviated: P_SHA384 per side, SHA-384, AES-256-GCM */
    const EVP_MD *sha384;
    EVP_CIPHER *gcm;
    EVP_CIPHER_CTX *seal, *open;
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

/* RFC 5246 §5 P_SHA384(master, label + seed) on a context keyed with the master secret: the PRF of
 * ECDHE-ECDSA-AES256-GCM-SHA384 (RFC 5289 §3.2). */
static void p_sha384(EVP_MAC_CTX *m, const char *label, const unsigned char *seed, size_t seed_len,
                     unsigned char *out, size_t n)
{
    unsigned char a[48], blk[48];
    size_t l, ll = strlen(label);
    if (!EVP_MAC_init(m, NULL, 0, NULL) || !EVP_MAC_update(m, (const unsigned char *)label, ll)
            || !EVP_MAC_update(m, seed, seed_len) || !EVP_MAC_final(m, a, &l, sizeof(a)))
        bench_die("PRF");
    for (size_t done = 0; done < n; done += 48) {
        if (!EVP_MAC_init(m, NULL, 0, NULL) || !EVP_MAC_update(m, a, 48)
                || !EVP_MAC_update(m, (const unsigned char *)label, ll)
                || !EVP_MAC_update(m, seed, seed_len) || !EVP_MAC_final(m, blk, &l, sizeof(blk)))
            bench_die("PRF");
        memcpy(out + done, blk, n - done < 48 ? n - done : 48);
        if (done + 48 < n && (!EVP_MAC_init(m, NULL, 0, NULL) || !EVP_MAC_update(m, a, 48)
                              || !EVP_MAC_final(m, a, &l, sizeof(a))))
            bench_die("PRF");
    }
}

/* A Finished record of TLS 1.2 AES-256-GCM (RFC 5288 §3): 8-byte explicit nonce, 13-byte AAD, the
 * 16-byte message (4-byte header, 12-byte verify_data), 16-byte tag. */
static void gcm_record(EVP_CIPHER_CTX *c, int enc, const unsigned char *key, const unsigned char *salt,
                       unsigned char msg[16], unsigned char tag[16])
{
    unsigned char nonce[12] = { 0 }, aad[13] = { 0, 0, 0, 0, 0, 0, 0, 0, 22, 3, 3, 0, 16 };
    int l;
    memcpy(nonce, salt, 4);
    if (!EVP_CipherInit_ex2(c, NULL, key, nonce, enc, NULL) || !EVP_CipherUpdate(c, NULL, &l, aad, 13)
            || !EVP_CipherUpdate(c, msg, &l, msg, 16)
            || (!enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, tag))
            || EVP_CipherFinal_ex(c, msg + l, &l) <= 0
            || (enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag)))
        bench_die("GCM record");
}

/* Both sides of a TLS 1.2 abbreviated handshake (RFC 5246 §7.3 Figure 2; RFC 5077 §3.1), in wire
 * order: each side derives the key block from the session's master secret (§6.3: 2 AES-256 keys,
 * 2 4-byte salts) on its own HMAC context, and computes both Finished verify_data over the SHA-384
 * transcript hash (§7.4.9); the server's Finished is sealed and opened, then the client's. */
static void abbreviated(hs_floor *f)
{
    static const unsigned char master[48] = { 7 }, randoms[64] = { 9 }, hellos[320] = { 1 };
    static const char *const labels[2] = { "server finished", "client finished" };
    unsigned char kb[2][72], th[48], vd[12], msg[16] = { 20, 0, 0, 12 }, tag[16];
    for (int side = 0; side < 2; side++) { /* 0 server, 1 client */
        if (!EVP_MAC_init(f->hmac[side], master, sizeof(master), NULL))
            bench_die("PRF key");
        p_sha384(f->hmac[side], "key expansion", randoms, sizeof(randoms), kb[side], sizeof(kb[side]));
    }
    for (int i = 0; i < 2; i++) {          /* i = 0: the server's Finished, 1: the client's */
        for (int side = 0; side < 2; side++) {
            if (!EVP_Digest(hellos, sizeof(hellos) - (size_t)(i == 0 ? 16 : 0), th, NULL, f->sha384, NULL))
                bench_die("transcript hash");
            p_sha384(f->hmac[side], labels[i], th, sizeof(th), vd, sizeof(vd));
        }
        /* The sender's write key is the receiver's read key: client_write at 0, server_write at 32. */
        const unsigned char *key = kb[0] + (i == 0 ? 32 : 0), *salt = kb[0] + (i == 0 ? 68 : 64);
        memcpy(msg + 4, vd, 12);
        gcm_record(f->seal, 1, key, salt, msg, tag);
        gcm_record(f->open, 0, kb[1] + (key - kb[0]), kb[1] + (salt - kb[0]), msg, tag);
    }
}

/* A full handshake: 2 X25519 keygens, 2 derivations, the server's CertificateVerify signature, the
 * client's verification of it and of the leaf's signature by the CA. A resumed one (psk_dhe_ke,
 * RFC 8446 §4.2.9) keeps only the key exchange. */
__attribute__((noinline)) int bench_hs_floor_once(void *arg)
{
    hs_floor *f = arg;
    unsigned char cpub[32], spub[32], cs[32], ss[32], sig[512];
    if (f->kex_only == BENCH_FLOOR_ABBREV12) {
        abbreviated(f);
        return 1;
    }
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
    if (kex_only == BENCH_FLOOR_ABBREV12) {
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        OSSL_PARAM p[2] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA2-384", 0),
                            OSSL_PARAM_construct_end() };
        unsigned char key[32] = { 0 };
        for (int i = 0; i < 2; i++)
            if ((f->hmac[i] = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL) == NULL || !EVP_MAC_CTX_set_params(f->hmac[i], p))
                bench_die("floor setup");
        EVP_MAC_free(mac);
        f->sha384 = EVP_sha384();
        f->gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
        f->seal = EVP_CIPHER_CTX_new();
        f->open = EVP_CIPHER_CTX_new();
        if (f->gcm == NULL || f->seal == NULL
                || f->open == NULL || !EVP_EncryptInit_ex2(f->seal, f->gcm, key, NULL, NULL)
                || !EVP_DecryptInit_ex2(f->open, f->gcm, key, NULL, NULL))
            bench_die("floor setup");
    }
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
    EVP_MAC_CTX_free(f->hmac[0]);
    EVP_MAC_CTX_free(f->hmac[1]);
    EVP_CIPHER_free(f->gcm);
    EVP_CIPHER_CTX_free(f->seal);
    EVP_CIPHER_CTX_free(f->open);
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
