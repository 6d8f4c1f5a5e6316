/* Writes the seed corpora of the fuzz harnesses from deterministic keel<->keel transcripts
 * (fuzz/run.sh record). Usage: keel_fuzz_recorder <corpus dir>
 *
 *   server/    what keel clients of several KEEL_FUZZ_CLI_* configurations sent to the server
 *              harness's server, after which application data, KeyUpdate, close_notify
 *   client/    what keel servers of several KEEL_FUZZ_SRV_* configurations sent to the client
 *              harness's client
 *   messages/  each handshake message of the reference handshake, in fuzz_messages.c's format, and
 *              each extensions block for the keel_ext_parse target
 *   record/    records in rlfix.h's format: real plaintext records and records sealed with the
 *              fixed keys
 *   sessions/  i2d_SSL_SESSION of real keel sessions, and damaged copies of them
 * Files stay small (< 20 KiB). Re-run whenever keel's handshake bytes change. */
#include "recorder.h"
#include "rlfix.h"

#include "common/proto.h"
#include "handshake/ext.h"

#include <errno.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *root;
static size_t total;

void keel_fuzz_save(const char *dir, const char *name, const uint8_t *p1, size_t n1,
                    const uint8_t *p2, size_t n2)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", root, dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof(path), "%s/%s/%s", root, dir, name);
    if (n1 + n2 >= 20 * 1024) {
        fprintf(stderr, "recorder: %s would be %zu bytes, skipped\n", path, n1 + n2);
        return;
    }
    if ((f = fopen(path, "wb")) == NULL || fwrite(p1, 1, n1, f) != n1
            || (n2 > 0 && fwrite(p2, 1, n2, f) != n2) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    total += n1 + n2;
}

/* ---- handshake corpora ----------------------------------------------------------------------- */

/* The corpus is kept small (fuzz/README.md: < 480 KiB in all, counted in file-system blocks): one
 * seed per configuration that reaches code the others do not. */
static void handshakes(void)
{
    /* resume: the client offers the session of a first, unrecorded run of the same pair. */
    static const struct { int cli, srv; unsigned acts; const char *dir, *name; int resume; } runs[] = {
        /* server/: what keel clients sent to the server harness's server */
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_DEFAULT,
          KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_KU_CLIENT | KEEL_FUZZ_ACT_KU_SERVER | KEEL_FUZZ_ACT_CLOSE,
          "server", "keel-client-default-ku-close", 0 },
        { KEEL_FUZZ_CLI_NO_CERT, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE,
          "server", "keel-client-nocert", 0 },
        { KEEL_FUZZ_CLI_X448_FIRST, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE,
          "server", "keel-client-hrr", 0 },
        { KEEL_FUZZ_CLI_CHACHA, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE,
          "server", "keel-client-chacha", 0 },
        { KEEL_FUZZ_CLI_NO_COMPAT, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA,
          "server", "keel-client-nocompat", 0 },
        /* TLS 1.2: a 1.2-only ClientHello, the client's second flight (Certificate,
         * ClientKeyExchange, CertificateVerify, CCS, Finished), and a ticket resumption */
        { KEEL_FUZZ_CLI_TLS12, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE,
          "server", "keel-client-tls12", 0 },
        { KEEL_FUZZ_CLI_TLS12_CHACHA, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE,
          "server", "keel-client-tls12-chacha", 0 },
        { KEEL_FUZZ_CLI_TLS12, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE,
          "server", "keel-client-tls12-resumed", 1 },
        /* issue #13: what the default server reads of each addition */
        { KEEL_FUZZ_CLI_CBC12, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "server", "keel-client-cbc-etm", 0 },
        { KEEL_FUZZ_CLI_CBC12_MTE, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "server", "keel-client-cbc-mte", 0 },
        { KEEL_FUZZ_CLI_CCM13, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "server", "keel-client-ccm13", 0 },
        { KEEL_FUZZ_CLI_PAD13, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "server", "keel-client-pad13", 0 },
        { KEEL_FUZZ_CLI_MFL, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE,
          "server", "keel-client-mfl", 0 },
        { KEEL_FUZZ_CLI_DHE12, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "server", "keel-client-dhe", 0 },
        { KEEL_FUZZ_CLI_RSA12, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "server", "keel-client-rsa-kx", 0 },
        { KEEL_FUZZ_CLI_FFDHE13, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "server", "keel-client-ffdhe13", 0 },
        { KEEL_FUZZ_CLI_PSK13, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "server", "keel-client-psk13-dhe", 0 },
        { KEEL_FUZZ_CLI_PSK12, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "server", "keel-client-psk12", 0 },
        /* issue #14: early data on a resumed ticket (ClientHello, early records, EndOfEarlyData) */
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_EARLY | KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE,
          "server", "keel-client-early", 1 },
        { KEEL_FUZZ_CLI_ECDHE_PSK12, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "server", "keel-client-ecdhe-psk12", 0 },
        { KEEL_FUZZ_CLI_TLS12, KEEL_FUZZ_SRV_DEFAULT, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_RENEG_CLIENT | KEEL_FUZZ_ACT_CLOSE,
          "server", "keel-client-reneg", 0 },
        /* client/: what keel servers sent to the client harness's client */
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_DEFAULT,
          KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_KU_CLIENT | KEEL_FUZZ_ACT_KU_SERVER | KEEL_FUZZ_ACT_CLOSE,
          "client", "keel-server-default-ku-close", 0 },
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_P256_ONLY, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE,
          "client", "keel-server-hrr", 0 },
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_AES256, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE,
          "client", "keel-server-aes256", 0 },
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_NO_CR, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE,
          "client", "keel-server-nocr", 0 },
        /* TLS 1.2 servers answering the harness's client (which offers 1.3 and 1.2) */
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_TLS12, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE,
          "client", "keel-server-tls12", 0 },
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_TLS12_CHACHA, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE,
          "client", "keel-server-tls12-chacha", 0 },
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_TLS12_NO_CR, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE,
          "client", "keel-server-tls12-nocr", 0 },
        /* issue #13: what the default client reads of each addition */
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_CBC12, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "client", "keel-server-cbc-etm", 0 },
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_CBC12_MTE, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "client", "keel-server-cbc-mte", 0 },
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_CCM13, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "client", "keel-server-ccm13", 0 },
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_PAD13, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "client", "keel-server-pad13", 0 },
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_DHE12, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "client", "keel-server-dhe", 0 },
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_RSA12, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "client", "keel-server-rsa-kx", 0 },
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_FFDHE13, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_CLOSE, "client", "keel-server-ffdhe13", 0 },
        { KEEL_FUZZ_CLI_DEFAULT, KEEL_FUZZ_SRV_TLS12, KEEL_FUZZ_ACT_DATA | KEEL_FUZZ_ACT_RENEG_SERVER | KEEL_FUZZ_ACT_CLOSE,
          "client", "keel-server-reneg", 0 },
    };
    keel_fuzz_transcript t;

    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        SSL_SESSION *offer = NULL;
        if (runs[i].resume) {
            /* (Data both ways, so that a TLS 1.3 client has read its ticket.) */
            if (!keel_fuzz_transcript_run(keel_fuzz_client_ctx(runs[i].cli),
                                          keel_fuzz_server_ctx(runs[i].srv), KEEL_FUZZ_ACT_DATA, &t)
                    || t.session == NULL) {
                fprintf(stderr, "recorder: %s: first handshake failed\n", runs[i].name);
                exit(1);
            }
            offer = SSL_SESSION_dup(t.session);
            keel_fuzz_transcript_free(&t);
        }
        int ok = keel_fuzz_transcript_resume(keel_fuzz_client_ctx(runs[i].cli),
                                             keel_fuzz_server_ctx(runs[i].srv), offer, runs[i].acts, &t);
        SSL_SESSION_free(offer);
        if (!ok) {
            fprintf(stderr, "recorder: %s: handshake failed\n", runs[i].name);
            if (getenv("KEEL_FUZZ_KEEPGOING") == NULL)
                exit(1);
            keel_fuzz_transcript_free(&t);
            continue;
        }
        int side = strcmp(runs[i].dir, "server") == 0 ? KEEL_FUZZ_CLIENT : KEEL_FUZZ_SERVER;
        keel_fuzz_save(runs[i].dir, runs[i].name, t.wire[side], t.wire_len[side], NULL, 0);
        keel_fuzz_transcript_free(&t);
    }
}

/* ---- messages corpus ------------------------------------------------------------------------- */

/* The extensions block of a hello / EE / CR body (the parsers' own layout, RFC 8446 §4.1.2,
 * §4.1.3, §4.3.1, §4.3.2). 0 if the message has none. */
static int ext_block(uint8_t type, const uint8_t *body, size_t len, keel_rd *block)
{
    keel_rd r, skip;
    uint32_t v;
    const uint8_t *p;

    keel_rd_init(&r, body, len);
    switch (type) {
    case SSL3_MT_CLIENT_HELLO:
        if (!keel_rd_u16(&r, &v) || !keel_rd_bytes(&r, &p, 32) || !keel_rd_prefixed8(&r, &skip)
                || !keel_rd_prefixed16(&r, &skip) || !keel_rd_prefixed8(&r, &skip))
            return 0;
        break;
    case SSL3_MT_SERVER_HELLO:
        if (!keel_rd_u16(&r, &v) || !keel_rd_bytes(&r, &p, 32) || !keel_rd_prefixed8(&r, &skip)
                || !keel_rd_u16(&r, &v) || !keel_rd_u8(&r, &v))
            return 0;
        break;
    case SSL3_MT_CERTIFICATE_REQUEST:
        if (!keel_rd_prefixed8(&r, &skip))
            return 0;
        break;
    case SSL3_MT_ENCRYPTED_EXTENSIONS:
        break;
    default:
        return 0;
    }
    *block = r;
    return 1;
}

/* fuzz_messages.c's ext_parse contexts: the index i of KEEL_MSG_* = 1 << i. */
static unsigned ctx_index(uint8_t type, int hrr)
{
    switch (type) {
    case SSL3_MT_CLIENT_HELLO: return 0;                 /* KEEL_MSG_CH */
    case SSL3_MT_SERVER_HELLO: return hrr == 2 ? 7 : hrr ? 2 : 1; /* SH12 / HRR / SH */
    case SSL3_MT_ENCRYPTED_EXTENSIONS: return 3;
    default: return 5;                                   /* KEEL_MSG_CR */
    }
}

/* Each handshake message of a transcript in the via-handshake format, and the extension blocks of
 * those that have one in the keel_ext_parse format (the reply ones with everything offered).
 * `hrr_only`: just the server's first message, the HelloRetryRequest (the messages harness replays
 * the reference run around the message it replaces, so the rest of that run adds nothing).
 * `tls12`: 1 the client's, 2 the server's plaintext TLS 1.2 messages only (roles 5 and 4: those
 * are the flights fuzz_messages replays). */
static void messages_of(const keel_fuzz_transcript *t, const char *tag, int hrr_only, int tls12)
{
    static const char *const mname[] = { [1] = "ch", [2] = "sh", [4] = "nst", [8] = "ee",
                                         [11] = "cert", [12] = "ske", [13] = "cr", [14] = "shd", [15] = "cv",
                                         [16] = "cke", [20] = "fin" };
    char name[64];
    for (int side = hrr_only || tls12 == 2 ? KEEL_FUZZ_SERVER : 0; side < (tls12 == 1 ? 1 : 2); side++) {
        for (size_t i = 0; i < t->nmsgs[side] && !(hrr_only && i > 0); i++) {
            const keel_fuzz_msg *m = &t->msgs[side][i];
            const char *mn = m->data[0] < 21 && mname[m->data[0]] ? mname[m->data[0]] : "msg";
            if (m->data[0] == SSL3_MT_NEWSESSION_TICKET && !tls12)
                continue; /* after Finished: not part of the flight the harness replaces into */
            if (m->data[0] == SSL3_MT_FINISHED && tls12)
                break; /* encrypted: the TLS 1.2 roles replace only the plaintext messages */
            /* A client's messages are what the server reads (role 1; 5 for TLS 1.2), and vice
             * versa (0; 4). */
            uint8_t hdr[3] = { (uint8_t)((side == KEEL_FUZZ_CLIENT) + (tls12 ? 4 : 0)), (uint8_t)i,
                               m->data[0] };
            snprintf(name, sizeof(name), "%s-%s-%zu-%s", tag, side ? "server" : "client", i, mn);
            keel_fuzz_save("messages", name, hdr, 3, m->data + 4, m->len - 4);
            keel_rd block;
            int hello = m->data[0] == SSL3_MT_CLIENT_HELLO || m->data[0] == SSL3_MT_SERVER_HELLO;
            if ((hello || !tls12) /* TLS 1.2's other messages have no extensions */
                    && ext_block(m->data[0], m->data + 4, m->len - 4, &block)) {
                int hrr = tls12 ? 2 : hrr_only; /* 2: a TLS 1.2 ServerHello */
                uint8_t eh[3] = { (uint8_t)(side == KEEL_FUZZ_CLIENT ? 3 : 2),
                                  (uint8_t)ctx_index(m->data[0], hrr), 1 };
                snprintf(name, sizeof(name), "%s-ext-%s", tag, mn);
                if (!hrr_only) /* the HelloRetryRequest's own seed reaches its extensions */
                    keel_fuzz_save("messages", name, eh, 3, block.p, block.len);
            }
        }
    }
}

static void messages(void)
{
    keel_fuzz_transcript t;
    if (!keel_fuzz_transcript_run(keel_fuzz_client_ctx(KEEL_FUZZ_CLI_DEFAULT),
                                  keel_fuzz_server_ctx(KEEL_FUZZ_SRV_DEFAULT), 0, &t))
        exit(1);
    messages_of(&t, "ref", 0, 0);
    keel_fuzz_transcript_free(&t);
    /* A HelloRetryRequest (its first ClientHello is the reference one). */
    if (!keel_fuzz_transcript_run(keel_fuzz_client_ctx(KEEL_FUZZ_CLI_DEFAULT),
                                  keel_fuzz_server_ctx(KEEL_FUZZ_SRV_P256_ONLY), 0, &t))
        exit(1);
    messages_of(&t, "hrr", 1, 0);
    keel_fuzz_transcript_free(&t);
    /* Early data (issue #14): no transcript replays a resumption (a ticket's age changes), so its
     * extension is seeded in the table's contexts directly: ClientHello and EncryptedExtensions
     * (empty), NewSessionTicket (max_early_data_size 16384). */
    static const uint8_t ed_empty[] = { 0, 4, 0, 0x2a, 0, 0 };
    static const uint8_t ed_nst[] = { 0, 8, 0, 0x2a, 0, 4, 0, 0, 0x40, 0 };
    static const uint8_t h_ch[3] = { 3, 0, 1 }, h_ee[3] = { 2, 3, 1 }, h_nst[3] = { 2, 6, 1 };
    keel_fuzz_save("messages", "early-ext-ch", h_ch, 3, ed_empty, sizeof(ed_empty));
    keel_fuzz_save("messages", "early-ext-ee", h_ee, 3, ed_empty, sizeof(ed_empty));
    keel_fuzz_save("messages", "early-ext-nst", h_nst, 3, ed_nst, sizeof(ed_nst));
    /* TLS 1.2: the flights fuzz_messages replays for roles 4 and 5 (a 1.2-only client's to the
     * default server, a 1.2 server's to the default client). */
    if (!keel_fuzz_transcript_run(keel_fuzz_client_ctx(KEEL_FUZZ_CLI_TLS12),
                                  keel_fuzz_server_ctx(KEEL_FUZZ_SRV_DEFAULT), 0, &t))
        exit(1);
    messages_of(&t, "tls12c", 0, 1);
    keel_fuzz_transcript_free(&t);
    if (!keel_fuzz_transcript_run(keel_fuzz_client_ctx(KEEL_FUZZ_CLI_DEFAULT),
                                  keel_fuzz_server_ctx(KEEL_FUZZ_SRV_TLS12), 0, &t))
        exit(1);
    messages_of(&t, "tls12s", 0, 2);
    keel_fuzz_transcript_free(&t);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
        return 2;
    }
    root = argv[1];
    if (mkdir(root, 0755) != 0 && errno != EEXIST) {
        perror(root);
        return 1;
    }
    keel_fuzz_init();
    handshakes();
    messages();
    keel_fuzz_records();
    keel_fuzz_sessions();
    printf("recorder: %zu bytes of seeds in %s\n", total, root);
    return 0;
}
