/* SSL_SESSION's layout: private to keel. */
#ifndef KEEL_API_SESSION_H
#define KEEL_API_SESSION_H
#include "internal.h"
#include <time.h>

struct ssl_session_st {
    atomic_int refs;
    time_t time;        /* creation, seconds since the epoch */
    long timeout;       /* lifetime in seconds, from the creating SSL's settings */
    CRYPTO_EX_DATA ex_data;
};
#endif
