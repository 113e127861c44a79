/*
 * test_network.c — Redis-style address text, and a listener on loopback
 * whose addresses, as seen from a connected socket, read back right.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "shared/network.h"

/* Formats the address `host` (IPv4 or IPv6 text) with `port`. */
static void
format_text(const char *host, int port, char *out, size_t size)
{
    struct sockaddr_storage address;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&address;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&address;

    memset(&address, 0, sizeof(address));
    if (strchr(host, ':') != NULL) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        assert_int_equal(inet_pton(AF_INET6, host, &in6->sin6_addr), 1);
    } else {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        assert_int_equal(inet_pton(AF_INET, host, &in4->sin_addr), 1);
    }
    network_format_address((const struct sockaddr *)&address, out, size);
}

/* Asserts that `host` and `port` read `expected`. */
static void
assert_formats_as(const char *host, int port, const char *expected)
{
    char text[NETWORK_ADDRESS_MAX];

    format_text(host, port, text, sizeof(text));
    assert_string_equal(text, expected);
}

static void
test_format_ipv4(void **state)
{
    assert_formats_as("127.0.0.1", 6379, "127.0.0.1:6379");
    assert_formats_as("255.255.255.255", 65535, "255.255.255.255:65535");
    assert_formats_as("0.0.0.0", 0, "0.0.0.0:0");
}

static void
test_format_ipv6_in_brackets(void **state)
{
    assert_formats_as("::1", 7380, "[::1]:7380");
    assert_formats_as("::ffff:10.1.2.3", 1, "[::ffff:10.1.2.3]:1");
    assert_formats_as("fd00:1:2:3:4:5:6:7", 65535, "[fd00:1:2:3:4:5:6:7]:65535");
    /* The longest text there is fits. */
    assert_formats_as("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
                      "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

static void
test_format_other_family_and_small_buffer(void **state)
{
    struct sockaddr_storage address;
    char text[NETWORK_ADDRESS_MAX], small[6];

    memset(&address, 0, sizeof(address));
    address.ss_family = AF_UNIX;
    network_format_address((const struct sockaddr *)&address, text, sizeof(text));
    assert_string_equal(text, "?:0");
    format_text("10.20.30.40", 5000, small, sizeof(small));
    assert_string_equal(small, "10.20");
}

static void
test_unconnected_socket_has_no_peer(void **state)
{
    char text[NETWORK_ADDRESS_MAX];
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    network_peer_address(fd, text, sizeof(text));
    assert_string_equal(text, "?:0");
    close(fd);
    network_local_address(-1, text, sizeof(text));
    assert_string_equal(text, "?:0");
}

/* The port a listener got from the system. */
static int
listener_port(struct evconnlistener *listener)
{
    struct sockaddr_in address;
    socklen_t length = sizeof(address);

    assert_int_equal(getsockname(evconnlistener_get_fd(listener),
                                 (struct sockaddr *)&address, &length), 0);
    return ntohs(address.sin_port);
}

static void
ignore_connection(struct evconnlistener *listener, evutil_socket_t fd,
                  struct sockaddr *address, int length, void *context)
{
    close(fd);
}

/* Listens on an ephemeral loopback port and connects to it (the kernel
 * completes the handshake without accept()). */
static void
test_listen_and_addresses(void **state)
{
    struct event_base *base = event_base_new();
    struct evconnlistener *listener;
    struct sockaddr_in target;
    char error[256], text[NETWORK_ADDRESS_MAX], expected[NETWORK_ADDRESS_MAX];
    int fd, port, nodelay = 0;
    socklen_t length = sizeof(nodelay);

    assert_non_null(base);
    listener = network_listen(base, "127.0.0.1", 0, ignore_connection, NULL, NULL,
                              error, sizeof(error));
    assert_non_null(listener);
    port = listener_port(listener);
    memset(&target, 0, sizeof(target));
    target.sin_family = AF_INET;
    target.sin_port = htons((uint16_t)port);
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&target, sizeof(target)), 0);

    network_peer_address(fd, text, sizeof(text));
    snprintf(expected, sizeof(expected), "127.0.0.1:%d", port);
    assert_string_equal(text, expected);
    network_local_address(fd, text, sizeof(text));
    assert_int_equal(strncmp(text, "127.0.0.1:", 10), 0);
    assert_string_not_equal(text, expected);

    assert_int_equal(network_set_nodelay(fd), 0);
    assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &length), 0);
    assert_true(nodelay != 0);
    close(fd);
    evconnlistener_free(listener);
    event_base_free(base);
}

/* An address that is not this host's: the error names it. */
static void
test_listen_error_text(void **state)
{
    struct event_base *base = event_base_new();
    char error[256] = "";

    assert_non_null(base);
    assert_null(network_listen(base, "203.0.113.7", 7380, ignore_connection, NULL, NULL,
                               error, sizeof(error)));
    assert_non_null(strstr(error, "cannot listen on 203.0.113.7:7380: "));
    event_base_free(base);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_ipv4),
        cmocka_unit_test(test_format_ipv6_in_brackets),
        cmocka_unit_test(test_format_other_family_and_small_buffer),
        cmocka_unit_test(test_unconnected_socket_has_no_peer),
        cmocka_unit_test(test_listen_and_addresses),
        cmocka_unit_test(test_listen_error_text),
    };

    return cmocka_run_group_tests_name("network", tests, NULL, NULL);
}
