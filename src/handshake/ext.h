/* Extension parsing (ext.c): the table of RFC 8446 §4.2 and what a hello carried. */
#ifndef KEEL_EXT_H
#define KEEL_EXT_H
#include "handshake/hs.h"

/* Message contexts, as bits: which messages an extension may appear in. */
enum { KEEL_MSG_CH = 1, KEEL_MSG_SH = 2, KEEL_MSG_HRR = 4, KEEL_MSG_EE = 8, KEEL_MSG_CT = 16,
       KEEL_MSG_CR = 32, KEEL_MSG_NST = 64 };

/* What a ClientHello / ServerHello carried; views point into the message being processed. */
typedef struct {
    int is_hrr;
    int offers_tls13;           /* supported_versions lists (CH) / selects (SH) TLS 1.3 */
    int has_key_share, has_alpn, has_cookie;
    keel_rd key_shares;         /* CH: the KeyShareEntry list */
    uint16_t group;             /* SH: the share's group; HRR: the group asked for */
    keel_rd share;              /* SH: the server's key_exchange */
    keel_rd alpn;               /* CH: the protocol_name_list */
    keel_rd cookie;
} keel_hello;

int keel_ext_parse(SSL *s, unsigned msg, keel_rd *block, keel_hello *h, uint32_t offered, int *alert);
uint32_t keel_ext_bit(uint16_t type);
#endif
