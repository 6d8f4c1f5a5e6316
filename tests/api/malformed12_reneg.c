/* Hostile TLS 1.2 peers in a renegotiation (issue #13): renegotiation_info (RFC 5746 §3.5-3.7)
 * in the hellos of a renegotiation, which travel under the keys of the established connection
 * (ECDHE-ECDSA-AES128-GCM-SHA256 here; malformed12_post.h). The real client starts a
 * renegotiation (SSL_renegotiate; the server allows it, SSL_OP_ALLOW_CLIENT_RENEGOTIATION); the
 * test opens its ClientHello, changes renegotiation_info and hands it, re-sealed, to the server
 * (wrong client_verify_data, empty, missing); or passes it on and changes the server's
 * ServerHello on its way back to the client (wrong client part, wrong server part, missing).
 * The expected alerts and reasons are OpenSSL 3.0's: this program is also built on the system
 * libssl (sys_malformed12_reneg in tests/CMakeLists.txt) and must pass there too. */
#include "malformed12_post.h"

static int open_gcm(const void *key, uint64_t seq, const uint8_t *rec, size_t rlen, uint8_t *out, size_t *len)
{
    return open12(key, seq, rec, rlen, out, len);
}

/* Opens every record in b (sealed with p from p->seq on) into their handshake bytes. */
static int open_all(prot *p, const buf *b, buf *hs)
{
    rawrec r[16];
    static uint8_t tmp[20000];
    size_t nr = split_records(b->p, b->n, r, 16), len;
    for (size_t i = 0; i < nr; i++) {
        if (r[i].type != 22 || !open12(p, p->seq++, r[i].rec, r[i].len, tmp, &len))
            return 0;
        b_put(hs, tmp, len);
    }
    return nr > 0;
}

enum { RI_NONE, RI_FLIP_CLIENT, RI_FLIP_SERVER, RI_EMPTY, RI_MISSING };

/* The hello at the start of hs with its renegotiation_info changed; the rest after it. */
static int edit_hello(const buf *hs, int how, buf *out)
{
    msg m;
    hello h;
    uint8_t data[64];
    if (hs->n < 4)
        return 0;
    m.type = hs->p[0];
    m.len = (size_t)hs->p[1] << 16 | (size_t)hs->p[2] << 8 | hs->p[3];
    m.body = hs->p + 4;
    if (m.len + 4 > hs->n || !hello_parse(&h, &m))
        return 0;
    int i = ext_find(&h, 0xff01);
    if (i < 0 || h.e[i].n > sizeof(data) || h.e[i].n < 13)
        return 0;
    memcpy(data, h.e[i].p, h.e[i].n);
    if (how == RI_FLIP_CLIENT)
        data[1] ^= 1;               /* the client_verify_data (first in both hellos) */
    else if (how == RI_FLIP_SERVER)
        data[1 + 12] ^= 1;          /* the ServerHello's server_verify_data */
    if (how == RI_EMPTY)
        ext_set(&h, 0xff01, "\x00", 1);
    else if (how == RI_MISSING)
        ext_del(&h, 0xff01);
    else
        ext_set(&h, 0xff01, data, h.e[i].n);
    buf body = { 0 };
    hello_build(&h, &body);
    b_u8(out, m.type);
    b_u24(out, body.n);
    b_put(out, body.p, body.n);
    b_put(out, hs->p + 4 + m.len, hs->n - 4 - m.len);
    b_free(&body);
    return 1;
}

/* A control: v takes what it was given and waits for more, writing no alert. */
static void expect_taken(const char *label, const char *name, SSL *v, BIO *out, int app)
{
    char b[16];
    buf w = { 0 };
    int r = app ? SSL_read(v, b, sizeof(b)) : SSL_do_handshake(v);
    drain(out, &w);
    rawrec rr[16];
    size_t nr = split_records(w.p, w.n, rr, 16);
    int alerts = 0;
    for (size_t i = 0; i < nr; i++)
        alerts += rr[i].type == 21;
    if (r > 0 || SSL_get_error(v, r) != SSL_ERROR_WANT_READ || alerts != 0 || nr == 0) {
        fprintf(stderr, "[%s %s] the unchanged hello was not taken\n", label, name);
        ERR_print_errors_fp(stderr);
        mf_failures++;
    }
    b_free(&w);
}

/* Seals each handshake message of hs in a record of its own. */
static void seal_msgs(prot *p, const buf *hs, buf *out)
{
    size_t off = 0;
    while (off + 4 <= hs->n) {
        size_t len = (size_t)hs->p[off + 1] << 16 | (size_t)hs->p[off + 2] << 8 | hs->p[off + 3];
        seal12(p, out, 22, hs->p + off, 4 + len);
        off += 4 + len;
    }
}

typedef struct {
    post_want w;
    int victim;
    int how;
} reneg_case;

#define AD(x) SSL_AD_##x
#define R(x) SSL_R_##x

static const reneg_case cases[] = {
    /* Controls: the hello re-sealed unchanged is taken (the renegotiation goes on). */
    { { "ch_unchanged", -1, 0 }, MF_SERVER, RI_NONE },
    { { "sh_unchanged", -1, 0 }, MF_CLIENT, RI_NONE },
    /* RFC 5746 §3.7: the server checks the client_verify_data, and that the extension is
     * there (the SCSV is not in a renegotiation ClientHello, §3.5). */
    { { "ch_wrong_client_verify_data", AD(HANDSHAKE_FAILURE), R(RENEGOTIATION_MISMATCH) }, MF_SERVER, RI_FLIP_CLIENT },
    { { "ch_empty_reneg_info", AD(HANDSHAKE_FAILURE), R(RENEGOTIATION_MISMATCH) }, MF_SERVER, RI_EMPTY },
    { { "ch_no_reneg_info", AD(HANDSHAKE_FAILURE), R(UNSAFE_LEGACY_RENEGOTIATION_DISABLED) }, MF_SERVER, RI_MISSING },
    /* §3.5: the client checks both verify_data halves and that the extension is there. */
    { { "sh_wrong_client_part", AD(ILLEGAL_PARAMETER), R(RENEGOTIATION_MISMATCH) }, MF_CLIENT, RI_FLIP_CLIENT },
    { { "sh_wrong_server_part", AD(ILLEGAL_PARAMETER), R(RENEGOTIATION_MISMATCH) }, MF_CLIENT, RI_FLIP_SERVER },
    { { "sh_empty_reneg_info", AD(ILLEGAL_PARAMETER), R(RENEGOTIATION_MISMATCH) }, MF_CLIENT, RI_EMPTY },
    { { "sh_no_reneg_info", AD(HANDSHAKE_FAILURE), R(UNSAFE_LEGACY_RENEGOTIATION_DISABLED) }, MF_CLIENT, RI_MISSING },
};

static SSL_CTX *sctx, *cctx;

static void allow(SSL *c, SSL *s)
{
    (void)c;
    SSL_set_options(s, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
}

static void run(const reneg_case *t)
{
    post_pair p;
    prot cw, sw;
    buf rec = { 0 }, hs = { 0 }, ed = { 0 }, out = { 0 };
    int r, ok = 0;
    const char *label = t->victim == MF_SERVER ? "server" : "client";

    if (!post_handshake(&p, cctx, sctx, allow) || !keys12(p.s[MF_CLIENT], &cw, &sw))
        goto broken;
    cw.seq = sw.seq = 1;  /* each side sealed its Finished with 0 */
    if (SSL_renegotiate(p.s[MF_CLIENT]) != 1)
        goto broken;
    r = SSL_do_handshake(p.s[MF_CLIENT]);
    if (r > 0 || SSL_get_error(p.s[MF_CLIENT], r) != SSL_ERROR_WANT_READ)
        goto broken;
    drain(p.out[MF_CLIENT], &rec);
    prot cr = cw;
    if (!open_all(&cr, &rec, &hs) || hs.p[0] != SSL3_MT_CLIENT_HELLO)
        goto broken;
    if (t->victim == MF_SERVER) {
        if (!edit_hello(&hs, t->how, &ed))
            goto broken;
        seal_msgs(&cw, &ed, &out);
        BIO_write(p.in[MF_SERVER], out.p, (int)out.n);
        if (t->w.alert == -1)
            expect_taken(label, t->w.name, p.s[MF_SERVER], p.out[MF_SERVER], 1);
        else
            post_expect(label, &t->w, p.s[MF_SERVER], p.out[MF_SERVER], 1, open_gcm, &sw);
        ok = 1;
        goto done;
    }
    BIO_write(p.in[MF_SERVER], rec.p, (int)rec.n);
    char b[16];
    r = SSL_read(p.s[MF_SERVER], b, sizeof(b));
    if (r > 0 || SSL_get_error(p.s[MF_SERVER], r) != SSL_ERROR_WANT_READ)
        goto broken;
    rec.n = hs.n = 0;
    drain(p.out[MF_SERVER], &rec);
    prot sr = sw;
    if (!open_all(&sr, &rec, &hs) || hs.p[0] != SSL3_MT_SERVER_HELLO || !edit_hello(&hs, t->how, &ed))
        goto broken;
    seal_msgs(&sw, &ed, &out);
    BIO_write(p.in[MF_CLIENT], out.p, (int)out.n);
    if (t->w.alert == -1)
        expect_taken(label, t->w.name, p.s[MF_CLIENT], p.out[MF_CLIENT], 0);
    else
        post_expect(label, &t->w, p.s[MF_CLIENT], p.out[MF_CLIENT], 0, open_gcm, &cw);
    ok = 1;
broken:
    if (!ok) {
        fprintf(stderr, "[%s %s] the renegotiation leading to the case did not go as expected\n", label, t->w.name);
        ERR_print_errors_fp(stderr);
        mf_failures++;
    }
done:
    ERR_clear_error();
    b_free(&rec);
    b_free(&hs);
    b_free(&ed);
    b_free(&out);
    post_free(&p);
}

int main(int argc, char **argv)
{
    const char *name = "malformed12_reneg";
    CHECK(keel_test_make_chain(&mf_chain, KT_EC_P256, "server.test", 365));
    sctx = keel_test_server_ctx(&mf_chain);
    cctx = keel_test_client_ctx(&mf_chain);
    if (sctx == NULL || cctx == NULL) {
        CHECK(0);
        return keel_test_finish(name);
    }
    CHECK(SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION));
    CHECK(SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION));
    CHECK(SSL_CTX_set_cipher_list(sctx, "ECDHE-ECDSA-AES128-GCM-SHA256"));
    SSL_CTX_set_keylog_callback(cctx, keylog);

    const char *only = argc > 1 ? argv[1] : NULL;
    size_t ran = 0;
    for (size_t i = 0; i < MF_NCASES(cases); i++) {
        if (only != NULL && strstr(cases[i].w.name, only) == NULL)
            continue;
        run(&cases[i]);
        ran++;
    }
    printf("%s: %zu cases, %d failure(s)\n", name, ran, mf_failures);
    if (mf_failures)
        CHECK(0);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    keel_test_chain_free(&mf_chain);
    return keel_test_finish(name);
}
