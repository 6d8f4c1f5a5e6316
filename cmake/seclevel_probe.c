/* Build-time probe (CMakeLists.txt): the system libssl's compiled-in default security level,
 * with the configuration file not loaded, so that a system-wide "SECLEVEL=" line does not count. */
#include <openssl/ssl.h>
#include <stdio.h>

int main(void)
{
    SSL_CTX *ctx;

    if (!OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL)
            || (ctx = SSL_CTX_new(TLS_method())) == NULL)
        return 1;
    printf("%d", SSL_CTX_get_security_level(ctx));
    SSL_CTX_free(ctx);
    return 0;
}
