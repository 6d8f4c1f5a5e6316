/* Differential probe (tests/diff/run.sh), issue #15: records read from a BIO pair half, where keel
 * opens a whole contiguous record straight from the pair's ring (src/record/read.c read_pair).
 * The probe relays the client's bytes into the server's pair itself, so it can edit them: a tag or
 * ciphertext byte flipped, a length one too long or past the limit, a wrong version, a record in
 * pieces, records that wrap around the ring's end, a KeyUpdate, SSL_peek and SSL_pending,
 * read-ahead. What each SSL_read returns, the reasons, and whether the caller's buffer holds the
 * plaintext of a record that failed. TLS 1.3 and TLS 1.2 AES-GCM; and a TLS 1.2 AES-CCM_8 record
 * with a flipped tag, whose whole error queue (libcrypto's provider error included) is compared. */
#include "probe.h"

static keel_test_chain ec;
static unsigned char src[20000], rec[40000];

typedef struct {
    SSL *c, *s;
    BIO *cb, *ct;   /* the client's pair: its half, the probe's */
    BIO *st, *sb;   /* the server's pair: the probe's half, its */
} relay_t;

static unsigned long sum(const unsigned char *p, int n)
{
    unsigned long h = 2166136261u;
    for (int i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h & 0xffffffffu;
}

/* Both ways, whole: what the client wrote to the server, what the server wrote to the client. */
static void pump(relay_t *r)
{
    unsigned char buf[4096];
    int n;
    while ((n = BIO_read(r->ct, buf, sizeof(buf))) > 0)
        BIO_write(r->st, buf, n);
    while ((n = BIO_read(r->st, buf, sizeof(buf))) > 0)
        BIO_write(r->ct, buf, n);
}

/* What the client wrote, taken out of its pair. */
static int take(relay_t *r)
{
    int n, len = 0;
    while (len < (int)sizeof(rec) && (n = BIO_read(r->ct, rec + len, (int)sizeof(rec) - len)) > 0)
        len += n;
    return len;
}

static void rd(relay_t *r, const char *what, int num, const unsigned char *expect, int elen)
{
    static unsigned char buf[20000];
    memset(buf, 0xcc, sizeof(buf));
    int n = SSL_read(r->s, buf, num);
    printf("  %s: read(%d) = %d sum %08lx (%s), pending %d has_pending %d, buffer %s\n", what, num, n,
           n > 0 ? sum(buf, n) : 0, errname(SSL_get_error(r->s, n)), SSL_pending(r->s),
           SSL_has_pending(r->s),
           expect != NULL && elen <= num && memcmp(buf, expect, (size_t)elen) == 0 ? "holds the plaintext"
                                                                                  : "no plaintext");
    errs();
}

static int mk_relay_with(relay_t *r, int version, size_t spair, const char *suites12)
{
    SSL_CTX *cc = keel_test_client_ctx(&ec), *sc = keel_test_server_ctx(&ec);
    SSL_CTX_set_min_proto_version(cc, version);
    SSL_CTX_set_max_proto_version(cc, version);
    SSL_CTX_set_ciphersuites(cc, "TLS_AES_128_GCM_SHA256");
    SSL_CTX_set_cipher_list(cc, suites12);
    SSL_CTX_set_cipher_list(sc, suites12);
    SSL_CTX_set_num_tickets(sc, 0);
    r->c = SSL_new(cc);
    r->s = SSL_new(sc);
    SSL_CTX_free(cc);
    SSL_CTX_free(sc);
    if (r->c == NULL || r->s == NULL || !BIO_new_bio_pair(&r->cb, 0, &r->ct, 0)
            || !BIO_new_bio_pair(&r->st, spair, &r->sb, spair))
        return 0;
    SSL_set_bio(r->c, r->cb, r->cb);
    SSL_set_bio(r->s, r->sb, r->sb);
    SSL_set_connect_state(r->c);
    SSL_set_accept_state(r->s);
    SSL_set1_host(r->c, "server.test");
    int cd = 0, sd = 0;
    for (int i = 0; i < 100 && !(cd && sd); i++) {
        if (!cd && SSL_do_handshake(r->c) == 1)
            cd = 1;
        pump(r);
        if (!sd && SSL_do_handshake(r->s) == 1)
            sd = 1;
        pump(r);
    }
    ERR_clear_error();
    return cd && sd;
}

static int mk_relay(relay_t *r, int version, size_t spair)
{
    return mk_relay_with(r, version, spair, "ECDHE-ECDSA-AES128-GCM-SHA256");
}

static void free_relay(relay_t *r)
{
    SSL_free(r->c);
    SSL_free(r->s);
    BIO_free(r->ct);
    BIO_free(r->st);
}

enum { INTACT, TAG, CIPHERTEXT, LONGER, OVERFLOW, VERSION, PIECES };
static const char *const names[] = { "intact", "tag byte flipped", "ciphertext byte flipped",
                                     "length one longer", "length past the limit", "version 0x0301",
                                     "in pieces" };

static void edit_case(int version, int kind)
{
    relay_t r;
    printf("== %s, one 1000-byte record, %s\n", vname(version), names[kind]);
    if (!mk_relay(&r, version, 0)) {
        printf("  setup failed\n");
        return;
    }
    printf("  write = %d\n", SSL_write(r.c, src, 1000));
    int n = take(&r);
    switch (kind) {
    case TAG: rec[n - 1] ^= 1; break;
    case CIPHERTEXT: rec[n - 100] ^= 0x80; break;
    case LONGER: rec[4]++; rec[n++] = 0; break;
    case OVERFLOW: rec[3] = 0x41; rec[4] = 0x01; break;
    case VERSION: rec[2] = 0x01; break;
    }
    if (kind == PIECES) {
        BIO_write(r.st, rec, 3);
        rd(&r, "3 bytes", 20000, NULL, 0);
        BIO_write(r.st, rec + 3, 500);
        rd(&r, "503 bytes", 20000, NULL, 0);
        BIO_write(r.st, rec + 503, n - 503);
        rd(&r, "all", 20000, src, 1000);
    } else {
        BIO_write(r.st, rec, n);
        rd(&r, "read", 20000, src, 1000);
    }
    rd(&r, "again", 20000, NULL, 0);
    free_relay(&r);
}

/* Three records in a 20000-byte pair, the third written after the first is read: it wraps around
 * the ring's end. Then SSL_peek and SSL_pending on a record in the ring, and a small read. */
static void wrap_case(int version)
{
    relay_t r;
    int n;
    printf("== %s, records around the end of a 20000-byte pair\n", vname(version));
    if (!mk_relay(&r, version, 20000)) {
        printf("  setup failed\n");
        return;
    }
    printf("  write = %d\n", SSL_write(r.c, src, 9000));
    printf("  write = %d\n", SSL_write(r.c, src + 1, 4000));
    n = take(&r);
    printf("  relayed %d = %d\n", n, BIO_write(r.st, rec, n));
    rd(&r, "first", 16384, src, 9000);
    printf("  write = %d\n", SSL_write(r.c, src + 2, 7000));
    n = take(&r);
    printf("  relayed %d = %d\n", n, BIO_write(r.st, rec, n));
    rd(&r, "second", 16384, src + 1, 4000);
    rd(&r, "third", 16384, src + 2, 7000);
    /* A KeyUpdate (TLS 1.3: an application_data record outside, handshake inside) read by
     * SSL_read, which offers its buffer. */
    if (version == TLS1_3_VERSION)
        printf("  key_update %d\n", SSL_key_update(r.c, SSL_KEY_UPDATE_REQUESTED));
    printf("  write = %d\n", SSL_write(r.c, src + 4, 500));
    n = take(&r);
    printf("  relayed %d = %d\n", n, BIO_write(r.st, rec, n));
    rd(&r, "after a key update", 16384, src + 4, 500);
    printf("  write = %d\n", SSL_write(r.c, src + 3, 3000));
    n = take(&r);
    printf("  relayed %d = %d\n", n, BIO_write(r.st, rec, n));
    unsigned char pk[100];
    n = SSL_peek(r.s, pk, sizeof(pk));
    printf("  peek = %d sum %08lx, pending %d\n", n, n > 0 ? sum(pk, n) : 0, SSL_pending(r.s));
    rd(&r, "small", 10, src + 3, 10);
    rd(&r, "rest", 16384, src + 13, 2990);
    free_relay(&r);
}

/* With read-ahead the server asks the pair for all it holds: three records at once. */
static void ahead_case(int version)
{
    relay_t r;
    int n;
    printf("== %s, read-ahead over a pair\n", vname(version));
    if (!mk_relay(&r, version, 0)) {
        printf("  setup failed\n");
        return;
    }
    SSL_set_read_ahead(r.s, 1);
    for (int i = 0; i < 3; i++)
        printf("  write = %d\n", SSL_write(r.c, src + i, 3000 + i));
    n = take(&r);
    printf("  relayed %d = %d\n", n, BIO_write(r.st, rec, n));
    for (int i = 0; i < 3; i++)
        rd(&r, "read", 16384, src + i, 3000 + i);
    rd(&r, "again", 16384, NULL, 0);
    free_relay(&r);
}

/* CCM (off by default in both libraries) reports a failed check in libcrypto itself: the queue
 * holds the provider's error before libssl's reason. Every entry is printed, not only libssl's. */
static void ccm_case(void)
{
    relay_t r;
    unsigned long e;
    printf("== TLSv1.2 AES-CCM_8, one 1000-byte record, tag byte flipped\n");
    if (!mk_relay_with(&r, TLS1_2_VERSION, 0, "ECDHE-ECDSA-AES128-CCM8")) {
        printf("  setup failed\n");
        return;
    }
    printf("  suite %s, write = %d\n", SSL_get_cipher_name(r.s), SSL_write(r.c, src, 1000));
    int n = take(&r);
    rec[n - 1] ^= 1;
    BIO_write(r.st, rec, n);
    static unsigned char buf[2000];
    n = SSL_read(r.s, buf, sizeof(buf));
    printf("  read = %d (%s), queue:", n, errname(SSL_get_error(r.s, n)));
    while ((e = ERR_get_error()) != 0)
        printf(" [lib %d: %s]", ERR_GET_LIB(e), ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?");
    printf("\n");
    free_relay(&r);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    if (!keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30))
        return 1;
    for (size_t j = 0; j < sizeof(src); j++)
        src[j] = (unsigned char)(j * 13 + j / 253 + 1);
    static const int versions[] = { TLS1_3_VERSION, TLS1_2_VERSION };
    for (int v = 0; v < 2; v++) {
        for (int k = INTACT; k <= PIECES; k++)
            edit_case(versions[v], k);
        wrap_case(versions[v]);
        ahead_case(versions[v]);
    }
    ccm_case();
    keel_test_chain_free(&ec);
    return 0;
}
