/* The record harness's input format and fixed keys, shared with the recorder that writes its seeds.
 *
 * Input: one mode byte, then a body.
 *   mode & 3      protection of the reading engine: 0 plaintext, 1 TLS 1.3 AES-128-GCM,
 *                 2 TLS 1.3 ChaCha20-Poly1305, 3 TLS 1.2 AES-128-GCM (RFC 5288)
 *   mode & 4      release_buffers (SSL_MODE_RELEASE_BUFFERS)
 *   mode & 0x20   with protection 3: TLS 1.2 ChaCha20-Poly1305 (RFC 7905) instead of AES-128-GCM
 *   mode & 0x18   0: raw  — the body is the byte stream on the wire, read with keel_rl_read;
 *                 8: sealed — the body is a list of items [outer type u8][len u16][inner bytes]
 *                    that the harness protects itself (so that the AEAD tag verifies and the
 *                    inner plaintext — content type, padding, lengths — is what is fuzzed);
 *                 0x10: round trip — items [type u8][len u16][data] written with keel_rl_seal and
 *                    read back with keel_rl_read: what was sealed must come back unchanged.
 * Keys are fixed; every direction starts at sequence number 0. */
#ifndef KEEL_FUZZ_RLFIX_H
#define KEEL_FUZZ_RLFIX_H

#include "record/record.h"

#define KEEL_FUZZ_RL_RAW 0x00
#define KEEL_FUZZ_RL_SEALED 0x08
#define KEEL_FUZZ_RL_ROUNDTRIP 0x10
#define KEEL_FUZZ_RL_CHACHA12 0x20

static const uint8_t keel_fuzz_rl_key[32] = {
    0x6b, 0x65, 0x65, 0x6c, 0x20, 0x66, 0x75, 0x7a, 0x7a, 0x20, 0x72, 0x65, 0x63, 0x6f, 0x72, 0x64,
    0x20, 0x6b, 0x65, 0x79, 0x20, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x21,
};
static const uint8_t keel_fuzz_rl_iv[12] = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98,
};

/* TLS 1.2 ChaCha20-Poly1305: no explicit nonce, the 12-byte IV XOR the sequence number. */
static inline int keel_fuzz_rl_chacha12(int mode)
{
    return (mode & 3) == 3 && (mode & KEEL_FUZZ_RL_CHACHA12) != 0;
}

/* The AEAD of a mode's protection (meaningless for plaintext). */
static inline keel_aead_id keel_fuzz_rl_aead(int mode)
{
    return (mode & 3) == 2 || keel_fuzz_rl_chacha12(mode) ? KEEL_AEAD_CHACHA20_POLY1305
                                                          : KEEL_AEAD_AES_128_GCM;
}

/* Puts one direction of rl under the mode's protection. 1 / 0. */
static inline int keel_fuzz_rl_keys(keel_rl *rl, int dir, int mode)
{
    switch (mode & 3) {
    case 1:
    case 2:
        return keel_rl_set_key13(rl, dir, keel_fuzz_rl_aead(mode), keel_fuzz_rl_key, keel_fuzz_rl_iv);
    case 3:
        return keel_rl_set_key12(rl, dir, keel_fuzz_rl_aead(mode), keel_fuzz_rl_key, keel_fuzz_rl_iv,
                                 keel_fuzz_rl_chacha12(mode) ? 12 : 4);
    default:
        return 1;
    }
}

#endif
