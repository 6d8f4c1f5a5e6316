/* SSL_SESSION_set1_master_key(3) / SSL_SESSION_get_master_key: keys of every length a session
 * takes (up to SSL_MAX_MASTER_KEY_LENGTH for TLS 1.2, and OpenSSL 3.0 takes external PSKs up to
 * PSK_MAX_PSK_LEN), kept through i2d/d2i and SSL_SESSION_dup; issue #15 keeps short keys in the
 * session and only longer external PSKs in a block of their own. A long external PSK must still
 * key a TLS 1.3 handshake. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static int same_key(const SSL_SESSION *ss, const unsigned char *k, size_t len)
{
    unsigned char out[PSK_MAX_PSK_LEN + 1];

    return SSL_SESSION_get_master_key(ss, NULL, 0) == len
        && SSL_SESSION_get_master_key(ss, out, sizeof(out)) == len && memcmp(out, k, len) == 0;
}

static void test_lengths(void)
{
    static const size_t lens[] = { 1, 32, 48, 64, 65, 200, PSK_MAX_PSK_LEN, 16 };
    unsigned char k[PSK_MAX_PSK_LEN + 16]; /* k + i, for every i below, has lens[i] bytes */
    SSL_SESSION *ss = SSL_SESSION_new();

    CHECK(ss != NULL);
    for (size_t i = 0; i < sizeof(k); i++)
        k[i] = (unsigned char)(i * 31 + 7);
    CHECK(SSL_SESSION_set_protocol_version(ss, TLS1_3_VERSION));
    /* The lengths in turn: short after long and long after short replace the key whole. */
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        CHECK(SSL_SESSION_set1_master_key(ss, k + i, lens[i]));
        CHECK(same_key(ss, k + i, lens[i]));
    }
    /* Too long: refused, the key kept. */
    CHECK(!SSL_SESSION_set1_master_key(ss, k, PSK_MAX_PSK_LEN + 1));
    CHECK(same_key(ss, k + 7, 16));
    ERR_clear_error();
    SSL_SESSION_free(ss);
}

/* A session with a 300-byte key survives the DER form and SSL_SESSION_dup. */
static void test_long_key_copies(SSL_CTX *ctx)
{
    unsigned char k[300], *der = NULL;
    SSL *s = SSL_new(ctx);

    CHECK(s != NULL);
    for (size_t i = 0; i < sizeof(k); i++)
        k[i] = (unsigned char)(255 - i);
    SSL_SESSION *ss = keel_test_psk_session(s, "TLS_AES_128_GCM_SHA256", k, sizeof(k));
    CHECK(ss != NULL);
    CHECK(same_key(ss, k, sizeof(k)));
    int n = i2d_SSL_SESSION(ss, &der);
    CHECK(n > 0);
    const unsigned char *p = der;
    SSL_SESSION *back = d2i_SSL_SESSION(NULL, &p, n);
    CHECK(back != NULL && same_key(back, k, sizeof(k)));
    SSL_SESSION *dup = SSL_SESSION_dup(ss);
    CHECK(dup != NULL && same_key(dup, k, sizeof(k)));
    OPENSSL_free(der);
    SSL_SESSION_free(back);
    SSL_SESSION_free(dup);
    SSL_SESSION_free(ss);
    SSL_free(s);
}

/* A 100-byte external PSK keys a TLS 1.3 handshake; a wrong key of the same length does not. */
static unsigned char psk_c[100], psk_s[100];

static int use_cb(SSL *s, const EVP_MD *md, const unsigned char **id, size_t *idlen, SSL_SESSION **out)
{
    (void)md;
    *out = keel_test_psk_session(s, "TLS_AES_128_GCM_SHA256", psk_c, sizeof(psk_c));
    *id = (const unsigned char *)"long-psk";
    *idlen = 8;
    return *out != NULL;
}

static int find_cb(SSL *s, const unsigned char *id, size_t idlen, SSL_SESSION **out)
{
    *out = idlen == 8 && memcmp(id, "long-psk", 8) == 0
        ? keel_test_psk_session(s, "TLS_AES_128_GCM_SHA256", psk_s, sizeof(psk_s)) : NULL;
    return 1;
}

static int psk_handshake(const keel_test_chain *chain)
{
    SSL_CTX *cctx = keel_test_client_ctx(chain), *sctx = keel_test_server_ctx(chain);
    SSL *c = NULL, *s = NULL;
    int ok = 0;

    if (cctx != NULL && sctx != NULL) {
        /* The PSK's hash must be the suite's (RFC 8446 §4.2.11). */
        SSL_CTX_set_ciphersuites(cctx, "TLS_AES_128_GCM_SHA256");
        SSL_CTX_set_ciphersuites(sctx, "TLS_AES_128_GCM_SHA256");
        SSL_CTX_set_psk_use_session_callback(cctx, use_cb);
        SSL_CTX_set_psk_find_session_callback(sctx, find_cb);
        if (keel_test_pair(cctx, sctx, &c, &s)) {
            SSL_set_tlsext_host_name(c, "server.test");
            ok = keel_test_handshake(c, s);
            ok = ok && SSL_session_reused(s) == 1;
        }
    }
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    return ok;
}

int main(void)
{
    keel_test_chain chain;

    CHECK(keel_test_make_chain(&chain, KT_EC_P256, "server.test", 30));
    SSL_CTX *ctx = keel_test_client_ctx(&chain);
    CHECK(ctx != NULL);
    test_lengths();
    test_long_key_copies(ctx);
    for (size_t i = 0; i < sizeof(psk_c); i++)
        psk_c[i] = psk_s[i] = (unsigned char)(i + 1);
    CHECK(psk_handshake(&chain));
    psk_s[99] ^= 1;
    CHECK(!psk_handshake(&chain));
    SSL_CTX_free(ctx);
    keel_test_chain_free(&chain);
    return keel_test_finish("session_key");
}
