/* ABI proof: compiled against the SYSTEM <openssl/ssl.h> and linked against the system libssl, run
 * with LD_LIBRARY_PATH pointing at keel's build directory — the way an unmodified binary meets keel.
 * Exercises the object-model calls through OpenSSL's own macros (so ctrl numbers, constant values
 * and symbol versions must all agree), and first proves the libssl in this process is keel's. */

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c) do { if (!(c)) { failures++; fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); ERR_print_errors_fp(stderr); } } while (0)

int main(int argc, char **argv)
{
    Dl_info info;
    char want[PATH_MAX], got[PATH_MAX];

    if (argc < 2 || realpath(argv[1], want) == NULL) {
        fprintf(stderr, "usage: %s KEEL_BUILD_DIR\n", argv[0]);
        return 2;
    }
    CHECK(dladdr((void *)SSL_new, &info) != 0 && info.dli_fname != NULL);
    CHECK(realpath(info.dli_fname, got) != NULL);
    if (strncmp(got, want, strlen(want)) != 0) {
        fprintf(stderr, "FAIL: libssl loaded from %s, not keel's %s\n", got, want);
        return 1;
    }

    CHECK(OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS, NULL));
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    CHECK(ctx != NULL);
    CHECK(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION));      /* ctrl 123 */
    CHECK(SSL_CTX_get_min_proto_version(ctx) == TLS1_2_VERSION);    /* ctrl 130 */
    CHECK(SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION));
    CHECK(SSL_CTX_get_max_proto_version(ctx) == TLS1_3_VERSION);
    CHECK((SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE) & SSL_MODE_ENABLE_PARTIAL_WRITE) != 0);
    CHECK(SSL_CTX_get_mode(ctx) & SSL_MODE_AUTO_RETRY);
    CHECK(SSL_CTX_set1_groups_list(ctx, "X25519:P-256"));
    CHECK(!SSL_CTX_set1_groups_list(ctx, "no-such-group"));
    ERR_clear_error();
    CHECK(SSL_CTX_set1_sigalgs_list(ctx, "ECDSA+SHA256:rsa_pss_rsae_sha256"));
    CHECK(SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT) == SSL_SESS_CACHE_SERVER);
    CHECK(SSL_CTX_get_session_cache_mode(ctx) == SSL_SESS_CACHE_CLIENT);
    uint64_t op = SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    CHECK((op & SSL_OP_NO_TICKET) && (op & SSL_OP_NO_RENEGOTIATION));
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_verify_depth(ctx, 5);
    CHECK(SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:!aNULL"));
    CHECK(SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256"));
    static const unsigned char alpn[] = { 2, 'h', '2' };
    CHECK(SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn)) == 0);
    CHECK(SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)"\x05h2", 3) != 0);

    SSL *s = SSL_new(ctx);
    CHECK(s != NULL);
    CHECK(SSL_get_verify_depth(s) == 5);
    CHECK(SSL_get_verify_mode(s) == SSL_VERIFY_PEER);
    CHECK(SSL_get_options(s) & SSL_OP_NO_TICKET);
    CHECK(SSL_get_min_proto_version(s) == TLS1_2_VERSION);
    CHECK(SSL_set_tlsext_host_name(s, "abi.example"));               /* ctrl 55 */
    CHECK(strcmp(SSL_get_servername(s, TLSEXT_NAMETYPE_host_name), "abi.example") == 0);
    CHECK(SSL_set1_host(s, "abi.example"));
    CHECK(SSL_up_ref(s) == 1);
    SSL_free(s);
    SSL_set_connect_state(s);
    CHECK(SSL_is_server(s) == 0);
    CHECK(SSL_get_state(s) == TLS_ST_BEFORE);
    CHECK(SSL_in_before(s) && SSL_in_init(s) && !SSL_is_init_finished(s));
    SSL *d = SSL_dup(s);
    CHECK(d != NULL && d != s);
    CHECK(SSL_get_verify_depth(d) == 5);
    CHECK(strcmp(SSL_get_servername(d, TLSEXT_NAMETYPE_host_name), "abi.example") == 0);
    SSL_free(d);

    BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
    SSL_set_bio(s, rb, wb);
    CHECK(SSL_get_rbio(s) == rb && SSL_get_wbio(s) == wb);
    CHECK(SSL_set_fd(s, 0));
    CHECK(SSL_get_fd(s) == 0);
    CHECK(SSL_get_error(s, 1) == SSL_ERROR_NONE);
    SSL_free(s);

    ERR_clear_error();
    CHECK(SSL_new(NULL) == NULL);
    unsigned long e = ERR_get_error();
    CHECK(ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_NULL_SSL_CTX);
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    CHECK(strstr(buf, "SSL routines") != NULL && strstr(buf, "null ssl ctx") != NULL);
    SSL_CTX_free(ctx);

    if (failures) {
        fprintf(stderr, "abi_object_model: %d check(s) failed\n", failures);
        return 1;
    }
    printf("abi_object_model: ok (libssl from %s)\n", got);
    return 0;
}
