/* Shared pieces of the issue 14-16 differential probes: the --which answer run.sh asks for (all
 * of them); two SSLs joined by memory BIOs the probe moves bytes between, so it can inspect and
 * edit them (lifecycle.c, io_edges.c, errcodes.c, records.c, fatal_alert.c); printing of the
 * error queue. */
#ifndef KEEL_DIFF_PROBE_H
#define KEEL_DIFF_PROBE_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "tls.h"

static inline int probe_which(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--which") == 0) {
        Dl_info info;
        if (dladdr((void *)SSL_new, &info))
            printf("%s\n", info.dli_fname);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    return 0;
}

/* The first record a new client of `cc` writes (its ClientHello), copied whole into rec (at most
 * cap bytes): its length, or -1. */
static inline int probe_client_hello(SSL_CTX *cc, unsigned char *rec, size_t cap)
{
    SSL *c = SSL_new(cc);
    BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
    char *p;
    long n;

    BIO_set_mem_eof_return(in, -1);
    SSL_set_bio(c, in, out);
    SSL_set_connect_state(c);
    SSL_do_handshake(c);
    ERR_clear_error();
    n = BIO_get_mem_data(out, &p);
    if (n < 5 || (size_t)n > cap)
        n = -1;
    else
        memcpy(rec, p, (size_t)n);
    SSL_free(c);
    return (int)n;
}

typedef struct {
    SSL *c, *s;
    BIO *c_in, *c_out, *s_in, *s_out;
} link_t;

static inline void mk(link_t *l, SSL_CTX *cc, SSL_CTX *sc)
{
    l->c = SSL_new(cc);
    l->s = SSL_new(sc);
    l->c_in = BIO_new(BIO_s_mem());
    l->c_out = BIO_new(BIO_s_mem());
    l->s_in = BIO_new(BIO_s_mem());
    l->s_out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(l->c_in, -1);
    BIO_set_mem_eof_return(l->s_in, -1);
    SSL_set_bio(l->c, l->c_in, l->c_out);
    SSL_set_bio(l->s, l->s_in, l->s_out);
    SSL_set_connect_state(l->c);
    SSL_set_accept_state(l->s);
    SSL_set1_host(l->c, "server.test");
}

/* Everything one end wrote to the other. */
static inline void move(BIO *from, BIO *to)
{
    char buf[20000];
    int n;
    while ((n = BIO_read(from, buf, sizeof(buf))) > 0)
        BIO_write(to, buf, n);
}

static inline void c2s(link_t *l) { move(l->c_out, l->s_in); }
static inline void s2c(link_t *l) { move(l->s_out, l->c_in); }

static inline int shake(link_t *l)
{
    int cd = 0, sd = 0;
    for (int i = 0; i < 20 && !(cd && sd); i++) {
        if (!cd && SSL_do_handshake(l->c) == 1)
            cd = 1;
        c2s(l);
        if (!sd && SSL_do_handshake(l->s) == 1)
            sd = 1;
        s2c(l);
    }
    return cd && sd;
}

static inline void lfree(link_t *l)
{
    SSL_free(l->c);
    SSL_free(l->s);
}

/* The pair and the contexts it was made from. */
static inline void done(link_t *l, SSL_CTX *cc, SSL_CTX *sc)
{
    lfree(l);
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
}

static inline const char *vname(int version)
{
    return version == TLS1_2_VERSION ? "TLS 1.2" : "TLS 1.3";
}

static inline const char *errname(int e)
{
    switch (e) {
    case SSL_ERROR_NONE: return "NONE";
    case SSL_ERROR_SSL: return "SSL";
    case SSL_ERROR_WANT_READ: return "WANT_READ";
    case SSL_ERROR_WANT_WRITE: return "WANT_WRITE";
    case SSL_ERROR_SYSCALL: return "SYSCALL";
    case SSL_ERROR_ZERO_RETURN: return "ZERO_RETURN";
    default: return "other";
    }
}

/* The queue, emptied: libssl's entries by reason string (libcrypto's own entries are not what
 * these probes compare). */
static inline void errs(void)
{
    unsigned long e;
    printf("   queue:");
    while ((e = ERR_get_error()) != 0) {
        if (ERR_GET_LIB(e) == ERR_LIB_SSL)
            printf(" [%s]", ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?");
    }
    printf("\n");
}

/* A call's result, SSL_get_error's answer and the queue. */
static inline void res(const char *what, SSL *s, int r)
{
    printf("  %s = %d (%s)\n", what, r, errname(SSL_get_error(s, r)));
    errs();
}
#endif
