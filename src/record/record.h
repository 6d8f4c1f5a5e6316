/* The record engine (GUIDE "Explicit record engine"): framing, AEAD protection, sequence numbers and
 * the two buffers of one connection. RFC 8446 §5 (TLS 1.3) and RFC 5246 §6.2 with RFC 5288 / RFC 7905
 * AEAD suites (TLS 1.2).
 *
 * The SSL object embeds a keel_rl by value; its fields are visible so that the SSL layer can see the
 * buffers, but only src/record/ writes them. Reading fetches exactly one record from the BIO and opens
 * it in place in the read buffer; writing seals records into the write buffer (several may queue)
 * and keel_rl_flush pushes them to the BIO. Buffers are allocated on first use; with
 * release_buffers set (SSL_MODE_RELEASE_BUFFERS) each is freed as soon as it is empty.
 *
 * TLS 1.2 CBC suites (RFC 5246 §6.2.3.2, RFC 7366) are protected through src/crypto/cbc.c.
 *
 * Nothing here sends alerts: a record the peer got wrong makes keel_rl_read return KEEL_RL_ALERT with
 * the alert description to send, and the SSL layer sends it (GUIDE "Errors"). */
#ifndef KEEL_RECORD_H
#define KEEL_RECORD_H

#include <openssl/types.h>   /* BIO */
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

enum { KEEL_RL_READ = 0, KEEL_RL_WRITE = 1 };

/* Results of keel_rl_read / keel_rl_flush. KEEL_RL_ERROR is 0 so that "!= KEEL_RL_OK" and plain
 * truth tests both work. */
enum {
    KEEL_RL_ERROR = 0,   /* I/O error (ERR/errno as the BIO left them), a missing BIO (SSL_R_BIO_NOT_SET), or input
                            that is not TLS at all (SSL_R_HTTP_REQUEST, _HTTPS_PROXY_REQUEST: no alert
                            is worth sending to an HTTP client) */
    KEEL_RL_OK = 1,
    KEEL_RL_RETRY = 2,   /* the BIO asked to retry (BIO_should_retry); state kept, call again */
    KEEL_RL_EOF = 3,     /* the BIO returned 0 before any byte of a record */
    KEEL_RL_ALERT = 4,   /* the peer broke the record protocol: send fatal alert *alert; reason on ERR
                            (SSL_R_UNEXPECTED_EOF_WHILE_READING: an EOF inside a record) */
};

typedef enum {
    KEEL_RL_PROT_NONE = 0,   /* plaintext (TLSPlaintext, RFC 8446 §5.1) */
    KEEL_RL_PROT_TLS13,      /* RFC 8446 §5.2 */
    KEEL_RL_PROT_TLS12,      /* RFC 5246 §6.2.3.3 GenericAEADCipher */
    KEEL_RL_PROT_TLS12_CBC,  /* RFC 5246 §6.2.3.2 GenericBlockCipher, or RFC 7366 encrypt-then-MAC */
    KEEL_RL_PROT_BROKEN,     /* a key change failed: refuse every record rather than fall back */
} keel_rl_prot;

/* One direction's protection state. The AEAD context lives as long as the connection and is only
 * re-keyed; it is replaced only when the AEAD algorithm changes. */
typedef struct {
    keel_aead_ctx *aead;
    keel_cbc_ctx *cbc;       /* KEEL_RL_PROT_TLS12_CBC; replaced at each key change */
    uint64_t seq;            /* the next record's sequence number; never wraps (§5.3) */
    /* TLS 1.3: the 12-byte static write_iv (§5.3). TLS 1.2 GCM: the 4-byte implicit salt in iv[0..3]
     * (RFC 5288 §3). TLS 1.2 ChaCha20-Poly1305: the 12-byte fixed iv (RFC 7905 §2). */
    uint8_t iv[KEEL_AEAD_NONCE_LEN];
    uint8_t prot;            /* keel_rl_prot (a byte: the struct is in every connection twice) */
    uint8_t aead_id;         /* keel_aead_id */
} keel_rl_dir;

/* Pointers and lengths first, then the 1- and 2-byte fields together, so that the struct has no
 * padding holes (it is embedded in every connection). */
typedef struct {
    const keel_algs *algs;
    keel_rl_dir rd, wr;
    /* An observer of records as they are written and read, for the message callback's
     * SSL3_RT_HEADER and SSL3_RT_INNER_CONTENT_TYPE pseudo-messages: `header` is a record's 5
     * header bytes, `inner` its inner content type under TLS 1.3 protection (RFC 8446 §5.2), each
     * NULL when not being reported. Received records report the header when it is read (before
     * the record is checked or opened) and the inner type once opened; sent ones both at sealing.
     * The SSL layer sets it only while a message callback is installed: the record path then pays
     * one NULL test per record (a second for a received TLS 1.3 record's inner type). */
    void (*trace)(void *arg, int write, const uint8_t *header, const uint8_t *inner);
    void *trace_arg;
    /* RFC 8446 §4.2.10: a server that rejected the client's early data skips the records it cannot
     * open under its read key (and, before a key is installed, i.e. after a HelloRetryRequest,
     * plaintext application_data records), up to skip_budget bytes of record body in all; past it
     * the record is unexpected_message (SSL_R_TOO_MUCH_EARLY_DATA). Armed by the handshake layer
     * (keel_rl_skip_early, which sets skip_early below), which knows the budget; ended by the first
     * record accepted other than a change_cipher_spec. */
    size_t skip_budget;

    /* Read side. rbuf holds the record being received (rhave of rneed bytes: the 5-byte header,
     * then header + body) or, once opened, the plaintext of the current record at rec_off. The
     * read side's offsets and lengths are within rbuf (a fixed size, one TLS 1.2 record's most)
     * or offer (at most 65535 bytes), hence uint32_t. */
    uint8_t *rbuf;           /* from keel_rl_buf_alloc, freed with keel_rl_buf_free */
    uint32_t rhave, rneed;
    /* SSL_set_read_ahead(3), set by the SSL layer before each read (read_ahead below): the BIO is
     * asked for as much as rbuf holds rather than for the current record's bytes only. What came
     * past the record waits in rbuf at ahead_off (ahead_len bytes, after the current record's
     * plaintext) and is moved to the front once that record is consumed. */
    uint32_t ahead_off, ahead_len;
    /* A buffer the SSL layer offers for the next application data record's content
     * (keel_rl_offer): SSL_read's, so that the content is decrypted there instead of copied.
     * offer_cap (below) is 0 once a record was opened there (one per offer). Capped at 65535: no
     * record's content comes near. */
    uint8_t *offer;
    uint32_t rec_off, rec_len; /* unconsumed plaintext of the current record (at rbuf or offer + rec_off) */

    /* Write side: sealed records in wbuf[woff..wlen) wait for keel_rl_flush; a flight or a few
     * records, so 32 bits (a queue past 4 GiB is refused, write.c). */
    uint8_t *wbuf;           /* keel_rl_buf_alloc */
    uint32_t wcap, woff, wlen;

    uint16_t version;        /* legacy_record_version written (RFC 8446 §5.1); default 0x0303 */
    /* The most plaintext a received record may carry: the negotiated max_fragment_length (RFC 6066
     * §4, at most 4096), 0 = the protocol's 2^14. Set by the handshake layer (keel_rl_set_max_plain). */
    uint16_t max_plain;
    uint16_t offer_cap;
    /* A verdict on the record being received, reached at its header but given, as OpenSSL 3.0
     * gives it, only once its body has arrived (an unknown type or an over-long plaintext record:
     * held_alert != 0, with the SSL_R_* reason held_reason; an SSL 2.0 CLIENT-HELLO: v2_hello,
     * judged by sslv2.c). Reset at each header. */
    uint16_t held_reason;
    uint8_t held_alert, v2_hello;
    /* A one-shot allowance, armed by the handshake layer's key-install function (never by the
     * record layer itself): the next record may be a 2-byte alert in plaintext although the read
     * direction is protected. Cleared by the first record opened under the read key and by any
     * read key change. */
    uint8_t plain_alert_once;
    /* Alerts we write go out in plaintext under the current write key: a client writing early
     * data, whose early key the server may not have (it may have rejected the early data), as
     * OpenSSL's client writes them. Armed by the handshake layer's key-install function
     * (keel_rl_plain_alerts_out), cleared by any write key change. */
    uint8_t plain_alerts_out;
    /* Its reading side: under the client's early key a server takes plaintext alerts for as long
     * as the key is in force (not only before the first record, as plain_alert_once), as
     * OpenSSL's server does. Armed by keel_rl_plain_alerts_in, cleared by a read key change. */
    uint8_t plain_alerts_in;
    uint8_t skip_early;      /* the early-data skipping mode above is armed */
    uint8_t release_buffers; /* SSL_MODE_RELEASE_BUFFERS: free each buffer as soon as it is empty */
    uint8_t seen_record;     /* any record header read yet (the HTTP-request check is for the first) */
    uint8_t read_ahead;      /* 0/1: SSL_set_read_ahead, as above */
    uint8_t rec_ready;       /* an opened record is current */
    uint8_t rec_type;
    uint8_t rec_in_offer;    /* its plaintext is in `offer` rather than rbuf */
} keel_rl;

/* An opened record: inner content type and plaintext, in place in the read buffer. */
typedef struct { uint8_t type; uint8_t *data; size_t len; } keel_record;

/* ---- lifetime and keys (record.c) ------------------------------------------------------------ */

int keel_rl_init(keel_rl *rl, const keel_algs *algs);   /* plaintext, seq 0, no buffers; cannot fail
                                                           unless algs is NULL */
void keel_rl_cleanup(keel_rl *rl);   /* frees buffers and AEAD/CBC contexts, cleanses keys and ivs */
void keel_rl_reset(keel_rl *rl);     /* SSL_clear: back to plaintext, seq 0, buffers and contexts
                                        dropped; algs and release_buffers kept */
/* With release_buffers set, frees the buffers that are empty now (the owner cleared
 * release_buffers for a while, e.g. through a handshake, and set it again). */
void keel_rl_release_idle(keel_rl *rl);

/* TLS 1.3 (RFC 8446 §7.3): key (keel_aead_key_len(id) bytes) and iv derived from a traffic secret by
 * the key schedule. Resets the direction's sequence number to 0 (§5.3). On failure the direction is
 * KEEL_RL_PROT_BROKEN: it refuses every record until the next successful key change or reset. */
int keel_rl_set_key13(keel_rl *rl, int dir, keel_aead_id id, const uint8_t *key,
                      const uint8_t iv[KEEL_AEAD_NONCE_LEN]);
/* TLS 1.2 AEAD: iv_len is 4 for AES-GCM (the salt, RFC 5288 §3) and 12 for ChaCha20-Poly1305
 * (RFC 7905 §2). Sequence number reset to 0 (RFC 5246 §6.1, at ChangeCipherSpec). */
int keel_rl_set_key12(keel_rl *rl, int dir, keel_aead_id id, const uint8_t *key,
                      const uint8_t *iv, size_t iv_len);
/* TLS 1.2 CBC suites (RFC 5246 §6.3): the MAC key (keel_mac_len(mac) bytes) and the encryption
 * key (keel_aead_key_len(enc)); etm: RFC 7366 encrypt-then-MAC was negotiated. The key block's
 * fixed IVs are not used (each record carries its IV, RFC 5246 §6.2.3.2). Sequence number 0. */
int keel_rl_set_key12_cbc(keel_rl *rl, int dir, keel_aead_id enc, keel_mac_id mac, int etm,
                          const uint8_t *mac_key, const uint8_t *key);
/* legacy_record_version of the records we write while not under TLS 1.3 protection (a client may
 * use 0x0301 for its first ClientHello, RFC 8446 §5.1; TLS 1.2 records carry 0x0303). Under TLS 1.3
 * protection 0x0303 is always written. */
void keel_rl_set_version(keel_rl *rl, uint16_t record_version);
/* RFC 6066 §4: records received from now on carry at most `max` bytes of plaintext (after TLS 1.3
 * padding is removed), else record_overflow; 0 restores the protocol's limit. */
void keel_rl_set_max_plain(keel_rl *rl, size_t max);
/* Arms the one-shot plaintext alert allowance (plain_alert_once) on the current read key. The
 * policy of when a peer may legitimately send one is the handshake layer's. */
void keel_rl_allow_plain_alert(keel_rl *rl);
void keel_rl_plain_alerts_out(keel_rl *rl);
void keel_rl_plain_alerts_in(keel_rl *rl);
/* Arms the early-data skipping mode above with `budget` bytes. */
void keel_rl_skip_early(keel_rl *rl, size_t budget);
/* Back to plaintext in one direction (a client that sent early data writes its second
 * ClientHello unprotected after a HelloRetryRequest, RFC 8446 §4.2.10), sequence number 0. */
int keel_rl_set_plain(keel_rl *rl, int dir);

/* ---- reading (read.c) ------------------------------------------------------------------------ */

/* Returns the current record if it still has unconsumed bytes (no I/O); otherwise drops it and
 * reads exactly one new record from rbio (header, then body: never past it, so nothing is stranded
 * in keel's buffer when the SSL layer hands the BIO over), opens it in place and returns it.
 * rec->data stays valid until the next keel_rl_read, keel_rl_consume, key change or reset.
 * Returns KEEL_RL_OK / RETRY / EOF / ERROR / ALERT (see the enum); *alert is set only for ALERT.
 * Records of type change_cipher_spec are returned as they came, also under TLS 1.3 protection
 * (RFC 8446 §5: never protected), for the handshake layer to judge. */
int keel_rl_read(keel_rl *rl, BIO *rbio, keel_record *rec, int *alert);
/* Offers buf (cap bytes) for the content of the next protected application data record that
 * keel_rl_read opens: if the content fits and the suite allows (AEAD but CCM), it is decrypted
 * straight into buf and rec->data points there; one record at most per offer. keel_rl_offer(rl,
 * NULL, 0) withdraws the offer before buf goes back to its owner; a record still current in buf
 * is then moved into the read buffer, so rec->data never outlives the caller's buffer. */
void keel_rl_offer(keel_rl *rl, uint8_t *buf, size_t cap);
/* The caller used n bytes (n <= the current record's remaining length) from the front of the
 * current record. When none remain the read buffer is released (release_buffers). */
void keel_rl_consume(keel_rl *rl, size_t n);
/* Unconsumed plaintext of the current record if it is application data, else 0 (SSL_pending). */
size_t keel_rl_pending(const keel_rl *rl);
/* Whether any read-side bytes are held: unconsumed plaintext of any type, or part of a record not
 * yet complete (SSL_has_pending). */
int keel_rl_has_buffered(const keel_rl *rl);

/* ---- writing (write.c) ----------------------------------------------------------------------- */

/* Seals one record of len <= 2^14 bytes of `type` (fragmenting is the caller's: the send path
 * and SSL_write split by the SSL's current max_send_fragment) and queues it in the write buffer. Under TLS
 * 1.3 protection a change_cipher_spec record is written in plaintext (RFC 8446 §5, D.4). Zero-length
 * records are allowed only for application data (RFC 8446 §5.1, RFC 5246 §6.2.1). 1 / 0. */
int keel_rl_seal(keel_rl *rl, uint8_t type, const uint8_t *data, size_t len);
/* The same with `pad` zero bytes of TLS 1.3 padding after the inner content type (RFC 8446 §5.4),
 * cut so that the TLSInnerPlaintext stays within 2^14 + 1 bytes; ignored unless the write
 * direction is under TLS 1.3 protection (how much to pad is the caller's policy). */
int keel_rl_seal_pad(keel_rl *rl, uint8_t type, const uint8_t *data, size_t len, size_t pad);
/* keel_rl_seal_pad for SSL_write's records: when nothing is queued and wbio is a BIO pair half
 * without a BIO callback whose ring has contiguous room for the record, the record is sealed
 * there and committed with BIO_nwrite (BIO_s_bio(3), "Non-copying Interface"): *sent = 1, the
 * record is written as keel_rl_flush would have written it, one copy fewer. Otherwise it is
 * queued as by keel_rl_seal_pad (*sent = 0). 1 / 0. */
int keel_rl_seal_send(keel_rl *rl, BIO *wbio, uint8_t type, const uint8_t *data, size_t len,
                      size_t pad, int *sent);
/* Writes queued records to wbio: KEEL_RL_OK when all are written, KEEL_RL_RETRY (partial progress
 * kept), KEEL_RL_ERROR. Does not BIO_flush: the caller decides at the end of a flight. */
int keel_rl_flush(keel_rl *rl, BIO *wbio);
size_t keel_rl_unflushed(const keel_rl *rl);

#endif
