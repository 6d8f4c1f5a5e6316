/* Record engine: TLS 1.2 CBC records (RFC 5246 §6.2.3.2 MAC-then-encrypt, RFC 7366
 * encrypt-then-MAC) on both implementations (libcrypto's stitched AES-CBC-HMAC ciphers and keel's
 * generic path), the Lucky13 property of the generic path checked structurally, and AES-CCM /
 * CCM_8 records (RFC 6655, RFC 8446 §B.4).
 *
 * Expected records are built here from EVP directly (HMAC, AES-CBC without padding), following
 * RFC 5246's layout, so that keel's reading is checked against an independent writer — one that
 * can also write every wrong padding. */
#include "record_helpers.h"

#include <openssl/core_names.h>

static const keel_algs *algs;

static const keel_aead_id encs[] = { KEEL_CBC_AES_128, KEEL_CBC_AES_256 };
static const keel_mac_id macs[] = { KEEL_MAC_SHA1, KEEL_MAC_SHA256, KEEL_MAC_SHA384 };

static const char *md_name(keel_mac_id m)
{
    return m == KEEL_MAC_SHA1 ? "SHA1" : m == KEEL_MAC_SHA256 ? "SHA2-256" : "SHA2-384";
}

static void ref_hmac(keel_mac_id m, const uint8_t *key, const uint8_t ad[11], size_t len,
                     const uint8_t *data, size_t n, uint8_t *out)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac);
    OSSL_PARAM p[2] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md_name(m), 0),
                        OSSL_PARAM_construct_end() };
    uint8_t l[2] = { (uint8_t)(len >> 8), (uint8_t)len };
    size_t outl;

    CHECK(EVP_MAC_init(c, key, keel_mac_len(m), p) && EVP_MAC_update(c, ad, 11) && EVP_MAC_update(c, l, 2)
          && (n == 0 || EVP_MAC_update(c, data, n)) && EVP_MAC_final(c, out, &outl, 64));
    EVP_MAC_CTX_free(c);
    EVP_MAC_free(mac);
}

static void ref_cbc(keel_aead_id e, const uint8_t *key, int enc, const uint8_t *iv, uint8_t *buf, size_t n)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l = 0;

    CHECK(EVP_CipherInit_ex(c, e == KEEL_CBC_AES_128 ? EVP_aes_128_cbc() : EVP_aes_256_cbc(), NULL, key, iv, enc)
          && EVP_CIPHER_CTX_set_padding(c, 0) && EVP_CipherUpdate(c, buf, &l, buf, (int)n) && (size_t)l == n);
    EVP_CIPHER_CTX_free(c);
}

/* A MAC-then-encrypt fragment of n bytes after the IV (n a multiple of 16): content, MAC, then
 * padding value `pad` (pad + 1 bytes). bad_pad_at >= 0 corrupts that padding byte; bad_mac flips
 * a MAC bit. Returns the fragment length (IV included). */
static size_t ref_mte(keel_aead_id e, keel_mac_id m, const uint8_t *mk, const uint8_t *key,
                      const uint8_t ad[11], size_t n, size_t pad, int bad_pad_at, int bad_mac, uint8_t *out)
{
    size_t ml = keel_mac_len(m), clen = n - ml - 1 - pad;
    uint8_t *p = out + 16;

    CHECK(RAND_bytes(out, 16) == 1 && RAND_bytes(p, (int)clen) == 1);
    ref_hmac(m, mk, ad, clen, p, clen, p + clen);
    if (bad_mac)
        p[clen] ^= 0x01;
    memset(p + clen + ml, (int)pad, pad + 1);
    if (bad_pad_at >= 0)
        p[n - 1 - (size_t)bad_pad_at] ^= 0x80;
    ref_cbc(e, key, 1, out, p, n);
    return 16 + n;
}

/* Sealing on each implementation, opening on each: the stitched and generic paths are the same
 * protocol. Then keel's reading of an independent writer's records. */
static void test_roundtrip(keel_aead_id e, keel_mac_id m, int etm)
{
    static uint8_t data[KEEL_MAX_PLAINTEXT], rec[KEEL_MAX_PLAINTEXT + 256], copy[sizeof(rec)];
    static const size_t lens[] = { 0, 1, 15, 16, 17, 31, 100, 1000, KEEL_MAX_PLAINTEXT };
    uint8_t mk[48], key[32], ad[11];
    size_t ml = keel_mac_len(m);

    CHECK(RAND_bytes(mk, sizeof(mk)) == 1 && RAND_bytes(key, sizeof(key)) == 1);
    CHECK(RAND_bytes(data, sizeof(data)) == 1 && RAND_bytes(ad, sizeof(ad)) == 1);
    ad[9] = 3, ad[10] = 3;   /* a TLS 1.2 record's version */
    for (int ws = 0; ws < 2; ws++) {
        for (int rs = 0; rs < 2; rs++) {
            keel_cbc_ctx *w = keel_cbc_new(algs, e, m, 1, etm, ws), *r = keel_cbc_new(algs, e, m, 0, etm, rs);
            CHECK(w != NULL && r != NULL && keel_cbc_set_key(w, mk, key) && keel_cbc_set_key(r, mk, key));
            if (w == NULL || r == NULL)
                return;
            /* The stitched ciphers exist for SHA-1/SHA-256 MAC-then-encrypt here (AES-NI). */
            if (ws && !etm && m != KEEL_MAC_SHA384)
                CHECK(keel_cbc_is_stitched(w));
            else
                CHECK(!keel_cbc_is_stitched(w));
            for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                size_t n = keel_cbc_sealed_len(w, lens[i]), off, plen;
                /* Minimal padding: the total is the next block boundary. */
                size_t body = etm ? lens[i] + 1 : lens[i] + ml + 1;
                CHECK_EQ(n, 16 + (body + 15) / 16 * 16 + (etm ? ml : 0));
                CHECK(keel_cbc_seal(w, ad, data, lens[i], rec));
                memcpy(copy, rec, n);
                CHECK(keel_cbc_len_ok(r, n));
                CHECK(keel_cbc_open(r, ad, rec, n, &off, &plen));
                CHECK(off == 16 && plen == lens[i] && memcmp(rec + off, data, lens[i]) == 0);
                /* Every ciphertext bit matters, and so does the additional data. */
                memcpy(rec, copy, n);
                rec[n - 1 - (i % n)] ^= 0x04;
                CHECK(!keel_cbc_open(r, ad, rec, n, &off, &plen));
                memcpy(rec, copy, n);
                ad[8] ^= 1;
                CHECK(!keel_cbc_open(r, ad, rec, n, &off, &plen));
                ad[8] ^= 1;
            }
            /* A record whose header says TLS 1.0 (no explicit IV in that version) is refused by
             * both paths alike, never read in that version's layout by the stitched cipher. */
            {
                uint8_t old_ad[11];
                size_t n = keel_cbc_sealed_len(w, 40), off, plen;
                memcpy(old_ad, ad, 11);
                old_ad[10] = 1;
                CHECK(!keel_cbc_seal(w, old_ad, data, 40, rec));
                CHECK(keel_cbc_seal(w, ad, data, 40, rec));
                CHECK(!keel_cbc_open(r, old_ad, rec, n, &off, &plen));
                ERR_clear_error();
            }
            /* Two seals of the same record differ: a fresh explicit IV each time. */
            uint8_t a[128], b[128];   /* up to IV + 64 for SHA-384 */
            CHECK(keel_cbc_seal(w, ad, data, 5, a) && keel_cbc_seal(w, ad, data, 5, b));
            CHECK(memcmp(a, b, 16) != 0);
            keel_cbc_free(w);
            keel_cbc_free(r);
        }
    }
    /* An independent writer, every valid padding length (RFC 5246 §6.2.3.2: up to 255). */
    if (!etm) {
        for (int rs = 0; rs < 2; rs++) {
            keel_cbc_ctx *r = keel_cbc_new(algs, e, m, 0, 0, rs);
            CHECK(r != NULL && keel_cbc_set_key(r, mk, key));
            for (size_t pad = 0; pad < 256; pad += 17) {
                size_t n = ((ml + 1 + pad + 40) + 15) / 16 * 16, off, plen;
                size_t len = ref_mte(e, m, mk, key, ad, n, pad, -1, 0, rec);
                CHECK(keel_cbc_open(r, ad, rec, len, &off, &plen));
                CHECK_EQ(plen, n - ml - 1 - pad);
            }
            keel_cbc_free(r);
        }
    }
}

/* Compression-function calls of the generic open for one record: the HMAC's inner hash over the
 * bytes fed to it (key block + message + 0x80 + length field), the outer hash's two blocks, and
 * the dummy blocks. Computed from the bytes the implementation reports having fed, by FIPS 180-4's
 * padding rule. */
static size_t compressions(keel_cbc_ctx *r, keel_mac_id m)
{
    size_t fed, dummy, bs = m == KEEL_MAC_SHA384 ? 128 : 64, lf = m == KEEL_MAC_SHA384 ? 16 : 8;

    keel_cbc_last_work(r, &fed, &dummy);
    CHECK(dummy % bs == 0);
    return (bs + fed + 1 + lf + bs - 1) / bs + 2 + dummy / bs;
}

/* Lucky13 (structural): for one record length, a valid padding of every length, a wrong padding
 * byte in every padding length, a padding longer than the record, and a bad MAC
 * all take the same number of hash compression calls and fail (or succeed) the same way. */
static void test_constant_work(keel_aead_id e, keel_mac_id m)
{
    static uint8_t rec[2048];
    uint8_t mk[48], key[32], ad[11];
    size_t ml = keel_mac_len(m), n = 512, off, plen, want = 0, cases = 0;
    keel_cbc_ctx *r = keel_cbc_new(algs, e, m, 0, 0, 0);

    CHECK(r != NULL && !keel_cbc_is_stitched(r));
    CHECK(RAND_bytes(mk, sizeof(mk)) == 1 && RAND_bytes(key, sizeof(key)) == 1 && RAND_bytes(ad, 11) == 1);
    ad[9] = 3, ad[10] = 3;
    CHECK(keel_cbc_set_key(r, mk, key));
    for (size_t pad = 0; pad < 256; pad++) {
        /* bad == -2: valid; -1: bad MAC; k >= 0: padding byte k wrong (the first, the middle and
         * the last byte of the padding, of every padding length) */
        const int bads[] = { -2, -1, 0, (int)pad / 2, (int)pad };
        for (size_t bi = 0; bi < sizeof(bads) / sizeof(bads[0]); bi++) {
            int bad = bads[bi];
            size_t len = ref_mte(e, m, mk, key, ad, n, pad, bad >= 0 ? bad : -1, bad == -1, rec);
            int ok = keel_cbc_open(r, ad, rec, len, &off, &plen);
            CHECK_EQ(ok, bad == -2);
            size_t w = compressions(r, m);
            if (cases++ == 0)
                want = w;
            if (w != want) {
                fprintf(stderr, "    pad %zu case %d: %zu compression calls, not %zu\n", pad, bad, w, want);
                CHECK(w == want);
            }
        }
    }
    /* A padding byte that claims more than the record holds. */
    {
        size_t small = (ml + 1 + 15) / 16 * 16 + 16;
        size_t len = ref_mte(e, m, mk, key, ad, small, small - ml - 1, -1, 0, rec);
        uint8_t *p = rec + 16;
        /* Re-encrypt with the last byte set to 255: decrypt, edit, encrypt. */
        ref_cbc(e, key, 0, rec, p, small);
        p[small - 1] = 255;
        ref_cbc(e, key, 1, rec, p, small);
        CHECK(!keel_cbc_open(r, ad, rec, len, &off, &plen));
        size_t w1 = compressions(r, m);
        len = ref_mte(e, m, mk, key, ad, small, 0, -1, 1, rec);
        CHECK(!keel_cbc_open(r, ad, rec, len, &off, &plen));
        CHECK_EQ(compressions(r, m), w1);
    }
    printf("  %s/%s: %zu records of %zu bytes, %zu compression calls each\n",
           e == KEEL_CBC_AES_128 ? "AES-128" : "AES-256", md_name(m), cases, n + 16, want);
    keel_cbc_free(r);
}

/* The record engine around it: framing, sequence numbers, encrypt_then_mac, and the structural
 * failures (not a whole number of blocks, too short, too long once opened). */
static void test_engine(keel_mac_id m, int etm)
{
    static uint8_t data[KEEL_MAX_PLAINTEXT + 1], raw[KEEL_MAX_PLAINTEXT + 2048 + 64];
    uint8_t mk[48], key[32];
    keel_rl w, r;
    keel_record rec;
    int alert;
    BIO *b;

    CHECK(RAND_bytes(mk, sizeof(mk)) == 1 && RAND_bytes(key, sizeof(key)) == 1);
    CHECK(RAND_bytes(data, sizeof(data)) == 1);
    CHECK(keel_rl_init(&w, algs) && keel_rl_init(&r, algs));
    CHECK(keel_rl_set_key12_cbc(&w, KEEL_RL_WRITE, KEEL_CBC_AES_128, m, etm, mk, key));
    CHECK(keel_rl_set_key12_cbc(&r, KEEL_RL_READ, KEEL_CBC_AES_128, m, etm, mk, key));
    for (size_t len = 0; len <= 64; len += 13) {
        CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, data, len));
        CHECK((b = flushed(&w)) != NULL);
        CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
        CHECK(rec.type == KEEL_CT_APPLICATION_DATA && rec.len == len && memcmp(rec.data, data, len) == 0);
        keel_rl_consume(&r, rec.len);
        BIO_free(b);
    }
    CHECK(keel_rl_seal(&w, KEEL_CT_HANDSHAKE, data, KEEL_MAX_PLAINTEXT));
    CHECK((b = flushed(&w)) != NULL);
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.len == KEEL_MAX_PLAINTEXT);
    keel_rl_consume(&r, rec.len);
    BIO_free(b);

    /* A record replayed (the sequence number is in the MAC) fails. */
    CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, data, 10));
    CHECK((b = flushed(&w)) != NULL);
    size_t n = (size_t)BIO_read(b, raw, sizeof(raw));
    BIO_free(b);
    CHECK_EQ(read_raw(&r, raw, n, &rec, &alert), KEEL_RL_OK);
    CHECK_EQ(read_raw(&r, raw, n, &rec, &alert), KEEL_RL_ALERT);
    CHECK(alert == KEEL_ALERT_BAD_RECORD_MAC && last_reason() == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
    ERR_clear_error();
    keel_rl_cleanup(&r);

    /* Structural failures, each on a fresh reader: a fragment of 65 bytes (not whole blocks), one
     * of 16 (IV only). */
    static const size_t bad_lens[] = { 65, 16, 33 };
    for (size_t i = 0; i < 3; i++) {
        CHECK(keel_rl_init(&r, algs) && keel_rl_set_key12_cbc(&r, KEEL_RL_READ, KEEL_CBC_AES_128, m, etm, mk, key));
        raw[0] = KEEL_CT_APPLICATION_DATA;
        raw[1] = 3;
        raw[2] = 3;
        raw[3] = (uint8_t)(bad_lens[i] >> 8);
        raw[4] = (uint8_t)bad_lens[i];
        CHECK(RAND_bytes(raw + 5, (int)bad_lens[i]) == 1);
        CHECK_EQ(read_raw(&r, raw, 5 + bad_lens[i], &rec, &alert), KEEL_RL_ALERT);
        CHECK_EQ(alert, KEEL_ALERT_BAD_RECORD_MAC);
        CHECK_EQ(last_reason(), SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
        ERR_clear_error();
        keel_rl_cleanup(&r);
    }

    /* An authentic record whose content is 2^14 + 1 bytes: record_overflow once opened
     * (RFC 5246 §6.2.1), through a writer's context used directly. */
    {
        keel_cbc_ctx *c = keel_cbc_new(algs, KEEL_CBC_AES_128, m, 1, etm, 1);
        uint8_t ad[11] = { 0, 0, 0, 0, 0, 0, 0, 0, KEEL_CT_APPLICATION_DATA, 3, 3 };
        size_t fl = keel_cbc_sealed_len(c, KEEL_MAX_PLAINTEXT + 1);
        CHECK(c != NULL && keel_cbc_set_key(c, mk, key));
        CHECK(keel_cbc_seal(c, ad, data, KEEL_MAX_PLAINTEXT + 1, raw + 5));
        raw[3] = (uint8_t)(fl >> 8);
        raw[4] = (uint8_t)fl;
        CHECK(keel_rl_init(&r, algs) && keel_rl_set_key12_cbc(&r, KEEL_RL_READ, KEEL_CBC_AES_128, m, etm, mk, key));
        CHECK_EQ(read_raw(&r, raw, 5 + fl, &rec, &alert), KEEL_RL_ALERT);
        CHECK_EQ(alert, KEEL_ALERT_RECORD_OVERFLOW);
        CHECK_EQ(last_reason(), SSL_R_DATA_LENGTH_TOO_LONG);
        ERR_clear_error();
        keel_rl_cleanup(&r);
        keel_cbc_free(c);
    }
    /* MAC-then-encrypt and encrypt-then-MAC do not read each other. */
    {
        keel_rl x;
        CHECK(keel_rl_init(&x, algs)
              && keel_rl_set_key12_cbc(&x, KEEL_RL_READ, KEEL_CBC_AES_128, m, !etm, mk, key));
        CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, data, 48));
        CHECK((b = flushed(&w)) != NULL);
        x.rd.seq = w.wr.seq - 1;
        int rv = keel_rl_read(&x, b, &rec, &alert);
        CHECK(rv == KEEL_RL_ALERT && alert == KEEL_ALERT_BAD_RECORD_MAC);
        ERR_clear_error();
        BIO_free(b);
        keel_rl_cleanup(&x);
    }
    keel_rl_cleanup(&w);
}

/* AES-CCM and CCM_8 through the record engine, TLS 1.2 (explicit nonce, RFC 6655 §3) and TLS 1.3. */
static void test_ccm(void)
{
    static const keel_aead_id ids[] = { KEEL_AEAD_AES_128_CCM, KEEL_AEAD_AES_256_CCM,
                                        KEEL_AEAD_AES_128_CCM_8, KEEL_AEAD_AES_256_CCM_8 };
    static uint8_t data[KEEL_MAX_PLAINTEXT], raw[KEEL_MAX_PLAINTEXT + 64];
    uint8_t key[32], iv[12];
    keel_record rec;
    int alert;

    CHECK(RAND_bytes(data, sizeof(data)) == 1);
    for (size_t i = 0; i < 4; i++) {
        size_t tl = keel_aead_tag_len(ids[i]);
        CHECK_EQ(tl, i < 2 ? 16 : 8);
        for (int v13 = 0; v13 < 2; v13++) {
            keel_rl w, r;
            CHECK(RAND_bytes(key, 32) == 1 && RAND_bytes(iv, 12) == 1);
            CHECK(keel_rl_init(&w, algs) && keel_rl_init(&r, algs));
            CHECK(v13 ? keel_rl_set_key13(&w, KEEL_RL_WRITE, ids[i], key, iv)
                      : keel_rl_set_key12(&w, KEEL_RL_WRITE, ids[i], key, iv, 4));
            CHECK(v13 ? keel_rl_set_key13(&r, KEEL_RL_READ, ids[i], key, iv)
                      : keel_rl_set_key12(&r, KEEL_RL_READ, ids[i], key, iv, 4));
            static const size_t lens[] = { 0, 1, 100, KEEL_MAX_PLAINTEXT };
            for (size_t k = 0; k < 4; k++) {
                uint8_t type = lens[k] == 0 ? KEEL_CT_APPLICATION_DATA : KEEL_CT_HANDSHAKE;
                CHECK(keel_rl_seal(&w, type, data, lens[k]));
                BIO *b = flushed(&w);
                CHECK(b != NULL);
                size_t n = (size_t)BIO_read(b, raw, sizeof(raw));
                BIO_free(b);
                CHECK_EQ(n, 5 + lens[k] + tl + (v13 ? 1 : 8));
                CHECK_EQ(read_raw(&r, raw, n, &rec, &alert), KEEL_RL_OK);
                CHECK(rec.type == type && rec.len == lens[k] && memcmp(rec.data, data, lens[k]) == 0);
            }
            CHECK(keel_rl_seal(&w, KEEL_CT_HANDSHAKE, data, 30));
            BIO *b = flushed(&w);
            size_t n = (size_t)BIO_read(b, raw, sizeof(raw));
            BIO_free(b);
            raw[n - 1] ^= 1;   /* the tag */
            CHECK_EQ(read_raw(&r, raw, n, &rec, &alert), KEEL_RL_ALERT);
            CHECK(alert == KEEL_ALERT_BAD_RECORD_MAC);
            ERR_clear_error();
            keel_rl_cleanup(&w);
            keel_rl_cleanup(&r);
        }
    }
}

int main(void)
{
    CHECK((algs = keel_algs_default()) != NULL);
    for (size_t e = 0; e < 2; e++)
        for (size_t m = 0; m < 3; m++)
            for (int etm = 0; etm < 2; etm++)
                test_roundtrip(encs[e], macs[m], etm);
    for (size_t e = 0; e < 2; e++)
        for (size_t m = 0; m < 3; m++)
            test_constant_work(encs[e], macs[m]);
    for (size_t m = 0; m < 3; m++)
        for (int etm = 0; etm < 2; etm++)
            test_engine(macs[m], etm);
    test_ccm();
    return keel_test_finish("unit_record_cbc");
}
