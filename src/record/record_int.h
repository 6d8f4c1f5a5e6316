/* Private to src/record/: per-record protection shared by read.c and write.c. */
#ifndef KEEL_RECORD_INT_H
#define KEEL_RECORD_INT_H

#include "record/record.h"

#define KEEL_RL_HEADER_LEN 5                 /* type(1) legacy_version(2) length(2), RFC 8446 §5.1 */
#define KEEL_RL_EXPLICIT_NONCE_LEN 8         /* TLS 1.2 AES-GCM record_iv_length, RFC 5288 §3 */
/* Most a sealed record adds to its plaintext: a CBC suite's explicit IV, MAC and padding (16 +
 * 48 + 16 with minimal padding, RFC 5246 §6.2.3.2); TLS 1.2 GCM's explicit nonce and tag (24) and
 * TLS 1.3's inner content type and tag (17) are less. */
#define KEEL_RL_MAX_OVERHEAD (2 * KEEL_CBC_BLOCK + KEEL_MAC_MAX_LEN)

/* A record buffer of `cap` bytes whose record body (after the header) starts on a
 * KEEL_RL_BUF_ALIGN-byte boundary: the AEAD reads and writes whole cache lines, and the body's
 * alignment no longer depends on what else the heap holds. NULL with ERR on failure. Freed with
 * keel_rl_buf_free (NULL is fine). */
#define KEEL_RL_BUF_ALIGN 64
uint8_t *keel_rl_buf_alloc(size_t cap);
void keel_rl_buf_free(uint8_t *buf);
/* Free the read buffer when nothing received waits in it (no partial record, no current record,
 * nothing read ahead), the write buffer when everything sealed was written; only with
 * release_buffers (the write side resets its offsets either way). */
void keel_rl_release_rbuf(keel_rl *rl);
void keel_rl_release_wbuf(keel_rl *rl);

/* Whether b is a BIO pair half (BIO_s_bio(3)) without a BIO callback: records may then be sealed
 * into, and opened from, its ring through the non-copying interface (BIO_nwrite0/BIO_nwrite,
 * BIO_nread0/BIO_nread), which a program watching its BIO with a callback would not see. */
int keel_rl_pair_unwatched(BIO *b);

/* Whether records in this direction with outer type `type` are AEAD-protected: under TLS 1.3 a
 * change_cipher_spec never is (RFC 8446 §5). */
int keel_rl_is_protected(const keel_rl_dir *d, uint8_t type);

/* Writes one complete record (header and fragment) for `len` bytes of `data` into out, which has
 * room for KEEL_RL_HEADER_LEN + len + pad + KEEL_RL_MAX_OVERHEAD bytes and does not overlap data.
 * `pad`: TLS 1.3 padding zeros (RFC 8446 §5.4), used only under TLS 1.3 protection; the caller
 * keeps len + 1 + pad <= 2^14 + 1. Consumes a sequence number when protected. 1 / 0 with ERR. */
int keel_rl_seal_record(keel_rl_dir *d, uint8_t type, uint16_t version, const uint8_t *data,
                        size_t len, size_t pad, uint8_t *out, size_t *out_len);

/* Opens the protected record rec[0..rec_len) (header included, header already validated) into
 * work, a buffer of rec_len bytes standing for the record: rec itself to open in place, or
 * another (a record read in a BIO pair's ring, which must not be written: read.c), whose first
 * KEEL_RL_HEADER_LEN bytes are not written; CBC records only in place. On success the plaintext
 * is work[*off .. *off + *len) with inner type *type; or, when dst is not NULL, the record is
 * application data whose content fits dst_cap bytes and the AEAD can split its output (GCM,
 * ChaCha20-Poly1305), the content is opened straight into dst: *in_dst = 1, the plaintext
 * dst[*off .. *off + *len). A TLS 1.3 record that turns out not to be application data is put
 * back in work (dst cleansed). work may be NULL when keel_rl_opens_into says the record opens
 * into dst (read.c's pair path, which then needs no read buffer): a TLS 1.3 record that turns out
 * not to be application data is then left in dst (*in_dst = 1, what followed its content
 * cleansed) for the caller to move. On failure returns 0 with *alert set and a reason on ERR;
 * work's bytes are then garbage, dst's too unless work is NULL (then cleansed). */
int keel_rl_open_record(keel_rl_dir *d, const uint8_t *rec, size_t rec_len, uint8_t *work,
                        uint8_t *dst, size_t dst_cap, uint8_t *type, size_t *off, size_t *len,
                        int *in_dst, int *alert);

/* Whether keel_rl_open_record would open a record of rec_len bytes (header included) with outer
 * type `type` into a destination of dst_cap bytes: a protected application data record (under
 * TLS 1.3 any protected record, whose inner type is known only once opened) under GCM or
 * ChaCha20-Poly1305 whose content fits. */
int keel_rl_opens_into(const keel_rl_dir *d, uint8_t type, size_t rec_len, size_t dst_cap);

/* sslv2.c: an SSL 2.0-format CLIENT-HELLO as the first record (RFC 5246 §E.2), framed and refused
 * as OpenSSL 3.0 frames and refuses it. keel_rl_sslv2_length: the body length from the header, 0
 * with *reason and *alert if it may not be read; keel_rl_sslv2_refuse: raises the reason for the whole
 * body (msg_type onwards) and returns the alert. */
int keel_rl_sslv2_header(const uint8_t *h);
int keel_rl_sslv2_length(const uint8_t *h, size_t *len, int *reason, int *alert);
int keel_rl_sslv2_refuse(const uint8_t *body, size_t len);

#endif
