/* Test fixtures for TLS tests: in-memory certificate chains and a driven client/server pair. */
#ifndef KEEL_TEST_TLS_H
#define KEEL_TEST_TLS_H
#include <openssl/ssl.h>

/* Key types for keel_test_chain. KT_RSA1024 is below security level 2; KT_EC_P256_SHA1 is a P-256
 * leaf whose certificate the CA signs with SHA-1 (below level 1). */
enum { KT_EC_P256, KT_EC_P384, KT_RSA2048, KT_ED25519, KT_ED448, KT_RSA_PSS, KT_RSA1024, KT_EC_P256_SHA1 };

typedef struct {
    EVP_PKEY *ca_key, *leaf_key;
    X509 *ca, *leaf;
} keel_test_chain;

/* A CA and a leaf for `host` signed by it; leaf validity starts `not_before_days` from now (a
 * negative not_after_days makes it expired). */
int keel_test_make_chain(keel_test_chain *c, int leaf_type, const char *host, long not_after_days);
void keel_test_chain_free(keel_test_chain *c);
/* One certificate for cn and key's public half, signed by issuer_key (self-signed when issuer is
 * NULL), valid for 30 days; ca: a CA certificate, else a leaf with cn as its DNS name. */
X509 *keel_test_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int ca);

/* A server context with the chain's leaf, a client context trusting its CA and verifying. */
SSL_CTX *keel_test_server_ctx(const keel_test_chain *c);
SSL_CTX *keel_test_client_ctx(const keel_test_chain *c);
/* The same set up on a context of the caller's (SSL_CTX_new_ex in a library context of its own):
 * 1, or 0 with the context left for the caller to free. */
int keel_test_server_setup(SSL_CTX *ctx, const keel_test_chain *c);
int keel_test_client_setup(SSL_CTX *ctx, const keel_test_chain *c);

/* A client and a server SSL joined by a BIO pair (non-blocking, like sockets). */
int keel_test_pair(SSL_CTX *cctx, SSL_CTX *sctx, SSL **client, SSL **server);
/* Frees both (NULL is fine) as after a proper close (both shutdown flags set), so that SSL_free
 * leaves their session resumable: without close_notify it leaves the cache (SSL_free(3)). */
void keel_test_free_pair(SSL *client, SSL *server);
/* Drives both handshakes to completion: 1 on success, 0 if either fails (errors left queued). */
int keel_test_handshake(SSL *client, SSL *server);
/* One handshake of a new pair, the client restricted to `version` and its SHA-384 suite
 * (TLS_AES_256_GCM_SHA384, ECDHE-ECDSA-AES256-GCM-SHA384) and checking `host` unless NULL: 1 if
 * it completed at that version with a SHA-384 suite, the server verified, and both sides export
 * the same keying material. */
int keel_test_sha384_handshake(SSL_CTX *cctx, SSL_CTX *sctx, int version, const char *host);
/* A full handshake on a new pair, the client reading one record the server writes (so its
 * tickets arrive), both closed: the client's session (with its ticket), or NULL. */
SSL_SESSION *keel_test_ticket_session(SSL_CTX *cctx, SSL_CTX *sctx);
/* A TLS 1.3 external-PSK session (SSL_psk_use_session_cb / find_session_cb): the suite named
 * `cipher` among s's, the key as its master key; NULL if there is no such suite. */
SSL_SESSION *keel_test_psk_session(SSL *s, const char *cipher, const unsigned char *key, size_t len);
#endif
