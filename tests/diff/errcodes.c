/* Differential probe (tests/diff/run.sh), issue #16 "Error reason codes": the return value and
 * the libssl reasons pushed (or none) in each case the issue lists: I/O with no role set,
 * SSL_key_update / SSL_export_keying_material / SSL_new_session_ticket before the handshake or in
 * the wrong role, post-handshake authentication requested twice, invalid groups and signature
 * algorithm lists, a too long session id context, "@BOGUS" cipher strings, SSL_CONF's NumTickets
 * and RecordPadding with non-numeric values, an ALPN callback answering
 * SSL_TLSEXT_ERR_ALERT_WARNING. */
#include "probe.h"

static keel_test_chain ec;

static void ret(const char *what, long r)
{
    printf("  %s = %ld\n", what, r);
    errs();
}

static void no_role(void)
{
    printf("== I/O with no connect/accept state\n");
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    char b[8];
    size_t n;
    SSL *s = SSL_new(ctx);
    BIO *m = BIO_new(BIO_s_mem());
    SSL_set_bio(s, m, m);
    ret("SSL_do_handshake", SSL_do_handshake(s));
    ret("SSL_read", SSL_read(s, b, sizeof(b)));
    ret("SSL_read_ex", SSL_read_ex(s, b, sizeof(b), &n));
    ret("SSL_peek", SSL_peek(s, b, sizeof(b)));
    ret("SSL_write", SSL_write(s, "x", 1));
    ret("SSL_write_ex", SSL_write_ex(s, "x", 1, &n));
    ret("SSL_shutdown", SSL_shutdown(s));
    ret("SSL_write 0", SSL_write(s, "", 0));
    ret("SSL_read 0", SSL_read(s, b, 0));
    SSL_free(s);
    SSL_CTX_free(ctx);
}

static void before_handshake(void)
{
    printf("== before the handshake\n");
    SSL_CTX *cc = keel_test_client_ctx(&ec), *sc = keel_test_server_ctx(&ec);
    link_t l;
    mk(&l, cc, sc);
    unsigned char out[16];
    ret("client SSL_key_update", SSL_key_update(l.c, SSL_KEY_UPDATE_NOT_REQUESTED));
    ret("server SSL_key_update", SSL_key_update(l.s, SSL_KEY_UPDATE_REQUESTED));
    ret("client SSL_export_keying_material", SSL_export_keying_material(l.c, out, sizeof(out), "label", 5, NULL, 0, 0));
    ret("server SSL_export_keying_material", SSL_export_keying_material(l.s, out, sizeof(out), "label", 5, NULL, 0, 0));
    ret("server SSL_new_session_ticket", SSL_new_session_ticket(l.s));
    ret("client SSL_new_session_ticket", SSL_new_session_ticket(l.c));
    ret("server SSL_verify_client_post_handshake", SSL_verify_client_post_handshake(l.s));
    SSL_do_handshake(l.c);
    c2s(&l);
    ERR_clear_error();
    ret("client SSL_key_update, in the handshake", SSL_key_update(l.c, SSL_KEY_UPDATE_NOT_REQUESTED));
    ret("client SSL_export_keying_material, in the handshake", SSL_export_keying_material(l.c, out, sizeof(out), "label", 5, NULL, 0, 0));
    ret("client SSL_new_session_ticket, in the handshake", SSL_new_session_ticket(l.c));
    SSL_do_handshake(l.s);
    ERR_clear_error();
    ret("server SSL_new_session_ticket, in the handshake", SSL_new_session_ticket(l.s));
    ret("server SSL_key_update, in the handshake", SSL_key_update(l.s, SSL_KEY_UPDATE_NOT_REQUESTED));
    ret("server SSL_verify_client_post_handshake, in the handshake", SSL_verify_client_post_handshake(l.s));
    done(&l, cc, sc);
}

static void after_handshake(int version)
{
    printf("== %s: after the handshake\n", vname(version));
    SSL_CTX *cc = keel_test_client_ctx(&ec), *sc = keel_test_server_ctx(&ec);
    SSL_CTX_set_max_proto_version(cc, version);
    link_t l;
    mk(&l, cc, sc);
    SSL_set_post_handshake_auth(l.c, 1);
    printf("  handshake %d\n", shake(&l));
    ret("client SSL_verify_client_post_handshake", SSL_verify_client_post_handshake(l.c));
    ret("server SSL_verify_client_post_handshake without SSL_VERIFY_PEER", SSL_verify_client_post_handshake(l.s));
    SSL_set_verify(l.s, SSL_VERIFY_PEER, NULL);
    ret("server SSL_verify_client_post_handshake", SSL_verify_client_post_handshake(l.s));
    printf("   in_init %d\n", SSL_in_init(l.s));
    ret("server SSL_verify_client_post_handshake twice", SSL_verify_client_post_handshake(l.s));
    ret("server SSL_do_handshake", SSL_do_handshake(l.s));
    printf("   in_init %d\n", SSL_in_init(l.s));
    ret("server SSL_verify_client_post_handshake after sending", SSL_verify_client_post_handshake(l.s));
    ret("client SSL_new_session_ticket", SSL_new_session_ticket(l.c));
    ret("server SSL_new_session_ticket", SSL_new_session_ticket(l.s));
    int before = (int)BIO_ctrl_pending(l.s_out);
    printf("   in_init %d, written %d\n", SSL_in_init(l.s), before);
    ret("server SSL_new_session_ticket again", SSL_new_session_ticket(l.s));
    ret("server SSL_do_handshake", SSL_do_handshake(l.s));
    /* (ticket sizes differ between the libraries) */
    printf("   in_init %d, written more %d\n", SSL_in_init(l.s), (int)BIO_ctrl_pending(l.s_out) > before);
    done(&l, cc, sc);
}

static void lists(void)
{
    printf("== lists\n");
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *s = SSL_new(ctx);
    static const char *groups[] = { "bogus", "P-256:bogus", "", ":", "P-256::X25519", "P-256:P-256", "ffdhe2048:bogus" };
    static const char *sigalgs[] = { "bogus", "RSA+SHA256:bogus", "", "ECDSA+SHA999", "rsa_pss_rsae_sha256:rsa_pss_rsae_sha256", "RSA+", "+SHA256", "ed25519:bogus" };
    char what[120];
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        snprintf(what, sizeof(what), "SSL_set1_groups_list(\"%s\")", groups[i]);
        ret(what, SSL_set1_groups_list(s, groups[i]));
        snprintf(what, sizeof(what), "SSL_CTX_set1_groups_list(\"%s\")", groups[i]);
        ret(what, SSL_CTX_set1_groups_list(ctx, groups[i]));
    }
    for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++) {
        snprintf(what, sizeof(what), "SSL_set1_sigalgs_list(\"%s\")", sigalgs[i]);
        ret(what, SSL_set1_sigalgs_list(s, sigalgs[i]));
        snprintf(what, sizeof(what), "SSL_CTX_set1_sigalgs_list(\"%s\")", sigalgs[i]);
        ret(what, SSL_CTX_set1_sigalgs_list(ctx, sigalgs[i]));
        snprintf(what, sizeof(what), "SSL_set1_client_sigalgs_list(\"%s\")", sigalgs[i]);
        ret(what, SSL_set1_client_sigalgs_list(s, sigalgs[i]));
        snprintf(what, sizeof(what), "SSL_CTX_set1_client_sigalgs_list(\"%s\")", sigalgs[i]);
        ret(what, SSL_CTX_set1_client_sigalgs_list(ctx, sigalgs[i]));
    }
    unsigned char id[40] = { 0 };
    ret("SSL_set_session_id_context(33)", SSL_set_session_id_context(s, id, 33));
    ret("SSL_CTX_set_session_id_context(33)", SSL_CTX_set_session_id_context(ctx, id, 33));
    ret("SSL_set_session_id_context(32)", SSL_set_session_id_context(s, id, 32));
    static const char *ciphers[] = { "@BOGUS", "DEFAULT:@BOGUS", "@STRENGTH:@BOGUS", "@SECLEVEL=x", "@SECLEVEL=1:@BOGUS" };
    for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
        snprintf(what, sizeof(what), "SSL_CTX_set_cipher_list(\"%s\")", ciphers[i]);
        ret(what, SSL_CTX_set_cipher_list(ctx, ciphers[i]));
        snprintf(what, sizeof(what), "SSL_set_cipher_list(\"%s\")", ciphers[i]);
        ret(what, SSL_set_cipher_list(s, ciphers[i]));
    }
    SSL_free(s);
    SSL_CTX_free(ctx);
}

static void conf(void)
{
    printf("== SSL_CONF\n");
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    static const char *cmds[][2] = {
        { "NumTickets", "abc" }, { "NumTickets", "" }, { "NumTickets", "-1" }, { "NumTickets", "2x" },
        { "NumTickets", "3" }, { "RecordPadding", "abc" }, { "RecordPadding", "" },
        { "RecordPadding", "-5" }, { "RecordPadding", "100000" }, { "RecordPadding", "512" },
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        SSL_CONF_CTX *cctx = SSL_CONF_CTX_new();
        SSL_CONF_CTX_set_flags(cctx, SSL_CONF_FLAG_FILE | SSL_CONF_FLAG_SERVER | SSL_CONF_FLAG_CLIENT);
        SSL_CONF_CTX_set_ssl_ctx(cctx, ctx);
        char what[80];
        snprintf(what, sizeof(what), "SSL_CONF_cmd(%s, \"%s\")", cmds[i][0], cmds[i][1]);
        ret(what, SSL_CONF_cmd(cctx, cmds[i][0], cmds[i][1]));
        printf("   num_tickets %zu\n", SSL_CTX_get_num_tickets(ctx));
        SSL_CONF_CTX_free(cctx);
    }
    SSL_CTX_free(ctx);
}

static int alpn_answer;

static int alpn_cb(SSL *s, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                   unsigned int inlen, void *arg)
{
    (void)s, (void)out, (void)outlen, (void)in, (void)inlen, (void)arg;
    return alpn_answer;
}

static void alpn(int version, int answer)
{
    printf("== %s: the ALPN callback returns %d\n", vname(version), answer);
    SSL_CTX *cc = keel_test_client_ctx(&ec), *sc = keel_test_server_ctx(&ec);
    SSL_CTX_set_max_proto_version(cc, version);
    SSL_CTX_set_alpn_select_cb(sc, alpn_cb, NULL);
    alpn_answer = answer;
    link_t l;
    mk(&l, cc, sc);
    SSL_set_alpn_protos(l.c, (const unsigned char *)"\x02h2", 3);
    SSL_do_handshake(l.c);
    c2s(&l);
    int r = SSL_do_handshake(l.s);
    printf("  server do_handshake %d (%s)\n", r, errname(SSL_get_error(l.s, r)));
    errs();
    s2c(&l);
    r = SSL_do_handshake(l.c);
    printf("  client do_handshake %d (%s)\n", r, errname(SSL_get_error(l.c, r)));
    errs();
    done(&l, cc, sc);
}

int main(int argc, char **argv)
{
    if (probe_which(argc, argv))
        return 0;
    if (!keel_test_make_chain(&ec, KT_EC_P256, "server.test", 30))
        return 1;
    no_role();
    before_handshake();
    after_handshake(TLS1_3_VERSION);
    after_handshake(TLS1_2_VERSION);
    lists();
    conf();
    int answers[] = { SSL_TLSEXT_ERR_ALERT_WARNING, SSL_TLSEXT_ERR_ALERT_FATAL, SSL_TLSEXT_ERR_NOACK };
    for (int i = 0; i < 3; i++) {
        alpn(TLS1_3_VERSION, answers[i]);
        alpn(TLS1_2_VERSION, answers[i]);
    }
    keel_test_chain_free(&ec);
    return 0;
}
