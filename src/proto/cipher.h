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
    keel_aead_id aead;      /* the bulk cipher: an AEAD, or a CBC cipher when mac says so */
    keel_hash_id hash;      /* handshake / PRF hash (RFC 5246 §5: SHA-256 unless the suite says SHA-384) */
    int kx_nid, auth_nid;
    keel_mac_id mac;        /* KEEL_MAC_AEAD (0), or a CBC suite's HMAC (RFC 5246 §6.2.3.2) */
};
#endif
