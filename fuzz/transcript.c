/* Deterministic keel<->keel runs in memory, recorded (see transcript.h). */
#include "transcript.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

static keel_fuzz_transcript *cur;   /* the run in progress, for the callbacks */
static SSL *cur_ssl[2];

static void append(keel_fuzz_transcript *t, int side, const uint8_t *p, size_t n)
{
    if (t->wire_len[side] + n > t->wire_cap[side]) {
        size_t cap = (t->wire_len[side] + n) * 2;
        uint8_t *q = realloc(t->wire[side], cap);
        if (q == NULL)
            abort();
        t->wire[side] = q;
        t->wire_cap[side] = cap;
    }
    memcpy(t->wire[side] + t->wire_len[side], p, n);
    t->wire_len[side] += n;
}

static int side_of(const SSL *s)
{
    return s == cur_ssl[KEEL_FUZZ_SERVER] ? KEEL_FUZZ_SERVER : KEEL_FUZZ_CLIENT;
}

static void msg_cb(int write, int version, int type, const void *buf, size_t len, SSL *s, void *arg)
{
    keel_fuzz_transcript *t = cur;
    int side = side_of(s);

    if (t == NULL || !write || type != SSL3_RT_HANDSHAKE || t->nmsgs[side] == KEEL_FUZZ_MAX_MSGS)
        return;
    keel_fuzz_msg *m = &t->msgs[side][t->nmsgs[side]++];
    if ((m->data = malloc(len ? len : 1)) == NULL)
        abort();
    memcpy(m->data, buf, len);
    m->len = len;
}

static int unhex(const char *h, uint8_t *out, size_t max)
{
    size_t n = 0;
    while (h[0] && h[1] && n < max) {
        unsigned v;
        if (sscanf(h, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
        h += 2;
    }
    return (int)n;
}

void keel_fuzz_keylog(const SSL *s, const char *line)
{
    static const char *const label[2] = { "CLIENT_HANDSHAKE_TRAFFIC_SECRET ",
                                           "SERVER_HANDSHAKE_TRAFFIC_SECRET " };
    if (cur == NULL)
        return;
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(label[i]);
        const char *sp;
        if (strncmp(line, label[i], n) == 0 && (sp = strchr(line + n, ' ')) != NULL)
            cur->secret_len = (size_t)unhex(sp + 1, cur->hs_secret[i], sizeof(cur->hs_secret[i]));
    }
}

/* Moves what `from` wrote to `to`'s input, recording it. */
static void pump(keel_fuzz_transcript *t, int from, BIO *out, BIO *to_in)
{
    uint8_t buf[4096];
    int n;
    while ((n = BIO_read(out, buf, sizeof(buf))) > 0) {
        append(t, from, buf, (size_t)n);
        if (BIO_write(to_in, buf, n) != n)
            abort();
    }
}

typedef struct { SSL *s; BIO *in, *out; } end;

static void exchange(keel_fuzz_transcript *t, end *e)
{
    pump(t, KEEL_FUZZ_CLIENT, e[KEEL_FUZZ_CLIENT].out, e[KEEL_FUZZ_SERVER].in);
    pump(t, KEEL_FUZZ_SERVER, e[KEEL_FUZZ_SERVER].out, e[KEEL_FUZZ_CLIENT].in);
}

/* Reads whatever `side` has pending (application data is discarded). */
static void drain(keel_fuzz_transcript *t, end *e, int side)
{
    uint8_t buf[16384];
    keel_fuzz_rand_use(side);
    while (SSL_read(e[side].s, buf, sizeof(buf)) > 0)
        ;
    ERR_clear_error();
    exchange(t, e);
}

static void write_from(keel_fuzz_transcript *t, end *e, int side, size_t n)
{
    static uint8_t data[20000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)('a' + i % 26);
    keel_fuzz_rand_use(side);
    if (SSL_write(e[side].s, data, (int)n) != (int)n)
        abort();
    exchange(t, e);
    drain(t, e, !side);
}

int keel_fuzz_transcript_run(SSL_CTX *cctx, SSL_CTX *sctx, unsigned actions, keel_fuzz_transcript *t)
{
    return keel_fuzz_transcript_resume(cctx, sctx, NULL, actions, t);
}

int keel_fuzz_transcript_resume(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *offer, unsigned actions,
                                keel_fuzz_transcript *t)
{
    end e[2];

    memset(t, 0, sizeof(*t));
    cur = t;
    keel_fuzz_rand_reset(KEEL_FUZZ_CLIENT);
    e[0].s = keel_fuzz_ssl(cctx, 0, &e[0].in, &e[0].out);
    if (offer != NULL && !SSL_set_session(e[0].s, offer))
        abort();
    keel_fuzz_rand_use(KEEL_FUZZ_SERVER);
    e[1].s = keel_fuzz_ssl(sctx, 1, &e[1].in, &e[1].out);
    cur_ssl[0] = e[0].s;
    cur_ssl[1] = e[1].s;
    for (int i = 0; i < 2; i++)
        SSL_set_msg_callback(e[i].s, msg_cb);

    int done[2] = { 0, 0 }, early_read = !(actions & KEEL_FUZZ_ACT_EARLY);
    if (!early_read) {
        static const uint8_t early[16] = "early data 0rtt";
        size_t w = 0;
        keel_fuzz_rand_use(KEEL_FUZZ_CLIENT);
        if (SSL_write_early_data(e[0].s, early, sizeof(early), &w) != 1 || w != sizeof(early))
            done[1] = -1; /* no handshake: the recording fails */
        exchange(t, e);
    }
    for (int round = 0; round < 20 && done[1] >= 0 && !(done[0] && done[1]); round++) {
        for (int side = 0; side < 2; side++) {
            keel_fuzz_rand_use(side);
            if (side == KEEL_FUZZ_SERVER && !early_read) {
                /* The server reads early data until FINISH, as keel_fuzz_drive's server does. */
                uint8_t buf[256];
                size_t n;
                int r = SSL_read_early_data(e[1].s, buf, sizeof(buf), &n);
                if (r == SSL_READ_EARLY_DATA_FINISH)
                    early_read = 1;
                else if (r == SSL_READ_EARLY_DATA_ERROR && SSL_get_error(e[1].s, r) != SSL_ERROR_WANT_READ)
                    round = 20;
            } else if (!done[side]) {
                int r = SSL_do_handshake(e[side].s);
                if (r == 1)
                    done[side] = 1;
                else if (SSL_get_error(e[side].s, r) != SSL_ERROR_WANT_READ)
                    round = 20;
            }
            exchange(t, e);
        }
    }
    t->done = done[0] == 1 && done[1] == 1;
    t->cipher = SSL_get_current_cipher(e[0].s);
    if (t->done) {
        if (actions & KEEL_FUZZ_ACT_DATA) {
            write_from(t, e, KEEL_FUZZ_CLIENT, 5);
            write_from(t, e, KEEL_FUZZ_SERVER, 5);
        }
        if (actions & KEEL_FUZZ_ACT_BIG)
            write_from(t, e, KEEL_FUZZ_CLIENT, 20000);
        for (int side = 0; side < 2; side++) {
            if (!(actions & (side == 0 ? KEEL_FUZZ_ACT_KU_CLIENT : KEEL_FUZZ_ACT_KU_SERVER)))
                continue;
            keel_fuzz_rand_use(side);
            if (!SSL_key_update(e[side].s, SSL_KEY_UPDATE_REQUESTED))
                abort();
            write_from(t, e, side, 7);
            write_from(t, e, !side, 7); /* carries the answering KeyUpdate */
        }
        for (int side = 0; side < 2; side++) {
            if (!(actions & (side == 0 ? KEEL_FUZZ_ACT_RENEG_CLIENT : KEEL_FUZZ_ACT_RENEG_SERVER)))
                continue;
            keel_fuzz_rand_use(side);
            if (!SSL_renegotiate(e[side].s))
                abort();
            /* Each side reads (which runs the new handshake) until neither has one pending. */
            for (int round = 0; round < 10 && (SSL_renegotiate_pending(e[0].s)
                                                 || SSL_renegotiate_pending(e[1].s)); round++) {
                keel_fuzz_rand_use(side);
                (void)SSL_do_handshake(e[side].s);
                exchange(t, e);
                drain(t, e, !side);
                drain(t, e, side);
            }
            if (SSL_renegotiate_pending(e[0].s) || SSL_renegotiate_pending(e[1].s))
                t->done = 0;
            write_from(t, e, KEEL_FUZZ_CLIENT, 5); /* under the new keys */
            write_from(t, e, KEEL_FUZZ_SERVER, 5);
        }
        if (actions & KEEL_FUZZ_ACT_CLOSE) {
            for (int side = 0; side < 2; side++) {
                keel_fuzz_rand_use(side);
                (void)SSL_shutdown(e[side].s);
                exchange(t, e);
                drain(t, e, !side);
            }
        }
    }
    if (t->done)
        t->session = SSL_get1_session(e[0].s);
    else if (getenv("KEEL_FUZZ_VERBOSE") != NULL)
        ERR_print_errors_fp(stderr); /* why a recording failed */
    ERR_clear_error();
    cur = NULL;
    cur_ssl[0] = cur_ssl[1] = NULL;
    SSL_free(e[0].s);
    SSL_free(e[1].s);
    return t->done;
}

void keel_fuzz_transcript_free(keel_fuzz_transcript *t)
{
    for (int side = 0; side < 2; side++) {
        free(t->wire[side]);
        for (size_t i = 0; i < t->nmsgs[side]; i++)
            free(t->msgs[side][i].data);
    }
    SSL_SESSION_free(t->session);
    memset(t, 0, sizeof(*t));
}
