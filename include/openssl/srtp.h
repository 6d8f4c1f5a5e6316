/*
 * keel — <openssl/srtp.h>: the use_srtp extension of DTLS-SRTP (RFC 5764).
 * Profile ids are the SRTPProtectionProfile code points (RFC 5764 §4.1.2, RFC 7714 §14.2).
 */
#ifndef OPENSSL_SRTP_H
#define OPENSSL_SRTP_H
#pragma once

#include <openssl/macros.h>
#ifndef OPENSSL_NO_DEPRECATED_3_0
#define HEADER_D1_SRTP_H
#endif

#include <openssl/ssl.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SRTP_AES128_CM_SHA1_80      0x0001
#define SRTP_AES128_CM_SHA1_32      0x0002
#define SRTP_AES128_F8_SHA1_80      0x0003
#define SRTP_AES128_F8_SHA1_32      0x0004
#define SRTP_NULL_SHA1_80           0x0005
#define SRTP_NULL_SHA1_32           0x0006
#define SRTP_AEAD_AES_128_GCM       0x0007
#define SRTP_AEAD_AES_256_GCM       0x0008

#ifndef OPENSSL_NO_SRTP
/* Profiles are a colon-separated list of the names above, e.g. "SRTP_AES128_CM_SHA1_80". */
__owur int SSL_CTX_set_tlsext_use_srtp(SSL_CTX *ctx, const char *profiles);
__owur int SSL_set_tlsext_use_srtp(SSL *ssl, const char *profiles);

__owur STACK_OF(SRTP_PROTECTION_PROFILE) *SSL_get_srtp_profiles(SSL *ssl);
__owur SRTP_PROTECTION_PROFILE *SSL_get_selected_srtp_profile(SSL *s);
#endif

#ifdef __cplusplus
}
#endif
#endif /* OPENSSL_SRTP_H */
