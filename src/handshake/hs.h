/* One TLS connection: what an SSL holds between the start of a handshake and SSL_clear/SSL_free.
 * Nothing here is a setting; settings live in keel_settings (src/internal.h). */
#ifndef KEEL_HS_H
#define KEEL_HS_H

#include <stdbool.h>

#include "internal.h"
#include "common/bytes.h"
#include "common/proto.h"
#include "crypto/crypto.h"
#include "record/record.h"
#include "handshake/tls13/keysched.h"
#include "proto/cipher.h"

#define KEEL_MAX_HS_MSG (256 * 1024) /* largest handshake message accepted (certificate chains) */
#define KEEL_MAX_EMPTY_RECORDS 32    /* consecutive empty / ignorable records before giving up */
#define KEEL_MAX_WARN_ALERTS 5       /* the warning alert in a row that ends the connection */
#define KEEL_FATAL_RECEIVED 2         /* keel_conn.fatal: the peer sent the fatal alert */
#define KEEL_FATAL_EOF 3              /* ... the stream ended without close_notify */
/* A read handler or write step whose callback asked to be called again (SSL_CLIENT_HELLO_RETRY,
 * a cert_cb returning < 0): nothing consumed, the next SSL_do_handshake resumes there. */
#define KEEL_SUSPEND (-1)

/* What only a handshake needs: allocated with the connection state when a handshake starts,
 * freed (cleansed) when it completes (statem.c done) or with the connection. */
typedef struct keel_hs {
    /* TLS 1.3 (RFC 8446 §7.1): the key schedule's current stage and the handshake traffic
     * secrets; what outlives the handshake (application, exporter, resumption secrets) was
     * derived from them and lives in keel_conn. */
    keel_ks ks;
    uint8_t client_hs[KEEL_HASH_MAX_LEN], server_hs[KEEL_HASH_MAX_LEN];
    /* Their finished keys (RFC 8446 §4.4.4), derived with the traffic keys in one run of HMACs
     * under each secret (keel_ks_traffic_keys_fk_on); *_fk_set: present. */
    uint8_t client_fk[KEEL_HASH_MAX_LEN], server_fk[KEEL_HASH_MAX_LEN];
    int client_fk_set, server_fk_set;
    keel_transcript transcript; /* the handshake's messages (RFC 8446 §4.4.1, RFC 5246 §7.4.9) */
    keel_kex *kex;              /* our key share */
    int hrr;                    /* a HelloRetryRequest was sent / received */
    int hrr_wait;               /* server: HelloRetryRequest sent / client: received; ClientHello 2 due */
    int chts_logged;            /* CLIENT_HANDSHAKE_TRAFFIC_SECRET is in the key log (keel_keylog_hs) */
    uint32_t ext_offered;       /* client: extensions sent in ClientHello (keel_ext_bit) */
    const SSL_SESSION *psk_offered; /* client: the session offered in ClientHello */
    const SSL_SESSION *ks_psk;  /* client: ks is at this offered PSK's early stage (its binder's) */
    int sni_received, sni_noack; /* server: SNI sent / its callback answered SSL_TLSEXT_ERR_NOACK */
    /* TLS 1.2 */
    int ticket_expected;        /* a NewSessionTicket comes / goes in this handshake (RFC 5077 §3.3) */
    /* server (tls12/server.c): what the ServerHello answers */
    int reneg_indicated;        /* renegotiation_info or its SCSV (RFC 5746 §3.6) */
    int ec_formats;             /* the client sent ec_point_formats (RFC 8422 §5.2) */
    /* client (tls12/client.c): the TLS 1.2 session offered in ClientHello (its id or ticket) */
    const SSL_SESSION *sess12_offered;
    /* The hellos' legacy_session_id: the client's (a cached TLS 1.2 session's, its own for a
     * ticket, or the middlebox-compatibility one), the server's echo or new id; a TLS 1.2 session
     * made by this handshake takes it. */
    uint8_t session_id[32];
    size_t session_id_len;
    keel_rd client_hello;       /* server: the ClientHello body while the client-hello callback runs */
    uint8_t *cookie;            /* client: the HelloRetryRequest's cookie, echoed */
    size_t cookie_len;
    uint8_t *psk_identity;      /* server: the identity accepted from ClientHello 1 (HRR) */
    size_t psk_identity_len;
    /* TLS 1.3 external PSKs (tls13/psk.c, RFC 8446 §4.2.11). Client: the session the
     * application's callback supplied (owned) and its identity; offered after the resumption
     * PSK, if any. Server: which identity was accepted and whether it was an external one. */
    SSL_SESSION *ext_psk;
    uint8_t *ext_psk_id;
    size_t ext_psk_id_len;
    size_t psk_index;
    int psk_external;
    int psk_ke;                 /* client: psk_ke offered; server: psk_ke chosen (no key share) */
    /* TLS 1.2 PSK suites (tls12/kx_psk.c): the identity sent / received and the server's hint,
     * until the handshake's session takes them. */
    char *psk12_identity;
    char *psk12_hint;
    uint8_t *peer_share;        /* server: the client's key_exchange, kept for the write step */
    uint8_t *alpn12;            /* TLS 1.2 server: the client's ALPN list, for the write step */
    size_t alpn12_len;
    size_t peer_share_len;
    /* TLS 1.2 client (tls12/client.c): the premaster secret from the ServerKeyExchange until the
     * master secret is made; the NewSessionTicket's ticket until the session is made. */
    uint8_t *pms;
    size_t pms_len;
    uint8_t *ticket12;
    size_t ticket12_len;
    uint32_t ticket12_hint;
    int ticket12_received;
    int announce12;             /* the session made for this handshake awaits the new session callback */
    int cert12_chosen;          /* the client's certificate for the CertificateRequest is chosen */
    /* OCSP stapling (status.c): the server staples a response / the TLS 1.2 client's ServerHello
     * acknowledged status_request (a CertificateStatus may follow Certificate) */
    int status_expected;
    /* TLS 1.2 renegotiation (tls12/reneg.c, RFC 5746): this handshake runs over an established
     * connection; we started it (SSL_renegotiate: our ClientHello / HelloRequest); it ended at
     * once, declined with a no_renegotiation warning (or was only our HelloRequest); the
     * previous handshake's client_verify_data || server_verify_data that renegotiation_info
     * carries (reneg_vd_len 0: the connection had no secure renegotiation). */
    int reneg, reneg_ours, reneg_over;
    uint8_t reneg_vd[2 * 12];
    size_t reneg_vd_len;
    /* TLS 1.2 (tls12/keys.c): the PRF's HMAC context, keyed with prf12_master (the master secret
     * it was keyed with, so a changed master rekeys it), and the key block once computed
     * (RFC 5246 §6.3), both directions' keys, taken at each ChangeCipherSpec. */
    keel_prf *prf12;
    int prf12_keyed;
    uint8_t prf12_master[48];
    uint8_t key_block12[2 * (48 + 32 + 16)];
    size_t key_block12_len;
    /* TLS 1.3 early data (tls13/early.c): client_early_traffic_secret (RFC 8446 §7.1) while
     * early records are written / read. */
    uint8_t client_early[KEEL_HASH_MAX_LEN];
} keel_hs;

/* TLS 1.3 early data (RFC 8446 §2.3, §4.2.10; SSL_read_early_data(3)): the API's progress, what
 * the handshake decided, and what outlives the handshake (the early exporter, §7.5). */
enum { KEEL_ED_NONE, KEEL_ED_CONNECTING, KEEL_ED_WRITING, KEEL_ED_ACCEPTING, KEEL_ED_READING,
       KEEL_ED_FINISHED };
typedef struct {
    /* early_exporter_master_secret (KEEL_SUITE_HASH_MAX bytes), NULL until derived: allocated
     * only on the early-data path, so the common connection object does not carry it. */
    uint8_t *exporter;
    uint32_t limit;             /* bytes of early data allowed */
    uint32_t count;             /* ... sent / received */
    uint8_t state;              /* KEEL_ED_*: where SSL_write/read_early_data are */
    uint8_t status;             /* SSL_EARLY_DATA_NOT_SENT / _REJECTED / _ACCEPTED */
    uint8_t offered;            /* client: early_data was in ClientHello 1 */
    uint8_t ok;                 /* the PSK taken allows early data (first identity, fresh, ...) */
    uint8_t reading;            /* SSL_read_early_data drives the handshake: early records are read */
    uint8_t eoed;               /* server: EndOfEarlyData read */
    uint8_t flush_due;          /* client: early records sealed, not yet all written */
    uint8_t external;           /* client: the early data is under the external PSK (ext_psk) */
    uint8_t hash;               /* keel_hash_id of the exporter's suite */
} keel_early;

/* Pointers and lengths come first and the 1- and 2-byte fields last, grouped, so that the object
 * has no padding holes; the small fields are described at their place below. */
struct keel_conn {
    keel_rl rl;
    keel_hs *hs;                /* NULL once the handshake is over */

    /* Handshake message reassembly: messages may span records and records may hold several. */
    uint8_t *hs_buf;
    uint32_t hs_len, hs_cap;    /* at most KEEL_MAX_HS_MSG and a record's worth */

    const SSL_CIPHER *cipher;
    EVP_PKEY *tmp_key, *peer_tmp_key; /* both shares, public parts only (SSL_get_tmp_key(3)) */
    /* For a named group (tmp_group), the shares' bytes (ours, then the peer's) instead: the keys
     * above are built from them when first asked for (two EVP_PKEYs cost ~20 allocations and ~770
     * bytes held per connection that nobody may ask about). */
    uint8_t *tmp_pub;
    EVP_PKEY *offered_key;      /* client, TLS 1.2 negotiated: the TLS 1.3 share it had offered */
    uint8_t client_random[32], server_random[32];
    /* verify_data of the last Finished we sent / received (SSL_get_finished(3)) */
    uint8_t finished[KEEL_SUITE_HASH_MAX], peer_finished[KEEL_SUITE_HASH_MAX];
    /* TLS 1.3 post-handshake authentication (tls13/pha.c) hashes each exchange over the
     * handshake's transcript plus its own messages (RFC 8446 §4.4): when it was offered, a copy
     * of the transcript is taken as the handshake ends (base), and each exchange extends a
     * copy of that (cur, while cert_ctx_len != 0), whose certificate_request_context is ctx.
     * Allocated only when it was offered. */
    struct keel_pha_tr { keel_transcript base, cur; uint8_t ctx[255]; } *pha;
    STACK_OF(X509_NAME) *peer_ca_names; /* certificate_authorities the peer sent */
    size_t tickets_sent;

    /* The secrets that outlive the handshake: TLS 1.2's master secret (RFC 5246 §8.1: the key
     * block, Finished, exporters, the session), or TLS 1.3's application traffic secrets
     * (KeyUpdate), exporter and resumption master secrets (RFC 8446 §7.1). They share the space:
     * both are written only once the ServerHello fixed the version, which a connection keeps
     * (renegotiation is TLS 1.2's; SSL_clear starts a new keel_conn), and every reader first
     * tests c->version (or runs in that version's code). */
    union {
        uint8_t master[48];
        struct {
            uint8_t client_ap[KEEL_SUITE_HASH_MAX], server_ap[KEEL_SUITE_HASH_MAX];
            uint8_t exporter[KEEL_SUITE_HASH_MAX], resumption[KEEL_SUITE_HASH_MAX];
        };
    };
    uint8_t *peer_cert_types;   /* TLS 1.2 client: the CertificateRequest's certificate_types
                                 * (npeer_cert_types below) */


    /* What the peer offered (server side) */
    uint8_t *client_suites;     /* the ClientHello's cipher_suites, as sent (client_suites_len) */
    STACK_OF(SSL_CIPHER) *client_ciphers; /* SSL_get_client_ciphers, made on demand */
    /* The peer's lists, whole (up to the extension's own 2^16-2 bytes), freed with the conn;
     * their counts are npeer_groups and npeer_sigalgs below. */
    uint16_t *peer_groups;
    uint16_t *peer_sigalgs;
    const keel_certkey *certkey; /* the certificate we present (keel_conn_set_certkey) ... */
    const keel_settings *certkey_block; /* ... in this block, kept while it is pointed into */

    /* Peer's certificate and the verified chain */
    STACK_OF(X509) *peer_chain;   /* as sent, leaf first */
    STACK_OF(X509) *peer_chain_noleaf; /* server's SSL_get_peer_cert_chain view */
    STACK_OF(X509) *verified_chain;
    uint8_t *alpn;                /* selected protocol (alpn_len below) */

    /* Writes interrupted by a non-blocking BIO resume here (SSL_write(3): retry with the same
     * arguments). */
    size_t wpend_len;           /* length the interrupted SSL_write was called with; 0 = none */
    size_t wpend_done;          /* bytes of it already sealed into records */
    const void *wpend_buf;      /* ... and its buffer (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) */

    long num_reneg, total_reneg; /* SSL_num_renegotiations / SSL_total_renegotiations (below) */
    keel_early early;           /* TLS 1.3 early data (tls13/early.c, api/early_data.c) */

    /* ---- the small fields ---- */
    uint32_t cur_len;           /* length of the handshake message being handled (header incl.) */
    /* Lengths whose wire vectors bound them: tmp_pub's two shares (a key_exchange is at most
     * 2^16-1 bytes), client_suites (2^16-2), the peer's groups and signature schemes (entries in a
     * vector of at most 2^16-2 bytes). */
    uint16_t tmp_pub_len, peer_tmp_pub_len;
    uint16_t client_suites_len;
    uint16_t npeer_groups, npeer_sigalgs;
    uint16_t version;
    uint16_t group;             /* negotiated (EC)DHE group */
    uint16_t tmp_group;         /* the named group of tmp_pub's shares, 0 = none */
    uint16_t sigalg;            /* scheme we sign with */
    uint16_t peer_sigalg;       /* scheme the peer signed with */
    uint16_t client_version;    /* server: the ClientHello's legacy_version */
    /* One-byte lengths: the Finished verify_data (at most KEEL_SUITE_HASH_MAX), the post-handshake
     * certificate_request_context (non-zero while a post-handshake authentication runs; the bytes
     * are pha->ctx: keel_cert_ctx), certificate_types and the selected ALPN protocol (both in
     * 8-bit vectors). */
    uint8_t finished_len, peer_finished_len;
    uint8_t cert_ctx_len;
    uint8_t npeer_cert_types;
    uint8_t alpn_len;
    uint8_t mfl;                /* negotiated max_fragment_length code (RFC 6066 §4), 0 = none */
    uint8_t pha_state;          /* server: KEEL_PHA_* (pha.c) */
    /* The state shown for the message being handled (hs_shown below): OSSL_HANDSHAKE_STATE
     * values, all below 256. */
    uint8_t hs_shown_state, hs_shown_from;
    uint8_t fatal;              /* a fatal alert was sent or received: the connection is dead
                                 * (KEEL_FATAL_RECEIVED: the peer's) */
    uint8_t empty_records;      /* consecutive empty records read (KEEL_MAX_EMPTY_RECORDS) */
    uint8_t warn_alerts;        /* consecutive warning alerts read (KEEL_MAX_WARN_ALERTS) */
    uint8_t key_update_due;     /* a KeyUpdate goes out with the next write (SSL_key_update(3)):
                                 * 1 the answer to the peer's, KEEL_KEY_UPDATE_OWN the application's */
#define KEEL_KEY_UPDATE_OWN 2
    uint8_t key_update_req;     /* ... with this request_update value */
    uint8_t reneg_req;          /* KEEL_RENEG_*: TLS 1.2 renegotiation (below) */

    /* Flags: one bit each (a bool bit-field turns any non-zero value into 1). */
    bool server : 1;
    bool ccs_sent : 1;          /* middlebox-compatibility change_cipher_spec sent */
    bool ccs_received : 1;
    bool cert_requested : 1;    /* server sent / client got CertificateRequest */
    bool pha_offered : 1;       /* post_handshake_auth sent (client) / received (server) */
    bool hs_held : 1;           /* a handler suspended on the buffered message (already reported) */
    bool hs_arrived : 1;        /* the info LOOP for the message at the front of hs_buf was reported */
    /* While that message is read and handled, the state the application sees (SSL_get_state,
     * SSL_state_string): the one its row leads to (hs_shown_state), as OpenSSL's state machine
     * moves there at the message's header; s->state, which the rows and guards test, moves only
     * once it is handled. hs_shown 0: none (a post-handshake message); shown only while s->state
     * is still hs_shown_from (a handler that moves on itself, e.g. to write tickets, shows its
     * own). */
    bool hs_shown : 1;
    bool resumed : 1;           /* the handshake resumed a session (PSK) */
    bool sni_acked : 1;         /* the server acknowledged the client's server_name (RFC 6066 §3):
                                 * only then is the name the session's, as in OpenSSL */
    /* TLS 1.2 */
    bool ems : 1;               /* extended_master_secret negotiated (RFC 7627) */
    bool etm : 1;               /* encrypt_then_mac negotiated for a CBC suite (RFC 7366) */
    bool peer_ri : 1;           /* client: the ServerHello carried renegotiation_info (RFC 5746) */
    bool no_stats : 1;          /* the handshake that just ended counts for no statistic (below) */
    bool tickets_queued : 1;    /* SSL_new_session_ticket sealed tickets not yet flushed (msg.c) */
    /* The info callback's events as OpenSSL's state machine emits them (keel_step). */
    bool hs_started : 1;        /* SSL_CB_HANDSHAKE_START was reported (once per handshake) */
    bool info_reading : 1;      /* the "switch to reading" SSL_CB_LOOP was reported */
    bool done_reported : 1;     /* SSL_CB_HANDSHAKE_DONE was reported */
    /* TLS 1.2 renegotiation (tls12/reneg.c): requested by SSL_renegotiate[_abbreviated] or
     * accepted from the peer, until it completes (SSL_renegotiate_pending: reneg_req above); a
     * server's HelloRequest is out; SSL_num/total_renegotiations (num_reneg, total_reneg above);
     * the handshake that just ended was no handshake for the statistics (no_stats: a
     * HelloRequest, a declined renegotiation). */
    bool hello_req_sent : 1;
    bool in_read : 1;           /* SSL_read drives the handshake (msg.c's renegotiation rule) */
};
enum { KEEL_RENEG_NONE, KEEL_RENEG_FULL, KEEL_RENEG_ABBREV };

/* The transcript messages are hashed into: the handshake's, or after the handshake the running
 * post-handshake authentication exchange's; NULL if neither. */
static inline keel_transcript *keel_transcript_of(keel_conn *c)
{
    return c->hs != NULL ? &c->hs->transcript : c->cert_ctx_len != 0 ? &c->pha->cur : NULL;
}

/* The certificate_request_context of the running post-handshake authentication; NULL (and
 * cert_ctx_len 0) in the handshake, where it is empty. */
static inline const uint8_t *keel_cert_ctx(const keel_conn *c)
{
    return c->cert_ctx_len != 0 ? c->pha->ctx : NULL;
}

/* Whether x is among the n codepoints of v (suites, groups, schemes). */
static inline int keel_u16_in(const uint16_t *v, size_t n, uint16_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return 1;
    return 0;
}

/* Server: whether the ClientHello's cipher_suites (c->client_suites) lists `code` (a suite or a
 * signalling value such as TLS_FALLBACK_SCSV). */
static inline int keel_client_suite_offered(const keel_conn *c, uint16_t code)
{
    for (size_t i = 0; i + 1 < c->client_suites_len; i += 2)
        if ((c->client_suites[i] << 8 | c->client_suites[i + 1]) == code)
            return 1;
    return 0;
}

/* conn.c: the connection object and the callbacks; msg.c: reassembly, the send path, alerts */
keel_conn *keel_conn_new(SSL *s);
void keel_conn_free(keel_conn *c);
keel_hs *keel_hs_new(SSL *s);                          /* a handshake object, transcript ready */
void keel_hs_free(keel_hs *hs);                        /* NULL allowed */
/* Keeps both shares' public keys for SSL_get_tmp_key / SSL_get_peer_tmp_key (a failure is not fatal). */
/* The certificate the connection presents, ck in s's settings block (or NULL). */
void keel_conn_set_certkey(SSL *s, const keel_certkey *ck);
void keel_conn_keep_tmp_keys(keel_conn *c, const uint8_t *peer, size_t peer_len);
/* SSL_get_tmp_key (peer 0) / SSL_get_peer_tmp_key (1): the key, built on first use; NULL if none. */
EVP_PKEY *keel_conn_tmp_key(keel_conn *c, const keel_algs *algs, int peer);
int keel_flush(SSL *s);                                 /* 1, or -1 retry / 0 error */
int keel_send_alert(SSL *s, int level, int desc);       /* queues and tries to flush */
void keel_fatal(SSL *s, int alert);                     /* sends a fatal alert (once) */
int keel_write_hs(SSL *s, keel_wr *msg);                /* a complete message: transcript + record */
int keel_send_hs(SSL *s, keel_wr *w);                   /* keel_write_hs, then releases w */
int keel_write_ccs(SSL *s);
/* The one record read path (msg.c): one record, routed. */
enum { KEEL_REC_ROUTED = 1, KEEL_REC_APP = 2, KEEL_REC_CCS = 3 };
int keel_read_record(SSL *s, int in_handshake, keel_record *app);
/* Returns 1 with *type and *body set to the next complete handshake message (or KEEL_MT_CCS),
 * -1 retry, 0 error (alert sent). Application data during the handshake is an unexpected_message.
 * accept (or NULL) is asked once per message, at its header: 0 refuses the message as
 * unexpected_message before its body is read or shown to the message callback. */
int keel_read_hs(SSL *s, int *type, keel_rd *body, size_t *msg_len, int (*accept)(SSL *s, int type));
/* The state the application sees (hs_shown_state while a message is handled, else s->state). */
OSSL_HANDSHAKE_STATE keel_shown_state(const SSL *s);
void keel_hs_consume(SSL *s, size_t msg_len);
/* statem.c: an empty HelloRequest arriving now is skipped (no row takes it, RFC 5246 §7.4.1.1) */
int keel_skips_hello_request(const SSL *s);
void keel_set_state(SSL *s, OSSL_HANDSHAKE_STATE st);
void keel_info(const SSL *s, int where, int ret);
void keel_info_loop(SSL *s);                            /* SSL_CB_LOOP in the current state */
void keel_info_exit(SSL *s, int ret);                   /* SSL_CB_EXIT */
void keel_step(SSL *s, OSSL_HANDSHAKE_STATE st);        /* a write transition: LOOP, then st */
void keel_msg_cb(SSL *s, int write, int content_type, const void *buf, size_t len);
void keel_conn_trace(SSL *s, keel_conn *c);
/* Fragment limits (conn.c): the most plaintext one record we send may carry — max_send_fragment,
 * or the negotiated max_fragment_length if smaller (RFC 6066 §4); the negotiated code, which also
 * bounds what we accept; the TLS 1.3 padding for a record of `len` content bytes (RFC 8446 §5.4). */
size_t keel_send_limit(const SSL *s);
void keel_set_mfl(SSL *s, uint8_t mode);
size_t keel_record_padding(SSL *s, uint8_t type, size_t len);
int keel_read_alert(SSL *s, const keel_record *rec);
int keel_hs_append(SSL *s, const uint8_t *data, size_t len);

/* tls13/keys.c: the TLS 1.3 key schedule applied to the connection; keel_keylog */
void keel_keylog(const SSL *s, const char *label, const uint8_t *secret, size_t len);
void keel_keylog_hs(SSL *s, int server_secret, int client_secret);
void keel_keylog_before_alert(SSL *s);
int keel_install_key(SSL *s, int dir, const uint8_t *key, const uint8_t *iv, size_t iv_len,
                     int plain_alert);
int keel_set_traffic_key(SSL *s, int dir, const uint8_t *secret);
int keel_set_early_key(SSL *s, int dir, const SSL_CIPHER *cs, const uint8_t *secret);
int keel_hs_hash_current(SSL *s);
int keel_transcript_hash(keel_conn *c, uint8_t *out);
int keel_hs_derive_handshake(SSL *s, const uint8_t *shared, size_t len);
int keel_hs_derive_application(SSL *s);
int keel_hs_derive_resumption(SSL *s);
int keel_hs_finished_mac(SSL *s, int server, uint8_t *out);
int keel_hs_update_secret(SSL *s, int dir);
/* hello.c: negotiation inputs */
int keel_tls13_allowed(const keel_settings *st);
size_t keel_groups_effective(const SSL *s, int op, uint16_t *out);
size_t keel_sigalgs_effective(const SSL *s, int client_auth, int op, uint16_t *out);
/* The schemes in both our list and the peer's, in the peer's order, that the security level or
 * callback accepts (SSL_SECOP_SIGALG_SHARED). */
size_t keel_sigalgs_shared(const SSL *s, int client_auth, uint16_t *out);
int keel_sigalgs_can_sign13(const uint16_t *v, size_t n);

/* statem.c: the driver; the handshake is a table per protocol version (RFC 8446 §A, RFC 5246
 * §7.3). A row {state, role, msg, guard, handler, next}: in `state`, for our role, when `msg`
 * arrives (a handshake type, or KEEL_MT_CCS) and the guard holds (NULL: always), `read` takes it;
 * a KEEL_WRITE row is our turn to speak, `write` sends one flight. Handlers return 0, the alert to
 * send, or KEEL_SUSPEND (a callback asked to be called again: nothing consumed or written). On 0
 * the driver moves to `next`; KEEL_NEXT_BY_HANDLER (0) marks the few rows whose handler sets the
 * state because it depends on what the handler found (the tables say which). Write handlers
 * report each message they write with keel_step (the info callback's LOOP per state). States are
 * OpenSSL's OSSL_HANDSHAKE_STATE values, TLS 1.2's included, so apps see what OpenSSL shows. */
#define KEEL_WRITE 0x100                    /* row: our turn to speak */
#define KEEL_MT_CCS 0x101                   /* a change_cipher_spec record as a message (TLS 1.2) */
#define KEEL_NEXT_BY_HANDLER TLS_ST_BEFORE  /* no row moves back to TLS_ST_BEFORE */
typedef int (*keel_guard)(const SSL *);
typedef int (*keel_reader)(SSL *, keel_rd *);
typedef int (*keel_writer)(SSL *);
typedef struct {
    OSSL_HANDSHAKE_STATE state;
    int server;
    int msg;                    /* handshake type, KEEL_MT_CCS or KEEL_WRITE */
    keel_guard guard;           /* NULL: always */
    keel_reader read;           /* message rows */
    keel_writer write;          /* KEEL_WRITE rows */
    OSSL_HANDSHAKE_STATE next;
} keel_row;
typedef struct {
    const keel_row *rows;
    size_t count;
    /* A change_cipher_spec record reaches this table as the message KEEL_MT_CCS (TLS 1.2, RFC
     * 5246 §7.1); 0: the TLS 1.3 compatibility rule of RFC 8446 §5 applies (msg.c). */
    int ccs_message;
    int (*complete)(const SSL *); /* the handshake is over in the current state */
    /* NULL, or what the version does once the handshake is over, after the info callback's last
     * LOOP and before HANDSHAKE_DONE (TLS 1.2: the new session callback, where OpenSSL calls it). */
    void (*finish)(SSL *);
    /* A client skips an empty HelloRequest during the handshake (RFC 5246 §7.4.1.1: outside the
     * transcript), as OpenSSL 3.0 does. */
    int skip_hello_request;
} keel_table;
const keel_table *keel_table_for(const SSL *s);         /* statem.c: by negotiated version */
const keel_table *keel_tls13_table(void);               /* tls13/table.c */
const keel_table *keel_tls12_table(void);               /* tls12/table.c */
int keel_handshake(SSL *s);                             /* 1 done, -1 retry, 0 error */

/* hello.c: the ClientHello (both versions offer in one): 1 written / 0; the first one as a row */
int keel_client_write_hello(SSL *s);
int keel_client_write_first_hello(SSL *s);
/* tls13/client.c, tls13/server.c: one handler per message */
int keel_client_write_retry_hello(SSL *s);
int keel_client_read_server_hello(SSL *s, keel_rd *body);
int keel_client_read_encrypted_extensions(SSL *s, keel_rd *body);
int keel_client_read_cert_request(SSL *s, keel_rd *body);
int keel_client_read_certificate(SSL *s, keel_rd *body);
int keel_client_read_cert_verify(SSL *s, keel_rd *body);
int keel_client_read_finished(SSL *s, keel_rd *body);
int keel_client_write_finished(SSL *s);                 /* 0, an alert or KEEL_SUSPEND */
int keel_server_read_client_hello(SSL *s, keel_rd *body);
int keel_server_write_hello(SSL *s);                    /* 0, an alert or KEEL_SUSPEND */
int keel_server_write_flight(SSL *s);
int keel_server_read_certificate(SSL *s, keel_rd *body);
int keel_read_client_certificate(SSL *s, keel_rd *body);
int keel_server_read_finished(SSL *s, keel_rd *body);
/* src/api/client_hello.c: SSL_CTX_set_client_hello_cb's callback; 0, the alert to send or
 * KEEL_SUSPEND (SSL_CLIENT_HELLO_RETRY) */
int keel_call_client_hello_cb(SSL *s, keel_rd msg);

/* tls13/auth.c: messages both roles build / check */
int keel_choose_cert(SSL *s, const keel_certkey **out);
int keel_write_certificate(SSL *s, const keel_certkey *ck);
int keel_read_certificate(SSL *s, keel_rd *body);
int keel_send_signed(SSL *s, int type, const uint8_t *prefix, size_t prefix_len, const uint8_t *tbs,
                     size_t tbs_len);
int keel_write_cert_verify(SSL *s);
int keel_read_cert_verify(SSL *s, keel_rd *body);
int keel_write_finished(SSL *s);
int keel_read_finished(SSL *s, keel_rd *body);
int keel_verify_peer(SSL *s);
int keel_post_handshake(SSL *s, int type, keel_rd *body);
/* tls13/pha.c: post-handshake client authentication (RFC 8446 §4.6.2) */
enum { KEEL_PHA_NONE, KEEL_PHA_PENDING, KEEL_PHA_SENT, KEEL_PHA_CERT, KEEL_PHA_CERT_VRFY };
int keel_write_cert_request(SSL *s);
int keel_pha_send_request(SSL *s);
int keel_pha_server_read(SSL *s, int type, keel_rd *body);
int keel_pha_client_answer(SSL *s, keel_rd *body);
int keel_send_key_update(SSL *s, int request);
/* tls13/early.c: early data (0-RTT) in the handshake; api/early_data.c: the API */
int keel_early_stop(const SSL *s);              /* the handshake pauses here for early data */
int keel_early_app_ok(const SSL *s);            /* an application record now is early data */
int keel_early_received(SSL *s, size_t len);    /* 1, or 0 over the limit (alert sent) */
int keel_early_anti_replay(const SSL *s);       /* single-use tickets (SSL_read_early_data(3)) */
int keel_early_eoed_due(const SSL *s);          /* server: EndOfEarlyData is the next message */
int keel_early_server_flight(SSL *s);           /* server: the early read key after its flight */
int keel_early_client_hello_sent(SSL *s);       /* client: CCS, early write key */
int keel_early_client_hrr(SSL *s);              /* client: back to plaintext for ClientHello 2 */
int keel_early_client_eoed(SSL *s);             /* client: EndOfEarlyData, handshake write key */
int keel_server_read_eoed(SSL *s, keel_rd *body);
int keel_early_seal(SSL *s, const uint8_t *buf, size_t num);
int keel_start(SSL *s);                         /* io.c: the connection state, as a handshake's */
int keel_early_refuses_io(SSL *s, int write);   /* api/early_data.c: 1 with the error raised */

#endif
