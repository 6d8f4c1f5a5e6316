/* Harness: a keel client that has sent its (deterministic) ClientHello, fed arbitrary bytes as
 * everything a server sends, driven through the handshake, SSL_write, SSL_read and SSL_shutdown.
 * Seeds (corpus/client/) are what keel servers of several configurations (HelloRetryRequest, each
 * suite, with and without CertificateRequest) sent to this exact client (fuzz/recorder.c). */
#include "fixture.h"

#include <openssl/err.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    keel_fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    BIO *in, *out;
    keel_fuzz_rand_reset(KEEL_FUZZ_CLIENT);
    SSL *s = keel_fuzz_ssl(keel_fuzz_client_ctx(KEEL_FUZZ_CLI_DEFAULT), 0, &in, &out);
    keel_fuzz_drive(s, in, out, data, len);
    SSL_free(s);
    ERR_clear_error();
    return 0;
}
