/* The SSL BIO (BIO_f_ssl(3)): a filter BIO whose reads and writes are SSL_read / SSL_write on
 * the SSL it holds, so that TLS can sit in a BIO chain. The BIO after it in the chain is the
 * SSL's transport (its rbio and wbio). Built with libcrypto's BIO_meth_* API on the public SSL
 * functions only. */
#include "internal.h"

#include <openssl/bio.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

static BIO_METHOD *ssl_method;
static pthread_once_t ssl_method_once = PTHREAD_ONCE_INIT;

/* A failed SSL call leaves its reason in SSL_get_error; the BIO's retry flags say the same to a
 * BIO user (BIO_should_retry(3)). */
static void set_retry(BIO *b, SSL *ssl, int ret)
{
    switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
        BIO_set_retry_read(b);
        break;
    case SSL_ERROR_WANT_WRITE:
        BIO_set_retry_write(b);
        break;
    case SSL_ERROR_WANT_X509_LOOKUP:
        BIO_set_retry_special(b);
        BIO_set_retry_reason(b, BIO_RR_SSL_X509_LOOKUP);
        break;
    case SSL_ERROR_WANT_CONNECT:
        BIO_set_retry_special(b);
        BIO_set_retry_reason(b, BIO_RR_CONNECT);
        break;
    case SSL_ERROR_WANT_ACCEPT:
        BIO_set_retry_special(b);
        BIO_set_retry_reason(b, BIO_RR_ACCEPT);
        break;
    default:
        break;
    }
}

static int ssl_bio_read(BIO *b, char *buf, int len)
{
    SSL *ssl = BIO_get_data(b);
    if (ssl == NULL || buf == NULL)
        return 0;
    BIO_clear_retry_flags(b);
    int ret = SSL_read(ssl, buf, len);
    if (ret <= 0)
        set_retry(b, ssl, ret);
    return ret;
}

static int ssl_bio_write(BIO *b, const char *buf, int len)
{
    SSL *ssl = BIO_get_data(b);
    if (ssl == NULL || buf == NULL)
        return 0;
    BIO_clear_retry_flags(b);
    int ret = SSL_write(ssl, buf, len);
    if (ret <= 0)
        set_retry(b, ssl, ret);
    return ret;
}

static int ssl_bio_puts(BIO *b, const char *str)
{
    size_t n = strlen(str);
    return ssl_bio_write(b, str, n > INT_MAX ? INT_MAX : (int)n);
}

static int ssl_bio_create(BIO *b)
{
    BIO_set_data(b, NULL);
    BIO_set_init(b, 0);
    return 1;
}

/* With the close flag the SSL goes with the BIO (BIO_f_ssl(3)). */
static int ssl_bio_destroy(BIO *b)
{
    SSL *ssl = BIO_get_data(b);
    if (ssl != NULL && BIO_get_shutdown(b))
        SSL_free(ssl);
    BIO_set_data(b, NULL);
    BIO_set_init(b, 0);
    return 1;
}

/* BIO_set_ssl: the SSL's existing transport becomes the next BIO in the chain, so that chain
 * walks and pass-through ctrls (BIO_set_conn_hostname on BIO_new_ssl_connect's chain) reach it. */
static long set_ssl(BIO *b, SSL *ssl, long close_flag, int push_transport)
{
    SSL *old = BIO_get_data(b);
    if (old != NULL && BIO_get_shutdown(b))
        SSL_free(old);
    BIO_set_data(b, ssl);
    BIO_set_shutdown(b, (int)close_flag);
    BIO_set_init(b, ssl != NULL);
    BIO *rbio = ssl != NULL ? SSL_get_rbio(ssl) : NULL;
    if (push_transport && rbio != NULL && BIO_next(b) == NULL) {
        if (!BIO_up_ref(rbio))
            return 0;
        BIO_push(b, rbio);
    }
    return 1;
}

static long ssl_bio_ctrl(BIO *b, int cmd, long larg, void *parg)
{
    SSL *ssl = BIO_get_data(b);
    BIO *next = BIO_next(b);
    long ret;

    if (ssl == NULL && cmd != BIO_C_SET_SSL)
        return 0;
    switch (cmd) {
    case BIO_C_SET_SSL:
        return set_ssl(b, parg, larg, 1);
    case BIO_C_GET_SSL:
        if (parg != NULL)
            *(SSL **)parg = ssl;
        return 1;
    case BIO_C_SSL_MODE:
        if (larg)
            SSL_set_connect_state(ssl);
        else
            SSL_set_accept_state(ssl);
        return 1;
    case BIO_C_DO_STATE_MACHINE:
        BIO_clear_retry_flags(b);
        ret = SSL_do_handshake(ssl);
        if (ret <= 0)
            set_retry(b, ssl, (int)ret);
        return ret;
    case BIO_CTRL_RESET:
        /* Close the connection, reset the transport, and start over in the same role. */
        (void)SSL_shutdown(ssl);
        ret = SSL_clear(ssl);
        if (next != NULL)
            ret = BIO_ctrl(next, cmd, larg, parg);
        return ret;
    case BIO_CTRL_PUSH:
        /* The BIO pushed after us is the SSL's transport (one reference per direction). */
        if (next != NULL && (next != SSL_get_rbio(ssl) || next != SSL_get_wbio(ssl))) {
            if (!BIO_up_ref(next))
                return 0;
            SSL_set_bio(ssl, next, next);
        }
        return 1;
    case BIO_CTRL_POP:
        /* Called before the unlinking: the SSL lets go of the transport leaving the chain. */
        if (parg == b && next != NULL && SSL_get_rbio(ssl) == next)
            SSL_set_bio(ssl, NULL, NULL);
        return 1;
    case BIO_CTRL_EOF:
        return (SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN) != 0;
    case BIO_CTRL_PENDING:
        ret = SSL_pending(ssl);
        if (ret == 0 && SSL_get_rbio(ssl) != NULL)
            ret = (long)BIO_pending(SSL_get_rbio(ssl));
        return ret;
    case BIO_CTRL_WPENDING:
        return SSL_get_wbio(ssl) != NULL ? (long)BIO_wpending(SSL_get_wbio(ssl)) : 0;
    case BIO_CTRL_FLUSH:
        BIO_clear_retry_flags(b);
        if (SSL_get_wbio(ssl) == NULL)
            return 0;
        ret = BIO_flush(SSL_get_wbio(ssl));
        BIO_copy_next_retry(b);
        return ret;
    case BIO_CTRL_DUP: {
        /* BIO_dup_chain: the copy gets its own SSL with the same settings (SSL_dup). The chain's
         * copy of our transport is pushed after it next, and becomes that SSL's transport. */
        SSL *d = SSL_dup(ssl);
        if (d == NULL)
            return 0;
        return set_ssl(parg, d, BIO_CLOSE, 0);
    }
    case BIO_CTRL_GET_CLOSE:
        return BIO_get_shutdown(b);
    case BIO_CTRL_SET_CLOSE:
        BIO_set_shutdown(b, (int)larg);
        return 1;
    case BIO_CTRL_GET_CALLBACK:
        if (parg != NULL)
            *(void (**)(const SSL *, int, int))parg = SSL_get_info_callback(ssl);
        return 1;
    case BIO_C_GET_SSL_NUM_RENEGOTIATES:
        return 0; /* keel never renegotiates */
    case BIO_C_SET_SSL_RENEGOTIATE_BYTES:
    case BIO_C_SET_SSL_RENEGOTIATE_TIMEOUT:
        ERR_raise_data(ERR_LIB_SSL, SSL_R_NO_RENEGOTIATION,
                       "keel: renegotiation is not implemented");
        return 0;
    default:
        /* Everything else is for the transport (BIO_f_ssl(3) NOTES). */
        return SSL_get_rbio(ssl) != NULL ? BIO_ctrl(SSL_get_rbio(ssl), cmd, larg, parg) : 0;
    }
}

static long ssl_bio_callback_ctrl(BIO *b, int cmd, BIO_info_cb *fp)
{
    SSL *ssl = BIO_get_data(b);
    if (ssl == NULL)
        return 0;
    if (cmd == BIO_CTRL_SET_CALLBACK) {
        /* The SSL's info callback has the same shape as what OpenSSL passes here. */
        SSL_set_info_callback(ssl, (void (*)(const SSL *, int, int))(void (*)(void))fp);
        return 1;
    }
    return SSL_get_rbio(ssl) != NULL ? BIO_callback_ctrl(SSL_get_rbio(ssl), cmd, fp) : 0;
}

static void make_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SSL, "ssl");
    if (m == NULL)
        return;
    if (!BIO_meth_set_write(m, ssl_bio_write) || !BIO_meth_set_read(m, ssl_bio_read)
            || !BIO_meth_set_puts(m, ssl_bio_puts) || !BIO_meth_set_ctrl(m, ssl_bio_ctrl)
            || !BIO_meth_set_create(m, ssl_bio_create) || !BIO_meth_set_destroy(m, ssl_bio_destroy)
            || !BIO_meth_set_callback_ctrl(m, ssl_bio_callback_ctrl)) {
        BIO_meth_free(m);
        return;
    }
    ssl_method = m;
}

/* One method object for the process, like OpenSSL's static one. */
const BIO_METHOD *BIO_f_ssl(void)
{
    pthread_once(&ssl_method_once, make_method);
    if (ssl_method == NULL)
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
    return ssl_method;
}

static BIO *new_bio(const BIO_METHOD *m)
{
    if (m == NULL)
        return NULL;
    return BIO_new(m);
}

BIO *BIO_new_ssl(SSL_CTX *ctx, int client)
{
    BIO *b = new_bio(BIO_f_ssl());
    SSL *ssl;

    if (b == NULL)
        return NULL;
    if ((ssl = SSL_new(ctx)) == NULL) {
        BIO_free(b);
        return NULL;
    }
    if (client)
        SSL_set_connect_state(ssl);
    else
        SSL_set_accept_state(ssl);
    set_ssl(b, ssl, BIO_CLOSE, 0);
    return b;
}

BIO *BIO_new_ssl_connect(SSL_CTX *ctx)
{
    BIO *ssl = BIO_new_ssl(ctx, 1), *con;

    if (ssl == NULL)
        return NULL;
    if ((con = BIO_new(BIO_s_connect())) == NULL) {
        BIO_free(ssl);
        return NULL;
    }
    BIO_push(ssl, con);
    return ssl;
}

BIO *BIO_new_buffer_ssl_connect(SSL_CTX *ctx)
{
    BIO *buf = BIO_new(BIO_f_buffer()), *ssl;

    if (buf == NULL)
        return NULL;
    if ((ssl = BIO_new_ssl_connect(ctx)) == NULL) {
        BIO_free(buf);
        return NULL;
    }
    BIO_push(buf, ssl);
    return buf;
}

static SSL *chain_ssl(BIO *b)
{
    BIO *f = BIO_find_type(b, BIO_TYPE_SSL);
    return f != NULL ? BIO_get_data(f) : NULL;
}

int BIO_ssl_copy_session_id(BIO *to, BIO *from)
{
    SSL *t = chain_ssl(to), *f = chain_ssl(from);
    if (t == NULL || f == NULL)
        return 0;
    return SSL_copy_session_id(t, f);
}

/* SSL_shutdown on every SSL BIO of the chain. */
void BIO_ssl_shutdown(BIO *ssl_bio)
{
    for (BIO *b = ssl_bio; b != NULL; b = BIO_next(b)) {
        if (BIO_method_type(b) == BIO_TYPE_SSL && BIO_get_data(b) != NULL)
            (void)SSL_shutdown(BIO_get_data(b));
    }
}
