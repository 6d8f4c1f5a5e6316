/* Messages both roles write and read in TLS 1.3: Certificate, CertificateVerify, Finished
 * (RFC 8446 §4.4), and verification of the peer's chain with libcrypto's X509_STORE_CTX. */
#include "handshake/ext.h"
#include "handshake/tls12/tls12.h"

#include <string.h>

/* A configured certificate whose key can sign with a scheme the server listed that we allow for
 * client authentication (client_sigalgs if set, else our sigalgs: SSL_CTX_set1_client_sigalgs(3))
 * and the security level or callback accepts (SSL_SECOP_SIGALG_SHARED). */
static const keel_certkey *pick_cert(SSL *s, int *err)
{
    keel_conn *c = s->conn;
    uint16_t shared[KEEL_MAX_SIGALGS];
    size_t nshared = keel_sigalgs_shared(s, 1, shared);

    *err = 0;
    for (size_t i = 0; i < nshared; i++) {
        for (int slot = 0; slot < KEEL_SLOT_COUNT; slot++) {
            const keel_certkey *ck = &s->s->certs[slot];
            if (ck->x509 == NULL || ck->pkey == NULL)
                continue;
            int m = keel_sig_cert_matches(ck->pkey, ck->x509, shared[i], c->version == TLS1_3_VERSION);
            if (m < 0) { /* not "no usable certificate": the handshake fails */
                *err = 1;
                return NULL;
            }
            if (m) {
                c->sigalg = shared[i];
                return ck;
            }
        }
    }
    return NULL;
}

/* The certificate a client answers a CertificateRequest with (SSL_CTX_set_cert_cb(3),
 * SSL_CTX_set_client_cert_cb(3)): the cert callback may configure one; failing a configured one,
 * the client certificate callback may supply one. 1 = decided (*out may be NULL: answer with an
 * empty Certificate), 0 = failed, -1 = the client certificate callback asked to be called again
 * (SSL_ERROR_WANT_X509_LOOKUP). */
int keel_choose_cert(SSL *s, const keel_certkey **out)
{
    X509 *x = NULL;
    EVP_PKEY *pkey = NULL;

    if (s->s->cert_cb != NULL && s->s->cert_cb(s, s->s->cert_cb_arg) <= 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_CERT_CB_ERROR);
        return 0;
    }
    int err = 0;
    if ((*out = pick_cert(s, &err)) == NULL && err)
        return 0;
    if (*out == NULL && s->ctx->client_cert_cb != NULL) {
        int r = s->ctx->client_cert_cb(s, &x, &pkey);
        if (r < 0)
            return -1;
        if (r > 0 && x != NULL && pkey != NULL) {
            int ok = SSL_use_certificate(s, x) && SSL_use_PrivateKey(s, pkey);
            X509_free(x);
            EVP_PKEY_free(pkey);
            if (!ok)
                return 0;
            if ((*out = pick_cert(s, &err)) == NULL && err)
                return 0;
        } else {
            X509_free(x);
            EVP_PKEY_free(pkey);
        }
    }
    keel_conn_set_certkey(s, *out);
    return 1;
}

int keel_write_certificate(SSL *s, const keel_certkey *ck)
{
    uint8_t first[2048];        /* built on the stack while it fits (keel_wr_init_buf) */
    keel_wr w;
    size_t body, list;
    STACK_OF(X509) *chain = NULL;

    keel_wr_init_buf(&w, first, sizeof(first));
    keel_wr_u8(&w, SSL3_MT_CERTIFICATE);
    keel_wr_open24(&w, &body);
    int tls13 = s->conn->version == TLS1_3_VERSION; /* RFC 5246 §7.4.2: a plain list in 1.2 */
    if (tls13) {
        keel_wr_u8(&w, (uint32_t)s->conn->cert_ctx_len); /* echoes the request's context (§4.4.2) */
        keel_wr_bytes(&w, keel_cert_ctx(s->conn), s->conn->cert_ctx_len);
    }
    keel_wr_open24(&w, &list);
    if (ck != NULL) {
        /* The configured chain, the extra chain certificates, or the chain completed from the
         * trust store (SSL_CTX_add_extra_chain_cert(3)). */
        if (!keel_chain_to_send(s, ck, &chain)) {
            keel_wr_cleanup(&w);
            return 0;
        }
        /* Our own chain must still satisfy the security level or callback (it may have changed
         * since the certificate was configured): SSL_CTX_set_security_level(3). */
        int reason = keel_sec_chain(s->s, ck->x509, chain, 0);
        if (reason != 0) {
            keel_chain_free(chain);
            keel_wr_cleanup(&w);
            ERR_raise(ERR_LIB_SSL, reason);
            return 0;
        }
        int n = chain != NULL ? sk_X509_num(chain) : 0;
        for (int i = -1; i < n; i++) {
            X509 *x = i < 0 ? ck->x509 : sk_X509_value(chain, i);
            int len = i2d_X509(x, NULL);
            uint8_t *p;
            size_t m;
            if (len <= 0 || !keel_wr_open24(&w, &m) || !keel_wr_space(&w, (size_t)len, &p)
                    || i2d_X509(x, &p) != len) {
                keel_chain_free(chain);
                keel_wr_cleanup(&w);
                ERR_raise(ERR_LIB_SSL, ERR_R_X509_LIB);
                return 0;
            }
            keel_wr_close(&w, m);
            /* Per-certificate extensions: the leaf's may staple an OCSP response (status.c). */
            if (tls13 && !(i < 0 ? keel_status_write_entry(s, &w) : keel_wr_u16(&w, 0))) {
                keel_chain_free(chain);
                keel_wr_cleanup(&w);
                ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
                return 0;
            }
        }
    }
    keel_chain_free(chain);
    keel_wr_close(&w, list);
    keel_wr_close(&w, body);
    int ok = keel_send_hs(s, &w);
    return ok;
}

/* Certificate (RFC 8446 §4.4.2; RFC 5246 §7.4.2: no context, no per-entry extensions): decode
 * every entry; keep the chain for verification. */
int keel_read_certificate(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    keel_rd ctx = { NULL, 0 }, list;
    int tls13 = c->version == TLS1_3_VERSION;
    STACK_OF(X509) *chain = sk_X509_new_null();

    if (chain == NULL)
        return SSL_AD_INTERNAL_ERROR;
    if ((tls13 && !keel_rd_prefixed8(body, &ctx)) || !keel_rd_prefixed24(body, &list)
            || !keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        goto decode_err;
    }
    /* The context must be the one the CertificateRequest carried (empty in the handshake). */
    if (ctx.len != c->cert_ctx_len || CRYPTO_memcmp(ctx.p, keel_cert_ctx(c), ctx.len) != 0) {
        sk_X509_free(chain);
        ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_CONTEXT);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    while (!keel_rd_done(&list)) {
        keel_rd der, exts, block;
        keel_hello eh;
        int ext_alert;
        int ok_len = keel_rd_prefixed24(&list, &der) && keel_rd_left(&der) != 0;
        block = list; /* the extensions with their length, for keel_ext_parse */
        if (!ok_len || (tls13 && !keel_rd_prefixed16(&list, &exts))) {
            ERR_raise(ERR_LIB_SSL, SSL_R_CERT_LENGTH_MISMATCH);
            goto decode_err;
        }
        /* Each entry's extensions go through the extension table too (RFC 8446 §4.4.2, §4.2). */
        block.len = tls13 ? 2 + exts.len : 0;
        memset(&eh, 0, sizeof(eh));
        eh.cert_entry = sk_X509_num(chain);
        uint32_t offered = c->hs != NULL ? c->hs->ext_offered : 0; /* none after the handshake */
        if (tls13 && !keel_ext_parse(s, KEEL_MSG_CT, &block, &eh, offered, &ext_alert)) {
            sk_X509_pop_free(chain, X509_free);
            return ext_alert;
        }
        const unsigned char *p = der.p;
        X509 *x = keel_cert_cache_get(s->ctx, der.p, der.len);
        if (x == NULL) {
            x = X509_new_ex(s->ctx->libctx, s->ctx->propq);
            if (x != NULL && d2i_X509(&x, &p, (long)der.len) != NULL && p != der.p + der.len) {
                /* DER shorter than its entry: OpenSSL 3.0's reason and alert, both roles. */
                X509_free(x);
                ERR_raise(ERR_LIB_SSL, SSL_R_CERT_LENGTH_MISMATCH);
                goto decode_err;
            }
            if (x == NULL) { /* not DER (d2i_X509 freed the object) */
                ERR_raise(ERR_LIB_SSL, ERR_R_ASN1_LIB);
                sk_X509_pop_free(chain, X509_free);
                /* OpenSSL 3.0's alerts, both versions (checked with tests/api/malformed*.c
                 * built on the system libssl): decode_error from a server, bad_certificate
                 * from a client. */
                return s->server ? SSL_AD_DECODE_ERROR : SSL_AD_BAD_CERTIFICATE;
            }
            keel_cert_cache_put(s->ctx, der.p, der.len, x);
        }
        if (!sk_X509_push(chain, x)) {
            X509_free(x);
            sk_X509_pop_free(chain, X509_free);
            return SSL_AD_INTERNAL_ERROR;
        }
    }
    if (!keel12_reneg_same_peer(s, chain)) { /* a renegotiation keeps the peer (tls12/reneg.c) */
        sk_X509_pop_free(chain, X509_free);
        return SSL_AD_CERTIFICATE_UNKNOWN;
    }
    keel_chain_free(c->peer_chain);
    c->peer_chain = chain;
    keel_chain_free(c->peer_chain_noleaf); /* SSL_get_peer_cert_chain's view of the old chain */
    c->peer_chain_noleaf = NULL;
    return 0;
decode_err:
    sk_X509_pop_free(chain, X509_free);
    return SSL_AD_DECODE_ERROR;
}

/* The alert a verification error deserves (RFC 8446 §6.2), the same as OpenSSL sends for each. */
static int verify_alert(long err)
{
    static const struct { int err, alert; } map[] = {
        { X509_V_ERR_APPLICATION_VERIFICATION, SSL_AD_HANDSHAKE_FAILURE },
        { X509_V_ERR_CERT_HAS_EXPIRED, SSL_AD_CERTIFICATE_EXPIRED },
        { X509_V_ERR_CRL_HAS_EXPIRED, SSL_AD_CERTIFICATE_EXPIRED },
        { X509_V_ERR_CERT_REVOKED, SSL_AD_CERTIFICATE_REVOKED },
        { X509_V_ERR_CERT_SIGNATURE_FAILURE, SSL_AD_DECRYPT_ERROR },
        { X509_V_ERR_CRL_SIGNATURE_FAILURE, SSL_AD_DECRYPT_ERROR },
        { X509_V_ERR_CERT_CHAIN_TOO_LONG, SSL_AD_UNKNOWN_CA },
        { X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, SSL_AD_UNKNOWN_CA },
        { X509_V_ERR_INVALID_CA, SSL_AD_UNKNOWN_CA },
        { X509_V_ERR_PATH_LENGTH_EXCEEDED, SSL_AD_UNKNOWN_CA },
        { X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, SSL_AD_UNKNOWN_CA },
        { X509_V_ERR_UNABLE_TO_GET_CRL, SSL_AD_UNKNOWN_CA },
        { X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER, SSL_AD_UNKNOWN_CA },
        { X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, SSL_AD_UNKNOWN_CA },
        { X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, SSL_AD_UNKNOWN_CA },
        { X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, SSL_AD_UNKNOWN_CA },
        { X509_V_ERR_INVALID_PURPOSE, SSL_AD_UNSUPPORTED_CERTIFICATE },
        { X509_V_ERR_INVALID_CALL, SSL_AD_INTERNAL_ERROR },
        { X509_V_ERR_OUT_OF_MEM, SSL_AD_INTERNAL_ERROR },
        { X509_V_ERR_STORE_LOOKUP, SSL_AD_INTERNAL_ERROR },
        { X509_V_ERR_UNSPECIFIED, SSL_AD_INTERNAL_ERROR },
        /* the rest of the certificate's own defects */
        { X509_V_ERR_CA_KEY_TOO_SMALL, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_EC_KEY_EXPLICIT_PARAMS, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_CA_MD_TOO_WEAK, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_CERT_NOT_YET_VALID, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_CERT_REJECTED, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_CERT_UNTRUSTED, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_CRL_NOT_YET_VALID, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_DANE_NO_MATCH, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_EE_KEY_TOO_SMALL, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_EMAIL_MISMATCH, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_HOSTNAME_MISMATCH, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_IP_ADDRESS_MISMATCH, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE, SSL_AD_BAD_CERTIFICATE },
        { X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE, SSL_AD_BAD_CERTIFICATE },
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (map[i].err == err)
            return map[i].alert;
    return SSL_AD_CERTIFICATE_UNKNOWN;
}

/* Verify the peer's chain with the context's store and the SSL's X509_VERIFY_PARAM (host names
 * from SSL_set1_host), honouring verify mode, depth and callback (SSL_CTX_set_verify(3)). The
 * result is kept for SSL_get_verify_result; with SSL_VERIFY_PEER a failure ends the handshake. */
int keel_verify_peer(SSL *s)
{
    keel_conn *c = s->conn;
    X509_STORE_CTX *xs = X509_STORE_CTX_new_ex(s->ctx->libctx, s->ctx->propq);
    X509 *leaf = sk_X509_value(c->peer_chain, 0);
    int ok, alert = 0;
    /* SSL_CTX_set1_verify_cert_store(3): that store, when set, instead of the context's. */
    X509_STORE *store = s->s->verify_store != NULL ? s->s->verify_store : s->ctx->cert_store;

    if (xs == NULL || !X509_STORE_CTX_init(xs, store, leaf, c->peer_chain)) {
        X509_STORE_CTX_free(xs);
        ERR_raise(ERR_LIB_SSL, ERR_R_X509_LIB);
        return SSL_AD_INTERNAL_ERROR;
    }
    X509_STORE_CTX_set_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx(), s);
    /* A client checks a server certificate, a server a client certificate. */
    X509_STORE_CTX_set_default(xs, s->server ? "ssl_client" : "ssl_server");
    X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(xs), keel_param_r(s));
    /* The security level bounds every key and signature digest in the peer's chain
     * (SSL_CTX_set_security_level(3)): X509_V_ERR_EE_KEY_TOO_SMALL, CA_KEY_TOO_SMALL,
     * CA_MD_TOO_WEAK come through the verify path and its callback, as in OpenSSL. */
    X509_VERIFY_PARAM_set_auth_level(X509_STORE_CTX_get0_param(xs), s->s->security_level);
    if (s->s->verify_callback != NULL)
        X509_STORE_CTX_set_verify_cb(xs, s->s->verify_callback);
    ERR_set_mark(); /* what verification raises is dropped below without touching older errors */
    if (s->ctx->app_verify_cb != NULL)
        ok = s->ctx->app_verify_cb(xs, s->ctx->app_verify_arg);
    else
        ok = X509_verify_cert(xs);
    s->verify_result = X509_STORE_CTX_get_error(xs);
    /* The name that matched, for SSL_get0_peername(3) (none, into shared parameters that have
     * none: nothing to write). */
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(xs);
    if (s->param != NULL || X509_VERIFY_PARAM_get0_peername(vp) != NULL) {
        if (keel_param_w(s) == NULL) {
            ERR_clear_last_mark();
            X509_STORE_CTX_free(xs);
            return SSL_AD_INTERNAL_ERROR;
        }
        X509_VERIFY_PARAM_move_peername(s->param, vp);
    }
    keel_chain_free(c->verified_chain);
    c->verified_chain = X509_STORE_CTX_get1_chain(xs);
    if (ok <= 0 && (s->s->verify_mode & SSL_VERIFY_PEER)) {
        ERR_clear_last_mark();
        alert = verify_alert(s->verify_result);
        ERR_raise_data(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED, "Verify error:%s",
                       X509_verify_cert_error_string(s->verify_result));
    } else if (ok <= 0) {
        ERR_pop_to_mark(); /* SSL_VERIFY_NONE: the result is recorded, the handshake goes on */
    } else {
        ERR_clear_last_mark();
    }
    X509_STORE_CTX_free(xs);
    return alert;
}

/* A message that ends in a signature by our certificate's key with c->sigalg: type, `prefix`
 * (the ServerKeyExchange's parameters, or nothing), the scheme, signature<0..2^16-1> over `tbs`
 * (RFC 8446 §4.4.3, RFC 5246 §4.7 digitally-signed). Both versions' CertificateVerify and the
 * TLS 1.2 ServerKeyExchange. */
int keel_send_signed(SSL *s, int type, const uint8_t *prefix, size_t prefix_len, const uint8_t *tbs,
                     size_t tbs_len)
{
    keel_conn *c = s->conn;
    size_t siglen = keel_sig_max_len(c->certkey->pkey), body, m;
    uint8_t sigbuf[512];        /* RSA-4096's; larger keys' signatures are allocated */
    uint8_t *sig = siglen <= sizeof(sigbuf) ? sigbuf : OPENSSL_malloc(siglen);
    keel_wr w;
    int ok = 0;

    if (sig == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return 0;
    }
    uint8_t first[512];

    keel_wr_init_buf(&w, first, sizeof(first));
    if (!keel_sig_sign(s->ctx->algs, c->certkey->pkey, c->sigalg, tbs, tbs_len, sig, &siglen))
        goto end;
    keel_wr_u8(&w, (uint32_t)type);
    keel_wr_open24(&w, &body);
    keel_wr_bytes(&w, prefix, prefix_len);
    keel_wr_u16(&w, c->sigalg);
    keel_wr_open16(&w, &m);
    keel_wr_bytes(&w, sig, siglen);
    keel_wr_close(&w, m);
    keel_wr_close(&w, body);
    ok = keel_send_hs(s, &w);
end:
    if (sig != sigbuf)
        OPENSSL_free(sig);
    return ok;
}

int keel_write_cert_verify(SSL *s)
{
    keel_conn *c = s->conn;
    uint8_t th[KEEL_HASH_MAX_LEN], content[KEEL_CV_CONTENT_MAX];
    size_t clen = sizeof(content);

    return keel_transcript_hash(c, th)
        && keel_cv_content(c->server, th, keel_hash_len(c->cipher->hash), content, &clen)
        && keel_send_signed(s, SSL3_MT_CERTIFICATE_VERIFY, NULL, 0, content, clen);
}

/* CertificateVerify (RFC 8446 §4.4.3): a scheme we offered that fits the peer's key, and a valid
 * signature over the transcript through Certificate. */
int keel_read_cert_verify(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    uint32_t scheme;
    keel_rd sig;
    uint8_t th[KEEL_HASH_MAX_LEN], content[KEEL_CV_CONTENT_MAX];
    size_t clen = sizeof(content);
    uint16_t ours[KEEL_MAX_SIGALGS];
    /* A server checks the client's scheme against its client_sigalgs list, if set. */
    size_t n = keel_sigalgs_effective(s, c->server, SSL_SECOP_SIGALG_SUPPORTED, ours), i;
    X509 *leaf = sk_X509_value(c->peer_chain, 0);
    EVP_PKEY *pub = X509_get0_pubkey(leaf);

    if (!keel_rd_u16(body, &scheme) || !keel_rd_prefixed16(body, &sig) || !keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    for (i = 0; i < n && ours[i] != scheme; i++)
        ;
    if (i == n || pub == NULL || keel_sig_cert_matches(pub, leaf, (uint16_t)scheme, 1) <= 0) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_SIGNATURE_TYPE);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    /* Offered, but the security level or callback refuses it now (SSL_SECOP_SIGALG_CHECK). */
    if (!keel_sec_sigalg(s->s, SSL_SECOP_SIGALG_CHECK, (uint16_t)scheme)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_SIGNATURE_TYPE);
        return SSL_AD_HANDSHAKE_FAILURE;
    }
    if (!keel_transcript_hash(c, th)
            || !keel_cv_content(!c->server, th, keel_hash_len(c->cipher->hash), content, &clen))
        return SSL_AD_INTERNAL_ERROR;
    if (!keel_sig_verify(s->ctx->algs, pub, (uint16_t)scheme, content, clen, sig.p, sig.len)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_SIGNATURE);
        return SSL_AD_DECRYPT_ERROR;
    }
    c->peer_sigalg = (uint16_t)scheme;
    return keel_hs_hash_current(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}

int keel_write_finished(SSL *s)
{
    keel_conn *c = s->conn;
    uint8_t vd[KEEL_HASH_MAX_LEN];
    size_t len = keel_hash_len(c->cipher->hash), body;
    keel_wr w;

    uint8_t first[4 + KEEL_HASH_MAX_LEN];

    if (!keel_hs_finished_mac(s, c->server, vd))
        return 0;
    keel_wr_init_buf(&w, first, sizeof(first));
    keel_wr_u8(&w, SSL3_MT_FINISHED);
    keel_wr_open24(&w, &body);
    keel_wr_bytes(&w, vd, len);
    keel_wr_close(&w, body);
    int ok = keel_send_hs(s, &w);
    if (ok) {
        memcpy(c->finished, vd, len);
        c->finished_len = (uint8_t)len;
    }
    OPENSSL_cleanse(vd, sizeof(vd));
    return ok;
}

/* Finished (RFC 8446 §4.4.4): HMAC over the transcript, compared in constant time. */
int keel_read_finished(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    uint8_t vd[KEEL_HASH_MAX_LEN];
    size_t len = keel_hash_len(c->cipher->hash);

    if (keel_rd_left(body) != len) {
        ERR_raise(ERR_LIB_SSL, SSL_R_LENGTH_MISMATCH);
        return SSL_AD_DECODE_ERROR;
    }
    if (!keel_hs_finished_mac(s, !c->server, vd))
        return SSL_AD_INTERNAL_ERROR;
    int bad = CRYPTO_memcmp(vd, body->p, len);
    OPENSSL_cleanse(vd, sizeof(vd));
    if (bad) {
        ERR_raise(ERR_LIB_SSL, SSL_R_DIGEST_CHECK_FAILED);
        return SSL_AD_DECRYPT_ERROR;
    }
    memcpy(c->peer_finished, body->p, len);
    c->peer_finished_len = (uint8_t)len;
    return keel_hs_hash_current(s) ? 0 : SSL_AD_INTERNAL_ERROR;
}
