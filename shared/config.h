/*
 * config.h — redis.conf-style configuration, table driven.
 *
 * A file holds `name value...` lines; `#` starts a comment line; values use
 * the quoting rules of arguments.h; `include PATH` reads another file
 * (relative to the including file's directory).  Names are
 * case-insensitive.  Command-line overrides are `--name value...`, applied
 * after the file, as redis-server does.  Every error names the file, the
 * line and the problem: "herd.conf:12: 'port' wants an integer from 1 to
 * 65535, got 'x'".
 *
 * Each program describes its options once, in a `struct config_option`
 * table that gives the name, type, where the value lives in the program's
 * settings struct, the allowed range and the default.
 */
#ifndef HERD_CONFIG_H
#define HERD_CONFIG_H

#include <stddef.h>

/* Kinds of option value. */
enum config_type {
    CONFIG_INTEGER,   /* long long in [minimum, maximum] */
    CONFIG_MEMORY,    /* long long bytes; accepts 1k, 1kb, 5mb, 1gb (like redis) */
    CONFIG_BOOLEAN,   /* int; yes/no */
    CONFIG_STRING,    /* char[size] buffer at offset; size in `maximum` */
    CONFIG_ENUM,      /* int index into enum_names */
    CONFIG_CUSTOM     /* setter() receives the raw arguments */
};

struct config_option;

/* Custom setter: returns 0, or -1 with a message (without file:line) in
 * error.  `target` is the settings struct. */
typedef int (*config_setter)(const struct config_option *option, void *target,
                             int argc, char **argv, char *error, size_t error_size);

/* One option of a program's table; the table ends with a NULL name. */
struct config_option {
    const char        *name;
    enum config_type   type;
    size_t             offset;         /* offsetof(settings struct, field) */
    long long          minimum;
    long long          maximum;        /* CONFIG_STRING: buffer size */
    const char        *default_value;  /* parsed like a file value; NULL: none */
    const char *const *enum_names;     /* CONFIG_ENUM: NULL-terminated */
    config_setter      setter;         /* CONFIG_CUSTOM */
    const char        *help;           /* one line, for --help and docs */
};

/* Applies every default.  Returns 0, or -1 with error. */
int config_apply_defaults(const struct config_option *table, void *target,
                          char *error, size_t error_size);

/* Sets one option from its arguments (argv[0] is the first value). */
int config_set(const struct config_option *table, void *target,
               const char *name, int argc, char **argv,
               char *error, size_t error_size);

/* Loads a file (and its includes). */
int config_load_file(const struct config_option *table, void *target,
                     const char *path, char *error, size_t error_size);

/* Applies `--name value...` pairs from argv[first..argc).  A value runs up
 * to the next argument starting with "--". */
int config_apply_arguments(const struct config_option *table, void *target,
                           int argc, char **argv, int first,
                           char *error, size_t error_size);

/* Parses "100", "1k", "1kb", "5mb", "2gb" as redis.conf does. */
int config_parse_memory(const char *text, long long *bytes);

/* Prints `name  help (default ...)` for every option. */
void config_print_help(const struct config_option *table, const char *program);

#endif
