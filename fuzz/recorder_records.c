/* The record harness's seeds (format in rlfix.h): real plaintext records from a keel<->keel
 * transcript, and records of every type sealed with the harness's fixed keys. */
#include "recorder.h"
#include "rlfix.h"

#include "common/proto.h"

#include <openssl/bio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One item of the sealed / round-trip formats: [type][len u16][bytes]. */
static size_t item(uint8_t *out, uint8_t type, const uint8_t *p, size_t n)
{
    out[0] = type;
    out[1] = (uint8_t)(n >> 8);
    out[2] = (uint8_t)n;
    if (n > 0)
        memcpy(out + 3, p, n);
    return 3 + n;
}

void keel_fuzz_records(void)
{
    static const uint8_t alert[2] = { 2, 40 }, warn[2] = { 1, 90 }, ccs[1] = { 1 };
    static uint8_t big[16384], buf[20000];
    static const uint8_t ee[] = { 8, 0, 0, 2, 0, 0 };      /* an empty EncryptedExtensions */
    static const uint8_t ku[] = { 24, 0, 0, 1, 1 };        /* KeyUpdate(update_requested) */
    keel_fuzz_transcript t;
    char name[64];

    memset(big, 'r', sizeof(big));
    /* Real plaintext records: the client's and the server's whole output, read as plaintext (the
     * encrypted part then reads as application data records). */
    if (!keel_fuzz_transcript_run(keel_fuzz_client_ctx(KEEL_FUZZ_CLI_DEFAULT),
                                  keel_fuzz_server_ctx(KEEL_FUZZ_SRV_DEFAULT), 0, &t))
        exit(1);
    {
        uint8_t mode = 4; /* with SSL_MODE_RELEASE_BUFFERS */
        keel_fuzz_save("record", "plain-server", &mode, 1, t.wire[KEEL_FUZZ_SERVER],
                       t.wire_len[KEEL_FUZZ_SERVER]);
    }
    keel_fuzz_transcript_free(&t);

    /* 1, 2: TLS 1.3 AES-128-GCM, ChaCha20-Poly1305; 3: TLS 1.2 AES-128-GCM; 3 | 0x20: TLS 1.2
     * ChaCha20-Poly1305 (named "3c"). */
    static const int prots[] = { 1, 2, 3, 3 | KEEL_FUZZ_RL_CHACHA12 };
    for (size_t pi = 0; pi < sizeof(prots) / sizeof(prots[0]); pi++) {
        int prot = prots[pi];
        const char *pname = prot == 1 ? "1" : prot == 2 ? "2" : prot == 3 ? "3" : "3c";
        /* Raw: records keel itself sealed with the fixed keys. */
        keel_rl rl;
        BIO *b = BIO_new(BIO_s_mem());
        if (b == NULL || !keel_rl_init(&rl, keel_algs_default()) || !keel_fuzz_rl_keys(&rl, KEEL_RL_WRITE, prot))
            exit(1);
        if (!keel_rl_seal(&rl, KEEL_CT_HANDSHAKE, ee, sizeof(ee))
                || !keel_rl_seal(&rl, KEEL_CT_APPLICATION_DATA, (const uint8_t *)"hello", 5)
                || !keel_rl_seal(&rl, KEEL_CT_APPLICATION_DATA, NULL, 0)
                || !keel_rl_seal(&rl, KEEL_CT_CHANGE_CIPHER_SPEC, ccs, 1)
                || !keel_rl_seal(&rl, KEEL_CT_HANDSHAKE, ku, sizeof(ku))
                || !keel_rl_seal(&rl, KEEL_CT_ALERT, warn, 2)
                || !keel_rl_seal(&rl, KEEL_CT_ALERT, alert, 2)
                || keel_rl_flush(&rl, b) != KEEL_RL_OK)
            exit(1);
        const uint8_t *p;
        long n = BIO_get_mem_data(b, (char **)&p);
        uint8_t mode = (uint8_t)(prot | KEEL_FUZZ_RL_RAW);
        snprintf(name, sizeof(name), "raw-%s", pname);
        if (prot != 2) /* ChaCha20-Poly1305 records frame like AES-GCM's (sealed-2 covers it) */
            keel_fuzz_save("record", name, &mode, 1, p, (size_t)n);
        keel_rl_cleanup(&rl);
        BIO_free(b);

        /* Sealed: inner plaintexts the harness protects itself. TLS 1.3 inner plaintext is
         * content || type || zero padding (RFC 8446 §5.2); TLS 1.2 is the content alone. */
        size_t len = 0;
        buf[len++] = (uint8_t)(prot | KEEL_FUZZ_RL_SEALED);
        if ((prot & 3) != 3) {
            static const uint8_t in1[] = { 'h', 'i', 23 }, in2[] = { 8, 0, 0, 2, 0, 0, 22, 0, 0, 0, 0 };
            static const uint8_t in3[] = { 2, 50, 21 }, in4[] = { 0, 0, 0, 0 }, in5[] = { 23 };
            len += item(buf + len, 23, in1, sizeof(in1));
            len += item(buf + len, 23, in2, sizeof(in2));
            len += item(buf + len, 23, in5, sizeof(in5));
            len += item(buf + len, 23, in3, sizeof(in3));
            len += item(buf + len, 23, in4, sizeof(in4));
            if (prot == 1) {
                /* The largest inner plaintext: 2^14 bytes of content and its type (§5.4). */
                size_t n = sizeof(big) + 1;
                buf[len] = 23, buf[len + 1] = (uint8_t)(n >> 8), buf[len + 2] = (uint8_t)n;
                memset(buf + len + 3, 'r', sizeof(big));
                buf[len + 3 + sizeof(big)] = 23;
                len += 3 + n;
            }
        } else {
            len += item(buf + len, 22, ee, sizeof(ee));
            len += item(buf + len, 23, (const uint8_t *)"hi", 2);
            len += item(buf + len, 23, NULL, 0);
            len += item(buf + len, 21, alert, 2);
        }
        snprintf(name, sizeof(name), "sealed-%s", pname);
        /* TLS 1.2 has no inner plaintext to fuzz (raw-3 and roundtrip-3 cover it); the ChaCha20
         * one's sealed seed reaches its nonce and AAD construction. */
        if (prot != 3)
            keel_fuzz_save("record", name, buf, len, NULL, 0);

        /* Round trip: what keel_rl_seal accepts must read back. */
        len = 0;
        buf[len++] = (uint8_t)(prot | KEEL_FUZZ_RL_ROUNDTRIP);
        len += item(buf + len, 22, ee, sizeof(ee));
        len += item(buf + len, 23, NULL, 0);
        len += item(buf + len, 20, ccs, 1);
        len += item(buf + len, 21, alert, 2);
        len += item(buf + len, 23, big, 1000);
        snprintf(name, sizeof(name), "roundtrip-%s", pname);
        if (prot != 1)
            keel_fuzz_save("record", name, buf, len, NULL, 0);
    }
}
