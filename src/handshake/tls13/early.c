/* TLS 1.3 early data (0-RTT) in the handshake, both roles: RFC 8446 §2.3, §4.2.10 (the early_data
 * extension and the server's choice), §4.5 (EndOfEarlyData), §4.6.1 (max_early_data in tickets),
 * §7.1 (client_early_traffic_secret, early_exporter_master_secret), §8 (replay). What the API
 * does with it is src/api/early_data.c; SSL_read_early_data(3) gives the semantics followed. */
#include "handshake/ext.h"
#include "proto/session.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

/* §8.3: how far the client's view of a ticket's age may lag ours, OpenSSL 3.0's 10 seconds (its
 * own age is also given one second for rounding: ages are kept in seconds on the server). */
#define TICKET_AGE_ALLOWANCE_MS 10000u
/* What AEAD protection may add to a record's early data (§5.2: ciphertext up to 2^14 + 256), the
 * allowance a server that skips early records it cannot read gives over recv_max_early_data. */
#define SKIP_OVERHEAD 256u

/* ---- the extension (ext.c's table) ---- */

/* ClientHello: empty (§4.2.10); never in a second ClientHello ("A client MUST NOT include the
 * early_data extension in its followup ClientHello"). */
int keel_ext_early_ch(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    if (!keel_rd_done(d)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
        *alert = SSL_AD_DECODE_ERROR;
        return 0;
    }
    if (s->conn->hs != NULL && s->conn->hs->hrr) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
        *alert = SSL_AD_ILLEGAL_PARAMETER;
        return 0;
    }
    h->early_data = 1;
    return 1;
}

/* EncryptedExtensions: empty; NewSessionTicket: uint32 max_early_data_size. */
int keel_ext_early_peer(SSL *s, keel_hello *h, keel_rd *d, int *alert)
{
    if (h->msg == KEEL_MSG_NST) {
        uint32_t v;
        if (!keel_rd_u32(d, &v) || !keel_rd_done(d)) {
            ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_MAX_EARLY_DATA);
            *alert = SSL_AD_DECODE_ERROR;
            return 0;
        }
        h->max_early_data = v;
        return 1;
    }
    if (!keel_rd_done(d)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EXTENSION);
        *alert = SSL_AD_DECODE_ERROR;
        return 0;
    }
    h->early_data = 1;
    return 1;
}

/* Server: EncryptedExtensions says the early data was accepted (§4.2.10). */
int keel_extw_early_data(SSL *s, keel_wr *w, unsigned msg)
{
    if (msg != KEEL_MSG_EE || s->conn->early.status != SSL_EARLY_DATA_ACCEPTED)
        return 0;
    keel_wr_u16(w, TLSEXT_TYPE_early_data);
    keel_wr_u16(w, 0);
    return keel_wr_failed(w) ? -1 : 1;
}

/* Server: a NewSessionTicket's extensions block (with its length): early_data with our
 * max_early_data when it is not 0, as OpenSSL 3.0 sends it (§4.6.1). */
int keel_early_write_nst(SSL *s, keel_wr *w)
{
    size_t e;
    keel_wr_open16(w, &e);
    if (s->s->max_early_data > 0) {
        keel_wr_u16(w, TLSEXT_TYPE_early_data);
        keel_wr_u16(w, 4);
        keel_wr_u32(w, s->s->max_early_data);
    }
    return keel_wr_close(w, e) && !keel_wr_failed(w);
}

/* ---- helpers ---- */

static int same_alpn(const SSL_SESSION *ss, const keel_conn *c)
{
    return ss->alpn_len == c->alpn_len && (c->alpn_len == 0 || memcmp(ss->alpn, c->alpn, c->alpn_len) == 0);
}

/* The early stage's two secrets over the transcript so far (the ClientHello, §7.1), logged. */
static int derive_early(SSL *s, keel_ks *ks, keel_hash_id hash)
{
    keel_conn *c = s->conn;
    uint8_t th[KEEL_HASH_MAX_LEN];
    size_t hl = keel_hash_len(hash);

    if (c->early.exporter == NULL
            && (c->early.exporter = OPENSSL_zalloc(KEEL_SUITE_HASH_MAX)) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return 0;
    }
    if (!keel_transcript_current_with(&c->hs->transcript, hash, NULL, 0, th)
            || !keel_ks_client_early_traffic(ks, th, c->hs->client_early)
            || !keel_ks_early_exporter_master(ks, th, c->early.exporter)) {
        OPENSSL_clear_free(c->early.exporter, KEEL_SUITE_HASH_MAX);
        c->early.exporter = NULL;
        return 0;
    }
    c->early.hash = hash;
    /* in OpenSSL 3.0's order */
    keel_keylog(s, "EARLY_EXPORTER_SECRET", c->early.exporter, hl);
    keel_keylog(s, "CLIENT_EARLY_TRAFFIC_SECRET", c->hs->client_early, hl);
    return 1;
}

/* SSL_read_early_data(3), REPLAY PROTECTION: with max_early_data set and SSL_OP_NO_ANTI_REPLAY
 * clear, tickets are stateful (sessions in the internal cache) and each can be used once. */
int keel_early_anti_replay(const SSL *s)
{
    return s->s->max_early_data > 0 && !(s->s->options & SSL_OP_NO_ANTI_REPLAY);
}

/* The driver pauses in TLS_ST_EARLY_DATA for the API: a client once its ClientHello is out
 * (SSL_write_early_data's SSL_connect returns 1), a server once its flight is (SSL_accept in
 * SSL_read_early_data returns 1), as OpenSSL's state machine does. */
int keel_early_stop(const SSL *s)
{
    const keel_early *e = &s->conn->early;
    return s->state == TLS_ST_EARLY_DATA
        && (s->server ? e->state == KEEL_ED_ACCEPTING : e->state == KEEL_ED_CONNECTING);
}

/* Server: an application_data record now is accepted early data, which SSL_read_early_data (or
 * SSL_read) takes; anywhere else in the handshake it is an unexpected record. */
int keel_early_app_ok(const SSL *s)
{
    const keel_conn *c = s->conn;
    return keel_early_eoed_due(s) && s->state == TLS_ST_EARLY_DATA && c->hs_len == 0
        && (c->early.reading || c->in_read);
}

/* Server: len more bytes of early data arrived. Beyond the limit: unexpected_message (as OpenSSL
 * 3.0 reports it, SSL_R_TOO_MUCH_EARLY_DATA; RFC 8446 §4.2.10). */
int keel_early_received(SSL *s, size_t len)
{
    keel_early *e = &s->conn->early;
    if (len > e->limit - e->count) {
        ERR_raise(ERR_LIB_SSL, SSL_R_TOO_MUCH_EARLY_DATA);
        keel_fatal(s, SSL_AD_UNEXPECTED_MESSAGE);
        return 0;
    }
    e->count += (uint32_t)len;
    return 1;
}

int keel_early_eoed_due(const SSL *s)
{
    const keel_conn *c = s->conn;
    return s->server && c->early.status == SSL_EARLY_DATA_ACCEPTED && !c->early.eoed;
}

/* ---- server ---- */

/* The PSK of identity `index` was accepted (psk.c): early data is possible only with the first
 * identity (§4.2.10), a session that allows it, and for a ticket a fresh age (§8.3: the
 * client's age, obf_age less ticket_age_add, within the window of ours). */
void keel_early_psk_taken(SSL *s, const SSL_SESSION *ss, size_t index, uint32_t obf_age, int external)
{
    keel_early *e = &s->conn->early;
    time_t now = time(NULL);

    e->ok = 0;
    if (index != 0 || ss->max_early_data == 0)
        return;
    if (external) {
        e->ok = 1;
        return;
    }
    if (now < ss->time)
        return;
    uint64_t ours = (uint64_t)(now - ss->time) * 1000u;
    uint64_t theirs = (uint32_t)(obf_age - ss->ticket_age_add);
    e->ok = theirs <= ours + 1000u && theirs + TICKET_AGE_ALLOWANCE_MS >= ours + 1000u;
}

/* After ClientHello 1 is in the transcript: accept or reject the early data it announced. Accepted
 * only when everything RFC 8446 §4.2.10 and SSL_read_early_data(3) ask holds: our max_early_data
 * is set, the application reads early data (SSL_read_early_data), a PSK of the first identity
 * was taken and allows it (fresh, single use: psk.c), no HelloRetryRequest follows, the suite
 * and ALPN are the session's, and the allow_early_data callback agrees. Rejected early records
 * are skipped by the record engine up to recv_max_early_data. 0 or the alert. */
int keel_early_server_decide(SSL *s, const keel_hello *h)
{
    keel_conn *c = s->conn;
    keel_early *e = &c->early;
    const SSL_SESSION *ss = s->session;

    if (!h->early_data)
        return 0;
    int hrr_next = c->hs->peer_share == NULL && !c->hs->psk_ke;
    int accept = s->s->max_early_data > 0 && c->resumed && e->state == KEEL_ED_ACCEPTING && e->ok
        && !hrr_next && ss != NULL && ss->max_early_data > 0 && ss->cipher == c->cipher
        && same_alpn(ss, c);
    if (accept && s->s->allow_early_data_cb != NULL) {
        keel_set_state(s, TLS_ST_SR_CLNT_HELLO); /* where OpenSSL's server calls it */
        accept = s->s->allow_early_data_cb(s, s->s->allow_early_data_arg) != 0;
    }
    if (!accept) {
        /* In 64 bits: recv_max_early_data up to 2^32 - 1 plus the overhead wraps a 32-bit size_t. */
        uint64_t budget = (uint64_t)s->s->recv_max_early_data + SKIP_OVERHEAD;
        e->status = SSL_EARLY_DATA_REJECTED;
        keel_rl_skip_early(&c->rl, budget > SIZE_MAX ? SIZE_MAX : (size_t)budget);
        return 0;
    }
    e->status = SSL_EARLY_DATA_ACCEPTED;
    e->limit = s->s->recv_max_early_data < ss->max_early_data ? s->s->recv_max_early_data : ss->max_early_data;
    e->count = 0;
    return derive_early(s, &c->hs->ks, c->cipher->hash) ? 0 : SSL_AD_INTERNAL_ERROR;
}

/* After the server's Finished: accepted early data is read under the client's early key until
 * EndOfEarlyData (§2.3 Figure 4). */
int keel_early_server_flight(SSL *s)
{
    keel_conn *c = s->conn;
    if (c->early.status != SSL_EARLY_DATA_ACCEPTED)
        return 1;
    return keel_set_early_key(s, KEEL_RL_READ, c->cipher, c->hs->client_early);
}

/* EndOfEarlyData (§4.5): empty (a body is a message too long for its type, illegal_parameter,
 * as OpenSSL 3.0 reports it); from here on the client's handshake key. */
int keel_server_read_eoed(SSL *s, keel_rd *body)
{
    keel_conn *c = s->conn;
    if (!keel_rd_done(body)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_EXCESSIVE_MESSAGE_SIZE);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    c->early.eoed = 1;
    if (!keel_hs_hash_current(s) || !keel_set_traffic_key(s, KEEL_RL_READ, c->hs->client_hs))
        return SSL_AD_INTERNAL_ERROR;
    /* Logged at installation, as OpenSSL 3.0 logs it (keel_keylog_hs held it back). */
    keel_keylog_hs(s, 0, 1);
    return 0;
}

/* ---- client ---- */

/* The session early data goes under, as OpenSSL 3.0's client chooses it: the resumption session
 * if it allows early data, else the external PSK's (SSL_CTX_set_psk_use_session_callback(3)).
 * Once offered, the one that was chosen. */
static const SSL_SESSION *early_session(const keel_conn *c)
{
    const keel_hs *hs = c->hs;
    if (c->early.offered)
        return c->early.external ? hs->ext_psk : hs->psk_offered;
    if (hs->psk_offered != NULL && hs->psk_offered->max_early_data > 0)
        return hs->psk_offered;
    return hs->ext_psk;
}

/* ClientHello 1, before pre_shared_key: early_data when SSL_write_early_data drives the handshake
 * and the resumption session offered allows it. As OpenSSL 3.0's client, a session whose SNI or
 * ALPN this connection would not offer the same way is an error (internal_error). 1, or 0. */
int keel_early_write_ch(SSL *s, keel_wr *w)
{
    keel_conn *c = s->conn;
    const SSL_SESSION *ss = s->server ? NULL : early_session(c);

    if (s->server || c->early.state != KEEL_ED_CONNECTING || c->hs->hrr || ss == NULL
            || ss->max_early_data == 0)
        return 1;
    if (ss->hostname != NULL && (s->hostname == NULL || strcmp(ss->hostname, s->hostname) != 0)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INCONSISTENT_EARLY_DATA_SNI);
        return 0;
    }
    if (ss->alpn_len > 0) {
        int found = 0;
        keel_rd list;
        keel_rd_init(&list, s->s->alpn, s->s->alpn != NULL ? s->s->alpn_len : 0);
        while (!found && !keel_rd_done(&list)) {
            keel_rd p;
            if (!keel_rd_prefixed8(&list, &p))
                break;
            found = p.len == ss->alpn_len && memcmp(p.p, ss->alpn, p.len) == 0;
        }
        if (!found) {
            ERR_raise(ERR_LIB_SSL, SSL_R_INCONSISTENT_EARLY_DATA_ALPN);
            return 0;
        }
    }
    keel_wr_u16(w, TLSEXT_TYPE_early_data);
    keel_wr_u16(w, 0);
    c->hs->ext_offered |= keel_ext_bit(TLSEXT_TYPE_early_data);
    c->early.external = ss != c->hs->psk_offered;
    c->early.offered = 1;
    c->early.status = SSL_EARLY_DATA_REJECTED; /* until EncryptedExtensions says otherwise */
    c->early.limit = ss->max_early_data;
    c->early.count = 0;
    return !keel_wr_failed(w);
}

/* ClientHello 1 is out: with early data, the compatibility change_cipher_spec now (it precedes
 * the early records, RFC 8446 §D.4) and the early write key; then the pause in TLS_ST_EARLY_DATA
 * for SSL_write_early_data. */
int keel_early_client_hello_sent(SSL *s)
{
    keel_conn *c = s->conn;
    const SSL_SESSION *ss = early_session(c);

    if (c->early.offered) {
        /* On the handshake's schedule if its binder left it at this PSK's early stage. */
        keel_ks ks = { 0 };
        int held = c->hs->ks_psk == ss && c->hs->ks.stage == KEEL_KS_EARLY;
        int ok = held ? derive_early(s, &c->hs->ks, ss->cipher->hash)
            : keel_ks_init(&ks, s->ctx->algs, ss->cipher->hash)
                && keel_ks_early(&ks, ss->master_key, ss->master_key_len)
                && derive_early(s, &ks, ss->cipher->hash);
        keel_ks_cleanup(&ks);
        if (!ok || !keel_write_ccs(s)
                || !keel_set_early_key(s, KEEL_RL_WRITE, ss->cipher, c->hs->client_early))
            return 0;
    }
    if (c->early.state == KEEL_ED_CONNECTING)
        keel_step(s, TLS_ST_EARLY_DATA);
    return 1;
}

/* A HelloRetryRequest: the early data is rejected; ClientHello 2 goes out in plaintext (the
 * handshake write key still waits for keel_early_client_eoed). */
int keel_early_client_hrr(SSL *s)
{
    keel_early *e = &s->conn->early;
    if (e->state == KEEL_ED_CONNECTING || e->state == KEEL_ED_WRITING)
        e->state = KEEL_ED_FINISHED;
    if (!e->offered)
        return 1;
    return keel_set_early_key(s, KEEL_RL_WRITE, NULL, NULL);
}

/* EncryptedExtensions (after keel_ext_parse): the server's acceptance must be one it could give:
 * our first identity taken, its suite and ALPN (RFC 8446 §4.2.10); else illegal_parameter,
 * SSL_R_BAD_EARLY_DATA, as OpenSSL's client. 0 or the alert. */
int keel_early_client_ee(SSL *s, const keel_hello *h)
{
    keel_conn *c = s->conn;
    const SSL_SESSION *ss = early_session(c);

    if (!h->early_data)
        return 0;
    /* The identity the server took must be the one the early data is under (the first, §4.2.10). */
    if (!c->early.offered || c->hs->hrr || !c->resumed || c->hs->psk_external != c->early.external
            || ss == NULL
            || ss->cipher != c->cipher || !same_alpn(ss, c)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_EARLY_DATA);
        return SSL_AD_ILLEGAL_PARAMETER;
    }
    c->early.status = SSL_EARLY_DATA_ACCEPTED;
    return 0;
}

/* Before the client's second flight: EndOfEarlyData under the early key if the server accepted
 * (§4.5), then the handshake write key, which early data kept out until now. */
int keel_early_client_eoed(SSL *s)
{
    keel_conn *c = s->conn;
    if (!c->early.offered)
        return 1;
    if (c->early.state == KEEL_ED_WRITING || c->early.state == KEEL_ED_CONNECTING)
        c->early.state = KEEL_ED_FINISHED;
    keel_step(s, TLS_ST_PENDING_EARLY_DATA_END); /* as OpenSSL's client reports it */
    if (c->early.status == SSL_EARLY_DATA_ACCEPTED) {
        uint8_t msg[4];
        keel_wr w;
        keel_wr_init_fixed(&w, msg, sizeof(msg));
        keel_wr_u8(&w, SSL3_MT_END_OF_EARLY_DATA);
        keel_wr_u24(&w, 0);
        keel_step(s, TLS_ST_CW_END_OF_EARLY_DATA);
        if (!keel_write_hs(s, &w))
            return 0;
        keel_keylog_hs(s, 0, 1); /* OpenSSL 3.0 takes the handshake key here */
    }
    c->early.offered = 0;
    return keel_set_traffic_key(s, KEEL_RL_WRITE, c->hs->client_hs);
}

/* Application data records of early data (client) or 0.5-RTT data (server) under the current
 * write key, queued for the caller's flush. A client is held to the session's max_early_data:
 * beyond it the connection fails (internal_error, SSL_R_TOO_MUCH_EARLY_DATA, as OpenSSL). */
int keel_early_seal(SSL *s, const uint8_t *buf, size_t num)
{
    keel_conn *c = s->conn;
    if (c->fatal || (s->shutdown & SSL_SENT_SHUTDOWN)) {
        ERR_raise(ERR_LIB_SSL, SSL_R_PROTOCOL_IS_SHUTDOWN);
        return 0;
    }
    if (!s->server) {
        if (num > c->early.limit - c->early.count) {
            ERR_raise(ERR_LIB_SSL, SSL_R_TOO_MUCH_EARLY_DATA);
            keel_fatal(s, SSL_AD_INTERNAL_ERROR);
            return 0;
        }
        c->early.count += (uint32_t)num;
    }
    size_t max = keel_send_limit(s);
    for (size_t done = 0; done < num;) {
        size_t n = num - done < max ? num - done : max;
        if (!keel_rl_seal_pad(&c->rl, SSL3_RT_APPLICATION_DATA, buf + done, n,
                              keel_record_padding(s, SSL3_RT_APPLICATION_DATA, n))) {
            c->fatal = 1;
            return 0;
        }
        done += n;
    }
    return 1;
}
