/* Differential probe (tests/diff/run.sh): sessions in OpenSSL's SSL_SESSION ASN.1 encoding
 * (issue #11 item 10). Compiled against the system <openssl/ssl.h>, run on the system libssl and on
 * keel's; the outputs must be identical:
 *   - a session the system `openssl s_client -sess_out` saved (TLS 1.3, TLS_AES_256_GCM_SHA384,
 *     a ticket, the server's certificate, verify result 18, kex group [19]) decoded: every getter,
 *     and its re-encoding byte for byte (i2d and PEM);
 *   - sessions built with the setters (no peer certificate): their encoding byte for byte, so keel
 *     writes what OpenSSL writes, zero-valued fields left out and all;
 *   - hand-made DER: fields left out (OpenSSL's defaults), a longer buffer (*pp advanced by one
 *     session), and malformed variants, which both reject.
 * Only TLS 1.3 sessions are used (all keel resumes). */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* openssl s_client -sess_out against openssl s_server, converted with openssl sess_id -outform DER */
static const unsigned char saved[] = {
  0x30, 0x82, 0x02, 0xe4, 0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x04, 0x04,
  0x02, 0x13, 0x02, 0x04, 0x20, 0xa6, 0xd2, 0xef, 0xda, 0x94, 0x89, 0xa0,
  0x6e, 0x03, 0x1d, 0xe6, 0x3b, 0xf2, 0xb3, 0x39, 0x16, 0xb4, 0xa5, 0x7c,
  0x71, 0xc2, 0x70, 0x7f, 0x8b, 0x90, 0x26, 0xce, 0x4a, 0xf4, 0x52, 0x82,
  0x18, 0x04, 0x30, 0x25, 0xf3, 0xba, 0x7e, 0xe7, 0xf6, 0xa2, 0x09, 0x54,
  0xb7, 0xe8, 0x25, 0xe1, 0x18, 0x06, 0x96, 0x9b, 0x31, 0x03, 0x00, 0x56,
  0x31, 0xa4, 0x15, 0x02, 0x67, 0xfb, 0x66, 0x05, 0x6c, 0x4a, 0x66, 0xf6,
  0xb3, 0xce, 0x68, 0xb0, 0x7a, 0xba, 0xa4, 0x32, 0xae, 0xa4, 0x22, 0xbb,
  0xb7, 0xcb, 0x08, 0xa1, 0x06, 0x02, 0x04, 0x6b, 0x0e, 0x9e, 0x24, 0xa2,
  0x04, 0x02, 0x02, 0x1c, 0x20, 0xa3, 0x82, 0x01, 0x80, 0x30, 0x82, 0x01,
  0x7c, 0x30, 0x82, 0x01, 0x23, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x14,
  0x44, 0x4c, 0xe4, 0xb3, 0x71, 0x8a, 0x02, 0x32, 0xae, 0x79, 0xff, 0x54,
  0x3e, 0x69, 0xfa, 0xc0, 0x06, 0xc8, 0xee, 0xc3, 0x30, 0x0a, 0x06, 0x08,
  0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30, 0x14, 0x31, 0x12,
  0x30, 0x10, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x09, 0x6c, 0x6f, 0x63,
  0x61, 0x6c, 0x68, 0x6f, 0x73, 0x74, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36,
  0x31, 0x32, 0x30, 0x31, 0x31, 0x30, 0x31, 0x34, 0x35, 0x39, 0x5a, 0x17,
  0x0d, 0x32, 0x36, 0x31, 0x32, 0x30, 0x33, 0x31, 0x30, 0x31, 0x34, 0x35,
  0x39, 0x5a, 0x30, 0x14, 0x31, 0x12, 0x30, 0x10, 0x06, 0x03, 0x55, 0x04,
  0x03, 0x0c, 0x09, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x68, 0x6f, 0x73, 0x74,
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
  0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03,
  0x42, 0x00, 0x04, 0x00, 0xad, 0x78, 0xad, 0xd3, 0xa8, 0x26, 0xbb, 0xb5,
  0x6a, 0x14, 0x8a, 0xec, 0x7d, 0xb8, 0x4a, 0x25, 0xc6, 0xda, 0xbc, 0x7b,
  0xf5, 0x5a, 0xdb, 0xca, 0xf4, 0xa8, 0x57, 0xe8, 0x5e, 0x4f, 0xf3, 0xf9,
  0xde, 0x8f, 0xf2, 0x5d, 0x2a, 0x5c, 0x7d, 0x85, 0x01, 0x4d, 0xa1, 0x7d,
  0x54, 0x1d, 0x78, 0x74, 0xbf, 0xaf, 0x12, 0x5f, 0xbe, 0xca, 0xda, 0x55,
  0xc6, 0xad, 0xfd, 0x22, 0x95, 0x74, 0xc2, 0xa3, 0x53, 0x30, 0x51, 0x30,
  0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0x97, 0xb7,
  0x6c, 0x17, 0x95, 0xf3, 0xe8, 0x8f, 0x9a, 0xdd, 0xd2, 0xd3, 0xd7, 0xf3,
  0x8e, 0x0d, 0xa3, 0x08, 0xd1, 0x9d, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d,
  0x23, 0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0x97, 0xb7, 0x6c, 0x17, 0x95,
  0xf3, 0xe8, 0x8f, 0x9a, 0xdd, 0xd2, 0xd3, 0xd7, 0xf3, 0x8e, 0x0d, 0xa3,
  0x08, 0xd1, 0x9d, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01,
  0xff, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30, 0x0a, 0x06, 0x08,
  0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x47, 0x00, 0x30,
  0x44, 0x02, 0x20, 0x7b, 0xf9, 0x09, 0x5d, 0xe5, 0xa1, 0xc4, 0xc5, 0x5c,
  0xcd, 0xcc, 0x3f, 0xad, 0xfc, 0xbe, 0x2c, 0xa7, 0x1f, 0x71, 0x18, 0x11,
  0x3c, 0x82, 0x1c, 0x96, 0xdc, 0x4f, 0x2e, 0x78, 0xc1, 0x04, 0xbf, 0x02,
  0x20, 0x2b, 0x0e, 0x66, 0x2d, 0x6c, 0x70, 0xf3, 0x4a, 0x6d, 0x05, 0xf6,
  0xf5, 0xc7, 0xee, 0xcf, 0x79, 0x4a, 0x54, 0x9e, 0x51, 0x9b, 0xcc, 0x4c,
  0x31, 0xa7, 0xba, 0xfd, 0xaf, 0x6e, 0xab, 0x07, 0xe2, 0xa4, 0x02, 0x04,
  0x00, 0xa5, 0x03, 0x02, 0x01, 0x12, 0xa9, 0x04, 0x02, 0x02, 0x1c, 0x20,
  0xaa, 0x81, 0xd3, 0x04, 0x81, 0xd0, 0x8b, 0x0c, 0x59, 0x3e, 0xab, 0xcb,
  0xa8, 0xc6, 0xf2, 0x68, 0x8a, 0xa8, 0xcf, 0x49, 0xfd, 0x2f, 0x3b, 0x38,
  0x7b, 0x8d, 0x3f, 0x25, 0xbb, 0xa0, 0x5b, 0xe1, 0x5e, 0xd0, 0xdb, 0x4f,
  0x15, 0x78, 0x2e, 0x8f, 0xb0, 0x67, 0x9a, 0x05, 0xb6, 0xf0, 0xc3, 0xf6,
  0xd5, 0xda, 0x63, 0xe0, 0xd5, 0x03, 0xd9, 0x14, 0x11, 0xe2, 0xd8, 0x08,
  0x95, 0x22, 0xc3, 0xe3, 0x0e, 0x0e, 0x61, 0x87, 0x3c, 0x7a, 0x76, 0xad,
  0xf0, 0x74, 0x13, 0xb4, 0x95, 0xd9, 0xd5, 0x74, 0x42, 0x1e, 0x6f, 0xa3,
  0xde, 0x69, 0x0d, 0x49, 0x21, 0x14, 0x16, 0xf7, 0x70, 0x34, 0xe6, 0xaf,
  0xee, 0x64, 0x0a, 0x82, 0x40, 0xe0, 0xc5, 0x7b, 0xb9, 0xab, 0x5b, 0x8a,
  0x55, 0x35, 0x94, 0xd7, 0x7b, 0x9e, 0x18, 0x65, 0x6a, 0x85, 0xb0, 0xa1,
  0x45, 0x7e, 0x8a, 0xce, 0xd5, 0x2a, 0xd7, 0x71, 0x8d, 0x24, 0x89, 0xbf,
  0xcf, 0x24, 0xb6, 0x5f, 0xe6, 0xc6, 0x95, 0x05, 0x67, 0x08, 0x53, 0xb1,
  0x82, 0x33, 0x76, 0x16, 0x27, 0x08, 0xbb, 0x6b, 0xfc, 0x1c, 0x68, 0xdd,
  0xa4, 0x08, 0xed, 0x80, 0x55, 0xa1, 0xe4, 0x8b, 0x64, 0x81, 0x80, 0x5f,
  0x31, 0x2f, 0x00, 0xac, 0x38, 0xa1, 0xac, 0xa9, 0xa0, 0x63, 0x80, 0xf7,
  0x93, 0xe7, 0x93, 0x4e, 0xf0, 0x66, 0xf5, 0xd9, 0x4e, 0xbc, 0xb5, 0x5f,
  0xa0, 0x3c, 0xcc, 0x36, 0x75, 0x13, 0xb2, 0xed, 0x6f, 0x9a, 0xe7, 0x5a,
  0xb8, 0x1b, 0x05, 0x58, 0x8e, 0x95, 0xc7, 0x8b, 0x6c, 0xed, 0xae, 0x07,
  0x02, 0x05, 0x00, 0xec, 0xae, 0x93, 0x2f, 0xb3, 0x03, 0x02, 0x01, 0x1d
};

static void hex(const char *label, const unsigned char *p, size_t n)
{
    printf("%s (%zu):", label, n);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

static void encoding(const SSL_SESSION *ss)
{
    unsigned char *der = NULL;
    int n = i2d_SSL_SESSION(ss, NULL);
    int m = i2d_SSL_SESSION(ss, &der);
    printf("i2d length %d %d\n", n, m);
    if (m > 0)
        hex("  der", der, (size_t)m);
    OPENSSL_free(der);
    BIO *b = BIO_new(BIO_s_mem());
    char *text;
    long tl;
    PEM_write_bio_SSL_SESSION(b, ss);
    tl = BIO_get_mem_data(b, &text);
    printf("PEM %ld bytes, %s", tl, tl > 0 && memcmp(text, "-----BEGIN SSL SESSION PARAMETERS-----\n", 39) == 0
           ? "labelled SSL SESSION PARAMETERS\n" : "unlabelled\n");
    BIO_free(b);
}

static void show(SSL_SESSION *ss)
{
    unsigned char mk[256];
    const unsigned char *p;
    unsigned int n;
    size_t len;

    printf("protocol %x\n", SSL_SESSION_get_protocol_version(ss));
    const SSL_CIPHER *c = SSL_SESSION_get0_cipher(ss);
    printf("cipher %s %lx\n", c != NULL ? SSL_CIPHER_get_name(c) : "none", c != NULL ? (unsigned long)SSL_CIPHER_get_id(c) : 0UL);
    p = SSL_SESSION_get_id(ss, &n);
    hex("session id", p, n);
    p = SSL_SESSION_get0_id_context(ss, &n);
    hex("sid_ctx", p, n);
    len = SSL_SESSION_get_master_key(ss, mk, sizeof(mk));
    hex("master key", mk, len);
    printf("time %ld timeout %ld\n", SSL_SESSION_get_time(ss), SSL_SESSION_get_timeout(ss));
    printf("has ticket %d lifetime hint %lu\n", SSL_SESSION_has_ticket(ss), SSL_SESSION_get_ticket_lifetime_hint(ss));
    SSL_SESSION_get0_ticket(ss, &p, &len);
    hex("ticket", p, len);
    printf("max early data %u\n", SSL_SESSION_get_max_early_data(ss));
    const char *h = SSL_SESSION_get0_hostname(ss);
    printf("hostname %s\n", h != NULL ? h : "(none)");
    SSL_SESSION_get0_alpn_selected(ss, &p, &len);
    hex("alpn", p, len);
    X509 *peer = SSL_SESSION_get0_peer(ss);
    char name[256] = "(none)";
    if (peer != NULL)
        X509_NAME_oneline(X509_get_subject_name(peer), name, sizeof(name));
    printf("peer %s\n", name);
    printf("resumable %d\n", SSL_SESSION_is_resumable(ss));
}

/* d2i on a buffer: accepted or not, how much was taken (and whether a reason was raised: the
 * system libssl raises none for an unknown cipher) */
static SSL_SESSION *decode_err(const char *label, const unsigned char *der, long len, int err)
{
    const unsigned char *p = der;
    ERR_clear_error();
    SSL_SESSION *ss = d2i_SSL_SESSION(NULL, &p, len);
    printf("%s: %s", label, ss != NULL ? "accepted" : "rejected");
    if (ss != NULL)
        printf(", took %ld of %ld", (long)(p - der), len);
    else
        printf(", *pp %s", p == der ? "kept" : "moved");
    if (ss == NULL && err)
        printf(", error %s", ERR_peek_error() != 0 ? "raised" : "none");
    printf("\n");
    ERR_clear_error();
    return ss;
}

static SSL_SESSION *decode(const char *label, const unsigned char *der, long len)
{
    return decode_err(label, der, len, 1);
}

/* within a minute of now, without overflowing on any time */
static int near_now(long t, time_t now)
{
    return t > (long)now - 60 && t < (long)now + 60;
}

/* SEQUENCE { 1, 0x0304, cipher, id, master key, extra } by hand: DER short lengths only. */
static long handmade(unsigned char *out, const unsigned char *extra, size_t extra_len, int version,
                     const unsigned char cipher[2], size_t mk_len)
{
    unsigned char body[400];
    size_t n = 0;
    body[n++] = 0x02; body[n++] = 0x01; body[n++] = (unsigned char)version;
    body[n++] = 0x02; body[n++] = 0x02; body[n++] = 0x03; body[n++] = 0x04;
    body[n++] = 0x04; body[n++] = 0x02; body[n++] = cipher[0]; body[n++] = cipher[1];
    body[n++] = 0x04; body[n++] = 0x04; memcpy(body + n, "\x01\x02\x03\x04", 4); n += 4;
    body[n++] = 0x04; body[n++] = (unsigned char)mk_len; memset(body + n, 0x5a, mk_len); n += mk_len;
    if (extra_len > 0)
        memcpy(body + n, extra, extra_len);
    n += extra_len;
    size_t h = 0;
    out[h++] = 0x30;
    if (n >= 0x80)
        out[h++] = 0x81; /* DER: the long form only where the short one cannot say it */
    out[h++] = (unsigned char)n;
    memcpy(out + h, body, n);
    return (long)(n + h);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--which") == 0) {
        Dl_info info;
        if (dladdr((void *)SSL_CTX_new, &info) == 0)
            return 1;
        printf("%s\n", info.dli_fname);
        return 0;
    }
    OPENSSL_init_ssl(0, NULL);
    time_t now = time(NULL);

    /* 1. OpenSSL's own file, decoded and written back */
    SSL_SESSION *ss = decode("saved", saved, sizeof(saved));
    if (ss == NULL)
        return 1;
    show(ss);
    encoding(ss);
    SSL_SESSION *dup = SSL_SESSION_dup(ss);
    printf("dup:\n");
    encoding(dup);
    SSL_SESSION_free(dup);
    SSL_SESSION_free(ss);

    /* two sessions back to back: the first is taken, then the second */
    unsigned char two[2 * sizeof(saved)];
    memcpy(two, saved, sizeof(saved));
    memcpy(two + sizeof(saved), saved, sizeof(saved));
    const unsigned char *p = two;
    SSL_SESSION *a = d2i_SSL_SESSION(NULL, &p, (long)sizeof(two));
    SSL_SESSION *b = a != NULL ? d2i_SSL_SESSION(NULL, &p, (long)(two + sizeof(two) - p)) : NULL;
    printf("two sessions: %d %d, at end %d\n", a != NULL, b != NULL, p == two + sizeof(two));
    SSL_SESSION_free(a);
    SSL_SESSION_free(b);

    /* truncated anywhere: rejected */
    int truncated_ok = 0;
    for (long n = 1; n < (long)sizeof(saved); n++) {
        p = saved;
        SSL_SESSION *t = d2i_SSL_SESSION(NULL, &p, n);
        truncated_ok += t != NULL;
        SSL_SESSION_free(t);
    }
    printf("truncations accepted: %d\n", truncated_ok);
    ERR_clear_error();

    /* 2. built with the setters */
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *s = SSL_new(ctx);
    const SSL_CIPHER *c1 = SSL_CIPHER_find(s, (const unsigned char *)"\x13\x01");
    const SSL_CIPHER *c3 = SSL_CIPHER_find(s, (const unsigned char *)"\x13\x03");
    unsigned char key[48], id[32], ctxid[5] = "ctx01";
    for (int i = 0; i < 48; i++)
        key[i] = (unsigned char)(0x80 + i);
    for (int i = 0; i < 32; i++)
        id[i] = (unsigned char)(i * 7);
    for (int v = 0; v < 4; v++) {
        SSL_SESSION *m = SSL_SESSION_new();
        SSL_SESSION_set_protocol_version(m, TLS1_3_VERSION);
        SSL_SESSION_set_cipher(m, v & 1 ? c3 : c1);
        SSL_SESSION_set1_master_key(m, key, 32);
        SSL_SESSION_set1_id(m, id, v == 2 ? 0 : 32);
        SSL_SESSION_set_time(m, v == 3 ? 0x7fffffffL + 5 : 1700000000L + v);
        SSL_SESSION_set_timeout(m, v == 2 ? 1 : 300 * v + 128);
        if (v >= 1) {
            SSL_SESSION_set1_id_context(m, ctxid, sizeof(ctxid));
            SSL_SESSION_set1_hostname(m, "server.example");
            SSL_SESSION_set1_alpn_selected(m, (const unsigned char *)"h2", 2);
            SSL_SESSION_set_max_early_data(m, v == 3 ? 0xffffffffu : 16384);
        }
        /* the encodings differ here only by SSL_SESSION_new's defaults (verify result, maximum
         * fragment length mode), so what is compared is what decoding them gives back */
        printf("built %d:\n", v);
        unsigned char *der = NULL;
        int n = i2d_SSL_SESSION(m, &der);
        const unsigned char *q = der;
        SSL_SESSION *back = n > 0 ? d2i_SSL_SESSION(NULL, &q, n) : NULL;
        printf("  decoded %d, all of it %d\n", back != NULL, q == der + n);
        if (back != NULL)
            show(back);
        SSL_SESSION_free(back);
        OPENSSL_free(der);
        SSL_SESSION_free(m);
    }
    SSL_free(s);
    SSL_CTX_free(ctx);

    /* 3. hand-made */
    unsigned char buf[512];
    long n;
    const unsigned char aes256[2] = {0x13, 0x02}, bogus[2] = {0x13, 0x77};
    n = handmade(buf, NULL, 0, 1, aes256, 48);
    ss = decode("minimal", buf, n);
    if (ss != NULL) {
        /* what an absent time and timeout mean */
        printf("time is now: %d, timeout %ld\n", near_now(SSL_SESSION_get_time(ss), now),
               SSL_SESSION_get_timeout(ss));
        SSL_SESSION_free(ss);
    }
    static const struct { const char *name; const char *extra; size_t len; int version; } cases[] = {
        { "explicit zero time and timeout", "\xa1\x03\x02\x01\x00\xa2\x03\x02\x01\x00", 10, 1 },
        { "time then timeout", "\xa1\x04\x02\x02\x12\x34\xa2\x03\x02\x01\x64", 11, 1 },
        { "sid_ctx and hostname", "\xa4\x04\x04\x02\x61\x62\xa6\x05\x04\x03\x61\x62\x63", 13, 1 },
        { "every field keel keeps",
          "\xa1\x04\x02\x02\x12\x34" "\xa2\x03\x02\x01\x64" "\xa4\x04\x04\x02\x61\x62"
          "\xa5\x03\x02\x01\xfb" "\xa6\x05\x04\x03\x61\x62\x63" "\xa9\x04\x02\x02\x1c\x20"
          "\xaa\x05\x04\x03\x01\x02\x03" "\xae\x07\x02\x05\x00\xec\xae\x93\x2f"
          "\xaf\x04\x02\x02\x40\x00" "\xb0\x04\x04\x02\x68\x32" "\xb3\x03\x02\x01\x17", 68, 1 },
        { "negative timeout", "\xa1\x03\x02\x01\x05\xa2\x03\x02\x01\xff", 10, 1 },
        { "age_add with a sign byte", "\xa1\x03\x02\x01\x05\xae\x04\x02\x02\x00\x80", 11, 1 },
        { "negative age_add", "\xa1\x03\x02\x01\x05\xae\x03\x02\x01\x80", 10, 1 },
        { "time of -2^63", "\xa1\x0a\x02\x08\x80\x00\x00\x00\x00\x00\x00\x00", 12, 1 },
        { "version 2", "", 0, 2 },
        { "version 0", "", 0, 0 },
        { "fields out of order", "\xa2\x03\x02\x01\x64\xa1\x03\x02\x01\x05", 10, 1 },
        { "field twice", "\xa2\x03\x02\x01\x64\xa2\x03\x02\x01\x05", 10, 1 },
        { "unknown field [25]", "\xb9\x03\x02\x01\x05", 5, 1 },
        { "explicit field holding two", "\xa2\x06\x02\x01\x64\x02\x01\x05", 8, 1 },
        { "explicit field of the wrong type", "\xa2\x03\x04\x01\x64", 5, 1 },
        { "integer with padding", "\xa2\x04\x02\x02\x00\x64", 6, 1 },
        { "trailing byte in the sequence", "\x00", 1, 1 },
        { "inner length past the field", "\xa2\x03\x02\x05\x64", 5, 1 },
        { "primitive instead of explicit", "\x82\x01\x64", 3, 1 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = handmade(buf, (const unsigned char *)cases[i].extra, cases[i].len, cases[i].version, aes256, 48);
        ss = decode(cases[i].name, buf, n);
        if (ss != NULL) {
            printf("  time %ld timeout %ld\n", near_now(SSL_SESSION_get_time(ss), now) ? 0L
                   : SSL_SESSION_get_time(ss), SSL_SESSION_get_timeout(ss));
            if (SSL_SESSION_get_time(ss) != 0 && !near_now(SSL_SESSION_get_time(ss), now))
                encoding(ss); /* written back as OpenSSL writes it */
            SSL_SESSION_free(ss);
        }
    }
    n = handmade(buf, NULL, 0, 1, bogus, 48);
    SSL_SESSION_free(decode_err("unknown cipher", buf, n, 0));
    n = handmade(buf, NULL, 0, 1, aes256, 48);
    buf[1] = 0x80; /* indefinite length (the body ends without end-of-contents) */
    SSL_SESSION_free(decode("indefinite length", buf, n));
    n = handmade(buf, NULL, 0, 1, aes256, 48);
    buf[0] = 0x31; /* SET */
    SSL_SESSION_free(decode("a SET", buf, n));
    return 0;
}
