/* Differential probe (tests/diff/run.sh), issue #16 items 1-5: state and lifecycle.
 *   1. the state after a fatal alert sent or received, during and after the handshake
 *      (SSL_in_init, SSL_is_init_finished, the state string, shutdown flags, what later calls return);
 *   2. SSL_get_key_update_type and a second SSL_key_update while one is pending;
 *   3. SSL_shutdown with unread application data, and after SSL_set_shutdown;
 *   4. SSL_set_bio's references, counted by when each BIO's destroy runs;
 *   5. what SSL_clear keeps, SSL_get_info_callback, SSL_get_servername in the ClientHello
 *      callback, the peer certificate getters after a failed verification. */
#include "probe.h"

static keel_test_chain ec;

static void state(const char *who, SSL *s)
{
    printf("  %s: in_init %d init_finished %d before %d state \"%s\" (%s) shutdown %d\n", who,
           SSL_in_init(s), SSL_is_init_finished(s), SSL_in_before(s), SSL_state_string_long(s),
           SSL_state_string(s), SSL_get_shutdown(s));
}

static void after_fatal(const char *who, SSL *s)
{
    char b[16];
    state(who, s);
    res("SSL_do_handshake", s, SSL_do_handshake(s));
    res("SSL_read", s, SSL_read(s, b, sizeof(b)));
    res("SSL_write", s, SSL_write(s, "x", 1));
    res("SSL_shutdown", s, SSL_shutdown(s));
    state(who, s);
}

/* The record headers waiting in a memory BIO (type, length), left in place. */
static void records(const char *what, BIO *b)
{
    char *p;
    long n = BIO_get_mem_data(b, &p);
    printf("  %s:", what);
    for (long i = 0; i + 5 <= n; i += 5 + ((unsigned char)p[i + 3] << 8 | (unsigned char)p[i + 4]))
        printf(" (%d, %d)", p[i], (unsigned char)p[i + 3] << 8 | (unsigned char)p[i + 4]);
    printf("\n");
}

static SSL_CTX *cctx(int version)
{
    SSL_CTX *c = keel_test_client_ctx(&ec);
    SSL_CTX_set_max_proto_version(c, version);
    return c;
}

static void fatal_in_handshake(int version)
{
    printf("== %s: the client refuses the server's certificate\n", vname(version));
    SSL_CTX *cc = SSL_CTX_new(TLS_client_method()), *sc = keel_test_server_ctx(&ec);
    SSL_CTX_set_verify(cc, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_max_proto_version(cc, version);
    link_t l;
    mk(&l, cc, sc);
    printf("  handshake %d\n", shake(&l));
    ERR_clear_error();
    /* item 5: the peer certificate getters after the failed verification */
    X509 *p = SSL_get1_peer_certificate(l.c);
    STACK_OF(X509) *ch = SSL_get_peer_cert_chain(l.c);
    printf("  client: peer certificate %s, chain %d, verify result %ld\n", p ? "set" : "NULL",
           ch ? sk_X509_num(ch) : -1, SSL_get_verify_result(l.c));
    X509_free(p);
    after_fatal("client (sent)", l.c);
    after_fatal("server (received)", l.s);
    done(&l, cc, sc);
}

static void fatal_after_handshake(int version)
{
    printf("== %s: a corrupted record after the handshake\n", vname(version));
    SSL_CTX *cc = cctx(version), *sc = keel_test_server_ctx(&ec);
    link_t l;
    mk(&l, cc, sc);
    printf("  handshake %d\n", shake(&l));
    SSL_write(l.c, "abc", 3);
    char buf[20000];
    int n = BIO_read(l.c_out, buf, sizeof(buf));
    buf[n - 1] ^= 1;
    BIO_write(l.s_in, buf, n);
    char b[16];
    res("server SSL_read", l.s, SSL_read(l.s, b, sizeof(b)));
    s2c(&l);
    res("client SSL_read", l.c, SSL_read(l.c, b, sizeof(b)));
    after_fatal("server (sent)", l.s);
    after_fatal("client (received)", l.c);
    done(&l, cc, sc);
}

static void key_update(void)
{
    printf("== SSL_get_key_update_type\n");
    SSL_CTX *cc = cctx(TLS1_3_VERSION), *sc = keel_test_server_ctx(&ec);
    link_t l;
    mk(&l, cc, sc);
    shake(&l);
    printf("  before %d\n", SSL_get_key_update_type(l.c));
    int r = SSL_key_update(l.c, SSL_KEY_UPDATE_REQUESTED);
    printf("  key_update(requested) %d, type %d\n", r, SSL_get_key_update_type(l.c));
    errs();
    state("client", l.c);
    r = SSL_key_update(l.c, SSL_KEY_UPDATE_NOT_REQUESTED);
    printf("  again (not requested) %d, type %d\n", r, SSL_get_key_update_type(l.c));
    errs();
    res("write", l.c, SSL_write(l.c, "x", 1));
    printf("  after the write: type %d\n", SSL_get_key_update_type(l.c));
    c2s(&l);
    char b[16];
    res("server read", l.s, SSL_read(l.s, b, sizeof(b)));
    printf("  server type %d\n", SSL_get_key_update_type(l.s));
    state("server", l.s);
    printf("  server wrote %d bytes\n", (int)BIO_ctrl_pending(l.s_out));
    res("server write", l.s, SSL_write(l.s, "y", 1));
    printf("  server type %d\n", SSL_get_key_update_type(l.s));
    state("server", l.s);
    s2c(&l);
    res("client read", l.c, SSL_read(l.c, b, sizeof(b)));
    done(&l, cc, sc);
}

/* peeked: the client has looked at the data (the record is buffered) before shutting down. */
static void shutdown_unread(int version, int peeked, int server_closes)
{
    printf("== %s: SSL_shutdown with unread data%s%s\n", vname(version),
           peeked ? ", peeked" : "", server_closes ? ", server's close_notify behind it" : "");
    SSL_CTX *cc = cctx(version), *sc = keel_test_server_ctx(&ec);
    link_t l;
    mk(&l, cc, sc);
    shake(&l);
    char b[16];
    res("client read (tickets)", l.c, SSL_read(l.c, b, sizeof(b)));
    SSL_write(l.s, "hello", 5);
    if (server_closes)
        res("server shutdown", l.s, SSL_shutdown(l.s));
    s2c(&l);
    if (peeked)
        res("client peek", l.c, SSL_peek(l.c, b, 2));
    printf("  pending %d\n", SSL_pending(l.c));
    res("client shutdown 1", l.c, SSL_shutdown(l.c));
    records("client wrote", l.c_out);
    res("client shutdown 2", l.c, SSL_shutdown(l.c));
    records("client wrote", l.c_out);
    res("client shutdown 3", l.c, SSL_shutdown(l.c));
    records("client wrote", l.c_out);
    printf("  shutdown flags %d pending %d\n", SSL_get_shutdown(l.c), SSL_pending(l.c));
    res("client read", l.c, SSL_read(l.c, b, sizeof(b)));
    c2s(&l);
    res("server read", l.s, SSL_read(l.s, b, sizeof(b)));
    res("server shutdown", l.s, SSL_shutdown(l.s));
    done(&l, cc, sc);
}

/* Half-closed: data the peer sends after our close_notify is still read (SSL_shutdown(3)). */
static void read_after_close(int version)
{
    printf("== %s: SSL_read after our close_notify\n", vname(version));
    SSL_CTX *cc = cctx(version), *sc = keel_test_server_ctx(&ec);
    link_t l;
    mk(&l, cc, sc);
    shake(&l);
    char b[16];
    res("client read (tickets)", l.c, SSL_read(l.c, b, sizeof(b)));
    res("client shutdown 1", l.c, SSL_shutdown(l.c));
    c2s(&l);
    res("server write", l.s, SSL_write(l.s, "hello", 5));
    s2c(&l);
    res("client read", l.c, SSL_read(l.c, b, sizeof(b)));
    res("server read", l.s, SSL_read(l.s, b, sizeof(b)));
    res("server write", l.s, SSL_write(l.s, "again", 5));
    s2c(&l);
    res("client shutdown 2", l.c, SSL_shutdown(l.c));
    records("client wrote", l.c_out);
    res("server shutdown", l.s, SSL_shutdown(l.s));
    s2c(&l);
    res("client shutdown 3", l.c, SSL_shutdown(l.c));
    done(&l, cc, sc);
}

static void set_shutdown(int flags)
{
    printf("== SSL_set_shutdown(%d) then SSL_shutdown\n", flags);
    SSL_CTX *cc = cctx(TLS1_3_VERSION), *sc = keel_test_server_ctx(&ec);
    link_t l;
    mk(&l, cc, sc);
    shake(&l);
    SSL_set_shutdown(l.c, flags);
    res("shutdown 1", l.c, SSL_shutdown(l.c));
    printf("  written %d flags %d\n", (int)BIO_ctrl_pending(l.c_out), SSL_get_shutdown(l.c));
    res("shutdown 2", l.c, SSL_shutdown(l.c));
    printf("  written %d flags %d\n", (int)BIO_ctrl_pending(l.c_out), SSL_get_shutdown(l.c));
    char b[8];
    res("write", l.c, SSL_write(l.c, "x", 1));
    res("read", l.c, SSL_read(l.c, b, sizeof(b)));
    done(&l, cc, sc);
}

/* ---- item 4: references, counted by a BIO whose destroy is observed ---- */

static int destroyed[4];
static BIO_METHOD *counting;

static int cnt_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static int cnt_destroy(BIO *b)
{
    destroyed[(int)(intptr_t)BIO_get_data(b)]++;
    return 1;
}

static long cnt_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b, (void)num, (void)ptr;
    return cmd == BIO_CTRL_FLUSH;
}

/* Each BIO starts with 1 + 10 references (the caller's one plus ten held back), so the SSL can
 * never destroy it: afterwards the frees until destroy runs show the references the SSL left. */
static BIO *cbio(int i)
{
    BIO *b = BIO_new(counting);
    BIO_set_data(b, (void *)(intptr_t)i);
    for (int k = 0; k < 10; k++)
        BIO_up_ref(b);
    return b;
}

static int remaining(BIO *b, int i)
{
    int n = 0;
    while (destroyed[i] == 0 && n < 30) {
        BIO_free(b);
        n++;
    }
    return n;
}

static void refs(const char *name, int r1, int w1, int r2, int w2)
{
    SSL_CTX *cc = cctx(TLS1_3_VERSION);
    SSL *s = SSL_new(cc);
    BIO *b[3];
    memset(destroyed, 0, sizeof(destroyed));
    for (int i = 0; i < 3; i++)
        b[i] = cbio(i + 1);
    SSL_set_bio(s, r1 ? b[r1 - 1] : NULL, w1 ? b[w1 - 1] : NULL);
    if (r2 >= 0)
        SSL_set_bio(s, r2 ? b[r2 - 1] : NULL, w2 ? b[w2 - 1] : NULL);
    printf("  %s: rbio %c wbio %c;", name, SSL_get_rbio(s) == b[0] ? 'A' : SSL_get_rbio(s) == b[1] ? 'B' : SSL_get_rbio(s) == b[2] ? 'C' : '-',
           SSL_get_wbio(s) == b[0] ? 'A' : SSL_get_wbio(s) == b[1] ? 'B' : SSL_get_wbio(s) == b[2] ? 'C' : '-');
    int early[3];
    for (int i = 0; i < 3; i++)
        early[i] = destroyed[i + 1];
    SSL_free(s);
    for (int i = 0; i < 3; i++)
        printf(" %c: destroyed early %d, references left %d", 'A' + i, early[i], remaining(b[i], i + 1));
    printf("\n");
    SSL_CTX_free(cc);
}

static void bio_refs(void)
{
    printf("== SSL_set_bio references (each BIO handed over with 11; left after SSL_free)\n");
    counting = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "counting");
    BIO_meth_set_create(counting, cnt_create);
    BIO_meth_set_destroy(counting, cnt_destroy);
    BIO_meth_set_ctrl(counting, cnt_ctrl);
    refs("(A,A)", 1, 1, -1, 0);
    refs("(A,B)", 1, 2, -1, 0);
    refs("(A,A) then (A,A)", 1, 1, 1, 1);
    refs("(A,B) then (A,B)", 1, 2, 1, 2);
    refs("(A,A) then (B,A)", 1, 1, 2, 1);
    refs("(A,A) then (A,B)", 1, 1, 1, 2);
    refs("(A,A) then (B,B)", 1, 1, 2, 2);
    refs("(A,A) then (B,C)", 1, 1, 2, 3);
    refs("(A,B) then (C,B)", 1, 2, 3, 2);
    refs("(A,B) then (A,C)", 1, 2, 1, 3);
    refs("(A,B) then (B,B)", 1, 2, 2, 2);
    refs("(A,B) then (A,A)", 1, 2, 1, 1);
    refs("(A,B) then (B,A)", 1, 2, 2, 1);
    refs("(A,B) then (C,C)", 1, 2, 3, 3);
    refs("(A,B) then (NULL,NULL)", 1, 2, 0, 0);
    refs("(A,A) then (NULL,NULL)", 1, 1, 0, 0);
    refs("(A,NULL) then (B,NULL)", 1, 0, 2, 0);
    refs("(NULL,A) then (NULL,B)", 0, 1, 0, 2);
    BIO_meth_free(counting);
}

/* ---- item 5 ---- */

static void info_cb(const SSL *s, int where, int ret)
{
    (void)s, (void)where, (void)ret;
}

static int ch_cb(SSL *s, int *al, void *arg)
{
    (void)al, (void)arg;
    const unsigned char *p;
    size_t len;
    printf("  in the ClientHello callback: servername %s, type %d, ext %d\n",
           SSL_get_servername(s, TLSEXT_NAMETYPE_host_name) ? SSL_get_servername(s, TLSEXT_NAMETYPE_host_name) : "NULL",
           SSL_get_servername_type(s), SSL_client_hello_get0_ext(s, TLSEXT_TYPE_server_name, &p, &len));
    return SSL_CLIENT_HELLO_SUCCESS;
}

static void misc(int version)
{
    printf("== %s: SSL_clear, SSL_get_info_callback, servername in the ClientHello callback\n",
           vname(version));
    SSL_CTX *cc = cctx(version), *sc = keel_test_server_ctx(&ec);
    SSL_CTX_set_info_callback(sc, info_cb);
    SSL_CTX_set_client_hello_cb(sc, ch_cb, NULL);
    link_t l;
    mk(&l, cc, sc);
    SSL_set_tlsext_host_name(l.c, "server.test");
    printf("  info callback: ctx %s, ssl %s\n", SSL_CTX_get_info_callback(sc) == info_cb ? "ours" : "NULL",
           SSL_get_info_callback(l.s) == info_cb ? "ours" : SSL_get_info_callback(l.s) ? "other" : "NULL");
    SSL_set_info_callback(l.c, info_cb);
    printf("  after SSL_set_info_callback: %s\n", SSL_get_info_callback(l.c) == info_cb ? "ours" : "NULL");
    printf("  handshake %d\n", shake(&l));
    char b[8];
    SSL_read(l.c, b, sizeof(b));
    ERR_clear_error();
    for (int i = 0; i < 2; i++) {
        SSL *x = i ? l.s : l.c;
        X509 *p = SSL_get1_peer_certificate(x);
        const SSL_CIPHER *ci = SSL_get_current_cipher(x);
        printf("  %s before SSL_clear: cipher %s, peer %s, version %s, session %s\n", i ? "server" : "client",
               ci ? SSL_CIPHER_get_name(ci) : "NULL", p ? "set" : "NULL", SSL_get_version(x),
               SSL_get_session(x) ? "set" : "NULL");
        X509_free(p);
        SSL_set_shutdown(x, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        printf("  SSL_clear %d\n", SSL_clear(x));
        p = SSL_get1_peer_certificate(x);
        ci = SSL_get_current_cipher(x);
        STACK_OF(X509) *ch = SSL_get_peer_cert_chain(x);
        printf("  %s after SSL_clear: cipher %s, peer %s, chain %d, version %s, session %s, in_init %d,"
               " before %d, state %s, shutdown %d\n", i ? "server" : "client",
               ci ? SSL_CIPHER_get_name(ci) : "NULL", p ? "set" : "NULL", ch ? sk_X509_num(ch) : -1,
               SSL_get_version(x), SSL_get_session(x) ? "set" : "NULL", SSL_in_init(x), SSL_in_before(x),
               SSL_state_string_long(x), SSL_get_shutdown(x));
        X509_free(p);
    }
    done(&l, cc, sc);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    if (!keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30))
        return 1;
    fatal_in_handshake(TLS1_3_VERSION);
    fatal_in_handshake(TLS1_2_VERSION);
    fatal_after_handshake(TLS1_3_VERSION);
    fatal_after_handshake(TLS1_2_VERSION);
    key_update();
    for (int v = 0; v < 2; v++)
        for (int p = 0; p < 2; p++)
            for (int sc = 0; sc < 2; sc++)
                shutdown_unread(v ? TLS1_2_VERSION : TLS1_3_VERSION, p, sc);
    read_after_close(TLS1_3_VERSION);
    read_after_close(TLS1_2_VERSION);
    set_shutdown(SSL_SENT_SHUTDOWN);
    set_shutdown(SSL_RECEIVED_SHUTDOWN);
    set_shutdown(SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    bio_refs();
    misc(TLS1_3_VERSION);
    misc(TLS1_2_VERSION);
    keel_test_chain_free(&ec);
    return 0;
}
