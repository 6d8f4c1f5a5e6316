/* TLS 1.2 (RFC 5246) with AEAD suites (RFC 5288, RFC 7905), ECDHE (RFC 8422), the extended master
 * secret (RFC 7627), secure renegotiation's indication (RFC 5746) and tickets (RFC 5077). What both
 * roles share; the roles' handlers are in client.c and server.c, the table in table.c. */
#ifndef KEEL_TLS12_H
#define KEEL_TLS12_H
#include "handshake/hs.h"
#include "handshake/ext.h"

#define KEEL12_MASTER_LEN 48          /* RFC 5246 §8.1 */
#define KEEL12_VERIFY_LEN 12          /* RFC 5246 §7.4.9 */

/* RFC 8446 §4.1.3: the last 8 bytes of a TLS 1.3-capable server's random when it negotiates
 * TLS 1.2 ("DOWNGRD" 01). */
extern const uint8_t keel12_downgrade[8];

/* keys.c */
int keel_tls12_allowed(const keel_settings *st);
/* The master secret from the premaster secret (RFC 5246 §8.1; with c->ems, RFC 7627 §4 over the
 * transcript so far, which must end with ClientKeyExchange). Writes c->master and the key log's
 * CLIENT_RANDOM line. */
int keel12_master_secret(SSL *s, const uint8_t *pms, size_t pms_len);
/* At ChangeCipherSpec: the direction's key and IV from the key block (RFC 5246 §6.3), installed
 * by the one key-install function (sequence number 0). */
int keel12_change_key(SSL *s, int dir);
/* Finished (RFC 5246 §7.4.9) over the transcript so far. The write also records SSL_get_finished's
 * copy; the read compares in constant time and records SSL_get_peer_finished's. */
int keel12_write_finished(SSL *s);
int keel12_read_finished(SSL *s, keel_rd *body);
/* ChangeCipherSpec: writes the record, then switches the write key / the pseudo-message's handler
 * (KEEL_MT_CCS) switches the read key. */
int keel12_write_ccs(SSL *s);
int keel12_read_ccs(SSL *s, keel_rd *body);
/* RFC 5705 exporter (SSL_export_keying_material(3)). */
int keel12_export(SSL *s, uint8_t *out, size_t out_len, const char *label, size_t label_len,
                  const uint8_t *context, size_t context_len, int use_context);

/* kx.c: the key exchange by the suite's kind (SSL_CIPHER_get_kx_nid) */
enum { KEEL12_SKE_NONE, KEEL12_SKE_REQUIRED, KEEL12_SKE_OPTIONAL };
int keel12_kx_ske(const SSL_CIPHER *cs);          /* whether a ServerKeyExchange comes */
int keel12_kx_server_cert(const SSL_CIPHER *cs);  /* whether the server sends a Certificate */
int keel12_set_pms(SSL *s, const uint8_t *pms, size_t len);   /* c->hs->pms := a copy; 1 / 0 */
/* A signed ServerKeyExchange (RFC 5246 §7.4.3): the params (from the message's start to the
 * cursor), then scheme and signature; parse checks syntax only (1 / 0, the caller's decode
 * error), check the scheme (0 or the alert), verify the signature over the randoms and params
 * (0 or the alert; records SSL_get_peer_signature_nid's scheme). */
typedef struct {
    const uint8_t *params;
    size_t params_len;
    uint32_t scheme;
    keel_rd sig;
} keel12_ske_sig;
int keel12_ske_signature_parse(const keel_rd *start, keel_rd *body, keel12_ske_sig *sig);
int keel12_ske_signature_check(SSL *s, const keel12_ske_sig *sig);
int keel12_ske_signature_verify(SSL *s, const keel12_ske_sig *sig);
/* server: the kind can serve this client (records e.g. the group); prepare once the suite is
 * chosen (0 or the alert); write the ServerKeyExchange if the kind has one (1 / 0); read the
 * ClientKeyExchange (table handler, makes the master secret) */
int keel12_server_kx_usable(SSL *s, const SSL_CIPHER *cs);
int keel12_server_kx_prepare(SSL *s);
int keel12_server_write_key_exchange(SSL *s);
int keel12_server_read_key_exchange(SSL *s, keel_rd *body);
/* client: read the ServerKeyExchange (table handler), write the ClientKeyExchange and make the
 * master secret (1 / 0) */
int keel12_client_read_key_exchange(SSL *s, keel_rd *body);
int keel12_client_write_key_exchange(SSL *s);
/* kx_dhe.c, kx_rsa.c: the DHE and RSA kinds' handlers, as kx.c's table takes them */
int keel12_dhe_usable(SSL *s);
int keel12_dhe_prepare(SSL *s);
int keel12_dhe_write_params(SSL *s, keel_wr *w);
int keel12_dhe_read_cke(SSL *s, keel_rd *body);
int keel12_dhe_read_ske(SSL *s, keel_rd *body);
int keel12_dhe_write_cke(SSL *s, keel_wr *w);
int keel12_rsa_read_cke(SSL *s, keel_rd *body);
int keel12_rsa_write_cke(SSL *s, keel_wr *w);

/* kx.c: Z of our key (c->hs->kex) and the peer's public value as the premaster secret (0,
 * illegal_parameter or internal_error); the server's reading of the client's value (0 or the
 * alert: bad key share; the value kept for SSL_get_peer_tmp_key) */
int keel12_kex_pms(SSL *s, keel_rd peer);
int keel12_kex_read_peer(SSL *s, keel_rd peer);
/* kx.c's ECDHE pieces the ECDHE_PSK kind shares: the group choice, the key, ServerECDHParams,
 * the client's check of the server's curve and its premaster secret (c->hs->pms), the
 * ClientKeyExchange both ways */
int keel12_ecdhe_usable(SSL *s);
int keel12_ecdhe_prepare(SSL *s);
int keel12_ecdhe_write_params(SSL *s, keel_wr *w);
int keel12_ecdhe_check_curve(SSL *s, uint32_t type, uint32_t group);   /* client: 0 or the alert */
int keel12_ecdhe_derive(SSL *s, uint32_t group, keel_rd point);
int keel12_ecdhe_read_cke(SSL *s, keel_rd *body);
int keel12_ecdhe_write_cke(SSL *s, keel_wr *w);
/* kx_dhe.c: the client's ServerDHParams, in steps that DHE_PSK shares (kx_psk_dhe_rsa.c): parse
 * (1 / 0), check the group (0 or the alert), Z as the premaster secret (0 or the alert), then take
 * the params (the group and the peer's value recorded) */
typedef struct { keel_rd p, g, ys; } keel12_dh_params;
int keel12_dhe_params_parse(keel_rd *body, keel12_dh_params *dp);
int keel12_dhe_params_check(SSL *s, const keel12_dh_params *dp);
int keel12_dhe_derive(SSL *s, const keel12_dh_params *dp);
void keel12_dhe_take(SSL *s, const keel12_dh_params *dp);
/* kx_psk.c: the PSK kinds' entries of the dispatch (RFC 4279, RFC 5489) */
int keel12_psk_usable(SSL *s);
int keel12_psk_write_params(SSL *s, keel_wr *w);
int keel12_psk_read_cke(SSL *s, keel_rd *body);
int keel12_psk_read_ske(SSL *s, keel_rd *body);
int keel12_psk_write_cke(SSL *s, keel_wr *w);
int keel12_ecdhe_psk_usable(SSL *s);
int keel12_ecdhe_psk_write_params(SSL *s, keel_wr *w);
int keel12_ecdhe_psk_read_cke(SSL *s, keel_rd *body);
int keel12_ecdhe_psk_read_ske(SSL *s, keel_rd *body);
int keel12_ecdhe_psk_write_cke(SSL *s, keel_wr *w);
/* The pieces ECDHE_PSK, DHE_PSK and RSA_PSK share: the ClientKeyExchange's identity and the
 * server callback's key (0 or the alert), the client callback's identity written (1 / 0, an alert
 * sent when it has no key), the ServerKeyExchange's hint read (0 or the alert) and written
 * (always, empty without one: 1 / 0), c->hs->pms wrapped as other_secret with the PSK (1 / 0),
 * and the ClientKeyExchange both ways: the identity, then the other kind's own (`rest`, which
 * leaves its premaster in c->hs->pms), wrapped (0 or the alert / 1 / 0). */
int keel12_psk_read_identity(SSL *s, keel_rd *body, uint8_t psk[PSK_MAX_PSK_LEN], size_t *psk_len);
int keel12_psk_write_identity(SSL *s, keel_wr *w, uint8_t psk[PSK_MAX_PSK_LEN], size_t *psk_len);
int keel12_psk_read_hint(SSL *s, keel_rd *body);
int keel12_psk_write_hint(SSL *s, keel_wr *w);
int keel12_psk_wrap_pms(SSL *s, const uint8_t *psk, size_t psk_len);
int keel12_psk_read_cke_with(SSL *s, keel_rd *body, int (*rest)(SSL *, keel_rd *));
int keel12_psk_write_cke_with(SSL *s, keel_wr *w, int (*rest)(SSL *, keel_wr *));
/* kx_psk_dhe_rsa.c: DHE_PSK (RFC 4279 §3) and RSA_PSK (§4) */
int keel12_dhe_psk_usable(SSL *s);
int keel12_dhe_psk_write_params(SSL *s, keel_wr *w);
int keel12_dhe_psk_read_cke(SSL *s, keel_rd *body);
int keel12_dhe_psk_read_ske(SSL *s, keel_rd *body);
int keel12_dhe_psk_write_cke(SSL *s, keel_wr *w);
int keel12_rsa_psk_read_cke(SSL *s, keel_rd *body);
int keel12_rsa_psk_write_cke(SSL *s, keel_wr *w);
/* Whether the suite's key exchange uses a PSK (any of the four kinds). */
int keel12_kx_is_psk(const SSL_CIPHER *cs);
/* The handshake's PSK identity and hint into the session made for it (1 / 0). */
int keel12_psk_to_session(SSL *s, SSL_SESSION *ss);
/* A PSK key exchange, which a client offers only with a psk_client_callback (as OpenSSL 3.0). */
int keel12_psk_suite_disabled(const SSL *s, const SSL_CIPHER *cs);

/* client.c: one handler per message (table.c); the ServerHello's TLS 1.2 branch, called by the
 * version-independent ServerHello handler (tls13/client.c) with the fixed fields read and h's
 * legacy_version set, body at the extensions block. */
int keel12_client_read_server_hello(SSL *s, keel_hello *h, const uint8_t *random, keel_rd *sid,
                                    uint16_t cipher, uint32_t comp, keel_rd *body);
/* reneg.c: renegotiation (RFC 5746). Whether SSL_renegotiate asked for one that the next
 * SSL_do_handshake / SSL_read / SSL_write starts (keel12_reneg_begin: a new handshake object, in
 * init, state TLS_ST_OK); whether the buffered handshake message is the peer's request (a
 * HelloRequest to a client, a ClientHello to a server) that starts one. */
int keel12_reneg_due(const SSL *s);
int keel12_reneg_message_due(const SSL *s);
int keel12_reneg_begin(SSL *s, int ours);
int keel12_client_hello_request(SSL *s, keel_rd *body);
int keel12_client_write_reneg_hello(SSL *s);
int keel12_reneg_check_server_hello(SSL *s, const keel_hello *h);
int keel12_server_write_hello_request(SSL *s);
int keel12_server_reneg_hello(SSL *s, keel_rd *body);
int keel12_reneg_check_client_hello(SSL *s, const keel_hello *h, int scsv);
int keel12_reneg_same_peer(SSL *s, STACK_OF(X509) *chain);
void keel12_reneg_finish(SSL *s);
/* client_session.c: the session of the handshake (s->session), made when the server's Finished
 * (full) or ours (abbreviated) is through; the table's finish then announces it to the new
 * session callback. */
int keel12_client_make_session(SSL *s);
void keel12_client_finish(SSL *s);
int keel12_client_read_certificate(SSL *s, keel_rd *body);
int keel12_client_read_cert_request(SSL *s, keel_rd *body);
int keel12_client_read_server_done(SSL *s, keel_rd *body);
int keel12_client_choose_cert(SSL *s);     /* 0, an alert or KEEL_SUSPEND; writes nothing */
int keel12_client_write_flight(SSL *s);
int keel12_client_read_ticket(SSL *s, keel_rd *body);
int keel12_client_read_finished(SSL *s, keel_rd *body);
int keel12_client_write_finished(SSL *s);

/* server.c; the TLS 1.3 ClientHello handler hands a TLS 1.2 hello over once the version is
 * chosen (h parsed, the offered suites in c->client_suites). */
int keel12_server_read_hello(SSL *s, keel_hello *h, const uint8_t *random, keel_rd sid, keel_rd comp);
int keel12_server_write_hello(SSL *s);
int keel12_server_read_cert_verify(SSL *s, keel_rd *body);
int keel12_server_write_finished(SSL *s);
int keel12_server_write_resumed(SSL *s);
/* resume.c: session id / ticket resumption (0 or an alert), the full handshake's session, the
 * NewSessionTicket */
int keel12_server_try_resume(SSL *s, keel_hello *h, keel_rd sid);
int keel12_server_new_session(SSL *s);
int keel12_server_write_ticket(SSL *s);
#endif
