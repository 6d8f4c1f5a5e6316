/* Harness: one handshake message at a time, reached through the real handshake, plus the
 * extension table (keel_ext_parse) directly.
 *
 * Input: [role u8][pos u8][type u8][body ...]
 *   role % 6 == 0  a keel client reads the server's flight (ServerHello, EncryptedExtensions,
 *                  CertificateRequest, Certificate, CertificateVerify, Finished) in which message
 *                  number pos % 6 is replaced by handshake message `type` with `body`. The messages
 *                  before it are the real ones of a recorded deterministic handshake, sealed under
 *                  the real handshake traffic keys, so the fuzzed message meets exactly the parser
 *                  and state it would in a live connection (the ones after it follow too).
 *   role % 6 == 1  the same for a keel server reading the client's flight (ClientHello,
 *                  Certificate, CertificateVerify, Finished).
 *   role % 6 == 2/3  keel_ext_parse(body) as a client/server, in message context 1 << (pos % 8)
 *                  (ext.h's KEEL_MSG_*), with every extension offered if type is odd, none if even.
 *                  Checks: a rejection names an alert and leaves a reason on the error stack.
 *   role % 6 == 4  TLS 1.2: the keel client (which offers 1.3 and 1.2) reads a TLS 1.2 server's
 *                  plaintext flight (ServerHello, Certificate, ServerKeyExchange,
 *                  CertificateRequest, ServerHelloDone, NewSessionTicket) with message pos % 6
 *                  replaced; what that server sent from its ChangeCipherSpec on follows as recorded.
 *   role % 6 == 5  the same for a keel server reading a TLS 1.2-only client's flight (ClientHello,
 *                  Certificate, ClientKeyExchange, CertificateVerify, then its CCS and Finished).
 *                  (RFC 5246 §7.1: the messages before ChangeCipherSpec are the plaintext ones, so
 *                  the encrypted Finished itself is not replaced.)
 * Roles 0 and 1 are the same modulo 4 and 6, so the older seeds keep their meaning. */
#include "transcript.h"

#include "handshake/ext.h"

#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static keel_fuzz_transcript real;
static keel_fuzz_transcript real12[2]; /* TLS 1.2, by the side that sent the flight replaced */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    keel_fuzz_init();
    if (!keel_fuzz_transcript_run(keel_fuzz_client_ctx(KEEL_FUZZ_CLI_DEFAULT),
                                  keel_fuzz_server_ctx(KEEL_FUZZ_SRV_DEFAULT), 0, &real)
            || real.secret_len == 0) {
        fprintf(stderr, "fuzz_messages: the reference handshake failed\n");
        abort();
    }
    if (!keel_fuzz_transcript_run(keel_fuzz_client_ctx(KEEL_FUZZ_CLI_TLS12),
                                  keel_fuzz_server_ctx(KEEL_FUZZ_SRV_DEFAULT), 0, &real12[KEEL_FUZZ_CLIENT])
            || !keel_fuzz_transcript_run(keel_fuzz_client_ctx(KEEL_FUZZ_CLI_DEFAULT),
                                         keel_fuzz_server_ctx(KEEL_FUZZ_SRV_TLS12), 0,
                                         &real12[KEEL_FUZZ_SERVER])) {
        fprintf(stderr, "fuzz_messages: a TLS 1.2 reference handshake failed\n");
        abort();
    }
    return 0;
}

/* Seals one handshake message into records (fragments of at most 2^14 bytes) and queues them. */
static void put_msg(keel_rl *rl, const uint8_t *m, size_t len)
{
    for (size_t off = 0; off < len; off += KEEL_MAX_PLAINTEXT) {
        size_t n = len - off < KEEL_MAX_PLAINTEXT ? len - off : KEEL_MAX_PLAINTEXT;
        if (!keel_rl_seal(rl, SSL3_RT_HANDSHAKE, m + off, n))
            abort();
    }
}

/* The sender's flight with message `pos` replaced, as records: the first message in plaintext,
 * the rest under the sender's handshake traffic key (RFC 8446 §2: ServerHello / ClientHello is the
 * last plaintext message). */
static void via_handshake(int server_reads, size_t pos, uint8_t type, const uint8_t *body, size_t blen)
{
    int sender = server_reads ? KEEL_FUZZ_CLIENT : KEEL_FUZZ_SERVER;
    const SSL_CIPHER *cs = real.cipher;
    uint8_t key[KEEL_AEAD_MAX_KEY_LEN], iv[KEEL_AEAD_NONCE_LEN];
    keel_rl rl;
    BIO *wire = BIO_new(BIO_s_mem());
    uint8_t *msg = malloc(blen + 4);

    if (wire == NULL || msg == NULL || !keel_rl_init(&rl, keel_algs_default()))
        abort();
    msg[0] = type;
    msg[1] = (uint8_t)(blen >> 16), msg[2] = (uint8_t)(blen >> 8), msg[3] = (uint8_t)blen;
    memcpy(msg + 4, body, blen);
    /* The flight ends with Finished (post-handshake messages such as tickets use other keys). */
    size_t n = 0;
    while (n < real.nmsgs[sender] && real.msgs[sender][n++].data[0] != SSL3_MT_FINISHED)
        ;
    pos %= n;
    for (size_t i = 0; i < n; i++) {
        if (i == 1 && (!keel_ks_traffic_keys(keel_algs_default(), cs->hash, real.hs_secret[sender],
                                             key, keel_aead_key_len(cs->aead), iv)
                       || !keel_rl_set_key13(&rl, KEEL_RL_WRITE, cs->aead, key, iv)))
            abort();
        if (i == pos)
            put_msg(&rl, msg, blen + 4);
        else
            put_msg(&rl, real.msgs[sender][i].data, real.msgs[sender][i].len);
    }
    if (keel_rl_flush(&rl, wire) != KEEL_RL_OK)
        abort();
    keel_rl_cleanup(&rl);
    free(msg);

    const uint8_t *p;
    long wlen = BIO_get_mem_data(wire, (char **)&p);
    BIO *in, *out;
    keel_fuzz_rand_reset(server_reads ? KEEL_FUZZ_SERVER : KEEL_FUZZ_CLIENT);
    SSL *s = server_reads ? keel_fuzz_ssl(keel_fuzz_server_ctx(KEEL_FUZZ_SRV_DEFAULT), 1, &in, &out)
                          : keel_fuzz_ssl(keel_fuzz_client_ctx(KEEL_FUZZ_CLI_DEFAULT), 0, &in, &out);
    keel_fuzz_drive(s, in, out, p, (size_t)wlen);
    SSL_free(s);
    BIO_free(wire);
}

/* The TLS 1.2 flight (see the header): plaintext messages up to the first Finished, message `pos`
 * replaced, then the sender's recorded bytes from its first ChangeCipherSpec record on. */
static void via_handshake12(int server_reads, size_t pos, uint8_t type, const uint8_t *body, size_t blen)
{
    int sender = server_reads ? KEEL_FUZZ_CLIENT : KEEL_FUZZ_SERVER;
    const keel_fuzz_transcript *t = &real12[sender];
    keel_rl rl;
    BIO *wire = BIO_new(BIO_s_mem());
    uint8_t *msg = malloc(blen + 4);

    if (wire == NULL || msg == NULL || !keel_rl_init(&rl, keel_algs_default()))
        abort();
    msg[0] = type;
    msg[1] = (uint8_t)(blen >> 16), msg[2] = (uint8_t)(blen >> 8), msg[3] = (uint8_t)blen;
    memcpy(msg + 4, body, blen);
    size_t n = 0;
    while (n < t->nmsgs[sender] && t->msgs[sender][n].data[0] != SSL3_MT_FINISHED)
        n++;
    pos %= n;
    for (size_t i = 0; i < n; i++) {
        if (i == pos)
            put_msg(&rl, msg, blen + 4);
        else
            put_msg(&rl, t->msgs[sender][i].data, t->msgs[sender][i].len);
    }
    if (keel_rl_flush(&rl, wire) != KEEL_RL_OK)
        abort();
    keel_rl_cleanup(&rl);
    free(msg);
    /* The recorded records: 5-byte headers (RFC 5246 §6.2.1), the first CCS one and the rest. */
    const uint8_t *w = t->wire[sender];
    size_t off = 0, wl = t->wire_len[sender];
    while (off + 5 <= wl && w[off] != SSL3_RT_CHANGE_CIPHER_SPEC)
        off += 5 + ((size_t)w[off + 3] << 8 | w[off + 4]);
    if (off < wl && BIO_write(wire, w + off, (int)(wl - off)) != (int)(wl - off))
        abort();

    const uint8_t *p;
    long wlen = BIO_get_mem_data(wire, (char **)&p);
    BIO *in, *out;
    keel_fuzz_rand_reset(server_reads ? KEEL_FUZZ_SERVER : KEEL_FUZZ_CLIENT);
    SSL *s = server_reads ? keel_fuzz_ssl(keel_fuzz_server_ctx(KEEL_FUZZ_SRV_DEFAULT), 1, &in, &out)
                          : keel_fuzz_ssl(keel_fuzz_client_ctx(KEEL_FUZZ_CLI_DEFAULT), 0, &in, &out);
    keel_fuzz_drive(s, in, out, p, (size_t)wlen);
    SSL_free(s);
    BIO_free(wire);
}

static void ext_parse(int server, unsigned ctx, int offered, const uint8_t *body, size_t blen)
{
    BIO *in, *out;
    SSL *s = server ? keel_fuzz_ssl(keel_fuzz_server_ctx(KEEL_FUZZ_SRV_DEFAULT), 1, &in, &out)
                    : keel_fuzz_ssl(keel_fuzz_client_ctx(KEEL_FUZZ_CLI_DEFAULT), 0, &in, &out);
    keel_hello h;
    keel_rd rd;
    int alert = -1;

    if ((s->conn = keel_conn_new(s)) == NULL)
        abort();
    memset(&h, 0, sizeof(h));
    keel_rd_init(&rd, body, blen);
    ERR_clear_error();
    if (keel_ext_parse(s, ctx, &rd, &h, offered ? ~0u : 0u, &alert)) {
        if (alert != 0)
            abort();
    } else if (alert <= 0 || ERR_peek_error() == 0) {
        fprintf(stderr, "keel_ext_parse failed with alert %d and %s error on the stack\n", alert,
                ERR_peek_error() ? "an" : "no");
        abort();
    }
    SSL_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len < 3)
        return 0;
    switch (data[0] % 6) {
    case 0:
    case 1:
        via_handshake(data[0] % 6 == 1, data[1], data[2], data + 3, len - 3);
        break;
    case 4:
    case 5:
        via_handshake12(data[0] % 6 == 5, data[1], data[2], data + 3, len - 3);
        break;
    default:
        ext_parse(data[0] % 6 == 3, 1u << (data[1] % 8), data[2] & 1, data + 3, len - 3);
        break;
    }
    ERR_clear_error();
    return 0;
}
