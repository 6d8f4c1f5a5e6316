/* Differential probe (tests/diff/run.sh): TLS 1.3 early data (SSL_read_early_data(3)), one process,
 * client and server over a BIO pair. For each scenario it prints every return value of
 * SSL_write_early_data / SSL_read_early_data / SSL_do_handshake / SSL_read / SSL_write with
 * SSL_get_error, the bytes that arrived, SSL_get_state, the error queue's reason codes, both sides'
 * SSL_get_early_data_status, the states the info callback saw (SSL_state_string) and alerts, the key
 * log labels, and SSL_SESSION_get_max_early_data of the sessions received. Scenarios: accepted
 * (with a 0.5-RTT server write), the server's max 0, allow_early_data_cb refusing, HelloRetryRequest,
 * a replayed ticket with anti-replay on and off (SSL_OP_NO_ANTI_REPLAY), ALPN mismatches (client and
 * server side), over the limits (client and server side, accepted and skipped), misuse (read on a
 * client, after the handshake, again after FINISH; write on a session without early data, after
 * the handshake), a TLS 1.2 server, and the defaults. Built against the SYSTEM header. */
#include <stdlib.h>

#include "probe.h"

static keel_test_chain chain;

/* What the callbacks saw, per side (0 client, 1 server), printed at the end of a scenario. */
static char states[2][2048], keylog[2][512];
static int cb_allow = 1;      /* the allow_early_data callback's answer */
static const char *server_alpn = "a"; /* the protocol the server's ALPN callback picks */

static void cat(char *buf, size_t size, const char *s)
{
    size_t n = strlen(buf);
    if (n + strlen(s) + 2 < size)
        snprintf(buf + n, size - n, "%s%s", n ? " " : "", s);
}

static void info_cb(const SSL *s, int where, int ret)
{
    int k = SSL_is_server((SSL *)s);
    char a[96];
    if (where & SSL_CB_ALERT) {
        snprintf(a, sizeof(a), "[%s %s]", (where & SSL_CB_READ) ? "read" : "wrote",
                 SSL_alert_desc_string_long(ret));
        cat(states[k], sizeof(states[k]), a);
    } else if (where & SSL_CB_LOOP) {
        cat(states[k], sizeof(states[k]), SSL_state_string(s));
    } else if (where & SSL_CB_HANDSHAKE_DONE) {
        cat(states[k], sizeof(states[k]), "DONE");
    }
}

static void keylog_cb(const SSL *s, const char *line)
{
    char label[64];
    if (sscanf(line, "%63s", label) == 1)
        cat(keylog[SSL_is_server((SSL *)s)], sizeof(keylog[0]), label);
}

static int allow_cb(SSL *s, void *arg)
{
    (void)arg;
    printf("  allow_early_data_cb state=%s -> %d\n", SSL_state_string(s), cb_allow);
    return cb_allow;
}

static int alpn_cb(SSL *s, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                   unsigned int inlen, void *arg)
{
    (void)s;
    (void)arg;
    for (unsigned int i = 0; i < inlen; i += 1 + in[i])
        if (in[i] == strlen(server_alpn) && memcmp(in + i + 1, server_alpn, in[i]) == 0) {
            *out = in + i + 1;
            *outlen = in[i];
            return SSL_TLSEXT_ERR_OK;
        }
    return SSL_TLSEXT_ERR_NOACK;
}

/* An external PSK (SSL_CTX_set_psk_use_session_callback(3)) that allows early data. */
static const unsigned char psk_key[32] = "early data external PSK, 32 b.";
static SSL_SESSION *psk_session(SSL *s)
{
    SSL_SESSION *ss = keel_test_psk_session(s, "TLS_AES_128_GCM_SHA256", psk_key, sizeof(psk_key));
    if (ss != NULL && !SSL_SESSION_set_max_early_data(ss, 1024)) {
        SSL_SESSION_free(ss);
        ss = NULL;
    }
    return ss;
}

static int use_cb(SSL *s, const EVP_MD *md, const unsigned char **id, size_t *idlen, SSL_SESSION **sess)
{
    (void)md;
    *id = (const unsigned char *)"ext-psk";
    *idlen = 7;
    *sess = psk_session(s);
    return *sess != NULL;
}

static int find_cb(SSL *s, const unsigned char *id, size_t idlen, SSL_SESSION **sess)
{
    *sess = idlen == 7 && memcmp(id, "ext-psk", 7) == 0 ? psk_session(s) : NULL;
    return 1;
}

static void reasons(const char *who)
{
    unsigned long e;
    while ((e = ERR_get_error()) != 0)
        printf("  %s reason %d\n", who, ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : -1);
}

static SSL_CTX *server_ctx(uint32_t max_early, const char *groups)
{
    SSL_CTX *c = keel_test_server_ctx(&chain);
    SSL_CTX_set_info_callback(c, info_cb);
    SSL_CTX_set_keylog_callback(c, keylog_cb);
    SSL_CTX_set_max_early_data(c, max_early);
    SSL_CTX_set_alpn_select_cb(c, alpn_cb, NULL);
    if (groups != NULL)
        SSL_CTX_set1_groups_list(c, groups);
    return c;
}

static SSL_CTX *client_ctx(const char *alpn, const char *groups)
{
    SSL_CTX *c = keel_test_client_ctx(&chain);
    SSL_CTX_set_info_callback(c, info_cb);
    SSL_CTX_set_keylog_callback(c, keylog_cb);
    if (alpn != NULL) {
        unsigned char wire[16];
        size_t n = strlen(alpn);
        wire[0] = (unsigned char)n;
        memcpy(wire + 1, alpn, n);
        SSL_CTX_set_alpn_protos(c, wire, (unsigned int)n + 1);
    }
    if (groups != NULL)
        SSL_CTX_set1_groups_list(c, groups);
    return c;
}

static void outcome(const char *who, const char *call, SSL *s, int r, size_t n)
{
    /* (The byte count only when the call succeeded: it is unspecified otherwise.) */
    printf("  %s %s -> %d err=%d n=%zu state=%d init_finished=%d\n", who, call, r, SSL_get_error(s, r),
           r > 0 ? n : 0, (int)SSL_get_state(s), SSL_is_init_finished(s));
    reasons(who);
}

/* After both handshakes: statuses, application data both ways (which also reads the tickets),
 * the callbacks' log, the client's new session. Returns it (a reference) or NULL. */
static SSL_SESSION *finish(SSL *c, SSL *s)
{
    char buf[64];
    size_t n = 0;
    printf("  status client=%d server=%d reused client=%d server=%d\n", SSL_get_early_data_status(c),
           SSL_get_early_data_status(s), SSL_session_reused(c), SSL_session_reused(s));
    int r = SSL_write_ex(c, "after", 5, &n);
    outcome("client", "SSL_write_ex", c, r, n);
    r = SSL_read_ex(s, buf, sizeof(buf), &n);
    outcome("server", "SSL_read_ex", s, r, n);
    if (r == 1)
        printf("  server got \"%.*s\"\n", (int)n, buf);
    r = SSL_write_ex(s, "reply", 5, &n);
    outcome("server", "SSL_write_ex", s, r, n);
    r = SSL_read_ex(c, buf, sizeof(buf), &n);
    outcome("client", "SSL_read_ex", c, r, n);
    /* The early exporter (RFC 8446 §7.5) agrees on both sides after accepted early data. (Only
     * then: OpenSSL 3.0 crashes in it after rejected early data.) */
    unsigned char ek[2][16];
    int er0 = -2, er1 = -2;
    if (SSL_get_early_data_status(c) == SSL_EARLY_DATA_ACCEPTED) {
        er0 = SSL_export_keying_material_early(c, ek[0], 16, "EXPERIMENTAL probe", 18, (const unsigned char *)"x", 1);
        er1 = SSL_export_keying_material_early(s, ek[1], 16, "EXPERIMENTAL probe", 18, (const unsigned char *)"x", 1);
    }
    printf("  early exporter client=%d server=%d same=%d\n", er0, er1,
           er0 == 1 && er1 == 1 && memcmp(ek[0], ek[1], 16) == 0);
    reasons("exporter");
    SSL_SESSION *sess = SSL_get1_session(c);
    printf("  new session max_early_data=%u resumable=%d\n",
           sess != NULL ? SSL_SESSION_get_max_early_data(sess) : 0, SSL_SESSION_is_resumable(sess));
    /* A clean close: SSL_free after an unclean end makes the session unresumable. */
    SSL_shutdown(c);
    SSL_shutdown(s);
    return sess;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The key log labels a side wrote, sorted: which secrets were logged, not in which order (keel
 * logs a full handshake's in another order than OpenSSL 3.0, a difference outside early data). */
static void print_keylog(const char *who, char *line)
{
    char *words[32], *save = NULL;
    int n = 0;
    for (char *w = strtok_r(line, " ", &save); w != NULL && n < 32; w = strtok_r(NULL, " ", &save))
        words[n++] = w;
    qsort(words, (size_t)n, sizeof(words[0]), cmp_str);
    printf("  %s keylog:", who);
    for (int i = 0; i < n; i++)
        printf(" %s", words[i]);
    printf("\n");
}

static void logs(void)
{
    printf("  client states: %s\n  server states: %s\n", states[0], states[1]);
    print_keylog("client", keylog[0]);
    print_keylog("server", keylog[1]);
    memset(states, 0, sizeof(states));
    memset(keylog, 0, sizeof(keylog));
}

/* A full handshake; returns the client's session with the server's ticket. */
static SSL_SESSION *full(const char *name, SSL_CTX *cctx, SSL_CTX *sctx)
{
    SSL *c, *s;
    SSL_SESSION *sess = NULL;
    printf("%s\n", name);
    if (keel_test_pair(cctx, sctx, &c, &s) && keel_test_handshake(c, s))
        sess = finish(c, s);
    else
        printf("  full handshake failed\n");
    reasons("either");
    logs();
    SSL_free(c);
    SSL_free(s);
    return sess;
}

struct opts {
    size_t len;           /* bytes of early data to send */
    uint32_t server_max;  /* SSL_set_max_early_data on the server SSL (UINT32_MAX: leave) */
    uint32_t server_recv; /* SSL_set_recv_max_early_data on the server SSL (0: leave) */
    int half_rtt;         /* the server writes before the client's Finished */
    int use_cb;           /* set the allow_early_data callback on the server SSL */
    int twice;            /* SSL_read_early_data once more after FINISH */
};

/* A resumption of sess with early data. Returns the client's new session (a reference). */
static SSL_SESSION *early(const char *name, SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *sess,
                          const struct opts *o)
{
    SSL *c, *s;
    char data[4096], buf[4096];
    size_t n = 0;
    int r, cdone = 0, sdone = 0, sfinish = 0, sfail = 0, cfail = 0, half = o->half_rtt;
    SSL_SESSION *out = NULL;

    printf("%s\n", name);
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)('a' + i % 26);
    if (!keel_test_pair(cctx, sctx, &c, &s))
        return NULL;
    if (sess != NULL)
        SSL_set_session(c, sess);
    if (sess != NULL)
        printf("  session max_early_data=%u\n", SSL_SESSION_get_max_early_data(sess));
    if (o->server_max != UINT32_MAX)
        SSL_set_max_early_data(s, o->server_max);
    if (o->server_recv != 0)
        SSL_set_recv_max_early_data(s, o->server_recv);
    if (o->use_cb)
        SSL_set_allow_early_data_cb(s, allow_cb, NULL);

    r = SSL_write_early_data(c, data, o->len, &n);
    outcome("client", "SSL_write_early_data", c, r, n);
    if (r != 1) {
        /* Without early data the handshake still works (what an application does next). */
        printf("  plain handshake %d\n", keel_test_handshake(c, s));
        reasons("either");
        out = finish(c, s);
        goto done;
    }
    for (int i = 0; i < 12 && !(sdone && cdone) && !sfail && !cfail; i++) {
        if (!sfinish) {
            r = SSL_read_early_data(s, buf, sizeof(buf), &n);
            outcome("server", "SSL_read_early_data", s, r, n);
            if (r == SSL_READ_EARLY_DATA_SUCCESS)
                printf("  server got %zu bytes: \"%.*s\"\n", n, n > 20 ? 20 : (int)n, buf);
            if (r == SSL_READ_EARLY_DATA_FINISH)
                sfinish = 1;
            if (r == SSL_READ_EARLY_DATA_ERROR && SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
                sfail = 1;
            if (r != SSL_READ_EARLY_DATA_ERROR && half) {
                half = 0;
                r = SSL_write_early_data(s, "half-rtt", 8, &n);
                outcome("server", "SSL_write_early_data", s, r, n);
            }
            if (sfinish && o->twice) {
                r = SSL_read_early_data(s, buf, sizeof(buf), &n);
                outcome("server", "SSL_read_early_data again", s, r, n);
            }
        } else if (!sdone) {
            r = SSL_do_handshake(s);
            outcome("server", "SSL_do_handshake", s, r, 0);
            if (r == 1)
                sdone = 1;
            else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
                sfail = 1;
        }
        if (!cdone) {
            r = SSL_do_handshake(c);
            outcome("client", "SSL_do_handshake", c, r, n = 0);
            if (r == 1)
                cdone = 1;
            else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
                cfail = 1;
        }
    }
    if (sdone && cdone) {
        r = SSL_read_early_data(s, buf, sizeof(buf), &n);
        outcome("server", "SSL_read_early_data after the handshake", s, r, n);
        r = SSL_write_early_data(c, "late", 4, &n);
        outcome("client", "SSL_write_early_data after the handshake", c, r, n);
        out = finish(c, s);
    } else {
        printf("  failed: server=%d client=%d\n", sfail, cfail);
        /* What the other side makes of it (the alert). */
        r = SSL_read_ex(c, buf, sizeof(buf), &n);
        outcome("client", "SSL_read_ex", c, r, n);
    }
done:
    logs();
    SSL_free(c);
    SSL_free(s);
    ERR_clear_error();
    return out;
}

static const struct opts plain = { .len = 11, .server_max = UINT32_MAX };

/* One resumption scenario on a fresh ticket from (cctx, sctx). */
static void one(const char *name, SSL_CTX *cctx, SSL_CTX *sctx, const struct opts *o)
{
    SSL_SESSION *sess = full("  (full handshake for a ticket)", cctx, sctx);
    if (sess == NULL)
        return;
    SSL_SESSION_free(early(name, cctx, sctx, sess, o));
    SSL_SESSION_free(sess);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_LOAD_SSL_STRINGS, NULL);
    if (!keel_test_make_chain(&chain, KT_EC_P256, "server.test", 30))
        return 1;

    SSL_CTX *cctx = client_ctx(NULL, NULL), *sctx = server_ctx(1024, NULL);
    {
        SSL_CTX *dc = SSL_CTX_new(TLS_client_method()), *ds = SSL_CTX_new(TLS_server_method());
        SSL *d = SSL_new(ds);
        printf("defaults: client ctx max=%u recv=%u; server ctx max=%u recv=%u; ssl max=%u recv=%u status=%d\n",
               SSL_CTX_get_max_early_data(dc), SSL_CTX_get_recv_max_early_data(dc),
               SSL_CTX_get_max_early_data(ds), SSL_CTX_get_recv_max_early_data(ds), SSL_get_max_early_data(d),
               SSL_get_recv_max_early_data(d), SSL_get_early_data_status(d));
        SSL_free(d);
        SSL_CTX_free(dc);
        SSL_CTX_free(ds);
        printf("set: ctx max=%u recv=%u\n", SSL_CTX_get_max_early_data(sctx), SSL_CTX_get_recv_max_early_data(sctx));
    }
    {
        /* SSL_read_early_data on a client; SSL_write_early_data on a server before reading. */
        SSL *c, *s;
        char buf[16];
        size_t n = 0;
        keel_test_pair(cctx, sctx, &c, &s);
        printf("misuse\n");
        int r = SSL_read_early_data(c, buf, sizeof(buf), &n);
        outcome("client", "SSL_read_early_data", c, r, n);
        r = SSL_write_early_data(s, "x", 1, &n);
        outcome("server", "SSL_write_early_data first", s, r, n);
        r = SSL_write_early_data(c, "x", 1, &n);
        outcome("client", "SSL_write_early_data without a session", c, r, n);
        logs();
        SSL_free(c);
        SSL_free(s);
    }

    struct opts o = plain;
    o.half_rtt = 1;
    o.twice = 1;
    one("accepted, 0.5-RTT write, read again after FINISH", cctx, sctx, &o);
    SSL_SESSION *sess = full("  (full handshake for a ticket)", cctx, sctx);
    SSL_SESSION *next = early("accepted", cctx, sctx, sess, &plain);
    SSL_SESSION_free(early("the new ticket, accepted again", cctx, sctx, next, &plain));
    SSL_SESSION_free(next);
    SSL_SESSION_free(early("the first ticket replayed (anti-replay)", cctx, sctx, sess, &plain));
    SSL_SESSION_free(sess);

    o = plain;
    o.server_max = 0;
    one("server max 0 at resumption", cctx, sctx, &o);
    o = plain;
    o.use_cb = 1;
    cb_allow = 0;
    one("allow_early_data_cb refuses", cctx, sctx, &o);
    cb_allow = 1;
    one("allow_early_data_cb allows", cctx, sctx, &o);
    cb_allow = 0;
    SSL_CTX_set_allow_early_data_cb(sctx, allow_cb, NULL);
    one("the context's allow_early_data_cb refuses", cctx, sctx, &plain);
    SSL_CTX_set_allow_early_data_cb(sctx, NULL, NULL);
    cb_allow = 1;

    o = plain;
    o.len = 1025;
    one("client over the session's limit", cctx, sctx, &o);
    o = plain;
    o.len = 1000;
    o.server_recv = 100;
    one("accepted, over the server's recv_max", cctx, sctx, &o);
    o.server_max = 0;
    one("rejected, skipped over the server's recv_max", cctx, sctx, &o);
    o = plain;
    o.len = 1000;
    o.server_max = 0;
    one("rejected, 1000 bytes skipped", cctx, sctx, &o);
    SSL_CTX_set_recv_max_early_data(sctx, 500);
    one("the context's recv_max 500, 1000 bytes rejected", cctx, sctx, &o);
    o.server_max = UINT32_MAX;
    one("the context's recv_max 500, 1000 bytes accepted", cctx, sctx, &o);
    SSL_CTX_set_recv_max_early_data(sctx, 16384);

    {
        SSL_CTX *nc = server_ctx(0, NULL);
        one("ticket without early data", cctx, nc, &plain);
        SSL_CTX_free(nc);
    }
    {
        SSL_CTX *hc = client_ctx(NULL, "X25519:P-256"), *hs = server_ctx(1024, "P-256");
        one("HelloRetryRequest", hc, hs, &plain);
        SSL_CTX_free(hc);
        SSL_CTX_free(hs);
    }
    {
        SSL_CTX *ac = client_ctx("a", NULL), *bc = client_ctx("b", NULL), *abc = client_ctx(NULL, NULL);
        static const unsigned char ab[] = "\x01" "a" "\x01" "b";
        SSL_CTX_set_alpn_protos(abc, ab, 4);
        one("ALPN a both times", ac, sctx, &plain);
        SSL_SESSION *as = full("  (full handshake with ALPN a)", ac, sctx);
        SSL_SESSION_free(early("client offers only b, session has a", bc, sctx, as, &plain));
        SSL_SESSION_free(as);
        as = full("  (full handshake with ALPN a,b: a chosen)", abc, sctx);
        server_alpn = "b";
        SSL_SESSION_free(early("server now chooses b", abc, sctx, as, &plain));
        server_alpn = "a";
        SSL_SESSION_free(as);
        SSL_CTX_free(ac);
        SSL_CTX_free(bc);
        SSL_CTX_free(abc);
    }
    {
        /* Early data under an external PSK (no ticket: the callbacks' session allows it). */
        SSL_CTX *pc = client_ctx(NULL, NULL), *ps = server_ctx(1024, NULL);
        SSL_CTX_set_psk_use_session_callback(pc, use_cb);
        SSL_CTX_set_psk_find_session_callback(ps, find_cb);
        SSL_CTX_set_ciphersuites(pc, "TLS_AES_128_GCM_SHA256");
        SSL_SESSION_free(early("external PSK", pc, ps, NULL, &plain));
        SSL_CTX_free(pc);
        SSL_CTX_free(ps);
    }
    SSL_CTX_set_options(sctx, SSL_OP_NO_ANTI_REPLAY);
    sess = full("  (full handshake for a ticket, no anti-replay)", cctx, sctx);
    SSL_SESSION_free(early("SSL_OP_NO_ANTI_REPLAY: first use", cctx, sctx, sess, &plain));
    SSL_SESSION_free(early("SSL_OP_NO_ANTI_REPLAY: the same ticket again", cctx, sctx, sess, &plain));
    SSL_SESSION_free(sess);
    {
        /* The server only speaks TLS 1.2: SSL_read_early_data completes the handshake. */
        SSL *c, *s;
        char buf[16];
        size_t n = 0;
        SSL_CTX *s12 = server_ctx(1024, NULL);
        SSL_CTX_set_max_proto_version(s12, TLS1_2_VERSION);
        printf("TLS 1.2 server\n");
        keel_test_pair(cctx, s12, &c, &s);
        int r;
        for (int i = 0; i < 4; i++) {
            r = SSL_read_early_data(s, buf, sizeof(buf), &n);
            outcome("server", "SSL_read_early_data", s, r, n);
            if (r == SSL_READ_EARLY_DATA_FINISH)
                break;
            r = SSL_do_handshake(c);
            outcome("client", "SSL_do_handshake", c, r, 0);
        }
        r = SSL_do_handshake(c);
        outcome("client", "SSL_do_handshake", c, r, 0);
        r = SSL_write_early_data(s, "x", 1, &n);
        outcome("server", "SSL_write_early_data after FINISH", s, r, n);
        SSL_SESSION_free(finish(c, s));
        logs();
        SSL_free(c);
        SSL_free(s);
        SSL_CTX_free(s12);
    }
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    keel_test_chain_free(&chain);
    return 0;
}
