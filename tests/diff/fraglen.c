/* Differential probe (tests/diff/run.sh): fragment limits as the application and the wire see them,
 * on the system libssl and on keel's; the outputs must be identical.
 *   - the setters' return values and errors: SSL_CTX_/SSL_set_tlsext_max_fragment_length (RFC 6066
 *     §4 codes 1..4), max_send_fragment, split_send_fragment, max_pipelines (and the read_ahead it
 *     turns on), block padding, the record padding callback;
 *   - max_fragment_length negotiated in TLS 1.2 and TLS 1.3 for each value: what the sessions report
 *     and the length of every application-data record each side puts on the wire (read from the
 *     bytes between the two ends, not from either library), with max_send_fragment below and above
 *     the negotiated length;
 *   - resumption: the session keeps the value; offering another one, or none, on resumption;
 *   - a record longer than the negotiated length arriving (a client whose session says 512 that the
 *     server does not know about, made by editing the session's DER): the receiver's alert;
 *   - hostile values edited in flight: a ClientHello's unknown code, a TLS 1.2 ServerHello echoing
 *     another value or an unknown one (the alert and the reason);
 *   - TLS 1.3 record padding (RFC 8446 §5.4): block sizes and the callback (its arguments and what
 *     its answer does to the record), capped by the fragment limit. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "tls.h"

static keel_test_chain ec;
static SSL_CTX *sctx;   /* one server context for every connection: resumption needs its cache */

static void errs(const char *what)
{
    unsigned long e;
    printf("  %s errors:", what);
    while ((e = ERR_get_error()) != 0)
        printf(" %d:%d", ERR_GET_LIB(e), ERR_GET_REASON(e));
    printf("\n");
}

/* ---- a pump between two memory-BIO ends that records the records crossing it ---- */

typedef struct {
    SSL *ssl;
    BIO *rd, *wr;        /* the SSL's rbio (we write into it) and wbio (we drain it) */
    unsigned char acc[70000];
    size_t acc_len;
    int log;             /* print application-data record lengths leaving this end */
    char lens[4096];
} end;

/* A hostile edit in flight: the first max_fragment_length extension (type 1, length 1) with value
 * tamper_old in what the client (tamper_client) or the server sends gets tamper_new instead. Only
 * plaintext messages can be edited: the ClientHello and the TLS 1.2 ServerHello. */
static int tamper_on, tamper_client, tamper_old, tamper_new;

static void tamper(int from_client, unsigned char *p, int n)
{
    if (!tamper_on || from_client != tamper_client)
        return;
    for (int i = 0; i + 5 <= n; i++) {
        if (p[i] == 0 && p[i + 1] == 1 && p[i + 2] == 0 && p[i + 3] == 1 && p[i + 4] == tamper_old) {
            p[i + 4] = (unsigned char)tamper_new;
            tamper_on = 0;
            return;
        }
    }
}

/* Moves what `from` wrote into `to`'s read BIO, noting each complete record's header. */
static void move(end *from, end *to)
{
    char buf[20000];
    int n;
    while ((n = BIO_read(from->wr, buf, sizeof(buf))) > 0) {
        tamper(!SSL_is_server(from->ssl), (unsigned char *)buf, n);
        BIO_write(to->rd, buf, n);
        if (from->acc_len + (size_t)n <= sizeof(from->acc)) {
            memcpy(from->acc + from->acc_len, buf, (size_t)n);
            from->acc_len += (size_t)n;
        }
        while (from->acc_len >= 5) {
            size_t rl = ((size_t)from->acc[3] << 8) | from->acc[4];
            if (from->acc_len < 5 + rl)
                break;
            if (from->log && from->acc[0] == 23) {
                char one[16];
                snprintf(one, sizeof(one), " %zu", rl);
                if (strlen(from->lens) + strlen(one) < sizeof(from->lens))
                    strcat(from->lens, one);
            }
            memmove(from->acc, from->acc + 5 + rl, from->acc_len - 5 - rl);
            from->acc_len -= 5 + rl;
        }
    }
}

static int mkend(end *e, SSL *s)
{
    memset(e, 0, sizeof(*e));
    e->ssl = s;
    e->rd = BIO_new(BIO_s_mem());
    e->wr = BIO_new(BIO_s_mem());
    if (e->rd == NULL || e->wr == NULL)
        return 0;
    BIO_set_mem_eof_return(e->rd, -1);
    SSL_set_bio(s, e->rd, e->wr);
    return 1;
}

static int handshake(end *c, end *s)
{
    int cd = 0, sd = 0;
    for (int i = 0; i < 60 && !(cd && sd); i++) {
        if (!cd) {
            int r = SSL_do_handshake(c->ssl);
            if (r == 1)
                cd = 1;
            else if (SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ)
                return 0;
        }
        move(c, s);
        if (!sd) {
            int r = SSL_do_handshake(s->ssl);
            if (r == 1)
                sd = 1;
            else if (SSL_get_error(s->ssl, r) != SSL_ERROR_WANT_READ)
                return 0;
        }
        move(s, c);
    }
    return cd && sd;
}

/* `from` writes n bytes in one SSL_write; `to` reads them all. Returns bytes read, -1 on failure. */
static long transfer(end *from, end *to, size_t n)
{
    static unsigned char data[40000], got[40000];
    long total = 0;
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 7);
    from->log = 1;
    int w = SSL_write(from->ssl, data, (int)n);
    move(from, to);
    from->log = 0;
    if (w != (int)n)
        return -1;
    while ((size_t)total < n) {
        int r = SSL_read(to->ssl, got + total, (int)(n - (size_t)total));
        if (r <= 0)
            break;
        total += r;
    }
    move(to, from);   /* an alert the reader sent */
    if ((size_t)total == n && memcmp(data, got, n) != 0)
        return -2;
    return total;
}

static void print_lens(const char *who, end *e)
{
    printf("  %s records:%s\n", who, e->lens);
    e->lens[0] = 0;
}

/* ---- the setters ---- */

static void setters(void)
{
    static const int mfl[] = { 0, 1, 2, 3, 4, 5, 6, 255 };
    static const long frag[] = { 0, 1, 511, 512, 513, 4096, 16384, 16385, 65536, -1 };
    static const long split[] = { 0, 1, 511, 512, 1024, 1025, 16384, -1 };
    static const long pipes[] = { 0, 1, 2, 32, 33, -1 };
    static const size_t pad[] = { 0, 1, 2, 3, 512, 16384, 16385, 100000 };
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *s = SSL_new(ctx);

    printf("setters\n");
    for (size_t i = 0; i < sizeof(mfl) / sizeof(mfl[0]); i++) {
        printf(" max_fragment_length %d: ctx %d", mfl[i],
               SSL_CTX_set_tlsext_max_fragment_length(ctx, (uint8_t)mfl[i]));
        printf(" ssl %d\n", SSL_set_tlsext_max_fragment_length(s, (uint8_t)mfl[i]));
        errs("mfl");
    }
    for (size_t i = 0; i < sizeof(frag) / sizeof(frag[0]); i++) {
        printf(" max_send_fragment %ld: ctx %ld ssl %ld\n", frag[i],
               SSL_CTX_set_max_send_fragment(ctx, frag[i]), SSL_set_max_send_fragment(s, frag[i]));
        errs("msf");
    }
    SSL_CTX_set_max_send_fragment(ctx, 1024);
    SSL_set_max_send_fragment(s, 1024);
    for (size_t i = 0; i < sizeof(split) / sizeof(split[0]); i++) {
        printf(" split_send_fragment %ld (max 1024): ctx %ld ssl %ld\n", split[i],
               SSL_CTX_set_split_send_fragment(ctx, split[i]), SSL_set_split_send_fragment(s, split[i]));
        errs("ssf");
    }
    for (size_t i = 0; i < sizeof(pipes) / sizeof(pipes[0]); i++) {
        SSL_CTX *c2 = SSL_CTX_new(TLS_method());
        SSL *s2 = SSL_new(c2);
        printf(" max_pipelines %ld: ctx %ld ssl %ld", pipes[i], SSL_CTX_set_max_pipelines(c2, pipes[i]),
               SSL_set_max_pipelines(s2, pipes[i]));
        printf(" read_ahead ctx %ld ssl %d\n", SSL_CTX_get_read_ahead(c2), SSL_get_read_ahead(s2));
        SSL *s3 = SSL_new(c2);
        printf("  new SSL's read_ahead %d\n", SSL_get_read_ahead(s3));
        SSL_free(s3);
        SSL_free(s2);
        SSL_CTX_free(c2);
        errs("pipes");
    }
    for (size_t i = 0; i < sizeof(pad) / sizeof(pad[0]); i++) {
        printf(" block_padding %zu: ctx %d ssl %d\n", pad[i], SSL_CTX_set_block_padding(ctx, pad[i]),
               SSL_set_block_padding(s, pad[i]));
        errs("pad");
    }
    int dummy;
    SSL_CTX_set_record_padding_callback_arg(ctx, &dummy);
    printf(" padding arg kept %d\n", SSL_CTX_get_record_padding_callback_arg(ctx) == &dummy);
    printf(" set_record_padding_callback NULL %d\n", SSL_set_record_padding_callback(s, NULL));
    errs("end");
    SSL_free(s);
    SSL_CTX_free(ctx);
}

/* ---- connections ---- */

typedef struct {
    int version;         /* TLS1_2_VERSION / TLS1_3_VERSION */
    int cmfl, smfl;      /* the client's and the server's configured mode */
    long cmsf, smsf;     /* max_send_fragment, 0 = default */
    size_t cpad, spad;   /* block padding */
    int padcb;           /* client padding callback: returns this (or -1 = none) */
    SSL_SESSION *sess;   /* to resume */
} conf;

static void info_cb(const SSL *s, int where, int ret)
{
    if (where & SSL_CB_ALERT)
        printf("  %s alert %s %s:%s\n", SSL_is_server((SSL *)s) ? "S" : "C",
               (where & SSL_CB_READ) ? "read" : "write", SSL_alert_type_string(ret),
               SSL_alert_desc_string_long(ret));
}

static int padcb_ret;
static char padlog[4096];

static size_t pad_cb(SSL *s, int type, size_t len, void *arg)
{
    (void)s;
    if (type == SSL3_RT_APPLICATION_DATA && strlen(padlog) < sizeof(padlog) - 40) {
        char one[40];
        snprintf(one, sizeof(one), " (%d,%zu,%s)", type, len, arg == &padcb_ret ? "arg" : "?");
        strcat(padlog, one);
    }
    return (size_t)padcb_ret;
}

static SSL_SESSION *run(const char *title, const conf *k, const size_t *sizes, size_t nsizes)
{
    SSL_CTX *cctx = keel_test_client_ctx(&ec);
    SSL *c, *s;
    end ce, se;
    SSL_SESSION *out = NULL;

    printf("%s\n", title);
    SSL_CTX_set_min_proto_version(cctx, k->version);
    SSL_CTX_set_max_proto_version(cctx, k->version);
    SSL_CTX_set_info_callback(cctx, info_cb);
    if (k->cmfl >= 0)
        SSL_CTX_set_tlsext_max_fragment_length(cctx, (uint8_t)k->cmfl);
    if (k->cmsf)
        SSL_CTX_set_max_send_fragment(cctx, k->cmsf);
    if (k->cpad)
        SSL_CTX_set_block_padding(cctx, k->cpad);
    if (k->padcb >= 0) {
        padcb_ret = k->padcb;
        SSL_CTX_set_record_padding_callback(cctx, pad_cb);
        SSL_CTX_set_record_padding_callback_arg(cctx, &padcb_ret);
    }
    c = SSL_new(cctx);
    s = SSL_new(sctx);
    if (c == NULL || s == NULL)
        return NULL;
    SSL_set_info_callback(s, info_cb);
    if (k->smfl >= 0)
        SSL_set_tlsext_max_fragment_length(s, (uint8_t)k->smfl);
    if (k->smsf)
        SSL_set_max_send_fragment(s, k->smsf);
    if (k->spad)
        SSL_set_block_padding(s, k->spad);
    if (!mkend(&ce, c) || !mkend(&se, s))
        return NULL;
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    if (k->sess != NULL)
        SSL_set_session(c, k->sess);
    ERR_clear_error();
    if (!handshake(&ce, &se)) {
        printf("  handshake failed\n");
        errs("both ends'");
        goto done;
    }
    printf("  version %s reused %d mfl client %d server %d\n", SSL_get_version(c), SSL_session_reused(c),
           SSL_SESSION_get_max_fragment_length(SSL_get_session(c)),
           SSL_SESSION_get_max_fragment_length(SSL_get_session(s)));
    for (size_t i = 0; i < nsizes; i++) {
        padlog[0] = 0;
        long n = transfer(&ce, &se, sizes[i]);
        printf("  c->s %zu: read %ld\n", sizes[i], n);
        print_lens("client", &ce);
        if (padlog[0] != 0)
            printf("  padding callback:%s\n", padlog);
        if (n != (long)sizes[i]) {
            errs("server");
            break;
        }
        n = transfer(&se, &ce, sizes[i]);
        printf("  s->c %zu: read %ld\n", sizes[i], n);
        print_lens("server", &se);
        if (n != (long)sizes[i]) {
            errs("client");
            break;
        }
    }
    /* TLS 1.3: the ticket arrived with the first read; TLS 1.2: the session. */
    out = SSL_get1_session(c);
    /* A connection freed without close_notify would lose its session (SSL_free(3)). */
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
done:
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    return out;
}

/* DER length at p (short form or 0x81/0x82): its value, and the header size in *hl. */
static size_t der_len(const unsigned char *p, size_t *hl)
{
    if (p[1] < 0x80) {
        *hl = 2;
        return p[1];
    }
    if (p[1] == 0x81) {
        *hl = 3;
        return p[2];
    }
    *hl = 4;
    return ((size_t)p[2] << 8) | p[3];
}

/* The session's DER with a max_fragment_len_mode field ([17] INTEGER) of `mode` inserted in tag
 * order (before [18] / [19]). */
static SSL_SESSION *with_mfl(SSL_SESSION *sess, int mode)
{
    unsigned char der[8192], out[8192], *p = der;
    const unsigned char *q;
    int n = i2d_SSL_SESSION(sess, NULL);
    size_t hl, body, off, o = 4;
    if (n <= 0 || n > (int)sizeof(der) - 16)
        return NULL;
    i2d_SSL_SESSION(sess, &p);
    body = der_len(der, &hl);
    off = hl;
    while (off < hl + body) {
        size_t ehl, el = der_len(der + off, &ehl);
        if (der[off] >= 0xb2 && der[off] <= 0xbf)
            break;
        memcpy(out + o, der + off, ehl + el);
        o += ehl + el;
        off += ehl + el;
    }
    unsigned char add[] = { 0xb1, 0x03, 0x02, 0x01, (unsigned char)mode };
    memcpy(out + o, add, sizeof(add));
    o += sizeof(add);
    memcpy(out + o, der + off, hl + body - off);
    o += hl + body - off;
    out[0] = 0x30;
    out[1] = 0x82;
    out[2] = (unsigned char)((o - 4) >> 8);
    out[3] = (unsigned char)(o - 4);
    q = out;
    return d2i_SSL_SESSION(NULL, &q, (long)o);
}

int main(int argc, char **argv)
{
    static const size_t bulk[] = { 1, 511, 512, 513, 5000, 16384, 20000 };
    static const size_t few[] = { 3000 };
    static const size_t padsz[] = { 1, 15, 16, 100, 511, 1000, 16383, 16384 };
    static const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };
    char title[200];

    if (argc > 1 && strcmp(argv[1], "--which") == 0) {
        Dl_info di;
        if (!dladdr((void *)SSL_new, &di))
            return 1;
        printf("%s\n", di.dli_fname);
        return 0;
    }
    if (!keel_test_make_chain(&ec, KT_EC_P256, "localhost", 30))
        return 1;
    setters();
    if ((sctx = keel_test_server_ctx(&ec)) == NULL)
        return 1;
    SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_session_id_context(sctx, (const unsigned char *)"frag", 4);

    for (size_t v = 0; v < 2; v++) {
        const char *vn = versions[v] == TLS1_2_VERSION ? "1.2" : "1.3";
        for (int m = 0; m <= 4; m++) {
            conf k = { versions[v], m, -1, 0, 0, 0, 0, -1, NULL };
            snprintf(title, sizeof(title), "TLS %s mfl %d", vn, m);
            SSL_SESSION *sess = run(title, &k, bulk, sizeof(bulk) / sizeof(bulk[0]));
            if (sess == NULL)
                continue;
            printf("  session mfl %d\n", SSL_SESSION_get_max_fragment_length(sess));
            SSL_SESSION_free(sess);
            /* resumption offering the same value, another, none: each from a fresh session (a
             * failed resumption makes its session unresumable) */
            for (int r = 0; r <= 4; r++) {
                snprintf(title, sizeof(title), "TLS %s mfl %d for resumption", vn, m);
                SSL_SESSION *first = run(title, &k, few, 1);
                conf kr = k;
                kr.cmfl = r;
                kr.sess = first;
                snprintf(title, sizeof(title), "TLS %s mfl %d resumed offering %d", vn, m, r);
                SSL_SESSION *s2 = run(title, &kr, few, 1);
                if (s2 != NULL)
                    printf("  new session mfl %d\n", SSL_SESSION_get_max_fragment_length(s2));
                SSL_SESSION_free(s2);
                SSL_SESSION_free(first);
            }
        }
        /* max_send_fragment and max_fragment_length together */
        {
            conf k = { versions[v], 2, -1, 700, 3000, 0, 0, -1, NULL };
            snprintf(title, sizeof(title), "TLS %s mfl 1024, max_send_fragment 700 / 3000", vn);
            SSL_SESSION_free(run(title, &k, few, 1));
            conf k2 = { versions[v], 0, -1, 600, 513, 0, 0, -1, NULL };
            snprintf(title, sizeof(title), "TLS %s no mfl, max_send_fragment 600 / 513", vn);
            SSL_SESSION_free(run(title, &k2, bulk, sizeof(bulk) / sizeof(bulk[0])));
            conf k3 = { versions[v], 0, 3, 0, 0, 0, 0, -1, NULL };
            snprintf(title, sizeof(title), "TLS %s only the server configures mfl 2048", vn);
            SSL_SESSION_free(run(title, &k3, few, 1));
        }
        /* An oversized record arriving: the client's session claims 512 that the server never
         * agreed (TLS 1.2 resumption by session id, the extension not sent). */
        if (versions[v] == TLS1_2_VERSION) {
            conf k = { versions[v], 0, -1, 0, 0, 0, 0, -1, NULL };
            SSL_SESSION *sess = run("TLS 1.2 session to edit", &k, few, 1);
            SSL_SESSION *ed = sess != NULL ? with_mfl(sess, 1) : NULL;
            printf(" edited session mfl %d\n", ed != NULL ? SSL_SESSION_get_max_fragment_length(ed) : -1);
            if (ed != NULL) {
                conf kr = k;
                kr.sess = ed;
                SSL_SESSION_free(run("TLS 1.2 resumed with a 512 the server does not know", &kr, bulk, 5));
            }
            SSL_SESSION_free(ed);
            SSL_SESSION_free(sess);
        }
    }

    /* Hostile values (RFC 6066 §4): a ClientHello asking for an unknown code, a TLS 1.2 server
     * echoing another value than the one asked for, or an unknown one: illegal_parameter. */
    static const struct { int version, client, old, new_; const char *what; } bad[] = {
        { TLS1_2_VERSION, 1, 1, 0, "ClientHello code 0" },
        { TLS1_2_VERSION, 1, 1, 5, "ClientHello code 5" },
        { TLS1_3_VERSION, 1, 1, 0, "ClientHello code 0" },
        { TLS1_3_VERSION, 1, 2, 255, "ClientHello code 255" },
        { TLS1_2_VERSION, 0, 1, 2, "ServerHello echoes 2 for 1" },
        { TLS1_2_VERSION, 0, 3, 7, "ServerHello echoes 7 for 3" },
        { TLS1_2_VERSION, 0, 4, 0, "ServerHello echoes 0 for 4" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        conf k = { bad[i].version, bad[i].old, -1, 0, 0, 0, 0, -1, NULL };
        snprintf(title, sizeof(title), "TLS %s hostile: %s", bad[i].version == TLS1_2_VERSION ? "1.2" : "1.3",
                 bad[i].what);
        tamper_on = 1;
        tamper_client = bad[i].client;
        tamper_old = bad[i].old;
        tamper_new = bad[i].new_;
        SSL_SESSION_free(run(title, &k, few, 1));
        printf("  edited %d\n", !tamper_on);
        tamper_on = 0;
    }

    /* TLS 1.3 record padding */
    static const size_t blocks[] = { 1, 16, 64, 1000, 4096, 16384 };
    for (size_t b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++) {
        conf k = { TLS1_3_VERSION, 0, -1, 0, 0, blocks[b], blocks[b], -1, NULL };
        snprintf(title, sizeof(title), "TLS 1.3 block padding %zu", blocks[b]);
        SSL_SESSION_free(run(title, &k, padsz, sizeof(padsz) / sizeof(padsz[0])));
    }
    {
        conf k = { TLS1_3_VERSION, 1, -1, 0, 0, 4096, 4096, -1, NULL };
        SSL_SESSION_free(run("TLS 1.3 block padding 4096 with mfl 512", &k, padsz, 6));
        conf k2 = { TLS1_3_VERSION, 0, -1, 1000, 0, 0, 0, 100000, NULL };
        SSL_SESSION_free(run("TLS 1.3 padding callback 100000, max_send_fragment 1000", &k2, padsz, 7));
        static const int rets[] = { 0, 1, 7, 300 };
        for (size_t i = 0; i < 4; i++) {
            conf k3 = { TLS1_3_VERSION, 0, -1, 0, 0, 0, 0, rets[i], NULL };
            snprintf(title, sizeof(title), "TLS 1.3 padding callback %d", rets[i]);
            SSL_SESSION_free(run(title, &k3, padsz, sizeof(padsz) / sizeof(padsz[0])));
        }
        conf k4 = { TLS1_3_VERSION, 0, -1, 0, 0, 64, 0, 5, NULL };
        SSL_SESSION_free(run("TLS 1.3 padding callback 5 and block 64: the callback wins", &k4, padsz, 4));
        conf k5 = { TLS1_2_VERSION, 0, -1, 0, 0, 64, 64, 5, NULL };
        SSL_SESSION_free(run("TLS 1.2 padding set: no effect", &k5, padsz, 4));
    }
    SSL_CTX_free(sctx);
    keel_test_chain_free(&ec);
    return 0;
}
