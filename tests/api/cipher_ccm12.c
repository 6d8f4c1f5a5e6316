/* TLS 1.2 AES-CCM suite choice through the public API (issue #13 follow-up, found while recording
 * fuzz seeds). A server with a P-256 ECDSA certificate and the cipher list
 * "DEFAULT:ECDHE-ECDSA-AES128-CCM:ECDHE-ECDSA-AES256-CCM" has NO CCM suite: DEFAULT is
 * "ALL:!COMPLEMENTOFDEFAULT:!eNULL" (ciphers(1)), the CCM suites are in COMPLEMENTOFDEFAULT, and a
 * suite deleted with "!" can never be added back by a later name. So a TLS 1.2 client offering
 * only ECDHE-ECDSA-AES128-CCM gets handshake_failure and the server SSL_R_NO_SHARED_CIPHER — on
 * OpenSSL 3.0 too: the reported "defect" is the cipher-string grammar working as documented. With
 * the CCM suites in the list (named alone, or from ALL) the client's CCM suite is taken (RFC 7251).
 * Public API only: built against the system libssl (with tests/util's testutil.c and tls.c,
 * -lssl -lcrypto) every check passes there too. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static int alert_at_client;
static void info_cb(const SSL *s, int where, int ret)
{
    if ((where & SSL_CB_READ_ALERT) && !SSL_is_server(s))
        alert_at_client = ret & 0xff;
}

static int has_ccm(SSL_CTX *ctx)
{
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
    for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++)
        if (strstr(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i)), "-CCM") != NULL)
            return 1;
    return 0;
}

/* expect NULL: the handshake fails for want of a shared suite. */
static void one(const keel_test_chain *ch, const char *server_list, const char *client_list,
                const char *expect)
{
    SSL_CTX *sctx = keel_test_server_ctx(ch), *cctx = keel_test_client_ctx(ch);
    SSL *c = NULL, *s = NULL;

    CHECK(sctx != NULL && cctx != NULL);
    CHECK(SSL_CTX_set_cipher_list(sctx, server_list));
    CHECK(SSL_CTX_set_cipher_list(cctx, client_list));
    CHECK(SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION));
    CHECK(has_ccm(sctx) == (expect != NULL));
    SSL_CTX_set_info_callback(cctx, info_cb);
    alert_at_client = -1;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    int ok = keel_test_handshake(c, s);
    if (expect == NULL) {
        CHECK(!ok);
        unsigned long e, found = 0;
        while ((e = ERR_get_error()) != 0)
            found |= ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_NO_SHARED_CIPHER;
        CHECK(found);
        SSL_do_handshake(c); /* the client reads the alert */
        CHECK_EQ(alert_at_client, SSL_AD_HANDSHAKE_FAILURE);
        CHECK(SSL_get_current_cipher(c) == NULL);
    } else if (!ok) {
        CHECK(ok);
        fprintf(stderr, "    server \"%s\", client \"%s\"\n", server_list, client_list);
        ERR_print_errors_fp(stderr);
    } else {
        CHECK_EQ(SSL_version(c), TLS1_2_VERSION);
        const char *got = SSL_CIPHER_get_name(SSL_get_current_cipher(c));
        CHECK(strcmp(got, expect) == 0);
        if (strcmp(got, expect) != 0)
            fprintf(stderr, "    got %s, expected %s\n", got, expect);
        char buf[8];
        CHECK_EQ(SSL_write(c, "ping", 4), 4);
        CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 4);
    }
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    ERR_clear_error();
}

int main(void)
{
    keel_test_chain ch;
    CHECK(keel_test_make_chain(&ch, KT_EC_P256, "server.test", 30));
    const char *srv = "DEFAULT:ECDHE-ECDSA-AES128-CCM:ECDHE-ECDSA-AES256-CCM";
    one(&ch, srv, "ECDHE-ECDSA-AES128-CCM", NULL);
    one(&ch, srv, "ECDHE-ECDSA-AES256-CCM", NULL);
    /* the same string without the "!": the suites are there */
    one(&ch, "ALL:!aNULL:ECDHE-ECDSA-AES128-CCM:ECDHE-ECDSA-AES256-CCM", "ECDHE-ECDSA-AES128-CCM",
        "ECDHE-ECDSA-AES128-CCM");
    one(&ch, "ALL:!aNULL", "ECDHE-ECDSA-AES256-CCM", "ECDHE-ECDSA-AES256-CCM");
    /* the CCM suites named alone on the server too */
    one(&ch, "ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES128-CCM");
    one(&ch, "ECDHE-ECDSA-AES256-CCM:ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES128-CCM",
        "ECDHE-ECDSA-AES128-CCM");
    keel_test_chain_free(&ch);
    return keel_test_finish("cipher_ccm12");
}
