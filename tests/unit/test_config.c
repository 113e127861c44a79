/*
 * test_config.c — option tables, config files (comments, quoting,
 * includes), command-line overrides and the exact error messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "shared/config.h"

/* The settings of a pretend program. */
struct test_settings {
    long long port;
    long long maxmemory;
    long long timeout;
    int       daemonize;
    char      dir[16];
    int       fsync;
    int       node_count;
    char      nodes[4][48];    /* "HOST:PORT NAME" per `node` line */
};

/* Shared by every test: a scratch directory for config files. */
struct test_context {
    char directory[64];
    char error[1024];
};

static const char *const fsync_names[] = { "always", "everysec", "no", NULL };

/* `node HOST:PORT NAME`, repeatable. */
static int
set_node(const struct config_option *option, void *target, int argc, char **argv,
         char *error, size_t error_size)
{
    struct test_settings *settings = target;

    if (argc != 2) {
        snprintf(error, error_size, "'%s' wants HOST:PORT NAME", option->name);
        return -1;
    }
    if (settings->node_count == 4) {
        snprintf(error, error_size, "too many nodes");
        return -1;
    }
    snprintf(settings->nodes[settings->node_count++], sizeof(settings->nodes[0]),
             "%s %s", argv[0], argv[1]);
    return 0;
}

static const struct config_option options[] = {
    { "port", CONFIG_INTEGER, offsetof(struct test_settings, port), 1, 65535,
      "6380", NULL, NULL, "TCP port to listen on" },
    { "maxmemory", CONFIG_MEMORY, offsetof(struct test_settings, maxmemory), 0,
      1LL << 40, "0", NULL, NULL, "memory limit" },
    { "timeout", CONFIG_INTEGER, offsetof(struct test_settings, timeout), 0, 0,
      "0", NULL, NULL, "idle timeout" },
    { "daemonize", CONFIG_BOOLEAN, offsetof(struct test_settings, daemonize), 0, 0,
      "no", NULL, NULL, "run in the background" },
    { "dir", CONFIG_STRING, offsetof(struct test_settings, dir), 0,
      sizeof(((struct test_settings *)0)->dir), "./data", NULL, NULL, "data directory" },
    { "fsync", CONFIG_ENUM, offsetof(struct test_settings, fsync), 0, 0,
      "everysec", fsync_names, NULL, "durability policy" },
    { "node", CONFIG_CUSTOM, 0, 0, 0, NULL, NULL, set_node, "a cluster node" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL },
};

/* Writes text to `name` in the scratch directory; its path goes to path. */
static void
write_file(const struct test_context *context, const char *name, const char *text,
           char *path, size_t size)
{
    FILE *file;

    snprintf(path, size, "%s/%s", context->directory, name);
    file = fopen(path, "w");
    assert_non_null(file);
    assert_int_equal(fputs(text, file) >= 0, 1);
    assert_int_equal(fclose(file), 0);
}

/* Fresh settings with every default applied. */
static void
defaults(struct test_settings *settings, struct test_context *context)
{
    memset(settings, 0, sizeof(*settings));
    assert_int_equal(config_apply_defaults(options, settings, context->error,
                                           sizeof(context->error)), 0);
}

/* Loads text as a file called name and expects it to fail with
 * "PATH:<location>" followed by message. */
static void
expect_file_error(struct test_context *context, const char *name, const char *text,
                  const char *location_and_message)
{
    struct test_settings settings;
    char path[256], expected[512];

    defaults(&settings, context);
    write_file(context, name, text, path, sizeof(path));
    assert_int_equal(config_load_file(options, &settings, path, context->error,
                                      sizeof(context->error)), -1);
    snprintf(expected, sizeof(expected), "%s:%s", path, location_and_message);
    assert_string_equal(context->error, expected);
}

static int
setup(void **state)
{
    struct test_context *context = calloc(1, sizeof(*context));

    if (context == NULL) {
        return -1;
    }
    snprintf(context->directory, sizeof(context->directory), "/tmp/test_config.XXXXXX");
    if (mkdtemp(context->directory) == NULL) {
        free(context);
        return -1;
    }
    *state = context;
    return 0;
}

static int
teardown(void **state)
{
    struct test_context *context = *state;
    char command[128];

    snprintf(command, sizeof(command), "rm -rf '%s'", context->directory);
    if (system(command) != 0) {
        return -1;
    }
    free(context);
    return 0;
}

static void
test_defaults(void **state)
{
    struct test_context *context = *state;
    struct test_settings settings;

    defaults(&settings, context);
    assert_int_equal(settings.port, 6380);
    assert_int_equal(settings.maxmemory, 0);
    assert_int_equal(settings.daemonize, 0);
    assert_string_equal(settings.dir, "./data");
    assert_int_equal(settings.fsync, 1);
    assert_int_equal(settings.node_count, 0);
}

static void
test_bad_default_is_reported(void **state)
{
    struct test_context *context = *state;
    struct test_settings settings;
    struct config_option bad[] = {
        { "port", CONFIG_INTEGER, offsetof(struct test_settings, port), 1, 65535,
          "0", NULL, NULL, "TCP port" },
        { NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL },
    };

    assert_int_equal(config_apply_defaults(bad, &settings, context->error,
                                           sizeof(context->error)), -1);
    assert_string_equal(context->error,
                        "default of 'port': 'port' wants an integer from 1 to 65535, got '0'");
}

static void
test_load_file(void **state)
{
    struct test_context *context = *state;
    struct test_settings settings;
    char path[256];

    defaults(&settings, context);
    write_file(context, "herd.conf",
               "# a comment\n"
               "\n"
               "   # an indented comment\n"
               "port 7000\n"
               "  MaxMemory 5mb\r\n"
               "daemonize YES\n"
               "dir \"my dir\"\n"
               "fsync Always\n"
               "node 127.0.0.1:7001 alpha\n"
               "node '127.0.0.1:7002' \"beta\"\n"
               "timeout -5\n"
               "PORT 7005\n"
               "\t\n",
               path, sizeof(path));
    assert_int_equal(config_load_file(options, &settings, path, context->error,
                                      sizeof(context->error)), 0);
    assert_int_equal(settings.port, 7005);
    assert_int_equal(settings.maxmemory, 5 * 1024 * 1024);
    assert_int_equal(settings.daemonize, 1);
    assert_string_equal(settings.dir, "my dir");
    assert_int_equal(settings.fsync, 0);
    assert_int_equal(settings.timeout, -5);
    assert_int_equal(settings.node_count, 2);
    assert_string_equal(settings.nodes[0], "127.0.0.1:7001 alpha");
    assert_string_equal(settings.nodes[1], "127.0.0.1:7002 beta");
}

static void
test_file_without_final_newline(void **state)
{
    struct test_context *context = *state;
    struct test_settings settings;
    char path[256];

    defaults(&settings, context);
    write_file(context, "last.conf", "port 1\nport 65535", path, sizeof(path));
    assert_int_equal(config_load_file(options, &settings, path, context->error,
                                      sizeof(context->error)), 0);
    assert_int_equal(settings.port, 65535);
}

static void
test_file_errors(void **state)
{
    struct test_context *context = *state;

    expect_file_error(context, "herd.conf", "port 1\n\n\n\n\n\n\n\n\n\n\nprot 7000\n",
                      "12: unknown option 'prot'");
    expect_file_error(context, "herd.conf", "# x\n\nport abc\n",
                      "3: 'port' wants an integer from 1 to 65535, got 'abc'");
    expect_file_error(context, "herd.conf", "port 65536\n",
                      "1: 'port' wants an integer from 1 to 65535, got '65536'");
    expect_file_error(context, "herd.conf", "port 12x\n",
                      "1: 'port' wants an integer from 1 to 65535, got '12x'");
    expect_file_error(context, "herd.conf", "port 99999999999999999999\n",
                      "1: 'port' wants an integer from 1 to 65535, got '99999999999999999999'");
    expect_file_error(context, "herd.conf", "\n\n\n\nfsync sometimes\n",
                      "5: 'fsync' wants one of always, everysec, no, got 'sometimes'");
    expect_file_error(context, "herd.conf", "\n\n\n\nport 1 2\n",
                      "5: 'port' wants 1 value, got 2");
    expect_file_error(context, "herd.conf", "port\n",
                      "1: 'port' wants 1 value, got 0");
    expect_file_error(context, "herd.conf", "daemonize maybe\n",
                      "1: 'daemonize' wants yes or no, got 'maybe'");
    expect_file_error(context, "herd.conf", "dir 0123456789abcdef\n",
                      "1: 'dir' is too long (at most 15 bytes), got 16 bytes");
    expect_file_error(context, "herd.conf", "maxmemory 2tb\n",
                      "1: 'maxmemory' wants a size in bytes (like 100, 10k, 10kb, 5mb, 2gb) "
                      "from 0 to 1099511627776, got '2tb'");
    expect_file_error(context, "herd.conf", "port 1\ndir \"unclosed\n",
                      "2: unbalanced quotes in configuration line");
    expect_file_error(context, "herd.conf", "node a:1\n",
                      "1: 'node' wants HOST:PORT NAME");
}

static void
test_longest_string_fits(void **state)
{
    struct test_context *context = *state;
    struct test_settings settings;
    char *value[] = { "0123456789abcde" };

    defaults(&settings, context);
    assert_int_equal(config_set(options, &settings, "dir", 1, value, context->error,
                                sizeof(context->error)), 0);
    assert_string_equal(settings.dir, "0123456789abcde");
}

static void
test_missing_file(void **state)
{
    struct test_context *context = *state;
    struct test_settings settings;

    defaults(&settings, context);
    assert_int_equal(chdir(context->directory), 0);
    assert_int_equal(config_load_file(options, &settings, "x.conf", context->error,
                                      sizeof(context->error)), -1);
    assert_string_equal(context->error, "cannot open 'x.conf': No such file or directory");
}

static void
test_include_is_relative_to_the_including_file(void **state)
{
    struct test_context *context = *state;
    struct test_settings settings;
    char path[256], subdirectory[128];

    snprintf(subdirectory, sizeof(subdirectory), "%s/sub", context->directory);
    assert_int_equal(mkdir(subdirectory, 0755) == 0 || access(subdirectory, F_OK) == 0, 1);
    write_file(context, "sub/more.conf", "port 7100\ninclude deeper.conf\n", path, sizeof(path));
    write_file(context, "sub/deeper.conf", "fsync no\n", path, sizeof(path));
    write_file(context, "main.conf", "port 1\ninclude sub/more.conf\ndaemonize yes\n",
               path, sizeof(path));
    /* Run from elsewhere: the paths must not depend on the working directory. */
    assert_int_equal(chdir("/"), 0);
    defaults(&settings, context);
    assert_int_equal(config_load_file(options, &settings, path, context->error,
                                      sizeof(context->error)), 0);
    assert_int_equal(settings.port, 7100);
    assert_int_equal(settings.fsync, 2);
    assert_int_equal(settings.daemonize, 1);
}

static void
test_include_errors(void **state)
{
    struct test_context *context = *state;
    struct test_settings settings;
    char included[256], including[256], expected[600];

    /* An error inside an included file names that file and line. */
    write_file(context, "bad.conf", "port 2\nfsync sometimes\n", included, sizeof(included));
    write_file(context, "top.conf", "include bad.conf\n", including, sizeof(including));
    defaults(&settings, context);
    assert_int_equal(config_load_file(options, &settings, including, context->error,
                                      sizeof(context->error)), -1);
    snprintf(expected, sizeof(expected),
             "%s:2: 'fsync' wants one of always, everysec, no, got 'sometimes'", included);
    assert_string_equal(context->error, expected);

    /* A missing included file is reported at the include line. */
    snprintf(expected, sizeof(expected),
             "3: cannot open '%s/missing.conf': No such file or directory",
             context->directory);
    expect_file_error(context, "outer.conf", "port 1\n\ninclude missing.conf\n", expected);
    expect_file_error(context, "outer.conf", "include a.conf b.conf\n",
                      "1: 'include' wants 1 value, got 2");

    /* So is an included path that is a directory (found by fuzz_config). */
    snprintf(expected, sizeof(expected), "2: cannot read '%s/.': Is a directory",
             context->directory);
    expect_file_error(context, "outer.conf", "port 1\ninclude .\n", expected);

    /* A file including itself stops at the depth limit. */
    expect_file_error(context, "loop.conf", "include loop.conf\n",
                      "1: includes nested more than 16 deep (does 'loop.conf' include itself?)");
}

static void
test_command_line(void **state)
{
    struct test_context *context = *state;
    struct test_settings settings;
    char *argv[] = { "herd-node", "herd.conf", "--port", "7000", "--node", "h:1", "n1",
                     "--DAEMONIZE", "yes", "--timeout", "-3", "--dir", "a b" };

    defaults(&settings, context);
    assert_int_equal(config_apply_arguments(options, &settings, 13, argv, 2, context->error,
                                            sizeof(context->error)), 0);
    assert_int_equal(settings.port, 7000);
    assert_int_equal(settings.node_count, 1);
    assert_string_equal(settings.nodes[0], "h:1 n1");
    assert_int_equal(settings.daemonize, 1);
    assert_int_equal(settings.timeout, -3);
    assert_string_equal(settings.dir, "a b");
    /* Nothing to apply is fine. */
    assert_int_equal(config_apply_arguments(options, &settings, 2, argv, 2, context->error,
                                            sizeof(context->error)), 0);
}

/* Applies argv[1..argc) and expects message. */
static void
expect_command_line_error(struct test_context *context, int argc, char **argv,
                          const char *message)
{
    struct test_settings settings;

    defaults(&settings, context);
    assert_int_equal(config_apply_arguments(options, &settings, argc, argv, 1,
                                            context->error, sizeof(context->error)), -1);
    assert_string_equal(context->error, message);
}

static void
test_command_line_errors(void **state)
{
    struct test_context *context = *state;
    char *unknown[] = { "herd-node", "--prot", "1" };
    char *missing[] = { "herd-node", "--port", "--daemonize", "yes" };
    char *stray[] = { "herd-node", "--port", "1", "2" };
    char *no_dashes[] = { "herd-node", "port", "1" };
    char *bare[] = { "herd-node", "--" };

    expect_command_line_error(context, 3, unknown, "command line: unknown option 'prot'");
    expect_command_line_error(context, 4, missing, "command line: 'port' wants 1 value, got 0");
    expect_command_line_error(context, 4, stray, "command line: 'port' wants 1 value, got 2");
    expect_command_line_error(context, 3, no_dashes, "command line: expected --option, got 'port'");
    expect_command_line_error(context, 2, bare, "command line: expected --option, got '--'");
}

static void
test_parse_memory(void **state)
{
    long long bytes;

    assert_int_equal(config_parse_memory("100", &bytes), 0);
    assert_int_equal(bytes, 100);
    assert_int_equal(config_parse_memory("0", &bytes), 0);
    assert_int_equal(bytes, 0);
    assert_int_equal(config_parse_memory("12b", &bytes), 0);
    assert_int_equal(bytes, 12);
    assert_int_equal(config_parse_memory("1k", &bytes), 0);
    assert_int_equal(bytes, 1000);
    assert_int_equal(config_parse_memory("1kb", &bytes), 0);
    assert_int_equal(bytes, 1024);
    assert_int_equal(config_parse_memory("1KB", &bytes), 0);
    assert_int_equal(bytes, 1024);
    assert_int_equal(config_parse_memory("5mb", &bytes), 0);
    assert_int_equal(bytes, 5LL * 1024 * 1024);
    assert_int_equal(config_parse_memory("5M", &bytes), 0);
    assert_int_equal(bytes, 5000000);
    assert_int_equal(config_parse_memory("2gb", &bytes), 0);
    assert_int_equal(bytes, 2LL * 1024 * 1024 * 1024);
    assert_int_equal(config_parse_memory("3g", &bytes), 0);
    assert_int_equal(bytes, 3000000000LL);
    assert_int_equal(config_parse_memory("9223372036854775807", &bytes), 0);
    assert_true(bytes == 9223372036854775807LL);

    assert_int_equal(config_parse_memory("", &bytes), -1);
    assert_int_equal(config_parse_memory("k", &bytes), -1);
    assert_int_equal(config_parse_memory("-1", &bytes), -1);
    assert_int_equal(config_parse_memory("+1", &bytes), -1);
    assert_int_equal(config_parse_memory(" 1", &bytes), -1);
    assert_int_equal(config_parse_memory("1 ", &bytes), -1);
    assert_int_equal(config_parse_memory("1x", &bytes), -1);
    assert_int_equal(config_parse_memory("1kbb", &bytes), -1);
    assert_int_equal(config_parse_memory("1.5mb", &bytes), -1);
    assert_int_equal(config_parse_memory("9223372036854775808", &bytes), -1);
    assert_int_equal(config_parse_memory("9000000000gb", &bytes), -1);
}

static void
test_set_and_unknown(void **state)
{
    struct test_context *context = *state;
    struct test_settings settings;
    char *value[] = { "1gb" };

    defaults(&settings, context);
    assert_int_equal(config_set(options, &settings, "MAXMEMORY", 1, value, context->error,
                                sizeof(context->error)), 0);
    assert_int_equal(settings.maxmemory, 1LL << 30);
    assert_int_equal(config_set(options, &settings, "nope", 1, value, context->error,
                                sizeof(context->error)), -1);
    assert_string_equal(context->error, "unknown option 'nope'");
}

static void
test_print_help(void **state)
{
    struct test_context *context = *state;
    char path[256], text[4096];
    FILE *file;
    size_t length;
    int saved;

    snprintf(path, sizeof(path), "%s/help.txt", context->directory);
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    assert_non_null(freopen(path, "w", stdout));
    config_print_help(options, "herd-node");
    fflush(stdout);
    assert_true(dup2(saved, STDOUT_FILENO) >= 0);
    close(saved);
    file = fopen(path, "r");
    assert_non_null(file);
    length = fread(text, 1, sizeof(text) - 1, file);
    fclose(file);
    text[length] = '\0';
    assert_non_null(strstr(text, "herd-node"));
    assert_non_null(strstr(text, "port"));
    assert_non_null(strstr(text, "TCP port to listen on (default: 6380)"));
    assert_non_null(strstr(text, "durability policy (default: everysec)"));
    assert_non_null(strstr(text, "a cluster node"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_bad_default_is_reported),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_file_without_final_newline),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_longest_string_fits),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_include_is_relative_to_the_including_file),
        cmocka_unit_test(test_include_errors),
        cmocka_unit_test(test_command_line),
        cmocka_unit_test(test_command_line_errors),
        cmocka_unit_test(test_parse_memory),
        cmocka_unit_test(test_set_and_unknown),
        cmocka_unit_test(test_print_help),
    };

    return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
