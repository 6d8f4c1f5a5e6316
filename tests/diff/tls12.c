/* Differential probe (tests/diff/run.sh): compiled against the SYSTEM <openssl/ssl.h> and run once
 * on the system libssl and once on keel's (LD_LIBRARY_PATH); the two outputs must be identical.
 * TLS 1.2 as the application sees it, both ends in this process on the same library:
 *   - the info callback's sequence (OpenSSL's TLS 1.2 states) and the message callback's
 *     (direction, version, content type, handshake type) for a full handshake, a resumption by
 *     ticket and one by session id, with and without client authentication;
 *   - what was negotiated: version, suite, signature type, the certificate a dual-certificate server
 *     sends for each suite, SSL_OP_CIPHER_SERVER_PREFERENCE, the extended master secret and secure
 *     renegotiation flags, the downgrade sentinel (RFC 8446 §4.1.3) in server_random;
 *   - both ends agree: Finished, master secret, RFC 5705 exporter (and OpenSSL's refusal of the
 *     PRF's own labels), sessions (version, suite, id, ticket, master key length);
 *   - the alert names (SSL_alert_desc_string, _long) of every value;
 *   - failures, with the reason each side raises: protocol versions that do not meet (not TLS
 *     1.1: OpenSSL's client offers it and its server fails later for want of a signature
 *     algorithm the level allows; keel's client offers no version below 1.2 — docs/COMPAT.md),
 *     TLS_FALLBACK_SCSV (RFC 7507), a required client certificate missing, no shared suite, and
 *     TLS 1.3-only calls (SSL_key_update, SSL_verify_client_post_handshake) on a 1.2 connection. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "tls.h"

static keel_test_chain ec, rsa, ed, pss;

static int log_info = 0, log_msg = 0;

static void info_cb(const SSL *s, int where, int ret)
{
    if (!log_info)
        return;
    const char *side = SSL_is_server((SSL *)s) ? "S" : "C";
    if (where & SSL_CB_ALERT)
        printf("  %s alert %s %s:%s\n", side, (where & SSL_CB_READ) ? "read" : "write",
               SSL_alert_type_string(ret), SSL_alert_desc_string_long(ret));
    else if (where & SSL_CB_HANDSHAKE_START)
        printf("  %s start\n", side);
    else if (where & SSL_CB_HANDSHAKE_DONE)
        printf("  %s done\n", side);
    else if (where & SSL_CB_LOOP)
        printf("  %s loop %s\n", side, SSL_state_string_long(s));
    else if (where & SSL_CB_EXIT)
        printf("  %s exit %d %s\n", side, ret, SSL_state_string_long(s));
}

/* The message callback's lines are kept apart and printed after the handshake: the sequence is
 * compared, not how it interleaves with the info callback's. */
static char msgs[8192];

static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len, SSL *s,
                   void *arg)
{
    (void)arg;
    if (!log_msg || content_type == SSL3_RT_HEADER || content_type == SSL3_RT_INNER_CONTENT_TYPE)
        return;
    const unsigned char *p = buf;
    char line[80];
    int n = snprintf(line, sizeof(line), "  %s %s %04x ct=%d", SSL_is_server(s) ? "S" : "C",
                     write_p ? "sent" : "got ", version, content_type);
    if (content_type == SSL3_RT_HANDSHAKE && len > 0)
        n += snprintf(line + n, sizeof(line) - n, " hs=%d", p[0]);
    if (content_type == SSL3_RT_ALERT && len == 2)
        n += snprintf(line + n, sizeof(line) - n, " alert=%d,%d", p[0], p[1]);
    snprintf(line + n, sizeof(line) - n, "\n");
    if (strlen(msgs) + strlen(line) < sizeof(msgs))
        strcat(msgs, line);
}

static void print_msgs(void)
{
    if (msgs[0] != 0)
        printf(" messages:\n%s", msgs);
    msgs[0] = 0;
}

/* Every reason on the (thread's, so both ends') error queue, oldest first; the queue is left. */
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

static void use(SSL_CTX *c, const keel_test_chain *k)
{
    SSL_CTX_use_certificate(c, k->leaf);
    SSL_CTX_use_PrivateKey(c, k->leaf_key);
}

/* A server with one certificate (k), or EC when k is NULL. */
static SSL_CTX *server_ctx_k(int max, const keel_test_chain *k)
{
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    if (max)
        SSL_CTX_set_max_proto_version(c, max);
    use(c, k != NULL ? k : &ec);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c), ec.ca);
    SSL_CTX_set_session_id_context(c, (const unsigned char *)"tls12", 5);
    SSL_CTX_set_info_callback(c, info_cb);
    SSL_CTX_set_msg_callback(c, msg_cb);
    return c;
}

static SSL_CTX *server_ctx(int max)
{
    return server_ctx_k(max, NULL);
}

static SSL_CTX *client_ctx(int max)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    if (max)
        SSL_CTX_set_max_proto_version(c, max);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c), ec.ca);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT);
    SSL_CTX_set_info_callback(c, info_cb);
    SSL_CTX_set_msg_callback(c, msg_cb);
    return c;
}

static int pair(SSL_CTX *cc, SSL_CTX *sc, SSL **c, SSL **s)
{
    if (!keel_test_pair(cc, sc, c, s))
        return 0;
    SSL_set_tlsext_host_name(*c, "localhost");
    return 1;
}

/* Marked shut down, so that SSL_free keeps the session resumable (SSL_free(3)). */
static void done(SSL *c, SSL *s)
{
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(c);
    SSL_free(s);
}

static int same_bytes(size_t (*get)(const SSL *, void *, size_t), SSL *a,
                      size_t (*peer)(const SSL *, void *, size_t), SSL *b)
{
    unsigned char x[64], y[64];
    size_t n = get(a, x, sizeof(x)), m = peer(b, y, sizeof(y));
    return n > 0 && n == m && memcmp(x, y, n) == 0;
}

static void negotiated(SSL *c, SSL *s)
{
    int nid = 0;
    unsigned char sr[32];
    static const unsigned char sentinel[8] = { 0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01 };
    X509 *leaf = SSL_get0_peer_certificate(c);
    SSL_get_peer_signature_type_nid(c, &nid);
    SSL_get_server_random(c, sr, sizeof(sr));
    printf("  %s %s sigtype %s peer key %s, reused %d/%d, extms %ld/%ld, secure reneg %ld/%ld,"
           " sentinel %d\n",
           SSL_get_version(c), SSL_get_cipher_name(c), OBJ_nid2sn(nid),
           leaf ? OBJ_nid2sn(EVP_PKEY_get_base_id(X509_get0_pubkey(leaf))) : "none",
           SSL_session_reused(c), SSL_session_reused(s), (long)SSL_get_extms_support(c),
           (long)SSL_get_extms_support(s), SSL_get_secure_renegotiation_support(c),
           SSL_get_secure_renegotiation_support(s), memcmp(sr + 24, sentinel, 8) == 0);
}

static void agree(SSL *c, SSL *s)
{
    unsigned char a[32], b[32], ka[48], kb[48];
    printf("  finished c->s %d s->c %d",
           same_bytes(SSL_get_finished, c, SSL_get_peer_finished, s),
           same_bytes(SSL_get_finished, s, SSL_get_peer_finished, c));
    size_t na = SSL_SESSION_get_master_key(SSL_get_session(c), ka, sizeof(ka));
    size_t nb = SSL_SESSION_get_master_key(SSL_get_session(s), kb, sizeof(kb));
    printf(", master %zu equal %d", na, na == nb && memcmp(ka, kb, na) == 0);
    int r1 = SSL_export_keying_material(c, a, sizeof(a), "EXPERIMENTAL x", 14, (const unsigned char *)"ctx", 3, 1);
    int r2 = SSL_export_keying_material(s, b, sizeof(b), "EXPERIMENTAL x", 14, (const unsigned char *)"ctx", 3, 1);
    printf(", export %d %d equal %d", r1, r2, r1 == 1 && r2 == 1 && memcmp(a, b, sizeof(a)) == 0);
    r1 = SSL_export_keying_material(c, a, sizeof(a), "EXPERIMENTAL x", 14, NULL, 0, 0);
    r2 = SSL_export_keying_material(c, b, sizeof(b), "EXPERIMENTAL x", 14, NULL, 0, 1);
    printf(", no-context differs from empty %d", r1 == 1 && r2 == 1 && memcmp(a, b, sizeof(a)) != 0);
    ERR_clear_error();
    r1 = SSL_export_keying_material(c, a, sizeof(a), "key expansion", 13, NULL, 0, 0);
    printf(", reserved label %d\n", r1);
    reason("exporter");
    ERR_clear_error();
}

static void session(const char *who, SSL *x)
{
    SSL_SESSION *ss = SSL_get_session(x);
    unsigned int idlen = 0;
    if (ss == NULL) {
        printf("  %s session: none\n", who);
        return;
    }
    SSL_SESSION_get_id(ss, &idlen);
    printf("  %s session: version %x, cipher %s, id %u, ticket %d, resumable %d, master %zu\n", who,
           SSL_SESSION_get_protocol_version(ss), SSL_CIPHER_get_name(SSL_SESSION_get0_cipher(ss)),
           idlen, SSL_SESSION_has_ticket(ss), SSL_SESSION_is_resumable(ss),
           SSL_SESSION_get_master_key(ss, NULL, 0));
}

static void data(SSL *c, SSL *s)
{
    char buf[16];
    int w = SSL_write(c, "ping", 4), r = SSL_read(s, buf, sizeof(buf));
    int w2 = SSL_write(s, "pong!", 5), r2 = SSL_read(c, buf, sizeof(buf));
    printf("  data %d %d %d %d\n", w, r, w2, r2);
}

/* One handshake; returns the client's session (a new reference) when asked. */
static SSL_SESSION *run(const char *name, SSL_CTX *cc, SSL_CTX *sc, SSL_SESSION *resume, int logs)
{
    SSL *c, *s;
    SSL_SESSION *out = NULL;
    printf("%s\n", name);
    if (!pair(cc, sc, &c, &s))
        return NULL;
    if (resume != NULL)
        SSL_set_session(c, resume);
    log_info = log_msg = logs;
    int ok = keel_test_handshake(c, s);
    log_info = log_msg = 0;
    print_msgs();
    if (!ok) {
        printf("  handshake failed\n");
        reason("both ends'");
        ERR_clear_error();
        /* the server's own failure or what it received */
        printf("  server state %s\n", SSL_state_string_long(s));
    } else {
        negotiated(c, s);
        agree(c, s);
        data(c, s);
        session("client", c);
        session("server", s);
        out = SSL_get1_session(c);
    }
    ERR_clear_error();
    done(c, s);
    return out;
}

static void free_ctx(SSL_CTX *a, SSL_CTX *b)
{
    SSL_CTX_free(a);
    SSL_CTX_free(b);
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
    /* One CA for every leaf (the client trusts it alone). */
    if (!keel_test_make_chain(&ec, KT_EC_P256, "localhost", 30)
            || !keel_test_make_chain(&rsa, KT_RSA2048, "localhost", 30)
            || !keel_test_make_chain(&ed, KT_ED25519, "localhost", 30)
            || !keel_test_make_chain(&pss, KT_RSA_PSS, "localhost", 30))
        return 1;
    keel_test_chain *others[] = { &rsa, &ed, &pss };
    for (int i = 0; i < 3; i++) {
        X509_free(others[i]->leaf);
        others[i]->leaf = keel_test_cert("localhost", others[i]->leaf_key, ec.ca, ec.ca_key, 0);
        if (others[i]->leaf == NULL)
            return 1;
    }

    /* A client capped at TLS 1.2 against a 1.3-capable server: full, then resumed by ticket. */
    SSL_CTX *cc = client_ctx(TLS1_2_VERSION), *sc = server_ctx(0);
    SSL_SESSION *ss = run("full, client max 1.2", cc, sc, NULL, 1);
    SSL_SESSION *ss2 = run("resumed by ticket", cc, sc, ss, 1);
    SSL_SESSION_free(ss2);
    SSL_SESSION_free(ss);
    free_ctx(cc, sc);

    /* Session ids in the server cache (SSL_OP_NO_TICKET); the server capped at 1.2 (no
     * sentinel: the server cannot do 1.3). */
    cc = client_ctx(0);
    sc = server_ctx(TLS1_2_VERSION);
    SSL_CTX_set_options(sc, SSL_OP_NO_TICKET);
    ss = run("full, server max 1.2, no tickets", cc, sc, NULL, 1);
    ss2 = run("resumed by session id", cc, sc, ss, 1);
    SSL_SESSION_free(ss2);
    /* a 1.2 session offered to a server that now allows 1.3 is not resumed */
    SSL_CTX *sc13 = server_ctx(0);
    SSL_CTX_set_session_id_context(sc13, (const unsigned char *)"tls12", 5);
    ss2 = run("1.2 session offered, 1.3 negotiated", cc, sc13, ss, 0);
    SSL_SESSION_free(ss2);
    SSL_CTX_free(sc13);
    SSL_SESSION_free(ss);
    free_ctx(cc, sc);

    /* Every suite with the key types it can use; each key type's signature. */
    static const struct { const char *suite; keel_test_chain *k; } suites[] = {
        { "ECDHE-ECDSA-AES128-GCM-SHA256", &ec }, { "ECDHE-ECDSA-AES256-GCM-SHA384", &ec },
        { "ECDHE-ECDSA-CHACHA20-POLY1305", &ec }, { "ECDHE-ECDSA-AES128-GCM-SHA256", &ed },
        { "ECDHE-RSA-AES128-GCM-SHA256", &rsa }, { "ECDHE-RSA-AES256-GCM-SHA384", &rsa },
        { "ECDHE-RSA-CHACHA20-POLY1305", &rsa }, { "ECDHE-RSA-AES256-GCM-SHA384", &pss },
    };
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        char name[128];
        cc = client_ctx(TLS1_2_VERSION);
        sc = server_ctx_k(0, suites[i].k);
        SSL_CTX_set_cipher_list(cc, suites[i].suite);
        snprintf(name, sizeof(name), "suite %s, key %zu", suites[i].suite, i);
        SSL_SESSION_free(run(name, cc, sc, NULL, 0));
        free_ctx(cc, sc);
    }
    /* Groups (with an RSA certificate; with an ECDSA one OpenSSL also requires the certificate's
     * curve among them), and RSA PKCS#1 v1.5 when the client offers nothing better. */
    static const char *const groups[] = { "X25519", "X448", "P-256", "P-384", "P-521" };
    for (size_t i = 0; i < 10; i++) {
        cc = client_ctx(TLS1_2_VERSION);
        sc = server_ctx_k(0, i < 5 ? &rsa : &ec);
        SSL_CTX_set1_groups_list(cc, groups[i % 5]);
        printf("group %s, %s certificate: ", groups[i % 5], i < 5 ? "RSA" : "EC");
        SSL_SESSION_free(run("", cc, sc, NULL, 0));
        free_ctx(cc, sc);
    }
    cc = client_ctx(TLS1_2_VERSION);
    sc = server_ctx_k(0, &rsa);
    SSL_CTX_set1_sigalgs_list(cc, "RSA+SHA256:RSA+SHA384");
    SSL_SESSION_free(run("rsa_pkcs1 only", cc, sc, NULL, 0));
    free_ctx(cc, sc);

    /* A dual-certificate server: the suite decides which certificate goes out. */
    static const char *const dual[] = { "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256",
                                        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
                                        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256" };
    for (int pref = 0; pref < 2; pref++)
        for (size_t i = 0; i < 4; i++) {
            char name[160];
            cc = client_ctx(TLS1_2_VERSION);
            sc = server_ctx(0);
            use(sc, &rsa);
            SSL_CTX_set_cipher_list(cc, dual[i]);
            if (pref)
                SSL_CTX_set_options(sc, SSL_OP_CIPHER_SERVER_PREFERENCE);
            snprintf(name, sizeof(name), "dual, server preference %d, client %s", pref, dual[i]);
            SSL_SESSION_free(run(name, cc, sc, NULL, 0));
            free_ctx(cc, sc);
        }

    /* Client authentication: required and given, then required and missing. */
    cc = client_ctx(TLS1_2_VERSION);
    sc = server_ctx(0);
    SSL_CTX_set_verify(sc, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_SESSION_free(run("client certificate missing", cc, sc, NULL, 1));
    SSL_CTX_use_certificate(cc, ec.leaf);
    SSL_CTX_use_PrivateKey(cc, ec.leaf_key);
    SSL_SESSION_free(run("client certificate", cc, sc, NULL, 1));
    free_ctx(cc, sc);

    /* Versions that do not meet; TLS_FALLBACK_SCSV; no shared suite; no EMS. */
    cc = client_ctx(0);
    SSL_CTX_set_min_proto_version(cc, TLS1_3_VERSION);
    sc = server_ctx(TLS1_2_VERSION);
    SSL_SESSION_free(run("client min 1.3, server max 1.2", cc, sc, NULL, 1));
    free_ctx(cc, sc);
    cc = client_ctx(TLS1_2_VERSION);
    SSL_CTX_set_mode(cc, SSL_MODE_SEND_FALLBACK_SCSV);
    sc = server_ctx(0);
    SSL_SESSION_free(run("fallback SCSV to a 1.3 server", cc, sc, NULL, 1));
    SSL_CTX_set_max_proto_version(sc, TLS1_2_VERSION);
    SSL_SESSION_free(run("fallback SCSV to a 1.2 server", cc, sc, NULL, 0));
    free_ctx(cc, sc);
    cc = client_ctx(TLS1_2_VERSION);
    sc = server_ctx(0);
    SSL_CTX_set_cipher_list(cc, "ECDHE-RSA-AES128-GCM-SHA256");
    SSL_SESSION_free(run("no shared suite (ECDSA server, RSA suite)", cc, sc, NULL, 1));
    free_ctx(cc, sc);
    for (int side = 0; side < 2; side++) {
        cc = client_ctx(TLS1_2_VERSION);
        sc = server_ctx(0);
        SSL_CTX_set_options(side ? sc : cc, SSL_OP_NO_EXTENDED_MASTER_SECRET);
        SSL_SESSION_free(run(side ? "server without EMS" : "client without EMS", cc, sc, NULL, 0));
        free_ctx(cc, sc);
    }

    /* TLS 1.3-only calls on a TLS 1.2 connection. */
    cc = client_ctx(TLS1_2_VERSION);
    sc = server_ctx(0);
    SSL *c, *s;
    if (pair(cc, sc, &c, &s) && keel_test_handshake(c, s)) {
        printf("1.3-only calls\n  key_update %d\n", SSL_key_update(c, SSL_KEY_UPDATE_REQUESTED));
        reason("key_update");
        ERR_clear_error();
        printf("  verify_client_post_handshake %d\n", SSL_verify_client_post_handshake(s));
        reason("verify_client_post_handshake");
        ERR_clear_error();
        done(c, s);
    }
    free_ctx(cc, sc);

    /* The alert names applications print (SSL_alert_desc_string(3)). */
    printf("alert names\n");
    for (int v = 0; v < 256; v++)
        if (strcmp(SSL_alert_desc_string(v), "UK") != 0 || strcmp(SSL_alert_desc_string_long(v), "unknown") != 0)
            printf("  %d %s %s\n", v, SSL_alert_desc_string(v), SSL_alert_desc_string_long(v));

    keel_test_chain_free(&ec);
    keel_test_chain_free(&rsa);
    keel_test_chain_free(&ed);
    keel_test_chain_free(&pss);
    return 0;
}
