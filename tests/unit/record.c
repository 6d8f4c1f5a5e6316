/* Record engine: plaintext framing, TLS 1.3 protection (RFC 8446 §5), header and limit checks. */
#include "record_helpers.h"

static const keel_algs *algs;

static void test_plaintext_roundtrip(void)
{
    keel_rl w, r;
    keel_record rec;
    int alert = -1;
    uint8_t raw[64];
    BIO *b;

    CHECK(keel_rl_init(&w, algs) && keel_rl_init(&r, algs));
    keel_rl_set_version(&w, KEEL_VERSION_TLS10);   /* a first ClientHello's record version */
    CHECK(keel_rl_seal(&w, KEEL_CT_HANDSHAKE, (const uint8_t *)"hello", 5));
    keel_rl_set_version(&w, KEEL_VERSION_TLS12);
    CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, (const uint8_t *)"xy", 2));
    CHECK_EQ(keel_rl_unflushed(&w), 5 + 5 + 5 + 2);
    CHECK((b = flushed(&w)) != NULL);
    CHECK_EQ(keel_rl_unflushed(&w), 0);
    CHECK_EQ(BIO_read(b, raw, sizeof(raw)), 17);
    CHECK(memcmp(raw, "\x16\x03\x01\x00\x05hello\x17\x03\x03\x00\x02xy", 17) == 0);
    BIO_free(b);

    CHECK((b = mem_with(raw, 17)) != NULL);
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
    CHECK_EQ(rec.type, KEEL_CT_HANDSHAKE);
    CHECK(rec.len == 5 && memcmp(rec.data, "hello", 5) == 0);
    CHECK_EQ(keel_rl_pending(&r), 0);            /* handshake bytes are not SSL_pending's */
    keel_rl_consume(&r, 5);
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.type == KEEL_CT_APPLICATION_DATA && rec.len == 2 && memcmp(rec.data, "xy", 2) == 0);
    CHECK_EQ(keel_rl_pending(&r), 2);
    keel_rl_consume(&r, 2);
    /* An empty memory BIO says "retry"; once marked EOF it reports a clean EOF. */
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_RETRY);
    BIO_set_mem_eof_return(b, 0);
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_EOF);
    CHECK_EQ(alert, -1);
    BIO_free(b);
    keel_rl_cleanup(&w);
    keel_rl_cleanup(&r);
}

static void setup13(keel_rl *w, keel_rl *r, keel_aead_id id, uint8_t *key, uint8_t iv[12])
{
    CHECK(RAND_bytes(key, 32) == 1 && RAND_bytes(iv, 12) == 1);
    CHECK(keel_rl_init(w, algs) && keel_rl_init(r, algs));
    CHECK(keel_rl_set_key13(w, KEEL_RL_WRITE, id, key, iv));
    CHECK(keel_rl_set_key13(r, KEEL_RL_READ, id, key, iv));
}

static void test13_roundtrip(keel_aead_id id)
{
    static uint8_t big[KEEL_MAX_PLAINTEXT], inner[KEEL_MAX_PLAINTEXT + 1];
    static uint8_t exp[KEEL_MAX_PLAINTEXT + 64], got[KEEL_MAX_PLAINTEXT + 64];
    static const size_t lens[] = { 1, 0, 100, KEEL_MAX_PLAINTEXT };
    static const uint8_t types[] = { KEEL_CT_HANDSHAKE, KEEL_CT_APPLICATION_DATA, KEEL_CT_ALERT,
                                     KEEL_CT_APPLICATION_DATA };
    uint8_t key[32], iv[12];
    keel_rl w, r;
    keel_record rec;
    int alert;
    BIO *b;

    setup13(&w, &r, id, key, iv);
    CHECK(RAND_bytes(big, sizeof(big)) == 1);
    for (size_t i = 0; i < 4; i++) {
        size_t n, elen;

        /* keel's record must equal the RFC 8446 §5.2 construction done independently. */
        CHECK(keel_rl_seal(&w, types[i], big, lens[i]));
        CHECK((b = flushed(&w)) != NULL);
        n = (size_t)BIO_read(b, got, sizeof(got));
        memcpy(inner, big, lens[i]);
        inner[lens[i]] = types[i];
        elen = ref_record13(id, key, iv, i, KEEL_CT_APPLICATION_DATA, inner, lens[i] + 1, exp);
        CHECK(elen == 5 + lens[i] + 1 + 16 && n == elen);
        CHECK(memcmp(got, exp, elen) == 0);
        CHECK_EQ(w.wr.seq, i + 1);

        CHECK((BIO_write(b, got, (int)n)) == (int)n);
        CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
        CHECK_EQ(rec.type, types[i]);
        CHECK(rec.len == lens[i] && (lens[i] == 0 || memcmp(rec.data, big, lens[i]) == 0));
        CHECK_EQ(r.rd.seq, i + 1);
        keel_rl_consume(&r, rec.len);
        BIO_free(b);
    }
    keel_rl_cleanup(&w);
    keel_rl_cleanup(&r);
}

/* RFC 8446 §5.2: any change to header (the AAD), fragment or tag fails authentication. */
static void test13_tamper(keel_aead_id id)
{
    static const size_t where[] = { 2, 4, 5, 9, 5 + 20 + 1 + 3 };  /* version, length, body, tag */
    uint8_t key[32], iv[12], rec_bytes[128], inner[21];
    keel_rl r, w;
    keel_record rec;
    size_t n;
    int alert;

    memset(inner, 'a', 20);
    inner[20] = KEEL_CT_APPLICATION_DATA;
    setup13(&w, &r, id, key, iv);
    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
        n = ref_record13(id, key, iv, 0, KEEL_CT_APPLICATION_DATA, inner, sizeof(inner), rec_bytes);
        CHECK(n == 5 + 21 + 16);
        rec_bytes[where[i]] ^= where[i] == 4 ? 0x01 : 0x40;   /* a length one shorter stays framed */
        if (where[i] == 4)
            n--;
        r.rd.seq = 0;
        ERR_clear_error();
        alert = -1;
        CHECK_EQ(read_raw(&r, rec_bytes, n, &rec, &alert), KEEL_RL_ALERT);
        if (where[i] == 2) { /* §5.1: a protected record's version must be 0x0303 (as OpenSSL 3.0) */
            CHECK_EQ(alert, KEEL_ALERT_PROTOCOL_VERSION);
            CHECK_EQ(last_reason(), SSL_R_WRONG_VERSION_NUMBER);
            continue;
        }
        CHECK_EQ(alert, KEEL_ALERT_BAD_RECORD_MAC);
        CHECK_EQ(last_reason(), SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC);
    }
    /* The untouched record opens, so the failures above were the flips'. */
    n = ref_record13(id, key, iv, 0, KEEL_CT_APPLICATION_DATA, inner, sizeof(inner), rec_bytes);
    r.rd.seq = 0;
    CHECK_EQ(read_raw(&r, rec_bytes, n, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.len == 20 && rec.data[0] == 'a');
    /* A wrong sequence number is a wrong nonce. */
    r.rd.seq = 5;
    CHECK_EQ(read_raw(&r, rec_bytes, n, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_BAD_RECORD_MAC);
    /* Shorter than a tag. */
    memcpy(rec_bytes, "\x17\x03\x03\x00\x0f", 5);
    CHECK_EQ(read_raw(&r, rec_bytes, 5 + 15, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_BAD_RECORD_MAC);
    keel_rl_cleanup(&w);
    keel_rl_cleanup(&r);
}

/* RFC 8446 §5.4: padding is stripped; the type is the last non-zero byte. */
static void test13_inner(void)
{
    static uint8_t inner[KEEL_MAX_PLAINTEXT + 256], rb[KEEL_MAX_PLAINTEXT + 300];
    uint8_t key[32], iv[12];
    keel_rl w, r;
    keel_record rec;
    size_t n;
    int alert;

    setup13(&w, &r, KEEL_AEAD_AES_128_GCM, key, iv);
    /* content "hs" || handshake || 100 zeros */
    memset(inner, 0, sizeof(inner));
    memcpy(inner, "hs", 2);
    inner[2] = KEEL_CT_HANDSHAKE;
    n = ref_record13(KEEL_AEAD_AES_128_GCM, key, iv, 0, KEEL_CT_APPLICATION_DATA, inner, 103, rb);
    CHECK_EQ(read_raw(&r, rb, n, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.type == KEEL_CT_HANDSHAKE && rec.len == 2 && memcmp(rec.data, "hs", 2) == 0);

    /* Content that itself ends in zeros keeps them: only bytes after the type are padding. */
    memcpy(inner, "a\0\0", 3);
    inner[3] = KEEL_CT_APPLICATION_DATA;
    inner[4] = 0;
    n = ref_record13(KEEL_AEAD_AES_128_GCM, key, iv, 1, KEEL_CT_APPLICATION_DATA, inner, 5, rb);
    CHECK_EQ(read_raw(&r, rb, n, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.type == KEEL_CT_APPLICATION_DATA && rec.len == 3 && rec.data[0] == 'a' && rec.data[2] == 0);
    keel_rl_consume(&r, rec.len);

    /* All zeros (and the empty inner plaintext): no content type, unexpected_message. */
    memset(inner, 0, 64);
    n = ref_record13(KEEL_AEAD_AES_128_GCM, key, iv, 2, KEEL_CT_APPLICATION_DATA, inner, 64, rb);
    ERR_clear_error();
    CHECK_EQ(read_raw(&r, rb, n, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_UNEXPECTED_MESSAGE);
    CHECK_EQ(last_reason(), SSL_R_BAD_RECORD_TYPE);
    n = ref_record13(KEEL_AEAD_AES_128_GCM, key, iv, 3, KEEL_CT_APPLICATION_DATA, inner, 0, rb);
    CHECK_EQ(read_raw(&r, rb, n, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_UNEXPECTED_MESSAGE);

    /* A protected change_cipher_spec, or an unknown inner type: unexpected_message (§5). */
    inner[0] = 1;
    inner[1] = KEEL_CT_CHANGE_CIPHER_SPEC;
    n = ref_record13(KEEL_AEAD_AES_128_GCM, key, iv, 4, KEEL_CT_APPLICATION_DATA, inner, 2, rb);
    CHECK_EQ(read_raw(&r, rb, n, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_UNEXPECTED_MESSAGE);
    inner[1] = 99;
    n = ref_record13(KEEL_AEAD_AES_128_GCM, key, iv, 5, KEEL_CT_APPLICATION_DATA, inner, 2, rb);
    CHECK_EQ(read_raw(&r, rb, n, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_UNEXPECTED_MESSAGE);

    /* Exactly 2^14 of content and the type (2^14 + 1, §5.4's limit) is fine ... */
    memset(inner, 'z', KEEL_MAX_PLAINTEXT);
    inner[KEEL_MAX_PLAINTEXT] = KEEL_CT_APPLICATION_DATA;
    memset(inner + KEEL_MAX_PLAINTEXT + 1, 0, 255 - 16);
    n = ref_record13(KEEL_AEAD_AES_128_GCM, key, iv, 6, KEEL_CT_APPLICATION_DATA, inner,
                     KEEL_MAX_PLAINTEXT + 1, rb);
    CHECK_EQ(read_raw(&r, rb, n, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.len == KEEL_MAX_PLAINTEXT && rec.data[KEEL_MAX_PLAINTEXT - 1] == 'z');
    keel_rl_consume(&r, rec.len);
    /* ... one byte of padding more is record_overflow although the ciphertext fits: the full
     * TLSInnerPlaintext, padding included, is limited (§5.4) ... */
    n = ref_record13(KEEL_AEAD_AES_128_GCM, key, iv, 7, KEEL_CT_APPLICATION_DATA, inner,
                     KEEL_MAX_PLAINTEXT + 2, rb);
    ERR_clear_error();
    CHECK_EQ(read_raw(&r, rb, n, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_RECORD_OVERFLOW);
    CHECK_EQ(last_reason(), SSL_R_DATA_LENGTH_TOO_LONG);
    /* ... as is a short content with padding up to the ciphertext limit ... */
    inner[0] = 'q';
    inner[1] = KEEL_CT_APPLICATION_DATA;
    memset(inner + 2, 0, KEEL_MAX_PLAINTEXT + 256 - 16 - 2);
    n = ref_record13(KEEL_AEAD_AES_128_GCM, key, iv, 7, KEEL_CT_APPLICATION_DATA, inner,
                     KEEL_MAX_PLAINTEXT + 256 - 16, rb);
    CHECK_EQ(n, 5 + KEEL_MAX_CIPHERTEXT_13);
    ERR_clear_error();
    CHECK_EQ(read_raw(&r, rb, n, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_RECORD_OVERFLOW);
    CHECK_EQ(last_reason(), SSL_R_DATA_LENGTH_TOO_LONG);
    /* ... and one more byte of content. */
    memset(inner, 'z', KEEL_MAX_PLAINTEXT + 1);
    inner[KEEL_MAX_PLAINTEXT + 1] = KEEL_CT_APPLICATION_DATA;
    n = ref_record13(KEEL_AEAD_AES_128_GCM, key, iv, 7, KEEL_CT_APPLICATION_DATA, inner,
                     KEEL_MAX_PLAINTEXT + 2, rb);
    ERR_clear_error();
    CHECK_EQ(read_raw(&r, rb, n, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_RECORD_OVERFLOW);
    /* A ciphertext longer than 2^14 + 256 is refused from its header alone. */
    ERR_clear_error();
    CHECK_EQ(read_raw(&r, (const uint8_t *)"\x17\x03\x03\x41\x01", 5, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_RECORD_OVERFLOW);
    CHECK_EQ(last_reason(), SSL_R_ENCRYPTED_LENGTH_TOO_LONG);
    keel_rl_cleanup(&w);
    keel_rl_cleanup(&r);
}

/* Outer types under TLS 1.3 protection (§5): only application_data, and the unprotected
 * change_cipher_spec which is passed up as-is, outside the sequence numbers. */
static void test13_outer(void)
{
    uint8_t key[32], iv[12], raw[64];
    keel_rl w, r;
    keel_record rec;
    int alert;
    BIO *b;

    setup13(&w, &r, KEEL_AEAD_CHACHA20_POLY1305, key, iv);
    CHECK_EQ(read_raw(&r, (const uint8_t *)"\x14\x03\x03\x00\x01\x01", 6, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.type == KEEL_CT_CHANGE_CIPHER_SPEC && rec.len == 1 && rec.data[0] == 1);
    CHECK_EQ(r.rd.seq, 0);
    ERR_clear_error();
    CHECK_EQ(read_raw(&r, (const uint8_t *)"\x16\x03\x03\x00\x01\x01", 6, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_UNEXPECTED_MESSAGE);
    CHECK_EQ(last_reason(), SSL_R_UNEXPECTED_RECORD);
    /* An unprotected alert under a fresh read key (sequence number 0) is a forgery unless the
     * handshake layer armed the one-shot allowance (#10.1) ... */
    static const uint8_t plain_cn[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00 };
    ERR_clear_error();
    CHECK_EQ(read_raw(&r, plain_cn, 7, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_UNEXPECTED_MESSAGE);
    CHECK_EQ(last_reason(), SSL_R_UNEXPECTED_RECORD);
    /* ... armed, one is taken ... */
    keel_rl_allow_plain_alert(&r);
    CHECK_EQ(read_raw(&r, (const uint8_t *)"\x15\x03\x03\x00\x02\x02\x28", 7, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.type == KEEL_CT_ALERT && rec.len == 2 && rec.data[1] == 0x28);
    keel_rl_consume(&r, rec.len);
    /* ... the first record opened under the key spends the allowance ... */
    keel_rl_allow_plain_alert(&r);
    CHECK(keel_rl_seal(&w, KEEL_CT_HANDSHAKE, (const uint8_t *)"hs", 2));
    CHECK((b = flushed(&w)) != NULL);
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
    keel_rl_consume(&r, rec.len);
    BIO_free(b);
    CHECK_EQ(read_raw(&r, plain_cn, 7, &rec, &alert), KEEL_RL_ALERT);
    /* ... and so does a read key change (a KeyUpdate): the new key starts at sequence 0 but
     * without the allowance. */
    keel_rl_allow_plain_alert(&r);
    CHECK(keel_rl_set_key13(&r, KEEL_RL_READ, KEEL_AEAD_CHACHA20_POLY1305, key, iv));
    CHECK_EQ(r.rd.seq, 0);
    CHECK_EQ(read_raw(&r, plain_cn, 7, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_UNEXPECTED_MESSAGE);
    CHECK(keel_rl_set_key13(&r, KEEL_RL_READ, KEEL_AEAD_CHACHA20_POLY1305, key, iv));
    CHECK(keel_rl_set_key13(&w, KEEL_RL_WRITE, KEEL_AEAD_CHACHA20_POLY1305, key, iv));

    /* Writing: a CCS goes out in plaintext with 0x0303 and uses no sequence number; later records
     * are still protected. */
    keel_rl_set_version(&w, KEEL_VERSION_TLS10);
    CHECK(keel_rl_seal(&w, KEEL_CT_CHANGE_CIPHER_SPEC, (const uint8_t *)"\x01", 1));
    CHECK_EQ(w.wr.seq, 0);
    CHECK(keel_rl_seal(&w, KEEL_CT_HANDSHAKE, (const uint8_t *)"fin", 3));
    CHECK((b = flushed(&w)) != NULL);
    CHECK_EQ(BIO_read(b, raw, sizeof(raw)), 6 + 5 + 3 + 1 + 16);
    CHECK(memcmp(raw, "\x14\x03\x03\x00\x01\x01\x17\x03\x03\x00\x14", 11) == 0);
    BIO_free(b);
    keel_rl_cleanup(&w);
    keel_rl_cleanup(&r);
}

static void test_header_checks(void)
{
    static uint8_t big[5 + KEEL_MAX_PLAINTEXT + 1];
    keel_rl r;
    keel_record rec;
    int alert;

    CHECK(keel_rl_init(&r, algs));
    /* RFC 8446 §5.1: 0x0300..0x03ff are all accepted. */
    CHECK_EQ(read_raw(&r, (const uint8_t *)"\x16\x03\x00\x00\x01\x01", 6, &rec, &alert), KEEL_RL_OK);
    CHECK_EQ(read_raw(&r, (const uint8_t *)"\x16\x03\xff\x00\x01\x02", 6, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.len == 1 && rec.data[0] == 2);
    ERR_clear_error();
    CHECK_EQ(read_raw(&r, (const uint8_t *)"\x16\x02\x03\x00\x01\x01", 6, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_PROTOCOL_VERSION);
    CHECK_EQ(last_reason(), SSL_R_WRONG_VERSION_NUMBER);
    /* Unknown content types (heartbeat included): unexpected_message. */
    CHECK_EQ(read_raw(&r, (const uint8_t *)"\x18\x03\x03\x00\x01\x01", 6, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_UNEXPECTED_MESSAGE);
    CHECK_EQ(read_raw(&r, (const uint8_t *)"\x13\x03\x03\x00\x01\x01", 6, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_UNEXPECTED_MESSAGE);
    /* Empty handshake and alert fragments are illegal, but only TLS 1.3-protected ones are refused
     * by the record layer (the SSL layer counts unprotected ones, as OpenSSL 3.0 does);
     * empty application data is not illegal. */
    CHECK_EQ(read_raw(&r, (const uint8_t *)"\x16\x03\x03\x00\x00", 5, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.type == KEEL_CT_HANDSHAKE && rec.len == 0);
    CHECK_EQ(read_raw(&r, (const uint8_t *)"\x15\x03\x03\x00\x00", 5, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.type == KEEL_CT_ALERT && rec.len == 0);
    CHECK_EQ(read_raw(&r, (const uint8_t *)"\x17\x03\x03\x00\x00", 5, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.type == KEEL_CT_APPLICATION_DATA && rec.len == 0);
    /* An empty record is returned once: the next read moves on instead of repeating it. */
    CHECK_EQ(read_raw(&r, (const uint8_t *)"\x17\x03\x03\x00\x01q", 6, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.len == 1 && rec.data[0] == 'q');
    keel_rl_consume(&r, 1);
    /* Plaintext records are limited to 2^14 (RFC 8446 §5.1). */
    memcpy(big, "\x17\x03\x03\x40\x00", 5);
    CHECK_EQ(read_raw(&r, big, 5 + KEEL_MAX_PLAINTEXT, &rec, &alert), KEEL_RL_OK);
    CHECK_EQ(rec.len, KEEL_MAX_PLAINTEXT);
    keel_rl_consume(&r, rec.len);
    memcpy(big, "\x17\x03\x03\x40\x01", 5);
    ERR_clear_error();
    CHECK_EQ(read_raw(&r, big, 5 + KEEL_MAX_PLAINTEXT + 1, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_RECORD_OVERFLOW);
    CHECK_EQ(last_reason(), SSL_R_DATA_LENGTH_TOO_LONG);
    keel_rl_cleanup(&r);

    /* Plain HTTP at a TLS port: reported as OpenSSL does, with no alert to send. */
    CHECK(keel_rl_init(&r, algs));
    ERR_clear_error();
    alert = -1;
    CHECK_EQ(read_raw(&r, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, &rec, &alert), KEEL_RL_ERROR);
    CHECK_EQ(last_reason(), SSL_R_HTTP_REQUEST);
    CHECK_EQ(alert, -1);
    keel_rl_cleanup(&r);
    CHECK(keel_rl_init(&r, algs));
    ERR_clear_error();
    CHECK_EQ(read_raw(&r, (const uint8_t *)"CONNECT example:443", 19, &rec, &alert), KEEL_RL_ERROR);
    CHECK_EQ(last_reason(), SSL_R_HTTPS_PROXY_REQUEST);
    keel_rl_cleanup(&r);
    /* ... but only as the first record: later it is just a wrong version. */
    CHECK(keel_rl_init(&r, algs));
    CHECK_EQ(read_raw(&r, (const uint8_t *)"\x16\x03\x01\x00\x01\x01", 6, &rec, &alert), KEEL_RL_OK);
    ERR_clear_error();
    CHECK_EQ(read_raw(&r, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(last_reason(), SSL_R_WRONG_VERSION_NUMBER);
    keel_rl_cleanup(&r);
}

static void test_seal_args(void)
{
    static uint8_t big[KEEL_MAX_PLAINTEXT + 1];
    keel_rl w;

    CHECK(keel_rl_init(&w, algs));
    CHECK(!keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, big, KEEL_MAX_PLAINTEXT + 1));
    CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, big, KEEL_MAX_PLAINTEXT));
    CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, big, 512));
    CHECK(!keel_rl_seal(&w, KEEL_CT_HANDSHAKE, big, 0));
    CHECK(!keel_rl_seal(&w, KEEL_CT_ALERT, NULL, 0));
    CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, NULL, 0));
    CHECK(!keel_rl_seal(&w, 24, big, 1));
    CHECK_EQ(keel_rl_unflushed(&w), 5 + KEEL_MAX_PLAINTEXT + 5 + 512 + 5);
    keel_rl_cleanup(&w);
    CHECK(w.wbuf == NULL && w.rbuf == NULL);
}

int main(void)
{
    CHECK((algs = keel_algs_default()) != NULL);
    test_plaintext_roundtrip();
    for (size_t i = 0; i < 3; i++) {
        test13_roundtrip(all_aeads[i]);
        test13_tamper(all_aeads[i]);
    }
    test13_inner();
    test13_outer();
    test_header_checks();
    test_seal_args();
    return keel_test_finish("unit_record");
}
