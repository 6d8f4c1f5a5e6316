/* Library initialisation, the SSL reason strings, and SSL_get_error(3). */
#include "internal.h"

#include <pthread.h>

static ERR_STRING_DATA reason_strings[] = {
#include "err_strings.inc"
    { 0, NULL }
};

static pthread_once_t strings_once = PTHREAD_ONCE_INIT;
static int strings_ok;

static void load_strings(void)
{
    strings_ok = ERR_load_strings_const(reason_strings);
}

static int strings_loaded(void)
{
    return pthread_once(&strings_once, load_strings) == 0 && strings_ok;
}

int ERR_load_SSL_strings(void) { return strings_loaded(); }

int OPENSSL_init_ssl(uint64_t opts, const OPENSSL_INIT_SETTINGS *settings)
{
    if (!OPENSSL_init_crypto(opts | OPENSSL_INIT_LOAD_CONFIG, settings))
        return 0;
    if (!(opts & OPENSSL_INIT_NO_LOAD_SSL_STRINGS))
        return strings_loaded();
    return 1;
}

int SSL_want(const SSL *s) { return s->rwstate; }

static int bio_error(BIO *b, int want_read)
{
    if (b != NULL && BIO_should_read(b))
        return SSL_ERROR_WANT_READ;
    if (b != NULL && BIO_should_write(b))
        return SSL_ERROR_WANT_WRITE;
    if (b != NULL && BIO_should_io_special(b)) {
        switch (BIO_get_retry_reason(b)) {
        case BIO_RR_CONNECT: return SSL_ERROR_WANT_CONNECT;
        case BIO_RR_ACCEPT: return SSL_ERROR_WANT_ACCEPT;
        }
    }
    return want_read ? SSL_ERROR_WANT_READ : SSL_ERROR_WANT_WRITE;
}

int SSL_get_error(const SSL *s, int ret)
{
    unsigned long e;

    if (ret > 0)
        return SSL_ERROR_NONE;
    /* An error on this thread's queue explains the failure (SSL_get_error(3)). */
    if ((e = ERR_peek_error()) != 0)
        return ERR_GET_LIB(e) == ERR_LIB_SYS ? SSL_ERROR_SYSCALL : SSL_ERROR_SSL;
    switch (s->rwstate) {
    case SSL_READING:
        return bio_error(s->rbio, 1);
    case SSL_WRITING:
        return bio_error(s->wbio, 0);
    case SSL_X509_LOOKUP:
        return SSL_ERROR_WANT_X509_LOOKUP;
    case SSL_RETRY_VERIFY:
        return SSL_ERROR_WANT_RETRY_VERIFY;
    case SSL_CLIENT_HELLO_CB:
        return SSL_ERROR_WANT_CLIENT_HELLO_CB;
    }
    if ((s->shutdown & SSL_RECEIVED_SHUTDOWN) != 0)
        return SSL_ERROR_ZERO_RETURN;
    return SSL_ERROR_SYSCALL;
}
