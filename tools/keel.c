/* The `keel` command: `keel version`, `keel s_client`, `keel s_server` (OpenSSL's flag names).
 * Uses only the public API. */
#include "apps_common.h"

#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: keel version\n"
                    "       keel s_client -connect host:port [options]   (keel s_client -help)\n"
                    "       keel s_server -accept port -cert file -key file [options]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    /* A peer that resets the connection must not kill the tool mid-write. */
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(argv[1], "version") == 0) {
        printf("keel 0.1.0 (libssl.so.3 ABI, OpenSSL 3.0 API) on %s\n", OpenSSL_version(OPENSSL_VERSION));
        return 0;
    }
    if (strcmp(argv[1], "s_client") == 0)
        return main_s_client(argc - 2, argv + 2);
    if (strcmp(argv[1], "s_server") == 0)
        return main_s_server(argc - 2, argv + 2);
    return usage();
}
