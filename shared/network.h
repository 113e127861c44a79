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

/* Longest text network_format_address() writes: "[v6 address]:65535". */
#define NETWORK_ADDRESS_MAX 64

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

#endif
