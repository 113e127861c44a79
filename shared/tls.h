/*
 * tls.h — TLS for connections driven by the caller's own event loop.
 *
 * OpenSSL 3 is used directly on non-blocking sockets (no bufferevents):
 * the caller reads and writes with tls_read()/tls_write() and, when they
 * answer TLS_WANT_READ or TLS_WANT_WRITE, waits for that socket event and
 * calls again.  A server context is built once at start-up from the
 * tls-* options; every error is reported with OpenSSL's reason.
 */
#ifndef HERD_TLS_H
#define HERD_TLS_H

#include <limits.h>
#include <stddef.h>
#include <openssl/ssl.h>

/* Longest tls-protocols value. */
#define TLS_PROTOCOLS_MAX 64

/* tls-auth-clients: is a client certificate required, optional or not
 * asked for.  The order matches tls_auth_clients_names. */
enum tls_auth_clients {
    TLS_AUTH_CLIENTS_NO,
    TLS_AUTH_CLIENTS_YES,
    TLS_AUTH_CLIENTS_OPTIONAL
};

/* "no", "yes", "optional", NULL (for a CONFIG_ENUM option). */
extern const char *const tls_auth_clients_names[];

/* What a context is built from (the tls-* options, or the proxy's
 * node-tls-* ones).  Zero the struct first: NULL means "" everywhere. */
struct tls_options {
    const char *cert_file;     /* PEM certificate (chain) */
    const char *key_file;      /* PEM private key of that certificate */
    const char *ca_cert_file;  /* PEM CAs that sign client certificates; may be "" */
    int         auth_clients;  /* enum tls_auth_clients */
    const char *protocols;     /* "TLSv1.2 TLSv1.3", any non-empty subset */
    const char *option_prefix; /* put before "tls-..." in messages ("node-"); may be NULL */
};

/* The outcome of one TLS step on a non-blocking socket. */
enum tls_status {
    TLS_DONE,        /* handshake over, or some bytes moved */
    TLS_WANT_READ,   /* call again when the socket is readable */
    TLS_WANT_WRITE,  /* call again when the socket is writable */
    TLS_CLOSED,      /* the peer closed the connection */
    TLS_FAILED       /* broken: close it (error holds why) */
};

/* Checks a tls-protocols value; fills the lowest and highest version
 * (TLS1_2_VERSION...).  Returns 0, or -1 with a message. */
int tls_parse_protocols(const char *text, int *lowest, int *highest,
                        char *error, size_t error_size);

/* The listening options of a program, as its config file gave them. */
struct tls_listen_settings {
    long long   port;              /* plaintext port; 0: none */
    long long   tls_port;          /* 0: no TLS listener */
    const char *cert_file;
    const char *key_file;
    const char *ca_cert_file;
    int         auth_clients;      /* TLS_AUTH_CLIENTS_* */
    const char *protocols;
};

/* Checks that the ports and TLS options fit together (the files are read
 * at start-up).  Returns 0, or -1 with a message in error. */
int tls_check_listen_settings(const struct tls_listen_settings *settings,
                              char *error, size_t error_size);

/* Builds a server context: loads and matches certificate and key, loads
 * the CA when client certificates are asked for, sets the versions.
 * Returns it, or NULL with a message naming the file and the reason. */
SSL_CTX *tls_server_context_new(const struct tls_options *options,
                                char *error, size_t error_size);
void     tls_context_free(SSL_CTX *context);

/* Builds a client context (an outgoing connection to a server that must
 * prove itself): ca_cert_file is required and the server's certificate
 * must be signed by it; cert_file and key_file, when both set, are the
 * client certificate presented to servers that ask for one.
 * auth_clients is ignored.  Returns it, or NULL with a message. */
SSL_CTX *tls_client_context_new(const struct tls_options *options,
                                char *error, size_t error_size);

/* A server-side TLS connection on the accepted socket fd, or NULL. */
SSL *tls_connection_new(SSL_CTX *context, int fd);
/* A client-side TLS connection on the connected socket fd, or NULL.  The
 * server's certificate must name `host`: an IP address (checked against
 * its IP SANs) or a DNS name (its DNS SANs; also sent as SNI). */
SSL *tls_client_connection_new(SSL_CTX *context, int fd, const char *host);
/* Says goodbye (close_notify) when `clean`, without waiting, and frees. */
void tls_connection_free(SSL *ssl, int clean);

/* One step of the handshake (server or client side). */
enum tls_status tls_handshake(SSL *ssl, char *error, size_t error_size);
/* Reads up to `size` bytes; *received is set when TLS_DONE. */
enum tls_status tls_read(SSL *ssl, void *buffer, size_t size, size_t *received,
                         char *error, size_t error_size);
/* Writes up to `size` bytes (partial writes allowed); *written is set
 * when TLS_DONE.  After a WANT status, call again with the same bytes
 * first (they may have moved in memory). */
enum tls_status tls_write(SSL *ssl, const void *data, size_t size, size_t *written,
                          char *error, size_t error_size);
/* Bytes decrypted and waiting inside OpenSSL (the socket will not signal
 * them): non-zero means read again without waiting for an event. */
int tls_has_pending(const SSL *ssl);

#endif
