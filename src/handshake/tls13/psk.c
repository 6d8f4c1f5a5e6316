/* TLS 1.3 external PSKs (RFC 8446 §4.2.11, §2.2): the application's callbacks turned into
 * sessions, on each side. A client asks SSL_CTX_set_psk_use_session_callback(3)'s callback first,
 * else the legacy SSL_CTX_set_psk_client_callback(3) one (identity and key; the hash is SHA-256,
 * §4.2.11: "the Hash function ... SHA-256 if no such algorithm is defined"); a server asks
 * SSL_CTX_set_psk_find_session_callback(3)'s, else SSL_CTX_set_psk_server_callback(3)'s, for each
 * identity before it tries it as a ticket. The identities, binders and key schedule are ticket.c's
 * (the binder label is "ext binder", §7.1). */
#include "handshake/ext.h"
#include "proto/session.h"

#include <string.h>

#define TLS13_AES_128_GCM_SHA256 0x1301

/* A session standing for a legacy callback's key: TLS_AES_128_GCM_SHA256 for its hash, TLS 1.3. */
static SSL_SESSION *legacy_session(const uint8_t *key, size_t len)
{
    SSL_SESSION *ss = SSL_SESSION_new();
    if (ss == NULL || !SSL_SESSION_set1_master_key(ss, key, len)
            || !SSL_SESSION_set_cipher(ss, keel_cipher_by_code(TLS13_AES_128_GCM_SHA256))
            || !SSL_SESSION_set_protocol_version(ss, TLS1_3_VERSION)) {
        SSL_SESSION_free(ss);
        return NULL;
    }
    return ss;
}

/* Client, for each ClientHello: the external PSK to offer, in c->hs->ext_psk (NULL: none). After
 * a HelloRetryRequest the callback is given the suite's hash and the PSK must have it. 1, or 0
 * (the handshake fails: internal_error, SSL_R_BAD_PSK, as OpenSSL 3.0). */
int keel_client_ext_psk(SSL *s)
{
    keel_hs *hs = s->conn->hs;
    const SSL_CIPHER *chosen = s->conn->cipher; /* set only after a HelloRetryRequest */
    SSL_SESSION *ss = NULL;
    const unsigned char *id = NULL;
    size_t idlen = 0;
    char identity[PSK_MAX_IDENTITY_LEN + 1];

    SSL_SESSION_free(hs->ext_psk);
    hs->ext_psk = NULL;
    if (s->s.psk_use_session_cb != NULL) {
        /* The fetched digest, as OpenSSL hands its handshake digest ("SHA2-256"). */
        const EVP_MD *md = chosen != NULL ? keel_hash_md(s->ctx->algs, chosen->hash) : NULL;
        if (!s->s.psk_use_session_cb(s, md, &id, &idlen, &ss)
                || (ss != NULL && ss->version != TLS1_3_VERSION)) {
            SSL_SESSION_free(ss);
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_PSK);
            return 0;
        }
    }
    if (ss == NULL && s->s.psk_client_cb != NULL) {
        uint8_t key[PSK_MAX_PSK_LEN];
        memset(identity, 0, sizeof(identity));
        unsigned int n = s->s.psk_client_cb(s, NULL, identity, PSK_MAX_IDENTITY_LEN, key, sizeof(key));
        identity[PSK_MAX_IDENTITY_LEN] = '\0';
        if (n > sizeof(key)) {
            OPENSSL_cleanse(key, sizeof(key));
            ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
            return 0;
        }
        if (n > 0) {
            id = (const unsigned char *)identity;
            idlen = strlen(identity);
            ss = legacy_session(key, n);
            OPENSSL_cleanse(key, sizeof(key));
            if (ss == NULL)
                return 0;
        }
        OPENSSL_cleanse(key, sizeof(key));
    }
    if (ss == NULL)
        return 1; /* the callback succeeded without a PSK: none is offered */
    /* An identity must be 1..2^16-1 bytes (§4.2.11); a suite of a hash we know. */
    if (idlen == 0 || idlen > 0xffff || ss->cipher == NULL || ss->master_key_len == 0
            || (chosen != NULL && ss->cipher->hash != chosen->hash)) {
        SSL_SESSION_free(ss);
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_PSK);
        return 0;
    }
    OPENSSL_free(hs->ext_psk_id);
    if ((hs->ext_psk_id = OPENSSL_memdup(id, idlen)) == NULL) {
        hs->ext_psk_id_len = 0;
        SSL_SESSION_free(ss);
        return 0;
    }
    hs->ext_psk_id_len = idlen;
    hs->ext_psk = ss;
    return 1;
}

/* Client, ServerHello with pre_shared_key: the identity the server selected among those offered
 * (the resumption PSK first, then the external one, as OpenSSL orders them). 0 with *out set, or
 * the alert. */
int keel_client_take_psk(SSL *s, const keel_hello *h, const SSL_SESSION **out)
{
    keel_hs *hs = s->conn->hs;
    size_t offered = (hs->psk_offered != NULL) + (hs->ext_psk != NULL);

    if (h->psk_index >= offered) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_PSK_IDENTITY);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    hs->psk_external = h->psk_index == 0 && hs->psk_offered != NULL ? 0 : 1;
    *out = hs->psk_external ? hs->ext_psk : hs->psk_offered;
    if (hs->psk_external) {
        /* The connection's session is the PSK's from now on, as in OpenSSL (a ticket replaces it). */
        SSL_SESSION_up_ref(hs->ext_psk);
        SSL_SESSION_free(s->session);
        s->session = hs->ext_psk;
    }
    return 0;
}

/* Server, one identity of the ClientHello's: the application's session for it, or NULL (none, or
 * no callback: the identity may be a ticket). *alert is set when the callback failed. */
SSL_SESSION *keel_server_ext_psk(SSL *s, keel_rd id, int *alert)
{
    SSL_SESSION *ss = NULL;

    *alert = 0;
    if (s->s.psk_find_session_cb != NULL && !s->s.psk_find_session_cb(s, id.p, id.len, &ss)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
        *alert = SSL_AD_INTERNAL_ERROR;
        return NULL;
    }
    if (ss == NULL && s->s.psk_server_cb != NULL && id.len <= PSK_MAX_IDENTITY_LEN) {
        char name[PSK_MAX_IDENTITY_LEN + 1];
        uint8_t key[PSK_MAX_PSK_LEN];
        memcpy(name, id.p, id.len);
        name[id.len] = '\0';
        unsigned int n = s->s.psk_server_cb(s, name, key, sizeof(key));
        if (n > sizeof(key)) {
            OPENSSL_cleanse(key, sizeof(key));
            ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
            *alert = SSL_AD_INTERNAL_ERROR;
            return NULL;
        }
        if (n > 0 && (ss = legacy_session(key, n)) == NULL)
            *alert = SSL_AD_INTERNAL_ERROR;
        OPENSSL_cleanse(key, sizeof(key));
        return ss;
    }
    if (ss == NULL)
        return NULL;
    /* A copy, so that nothing the handshake does touches the application's object (OpenSSL dups
     * it too); ownership of the one given passed to us. */
    SSL_SESSION *copy = SSL_SESSION_dup(ss);
    SSL_SESSION_free(ss);
    if (copy == NULL)
        *alert = SSL_AD_INTERNAL_ERROR;
    return copy;
}

/* A server whose only way to authenticate is a legacy-callback PSK (a psk_server_callback and no
 * certificate at all) prefers SHA-256 suites in TLS 1.3, the hash such a PSK has, as OpenSSL 3.0
 * does. */
int keel_server_psk_only(const SSL *s)
{
    if (s->s.psk_server_cb == NULL)
        return 0;
    for (int slot = 0; slot < KEEL_SLOT_COUNT; slot++)
        if (s->s.certs[slot].x509 != NULL && s->s.certs[slot].pkey != NULL)
            return 0;
    return 1;
}
