/* Command line of the benchmark binaries (bench-keel, bench-openssl):
 *   bench-X gen DIR             make the certificates both binaries use
 *   bench-X lib                 print the path of the libssl this process runs on
 *   bench-X FIGURE SECONDS DIR  measure one figure, print "name value" lines (a figure may print
 *                               several: a handshake figure also prints its crypto floor)
 * bench/run.sh calls them; see bench/README.md. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

#include "bench.h"

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The figures count per second of the process's own CPU time: on a machine shared with other work,
 * wall time would mostly measure the neighbours. Single-threaded figures only; the threads figure
 * needs wall time and uses bench_now. */
double bench_clock(void)
{
    static int wall = -1;
    if (wall < 0) {
        const char *e = getenv("BENCH_CLOCK");
        wall = e != NULL && strcmp(e, "wall") == 0;
    }
    struct timespec ts;
    clock_gettime(wall ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long bench_ops_done;

static void run_for(double seconds, bench_op op, void *arg, long *n, double *t)
{
    double t0 = bench_clock(), dt;
    do {
        if (!op(arg))
            bench_die("measured operation");
        (*n)++;
    } while ((dt = bench_clock() - t0) < seconds);
    *t += dt;
}

double bench_measure(double seconds, bench_op op, void *arg)
{
    long n = 0;
    double t = 0;
    for (int i = 0; i < 10; i++)
        if (!op(arg))
            bench_die("warm-up operation");
    run_for(seconds, op, arg, &n, &t);
    bench_ops_done = n;
    return (double)n / t;
}

void bench_measure2(double seconds, bench_op a, void *aarg, double *arate, bench_op b, void *barg, double *brate)
{
    int slices = (int)(seconds / 0.2);
    long na = 0, nb = 0;
    double ta = 0, tb = 0;
    if (slices < 1)
        slices = 1;
    for (int i = 0; i < 10; i++)
        if (!a(aarg) || !b(barg))
            bench_die("warm-up operation");
    for (int i = 0; i < slices; i++) {
        /* Alternate which goes first, so neither always follows the other's cache footprint. */
        if (i % 2 == 0) {
            run_for(seconds / 2 / slices, a, aarg, &na, &ta);
            run_for(seconds / 2 / slices, b, barg, &nb, &tb);
        } else {
            run_for(seconds / 2 / slices, b, barg, &nb, &tb);
            run_for(seconds / 2 / slices, a, aarg, &na, &ta);
        }
    }
    bench_ops_done = na;
    *arate = (double)na / ta;
    *brate = (double)nb / tb;
}

void bench_result(const char *name, double value)
{
    printf("%s %.3f\n", name, value);
    fflush(stdout);
}

void bench_die(const char *what)
{
    fprintf(stderr, "bench: %s failed\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

/* The libssl that actually answers SSL_new, so the runner can refuse a mixed-up build. */
static const char *libssl_path(void)
{
    Dl_info info;
    void *sym = dlsym(RTLD_DEFAULT, "SSL_new");
    if (sym == NULL || !dladdr(sym, &info) || info.dli_fname == NULL)
        return "?";
    return info.dli_fname;
}

/* name; certificate type; for handshakes and bulk, the floor figure measured alongside; for bulk,
 * the TLS suite and the EVP AEAD of its floor; for the floor_aead figures, the EVP AEAD. */
static const struct {
    const char *name, *type, *floor, *suite, *aead;
    enum { F_HS, F_HS_DEFAULTS, F_HS12, F_RESUME, F_RESUME12, F_RESUME12_ID, F_FLOOR_HS, F_FLOOR_RESUME, F_FLOOR_RESUME12, F_BULK, F_FLOOR_AEAD, F_THREADS, F_MEMORY,
           F_SITES, F_EARLY } kind;
} figures[] = {
    { "hs_ecdsa", "ecdsa", "floor_hs_ecdsa", NULL, NULL, F_HS },
    { "hs_rsa", "rsa", "floor_hs_rsa", NULL, NULL, F_HS },
    { "hs_ed25519", "ed25519", "floor_hs_ed25519", NULL, NULL, F_HS },
    { "hs_ecdsa_defaults", "ecdsa", NULL, NULL, NULL, F_HS_DEFAULTS },
    { "hs_resume", "ecdsa", "floor_hs_resume", NULL, NULL, F_RESUME },
    /* TLS 1.2: a full ECDHE-ECDSA handshake does the same public-key work as TLS 1.3's (its
     * ServerKeyExchange signature stands for CertificateVerify); an abbreviated one does none: its
     * floor is the key block, Finished PRFs and Finished records (floor.c), by ticket or by ID. */
    { "hs12_ecdsa", "ecdsa", "floor_hs12_ecdsa", NULL, NULL, F_HS12 },
    { "hs12_resume", "ecdsa", "floor_hs12_resume", NULL, NULL, F_RESUME12 },
    { "hs12_resume_id", "ecdsa", "floor_hs12_resume_id", NULL, NULL, F_RESUME12_ID },
    { "bulk_aes128gcm", "ecdsa", "floor_aead_aes128gcm", "TLS_AES_128_GCM_SHA256", "AES-128-GCM", F_BULK },
    { "bulk_aes256gcm", "ecdsa", "floor_aead_aes256gcm", "TLS_AES_256_GCM_SHA384", "AES-256-GCM", F_BULK },
    { "bulk_chacha20", "ecdsa", "floor_aead_chacha20", "TLS_CHACHA20_POLY1305_SHA256", "ChaCha20-Poly1305", F_BULK },
    { "threads", "ecdsa", NULL, NULL, NULL, F_THREADS },
    { "memory", "ecdsa", NULL, NULL, NULL, F_MEMORY },
    { "early", "ecdsa", NULL, NULL, NULL, F_EARLY }, /* early.c: 0-RTT vs 1-RTT time to first byte */
    /* The floors alone (the figures above already measure them alongside); diagnostics. */
    { "floor_hs_ecdsa", "ecdsa", NULL, NULL, NULL, F_FLOOR_HS },
    { "floor_hs_rsa", "rsa", NULL, NULL, NULL, F_FLOOR_HS },
    { "floor_hs_ed25519", "ed25519", NULL, NULL, NULL, F_FLOOR_HS },
    { "floor_hs_resume", "ecdsa", NULL, NULL, NULL, F_FLOOR_RESUME },
    { "floor_hs12_resume", "ecdsa", NULL, NULL, NULL, F_FLOOR_RESUME12 },
    { "floor_aead_aes128gcm", NULL, NULL, NULL, "AES-128-GCM", F_FLOOR_AEAD },
    { "floor_aead_aes256gcm", NULL, NULL, NULL, "AES-256-GCM", F_FLOOR_AEAD },
    { "floor_aead_chacha20", NULL, NULL, NULL, "ChaCha20-Poly1305", F_FLOOR_AEAD },
    { "sites", "ecdsa", NULL, NULL, NULL, F_SITES }, /* diagnostic, bench/sites.sh; not in the report */
};

static int usage(void)
{
    fprintf(stderr, "usage: bench gen DIR | bench lib | bench FIGURE SECONDS DIR\nfigures:");
    for (size_t i = 0; i < sizeof(figures) / sizeof(figures[0]); i++)
        fprintf(stderr, " %s", figures[i].name);
    fprintf(stderr, "\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "gen") == 0) {
        if (!bench_chain_generate(argv[2]))
            bench_die("certificate generation");
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "lib") == 0) {
        printf("%s\n", libssl_path());
        return 0;
    }
    if (argc != 4)
        return usage();
    double seconds = strtod(argv[2], NULL);
    if (!(seconds > 0))
        return usage();
    for (size_t i = 0; i < sizeof(figures) / sizeof(figures[0]); i++) {
        if (strcmp(argv[1], figures[i].name) != 0)
            continue;
        bench_chain ch;
        if (figures[i].kind == F_FLOOR_AEAD) {
            bench_fig_floor_aead(figures[i].aead, figures[i].name, seconds);
            return 0;
        }
        if (!bench_chain_load(&ch, argv[3], bench_type_from_name(figures[i].type)))
            bench_die("loading certificates");
        switch (figures[i].kind) {
        case F_HS: bench_fig_handshake(&ch, figures[i].name, figures[i].floor, seconds, BENCH_TLS13); break;
        case F_HS_DEFAULTS: bench_fig_handshake(&ch, figures[i].name, NULL, seconds, BENCH_DEFAULTS); break;
        case F_HS12: bench_fig_handshake(&ch, figures[i].name, figures[i].floor, seconds, BENCH_TLS12); break;
        case F_RESUME: bench_fig_resume(&ch, figures[i].name, figures[i].floor, seconds, BENCH_TLS13); break;
        case F_RESUME12: bench_fig_resume(&ch, figures[i].name, figures[i].floor, seconds, BENCH_TLS12); break;
        case F_RESUME12_ID: bench_fig_resume12_id(&ch, figures[i].name, figures[i].floor, seconds); break;
        case F_FLOOR_HS: bench_fig_floor_handshake(&ch, figures[i].name, seconds, 0); break;
        case F_FLOOR_RESUME: bench_fig_floor_handshake(&ch, figures[i].name, seconds, BENCH_FLOOR_KEX); break;
        case F_FLOOR_RESUME12: bench_fig_floor_handshake(&ch, figures[i].name, seconds, BENCH_FLOOR_ABBREV12); break;
        case F_BULK:
            bench_fig_bulk(&ch, figures[i].suite, figures[i].name, figures[i].aead, figures[i].floor, seconds);
            break;
        case F_THREADS: bench_fig_threads(&ch, seconds); break;
        case F_MEMORY: bench_fig_memory(&ch); break;
        case F_SITES: bench_fig_sites(&ch); break;
        case F_EARLY: bench_fig_early(&ch, seconds); break;
        case F_FLOOR_AEAD: break;
        }
        bench_chain_free(&ch);
        return 0;
    }
    return usage();
}
