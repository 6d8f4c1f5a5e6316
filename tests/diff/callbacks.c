/* Differential probe (tests/diff/run.sh): compiled against the SYSTEM <openssl/ssl.h> and run once
 * on the system libssl and once on keel's (LD_LIBRARY_PATH); the two outputs must be identical.
 * Callbacks as a program sees them (issue #16 items 14-16), both ends in this process: TLS 1.3
 * (full, HelloRetryRequest, resumption; KeyUpdate both ways) and TLS 1.2 (full, resumption, a
 * server-requested renegotiation), each with data and close_notify both ways:
 *   - the message callback's every call (SSL_CTX_set_msg_callback(3)): the SSL3_RT_HEADER and
 *     SSL3_RT_INNER_CONTENT_TYPE pseudo-messages with their bytes, the compatibility
 *     ChangeCipherSpec, handshake types, alerts, the version reported; record lengths only where
 *     the protocol fixes them: not for encrypted application data (padding and tag sizes are the
 *     implementation's choice) nor for handshake records (a hello's extensions are the
 *     implementation's choice, ECDSA signatures vary in length from run to run), of which only
 *     whether the message filled its plaintext record is printed;
 *   - the info callback with SSL_get_state's number at each call;
 *   - the key log's labels in order (SSL_CTX_set_keylog_callback(3));
 *   - SSL_alert_desc_string / _long and SSL_alert_type_string for every code.
 * What it pins: OpenSSL reports every record's header as it is written or read (written: before
 * the callback of the message it carries; version argument: the record's version field), and the
 * inner content type of every TLS 1.3 protected record (sent: version 0x0303, received: 0x0304);
 * the info callback's LOOP for a message that arrives falls after its header is read, before its
 * message callback; the key log's lines come where OpenSSL changes keys (tests/diff/keylog.c runs
 * the key log and alert strings part alone). */
#include "probe.h"

static keel_test_chain ch;

/* Output is off while a resumption scenario makes its session. */
static int quiet;
#define say(...) (quiet ? 0 : printf(__VA_ARGS__))

/* tests/diff/keylog.c includes this file with CB_KEYLOG_ONLY: the key log and the alert strings,
 * which keel already gives as OpenSSL does, without the message and info callbacks' lines. */
#ifndef CB_KEYLOG_ONLY
#define CB_KEYLOG_ONLY 0
#endif

static const char *side(const SSL *s)
{
    return SSL_is_server((SSL *)s) ? "S" : "C";
}

/* The length of the last plaintext handshake record header seen, per [server][write_p]. */
static int hs_rlen[2][2];

static void msg_cb(int write_p, int version, int ct, const void *buf, size_t len, SSL *s, void *arg)
{
    const unsigned char *p = buf;
    int *rlen = &hs_rlen[SSL_is_server(s)][write_p != 0];
    (void)arg;
    if (CB_KEYLOG_ONLY || quiet)
        return;
    printf("  %s msg %s v=%04x ", side(s), write_p ? "sent" : "got ", version);
    switch (ct) {
    case SSL3_RT_HEADER:
        /* type and version bytes; the length only for plaintext records of a fixed size: the
         * size of a hello is the implementation's choice of extensions, and those of
         * certificates and signatures vary from run to run (ECDSA's DER encoding) */
        printf("header len=%zu type=%d ver=%02x%02x", len, len >= 5 ? p[0] : -1, len >= 5 ? p[1] : 0,
               len >= 5 ? p[2] : 0);
        *rlen = len >= 5 && p[0] == SSL3_RT_HANDSHAKE ? p[3] << 8 | p[4] : -1;
        if (len >= 5 && p[0] != SSL3_RT_APPLICATION_DATA && p[0] != SSL3_RT_HANDSHAKE)
            printf(" rlen=%d", p[3] << 8 | p[4]);
        break;
    case SSL3_RT_INNER_CONTENT_TYPE:
        printf("inner len=%zu type=%d", len, len >= 1 ? p[0] : -1);
        break;
    case SSL3_RT_HANDSHAKE:
        /* whether the message came in (or went out as) the plaintext record just reported */
        printf("handshake type=%d%s", len > 0 ? p[0] : -1, (size_t)*rlen == len ? " whole-record" : "");
        *rlen = -1;
        break;
    case SSL3_RT_ALERT:
        printf("alert %d,%d", len == 2 ? p[0] : -1, len == 2 ? p[1] : -1);
        break;
    case SSL3_RT_CHANGE_CIPHER_SPEC:
        printf("ccs len=%zu", len);
        break;
    default:
        printf("ct=%d len=%zu", ct, len);
    }
    printf("\n");
}

static void info_cb(const SSL *s, int where, int ret)
{
    if (CB_KEYLOG_ONLY || quiet)
        return;
    printf("  %s info where=%04x ret=%d state=%d %s\n", side(s), where, ret, SSL_get_state(s),
           SSL_state_string(s));
}

static void keylog_cb(const SSL *s, const char *line)
{
    const char *sp = strchr(line, ' ');
    if (quiet)
        return;
    printf("  %s keylog %.*s\n", side(s), sp ? (int)(sp - line) : 0, line);
}

static SSL_CTX *ctx(int server, int version)
{
    SSL_CTX *c = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    SSL_CTX_set_min_proto_version(c, version);
    SSL_CTX_set_max_proto_version(c, version);
    if (server) {
        SSL_CTX_use_certificate(c, ch.leaf);
        SSL_CTX_use_PrivateKey(c, ch.leaf_key);
        SSL_CTX_set_session_id_context(c, (const unsigned char *)"cb", 2);
    } else {
        X509_STORE_add_cert(SSL_CTX_get_cert_store(c), ch.ca);
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    }
    SSL_CTX_set_msg_callback(c, msg_cb);
    SSL_CTX_set_info_callback(c, info_cb);
    SSL_CTX_set_keylog_callback(c, keylog_cb);
    /* one cipher suite so the record sizes are comparable */
    if (version == TLS1_3_VERSION)
        SSL_CTX_set_ciphersuites(c, "TLS_AES_128_GCM_SHA256");
    else
        SSL_CTX_set_cipher_list(c, "ECDHE-ECDSA-AES128-GCM-SHA256");
    SSL_CTX_set_num_tickets(c, 1);
    return c;
}

/* Each side's SSL_do_handshake in turn, printing each return. */
static int handshake(SSL *c, SSL *s)
{
    int cd = 0, sd = 0;
    for (int i = 0; i < 12 && !(cd && sd); i++) {
        if (!cd) {
            say(" client SSL_do_handshake\n");
            int r = SSL_do_handshake(c);
            if (r == 1)
                cd = 1;
            else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
                return 0;
        }
        if (!sd) {
            say(" server SSL_do_handshake\n");
            int r = SSL_do_handshake(s);
            if (r == 1)
                sd = 1;
            else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
                return 0;
        }
    }
    return cd && sd;
}

/* One connection from handshake to close_notify both ways; sess: offered by the client; the
 * client's session at the end goes to *out if out is not NULL. */
static void connection(SSL_CTX *cc, SSL_CTX *sc, int version, int reneg, SSL_SESSION *sess,
                       SSL_SESSION **out)
{
    SSL *c, *s;
    char buf[16];
    if (!keel_test_pair(cc, sc, &c, &s))
        return;
    if (sess != NULL)
        SSL_set_session(c, sess);
    if (!handshake(c, s)) {
        say(" handshake failed\n");
    } else {
        say(" resumed %d %d\n", SSL_session_reused(c), SSL_session_reused(s));
        say(" client SSL_write\n");
        SSL_write(c, "hello", 5);
        say(" server SSL_read\n");
        SSL_read(s, buf, sizeof(buf));
        say(" server SSL_write\n");
        SSL_write(s, "world!", 6);
        say(" client SSL_read\n");
        SSL_read(c, buf, sizeof(buf));
        if (reneg) {
            /* TLS 1.2: a HelloRequest, and the new handshake driven by each side's SSL_read */
            say(" server SSL_renegotiate\n");
            SSL_renegotiate(s);
            SSL_do_handshake(s);
            for (int i = 0; i < 3; i++) {
                say(" client SSL_read\n");
                SSL_read(c, buf, sizeof(buf));
                say(" server SSL_read\n");
                SSL_read(s, buf, sizeof(buf));
            }
            say(" pending %d %d\n", SSL_renegotiate_pending(c), SSL_renegotiate_pending(s));
        }
        if (version == TLS1_3_VERSION) {
            say(" client SSL_key_update\n");
            SSL_key_update(c, SSL_KEY_UPDATE_REQUESTED);
            SSL_write(c, "x", 1);
            say(" server SSL_read\n");
            SSL_read(s, buf, sizeof(buf));
            SSL_write(s, "y", 1);
            say(" client SSL_read\n");
            SSL_read(c, buf, sizeof(buf));
        }
        say(" client SSL_shutdown\n");
        SSL_shutdown(c);
        say(" server SSL_read\n");
        SSL_read(s, buf, sizeof(buf));
        say(" server SSL_shutdown\n");
        SSL_shutdown(s);
        say(" client SSL_shutdown\n");
        SSL_shutdown(c);
    }
    if (out != NULL)
        *out = SSL_get1_session(c);
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
}

/* hrr: the server accepts P-256 only (the client's key share is x25519); resume: a second
 * connection offering the first one's session, the first not printed; reneg: the server asks
 * for a renegotiation after the first exchange of data. */
static void run(int version, int hrr, int resume, int reneg)
{
    printf("%s%s%s%s:\n", version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2", hrr ? " HelloRetryRequest" : "",
           resume ? " resumption" : "", reneg ? " renegotiation" : "");
    SSL_CTX *cc = ctx(0, version), *sc = ctx(1, version);
    SSL_SESSION *sess = NULL;
    if (hrr)
        SSL_CTX_set1_groups_list(sc, "P-256");
    if (resume) {
        quiet = 1;
        connection(cc, sc, version, 0, NULL, &sess);
        quiet = 0;
    }
    connection(cc, sc, version, reneg, sess, NULL);
    SSL_SESSION_free(sess);
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_LOAD_SSL_STRINGS, NULL);
    if (!keel_test_make_chain(&ch, KT_EC_P256, "example.com", 30))
        return 1;
    run(TLS1_3_VERSION, 0, 0, 0);
    run(TLS1_3_VERSION, 1, 0, 0);
    run(TLS1_2_VERSION, 0, 0, 0);
    run(TLS1_3_VERSION, 0, 1, 0);
    run(TLS1_2_VERSION, 0, 1, 0);
    run(TLS1_2_VERSION, 0, 0, 1);
    printf("alert strings:\n");
    for (int v = 0; v < 256; v++)
        printf("  %d %s \"%s\"\n", v, SSL_alert_desc_string(v), SSL_alert_desc_string_long(v));
    for (int v = 0; v < 4; v++)
        printf("  type %d %s \"%s\"\n", v << 8, SSL_alert_type_string(v << 8),
               SSL_alert_type_string_long(v << 8));
    keel_test_chain_free(&ch);
    return 0;
}
