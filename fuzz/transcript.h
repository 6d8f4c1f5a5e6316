/* A deterministic keel<->keel connection run in memory, recording what each side wrote: the raw
 * bytes (the other side's harness input), every handshake message in plaintext (msg_callback) and
 * the handshake traffic secrets (keylog callback). Used by the recorder to write seed corpora and
 * by the messages harness to build the prefix that leads to the message it fuzzes. */
#ifndef KEEL_FUZZ_TRANSCRIPT_H
#define KEEL_FUZZ_TRANSCRIPT_H

#include "fixture.h"

#define KEEL_FUZZ_MAX_MSGS 16

typedef struct {
    uint8_t *data;   /* the whole message: type(1) length(3) body */
    size_t len;
} keel_fuzz_msg;

typedef struct {
    uint8_t *wire[2];                 /* [KEEL_FUZZ_CLIENT], [KEEL_FUZZ_SERVER]: bytes written */
    size_t wire_len[2], wire_cap[2];
    keel_fuzz_msg msgs[2][KEEL_FUZZ_MAX_MSGS];  /* handshake messages written, in order */
    size_t nmsgs[2];
    uint8_t hs_secret[2][64];         /* CLIENT_/SERVER_HANDSHAKE_TRAFFIC_SECRET */
    size_t secret_len;
    const SSL_CIPHER *cipher;
    SSL_SESSION *session;             /* the client's session after the run (tickets read), or NULL */
    int done;                         /* both handshakes completed */
} keel_fuzz_transcript;

/* What happens after the handshake (bits). */
enum {
    KEEL_FUZZ_ACT_DATA = 1,        /* each side writes a short record, the other reads it */
    KEEL_FUZZ_ACT_BIG = 2,         /* the client writes 20000 bytes (two records) */
    KEEL_FUZZ_ACT_KU_CLIENT = 4,   /* the client sends KeyUpdate(update_requested), then data */
    KEEL_FUZZ_ACT_KU_SERVER = 8,   /* the server sends KeyUpdate(update_requested), then data */
    KEEL_FUZZ_ACT_CLOSE = 16,      /* both send close_notify */
    KEEL_FUZZ_ACT_RENEG_CLIENT = 32, /* TLS 1.2: the client renegotiates (RFC 5746), then data */
    KEEL_FUZZ_ACT_RENEG_SERVER = 64, /* TLS 1.2: the server sends HelloRequest, then data */
    KEEL_FUZZ_ACT_EARLY = 128,     /* before the handshake (not after it, as the others): the
                                    * client sends 16 bytes of early data (SSL_write_early_data),
                                    * the server reads it (SSL_read_early_data); the session the
                                    * client offers must allow it (RFC 8446 §4.2.10) */
};

/* Runs a handshake between new SSLs on cctx and sctx with the random streams reset, then
 * `actions`. Fills *t (zeroed first); 1 if the handshake completed. */
int keel_fuzz_transcript_run(SSL_CTX *cctx, SSL_CTX *sctx, unsigned actions, keel_fuzz_transcript *t);
/* The same with the client offering `offer` (a session of an earlier run, or NULL). */
int keel_fuzz_transcript_resume(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *offer, unsigned actions,
                                keel_fuzz_transcript *t);
void keel_fuzz_transcript_free(keel_fuzz_transcript *t);

/* The keylog callback keel_fuzz_init installs on every fixture context (records into the
 * transcript being run, if any). */
void keel_fuzz_keylog(const SSL *s, const char *line);

#endif
