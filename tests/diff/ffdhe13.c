/* Differential probe (tests/diff/run.sh): compiled against the SYSTEM <openssl/ssl.h> and run once
 * on the system libssl and once on keel's (LD_LIBRARY_PATH); the two outputs must be identical.
 * The RFC 7919 finite-field groups in TLS 1.3 (RFC 8446 §4.2.7, §4.2.8.1):
 *   - the ClientHello's supported_groups and key_share by default, at security levels 3 and 4,
 *     limited to TLS 1.2 (no ffdhe there), and with "ffdhe2048" alone;
 *   - SSL_CTX_set1_groups_list / SSL_CTX_set1_groups accepting and refusing ffdhe names and NIDs;
 *   - a handshake in each group: negotiated group (NID, SSL_group_to_name), the key share's size,
 *     SSL_get_tmp_key / SSL_get_peer_tmp_key (type and bits), HelloRetryRequest when the client's
 *     share is another group, a server whose only group the level refuses. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "tls.h"

static keel_test_chain ec;
static int client_hellos;

/* The ClientHello's supported_groups and the key_share groups with their share lengths. */
static void print_hello(const unsigned char *p, size_t len)
{
    size_t off = 4 + 2 + 32;
    if (len < off + 1)
        return;
    off += 1 + p[off];                                   /* session id */
    off += 2 + ((size_t)p[off] << 8 | p[off + 1]);       /* suites */
    off += 1 + p[off];                                   /* compression */
    size_t end = off + 2 + ((size_t)p[off] << 8 | p[off + 1]);
    int groups = 0, formats = 0;
    off += 2;
    while (off + 4 <= end && end <= len) {
        unsigned type = (unsigned)p[off] << 8 | p[off + 1];
        size_t n = (size_t)p[off + 2] << 8 | p[off + 3];
        const unsigned char *b = p + off + 4;
        if (type == 10) {
            groups = 1;
            printf("    supported_groups:");
            for (size_t i = 2; i + 1 < n; i += 2)
                printf(" %04x", b[i] << 8 | b[i + 1]);
            printf("\n");
        } else if (type == 51) {
            printf("    key_share:");
            for (size_t i = 2; i + 3 < n;) {
                size_t kl = (size_t)b[i + 2] << 8 | b[i + 3];
                printf(" %04x/%zu", b[i] << 8 | b[i + 1], kl);
                i += 4 + kl;
            }
            printf("\n");
        } else if (type == 11) {
            formats = 1; /* where it comes is not compared: the orders differ (docs/COMPAT.md) */
        }
        off += 4 + n;
    }
    if (!groups)
        printf("    no supported_groups\n");
    printf("    ec_point_formats %s\n", formats ? "sent" : "not sent");
}

static int show_hello;

static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len, SSL *s,
                   void *arg)
{
    const unsigned char *p = buf;
    (void)version, (void)arg;
    if (content_type != SSL3_RT_HANDSHAKE || len < 4 || p[0] != SSL3_MT_CLIENT_HELLO)
        return;
    if (SSL_is_server(s))
        client_hellos++;
    else if (write_p && show_hello)
        print_hello(p, len);
}

static void reason(const char *who)
{
    unsigned long e;
    int n = 0;
    printf("  %s reasons:", who);
    for (int i = 0; (e = ERR_get_error()) != 0 && i < 8; i++, n++)
        printf(" [%s]", ERR_reason_error_string(e));
    printf("%s\n", n ? "" : " none");
    ERR_clear_error();
}

static SSL_CTX *client_ctx(void)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c), ec.ca);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_msg_callback(c, msg_cb);
    return c;
}

static SSL_CTX *server_ctx(void)
{
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(c, ec.leaf);
    SSL_CTX_use_PrivateKey(c, ec.leaf_key);
    SSL_CTX_set_msg_callback(c, msg_cb);
    return c;
}

/* The client's first ClientHello as SSL_connect writes it (no server needed). */
static void hello(const char *what, SSL_CTX *cc)
{
    SSL *c = SSL_new(cc);
    BIO *a, *b;
    BIO_new_bio_pair(&a, 0, &b, 0);
    SSL_set_bio(c, a, a);
    show_hello = 1;
    printf("%s:\n", what);
    int r = SSL_connect(c);
    printf("  connect %d error %d\n", r, SSL_get_error(c, r));
    show_hello = 0;
    reason("client");
    SSL_free(c);
    BIO_free(b);
}

static void key_line(const char *who, EVP_PKEY *k)
{
    if (k == NULL) {
        printf(" %s none", who);
        return;
    }
    printf(" %s %s/%d", who, OBJ_nid2sn(EVP_PKEY_get_base_id(k)), EVP_PKEY_get_bits(k));
    EVP_PKEY_free(k);
}

static void handshake(const char *what, SSL_CTX *cc, SSL_CTX *sc)
{
    SSL *c, *s;
    EVP_PKEY *k;
    client_hellos = 0;
    printf("%s:\n", what);
    if (!keel_test_pair(cc, sc, &c, &s)) {
        printf("  pair failed\n");
        return;
    }
    SSL_set_tlsext_host_name(c, "localhost");
    int ok = keel_test_handshake(c, s);
    printf("  handshake %d, ClientHellos %d", ok, client_hellos);
    if (ok) {
        int g = SSL_get_negotiated_group(c), h = SSL_get_negotiated_group(s);
        printf(", %s, group %d/%d %s/%s", SSL_get_version(c), g, h, SSL_group_to_name(c, g),
               SSL_group_to_name(s, h));
        printf(", shared group %ld", SSL_get_shared_group(s, 0));
        /* TLS 1.3 only: OpenSSL 3.0 drops some of TLS 1.2's ECDHE keys at the end of the
         * handshake, keel keeps both (a difference this probe is not about). */
        if (SSL_version(c) == TLS1_3_VERSION) {
        key_line("c tmp", SSL_get_tmp_key(c, &k) ? k : NULL);
        key_line("c peer", SSL_get_peer_tmp_key(c, &k) ? k : NULL);
        key_line("s tmp", SSL_get_tmp_key(s, &k) ? k : NULL);
        key_line("s peer", SSL_get_peer_tmp_key(s, &k) ? k : NULL);
        }
    }
    printf("\n");
    reason("both");
    SSL_free(c);
    SSL_free(s);
}

static void setters(void)
{
    static const char *lists[] = { "ffdhe2048", "FFDHE2048", "FFdhe2048", "ffdhe3072:X25519",
                                   "ffdhe2048:ffdhe2048", "ffdhe1024", "ffdhe8192:ffdhe6144:ffdhe4096",
                                   "dh2048", "x25519", "X25519", "x448", "X448", "p-256", "P-256",
                                   "PRIME256V1", "prime256v1", "Secp384r1", "secp384r1", NULL };
    SSL_CTX *c = SSL_CTX_new(TLS_method());
    printf("set1_groups_list:\n");
    for (int i = 0; lists[i] != NULL; i++) {
        printf("  %s -> %ld\n", lists[i], SSL_CTX_set1_groups_list(c, lists[i]));
        ERR_clear_error();
    }
    int nids[] = { NID_ffdhe2048, NID_X25519, NID_ffdhe8192 };
    printf("set1_groups nids -> %ld\n", SSL_CTX_set1_groups(c, nids, 3));
    ERR_clear_error();
    SSL *s = SSL_new(c);
    static const int names[] = { NID_ffdhe2048, NID_ffdhe3072, NID_ffdhe4096, NID_ffdhe6144,
                                 NID_ffdhe8192, TLSEXT_nid_unknown | 0x0100, TLSEXT_nid_unknown | 0x0105 };
    printf("group_to_name:");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *n = SSL_group_to_name(s, names[i]);
        printf(" %s", n != NULL ? n : "(null)");
    }
    printf("\n");
    ERR_clear_error();
    SSL_free(s);
    SSL_CTX_free(c);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--which") == 0) {
        Dl_info di;
        if (!dladdr((void *)SSL_new, &di))
            return 1;
        printf("%s\n", di.dli_fname);
        return 0;
    }
    if (!keel_test_make_chain(&ec, KT_EC_P256, "localhost", 30))
        return 1;
    SSL_CTX *cc = client_ctx();
    hello("default ClientHello", cc);
    SSL_CTX_set_security_level(cc, 3);
    hello("level 3", cc);
    SSL_CTX_set_security_level(cc, 4);
    hello("level 4", cc);
    SSL_CTX_set_security_level(cc, 1);
    SSL_CTX_set_max_proto_version(cc, TLS1_2_VERSION);
    hello("TLS 1.2 only", cc);
    SSL_CTX_set1_groups_list(cc, "ffdhe2048:ffdhe3072");
    hello("TLS 1.2 only, ffdhe groups only", cc);
    SSL_CTX_set_max_proto_version(cc, 0);
    hello("ffdhe2048:ffdhe3072", cc);
    SSL_CTX_free(cc);

    setters();

    static const char *groups[] = { "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192" };
    for (int i = 0; i < 5; i++) {
        char what[64];
        cc = client_ctx();
        SSL_CTX *sc = server_ctx();
        SSL_CTX_set1_groups_list(cc, groups[i]);
        snprintf(what, sizeof(what), "client %s, server default", groups[i]);
        handshake(what, cc, sc);
        SSL_CTX_set1_groups_list(cc, "X25519");
        SSL_CTX_set1_groups_list(sc, groups[i]);
        snprintf(what, sizeof(what), "client X25519, server %s", groups[i]);
        handshake(what, cc, sc);
        SSL_CTX_free(cc);
        SSL_CTX_free(sc);
    }
    cc = client_ctx();
    SSL_CTX *sc = server_ctx();
    SSL_CTX_set1_groups_list(sc, "ffdhe3072");
    handshake("client default, server ffdhe3072 (HelloRetryRequest)", cc, sc);
    SSL_CTX_set1_groups_list(sc, "ffdhe2048");
    SSL_CTX_set_security_level(sc, 3);
    handshake("client default, server ffdhe2048 at level 3", cc, sc);
    SSL_CTX_set_security_level(sc, 1);
    SSL_CTX_set1_groups_list(cc, "ffdhe4096:ffdhe2048");
    SSL_CTX_set1_groups_list(sc, "ffdhe2048:ffdhe4096");
    SSL_CTX_set_options(sc, SSL_OP_CIPHER_SERVER_PREFERENCE);
    handshake("client ffdhe4096:ffdhe2048, server ffdhe2048:ffdhe4096 (its preference)", cc, sc);
    SSL_CTX_set_max_proto_version(cc, TLS1_2_VERSION);
    SSL_CTX_set1_groups_list(cc, "ffdhe2048:P-256");
    SSL_CTX_set1_groups_list(sc, "ffdhe2048:P-256");
    handshake("TLS 1.2, ffdhe2048:P-256 both (ECDHE on P-256)", cc, sc);
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
    keel_test_chain_free(&ec);
    return 0;
}
