/* A keel client fed crafted input (issue #6): the server's flight — ServerHello,
 * EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify, Finished and the
 * records that carry them — and records after the handshake. Same rules and harness as
 * malformed.c (server as the victim). Run one case: api_malformed_client <substring of its name>. */
#include "malformed.h"

/* ---- ServerHello (plaintext, message 0 of the flight) --------------------------------------- */

static void sh_put(flight *f, buf *b)
{
    put_hs(f, 0, SSL3_MT_SERVER_HELLO, b->p, b->n);
    b_free(b);
    put_orig_range(f, 1, f->n);
}

static buf sh_copy(flight *f)
{
    buf b = { 0 };
    b_put(&b, f->m[0].body, f->m[0].len);
    return b;
}

/* Offsets in a ServerHello body (RFC 8446 §4.1.3). */
static size_t sh_suite_off(const msg *m) { return 2 + 32 + 1 + m->body[34]; }

static void sh_truncated(flight *f)
{
    put_hs(f, 0, SSL3_MT_SERVER_HELLO, f->m[0].body, 40);
}

static void sh_trailing(flight *f)
{
    buf b = sh_copy(f);
    b_u8(&b, 0);
    sh_put(f, &b);
}

static void sh_wrong_suite(flight *f)
{
    buf b = sh_copy(f);
    size_t o = sh_suite_off(&f->m[0]);
    b.p[o] = 0x13, b.p[o + 1] = 0x03; /* ChaCha20: the client offered AES-128-GCM only */
    sh_put(f, &b);
}

static void sh_bad_sid_echo(flight *f)
{
    buf b = sh_copy(f);
    b.p[35] ^= 1; /* first byte of legacy_session_id_echo */
    sh_put(f, &b);
}

static void sh_compression(flight *f)
{
    buf b = sh_copy(f);
    b.p[sh_suite_off(&f->m[0]) + 2] = 1;
    sh_put(f, &b);
}

static void sh_ext_with(flight *f, void (*edit)(hello *h))
{
    hello h;
    if (!hello_parse(&h, &f->m[0]))
        abort();
    edit(&h);
    put_hello(f, 0, &h);
    put_orig_range(f, 1, f->n);
}

static void e_tls12(hello *h)
{
    static const uint8_t v[] = { 3, 3 };
    ext_set(h, TLSEXT_TYPE_supported_versions, v, sizeof(v));
}
static void sh_version_tls12(flight *f) { sh_ext_with(f, e_tls12); }

static void e_no_versions(hello *h) { ext_del(h, TLSEXT_TYPE_supported_versions); }
static void sh_no_versions(flight *f) { sh_ext_with(f, e_no_versions); }
static void client_tls13_only(SSL *client, SSL *server)
{
    (void)server;
    SSL_set_min_proto_version(client, TLS1_3_VERSION);
}

static void e_dup_share(hello *h)
{
    int i = ext_find(h, TLSEXT_TYPE_key_share);
    ext_add(h, h->e[i].type, h->e[i].p, h->e[i].n);
}
static void sh_dup_ext(flight *f) { sh_ext_with(f, e_dup_share); }

static void e_alpn(hello *h)
{
    static const uint8_t alpn[] = { 0, 3, 2, 'h', '2' };
    ext_add(h, TLSEXT_TYPE_application_layer_protocol_negotiation, alpn, sizeof(alpn));
}
static void sh_ext_wrong_message(flight *f) { sh_ext_with(f, e_alpn); }

static void e_unknown(hello *h) { ext_add(h, 0x1234, NULL, 0); }
static void sh_unknown_ext(flight *f) { sh_ext_with(f, e_unknown); }

static void e_no_share(hello *h) { ext_del(h, TLSEXT_TYPE_key_share); }
static void sh_no_key_share(flight *f) { sh_ext_with(f, e_no_share); }

static void e_other_group(hello *h)
{
    static uint8_t ks[4 + 65] = { 0x00, 0x17, 0, 65, 4 };
    ext_set(h, TLSEXT_TYPE_key_share, ks, sizeof(ks)); /* P-256: the client sent X25519 only */
}
static void sh_group_not_offered(flight *f) { sh_ext_with(f, e_other_group); }

static void e_short_share(hello *h)
{
    static uint8_t ks[4 + 31] = { 0x00, 0x1d, 0, 31 };
    ext_set(h, TLSEXT_TYPE_key_share, ks, sizeof(ks));
}
static void sh_bad_share(flight *f) { sh_ext_with(f, e_short_share); }

static void e_psk_unoffered(hello *h)
{
    static const uint8_t psk[] = { 0, 0 };
    ext_add(h, TLSEXT_TYPE_psk, psk, sizeof(psk));
}
static void sh_psk_not_offered(flight *f) { sh_ext_with(f, e_psk_unoffered); }

/* early_data (RFC 8446 §4.2.10) belongs in ClientHello, EncryptedExtensions, NewSessionTicket */
static void e_early_data(hello *h) { ext_add(h, TLSEXT_TYPE_early_data, NULL, 0); }
static void sh_early_data(flight *f) { sh_ext_with(f, e_early_data); }

/* An external PSK from the legacy callbacks (SHA-256, RFC 8446 §4.2.11), which the server takes. */
static unsigned int ext_client_cb(SSL *s, const char *hint, char *id, unsigned int max_id,
                                  unsigned char *psk, unsigned int max_psk)
{
    (void)s, (void)hint, (void)max_psk;
    snprintf(id, max_id, "client1");
    memset(psk, 0x5a, 32);
    return 32;
}
static unsigned int ext_server_cb(SSL *s, const char *id, unsigned char *psk, unsigned int max_psk)
{
    (void)s, (void)id, (void)max_psk;
    memset(psk, 0x5a, 32);
    return 32;
}
static void ext_psk(SSL *c, SSL *s)
{
    SSL_set_psk_client_callback(c, ext_client_cb);
    SSL_set_psk_server_callback(s, ext_server_cb);
    /* the server verifies its peers: a PSK needs a session id context (OpenSSL 3.0) */
    SSL_set_session_id_context(s, (const unsigned char *)"mf", 2);
}
/* §4.2.11: the selected identity must be one the client offered (it offered one). */
static void e_psk_index1(hello *h) { ext_set(h, TLSEXT_TYPE_psk, "\x00\x01", 2); }
static void sh_psk_bad_index(flight *f) { sh_ext_with(f, e_psk_index1); }

static void sf_ee_first(flight *f)
{
    int i = find_msg(f, SSL3_MT_ENCRYPTED_EXTENSIONS);
    put_hs(f, 0, f->m[i].type, f->m[i].body, f->m[i].len); /* in place of the ServerHello */
}

static void sf_sh_twice(flight *f)
{
    put_orig(f, 0);
    put_ccs(f);
    put_hs(f, 1, SSL3_MT_SERVER_HELLO, f->m[0].body, f->m[0].len);
}

/* ---- EncryptedExtensions, CertificateRequest ------------------------------------------------ */

/* The flight with message `type` replaced by the result of edit on its extension block. */
static void sf_ext_with(flight *f, uint8_t type, void (*edit)(hello *h))
{
    int i = find_msg(f, type);
    hello h;
    if (i < 0 || !hello_parse(&h, &f->m[i]))
        abort();
    put_orig_range(f, 0, i);
    edit(&h);
    put_hello(f, i, &h);
    put_orig_range(f, i + 1, f->n);
}

static void e_dup_sni(hello *h)
{
    ext_add(h, TLSEXT_TYPE_server_name, NULL, 0);
    ext_add(h, TLSEXT_TYPE_server_name, NULL, 0);
}
static void ee_dup_ext(flight *f) { sf_ext_with(f, SSL3_MT_ENCRYPTED_EXTENSIONS, e_dup_sni); }

static void e_key_share(hello *h)
{
    static uint8_t ks[4 + 32] = { 0x00, 0x1d, 0, 32 };
    ext_add(h, TLSEXT_TYPE_key_share, ks, sizeof(ks));
}
static void ee_key_share(flight *f) { sf_ext_with(f, SSL3_MT_ENCRYPTED_EXTENSIONS, e_key_share); }

static void e_mfl(hello *h)
{
    static const uint8_t mfl[] = { 1 };
    ext_add(h, TLSEXT_TYPE_max_fragment_length, mfl, sizeof(mfl));
}
static void ee_unsolicited(flight *f) { sf_ext_with(f, SSL3_MT_ENCRYPTED_EXTENSIONS, e_mfl); }
/* accepting early data the client never sent (§4.2.10) */
static void ee_early_data(flight *f) { sf_ext_with(f, SSL3_MT_ENCRYPTED_EXTENSIONS, e_early_data); }

static void e_alpn_h3(hello *h)
{
    static const uint8_t alpn[] = { 0, 3, 2, 'h', '3' };
    ext_set(h, TLSEXT_TYPE_application_layer_protocol_negotiation, alpn, sizeof(alpn));
}
static void ee_alpn_not_offered(flight *f) { sf_ext_with(f, SSL3_MT_ENCRYPTED_EXTENSIONS, e_alpn_h3); }

static void e_alpn_two(hello *h)
{
    static const uint8_t alpn[] = { 0, 6, 2, 'h', '2', 2, 'h', '2' };
    ext_set(h, TLSEXT_TYPE_application_layer_protocol_negotiation, alpn, sizeof(alpn));
}
static void ee_alpn_two(flight *f) { sf_ext_with(f, SSL3_MT_ENCRYPTED_EXTENSIONS, e_alpn_two); }

static void ee_trailing(flight *f)
{
    int i = find_msg(f, SSL3_MT_ENCRYPTED_EXTENSIONS);
    buf b = { 0 };
    put_orig_range(f, 0, i);
    b_put(&b, f->m[i].body, f->m[i].len);
    b_u8(&b, 0);
    put_hs(f, 1, SSL3_MT_ENCRYPTED_EXTENSIONS, b.p, b.n);
    b_free(&b);
    put_orig_range(f, i + 1, f->n);
}

static void e_none(hello *h) { h->ne = 0; }
static void cr_no_sigalgs(flight *f) { sf_ext_with(f, SSL3_MT_CERTIFICATE_REQUEST, e_none); }

static void e_cr_key_share(hello *h)
{
    static uint8_t ks[4 + 32] = { 0x00, 0x1d, 0, 32 };
    ext_add(h, TLSEXT_TYPE_key_share, ks, sizeof(ks));
}
static void cr_ext_wrong_message(flight *f) { sf_ext_with(f, SSL3_MT_CERTIFICATE_REQUEST, e_cr_key_share); }

static void cr_context(flight *f)
{
    int i = find_msg(f, SSL3_MT_CERTIFICATE_REQUEST);
    buf b = { 0 };
    put_orig_range(f, 0, i);
    b_u8(&b, 1);
    b_u8(&b, 9);
    b_put(&b, f->m[i].body + 1, f->m[i].len - 1);
    put_hs(f, 1, SSL3_MT_CERTIFICATE_REQUEST, b.p, b.n);
    b_free(&b);
    put_orig_range(f, i + 1, f->n);
}

/* ---- Certificate, CertificateVerify, Finished ----------------------------------------------- */

static void add_byte(buf *b) { b_u8(b, 0); }

static void cert_empty(buf *b)
{
    b->n = 0;
    b_u8(b, 0);
    b_u24(b, 0);
}

static void cert_bad_der(buf *b)
{
    static const uint8_t c[] = { 0, 0, 0, 14, 0, 0, 9, 0x30, 0x07, 1, 2, 3, 4, 5, 6, 7, 0, 0 };
    b->n = 0;
    b_put(b, c, sizeof(c));
}

static void cert_context(buf *b)
{
    buf c = { 0 };
    b_u8(&c, 1);
    b_u8(&c, 7);
    b_put(&c, b->p + 1, b->n - 1);
    b_free(b);
    *b = c;
}

/* The leaf's CertificateEntry with a key_share extension, which §4.2 allows in CH, SH and HRR
 * only: illegal_parameter. */
static void cert_entry_ext(buf *b)
{
    size_t certlen = (size_t)b->p[4] << 16 | (size_t)b->p[5] << 8 | b->p[6];
    buf c = { 0 };
    static uint8_t ks[4 + 4 + 32] = { 0x00, 0x33, 0, 36, 0x00, 0x1d, 0, 32 };
    b_u8(&c, 0);
    b_u24(&c, 3 + certlen + 2 + sizeof(ks));
    b_u24(&c, certlen);
    b_put(&c, b->p + 7, certlen);
    b_u16(&c, sizeof(ks));
    b_put(&c, ks, sizeof(ks));
    b_free(b);
    *b = c;
}

/* A leaf from another CA by the same name as the trusted one: its signature does not verify
 * (X509_V_ERR_CERT_SIGNATURE_FAILURE, which OpenSSL answers with decrypt_error). */
static void cert_other_ca(buf *b)
{
    static keel_test_chain other;
    static int made;
    if (!made && !(made = keel_test_make_chain(&other, KT_EC_P256, "server.test", 365)))
        abort();
    int n = i2d_X509(other.leaf, NULL);
    unsigned char *der = malloc((size_t)n), *p = der;
    i2d_X509(other.leaf, &p);
    b->n = 0;
    b_u8(b, 0);
    b_u24(b, 3 + (size_t)n + 2);
    b_u24(b, (size_t)n);
    b_put(b, der, (size_t)n);
    b_u16(b, 0);
    free(der);
}

/* A "server.test" leaf the trusted CA did issue, for an RSA-1024 key: below the client's default
 * security level 2 (112 bits), so verification fails with X509_V_ERR_EE_KEY_TOO_SMALL, which
 * OpenSSL answers with bad_certificate (SSL_CTX_set_security_level(3)). */
static void cert_weak_rsa(buf *b)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    if (k == NULL || x == NULL || name == NULL
            || !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"server.test", -1, -1, 0)
            || !X509_set_version(x, X509_VERSION_3) || !ASN1_INTEGER_set(X509_get_serialNumber(x), 8)
            || !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, X509_get_subject_name(mf_chain.ca))
            || X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL
            || X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL
            || !X509_set_pubkey(x, k) || !X509_sign(x, mf_chain.ca_key, EVP_sha256()))
        abort();
    int n = i2d_X509(x, NULL);
    unsigned char *der = malloc((size_t)n), *p = der;
    i2d_X509(x, &p);
    b->n = 0;
    b_u8(b, 0);
    b_u24(b, 3 + (size_t)n + 2);
    b_u24(b, (size_t)n);
    b_put(b, der, (size_t)n);
    b_u16(b, 0);
    free(der);
    X509_NAME_free(name);
    X509_free(x);
    EVP_PKEY_free(k);
}

/* A self-signed "server.test" certificate for the leaf's key: nothing the client trusts issued it. */
static void cert_self_signed(buf *b)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    if (x == NULL || name == NULL
            || !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"server.test", -1, -1, 0)
            || !X509_set_version(x, X509_VERSION_3) || !ASN1_INTEGER_set(X509_get_serialNumber(x), 7)
            || !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name)
            || X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL
            || X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL
            || !X509_set_pubkey(x, mf_chain.leaf_key) || !X509_sign(x, mf_chain.leaf_key, EVP_sha256()))
        abort();
    int n = i2d_X509(x, NULL);
    unsigned char *der = malloc((size_t)n), *p = der;
    i2d_X509(x, &p);
    b->n = 0;
    b_u8(b, 0);
    b_u24(b, 3 + (size_t)n + 2);
    b_u24(b, (size_t)n);
    b_put(b, der, (size_t)n);
    b_u16(b, 0);
    free(der);
    X509_NAME_free(name);
    X509_free(x);
}

static void sf_cert_self_signed(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, cert_self_signed); }
static void sf_cert_empty(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, cert_empty); }
static void sf_cert_bad_der(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, cert_bad_der); }
static void sf_cert_context(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, cert_context); }
static void sf_cert_trailing(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, add_byte); }
static void sf_cert_entry_ext(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, cert_entry_ext); }
static void sf_cert_other_ca(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, cert_other_ca); }
static void sf_cert_weak_rsa(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, cert_weak_rsa); }
static void sf_cv_bad_sig(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE_VERIFY, flip_last); }
static void sf_cv_scheme(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE_VERIFY, scheme_pss); }
static void sf_cv_truncated(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE_VERIFY, cut3); }
static void sf_fin_bad(flight *f) { put_changed(f, SSL3_MT_FINISHED, flip_first); }
static void sf_fin_short(flight *f) { put_changed(f, SSL3_MT_FINISHED, drop_last); }

static void sf_without(flight *f, uint8_t type)
{
    int i = find_msg(f, type);
    for (int k = 0; k < f->n; k++)
        if (k != i)
            put_orig(f, k);
}
static void sf_no_ee(flight *f) { sf_without(f, SSL3_MT_ENCRYPTED_EXTENSIONS); }
static void sf_no_cert(flight *f) { sf_without(f, SSL3_MT_CERTIFICATE); }
static void sf_no_cv(flight *f) { sf_without(f, SSL3_MT_CERTIFICATE_VERIFY); }

static void sf_cr_twice(flight *f)
{
    int i = find_msg(f, SSL3_MT_CERTIFICATE_REQUEST);
    put_orig_range(f, 0, i + 1);
    put_orig_range(f, i, f->n);
}

/* ---- records of the protected part ---------------------------------------------------------- */

static void sf_head(flight *f)
{
    put_orig(f, 0);
    put_ccs(f);
}

static void sf_inner_no_type(flight *f) { sf_head(f); seal_record(&f->wp, &f->out, 0, NULL, 0, 8); }
static void sf_ccs_protected(flight *f) { sf_head(f); put_enc(f, 20, "\x01", 1); }
static void sf_zero_handshake(flight *f) { sf_head(f); put_enc(f, 22, NULL, 0); }
static void sf_appdata_early(flight *f) { sf_head(f); put_enc(f, 23, "early", 5); }
static void sf_fatal_alert(flight *f) { sf_head(f); put_enc(f, 21, "\x02\x28", 2); }

static void sf_bad_tag(flight *f)
{
    put_orig_range(f, 0, 2);
    f->out.p[f->out.n - 1] ^= 0x80; /* the EncryptedExtensions record's tag */
}

static void sf_oversize_ciphertext(flight *f)
{
    static uint8_t junk[16384 + 256 + 1];
    sf_head(f);
    put_plain(f, 23, junk, sizeof(junk));
}

static void sf_oversize_plaintext(flight *f)
{
    static uint8_t big[16385];
    sf_head(f);
    put_enc(f, 22, big, sizeof(big));
}

static void sf_plain_handshake(flight *f)
{
    sf_head(f);
    put_hs(f, 0, f->m[1].type, f->m[1].body, f->m[1].len);
}

static void sf_huge_message(flight *f)
{
    static const uint8_t hdr[4] = { SSL3_MT_ENCRYPTED_EXTENSIONS, 0xff, 0xff, 0xff };
    sf_head(f);
    put_enc(f, 22, hdr, sizeof(hdr));
}

static void sf_key_update(flight *f)
{
    static const uint8_t ku[] = { SSL3_MT_KEY_UPDATE, 0, 0, 1, 0 };
    sf_head(f);
    put_enc(f, 22, ku, sizeof(ku));
}

static void sf_warn_flood(flight *f)
{
    sf_head(f);
    for (int i = 0; i < 64; i++)
        put_enc(f, 21, "\x01\x5a", 2);
}

/* ---- after the handshake -------------------------------------------------------------------- */

static void app_empty_flood(flight *f)
{
    for (int i = 0; i < 64; i++)
        put_enc(f, 23, NULL, 0);
}

static void app_ku_value(flight *f)
{
    static const uint8_t ku[] = { SSL3_MT_KEY_UPDATE, 0, 0, 1, 7 };
    put_enc(f, 22, ku, sizeof(ku));
}

static void app_cr_no_pha(flight *f)
{
    static const uint8_t cr[] = { SSL3_MT_CERTIFICATE_REQUEST, 0, 0, 11, 1, 5, 0, 8, 0, 13, 0, 4, 0, 2,
                                  4, 3 };
    put_enc(f, 22, cr, sizeof(cr));
}

static void app_nst_truncated(flight *f)
{
    static const uint8_t nst[] = { SSL3_MT_NEWSESSION_TICKET, 0, 0, 6, 0, 0, 0, 60, 0, 0 };
    put_enc(f, 22, nst, sizeof(nst));
}

/* §4.6.1: early_data in a NewSessionTicket is a uint32 max_early_data_size; here 2 bytes */
static void app_nst_early_data_short(flight *f)
{
    static const uint8_t nst[] = { SSL3_MT_NEWSESSION_TICKET, 0, 0, 21, 0, 0, 0, 60, 0, 0, 0, 0,
                                   1, 0, 0, 1, 0xab, 0, 6, 0, 0x2a, 0, 2, 0x40, 0 };
    put_enc(f, 22, nst, sizeof(nst));
}

static void app_server_hello(flight *f)
{
    static const uint8_t sh[] = { SSL3_MT_SERVER_HELLO, 0, 0, 2, 3, 3 };
    put_enc(f, 22, sh, sizeof(sh));
}

static void app_fatal_alert(flight *f) { put_enc(f, 21, "\x02\x28", 2); }

/* ---- issue #10: key changes on record boundaries, plaintext alerts ---------------------------- */

static void b_msg(buf *b, uint8_t type, const void *body, size_t n)
{
    b_u8(b, type);
    b_u24(b, n);
    b_put(b, body, n);
}


static void sf_ee_in_server_hello_record(flight *f)
{
    /* §5.1: EncryptedExtensions in plaintext, in the ServerHello's record, which makes the client
     * install the server's handshake key: it must not be read as if it had come under it. */
    int ee = find_msg(f, SSL3_MT_ENCRYPTED_EXTENSIONS);
    buf b = { 0 };
    b_msg(&b, f->m[0].type, f->m[0].body, f->m[0].len);
    b_msg(&b, f->m[ee].type, f->m[ee].body, f->m[ee].len);
    put_plain(f, 22, b.p, b.n);
    b_free(&b);
    for (int i = 1; i < f->n; i++)
        if (i != ee)
            put_orig(f, i);
}

static void sf_finished_then_key_update(flight *f)
{
    int fin = find_msg(f, SSL3_MT_FINISHED);
    buf b = { 0 };
    put_orig_range(f, 0, fin);
    b_msg(&b, SSL3_MT_FINISHED, f->m[fin].body, f->m[fin].len);
    b_put(&b, ku0, sizeof(ku0));
    put_enc(f, 22, b.p, b.n);
    b_free(&b);
}

static void app_forged_close_notify(flight *f)
{
    f->out.n = 0; /* before the tickets: nothing yet under the server's application key */
    put_plain(f, 21, "\x01\x00", 2);
}



#define AD(x) SSL_AD_##x
#define R(x) SSL_R_##x

static const mf_case cases[] = {
    /* ServerHello (RFC 8446 §4.1.3, §4.2) */
    { "sh_truncated", MF_AT_SF, sh_truncated, AD(DECODE_ERROR), R(LENGTH_MISMATCH) },
    { "sh_trailing_bytes", MF_AT_SF, sh_trailing, AD(DECODE_ERROR), R(BAD_LENGTH), R(BAD_EXTENSION) },
    { "sh_suite_not_offered", MF_AT_SF, sh_wrong_suite, AD(ILLEGAL_PARAMETER), R(WRONG_CIPHER_RETURNED) },
    { "sh_session_id_echo", MF_AT_SF, sh_bad_sid_echo, AD(ILLEGAL_PARAMETER), R(INVALID_SESSION_ID) },
    { "sh_compression", MF_AT_SF, sh_compression, AD(ILLEGAL_PARAMETER), R(INVALID_COMPRESSION_ALGORITHM) },
    { "sh_selects_tls12", MF_AT_SF, sh_version_tls12, AD(ILLEGAL_PARAMETER), R(UNSUPPORTED_PROTOCOL) },
    { "sh_no_supported_versions", MF_AT_SF, sh_no_versions, AD(PROTOCOL_VERSION), R(UNSUPPORTED_PROTOCOL),
      0, client_tls13_only },
    /* A client that offers TLS 1.2 reads it as a TLS 1.2 ServerHello whose suite is TLS 1.3's
     * (OpenSSL 3.0 checks the suite before the extensions' TLS 1.2 context). */
    { "sh_no_supported_versions_tls12", MF_AT_SF, sh_no_versions, AD(ILLEGAL_PARAMETER), R(WRONG_CIPHER_RETURNED) },
    { "sh_duplicate_extension", MF_AT_SF, sh_dup_ext, AD(ILLEGAL_PARAMETER), R(BAD_EXTENSION) },
    { "sh_extension_wrong_message", MF_AT_SF, sh_ext_wrong_message, AD(ILLEGAL_PARAMETER), R(BAD_EXTENSION) },
    { "sh_unknown_extension", MF_AT_SF, sh_unknown_ext, AD(UNSUPPORTED_EXTENSION), R(UNSOLICITED_EXTENSION) },
    { "sh_psk_not_offered", MF_AT_SF, sh_psk_not_offered, AD(UNSUPPORTED_EXTENSION), R(UNSOLICITED_EXTENSION) },
    { "sh_early_data", MF_AT_SF, sh_early_data, AD(ILLEGAL_PARAMETER), R(BAD_EXTENSION) },
    { "sh_no_key_share", MF_AT_SF, sh_no_key_share, AD(MISSING_EXTENSION), R(NO_SUITABLE_KEY_SHARE) },
    /* issue #13: an external PSK accepted; without psk_ke offered the share is still due */
    { "sh_ext_psk_index_not_offered", MF_AT_SF, sh_psk_bad_index, AD(ILLEGAL_PARAMETER), R(BAD_PSK_IDENTITY), 0, ext_psk },
    { "sh_ext_psk_no_key_share", MF_AT_SF, sh_no_key_share, AD(MISSING_EXTENSION), R(NO_SUITABLE_KEY_SHARE), 0, ext_psk },
    { "sh_group_not_offered", MF_AT_SF, sh_group_not_offered, AD(ILLEGAL_PARAMETER), R(BAD_KEY_SHARE) },
    { "sh_bad_x25519_share", MF_AT_SF, sh_bad_share, AD(ILLEGAL_PARAMETER), R(BAD_ECPOINT), R(BAD_KEY_SHARE) },
    { "sf_encrypted_extensions_first", MF_AT_SF, sf_ee_first, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "sf_server_hello_twice", MF_AT_SF, sf_sh_twice, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    /* EncryptedExtensions (§4.3.1), CertificateRequest (§4.3.2) */
    { "ee_duplicate_extension", MF_AT_SF, ee_dup_ext, AD(ILLEGAL_PARAMETER), R(BAD_EXTENSION) },
    { "ee_extension_wrong_message", MF_AT_SF, ee_key_share, AD(ILLEGAL_PARAMETER), R(BAD_EXTENSION) },
    { "ee_unsolicited_extension", MF_AT_SF, ee_unsolicited, AD(UNSUPPORTED_EXTENSION), R(UNSOLICITED_EXTENSION) },
    { "ee_early_data_not_sent", MF_AT_SF, ee_early_data, AD(UNSUPPORTED_EXTENSION), R(UNSOLICITED_EXTENSION) },
    { "ee_alpn_not_offered", MF_AT_SF, ee_alpn_not_offered, AD(ILLEGAL_PARAMETER), R(BAD_EXTENSION) },
    { "ee_alpn_two_protocols", MF_AT_SF, ee_alpn_two, AD(DECODE_ERROR), R(BAD_EXTENSION) },
    { "ee_trailing_bytes", MF_AT_SF, ee_trailing, AD(DECODE_ERROR), R(LENGTH_MISMATCH), R(BAD_EXTENSION) },
    { "sf_no_encrypted_extensions", MF_AT_SF, sf_no_ee, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "cr_no_signature_algorithms", MF_AT_SF, cr_no_sigalgs, AD(MISSING_EXTENSION), R(MISSING_SIGALGS_EXTENSION) },
    { "cr_extension_wrong_message", MF_AT_SF, cr_ext_wrong_message, AD(ILLEGAL_PARAMETER), R(BAD_EXTENSION) },
    { "cr_context_in_handshake", MF_AT_SF, cr_context, AD(DECODE_ERROR), R(LENGTH_MISMATCH) },
    { "sf_certificate_request_twice", MF_AT_SF, sf_cr_twice, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    /* Certificate (§4.4.2), CertificateVerify (§4.4.3), Finished (§4.4.4) */
    { "cert_empty", MF_AT_SF, sf_cert_empty, AD(DECODE_ERROR), R(NO_CERTIFICATES_RETURNED) },
    { "cert_bad_der", MF_AT_SF, sf_cert_bad_der, AD(BAD_CERTIFICATE), ERR_R_ASN1_LIB },
    { "cert_context", MF_AT_SF, sf_cert_context, AD(ILLEGAL_PARAMETER), R(INVALID_CONTEXT) },
    { "cert_trailing_bytes", MF_AT_SF, sf_cert_trailing, AD(DECODE_ERROR), R(LENGTH_MISMATCH) },
    { "cert_entry_extension_wrong_message", MF_AT_SF, sf_cert_entry_ext, AD(ILLEGAL_PARAMETER), R(BAD_EXTENSION) },
    { "cert_issuer_signature_fails", MF_AT_SF, sf_cert_other_ca, AD(DECRYPT_ERROR), R(CERTIFICATE_VERIFY_FAILED) },
    { "cert_self_signed", MF_AT_SF, sf_cert_self_signed, AD(UNKNOWN_CA), R(CERTIFICATE_VERIFY_FAILED) },
    { "sf_no_certificate", MF_AT_SF, sf_no_cert, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "sf_no_certificate_verify", MF_AT_SF, sf_no_cv, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "cv_bad_signature", MF_AT_SF, sf_cv_bad_sig, AD(DECRYPT_ERROR), R(BAD_SIGNATURE) },
    { "cv_wrong_scheme", MF_AT_SF, sf_cv_scheme, AD(ILLEGAL_PARAMETER), R(WRONG_SIGNATURE_TYPE) },
    { "cv_truncated", MF_AT_SF, sf_cv_truncated, AD(DECODE_ERROR), R(LENGTH_MISMATCH) },
    { "fin_bad", MF_AT_SF, sf_fin_bad, AD(DECRYPT_ERROR), R(DIGEST_CHECK_FAILED) },
    { "fin_short", MF_AT_SF, sf_fin_short, AD(DECODE_ERROR), R(BAD_DIGEST_LENGTH), R(LENGTH_MISMATCH) },
    /* records (§5) */
    { "sf_inner_plaintext_no_type", MF_AT_SF, sf_inner_no_type, AD(UNEXPECTED_MESSAGE), R(BAD_RECORD_TYPE) },
    { "sf_ccs_protected", MF_AT_SF, sf_ccs_protected, AD(UNEXPECTED_MESSAGE), R(BAD_RECORD_TYPE) },
    { "sf_zero_length_handshake", MF_AT_SF, sf_zero_handshake, AD(UNEXPECTED_MESSAGE), R(BAD_LENGTH) },
    { "sf_appdata_before_finished", MF_AT_SF, sf_appdata_early, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_RECORD) },
    { "sf_bad_record_mac", MF_AT_SF, sf_bad_tag, AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC) },
    { "sf_oversize_ciphertext", MF_AT_SF, sf_oversize_ciphertext, AD(RECORD_OVERFLOW), R(ENCRYPTED_LENGTH_TOO_LONG) },
    { "sf_oversize_plaintext", MF_AT_SF, sf_oversize_plaintext, AD(RECORD_OVERFLOW), R(DATA_LENGTH_TOO_LONG) },
    { "sf_unprotected_handshake", MF_AT_SF, sf_plain_handshake, AD(UNEXPECTED_MESSAGE), R(BAD_RECORD_TYPE), R(UNEXPECTED_RECORD) },
    { "sf_message_too_long", MF_AT_SF, sf_huge_message, AD(ILLEGAL_PARAMETER), R(EXCESSIVE_MESSAGE_SIZE) },
    { "sf_key_update_in_handshake", MF_AT_SF, sf_key_update, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "sf_warning_alert_flood", MF_AT_SF, sf_warn_flood, AD(UNEXPECTED_MESSAGE), R(TOO_MANY_WARN_ALERTS) },
    { "sf_fatal_alert_received", MF_AT_SF, sf_fatal_alert, -1, R(SSLV3_ALERT_HANDSHAKE_FAILURE) },
    /* after the handshake (§4.6) */
    { "app_empty_record_flood", MF_AT_APP_C, app_empty_flood, AD(UNEXPECTED_MESSAGE), R(RECORD_TOO_SMALL) },
    { "app_key_update_value_7", MF_AT_APP_C, app_ku_value, AD(ILLEGAL_PARAMETER), R(BAD_KEY_UPDATE) },
    { "app_certificate_request_without_pha", MF_AT_APP_C, app_cr_no_pha, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "app_ticket_truncated", MF_AT_APP_C, app_nst_truncated, AD(DECODE_ERROR), R(LENGTH_MISMATCH) },
    { "app_ticket_early_data_short", MF_AT_APP_C, app_nst_early_data_short, AD(DECODE_ERROR), R(INVALID_MAX_EARLY_DATA) },
    { "app_server_hello", MF_AT_APP_C, app_server_hello, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "app_fatal_alert_received", MF_AT_APP_C, app_fatal_alert, -1, R(SSLV3_ALERT_HANDSHAKE_FAILURE) },
    /* issue #10 (§5.1, §6) */
    { "sf_ee_in_server_hello_record", MF_AT_SF, sf_ee_in_server_hello_record, AD(UNEXPECTED_MESSAGE), R(NOT_ON_RECORD_BOUNDARY) },
    { "sf_finished_then_key_update", MF_AT_SF, sf_finished_then_key_update, AD(UNEXPECTED_MESSAGE), R(NOT_ON_RECORD_BOUNDARY) },
    { "app_forged_close_notify", MF_AT_APP_C, app_forged_close_notify, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_RECORD) },
    { "app_forged_close_notify_after_key_update", MF_AT_APP_C, app_forged_close_notify_after_ku, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_RECORD) },
    { "app_two_key_updates_one_record", MF_AT_APP_C, app_two_key_updates, AD(UNEXPECTED_MESSAGE), R(NOT_ON_RECORD_BOUNDARY) },
    /* security level (SSL_CTX_set_security_level(3)) */
    { "cert_rsa1024_below_level", MF_AT_SF, sf_cert_weak_rsa, AD(BAD_CERTIFICATE), R(CERTIFICATE_VERIFY_FAILED) },
};

int main(int argc, char **argv)
{
    return mf_main(argc, argv, "malformed_client", cases, MF_NCASES(cases));
}
