/*
 * network.c — listening, socket options and address formatting.
 *
 * Addresses are formatted with inet_ntop, as Redis does for CLIENT LIST's
 * addr= and laddr=: an IPv6 address in brackets, no scope id.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "shared/network.h"
#include "shared/number.h"

#define NETWORK_LISTEN_BACKLOG 511

struct evconnlistener *
network_listen(struct event_base *base, const char *bind, long long port,
               evconnlistener_cb accept_callback, evconnlistener_errorcb error_callback,
               void *context, char *error, size_t error_size)
{
    struct addrinfo hints, *addresses = NULL;
    struct evconnlistener *listener;
    char port_text[24];
    int status;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_PASSIVE | AI_ADDRCONFIG | AI_NUMERICSERV;
    snprintf(port_text, sizeof(port_text), "%lld", port);
    status = getaddrinfo(bind, port_text, &hints, &addresses);
    if (status != 0) {
        snprintf(error, error_size, "cannot resolve bind address '%s': %s",
                 bind, gai_strerror(status));
        return NULL;
    }
    listener = evconnlistener_new_bind(base, accept_callback, context,
        LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
        NETWORK_LISTEN_BACKLOG, addresses->ai_addr, (int)addresses->ai_addrlen);
    freeaddrinfo(addresses);
    if (listener == NULL) {
        snprintf(error, error_size, "cannot listen on %s:%lld: %s", bind, port,
                 strerror(errno));
        return NULL;
    }
    if (error_callback != NULL) {
        evconnlistener_set_error_cb(listener, error_callback);
    }
    return listener;
}

int
network_set_nodelay(int fd)
{
    int one = 1;

    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void
network_format_address(const struct sockaddr *address, char *out, size_t size)
{
    char host[INET6_ADDRSTRLEN];

    if (address->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)address;

        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        snprintf(out, size, "[%s]:%d", host, ntohs(in6->sin6_port));
    } else if (address->sa_family == AF_INET) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)address;

        inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
        snprintf(out, size, "%s:%d", host, ntohs(in4->sin_port));
    } else {
        snprintf(out, size, "?:0");
    }
}

/* Formats the peer's address of fd when `peer`, else its own. */
static void
network_format_socket(int fd, int peer, char *out, size_t size)
{
    struct sockaddr_storage address;
    socklen_t length = sizeof(address);
    int status;

    memset(&address, 0, sizeof(address));
    if (peer) {
        status = getpeername(fd, (struct sockaddr *)&address, &length);
    } else {
        status = getsockname(fd, (struct sockaddr *)&address, &length);
    }
    if (status != 0) {
        address.ss_family = AF_UNSPEC;
    }
    network_format_address((const struct sockaddr *)&address, out, size);
}

void
network_peer_address(int fd, char *out, size_t size)
{
    network_format_socket(fd, 1, out, size);
}

void
network_local_address(int fd, char *out, size_t size)
{
    network_format_socket(fd, 0, out, size);
}

int
network_split_host_port(const char *text, char *host, size_t host_size,
                        const char **port_text)
{
    const char *colon = strrchr(text, ':');
    const char *start = text;
    size_t length;

    if (colon == NULL || colon == text || colon[1] == '\0') {
        return -1;
    }
    length = (size_t)(colon - text);
    if (text[0] == '[') {
        if (length < 3 || text[length - 1] != ']') {
            return -1;
        }
        start = text + 1;
        length -= 2;
    }
    if (length >= host_size) {
        return -1;
    }
    memcpy(host, start, length);
    host[length] = '\0';
    *port_text = colon + 1;
    return 0;
}

int
network_parse_port(const char *text, int *port)
{
    long long number;

    if (!string_to_long_long(text, strlen(text), &number) || number < 1 || number > 65535) {
        return -1;
    }
    *port = (int)number;
    return 0;
}

/* "host:port" into host and a valid port.  Returns 0 or -1. */
int
network_parse_address(const char *text, char *host, size_t host_size, int *port)
{
    const char *port_text;

    if (network_split_host_port(text, host, host_size, &port_text) != 0) {
        return -1;
    }
    return network_parse_port(port_text, port);
}

int
network_resolve_seed(const char *seed, void (*found)(const char *address, void *context),
                     void *context)
{
    char host[256], service[8], address[INET_ADDRSTRLEN + 8], text[INET_ADDRSTRLEN];
    struct addrinfo hints, *results = NULL, *entry;
    int port, count = 0;

    if (network_parse_address(seed, host, sizeof(host), &port) != 0) {
        return 0;
    }
    snprintf(service, sizeof(service), "%d", port);
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, service, &hints, &results) != 0) {
        return 0;
    }
    for (entry = results; entry != NULL; entry = entry->ai_next) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)entry->ai_addr)->sin_addr, text,
                  sizeof(text));
        snprintf(address, sizeof(address), "%s:%d", text, port);
        found(address, context);
        count++;
    }
    freeaddrinfo(results);
    return count;
}
