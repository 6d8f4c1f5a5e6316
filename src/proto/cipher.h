/* SSL_CIPHER's layout: private to keel. */
#ifndef KEEL_PROTO_CIPHER_H
#define KEEL_PROTO_CIPHER_H
#include "crypto/crypto.h"

struct ssl_cipher_st {
    const char *name;       /* OpenSSL's name */
    const char *stdname;    /* the RFC / IANA name */
    uint32_t id;            /* 0x03000000 | code, as SSL_CIPHER_get_id reports */
    uint16_t code;          /* the two-byte codepoint */
    int min_tls;            /* TLS1_3_VERSION or TLS1_2_VERSION */
    int bits;
    keel_aead_id aead;
    keel_hash_id hash;      /* handshake / PRF hash */
    int kx_nid, auth_nid;
};
#endif
