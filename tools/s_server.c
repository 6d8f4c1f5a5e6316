/* `keel s_server`: a TLS server with OpenSSL's s_server flag names, written against the public
 * API only. Listens on the loopback address, prints "ACCEPT <port>", then serves connections:
 * -www answers an HTTP GET with a status page; otherwise what the client sends goes to stdout and
 * stdin goes to the client. */
#include "apps_common.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct server_opts {
    const char *accept, *cert, *key, *alpn, *keylog, *cafile;
    struct apps_proto proto;
    const char *servername, *cert2, *key2;
    int www, quiet, no_ticket, no_auto_chain, num_tickets, verify, verify_depth, request_pha, ign_eof, nocommands;
    int early_data, anti_replay; /* anti_replay: -1 unset, 0 -no_anti_replay, 1 -anti_replay */
    long max_early_data, recv_max_early_data;
    long naccept;
    unsigned char *alpn_wire;
    unsigned int alpn_len;
};

static int server_usage(void)
{
    fprintf(stderr,
            "usage: keel s_server -accept port -cert file -key file [-www] [-alpn list]\n"
            "         [-keylogfile file] [-naccept n] [-quiet]\n"
            "         [-no_ticket] [-num_tickets n] [-verify depth | -Verify depth] [-CAfile file]\n"
            "         [-request_pha] [-no_ign_eof] [-nocommands] [-no_auto_chain]\n"
            "         " APPS_PROTO_USAGE "\n"
            "         [-servername name [-cert2 file -key2 file]]\n"
            "         [-early_data] [-max_early_data n] [-recv_max_early_data n]\n"
            "         [-anti_replay | -no_anti_replay]\n"
            "  -request_pha: after the handshake, ask for a client certificate (TLS 1.3\n"
            "                post-handshake authentication; the client must offer it)\n"
            "  -no_ign_eof:  at EOF on stdin, send close_notify (default: ignore stdin EOF)\n"
            "  -verify/-Verify: a client certificate that fails verification ends the handshake\n"
            "                (-Verify also requires one); -CAfile is the trust store and CA list\n"
            "                (and completes the server's chain unless -no_auto_chain)\n"
            "  -servername:  a client whose SNI is this name gets -cert2/-key2 (a second context);\n"
            "                other names are not acknowledged\n"
            "  -early_data:  read TLS 1.3 early data before the handshake completes and print it\n"
            "                (max_early_data 16384 unless -max_early_data says otherwise)\n"
            "  an input line \"k\" sends a KeyUpdate, \"K\" one that requests the client's too\n"
            "  (-nocommands: send such lines as data)\n");
    return 2;
}

static int parse_int(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno != 0)
        return 0;
    *out = v;
    return 1;
}

static int parse(int argc, char **argv, struct server_opts *o)
{
    o->naccept = -1;
    o->num_tickets = -1;
    o->ign_eof = 1;
    o->anti_replay = -1;
    o->max_early_data = o->recv_max_early_data = -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        long *num = NULL, v = 0;
        int p = apps_proto_arg(&o->proto, "s_server", argc, argv, &i);
        if (p != 0) {
            if (p < 0)
                return 0;
            continue;
        }
        if (strcmp(a, "-accept") == 0 || strcmp(a, "-port") == 0) slot = &o->accept;
        else if (strcmp(a, "-cert") == 0) slot = &o->cert;
        else if (strcmp(a, "-key") == 0) slot = &o->key;
        else if (strcmp(a, "-alpn") == 0) slot = &o->alpn;
        else if (strcmp(a, "-keylogfile") == 0) slot = &o->keylog;
        else if (strcmp(a, "-CAfile") == 0) slot = &o->cafile;
        else if (strcmp(a, "-servername") == 0) slot = &o->servername;
        else if (strcmp(a, "-cert2") == 0) slot = &o->cert2;
        else if (strcmp(a, "-key2") == 0) slot = &o->key2;
        else if (strcmp(a, "-naccept") == 0) num = &o->naccept;
        else if (strcmp(a, "-max_early_data") == 0) num = &o->max_early_data;
        else if (strcmp(a, "-recv_max_early_data") == 0) num = &o->recv_max_early_data;
        else if (strcmp(a, "-early_data") == 0) { o->early_data = 1; continue; }
        else if (strcmp(a, "-anti_replay") == 0) { o->anti_replay = 1; continue; }
        else if (strcmp(a, "-no_anti_replay") == 0) { o->anti_replay = 0; continue; }
        else if (strcmp(a, "-num_tickets") == 0 || strcmp(a, "-verify") == 0
                 || strcmp(a, "-Verify") == 0) num = &v;
        else if (strcmp(a, "-www") == 0) { o->www = 1; continue; }
        else if (strcmp(a, "-quiet") == 0) { o->quiet = 1; continue; }
        else if (strcmp(a, "-no_ticket") == 0) { o->no_ticket = 1; continue; }
        else if (strcmp(a, "-no_auto_chain") == 0) { o->no_auto_chain = 1; continue; }
        else if (strcmp(a, "-request_pha") == 0) { o->request_pha = 1; continue; }
        else if (strcmp(a, "-ign_eof") == 0) { o->ign_eof = 1; continue; }
        else if (strcmp(a, "-no_ign_eof") == 0) { o->ign_eof = 0; continue; }
        else if (strcmp(a, "-nocommands") == 0) { o->nocommands = 1; continue; }
        else {
            fprintf(stderr, "keel s_server: unknown option %s\n", a);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "keel s_server: %s needs an argument\n", a);
            return 0;
        }
        i++;
        if (slot != NULL) {
            *slot = argv[i];
            continue;
        }
        if (!parse_int(argv[i], num) || *num < 0) {
            fprintf(stderr, "keel s_server: %s needs a non-negative number\n", a);
            return 0;
        }
        if (strcmp(a, "-num_tickets") == 0)
            o->num_tickets = (int)v;
        else if (strcmp(a, "-verify") == 0 || strcmp(a, "-Verify") == 0) {
            o->verify = a[1] == 'V' ? 2 : 1;
            o->verify_depth = (int)v;
        }
    }
    if ((o->max_early_data > UINT32_MAX) || (o->recv_max_early_data > UINT32_MAX)) {
        fprintf(stderr, "keel s_server: early data limits are 32-bit\n");
        return 0;
    }
    if (o->early_data && o->www) {
        /* As s_server: the page is served without reading early data first. */
        fprintf(stderr, "keel s_server: -early_data cannot be used with -www\n");
        return 0;
    }
    /* As s_server: -early_data alone accepts up to one record's worth. */
    if (o->early_data && o->max_early_data < 0)
        o->max_early_data = 16384;
    if (o->accept == NULL || o->cert == NULL) {
        fprintf(stderr, "keel s_server: -accept and -cert are required\n");
        return 0;
    }
    if ((o->cert2 != NULL || o->key2 != NULL) && o->servername == NULL) {
        fprintf(stderr, "keel s_server: -cert2/-key2 need -servername\n");
        return 0;
    }
    if (o->key2 != NULL && o->cert2 == NULL) {
        fprintf(stderr, "keel s_server: -key2 needs -cert2\n");
        return 0;
    }
    if (o->alpn != NULL && (o->alpn_wire = apps_alpn_wire(o->alpn, &o->alpn_len)) == NULL) {
        fprintf(stderr, "keel s_server: bad -alpn list\n");
        return 0;
    }
    return 1;
}

/* SSL_CTX_set_alpn_select_cb(3): the first of our protocols the client offers; without overlap
 * the handshake fails with no_application_protocol, as RFC 7301 §3.2 asks (and s_server does). */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    struct server_opts *o = arg;
    unsigned char *sel = NULL;
    (void)ssl;
    if (SSL_select_next_proto(&sel, outlen, o->alpn_wire, o->alpn_len, in, inlen)
        != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL; /* RFC 7301 §3.2: no_application_protocol */
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

/* -servername: the context for that name (NULL without -cert2) and the one name it serves. */
struct sni_switch {
    const char *name;
    SSL_CTX *ctx2;
};

/* SSL_CTX_set_tlsext_servername_callback(3): a client asking for -servername gets the second
 * context (SSL_set_SSL_CTX); any other name is served from the first context, unacknowledged. */
static int on_servername(SSL *ssl, int *alert, void *arg)
{
    const struct sni_switch *sw = arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    (void)alert;

    if (name == NULL)
        return SSL_TLSEXT_ERR_NOACK;
    fprintf(stderr, "Hostname in TLS extension: \"%s\"\n", name);
    if (strcasecmp(name, sw->name) != 0)
        return SSL_TLSEXT_ERR_NOACK;
    if (sw->ctx2 != NULL) {
        if (SSL_set_SSL_CTX(ssl, sw->ctx2) != sw->ctx2) {
            apps_errors("SSL_set_SSL_CTX failed");
            return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
        fprintf(stderr, "Switching server context.\n");
    }
    fflush(stderr);
    return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *make_ctx(struct server_opts *o, const char *cert, const char *key)
{
    static const unsigned char sid_ctx[] = "keel s_server";
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    if (ctx == NULL) {
        apps_errors("SSL_CTX_new failed");
        return NULL;
    }
    if (!apps_load_cert_key(ctx, cert, key))
        goto err;
    if (!apps_proto_apply(ctx, &o->proto))
        goto err;
    if (o->alpn_wire != NULL)
        SSL_CTX_set_alpn_select_cb(ctx, select_alpn, o);
    if (!apps_setup_keylog(ctx, o->keylog))
        goto err;
    if (o->no_ticket)
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    if (o->no_auto_chain)
        SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
    if (o->num_tickets >= 0)
        SSL_CTX_set_num_tickets(ctx, (size_t)o->num_tickets);
    if ((o->max_early_data >= 0 && SSL_CTX_set_max_early_data(ctx, (uint32_t)o->max_early_data) != 1)
        || (o->recv_max_early_data >= 0
            && SSL_CTX_set_recv_max_early_data(ctx, (uint32_t)o->recv_max_early_data) != 1)) {
        apps_errors("cannot set the early data limits");
        goto err;
    }
    if (o->anti_replay == 0)
        SSL_CTX_set_options(ctx, SSL_OP_NO_ANTI_REPLAY);
    else if (o->anti_replay == 1)
        SSL_CTX_clear_options(ctx, SSL_OP_NO_ANTI_REPLAY);
    /* Sessions of a server that verifies clients are only resumable within a context. */
    if (SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1) != 1) {
        apps_errors("SSL_CTX_set_session_id_context failed");
        goto err;
    }
    if (o->cafile != NULL) {
        STACK_OF(X509_NAME) *names;
        if (SSL_CTX_load_verify_locations(ctx, o->cafile, NULL) != 1
            || (names = SSL_load_client_CA_file(o->cafile)) == NULL) {
            apps_errors("cannot load -CAfile");
            goto err;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
    }
    if (o->verify || o->request_pha) {
        int mode = SSL_VERIFY_PEER;
        if (o->verify == 2)
            mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        if (o->request_pha)
            mode |= SSL_VERIFY_POST_HANDSHAKE;
        SSL_CTX_set_verify(ctx, mode, NULL);
        if (o->verify)
            SSL_CTX_set_verify_depth(ctx, o->verify_depth);
    }
    return ctx;
err:
    SSL_CTX_free(ctx);
    return NULL;
}

/* -www: read the request head, answer with a plain-text page describing the connection. */
static int serve_www(SSL *ssl, int fd)
{
    char req[8192];
    size_t used = 0;
    BIO *page = BIO_new(BIO_s_mem());
    X509 *peer = SSL_get0_peer_certificate(ssl);
    const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
    const unsigned char *alpn = NULL;
    unsigned int alpn_len = 0;
    char *body;
    long blen;
    int ok = 0;

    while (used < sizeof(req) - 1) {
        int n = SSL_read(ssl, req + used, (int)(sizeof(req) - 1 - used));
        if (n <= 0) {
            if (SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN && used == 0) {
                /* The client closed cleanly without a request (gnutls-cli --resume does). */
                SSL_shutdown(ssl);
                ok = 1;
            } else {
                apps_errors("reading the request failed");
            }
            goto out;
        }
        used += (size_t)n;
        req[used] = '\0';
        if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
            break;
    }
    if (page == NULL)
        goto out;
    BIO_printf(page, "HTTP/1.0 200 ok\r\nContent-type: text/plain\r\n\r\n");
    BIO_printf(page, "keel s_server\n");
    BIO_printf(page, "Protocol: %s\n", SSL_get_version(ssl));
    BIO_printf(page, "Cipher: %s\n", c != NULL ? SSL_CIPHER_get_name(c) : "(NONE)");
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
    if (alpn_len > 0)
        BIO_printf(page, "ALPN protocol: %.*s\n", (int)alpn_len, (const char *)alpn);
    BIO_printf(page, "%s, %s, Cipher is %s\n", SSL_session_reused(ssl) ? "Reused" : "New",
               SSL_get_version(ssl), c != NULL ? SSL_CIPHER_get_name(c) : "(NONE)");
    if (peer != NULL) {
        BIO_printf(page, "Client certificate subject=");
        X509_NAME_print_ex(page, X509_get_subject_name(peer), 0, XN_FLAG_ONELINE);
        BIO_printf(page, "\n");
    } else {
        BIO_printf(page, "No client certificate\n");
    }
    blen = BIO_get_mem_data(page, &body);
    if (SSL_write(ssl, body, (int)blen) != (int)blen) {
        apps_errors("writing the page failed");
        goto out;
    }
    ok = 1;
    /* close_notify, then a bounded wait for the client's: closing with unread data would reset
     * the connection and could destroy the page before the client reads it. */
    if (SSL_shutdown(ssl) == 0) {
        shutdown(fd, SHUT_WR);
        apps_set_nonblocking(fd, 1);
        apps_pump(ssl, fd, 2000, NULL, -1);
    }
out:
    BIO_free(page);
    return ok;
}

struct pha_state {
    int printed;
    int quiet;
};

/* Reports a client certificate that arrived after the handshake (post-handshake auth). */
static void pha_hook(SSL *ssl, void *arg)
{
    struct pha_state *st = arg;
    X509 *peer = SSL_get0_peer_certificate(ssl);
    if (st->printed || peer == NULL)
        return;
    st->printed = 1;
    fprintf(stderr, "Post-handshake client certificate\n");
    apps_print_name(stderr, "subject", X509_get_subject_name(peer));
    long vr = SSL_get_verify_result(ssl);
    fprintf(stderr, "Verify return code: %ld (%s)\n", vr, X509_verify_cert_error_string(vr));
    fflush(stderr);
}

/* -early_data: SSL_read_early_data(3) until FINISH, what arrived printed as s_server prints it
 * ("Early data received:", the bytes, "End of early data"; else "No early data received" or
 * "Early data was rejected"). The socket blocks, so a retry code means a signal: try again. */
static int read_early_data(SSL *ssl)
{
    char buf[4096];
    size_t n;
    int header = 0, r;

    do {
        r = SSL_read_early_data(ssl, buf, sizeof(buf), &n);
        if (r == SSL_READ_EARLY_DATA_ERROR) {
            int e = SSL_get_error(ssl, 0);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                continue;
            fprintf(stderr, "Error reading early data\n");
            apps_errors("SSL_read_early_data failed");
            return 0;
        }
        if (n > 0) {
            if (!header)
                printf("Early data received:\n");
            header = 1;
            fwrite(buf, 1, n, stdout);
            fflush(stdout);
        }
    } while (r != SSL_READ_EARLY_DATA_FINISH);
    if (header)
        printf("\nEnd of early data\n");
    else
        printf(SSL_get_early_data_status(ssl) == SSL_EARLY_DATA_NOT_SENT ? "No early data received\n"
                                                                        : "Early data was rejected\n");
    fflush(stdout);
    return 1;
}

static int serve_one(SSL_CTX *ctx, const struct server_opts *o, int cfd, int *stdin_eof)
{
    SSL *ssl = SSL_new(ctx);
    int rc = 1;

    if (ssl == NULL || SSL_set_fd(ssl, cfd) != 1) {
        apps_errors("SSL_new failed");
        goto out;
    }
    if (o->early_data && !read_early_data(ssl))
        goto out;
    if (SSL_accept(ssl) != 1) {
        long vr = SSL_get_verify_result(ssl);
        apps_errors("handshake failed");
        if (vr != X509_V_OK)
            fprintf(stderr, "Verify return code: %ld (%s)\n", vr, X509_verify_cert_error_string(vr));
        goto out;
    }
    if (!o->quiet)
        apps_print_session_info(stdout, ssl, 0);
    struct pha_state st = { SSL_get0_peer_certificate(ssl) != NULL, o->quiet };
    if (o->request_pha) {
        if (SSL_verify_client_post_handshake(ssl) != 1 || SSL_do_handshake(ssl) != 1) {
            apps_errors("post-handshake authentication request failed");
            goto out;
        }
    }
    if (o->www) {
        rc = serve_www(ssl, cfd) ? 0 : 1;
    } else {
        apps_set_nonblocking(cfd, 1);
        rc = apps_relay(ssl, cfd, *stdin_eof ? -1 : STDIN_FILENO, STDOUT_FILENO, !o->ign_eof,
                        stdin_eof, !o->nocommands, o->request_pha ? pha_hook : NULL, &st);
        fflush(stdout);
    }
out:
    SSL_free(ssl);
    apps_close(cfd);
    return rc;
}

int main_s_server(int argc, char **argv)
{
    struct server_opts o = { 0 };
    struct sni_switch sw = { NULL, NULL };
    SSL_CTX *ctx = NULL;
    int lfd = -1, port = 0, rc = 0, stdin_eof = 0;

    if (!parse(argc, argv, &o))
        return server_usage();
    ctx = make_ctx(&o, o.cert, o.key);
    if (ctx == NULL) {
        rc = 1;
        goto out;
    }
    if (o.servername != NULL) {
        sw.name = o.servername;
        if (o.cert2 != NULL
            && (sw.ctx2 = make_ctx(&o, o.cert2, o.key2 != NULL ? o.key2 : o.cert2)) == NULL) {
            rc = 1;
            goto out;
        }
        SSL_CTX_set_tlsext_servername_callback(ctx, on_servername);
        SSL_CTX_set_tlsext_servername_arg(ctx, &sw);
    }
    lfd = apps_tcp_listen(o.accept, &port);
    if (lfd < 0) {
        rc = 1;
        goto out;
    }
    printf("ACCEPT %d\n", port);
    fflush(stdout);
    for (long n = 0; o.naccept < 0 || n < o.naccept; n++) {
        int cfd = accept(lfd, NULL, NULL);
        if (cfd < 0) {
            if (errno == EINTR) {
                n--;
                continue;
            }
            perror("keel s_server: accept");
            rc = 1;
            break;
        }
        if (serve_one(ctx, &o, cfd, &stdin_eof) != 0)
            rc = 1;
    }
out:
    if (lfd >= 0)
        close(lfd);
    SSL_CTX_free(ctx);
    SSL_CTX_free(sw.ctx2);
    free(o.alpn_wire);
    return rc;
}
