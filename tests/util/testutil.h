/* Minimal test harness shared by every keel test program.
 * CHECK() records a failure with file:line and the ERR stack, and keeps going;
 * a test program exits non-zero if any CHECK failed. */
#ifndef KEEL_TESTUTIL_H
#define KEEL_TESTUTIL_H
#include <stddef.h>
#include <stdint.h>

extern int keel_test_failures;
void keel_test_fail(const char *file, int line, const char *expr);
int keel_test_finish(const char *name); /* prints a summary, returns exit status */

#define CHECK(cond) \
    do { if (!(cond)) keel_test_fail(__FILE__, __LINE__, #cond); } while (0)
#define CHECK_EQ(a, b) \
    do { long long a_ = (long long)(a), b_ = (long long)(b); \
         if (a_ != b_) { keel_test_fail(__FILE__, __LINE__, #a " == " #b); \
             fprintf(stderr, "    got %lld, expected %lld\n", a_, b_); } } while (0)

/* Hex helpers for test vectors: returns number of bytes written, or -1. */
int keel_test_unhex(const char *hex, uint8_t *out, size_t max);
/* Allocation failure injection through CRYPTO_set_mem_functions: call
 * keel_test_malloc_install() first thing in main(); then keel_test_fail_after(k) makes
 * the k-th following allocation (1-based) fail; k = 0 disables. */
int keel_test_malloc_install(void);
void keel_test_fail_after(long k);
long keel_test_alloc_count(void);   /* allocations since the last fail_after() */
long keel_test_live_allocs(void);   /* allocations not yet freed (through OPENSSL_*) */

#include <stdio.h>
#endif
