/* keel's benchmark: one source, compiled twice (against keel's libssl.so.3 and against the system's
 * OpenSSL libssl), public SSL API only. Each invocation measures one figure and prints
 * "name value" lines; bench/run.sh interleaves the two binaries and writes the report. */
#ifndef KEEL_BENCH_H
#define KEEL_BENCH_H
#include <stddef.h>
#include <openssl/ssl.h>

/* The certificate types the handshake figures use; every leaf is signed by an ECDSA P-256 CA. */
enum { BENCH_ECDSA, BENCH_RSA, BENCH_ED25519, BENCH_NTYPES };

typedef struct {
    EVP_PKEY *ca_key, *leaf_key;
    X509 *ca, *leaf;
} bench_chain;

#define BENCH_HOST "server.bench"

/* chain.c: make a chain for `type` and write it as PEM into `dir`, or load one written before, so
 * that both binaries handshake with the very same certificates. */
int bench_chain_generate(const char *dir);
int bench_chain_load(bench_chain *ch, const char *dir, int type);
void bench_chain_free(bench_chain *ch);
int bench_type_from_name(const char *name);

/* main.c: time, measurement loops and output. */
double bench_now(void);   /* wall clock (CLOCK_MONOTONIC), seconds */
double bench_clock(void); /* the figures' clock: the process's CPU time, or wall with BENCH_CLOCK=wall */
void bench_result(const char *name, double value);
void bench_die(const char *what);
/* One unit of work (a handshake, 16 records...); returns 1 on success, 0 ends the run as failed. */
typedef int (*bench_op)(void *arg);
/* Units per second of bench_clock: 10 warm-up calls, then calls for `seconds`. */
double bench_measure(double seconds, bench_op op, void *arg);
/* Two ops measured in alternating slices (~0.1 s each) for `seconds` in all, so that both see the
 * same machine load: a protocol figure and its crypto floor. Rates in units per second. */
void bench_measure2(double seconds, bench_op a, void *aarg, double *arate, bench_op b, void *barg, double *brate);
/* Timed calls of the last bench_measure's op (bench_measure2's `a`), after its 10 warm-up calls. */
extern long bench_ops_done;

/* tls.c: contexts, pairs and the protocol figures. */
/* The protocol settings of a figure's contexts (tls.c:common_settings): TLS 1.3 only, each
 * library's defaults, or TLS 1.2 only (ECDHE-ECDSA-AES256-GCM-SHA384). */
enum { BENCH_TLS13 = 0, BENCH_DEFAULTS = 1, BENCH_TLS12 = 2 };
SSL_CTX *bench_server_ctx(const bench_chain *ch, int mode);
SSL_CTX *bench_client_ctx(const bench_chain *ch, int mode);
/* One full connection: new pair, handshake with verification, free. 1 on success. */
int bench_one_handshake(SSL_CTX *cctx, SSL_CTX *sctx);
int bench_pair(SSL_CTX *cctx, SSL_CTX *sctx, SSL **c, SSL **s);
/* The same over an existing BIO pair, which it takes over (freed on failure too). */
int bench_attach(SSL_CTX *cctx, SSL_CTX *sctx, BIO *cb, BIO *sb, SSL **c, SSL **s);
int bench_drive(SSL *c, SSL *s);
/* floor_name: also print the crypto floor measured alongside (NULL: none). */
void bench_fig_handshake(const bench_chain *ch, const char *name, const char *floor_name, double seconds,
                         int mode);
int bench_one_resumption(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *sess);
void bench_fig_resume(const bench_chain *ch, const char *name, const char *floor_name, double seconds, int mode);
/* TLS 1.2 resumption by session ID (server cache on, no tickets). */
void bench_fig_resume12_id(const bench_chain *ch, const char *name, const char *floor_name, double seconds);
void bench_fig_bulk(const bench_chain *ch, const char *suite, const char *name, const char *aead,
                    const char *floor_name, double seconds);
void bench_fig_threads(const bench_chain *ch, double seconds);
void bench_fig_memory(const bench_chain *ch);
/* early.c: resumed request's time to first response byte, 0-RTT vs 1-RTT, through a delaying relay. */
void bench_fig_early(const bench_chain *ch, double seconds);

/* floor.c: the same public-key and AEAD work done bare through EVP. kex_only: BENCH_FLOOR_FULL, or a
 * resumed handshake's floor: BENCH_FLOOR_KEX (psk_dhe_ke: the X25519 exchange alone) or
 * BENCH_FLOOR_ABBREV12 (a TLS 1.2 abbreviated handshake: key block, Finished PRFs and records). The _once functions are bench_ops:
 * one handshake's public-key work; sixteen 16 KiB records sealed and opened. */
enum { BENCH_FLOOR_FULL = 0, BENCH_FLOOR_KEX = 1, BENCH_FLOOR_ABBREV12 = 2 };
typedef struct bench_hs_floor bench_hs_floor;
typedef struct bench_aead_floor bench_aead_floor;
bench_hs_floor *bench_hs_floor_new(const bench_chain *ch, int kex_only);
int bench_hs_floor_once(void *floor);
void bench_hs_floor_free(bench_hs_floor *f);
bench_aead_floor *bench_aead_floor_new(const char *cipher);
int bench_aead_floor_once(void *floor);
void bench_aead_floor_free(bench_aead_floor *f);
void bench_fig_floor_handshake(const bench_chain *ch, const char *name, double seconds, int kex_only);
void bench_fig_floor_aead(const char *cipher, const char *name, double seconds);

/* alloc.c: malloc interposition. Counting is switched on only while one thread runs. */
void bench_alloc_reset(void);       /* zero the counters */
void bench_alloc_count(int on);     /* switch counting on or off without resetting */
long long bench_alloc_live(void);   /* net bytes (malloc_usable_size) counted since reset */
long long bench_alloc_calls(void);  /* malloc/calloc/realloc/memalign calls counted since reset */

/* sites.c: allocation sites inside libssl (diagnostic), fed by alloc.c while bench_sites_on. */
extern int bench_sites_on;
void bench_sites_alloc(void *p, long long size);
void bench_sites_free(void *p);
void bench_fig_sites(const bench_chain *ch);
#endif
