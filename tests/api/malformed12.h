/* The TLS 1.2 hostile-peer harness of malformed12.c (a header, as malformed.h, which it extends:
 * every .c in tests/api/ is a program of its own). A real keel client and server run a TLS 1.2
 * handshake in memory; the flight under test is taken apart (what follows ChangeCipherSpec
 * opened with the key block derived from the key log's CLIENT_RANDOM line, RFC 5246 §6.3, with
 * libcrypto's TLS1-PRF; AES-GCM records as RFC 5288 §3, the explicit nonce being the sequence
 * number, additional data RFC 5246 §6.2.3.3), a case's crafting function writes the replacement
 * (re-sealed with the same keys) and the victim reads it. expect12 checks what malformed.h's
 * expect_failure checks, with TLS 1.2 alerts (plaintext, or sealed with the victim's key). */
#ifndef KEEL_TEST_MALFORMED12_H
#define KEEL_TEST_MALFORMED12_H
#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "malformed.h"

enum {
    MF12_AT_SF2 = 100,  /* the server's last flight ([NewSessionTicket] CCS Finished) */
    MF12_AT_RSF,        /* a resumed handshake's server flight (the setup must be resume12) */
};
enum { MF12_OK = -2, MF12_RENEG = -3 };  /* alert field: the handshake must succeed / a warning */

static buf orig_ch;            /* the case's original ClientHello (handshake message) */

static SSL_CTX *sctx12, *cctx12;

/* ---- TLS 1.2 AES-128-GCM records (RFC 5288 §3, RFC 5246 §6.2.3.3) ---------------------------- */

/* prot's iv holds the 4-byte salt (client_write_IV / server_write_IV) in its first bytes. */
static void nonce12(const prot *p, uint64_t seq, uint8_t nonce[12], uint8_t aad[13], uint8_t type,
                    size_t len)
{
    memcpy(nonce, p->iv, 4);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] = aad[i] = (uint8_t)(seq >> (56 - 8 * i));
    aad[8] = type;
    aad[9] = 3;
    aad[10] = 3;
    aad[11] = (uint8_t)(len >> 8);
    aad[12] = (uint8_t)len;
}

static void seal12(prot *p, buf *out, uint8_t type, const void *data, size_t len)
{
    uint8_t nonce[12], aad[13], tag[16], *ct = malloc(len + 1);
    int outl = 0, fl = 0;
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();

    if (ct == NULL || x == NULL)
        abort();
    nonce12(p, p->seq++, nonce, aad, type, len);
    if (!EVP_EncryptInit_ex(x, EVP_aes_128_gcm(), NULL, p->key, nonce)
            || !EVP_EncryptUpdate(x, NULL, &outl, aad, 13)
            || (len > 0 && !EVP_EncryptUpdate(x, ct, &outl, data, (int)len))
            || !EVP_EncryptFinal_ex(x, ct + outl, &fl)
            || !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, tag))
        abort();
    b_u8(out, type);
    b_u16(out, 0x0303);
    b_u16(out, (unsigned)(8 + len + 16));
    b_put(out, nonce + 4, 8);
    b_put(out, ct, len);
    b_put(out, tag, 16);
    EVP_CIPHER_CTX_free(x);
    free(ct);
}

/* Opens one record (header included) as sealed with sequence number seq: 1 and its content. */
static int open12(const prot *p, uint64_t seq, const uint8_t *rec, size_t rlen, uint8_t *out,
                  size_t *olen)
{
    uint8_t nonce[12], aad[13];
    int outl = 0, fl = 0, ok;
    if (rlen < 5 + 8 + 16)
        return 0;
    size_t len = rlen - 5 - 8 - 16;
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    nonce12(p, seq, nonce, aad, rec[0], len);
    memcpy(nonce + 4, rec + 5, 8);
    ok = x != NULL && EVP_DecryptInit_ex(x, EVP_aes_128_gcm(), NULL, p->key, nonce)
        && EVP_DecryptUpdate(x, NULL, &outl, aad, 13)
        && (len == 0 || EVP_DecryptUpdate(x, out, &outl, rec + 13, (int)len))
        && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, 16, (void *)(rec + 13 + len))
        && EVP_DecryptFinal_ex(x, out + outl, &fl) > 0;
    EVP_CIPHER_CTX_free(x);
    *olen = len;
    return ok;
}

/* The master secret of `client`'s connection from the key log (RFC 5246 §8.1, NSS key log
 * format: CLIENT_RANDOM). */
static const uint8_t *master12(const SSL *client)
{
    for (int i = 0; i < nkeys; i++)
        if (keys[i].s == client && strcmp(keys[i].label, "CLIENT_RANDOM") == 0 && keys[i].len == 48)
            return keys[i].secret;
    return NULL;
}

/* n bytes of the key block (RFC 5246 §6.3) from the master secret and s's randoms, with the
 * PRF's SHA-256. */
static int key_block12(SSL *s, const uint8_t *master, uint8_t *kb, size_t n)
{
    uint8_t seed[13 + 64];
    memcpy(seed, "key expansion", 13);
    SSL_get_server_random(s, seed + 13, 32);
    SSL_get_client_random(s, seed + 45, 32);
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
    EVP_KDF_CTX *k = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)master, 48),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof(seed)),
        OSSL_PARAM_construct_end(),
    };
    int ok = k != NULL && EVP_KDF_derive(k, kb, n, params) > 0;
    EVP_KDF_CTX_free(k);
    EVP_KDF_free(kdf);
    return ok;
}

/* The AEAD key block: client_write_key, server_write_key, client_write_IV, server_write_IV (no
 * MAC keys). */
static int keys_from(SSL *s, const uint8_t *master, prot *cw, prot *sw)
{
    uint8_t kb[40];
    if (!key_block12(s, master, kb, sizeof(kb)))
        return 0;
    memset(cw, 0, sizeof(*cw));
    memset(sw, 0, sizeof(*sw));
    memcpy(cw->key, kb, 16);
    memcpy(sw->key, kb + 16, 16);
    memcpy(cw->iv, kb + 32, 4);
    memcpy(sw->iv, kb + 36, 4);
    return 1;
}

static int keys12(SSL *client, prot *cw, prot *sw)
{
    const uint8_t *master = master12(client);
    return master != NULL && keys_from(client, master, cw, sw);
}

/* ---- flights --------------------------------------------------------------------------------- */

/* Takes a TLS 1.2 flight apart: plaintext handshake records, then (after change_cipher_spec)
 * handshake records protected with `rd` (the sender's key, sequence 0). */
static int flight12_parse(flight *f, const buf *in, const prot *rd)
{
    rawrec r[64];
    size_t nr = split_records(in->p, in->n, r, 64);
    buf plain = { 0 }, enc = { 0 };
    static uint8_t tmp[20000];
    uint64_t seq = 0;
    int ok = 1;

    for (size_t i = 0; i < nr && ok; i++) {
        if (r[i].type == 20) {
            f->ccs = 1;
        } else if (r[i].type == 22 && !f->ccs) {
            b_put(&plain, r[i].rec + 5, r[i].len - 5);
        } else if (r[i].type == 22 && rd != NULL) {
            size_t len;
            ok = open12(rd, seq++, r[i].rec, r[i].len, tmp, &len);
            b_put(&enc, tmp, len);
        }
    }
    ok = ok && add_msgs(f, &plain, 0) && add_msgs(f, &enc, 1);
    b_free(&plain);
    b_free(&enc);
    if (rd != NULL) {
        f->wp = *rd;
        f->wp.seq = 0;
    }
    return ok;
}

static void hs12(flight *f, int enc, uint8_t type, const void *body, size_t n)
{
    buf m = { 0 };
    b_u8(&m, type);
    b_u24(&m, n);
    b_put(&m, body, n);
    if (enc) {
        if (f->ccs && !f->ccs_done)
            put_ccs(f);
        seal12(&f->wp, &f->out, 22, m.p, m.n);
    } else {
        put_plain(f, 22, m.p, m.n);
    }
    b_free(&m);
}

static void orig12(flight *f, int i)
{
    hs12(f, f->m[i].enc, f->m[i].type, f->m[i].body, f->m[i].len);
}

/* The flight with message `type`'s body changed by `edit` (dropped when edit is NULL). */
static void edit12(flight *f, uint8_t type, void (*edit)(buf *b))
{
    for (int k = 0; k < f->n; k++) {
        if (f->m[k].type != type) {
            orig12(f, k);
        } else if (edit != NULL) {
            buf b = { 0 };
            b_put(&b, f->m[k].body, f->m[k].len);
            edit(&b);
            hs12(f, f->m[k].enc, type, b.p, b.n);
            b_free(&b);
        }
    }
    if (f->ccs && !f->ccs_done)
        put_ccs(f);
}

/* ---- running a case -------------------------------------------------------------------------- */

/* The alerts in what the victim wrote: plaintext, or sealed with its write key `wp` (any
 * sequence number up to 8). */
static int find_alerts12(const buf *w, const prot *wp, int *level, int *desc, int *last)
{
    rawrec r[64];
    size_t nr = split_records(w->p, w->n, r, 64);
    int found = 0;
    uint8_t tmp[64];

    *last = 0;
    for (size_t i = 0; i < nr; i++) {
        uint8_t a[2];
        size_t len;
        int is_alert = 0;
        if (r[i].type != 21)
            continue;
        if (r[i].len == 7) {
            memcpy(a, r[i].rec + 5, 2);
            is_alert = 1;
        }
        for (uint64_t seq = 0; wp != NULL && !is_alert && seq < 8 && r[i].len < 5 + sizeof(tmp); seq++)
            if (open12(wp, seq, r[i].rec, r[i].len, tmp, &len) && len == 2) {
                memcpy(a, tmp, 2);
                is_alert = 1;
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

static void fail(const mf_case *t, const char *what)
{
    fprintf(stderr, "[%s] %s\n", t->name, what);
    ERR_print_errors_fp(stderr);
    mf_failures++;
}

/* The victim v reads f->out; wp is its own write key (NULL before it has one). */
static void expect12(const mf_case *t, SSL *v, SSL *peer, BIO *in, BIO *out, BIO *peer_in,
                     BIO *peer_out, const flight *f, int app, const prot *wp)
{
    buf w = { 0 };
    int r, e, level = -1, desc = -1, last = 0;

    (void)drain(out, NULL);
    if (BIO_write(in, f->out.p, (int)f->out.n) != (int)f->out.n)
        abort();
    ERR_clear_error();
    r = step(v, app);
    e = SSL_get_error(v, r);
    if (t->alert == MF12_OK) {
        /* The server takes the hello: it writes a full TLS 1.2 flight (ServerHello, Certificate,
         * ServerKeyExchange, CertificateRequest, ServerHelloDone) and no alert. (The client
         * cannot go on: it did not send this hello, so the transcripts differ.) */
        flight g;
        memset(&g, 0, sizeof(g));
        drain(out, &w);
        if (r > 0 || e != SSL_ERROR_WANT_READ || find_alerts12(&w, NULL, &level, &desc, &last) != 0)
            fail(t, "the server did not take the hello");
        else if (!flight12_parse(&g, &w, NULL) || g.n != 5 || g.m[0].type != SSL3_MT_SERVER_HELLO
                 || g.m[0].body[0] != 3 || g.m[0].body[1] != 3
                 || find_msg(&g, SSL3_MT_CERTIFICATE) != 1 || find_msg(&g, SSL3_MT_SERVER_DONE) != 4)
            fail(t, "the server's answer is not a full TLS 1.2 flight");
        flight_free(&g);
        b_free(&w);
        ERR_clear_error();
        return;
    }
    if (t->alert == MF12_RENEG) {
        /* RFC 5746 §4.2 / RFC 5246 §7.2.2: declined with a no_renegotiation warning; the
         * connection stays usable: the victim still writes (its record opens under its key)
         * and reads what the peer sends next. */
        char b[16];
        uint8_t pt[64];
        size_t len;
        int opened = 0;
        if (r > 0 || e != SSL_ERROR_WANT_READ)
            return fail(t, "the renegotiation request was not declined quietly");
        drain(out, &w);
        int n = find_alerts12(&w, wp, &level, &desc, &last);
        if (n != 1 || level != 1 || desc != SSL_AD_NO_RENEGOTIATION || !last)
            fail(t, "no single no_renegotiation warning");
        w.n = 0;
        if (SSL_write(v, "ping", 4) != 4)
            fail(t, "victim cannot write after declining");
        drain(out, &w);
        for (uint64_t seq = 0; seq < 8 && !opened; seq++)
            opened = w.n > 5 && w.n < sizeof(pt) && w.p[0] == 23
                && open12(wp, seq, w.p, w.n, pt, &len) && len == 4 && memcmp(pt, "ping", 4) == 0;
        if (!opened)
            fail(t, "the victim's data after declining is not one application data record");
        w.n = 0;
        prot pw = f->wp;  /* the peer's key, past the crafted record */
        seal12(&pw, &w, 23, "pong", 4);
        BIO_write(in, w.p, (int)w.n);
        if (SSL_read(v, b, sizeof(b)) != 4 || memcmp(b, "pong", 4) != 0)
            fail(t, "victim cannot read after declining");
        b_free(&w);
        (void)peer;
        (void)peer_in;
        (void)peer_out;
        ERR_clear_error();
        return;
    }
    if (!mf_failed(t->name, v, r, e))
        return;
    mf_check_reason(t->name, t->reason, t->keel_reason);
    drain(out, &w);
    int n = find_alerts12(&w, wp, &level, &desc, &last);
    mf_check_alert(t->name, t->alert, n, level, desc, last);
    b_free(&w);
    mf_check_quiet(t->name, v, out, 0);
}

static void run12(const mf_case *t)
{
    pair p;
    buf ch = { 0 }, sf = { 0 }, cf = { 0 }, sf2 = { 0 };
    flight f;
    prot cw, sw;
    int r, C_ = MF_CLIENT, S_ = MF_SERVER;

    memset(&f, 0, sizeof(f));
    nkeys = 0;
    orig_ch.n = 0;
    p.s[C_] = new_end(cctx12, 0, &p.in[C_], &p.out[C_]);
    p.s[S_] = new_end(sctx12, 1, &p.in[S_], &p.out[S_]);
#define VICTIM(v, app, wp) expect12(t, p.s[v], p.s[!(v)], p.in[v], p.out[v], p.in[!(v)], p.out[!(v)], &f, app, wp)
    if (t->setup != NULL)
        t->setup(p.s[C_], p.s[S_]);

    r = SSL_do_handshake(p.s[C_]);
    if (r > 0 || SSL_get_error(p.s[C_], r) != SSL_ERROR_WANT_READ)
        goto broken;
    drain(p.out[C_], &ch);
    if (!flight12_parse(&f, &ch, NULL) || f.n != 1)
        goto broken;
    {
        uint8_t h[4] = { 1, (uint8_t)(f.m[0].len >> 16), (uint8_t)(f.m[0].len >> 8), (uint8_t)f.m[0].len };
        b_put(&orig_ch, h, 4);
        b_put(&orig_ch, f.m[0].body, f.m[0].len);
    }
    if (t->at == MF_AT_CH) {
        t->craft(&f);
        VICTIM(S_, 0, NULL);
        goto done;
    }
    flight_free(&f);
    BIO_write(p.in[S_], ch.p, (int)ch.n);
    r = SSL_do_handshake(p.s[S_]);
    if (r > 0 || SSL_get_error(p.s[S_], r) != SSL_ERROR_WANT_READ)
        goto broken;
    drain(p.out[S_], &sf);
    if (t->at == MF12_AT_RSF) {
        /* The keys from the server's side: the resumed master secret and both randoms. */
        uint8_t master[48];
        if (SSL_session_reused(p.s[S_]) != 1
                || SSL_SESSION_get_master_key(SSL_get_session(p.s[S_]), master, 48) != 48
                || !keys_from(p.s[S_], master, &cw, &sw) || !flight12_parse(&f, &sf, &sw))
            goto broken;
        t->craft(&f);
        VICTIM(C_, 0, &cw);
        goto done;
    }
    if (t->at == MF_AT_SF) {
        /* Five messages with a certificate; three for a PSK suite (malformed_psk.c). */
        if (!flight12_parse(&f, &sf, NULL) || f.n < 2)
            goto broken;
        t->craft(&f);
        VICTIM(C_, 0, NULL);
        goto done;
    }
    BIO_write(p.in[C_], sf.p, (int)sf.n);
    r = SSL_do_handshake(p.s[C_]);
    if (r > 0 || SSL_get_error(p.s[C_], r) != SSL_ERROR_WANT_READ)
        goto broken;
    drain(p.out[C_], &cf);
    if (!keys12(p.s[C_], &cw, &sw))
        goto broken;
    if (t->at == MF_AT_CF) {
        if (!flight12_parse(&f, &cf, &cw))
            goto broken;
        t->craft(&f);
        VICTIM(S_, 0, &sw);
        goto done;
    }
    BIO_write(p.in[S_], cf.p, (int)cf.n);
    if (SSL_do_handshake(p.s[S_]) != 1)
        goto broken;
    drain(p.out[S_], &sf2);
    if (t->at == MF12_AT_SF2) {
        if (!flight12_parse(&f, &sf2, &sw))
            goto broken;
        t->craft(&f);
        VICTIM(C_, 0, &cw);
        goto done;
    }
    BIO_write(p.in[C_], sf2.p, (int)sf2.n);
    if (SSL_do_handshake(p.s[C_]) != 1 || SSL_version(p.s[C_]) != TLS1_2_VERSION)
        goto broken;
    /* Each side has sealed its Finished with sequence number 0. */
    if (t->at == MF_AT_APP_S) {
        f.wp = cw;
        f.wp.seq = 1;
        t->craft(&f);
        sw.seq = 1;
        VICTIM(S_, 1, &sw);
        goto done;
    }
    if (t->at == MF_AT_APP_C) {
        f.wp = sw;
        f.wp.seq = 1;
        t->craft(&f);
        cw.seq = 1;
        VICTIM(C_, 1, &cw);
        goto done;
    }
broken:
    fail(t, "the handshake leading to the case did not go as expected");
done:
    ERR_clear_error();
    flight_free(&f);
    b_free(&ch);
    b_free(&sf);
    b_free(&cf);
    b_free(&sf2);
    SSL_free(p.s[C_]);
    SSL_free(p.s[S_]);
}


/* ---- a program's contexts and its run ------------------------------------------------------- */

/* The harness's chain (key_type) and contexts: the server forced to TLS 1.2 (the client stays
 * TLS 1.3-capable), the suites given (the harness's record protection is AES-128-GCM with
 * SHA-256's PRF), the key log on. 0 (a CHECK failed) when the contexts cannot be made. */
static int mf12_contexts(int key_type, const char *server_suites, const char *client_suites)
{
    CHECK(keel_test_make_chain(&mf_chain, key_type, "server.test", 365));
    sctx12 = keel_test_server_ctx(&mf_chain);
    cctx12 = keel_test_client_ctx(&mf_chain);
    if (sctx12 == NULL || cctx12 == NULL) {
        CHECK(0);
        return 0;
    }
    CHECK(SSL_CTX_set_max_proto_version(sctx12, TLS1_2_VERSION));
    CHECK(SSL_CTX_set_cipher_list(sctx12, server_suites));
    CHECK(SSL_CTX_set_cipher_list(cctx12, client_suites));
    SSL_CTX_set_keylog_callback(sctx12, keylog);
    SSL_CTX_set_keylog_callback(cctx12, keylog);
    return 1;
}

/* Runs the cases (those whose name contains argv[1], when given), prints how many ran and how
 * they went, and frees what mf12_contexts made. */
static int mf12_run(const char *name, const mf_case *cases, size_t ncases, int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    size_t ran = 0;
    for (size_t i = 0; i < ncases; i++) {
        if (only != NULL && strstr(cases[i].name, only) == NULL)
            continue;
        run12(&cases[i]);
        ran++;
    }
    printf("%s: %zu cases, %d failure(s), %d with keel's reason where OpenSSL's differs (keel_reason in "
           "the table)\n", name, ran, mf_failures, mf_differences);
    if (mf_failures)
        CHECK(0);
    SSL_CTX_free(sctx12);
    SSL_CTX_free(cctx12);
    b_free(&orig_ch);
    keel_test_chain_free(&mf_chain);
    return keel_test_finish(name);
}

#endif
