/* The `early` figure: time to the first response byte of a resumed TLS 1.3 request sent as early
 * data (0-RTT, RFC 8446 §2.3) against the same request sent after the handshake (1-RTT), over
 * loopback TCP through a relay that holds every chunk for 10 ms (DELAY_S) in each
 * direction, so that a round trip costs 20 ms as on a real network. Wall time (bench_now), median
 * of N requests of each kind, alternated. The client and the server run in this process on the
 * library under test (server in a thread), the relay in another thread.
 *
 * Server: max_early_data 16384, SSL_OP_NO_ANTI_REPLAY (the client offers the first connection's
 * session every time, as hs_resume does), one ticket per connection, TCP_NODELAY everywhere (see
 * SSL_read_early_data(3) on Nagle). It answers a request as soon as it has it: inside
 * SSL_read_early_data with SSL_write_early_data (0.5-RTT data) when it came early, else after the
 * handshake. Every 0-RTT request must end SSL_EARLY_DATA_ACCEPTED and every request reused. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "bench.h"

#define DELAY_S 0.010
static const char request[] = "GET / HTTP/1.0\r\n\r\n";
static const char response[] = "HTTP/1.0 200 ok\r\nContent-Length: 16\r\n\r\n0123456789abcdef";
#define REQ_LEN (sizeof(request) - 1)
#define RESP_LEN (sizeof(response) - 1)

static int listener(int *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 8) != 0
        || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        bench_die("early: listening socket");
    *port = ntohs(a.sin_port);
    return fd;
}

static void nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int dial(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        bench_die("early: connect");
    nodelay(fd);
    return fd;
}

/* ---- the relay: one connection at a time, each chunk forwarded DELAY_S after it was read ---- */

typedef struct chunk {
    struct chunk *next;
    double due;
    size_t len;
    unsigned char data[];
} chunk;

typedef struct {
    int lfd, server_port;
} relay_arg;

static void pump(int a, int b)
{
    int src[2] = { a, b }, dst[2] = { b, a }, eof[2] = { 0, 0 };
    chunk *head[2] = { NULL, NULL }, **tail[2] = { &head[0], &head[1] };
    unsigned char buf[20000];

    for (;;) {
        double now = bench_now(), wait = -1;
        for (int d = 0; d < 2; d++) {
            while (head[d] != NULL && head[d]->due <= now) {
                chunk *c = head[d];
                size_t off = 0;
                while (off < c->len) {
                    ssize_t w = send(dst[d], c->data + off, c->len - off, MSG_NOSIGNAL);
                    if (w <= 0)
                        break;
                    off += (size_t)w;
                }
                head[d] = c->next;
                if (head[d] == NULL)
                    tail[d] = &head[d];
                free(c);
            }
            if (eof[d] == 1 && head[d] == NULL) {
                shutdown(dst[d], SHUT_WR); /* the end of a direction travels once its data has */
                eof[d] = 2;
            }
            if (head[d] != NULL && (wait < 0 || head[d]->due - now < wait))
                wait = head[d]->due - now;
        }
        if (eof[0] == 2 && eof[1] == 2)
            return;
        struct pollfd p[2];
        int np = 0;
        for (int d = 0; d < 2; d++)
            if (!eof[d])
                p[np++] = (struct pollfd){ .fd = src[d], .events = POLLIN };
        struct timespec ts = { 0, 0 };
        if (wait > 0) {
            ts.tv_sec = (time_t)wait;
            ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
        }
        if (ppoll(p, (nfds_t)np, wait < 0 ? NULL : &ts, NULL) < 0 && errno != EINTR)
            return;
        for (int i = 0; i < np; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int d = p[i].fd == src[0] ? 0 : 1;
            ssize_t n = recv(src[d], buf, sizeof(buf), 0);
            if (n <= 0) {
                eof[d] = 1;
                continue;
            }
            chunk *c = malloc(sizeof(*c) + (size_t)n);
            if (c == NULL)
                bench_die("early: relay buffer");
            c->next = NULL;
            c->due = bench_now() + DELAY_S;
            c->len = (size_t)n;
            memcpy(c->data, buf, (size_t)n);
            *tail[d] = c;
            tail[d] = &c->next;
        }
    }
}

static void *relay_main(void *arg)
{
    relay_arg *r = arg;
    for (;;) {
        int a = accept(r->lfd, NULL, NULL);
        if (a < 0)
            return NULL; /* the listener was shut down: the figure is over */
        nodelay(a);
        int b = dial(r->server_port);
        pump(a, b);
        close(a);
        close(b);
    }
}

/* ---- the server ---- */

typedef struct {
    int lfd;
    SSL_CTX *ctx;
    int failed;
} server_arg;

static int serve(SSL_CTX *ctx, int fd)
{
    SSL *s = SSL_new(ctx);
    char buf[4096];
    size_t n, got = 0, w;
    int r, answered = 0, ok = 0;

    if (s == NULL || !SSL_set_fd(s, fd))
        goto out;
    /* The socket blocks: SSL_read_early_data returns data, FINISH, or an error. */
    while ((r = SSL_read_early_data(s, buf, sizeof(buf), &n)) == SSL_READ_EARLY_DATA_SUCCESS) {
        got += n;
        if (got >= REQ_LEN && !answered) {
            if (SSL_write_early_data(s, response, RESP_LEN, &w) != 1)
                goto out;
            answered = 1;
        }
    }
    if (r != SSL_READ_EARLY_DATA_FINISH || SSL_accept(s) != 1)
        goto out;
    while (got < REQ_LEN) {
        int k = SSL_read(s, buf, sizeof(buf));
        if (k <= 0)
            goto out;
        got += (size_t)k;
    }
    if (!answered && SSL_write(s, response, (int)RESP_LEN) != (int)RESP_LEN)
        goto out;
    while (SSL_read(s, buf, sizeof(buf)) > 0) /* until the client's close_notify */
        ;
    SSL_shutdown(s);
    ok = 1;
out:
    SSL_free(s);
    return ok;
}

static void *server_main(void *arg)
{
    server_arg *sa = arg;
    for (;;) {
        int fd = accept(sa->lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        nodelay(fd);
        if (!serve(sa->ctx, fd)) {
            sa->failed = 1;
            ERR_print_errors_fp(stderr);
        }
        close(fd);
    }
}

/* ---- the client: one request, its time to the first response byte in ms ---- */

static double one_request(SSL_CTX *cctx, SSL_SESSION *sess, int port, int early, SSL_SESSION **out)
{
    char buf[4096];
    size_t got = 0, w;
    double t0 = bench_now(), t1 = 0;
    int fd = dial(port);
    SSL *c = SSL_new(cctx);

    if (c == NULL || !SSL_set_fd(c, fd) || !SSL_set_tlsext_host_name(c, BENCH_HOST)
        || !SSL_set1_host(c, BENCH_HOST) || (sess != NULL && !SSL_set_session(c, sess)))
        bench_die("early: client setup");
    if (early) {
        if (SSL_write_early_data(c, request, REQ_LEN, &w) != 1 || w != REQ_LEN)
            bench_die("early: SSL_write_early_data");
    } else if (SSL_connect(c) != 1 || SSL_write(c, request, (int)REQ_LEN) != (int)REQ_LEN) {
        bench_die("early: 1-RTT request");
    }
    while (got < RESP_LEN) {
        int k = SSL_read(c, buf, sizeof(buf));
        if (k <= 0)
            bench_die("early: reading the response");
        if (got == 0)
            t1 = bench_now();
        got += (size_t)k;
    }
    /* The 0.5-RTT response can be read before the client has finished (SSL_read_early_data(3):
     * reads may interleave with early writes): EndOfEarlyData and Finished go now. */
    if (SSL_do_handshake(c) != 1)
        bench_die("early: completing the handshake");
    if (sess != NULL && (SSL_session_reused(c) != 1
                         || SSL_get_early_data_status(c) != (early ? SSL_EARLY_DATA_ACCEPTED
                                                                   : SSL_EARLY_DATA_NOT_SENT)))
        bench_die("early: check (not reused, or early data not accepted)");
    if (out != NULL)
        *out = SSL_get1_session(c);
    /* close_notify, then the server's (so the next request finds the server idle). */
    if (SSL_shutdown(c) == 0)
        while (SSL_read(c, buf, sizeof(buf)) > 0)
            ;
    SSL_free(c);
    close(fd);
    return (t1 - t0) * 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_fig_early(const bench_chain *ch, double seconds)
{
    SSL_CTX *sctx = bench_server_ctx(ch, BENCH_TLS13), *cctx = bench_client_ctx(ch, BENCH_TLS13);
    if (sctx == NULL || cctx == NULL || !SSL_CTX_set_max_early_data(sctx, 16384)
        || !SSL_CTX_set_num_tickets(sctx, 1))
        bench_die("early: contexts");
    SSL_CTX_set_options(sctx, SSL_OP_NO_ANTI_REPLAY);
    signal(SIGPIPE, SIG_IGN);

    server_arg sa = { 0 };
    relay_arg ra = { 0 };
    int relay_port;
    pthread_t st, rt;
    sa.lfd = listener(&ra.server_port);
    sa.ctx = sctx;
    ra.lfd = listener(&relay_port);
    if (pthread_create(&st, NULL, server_main, &sa) != 0 || pthread_create(&rt, NULL, relay_main, &ra) != 0)
        bench_die("early: threads");

    /* A full handshake for the ticket, then two warm-up requests of each kind. */
    SSL_SESSION *sess = NULL;
    one_request(cctx, NULL, relay_port, 0, &sess);
    if (sess == NULL || SSL_SESSION_get_max_early_data(sess) == 0)
        bench_die("early: a ticket that allows early data");
    for (int i = 0; i < 2; i++) {
        one_request(cctx, sess, relay_port, 1, NULL);
        one_request(cctx, sess, relay_port, 0, NULL);
    }
    /* Each pair takes about 60 ms (two and three delayed round trips and the closes). */
    int n = (int)(seconds / 0.1);
    if (n < 5)
        n = 5;
    double *v0 = malloc(sizeof(double) * (size_t)n), *v1 = malloc(sizeof(double) * (size_t)n);
    if (v0 == NULL || v1 == NULL)
        bench_die("early: results");
    for (int i = 0; i < n; i++) {
        /* Alternate which goes first. */
        if (i % 2 == 0) {
            v0[i] = one_request(cctx, sess, relay_port, 1, NULL);
            v1[i] = one_request(cctx, sess, relay_port, 0, NULL);
        } else {
            v1[i] = one_request(cctx, sess, relay_port, 0, NULL);
            v0[i] = one_request(cctx, sess, relay_port, 1, NULL);
        }
    }
    if (sa.failed)
        bench_die("early: the server");
    bench_result("ttfb_0rtt_ms", median(v0, n));
    bench_result("ttfb_1rtt_ms", median(v1, n));
    fprintf(stderr, "# early: %d requests of each kind, relay delay %.0f ms per direction\n", n, DELAY_S * 1e3);

    shutdown(ra.lfd, SHUT_RDWR);
    shutdown(sa.lfd, SHUT_RDWR);
    pthread_join(rt, NULL);
    pthread_join(st, NULL);
    close(ra.lfd);
    close(sa.lfd);
    free(v0);
    free(v1);
    SSL_SESSION_free(sess);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}
