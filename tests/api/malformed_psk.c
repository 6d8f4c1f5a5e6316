/* Hostile TLS 1.2 peers on the PSK suites (issue #13), on the harness of malformed12.h: the
 * identity in the client's ClientKeyExchange (RFC 4279 §2: psk_identity<0..2^16-1>, at most
 * PSK_MAX_IDENTITY_LEN bytes taken, an unknown one unknown_psk_identity), the hint in the server's
 * ServerKeyExchange (the same bounds; ECDHE_PSK's unsigned ECDH params, RFC 5489 §2), messages a
 * PSK suite does not have, and a server choosing a PSK suite for a client that has no PSK
 * callback (the suite is in its list but disabled, as OpenSSL 3.0 disables it). Each case checks
 * the victim's alert and OpenSSL 3.0's reason as malformed12.c does, and the program builds on
 * the system libssl too (cc -Itests/util tests/api/malformed_psk.c tests/util/testutil.c
 * tests/util/tls.c -lssl -lcrypto), where every case passes. */
#include "malformed12.h"

static unsigned int client_cb(SSL *s, const char *hint, char *identity, unsigned int max_identity_len,
                              unsigned char *psk, unsigned int max_psk_len)
{
    (void)s, (void)hint, (void)max_psk_len;
    snprintf(identity, max_identity_len, "client1");
    memset(psk, 0x5a, 32);
    return 32;
}

static unsigned int server_cb(SSL *s, const char *identity, unsigned char *psk, unsigned int max_psk_len)
{
    (void)s, (void)max_psk_len;
    if (strcmp(identity, "client1") != 0)
        return 0;
    memset(psk, 0x5a, 32);
    return 32;
}

static void psk_suite(SSL *c, SSL *s, const char *suite)
{
    SSL_set_psk_client_callback(c, client_cb);
    SSL_set_psk_server_callback(s, server_cb);
    if (!SSL_use_psk_identity_hint(s, "hint") || !SSL_set_cipher_list(c, suite)
            || !SSL_set_cipher_list(s, suite))
        abort();
}
static void psk(SSL *c, SSL *s) { psk_suite(c, s, "PSK-AES128-GCM-SHA256"); }
static void ecdhe_psk(SSL *c, SSL *s) { psk_suite(c, s, "ECDHE-PSK-CHACHA20-POLY1305"); }
/* The client lists a PSK suite but has no callback: it does not offer it. */
static void no_client_cb(SSL *c, SSL *s)
{
    (void)s;
    if (!SSL_set_cipher_list(c, "ECDHE-ECDSA-AES128-GCM-SHA256:PSK-AES128-GCM-SHA256"))
        abort();
}

/* ---- ClientKeyExchange: psk_identity<0..2^16-1> (server victim) ---- */
static void id_set(buf *b, size_t len, uint8_t fill)
{
    b->n = 0;
    b_u16(b, (unsigned)len);
    for (size_t i = 0; i < len; i++)
        b_u8(b, fill);
}
static void cke_id_long(buf *b) { id_set(b, PSK_MAX_IDENTITY_LEN + 1, 'a'); }
static void cke_id_max(buf *b) { id_set(b, PSK_MAX_IDENTITY_LEN, 'a'); }  /* taken: unknown */
static void cke_id_unknown(buf *b) { b->p[2] ^= 0x20; }                    /* "Client1" */
static void cke_id_trailing(buf *b) { b_u8(b, 0); }
static void cke_id_overflow(buf *b) { b->p[1]++; }
static void cke_empty_body(buf *b) { b->n = 0; }
#define CF(name, edit) static void name(flight *f) { edit12(f, SSL3_MT_CLIENT_KEY_EXCHANGE, edit); }
CF(cf_psk_id_long, cke_id_long)
CF(cf_psk_id_max, cke_id_max)
CF(cf_psk_id_unknown, cke_id_unknown)
CF(cf_psk_id_trailing, cke_id_trailing)
CF(cf_psk_id_overflow, cke_id_overflow)
CF(cf_psk_cke_empty, cke_empty_body)

/* ---- ServerKeyExchange: psk_identity_hint<0..2^16-1> [ServerECDHParams] (client victim) ---- */
static void hint_long(buf *b)
{
    buf rest = { 0 };
    size_t old = (size_t)b->p[0] << 8 | b->p[1];
    b_put(&rest, b->p + 2 + old, b->n - 2 - old);
    id_set(b, PSK_MAX_IDENTITY_LEN + 1, 'h');
    b_put(b, rest.p, rest.n);
    b_free(&rest);
}
static void ske_trailing(buf *b) { b_u8(b, 0); }
static void ske_hint_overflow(buf *b) { b->p[1] += 0x40; }
/* ECDHE_PSK: after the 4-byte hint field ("hint"), 03 <group> <point>. */
static void ske_curve_type(buf *b) { b->p[2 + 4] = 1; }
static void ske_group_ffdhe(buf *b) { b->p[2 + 4 + 1] = 0x01; b->p[2 + 4 + 2] = 0x00; } /* ffdhe2048 */
static void ske_point_off_curve(buf *b) { b->p[b->n - 1] ^= 1; }
static void ske_point_empty(buf *b) { b->p[2 + 4 + 3] = 0; b->n = 2 + 4 + 4; }
#define SF(name, edit) static void name(flight *f) { edit12(f, SSL3_MT_SERVER_KEY_EXCHANGE, edit); }
SF(sf_psk_hint_long, hint_long)
SF(sf_psk_ske_trailing, ske_trailing)
SF(sf_psk_hint_overflow, ske_hint_overflow)
SF(sf_ecdhe_psk_hint_long, hint_long)
SF(sf_ecdhe_psk_curve_type, ske_curve_type)
SF(sf_ecdhe_psk_group_ffdhe, ske_group_ffdhe)
SF(sf_ecdhe_psk_point_off_curve, ske_point_off_curve)
SF(sf_ecdhe_psk_point_empty, ske_point_empty)
SF(sf_ecdhe_psk_trailing, ske_trailing)

/* A Certificate where a PSK suite has none (RFC 4279 §2): before the ServerKeyExchange. */
static void sf_psk_cert(flight *f)
{
    for (int k = 0; k < f->n; k++) {
        if (f->m[k].type == SSL3_MT_SERVER_KEY_EXCHANGE) {
            uint8_t empty_list[3] = { 0, 0, 0 };
            hs12(f, 0, SSL3_MT_CERTIFICATE, empty_list, 3);
        }
        orig12(f, k);
    }
}
/* No ServerKeyExchange: an ECDHE_PSK server must send one. */
static void sf_ecdhe_psk_no_ske(flight *f) { edit12(f, SSL3_MT_SERVER_KEY_EXCHANGE, NULL); }

/* The ServerHello's suite: PSK-AES128-GCM-SHA256 (0x00a8). */
static size_t sh_suite_at(const buf *b) { return 2 + 32 + 1 + b->p[34]; }
static void sh_psk_suite(buf *b) { b->p[sh_suite_at(b)] = 0x00, b->p[sh_suite_at(b) + 1] = 0xa8; }
static void sf_sh_psk_no_callback(flight *f) { edit12(f, SSL3_MT_SERVER_HELLO, sh_psk_suite); }

#define AD(x) SSL_AD_##x
#define R(x) SSL_R_##x
static const mf_case cases[] = {
    /* OpenSSL 3.0's server: decode_error here, its client handshake_failure for a long hint. */
    { "cf_psk_id_long", MF_AT_CF, cf_psk_id_long, AD(DECODE_ERROR), R(DATA_LENGTH_TOO_LONG), 0, psk },
    { "cf_psk_id_max", MF_AT_CF, cf_psk_id_max, TLS1_AD_UNKNOWN_PSK_IDENTITY, R(PSK_IDENTITY_NOT_FOUND), 0, psk },
    { "cf_psk_id_unknown", MF_AT_CF, cf_psk_id_unknown, TLS1_AD_UNKNOWN_PSK_IDENTITY, R(PSK_IDENTITY_NOT_FOUND), 0, psk },
    { "cf_psk_id_trailing", MF_AT_CF, cf_psk_id_trailing, AD(DECODE_ERROR), R(LENGTH_MISMATCH), 0, psk },
    { "cf_psk_id_overflow", MF_AT_CF, cf_psk_id_overflow, AD(DECODE_ERROR), R(LENGTH_MISMATCH), 0, psk },
    { "cf_psk_cke_empty", MF_AT_CF, cf_psk_cke_empty, AD(DECODE_ERROR), R(LENGTH_MISMATCH), 0, psk },
    { "sf_psk_hint_long", MF_AT_SF, sf_psk_hint_long, AD(HANDSHAKE_FAILURE), R(DATA_LENGTH_TOO_LONG), 0, psk },
    { "sf_psk_ske_trailing", MF_AT_SF, sf_psk_ske_trailing, AD(DECODE_ERROR), R(EXTRA_DATA_IN_MESSAGE), 0, psk },
    { "sf_psk_hint_overflow", MF_AT_SF, sf_psk_hint_overflow, AD(DECODE_ERROR), R(LENGTH_MISMATCH), 0, psk },
    { "sf_psk_cert", MF_AT_SF, sf_psk_cert, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE), 0, psk },
    { "sf_ecdhe_psk_hint_long", MF_AT_SF, sf_ecdhe_psk_hint_long, AD(HANDSHAKE_FAILURE), R(DATA_LENGTH_TOO_LONG), 0, ecdhe_psk },
    { "sf_ecdhe_psk_curve_type", MF_AT_SF, sf_ecdhe_psk_curve_type, AD(ILLEGAL_PARAMETER), R(WRONG_CURVE), 0, ecdhe_psk },
    /* a finite-field group is no curve in TLS 1.2 (RFC 8422 §5.1.1) */
    { "sf_ecdhe_psk_group_ffdhe", MF_AT_SF, sf_ecdhe_psk_group_ffdhe, AD(ILLEGAL_PARAMETER), R(WRONG_CURVE), 0, ecdhe_psk },
    { "sf_ecdhe_psk_point_off_curve", MF_AT_SF, sf_ecdhe_psk_point_off_curve, AD(ILLEGAL_PARAMETER), R(BAD_ECPOINT), 0, ecdhe_psk },
    { "sf_ecdhe_psk_point_empty", MF_AT_SF, sf_ecdhe_psk_point_empty, AD(ILLEGAL_PARAMETER), R(BAD_ECPOINT), 0, ecdhe_psk },
    { "sf_ecdhe_psk_trailing", MF_AT_SF, sf_ecdhe_psk_trailing, AD(DECODE_ERROR), R(EXTRA_DATA_IN_MESSAGE), 0, ecdhe_psk },
    { "sf_ecdhe_psk_no_ske", MF_AT_SF, sf_ecdhe_psk_no_ske, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE), 0, ecdhe_psk },
    { "sf_sh_psk_no_callback", MF_AT_SF, sf_sh_psk_no_callback, AD(ILLEGAL_PARAMETER), R(WRONG_CIPHER_RETURNED), 0, no_client_cb },
};

int main(int argc, char **argv)
{
    const char *name = "malformed_psk";
    /* As malformed12.c, P-256 (the PSK-AES128-GCM suite's records are this harness's AES-128-GCM
     * with SHA-256's PRF). */
    if (!mf12_contexts(KT_EC_P256, "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"))
        return keel_test_finish(name);
    CHECK(SSL_CTX_set1_groups_list(cctx12, "P-256"));
    return mf12_run(name, cases, MF_NCASES(cases), argc, argv);
}
