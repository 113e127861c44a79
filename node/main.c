/*
 * main.c — herd-node's entry point.
 *
 *   herd-node [CONFIG-FILE] [--option value ...]
 *   herd-node --help | --version
 *   herd-node --hash-password    (password on stdin, hash text on stdout)
 *
 * Settings come from the defaults, then the file, then the command line
 * (as redis-server does).  A configuration error is printed with its file
 * and line, and the process exits with status 1.  SIGTERM and SIGINT stop
 * the node in order (commit, sync, close, clean-shutdown marker) and exit
 * with status 0.  The pid file is written once the node is listening with
 * its data loaded; failing to write it is only a warning.
 */
#include <stdio.h>
#include <stdlib.h>
#include "shared/log.h"
#include "shared/password_tool.h"
#include "shared/process.h"
#include "node/server.h"
#include "node/settings.h"

#define ERROR_SIZE 1024

/* Fills server->settings from the file and command line; prints the
 * error and returns -1 on a bad configuration. */
static int
load_settings(struct server *server, int argc, char **argv)
{
    char error[ERROR_SIZE];
    const char *path;
    int first;

    path = process_config_path(argc, argv, &first, server->config_file,
                               sizeof(server->config_file));
    if (node_settings_load(&server->settings, path, argc, argv, first,
                           error, sizeof(error)) != 0) {
        fprintf(stderr, "herd-node: %s\n", error);
        return -1;
    }
    return 0;
}

/* Starts the node, runs it until a signal, and stops it; returns the exit
 * status. */
static int
run(struct server *server)
{
    char error[ERROR_SIZE];
    int status = 1;

    if (server_init(server, error, sizeof(error)) != 0) {
        log_warning("%s", error);
        server_close(server, 0);
        return 1;
    }
    if (pidfile_write(server->settings.pidfile, error, sizeof(error)) != 0) {
        log_warning("%s", error);
    }
    if (server_run(server) == 0 && server_close(server, 1) == 0) {
        status = 0;
    }
    pidfile_remove(server->settings.pidfile);
    return status;
}

int
main(int argc, char **argv)
{
    struct server *server;
    int status = 1;

    if (process_wants_help(argc, argv)) {
        config_print_help(node_config_options, "herd-node");
        printf("\nherd-node --hash-password reads a password on standard input and prints its hash.\n");
        return 0;
    }
    if (process_wants_version(argc, argv)) {
        printf("herd-node %s (speaks Redis %s)\n", HERD_VERSION, HERD_REDIS_VERSION);
        return 0;
    }
    if (process_has_flag(argc, argv, "--hash-password")) {
        return password_hash_command("herd-node", stdin, stdout, stderr);
    }
    server = calloc(1, sizeof(*server));
    if (server == NULL || load_settings(server, argc, argv) != 0) {
        goto out;
    }
    if (process_open_log("herd-node", server->settings.logfile,
                         server->settings.loglevel) != 0) {
        goto out;
    }
    status = run(server);
    log_close();

out:
    if (server != NULL) {
        acl_free(&server->settings.acl);
    }
    free(server);
    return status;
}
