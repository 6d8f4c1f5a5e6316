/* The writers of the extension table (ext.c): one per extension, for the messages it may be
 * written in, both roles. Each returns 1 (written), 0 (not applicable to this connection or
 * message) or -1 (error); keel_ext_write walks them in each message's order. */
#include "handshake/ext.h"

static void open_ext(keel_wr *w, uint16_t type, size_t *mark)
{
    keel_wr_u16(w, type);
    keel_wr_open16(w, mark);
}

static int close_ext(keel_wr *w, size_t mark)
{
    return keel_wr_close(w, mark) && !keel_wr_failed(w) ? 1 : -1;
}

static int empty_ext(keel_wr *w, uint16_t type)
{
    size_t x;
    open_ext(w, type, &x);
    return close_ext(w, x);
}

/* RFC 8446 §4.2.1: the server's selected_version. */
int keel_extw_versions(SSL *s, keel_wr *w, unsigned msg)
{
    size_t x;
    if (!(msg & (KEEL_MSG_SH | KEEL_MSG_HRR)))
        return 0;
    open_ext(w, TLSEXT_TYPE_supported_versions, &x);
    keel_wr_u16(w, TLS1_3_VERSION);
    return close_ext(w, x);
}

/* RFC 8446 §4.2.11: selected_identity, the first of the client's that was usable. */
int keel_extw_psk(SSL *s, keel_wr *w, unsigned msg)
{
    size_t x;
    if (msg != KEEL_MSG_SH || !s->conn->resumed)
        return 0;
    open_ext(w, TLSEXT_TYPE_psk, &x);
    keel_wr_u16(w, (uint32_t)s->conn->hs->psk_index);
    return close_ext(w, x);
}

/* RFC 8446 §4.2.8: the server's KeyShareEntry; in a HelloRetryRequest only the group asked for. */
int keel_extw_key_share(SSL *s, keel_wr *w, unsigned msg)
{
    keel_conn *c = s->conn;
    size_t x, m;
    /* psk_ke (RFC 8446 §4.2.9): no key exchange, so no share. */
    if (!(msg & (KEEL_MSG_SH | KEEL_MSG_HRR)) || (msg == KEEL_MSG_SH && c->hs->psk_ke))
        return 0;
    open_ext(w, TLSEXT_TYPE_key_share, &x);
    keel_wr_u16(w, c->group);
    if (msg == KEEL_MSG_SH) {
        keel_wr_open16(w, &m);
        keel_kex_public_wr(c->hs->kex, w);
        keel_wr_close(w, m);
    }
    return close_ext(w, x);
}

/* RFC 6066 §3: an empty server_name acknowledges the client's; not on a TLS 1.2 resumption. */
int keel_extw_server_name(SSL *s, keel_wr *w, unsigned msg)
{
    keel_conn *c = s->conn;
    if (!(msg & (KEEL_MSG_EE | KEEL_MSG_SH12)) || !c->hs->sni_received || c->hs->sni_noack
            || (msg == KEEL_MSG_SH12 && c->resumed))
        return 0;
    c->sni_acked = 1;
    return empty_ext(w, TLSEXT_TYPE_server_name);
}

/* RFC 7301 §3.1: the selected protocol, a list of one. */
int keel_extw_alpn(SSL *s, keel_wr *w, unsigned msg)
{
    keel_conn *c = s->conn;
    size_t x, m;
    if (!(msg & (KEEL_MSG_EE | KEEL_MSG_SH12)) || c->alpn == NULL)
        return 0;
    open_ext(w, TLSEXT_TYPE_application_layer_protocol_negotiation, &x);
    keel_wr_open16(w, &m);
    keel_wr_u8(w, (uint32_t)c->alpn_len);
    keel_wr_bytes(w, c->alpn, c->alpn_len);
    keel_wr_close(w, m);
    return close_ext(w, x);
}

/* RFC 5746 §3.6: an empty renegotiated_connection, when the client indicated support; §3.7: in a
 * renegotiation, client_verify_data || server_verify_data. */
int keel_extw_reneg(SSL *s, keel_wr *w, unsigned msg)
{
    const keel_hs *hs = s->conn->hs;
    size_t x;
    if (msg != KEEL_MSG_SH12 || !hs->reneg_indicated)
        return 0;
    open_ext(w, TLSEXT_TYPE_renegotiate, &x);
    keel_wr_u8(w, (uint32_t)hs->reneg_vd_len);
    keel_wr_bytes(w, hs->reneg_vd, hs->reneg_vd_len);
    return close_ext(w, x);
}

/* RFC 8422 §5.2: uncompressed points only, when the client sent the extension. */
int keel_extw_ec_formats(SSL *s, keel_wr *w, unsigned msg)
{
    size_t x;
    if (msg != KEEL_MSG_SH12 || !s->conn->hs->ec_formats)
        return 0;
    open_ext(w, TLSEXT_TYPE_ec_point_formats, &x);
    keel_wr_u8(w, 1);
    keel_wr_u8(w, 0);
    return close_ext(w, x);
}

/* RFC 5077 §3.2: empty, a NewSessionTicket follows. */
int keel_extw_ticket(SSL *s, keel_wr *w, unsigned msg)
{
    if (msg != KEEL_MSG_SH12 || !s->conn->hs->ticket_expected)
        return 0;
    return empty_ext(w, TLSEXT_TYPE_session_ticket);
}

/* RFC 7366 §2: only for a CBC suite (c->etm is cleared for an AEAD one). */
int keel_extw_etm(SSL *s, keel_wr *w, unsigned msg)
{
    if (msg != KEEL_MSG_SH12 || !s->conn->etm)
        return 0;
    return empty_ext(w, TLSEXT_TYPE_encrypt_then_mac);
}

/* RFC 7627 §5.1 */
int keel_extw_ems(SSL *s, keel_wr *w, unsigned msg)
{
    if (msg != KEEL_MSG_SH12 || !s->conn->ems)
        return 0;
    return empty_ext(w, TLSEXT_TYPE_extended_master_secret);
}

/* RFC 6066 §4: the server's echo of the code in force — the client's on a full handshake, the
 * session's on a resumption (as OpenSSL 3.0's server answers; tests/diff/fraglen.c). From here on
 * the limit binds both directions: the client's next records come after this message. */
int keel_extw_mfl(SSL *s, keel_wr *w, unsigned msg)
{
    size_t x;
    if (!(msg & (KEEL_MSG_EE | KEEL_MSG_SH12)) || s->conn->mfl == 0)
        return 0;
    keel_set_mfl(s, s->conn->mfl);
    open_ext(w, TLSEXT_TYPE_max_fragment_length, &x);
    keel_wr_u8(w, s->conn->mfl);
    return close_ext(w, x);
}
