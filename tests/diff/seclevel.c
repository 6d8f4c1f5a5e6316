/* Differential probe (tests/diff/run.sh): compiled against the SYSTEM <openssl/ssl.h> and run once
 * on the system libssl and once on keel's (LD_LIBRARY_PATH); the two outputs must be identical.
 * Security levels and the security callback (SSL_CTX_set_security_level(3),
 * SSL_CTX_set_security_callback(3)), and client_sigalgs (SSL_CTX_set1_client_sigalgs(3)):
 *   - the default level (the system libssl's compiled-in one, config file not loaded);
 *   - peer certificates at levels 0..5: handshake result, verify error, the client's alert;
 *   - own certificates refused when configured, with the reason;
 *   - suites and groups a level removes;
 *   - a callback refusing one operation at a time: who fails, with which alert and reason;
 *   - the arguments the callback is given for the TLS 1.3 operations;
 *   - client_sigalgs: the CertificateRequest's list and the client's CertificateVerify scheme.
 * Only TLS 1.3 is negotiated (all keel does); what OpenSSL does for TLS 1.2 alone is filtered out. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static EVP_PKEY *key(const char *type, size_t bits)
{
    if (strcmp(type, "RSA") == 0)
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", type);
}

static X509 *cert(const char *cn, EVP_PKEY *k, X509 *issuer, EVP_PKEY *ik, int ca, const EVP_MD *md)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    X509V3_CTX v3;
    X509_EXTENSION *e;

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : n);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, k);
    X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    X509_sign(x, ik != NULL ? ik : k, md);
    X509_NAME_free(n);
    return x;
}

/* ---- a handshake over a BIO pair, with what each side wrote as an alert and its first error ---- */

struct side { char alert[40]; int reason; };
static struct side cli, srv;

static void info_cb(const SSL *s, int where, int ret)
{
    struct side *d = SSL_is_server((SSL *)s) ? &srv : &cli;
    if ((where & SSL_CB_WRITE_ALERT) && d->alert[0] == '\0')
        snprintf(d->alert, sizeof(d->alert), "%s", SSL_alert_desc_string_long(ret));
}

static int step(SSL *s, int *done, struct side *d)
{
    if (*done)
        return 1;
    int r = SSL_do_handshake(s);
    if (r == 1) {
        *done = 1;
        return 1;
    }
    if (SSL_get_error(s, r) == SSL_ERROR_WANT_READ)
        return 1;
    d->reason = ERR_GET_REASON(ERR_peek_error());
    ERR_clear_error();
    return 0;
}

static int handshake(SSL *c, SSL *s)
{
    int cd = 0, sd = 0;
    ERR_clear_error();
    memset(&cli, 0, sizeof(cli));
    memset(&srv, 0, sizeof(srv));
    for (int i = 0; i < 50 && !(cd && sd); i++)
        if (!step(c, &cd, &cli) || !step(s, &sd, &srv))
            return 0;
    return cd && sd;
}

static const char *reason_str(int r)
{
    const char *s = r ? ERR_reason_error_string(ERR_PACK(ERR_LIB_SSL, 0, r)) : NULL;
    return s != NULL ? s : r ? "?" : "-";
}

typedef struct {
    SSL_CTX *cctx, *sctx;
    SSL *c, *s;
} pair;

static void pair_new(pair *p, X509 *ca, X509 *leaf, EVP_PKEY *lk)
{
    p->sctx = SSL_CTX_new(TLS_server_method());
    p->cctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(p->sctx, TLS1_3_VERSION);
    SSL_CTX_set_min_proto_version(p->cctx, TLS1_3_VERSION);
    SSL_CTX_set_security_level(p->sctx, 0);
    if (leaf != NULL && (!SSL_CTX_use_certificate(p->sctx, leaf) || !SSL_CTX_use_PrivateKey(p->sctx, lk)))
        printf("  (server certificate refused)\n");
    X509_STORE_add_cert(SSL_CTX_get_cert_store(p->cctx), ca);
    SSL_CTX_set_verify(p->cctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_info_callback(p->cctx, info_cb);
    SSL_CTX_set_info_callback(p->sctx, info_cb);
    p->c = p->s = NULL;
}

static int pair_run(pair *p)
{
    BIO *b1, *b2;
    p->c = SSL_new(p->cctx);
    p->s = SSL_new(p->sctx);
    BIO_new_bio_pair(&b1, 0, &b2, 0);
    SSL_set_bio(p->c, b1, b1);
    SSL_set_bio(p->s, b2, b2);
    SSL_set_connect_state(p->c);
    SSL_set_accept_state(p->s);
    return handshake(p->c, p->s);
}

static void pair_print(pair *p, int ok)
{
    if (ok) {
        int sig = NID_undef;
        SSL_get_peer_signature_type_nid(p->c, &sig);
        printf(" ok group=%s cipher=%s sig=%s\n", SSL_group_to_name(p->c, SSL_get_negotiated_group(p->c)),
               SSL_CIPHER_get_name(SSL_get_current_cipher(p->c)), OBJ_nid2sn(sig));
    } else {
        printf(" fail verify=%ld client=[%s|%s] server=[%s|%s]\n", SSL_get_verify_result(p->c),
               cli.alert[0] ? cli.alert : "-", reason_str(cli.reason),
               srv.alert[0] ? srv.alert : "-", reason_str(srv.reason));
    }
}

static void pair_free(pair *p)
{
    SSL_free(p->c);
    SSL_free(p->s);
    SSL_CTX_free(p->cctx);
    SSL_CTX_free(p->sctx);
}

/* ---- the security callback: refuse one operation, record the arguments ---- */

static int refuse_op = -1, refuse_all, calls;
static char seen[512][64];
static int nseen;

/* The TLS 1.3 things both libraries offer: keel's groups, schemes and suites. */
static int interesting(int op, const void *other)
{
    static const unsigned short groups[] = { 0x1d, 0x17, 0x1e, 0x19, 0x18 };
    static const unsigned short schemes[] = { 0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a,
        0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201 };
    const unsigned char *b = other;
    switch (op & SSL_SECOP_OTHER_TYPE) {
    case SSL_SECOP_OTHER_CIPHER:
        return strncmp(SSL_CIPHER_get_name(other), "TLS_", 4) == 0;
    case SSL_SECOP_OTHER_CURVE:
        for (size_t i = 0; b != NULL && i < sizeof(groups) / sizeof(groups[0]); i++)
            if (((b[0] << 8) | b[1]) == groups[i])
                return 1;
        return 0;
    case SSL_SECOP_OTHER_SIGALG:
        if (op == SSL_SECOP_SIGALG_MASK)
            return 0; /* TLS 1.2 cipher-suite masking */
        for (size_t i = 0; b != NULL && i < sizeof(schemes) / sizeof(schemes[0]); i++)
            if (((b[0] << 8) | b[1]) == schemes[i])
                return 1;
        return 0;
    case SSL_SECOP_OTHER_CERT:
        /* OpenSSL also builds its own chain from the verify store (not keel): no CA_KEY. */
        return (op & ~SSL_SECOP_PEER) != SSL_SECOP_CA_KEY;
    }
    return 0;
}

static int sec_cb(const SSL *s, const SSL_CTX *ctx, int op, int bits, int nid, void *other, void *ex)
{
    char t[64];
    calls++;
    if (refuse_all)
        return 0;
    if (interesting(op, other)) {
        const unsigned char *b = other;
        if ((op & SSL_SECOP_OTHER_TYPE) == SSL_SECOP_OTHER_CIPHER)
            snprintf(t, sizeof(t), "%s %#x %d %d %s", (char *)ex, op, bits, nid, SSL_CIPHER_get_name(other));
        else if ((op & SSL_SECOP_OTHER_TYPE) == SSL_SECOP_OTHER_CERT)
            snprintf(t, sizeof(t), "%s %#x %d %d ssl=%d", (char *)ex, op, bits, nid, s != NULL);
        else
            snprintf(t, sizeof(t), "%s %#x %d %d %02x%02x", (char *)ex, op, bits, nid, b[0], b[1]);
        int i;
        for (i = 0; i < nseen && strcmp(seen[i], t) != 0; i++)
            ;
        if (i == nseen && nseen < 512)
            memcpy(seen[nseen++], t, sizeof(t));
    }
    return op != refuse_op;
}

static int cmp(const void *a, const void *b) { return strcmp(a, b); }

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--which") == 0) {
        Dl_info info;
        dladdr((void *)SSL_new, &info);
        printf("%s\n", info.dli_fname);
        return 0;
    }
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_LOAD_SSL_STRINGS, NULL);

    SSL_CTX *d = SSL_CTX_new(TLS_method());
    printf("default level %d\n", SSL_CTX_get_security_level(d));
    SSL_CTX_free(d);

    EVP_PKEY *cak = key("P-256", 0), *r1024 = key("RSA", 1024), *r2048 = key("RSA", 2048);
    EVP_PKEY *r3072 = key("RSA", 3072), *p256 = key("P-256", 0);
    EVP_PKEY *p384 = key("P-384", 0), *p521 = key("P-521", 0);
    X509 *ca = cert("ca", cak, NULL, NULL, 1, EVP_sha256());
    X509 *ca384 = cert("ca384", p384, NULL, NULL, 1, EVP_sha384());
    X509 *ca521 = cert("ca521", p521, NULL, NULL, 1, EVP_sha512());
    struct { const char *name; X509 *ca, *leaf; EVP_PKEY *k; } peers[] = {
        { "rsa1024", ca, cert("l", r1024, ca, cak, 0, EVP_sha256()), r1024 },
        { "rsa2048", ca, cert("l", r2048, ca, cak, 0, EVP_sha256()), r2048 },
        { "rsa3072", ca, cert("l", r3072, ca, cak, 0, EVP_sha256()), r3072 },
        { "p256-sha1", ca, cert("l", p256, ca, cak, 0, EVP_sha1()), p256 },
        { "p256", ca, cert("l", p256, ca, cak, 0, EVP_sha256()), p256 },
        { "p384", ca384, cert("l", p384, ca384, p384, 0, EVP_sha384()), p384 },
        { "p521", ca521, cert("l", p521, ca521, p521, 0, EVP_sha512()), p521 },
    };
    size_t npeers = sizeof(peers) / sizeof(peers[0]);
    pair p;

    /* Peer certificates: the client's level decides (the server is at level 0). */
    for (int lv = 0; lv <= 5; lv++) {
        for (size_t i = 0; i < npeers; i++) {
            if (lv == 5 && strcmp(peers[i].name, "rsa1024") == 0)
                continue; /* RSA-1024 cannot do PSS with SHA-512: not about the level */
            pair_new(&p, peers[i].ca, peers[i].leaf, peers[i].k);
            SSL_CTX_set_security_level(p.cctx, lv);
            printf("peer level=%d %s:", lv, peers[i].name);
            pair_print(&p, pair_run(&p));
            pair_free(&p);
        }
    }

    /* Level 4 removes the 128-bit suite and the 128-bit groups. */
    pair_new(&p, ca384, peers[5].leaf, p384);
    SSL_CTX_set_security_level(p.cctx, 4);
    SSL_CTX_set_ciphersuites(p.cctx, "TLS_AES_128_GCM_SHA256");
    printf("level4 aes128 only:");
    pair_print(&p, pair_run(&p));
    pair_free(&p);
    pair_new(&p, ca384, peers[5].leaf, p384);
    SSL_CTX_set_security_level(p.cctx, 4);
    SSL_CTX_set1_groups_list(p.cctx, "X25519:P-256");
    printf("level4 x25519:p256 only:");
    pair_print(&p, pair_run(&p));
    pair_free(&p);
    pair_new(&p, ca384, peers[5].leaf, p384);
    SSL_CTX_set_security_level(p.sctx, 4); /* the server's own level governs what it accepts */
    SSL_CTX_set_security_level(p.cctx, 0);
    SSL_CTX_set1_groups_list(p.cctx, "X25519:P-384");
    printf("server level4, client x25519:p384:");
    pair_print(&p, pair_run(&p));
    pair_free(&p);
    {
        SSL_CTX *c4 = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_security_level(c4, 4);
        SSL *s4 = SSL_new(c4);
        STACK_OF(SSL_CIPHER) *sk = SSL_get1_supported_ciphers(s4);
        printf("level4 supported suites:");
        for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++)
            if (strncmp(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i)), "TLS_", 4) == 0)
                printf(" %s", SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i)));
        printf("\n");
        sk_SSL_CIPHER_free(sk);
        SSL_free(s4);
        SSL_CTX_free(c4);
    }

    /* The level set through the cipher string (openssl-ciphers(1) "@SECLEVEL=n"), also when the
     * list then fails; an invalid level fails the list and leaves the level alone. */
    {
        static const char *lists[] = { "DEFAULT:@SECLEVEL=0", "DEFAULT@SECLEVEL=1", "DEFAULT:@SECLEVEL=7",
            "DEFAULT:@SECLEVEL=12", "DEFAULT:@SECLEVEL=", "NOSUCH:@SECLEVEL=4",
            "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=5" };
        for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
            SSL_CTX *c = SSL_CTX_new(TLS_method());
            int r = SSL_CTX_set_cipher_list(c, lists[i]);
            printf("cipher list %s: %d level %d\n", lists[i], r, SSL_CTX_get_security_level(c));
            ERR_clear_error();
            SSL_CTX_free(c);
        }
    }

    /* Own certificates, at the default level unless said. */
    {
        X509 *ca1024 = cert("ca1024", r1024, NULL, NULL, 1, EVP_sha256());
        X509 *casha1 = cert("casha1", cak, ca, cak, 1, EVP_sha1());
        X509 *sub1024 = cert("sub1024", r1024, ca, cak, 1, EVP_sha256());
        SSL_CTX *o = SSL_CTX_new(TLS_server_method());
        SSL *os;
        STACK_OF(X509) *chain = sk_X509_new_null();
        long r;
        sk_X509_push(chain, sub1024);
#define OWN(what, call) do { ERR_clear_error(); r = (long)(call); \
        printf("own %s: %ld %s\n", what, r, reason_str(r ? 0 : ERR_GET_REASON(ERR_peek_error()))); } while (0)
        OWN("use_certificate rsa1024", SSL_CTX_use_certificate(o, peers[0].leaf));
        OWN("use_certificate p256-sha1", SSL_CTX_use_certificate(o, peers[3].leaf));
        OWN("use_certificate p256", SSL_CTX_use_certificate(o, peers[4].leaf));
        OWN("add1_chain_cert ca1024", SSL_CTX_add1_chain_cert(o, ca1024));
        OWN("add1_chain_cert sub1024", SSL_CTX_add1_chain_cert(o, sub1024));
        OWN("add1_chain_cert casha1", SSL_CTX_add1_chain_cert(o, casha1));
        OWN("add1_chain_cert ca", SSL_CTX_add1_chain_cert(o, ca));
        OWN("set1_chain [sub1024]", SSL_CTX_set1_chain(o, chain));
        X509_up_ref(ca1024);
        OWN("add_extra_chain_cert ca1024", SSL_CTX_add_extra_chain_cert(o, ca1024));
        OWN("use_cert_and_key rsa1024", SSL_CTX_use_cert_and_key(o, peers[0].leaf, r1024, NULL, 1));
        OWN("use_cert_and_key p256 [sub1024]", SSL_CTX_use_cert_and_key(o, peers[4].leaf, p256, chain, 1));
        os = SSL_new(o);
        OWN("SSL_use_certificate rsa1024", SSL_use_certificate(os, peers[0].leaf));
        OWN("SSL_add1_chain_cert sub1024", SSL_add1_chain_cert(os, sub1024));
        SSL_set_security_level(os, 0);
        OWN("SSL level0 use_certificate rsa1024", SSL_use_certificate(os, peers[0].leaf));
        SSL_free(os);
        SSL_CTX_set_security_level(o, 1);
        OWN("level1 use_certificate rsa1024", SSL_CTX_use_certificate(o, peers[0].leaf));
        OWN("level1 use_certificate p256-sha1", SSL_CTX_use_certificate(o, peers[3].leaf));
        SSL_CTX_set_security_level(o, 0);
        OWN("level0 use_certificate p256-sha1", SSL_CTX_use_certificate(o, peers[3].leaf));
        OWN("level0 add1_chain_cert casha1", SSL_CTX_add1_chain_cert(o, casha1));
        SSL_CTX_set_security_callback(o, sec_cb);
        SSL_CTX_set0_security_ex_data(o, "ctx");
        refuse_all = 1;
        calls = 0;
        OWN("refuse-all use_certificate p256", SSL_CTX_use_certificate(o, peers[4].leaf));
        printf("own refuse-all called: %d\n", calls > 0);
        refuse_all = 0;
        sk_X509_free(chain);
        SSL_CTX_free(o);
        X509_free(ca1024);
        X509_free(casha1);
        X509_free(sub1024);
    }

    /* SSL_set_SSL_CTX (as a servername callback does) brings the new context's level, callback
     * and callback data with its certificates. */
    {
        SSL_CTX *a = SSL_CTX_new(TLS_method()), *b = SSL_CTX_new(TLS_method());
        SSL_CTX_set_security_level(a, 0);
        SSL_CTX_set_security_level(b, 4);
        SSL_CTX_set_security_callback(b, sec_cb);
        SSL_CTX_set0_security_ex_data(b, b);
        SSL *s = SSL_new(a);
        SSL_set_security_level(s, 1);
        SSL_set_SSL_CTX(s, b);
        printf("SSL_set_SSL_CTX: level %d callback %d ex %d\n", SSL_get_security_level(s),
               SSL_get_security_callback(s) == sec_cb, SSL_get0_security_ex_data(s) == (void *)b);
        SSL_free(s);
        SSL_CTX_free(a);
        SSL_CTX_free(b);
    }

    /* A server whose level went up after its certificate was configured. */
    pair_new(&p, ca, peers[1].leaf, r2048);
    SSL_CTX_set_security_level(p.sctx, 3);
    SSL_CTX_set_security_level(p.cctx, 0);
    printf("server level raised after use_certificate rsa2048:");
    pair_print(&p, pair_run(&p));
    pair_free(&p);

    /* A callback refusing everything is called, and the handshake fails. */
    pair_new(&p, ca, peers[4].leaf, p256);
    SSL_CTX_set_security_callback(p.cctx, sec_cb);
    SSL_CTX_set0_security_ex_data(p.cctx, "cli");
    refuse_all = 1;
    calls = 0;
    int ok_all = pair_run(&p);
    printf("refuse-all client: handshake %d called %d\n", ok_all, calls > 0);
    refuse_all = 0;
    pair_free(&p);

    /* A callback refusing one operation (the rest allowed, whatever the level). */
    static const struct { int op, server; const char *name; } ops[] = {
        { SSL_SECOP_CIPHER_SUPPORTED, 0, "CIPHER_SUPPORTED" },
        { SSL_SECOP_CURVE_SUPPORTED, 0, "CURVE_SUPPORTED" },
        { SSL_SECOP_SIGALG_SUPPORTED, 0, "SIGALG_SUPPORTED" },
        { SSL_SECOP_CIPHER_CHECK, 0, "CIPHER_CHECK" },
        { SSL_SECOP_SIGALG_CHECK, 0, "SIGALG_CHECK" },
        { SSL_SECOP_CIPHER_SHARED, 1, "CIPHER_SHARED" },
        { SSL_SECOP_CURVE_SUPPORTED, 1, "server CURVE_SUPPORTED" },
        { SSL_SECOP_CURVE_CHECK, 1, "CURVE_CHECK" },
        { SSL_SECOP_CURVE_SHARED, 1, "CURVE_SHARED" },
        { SSL_SECOP_SIGALG_SHARED, 1, "SIGALG_SHARED" },
        { SSL_SECOP_EE_KEY, 1, "EE_KEY" },
        { SSL_SECOP_CA_MD, 1, "CA_MD" },
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        pair_new(&p, ca, peers[4].leaf, p256);
        SSL_CTX *who = ops[i].server ? p.sctx : p.cctx;
        SSL_CTX_set_security_callback(who, sec_cb);
        SSL_CTX_set0_security_ex_data(who, ops[i].server ? "srv" : "cli");
        refuse_op = ops[i].op;
        printf("refuse %s:", ops[i].name);
        pair_print(&p, pair_run(&p));
        refuse_op = -1;
        pair_free(&p);
    }

    /* The callback's arguments for the TLS 1.3 operations, both sides, with client auth. */
    for (int mtls = 0; mtls <= 1; mtls++) {
        pair_new(&p, ca, peers[4].leaf, p256);
        if (mtls) {
            SSL_CTX_use_certificate(p.cctx, peers[1].leaf);
            SSL_CTX_use_PrivateKey(p.cctx, r2048);
            SSL_CTX_set_verify(p.sctx, SSL_VERIFY_PEER, NULL);
            X509_STORE_add_cert(SSL_CTX_get_cert_store(p.sctx), ca);
        }
        SSL_CTX_set_security_callback(p.cctx, sec_cb);
        SSL_CTX_set0_security_ex_data(p.cctx, "cli");
        SSL_CTX_set_security_callback(p.sctx, sec_cb);
        SSL_CTX_set0_security_ex_data(p.sctx, "srv");
        nseen = 0;
        printf("arguments%s:", mtls ? " (client auth)" : "");
        pair_print(&p, pair_run(&p));
        qsort(seen, (size_t)nseen, sizeof(seen[0]), cmp);
        for (int i = 0; i < nseen; i++)
            printf("  %s\n", seen[i]);
        pair_free(&p);
    }

    /* client_sigalgs: on the server, what the CertificateRequest lists and what it accepts; on
     * the client, which scheme its CertificateVerify uses. */
    static const struct { const char *srv, *cli; } cs[] = {
        { "RSA-PSS+SHA384", NULL },
        { "RSA+SHA512", NULL },
        { NULL, "rsa_pss_rsae_sha512" },
        { NULL, "RSA+SHA384:RSA-PSS+SHA256" },
        { "ECDSA+SHA256", NULL },
        { "RSA+SHA256", "RSA-PSS+SHA256" },
    };
    static const int srv_nids[] = { NID_sha384, EVP_PKEY_RSA_PSS, NID_sha256, EVP_PKEY_EC };
    static const int cli_nids[] = { NID_sha256, EVP_PKEY_RSA, NID_sha512, EVP_PKEY_RSA_PSS };
    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]) + 2; i++) {
        int nids = i >= sizeof(cs) / sizeof(cs[0]);
        pair_new(&p, ca, peers[4].leaf, p256);
        SSL_CTX_use_certificate(p.cctx, peers[1].leaf);
        SSL_CTX_use_PrivateKey(p.cctx, r2048);
        SSL_CTX_set_verify(p.sctx, SSL_VERIFY_PEER, NULL);
        X509_STORE_add_cert(SSL_CTX_get_cert_store(p.sctx), ca);
        if (nids) { /* the (digest, key) NID-pair form: SHA384+RSA-PSS:SHA256+EC / SHA256+RSA:SHA512+RSA-PSS */
            if (i == sizeof(cs) / sizeof(cs[0]))
                printf("set %ld ", SSL_CTX_set1_client_sigalgs(p.sctx, srv_nids, 4));
            else
                printf("set %ld ", SSL_CTX_set1_client_sigalgs(p.cctx, cli_nids, 4));
            printf("client_sigalgs nids %s:", i == sizeof(cs) / sizeof(cs[0]) ? "server" : "client");
        } else {
            if (cs[i].srv != NULL)
                SSL_CTX_set1_client_sigalgs_list(p.sctx, cs[i].srv);
            if (cs[i].cli != NULL)
                SSL_CTX_set1_client_sigalgs_list(p.cctx, cs[i].cli);
            printf("client_sigalgs server=%s client=%s:", cs[i].srv ? cs[i].srv : "-", cs[i].cli ? cs[i].cli : "-");
        }
        int ok = pair_run(&p);
        if (ok) {
            int nid = NID_undef;
            SSL_get_peer_signature_type_nid(p.s, &nid);
            const char *n = OBJ_nid2sn(nid);
            int hnid = NID_undef;
            SSL_get_peer_signature_nid(p.s, &hnid);
            printf(" ok client signed %s+%s", n, OBJ_nid2sn(hnid));
            /* The CertificateRequest's list, as the client saw it. */
            printf(" request:");
            int nsig = SSL_get_sigalgs(p.c, -1, NULL, NULL, NULL, NULL, NULL);
            for (int k = 0; k < nsig; k++) {
                unsigned char rsig, rhash;
                SSL_get_sigalgs(p.c, k, NULL, NULL, NULL, &rsig, &rhash);
                unsigned char id[2] = { rhash, rsig };
                if (interesting(SSL_SECOP_SIGALG_SUPPORTED, id)) /* the filter predates keel's SHA-224 entries; diff_sigalgs compares the whole list */
                    printf(" %02x%02x", rhash, rsig);
            }
            printf("\n");
        } else {
            pair_print(&p, 0);
        }
        pair_free(&p);
    }

    for (size_t i = 0; i < npeers; i++)
        X509_free(peers[i].leaf);
    X509_free(ca);
    X509_free(ca384);
    X509_free(ca521);
    EVP_PKEY_free(cak);
    EVP_PKEY_free(r1024);
    EVP_PKEY_free(r2048);
    EVP_PKEY_free(r3072);
    EVP_PKEY_free(p256);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(p521);
    return 0;
}
