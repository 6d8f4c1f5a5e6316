/* CA name lists (SSL_CTX_set0_CA_list(3)) and loading subject names from files, directories and
 * stores (SSL_load_client_CA_file(3)).
 *
 * Two separate lists exist on each object: the "client CA" list a server sends in a
 * CertificateRequest, and the generic list for the certificate_authorities extension
 * (RFC 8446 §4.2.4). An SSL's list is NULL until set, and then overrides its context's. */
#include "handshake/hs.h"

#include <openssl/pem.h>
#include <openssl/store.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* ---- list helpers ---- */

static int has_name(const STACK_OF(X509_NAME) *sk, const X509_NAME *name)
{
    for (int i = 0; i < sk_X509_NAME_num(sk); i++)
        if (X509_NAME_cmp(sk_X509_NAME_value(sk, i), name) == 0)
            return 1;
    return 0;
}

/* Appends a copy of x's subject to *list, creating the list if there is none. */
static int add_subject(STACK_OF(X509_NAME) **list, const X509 *x)
{
    X509_NAME *name;

    if (x == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if ((name = X509_NAME_dup(X509_get_subject_name(x))) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_X509_LIB);
        return 0;
    }
    if (*list == NULL && (*list = sk_X509_NAME_new_null()) == NULL)
        goto oom;
    if (!sk_X509_NAME_push(*list, name))
        goto oom;
    return 1;
oom:
    ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
    X509_NAME_free(name);
    return 0;
}

static void set_list(STACK_OF(X509_NAME) **slot, STACK_OF(X509_NAME) *list)
{
    sk_X509_NAME_pop_free(*slot, X509_NAME_free);
    *slot = list;
}

STACK_OF(X509_NAME) *SSL_dup_CA_list(const STACK_OF(X509_NAME) *sk)
{
    int n = sk_X509_NAME_num(sk);
    STACK_OF(X509_NAME) *out = sk_X509_NAME_new_reserve(NULL, n > 0 ? n : 0);

    if (out == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        X509_NAME *name = X509_NAME_dup(sk_X509_NAME_value(sk, i));
        if (name == NULL) {
            ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
            sk_X509_NAME_pop_free(out, X509_NAME_free);
            return NULL;
        }
        sk_X509_NAME_push(out, name); /* cannot fail: space reserved */
    }
    return out;
}

/* ---- the client CA list: server side only ---- */

void SSL_set_client_CA_list(SSL *s, STACK_OF(X509_NAME) *name_list) { set_list(&s->client_ca, name_list); }

/* A server reports its own list or its context's; a client the list the server sent in its
 * CertificateRequest. */
STACK_OF(X509_NAME) *SSL_get_client_CA_list(const SSL *s)
{
    if (!s->server)
        return s->conn != NULL ? s->conn->peer_ca_names : NULL;
    return s->client_ca != NULL ? s->client_ca : s->ctx->client_ca;
}

int SSL_add_client_CA(SSL *ssl, X509 *x) { return add_subject(&ssl->client_ca, x); }

/* ---- the generic CA list: both sides ---- */

void SSL_CTX_set0_CA_list(SSL_CTX *ctx, STACK_OF(X509_NAME) *name_list) { set_list(&ctx->ca_names, name_list); }
void SSL_set0_CA_list(SSL *s, STACK_OF(X509_NAME) *name_list) { set_list(&s->ca_names, name_list); }
const STACK_OF(X509_NAME) *SSL_CTX_get0_CA_list(const SSL_CTX *ctx) { return ctx->ca_names; }

const STACK_OF(X509_NAME) *SSL_get0_CA_list(const SSL *s)
{
    return s->ca_names != NULL ? s->ca_names : s->ctx->ca_names;
}

int SSL_CTX_add1_to_CA_list(SSL_CTX *ctx, const X509 *x) { return add_subject(&ctx->ca_names, x); }
int SSL_add1_to_CA_list(SSL *ssl, const X509 *x) { return add_subject(&ssl->ca_names, x); }

/* The peer's certificate_authorities (RFC 8446 §4.2.4); NULL if none was sent. */
const STACK_OF(X509_NAME) *SSL_get0_peer_CA_list(const SSL *s)
{
    return s->conn != NULL ? s->conn->peer_ca_names : NULL;
}

/* ---- loading subject names ---- */

/* Adds the subject of every PEM certificate in `in` to sk, skipping names already there.
 * Running out of certificates is the normal end; any other PEM or I/O error fails. */
static int add_from_bio(STACK_OF(X509_NAME) *sk, BIO *in, OSSL_LIB_CTX *libctx, const char *propq)
{
    for (;;) {
        X509 *x = X509_new_ex(libctx, propq);
        if (x == NULL) {
            ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
            return 0;
        }
        ERR_set_mark();
        if (PEM_read_bio_X509(in, &x, NULL, NULL) == NULL) {
            unsigned long e = ERR_peek_last_error();
            X509_free(x);
            if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
                ERR_pop_to_mark();
                return 1;
            }
            ERR_clear_last_mark();
            ERR_raise(ERR_LIB_SSL, ERR_R_PEM_LIB);
            return 0;
        }
        ERR_clear_last_mark();
        const X509_NAME *subject = X509_get_subject_name(x);
        int ok = 1;
        if (!has_name(sk, subject)) {
            X509_NAME *name = X509_NAME_dup(subject);
            if (name == NULL || !sk_X509_NAME_push(sk, name)) {
                X509_NAME_free(name);
                ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
                ok = 0;
            }
        }
        X509_free(x);
        if (!ok)
            return 0;
    }
}

static int add_from_file(STACK_OF(X509_NAME) *sk, const char *file, OSSL_LIB_CTX *libctx,
                         const char *propq)
{
    BIO *in;

    if (sk == NULL || file == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if ((in = BIO_new_file(file, "r")) == NULL) {
        ERR_raise_data(ERR_LIB_SSL, ERR_R_SYS_LIB, "cannot open %s", file);
        return 0;
    }
    int ok = add_from_bio(sk, in, libctx, propq);
    BIO_free(in);
    return ok;
}

/* NULL when the file cannot be read or holds no certificate (SSL_load_client_CA_file(3): the
 * stack holds "the subject names of the successfully read certificates"). */
STACK_OF(X509_NAME) *SSL_load_client_CA_file_ex(const char *file, OSSL_LIB_CTX *libctx,
                                                const char *propq)
{
    STACK_OF(X509_NAME) *sk = sk_X509_NAME_new_null();

    if (sk == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    if (!add_from_file(sk, file, libctx, propq)) {
        sk_X509_NAME_pop_free(sk, X509_NAME_free);
        return NULL;
    }
    if (sk_X509_NAME_num(sk) == 0) {
        ERR_raise_data(ERR_LIB_SSL, SSL_R_NO_CERTIFICATE_SET, "no certificates in %s", file);
        sk_X509_NAME_free(sk);
        return NULL;
    }
    return sk;
}

STACK_OF(X509_NAME) *SSL_load_client_CA_file(const char *file)
{
    return SSL_load_client_CA_file_ex(file, NULL, NULL);
}

int SSL_add_file_cert_subjects_to_stack(STACK_OF(X509_NAME) *stackCAs, const char *file)
{
    return add_from_file(stackCAs, file, NULL, NULL);
}

/* Every regular file in dir (symbolic links followed); subdirectories are not descended. */
int SSL_add_dir_cert_subjects_to_stack(STACK_OF(X509_NAME) *stackCAs, const char *dir)
{
    DIR *d;
    struct dirent *e;
    int ok = 1;

    if (stackCAs == NULL || dir == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if ((d = opendir(dir)) == NULL) {
        ERR_raise_data(ERR_LIB_SSL, ERR_R_SYS_LIB, "cannot open directory %s", dir);
        return 0;
    }
    errno = 0;
    while (ok && (e = readdir(d)) != NULL) {
        size_t len = strlen(dir) + 1 + strlen(e->d_name) + 1;
        char *path = OPENSSL_malloc(len);
        struct stat st;
        if (path == NULL) {
            ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
            ok = 0;
            break;
        }
        snprintf(path, len, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            ok = add_from_file(stackCAs, path, NULL, NULL);
        OPENSSL_free(path);
        errno = 0;
    }
    if (ok && errno != 0) {
        ERR_raise_data(ERR_LIB_SSL, ERR_R_SYS_LIB, "cannot read directory %s", dir);
        ok = 0;
    }
    closedir(d);
    return ok;
}

/* Every certificate an OSSL_STORE URI yields (file:, or a provider's scheme). */
int SSL_add_store_cert_subjects_to_stack(STACK_OF(X509_NAME) *stackCAs, const char *uri)
{
    OSSL_STORE_CTX *st;
    int ok = 1;

    if (stackCAs == NULL || uri == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if ((st = OSSL_STORE_open(uri, NULL, NULL, NULL, NULL)) == NULL) {
        ERR_raise_data(ERR_LIB_SSL, ERR_R_OSSL_STORE_LIB, "cannot open %s", uri);
        return 0;
    }
    while (ok && !OSSL_STORE_eof(st)) {
        OSSL_STORE_INFO *info = OSSL_STORE_load(st);
        if (info == NULL) {
            if (OSSL_STORE_error(st)) {
                ERR_raise(ERR_LIB_SSL, ERR_R_OSSL_STORE_LIB);
                ok = 0;
            }
            continue;
        }
        X509 *x = OSSL_STORE_INFO_get0_CERT(info);
        if (x != NULL && !has_name(stackCAs, X509_get_subject_name(x))) {
            X509_NAME *name = X509_NAME_dup(X509_get_subject_name(x));
            if (name == NULL || !sk_X509_NAME_push(stackCAs, name)) {
                X509_NAME_free(name);
                ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
                ok = 0;
            }
        }
        OSSL_STORE_INFO_free(info);
    }
    OSSL_STORE_close(st);
    return ok;
}
