/* Fixtures shared by the fuzz harnesses and the recorder: deterministic randomness, a fixed PKI,
 * the contexts, and a driver that plays a peer's bytes into one SSL. See fixture.h for why. */
#define OPENSSL_SUPPRESS_DEPRECATED /* RAND_set_rand_method: the one hook that reaches keygen */
#include "fixture.h"
#include "pki.h"
#include "transcript.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- deterministic randomness: splitmix64, one state per role ------------------------------- */

static uint64_t rng_state[2];
static int rng_cur;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int rng_bytes(unsigned char *buf, int num)
{
    for (int i = 0; i < num; i += 8) {
        uint64_t v = splitmix(&rng_state[rng_cur]);
        for (int j = 0; j < 8 && i + j < num; j++)
            buf[i + j] = (unsigned char)(v >> (8 * j));
    }
    return 1;
}

static int rng_status(void) { return 1; }

static RAND_METHOD rng_method = { NULL, rng_bytes, NULL, NULL, rng_bytes, rng_status };

void keel_fuzz_rand_reset(int stream)
{
    rng_state[KEEL_FUZZ_CLIENT] = 0x6b65656c636c6e74ULL; /* "keelclnt" */
    rng_state[KEEL_FUZZ_SERVER] = 0x6b65656c73727672ULL; /* "keelsrvr" */
    rng_cur = stream;
}

void keel_fuzz_rand_use(int stream)
{
    rng_cur = stream;
}

/* ---- fixed PKI and contexts ------------------------------------------------------------------ */

static SSL_CTX *server_ctx[KEEL_FUZZ_SRV_COUNT], *client_ctx[KEEL_FUZZ_CLI_COUNT];

static void die(const char *what)
{
    fprintf(stderr, "keel fuzz fixture: %s failed\n", what);
    ERR_print_errors_fp(stderr);
    abort();
}

static X509 *pem_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (x == NULL)
        die("PEM certificate");
    return x;
}

static EVP_PKEY *pem_key(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (k == NULL)
        die("PEM key");
    return k;
}

/* Trust the fixed CA and verify at a fixed time (2030-01-01), so that the certificates' validity
 * never depends on the machine's clock. */
static void trust(SSL_CTX *ctx)
{
    X509 *ca = pem_cert(KEEL_FUZZ_CA_CERT);
    if (!X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca))
        die("X509_STORE_add_cert");
    X509_free(ca);
    ca = pem_cert(KEEL_FUZZ_RSA_CERT); /* self-signed: its own trust anchor */
    if (!X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca))
        die("X509_STORE_add_cert");
    X509_free(ca);
    X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(ctx), (time_t)1893456000);
}

static void use_pair(SSL_CTX *ctx, const char *cert, const char *key)
{
    X509 *x = pem_cert(cert);
    EVP_PKEY *k = pem_key(key);
    if (!SSL_CTX_use_certificate(ctx, x) || !SSL_CTX_use_PrivateKey(ctx, k))
        die("SSL_CTX_use_certificate");
    X509_free(x);
    EVP_PKEY_free(k);
}

static const unsigned char alpn_offer[] = "\x02h2\x08http/1.1";

static int alpn_select(SSL *s, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    /* Picks the first protocol the client listed that we know. */
    for (unsigned int i = 0; i < inlen; i += 1u + in[i]) {
        if (i + 1u + in[i] > inlen)
            break;
        for (unsigned int j = 0; j + 1 < sizeof(alpn_offer); j += 1u + alpn_offer[j])
            if (in[i] == alpn_offer[j] && memcmp(in + i + 1, alpn_offer + j + 1, in[i]) == 0) {
                *out = in + i + 1;
                *outlen = in[i];
                return SSL_TLSEXT_ERR_OK;
            }
    }
    return SSL_TLSEXT_ERR_NOACK;
}

/* ---- issue #13: OCSP stapling and external PSKs ---------------------------------------------- */

/* A stand-in OCSPResponse (RFC 6960 §4.2.1: responseStatus unauthorized(6), no bytes): keel
 * passes the stapled bytes to the callback without parsing them, so any DER will do. */
static const unsigned char ocsp_resp[] = { 0x30, 0x03, 0x0a, 0x01, 0x06 };

static int status_server(SSL *s, void *arg)
{
    unsigned char *copy;
    if (arg == NULL) /* this server variant does not staple */
        return SSL_TLSEXT_ERR_NOACK;
    if ((copy = OPENSSL_memdup(ocsp_resp, sizeof(ocsp_resp))) == NULL)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    if (!SSL_set_tlsext_status_ocsp_resp(s, copy, (long)sizeof(ocsp_resp))) {
        OPENSSL_free(copy);
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
}

static int status_client(SSL *s, void *arg)
{
    return 1; /* whatever was stapled (or nothing) is acceptable */
}

/* The external PSKs: "keel-fuzz-psk" (the KEEL_FUZZ_CLI_PSK* clients, known to every server) and
 * "keel-fuzz-cli" (the default client's, known to the KEEL_FUZZ_SRV_PSK* servers only). */
static const unsigned char psk_key[32] = "keel fuzz external PSK, 32 bytes";
static const char PSK_ID[] = "keel-fuzz-psk", PSK_ID_CLI[] = "keel-fuzz-cli";

static const char *server_psk_ok(SSL *s, const unsigned char *id, size_t len)
{
    int knows_cli = SSL_CTX_get_app_data(SSL_get_SSL_CTX(s)) != NULL;
    if (len == strlen(PSK_ID) && memcmp(id, PSK_ID, len) == 0)
        return PSK_ID;
    if (knows_cli && len == strlen(PSK_ID_CLI) && memcmp(id, PSK_ID_CLI, len) == 0)
        return PSK_ID_CLI;
    return NULL;
}

static SSL_SESSION *psk_session(void)
{
    SSL_SESSION *ss = SSL_SESSION_new();
    const unsigned char id[2] = { 0x13, 0x01 }; /* TLS_AES_128_GCM_SHA256 (RFC 8446 §4.2.11) */
    const SSL_CIPHER *c = SSL_CIPHER_find((SSL *)NULL, id);
    if (ss == NULL || c == NULL || !SSL_SESSION_set1_master_key(ss, psk_key, sizeof(psk_key))
            || !SSL_SESSION_set_cipher(ss, c) || !SSL_SESSION_set_protocol_version(ss, TLS1_3_VERSION)) {
        SSL_SESSION_free(ss);
        return NULL;
    }
    return ss;
}

static int psk_find(SSL *s, const unsigned char *id, size_t len, SSL_SESSION **sess)
{
    *sess = server_psk_ok(s, id, len) != NULL ? psk_session() : NULL;
    return 1; /* an unknown identity is no error: the handshake goes on without a PSK */
}

static unsigned int psk_server12(SSL *s, const char *identity, unsigned char *psk, unsigned int max)
{
    if (identity == NULL || server_psk_ok(s, (const unsigned char *)identity, strlen(identity)) == NULL
            || max < sizeof(psk_key))
        return 0;
    memcpy(psk, psk_key, sizeof(psk_key));
    return sizeof(psk_key);
}

/* The client's identity: which one its context offers (SSL_CTX app data). */
static const char *client_psk_id(SSL *s)
{
    return SSL_CTX_get_app_data(SSL_get_SSL_CTX(s)) != NULL ? PSK_ID : PSK_ID_CLI;
}

static int psk_use(SSL *s, const EVP_MD *md, const unsigned char **id, size_t *idlen, SSL_SESSION **sess)
{
    const char *name = client_psk_id(s);
    if ((*sess = psk_session()) == NULL)
        return 0;
    *id = (const unsigned char *)name;
    *idlen = strlen(name);
    return 1;
}

static unsigned int psk_client12(SSL *s, const char *hint, char *identity, unsigned int max_id,
                                 unsigned char *psk, unsigned int max_psk)
{
    const char *name = client_psk_id(s);
    if (strlen(name) + 1 > max_id || max_psk < sizeof(psk_key))
        return 0;
    memcpy(identity, name, strlen(name) + 1);
    memcpy(psk, psk_key, sizeof(psk_key));
    return sizeof(psk_key);
}

/* The TLS 1.2 suites of the #13 variants (and the CCM ones every default list gets). */
static const char *const srv12[KEEL_FUZZ_SRV_COUNT] = {
    [KEEL_FUZZ_SRV_TLS12_CHACHA] = "ECDHE-ECDSA-CHACHA20-POLY1305",
    [KEEL_FUZZ_SRV_CBC12] = "ECDHE-ECDSA-AES128-SHA256",
    [KEEL_FUZZ_SRV_CBC12_MTE] = "ECDHE-ECDSA-AES128-SHA256",
    [KEEL_FUZZ_SRV_CCM12] = "ECDHE-ECDSA-AES128-CCM",
    [KEEL_FUZZ_SRV_DHE12] = "DHE-RSA-AES128-GCM-SHA256",
    [KEEL_FUZZ_SRV_RSA12] = "AES128-GCM-SHA256",
    [KEEL_FUZZ_SRV_PSK12] = "PSK-AES128-GCM-SHA256",
    [KEEL_FUZZ_SRV_ECDHE_PSK12] = "ECDHE-PSK-CHACHA20-POLY1305",
};
static const char *const cli12[KEEL_FUZZ_CLI_COUNT] = {
    [KEEL_FUZZ_CLI_TLS12_CHACHA] = "ECDHE-ECDSA-CHACHA20-POLY1305",
    [KEEL_FUZZ_CLI_CBC12] = "ECDHE-ECDSA-AES128-SHA256",
    [KEEL_FUZZ_CLI_CBC12_MTE] = "ECDHE-ECDSA-AES128-SHA256",
    [KEEL_FUZZ_CLI_CCM12] = "ECDHE-ECDSA-AES128-CCM",
    [KEEL_FUZZ_CLI_DHE12] = "DHE-RSA-AES128-GCM-SHA256",
    [KEEL_FUZZ_CLI_RSA12] = "AES128-GCM-SHA256",
    [KEEL_FUZZ_CLI_PSK12] = "PSK-AES128-GCM-SHA256",
    [KEEL_FUZZ_CLI_ECDHE_PSK12] = "ECDHE-PSK-CHACHA20-POLY1305",
};
#define DEFAULT12 "DEFAULT:ECDHE-ECDSA-AES128-CCM:ECDHE-ECDSA-AES256-CCM"
#define DEFAULT13 "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:" \
                  "TLS_AES_128_CCM_SHA256"

static SSL_CTX *make_server(int variant)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL)
        die("SSL_CTX_new(server)");
    use_pair(ctx, KEEL_FUZZ_SERVER_CERT, KEEL_FUZZ_SERVER_KEY);
    use_pair(ctx, KEEL_FUZZ_RSA_CERT, KEEL_FUZZ_RSA_KEY);
    trust(ctx);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    SSL_CTX_set_keylog_callback(ctx, keel_fuzz_keylog);
    if (variant != KEEL_FUZZ_SRV_NO_CR)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    /* X448 and P-521 left out, so that a client leading with them gets a HelloRetryRequest. */
    const char *groups = variant == KEEL_FUZZ_SRV_P256_ONLY ? "P-256"
                       : variant == KEEL_FUZZ_SRV_FFDHE13 ? "ffdhe2048" : "X25519:P-256:P-384:ffdhe2048";
    if (!SSL_CTX_set1_groups_list(ctx, groups))
        die("SSL_CTX_set1_groups_list");
    if (variant == KEEL_FUZZ_SRV_CHACHA && !SSL_CTX_set_ciphersuites(ctx, "TLS_CHACHA20_POLY1305_SHA256"))
        die("SSL_CTX_set_ciphersuites");
    if (variant == KEEL_FUZZ_SRV_AES256 && !SSL_CTX_set_ciphersuites(ctx, "TLS_AES_256_GCM_SHA384"))
        die("SSL_CTX_set_ciphersuites");
    if (variant == KEEL_FUZZ_SRV_TLS12_NO_CR)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    int tls12 = srv12[variant] != NULL || variant == KEEL_FUZZ_SRV_TLS12 || variant == KEEL_FUZZ_SRV_TLS12_NO_CR;
    if (!SSL_CTX_set_cipher_list(ctx, srv12[variant] ? srv12[variant] : DEFAULT12))
        die("SSL_CTX_set_cipher_list");
    if (variant != KEEL_FUZZ_SRV_CHACHA && variant != KEEL_FUZZ_SRV_AES256
            && !SSL_CTX_set_ciphersuites(ctx, variant == KEEL_FUZZ_SRV_CCM13 ? "TLS_AES_128_CCM_SHA256" : DEFAULT13))
        die("SSL_CTX_set_ciphersuites");
    if (tls12 && !SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION))
        die("SSL_CTX_set_max_proto_version");
    if (variant == KEEL_FUZZ_SRV_CBC12_MTE)
        SSL_CTX_set_options(ctx, SSL_OP_NO_ENCRYPT_THEN_MAC);
    if (variant == KEEL_FUZZ_SRV_PAD13 && !SSL_CTX_set_block_padding(ctx, 64))
        die("SSL_CTX_set_block_padding");
    if (!SSL_CTX_set_dh_auto(ctx, 1))
        die("SSL_CTX_set_dh_auto");
    SSL_CTX_set_options(ctx, SSL_OP_ALLOW_CLIENT_RENEGOTIATION | SSL_OP_ALLOW_NO_DHE_KEX);
    SSL_CTX_set_tlsext_status_cb(ctx, status_server);
    if (variant == KEEL_FUZZ_SRV_DEFAULT || variant == KEEL_FUZZ_SRV_TLS12)
        SSL_CTX_set_tlsext_status_arg(ctx, (void *)ocsp_resp);
    SSL_CTX_set_psk_find_session_callback(ctx, psk_find);
    SSL_CTX_set_psk_server_callback(ctx, psk_server12);
    if (variant == KEEL_FUZZ_SRV_PSK13 || variant == KEEL_FUZZ_SRV_PSK12 || variant == KEEL_FUZZ_SRV_ECDHE_PSK12)
        SSL_CTX_set_app_data(ctx, (void *)PSK_ID_CLI);
    /* The default server takes early data (keel_fuzz_drive reads it). Without anti-replay its
     * tickets stay stateless, so that a recorded 0-RTT resumption resumes in a harness process
     * too, whose session cache is empty (SSL_read_early_data(3), REPLAY PROTECTION). */
    if (variant == KEEL_FUZZ_SRV_DEFAULT) {
        if (!SSL_CTX_set_max_early_data(ctx, 16384))
            die("SSL_CTX_set_max_early_data");
        SSL_CTX_set_options(ctx, SSL_OP_NO_ANTI_REPLAY);
    }
    /* Recorded tickets must not expire, nor their key period pass (see fixture.h). */
    SSL_CTX_set_timeout(ctx, 20L * 365 * 24 * 3600);
    return ctx;
}

static SSL_CTX *make_client(int variant)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        die("SSL_CTX_new(client)");
    if (variant != KEEL_FUZZ_CLI_NO_CERT)
        use_pair(ctx, KEEL_FUZZ_CLIENT_CERT, KEEL_FUZZ_CLIENT_KEY);
    trust(ctx);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_keylog_callback(ctx, keel_fuzz_keylog);
    if (SSL_CTX_set_alpn_protos(ctx, alpn_offer, sizeof(alpn_offer) - 1) != 0)
        die("SSL_CTX_set_alpn_protos");
    const char *groups = variant == KEEL_FUZZ_CLI_X448_FIRST ? "X448:X25519:P-256"
                       : variant == KEEL_FUZZ_CLI_P384 ? "P-384:X25519"
                       : variant == KEEL_FUZZ_CLI_FFDHE13 ? "ffdhe2048"
                       : variant == KEEL_FUZZ_CLI_PSK13_KE ? "X448" : NULL;
    if (groups != NULL && !SSL_CTX_set1_groups_list(ctx, groups))
        die("SSL_CTX_set1_groups_list");
    const char *suites = variant == KEEL_FUZZ_CLI_CHACHA ? "TLS_CHACHA20_POLY1305_SHA256"
                       : variant == KEEL_FUZZ_CLI_AES128 ? "TLS_AES_128_GCM_SHA256"
                       : variant == KEEL_FUZZ_CLI_CCM13 ? "TLS_AES_128_CCM_SHA256" : DEFAULT13;
    if (!SSL_CTX_set_ciphersuites(ctx, suites))
        die("SSL_CTX_set_ciphersuites");
    if (variant == KEEL_FUZZ_CLI_NO_COMPAT)
        SSL_CTX_clear_options(ctx, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
    if ((variant == KEEL_FUZZ_CLI_TLS12 || cli12[variant] != NULL)
            && !SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION))
        die("SSL_CTX_set_max_proto_version");
    if (!SSL_CTX_set_cipher_list(ctx, cli12[variant] ? cli12[variant] : DEFAULT12))
        die("SSL_CTX_set_cipher_list");
    if (variant == KEEL_FUZZ_CLI_CBC12_MTE)
        SSL_CTX_set_options(ctx, SSL_OP_NO_ENCRYPT_THEN_MAC);
    if (variant == KEEL_FUZZ_CLI_PAD13 && !SSL_CTX_set_block_padding(ctx, 64))
        die("SSL_CTX_set_block_padding");
    if (variant == KEEL_FUZZ_CLI_MFL
            && !SSL_CTX_set_tlsext_max_fragment_length(ctx, TLSEXT_max_fragment_length_1024))
        die("SSL_CTX_set_tlsext_max_fragment_length");
    if (variant == KEEL_FUZZ_CLI_PSK13_KE)
        SSL_CTX_set_options(ctx, SSL_OP_ALLOW_NO_DHE_KEX);
    if (variant != KEEL_FUZZ_CLI_NO_COMPAT) { /* one configuration that does not ask */
        SSL_CTX_set_tlsext_status_type(ctx, TLSEXT_STATUSTYPE_ocsp);
        SSL_CTX_set_tlsext_status_cb(ctx, status_client);
    }
    /* Only the PSK clients offer one: a ClientHello with an unknown external PSK that gets a
     * HelloRetryRequest fails today (the server sends internal_error), which would cost the
     * default client its HRR seeds. */
    if (variant == KEEL_FUZZ_CLI_PSK13 || variant == KEEL_FUZZ_CLI_PSK13_KE || variant == KEEL_FUZZ_CLI_PSK12
            || variant == KEEL_FUZZ_CLI_ECDHE_PSK12) {
        SSL_CTX_set_psk_use_session_callback(ctx, psk_use);
        SSL_CTX_set_psk_client_callback(ctx, psk_client12);
        SSL_CTX_set_app_data(ctx, (void *)PSK_ID);
    }
    return ctx;
}

void keel_fuzz_init(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    if (!RAND_set_rand_method(&rng_method))
        die("RAND_set_rand_method");
    keel_fuzz_rand_reset(KEEL_FUZZ_SERVER);
    for (int v = 0; v < KEEL_FUZZ_SRV_COUNT; v++)
        server_ctx[v] = make_server(v);
    for (int v = 0; v < KEEL_FUZZ_CLI_COUNT; v++)
        client_ctx[v] = make_client(v);
}

SSL_CTX *keel_fuzz_server_ctx(int variant)
{
    return server_ctx[variant];
}

SSL_CTX *keel_fuzz_client_ctx(int variant)
{
    return client_ctx[variant];
}

SSL *keel_fuzz_ssl(SSL_CTX *ctx, int server, BIO **in, BIO **out)
{
    SSL *s = SSL_new(ctx);
    *in = BIO_new(BIO_s_mem());
    *out = BIO_new(BIO_s_mem());
    if (s == NULL || *in == NULL || *out == NULL)
        die("SSL_new/BIO_new");
    /* An empty memory BIO is "retry" (like a non-blocking socket), not EOF. */
    BIO_set_mem_eof_return(*in, -1);
    SSL_set_bio(s, *in, *out);
    if (server) {
        SSL_set_accept_state(s);
    } else {
        SSL_set_connect_state(s);
        if (!SSL_set_tlsext_host_name(s, "server.test") || !SSL_set1_host(s, "server.test"))
            die("SSL_set_tlsext_host_name");
    }
    return s;
}

size_t keel_fuzz_take(BIO *out, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    int r;
    while (n < cap && (r = BIO_read(out, buf + n, (int)(cap - n))) > 0)
        n += (size_t)r;
    (void)BIO_reset(out); /* anything past cap is dropped */
    return n;
}

/* Chunk sizes: mostly small (every record boundary and header split gets hit), sometimes large. */
static size_t next_chunk(uint32_t *g)
{
    static const size_t span[] = { 1, 5, 64, 700, 20000 };
    *g ^= *g << 13;
    *g ^= *g >> 17;
    *g ^= *g << 5;
    return 1 + (*g >> 8) % span[*g % 5];
}

/* KEEL_FUZZ_VERBOSE=1: one line per input saying how far it got (to check that seeds replay). */
static void report(SSL *s, const char *how, size_t got)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("KEEL_FUZZ_VERBOSE") != NULL;
    if (!verbose)
        return;
    unsigned long e = ERR_peek_error();
    fprintf(stderr, "keel fuzz: %s, handshake %s, %zu bytes of application data read%s%s\n", how,
            SSL_is_init_finished(s) ? "done" : "not done", got, e ? ", error: " : "",
            e ? ERR_reason_error_string(e) : "");
}

/* After a fatal error every entry point must fail without writing: the alert was the last word
 * (RFC 8446 §6.2: the connection is closed after a fatal alert). */
static void check_silent(SSL *s, BIO *out)
{
    uint8_t buf[64];
    (void)BIO_reset(out);
    (void)SSL_do_handshake(s);
    (void)SSL_read(s, buf, sizeof(buf));
    (void)SSL_write(s, "x", 1);
    (void)SSL_shutdown(s);
    if (BIO_ctrl_pending(out) != 0) {
        fprintf(stderr, "keel wrote %zu bytes after a fatal error\n", (size_t)BIO_ctrl_pending(out));
        abort();
    }
    ERR_clear_error();
}

void keel_fuzz_drive(SSL *s, BIO *in, BIO *out, const uint8_t *data, size_t len)
{
    uint32_t g = 0x2545f491u ^ (uint32_t)len;
    size_t off = 0;
    int wrote = 0, eof = 0;
    uint8_t buf[16384];
    size_t got = 0;
    /* Every call either consumes input or asks for more; a bound far above that catches livelock. */
    long steps = 8 * (long)len + 10000;

    /* A server that takes early data reads it first (SSL_read_early_data(3)), until FINISH. */
    int early = SSL_is_server(s) && SSL_get_max_early_data(s) > 0;

    while (steps-- > 0) {
        int r, err, reading = 0;
        if (early) {
            size_t n = 0;
            r = SSL_read_early_data(s, buf, sizeof(buf), &n);
            if (r == SSL_READ_EARLY_DATA_FINISH)
                early = 0;
            if (r != SSL_READ_EARLY_DATA_ERROR) {
                got += n;
                continue;
            }
            r = -1;
        } else if (!SSL_is_init_finished(s)) {
            r = SSL_do_handshake(s);
        } else if (!wrote) {
            /* One record of our own: also answers a KeyUpdate the peer requested (§4.6.3). */
            r = SSL_write(s, "ping", 4);
            wrote = r > 0;
        } else {
            r = SSL_read(s, buf, sizeof(buf));
            reading = 1;
        }
        (void)BIO_reset(out);
        if (r > 0) {
            if (reading)
                got += (size_t)r;
            continue;
        }
        err = SSL_get_error(s, r);
        if (err == SSL_ERROR_WANT_READ) {
            if (off < len) {
                size_t n = next_chunk(&g);
                if (n > len - off)
                    n = len - off;
                if (BIO_write(in, data + off, (int)n) != (int)n)
                    abort();
                off += n;
                continue;
            }
            if (!eof) {
                eof = 1;
                BIO_set_mem_eof_return(in, 0);
                continue;
            }
            fprintf(stderr, "keel asked for more input after EOF\n");
            abort();
        }
        if (err == SSL_ERROR_WANT_WRITE) /* memory BIOs never refuse a write */
            abort();
        if (err == SSL_ERROR_ZERO_RETURN) {
            report(s, "close_notify", got);
            (void)SSL_shutdown(s);
            (void)BIO_reset(out);
            ERR_clear_error();
            return;
        }
        report(s, "failed", got);
        check_silent(s, out);
        return;
    }
    fprintf(stderr, "keel made no progress (livelock)\n");
    abort();
}
