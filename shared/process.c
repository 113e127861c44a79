/*
 * process.c — command line, settings, log and pid file glue for main().
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "shared/log.h"
#include "shared/process.h"

#define DIRECTORY_MODE 0755

int
process_has_flag(int argc, char **argv, const char *name)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

int
process_wants_help(int argc, char **argv)
{
    return process_has_flag(argc, argv, "--help") || process_has_flag(argc, argv, "-h");
}

int
process_wants_version(int argc, char **argv)
{
    return process_has_flag(argc, argv, "--version") || process_has_flag(argc, argv, "-v");
}

const char *
process_config_path(int argc, char **argv, int *first, char *absolute, size_t absolute_size)
{
    const char *path;
    char *resolved;

    absolute[0] = '\0';
    *first = 1;
    if (argc < 2 || strncmp(argv[1], "--", 2) == 0) {
        return NULL;
    }
    path = argv[1];
    *first = 2;
    resolved = realpath(path, NULL);
    snprintf(absolute, absolute_size, "%s", resolved != NULL ? resolved : path);
    free(resolved);
    return path;
}

int
process_load_settings(const struct config_option *table, void *settings,
                      const char *path, int argc, char **argv, int first,
                      char *error, size_t error_size)
{
    if (config_apply_defaults(table, settings, error, error_size) != 0) {
        return -1;
    }
    if (path != NULL && config_load_file(table, settings, path, error, error_size) != 0) {
        return -1;
    }
    return config_apply_arguments(table, settings, argc, argv, first, error, error_size);
}

int
process_open_log(const char *program, const char *path, int level)
{
    if (log_open(path, (enum log_level)level, program) != 0) {
        fprintf(stderr, "%s: cannot open log file %s\n", program, path);
        return -1;
    }
    return 0;
}

int
pidfile_write(const char *path, char *error, size_t error_size)
{
    FILE *file;
    int status = 0;

    if (path[0] == '\0') {
        return 0;
    }
    file = fopen(path, "w");
    if (file == NULL) {
        snprintf(error, error_size, "cannot write pid file %s: %s", path, strerror(errno));
        return -1;
    }
    if (fprintf(file, "%ld\n", (long)getpid()) < 0) {
        status = -1;
    }
    if (fclose(file) != 0) {
        status = -1;
    }
    if (status != 0) {
        snprintf(error, error_size, "cannot write pid file %s: %s", path, strerror(errno));
    }
    return status;
}

void
pidfile_remove(const char *path)
{
    if (path[0] != '\0') {
        unlink(path);
    }
}

int
directory_create(const char *path)
{
    char partial[PATH_MAX];
    size_t length = strlen(path), i;

    if (length == 0 || length >= sizeof(partial)) {
        errno = length == 0 ? ENOENT : ENAMETOOLONG;
        return -1;
    }
    memcpy(partial, path, length + 1);
    /* Each parent in turn (skipping a leading '/'), then the whole path. */
    for (i = 1; i <= length; i++) {
        if (partial[i] != '/' && partial[i] != '\0') {
            continue;
        }
        partial[i] = '\0';
        if (mkdir(partial, DIRECTORY_MODE) != 0 && errno != EEXIST) {
            return -1;
        }
        partial[i] = path[i];
    }
    return 0;
}
