/* TLS 1.2 through the public API, keel client and keel server in one process over a BIO pair: what
 * tests/diff/tls12.c (the differential probe) does not cover. The version-pinned methods and the
 * version options/range; 1 MiB each way (partial writes, max_send_fragment, read_ex/peek); mutual
 * TLS with suspending callbacks on both ends; session-id reuse against the cache operations; the
 * application's ticket key callbacks (EVP and HMAC forms, renew and decline); what both ends must
 * agree on (randoms, master key, the keylog line); the negotiation getters; close_notify.
 * Built against the system libssl (it is public API only), every check passes there too except the
 * documented differences: the failures where OpenSSL's client would offer TLS 1.0/1.1 (keel's
 * offers no version below 1.2) and the TLS 1.2 tmp keys (test_tmp_keys). */
#define OPENSSL_SUPPRESS_DEPRECATED /* TLSv1_2_method & co, SSL_CTX_set_tlsext_ticket_key_cb */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/core_names.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain ec, rsa, cli;

static int last_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    return ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : -1;
}

/* Does `reason` appear anywhere in the error queue? (Both ends' errors share the thread's queue.) */
static int has_reason(int reason)
{
    unsigned long e;
    int found = 0;
    char seen[512] = "";
    while ((e = ERR_get_error()) != 0) {
        if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == reason)
            found = 1;
        snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), " %d:%d", ERR_GET_LIB(e),
                 ERR_GET_REASON(e));
    }
    if (getenv("DBG") || !found)
        fprintf(stderr, "    reason %d not among%s\n", reason, seen);
    return found;
}

static int pair(SSL_CTX *cctx, SSL_CTX *sctx, SSL **c, SSL **s)
{
    return keel_test_pair(cctx, sctx, c, s) && SSL_set1_host(*c, "server.test");
}

static void drop(SSL_CTX *cctx, SSL_CTX *sctx, SSL *c, SSL *s)
{
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    ERR_clear_error();
}

/* Marked shut down so that SSL_free leaves the session resumable. */
static void quiet_free(SSL *c, SSL *s)
{
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(c);
    SSL_free(s);
}

static int rw(SSL *from, SSL *to, const char *msg)
{
    char buf[64];
    int n = (int)strlen(msg);
    if (SSL_write(from, msg, n) != n)
        return 0;
    int r = SSL_read(to, buf, sizeof(buf));
    return r == n && memcmp(buf, msg, (size_t)n) == 0;
}

/* A server context with `k`'s leaf, verifying client certificates against cli's CA on request. */
static SSL_CTX *server(const SSL_METHOD *m, const keel_test_chain *k)
{
    SSL_CTX *c = SSL_CTX_new(m);
    if (c == NULL)
        return NULL;
    SSL_CTX_use_certificate(c, k->leaf);
    SSL_CTX_use_PrivateKey(c, k->leaf_key);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c), cli.ca);
    SSL_CTX_set_session_id_context(c, (const unsigned char *)"tls12", 5);
    return c;
}

/* A client trusting the CA of `k` (the test CAs share a name: one per store). */
static SSL_CTX *client_k(const SSL_METHOD *m, const keel_test_chain *k)
{
    SSL_CTX *c = SSL_CTX_new(m);
    if (c == NULL)
        return NULL;
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c), k->ca);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    return c;
}

static SSL_CTX *client(const SSL_METHOD *m)
{
    return client_k(m, &ec);
}

/* One handshake between fresh SSLs of the two contexts: the negotiated version, or 0 on failure
 * (the error queue is left for the caller). */
static int version_of(SSL_CTX *cctx, SSL_CTX *sctx, int *sentinel)
{
    SSL *c, *s;
    static const unsigned char down12[8] = { 0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01 };
    if (!pair(cctx, sctx, &c, &s))
        return -1;
    int v = 0;
    if (keel_test_handshake(c, s)) {
        v = SSL_version(c);
        if (v != SSL_version(s) || !rw(c, s, "hello") || !rw(s, c, "back"))
            v = -1;
        unsigned char sr[32];
        if (sentinel != NULL)
            *sentinel = SSL_get_server_random(c, sr, sizeof(sr)) == 32
                && memcmp(sr + 24, down12, 8) == 0;
    }
    SSL_free(c);
    SSL_free(s);
    return v;
}

/* ---- TLSv1_2_method(3), SSL_OP_NO_TLSv1_x, SSL_CTX_set_min/max_proto_version(3) ---- */

static void test_versions(void)
{
    int sent = -1;
    /* A pinned client gets TLS 1.2 from a TLS 1.3 server; the server, able to do 1.3, writes the
     * RFC 8446 §4.1.3 sentinel and the pinned client (not 1.3-capable) accepts it. */
    SSL_CTX *cctx = client(TLSv1_2_client_method()), *sctx = server(TLS_server_method(), &ec);
    CHECK_EQ(version_of(cctx, sctx, &sent), TLS1_2_VERSION);
    CHECK_EQ(sent, 1);
    SSL_CTX_free(cctx);

    /* A pinned server refuses a 1.3-only client. It is a TLS 1.2 server: it ignores
     * supported_versions (RFC 8446 §4.2.1), takes 1.2 from legacy_version and then finds none of
     * its suites among the client's TLS 1.3 ones: no shared cipher, as OpenSSL 3.0's
     * version-specific methods (a TLS_method server limited to 1.2 reads the list and fails with
     * unsupported protocol instead). */
    SSL_CTX_free(sctx);
    sctx = server(TLSv1_2_server_method(), &ec);
    cctx = client(TLS_client_method());
    SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION);
    CHECK_EQ(version_of(cctx, sctx, NULL), 0);
    CHECK(has_reason(SSL_R_NO_SHARED_CIPHER));
    /* ... and serves a TLS_method client with 1.2, without the sentinel (it cannot do 1.3). */
    SSL_CTX_set_min_proto_version(cctx, 0);
    CHECK_EQ(version_of(cctx, sctx, &sent), TLS1_2_VERSION);
    CHECK_EQ(sent, 0);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);

    /* TLSv1_2_method on both ends. */
    cctx = client(TLSv1_2_method());
    sctx = server(TLSv1_2_method(), &ec);
    SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
    CHECK_EQ(version_of(cctx, sctx, NULL), TLS1_2_VERSION);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);

    /* SSL_OP_NO_TLSv1_3 on either end: 1.2. */
    cctx = client(TLS_client_method());
    sctx = server(TLS_server_method(), &ec);
    CHECK_EQ(version_of(cctx, sctx, NULL), TLS1_3_VERSION);
    /* A server configured down to 1.2 is not "TLS 1.3 capable" (RFC 8446 §4.1.3): no sentinel,
     * so the 1.3-capable client accepts it. */
    SSL_CTX_set_options(sctx, SSL_OP_NO_TLSv1_3);
    CHECK_EQ(version_of(cctx, sctx, &sent), TLS1_2_VERSION);
    CHECK_EQ(sent, 0);
    /* A client configured down to 1.2 gets the sentinel from a 1.3 server and accepts it. */
    SSL_CTX_clear_options(sctx, SSL_OP_NO_TLSv1_3);
    SSL_CTX_set_options(cctx, SSL_OP_NO_TLSv1_3);
    CHECK_EQ(version_of(cctx, sctx, &sent), TLS1_2_VERSION);
    CHECK_EQ(sent, 1);
    /* NO_TLSv1_2 on the client, NO_TLSv1_3 on the server: nothing in common. */
    SSL_CTX_clear_options(cctx, SSL_OP_NO_TLSv1_3);
    SSL_CTX_set_options(cctx, SSL_OP_NO_TLSv1_2);
    SSL_CTX_set_options(sctx, SSL_OP_NO_TLSv1_3);
    CHECK_EQ(version_of(cctx, sctx, NULL), 0);
    CHECK(has_reason(SSL_R_UNSUPPORTED_PROTOCOL));
    /* NO_TLSv1_2 on the server only: a 1.3 handshake still works. */
    SSL_CTX_clear_options(cctx, SSL_OP_NO_TLSv1_2);
    SSL_CTX_clear_options(sctx, SSL_OP_NO_TLSv1_3);
    SSL_CTX_set_options(sctx, SSL_OP_NO_TLSv1_2);
    CHECK_EQ(version_of(cctx, sctx, NULL), TLS1_3_VERSION);
    /* ... and a 1.2-only client is refused. */
    SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);
    CHECK_EQ(version_of(cctx, sctx, NULL), 0);
    CHECK(has_reason(SSL_R_UNSUPPORTED_PROTOCOL));
    /* Both versions disabled on the client: it cannot start. */
    SSL_CTX_set_max_proto_version(cctx, 0);
    SSL_CTX_set_options(cctx, SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3);
    CHECK_EQ(version_of(cctx, sctx, NULL), 0);
    CHECK(has_reason(SSL_R_NO_PROTOCOLS_AVAILABLE));
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);

    /* min/max: client [1.2,1.2] vs server [1.3,1.3] fails; server max 1.2 vs client min 1.2. */
    cctx = client(TLS_client_method());
    sctx = server(TLS_server_method(), &ec);
    SSL_CTX_set_min_proto_version(cctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);
    SSL_CTX_set_min_proto_version(sctx, TLS1_3_VERSION);
    CHECK_EQ(version_of(cctx, sctx, NULL), 0);
    CHECK(has_reason(SSL_R_UNSUPPORTED_PROTOCOL));
    SSL_CTX_set_min_proto_version(sctx, 0);
    SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(cctx, 0);
    CHECK_EQ(version_of(cctx, sctx, &sent), TLS1_2_VERSION);
    CHECK_EQ(sent, 0);
    /* The per-SSL setting overrides the context's. */
    SSL *c, *s;
    SSL_CTX_set_max_proto_version(sctx, 0);
    CHECK(pair(cctx, sctx, &c, &s));
    CHECK(SSL_set_max_proto_version(c, TLS1_2_VERSION));
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_version(s), TLS1_2_VERSION);
    CHECK(strcmp(SSL_get_version(s), "TLSv1.2") == 0);
    drop(cctx, sctx, c, s);
}

/* ---- 1 MiB each way: partial writes, max_send_fragment, SSL_read_ex, SSL_peek_ex ---- */

static void test_bulk(void)
{
    SSL_CTX *cctx = client(TLS_client_method()), *sctx = server(TLS_server_method(), &ec);
    SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);
    SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
    BIO *cb, *sb;
    static unsigned char out[1 << 20], in[1 << 20];

    CHECK(BIO_new_bio_pair(&cb, 4096, &sb, 4096));
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    SSL_set1_host(c, "server.test");
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_version(c), TLS1_2_VERSION);
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (unsigned char)(i ^ (i >> 8) ^ (i >> 16));
    /* The server's records are at most 512 bytes of plaintext: a read never returns more, since
     * SSL_read returns one record's data at most. */
    CHECK(SSL_set_max_send_fragment(s, 512));
    for (int dir = 0; dir < 2; dir++) {
        SSL *w = dir ? s : c, *rd = dir ? c : s;
        SSL_set_mode(w, SSL_MODE_ENABLE_PARTIAL_WRITE);
        size_t sent = 0, got = 0, biggest = 0;
        int retries = 0, partial = 0, peeks_ok = 1;
        while (got < sizeof(out)) {
            if (sent < sizeof(out)) {
                int n = SSL_write(w, out + sent, (int)(sizeof(out) - sent));
                if (n > 0) {
                    sent += (size_t)n;
                    partial += sent < sizeof(out);
                } else if (SSL_get_error(w, n) == SSL_ERROR_WANT_WRITE) {
                    retries++;
                } else {
                    break;
                }
            }
            /* Peek first: the same bytes are then read, not consumed twice. */
            unsigned char pk[16];
            size_t np = 0, nr = 0;
            if (SSL_peek_ex(rd, pk, sizeof(pk), &np) == 1) {
                if (SSL_read_ex(rd, in + got, sizeof(in) - got, &nr) != 1 || nr < np
                    || memcmp(pk, in + got, np) != 0)
                    peeks_ok = 0;
                got += nr;
                if (nr > biggest)
                    biggest = nr;
            } else if (SSL_get_error(rd, 0) != SSL_ERROR_WANT_READ) {
                break;
            }
        }
        CHECK_EQ(got, sizeof(out));
        CHECK(memcmp(in, out, sizeof(out)) == 0);
        CHECK(peeks_ok);
        if (getenv("DBG"))
            fprintf(stderr, "dir %d retries %d partial %d biggest %zu\n", dir, retries, partial, biggest);
        if (dir == 1) {
            /* One 512-byte record per SSL_write: each returns a part (SSL_MODE_ENABLE_PARTIAL_WRITE). */
            CHECK(partial > 1000);
            CHECK(biggest <= 512 && biggest > 0);
        } else {
            CHECK(retries > 0);   /* the small pair really pushed back */
            CHECK(biggest > 512); /* the client's records are full size */
        }
    }
    /* A write larger than INT_MAX is not the point; a zero-length SSL_write_ex is refused as 0. */
    drop(cctx, sctx, c, s);
}

/* ---- mutual TLS with suspending callbacks ---- */

static int ccb_calls, ccb_suspend, scb_calls, scb_suspend;

static int client_cert_cb(SSL *ssl, X509 **x, EVP_PKEY **pkey)
{
    (void)ssl;
    if (ccb_suspend && ccb_calls++ == 0)
        return -1;
    if (!ccb_suspend)
        ccb_calls++;
    X509_up_ref(cli.leaf);
    EVP_PKEY_up_ref(cli.leaf_key);
    *x = cli.leaf;
    *pkey = cli.leaf_key;
    return 1;
}

/* The server's certificate callback: suspends once, then installs the RSA certificate. */
static int server_cert_cb(SSL *ssl, void *arg)
{
    (void)arg;
    if (scb_suspend && scb_calls++ == 0)
        return -1;
    SSL_certs_clear(ssl);
    return SSL_use_certificate(ssl, rsa.leaf) && SSL_use_PrivateKey(ssl, rsa.leaf_key);
}

static void test_mtls_suspend(void)
{
    SSL_CTX *cctx = client_k(TLS_client_method(), &rsa), *sctx = server(TLS_server_method(), &ec);
    SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_client_cert_cb(cctx, client_cert_cb);
    SSL_CTX_set_cert_cb(sctx, server_cert_cb, NULL);
    SSL *c, *s;
    ccb_calls = scb_calls = 0;
    ccb_suspend = scb_suspend = 1;
    CHECK(pair(cctx, sctx, &c, &s));
    int clookups = 0, slookups = 0, cdone = 0, sdone = 0, r;
    for (int i = 0; i < 60 && !(cdone && sdone); i++) {
        if (!cdone) {
            if ((r = SSL_do_handshake(c)) == 1)
                cdone = 1;
            else if (SSL_get_error(c, r) == SSL_ERROR_WANT_X509_LOOKUP)
                clookups++;
        }
        if (!sdone) {
            if ((r = SSL_do_handshake(s)) == 1)
                sdone = 1;
            else if (SSL_get_error(s, r) == SSL_ERROR_WANT_X509_LOOKUP)
                slookups++;
        }
    }
    CHECK(cdone && sdone);
    CHECK_EQ(clookups, 1);
    CHECK_EQ(slookups, 1);
    CHECK_EQ(ccb_calls, 2);
    CHECK_EQ(scb_calls, 2);
    CHECK_EQ(SSL_version(c), TLS1_2_VERSION);
    /* The cert callback's RSA certificate is what the client got, and the client's is the server's peer. */
    CHECK(SSL_get0_peer_certificate(c) != NULL && X509_cmp(SSL_get0_peer_certificate(c), rsa.leaf) == 0);
    CHECK(SSL_get0_peer_certificate(s) != NULL && X509_cmp(SSL_get0_peer_certificate(s), cli.leaf) == 0);
    CHECK_EQ(SSL_get_verify_result(s), X509_V_OK);
    CHECK(strstr(SSL_get_cipher_name(c), "ECDHE-RSA-") == SSL_get_cipher_name(c));
    CHECK(rw(c, s, "mutual"));
    SSL_free(c);
    SSL_free(s);

    /* A client certificate callback supplying nothing: the server requiring one fails the handshake. */
    SSL_CTX_set_client_cert_cb(cctx, NULL);
    CHECK(pair(cctx, sctx, &c, &s));
    CHECK(!keel_test_handshake(c, s));
    CHECK(has_reason(SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE));
    drop(cctx, sctx, c, s);
}

/* ---- session-id reuse and the cache operations ---- */

static SSL_SESSION *connect_once(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *offer, int *reused)
{
    SSL *c, *s;
    SSL_SESSION *got = NULL;
    *reused = -1;
    if (!pair(cctx, sctx, &c, &s))
        return NULL;
    if (offer != NULL)
        SSL_set_session(c, offer);
    if (keel_test_handshake(c, s) && rw(c, s, "data") && rw(s, c, "back")) {
        *reused = SSL_session_reused(s);
        if (*reused != SSL_session_reused(c) || SSL_version(c) != TLS1_2_VERSION)
            *reused = -2;
        got = SSL_get1_session(c);
    }
    quiet_free(c, s);
    ERR_clear_error();
    return got;
}

/* A full handshake's new session id and the server random (one RAND draw serves both): 32 bytes
 * each, neither a copy of the other or of the client random, and a new id each time. */
static void check_fresh_ids(SSL_CTX *cctx, SSL_CTX *sctx)
{
    unsigned char sr[32], cr[32], first[32];
    for (int i = 0; i < 2; i++) {
        SSL *c, *s;
        CHECK(pair(cctx, sctx, &c, &s));
        CHECK(keel_test_handshake(c, s));
        unsigned int idlen = 0;
        const unsigned char *id = SSL_SESSION_get_id(SSL_get_session(c), &idlen);
        CHECK_EQ(SSL_session_reused(c), 0);
        CHECK_EQ(idlen, 32);
        CHECK_EQ(SSL_get_server_random(c, sr, sizeof(sr)), 32);
        CHECK_EQ(SSL_get_client_random(c, cr, sizeof(cr)), 32);
        CHECK(id != NULL && memcmp(id, sr, 24) != 0 && memcmp(id, cr, 32) != 0);
        CHECK(memcmp(id + 8, sr, 24) != 0 && memcmp(id, sr + 8, 24) != 0);
        if (i == 0)
            memcpy(first, id, 32);
        else
            CHECK(memcmp(first, id, 32) != 0);
        quiet_free(c, s);
    }
    ERR_clear_error();
}

static void test_session_cache(void)
{
    SSL_CTX *cctx = client(TLS_client_method()), *sctx = server(TLS_server_method(), &ec);
    SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);
    SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET); /* session ids only */
    int reused;

    SSL_SESSION *a = connect_once(cctx, sctx, NULL, &reused);
    CHECK(a != NULL && reused == 0);
    unsigned int idlen = 0;
    SSL_SESSION_get_id(a, &idlen);
    CHECK_EQ(idlen, 32);
    CHECK(!SSL_SESSION_has_ticket(a));
    check_fresh_ids(cctx, sctx);
    SSL_SESSION *b = connect_once(cctx, sctx, a, &reused);
    CHECK_EQ(reused, 1);
    SSL_SESSION_free(b);

    /* SSL_CTX_flush_sessions(tm): sessions expired at tm go; one far in the future expires all. */
    SSL_CTX_flush_sessions(sctx, (long)time(NULL));
    b = connect_once(cctx, sctx, a, &reused);
    CHECK_EQ(reused, 1); /* not yet expired: still there */
    SSL_SESSION_free(b);
    SSL_CTX_flush_sessions(sctx, (long)time(NULL) + 100000);
    b = connect_once(cctx, sctx, a, &reused);
    CHECK_EQ(reused, 0);
    SSL_SESSION_free(a);
    a = b;

    /* SSL_CTX_remove_session: the server forgets it; a full handshake. */
    b = connect_once(cctx, sctx, a, &reused);
    CHECK_EQ(reused, 1);
    SSL_SESSION_free(b);
    /* By id, as OpenSSL: `a` is the client's copy, not the cached object; it is then marked not
     * resumable. */
    CHECK_EQ(SSL_CTX_remove_session(sctx, a), 1);
    CHECK_EQ(SSL_SESSION_is_resumable(a), 0);
    CHECK_EQ(SSL_CTX_remove_session(sctx, a), 0); /* gone */
    b = connect_once(cctx, sctx, a, &reused);
    CHECK_EQ(reused, 0);
    SSL_SESSION_free(a);
    a = b;

    /* The server's timeout: a session older than it is not resumed. */
    SSL_CTX_set_timeout(sctx, 1);
    SSL_SESSION_free(a);
    a = connect_once(cctx, sctx, NULL, &reused);
    CHECK(a != NULL && reused == 0);
    /* The server's copy expires 1 s after it was made: a flush at now + 2 drops it. */
    SSL_CTX_flush_sessions(sctx, (long)time(NULL) + 2);
    b = connect_once(cctx, sctx, a, &reused);
    CHECK_EQ(reused, 0);
    SSL_SESSION_free(b);
    SSL_SESSION_free(a);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* ---- the application's ticket key callbacks ---- */

static unsigned char app_key[32], app_mac_key[32];
static int tk_calls[2], tk_decrypt_result = 1;

static int evp_cb(SSL *s, unsigned char name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                  EVP_CIPHER_CTX *ctx, EVP_MAC_CTX *hctx, int enc)
{
    (void)s;
    OSSL_PARAM params[3];
    tk_calls[enc ? 1 : 0]++;
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, app_mac_key, sizeof(app_mac_key));
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
    params[2] = OSSL_PARAM_construct_end();
    if (enc) {
        memset(name, 'e', 16);
        memset(iv, 0x42, 16);
        return EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, app_key, iv)
            && EVP_MAC_CTX_set_params(hctx, params) ? 1 : -1;
    }
    if (name[0] != 'e' || tk_decrypt_result == 0)
        return 0;
    return EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, app_key, iv)
        && EVP_MAC_CTX_set_params(hctx, params) ? tk_decrypt_result : -1;
}

static int hmac_cb(SSL *s, unsigned char name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                   EVP_CIPHER_CTX *ctx, HMAC_CTX *hctx, int enc)
{
    (void)s;
    tk_calls[enc ? 1 : 0]++;
    if (enc) {
        memset(name, 'h', 16);
        memset(iv, 0x24, 16);
        return EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, app_key, iv)
            && HMAC_Init_ex(hctx, app_mac_key, sizeof(app_mac_key), EVP_sha256(), NULL) ? 1 : -1;
    }
    if (name[0] != 'h' || tk_decrypt_result == 0)
        return 0;
    return EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, app_key, iv)
        && HMAC_Init_ex(hctx, app_mac_key, sizeof(app_mac_key), EVP_sha256(), NULL)
        ? tk_decrypt_result : -1;
}

static int same_ticket(const SSL_SESSION *a, const SSL_SESSION *b)
{
    const unsigned char *ta, *tb;
    size_t na, nb;
    SSL_SESSION_get0_ticket(a, &ta, &na);
    SSL_SESSION_get0_ticket(b, &tb, &nb);
    return na == nb && na > 0 && memcmp(ta, tb, na) == 0;
}

static void test_ticket_callbacks(int hmac)
{
    SSL_CTX *cctx = client(TLS_client_method()), *sctx = server(TLS_server_method(), &ec);
    SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);
    SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_OFF); /* tickets alone can resume */
    memset(app_key, 7, sizeof(app_key));
    memset(app_mac_key, 9, sizeof(app_mac_key));
    if (hmac)
        CHECK(SSL_CTX_set_tlsext_ticket_key_cb(sctx, hmac_cb));
    else
        CHECK(SSL_CTX_set_tlsext_ticket_key_evp_cb(sctx, evp_cb));
    int reused;
    tk_calls[0] = tk_calls[1] = 0;
    tk_decrypt_result = 1;

    SSL_SESSION *a = connect_once(cctx, sctx, NULL, &reused);
    CHECK(a != NULL && reused == 0);
    CHECK(a != NULL && SSL_SESSION_has_ticket(a));
    CHECK_EQ(tk_calls[1], 1);
    CHECK_EQ(tk_calls[0], 0);
    /* The ticket carries the application's key name in its first 16 bytes (RFC 5077 §4). */
    const unsigned char *t;
    size_t tn = 0;
    SSL_SESSION_get0_ticket(a, &t, &tn);
    CHECK(tn > 16 && t[0] == (hmac ? 'h' : 'e') && t[15] == t[0]);

    /* 1: resumed, no new ticket (the client keeps the one it has). */
    SSL_SESSION *b = connect_once(cctx, sctx, a, &reused);
    CHECK_EQ(reused, 1);
    CHECK_EQ(tk_calls[0], 1);
    CHECK_EQ(tk_calls[1], 1);
    CHECK(b != NULL && same_ticket(a, b));
    SSL_SESSION_free(b);

    /* 2: resumed and renewed: a NewSessionTicket in the abbreviated handshake. */
    tk_decrypt_result = 2;
    b = connect_once(cctx, sctx, a, &reused);
    CHECK_EQ(reused, 1);
    CHECK_EQ(tk_calls[0], 2);
    CHECK_EQ(tk_calls[1], 2);
    CHECK(b != NULL && SSL_SESSION_has_ticket(b) && !same_ticket(a, b));
    /* The renewed ticket resumes too. */
    tk_decrypt_result = 1;
    SSL_SESSION *c2 = connect_once(cctx, sctx, b, &reused);
    CHECK_EQ(reused, 1);
    SSL_SESSION_free(c2);
    SSL_SESSION_free(b);

    /* 0: the key is not known: a full handshake, with a fresh ticket, not a failure. */
    tk_decrypt_result = 0;
    tk_calls[0] = tk_calls[1] = 0;
    b = connect_once(cctx, sctx, a, &reused);
    CHECK_EQ(reused, 0);
    CHECK_EQ(tk_calls[0], 1);
    CHECK_EQ(tk_calls[1], 1);
    CHECK(b != NULL && SSL_SESSION_has_ticket(b) && !same_ticket(a, b));
    SSL_SESSION_free(b);
    SSL_SESSION_free(a);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* ---- what both ends must agree on, and the negotiation getters ---- */

static char keylog[2][256];
static void keylog_cb(const SSL *s, const char *line)
{
    snprintf(keylog[SSL_is_server((SSL *)s) ? 1 : 0], sizeof(keylog[0]), "%s", line);
}

static int servername_seen;
static int sni_cb(SSL *s, int *al, void *arg)
{
    (void)al;
    (void)arg;
    const char *n = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
    servername_seen = n != NULL && strcmp(n, "server.test") == 0;
    return SSL_TLSEXT_ERR_OK;
}

static void hex(char *out, const unsigned char *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", in[i]);
}

static void test_agreement(void)
{
    SSL_CTX *cctx = client_k(TLS_client_method(), &rsa), *sctx = server(TLS_server_method(), &rsa);
    SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION);
    SSL_CTX_set_keylog_callback(cctx, keylog_cb);
    SSL_CTX_set_keylog_callback(sctx, keylog_cb);
    SSL_CTX_set_tlsext_servername_callback(sctx, sni_cb);
    CHECK(SSL_CTX_set_cipher_list(cctx, "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"));
    CHECK(SSL_CTX_set1_sigalgs_list(cctx, "rsa_pss_rsae_sha384:rsa_pkcs1_sha256"));
    CHECK(SSL_CTX_set1_groups_list(cctx, "P-384:X25519"));
    SSL *c, *s;
    keylog[0][0] = keylog[1][0] = 0;
    servername_seen = 0;
    CHECK(pair(cctx, sctx, &c, &s));
    SSL_set_tlsext_host_name(c, "server.test");
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_version(c), TLS1_2_VERSION);
    CHECK(strcmp(SSL_get_cipher_name(s), "ECDHE-RSA-AES256-GCM-SHA384") == 0);

    /* Randoms: what one end sent is what the other received (and not all zero). */
    unsigned char cr[2][32], sr[2][32], zero[32] = { 0 };
    CHECK_EQ(SSL_get_client_random(c, cr[0], 32), 32);
    CHECK_EQ(SSL_get_client_random(s, cr[1], 32), 32);
    CHECK_EQ(SSL_get_server_random(c, sr[0], 32), 32);
    CHECK_EQ(SSL_get_server_random(s, sr[1], 32), 32);
    CHECK(memcmp(cr[0], cr[1], 32) == 0 && memcmp(sr[0], sr[1], 32) == 0);
    CHECK(memcmp(cr[0], zero, 32) != 0 && memcmp(sr[0], zero, 32) != 0 && memcmp(cr[0], sr[0], 32) != 0);
    CHECK_EQ(SSL_get_client_random(c, NULL, 0), 32); /* outlen 0: the size */

    /* The master secret: 48 bytes, the same on both ends. */
    unsigned char mk[2][48];
    CHECK_EQ(SSL_SESSION_get_master_key(SSL_get_session(c), mk[0], sizeof(mk[0])), 48);
    CHECK_EQ(SSL_SESSION_get_master_key(SSL_get_session(s), mk[1], sizeof(mk[1])), 48);
    CHECK(memcmp(mk[0], mk[1], 48) == 0);

    /* The NSS key log: one CLIENT_RANDOM line per end, identical, naming this client random and
     * this master secret. */
    char want[20 + 64 + 1 + 96 + 1];
    memcpy(want, "CLIENT_RANDOM ", 14);
    hex(want + 14, cr[0], 32);
    want[14 + 64] = ' ';
    hex(want + 14 + 65, mk[0], 48);
    CHECK(strcmp(keylog[0], keylog[1]) == 0);
    CHECK(strcmp(keylog[0], want) == 0);

    /* SSL_get_shared_ciphers on the server: the client's offer that the server can use, in the
     * client's order; TLS 1.3 suites (the client's TLS_method offers none at max 1.2) absent. */
    char buf[512];
    CHECK(SSL_get_shared_ciphers(s, buf, sizeof(buf)) != NULL);
    CHECK(strcmp(buf, "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305") == 0);

    /* The server signed with the first scheme of the client's list it can do. */
    int nid = 0;
    CHECK(SSL_get_peer_signature_nid(c, &nid) && nid == NID_sha384);
    CHECK(SSL_get_peer_signature_type_nid(c, &nid) && nid == NID_rsassaPss);
    /* The ECDHE key the server sent: on the client's first group. */
    EVP_PKEY *k = NULL;
    CHECK(SSL_get_peer_tmp_key(c, &k) && k != NULL);
    if (k != NULL) {
        char g[32] = "";
        size_t gl = 0;
        EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, g, sizeof(g), &gl);
        CHECK(strcmp(g, "secp384r1") == 0);
        EVP_PKEY_free(k);
    }
    CHECK(servername_seen);
    CHECK(strcmp(SSL_get_servername(s, TLSEXT_NAMETYPE_host_name), "server.test") == 0);

    /* Shutdown: close_notify both ways. */
    char rb[8];
    CHECK_EQ(SSL_shutdown(c), 0);
    int r = SSL_read(s, rb, sizeof(rb));
    CHECK_EQ(r, 0);
    CHECK_EQ(SSL_get_error(s, r), SSL_ERROR_ZERO_RETURN);
    CHECK(SSL_get_shutdown(s) & SSL_RECEIVED_SHUTDOWN);
    CHECK(SSL_write(s, "late", 4) == 4); /* half-closed: the server may still write */
    CHECK_EQ(SSL_shutdown(s), 1);
    r = SSL_read(c, rb, sizeof(rb));
    CHECK_EQ(r, 4); /* what came before the close_notify is still delivered */
    r = SSL_read(c, rb, sizeof(rb));
    CHECK_EQ(SSL_get_error(c, r), SSL_ERROR_ZERO_RETURN);
    CHECK_EQ(SSL_shutdown(c), 1);
    CHECK(SSL_write(c, "x", 1) <= 0);
    ERR_clear_error();
    /* A cleanly shut down connection's session resumes. */
    SSL_SESSION *ss = SSL_get1_session(c);
    SSL_free(c);
    SSL_free(s);
    CHECK(pair(cctx, sctx, &c, &s));
    SSL_set_session(c, ss);
    CHECK(keel_test_handshake(c, s));
    CHECK(SSL_session_reused(c));
    SSL_SESSION_free(ss);
    quiet_free(c, s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    (void)last_reason;
}

/* ---- SSL_get_tmp_key / SSL_get_peer_tmp_key in TLS 1.2 ----
 * SSL_get_peer_tmp_key(3): "the temporary key provided by the peer and used during key exchange";
 * SSL_get_tmp_key: "the equivalent information for the local end". After a TLS 1.2 handshake
 * keel reports what OpenSSL 3.0 does rather than what the man page says: the client's own key is
 * the TLS 1.3 key share it offered (of another group here), and the server reports neither. */

static int same_public(EVP_PKEY *a, EVP_PKEY *b)
{
    unsigned char *pa = NULL, *pb = NULL;
    size_t na = a ? EVP_PKEY_get1_encoded_public_key(a, &pa) : 0;
    size_t nb = b ? EVP_PKEY_get1_encoded_public_key(b, &pb) : 0;
    int r = na > 0 && na == nb && memcmp(pa, pb, na) == 0;
    OPENSSL_free(pa);
    OPENSSL_free(pb);
    return r;
}

static int group_is(EVP_PKEY *k, const char *want)
{
    char g[32] = "";
    size_t gl = 0;
    return k != NULL && EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, g, sizeof(g), &gl)
        && strcmp(g, want) == 0;
}

static void test_tmp_keys(void)
{
    /* A 1.3-capable client sends an X25519 key share; the server, limited to 1.2, takes P-384. */
    SSL_CTX *cctx = client(TLS_client_method()), *sctx = server(TLS_server_method(), &ec);
    CHECK(SSL_CTX_set1_groups_list(cctx, "X25519:P-384:P-256"));
    CHECK(SSL_CTX_set1_groups_list(sctx, "P-384:P-256"));
    SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION);
    SSL *c, *s;
    CHECK(pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_version(c), TLS1_2_VERSION);
    EVP_PKEY *ct = NULL, *cp = NULL, *st = NULL, *sp = NULL;
    /* As OpenSSL 3.0 after a TLS 1.2 key exchange (tests/diff/getters.c): the client keeps the
     * server's share, and reports as its own the TLS 1.3 share it offered; the server neither. */
    CHECK(SSL_get_peer_tmp_key(c, &cp) && SSL_get_tmp_key(c, &ct));
    CHECK(!SSL_get_tmp_key(s, &st) && !SSL_get_peer_tmp_key(s, &sp) && st == NULL && sp == NULL);
    CHECK(group_is(cp, "secp384r1"));
    CHECK(ct != NULL && EVP_PKEY_is_a(ct, "X25519"));
    CHECK(!same_public(ct, cp));
    CHECK_EQ(SSL_get_negotiated_group(c), NID_secp384r1);
    EVP_PKEY_free(ct);
    EVP_PKEY_free(cp);
    EVP_PKEY_free(st);
    EVP_PKEY_free(sp);
    drop(cctx, sctx, c, s);
}

int main(void)
{
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    CHECK(keel_test_make_chain(&rsa, KT_RSA2048, "server.test", 30));
    CHECK(keel_test_make_chain(&cli, KT_EC_P256, "client.test", 30));
    test_versions();
    test_bulk();
    test_mtls_suspend();
    test_session_cache();
    test_ticket_callbacks(0);
    test_ticket_callbacks(1);
    test_agreement();
    test_tmp_keys();
    keel_test_chain_free(&ec);
    keel_test_chain_free(&rsa);
    keel_test_chain_free(&cli);
    return keel_test_finish("tls12");
}
