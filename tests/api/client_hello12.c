/* What the client's ClientHello offers for TLS 1.2 (issue #12), read off the wire: with TLS 1.3
 * too, supported_versions lists 0x0304 then 0x0303, the TLS 1.2 suites follow the TLS 1.3 ones and
 * the renegotiation SCSV (RFC 5746 §3.3) follows them; ec_point_formats (RFC 8422 §5.1.2),
 * extended_master_secret (RFC 7627 §5.1) and an empty session_ticket (RFC 5077 §3.2) are offered
 * unless the options say no; a client pinned to TLS 1.2 sends none of TLS 1.3's extensions or
 * suites; TLS_FALLBACK_SCSV (RFC 7507) goes last on request; a TLS 1.2 session is offered by its
 * id. */
#include "malformed.h"

typedef struct {
    buf raw;
    flight f;
    hello h;
    uint16_t suites[128];
    size_t nsuites;
    uint16_t legacy_version;
    uint8_t sid[32];
    size_t sid_len;
} offer;

/* The ClientHello c writes first (c has no peer: it stops waiting for the ServerHello). */
static int client_hello(SSL *c, BIO *out, offer *o)
{
    memset(o, 0, sizeof(*o));
    CHECK_EQ(SSL_do_handshake(c), -1);
    drain(out, &o->raw);
    if (!flight_parse(&o->f, o->raw.p, o->raw.n, NULL) || o->f.n < 1 || !hello_parse(&o->h, &o->f.m[0]))
        return 0;
    const uint8_t *p = o->h.pre;
    o->legacy_version = (uint16_t)(p[0] << 8 | p[1]);
    o->sid_len = p[34];
    memcpy(o->sid, p + 35, o->sid_len);
    size_t off = 35 + o->sid_len, n = (size_t)p[off] << 8 | p[off + 1];
    for (size_t i = 0; i < n / 2 && i < 128; i++)
        o->suites[o->nsuites++] = (uint16_t)(p[off + 2 + 2 * i] << 8 | p[off + 3 + 2 * i]);
    return 1;
}

static int has_suite(const offer *o, uint16_t s)
{
    for (size_t i = 0; i < o->nsuites; i++)
        if (o->suites[i] == s)
            return 1;
    return 0;
}

static int ext_is(const offer *o, uint16_t type, const char *bytes, size_t n)
{
    int i = ext_find(&o->h, type);
    return i >= 0 && o->h.e[i].n == n && memcmp(o->h.e[i].p, bytes, n) == 0;
}

static SSL *client(BIO **out)
{
    BIO *in;
    return new_end(mf_cctx, 0, &in, out);
}

static void drop(SSL *c, offer *o)
{
    flight_free(&o->f);
    b_free(&o->raw);
    SSL_free(c);
}

int main(void)
{
    BIO *out;
    SSL *c;
    offer o;

    CHECK(keel_test_make_chain(&mf_chain, KT_EC_P256, "server.test", 365));
    mf_sctx = keel_test_server_ctx(&mf_chain);
    mf_cctx = keel_test_client_ctx(&mf_chain);
    CHECK(mf_sctx != NULL && mf_cctx != NULL);

    /* Both versions. */
    c = client(&out);
    CHECK(client_hello(c, out, &o));
    CHECK_EQ(o.legacy_version, 0x0303);
    CHECK(ext_is(&o, TLSEXT_TYPE_supported_versions, "\x04\x03\x04\x03\x03", 5));
    CHECK(ext_find(&o.h, TLSEXT_TYPE_key_share) >= 0);
    CHECK(has_suite(&o, 0x1301) && has_suite(&o, 0xC02B) && has_suite(&o, 0xCCA8));
    size_t first12 = 0;
    while (first12 < o.nsuites && (o.suites[first12] >> 8) == 0x13)
        first12++;
    CHECK(first12 > 0 && first12 < o.nsuites);
    for (size_t i = first12; i < o.nsuites; i++)
        CHECK((o.suites[i] >> 8) != 0x13); /* TLS 1.3's first, all of them */
    CHECK(o.nsuites > 0 && o.suites[o.nsuites - 1] == 0x00ff);
    CHECK(!has_suite(&o, 0x5600));
    CHECK(ext_is(&o, TLSEXT_TYPE_ec_point_formats, "\x01\x00", 2));
    CHECK(ext_is(&o, TLSEXT_TYPE_extended_master_secret, "", 0));
    CHECK(ext_is(&o, TLSEXT_TYPE_session_ticket, "", 0));
    CHECK(ext_find(&o.h, TLSEXT_TYPE_renegotiate) < 0); /* the SCSV stands for it */
    int sa = ext_find(&o.h, TLSEXT_TYPE_signature_algorithms);
    CHECK(sa >= 0);
    if (sa >= 0) { /* rsa_pkcs1_sha256 is TLS 1.2's (RFC 8446 §4.2.3) */
        int pkcs1 = 0;
        for (size_t i = 2; i + 1 < o.h.e[sa].n; i += 2)
            pkcs1 |= o.h.e[sa].p[i] == 0x04 && o.h.e[sa].p[i + 1] == 0x01;
        CHECK(pkcs1);
    }
    drop(c, &o);

    /* TLS 1.2 alone: nothing of TLS 1.3's. */
    c = client(&out);
    CHECK(SSL_set_max_proto_version(c, TLS1_2_VERSION));
    CHECK(client_hello(c, out, &o));
    CHECK_EQ(o.legacy_version, 0x0303);
    CHECK(ext_find(&o.h, TLSEXT_TYPE_supported_versions) < 0);
    CHECK(ext_find(&o.h, TLSEXT_TYPE_key_share) < 0);
    CHECK(ext_find(&o.h, TLSEXT_TYPE_psk_kex_modes) < 0);
    CHECK(ext_find(&o.h, TLSEXT_TYPE_post_handshake_auth) < 0);
    CHECK(!has_suite(&o, 0x1301) && !has_suite(&o, 0x1302) && has_suite(&o, 0xC02B));
    CHECK_EQ(o.sid_len, 0); /* no middlebox-compatibility id without TLS 1.3 */
    drop(c, &o);

    /* The same by SSL_OP_NO_TLSv1_3, with the options that withdraw EMS and tickets, and the
     * fallback SCSV. */
    c = client(&out);
    SSL_set_options(c, SSL_OP_NO_TLSv1_3 | SSL_OP_NO_EXTENDED_MASTER_SECRET | SSL_OP_NO_TICKET);
    SSL_set_mode(c, SSL_MODE_SEND_FALLBACK_SCSV);
    CHECK(client_hello(c, out, &o));
    CHECK(ext_find(&o.h, TLSEXT_TYPE_supported_versions) < 0);
    CHECK(ext_find(&o.h, TLSEXT_TYPE_extended_master_secret) < 0);
    CHECK(ext_find(&o.h, TLSEXT_TYPE_session_ticket) < 0);
    CHECK(o.nsuites >= 2 && o.suites[o.nsuites - 2] == 0x00ff && o.suites[o.nsuites - 1] == 0x5600);
    drop(c, &o);

    /* TLS 1.3 alone: nothing of TLS 1.2's but the renegotiation SCSV, last, as OpenSSL 3.0's
     * client sends it (tests/diff/getters.c). */
    c = client(&out);
    CHECK(SSL_set_min_proto_version(c, TLS1_3_VERSION));
    CHECK(client_hello(c, out, &o));
    CHECK(ext_is(&o, TLSEXT_TYPE_supported_versions, "\x02\x03\x04", 3));
    CHECK(!has_suite(&o, 0xC02B));
    CHECK(o.nsuites >= 1 && o.suites[o.nsuites - 1] == 0x00ff);
    CHECK(ext_find(&o.h, TLSEXT_TYPE_ec_point_formats) < 0);
    CHECK(ext_find(&o.h, TLSEXT_TYPE_extended_master_secret) < 0);
    CHECK(ext_find(&o.h, TLSEXT_TYPE_session_ticket) < 0);
    drop(c, &o);

    /* A TLS 1.2 session is offered by its session id (a ticket offer, RFC 5077 §3.4, is checked
     * against real servers in tests/interop). */
    SSL_SESSION *ss = SSL_SESSION_new();
    static const uint8_t id[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, mk[48] = { 7 };
    CHECK(ss != NULL && SSL_SESSION_set_protocol_version(ss, TLS1_2_VERSION));
    static const unsigned char c02b[] = { 0xC0, 0x2B };
    c = client(&out);
    CHECK(SSL_SESSION_set_cipher(ss, SSL_CIPHER_find(c, c02b)));
    CHECK(SSL_SESSION_set1_id(ss, id, sizeof(id)) && SSL_SESSION_set1_master_key(ss, mk, sizeof(mk)));
    CHECK(SSL_set_session(c, ss));
    CHECK(client_hello(c, out, &o));
    CHECK(o.sid_len == 32 && memcmp(o.sid, id, 32) == 0);
    CHECK(ext_is(&o, TLSEXT_TYPE_session_ticket, "", 0));
    drop(c, &o);
    SSL_SESSION_free(ss);

    return keel_test_finish("client_hello12");
}
