/*
 * keel — <openssl/dtls1.h>: DTLS constants (RFC 6347).
 * keel does not implement DTLS (the DTLS methods exist and fail honestly); these values are kept
 * equal to OpenSSL 3.0's so that code referring to them compiles and compares the same.
 */
#ifndef OPENSSL_DTLS1_H
#define OPENSSL_DTLS1_H
#pragma once

#include <openssl/macros.h>
#ifndef OPENSSL_NO_DEPRECATED_3_0
#define HEADER_DTLS1_H
#endif

#include <openssl/prov_ssl.h>   /* DTLS1_VERSION, DTLS1_2_VERSION, DTLS1_BAD_VER */

#ifdef __cplusplus
extern "C" {
#endif

#include <openssl/opensslconf.h>

#ifndef OPENSSL_NO_DEPRECATED_3_0
#define DTLS_MIN_VERSION            DTLS1_VERSION
#define DTLS_MAX_VERSION            DTLS1_2_VERSION
#endif
/* DTLS versions are the one's complement of TLS ones, so the major byte is 0xFE (RFC 6347 §4.1). */
#define DTLS1_VERSION_MAJOR         0xFE

/* "Any DTLS version", as DTLS_method() starts out. */
#define DTLS_ANY_VERSION            0x1FFFF

/* HelloVerifyRequest cookies are at most 255 bytes (RFC 6347 §4.2.1). */
#define DTLS1_COOKIE_LENGTH         255

/* Record header: type, version, epoch, 48-bit sequence number, length (RFC 6347 §4.1). */
#define DTLS1_RT_HEADER_LENGTH      13

/* Handshake header: type, length, message_seq, fragment_offset, fragment_length (RFC 6347 §4.2.2). */
#define DTLS1_HM_HEADER_LENGTH      12

/* OpenSSL's internal fragment-reassembly results, kept as facts. */
#define DTLS1_HM_BAD_FRAGMENT       -2
#define DTLS1_HM_FRAGMENT_RETRY     -3

#define DTLS1_CCS_HEADER_LENGTH     1
#define DTLS1_AL_HEADER_LENGTH      2

/* Timeouts tolerated before the handshake is abandoned. */
#define DTLS1_TMO_ALERT_COUNT       12

#ifdef __cplusplus
}
#endif
#endif /* OPENSSL_DTLS1_H */
