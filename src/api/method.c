/* SSL_METHOD objects. TLS_*method negotiate; the version-pinned methods OpenSSL 3.0 still exports
 * pin min and max to one version (keel speaks TLS 1.2 and 1.3 only, so the 1.0/1.1 ones are accepted
 * as objects but their handshakes find no protocol). DTLS methods exist for the ABI; SSL_CTX_new
 * refuses them because keel does not implement DTLS. */
#include "internal.h"

#define METHOD(fn, ver, cli, srv, dt)                              \
    const SSL_METHOD *fn(void)                                     \
    {                                                              \
        static const SSL_METHOD m = { (ver), (cli), (srv), (dt) }; \
        return &m;                                                 \
    }

METHOD(TLS_method, TLS_ANY_VERSION, 1, 1, 0)
METHOD(TLS_client_method, TLS_ANY_VERSION, 1, 0, 0)
METHOD(TLS_server_method, TLS_ANY_VERSION, 0, 1, 0)
METHOD(TLSv1_2_method, TLS1_2_VERSION, 1, 1, 0)
METHOD(TLSv1_2_client_method, TLS1_2_VERSION, 1, 0, 0)
METHOD(TLSv1_2_server_method, TLS1_2_VERSION, 0, 1, 0)
METHOD(TLSv1_1_method, TLS1_1_VERSION, 1, 1, 0)
METHOD(TLSv1_1_client_method, TLS1_1_VERSION, 1, 0, 0)
METHOD(TLSv1_1_server_method, TLS1_1_VERSION, 0, 1, 0)
METHOD(TLSv1_method, TLS1_VERSION, 1, 1, 0)
METHOD(TLSv1_client_method, TLS1_VERSION, 1, 0, 0)
METHOD(TLSv1_server_method, TLS1_VERSION, 0, 1, 0)
METHOD(DTLS_method, DTLS_ANY_VERSION, 1, 1, 1)
METHOD(DTLS_client_method, DTLS_ANY_VERSION, 1, 0, 1)
METHOD(DTLS_server_method, DTLS_ANY_VERSION, 0, 1, 1)
METHOD(DTLSv1_2_method, DTLS1_2_VERSION, 1, 1, 1)
METHOD(DTLSv1_2_client_method, DTLS1_2_VERSION, 1, 0, 1)
METHOD(DTLSv1_2_server_method, DTLS1_2_VERSION, 0, 1, 1)
METHOD(DTLSv1_method, DTLS1_VERSION, 1, 1, 1)
METHOD(DTLSv1_client_method, DTLS1_VERSION, 1, 0, 1)
METHOD(DTLSv1_server_method, DTLS1_VERSION, 0, 1, 1)
