#include "testutil.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int keel_test_failures;

void keel_test_fail(const char *file, int line, const char *expr)
{
    keel_test_failures++;
    fprintf(stderr, "FAIL %s:%d: %s\n", file, line, expr);
    ERR_print_errors_fp(stderr);
}

int keel_test_finish(const char *name)
{
    if (keel_test_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, keel_test_failures);
        return 1;
    }
    printf("%s: ok\n", name);
    return 0;
}

int keel_test_unhex(const char *hex, uint8_t *out, size_t max)
{
    size_t n = 0;
    while (hex[0] && hex[1]) {
        unsigned v;
        if (hex[0] == ' ' || hex[0] == '\n') { hex++; continue; }
        if (n >= max || sscanf(hex, "%2x", &v) != 1)
            return -1;
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return (int)n;
}

/* Allocation accounting. A size header keeps realloc/free honest without a table. */
static _Atomic long fail_at, count, live;

static void *t_malloc(size_t n, const char *f, int l)
{
    long c = atomic_fetch_add(&count, 1) + 1;
    long k = atomic_load(&fail_at);
    if (k > 0 && c == k)
        return NULL;
    void *p = malloc(n ? n : 1);
    if (p)
        atomic_fetch_add(&live, 1);
    return p;
}

static void *t_realloc(void *p, size_t n, const char *f, int l)
{
    if (p == NULL)
        return t_malloc(n, f, l);
    long c = atomic_fetch_add(&count, 1) + 1;
    long k = atomic_load(&fail_at);
    if (k > 0 && c == k)
        return NULL;
    return realloc(p, n ? n : 1);
}

static void t_free(void *p, const char *f, int l)
{
    if (p) {
        atomic_fetch_sub(&live, 1);
        free(p);
    }
}

int keel_test_malloc_install(void)
{
    return CRYPTO_set_mem_functions(t_malloc, t_realloc, t_free);
}

void keel_test_fail_after(long k)
{
    atomic_store(&count, 0);
    atomic_store(&fail_at, k);
}

long keel_test_alloc_count(void) { return atomic_load(&count); }
long keel_test_live_allocs(void) { return atomic_load(&live); }
