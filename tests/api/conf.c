/* SSL_CONF: each command reaches the setter it names (checked by its getter or by a handshake),
 * recognition follows the flags (file/command line, client/server, certificates) and the prefix,
 * the return values are the documented 2/1/0/-2/-3, and SSL_CTX_config reads the ssl_conf
 * module of a loaded configuration file. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/conf.h>
#include <openssl/pem.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain ec;
static char cert_pem[256], key_pem[256], both_pem[256], ca_pem[256], cnf[256];

static int write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    int ok = f != NULL && (x == NULL || PEM_write_X509(f, x))
             && (k == NULL || PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
    if (f != NULL)
        fclose(f);
    return ok;
}

static SSL_CONF_CTX *conf_for(SSL_CTX *ctx, unsigned int flags)
{
    SSL_CONF_CTX *cc = SSL_CONF_CTX_new();
    CHECK(cc != NULL);
    CHECK_EQ(SSL_CONF_CTX_set_flags(cc, flags), flags);
    SSL_CONF_CTX_set_ssl_ctx(cc, ctx);
    return cc;
}

static int tls13_suites(STACK_OF(SSL_CIPHER) *sk)
{
    int n = 0;
    for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++)
        n += strncmp(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i)), "TLS_", 4) == 0;
    return n;
}

static void test_return_values_and_recognition(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL_CONF_CTX *cc = conf_for(ctx, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER);

    CHECK_EQ(SSL_CONF_cmd(cc, "Ciphersuites", "TLS_AES_128_GCM_SHA256"), 2);
    CHECK_EQ(tls13_suites(SSL_CTX_get_ciphers(ctx)), 1);
    CHECK_EQ(SSL_CONF_cmd(cc, "ciphersuites", "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"), 2);
    CHECK_EQ(tls13_suites(SSL_CTX_get_ciphers(ctx)), 2);       /* file names: any case */
    CHECK_EQ(SSL_CONF_cmd(cc, "Ciphersuites", "TLS_NOT_A_SUITE"), 0);
    ERR_clear_error();
    CHECK_EQ(SSL_CONF_cmd(cc, "NoSuchCommand", "x"), -2);
    CHECK_EQ(ERR_peek_error(), 0);                               /* no SHOW_ERRORS: silent */
    SSL_CONF_CTX_set_flags(cc, SSL_CONF_FLAG_SHOW_ERRORS);
    CHECK_EQ(SSL_CONF_cmd(cc, "NoSuchCommand", "x"), -2);
    CHECK_EQ(ERR_GET_REASON(ERR_get_error()), SSL_R_UNKNOWN_CMD_NAME);
    CHECK_EQ(SSL_CONF_cmd(cc, "CipherString", NULL), -3);
    ERR_clear_error();
    CHECK_EQ(SSL_CONF_cmd(cc, NULL, "x"), 0);
    ERR_clear_error();
    CHECK_EQ(SSL_CONF_cmd(cc, "-no_tls1_3", NULL), -2);          /* a command-line form */
    CHECK_EQ(SSL_CONF_cmd(cc, "Certificate", "x.pem"), -2);      /* needs CERTIFICATE */
    ERR_clear_error();
    CHECK_EQ(SSL_CONF_CTX_clear_flags(cc, SSL_CONF_FLAG_SHOW_ERRORS), SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER);

    /* Value types. */
    CHECK_EQ(SSL_CONF_cmd_value_type(cc, "CipherString"), SSL_CONF_TYPE_STRING);
    CHECK_EQ(SSL_CONF_cmd_value_type(cc, "Bogus"), SSL_CONF_TYPE_UNKNOWN);
    SSL_CONF_CTX_set_flags(cc, SSL_CONF_FLAG_CERTIFICATE);
    CHECK_EQ(SSL_CONF_cmd_value_type(cc, "Certificate"), SSL_CONF_TYPE_FILE);
    CHECK_EQ(SSL_CONF_cmd_value_type(cc, "VerifyCAPath"), SSL_CONF_TYPE_DIR);

    /* Protocol bounds and the Protocol list. */
    CHECK_EQ(SSL_CONF_cmd(cc, "MinProtocol", "TLSv1.3"), 2);
    CHECK_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION);
    CHECK_EQ(SSL_CONF_cmd(cc, "MinProtocol", "None"), 2);
    CHECK_EQ(SSL_CTX_get_min_proto_version(ctx), 0);
    CHECK_EQ(SSL_CONF_cmd(cc, "MaxProtocol", "tlsv1.2"), 2);
    CHECK_EQ(SSL_CTX_get_max_proto_version(ctx), TLS1_2_VERSION);
    CHECK_EQ(SSL_CONF_cmd(cc, "MaxProtocol", "DTLSv1.2"), 2);   /* not for a TLS context */
    CHECK_EQ(SSL_CTX_get_max_proto_version(ctx), TLS1_2_VERSION);
    CHECK_EQ(SSL_CONF_cmd(cc, "MaxProtocol", "TLSv9"), 0);
    CHECK_EQ(SSL_CONF_cmd(cc, "Protocol", "-ALL,TLSv1.3"), 2);
    uint64_t o = SSL_CTX_get_options(ctx);
    CHECK((o & SSL_OP_NO_TLSv1_2) && !(o & SSL_OP_NO_TLSv1_3));
    CHECK_EQ(SSL_CONF_cmd(cc, "Protocol", "ALL"), 2);
    CHECK_EQ(SSL_CTX_get_options(ctx) & SSL_OP_NO_SSL_MASK, 0);

    /* Options: names, "-" to turn off, inverse flags, roles. */
    CHECK_EQ(SSL_CONF_cmd(cc, "Options", "-SessionTicket, ServerPreference"), 2);
    o = SSL_CTX_get_options(ctx);
    CHECK((o & SSL_OP_NO_TICKET) && (o & SSL_OP_CIPHER_SERVER_PREFERENCE));
    CHECK_EQ(SSL_CONF_cmd(cc, "Options", "SessionTicket,-ServerPreference,-MiddleboxCompat"), 2);
    o = SSL_CTX_get_options(ctx);
    CHECK(!(o & SSL_OP_NO_TICKET) && !(o & SSL_OP_CIPHER_SERVER_PREFERENCE)
          && !(o & SSL_OP_ENABLE_MIDDLEBOX_COMPAT));
    CHECK_EQ(SSL_CONF_cmd(cc, "Options", "Nonsense"), 0);
    CHECK_EQ(SSL_CONF_cmd(cc, "Options", "UnsafeLegacyServerConnect"), 0); /* client only */

    CHECK_EQ(SSL_CONF_cmd(cc, "VerifyMode", "Require"), 2);
    CHECK_EQ(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    CHECK_EQ(SSL_CONF_cmd(cc, "VerifyMode", "Peer"), 0);         /* client only */
    CHECK_EQ(SSL_CONF_cmd(cc, "NumTickets", "3"), 2);
    CHECK_EQ(SSL_CTX_get_num_tickets(ctx), 3);
    CHECK_EQ(SSL_CONF_cmd(cc, "NumTickets", "-1"), 0);
    /* OpenSSL 3.0 reads the number as atoi(3) does (tests/diff/errcodes.c). */
    CHECK_EQ(SSL_CONF_cmd(cc, "NumTickets", "5x"), 2);
    CHECK_EQ(SSL_CTX_get_num_tickets(ctx), 5);
    CHECK_EQ(SSL_CONF_cmd(cc, "RecordPadding", "1"), 2);         /* 0/1: no padding */
    CHECK_EQ(SSL_CONF_cmd(cc, "RecordPadding", "512"), 2);
    CHECK_EQ(SSL_CONF_cmd(cc, "RecordPadding", "16385"), 0);     /* more than a record */
    ERR_clear_error();
    CHECK_EQ(SSL_CONF_cmd(cc, "ChainCAFile", ca_pem), 0);
    ERR_clear_error();

    /* A prefix: case-insensitive for files. */
    CHECK_EQ(SSL_CONF_CTX_set1_prefix(cc, "SSL"), 1);
    CHECK_EQ(SSL_CONF_cmd(cc, "sslNumTickets", "4"), 2);
    CHECK_EQ(SSL_CTX_get_num_tickets(ctx), 4);
    CHECK_EQ(SSL_CONF_cmd(cc, "NumTickets", "5"), -2);
    CHECK_EQ(SSL_CONF_CTX_set1_prefix(cc, NULL), 1);
    CHECK_EQ(SSL_CONF_cmd(cc, "NumTickets", "5"), 2);
    CHECK_EQ(SSL_CONF_CTX_finish(cc), 1);
    SSL_CONF_CTX_free(cc);

    /* Without an object only the syntax is checked. */
    cc = SSL_CONF_CTX_new();
    SSL_CONF_CTX_set_flags(cc, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_CLIENT);
    CHECK_EQ(SSL_CONF_cmd(cc, "CipherString", "whatever"), 2);
    CHECK_EQ(SSL_CONF_cmd(cc, "NumTickets", "1"), -2);          /* server only */
    CHECK_EQ(SSL_CONF_cmd(cc, "Options", "UnsafeLegacyServerConnect"), 2);
    CHECK_EQ(SSL_CONF_CTX_finish(cc), 1);
    SSL_CONF_CTX_free(cc);
    SSL_CONF_CTX_free(NULL);
    SSL_CTX_free(ctx);
}

static void test_cmdline(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CONF_CTX *cc = conf_for(ctx, SSL_CONF_FLAG_CMDLINE | SSL_CONF_FLAG_CLIENT);
    char *args[] = { "-no_ticket", "-ciphersuites", "TLS_AES_256_GCM_SHA384", "-frobnicate",
                     "x", NULL };
    char **argv = args;
    int argc = 5;

    CHECK_EQ(SSL_CONF_cmd(cc, "ciphersuites", "TLS_AES_128_GCM_SHA256"), -2); /* needs "-" */
    CHECK_EQ(SSL_CONF_cmd(cc, "-Ciphersuites", "TLS_AES_128_GCM_SHA256"), -2); /* case matters */
    CHECK_EQ(SSL_CONF_cmd(cc, "-serverpref", NULL), -2);         /* server only */
    CHECK_EQ(SSL_CONF_cmd_value_type(cc, "-no_tls1_3"), SSL_CONF_TYPE_NONE);
    CHECK_EQ(SSL_CONF_cmd(cc, "-no_tls1_3", NULL), 1);
    CHECK(SSL_CTX_get_options(ctx) & SSL_OP_NO_TLSv1_3);

    CHECK_EQ(SSL_CONF_cmd_argv(cc, &argc, &argv), 1);
    CHECK(argc == 4 && argv == args + 1);
    CHECK(SSL_CTX_get_options(ctx) & SSL_OP_NO_TICKET);
    CHECK_EQ(SSL_CONF_cmd_argv(cc, &argc, &argv), 2);
    CHECK(argc == 2 && argv == args + 3);
    CHECK_EQ(tls13_suites(SSL_CTX_get_ciphers(ctx)), 1);
    CHECK_EQ(SSL_CONF_cmd_argv(cc, &argc, &argv), 0);            /* not ours: left alone */
    CHECK(argc == 2 && argv == args + 3);

    char *missing[] = { "-groups", NULL };
    argv = missing;
    argc = 1;
    CHECK_EQ(SSL_CONF_cmd_argv(cc, &argc, &argv), -2);
    char *bad[] = { "-min_protocol", "TLSv7", NULL };
    argv = bad;
    CHECK_EQ(SSL_CONF_cmd_argv(cc, NULL, &argv), -1);
    ERR_clear_error();

    CHECK_EQ(SSL_CONF_CTX_set1_prefix(cc, "--tls-"), 1);
    CHECK_EQ(SSL_CONF_cmd(cc, "--tls-max_protocol", "TLSv1.2"), 2);
    CHECK_EQ(SSL_CTX_get_max_proto_version(ctx), TLS1_2_VERSION);
    SSL_CONF_CTX_free(cc);
    SSL_CTX_free(ctx);
}

/* Certificates, keys and trust through commands, proved by handshakes. */
static void test_certificates(void)
{
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method()), *cctx = SSL_CTX_new(TLS_client_method());
    SSL *c, *s;

    SSL_CONF_CTX *sc = conf_for(sctx, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER | SSL_CONF_FLAG_CERTIFICATE);
    CHECK_EQ(SSL_CONF_cmd(sc, "Certificate", cert_pem), 2);
    CHECK_EQ(SSL_CONF_cmd(sc, "PrivateKey", key_pem), 2);
    CHECK_EQ(SSL_CONF_cmd(sc, "ClientCAFile", ca_pem), 2);
    CHECK_EQ(SSL_CONF_cmd(sc, "Groups", "P-384"), 2);
    CHECK(SSL_CTX_get_client_CA_list(sctx) == NULL || sk_X509_NAME_num(SSL_CTX_get_client_CA_list(sctx)) == 0);
    CHECK_EQ(SSL_CONF_CTX_finish(sc), 1);
    CHECK_EQ(SSL_CTX_check_private_key(sctx), 1);
    STACK_OF(X509_NAME) *names = SSL_CTX_get_client_CA_list(sctx);
    CHECK_EQ(sk_X509_NAME_num(names), 1);
    if (sk_X509_NAME_num(names) == 1)
        CHECK_EQ(X509_NAME_cmp(sk_X509_NAME_value(names, 0), X509_get_subject_name(ec.ca)), 0);
    SSL_CONF_CTX_free(sc);

    /* The client trusts the CA only through VerifyCAFile. */
    SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(!keel_test_handshake(c, s));
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    SSL_CONF_CTX *ccf = conf_for(cctx, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_CLIENT | SSL_CONF_FLAG_CERTIFICATE);
    CHECK_EQ(SSL_CONF_cmd(ccf, "VerifyCAFile", ca_pem), 2);
    CHECK_EQ(SSL_CONF_cmd(ccf, "SignatureAlgorithms", "ECDSA+SHA256"), 2);
    CHECK_EQ(SSL_CONF_CTX_finish(ccf), 1);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_get_negotiated_group(c), NID_secp384r1);       /* the server's Groups */
    SSL_free(c);
    SSL_free(s);
    /* A signature algorithm the server's EC key cannot make: no handshake. */
    CHECK_EQ(SSL_CONF_cmd(ccf, "SignatureAlgorithms", "rsa_pss_rsae_sha256"), 2);
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(!keel_test_handshake(c, s));
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    SSL_CONF_CTX_free(ccf);

    /* REQUIRE_PRIVATE: the key comes from the certificate's file at finish. */
    SSL_CTX *k1 = SSL_CTX_new(TLS_server_method()), *k2 = SSL_CTX_new(TLS_server_method());
    sc = conf_for(k1, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER | SSL_CONF_FLAG_CERTIFICATE
                      | SSL_CONF_FLAG_REQUIRE_PRIVATE);
    CHECK_EQ(SSL_CONF_cmd(sc, "Certificate", both_pem), 2);
    CHECK_EQ(SSL_CONF_CTX_finish(sc), 1);
    CHECK_EQ(SSL_CTX_check_private_key(k1), 1);
    SSL_CONF_CTX_set_ssl_ctx(sc, k2);
    SSL_CONF_CTX_clear_flags(sc, SSL_CONF_FLAG_REQUIRE_PRIVATE);
    CHECK_EQ(SSL_CONF_cmd(sc, "Certificate", both_pem), 2);
    CHECK_EQ(SSL_CONF_CTX_finish(sc), 1);
    CHECK_EQ(SSL_CTX_check_private_key(k2), 0);
    ERR_clear_error();
    /* REQUIRE_PRIVATE with a certificate-only file fails at finish. */
    SSL_CONF_CTX_set_flags(sc, SSL_CONF_FLAG_REQUIRE_PRIVATE);
    CHECK_EQ(SSL_CONF_cmd(sc, "Certificate", cert_pem), 2);
    CHECK_EQ(SSL_CONF_CTX_finish(sc), 0);
    ERR_clear_error();
    SSL_CONF_CTX_free(sc);
    SSL_CTX_free(k1);
    SSL_CTX_free(k2);

    /* An SSL target: the SSL changes, its context does not. */
    SSL *one = SSL_new(sctx);
    sc = SSL_CONF_CTX_new();
    SSL_CONF_CTX_set_flags(sc, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER);
    SSL_CONF_CTX_set_ssl(sc, one);
    CHECK_EQ(SSL_CONF_cmd(sc, "Ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"), 2);
    CHECK_EQ(SSL_CONF_cmd(sc, "MinProtocol", "TLSv1.3"), 2);
    CHECK_EQ(tls13_suites(SSL_get_ciphers(one)), 1);
    CHECK(tls13_suites(SSL_CTX_get_ciphers(sctx)) > 1);
    CHECK_EQ(SSL_get_min_proto_version(one), TLS1_3_VERSION);
    CHECK_EQ(SSL_CTX_get_min_proto_version(sctx), 0);
    SSL_CONF_CTX_free(sc);
    SSL_free(one);

    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* SSL_CTX_config(3) with the man page's example shape. */
static void test_ctx_config(void)
{
    FILE *f = fopen(cnf, "w");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    fprintf(f, "testapp = test_sect\n[test_sect]\nssl_conf = ssl_sect\n[ssl_sect]\n"
               "server = server_section\n[server_section]\nCertificate = %s\nMinProtocol = TLSv1.3\n"
               "Ciphersuites = TLS_AES_256_GCM_SHA384\n", both_pem);
    fclose(f);
    CHECK(CONF_modules_load_file(cnf, "testapp", 0) > 0);
    ERR_clear_error();

    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    CHECK_EQ(SSL_CTX_config(ctx, "server"), 1);
    CHECK_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION);
    CHECK_EQ(tls13_suites(SSL_CTX_get_ciphers(ctx)), 1);
    CHECK_EQ(SSL_CTX_check_private_key(ctx), 1);   /* REQUIRE_PRIVATE, as for config files */
    CHECK_EQ(SSL_CTX_config(ctx, "nosuch"), 0);
    CHECK_EQ(ERR_GET_REASON(ERR_peek_last_error()), SSL_R_INVALID_CONFIGURATION_NAME);
    ERR_clear_error();
    SSL *s = SSL_new(ctx);
    CHECK_EQ(SSL_config(s, "server"), 1);
    SSL_free(s);
    SSL_CTX_free(ctx);
    SSL_add_ssl_module();
    CONF_modules_unload(1);
}

int main(void)
{
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    long pid = (long)getpid();
    snprintf(cert_pem, sizeof(cert_pem), "/tmp/keel-conf-%ld-cert.pem", pid);
    snprintf(key_pem, sizeof(key_pem), "/tmp/keel-conf-%ld-key.pem", pid);
    snprintf(both_pem, sizeof(both_pem), "/tmp/keel-conf-%ld-both.pem", pid);
    snprintf(ca_pem, sizeof(ca_pem), "/tmp/keel-conf-%ld-ca.pem", pid);
    snprintf(cnf, sizeof(cnf), "/tmp/keel-conf-%ld.cnf", pid);
    CHECK(write_pem(cert_pem, ec.leaf, NULL) && write_pem(key_pem, NULL, ec.leaf_key)
          && write_pem(both_pem, ec.leaf, ec.leaf_key) && write_pem(ca_pem, ec.ca, NULL));

    test_return_values_and_recognition();
    test_cmdline();
    test_certificates();
    test_ctx_config();

    unlink(cert_pem);
    unlink(key_pem);
    unlink(both_pem);
    unlink(ca_pem);
    unlink(cnf);
    keel_test_chain_free(&ec);
    return keel_test_finish("conf");
}
