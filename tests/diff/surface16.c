/* Differential probe (tests/diff/run.sh): effects of functions curl, nginx, haproxy and Python call
 * (abi/targets.txt) that only tests/api/surface*.c exercised, each asserted by what it does, not
 * by reading back what was set:
 *   - SSL_CTX_use_certificate_file / SSL_CTX_use_PrivateKey_file (PEM, a mismatched key) and an
 *     encrypted key through SSL_CTX_set_default_passwd_cb(_userdata): the handshake they allow,
 *     the callback's arguments, a wrong password;
 *   - SSL_get_privatekey: the key in use, from the context and after SSL_use_PrivateKey;
 *   - SSL_get_ex_data_X509_STORE_CTX_idx: the SSL found from inside the verify callback, which
 *     SSL_CTX_get_verify_callback returns;
 *   - SSL_CTX_set_ex_data / SSL_CTX_get_ex_data: the value, the index's free function at
 *     SSL_CTX_free;
 *   - SSL_CTX_set_client_CA_list / SSL_set_client_CA_list: the names the client receives;
 *     SSL_dup_CA_list: a copy independent of its original;
 *   - SSL_clear_options: an option cleared on the SSL changes the handshake;
 *   - SSL_set0_rbio / SSL_set0_wbio: a handshake through BIOs given separately; ownership;
 *   - SSL_get_client_ciphers and SSL_client_hello_get0_ciphers: the client's offer as the server
 *     sees it;
 *   - SSL_CTX_set_default_verify_paths: the CA file SSL_CERT_FILE names becomes trusted;
 *   - SSL_get_current_compression, SSL_waiting_for_async, SSL_get_all_async_fds,
 *     SSL_get_changed_async_fds after a handshake (no compression, no async engine). */
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <unistd.h>

#include "probe.h"

static keel_test_chain ec, ec2;
static char dir[64], leaf_pem[128], key_pem[128], enc_pem[128], key2_pem[128], ca_pem[128];

static void drain_errs(void) { errs(); }

static int write_pem(const char *path, X509 *x, EVP_PKEY *k, const char *pass)
{
    BIO *b = BIO_new_file(path, "w");
    int ok = b != NULL
        && (x != NULL ? PEM_write_bio_X509(b, x)
            : PEM_write_bio_PrivateKey(b, k, pass ? EVP_aes_128_cbc() : NULL, NULL, 0, NULL, (void *)pass));
    BIO_free(b);
    return ok;
}

static SSL_CTX *client_ctx(void)
{
    SSL_CTX *c = keel_test_client_ctx(&ec);
    return c;
}

/* ---- certificate and key files, the password callback ---- */

static int pw_calls;
static int pw_cb(char *buf, int size, int rwflag, void *u)
{
    pw_calls++;
    printf("  passwd_cb size>=%d rwflag %d userdata %s\n", size >= 1024, rwflag, u ? (const char *)u : "NULL");
    const char *p = u != NULL ? (const char *)u : "";
    int n = (int)strlen(p);
    if (n > size)
        return -1;
    memcpy(buf, p, (size_t)n);
    return n;
}

static void try_files(const char *what, const char *cert, const char *key, const char *pass, int with_cb)
{
    printf("== files: %s\n", what);
    SSL_CTX *sc = SSL_CTX_new(TLS_server_method());
    if (with_cb) {
        SSL_CTX_set_default_passwd_cb(sc, pw_cb);
        SSL_CTX_set_default_passwd_cb_userdata(sc, (void *)pass);
        printf("  get_default_passwd_cb is ours %d, userdata is ours %d\n", SSL_CTX_get_default_passwd_cb(sc) == pw_cb,
               SSL_CTX_get_default_passwd_cb_userdata(sc) == (void *)pass);
    }
    pw_calls = 0;
    printf("  use_certificate_file %d\n", SSL_CTX_use_certificate_file(sc, cert, SSL_FILETYPE_PEM));
    drain_errs();
    int r = SSL_CTX_use_PrivateKey_file(sc, key, SSL_FILETYPE_PEM);
    printf("  use_PrivateKey_file %d (callback calls %d)\n", r, pw_calls);
    drain_errs();
    printf("  check_private_key %d\n", SSL_CTX_check_private_key(sc));
    drain_errs();
    SSL_CTX *cc = client_ctx();
    link_t l;
    mk(&l, cc, sc);
    int ok = shake(&l);
    printf("  handshake %d", ok);
    if (ok) {
        X509 *peer = SSL_get0_peer_certificate(l.c);
        printf(" peer is the file's leaf %d", peer != NULL && X509_cmp(peer, ec.leaf) == 0);
    }
    printf("\n");
    ERR_clear_error();
    done(&l, cc, sc);
}

/* ---- SSL_get_privatekey ---- */

static void privatekey(void)
{
    printf("== SSL_get_privatekey\n");
    SSL_CTX *sc = keel_test_server_ctx(&ec), *cc = client_ctx();
    SSL *s = SSL_new(sc);
    printf("  fresh SSL: the context's key %d\n", EVP_PKEY_eq(SSL_get_privatekey(s), ec.leaf_key) == 1);
    SSL_free(s);
    SSL *none = SSL_new(cc);
    printf("  client without a key: %s\n", SSL_get_privatekey(none) == NULL ? "NULL" : "set");
    SSL_free(none);
    link_t l;
    mk(&l, cc, sc);
    /* Another certificate and key on the SSL only: the one it signs with. */
    SSL_use_certificate(l.s, ec2.leaf);
    SSL_use_PrivateKey(l.s, ec2.leaf_key);
    printf("  after SSL_use_PrivateKey: the new key %d, the context keeps its own %d\n",
           EVP_PKEY_eq(SSL_get_privatekey(l.s), ec2.leaf_key) == 1,
           EVP_PKEY_eq(SSL_CTX_get0_privatekey(sc), ec.leaf_key) == 1);
    SSL_set_verify(l.c, SSL_VERIFY_NONE, NULL); /* (both CAs have one name) */
    int ok = shake(&l);
    X509 *peer = SSL_get0_peer_certificate(l.c);
    printf("  handshake %d, the client saw the SSL's certificate %d, key in use is it %d\n", ok,
           peer != NULL && X509_cmp(peer, ec2.leaf) == 0, EVP_PKEY_eq(SSL_get_privatekey(l.s), ec2.leaf_key) == 1);
    ERR_clear_error();
    done(&l, cc, sc);
}

/* ---- the verify callback and the SSL's index in the store context ---- */

static SSL *expect_ssl;
static int vcb_calls, vcb_found;
static int verify_cb(int ok, X509_STORE_CTX *x)
{
    SSL *s = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    vcb_calls++;
    if (s == expect_ssl)
        vcb_found++;
    return ok;
}

static void verify_idx(void)
{
    printf("== SSL_get_ex_data_X509_STORE_CTX_idx, SSL_CTX_get_verify_callback\n");
    int i1 = SSL_get_ex_data_X509_STORE_CTX_idx(), i2 = SSL_get_ex_data_X509_STORE_CTX_idx();
    printf("  the same index each time %d, non-negative %d\n", i1 == i2, i1 >= 0);
    SSL_CTX *sc = keel_test_server_ctx(&ec), *cc = client_ctx();
    SSL_CTX_set_verify(cc, SSL_VERIFY_PEER, verify_cb);
    printf("  get_verify_callback is ours %d\n", SSL_CTX_get_verify_callback(cc) == verify_cb);
    link_t l;
    mk(&l, cc, sc);
    expect_ssl = l.c;
    vcb_calls = vcb_found = 0;
    int ok = shake(&l);
    printf("  handshake %d, callback called %d, each time with the SSL %d\n", ok, vcb_calls > 0, vcb_calls == vcb_found);
    ERR_clear_error();
    done(&l, cc, sc);
}

/* ---- context ex_data ---- */

static int ex_frees;
static void ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argp;
    if (ptr != NULL) {
        ex_frees++;
        printf("  free func: value %s argl %ld\n", (const char *)ptr, argl);
    }
}

static void ctx_ex_data(void)
{
    printf("== SSL_CTX_set_ex_data / SSL_CTX_get_ex_data\n");
    int idx = SSL_CTX_get_ex_new_index(42, NULL, NULL, NULL, ex_free);
    SSL_CTX *c = SSL_CTX_new(TLS_method());
    static char v1[] = "one", v2[] = "two";
    printf("  unset %s\n", SSL_CTX_get_ex_data(c, idx) == NULL ? "NULL" : "set");
    printf("  set %d\n", SSL_CTX_set_ex_data(c, idx, v1));
    printf("  got %s\n", (const char *)SSL_CTX_get_ex_data(c, idx));
    SSL_CTX_set_ex_data(c, idx, v2);
    printf("  replaced: %s (free func calls so far %d)\n", (const char *)SSL_CTX_get_ex_data(c, idx), ex_frees);
    /* An SSL made from it has its own ex_data. */
    SSL *s = SSL_new(c);
    printf("  the SSL's slot %s, the SSL's context's %s\n", SSL_get_ex_data(s, idx) == NULL ? "NULL" : "set",
           (const char *)SSL_CTX_get_ex_data(SSL_get_SSL_CTX(s), idx));
    SSL_free(s);
    printf("  SSL_free: free func calls %d\n", ex_frees);
    SSL_CTX_free(c);
    printf("  SSL_CTX_free: free func calls %d\n", ex_frees);
}

/* ---- CA name lists ---- */

static STACK_OF(X509_NAME) *names(X509 *a, X509 *b)
{
    STACK_OF(X509_NAME) *sk = sk_X509_NAME_new_null();
    sk_X509_NAME_push(sk, X509_NAME_dup(X509_get_subject_name(a)));
    if (b != NULL)
        sk_X509_NAME_push(sk, X509_NAME_dup(X509_get_subject_name(b)));
    return sk;
}

static void print_names(const char *what, const STACK_OF(X509_NAME) *sk)
{
    printf("  %s:", what);
    if (sk == NULL) {
        printf(" NULL\n");
        return;
    }
    for (int i = 0; i < sk_X509_NAME_num(sk); i++) {
        char buf[128];
        X509_NAME_oneline(sk_X509_NAME_value(sk, i), buf, sizeof(buf));
        printf(" %s", buf);
    }
    printf("\n");
}

static void ca_lists(int version)
{
    printf("== %s: client CA lists\n", vname(version));
    for (int k = 0; k < 3; k++) {
        SSL_CTX *sc = keel_test_server_ctx(&ec), *cc = client_ctx();
        SSL_CTX_set_max_proto_version(sc, version);
        SSL_CTX_set_verify(sc, SSL_VERIFY_PEER, NULL);
        X509_STORE_add_cert(SSL_CTX_get_cert_store(sc), ec.ca);
        SSL_CTX_use_certificate(cc, ec.leaf);
        SSL_CTX_use_PrivateKey(cc, ec.leaf_key);
        if (k >= 1)
            SSL_CTX_set_client_CA_list(sc, names(ec.ca, ec2.ca));
        link_t l;
        mk(&l, cc, sc);
        if (k == 2)
            SSL_set_client_CA_list(l.s, names(ec2.ca, NULL));
        int ok = shake(&l);
        printf("  %s: handshake %d\n", k == 0 ? "no list" : k == 1 ? "context's list" : "SSL's list over it", ok);
        print_names("client received", SSL_get_client_CA_list(l.c));
        ERR_clear_error();
        done(&l, cc, sc);
    }
    STACK_OF(X509_NAME) *orig = names(ec.ca, ec2.ca), *copy = SSL_dup_CA_list(orig);
    X509_NAME_free(sk_X509_NAME_pop(copy));
    X509_NAME_ENTRY_free(X509_NAME_delete_entry(sk_X509_NAME_value(copy, 0), 0));
    print_names("SSL_dup_CA_list: original after the copy was edited", orig);
    print_names("the copy", copy);
    sk_X509_NAME_pop_free(orig, X509_NAME_free);
    sk_X509_NAME_pop_free(copy, X509_NAME_free);
}

/* ---- SSL_clear_options ---- */

static void clear_options(void)
{
    printf("== SSL_clear_options\n");
    SSL_CTX *sc = keel_test_server_ctx(&ec), *cc = client_ctx();
    SSL_CTX_set_options(sc, SSL_OP_NO_TLSv1_3 | SSL_OP_NO_TICKET);
    for (int k = 0; k < 2; k++) {
        link_t l;
        mk(&l, cc, sc);
        if (k == 1) {
            uint64_t left = SSL_clear_options(l.s, SSL_OP_NO_TLSv1_3);
            printf("  clear NO_TLSv1_3 on the SSL: options left include NO_TICKET %d, NO_TLSv1_3 %d;"
                   " the context's NO_TLSv1_3 %d\n", (left & SSL_OP_NO_TICKET) != 0, (left & SSL_OP_NO_TLSv1_3) != 0,
                   (SSL_CTX_get_options(sc) & SSL_OP_NO_TLSv1_3) != 0);
        }
        int ok = shake(&l);
        printf("  handshake %d %s\n", ok, SSL_get_version(l.c));
        ERR_clear_error();
        lfree(&l);
    }
    SSL_CTX_free(sc);
    SSL_CTX_free(cc);
}

/* ---- SSL_set0_rbio / SSL_set0_wbio ---- */

static void set0_bios(void)
{
    printf("== SSL_set0_rbio / SSL_set0_wbio\n");
    SSL_CTX *sc = keel_test_server_ctx(&ec), *cc = client_ctx();
    SSL *c = SSL_new(cc), *s = SSL_new(sc);
    BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
    BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(c_in, -1);
    BIO_set_mem_eof_return(s_in, -1);
    SSL_set0_rbio(c, c_in);
    SSL_set0_wbio(c, c_out);
    SSL_set0_rbio(s, s_in);
    SSL_set0_wbio(s, s_out);
    printf("  get_rbio/get_wbio are them %d %d\n", SSL_get_rbio(c) == c_in, SSL_get_wbio(c) == c_out);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    SSL_set1_host(c, "server.test");
    link_t l = { c, s, c_in, c_out, s_in, s_out };
    int ok = shake(&l);
    char buf[8];
    int n = SSL_write(c, "hello", 5);
    c2s(&l);
    printf("  handshake %d, write %d, read %d\n", ok, n, SSL_read(s, buf, sizeof(buf)));
    /* A new write BIO replaces (and frees) the old; the next record goes to the new one. */
    BIO *w2 = BIO_new(BIO_s_mem());
    SSL_set0_wbio(s, w2);
    SSL_write(s, "x", 1);
    printf("  after a new wbio: bytes in it %d, in the SSL's rbio %d\n", (int)BIO_pending(w2), (int)BIO_pending(s_in));
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
}

/* ---- the client's offer, seen by the server ---- */

static int hello_cb(SSL *s, int *al, void *arg)
{
    (void)al;
    (void)arg;
    const unsigned char *p;
    size_t n = SSL_client_hello_get0_ciphers(s, &p);
    printf("  client_hello_cb: get0_ciphers %zu bytes:", n);
    for (size_t i = 0; i < n; i++)
        printf("%s%02x", i % 2 ? "" : " ", p[i]);
    printf("\n");
    return SSL_CLIENT_HELLO_SUCCESS;
}

static void client_ciphers(int version)
{
    printf("== %s: SSL_get_client_ciphers, SSL_client_hello_get0_ciphers\n", vname(version));
    SSL_CTX *sc = keel_test_server_ctx(&ec), *cc = client_ctx();
    SSL_CTX_set_max_proto_version(cc, version);
    SSL_CTX_set_cipher_list(cc, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA");
    SSL_CTX_set_ciphersuites(cc, "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256");
    SSL_CTX_set_client_hello_cb(sc, hello_cb, NULL);
    link_t l;
    mk(&l, cc, sc);
    printf("  before the handshake: %s\n", SSL_get_client_ciphers(l.s) == NULL ? "NULL" : "set");
    int ok = shake(&l);
    STACK_OF(SSL_CIPHER) *sk = SSL_get_client_ciphers(l.s);
    printf("  handshake %d, server's SSL_get_client_ciphers:", ok);
    for (int i = 0; sk != NULL && i < sk_SSL_CIPHER_num(sk); i++)
        printf(" %s", SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i)));
    printf("\n  client's SSL_get_client_ciphers: %s\n", SSL_get_client_ciphers(l.c) == NULL ? "NULL" : "set");
    /* Nothing compressed, no async engine. */
    size_t nfds = 99, nadd = 99, ndel = 99;
    printf("  compression %s, waiting_for_async %d, all_async_fds %d n=%zu, changed_async_fds %d n=%zu/%zu\n",
           SSL_get_current_compression(l.s) == NULL ? "NULL" : "set", SSL_waiting_for_async(l.s),
           SSL_get_all_async_fds(l.s, NULL, &nfds), nfds, SSL_get_changed_async_fds(l.s, NULL, &nadd, NULL, &ndel),
           nadd, ndel);
    ERR_clear_error();
    done(&l, cc, sc);
}

/* ---- SSL_CTX_set_default_verify_paths ---- */

static void default_paths(void)
{
    printf("== SSL_CTX_set_default_verify_paths (SSL_CERT_FILE = the CA)\n");
    setenv(X509_get_default_cert_file_env(), ca_pem, 1);
    for (int k = 0; k < 2; k++) {
        SSL_CTX *sc = keel_test_server_ctx(&ec), *cc = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_verify(cc, SSL_VERIFY_PEER, NULL);
        if (k == 1)
            printf("  set_default_verify_paths %d\n", SSL_CTX_set_default_verify_paths(cc));
        link_t l;
        mk(&l, cc, sc);
        int ok = shake(&l);
        printf("  %s: handshake %d verify %ld\n", k ? "with the default paths" : "without", ok, SSL_get_verify_result(l.c));
        ERR_clear_error();
        done(&l, cc, sc);
    }
    unsetenv(X509_get_default_cert_file_env());
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    if (!keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30)
            || !keel_test_make_chain(&ec2, KT_EC_P256, "server.test", 30))
        return 1;
    snprintf(dir, sizeof(dir), "/tmp/keel-surface16-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(leaf_pem, sizeof(leaf_pem), "%s/leaf.pem", dir);
    snprintf(key_pem, sizeof(key_pem), "%s/key.pem", dir);
    snprintf(enc_pem, sizeof(enc_pem), "%s/enc.pem", dir);
    snprintf(key2_pem, sizeof(key2_pem), "%s/key2.pem", dir);
    snprintf(ca_pem, sizeof(ca_pem), "%s/ca.pem", dir);
    if (!write_pem(leaf_pem, ec.leaf, NULL, NULL) || !write_pem(key_pem, NULL, ec.leaf_key, NULL)
            || !write_pem(enc_pem, NULL, ec.leaf_key, "sesame") || !write_pem(key2_pem, NULL, ec2.leaf_key, NULL) || !write_pem(ca_pem, ec.ca, NULL, NULL))
        return 1;

    try_files("certificate and key", leaf_pem, key_pem, NULL, 0);
    try_files("a key that is not the certificate's", leaf_pem, key2_pem, NULL, 0);
    try_files("encrypted key, the right password", leaf_pem, enc_pem, "sesame", 1);
    try_files("encrypted key, a wrong password", leaf_pem, enc_pem, "wrong", 1);
    try_files("a missing file", "/nonexistent/leaf.pem", key_pem, NULL, 0);
    privatekey();
    verify_idx();
    ctx_ex_data();
    ca_lists(TLS1_3_VERSION);
    ca_lists(TLS1_2_VERSION);
    clear_options();
    set0_bios();
    client_ciphers(TLS1_3_VERSION);
    client_ciphers(TLS1_2_VERSION);
    default_paths();

    unlink(leaf_pem);
    unlink(key_pem);
    unlink(enc_pem);
    unlink(key2_pem);
    unlink(ca_pem);
    rmdir(dir);
    keel_test_chain_free(&ec);
    keel_test_chain_free(&ec2);
    return 0;
}
