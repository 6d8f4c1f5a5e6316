/* Hostile TLS 1.2 peers on CBC records (issue #13), after a real CBC handshake
 * (malformed12_post.h): ECDHE-ECDSA-AES128-SHA and -SHA256, with encrypt_then_mac (RFC 7366,
 * negotiated by default) and without it (SSL_OP_NO_ENCRYPT_THEN_MAC: RFC 5246 §6.2.3.2
 * MAC-then-encrypt), each victim. The test is the peer: it writes application data records from
 * EVP here (HMAC, AES-CBC without EVP padding) with the key block from the key log, correct
 * ("good", which checks the writer itself) or broken one way: a wrong padding byte, a padding
 * length past the record, a wrong MAC, a body not a whole number of blocks, one too short for
 * IV + MAC + padding, a ciphertext over 2^14 + 2048, a plaintext over 2^14.
 * The expected alerts and reasons are OpenSSL 3.0's: this program is also built on the system
 * libssl (sys_malformed12_cbc in tests/CMakeLists.txt) and must pass there too. */
#include "malformed12_post.h"

#include <openssl/rand.h>

typedef struct {
    const char *md; /* the MAC's digest */
    size_t ml;      /* its length (= the MAC key's) */
    int etm;
    uint8_t mk[48], key[16];
    uint64_t seq;
} cbcp;

static void mac_of(const cbcp *p, uint64_t seq, uint8_t type, const uint8_t *data, size_t n, uint8_t *out)
{
    /* RFC 5246 §6.2.3.1: HMAC(MAC_write_key, seq_num + type + version + length + fragment). */
    uint8_t *m = malloc(13 + n + 1);
    size_t ol = 0;
    if (m == NULL)
        abort();
    for (int i = 0; i < 8; i++)
        m[i] = (uint8_t)(seq >> (56 - 8 * i));
    m[8] = type, m[9] = 3, m[10] = 3, m[11] = (uint8_t)(n >> 8), m[12] = (uint8_t)n;
    memcpy(m + 13, data, n);
    if (EVP_Q_mac(NULL, "HMAC", NULL, p->md, NULL, p->mk, p->ml, m, 13 + n, out, 64, &ol) == NULL || ol != p->ml)
        abort();
    free(m);
}

static void aes_cbc(const uint8_t *key, int enc, const uint8_t *iv, uint8_t *b, size_t n)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l = 0;
    if (c == NULL || !EVP_CipherInit_ex(c, EVP_aes_128_cbc(), NULL, key, iv, enc) || !EVP_CIPHER_CTX_set_padding(c, 0)
            || (n > 0 && (!EVP_CipherUpdate(c, b, &l, b, (int)n) || (size_t)l != n)))
        abort();
    EVP_CIPHER_CTX_free(c);
}

/* How a record is broken. */
typedef struct {
    size_t clen;   /* content length */
    int bad_pad;   /* one padding byte (not the length byte) changed */
    int pad_over;  /* the padding length byte (and the padding) 255: past the record */
    int bad_mac;
    int trim;      /* one byte cut from the ciphertext (EtM: before the MAC is computed) */
    size_t raw;    /* a random fragment of this length instead (EtM: this much ciphertext, MAC right) */
    int too_short; /* raw: MtE an IV and the blocks a MAC fills less one; EtM an IV (and the MAC) */
} mut;

/* Writes one application data record of p's (then p->seq++). */
static void seal_cbc(cbcp *p, buf *out, const mut *in)
{
    mut mm = *in, *m = &mm;
    if (m->too_short)
        m->raw = p->etm ? 16 : 16 + p->ml / 16 * 16;
    size_t clen = m->raw ? 0 : m->clen;
    size_t pad = 15 - (clen + (p->etm ? 0 : p->ml)) % 16;  /* pad + 1 bytes of value pad */
    if (m->bad_pad && pad == 0)
        pad = 16;
    size_t n = clen + (p->etm ? 0 : p->ml) + pad + 1;
    uint8_t *frag = malloc(16 + n + 64 + m->raw), mac[64];
    size_t flen;
    if (frag == NULL || RAND_bytes(frag, (int)(16 + n + m->raw)) != 1)
        abort();
    if (m->raw && !p->etm) {
        flen = m->raw;
    } else if (m->raw) {
        flen = m->raw;
        mac_of(p, p->seq, 23, frag, flen, frag + flen);
        if (m->bad_mac)
            frag[flen] ^= 1;
        flen += p->ml;
    } else {
        uint8_t *pt = frag + 16;
        memset(pt, 'a', clen);
        if (!p->etm) {
            mac_of(p, p->seq, 23, pt, clen, pt + clen);
            if (m->bad_mac)
                pt[clen] ^= 1;
        }
        memset(pt + n - pad - 1, m->pad_over ? 255 : (int)pad, pad + 1);
        if (m->bad_pad)
            pt[n - pad - 1] ^= 1;
        aes_cbc(p->key, 1, frag, pt, n);
        flen = 16 + n - (m->trim ? 1 : 0);
        if (p->etm) {
            /* RFC 7366 §3: the MAC over the IV and ciphertext, length theirs. */
            mac_of(p, p->seq, 23, frag, flen, mac);
            if (m->bad_mac)
                mac[0] ^= 1;
            memcpy(frag + flen, mac, p->ml);
            flen += p->ml;
        }
    }
    p->seq++;
    b_u8(out, 23);
    b_u16(out, 0x0303);
    b_u16(out, (unsigned)flen);
    b_put(out, frag, flen);
    free(frag);
}

/* Opens a record the victim wrote (well-formed: its padding and MAC are checked plainly). */
static int open_cbc(const void *key, uint64_t seq, const uint8_t *rec, size_t rlen, uint8_t *out, size_t *len)
{
    const cbcp *p = key;
    uint8_t mac[64], iv[16];
    size_t flen = rlen - 5, n;
    if (rlen < 5 + 32 + (p->etm ? p->ml : 0))
        return 0;
    if (p->etm) {
        n = flen - p->ml - 16;
        mac_of(p, seq, rec[0], rec + 5, flen - p->ml, mac);
        if (n % 16 != 0 || memcmp(mac, rec + 5 + flen - p->ml, p->ml) != 0)
            return 0;
    } else {
        n = flen - 16;
        if (n % 16 != 0)
            return 0;
    }
    memcpy(iv, rec + 5, 16);
    memcpy(out, rec + 5 + 16, n);
    aes_cbc(p->key, 0, iv, out, n);
    size_t pad = out[n - 1];
    if (pad + 1 + (p->etm ? 0 : p->ml) > n)
        return 0;
    n -= pad + 1;
    if (!p->etm) {
        n -= p->ml;
        mac_of(p, seq, rec[0], out, n, mac);
        if (memcmp(mac, out + n, p->ml) != 0)
            return 0;
    }
    *len = n;
    return 1;
}

typedef struct {
    post_want w;
    mut m;
    int etm_only;
} cbc_case;

#define AD(x) SSL_AD_##x
#define R(x) SSL_R_##x

static const cbc_case cases[] = {
    { { "good", -1, 0 }, { .clen = 4 }, 0 },
    /* RFC 5246 §6.2.3.2: padding and MAC failures are one bad_record_mac, and so is a record
     * that cannot be a whole CBC record (RFC 7366 §3: MAC first, then the same). */
    { { "bad_pad_byte", AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC) }, { .clen = 4, .bad_pad = 1 }, 0 },
    { { "pad_over_record", AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC) }, { .clen = 4, .pad_over = 1 }, 0 },
    { { "bad_mac", AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC) }, { .clen = 4, .bad_mac = 1 }, 0 },
    { { "bad_mac_long", AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC) }, { .clen = 1000, .bad_mac = 1 }, 0 },
    { { "not_blocks", AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC) }, { .clen = 4, .trim = 1 }, 0 },
    /* MtE: IV and fewer blocks than the MAC and a padding byte fill. EtM: an IV and no block. */
    { { "too_short", AD(BAD_RECORD_MAC), R(DECRYPTION_FAILED_OR_BAD_RECORD_MAC) }, { .too_short = 1 }, 0 },
    /* RFC 5246 §6.2.3: TLSCiphertext.length <= 2^14 + 2048; OpenSSL 3.0's reason is the one of
     * its read buffer (docs/compat-notes.txt: the lengths between). */
    { { "ciphertext_over", AD(RECORD_OVERFLOW), R(PACKET_LENGTH_TOO_LONG) }, { .raw = 16384 + 2048 + 16 }, 0 },
    /* §6.2.1: a plaintext over 2^14, known once decrypted. */
    { { "plaintext_over", AD(RECORD_OVERFLOW), R(DATA_LENGTH_TOO_LONG) }, { .clen = 16385 }, 0 },
};

static const struct { const char *suite, *md; size_t ml; } suites[] = {
    { "ECDHE-ECDSA-AES128-SHA", "SHA1", 20 },
    { "ECDHE-ECDSA-AES128-SHA256", "SHA256", 32 },
};

static SSL_CTX *sctx, *cctx;
static int cur_suite, cur_etm;

static void setup(SSL *c, SSL *s)
{
    (void)s;
    if (!SSL_set_cipher_list(c, suites[cur_suite].suite))
        abort();
    if (!cur_etm)
        SSL_set_options(c, SSL_OP_NO_ENCRYPT_THEN_MAC);
}

static void run(const cbc_case *t, int victim)
{
    post_pair p;
    cbcp k[2];  /* the client's and the server's write protection */
    uint8_t kb[2 * 48 + 64];
    char label[80];
    size_t ml = suites[cur_suite].ml;

    snprintf(label, sizeof(label), "%s%s %s", suites[cur_suite].suite, cur_etm ? "+EtM" : "", victim == MF_SERVER ? "server" : "client");
    if (!post_handshake(&p, cctx, sctx, setup) || !post_key_block(p.s[MF_CLIENT], kb, 2 * ml + 64)) {
        fprintf(stderr, "[%s %s] the handshake did not go as expected\n", label, t->w.name);
        ERR_print_errors_fp(stderr);
        mf_failures++;
        post_free(&p);
        return;
    }
    for (int i = 0; i < 2; i++) {
        memset(&k[i], 0, sizeof(k[i]));
        k[i].md = suites[cur_suite].md;
        k[i].ml = ml;
        k[i].etm = cur_etm;
        memcpy(k[i].mk, kb + i * ml, ml);
        memcpy(k[i].key, kb + 2 * ml + 16 * i, 16);
        k[i].seq = 1;  /* each side sealed its Finished with 0 */
    }
    buf rec = { 0 };
    mut m = t->m;
    if (getenv("MF_RAW") != NULL && m.raw)
        m.raw = (size_t)atoi(getenv("MF_RAW"));
    seal_cbc(&k[!victim], &rec, &m);
    if (BIO_write(p.in[victim], rec.p, (int)rec.n) != (int)rec.n)
        abort();
    b_free(&rec);
    if (t->w.alert == -1) {
        char b[64];
        int r = SSL_read(p.s[victim], b, sizeof(b));
        if (r != (int)t->m.clen || memcmp(b, "aaaa", 4) != 0) {
            fprintf(stderr, "[%s %s] the victim did not read the record: %d\n", label, t->w.name, r);
            ERR_print_errors_fp(stderr);
            mf_failures++;
        }
    } else {
        post_expect(label, &t->w, p.s[victim], p.out[victim], 1, open_cbc, &k[victim]);
    }
    ERR_clear_error();
    post_free(&p);
}

int main(int argc, char **argv)
{
    const char *name = "malformed12_cbc";
    CHECK(keel_test_make_chain(&mf_chain, KT_EC_P256, "server.test", 365));
    sctx = keel_test_server_ctx(&mf_chain);
    cctx = keel_test_client_ctx(&mf_chain);
    if (sctx == NULL || cctx == NULL) {
        CHECK(0);
        return keel_test_finish(name);
    }
    CHECK(SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION));
    CHECK(SSL_CTX_set_cipher_list(sctx, "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA256"));
    SSL_CTX_set_keylog_callback(cctx, keylog);

    const char *only = argc > 1 ? argv[1] : NULL;
    size_t ran = 0;
    for (cur_suite = 0; cur_suite < 2; cur_suite++)
        for (cur_etm = 0; cur_etm < 2; cur_etm++)
            for (size_t i = 0; i < MF_NCASES(cases); i++)
                for (int v = 0; v < 2; v++) {
                    if (only != NULL && strstr(cases[i].w.name, only) == NULL)
                        continue;
                    if (cases[i].etm_only && !cur_etm)
                        continue;
                    run(&cases[i], v);
                    ran++;
                }
    printf("%s: %zu cases, %d failure(s)\n", name, ran, mf_failures);
    if (mf_failures)
        CHECK(0);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    keel_test_chain_free(&mf_chain);
    return keel_test_finish(name);
}
