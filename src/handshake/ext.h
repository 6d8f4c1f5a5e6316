/* Extension parsing (ext.c): the table of RFC 8446 §4.2 and what a hello carried. */
#ifndef KEEL_EXT_H
#define KEEL_EXT_H
#include "handshake/hs.h"

/* Message contexts, as bits: which messages an extension may appear in. */
enum { KEEL_MSG_CH = 1, KEEL_MSG_SH = 2, KEEL_MSG_HRR = 4, KEEL_MSG_EE = 8, KEEL_MSG_CT = 16,
       KEEL_MSG_CR = 32, KEEL_MSG_NST = 64,
       KEEL_MSG_SH12 = 128 /* a TLS 1.2 ServerHello (RFC 5246 §7.4.1.4) */ };

/* What a ClientHello / ServerHello carried; views point into the message being processed. */
typedef struct {
    int is_hrr;
    int offers_tls13;           /* supported_versions lists (CH) / selects (SH) TLS 1.3 */
    int has_versions;           /* supported_versions present */
    keel_rd versions;           /* CH: the supported_versions list */
    uint16_t legacy_version;    /* CH: legacy_version (set by the hello handler) */
    uint16_t version;           /* CH: the version keel_select_version chose; SH: the one selected */
    int has_key_share, has_alpn, has_cookie;
    keel_rd key_shares;         /* CH: the KeyShareEntry list */
    uint16_t group;             /* SH: the share's group; HRR: the group asked for */
    keel_rd share;              /* SH: the server's key_exchange */
    keel_rd alpn;               /* CH: the protocol_name_list */
    keel_rd cookie;
    int has_psk, psk_dhe, psk_ke; /* pre_shared_key present; psk_dhe_ke / psk_ke offered */
    keel_rd psk_identities;     /* CH: the PskIdentity list */
    keel_rd psk_binders;        /* CH: the binder list */
    size_t psk_binders_block_len; /* CH: bytes of the binders list incl. its length (truncation) */
    int psk_selected;           /* SH: the server took one of our PSKs ... */
    uint16_t psk_index;         /* ... this one (RFC 8446 §4.2.11 selected_identity) */
    /* TLS 1.2 */
    int offers_tls12;           /* CH: supported_versions lists TLS 1.2 */
    int ems;                    /* extended_master_secret (RFC 7627) */
    int reneg;                  /* renegotiation_info, empty (RFC 5746 §3.2) */
    int has_ec_formats, ec_uncompressed; /* ec_point_formats; it lists uncompressed (RFC 8422) */
    int has_ticket;             /* session_ticket (RFC 5077 §3.2) */
    keel_rd ticket;             /* CH: its contents (may be empty) */
    int etm;                    /* encrypt_then_mac (RFC 7366), for CBC suites */
    unsigned msg;               /* the message being parsed (KEEL_MSG_*), set by keel_ext_parse */
    int cert_entry;             /* CT: the CertificateEntry's index (0: the leaf) */
    uint8_t mfl;                /* max_fragment_length's code (RFC 6066 §4), 0 = absent */
    int early_data;             /* CH / EE: early_data (RFC 8446 §4.2.10) */
    uint32_t max_early_data;    /* NST: its early_data's max_early_data_size */
} keel_hello;

/* tls13/ticket.c */
int keel_server_send_tickets(SSL *s, int just_one);
int keel_client_read_ticket(SSL *s, keel_rd *body);
int keel_client_session_complete(SSL *s);
/* tls13/psk.c: the PSK offer (resumption, then external) and its acceptance; external PSKs from
 * the application's callbacks */
const SSL_SESSION *keel_client_psk_session(SSL *s);
int keel_client_write_psk(SSL *s, keel_wr *w);
int keel_client_psk_bind(SSL *s, keel_wr *w);
int keel_server_try_psk(SSL *s, keel_hello *h);
int keel_client_ext_psk(SSL *s);
int keel_client_take_psk(SSL *s, const keel_hello *h, const SSL_SESSION **out);
const SSL_SESSION *keel_client_psk_taken(const keel_hs *hs);
SSL_SESSION *keel_server_ext_psk(SSL *s, keel_rd id, int *alert);
int keel_server_psk_only(const SSL *s);
/* ... shared with TLS 1.2 (tls12/server.c) */
int keel_ticket_seal(SSL *s, const uint8_t *pt, size_t len, const uint8_t *nonce, uint8_t **out, size_t *out_len);
SSL_SESSION *keel_ticket_open(SSL *s, const uint8_t *t, size_t len, int *renew);
SSL_SESSION *keel_session_lookup(SSL *s, const uint8_t *id, size_t len);
SSL_SESSION *keel_session_from_conn(SSL *s, const uint8_t *id, size_t id_len);
void keel_client_new_session(SSL *s, SSL_SESSION *ss);
void keel_client_session_used(SSL *s);
/* tls13/server.c: the ClientHello callbacks, version-independent (0 or the alert) */
int keel_call_servername_cb(SSL *s);
int keel_call_alpn_cb(SSL *s, int has, const uint8_t *list, size_t len);

/* hello.c: the version of the connection (RFC 8446 §4.2.1): the server's choice from a
 * ClientHello, the client's check of a ServerHello's; 0 with h->version set, or the alert. */
int keel_select_version(SSL *s, keel_hello *h);
int keel_client_check_version(SSL *s, keel_hello *h);
int keel_client_check_downgrade(SSL *s, const uint8_t random[32]); /* 0 or the alert */

int keel_ext_parse(SSL *s, unsigned msg, keel_rd *block, keel_hello *h, uint32_t offered, int *alert);
/* The extensions of message `msg` (KEEL_MSG_SH, _HRR, _EE, _SH12), each written by its table
 * entry in that message's order, without the block's length: how many were written, or -1. */
int keel_ext_write(SSL *s, unsigned msg, keel_wr *w);
/* ext_write.c: the table's writers, 1 written / 0 not applicable / -1 error */
typedef int (*keel_ext_writer)(SSL *, keel_wr *, unsigned msg);
int keel_extw_versions(SSL *s, keel_wr *w, unsigned msg);
int keel_extw_psk(SSL *s, keel_wr *w, unsigned msg);
int keel_extw_key_share(SSL *s, keel_wr *w, unsigned msg);
int keel_extw_server_name(SSL *s, keel_wr *w, unsigned msg);
int keel_extw_alpn(SSL *s, keel_wr *w, unsigned msg);
int keel_extw_reneg(SSL *s, keel_wr *w, unsigned msg);
int keel_extw_ec_formats(SSL *s, keel_wr *w, unsigned msg);
int keel_extw_ticket(SSL *s, keel_wr *w, unsigned msg);
int keel_extw_ems(SSL *s, keel_wr *w, unsigned msg);
int keel_extw_mfl(SSL *s, keel_wr *w, unsigned msg);
int keel_extw_etm(SSL *s, keel_wr *w, unsigned msg);
/* tls13/early.c: early data's extension and decisions */
int keel_ext_early_ch(SSL *s, keel_hello *h, keel_rd *d, int *alert);
int keel_ext_early_peer(SSL *s, keel_hello *h, keel_rd *d, int *alert);
int keel_extw_early_data(SSL *s, keel_wr *w, unsigned msg);
int keel_early_write_nst(SSL *s, keel_wr *w);
int keel_early_write_ch(SSL *s, keel_wr *w);
void keel_early_psk_taken(SSL *s, const SSL_SESSION *ss, size_t index, uint32_t obf_age, int external);
int keel_early_server_decide(SSL *s, const keel_hello *h);
int keel_early_client_ee(SSL *s, const keel_hello *h);
uint32_t keel_ext_bit(uint16_t type);
/* status.c: OCSP stapling (RFC 6066 §8, RFC 8446 §4.4.2.1), both roles and versions */
int keel_status_write_ch(SSL *s, keel_wr *w);              /* 1 written or not asked, 0 error */
int keel_ext_status_ch(SSL *s, keel_hello *h, keel_rd *d, int *alert);
int keel_ext_status_peer(SSL *s, keel_hello *h, keel_rd *d, int *alert);
int keel_extw_status(SSL *s, keel_wr *w, unsigned msg);
void keel_status_server_start(SSL *s);
int keel_status_server(SSL *s);                            /* 0 or the alert */
int keel_status_client_cb(SSL *s);                         /* 0 or the alert */
int keel_status_write_entry(SSL *s, keel_wr *w);           /* the leaf's entry extensions */
int keel12_server_write_cert_status(SSL *s);               /* 1 sent or not due, 0 error */
int keel12_client_read_cert_status(SSL *s, keel_rd *body);
/* Finds extension `type` in an extensions block (with its length), without judging the rest:
 * 1 with *data set, 0 if absent or the block is malformed (keel_ext_parse then reports it). */
int keel_ext_find(keel_rd block, uint16_t type, keel_rd *data);
#endif
