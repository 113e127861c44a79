/*
 * network.h — the socket glue both programs share: the listening socket,
 * per-connection socket options and Redis-style address text.
 */
#ifndef HERD_NETWORK_H
#define HERD_NETWORK_H

#include <stddef.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <event2/listener.h>

/* Room for the longest text network_format_address() writes,
 * "[v6 address]:65535": 1 + 45 + 2 + 5 characters and the NUL (54). */
#define NETWORK_ADDRESS_MAX 56

/*
 * Resolves bind:port and listens there (address reuse, close-on-exec,
 * backlog 511), calling accept_callback(..., context) for each connection
 * and error_callback (may be NULL) when accept() fails.  Returns the
 * listener, or NULL with the reason in error.
 */
struct evconnlistener *network_listen(struct event_base *base, const char *bind,
                                      long long port, evconnlistener_cb accept_callback,
                                      evconnlistener_errorcb error_callback, void *context,
                                      char *error, size_t error_size);

/* Turns off Nagle's algorithm on a TCP socket.  Returns 0 or -1. */
int network_set_nodelay(int fd);

/* Formats an address as Redis does: "1.2.3.4:5", "[::1]:5"; "?:0" for any
 * other family. */
void network_format_address(const struct sockaddr *address, char *out, size_t size);

/* The peer's and the socket's own address of `fd`, formatted ("?:0" when
 * the system cannot tell). */
void network_peer_address(int fd, char *out, size_t size);
void network_local_address(int fd, char *out, size_t size);

/* Splits "host:port" at the last colon ("[v6]:port" drops the brackets)
 * into host (host_size bytes) and *port_text (points into text).  Returns
 * 0, or -1 when the text is not that shape. */
int network_split_host_port(const char *text, char *host, size_t host_size,
                            const char **port_text);
/* A port number 1..65535.  Returns 0 or -1. */
int network_parse_port(const char *text, int *port);
/* Both: "host:port" into host and a valid port.  Returns 0 or -1. */
int network_parse_address(const char *text, char *host, size_t host_size, int *port);

/* A seed line: calls found(address, context) with "ip:port" for every IPv4
 * address host resolves to (a DNS name for several nodes counts).  Returns
 * how many it found (0: the name does not resolve now). */
int network_resolve_seed(const char *seed, void (*found)(const char *address, void *context),
                         void *context);

#endif
