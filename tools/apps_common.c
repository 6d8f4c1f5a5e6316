/* Shared pieces of `keel s_client` / `keel s_server` (apps_common.h). */
#include "apps_common.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/objects.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int apps_split_hostport(const char *in, char **host, char **port)
{
    const char *colon;
    const char *h = in;
    size_t hlen;

    if (in[0] == '[') {
        const char *end = strchr(in, ']');
        if (end == NULL || end[1] != ':')
            return 0;
        h = in + 1;
        hlen = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(in, ':');
        if (colon == NULL)
            return 0;
        hlen = (size_t)(colon - in);
    }
    if (hlen == 0 || colon[1] == '\0')
        return 0;
    *host = strndup(h, hlen);
    *port = strdup(colon + 1);
    return *host != NULL && *port != NULL;
}

int apps_is_ip(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int apps_tcp_connect(const char *host, const char *port)
{
    struct addrinfo hints = { 0 }, *res = NULL, *ai;
    int fd = -1, rc;

    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "keel: cannot resolve %s:%s: %s\n", host, port, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    if (fd < 0)
        fprintf(stderr, "keel: connect to %s:%s failed: %s\n", host, port, strerror(errno));
    freeaddrinfo(res);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return fd;
}

int apps_tcp_listen(const char *port, int *bound)
{
    char *end;
    long p = strtol(port, &end, 10);
    struct sockaddr_in sa = { 0 };
    socklen_t len = sizeof(sa);
    int fd, one = 1;

    if (*port == '\0' || *end != '\0' || p < 0 || p > 65535) {
        fprintf(stderr, "keel: bad port '%s'\n", port);
        return -1;
    }
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        perror("keel: socket");
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)p);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0
        || getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        fprintf(stderr, "keel: cannot listen on 127.0.0.1:%s: %s\n", port, strerror(errno));
        close(fd);
        return -1;
    }
    *bound = ntohs(sa.sin_port);
    return fd;
}

int apps_set_nonblocking(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return 0;
    fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, fl) == 0;
}

int apps_write_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd pfd = { fd, POLLOUT, 0 };
            poll(&pfd, 1, -1);
            continue;
        }
        if (n <= 0)
            return 0;
        p += n;
        len -= (size_t)n;
    }
    return 1;
}

/* ---- key log (SSL_CTX_set_keylog_callback(3), NSS key log format) ---- */

static FILE *keylog_fp;

static void keylog_line(const SSL *ssl, const char *line)
{
    (void)ssl;
    if (keylog_fp == NULL)
        return;
    fprintf(keylog_fp, "%s\n", line);
    fflush(keylog_fp);
}

int apps_setup_keylog(SSL_CTX *ctx, const char *file)
{
    if (keylog_fp != NULL) {
        /* A second context of the same program (s_server -cert2) shares the file. */
        SSL_CTX_set_keylog_callback(ctx, keylog_line);
        return 1;
    }
    if (file == NULL)
        file = getenv("SSLKEYLOGFILE");
    if (file == NULL || *file == '\0')
        return 1;
    keylog_fp = fopen(file, "a");
    if (keylog_fp == NULL) {
        fprintf(stderr, "keel: cannot open key log file %s: %s\n", file, strerror(errno));
        return 0;
    }
    SSL_CTX_set_keylog_callback(ctx, keylog_line);
    return 1;
}

unsigned char *apps_alpn_wire(const char *list, unsigned int *outlen)
{
    size_t n = strlen(list);
    unsigned char *out = malloc(n + 1);
    size_t o = 0, start = 0;

    if (out == NULL || n == 0) {
        free(out);
        return NULL;
    }
    for (size_t i = 0; i <= n; i++) {
        if (i == n || list[i] == ',') {
            size_t l = i - start;
            if (l == 0 || l > 255) {
                free(out);
                return NULL;
            }
            out[o++] = (unsigned char)l;
            memcpy(out + o, list + start, l);
            o += l;
            start = i + 1;
        }
    }
    *outlen = (unsigned int)o;
    return out;
}

int apps_load_cert_key(SSL_CTX *ctx, const char *cert, const char *key)
{
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        apps_errors("cannot load certificate");
        return 0;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key != NULL ? key : cert, SSL_FILETYPE_PEM) != 1) {
        apps_errors("cannot load private key");
        return 0;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        apps_errors("private key does not match the certificate");
        return 0;
    }
    return 1;
}

void apps_errors(const char *what)
{
    if (what != NULL)
        fprintf(stderr, "keel: %s\n", what);
    ERR_print_errors_fp(stderr);
    fflush(stderr);
}

/* ---- printing ---- */

void apps_print_name(FILE *out, const char *label, const X509_NAME *name)
{
    BIO *b = BIO_new_fp(out, BIO_NOCLOSE);
    if (b == NULL)
        return;
    BIO_printf(b, "%s=", label);
    X509_NAME_print_ex(b, name, 0, XN_FLAG_ONELINE);
    BIO_printf(b, "\n");
    BIO_free(b);
}

/* ---- the protocol options ---- */

int apps_proto_arg(struct apps_proto *p, const char *tool, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char **slot;

    if (strcmp(a, "-tls1_2") == 0 || strcmp(a, "-tls1_3") == 0) {
        p->version = strcmp(a, "-tls1_2") == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
        return 1;
    }
    if (strcmp(a, "-cipher") == 0) slot = &p->cipher;
    else if (strcmp(a, "-ciphersuites") == 0) slot = &p->suites;
    else if (strcmp(a, "-sigalgs") == 0) slot = &p->sigalgs;
    else if (strcmp(a, "-groups") == 0 || strcmp(a, "-curves") == 0) slot = &p->groups;
    else return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "keel %s: %s needs an argument\n", tool, a);
        return -1;
    }
    *slot = argv[++*i];
    return 1;
}

int apps_proto_apply(SSL_CTX *ctx, const struct apps_proto *p)
{
    if (p->version != 0 && (SSL_CTX_set_min_proto_version(ctx, p->version) != 1
                            || SSL_CTX_set_max_proto_version(ctx, p->version) != 1)) {
        apps_errors("cannot set the protocol version");
        return 0;
    }
    if (p->cipher != NULL && SSL_CTX_set_cipher_list(ctx, p->cipher) != 1) {
        apps_errors("bad -cipher list");
        return 0;
    }
    if (p->suites != NULL && SSL_CTX_set_ciphersuites(ctx, p->suites) != 1) {
        apps_errors("bad -ciphersuites list");
        return 0;
    }
    if (p->sigalgs != NULL && SSL_CTX_set1_sigalgs_list(ctx, p->sigalgs) != 1) {
        apps_errors("bad -sigalgs list");
        return 0;
    }
    if (p->groups != NULL && SSL_CTX_set1_groups_list(ctx, p->groups) != 1) {
        apps_errors("bad -groups list");
        return 0;
    }
    return 1;
}

static const char *group_name(SSL *ssl)
{
    int nid = (int)SSL_get_negotiated_group(ssl);
    const char *name;

    if (nid == 0)
        return NULL;
    name = SSL_group_to_name(ssl, nid);
    if (name == NULL) {
        ERR_clear_error();
        if (!(nid & TLSEXT_nid_unknown))
            name = OBJ_nid2sn(nid);
    }
    return name != NULL ? name : "unknown";
}

void apps_print_session_info(FILE *out, SSL *ssl, int is_client)
{
    X509 *peer = SSL_get0_peer_certificate(ssl);
    const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
    const char *cname = c != NULL ? SSL_CIPHER_get_name(c) : "(NONE)";
    const unsigned char *alpn = NULL;
    unsigned int alpn_len = 0;
    const char *grp = group_name(ssl);
    long vr = SSL_get_verify_result(ssl);

    fprintf(out, "---\n");
    if (peer != NULL) {
        fprintf(out, "%s certificate\n", is_client ? "Server" : "Client");
        apps_print_name(out, "subject", X509_get_subject_name(peer));
        apps_print_name(out, "issuer", X509_get_issuer_name(peer));
    } else {
        fprintf(out, "No %s certificate\n", is_client ? "server" : "client");
    }
    fprintf(out, "---\n");
    fprintf(out, "Protocol: %s\n", SSL_get_version(ssl));
    fprintf(out, "Cipher: %s\n", cname);
    fprintf(out, "Negotiated group: %s\n", grp != NULL ? grp : "(none)");
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
    if (alpn_len > 0)
        fprintf(out, "ALPN protocol: %.*s\n", (int)alpn_len, (const char *)alpn);
    else
        fprintf(out, "No ALPN negotiated\n");
    if (!is_client) {
        const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        fprintf(out, "Server name: %s\n", sni != NULL ? sni : "(none)");
    }
    if (SSL_version(ssl) == TLS1_2_VERSION) {
        /* What only TLS 1.2 negotiates: RFC 7627 and RFC 5746, in s_client's words. */
        fprintf(out, "Extended master secret: %s\n", SSL_get_extms_support(ssl) == 1 ? "yes" : "no");
        fprintf(out, "Secure Renegotiation IS%s supported\n",
                SSL_get_secure_renegotiation_support(ssl) ? "" : " NOT");
    }
    if (is_client && SSL_version(ssl) == TLS1_3_VERSION) {
        /* s_client's words for SSL_get_early_data_status(3). */
        int st = SSL_get_early_data_status(ssl);
        fprintf(out, "Early data was %s\n", st == SSL_EARLY_DATA_ACCEPTED ? "accepted"
                                            : st == SSL_EARLY_DATA_REJECTED ? "rejected" : "not sent");
    }
    if (is_client || peer != NULL)
        fprintf(out, "Verify return code: %ld (%s)\n", vr, X509_verify_cert_error_string(vr));
    fprintf(out, "%s, %s, Cipher is %s\n", SSL_session_reused(ssl) ? "Reused" : "New",
            SSL_get_version(ssl), cname);
    fprintf(out, "---\n");
    fflush(out);
}

/* ---- the data phase ---- */

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One SSL_read pass until nothing is buffered. Returns 1 to go on, 0 when the peer closed
 * cleanly, -1 on error; *want_write is set when the library needs the socket writable. */
static int read_pass(SSL *ssl, int out_fd, int *want_write)
{
    char buf[16384];

    for (;;) {
        int n = SSL_read(ssl, buf, sizeof(buf));
        if (n > 0) {
            if (out_fd >= 0 && !apps_write_all(out_fd, buf, (size_t)n))
                return -1;
            continue;
        }
        switch (SSL_get_error(ssl, n)) {
        case SSL_ERROR_WANT_READ:
            return 1;
        case SSL_ERROR_WANT_WRITE:
            *want_write = 1;
            return 1;
        case SSL_ERROR_ZERO_RETURN:
            return 0;
        case SSL_ERROR_SYSCALL:
            if (ERR_peek_error() == 0) {
                fprintf(stderr, "keel: connection closed by peer without close_notify\n");
                return -2;
            }
            /* fall through */
        default:
            apps_errors("read failed");
            return -1;
        }
    }
}

int apps_pump(SSL *ssl, int sock, int ms, const volatile int *flag, int out_fd)
{
    long deadline = now_ms() + ms;
    int want_write = 0;

    for (;;) {
        int r = read_pass(ssl, out_fd, &want_write);
        if (r <= 0)
            return -1;
        if (flag != NULL && *flag)
            return 0;
        long left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd = { sock, (short)(POLLIN | (want_write ? POLLOUT : 0)), 0 };
        want_write = 0;
        if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
            return -1;
    }
}

/* If buf (at the start of a line) holds a whole command line — "k" or "K", then "\n" or "\r\n" —
 * returns 1, with the key update type in *type and the line's length in *len; otherwise 0. */
static int command_line(const char *buf, size_t n, size_t *len, int *type)
{
    size_t i = 1;
    if (n < 2 || (buf[0] != 'k' && buf[0] != 'K'))
        return 0;
    if (buf[i] == '\r')
        i++;
    if (i >= n || buf[i] != '\n')
        return 0;
    *len = i + 1;
    *type = buf[0] == 'K' ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED;
    return 1;
}

/* A command line from stdin: "k" sends a KeyUpdate, "K" one that asks the peer to update too
 * (as OpenSSL's s_client/s_server do). SSL_do_handshake flushes it without sending data. */
static int run_key_update(SSL *ssl, int type, int *want_write)
{
    fprintf(stderr, "KEYUPDATE%s\n", type == SSL_KEY_UPDATE_REQUESTED ? " (update_requested)" : "");
    fflush(stderr);
    if (SSL_key_update(ssl, type) != 1) {
        apps_errors("SSL_key_update failed");
        return 0;
    }
    int r = SSL_do_handshake(ssl);
    if (r != 1) {
        int e = SSL_get_error(ssl, r);
        if (e == SSL_ERROR_WANT_WRITE)
            *want_write = 1;
        else if (e != SSL_ERROR_WANT_READ) {
            apps_errors("sending the KeyUpdate failed");
            return 0;
        }
    }
    return 1;
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Closing a TCP socket that still holds unread input makes the kernel send a reset, and a reset
 * discards what we wrote last — typically a fatal alert — if the peer has not taken it yet. So the
 * send side is shut down first (our data, then FIN), the peer's input is read and dropped until it
 * closes, falls silent for a moment, or two seconds pass, and only then is the socket closed. */
void apps_close(int fd)
{
    enum { IDLE_MS = 200, TOTAL_MS = 2000 };
    struct timespec t0;
    char buf[4096];

    if (fd < 0)
        return;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    (void)shutdown(fd, SHUT_WR);
    for (;;) {
        long left = TOTAL_MS - ms_since(&t0);
        struct pollfd p = { fd, POLLIN, 0 };
        if (left <= 0)
            break;
        int r = poll(&p, 1, left < IDLE_MS ? (int)left : IDLE_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            break;
    }
    close(fd);
}

int apps_relay(SSL *ssl, int sock, int in_fd, int out_fd, int close_on_eof, int *in_eof,
               int commands, apps_read_hook hook, void *hook_arg)
{
    /* Input from in_fd sits in inbuf[ioff, ilen); the piece being written (SSL_write must be
     * retried with the same arguments) is wbuf/wlen, a slice of inbuf before ioff. */
    static char inbuf[16384];
    size_t ioff = 0, ilen = 0, wlen = 0;
    const char *wbuf = NULL;
    int at_bol = 1;
    int eof = in_fd < 0, sent_close = 0, want_write = 0;

    for (;;) {
        /* Next piece of input: a command line (run once all earlier data is written) or data up
         * to the next command line. */
        while (wlen == 0 && ioff < ilen) {
            size_t clen, end;
            int type;
            if (commands && at_bol && command_line(inbuf + ioff, ilen - ioff, &clen, &type)) {
                if (!run_key_update(ssl, type, &want_write))
                    return 1;
                ioff += clen;
                continue;
            }
            for (end = ioff; end < ilen;) {
                const char *nl = memchr(inbuf + end, '\n', ilen - end);
                if (nl == NULL) {
                    end = ilen;
                    at_bol = 0;
                    break;
                }
                end = (size_t)(nl - inbuf) + 1;
                at_bol = 1;
                if (commands && command_line(inbuf + end, ilen - end, &clen, &type))
                    break;
            }
            wbuf = inbuf + ioff;
            wlen = end - ioff;
            ioff = end;
        }
        if (wlen > 0) {
            int n = SSL_write(ssl, wbuf, (int)wlen);
            if (n > 0) {
                wlen = 0;
                continue; /* the rest of inbuf, if any */
            } else {
                int e = SSL_get_error(ssl, n);
                if (e == SSL_ERROR_WANT_WRITE)
                    want_write = 1;
                else if (e != SSL_ERROR_WANT_READ) {
                    apps_errors("write failed");
                    return 1;
                }
            }
        }
        int pending = wlen > 0 || ioff < ilen;
        int r = read_pass(ssl, out_fd, &want_write);
        if (hook != NULL)
            hook(ssl, hook_arg);
        if (r == 0) {
            /* The peer's close_notify: answer it (RFC 8446 §6.1) unless we already sent ours. */
            if (!sent_close)
                SSL_shutdown(ssl);
            return 0;
        }
        if (r == -2)
            return sent_close ? 0 : 1;
        if (r < 0)
            return 1;
        if (eof && close_on_eof && !sent_close && !pending) {
            int s = SSL_shutdown(ssl);
            if (s >= 0) {
                sent_close = 1;
            } else {
                int e = SSL_get_error(ssl, s);
                if (e == SSL_ERROR_WANT_WRITE)
                    want_write = 1;
                else if (e != SSL_ERROR_WANT_READ) {
                    apps_errors("shutdown failed");
                    return 1;
                }
            }
        }

        struct pollfd pfd[2];
        int nfds = 1;
        pfd[0].fd = sock;
        pfd[0].events = (short)(POLLIN | (want_write ? POLLOUT : 0));
        pfd[0].revents = 0;
        if (!eof && !pending) {
            pfd[1].fd = in_fd;
            pfd[1].events = POLLIN;
            pfd[1].revents = 0;
            nfds = 2;
        }
        want_write = 0;
        if (poll(pfd, (nfds_t)nfds, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("keel: poll");
            return 1;
        }
        if (nfds == 2 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(in_fd, inbuf, sizeof(inbuf));
            if (n > 0) {
                ioff = 0;
                ilen = (size_t)n;
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                eof = 1;
                if (in_eof != NULL)
                    *in_eof = 1;
            }
        }
    }
}
