/* The ClientHello callback (SSL_CTX_set_client_hello_cb(3)): a server application looks at the
 * ClientHello before keel acts on any of it, and may change the SSL's settings (certificates,
 * verification, versions, even its SSL_CTX) from inside the callback. The server's ClientHello
 * handler (src/handshake/server.c) calls keel_call_client_hello_cb once the message is known to
 * be well formed; during the call the getters below read the message through the bounded
 * cursors, and outside it they report nothing, as documented.
 *
 * SSL_CLIENT_HELLO_RETRY suspends the handshake: SSL_do_handshake returns -1 with
 * SSL_ERROR_WANT_CLIENT_HELLO_CB, nothing of the message consumed, and the next call handles the
 * ClientHello again, callback first (OpenSSL 3.0 semantics). */
#include "handshake/hs.h"

#include <string.h>

void SSL_CTX_set_client_hello_cb(SSL_CTX *c, SSL_client_hello_cb_fn cb, void *arg)
{
    c->client_hello_cb = cb;
    c->client_hello_arg = arg;
}

int keel_in_client_hello_cb(const SSL *s)
{
    return s->conn != NULL && s->conn->hs != NULL && s->conn->hs->client_hello.p != NULL;
}

/* Returns 0 to go on, KEEL_SUSPEND, or the alert to send. */
int keel_call_client_hello_cb(SSL *s, keel_rd msg)
{
    /* Read both before the call: the callback may switch s->ctx (SSL_set_SSL_CTX). */
    SSL_client_hello_cb_fn cb = s->ctx->client_hello_cb;
    void *arg = s->ctx->client_hello_arg;
    int al = SSL_AD_INTERNAL_ERROR;

    if (cb == NULL)
        return 0;
    s->conn->hs->client_hello = msg;
    int r = cb(s, &al, arg);
    s->conn->hs->client_hello.p = NULL;
    s->conn->hs->client_hello.len = 0;
    if (r == SSL_CLIENT_HELLO_SUCCESS)
        return 0;
    if (r == SSL_CLIENT_HELLO_RETRY)
        return KEEL_SUSPEND;
    ERR_raise(ERR_LIB_SSL, SSL_R_CALLBACK_FAILED);
    return al != 0 ? al : SSL_AD_INTERNAL_ERROR;
}

/* The ClientHello's fields (RFC 8446 §4.1.2), or 0 outside the callback. */
typedef struct {
    uint32_t legacy_version;
    const uint8_t *random;
    keel_rd session_id, suites, compression, extensions;
} hello_view;

static int view(const SSL *s, hello_view *v)
{
    keel_rd r;

    if (s == NULL || !keel_in_client_hello_cb(s))
        return 0;
    r = s->conn->hs->client_hello;
    memset(v, 0, sizeof(*v));
    if (!keel_rd_u16(&r, &v->legacy_version) || !keel_rd_bytes(&r, &v->random, 32)
            || !keel_rd_prefixed8(&r, &v->session_id) || !keel_rd_prefixed16(&r, &v->suites)
            || !keel_rd_prefixed8(&r, &v->compression))
        return 0;
    /* The extensions block is optional in the grammar; keel's handler has required it. */
    if (!keel_rd_done(&r) && !keel_rd_prefixed16(&r, &v->extensions))
        return 0;
    return 1;
}

/* keel reads only TLS-format ClientHellos; an SSLv2-format one never reaches the callback. */
int SSL_client_hello_isv2(SSL *s) { return 0; }

unsigned int SSL_client_hello_get0_legacy_version(SSL *s)
{
    hello_view v;
    return view(s, &v) ? v.legacy_version : 0;
}

static size_t field(SSL *s, int which, const unsigned char **out)
{
    hello_view v;

    if (!view(s, &v))
        return 0;
    switch (which) {
    case 0: *out = v.random; return 32;
    case 1: *out = v.session_id.p; return v.session_id.len;
    case 2: *out = v.suites.p; return v.suites.len;
    default: *out = v.compression.p; return v.compression.len;
    }
}

size_t SSL_client_hello_get0_random(SSL *s, const unsigned char **out) { return field(s, 0, out); }
size_t SSL_client_hello_get0_session_id(SSL *s, const unsigned char **out) { return field(s, 1, out); }
size_t SSL_client_hello_get0_ciphers(SSL *s, const unsigned char **out) { return field(s, 2, out); }
size_t SSL_client_hello_get0_compression_methods(SSL *s, const unsigned char **out) { return field(s, 3, out); }

/* Calls fn for each extension, in the order the client sent them, until it returns 0. */
static int each_ext(SSL *s, int (*fn)(void *, uint32_t, keel_rd *), void *arg)
{
    hello_view v;

    if (!view(s, &v))
        return 0;
    keel_rd list = v.extensions;
    while (!keel_rd_done(&list)) {
        uint32_t type;
        keel_rd data;
        if (!keel_rd_u16(&list, &type) || !keel_rd_prefixed16(&list, &data))
            return 0;
        if (!fn(arg, type, &data))
            break;
    }
    return 1;
}

struct present { int *types; size_t n, cap; };

static int add_present(void *arg, uint32_t type, keel_rd *data)
{
    struct present *p = arg;
    if (p->types != NULL && p->n < p->cap)
        p->types[p->n] = (int)type;
    p->n++;
    return 1;
}

int SSL_client_hello_get1_extensions_present(SSL *s, int **out, size_t *outlen)
{
    struct present p = { NULL, 0, 0 };

    /* Count, then fill: the list is small and the message does not change between passes. */
    if (!each_ext(s, add_present, &p))
        return 0;
    if (p.n == 0) {
        *out = NULL;
        *outlen = 0;
        return 1;
    }
    if ((p.types = OPENSSL_malloc(p.n * sizeof(*p.types))) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return 0;
    }
    p.cap = p.n;
    p.n = 0;
    each_ext(s, add_present, &p);
    *out = p.types;
    *outlen = p.n;
    return 1;
}

struct find { uint32_t type; const unsigned char *data; size_t len; int found; };

static int find_ext(void *arg, uint32_t type, keel_rd *data)
{
    struct find *f = arg;
    if (type != f->type)
        return 1;
    f->data = data->p;
    f->len = data->len;
    f->found = 1;
    return 0;
}

int SSL_client_hello_get0_ext(SSL *s, unsigned int type, const unsigned char **out, size_t *outlen)
{
    struct find f = { type, NULL, 0, 0 };

    if (!each_ext(s, find_ext, &f) || !f.found)
        return 0;
    if (out != NULL)
        *out = f.data;
    if (outlen != NULL)
        *outlen = f.len;
    return 1;
}
