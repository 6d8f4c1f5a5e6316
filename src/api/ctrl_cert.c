/* The certificate ctrls (SSL_CTX_add1_chain_cert(3), SSL_CTX_build_cert_chain(3)): which
 * certificate slot the chain ctrls act on, the chain and verify stores, and building the chain. */
#include "internal.h"

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

/* SSL_CTX_select_current_cert: the slot holding exactly x. SSL_CTX_set_current_cert: the first
 * slot with a certificate, or the next one after the current slot (the order of keel's slots is
 * OpenSSL's order of key types). SSL_CERT_SET_SERVER (the certificate a server used) is answered
 * by the caller, which knows the connection. */
long keel_cert_select(keel_settings *s, int cmd, long larg, X509 *x)
{
    if (s == NULL) /* the block could not be made this object's (keel_ssl_w: raised) */
        return 0;
    if (cmd == SSL_CTRL_SELECT_CURRENT_CERT) {
        for (int i = 0; x != NULL && i < KEEL_SLOT_COUNT; i++) {
            if (s->certs[i].x509 == x) {
                s->cur_slot = i;
                return 1;
            }
        }
        return 0;
    }
    int from;
    if (larg == SSL_CERT_SET_FIRST)
        from = 0;
    else if (larg == SSL_CERT_SET_NEXT && s->cur_slot >= 0)
        from = s->cur_slot + 1;
    else
        return 0;
    for (int i = from; i < KEEL_SLOT_COUNT; i++) {
        if (s->certs[i].x509 != NULL) {
            s->cur_slot = i;
            return 1;
        }
    }
    return 0;
}

/* SSL_CTX_set0/set1_verify_cert_store, set0/set1_chain_cert_store: larg says whether the caller
 * keeps its reference (set1) or hands it over (set0). */
long keel_cert_store_set(keel_settings *s, int cmd, long larg, X509_STORE *st)
{
    if (s == NULL) /* the block could not be made this object's (keel_ssl_w: raised) */
        return 0;
    X509_STORE **slot = cmd == SSL_CTRL_SET_VERIFY_CERT_STORE ? &s->verify_store : &s->chain_store;
    if (larg && st != NULL && !X509_STORE_up_ref(st))
        return 0;
    X509_STORE_free(*slot);
    *slot = st;
    return 1;
}
