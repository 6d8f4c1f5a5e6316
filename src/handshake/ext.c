/* The one extension table (RFC 8446 §4.2): for each extension keel knows, which messages may carry
 * it, how to parse it and how to write it. Misplaced, duplicated and unsolicited extensions are
 * rejected here, in one place, with the alert §4.2 prescribes. */
#include "handshake/ext.h"

#include <string.h>

/* The extension is exactly one vector with a `width`-byte length prefix (1 or 2) whose contents
 * are a non-empty whole number of `unit`-byte entries (RFC 8446 §3.4). */
static int one_vector(keel_rd *d, int width, size_t unit, keel_rd *list)
{
    return (width == 1 ? keel_rd_prefixed8(d, list) : keel_rd_prefixed16(d, list)) && keel_rd_done(d)
        && keel_rd_left(list) != 0 && keel_rd_left(list) % unit == 0;
}

static int ch_versions(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    keel_rd list;
    if (!one_vector(d, 1, 2, &list))
        return 0;
    h->has_versions = 1;
    h->versions = list;         /* for keel_select_version (hello.c) */
    while (!keel_rd_done(&list)) {
        uint32_t v;
        keel_rd_u16(&list, &v);
        if (v == TLS1_3_VERSION)
            h->offers_tls13 = 1;
        if (v == TLS1_2_VERSION)
            h->offers_tls12 = 1;
    }
    return 1;
}

/* The version is judged by keel_client_check_version (hello.c), after the whole block. */
static int sh_versions(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    uint32_t v;
    if (!keel_rd_u16(d, &v) || !keel_rd_done(d))
        return 0;
    h->has_versions = 1;
    h->version = (uint16_t)v;
    h->offers_tls13 = v == TLS1_3_VERSION;
    return 1;
}

/* A u16 list<2..2^16-2> (supported_groups, signature_algorithms): kept whole, in an allocated
 * copy (or only checked, out == NULL), so a usable entry after many unknown or GREASE ones
 * (RFC 8701) still counts. */
static int u16_list(keel_rd *d, uint16_t **out, uint16_t *n, int *alert)
{
    keel_rd list;
    if (!one_vector(d, 2, 2, &list))
        return 0;
    if (out == NULL)
        return 1;
    size_t count = keel_rd_left(&list) / 2;
    uint16_t *v = OPENSSL_malloc(count * sizeof(*v));
    if (v == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        *alert = SSL_AD_INTERNAL_ERROR;
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        uint32_t x;
        keel_rd_u16(&list, &x);
        v[i] = (uint16_t)x;
    }
    OPENSSL_free(*out);
    *out = v;
    *n = (uint16_t)count; /* at most 2^15 - 1: a vector of at most 2^16 - 2 bytes */
    return 1;
}

static int ch_groups(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    return u16_list(d, &s->conn->peer_groups, &s->conn->npeer_groups, alert);
}

static int ch_sigalgs(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    return u16_list(d, &s->conn->peer_sigalgs, &s->conn->npeer_sigalgs, alert);
}

static int ch_sigalgs_cert(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    return u16_list(d, NULL, NULL, alert);
}

/* RFC 6066 §3: one host_name entry; the server keeps it for SSL_get_servername. */
static int ch_server_name(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    keel_rd list, name;
    uint32_t type;
    if (!keel_rd_prefixed16(d, &list) || !keel_rd_done(d) || !keel_rd_u8(&list, &type)
            || !keel_rd_prefixed16(&list, &name) || !keel_rd_done(&list) || type != 0
            || keel_rd_left(&name) == 0 || keel_rd_left(&name) > TLSEXT_MAXLEN_host_name
            || memchr(name.p, 0, name.len) != NULL)
        return 0;
    char *host = OPENSSL_strndup((const char *)name.p, name.len);
    if (host == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        *alert = SSL_AD_INTERNAL_ERROR;
        return 0;
    }
    OPENSSL_free(s->hostname);
    s->hostname = host;
    return 1;
}

/* Server's empty acknowledgement in EncryptedExtensions. */
static int ee_server_name(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    s->conn->sni_acked = 1;
    return keel_rd_done(d);
}

static int ch_alpn(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    keel_rd list;
    if (!keel_rd_prefixed16(d, &list) || !keel_rd_done(d)
            || !keel_alpn_check(list.p, (unsigned int)list.len))
        return 0;
    h->alpn = list;
    h->has_alpn = 1;
    return 1;
}

/* EncryptedExtensions ALPN: exactly one protocol, one we offered (RFC 7301 §3.1). */
static int ee_alpn(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    keel_rd list, proto;
    if (!keel_rd_prefixed16(d, &list) || !keel_rd_done(d) || !keel_rd_prefixed8(&list, &proto)
            || !keel_rd_done(&list) || keel_rd_left(&proto) == 0)
        return 0;
    int offered = 0;
    for (size_t i = 0; i < s->s->alpn_len; i += 1u + s->s->alpn[i])
        if (s->s->alpn[i] == proto.len && memcmp(s->s->alpn + i + 1, proto.p, proto.len) == 0)
            offered = 1;
    if (!offered) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
        *alert = SSL_AD_ILLEGAL_PARAMETER;
        return 0;
    }
    /* A renegotiation's ServerHello (RFC 5746) answers again: the first answer is replaced. */
    OPENSSL_free(s->conn->alpn);
    s->conn->alpn_len = 0;
    if ((s->conn->alpn = OPENSSL_memdup(proto.p, proto.len)) == NULL) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return 0;
    }
    s->conn->alpn_len = (uint8_t)proto.len;
    return 1;
}

static int ch_key_share(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    keel_rd list;
    if (!keel_rd_prefixed16(d, &list) || !keel_rd_done(d))
        return 0;
    h->key_shares = list;
    h->has_key_share = 1;
    return 1;
}

static int sh_key_share(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    uint32_t group;
    keel_rd share;
    if (!keel_rd_u16(d, &group))
        return 0;
    if (h->is_hrr) {
        /* HelloRetryRequest: just the group the server wants (RFC 8446 §4.2.8). */
        if (!keel_rd_done(d))
            return 0;
        h->group = (uint16_t)group;
        h->has_key_share = 1;
        return 1;
    }
    if (!keel_rd_prefixed16(d, &share) || !keel_rd_done(d) || keel_rd_left(&share) == 0)
        return 0;
    h->group = (uint16_t)group;
    h->share = share;
    h->has_key_share = 1;
    return 1;
}

static int ch_psk_modes(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    keel_rd list;
    if (!one_vector(d, 1, 1, &list))
        return 0;
    while (!keel_rd_done(&list)) {
        uint32_t mode;
        keel_rd_u8(&list, &mode);
        if (mode == 1) /* psk_dhe_ke (RFC 8446 §4.2.9) */
            h->psk_dhe = 1;
        else if (mode == 0) /* psk_ke: taken only with SSL_OP_ALLOW_NO_DHE_KEX (tls13/psk.c) */
            h->psk_ke = 1;
    }
    return 1;
}

/* RFC 8446 §4.2.11: identities, then binders; the binders' extent is kept for truncation. */
static int ch_psk(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    if (!keel_rd_prefixed16(d, &h->psk_identities) || keel_rd_left(&h->psk_identities) == 0)
        return 0;
    h->psk_binders_block_len = keel_rd_left(d);
    if (!keel_rd_prefixed16(d, &h->psk_binders) || keel_rd_left(&h->psk_binders) == 0
            || !keel_rd_done(d))
        return 0;
    h->has_psk = 1;
    return 1;
}

static int sh_psk(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    uint32_t idx;
    if (!keel_rd_u16(d, &idx) || !keel_rd_done(d))
        return 0;
    /* Whether we offered that many identities is the client's check (tls13/psk.c). */
    h->psk_index = (uint16_t)idx;
    h->psk_selected = 1;
    return 1;
}

static int any_cookie(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    keel_rd c;
    if (!one_vector(d, 2, 1, &c))
        return 0;
    h->cookie = c;
    h->has_cookie = 1;
    return 1;
}

static int ch_pha(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    s->conn->pha_offered = 1;
    return keel_rd_done(d);
}

/* certificate_authorities in a CertificateRequest (RFC 8446 §4.2.4): DistinguishedName
 * authorities<3..2^16-1>, each opaque<1..2^16-1> holding a DER Name. Kept for
 * SSL_get0_peer_CA_list and the client certificate callback. */
static int cr_ca_names(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    keel_rd list, der;
    STACK_OF(X509_NAME) *names;

    if (!keel_rd_prefixed16(d, &list) || !keel_rd_done(d) || keel_rd_left(&list) < 3)
        return 0;
    if ((names = sk_X509_NAME_new_null()) == NULL) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return 0;
    }
    while (!keel_rd_done(&list)) {
        const unsigned char *p;
        X509_NAME *name = NULL;
        if (!keel_rd_prefixed16(&list, &der) || der.len == 0) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            return 0;
        }
        p = der.p;
        if (d2i_X509_NAME(&name, &p, (long)der.len) == NULL || p != der.p + der.len) {
            X509_NAME_free(name);
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            ERR_raise(ERR_LIB_SSL, SSL_R_CA_DN_LENGTH_MISMATCH);
            return 0;
        }
        if (!sk_X509_NAME_push(names, name)) {
            X509_NAME_free(name);
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            *alert = SSL_AD_INTERNAL_ERROR;
            return 0;
        }
    }
    sk_X509_NAME_pop_free(s->conn->peer_ca_names, X509_NAME_free);
    s->conn->peer_ca_names = names;
    return 1;
}

/* ---- TLS 1.2 ---- */

static int any_ems(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    h->ems = 1;
    return keel_rd_done(d); /* empty (RFC 7627 §5.1) */
}

/* RFC 5746 §3.2: renegotiated_connection<0..255>, empty in an initial handshake; §3.4 (client) and
 * §3.6 (server): anything else is a handshake_failure. In a renegotiation (§3.5, §3.7) it is the
 * previous handshake's client_verify_data (ClientHello), || server_verify_data (ServerHello). */
static int any_reneg(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    const keel_hs *hs = s->conn->hs;
    size_t want = hs->reneg && hs->reneg_vd_len != 0 ? (s->server ? 12 : 24) : 0;
    keel_rd rc;
    if (!keel_rd_prefixed8(d, &rc) || !keel_rd_done(d))
        return 0;
    if (keel_rd_left(&rc) != want || (want != 0 && CRYPTO_memcmp(rc.p, hs->reneg_vd, want) != 0)) {
        /* OpenSSL 3.0's client answers illegal_parameter (checked against a scripted server). */
        ERR_raise(ERR_LIB_SSL, SSL_R_RENEGOTIATION_MISMATCH);
        *alert = s->server ? SSL_AD_HANDSHAKE_FAILURE : SSL_AD_ILLEGAL_PARAMETER;
        return 0;
    }
    h->reneg = 1;
    return 1;
}

/* RFC 8422 §5.1.2: ECPointFormat list<1..2^8-1>; uncompressed (0) must be among them. */
static int any_ec_formats(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    keel_rd list;
    if (!one_vector(d, 1, 1, &list))
        return 0;
    h->has_ec_formats = 1;
    while (!keel_rd_done(&list)) {
        uint32_t f;
        keel_rd_u8(&list, &f);
        if (f == 0)
            h->ec_uncompressed = 1;
    }
    return 1;
}

static int ch_ticket(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    h->has_ticket = 1;
    h->ticket = *d;
    return 1;
}

/* A server's acknowledgement: empty (RFC 5077 §3.2), a NewSessionTicket follows. */
static int sh_ticket(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    h->has_ticket = 1;
    return keel_rd_done(d);
}

static int any_etm(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    h->etm = 1;
    return keel_rd_done(d); /* empty (RFC 7366 §2) */
}

/* RFC 6066 §4: one byte, a code 1..4 (2^9..2^12); any other is illegal_parameter (OpenSSL's
 * reason). The server takes the client's value as OpenSSL's does, whatever it is set to itself;
 * the handler decides what applies (a resumption keeps its session's). */
static int ch_mfl(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    uint32_t v;
    if (!keel_rd_u8(d, &v) || !keel_rd_done(d))
        return 0;
    if (v < TLSEXT_max_fragment_length_512 || v > TLSEXT_max_fragment_length_4096) {
        ERR_raise(ERR_LIB_SSL, SSL_R_SSL3_EXT_INVALID_MAX_FRAGMENT_LENGTH);
        *alert = SSL_AD_ILLEGAL_PARAMETER;
        return 0;
    }
    h->mfl = (uint8_t)v;
    return 1;
}

/* RFC 6066 §4: the server echoes the value requested; anything else is illegal_parameter. */
static int peer_mfl(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    uint32_t v;
    if (!keel_rd_u8(d, &v) || !keel_rd_done(d))
        return 0;
    if (v != s->s->mfl_mode) {
        ERR_raise(ERR_LIB_SSL, SSL_R_SSL3_EXT_INVALID_MAX_FRAGMENT_LENGTH);
        *alert = SSL_AD_ILLEGAL_PARAMETER;
        return 0;
    }
    h->mfl = (uint8_t)v;
    return 1;
}

/* Extensions keel recognises but does not act on in TLS 1.3: parsed for well-formedness only. */
static int ignore(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    return 1;
}

#define CH KEEL_MSG_CH
#define SH KEEL_MSG_SH
#define HRR KEEL_MSG_HRR
#define EE KEEL_MSG_EE
#define CT KEEL_MSG_CT
#define CR KEEL_MSG_CR
#define NST KEEL_MSG_NST
#define SH12 KEEL_MSG_SH12

/* RFC 8446 §4.2's table of which message may carry which extension; SH12 is a TLS 1.2
 * ServerHello (RFC 5246 §7.4.1.4: only what the client offered, as for every reply). */
static const struct {
    uint16_t type;
    unsigned msgs;
    int (*parse_ch)(SSL *, keel_hello *, keel_rd *, int *);   /* server reading ClientHello */
    int (*parse_peer)(SSL *, keel_hello *, keel_rd *, int *); /* client reading SH/HRR/EE/CR */
    keel_ext_writer write;      /* NULL: keel never sends it (ext_write.c) */
} exts[] = {
    { TLSEXT_TYPE_server_name, CH | EE | SH12, ch_server_name, ee_server_name,
      keel_extw_server_name },
    { TLSEXT_TYPE_max_fragment_length, CH | EE | SH12, ch_mfl, peer_mfl, keel_extw_mfl },
    { TLSEXT_TYPE_status_request, CH | CR | CT | SH12, keel_ext_status_ch, keel_ext_status_peer,
      keel_extw_status },
    { TLSEXT_TYPE_supported_groups, CH | EE, ch_groups, ignore, NULL },
    { TLSEXT_TYPE_signature_algorithms, CH | CR, ch_sigalgs, ch_sigalgs, NULL },
    { TLSEXT_TYPE_use_srtp, CH | EE | SH12, ignore, ignore, NULL },
    { KEEL_EXT_HEARTBEAT, CH | EE | SH12, ignore, ignore, NULL },
    { TLSEXT_TYPE_application_layer_protocol_negotiation, CH | EE | SH12, ch_alpn, ee_alpn,
      keel_extw_alpn },
    { TLSEXT_TYPE_signed_certificate_timestamp, CH | CR | CT | SH12, ignore, ignore, NULL },
    { KEEL_EXT_CLIENT_CERTIFICATE_TYPE, CH | EE, ignore, ignore, NULL },
    { KEEL_EXT_SERVER_CERTIFICATE_TYPE, CH | EE, ignore, ignore, NULL },
    { TLSEXT_TYPE_padding, CH, ignore, ignore, NULL },
    { TLSEXT_TYPE_psk, CH | SH, ch_psk, sh_psk, keel_extw_psk },
    { TLSEXT_TYPE_early_data, CH | EE | NST, keel_ext_early_ch, keel_ext_early_peer,
      keel_extw_early_data },
    { TLSEXT_TYPE_supported_versions, CH | SH | HRR, ch_versions, sh_versions, keel_extw_versions },
    { TLSEXT_TYPE_cookie, CH | HRR, any_cookie, any_cookie, NULL },
    { TLSEXT_TYPE_psk_kex_modes, CH, ch_psk_modes, ignore, NULL },
    { TLSEXT_TYPE_certificate_authorities, CH | CR, ignore, cr_ca_names, NULL },
    { KEEL_EXT_OID_FILTERS, CR, ignore, ignore, NULL },
    { TLSEXT_TYPE_post_handshake_auth, CH, ch_pha, ignore, NULL },
    { TLSEXT_TYPE_signature_algorithms_cert, CH | CR, ch_sigalgs_cert, ignore, NULL },
    { TLSEXT_TYPE_key_share, CH | SH | HRR, ch_key_share, sh_key_share, keel_extw_key_share },
    { TLSEXT_TYPE_ec_point_formats, CH | SH12, any_ec_formats, any_ec_formats,
      keel_extw_ec_formats },
    { TLSEXT_TYPE_encrypt_then_mac, CH | SH12, any_etm, any_etm, keel_extw_etm },
    { TLSEXT_TYPE_extended_master_secret, CH | SH12, any_ems, any_ems, keel_extw_ems },
    { TLSEXT_TYPE_session_ticket, CH | SH12, ch_ticket, sh_ticket, keel_extw_ticket },
    { TLSEXT_TYPE_renegotiate, CH | SH12, any_reneg, any_reneg, keel_extw_reneg },
};
#define NEXTS (sizeof(exts) / sizeof(exts[0]))
/* keel_ext_bit and keel_ext_parse's `seen` give each entry one bit of a uint32_t. */
_Static_assert(NEXTS <= 32, "the extension table outgrew its 32-bit masks");

/* Parse a message's extensions block. `offered` (client side) is the set of extension types we
 * sent, as a bitmask over the table; a reply carrying something we did not offer is
 * unsupported_extension (RFC 8446 §4.2). */
int keel_ext_parse(SSL *s, unsigned msg, keel_rd *block, keel_hello *h, uint32_t offered, int *alert)
{
    uint32_t seen = 0;
    keel_rd list;

    *alert = SSL_AD_DECODE_ERROR;
    h->msg = msg;
    if (!keel_rd_prefixed16(block, &list) || !keel_rd_done(block)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
        return 0;
    }
    while (!keel_rd_done(&list)) {
        uint32_t type;
        keel_rd data;
        size_t i;
        if (!keel_rd_u16(&list, &type) || !keel_rd_prefixed16(&list, &data)) {
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
            return 0;
        }
        /* SSL_set_tlsext_debug_callback: each extension received, as it came (1 = in a reply). */
        const keel_ssl_rare *rare = keel_ssl_rare_r(s);
        if (rare->tlsext_debug_cb != NULL)
            rare->tlsext_debug_cb(s, !s->server, (int)type, data.p, (int)data.len, rare->tlsext_debug_arg);
        for (i = 0; i < NEXTS && exts[i].type != type; i++)
            ;
        if (i == NEXTS) {
            /* Unknown: a server ignores it in ClientHello; in any reply it was not offered. */
            if (msg == KEEL_MSG_CH || msg == KEEL_MSG_CT || msg == KEEL_MSG_CR || msg == KEEL_MSG_NST)
                continue;
            ERR_raise(ERR_LIB_SSL, SSL_R_UNSOLICITED_EXTENSION);
            *alert = SSL_AD_UNSUPPORTED_EXTENSION;
            return 0;
        }
        if (seen & (1u << i)) {
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
            *alert = SSL_AD_ILLEGAL_PARAMETER;
            return 0;
        }
        seen |= 1u << i;
        /* A TLS 1.2 ServerHello is judged as OpenSSL 3.0 judges it: an extension of either
         * ServerHello that we did not offer is unsolicited before it is misplaced. */
        if (msg == KEEL_MSG_SH12 && (exts[i].msgs & KEEL_MSG_SH) && !(offered & keel_ext_bit(type))) {
            ERR_raise(ERR_LIB_SSL, SSL_R_UNSOLICITED_EXTENSION);
            *alert = SSL_AD_UNSUPPORTED_EXTENSION;
            return 0;
        }
        if (!(exts[i].msgs & msg)) {
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
            *alert = SSL_AD_ILLEGAL_PARAMETER;
            return 0;
        }
        /* RFC 8446 §4.2.2: a HelloRetryRequest's cookie is the server's own idea (a client
         * sends one only to echo it), so it answers nothing the client offered. */
        if (msg != KEEL_MSG_CH && msg != KEEL_MSG_CR && msg != KEEL_MSG_CT
                && !(msg == KEEL_MSG_HRR && type == TLSEXT_TYPE_cookie)
                && !(offered & keel_ext_bit(type))) {
            ERR_raise(ERR_LIB_SSL, SSL_R_UNSOLICITED_EXTENSION);
            *alert = SSL_AD_UNSUPPORTED_EXTENSION;
            return 0;
        }
        if (type == TLSEXT_TYPE_psk && msg == KEEL_MSG_CH && !keel_rd_done(&list)) {
            /* pre_shared_key must be the last extension (RFC 8446 §4.2.11). */
            ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
            *alert = SSL_AD_ILLEGAL_PARAMETER;
            return 0;
        }
        int (*fn)(SSL *, keel_hello *, keel_rd *, int *) =
            msg == KEEL_MSG_CH ? exts[i].parse_ch : exts[i].parse_peer;
        *alert = SSL_AD_DECODE_ERROR;
        if (!fn(s, h, &data, alert)) {
            if (ERR_peek_error() == 0)
                ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
            return 0;
        }
    }
    *alert = 0;
    return 1;
}

/* The order each message's extensions are written in: keel's until now, which for the TLS 1.2
 * ServerHello and EncryptedExtensions is OpenSSL 3.0's. */
static const uint16_t order_sh[] = { TLSEXT_TYPE_supported_versions, TLSEXT_TYPE_psk,
                                     TLSEXT_TYPE_key_share };
static const uint16_t order_hrr[] = { TLSEXT_TYPE_supported_versions, TLSEXT_TYPE_key_share };
static const uint16_t order_ee[] = { TLSEXT_TYPE_server_name, TLSEXT_TYPE_max_fragment_length,
                                     TLSEXT_TYPE_application_layer_protocol_negotiation,
                                     TLSEXT_TYPE_early_data };
static const uint16_t order_sh12[] = {
    TLSEXT_TYPE_renegotiate, TLSEXT_TYPE_server_name, TLSEXT_TYPE_max_fragment_length,
    TLSEXT_TYPE_ec_point_formats, TLSEXT_TYPE_session_ticket, TLSEXT_TYPE_status_request,
    TLSEXT_TYPE_application_layer_protocol_negotiation, TLSEXT_TYPE_encrypt_then_mac,
    TLSEXT_TYPE_extended_master_secret };

int keel_ext_write(SSL *s, unsigned msg, keel_wr *w)
{
    const uint16_t *order;
    size_t n;
    int count = 0;

    switch (msg) {
    case KEEL_MSG_SH:
        order = order_sh, n = sizeof(order_sh) / sizeof(order_sh[0]);
        break;
    case KEEL_MSG_HRR:
        order = order_hrr, n = sizeof(order_hrr) / sizeof(order_hrr[0]);
        break;
    case KEEL_MSG_EE:
        order = order_ee, n = sizeof(order_ee) / sizeof(order_ee[0]);
        break;
    case KEEL_MSG_SH12:
        order = order_sh12, n = sizeof(order_sh12) / sizeof(order_sh12[0]);
        break;
    default:
        ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        size_t i;
        for (i = 0; i < NEXTS && exts[i].type != order[k]; i++)
            ;
        /* Only where RFC 8446 §4.2 (or RFC 5246 §7.4.1.4 for SH12) allows it. */
        if (i == NEXTS || exts[i].write == NULL || !(exts[i].msgs & msg)) {
            ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
            return -1;
        }
        int r = exts[i].write(s, w, msg);
        if (r < 0)
            return -1;
        count += r;
    }
    return count;
}

int keel_ext_find(keel_rd block, uint16_t type, keel_rd *data)
{
    keel_rd list;
    if (!keel_rd_prefixed16(&block, &list))
        return 0;
    while (!keel_rd_done(&list)) {
        uint32_t t;
        if (!keel_rd_u16(&list, &t) || !keel_rd_prefixed16(&list, data))
            return 0;
        if (t == type)
            return 1;
    }
    return 0;
}

uint32_t keel_ext_bit(uint16_t type)
{
    for (size_t i = 0; i < NEXTS; i++)
        if (exts[i].type == type)
            return 1u << i;
    return 0;
}
