/* Differential probe (tests/diff/run.sh): compiled against the SYSTEM <openssl/ssl.h> and run once
 * on the system libssl and once on keel's (LD_LIBRARY_PATH); the two outputs must be identical.
 * Connection state as the application sees it (issue #11 items 2, 6, 7, 8):
 *   - the info callback's full sequence (where, ret, SSL_state_string_long) for a full, a resumed
 *     and a HelloRetryRequest handshake, handshake failures (alert sent / received), close_notify,
 *     KeyUpdate, post-handshake authentication, and a non-blocking server called repeatedly before
 *     the ClientHello arrives (SSL_CTX_set_info_callback(3));
 *   - a stale error on the queue does not turn WANT_READ into SSL_ERROR_SSL when the handshake
 *     state machine is entered (SSL_do_handshake, SSL_read, SSL_write);
 *   - the client's session before and after a ticket (SSL_get_session(3));
 *   - a post-handshake CertificateRequest sent by SSL_write (SSL_verify_client_post_handshake(3)).
 * Only TLS 1.3 is negotiated (all keel does). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

static EVP_PKEY *cak, *sk, *ck;
static X509 *ca, *scert, *ccert;

/* ---- the info callback's log ---- */

static int logging = 1;

static void info_cb(const SSL *s, int where, int ret)
{
    if (!logging)
        return;
    char w[160] = "";
    static const struct { int bit; const char *name; } bits[] = {
        { SSL_CB_LOOP, "LOOP" }, { SSL_CB_EXIT, "EXIT" }, { SSL_CB_READ, "READ" },
        { SSL_CB_WRITE, "WRITE" }, { SSL_CB_ALERT, "ALERT" }, { SSL_CB_HANDSHAKE_START, "HANDSHAKE_START" },
        { SSL_CB_HANDSHAKE_DONE, "HANDSHAKE_DONE" }, { SSL_ST_CONNECT, "CONNECT" }, { SSL_ST_ACCEPT, "ACCEPT" },
    };
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
        if (where & bits[i].bit) {
            strcat(w, w[0] ? "|" : "");
            strcat(w, bits[i].name);
        }
    if (where & SSL_CB_ALERT)
        printf("  %s %s ret=%s:%s %s \"%s\"\n", SSL_is_server((SSL *)s) ? "S" : "C", w,
               SSL_alert_type_string(ret), SSL_alert_desc_string_long(ret), SSL_state_string(s),
               SSL_state_string_long(s));
    else
        printf("  %s %s ret=%d %s \"%s\"\n", SSL_is_server((SSL *)s) ? "S" : "C", w, ret,
               SSL_state_string(s), SSL_state_string_long(s));
}

/* ---- contexts and a BIO pair ---- */

static SSL_CTX *server_ctx(void)
{
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
    SSL_CTX_use_certificate(c, scert);
    SSL_CTX_use_PrivateKey(c, sk);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c), ca);
    SSL_CTX_set_session_id_context(c, (const unsigned char *)"state", 5);
    SSL_CTX_set_info_callback(c, info_cb);
    return c;
}

static SSL_CTX *client_ctx(void)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(c), ca);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_info_callback(c, info_cb);
    return c;
}

static void pair(SSL_CTX *cc, SSL_CTX *sc, SSL **c, SSL **s)
{
    BIO *b1, *b2;
    BIO_new_bio_pair(&b1, 0, &b2, 0);
    *c = SSL_new(cc);
    *s = SSL_new(sc);
    SSL_set_bio(*c, b1, b1);
    SSL_set_bio(*s, b2, b2);
    SSL_set_connect_state(*c);
    SSL_set_accept_state(*s);
}

static const char *errname(int e)
{
    switch (e) {
    case SSL_ERROR_NONE: return "NONE";
    case SSL_ERROR_SSL: return "SSL";
    case SSL_ERROR_WANT_READ: return "WANT_READ";
    case SSL_ERROR_WANT_WRITE: return "WANT_WRITE";
    case SSL_ERROR_SYSCALL: return "SYSCALL";
    case SSL_ERROR_ZERO_RETURN: return "ZERO_RETURN";
    default: return "other";
    }
}

/* Both sides' SSL_do_handshake in turn, client first, until both are done or one fails. */
static int handshake(SSL *c, SSL *s)
{
    int cd = 0, sd = 0;
    for (int i = 0; i < 20 && !(cd && sd); i++) {
        if (!cd) {
            int r = SSL_do_handshake(c);
            if (r == 1)
                cd = 1;
            else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ) {
                printf(" client fails: %s\n", errname(SSL_get_error(c, r)));
                cd = -1;
            }
        }
        if (!sd) {
            int r = SSL_do_handshake(s);
            if (r == 1)
                sd = 1;
            else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ) {
                printf(" server fails: %s\n", errname(SSL_get_error(s, r)));
                sd = -1;
            }
        }
        if (cd < 0 || sd < 0) {
            ERR_clear_error();
            /* the other side reads what was sent */
            if (cd == 0 && SSL_do_handshake(c) != 1)
                printf(" client then: %s\n", errname(SSL_get_error(c, -1)));
            if (sd == 0 && SSL_do_handshake(s) != 1)
                printf(" server then: %s\n", errname(SSL_get_error(s, -1)));
            ERR_clear_error();
            return 0;
        }
    }
    return cd == 1 && sd == 1;
}

/* A read with nothing to read: processes post-handshake messages (tickets, KeyUpdate, PHA). */
static void drain(SSL *x, const char *who)
{
    char buf[64];
    int r = SSL_read(x, buf, sizeof(buf));
    if (r > 0)
        printf(" %s read %d bytes\n", who, r);
    else
        printf(" %s read: %s\n", who, errname(SSL_get_error(x, r)));
    ERR_clear_error();
}

/* Marked shut down, so that SSL_free keeps the session resumable (SSL_free(3)). */
static void done(SSL *c, SSL *s)
{
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(c);
    SSL_free(s);
}

static void print_session(const char *what, SSL *c)
{
    SSL_SESSION *ss = SSL_get_session(c), *s0 = SSL_get0_session(c), *s1 = SSL_get1_session(c);
    if (ss == NULL) {
        printf(" %s: no session (get0 %s, get1 %s)\n", what, s0 ? "set" : "NULL", s1 ? "set" : "NULL");
        SSL_SESSION_free(s1);
        return;
    }
    unsigned int idlen;
    SSL_SESSION_get_id(ss, &idlen);
    const SSL_CIPHER *ciph = SSL_SESSION_get0_cipher(ss);
    printf(" %s: resumable %d, same get0/get1 %d, version %x, cipher %s, peer %s, master key %s,"
           " time %s, timeout %s, id_len %s, ticket %s, max_early %u\n",
           what, SSL_SESSION_is_resumable(ss), s0 == ss && s1 == ss, SSL_SESSION_get_protocol_version(ss),
           ciph ? SSL_CIPHER_get_name(ciph) : "none", SSL_SESSION_get0_peer(ss) ? "set" : "none",
           SSL_SESSION_get_master_key(ss, NULL, 0) > 0 ? "set" : "empty",
           SSL_SESSION_get_time(ss) > 0 ? "set" : "0", SSL_SESSION_get_timeout(ss) > 0 ? "set" : "0",
           idlen > 0 ? "set" : "0", SSL_SESSION_has_ticket(ss) ? "yes" : "no",
           SSL_SESSION_get_max_early_data(ss));
    SSL_SESSION_free(s1);
}

static void stale_error(void)
{
    ERR_raise(ERR_LIB_SSL, SSL_R_UNKNOWN_COMMAND);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--which") == 0) {
        Dl_info info;
        dladdr((void *)SSL_new, &info);
        printf("%s\n", info.dli_fname);
        return 0;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_LOAD_SSL_STRINGS, NULL);
    cak = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    sk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ck = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ca = keel_test_cert("ca", cak, NULL, NULL, 1);
    scert = keel_test_cert("server", sk, ca, cak, 0);
    ccert = keel_test_cert("client", ck, ca, cak, 0);

    SSL_CTX *sc = server_ctx(), *cc = client_ctx();
    SSL *c, *s;
    SSL_SESSION *saved = NULL;

    printf("== full handshake, tickets read\n");
    pair(cc, sc, &c, &s);
    printf(" ok %d\n", handshake(c, s));
    drain(c, "client");
    saved = SSL_get1_session(c);
    done(c, s);

    printf("== resumed handshake\n");
    pair(cc, sc, &c, &s);
    SSL_set_session(c, saved);
    int ok = handshake(c, s);
    printf(" ok %d, reused %d\n", ok, SSL_session_reused(c));
    done(c, s);
    SSL_SESSION_free(saved);

    printf("== HelloRetryRequest\n");
    pair(cc, sc, &c, &s);
    SSL_set1_groups_list(c, "X25519:P-256");
    SSL_set1_groups_list(s, "P-256");
    printf(" ok %d\n", handshake(c, s));
    done(c, s);

    printf("== failure: the client refuses the server's certificate (alert sent / received)\n");
    {
        SSL_CTX *lone = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_min_proto_version(lone, TLS1_3_VERSION);
        SSL_CTX_set_verify(lone, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_info_callback(lone, info_cb);
        pair(lone, sc, &c, &s);
        printf(" ok %d\n", handshake(c, s));
        done(c, s);
        SSL_CTX_free(lone);
    }

    printf("== failure: no shared group (server sends the alert)\n");
    pair(cc, sc, &c, &s);
    SSL_set1_groups_list(c, "X25519");
    SSL_set1_groups_list(s, "P-256");
    printf(" ok %d\n", handshake(c, s));
    done(c, s);

    printf("== close_notify\n");
    pair(cc, sc, &c, &s);
    logging = 0;
    handshake(c, s);
    drain(c, "client");
    logging = 1;
    printf(" client shutdown %d\n", SSL_shutdown(c));
    drain(s, "server");
    printf(" server shutdown %d\n", SSL_shutdown(s));
    printf(" client shutdown %d\n", SSL_shutdown(c));
    done(c, s);

    printf("== KeyUpdate\n");
    pair(cc, sc, &c, &s);
    logging = 0;
    handshake(c, s);
    drain(c, "client");
    logging = 1;
    printf(" key_update %d\n", SSL_key_update(c, SSL_KEY_UPDATE_REQUESTED));
    printf(" client write %d\n", SSL_write(c, "x", 1));
    drain(s, "server");
    printf(" server write %d\n", SSL_write(s, "y", 1));
    drain(c, "client");
    done(c, s);

    printf("== post-handshake authentication through SSL_do_handshake\n");
    pair(cc, sc, &c, &s);
    SSL_use_certificate(c, ccert);
    SSL_use_PrivateKey(c, ck);
    SSL_set_post_handshake_auth(c, 1);
    logging = 0;
    handshake(c, s);
    drain(c, "client");
    logging = 1;
    SSL_set_verify(s, SSL_VERIFY_PEER, NULL);
    printf(" request %d\n", SSL_verify_client_post_handshake(s));
    printf(" server do_handshake %d\n", SSL_do_handshake(s));
    drain(c, "client");
    drain(s, "server");
    X509 *peer = SSL_get1_peer_certificate(s);
    printf(" server has the client certificate: %s\n", peer ? "yes" : "no");
    X509_free(peer);
    done(c, s);

    printf("== post-handshake authentication through SSL_write only\n");
    pair(cc, sc, &c, &s);
    SSL_use_certificate(c, ccert);
    SSL_use_PrivateKey(c, ck);
    SSL_set_post_handshake_auth(c, 1);
    logging = 0;
    handshake(c, s);
    drain(c, "client");
    logging = 1;
    SSL_set_verify(s, SSL_VERIFY_PEER, NULL);
    printf(" request %d\n", SSL_verify_client_post_handshake(s));
    printf(" server write %d\n", SSL_write(s, "response", 8));
    drain(c, "client");
    drain(s, "server");
    peer = SSL_get1_peer_certificate(s);
    printf(" server has the client certificate: %s\n", peer ? "yes" : "no");
    X509_free(peer);
    done(c, s);

    printf("== non-blocking server called before the ClientHello arrives\n");
    pair(cc, sc, &c, &s);
    for (int i = 0; i < 3; i++) {
        int r = SSL_do_handshake(s);
        printf(" server do_handshake %d: %s\n", r, errname(SSL_get_error(s, r)));
    }
    for (int i = 0; i < 2; i++) {
        char b[8];
        int r = SSL_read(s, b, sizeof(b));
        printf(" server read %d: %s\n", r, errname(SSL_get_error(s, r)));
    }
    printf(" ok %d\n", handshake(c, s));
    done(c, s);

    logging = 0;
    printf("== a stale error when the state machine is entered\n");
    pair(cc, sc, &c, &s);
    stale_error();
    int r = SSL_do_handshake(c);
    printf(" client do_handshake %d: %s, queue %s\n", r, errname(SSL_get_error(c, r)),
           ERR_peek_error() ? "kept" : "cleared");
    ERR_clear_error();
    stale_error();
    r = SSL_do_handshake(s);
    printf(" server do_handshake %d: %s, queue %s\n", r, errname(SSL_get_error(s, r)),
           ERR_peek_error() ? "kept" : "cleared");
    ERR_clear_error();
    stale_error();
    r = SSL_connect(c);
    printf(" client connect %d: %s\n", r, errname(SSL_get_error(c, r)));
    ERR_clear_error();
    stale_error();
    char b[8];
    r = SSL_read(s, b, sizeof(b));
    printf(" server read in the handshake %d: %s\n", r, errname(SSL_get_error(s, r)));
    ERR_clear_error();
    handshake(c, s);
    drain(c, "client");
    stale_error();
    r = SSL_read(s, b, sizeof(b));
    printf(" server read after the handshake %d: %s, queue %s\n", r, errname(SSL_get_error(s, r)),
           ERR_peek_error() ? "kept" : "cleared");
    ERR_clear_error();
    stale_error();
    r = SSL_peek(s, b, sizeof(b));
    printf(" server peek after the handshake %d: %s\n", r, errname(SSL_get_error(s, r)));
    ERR_clear_error();
    /* A KeyUpdate waiting: the read processes a post-handshake message. */
    SSL_key_update(c, SSL_KEY_UPDATE_NOT_REQUESTED);
    SSL_write(c, "", 0);
    SSL_do_handshake(c);
    stale_error();
    r = SSL_read(s, b, sizeof(b));
    printf(" server read of a KeyUpdate %d: %s\n", r, errname(SSL_get_error(s, r)));
    ERR_clear_error();
    stale_error();
    r = SSL_write(s, "z", 1);
    printf(" server write after the handshake %d: %s, queue %s\n", r, errname(SSL_get_error(s, r)),
           ERR_peek_error() ? "kept" : "cleared");
    ERR_clear_error();
    done(c, s);

    printf("== the client's session\n");
    SSL_CTX_set_num_tickets(sc, 0);
    pair(cc, sc, &c, &s);
    print_session("before the handshake", c);
    handshake(c, s);
    print_session("after SSL_connect, no tickets", c);
    drain(c, "client");
    print_session("after a read, no tickets", c);
    done(c, s);
    SSL_CTX_set_num_tickets(sc, 1);
    pair(cc, sc, &c, &s);
    handshake(c, s);
    print_session("after SSL_connect, one ticket on the way", c);
    drain(c, "client");
    print_session("after the ticket", c);
    done(c, s);

    SSL_CTX_free(sc);
    SSL_CTX_free(cc);
    return 0;
}
