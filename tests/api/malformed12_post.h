/* Hostile TLS 1.2 peers after a real handshake (malformed12_cbc.c, malformed12_reneg.c): a keel
 * (or, built against the system header, OpenSSL) client and server complete a TLS 1.2 handshake
 * over memory BIOs, the test learns the key block from the key log (malformed12.h), then plays
 * one side itself: it writes records the victim reads. post_expect checks what expect12 checks
 * (SSL_ERROR_SSL, OpenSSL's reason on the error stack, one fatal alert as the last record,
 * nothing written after it), the alert opened by a function of the caller's record layer. */
#ifndef KEEL_TEST_MALFORMED12_POST_H
#define KEEL_TEST_MALFORMED12_POST_H
#include "malformed12.h"

typedef pair post_pair;  /* malformed.h's: s[], in[], out[] by MF_CLIENT, MF_SERVER */

/* Moves what `from` wrote to `to`'s input. */
static void post_move(post_pair *p, int from)
{
    buf b = { 0 };
    drain(p->out[from], &b);
    if (b.n > 0 && BIO_write(p->in[!from], b.p, (int)b.n) != (int)b.n)
        abort();
    b_free(&b);
}

/* A full handshake on the two contexts; 1 when both ends finished it in TLS 1.2. */
static int post_handshake(post_pair *p, SSL_CTX *cctx, SSL_CTX *sctx, void (*setup)(SSL *c, SSL *s))
{
    int done[2] = { 0, 0 };
    nkeys = 0;
    p->s[MF_CLIENT] = new_end(cctx, 0, &p->in[MF_CLIENT], &p->out[MF_CLIENT]);
    p->s[MF_SERVER] = new_end(sctx, 1, &p->in[MF_SERVER], &p->out[MF_SERVER]);
    if (setup != NULL)
        setup(p->s[MF_CLIENT], p->s[MF_SERVER]);
    for (int round = 0; round < 20 && !(done[0] && done[1]); round++) {
        for (int k = 0; k < 2; k++) {
            if (!done[k]) {
                int r = SSL_do_handshake(p->s[k]);
                if (r == 1)
                    done[k] = 1;
                else if (SSL_get_error(p->s[k], r) != SSL_ERROR_WANT_READ)
                    return 0;
            }
            post_move(p, k);
        }
    }
    return done[0] && done[1] && SSL_version(p->s[MF_CLIENT]) == TLS1_2_VERSION;
}

static void post_free(post_pair *p)
{
    SSL_free(p->s[MF_CLIENT]);
    SSL_free(p->s[MF_SERVER]);
}

/* The key block (RFC 5246 §6.3) of the connection, from the key log. */
static int post_key_block(SSL *client, uint8_t *kb, size_t n)
{
    const uint8_t *master = master12(client);
    return master != NULL && key_block12(client, master, kb, n);
}

/* Opens one protected record of the victim's: 1 and its content (len) if it opens. */
typedef int (*post_open_fn)(const void *key, uint64_t seq, const uint8_t *rec, size_t rlen,
                            uint8_t *out, size_t *len);

typedef struct {
    const char *name;
    int alert;       /* the fatal alert expected */
    int reason;      /* OpenSSL's reason */
} post_want;

/* The victim v has been given the records; `app`: it is called through SSL_read (else
 * SSL_do_handshake). Its alert opens with `open` under `wkey`, sequence numbers 0..7. */
static void post_expect(const char *label, const post_want *t, SSL *v, BIO *out, int app,
                        post_open_fn open, const void *wkey)
{
    char who[160];
    buf w = { 0 };
    int r, found = 0, level = -1, desc = -1, last = 0;
    static uint8_t tmp[20000];

    snprintf(who, sizeof(who), "%s %s", label, t->name);
    ERR_clear_error();
    r = step(v, app);
    if (!mf_failed(who, v, r, SSL_get_error(v, r)))
        return;
    mf_check_reason(who, t->reason, 0);
    drain(out, &w);
    rawrec rr[16];
    size_t nr = split_records(w.p, w.n, rr, 16);
    for (size_t i = 0; i < nr; i++) {
        size_t len;
        int is_alert = 0;
        if (rr[i].type != 21)
            continue;
        for (uint64_t seq = 0; seq < 8 && !is_alert && rr[i].len < sizeof(tmp); seq++)
            is_alert = open(wkey, seq, rr[i].rec, rr[i].len, tmp, &len) && len == 2;
        if (is_alert) {
            found++;
            level = tmp[0];
            desc = tmp[1];
            last = i + 1 == nr;
        }
    }
    mf_check_alert(who, t->alert, found, level, desc, last);
    b_free(&w);
    mf_check_quiet(who, v, out, 0);
}
#endif
