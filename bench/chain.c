/* The benchmark's certificates: one ECDSA P-256 CA and a leaf of each type for BENCH_HOST, made once
 * per run and stored as PEM so both binaries load identical chains. Only libcrypto is used here. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "bench.h"

static const char *const type_names[BENCH_NTYPES] = { "ecdsa", "rsa", "ed25519" };

int bench_type_from_name(const char *name)
{
    for (int i = 0; i < BENCH_NTYPES; i++)
        if (strcmp(name, type_names[i]) == 0)
            return i;
    return -1;
}

static EVP_PKEY *make_key(int type)
{
    switch (type) {
    case BENCH_ECDSA: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    case BENCH_RSA: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    case BENCH_ED25519: return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    }
    return NULL;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    int ok = e != NULL && X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok;
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, long serial)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    int ok = x != NULL && name != NULL && X509_set_version(x, 2)
        && ASN1_INTEGER_set(X509_get_serialNumber(x), serial)
        && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0)
        && X509_set_subject_name(x, name)
        && X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name)
        && X509_gmtime_adj(X509_getm_notBefore(x), -3600)
        && X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400)
        && X509_set_pubkey(x, key);
    if (ok && issuer == NULL)
        ok = add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE")
            && add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
    else if (ok)
        ok = add_ext(x, issuer, NID_subject_alt_name, "DNS:" BENCH_HOST)
            && add_ext(x, issuer, NID_ext_key_usage, "serverAuth");
    ok = ok && X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0;
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int write_pem(const char *dir, const char *base, X509 *x, EVP_PKEY *k)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.pem", dir, base);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return 0;
    int ok = PEM_write_X509(f, x) && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    return fclose(f) == 0 && ok;
}

int bench_chain_generate(const char *dir)
{
    EVP_PKEY *ca_key = make_key(BENCH_ECDSA);
    X509 *ca = ca_key ? make_cert("keel bench CA", ca_key, NULL, NULL, 1) : NULL;
    int ok = ca != NULL && write_pem(dir, "ca", ca, ca_key);
    for (int t = 0; ok && t < BENCH_NTYPES; t++) {
        EVP_PKEY *k = make_key(t);
        X509 *leaf = k ? make_cert(BENCH_HOST, k, ca, ca_key, 2 + t) : NULL;
        ok = leaf != NULL && write_pem(dir, type_names[t], leaf, k);
        X509_free(leaf);
        EVP_PKEY_free(k);
    }
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    return ok;
}

static int read_pem(const char *dir, const char *base, X509 **x, EVP_PKEY **k)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.pem", dir, base);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    *x = PEM_read_X509(f, NULL, NULL, NULL);
    *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return *x != NULL && *k != NULL;
}

int bench_chain_load(bench_chain *ch, const char *dir, int type)
{
    memset(ch, 0, sizeof(*ch));
    if (type < 0 || type >= BENCH_NTYPES || !read_pem(dir, "ca", &ch->ca, &ch->ca_key)
            || !read_pem(dir, type_names[type], &ch->leaf, &ch->leaf_key)) {
        bench_chain_free(ch);
        return 0;
    }
    return 1;
}

void bench_chain_free(bench_chain *ch)
{
    X509_free(ch->ca);
    X509_free(ch->leaf);
    EVP_PKEY_free(ch->ca_key);
    EVP_PKEY_free(ch->leaf_key);
    memset(ch, 0, sizeof(*ch));
}
