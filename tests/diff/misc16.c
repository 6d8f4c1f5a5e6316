/* Differential probe (tests/diff/run.sh), issue #16's remaining differences:
 *   1. the record front before the ClientHello: bytes that look like an SSL 2.0 record header
 *      (top bit set: 0xff..., a real SSLv2 CLIENT-HELLO, short and long ones) and TLS headers with
 *      bad lengths: SSL_get_error, the libssl reasons, the alert written back;
 *   2. SSL_clear on a server SSL after a handshake with client authentication: the peer
 *      certificate and the peer chain it keeps;
 *   3. how often the PSK find-session (and legacy server) callback is called when a
 *      HelloRetryRequest makes the client send a second ClientHello;
 *   4. SSL_has_matching_session_id on a fresh SSL, an SSL of a TLS 1.2 method and after a
 *      handshake, with the session in the server's cache;
 *   5. the session expiry boundary: SSL_CTX_flush_sessions and a session-id resumption with a
 *      cached session exactly at time + timeout, and one second past it;
 *   6. SSL_SESSION_is_resumable for sessions built with the setters, and a TLS 1.3 client's
 *      session without tickets. */
#define OPENSSL_SUPPRESS_DEPRECATED /* TLSv1_2_server_method: deprecated, still ABI */
#include <time.h>

#include "probe.h"

static keel_test_chain ec;
static unsigned char hello[4096];
static int hello_len;

/* What an SSL wrote: an alert's level and description, or the first record's type. */
static void wrote(const char *who, BIO *out)
{
    char *p;
    long n = BIO_get_mem_data(out, &p);
    if (n < 5)
        printf("   %s wrote nothing\n", who);
    else if (p[0] == SSL3_RT_ALERT && n >= 7)
        printf("   %s wrote alert %d %d (%ld bytes)\n", who, p[5], p[6], n);
    else
        printf("   %s wrote a record of type %d\n", who, p[0]);
    (void)BIO_reset(out);
}

/* The first ClientHello record a client of the library under test writes (its body). */
static void get_hello(void)
{
    SSL_CTX *cc = keel_test_client_ctx(&ec);
    unsigned char rec[sizeof(hello) + 5];
    int n = probe_client_hello(cc, rec, sizeof(rec));
    hello_len = n - 5;
    if (hello_len > 0)
        memcpy(hello, rec + 5, (size_t)hello_len);
    SSL_CTX_free(cc);
}

/* A well-formed SSLv2 CLIENT-HELLO, which OpenSSL 3.0 negotiates from and keel refuses
 * (docs/compat-notes.txt): only that it fails with an alert is compared. */
static int well_formed;

/* A server given exactly `len` bytes; eof: the BIO then reports end of file instead of "retry". */
static void server_gets(const char *what, const unsigned char *bytes, int len, int eof)
{
    printf("== server: %s\n", what);
    SSL_CTX *sc = keel_test_server_ctx(&ec);
    SSL *s = SSL_new(sc);
    BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in, eof ? 0 : -1);
    SSL_set_bio(s, in, out);
    SSL_set_accept_state(s);
    if (len > 0)
        BIO_write(in, bytes, len);
    int r = SSL_do_handshake(s);
    printf("  do_handshake %d (%s)\n", r, errname(SSL_get_error(s, r)));
    if (well_formed) {
        char *p;
        long n = BIO_get_mem_data(out, &p);
        printf("   (well formed) a reason %d, an alert %d\n", ERR_peek_error() != 0, n == 7 && p[0] == SSL3_RT_ALERT);
        ERR_clear_error();
        (void)BIO_reset(out);
    } else {
        errs();
        wrote("server", out);
    }
    /* (The state only after a failure: while a ClientHello is incomplete OpenSSL 3.0 may report
     * reading it, keel the state before.) */
    if (r <= 0 && SSL_get_error(s, r) == SSL_ERROR_SSL)
        printf("   state %s\n", SSL_state_string_long(s));
    SSL_free(s);
    SSL_CTX_free(sc);
}

/* An SSL 2.0 CLIENT-HELLO (RFC 5246 §E.2): version, cipher specs, a session id, a challenge;
 * each length field as given plus `skew` bytes of body. */
static int v2_hello_ex(unsigned char *b, int version, const unsigned char *specs, int nspecs, int sid_len,
                       int chal_len, int skew)
{
    int n = 2;
    b[n++] = 1;
    b[n++] = (unsigned char)(version >> 8);
    b[n++] = (unsigned char)version;
    b[n++] = (unsigned char)(nspecs >> 8);
    b[n++] = (unsigned char)nspecs;
    b[n++] = (unsigned char)(sid_len >> 8);
    b[n++] = (unsigned char)sid_len;
    b[n++] = (unsigned char)(chal_len >> 8);
    b[n++] = (unsigned char)chal_len;
    memcpy(b + n, specs, (size_t)nspecs);
    n += nspecs;
    memset(b + n, 0x42, (size_t)(sid_len + chal_len + (skew > 0 ? skew : 0)));
    n += sid_len + chal_len + skew;
    b[0] = (unsigned char)(0x80 | ((n - 2) >> 8));
    b[1] = (unsigned char)(n - 2);
    return n;
}

static const unsigned char rsa_specs[] = { 0x00, 0xc0, 0x2f, 0x00, 0x00, 0x2f, 0x00, 0x00, 0xff };
static const unsigned char ec_specs[] = { 0x07, 0x00, 0xc0, 0x00, 0xc0, 0x2b, 0x00, 0xc0, 0x09, 0x00, 0x00, 0xff };

static int v2_hello(unsigned char *b, int version)
{
    return v2_hello_ex(b, version, rsa_specs, sizeof(rsa_specs), 0, 16, 0);
}

static void record_front(void)
{
    static unsigned char b[40000];
    char what[120], num[16], num2[16];
    int n;

    get_hello();
    /* Headers with the top bit set: as an SSL 2.0 length with msg_type 1 or not. */
    static const unsigned char heads[][5] = {
        { 0xff, 0xff, 0xff, 0xff, 0xff }, { 0xff, 0x03, 0x01, 0x00, 0x10 }, { 0xff, 0x03, 0x03, 0x40, 0x01 },
        { 0xff, 0x00, 0x01, 0x03, 0x01 }, { 0xff, 0xff, 0x01, 0x03, 0x03 }, { 0x80, 0x2e, 0x01, 0x03, 0x01 },
        { 0x80, 0x00, 0x01, 0x03, 0x01 }, { 0x80, 0x01, 0x01, 0x03, 0x01 }, { 0x80, 0x08, 0x01, 0x03, 0x01 },
        { 0x80, 0x09, 0x01, 0x03, 0x01 }, { 0x80, 0x2e, 0x01, 0x02, 0x00 }, { 0x80, 0x2e, 0x01, 0x03, 0x04 },
        { 0x80, 0x2e, 0x02, 0x03, 0x01 }, { 0x80, 0x2e, 0x01, 0x00, 0x02 }, { 0xc0, 0x00, 0x01, 0x03, 0x01 },
        { 0xbf, 0xff, 0x01, 0x03, 0x01 }, { 0x81, 0x00, 0x01, 0x03, 0x01 }, { 0xc0, 0x00, 0x00, 0x03, 0x01 },
        { 0x80, 0x2e, 0x01, 0x03, 0xff }, { 0xfe, 0x03, 0x01, 0x00, 0x02 },
    };
    for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
        for (int tail = 0; tail < 2; tail++) {
            memcpy(b, heads[i], 5);
            n = 5;
            if (tail) { /* then 100 bytes of the real ClientHello, as if more were coming */
                memcpy(b + 5, hello, 100);
                n += 100;
            }
            snprintf(what, sizeof(what), "%02x %02x %02x %02x %02x%s", heads[i][0], heads[i][1], heads[i][2],
                     heads[i][3], heads[i][4], tail ? " + 100 bytes" : "");
            server_gets(what, b, n, 0);
        }
    }
    /* A real SSL 2.0 CLIENT-HELLO, whole, and cut short; for TLS 1.0, 1.2, 1.3. */
    int versions[] = { 0x0301, 0x0303, 0x0304, 0x0002 };
    for (int i = 0; i < 4; i++) {
        n = v2_hello(b, versions[i]);
        snprintf(what, sizeof(what), "an SSLv2 CLIENT-HELLO for 0x%04x (%d bytes)", versions[i], n);
        well_formed = (versions[i] >> 8) == 3;
        server_gets(what, b, n, 0);
        well_formed = 0;
        snprintf(what, sizeof(what), "an SSLv2 CLIENT-HELLO for 0x%04x, its first 10 bytes", versions[i]);
        server_gets(what, b, 10, 0);
        snprintf(what, sizeof(what), "an SSLv2 CLIENT-HELLO for 0x%04x, its first 10 bytes, EOF", versions[i]);
        server_gets(what, b, 10, 1);
    }
    /* SSL 2.0 records whose body is all there: lengths around the limits. */
    int v2lens[] = { 9, 16384, 16385, 16700, 16709, 16710, 16711 };
    for (int i = 0; i < 7; i++) {
        memset(b, 0, 2 + (size_t)v2lens[i]);
        b[0] = (unsigned char)(0x80 | (v2lens[i] >> 8));
        b[1] = (unsigned char)v2lens[i];
        b[2] = 1;
        b[3] = 3;
        b[4] = 1;
        snprintf(what, sizeof(what), "an SSLv2 record of %d bytes, zeros after the version", v2lens[i]);
        server_gets(what, b, 2 + v2lens[i], 0);
        snprintf(what, sizeof(what), "an SSLv2 record of %d bytes, one byte short, EOF", v2lens[i]);
        server_gets(what, b, 1 + v2lens[i], 1);
    }
    /* CLIENT-HELLOs whose fields are odd. */
    static const struct { const char *what; int version, ec, nspecs, sid, chal, skew, wf; } v2[] = {
        { "ECDSA suites, TLS 1.2", 0x0303, 1, sizeof(ec_specs), 0, 32, 0, 1 },
        { "ECDSA suites, TLS 1.0", 0x0301, 1, sizeof(ec_specs), 0, 16, 0, 1 },
        { "ECDSA suites, TLS 1.3", 0x0304, 1, sizeof(ec_specs), 0, 16, 0, 1 },
        { "ECDSA suites, SSL 3", 0x0300, 1, sizeof(ec_specs), 0, 16, 0, 0 },
        { "ECDSA suites, 16-byte session id", 0x0303, 1, sizeof(ec_specs), 16, 16, 0, 1 },
        { "ECDSA suites, 32-byte session id", 0x0303, 1, sizeof(ec_specs), 32, 16, 0, 1 },
        { "ECDSA suites, 33-byte session id", 0x0303, 1, sizeof(ec_specs), 33, 16, 0, 0 },
        { "challenge of 15", 0x0303, 1, sizeof(ec_specs), 0, 15, 0, 1 },
        { "challenge of 33", 0x0303, 1, sizeof(ec_specs), 0, 33, 0, 1 },
        { "challenge of 0", 0x0303, 1, sizeof(ec_specs), 0, 0, 0, 1 },
        { "a byte more", 0x0303, 1, sizeof(ec_specs), 0, 16, 1, 0 },
        { "a byte less", 0x0303, 1, sizeof(ec_specs), 0, 16, -1, 0 },
        { "specs not a multiple of 3", 0x0303, 1, sizeof(ec_specs) - 1, 0, 16, 0, 0 },
        { "no specs", 0x0303, 1, 0, 0, 16, 0, 0 },
        { "only SSL 2.0 specs", 0x0303, 1, 3, 0, 16, 0, 1 },
        { "version 0x0400", 0x0400, 1, sizeof(ec_specs), 0, 16, 0, 0 },
        { "version 0x0400, no specs", 0x0400, 1, 0, 0, 16, 0, 0 },
        { "version 0x0002, specs not a multiple of 3", 0x0002, 1, 4, 0, 16, 0, 0 },
        { "SSL 3, no specs", 0x0300, 1, 0, 0, 16, 0, 0 },
        { "version 0x0400, 33-byte session id, a byte more", 0x0400, 1, 0, 33, 16, 1, 0 },
        { "no specs, a byte more", 0x0303, 1, 0, 0, 16, 1, 0 },
        { "TLS 1.3, 33-byte challenge", 0x0304, 1, sizeof(ec_specs), 0, 33, 0, 1 },
    };
    for (size_t i = 0; i < sizeof(v2) / sizeof(v2[0]); i++) {
        n = v2_hello_ex(b, v2[i].version, v2[i].ec ? ec_specs : rsa_specs, v2[i].nspecs, v2[i].sid, v2[i].chal,
                        v2[i].skew);
        snprintf(what, sizeof(what), "an SSLv2 CLIENT-HELLO: %s", v2[i].what);
        well_formed = v2[i].wf;
        server_gets(what, b, n, 0);
        well_formed = 0;
    }
    /* Fewer bytes than a header. */
    for (int k = 1; k < 5; k++) {
        memset(b, 0xff, 5);
        snprintf(what, sizeof(what), "%d bytes 0xff, EOF", k);
        server_gets(what, b, k, 1);
        snprintf(what, sizeof(what), "%d bytes 0xff", k);
        server_gets(what, b, k, 0);
    }
    /* 0x16 0x03 0x01 with bad lengths: zero, shorter and longer than the hello, huge. */
    int lens[] = { 0, 1, 3, 4, 10, hello_len - 1, hello_len + 1, 16384, 16385, 16704, 16705, 16707, 16708, 16709, 0xffff };
    for (int i = 0; i < (int)(sizeof(lens) / sizeof(lens[0])); i++) {
        b[0] = SSL3_RT_HANDSHAKE;
        b[1] = 3;
        b[2] = 1;
        b[3] = (unsigned char)(lens[i] >> 8);
        b[4] = (unsigned char)lens[i];
        int body = lens[i] < hello_len ? lens[i] : hello_len;
        memcpy(b + 5, hello, (size_t)body);
        n = 5 + body;
        /* (the hello's length differs between the libraries) */
        snprintf(what, sizeof(what), "16 03 01 length %s, %s bytes of the hello", lens[i] == hello_len - 1 ? "hello-1"
                 : lens[i] == hello_len + 1 ? "hello+1" : (snprintf(num, sizeof(num), "%d", lens[i]), num),
                 body == hello_len ? "all" : body == hello_len - 1 ? "all but one"
                 : (snprintf(num2, sizeof(num2), "%d", body), num2));
        server_gets(what, b, n, 0);
        snprintf(what, sizeof(what), "16 03 01 length (as above), EOF after");
        server_gets(what, b, n, 1);
    }
}

/* ---- 2. SSL_clear on a server after client authentication ---- */

static void clear_server(int version)
{
    printf("== %s server: SSL_clear after a handshake with a client certificate\n", vname(version));
    SSL_CTX *cc = keel_test_client_ctx(&ec), *sc = keel_test_server_ctx(&ec);
    SSL_CTX_set_min_proto_version(cc, version);
    SSL_CTX_set_max_proto_version(cc, version);
    SSL_CTX_use_certificate(cc, ec.leaf);
    SSL_CTX_use_PrivateKey(cc, ec.leaf_key);
    SSL_CTX_add_extra_chain_cert(cc, X509_dup(ec.ca));
    X509_STORE_add_cert(SSL_CTX_get_cert_store(sc), ec.ca);
    SSL_CTX_set_verify(sc, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_session_id_context(sc, (const unsigned char *)"m16", 3);
    link_t l;
    mk(&l, cc, sc);
    printf("  handshake %d\n", shake(&l));
    for (int round = 0; round < 3; round++) {
        SSL *ends[2] = { l.c, l.s };
        for (int k = 0; k < 2; k++) {
            STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ends[k]);
            X509 *peer = SSL_get0_peer_certificate(ends[k]);
            printf("  %s %s: peer %s chain %d", round == 0 ? "before" : round == 1 ? "after SSL_clear" : "after a second SSL_clear",
                   k ? "server" : "client", peer == NULL ? "none" : X509_cmp(peer, ec.leaf) == 0 ? "leaf" : "other",
                   chain == NULL ? -1 : sk_X509_num(chain));
            for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++)
                printf(" %s", X509_cmp(sk_X509_value(chain, i), ec.leaf) == 0 ? "leaf"
                              : X509_cmp(sk_X509_value(chain, i), ec.ca) == 0 ? "ca" : "other");
            printf(" verified %d result %ld\n", SSL_get0_verified_chain(ends[k]) != NULL, SSL_get_verify_result(ends[k]));
        }
        if (round < 2) {
            SSL_shutdown(l.c);
            SSL_shutdown(l.s);
            SSL_clear(l.c);
            SSL_clear(l.s);
        }
    }
    ERR_clear_error();
    lfree(&l);
    /* Without close_notify first: the session is dropped (and leaves the cache), as SSL_free
     * drops it. */
    mk(&l, cc, sc);
    printf("  handshake %d cached %ld\n", shake(&l), SSL_CTX_sess_number(sc));
    SSL_clear(l.c);
    SSL_clear(l.s);
    printf("  SSL_clear without close_notify: sessions %d/%d peers %d/%d chains %d/%d cached %ld\n",
           SSL_get_session(l.c) != NULL, SSL_get_session(l.s) != NULL, SSL_get0_peer_certificate(l.c) != NULL,
           SSL_get0_peer_certificate(l.s) != NULL, SSL_get_peer_cert_chain(l.c) != NULL,
           SSL_get_peer_cert_chain(l.s) != NULL, SSL_CTX_sess_number(sc));
    ERR_clear_error();
    done(&l, cc, sc);
}

/* ---- 3. the PSK find-session callback and HelloRetryRequest ---- */

static const unsigned char psk_key[32] = "0123456789abcdef0123456789abcde";
static int find_calls, server_cb_calls, use_calls, client_cb_calls;
static int find_gives; /* 0 none, 1 a session */

static int use_cb(SSL *s, const EVP_MD *md, const unsigned char **id, size_t *idlen, SSL_SESSION **sess)
{
    (void)md;
    use_calls++;
    *id = (const unsigned char *)"ident";
    *idlen = 5;
    *sess = keel_test_psk_session(s, "TLS_AES_128_GCM_SHA256", psk_key, 32);
    return *sess != NULL;
}

static int find_cb(SSL *s, const unsigned char *identity, size_t identity_len, SSL_SESSION **sess)
{
    (void)identity;
    find_calls++;
    /* (No state: keel's driver is still in the previous state while a message is handled.) */
    printf("    find_cb call %d (identity_len %zu)\n", find_calls, identity_len);
    *sess = find_gives ? keel_test_psk_session(s, "TLS_AES_128_GCM_SHA256", psk_key, 32) : NULL;
    return 1;
}

static unsigned int client_cb(SSL *s, const char *hint, char *identity, unsigned int max_identity_len,
                              unsigned char *psk, unsigned int max_psk_len)
{
    (void)s;
    (void)hint;
    (void)max_psk_len;
    client_cb_calls++;
    snprintf(identity, max_identity_len, "ident");
    memcpy(psk, psk_key, 32);
    return 32;
}

static unsigned int server_cb(SSL *s, const char *identity, unsigned char *psk, unsigned int max_psk_len)
{
    (void)s;
    (void)max_psk_len;
    server_cb_calls++;
    printf("    server_cb call %d (identity %s)\n", server_cb_calls, identity);
    memcpy(psk, psk_key, 32);
    return 32;
}

static void psk_hrr(const char *what, int hrr, int use_find, int find_session, int use_legacy)
{
    printf("== PSK, %s\n", what);
    SSL_CTX *cc = SSL_CTX_new(TLS_client_method()), *sc = keel_test_server_ctx(&ec);
    SSL_CTX_set_ciphersuites(cc, "TLS_AES_128_GCM_SHA256");
    if (use_find) {
        SSL_CTX_set_psk_use_session_callback(cc, use_cb);
        SSL_CTX_set_psk_find_session_callback(sc, find_cb);
    }
    if (use_legacy) {
        SSL_CTX_set_psk_client_callback(cc, client_cb);
        SSL_CTX_set_psk_server_callback(sc, server_cb);
    }
    find_gives = find_session;
    if (hrr) {
        SSL_CTX_set1_groups_list(cc, "X25519:P-256");
        SSL_CTX_set1_groups_list(sc, "P-256");
    }
    find_calls = server_cb_calls = use_calls = client_cb_calls = 0;
    link_t l;
    mk(&l, cc, sc);
    int ok = shake(&l);
    printf("  handshake %d reused %d/%d; calls: use %d find %d client %d server %d\n", ok,
           SSL_session_reused(l.c), SSL_session_reused(l.s), use_calls, find_calls, client_cb_calls, server_cb_calls);
    ERR_clear_error();
    done(&l, cc, sc);
}

/* ---- 4. SSL_has_matching_session_id ---- */

static void matching(int version)
{
    printf("== %s: SSL_has_matching_session_id\n", vname(version));
    SSL_CTX *cc = keel_test_client_ctx(&ec), *sc = keel_test_server_ctx(&ec);
    SSL_CTX_set_min_proto_version(cc, version);
    SSL_CTX_set_max_proto_version(cc, version);
    SSL_CTX_set_options(sc, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(sc, 1);
    link_t l;
    mk(&l, cc, sc);
    int ok = shake(&l);
    char buf[8];
    SSL_read(l.c, buf, sizeof(buf)); /* the ticket, under TLS 1.3 */
    ERR_clear_error();
    SSL_SESSION *ss = SSL_get1_session(l.s);
    unsigned int idlen = 0;
    const unsigned char *id = SSL_SESSION_get_id(ss, &idlen);
    unsigned char idc[64];
    memcpy(idc, id, idlen);
    printf("  handshake %d cached %ld id_len %u version %x\n", ok, SSL_CTX_sess_number(sc), idlen,
           SSL_SESSION_get_protocol_version(ss));
    printf("  after the handshake: server %d client %d\n", SSL_has_matching_session_id(l.s, idc, idlen),
           SSL_has_matching_session_id(l.c, idc, idlen));
    SSL *fresh = SSL_new(sc);
    printf("  fresh SSL: %d", SSL_has_matching_session_id(fresh, idc, idlen));
    SSL_set_accept_state(fresh);
    printf(", accept state %d", SSL_has_matching_session_id(fresh, idc, idlen));
    SSL_set_min_proto_version(fresh, version);
    SSL_set_max_proto_version(fresh, version);
    printf(", limited to %s %d", vname(version), SSL_has_matching_session_id(fresh, idc, idlen));
    printf(", shorter id %d, longer id %d\n", SSL_has_matching_session_id(fresh, idc, idlen - 1),
           SSL_has_matching_session_id(fresh, idc, idlen + 1));
    SSL_free(fresh);
    SSL_CTX *mc = SSL_CTX_new(version == TLS1_2_VERSION ? TLSv1_2_server_method() : TLS_server_method());
    fresh = SSL_new(sc);
    SSL_set_SSL_CTX(fresh, mc);
    printf("  fresh SSL after SSL_set_SSL_CTX: %d\n", SSL_has_matching_session_id(fresh, idc, idlen));
    SSL_free(fresh);
    SSL_CTX_free(mc);
    SSL_clear(l.s); /* without close_notify: the session leaves the cache, as after SSL_free */
    printf("  server after SSL_clear: %d cached %ld\n", SSL_has_matching_session_id(l.s, idc, idlen),
           SSL_CTX_sess_number(sc));
    SSL_CTX *m12 = SSL_CTX_new(TLSv1_2_server_method());
    SSL_CTX_sess_set_cache_size(m12, 10);
    SSL_SESSION *copy = SSL_SESSION_dup(ss);
    SSL_CTX_add_session(m12, copy);
    SSL_SESSION_free(copy);
    fresh = SSL_new(m12);
    printf("  fresh SSL of a TLS 1.2 method, the session in its cache: %d\n", SSL_has_matching_session_id(fresh, idc, idlen));
    SSL_free(fresh);
    SSL_CTX_free(m12);
    SSL_SESSION_free(ss);
    done(&l, cc, sc);
}

/* ---- 5. the expiry boundary ---- */

static void remove_cb(SSL_CTX *ctx, SSL_SESSION *ss)
{
    (void)ctx;
    unsigned int len;
    const unsigned char *id = SSL_SESSION_get_id(ss, &len);
    printf(" rm:%c", len > 0 ? id[0] : '-');
}

static void flush_boundary(void)
{
    printf("== SSL_CTX_flush_sessions at the boundary\n");
    SSL_CTX *sc = SSL_CTX_new(TLS_server_method());
    SSL_CTX_sess_set_remove_cb(sc, remove_cb);
    long now = (long)time(NULL);
    unsigned char id[32], key[48];
    memset(key, 7, sizeof(key));
    for (char name = 'A'; name <= 'B'; name++) {
        SSL_SESSION *ss = SSL_SESSION_new();
        memset(id, name, sizeof(id));
        SSL_SESSION_set1_id(ss, id, sizeof(id));
        SSL_SESSION_set1_master_key(ss, key, sizeof(key));
        SSL_SESSION_set_protocol_version(ss, TLS1_2_VERSION);
        SSL_SESSION_set_time(ss, now - 1000);
        SSL_SESSION_set_timeout(ss, name == 'A' ? 100 : 200);
        SSL_CTX_add_session(sc, ss);
        SSL_SESSION_free(ss);
    }
    long ts[] = { now - 901, now - 900, now - 899, now - 801, now - 800, now - 799 };
    for (int i = 0; i < 6; i++) {
        printf("  flush at time+%ld:", ts[i] - (now - 1000));
        SSL_CTX_flush_sessions(sc, ts[i]);
        printf(" -> %ld cached\n", SSL_CTX_sess_number(sc));
    }
    /* A timeout of 0 and a negative one. */
    for (long to = 1; to >= -1; to--) {
        SSL_SESSION *ss = SSL_SESSION_new();
        memset(id, 'C', sizeof(id));
        SSL_SESSION_set1_id(ss, id, sizeof(id));
        SSL_SESSION_set1_master_key(ss, key, sizeof(key));
        SSL_SESSION_set_protocol_version(ss, TLS1_2_VERSION);
        SSL_SESSION_set_time(ss, now);
        SSL_SESSION_set_timeout(ss, to);
        SSL_CTX_add_session(sc, ss);
        SSL_SESSION_free(ss);
        for (long d = -1; d <= 2; d++) {
            printf("  timeout %ld, flush at time%+ld:", to, d);
            SSL_CTX_flush_sessions(sc, now + d);
            printf(" -> %ld cached\n", SSL_CTX_sess_number(sc));
        }
        SSL_CTX_flush_sessions(sc, 0);
        printf("\n");
    }
    SSL_CTX_free(sc);
}

/* A TLS 1.2 resumption whose cached session is `age` seconds old with a timeout of 100 (age 100:
 * exactly at time + timeout). The server's copy in the cache is aged, the client's left alone.
 * Repeated if the clock ticked during the handshake. */
static SSL_SESSION *srv_sess;

static int srv_new_cb(SSL *s, SSL_SESSION *ss)
{
    (void)s;
    SSL_SESSION_free(srv_sess);
    srv_sess = ss;
    return 1; /* the callback keeps the reference */
}

static void resume_boundary(int version, long age)
{
    printf("== %s resumption, the cached session at time+%ld of 100:", vname(version), age);
    for (int attempt = 0; attempt < 5; attempt++) {
        SSL_CTX *cc = keel_test_client_ctx(&ec), *sc = keel_test_server_ctx(&ec);
        SSL_CTX_set_min_proto_version(cc, version);
        SSL_CTX_set_max_proto_version(cc, version);
        SSL_CTX_set_options(sc, SSL_OP_NO_TICKET);
        SSL_CTX_set_session_id_context(sc, (const unsigned char *)"m16", 3);
        SSL_CTX_sess_set_new_cb(sc, srv_new_cb);
        SSL_CTX_set_num_tickets(sc, 1);
        link_t l;
        mk(&l, cc, sc);
        int ok = shake(&l);
        char buf[8];
        SSL_read(l.c, buf, sizeof(buf));
        ERR_clear_error();
        SSL_SESSION *cs = SSL_get1_session(l.c);
        SSL_shutdown(l.c);
        SSL_shutdown(l.s);
        lfree(&l);
        long before = (long)time(NULL);
        /* The server's cached session (TLS 1.2: under the id; TLS 1.3: the stateful ticket's),
         * kept by its new-session callback, moved in the cache by its new time. */
        SSL_SESSION_set_time(srv_sess, before - age);
        SSL_SESSION_set_timeout(srv_sess, 100);
        SSL_SESSION_free(srv_sess);
        srv_sess = NULL;
        long cached = SSL_CTX_sess_number(sc);
        mk(&l, cc, sc);
        SSL_set_session(l.c, cs);
        int ok2 = shake(&l);
        long after = (long)time(NULL);
        if (after != before && attempt < 4) {
            ERR_clear_error();
            SSL_SESSION_free(cs);
            done(&l, cc, sc);
            continue;
        }
        printf(" first %d cached %ld, second %d reused %d/%d, timeouts %ld misses %ld hits %ld\n", ok, cached, ok2,
               SSL_session_reused(l.c), SSL_session_reused(l.s), SSL_CTX_sess_timeouts(sc), SSL_CTX_sess_misses(sc),
               SSL_CTX_sess_hits(sc));
        ERR_clear_error();
        SSL_SESSION_free(cs);
        done(&l, cc, sc);
        return;
    }
}

/* ---- 6. SSL_SESSION_is_resumable ---- */

static void resumable(void)
{
    printf("== SSL_SESSION_is_resumable of built sessions\n");
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *s = SSL_new(ctx);
    const SSL_CIPHER *cipher = NULL;
    STACK_OF(SSL_CIPHER) *all = SSL_get_ciphers(s);
    for (int i = 0; i < sk_SSL_CIPHER_num(all); i++)
        if (strcmp(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(all, i)), "TLS_AES_128_GCM_SHA256") == 0)
            cipher = sk_SSL_CIPHER_value(all, i);
    unsigned char id[32], key[48];
    memset(id, 1, sizeof(id));
    memset(key, 2, sizeof(key));
    for (int mask = 0; mask < 16; mask++) {
        SSL_SESSION *ss = SSL_SESSION_new();
        if (mask & 1)
            SSL_SESSION_set1_id(ss, id, sizeof(id));
        if (mask & 2)
            SSL_SESSION_set1_master_key(ss, key, sizeof(key));
        if (mask & 4)
            SSL_SESSION_set_protocol_version(ss, TLS1_3_VERSION);
        if (mask & 8)
            SSL_SESSION_set_cipher(ss, cipher);
        SSL_SESSION *d = SSL_SESSION_dup(ss);
        unsigned int dl = 0;
        SSL_SESSION_get_id(d, &dl);
        printf("  %s%s%s%s: %d; SSL_SESSION_dup %d: %d (id %u key %zu version %x)\n", mask & 1 ? "id " : "",
               mask & 2 ? "key " : "", mask & 4 ? "version " : "", mask & 8 ? "cipher" : "",
               SSL_SESSION_is_resumable(ss), d != NULL, SSL_SESSION_is_resumable(d), dl,
               SSL_SESSION_get_master_key(d, NULL, 0), SSL_SESSION_get_protocol_version(d));
        SSL_SESSION_free(d);
        if (mask == 1) {
            SSL_SESSION_set1_id(ss, id, 0);
            printf("  id set then emptied: %d\n", SSL_SESSION_is_resumable(ss));
        }
        if (mask == 3) {
            SSL_SESSION_set1_master_key(ss, key, 0);
            printf("  id, key of length 0: %d\n", SSL_SESSION_is_resumable(ss));
        }
        SSL_SESSION_free(ss);
    }
    SSL_free(s);
    SSL_CTX_free(ctx);
}

static void no_tickets(int version, int num_tickets)
{
    printf("== %s client session, num_tickets %d:", vname(version), num_tickets);
    SSL_CTX *cc = keel_test_client_ctx(&ec), *sc = keel_test_server_ctx(&ec);
    SSL_CTX_set_min_proto_version(cc, version);
    SSL_CTX_set_max_proto_version(cc, version);
    SSL_CTX_set_num_tickets(sc, (size_t)num_tickets);
    link_t l;
    mk(&l, cc, sc);
    int ok = shake(&l);
    char buf[8];
    SSL_read(l.c, buf, sizeof(buf));
    ERR_clear_error();
    SSL_SESSION *cs = SSL_get_session(l.c), *ss = SSL_get_session(l.s);
    unsigned int cl = 0, sl = 0;
    SSL_SESSION_get_id(cs, &cl);
    SSL_SESSION_get_id(ss, &sl);
    printf(" handshake %d; client: resumable %d ticket %d id %u; server: resumable %d id %u\n", ok,
           SSL_SESSION_is_resumable(cs), SSL_SESSION_has_ticket(cs), version == TLS1_3_VERSION ? cl : cl > 0,
           SSL_SESSION_is_resumable(ss), sl);
    done(&l, cc, sc);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    if (!keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30))
        return 1;
    record_front();
    clear_server(TLS1_3_VERSION);
    clear_server(TLS1_2_VERSION);
    psk_hrr("no HRR, find-session callback", 0, 1, 1, 0);
    psk_hrr("HelloRetryRequest, find-session callback", 1, 1, 1, 0);
    psk_hrr("HelloRetryRequest, find-session callback finding nothing", 1, 1, 0, 0);
    psk_hrr("HelloRetryRequest, legacy callbacks", 1, 0, 0, 1);
    psk_hrr("HelloRetryRequest, both, find-session finding nothing", 1, 1, 0, 1);
    psk_hrr("HelloRetryRequest, both", 1, 1, 1, 1);
    matching(TLS1_2_VERSION);
    matching(TLS1_3_VERSION);
    flush_boundary();
    for (long age = 99; age <= 101; age++) {
        resume_boundary(TLS1_2_VERSION, age);
        resume_boundary(TLS1_3_VERSION, age);
    }
    resumable();
    no_tickets(TLS1_3_VERSION, 0);
    no_tickets(TLS1_3_VERSION, 2);
    no_tickets(TLS1_2_VERSION, 0);
    keel_test_chain_free(&ec);
    return 0;
}
