/* SSL_SESSION: the reference-counted record of a negotiated session (SSL_SESSION_free(3)).
 * The session-resumption work fills it; this file owns its lifetime. */
#include "internal.h"
#include "api/session.h"

SSL_SESSION *SSL_SESSION_new(void)
{
    SSL_SESSION *ss = OPENSSL_zalloc(sizeof(*ss));
    if (ss == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    atomic_init(&ss->refs, 1);
    ss->time = time(NULL);
    ss->timeout = 7200;
    if (!CRYPTO_new_ex_data(CRYPTO_EX_INDEX_SSL_SESSION, ss, &ss->ex_data)) {
        OPENSSL_free(ss);
        ERR_raise(ERR_LIB_SSL, ERR_R_CRYPTO_LIB);
        return NULL;
    }
    return ss;
}

int SSL_SESSION_up_ref(SSL_SESSION *ss)
{
    atomic_fetch_add_explicit(&ss->refs, 1, memory_order_relaxed);
    return 1;
}

void SSL_SESSION_free(SSL_SESSION *ss)
{
    if (ss == NULL || atomic_fetch_sub_explicit(&ss->refs, 1, memory_order_acq_rel) != 1)
        return;
    CRYPTO_free_ex_data(CRYPTO_EX_INDEX_SSL_SESSION, ss, &ss->ex_data);
    OPENSSL_clear_free(ss, sizeof(*ss));
}

long SSL_SESSION_get_time(const SSL_SESSION *ss) { return ss != NULL ? (long)ss->time : 0; }
long SSL_SESSION_get_timeout(const SSL_SESSION *ss) { return ss != NULL ? ss->timeout : 0; }

long SSL_SESSION_set_time(SSL_SESSION *ss, long t)
{
    if (ss == NULL)
        return 0;
    ss->time = t;
    return t;
}

long SSL_SESSION_set_timeout(SSL_SESSION *ss, long t)
{
    if (ss == NULL || t < 0)
        return 0;
    ss->timeout = t;
    return 1;
}

int SSL_SESSION_set_ex_data(SSL_SESSION *ss, int idx, void *arg) { return CRYPTO_set_ex_data(&ss->ex_data, idx, arg); }
void *SSL_SESSION_get_ex_data(const SSL_SESSION *ss, int idx) { return CRYPTO_get_ex_data(&ss->ex_data, idx); }

SSL_SESSION *SSL_get_session(const SSL *s) { return s->session; }

SSL_SESSION *SSL_get1_session(SSL *s)
{
    if (s->session != NULL)
        SSL_SESSION_up_ref(s->session);
    return s->session;
}
