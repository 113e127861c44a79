/*
 * process.h — the start-up glue both programs share: reading the command
 * line (`PROGRAM [CONFIG-FILE] [--option value ...]`, --help, --version),
 * loading settings, opening the log, the pid file, and creating a
 * directory with its parents.
 */
#ifndef HERD_PROCESS_H
#define HERD_PROCESS_H

#include <stddef.h>
#include "shared/config.h"

/* 1 when any argument is exactly `name`. */
int process_has_flag(int argc, char **argv, const char *name);
/* 1 when the command line asks for --help (or -h), or --version (or -v). */
int process_wants_help(int argc, char **argv);
int process_wants_version(int argc, char **argv);

/*
 * The configuration file named on the command line, or NULL: argv[1]
 * unless it starts with "--".  *first gets the index of the first
 * --option override.  absolute gets the file's absolute path (the path as
 * given when it cannot be resolved; "" without a file), which INFO shows
 * as config_file as Redis does.
 */
const char *process_config_path(int argc, char **argv, int *first,
                                 char *absolute, size_t absolute_size);

/* Fills `settings` from the option table's defaults, then the file at
 * `path` (when not NULL), then the overrides argv[first..argc).  Returns
 * 0, or -1 with the error (which names the file and line). */
int process_load_settings(const struct config_option *table, void *settings,
                          const char *path, int argc, char **argv, int first,
                          char *error, size_t error_size);

/* Opens the log (see log_open); on failure prints "PROGRAM: cannot open
 * log file PATH" on stderr and returns -1. */
int process_open_log(const char *program, const char *path, int level);

/* Writes the process id and a newline to `path` ("" : nothing to do).
 * Returns 0, or -1 with the reason in error. */
int pidfile_write(const char *path, char *error, size_t error_size);
/* Removes the pid file ("": nothing to do). */
void pidfile_remove(const char *path);

/* Creates `path` and any missing parents (mkdir -p), mode 0755 less the
 * umask.  Returns 0 (also when it exists), or -1 with errno set. */
int directory_create(const char *path);

#endif
