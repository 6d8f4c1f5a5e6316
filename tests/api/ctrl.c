/* The numbered control interface through keel's own header (SSL_ctrl(3)); tests/diff/ctrl.c
 * compares every number with the system libssl. Here, the effects issue #11 names:
 *   - a number libssl does not answer leaves the error queue alone, so it cannot turn the next
 *     handshake step's WANT_READ into SSL_ERROR_SSL (#11.1);
 *   - SSL_CTX_set_tmp_dh is accepted and the server still works (#11.3); the per-SSL DH
 *     setters give that SSL's DHE handshake its parameters;
 *   - SSL_CTX_set_tmp_ecdh restricts the groups to the key's curve (#11.4). */
#define OPENSSL_SUPPRESS_DEPRECATED /* SSL_CTX_set_tmp_dh/ecdh take DH/EC_KEY */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain chain;

static void test_unknown_number_leaves_no_error(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&chain), *cctx = keel_test_client_ctx(&chain);
    SSL *c, *s;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    ERR_clear_error();
    CHECK_EQ(SSL_ctrl(c, 5, 0, NULL), 0);          /* no SSL_CTRL_* has number 5 */
    CHECK_EQ(SSL_CTX_ctrl(cctx, 199, 0, NULL), 0);
    CHECK_EQ(SSL_callback_ctrl(c, 198, NULL), 0);
    CHECK_EQ(SSL_CTX_callback_ctrl(cctx, 197, NULL), 0);
    CHECK_EQ(ERR_peek_error(), 0);
    /* The ClientHello goes out and the client waits: WANT_READ, not a stale error. */
    int r = SSL_do_handshake(c);
    CHECK_EQ(r, -1);
    CHECK_EQ(SSL_get_error(c, r), SSL_ERROR_WANT_READ);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_tmp_dh_accepted(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&chain), *cctx = keel_test_client_ctx(&chain);
    SSL *c, *s;
    DH *dh = DH_get_2048_256();
    ERR_clear_error();
    CHECK_EQ(SSL_CTX_set_tmp_dh(sctx, dh), 1);
    CHECK_EQ(SSL_CTX_set_dh_auto(sctx, 1), 1);
    SSL_CTX_set_tmp_dh_callback(sctx, NULL);
    CHECK_EQ(ERR_peek_error(), 0);
    DH_free(dh); /* the caller keeps its DH (SSL_CTX_set_tmp_dh(3)) */
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* The per-SSL DH setters act on that SSL's TLS 1.2 handshake (SSL_set0_tmp_dh_pkey(3),
 * SSL_set_tmp_dh_callback(3)): a server whose context has no DH offers DHE suites only with them,
 * and the client sees their group's size in the server's key; the context is left alone. */
static DH *cb_dh;
static int cb_calls;
static DH *tmp_dh_cb(SSL *s, int is_export, int keylength)
{
    (void)s, (void)is_export, (void)keylength;
    cb_calls++;
    return cb_dh; /* stays ours */
}

static int peer_dh_bits(SSL *c)
{
    EVP_PKEY *k = NULL;
    int bits = SSL_get_peer_tmp_key(c, &k) > 0 && EVP_PKEY_is_a(k, "DH") ? EVP_PKEY_get_bits(k) : 0;
    EVP_PKEY_free(k);
    return bits;
}

static void test_ssl_dh_setters(void)
{
    keel_test_chain rsa;
    CHECK(keel_test_make_chain(&rsa, KT_RSA2048, "localhost", 30));
    SSL_CTX *sctx = keel_test_server_ctx(&rsa), *cctx = keel_test_client_ctx(&rsa);
    SSL *c, *s;
    CHECK(SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION));
    CHECK(SSL_CTX_set_cipher_list(cctx, "DHE-RSA-AES128-GCM-SHA256"));

    /* ffdhe3072 parameters (RFC 7919) for one SSL */
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
    EVP_PKEY *pk = NULL;
    OSSL_PARAM prm[] = { OSSL_PARAM_utf8_string("group", (char *)"ffdhe3072", 0), OSSL_PARAM_END };
    CHECK(pc != NULL && EVP_PKEY_paramgen_init(pc) == 1 && EVP_PKEY_CTX_set_params(pc, prm) == 1
          && EVP_PKEY_paramgen(pc, &pk) == 1);
    EVP_PKEY_CTX_free(pc);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK_EQ(SSL_set0_tmp_dh_pkey(s, pk), 1);
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(peer_dh_bits(c), 3072);
    SSL_free(c);
    SSL_free(s);

    cb_dh = DH_get_2048_256();
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    SSL_set_tmp_dh_callback(s, tmp_dh_cb);
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(cb_calls, 1);
    CHECK_EQ(peer_dh_bits(c), 2048);
    SSL_free(c);
    SSL_free(s);
    DH_free(cb_dh);

    /* The context has neither: no DHE suite, no shared cipher. */
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(!keel_test_handshake(c, s));
    CHECK_EQ(cb_calls, 1);
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    keel_test_chain_free(&rsa);
}

/* A server restricted to P-256 by SSL_CTX_set_tmp_ecdh: an X25519-only client gets
 * handshake_failure; a P-256 client connects with P-256. */
static void test_tmp_ecdh_restricts_groups(void)
{
    for (int p256 = 0; p256 < 2; p256++) {
        SSL_CTX *sctx = keel_test_server_ctx(&chain), *cctx = keel_test_client_ctx(&chain);
        SSL *c, *s;
        EC_KEY *ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
        CHECK_EQ(SSL_CTX_set_tmp_ecdh(sctx, ec), 1);
        EC_KEY_free(ec);
        CHECK(SSL_CTX_set1_groups_list(cctx, p256 ? "P-256" : "X25519"));
        CHECK(keel_test_pair(cctx, sctx, &c, &s));
        int ok = keel_test_handshake(c, s);
        if (p256) {
            CHECK(ok);
            CHECK_EQ(SSL_get_negotiated_group(c), NID_X9_62_prime256v1);
        } else {
            /* The server finds no group (SSL_R_NO_SUITABLE_KEY_SHARE, as OpenSSL's) and sends
             * handshake_failure, which the client reports. Each SSL_do_handshake clears the
             * queue on entry, so the server's reasons are read before the client is called. */
            int server_saw = 0, client_saw = 0;
            unsigned long e;
            CHECK(!ok);
            while ((e = ERR_get_error()) != 0)
                server_saw |= ERR_GET_REASON(e) == SSL_R_NO_SUITABLE_KEY_SHARE;
            CHECK(SSL_do_handshake(c) <= 0); /* the client reads the server's alert */
            while ((e = ERR_get_error()) != 0)
                client_saw |= ERR_GET_REASON(e) == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE;
            CHECK(server_saw);
            CHECK(client_saw);
        }
        ERR_clear_error();
        SSL_free(c);
        SSL_free(s);
        SSL_CTX_free(cctx);
        SSL_CTX_free(sctx);
    }
}

int main(void)
{
    CHECK(keel_test_make_chain(&chain, KT_EC_P256, "localhost", 30));
    test_unknown_number_leaves_no_error();
    test_tmp_dh_accepted();
    test_ssl_dh_setters();
    test_tmp_ecdh_restricts_groups();
    keel_test_chain_free(&chain);
    return keel_test_finish("api/ctrl");
}
