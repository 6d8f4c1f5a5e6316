/* Whole handshakes under memory pressure (issue #6): for each role, in a full handshake (with a
 * client certificate) and in a resumed one, make the k-th allocation that role makes fail, for
 * every k up to what a clean handshake of that role allocates. Each run must end in a clean
 * failure — the failing side reports SSL_ERROR_SSL with a reason on the error stack — leak
 * nothing once both SSLs are freed, and leave the contexts fit for a successful handshake of the
 * same kind.
 *
 * A run may also complete: most such allocations are inside libcrypto, which treats its caches as
 * optional and tries the next decoder; the ones in keel's own sources are listed (a server that
 * cannot open a ticket falls back to a full handshake, as it must). They are counted, not failed.
 *
 * The allocation hooks are process-wide; the sweep arms them only around calls into the role
 * under test (the count restarts at each arming, so the remaining budget is re-armed before each
 * call), and both ends share the thread's error queue, so it is cleared before each call.
 * The client's part includes the SSL_read that takes in the server's tickets.
 * Issue #13 adds OCSP-stapled full handshakes (TLS 1.3 and 1.2: the server's callback staples a
 * response, the client's callback requires it) and TLS 1.2 renegotiations: a clean handshake,
 * then the renegotiation swept (server-initiated and client-initiated, both full), which must end
 * either in a failure reported as above or in new Finished messages on both ends and data
 * flowing both ways afterwards.
 * Sanitizer builds sample k with a stride (KEEL_ALLOC_STRIDE overrides it; 1 = every k).
 * Debugging: KEEL_ALLOC_K=k runs only that k, KEEL_ALLOC_BT=1 prints where the failed
 * allocation was made, KEEL_ALLOC_TRACE=1 where leaked blocks were allocated (slow). */
#include <execinfo.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

#if defined(__SANITIZE_ADDRESS__)
#define KEEL_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KEEL_SANITIZED 1
#endif
#endif
#ifndef KEEL_SANITIZED
#define KEEL_SANITIZED 0
#endif

enum { CLIENT = 0, SERVER = 1 };
static const char *const role_name[2] = { "client", "server" };

static keel_test_chain chain;
static SSL_CTX *cctx, *sctx; /* the scenario's contexts */
static const char *proto = "TLS 1.3";
static int proto_version = TLS1_3_VERSION;

/* ---- allocation hooks ------------------------------------------------------------------------
 * testutil's hooks (keel_test_malloc_install) with one addition this test needs: the call site of
 * the allocation that was made to fail, so that a failure that did not stop the handshake can be
 * told apart: inside libcrypto (which retries, or treats its caches as optional) or in keel. */

static _Atomic long fail_at, n_allocs, live;
static const char *fail_file;
static int fail_line;

/* While tracking, every live allocation's site is kept, so that a leak can be said where it was
 * allocated (with a backtrace: the site is often deep inside libcrypto). */
#define TRACK_MAX 8192
static struct { void *p; const char *f; int l; void *bt[12]; int nbt; } track[TRACK_MAX];
static int tracking;

static void track_add(void *p, const char *f, int l)
{
    if (!tracking)
        return;
    for (int i = 0; i < TRACK_MAX; i++)
        if (track[i].p == NULL) {
            track[i].p = p, track[i].f = f, track[i].l = l;
            track[i].nbt = backtrace(track[i].bt, 12);
            return;
        }
}

static void track_del(void *p)
{
    if (!tracking)
        return;
    for (int i = 0; i < TRACK_MAX; i++)
        if (track[i].p == p) {
            track[i].p = NULL;
            return;
        }
}

static void track_report(void)
{
    for (int i = 0; i < TRACK_MAX; i++)
        if (track[i].p != NULL) {
            fprintf(stderr, "    still allocated: %s:%d\n", track[i].f, track[i].l);
            backtrace_symbols_fd(track[i].bt, track[i].nbt, 2);
        }
}

static void *t_malloc(size_t n, const char *f, int l)
{
    long c = atomic_fetch_add(&n_allocs, 1) + 1;
    long k = atomic_load(&fail_at);
    if (k > 0 && c == k) {
        fail_file = f;
        fail_line = l;
        if (getenv("KEEL_ALLOC_BT") != NULL) { /* where the failing allocation was made */
            void *bt[16];
            backtrace_symbols_fd(bt, backtrace(bt, 16), 2);
        }
        return NULL;
    }
    void *p = malloc(n ? n : 1);
    if (p) {
        atomic_fetch_add(&live, 1);
        track_add(p, f, l);
    }
    return p;
}

static void *t_realloc(void *p, size_t n, const char *f, int l)
{
    if (p == NULL)
        return t_malloc(n, f, l);
    long c = atomic_fetch_add(&n_allocs, 1) + 1;
    long k = atomic_load(&fail_at);
    if (k > 0 && c == k) {
        fail_file = f;
        fail_line = l;
        return NULL;
    }
    uintptr_t before = (uintptr_t)p; /* compared, never dereferenced, after realloc */
    void *q = realloc(p, n ? n : 1);
    if (q != NULL && (uintptr_t)q != before) {
        track_del((void *)before);
        track_add(q, f, l);
    }
    return q;
}

static void t_free(void *p, const char *f, int l)
{
    if (p) {
        atomic_fetch_sub(&live, 1);
        track_del(p);
        free(p);
    }
}

static void fail_after(long k)
{
    atomic_store(&n_allocs, 0);
    atomic_store(&fail_at, k);
}

static long alloc_count(void) { return atomic_load(&n_allocs); }
static long live_allocs(void) { return atomic_load(&live); }

/* A call site in keel's own sources: OPENSSL_malloc passes __FILE__, which for keel is the path
 * of a file under <root>/src/, where <root> is this file's tree. */
static int keel_site(const char *f)
{
    const char *me = __FILE__, *t = strstr(me, "tests/api/");
    size_t root = t != NULL ? (size_t)(t - me) : 0;
    return f != NULL && t != NULL && strncmp(f, me, root) == 0 && strncmp(f + root, "src/", 4) == 0;
}

/* The sources of keel's allocations whose failure a handshake survives, as it should: the copy of
 * the key-exchange public values kept for SSL_get_peer_tmp_key (conn.c); a ticket that cannot be
 * opened or decoded, so the server falls back to a full handshake (tls13/ticket.c, which TLS 1.2
 * shares; session.c, sess_asn1.c and the ticket's AEAD context in aead.c); early data rejected for
 * the same reason. Any other allocation in keel whose failure does not fail the handshake is a
 * swallowed error. */
static int keel_optional_site(const char *f)
{
    static const char *const optional[] = { "src/handshake/conn.c", "src/handshake/tls13/ticket.c",
                                            "src/api/session.c", "src/api/sess_asn1.c",
                                            "src/crypto/aead.c" };
    size_t n = strlen(f);
    for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
        size_t m = strlen(optional[i]);
        if (n >= m && strcmp(f + n - m, optional[i]) == 0)
            return 1;
    }
    return 0;
}

/* ---- a handshake with allocation failure armed for one role ---------------------------------- */

typedef struct {
    int role;       /* whose allocations are counted (and failed) */
    long fail_k;    /* 0: none fails */
    long used;      /* allocations the role made so far */
} arm_state;

static void arm(arm_state *a, int side)
{
    if (side != a->role || a->fail_k == 0 || a->used >= a->fail_k)
        fail_after(0);
    else
        fail_after(a->fail_k - a->used);
}

static void disarm(arm_state *a, int side)
{
    long n = alloc_count();
    fail_after(0);
    if (side == a->role)
        a->used += n;
}

typedef struct {
    int ok;             /* both handshakes completed (and the client read the tickets) */
    int failed_side;    /* -1, CLIENT or SERVER: the side whose call failed */
    int ssl_error;      /* SSL_get_error of that call */
    unsigned long err;  /* first error on the stack right after the failure */
    unsigned long last_err; /* and the last */
    int reused;
    int version;        /* the client's negotiated version */
} outcome;

/* Drives c and s (fresh SSLs) to the end of the handshake, then has the client read what the
 * server sent after it (NewSessionTicket). */
static outcome drive(SSL *c, SSL *s, arm_state *a)
{
    SSL *ssl[2] = { c, s };
    int done[2] = { 0, 0 };
    outcome o = { 0, -1, 0, 0, 0, 0, 0 };

    ERR_clear_error();
    for (int i = 0; i < 50 && !(done[0] && done[1]); i++) {
        for (int side = 0; side < 2; side++) {
            if (done[side])
                continue;
            ERR_clear_error(); /* one queue for both sides: keep only this call's errors */
            arm(a, side);
            int r = SSL_do_handshake(ssl[side]);
            disarm(a, side);
            if (r == 1) {
                done[side] = 1;
                continue;
            }
            int e = SSL_get_error(ssl[side], r);
            if (e != SSL_ERROR_WANT_READ) {
                o.failed_side = side;
                o.ssl_error = e;
                o.err = ERR_peek_error();
                o.last_err = ERR_peek_last_error();
                return o;
            }
        }
    }
    if (!(done[0] && done[1]))
        return o; /* stalled: failed_side stays -1 */
    char buf[16];
    ERR_clear_error();
    arm(a, CLIENT);
    int r = SSL_read(c, buf, sizeof(buf));
    disarm(a, CLIENT);
    int e = SSL_get_error(c, r);
    if (e != SSL_ERROR_WANT_READ) {
        o.failed_side = CLIENT;
        o.ssl_error = e;
        o.err = ERR_peek_error();
        o.last_err = ERR_peek_last_error();
        return o;
    }
    o.ok = 1;
    o.reused = SSL_session_reused(c);
    o.version = SSL_version(c);
    return o;
}

/* ---- early data (issue #14): a resumption whose client writes early data first ---- */

static int early_mode; /* the client offers early data; the server reads it */

/* SSL_write_early_data on the client, SSL_read_early_data on the server until FINISH, then the
 * rest as drive(). o.ok also requires the server to have accepted and read the early data. */
static outcome drive_early(SSL *c, SSL *s, arm_state *a)
{
    outcome o = { 0, -1, 0, 0, 0, 0, 0 };
    size_t w = 0, n = 0, got = 0;
    char buf[64];

    ERR_clear_error();
    arm(a, CLIENT);
    int r = SSL_write_early_data(c, "early", 5, &w);
    disarm(a, CLIENT);
    if (r != 1) {
        o.failed_side = CLIENT;
        o.ssl_error = SSL_get_error(c, r);
        o.err = ERR_peek_error();
        o.last_err = ERR_peek_last_error();
        return o;
    }
    for (int i = 0; i < 20; i++) {
        ERR_clear_error();
        arm(a, SERVER);
        r = SSL_read_early_data(s, buf, sizeof(buf), &n);
        disarm(a, SERVER);
        if (r == SSL_READ_EARLY_DATA_FINISH)
            break;
        if (r == SSL_READ_EARLY_DATA_SUCCESS) {
            got += n;
            continue;
        }
        int e = SSL_get_error(s, 0);
        if (e != SSL_ERROR_WANT_READ) {
            o.failed_side = SERVER;
            o.ssl_error = e;
            o.err = ERR_peek_error();
            o.last_err = ERR_peek_last_error();
            return o;
        }
        ERR_clear_error();
        arm(a, CLIENT);
        r = SSL_do_handshake(c);
        disarm(a, CLIENT);
        if (r != 1 && SSL_get_error(c, r) != SSL_ERROR_WANT_READ) {
            o.failed_side = CLIENT;
            o.ssl_error = SSL_get_error(c, r);
            o.err = ERR_peek_error();
            o.last_err = ERR_peek_last_error();
            return o;
        }
    }
    o = drive(c, s, a);
    /* A failure the server survives by a full handshake (a ticket it cannot open) rejects the
     * early data; the client must learn it (REJECTED, to send again), never lose it silently. */
    int ss = SSL_get_early_data_status(s), cs = SSL_get_early_data_status(c);
    if (o.ok && (ss == SSL_EARLY_DATA_ACCEPTED ? got != 5 || cs != SSL_EARLY_DATA_ACCEPTED
                                               : cs != SSL_EARLY_DATA_REJECTED)) {
        fprintf(stderr, "  early data: server status %d read %zu, client status %d\n", ss, got, cs);
        o.ok = 0;
        o.failed_side = SERVER; /* reported as a failure without an error */
        o.ssl_error = SSL_ERROR_NONE;
    }
    return o;
}

/* ---- renegotiation (issue #13): the phase after an established TLS 1.2 handshake ---- */

enum { RENEG_NONE, RENEG_BY_SERVER, RENEG_BY_CLIENT };
static int reneg_mode = RENEG_NONE;

/* One byte each way, unarmed: the connection still works after the renegotiation. */
static int data_flows(SSL *c, SSL *s)
{
    char b[4];
    ERR_clear_error();
    return SSL_write(c, "c", 1) == 1 && SSL_read(s, b, sizeof(b)) == 1 && b[0] == 'c'
        && SSL_write(s, "s", 1) == 1 && SSL_read(c, b, sizeof(b)) == 1 && b[0] == 's';
}

/* c and s have completed a handshake; the initiator starts a renegotiation (SSL_renegotiate, then
 * SSL_do_handshake), then both read until it is over: not in init, nothing pending, a new Finished
 * on both ends. */
static outcome drive_reneg(SSL *c, SSL *s, arm_state *a)
{
    SSL *ssl[2] = { c, s };
    int init = reneg_mode == RENEG_BY_CLIENT ? CLIENT : SERVER;
    unsigned char fin0[2][64], fin[64];
    size_t fin0_len[2];
    outcome o = { 0, -1, 0, 0, 0, 0, 0 };

    for (int side = 0; side < 2; side++)
        fin0_len[side] = SSL_get_finished(ssl[side], fin0[side], sizeof(fin0[side]));
    for (int i = 0; i < 50; i++) {
        int order[2] = { init, !init };
        for (int j = 0; j < 2; j++) {
            int side = order[j], r;
            char buf[16];
            ERR_clear_error();
            arm(a, side);
            if (i == 0 && side == init) {
                r = SSL_renegotiate(ssl[side]);
                if (r == 1)
                    r = SSL_do_handshake(ssl[side]);
            } else {
                r = SSL_read(ssl[side], buf, sizeof(buf));
            }
            disarm(a, side);
            int e = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl[side], r);
            if (r <= 0 && e != SSL_ERROR_WANT_READ) {
                o.failed_side = side;
                o.ssl_error = e;
                o.err = ERR_peek_error();
                o.last_err = ERR_peek_last_error();
                return o;
            }
        }
        int done = 1;
        for (int side = 0; side < 2; side++) {
            size_t n = SSL_get_finished(ssl[side], fin, sizeof(fin));
            if (SSL_in_init(ssl[side]) || SSL_renegotiate_pending(ssl[side])
                    || (n == fin0_len[side] && memcmp(fin, fin0[side], n) == 0))
                done = 0;
        }
        if (done)
            break;
    }
    for (int side = 0; side < 2; side++) {
        size_t n = SSL_get_finished(ssl[side], fin, sizeof(fin));
        if (SSL_in_init(ssl[side]) || SSL_renegotiate_pending(ssl[side])
                || (n == fin0_len[side] && memcmp(fin, fin0[side], n) == 0))
            return o; /* stalled */
    }
    if (!data_flows(c, s))
        return o; /* "completed" but broken: reported as stalled */
    o.ok = 1;
    o.reused = SSL_session_reused(c);
    o.version = SSL_version(c);
    return o;
}

/* One handshake on the shared contexts; `offer` (may be NULL) is the session the client offers.
 * *got (if non-NULL) receives the client's session afterwards. */
static outcome run(int role, long fail_k, SSL_SESSION *offer, long *used, SSL_SESSION **got)
{
    SSL *c = NULL, *s = NULL;
    arm_state a = { role, fail_k, 0 };
    outcome o = { 0, -1, 0, 0, 0, 0, 0 };

    if (!keel_test_pair(cctx, sctx, &c, &s)) {
        CHECK(0);
        return o;
    }
    SSL_set1_host(c, "server.test");
    SSL_set_tlsext_host_name(c, "server.test");
    if (offer != NULL) {
        /* A copy: a handshake ended by a fatal alert makes the session it offered not resumable
         * (RFC 5246 §7.2.2, as OpenSSL 3.0), and the sweep offers this one again. */
        SSL_SESSION *copy = SSL_SESSION_dup(offer);
        CHECK(copy != NULL && SSL_set_session(c, copy));
        SSL_SESSION_free(copy);
    }
    if (early_mode && offer != NULL) {
        o = drive_early(c, s, &a);
    } else if (reneg_mode == RENEG_NONE) {
        o = drive(c, s, &a);
    } else if (keel_test_handshake(c, s)) {
        o = drive_reneg(c, s, &a);
    } else {
        CHECK(0); /* the handshake before the renegotiation, unarmed */
    }
    if (used != NULL)
        *used = a.used;
    if (got != NULL)
        *got = o.ok ? SSL_get1_session(c) : NULL;
    /* A renegotiation without resumption leaves a new session in the server's cache each run. An
     * SSL freed without a shutdown takes its session out of the cache in OpenSSL 3.0 (keel's
     * SSL_free does not yet): done here, so that the cache does not grow from run to run. */
    if (reneg_mode != RENEG_NONE && SSL_get_session(s) != NULL)
        SSL_CTX_remove_session(sctx, SSL_get_session(s));
    keel_test_free_pair(c, s);
    return o;
}

/* ---- the sweep ------------------------------------------------------------------------------- */

/* Under sanitizers, the scenarios of issue #13 below (OCSP, renegotiation) sample about this many
 * k each: what they add to the plain handshakes is a small part of each run. */
static long sanitized_runs;

static long stride_for(long total)
{
    const char *env = getenv("KEEL_ALLOC_STRIDE");
    if (env != NULL && atol(env) > 0)
        return atol(env);
    /* The early data scenario samples about 500 k per role: most of a resumed server's
     * allocations decode the ticket, which the "TLS 1.3" scenario sweeps at every k. */
    if (!KEEL_SANITIZED && early_mode)
        return total / 500 < 1 ? 1 : total / 500;
    if (!KEEL_SANITIZED)
        return 1;
    /* about 400 runs per TLS 1.3 scenario under ASan (~10 s in all), 200 per TLS 1.2 one (the
     * same code past the hellos is swept by every k in normal builds) */
    long stride = total / (sanitized_runs > 0 ? sanitized_runs : proto_version == TLS1_3_VERSION ? 400 : 200);
    return stride < 1 ? 1 : stride;
}

/* Called after each failing run, before the clean handshake that checks the contexts: the RSA
 * scenarios give the server a fresh copy of its key there. libcrypto 3.0 does not survive an
 * allocation failure inside an RSA private-key operation: the key's blinding factors are left
 * inconsistent and the next private-key operations with that key give wrong results (shown with
 * libcrypto alone, no libssl involved) — a server would then fail every RSA handshake for a while
 * (bad signatures; RSA key transport finding a wrong premaster secret, bad_record_mac). */
static void (*after_failure)(void);

static void sweep(int role, int resumed, SSL_SESSION **offerp)
{
    SSL_SESSION *offer = resumed ? *offerp : NULL;
    const char *what = resumed ? "resumed" : "full";
    long total = 0;
    SSL_SESSION *got = NULL;

    /* A clean handshake: how many allocations does this role make? */
    outcome o = run(role, 0, offer, &total, &got);
    CHECK(o.ok);
    CHECK_EQ(o.reused, resumed);
    CHECK_EQ(o.version, proto_version);
    SSL_SESSION_free(got);
    CHECK(total > 10);

    long stride = stride_for(total), runs = 0, tolerated = 0;
    int trace = getenv("KEEL_ALLOC_TRACE") != NULL;
    long only = getenv("KEEL_ALLOC_K") != NULL ? atol(getenv("KEEL_ALLOC_K")) : 0;
    for (long k = 1; k <= total; k += (k < 8 || k + 8 > total) ? 1 : stride) {
        if (only > 0 && k != only)
            continue;
        ERR_clear_error();
        long live_before = live_allocs();
        long used = 0;
        fail_file = NULL;
        fail_line = 0;
        runs++;
        tracking = trace;
        o = run(role, k, offer, &used, NULL);
        const char *site = fail_file != NULL ? fail_file : "?";
        int line = fail_line;
        if (o.ok) {
            /* The failed allocation did not stop the handshake. Inside libcrypto that is normal
             * (its caches are optional, its decoders try the next one); in keel it means a
             * failure was swallowed, which is only fine if what failed was optional. */
            tolerated++;
            if (keel_site(site) && !keel_optional_site(site)) {
                fprintf(stderr, "%s %s %s: allocation %ld (%s:%d) failed and the handshake still "
                        "completed\n", proto, what, role_name[role], k, site, line);
                CHECK(0);
            }
        } else if (o.failed_side < 0) {
            fprintf(stderr, "%s %s %s: allocation %ld (%s:%d): the handshake stalled\n", proto, what,
                    role_name[role], k, site, line);
            CHECK(0);
        } else {
            if (o.ssl_error != SSL_ERROR_SSL || o.err == 0) {
                fprintf(stderr, "%s %s %s: allocation %ld (%s:%d): %s failed with SSL_get_error %d and "
                        "%s\n", proto, what, role_name[role], k, site, line, role_name[o.failed_side], o.ssl_error,
                        o.err ? "an error queued" : "no error on the stack");
                CHECK(0);
            }
            /* A client whose allocation failed must fail itself, not answer the CertificateRequest
             * with an empty Certificate as if it had no usable certificate. */
            if (o.failed_side != role && role == CLIENT
                    && (ERR_GET_REASON(o.err) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE
                        || ERR_GET_REASON(o.last_err) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)) {
                fprintf(stderr, "%s %s %s: allocation %ld (%s:%d) failed and the client sent no "
                        "certificate\n", proto, what, role_name[role], k, site, line);
                CHECK(0);
            }
            if (o.failed_side != role)
                fprintf(stderr, "  %s %s %s: allocation %ld (%s:%d): the peer (%s) failed first: %s\n",
                        proto, what, role_name[role], k, site, line, role_name[o.failed_side],
                        ERR_reason_error_string(o.last_err) ? ERR_reason_error_string(o.last_err) : "?");
        }
        ERR_clear_error(); /* the error queue itself allocates; release it before counting */
        tracking = 0;
        if (after_failure != NULL) {
            long before = live_allocs();
            after_failure();
            live_before += live_allocs() - before; /* a key replaced, not a leak */
        }
        /* The contexts are still good for a whole handshake (the same kind). */
        outcome again = run(role, 0, offer, NULL, &got);
        if (!o.ok && resumed && again.ok && !again.reused) {
            /* RFC 5246 §7.2.2: a connection ended by a fatal alert takes its session with it (the
             * server's cache forgets it, as OpenSSL 3.0's does): resume a fresh one from now on. */
            SSL_SESSION_free(*offerp);
            *offerp = offer = got;
            got = NULL;
            again = run(role, 0, offer, NULL, &got);
        }
        if (!again.ok || again.reused != resumed) {
            fprintf(stderr, "%s %s %s: after allocation %ld failed, the next handshake %s\n", proto, what,
                    role_name[role], k, again.ok ? "did not resume" : "failed");
            CHECK(0);
        }
        SSL_SESSION_free(got);
        ERR_clear_error();
        /* Counted after the clean handshake that follows: a lazily built cache (the context's
         * decoded certificates, libcrypto's own) that the failure kept from being filled is filled
         * there, so only a real leak leaves a difference. */
        if (live_allocs() != live_before) {
            fprintf(stderr, "%s %s %s: allocation %ld (%s:%d) failed and %ld allocation(s) leaked%s\n",
                    proto, what, role_name[role], k, site, line, live_allocs() - live_before,
                    trace ? "" : " (KEEL_ALLOC_TRACE=1 says where)");
            track_report();
            CHECK(0);
        }
        memset(track, 0, sizeof(track));
    }
    printf("%s %s handshake, %s: %ld allocations, %ld runs (stride %ld), %ld survived the failure\n", proto, what,
           role_name[role], total, runs, stride, tolerated);
}

/* Warms up what the scenario's contexts cache once (the ticket key, the session cache's first
 * entries) and takes a session to resume. */
static SSL_SESSION *scenario_session(void)
{
    SSL_SESSION *sess = NULL, *tmp = NULL;
    outcome o = run(CLIENT, 0, NULL, NULL, &sess);
    CHECK(o.ok && sess != NULL);
    o = run(CLIENT, 0, sess, NULL, &tmp);
    CHECK(o.ok && o.reused);
    SSL_SESSION_free(tmp);
    return sess;
}

static void scenario(const char *name, int version, SSL_CTX *c, SSL_CTX *s, SSL_SESSION **sessp,
                     int full)
{
    SSL_SESSION *sess = *sessp;
    proto = name;
    proto_version = version;
    cctx = c;
    sctx = s;
    if (sess == NULL)
        return;
    for (int role = 0; role < 2; role++) {
        if (full)
            sweep(role, 0, NULL);
        sweep(role, 1, sessp);
    }
}

/* ---- ALPN in TLS 1.2: a full handshake's server keeps the client's list from its ClientHello
 * until it writes its ServerHello (after cert_cb), in an allocation of its own. */

static int alpn_selected;

static int alpn_select(SSL *s, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)s, (void)arg;
    if (inlen < 1 || in[0] + 1u > inlen)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = in + 1, *outlen = in[0];
    alpn_selected++;
    return SSL_TLSEXT_ERR_OK;
}

static keel_test_chain rsa; /* the RSA scenarios' chain */

static void fresh_server_key(void)
{
    EVP_PKEY *k = EVP_PKEY_dup(rsa.leaf_key);
    EVP_PKEY_CTX *pc = k != NULL ? EVP_PKEY_CTX_new(k, NULL) : NULL;
    unsigned char sig[512], tbs[32] = { 0 };
    size_t n = sizeof(sig);
    /* One private-key operation now, so that the key's lazily made state (blinding, Montgomery
     * contexts) is counted with the replacement, not as a leak of the next handshake. */
    CHECK(pc != NULL && EVP_PKEY_sign_init(pc) > 0 && EVP_PKEY_sign(pc, sig, &n, tbs, sizeof(tbs)) > 0);
    EVP_PKEY_CTX_free(pc);
    CHECK(k != NULL && SSL_CTX_use_PrivateKey(sctx, k));
    EVP_PKEY_free(k);
}

/* A server with the fixture's chain that verifies the client's certificate. */
static SSL_CTX *mutual_server(int max_version, uint64_t options)
{
    SSL_CTX *ctx = keel_test_server_ctx(&chain);
    if (ctx == NULL)
        return NULL;
    CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), chain.ca));
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    if (max_version != 0)
        CHECK(SSL_CTX_set_max_proto_version(ctx, max_version));
    SSL_CTX_set_options(ctx, options);
    /* Without one, a server verifying client certificates caches no session (OpenSSL's rule). */
    CHECK(SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"alloc", 5));
    return ctx;
}

/* ---- pre-shared keys (issue #13) ---- */

static unsigned int psk_client(SSL *s, const char *hint, char *id, unsigned int max_id,
                               unsigned char *psk, unsigned int max_psk)
{
    (void)s, (void)hint, (void)max_psk;
    snprintf(id, max_id, "client1");
    memset(psk, 0x42, 32);
    return 32;
}

static unsigned int psk_server(SSL *s, const char *id, unsigned char *psk, unsigned int max_psk)
{
    (void)s, (void)max_psk;
    if (strcmp(id, "client1") != 0)
        return 0;
    memset(psk, 0x42, 32);
    return 32;
}

/* TLS 1.3 with the legacy callbacks' external PSK (a PSK handshake: swept as a "resumed" one, no
 * session offered), and TLS 1.2 PSK-AES128-GCM-SHA256 with an identity hint (a full one). */
static void psk_scenarios(SSL_CTX *s13, SSL_CTX *s12)
{
    SSL_CTX *c13 = keel_test_client_ctx(&chain), *c12 = keel_test_client_ctx(&chain);
    CHECK(c13 != NULL && c12 != NULL);
    if (c13 == NULL || c12 == NULL)
        return;
    SSL_CTX_set_psk_client_callback(c13, psk_client);
    SSL_CTX_set_psk_client_callback(c12, psk_client);
    SSL_CTX_set_psk_server_callback(s13, psk_server);
    SSL_CTX_set_psk_server_callback(s12, psk_server);
    CHECK(SSL_CTX_set_ciphersuites(c13, "TLS_AES_128_GCM_SHA256")); /* the PSK's hash */
    CHECK(SSL_CTX_set_cipher_list(c12, "PSK-AES128-GCM-SHA256"));
    CHECK(SSL_CTX_use_psk_identity_hint(s12, "alloc-hint"));
    cctx = c13;
    sctx = s13;
    proto = "TLS 1.3 external PSK";
    proto_version = TLS1_3_VERSION;
    SSL_SESSION *none = NULL;
    CHECK(run(CLIENT, 0, NULL, NULL, NULL).ok); /* warm-up */
    for (int role = 0; role < 2; role++)
        sweep(role, 1, &none);
    SSL_SESSION_free(none);
    cctx = c12;
    sctx = s12;
    proto = "TLS 1.2 PSK";
    proto_version = TLS1_2_VERSION;
    CHECK(run(CLIENT, 0, NULL, NULL, NULL).ok);
    for (int role = 0; role < 2; role++)
        sweep(role, 0, NULL);
    SSL_CTX_free(c13);
    SSL_CTX_free(c12);
}

/* ---- OCSP stapling (issue #13) ---- */

static const unsigned char ocsp_resp[] = "an OCSP response, stapled";

static int ocsp_server_cb(SSL *s, void *arg)
{
    (void)arg;
    unsigned char *r = OPENSSL_memdup(ocsp_resp, sizeof(ocsp_resp));
    if (r == NULL)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    if (!SSL_set_tlsext_status_ocsp_resp(s, r, (long)sizeof(ocsp_resp))) {
        OPENSSL_free(r);
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
}

/* The client requires the stapled response (full handshakes only here): a run that lost it
 * fails rather than passing as a clean handshake. */
static int ocsp_client_cb(SSL *s, void *arg)
{
    (void)arg;
    const unsigned char *p = NULL;
    long n = SSL_get_tlsext_status_ocsp_resp(s, &p);
    return n == (long)sizeof(ocsp_resp) && p != NULL && memcmp(p, ocsp_resp, (size_t)n) == 0;
}

/* Full handshakes with a stapled response, TLS 1.3 (in the leaf's CertificateEntry) and TLS 1.2
 * (the CertificateStatus message), both roles; the server authenticated only (client
 * certificates are swept above). */
static void ocsp_scenarios(void)
{
    SSL_CTX *c = keel_test_client_ctx(&chain);
    SSL_CTX *s13 = keel_test_server_ctx(&chain), *s12 = keel_test_server_ctx(&chain);
    CHECK(c != NULL && s13 != NULL && s12 != NULL);
    if (c == NULL || s13 == NULL || s12 == NULL)
        return;
    CHECK(SSL_CTX_set_max_proto_version(s12, TLS1_2_VERSION));
    CHECK(SSL_CTX_set_tlsext_status_type(c, TLSEXT_STATUSTYPE_ocsp));
    CHECK(SSL_CTX_set_tlsext_status_cb(c, ocsp_client_cb));
    CHECK(SSL_CTX_set_tlsext_status_cb(s13, ocsp_server_cb));
    CHECK(SSL_CTX_set_tlsext_status_cb(s12, ocsp_server_cb));
    SSL_CTX *servers[2] = { s13, s12 };
    const char *names[2] = { "TLS 1.3 OCSP", "TLS 1.2 OCSP" };
    int versions[2] = { TLS1_3_VERSION, TLS1_2_VERSION };
    for (int v = 0; v < 2; v++) {
        cctx = c;
        sctx = servers[v];
        proto = names[v];
        proto_version = versions[v];
        CHECK(run(CLIENT, 0, NULL, NULL, NULL).ok); /* warm-up */
        for (int role = 0; role < 2; role++)
            sweep(role, 0, NULL);
    }
    SSL_CTX_free(c);
    SSL_CTX_free(s13);
    SSL_CTX_free(s12);
}

/* ---- TLS 1.2 renegotiation (issue #13) ---- */

/* A full renegotiation (with the client's certificate again) initiated by the server (a
 * HelloRequest; SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION so that it is not abbreviated), and
 * one initiated by the client (SSL_renegotiate: no session offered), allowed by the server's
 * SSL_OP_ALLOW_CLIENT_RENEGOTIATION; each phase swept for both roles. */
static void reneg_scenarios(SSL_CTX *client)
{
    SSL_CTX *by_server = mutual_server(TLS1_2_VERSION, SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
    SSL_CTX *by_client = mutual_server(TLS1_2_VERSION, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
    CHECK(by_server != NULL && by_client != NULL);
    if (by_server == NULL || by_client == NULL)
        return;
    cctx = client;
    proto_version = TLS1_2_VERSION;
    sctx = by_server;
    proto = "TLS 1.2 renegotiation by the server";
    reneg_mode = RENEG_BY_SERVER;
    CHECK(run(CLIENT, 0, NULL, NULL, NULL).ok); /* warm-up */
    for (int role = 0; role < 2; role++)
        sweep(role, 0, NULL);
    sctx = by_client;
    proto = "TLS 1.2 renegotiation by the client";
    reneg_mode = RENEG_BY_CLIENT;
    CHECK(run(CLIENT, 0, NULL, NULL, NULL).ok);
    for (int role = 0; role < 2; role++)
        sweep(role, 0, NULL);
    reneg_mode = RENEG_NONE;
    SSL_CTX_free(by_server);
    SSL_CTX_free(by_client);
}

int main(void)
{
    CHECK(CRYPTO_set_mem_functions(t_malloc, t_realloc, t_free));
    CHECK(keel_test_make_chain(&chain, KT_EC_P256, "server.test", 365));
    /* TLS 1.3; TLS 1.2 resumed by ticket; TLS 1.2 resumed by session id (the server's cache).
     * The client is the same 1.3-capable one (it negotiates 1.2 with the 1.2 servers, checking
     * the downgrade sentinel). */
    SSL_CTX *s13 = mutual_server(0, 0);
    SSL_CTX *s12 = mutual_server(TLS1_2_VERSION, 0);
    SSL_CTX *s12id = mutual_server(TLS1_2_VERSION, SSL_OP_NO_TICKET);
    /* A CBC suite with encrypt_then_mac (issue 13): the record layer's CBC contexts. */
    SSL_CTX *s12cbc = mutual_server(TLS1_2_VERSION, 0);
    CHECK(s12cbc != NULL && SSL_CTX_set_cipher_list(s12cbc, "ECDHE-ECDSA-AES128-SHA256"));
    SSL_CTX *client = keel_test_client_ctx(&chain);
    CHECK(s13 != NULL && s12 != NULL && s12id != NULL && client != NULL);
    if (s13 == NULL || s12 == NULL || s12id == NULL || client == NULL)
        return keel_test_finish("alloc_handshake");
    /* Mutual authentication: the client presents the same leaf, the server verifies it. */
    CHECK(SSL_CTX_use_certificate(client, chain.leaf));
    CHECK(SSL_CTX_use_PrivateKey(client, chain.leaf_key));

    /* Warm up what libcrypto and keel cache once (fetched algorithms, error strings, the thread's
     * error queue, certificate extension caches, the ticket key), then take a session. */
    cctx = client;
    sctx = s13;
    SSL_SESSION *sess13 = scenario_session();
    sctx = s12;
    SSL_SESSION *sess12 = scenario_session();
    sctx = s12id;
    SSL_SESSION *sess12id = scenario_session();
    sctx = s12cbc;
    SSL_SESSION *sess12cbc = scenario_session();
    /* The thread's error queue keeps each slot's data buffer once allocated (ERR_clear_error
     * empties it, libcrypto 3.0 frees it only with the queue): fill every slot once, so that error
     * data raised in a failing run is not mistaken for a leak. */
    for (int i = 0; i < 40; i++)
        ERR_raise_data(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR, "warm-up %d", i);
    ERR_clear_error();

    scenario("TLS 1.3", TLS1_3_VERSION, client, s13, &sess13, 1);
    scenario("TLS 1.2 ticket", TLS1_2_VERSION, client, s12, &sess12, 1);
    /* The full handshake without a ticket differs from the one above only in not sending one. */
    scenario("TLS 1.2 session-id", TLS1_2_VERSION, client, s12id, &sess12id, 0);
    scenario("TLS 1.2 CBC", TLS1_2_VERSION, client, s12cbc, &sess12cbc, 1);
    {
        SSL_CTX *s12alpn = mutual_server(TLS1_2_VERSION, 0);
        SSL_CTX *calpn = keel_test_client_ctx(&chain);
        CHECK(s12alpn != NULL && calpn != NULL);
        CHECK(SSL_CTX_use_certificate(calpn, chain.leaf));
        CHECK(SSL_CTX_use_PrivateKey(calpn, chain.leaf_key));
        CHECK(SSL_CTX_set_alpn_protos(calpn, (const unsigned char *)"\x02h2\x08http/1.1", 12) == 0);
        SSL_CTX_set_alpn_select_cb(s12alpn, alpn_select, NULL);
        cctx = calpn;
        sctx = s12alpn;
        SSL_SESSION *sess12alpn = scenario_session();
        CHECK(alpn_selected > 0); /* the clean handshakes did negotiate ALPN */
        scenario("TLS 1.2 ALPN", TLS1_2_VERSION, calpn, s12alpn, &sess12alpn, 1);
        SSL_SESSION_free(sess12alpn);
        SSL_CTX_free(calpn);
        SSL_CTX_free(s12alpn);
    }
    psk_scenarios(s13, s12);
    /* Early data (issue #14): TLS 1.3 resumptions with 0-RTT; without anti-replay, so that the
     * sweep may offer the same ticket on every run (stateless: a cache would grow by the new
     * tickets of every run). */
    SSL_CTX *s13ed = mutual_server(0, SSL_OP_NO_ANTI_REPLAY);
    CHECK(s13ed != NULL && SSL_CTX_set_max_early_data(s13ed, 16384));
    if (s13ed != NULL) {
        cctx = client;
        sctx = s13ed;
        SSL_SESSION *sessed = scenario_session();
        early_mode = 1;
        scenario("TLS 1.3 early data", TLS1_3_VERSION, client, s13ed, &sessed, 0);
        early_mode = 0;
        SSL_SESSION_free(sessed);
        SSL_CTX_free(s13ed);
    }
    sanitized_runs = 100;
    ocsp_scenarios();
    reneg_scenarios(client);

    /* Issue #13's TLS 1.2 key exchanges, full handshakes (a resumption has no key exchange):
     * DHE-RSA, DHE-PSK (dh_auto 2 at level 1: RFC 2409's 1024-bit group, to keep the sweep short) and RSA
     * key transport, an RSA server certificate, no client certificate (each RSA signature costs
     * every one of the runs). */
    CHECK(keel_test_make_chain(&rsa, KT_RSA2048, "server.test", 365));
    SSL_CTX *sdhe = keel_test_server_ctx(&rsa), *crsa = keel_test_client_ctx(&rsa);
    CHECK(sdhe != NULL && crsa != NULL);
    if (sdhe != NULL && crsa != NULL) {
        CHECK(SSL_CTX_set_max_proto_version(sdhe, TLS1_2_VERSION));
        SSL_CTX_set_security_level(sdhe, 1);
        SSL_CTX_set_security_level(crsa, 1);
        CHECK(SSL_CTX_set_dh_auto(sdhe, 2));
        /* DHE-PSK and RSA-PSK (RFC 4279 §3, §4) too, with the PSK callbacks (the cipher list
         * keeps the other scenarios to their suite) */
        SSL_CTX_set_psk_client_callback(crsa, psk_client);
        SSL_CTX_set_psk_server_callback(sdhe, psk_server);
        static const char *const kx[][2] = { { "TLS 1.2 DHE-RSA", "DHE-RSA-AES128-GCM-SHA256" },
                                             { "TLS 1.2 RSA key transport", "AES128-GCM-SHA256" },
                                             { "TLS 1.2 DHE-PSK", "DHE-PSK-AES128-GCM-SHA256" },
                                             { "TLS 1.2 RSA-PSK", "RSA-PSK-AES128-GCM-SHA256" } };
        for (int i = 0; i < 4; i++) {
            CHECK(SSL_CTX_set_cipher_list(sdhe, kx[i][1]) && SSL_CTX_set_cipher_list(crsa, kx[i][1]));
            proto = kx[i][0];
            proto_version = TLS1_2_VERSION;
            cctx = crsa;
            sctx = sdhe;
            SSL_SESSION *warm = scenario_session();
            SSL_SESSION_free(warm);
            after_failure = fresh_server_key;
            for (int role = 0; role < 2; role++)
                sweep(role, 0, NULL);
            after_failure = NULL;
        }
    }
    SSL_CTX_free(sdhe);
    SSL_CTX_free(crsa);
    keel_test_chain_free(&rsa);

    SSL_SESSION_free(sess13);
    SSL_SESSION_free(sess12);
    SSL_SESSION_free(sess12id);
    SSL_SESSION_free(sess12cbc);
    SSL_CTX_free(s12cbc);
    SSL_CTX_free(client);
    SSL_CTX_free(s13);
    SSL_CTX_free(s12);
    SSL_CTX_free(s12id);
    keel_test_chain_free(&chain);
    return keel_test_finish("alloc_handshake");
}
