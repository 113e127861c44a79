/*
 * fuzz_config.c — libFuzzer target for the config parser (shared/config.c).
 *
 * The input is the contents of a config file.  It is written to main.conf
 * in a private directory made at start-up, which also holds two fixed
 * files an `include` line may name: good.conf (valid lines) and bad.conf
 * (a line that fails).  `include main.conf` makes the file include itself
 * and exercises the nesting limit.
 *
 * The parser may only open files of that directory: config.o is linked
 * with its fopen() renamed to sandboxed_fopen() (objcopy, see fuzz.mk),
 * which refuses any other path with EACCES, so no input can make the
 * fuzzer read /dev/zero, a FIFO or a file of the machine.
 *
 * The option table has one option of every type.  Checked, after the
 * defaults and the file were applied:
 *  - no crash, leak or out-of-bounds access (ASan, UBSan);
 *  - every value is one its option accepts (range, enum index, boolean,
 *    terminated string that fits its buffer);
 *  - a failure comes with a message that starts with the file and the
 *    line it came from ("DIRECTORY/main.conf:3: ...");
 *  - the same bytes given as command-line arguments (split like a line)
 *    are handled as safely.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/arguments.h"
#include "shared/config.h"
#include "tests/fuzz/fuzz_util.h"

/* The settings struct the option table fills in. */
struct fuzz_settings {
    long long port;             /* CONFIG_INTEGER, 1..65535 */
    long long offset;           /* CONFIG_INTEGER, any long long */
    long long memory;           /* CONFIG_MEMORY, 1k..1gb */
    long long memory_any;       /* CONFIG_MEMORY, any size */
    int       enabled;          /* CONFIG_BOOLEAN */
    char      name[16];         /* CONFIG_STRING */
    int       policy;           /* CONFIG_ENUM */
    int       custom_calls;     /* CONFIG_CUSTOM: times the setter ran */
    size_t    custom_bytes;     /* CONFIG_CUSTOM: bytes it was given */
};

static const char *const policy_names[] = { "always", "everysec", "no", NULL };

/* A custom setter that checks what it is handed and refuses 3 values. */
static int
set_custom(const struct config_option *option, void *target, int argc, char **argv,
           char *error, size_t error_size)
{
    struct fuzz_settings *settings = target;
    int i;

    FUZZ_CHECK(argc >= 0, "custom setter got argc %d", argc);
    for (i = 0; i < argc; i++) {
        FUZZ_CHECK(argv[i] != NULL, "custom setter got a NULL argument");
        settings->custom_bytes += strlen(argv[i]);
    }
    settings->custom_calls++;
    if (argc == 3) {
        snprintf(error, error_size, "'%s' does not take 3 values", option->name);
        return -1;
    }
    return 0;
}

/* One option of each type. */
static const struct config_option fuzz_options[] = {
    { "port", CONFIG_INTEGER, offsetof(struct fuzz_settings, port), 1, 65535,
      "6379", NULL, NULL, "an integer with a range" },
    { "offset", CONFIG_INTEGER, offsetof(struct fuzz_settings, offset), 0, 0,
      "-5", NULL, NULL, "any integer" },
    { "maxmemory", CONFIG_MEMORY, offsetof(struct fuzz_settings, memory), 1024,
      1024LL * 1024 * 1024, "1mb", NULL, NULL, "a size with a range" },
    { "buffer", CONFIG_MEMORY, offsetof(struct fuzz_settings, memory_any), 0, 0,
      "0", NULL, NULL, "any size" },
    { "enabled", CONFIG_BOOLEAN, offsetof(struct fuzz_settings, enabled), 0, 0,
      "yes", NULL, NULL, "a boolean" },
    { "name", CONFIG_STRING, offsetof(struct fuzz_settings, name), 0,
      sizeof(((struct fuzz_settings *)0)->name), "herd", NULL, NULL, "a string" },
    { "policy", CONFIG_ENUM, offsetof(struct fuzz_settings, policy), 0, 0,
      "everysec", policy_names, NULL, "an enum" },
    { "custom", CONFIG_CUSTOM, 0, 0, 0, "a 'b c'", NULL, set_custom, "a custom setter" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL }
};

/* The fuzzer's one context: its private directory. */
struct fuzz_config_context {
    char directory[PATH_MAX];   /* made by mkdtemp(), removed at exit */
    char main_path[PATH_MAX];   /* directory/main.conf */
};

static struct fuzz_config_context context;

FILE *sandboxed_fopen(const char *path, const char *mode);

/*
 * The fopen() config.o calls: only names directly inside the private
 * directory (no further '/', not "..") may be opened.
 */
FILE *
sandboxed_fopen(const char *path, const char *mode)
{
    size_t prefix = strlen(context.directory);
    const char *name;

    if (strncmp(path, context.directory, prefix) != 0 || path[prefix] != '/') {
        goto refuse;
    }
    name = path + prefix + 1;
    if (strchr(name, '/') != NULL || strcmp(name, "..") == 0) {
        goto refuse;
    }
    return fopen(path, mode);
refuse:
    errno = EACCES;
    return NULL;
}

/* Writes a whole file; aborts on failure (the fuzzer cannot go on). */
static void
write_file(const char *path, const void *data, size_t length)
{
    FILE *file = fopen(path, "we");

    FUZZ_CHECK(file != NULL, "cannot create %s", path);
    FUZZ_CHECK(length == 0 || fwrite(data, 1, length, file) == length,
               "cannot write %s", path);
    FUZZ_CHECK(fclose(file) == 0, "cannot close %s", path);
}

/* Removes the private directory and its files. */
static void
remove_directory(void)
{
    static const char *const names[] = { "main.conf", "good.conf", "bad.conf" };
    char path[PATH_MAX + 16];
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", context.directory, names[i]);
        unlink(path);
    }
    rmdir(context.directory);
}

/* Writes one of the fixed files of the private directory. */
static void
write_fixed_file(const char *name, const char *contents)
{
    char path[PATH_MAX + 16];

    snprintf(path, sizeof(path), "%s/%s", context.directory, name);
    write_file(path, contents, strlen(contents));
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Called once by libFuzzer: makes the private directory and its fixed
 * files. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *temporary = getenv("TMPDIR");

    snprintf(context.directory, sizeof(context.directory), "%s/herd-fuzz-config-XXXXXX",
             temporary != NULL && temporary[0] != '\0' ? temporary : "/tmp");
    FUZZ_CHECK(mkdtemp(context.directory) != NULL, "mkdtemp %s: %s", context.directory,
               strerror(errno));
    atexit(remove_directory);
    snprintf(context.main_path, sizeof(context.main_path), "%s/main.conf",
             context.directory);
    write_fixed_file("good.conf", "port 7000\nname \"x y\"\npolicy always\n");
    write_fixed_file("bad.conf", "# a comment\n\nport 0\n");
    return 0;
}

/* Every value must be one its option accepts. */
static void
check_settings(const struct fuzz_settings *settings)
{
    FUZZ_CHECK(settings->port >= 1 && settings->port <= 65535, "port %lld", settings->port);
    FUZZ_CHECK(settings->memory >= 1024 && settings->memory <= 1024LL * 1024 * 1024,
               "maxmemory %lld", settings->memory);
    FUZZ_CHECK(settings->memory_any >= 0, "buffer %lld", settings->memory_any);
    FUZZ_CHECK(settings->enabled == 0 || settings->enabled == 1, "enabled %d",
               settings->enabled);
    FUZZ_CHECK(memchr(settings->name, '\0', sizeof(settings->name)) != NULL,
               "name not terminated");
    FUZZ_CHECK(settings->policy >= 0 && settings->policy < 3, "policy %d", settings->policy);
}

/* A failure's message must be terminated and start with `prefix`. */
static void
check_error(const char *error, size_t size, const char *prefix)
{
    FUZZ_CHECK(memchr(error, '\0', size) != NULL, "error not terminated");
    FUZZ_CHECK(strncmp(error, prefix, strlen(prefix)) == 0,
               "error '%s' does not start with '%s'", error, prefix);
}

/*
 * A failure while loading a file must name the file and the line it came
 * from: "DIRECTORY/NAME:LINE: problem" (config.h: "Every error names the
 * file, the line and the problem").  The file is main.conf or one it
 * includes, all in the private directory.
 */
static void
check_located_error(const char *error, size_t size)
{
    size_t prefix = strlen(context.directory);
    const char *colon, *digit;

    FUZZ_CHECK(memchr(error, '\0', size) != NULL, "error not terminated");
    FUZZ_CHECK(strncmp(error, context.directory, prefix) == 0 && error[prefix] == '/',
               "error without a FILE:LINE: location: '%s'", error);
    colon = strchr(error + prefix + 1, ':');
    FUZZ_CHECK(colon != NULL, "error without a FILE:LINE: location: '%s'", error);
    for (digit = colon + 1; *digit >= '0' && *digit <= '9'; digit++) {
        continue;
    }
    FUZZ_CHECK(digit > colon + 1 && digit[0] == ':' && digit[1] == ' ',
               "error without a FILE:LINE: location: '%s'", error);
}

/* The same bytes as command-line arguments, split like a line. */
static void
apply_as_arguments(const uint8_t *data, size_t size)
{
    struct fuzz_settings settings;
    struct argument_list list;
    char error[256];

    if (split_arguments((const char *)data, size, &list) != 0) {
        return;
    }
    memset(&settings, 0, sizeof(settings));
    FUZZ_CHECK(config_apply_defaults(fuzz_options, &settings, error, sizeof(error)) == 0,
               "defaults: %s", error);
    error[0] = '\0';
    if (config_apply_arguments(fuzz_options, &settings, list.count, list.value, 0,
                               error, sizeof(error)) != 0) {
        check_error(error, sizeof(error), "command line: ");
    }
    check_settings(&settings);
    argument_list_free(&list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_settings settings;
    char error[512];

    write_file(context.main_path, data, size);
    memset(&settings, 0, sizeof(settings));
    FUZZ_CHECK(config_apply_defaults(fuzz_options, &settings, error, sizeof(error)) == 0,
               "defaults: %s", error);
    check_settings(&settings);
    memset(error, 'x', sizeof(error));
    if (config_load_file(fuzz_options, &settings, context.main_path, error,
                         sizeof(error)) != 0) {
        check_located_error(error, sizeof(error));
    }
    check_settings(&settings);
    apply_as_arguments(data, size);
    return 0;
}
