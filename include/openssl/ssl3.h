/*
 * keel — <openssl/ssl3.h>: SSL 3.0 / TLS record and handshake constants.
 *
 * The numbers here are protocol code points (RFC 8446, RFC 5246, RFC 6101) and OpenSSL 3.0's values
 * for its own pseudo constants; they match OpenSSL's header so code compiled against either sees the
 * same values.  keel never negotiates SSL 3.0: the SSL3_ names survive because TLS kept the formats.
 */
#ifndef OPENSSL_SSL3_H
#define OPENSSL_SSL3_H
#pragma once

#include <openssl/macros.h>
#ifndef OPENSSL_NO_DEPRECATED_3_0
#define HEADER_SSL3_H
#endif

#include <openssl/comp.h>
#include <openssl/buffer.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Record layer sizes (RFC 5246 §6.2, RFC 8446 §5.1/§5.2).
 * A TLSPlaintext fragment is at most 2^14 bytes; TLSCiphertext adds at most 256 bytes in TLS 1.3 and
 * 1024 (compression) + 1024 (cipher) in TLS 1.2.  The "overhead" numbers are OpenSSL's buffer-sizing
 * constants, kept with their values because applications size buffers with them.
 */
#define SSL3_SSL_SESSION_ID_LENGTH           32
#define SSL3_MAX_SSL_SESSION_ID_LENGTH       32
#define SSL3_MASTER_SECRET_SIZE              48
#define SSL3_RANDOM_SIZE                     32
#define SSL3_SESSION_ID_SIZE                 32
#define SSL3_RT_HEADER_LENGTH                5
#define SSL3_HM_HEADER_LENGTH                4
#ifndef SSL3_ALIGN_PAYLOAD
#define SSL3_ALIGN_PAYLOAD                   8
#endif
#define SSL3_RT_MAX_MD_SIZE                  64
#define SSL_RT_MAX_CIPHER_BLOCK_SIZE         16
#define SSL3_RT_MAX_EXTRA                    (16384)
#define SSL3_RT_MAX_PLAIN_LENGTH             16384
#define SSL3_RT_MAX_COMPRESSED_OVERHEAD      1024
#define SSL3_RT_MAX_ENCRYPTED_OVERHEAD       (256 + SSL3_RT_MAX_MD_SIZE)
#define SSL3_RT_MAX_TLS13_ENCRYPTED_OVERHEAD 256
#define SSL3_RT_SEND_MAX_ENCRYPTED_OVERHEAD  (SSL_RT_MAX_CIPHER_BLOCK_SIZE + SSL3_RT_MAX_MD_SIZE)
#ifdef OPENSSL_NO_COMP
#define SSL3_RT_MAX_COMPRESSED_LENGTH        SSL3_RT_MAX_PLAIN_LENGTH
#else
#define SSL3_RT_MAX_COMPRESSED_LENGTH        (SSL3_RT_MAX_PLAIN_LENGTH + SSL3_RT_MAX_COMPRESSED_OVERHEAD)
#endif
#define SSL3_RT_MAX_ENCRYPTED_LENGTH         (SSL3_RT_MAX_ENCRYPTED_OVERHEAD + SSL3_RT_MAX_COMPRESSED_LENGTH)
#define SSL3_RT_MAX_TLS13_ENCRYPTED_LENGTH   (SSL3_RT_MAX_PLAIN_LENGTH + SSL3_RT_MAX_TLS13_ENCRYPTED_OVERHEAD)
#define SSL3_RT_MAX_PACKET_SIZE              (SSL3_RT_MAX_ENCRYPTED_LENGTH + SSL3_RT_HEADER_LENGTH)

/* Legacy record version bytes (RFC 5246 §6.2.1; TLS 1.3 still writes 0x0303 on the wire, RFC 8446 §5.1). */
#define SSL3_VERSION_MAJOR             0x03
#define SSL3_VERSION_MINOR             0x00

/*
 * ContentType values (RFC 8446 §5.1).  The pseudo types >= 0x100 never appear on the wire: they tag
 * what the message callback (SSL_CTX_set_msg_callback) is being shown: a record header, the TLS 1.3
 * inner content type, or key material (TLS1_RT_CRYPTO_*).
 */
#define SSL3_RT_CHANGE_CIPHER_SPEC     20
#define SSL3_RT_ALERT                  21
#define SSL3_RT_HANDSHAKE              22
#define SSL3_RT_APPLICATION_DATA       23
#define TLS1_RT_CRYPTO                 0x1000
#define TLS1_RT_CRYPTO_PREMASTER       (TLS1_RT_CRYPTO | 0x1)
#define TLS1_RT_CRYPTO_CLIENT_RANDOM   (TLS1_RT_CRYPTO | 0x2)
#define TLS1_RT_CRYPTO_SERVER_RANDOM   (TLS1_RT_CRYPTO | 0x3)
#define TLS1_RT_CRYPTO_MASTER          (TLS1_RT_CRYPTO | 0x4)
#define TLS1_RT_CRYPTO_READ            0x0000
#define TLS1_RT_CRYPTO_WRITE           0x0100
#define TLS1_RT_CRYPTO_MAC             (TLS1_RT_CRYPTO | 0x5)
#define TLS1_RT_CRYPTO_KEY             (TLS1_RT_CRYPTO | 0x6)
#define TLS1_RT_CRYPTO_IV              (TLS1_RT_CRYPTO | 0x7)
#define TLS1_RT_CRYPTO_FIXED_IV        (TLS1_RT_CRYPTO | 0x8)
#define SSL3_RT_HEADER                 0x100
#define SSL3_RT_INNER_CONTENT_TYPE     0x101

/* Alert levels and the alert descriptions SSL 3.0 already had (RFC 8446 §6, RFC 5246 §7.2). */
#define SSL3_AL_WARNING                 1
#define SSL3_AL_FATAL                   2
#define SSL3_AD_CLOSE_NOTIFY            0
#define SSL3_AD_UNEXPECTED_MESSAGE      10
#define SSL3_AD_BAD_RECORD_MAC          20
#define SSL3_AD_DECOMPRESSION_FAILURE   30
#define SSL3_AD_HANDSHAKE_FAILURE       40
#define SSL3_AD_NO_CERTIFICATE          41
#define SSL3_AD_BAD_CERTIFICATE         42
#define SSL3_AD_UNSUPPORTED_CERTIFICATE 43
#define SSL3_AD_CERTIFICATE_REVOKED     44
#define SSL3_AD_CERTIFICATE_EXPIRED     45
#define SSL3_AD_CERTIFICATE_UNKNOWN     46
#define SSL3_AD_ILLEGAL_PARAMETER       47

/* Heartbeat message types (RFC 6520); heartbeats are not supported, the names remain. */
#define TLS1_HB_REQUEST                1
#define TLS1_HB_RESPONSE               2

/* ClientCertificateType values of a TLS 1.2 CertificateRequest (RFC 5246 §7.4.4). */
#define SSL3_CT_RSA_SIGN               1
#define SSL3_CT_DSS_SIGN               2
#define SSL3_CT_RSA_FIXED_DH           3
#define SSL3_CT_DSS_FIXED_DH           4
#define SSL3_CT_RSA_EPHEMERAL_DH       5
#define SSL3_CT_DSS_EPHEMERAL_DH       6
#define SSL3_CT_FORTEZZA_DMS           20
#define SSL3_CT_NUMBER                 12

/* Connection flag bits as OpenSSL reported them (legacy, read-only meaning for applications). */
#define SSL3_FLAGS_NO_RENEGOTIATE_CIPHERS 0x0001
#define TLS1_FLAGS_TLS_PADDING_BUG        0x0
#define TLS1_FLAGS_SKIP_CERT_VERIFY       0x0010
#define TLS1_FLAGS_ENCRYPT_THEN_MAC_READ  0x0100
#define TLS1_FLAGS_ENCRYPT_THEN_MAC       TLS1_FLAGS_ENCRYPT_THEN_MAC_READ
#define TLS1_FLAGS_RECEIVED_EXTMS         0x0200
#define TLS1_FLAGS_ENCRYPT_THEN_MAC_WRITE 0x0400
#define TLS1_FLAGS_STATELESS              0x0800
#define TLS1_FLAGS_REQUIRED_EXTMS         0x1000

/*
 * HandshakeType values (RFC 8446 §4, RFC 5246 §7.4).  SSL3_MT_CHANGE_CIPHER_SPEC (0x0101) is a
 * pseudo type used by the message callback; SSL3_MT_MESSAGE_HASH is the synthetic message of
 * RFC 8446 §4.4.1 that replaces ClientHello1 in the transcript after a HelloRetryRequest.
 */
#define SSL3_MT_HELLO_REQUEST          0
#define SSL3_MT_CLIENT_HELLO           1
#define SSL3_MT_SERVER_HELLO           2
#define SSL3_MT_NEWSESSION_TICKET      4
#define SSL3_MT_END_OF_EARLY_DATA      5
#define SSL3_MT_ENCRYPTED_EXTENSIONS   8
#define SSL3_MT_CERTIFICATE            11
#define SSL3_MT_SERVER_KEY_EXCHANGE    12
#define SSL3_MT_CERTIFICATE_REQUEST    13
#define SSL3_MT_SERVER_DONE            14
#define SSL3_MT_CERTIFICATE_VERIFY     15
#define SSL3_MT_CLIENT_KEY_EXCHANGE    16
#define SSL3_MT_FINISHED               20
#define SSL3_MT_CERTIFICATE_URL        21
#define SSL3_MT_CERTIFICATE_STATUS     22
#define SSL3_MT_SUPPLEMENTAL_DATA      23
#define SSL3_MT_KEY_UPDATE             24
#ifndef OPENSSL_NO_NEXTPROTONEG
#define SSL3_MT_NEXT_PROTO             67
#endif
#define SSL3_MT_MESSAGE_HASH           254
#define DTLS1_MT_HELLO_VERIFY_REQUEST  3
#define SSL3_MT_CHANGE_CIPHER_SPEC     0x0101
#define SSL3_MT_CCS                    1

/* Key-change direction bits (internal to OpenSSL's change_cipher_state; kept as facts). */
#define SSL3_CC_READ                    0x001
#define SSL3_CC_WRITE                   0x002
#define SSL3_CC_CLIENT                  0x010
#define SSL3_CC_SERVER                  0x020
#define SSL3_CC_EARLY                   0x040
#define SSL3_CC_HANDSHAKE               0x080
#define SSL3_CC_APPLICATION             0x100
#define SSL3_CHANGE_CIPHER_CLIENT_WRITE (SSL3_CC_CLIENT | SSL3_CC_WRITE)
#define SSL3_CHANGE_CIPHER_SERVER_READ  (SSL3_CC_SERVER | SSL3_CC_READ)
#define SSL3_CHANGE_CIPHER_CLIENT_READ  (SSL3_CC_CLIENT | SSL3_CC_READ)
#define SSL3_CHANGE_CIPHER_SERVER_WRITE (SSL3_CC_SERVER | SSL3_CC_WRITE)

/* SSL 3.0 Finished sender labels (RFC 6101 §5.6.9). */
#define SSL3_MD_CLIENT_FINISHED_CONST  "\x43\x4C\x4E\x54"
#define SSL3_MD_SERVER_FINISHED_CONST  "\x53\x52\x56\x52"

/*
 * Cipher suite ids: 0x0300 followed by the two-byte IANA code point (RFC 5246 Appendix A.5).
 * SSL3_CK_SCSV is TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3) and SSL3_CK_FALLBACK_SCSV is
 * TLS_FALLBACK_SCSV (RFC 7507).  "EDH" names are older spellings of "DHE".
 */
#define SSL3_CK_SCSV                     0x030000FF
#define SSL3_CK_FALLBACK_SCSV            0x03005600
#define SSL3_CK_RSA_NULL_MD5             0x03000001
#define SSL3_CK_RSA_NULL_SHA             0x03000002
#define SSL3_CK_RSA_RC4_40_MD5           0x03000003
#define SSL3_CK_RSA_RC4_128_MD5          0x03000004
#define SSL3_CK_RSA_RC4_128_SHA          0x03000005
#define SSL3_CK_RSA_RC2_40_MD5           0x03000006
#define SSL3_CK_RSA_IDEA_128_SHA         0x03000007
#define SSL3_CK_RSA_DES_40_CBC_SHA       0x03000008
#define SSL3_CK_RSA_DES_64_CBC_SHA       0x03000009
#define SSL3_CK_RSA_DES_192_CBC3_SHA     0x0300000A
#define SSL3_CK_DH_DSS_DES_40_CBC_SHA    0x0300000B
#define SSL3_CK_DH_DSS_DES_64_CBC_SHA    0x0300000C
#define SSL3_CK_DH_DSS_DES_192_CBC3_SHA  0x0300000D
#define SSL3_CK_DH_RSA_DES_40_CBC_SHA    0x0300000E
#define SSL3_CK_DH_RSA_DES_64_CBC_SHA    0x0300000F
#define SSL3_CK_DH_RSA_DES_192_CBC3_SHA  0x03000010
#define SSL3_CK_DHE_DSS_DES_40_CBC_SHA   0x03000011
#define SSL3_CK_EDH_DSS_DES_40_CBC_SHA   SSL3_CK_DHE_DSS_DES_40_CBC_SHA
#define SSL3_CK_DHE_DSS_DES_64_CBC_SHA   0x03000012
#define SSL3_CK_EDH_DSS_DES_64_CBC_SHA   SSL3_CK_DHE_DSS_DES_64_CBC_SHA
#define SSL3_CK_DHE_DSS_DES_192_CBC3_SHA 0x03000013
#define SSL3_CK_EDH_DSS_DES_192_CBC3_SHA SSL3_CK_DHE_DSS_DES_192_CBC3_SHA
#define SSL3_CK_DHE_RSA_DES_40_CBC_SHA   0x03000014
#define SSL3_CK_EDH_RSA_DES_40_CBC_SHA   SSL3_CK_DHE_RSA_DES_40_CBC_SHA
#define SSL3_CK_DHE_RSA_DES_64_CBC_SHA   0x03000015
#define SSL3_CK_EDH_RSA_DES_64_CBC_SHA   SSL3_CK_DHE_RSA_DES_64_CBC_SHA
#define SSL3_CK_DHE_RSA_DES_192_CBC3_SHA 0x03000016
#define SSL3_CK_EDH_RSA_DES_192_CBC3_SHA SSL3_CK_DHE_RSA_DES_192_CBC3_SHA
#define SSL3_CK_ADH_RC4_40_MD5           0x03000017
#define SSL3_CK_ADH_RC4_128_MD5          0x03000018
#define SSL3_CK_ADH_DES_40_CBC_SHA       0x03000019
#define SSL3_CK_ADH_DES_64_CBC_SHA       0x0300001A
#define SSL3_CK_ADH_DES_192_CBC_SHA      0x0300001B

/* IANA (RFC) names of the SSL 3.0-era suites, as SSL_CIPHER_standard_name() returns them. */
#define SSL3_RFC_RSA_NULL_MD5             "TLS_RSA_WITH_NULL_MD5"
#define SSL3_RFC_RSA_NULL_SHA             "TLS_RSA_WITH_NULL_SHA"
#define SSL3_RFC_RSA_DES_192_CBC3_SHA     "TLS_RSA_WITH_3DES_EDE_CBC_SHA"
#define SSL3_RFC_DHE_DSS_DES_192_CBC3_SHA "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"
#define SSL3_RFC_DHE_RSA_DES_192_CBC3_SHA "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"
#define SSL3_RFC_ADH_DES_192_CBC_SHA      "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"
#define SSL3_RFC_RSA_IDEA_128_SHA         "TLS_RSA_WITH_IDEA_CBC_SHA"
#define SSL3_RFC_RSA_RC4_128_MD5          "TLS_RSA_WITH_RC4_128_MD5"
#define SSL3_RFC_RSA_RC4_128_SHA          "TLS_RSA_WITH_RC4_128_SHA"
#define SSL3_RFC_ADH_RC4_128_MD5          "TLS_DH_anon_WITH_RC4_128_MD5"

/* OpenSSL-style names of the same suites, as SSL_CIPHER_get_name() returns them. */
#define SSL3_TXT_RSA_NULL_MD5             "NULL-MD5"
#define SSL3_TXT_RSA_NULL_SHA             "NULL-SHA"
#define SSL3_TXT_RSA_RC4_40_MD5           "EXP-RC4-MD5"
#define SSL3_TXT_RSA_RC4_128_MD5          "RC4-MD5"
#define SSL3_TXT_RSA_RC4_128_SHA          "RC4-SHA"
#define SSL3_TXT_RSA_RC2_40_MD5           "EXP-RC2-CBC-MD5"
#define SSL3_TXT_RSA_IDEA_128_SHA         "IDEA-CBC-SHA"
#define SSL3_TXT_RSA_DES_40_CBC_SHA       "EXP-DES-CBC-SHA"
#define SSL3_TXT_RSA_DES_64_CBC_SHA       "DES-CBC-SHA"
#define SSL3_TXT_RSA_DES_192_CBC3_SHA     "DES-CBC3-SHA"
#define SSL3_TXT_DH_DSS_DES_40_CBC_SHA    "EXP-DH-DSS-DES-CBC-SHA"
#define SSL3_TXT_DH_DSS_DES_64_CBC_SHA    "DH-DSS-DES-CBC-SHA"
#define SSL3_TXT_DH_DSS_DES_192_CBC3_SHA  "DH-DSS-DES-CBC3-SHA"
#define SSL3_TXT_DH_RSA_DES_40_CBC_SHA    "EXP-DH-RSA-DES-CBC-SHA"
#define SSL3_TXT_DH_RSA_DES_64_CBC_SHA    "DH-RSA-DES-CBC-SHA"
#define SSL3_TXT_DH_RSA_DES_192_CBC3_SHA  "DH-RSA-DES-CBC3-SHA"
#define SSL3_TXT_DHE_DSS_DES_40_CBC_SHA   "EXP-DHE-DSS-DES-CBC-SHA"
#define SSL3_TXT_DHE_DSS_DES_64_CBC_SHA   "DHE-DSS-DES-CBC-SHA"
#define SSL3_TXT_DHE_DSS_DES_192_CBC3_SHA "DHE-DSS-DES-CBC3-SHA"
#define SSL3_TXT_DHE_RSA_DES_40_CBC_SHA   "EXP-DHE-RSA-DES-CBC-SHA"
#define SSL3_TXT_DHE_RSA_DES_64_CBC_SHA   "DHE-RSA-DES-CBC-SHA"
#define SSL3_TXT_DHE_RSA_DES_192_CBC3_SHA "DHE-RSA-DES-CBC3-SHA"
#define SSL3_TXT_EDH_DSS_DES_40_CBC_SHA   "EXP-EDH-DSS-DES-CBC-SHA"
#define SSL3_TXT_EDH_DSS_DES_64_CBC_SHA   "EDH-DSS-DES-CBC-SHA"
#define SSL3_TXT_EDH_DSS_DES_192_CBC3_SHA "EDH-DSS-DES-CBC3-SHA"
#define SSL3_TXT_EDH_RSA_DES_40_CBC_SHA   "EXP-EDH-RSA-DES-CBC-SHA"
#define SSL3_TXT_EDH_RSA_DES_64_CBC_SHA   "EDH-RSA-DES-CBC-SHA"
#define SSL3_TXT_EDH_RSA_DES_192_CBC3_SHA "EDH-RSA-DES-CBC3-SHA"
#define SSL3_TXT_ADH_RC4_40_MD5           "EXP-ADH-RC4-MD5"
#define SSL3_TXT_ADH_RC4_128_MD5          "ADH-RC4-MD5"
#define SSL3_TXT_ADH_DES_40_CBC_SHA       "EXP-ADH-DES-CBC-SHA"
#define SSL3_TXT_ADH_DES_64_CBC_SHA       "ADH-DES-CBC-SHA"
#define SSL3_TXT_ADH_DES_192_CBC_SHA      "ADH-DES-CBC3-SHA"

/* An alignment that is not a power of two cannot be honoured by the record buffers. */
#if (SSL3_ALIGN_PAYLOAD & (SSL3_ALIGN_PAYLOAD - 1)) != 0
#error "SSL3_ALIGN_PAYLOAD must be a power of two"
#endif

#ifdef __cplusplus
}
#endif
#endif /* OPENSSL_SSL3_H */
