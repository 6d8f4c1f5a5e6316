/* Hostile TLS 1.2 ClientHellos against keel's server (the malformed.h harness: each case checks
 * the alert, OpenSSL's reason and that nothing more is written). The keel client's ClientHello
 * is rewritten into a TLS 1.2 one: legacy_version, TLS 1.2 suites, compression methods, and its
 * extensions edited; the server holds an ECDSA P-256 certificate. The expected alerts and reasons
 * are OpenSSL 3.0's (checked with `openssl s_server` and `s_client -tls1_2` / `-tls1_1` where a
 * client can be made to send the hello; tests/interop/tls12_server.sh runs those on both
 * libraries). */
#include "malformed.h"

static const msg *ch_of(flight *f) { return &f->m[0]; }

/* The ClientHello as a TLS 1.2 one: `version`, the client's random and session id, `suites`,
 * the compression methods `comp`, then its extensions less supported_versions, edited by `edit`
 * (may be NULL). */
static void ch12(flight *f, uint16_t version, const uint16_t *suites, size_t nsuites,
                 const uint8_t *comp, size_t ncomp, void (*edit)(hello *h))
{
    const msg *m = ch_of(f);
    hello h;
    buf pre = { 0 };

    if (!hello_parse(&h, m))
        abort();
    b_u16(&pre, version);
    b_put(&pre, m->body + 2, 32 + 1 + m->body[34]); /* random, session id */
    b_u16(&pre, (unsigned)(2 * nsuites));
    for (size_t i = 0; i < nsuites; i++)
        b_u16(&pre, suites[i]);
    b_u8(&pre, (unsigned)ncomp);
    b_put(&pre, comp, ncomp);
    h.pre = pre.p;
    h.pre_len = pre.n;
    ext_del(&h, TLSEXT_TYPE_supported_versions);
    if (edit != NULL)
        edit(&h);
    put_hello(f, 0, &h);
    b_free(&pre);
}

static const uint8_t null_comp[] = { 0 };
static const uint16_t ecdsa[] = { 0xc02b, 0xc02c };

#define CH12(name, version, suites, comp, edit)                                                    \
    static void name(flight *f)                                                                    \
    {                                                                                              \
        ch12(f, version, suites, sizeof(suites) / sizeof(suites[0]), comp, sizeof(comp), edit);    \
    }

/* RFC 7507 §3: TLS_FALLBACK_SCSV while the server could have negotiated TLS 1.3. */
static const uint16_t ecdsa_scsv[] = { 0xc02b, 0x5600 };
CH12(ch12_fallback_scsv, TLS1_2_VERSION, ecdsa_scsv, null_comp, NULL)
static void e_versions12(hello *h)
{
    static const uint8_t v[] = { 2, 3, 3 };
    ext_set(h, TLSEXT_TYPE_supported_versions, v, sizeof(v));
}
CH12(ch12_fallback_scsv_listed, TLS1_2_VERSION, ecdsa_scsv, null_comp, e_versions12)
/* A TLS 1.1 client: OpenSSL 3.0 negotiates the version, then has no signature algorithm at
 * security level 1; with a TLS 1.2 minimum it refuses the version. */
CH12(ch12_tls11, TLS1_1_VERSION, ecdsa, null_comp, NULL)
static void e_versions11(hello *h)
{
    static const uint8_t v[] = { 4, 3, 2, 3, 1 };
    ext_set(h, TLSEXT_TYPE_supported_versions, v, sizeof(v));
}
CH12(ch12_tls11_listed, TLS1_2_VERSION, ecdsa, null_comp, e_versions11)
static void min12(SSL *client, SSL *server)
{
    (void)client;
    SSL_set_min_proto_version(server, TLS1_2_VERSION);
}
static void min13(SSL *client, SSL *server)
{
    (void)client;
    SSL_set_min_proto_version(server, TLS1_3_VERSION);
}
/* RFC 5246 §7.4.1.2: the null compression method must be offered. */
static const uint8_t deflate[] = { 1 };
CH12(ch12_no_null_compression, TLS1_2_VERSION, ecdsa, deflate, NULL)
/* Nothing the ECDSA certificate can serve: an RSA suite; a curve or signature schemes the
 * certificate cannot use (RFC 4492 §5.1; RFC 5246 §7.4.1.4.1); no group in common. */
static const uint16_t rsa[] = { 0xc02f, 0xc030 };
CH12(ch12_rsa_suites, TLS1_2_VERSION, rsa, null_comp, NULL)
static void e_groups_x25519(hello *h)
{
    static const uint8_t g[] = { 0, 2, 0x00, 0x1d };
    ext_set(h, TLSEXT_TYPE_supported_groups, g, sizeof(g));
}
CH12(ch12_curve_not_offered, TLS1_2_VERSION, ecdsa, null_comp, e_groups_x25519)
static void e_sigalgs_rsa(hello *h)
{
    static const uint8_t s[] = { 0, 4, 0x08, 0x04, 0x04, 0x01 };
    ext_set(h, TLSEXT_TYPE_signature_algorithms, s, sizeof(s));
}
CH12(ch12_sigalgs_rsa_only, TLS1_2_VERSION, ecdsa, null_comp, e_sigalgs_rsa)
static void e_groups_unknown(hello *h)
{
    static const uint8_t g[] = { 0, 2, 0x7a, 0x7a };
    ext_set(h, TLSEXT_TYPE_supported_groups, g, sizeof(g));
}
CH12(ch12_no_common_group, TLS1_2_VERSION, ecdsa, null_comp, e_groups_unknown)
/* Without supported_groups OpenSSL 3.0 has no ECDHE group for the client (checked with a raw
 * hello against `openssl s_server`: no shared cipher). */
static void e_no_groups(hello *h) { ext_del(h, TLSEXT_TYPE_supported_groups); }
CH12(ch12_no_supported_groups, TLS1_2_VERSION, ecdsa, null_comp, e_no_groups)
/* RFC 5746 §3.6: an initial handshake's renegotiation_info must be empty. RFC 7627 §5.1: the
 * extended_master_secret extension is empty. */
static void e_reneg_data(hello *h)
{
    static const uint8_t r[] = { 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
    ext_set(h, TLSEXT_TYPE_renegotiate, r, sizeof(r));
}
CH12(ch12_reneg_not_empty, TLS1_2_VERSION, ecdsa, null_comp, e_reneg_data)
static void e_ems_data(hello *h)
{
    static const uint8_t d[] = { 0 };
    ext_set(h, TLSEXT_TYPE_extended_master_secret, d, sizeof(d));
}
CH12(ch12_ems_not_empty, TLS1_2_VERSION, ecdsa, null_comp, e_ems_data)

#define AD(x) SSL_AD_##x
#define R(x) SSL_R_##x

static const mf_case cases[] = {
    { "ch12_fallback_scsv", MF_AT_CH, ch12_fallback_scsv, AD(INAPPROPRIATE_FALLBACK), R(INAPPROPRIATE_FALLBACK) },
    { "ch12_fallback_scsv_listed", MF_AT_CH, ch12_fallback_scsv_listed, AD(INAPPROPRIATE_FALLBACK), R(INAPPROPRIATE_FALLBACK) },
    { "ch12_tls11", MF_AT_CH, ch12_tls11, AD(INTERNAL_ERROR), R(NO_SUITABLE_SIGNATURE_ALGORITHM) },
    { "ch12_tls11_listed", MF_AT_CH, ch12_tls11_listed, AD(INTERNAL_ERROR), R(NO_SUITABLE_SIGNATURE_ALGORITHM) },
    { "ch12_tls11_min12", MF_AT_CH, ch12_tls11, AD(PROTOCOL_VERSION), R(UNSUPPORTED_PROTOCOL), 0, min12 },
    { "ch12_tls12_min13", MF_AT_CH, ch12_rsa_suites, AD(PROTOCOL_VERSION), R(UNSUPPORTED_PROTOCOL), 0, min13 },
    { "ch12_no_null_compression", MF_AT_CH, ch12_no_null_compression, AD(DECODE_ERROR), R(NO_COMPRESSION_SPECIFIED) },
    { "ch12_rsa_suites", MF_AT_CH, ch12_rsa_suites, AD(HANDSHAKE_FAILURE), R(NO_SHARED_CIPHER) },
    { "ch12_curve_not_offered", MF_AT_CH, ch12_curve_not_offered, AD(HANDSHAKE_FAILURE), R(NO_SHARED_CIPHER) },
    { "ch12_sigalgs_rsa_only", MF_AT_CH, ch12_sigalgs_rsa_only, AD(HANDSHAKE_FAILURE), R(NO_SHARED_CIPHER) },
    { "ch12_no_common_group", MF_AT_CH, ch12_no_common_group, AD(HANDSHAKE_FAILURE), R(NO_SHARED_CIPHER) },
    { "ch12_no_supported_groups", MF_AT_CH, ch12_no_supported_groups, AD(HANDSHAKE_FAILURE), R(NO_SHARED_CIPHER) },
    { "ch12_reneg_not_empty", MF_AT_CH, ch12_reneg_not_empty, AD(HANDSHAKE_FAILURE), R(RENEGOTIATION_MISMATCH) },
    { "ch12_ems_not_empty", MF_AT_CH, ch12_ems_not_empty, AD(DECODE_ERROR), R(BAD_EXTENSION) },
};

int main(int argc, char **argv)
{
    return mf_main(argc, argv, "malformed12_server", cases, MF_NCASES(cases));
}
