/*
 * test_proxy_scan.c — cluster SCAN cursors ((node ordinal << 54) | node
 * cursor) and the proxy's `node` option parsing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "proxy/proxy.h"

static int
parse(const char *text, int nodes, int *ordinal, uint64_t *node_cursor)
{
    return proxy_scan_cursor_parse(text, strlen(text), nodes, ordinal, node_cursor);
}

static void
test_parse_cursors(void **state)
{
    int ordinal = -1;
    uint64_t cursor = 99;

    assert_int_equal(parse("0", 3, &ordinal, &cursor), 0);
    assert_int_equal(ordinal, 0);
    assert_int_equal(cursor, 0);
    assert_int_equal(parse("12345", 3, &ordinal, &cursor), 0);
    assert_int_equal(ordinal, 0);
    assert_int_equal(cursor, 12345);
    /* 2 << 54 = 36028797018963968: node 2 from its start. */
    assert_int_equal(parse("36028797018963968", 3, &ordinal, &cursor), 0);
    assert_int_equal(ordinal, 2);
    assert_int_equal(cursor, 0);
    /* (1 << 54) | 7 */
    assert_int_equal(parse("18014398509481991", 3, &ordinal, &cursor), 0);
    assert_int_equal(ordinal, 1);
    assert_int_equal(cursor, 7);
}

static void
test_parse_rejects(void **state)
{
    int ordinal;
    uint64_t cursor;

    assert_int_equal(parse("", 3, &ordinal, &cursor), -1);
    assert_int_equal(parse("-1", 3, &ordinal, &cursor), -1);
    assert_int_equal(parse("abc", 3, &ordinal, &cursor), -1);
    assert_int_equal(parse("1 ", 3, &ordinal, &cursor), -1);
    assert_int_equal(parse("18446744073709551616", 3, &ordinal, &cursor), -1);
    /* Ordinal 3 with only 3 nodes. */
    assert_int_equal(parse("54043195528445952", 3, &ordinal, &cursor), -1);
    assert_int_equal(parse("18446744073709551615", 1000, &ordinal, &cursor), -1);
}

static void
test_next_cursor(void **state)
{
    uint64_t cursor = 1;

    assert_int_equal(proxy_scan_cursor_next(0, 0, 3, &cursor), 0);
    assert_int_equal(cursor, UINT64_C(1) << 54);
    assert_int_equal(proxy_scan_cursor_next(1, 0, 3, &cursor), 0);
    assert_int_equal(cursor, UINT64_C(2) << 54);
    assert_int_equal(proxy_scan_cursor_next(2, 0, 3, &cursor), 0);
    assert_int_equal(cursor, 0);
    assert_int_equal(proxy_scan_cursor_next(2, 42, 3, &cursor), 0);
    assert_int_equal(cursor, (UINT64_C(2) << 54) | 42);
    assert_int_equal(proxy_scan_cursor_next(0, UINT64_C(1) << 54, 3, &cursor), -1);
    /* One node: cluster cursors are the node's own. */
    assert_int_equal(proxy_scan_cursor_next(0, 77, 1, &cursor), 0);
    assert_int_equal(cursor, 77);
    assert_int_equal(proxy_scan_cursor_next(0, 0, 1, &cursor), 0);
    assert_int_equal(cursor, 0);
}

/* Every cursor the proxy hands out parses back to the same position. */
static void
test_round_trip(void **state)
{
    uint64_t node_cursors[] = { 1, 2, 1000, (UINT64_C(1) << 54) - 1 };
    char text[32];
    uint64_t cursor, back;
    int ordinal, back_ordinal;
    size_t i;

    for (ordinal = 0; ordinal < 5; ordinal++) {
        for (i = 0; i < sizeof(node_cursors) / sizeof(node_cursors[0]); i++) {
            assert_int_equal(proxy_scan_cursor_next(ordinal, node_cursors[i], 5, &cursor), 0);
            snprintf(text, sizeof(text), "%llu", (unsigned long long)cursor);
            assert_int_equal(parse(text, 5, &back_ordinal, &back), 0);
            assert_int_equal(back_ordinal, ordinal);
            assert_int_equal(back, node_cursors[i]);
        }
    }
}

static void
test_node_address(void **state)
{
    struct proxy_node_address node;
    char error[256];

    assert_int_equal(proxy_parse_node_address("127.0.0.1:7001", &node, error, sizeof(error)), 0);
    assert_string_equal(node.host, "127.0.0.1");
    assert_int_equal(node.port, 7001);
    assert_string_equal(node.name, "127.0.0.1:7001");
    assert_int_equal(proxy_parse_node_address("[::1]:7002", &node, error, sizeof(error)), 0);
    assert_string_equal(node.host, "::1");
    assert_int_equal(node.port, 7002);
    assert_int_equal(proxy_parse_node_address("node-a.local:1", &node, error, sizeof(error)), 0);
    assert_string_equal(node.host, "node-a.local");
    assert_int_equal(proxy_parse_node_address("nohost", &node, error, sizeof(error)), -1);
    assert_int_equal(proxy_parse_node_address("host:", &node, error, sizeof(error)), -1);
    assert_int_equal(proxy_parse_node_address("host:70000", &node, error, sizeof(error)), -1);
    assert_int_equal(proxy_parse_node_address("host:x1", &node, error, sizeof(error)), -1);
    assert_int_equal(proxy_parse_node_address(":80", &node, error, sizeof(error)), -1);
}

static void
test_settings_nodes(void **state)
{
    struct proxy_settings settings;
    char error[256];
    char *arguments[] = { "herd-proxy", "--node", "127.0.0.1:7001", "a",
                          "--node", "127.0.0.1:7002", "--port", "7400" };
    char *twice[] = { "herd-proxy", "--node", "127.0.0.1:7001", "--node", "127.0.0.1:7001" };
    char *none[] = { "herd-proxy", "--port", "7400" };

    assert_int_equal(proxy_settings_load(&settings, NULL, 8, arguments, 1,
                                         error, sizeof(error)), 0);
    assert_int_equal(settings.node_count, 2);
    assert_string_equal(settings.nodes[0].name, "a");
    assert_string_equal(settings.nodes[1].name, "127.0.0.1:7002");
    assert_int_equal(settings.port, 7400);
    assert_int_equal(settings.replicas, 3);
    assert_int_equal(settings.node_timeout, 2000);
    assert_int_equal(settings.max_pipeline, 1024);
    assert_int_equal(settings.output_buffer_limit, 256LL * 1024 * 1024);
    proxy_settings_free(&settings);

    assert_int_equal(proxy_settings_load(&settings, NULL, 5, twice, 1,
                                         error, sizeof(error)), -1);
    proxy_settings_free(&settings);
    assert_int_equal(proxy_settings_load(&settings, NULL, 3, none, 1,
                                         error, sizeof(error)), -1);
    proxy_settings_free(&settings);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_cursors),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_next_cursor),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_node_address),
        cmocka_unit_test(test_settings_nodes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
