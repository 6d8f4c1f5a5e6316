/* SSL_SESSION's layout: private to keel. A TLS 1.3 session is what a ticket stands for: the
 * resumption PSK and what the handshake established (RFC 8446 §4.6.1). */
#ifndef KEEL_PROTO_SESSION_H
#define KEEL_PROTO_SESSION_H
#include "internal.h"
#include "crypto/crypto.h"
#include <time.h>

struct ssl_session_st {
    atomic_int refs;
    int version;
    const SSL_CIPHER *cipher;
    /* TLS 1.3: the resumption PSK, or an external PSK of up to PSK_MAX_PSK_LEN bytes (as
     * SSL_SESSION_set1_master_key accepts in OpenSSL 3.0); TLS 1.2: the master secret. */
    /* master_key points at key_buf, which holds every resumption PSK (a TLS 1.3 suite's hash
     * length: 48 bytes at most) and master secret; only a longer external PSK
     * (SSL_SESSION_set1_master_key) gets a block of its own. */
    uint8_t *master_key;
    size_t master_key_len;
    uint8_t key_buf[48];
    uint8_t session_id[SSL_MAX_SSL_SESSION_ID_LENGTH];
    uint8_t sid_ctx[SSL_MAX_SID_CTX_LENGTH];
    size_t session_id_len;
    size_t sid_ctx_len;
    time_t time;                /* creation, seconds since the epoch */
    long timeout;               /* lifetime in seconds, from the creating SSL's settings */
    uint8_t *ticket;            /* client: the ticket to present */
    size_t ticket_len;
    char *hostname;             /* SNI the session was established with */
    uint8_t *alpn;              /* ALPN protocol selected */
    size_t alpn_len;
    X509 *peer;                 /* the peer's certificate, if any */
    char *psk_identity;         /* TLS 1.2 PSK suites: the client's identity (RFC 4279 §2) */
    char *psk_identity_hint;    /* ... and the server's hint, as the client received it */
    long verify_result;
    uint32_t ticket_lifetime_hint;
    uint32_t ticket_age_add;
    uint32_t max_early_data;
    uint32_t kex_group;         /* the (EC)DHE group of the handshake (encoded, not used) */
    uint8_t not_resumable;
    uint8_t ems;                /* TLS 1.2: made with the extended master secret (RFC 7627 §5.3) */
    uint8_t etm;                /* TLS 1.2 CBC: records were encrypt-then-MAC (RFC 7366 §3.1) */
    uint8_t mfl_mode;           /* max_fragment_length code negotiated (RFC 6066 §4), 0 = none */
    /* The server session cache (sess_cache.c), under the owner's sess_lock: the expiry-ordered
     * list, the hash chain, the id's hash and the context whose cache holds it (NULL: none;
     * atomic: SSL_SESSION_set_time reads it before taking that context's lock). */
    uint32_t cache_hash;
    SSL_SESSION *cache_next, *cache_prev, *hash_next;
    _Atomic(SSL_CTX *) cache_owner;
    CRYPTO_EX_DATA ex_data;
};

/* Sessions in OpenSSL's DER SSL_SESSION encoding (sess_asn1.c). */
int keel_session_encode(const SSL_SESSION *ss, uint8_t **out, size_t *len);
SSL_SESSION *keel_session_decode(const uint8_t *p, size_t len);
int keel_session_expired(const SSL_SESSION *ss, time_t now);

/* The server cache (sess_cache.c) */
SSL_SESSION *keel_cache_lookup(SSL_CTX *ctx, const uint8_t *id, size_t len);
/* Whether a session of this version and id is cached (SSL_has_matching_session_id). */
int keel_cache_has(SSL_CTX *ctx, int version, const uint8_t *id, size_t len);
/* Sets ss's time and timeout; a cached session moves to its new place in its cache's order. */
void keel_cache_set_lifetime(SSL_SESSION *ss, time_t t, long timeout);
#endif
