/*
 * keel — <openssl/ssl2.h>: the two SSL 2.0 facts still referenced by applications.
 * SSL 2.0 (prohibited by RFC 6176) is never spoken; SSL2_VERSION only names it in version checks,
 * and SSL2_MT_CLIENT_HELLO is the message type a v2-format ClientHello carries.
 */
#ifndef OPENSSL_SSL2_H
#define OPENSSL_SSL2_H
#pragma once

#include <openssl/macros.h>
#ifndef OPENSSL_NO_DEPRECATED_3_0
#define HEADER_SSL2_H
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define SSL2_VERSION            0x0002
#define SSL2_MT_CLIENT_HELLO    1

#ifdef __cplusplus
}
#endif
#endif /* OPENSSL_SSL2_H */
