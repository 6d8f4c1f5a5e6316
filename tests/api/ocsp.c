/* OCSP stapling through the public API (SSL_CTX_set_tlsext_status_cb(3)), TLS 1.2 and 1.3: what
 * the server's callback answers decides what the client receives (the bytes it set, none, or a
 * failed handshake with the alert the client reads); the client's callback refusing (0) or
 * failing (< 0) ends the handshake with the alert the server reads. tests/diff/ocsp.c compares
 * the same with the system libssl. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static const unsigned char resp[] = "stapled response bytes";
static int server_ret, client_ret, client_calls;
static long seen_len;
static unsigned char seen[64];

static int server_cb(SSL *s, void *arg)
{
    (void)arg;
    unsigned char *r = OPENSSL_memdup(resp, sizeof(resp));
    CHECK(r != NULL && SSL_set_tlsext_status_ocsp_resp(s, r, (long)sizeof(resp)) == 1);
    return server_ret;
}

static int client_cb(SSL *s, void *arg)
{
    const unsigned char *p = NULL;
    CHECK(strcmp(arg, "client arg") == 0);
    client_calls++;
    seen_len = SSL_get_tlsext_status_ocsp_resp(s, &p);
    if (seen_len > 0 && (size_t)seen_len <= sizeof(seen))
        memcpy(seen, p, (size_t)seen_len);
    return client_ret;
}

/* Alert descriptions each end read, from the info callback. */
static int alert_read[2];
static void info(const SSL *s, int where, int ret)
{
    if ((where & SSL_CB_READ) && (where & SSL_CB_ALERT))
        alert_read[SSL_is_server((SSL *)s)] = ret & 0xff;
}

/* One handshake: 1 if it completed. */
static int run(keel_test_chain *k, int version, int sret, int cret)
{
    SSL_CTX *cc = keel_test_client_ctx(k), *sc = keel_test_server_ctx(k);
    SSL *c, *s;
    SSL_CTX_set_max_proto_version(cc, version);
    SSL_CTX_set_max_proto_version(sc, version);
    SSL_CTX_set_tlsext_status_cb(sc, server_cb);
    SSL_CTX_set_tlsext_status_cb(cc, client_cb);
    SSL_CTX_set_tlsext_status_arg(cc, "client arg");
    SSL_CTX_set_tlsext_status_type(cc, TLSEXT_STATUSTYPE_ocsp);
    SSL_CTX_set_info_callback(cc, info);
    SSL_CTX_set_info_callback(sc, info);
    server_ret = sret, client_ret = cret, client_calls = 0, seen_len = 0;
    alert_read[0] = alert_read[1] = -1;
    memset(seen, 0, sizeof(seen));
    CHECK(keel_test_pair(cc, sc, &c, &s));
    int ok = keel_test_handshake(c, s);
    if (!ok) { /* the other end reads the alert */
        SSL_do_handshake(c);
        SSL_do_handshake(s);
    }
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
    return ok;
}

int main(void)
{
    keel_test_chain k;
    CHECK(keel_test_make_chain(&k, KT_EC_P256, "localhost", 30));
    static const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };
    for (int i = 0; i < 2; i++) {
        int v = versions[i];
        /* OK: the client's callback gets exactly the bytes the server's set. */
        CHECK(run(&k, v, SSL_TLSEXT_ERR_OK, 1));
        CHECK_EQ(client_calls, 1);
        CHECK_EQ(seen_len, sizeof(resp));
        CHECK(memcmp(seen, resp, sizeof(resp)) == 0);
        /* NOACK: nothing stapled; the client's callback still runs, with none (-1). */
        CHECK(run(&k, v, SSL_TLSEXT_ERR_NOACK, 1));
        CHECK_EQ(client_calls, 1);
        CHECK_EQ(seen_len, -1);
        /* ALERT_FATAL: the server ends the handshake with internal_error. */
        CHECK(!run(&k, v, SSL_TLSEXT_ERR_ALERT_FATAL, 1));
        CHECK_EQ(client_calls, 0);
        CHECK_EQ(alert_read[0], SSL_AD_INTERNAL_ERROR);
        /* The client refuses the response: bad_certificate_status_response. */
        CHECK(!run(&k, v, SSL_TLSEXT_ERR_OK, 0));
        CHECK_EQ(alert_read[1], SSL_AD_BAD_CERTIFICATE_STATUS_RESPONSE);
        /* The client's callback fails: internal_error. */
        CHECK(!run(&k, v, SSL_TLSEXT_ERR_OK, -1));
        CHECK_EQ(alert_read[1], SSL_AD_INTERNAL_ERROR);
    }
    keel_test_chain_free(&k);
    return keel_test_finish("ocsp");
}
