/* Reference counts are atomic: threads take and drop references on one SSL and one SSL_CTX
 * concurrently; the objects survive until the last SSL_free and are freed exactly once.
 * Built under TSan by `make test` (label "threads"). */
#include <openssl/ssl.h>
#include <pthread.h>

#include "testutil.h"

#define THREADS 4
#define ROUNDS 20000

static SSL *shared;
static SSL_CTX *shared_ctx;
static int frees;

static void ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    if (parent != NULL)
        frees++;
}

static void *worker(void *arg)
{
    for (int i = 0; i < ROUNDS; i++) {
        if (SSL_up_ref(shared) != 1 || SSL_CTX_up_ref(shared_ctx) != 1)
            return (void *)1;
        SSL_free(shared);
        SSL_CTX_free(shared_ctx);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    int idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, ex_free);

    shared_ctx = SSL_CTX_new(TLS_method());
    shared = SSL_new(shared_ctx);
    CHECK(shared != NULL);
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, worker, NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        CHECK(r == NULL);
    }
    CHECK_EQ(frees, 0);
    SSL_free(shared);
    CHECK_EQ(frees, 1);
    SSL_CTX_free(shared_ctx);
    (void)idx;
    return keel_test_finish("refcount_thread");
}
