/* Record engine: non-blocking I/O, buffers, sequence numbers and allocation failures. */
#include "record_helpers.h"

#include <stdlib.h>

static const keel_algs *algs;
static uint8_t key_a[32], key_b[32], iv_a[12], iv_b[12];

static void keys13(keel_rl *w, keel_rl *r, const uint8_t *key, const uint8_t *iv)
{
    CHECK(keel_rl_set_key13(w, KEEL_RL_WRITE, KEEL_AEAD_AES_256_GCM, key, iv));
    CHECK(keel_rl_set_key13(r, KEEL_RL_READ, KEEL_AEAD_AES_256_GCM, key, iv));
}

/* Input trickling in one byte at a time: RETRY until the record is whole, the partial record
 * survives between calls, and nothing after the record is taken from the BIO. */
static void test_byte_at_a_time(void)
{
    uint8_t raw[256];
    keel_rl w, r;
    keel_record rec;
    BIO *in = NULL, *out = NULL, *b;
    int alert, n;

    CHECK(keel_rl_init(&w, algs) && keel_rl_init(&r, algs));
    keys13(&w, &r, key_a, iv_a);
    CHECK(keel_rl_seal(&w, KEEL_CT_HANDSHAKE, (const uint8_t *)"first record", 12));
    CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, (const uint8_t *)"second", 6));
    CHECK((b = flushed(&w)) != NULL);
    n = BIO_read(b, raw, sizeof(raw));
    CHECK_EQ(n, (5 + 13 + 16) + (5 + 7 + 16));
    BIO_free(b);

    CHECK(BIO_new_bio_pair(&in, 0, &out, 0) == 1);   /* write to `in`, keel reads `out` */
    CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_RETRY);
    for (int i = 0; i < 34; i++) {
        CHECK_EQ(BIO_write(in, raw + i, 1), 1);
        if (i < 33) {
            CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_RETRY);
            CHECK(keel_rl_has_buffered(&r));
            CHECK_EQ(keel_rl_pending(&r), 0);
        }
    }
    /* Give it the whole first record plus three bytes of the second: only the first is taken. */
    CHECK_EQ(BIO_write(in, raw + 34, 3), 3);
    CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.type == KEEL_CT_HANDSHAKE && rec.len == 12 && memcmp(rec.data, "first record", 12) == 0);
    CHECK_EQ(BIO_ctrl_pending(out), 3);
    CHECK(keel_rl_has_buffered(&r));
    keel_rl_consume(&r, rec.len);
    CHECK(!keel_rl_has_buffered(&r));
    CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_RETRY);   /* header complete, body not */
    CHECK_EQ(BIO_ctrl_pending(out), 0);
    for (int i = 37; i < n; i++) {
        CHECK_EQ(BIO_write(in, raw + i, 1), 1);
        if (i < n - 1)
            CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_RETRY);
    }
    CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.type == KEEL_CT_APPLICATION_DATA && rec.len == 6 && memcmp(rec.data, "second", 6) == 0);
    BIO_free(in);
    BIO_free(out);
    keel_rl_cleanup(&w);
    keel_rl_cleanup(&r);
}

/* A full non-blocking peer: RETRY with progress kept; every byte delivered exactly once, in order,
 * also when more records are queued between flushes. */
static void test_write_full_pipe(void)
{
    static uint8_t data[4000], sink[65536];
    keel_rl w, r;
    keel_record rec;
    BIO *in = NULL, *out = NULL, *b;
    size_t got = 0, total;
    int alert, retries = 0, rv;

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7);
    CHECK(keel_rl_init(&w, algs) && keel_rl_init(&r, algs));
    keys13(&w, &r, key_b, iv_b);
    CHECK(BIO_new_bio_pair(&in, 1000, &out, 1000) == 1);   /* keel writes `in`, the peer reads `out` */
    for (int i = 0; i < 4; i++)
        CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, data + 1000 * i, 1000));
    total = keel_rl_unflushed(&w);
    CHECK_EQ(total, 4 * (5 + 1001 + 16));
    while ((rv = keel_rl_flush(&w, in)) == KEEL_RL_RETRY) {
        int n;

        retries++;
        CHECK(keel_rl_unflushed(&w) > 0);
        if (retries == 2) {   /* queue more while a flush is half done */
            CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, data, 500));
            total += 5 + 501 + 16;
        }
        while ((n = BIO_read(out, sink + got, 300)) > 0)
            got += (size_t)n;
        if (retries > 100)
            break;
    }
    CHECK_EQ(rv, KEEL_RL_OK);
    CHECK(retries >= 4);
    CHECK_EQ(keel_rl_unflushed(&w), 0);
    for (int n; (n = BIO_read(out, sink + got, 300)) > 0;)
        got += (size_t)n;
    CHECK_EQ(got, total);

    CHECK((b = mem_with(sink, got)) != NULL);
    for (int i = 0; i < 5; i++) {
        size_t len = i < 4 ? 1000 : 500;

        CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
        CHECK(rec.len == len && memcmp(rec.data, data + (i < 4 ? 1000 * i : 0), len) == 0);
        keel_rl_consume(&r, rec.len);
    }
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_RETRY);
    BIO_free(b);
    BIO_free(in);
    BIO_free(out);
    keel_rl_cleanup(&w);
    keel_rl_cleanup(&r);
}

/* SSL_read copies piecemeal: the current record comes back until it is used up. */
static void test_consume_pending(void)
{
    uint8_t raw[64];
    keel_rl r;
    keel_record rec;
    int alert;
    BIO *b;

    memcpy(raw, "\x17\x03\x03\x00\x0a" "0123456789" "\x16\x03\x03\x00\x02hs", 5 + 10 + 7);
    CHECK(keel_rl_init(&r, algs));
    CHECK((b = mem_with(raw, 22)) != NULL);
    CHECK_EQ(keel_rl_pending(&r), 0);
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
    CHECK_EQ(keel_rl_pending(&r), 10);
    keel_rl_consume(&r, 3);
    CHECK_EQ(keel_rl_pending(&r), 7);
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.type == KEEL_CT_APPLICATION_DATA && rec.len == 7 && memcmp(rec.data, "3456789", 7) == 0);
    keel_rl_consume(&r, 100);   /* more than is left: clamped */
    CHECK_EQ(keel_rl_pending(&r), 0);
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.type == KEEL_CT_HANDSHAKE && rec.len == 2);
    BIO_free(b);
    keel_rl_cleanup(&r);
}

/* Release mode frees each buffer as soon as it is empty; the default keeps them, and then the
 * steady state allocates nothing per record. */
static void test_buffers(void)
{
    static uint8_t data[KEEL_MAX_PLAINTEXT];
    keel_rl w, r;
    keel_record rec;
    BIO *in = NULL, *out = NULL;
    int alert;

    CHECK(keel_rl_init(&w, algs) && keel_rl_init(&r, algs));
    keys13(&w, &r, key_a, iv_a);
    CHECK(BIO_new_bio_pair(&in, 40000, &out, 40000) == 1);
    w.release_buffers = r.release_buffers = 1;
    CHECK(w.wbuf == NULL && r.rbuf == NULL);
    CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, data, 100));
    CHECK(w.wbuf != NULL);
    CHECK_EQ(keel_rl_flush(&w, in), KEEL_RL_OK);
    CHECK(w.wbuf == NULL);
    CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_OK);
    CHECK(r.rbuf != NULL);
    keel_rl_consume(&r, 50);
    CHECK(r.rbuf != NULL);
    keel_rl_consume(&r, 50);
    CHECK(r.rbuf == NULL);
    CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_RETRY);   /* idle: nothing held */
    CHECK(r.rbuf == NULL);

    w.release_buffers = r.release_buffers = 0;
    for (int round = 0; round < 3; round++) {
        if (round == 1)
            keel_test_fail_after(0);   /* start counting after a warm-up round */
        for (int i = 0; i < 20; i++) {
            CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, data, i % 2 ? KEEL_MAX_PLAINTEXT : 7));
            CHECK_EQ(keel_rl_flush(&w, in), KEEL_RL_OK);
            CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_OK);
            keel_rl_consume(&r, rec.len);
        }
    }
    CHECK_EQ(keel_test_alloc_count(), 0);
    CHECK(w.wbuf != NULL && r.rbuf != NULL);
    BIO_free(in);
    BIO_free(out);
    keel_rl_cleanup(&w);
    keel_rl_cleanup(&r);
}

/* Seals `len` bytes of `type` (with `pad` TLS 1.3 padding) on w and reads the record on r with
 * `buf` (cap bytes) offered; returns keel_rl_read's result. */
static int offered(keel_rl *w, keel_rl *r, uint8_t type, const uint8_t *data, size_t len, size_t pad,
                   uint8_t *buf, size_t cap, keel_record *rec, int *alert)
{
    BIO *b;
    int rv;

    if (!keel_rl_seal_pad(w, type, data, len, pad) || (b = flushed(w)) == NULL)
        return -1;
    keel_rl_offer(r, buf, cap);
    rv = keel_rl_read(r, b, rec, alert);
    BIO_free(b);
    return rv;
}

/* keel_rl_offer: an application data record whose content fits is opened straight into the
 * offered buffer (rec.data points there, the content is right), one record per offer; anything
 * else (too big, not application data, a record that fails) leaves nothing of its plaintext
 * there. Withdrawing the offer with the record still current moves it to the read buffer. The
 * buffers' record bodies are 64-byte aligned. */
static void test_offer(void)
{
    static uint8_t data[KEEL_MAX_PLAINTEXT], buf[KEEL_MAX_PLAINTEXT + 64];
    keel_rl w, r;
    keel_record rec;
    int alert;

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 13 + 5);
    for (int v = 0; v < 4; v++) {   /* TLS 1.3 AES-256-GCM; TLS 1.2 AES-128-GCM, AES-256-GCM, ChaCha20 */
        CHECK(keel_rl_init(&w, algs) && keel_rl_init(&r, algs));
        w.release_buffers = r.release_buffers = 1;
        if (v == 0) {
            keys13(&w, &r, key_a, iv_a);
        } else {
            keel_aead_id id = all_aeads[v - 1];
            size_t ivl = id == KEEL_AEAD_CHACHA20_POLY1305 ? 12 : 4;

            CHECK(keel_rl_set_key12(&w, KEEL_RL_WRITE, id, key_a, iv_a, ivl));
            CHECK(keel_rl_set_key12(&r, KEEL_RL_READ, id, key_a, iv_a, ivl));
        }

        /* A full record into a buffer of exactly its size: no copy. */
        memset(buf, 0, sizeof(buf));
        CHECK_EQ(offered(&w, &r, KEEL_CT_APPLICATION_DATA, data, sizeof(data), 0, buf, sizeof(data), &rec,
                         &alert), KEEL_RL_OK);
        CHECK(rec.type == KEEL_CT_APPLICATION_DATA && rec.data == buf && rec.len == sizeof(data));
        CHECK(memcmp(buf, data, sizeof(data)) == 0);
        CHECK(((uintptr_t)r.rbuf + 5) % 64 == 0);
        CHECK_EQ(keel_rl_pending(&r), sizeof(data));
        keel_rl_consume(&r, rec.len);
        CHECK(r.rbuf == NULL);   /* released as before */
        keel_rl_offer(&r, NULL, 0);

        /* One byte too small: opened in the read buffer, the offer untouched. */
        memset(buf, 0xa5, sizeof(buf));
        CHECK_EQ(offered(&w, &r, KEEL_CT_APPLICATION_DATA, data, 1000, 0, buf, 999, &rec, &alert), KEEL_RL_OK);
        CHECK(rec.data != buf && rec.len == 1000 && memcmp(rec.data, data, 1000) == 0);
        CHECK(buf[0] == 0xa5 && buf[998] == 0xa5);
        keel_rl_consume(&r, rec.len);

        /* One record per offer: the second record of a burst does not overwrite the first. */
        {
            BIO *b;

            CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, data, 300));
            CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, data + 1, 200));
            CHECK((b = flushed(&w)) != NULL);
            keel_rl_offer(&r, buf, sizeof(buf));
            CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
            CHECK(rec.data == buf && rec.len == 300 && memcmp(buf, data, 300) == 0);
            keel_rl_consume(&r, rec.len);
            CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
            CHECK(rec.data != buf && rec.len == 200 && memcmp(rec.data, data + 1, 200) == 0);
            CHECK(memcmp(buf, data, 300) == 0);
            keel_rl_consume(&r, rec.len);
            keel_rl_offer(&r, NULL, 0);
            BIO_free(b);
        }

        /* Withdrawn while the record is current: what is left moves to the read buffer. */
        CHECK_EQ(offered(&w, &r, KEEL_CT_APPLICATION_DATA, data, 5000, 0, buf, sizeof(buf), &rec, &alert),
                 KEEL_RL_OK);
        CHECK(rec.data == buf);
        keel_rl_consume(&r, 100);
        keel_rl_offer(&r, NULL, 0);
        memset(buf, 0, sizeof(buf));
        CHECK_EQ(keel_rl_read(&r, NULL, &rec, &alert), KEEL_RL_OK);   /* the current record again */
        CHECK(rec.data != buf && rec.len == 4900 && memcmp(rec.data, data + 100, 4900) == 0);
        keel_rl_consume(&r, rec.len);
        CHECK(r.rbuf == NULL);

        /* A record that fails authentication: bad_record_mac, no plaintext in the offer. */
        {
            uint8_t raw[600];
            BIO *b;
            int n;

            CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, data, 500));
            CHECK((b = flushed(&w)) != NULL);
            n = BIO_read(b, raw, sizeof(raw));
            BIO_free(b);
            CHECK(n > 0);
            raw[n - 1] ^= 1;
            memset(buf, 0, sizeof(buf));
            keel_rl_offer(&r, buf, sizeof(buf));
            CHECK_EQ(read_raw(&r, raw, (size_t)n, &rec, &alert), KEEL_RL_ALERT);
            CHECK_EQ(alert, KEEL_ALERT_BAD_RECORD_MAC);
            for (int i = 0; i < 500; i++)
                CHECK(buf[i] == 0);
            ERR_clear_error();
            keel_rl_offer(&r, NULL, 0);
        }
        keel_rl_cleanup(&w);
        keel_rl_cleanup(&r);
    }

    /* TLS 1.3 only: the inner type decides. */
    CHECK(keel_rl_init(&w, algs) && keel_rl_init(&r, algs));
    keys13(&w, &r, key_b, iv_b);
    /* A handshake record is put back in the read buffer, the offer cleansed and still open. */
    memset(buf, 0xa5, sizeof(buf));
    CHECK_EQ(offered(&w, &r, KEEL_CT_HANDSHAKE, data, 400, 0, buf, sizeof(buf), &rec, &alert), KEEL_RL_OK);
    CHECK(rec.type == KEEL_CT_HANDSHAKE && rec.data != buf && rec.len == 400 && memcmp(rec.data, data, 400) == 0);
    for (int i = 0; i < 400; i++)
        CHECK(buf[i] == 0);
    keel_rl_consume(&r, rec.len);
    CHECK_EQ(offered(&w, &r, KEEL_CT_APPLICATION_DATA, data, 400, 0, buf, sizeof(buf), &rec, &alert), KEEL_RL_OK);
    CHECK(rec.data == buf && memcmp(buf, data, 400) == 0);
    keel_rl_consume(&r, rec.len);
    /* Padding (RFC 8446 §5.4): the type is found before the zeros whichever side they fall. An
     * inner plaintext of 5 + 1 + 10 bytes needs 15 bytes of offer. */
    memset(buf, 0xa5, sizeof(buf));
    CHECK_EQ(offered(&w, &r, KEEL_CT_APPLICATION_DATA, data, 5, 10, buf, 15, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.type == KEEL_CT_APPLICATION_DATA && rec.data == buf && rec.len == 5 && memcmp(buf, data, 5) == 0);
    keel_rl_consume(&r, rec.len);
    CHECK_EQ(offered(&w, &r, KEEL_CT_APPLICATION_DATA, data, 5, 10, buf, 14, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.data != buf && rec.len == 5 && memcmp(rec.data, data, 5) == 0);
    keel_rl_consume(&r, rec.len);
    keel_rl_offer(&r, NULL, 0);
    /* A queued burst on the writing side: every record's body aligned? Only the first; the
     * buffer's start is. */
    CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, data, 10));
    CHECK(((uintptr_t)w.wbuf + 5) % 64 == 0);
    keel_rl_cleanup(&w);
    keel_rl_cleanup(&r);
}

/* RFC 8446 §5.3: one sequence number per record and direction, reset by a key change, never
 * wrapped. */
static void test_seq(void)
{
    keel_rl w, r;
    keel_record rec;
    int alert;
    BIO *b;

    CHECK(keel_rl_init(&w, algs) && keel_rl_init(&r, algs));
    keys13(&w, &r, key_a, iv_a);
    for (int i = 0; i < 5; i++)
        CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, (const uint8_t *)"abc", 3));
    CHECK_EQ(w.wr.seq, 5);
    CHECK_EQ(w.rd.seq, 0);
    CHECK((b = flushed(&w)) != NULL);
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
        keel_rl_consume(&r, rec.len);
    }
    CHECK_EQ(r.rd.seq, 5);
    BIO_free(b);

    /* Re-key (KeyUpdate): the same AEAD context, seq back to 0, the new key in force. */
    {
        keel_aead_ctx *wctx = w.wr.aead;

        keys13(&w, &r, key_b, iv_b);
        CHECK(w.wr.aead == wctx);
        CHECK(w.wr.seq == 0 && r.rd.seq == 0);
    }
    CHECK(keel_rl_seal(&w, KEEL_CT_HANDSHAKE, (const uint8_t *)"k", 1));
    CHECK((b = flushed(&w)) != NULL);
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.len == 1 && rec.data[0] == 'k');
    keel_rl_consume(&r, 1);
    BIO_free(b);
    /* A record under the old key no longer opens. */
    CHECK(keel_rl_set_key13(&w, KEEL_RL_WRITE, KEEL_AEAD_AES_256_GCM, key_a, iv_a));
    w.wr.seq = 1;
    CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, (const uint8_t *)"old", 3));
    CHECK((b = flushed(&w)) != NULL);
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_BAD_RECORD_MAC);
    BIO_free(b);

    /* Near the end of the sequence space: the last usable number works, then both sides stop. */
    keys13(&w, &r, key_a, iv_a);
    w.wr.seq = r.rd.seq = UINT64_MAX - 1;
    CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, (const uint8_t *)"z", 1));
    CHECK(w.wr.seq == UINT64_MAX);
    ERR_clear_error();
    CHECK(!keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, (const uint8_t *)"z", 1));
    CHECK_EQ(last_reason(), SSL_R_INVALID_SEQUENCE_NUMBER);
    CHECK_EQ(keel_rl_unflushed(&w), 5 + 2 + 16);
    CHECK((b = flushed(&w)) != NULL);
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_OK);
    CHECK(rec.len == 1 && rec.data[0] == 'z');
    keel_rl_consume(&r, 1);
    BIO_free(b);
    CHECK(r.rd.seq == UINT64_MAX);
    w.wr.seq = UINT64_MAX - 1;   /* a record the reader could not take any more */
    CHECK(keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, (const uint8_t *)"z", 1));
    CHECK((b = flushed(&w)) != NULL);
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_ALERT);
    BIO_free(b);

    /* keel_rl_reset (SSL_clear): plaintext again, contexts and buffers gone. */
    keel_rl_reset(&w);
    CHECK(w.wr.prot == KEEL_RL_PROT_NONE && w.wr.aead == NULL && w.wr.seq == 0 && w.wbuf == NULL);
    CHECK(keel_rl_seal(&w, KEEL_CT_HANDSHAKE, (const uint8_t *)"p", 1));
    CHECK_EQ(keel_rl_unflushed(&w), 6);
    keel_rl_cleanup(&w);
    keel_rl_cleanup(&r);
}

static void test_eof_and_errors(void)
{
    keel_rl r;
    keel_record rec;
    int alert;
    BIO *b;

    CHECK(keel_rl_init(&r, algs));
    /* EOF after part of a record: a truncation, answered with decode_error as OpenSSL 3.0
     * answers an unexpected EOF. */
    CHECK((b = mem_with((const uint8_t *)"\x16\x03\x03\x00\x05he", 7)) != NULL);
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_RETRY);
    BIO_set_mem_eof_return(b, 0);
    ERR_clear_error();
    CHECK_EQ(keel_rl_read(&r, b, &rec, &alert), KEEL_RL_ALERT);
    CHECK_EQ(alert, KEEL_ALERT_DECODE_ERROR);
    CHECK_EQ(last_reason(), SSL_R_UNEXPECTED_EOF_WHILE_READING);
    BIO_free(b);
    keel_rl_cleanup(&r);

    CHECK(keel_rl_init(&r, algs));
    ERR_clear_error();
    CHECK_EQ(keel_rl_read(&r, NULL, &rec, &alert), KEEL_RL_ERROR);
    CHECK_EQ(last_reason(), SSL_R_READ_BIO_NOT_SET);
    CHECK(keel_rl_seal(&r, KEEL_CT_ALERT, (const uint8_t *)"\x01\x00", 2));
    CHECK_EQ(keel_rl_flush(&r, NULL), KEEL_RL_ERROR);
    CHECK_EQ(keel_rl_unflushed(&r), 7);
    keel_rl_cleanup(&r);
    CHECK(!keel_rl_init(&r, NULL));
    keel_rl_cleanup(&r);
}

/* Over an idle BIO pair in release mode (every connection's mode once established): a record
 * sealed into the ring and opened from it into an offer that holds its content takes no read
 * buffer at all, so the steady state allocates nothing per record; every AEAD the pair path
 * serves, TLS 1.3 and 1.2. What needs the read buffer still gets it there: a record too big for
 * the offer, a TLS 1.3 record that turns out not to be application data (the offer cleansed), an
 * offer withdrawn with content left; a failed allocation at each of these is an internal_error
 * with nothing of the record left in the offer. */
static void test_pair_no_rbuf(void)
{
    static uint8_t data[KEEL_MAX_PLAINTEXT], buf[KEEL_MAX_PLAINTEXT + 64];
    keel_rl w, r;
    keel_record rec;
    BIO *in = NULL, *out = NULL;
    int alert, sent;

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + 3);
    for (int v = 0; v < 6; v++) {   /* TLS 1.3 with each AEAD, then TLS 1.2 with each */
        keel_aead_id id = all_aeads[v % 3];

        CHECK(keel_rl_init(&w, algs) && keel_rl_init(&r, algs));
        w.release_buffers = r.release_buffers = 1;
        if (v < 3) {
            CHECK(keel_rl_set_key13(&w, KEEL_RL_WRITE, id, key_a, iv_a));
            CHECK(keel_rl_set_key13(&r, KEEL_RL_READ, id, key_a, iv_a));
        } else {
            size_t ivl = id == KEEL_AEAD_CHACHA20_POLY1305 ? 12 : 4;

            CHECK(keel_rl_set_key12(&w, KEEL_RL_WRITE, id, key_a, iv_a, ivl));
            CHECK(keel_rl_set_key12(&r, KEEL_RL_READ, id, key_a, iv_a, ivl));
        }
        CHECK(BIO_new_bio_pair(&in, 0, &out, 0) == 1);   /* keel writes `in`, reads `out` */
        for (int round = 0; round < 2; round++) {
            if (round == 1)
                keel_test_fail_after(0);   /* count from the second round */
            for (size_t len = 1; len <= KEEL_MAX_PLAINTEXT; len *= 4) {
                size_t n = len == 4096 ? KEEL_MAX_PLAINTEXT : len;   /* 1, 4, ..., 1024, 2^14 */

                CHECK(keel_rl_seal_send(&w, in, KEEL_CT_APPLICATION_DATA, data, n, 0, &sent) && sent);
                memset(buf, 0, sizeof(buf));
                keel_rl_offer(&r, buf, n);   /* exactly the content's size */
                CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_OK);
                CHECK(rec.type == KEEL_CT_APPLICATION_DATA && rec.data == buf && rec.len == n);
                CHECK(memcmp(buf, data, n) == 0);
                CHECK(r.rbuf == NULL && keel_rl_has_buffered(&r));
                keel_rl_consume(&r, n);
                keel_rl_offer(&r, NULL, 0);
                CHECK(r.rbuf == NULL && !keel_rl_has_buffered(&r));
            }
        }
        CHECK_EQ(keel_test_alloc_count(), 0);

        /* Too big for the offer: opened into a read buffer, allocated for it, released after. */
        CHECK(keel_rl_seal_send(&w, in, KEEL_CT_APPLICATION_DATA, data, 1000, 0, &sent) && sent);
        memset(buf, 0xa5, sizeof(buf));
        keel_rl_offer(&r, buf, 999);
        CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_OK);
        CHECK(rec.data != buf && r.rbuf != NULL && rec.len == 1000 && memcmp(rec.data, data, 1000) == 0);
        CHECK(buf[0] == 0xa5 && buf[998] == 0xa5);
        keel_rl_consume(&r, rec.len);
        keel_rl_offer(&r, NULL, 0);
        CHECK(r.rbuf == NULL);

        /* Withdrawn with content left: the rest moves into a read buffer allocated for it. */
        CHECK(keel_rl_seal_send(&w, in, KEEL_CT_APPLICATION_DATA, data, 3000, 0, &sent) && sent);
        keel_rl_offer(&r, buf, sizeof(buf));
        CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_OK);
        CHECK(rec.data == buf && r.rbuf == NULL);
        keel_rl_consume(&r, 1000);
        keel_rl_offer(&r, NULL, 0);
        CHECK(r.rbuf != NULL);
        memset(buf, 0, sizeof(buf));
        CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_OK);   /* the current record again */
        CHECK(rec.data != buf && rec.len == 2000 && memcmp(rec.data, data + 1000, 2000) == 0);
        keel_rl_consume(&r, rec.len);
        CHECK(r.rbuf == NULL);

        /* The same withdrawal with the allocation failing: the connection's read side fails
         * (internal_error), nothing of the record is left in the offer. */
        CHECK(keel_rl_seal_send(&w, in, KEEL_CT_APPLICATION_DATA, data, 3000, 0, &sent) && sent);
        keel_rl_offer(&r, buf, sizeof(buf));
        CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_OK);
        CHECK(rec.data == buf);
        keel_rl_consume(&r, 1000);
        keel_test_fail_after(1);
        keel_rl_offer(&r, NULL, 0);
        keel_test_fail_after(0);
        for (int i = 1000; i < 3000; i++)
            CHECK(buf[i] == 0);
        CHECK(!keel_rl_has_buffered(&r) && keel_rl_pending(&r) == 0);
        CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_ALERT);
        CHECK_EQ(alert, KEEL_ALERT_INTERNAL_ERROR);
        ERR_clear_error();

        if (v < 3) {
            /* A fresh reader for the TLS 1.3 inner-type cases (the one above is broken). */
            keel_rl_cleanup(&r);
            CHECK(keel_rl_init(&r, algs));
            r.release_buffers = 1;
            CHECK(keel_rl_set_key13(&r, KEEL_RL_READ, id, key_a, iv_a));
            r.rd.seq = w.wr.seq;

            /* A handshake record: put back into a read buffer allocated for it, the offer cleansed. */
            CHECK(keel_rl_seal_send(&w, in, KEEL_CT_HANDSHAKE, data, 400, 0, &sent) && sent);
            memset(buf, 0xa5, sizeof(buf));
            keel_rl_offer(&r, buf, sizeof(buf));
            CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_OK);
            CHECK(rec.type == KEEL_CT_HANDSHAKE && rec.data != buf && r.rbuf != NULL);
            CHECK(rec.len == 400 && memcmp(rec.data, data, 400) == 0);
            for (int i = 0; i < 400; i++)
                CHECK(buf[i] == 0);
            keel_rl_consume(&r, rec.len);
            CHECK(r.rbuf == NULL);
            /* The offer still serves the next application data record. */
            CHECK(keel_rl_seal_send(&w, in, KEEL_CT_APPLICATION_DATA, data, 400, 0, &sent) && sent);
            CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_OK);
            CHECK(rec.data == buf && memcmp(buf, data, 400) == 0);
            keel_rl_consume(&r, rec.len);
            keel_rl_offer(&r, NULL, 0);

            /* The same with the allocation failing: internal_error, the offer cleansed. */
            CHECK(keel_rl_seal_send(&w, in, KEEL_CT_HANDSHAKE, data, 400, 0, &sent) && sent);
            memset(buf, 0xa5, sizeof(buf));
            keel_rl_offer(&r, buf, sizeof(buf));
            keel_test_fail_after(1);
            CHECK_EQ(keel_rl_read(&r, out, &rec, &alert), KEEL_RL_ALERT);
            keel_test_fail_after(0);
            CHECK_EQ(alert, KEEL_ALERT_INTERNAL_ERROR);
            for (int i = 0; i < 400; i++)
                CHECK(buf[i] == 0);
            CHECK_EQ(BIO_ctrl_pending(out), 0);   /* the record was taken */
            keel_rl_offer(&r, NULL, 0);
            ERR_clear_error();
        }
        BIO_free(in);
        BIO_free(out);
        keel_rl_cleanup(&w);
        keel_rl_cleanup(&r);
    }
}

/* One full exchange with the k-th allocation failing, for every k: each step either works or fails
 * cleanly, and nothing leaks. */
static int exchange(void)
{
    keel_rl w, r;
    keel_record rec;
    int alert, ok = 0;
    BIO *b = NULL;

    keel_rl_init(&w, algs);
    keel_rl_init(&r, algs);
    w.release_buffers = 1;
    if (!keel_rl_set_key13(&w, KEEL_RL_WRITE, KEEL_AEAD_CHACHA20_POLY1305, key_a, iv_a)
            || !keel_rl_set_key13(&r, KEEL_RL_READ, KEEL_AEAD_CHACHA20_POLY1305, key_a, iv_a)
            || !keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, (const uint8_t *)"data", 4)
            || !keel_rl_seal(&w, KEEL_CT_APPLICATION_DATA, (const uint8_t *)"more", 4)
            || (b = BIO_new(BIO_s_mem())) == NULL || keel_rl_flush(&w, b) != KEEL_RL_OK)
        goto done;
    if (keel_rl_read(&r, b, &rec, &alert) != KEEL_RL_OK) {
        CHECK_EQ(alert, KEEL_ALERT_INTERNAL_ERROR);
        goto done;
    }
    CHECK(rec.len == 4 && memcmp(rec.data, "data", 4) == 0);
    ok = 1;
done:
    /* A failed seal must not have queued anything half-written. */
    CHECK(keel_rl_unflushed(&w) % (5 + 5 + 16) == 0);
    BIO_free(b);
    keel_rl_cleanup(&w);
    keel_rl_cleanup(&r);
    return ok;
}

static void test_alloc_failures(void)
{
    long base, k;
    int fails = 0;

    /* A warm-up exchange, and an empty error queue (its entries hold allocations), so that `base`
     * counts only what outlives every exchange. */
    CHECK(exchange());
    ERR_clear_error();
    base = keel_test_live_allocs();

    for (k = 1; k < 200; k++) {
        int ok;

        keel_test_fail_after(k);
        ok = exchange();
        if (keel_test_alloc_count() < k) {   /* the injected failure was never reached */
            CHECK(ok);
            break;
        }
        fails += !ok;
        ERR_clear_error();
        CHECK_EQ(keel_test_live_allocs(), base);
    }
    keel_test_fail_after(0);
    CHECK(k < 200 && fails > 0);
    CHECK_EQ(keel_test_live_allocs(), base);
}

int main(void)
{
    keel_test_malloc_install();
    CHECK((algs = keel_algs_default()) != NULL);
    CHECK(RAND_bytes(key_a, 32) == 1 && RAND_bytes(key_b, 32) == 1);
    CHECK(RAND_bytes(iv_a, 12) == 1 && RAND_bytes(iv_b, 12) == 1);
    CHECK(all_aeads[0] == KEEL_AEAD_AES_128_GCM);
    test_byte_at_a_time();
    test_write_full_pipe();
    test_consume_pending();
    test_buffers();
    test_offer();
    test_pair_no_rbuf();
    test_seq();
    test_eof_and_errors();
    test_alloc_failures();
    return keel_test_finish("unit_record_io");
}
