/* Harness: a keel server, fed arbitrary bytes as everything a client sends (in chunks, over memory
 * BIOs), driven through SSL_do_handshake, SSL_write, SSL_read and SSL_shutdown.
 * Seeds (corpus/server/) are what keel clients of several configurations sent to this exact server
 * (fuzz/recorder.c); with the deterministic fixture they replay past Finished into application
 * data, KeyUpdate and close_notify. */
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
    keel_fuzz_rand_reset(KEEL_FUZZ_SERVER);
    SSL *s = keel_fuzz_ssl(keel_fuzz_server_ctx(KEEL_FUZZ_SRV_DEFAULT), 1, &in, &out);
    keel_fuzz_drive(s, in, out, data, len);
    SSL_free(s);
    ERR_clear_error();
    return 0;
}
