/* Differential probe (tests/diff/run.sh): a handshake message no state takes, sent in plaintext
 * by a scripted peer (issue #16): OpenSSL 3.0 refuses it at its 4-byte header, before the body is
 * read and before the message callback sees it, with unexpected_message. Each case is sent whole
 * and with the header and only part of the body (which must not be waited for). */
#include "probe.h"

static keel_test_chain ec;

static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl, void *arg)
{
    (void)version; (void)ssl; (void)arg;
    const unsigned char *p = buf;
    if (content_type == SSL3_RT_HEADER)
        printf("  msg_cb %s record header type %d\n", write_p ? "sent" : "received", len >= 1 ? p[0] : -1);
    else if (!write_p)
        printf("  msg_cb received content type %d, first byte %d, %zu bytes\n", content_type,
               len >= 1 ? p[0] : -1, len);
}

static void info_cb(const SSL *s, int where, int ret)
{
    if (where & SSL_CB_ALERT)
        printf("  alert %s %s\n", (where & SSL_CB_READ) ? "read" : "sent", SSL_alert_desc_string_long(ret));
    else if (where & SSL_CB_LOOP)
        printf("  loop %s\n", SSL_state_string(s));
}

/* A plaintext record of one handshake message: type, a 100-byte body of which `send` bytes go. */
static void inject(BIO *to, int type, int send)
{
    unsigned char rec[5 + 4 + 100] = { 22, 3, 3, 0, 0, (unsigned char)type, 0, 0, 100 };
    int n = 4 + send;
    rec[3] = (unsigned char)(n >> 8);
    rec[4] = (unsigned char)n;
    BIO_write(to, rec, 5 + n);
}

static void server_case(int type, int send)
{
    printf("== server gets message type %d first (%d of 100 body bytes)\n", type, send);
    SSL_CTX *sc = keel_test_server_ctx(&ec), *cc = keel_test_client_ctx(&ec);
    link_t l;
    mk(&l, cc, sc);
    SSL_set_msg_callback(l.s, msg_cb);
    SSL_set_info_callback(l.s, info_cb);
    inject(l.s_in, type, send);
    res("SSL_do_handshake", l.s, SSL_do_handshake(l.s));
    printf("  left in the BIO %d, state %s, written %d\n", (int)BIO_pending(l.s_in), SSL_state_string(l.s),
           (int)BIO_pending(l.s_out));
    done(&l, cc, sc);
}

static void client_case(int version, int type, int send)
{
    printf("== %s client gets message type %d after its ClientHello (%d of 100 body bytes)\n",
           vname(version), type, send);
    SSL_CTX *sc = keel_test_server_ctx(&ec), *cc = keel_test_client_ctx(&ec);
    SSL_CTX_set_max_proto_version(cc, version);
    link_t l;
    mk(&l, cc, sc);
    SSL_set_msg_callback(l.c, msg_cb);
    SSL_set_info_callback(l.c, info_cb);
    res("SSL_do_handshake", l.c, SSL_do_handshake(l.c));
    BIO_reset(l.c_out);
    inject(l.c_in, type, send);
    res("SSL_do_handshake", l.c, SSL_do_handshake(l.c));
    printf("  left in the BIO %d, state %s, written %d\n", (int)BIO_pending(l.c_in), SSL_state_string(l.c),
           (int)BIO_pending(l.c_out));
    done(&l, cc, sc);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    if (!keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30))
        return 1;
    static const int server_types[] = { SSL3_MT_SERVER_HELLO, SSL3_MT_CERTIFICATE, SSL3_MT_FINISHED, 99 };
    static const int client_types[] = { SSL3_MT_CLIENT_HELLO, SSL3_MT_CERTIFICATE, SSL3_MT_SERVER_DONE,
                                        SSL3_MT_FINISHED, 99 };
    for (int send = 100; send >= 10; send -= 90) {
        for (size_t i = 0; i < sizeof(server_types) / sizeof(server_types[0]); i++)
            server_case(server_types[i], send);
        for (size_t i = 0; i < sizeof(client_types) / sizeof(client_types[0]); i++) {
            client_case(TLS1_3_VERSION, client_types[i], send);
            client_case(TLS1_2_VERSION, client_types[i], send);
        }
    }
    keel_test_chain_free(&ec);
    return 0;
}
