/* The key-exchange object's layout: private to src/crypto/ (kex.c: named groups; kex_dh.c: TLS 1.2
 * DHE in the parameters the server chose). */
#ifndef KEEL_CRYPTO_KEX_INT_H
#define KEEL_CRYPTO_KEX_INT_H

#include "crypto/algs_int.h"

enum { KIND_ECX, KIND_EC, KIND_DH };

typedef struct {
    uint16_t group;     /* codepoint; 0 for TLS 1.2 DHE parameters */
    int kind;
    int idx;            /* index into ec_params / dh_params */
    const char *name;   /* key type for X25519/X448 */
    size_t pub_len;     /* exact key_exchange length on the wire (DH: the prime's size) */
    size_t secret_len;
} keel_group_info;

struct keel_kex {
    const keel_algs *algs;
    const keel_group_info *g;
    EVP_PKEY *key;
    EVP_PKEY *params;          /* the group's domain parameters; NULL for X25519/X448 */
    int own_params;            /* params is a reference of ours (TLS 1.2 DHE) */
    int tls12_dh;              /* RFC 5246 §8.1.2 Z without leading zeros; Y of any length */
    keel_group_info custom;    /* TLS 1.2 DHE: g points here */
};

/* Generates k->key from k->params (or by name for X25519/X448). */
int keel_kex_keygen(keel_kex *k);
/* RFC 7919 §5.1: 1 < Y < p-1 for Y big-endian (any length). */
int keel_dh_y_in_range(const EVP_PKEY *params, const uint8_t *y, size_t len);

#endif
