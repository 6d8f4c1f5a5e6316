/* Record engine: TLS 1.2 AEAD records (RFC 5246 §6.2.3.3; RFC 5288 §3 AES-GCM with an explicit
 * nonce; RFC 7905 §2 ChaCha20-Poly1305 with iv XOR seq). */
#include "record_helpers.h"

static const keel_algs *algs;

static size_t iv_len_for(keel_aead_id id)
{
    return id == KEEL_AEAD_CHACHA20_POLY1305 ? 12 : 4;
}

static void setup12(keel_rl *w, keel_rl *r, keel_aead_id id, uint8_t *key, uint8_t *iv)
{
    CHECK(RAND_bytes(key, 32) == 1 && RAND_bytes(iv, 12) == 1);
    CHECK(keel_rl_init(w, algs) && keel_rl_init(r, algs));
    CHECK(keel_rl_set_key12(w, KEEL_RL_WRITE, id, key, iv, iv_len_for(id)));
    CHECK(keel_rl_set_key12(r, KEEL_RL_READ, id, key, iv, iv_len_for(id)));
}

static void test12_roundtrip(keel_aead_id id)
{
    static uint8_t data[KEEL_MAX_PLAINTEXT], got[KEEL_MAX_PLAINTEXT + 64], exp[KEEL_MAX_PLAINTEXT + 64];
    static const size_t lens[] = { 20, 0, KEEL_MAX_PLAINTEXT, 2 };
    static const uint8_t types[] = { KEEL_CT_HANDSHAKE, KEEL_CT_APPLICATION_DATA,
                                     KEEL_CT_APPLICATION_DATA, KEEL_CT_ALERT };
    size_t ex = id == KEEL_AEAD_CHACHA20_POLY1305 ? 0 : 8;
    uint8_t key[32], iv[12];
    keel_rl w, r;
    keel_record rec;
    int alert;
    BIO *b;

    setup12(&w, &r, id, key, iv);
    CHECK(RAND_bytes(data, sizeof(data)) == 1);
    for (size_t i = 0; i < 4; i++) {
        size_t n, elen;

        CHECK(keel_rl_seal(&w, types[i], data, lens[i]));
        CHECK((b = flushed(&w)) != NULL);
        n = (size_t)BIO_read(b, got, sizeof(got));
        /* The explicit nonce keel chooses is the sequence number (RFC 5288 §3 allows it). */
        elen = ref_record12(id, key, iv, i, i, types[i], KEEL_VERSION_TLS12, data, lens[i], exp);
        CHECK(elen == 5 + ex + lens[i] + 16 && n == elen);
        CHECK(memcmp(got, exp, elen) == 0);

        CHECK(BIO_write(b, got, (int)n) == (int)n);
        CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
        CHECK_EQ(rec.type, types[i]);
        CHECK(rec.len == lens[i] && (lens[i] == 0 || memcmp(rec.data, data, lens[i]) == 0));
        keel_rl_consume(&r, rec.len);
        BIO_free(b);
    }
    CHECK(w.wr.seq == 4 && r.rd.seq == 4);

    /* The receiver takes the explicit nonce from the record, whatever the sender chose; the
     * sequence number still goes into the AAD. ChaCha20 has no explicit nonce: a wrong seq fails. */
    {
        size_t elen = ref_record12(id, key, iv, 4, 0x1122334455667788u, KEEL_CT_APPLICATION_DATA,
                                   KEEL_VERSION_TLS12, (const uint8_t *)"abc", 3, exp);

        CHECK_EQ(read_raw(&r, exp, elen, &rec, &alert), KEEL_RL_OK);
        CHECK(rec.len == 3 && memcmp(rec.data, "abc", 3) == 0);
        elen = ref_record12(id, key, iv, 9, 5, KEEL_CT_APPLICATION_DATA, KEEL_VERSION_TLS12,
                            (const uint8_t *)"abc", 3, exp);
        ERR_clear_error();
        CHECK_EQ(read_raw(&r, exp, elen, &rec, &alert), KEEL_RL_ALERT);
        CHECK_EQ(alert, KEEL_ALERT_BAD_RECORD_MAC);
    }
    keel_rl_cleanup(&w);
    keel_rl_cleanup(&r);
}

static void test12_tamper(keel_aead_id id)
{
    size_t ex = id == KEEL_AEAD_CHACHA20_POLY1305 ? 0 : 8;
    /* type (a different valid type changes the AAD), version, explicit nonce or body, tag */
    const size_t where[] = { 0, 2, 5, 5 + ex + 3, 5 + ex + 10 + 2 };
    uint8_t key[32], iv[12], raw[128], data[10] = "0123456789";
    keel_rl w, r;
    keel_record rec;
    int alert;

    setup12(&w, &r, id, key, iv);
    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
        size_t n = ref_record12(id, key, iv, 0, 0, KEEL_CT_APPLICATION_DATA, KEEL_VERSION_TLS12,
                                data, 10, raw);

        raw[where[i]] ^= where[i] == 0 ? 0x01 : 0x20;   /* 23 -> 22 */
        r.rd.seq = 0;
        ERR_clear_error();
        CHECK_EQ(read_raw(&r, raw, n, &rec, &alert), KEEL_RL_ALERT);
        if (where[i] == 2) { /* a protected record's version is checked first, as OpenSSL 3.0 */
            CHECK_EQ(alert, KEEL_ALERT_PROTOCOL_VERSION);
            CHECK_EQ(last_reason(), SSL_R_WRONG_VERSION_NUMBER);
            continue;
        }
        CHECK_EQ(alert, KEEL_ALERT_BAD_RECORD_MAC);
        CHECK_EQ(last_reason(), SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
    }
    /* Too short for explicit nonce and tag. */
    memcpy(raw, "\x17\x03\x03\x00\x0f", 5);
    CHECK_EQ(read_raw(&r, raw, 5 + 15, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_BAD_RECORD_MAC);
    keel_rl_cleanup(&w);
    keel_rl_cleanup(&r);
}

/* RFC 5246 §6.2.3: ciphertext up to 2^14 + 2048, plaintext up to 2^14; TLS 1.2 protects every
 * content type, change_cipher_spec included. */
static void test12_limits(void)
{
    static uint8_t raw[5 + KEEL_MAX_CIPHERTEXT_12 + 1], data[KEEL_MAX_PLAINTEXT + 1];
    uint8_t key[32], iv[12];
    keel_rl w, r;
    keel_record rec;
    int alert;
    size_t n;

    setup12(&w, &r, KEEL_AEAD_AES_256_GCM, key, iv);
    memset(raw, 0, sizeof(raw));
    memcpy(raw, "\x17\x03\x03\x48\x01", 5);   /* 2^14 + 2049 */
    ERR_clear_error();
    CHECK_EQ(read_raw(&r, raw, sizeof(raw), &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_RECORD_OVERFLOW);
    CHECK_EQ(last_reason(), SSL_R_PACKET_LENGTH_TOO_LONG);

    n = ref_record12(KEEL_AEAD_AES_256_GCM, key, iv, 0, 0, KEEL_CT_APPLICATION_DATA,
                     KEEL_VERSION_TLS12, data, KEEL_MAX_PLAINTEXT + 1, raw);
    ERR_clear_error();
    CHECK_EQ(read_raw(&r, raw, n, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_RECORD_OVERFLOW);
    CHECK_EQ(last_reason(), SSL_R_DATA_LENGTH_TOO_LONG);

    /* A change_cipher_spec under TLS 1.2 keys is protected, unlike TLS 1.3's. */
    CHECK(keel_rl_seal(&w, KEEL_CT_CHANGE_CIPHER_SPEC, (const uint8_t *)"\x01", 1));
    CHECK_EQ(keel_rl_unflushed(&w), 5 + 8 + 1 + 16);
    keel_rl_cleanup(&w);
    keel_rl_cleanup(&r);
}

/* A bad iv length refuses the key and leaves the direction refusing records, never plaintext. */
static void test12_bad_key(void)
{
    uint8_t key[32] = { 0 }, iv[12] = { 0 };
    keel_rl w;
    keel_record rec;
    int alert;

    CHECK(keel_rl_init(&w, algs));
    CHECK(!keel_rl_set_key12(&w, KEEL_RL_WRITE, KEEL_AEAD_AES_128_GCM, key, iv, 12));
    CHECK(!keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, (const uint8_t *)"x", 1));
    CHECK_EQ(keel_rl_unflushed(&w), 0);
    CHECK(!keel_rl_set_key12(&w, KEEL_RL_READ, KEEL_AEAD_CHACHA20_POLY1305, key, iv, 4));
    CHECK_EQ(read_raw(&w, (const uint8_t *)"\x17\x03\x03\x00\x01x", 6, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_INTERNAL_ERROR);
    CHECK(!keel_rl_set_key13(&w, 7, KEEL_AEAD_AES_128_GCM, key, iv));
    /* A later good key works again. */
    CHECK(keel_rl_set_key12(&w, KEEL_RL_WRITE, KEEL_AEAD_AES_128_GCM, key, iv, 4));
    CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, (const uint8_t *)"x", 1));
    keel_rl_cleanup(&w);
}

int main(void)
{
    CHECK((algs = keel_algs_default()) != NULL);
    for (size_t i = 0; i < 3; i++) {
        test12_roundtrip(all_aeads[i]);
        test12_tamper(all_aeads[i]);
    }
    test12_limits();
    test12_bad_key();
    return keel_test_finish("unit_record12");
}
