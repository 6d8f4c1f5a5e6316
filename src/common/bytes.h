/* Bounded cursors for every wire byte (GUIDE "Style"): a reader that cannot run past its end and a
 * builder that tracks nested length prefixes. No other file does pointer arithmetic on wire data.
 *
 * TLS encodes vectors with 1-, 2- or 3-byte big-endian length prefixes (RFC 8446 §3.4); both halves
 * of this module speak exactly that. */
#ifndef KEEL_BYTES_H
#define KEEL_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* ---- reader ------------------------------------------------------------------------------- */

/* A view of `len` bytes at `p`. Every read either consumes exactly what it returns and yields 1, or
 * yields 0 and leaves the cursor untouched (so a caller can retry with more data or report
 * decode_error without having lost its place). The reader never allocates and never raises: the
 * caller knows which alert a short read deserves. */
typedef struct { const uint8_t *p; size_t len; } keel_rd;

void keel_rd_init(keel_rd *r, const uint8_t *p, size_t len);
int keel_rd_u8(keel_rd *r, uint32_t *v);
int keel_rd_u16(keel_rd *r, uint32_t *v);
int keel_rd_u24(keel_rd *r, uint32_t *v);
int keel_rd_u32(keel_rd *r, uint32_t *v);
/* Points *out at the next n bytes (no copy) and consumes them. */
int keel_rd_bytes(keel_rd *r, const uint8_t **out, size_t n);
int keel_rd_copy(keel_rd *r, uint8_t *out, size_t n);
/* Reads a 1/2/3-byte length, then hands that many bytes out as a sub-reader. */
int keel_rd_prefixed8(keel_rd *in, keel_rd *out);
int keel_rd_prefixed16(keel_rd *in, keel_rd *out);
int keel_rd_prefixed24(keel_rd *in, keel_rd *out);
int keel_rd_skip(keel_rd *r, size_t n);
size_t keel_rd_left(const keel_rd *r);
int keel_rd_done(const keel_rd *r);     /* 1 if nothing is left */

/* ---- builder ------------------------------------------------------------------------------ */

/* Appends to a growable OPENSSL_malloc'd buffer, or to a caller's fixed buffer. Errors are sticky:
 * after any failure (allocation, fixed buffer full, prefix overflow, misuse) every later operation
 * fails too, so a message can be written straight through and checked once at the end.
 *
 * Length prefixes: keel_wr_openN reserves an N-byte prefix and returns a mark (an opaque size_t
 * encoding the prefix's offset and width — an offset, so growth/reallocation cannot invalidate it);
 * keel_wr_close(mark) patches in the length of everything written since. Prefixes nest freely;
 * close them innermost first. keel_wr_finish refuses a buffer with a prefix still open. */
typedef struct {
    uint8_t *buf;
    size_t len, cap;
    int fixed;      /* buf belongs to the caller; never grown or freed */
    int borrowed;   /* buf is the caller's first buffer (keel_wr_init_buf), left when it grows */
    int failed;     /* sticky error */
    int secret;     /* holds key material: grown and freed with cleansing (keel_wr_secret) */
    int open;       /* prefixes opened and not yet closed */
} keel_wr;

int keel_wr_init(keel_wr *w, size_t initial);                 /* initial may be 0 */
int keel_wr_init_fixed(keel_wr *w, uint8_t *buf, size_t cap);
/* Growable, starting in the caller's buffer (on the stack, say: a message that fits costs no
 * allocation); it moves to an OPENSSL_malloc'd one if it outgrows it. keel_wr_finish hands over an
 * allocated copy; keel_wr_cleanup frees only what it allocated (and cleanses buf if secret). */
void keel_wr_init_buf(keel_wr *w, uint8_t *buf, size_t cap);
/* Marks a growable builder as holding secrets: old buffers are cleansed when it grows, and
 * keel_wr_cleanup cleanses. (A buffer handed over by keel_wr_finish is the caller's to cleanse.) */
void keel_wr_secret(keel_wr *w);
int keel_wr_u8(keel_wr *w, uint32_t v);     /* fails if v does not fit the width */
int keel_wr_u16(keel_wr *w, uint32_t v);
int keel_wr_u24(keel_wr *w, uint32_t v);
int keel_wr_u32(keel_wr *w, uint32_t v);
int keel_wr_bytes(keel_wr *w, const uint8_t *data, size_t n);
int keel_wr_zeros(keel_wr *w, size_t n);
int keel_wr_open8(keel_wr *w, size_t *mark);
int keel_wr_open16(keel_wr *w, size_t *mark);
int keel_wr_open24(keel_wr *w, size_t *mark);
int keel_wr_close(keel_wr *w, size_t mark);   /* fails if the content exceeds the prefix's range */
/* Appends n bytes for the caller to fill in place; *p is valid until the next append. */
int keel_wr_space(keel_wr *w, size_t n, uint8_t **p);
uint8_t *keel_wr_data(const keel_wr *w);
size_t keel_wr_len(const keel_wr *w);
int keel_wr_failed(const keel_wr *w);
/* Hands the buffer over (growable: the caller OPENSSL_free()s it; fixed: it is the caller's buffer)
 * and resets w. Fails on a sticky error or an unclosed prefix; w is cleaned up either way. */
int keel_wr_finish(keel_wr *w, uint8_t **out, size_t *len);
void keel_wr_cleanup(keel_wr *w);   /* frees a growable buffer (cleansed if keel_wr_secret) */

#endif
