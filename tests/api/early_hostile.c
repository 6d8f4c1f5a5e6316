/* Hostile clients of a server reading TLS 1.3 early data (RFC 8446 §4.2.10, §4.5): a real keel
 * (or, as sys_early_hostile, OpenSSL) client resumes with early data; its second flight
 * (EndOfEarlyData under the early key, Finished under the handshake key) is taken apart with the
 * key log's secrets and replaced by a crafted one. The server must fail with SSL_ERROR_SSL,
 * OpenSSL 3.0's reason, and the alert as its last record (read back under its application key).
 * Built against the system libssl too: the same expectations hold there. */
#include "malformed.h"

typedef struct {
    const char *name;
    int reject;                 /* the server's allow_early_data callback refuses */
    void (*craft)(buf *out, prot *early, prot *hs, const rawrec *eoed, const rawrec *fin);
    int alert, reason;
} ed_case;

static int allow_no(SSL *s, void *arg) { return 0; }

static void put_rec(buf *out, const rawrec *r)
{
    if (r != NULL)
        b_put(out, r->rec, r->len);
}

static void c_eoed_body(buf *out, prot *early, prot *hs, const rawrec *eoed, const rawrec *fin)
{
    static const uint8_t m[] = { SSL3_MT_END_OF_EARLY_DATA, 0, 0, 1, 0 };
    seal_record(early, out, 22, m, sizeof(m), 0);
    put_rec(out, fin);
}

static void c_no_eoed(buf *out, prot *early, prot *hs, const rawrec *eoed, const rawrec *fin)
{
    put_rec(out, fin);
}

static void c_data_after_eoed(buf *out, prot *early, prot *hs, const rawrec *eoed, const rawrec *fin)
{
    put_rec(out, eoed);
    early->seq++;
    seal_record(early, out, 23, "late", 4, 0);
}

static void c_app_data_hs_key(buf *out, prot *early, prot *hs, const rawrec *eoed, const rawrec *fin)
{
    put_rec(out, eoed);
    seal_record(hs, out, 23, "late", 4, 0);
}

static void c_eoed_twice(buf *out, prot *early, prot *hs, const rawrec *eoed, const rawrec *fin)
{
    static const uint8_t m[] = { SSL3_MT_END_OF_EARLY_DATA, 0, 0, 0 };
    put_rec(out, eoed);
    seal_record(hs, out, 22, m, sizeof(m), 0);
}

static void c_eoed_not_accepted(buf *out, prot *early, prot *hs, const rawrec *eoed, const rawrec *fin)
{
    static const uint8_t m[] = { SSL3_MT_END_OF_EARLY_DATA, 0, 0, 0 };
    seal_record(hs, out, 22, m, sizeof(m), 0);
}

#define AD(x) SSL_AD_##x
#define R(x) SSL_R_##x
static const ed_case cases[] = {
    /* as OpenSSL 3.0 bounds each message's size: EndOfEarlyData has none */
    { "eoed_with_body", 0, c_eoed_body, AD(ILLEGAL_PARAMETER), R(EXCESSIVE_MESSAGE_SIZE) },
    { "finished_without_eoed", 0, c_no_eoed, AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC) },
    { "early_data_after_eoed", 0, c_data_after_eoed, AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC) },
    { "app_data_before_finished", 0, c_app_data_hs_key, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_RECORD) },
    { "eoed_twice", 0, c_eoed_twice, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
    { "eoed_not_accepted", 1, c_eoed_not_accepted, AD(UNEXPECTED_MESSAGE), R(UNEXPECTED_MESSAGE) },
};

static SSL_SESSION *first_session(void)
{
    return keel_test_ticket_session(mf_cctx, mf_sctx);
}

static void ed_run_case(const ed_case *t)
{
    SSL *c, *s;
    SSL_SESSION *sess;
    size_t n, w;
    char got[64];
    int r = 0, ok = 1;
    static uint8_t raw[20000];

    nkeys = 0;
    SSL_CTX_set_allow_early_data_cb(mf_sctx, t->reject ? allow_no : NULL, NULL);
    sess = first_session();
    CHECK(sess != NULL);
    nkeys = 0; /* the next SSLs may have the addresses of the first session's */
    CHECK(keel_test_pair(mf_cctx, mf_sctx, &c, &s));
    CHECK(SSL_set_session(c, sess));
    CHECK_EQ(SSL_write_early_data(c, "hi", 2, &w), 1);
    /* The server reads the early data (or skips it, rejected) before the client's flight. */
    for (int i = 0; i < 5; i++) {
        r = SSL_read_early_data(s, got, sizeof(got), &n);
        if (r != SSL_READ_EARLY_DATA_ERROR)
            break;
    }
    CHECK_EQ(r, t->reject ? SSL_READ_EARLY_DATA_FINISH : SSL_READ_EARLY_DATA_SUCCESS);
    if (t->reject)
        CHECK(SSL_do_handshake(s) <= 0);
    CHECK_EQ(SSL_do_handshake(c), 1);
    /* The client's second flight, out of the pair before the server sees it. */
    int len = BIO_read(SSL_get_rbio(s), raw, sizeof(raw));
    CHECK(len > 0);
    rawrec recs[8];
    size_t nr = split_records(raw, len > 0 ? (size_t)len : 0, recs, 8);
    prot early, hs;
    ok = prot_init(&early, secret_of(c, "CLIENT_EARLY_TRAFFIC_SECRET"))
        && prot_init(&hs, secret_of(c, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"));
    CHECK(ok);
    early.seq = 1; /* after the early data record */
    const rawrec *eoed = t->reject ? NULL : &recs[0], *fin = &recs[t->reject ? 0 : 1];
    CHECK(nr == (t->reject ? 1u : 2u));
    buf out = { 0 };
    if (ok && nr >= 1) {
        t->craft(&out, &early, &hs, eoed, fin);
        CHECK_EQ(BIO_write(SSL_get_wbio(c), out.p, (int)out.n), (int)out.n);
    }
    b_free(&out);
    /* The server fails, with OpenSSL's reason. */
    int err = 0;
    ERR_clear_error();
    for (int i = 0; i < 5 && err != SSL_ERROR_SSL; i++) {
        if (t->reject) {
            r = SSL_do_handshake(s);
            err = SSL_get_error(s, r);
        } else {
            r = SSL_read_early_data(s, got, sizeof(got), &n);
            err = r == SSL_READ_EARLY_DATA_ERROR ? SSL_get_error(s, 0) : 0;
            if (r == SSL_READ_EARLY_DATA_FINISH) {
                r = SSL_do_handshake(s);
                err = SSL_get_error(s, r);
            }
        }
    }
    int reason = ERR_GET_REASON(ERR_peek_last_error());
    if (err != SSL_ERROR_SSL || reason != t->reason) {
        fprintf(stderr, "%s: error %d reason %d (%s), expected %d\n", t->name, err, reason,
                ERR_reason_error_string(ERR_peek_last_error()), t->reason);
        mf_failures++;
    }
    /* ... and its alert is the last record it wrote, under its application key (it has written
     * nothing else under it). */
    len = BIO_read(SSL_get_rbio(c), raw, sizeof(raw));
    nr = split_records(raw, len > 0 ? (size_t)len : 0, recs, 8);
    prot sap;
    uint8_t type = 0, pt[64];
    size_t plen = 0;
    int alert = -1;
    if (nr > 0 && prot_init(&sap, secret_of(s, "SERVER_TRAFFIC_SECRET_0"))
            && open_record(&sap, 0, recs[nr - 1].rec, recs[nr - 1].len, &type, pt, &plen)
            && type == 21 && plen == 2 && pt[0] == 2)
        alert = pt[1];
    if (alert != t->alert) {
        fprintf(stderr, "%s: alert %d, expected %d\n", t->name, alert, t->alert);
        mf_failures++;
    }
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    SSL_SESSION_free(sess);
}

int main(void)
{
    CHECK(keel_test_make_chain(&mf_chain, KT_EC_P256, "localhost", 30));
    mf_sctx = keel_test_server_ctx(&mf_chain);
    mf_cctx = keel_test_client_ctx(&mf_chain);
    CHECK(SSL_CTX_set_ciphersuites(mf_sctx, "TLS_AES_128_GCM_SHA256"));
    CHECK(SSL_CTX_set_ciphersuites(mf_cctx, "TLS_AES_128_GCM_SHA256"));
    CHECK(SSL_CTX_set_max_early_data(mf_sctx, 16384));
    SSL_CTX_set_keylog_callback(mf_sctx, keylog);
    SSL_CTX_set_keylog_callback(mf_cctx, keylog);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ed_run_case(&cases[i]);
    printf("early_hostile: %zu cases, %d failure(s)\n", sizeof(cases) / sizeof(cases[0]), mf_failures);
    if (mf_failures)
        keel_test_failures++;
    SSL_CTX_free(mf_sctx);
    SSL_CTX_free(mf_cctx);
    keel_test_chain_free(&mf_chain);
    return keel_test_finish("early_hostile");
}
