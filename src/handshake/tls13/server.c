/* TLS 1.3 server handlers (RFC 8446 §4.1.1–§4.4): reading ClientHello, choosing what to
 * negotiate, and writing the server's flight. */
#include "handshake/ext.h"
#include "proto/session.h"
#include "handshake/tls12/tls12.h"

#include <string.h>

extern const uint8_t keel_hrr_random[32];

/* Cipher suite: the client's order, or ours with SSL_OP_CIPHER_SERVER_PREFERENCE; one the security
 * level or callback accepts (SSL_SECOP_CIPHER_SHARED). */
static const SSL_CIPHER *choose_cipher(SSL *s, keel_rd suites)
{
    const SSL_CIPHER *best = NULL, *best256 = NULL;
    size_t best_rank = SIZE_MAX, best256_rank = SIZE_MAX, rank = 0;
    int server_pref = (s->s->options & SSL_OP_CIPHER_SERVER_PREFERENCE) != 0;
    /* Only a legacy-callback PSK can authenticate us, and it has SHA-256 (tls13/psk.c). */
    int want256 = keel_server_psk_only(s);

    while (!keel_rd_done(&suites)) {
        uint32_t code;
        keel_rd_u16(&suites, &code);
        for (size_t i = 0; i < s->s->nciphers13; i++) {
            if (SSL_CIPHER_get_protocol_id(s->s->lists->ciphers13[i]) != code)
                continue;
            size_t r = server_pref ? i : rank;
            if (r < best_rank && keel_sec_cipher(s->s, SSL_SECOP_CIPHER_SHARED, s->s->lists->ciphers13[i])) {
                best_rank = r;
                best = s->s->lists->ciphers13[i];
            }
            if (want256 && r < best256_rank && s->s->lists->ciphers13[i]->hash == KEEL_HASH_SHA256
                    && keel_sec_cipher(s->s, SSL_SECOP_CIPHER_SHARED, s->s->lists->ciphers13[i])) {
                best256_rank = r;
                best256 = s->s->lists->ciphers13[i];
            }
        }
        rank++;
    }
    return best256 != NULL ? best256 : best;
}

/* Group: among the groups both sides support, in our preference order, the first for which the
 * client sent a share; failing that the first common group, to be asked for with a
 * HelloRetryRequest. *share is set when the client's share can be used. The security level or
 * callback is asked about each candidate as OpenSSL does: SSL_SECOP_CURVE_SUPPORTED, then
 * SSL_SECOP_CURVE_CHECK for the client's share, SSL_SECOP_CURVE_SHARED for a group to ask for. */
static int choose_group(SSL *s, keel_hello *h, uint16_t *group, keel_rd *share)
{
    uint16_t ours[KEEL_MAX_GROUPS];
    size_t n = keel_groups_effective(s, 0, ours);
    keel_conn *c = s->conn;
    int common = -1;

    for (size_t i = 0; i < n; i++) {
        if (!keel_u16_in(c->peer_groups, c->npeer_groups, ours[i])
                || !keel_sec_group(s->s, SSL_SECOP_CURVE_SUPPORTED, ours[i]))
            continue;
        keel_rd list = h->key_shares;
        while (!keel_rd_done(&list)) {
            uint32_t g;
            keel_rd ks;
            if (!keel_rd_u16(&list, &g) || !keel_rd_prefixed16(&list, &ks))
                return 0;
            if (g == ours[i]) {
                /* A share the security callback refuses ends the handshake, as in OpenSSL. */
                if (!keel_sec_group(s->s, SSL_SECOP_CURVE_CHECK, ours[i]))
                    return 0;
                *group = ours[i];
                *share = ks;
                return 1;
            }
        }
        if (common < 0 && keel_sec_group(s->s, SSL_SECOP_CURVE_SHARED, ours[i]))
            common = (int)i;
    }
    if (common < 0)
        return 0;
    *group = ours[common];
    share->p = NULL;
    share->len = 0;
    return 1;
}

/* Certificate and signature scheme: the first scheme in the client's list that we allow (also
 * SSL_SECOP_SIGALG_SHARED) and that a certificate we hold can sign with (RFC 8446 §4.2.3,
 * §4.4.2.2). On failure the reason says whether no scheme was shared at all, as OpenSSL's does. */
static int choose_cert(SSL *s)
{
    keel_conn *c = s->conn;
    uint16_t shared[KEEL_MAX_SIGALGS];
    size_t nshared = keel_sigalgs_shared(s, 0, shared);

    for (size_t i = 0; i < nshared; i++) {
        uint16_t scheme = shared[i];
        for (int slot = 0; slot < KEEL_SLOT_COUNT; slot++) {
            const keel_certkey *ck = &s->s->certs[slot];
            if (ck->x509 != NULL && ck->pkey != NULL && keel_sig_cert_matches(ck->pkey, ck->x509, scheme, 1) > 0) {
                keel_conn_set_certkey(s, ck);
                c->sigalg = scheme;
                return 1;
            }
        }
    }
    ERR_raise(ERR_LIB_SSL, nshared ? SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM
                                   : SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS);
    return 0;
}

int keel_call_servername_cb(SSL *s)
{
    SSL_CTX *ctx = s->ctx;
    int al = SSL_AD_UNRECOGNIZED_NAME;
    /* Without a callback nothing accepted the name: OpenSSL 3.0's answer is then NOACK (no
     * empty server_name in the reply, the session without a hostname). */
    if (ctx->servername_cb == NULL) {
        s->conn->hs->sni_noack = 1;
        return 0;
    }
    switch (ctx->servername_cb(s, &al, ctx->servername_arg)) {
    case SSL_TLSEXT_ERR_ALERT_FATAL:
        ERR_raise(ERR_LIB_SSL, SSL_R_CALLBACK_FAILED);
        return al;
    case SSL_TLSEXT_ERR_NOACK:
        s->conn->hs->sni_noack = 1;
        return 0;
    default:
        return 0;
    }
}

/* The ALPN select callback on the client's protocol_name_list (has: the extension was sent). */
int keel_call_alpn_cb(SSL *s, int has, const uint8_t *list, size_t len)
{
    SSL_CTX *ctx = s->ctx;
    const unsigned char *out;
    unsigned char outlen;

    if (!has || ctx->alpn_select_cb == NULL)
        return 0;
    switch (ctx->alpn_select_cb(s, &out, &outlen, list, (unsigned int)len, ctx->alpn_select_arg)) {
    case SSL_TLSEXT_ERR_OK:
        if (outlen == 0)
            break;
        /* A TLS 1.2 renegotiation (RFC 5746) selects again: the first choice is replaced. */
        OPENSSL_free(s->conn->alpn);
        s->conn->alpn_len = 0;
        if ((s->conn->alpn = OPENSSL_memdup(out, outlen)) == NULL)
            return SSL_AD_INTERNAL_ERROR;
        s->conn->alpn_len = outlen;
        break;
    case SSL_TLSEXT_ERR_ALERT_FATAL:
    case SSL_TLSEXT_ERR_ALERT_WARNING: /* fatal too, as OpenSSL 3.0 takes it (tests/diff/errcodes.c) */
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_APPLICATION_PROTOCOL);
        return TLS1_AD_NO_APPLICATION_PROTOCOL;
    default:
        break; /* NOACK: no ALPN in the reply */
    }
    return 0;
}

/* ServerHello or HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4). */
static int write_server_hello(SSL *s, int hrr)
{
    keel_conn *c = s->conn;
    uint8_t first[256];         /* messages are built on the stack while they fit (keel_wr_init_buf) */
    keel_wr w;
    size_t body, m, e;

    keel_wr_init_buf(&w, first, sizeof(first));
    keel_wr_u8(&w, SSL3_MT_SERVER_HELLO);
    keel_wr_open24(&w, &body);
    keel_wr_u16(&w, TLS1_2_VERSION);
    keel_wr_bytes(&w, hrr ? keel_hrr_random : c->server_random, 32);
    keel_wr_open8(&w, &m);
    keel_wr_bytes(&w, c->hs->session_id, c->hs->session_id_len);
    keel_wr_close(&w, m);
    keel_wr_u16(&w, SSL_CIPHER_get_protocol_id(c->cipher));
    keel_wr_u8(&w, 0);
    keel_wr_open16(&w, &e);
    if (keel_ext_write(s, hrr ? KEEL_MSG_HRR : KEEL_MSG_SH, &w) < 0) {
        keel_wr_cleanup(&w);
        return 0;
    }
    keel_wr_close(&w, e);
    keel_wr_close(&w, body);
    int ok = keel_send_hs(s, &w);
    return ok;
}

static int write_encrypted_extensions(SSL *s)
{
    uint8_t first[128];
    keel_wr w;
    size_t body, e;

    keel_wr_init_buf(&w, first, sizeof(first));
    keel_wr_u8(&w, SSL3_MT_ENCRYPTED_EXTENSIONS);
    keel_wr_open24(&w, &body);
    keel_wr_open16(&w, &e);
    if (keel_ext_write(s, KEEL_MSG_EE, &w) < 0) {
        keel_wr_cleanup(&w);
        return 0;
    }
    keel_wr_close(&w, e);
    keel_wr_close(&w, body);
    int ok = keel_send_hs(s, &w);
    return ok;
}

/* The names a CertificateRequest advertises (RFC 8446 §4.2.4): the client CA list, else the
 * generic CA list (SSL_CTX_set_client_CA_list(3), SSL_CTX_set0_CA_list(3)). */
static void write_ca_names(SSL *s, keel_wr *w)
{
    const STACK_OF(X509_NAME) *names = SSL_get_client_CA_list(s);
    size_t x, list;

    if (sk_X509_NAME_num(names) <= 0)
        names = SSL_get0_CA_list(s);
    if (sk_X509_NAME_num(names) <= 0)
        return;
    keel_wr_u16(w, TLSEXT_TYPE_certificate_authorities);
    keel_wr_open16(w, &x);
    keel_wr_open16(w, &list);
    for (int i = 0; i < sk_X509_NAME_num(names); i++) {
        const X509_NAME *name = sk_X509_NAME_value(names, i);
        const unsigned char *der;
        size_t der_len, m;
        if (!X509_NAME_get0_der(name, &der, &der_len)) {
            w->failed = 1; /* sticky: the message is abandoned */
            return;
        }
        keel_wr_open16(w, &m);
        keel_wr_bytes(w, der, der_len);
        keel_wr_close(w, m);
    }
    keel_wr_close(w, list);
    keel_wr_close(w, x);
}

/* CertificateRequest (RFC 8446 §4.3.2): the context (empty in the handshake, pha.c sets one
 * after it), our signature schemes, the CA names. */
int keel_write_cert_request(SSL *s)
{
    keel_conn *c = s->conn;
    keel_wr w;
    size_t body, e, x, m;
    uint16_t ours[KEEL_MAX_SIGALGS];
    size_t n = keel_sigalgs_effective(s, 1, SSL_SECOP_SIGALG_SUPPORTED, ours); /* client_sigalgs, if set */

    if (!keel_sigalgs_can_sign13(ours, n)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM);
        return 0;
    }
    if (!keel_wr_init(&w, 256))
        return 0;
    keel_wr_u8(&w, SSL3_MT_CERTIFICATE_REQUEST);
    keel_wr_open24(&w, &body);
    keel_wr_u8(&w, (uint32_t)c->cert_ctx_len);
    keel_wr_bytes(&w, keel_cert_ctx(c), c->cert_ctx_len);
    keel_wr_open16(&w, &e);
    keel_wr_u16(&w, TLSEXT_TYPE_signature_algorithms);
    keel_wr_open16(&w, &x);
    keel_wr_open16(&w, &m);
    for (size_t i = 0; i < n; i++)
        keel_wr_u16(&w, ours[i]);
    keel_wr_close(&w, m);
    keel_wr_close(&w, x);
    write_ca_names(s, &w);
    keel_wr_close(&w, e);
    keel_wr_close(&w, body);
    int ok = keel_send_hs(s, &w);
    c->cert_requested = ok;
    return ok;
}

/* RFC 8446 §4.1.2: server_name is not among what ClientHello 2 may change (the servername
 * callback ran on ClientHello 1, and a ticket is bound to the name). */
static int same_name(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* ClientHello 2 (RFC 8446 §4.1.2, §4.2.8): the session id echoed, exactly one key share, for the
 * group the HelloRetryRequest selected. */
static int check_second_hello(SSL *s, keel_hello *h, keel_rd sid)
{
    keel_conn *c = s->conn;
    keel_rd list = h->key_shares, share;
    uint32_t g;

    if (sid.len != c->hs->session_id_len || memcmp(sid.p, c->hs->session_id, sid.len) != 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_SESSION_ID);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    if (!keel_rd_u16(&list, &g) || !keel_rd_prefixed16(&list, &share) || !keel_rd_done(&list)
            || g != c->group) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_KEY_SHARE);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    return 0;
}

/* ClientHello (RFC 8446 §4.1.2): everything decided from it up to the certificate choice. The
 * rest (cert_cb, certificate, key exchange, ServerHello and the flight) is the write step
 * keel_server_write_hello, so that cert_cb may suspend the handshake (a row boundary). */
int keel_server_read_client_hello(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    keel_hello h;
    uint32_t legacy_version;
    const uint8_t *random;
    keel_rd sid, suites, comp;
    int alert = SSL_AD_DECODE_ERROR;
    const keel_rd whole = *body; /* for the client-hello callback */

    memset(&h, 0, sizeof(h));
    c->npeer_groups = c->npeer_sigalgs = 0;
    /* ClientHello 2 selects anew: what ClientHello 1 chose is dropped, whether or not the
     * callback selects again, as OpenSSL 3.0 reports it (SSL_get0_alpn_selected on both ends,
     * tests/diff/hs_state.c). A TLS 1.2 renegotiation keeps its first choice unless the
     * callback selects another (keel_call_alpn_cb; tests/api/reneg.c). */
    if (c->hs->hrr) {
        OPENSSL_free(c->alpn);
        c->alpn = NULL;
        c->alpn_len = 0;
    }
    if (!keel_rd_u16(body, &legacy_version) || !keel_rd_bytes(body, &random, 32)
            || !keel_rd_prefixed8(body, &sid) || sid.len > 32 || !keel_rd_prefixed16(body, &suites)
            || suites.len == 0 || !keel_rd_prefixed8(body, &comp) || comp.len == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    /* OpenSSL 3.0's reasons (tests/api/malformed12.c): an odd suite list is an error in the
     * list; an extensions block that is not the rest of the message a length mismatch. */
    keel_rd rest = *body, block;
    if (!keel_rd_done(&rest) && (!keel_rd_prefixed16(&rest, &block) || !keel_rd_done(&rest))) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    if (suites.len % 2 != 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_ERROR_IN_RECEIVED_CIPHER_LIST);
        return SSL_AD_DECODE_ERROR;
    }
    /* Kept for SSL_client_version, SSL_get_client_ciphers and SSL_get_shared_ciphers. */
    uint8_t *offered = OPENSSL_memdup(suites.p, suites.len);
    if (offered == NULL)
        return SSL_AD_INTERNAL_ERROR;
    OPENSSL_free(c->client_suites);
    sk_SSL_CIPHER_free(c->client_ciphers);
    c->client_ciphers = NULL;
    c->client_suites = offered;
    c->client_suites_len = (uint16_t)suites.len;
    c->client_version = (uint16_t)legacy_version;
    /* Looked at before keel_ext_parse consumes the block (a malformed block is its own alert). */
    int no_extensions = keel_rd_done(body);
    /* ClientHello 2 must name the same server: set ClientHello 1's name aside to compare. */
    char *first_name = NULL;
    if (c->hs->hrr) {
        first_name = s->hostname;
        s->hostname = NULL;
    }
    keel_status_server_start(s); /* a request counts from this hello only */
    /* A TLS 1.2 (or older) client may send no extensions at all (RFC 5246 §7.4.1.2). */
    int parsed = no_extensions || keel_ext_parse(s, KEEL_MSG_CH, body, &h, 0, &alert);
    if (c->hs->hrr) {
        int same = parsed && same_name(first_name, s->hostname);
        OPENSSL_free(same ? first_name : s->hostname);
        if (!same)
            s->hostname = first_name;
        if (parsed && !same) {
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
            return SSL_AD_ILLEGAL_PARAMETER;
        }
    }
    if (!parsed)
        return alert;
    /* RFC 6066 §4: the length this ClientHello asks for; a resumption replaces it with its
     * session's. keel_extw_mfl makes it bind once it is answered. */
    c->mfl = h.mfl;
    /* SSL_CTX_set_client_hello_cb(3): before anything in the hello is acted on. It may suspend
     * the handshake (KEEL_SUSPEND): the message stays buffered and is handled again. */
    if ((alert = keel_call_client_hello_cb(s, whole)) != 0)
        return alert;
    h.legacy_version = (uint16_t)legacy_version;
    if ((alert = keel_select_version(s, &h)) != 0)
        return alert;
    if (h.version == TLS1_2_VERSION) /* RFC 5246 from here on (tls12/server.c) */
        return keel12_server_read_hello(s, &h, random, sid, comp);
    /* RFC 8446 §4.1.2: TLS 1.3 allows only the null compression method. */
    if (comp.len != 1 || comp.p[0] != 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_COMPRESSION_ALGORITHM);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    if (c->npeer_sigalgs == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_MISSING_SIGALGS_EXTENSION);
        return SSL_AD_MISSING_EXTENSION;
    }
    /* Without key_share or supported_groups only psk_ke could proceed (RFC 8446 §9.2): decided
     * once the PSK is known. */
    int no_groups = !h.has_key_share || c->npeer_groups == 0;
    if (c->hs->hrr) {
        if ((alert = check_second_hello(s, &h, sid)) != 0)
            return alert;
    } else {
        memcpy(c->client_random, random, 32);
        memcpy(c->hs->session_id, sid.p, sid.len);
        c->hs->session_id_len = sid.len;
        c->hs->sni_received = s->hostname != NULL;
    }
    /* After HRR the suite must be the one chosen for ClientHello 1 (§4.1.4). */
    const SSL_CIPHER *cs = choose_cipher(s, suites);
    if (cs == NULL || (c->cipher != NULL && cs != c->cipher)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_SHARED_CIPHER);
        return SSL_AD_HANDSHAKE_FAILURE;
    }
    uint16_t group = 0;
    keel_rd share = { NULL, 0 };
    int have_group = !no_groups && choose_group(s, &h, &group, &share);
    if (c->cipher == NULL) {
        c->cipher = cs;
        if (!keel_transcript_set_hash(&c->hs->transcript, cs->hash)
                || !keel_ks_init(&c->hs->ks, s->ctx->algs, cs->hash))
            return SSL_AD_INTERNAL_ERROR;
    }
    c->version = h.version;
    /* Both hellos: ClientHello 2's PSK offer is checked again (psk.c). Before the servername
     * callback, as OpenSSL 3.0 orders them (tests/diff/hs_state.c): its PSK callbacks (and
     * ticket decryption) run while it parses pre_shared_key, the servername callback once all
     * extensions are parsed. */
    if ((alert = keel_server_try_psk(s, &h)) != 0)
        return alert;
    /* Asked for each ClientHello, the second too, as OpenSSL 3.0 asks (tests/diff/hs_state.c). */
    if ((alert = keel_call_servername_cb(s)) != 0)
        return alert;
    /* The name accepted is a fresh session's, for the callbacks that follow; a resumed one keeps
     * the name it was made with (it may be shared with the cache). */
    if (!c->hs->hrr && !c->resumed && !c->hs->sni_noack && s->session != NULL
            && !SSL_SESSION_set1_hostname(s->session, s->hostname))
        return SSL_AD_INTERNAL_ERROR;
    /* psk_ke (RFC 8446 §4.2.9), as OpenSSL 3.0 chooses it: allowed (SSL_OP_ALLOW_NO_DHE_KEX) and
     * offered, and either psk_dhe_ke was not or no group is shared at all (else a share or a
     * HelloRetryRequest for one). */
    c->hs->psk_ke = c->resumed && h.psk_ke && (s->s->options & SSL_OP_ALLOW_NO_DHE_KEX)
        && (!h.psk_dhe || !have_group);
    if (!c->hs->psk_ke && !have_group) {
        if (no_groups) {
            ERR_raise(ERR_LIB_SSL, SSL_R_MISSING_SUPPORTED_GROUPS_EXTENSION);
            return SSL_AD_MISSING_EXTENSION;
        }
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_SUITABLE_KEY_SHARE);
        return SSL_AD_HANDSHAKE_FAILURE;
    }
    c->group = c->hs->psk_ke ? 0 : group;
    OPENSSL_free(c->hs->peer_share);
    c->hs->peer_share = NULL;
    c->hs->peer_share_len = 0;
    if (c->hs->psk_ke) {
        if ((alert = keel_call_alpn_cb(s, h.has_alpn, h.alpn.p, h.alpn.len)) != 0)
            return alert;
    } else if (share.p == NULL) {
        /* No usable share: the write step asks for one (RFC 8446 §4.1.4), at most once. */
        if (c->hs->hrr) {
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_KEY_SHARE);
            return SSL_AD_ILLEGAL_PARAMETER;
        }
        /* OpenSSL 3.0 selects for the first ClientHello too, and again for the second. */
        if ((alert = keel_call_alpn_cb(s, h.has_alpn, h.alpn.p, h.alpn.len)) != 0)
            return alert;
    } else {
        if ((alert = keel_call_alpn_cb(s, h.has_alpn, h.alpn.p, h.alpn.len)) != 0)
            return alert;
        /* The share outlives the message (the write step uses it). */
        if ((c->hs->peer_share = OPENSSL_memdup(share.p, share.len)) == NULL)
            return SSL_AD_INTERNAL_ERROR;
        c->hs->peer_share_len = share.len;
    }
    if (!keel_hs_hash_current(s))
        return SSL_AD_INTERNAL_ERROR;
    return keel_early_server_decide(s, &h); /* early data (tls13/early.c) */
}

/* The write step after each ClientHello: cert_cb (SSL_CTX_set_cert_cb(3): < 0 suspends the
 * handshake, KEEL_SUSPEND, nothing written; called for both hellos around a HelloRetryRequest,
 * and not when a session is resumed, which needs no certificate, as OpenSSL 3.0 does), then the
 * HelloRetryRequest, or the certificate, the key exchange, ServerHello and the flight. 0 or the
 * alert to send. */
int keel_server_write_hello(SSL *s)
{
    keel_conn *c = s->conn;

    if (s->s->cert_cb != NULL && !c->resumed) {
        int r = s->s->cert_cb(s, s->s->cert_cb_arg);
        if (r < 0)
            return KEEL_SUSPEND;
        if (r == 0) {
            ERR_raise(ERR_LIB_SSL, SSL_R_CERT_CB_ERROR);
            return SSL_AD_INTERNAL_ERROR;
        }
    }
    if (c->hs->peer_share == NULL && !c->hs->psk_ke) {
        /* ClientHello 1 is already in the transcript; §4.4.1 replaces it with its hash. */
        c->hs->hrr = 1;
        c->hs->hrr_wait = 1;
        keel_step(s, TLS_ST_SW_SRVR_HELLO);
        if (!keel_transcript_hrr_rewrite(&c->hs->transcript) || !write_server_hello(s, 1)
                || (c->hs->session_id_len > 0 && !keel_write_ccs(s)))
            return SSL_AD_INTERNAL_ERROR;
        keel_step(s, TLS_ST_EARLY_DATA);
        return 0;
    }
    c->hs->hrr_wait = 0;
    if (!c->resumed && !choose_cert(s))
        return SSL_AD_HANDSHAKE_FAILURE; /* choose_cert raised the reason */
    int alert = keel_status_server(s); /* OCSP stapling's callback, once the certificate is known */
    if (alert)
        return alert;
    uint8_t shared[KEEL_KEX_MAX_SECRET];
    size_t shared_len = 0;
    int ok = 1;
    if (!c->hs->psk_ke) { /* psk_ke: no key exchange, zeros into the schedule (§7.1) */
        if ((c->hs->kex = keel_kex_new(s->ctx->algs, c->group)) == NULL)
            return SSL_AD_INTERNAL_ERROR;
        shared_len = sizeof(shared);
        ok = keel_kex_derive(c->hs->kex, c->hs->peer_share, c->hs->peer_share_len, shared, &shared_len);
        if (ok)
            keel_conn_keep_tmp_keys(c, c->hs->peer_share, c->hs->peer_share_len);
    }
    OPENSSL_free(c->hs->peer_share);
    c->hs->peer_share = NULL;
    c->hs->peer_share_len = 0;
    if (!ok)
        return SSL_AD_ILLEGAL_PARAMETER;
    keel_step(s, TLS_ST_SW_SRVR_HELLO);
    if (!keel_random(s->ctx->algs, c->server_random, 32) || !write_server_hello(s, 0)
            || !keel_hs_derive_handshake(s, c->hs->psk_ke ? NULL : shared, shared_len)) {
        OPENSSL_cleanse(shared, sizeof(shared));
        return SSL_AD_INTERNAL_ERROR;
    }
    OPENSSL_cleanse(shared, sizeof(shared));
    keel_kex_free(c->hs->kex);
    c->hs->kex = NULL;
    return keel_server_write_flight(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* After ServerHello: [CCS] EncryptedExtensions [CertificateRequest] Certificate
 * CertificateVerify Finished, then the application write key (RFC 8446 §2, §4.4). */
int keel_server_write_flight(SSL *s)
{
    keel_conn *c = s->conn;

    /* The compatibility CCS follows the first handshake message, unless one followed an HRR. */
    if (c->hs->session_id_len > 0 && !keel_write_ccs(s))
        return 0;
    keel_keylog_hs(s, 1, c->early.status != SSL_EARLY_DATA_ACCEPTED);
    if (!keel_set_traffic_key(s, KEEL_RL_WRITE, c->hs->server_hs)
            || !keel_set_traffic_key(s, KEEL_RL_READ, c->hs->client_hs))
        return 0;
    keel_step(s, TLS_ST_SW_ENCRYPTED_EXTENSIONS);
    if (!write_encrypted_extensions(s))
        return 0;
    /* A PSK handshake authenticates with the PSK: no certificates (RFC 8446 §2.2). */
    if (!c->resumed) {
        /* SSL_VERIFY_POST_HANDSHAKE: the request waits for SSL_verify_client_post_handshake. */
        if ((s->s->verify_mode & (SSL_VERIFY_PEER | SSL_VERIFY_POST_HANDSHAKE)) == SSL_VERIFY_PEER) {
            keel_step(s, TLS_ST_SW_CERT_REQ);
            if (!keel_write_cert_request(s))
                return 0;
        }
        keel_step(s, TLS_ST_SW_CERT);
        if (!keel_write_certificate(s, c->certkey))
            return 0;
        keel_step(s, TLS_ST_SW_CERT_VRFY);
        if (!keel_write_cert_verify(s))
            return 0;
    }
    keel_step(s, TLS_ST_SW_FINISHED);
    if (!keel_write_finished(s))
        return 0;
    if (!keel_hs_derive_application(s) || !keel_set_traffic_key(s, KEEL_RL_WRITE, c->server_ap)
            || !keel_early_server_flight(s))
        return 0;
    /* Waiting for the client's flight (and any early data), as OpenSSL's server does. */
    keel_step(s, TLS_ST_EARLY_DATA);
    return 1;
}

/* The client's Certificate, in either version's handshake or after it (pha.c): an empty one is
 * an error only with SSL_VERIFY_FAIL_IF_NO_PEER_CERT (certificate_required, RFC 8446 §4.4.2.4;
 * handshake_failure in TLS 1.2, RFC 5246 §7.4.6). */
int keel_read_client_certificate(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    int alert = keel_read_certificate(s, body);
    if (alert)
        return alert;
    if (sk_X509_num(c->peer_chain) == 0) {
        if ((s->s->verify_mode & SSL_VERIFY_FAIL_IF_NO_PEER_CERT)) {
            ERR_raise(ERR_LIB_SSL, SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE);
            return c->version == TLS1_3_VERSION ? TLS13_AD_CERTIFICATE_REQUIRED
                                                : SSL_AD_HANDSHAKE_FAILURE;
        }
    } else if ((alert = keel_verify_peer(s)) != 0) {
        return alert;
    }
    return keel_hs_hash_current(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* Its row's next state is the handler's: RFC 8446 §4.4.2 — after an empty Certificate no
 * CertificateVerify follows, so the state skips to TLS_ST_SR_CERT_VRFY, as OpenSSL's does. */
int keel_server_read_certificate(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    int alert = keel_read_client_certificate(s, body);
    if (alert)
        return alert;
    keel_set_state(s, sk_X509_num(c->peer_chain) == 0 ? TLS_ST_SR_CERT_VRFY : TLS_ST_SR_CERT);
    return 0;
}

/* Its row's next state is the handler's: TLS_ST_SR_FINISHED, then each ticket written moves to
 * TLS_ST_SW_SESSION_TICKET (ticket.c), so the info callback reports them as OpenSSL's does. */
int keel_server_read_finished(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    int alert = keel_read_finished(s, body);
    if (alert)
        return alert;
    keel_set_state(s, TLS_ST_SR_FINISHED);
    /* logged as OpenSSL 3.0's server logs it: when it takes the client's key */
    keel_keylog(s, "CLIENT_TRAFFIC_SECRET_0", c->client_ap, keel_hash_len(c->cipher->hash));
    if (!keel_set_traffic_key(s, KEEL_RL_READ, c->client_ap) || !keel_hs_derive_resumption(s)
            || !keel_server_send_tickets(s, 0))
        return SSL_AD_INTERNAL_ERROR;
    return 0;
}
