/* SSL_CONF (SSL_CONF_cmd(3), SSL_CONF_CTX_new(3), SSL_CONF_CTX_set_flags(3),
 * SSL_CONF_CTX_set1_prefix(3), SSL_CONF_cmd_argv(3), SSL_CONF_CTX_set_ssl_ctx(3), SSL_CTX_config(3)):
 * configuration by name/value commands, each mapped onto the public setter that does the work.
 * A command is recognised only in the forms (configuration file / command line) and for the roles
 * (client / server / certificate operations) the SSL_CONF_CTX's flags allow; anything else is
 * "unrecognised" (-2), as documented. Without an SSL or SSL_CTX attached, commands are only
 * checked for syntax. */
#include "internal.h"

#include <openssl/conf.h>
#include <openssl/pem.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ssl_conf_ctx_st {
    unsigned int flags;
    char *prefix;               /* NULL: the default ("-" for command lines, none for files) */
    SSL_CTX *ctx;               /* at most one of ctx and ssl is set */
    SSL *ssl;
    char *cert_file;            /* the last Certificate loaded, for SSL_CONF_FLAG_REQUIRE_PRIVATE */
    int key_loaded;
    STACK_OF(X509_NAME) *client_ca; /* ClientCAFile/ClientCAPath, installed by SSL_CONF_CTX_finish */
    STACK_OF(X509_NAME) *req_ca;    /* RequestCAFile */
};

/* Apply to whichever object is attached; with none, only the syntax is checked. */
#define APPLY(c, on_ctx, on_ssl) ((c)->ssl != NULL ? (on_ssl) : (c)->ctx != NULL ? (on_ctx) : 1)

#define NOT_IMPL(what) ERR_raise_data(ERR_LIB_SSL, ERR_R_UNSUPPORTED, "keel: " what " is not implemented")

/* ---- options ---- */

static void set_options(SSL_CONF_CTX *c, uint64_t set, uint64_t clear)
{
    if (c->ssl != NULL) {
        SSL_clear_options(c->ssl, clear);
        SSL_set_options(c->ssl, set);
    } else if (c->ctx != NULL) {
        SSL_CTX_clear_options(c->ctx, clear);
        SSL_CTX_set_options(c->ctx, set);
    }
}

enum { ROLE_CLIENT = SSL_CONF_FLAG_CLIENT, ROLE_SERVER = SSL_CONF_FLAG_SERVER,
       ROLE_BOTH = SSL_CONF_FLAG_CLIENT | SSL_CONF_FLAG_SERVER };

/* One named flag of a list command: setting it sets `bits` (clears them when `inverse`). */
typedef struct {
    const char *name;
    uint64_t bits;
    int inverse;
    unsigned int roles;
} flag_def;

static const flag_def option_flags[] = { /* Options (SSL_CTX_set_options(3)) */
    { "SessionTicket", SSL_OP_NO_TICKET, 1, ROLE_BOTH },
    { "Compression", SSL_OP_NO_COMPRESSION, 1, ROLE_BOTH },
    { "EmptyFragments", SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS, 1, ROLE_BOTH },
    { "Bugs", SSL_OP_ALL, 0, ROLE_BOTH },
    { "DHSingle", 0, 0, ROLE_SERVER },   /* always so since OpenSSL 1.1.0: no bit */
    { "ECDHSingle", 0, 0, ROLE_SERVER },
    { "ServerPreference", SSL_OP_CIPHER_SERVER_PREFERENCE, 0, ROLE_SERVER },
    { "PrioritizeChaCha", SSL_OP_PRIORITIZE_CHACHA, 0, ROLE_SERVER },
    { "NoResumptionOnRenegotiation", SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION, 0, ROLE_SERVER },
    { "NoRenegotiation", SSL_OP_NO_RENEGOTIATION, 0, ROLE_BOTH },
    { "UnsafeLegacyRenegotiation", SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION, 0, ROLE_BOTH },
    { "UnsafeLegacyServerConnect", SSL_OP_LEGACY_SERVER_CONNECT, 0, ROLE_CLIENT },
    { "ClientRenegotiation", SSL_OP_ALLOW_CLIENT_RENEGOTIATION, 0, ROLE_SERVER },
    { "EncryptThenMac", SSL_OP_NO_ENCRYPT_THEN_MAC, 1, ROLE_BOTH },
    { "AllowNoDHEKEX", SSL_OP_ALLOW_NO_DHE_KEX, 0, ROLE_BOTH },
    { "MiddleboxCompat", SSL_OP_ENABLE_MIDDLEBOX_COMPAT, 0, ROLE_BOTH },
    { "AntiReplay", SSL_OP_NO_ANTI_REPLAY, 1, ROLE_SERVER },
    { "ExtendedMasterSecret", SSL_OP_NO_EXTENDED_MASTER_SECRET, 1, ROLE_BOTH },
    { "CANames", SSL_OP_DISABLE_TLSEXT_CA_NAMES, 1, ROLE_BOTH },
    { "KTLS", SSL_OP_ENABLE_KTLS, 0, ROLE_BOTH },
    { "IgnoreUnexpectedEOF", SSL_OP_IGNORE_UNEXPECTED_EOF, 0, ROLE_BOTH },
    { NULL, 0, 0, 0 },
};

static const flag_def protocol_flags[] = { /* Protocol: enabling a version clears its NO_ bit */
    { "ALL", SSL_OP_NO_SSL_MASK, 1, ROLE_BOTH },
    { "SSLv2", 0, 1, ROLE_BOTH },
    { "SSLv3", SSL_OP_NO_SSLv3, 1, ROLE_BOTH },
    { "TLSv1", SSL_OP_NO_TLSv1, 1, ROLE_BOTH },
    { "TLSv1.1", SSL_OP_NO_TLSv1_1, 1, ROLE_BOTH },
    { "TLSv1.2", SSL_OP_NO_TLSv1_2, 1, ROLE_BOTH },
    { "TLSv1.3", SSL_OP_NO_TLSv1_3, 1, ROLE_BOTH },
    { "DTLSv1", SSL_OP_NO_DTLSv1, 1, ROLE_BOTH },
    { "DTLSv1.2", SSL_OP_NO_DTLSv1_2, 1, ROLE_BOTH },
    { NULL, 0, 0, 0 },
};

static const flag_def verify_flags[] = { /* VerifyMode (SSL_CTX_set_verify(3)) */
    { "Peer", SSL_VERIFY_PEER, 0, ROLE_CLIENT },
    { "Request", SSL_VERIFY_PEER, 0, ROLE_SERVER },
    { "Require", SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, 0, ROLE_SERVER },
    { "Once", SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, 0, ROLE_SERVER },
    { "RequestPostHandshake", SSL_VERIFY_PEER | SSL_VERIFY_POST_HANDSHAKE, 0, ROLE_SERVER },
    { "RequiresPostHandshake",
      SSL_VERIFY_PEER | SSL_VERIFY_POST_HANDSHAKE | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, 0, ROLE_SERVER },
    { NULL, 0, 0, 0 },
};

/* A comma-separated list of flag names, each optionally prefixed "+" or "-" (off). The effect
 * accumulates in *set / *clear. Names are case-insensitive, like every configuration-file value.
 * A name unknown (or not for this role) ends the list with failure; what came before it still
 * applies, as with OpenSSL 3.0 (a client given "-SessionTicket,ServerPreference" does get
 * SSL_OP_NO_TICKET). */
static int parse_flags(const SSL_CONF_CTX *c, const flag_def *tbl, const char *value, uint64_t *set,
                       uint64_t *clear)
{
    const char *p = value;

    *set = *clear = 0;
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        int on = 1;
        while (len > 0 && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len > 0 && (*p == '+' || *p == '-')) {
            on = *p == '+';
            p++, len--;
        }
        const flag_def *f = tbl;
        for (; f->name != NULL; f++)
            if (strlen(f->name) == len && strncasecmp(f->name, p, len) == 0
                    && (f->roles == ROLE_BOTH || (f->roles & c->flags) != 0))
                break;
        if (f->name == NULL || len == 0)
            return 0;
        int set_bits = on != f->inverse;
        *(set_bits ? set : clear) |= f->bits;
        *(set_bits ? clear : set) &= ~f->bits;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return 1;
}

static int cmd_options(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    uint64_t set, clear;
    int ok = parse_flags(c, arg, v, &set, &clear);
    set_options(c, set, clear);
    return ok;
}

static int cmd_verify_mode(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    uint64_t set, clear;
    int ok = parse_flags(c, verify_flags, v, &set, &clear);
    if ((set | clear) == 0)
        return ok;
    if (c->ssl != NULL)
        SSL_set_verify(c->ssl, (int)((SSL_get_verify_mode(c->ssl) & ~clear) | set),
                       SSL_get_verify_callback(c->ssl));
    else if (c->ctx != NULL)
        SSL_CTX_set_verify(c->ctx, (int)((SSL_CTX_get_verify_mode(c->ctx) & ~clear) | set),
                           SSL_CTX_get_verify_callback(c->ctx));
    return ok;
}

/* Command-line switches: one option set (or cleared, for the negative ones). */
typedef struct { uint64_t bits; int clear; } switch_def;

static int cmd_switch(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    const switch_def *sw = arg;
    set_options(c, sw->clear ? 0 : sw->bits, sw->clear ? sw->bits : 0);
    return 1;
}

static const switch_def sw_bugs = { SSL_OP_ALL, 0 }, sw_no_comp = { SSL_OP_NO_COMPRESSION, 0 },
    sw_comp = { SSL_OP_NO_COMPRESSION, 1 }, sw_no_ticket = { SSL_OP_NO_TICKET, 0 },
    sw_serverpref = { SSL_OP_CIPHER_SERVER_PREFERENCE, 0 },
    sw_client_reneg = { SSL_OP_ALLOW_CLIENT_RENEGOTIATION, 0 },
    sw_legacy_reneg = { SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION, 0 },
    sw_no_reneg = { SSL_OP_NO_RENEGOTIATION, 0 }, sw_no_etm = { SSL_OP_NO_ENCRYPT_THEN_MAC, 0 },
    sw_no_resumption_on_reneg = { SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION, 0 },
    sw_legacy_server_connect = { SSL_OP_LEGACY_SERVER_CONNECT, 0 },
    sw_no_legacy_server_connect = { SSL_OP_LEGACY_SERVER_CONNECT, 1 },
    sw_prioritize_chacha = { SSL_OP_PRIORITIZE_CHACHA, 0 },
    sw_allow_no_dhe_kex = { SSL_OP_ALLOW_NO_DHE_KEX, 0 },
    sw_no_ssl3 = { SSL_OP_NO_SSLv3, 0 }, sw_no_tls1 = { SSL_OP_NO_TLSv1, 0 },
    sw_no_tls1_1 = { SSL_OP_NO_TLSv1_1, 0 }, sw_no_tls1_2 = { SSL_OP_NO_TLSv1_2, 0 },
    sw_no_tls1_3 = { SSL_OP_NO_TLSv1_3, 0 }, sw_anti_replay = { SSL_OP_NO_ANTI_REPLAY, 1 },
    sw_no_anti_replay = { SSL_OP_NO_ANTI_REPLAY, 0 },
    sw_no_middlebox = { SSL_OP_ENABLE_MIDDLEBOX_COMPAT, 1 }, sw_ignored = { 0, 0 };

/* ---- protocol bounds ---- */

static int cmd_protocol_bound(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    static const struct { const char *name; int version, dtls; } versions[] = {
        { "None", 0, -1 }, { "SSLv3", SSL3_VERSION, 0 }, { "TLSv1", TLS1_VERSION, 0 },
        { "TLSv1.1", TLS1_1_VERSION, 0 }, { "TLSv1.2", TLS1_2_VERSION, 0 },
        { "TLSv1.3", TLS1_3_VERSION, 0 }, { "DTLSv1", DTLS1_VERSION, 1 },
        { "DTLSv1.2", DTLS1_2_VERSION, 1 },
    };
    int is_max = arg != NULL;

    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        if (strcasecmp(v, versions[i].name) != 0)
            continue;
        const SSL_METHOD *m = c->ssl != NULL ? c->ssl->s->method : c->ctx != NULL ? c->ctx->s->method : NULL;
        /* A TLS bound does not apply to a DTLS context and vice versa; "None" to both. */
        if (m == NULL || (versions[i].dtls >= 0 && versions[i].dtls != m->dtls))
            return 1;
        long ver = versions[i].version;
        if (c->ssl != NULL)
            return (int)(is_max ? SSL_set_max_proto_version(c->ssl, ver) : SSL_set_min_proto_version(c->ssl, ver));
        return (int)(is_max ? SSL_CTX_set_max_proto_version(c->ctx, ver)
                            : SSL_CTX_set_min_proto_version(c->ctx, ver));
    }
    return 0;
}

/* ---- algorithms ---- */

static int cmd_cipher_list(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    return APPLY(c, SSL_CTX_set_cipher_list(c->ctx, v), SSL_set_cipher_list(c->ssl, v));
}

static int cmd_ciphersuites(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    return APPLY(c, SSL_CTX_set_ciphersuites(c->ctx, v), SSL_set_ciphersuites(c->ssl, v));
}

static int cmd_groups(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    return (int)APPLY(c, SSL_CTX_set1_groups_list(c->ctx, v), SSL_set1_groups_list(c->ssl, v));
}

/* The ECDH curve of TLS 1.2 servers: in TLS 1.3 terms, the one group to use. */
static int cmd_named_curve(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    if (strcasecmp(v, "auto") == 0 || strcasecmp(v, "automatic") == 0)
        return 1;
    return cmd_groups(c, v, arg);
}

static int cmd_sigalgs(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    return (int)APPLY(c, SSL_CTX_set1_sigalgs_list(c->ctx, v), SSL_set1_sigalgs_list(c->ssl, v));
}

static int cmd_client_sigalgs(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    return (int)APPLY(c, SSL_CTX_set1_client_sigalgs_list(c->ctx, v),
                      SSL_set1_client_sigalgs_list(c->ssl, v));
}

/* NumTickets and RecordPadding read their number as OpenSSL 3.0 does, as atoi(3) would: the
 * leading digits, 0 when there are none ("abc" sets 0 and succeeds), only a negative or too large
 * value refused, with no reason pushed (tests/diff/errcodes.c). */
static int parse_atoi(const char *v, long max, long *out)
{
    long n = strtol(v, NULL, 10);
    if (n < 0 || n > max)
        return 0;
    *out = n;
    return 1;
}

static int cmd_record_padding(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    long n;
    if (!parse_atoi(v, SSL3_RT_MAX_PLAIN_LENGTH, &n))
        return 0;
    return APPLY(c, SSL_CTX_set_block_padding(c->ctx, (size_t)n), SSL_set_block_padding(c->ssl, (size_t)n));
}

static int cmd_num_tickets(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    long n;
    if (!parse_atoi(v, INT_MAX, &n))
        return 0;
    return APPLY(c, SSL_CTX_set_num_tickets(c->ctx, (size_t)n), SSL_set_num_tickets(c->ssl, (size_t)n));
}

/* ---- certificates, keys and CA lists (SSL_CONF_FLAG_CERTIFICATE) ---- */

static int cmd_certificate(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    int ok = APPLY(c, SSL_CTX_use_certificate_chain_file(c->ctx, v),
                   SSL_use_certificate_chain_file(c->ssl, v));
    if (ok && (c->ctx != NULL || c->ssl != NULL)) {
        char *f = OPENSSL_strdup(v);
        if (f == NULL) {
            ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
            return 0;
        }
        OPENSSL_free(c->cert_file);
        c->cert_file = f;
        c->key_loaded = 0;
    }
    return ok;
}

static int cmd_private_key(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    int ok = APPLY(c, SSL_CTX_use_PrivateKey_file(c->ctx, v, SSL_FILETYPE_PEM),
                   SSL_use_PrivateKey_file(c->ssl, v, SSL_FILETYPE_PEM));
    if (ok)
        c->key_loaded = 1;
    return ok;
}

/* Trust anchors for verifying the peer: into the context's store (an SSL has none of its own). */
static int cmd_verify_ca(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    int kind = *(const int *)arg;
    if (c->ssl != NULL) {
        NOT_IMPL("a per-SSL verification store (VerifyCAFile/VerifyCAPath/VerifyCAStore on an SSL)");
        return 0;
    }
    if (c->ctx == NULL)
        return 1;
    return kind == SSL_CONF_TYPE_FILE ? SSL_CTX_load_verify_file(c->ctx, v)
         : kind == SSL_CONF_TYPE_DIR ? SSL_CTX_load_verify_dir(c->ctx, v)
         : SSL_CTX_load_verify_store(c->ctx, v);
}

static int cmd_chain_ca(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    NOT_IMPL("a separate chain-building store (ChainCAFile/ChainCAPath/ChainCAStore)");
    return 0;
}

/* ClientCAFile/ClientCAPath and RequestCAFile collect names; SSL_CONF_CTX_finish installs them. */
static int add_names(STACK_OF(X509_NAME) **sk, const char *v, int dir)
{
    if (*sk == NULL && (*sk = sk_X509_NAME_new_null()) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return 0;
    }
    return dir ? SSL_add_dir_cert_subjects_to_stack(*sk, v) : SSL_add_file_cert_subjects_to_stack(*sk, v);
}

static int cmd_client_ca(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    return add_names(&c->client_ca, v, arg != NULL);
}

static int cmd_request_ca(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    return add_names(&c->req_ca, v, 0);
}

static int cmd_dh_parameters(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    BIO *in = BIO_new_file(v, "r");
    EVP_PKEY *dh = in != NULL ? PEM_read_bio_Parameters(in, NULL) : NULL;
    BIO_free(in);
    if (dh == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PEM_LIB);
        return 0;
    }
    int ok = APPLY(c, SSL_CTX_set0_tmp_dh_pkey(c->ctx, dh), SSL_set0_tmp_dh_pkey(c->ssl, dh));
    if (!ok || (c->ctx == NULL && c->ssl == NULL))
        EVP_PKEY_free(dh); /* ownership passes only on success */
    return ok;
}

static int cmd_serverinfo(SSL_CONF_CTX *c, const char *v, const void *arg)
{
    if (c->ctx == NULL)
        return 1;
    return SSL_CTX_use_serverinfo_file(c->ctx, v);
}

/* ---- the command table ---- */

#define CERT SSL_CONF_FLAG_CERTIFICATE

typedef struct {
    const char *file;           /* configuration-file name (case-insensitive); NULL: none */
    const char *cmdline;        /* command-line name, without prefix (case-sensitive); NULL: none */
    unsigned int roles;         /* ROLE_* the command exists for */
    unsigned int need;          /* further flags it needs (CERT) */
    int type;                   /* SSL_CONF_TYPE_* */
    int (*fn)(SSL_CONF_CTX *, const char *, const void *);
    const void *arg;
} cmd_def;

static const int k_file = SSL_CONF_TYPE_FILE, k_dir = SSL_CONF_TYPE_DIR, k_store = SSL_CONF_TYPE_STORE;

static const cmd_def commands[] = {
    { "SignatureAlgorithms", "sigalgs", ROLE_BOTH, 0, SSL_CONF_TYPE_STRING, cmd_sigalgs, NULL },
    { "ClientSignatureAlgorithms", "client_sigalgs", ROLE_BOTH, 0, SSL_CONF_TYPE_STRING, cmd_client_sigalgs, NULL },
    { "Groups", "groups", ROLE_BOTH, 0, SSL_CONF_TYPE_STRING, cmd_groups, NULL },
    { "Curves", "curves", ROLE_BOTH, 0, SSL_CONF_TYPE_STRING, cmd_groups, NULL },
    { "ECDHParameters", "named_curve", ROLE_SERVER, 0, SSL_CONF_TYPE_STRING, cmd_named_curve, NULL },
    { "CipherString", "cipher", ROLE_BOTH, 0, SSL_CONF_TYPE_STRING, cmd_cipher_list, NULL },
    { "Ciphersuites", "ciphersuites", ROLE_BOTH, 0, SSL_CONF_TYPE_STRING, cmd_ciphersuites, NULL },
    { "Protocol", NULL, ROLE_BOTH, 0, SSL_CONF_TYPE_STRING, cmd_options, protocol_flags },
    { "MinProtocol", "min_protocol", ROLE_BOTH, 0, SSL_CONF_TYPE_STRING, cmd_protocol_bound, NULL },
    { "MaxProtocol", "max_protocol", ROLE_BOTH, 0, SSL_CONF_TYPE_STRING, cmd_protocol_bound, "max" },
    { "Options", NULL, ROLE_BOTH, 0, SSL_CONF_TYPE_STRING, cmd_options, option_flags },
    { "VerifyMode", NULL, ROLE_BOTH, 0, SSL_CONF_TYPE_STRING, cmd_verify_mode, NULL },
    { "Certificate", "cert", ROLE_BOTH, CERT, SSL_CONF_TYPE_FILE, cmd_certificate, NULL },
    { "PrivateKey", "key", ROLE_BOTH, CERT, SSL_CONF_TYPE_FILE, cmd_private_key, NULL },
    { "ServerInfoFile", NULL, ROLE_SERVER, CERT, SSL_CONF_TYPE_FILE, cmd_serverinfo, NULL },
    { "ChainCAPath", "chainCApath", ROLE_BOTH, CERT, SSL_CONF_TYPE_DIR, cmd_chain_ca, NULL },
    { "ChainCAFile", "chainCAfile", ROLE_BOTH, CERT, SSL_CONF_TYPE_FILE, cmd_chain_ca, NULL },
    { "ChainCAStore", "chainCAstore", ROLE_BOTH, CERT, SSL_CONF_TYPE_STORE, cmd_chain_ca, NULL },
    { "VerifyCAPath", "verifyCApath", ROLE_BOTH, CERT, SSL_CONF_TYPE_DIR, cmd_verify_ca, &k_dir },
    { "VerifyCAFile", "verifyCAfile", ROLE_BOTH, CERT, SSL_CONF_TYPE_FILE, cmd_verify_ca, &k_file },
    { "VerifyCAStore", "verifyCAstore", ROLE_BOTH, CERT, SSL_CONF_TYPE_STORE, cmd_verify_ca, &k_store },
    { "RequestCAFile", "requestCAFile", ROLE_BOTH, CERT, SSL_CONF_TYPE_FILE, cmd_request_ca, NULL },
    { "ClientCAFile", NULL, ROLE_SERVER, CERT, SSL_CONF_TYPE_FILE, cmd_client_ca, NULL },
    { "ClientCAPath", NULL, ROLE_SERVER, CERT, SSL_CONF_TYPE_DIR, cmd_client_ca, "dir" },
    { "DHParameters", "dhparam", ROLE_SERVER, CERT, SSL_CONF_TYPE_FILE, cmd_dh_parameters, NULL },
    { "RecordPadding", "record_padding", ROLE_BOTH, 0, SSL_CONF_TYPE_STRING, cmd_record_padding, NULL },
    { "NumTickets", "num_tickets", ROLE_SERVER, 0, SSL_CONF_TYPE_STRING, cmd_num_tickets, NULL },
    /* command-line switches */
    { NULL, "no_ssl3", ROLE_BOTH, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_no_ssl3 },
    { NULL, "no_tls1", ROLE_BOTH, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_no_tls1 },
    { NULL, "no_tls1_1", ROLE_BOTH, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_no_tls1_1 },
    { NULL, "no_tls1_2", ROLE_BOTH, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_no_tls1_2 },
    { NULL, "no_tls1_3", ROLE_BOTH, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_no_tls1_3 },
    { NULL, "bugs", ROLE_BOTH, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_bugs },
    { NULL, "no_comp", ROLE_BOTH, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_no_comp },
    { NULL, "comp", ROLE_BOTH, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_comp },
    { NULL, "no_ticket", ROLE_BOTH, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_no_ticket },
    { NULL, "no_etm", ROLE_BOTH, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_no_etm },
    { NULL, "serverpref", ROLE_SERVER, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_serverpref },
    { NULL, "client_renegotiation", ROLE_SERVER, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_client_reneg },
    { NULL, "legacy_renegotiation", ROLE_BOTH, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_legacy_reneg },
    { NULL, "no_renegotiation", ROLE_BOTH, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_no_reneg },
    { NULL, "no_resumption_on_reneg", ROLE_SERVER, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_no_resumption_on_reneg },
    { NULL, "legacy_server_connect", ROLE_CLIENT, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_legacy_server_connect },
    { NULL, "no_legacy_server_connect", ROLE_CLIENT, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_no_legacy_server_connect },
    { NULL, "prioritize_chacha", ROLE_SERVER, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_prioritize_chacha },
    { NULL, "allow_no_dhe_kex", ROLE_BOTH, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_allow_no_dhe_kex },
    { NULL, "anti_replay", ROLE_SERVER, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_anti_replay },
    { NULL, "no_anti_replay", ROLE_SERVER, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_no_anti_replay },
    { NULL, "no_middlebox", ROLE_BOTH, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_no_middlebox },
    { NULL, "debug_broken_protocol", ROLE_BOTH, 0, SSL_CONF_TYPE_NONE, cmd_switch, &sw_ignored },
};

/* The command `name` means under cctx's flags and prefix, or NULL. */
static const cmd_def *lookup(const SSL_CONF_CTX *c, const char *name)
{
    int cmdline = (c->flags & SSL_CONF_FLAG_CMDLINE) != 0, file = (c->flags & SSL_CONF_FLAG_FILE) != 0;

    if (name == NULL || (!cmdline && !file))
        return NULL;
    if (c->prefix != NULL) {
        size_t n = strlen(c->prefix);
        if ((cmdline ? strncmp(name, c->prefix, n) : strncasecmp(name, c->prefix, n)) != 0)
            return NULL;
        name += n;
    } else if (cmdline) {
        if (name[0] != '-')
            return NULL;
        name++;
    }
    if (*name == '\0')
        return NULL;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        const cmd_def *d = &commands[i];
        /* Role-specific commands need that role's flag; certificate ones need CERTIFICATE. */
        if ((d->roles != ROLE_BOTH && !(d->roles & c->flags)) || (d->need & ~c->flags) != 0)
            continue;
        if ((cmdline && d->cmdline != NULL && strcmp(d->cmdline, name) == 0)
                || (file && d->file != NULL && strcasecmp(d->file, name) == 0))
            return d;
    }
    return NULL;
}

int SSL_CONF_cmd(SSL_CONF_CTX *cctx, const char *cmd, const char *value)
{
    if (cmd == NULL) {
        ERR_raise(ERR_LIB_SSL, SSL_R_INVALID_NULL_CMD_NAME);
        return 0;
    }
    const cmd_def *d = lookup(cctx, cmd);
    if (d == NULL) {
        if (cctx->flags & SSL_CONF_FLAG_SHOW_ERRORS)
            ERR_raise_data(ERR_LIB_SSL, SSL_R_UNKNOWN_CMD_NAME, "cmd=%s", cmd);
        return -2;
    }
    if (d->type == SSL_CONF_TYPE_NONE)
        return d->fn(cctx, NULL, d->arg) > 0 ? 1 : 0;
    if (value == NULL) {
        if (cctx->flags & SSL_CONF_FLAG_SHOW_ERRORS)
            ERR_raise_data(ERR_LIB_SSL, SSL_R_BAD_VALUE, "cmd=%s: a value is required", cmd);
        return -3;
    }
    if (d->fn(cctx, value, d->arg) > 0)
        return 2;
    if (cctx->flags & SSL_CONF_FLAG_SHOW_ERRORS)
        ERR_raise_data(ERR_LIB_SSL, SSL_R_BAD_VALUE, "cmd=%s, value=%s", cmd, value);
    return 0;
}

int SSL_CONF_cmd_value_type(SSL_CONF_CTX *cctx, const char *cmd)
{
    const cmd_def *d = lookup(cctx, cmd);
    return d != NULL ? d->type : SSL_CONF_TYPE_UNKNOWN;
}

int SSL_CONF_cmd_argv(SSL_CONF_CTX *cctx, int *pargc, char ***pargv)
{
    char *arg, *val;

    if (pargv == NULL || *pargv == NULL || (pargc != NULL && *pargc <= 0) || (arg = (*pargv)[0]) == NULL)
        return 0;
    /* argv is NULL-terminated; with a count, the value must lie within it. */
    val = pargc != NULL && *pargc < 2 ? NULL : (*pargv)[1];
    if (!(cctx->flags & SSL_CONF_FLAG_CMDLINE))
        return 0;
    int rv = SSL_CONF_cmd(cctx, arg, val);
    if (rv > 0) {
        *pargv += rv;
        if (pargc != NULL)
            *pargc -= rv;
        return rv;
    }
    if (rv == -2)
        return 0;   /* not ours: the caller may know it */
    return rv == -3 ? -2 : -1;
}

/* ---- SSL_CONF_CTX ---- */

SSL_CONF_CTX *SSL_CONF_CTX_new(void)
{
    SSL_CONF_CTX *c = OPENSSL_zalloc(sizeof(*c));
    if (c == NULL)
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
    return c;
}

void SSL_CONF_CTX_free(SSL_CONF_CTX *cctx)
{
    if (cctx == NULL)
        return;
    OPENSSL_free(cctx->prefix);
    OPENSSL_free(cctx->cert_file);
    sk_X509_NAME_pop_free(cctx->client_ca, X509_NAME_free);
    sk_X509_NAME_pop_free(cctx->req_ca, X509_NAME_free);
    OPENSSL_free(cctx);
}

unsigned int SSL_CONF_CTX_set_flags(SSL_CONF_CTX *cctx, unsigned int flags)
{
    return cctx->flags |= flags;
}

unsigned int SSL_CONF_CTX_clear_flags(SSL_CONF_CTX *cctx, unsigned int flags)
{
    return cctx->flags &= ~flags;
}

int SSL_CONF_CTX_set1_prefix(SSL_CONF_CTX *cctx, const char *pre)
{
    char *p = NULL;
    if (pre != NULL && (p = OPENSSL_strdup(pre)) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return 0;
    }
    OPENSSL_free(cctx->prefix);
    cctx->prefix = p;
    return 1;
}

/* Attaching another object starts over: what was collected for the previous one is dropped. */
static void detach(SSL_CONF_CTX *cctx)
{
    OPENSSL_free(cctx->cert_file);
    cctx->cert_file = NULL;
    cctx->key_loaded = 0;
    sk_X509_NAME_pop_free(cctx->client_ca, X509_NAME_free);
    sk_X509_NAME_pop_free(cctx->req_ca, X509_NAME_free);
    cctx->client_ca = cctx->req_ca = NULL;
    cctx->ctx = NULL;
    cctx->ssl = NULL;
}

void SSL_CONF_CTX_set_ssl(SSL_CONF_CTX *cctx, SSL *ssl)
{
    detach(cctx);
    cctx->ssl = ssl;
}

void SSL_CONF_CTX_set_ssl_ctx(SSL_CONF_CTX *cctx, SSL_CTX *ctx)
{
    detach(cctx);
    cctx->ctx = ctx;
}

int SSL_CONF_CTX_finish(SSL_CONF_CTX *cctx)
{
    SSL_CTX *ctx = cctx->ctx;
    SSL *ssl = cctx->ssl;

    if (ctx == NULL && ssl == NULL)
        return 1;
    /* SSL_CONF_FLAG_REQUIRE_PRIVATE: a certificate without a PrivateKey command takes its key
     * from the certificate's own file. */
    if ((cctx->flags & SSL_CONF_FLAG_REQUIRE_PRIVATE) && cctx->cert_file != NULL && !cctx->key_loaded) {
        if (!(ssl != NULL ? SSL_use_PrivateKey_file(ssl, cctx->cert_file, SSL_FILETYPE_PEM)
                          : SSL_CTX_use_PrivateKey_file(ctx, cctx->cert_file, SSL_FILETYPE_PEM)))
            return 0;
        cctx->key_loaded = 1;
    }
    /* The set functions take ownership of the lists. */
    if (cctx->client_ca != NULL) {
        if (ssl != NULL)
            SSL_set_client_CA_list(ssl, cctx->client_ca);
        else
            SSL_CTX_set_client_CA_list(ctx, cctx->client_ca);
        cctx->client_ca = NULL;
    }
    if (cctx->req_ca != NULL) {
        if (ssl != NULL)
            SSL_set0_CA_list(ssl, cctx->req_ca);
        else
            SSL_CTX_set0_CA_list(ctx, cctx->req_ca);
        cctx->req_ca = NULL;
    }
    return 1;
}

/* ---- SSL_CTX_config(3): named sections of the "ssl_conf" configuration module ----
 * libcrypto owns that module (it registers and parses it as it loads a configuration file) and
 * exports these three accessors for libssl in its OPENSSL_3.0.0 version node. */
struct ssl_conf_cmd_st;
int conf_ssl_name_find(const char *name, size_t *idx);
const struct ssl_conf_cmd_st *conf_ssl_get(size_t idx, const char **name, size_t *cnt);
void conf_ssl_get_cmd(const struct ssl_conf_cmd_st *cmd, size_t idx, char **cmdstr, char **arg);

/* The module is libcrypto's and is always available: nothing to add. */
void SSL_add_ssl_module(void) {}

/* Apply the ssl_conf section `name` (SSL_CTX_config(3)). Every command is tried even after one
 * fails, and the result says whether all succeeded; errors are not raised for unknown commands
 * or bad values (no SSL_CONF_FLAG_SHOW_ERRORS), though a setter's own errors stay queued, as
 * with OpenSSL 3.0. `system` is the system_default section every new SSL_CTX gets: a missing
 * section is no error, and certificate commands are not recognised in it (openssl.cnf's policy
 * sets algorithms and versions, not keys). */
static int apply_config(SSL_CTX *ctx, SSL *ssl, const char *name, int system)
{
    size_t idx, cnt;
    const SSL_METHOD *m = ssl != NULL ? ssl->s->method : ctx->s->method;

    if (system)
        name = "system_default";
    if (name == NULL || !conf_ssl_name_find(name, &idx)) {
        if (!system)
            ERR_raise_data(ERR_LIB_SSL, SSL_R_INVALID_CONFIGURATION_NAME, "name=%s",
                           name != NULL ? name : "(null)");
        return system;
    }
    const struct ssl_conf_cmd_st *cmds = conf_ssl_get(idx, &name, &cnt);
    SSL_CONF_CTX *cctx = SSL_CONF_CTX_new();
    if (cctx == NULL)
        return 0;
    unsigned int flags = SSL_CONF_FLAG_FILE;
    if (!system)
        flags |= SSL_CONF_FLAG_CERTIFICATE | SSL_CONF_FLAG_REQUIRE_PRIVATE;
    if (m->client)
        flags |= SSL_CONF_FLAG_CLIENT;
    if (m->server)
        flags |= SSL_CONF_FLAG_SERVER;
    SSL_CONF_CTX_set_flags(cctx, flags);
    if (ssl != NULL)
        SSL_CONF_CTX_set_ssl(cctx, ssl);
    else
        SSL_CONF_CTX_set_ssl_ctx(cctx, ctx);
    int ok = 1;
    for (size_t i = 0; i < cnt; i++) {
        char *cmd, *arg;
        conf_ssl_get_cmd(cmds, i, &cmd, &arg);
        if (SSL_CONF_cmd(cctx, cmd, arg) <= 0)
            ok = 0;
    }
    if (!SSL_CONF_CTX_finish(cctx))
        ok = 0;
    SSL_CONF_CTX_free(cctx);
    return ok;
}

/* libcrypto loaded the configuration file (OPENSSL_CONF, else its default openssl.cnf) once per
 * process when OPENSSL_init_ssl ran with OPENSSL_INIT_LOAD_CONFIG, unless the application asked
 * for OPENSSL_INIT_NO_LOAD_CONFIG first; its ssl_conf module holds the sections. */
void keel_ctx_system_config(SSL_CTX *ctx) { (void)apply_config(ctx, NULL, NULL, 1); }

int SSL_CTX_config(SSL_CTX *ctx, const char *name) { return apply_config(ctx, NULL, name, 0); }
int SSL_config(SSL *s, const char *name) { return apply_config(NULL, s, name, 0); }
