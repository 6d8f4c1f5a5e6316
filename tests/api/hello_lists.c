/* The peer's lists are honoured whole (issue #10.9): a ClientHello whose only usable group or
 * signature scheme comes after many unknown entries (GREASE-like code points, RFC 8701) still
 * negotiates it, or is asked for with a HelloRetryRequest (RFC 8446 §4.2.7, §4.2.3, §4.1.4). The ClientHello is a real keel client's, edited with
 * the hostile-peer harness (malformed.h); the keel server reads it. */
#include "malformed.h"

#define NUNKNOWN 1000

static uint8_t list_buf[2 + 2 * (NUNKNOWN + 2)];
static uint16_t filler; /* non-zero: the NUNKNOWN entries all repeat this code point */

/* A u16 list<..> of `before` entries, NUNKNOWN unknown ones, then `after` (0: none). */
static size_t make_list(uint16_t before, uint16_t after)
{
    size_t n = 2;
    if (before != 0)
        list_buf[n++] = (uint8_t)(before >> 8), list_buf[n++] = (uint8_t)before;
    for (int i = 0; i < NUNKNOWN; i++) {
        if (filler != 0)
            list_buf[n++] = (uint8_t)(filler >> 8), list_buf[n++] = (uint8_t)filler;
        else
            list_buf[n++] = 0xfe, list_buf[n++] = (uint8_t)i; /* unassigned / private code points */
    }
    if (after != 0)
        list_buf[n++] = (uint8_t)(after >> 8), list_buf[n++] = (uint8_t)after;
    list_buf[0] = (uint8_t)((n - 2) >> 8), list_buf[1] = (uint8_t)(n - 2);
    return n;
}

/* The server's first message in reply to the edited hello: its type and key_share group. */
static int reply(const char *groups, uint16_t type, uint16_t before, uint16_t after,
                 int *hrr, unsigned *group)
{
    static const uint8_t hrr_random[32] = {
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C };
    BIO *cin, *cout, *sin, *sout;
    SSL *c = new_end(mf_cctx, 0, &cin, &cout), *s = new_end(mf_sctx, 1, &sin, &sout);
    buf ch = { 0 }, out = { 0 };
    flight f, g;
    hello h;
    int ok = 0;

    memset(&f, 0, sizeof(f));
    memset(&g, 0, sizeof(g));
    if (groups != NULL)
        CHECK(SSL_set1_groups_list(s, groups));
    CHECK_EQ(SSL_do_handshake(c), -1);
    drain(cout, &ch);
    if (!flight_parse(&f, ch.p, ch.n, NULL) || !hello_parse(&h, &f.m[0]))
        abort();
    ext_set(&h, type, list_buf, make_list(before, after));
    put_hello(&f, 0, &h);
    BIO_write(sin, f.out.p, (int)f.out.n);
    int r = SSL_do_handshake(s);
    if (r == -1 && SSL_get_error(s, r) == SSL_ERROR_WANT_READ) {
        drain(sout, &out);
        if (flight_parse(&g, out.p, out.n, NULL) && g.n > 0 && g.m[0].type == SSL3_MT_SERVER_HELLO
                && hello_parse(&h, &g.m[0])) {
            int k = ext_find(&h, TLSEXT_TYPE_key_share);
            *hrr = memcmp(g.m[0].body + 2, hrr_random, 32) == 0;
            *group = k >= 0 && h.e[k].n >= 2 ? (unsigned)(h.e[k].p[0] << 8 | h.e[k].p[1]) : 0;
            ok = k >= 0;
        }
    } else {
        ERR_print_errors_fp(stderr);
    }
    ERR_clear_error();
    flight_free(&f);
    flight_free(&g);
    b_free(&ch);
    b_free(&out);
    SSL_free(c);
    SSL_free(s);
    return ok;
}

int main(void)
{
    int hrr = -1;
    unsigned group = 0;

    CHECK(keel_test_make_chain(&mf_chain, KT_EC_P256, "server.test", 365));
    mf_sctx = keel_test_server_ctx(&mf_chain);
    mf_cctx = keel_test_client_ctx(&mf_chain);
    CHECK(mf_sctx != NULL && mf_cctx != NULL);

    /* The only common group (the client's share, X25519) after 1000 unknown ones. */
    CHECK(reply(NULL, TLSEXT_TYPE_supported_groups, 0, 0x001d, &hrr, &group));
    CHECK_EQ(hrr, 0);
    CHECK_EQ(group, 0x001d);

    /* The only scheme the server's P-256 key can sign with after 1000 unknown ones. */
    hrr = -1, group = 0;
    CHECK(reply(NULL, TLSEXT_TYPE_signature_algorithms, 0, 0x0403, &hrr, &group));
    CHECK_EQ(hrr, 0);

    /* The same after 1000 repeats of a scheme both sides know that the P-256 key cannot use
     * (Ed25519): repeats must not crowd the usable one out. */
    hrr = -1, group = 0;
    filler = 0x0807;
    CHECK(reply(NULL, TLSEXT_TYPE_signature_algorithms, 0, 0x0403, &hrr, &group));
    CHECK_EQ(hrr, 0);
    filler = 0;

    /* The server's only group, P-256, listed by the client after the unknown ones (its share is
     * for X25519): the server asks for a P-256 share (HelloRetryRequest). */
    hrr = -1, group = 0;
    CHECK(reply("P-256", TLSEXT_TYPE_supported_groups, 0x001d, 0x0017, &hrr, &group));
    CHECK_EQ(hrr, 1);
    CHECK_EQ(group, 0x0017);

    SSL_CTX_free(mf_sctx);
    SSL_CTX_free(mf_cctx);
    keel_test_chain_free(&mf_chain);
    return keel_test_finish("hello_lists");
}
