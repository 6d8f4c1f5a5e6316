/* Differential probe (tests/diff/run.sh): OCSP stapling (RFC 6066 §8, RFC 8446 §4.4.2.1) as the
 * application sees it, both ends in this process on the same library, TLS 1.2 and TLS 1.3:
 *   - when each status callback (SSL_CTX_set_tlsext_status_cb(3)) is called, shown in the message
 *     callback's sequence (so the CertificateStatus message and the callbacks' places compare);
 *   - what each callback sees: SSL_get_tlsext_status_type, the certificate, the responder ids and
 *     request extensions the client set, the stapled response (SSL_get_tlsext_status_ocsp_resp);
 *   - the server callback's answers (OK with and without a response, NOACK, ALERT_FATAL, other
 *     values) and the client callback's (1, 0, -1): the result, alerts and reasons of each;
 *   - no callback on a resumption, none without a request, the client's callback without its own
 *     status request, the response after the handshake on both ends. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "tls.h"

static keel_test_chain ec;
static char msgs[8192], states[1024];
static const unsigned char fake_resp[] = "a stapled OCSP response (not DER: keel and OpenSSL pass it on)";

static void add_to(char *buf, size_t size, const char *line)
{
    if (strlen(buf) + strlen(line) < size)
        strcat(buf, line);
}

static void add(const char *line)
{
    add_to(msgs, sizeof(msgs), line);
}

static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len, SSL *s,
                   void *arg)
{
    (void)arg;
    (void)version;
    /* A received TLS 1.3 compatibility change_cipher_spec: keel shows it, OpenSSL 3.0 does not
     * (not this probe's subject). */
    if (content_type == SSL3_RT_HEADER || content_type == SSL3_RT_INNER_CONTENT_TYPE
            || (content_type == SSL3_RT_CHANGE_CIPHER_SPEC && !write_p && SSL_version(s) == TLS1_3_VERSION))
        return;
    const unsigned char *p = buf;
    char line[80];
    int n = snprintf(line, sizeof(line), "  %s %s ct=%d", SSL_is_server(s) ? "S" : "C",
                     write_p ? "sent" : "got ", content_type);
    /* Lengths of the Certificate and CertificateStatus only: signatures vary, hellos differ. */
    if (content_type == SSL3_RT_HANDSHAKE && len > 0)
        n += snprintf(line + n, sizeof(line) - n, " hs=%d", p[0]);
    if (content_type == SSL3_RT_HANDSHAKE && len > 0 && p[0] == 22)
        n += snprintf(line + n, sizeof(line) - n, " len=%zu", len);
    /* The Certificate's bytes beyond the leaf alone (header, lists, TLS 1.3 entry extensions):
     * the leaf's own length changes from run to run. */
    if (content_type == SSL3_RT_HANDSHAKE && len > 0 && p[0] == 11)
        n += snprintf(line + n, sizeof(line) - n, " beyond leaf=%ld",
                      (long)len - (long)i2d_X509(ec.leaf, NULL));
    if (content_type == SSL3_RT_ALERT && len == 2)
        n += snprintf(line + n, sizeof(line) - n, " alert=%d,%d", p[0], p[1]);
    snprintf(line + n, sizeof(line) - n, "\n");
    add(line);
}

/* The certificate status states the info callback passes through, kept apart from the messages
 * (how the two callbacks interleave is not compared). */
static void info_cb(const SSL *s, int where, int ret)
{
    (void)ret;
    char line[96];
    if (where & SSL_CB_LOOP) {
        const char *st = SSL_state_string_long(s);
        if (strstr(st, "certificate status") != NULL) {
            snprintf(line, sizeof(line), "  %s state %s (%s)\n", SSL_is_server((SSL *)s) ? "S" : "C", st,
                     SSL_state_string(s));
            add_to(states, sizeof(states), line);
        }
    }
}

/* What the callbacks answer, per case. */
static int server_ret, server_sets, client_ret;
static long server_len;  /* length given to SSL_set_tlsext_status_ocsp_resp */

static int server_cb(SSL *s, void *arg)
{
    char line[200];
    STACK_OF(OCSP_RESPID) *ids = NULL;
    STACK_OF(X509_EXTENSION) *exts = NULL;
    SSL_get_tlsext_status_ids(s, &ids);
    SSL_get_tlsext_status_exts(s, &exts);
    snprintf(line, sizeof(line), "  S status cb arg %s type %ld cert %d ids %d exts %d\n",
             (const char *)arg, SSL_get_tlsext_status_type(s), SSL_get_certificate(s) != NULL,
             ids ? sk_OCSP_RESPID_num(ids) : -1, exts ? sk_X509_EXTENSION_num(exts) : -1);
    add(line);
    if (server_sets) {
        unsigned char *r = OPENSSL_memdup(fake_resp, sizeof(fake_resp));
        long ok = SSL_set_tlsext_status_ocsp_resp(s, r, server_len);
        snprintf(line, sizeof(line), "  S set resp %ld\n", ok);
        add(line);
    }
    return server_ret;
}

static int client_cb(SSL *s, void *arg)
{
    char line[200];
    const unsigned char *resp = NULL;
    long len = SSL_get_tlsext_status_ocsp_resp(s, &resp);
    snprintf(line, sizeof(line), "  C status cb arg %s type %ld peer cert %d resp %ld %s\n",
             (const char *)arg, SSL_get_tlsext_status_type(s), SSL_get0_peer_certificate(s) != NULL,
             len, resp == NULL ? "null" : len > 0 && memcmp(resp, fake_resp, (size_t)len) == 0
                                          ? "ours" : "other");
    add(line);
    return client_ret;
}

static void reason(const char *who)
{
    unsigned long e;
    int n = 0;
    printf("  %s reasons:", who);
    for (int i = 0; (e = ERR_peek_error_all(NULL, NULL, NULL, NULL, NULL)) != 0 && i < 8; i++) {
        printf(" [%s]", ERR_reason_error_string(e));
        ERR_get_error();
        n++;
    }
    printf("%s\n", n ? "" : " none");
}

static SSL_CTX *server_ctx(int version)
{
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(c, version);
    SSL_CTX_set_max_proto_version(c, version);
    SSL_CTX_use_certificate(c, ec.leaf);
    SSL_CTX_use_PrivateKey(c, ec.leaf_key);
    SSL_CTX_set_session_id_context(c, (const unsigned char *)"ocsp", 4);
    SSL_CTX_set_msg_callback(c, msg_cb);
    SSL_CTX_set_info_callback(c, info_cb);
    SSL_CTX_set_tlsext_status_cb(c, server_cb);
    SSL_CTX_set_tlsext_status_arg(c, "server");
    return c;
}

static SSL_CTX *client_ctx(int version, int type, int cb)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(c, version);
    SSL_CTX_set_max_proto_version(c, version);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c), ec.ca);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_msg_callback(c, msg_cb);
    SSL_CTX_set_info_callback(c, info_cb);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT);
    if (type) {
        long r = SSL_CTX_set_tlsext_status_type(c, TLSEXT_STATUSTYPE_ocsp);
        printf("  ctx set type %ld get %ld\n", r, SSL_CTX_get_tlsext_status_type(c));
    }
    if (cb) {
        SSL_CTX_set_tlsext_status_cb(c, client_cb);
        SSL_CTX_set_tlsext_status_arg(c, "client");
    }
    return c;
}

/* One handshake; the session (client's) is returned when asked for. */
static SSL_SESSION *run(const char *name, SSL_CTX *cc, SSL_CTX *sc, SSL_SESSION *resume, int ids)
{
    SSL *c, *s;
    printf("%s:\n", name);
    msgs[0] = 0;
    if (!keel_test_pair(cc, sc, &c, &s))
        return NULL;
    SSL_set_tlsext_host_name(c, "localhost");
    if (resume != NULL)
        SSL_set_session(c, resume);
    if (ids) {
        /* A responder id by name and a nonce request extension (RFC 6066 §8). */
        STACK_OF(OCSP_RESPID) *list = sk_OCSP_RESPID_new_null();
        OCSP_RESPID *id = OCSP_RESPID_new();
        OCSP_RESPID_set_by_name(id, ec.ca);
        sk_OCSP_RESPID_push(list, id);
        SSL_set_tlsext_status_ids(c, list);
        STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
        OCSP_REQUEST *req = OCSP_REQUEST_new();
        OCSP_request_add1_nonce(req, (unsigned char *)"0123456789abcdef", 16);
        sk_X509_EXTENSION_push(exts, X509_EXTENSION_dup(OCSP_REQUEST_get_ext(req, 0)));
        OCSP_REQUEST_free(req);
        SSL_set_tlsext_status_exts(c, exts);
    }
    printf("  type before: client %ld server %ld\n", SSL_get_tlsext_status_type(c),
           SSL_get_tlsext_status_type(s));
    int ok = keel_test_handshake(c, s);
    if (ok) { /* the TLS 1.3 server's tickets */
        unsigned char b[8];
        SSL_read(c, b, sizeof(b));
        ERR_clear_error();
    }
    printf("  handshake %s, reused %d\n", ok ? "ok" : "failed", SSL_session_reused(c));
    reason("handshake");
    printf(" messages:\n%s", msgs);
    printf(" states:\n%s", states);
    states[0] = 0;
    const unsigned char *r = NULL;
    long cl = SSL_get_tlsext_status_ocsp_resp(c, &r);
    int cn = r != NULL;
    r = NULL;
    long sl = SSL_get_tlsext_status_ocsp_resp(s, &r);
    printf("  after: type client %ld server %ld, resp client %ld%s server %ld%s\n",
           SSL_get_tlsext_status_type(c), SSL_get_tlsext_status_type(s), cl, cn ? "" : " null", sl,
           r != NULL ? "" : " null");
    SSL_SESSION *ss = ok && resume == NULL ? SSL_get1_session(c) : NULL;
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(c);
    SSL_free(s);
    ERR_clear_error();
    return ss;
}

static void one(int version, const char *name, int type, int ccb, int sret, int sets, long slen,
                int cret)
{
    char title[160];
    SSL_CTX *cc = client_ctx(version, type, ccb), *sc = server_ctx(version);
    server_ret = sret, server_sets = sets, server_len = slen, client_ret = cret;
    snprintf(title, sizeof(title), "%s %s", version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2", name);
    SSL_SESSION_free(run(title, cc, sc, NULL, 0));
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--which") == 0) {
        Dl_info info;
        dladdr((void *)SSL_new, &info);
        printf("%s\n", info.dli_fname);
        return 0;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_LOAD_SSL_STRINGS, NULL);
    if (!keel_test_make_chain(&ec, KT_EC_P256, "localhost", 30))
        return 1;
    long n = (long)sizeof(fake_resp);
    static const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };
    for (int i = 0; i < 2; i++) {
        int v = versions[i];
        one(v, "stapled, client accepts", 1, 1, SSL_TLSEXT_ERR_OK, 1, n, 1);
        one(v, "server OK without a response", 1, 1, SSL_TLSEXT_ERR_OK, 0, 0, 1);
        one(v, "server OK, empty response set", 1, 1, SSL_TLSEXT_ERR_OK, 1, 0, 1);
        one(v, "server NOACK with a response set", 1, 1, SSL_TLSEXT_ERR_NOACK, 1, n, 1);
        one(v, "server ALERT_FATAL", 1, 1, SSL_TLSEXT_ERR_ALERT_FATAL, 0, 0, 1);
        one(v, "server returns ALERT_WARNING", 1, 1, SSL_TLSEXT_ERR_ALERT_WARNING, 0, 0, 1);
        one(v, "client callback refuses (0)", 1, 1, SSL_TLSEXT_ERR_OK, 1, n, 0);
        one(v, "client callback fails (-1)", 1, 1, SSL_TLSEXT_ERR_OK, 1, n, -1);
        one(v, "client refuses no response (0)", 1, 1, SSL_TLSEXT_ERR_NOACK, 0, 0, 0);
        one(v, "client without a request, with a callback", 0, 1, SSL_TLSEXT_ERR_OK, 1, n, 1);
        one(v, "client requests, no callback", 1, 0, SSL_TLSEXT_ERR_OK, 1, n, 1);

        /* Responder ids and request extensions, then a resumption. */
        SSL_CTX *cc = client_ctx(v, 1, 1), *sc = server_ctx(v);
        server_ret = SSL_TLSEXT_ERR_OK, server_sets = 1, server_len = n, client_ret = 1;
        SSL_SESSION *ss = run(v == TLS1_3_VERSION ? "TLSv1.3 ids and exts" : "TLSv1.2 ids and exts",
                              cc, sc, NULL, 1);
        SSL_SESSION_free(run("  resumed", cc, sc, ss, 0));
        SSL_SESSION_free(ss);
        SSL_CTX_set_options(sc, SSL_OP_NO_TICKET);
        ss = run("  session id, full", cc, sc, NULL, 0);
        SSL_SESSION_free(run("  session id, resumed", cc, sc, ss, 0));
        SSL_SESSION_free(ss);
        SSL_CTX_free(cc);
        SSL_CTX_free(sc);

        /* SSL_set_tlsext_status_type on the SSL, the context unset. */
        cc = client_ctx(v, 0, 1);
        sc = server_ctx(v);
        SSL *c = SSL_new(cc);
        long r = SSL_get_tlsext_status_type(c);
        long r2 = SSL_set_tlsext_status_type(c, TLSEXT_STATUSTYPE_ocsp);
        printf("ssl type %ld, set %ld, get %ld, ctx %ld\n", r, r2, SSL_get_tlsext_status_type(c),
               SSL_CTX_get_tlsext_status_type(cc));
        SSL_free(c);
        SSL_CTX_free(cc);
        SSL_CTX_free(sc);
    }
    keel_test_chain_free(&ec);
    return 0;
}
