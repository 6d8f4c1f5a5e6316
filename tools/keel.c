/* The `keel` command: `keel version`, and (with the TLS work) s_client / s_server with OpenSSL's
 * flag names. Uses only the public API. */
#include <openssl/ssl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: keel version\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "version") == 0) {
        printf("keel 0.1.0 (libssl.so.3 ABI, OpenSSL 3.0 API) on %s\n", OpenSSL_version(OPENSSL_VERSION));
        return 0;
    }
    return usage();
}
