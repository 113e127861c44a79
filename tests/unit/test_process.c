/*
 * test_process.c — the start-up glue: flags, the config file argument and
 * its absolute path, settings in the order defaults < file < command line,
 * the pid file, and creating a directory with its parents.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "shared/process.h"

/* The settings of a pretend program. */
struct test_settings {
    long long port;
    long long timeout;
    char      name[32];
};

static const struct config_option options[] = {
    { "port", CONFIG_INTEGER, offsetof(struct test_settings, port), 1, 65535,
      "6380", NULL, NULL, "port" },
    { "timeout", CONFIG_INTEGER, offsetof(struct test_settings, timeout), 0, 0,
      "0", NULL, NULL, "idle seconds" },
    { "name", CONFIG_STRING, offsetof(struct test_settings, name), 0, 32,
      "default", NULL, NULL, "a name" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL }
};

/* A scratch directory for every test of the group. */
struct test_context {
    char directory[64];
    char path[PATH_MAX];
    char error[512];
};

static int
setup(void **state)
{
    struct test_context *context = calloc(1, sizeof(*context));

    if (context == NULL) {
        return -1;
    }
    *state = context;
    snprintf(context->directory, sizeof(context->directory), "/tmp/test_process.XXXXXX");
    return mkdtemp(context->directory) != NULL ? 0 : -1;
}

/* Removes one entry of the scratch tree (nftw visits children first). */
static int
remove_entry(const char *path, const struct stat *status, int type, struct FTW *where)
{
    return remove(path);
}

static int
teardown(void **state)
{
    struct test_context *context = *state;
    int result = nftw(context->directory, remove_entry, 16, FTW_DEPTH | FTW_PHYS);

    free(context);
    return result;
}

/* context->path = the scratch directory + "/" + name. */
static const char *
scratch_path(struct test_context *context, const char *name)
{
    snprintf(context->path, sizeof(context->path), "%s/%s", context->directory, name);
    return context->path;
}

static void
write_file(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");

    assert_non_null(file);
    fputs(text, file);
    fclose(file);
}

static void
test_flags_anywhere(void **state)
{
    char *plain[] = { "prog", "herd.conf", "--port", "1" };
    char *help[] = { "prog", "herd.conf", "--help" };
    char *short_help[] = { "prog", "-h" };
    char *version[] = { "prog", "--version" };
    char *short_version[] = { "prog", "--port", "1", "-v" };

    assert_false(process_wants_help(4, plain));
    assert_false(process_wants_version(4, plain));
    assert_true(process_wants_help(3, help));
    assert_true(process_wants_help(2, short_help));
    assert_true(process_wants_version(2, version));
    assert_true(process_wants_version(4, short_version));
    assert_false(process_wants_help(1, plain));
    assert_true(process_has_flag(4, plain, "--port"));
    assert_false(process_has_flag(4, plain, "--por"));
    /* argv[0] is the program, never a flag. */
    assert_false(process_has_flag(1, help, "prog"));
}

static void
test_config_path(void **state)
{
    struct test_context *context = *state;
    char absolute[PATH_MAX];
    char *none[] = { "prog" };
    char *options_only[] = { "prog", "--port", "7000" };
    char *missing[] = { "prog", "no-such-dir/herd.conf", "--port", "7000" };
    char *existing[] = { "prog", NULL };
    char resolved[PATH_MAX];
    int first = -1;

    assert_null(process_config_path(1, none, &first, absolute, sizeof(absolute)));
    assert_int_equal(first, 1);
    assert_string_equal(absolute, "");
    assert_null(process_config_path(3, options_only, &first, absolute, sizeof(absolute)));
    assert_int_equal(first, 1);
    assert_string_equal(process_config_path(4, missing, &first, absolute, sizeof(absolute)),
                        "no-such-dir/herd.conf");
    assert_int_equal(first, 2);
    assert_string_equal(absolute, "no-such-dir/herd.conf");

    /* An existing file given through "dir/./name" reads back resolved. */
    write_file(scratch_path(context, "herd.conf"), "port 7001\n");
    assert_non_null(realpath(context->path, resolved));
    existing[1] = (char *)scratch_path(context, "./herd.conf");
    assert_ptr_equal(process_config_path(2, existing, &first, absolute, sizeof(absolute)),
                     existing[1]);
    assert_int_equal(first, 2);
    assert_string_equal(absolute, resolved);
}

static void
test_load_settings_order(void **state)
{
    struct test_context *context = *state;
    struct test_settings settings;
    char *arguments[] = { "prog", NULL, "--timeout", "30" };
    const char *path = scratch_path(context, "order.conf");

    write_file(path, "port 7002\ntimeout 10\n");
    arguments[1] = (char *)path;
    memset(&settings, 0, sizeof(settings));
    assert_int_equal(process_load_settings(options, &settings, path, 4, arguments, 2,
                                           context->error, sizeof(context->error)), 0);
    assert_int_equal(settings.port, 7002);        /* file over default */
    assert_int_equal(settings.timeout, 30);       /* command line over file */
    assert_string_equal(settings.name, "default"); /* default */

    memset(&settings, 0, sizeof(settings));
    assert_int_equal(process_load_settings(options, &settings, NULL, 1, arguments, 1,
                                           context->error, sizeof(context->error)), 0);
    assert_int_equal(settings.port, 6380);
}

static void
test_load_settings_errors(void **state)
{
    struct test_context *context = *state;
    struct test_settings settings;
    char *arguments[] = { "prog", "--port", "abc" };
    const char *path = scratch_path(context, "bad.conf");

    write_file(path, "port 7003\nno-such-option 1\n");
    assert_int_equal(process_load_settings(options, &settings, path, 1, arguments, 1,
                                           context->error, sizeof(context->error)), -1);
    assert_non_null(strstr(context->error, "bad.conf:2"));
    assert_int_equal(process_load_settings(options, &settings, NULL, 3, arguments, 1,
                                           context->error, sizeof(context->error)), -1);
    assert_non_null(strstr(context->error, "command line"));
}

static void
test_pidfile(void **state)
{
    struct test_context *context = *state;
    char text[32], expected[32];
    FILE *file;

    assert_int_equal(pidfile_write("", context->error, sizeof(context->error)), 0);
    pidfile_remove("");

    assert_int_equal(pidfile_write(scratch_path(context, "herd.pid"),
                                   context->error, sizeof(context->error)), 0);
    file = fopen(context->path, "r");
    assert_non_null(file);
    assert_non_null(fgets(text, sizeof(text), file));
    fclose(file);
    snprintf(expected, sizeof(expected), "%ld\n", (long)getpid());
    assert_string_equal(text, expected);
    pidfile_remove(context->path);
    assert_int_equal(access(context->path, F_OK), -1);

    assert_int_equal(pidfile_write(scratch_path(context, "missing/herd.pid"),
                                   context->error, sizeof(context->error)), -1);
    assert_non_null(strstr(context->error, "cannot write pid file "));
    assert_non_null(strstr(context->error, "missing/herd.pid: No such file or directory"));
}

static void
test_directory_create(void **state)
{
    struct test_context *context = *state;
    struct stat status;

    assert_int_equal(directory_create(scratch_path(context, "a/b//c/")), 0);
    assert_int_equal(stat(scratch_path(context, "a/b/c"), &status), 0);
    assert_true(S_ISDIR(status.st_mode));
    /* Existing: fine. */
    assert_int_equal(directory_create(scratch_path(context, "a/b/c")), 0);
    assert_int_equal(directory_create(context->directory), 0);

    /* A file in the way. */
    write_file(scratch_path(context, "file"), "x");
    errno = 0;
    assert_int_equal(directory_create(scratch_path(context, "file/sub")), -1);
    assert_int_equal(errno, ENOTDIR);

    errno = 0;
    assert_int_equal(directory_create(""), -1);
    assert_int_equal(errno, ENOENT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags_anywhere),
        cmocka_unit_test(test_config_path),
        cmocka_unit_test(test_load_settings_order),
        cmocka_unit_test(test_load_settings_errors),
        cmocka_unit_test(test_pidfile),
        cmocka_unit_test(test_directory_create),
    };

    return cmocka_run_group_tests_name("process", tests, setup, teardown);
}
