/* The seed's failure sentence under memory pressure: make the k-th allocation fail for
 * k = 1, 2, … in SSL_CTX_new, SSL_new and SSL_dup until the call succeeds. Every failure must
 * return NULL with a reason on the error stack and leak nothing. */
#include <openssl/ssl.h>
#include <openssl/err.h>

#include "testutil.h"

typedef void *(*make_fn)(void *arg);

static void *make_ctx(void *arg) { return SSL_CTX_new(TLS_method()); }
static void *make_ssl(void *ctx) { return SSL_new(ctx); }
static void *make_dup(void *s) { return SSL_dup(s); }

static void sweep(const char *what, make_fn make, void *arg, void (*destroy)(void *))
{
    long k;
    for (k = 1; k < 100000; k++) {
        ERR_clear_error();
        long live_before = keel_test_live_allocs();
        keel_test_fail_after(k);
        void *obj = make(arg);
        keel_test_fail_after(0);
        if (obj != NULL) {
            destroy(obj);
            break;
        }
        if (ERR_peek_error() == 0) {
            fprintf(stderr, "%s: allocation %ld failed without an error on the stack\n", what, k);
            CHECK(0);
        }
        ERR_clear_error(); /* the error queue itself allocates; release it before counting */
        if (keel_test_live_allocs() != live_before) {
            fprintf(stderr, "%s: allocation %ld failed and %ld allocation(s) leaked\n", what, k,
                    keel_test_live_allocs() - live_before);
            CHECK(0);
        }
    }
    printf("%s: succeeded once %ld allocations were allowed\n", what, k);
    CHECK(k > 1); /* the call does allocate: the sweep really exercised failure paths */
}

/* The list setters on an SSL that still shares its context's settings and lists (copy-on-write):
 * the k-th allocation fails inside the setter, which must then return 0 with a reason on the
 * stack, leave the SSL's lists as they were (the context's) and leak nothing once the SSL is
 * freed (a settings block the SSL made its own before the failure is the SSL's until then). */
typedef int (*set_fn)(SSL *s);
static int set_groups(SSL *s) { return SSL_set1_groups_list(s, "P-256"); }
static int set_sigalgs(SSL *s) { return SSL_set1_sigalgs_list(s, "ECDSA+SHA256"); }
static int set_suites(SSL *s) { return SSL_set_ciphersuites(s, "TLS_AES_128_GCM_SHA256"); }

static int groups_of(SSL *s) { return (int)SSL_get1_groups(s, NULL); }
static int suites_of(SSL *s) { return sk_SSL_CIPHER_num(SSL_get_ciphers(s)); }

static void sweep_setter(const char *what, SSL_CTX *ctx, set_fn set)
{
    long k;
    for (k = 1; k < 100000; k++) {
        ERR_clear_error();
        long live_before = keel_test_live_allocs();
        SSL *s = SSL_new(ctx);
        CHECK(s != NULL);
        int groups = groups_of(s), suites = suites_of(s);
        ERR_clear_error();
        keel_test_fail_after(k);
        int ok = set(s);
        keel_test_fail_after(0);
        if (ok) {
            SSL_free(s);
            break;
        }
        if (ERR_peek_error() == 0) {
            fprintf(stderr, "%s: allocation %ld failed without an error on the stack\n", what, k);
            CHECK(0);
        }
        ERR_clear_error();
        CHECK(groups_of(s) == groups && suites_of(s) == suites);
        SSL_free(s);
        ERR_clear_error();
        if (keel_test_live_allocs() != live_before) {
            fprintf(stderr, "%s: allocation %ld failed and %ld allocation(s) leaked\n", what, k,
                    keel_test_live_allocs() - live_before);
            CHECK(0);
        }
    }
    printf("%s: succeeded once %ld allocations were allowed\n", what, k);
    CHECK(k > 1);
}

static void free_ctx(void *p) { SSL_CTX_free(p); }
static void free_ssl(void *p) { SSL_free(p); }

int main(void)
{
    CHECK(keel_test_malloc_install());
    /* Warm up what libcrypto caches once per process (error strings, fetched algorithms, the
     * thread's error queue) so the sweep measures keel's own allocations. */
    SSL_CTX *warm = SSL_CTX_new(TLS_method());
    SSL *ws = SSL_new(warm);
    SSL_free(SSL_dup(ws));
    SSL_free(ws);
    ERR_put_error(ERR_LIB_SSL, 0, 1, __FILE__, __LINE__);
    ERR_clear_error();

    sweep("SSL_CTX_new", make_ctx, NULL, free_ctx);
    sweep("SSL_new", make_ssl, warm, free_ssl);
    SSL *s = SSL_new(warm);
    CHECK(SSL_set_tlsext_host_name(s, "dup.example"));
    CHECK(SSL_set1_host(s, "dup.example"));
    sweep("SSL_dup", make_dup, s, free_ssl);
    sweep_setter("SSL_set1_groups_list", warm, set_groups);
    sweep_setter("SSL_set1_sigalgs_list", warm, set_sigalgs);
    sweep_setter("SSL_set_ciphersuites", warm, set_suites);
    SSL_free(s);
    SSL_CTX_free(warm);
    return keel_test_finish("alloc_fail");
}
