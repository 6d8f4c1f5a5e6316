/* Differential probe (tests/diff/run.sh): compiled against the SYSTEM <openssl/ssl.h> and run once
 * on the system libssl and once on keel's (LD_LIBRARY_PATH); the two outputs must be identical.
 * The numbered control interface (SSL_ctrl(3)): every SSL_CTRL_* number OpenSSL 3.0 defines, on a
 * fresh SSL_CTX and SSL and, for the getters, after a TLS 1.3 handshake: return values, whether the
 * error queue changed, the values reported. Numbers OpenSSL does not handle return 0 and leave the
 * error queue alone. Also the effects: SSL_CTX_set_tmp_ecdh restricts the groups (issue #11.4), the
 * HMAC_CTX ticket callback issues and opens tickets (ctrl 72), SSL_CTX_set_tmp_dh is accepted (#11.3),
 * the verify store set by ctrl 106 is the one peer chains are checked against. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SSL_CTX_set_tmp_dh/ecdh take DH/EC_KEY: deprecated, still ABI */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/ec.h>
#include <openssl/dh.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ocsp.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

static EVP_PKEY *key(const char *curve) { return EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve); }

static const char *cn(X509 *x)
{
    static char buf[64];
    if (x == NULL)
        return "-";
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, sizeof(buf));
    return buf;
}

static void print_chain(const char *what, STACK_OF(X509) *sk)
{
    printf("  %s:", what);
    if (sk == NULL)
        printf(" NULL");
    for (int i = 0; i < sk_X509_num(sk); i++)
        printf(" %s", cn(sk_X509_value(sk, i)));
    printf("\n");
}

/* What a call did to the error queue: "-" untouched, else the reason of the error it added. */
static const char *errq(void)
{
    static char buf[96];
    unsigned long e = ERR_peek_last_error();
    if (e == 0)
        return "-";
    snprintf(buf, sizeof(buf), "%s", ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?");
    ERR_clear_error();
    return buf;
}

#define SHOW(label, expr) do { ERR_clear_error(); long r_ = (long)(expr); \
        printf("%s = %ld err=%s\n", label, r_, errq()); } while (0)

/* ---- a handshake over a BIO pair ---- */

static char alert_c[40], alert_s[40];
static void info_cb(const SSL *s, int where, int ret)
{
    char *d = SSL_is_server((SSL *)s) ? alert_s : alert_c;
    if ((where & SSL_CB_WRITE_ALERT) && d[0] == '\0')
        snprintf(d, 40, "%s", SSL_alert_desc_string_long(ret));
}

static int handshake(SSL *c, SSL *s)
{
    ERR_clear_error();
    alert_c[0] = alert_s[0] = '\0';
    int ok = keel_test_handshake(c, s);
    /* Let the client read the server's tickets. */
    char b;
    SSL_read(c, &b, 1);
    ERR_clear_error();
    return ok;
}

static EVP_PKEY *leafk, *cak, *interk;
static X509 *leaf, *ca, *inter;

static SSL_CTX *server_ctx(void)
{
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
    SSL_CTX_use_certificate(c, leaf);
    SSL_CTX_use_PrivateKey(c, leafk);
    SSL_CTX_add1_chain_cert(c, inter);
    SSL_CTX_set_info_callback(c, info_cb);
    return c;
}

static SSL_CTX *client_ctx(void)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c), ca);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_info_callback(c, info_cb);
    return c;
}

static int connect_pair(SSL_CTX *cc, SSL_CTX *sc, SSL **pc, SSL **ps, SSL_SESSION *sess)
{
    BIO *b1, *b2;
    *pc = SSL_new(cc);
    *ps = SSL_new(sc);
    BIO_new_bio_pair(&b1, 0, &b2, 0);
    SSL_set_bio(*pc, b1, b1);
    SSL_set_bio(*ps, b2, b2);
    SSL_set_connect_state(*pc);
    SSL_set_accept_state(*ps);
    if (sess != NULL)
        SSL_set_session(*pc, sess);
    return handshake(*pc, *ps);
}

/* ---- ctrl 72: the HMAC_CTX ticket callback ---- */

static unsigned char tk_name[16] = "keel-probe-name", tk_aes[32], tk_hmac[32];
static int tk_calls_enc, tk_calls_dec, tk_decline;

static int ticket_cb(SSL *s, unsigned char *name, unsigned char *iv, EVP_CIPHER_CTX *ectx,
                     HMAC_CTX *hctx, int enc)
{
    if (enc) {
        tk_calls_enc++;
        memcpy(name, tk_name, 16);
        RAND_bytes(iv, 16);
        EVP_EncryptInit_ex(ectx, EVP_aes_256_cbc(), NULL, tk_aes, iv);
        HMAC_Init_ex(hctx, tk_hmac, 32, EVP_sha256(), NULL);
        return 1;
    }
    tk_calls_dec++;
    if (tk_decline || memcmp(name, tk_name, 16) != 0)
        return 0;
    HMAC_Init_ex(hctx, tk_hmac, 32, EVP_sha256(), NULL);
    EVP_DecryptInit_ex(ectx, EVP_aes_256_cbc(), NULL, tk_aes, iv);
    return 1;
}

static int status_cb(SSL *s, void *arg) { return 1; }

static int debug_calls, debug_server_hello_ext;
static void debug_cb(SSL *s, int client_server, int type, const unsigned char *data, int len, void *arg)
{
    if (arg == (void *)&debug_calls)
        debug_calls++;
    /* A client is shown the ServerHello's supported_versions (RFC 8446 §4.2.1). */
    if (client_server == 1 && type == TLSEXT_TYPE_supported_versions && len == 2)
        debug_server_hello_ext = (data[0] << 8) | data[1];
}

/* Every number OpenSSL 3.0's headers define as SSL_CTRL_* / DTLS_CTRL_*. */
static const int defined[] = { 3, 4, 6, 9, 10, 11, 12, 13, 14, 15, 16, 17, 20, 21, 22, 23, 24, 25,
    26, 27, 28, 29, 30, 31, 33, 40, 41, 42, 43, 44, 45, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 63,
    64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 88, 89, 90, 91,
    92, 93, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 115, 116, 117,
    118, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 133, 134, 136, 137, 138 };

static int is_defined(int n)
{
    for (size_t i = 0; i < sizeof(defined) / sizeof(defined[0]); i++)
        if (defined[i] == n)
            return 1;
    return 0;
}

static void print_pkey(const char *what, EVP_PKEY *k, long r)
{
    char g[64] = "-";
    if (k != NULL)
        EVP_PKEY_get_utf8_string_param(k, "group", g, sizeof(g), NULL);
    printf("  %s = %ld %s bits=%d group=%s\n", what, r, k ? OBJ_nid2sn(EVP_PKEY_get_base_id(k)) : "NULL",
           k ? EVP_PKEY_get_bits(k) : 0, g);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--which") == 0) {
        Dl_info info;
        dladdr((void *)SSL_new, &info);
        printf("%s\n", info.dli_fname);
        return 0;
    }
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_LOAD_SSL_STRINGS, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    cak = key("P-256");
    interk = key("P-256");
    leafk = key("P-256");
    ca = keel_test_cert("ca", cak, NULL, NULL, 1);
    inter = keel_test_cert("inter", interk, ca, cak, 1);
    leaf = keel_test_cert("leaf", leafk, inter, interk, 0);

    /* Numbers OpenSSL 3.0 does not define: 0, error queue untouched, on all four entry points. */
    {
        SSL_CTX *ctx = SSL_CTX_new(TLS_method());
        SSL *s = SSL_new(ctx);
        int odd = 0;
        for (int n = 0; n < 200; n++) {
            if (is_defined(n))
                continue;
            ERR_clear_error();
            long r1 = SSL_CTX_ctrl(ctx, n, 0, NULL), r2 = SSL_ctrl(s, n, 0, NULL);
            long r3 = SSL_CTX_callback_ctrl(ctx, n, NULL), r4 = SSL_callback_ctrl(s, n, NULL);
            if (r1 || r2 || r3 || r4 || ERR_peek_error() != 0) {
                printf("undefined ctrl %d: %ld %ld %ld %ld err=%s\n", n, r1, r2, r3, r4, errq());
                odd++;
            }
        }
        printf("undefined numbers: %d answered otherwise than 0 without an error\n", odd);
        SSL_free(s);
        SSL_CTX_free(ctx);
    }

    /* Fresh objects: the setters and getters that need no connection. */
    {
        SSL_CTX *ctx = SSL_CTX_new(TLS_method());
        SSL *s;
        void *p = NULL;
        long r;

        EC_KEY *ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
        SHOW("SSL_CTX_set_tmp_ecdh(P-256)", SSL_CTX_set_tmp_ecdh(ctx, ec));
        SHOW("SSL_CTX_set_tmp_ecdh(NULL)", SSL_CTX_ctrl(ctx, SSL_CTRL_SET_TMP_ECDH, 0, NULL));
        DH *dh = DH_get_2048_256();
        SHOW("SSL_CTX_set_tmp_dh", SSL_CTX_set_tmp_dh(ctx, dh));
        SHOW("SSL_CTX_set_tmp_dh(NULL)", SSL_CTX_ctrl(ctx, SSL_CTRL_SET_TMP_DH, 0, NULL));
        DH *dh1024 = DH_get_1024_160();
        SHOW("SSL_CTX_set_tmp_dh(1024 bits), level 2", (SSL_CTX_set_security_level(ctx, 2),
             SSL_CTX_set_tmp_dh(ctx, dh1024)));
        SHOW("SSL_CTX_set_tmp_dh(1024 bits), level 1", (SSL_CTX_set_security_level(ctx, 1),
             SSL_CTX_set_tmp_dh(ctx, dh1024)));
        EVP_PKEY *pk1024 = EVP_PKEY_new();
        EVP_PKEY_set1_DH(pk1024, dh1024);
        SSL_CTX_set_security_level(ctx, 2);
        ERR_clear_error();
        r = SSL_CTX_set0_tmp_dh_pkey(ctx, pk1024);
        printf("SSL_CTX_set0_tmp_dh_pkey(1024 bits), level 2 = %ld err=%s\n", r, errq());
        if (r != 1)
            EVP_PKEY_free(pk1024); /* ownership passes on success only */
        SSL_CTX_set_security_level(ctx, 1);
        DH_free(dh1024);
        SHOW("SSL_CTX_set_dh_auto(1)", SSL_CTX_set_dh_auto(ctx, 1));
        SHOW("SSL_CTX_ctrl(SET_TMP_DH_CB)", SSL_CTX_ctrl(ctx, SSL_CTRL_SET_TMP_DH_CB, 0, NULL));
        SHOW("SSL_CTX_callback_ctrl(SET_TMP_DH_CB, NULL)",
             SSL_CTX_callback_ctrl(ctx, SSL_CTRL_SET_TMP_DH_CB, NULL));
        SSL_CTX_set_tmp_dh_callback(ctx, NULL);
        printf("SSL_CTX_set_tmp_dh_callback err=%s\n", errq());

        SHOW("SSL_CTX_set_tlsext_status_cb", SSL_CTX_set_tlsext_status_cb(ctx, status_cb));
        SHOW("SSL_CTX_set_tlsext_status_arg", SSL_CTX_set_tlsext_status_arg(ctx, (void *)ctx));
        int (*got_cb)(SSL *, void *) = NULL;
        r = SSL_CTX_get_tlsext_status_cb(ctx, &got_cb);
        printf("SSL_CTX_get_tlsext_status_cb = %ld same=%d err=%s\n", r, got_cb == status_cb, errq());
        r = SSL_CTX_get_tlsext_status_arg(ctx, &p);
        printf("SSL_CTX_get_tlsext_status_arg = %ld same=%d err=%s\n", r, p == (void *)ctx, errq());
        SHOW("SSL_CTX_get_tlsext_status_type", SSL_CTX_get_tlsext_status_type(ctx));
        SHOW("SSL_CTX_set_tlsext_status_type(ocsp)", SSL_CTX_set_tlsext_status_type(ctx, TLSEXT_STATUSTYPE_ocsp));
        SHOW("SSL_CTX_get_tlsext_status_type", SSL_CTX_get_tlsext_status_type(ctx));
        SHOW("SSL_CTX_set_tlsext_ticket_key_cb", SSL_CTX_set_tlsext_ticket_key_cb(ctx, ticket_cb));
        SHOW("SSL_CTX_set_tlsext_servername_callback(NULL)", SSL_CTX_set_tlsext_servername_callback(ctx, NULL));
        unsigned char keys[80];
        SHOW("SSL_CTX_get_tlsext_ticket_keys(79)", SSL_CTX_get_tlsext_ticket_keys(ctx, keys, 79));

        SHOW("SSL_CTX_use_certificate", SSL_CTX_use_certificate(ctx, leaf));
        SHOW("SSL_CTX_use_PrivateKey", SSL_CTX_use_PrivateKey(ctx, leafk));
        STACK_OF(X509) *sk = NULL;
        SHOW("SSL_CTX_add1_chain_cert", SSL_CTX_add1_chain_cert(ctx, inter));
        SHOW("SSL_CTX_add_extra_chain_cert", SSL_CTX_add_extra_chain_cert(ctx, X509_dup(ca)));
        r = SSL_CTX_get_extra_chain_certs(ctx, &sk);
        print_chain("SSL_CTX_get_extra_chain_certs", sk);
        r = SSL_CTX_get_extra_chain_certs_only(ctx, &sk);
        print_chain("SSL_CTX_get_extra_chain_certs_only", sk);
        SHOW("SSL_CTX_clear_extra_chain_certs", SSL_CTX_clear_extra_chain_certs(ctx));
        r = SSL_CTX_get_extra_chain_certs(ctx, &sk);
        print_chain("SSL_CTX_get_extra_chain_certs (none: the current chain)", sk);
        r = SSL_CTX_get_extra_chain_certs_only(ctx, &sk);
        print_chain("SSL_CTX_get_extra_chain_certs_only (none)", sk);
        r = SSL_CTX_get0_chain_certs(ctx, &sk);
        print_chain("SSL_CTX_get0_chain_certs", sk);

        /* SSL_CTX_build_cert_chain(3): from the chain store, else the verify store. */
        SHOW("SSL_CTX_build_cert_chain(0), empty store", SSL_CTX_build_cert_chain(ctx, 0));
        SHOW("SSL_CTX_build_cert_chain(IGNORE_ERROR)", SSL_CTX_build_cert_chain(ctx, SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR));
        SHOW("SSL_CTX_build_cert_chain(IGNORE|CLEAR)", SSL_CTX_build_cert_chain(ctx,
             SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR | SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR));
        SSL_CTX_get0_chain_certs(ctx, &sk);
        print_chain("chain after failed builds", sk);
        SHOW("SSL_CTX_build_cert_chain(UNTRUSTED), empty store",
             SSL_CTX_build_cert_chain(ctx, SSL_BUILD_CHAIN_FLAG_UNTRUSTED));
        X509_STORE *cs = X509_STORE_new();
        X509_STORE_add_cert(cs, ca);
        SHOW("SSL_CTX_set1_chain_cert_store", SSL_CTX_set1_chain_cert_store(ctx, cs));
        X509_STORE *got = NULL;
        SSL_CTX_get0_chain_cert_store(ctx, &got);
        printf("  SSL_CTX_get0_chain_cert_store same=%d\n", got == cs);
        SHOW("SSL_CTX_build_cert_chain(UNTRUSTED)", SSL_CTX_build_cert_chain(ctx, SSL_BUILD_CHAIN_FLAG_UNTRUSTED));
        SSL_CTX_get0_chain_certs(ctx, &sk);
        print_chain("built chain", sk);
        SHOW("SSL_CTX_build_cert_chain(UNTRUSTED|NO_ROOT)",
             SSL_CTX_build_cert_chain(ctx, SSL_BUILD_CHAIN_FLAG_UNTRUSTED | SSL_BUILD_CHAIN_FLAG_NO_ROOT));
        SSL_CTX_get0_chain_certs(ctx, &sk);
        print_chain("built chain (no root)", sk);
        SHOW("SSL_CTX_build_cert_chain(CHECK)", SSL_CTX_build_cert_chain(ctx, SSL_BUILD_CHAIN_FLAG_CHECK));
        SSL_CTX_clear_chain_certs(ctx);
        SHOW("SSL_CTX_build_cert_chain(CHECK), no chain", SSL_CTX_build_cert_chain(ctx, SSL_BUILD_CHAIN_FLAG_CHECK));
        SHOW("SSL_CTX_build_cert_chain(0), intermediate missing", SSL_CTX_build_cert_chain(ctx, 0));
        X509_STORE_add_cert(cs, inter);
        SHOW("SSL_CTX_build_cert_chain(0)", SSL_CTX_build_cert_chain(ctx, 0));
        SSL_CTX_get0_chain_certs(ctx, &sk);
        print_chain("built chain from the store", sk);
        SHOW("SSL_CTX_set0_chain_cert_store(NULL)", SSL_CTX_set0_chain_cert_store(ctx, NULL));
        SSL_CTX_get0_chain_cert_store(ctx, &got);
        printf("  SSL_CTX_get0_chain_cert_store null=%d\n", got == NULL);
        SHOW("SSL_CTX_set1_verify_cert_store", SSL_CTX_set1_verify_cert_store(ctx, cs));
        SSL_CTX_get0_verify_cert_store(ctx, &got);
        printf("  SSL_CTX_get0_verify_cert_store same=%d\n", got == cs);
        X509_STORE_free(cs);

        SHOW("SSL_CTX_select_current_cert(leaf)", SSL_CTX_select_current_cert(ctx, leaf));
        SHOW("SSL_CTX_select_current_cert(ca)", SSL_CTX_select_current_cert(ctx, ca));
        SHOW("SSL_CTX_set_current_cert(FIRST)", SSL_CTX_set_current_cert(ctx, SSL_CERT_SET_FIRST));
        SHOW("SSL_CTX_set_current_cert(NEXT)", SSL_CTX_set_current_cert(ctx, SSL_CERT_SET_NEXT));
        SHOW("SSL_CTX_set_current_cert(SERVER)", SSL_CTX_set_current_cert(ctx, SSL_CERT_SET_SERVER));
        SHOW("SSL_CTX_set_current_cert(FIRST)", SSL_CTX_set_current_cert(ctx, SSL_CERT_SET_FIRST));

        SHOW("SSL_CTX_set_max_send_fragment(1000)", SSL_CTX_set_max_send_fragment(ctx, 1000));
        SHOW("SSL_CTX_set_split_send_fragment(1000)", SSL_CTX_set_split_send_fragment(ctx, 1000));
        SHOW("SSL_CTX_set_split_send_fragment(2000)", SSL_CTX_set_split_send_fragment(ctx, 2000));
        SHOW("SSL_CTX_set_max_pipelines(1)", SSL_CTX_set_max_pipelines(ctx, 1));
        SHOW("SSL_CTX_set_max_pipelines(0)", SSL_CTX_set_max_pipelines(ctx, 0));
        SHOW("SSL_CTX_set_max_pipelines(40)", SSL_CTX_set_max_pipelines(ctx, 40));
        SHOW("SSL_CTX_set_cert_flags", SSL_CTX_ctrl(ctx, SSL_CTRL_CERT_FLAGS, 0, NULL));
        SHOW("SSL_CTX_clear_cert_flags", SSL_CTX_ctrl(ctx, SSL_CTRL_CLEAR_CERT_FLAGS, 0, NULL));
        SHOW("SSL_CTX_ctrl(SET_MTU)", SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MTU, 1000, NULL));
        SHOW("SSL_CTX_ctrl(GET_RAW_CIPHERLIST)", SSL_CTX_ctrl(ctx, SSL_CTRL_GET_RAW_CIPHERLIST, 0, NULL));
        SHOW("SSL_CTX_ctrl(GET_TLSEXT_TICKET_KEYS, 0)", SSL_CTX_ctrl(ctx, SSL_CTRL_GET_TLSEXT_TICKET_KEYS, 0, NULL));
        SHOW("SSL_CTX_ctrl(SET_TLSEXT_HOSTNAME)", SSL_CTX_ctrl(ctx, SSL_CTRL_SET_TLSEXT_HOSTNAME, 0, NULL));
        SHOW("SSL_CTX_ctrl(GET_NEGOTIATED_GROUP)", SSL_CTX_ctrl(ctx, SSL_CTRL_GET_NEGOTIATED_GROUP, 0, NULL));
        SHOW("SSL_CTX_ctrl(GET_SHARED_GROUP)", SSL_CTX_ctrl(ctx, SSL_CTRL_GET_SHARED_GROUP, -1, NULL));
        SHOW("SSL_CTX_ctrl(GET_EXTMS_SUPPORT)", SSL_CTX_ctrl(ctx, SSL_CTRL_GET_EXTMS_SUPPORT, 0, NULL));
        SHOW("SSL_CTX_ctrl(GET_RI_SUPPORT)", SSL_CTX_ctrl(ctx, SSL_CTRL_GET_RI_SUPPORT, 0, NULL));
        SHOW("SSL_CTX_ctrl(GET_TOTAL_RENEGOTIATIONS)", SSL_CTX_ctrl(ctx, SSL_CTRL_GET_TOTAL_RENEGOTIATIONS, 0, NULL));
        SHOW("SSL_CTX_ctrl(SET_RETRY_VERIFY)", SSL_CTX_ctrl(ctx, SSL_CTRL_SET_RETRY_VERIFY, 0, NULL));
        SHOW("SSL_CTX_ctrl(DTLS_CTRL_GET_TIMEOUT)", SSL_CTX_ctrl(ctx, DTLS_CTRL_GET_TIMEOUT, 0, NULL));
        SHOW("SSL_CTX_ctrl(GET_CLIENT_CERT_REQUEST)", SSL_CTX_ctrl(ctx, SSL_CTRL_GET_CLIENT_CERT_REQUEST, 0, NULL));
        SHOW("SSL_CTX_ctrl(GET_FLAGS)", SSL_CTX_ctrl(ctx, SSL_CTRL_GET_FLAGS, 0, NULL));
        SHOW("SSL_CTX_ctrl(SET_TLSEXT_DEBUG_ARG)", SSL_CTX_ctrl(ctx, SSL_CTRL_SET_TLSEXT_DEBUG_ARG, 0, NULL));
        SHOW("SSL_CTX_callback_ctrl(SET_TLSEXT_DEBUG_CB)", SSL_CTX_callback_ctrl(ctx, SSL_CTRL_SET_TLSEXT_DEBUG_CB, NULL));
        SHOW("SSL_CTX_callback_ctrl(SET_NOT_RESUMABLE_SESS_CB)",
             SSL_CTX_callback_ctrl(ctx, SSL_CTRL_SET_NOT_RESUMABLE_SESS_CB, NULL));
        SHOW("SSL_CTX_set1_groups_list(P-384)", SSL_CTX_set1_groups_list(ctx, "P-384"));
        EC_KEY *ec521 = EC_KEY_new_by_curve_name(NID_secp521r1);
        SHOW("SSL_CTX_set_tmp_ecdh(P-521) after a groups list", SSL_CTX_set_tmp_ecdh(ctx, ec521));
        EC_KEY_free(ec521);

        s = SSL_new(ctx);
        SHOW("SSL_set_tmp_ecdh(P-384)", SSL_set_tmp_ecdh(s, ec));
        SHOW("SSL_set_tmp_dh", SSL_set_tmp_dh(s, dh));
        SHOW("SSL_set_dh_auto(1)", SSL_set_dh_auto(s, 1));
        SSL_set_tmp_dh_callback(s, NULL);
        SHOW("SSL_callback_ctrl(SET_TMP_DH_CB, NULL)", SSL_callback_ctrl(s, SSL_CTRL_SET_TMP_DH_CB, NULL));
        SHOW("SSL_get_tlsext_status_type (from the context)", SSL_get_tlsext_status_type(s));
        SHOW("SSL_set_tlsext_status_type(-1)", SSL_set_tlsext_status_type(s, -1));
        SHOW("SSL_get_tlsext_status_type", SSL_get_tlsext_status_type(s));
        STACK_OF(X509_EXTENSION) *exts = (void *)1;
        r = SSL_get_tlsext_status_exts(s, &exts);
        printf("SSL_get_tlsext_status_exts = %ld null=%d err=%s\n", r, exts == NULL, errq());
        STACK_OF(OCSP_RESPID) *ids = (void *)1;
        r = SSL_get_tlsext_status_ids(s, &ids);
        printf("SSL_get_tlsext_status_ids = %ld null=%d err=%s\n", r, ids == NULL, errq());
        SHOW("SSL_set_tlsext_status_exts", SSL_set_tlsext_status_exts(s, sk_X509_EXTENSION_new_null()));
        SHOW("SSL_set_tlsext_status_ids", SSL_set_tlsext_status_ids(s, sk_OCSP_RESPID_new_null()));
        r = SSL_get_tlsext_status_exts(s, &exts);
        printf("SSL_get_tlsext_status_exts = %ld null=%d err=%s\n", r, exts == NULL, errq());
        r = SSL_get_tlsext_status_ids(s, &ids);
        printf("SSL_get_tlsext_status_ids = %ld null=%d err=%s\n", r, ids == NULL, errq());
        const unsigned char *resp = (void *)1;
        r = SSL_get_tlsext_status_ocsp_resp(s, &resp);
        printf("SSL_get_tlsext_status_ocsp_resp = %ld null=%d err=%s\n", r, resp == NULL, errq());
        unsigned char *buf = OPENSSL_malloc(5);
        memcpy(buf, "hello", 5);
        SHOW("SSL_set_tlsext_status_ocsp_resp", SSL_set_tlsext_status_ocsp_resp(s, buf, 5));
        r = SSL_get_tlsext_status_ocsp_resp(s, &resp);
        printf("SSL_get_tlsext_status_ocsp_resp = %ld same=%d err=%s\n", r, resp == buf, errq());
        SHOW("SSL_num_renegotiations", SSL_num_renegotiations(s));
        SHOW("SSL_clear_num_renegotiations", SSL_clear_num_renegotiations(s));
        SHOW("SSL_total_renegotiations", SSL_total_renegotiations(s));
        SHOW("SSL_get_secure_renegotiation_support", SSL_get_secure_renegotiation_support(s));
        SHOW("SSL_get_extms_support", SSL_get_extms_support(s));
        unsigned char *raw = NULL;
        SHOW("SSL_get0_raw_cipherlist(NULL)", SSL_ctrl(s, SSL_CTRL_GET_RAW_CIPHERLIST, 0, NULL));
        SHOW("SSL_get0_raw_cipherlist", SSL_get0_raw_cipherlist(s, &raw));
        const unsigned char *pf = NULL;
        SHOW("SSL_get0_ec_point_formats", SSL_get0_ec_point_formats(s, &pf));
        EVP_PKEY *pk = (void *)1;
        r = SSL_get_peer_tmp_key(s, &pk);
        printf("SSL_get_peer_tmp_key = %ld null=%d err=%s\n", r, pk == NULL, errq());
        pk = (void *)1;
        r = SSL_get_tmp_key(s, &pk);
        printf("SSL_get_tmp_key = %ld null=%d err=%s\n", r, pk == NULL, errq());
        int nid = -7;
        SHOW("SSL_get_peer_signature_nid", SSL_get_peer_signature_nid(s, &nid));
        SHOW("SSL_get_signature_nid", SSL_get_signature_nid(s, &nid));
        SHOW("SSL_get_shared_group(-1)", SSL_get_shared_group(s, -1));
        SHOW("SSL_get1_groups(NULL)", SSL_get1_groups(s, NULL));
        /* SSL_get_negotiated_group before a handshake crashes OpenSSL 3.0: not probed. */
        const unsigned char *ct = NULL;
        SHOW("SSL_get0_certificate_types", SSL_get0_certificate_types(s, &ct));
        static const unsigned char types[] = { 64, 1 };
        SHOW("SSL_set1_client_certificate_types", SSL_set1_client_certificate_types(s, types, 2));
        SHOW("SSL_CTX_set1_client_certificate_types", SSL_CTX_set1_client_certificate_types(ctx, types, 2));
        SHOW("SSL_get_flags", SSL_ctrl(s, SSL_CTRL_GET_FLAGS, 0, NULL));
        SHOW("SSL_ctrl(GET_CLIENT_CERT_REQUEST)", SSL_ctrl(s, SSL_CTRL_GET_CLIENT_CERT_REQUEST, 0, NULL));
        SHOW("SSL_ctrl(SET_TMP_DH_CB)", SSL_ctrl(s, SSL_CTRL_SET_TMP_DH_CB, 0, NULL));
        SHOW("SSL_ctrl(GET_SESS_CACHE_MODE)", SSL_ctrl(s, SSL_CTRL_GET_SESS_CACHE_MODE, 0, NULL));
        SHOW("SSL_ctrl(SESS_NUMBER)", SSL_ctrl(s, SSL_CTRL_SESS_NUMBER, 0, NULL));
        SHOW("SSL_ctrl(EXTRA_CHAIN_CERT)", SSL_ctrl(s, SSL_CTRL_EXTRA_CHAIN_CERT, 0, NULL));
        sk = (void *)1;
        r = SSL_ctrl(s, SSL_CTRL_GET_EXTRA_CHAIN_CERTS, 0, &sk);
        printf("SSL_ctrl(GET_EXTRA_CHAIN_CERTS) = %ld untouched=%d err=%s\n", r, sk == (void *)1, errq());
        SHOW("SSL_ctrl(SET_TLSEXT_SERVERNAME_ARG)", SSL_ctrl(s, SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG, 0, NULL));
        SHOW("SSL_ctrl(SET_TLSEXT_STATUS_REQ_CB_ARG)", SSL_ctrl(s, SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB_ARG, 0, NULL));
        SHOW("SSL_ctrl(GET_TLSEXT_TICKET_KEYS)", SSL_ctrl(s, SSL_CTRL_GET_TLSEXT_TICKET_KEYS, 0, NULL));
        SHOW("SSL_ctrl(SET_MTU)", SSL_ctrl(s, SSL_CTRL_SET_MTU, 1000, NULL));
        SHOW("SSL_ctrl(DTLS_CTRL_SET_LINK_MTU)", SSL_ctrl(s, DTLS_CTRL_SET_LINK_MTU, 1000, NULL));
        SHOW("SSL_ctrl(DTLS_CTRL_GET_LINK_MIN_MTU)", SSL_ctrl(s, DTLS_CTRL_GET_LINK_MIN_MTU, 0, NULL));
        SHOW("SSL_ctrl(DTLS_CTRL_HANDLE_TIMEOUT)", SSL_ctrl(s, DTLS_CTRL_HANDLE_TIMEOUT, 0, NULL));
        SHOW("SSL_callback_ctrl(SET_TLSEXT_DEBUG_CB)", SSL_callback_ctrl(s, SSL_CTRL_SET_TLSEXT_DEBUG_CB, NULL));
        SHOW("SSL_callback_ctrl(SET_NOT_RESUMABLE_SESS_CB)", SSL_callback_ctrl(s, SSL_CTRL_SET_NOT_RESUMABLE_SESS_CB, NULL));
        SHOW("SSL_callback_ctrl(SET_TLSEXT_SERVERNAME_CB)", SSL_callback_ctrl(s, SSL_CTRL_SET_TLSEXT_SERVERNAME_CB, NULL));
        SHOW("SSL_select_current_cert(leaf)", SSL_select_current_cert(s, leaf));
        SHOW("SSL_build_cert_chain(NO_ROOT)", SSL_build_cert_chain(s, SSL_BUILD_CHAIN_FLAG_NO_ROOT));
        SSL_get0_chain_certs(s, &sk);
        print_chain("SSL_get0_chain_certs", sk);
        SSL_free(s);
        SSL_CTX_free(ctx);
        EC_KEY_free(ec);
        DH_free(dh);
    }

    /* The getters after a handshake (TLS 1.3 only: what keel negotiates). */
    {
        SSL_CTX *sc = server_ctx(), *cc = client_ctx();
        SSL *c, *s;
        SSL_CTX_set1_groups_list(cc, "X25519:P-256");
        SSL_CTX_set1_groups_list(sc, "P-384:P-256:X25519");
        int ok = connect_pair(cc, sc, &c, &s, NULL);
        printf("handshake %d\n", ok);
        for (int i = 0; i < 2; i++) {
            SSL *x = i ? s : c;
            const char *who = i ? "server" : "client";
            EVP_PKEY *pk = NULL;
            long r = SSL_get_peer_tmp_key(x, &pk);
            printf("%s:\n", who);
            print_pkey("SSL_get_peer_tmp_key", pk, r);
            EVP_PKEY_free(pk);
            pk = NULL;
            r = SSL_get_tmp_key(x, &pk);
            print_pkey("SSL_get_tmp_key", pk, r);
            EVP_PKEY_free(pk);
            int nid = 0;
            r = SSL_get_peer_signature_nid(x, &nid);
            printf("  SSL_get_peer_signature_nid = %ld %s\n", r, OBJ_nid2sn(nid));
            nid = 0;
            r = SSL_get_peer_signature_type_nid(x, &nid);
            printf("  SSL_get_peer_signature_type_nid = %ld %s\n", r, OBJ_nid2sn(nid));
            nid = 0;
            r = SSL_get_signature_nid(x, &nid);
            printf("  SSL_get_signature_nid = %ld %s\n", r, OBJ_nid2sn(nid));
            nid = 0;
            r = SSL_get_signature_type_nid(x, &nid);
            printf("  SSL_get_signature_type_nid = %ld %s\n", r, OBJ_nid2sn(nid));
            int n = (int)SSL_get_shared_group(x, -1);
            printf("  SSL_get_shared_group(-1) = %d:", n);
            for (int j = 0; j < n; j++)
                printf(" %s", OBJ_nid2sn((int)SSL_get_shared_group(x, j)));
            printf(" [%ld]\n", SSL_get_shared_group(x, n));
            n = (int)SSL_get1_groups(x, NULL);
            int *g = OPENSSL_malloc(sizeof(int) * (n > 0 ? n : 1));
            printf("  SSL_get1_groups = %d:", n);
            if (n > 0 && SSL_get1_groups(x, g) == n)
                for (int j = 0; j < n; j++)
                    printf(" %s", OBJ_nid2sn(g[j]));
            printf("\n");
            OPENSSL_free(g);
            printf("  SSL_get_negotiated_group = %s\n", OBJ_nid2sn(SSL_get_negotiated_group(x)));
            SHOW("  SSL_get_extms_support", SSL_get_extms_support(x));
            SHOW("  SSL_total_renegotiations", SSL_total_renegotiations(x));
            /* A server reports the client's TLS_EMPTY_RENEGOTIATION_INFO_SCSV, which OpenSSL's client
             * sends and keel's (TLS 1.3 only) does not: the client side alone is compared. */
            if (x == c)
                SHOW("  SSL_get_secure_renegotiation_support", SSL_get_secure_renegotiation_support(x));
            SHOW("  SSL_ctrl(GET_FLAGS)", SSL_ctrl(x, SSL_CTRL_GET_FLAGS, 0, NULL));
            SHOW("  SSL_ctrl(GET_CLIENT_CERT_REQUEST)", SSL_ctrl(x, SSL_CTRL_GET_CLIENT_CERT_REQUEST, 0, NULL));
            SHOW("  SSL_set_current_cert(SERVER)", SSL_set_current_cert(x, SSL_CERT_SET_SERVER));
            unsigned char *raw = NULL;
            const unsigned char *pf = NULL, *ct = NULL;
            r = SSL_get0_raw_cipherlist(x, &raw);
            /* OpenSSL's client adds TLS_EMPTY_RENEGOTIATION_INFO_SCSV (00ff) even when it offers
             * TLS 1.3 alone, keel's does not (nothing to renegotiate): that entry is left out. */
            printf("  SSL_get0_raw_cipherlist:");
            for (long j = 0; raw != NULL && j + 1 < r; j += 2)
                if (raw[j] != 0 || raw[j + 1] != 0xff)
                    printf("%02x%02x", raw[j], raw[j + 1]);
            printf(" err=%s\n", errq());
            SHOW("  SSL_get0_ec_point_formats", SSL_get0_ec_point_formats(x, &pf));
            SHOW("  SSL_get0_certificate_types", SSL_get0_certificate_types(x, &ct));
            STACK_OF(X509) *sk = NULL;
            SSL_get0_chain_certs(x, &sk);
            print_chain("SSL_get0_chain_certs", sk);
            const unsigned char *resp = (void *)1;
            r = SSL_get_tlsext_status_ocsp_resp(x, &resp);
            printf("  SSL_get_tlsext_status_ocsp_resp = %ld null=%d\n", r, resp == NULL);
            SHOW("  SSL_get_tlsext_status_type", SSL_get_tlsext_status_type(x));
        }
        SSL_free(c);
        SSL_free(s);
        SSL_CTX_free(cc);
        SSL_CTX_free(sc);
    }

    /* #11.4: a server restricted to P-256 by SSL_CTX_set_tmp_ecdh refuses an X25519-only client. */
    for (int i = 0; i < 2; i++) {
        SSL_CTX *sc = server_ctx(), *cc = client_ctx();
        SSL *c, *s;
        EC_KEY *ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
        long r = SSL_CTX_set_tmp_ecdh(sc, ec);
        EC_KEY_free(ec);
        SSL_CTX_set1_groups_list(cc, i ? "P-256" : "X25519");
        int ok = connect_pair(cc, sc, &c, &s, NULL);
        printf("tmp_ecdh P-256 server (%ld), %s client: %s", r, i ? "P-256" : "X25519", ok ? "ok" : "fail");
        if (ok)
            printf(" group=%s\n", OBJ_nid2sn(SSL_get_negotiated_group(c)));
        else
            printf(" client alert=%s server alert=%s\n", alert_c[0] ? alert_c : "-", alert_s[0] ? alert_s : "-");
        SSL_free(c);
        SSL_free(s);
        SSL_CTX_free(cc);
        SSL_CTX_free(sc);
    }

    /* The same on one server SSL (SSL_set_tmp_ecdh), P-384 this time. */
    for (int i = 0; i < 2; i++) {
        SSL_CTX *sc = server_ctx(), *cc = client_ctx();
        SSL *c = SSL_new(cc), *s = SSL_new(sc);
        BIO *b1, *b2;
        EC_KEY *ec = EC_KEY_new_by_curve_name(NID_secp384r1);
        long r = SSL_set_tmp_ecdh(s, ec);
        EC_KEY_free(ec);
        SSL_set1_groups_list(c, i ? "X25519:P-384" : "X25519:P-256");
        BIO_new_bio_pair(&b1, 0, &b2, 0);
        SSL_set_bio(c, b1, b1);
        SSL_set_bio(s, b2, b2);
        SSL_set_connect_state(c);
        SSL_set_accept_state(s);
        int ok = handshake(c, s);
        printf("SSL_set_tmp_ecdh P-384 (%ld), %s client: %s", r, i ? "X25519:P-384" : "X25519:P-256", ok ? "ok" : "fail");
        if (ok)
            printf(" group=%s\n", OBJ_nid2sn(SSL_get_negotiated_group(c)));
        else
            printf(" server alert=%s\n", alert_s[0] ? alert_s : "-");
        SSL_free(c);
        SSL_free(s);
        SSL_CTX_free(cc);
        SSL_CTX_free(sc);
    }

    /* Ctrl 105: a server whose chain was built from its chain store is verifiable; without the
     * build it sends the leaf alone and is not. SSL_MODE_NO_AUTO_CHAIN: automatic chain completion
     * (issue #11.9) is not what this checks. */
    for (int build = 0; build < 2; build++) {
        SSL_CTX *sc = SSL_CTX_new(TLS_server_method()), *cc = client_ctx();
        SSL *c, *s;
        X509_STORE *cs = X509_STORE_new();
        X509_STORE_add_cert(cs, inter);
        X509_STORE_add_cert(cs, ca);
        SSL_CTX_set_min_proto_version(sc, TLS1_3_VERSION);
        SSL_CTX_set_mode(sc, SSL_MODE_NO_AUTO_CHAIN);
        SSL_CTX_use_certificate(sc, leaf);
        SSL_CTX_use_PrivateKey(sc, leafk);
        SSL_CTX_set1_chain_cert_store(sc, cs);
        X509_STORE_free(cs);
        long r = build ? SSL_CTX_build_cert_chain(sc, SSL_BUILD_CHAIN_FLAG_NO_ROOT) : -1;
        int ok = connect_pair(cc, sc, &c, &s, NULL);
        STACK_OF(X509) *peer = SSL_get_peer_cert_chain(c);
        printf("build_cert_chain %ld: %s verify=%ld, the client got:", r, ok ? "ok" : "fail", SSL_get_verify_result(c));
        for (int i = 0; i < sk_X509_num(peer); i++)
            printf(" %s", cn(sk_X509_value(peer, i)));
        printf("\n");
        SSL_free(c);
        SSL_free(s);
        SSL_CTX_free(cc);
        SSL_CTX_free(sc);
    }

    /* Ctrl 72: tickets through the HMAC_CTX callback; resumed when it accepts, not when it declines. */
    {
        RAND_bytes(tk_aes, 32);
        RAND_bytes(tk_hmac, 32);
        for (int decline = 0; decline < 2; decline++) {
            SSL_CTX *sc = server_ctx(), *cc = client_ctx();
            SSL *c, *s;
            tk_calls_enc = tk_calls_dec = 0;
            tk_decline = decline;
            SSL_CTX_set_tlsext_ticket_key_cb(sc, ticket_cb);
            SSL_CTX_set_num_tickets(sc, 1);
            int ok = connect_pair(cc, sc, &c, &s, NULL);
            SSL_SESSION *sess = SSL_get1_session(c);
            printf("ticket cb (%s): first %d issued=%d resumable=%d", decline ? "declines" : "accepts", ok,
                   tk_calls_enc, SSL_SESSION_is_resumable(sess));
            SSL_shutdown(c);
            SSL_free(c);
            SSL_free(s);
            ok = connect_pair(cc, sc, &c, &s, sess);
            printf(", second %d reused=%d decrypt calls=%d\n", ok, SSL_session_reused(c), tk_calls_dec);
            /* Ctrls 21-27: the context statistics of these two handshakes. */
            printf("  server ctx: accept %ld good %ld hits %ld; client ctx: connect %ld good %ld hits %ld\n",
                   SSL_CTX_sess_accept(sc), SSL_CTX_sess_accept_good(sc), SSL_CTX_sess_hits(sc),
                   SSL_CTX_sess_connect(cc), SSL_CTX_sess_connect_good(cc), SSL_CTX_sess_hits(cc));
            SSL_SESSION_free(sess);
            SSL_free(c);
            SSL_free(s);
            SSL_CTX_free(cc);
            SSL_CTX_free(sc);
        }
    }

    /* Ctrls 58/59: two servers given the same ticket keys resume each other's sessions; one
     * with other keys does not. */
    {
        unsigned char keys[80], other[80];
        RAND_bytes(keys, sizeof(keys));
        RAND_bytes(other, sizeof(other));
        for (int same = 0; same < 2; same++) {
            SSL_CTX *s1 = server_ctx(), *s2 = server_ctx(), *cc = client_ctx();
            SSL *c, *s;
            unsigned char got[80];
            long r1 = SSL_CTX_set_tlsext_ticket_keys(s1, keys, sizeof(keys));
            long r2 = SSL_CTX_set_tlsext_ticket_keys(s2, same ? keys : other, sizeof(keys));
            long r3 = SSL_CTX_get_tlsext_ticket_keys(s2, got, sizeof(got));
            printf("ticket keys set %ld %ld, get %ld same=%d:", r1, r2, r3,
                   memcmp(got, same ? keys : other, sizeof(got)) == 0);
            SSL_CTX_set_num_tickets(s1, 1);
            int ok = connect_pair(cc, s1, &c, &s, NULL);
            SSL_SESSION *sess = SSL_get1_session(c);
            SSL_shutdown(c);
            SSL_free(c);
            SSL_free(s);
            ok = ok && connect_pair(cc, s2, &c, &s, sess);
            printf(" %s server: %d reused=%d\n", same ? "same-keys" : "other-keys", ok, SSL_session_reused(c));
            SSL_SESSION_free(sess);
            SSL_free(c);
            SSL_free(s);
            SSL_CTX_free(cc);
            SSL_CTX_free(s1);
            SSL_CTX_free(s2);
        }
    }

    /* Ctrls 56/57: the extension debug callback sees the peer's extensions, with its argument. */
    {
        SSL_CTX *sc = server_ctx(), *cc = client_ctx();
        SSL *c = SSL_new(cc), *s = SSL_new(sc);
        BIO *b1, *b2;
        BIO_new_bio_pair(&b1, 0, &b2, 0);
        SSL_set_bio(c, b1, b1);
        SSL_set_bio(s, b2, b2);
        SSL_set_connect_state(c);
        SSL_set_accept_state(s);
        long r1 = SSL_set_tlsext_debug_callback(c, debug_cb);
        long r2 = SSL_set_tlsext_debug_arg(c, &debug_calls);
        int ok = handshake(c, s);
        printf("tlsext debug cb %ld %ld: handshake %d called=%d server_hello supported_versions=%#x\n", r1, r2,
               ok, debug_calls > 0, debug_server_hello_ext);
        SSL_free(c);
        SSL_free(s);
        SSL_CTX_free(cc);
        SSL_CTX_free(sc);
    }

    /* Ctrl 106: the verify store checks the peer's chain instead of the context's store. */
    for (int i = 0; i < 2; i++) {
        SSL_CTX *sc = server_ctx(), *cc = client_ctx();
        SSL *c, *s;
        X509_STORE *vs = X509_STORE_new();
        if (i)
            X509_STORE_add_cert(vs, ca);
        SSL_CTX_set1_verify_cert_store(cc, vs);
        X509_STORE_free(vs);
        int ok = connect_pair(cc, sc, &c, &s, NULL);
        printf("verify store %s: %s verify=%ld\n", i ? "with the CA" : "empty", ok ? "ok" : "fail",
               SSL_get_verify_result(c));
        SSL_free(c);
        SSL_free(s);
        SSL_CTX_free(cc);
        SSL_CTX_free(sc);
    }
    return 0;
}
