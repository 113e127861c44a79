/*
 * config.c — redis.conf-style configuration driven by a program's option
 * table (see config.h).
 *
 * config_set() turns one option's arguments into a value and reports
 * problems without a location ("'port' wants 1 value, got 2");
 * config_load_file() and config_apply_arguments() prefix them with
 * "FILE:LINE: " or "command line: ".
 *
 * Ranges: CONFIG_INTEGER and CONFIG_MEMORY values must lie in
 * [minimum, maximum].  A table entry that leaves both at 0 accepts any
 * long long (any non-negative size for CONFIG_MEMORY).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shared/arguments.h"
#include "shared/config.h"

/* Nesting limit for `include`, so that a file including itself stops. */
#define CONFIG_INCLUDE_DEPTH_MAX 16
/* Longest error message built internally before a location is added. */
#define CONFIG_MESSAGE_MAX 512

/* Internal result: failed, and the message still lacks "FILE:LINE: ". */
#define CONFIG_UNLOCATED (-2)

static int config_load_path(const struct config_option *table, void *target,
                            const char *path, int depth,
                            char *error, size_t error_size);

/* The option called `name` (case-insensitive), or NULL. */
static const struct config_option *
config_find(const struct config_option *table, const char *name)
{
    const struct config_option *option;

    for (option = table; option->name != NULL; option++) {
        if (strcasecmp(option->name, name) == 0) {
            return option;
        }
    }
    return NULL;
}

/* The [low, high] range an integer or memory option accepts. */
static void
config_range(const struct config_option *option, long long *low, long long *high)
{
    *low = option->minimum;
    *high = option->maximum;
    if (*low == 0 && *high == 0) {
        *low = (option->type == CONFIG_MEMORY) ? 0 : LLONG_MIN;
        *high = LLONG_MAX;
    }
}

/* Parses a plain decimal long long ("-12", "8080"); returns 0 or -1. */
static int
config_parse_integer(const char *text, long long *value)
{
    char *end;

    if (text[0] == '\0' || (text[0] != '-' && (text[0] < '0' || text[0] > '9'))) {
        return -1;
    }
    errno = 0;
    *value = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0') {
        return -1;
    }
    return 0;
}

int
config_parse_memory(const char *text, long long *bytes)
{
    static const struct {
        const char *suffix;
        long long   multiplier;
    } units[] = {
        { "", 1 }, { "b", 1 },
        { "k", 1000LL }, { "kb", 1024LL },
        { "m", 1000LL * 1000 }, { "mb", 1024LL * 1024 },
        { "g", 1000LL * 1000 * 1000 }, { "gb", 1024LL * 1024 * 1024 },
    };
    unsigned long long number;
    const char *digits_end = text;
    char *end;
    size_t i;

    while (*digits_end >= '0' && *digits_end <= '9') {
        digits_end++;
    }
    if (digits_end == text) {
        return -1;
    }
    errno = 0;
    number = strtoull(text, &end, 10);
    if (errno != 0 || end != digits_end) {
        return -1;
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcasecmp(digits_end, units[i].suffix) != 0) {
            continue;
        }
        if (number > (unsigned long long)(LLONG_MAX / units[i].multiplier)) {
            return -1;
        }
        *bytes = (long long)number * units[i].multiplier;
        return 0;
    }
    return -1;
}

/* Stores an integer or memory value after the range check. */
static int
config_set_number(const struct config_option *option, void *target,
                  const char *text, char *error, size_t error_size)
{
    long long value, low, high;
    int parsed;

    config_range(option, &low, &high);
    if (option->type == CONFIG_MEMORY) {
        parsed = config_parse_memory(text, &value);
    } else {
        parsed = config_parse_integer(text, &value);
    }
    if (parsed != 0 || value < low || value > high) {
        snprintf(error, error_size, "'%s' wants %s from %lld to %lld, got '%s'",
                 option->name,
                 option->type == CONFIG_MEMORY ?
                     "a size in bytes (like 100, 10k, 10kb, 5mb, 2gb)" : "an integer",
                 low, high, text);
        return -1;
    }
    memcpy((char *)target + option->offset, &value, sizeof(value));
    return 0;
}

static int
config_set_boolean(const struct config_option *option, void *target,
                   const char *text, char *error, size_t error_size)
{
    int value;

    if (strcasecmp(text, "yes") == 0) {
        value = 1;
    } else if (strcasecmp(text, "no") == 0) {
        value = 0;
    } else {
        snprintf(error, error_size, "'%s' wants yes or no, got '%s'",
                 option->name, text);
        return -1;
    }
    memcpy((char *)target + option->offset, &value, sizeof(value));
    return 0;
}

static int
config_set_string(const struct config_option *option, void *target,
                  const char *text, char *error, size_t error_size)
{
    size_t length = strlen(text);

    if (option->maximum <= 0 || length >= (unsigned long long)option->maximum) {
        snprintf(error, error_size, "'%s' is too long (at most %lld bytes), got %zu bytes",
                 option->name, option->maximum > 0 ? option->maximum - 1 : 0, length);
        return -1;
    }
    memcpy((char *)target + option->offset, text, length + 1);
    return 0;
}

/* Appends "a, b, c" (the enum's names) to buffer. */
static void
config_enum_list(const struct config_option *option, char *buffer, size_t size)
{
    size_t used = 0;
    int i, written;

    buffer[0] = '\0';
    for (i = 0; option->enum_names != NULL && option->enum_names[i] != NULL; i++) {
        written = snprintf(buffer + used, size - used, "%s%s",
                           i > 0 ? ", " : "", option->enum_names[i]);
        if (written < 0 || (size_t)written >= size - used) {
            return;
        }
        used += (size_t)written;
    }
}

static int
config_set_enum(const struct config_option *option, void *target,
                const char *text, char *error, size_t error_size)
{
    char names[CONFIG_MESSAGE_MAX];
    int i;

    for (i = 0; option->enum_names != NULL && option->enum_names[i] != NULL; i++) {
        if (strcasecmp(text, option->enum_names[i]) == 0) {
            memcpy((char *)target + option->offset, &i, sizeof(i));
            return 0;
        }
    }
    config_enum_list(option, names, sizeof(names));
    snprintf(error, error_size, "'%s' wants one of %s, got '%s'",
             option->name, names, text);
    return -1;
}

static int
config_set_custom(const struct config_option *option, void *target,
                  int argc, char **argv, char *error, size_t error_size)
{
    if (option->setter == NULL) {
        snprintf(error, error_size, "'%s' has no setter", option->name);
        return -1;
    }
    return option->setter(option, target, argc, argv, error, error_size);
}

/* Sets a known option from its values. */
static int
config_set_option(const struct config_option *option, void *target,
                  int argc, char **argv, char *error, size_t error_size)
{
    if (option->type == CONFIG_CUSTOM) {
        return config_set_custom(option, target, argc, argv, error, error_size);
    }
    if (argc != 1) {
        snprintf(error, error_size, "'%s' wants 1 value, got %d", option->name, argc);
        return -1;
    }
    switch (option->type) {
    case CONFIG_INTEGER:
    case CONFIG_MEMORY:
        return config_set_number(option, target, argv[0], error, error_size);
    case CONFIG_BOOLEAN:
        return config_set_boolean(option, target, argv[0], error, error_size);
    case CONFIG_STRING:
        return config_set_string(option, target, argv[0], error, error_size);
    case CONFIG_ENUM:
        return config_set_enum(option, target, argv[0], error, error_size);
    default:
        snprintf(error, error_size, "'%s' has an unknown type", option->name);
        return -1;
    }
}

int
config_set(const struct config_option *table, void *target,
           const char *name, int argc, char **argv,
           char *error, size_t error_size)
{
    const struct config_option *option = config_find(table, name);

    if (option == NULL) {
        snprintf(error, error_size, "unknown option '%s'", name);
        return -1;
    }
    return config_set_option(option, target, argc, argv, error, error_size);
}

/* Applies one default.  Custom options get their default split into
 * arguments; every other type takes the default text as its one value. */
static int
config_apply_default(const struct config_option *option, void *target,
                     char *error, size_t error_size)
{
    struct argument_list list = { 0 };
    char *value = (char *)option->default_value;
    int status;

    if (option->type != CONFIG_CUSTOM) {
        return config_set_option(option, target, 1, &value, error, error_size);
    }
    if (split_arguments(option->default_value, strlen(option->default_value), &list) != 0) {
        snprintf(error, error_size, "unbalanced quotes");
        return -1;
    }
    status = config_set_option(option, target, list.count, list.value, error, error_size);
    argument_list_free(&list);
    return status;
}

int
config_apply_defaults(const struct config_option *table, void *target,
                      char *error, size_t error_size)
{
    const struct config_option *option;
    char message[CONFIG_MESSAGE_MAX];

    for (option = table; option->name != NULL; option++) {
        if (option->default_value == NULL) {
            continue;
        }
        if (config_apply_default(option, target, message, sizeof(message)) != 0) {
            snprintf(error, error_size, "default of '%s': %s", option->name, message);
            return -1;
        }
    }
    return 0;
}

/*
 * Resolves an include target: absolute paths stay as they are, relative
 * ones are taken from the directory of the including file.
 */
static int
config_include_path(const char *including, const char *included,
                    char *path, size_t size)
{
    const char *slash = strrchr(including, '/');
    int written;

    if (included[0] == '/' || slash == NULL) {
        written = snprintf(path, size, "%s", included);
    } else {
        written = snprintf(path, size, "%.*s/%s",
                           (int)(slash - including), including, included);
    }
    return (written < 0 || (size_t)written >= size) ? -1 : 0;
}

/* Handles `include PATH` (argv[0] is PATH).  Errors about the include line
 * itself, and a file that cannot be opened, return CONFIG_UNLOCATED;
 * errors inside the included file come with its own location. */
static int
config_include(const struct config_option *table, void *target,
               const char *including, int depth, int argc, char **argv,
               char *error, size_t error_size)
{
    char path[PATH_MAX];

    if (argc != 1) {
        snprintf(error, error_size, "'include' wants 1 value, got %d", argc);
        return CONFIG_UNLOCATED;
    }
    if (depth + 1 > CONFIG_INCLUDE_DEPTH_MAX) {
        snprintf(error, error_size,
                 "includes nested more than %d deep (does '%s' include itself?)",
                 CONFIG_INCLUDE_DEPTH_MAX, argv[0]);
        return CONFIG_UNLOCATED;
    }
    if (config_include_path(including, argv[0], path, sizeof(path)) != 0) {
        snprintf(error, error_size, "include path too long: '%s'", argv[0]);
        return CONFIG_UNLOCATED;
    }
    return config_load_path(table, target, path, depth + 1, error, error_size);
}

/*
 * Applies one line of a file.  Returns 0; -1 with a complete message in
 * error (from inside an included file); or CONFIG_UNLOCATED when the
 * message still needs this line's location.
 */
static int
config_apply_line(const struct config_option *table, void *target,
                  const char *path, int depth, char *line, size_t length,
                  char *error, size_t error_size)
{
    struct argument_list list = { 0 };
    int status;

    if (split_arguments(line, length, &list) != 0) {
        snprintf(error, error_size, "unbalanced quotes in configuration line");
        return CONFIG_UNLOCATED;
    }
    if (list.count == 0) {
        status = 0;
    } else if (strcasecmp(list.value[0], "include") == 0) {
        status = config_include(table, target, path, depth, list.count - 1,
                                list.value + 1, error, error_size);
    } else {
        status = config_set(table, target, list.value[0], list.count - 1,
                            list.value + 1, error, error_size);
        if (status != 0) {
            status = CONFIG_UNLOCATED;
        }
    }
    argument_list_free(&list);
    return status;
}

/* Strips the line end and leading blanks; returns the first byte and sets
 * *length, or NULL for a blank or comment line. */
static char *
config_line_content(char *line, size_t *length)
{
    while (*length > 0 && (line[*length - 1] == '\n' || line[*length - 1] == '\r')) {
        line[--*length] = '\0';
    }
    while (*length > 0 && (*line == ' ' || *line == '\t')) {
        line++;
        (*length)--;
    }
    if (*length == 0 || *line == '#') {
        return NULL;
    }
    return line;
}

/* Loads one file at the given include depth.  A file that cannot be opened
 * or read returns CONFIG_UNLOCATED (the include line adds its location). */
static int
config_load_path(const struct config_option *table, void *target,
                 const char *path, int depth, char *error, size_t error_size)
{
    char message[CONFIG_MESSAGE_MAX];
    char *line = NULL, *content;
    size_t capacity = 0, length;
    ssize_t got;
    int line_number = 0, status = 0;
    FILE *file;

    file = fopen(path, "re");
    if (file == NULL) {
        snprintf(error, error_size, "cannot open '%s': %s", path, strerror(errno));
        return CONFIG_UNLOCATED;
    }
    while ((got = getline(&line, &capacity, file)) >= 0) {
        line_number++;
        length = (size_t)got;
        content = config_line_content(line, &length);
        if (content == NULL) {
            continue;
        }
        status = config_apply_line(table, target, path, depth, content, length,
                                   message, sizeof(message));
        if (status == CONFIG_UNLOCATED) {
            snprintf(error, error_size, "%s:%d: %s", path, line_number, message);
            status = -1;
            goto out;
        }
        if (status != 0) {
            snprintf(error, error_size, "%s", message);
            goto out;
        }
    }
    if (ferror(file)) {
        /* Like an open failure: an include line adds its location. */
        snprintf(error, error_size, "cannot read '%s': %s", path, strerror(errno));
        status = CONFIG_UNLOCATED;
    }
out:
    free(line);
    fclose(file);
    return status;
}

int
config_load_file(const struct config_option *table, void *target,
                 const char *path, char *error, size_t error_size)
{
    return config_load_path(table, target, path, 0, error, error_size) == 0 ? 0 : -1;
}

int
config_apply_arguments(const struct config_option *table, void *target,
                       int argc, char **argv, int first,
                       char *error, size_t error_size)
{
    char message[CONFIG_MESSAGE_MAX];
    int i = first, values;

    while (i < argc) {
        if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
            snprintf(error, error_size, "command line: expected --option, got '%s'", argv[i]);
            return -1;
        }
        for (values = 0; i + 1 + values < argc; values++) {
            if (strncmp(argv[i + 1 + values], "--", 2) == 0) {
                break;
            }
        }
        if (config_set(table, target, argv[i] + 2, values, argv + i + 1,
                       message, sizeof(message)) != 0) {
            snprintf(error, error_size, "command line: %s", message);
            return -1;
        }
        i += 1 + values;
    }
    return 0;
}

void
config_print_help(const struct config_option *table, const char *program)
{
    const struct config_option *option;

    printf("Usage: %s [CONFIG-FILE] [--OPTION VALUE...]...\n\n", program);
    printf("Options (in the file: `option value...`; on the command line: --option value...):\n");
    for (option = table; option->name != NULL; option++) {
        printf("  %-24s %s", option->name, option->help != NULL ? option->help : "");
        if (option->default_value != NULL) {
            printf(" (default: %s)", option->default_value[0] != '\0' ?
                   option->default_value : "\"\"");
        }
        printf("\n");
    }
}
