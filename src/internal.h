/* keel's private definitions of the opaque libssl objects.
 *
 * The seed (SSL_new(3)) in one sentence: an SSL inherits its SSL_CTX's settings. keel makes that one
 * thing: `keel_settings`, embedded by value in both SSL_CTX and SSL. SSL_new copies the context's
 * block, SSL_dup copies the SSL's block, SSL_set_* writes the SSL's copy, SSL_CTX_set_* the
 * context's. Connection state lives in `keel_conn`, never in the block, so "dynamic data is not
 * copied" holds by construction. */
#ifndef KEEL_INTERNAL_H
#define KEEL_INTERNAL_H

/* Public functions are defined with default visibility; everything else is hidden (-fvisibility=hidden),
 * and the version script exports only libssl's names. */
#pragma GCC visibility push(default)
#include <openssl/ssl.h>
#pragma GCC visibility pop

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stddef.h>
#include <time.h>

typedef struct keel_algs keel_algs;

static inline void keel_chain_free(STACK_OF(X509) *sk)
{
    sk_X509_pop_free(sk, X509_free);
}
typedef struct keel_conn keel_conn;

/* SSL_METHOD: which roles and which protocol versions. */
struct ssl_method_st {
    int version;         /* TLS_ANY_VERSION or the pinned version */
    int client, server;  /* may be used in that role */
    int dtls;            /* keel does not implement DTLS: SSL_CTX_new refuses it */
};

/* One certificate slot per key type, as a server may hold RSA and ECDSA certificates at once. */
enum { KEEL_SLOT_RSA, KEEL_SLOT_RSA_PSS, KEEL_SLOT_EC, KEEL_SLOT_ED25519, KEEL_SLOT_ED448,
       KEEL_SLOT_COUNT };

typedef struct {
    X509 *x509;
    EVP_PKEY *pkey;
    STACK_OF(X509) *chain; /* intermediates sent after x509 (SSL_CTX_set0_chain & co.) */
} keel_certkey;

/* Session statistics (SSL_CTX_sess_number(3) and friends). */
enum { KEEL_STAT_CONNECT, KEEL_STAT_CONNECT_GOOD, KEEL_STAT_ACCEPT, KEEL_STAT_ACCEPT_GOOD,
       KEEL_STAT_HITS, KEEL_STAT_CB_HIT, KEEL_STAT_MISSES, KEEL_STAT_TIMEOUTS, KEEL_STAT_CACHE_FULL,
       KEEL_STAT_CONNECT_RENEG, KEEL_STAT_ACCEPT_RENEG, KEEL_STAT_COUNT };

/* A peer certificate already decoded, by its DER bytes (src/pki/cert_cache.c). */
#define KEEL_CERT_CACHE_SIZE 8
typedef struct {
    uint8_t *der;
    size_t len;
    X509 *x509;
} keel_cached_cert;

/* A stateless-ticket sealing key (RFC 8446 §4.6.1 leaves the format to the server). */
typedef struct {
    uint8_t name[16];
    uint8_t key[32];
    uint64_t period;            /* the rotation period it serves; 0 = none (ticket.c) */
} keel_ticket_key;

#define KEEL_MAX_GROUPS 16
#define KEEL_MAX_SIGALGS 32
#define KEEL_MAX_CIPHERS 96 /* more than the 65 TLS 1.2 suites of proto/cipher.c */
#define KEEL_MAX_CIPHERS13 8 /* more than the 5 TLS 1.3 suites (RFC 8446 §B.4) */

/* A TLS 1.2 suite list shared by the settings blocks that hold it, immutable once made: an SSL
 * does not carry its own copy of its context's (up to KEEL_MAX_CIPHERS) suites. */
typedef struct keel_suite_list {
    atomic_int refs;
    size_t n;
    const SSL_CIPHER *v[];
} keel_suite_list;

/* The groups, signature schemes and TLS 1.3 suites a settings block names, shared by the blocks
 * copied from one another and copied only when one of them writes (keel_settings_lists): an SSL
 * that changes none of them holds none of the 224 bytes (the counts stay in the block). */
typedef struct keel_lists {
    atomic_int refs;
    uint16_t groups[KEEL_MAX_GROUPS];
    uint16_t sigalgs[KEEL_MAX_SIGALGS];
    uint16_t client_sigalgs[KEEL_MAX_SIGALGS];
    const SSL_CIPHER *ciphers13[KEEL_MAX_CIPHERS13]; /* TLS 1.3 suites, preference order */
} keel_lists;

/* The inherited settings block, shared by reference: SSL_new and SSL_dup take a reference to
 * their source's block, and a holder (SSL or SSL_CTX) that writes one of its settings first makes
 * the block its own (keel_ssl_w / keel_ctx_w: a copy if another holder shares it), so that no
 * holder ever sees another's later changes, as if each had its own copy (SSL_new(3)). Every
 * owned member is handled in keel_settings_dup/release. */
typedef struct keel_settings {
    atomic_int refs;
    const SSL_METHOD *method;
    uint64_t options;
    uint32_t mode;
    int verify_mode;
    SSL_verify_cb verify_callback;
    long session_timeout;       /* seconds; new sessions get it (SSL_CTX_set_timeout) */
    int min_version, max_version; /* 0 = no bound */

    keel_lists *lists;          /* owned reference, never NULL; read through, written through
                                 * keel_settings_lists. The lists' lengths: */
    size_t ngroups;
    size_t nsigalgs;            /* 0 = keel's default list */
    size_t nclient_sigalgs;
    size_t nciphers13;
    /* TLS 1.2 suites, preference order: suites12's, shared with the blocks copied from this one
     * (keel_settings_set_ciphers12 replaces the list, never writes it). */
    const SSL_CIPHER *const *ciphers12;
    size_t nciphers12;
    keel_suite_list *suites12;  /* owned reference */
    unsigned ciphers_gen;       /* names this block's suite lists (keel_settings_ciphers_changed):
                                 * a holder's SSL_get_ciphers stack was built from the lists of
                                 * the block with its generation */

    uint8_t *alpn;              /* wire-format protocol list we offer (client): owned */
    size_t alpn_len;

    keel_certkey certs[KEEL_SLOT_COUNT];  /* owned */
    int cur_slot;               /* slot the last use_certificate/use_PrivateKey touched */

    uint8_t sid_ctx[SSL_MAX_SID_CTX_LENGTH];
    size_t sid_ctx_len;

    int quiet_shutdown;
    int read_ahead;
    int security_level;
    size_t max_send_fragment;
    size_t num_tickets;
    int post_handshake_auth;
    uint32_t max_early_data;      /* TLS 1.3 early data we accept / advertise in tickets */
    uint32_t recv_max_early_data; /* the most early data we read or skip (OpenSSL: 16384) */
    SSL_allow_early_data_cb_fn allow_early_data_cb;
    void *allow_early_data_arg;
    unsigned long max_cert_list;

    pem_password_cb *passwd_cb;
    void *passwd_userdata;
    int (*cert_cb)(SSL *, void *);
    void *cert_cb_arg;
    void (*msg_callback)(int, int, int, const void *, size_t, SSL *, void *);
    void *msg_callback_arg;

    /* The security policy (src/pki/seclevel.c): the application's callback, or NULL / keel's
     * default callback for the level rule. sec_ssl / sec_ctx say whose block this is, for the
     * callback's arguments: set by keel_ssl_w / keel_ctx_w, cleared by the copy. A block with the
     * application's callback is never shared (SSL_new, SSL_dup), so they name its one holder. */
    int (*security_cb)(const SSL *, const SSL_CTX *, int, int, int, void *, void *);
    void *security_ex;
    const SSL *sec_ssl;
    const SSL_CTX *sec_ctx;
    /* TLS 1.3 record padding (RFC 8446 §5.4, SSL_CTX_set_record_padding_callback(3)): the
     * callback wins over the block size; block_padding <= 1 pads nothing. */
    size_t (*record_padding_cb)(SSL *, int, size_t, void *);
    void *record_padding_arg;
    size_t block_padding;
    /* The max_fragment_length code a client offers (RFC 6066 §4): 0 none, 1..4 = 2^(8+n) bytes. */
    uint8_t mfl_mode;
    /* SSL_CTX_set_max_pipelines(3): kept only because more than one turns read_ahead on, as in
     * OpenSSL; keel processes one record at a time (no suite it has can pipeline). */
    long max_pipelines;
    /* SSL_CTX_set1_verify_cert_store / set1_chain_cert_store (ctrls 106/107): owned; NULL = the
     * context's certificate store. The verify store checks the peer's chain; the chain store
     * builds our own (SSL_CTX_build_cert_chain). */
    X509_STORE *verify_store, *chain_store;
    /* TLS 1.2 DHE parameters (src/api/dh_params.c, SSL_CTX_set_tmp_dh(3)): owned; automatic
     * ones (SSL_CTX_set_dh_auto); the application's callback. Any of them enables the DHE
     * suites on a server, as in OpenSSL 3.0. */
    EVP_PKEY *dh_tmp;
    int dh_auto;
    DH *(*dh_tmp_cb)(SSL *, int, int);
    /* Pre-shared keys (src/handshake/psk.c): TLS 1.3 external PSKs as sessions, the legacy
     * callbacks of both versions, and the TLS 1.2 server's identity hint (owned). */
    SSL_psk_client_cb_func psk_client_cb;
    SSL_psk_server_cb_func psk_server_cb;
    SSL_psk_use_session_cb_func psk_use_session_cb;
    SSL_psk_find_session_cb_func psk_find_session_cb;
    char *psk_identity_hint;
} keel_settings;

keel_settings *keel_settings_new(const SSL_METHOD *method); /* NULL: no memory, raised */
keel_settings *keel_settings_dup(const keel_settings *src);  /* a private copy, or NULL (raised) */
const keel_settings *keel_settings_ref(const keel_settings *s); /* one more reference: s */
void keel_settings_release(const keel_settings *s);          /* NULL allowed */
/* The holder's block, made its own first if another holder shares it: the only way to write a
 * setting. NULL (reason raised) if the copy failed: the holder is then marked settings_lost and
 * refuses to go on (handshakes, SSL_new) rather than run with a setting the application believes
 * it made. */
keel_settings *keel_ssl_w(SSL *s);
keel_settings *keel_ctx_w(SSL_CTX *ctx);
/* Sets one plain member of a holder's block through keel_ssl_w / keel_ctx_w (W), unless the
 * block already has the value: a setter that changes nothing shares on. `value` is evaluated
 * before and after the copy: a parameter or constant, never read from the block. */
#define KEEL_SET(W, holder, member, value)                                              \
    do {                                                                                \
        if ((holder)->s->member != (value)) {                                           \
            keel_settings *w_ = W(holder);                                              \
            if (w_ != NULL)                                                             \
                w_->member = (value);                                                   \
        }                                                                               \
    } while (0)
/* The verification parameters (SSL_CTX_get0_param(3)) as SSL_new found a context's: one copy
 * shared by the SSLs made while the context's did not change, until an SSL writes its own. */
typedef struct {
    atomic_int refs;
    X509_VERIFY_PARAM *p;
} keel_param_snap;
/* An SSL's parameters to read; to write (its own copy first, NULL: no memory, raised, the SSL
 * marked settings_lost). keel_param_inherit sets an SSL's up from its context's (SSL_new) or
 * another SSL's (SSL_dup). keel_ctx_param_changed: the context's own changed (or may have, once
 * handed out by SSL_CTX_get0_param: exposed), so the next SSL_new takes a new snapshot. */
const X509_VERIFY_PARAM *keel_param_r(const SSL *s);
X509_VERIFY_PARAM *keel_param_w(SSL *s);
int keel_param_inherit(SSL *s, SSL_CTX *ctx, const SSL *from);
void keel_param_snap_release(keel_param_snap *p);
void keel_ctx_param_changed(SSL_CTX *ctx, int exposed);
/* Gives the block's suite lists a new generation (after a write to them). */
void keel_settings_ciphers_changed(keel_settings *s);
/* The block's lists, made its own first if another block shares them (NULL: no memory, raised). */
keel_lists *keel_settings_lists(keel_settings *s);
/* Installs a new TLS 1.2 suite list (a copy of v) in the block: 1, or 0 with the old one kept. */
int keel_settings_set_ciphers12(keel_settings *s, const SSL_CIPHER *const *v, size_t n);

struct ssl_ctx_st {
    atomic_int refs;
    OSSL_LIB_CTX *libctx;
    char *propq;
    const keel_algs *algs;      /* fetched once: the process-wide table, or our own for a libctx */
    keel_algs *own_algs;
    const keel_settings *s;     /* shared with the SSLs made from it until one side writes */
    X509_VERIFY_PARAM *param;   /* depth, purpose, host names, flags: SSL_new copies it ... */
    _Atomic(keel_param_snap *) param_snap; /* ... once per change, into this (NULL: none yet) */
    int param_exposed;          /* SSL_CTX_get0_param handed it out: no snapshot can be trusted */
    void (*info_callback)(const SSL *, int, int);
    STACK_OF(SSL_CIPHER) *cipher_stack; /* SSL_CTX_get_ciphers' view, built lazily */
    unsigned cipher_stack_gen;  /* ... from the lists of this generation */
    int settings_lost;          /* a setting could not be written: SSL_new refuses (keel_ctx_w) */
    int status_type;            /* SSL_CTX_set_tlsext_status_type (ctrl 65): -1 unset; SSL_new copies */
    CRYPTO_EX_DATA ex_data;

    X509_STORE *cert_store;
    STACK_OF(X509) *extra_certs;         /* SSL_CTX_add_extra_chain_cert */
    /* Chains completed from the trust store (src/pki/chain.c), one per slot, under `lock`: built
     * once per leaf and store, rebuilt after the store is reloaded (store_gen). */
    struct {
        X509 *leaf;                      /* owned reference: the pointer cannot be reused */
        const X509_STORE *store;
        unsigned gen;
        STACK_OF(X509) *chain;           /* the certificates after the leaf */
    } auto_chain[KEEL_SLOT_COUNT];
    atomic_uint store_gen;               /* bumped whenever store.c changes the trust store */
    STACK_OF(X509_NAME) *client_ca;      /* SSL_CTX_set_client_CA_list */
    STACK_OF(X509_NAME) *ca_names;       /* SSL_CTX_set0_CA_list (certificate_authorities) */

    /* Context-only callbacks (OpenSSL keeps these on the context; an SSL reads them via s->ctx). */
    int (*servername_cb)(SSL *, int *, void *);
    void *servername_arg;
    int (*alpn_select_cb)(SSL *, const unsigned char **, unsigned char *, const unsigned char *,
                          unsigned int, void *);
    void *alpn_select_arg;
    SSL_client_hello_cb_fn client_hello_cb; /* SSL_CTX_set_client_hello_cb (src/api/client_hello.c) */
    void *client_hello_arg;
    void (*keylog_cb)(const SSL *, const char *);
    int (*client_cert_cb)(SSL *, X509 **, EVP_PKEY **);
    int (*app_verify_cb)(X509_STORE_CTX *, void *);
    void *app_verify_arg;

    /* Ticket keys (src/handshake/ticket.c), the certificate and chain caches, under lock. */
    CRYPTO_RWLOCK *lock;
    /* Session cache (src/api/sess_cache.c), under its own lock: a hash table by version and id
     * (no buckets until the first session) and a list ordered by expiry. */
    CRYPTO_RWLOCK *sess_lock;
    SSL_SESSION **cache_buckets;
    size_t cache_nbuckets;          /* 0 or a power of two */
    uint64_t cache_seed;
    SSL_SESSION *cache_head, *cache_tail;
    long cache_count;
    uint8_t ticket_app_keys[80];    /* SSL_CTX_get/set_tlsext_ticket_keys: ticket_secret's source */
    uint8_t ticket_secret[32];      /* what every period's ticket key is derived from */
    keel_ticket_key ticket_keys[2]; /* current, previous */
    keel_cached_cert cert_cache[KEEL_CERT_CACHE_SIZE]; /* decoded peer certificates (cert_cache.c) */
    size_t cert_cache_next;
    /* SSL_CTX_set_tlsext_ticket_key_evp_cb: the application seals tickets instead of ticket_keys */
    int (*ticket_key_evp_cb)(SSL *, unsigned char *, unsigned char *, EVP_CIPHER_CTX *, EVP_MAC_CTX *, int);
    /* SSL_CTX_set_tlsext_ticket_key_cb (ctrl 72): the same, with an HMAC_CTX; used when the evp form is unset */
    int (*ticket_key_cb)(SSL *, unsigned char *, unsigned char *, EVP_CIPHER_CTX *, HMAC_CTX *, int);
    /* SSL_CTX_set_tlsext_status_cb / _arg (ctrls 63/64): OCSP stapling's callback, both roles */
    int (*status_cb)(SSL *, void *);
    void *status_arg;
    atomic_long stats[KEEL_STAT_COUNT];
    long session_cache_mode;
    long session_cache_size;
    int (*new_session_cb)(SSL *, SSL_SESSION *);
    void (*remove_session_cb)(SSL_CTX *, SSL_SESSION *);
    SSL_SESSION *(*get_session_cb)(SSL *, const unsigned char *, int, int *);
};

/* What only OCSP stapling and the extension debug callback use, apart from the SSL so that a
 * connection without them does not carry it: status request values (ctrls 66-71,
 * src/handshake/status.c; owned) and SSL_set_tlsext_debug_callback / _arg (ctrls 56/57). */
typedef struct {
    STACK_OF(X509_EXTENSION) *status_exts;
    void *status_ids;           /* STACK_OF(OCSP_RESPID) */
    unsigned char *ocsp_resp;
    long ocsp_resp_len;
    void (*tlsext_debug_cb)(SSL *, int, int, const unsigned char *, int, void *);
    void *tlsext_debug_arg;
} keel_ssl_rare;

struct ssl_st {
    atomic_int refs;
    OSSL_HANDSHAKE_STATE state;
    SSL_CTX *ctx;               /* current context (SSL_set_SSL_CTX may switch it) */
    SSL_CTX *session_ctx;       /* the context SSL_new was given */
    const keel_settings *s;     /* shared (the context's, SSL_dup's source's) until written */
    /* Depth, purpose, host names, flags, the matched peer name: the SSL's own, or (NULL) the
     * snapshot of its context's it shares (keel_param_r / keel_param_w). */
    X509_VERIFY_PARAM *param;
    keel_param_snap *param_snap;
    void (*info_callback)(const SSL *, int, int); /* NULL: the context's is called (conn.c) */
    STACK_OF(SSL_CIPHER) *cipher_stack; /* SSL_get_ciphers' view, built lazily */
    unsigned cipher_stack_gen;  /* ... from the lists of this generation */
    /* SSL_set_tlsext_status_type (ctrl 65): -1 = unset; a client asks for OCSP stapling with it;
     * a server's reads what the client asked (src/handshake/status.c). */
    int status_type;
    CRYPTO_EX_DATA ex_data;

    uint8_t server;             /* role; meaningful once handshake_set */
    uint8_t role_set;           /* SSL_set_connect_state / SSL_set_accept_state called */
    uint8_t in_init;            /* no handshake finished since the last (re)start */
    uint8_t settings_lost;      /* a setting could not be written: no handshake (keel_ssl_w) */
    uint8_t shutdown;           /* SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN */
    uint8_t rwstate;            /* what the last I/O call waited for (SSL_want): SSL_NOTHING.. */
    BIO *rbio, *wbio;
    /* The peer chain (this role's view) and verified chain SSL_clear keeps, as OpenSSL keeps them. */
    STACK_OF(X509) *cleared_chain, *cleared_verified;
    char *hostname;             /* SNI: what the client sends / what the server received */
    SSL_SESSION *session;
    /* Per-SSL CA name lists; NULL = use the context's (SSL_set_client_CA_list(3)). Owned. */
    STACK_OF(X509_NAME) *client_ca, *ca_names;
    long verify_result;
    keel_conn *conn;            /* connection state; NULL before the handshake starts */
    keel_ssl_rare *rare;        /* NULL until one of its values is set (keel_ssl_rare_w) */
};

/* The rare values' block to write, made on first use (NULL: no memory, raised); to read, the
 * block or an empty one. */
keel_ssl_rare *keel_ssl_rare_w(SSL *s);
extern const keel_ssl_rare keel_ssl_rare_none;
static inline const keel_ssl_rare *keel_ssl_rare_r(const SSL *s)
{
    return s->rare != NULL ? s->rare : &keel_ssl_rare_none;
}

/* ctrl dispatch helpers shared by SSL_ctrl and SSL_CTX_ctrl (src/api/ctrl.c, ctrl_cert.c): the
 * object whose block a command reads or writes, an SSL or (ssl NULL) a context. */
typedef struct {
    SSL *ssl;
    SSL_CTX *ctx;
} keel_holder;
long keel_settings_ctrl(keel_holder h, int cmd, long larg, void *parg, int *handled);
long keel_cert_select(keel_settings *s, int cmd, long larg, X509 *x);
long keel_cert_store_set(keel_settings *s, int cmd, long larg, X509_STORE *st);
void keel_status_free(SSL *s); /* the status-request values an SSL owns */
int keel_tmp_dh_check(const keel_settings *s, EVP_PKEY *pk); /* SSL_R_DH_KEY_TOO_SMALL */
/* src/api/dh_params.c: ctrl 3's DH (copied); the callback's parameters (new reference or NULL) */
long keel_set_tmp_dh(keel_settings *s, const DH *dh);
EVP_PKEY *keel_dh_from_callback(SSL *s);

/* Session cache (src/api/sess_cache.c) */
const char *keel_version_name(int version);         /* "TLSv1.3", as SSL_get_version */
void keel_cache_free(SSL_CTX *ctx);
int keel_ticket_keys_init(SSL_CTX *ctx); /* the first ticket key (src/handshake/ticket.c) */
long keel_ticket_keys_ctrl(SSL_CTX *ctx, int set, void *keys, long len); /* ctrls 58/59 */
void keel_ctx_system_config(SSL_CTX *ctx); /* openssl.cnf's ssl_conf system_default (src/api/conf.c) */
X509 *keel_cert_cache_get(SSL_CTX *ctx, const uint8_t *der, size_t len); /* a new reference */
void keel_cert_cache_put(SSL_CTX *ctx, const uint8_t *der, size_t len, X509 *x);
void keel_cert_cache_free(SSL_CTX *ctx);
long keel_cache_stat(SSL_CTX *ctx, int cmd);

/* Cipher table (src/proto/cipher.c) */
const SSL_CIPHER *keel_cipher_by_code(uint16_t code);
const SSL_CIPHER *keel_cipher_by_name(const char *name, size_t len);
int keel_ciphers_default(keel_settings *s);
int keel_ciphersuites_parse(const char *str, const SSL_CIPHER **out, size_t *n);
/* 1: parsed; 0: syntax error, list untouched; -1: nothing matched, *n = 0 installed (as OpenSSL). */
int keel_cipher_list_parse(const char *str, const SSL_CIPHER **out, size_t *n, int *seclevel);
/* openssl-ciphers(1)'s words for a suite (SSL_CIPHER_description, SSL_CIPHER_get_version): its
 * minimum version ("TLSv1" for the SHA-1 CBC suites), Kx, Au, Enc (with bits) and Mac. */
void keel_cipher_words(const SSL_CIPHER *c, const char **version, const char **kx, const char **au,
                       char enc[32], const char **mac);

/* Groups and signature algorithms by name (src/proto/groups.c; ALPN lists: src/proto/alpn.c) */
int keel_groups_parse(const char *list, uint16_t *out, size_t *n);
int keel_groups_from_nids(const int *nids, size_t count, uint16_t *out, size_t *n);
int keel_sigalgs_parse(const char *list, uint16_t *out, size_t *n);
int keel_sigalgs_from_nids(const int *v, size_t count, uint16_t *out, size_t *n);
int keel_sig_hash_nid(const SSL *s, int peer, int *pnid); /* src/api/surface.c */
size_t keel_sigalgs_default(const uint16_t **out);
int keel_group_nid(uint16_t id);
const char *keel_group_name(uint16_t id);
int keel_group_is_ffdhe(uint16_t id);
const char *keel_sigalg_name(uint16_t id);
int keel_alpn_check(const unsigned char *protos, unsigned int len);

/* Certificates and keys (src/pki/certs.c) */
int keel_cert_slot_for_key(const EVP_PKEY *pkey);
/* The slot for x's key type (its public key in *pub), or -1 with a reason raised. */
int keel_cert_slot(X509 *x, EVP_PKEY **pub);
int keel_use_certificate(keel_settings *s, X509 *x);     /* takes a reference */
int keel_use_private_key(keel_settings *s, EVP_PKEY *pkey);
int keel_check_private_key(const keel_settings *s);
int keel_use_chain_file(keel_settings *s, SSL_CTX *ctx, const char *file);

/* Chains from the trust store (src/pki/chain.c). keel_build_chain is SSL_CTX_build_cert_chain(3)
 * for the block's current certificate (s NULL: 0), from the block's chain store (NULL = the
 * context's cert store); flags SSL_BUILD_CHAIN_FLAG_*; 1 built (also when IGNORE_ERROR
 * ignored a verification error, as OpenSSL 3.0 returns), 0 failed (reason raised; the chain is
 * left as it was). keel_chain_to_send: the chain a Certificate message
 * carries after ck's leaf — configured chain, else the context's extra chain certificates, else
 * (unless SSL_MODE_NO_AUTO_CHAIN) the chain completed from the trust store; a new stack of new
 * references in *out (NULL = none), 0 on allocation failure. */
int keel_build_chain(keel_settings *s, SSL_CTX *ctx, unsigned long flags);
int keel_chain_to_send(SSL *s, const keel_certkey *ck, STACK_OF(X509) **out);
void keel_auto_chain_free(SSL_CTX *ctx);

/* Security level and callback (src/pki/seclevel.c). keel_sec_allowed: 1 if the application's
 * callback (or the level rule) accepts SSL_SECOP_* `op` with these arguments. keel_sec_cert and
 * keel_sec_chain: 0, or the SSL_R_* reason (EE_KEY_TOO_SMALL, CA_KEY_TOO_SMALL, CA_MD_TOO_WEAK)
 * for a certificate whose key or signature digest the policy refuses; `peer` adds SSL_SECOP_PEER. */
typedef int (*keel_sec_cb)(const SSL *, const SSL_CTX *, int, int, int, void *, void *);
keel_sec_cb keel_sec_default_cb(void);
int keel_sec_allowed(const keel_settings *st, int op, int bits, int nid, void *other);
int keel_sec_level_bits(const keel_settings *st);
int keel_sec_cipher(const keel_settings *st, int op, const SSL_CIPHER *c);
int keel_sec_group(const keel_settings *st, int op, uint16_t group);
int keel_sec_sigalg(const keel_settings *st, int op, uint16_t scheme);
int keel_sec_cert(const keel_settings *st, X509 *x, int is_ee, int peer);
int keel_sec_chain(const keel_settings *st, X509 *leaf, STACK_OF(X509) *chain, int peer);
/* True while the server's ClientHello callback runs (client_hello.c). */
int keel_in_client_hello_cb(const SSL *s);

#endif
