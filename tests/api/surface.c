/* The rest of libssl's surface: the ClientHello callback and its getters, SSL_SESSION_print*,
 * SSL_has_matching_session_id, SSL_new_session_ticket, early data without a session for it, renegotiation, and
 * the honest failures of src/api/unimplemented.c (failure value AND an error naming keel). */
#define OPENSSL_SUPPRESS_DEPRECATED /* the SRP setters are deprecated in 3.0; their failure is tested */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/srtp.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

static keel_test_chain ec;

/* The last error is from libssl, with `reason`, and (when data_prefix) its text says "keel: ". */
static int last_error_is(int reason, int keel_text)
{
    const char *data = NULL;
    int flags = 0;
    unsigned long e = ERR_peek_last_error_data(&data, &flags);
    int ok = e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == reason;
    if (keel_text)
        ok = ok && data != NULL && (flags & ERR_TXT_STRING) && strncmp(data, "keel: ", 6) == 0;
    if (!ok)
        fprintf(stderr, "    last error: lib %d reason %d data %s\n", ERR_GET_LIB(e), ERR_GET_REASON(e),
                data != NULL ? data : "(none)");
    ERR_clear_error();
    return ok;
}

/* ---- SSL_CTX_set_client_hello_cb(3) ---- */

static struct {
    int calls, ret, al;
    unsigned int legacy_version;
    unsigned char random[32];
    size_t random_len, sid_len, ciphers_len, comp_len, nexts;
    unsigned char comp0;
    int has_sni, has_versions, has_key_share, missing_found, isv2;
    char sni[64];
    int switch_verify;
} hello;

static int hello_cb(SSL *s, int *al, void *arg)
{
    const unsigned char *p;
    size_t len;
    int *exts;

    CHECK(arg == &hello);
    hello.calls++;
    hello.isv2 = SSL_client_hello_isv2(s);
    hello.legacy_version = SSL_client_hello_get0_legacy_version(s);
    hello.random_len = SSL_client_hello_get0_random(s, &p);
    if (hello.random_len == 32)
        memcpy(hello.random, p, 32);
    hello.sid_len = SSL_client_hello_get0_session_id(s, &p);
    hello.ciphers_len = SSL_client_hello_get0_ciphers(s, &p);
    hello.comp_len = SSL_client_hello_get0_compression_methods(s, &p);
    hello.comp0 = hello.comp_len > 0 ? p[0] : 0xff;
    if (SSL_client_hello_get1_extensions_present(s, &exts, &hello.nexts)) {
        for (size_t i = 0; i < hello.nexts; i++) {
            hello.has_sni |= exts[i] == TLSEXT_TYPE_server_name;
            hello.has_versions |= exts[i] == TLSEXT_TYPE_supported_versions;
            hello.has_key_share |= exts[i] == TLSEXT_TYPE_key_share;
        }
        OPENSSL_free(exts);
    }
    /* server_name: list length (2), type (1), name length (2), name (RFC 6066 §3). */
    if (SSL_client_hello_get0_ext(s, TLSEXT_TYPE_server_name, &p, &len) && len > 5 && len - 5 < sizeof(hello.sni)) {
        memcpy(hello.sni, p + 5, len - 5);
        hello.sni[len - 5] = '\0';
    }
    hello.missing_found = SSL_client_hello_get0_ext(s, 0xfeed, &p, &len);
    if (hello.switch_verify) /* settings changed here apply to this handshake */
        SSL_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    *al = hello.al;
    return hello.ret;
}

static void test_client_hello_cb(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    SSL *c, *s;
    const unsigned char *p = (const unsigned char *)"x";
    unsigned char crandom[32];

    SSL_CTX_set_client_hello_cb(sctx, hello_cb, &hello);

    /* Success: every getter sees the ClientHello as sent. */
    memset(&hello, 0, sizeof(hello));
    hello.ret = SSL_CLIENT_HELLO_SUCCESS;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(SSL_set_tlsext_host_name(c, "server.test"));
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(hello.calls, 1);
    CHECK_EQ(hello.isv2, 0);
    CHECK_EQ(hello.legacy_version, TLS1_2_VERSION); /* RFC 8446 §4.1.2 */
    CHECK_EQ(hello.random_len, 32);
    CHECK_EQ(SSL_get_client_random(s, crandom, sizeof(crandom)), 32);
    CHECK(memcmp(hello.random, crandom, 32) == 0);
    CHECK(hello.sid_len <= 32);
    CHECK(hello.ciphers_len >= 2 && hello.ciphers_len % 2 == 0);
    CHECK_EQ(hello.comp_len, 1);
    CHECK_EQ(hello.comp0, 0);
    CHECK(hello.nexts >= 3);
    CHECK(hello.has_sni && hello.has_versions && hello.has_key_share);
    CHECK(strcmp(hello.sni, "server.test") == 0);
    CHECK_EQ(hello.missing_found, 0);
    /* Outside the callback the getters report nothing. */
    CHECK_EQ(SSL_client_hello_get0_random(s, &p), 0);
    CHECK_EQ(SSL_client_hello_get0_legacy_version(s), 0);
    CHECK_EQ(SSL_client_hello_get0_ext(s, TLSEXT_TYPE_server_name, &p, NULL), 0);
    SSL_free(c);
    SSL_free(s);

    /* Settings the callback changes govern this handshake: requiring a client certificate the
     * client does not have makes it fail. */
    memset(&hello, 0, sizeof(hello));
    hello.ret = SSL_CLIENT_HELLO_SUCCESS;
    hello.switch_verify = 1;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(!keel_test_handshake(c, s));
    CHECK_EQ(hello.calls, 1);
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);

    /* Failure: the handshake stops with the callback's alert. */
    memset(&hello, 0, sizeof(hello));
    hello.ret = SSL_CLIENT_HELLO_ERROR;
    hello.al = SSL_AD_UNRECOGNIZED_NAME;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(!keel_test_handshake(c, s));
    CHECK_EQ(hello.calls, 1);
    ERR_clear_error();
    CHECK_EQ(SSL_do_handshake(c), -1);  /* the client has the alert by now */
    CHECK(last_error_is(SSL_AD_REASON_OFFSET + SSL_AD_UNRECOGNIZED_NAME, 0));
    SSL_free(c);
    SSL_free(s);

    /* RETRY suspends the handshake (issue #10.16; tests/api/suspend.c has the resumption). */
    memset(&hello, 0, sizeof(hello));
    hello.ret = SSL_CLIENT_HELLO_RETRY;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK_EQ(SSL_do_handshake(c), -1);
    CHECK_EQ(SSL_do_handshake(s), -1);
    CHECK_EQ(SSL_get_error(s, -1), SSL_ERROR_WANT_CLIENT_HELLO_CB);
    CHECK_EQ(ERR_peek_error(), 0);
    SSL_free(c);
    SSL_free(s);

    /* A HelloRetryRequest brings a second ClientHello, and a second call. */
    memset(&hello, 0, sizeof(hello));
    hello.ret = SSL_CLIENT_HELLO_SUCCESS;
    CHECK(SSL_CTX_set1_groups_list(sctx, "P-256"));
    CHECK(SSL_CTX_set1_groups_list(cctx, "X25519:P-256"));
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(hello.calls, 2);
    SSL_free(c);
    SSL_free(s);

    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* ---- SSL_SESSION_print(3) ---- */

static int bio_contains(BIO *b, const char *needle)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *copy = OPENSSL_strndup(data, (size_t)n);
    int found = copy != NULL && strstr(copy, needle) != NULL;
    OPENSSL_free(copy);
    return found;
}

static void test_session_print(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    SSL *c, *s;
    char buf[4];
    static const unsigned char id[] = { 0x01, 0x02, 0xab }, key[] = { 0xaa, 0xbb };

    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_get_error(c, SSL_read(c, buf, sizeof(buf))), SSL_ERROR_WANT_READ); /* tickets */
    SSL_SESSION *ss = SSL_get1_session(c);
    CHECK(ss != NULL);
    BIO *b = BIO_new(BIO_s_mem());
    CHECK_EQ(SSL_SESSION_print(b, ss), 1);
    CHECK(bio_contains(b, "SSL-Session:\n"));
    CHECK(bio_contains(b, "    Protocol  : TLSv1.3\n"));
    char want[128];
    snprintf(want, sizeof(want), "    Cipher    : %s\n", SSL_CIPHER_get_name(SSL_get_current_cipher(c)));
    CHECK(bio_contains(b, want));
    CHECK(bio_contains(b, "    Resumption PSK: "));
    CHECK(bio_contains(b, "    TLS session ticket:\n"));
    snprintf(want, sizeof(want), "    Timeout   : %ld (sec)\n", SSL_SESSION_get_timeout(ss));
    CHECK(bio_contains(b, want));
    CHECK(bio_contains(b, "    Verify return code: 0 (ok)\n"));
    BIO_free(b);

    /* As OpenSSL 3.0's text (differential check in tests/interop/dropin.sh, sess_id on both
     * libraries): an empty line after the ticket dump; a hostname and an ALPN protocol the session
     * holds are not printed. */
    static const unsigned char h2[] = { 'h', '2' };
    CHECK(SSL_SESSION_set1_hostname(ss, "print.example"));
    CHECK(SSL_SESSION_set1_alpn_selected(ss, h2, sizeof(h2)));
    b = BIO_new(BIO_s_mem());
    CHECK_EQ(SSL_SESSION_print(b, ss), 1);
    CHECK(bio_contains(b, "\n\n    Start Time: "));
    CHECK(!bio_contains(b, "print.example"));
    CHECK(!bio_contains(b, "ALPN"));
    BIO_free(b);

    /* print_fp writes the same text to a FILE. */
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f != NULL) {
        char line[64] = "";
        CHECK_EQ(SSL_SESSION_print_fp(f, ss), 1);
        rewind(f);
        CHECK(fgets(line, sizeof(line), f) != NULL && strcmp(line, "SSL-Session:\n") == 0);
        fclose(f);
    }
    SSL_SESSION_free(ss);

    /* NSS key log: exact text; nothing to print without an id or a key. */
    ss = SSL_SESSION_new();
    b = BIO_new(BIO_s_mem());
    CHECK(SSL_SESSION_set1_id(ss, id, sizeof(id)));
    CHECK_EQ(SSL_SESSION_print_keylog(b, ss), 0);
    CHECK(last_error_is(SSL_R_BAD_VALUE, 1));
    CHECK(SSL_SESSION_set1_master_key(ss, key, sizeof(key)));
    CHECK_EQ(SSL_SESSION_print_keylog(b, ss), 1);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    static const char expect[] = "RSA Session-ID:0102AB Master-Key:AABB\n";
    CHECK(n == (long)strlen(expect) && memcmp(data, expect, (size_t)n) == 0);
    BIO_free(b);
    SSL_SESSION_free(ss);

    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* ---- SSL_has_matching_session_id(3) ---- */

static void test_matching_session_id(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec);
    SSL *s = SSL_new(sctx);
    SSL_SESSION *ss = SSL_SESSION_new();
    static const unsigned char id[] = { 9, 8, 7, 6 }, other[] = { 9, 8, 7, 5 };
    unsigned char big[SSL_MAX_SSL_SESSION_ID_LENGTH + 1] = { 9, 8, 7, 6 };

    CHECK_EQ(SSL_has_matching_session_id(s, id, sizeof(id)), 0);
    CHECK(SSL_SESSION_set1_id(ss, id, sizeof(id)));
    CHECK(SSL_CTX_add_session(sctx, ss));
    /* The lookup is by the SSL's version too (TLS 1.3 before a handshake): a session of no
     * version does not match (tests/diff/misc16.c). */
    CHECK_EQ(SSL_has_matching_session_id(s, id, sizeof(id)), 0);
    CHECK(SSL_CTX_remove_session(sctx, ss));
    CHECK(SSL_SESSION_set_protocol_version(ss, TLS1_3_VERSION));
    CHECK(SSL_CTX_add_session(sctx, ss));
    CHECK_EQ(SSL_has_matching_session_id(s, id, sizeof(id)), 1);
    CHECK_EQ(SSL_has_matching_session_id(s, other, sizeof(other)), 0);
    CHECK_EQ(SSL_has_matching_session_id(s, id, 3), 0);      /* a prefix is another id */
    CHECK_EQ(SSL_has_matching_session_id(s, big, sizeof(big)), 0);
    CHECK(SSL_CTX_remove_session(sctx, ss));
    CHECK_EQ(SSL_has_matching_session_id(s, id, sizeof(id)), 0);
    SSL_SESSION_free(ss);
    SSL_free(s);
    SSL_CTX_free(sctx);
}

/* ---- SSL_new_session_ticket(3) ---- */

static int client_new_sessions;
static int count_new_session(SSL *s, SSL_SESSION *ss)
{
    client_new_sessions++;
    return 0;
}

static void test_new_session_ticket(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    SSL *c, *s;
    char buf[8];

    CHECK(SSL_CTX_set_num_tickets(sctx, 0));
    SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT);
    SSL_CTX_sess_set_new_cb(cctx, count_new_session);
    client_new_sessions = 0;
    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK_EQ(SSL_new_session_ticket(s), 0);       /* before the handshake */
    ERR_clear_error();
    CHECK(keel_test_handshake(c, s));
    CHECK_EQ(SSL_get_error(c, SSL_read(c, buf, sizeof(buf))), SSL_ERROR_WANT_READ);
    CHECK_EQ(client_new_sessions, 0);             /* num_tickets 0: none in the handshake */
    CHECK_EQ(SSL_new_session_ticket(c), 0);       /* clients do not issue tickets */
    CHECK_EQ(ERR_peek_error(), 0);                /* and OpenSSL 3.0 says nothing */

    CHECK_EQ(SSL_new_session_ticket(s), 1);
    CHECK_EQ(SSL_new_session_ticket(s), 1);
    CHECK_EQ(SSL_get_num_tickets(s), 0);          /* the setting is untouched */
    CHECK_EQ(SSL_write(s, "ping", 4), 4);         /* the tickets go out with this write */
    CHECK_EQ(SSL_read(c, buf, sizeof(buf)), 4);
    CHECK(memcmp(buf, "ping", 4) == 0);
    CHECK_EQ(client_new_sessions, 2);

    CHECK_EQ(SSL_new_session_ticket(s), 1);
    CHECK_EQ(SSL_do_handshake(s), 1);             /* ...or with SSL_do_handshake */
    CHECK_EQ(SSL_get_error(c, SSL_read(c, buf, sizeof(buf))), SSL_ERROR_WANT_READ);
    CHECK_EQ(client_new_sessions, 3);

    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* ---- early data without a session that allows it (the protocol: tests/api/early_data.c) ---- */

static void test_early_data(void)
{
    SSL_CTX *sctx = keel_test_server_ctx(&ec), *cctx = keel_test_client_ctx(&ec);
    SSL *c, *s;
    size_t n = 99;
    char buf[8];

    /* OpenSSL 3.0's defaults: nothing offered, 16384 bytes received at most. */
    CHECK_EQ(SSL_CTX_get_max_early_data(sctx), 0);
    CHECK_EQ(SSL_CTX_get_recv_max_early_data(sctx), 16384);
    CHECK_EQ(SSL_CTX_set_max_early_data(sctx, 16384), 1);
    CHECK_EQ(SSL_CTX_get_max_early_data(sctx), 16384);
    CHECK_EQ(SSL_CTX_set_max_early_data(sctx, 0), 1);
    CHECK_EQ(SSL_CTX_set_recv_max_early_data(sctx, 100), 1);
    CHECK_EQ(SSL_CTX_get_recv_max_early_data(sctx), 100);

    CHECK(keel_test_pair(cctx, sctx, &c, &s));
    CHECK_EQ(SSL_get_recv_max_early_data(s), 100); /* the context's, copied by SSL_new */
    CHECK_EQ(SSL_set_max_early_data(s, 1), 1);
    CHECK_EQ(SSL_get_max_early_data(s), 1);
    CHECK_EQ(SSL_set_max_early_data(s, 0), 1);
    CHECK_EQ(SSL_write_early_data(c, "x", 1, &n), 0); /* no session allowing it */
    CHECK_EQ(n, 0);
    CHECK(last_error_is(ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED, 0));
    CHECK_EQ(SSL_read_early_data(c, buf, sizeof(buf), &n), SSL_READ_EARLY_DATA_ERROR);
    ERR_clear_error();

    /* The server's documented loop: ERROR + want-read until the handshake is done, then FINISH
     * with nothing read; the connection then works as usual. */
    int r = SSL_READ_EARLY_DATA_ERROR, rounds = 0;
    for (; rounds < 20 && r != SSL_READ_EARLY_DATA_FINISH; rounds++) {
        int cr = SSL_do_handshake(c);
        CHECK(cr == 1 || SSL_get_error(c, cr) == SSL_ERROR_WANT_READ);
        n = 99;
        r = SSL_read_early_data(s, buf, sizeof(buf), &n);
        CHECK_EQ(n, 0);
        if (r == SSL_READ_EARLY_DATA_ERROR)
            CHECK_EQ(SSL_get_error(s, 0), SSL_ERROR_WANT_READ);
    }
    CHECK_EQ(r, SSL_READ_EARLY_DATA_FINISH);
    CHECK_EQ(SSL_get_early_data_status(s), SSL_EARLY_DATA_NOT_SENT);
    CHECK_EQ(SSL_get_early_data_status(c), SSL_EARLY_DATA_NOT_SENT);
    CHECK_EQ(SSL_do_handshake(c), 1);
    CHECK_EQ(SSL_write(c, "hi", 2), 2);
    CHECK_EQ(SSL_read(s, buf, sizeof(buf)), 2);
    /* After FINISH the function may not be called again (OpenSSL's state machine refuses). */
    CHECK_EQ(SSL_read_early_data(s, buf, sizeof(buf), &n), SSL_READ_EARLY_DATA_ERROR);
    CHECK(last_error_is(ERR_R_SHOULD_NOT_HAVE_BEEN_CALLED, 0));

    /* No renegotiation in TLS 1.3 (RFC 8446 §4.6). */
    CHECK_EQ(SSL_renegotiate(c), 0);
    CHECK(last_error_is(SSL_R_WRONG_SSL_VERSION, 0));
    CHECK_EQ(SSL_renegotiate_abbreviated(s), 0);
    CHECK(last_error_is(SSL_R_WRONG_SSL_VERSION, 0));
    CHECK_EQ(SSL_renegotiate_pending(c), 0);

    /* Truthful "none" answers push no error. */
    CHECK(SSL_get_current_compression(c) == NULL);
    CHECK(SSL_get_current_expansion(c) == NULL);
    CHECK_EQ(SSL_waiting_for_async(c), 0);
    size_t nfds = 5, nadd = 5, ndel = 5;
    /* No wait context: 0, the counts untouched, as OpenSSL 3.0 (tests/diff/surface16.c). */
    CHECK_EQ(SSL_get_all_async_fds(c, NULL, &nfds), 0);
    CHECK_EQ(nfds, 5);
    CHECK_EQ(SSL_get_changed_async_fds(c, NULL, &nadd, NULL, &ndel), 0);
    CHECK(nadd == 5 && ndel == 5);
    const unsigned char *proto = (const unsigned char *)"x";
    unsigned plen = 7;
    SSL_get0_next_proto_negotiated(c, &proto, &plen);
    CHECK(proto == NULL && plen == 0);
    CHECK(SSL_get0_peer_scts(c) == NULL);
    CHECK_EQ(SSL_ct_is_enabled(c), 0);
    CHECK_EQ(SSL_get0_dane_authority(c, NULL, NULL), -1);
    CHECK(SSL_get_selected_srtp_profile(c) == NULL);
    CHECK_EQ(SSL_SESSION_get_compress_id(SSL_get_session(c)), 0);
    CHECK_EQ(ERR_peek_error(), 0);

    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* ---- honest failures ---- */

static int add_cb(SSL *s, unsigned int t, const unsigned char **out, size_t *outlen, int *al, void *arg)
{
    return 0;
}

static void test_honest_failures(void)
{
    SSL_CTX *ctx = keel_test_server_ctx(&ec);
    SSL *s = SSL_new(ctx);

    CHECK_EQ(SSL_CTX_add_server_custom_ext(ctx, 1000, add_cb, NULL, NULL, NULL, NULL), 0);
    CHECK(last_error_is(ERR_R_UNSUPPORTED, 1));
    CHECK_EQ(SSL_CTX_has_client_custom_ext(ctx, 1000), 0);
    CHECK_EQ(SSL_CTX_use_serverinfo_file(ctx, "/nonexistent"), 0);
    CHECK(last_error_is(ERR_R_UNSUPPORTED, 1));
    CHECK(SSL_CTX_sessions(ctx) == NULL);
    CHECK(last_error_is(ERR_R_UNSUPPORTED, 1));
    CHECK_EQ(SSL_sendfile(s, 0, 0, 10, 0), -1);
    CHECK(last_error_is(SSL_R_UNINITIALIZED, 1));
    CHECK_EQ(SSL_stateless(s), -1);
    CHECK(last_error_is(ERR_R_UNSUPPORTED, 1));
    CHECK_EQ(DTLSv1_listen(s, NULL), -1);
    CHECK(last_error_is(SSL_R_UNSUPPORTED_SSL_VERSION, 1));
    CHECK_EQ(SSL_COMP_add_compression_method(200, NULL), 1);   /* 1 is failure here */
    CHECK(last_error_is(SSL_R_COMPRESSION_FAILURE, 1));
    CHECK_EQ(SSL_set_tlsext_use_srtp(s, "SRTP_AES128_CM_SHA1_80"), 1); /* and here */
    CHECK(last_error_is(ERR_R_UNSUPPORTED, 1));
    CHECK_EQ(SSL_CTX_dane_enable(ctx), -1);
    CHECK(last_error_is(ERR_R_UNSUPPORTED, 1));
    CHECK_EQ(SSL_CTX_enable_ct(ctx, SSL_CT_VALIDATION_STRICT), 0);
    CHECK(last_error_is(ERR_R_UNSUPPORTED, 1));
    CHECK_EQ(SSL_CTX_enable_ct(ctx, 42), 0);
    CHECK(last_error_is(SSL_R_INVALID_CT_VALIDATION_TYPE, 0));
    CHECK_EQ(SSL_CTX_set_ct_validation_callback(ctx, NULL, NULL), 1); /* off is what it is */
    /* PSK identity hints are implemented (tests/api/psk.c); one longer than
     * PSK_MAX_IDENTITY_LEN is refused as OpenSSL refuses it. */
    char long_hint[PSK_MAX_IDENTITY_LEN + 2];
    memset(long_hint, 'h', sizeof(long_hint) - 1);
    long_hint[sizeof(long_hint) - 1] = '\0';
    CHECK_EQ(SSL_CTX_use_psk_identity_hint(ctx, long_hint), 0);
    CHECK(last_error_is(SSL_R_DATA_LENGTH_TOO_LONG, 0));
    CHECK(SSL_get_psk_identity_hint(s) == NULL); /* no session yet */
    CHECK_EQ(SSL_CTX_set_async_callback(ctx, NULL), 0);
    CHECK(last_error_is(ERR_R_UNSUPPORTED, 1));
    int status = 7;
    CHECK_EQ(SSL_get_async_status(s, &status), 0);
    CHECK(last_error_is(ERR_R_UNSUPPORTED, 1));
    CHECK_EQ(SSL_set_session_ticket_ext(s, "x", 1), 0);
    CHECK(last_error_is(ERR_R_UNSUPPORTED, 1));
    CHECK_EQ(SSL_CTX_set_generate_session_id(ctx, NULL), 1);
    CHECK_EQ(SSL_CTX_set_session_ticket_cb(ctx, NULL, NULL, NULL), 0);
    CHECK(last_error_is(ERR_R_UNSUPPORTED, 1));
    CHECK_EQ(SSL_check_chain(s, NULL, NULL, NULL), 0);
    CHECK(last_error_is(ERR_R_UNSUPPORTED, 1));
    unsigned char out[16];
    /* No early data was accepted: no early exporter (0 and no error, as OpenSSL 3.0). */
    CHECK_EQ(SSL_export_keying_material_early(s, out, sizeof(out), "l", 1, NULL, 0), 0);
    CHECK_EQ(ERR_peek_error(), 0);
#ifndef OPENSSL_NO_SRP
    CHECK_EQ(SSL_CTX_set_srp_username(ctx, "user"), 0);
    CHECK(last_error_is(ERR_R_UNSUPPORTED, 1));
    CHECK_EQ(SSL_CTX_set_srp_password(ctx, "pass"), 0);
    CHECK(last_error_is(ERR_R_UNSUPPORTED, 1));
#endif
    SSL_SESSION *ss = SSL_SESSION_new();
    void *appdata = (void *)1;
    size_t applen = 5;
    CHECK_EQ(SSL_SESSION_set1_ticket_appdata(ss, "x", 1), 0);
    CHECK(last_error_is(ERR_R_UNSUPPORTED, 1));
    CHECK_EQ(SSL_SESSION_get0_ticket_appdata(ss, &appdata, &applen), 1);
    CHECK(appdata == NULL && applen == 0);
    CHECK_EQ(SSL_SESSION_get_max_fragment_length(ss), TLSEXT_max_fragment_length_DISABLED);
    SSL_SESSION_free(ss);

    /* DH parameters: accepted (and owned) for a DH key, refused (and left to us) otherwise. */
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
    EVP_PKEY *dh = NULL;
    OSSL_PARAM params[] = { OSSL_PARAM_utf8_string("group", "ffdhe2048", 0), OSSL_PARAM_END };
    CHECK(pc != NULL && EVP_PKEY_paramgen_init(pc) == 1 && EVP_PKEY_CTX_set_params(pc, params) == 1
          && EVP_PKEY_paramgen(pc, &dh) == 1);
    EVP_PKEY_CTX_free(pc);
    CHECK_EQ(SSL_CTX_set0_tmp_dh_pkey(ctx, dh), 1);
    CHECK_EQ(SSL_set0_tmp_dh_pkey(s, ec.leaf_key), 0);
    CHECK(last_error_is(SSL_R_WRONG_CERTIFICATE_TYPE, 0));
    CHECK(EVP_PKEY_get_id(ec.leaf_key) == EVP_PKEY_EC); /* still ours, still alive */

    SSL_free(s);
    SSL_CTX_free(ctx);
}

int main(void)
{
    CHECK(keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30));
    test_client_hello_cb();
    test_session_print();
    test_matching_session_id();
    test_new_session_ticket();
    test_early_data();
    test_honest_failures();
    keel_test_chain_free(&ec);
    return keel_test_finish("surface");
}
