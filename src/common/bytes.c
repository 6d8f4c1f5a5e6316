/* Bounded cursors (see bytes.h). The only place that indexes wire buffers directly. */
#include "common/bytes.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <string.h>

/* ---- reader ------------------------------------------------------------------------------- */

void keel_rd_init(keel_rd *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = p != NULL ? len : 0;
}

/* Big-endian integer of `width` bytes (RFC 8446 §3.3: network byte order). */
static int rd_uint(keel_rd *r, size_t width, uint32_t *v)
{
    uint32_t x = 0;

    if (r->len < width)
        return 0;
    for (size_t i = 0; i < width; i++)
        x = (x << 8) | r->p[i];
    r->p += width;
    r->len -= width;
    *v = x;
    return 1;
}

int keel_rd_u8(keel_rd *r, uint32_t *v) { return rd_uint(r, 1, v); }
int keel_rd_u16(keel_rd *r, uint32_t *v) { return rd_uint(r, 2, v); }
int keel_rd_u24(keel_rd *r, uint32_t *v) { return rd_uint(r, 3, v); }
int keel_rd_u32(keel_rd *r, uint32_t *v) { return rd_uint(r, 4, v); }

int keel_rd_bytes(keel_rd *r, const uint8_t **out, size_t n)
{
    if (r->len < n)
        return 0;
    *out = r->p;
    r->p += n;
    r->len -= n;
    return 1;
}

int keel_rd_copy(keel_rd *r, uint8_t *out, size_t n)
{
    const uint8_t *p;

    if (!keel_rd_bytes(r, &p, n))
        return 0;
    if (n > 0)
        memcpy(out, p, n);
    return 1;
}

/* Reads prefix and body together so that a short body leaves the cursor where it was. */
static int rd_prefixed(keel_rd *in, size_t width, keel_rd *out)
{
    keel_rd save = *in;
    uint32_t n;
    const uint8_t *p;

    if (!rd_uint(in, width, &n) || !keel_rd_bytes(in, &p, n)) {
        *in = save;
        return 0;
    }
    out->p = p;
    out->len = n;
    return 1;
}

int keel_rd_prefixed8(keel_rd *in, keel_rd *out) { return rd_prefixed(in, 1, out); }
int keel_rd_prefixed16(keel_rd *in, keel_rd *out) { return rd_prefixed(in, 2, out); }
int keel_rd_prefixed24(keel_rd *in, keel_rd *out) { return rd_prefixed(in, 3, out); }

int keel_rd_skip(keel_rd *r, size_t n)
{
    const uint8_t *p;

    return keel_rd_bytes(r, &p, n);
}

size_t keel_rd_left(const keel_rd *r) { return r->len; }
int keel_rd_done(const keel_rd *r) { return r->len == 0; }

/* ---- builder ------------------------------------------------------------------------------ */

/* A mark packs the prefix offset with its width (1..3) in the low two bits. */
#define MARK(off, width) (((off) << 2) | (size_t)(width))
#define MARK_OFF(m) ((m) >> 2)
#define MARK_WIDTH(m) ((size_t)((m) & 3))
/* Offsets must fit a mark: a TLS message is far below SIZE_MAX / 4 anyway. */
#define WR_MAX (SIZE_MAX >> 2)

int keel_wr_init(keel_wr *w, size_t initial)
{
    memset(w, 0, sizeof(*w));
    if (initial == 0)
        return 1;
    if (initial > WR_MAX || (w->buf = OPENSSL_malloc(initial)) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        w->failed = 1;
        return 0;
    }
    w->cap = initial;
    return 1;
}

int keel_wr_init_fixed(keel_wr *w, uint8_t *buf, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->fixed = 1;
    if (buf == NULL && cap > 0) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        w->failed = 1;
        return 0;
    }
    w->buf = buf;
    w->cap = cap > WR_MAX ? WR_MAX : cap;
    return 1;
}

void keel_wr_init_buf(keel_wr *w, uint8_t *buf, size_t cap)
{
    memset(w, 0, sizeof(*w));
    if (buf == NULL || cap == 0)
        return;
    w->buf = buf;
    w->cap = cap > WR_MAX ? WR_MAX : cap;
    w->borrowed = 1;
}

void keel_wr_secret(keel_wr *w) { w->secret = 1; }

static int wr_fail(keel_wr *w, int reason)
{
    if (!w->failed)
        ERR_raise(ERR_LIB_SSL, reason);
    w->failed = 1;
    return 0;
}

/* Makes room for n more bytes, growing geometrically so that appends are amortised O(1). */
static int wr_reserve(keel_wr *w, size_t n)
{
    size_t need, cap;
    uint8_t *nb;

    if (w->failed)
        return 0;
    if (n > WR_MAX - w->len)
        return wr_fail(w, ERR_R_PASSED_INVALID_ARGUMENT);
    need = w->len + n;
    if (need <= w->cap)
        return 1;
    if (w->fixed)
        return wr_fail(w, ERR_R_INTERNAL_ERROR);
    cap = w->cap < 64 ? 64 : w->cap;
    while (cap < need)
        cap = cap > WR_MAX / 2 ? need : cap * 2;
    if (w->borrowed) {
        /* Out of the caller's buffer, which stays the caller's. */
        if ((nb = OPENSSL_malloc(cap)) == NULL)
            return wr_fail(w, ERR_R_MALLOC_FAILURE);
        memcpy(nb, w->buf, w->len);
        if (w->secret)
            OPENSSL_cleanse(w->buf, w->cap);
        w->borrowed = 0;
    } else {
        nb = w->secret ? OPENSSL_clear_realloc(w->buf, w->cap, cap) : OPENSSL_realloc(w->buf, cap);
    }
    if (nb == NULL)
        return wr_fail(w, ERR_R_MALLOC_FAILURE);
    w->buf = nb;
    w->cap = cap;
    return 1;
}

static int wr_uint(keel_wr *w, size_t width, uint32_t v)
{
    if (width < 4 && v >> (8 * width) != 0)
        return wr_fail(w, ERR_R_PASSED_INVALID_ARGUMENT);
    if (!wr_reserve(w, width))
        return 0;
    for (size_t i = width; i > 0; i--) {
        w->buf[w->len + i - 1] = (uint8_t)v;
        v >>= 8;
    }
    w->len += width;
    return 1;
}

int keel_wr_u8(keel_wr *w, uint32_t v) { return wr_uint(w, 1, v); }
int keel_wr_u16(keel_wr *w, uint32_t v) { return wr_uint(w, 2, v); }
int keel_wr_u24(keel_wr *w, uint32_t v) { return wr_uint(w, 3, v); }
int keel_wr_u32(keel_wr *w, uint32_t v) { return wr_uint(w, 4, v); }

int keel_wr_space(keel_wr *w, size_t n, uint8_t **p)
{
    if (!wr_reserve(w, n))
        return 0;
    *p = w->buf != NULL ? w->buf + w->len : NULL;   /* NULL only for n == 0 on no buffer */
    w->len += n;
    return 1;
}

int keel_wr_bytes(keel_wr *w, const uint8_t *data, size_t n)
{
    uint8_t *p;

    if (n > 0 && data == NULL)
        return wr_fail(w, ERR_R_PASSED_NULL_PARAMETER);
    if (!keel_wr_space(w, n, &p))
        return 0;
    if (n > 0)
        memcpy(p, data, n);
    return 1;
}

int keel_wr_zeros(keel_wr *w, size_t n)
{
    uint8_t *p;

    if (!keel_wr_space(w, n, &p))
        return 0;
    if (n > 0)
        memset(p, 0, n);
    return 1;
}

static int wr_open(keel_wr *w, size_t width, size_t *mark)
{
    size_t off = w->len;

    if (!keel_wr_zeros(w, width))
        return 0;
    *mark = MARK(off, width);
    w->open++;
    return 1;
}

int keel_wr_open8(keel_wr *w, size_t *mark) { return wr_open(w, 1, mark); }
int keel_wr_open16(keel_wr *w, size_t *mark) { return wr_open(w, 2, mark); }
int keel_wr_open24(keel_wr *w, size_t *mark) { return wr_open(w, 3, mark); }

int keel_wr_close(keel_wr *w, size_t mark)
{
    size_t off = MARK_OFF(mark), width = MARK_WIDTH(mark), body;

    if (w->failed)
        return 0;
    if (width == 0 || w->open == 0 || off > w->len || w->len - off < width)
        return wr_fail(w, ERR_R_INTERNAL_ERROR);
    body = w->len - off - width;
    /* RFC 8446 §3.4: a vector's length must fit its prefix; anything longer cannot be encoded. */
    if (body >> (8 * width) != 0)
        return wr_fail(w, ERR_R_INTERNAL_ERROR);
    for (size_t i = width; i > 0; i--) {
        w->buf[off + i - 1] = (uint8_t)body;
        body >>= 8;
    }
    w->open--;
    return 1;
}

uint8_t *keel_wr_data(const keel_wr *w) { return w->buf; }
size_t keel_wr_len(const keel_wr *w) { return w->len; }
int keel_wr_failed(const keel_wr *w) { return w->failed; }

int keel_wr_finish(keel_wr *w, uint8_t **out, size_t *len)
{
    if (w->failed || w->open != 0) {
        if (!w->failed)
            ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        keel_wr_cleanup(w);
        return 0;
    }
    /* An empty growable buffer still hands over a real allocation, so NULL always means failure. */
    if (w->buf == NULL && !w->fixed && !wr_reserve(w, 1)) {
        keel_wr_cleanup(w);
        return 0;
    }
    /* The caller's first buffer is not ours to hand over: an allocated copy is. */
    if (w->borrowed) {
        uint8_t *copy = OPENSSL_malloc(w->len > 0 ? w->len : 1);

        if (copy == NULL) {
            wr_fail(w, ERR_R_MALLOC_FAILURE);
            keel_wr_cleanup(w);
            return 0;
        }
        memcpy(copy, w->buf, w->len);
        *len = w->len;
        *out = copy;
        keel_wr_cleanup(w);
        return 1;
    }
    *out = w->buf;
    *len = w->len;
    memset(w, 0, sizeof(*w));
    return 1;
}

void keel_wr_cleanup(keel_wr *w)
{
    if (w->borrowed) {
        if (w->secret)
            OPENSSL_cleanse(w->buf, w->cap);
    } else if (!w->fixed && w->secret)
        OPENSSL_clear_free(w->buf, w->cap);
    else if (!w->fixed)
        OPENSSL_free(w->buf);
    memset(w, 0, sizeof(*w));
}
