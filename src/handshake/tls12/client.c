/* The TLS 1.2 client's handlers (RFC 5246 §7.4; RFC 8422 §5 for ECDHE; RFC 5077 for tickets;
 * RFC 7627 for the extended master secret), one per message of tls12/table.c's client rows. */
#include "handshake/tls12/tls12.h"
#include "proto/session.h"

#include <string.h>

/* Resuming the session we offered (RFC 5246 §7.4.1.3: the server echoed its session id; RFC 5077
 * §3.4: or the id we sent with its ticket): same version and suite, and RFC 7627 §5.3's rule that
 * a session keeps its extended master secret status. */
static int resume(SSL *s, const SSL_CIPHER *cs)
{
    keel_conn *c = s->conn;
    const SSL_SESSION *ss = c->hs->sess12_offered;

    if (ss->version != TLS1_2_VERSION) {
        ERR_raise(ERR_LIB_SSL, SSL_R_SSL_SESSION_VERSION_MISMATCH);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    if (ss->cipher != cs) {
        ERR_raise(ERR_LIB_SSL, SSL_R_OLD_SESSION_CIPHER_NOT_RETURNED);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    if (ss->ems != c->ems) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INCONSISTENT_EXTMS);
        return SSL_AD_HANDSHAKE_FAILURE;
    }
    memcpy(c->master, ss->master_key, KEEL12_MASTER_LEN);
    c->resumed = 1;
    s->verify_result = ss->verify_result;
    return 0;
}

int keel12_client_read_server_hello(SSL *s, keel_hello *h, const uint8_t *random, keel_rd *sid,
                                    uint16_t cipher, uint32_t comp, keel_rd *body)
{
    keel_conn *c = s->conn;
    int alert;

    if ((alert = keel_client_check_version(s, h)) != 0
            || (alert = keel_client_check_downgrade(s, random)) != 0)
        return alert;
    if (c->hs->hrr) {
        /* RFC 8446 §4.1.4: after a HelloRetryRequest the version stays TLS 1.3 (OpenSSL 3.0's
         * reason). */
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_SSL_VERSION);
        return SSL_AD_PROTOCOL_VERSION;
    }
    if (sid->len > SSL_MAX_SSL_SESSION_ID_LENGTH) {
        ERR_raise(ERR_LIB_SSL, SSL_R_SSL3_SESSION_ID_TOO_LONG);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    /* A TLS 1.2 suite we offered, still acceptable (SSL_SECOP_CIPHER_CHECK). */
    const SSL_CIPHER *cs = keel_cipher_by_code(cipher);
    int offered = 0;
    for (size_t i = 0; i < s->s->nciphers12; i++)
        offered |= s->s->ciphers12[i] == cs && !keel12_psk_suite_disabled(s, cs);
    if (!offered || !keel_sec_cipher(s->s, SSL_SECOP_CIPHER_CHECK, cs)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_CIPHER_RETURNED);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    if (comp != 0) { /* we offered null only; OpenSSL 3.0's reason for TLS 1.2 */
        ERR_raise(ERR_LIB_SSL, SSL_R_COMPRESSION_DISABLED);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    c->version = TLS1_2_VERSION;
    c->cipher = cs;
    memcpy(c->server_random, random, 32);
    /* Only what we offered may come back (RFC 5246 §7.4.1.4); the SCSV offered renegotiation_info. */
    if (!keel_rd_done(body) && !keel_ext_parse(s, KEEL_MSG_SH12, body, h, c->hs->ext_offered, &alert))
        return alert;
    /* RFC 5746 §3.4, §3.5 (reneg.c): a server without renegotiation_info may be vulnerable. */
    if ((alert = keel12_reneg_check_server_hello(s, h)) != 0)
        return alert;
    /* RFC 8422 §5.2 wants uncompressed among the server's point formats; OpenSSL 3.0's client
     * does not check (a scripted server listing only compressed ones is accepted), nor does keel:
     * the points it reads are judged by keel_kex_derive anyway. */
    c->peer_ri = h->reneg;
    c->ems = h->ems; /* keel_ext_parse refused it unless we offered it */
    /* RFC 7366 §3: a server must not accept it for an AEAD suite; OpenSSL's client then ignores
     * it, and so does keel. */
    c->etm = h->etm && cs->mac != KEEL_MAC_AEAD;
    c->hs->ticket_expected = h->has_ticket;
    if (c->hs->sess12_offered != NULL && sid->len > 0 && sid->len == c->hs->session_id_len
            && memcmp(sid->p, c->hs->session_id, sid->len) == 0) {
        if ((alert = resume(s, cs)) != 0)
            return alert;
    }
    /* RFC 6066 §4: the length the server echoed (peer_mfl held it to ours), else a resumed
     * session's, which OpenSSL's client keeps too. */
    keel_set_mfl(s, h->mfl != 0 ? h->mfl : c->resumed ? c->hs->sess12_offered->mfl_mode : 0);
    /* The server's session id names the new session (RFC 5246 §7.4.1.3). */
    memcpy(c->hs->session_id, sid->p, sid->len);
    c->hs->session_id_len = sid->len;
    /* RFC 5246 §7.4.8: a CertificateVerify signs the handshake messages themselves, so a full
     * handshake keeps them while a CertificateRequest may come. */
    if (!c->resumed)
        keel_transcript_keep_buffer(&c->hs->transcript);
    if (!keel_transcript_set_hash(&c->hs->transcript, cs->hash) || !keel_hs_hash_current(s))
        return SSL_AD_INTERNAL_ERROR;
    /* The TLS 1.3 share of the ClientHello is of no use now (RFC 8422: the server picks); its
     * public half stays what SSL_get_tmp_key reports, as OpenSSL 3.0's client reports it. */
    EVP_PKEY_free(c->offered_key);
    c->offered_key = keel_kex_own_public(c->hs->kex);
    keel_kex_free(c->hs->kex);
    c->hs->kex = NULL;
    return 0;
}

/* The server's Certificate (RFC 5246 §7.4.2): verified here, as OpenSSL's client does; its key
 * must suit the suite's authentication (RFC 8422 §5.3: ECDSA suites, an EC or EdDSA key; RSA
 * suites, an RSA key). */
int keel12_client_read_certificate(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    int alert = keel_read_certificate(s, body);
    if (alert)
        return alert;
    if (sk_X509_num(c->peer_chain) == 0) {
        /* RFC 5246 §7.4.2: the server's list is never empty; OpenSSL 3.0's reason and alert
         * (checked against a scripted server). */
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    if ((alert = keel_verify_peer(s)) != 0)
        return alert;
    EVP_PKEY *pub = X509_get0_pubkey(sk_X509_value(c->peer_chain, 0));
    int slot = pub != NULL ? keel_cert_slot_for_key(pub) : -1;
    int ecdsa = slot == KEEL_SLOT_EC || slot == KEEL_SLOT_ED25519 || slot == KEEL_SLOT_ED448;
    int rsa = slot == KEEL_SLOT_RSA || slot == KEEL_SLOT_RSA_PSS;
    if (!(c->cipher->auth_nid == NID_auth_ecdsa ? ecdsa : rsa)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_CERTIFICATE_TYPE);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    return keel_hs_hash_current(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* CertificateRequest (RFC 5246 §7.4.4): certificate_types<1..2^8-1>,
 * supported_signature_algorithms<2..2^16-2>, certificate_authorities<0..2^16-1> of
 * DistinguishedName<1..2^16-1>. The schemes and names are kept for the certificate choice,
 * SSL_get0_peer_CA_list and the client certificate callback. */
int keel12_client_read_cert_request(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    keel_rd types, algs, cas, der;
    STACK_OF(X509_NAME) *names;

    /* RFC 5246 says certificate_types<1..2^8-1>; OpenSSL 3.0 takes an empty list, and so does
     * keel (checked against a scripted server). */
    if (!keel_rd_prefixed8(body, &types) || !keel_rd_prefixed16(body, &algs) || keel_rd_left(&algs) < 2
            || keel_rd_left(&algs) % 2 != 0 || !keel_rd_prefixed16(body, &cas) || !keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    size_t n = keel_rd_left(&algs) / 2;
    uint16_t *v = OPENSSL_malloc(n * sizeof(*v));
    if (v == NULL || (names = sk_X509_NAME_new_null()) == NULL) {
        OPENSSL_free(v);
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return SSL_AD_INTERNAL_ERROR;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t x;
        keel_rd_u16(&algs, &x);
        v[i] = (uint16_t)x;
    }
    OPENSSL_free(c->peer_sigalgs);
    c->peer_sigalgs = v;
    c->npeer_sigalgs = (uint16_t)n;
    OPENSSL_free(c->peer_cert_types); /* SSL_get0_certificate_types(3) */
    c->peer_cert_types = NULL;
    if (types.len > 0 && (c->peer_cert_types = OPENSSL_memdup(types.p, types.len)) == NULL) {
        c->npeer_cert_types = 0;
        sk_X509_NAME_free(names);
        return SSL_AD_INTERNAL_ERROR;
    }
    c->npeer_cert_types = (uint8_t)types.len;
    while (!keel_rd_done(&cas)) {
        const unsigned char *p;
        X509_NAME *name = NULL;
        if (!keel_rd_prefixed16(&cas, &der) || der.len == 0) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
            return SSL_AD_DECODE_ERROR;
        }
        p = der.p;
        /* Not a name, or a name shorter than its entry: OpenSSL 3.0's two reasons. */
        if (d2i_X509_NAME(&name, &p, (long)der.len) == NULL || p != der.p + der.len) {
            ERR_raise(ERR_LIB_SSL, name == NULL ? ERR_R_ASN1_LIB : SSL_R_CA_DN_LENGTH_MISMATCH);
            X509_NAME_free(name);
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            return SSL_AD_DECODE_ERROR;
        }
        if (!sk_X509_NAME_push(names, name)) {
            X509_NAME_free(name);
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            return SSL_AD_INTERNAL_ERROR;
        }
    }
    sk_X509_NAME_pop_free(c->peer_ca_names, X509_NAME_free);
    c->peer_ca_names = names;
    c->cert_requested = 1;
    return keel_hs_hash_current(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* ServerHelloDone (RFC 5246 §7.4.5): empty. OpenSSL 3.0 refuses a longer one by its size limit
 * for the message (illegal_parameter, excessive message size). */
int keel12_client_read_server_done(SSL *s, keel_rd *body)
{
    if (!keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_EXCESSIVE_MESSAGE_SIZE);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    /* The server's flight is in: OCSP stapling's callback judges the response (status.c). */
    int alert = keel_status_client_cb(s);
    if (alert)
        return alert;
    return keel_hs_hash_current(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* CertificateVerify (RFC 5246 §7.4.8): a DigitallySigned over every handshake message so far,
 * the raw bytes (the scheme's hash is applied by the signature). */
static int write_cert_verify(SSL *s)
{
    const uint8_t *msgs;
    size_t len;
    return keel_transcript_buffer(&s->conn->hs->transcript, &msgs, &len)
        && keel_send_signed(s, SSL3_MT_CERTIFICATE_VERIFY, NULL, 0, msgs, len);
}

/* The certificate that answers a CertificateRequest (RFC 5246 §7.4.6), chosen when the request
 * arrives: the cert callback, then the client certificate callback, which may ask to be called
 * again (KEEL_SUSPEND: SSL_ERROR_WANT_X509_LOOKUP). A row that writes nothing. */
int keel12_client_choose_cert(SSL *s)
{
    const keel_certkey *ck = NULL;
    int r = keel_choose_cert(s, &ck); /* sets c->certkey */
    if (r < 0)
        return KEEL_SUSPEND;
    if (r == 0)
        return SSL_AD_INTERNAL_ERROR;
    s->conn->hs->cert12_chosen = 1;
    return 0;
}

/* The client's flight (RFC 5246 §7.3): [Certificate] ClientKeyExchange [CertificateVerify]
 * ChangeCipherSpec Finished. */
int keel12_client_write_flight(SSL *s)
{
    keel_conn *c = s->conn;
    const keel_certkey *ck = c->cert_requested ? c->certkey : NULL;

    if (c->cert_requested) {
        keel_step(s, TLS_ST_CW_CERT);
        if (!keel_write_certificate(s, ck))
            return SSL_AD_INTERNAL_ERROR;
    }
    keel_step(s, TLS_ST_CW_KEY_EXCH);
    if (!keel12_client_write_key_exchange(s))
        return SSL_AD_INTERNAL_ERROR;
    if (ck != NULL) {
        keel_step(s, TLS_ST_CW_CERT_VRFY);
        if (!write_cert_verify(s))
            return SSL_AD_INTERNAL_ERROR;
    }
    if (!keel12_write_ccs(s))
        return SSL_AD_INTERNAL_ERROR;
    keel_step(s, TLS_ST_CW_FINISHED);
    return keel12_write_finished(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* The server's Finished (RFC 5246 §7.4.9). A full handshake ends here; an abbreviated one with
 * our CCS and Finished (keel12_client_write_finished). */
int keel12_client_read_finished(SSL *s, keel_rd *body)
{
    int alert = keel12_read_finished(s, body);
    if (alert)
        return alert;
    if (!s->conn->resumed && !keel12_client_make_session(s))
        return SSL_AD_INTERNAL_ERROR;
    return 0;
}

/* Abbreviated handshake (RFC 5246 §7.3, Figure 2): our ChangeCipherSpec and Finished last. */
int keel12_client_write_finished(SSL *s)
{
    if (!keel12_write_ccs(s))
        return SSL_AD_INTERNAL_ERROR;
    keel_step(s, TLS_ST_CW_FINISHED);
    if (!keel12_write_finished(s) || !keel12_client_make_session(s))
        return SSL_AD_INTERNAL_ERROR;
    return 0;
}
