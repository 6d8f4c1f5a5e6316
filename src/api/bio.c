/* Attaching BIOs and file descriptors (SSL_set_bio(3), SSL_set_fd(3)). The SSL owns one reference
 * per direction: rbio and wbio may be the same BIO holding two references. */
#include "internal.h"

void SSL_set0_rbio(SSL *s, BIO *rbio)
{
    BIO_free_all(s->rbio);
    s->rbio = rbio;
}

void SSL_set0_wbio(SSL *s, BIO *wbio)
{
    BIO_free_all(s->wbio);
    s->wbio = wbio;
}

/* The ownership rules of SSL_set_bio(3) as OpenSSL 3.0 applies them, which is not quite its man
 * page's list (tests/diff/lifecycle.c counts the references): with the same BIO for both
 * arguments one more reference is taken; when only rbio changes, one reference is consumed only if
 * rbio and wbio were different BIOs before, else both are (so (A,A) then (B,A) consumes a second
 * reference of A, and (A,B) then (C,B) or (B,B) consumes none of B). */
void SSL_set_bio(SSL *s, BIO *rbio, BIO *wbio)
{
    if (rbio == s->rbio && wbio == s->wbio)
        return;
    if (rbio != NULL && rbio == wbio)
        BIO_up_ref(rbio);
    if (rbio == s->rbio) {
        SSL_set0_wbio(s, wbio);
        return;
    }
    if (wbio == s->wbio && s->rbio != s->wbio) {
        SSL_set0_rbio(s, rbio);
        return;
    }
    SSL_set0_wbio(s, wbio);
    SSL_set0_rbio(s, rbio);
}

BIO *SSL_get_rbio(const SSL *s) { return s->rbio; }
BIO *SSL_get_wbio(const SSL *s) { return s->wbio; }

static int bio_fd(BIO *b)
{
    int fd = -1;
    if (b != NULL && (b = BIO_find_type(b, BIO_TYPE_DESCRIPTOR)) != NULL)
        BIO_get_fd(b, &fd);
    return fd;
}

int SSL_get_rfd(const SSL *s) { return bio_fd(s->rbio); }
int SSL_get_wfd(const SSL *s) { return bio_fd(s->wbio); }
int SSL_get_fd(const SSL *s) { return SSL_get_rfd(s); }

static BIO *socket_bio(int fd)
{
    BIO *b = BIO_new(BIO_s_socket());
    if (b == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_BUF_LIB);
        return NULL;
    }
    BIO_set_fd(b, fd, BIO_NOCLOSE);
    return b;
}

int SSL_set_fd(SSL *s, int fd)
{
    BIO *b = socket_bio(fd);
    if (b == NULL)
        return 0;
    SSL_set_bio(s, b, b);
    return 1;
}

/* SSL_set_rfd / SSL_set_wfd reuse the other direction's socket BIO when it already has this fd. */
int SSL_set_rfd(SSL *s, int fd)
{
    BIO *w = s->wbio;
    if (w != NULL && BIO_method_type(w) == BIO_TYPE_SOCKET && bio_fd(w) == fd) {
        BIO_up_ref(w);
        SSL_set0_rbio(s, w);
        return 1;
    }
    BIO *b = socket_bio(fd);
    if (b == NULL)
        return 0;
    SSL_set0_rbio(s, b);
    return 1;
}

int SSL_set_wfd(SSL *s, int fd)
{
    BIO *r = s->rbio;
    if (r != NULL && BIO_method_type(r) == BIO_TYPE_SOCKET && bio_fd(r) == fd) {
        BIO_up_ref(r);
        SSL_set0_wbio(s, r);
        return 1;
    }
    BIO *b = socket_bio(fd);
    if (b == NULL)
        return 0;
    SSL_set0_wbio(s, b);
    return 1;
}
