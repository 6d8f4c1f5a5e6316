/* The TLS 1.2 server's handlers (RFC 5246 §7.3, §7.4; ECDHE RFC 8422; RFC 7627; RFC 5746).
 * The TLS 1.3 ClientHello handler (tls13/server.c) parses the hello and chooses the version, then
 * hands a TLS 1.2 hello to keel12_server_read_hello; the rows of tls12/table.c take it from there.
 * The client's flight is read in server_flight.c, resumption (session ids and RFC 5077 tickets)
 * is in resume.c. */
#include "handshake/tls12/tls12.h"
#include "proto/session.h"

#include <string.h>

int keel12_server_read_hello(SSL *s, keel_hello *h, const uint8_t *random, keel_rd sid, keel_rd comp)
{
    keel_conn *c = s->conn;
    int alert, null_comp = 0;

    if (c->hs->hrr) {
        /* RFC 8446 §4.1.4: after a HelloRetryRequest the version stays TLS 1.3. */
        ERR_raise(ERR_LIB_SSL, SSL_R_UNSUPPORTED_PROTOCOL);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    /* RFC 5246 §7.4.1.2: the null method must be offered. */
    for (size_t i = 0; i < comp.len; i++)
        null_comp |= comp.p[i] == 0;
    if (!null_comp) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_COMPRESSION_SPECIFIED);
        return SSL_AD_DECODE_ERROR;
    }
    /* RFC 8422 §5.1.2: a client listing curves of that document and ec_point_formats without
     * uncompressed MUST be refused (OpenSSL 3.0 goes on: a documented difference). */
    int ec_groups = 0;
    for (size_t i = 0; i < c->npeer_groups; i++)
        ec_groups |= c->peer_groups[i] < 0x0100; /* 0x01xx: finite-field groups */
    if (h->has_ec_formats && !h->ec_uncompressed && ec_groups) {
        ERR_raise(ERR_LIB_SSL, SSL_R_TLS_INVALID_ECPOINTFORMAT_LIST);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    c->version = TLS1_2_VERSION;
    memcpy(c->client_random, random, 32);
    /* RFC 7627 §5.2: used when both want it. RFC 5746 §3.6: the SCSV counts as the extension. */
    c->ems = h->ems && !(s->s->options & SSL_OP_NO_EXTENDED_MASTER_SECRET);
    /* RFC 7366 §2: wanted by both; dropped again unless the suite chosen is a CBC one. */
    c->etm = h->etm && !(s->s->options & SSL_OP_NO_ENCRYPT_THEN_MAC);
    int scsv = keel_client_suite_offered(c, 0x00ff); /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
    c->hs->reneg_indicated = h->reneg || scsv;
    if (c->hs->reneg && (alert = keel12_reneg_check_client_hello(s, h, scsv)) != 0)
        return alert;
    c->peer_ri = c->hs->reneg_indicated;
    /* The session is looked up before the servername callback runs, as OpenSSL 3.0 orders its
     * callbacks (get_session_cb, then the servername callback, then ALPN's). A renegotiation
     * with SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION is a full handshake, and issues no
     * ticket, as OpenSSL 3.0's (unless we asked with SSL_renegotiate_abbreviated). */
    int fresh = c->hs->reneg && (s->s->options & SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION)
        && c->reneg_req != KEEL_RENEG_ABBREV;
    if (!fresh && (alert = keel12_server_try_resume(s, h, sid)) != 0)
        return alert;
    c->hs->sni_received = s->hostname != NULL;
    if ((alert = keel_call_servername_cb(s)) != 0)
        return alert;
    /* A resumed session keeps the name it was made with (it may be shared with the cache). */
    if (!c->resumed && !c->hs->sni_noack && s->session != NULL
            && !SSL_SESSION_set1_hostname(s->session, s->hostname))
        return SSL_AD_INTERNAL_ERROR;
    /* RFC 8422 §5.2: answered when ECC is used; a resumption negotiates no new key exchange, and
     * OpenSSL 3.0 leaves it out then. */
    c->hs->ec_formats = h->has_ec_formats && !c->resumed;
    /* A full handshake selects in the write step, after cert_cb (keel12_server_write_hello):
     * the list is kept until then. */
    if (c->resumed) {
        if ((alert = keel_call_alpn_cb(s, h->has_alpn, h->alpn.p, h->alpn.len)) != 0)
            return alert;
    } else if (h->has_alpn) {
        OPENSSL_free(c->hs->alpn12);
        c->hs->alpn12_len = 0;
        /* +1: an empty list is still a list offered */
        if ((c->hs->alpn12 = OPENSSL_malloc(h->alpn.len + 1)) == NULL)
            return SSL_AD_INTERNAL_ERROR;
        memcpy(c->hs->alpn12, h->alpn.p, h->alpn.len);
        c->hs->alpn12_len = h->alpn.len;
    }
    /* A full handshake learns its hash with the suite (the write step, after cert_cb); the
     * transcript buffers until then. */
    if (c->resumed && !keel_transcript_set_hash(&c->hs->transcript, c->cipher->hash))
        return SSL_AD_INTERNAL_ERROR;
    return keel_hs_hash_current(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* ---- the server's choices (after cert_cb) ---- */

/* The schemes the client accepts (in its order) that we allow: signature_algorithms, or without
 * it RFC 5246 §7.4.1.4.1's default, SHA-1 with the certificate's algorithm (which the security
 * level refuses from level 1, as OpenSSL 3.0 does). */
static size_t shared_schemes(SSL *s, uint16_t *out)
{
    static const uint16_t legacy[] = { KEEL_SIG_RSA_PKCS1_SHA1, KEEL_SIG_ECDSA_SHA1 };
    size_t n = 0;

    if (s->conn->npeer_sigalgs > 0)
        return keel_sigalgs_shared(s, 0, out);
    for (size_t i = 0; i < 2; i++)
        if (keel_sec_sigalg(s->s, SSL_SECOP_SIGALG_SHARED, legacy[i]))
            out[n++] = legacy[i];
    return n;
}

/* RFC 4492 §5.1, §5.3 (as OpenSSL 3.0 applies them): an ECDSA certificate's curve must be one
 * the client's supported_groups lists, when it sent the extension. */
static int curve_offered(const keel_conn *c, const EVP_PKEY *pkey)
{
    static const struct { uint16_t scheme, group; } curves[] = {
        { KEEL_SIG_ECDSA_SECP256R1_SHA256, 0x0017 },
        { KEEL_SIG_ECDSA_SECP384R1_SHA384, 0x0018 },
        { KEEL_SIG_ECDSA_SECP521R1_SHA512, 0x0019 },
    };
    if (c->npeer_groups == 0)
        return 1;
    /* The TLS 1.3 pairing of scheme and curve names the key's curve. */
    for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
        if (keel_sig_key_matches(pkey, curves[i].scheme, 1))
            return keel_u16_in(c->peer_groups, c->npeer_groups, curves[i].group);
    return 0;
}

/* The certificate the suite's authentication needs (ECDHE_ECDSA: an EC or EdDSA key; ECDHE_RSA:
 * RSA or RSA-PSS, RFC 8422 §2, RFC 8446 §4.2.3) with the first shared scheme that fits it. */
static int cert_for(SSL *s, const SSL_CIPHER *cs, const uint16_t *sch, size_t n,
                    const keel_certkey **ck, uint16_t *scheme)
{
    static const int ec[] = { KEEL_SLOT_EC, KEEL_SLOT_ED25519, KEEL_SLOT_ED448 };
    static const int rsa[] = { KEEL_SLOT_RSA, KEEL_SLOT_RSA_PSS };
    int is_ec = cs->auth_nid == NID_auth_ecdsa;
    const int *slots = is_ec ? ec : rsa;
    /* RSA key transport (and RSA_PSK's, RFC 4279 §4) decrypts with the key: rsaEncryption only, not RSA-PSS (RFC 8446 §4.2.3;
     * OpenSSL 3.0 has no RSA suite for an RSA-PSS certificate, tests/diff/dhe12.c). */
    size_t nslots = is_ec ? 3 : cs->kx_nid == NID_kx_rsa || cs->kx_nid == NID_kx_rsa_psk ? 1 : 2;

    if (cs->auth_nid == NID_auth_psk) { /* the key authenticates: no certificate (RFC 4279 §2) */
        *ck = NULL;
        *scheme = 0;
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < nslots; j++) {
            const keel_certkey *k = &s->s->certs[slots[j]];
            if (k->x509 != NULL && k->pkey != NULL && keel_sig_key_matches(k->pkey, sch[i], 0)
                    && (slots[j] != KEEL_SLOT_EC || curve_offered(s->conn, k->pkey))) {
                *ck = k;
                *scheme = sch[i];
                return 1;
            }
        }
    return 0;
}

static int is_chacha(const SSL_CIPHER *cs) { return cs->aead == KEEL_AEAD_CHACHA20_POLY1305; }

/* The suite (RFC 5246 §7.4.1.3): our TLS 1.2 list ∩ the client's, in the client's order or ours
 * with SSL_OP_CIPHER_SERVER_PREFERENCE (and SSL_OP_PRIORITIZE_CHACHA: ChaCha20 first when it is
 * the client's first choice), the first one a configured certificate can serve; that suite
 * decides which certificate is sent when several are configured. */
static int choose_suite(SSL *s)
{
    keel_conn *c = s->conn;
    const SSL_CIPHER *order[KEEL_MAX_CIPHERS];
    size_t n = 0;
    uint16_t sch[KEEL_MAX_SIGALGS];
    size_t nsch = shared_schemes(s, sch);
    int server_pref = (s->s->options & SSL_OP_CIPHER_SERVER_PREFERENCE) != 0;

    if (server_pref) {
        const SSL_CIPHER *first = c->client_suites_len >= 2
            ? keel_cipher_by_code((uint16_t)(c->client_suites[0] << 8 | c->client_suites[1])) : NULL;
        int chacha_first = (s->s->options & SSL_OP_PRIORITIZE_CHACHA) && first != NULL && is_chacha(first);
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < s->s->nciphers12; i++) {
                const SSL_CIPHER *cs = s->s->ciphers12[i];
                int take = chacha_first ? (pass == 0) == is_chacha(cs) : pass == 0;
                if (take && keel_client_suite_offered(c, cs->code))
                    order[n++] = cs;
            }
    } else {
        for (size_t i = 0; i + 1 < c->client_suites_len && n < KEEL_MAX_CIPHERS; i += 2) {
            uint16_t code = (uint16_t)(c->client_suites[i] << 8 | c->client_suites[i + 1]);
            for (size_t j = 0; j < s->s->nciphers12; j++)
                if (s->s->ciphers12[j]->code == code)
                    order[n++] = s->s->ciphers12[j];
        }
    }
    for (size_t i = 0; i < n; i++) {
        const keel_certkey *ck;
        uint16_t scheme;
        if (keel_sec_cipher(s->s, SSL_SECOP_CIPHER_SHARED, order[i])
                && cert_for(s, order[i], sch, nsch, &ck, &scheme)
                && keel12_server_kx_usable(s, order[i])) {
            c->cipher = order[i];
            c->etm = c->etm && c->cipher->mac != KEEL_MAC_AEAD;
            keel_conn_set_certkey(s, ck);
            c->sigalg = scheme;
            return 1;
        }
    }
    ERR_raise(ERR_LIB_SSL, SSL_R_NO_SHARED_CIPHER);
    return 0;
}

/* ---- the server's messages ---- */

/* ServerHello (RFC 5246 §7.4.1.3): extensions only in answer to the client's (§7.4.1.4), and
 * no extensions block at all when there is none to send. */
static int write_server_hello(SSL *s)
{
    keel_conn *c = s->conn;
    uint8_t ext_buf[128], first[256]; /* on the stack while they fit (keel_wr_init_buf) */
    keel_wr w, exts;
    size_t body, m, e;
    int any;

    keel_wr_init_buf(&exts, ext_buf, sizeof(ext_buf));
    if ((any = keel_ext_write(s, KEEL_MSG_SH12, &exts)) < 0) {
        keel_wr_cleanup(&exts);
        return 0;
    }
    keel_wr_init_buf(&w, first, sizeof(first));
    keel_wr_u8(&w, SSL3_MT_SERVER_HELLO);
    keel_wr_open24(&w, &body);
    keel_wr_u16(&w, TLS1_2_VERSION);
    keel_wr_bytes(&w, c->server_random, 32);
    keel_wr_open8(&w, &m);
    keel_wr_bytes(&w, c->hs->session_id, c->hs->session_id_len);
    keel_wr_close(&w, m);
    keel_wr_u16(&w, c->cipher->code);
    keel_wr_u8(&w, 0);
    if (any > 0) {
        keel_wr_open16(&w, &e);
        keel_wr_bytes(&w, keel_wr_data(&exts), keel_wr_len(&exts));
        keel_wr_close(&w, e);
    }
    keel_wr_cleanup(&exts);
    keel_wr_close(&w, body);
    return keel_send_hs(s, &w);
}

/* RFC 5246 §7.4.1.3 with RFC 8446 §4.1.3: a TLS 1.3-capable server negotiating TLS 1.2 ends its
 * random with the downgrade sentinel. A new session id (sid, 32 bytes, or NULL) comes from the
 * same draw: both go out in the ServerHello, and a RAND_bytes call costs ~6k instructions
 * whatever its length. */
static int make_server_random(SSL *s, uint8_t *sid)
{
    keel_conn *c = s->conn;
    uint8_t rnd[64];
    if (!keel_random(s->ctx->algs, rnd, sid != NULL ? 64 : 32))
        return 0;
    memcpy(c->server_random, rnd, 32);
    if (sid != NULL)
        memcpy(sid, rnd + 32, 32);
    if (keel_tls13_allowed(s->s))
        memcpy(c->server_random + 24, keel12_downgrade, 8);
    return 1;
}

/* CertificateRequest (RFC 5246 §7.4.4): certificate types, our schemes for client
 * authentication (client_sigalgs if set), and the CA names the TLS 1.3 request carries (the
 * client CA list, else the CA list). */
static int write_cert_request(SSL *s)
{
    uint8_t first[256]; /* on the stack while it fits (keel_wr_init_buf): CA names grow it */
    keel_wr w;
    size_t body, m;
    uint16_t ours[KEEL_MAX_SIGALGS];
    size_t n = keel_sigalgs_effective(s, 1, SSL_SECOP_SIGALG_SUPPORTED, ours);
    const STACK_OF(X509_NAME) *names = SSL_get_client_CA_list(s);

    if (n == 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM);
        return 0;
    }
    if (sk_X509_NAME_num(names) <= 0)
        names = SSL_get0_CA_list(s);
    keel_wr_init_buf(&w, first, sizeof(first));
    keel_wr_u8(&w, SSL3_MT_CERTIFICATE_REQUEST);
    keel_wr_open24(&w, &body);
    keel_wr_open8(&w, &m);
    keel_wr_u8(&w, 1);  /* rsa_sign */
    keel_wr_u8(&w, 64); /* ecdsa_sign (RFC 8422 §5.5) */
    keel_wr_close(&w, m);
    keel_wr_open16(&w, &m);
    for (size_t i = 0; i < n; i++)
        keel_wr_u16(&w, ours[i]);
    keel_wr_close(&w, m);
    keel_wr_open16(&w, &m);
    for (int i = 0; i < sk_X509_NAME_num(names); i++) {
        const unsigned char *der;
        size_t der_len, d;
        if (!X509_NAME_get0_der(sk_X509_NAME_value(names, i), &der, &der_len)) {
            keel_wr_cleanup(&w);
            ERR_raise(ERR_LIB_SSL, ERR_R_X509_LIB);
            return 0;
        }
        keel_wr_open16(&w, &d);
        keel_wr_bytes(&w, der, der_len);
        keel_wr_close(&w, d);
    }
    keel_wr_close(&w, m);
    keel_wr_close(&w, body);
    return keel_send_hs(s, &w);
}

static int write_empty(SSL *s, int type)
{
    uint8_t msg[4];
    keel_wr w;
    keel_wr_init_fixed(&w, msg, sizeof(msg));
    keel_wr_u8(&w, (uint32_t)type);
    keel_wr_u24(&w, 0);
    return keel_send_hs(s, &w);
}

/* The write step after a ClientHello that resumes nothing: cert_cb (may suspend), the choices,
 * then ServerHello Certificate ServerKeyExchange [CertificateRequest] ServerHelloDone. */
int keel12_server_write_hello(SSL *s)
{
    keel_conn *c = s->conn;

    if (s->s->cert_cb != NULL) {
        int r = s->s->cert_cb(s, s->s->cert_cb_arg);
        if (r < 0)
            return KEEL_SUSPEND;
        if (r == 0) {
            ERR_raise(ERR_LIB_SSL, SSL_R_CERT_CB_ERROR);
            return SSL_AD_INTERNAL_ERROR;
        }
    }
    if (!choose_suite(s))
        return SSL_AD_HANDSHAKE_FAILURE;
    int alert = keel12_server_kx_prepare(s);
    if (!alert)
        alert = keel_status_server(s); /* OCSP stapling's callback, once the certificate is known */
    /* ALPN last, after cert_cb, the suite and the status callback, as OpenSSL 3.0 orders them
     * for TLS 1.2 (tests/diff/hs_state.c): HTTP/2 restricts the suites it may run on. */
    if (!alert)
        alert = keel_call_alpn_cb(s, c->hs->alpn12 != NULL, c->hs->alpn12, c->hs->alpn12_len);
    if (alert)
        return alert;
    /* RFC 5246 §7.4.8: a client's CertificateVerify signs the raw messages; keep them. */
    int request = (s->s->verify_mode & SSL_VERIFY_PEER) && keel12_kx_server_cert(c->cipher);
    if (request)
        keel_transcript_keep_buffer(&c->hs->transcript);
    if (!keel_transcript_set_hash(&c->hs->transcript, c->cipher->hash))
        return SSL_AD_INTERNAL_ERROR;
    /* A session id when the server cache is on (a client resumes by it) and no ticket will
     * stand for the session (RFC 5077 §3.4 lets the server send none then), as OpenSSL 3.0. */
    c->hs->session_id_len = (s->session_ctx->session_cache_mode & SSL_SESS_CACHE_SERVER)
        && !c->hs->ticket_expected ? 32 : 0;
    if (!make_server_random(s, c->hs->session_id_len ? c->hs->session_id : NULL))
        return SSL_AD_INTERNAL_ERROR;
    keel_step(s, TLS_ST_SW_SRVR_HELLO);
    if (!write_server_hello(s))
        return SSL_AD_INTERNAL_ERROR;
    if (keel12_kx_server_cert(c->cipher)) {
        keel_step(s, TLS_ST_SW_CERT);
        if (!keel_write_certificate(s, c->certkey) || !keel12_server_write_cert_status(s))
            return SSL_AD_INTERNAL_ERROR;
    }
    if (!keel12_server_write_key_exchange(s))
        return SSL_AD_INTERNAL_ERROR;
    if (request) {
        keel_step(s, TLS_ST_SW_CERT_REQ);
        if (!write_cert_request(s))
            return SSL_AD_INTERNAL_ERROR;
        c->cert_requested = 1;
    }
    keel_step(s, TLS_ST_SW_SRVR_DONE);
    return write_empty(s, SSL3_MT_SERVER_DONE) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* [NewSessionTicket] ChangeCipherSpec Finished: the end of either flight (RFC 5077 §3.1). */
static int write_ticket_ccs_finished(SSL *s)
{
    if (s->conn->hs->ticket_expected) {
        keel_step(s, TLS_ST_SW_SESSION_TICKET);
        if (!keel12_server_write_ticket(s))
            return SSL_AD_INTERNAL_ERROR;
    }
    if (!keel12_write_ccs(s))
        return SSL_AD_INTERNAL_ERROR;
    keel_step(s, TLS_ST_SW_FINISHED);
    return keel12_write_finished(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* After the client's Finished in a full handshake: the session kept (resume.c), then
 * [NewSessionTicket] ChangeCipherSpec Finished. */
int keel12_server_write_finished(SSL *s)
{
    if (!keel12_server_new_session(s))
        return SSL_AD_INTERNAL_ERROR;
    return write_ticket_ccs_finished(s);
}

/* Abbreviated handshake (RFC 5246 §7.3 Figure 2): ServerHello echoing the session id,
 * [NewSessionTicket], ChangeCipherSpec, Finished; the client's CCS and Finished follow. */
int keel12_server_write_resumed(SSL *s)
{
    keel_status_server(s); /* a resumption staples nothing: the request is dropped (status.c) */
    if (!make_server_random(s, NULL)) /* the session id is the client's, echoed */
        return SSL_AD_INTERNAL_ERROR;
    keel_step(s, TLS_ST_SW_SRVR_HELLO);
    if (!write_server_hello(s))
        return SSL_AD_INTERNAL_ERROR;
    return write_ticket_ccs_finished(s);
}
