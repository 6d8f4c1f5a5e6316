/* Harness: serialized sessions (src/api/sess_asn1.c) on arbitrary bytes.
 *
 * d2i_SSL_SESSION either rejects the input (NULL, a reason on the error stack, *pp untouched) or
 * accepts one session from its start, *pp moved past exactly what it took (as d2i functions do).
 * What it accepts must survive a round trip: i2d_SSL_SESSION re-encodes it into something that
 * decodes again to the same session (every getter agrees), and the second round trip is exact.
 * The first need not be: the encoding is OpenSSL's DER SSL_SESSION, whose reader (like OpenSSL's)
 * skips fields keel has no use for, takes an absent sid_ctx or kex group for an empty one, an
 * absent time for now, and the peer certificate is re-encoded by libcrypto. An accepted session is then put to use: its getters, SSL_SESSION_dup,
 * and a keel client offering it (the ClientHello's pre_shared_key and binder are computed from
 * whatever the session holds). Seeds (corpus/sessions/) are real keel sessions and damaged copies. */
#include "fixture.h"

#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    keel_fuzz_init();
    return 0;
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_sessions: %s\n", what);
    ERR_print_errors_fp(stderr);
    abort();
}

/* i2d of ss; aborts if encoding an accepted session fails. The caller frees with OPENSSL_free. */
static int encode(const SSL_SESSION *ss, unsigned char **der)
{
    *der = NULL;
    int n = i2d_SSL_SESSION(ss, der);
    if (n <= 0 || *der == NULL)
        fail("i2d_SSL_SESSION failed on a session d2i_SSL_SESSION accepted");
    if (i2d_SSL_SESSION(ss, NULL) != n)
        fail("i2d_SSL_SESSION(NULL) and i2d_SSL_SESSION(&p) disagree on the length");
    return n;
}

static int same_bytes(const unsigned char *a, size_t na, const unsigned char *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

/* Everything a getter shows of a and b agrees. */
static int same(SSL_SESSION *a, SSL_SESSION *b)
{
    const unsigned char *pa, *pb;
    unsigned int ua, ub;
    size_t la, lb;
    unsigned char ka[64], kb[64];
    const char *ha = SSL_SESSION_get0_hostname(a), *hb = SSL_SESSION_get0_hostname(b);
    X509 *xa = SSL_SESSION_get0_peer(a), *xb = SSL_SESSION_get0_peer(b);

    if (SSL_SESSION_get_protocol_version(a) != SSL_SESSION_get_protocol_version(b)
            || SSL_SESSION_get0_cipher(a) != SSL_SESSION_get0_cipher(b)
            || SSL_SESSION_get_time(a) != SSL_SESSION_get_time(b)
            || SSL_SESSION_get_timeout(a) != SSL_SESSION_get_timeout(b)
            || SSL_SESSION_get_ticket_lifetime_hint(a) != SSL_SESSION_get_ticket_lifetime_hint(b)
            || SSL_SESSION_get_max_early_data(a) != SSL_SESSION_get_max_early_data(b)
            || SSL_SESSION_is_resumable(a) != SSL_SESSION_is_resumable(b)
            || (ha == NULL) != (hb == NULL) || (ha != NULL && strcmp(ha, hb) != 0)
            || (xa == NULL) != (xb == NULL) || (xa != NULL && X509_cmp(xa, xb) != 0))
        return 0;
    pa = SSL_SESSION_get_id(a, &ua);
    pb = SSL_SESSION_get_id(b, &ub);
    if (!same_bytes(pa, ua, pb, ub))
        return 0;
    pa = SSL_SESSION_get0_id_context(a, &ua);
    pb = SSL_SESSION_get0_id_context(b, &ub);
    if (!same_bytes(pa, ua, pb, ub))
        return 0;
    la = SSL_SESSION_get_master_key(a, ka, sizeof(ka));
    lb = SSL_SESSION_get_master_key(b, kb, sizeof(kb));
    if (!same_bytes(ka, la, kb, lb))
        return 0;
    SSL_SESSION_get0_ticket(a, &pa, &la);
    SSL_SESSION_get0_ticket(b, &pb, &lb);
    if (!same_bytes(pa, la, pb, lb))
        return 0;
    SSL_SESSION_get0_alpn_selected(a, &pa, &la);
    SSL_SESSION_get0_alpn_selected(b, &pb, &lb);
    return same_bytes(pa, la, pb, lb);
}

static void use(SSL_SESSION *ss)
{
    unsigned int n;
    size_t len;
    const unsigned char *p;
    unsigned char mk[64];

    (void)SSL_SESSION_get_time(ss);
    (void)SSL_SESSION_get_timeout(ss);
    (void)SSL_SESSION_is_resumable(ss);
    (void)SSL_SESSION_has_ticket(ss);
    (void)SSL_SESSION_get_protocol_version(ss);
    (void)SSL_SESSION_get_ticket_lifetime_hint(ss);
    (void)SSL_SESSION_get0_cipher(ss);
    if ((p = SSL_SESSION_get_id(ss, &n)) == NULL && n != 0)
        fail("SSL_SESSION_get_id");
    const char *host = SSL_SESSION_get0_hostname(ss);
    if (host != NULL)
        (void)strlen(host);
    SSL_SESSION_get0_alpn_selected(ss, &p, &len);
    SSL_SESSION_get0_ticket(ss, &p, &len);
    if (SSL_SESSION_get_master_key(ss, mk, sizeof(mk)) > sizeof(mk))
        fail("SSL_SESSION_get_master_key overran");

    SSL_SESSION *d = SSL_SESSION_dup(ss);
    if (d != NULL) {
        unsigned char *a, *b;
        int na = encode(ss, &a), nb = encode(d, &b);
        if (na != nb || memcmp(a, b, (size_t)na) != 0)
            fail("SSL_SESSION_dup changed the session");
        OPENSSL_free(a);
        OPENSSL_free(b);
        SSL_SESSION_free(d);
    }

    /* Offered by a client: the first flight must come out or fail cleanly. */
    BIO *in, *out;
    keel_fuzz_rand_reset(KEEL_FUZZ_CLIENT);
    SSL *s = keel_fuzz_ssl(keel_fuzz_client_ctx(KEEL_FUZZ_CLI_DEFAULT), 0, &in, &out);
    if (SSL_set_session(s, ss)) {
        int r = SSL_do_handshake(s);
        if (r > 0 || (SSL_get_error(s, r) != SSL_ERROR_WANT_READ && ERR_peek_error() == 0))
            fail("a client offering the session neither waited for the server nor failed with a reason");
    }
    SSL_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    const unsigned char *p = data;

    ERR_clear_error();
    if (len == 0 || len > (size_t)0x7fffffff)
        return 0;
    SSL_SESSION *ss = d2i_SSL_SESSION(NULL, &p, (long)len);
    if (ss == NULL) {
        if (p != data)
            fail("a rejected input moved *pp");
        if (ERR_peek_error() == 0)
            fail("d2i_SSL_SESSION failed without a reason on the error stack");
        ERR_clear_error();
        return 0;
    }
    if (p <= data || p > data + len)
        fail("d2i_SSL_SESSION accepted the input but moved *pp outside it");
    len = (size_t)(p - data); /* what the session was decoded from */

    unsigned char *der;
    int n = encode(ss, &der);

    const unsigned char *q = der;
    SSL_SESSION *again = d2i_SSL_SESSION(NULL, &q, n);
    if (again == NULL || q != der + n)
        fail("d2i_SSL_SESSION rejected what i2d_SSL_SESSION wrote");
    if (!same(ss, again))
        fail("the first round trip changed the session");
    unsigned char *der2;
    int n2 = encode(again, &der2);
    if (n2 != n || memcmp(der, der2, (size_t)n) != 0)
        fail("the second round trip changed the encoding");
    OPENSSL_free(der2);
    SSL_SESSION_free(again);
    OPENSSL_free(der);

    use(ss);
    SSL_SESSION_free(ss);
    ERR_clear_error();
    return 0;
}
