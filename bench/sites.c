/* Allocation sites (diagnostic, `bench-X sites DIR`): which libssl call sites cause the heap
 * allocations of one connection pair, and which still hold memory once it is established. A site is
 * the innermost return address inside libssl.so.3 on the allocating stack, so a libcrypto allocation
 * is charged to the keel code that asked for it. bench/sites.sh turns the offsets into functions. */
#include <execinfo.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

enum { MAX_SITES = 4096, LIVE_SLOTS = 1 << 16, DEPTH = 48 };

static struct { uintptr_t off; long calls; long long live; } sites[MAX_SITES];
static int nsites;
static struct { void *p; long long size; int site; } live[LIVE_SLOTS];
static uintptr_t lib_lo, lib_hi;
static int busy; /* backtrace() may allocate; never trace inside it */
int bench_sites_on;

static int find_lib(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    const char *slash = strrchr(info->dlpi_name, '/');
    if (slash == NULL || strcmp(slash + 1, "libssl.so.3") != 0)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            lib_lo = info->dlpi_addr;
            lib_hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
        }
    }
    return 1;
}

static int site_of(void)
{
    void *frames[DEPTH];
    int n = backtrace(frames, DEPTH);
    uintptr_t off = 0; /* 0: no libssl frame (the bench itself) */
    for (int i = 0; i < n; i++) {
        uintptr_t a = (uintptr_t)frames[i];
        if (a >= lib_lo && a < lib_hi) {
            off = a - lib_lo - 1; /* inside the call instruction, for addr2line */
            break;
        }
    }
    for (int i = 0; i < nsites; i++)
        if (sites[i].off == off)
            return i;
    if (nsites == MAX_SITES)
        return MAX_SITES - 1;
    sites[nsites].off = off;
    return nsites++;
}

static size_t slot(void *p)
{
    return ((uintptr_t)p >> 4) * 2654435761u % LIVE_SLOTS;
}

void bench_sites_alloc(void *p, long long size)
{
    if (busy)
        return;
    busy = 1;
    int s = site_of();
    sites[s].calls++;
    sites[s].live += size;
    for (size_t i = slot(p), k = 0; k < LIVE_SLOTS; i = (i + 1) % LIVE_SLOTS, k++)
        if (live[i].p == NULL) {
            live[i].p = p;
            live[i].size = size;
            live[i].site = s;
            break;
        }
    busy = 0;
}

void bench_sites_free(void *p)
{
    if (busy)
        return;
    for (size_t i = slot(p), k = 0; k < LIVE_SLOTS && live[i].p != NULL; i = (i + 1) % LIVE_SLOTS, k++)
        if (live[i].p == p) {
            sites[live[i].site].live -= live[i].size;
            /* Backward-shift deletion keeps the probe chains intact. */
            size_t j = i;
            for (;;) {
                j = (j + 1) % LIVE_SLOTS;
                if (live[j].p == NULL)
                    break;
                size_t h = slot(live[j].p);
                if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
                    live[i] = live[j];
                    i = j;
                }
            }
            live[i].p = NULL;
            return;
        }
}

/* One connection pair: per site, allocation calls from SSL_new to SSL_free and bytes still held
 * when the handshake is complete. Printed as "site <hex offset in libssl> <calls> <live bytes>". */
void bench_fig_sites(const bench_chain *ch)
{
    void *prime[4];
    backtrace(prime, 4); /* loads the unwinder before any counting */
    dl_iterate_phdr(find_lib, NULL);
    if (lib_hi == 0)
        bench_die("finding libssl.so.3");
    SSL_CTX *cctx = bench_client_ctx(ch, 0), *sctx = bench_server_ctx(ch, 0);
    if (cctx == NULL || sctx == NULL)
        bench_die("SSL_CTX setup");
    for (int i = 0; i < 20; i++)
        if (!bench_one_handshake(cctx, sctx))
            bench_die("handshake");
    BIO *cb, *sb;
    SSL *c, *s;
    if (!BIO_new_bio_pair(&cb, 0, &sb, 0))
        bench_die("BIO pair");
    bench_sites_on = 1;
    if (!bench_attach(cctx, sctx, cb, sb, &c, &s) || !bench_drive(c, s))
        bench_die("handshake");
    static long long held[MAX_SITES];
    for (int i = 0; i < nsites; i++)
        held[i] = sites[i].live;
    SSL_free(c);
    SSL_free(s);
    bench_sites_on = 0;
    for (int i = 0; i < nsites; i++)
        printf("site %lx %ld %lld\n", (unsigned long)sites[i].off, sites[i].calls, held[i]);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}
