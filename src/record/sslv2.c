/* The SSL 2.0-format CLIENT-HELLO (RFC 5246 §E.2) a server may find as its first record. keel
 * does not negotiate from one (RFC 8446 §D.5: TLS 1.3 MUST NOT be; docs/compat-notes.txt), but it
 * frames and checks it as OpenSSL 3.0 does, so a peer sending one gets OpenSSL's alert and reason
 * (tests/diff/misc16.c). */
#include "record/record_int.h"

#include "common/bytes.h"
#include "common/proto.h"

#include <openssl/err.h>
#include <openssl/sslerr.h>

/* A first record whose header reads as SSL 2.0's: a 2-byte length with the top bit set, then
 * msg_type 1 (client-hello). */
int keel_rl_sslv2_header(const uint8_t *h)
{
    return (h[0] & 0x80) != 0 && h[2] == 1;
}

/* The length the 2-byte SSL 2.0 header gives (without the header), and whether a record of it
 * may be read: OpenSSL 3.0's read-buffer limit (16710 after the 2-byte header), its limit on
 * what a record may be before decryption (2^14 + 320), and the smallest CLIENT-HELLO (9 bytes of
 * fixed fields). 0 and *reason / *alert when not. */
int keel_rl_sslv2_length(const uint8_t *h, size_t *len, int *reason, int *alert)
{
    *len = ((size_t)(h[0] & 0x7f) << 8) | h[1];
    if (*len > KEEL_MAX_PLAINTEXT + 326) {
        *reason = SSL_R_PACKET_LENGTH_TOO_LONG;
        *alert = KEEL_ALERT_RECORD_OVERFLOW;
    } else if (*len > KEEL_MAX_PLAINTEXT + 320) {
        *reason = SSL_R_ENCRYPTED_LENGTH_TOO_LONG;
        *alert = KEEL_ALERT_RECORD_OVERFLOW;
    } else if (*len < 9) {
        *reason = SSL_R_LENGTH_TOO_SHORT;
        *alert = KEEL_ALERT_DECODE_ERROR;
    } else {
        return 1;
    }
    return 0;
}

/* The whole record's body (msg_type onwards) read: OpenSSL 3.0's checks in its order — the
 * plaintext limit, the session id's length, the fields against the record's length, the version,
 * the cipher specs — then keel's refusal of a well-formed one. Always fails: the reason is raised
 * and the alert returned. */
int keel_rl_sslv2_refuse(const uint8_t *body, size_t len)
{
    keel_rd r;
    uint32_t type, version, specs_len, sid_len, chal_len;
    int reason, alert;

    keel_rd_init(&r, body, len);
    if (len > KEEL_MAX_PLAINTEXT) {
        reason = SSL_R_DATA_LENGTH_TOO_LONG;
        alert = KEEL_ALERT_RECORD_OVERFLOW;
    } else if (!keel_rd_u8(&r, &type) || !keel_rd_u16(&r, &version) || !keel_rd_u16(&r, &specs_len)
               || !keel_rd_u16(&r, &sid_len) || !keel_rd_u16(&r, &chal_len)) {
        reason = SSL_R_RECORD_LENGTH_MISMATCH; /* (not reached: at least 9 bytes were required) */
        alert = KEEL_ALERT_DECODE_ERROR;
    } else if (sid_len > KEEL_MAX_SESSION_ID_LEN) {
        reason = SSL_R_LENGTH_MISMATCH;
        alert = KEEL_ALERT_ILLEGAL_PARAMETER;
    } else if (keel_rd_left(&r) != (size_t)specs_len + sid_len + chal_len) {
        reason = SSL_R_RECORD_LENGTH_MISMATCH;
        alert = KEEL_ALERT_DECODE_ERROR;
    } else if ((version >> 8) != 3) {
        reason = SSL_R_UNKNOWN_PROTOCOL;
        alert = KEEL_ALERT_PROTOCOL_VERSION;
    } else if (version == 0x0300) {
        reason = SSL_R_VERSION_TOO_LOW;
        alert = KEEL_ALERT_HANDSHAKE_FAILURE;
    } else if (specs_len == 0) {
        reason = SSL_R_NO_CIPHERS_SPECIFIED;
        alert = KEEL_ALERT_ILLEGAL_PARAMETER;
    } else if (specs_len % 3 != 0) {
        reason = SSL_R_ERROR_IN_RECEIVED_CIPHER_LIST;
        alert = KEEL_ALERT_DECODE_ERROR;
    } else {
        /* Well formed: OpenSSL 3.0 would negotiate TLS 1.0-1.2 from it; keel does not. */
        reason = SSL_R_UNSUPPORTED_PROTOCOL;
        alert = KEEL_ALERT_PROTOCOL_VERSION;
    }
    ERR_raise(ERR_LIB_SSL, reason);
    return alert;
}
