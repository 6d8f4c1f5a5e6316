/* Shared pieces of the `keel` command's s_client and s_server: sockets, key logging, printing what
 * a handshake negotiated, and the stdin <-> connection relay. Public API only (keel's <openssl/ssl.h>). */
#ifndef KEEL_APPS_COMMON_H
#define KEEL_APPS_COMMON_H

#include <openssl/ssl.h>
#include <stdio.h>

int main_s_client(int argc, char **argv);
int main_s_server(int argc, char **argv);

/* Splits "host:port" or "[v6]:port"; returns malloc'd strings. 1 on success. */
int apps_split_hostport(const char *in, char **host, char **port);
/* 1 when s is a literal IPv4/IPv6 address (no SNI is sent for those, RFC 6066 §3). */
int apps_is_ip(const char *s);
/* A connected TCP socket, or -1 with a message on stderr. */
int apps_tcp_connect(const char *host, const char *port);
/* A listening socket on the loopback address; *bound gets the actual port (port 0 = ephemeral). */
int apps_tcp_listen(const char *port, int *bound);
int apps_set_nonblocking(int fd, int on);
/* Closes a connection's socket without a TCP reset: send side shut down, the peer's remaining
 * input drained for a bounded time, then close. */
void apps_close(int fd);

/* Key log: `file` (or $SSLKEYLOGFILE when file is NULL) gets NSS key log lines appended. */
int apps_setup_keylog(SSL_CTX *ctx, const char *file);

/* ALPN "a,b,c" -> wire form (length-prefixed). Returns malloc'd buffer or NULL. */
unsigned char *apps_alpn_wire(const char *list, unsigned int *outlen);

/* The protocol options both tools take, named as openssl s_client/s_server name them: -tls1_2 and
 * -tls1_3 (that version only; the last one given counts), -cipher (TLS 1.2 suites), -ciphersuites
 * (TLS 1.3 suites), -sigalgs, -groups (or -curves). */
struct apps_proto {
    int version;
    const char *cipher, *suites, *sigalgs, *groups;
};
/* argv[*i] if it is one of them, its argument taken (*i advanced): 1; not one: 0; an option
 * missing its argument: -1 (reported on stderr, prefixed with tool). */
int apps_proto_arg(struct apps_proto *p, const char *tool, int argc, char **argv, int *i);
/* Applies them to ctx (the version range and the lists): 1, or 0 with the error reported. */
int apps_proto_apply(SSL_CTX *ctx, const struct apps_proto *p);
#define APPS_PROTO_USAGE "[-tls1_2 | -tls1_3] [-cipher list] [-ciphersuites list] [-sigalgs list] [-groups list]"

/* Certificate + key files (PEM) into ctx, with a key/cert match check. */
int apps_load_cert_key(SSL_CTX *ctx, const char *cert, const char *key);

/* Prints the ERR stack to stderr with a leading message. */
void apps_errors(const char *what);

/* Prints the negotiated parameters, peer certificate, verify result and Reused/New line. */
void apps_print_session_info(FILE *out, SSL *ssl, int is_client);
/* "subject=..." style one-line X509_NAME. */
void apps_print_name(FILE *out, const char *label, const X509_NAME *name);

/* The data phase. Copies in_fd -> ssl and ssl -> out_fd until the peer closes.
 * close_on_eof: at EOF on in_fd, send close_notify and keep reading until the peer closes.
 * Otherwise EOF on in_fd is ignored. in_fd < 0: nothing to send. *in_eof (optional) is set at
 * EOF on in_fd. hook (optional) is called after each SSL_read attempt.
 * commands: an input line that is exactly "k" or "K" is not sent; it sends a KeyUpdate instead
 * (SSL_key_update with update_not_requested / update_requested), as in OpenSSL's tools.
 * Returns 0 for a clean end (peer close_notify or our close_notify answered), 1 on error. */
typedef void (*apps_read_hook)(SSL *ssl, void *arg);
int apps_relay(SSL *ssl, int sock, int in_fd, int out_fd, int close_on_eof, int *in_eof,
               int commands, apps_read_hook hook, void *hook_arg);

/* Reads (non-blocking socket) for up to `ms` milliseconds or until *flag becomes nonzero, so
 * that post-handshake messages (TLS 1.3 NewSessionTicket) are processed. Application data
 * read meanwhile goes to out_fd (if >= 0). Returns 0 normally, -1 if the connection ended. */
int apps_pump(SSL *ssl, int sock, int ms, const volatile int *flag, int out_fd);

/* Writes all of buf to fd (blocking). */
int apps_write_all(int fd, const void *buf, size_t len);

#endif
