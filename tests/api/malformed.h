/* The harness of the hostile-peer tests (issue #6): table-driven cases of crafted handshake
 * messages and records; malformed.c has the keel server as the victim, malformed_client.c the keel
 * client. (A header, not a .c file: every .c in tests/api/ is a test program of its own.)
 * For every case the victim must fail with SSL_ERROR_SSL, put the reason OpenSSL 3.0 reports on
 * the error stack, send exactly the alert RFC 8446 prescribes (level fatal; read back from what
 * it wrote, decrypted where it was protected) as its last record, and write nothing after it,
 * whatever it is called with next.
 *
 * How the crafted input is made: a real keel client and keel server run in memory (one pair per
 * case, TLS_AES_128_GCM_SHA256, mutual authentication); the flight under test — the ClientHello,
 * the server's flight, the client's second flight, or records after the handshake — is taken
 * apart (protected records are opened with the sender's traffic secrets, which the key log
 * callback gives away), the case's crafting function writes a replacement from it (re-sealed with
 * the same keys), and that is what the victim reads instead. */
#ifndef KEEL_TEST_MALFORMED_H
#define KEEL_TEST_MALFORMED_H

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tls.h"

/* Each test program uses part of this harness. */
#pragma GCC diagnostic ignored "-Wunused-function"
/* The case tables leave trailing fields (keel_reason, setup, known_bug) out. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

enum { MF_CLIENT = 0, MF_SERVER = 1 };
/* Which flight a case crafts (and so who the victim is). */
enum {
    MF_AT_CH,       /* the ClientHello; the server reads it */
    MF_AT_SF,       /* the server's flight (ServerHello .. Finished); the client reads it */
    MF_AT_CF,       /* the client's second flight (Certificate .. Finished); the server reads it */
    MF_AT_APP_S,    /* records after the handshake, client to server; the server reads them */
    MF_AT_APP_C,    /* records after the handshake (and the tickets), server to client */
    MF_AT_CH2,      /* the second ClientHello, after a HelloRetryRequest; the server reads it
                     * (the case's setup must make the server ask for another share) */
};

#define MF_MAX_MSGS 16
#define MF_MAX_EXTS 40

typedef struct { uint8_t *p; size_t n, cap; } buf;

/* Record protection: key, iv and the next sequence number. */
typedef struct { uint8_t key[16], iv[12]; uint64_t seq; } prot;

typedef struct {
    uint8_t type;
    uint8_t *body;
    size_t len;
    int enc;        /* it came protected */
} msg;

/* A flight taken apart, and what the case writes instead (out). */
typedef struct {
    msg m[MF_MAX_MSGS];
    int n;
    int ccs;        /* the original had a change_cipher_spec before its protected part */
    int ccs_done;   /* out has it already */
    prot wp;        /* the sender's write protection, for re-sealing */
    buf out;
} flight;

typedef struct { uint16_t type; const uint8_t *p; size_t n; } ext;
/* A hello / EncryptedExtensions / CertificateRequest: what precedes the extensions, and them. */
typedef struct {
    const uint8_t *pre;
    size_t pre_len;
    ext e[MF_MAX_EXTS];
    int ne;
} hello;

typedef struct {
    const char *name;
    int at;                         /* MF_AT_* */
    void (*craft)(flight *f);       /* writes f->out from the parsed original */
    int alert;                      /* the alert description expected; -1: no alert at all */
    int reason;                     /* OpenSSL's reason code, expected on the error stack */
    int keel_reason;                /* non-zero: keel's reason, a known difference from OpenSSL's */
    void (*setup)(SSL *client, SSL *server);  /* optional, before the handshake */
    const char *known_bug;          /* non-NULL: expected to fail until the bug is fixed */
    void (*check)(SSL *victim);     /* optional, after the failure: what the victim must not hold */
} mf_case;

static int mf_failures, mf_differences;

static keel_test_chain mf_chain;
static SSL_CTX *mf_sctx, *mf_cctx;

/* ---- growable buffers ------------------------------------------------------------------------ */

static void b_put(buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = (b->n + n) * 2 + 64;
        uint8_t *q = realloc(b->p, cap);
        if (q == NULL)
            abort();
        b->p = q;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void b_u8(buf *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    b_put(b, &x, 1);
}

static void b_u16(buf *b, unsigned v)
{
    b_u8(b, v >> 8);
    b_u8(b, v);
}

static void b_u24(buf *b, size_t v)
{
    b_u8(b, (unsigned)(v >> 16));
    b_u16(b, (unsigned)v);
}

static void b_free(buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* ---- the key log: every traffic secret of every SSL ------------------------------------------ */

#define MAX_KEYS 32
static struct {
    const SSL *s;
    char label[48];
    uint8_t secret[64];
    size_t len;
} keys[MAX_KEYS];
static int nkeys;

static void keylog(const SSL *s, const char *line)
{
    const char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (sp2 == NULL || nkeys == MAX_KEYS || (size_t)(sp1 - line) >= sizeof(keys[0].label))
        return;
    keys[nkeys].s = s;
    memcpy(keys[nkeys].label, line, (size_t)(sp1 - line));
    keys[nkeys].label[sp1 - line] = 0;
    int n = keel_test_unhex(sp2 + 1, keys[nkeys].secret, sizeof(keys[nkeys].secret));
    if (n <= 0)
        return;
    keys[nkeys].len = (size_t)n;
    nkeys++;
}

static const uint8_t *secret_of(const SSL *s, const char *label)
{
    for (int i = 0; i < nkeys; i++)
        if (keys[i].s == s && strcmp(keys[i].label, label) == 0 && keys[i].len == 32)
            return keys[i].secret;
    return NULL;
}

/* ---- TLS 1.3 record protection for TLS_AES_128_GCM_SHA256 (RFC 8446 §5.2, §5.3, §7.3) -------- */

/* HKDF-Expand-Label(secret, label, "", len) for len <= 32: a single HMAC-SHA256 block. */
static int expand_label(const uint8_t *secret, const char *label, uint8_t *out, size_t len)
{
    uint8_t info[80], t[32];
    size_t n = 0, ll = strlen(label), tl = 0;
    info[n++] = 0;
    info[n++] = (uint8_t)len;
    info[n++] = (uint8_t)(6 + ll);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, ll);
    n += ll;
    info[n++] = 0;  /* empty context */
    info[n++] = 1;  /* T(1) = HMAC(PRK, info || 0x01) */
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, 32, info, n, t, sizeof(t), &tl) == NULL)
        return 0;
    memcpy(out, t, len);
    return 1;
}

static int prot_init(prot *p, const uint8_t *secret)
{
    memset(p, 0, sizeof(*p));
    return secret != NULL && expand_label(secret, "key", p->key, 16) && expand_label(secret, "iv", p->iv, 12);
}

static void make_nonce(const prot *p, uint64_t seq, uint8_t nonce[12])
{
    memcpy(nonce, p->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
}

static void seal_record(prot *p, buf *out, uint8_t inner_type, const void *data, size_t len, size_t pad)
{
    size_t inner = len + 1 + pad;
    uint8_t hdr[5] = { 23, 3, 3, (uint8_t)((inner + 16) >> 8), (uint8_t)(inner + 16) };
    uint8_t nonce[12], *pt = calloc(1, inner + 16), *ct = malloc(inner + 16);
    int outl = 0, fl = 0;
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();

    if (pt == NULL || ct == NULL || x == NULL)
        abort();
    if (len > 0)
        memcpy(pt, data, len);
    pt[len] = inner_type;
    make_nonce(p, p->seq++, nonce);
    if (!EVP_EncryptInit_ex(x, EVP_aes_128_gcm(), NULL, p->key, nonce)
            || !EVP_EncryptUpdate(x, NULL, &outl, hdr, 5)
            || !EVP_EncryptUpdate(x, ct, &outl, pt, (int)inner)
            || !EVP_EncryptFinal_ex(x, ct + outl, &fl)
            || !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, ct + inner))
        abort();
    b_put(out, hdr, 5);
    b_put(out, ct, inner + 16);
    EVP_CIPHER_CTX_free(x);
    free(pt);
    free(ct);
}

/* Opens one protected record (header included) sealed with sequence number seq: 1 and the inner
 * type and content (padding removed), or 0. */
static int open_record(const prot *p, uint64_t seq, const uint8_t *rec, size_t rlen, uint8_t *type,
                       uint8_t *out, size_t *olen)
{
    uint8_t nonce[12];
    int outl = 0, fl = 0, ok;
    if (rlen < 5 + 17)
        return 0;
    size_t clen = rlen - 5 - 16;
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    make_nonce(p, seq, nonce);
    ok = x != NULL && EVP_DecryptInit_ex(x, EVP_aes_128_gcm(), NULL, p->key, nonce)
        && EVP_DecryptUpdate(x, NULL, &outl, rec, 5)
        && EVP_DecryptUpdate(x, out, &outl, rec + 5, (int)clen)
        && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, 16, (void *)(rec + 5 + clen))
        && EVP_DecryptFinal_ex(x, out + outl, &fl) > 0;
    EVP_CIPHER_CTX_free(x);
    if (!ok)
        return 0;
    while (clen > 0 && out[clen - 1] == 0)
        clen--;
    if (clen == 0)
        return 0;
    *type = out[clen - 1];
    *olen = clen - 1;
    return 1;
}

/* ---- records and flights --------------------------------------------------------------------- */

typedef struct {
    uint8_t type;
    const uint8_t *rec;  /* header included */
    size_t len;          /* of the whole record */
} rawrec;

static size_t split_records(const uint8_t *p, size_t n, rawrec *r, size_t max)
{
    size_t k = 0, off = 0;
    while (off + 5 <= n && k < max) {
        size_t len = (size_t)p[off + 3] << 8 | p[off + 4];
        if (off + 5 + len > n)
            break;
        r[k].type = p[off];
        r[k].rec = p + off;
        r[k].len = 5 + len;
        k++;
        off += 5 + len;
    }
    return k;
}

/* Appends the handshake messages of b (concatenated, as reassembled from records) to f; `enc`:
 * they came protected. 0 if the last one runs past the end. */
static int add_msgs(flight *f, const buf *b, int enc)
{
    size_t off = 0;
    while (off + 4 <= b->n && f->n < MF_MAX_MSGS) {
        size_t len = (size_t)b->p[off + 1] << 16 | (size_t)b->p[off + 2] << 8 | b->p[off + 3];
        if (off + 4 + len > b->n)
            return 0;
        msg *m = &f->m[f->n++];
        m->type = b->p[off];
        m->len = len;
        m->body = malloc(len + 1);
        if (m->body == NULL)
            abort();
        memcpy(m->body, b->p + off + 4, len);
        m->enc = enc;
        off += 4 + len;
    }
    return 1;
}

/* Takes a flight apart: plaintext handshake records, change_cipher_spec, and records protected
 * under the sender's handshake secret (seq from 0). 1 on success. */
static int flight_parse(flight *f, const uint8_t *p, size_t n, const uint8_t *secret)
{
    rawrec r[64];
    size_t nr = split_records(p, n, r, 64);
    buf plain = { 0 }, enc = { 0 };
    static uint8_t tmp[20000];
    prot rd;
    int ok = 1;

    if (secret != NULL && !prot_init(&rd, secret))
        return 0;
    for (size_t i = 0; i < nr; i++) {
        if (r[i].type == 22) {
            b_put(&plain, r[i].rec + 5, r[i].len - 5);
        } else if (r[i].type == 20) {
            f->ccs = 1;
        } else if (r[i].type == 23 && secret != NULL) {
            uint8_t type;
            size_t len;
            if (!open_record(&rd, rd.seq++, r[i].rec, r[i].len, &type, tmp, &len) || type != 22) {
                ok = 0;
                break;
            }
            b_put(&enc, tmp, len);
        }
    }
    ok = ok && add_msgs(f, &plain, 0) && add_msgs(f, &enc, 1);
    b_free(&plain);
    b_free(&enc);
    if (secret != NULL)
        ok = ok && prot_init(&f->wp, secret);
    return ok;
}

static void flight_free(flight *f)
{
    for (int i = 0; i < f->n; i++)
        free(f->m[i].body);
    b_free(&f->out);
    memset(f, 0, sizeof(*f));
}

static int find_msg(const flight *f, uint8_t type)
{
    for (int i = 0; i < f->n; i++)
        if (f->m[i].type == type)
            return i;
    return -1;
}

static void put_plain(flight *f, uint8_t type, const void *p, size_t n)
{
    b_u8(&f->out, type);
    b_u16(&f->out, 0x0303);
    b_u16(&f->out, (unsigned)n);
    b_put(&f->out, p, n);
}

static void put_enc(flight *f, uint8_t inner, const void *p, size_t n)
{
    seal_record(&f->wp, &f->out, inner, p, n, 0);
}

static void put_ccs(flight *f)
{
    static const uint8_t one = 1;
    put_plain(f, 20, &one, 1);
    f->ccs_done = 1;
}

static void put_hs(flight *f, int enc, uint8_t type, const void *body, size_t n)
{
    buf m = { 0 };
    b_u8(&m, type);
    b_u24(&m, n);
    b_put(&m, body, n);
    if (enc) {
        if (f->ccs && !f->ccs_done)
            put_ccs(f);
        put_enc(f, 22, m.p, m.n);
    } else {
        put_plain(f, 22, m.p, m.n);
    }
    b_free(&m);
}

static void put_orig(flight *f, int i)
{
    if (i >= 0 && i < f->n)
        put_hs(f, f->m[i].enc, f->m[i].type, f->m[i].body, f->m[i].len);
}

static void put_orig_range(flight *f, int from, int to)
{
    for (int i = from; i < to && i < f->n; i++)
        put_orig(f, i);
}

/* ---- extension blocks ------------------------------------------------------------------------ */

static int hello_parse(hello *h, const msg *m)
{
    size_t off = 0, len = m->len;
    const uint8_t *p = m->body;

    memset(h, 0, sizeof(*h));
    switch (m->type) {
    case 1: /* ClientHello: version, random, session id, suites, compression */
        off = 2 + 32;
        if (off >= len) return 0;
        off += 1 + p[off];
        if (off + 2 > len) return 0;
        off += 2 + ((size_t)p[off] << 8 | p[off + 1]);
        if (off >= len) return 0;
        off += 1 + p[off];
        break;
    case 2: /* ServerHello: version, random, session id echo, suite, compression */
        off = 2 + 32;
        if (off >= len) return 0;
        off += 1 + p[off] + 3;
        break;
    case 13: /* CertificateRequest: context */
        off = 1 + (len ? p[0] : 0);
        break;
    default: /* EncryptedExtensions */
        off = 0;
    }
    if (off + 2 > len)
        return 0;
    h->pre = p;
    h->pre_len = off;
    size_t end = off + 2 + ((size_t)p[off] << 8 | p[off + 1]);
    if (end != len)
        return 0;
    for (off += 2; off + 4 <= end && h->ne < MF_MAX_EXTS; h->ne++) {
        h->e[h->ne].type = (uint16_t)(p[off] << 8 | p[off + 1]);
        h->e[h->ne].n = (size_t)p[off + 2] << 8 | p[off + 3];
        h->e[h->ne].p = p + off + 4;
        off += 4 + h->e[h->ne].n;
    }
    return off == end;
}

static void hello_build(const hello *h, buf *out)
{
    size_t total = 0;
    b_put(out, h->pre, h->pre_len);
    for (int i = 0; i < h->ne; i++)
        total += 4 + h->e[i].n;
    b_u16(out, (unsigned)total);
    for (int i = 0; i < h->ne; i++) {
        b_u16(out, h->e[i].type);
        b_u16(out, (unsigned)h->e[i].n);
        b_put(out, h->e[i].p, h->e[i].n);
    }
}

static int ext_find(const hello *h, uint16_t type)
{
    for (int i = 0; i < h->ne; i++)
        if (h->e[i].type == type)
            return i;
    return -1;
}

static void ext_del(hello *h, uint16_t type)
{
    int i = ext_find(h, type);
    if (i < 0)
        return;
    memmove(&h->e[i], &h->e[i + 1], (size_t)(h->ne - i - 1) * sizeof(h->e[0]));
    h->ne--;
}

static void ext_add(hello *h, uint16_t type, const void *p, size_t n)
{
    if (h->ne == MF_MAX_EXTS)
        abort();
    h->e[h->ne].type = type;
    h->e[h->ne].p = p;
    h->e[h->ne].n = n;
    h->ne++;
}

/* Inserts before position `at` (extensions keel wants last, like pre_shared_key, stay last). */
static void ext_insert(hello *h, int at, uint16_t type, const void *p, size_t n)
{
    if (h->ne == MF_MAX_EXTS || at < 0 || at > h->ne)
        abort();
    memmove(&h->e[at + 1], &h->e[at], (size_t)(h->ne - at) * sizeof(h->e[0]));
    h->e[at].type = type;
    h->e[at].p = p;
    h->e[at].n = n;
    h->ne++;
}

static void ext_set(hello *h, uint16_t type, const void *p, size_t n)
{
    int i = ext_find(h, type);
    if (i < 0) {
        ext_add(h, type, p, n);
        return;
    }
    h->e[i].p = p;
    h->e[i].n = n;
}

/* The message at index i rebuilt from h, into f->out, protected as the original was. */
static void put_hello(flight *f, int i, const hello *h)
{
    buf b = { 0 };
    hello_build(h, &b);
    put_hs(f, f->m[i].enc, f->m[i].type, b.p, b.n);
    b_free(&b);
}

/* ---- what the victim wrote ------------------------------------------------------------------- */

static size_t drain(BIO *b, buf *out)
{
    uint8_t tmp[4096];
    int n;
    size_t total = 0;
    while ((n = BIO_read(b, tmp, sizeof(tmp))) > 0) {
        if (out != NULL)
            b_put(out, tmp, (size_t)n);
        total += (size_t)n;
    }
    return total;
}

/* Finds the alerts in what `s` wrote: plaintext, or protected under one of its write secrets.
 * Returns the number of alert records; *level / *desc of the last; *last = it was the last record. */
static int find_alerts(const SSL *s, const buf *w, int *level, int *desc, int *last)
{
    static const char *const labels[2][2] = {
        { "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0" },
        { "SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0" },
    };
    rawrec r[64];
    size_t nr = split_records(w->p, w->n, r, 64);
    int found = 0, server = SSL_is_server(s);
    static uint8_t tmp[20000];

    *last = 0;
    for (size_t i = 0; i < nr; i++) {
        int is_alert = 0;
        uint8_t a[2] = { 0, 0 };
        if (r[i].type == 21 && r[i].len == 7) {
            is_alert = 1;
            memcpy(a, r[i].rec + 5, 2);
        } else if (r[i].type == 23) {
            for (int k = 0; k < 2 && !is_alert; k++) {
                prot p;
                if (!prot_init(&p, secret_of(s, labels[server][k])))
                    continue;
                for (uint64_t seq = 0; seq < 8 && !is_alert; seq++) {
                    uint8_t type;
                    size_t len;
                    if (open_record(&p, seq, r[i].rec, r[i].len, &type, tmp, &len) && type == 21
                            && len == 2) {
                        is_alert = 1;
                        memcpy(a, tmp, 2);
                    }
                }
            }
        }
        if (is_alert) {
            found++;
            *level = a[0];
            *desc = a[1];
            *last = i + 1 == nr;
        }
    }
    return found;
}

/* ---- one case -------------------------------------------------------------------------------- */

typedef struct {
    SSL *s[2];          /* MF_CLIENT, MF_SERVER */
    BIO *in[2], *out[2];
} pair;

static SSL *new_end(SSL_CTX *ctx, int server, BIO **in, BIO **out)
{
    SSL *s = SSL_new(ctx);
    *in = BIO_new(BIO_s_mem());
    *out = BIO_new(BIO_s_mem());
    if (s == NULL || *in == NULL || *out == NULL)
        abort();
    BIO_set_mem_eof_return(*in, -1);
    SSL_set_bio(s, *in, *out);
    if (server) {
        SSL_set_accept_state(s);
    } else {
        SSL_set_connect_state(s);
        SSL_set1_host(s, "server.test");
        SSL_set_tlsext_host_name(s, "server.test");
    }
    return s;
}

/* Calls into s the way the phase requires: the handshake, or a read once it is done. */
static int step(SSL *s, int phase_app)
{
    char b[64];
    return phase_app ? SSL_read(s, b, sizeof(b)) : SSL_do_handshake(s);
}

static int has_reason(unsigned long *first, int reason)
{
    unsigned long e;
    int found = 0;
    *first = 0;
    while ((e = ERR_get_error()) != 0) {
        if (getenv("MF_VERBOSE") != NULL)
            fprintf(stderr, "    error: %s\n", ERR_error_string(e, NULL));
        if (*first == 0)
            *first = e;
        if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == reason)
            found = 1;
    }
    return found;
}

/* What every failing case checks (expect_failure here; expect12 and post_expect for TLS 1.2).
 * `who` names the case in the messages. */

/* The victim's call returned r (SSL_get_error e): it must have failed with SSL_ERROR_SSL. */
static int mf_failed(const char *who, SSL *v, int r, int e)
{
    if (r > 0 || e != SSL_ERROR_SSL) {
        fprintf(stderr, "[%s] %s did not fail: returned %d, SSL_get_error %d\n", who,
                SSL_is_server(v) ? "server" : "client", r, e);
        ERR_print_errors_fp(stderr);
        mf_failures++;
        return 0;
    }
    return 1;
}

/* OpenSSL's reason on the error stack (which this empties), or keel's where it is a known
 * difference (keel_reason non-zero: counted in mf_differences). */
static void mf_check_reason(const char *who, int reason, int keel_reason)
{
    unsigned long first;
    int ok_reason = has_reason(&first, reason);
    if (!ok_reason && keel_reason != 0 && ERR_GET_REASON(first) == keel_reason)
        ok_reason = 2;
    if (!ok_reason) {
        fprintf(stderr, "[%s] reason %d (%s) on the stack, expected %d (%s)\n", who,
                ERR_GET_REASON(first), ERR_reason_error_string(first) ? ERR_reason_error_string(first) : "?",
                reason, ERR_reason_error_string(ERR_PACK(ERR_LIB_SSL, 0, reason)));
        mf_failures++;
    } else if (ok_reason == 2) {
        mf_differences++;
    }
}

/* n alert records in what the victim wrote, the last one level/desc (*last: it was the last
 * record): exactly one, fatal, `alert`, and last; for alert < 0 none at all. */
static void mf_check_alert(const char *who, int alert, int n, int level, int desc, int last)
{
    if (alert < 0) {
        if (n != 0) {
            fprintf(stderr, "[%s] sent alert %d/%d, expected none\n", who, level, desc);
            mf_failures++;
        }
    } else if (n != 1 || level != 2 || desc != alert || !last) {
        fprintf(stderr, "[%s] %d alert record(s), the last %d/%d%s; expected one fatal alert %d, last\n",
                who, n, level, desc, last ? "" : " (not the last record)", alert);
        mf_failures++;
    }
}

/* Nothing after the alert (RFC 8446 §6.2, RFC 5246 §7.2.2), whatever the application calls next
 * (SSL_key_update too where `tls13`); the error stack is emptied. */
static void mf_check_quiet(const char *who, SSL *v, BIO *out, int tls13)
{
    char b[64];
    (void)SSL_do_handshake(v);
    (void)SSL_read(v, b, sizeof(b));
    (void)SSL_write(v, "x", 1);
    (void)SSL_shutdown(v);
    if (tls13)
        (void)SSL_key_update(v, SSL_KEY_UPDATE_REQUESTED);
    (void)SSL_write(v, "x", 1);
    ERR_clear_error();
    size_t more = drain(out, NULL);
    if (more != 0) {
        fprintf(stderr, "[%s] wrote %zu bytes after the alert\n", who, more);
        mf_failures++;
    }
}

/* The victim reads f->out: it must fail as the case says. */
static void expect_failure(const mf_case *t, SSL *v, BIO *in, BIO *out, const flight *f, int app)
{
    buf w = { 0 };
    int r, e;

    (void)drain(out, NULL);
    if (BIO_write(in, f->out.p, (int)f->out.n) != (int)f->out.n)
        abort();
    ERR_clear_error();
    r = step(v, app);
    e = SSL_get_error(v, r);
    if (!mf_failed(t->name, v, r, e))
        return;
    mf_check_reason(t->name, t->reason, t->keel_reason);
    drain(out, &w);
    int level = -1, desc = -1, last = 0;
    int n = find_alerts(v, &w, &level, &desc, &last);
    mf_check_alert(t->name, t->alert, n, level, desc, last);
    b_free(&w);
    mf_check_quiet(t->name, v, out, 1);
}


static void run_case(const mf_case *t)
{
    pair p;
    buf ch = { 0 }, sf = { 0 }, cf = { 0 }, post = { 0 };
    flight f;
    int r;

    memset(&f, 0, sizeof(f));
    nkeys = 0;
    p.s[MF_CLIENT] = new_end(mf_cctx, 0, &p.in[MF_CLIENT], &p.out[MF_CLIENT]);
    p.s[MF_SERVER] = new_end(mf_sctx, 1, &p.in[MF_SERVER], &p.out[MF_SERVER]);
    if (t->setup != NULL)
        t->setup(p.s[MF_CLIENT], p.s[MF_SERVER]);

    /* ClientHello */
    r = SSL_do_handshake(p.s[MF_CLIENT]);
    if (r > 0 || SSL_get_error(p.s[MF_CLIENT], r) != SSL_ERROR_WANT_READ)
        goto broken;
    drain(p.out[MF_CLIENT], &ch);
    if (t->at == MF_AT_CH) {
        if (!flight_parse(&f, ch.p, ch.n, NULL))
            goto broken;
        t->craft(&f);
        expect_failure(t, p.s[MF_SERVER], p.in[MF_SERVER], p.out[MF_SERVER], &f, 0);
        goto done;
    }
    BIO_write(p.in[MF_SERVER], ch.p, (int)ch.n);
    r = SSL_do_handshake(p.s[MF_SERVER]);
    if (r > 0 || SSL_get_error(p.s[MF_SERVER], r) != SSL_ERROR_WANT_READ)
        goto broken;
    drain(p.out[MF_SERVER], &sf);
    if (t->at == MF_AT_CH2) {
        /* sf is the HelloRetryRequest: the client answers with its second ClientHello. */
        BIO_write(p.in[MF_CLIENT], sf.p, (int)sf.n);
        r = SSL_do_handshake(p.s[MF_CLIENT]);
        if (r > 0 || SSL_get_error(p.s[MF_CLIENT], r) != SSL_ERROR_WANT_READ)
            goto broken;
        b_free(&ch);
        drain(p.out[MF_CLIENT], &ch);
        if (!flight_parse(&f, ch.p, ch.n, NULL) || find_msg(&f, SSL3_MT_CLIENT_HELLO) != 0)
            goto broken;
        t->craft(&f);
        expect_failure(t, p.s[MF_SERVER], p.in[MF_SERVER], p.out[MF_SERVER], &f, 0);
        goto done;
    }
    if (t->at == MF_AT_SF) {
        if (!flight_parse(&f, sf.p, sf.n, secret_of(p.s[MF_SERVER], "SERVER_HANDSHAKE_TRAFFIC_SECRET")))
            goto broken;
        t->craft(&f);
        expect_failure(t, p.s[MF_CLIENT], p.in[MF_CLIENT], p.out[MF_CLIENT], &f, 0);
        goto done;
    }
    BIO_write(p.in[MF_CLIENT], sf.p, (int)sf.n);
    if (SSL_do_handshake(p.s[MF_CLIENT]) != 1)
        goto broken;
    drain(p.out[MF_CLIENT], &cf);
    if (t->at == MF_AT_CF) {
        if (!flight_parse(&f, cf.p, cf.n, secret_of(p.s[MF_CLIENT], "CLIENT_HANDSHAKE_TRAFFIC_SECRET")))
            goto broken;
        t->craft(&f);
        expect_failure(t, p.s[MF_SERVER], p.in[MF_SERVER], p.out[MF_SERVER], &f, 0);
        goto done;
    }
    BIO_write(p.in[MF_SERVER], cf.p, (int)cf.n);
    if (SSL_do_handshake(p.s[MF_SERVER]) != 1)
        goto broken;
    drain(p.out[MF_SERVER], &post); /* the tickets */
    if (t->at == MF_AT_APP_S) {
        /* The client's application traffic key, as the client itself has not used it yet. */
        if (!prot_init(&f.wp, secret_of(p.s[MF_CLIENT], "CLIENT_TRAFFIC_SECRET_0")))
            goto broken;
        t->craft(&f);
        expect_failure(t, p.s[MF_SERVER], p.in[MF_SERVER], p.out[MF_SERVER], &f, 1);
        goto done;
    }
    if (t->at == MF_AT_APP_C) {
        /* The server's application traffic key, after the tickets it sealed with it. */
        rawrec rr[16];
        if (!prot_init(&f.wp, secret_of(p.s[MF_SERVER], "SERVER_TRAFFIC_SECRET_0")))
            goto broken;
        f.wp.seq = split_records(post.p, post.n, rr, 16);
        b_put(&f.out, post.p, post.n);
        t->craft(&f);
        expect_failure(t, p.s[MF_CLIENT], p.in[MF_CLIENT], p.out[MF_CLIENT], &f, 1);
        goto done;
    }
broken:
    fprintf(stderr, "[%s] the handshake leading to the case did not go as expected\n", t->name);
    ERR_print_errors_fp(stderr);
    mf_failures++;
done:
    if (t->check != NULL)
        t->check(p.s[t->at == MF_AT_SF || t->at == MF_AT_APP_C ? MF_CLIENT : MF_SERVER]);
    ERR_clear_error();
    flight_free(&f);
    b_free(&ch);
    b_free(&sf);
    b_free(&cf);
    b_free(&post);
    SSL_free(p.s[MF_CLIENT]);
    SSL_free(p.s[MF_SERVER]);
}

static int mf_main(int argc, char **argv, const char *name, const mf_case *cases, size_t ncases)
{
    static const unsigned char alpn[] = "\x02h2";
    CHECK(keel_test_make_chain(&mf_chain, KT_EC_P256, "server.test", 365));
    mf_sctx = keel_test_server_ctx(&mf_chain);
    mf_cctx = keel_test_client_ctx(&mf_chain);
    if (mf_sctx == NULL || mf_cctx == NULL) {
        CHECK(0);
        return keel_test_finish(name);
    }
    /* One suite (the test's own record protection is AES-128-GCM/SHA-256), mutual authentication
     * (the server requests, does not require, a certificate), ALPN offered, key log on. */
    CHECK(SSL_CTX_set_ciphersuites(mf_sctx, "TLS_AES_128_GCM_SHA256"));
    CHECK(SSL_CTX_set_ciphersuites(mf_cctx, "TLS_AES_128_GCM_SHA256"));
    CHECK(SSL_CTX_use_certificate(mf_cctx, mf_chain.leaf));
    CHECK(SSL_CTX_use_PrivateKey(mf_cctx, mf_chain.leaf_key));
    CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(mf_sctx), mf_chain.ca));
    SSL_CTX_set_verify(mf_sctx, SSL_VERIFY_PEER, NULL);
    /* verifying peers, resumption needs a session id context (OpenSSL ends the handshake) */
    CHECK(SSL_CTX_set_session_id_context(mf_sctx, (const unsigned char *)"mf", 2));
    CHECK(SSL_CTX_set_alpn_protos(mf_cctx, alpn, sizeof(alpn) - 1) == 0);
    SSL_CTX_set_keylog_callback(mf_sctx, keylog);
    SSL_CTX_set_keylog_callback(mf_cctx, keylog);

    const char *only = argc > 1 ? argv[1] : NULL;
    size_t ran = 0;
    for (size_t i = 0; i < ncases; i++) {
        if (only != NULL && strstr(cases[i].name, only) == NULL)
            continue;
        int before = mf_failures;
        run_case(&cases[i]);
        ran++;
        if (mf_failures != before && cases[i].known_bug != NULL)
            fprintf(stderr, "[%s] KNOWN BUG, left failing on purpose: %s\n", cases[i].name,
                    cases[i].known_bug);
    }
    printf("%s: %zu cases, %d failure(s), %d with keel's reason where OpenSSL's differs (keel_reason in "
           "the table)\n", name, ran, mf_failures, mf_differences);
    if (mf_failures)
        CHECK(0);
    SSL_CTX_free(mf_sctx);
    SSL_CTX_free(mf_cctx);
    keel_test_chain_free(&mf_chain);
    return keel_test_finish(name);
}

/* For a setup: a full handshake on the harness's contexts (the server not asking for a
 * certificate, so the session holds no client certificate), its ticket read, and the session
 * offered by `client` (so the case's handshake is a PSK one). */
static void mf_offer_session(SSL *client)
{
    SSL *c, *s;
    char b[8];
    if (!keel_test_pair(mf_cctx, mf_sctx, &c, &s))
        abort();
    SSL_set1_host(c, "server.test");
    SSL_set_tlsext_host_name(c, "server.test");
    SSL_set_verify(s, SSL_VERIFY_NONE, NULL);
    if (!keel_test_handshake(c, s))
        abort();
    (void)SSL_read(c, b, sizeof(b)); /* the NewSessionTickets */
    SSL_SESSION *ss = SSL_get1_session(c);
    if (ss == NULL || !SSL_set_session(client, ss))
        abort();
    SSL_SESSION_free(ss);
    /* closed properly, so that SSL_free keeps the session resumable (SSL_free(3)) */
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(c);
    SSL_free(s);
    ERR_clear_error();
}

#define MF_NCASES(a) (sizeof(a) / sizeof((a)[0]))

/* The flight with message `type` re-encoded after `edit` changed its body. */
static void put_changed(flight *f, uint8_t type, void (*edit)(buf *b))
{
    int i = find_msg(f, type);
    for (int k = 0; k < f->n; k++) {
        if (k != i) {
            put_orig(f, k);
            continue;
        }
        buf b = { 0 };
        b_put(&b, f->m[k].body, f->m[k].len);
        edit(&b);
        put_hs(f, 1, f->m[k].type, b.p, b.n);
        b_free(&b);
    }
}

static void flip_first(buf *b) { b->p[0] ^= 1; }
static void flip_last(buf *b) { b->p[b->n - 1] ^= 1; }
static void drop_last(buf *b) { b->n--; }
static void scheme_pss(buf *b) { b->p[0] = 0x08, b->p[1] = 0x04; }
static void cut3(buf *b) { b->n = 3; }

/* ---- records after a key change (issue #10: §5.1 and forged plaintext alerts) ---------------- */

/* KeyUpdate, update_not_requested (§4.6.3). */
static const uint8_t ku0[] = { SSL3_MT_KEY_UPDATE, 0, 0, 1, 0 };

static void app_forged_close_notify_after_ku(flight *f)
{
    put_enc(f, 22, ku0, sizeof(ku0));
    put_plain(f, 21, "\x01\x00", 2); /* the first record under the next key */
}

/* Two KeyUpdates in one record: the second arrived under the key the first retires (§5.1). */
static void app_two_key_updates(flight *f)
{
    uint8_t two[2 * sizeof(ku0)];
    memcpy(two, ku0, sizeof(ku0));
    memcpy(two + sizeof(ku0), ku0, sizeof(ku0));
    put_enc(f, 22, two, sizeof(two));
}

#endif
