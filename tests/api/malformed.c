/* A keel server fed crafted input (issue #6): ClientHellos, records in the plaintext phase, the
 * client's second flight (Certificate, CertificateVerify, Finished) and records after the
 * handshake. Each case: the alert RFC 8446 prescribes (§6 and the section that names it), OpenSSL
 * 3.0's reason code, nothing written after the alert. The harness is malformed.h; the client as
 * the victim is malformed_client.c. Run one case: api_malformed <substring of its name>.
 *
 * keel_reason marks a known difference: keel's reason code where OpenSSL 3.0 reports another
 * (the alert is still checked exactly). known_bug marks a case left failing on purpose. */
#include "malformed.h"

/* ---- ClientHello ---------------------------------------------------------------------------- */

static const msg *ch_of(flight *f) { return &f->m[0]; }

/* A copy of the ClientHello body, to damage in place. */
static buf ch_copy(flight *f)
{
    buf b = { 0 };
    b_put(&b, ch_of(f)->body, ch_of(f)->len);
    return b;
}

/* Offsets in a ClientHello body (RFC 8446 §4.1.2). */
static size_t ch_suites_off(const msg *m) { return 2 + 32 + 1 + m->body[34]; }
static size_t ch_comp_off(const msg *m)
{
    size_t o = ch_suites_off(m);
    return o + 2 + ((size_t)m->body[o] << 8 | m->body[o + 1]);
}

static void ch_put_buf(flight *f, buf *b)
{
    put_hs(f, 0, SSL3_MT_CLIENT_HELLO, b->p, b->n);
    b_free(b);
}

static void ch_truncated(flight *f)
{
    put_hs(f, 0, SSL3_MT_CLIENT_HELLO, ch_of(f)->body, 38); /* inside the session id */
}

static void ch_trailing(flight *f)
{
    buf b = ch_copy(f);
    b_u16(&b, 0); /* two bytes after the extensions block */
    ch_put_buf(f, &b);
}

static void ch_suites_length(flight *f)
{
    buf b = ch_copy(f);
    size_t o = ch_suites_off(ch_of(f));
    b.p[o] = 0xff, b.p[o + 1] = 0xfe; /* past the end of the message */
    ch_put_buf(f, &b);
}

static void ch_ext_overrun(flight *f)
{
    hello h;
    buf b = { 0 };
    if (!hello_parse(&h, ch_of(f)))
        abort();
    /* The last extension claims 16 bytes more than the block holds. */
    hello_build(&h, &b);
    size_t lenpos = b.n - h.e[h.ne - 1].n - 2;
    unsigned v = (unsigned)(b.p[lenpos] << 8 | b.p[lenpos + 1]) + 16;
    b.p[lenpos] = (uint8_t)(v >> 8), b.p[lenpos + 1] = (uint8_t)v;
    ch_put_buf(f, &b);
}

static void ch_ext_with(flight *f, void (*edit)(hello *h))
{
    hello h;
    if (!hello_parse(&h, ch_of(f)))
        abort();
    edit(&h);
    put_hello(f, 0, &h);
}

static void e_dup_groups(hello *h)
{
    int i = ext_find(h, TLSEXT_TYPE_supported_groups);
    ext_insert(h, i, h->e[i].type, h->e[i].p, h->e[i].n);
}
static void ch_dup_ext(flight *f) { ch_ext_with(f, e_dup_groups); }

static void e_psk_first(hello *h)
{
    /* A well-formed pre_shared_key (one identity, one 32-byte binder), not last (§4.2.11). */
    static const uint8_t psk[] = {
        0x00, 0x0a, 0x00, 0x04, 'a', 'b', 'c', 'd', 0x00, 0x00, 0x00, 0x00,
        0x00, 0x21, 0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
    };
    static const uint8_t modes[] = { 1, 1 };
    ext_set(h, TLSEXT_TYPE_psk_kex_modes, modes, sizeof(modes));
    ext_insert(h, 0, TLSEXT_TYPE_psk, psk, sizeof(psk));
}
static void ch_psk_not_last(flight *f) { ch_ext_with(f, e_psk_first); }

static void e_tls12_only(hello *h)
{
    static const uint8_t v[] = { 2, 3, 3 };
    ext_set(h, TLSEXT_TYPE_supported_versions, v, sizeof(v));
}
static void ch_tls12_only(flight *f) { ch_ext_with(f, e_tls12_only); }
/* A client offering TLS 1.3 only, so its ClientHello carries TLS 1.3 suites only. */
static void client_tls13_only(SSL *client, SSL *server)
{
    (void)server;
    SSL_set_min_proto_version(client, TLS1_3_VERSION);
}

static void e_no_versions(hello *h) { ext_del(h, TLSEXT_TYPE_supported_versions); }
static void ch_no_versions(flight *f) { ch_ext_with(f, e_no_versions); }

static void e_no_sigalgs(hello *h) { ext_del(h, TLSEXT_TYPE_signature_algorithms); }
static void ch_no_sigalgs(flight *f) { ch_ext_with(f, e_no_sigalgs); }

static void e_no_groups(hello *h) { ext_del(h, TLSEXT_TYPE_supported_groups); }
static void ch_no_groups(flight *f) { ch_ext_with(f, e_no_groups); }

static void e_short_x25519(hello *h)
{
    static uint8_t ks[2 + 4 + 31] = { 0, 35, 0x00, 0x1d, 0, 31 };
    memset(ks + 6, 9, 31);
    ext_set(h, TLSEXT_TYPE_key_share, ks, sizeof(ks));
}
static void ch_bad_share(flight *f) { ch_ext_with(f, e_short_x25519); }

/* RFC 8446 §4.2.8.1 / RFC 7919 §5.1: an ffdhe2048 share Y must be 1 < Y < p-1 (setup ffdhe:
 * the client offers that group alone). OpenSSL 3.0 says bad_ecpoint for any bad share; keel
 * names the DH value (a known difference, the table's keel_reason). */
static uint8_t ks_ff[2 + 4 + 256];
static void e_ffdhe_y(hello *h, int v)
{
    ks_ff[0] = 1, ks_ff[1] = 4, ks_ff[2] = 0x01, ks_ff[3] = 0x00, ks_ff[4] = 1, ks_ff[5] = 0;
    memset(ks_ff + 6, v < 0 ? 0xff : 0, 256);
    if (v >= 0)
        ks_ff[6 + 255] = (uint8_t)v;
    ext_set(h, TLSEXT_TYPE_key_share, ks_ff, sizeof(ks_ff));
}
static void e_ffdhe_0(hello *h) { e_ffdhe_y(h, 0); }
static void e_ffdhe_1(hello *h) { e_ffdhe_y(h, 1); }
static void e_ffdhe_big(hello *h) { e_ffdhe_y(h, -1); }
static void ch_ffdhe_y0(flight *f) { ch_ext_with(f, e_ffdhe_0); }
static void ch_ffdhe_y1(flight *f) { ch_ext_with(f, e_ffdhe_1); }
static void ch_ffdhe_y_above_p(flight *f) { ch_ext_with(f, e_ffdhe_big); }
static void ffdhe(SSL *c, SSL *s) { (void)s; CHECK(SSL_set1_groups_list(c, "ffdhe2048")); }

static void e_sni_type1(hello *h)
{
    static const uint8_t sni[] = { 0, 6, 1, 0, 3, 'a', '.', 'b' };
    ext_set(h, TLSEXT_TYPE_server_name, sni, sizeof(sni));
}
static void ch_sni_bad_type(flight *f) { ch_ext_with(f, e_sni_type1); }

static void e_alpn_empty(hello *h)
{
    static const uint8_t alpn[] = { 0, 0 };
    ext_set(h, TLSEXT_TYPE_application_layer_protocol_negotiation, alpn, sizeof(alpn));
}
static void ch_alpn_empty(flight *f) { ch_ext_with(f, e_alpn_empty); }

static void e_versions_odd(hello *h)
{
    static const uint8_t v[] = { 3, 3, 4, 3 }; /* a list of 3 bytes */
    ext_set(h, TLSEXT_TYPE_supported_versions, v, sizeof(v));
}
static void ch_versions_odd(flight *f) { ch_ext_with(f, e_versions_odd); }

static void ch_compression(flight *f)
{
    buf b = ch_copy(f);
    size_t o = ch_comp_off(ch_of(f));
    b.p[o + 1] = 1; /* {deflate} instead of {null} (§4.1.2) */
    ch_put_buf(f, &b);
}

static void ch_no_shared_suite(flight *f)
{
    const msg *m = ch_of(f);
    size_t o = ch_suites_off(m), old = (size_t)m->body[o] << 8 | m->body[o + 1];
    buf b = { 0 };
    b_put(&b, m->body, o);
    b_u16(&b, 2);
    b_u16(&b, 0xc02f); /* ECDHE-RSA-AES128-GCM-SHA256: TLS 1.2 only */
    b_put(&b, m->body + o + 2 + old, m->len - o - 2 - old);
    ch_put_buf(f, &b);
}

/* ---- records before and around the ClientHello -------------------------------------------- */

static void rec_finished_first(flight *f)
{
    static const uint8_t vd[32];
    put_hs(f, 0, SSL3_MT_FINISHED, vd, sizeof(vd));
}

static void rec_appdata_first(flight *f) { put_plain(f, 23, "hello", 5); }
static void rec_unknown_type(flight *f) { put_plain(f, 0x63, "x", 1); }
static void rec_zero_alert(flight *f) { put_plain(f, 21, NULL, 0); }
static void rec_alert_3(flight *f) { put_plain(f, 21, "\x01\x00\x00", 3); }

static void rec_oversize(flight *f)
{
    static uint8_t big[16385];
    put_plain(f, 22, big, sizeof(big)); /* 2^14 + 1 (§5.1) */
}

static void rec_warn_flood(flight *f)
{
    for (int i = 0; i < 64; i++)
        put_plain(f, 21, "\x01\x5a", 2); /* warning user_canceled */
}

static void rec_fatal_alert(flight *f) { put_plain(f, 21, "\x02\x28", 2); }

static void rec_http(flight *f)
{
    static const char get[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    b_put(&f->out, get, sizeof(get) - 1);
}

static void rec_not_tls(flight *f)
{
    b_put(&f->out, "\x16\x09\x09\x00\x05hello", 10);
}

static void rec_ch_fragmented_then_appdata(flight *f)
{
    /* Half a ClientHello, then application data before the rest (§5.1: handshake messages must
     * not be interleaved with other record types). */
    buf m = { 0 };
    b_u8(&m, SSL3_MT_CLIENT_HELLO);
    b_u24(&m, ch_of(f)->len);
    b_put(&m, ch_of(f)->body, ch_of(f)->len);
    put_plain(f, 22, m.p, m.n / 2);
    put_plain(f, 23, "x", 1);
    put_plain(f, 22, m.p + m.n / 2, m.n - m.n / 2);
    b_free(&m);
}

static void rec_ch_twice(flight *f)
{
    put_orig(f, 0);
    put_orig(f, 0); /* the second arrives unprotected once the handshake keys are in use */
}

/* ---- the client's second flight (the server requested a certificate) ------------------------ */

static int fin_of(flight *f) { return find_msg(f, SSL3_MT_FINISHED); }


static void cf_fin_bad(flight *f) { put_changed(f, SSL3_MT_FINISHED, flip_first); }
static void cf_fin_short(flight *f) { put_changed(f, SSL3_MT_FINISHED, drop_last); }
static void cf_cv_bad_sig(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE_VERIFY, flip_last); }
static void cf_cv_scheme(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE_VERIFY, scheme_pss); }
static void cf_cv_truncated(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE_VERIFY, cut3); }
/* ecdsa_sha224 (0x0303): the CertificateRequest lists it, as OpenSSL 3.0's does, for certificate
 * signatures only; RFC 8446 §4.2.3 defines no TLS 1.3 handshake signature with it. */
static void scheme_ecdsa_sha224(buf *b) { b->p[0] = 0x03, b->p[1] = 0x03; }
static void cf_cv_sha224(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE_VERIFY, scheme_ecdsa_sha224); }

static void cert_bad_der(buf *b)
{
    static const uint8_t c[] = { 0, 0, 0, 14, 0, 0, 9, 0x30, 0x07, 1, 2, 3, 4, 5, 6, 7, 0, 0 };
    b->n = 0;
    b_put(b, c, sizeof(c));
}
static void cf_cert_bad_der(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, cert_bad_der); }

static void cert_trailing(buf *b) { b_u8(b, 0); }
static void cf_cert_trailing(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, cert_trailing); }

static void cert_context(buf *b)
{
    buf c = { 0 };
    b_u8(&c, 1);
    b_u8(&c, 7); /* a context the server never sent (§4.4.2) */
    b_put(&c, b->p + 1, b->n - 1);
    b_free(b);
    *b = c;
}
static void cf_cert_context(flight *f) { put_changed(f, SSL3_MT_CERTIFICATE, cert_context); }

static void cf_no_cert(flight *f)
{
    /* Finished straight away, though a certificate was requested (§4.4.2). */
    put_orig(f, fin_of(f));
}

static void cf_empty_cert(flight *f)
{
    static const uint8_t empty[] = { 0, 0, 0, 0 };
    put_hs(f, 1, SSL3_MT_CERTIFICATE, empty, sizeof(empty));
    put_orig(f, fin_of(f));
}

static void require_cert(SSL *c, SSL *s)
{
    SSL_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
}

static void cf_ccs_value2(flight *f)
{
    put_plain(f, 20, "\x02", 1);
    f->ccs_done = 1;
    put_orig_range(f, 0, f->n);
}

static void cf_ccs_protected(flight *f)
{
    f->ccs_done = 1; /* no plaintext one */
    put_enc(f, 20, "\x01", 1);
    put_orig_range(f, 0, f->n);
}

static void cf_inner_no_type(flight *f)
{
    put_ccs(f);
    seal_record(&f->wp, &f->out, 0, NULL, 0, 8); /* all zeros: no content type (§5.4) */
}

static void cf_bad_tag(flight *f)
{
    put_orig_range(f, 0, f->n);
    f->out.p[f->out.n - 1] ^= 0x80;
}

static void cf_oversize_ciphertext(flight *f)
{
    static uint8_t junk[16384 + 256 + 1];
    put_ccs(f);
    put_plain(f, 23, junk, sizeof(junk)); /* 2^14 + 256 + 1 (§5.2) */
}

static void cf_oversize_plaintext(flight *f)
{
    static uint8_t big[16385];
    put_ccs(f);
    put_enc(f, 22, big, sizeof(big)); /* 2^14 + 1 bytes of content (§5.4) */
}

static void cf_zero_handshake(flight *f)
{
    put_ccs(f);
    put_enc(f, 22, NULL, 0);
}

static void cf_plain_handshake(flight *f)
{
    put_ccs(f);
    int i = 0;
    put_hs(f, 0, f->m[i].type, f->m[i].body, f->m[i].len); /* unprotected after the keys (§5) */
}

static void cf_appdata_early(flight *f)
{
    put_ccs(f);
    put_enc(f, 23, "early", 5);
}

static void cf_huge_message(flight *f)
{
    static const uint8_t hdr[4] = { SSL3_MT_CERTIFICATE, 0xff, 0xff, 0xff };
    put_ccs(f);
    put_enc(f, 22, hdr, sizeof(hdr));
}

static void cf_key_update(flight *f)
{
    static const uint8_t ku[] = { SSL3_MT_KEY_UPDATE, 0, 0, 1, 0 };
    put_ccs(f);
    put_enc(f, 22, ku, sizeof(ku));
}

static void cf_client_hello(flight *f)
{
    static const uint8_t ch[] = { SSL3_MT_CLIENT_HELLO, 0, 0, 2, 3, 3 };
    put_ccs(f);
    put_enc(f, 22, ch, sizeof(ch));
}

/* ---- after the handshake -------------------------------------------------------------------- */

static void app_empty_flood(flight *f)
{
    for (int i = 0; i < 64; i++)
        put_enc(f, 23, NULL, 0);
}

static void app_warn_flood(flight *f)
{
    for (int i = 0; i < 64; i++)
        put_enc(f, 21, "\x01\x5a", 2);
}

static void app_fatal_alert(flight *f) { put_enc(f, 21, "\x02\x50", 2); }

static void app_ku_value(flight *f)
{
    static const uint8_t ku[] = { SSL3_MT_KEY_UPDATE, 0, 0, 1, 2 };
    put_enc(f, 22, ku, sizeof(ku));
}

static void app_ku_length(flight *f)
{
    static const uint8_t ku[] = { SSL3_MT_KEY_UPDATE, 0, 0, 2, 1, 0 };
    put_enc(f, 22, ku, sizeof(ku));
}

static void app_nst_to_server(flight *f)
{
    static const uint8_t nst[] = { SSL3_MT_NEWSESSION_TICKET, 0, 0, 13, 0, 0, 0, 60, 0, 0, 0, 0,
                                   0, 0, 1, 't', 0, 0 };
    put_enc(f, 22, nst, sizeof(nst));
}

static void app_client_hello(flight *f)
{
    static const uint8_t ch[] = { SSL3_MT_CLIENT_HELLO, 0, 0, 2, 3, 3 };
    put_enc(f, 22, ch, sizeof(ch));
}

static void app_plain_record(flight *f)
{
    static const uint8_t ku[] = { SSL3_MT_KEY_UPDATE, 0, 0, 1, 0 };
    put_plain(f, 22, ku, sizeof(ku)); /* unprotected once the keys are in use (§5) */
}

/* ---- issue #10: key changes on record boundaries, plaintext alerts, padding, SSLv2 ----------- */

/* Whole handshake messages (header and body) appended to b. */
static void b_msg(buf *b, uint8_t type, const void *body, size_t n)
{
    b_u8(b, type);
    b_u24(b, n);
    b_put(b, body, n);
}


static void rec_ccs_before_client_hello(flight *f)
{
    put_plain(f, 20, "\x01", 1); /* §5: only after the first ClientHello */
    put_orig(f, 0);
}

static void rec_sslv2_client_hello(flight *f)
{
    /* An SSL 2.0-format CLIENT-HELLO (RFC 6101 §E.2 / RFC 5246 §E.2): version 3.3, one cipher
     * spec, no session id, a 16-byte challenge. */
    static const uint8_t v2[] = { 0x80, 28, 1, 3, 3, 0, 3, 0, 0, 0, 16, 0x00, 0x13, 0x01,
                                  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    b_put(&f->out, v2, sizeof(v2));
}

static void rec_client_hello_then_more(flight *f)
{
    /* §5.1: the ClientHello's record also holds the next message: it would be read under the
     * client's handshake key that the ClientHello makes the server install. */
    static const uint8_t vd[32];
    buf b = { 0 };
    b_msg(&b, SSL3_MT_CLIENT_HELLO, ch_of(f)->body, ch_of(f)->len);
    b_msg(&b, SSL3_MT_FINISHED, vd, sizeof(vd));
    put_plain(f, 22, b.p, b.n);
    b_free(&b);
}

static void cf_finished_then_key_update(flight *f)
{
    /* §5.1: Finished and a KeyUpdate in one record: the KeyUpdate would be taken as if it came
     * under the application key that Finished makes the server install. */
    int fin = fin_of(f);
    buf b = { 0 };
    put_orig_range(f, 0, fin);
    b_msg(&b, SSL3_MT_FINISHED, f->m[fin].body, f->m[fin].len);
    b_put(&b, ku0, sizeof(ku0));
    put_enc(f, 22, b.p, b.n);
    b_free(&b);
}

static void app_oversize_padding(flight *f)
{
    /* §5.4: TLSInnerPlaintext (content, type and padding) is at most 2^14 + 1 bytes; here one
     * byte of content and 2^14 + 1 of padding. */
    seal_record(&f->wp, &f->out, 23, "x", 1, 16385);
}

static void app_forged_close_notify(flight *f)
{
    put_plain(f, 21, "\x01\x00", 2); /* before the first protected record under the key */
}



/* ---- issue #10: legacy_version, unsolicited client Certificate, the second ClientHello ------- */

static void ch_version_to(flight *f, unsigned v)
{
    buf b = ch_copy(f);
    b.p[0] = (uint8_t)(v >> 8), b.p[1] = (uint8_t)v;
    ch_put_buf(f, &b);
}
/* Appendix D.5: legacy_version 0x0300 (SSL 3.0) or below is protocol_version. */
static void ch_legacy_ssl3(flight *f) { ch_version_to(f, 0x0300); }
static void ch_legacy_zero(flight *f) { ch_version_to(f, 0x0000); }

/* A Certificate (the harness's leaf) before the client's Finished, though none was requested
 * (RFC 8446 §4.4.2: only in answer to a CertificateRequest). */
static void cf_cert_unsolicited(flight *f)
{
    unsigned char *der = NULL;
    int n = i2d_X509(mf_chain.leaf, &der);
    buf b = { 0 };
    if (n <= 0)
        abort();
    b_u8(&b, 0);
    b_u24(&b, (size_t)n + 5);
    b_u24(&b, (size_t)n);
    b_put(&b, der, (size_t)n);
    b_u16(&b, 0);
    put_hs(f, 1, SSL3_MT_CERTIFICATE, b.p, b.n);
    put_orig(f, fin_of(f));
    b_free(&b);
    OPENSSL_free(der);
}

static void no_cert_request(SSL *c, SSL *s) { SSL_set_verify(s, SSL_VERIFY_NONE, NULL); }
static void resume(SSL *c, SSL *s) { mf_offer_session(c); }
static void peer_cert_none(SSL *v) { CHECK(SSL_get0_peer_certificate(v) == NULL); }

/* The server asks for P-256 in a HelloRetryRequest: the client's first share is X25519. */
static void hrr(SSL *c, SSL *s) { CHECK(SSL_set1_groups_list(s, "P-256:P-384")); }
static void hrr_resume(SSL *c, SSL *s) { hrr(c, s); mf_offer_session(c); }

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
static void hrr_ext_psk(SSL *c, SSL *s) { hrr(c, s); ext_psk(c, s); }

static void ch2_with(flight *f, void (*edit)(hello *h))
{
    hello h;
    if (!hello_parse(&h, &f->m[0]))
        abort();
    edit(&h);
    put_hello(f, 0, &h);
}

/* §4.2.8: after HRR exactly one share, for the group asked for; here a valid P-384 share. */
static uint8_t ks384[2 + 4 + 97];
static void e_share_p384(hello *h)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    unsigned char *pub = NULL;
    size_t n = k != NULL ? EVP_PKEY_get1_encoded_public_key(k, &pub) : 0;
    if (n != 97)
        abort();
    ks384[0] = 0, ks384[1] = 101, ks384[2] = 0, ks384[3] = 0x18, ks384[4] = 0, ks384[5] = 97;
    memcpy(ks384 + 6, pub, 97);
    OPENSSL_free(pub);
    EVP_PKEY_free(k);
    ext_set(h, TLSEXT_TYPE_key_share, ks384, sizeof(ks384));
}
static void ch2_other_group(flight *f) { ch2_with(f, e_share_p384); }

static uint8_t ks_two[600];
static void e_two_shares(hello *h)
{
    int i = ext_find(h, TLSEXT_TYPE_key_share);
    size_t n = h->e[i].n;
    memcpy(ks_two, h->e[i].p, n);
    /* and an X25519 share after the P-256 one */
    ks_two[n] = 0, ks_two[n + 1] = 0x1d, ks_two[n + 2] = 0, ks_two[n + 3] = 32;
    memset(ks_two + n + 4, 9, 32);
    size_t list = n - 2 + 36;
    ks_two[0] = (uint8_t)(list >> 8), ks_two[1] = (uint8_t)list;
    h->e[i].p = ks_two;
    h->e[i].n = n + 36;
}
static void ch2_two_shares(flight *f) { ch2_with(f, e_two_shares); }

/* §4.1.2: the second ClientHello repeats the first but for the listed changes; SNI is not one. */
static void e_other_sni(hello *h)
{
    static const uint8_t sni[] = { 0, 13, 0, 0, 10, 'o', 't', 'h', 'e', 'r', '.', 't', 'e', 's', 't' };
    ext_set(h, TLSEXT_TYPE_server_name, sni, sizeof(sni));
}
static void ch2_other_sni(flight *f) { ch2_with(f, e_other_sni); }

/* §4.2.11: ClientHello 2's binder is verified again (it covers the HelloRetryRequest). */
static void ch2_bad_binder(flight *f)
{
    buf b = { 0 };
    b_put(&b, f->m[0].body, f->m[0].len);
    b.p[b.n - 1] ^= 1; /* pre_shared_key is last, its last binder last */
    put_hs(f, 0, SSL3_MT_CLIENT_HELLO, b.p, b.n);
    b_free(&b);
}

/* §4.1.2: a PSK compatible with the suite may not be removed from ClientHello 2. */
static void e_no_psk(hello *h) { ext_del(h, TLSEXT_TYPE_psk); }
static void ch2_psk_dropped(flight *f) { ch2_with(f, e_no_psk); }

#define AD(x) SSL_AD_##x
#define R(x) SSL_R_##x

static const mf_case cases[] = {
    /* ClientHello: malformed (RFC 8446 §4.1.2; §6.2 decode_error) */
    { "ch_truncated", MF_AT_CH, ch_truncated, AD(DECODE_ERROR), R(LENGTH_MISMATCH) },
    { "ch_trailing_bytes", MF_AT_CH, ch_trailing, AD(DECODE_ERROR), R(LENGTH_MISMATCH), R(BAD_EXTENSION) },
    { "ch_suites_length", MF_AT_CH, ch_suites_length, AD(DECODE_ERROR), R(LENGTH_MISMATCH) },
    { "ch_extension_overruns", MF_AT_CH, ch_ext_overrun, AD(DECODE_ERROR), R(BAD_EXTENSION) },
    { "ch_versions_odd_length", MF_AT_CH, ch_versions_odd, AD(DECODE_ERROR), R(BAD_EXTENSION) },
    { "ch_sni_bad_type", MF_AT_CH, ch_sni_bad_type, AD(DECODE_ERROR), R(BAD_EXTENSION) },
    { "ch_alpn_empty_list", MF_AT_CH, ch_alpn_empty, AD(DECODE_ERROR), R(BAD_EXTENSION) },
    /* duplicates (§4.2), pre_shared_key not last (§4.2.11) */
    { "ch_duplicate_extension", MF_AT_CH, ch_dup_ext, AD(ILLEGAL_PARAMETER), R(BAD_EXTENSION) },
    { "ch_psk_not_last", MF_AT_CH, ch_psk_not_last, AD(ILLEGAL_PARAMETER), R(BAD_EXTENSION) },
    /* illegal values */
    /* A TLS 1.2 hello (the server speaks 1.2 too) offering only TLS 1.3 suites: nothing to
     * negotiate, as OpenSSL 3.0 answers it. */
    { "ch_tls12_only", MF_AT_CH, ch_tls12_only, AD(HANDSHAKE_FAILURE), R(NO_SHARED_CIPHER), 0,
      client_tls13_only },
    { "ch_no_supported_versions", MF_AT_CH, ch_no_versions, AD(HANDSHAKE_FAILURE), R(NO_SHARED_CIPHER),
      0, client_tls13_only },
    { "ch_compression", MF_AT_CH, ch_compression, AD(ILLEGAL_PARAMETER), R(INVALID_COMPRESSION_ALGORITHM) },
    { "ch_no_shared_suite", MF_AT_CH, ch_no_shared_suite, AD(HANDSHAKE_FAILURE), R(NO_SHARED_CIPHER) },
    { "ch_bad_x25519_share", MF_AT_CH, ch_bad_share, AD(ILLEGAL_PARAMETER), R(BAD_ECPOINT), R(BAD_KEY_SHARE) },
    { "ch_ffdhe_y0", MF_AT_CH, ch_ffdhe_y0, AD(ILLEGAL_PARAMETER), R(BAD_ECPOINT), R(BAD_DH_VALUE), ffdhe },
    { "ch_ffdhe_y1", MF_AT_CH, ch_ffdhe_y1, AD(ILLEGAL_PARAMETER), R(BAD_ECPOINT), R(BAD_DH_VALUE), ffdhe },
    { "ch_ffdhe_y_above_p", MF_AT_CH, ch_ffdhe_y_above_p, AD(ILLEGAL_PARAMETER), R(BAD_ECPOINT), R(BAD_DH_VALUE), ffdhe },
    /* missing mandatory extensions (§9.2) */
    { "ch_no_signature_algorithms", MF_AT_CH, ch_no_sigalgs, AD(MISSING_EXTENSION), R(MISSING_SIGALGS_EXTENSION) },
    { "ch_no_supported_groups", MF_AT_CH, ch_no_groups, AD(MISSING_EXTENSION), R(MISSING_SUPPORTED_GROUPS_EXTENSION) },
    /* records and state (§5, §5.1, §6) */
    { "rec_finished_first", MF_AT_CH, rec_finished_first, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    /* Before the ClientHello OpenSSL 3.0 answers every record that is not a handshake record
     * with unexpected_message and that reason (tests/diff/records.c). */
    { "rec_appdata_first", MF_AT_CH, rec_appdata_first, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "rec_unknown_type", MF_AT_CH, rec_unknown_type, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "rec_oversize", MF_AT_CH, rec_oversize, AD(RECORD_OVERFLOW), R(DATA_LENGTH_TOO_LONG) },
    /* (An empty handshake record before the ClientHello is tolerated, up to 32 in a row, as
     * OpenSSL 3.0 tolerates it: tests/diff/records.c.) Alerts, empty, long, warning or fatal, are
     * unexpected before the ClientHello, as in OpenSSL 3.0 (tests/diff/records.c; the warning
     * alert limit is shown there on the client's side). */
    { "rec_zero_length_alert", MF_AT_CH, rec_zero_alert, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "rec_alert_three_bytes", MF_AT_CH, rec_alert_3, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "rec_warning_alert_flood", MF_AT_CH, rec_warn_flood, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "rec_fatal_alert_received", MF_AT_CH, rec_fatal_alert, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "rec_http_request", MF_AT_CH, rec_http, -1, R(HTTP_REQUEST) },
    { "rec_not_tls", MF_AT_CH, rec_not_tls, -1, R(WRONG_VERSION_NUMBER) },
    { "rec_appdata_inside_hello", MF_AT_CH, rec_ch_fragmented_then_appdata, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "rec_client_hello_twice", MF_AT_CH, rec_ch_twice, AD(UNEXPECTED_MESSAGE), R(BAD_RECORD_TYPE), R(UNEXPECTED_RECORD) },
    /* the client's second flight (§4.4) */
    { "cf_finished_bad", MF_AT_CF, cf_fin_bad, AD(DECRYPT_ERROR), R(DIGEST_CHECK_FAILED) },
    { "cf_finished_short", MF_AT_CF, cf_fin_short, AD(DECODE_ERROR), R(BAD_DIGEST_LENGTH), R(LENGTH_MISMATCH) },
    { "cf_cv_bad_signature", MF_AT_CF, cf_cv_bad_sig, AD(DECRYPT_ERROR), R(BAD_SIGNATURE) },
    { "cf_cv_wrong_scheme", MF_AT_CF, cf_cv_scheme, AD(ILLEGAL_PARAMETER), R(WRONG_SIGNATURE_TYPE) },
    { "cf_cv_truncated", MF_AT_CF, cf_cv_truncated, AD(DECODE_ERROR), R(LENGTH_MISMATCH) },
    /* OpenSSL 3.0's server: decode_error (its client: bad_certificate; checked by building this
     * program and malformed_client.c on the system libssl) */
    { "cf_cert_bad_der", MF_AT_CF, cf_cert_bad_der, AD(DECODE_ERROR), ERR_R_ASN1_LIB },
    { "cf_cert_trailing", MF_AT_CF, cf_cert_trailing, AD(DECODE_ERROR), R(LENGTH_MISMATCH) },
    { "cf_cert_context", MF_AT_CF, cf_cert_context, AD(ILLEGAL_PARAMETER), R(INVALID_CONTEXT) },
    { "cf_cert_missing", MF_AT_CF, cf_no_cert, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "cf_cert_empty_required", MF_AT_CF, cf_empty_cert, AD(CERTIFICATE_REQUIRED),
      R(PEER_DID_NOT_RETURN_A_CERTIFICATE), 0, require_cert },
    { "cf_ccs_value_2", MF_AT_CF, cf_ccs_value2, AD(UNEXPECTED_MESSAGE), R(INVALID_CCS_MESSAGE), R(UNEXPECTED_CCS_MESSAGE) },
    { "cf_ccs_protected", MF_AT_CF, cf_ccs_protected, AD(UNEXPECTED_MESSAGE), R(BAD_RECORD_TYPE) },
    { "cf_inner_plaintext_no_type", MF_AT_CF, cf_inner_no_type, AD(UNEXPECTED_MESSAGE), R(BAD_RECORD_TYPE) },
    { "cf_bad_record_mac", MF_AT_CF, cf_bad_tag, AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC) },
    { "cf_oversize_ciphertext", MF_AT_CF, cf_oversize_ciphertext, AD(RECORD_OVERFLOW), R(ENCRYPTED_LENGTH_TOO_LONG) },
    { "cf_oversize_plaintext", MF_AT_CF, cf_oversize_plaintext, AD(RECORD_OVERFLOW), R(DATA_LENGTH_TOO_LONG) },
    { "cf_zero_length_handshake", MF_AT_CF, cf_zero_handshake, AD(UNEXPECTED_MESSAGE), R(BAD_LENGTH) },
    { "cf_unprotected_handshake", MF_AT_CF, cf_plain_handshake, AD(UNEXPECTED_MESSAGE), R(BAD_RECORD_TYPE), R(UNEXPECTED_RECORD) },
    { "cf_appdata_before_finished", MF_AT_CF, cf_appdata_early, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_RECORD) },
    { "cf_message_too_long", MF_AT_CF, cf_huge_message, AD(ILLEGAL_PARAMETER), R(EXCESSIVE_MESSAGE_SIZE) },
    { "cf_key_update_in_handshake", MF_AT_CF, cf_key_update, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "cf_client_hello_again", MF_AT_CF, cf_client_hello, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    /* after the handshake (§4.6, §5) */
    { "app_empty_record_flood", MF_AT_APP_S, app_empty_flood, AD(UNEXPECTED_MESSAGE), R(RECORD_TOO_SMALL) },
    { "app_warning_alert_flood", MF_AT_APP_S, app_warn_flood, AD(UNEXPECTED_MESSAGE), R(TOO_MANY_WARN_ALERTS) },
    { "app_fatal_alert_received", MF_AT_APP_S, app_fatal_alert, -1, R(TLSV1_ALERT_INTERNAL_ERROR) },
    { "app_key_update_value_2", MF_AT_APP_S, app_ku_value, AD(ILLEGAL_PARAMETER), R(BAD_KEY_UPDATE) },
    { "app_key_update_too_long", MF_AT_APP_S, app_ku_length, AD(DECODE_ERROR), R(BAD_KEY_UPDATE), R(BAD_PACKET) },
    { "app_ticket_to_server", MF_AT_APP_S, app_nst_to_server, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "app_client_hello", MF_AT_APP_S, app_client_hello, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "app_unprotected_record", MF_AT_APP_S, app_plain_record, AD(UNEXPECTED_MESSAGE), R(BAD_RECORD_TYPE), R(UNEXPECTED_RECORD) },
    /* issue #10 (§5, §5.1, §5.4, §6.2) */
    { "rec_ccs_before_client_hello", MF_AT_CH, rec_ccs_before_client_hello, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "rec_sslv2_client_hello", MF_AT_CH, rec_sslv2_client_hello, AD(PROTOCOL_VERSION), R(UNSUPPORTED_PROTOCOL) },
    { "rec_client_hello_then_more", MF_AT_CH, rec_client_hello_then_more, AD(UNEXPECTED_MESSAGE), R(NOT_ON_RECORD_BOUNDARY) },
    { "cf_finished_then_key_update", MF_AT_CF, cf_finished_then_key_update, AD(UNEXPECTED_MESSAGE), R(NOT_ON_RECORD_BOUNDARY) },
    { "app_oversize_padding", MF_AT_APP_S, app_oversize_padding, AD(RECORD_OVERFLOW), R(DATA_LENGTH_TOO_LONG) },
    { "app_forged_close_notify", MF_AT_APP_S, app_forged_close_notify, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_RECORD) },
    { "app_forged_close_notify_after_key_update", MF_AT_APP_S, app_forged_close_notify_after_ku, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_RECORD) },
    { "app_two_key_updates_one_record", MF_AT_APP_S, app_two_key_updates, AD(UNEXPECTED_MESSAGE), R(NOT_ON_RECORD_BOUNDARY) },
    /* issue #10: legacy_version, unsolicited Certificate, ClientHello 2 */
    { "ch_legacy_version_ssl3", MF_AT_CH, ch_legacy_ssl3, AD(PROTOCOL_VERSION), R(BAD_LEGACY_VERSION) },
    { "ch_legacy_version_zero", MF_AT_CH, ch_legacy_zero, AD(PROTOCOL_VERSION), R(BAD_LEGACY_VERSION) },
    { "cf_cert_unsolicited", MF_AT_CF, cf_cert_unsolicited, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE),
      0, no_cert_request, NULL, peer_cert_none },
    { "cf_cert_unsolicited_psk", MF_AT_CF, cf_cert_unsolicited, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE),
      0, resume, NULL, peer_cert_none },
    { "ch2_share_other_group", MF_AT_CH2, ch2_other_group, AD(ILLEGAL_PARAMETER), R(BAD_KEY_SHARE), 0, hrr },
    { "ch2_two_shares", MF_AT_CH2, ch2_two_shares, AD(ILLEGAL_PARAMETER), R(BAD_KEY_SHARE), 0, hrr },
    { "ch2_other_sni", MF_AT_CH2, ch2_other_sni, AD(ILLEGAL_PARAMETER), R(BAD_EXTENSION), 0, hrr },
    { "ch2_psk_bad_binder", MF_AT_CH2, ch2_bad_binder, AD(DECRYPT_ERROR), R(BINDER_DOES_NOT_VERIFY), 0, hrr_resume },
    { "ch2_psk_dropped", MF_AT_CH2, ch2_psk_dropped, AD(ILLEGAL_PARAMETER), R(BAD_PSK), 0, hrr_resume },
    /* issue #13: an external PSK's binder ("ext binder", §7.1), in either ClientHello */
    { "ch_ext_psk_bad_binder", MF_AT_CH, ch2_bad_binder, AD(DECRYPT_ERROR), R(BINDER_DOES_NOT_VERIFY), 0, ext_psk },
    { "ch2_ext_psk_bad_binder", MF_AT_CH2, ch2_bad_binder, AD(DECRYPT_ERROR), R(BINDER_DOES_NOT_VERIFY), 0, hrr_ext_psk },
    { "ch2_ext_psk_dropped", MF_AT_CH2, ch2_psk_dropped, AD(ILLEGAL_PARAMETER), R(BAD_PSK), 0, hrr_ext_psk },
    /* issue #11: a scheme the CertificateRequest lists but TLS 1.3 forbids in CertificateVerify */
    { "cf_cv_ecdsa_sha224", MF_AT_CF, cf_cv_sha224, AD(ILLEGAL_PARAMETER), R(WRONG_SIGNATURE_TYPE) },
};

int main(int argc, char **argv)
{
    return mf_main(argc, argv, "malformed", cases, MF_NCASES(cases));
}
