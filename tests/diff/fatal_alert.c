/* Differential probe (tests/diff/run.sh): a session whose connection ended with a fatal alert.
 * RFC 5246 §7.2.2: "Thereafter, both parties MUST forget any session-identifiers, keys, and secrets
 * associated with a failed connection"; a session whose connection failed is not resumed. For TLS
 * 1.2 (session id, ticket) and TLS 1.3 (stateless and stateful tickets), and for the end that
 * sends the fatal alert and the end that receives it: a record is corrupted on the wire after the
 * handshake (bad_record_mac), then the probe prints what each end's cache holds, whether each
 * end's session is still resumable, and whether a new connection offering the client's session
 * resumes. Both ends run in this process on the same library; each failed connection is freed as
 * if shut down, so only the alert decides. */
#include "probe.h"

static keel_test_chain ec;

/* Moves what one end wrote to the other, flipping the last byte (the AEAD tag). */
static void move_corrupt(BIO *from, BIO *to)
{
    char buf[20000];
    int n = BIO_read(from, buf, sizeof(buf));
    if (n <= 0)
        return;
    buf[n - 1] ^= 1;
    BIO_write(to, buf, n);
}

/* probe.h's handshake, then the client's first read: TLS 1.3 tickets arrive with it. */
static int shake_tickets(link_t *l)
{
    int ok = shake(l);
    char b[8];
    SSL_read(l->c, b, sizeof(b));
    ERR_clear_error();
    return ok;
}

/* Freed as if shut down: SSL_free's own rule for connections not shut down (SSL_free(3)) is
 * not what this probe is about. */
static void free_closed(link_t *l)
{
    SSL_set_shutdown(l->c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(l->s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    lfree(l);
}

static void reasons(void)
{
    unsigned long e;
    printf("  reasons:");
    while ((e = ERR_get_error()) != 0) /* libssl's (libcrypto's own entries differ) */
        if (ERR_GET_LIB(e) == ERR_LIB_SSL)
            printf(" [%s]", ERR_reason_error_string(e));
    printf("\n");
}

static void remove_cb(SSL_CTX *ctx, SSL_SESSION *ss)
{
    (void)ctx;
    (void)ss;
    printf("  remove callback\n");
}

/* version: TLS1_2_VERSION or TLS1_3_VERSION; tickets: 0 session id (1.2) / stateful (1.3);
 * sender: which end sends the fatal alert (1 server, 0 client). */
static void one(int version, int tickets, int sender)
{
    SSL_CTX *cc = keel_test_client_ctx(&ec), *sc = keel_test_server_ctx(&ec);
    link_t l;
    printf("%s, %s, fatal alert sent by the %s\n", vname(version),
           tickets ? "tickets" : (version == TLS1_2_VERSION ? "session id" : "stateful tickets"),
           sender ? "server" : "client");
    SSL_CTX_set_max_proto_version(cc, version);
    SSL_CTX_set_session_id_context(sc, (const unsigned char *)"fa", 2);
    /* OpenSSL 3.0's server also caches the TLS 1.3 sessions it issues stateless tickets for;
     * keel's does not: the cache is shown where both use it. */
    int show = !(version == TLS1_3_VERSION && tickets);
    if (show && !tickets) /* (OpenSSL also calls it for a 1.2 ticket's session it does not cache) */
        SSL_CTX_sess_set_remove_cb(sc, remove_cb);
    if (!tickets)
        SSL_CTX_set_options(sc, SSL_OP_NO_TICKET);
    if (version == TLS1_3_VERSION)
        SSL_CTX_set_num_tickets(sc, 1);

    /* A first, clean connection: its session is resumable. */
    mk(&l, cc, sc);
    int ok = shake_tickets(&l);
    SSL_SESSION *first = SSL_get1_session(l.c);
    printf("  first: handshake %d, cached %ld\n", ok, (show ? SSL_CTX_sess_number(sc) : -1));
    free_closed(&l);

    /* A second connection resuming it, failing after the handshake with a fatal alert. */
    mk(&l, cc, sc);
    SSL_set_session(l.c, first);
    ok = shake_tickets(&l);
    SSL_SESSION *cs = SSL_get1_session(l.c), *ss = SSL_get1_session(l.s);
    printf("  second: handshake %d, reused %d/%d, cached %ld\n", ok, SSL_session_reused(l.c),
           SSL_session_reused(l.s), (show ? SSL_CTX_sess_number(sc) : -1));
    SSL *w = sender ? l.c : l.s, *rd = sender ? l.s : l.c;
    char buf[32];
    int r1 = SSL_write(w, "corrupted", 9);
    move_corrupt(sender ? l.c_out : l.s_out, sender ? l.s_in : l.c_in);
    int r2 = SSL_read(rd, buf, sizeof(buf));
    printf("  write %d, read %d error %d\n", r1, r2, SSL_get_error(rd, r2));
    reasons();
    move(sender ? l.s_out : l.c_out, sender ? l.c_in : l.s_in);
    r2 = SSL_read(w, buf, sizeof(buf));
    printf("  peer read %d error %d\n", r2, SSL_get_error(w, r2));
    reasons();
    printf("  after: cached %ld, resumable client %d server %d, first %d\n", (show ? SSL_CTX_sess_number(sc) : -1),
           SSL_SESSION_is_resumable(cs), SSL_SESSION_is_resumable(ss), SSL_SESSION_is_resumable(first));
    free_closed(&l);

    /* A third connection offering the session: resumed or not. */
    mk(&l, cc, sc);
    SSL_set_session(l.c, first);
    ok = shake_tickets(&l);
    printf("  offering the first session again: handshake %d, reused %d/%d\n", ok,
           SSL_session_reused(l.c), SSL_session_reused(l.s));
    free_closed(&l);
    mk(&l, cc, sc);
    SSL_set_session(l.c, cs);
    ok = shake_tickets(&l);
    printf("  offering the failed connection's session: handshake %d, reused %d/%d\n", ok,
           SSL_session_reused(l.c), SSL_session_reused(l.s));
    free_closed(&l);
    ERR_clear_error();
    SSL_SESSION_free(first);
    SSL_SESSION_free(cs);
    SSL_SESSION_free(ss);
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    if (!keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30))
        return 1;
    for (int sender = 1; sender >= 0; sender--) {
        one(TLS1_2_VERSION, 0, sender);
        one(TLS1_2_VERSION, 1, sender);
        one(TLS1_3_VERSION, 0, sender);
        one(TLS1_3_VERSION, 1, sender);
    }
    keel_test_chain_free(&ec);
    return 0;
}
