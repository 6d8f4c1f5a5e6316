/* Sessions, callbacks and per-connection knobs, against the man pages: SSL_SESSION setters and
 * getters, PEM session I/O, the session cache callbacks and SSL_CTX_flush_sessions, ex_data, the
 * info / msg / security / record-padding callbacks, max_fragment_length, signature algorithms,
 * post-handshake auth, ticket counts, read-ahead, buffers and the small leftovers. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SSL_set_debug and the SRP getters are deprecated in 3.0 */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/srtp.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain ec, rsa;

static void drop(SSL_CTX *cctx, SSL_CTX *sctx, SSL *c, SSL *s)
{
    keel_test_free_pair(c, s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    ERR_clear_error();
}

/* Handshake, then let the client read the tickets; returns the client's session (a reference). */
static SSL_SESSION *session_from(SSL_CTX *cctx, SSL_CTX *sctx, SSL **cp, SSL **sp)
{
    SSL *c, *s;
    char b[4];
    if (!keel_test_pair(cctx, sctx, &c, &s) || !keel_test_handshake(c, s))
        return NULL;
    SSL_read(c, b, sizeof(b));
    ERR_clear_error();
    SSL_SESSION *ss = SSL_get1_session(c);
    keel_test_free_pair(cp != NULL ? NULL : c, sp != NULL ? NULL : s);
    if (cp != NULL)
        *cp = c;
    if (sp != NULL)
        *sp = s;
    return ss;
}

/* ---- SSL_SESSION getters/setters ---- */

static void test_session_fields(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    static const unsigned char sid_ctx[] = "keel-sid-ctx";
    time_t t0 = time(NULL);
    CHECK_EQ(SSL_CTX_set_session_id_context(sctx, sid_ctx, sizeof(sid_ctx) - 1), 1);
    unsigned char big[SSL_MAX_SID_CTX_LENGTH + 1] = { 0 };
    CHECK_EQ(SSL_CTX_set_session_id_context(sctx, big, sizeof(big)), 0); /* too long */
    ERR_clear_error();
    CHECK(SSL_CTX_set_alpn_protos(cctx, (const unsigned char *)"\x02h2", 3) == 0);
    SSL *c, *s;
    SSL_SESSION *ss = session_from(cctx, sctx, &c, &s);
    CHECK(ss != NULL);
    if (ss == NULL) {
        drop(cctx, sctx, NULL, NULL);
        return;
    }
    /* The server's session carries the context's session id context. */
    unsigned int n = 0;
    const unsigned char *p = SSL_SESSION_get0_id_context(SSL_get_session(s), &n);
    CHECK_EQ(n, sizeof(sid_ctx) - 1);
    CHECK(p != NULL && memcmp(p, sid_ctx, n) == 0);

    /* Time: set when the session was made. */
    long t = SSL_SESSION_get_time(ss);
    CHECK(t >= (long)t0 && t <= (long)time(NULL));
    CHECK_EQ(SSL_SESSION_set_time(ss, t - 100), t - 100);
    CHECK_EQ(SSL_SESSION_get_time(ss), t - 100);
    CHECK_EQ(SSL_SESSION_set_timeout(ss, 123), 1);
    CHECK_EQ(SSL_SESSION_get_timeout(ss), 123);

    /* id context on a client session. */
    CHECK_EQ(SSL_SESSION_set1_id_context(ss, (const unsigned char *)"abc", 3), 1);
    p = SSL_SESSION_get0_id_context(ss, &n);
    CHECK(n == 3 && memcmp(p, "abc", 3) == 0);
    CHECK_EQ(SSL_SESSION_set1_id_context(ss, big, sizeof(big)), 0);
    ERR_clear_error();
    p = SSL_SESSION_get0_id_context(ss, &n);
    CHECK(n == 3 && memcmp(p, "abc", 3) == 0); /* unchanged */

    /* hostname. */
    CHECK_EQ(SSL_SESSION_set1_hostname(ss, "cached.test"), 1);
    CHECK(SSL_SESSION_get0_hostname(ss) != NULL && strcmp(SSL_SESSION_get0_hostname(ss), "cached.test") == 0);

    /* cipher and protocol version. */
    static const unsigned char aes256[] = { 0x13, 0x02 };
    const SSL_CIPHER *c256 = SSL_CIPHER_find(c, aes256);
    CHECK(c256 != NULL);
    CHECK_EQ(SSL_SESSION_set_cipher(ss, c256), 1);
    CHECK(SSL_SESSION_get0_cipher(ss) == c256);
    CHECK_EQ(SSL_SESSION_get_protocol_version(ss), TLS1_3_VERSION);
    CHECK_EQ(SSL_SESSION_set_protocol_version(ss, TLS1_2_VERSION), 1);
    CHECK_EQ(SSL_SESSION_get_protocol_version(ss), TLS1_2_VERSION);

    /* max early data: a plain field. */
    CHECK_EQ(SSL_SESSION_get_max_early_data(ss), 0); /* keel never offers early data */
    CHECK_EQ(SSL_SESSION_set_max_early_data(ss, 1000), 1);
    CHECK_EQ(SSL_SESSION_get_max_early_data(ss), 1000);

    /* ALPN selected: as negotiated, then replaced, then cleared. */
    const unsigned char *alpn = NULL;
    size_t alen = 0;
    SSL_SESSION_get0_alpn_selected(ss, &alpn, &alen);
    /* The server selected nothing (no ALPN callback): empty. */
    CHECK_EQ(alen, 0);
    CHECK_EQ(SSL_SESSION_set1_alpn_selected(ss, (const unsigned char *)"http/1.1", 8), 1);
    SSL_SESSION_get0_alpn_selected(ss, &alpn, &alen);
    CHECK(alen == 8 && memcmp(alpn, "http/1.1", 8) == 0);
    CHECK_EQ(SSL_SESSION_set1_alpn_selected(ss, NULL, 0), 1);
    SSL_SESSION_get0_alpn_selected(ss, &alpn, &alen);
    CHECK_EQ(alen, 0);

    /* ex_data. */
    int idx = SSL_SESSION_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    CHECK(idx >= 0);
    int v;
    CHECK(SSL_SESSION_get_ex_data(ss, idx) == NULL);
    CHECK_EQ(SSL_SESSION_set_ex_data(ss, idx, &v), 1);
    CHECK(SSL_SESSION_get_ex_data(ss, idx) == &v);

    /* up_ref: two references, two frees (the sanitizer build checks there is no leak/double free). */
    CHECK_EQ(SSL_SESSION_up_ref(ss), 1);
    SSL_SESSION_free(ss);
    CHECK_EQ(SSL_SESSION_get_timeout(ss), 123); /* still alive */

    /* SSL_copy_session_id: the same session object, and the session id context. */
    SSL *c2 = SSL_new(cctx);
    CHECK_EQ(SSL_copy_session_id(c2, c), 1);
    CHECK(SSL_get_session(c2) == SSL_get_session(c));
    SSL_free(c2);
    SSL_SESSION_free(ss);
    drop(cctx, sctx, c, s);
}

/* ---- PEM_write_SSL_SESSION / PEM_read_SSL_SESSION ---- */

static void test_pem_session(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    SSL_SESSION *ss = session_from(cctx, sctx, NULL, NULL);
    CHECK(ss != NULL);
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (ss == NULL || f == NULL)
        goto out;
    CHECK_EQ(PEM_write_SSL_SESSION(f, ss), 1);
    rewind(f);
    char line[64];
    CHECK(fgets(line, sizeof(line), f) != NULL && strcmp(line, "-----BEGIN SSL SESSION PARAMETERS-----\n") == 0);
    rewind(f);
    SSL_SESSION *back = PEM_read_SSL_SESSION(f, NULL, NULL, NULL);
    CHECK(back != NULL);
    if (back != NULL) {
        unsigned char m1[64], m2[64];
        size_t n1 = SSL_SESSION_get_master_key(ss, m1, sizeof(m1));
        size_t n2 = SSL_SESSION_get_master_key(back, m2, sizeof(m2));
        CHECK(n1 > 0 && n1 == n2 && memcmp(m1, m2, n1) == 0);
        CHECK_EQ(SSL_SESSION_get_protocol_version(back), SSL_SESSION_get_protocol_version(ss));
        CHECK(SSL_SESSION_get0_cipher(back) == SSL_SESSION_get0_cipher(ss));
        CHECK_EQ(SSL_SESSION_get_time(back), SSL_SESSION_get_time(ss));
        /* It resumes. */
        SSL *c, *s;
        CHECK(keel_test_pair(cctx, sctx, &c, &s));
        CHECK(SSL_set_session(c, back));
        CHECK(keel_test_handshake(c, s));
        CHECK_EQ(SSL_session_reused(c), 1);
        drop(NULL, NULL, c, s);
        SSL_SESSION_free(back);
    }
    /* Garbage: NULL. */
    FILE *g = tmpfile();
    fputs("-----BEGIN SSL SESSION PARAMETERS-----\nAAAA\n-----END SSL SESSION PARAMETERS-----\n", g);
    rewind(g);
    CHECK(PEM_read_SSL_SESSION(g, NULL, NULL, NULL) == NULL);
    fclose(g);
    ERR_clear_error();
out:
    if (f != NULL)
        fclose(f);
    SSL_SESSION_free(ss);
    drop(cctx, sctx, NULL, NULL);
}

/* ---- SSL_CTX_sess_set_new_cb(3) family; SSL_CTX_flush_sessions(3) ---- */

static struct { int news, removes, gets; SSL_SESSION *stored; unsigned char id[64]; unsigned int idlen; } cache;

static int new_cb(SSL *s, SSL_SESSION *ss)
{
    (void)s;
    cache.news++;
    if (cache.stored == NULL) {
        cache.stored = ss;
        return 1; /* we keep the reference */
    }
    return 0;
}
static void remove_cb(SSL_CTX *ctx, SSL_SESSION *ss)
{
    (void)ctx;
    (void)ss;
    cache.removes++;
}
static SSL_SESSION *get_cb(SSL *s, const unsigned char *id, int len, int *copy)
{
    (void)s;
    cache.gets++;
    cache.idlen = (unsigned)len;
    memcpy(cache.id, id, (size_t)len < sizeof(cache.id) ? (size_t)len : sizeof(cache.id));
    *copy = 1; /* libssl takes its own reference */
    return cache.stored;
}

static void test_cache_callbacks(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    CHECK(SSL_CTX_sess_get_new_cb(sctx) == NULL);
    CHECK(SSL_CTX_sess_get_remove_cb(sctx) == NULL);
    CHECK(SSL_CTX_sess_get_get_cb(sctx) == NULL);
    SSL_CTX_sess_set_new_cb(sctx, new_cb);
    SSL_CTX_sess_set_remove_cb(sctx, remove_cb);
    SSL_CTX_sess_set_get_cb(sctx, get_cb);
    CHECK(SSL_CTX_sess_get_new_cb(sctx) == new_cb);
    CHECK(SSL_CTX_sess_get_remove_cb(sctx) == remove_cb);
    CHECK(SSL_CTX_sess_get_get_cb(sctx) == get_cb);

    /* A stateful server (SSL_OP_NO_TICKET, TLS 1.3: the ticket is a session id) with only the
     * external cache: new_cb stores, get_cb is asked on resumption. */
    SSL_CTX_set_options(sctx, SSL_OP_NO_TICKET);
    CHECK_EQ(SSL_CTX_set_num_tickets(sctx, 1), 1); /* the one session new_cb keeps is the client's */
    SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
    memset(&cache, 0, sizeof(cache));
    SSL_SESSION *ss = session_from(cctx, sctx, NULL, NULL);
    CHECK(ss != NULL);
    CHECK(cache.news >= 1 && cache.stored != NULL);
    CHECK_EQ(cache.gets, 0);
    SSL *c, *s;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(SSL_set_session(c, ss));
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(cache.gets, 1);
    CHECK_EQ(SSL_session_reused(c), 1);
    if (cache.stored != NULL) {
        unsigned int idlen = 0;
        const unsigned char *id = SSL_SESSION_get_id(cache.stored, &idlen);
        CHECK(idlen == cache.idlen && memcmp(id, cache.id, idlen) == 0);
    }
    drop(NULL, NULL, c, s);
    SSL_SESSION_free(ss);
    SSL_SESSION_free(cache.stored);
    cache.stored = NULL;

    /* The internal cache: SSL_CTX_add_session, SSL_CTX_flush_sessions(ctx, tm) removes the
     * sessions expired at tm, telling remove_cb. */
    SSL_CTX *k = SSL_CTX_new(TLS_server_method());
    SSL_CTX_sess_set_remove_cb(k, remove_cb);
    SSL_SESSION *a = session_from(cctx, sctx, NULL, NULL), *b = session_from(cctx, sctx, NULL, NULL);
    CHECK(a != NULL && b != NULL);
    if (a != NULL && b != NULL) {
        long now = (long)time(NULL);
        SSL_SESSION_set_time(a, now - 1000);
        SSL_SESSION_set_timeout(a, 10);  /* expired long ago */
        SSL_SESSION_set_time(b, now);
        SSL_SESSION_set_timeout(b, 3600);
        CHECK_EQ(SSL_CTX_add_session(k, a), 1);
        CHECK_EQ(SSL_CTX_add_session(k, b), 1);
        CHECK_EQ(SSL_CTX_sess_number(k), 2);
        cache.removes = 0;
        SSL_CTX_flush_sessions(k, now);
        CHECK_EQ(SSL_CTX_sess_number(k), 1);
        CHECK_EQ(cache.removes, 1);
        SSL_CTX_flush_sessions(k, now + 7200); /* b expired by then */
        CHECK_EQ(SSL_CTX_sess_number(k), 0);
        CHECK_EQ(cache.removes, 2);
    }
    SSL_SESSION_free(a);
    SSL_SESSION_free(b);
    SSL_CTX_free(k);
    drop(cctx, sctx, NULL, NULL);
}

/* ---- ex_data, security level/callback, misc getters ---- */

static int sec_calls;
static int sec_cb(const SSL *s, const SSL_CTX *ctx, int op, int bits, int nid, void *other, void *ex)
{
    (void)s; (void)ctx; (void)op; (void)bits; (void)nid; (void)other; (void)ex;
    sec_calls++;
    return 1;
}
static int client_cert_cb(SSL *s, X509 **x, EVP_PKEY **k) { (void)s; (void)x; (void)k; return 0; }

static void test_ctx_settings(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    int idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL), v, w;
    CHECK(idx >= 0);
    CHECK(SSL_CTX_get_ex_data(ctx, idx) == NULL);
    CHECK_EQ(SSL_CTX_set_ex_data(ctx, idx, &v), 1);
    CHECK(SSL_CTX_get_ex_data(ctx, idx) == &v);
    CHECK_EQ(SSL_CTX_set_ex_data(ctx, idx, &w), 1);
    CHECK(SSL_CTX_get_ex_data(ctx, idx) == &w);

    /* Security level: set/get, inherited by SSL_new, per-SSL override. */
    SSL_CTX_set_security_level(ctx, 3);
    CHECK_EQ(SSL_CTX_get_security_level(ctx), 3);
    SSL *s = SSL_new(ctx);
    CHECK_EQ(SSL_get_security_level(s), 3);
    SSL_set_security_level(s, 0);
    CHECK_EQ(SSL_get_security_level(s), 0);
    CHECK_EQ(SSL_CTX_get_security_level(ctx), 3);
    SSL_free(s);

    /* Security callback and its ex data. */
    CHECK(SSL_CTX_get_security_callback(ctx) != sec_cb);
    SSL_CTX_set_security_callback(ctx, sec_cb);
    CHECK(SSL_CTX_get_security_callback(ctx) == sec_cb);
    SSL_CTX_set0_security_ex_data(ctx, &v);
    CHECK(SSL_CTX_get0_security_ex_data(ctx) == &v);
    s = SSL_new(ctx);
    CHECK(SSL_get_security_callback(s) == sec_cb);
    CHECK(SSL_get0_security_ex_data(s) == &v);
    SSL_set0_security_ex_data(s, &w);
    CHECK(SSL_get0_security_ex_data(s) == &w);
    CHECK(SSL_CTX_get0_security_ex_data(ctx) == &v);
    SSL_set_security_callback(s, NULL);
    CHECK(SSL_get_security_callback(s) != sec_cb);
    SSL_free(s);

    /* Client certificate callback getter. */
    CHECK(SSL_CTX_get_client_cert_cb(ctx) == NULL);
    SSL_CTX_set_client_cert_cb(ctx, client_cert_cb);
    CHECK(SSL_CTX_get_client_cert_cb(ctx) == client_cert_cb);

    /* SSL_get_default_timeout: the default a session gets, i.e. a fresh context's timeout. */
    s = SSL_new(ctx);
    CHECK(SSL_get_default_timeout(s) > 0);
    CHECK_EQ(SSL_get_default_timeout(s), SSL_CTX_get_timeout(ctx));

    /* Read-ahead. */
    CHECK_EQ(SSL_get_read_ahead(s), 0);
    SSL_set_read_ahead(s, 1);
    CHECK_EQ(SSL_get_read_ahead(s), 1);
    SSL_set_read_ahead(s, 0);
    CHECK_EQ(SSL_get_read_ahead(s), 0);

    /* SSL_clear_options returns the options left. */
    uint64_t before = SSL_get_options(s);
    SSL_set_options(s, SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE);
    uint64_t left = SSL_clear_options(s, SSL_OP_NO_TICKET);
    CHECK(!(left & SSL_OP_NO_TICKET) && (left & SSL_OP_CIPHER_SERVER_PREFERENCE));
    CHECK(left == SSL_get_options(s));
    SSL_clear_options(s, SSL_OP_CIPHER_SERVER_PREFERENCE);
    CHECK(SSL_get_options(s) == (before & ~(uint64_t)(SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE)));

    /* SSL_extension_supported: built-in extensions only. */
    CHECK_EQ(SSL_extension_supported(TLSEXT_TYPE_server_name), 1);
    CHECK_EQ(SSL_extension_supported(TLSEXT_TYPE_supported_versions), 1);
    CHECK_EQ(SSL_extension_supported(0xfeed), 0);

    /* ERR_load_SSL_strings: libssl reason strings are available. */
    CHECK_EQ(ERR_load_SSL_strings(), 1);
    const char *r = ERR_reason_error_string(ERR_PACK(ERR_LIB_SSL, 0, SSL_R_NO_PROTOCOLS_AVAILABLE));
    CHECK(r != NULL && strcmp(r, "no protocols available") == 0);

    /* Not SRP, not CT, no compression, no DANE, no PSK. */
    CHECK(SSL_get_srp_username(s) == NULL);
    CHECK(SSL_get_srp_userinfo(s) == NULL);
    CHECK(SSL_get_srp_N(s) == NULL);
    CHECK(SSL_get_srp_g(s) == NULL);
    CHECK_EQ(SSL_SRP_CTX_free(s), 1);
    CHECK_EQ(SSL_CTX_SRP_CTX_free(ctx), 1);
    CHECK_EQ(SSL_CTX_ct_is_enabled(ctx), 0);
    CHECK(SSL_get_current_compression(s) == NULL);
    CHECK(SSL_COMP_get_name(NULL) == NULL);
    uint8_t mt;
    const unsigned char *data;
    size_t dlen;
    CHECK(SSL_get0_dane_tlsa(s, NULL, NULL, &mt, &data, &dlen) < 0); /* DANE not enabled */
    CHECK(SSL_get_psk_identity(s) == NULL);
    SSL_set_debug(s, 1); /* a no-op since 1.1.0; the SSL must stay usable */
    CHECK(SSL_get_ssl_method(s) == TLS_method());
    SSL_free(s);
    SSL_CTX_free(ctx);
    ERR_clear_error();
}

/* ---- info callback and msg callback; SSL_trace ---- */

static int info_start, info_done, info_alerts;
static void info_cb(const SSL *s, int where, int ret)
{
    (void)s; (void)ret;
    if (where & SSL_CB_HANDSHAKE_START)
        info_start++;
    if (where & SSL_CB_HANDSHAKE_DONE)
        info_done++;
    if (where & SSL_CB_ALERT)
        info_alerts++;
}
static void info_cb2(const SSL *s, int where, int ret) { (void)s; (void)where; (void)ret; }

static int msg_hello_out, msg_hello_in, msg_headers;
static void *msg_arg;
static size_t last_app_record_len;
static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl, void *arg)
{
    const unsigned char *b = buf;
    (void)version; (void)ssl;
    msg_arg = arg;
    if (content_type == SSL3_RT_HANDSHAKE && len > 0 && b[0] == SSL3_MT_CLIENT_HELLO) {
        if (write_p)
            msg_hello_out++;
        else
            msg_hello_in++;
    }
    if (content_type == SSL3_RT_HEADER && len == 5) {
        msg_headers++;
        if (write_p && b[0] == SSL3_RT_APPLICATION_DATA)
            last_app_record_len = (size_t)(b[3] << 8 | b[4]);
    }
}

static void test_info_msg(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    SSL *c, *s;
    int arg;
    CHECK(SSL_CTX_get_info_callback(cctx) == NULL);
    SSL_CTX_set_info_callback(cctx, info_cb);
    CHECK(SSL_CTX_get_info_callback(cctx) == info_cb);
    SSL_CTX_set_msg_callback(cctx, msg_cb);
    SSL_CTX_set_msg_callback_arg(cctx, &arg);
    SSL_CTX_set_msg_callback(sctx, msg_cb);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(SSL_get_info_callback(s) == NULL);
    SSL_set_info_callback(s, info_cb2);
    CHECK(SSL_get_info_callback(s) == info_cb2);
    info_start = info_done = 0;
    msg_hello_in = msg_hello_out = msg_headers = 0;
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(info_start, 1);
    CHECK_EQ(info_done, 1);
    CHECK_EQ(msg_hello_out, 1); /* the client wrote one ClientHello */
    CHECK_EQ(msg_hello_in, 1);  /* the server read one */
    /* SSL_CTX_set_msg_callback(3) "SSL3_RT_HEADER: Used when a record is sent or received.
     * The buf contains the record header bytes only." (the full sequence: diff/callbacks) */
    CHECK(msg_headers >= 4);
    /* Removed on a connection under way, it takes effect from the next record. */
    char buf[8];
    SSL_set_msg_callback(c, NULL);
    SSL_set_msg_callback(s, NULL);
    msg_headers = 0;
    CHECK_EQ(SSL_write(c, "abc", 3), 3);
    CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 3);
    CHECK_EQ(msg_headers, 0);
    info_alerts = 0;
    SSL_shutdown(c);
    CHECK(info_alerts >= 1); /* close_notify written */
    drop(cctx, sctx, c, s);

    /* SSL_trace as a msg callback writes a readable trace to the BIO argument. */
    sctx = keel_test_server_ctx(&ec);
    cctx = keel_test_client_ctx(&ec);
    BIO *out = BIO_new(BIO_s_mem());
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    SSL_set_msg_callback(c, SSL_trace);
    SSL_set_msg_callback_arg(c, out);
    CHECK(keel_test_handshake(c, s));
    char *txt;
    long n = BIO_get_mem_data(out, &txt);
    char *copy = OPENSSL_strndup(txt, (size_t)n);
    /* keel's trace format: "Sent|Received <content> (<type>) ..." then "message type <n>". */
    CHECK(copy != NULL && strstr(copy, "Sent Handshake (22)") != NULL);
    CHECK(copy != NULL && strstr(copy, "message type 1,") != NULL);  /* ClientHello */
    CHECK(copy != NULL && strstr(copy, "Received Handshake (22)") != NULL);
    CHECK(copy != NULL && strstr(copy, "message type 2,") != NULL);  /* ServerHello */
    CHECK(copy != NULL && strstr(copy, "message type 20,") != NULL); /* Finished */
    /* the pseudo-messages, by name: each record's header, a TLS 1.3 record's inner type */
    CHECK(copy != NULL && strstr(copy, "Sent RecordHeader (256), version 0x0301, length 5") != NULL);
    CHECK(copy != NULL && strstr(copy, "Received InnerContentType (257), version 0x0304, length 1") != NULL);
    OPENSSL_free(copy);
    BIO_free(out);
    /* Set on a connection made without one (the server's), it sees the records from then on. */
    SSL_set_msg_callback(c, NULL); /* its BIO is gone */
    SSL_set_msg_callback(s, msg_cb);
    msg_headers = 0;
    CHECK_EQ(SSL_write(c, "abcd", 4), 4);
    CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 4);
    CHECK_EQ(msg_headers, 1);
    drop(cctx, sctx, c, s);
}

/* ---- record padding (RFC 8446 §5.4) and max_fragment_length (RFC 6066 §4) ----
 * Record sizes are measured on the wire: the bytes a single SSL_write puts into the BIO pair.
 * tests/diff/fraglen.c holds both to OpenSSL 3.0's record lengths. */

static int pad_calls, pad_type;
static size_t pad_len;
static size_t pad_cb(SSL *s, int type, size_t len, void *arg)
{
    (void)s;
    pad_calls++;
    pad_type = type;
    pad_len = len;
    return (size_t)*(int *)arg;
}

/* The length field of the one record a write of `len` bytes produces (0 on any trouble). */
static size_t wire_record_len(SSL *c, SSL *s, const char *data, size_t len)
{
    char buf[64];
    BIO *in = SSL_get_rbio(s);
    size_t before = BIO_ctrl_pending(in);
    if (SSL_write(c, data, (int)len) != (int)len)
        return 0;
    size_t n = BIO_ctrl_pending(in) - before;
    if (SSL_read(s, buf, sizeof(buf)) != (int)len || memcmp(buf, data, len) != 0)
        return 0;
    return n >= 5 ? n - 5 : 0;
}

static void test_padding(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    SSL *c, *s;
    int extra = 100;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    /* Unpadded TLS 1.3 record: content + type byte + 16-byte tag (RFC 8446 §5.2). */
    CHECK_EQ(wire_record_len(c, s, "hello", 5), 5 + 1 + 16);
    /* SSL_CTX_set_block_padding(3): the TLSInnerPlaintext (content and type) rounded up to a
     * multiple of the block; the peer strips the zeros and reads the same 5 bytes. */
    CHECK_EQ(SSL_set_block_padding(c, 64), 1);
    CHECK_EQ(wire_record_len(c, s, "hello", 5), 64 + 16);
    CHECK_EQ(SSL_set_block_padding(c, 3), 1);
    CHECK_EQ(wire_record_len(c, s, "hello", 5), 6 + 16); /* 6 is a multiple of 3 already */
    CHECK_EQ(SSL_set_block_padding(c, SSL3_RT_MAX_PLAIN_LENGTH + 1), 0); /* too big */
    CHECK_EQ(wire_record_len(c, s, "hello", 5), 6 + 16); /* the previous size stays */
    CHECK_EQ(SSL_set_block_padding(c, 1), 1);             /* 1: no padding */
    CHECK_EQ(wire_record_len(c, s, "hello", 5), 5 + 1 + 16);
    /* The callback: asked with the record type and the length with its type byte; its answer is
     * the padding, and it wins over a block size. */
    CHECK_EQ(SSL_set_block_padding(c, 64), 1);
    CHECK(SSL_get_record_padding_callback_arg(c) == NULL);
    pad_calls = 0;
    CHECK_EQ(SSL_set_record_padding_callback(c, pad_cb), 1);
    SSL_set_record_padding_callback_arg(c, &extra);
    CHECK(SSL_get_record_padding_callback_arg(c) == &extra);
    CHECK_EQ(wire_record_len(c, s, "hello", 5), 5 + 1 + 100 + 16);
    CHECK_EQ(pad_calls, 1);
    CHECK_EQ(pad_type, SSL3_RT_APPLICATION_DATA);
    CHECK_EQ(pad_len, 6);
    /* Never past the send limit: max_send_fragment 512 caps the inner plaintext at 512. */
    extra = 100000;
    CHECK_EQ(SSL_set_max_send_fragment(c, 512), 1);
    CHECK_EQ(wire_record_len(c, s, "hello", 5), 512 + 16);
    CHECK_EQ(SSL_set_record_padding_callback(c, NULL), 1);
    CHECK_EQ(SSL_set_block_padding(c, 0), 1);
    CHECK_EQ(wire_record_len(c, s, "hello", 5), 5 + 1 + 16);
    drop(cctx, sctx, c, s);

    /* The context's settings are inherited; TLS 1.2 records are never padded. */
    extra = 10;
    sctx = keel_test_server_ctx(&ec);
    cctx = keel_test_client_ctx(&ec);
    SSL_CTX_set_record_padding_callback(cctx, pad_cb);
    CHECK(SSL_CTX_get_record_padding_callback_arg(cctx) == NULL);
    SSL_CTX_set_record_padding_callback_arg(cctx, &extra);
    CHECK(SSL_CTX_get_record_padding_callback_arg(cctx) == &extra);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(SSL_get_record_padding_callback_arg(c) == &extra); /* inherited */
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(wire_record_len(c, s, "hello", 5), 5 + 1 + 10 + 16);
    drop(cctx, sctx, c, s);
    sctx = keel_test_server_ctx(&ec);
    cctx = keel_test_client_ctx(&ec);
    CHECK_EQ(SSL_CTX_set_block_padding(cctx, 32), 1);
    SSL_CTX_set_record_padding_callback(cctx, pad_cb);
    CHECK(SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION));
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    pad_calls = 0;
    /* AES-GCM: explicit nonce (8) + content + tag (16), no padding. */
    CHECK_EQ(wire_record_len(c, s, "hello", 5), 8 + 5 + 16);
    CHECK_EQ(pad_calls, 0);
    drop(cctx, sctx, c, s);
}

/* A server's 3000-byte write arrives in records of at most `frag` bytes: their wire length. */
static size_t wire_of_3000(SSL *s, SSL *c)
{
    static char big[3000];
    char tmp[3000];
    memset(big, 'm', sizeof(big));
    BIO *in = SSL_get_rbio(c);
    size_t before = BIO_ctrl_pending(in);
    if (SSL_write(s, big, sizeof(big)) != (int)sizeof(big))
        return 0;
    size_t n = BIO_ctrl_pending(in) - before;
    size_t got = 0;
    while (got < sizeof(big)) {
        int r = SSL_read(c, tmp, sizeof(tmp));
        if (r <= 0 || memcmp(tmp, big, (size_t)r) != 0)
            return 0;
        got += (size_t)r;
    }
    return n;
}

static void test_max_fragment(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    SSL *c, *s;
    char tmp[8];
    /* SSL_CTX_set_tlsext_max_fragment_length(3): codes 0..4; others refused with the reason. */
    CHECK_EQ(SSL_CTX_set_tlsext_max_fragment_length(cctx, 5), 0);
    CHECK_EQ(ERR_GET_REASON(ERR_get_error()), SSL_R_SSL3_EXT_INVALID_MAX_FRAGMENT_LENGTH);
    CHECK_EQ(SSL_CTX_set_tlsext_max_fragment_length(cctx, TLSEXT_max_fragment_length_1024), 1);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK_EQ(SSL_set_tlsext_max_fragment_length(c, 9), 0);
    CHECK_EQ(ERR_GET_REASON(ERR_get_error()), SSL_R_SSL3_EXT_INVALID_MAX_FRAGMENT_LENGTH);
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_SESSION_get_max_fragment_length(SSL_get_session(s)), TLSEXT_max_fragment_length_1024);
    CHECK_EQ(SSL_write(s, "x", 1), 1); /* the tickets go out with it */
    CHECK_EQ(SSL_read(c, tmp, sizeof(tmp)), 1);
    CHECK_EQ(SSL_SESSION_get_max_fragment_length(SSL_get_session(c)), TLSEXT_max_fragment_length_1024);
    /* 3000 bytes: two records of 1024 and one of 952, each + type byte + tag. */
    CHECK_EQ(wire_of_3000(s, c), 2 * (5 + 1024 + 17) + (5 + 952 + 17));
    CHECK_EQ(wire_of_3000(c, s), 2 * (5 + 1024 + 17) + (5 + 952 + 17));
    /* max_send_fragment below the negotiated length still applies. */
    CHECK_EQ(SSL_set_max_send_fragment(s, 600), 1);
    CHECK_EQ(wire_of_3000(s, c), 5 * (5 + 600 + 17));
    drop(cctx, sctx, c, s);

    /* DISABLED asks for nothing: full-size records. */
    sctx = keel_test_server_ctx(&ec);
    cctx = keel_test_client_ctx(&ec);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK_EQ(SSL_set_tlsext_max_fragment_length(c, TLSEXT_max_fragment_length_DISABLED), 1);
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_SESSION_get_max_fragment_length(SSL_get_session(s)), TLSEXT_max_fragment_length_DISABLED);
    CHECK_EQ(wire_of_3000(s, c), 5 + 3000 + 17);
    CHECK_EQ(SSL_SESSION_get_max_fragment_length(SSL_get_session(c)), TLSEXT_max_fragment_length_DISABLED);
    drop(cctx, sctx, c, s);

    /* The SSL's own setting, its context having none: 512-byte records (5 of 512, one of 440). */
    sctx = keel_test_server_ctx(&ec);
    cctx = keel_test_client_ctx(&ec);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK_EQ(SSL_set_tlsext_max_fragment_length(c, TLSEXT_max_fragment_length_512), 1);
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_SESSION_get_max_fragment_length(SSL_get_session(s)), TLSEXT_max_fragment_length_512);
    CHECK_EQ(wire_of_3000(s, c), 5 * (5 + 512 + 17) + (5 + 440 + 17));
    drop(cctx, sctx, c, s);
}

/* ---- signature algorithms and types ---- */

static void test_sigalgs(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    SSL *c, *s;
    CHECK(SSL_CTX_set1_sigalgs_list(cctx, "ECDSA+SHA256:RSA-PSS+SHA256:ed25519"));
    CHECK(SSL_CTX_set1_sigalgs_list(sctx, "ECDSA+SHA256:ECDSA+SHA384"));
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(SSL_set_tlsext_host_name(c, "server.test"));
    CHECK_EQ(SSL_get_servername_type(s), -1);
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_get_servername_type(s), TLSEXT_NAMETYPE_host_name);
    CHECK_EQ(SSL_get_servername_type(c), TLSEXT_NAMETYPE_host_name);

    /* The server signed with ECDSA: the type is the key type. */
    int nid = 0;
    CHECK_EQ(SSL_get_peer_signature_type_nid(c, &nid), 1);
    CHECK_EQ(nid, EVP_PKEY_EC);
    nid = 0;
    CHECK_EQ(SSL_get_signature_type_nid(s, &nid), 1);
    CHECK_EQ(nid, EVP_PKEY_EC);

    /* The server's view of the client's signature_algorithms: 3 entries, in order. */
    int sign, hash, signhash;
    unsigned char rsig, rhash;
    CHECK_EQ(SSL_get_sigalgs(s, -1, NULL, NULL, NULL, NULL, NULL), 3);
    CHECK_EQ(SSL_get_sigalgs(s, 0, &sign, &hash, &signhash, &rsig, &rhash), 3);
    CHECK_EQ(sign, EVP_PKEY_EC);
    CHECK_EQ(hash, NID_sha256);
    CHECK_EQ(signhash, NID_ecdsa_with_SHA256);
    CHECK_EQ(rhash, 0x04); /* ecdsa_secp256r1_sha256 = 0x0403 */
    CHECK_EQ(rsig, 0x03);
    CHECK_EQ(SSL_get_sigalgs(s, 1, &sign, &hash, NULL, &rsig, &rhash), 3);
    CHECK_EQ(sign, EVP_PKEY_RSA_PSS);
    CHECK_EQ(hash, NID_sha256);
    CHECK(rhash == 0x08 && (rsig == 0x04 || rsig == 0x09)); /* rsa_pss_{rsae,pss}_sha256 */
    CHECK_EQ(SSL_get_sigalgs(s, 7, &sign, NULL, NULL, NULL, NULL), 0); /* out of range */
    /* Shared: only ECDSA+SHA256 is in both lists. A negative idx gives 0, as OpenSSL 3.0's does
     * (tests/diff/sigalgs.c); the count comes with any valid idx. */
    CHECK_EQ(SSL_get_shared_sigalgs(s, -1, NULL, NULL, NULL, NULL, NULL), 0);
    sign = hash = 0;
    CHECK_EQ(SSL_get_shared_sigalgs(s, 0, &sign, &hash, &signhash, &rsig, &rhash), 1);
    CHECK_EQ(sign, EVP_PKEY_EC);
    CHECK_EQ(hash, NID_sha256);
    CHECK_EQ(rsig, 0x03);
    CHECK_EQ(rhash, 0x04);
    CHECK_EQ(SSL_get_shared_sigalgs(s, 1, &sign, NULL, NULL, NULL, NULL), 0);
    drop(cctx, sctx, c, s);

    /* An RSA server signs with RSA-PSS. */
    sctx = keel_test_server_ctx(&rsa);
    cctx = keel_test_client_ctx(&rsa);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_get_peer_signature_type_nid(c, &nid), 1);
    CHECK_EQ(nid, EVP_PKEY_RSA_PSS);
    CHECK_EQ(SSL_get_servername_type(s), -1); /* no SNI this time */
    drop(cctx, sctx, c, s);
}

/* ---- post-handshake auth, ticket counts, buffers, read-ahead, SRTP ---- */

static int tickets;
static int count_ticket(SSL *s, SSL_SESSION *ss) { (void)s; (void)ss; tickets++; return 0; }

static void test_connection_knobs(void)
{
    /* SSL_set_post_handshake_auth: without it the server cannot ask for a certificate later. */
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    SSL *c, *s;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    SSL_set_verify(s, SSL_VERIFY_PEER, NULL);
    CHECK_EQ(SSL_verify_client_post_handshake(s), 0);
    CHECK_EQ(ERR_GET_REASON(ERR_peek_last_error()), SSL_R_EXTENSION_NOT_RECEIVED);
    drop(NULL, NULL, c, s);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    SSL_set_post_handshake_auth(c, 1);
    CHECK(keel_test_handshake(c, s));
    SSL_set_verify(s, SSL_VERIFY_PEER, NULL);
    CHECK_EQ(SSL_verify_client_post_handshake(s), 1);
    drop(NULL, NULL, c, s);

    /* SSL_set_num_tickets: the client sees exactly that many NewSessionTickets. */
    SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT);
    SSL_CTX_sess_set_new_cb(cctx, count_ticket);
    for (size_t want = 0; want <= 3; want += 3) {
        char b[4];
        CHECK(keel_test_pair(cctx, sctx, &c, &s));
        CHECK_EQ(SSL_set_num_tickets(s, want), 1);
        CHECK_EQ(SSL_get_num_tickets(s), want);
        tickets = 0;
        CHECK(keel_test_handshake(c, s));
        SSL_read(c, b, sizeof(b));
        CHECK_EQ(tickets, want);
        drop(NULL, NULL, c, s);
    }

    /* SSL_set_read_ahead and the default read buffer length: data still flows. */
    SSL_CTX_set_default_read_buffer_len(sctx, 32768);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    SSL_set_read_ahead(s, 1);
    SSL_set_default_read_buffer_len(c, 1024);
    CHECK_EQ(SSL_get_read_ahead(s), 1);
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_write(c, "one", 3), 3);
    CHECK_EQ(SSL_write(c, "two", 3), 3);
    char buf[16];
    CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 3);
    CHECK(memcmp(buf, "one", 3) == 0);
    CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 3);
    CHECK(memcmp(buf, "two", 3) == 0);

    /* SSL_free_buffers: 1 when nothing is buffered, 0 while a record is half read. */
    CHECK_EQ(SSL_free_buffers(s), 1);
    CHECK_EQ(SSL_alloc_buffers(s), 1);
    CHECK_EQ(SSL_write(c, "0123456789", 10), 10);
    CHECK_EQ(SSL_read(s, buf, 4), 4);
    CHECK_EQ(SSL_free_buffers(s), 0); /* 6 bytes still pending */
    CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 6);
    CHECK(memcmp(buf, "456789", 6) == 0);
    CHECK_EQ(SSL_free_buffers(s), 1);
    CHECK_EQ(SSL_write(c, "after", 5), 5);
    CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 5); /* buffers come back on demand */
    CHECK(memcmp(buf, "after", 5) == 0);
    drop(cctx, sctx, c, s);

    /* SSL_get_srtp_profiles: the configured list. */
    sctx = keel_test_server_ctx(&ec);
    s = SSL_new(sctx);
    CHECK(SSL_get_srtp_profiles(s) == NULL);
    /* SSL_set_tlsext_use_srtp is an honest failure in keel (returns 1 = error, tested in
     * surface.c), so the list stays empty. If it ever succeeds, the list must be as configured. */
    int r = SSL_set_tlsext_use_srtp(s, "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM");
    ERR_clear_error();
    STACK_OF(SRTP_PROTECTION_PROFILE) *pl = SSL_get_srtp_profiles(s);
    if (r != 0) {
        CHECK(pl == NULL);
    } else {
        CHECK(pl != NULL && sk_SRTP_PROTECTION_PROFILE_num(pl) == 2);
        if (pl != NULL && sk_SRTP_PROTECTION_PROFILE_num(pl) == 2) {
            CHECK_EQ(sk_SRTP_PROTECTION_PROFILE_value(pl, 0)->id, SRTP_AES128_CM_SHA1_80);
            CHECK_EQ(sk_SRTP_PROTECTION_PROFILE_value(pl, 1)->id, SRTP_AEAD_AES_128_GCM);
        }
    }
    SSL_free(s);
    SSL_CTX_free(sctx);
    ERR_clear_error();
}

int main(void)
{
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    CHECK(keel_test_make_chain(&rsa, KT_RSA2048, "server.test", 30));
    test_session_fields();
    test_pem_session();
    test_cache_callbacks();
    test_ctx_settings();
    test_info_msg();
    test_padding();
    test_max_fragment();
    test_sigalgs();
    test_connection_knobs();
    keel_test_chain_free(&ec);
    keel_test_chain_free(&rsa);
    return keel_test_finish("surface4");
}
