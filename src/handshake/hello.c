/* Version-independent hello work: the ClientHello we send, the negotiation inputs (our groups
 * and signature schemes as the settings and the security level allow), and the version choice of
 * each role (RFC 8446 §4.2.1, RFC 5246 §7.4.1). */
#include "handshake/ext.h"
#include "handshake/tls12/tls12.h"
#include "proto/session.h"

#include <arpa/inet.h>
#include <string.h>
#include <time.h>

static int is_ip_literal(const char *h)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

static int ext_open(SSL *s, keel_wr *w, uint16_t type, size_t *mark)
{
    s->conn->hs->ext_offered |= keel_ext_bit(type);
    return keel_wr_u16(w, type) && keel_wr_open16(w, mark);
}

static int write_u16s(keel_wr *w, const uint16_t *v, size_t n)
{
    size_t m;
    keel_wr_open16(w, &m);
    for (size_t i = 0; i < n; i++)
        keel_wr_u16(w, v[i]);
    return keel_wr_close(w, m);
}

/* A TLS 1.2 session the ClientHello may offer (RFC 5246 §7.4.1.2 session id, RFC 5077 §3.4 ticket):
 * unexpired, resumable, its suite among those we offer. */
static const SSL_SESSION *session12(SSL *s)
{
    const SSL_SESSION *ss = s->session;
    if (ss == NULL || ss->version != TLS1_2_VERSION || ss->cipher == NULL || ss->not_resumable
            || ss->master_key_len != 48 || keel_session_expired(ss, time(NULL))
            || (ss->session_id_len == 0 && ss->ticket_len == 0))
        return NULL;
    for (size_t i = 0; i < s->s->nciphers12; i++)
        if (s->s->ciphers12[i] == ss->cipher)
            return ss;
    return NULL;
}

/* ClientHello (RFC 8446 §4.1.2; RFC 5246 §7.4.1.2), both of a handshake: after a
 * HelloRetryRequest the same random and session id, a share for the group asked for, the cookie
 * echoed (§4.1.4). One message offers every version the settings allow: TLS 1.3 through
 * supported_versions (listing 1.2 after it when allowed), TLS 1.2 through legacy_version 0x0303
 * and its suites and extensions. 1 = queued. */
int keel_client_write_hello(SSL *s)
{
    keel_conn *c = s->conn;
    const keel_algs *algs = s->ctx->algs;
    uint8_t stack[512];
    keel_wr w;
    size_t body, m, e, x;
    uint16_t groups[KEEL_MAX_GROUPS];
    size_t ngroups = keel_groups_effective(s, SSL_SECOP_CURVE_SUPPORTED, groups);
    uint16_t sigalgs[KEEL_MAX_SIGALGS];
    size_t nsigalgs = keel_sigalgs_effective(s, 0, SSL_SECOP_SIGALG_SUPPORTED, sigalgs);
    /* A renegotiation (tls12/reneg.c) stays at the connection's version, TLS 1.2. */
    int reneg = c->hs->reneg;
    int tls13 = !reneg && keel_tls13_allowed(s->s), tls12 = keel_tls12_allowed(s->s);

    if (!tls13 && !tls12) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_PROTOCOLS_AVAILABLE);
        return 0;
    }
    /* The ffdhe groups are TLS 1.3 key shares here (TLS 1.2 ECDHE has no use for them, RFC 8422
     * §5.1.1): a client limited to TLS 1.2 does not list them, as OpenSSL 3.0's does not, and
     * sends no supported_groups when nothing remains; ec_point_formats goes only with a curve. */
    size_t ngroups_all = ngroups, ncurves = 0;
    for (size_t i = 0; i < ngroups_all; i++)
        if (!keel_group_is_ffdhe(groups[i]))
            ncurves++;
    if (!tls13) {
        size_t k = 0;
        for (size_t i = 0; i < ngroups; i++)
            if (!keel_group_is_ffdhe(groups[i]))
                groups[k++] = groups[i];
        ngroups = k;
    }
    /* The suites the security level or callback allows (SSL_SECOP_CIPHER_SUPPORTED): TLS 1.3's
     * first, then TLS 1.2's. */
    const SSL_CIPHER *suites[KEEL_MAX_CIPHERS13 + KEEL_MAX_CIPHERS];
    size_t nsuites = 0;
    for (size_t i = 0; tls13 && i < s->s->nciphers13; i++)
        if (keel_sec_cipher(s->s, SSL_SECOP_CIPHER_SUPPORTED, s->s->lists->ciphers13[i]))
            suites[nsuites++] = s->s->lists->ciphers13[i];
    for (size_t i = 0; tls12 && i < s->s->nciphers12; i++)
        if (!keel12_psk_suite_disabled(s, s->s->ciphers12[i])
                && keel_sec_cipher(s->s, SSL_SECOP_CIPHER_SUPPORTED, s->s->ciphers12[i]))
            suites[nsuites++] = s->s->ciphers12[i];
    if (nsuites == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_CIPHERS_AVAILABLE);
        return 0;
    }
    if (ngroups_all == 0) {
        /* None the provider supports and the security level or callback allows. */
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_SUITABLE_GROUPS);
        return 0;
    }
    if (!tls12 && !keel_sigalgs_can_sign13(sigalgs, nsigalgs)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM);
        return 0;
    }
    /* SSL_renegotiate on a client asks for a new session; SSL_renegotiate_abbreviated and a
     * server's HelloRequest offer the current one, as OpenSSL 3.0 does. */
    int new_session = reneg && c->reneg_req == KEEL_RENEG_FULL;
    const SSL_SESSION *ss12 = tls12 && !c->hs->hrr ? (new_session ? NULL : session12(s))
                                                   : c->hs->sess12_offered;
    int ticket = tls12 && !(s->s->options & SSL_OP_NO_TICKET);
    if (!c->hs->hrr) {
        /* One draw for the random and for a session id of our own (both cases below): a
         * RAND_bytes call costs ~6k instructions whatever its length. */
        uint8_t rnd[64];
        if (!keel_random(algs, rnd, sizeof(rnd)))
            return 0;
        memcpy(c->client_random, rnd, 32);
        c->hs->sess12_offered = ss12;
        if (ss12 != NULL && ticket && ss12->ticket_len > 0) {
            /* RFC 5077 §3.4: a session id of our own, which the server echoes if it accepts the
             * ticket. */
            c->hs->session_id_len = 32;
            memcpy(c->hs->session_id, rnd + 32, 32);
        } else if (ss12 != NULL && ss12->session_id_len > 0) {
            memcpy(c->hs->session_id, ss12->session_id, ss12->session_id_len);
            c->hs->session_id_len = ss12->session_id_len;
        } else {
            /* Middlebox compatibility mode: a fake 32-byte session id (RFC 8446 §D.4). */
            c->hs->session_id_len = tls13 && (s->s->options & SSL_OP_ENABLE_MIDDLEBOX_COMPAT) ? 32 : 0;
            if (c->hs->session_id_len)
                memcpy(c->hs->session_id, rnd + 32, 32);
        }
        if (ss12 != NULL && ss12->session_id_len == 0 && !(ticket && ss12->ticket_len > 0))
            c->hs->sess12_offered = NULL; /* a ticket session, but tickets are off */
        c->group = ngroups > 0 ? groups[0] : 0;
    }
    if (tls13 && c->hs->kex == NULL && (c->hs->kex = keel_kex_new(algs, c->group)) == NULL)
        return 0;

    c->hs->ext_offered = 0;
    keel_wr_init_buf(&w, stack, sizeof(stack)); /* on the stack while it fits */
    keel_wr_u8(&w, SSL3_MT_CLIENT_HELLO);
    keel_wr_open24(&w, &body);
    keel_wr_u16(&w, TLS1_2_VERSION);
    keel_wr_bytes(&w, c->client_random, 32);
    keel_wr_open8(&w, &m);
    keel_wr_bytes(&w, c->hs->session_id, c->hs->session_id_len);
    keel_wr_close(&w, m);
    keel_wr_open16(&w, &m);
    for (size_t i = 0; i < nsuites; i++)
        keel_wr_u16(&w, SSL_CIPHER_get_protocol_id(suites[i]));
    if (!reneg) {
        /* RFC 5746 §3.3: the SCSV stands for an empty renegotiation_info, as OpenSSL's client
         * sends it (§3.5: never in a renegotiation), a TLS 1.3-only client's too; RFC 7507 §4:
         * TLS_FALLBACK_SCSV last, when the application asks. */
        keel_wr_u16(&w, 0x00ff);
        if (tls12)
            c->hs->ext_offered |= keel_ext_bit(TLSEXT_TYPE_renegotiate);
    }
    if (s->s->mode & SSL_MODE_SEND_FALLBACK_SCSV)
        keel_wr_u16(&w, 0x5600);
    keel_wr_close(&w, m);
    keel_wr_u8(&w, 1);
    keel_wr_u8(&w, 0); /* null compression */

    keel_wr_open16(&w, &e);
    if (reneg && c->hs->reneg_vd_len != 0) {
        /* RFC 5746 §3.5: renegotiated_connection = client_verify_data, first as OpenSSL orders
         * it. */
        ext_open(s, &w, TLSEXT_TYPE_renegotiate, &x);
        keel_wr_u8(&w, KEEL12_VERIFY_LEN);
        keel_wr_bytes(&w, c->hs->reneg_vd, KEEL12_VERIFY_LEN);
        keel_wr_close(&w, x);
    }
    if (s->hostname != NULL && !is_ip_literal(s->hostname)) { /* RFC 6066 §3 */
        ext_open(s, &w, TLSEXT_TYPE_server_name, &x);
        keel_wr_open16(&w, &m);
        keel_wr_u8(&w, TLSEXT_NAMETYPE_host_name);
        size_t n;
        keel_wr_open16(&w, &n);
        keel_wr_bytes(&w, (const uint8_t *)s->hostname, strlen(s->hostname));
        keel_wr_close(&w, n);
        keel_wr_close(&w, m);
        keel_wr_close(&w, x);
    }
    if (s->s->mfl_mode != 0) { /* RFC 6066 §4, where OpenSSL 3.0's client puts it */
        ext_open(s, &w, TLSEXT_TYPE_max_fragment_length, &x);
        keel_wr_u8(&w, s->s->mfl_mode);
        keel_wr_close(&w, x);
    }
    if (tls13) {
        ext_open(s, &w, TLSEXT_TYPE_supported_versions, &x);
        keel_wr_u8(&w, tls12 ? 4 : 2);
        keel_wr_u16(&w, TLS1_3_VERSION);
        if (tls12)
            keel_wr_u16(&w, TLS1_2_VERSION);
        keel_wr_close(&w, x);
    }
    if (ngroups > 0) {
        ext_open(s, &w, TLSEXT_TYPE_supported_groups, &x);
        write_u16s(&w, groups, ngroups);
        keel_wr_close(&w, x);
    }
    if (tls13) {
        ext_open(s, &w, TLSEXT_TYPE_key_share, &x);
        keel_wr_open16(&w, &m);
        keel_wr_u16(&w, c->group);
        size_t sh;
        keel_wr_open16(&w, &sh);
        keel_kex_public_wr(c->hs->kex, &w);
        keel_wr_close(&w, sh);
        keel_wr_close(&w, m);
        keel_wr_close(&w, x);
    }
    if (tls12) {
        /* RFC 8422 §5.1.2: uncompressed points only. */
        if (ncurves > 0) {
            ext_open(s, &w, TLSEXT_TYPE_ec_point_formats, &x);
            keel_wr_u8(&w, 1);
            keel_wr_u8(&w, 0);
            keel_wr_close(&w, x);
        }
        if (ticket) {
            /* RFC 5077 §3.2: empty asks for a ticket; a TLS 1.2 session's ticket is presented. */
            ext_open(s, &w, TLSEXT_TYPE_session_ticket, &x);
            if (ss12 != NULL && ss12->ticket_len > 0)
                keel_wr_bytes(&w, ss12->ticket, ss12->ticket_len);
            keel_wr_close(&w, x);
        }
        /* RFC 7366 §2: offered by default, as OpenSSL's client does, whatever the suites. */
        if (!(s->s->options & SSL_OP_NO_ENCRYPT_THEN_MAC)) {
            ext_open(s, &w, TLSEXT_TYPE_encrypt_then_mac, &x);
            keel_wr_close(&w, x);
        }
        if (!(s->s->options & SSL_OP_NO_EXTENDED_MASTER_SECRET)) { /* RFC 7627 §5.1 */
            ext_open(s, &w, TLSEXT_TYPE_extended_master_secret, &x);
            keel_wr_close(&w, x);
        }
    }
    /* RFC 6066 §8, when SSL_set_tlsext_status_type asked for OCSP (status.c). */
    if (!keel_status_write_ch(s, &w)) {
        keel_wr_cleanup(&w);
        return 0;
    }
    ext_open(s, &w, TLSEXT_TYPE_signature_algorithms, &x);
    write_u16s(&w, sigalgs, nsigalgs);
    keel_wr_close(&w, x);
    if (s->s->alpn != NULL) {
        ext_open(s, &w, TLSEXT_TYPE_application_layer_protocol_negotiation, &x);
        keel_wr_open16(&w, &m);
        keel_wr_bytes(&w, s->s->alpn, s->s->alpn_len);
        keel_wr_close(&w, m);
        keel_wr_close(&w, x);
    }
    if (tls13) {
        /* psk_dhe_ke, and psk_ke after it with SSL_OP_ALLOW_NO_DHE_KEX (RFC 8446 §4.2.9), in
         * OpenSSL's order. */
        c->hs->psk_ke = (s->s->options & SSL_OP_ALLOW_NO_DHE_KEX) != 0;
        ext_open(s, &w, TLSEXT_TYPE_psk_kex_modes, &x);
        keel_wr_open8(&w, &m);
        keel_wr_u8(&w, 1);
        if (c->hs->psk_ke)
            keel_wr_u8(&w, 0);
        keel_wr_close(&w, m);
        keel_wr_close(&w, x);
    }
    if (c->hs->cookie != NULL) {
        ext_open(s, &w, TLSEXT_TYPE_cookie, &x);
        keel_wr_open16(&w, &m);
        keel_wr_bytes(&w, c->hs->cookie, c->hs->cookie_len);
        keel_wr_close(&w, m);
        keel_wr_close(&w, x);
    }
    if (tls13 && s->s->post_handshake_auth) {
        c->pha_offered = 1;
        ext_open(s, &w, TLSEXT_TYPE_post_handshake_auth, &x);
        keel_wr_close(&w, x);
    }
    /* A session to resume: pre_shared_key goes last (RFC 8446 §4.2.11). After a HelloRetryRequest
     * it is offered again only if the suite chosen has the session's hash. */
    const SSL_SESSION *psk = tls13 ? keel_client_psk_session(s) : NULL;
    if (psk != NULL && c->cipher != NULL && c->cipher->hash != psk->cipher->hash)
        psk = NULL;
    c->hs->psk_offered = psk;
    /* An external PSK from the application's callbacks (tls13/psk.c), asked for each hello. */
    if (tls13 && !keel_client_ext_psk(s)) {
        keel_wr_cleanup(&w);
        return 0;
    }
    int offer = psk != NULL || c->hs->ext_psk != NULL;
    /* early_data (RFC 8446 §4.2.10) when SSL_write_early_data asked and the session allows it */
    if (tls13 && !keel_early_write_ch(s, &w)) {
        keel_wr_cleanup(&w);
        return 0;
    }
    if (offer)
        keel_client_write_psk(s, &w);
    keel_wr_close(&w, e);
    keel_wr_close(&w, body);

    /* RFC 8446 §5.1 / Appendix D: the first ClientHello's record says 0x0301 for middleboxes, as
     * OpenSSL's does (tests/diff/records.c); every later record 0x0303. */
    int first = !c->hs->hrr && !c->hs->reneg;
    if (first)
        keel_rl_set_version(&c->rl, 0x0301);
    int ok = !keel_wr_failed(&w) && (!offer || keel_client_psk_bind(s, &w)) && keel_write_hs(s, &w);
    if (first)
        keel_rl_set_version(&c->rl, 0x0303);
    keel_wr_cleanup(&w);
    if (!ok && ERR_peek_error() == 0)
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
    return ok;
}

/* The row that opens a client's handshake: ClientHello 1 (RFC 8446 §4.1.2). */
int keel_client_write_first_hello(SSL *s)
{
    keel_step(s, TLS_ST_CW_CLNT_HELLO);
    return keel_client_write_hello(s) && keel_early_client_hello_sent(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* ---- negotiation inputs ---- */

int keel_tls13_allowed(const keel_settings *st)
{
    if (st->options & SSL_OP_NO_TLSv1_3)
        return 0;
    if (st->max_version != 0 && st->max_version < TLS1_3_VERSION)
        return 0;
    return st->min_version <= TLS1_3_VERSION
        && keel_sec_allowed(st, SSL_SECOP_VERSION, 0, TLS1_3_VERSION, NULL);
}

/* OpenSSL 3.0's default group order, less what the provider cannot do and, with op
 * SSL_SECOP_CURVE_SUPPORTED, what the security level or callback refuses (op 0: the caller asks
 * about each candidate itself). */
size_t keel_groups_effective(const SSL *s, int op, uint16_t *out)
{
    static const uint16_t defaults[] = { 0x001d, 0x0017, 0x001e, 0x0019, 0x0018,
                                         0x0100, 0x0101, 0x0102, 0x0103, 0x0104 };
    const uint16_t *list = s->s->ngroups ? s->s->lists->groups : defaults;
    size_t n = s->s->ngroups ? s->s->ngroups : sizeof(defaults) / sizeof(defaults[0]), k = 0;

    for (size_t i = 0; i < n; i++)
        if (keel_kex_supported(s->ctx->algs, list[i])
                && (op == 0 || keel_sec_group(s->s, op, list[i])))
            out[k++] = list[i];
    return k;
}

/* Our signature schemes (at most KEEL_MAX_SIGALGS into out): for client authentication
 * (the server's CertificateRequest and the client's CertificateVerify) the client_sigalgs list if
 * one is set (SSL_CTX_set1_client_sigalgs(3)), else the sigalgs list, else keel's default. A list
 * we send (op SSL_SECOP_SIGALG_SUPPORTED) loses what the security level or callback refuses
 * (SHA-1 from level 1); with op 0 the caller asks SSL_SECOP_SIGALG_SHARED itself. */
size_t keel_sigalgs_effective(const SSL *s, int client_auth, int op, uint16_t *out)
{
    const keel_settings *st = s->s;
    const uint16_t *list;
    size_t n, k = 0;

    if (client_auth && st->nclient_sigalgs) {
        list = st->lists->client_sigalgs;
        n = st->nclient_sigalgs;
    } else if (st->nsigalgs) {
        list = st->lists->sigalgs;
        n = st->nsigalgs;
    } else {
        n = keel_sigalgs_default(&list);
    }
    /* A client whose minimum version is TLS 1.3 never offers SHA-1 or SHA-224 schemes (RFC 8446
     * §4.2.3: legacy, for TLS 1.2), as OpenSSL 3.0 does; a server's CertificateRequest lists them
     * (for certificate signatures), as OpenSSL 3.0's does. */
    int no_legacy = !s->server && st->min_version >= TLS1_3_VERSION;
    for (size_t i = 0; i < n && k < KEEL_MAX_SIGALGS; i++)
        if (!(no_legacy && ((list[i] >> 8) == 0x02 || (list[i] >> 8) == 0x03))
                && (op == 0 || keel_sec_sigalg(st, op, list[i])))
            out[k++] = list[i];
    return k;
}

/* A list we send must hold a scheme a TLS 1.3 CertificateVerify may use: RFC 8446 §4.2.3 keeps
 * rsa_pkcs1_*, SHA-224 and SHA-1 for certificate signatures only. */
int keel_sigalgs_can_sign13(const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((v[i] >> 8) != 0x02 && (v[i] >> 8) != 0x03 && v[i] != 0x0401 && v[i] != 0x0501 && v[i] != 0x0601)
            return 1;
    return 0;
}

size_t keel_sigalgs_shared(const SSL *s, int client_auth, uint16_t *out)
{
    const keel_conn *c = s->conn;
    uint16_t ours[KEEL_MAX_SIGALGS];
    size_t nours = keel_sigalgs_effective(s, client_auth, 0, ours), k = 0, j;

    /* In the peer's order, each scheme once: a peer list of any length (repeats included)
     * yields at most nours entries. */
    for (size_t i = 0; i < c->npeer_sigalgs && k < KEEL_MAX_SIGALGS; i++) {
        size_t m;
        for (j = 0; j < nours && ours[j] != c->peer_sigalgs[i]; j++)
            ;
        for (m = 0; m < k && out[m] != c->peer_sigalgs[i]; m++)
            ;
        if (j < nours && m == k && keel_sec_sigalg(s->s, SSL_SECOP_SIGALG_SHARED, ours[j]))
            out[k++] = ours[j];
    }
    return k;
}

/* ---- the version (RFC 8446 §4.2.1, Appendix D) ---- */

/* A client whose best is TLS 1.0 or 1.1 (keel has neither): OpenSSL 3.0, where its settings allow
 * that version, negotiates it and then, at security level 1 and above, finds no signature
 * algorithm (those versions sign with SHA-1 or MD5+SHA-1): internal_error with
 * SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM; keel fails the same way there. Elsewhere (the version
 * disabled, or security level 0, where OpenSSL would complete it) protocol_version. */
static int refuse_legacy(SSL *s, const keel_hello *h)
{
    const keel_settings *st = s->s;
    uint16_t v = 0;

    if (h->has_versions) {
        keel_rd list = h->versions;
        while (!keel_rd_done(&list)) {
            uint32_t x;
            keel_rd_u16(&list, &x);
            if ((x == TLS1_VERSION || x == TLS1_1_VERSION) && x > v)
                v = (uint16_t)x;
        }
    } else if (h->legacy_version == TLS1_VERSION || h->legacy_version == TLS1_1_VERSION) {
        v = h->legacy_version;
    }
    int allowed = v != 0 && !(st->options & (v == TLS1_VERSION ? SSL_OP_NO_TLSv1 : SSL_OP_NO_TLSv1_1))
        && (st->min_version == 0 || st->min_version <= v) && (st->max_version == 0 || st->max_version >= v)
        && keel_sec_allowed(st, SSL_SECOP_VERSION, 0, v, NULL);
    if (allowed && !keel_sec_sigalg(st, SSL_SECOP_SIGALG_SUPPORTED, KEEL_SIG_RSA_PKCS1_SHA1)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM);
        return SSL_AD_INTERNAL_ERROR;
    }
    ERR_raise(ERR_LIB_SSL, SSL_R_UNSUPPORTED_PROTOCOL);
    return SSL_AD_PROTOCOL_VERSION;
}

/* The server's choice from a ClientHello whose extensions are parsed. Appendix D.5: a
 * legacy_version of SSL 3.0 or below is no TLS ClientHello. With supported_versions the list
 * decides (§4.2.1: legacy_version is then ignored): TLS 1.3 if listed and allowed, else TLS 1.2
 * if listed and allowed. Without it, legacy_version is the client's highest version (RFC 5246
 * §E.1): TLS 1.2 if it is at least 0x0303 and allowed. TLS 1.0/1.1 are never negotiated. */
int keel_select_version(SSL *s, keel_hello *h)
{
    /* A renegotiation keeps the connection's version, TLS 1.2 (tls12/reneg.c). */
    int tls13 = !s->conn->hs->reneg && keel_tls13_allowed(s->s), tls12 = keel_tls12_allowed(s->s);

    if (h->legacy_version <= SSL3_VERSION) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LEGACY_VERSION);
        return SSL_AD_PROTOCOL_VERSION;
    }
    /* A server whose method is pinned to TLS 1.2 (TLSv1_2_server_method) is a TLS 1.2 server:
     * such a server ignores supported_versions (RFC 8446 §4.2.1) and reads legacy_version, as
     * OpenSSL 3.0's version-specific methods do (a 1.3-only client then meets no shared suite). */
    int listed = h->has_versions && s->s->method->version != TLS1_2_VERSION;
    if (listed ? h->offers_tls13 && tls13 : 0)
        h->version = TLS1_3_VERSION;
    else if (listed ? h->offers_tls12 && tls12 : h->legacy_version >= TLS1_2_VERSION && tls12)
        h->version = TLS1_2_VERSION;
    else
        return refuse_legacy(s, h);
    /* RFC 7507 §3: TLS_FALLBACK_SCSV from a client while we support a higher version than the
     * one chosen is a fallback an attacker may have caused. */
    if (h->version < TLS1_3_VERSION && tls13 && keel_client_suite_offered(s->conn, 0x5600)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INAPPROPRIATE_FALLBACK);
        return SSL_AD_INAPPROPRIATE_FALLBACK;
    }
    return 0;
}

/* The client's check of a ServerHello (or HelloRetryRequest). With supported_versions the server
 * must select TLS 1.3, the only version that extension can name here (one we did not offer is an
 * illegal_parameter, §4.2.1). Without it (h->legacy_version set by the caller) the hello is TLS
 * 1.2 if legacy_version says so and we allow 1.2; anything older, or 1.2 when we do not offer it,
 * is a protocol_version. */
int keel_client_check_version(SSL *s, keel_hello *h)
{
    if (h->has_versions && h->version == TLS1_3_VERSION)
        return 0;
    if (!h->has_versions && h->legacy_version == TLS1_2_VERSION && keel_tls12_allowed(s->s)) {
        h->version = TLS1_2_VERSION;
        return 0;
    }
    ERR_raise(ERR_LIB_SSL, SSL_R_UNSUPPORTED_PROTOCOL);
    return h->has_versions ? SSL_AD_ILLEGAL_PARAMETER : SSL_AD_PROTOCOL_VERSION;
}

/* RFC 8446 §4.1.3: a TLS 1.3-capable client that negotiates TLS 1.2 checks the server_random's
 * last 8 bytes for the sentinel a TLS 1.3 server writes when it is pushed down; finding it means
 * an attacker removed our TLS 1.3 offer. OpenSSL 3.0's reason and alert. */
int keel_client_check_downgrade(SSL *s, const uint8_t random[32])
{
    if (keel_tls13_allowed(s->s) && memcmp(random + 24, keel12_downgrade, 8) == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INAPPROPRIATE_FALLBACK);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    return 0;
}
