/* Differential probe (tests/diff/run.sh): compiled against the SYSTEM <openssl/ssl.h> and run once
 * on the system libssl and once on keel's (LD_LIBRARY_PATH); the two outputs must be identical.
 * Getters (issue #16 item 17) before and after TLS 1.3 and TLS 1.2 handshakes, on both ends:
 * temporary keys, shared group, groups, signature NIDs, shared signature algorithms with an index
 * out of range, the CA lists, SSL_client_version, SSL_get_extms_support; and (item 22) the suites
 * at the end of the ClientHello (TLS_EMPTY_RENEGOTIATION_INFO_SCSV) for each version range. */
#include "probe.h"

static keel_test_chain ch;

/* The ClientHello's last two cipher suites, from the message callback. */
static void msg_cb(int write_p, int version, int ct, const void *buf, size_t len, SSL *s, void *arg)
{
    const unsigned char *p = buf;
    (void)version;
    (void)arg;
    if (!write_p || ct != SSL3_RT_HANDSHAKE || len < 40 || p[0] != SSL3_MT_CLIENT_HELLO || SSL_is_server(s))
        return;
    size_t off = 4 + 2 + 32;
    off += 1 + p[off];
    if (off + 2 > len)
        return;
    size_t n = (size_t)p[off] << 8 | p[off + 1];
    off += 2;
    if (n < 4 || off + n > len)
        return;
    printf("  ClientHello: %zu suites, last %02x%02x %02x%02x\n", n / 2, p[off + n - 4], p[off + n - 3],
           p[off + n - 2], p[off + n - 1]);
}

static void tmp_key(const char *what, int ok, EVP_PKEY *k)
{
    if (!ok || k == NULL) {
        printf(" %s: none (%d)", what, ok);
    } else {
        printf(" %s: %d bits %d", what, EVP_PKEY_get_id(k), EVP_PKEY_get_bits(k));
        EVP_PKEY_free(k);
    }
}

static void getters(const char *who, SSL *x)
{
    EVP_PKEY *k = NULL;
    int nid = 0;
    printf(" %s:", who);
    int ok = SSL_get_peer_tmp_key(x, &k);
    tmp_key("peer_tmp_key", ok, k);
    k = NULL;
    ok = SSL_get_tmp_key(x, &k);
    tmp_key("tmp_key", ok, k);
    printf(" shared_group0 %d", (int)SSL_get_shared_group(x, 0));
    printf(" shared_group-1 %d", (int)SSL_get_shared_group(x, -1));
    int n = (int)SSL_get1_groups(x, NULL);
    printf(" groups %d", n);
    if (n > 0 && n < 64) {
        int g[64];
        SSL_get1_groups(x, g);
        printf(" [%d..%d]", g[0], g[n - 1]);
    }
    ok = SSL_get_peer_signature_nid(x, &nid);
    printf(" peer_sig_nid %d/%d", ok, ok ? nid : 0);
    nid = 0;
    ok = SSL_get_signature_nid(x, &nid);
    printf(" sig_nid %d/%d", ok, ok ? nid : 0);
    ok = SSL_get_peer_signature_type_nid(x, &nid);
    printf(" peer_sig_type %d/%d", ok, ok ? nid : 0);
    int sign = 0, hash = 0, sh = 0;
    unsigned char rsig = 0, rhash = 0;
    printf(" shared_sigalgs(-1) %d", SSL_get_shared_sigalgs(x, -1, &sign, &hash, &sh, &rsig, &rhash));
    /* (not compared: the number of schemes, SSL_get_sigalgs and SSL_get_shared_sigalgs(s, 0, ...):
     * OpenSSL 3.0's client with TLS 1.2 enabled offers 20 at the default level, keel's 16) */
    printf(" client_version %x extms %d", SSL_client_version(x), (int)SSL_get_extms_support(x));
    const STACK_OF(X509_NAME) *ca = SSL_get0_CA_list(x);
    printf(" CA_list %s", ca == NULL ? "NULL" : sk_X509_NAME_num(ca) == 0 ? "empty" : "some");
    ca = SSL_get0_peer_CA_list(x);
    printf(" peer_CA_list %s", ca == NULL ? "NULL" : sk_X509_NAME_num(ca) == 0 ? "empty" : "some");
    ca = SSL_get_client_CA_list(x);
    printf(" client_CA_list %s\n", ca == NULL ? "NULL" : sk_X509_NAME_num(ca) == 0 ? "empty" : "some");
    ERR_clear_error();
}

static int server_max; /* the server's highest version, 0 for its default */

static void run(int min, int max, const char *groups)
{
    printf("%x-%x (server max %x) %s:\n", min, max, server_max, groups ? groups : "default groups");
    SSL_CTX *sc = SSL_CTX_new(TLS_server_method()), *cc = SSL_CTX_new(TLS_client_method());
    SSL_CTX_use_certificate(sc, ch.leaf);
    SSL_CTX_use_PrivateKey(sc, ch.leaf_key);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(cc), ch.ca);
    SSL_CTX_set_verify(cc, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_min_proto_version(cc, min);
    SSL_CTX_set_max_proto_version(cc, max);
    SSL_CTX_set_msg_callback(cc, msg_cb);
    if (server_max)
        SSL_CTX_set_max_proto_version(sc, server_max);
    if (groups)
        SSL_CTX_set1_groups_list(sc, groups);
    const STACK_OF(X509_NAME) *ca = SSL_CTX_get0_CA_list(sc);
    printf(" CTX_get0_CA_list %s CTX_get_client_CA_list %s\n",
           ca == NULL ? "NULL" : sk_X509_NAME_num(ca) == 0 ? "empty" : "some",
           SSL_CTX_get_client_CA_list(sc) == NULL ? "NULL" : "set");
    SSL *c, *s;
    if (!keel_test_pair(cc, sc, &c, &s))
        return;
    getters("client before", c);
    getters("server before", s);
    int ok = keel_test_handshake(c, s);
    printf(" handshake %d %s\n", ok, SSL_get_version(c));
    ERR_clear_error();
    getters("client", c);
    getters("server", s);
    keel_test_free_pair(c, s);
    SSL_CTX_free(sc);
    SSL_CTX_free(cc);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_LOAD_SSL_STRINGS, NULL);
    if (!keel_test_make_chain(&ch, KT_EC_P256, "example.com", 30))
        return 1;
    run(TLS1_3_VERSION, TLS1_3_VERSION, NULL);
    run(TLS1_3_VERSION, TLS1_3_VERSION, "P-384");
    run(TLS1_2_VERSION, TLS1_3_VERSION, NULL);
    run(TLS1_2_VERSION, TLS1_2_VERSION, NULL);
    run(TLS1_2_VERSION, TLS1_2_VERSION, "P-384");
    /* a TLS 1.3-capable client on a TLS 1.2 server: the key share it offered, in another group */
    server_max = TLS1_2_VERSION;
    run(TLS1_2_VERSION, TLS1_3_VERSION, NULL);
    run(TLS1_2_VERSION, TLS1_3_VERSION, "P-384");
    keel_test_chain_free(&ch);
    return 0;
}
