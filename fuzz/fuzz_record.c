/* Harness: the record engine alone (src/record/), on arbitrary records in plaintext and under
 * TLS 1.3 / TLS 1.2 AEAD protection (AES-GCM and ChaCha20-Poly1305). The input format is in rlfix.h. Besides "no crash, no leak",
 * it checks two invariants and abort()s on a violation: an opened record never exceeds 2^14 bytes
 * of plaintext (RFC 8446 §5.1, §5.4; RFC 5246 §6.2.1), and in round-trip mode every record
 * keel_rl_seal accepted is read back by keel_rl_read with the same type and bytes. */
#include "rlfix.h"

#include "common/proto.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static const keel_algs *algs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if ((algs = keel_algs_default()) == NULL)
        abort();
    return 0;
}

/* Reads records until the engine stops, consuming each in two uneven bites. Every other record
 * is read with a buffer offered (keel_rl_offer, as SSL_read does) of a size that varies around
 * the full record's: a record opened there must lie inside it, and once the offer is withdrawn
 * what is left of the record must be the same bytes, no longer in the offered buffer. */
static void read_all(keel_rl *rl, BIO *in)
{
    static uint8_t offer[KEEL_MAX_PLAINTEXT + 64], left[KEEL_MAX_PLAINTEXT + 1];
    static const size_t caps[] = { 0, KEEL_MAX_PLAINTEXT, 1, KEEL_MAX_PLAINTEXT - 1, 100, sizeof(offer) };

    for (int i = 0; i < 100000; i++) {
        keel_record rec;
        int alert = 0;
        size_t cap = caps[i % (sizeof(caps) / sizeof(caps[0]))];
        if (cap > 0)
            keel_rl_offer(rl, offer, cap);
        int r = keel_rl_read(rl, in, &rec, &alert);
        if (r != KEEL_RL_OK) {
            keel_rl_offer(rl, NULL, 0);
            if (r == KEEL_RL_ALERT && alert == 0)
                abort(); /* an ALERT result must say which alert */
            return;
        }
        if (rec.len > KEEL_MAX_PLAINTEXT) {
            fprintf(stderr, "record of %zu plaintext bytes accepted\n", rec.len);
            abort();
        }
        int in_offer = rec.data >= offer && rec.data < offer + sizeof(offer);
        if (in_offer && (cap == 0 || rec.data + rec.len > offer + cap))
            abort();
        if (rec.len > 0) {
            volatile uint8_t sink = rec.data[0] ^ rec.data[rec.len - 1];
            (void)sink;
        }
        keel_rl_consume(rl, rec.len / 3);
        if (keel_rl_pending(rl) > rec.len)
            abort();
        if (cap > 0) {
            size_t n = rec.len - rec.len / 3;
            memcpy(left, rec.data + rec.len / 3, n);
            keel_rl_offer(rl, NULL, 0);
            memset(offer, 0xee, sizeof(offer));
            if (n > 0) {
                if (keel_rl_read(rl, NULL, &rec, &alert) != KEEL_RL_OK || rec.len != n
                        || (rec.data >= offer && rec.data < offer + sizeof(offer))
                        || memcmp(rec.data, left, n) != 0)
                    abort();
            }
        }
        keel_rl_consume(rl, rec.len);
    }
}

/* Sealed mode: the harness protects each item itself, as a peer with these keys would. */
static void seal_items(int mode, const uint8_t *p, size_t len, BIO *in)
{
    keel_aead_ctx *aead = keel_aead_new(algs, keel_fuzz_rl_aead(mode), 1);
    static uint8_t rec[5 + 8 + 65536 + 16];
    uint64_t seq = 0;

    if (aead == NULL || !keel_aead_set_key(aead, keel_fuzz_rl_key))
        abort();
    while (len >= 3) {
        uint8_t type = p[0];
        size_t n = (size_t)p[1] << 8 | p[2];
        if (n > len - 3)
            n = len - 3;
        const uint8_t *inner = p + 3;
        p += 3 + n;
        len -= 3 + n;

        uint8_t nonce[12], aad[13];
        memcpy(nonce, keel_fuzz_rl_iv, 12);
        size_t explicit_len = 0, body;
        if ((mode & 3) == 3) {
            /* RFC 5246 §6.2.3.3 additional data: seq, type, version, plaintext length. */
            for (int i = 0; i < 8; i++)
                aad[i] = (uint8_t)(seq >> (56 - 8 * i));
            aad[8] = type, aad[9] = 3, aad[10] = 3, aad[11] = (uint8_t)(n >> 8), aad[12] = (uint8_t)n;
        }
        if ((mode & 3) == 3 && !keel_fuzz_rl_chacha12(mode)) {
            /* RFC 5288 §3: salt(4) || explicit nonce(8), the explicit part sent in the record. */
            explicit_len = 8;
            for (int i = 0; i < 8; i++)
                nonce[4 + i] = rec[5 + i] = (uint8_t)(seq >> (56 - 8 * i));
        } else {
            /* RFC 8446 §5.3, RFC 7905 §2: iv XOR the padded sequence number. */
            for (int i = 0; i < 8; i++)
                nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
        }
        body = explicit_len + n + KEEL_AEAD_TAG_LEN;
        rec[0] = type, rec[1] = 3, rec[2] = 3, rec[3] = (uint8_t)(body >> 8), rec[4] = (uint8_t)body;
        if ((mode & 3) != 3)
            memcpy(aad, rec, 5);
        if (body > 0xffff || !keel_aead_seal(aead, nonce, aad, (mode & 3) == 3 ? 13 : 5, inner, n,
                                             rec + 5 + explicit_len))
            break;
        BIO_write(in, rec, (int)(5 + body));
        seq++;
    }
    keel_aead_free(aead);
}

/* Round-trip mode: whatever keel_rl_seal accepts must come back through keel_rl_read unchanged. */
static void round_trip(int mode, const uint8_t *p, size_t len, keel_rl *rd, BIO *in)
{
    keel_rl wr;

    if (!keel_rl_init(&wr, algs) || !keel_fuzz_rl_keys(&wr, KEEL_RL_WRITE, mode))
        abort();
    wr.release_buffers = rd->release_buffers;
    while (len >= 3) {
        uint8_t type = p[0];
        size_t n = (size_t)p[1] << 8 | p[2];
        if (n > len - 3)
            n = len - 3;
        const uint8_t *data = p + 3;
        p += 3 + n;
        len -= 3 + n;
        if (!keel_rl_seal(&wr, type, data, n)) {
            ERR_clear_error();
            continue;
        }
        if (keel_rl_flush(&wr, in) != KEEL_RL_OK)
            abort();
        keel_record rec;
        int alert = 0;
        if (keel_rl_read(rd, in, &rec, &alert) != KEEL_RL_OK || rec.type != type || rec.len != n
                || (n > 0 && memcmp(rec.data, data, n) != 0)) {
            fprintf(stderr, "sealed record (type %u, %zu bytes) did not read back\n", type, n);
            abort();
        }
        keel_rl_consume(rd, rec.len);
    }
    keel_rl_cleanup(&wr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    keel_rl rl;
    BIO *in;

    if (len < 1)
        return 0;
    int mode = data[0];
    if (!keel_rl_init(&rl, algs) || !keel_fuzz_rl_keys(&rl, KEEL_RL_READ, mode)
            || (in = BIO_new(BIO_s_mem())) == NULL)
        abort();
    BIO_set_mem_eof_return(in, -1);
    rl.release_buffers = (mode & 4) != 0;
    switch (mode & 0x18) {
    case KEEL_FUZZ_RL_SEALED:
        seal_items(mode, data + 1, len - 1, in);
        read_all(&rl, in);
        break;
    case KEEL_FUZZ_RL_ROUNDTRIP:
        round_trip(mode, data + 1, len - 1, &rl, in);
        break;
    default:
        /* The raw stream arrives in two parts, so that a record split across reads is resumed. */
        BIO_write(in, data + 1, (int)((len - 1) / 2));
        read_all(&rl, in);
        BIO_write(in, data + 1 + (len - 1) / 2, (int)(len - 1 - (len - 1) / 2));
        read_all(&rl, in);
        BIO_set_mem_eof_return(in, 0);
        read_all(&rl, in);
        break;
    }
    keel_rl_cleanup(&rl);
    BIO_free(in);
    ERR_clear_error();
    return 0;
}
