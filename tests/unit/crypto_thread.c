/* The shared algorithm table under concurrency: threads race to build the process-wide table and
 * then share its pre-configured HMAC templates and cipher objects. Every thread must get the same
 * table and the same answers as a single thread. (Labelled "threads": also run under TSan.) */
#include "crypto/crypto.h"
#include "handshake/tls13/keysched.h"
#include "testutil.h"

#include <openssl/err.h>
#include <pthread.h>
#include <string.h>

#define THREADS 8
#define ROUNDS 200

static pthread_barrier_t start;

typedef struct {
    const keel_algs *algs;
    uint8_t secret[32];
    uint8_t sealed[64];
    int ok;
} result;

static int work(const keel_algs *a, uint8_t secret[32], uint8_t sealed[64])
{
    static const uint8_t th[32] = { 7 }, dhe[32] = { 9 }, msg[32] = "thirty-two bytes of plaintext..";
    uint8_t key[16], iv[12];
    keel_ks ks;
    keel_aead_ctx *c = keel_aead_new(a, KEEL_AEAD_AES_128_GCM, 1);
    int ok = c != NULL
        && keel_ks_init(&ks, a, KEEL_HASH_SHA256) && keel_ks_handshake(&ks, dhe, 32)
        && keel_ks_client_hs_traffic(&ks, th, secret)
        && keel_ks_traffic_keys(a, KEEL_HASH_SHA256, secret, key, 16, iv)
        && keel_aead_set_key(c, key)
        && keel_aead_seal(c, iv, th, 5, msg, 32, sealed);

    keel_aead_free(c);
    keel_ks_cleanup(&ks);
    return ok;
}

static void *thread_main(void *arg)
{
    result *r = arg;
    uint8_t s[32], x[64];

    pthread_barrier_wait(&start);
    r->algs = keel_algs_default();      /* all threads arrive here together */
    r->ok = r->algs != NULL && work(r->algs, r->secret, r->sealed);
    for (int i = 0; r->ok && i < ROUNDS; i++)
        r->ok = work(r->algs, s, x) && memcmp(s, r->secret, 32) == 0 && memcmp(x, r->sealed, 48) == 0;
    ERR_clear_error();
    return NULL;
}

int main(void)
{
    pthread_t th[THREADS];
    result res[THREADS];
    uint8_t secret[32], sealed[64];

    memset(res, 0, sizeof(res));
    CHECK(pthread_barrier_init(&start, NULL, THREADS) == 0);
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, thread_main, &res[i]) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);

    CHECK(res[0].algs != NULL);
    CHECK(work(keel_algs_default(), secret, sealed));
    for (int i = 0; i < THREADS; i++) {
        CHECK(res[i].ok);
        CHECK(res[i].algs == res[0].algs);           /* one table for the process */
        CHECK(memcmp(res[i].secret, secret, 32) == 0);
        CHECK(memcmp(res[i].sealed, sealed, 48) == 0);
    }
    return keel_test_finish("crypto_thread");
}
