/* malloc interposition in the benchmark binary itself. The executable's definitions come first in
 * the dynamic linker's search order, so libssl's and libcrypto's calls (and anything else they call)
 * land here; CRYPTO_set_mem_functions would miss allocations made outside OPENSSL_malloc. Every call
 * forwards to glibc's allocator, which glibc documents as replaceable this way. */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>

#include "bench.h"

extern void *__libc_malloc(size_t n);
extern void __libc_free(void *p);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);

/* Written only while a single thread runs (the memory figure), so plain variables suffice and the
 * threaded figures pay one predictable branch. Sizes are malloc_usable_size: what the heap holds. */
static int counting;
static long long live, calls;

void bench_alloc_reset(void) { live = 0; calls = 0; }
void bench_alloc_count(int on) { counting = on; }
long long bench_alloc_live(void) { return live; }
long long bench_alloc_calls(void) { return calls; }

static void *note(void *p)
{
    if (counting && p != NULL) {
        calls++;
        live += (long long)malloc_usable_size(p);
    }
    if (bench_sites_on && p != NULL)
        bench_sites_alloc(p, (long long)malloc_usable_size(p));
    return p;
}

void *malloc(size_t n) { return note(__libc_malloc(n)); }
void *calloc(size_t n, size_t m) { return note(__libc_calloc(n, m)); }

void free(void *p)
{
    if (counting && p != NULL)
        live -= (long long)malloc_usable_size(p);
    if (bench_sites_on && p != NULL)
        bench_sites_free(p);
    __libc_free(p);
}

void *realloc(void *p, size_t n)
{
    long long before = (counting && p != NULL) ? (long long)malloc_usable_size(p) : 0;
    void *q = __libc_realloc(p, n);
    if (bench_sites_on && p != NULL && (q != NULL || n == 0))
        bench_sites_free(p); /* a moved or freed block; a grown one is re-noted below */
    if (counting && q != NULL) {
        live -= before;
        note(q);
    } else if (counting && p != NULL && n == 0) {
        live -= before; /* realloc(p, 0) freed p */
    } else if (q != NULL) {
        note(q);
    }
    return q;
}

void *memalign(size_t align, size_t n) { return note(__libc_memalign(align, n)); }
void *aligned_alloc(size_t align, size_t n) { return note(__libc_memalign(align, n)); }

int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    void *p = note(__libc_memalign(align, n));
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}
