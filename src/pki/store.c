/* The context's trust store (SSL_CTX_load_verify_locations(3), SSL_CTX_set_cert_store(3)).
 * Loading goes through the context's library context and property query. */
#include "internal.h"

#include <pthread.h>

X509_STORE *SSL_CTX_get_cert_store(const SSL_CTX *ctx) { return ctx->cert_store; }

void SSL_CTX_set_cert_store(SSL_CTX *ctx, X509_STORE *store)
{
    atomic_fetch_add(&ctx->store_gen, 1); /* chains completed from the old store are stale */
    X509_STORE_free(ctx->cert_store);
    ctx->cert_store = store;
}

void SSL_CTX_set1_cert_store(SSL_CTX *ctx, X509_STORE *store)
{
    if (store != NULL)
        X509_STORE_up_ref(store);
    SSL_CTX_set_cert_store(ctx, store);
}

/* The store, about to be loaded into: chains completed from it so far are rebuilt (chain.c). */
static X509_STORE *store_of(SSL_CTX *ctx)
{
    atomic_fetch_add(&ctx->store_gen, 1);
    if (ctx->cert_store == NULL && (ctx->cert_store = X509_STORE_new()) == NULL)
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
    return ctx->cert_store;
}

int SSL_CTX_load_verify_file(SSL_CTX *ctx, const char *file)
{
    X509_STORE *st = store_of(ctx);
    if (st == NULL || file == NULL)
        return 0;
    return X509_STORE_load_file_ex(st, file, ctx->libctx, ctx->propq);
}

int SSL_CTX_load_verify_dir(SSL_CTX *ctx, const char *dir)
{
    X509_STORE *st = store_of(ctx);
    if (st == NULL || dir == NULL)
        return 0;
    return X509_STORE_load_path(st, dir);
}

int SSL_CTX_load_verify_store(SSL_CTX *ctx, const char *uri)
{
    X509_STORE *st = store_of(ctx);
    if (st == NULL || uri == NULL)
        return 0;
    return X509_STORE_load_store_ex(st, uri, ctx->libctx, ctx->propq);
}

int SSL_CTX_load_verify_locations(SSL_CTX *ctx, const char *file, const char *dir)
{
    if (file == NULL && dir == NULL)
        return 0;
    if (file != NULL && !SSL_CTX_load_verify_file(ctx, file))
        return 0;
    if (dir != NULL && !SSL_CTX_load_verify_dir(ctx, dir))
        return 0;
    return 1;
}

int SSL_CTX_set_default_verify_paths(SSL_CTX *ctx)
{
    X509_STORE *st = store_of(ctx);
    return st != NULL && X509_STORE_set_default_paths_ex(st, ctx->libctx, ctx->propq);
}

/* The default file / directory / store alone. As with OpenSSL, a missing default location is not
 * an error: the lookup is added and simply finds nothing. */
int SSL_CTX_set_default_verify_file(SSL_CTX *ctx)
{
    X509_STORE *st = store_of(ctx);
    X509_LOOKUP *lu = st != NULL ? X509_STORE_add_lookup(st, X509_LOOKUP_file()) : NULL;
    if (lu == NULL)
        return 0;
    ERR_set_mark();
    X509_LOOKUP_load_file_ex(lu, NULL, X509_FILETYPE_DEFAULT, ctx->libctx, ctx->propq);
    ERR_pop_to_mark();
    return 1;
}

int SSL_CTX_set_default_verify_dir(SSL_CTX *ctx)
{
    X509_STORE *st = store_of(ctx);
    X509_LOOKUP *lu = st != NULL ? X509_STORE_add_lookup(st, X509_LOOKUP_hash_dir()) : NULL;
    if (lu == NULL)
        return 0;
    ERR_set_mark();
    X509_LOOKUP_add_dir(lu, NULL, X509_FILETYPE_DEFAULT);
    ERR_pop_to_mark();
    return 1;
}

int SSL_CTX_set_default_verify_store(SSL_CTX *ctx)
{
    X509_STORE *st = store_of(ctx);
    X509_LOOKUP *lu = st != NULL ? X509_STORE_add_lookup(st, X509_LOOKUP_store()) : NULL;
    if (lu == NULL)
        return 0;
    ERR_set_mark();
    X509_LOOKUP_add_store_ex(lu, NULL, ctx->libctx, ctx->propq);
    ERR_pop_to_mark();
    return 1;
}

/* ---- client CA names (sent in CertificateRequest by the session/mTLS work) ---- */

void SSL_CTX_set_client_CA_list(SSL_CTX *ctx, STACK_OF(X509_NAME) *list)
{
    sk_X509_NAME_pop_free(ctx->client_ca, X509_NAME_free);
    ctx->client_ca = list;
}

STACK_OF(X509_NAME) *SSL_CTX_get_client_CA_list(const SSL_CTX *ctx) { return ctx->client_ca; }

int SSL_CTX_add_client_CA(SSL_CTX *ctx, X509 *x)
{
    X509_NAME *name;
    if (x == NULL || (name = X509_NAME_dup(X509_get_subject_name(x))) == NULL)
        return 0;
    if (ctx->client_ca == NULL && (ctx->client_ca = sk_X509_NAME_new_null()) == NULL) {
        X509_NAME_free(name);
        return 0;
    }
    if (!sk_X509_NAME_push(ctx->client_ca, name)) {
        X509_NAME_free(name);
        return 0;
    }
    return 1;
}

/* SSL_get_ex_data_X509_STORE_CTX_idx(3): the index under which a verify callback finds the SSL. */
static int store_ctx_idx = -1;
static pthread_once_t store_ctx_once = PTHREAD_ONCE_INIT;

static void make_store_ctx_idx(void)
{
    store_ctx_idx = X509_STORE_CTX_get_ex_new_index(0, "SSL for verify callback", NULL, NULL, NULL);
}

int SSL_get_ex_data_X509_STORE_CTX_idx(void)
{
    pthread_once(&store_ctx_once, make_store_ctx_idx);
    return store_ctx_idx;
}
