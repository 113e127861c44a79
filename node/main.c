/*
 * main.c — herd-node's entry point.
 *
 *   herd-node [CONFIG-FILE] [--option value ...]
 *   herd-node --help | --version
 *
 * Settings come from the defaults, then the file, then the command line
 * (as redis-server does).  A configuration error is printed with its file
 * and line, and the process exits with status 1.  SIGTERM and SIGINT stop
 * the node in order (commit, sync, close, clean-shutdown marker) and exit
 * with status 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "shared/log.h"
#include "node/server.h"
#include "node/settings.h"

#define ERROR_SIZE 1024

static void
print_usage(void)
{
    config_print_help(node_config_options, "herd-node");
}

/* Writes the pid file; returns 0 or -1. */
static int
write_pidfile(const char *path)
{
    FILE *file;

    if (path[0] == '\0') {
        return 0;
    }
    file = fopen(path, "w");
    if (file == NULL) {
        log_warning("cannot write pid file %s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(file, "%ld\n", (long)getpid());
    fclose(file);
    return 0;
}

/* Handles --help / --version; returns 1 when one was handled. */
static int
handle_informational(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        print_usage();
        return 1;
    }
    if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0)) {
        printf("herd-node %s (speaks Redis %s)\n", HERD_VERSION, HERD_REDIS_VERSION);
        return 1;
    }
    return 0;
}

/* Fills server->settings from the file and command line; prints the
 * error and returns -1 on a bad configuration. */
static int
load_settings(struct server *server, int argc, char **argv)
{
    char error[ERROR_SIZE];
    const char *config_file = NULL;
    int first = 1;

    if (argc >= 2 && strncmp(argv[1], "--", 2) != 0) {
        config_file = argv[1];
        first = 2;
        snprintf(server->config_file, sizeof(server->config_file), "%s", config_file);
    }
    if (node_settings_load(&server->settings, config_file, argc, argv, first,
                           error, sizeof(error)) != 0) {
        fprintf(stderr, "herd-node: %s\n", error);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    struct server *server;
    char error[ERROR_SIZE];
    int status = 1;

    if (handle_informational(argc, argv)) {
        return 0;
    }
    server = calloc(1, sizeof(*server));
    if (server == NULL || load_settings(server, argc, argv) != 0) {
        free(server);
        return 1;
    }
    if (log_open(server->settings.logfile, (enum log_level)server->settings.loglevel,
                 "herd-node") != 0) {
        fprintf(stderr, "herd-node: cannot open log file %s\n", server->settings.logfile);
        free(server);
        return 1;
    }
    if (server_init(server, error, sizeof(error)) != 0) {
        log_warning("%s", error);
        server_close(server, 0);
        goto out;
    }
    write_pidfile(server->settings.pidfile);
    if (server_run(server) == 0 && server_close(server, 1) == 0) {
        status = 0;
    }
    if (server->settings.pidfile[0] != '\0') {
        unlink(server->settings.pidfile);
    }

out:
    log_close();
    free(server);
    return status;
}
