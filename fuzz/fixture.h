/* Fixtures shared by keel's libFuzzer harnesses and the corpus recorder (fuzz/recorder.c).
 *
 * Determinism is what lets a recorded keel<->keel transcript replay past the first flight: a
 * harness feeds one side the other side's recorded bytes, and the Finished MACs in them only verify
 * if this side picks the same randoms and key shares as when the transcript was recorded. So the
 * fixtures install a deterministic RAND_METHOD (libcrypto routes RAND_bytes, RAND_priv_bytes and
 * with them key generation, ECDSA nonces and PSS salts through it) with one stream per role, and
 * use a fixed PKI (fuzz/pki.h) verified at a fixed time. Nothing in the library changes. */
#ifndef KEEL_FUZZ_FIXTURE_H
#define KEEL_FUZZ_FIXTURE_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

enum { KEEL_FUZZ_CLIENT = 0, KEEL_FUZZ_SERVER = 1 };

/* Server configurations. The server harness uses KEEL_FUZZ_SRV_DEFAULT; the others make the
 * recorder's client corpus cover more of the client (HRR, other suites, no CertificateRequest,
 * TLS 1.2). Every server keeps sessions valid for 20 years and derives its ticket keys from the
 * deterministic RNG at keel_fuzz_init, so that a recorded TLS 1.2 ticket resumes in a harness
 * process too (RFC 5077 §3.2). */
enum {
    KEEL_FUZZ_SRV_DEFAULT,      /* requests (does not require) a client certificate; ALPN; SNI;
                                 * takes early data (max 16384, SSL_OP_NO_ANTI_REPLAY) */
    KEEL_FUZZ_SRV_P256_ONLY,    /* a client offering an X25519 share gets a HelloRetryRequest */
    KEEL_FUZZ_SRV_CHACHA,       /* TLS_CHACHA20_POLY1305_SHA256 only */
    KEEL_FUZZ_SRV_AES256,       /* TLS_AES_256_GCM_SHA384 only */
    KEEL_FUZZ_SRV_NO_CR,        /* no CertificateRequest */
    KEEL_FUZZ_SRV_TLS12,        /* TLS 1.2 at most (the default client's ClientHello gets a 1.2
                                 * ServerHello, no downgrade sentinel: RFC 8446 §4.1.3) */
    KEEL_FUZZ_SRV_TLS12_CHACHA, /* TLS 1.2 at most, ECDHE-ECDSA-CHACHA20-POLY1305 only */
    KEEL_FUZZ_SRV_TLS12_NO_CR,  /* TLS 1.2 at most, no CertificateRequest */
    /* issue #13's additions, each answering the default client (which offers all of them) */
    KEEL_FUZZ_SRV_CBC12,        /* TLS 1.2 ECDHE-ECDSA-AES128-SHA256, encrypt_then_mac */
    KEEL_FUZZ_SRV_CBC12_MTE,    /* the same with SSL_OP_NO_ENCRYPT_THEN_MAC: MAC-then-encrypt */
    KEEL_FUZZ_SRV_CCM12,        /* TLS 1.2 ECDHE-ECDSA-AES128-CCM */
    KEEL_FUZZ_SRV_CCM13,        /* TLS_AES_128_CCM_SHA256 */
    KEEL_FUZZ_SRV_PAD13,        /* TLS 1.3 records padded to 64-byte blocks (RFC 8446 §5.4) */
    KEEL_FUZZ_SRV_DHE12,        /* TLS 1.2 DHE-RSA-AES128-GCM-SHA256 (ServerDHParams, RSA cert) */
    KEEL_FUZZ_SRV_RSA12,        /* TLS 1.2 AES128-GCM-SHA256 (RSA key transport) */
    KEEL_FUZZ_SRV_FFDHE13,      /* TLS 1.3 with ffdhe2048 only: HelloRetryRequest for it */
    KEEL_FUZZ_SRV_PSK13,        /* knows the default client's external PSK: TLS 1.3 psk_dhe_ke */
    KEEL_FUZZ_SRV_PSK12,        /* knows it too, TLS 1.2 PSK-AES128-GCM-SHA256 */
    KEEL_FUZZ_SRV_ECDHE_PSK12,  /* TLS 1.2 ECDHE-PSK-CHACHA20-POLY1305 */
    KEEL_FUZZ_SRV_COUNT
};

/* Once per process: installs the deterministic RNG and builds the contexts. Aborts on failure
 * (a harness that cannot set up must not report inputs as clean). */
void keel_fuzz_init(void);
/* Restarts both random streams and makes `stream` current. */
void keel_fuzz_rand_reset(int stream);
/* Makes `stream` current (the recorder switches before each call into either side). */
void keel_fuzz_rand_use(int stream);

SSL_CTX *keel_fuzz_server_ctx(int variant);
/* Client configurations. The client harness drives KEEL_FUZZ_CLI_DEFAULT: all suites and default
 * groups (X25519 share first) plus the CCM suites, ALPN "h2","http/1.1", a client certificate,
 * verifying the server as "server.test", asking for OCSP stapling (any response accepted). It
 * offers no PSK (see fixture.c), so the KEEL_FUZZ_SRV_PSK* servers (which would know its identity
 * "keel-fuzz-cli") have no seed yet. The others give the server corpus variety.
 *
 * Every server has the ECDSA and an RSA certificate, DH auto parameters, ffdhe2048 besides the
 * EC groups, the CCM suites, allows client-initiated renegotiation, takes psk_ke when no group
 * is shared (SSL_OP_ALLOW_NO_DHE_KEX), and knows the external PSK "keel-fuzz-psk" (what the
 * KEEL_FUZZ_CLI_PSK* clients offer). KEEL_FUZZ_SRV_DEFAULT and KEEL_FUZZ_SRV_TLS12 staple a fixed
 * OCSP response when asked; the others do not. */
enum {
    KEEL_FUZZ_CLI_DEFAULT,
    KEEL_FUZZ_CLI_NO_CERT,      /* answers a CertificateRequest with an empty Certificate */
    KEEL_FUZZ_CLI_X448_FIRST,   /* share for X448, which the default server lacks: HRR */
    KEEL_FUZZ_CLI_P384,         /* P-384 share */
    KEEL_FUZZ_CLI_CHACHA,       /* TLS_CHACHA20_POLY1305_SHA256 only */
    KEEL_FUZZ_CLI_AES128,       /* TLS_AES_128_GCM_SHA256 only */
    KEEL_FUZZ_CLI_NO_COMPAT,    /* no middlebox compatibility (no session id, no CCS) */
    KEEL_FUZZ_CLI_TLS12,        /* TLS 1.2 at most: a 1.2-only ClientHello */
    KEEL_FUZZ_CLI_TLS12_CHACHA, /* TLS 1.2 at most, ECDHE-ECDSA-CHACHA20-POLY1305 only */
    /* issue #13's additions, each accepted by the default server */
    KEEL_FUZZ_CLI_CBC12,        /* TLS 1.2 ECDHE-ECDSA-AES128-SHA256, encrypt_then_mac */
    KEEL_FUZZ_CLI_CBC12_MTE,    /* the same with SSL_OP_NO_ENCRYPT_THEN_MAC */
    KEEL_FUZZ_CLI_CCM12,        /* TLS 1.2 ECDHE-ECDSA-AES128-CCM */
    KEEL_FUZZ_CLI_CCM13,        /* TLS_AES_128_CCM_SHA256 */
    KEEL_FUZZ_CLI_PAD13,        /* TLS 1.3 records padded to 64-byte blocks */
    KEEL_FUZZ_CLI_MFL,          /* max_fragment_length 1024 (RFC 6066 §4) */
    KEEL_FUZZ_CLI_DHE12,        /* TLS 1.2 DHE-RSA-AES128-GCM-SHA256 */
    KEEL_FUZZ_CLI_RSA12,        /* TLS 1.2 AES128-GCM-SHA256 */
    KEEL_FUZZ_CLI_FFDHE13,      /* TLS 1.3, ffdhe2048 only */
    KEEL_FUZZ_CLI_PSK13,        /* the external PSK the default server knows, psk_dhe_ke */
    KEEL_FUZZ_CLI_PSK13_KE,     /* the same, psk_ke (no group shared with the server: X448 only) */
    KEEL_FUZZ_CLI_PSK12,        /* TLS 1.2 PSK-AES128-GCM-SHA256 */
    KEEL_FUZZ_CLI_ECDHE_PSK12,  /* TLS 1.2 ECDHE-PSK-CHACHA20-POLY1305 */
    KEEL_FUZZ_CLI_COUNT
};
SSL_CTX *keel_fuzz_client_ctx(int variant);
/* A new SSL of the given role on ctx with fresh memory BIOs (*in: what it reads, *out: what it
 * writes; both owned by the SSL). SNI and host check are set for clients. */
SSL *keel_fuzz_ssl(SSL_CTX *ctx, int server, BIO **in, BIO **out);

/* Drives s as a peer would see it, with `data` as everything the peer sends: the bytes arrive in
 * chunks whose sizes come from a generator seeded by the input (a given input always replays the
 * same way), the handshake is driven, then data is read, one record written and the connection
 * shut down. What s writes is discarded. Checks keel's invariants and abort()s on a violation:
 * after a fatal error keel writes nothing more. */
void keel_fuzz_drive(SSL *s, BIO *in, BIO *out, const uint8_t *data, size_t len);

/* Moves everything s wrote so far out of `out` into buf (up to cap); returns the length. */
size_t keel_fuzz_take(BIO *out, uint8_t *buf, size_t cap);

#endif
