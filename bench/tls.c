/* The protocol figures, through the public SSL API only: full and resumed handshakes, bulk transfer,
 * two threads sharing contexts, heap held per connection and allocations per handshake. Client and server run in
 * one thread over a non-blocking in-memory BIO pair, so no kernel time is measured. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

#include "bench.h"

/* OpenSSL 3.0's default TLS 1.3 list, set on both libraries so both negotiate the same suite. */
#define BENCH_SUITES "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"
/* The ECDHE-ECDSA suite OpenSSL's default order puts first (RFC 5289): TLS 1.2's counterpart of the
 * TLS 1.3 figures' TLS_AES_256_GCM_SHA384. */
#define BENCH_SUITE12 "ECDHE-ECDSA-AES256-GCM-SHA384"

/* `defaults` = 0 makes both libraries do identical protocol work: TLS 1.3 only, X25519, no session
 * tickets and no session cache (otherwise both servers issue two tickets per connection, which the
 * full-handshake figures do not want to measure; the resumption figure turns one back on).
 * `defaults` = 1 leaves each library's own defaults. */
static int common_settings(SSL_CTX *ctx, int mode)
{
    if (mode == BENCH_DEFAULTS)
        return 1;
    int v = mode == BENCH_TLS12 ? TLS1_2_VERSION : TLS1_3_VERSION;
    /* In TLS 1.2 the client's groups also bound the ECDSA certificate's curve (RFC 4492 §5.1, §5.3; RFC 8422):
     * P-256 is listed after X25519, which the key exchange still uses. */
    if (!SSL_CTX_set_min_proto_version(ctx, v) || !SSL_CTX_set_max_proto_version(ctx, v)
            || !SSL_CTX_set1_groups_list(ctx, mode == BENCH_TLS12 ? "X25519:P-256" : "X25519")
            || !SSL_CTX_set_num_tickets(ctx, 0))
        return 0;
    if (mode != BENCH_TLS12)
        return SSL_CTX_set_ciphersuites(ctx, BENCH_SUITES);
    /* TLS 1.2: no RFC 5077 ticket unless a figure asks for one (as TLS 1.3 issues none above). */
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    return SSL_CTX_set_cipher_list(ctx, BENCH_SUITE12);
}

SSL_CTX *bench_server_ctx(const bench_chain *ch, int mode)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL || !SSL_CTX_use_certificate(ctx, ch->leaf) || !SSL_CTX_use_PrivateKey(ctx, ch->leaf_key)
            || !common_settings(ctx, mode)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (mode != BENCH_DEFAULTS)
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

SSL_CTX *bench_client_ctx(const bench_chain *ch, int mode)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL || !X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ch->ca)
            || !common_settings(ctx, mode)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (mode != BENCH_DEFAULTS)
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

/* SSLs for an existing BIO pair: the client asks for and checks BENCH_HOST (RFC 6066 §3 SNI and
 * the certificate's subjectAltName). */
int bench_attach(SSL_CTX *cctx, SSL_CTX *sctx, BIO *cb, BIO *sb, SSL **c, SSL **s)
{
    *c = SSL_new(cctx);
    *s = SSL_new(sctx);
    if (*c == NULL || *s == NULL || !SSL_set_tlsext_host_name(*c, BENCH_HOST) || !SSL_set1_host(*c, BENCH_HOST)) {
        SSL_free(*c);
        SSL_free(*s);
        BIO_free(cb);
        BIO_free(sb);
        return 0;
    }
    SSL_set_bio(*c, cb, cb);
    SSL_set_bio(*s, sb, sb);
    SSL_set_connect_state(*c);
    SSL_set_accept_state(*s);
    return 1;
}

int bench_pair(SSL_CTX *cctx, SSL_CTX *sctx, SSL **c, SSL **s)
{
    BIO *cb, *sb;
    if (!BIO_new_bio_pair(&cb, 0, &sb, 0))
        return 0;
    return bench_attach(cctx, sctx, cb, sb, c, s);
}

static int step(SSL *x, int *done)
{
    if (*done)
        return 1;
    int r = SSL_do_handshake(x);
    if (r == 1) {
        *done = 1;
        return 1;
    }
    int e = SSL_get_error(x, r);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

/* Both sides to completion. */
static int drive_both(SSL *c, SSL *s)
{
    int cdone = 0, sdone = 0;
    for (int i = 0; i < 64 && !(cdone && sdone); i++)
        if (!step(c, &cdone) || !step(s, &sdone))
            return 0;
    return cdone && sdone;
}

/* Both sides to completion; the client must have verified the chain and the host name. */
int bench_drive(SSL *c, SSL *s)
{
    return drive_both(c, s) && SSL_get_verify_result(c) == X509_V_OK && SSL_get0_peer_certificate(c) != NULL;
}

/* Not inlined, so that bench/profile.sh can collect exactly the handshake loop. */
__attribute__((noinline)) int bench_one_handshake(SSL_CTX *cctx, SSL_CTX *sctx)
{
    SSL *c, *s;
    if (!bench_pair(cctx, sctx, &c, &s))
        return 0;
    int ok = bench_drive(c, s);
    SSL_free(c);
    SSL_free(s);
    return ok;
}

static void make_ctxs(const bench_chain *ch, int mode, SSL_CTX **cctx, SSL_CTX **sctx)
{
    *cctx = bench_client_ctx(ch, mode);
    *sctx = bench_server_ctx(ch, mode);
    if (*cctx == NULL || *sctx == NULL)
        bench_die("SSL_CTX setup");
}

typedef struct {
    SSL_CTX *cctx, *sctx;
    SSL_SESSION *sess; /* the resumption figure's session */
} hs_arg;

static int op_handshake(void *arg)
{
    hs_arg *h = arg;
    return bench_one_handshake(h->cctx, h->sctx);
}

/* The figure and, unless `floor_name` is NULL or BENCH_NO_FLOOR is set (bench/profile.sh), its
 * crypto floor measured in alternating slices. The rate printed for `name` is per CPU second. */
static void measure_with_floor(const bench_chain *ch, const char *name, const char *floor_name, int kex_only,
                               double seconds, bench_op op, void *arg)
{
    double rate, floor_rate;
    if (floor_name == NULL || getenv("BENCH_NO_FLOOR") != NULL) {
        rate = bench_measure(seconds, op, arg);
    } else {
        bench_hs_floor *f = bench_hs_floor_new(ch, kex_only);
        bench_measure2(seconds, op, arg, &rate, bench_hs_floor_once, f, &floor_rate);
        bench_hs_floor_free(f);
    }
    fprintf(stderr, "# %s: %ld handshakes timed (after 10 warm-up), %.0f/s\n", name, bench_ops_done, rate);
    bench_result(name, rate);
    if (floor_name != NULL && getenv("BENCH_NO_FLOOR") == NULL)
        bench_result(floor_name, floor_rate);
}

void bench_fig_handshake(const bench_chain *ch, const char *name, const char *floor_name, double seconds,
                         int mode)
{
    hs_arg h = { NULL, NULL, NULL };
    int defaults = mode == BENCH_DEFAULTS;
    make_ctxs(ch, mode, &h.cctx, &h.sctx);
    /* Check once what was negotiated, so a silent fallback cannot inflate a figure. */
    SSL *c, *s;
    if (!bench_pair(h.cctx, h.sctx, &c, &s) || !bench_drive(c, s))
        bench_die("handshake");
    if (SSL_version(c) != (mode == BENCH_TLS12 ? TLS1_2_VERSION : TLS1_3_VERSION)
            || (!defaults && SSL_get_negotiated_group(c) != NID_X25519) || SSL_session_reused(c) != 0)
        bench_die("negotiated parameters");
    fprintf(stderr, "# %s: %s %s\n", name, SSL_get_version(c), SSL_CIPHER_get_name(SSL_get_current_cipher(c)));
    SSL_free(c);
    SSL_free(s);
    measure_with_floor(ch, name, floor_name, 0, seconds, op_handshake, &h);
    SSL_CTX_free(h.cctx);
    SSL_CTX_free(h.sctx);
}

/* The client closes with close_notify before SSL_free, as a well-behaved client does. It matters:
 * OpenSSL marks the client's session not resumable when an established SSL is freed without a
 * shutdown (it treats that as an aborted connection), and the shared session would then be refused
 * on the next connection. Its return is 0 ("sent, not yet received"), which is fine here. */
static void close_client(SSL *c)
{
    (void)SSL_shutdown(c);
}

/* Resumption by session ID: the server closes with close_notify too. OpenSSL removes a session from
 * its server cache when an established SSL is freed without having sent one (it takes that for an
 * aborted connection), so the cached session would be gone for the next connection. */
static int server_closes;

static void close_pair(SSL *c, SSL *s)
{
    close_client(c);
    if (server_closes)
        (void)SSL_shutdown(s);
}

/* One resumed connection: new pair, the client offers `sess` (RFC 8446 §4.2.11, psk_dhe_ke so a
 * fresh X25519 exchange still happens), handshake, free. Both sides must report the session reused,
 * or the figure would silently measure full handshakes. */
__attribute__((noinline)) int bench_one_resumption(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *sess)
{
    SSL *c, *s;
    if (!bench_pair(cctx, sctx, &c, &s))
        return 0;
    int ok = SSL_set_session(c, sess) && drive_both(c, s) && SSL_session_reused(c) == 1
        && SSL_session_reused(s) == 1;
    close_pair(c, s);
    SSL_free(c);
    SSL_free(s);
    return ok;
}

/* The session to resume: a full handshake, then one client SSL_read, which processes the server's
 * NewSessionTicket (sent after the handshake, RFC 8446 §4.6.1) and returns WANT_READ. */
static SSL_SESSION *first_session(SSL_CTX *cctx, SSL_CTX *sctx)
{
    SSL *c, *s;
    unsigned char buf[16];
    SSL_SESSION *sess = NULL;
    if (!bench_pair(cctx, sctx, &c, &s))
        return NULL;
    if (bench_drive(c, s)) {
        int r = SSL_read(c, buf, sizeof(buf));
        if (r <= 0 && SSL_get_error(c, r) == SSL_ERROR_WANT_READ)
            sess = SSL_get1_session(c);
        close_pair(c, s);
    }
    if (sess != NULL && !SSL_SESSION_is_resumable(sess)) {
        SSL_SESSION_free(sess);
        sess = NULL;
    }
    SSL_free(c);
    SSL_free(s);
    return sess;
}

/* Resumed handshakes/s: the server issues one stateless ticket per connection (so each resumed
 * connection also pays for minting the next ticket, as a real server's would); the client keeps
 * offering the first one, which both libraries accept again (no single-use enforcement without
 * early data). The server's session cache stays off: tickets carry the state. */
static int op_resumption(void *arg)
{
    hs_arg *h = arg;
    return bench_one_resumption(h->cctx, h->sctx, h->sess);
}

/* by_id (TLS 1.2 only): resumption by session ID from the server's cache (RFC 5246 §7.4.1.2), no
 * ticket anywhere; otherwise by ticket. */
static void resume_figure(const bench_chain *ch, const char *name, const char *floor_name, double seconds, int mode,
                          int by_id)
{
    SSL_CTX *cctx, *sctx;
    int version = mode == BENCH_TLS12 ? TLS1_2_VERSION : TLS1_3_VERSION;
    make_ctxs(ch, mode, &cctx, &sctx);
    server_closes = by_id;
    if (by_id) {
        /* Tickets stay off (common_settings); the server caches the full handshake's session. */
        SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_SERVER);
    } else {
        SSL_CTX_set_num_tickets(sctx, 1);
        /* TLS 1.2: an RFC 5077 ticket in the full handshake; the abbreviated handshake that resumes it
         * (RFC 5077 §3.1) has no key exchange and, unless the ticket needs renewing, no new ticket. */
        SSL_CTX_clear_options(sctx, SSL_OP_NO_TICKET);
        SSL_CTX_clear_options(cctx, SSL_OP_NO_TICKET);
    }
    SSL_SESSION *sess = first_session(cctx, sctx);
    if (sess == NULL)
        bench_die("first connection's session");
    /* The session must be what the figure says: a ticket, or an ID with no ticket. */
    if (SSL_SESSION_has_ticket(sess) == by_id)
        bench_die(by_id ? "session without a ticket" : "session with a ticket");
    SSL *c, *s;
    if (!bench_pair(cctx, sctx, &c, &s) || !SSL_set_session(c, sess) || !drive_both(c, s))
        bench_die("resumed handshake");
    if (SSL_session_reused(c) != 1 || SSL_session_reused(s) != 1 || SSL_version(c) != version
            || (mode != BENCH_TLS12 && SSL_get_negotiated_group(c) != NID_X25519))
        bench_die("resumption check (SSL_session_reused != 1, or not the version and group expected)");
    close_pair(c, s);
    fprintf(stderr, "# %s: %s %s, session reused on both sides (%s)\n", name, SSL_get_version(c),
            SSL_CIPHER_get_name(SSL_get_current_cipher(c)), by_id ? "session ID" : "ticket");
    SSL_free(c);
    SSL_free(s);
    hs_arg h = { cctx, sctx, sess };
    /* Allocation calls per resumed pair (SSL_new to SSL_free of both, BIO pair included), on stderr:
     * bench-X memory counts full handshakes only. Not under bench/profile.sh (BENCH_NO_FLOOR), whose
     * instructions per pair count only the measured pairs. */
    enum { N = 20 };
    if (getenv("BENCH_NO_FLOOR") == NULL) {
        bench_alloc_reset();
        bench_alloc_count(1);
        for (int i = 0; i < N; i++)
            if (!op_resumption(&h))
                bench_die("resumed handshake");
        bench_alloc_count(0);
        fprintf(stderr, "# %s: %.1f allocation calls per resumed pair (BIO pair included)\n", name,
                (double)bench_alloc_calls() / N);
    }
    measure_with_floor(ch, name, floor_name, mode == BENCH_TLS12 ? BENCH_FLOOR_ABBREV12 : BENCH_FLOOR_KEX, seconds,
                       op_resumption, &h);
    SSL_SESSION_free(sess);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

void bench_fig_resume(const bench_chain *ch, const char *name, const char *floor_name, double seconds, int mode)
{
    resume_figure(ch, name, floor_name, seconds, mode, 0);
}

void bench_fig_resume12_id(const bench_chain *ch, const char *name, const char *floor_name, double seconds)
{
    resume_figure(ch, name, floor_name, seconds, BENCH_TLS12, 1);
}

/* Moves `len` bytes from a to b, one SSL_write of up to 16 KiB at a time. */
static int transfer(SSL *a, SSL *b, const unsigned char *out, unsigned char *in, size_t len)
{
    int w = SSL_write(a, out, (int)len);
    if (w != (int)len)
        return 0;
    size_t got = 0;
    while (got < len) {
        int r = SSL_read(b, in + got, (int)(len - got));
        if (r <= 0)
            return 0;
        got += (size_t)r;
    }
    return 1;
}

typedef struct {
    SSL *c, *s;
    const unsigned char *out;
    unsigned char *in;
} bulk_arg;

/* 256 KiB client to server, in 16 SSL_writes of 16 KiB (one full record each). */
static int op_bulk(void *arg)
{
    bulk_arg *b = arg;
    for (int i = 0; i < 16; i++)
        if (!transfer(b->c, b->s, b->out, b->in, 16384))
            return 0;
    return 1;
}

/* MB/s of application data, and the AEAD floor for the same records in alternating slices. */
void bench_fig_bulk(const bench_chain *ch, const char *suite, const char *name, const char *aead,
                    const char *floor_name, double seconds)
{
    static unsigned char out[16384], in[16384];
    SSL_CTX *cctx, *sctx;
    make_ctxs(ch, 0, &cctx, &sctx);
    if (!SSL_CTX_set_ciphersuites(cctx, suite) || !SSL_CTX_set_ciphersuites(sctx, suite))
        bench_die("ciphersuite");
    SSL *c, *s;
    if (!bench_pair(cctx, sctx, &c, &s) || !bench_drive(c, s))
        bench_die("handshake");
    if (strcmp(SSL_CIPHER_get_name(SSL_get_current_cipher(c)), suite) != 0)
        bench_die("negotiated suite");
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (unsigned char)(i * 131 + 7);
    if (!transfer(c, s, out, in, sizeof(out)) || memcmp(in, out, sizeof(out)) != 0)
        bench_die("bulk data check");
    bulk_arg b = { c, s, out, in };
    bench_aead_floor *f = bench_aead_floor_new(aead);
    double rate, floor_rate;
    bench_measure2(seconds, op_bulk, &b, &rate, bench_aead_floor_once, f, &floor_rate);
    if (memcmp(in, out, sizeof(out)) != 0)
        bench_die("bulk data check");
    bench_result(name, rate * 16 * sizeof(out) / 1e6);
    bench_result(floor_name, floor_rate * 16 * 16384 / 1e6);
    bench_aead_floor_free(f);
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

typedef struct {
    SSL_CTX *cctx, *sctx;
    atomic_int *stop;
    long count;
    int failed;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
        if (!bench_one_handshake(w->cctx, w->sctx)) {
            w->failed = 1;
            break;
        }
        w->count++;
    }
    ERR_clear_error();
    return NULL;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Handshakes with `nthreads` threads sharing the two contexts (one pair per thread) for `seconds` of
 * wall time: adds the count, the wall time and the process CPU time spent. */
static void threaded_run(SSL_CTX *cctx, SSL_CTX *sctx, int nthreads, double seconds, double *count,
                         double *wall, double *cpu)
{
    atomic_int stop = 0;
    worker w[2];
    pthread_t tid[2];
    double t0 = bench_now(), c0 = cpu_now();
    for (int i = 0; i < nthreads; i++) {
        w[i] = (worker){ cctx, sctx, &stop, 0, 0 };
        if (pthread_create(&tid[i], NULL, work, &w[i]) != 0)
            bench_die("pthread_create");
    }
    struct timespec ts = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };
    while (nanosleep(&ts, &ts) != 0)
        ;
    atomic_store(&stop, 1);
    for (int i = 0; i < nthreads; i++) {
        pthread_join(tid[i], NULL);
        if (w[i].failed)
            bench_die("threaded handshake");
        *count += (double)w[i].count;
    }
    *wall += bench_now() - t0;
    *cpu += cpu_now() - c0;
}

/* Wall-clock handshakes/s with 1 and 2 threads, alternated so load drifts hit both alike. Wall time
 * is the point here, so on a shared machine the scaling is capped by the cores actually obtained:
 * threads_cores reports those (CPU seconds per wall second during the 2-thread runs), and
 * threads_cpu_efficiency the handshakes per CPU second at 2 threads relative to 1 (1.00 = sharing
 * the contexts costs no extra CPU; lock spinning or cache-line bouncing lowers it). */
void bench_fig_threads(const bench_chain *ch, double seconds)
{
    SSL_CTX *cctx, *sctx;
    make_ctxs(ch, 0, &cctx, &sctx);
    for (int i = 0; i < 10; i++)
        if (!bench_one_handshake(cctx, sctx))
            bench_die("handshake");
    double n1 = 0, w1 = 0, c1 = 0, n2 = 0, w2 = 0, c2 = 0;
    for (int i = 0; i < 4; i++) {
        threaded_run(cctx, sctx, 1, seconds / 8, &n1, &w1, &c1);
        threaded_run(cctx, sctx, 2, seconds / 8, &n2, &w2, &c2);
    }
    bench_result("threads_1", n1 / w1);
    bench_result("threads_2", n2 / w2);
    bench_result("threads_scaling", (n2 / w2) / (n1 / w1));
    /* issue #15's target: the per-thread rate at N = 2 as a percentage of N = 1 (wall clock) */
    bench_result("threads_per_thread_pct", 100 * (n2 / w2 / 2) / (n1 / w1));
    bench_result("threads_cores", c2 / w2);
    bench_result("threads_cpu_efficiency", (n2 / c2) / (n1 / c1));
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* Heap held by one pair, transport (BIO pair) excluded: counted from SSL_new to established, then
 * after 16 KiB each way, when both sides' record buffers have been used. Counting covers every
 * malloc in the process (alloc.c), so libcrypto's objects held for the connection count too. */
static void heap_of_pair(SSL_CTX *cctx, SSL_CTX *sctx, long long *fresh, long long *established,
                         long long *after_data)
{
    static unsigned char out[16384], in[16384];
    BIO *cb, *sb;
    SSL *c, *s;
    if (!BIO_new_bio_pair(&cb, 0, &sb, 0))
        bench_die("BIO pair");
    bench_alloc_reset();
    bench_alloc_count(1);
    if (!bench_attach(cctx, sctx, cb, sb, &c, &s))
        bench_die("SSL_new");
    *fresh = bench_alloc_live();
    if (!bench_drive(c, s))
        bench_die("handshake");
    *established = bench_alloc_live();
    if (!transfer(c, s, out, in, sizeof(out)) || !transfer(s, c, out, in, sizeof(out)))
        bench_die("transfer");
    *after_data = bench_alloc_live();
    bench_alloc_count(0);
    SSL_free(c);
    SSL_free(s);
    if (bench_alloc_calls() == 0)
        bench_die("malloc interposition is not active");
}

void bench_fig_memory(const bench_chain *ch)
{
    enum { N = 100 };
    SSL_CTX *cctx, *sctx;
    make_ctxs(ch, 0, &cctx, &sctx);
    /* Warm up: per-process and per-thread state (algorithm fetches, error queues) is not per pair. */
    for (int i = 0; i < 20; i++)
        if (!bench_one_handshake(cctx, sctx))
            bench_die("handshake");

    long long fresh, established, after_data;
    heap_of_pair(cctx, sctx, &fresh, &established, &after_data);
    bench_result("heap_pair_new", (double)fresh);
    bench_result("heap_pair", (double)established);
    bench_result("heap_pair_data", (double)after_data);

    /* Allocation calls of a whole connection pair (SSL_new to SSL_free), BIO pair creation excluded. */
    BIO *cb, *sb;
    SSL *c, *s;
    bench_alloc_reset();
    for (int i = 0; i < N; i++) {
        if (!BIO_new_bio_pair(&cb, 0, &sb, 0))
            bench_die("BIO pair");
        bench_alloc_count(1);
        if (!bench_attach(cctx, sctx, cb, sb, &c, &s) || !bench_drive(c, s))
            bench_die("handshake");
        SSL_free(c);
        SSL_free(s);
        bench_alloc_count(0);
    }
    bench_result("allocs_handshake", (double)bench_alloc_calls() / N);

    /* The same pair with SSL_MODE_RELEASE_BUFFERS on both sides: record buffers are given back
     * whenever they are empty, so what remains is the connection's own state. */
    SSL_CTX_set_mode(cctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_mode(sctx, SSL_MODE_RELEASE_BUFFERS);
    if (!bench_one_handshake(cctx, sctx))
        bench_die("handshake");
    heap_of_pair(cctx, sctx, &fresh, &established, &after_data);
    bench_result("heap_pair_rb", (double)established);
    bench_result("heap_pair_rb_data", (double)after_data);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}
