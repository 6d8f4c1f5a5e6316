/* The small corners of libssl's surface that keel implements in full from the man pages: what a
 * connection can report about itself (randoms, Finished, signature schemes, groups, read state),
 * cipher-list helpers, and settings that are stored for their getters. The CA name lists are in
 * ca_names.c, the SSL BIO in bio_ssl.c; features keel does not implement are in unimplemented.c. */
#include "handshake/hs.h"
#include "handshake/ext.h"
#include "proto/session.h"

#include <openssl/bio.h>
#include <openssl/obj_mac.h>
#include <limits.h>
#include <string.h>

/* ---- handshake values (SSL_get_client_random(3)) ---- */

static size_t copy_out(const uint8_t *src, size_t len, void *out, size_t outlen)
{
    if (outlen == 0)
        return len;
    if (outlen > len)
        outlen = len;
    memcpy(out, src, outlen);
    return outlen;
}

/* Before a handshake has started there is no random yet: nothing is copied. With outlen 0 the
 * field's size is reported all the same (RFC 8446 §4.1.2: Random is always 32 bytes). */
size_t SSL_get_client_random(const SSL *ssl, unsigned char *out, size_t outlen)
{
    if (outlen == 0)
        return SSL3_RANDOM_SIZE;
    return ssl->conn == NULL ? 0 : copy_out(ssl->conn->client_random, SSL3_RANDOM_SIZE, out, outlen);
}

size_t SSL_get_server_random(const SSL *ssl, unsigned char *out, size_t outlen)
{
    if (outlen == 0)
        return SSL3_RANDOM_SIZE;
    return ssl->conn == NULL ? 0 : copy_out(ssl->conn->server_random, SSL3_RANDOM_SIZE, out, outlen);
}

/* SSL_get_finished: the verify_data of the last Finished this end sent; SSL_get_peer_finished:
 * the last one received (RFC 8446 §4.4.4). Both return the full length even when `count` is
 * smaller, copying at most `count` bytes, and 0 before any Finished. */
size_t SSL_get_finished(const SSL *s, void *buf, size_t count)
{
    if (s->conn == NULL)
        return 0;
    memcpy(buf, s->conn->finished, count < s->conn->finished_len ? count : s->conn->finished_len);
    return s->conn->finished_len;
}

size_t SSL_get_peer_finished(const SSL *s, void *buf, size_t count)
{
    if (s->conn == NULL)
        return 0;
    size_t n = s->conn->peer_finished_len;
    memcpy(buf, s->conn->peer_finished, count < n ? count : n);
    return n;
}

/* SSL_client_version(3): the ClientHello's legacy_version. keel's client always writes 0x0303
 * (RFC 8446 §4.1.2); a server reports what it received. */
int SSL_client_version(const SSL *s)
{
    /* Before a hello, OpenSSL 3.0 reports its method's version: TLS_ANY_VERSION for the
     * version-flexible methods keel has. */
    if (s->conn == NULL)
        return TLS_ANY_VERSION;
    return s->server ? s->conn->client_version : TLS1_2_VERSION;
}

int SSL_is_dtls(const SSL *s) { return s->s->method->dtls; }

/* SSL_rstate_string(3): where the record engine is in the record it is receiving. Between
 * records (always, with a blocking BIO) it is "read done". */
static int rstate(const SSL *s)
{
    const keel_rl *rl = s->conn != NULL ? &s->conn->rl : NULL;
    if (rl == NULL || rl->rhave == 0 || rl->rhave >= rl->rneed)
        return 2;
    return rl->rneed <= SSL3_RT_HEADER_LENGTH ? 0 : 1;
}

const char *SSL_rstate_string(const SSL *s)
{
    static const char *const str[] = { "RH", "RB", "RD" };
    return str[rstate(s)];
}

const char *SSL_rstate_string_long(const SSL *s)
{
    static const char *const str[] = { "read header", "read body", "read done" };
    return str[rstate(s)];
}

/* ---- signature schemes (SSL_get_shared_sigalgs(3)) ---- */

/* TLS SignatureScheme (RFC 8446 §4.2.3) to OpenSSL's NIDs: the key type (which is also the
 * "signature type" of SSL_get_peer_signature_type_nid, EVP_PKEY_RSA_PSS for both PSS families),
 * the hash, and the combined signature-with-hash NID where one exists. */
static const struct {
    uint16_t id;
    int sign, hash, signhash;
} sigalg_nids[] = {
    { 0x0401, NID_rsaEncryption, NID_sha256, NID_sha256WithRSAEncryption },
    { 0x0501, NID_rsaEncryption, NID_sha384, NID_sha384WithRSAEncryption },
    { 0x0601, NID_rsaEncryption, NID_sha512, NID_sha512WithRSAEncryption },
    { 0x0201, NID_rsaEncryption, NID_sha1, NID_sha1WithRSAEncryption },
    { 0x0301, NID_rsaEncryption, NID_sha224, NID_sha224WithRSAEncryption },
    { 0x0403, NID_X9_62_id_ecPublicKey, NID_sha256, NID_ecdsa_with_SHA256 },
    { 0x0503, NID_X9_62_id_ecPublicKey, NID_sha384, NID_ecdsa_with_SHA384 },
    { 0x0603, NID_X9_62_id_ecPublicKey, NID_sha512, NID_ecdsa_with_SHA512 },
    { 0x0203, NID_X9_62_id_ecPublicKey, NID_sha1, NID_ecdsa_with_SHA1 },
    { 0x0303, NID_X9_62_id_ecPublicKey, NID_sha224, NID_ecdsa_with_SHA224 },
    { 0x0804, NID_rsassaPss, NID_sha256, NID_undef },
    { 0x0805, NID_rsassaPss, NID_sha384, NID_undef },
    { 0x0806, NID_rsassaPss, NID_sha512, NID_undef },
    { 0x0809, NID_rsassaPss, NID_sha256, NID_undef },
    { 0x080a, NID_rsassaPss, NID_sha384, NID_undef },
    { 0x080b, NID_rsassaPss, NID_sha512, NID_undef },
    { 0x0807, NID_ED25519, NID_undef, NID_undef },
    { 0x0808, NID_ED448, NID_undef, NID_undef },
};

static void sigalg_info(uint16_t id, int *psign, int *phash, int *psignhash, unsigned char *rsig,
                        unsigned char *rhash)
{
    int sign = NID_undef, hash = NID_undef, signhash = NID_undef;
    for (size_t i = 0; i < sizeof(sigalg_nids) / sizeof(sigalg_nids[0]); i++) {
        if (sigalg_nids[i].id == id) {
            sign = sigalg_nids[i].sign;
            hash = sigalg_nids[i].hash;
            signhash = sigalg_nids[i].signhash;
            break;
        }
    }
    if (psign != NULL)
        *psign = sign;
    if (phash != NULL)
        *phash = hash;
    if (psignhash != NULL)
        *psignhash = signhash;
    /* The wire form: RFC 5246 §7.4.1.4.1's HashAlgorithm is the high byte, the signature the low. */
    if (rhash != NULL)
        *rhash = (unsigned char)(id >> 8);
    if (rsig != NULL)
        *rsig = (unsigned char)(id & 0xff);
}

/* The peer's list, in the order it was sent: ClientHello (server) or CertificateRequest (client). */
int SSL_get_sigalgs(SSL *s, int idx, int *psign, int *phash, int *psignandhash,
                    unsigned char *rsig, unsigned char *rhash)
{
    if (s->conn == NULL)
        return 0;
    size_t n = s->conn->npeer_sigalgs;
    if (idx >= 0) {
        if ((size_t)idx >= n)
            return 0;
        sigalg_info(s->conn->peer_sigalgs[idx], psign, phash, psignandhash, rsig, rhash);
    }
    return (int)n;
}

/* The schemes both sides allow: in the peer's order, or in ours with
 * SSL_OP_CIPHER_SERVER_PREFERENCE. */
static size_t shared_sigalgs(const SSL *s, uint16_t *out, size_t cap)
{
    uint16_t ours[KEEL_MAX_SIGALGS];
    const uint16_t *pref, *allow;
    /* A client's peer list is the CertificateRequest's: its own list there is for client auth. */
    size_t nours = keel_sigalgs_effective(s, !s->server, SSL_SECOP_SIGALG_SUPPORTED, ours), npref, nallow, n = 0;
    const keel_conn *c = s->conn;

    if (s->s->options & SSL_OP_CIPHER_SERVER_PREFERENCE) {
        pref = ours, npref = nours, allow = c->peer_sigalgs, nallow = c->npeer_sigalgs;
    } else {
        pref = c->peer_sigalgs, npref = c->npeer_sigalgs, allow = ours, nallow = nours;
    }
    for (size_t i = 0; i < npref && n < cap; i++) {
        /* A client, TLS 1.3 negotiated, leaves out the SHA-1 and SHA-224 schemes (RFC 8446
         * §4.2.3: certificate signatures only), as OpenSSL 3.0's does; a server keeps them. */
        if (!s->server && ((pref[i] >> 8) == 0x02 || (pref[i] >> 8) == 0x03))
            continue;
        for (size_t j = 0; j < nallow; j++) {
            if (pref[i] == allow[j]) {
                out[n++] = pref[i];
                break;
            }
        }
    }
    return n;
}

int SSL_get_shared_sigalgs(SSL *s, int idx, int *psign, int *phash, int *psignandhash,
                           unsigned char *rsig, unsigned char *rhash)
{
    /* The peer's list is unbounded (and may repeat entries): report at most this many. */
    uint16_t shared[64];

    /* OpenSSL 3.0 answers a negative idx with 0, not the count (callers such as openssl s_client
     * ask with idx 0). */
    if (s->conn == NULL || idx < 0)
        return 0;
    size_t n = shared_sigalgs(s, shared, sizeof(shared) / sizeof(shared[0]));
    if ((size_t)idx >= n)
        return 0;
    sigalg_info(shared[idx], psign, phash, psignandhash, rsig, rhash);
    return (int)n;
}

static int sig_type(uint16_t scheme, int *pnid)
{
    int sign;
    if (scheme == 0)
        return 0;
    sigalg_info(scheme, &sign, NULL, NULL, NULL, NULL);
    if (sign == NID_undef)
        return 0;
    *pnid = sign;
    return 1;
}

int SSL_get_peer_signature_type_nid(const SSL *s, int *pnid)
{
    return s->conn != NULL && sig_type(s->conn->peer_sigalg, pnid);
}

int SSL_get_signature_type_nid(const SSL *s, int *pnid)
{
    return s->conn != NULL && sig_type(s->conn->sigalg, pnid);
}

/* SSL_get_peer_signature_nid / SSL_get_signature_nid (ctrl 108 / 132): the digest of the scheme
 * the peer / we signed with (NID_undef for EdDSA); 0 before any signature. */
int keel_sig_hash_nid(const SSL *s, int peer, int *pnid)
{
    uint16_t scheme = s->conn == NULL ? 0 : peer ? s->conn->peer_sigalg : s->conn->sigalg;
    if (scheme == 0 || pnid == NULL)
        return 0;
    sigalg_info(scheme, NULL, pnid, NULL, NULL, NULL);
    return 1;
}

/* ---- groups ---- */

/* SSL_group_to_name(3) takes what SSL_get_shared_group / SSL_get_negotiated_group return: a NID
 * for a group keel knows, or TLSEXT_nid_unknown | codepoint. Names are the IANA registry's
 * (RFC 8446 §4.2.7, RFC 7919). */
static const struct { uint16_t id; const char *name; } group_names[] = {
    { 0x0017, "secp256r1" }, { 0x0018, "secp384r1" }, { 0x0019, "secp521r1" },
    { 0x001d, "x25519" }, { 0x001e, "x448" },
    { 0x0100, "ffdhe2048" }, { 0x0101, "ffdhe3072" }, { 0x0102, "ffdhe4096" },
    { 0x0103, "ffdhe6144" }, { 0x0104, "ffdhe8192" },
};

const char *SSL_group_to_name(SSL *s, int id)
{
    for (size_t i = 0; i < sizeof(group_names) / sizeof(group_names[0]); i++) {
        uint16_t g = group_names[i].id;
        int nid = keel_group_nid(g);
        if ((id & TLSEXT_nid_unknown) ? (id & 0xffff) == g : (nid != NID_undef && nid == id))
            return group_names[i].name;
    }
    ERR_raise(ERR_LIB_SSL, SSL_R_UNSUPPORTED_ELLIPTIC_CURVE);
    return NULL;
}

/* SSL_extension_supported(3): whether keel's extension table handles the type itself. */
int SSL_extension_supported(unsigned int ext_type)
{
    return ext_type <= 0xffff && keel_ext_bit((uint16_t)ext_type) != 0;
}

/* ---- cipher lists (SSL_get_ciphers(3)) ---- */

/* Signalling cipher suite values: RFC 5746 §3.3 and RFC 7507 §6. They are not suites; they only
 * appear in the scsvs stack of SSL_bytes_to_cipher_list. */
static const SSL_CIPHER scsv_table[] = {
    { .name = "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", .stdname = "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
      .id = 0x030000FF, .code = 0x00FF, .min_tls = SSL3_VERSION, .kx_nid = NID_undef,
      .auth_nid = NID_undef },
    { .name = "TLS_FALLBACK_SCSV", .stdname = "TLS_FALLBACK_SCSV", .id = 0x03005600,
      .code = 0x5600, .min_tls = SSL3_VERSION, .kx_nid = NID_undef, .auth_nid = NID_undef },
};

int SSL_bytes_to_cipher_list(SSL *s, const unsigned char *bytes, size_t len, int isv2format,
                             STACK_OF(SSL_CIPHER) **sk, STACK_OF(SSL_CIPHER) **scsvs)
{
    size_t w = isv2format ? 3 : 2;
    STACK_OF(SSL_CIPHER) *list = NULL, *sig = NULL;

    if (len == 0 || len % w != 0) {
        ERR_raise(ERR_LIB_SSL, len == 0 ? SSL_R_NO_CIPHERS_SPECIFIED : SSL_R_ERROR_IN_RECEIVED_CIPHER_LIST);
        return 0;
    }
    if ((list = sk_SSL_CIPHER_new_null()) == NULL || (sig = sk_SSL_CIPHER_new_null()) == NULL)
        goto oom;
    for (size_t i = 0; i < len; i += w) {
        /* SSLv2 entries are 3 bytes; a TLS suite is one whose first byte is 0. */
        if (isv2format && bytes[i] != 0)
            continue;
        uint16_t code = (uint16_t)(bytes[i + w - 2] << 8 | bytes[i + w - 1]);
        const SSL_CIPHER *c = keel_cipher_by_code(code);
        if (c != NULL) {
            if (!sk_SSL_CIPHER_push(list, c))
                goto oom;
            continue;
        }
        for (size_t k = 0; k < sizeof(scsv_table) / sizeof(scsv_table[0]); k++)
            if (scsv_table[k].code == code && !sk_SSL_CIPHER_push(sig, &scsv_table[k]))
                goto oom;
    }
    if (sk != NULL)
        *sk = list;
    else
        sk_SSL_CIPHER_free(list);
    if (scsvs != NULL)
        *scsvs = sig;
    else
        sk_SSL_CIPHER_free(sig);
    return 1;
oom:
    ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
    sk_SSL_CIPHER_free(list);
    sk_SSL_CIPHER_free(sig);
    return 0;
}

static int tls12_enabled(const keel_settings *st)
{
    if (st->options & SSL_OP_NO_TLSv1_2)
        return 0;
    if (st->max_version != 0 && st->max_version < TLS1_2_VERSION)
        return 0;
    return st->min_version <= TLS1_2_VERSION;
}

/* What a ClientHello from this SSL would offer: the configured suites of every enabled version. */
STACK_OF(SSL_CIPHER) *SSL_get1_supported_ciphers(SSL *s)
{
    STACK_OF(SSL_CIPHER) *all, *out;

    if (s == NULL || (all = SSL_get_ciphers(s)) == NULL)
        return NULL;
    int t13 = keel_tls13_allowed(s->s), t12 = tls12_enabled(s->s);
    if ((out = sk_SSL_CIPHER_new_null()) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    for (int i = 0; i < sk_SSL_CIPHER_num(all); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(all, i);
        if (!(c->min_tls == TLS1_3_VERSION ? t13 : t12)
                || !keel_sec_cipher(s->s, SSL_SECOP_CIPHER_SUPPORTED, c))
            continue;
        if (!sk_SSL_CIPHER_push(out, c)) {
            ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
            sk_SSL_CIPHER_free(out);
            return NULL;
        }
    }
    if (sk_SSL_CIPHER_num(out) == 0) {
        sk_SSL_CIPHER_free(out);
        return NULL;
    }
    return out;
}

/* The suites of the client's offer that keel knows, in its order; NULL for a client or before a
 * ClientHello, as documented. The stack belongs to the SSL. */
STACK_OF(SSL_CIPHER) *SSL_get_client_ciphers(const SSL *s)
{
    keel_conn *c;

    if (s == NULL || !s->server || (c = s->conn) == NULL || c->client_suites == NULL)
        return NULL;
    if (c->client_ciphers == NULL
            && !SSL_bytes_to_cipher_list((SSL *)s, c->client_suites, c->client_suites_len, 0,
                                         &c->client_ciphers, NULL))
        return NULL;
    return c->client_ciphers;
}

/* SSL_get_shared_ciphers(3): the suites both the client offered and the server enables,
 * ':'-separated; a list that does not fit is cut at a name boundary. Server side only. */
char *SSL_get_shared_ciphers(const SSL *s, char *buf, int size)
{
    STACK_OF(SSL_CIPHER) *theirs = SSL_get_client_ciphers(s), *ours = SSL_get_ciphers(s);
    size_t used = 0;

    if (theirs == NULL || ours == NULL || buf == NULL || size < 2)
        return NULL;
    buf[0] = '\0';
    for (int i = 0; i < sk_SSL_CIPHER_num(theirs); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(theirs, i);
        if (sk_SSL_CIPHER_find(ours, (SSL_CIPHER *)c) < 0)
            continue;
        const char *name = SSL_CIPHER_get_name(c);
        size_t n = strlen(name) + (used > 0);
        if (used + n + 1 > (size_t)size)
            break;
        if (used > 0)
            buf[used++] = ':';
        memcpy(buf + used, name, strlen(name) + 1);
        used += strlen(name);
    }
    return used > 0 ? buf : NULL;
}

/* ---- settings kept for their getters ---- */

void SSL_set_read_ahead(SSL *s, int yes) { KEEL_SET(keel_ssl_w, s, read_ahead, yes); }
int SSL_get_read_ahead(const SSL *s) { return s->s->read_ahead; }

/* keel's record engine sizes its read buffer to the record being read; a larger default buffer
 * is a hint it has no use for (SSL_CTX_set_default_read_buffer_len(3): "will only be used if it
 * is greater than the default"). */
void SSL_CTX_set_default_read_buffer_len(SSL_CTX *ctx, size_t len) { (void)ctx; (void)len; }
void SSL_set_default_read_buffer_len(SSL *s, size_t len) { (void)s; (void)len; }

void SSL_CTX_set_security_callback(SSL_CTX *ctx, int (*cb)(const SSL *, const SSL_CTX *, int, int,
                                                          int, void *, void *))
{
    KEEL_SET(keel_ctx_w, ctx, security_cb, cb);
}

void SSL_set_security_callback(SSL *s, int (*cb)(const SSL *, const SSL_CTX *, int, int, int,
                                                 void *, void *))
{
    KEEL_SET(keel_ssl_w, s, security_cb, cb);
}

int (*SSL_CTX_get_security_callback(const SSL_CTX *ctx))(const SSL *, const SSL_CTX *, int, int,
                                                          int, void *, void *)
{
    return ctx->s->security_cb;
}

int (*SSL_get_security_callback(const SSL *s))(const SSL *, const SSL_CTX *, int, int, int,
                                                void *, void *)
{
    return s->s->security_cb;
}

void SSL_CTX_set0_security_ex_data(SSL_CTX *ctx, void *ex) { KEEL_SET(keel_ctx_w, ctx, security_ex, ex); }
void SSL_set0_security_ex_data(SSL *s, void *ex) { KEEL_SET(keel_ssl_w, s, security_ex, ex); }
void *SSL_CTX_get0_security_ex_data(const SSL_CTX *ctx) { return ctx->s->security_ex; }
void *SSL_get0_security_ex_data(const SSL *s) { return s->s->security_ex; }

/* ---- TLS 1.3 record padding (RFC 8446 §5.4): applied by keel_record_padding (conn.c) ---- */

/* SSL_CTX_set_block_padding(3): 0 and 1 pad nothing; at most SSL3_RT_MAX_PLAIN_LENGTH, larger
 * sizes fail with nothing on the error queue, as in OpenSSL 3.0. */
static int block_padding(keel_settings *st, size_t block_size)
{
    if (st == NULL || block_size > SSL3_RT_MAX_PLAIN_LENGTH)
        return 0;
    st->block_padding = block_size;
    return 1;
}

int SSL_CTX_set_block_padding(SSL_CTX *ctx, size_t block_size) { return block_padding(keel_ctx_w(ctx), block_size); }
int SSL_set_block_padding(SSL *ssl, size_t block_size) { return block_padding(keel_ssl_w(ssl), block_size); }

void SSL_CTX_set_record_padding_callback(SSL_CTX *ctx, size_t (*cb)(SSL *, int, size_t, void *))
{
    KEEL_SET(keel_ctx_w, ctx, record_padding_cb, cb);
}

int SSL_set_record_padding_callback(SSL *ssl, size_t (*cb)(SSL *, int, size_t, void *))
{
    KEEL_SET(keel_ssl_w, ssl, record_padding_cb, cb);
    return ssl->s->record_padding_cb == cb;
}

void SSL_CTX_set_record_padding_callback_arg(SSL_CTX *ctx, void *arg) { KEEL_SET(keel_ctx_w, ctx, record_padding_arg, arg); }
void SSL_set_record_padding_callback_arg(SSL *ssl, void *arg) { KEEL_SET(keel_ssl_w, ssl, record_padding_arg, arg); }
void *SSL_CTX_get_record_padding_callback_arg(const SSL_CTX *ctx) { return ctx->s->record_padding_arg; }
void *SSL_get_record_padding_callback_arg(const SSL *ssl) { return ssl->s->record_padding_arg; }

/* max_fragment_length (RFC 6066 §4): the code a client offers, 0 (none) or 1..4; anything else is
 * refused with OpenSSL's reason. A server answers what a client offers whatever it is set to. */
static int max_fragment_length(keel_settings *st, uint8_t mode)
{
    if (mode > TLSEXT_max_fragment_length_4096) {
        ERR_raise(ERR_LIB_SSL, SSL_R_SSL3_EXT_INVALID_MAX_FRAGMENT_LENGTH);
        return 0;
    }
    if (st == NULL)
        return 0;
    st->mfl_mode = mode;
    return 1;
}

int SSL_CTX_set_tlsext_max_fragment_length(SSL_CTX *ctx, uint8_t mode) { return max_fragment_length(keel_ctx_w(ctx), mode); }
int SSL_set_tlsext_max_fragment_length(SSL *ssl, uint8_t mode) { return max_fragment_length(keel_ssl_w(ssl), mode); }

/* ---- certificates and buffers ---- */

/* SSL_certs_clear: every certificate, key and chain of this SSL (not of its context). */
void SSL_certs_clear(SSL *s)
{
    keel_settings *w = keel_ssl_w(s);

    if (w == NULL)
        return;
    for (int i = 0; i < KEEL_SLOT_COUNT; i++) {
        X509_free(w->certs[i].x509);
        EVP_PKEY_free(w->certs[i].pkey);
        keel_chain_free(w->certs[i].chain);
        memset(&w->certs[i], 0, sizeof(w->certs[i]));
    }
    w->cur_slot = -1;
}

/* SSL_free_buffers(3) fails while a buffer holds data. keel's record engine frees each buffer as
 * soon as it is empty, so an idle connection has none left to free. */
int SSL_free_buffers(SSL *ssl)
{
    const keel_rl *rl = ssl->conn != NULL ? &ssl->conn->rl : NULL;
    return rl == NULL || (rl->rbuf == NULL && rl->wbuf == NULL);
}

/* Buffers are allocated when first needed; there is nothing to do ahead of time. */
int SSL_alloc_buffers(SSL *ssl) { return 1; }

/* Deprecated since OpenSSL 1.1.0, where it does nothing either. */
void SSL_set_debug(SSL *s, int debug) { (void)s; (void)debug; }

/* ---- SSL_trace: a message callback (SSL_set_msg_callback(3)) printing to the BIO in arg ---- */

static const char *content_name(int type)
{
    switch (type) {
    case SSL3_RT_CHANGE_CIPHER_SPEC: return "ChangeCipherSpec";
    case SSL3_RT_ALERT: return "Alert";
    case SSL3_RT_HANDSHAKE: return "Handshake";
    case SSL3_RT_APPLICATION_DATA: return "ApplicationData";
    case SSL3_RT_HEADER: return "RecordHeader";
    case SSL3_RT_INNER_CONTENT_TYPE: return "InnerContentType";
    default: return "Unknown";
    }
}

void SSL_trace(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl,
               void *arg)
{
    BIO *bio = arg;
    const unsigned char *p = buf;

    if (bio == NULL)
        return;
    BIO_printf(bio, "%s %s (%d), version 0x%04x, length %zu\n", write_p ? "Sent" : "Received",
               content_name(content_type), content_type, (unsigned)version, len);
    if (content_type == SSL3_RT_HANDSHAKE && len >= 4)
        BIO_printf(bio, "  message type %u, body length %u\n", p[0],
                   (unsigned)(p[1] << 16 | p[2] << 8 | p[3]));
    else if (content_type == SSL3_RT_ALERT && len == 2)
        BIO_printf(bio, "  %s %s\n", SSL_alert_type_string_long(p[0] << 8),
                   SSL_alert_desc_string_long(p[1]));
    if (len > 0)
        BIO_dump_indent(bio, buf, len > INT_MAX ? INT_MAX : (int)len, 4);
}

/* ---- sessions (SSL_has_matching_session_id(3), SSL_new_session_ticket(3)) ---- */

/* Whether the cache of the context sessions are stored in (the one SSL_new was given) holds a
 * session with this id for the SSL's version (SSL_version), as OpenSSL 3.0 keys its lookup
 * (tests/diff/misc16.c). */
int SSL_has_matching_session_id(const SSL *s, const unsigned char *id, unsigned int id_len)
{
    if (id == NULL || id_len == 0 || id_len > SSL_MAX_SSL_SESSION_ID_LENGTH)
        return 0;
    return keel_cache_has(s->session_ctx, SSL_version(s), id, id_len);
}

/* One more NewSessionTicket (RFC 8446 §4.6.1) after a completed TLS 1.3 server handshake. It is
 * sealed into the record engine's write queue now, at a record boundary, and goes out with the
 * next SSL_write or SSL_do_handshake, as SSL_new_session_ticket(3) describes. */
int SSL_new_session_ticket(SSL *s)
{
    keel_conn *c = s->conn;

    /* Refused without a reason, as OpenSSL 3.0 refuses it (tests/diff/errcodes.c): on a client,
     * before or in the handshake (tickets already asked for aside), under TLS 1.2. */
    if (!s->server || c == NULL || (SSL_in_init(s) && !c->tickets_queued) || c->version != TLS1_3_VERSION
            || (s->shutdown & SSL_SENT_SHUTDOWN))
        return 0;
    int ok = keel_server_send_tickets(s, 1);
    if (ok)
        c->tickets_queued = 1;
    return ok;
}
