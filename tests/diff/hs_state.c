/* Differential probe (tests/diff/run.sh): the handshake state an application sees (SSL_get_state,
 * SSL_state_string(3), SSL_state_string_long) on a server fed a ClientHello in pieces through a
 * memory BIO (issue #16: OpenSSL reports "read client hello" once part of it is read), and inside
 * the callbacks that run while the ClientHello is handled: ClientHello, servername, ALPN select,
 * cert_cb, the PSK find-session callback (server) and use-session callback (client).
 * OpenSSL 3.0 moves to the state a message leads to (TLS_ST_SR_CLNT_HELLO, "TRCH") as soon as a
 * whole record holding the message's 4-byte header is in (not inside a record: its record layer
 * hands over whole records), and the ClientHello's callbacks run in that state.
 * The order, as OpenSSL 3.0 has it: the ClientHello callback; under TLS 1.3 the PSK find-session
 * callback, the servername callback, the ALPN select callback (cert_cb in the write step, not
 * for a PSK); under TLS 1.2 the servername callback, cert_cb, then the ALPN select callback.
 * Around a HelloRetryRequest the PSK, servername and ALPN select callbacks run for both
 * ClientHellos, and the ALPN callback declining for ClientHello 2 leaves no protocol selected on
 * either end (SSL_get0_alpn_selected, printed after each run). */
#include "probe.h"

static keel_test_chain ec;

static void st(const char *what, const SSL *s)
{
    printf("  %s: state %d %s \"%s\"\n", what, (int)SSL_get_state(s), SSL_state_string(s),
           SSL_state_string_long(s));
}

/* Each handshake message received, in the state the reader is in when it is shown. */
static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len, SSL *s, void *arg)
{
    (void)version; (void)arg;
    if (write_p || content_type != SSL3_RT_HANDSHAKE || len < 1)
        return;
    char what[64];
    snprintf(what, sizeof(what), "%s msg_cb message %d", SSL_is_server(s) ? "server" : "client",
             ((const unsigned char *)buf)[0]);
    st(what, s);
}

static int verify_cb(int ok, X509_STORE_CTX *x)
{
    SSL *s = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    st(SSL_is_server(s) ? "server verify_cb" : "client verify_cb", s);
    return ok;
}

static int hello_cb(SSL *s, int *al, void *arg)
{
    (void)al; (void)arg;
    st("client_hello_cb", s);
    return SSL_CLIENT_HELLO_SUCCESS;
}

static int sni_cb(SSL *s, int *al, void *arg)
{
    (void)al; (void)arg;
    st("servername_cb", s);
    return SSL_TLSEXT_ERR_OK;
}

/* With alpn_noack_second set, the second call (ClientHello 2 after an HRR) declines. */
static int alpn_calls, alpn_noack_second;

static int alpn_cb(SSL *s, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                   unsigned int inlen, void *arg)
{
    (void)arg;
    st("alpn_select_cb", s);
    if (inlen < 2 || (++alpn_calls == 2 && alpn_noack_second))
        return SSL_TLSEXT_ERR_NOACK;
    *out = in + 1;
    *outlen = in[0];
    return SSL_TLSEXT_ERR_OK;
}

static int cert_cb(SSL *s, void *arg)
{
    (void)arg;
    st("cert_cb", s);
    return 1;
}

static const unsigned char key1[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

static int use_cb(SSL *s, const EVP_MD *md, const unsigned char **id, size_t *idlen, SSL_SESSION **sess)
{
    (void)md;
    st("psk_use_session_cb", s);
    *id = (const unsigned char *)"id1";
    *idlen = 3;
    *sess = keel_test_psk_session(s, "TLS_AES_128_GCM_SHA256", key1, 32);
    return *sess != NULL;
}

static int find_cb(SSL *s, const unsigned char *identity, size_t identity_len, SSL_SESSION **sess)
{
    st("psk_find_session_cb", s);
    *sess = NULL;
    if (identity_len == 3 && memcmp(identity, "id1", 3) == 0)
        *sess = keel_test_psk_session(s, "TLS_AES_128_GCM_SHA256", key1, 32);
    return 1;
}

/* The ClientHello to the server in pieces, SSL_do_handshake after each: with records 0 the one
 * record it came in, cut inside the record header, inside the handshake header, inside the body,
 * then the rest; otherwise re-framed as records of 2, 2 and 40 bytes of the message (so that whole
 * records hold part of it: the header split, then complete) and one of the rest. */
static void feed(link_t *l, int records)
{
    static const int cuts[] = { 3, 4, 4, 50, 100000 }, split[] = { 2, 2, 40, 100000 };
    unsigned char buf[20000];
    int len = BIO_read(l->c_out, buf, sizeof(buf)), off = records ? 5 : 0, r;

    for (size_t i = 0; off < len; i++) {
        int n = (records ? split[i] : cuts[i]) < len - off ? (records ? split[i] : cuts[i]) : len - off;
        if (records) {
            unsigned char hdr[5] = { buf[0], buf[1], buf[2], (unsigned char)(n >> 8), (unsigned char)n };
            BIO_write(l->s_in, hdr, 5);
        }
        BIO_write(l->s_in, buf + off, n);
        off += n;
        printf("  server fed piece %zu\n", i);
        r = SSL_do_handshake(l->s);
        printf("  -> %d %s\n", r, errname(SSL_get_error(l->s, r)));
        st("server", l->s);
    }
}

static void run(const char *name, int psk, int version, int split, int extra)
{
    printf("== %s\n", name);
    SSL_CTX *sc = keel_test_server_ctx(&ec), *cc = keel_test_client_ctx(&ec);
    SSL_CTX_set_max_proto_version(cc, version);
    SSL_CTX_set_num_tickets(sc, 0);
    SSL_CTX_set_client_hello_cb(sc, hello_cb, NULL);
    SSL_CTX_set_msg_callback(sc, msg_cb);
    SSL_CTX_set_msg_callback(cc, msg_cb);
    SSL_CTX_set_verify(cc, SSL_VERIFY_PEER, verify_cb);
    SSL_CTX_set_tlsext_servername_callback(sc, sni_cb);
    SSL_CTX_set_alpn_select_cb(sc, alpn_cb, NULL);
    SSL_CTX_set_cert_cb(sc, cert_cb, NULL);
    if (psk) {
        SSL_CTX_set_psk_use_session_callback(cc, use_cb);
        SSL_CTX_set_psk_find_session_callback(sc, find_cb);
        SSL_CTX_set_ciphersuites(cc, "TLS_AES_128_GCM_SHA256");
    }
    /* extra 1: the client authenticates (server verify_cb); 2: a HelloRetryRequest first; 3: as 2,
     * the ALPN select callback declining for ClientHello 2 */
    alpn_calls = 0;
    alpn_noack_second = extra == 3;
    if (extra == 1) {
        SSL_CTX_set_verify(sc, SSL_VERIFY_PEER, verify_cb);
        X509_STORE_add_cert(SSL_CTX_get_cert_store(sc), ec.ca);
        SSL_CTX_use_certificate(cc, ec.leaf);
        SSL_CTX_use_PrivateKey(cc, ec.leaf_key);
    }
    if (extra >= 2) {
        SSL_CTX_set1_groups_list(sc, "P-384");
        SSL_CTX_set1_groups_list(cc, "X25519:P-384");
    }
    static const unsigned char alpn[] = { 2, 'h', '2' };
    SSL_CTX_set_alpn_protos(cc, alpn, sizeof(alpn));
    link_t l;
    mk(&l, cc, sc);
    SSL_set_tlsext_host_name(l.c, "server.test");
    st("server before", l.s);
    int r = SSL_do_handshake(l.c);
    printf("  client %d %s\n", r, errname(SSL_get_error(l.c, r)));
    st("client after ClientHello", l.c);
    feed(&l, split);
    for (int i = 0; i < 3 && !(SSL_is_init_finished(l.c) && SSL_is_init_finished(l.s)); i++) {
        s2c(&l);
        r = SSL_do_handshake(l.c);
        printf("  client %d %s\n", r, errname(SSL_get_error(l.c, r)));
        st("client", l.c);
        c2s(&l);
        r = SSL_do_handshake(l.s);
        printf("  server %d %s\n", r, errname(SSL_get_error(l.s, r)));
        st("server", l.s);
    }
    const unsigned char *sel;
    unsigned int sel_len;
    SSL_get0_alpn_selected(l.s, &sel, &sel_len);
    printf("  server ALPN selected \"%.*s\"\n", (int)sel_len, (const char *)sel);
    SSL_get0_alpn_selected(l.c, &sel, &sel_len);
    printf("  client ALPN selected \"%.*s\"\n", (int)sel_len, (const char *)sel);
    ERR_clear_error();
    done(&l, cc, sc);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    if (!keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30))
        return 1;
    run("TLS 1.3 certificate", 0, TLS1_3_VERSION, 0, 0);
    run("TLS 1.3 certificate, ClientHello in records", 0, TLS1_3_VERSION, 1, 0);
    run("TLS 1.3 external PSK", 1, TLS1_3_VERSION, 0, 0);
    run("TLS 1.3 external PSK, ClientHello in records", 1, TLS1_3_VERSION, 1, 0);
    run("TLS 1.3 client certificate", 0, TLS1_3_VERSION, 0, 1);
    run("TLS 1.3 HelloRetryRequest", 0, TLS1_3_VERSION, 0, 2);
    run("TLS 1.3 HelloRetryRequest, ClientHello in records", 0, TLS1_3_VERSION, 1, 2);
    run("TLS 1.3 HelloRetryRequest, ALPN declined for ClientHello 2", 0, TLS1_3_VERSION, 0, 3);
    run("TLS 1.3 external PSK, HelloRetryRequest", 1, TLS1_3_VERSION, 0, 2);
    run("TLS 1.2", 0, TLS1_2_VERSION, 0, 0);
    run("TLS 1.2 client certificate", 0, TLS1_2_VERSION, 0, 1);
    run("TLS 1.2, ClientHello in records", 0, TLS1_2_VERSION, 1, 0);
    keel_test_chain_free(&ec);
    return 0;
}
