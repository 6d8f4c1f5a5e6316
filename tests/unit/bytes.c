/* Bounded cursors: reads never pass the end and leave the cursor untouched on failure; the builder
 * nests prefixes, refuses overflow, exhausts fixed buffers, survives allocation failure. */
#include "common/bytes.h"
#include "testutil.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <string.h>

static void test_reader_ints(void)
{
    static const uint8_t msg[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a };
    keel_rd r;
    uint32_t v;
    const uint8_t *p;
    uint8_t buf[4];

    keel_rd_init(&r, msg, sizeof(msg));
    CHECK(keel_rd_u8(&r, &v) && v == 0x01);
    CHECK(keel_rd_u16(&r, &v) && v == 0x0203);
    CHECK(keel_rd_u24(&r, &v) && v == 0x040506);
    CHECK(keel_rd_left(&r) == 4);
    CHECK(keel_rd_u32(&r, &v) && v == 0x0708090a);
    CHECK(keel_rd_done(&r));
    v = 77;
    CHECK(!keel_rd_u8(&r, &v));
    CHECK_EQ(v, 77);            /* a failed read does not touch the output */

    keel_rd_init(&r, msg, sizeof(msg));
    CHECK(keel_rd_bytes(&r, &p, 3) && p == msg && keel_rd_left(&r) == 7);
    CHECK(keel_rd_copy(&r, buf, 4) && memcmp(buf, msg + 3, 4) == 0);
    CHECK(!keel_rd_skip(&r, 4) && keel_rd_left(&r) == 3);
    CHECK(keel_rd_skip(&r, 3) && keel_rd_done(&r));
    CHECK(keel_rd_bytes(&r, &p, 0));    /* zero-length read of an empty cursor is fine */

    keel_rd_init(&r, NULL, 5);          /* no data means no bytes, whatever the length says */
    CHECK(keel_rd_done(&r));
}

/* Every read of every width, on every truncation of the input: success iff enough bytes remain,
 * and on failure the cursor has not moved. */
static void test_reader_truncation(void)
{
    static const uint8_t msg[] = { 0x00, 0x03, 0xaa, 0xbb, 0xcc, 0x02, 0x11, 0x22, 0x00, 0x00, 0x01, 0x99 };

    for (size_t len = 0; len <= sizeof(msg); len++) {
        for (int op = 0; op < 9; op++) {
            static const size_t need[9] = { 1, 2, 3, 4, 5, 2, 3, 1, 3 };
            keel_rd r, sub;
            uint32_t v;
            uint8_t out[8];
            const uint8_t *p;
            int ok;

            keel_rd_init(&r, msg, len);
            switch (op) {
            case 0: ok = keel_rd_u8(&r, &v); break;
            case 1: ok = keel_rd_u16(&r, &v); break;
            case 2: ok = keel_rd_u24(&r, &v); break;
            case 3: ok = keel_rd_u32(&r, &v); break;
            case 4: ok = keel_rd_copy(&r, out, 5); break;
            case 5: ok = keel_rd_bytes(&r, &p, 2); break;
            case 6: ok = keel_rd_skip(&r, 3); break;
            case 7: ok = keel_rd_prefixed8(&r, &sub); break;    /* 00: empty body */
            default: ok = keel_rd_prefixed16(&r, &sub); break;  /* 0003 aabbcc */
            }
            size_t expect = op == 8 ? 5 : need[op];
            CHECK_EQ(ok, len >= expect);
            if (ok)
                CHECK_EQ(keel_rd_left(&r), len - expect);
            else
                CHECK(r.p == msg && r.len == len);
            if (ok && op == 8)
                CHECK(sub.len == 3 && sub.p == msg + 2);
        }
    }
}

static void test_reader_prefixed(void)
{
    /* A ClientHello-like nesting: u16 list of (u8 len, bytes), then a u24 body. */
    static const uint8_t msg[] = { 0x00, 0x05, 0x02, 'h', '2', 0x01, 'x',
                                   0x00, 0x00, 0x02, 0xde, 0xad };
    keel_rd r, list, item, body;
    uint32_t v;
    int n = 0;

    keel_rd_init(&r, msg, sizeof(msg));
    CHECK(keel_rd_prefixed16(&r, &list));
    while (!keel_rd_done(&list)) {
        if (!keel_rd_prefixed8(&list, &item))
            break;
        n++;
    }
    CHECK_EQ(n, 2);
    CHECK(keel_rd_done(&list));
    CHECK(keel_rd_prefixed24(&r, &body) && body.len == 2 && body.p[0] == 0xde);
    CHECK(keel_rd_done(&r));

    /* Prefix claims more than is there: fails, and the cursor still sits on the prefix. */
    static const uint8_t bad[] = { 0x00, 0x04, 0x01, 0x02, 0x03 };
    keel_rd_init(&r, bad, sizeof(bad));
    CHECK(!keel_rd_prefixed16(&r, &list));
    CHECK(r.p == bad && r.len == sizeof(bad));
    CHECK(keel_rd_u16(&r, &v) && v == 4);
}

static void test_builder_nested(void)
{
    keel_wr w;
    size_t m1, m2, m3, len;
    uint8_t *out, *p;
    static const uint8_t expect[] = {
        0x16,                   /* u8 */
        0x00, 0x00, 0x0e,       /* u24 prefix: 14 bytes follow */
        0x00, 0x0a,             /*   u16 prefix: 10 bytes */
        0x03, 'a', 'b', 'c',    /*     u8 prefix */
        0x00,                   /*     empty u8 vector */
        0x11, 0x22, 0x33, 0x44, /*     u32 */
        0x00,                   /*     zeros(1) */
        0xee, 0xff,             /*   space(2) */
    };

    CHECK(keel_wr_init(&w, 0));
    CHECK(keel_wr_u8(&w, 0x16));
    CHECK(keel_wr_open24(&w, &m1));
    CHECK(keel_wr_open16(&w, &m2));
    CHECK(keel_wr_open8(&w, &m3));
    CHECK(keel_wr_bytes(&w, (const uint8_t *)"abc", 3));
    CHECK(keel_wr_close(&w, m3));
    CHECK(keel_wr_open8(&w, &m3));
    CHECK(keel_wr_close(&w, m3));
    CHECK(keel_wr_u32(&w, 0x11223344));
    CHECK(keel_wr_zeros(&w, 1));
    CHECK(keel_wr_close(&w, m2));
    CHECK(keel_wr_space(&w, 2, &p));
    p[0] = 0xee;
    p[1] = 0xff;
    CHECK(keel_wr_close(&w, m1));
    CHECK_EQ(keel_wr_len(&w), sizeof(expect));
    CHECK(keel_wr_finish(&w, &out, &len));
    CHECK(len == sizeof(expect) && memcmp(out, expect, len) == 0);
    OPENSSL_free(out);
    CHECK(keel_wr_data(&w) == NULL && keel_wr_len(&w) == 0);    /* handed over, w reset */
    keel_wr_cleanup(&w);        /* harmless after finish */

    /* Growth across many reallocations keeps marks valid (they are offsets). */
    CHECK(keel_wr_init(&w, 1));
    CHECK(keel_wr_open16(&w, &m1));
    for (int i = 0; i < 5000; i++)
        keel_wr_u8(&w, (uint32_t)(i & 0xff));
    CHECK(keel_wr_close(&w, m1));
    CHECK(keel_wr_data(&w)[0] == 0x13 && keel_wr_data(&w)[1] == 0x88);   /* 5000 */
    CHECK(keel_wr_data(&w)[2 + 4999] == (4999 & 0xff));
    keel_wr_cleanup(&w);

    /* An empty growable builder still hands over a real buffer. */
    CHECK(keel_wr_init(&w, 0));
    CHECK(keel_wr_finish(&w, &out, &len) && out != NULL && len == 0);
    OPENSSL_free(out);
}

static void test_builder_errors(void)
{
    keel_wr w;
    size_t m, m2, len;
    uint8_t *out;

    /* A u8 prefix holds at most 255 bytes: 255 is fine, 256 fails, and the failure sticks. */
    CHECK(keel_wr_init(&w, 0));
    CHECK(keel_wr_open8(&w, &m));
    CHECK(keel_wr_zeros(&w, 255));
    CHECK(keel_wr_close(&w, m));
    CHECK(keel_wr_data(&w)[0] == 255);
    CHECK(keel_wr_open8(&w, &m));
    CHECK(keel_wr_zeros(&w, 256));
    ERR_clear_error();
    CHECK(!keel_wr_close(&w, m));
    CHECK(ERR_peek_error() != 0);
    CHECK(keel_wr_failed(&w));
    CHECK(!keel_wr_u8(&w, 1));
    CHECK(!keel_wr_finish(&w, &out, &len));
    ERR_clear_error();
    keel_wr_cleanup(&w);

    /* Values wider than the field are refused rather than truncated. */
    CHECK(keel_wr_init(&w, 0));
    CHECK(!keel_wr_u8(&w, 0x100));
    keel_wr_cleanup(&w);
    CHECK(keel_wr_init(&w, 0));
    CHECK(!keel_wr_u16(&w, 0x10000));
    keel_wr_cleanup(&w);
    CHECK(keel_wr_init(&w, 0));
    CHECK(!keel_wr_u24(&w, 0x1000000));
    CHECK(keel_wr_init(&w, 0) && keel_wr_u24(&w, 0xffffff) && keel_wr_len(&w) == 3);
    keel_wr_cleanup(&w);

    /* Unclosed prefix: finish refuses. */
    CHECK(keel_wr_init(&w, 0));
    CHECK(keel_wr_open16(&w, &m));
    CHECK(keel_wr_open16(&w, &m2));
    CHECK(keel_wr_close(&w, m2));
    CHECK(!keel_wr_finish(&w, &out, &len));
    ERR_clear_error();

    /* Closing more prefixes than were opened is misuse. */
    CHECK(keel_wr_init(&w, 0));
    CHECK(keel_wr_open8(&w, &m));
    CHECK(keel_wr_close(&w, m));
    CHECK(!keel_wr_close(&w, m));
    keel_wr_cleanup(&w);
    ERR_clear_error();
}

static void test_builder_fixed(void)
{
    uint8_t buf[8];
    keel_wr w;
    size_t m, len;
    uint8_t *out;

    /* Exhaustion at every capacity: writing 6 bytes (prefix 2 + 4) succeeds iff cap >= 6. */
    for (size_t cap = 0; cap <= sizeof(buf); cap++) {
        memset(buf, 0xaa, sizeof(buf));
        CHECK(keel_wr_init_fixed(&w, buf, cap));
        keel_wr_open16(&w, &m);
        keel_wr_u32(&w, 0xdeadbeef);
        keel_wr_close(&w, m);
        CHECK_EQ(keel_wr_failed(&w), cap < 6);
        if (cap >= 6) {
            CHECK(keel_wr_finish(&w, &out, &len));
            CHECK(out == buf && len == 6 && buf[0] == 0 && buf[1] == 4 && buf[5] == 0xef);
        } else {
            CHECK(!keel_wr_finish(&w, &out, &len));
        }
        /* Never a byte past the capacity. */
        for (size_t i = cap; i < sizeof(buf); i++)
            CHECK(buf[i] == 0xaa);
        keel_wr_cleanup(&w);     /* must not free the caller's buffer */
    }
    ERR_clear_error();
}

static void test_builder_alloc_failure(int secret)
{
    /* Fail the k-th allocation for every k until a run needs no failure: each run must either
     * succeed with the right bytes or fail cleanly, and leak nothing (also when the builder
     * cleanses what it frees, keel_wr_secret). */
    for (long k = 1; k < 40; k++) {
        long live = keel_test_live_allocs();
        keel_wr w;
        size_t m, len = 0;
        uint8_t *out = NULL;
        int ok;

        keel_test_fail_after(k);
        keel_wr_init(&w, 2);
        if (secret)
            keel_wr_secret(&w);
        keel_wr_open16(&w, &m);
        for (int i = 0; i < 3000; i++)
            keel_wr_u8(&w, 0x5a);
        keel_wr_close(&w, m);
        ok = keel_wr_finish(&w, &out, &len);
        long allocs = keel_test_alloc_count();
        keel_test_fail_after(0);
        if (ok) {
            CHECK(len == 3002 && out[0] == 0x0b && out[1] == 0xb8 && out[3001] == 0x5a);
            CHECK(allocs < k);     /* it only succeeds when the failure was never reached */
            OPENSSL_free(out);
        }
        ERR_clear_error();      /* error records hold allocations of their own */
        CHECK_EQ(keel_test_live_allocs(), live);
        if (ok)
            break;
        CHECK(k < 39);
    }
}

/* A builder started in the caller's buffer: no allocation while it fits; growing moves the
 * bytes into an allocation and leaves the caller's buffer alone; finish hands over a copy. */
static void test_builder_borrowed(void)
{
    uint8_t stack[8], *out = NULL;
    size_t m, len = 0;
    keel_wr w;
    long live = keel_test_live_allocs(), allocs = keel_test_alloc_count();

    keel_wr_init_buf(&w, stack, sizeof(stack));
    keel_wr_open8(&w, &m);
    keel_wr_bytes(&w, (const uint8_t *)"abcdef", 6);
    keel_wr_close(&w, m);
    CHECK(!keel_wr_failed(&w) && keel_wr_data(&w) == stack && keel_wr_len(&w) == 7);
    CHECK_EQ(keel_test_alloc_count(), allocs);
    keel_wr_cleanup(&w);                    /* frees nothing: nothing was allocated */
    CHECK_EQ(keel_test_live_allocs(), live);

    keel_wr_init_buf(&w, stack, sizeof(stack));
    keel_wr_secret(&w);
    keel_wr_open16(&w, &m);
    for (int i = 0; i < 100; i++)
        keel_wr_u8(&w, (uint32_t)i);
    keel_wr_close(&w, m);
    CHECK(!keel_wr_failed(&w) && keel_wr_data(&w) != stack && keel_wr_len(&w) == 102);
    CHECK(stack[0] == 0 && stack[2] == 0);  /* the secret bytes left behind were cleansed */
    CHECK(keel_wr_data(&w)[0] == 0 && keel_wr_data(&w)[1] == 100 && keel_wr_data(&w)[101] == 99);
    keel_wr_cleanup(&w);
    CHECK_EQ(keel_test_live_allocs(), live);

    keel_wr_init_buf(&w, stack, sizeof(stack));
    keel_wr_u16(&w, 0x1234);
    CHECK(keel_wr_finish(&w, &out, &len) && out != stack && len == 2 && out[0] == 0x12 && out[1] == 0x34);
    OPENSSL_free(out);
    CHECK_EQ(keel_test_live_allocs(), live);
}

int main(void)
{
    keel_test_malloc_install();
    test_reader_ints();
    test_reader_truncation();
    test_reader_prefixed();
    test_builder_nested();
    test_builder_errors();
    test_builder_fixed();
    test_builder_borrowed();
    test_builder_alloc_failure(0);
    test_builder_alloc_failure(1);
    return keel_test_finish("bytes");
}
