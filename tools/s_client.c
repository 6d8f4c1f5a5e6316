/* `keel s_client`: a TLS client with OpenSSL's s_client flag names, written against the public
 * API only. After the handshake it prints what was negotiated, then copies stdin to the
 * connection and the connection to stdout. */
#include "apps_common.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct client_opts {
    const char *connect, *cafile, *servername, *verify_hostname, *alpn, *keylog;
    const char *cert, *key, *sess_out, *sess_in, *early_data;
    struct apps_proto proto;
    int quiet, reconnect, noservername, ign_eof, enable_pha, nocommands;
    char *host, *port;
};

/* The latest session that carries a ticket (SSL_CTX_sess_set_new_cb(3)); TLS 1.3 sends them
 * after the handshake, so the session SSL_get1_session returns right after SSL_connect has none. */
static SSL_SESSION *latest_session;
static volatile int new_sessions;

static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
    (void)ssl;
    SSL_SESSION_free(latest_session);
    latest_session = sess;
    new_sessions++;
    return 1; /* we keep the reference */
}

static int client_usage(void)
{
    fprintf(stderr,
            "usage: keel s_client -connect host:port [-CAfile file] [-servername name] [-noservername]\n"
            "         [-verify_hostname name] [-alpn list] [-keylogfile file] [-quiet]\n"
            "         [-cert file -key file] [-sess_out file] [-sess_in file] [-early_data file]\n"
            "         [-reconnect] [-ign_eof] [-no_ign_eof] [-enable_pha] [-nocommands]\n"
            "         " APPS_PROTO_USAGE "\n"
            "  an input line \"k\" sends a KeyUpdate, \"K\" one that requests the server's too\n"
            "  (-nocommands: send such lines as data)\n");
    return 2;
}

static int parse(int argc, char **argv, struct client_opts *o)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        int p = apps_proto_arg(&o->proto, "s_client", argc, argv, &i);
        if (p != 0) {
            if (p < 0)
                return 0;
            continue;
        }
        if (strcmp(a, "-connect") == 0) slot = &o->connect;
        else if (strcmp(a, "-CAfile") == 0) slot = &o->cafile;
        else if (strcmp(a, "-servername") == 0) slot = &o->servername;
        else if (strcmp(a, "-verify_hostname") == 0) slot = &o->verify_hostname;
        else if (strcmp(a, "-alpn") == 0) slot = &o->alpn;
        else if (strcmp(a, "-keylogfile") == 0) slot = &o->keylog;
        else if (strcmp(a, "-cert") == 0) slot = &o->cert;
        else if (strcmp(a, "-key") == 0) slot = &o->key;
        else if (strcmp(a, "-sess_out") == 0) slot = &o->sess_out;
        else if (strcmp(a, "-sess_in") == 0) slot = &o->sess_in;
        else if (strcmp(a, "-early_data") == 0) slot = &o->early_data;
        else if (strcmp(a, "-quiet") == 0) { o->quiet = 1; continue; }
        else if (strcmp(a, "-reconnect") == 0) { o->reconnect = 1; continue; }
        else if (strcmp(a, "-noservername") == 0) { o->noservername = 1; continue; }
        else if (strcmp(a, "-ign_eof") == 0) { o->ign_eof = 1; continue; }
        else if (strcmp(a, "-no_ign_eof") == 0) { o->ign_eof = 0; continue; }
        else if (strcmp(a, "-enable_pha") == 0) { o->enable_pha = 1; continue; }
        else if (strcmp(a, "-nocommands") == 0) { o->nocommands = 1; continue; }
        else {
            fprintf(stderr, "keel s_client: unknown option %s\n", a);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "keel s_client: %s needs an argument\n", a);
            return 0;
        }
        *slot = argv[++i];
    }
    if (o->connect == NULL) {
        fprintf(stderr, "keel s_client: -connect host:port is required\n");
        return 0;
    }
    if (!apps_split_hostport(o->connect, &o->host, &o->port)) {
        fprintf(stderr, "keel s_client: bad -connect '%s' (want host:port)\n", o->connect);
        return 0;
    }
    if ((o->cert == NULL) != (o->key == NULL) && o->key != NULL) {
        fprintf(stderr, "keel s_client: -key needs -cert\n");
        return 0;
    }
    return 1;
}

static SSL_CTX *make_ctx(const struct client_opts *o)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        apps_errors("SSL_CTX_new failed");
        return NULL;
    }
    if (o->cafile != NULL) {
        if (SSL_CTX_load_verify_locations(ctx, o->cafile, NULL) != 1) {
            apps_errors("cannot load -CAfile");
            goto err;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        /* Like s_client: without -CAfile the result is reported, not enforced. */
        if (SSL_CTX_set_default_verify_paths(ctx) != 1)
            ERR_clear_error();
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    if (!apps_proto_apply(ctx, &o->proto))
        goto err;
    if (o->alpn != NULL) {
        unsigned int len;
        unsigned char *w = apps_alpn_wire(o->alpn, &len);
        if (w == NULL || SSL_CTX_set_alpn_protos(ctx, w, len) != 0) {
            free(w);
            apps_errors("bad -alpn list");
            goto err;
        }
        free(w);
    }
    if (o->cert != NULL && !apps_load_cert_key(ctx, o->cert, o->key))
        goto err;
    if (!apps_setup_keylog(ctx, o->keylog))
        goto err;
    if (o->enable_pha)
        SSL_CTX_set_post_handshake_auth(ctx, 1);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
    return ctx;
err:
    SSL_CTX_free(ctx);
    return NULL;
}

/* -early_data: the file's bytes as TLS 1.3 early data (SSL_write_early_data(3)), sent with the
 * ClientHello, before SSL_connect completes the handshake. As s_client, only when the session
 * allows early data; whether the server took it is printed with the session ("Early data was"). */
static int send_early_data(SSL *ssl, const char *file)
{
    char buf[4096];
    size_t n, written;
    FILE *f = fopen(file, "rb");
    int ok = 1;

    if (f == NULL) {
        perror(file);
        return 0;
    }
    while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
        /* The socket blocks here, so a call either writes everything or fails. */
        if (SSL_write_early_data(ssl, buf, n, &written) != 1 || written != n) {
            apps_errors("SSL_write_early_data failed");
            ok = 0;
        }
    }
    fclose(f);
    return ok;
}

/* One connection up to the end of the handshake. Returns the SSL (socket in *fd) or NULL. */
static SSL *connect_one(SSL_CTX *ctx, const struct client_opts *o, SSL_SESSION *sess, int *fd)
{
    const char *sni = o->servername != NULL ? o->servername : (apps_is_ip(o->host) ? NULL : o->host);
    SSL *ssl;

    *fd = apps_tcp_connect(o->host, o->port);
    if (*fd < 0)
        return NULL;
    ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, *fd) != 1) {
        apps_errors("SSL_new failed");
        goto err;
    }
    if (sni != NULL && !o->noservername && SSL_set_tlsext_host_name(ssl, sni) != 1) {
        apps_errors("bad -servername");
        goto err;
    }
    if (o->cafile != NULL) {
        const char *name = o->verify_hostname != NULL ? o->verify_hostname
                                                      : (o->servername != NULL ? o->servername : o->host);
        int ok = apps_is_ip(name) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name)
                                  : SSL_set1_host(ssl, name);
        if (ok != 1) {
            apps_errors("cannot set the name to verify");
            goto err;
        }
    }
    if (sess != NULL && SSL_set_session(ssl, sess) != 1) {
        apps_errors("SSL_set_session failed");
        goto err;
    }
    if (sess != NULL && o->early_data != NULL && SSL_SESSION_get_max_early_data(sess) > 0
        && !send_early_data(ssl, o->early_data))
        goto err;
    if (SSL_connect(ssl) != 1) {
        long vr = SSL_get_verify_result(ssl);
        apps_errors("handshake failed");
        if (vr != X509_V_OK)
            fprintf(stderr, "Verify return code: %ld (%s)\n", vr, X509_verify_cert_error_string(vr));
        goto err;
    }
    if (!o->quiet) {
        printf("CONNECTED(%s:%s)\n", o->host, o->port);
        apps_print_session_info(stdout, ssl, 1);
    }
    return ssl;
err:
    SSL_free(ssl);
    apps_close(*fd);
    *fd = -1;
    return NULL;
}

/* Closes one connection: our close_notify, then a short wait for the server's. */
static void close_one(SSL *ssl, int fd)
{
    if (SSL_shutdown(ssl) == 0)
        apps_pump(ssl, fd, 500, NULL, -1);
    SSL_free(ssl);
    apps_close(fd);
}

static int write_session(const char *file, SSL *ssl)
{
    SSL_SESSION *s = latest_session != NULL ? SSL_SESSION_up_ref(latest_session), latest_session
                                            : SSL_get1_session(ssl);
    BIO *b;
    int ok;

    if (s == NULL) {
        fprintf(stderr, "keel s_client: no session to write\n");
        return 0;
    }
    b = BIO_new_file(file, "w");
    ok = b != NULL && PEM_write_bio_SSL_SESSION(b, s) == 1;
    if (!ok)
        apps_errors("cannot write -sess_out");
    BIO_free(b);
    SSL_SESSION_free(s);
    return ok;
}

static SSL_SESSION *read_session(const char *file)
{
    BIO *b = BIO_new_file(file, "r");
    SSL_SESSION *s = b != NULL ? PEM_read_bio_SSL_SESSION(b, NULL, NULL, NULL) : NULL;
    if (s == NULL)
        apps_errors("cannot read -sess_in");
    BIO_free(b);
    return s;
}

/* Waits (briefly) for the server's NewSessionTicket so a resumable session exists. */
static void wait_for_ticket(SSL *ssl, int fd)
{
    int before = new_sessions;
    volatile int got = 0;
    long waited = 0;
    apps_set_nonblocking(fd, 1);
    while (waited < 1000 && !got) {
        if (apps_pump(ssl, fd, 50, NULL, STDOUT_FILENO) < 0)
            break;
        got = new_sessions != before;
        waited += 50;
    }
}

int main_s_client(int argc, char **argv)
{
    struct client_opts o = { 0 };
    SSL_CTX *ctx = NULL;
    SSL_SESSION *sess = NULL;
    SSL *ssl = NULL;
    int fd = -1, rc = 1;

    if (!parse(argc, argv, &o))
        return client_usage();
    ctx = make_ctx(&o);
    if (ctx == NULL)
        goto out;
    if (o.sess_in != NULL && (sess = read_session(o.sess_in)) == NULL)
        goto out;

    ssl = connect_one(ctx, &o, sess, &fd);
    if (ssl == NULL)
        goto out;
    if (o.reconnect) {
        /* -reconnect: five more connections, each offering the latest session. */
        for (int i = 0; i < 5; i++) {
            wait_for_ticket(ssl, fd);
            SSL_SESSION_free(sess);
            sess = latest_session != NULL ? (SSL_SESSION_up_ref(latest_session), latest_session)
                                          : SSL_get1_session(ssl);
            close_one(ssl, fd);
            if (!o.quiet)
                printf("drop connection and then reconnect\n");
            ssl = connect_one(ctx, &o, sess, &fd);
            if (ssl == NULL)
                goto out;
        }
    }
    if (o.sess_out != NULL)
        wait_for_ticket(ssl, fd);
    apps_set_nonblocking(fd, 1);
    rc = apps_relay(ssl, fd, STDIN_FILENO, STDOUT_FILENO, !o.ign_eof, NULL, !o.nocommands, NULL,
                    NULL);
    if (o.sess_out != NULL && !write_session(o.sess_out, ssl))
        rc = 1;
    SSL_free(ssl);
    apps_close(fd);
out:
    SSL_SESSION_free(sess);
    SSL_SESSION_free(latest_session);
    SSL_CTX_free(ctx);
    free(o.host);
    free(o.port);
    fflush(stdout);
    return rc;
}
