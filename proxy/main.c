/*
 * main.c — herd-proxy [config-file] [--option value ...]
 *
 * Reads the configuration (file first, then command-line overrides),
 * opens the log, writes the pid file, runs the loop until SIGTERM or
 * SIGINT, and exits 0 after a clean shutdown (1 on a configuration or
 * start-up error).
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "shared/log.h"
#include "proxy/proxy.h"

static void
print_usage(void)
{
    config_print_help(proxy_settings_table, "herd-proxy");
    printf("\nherd-proxy speaks the Redis protocol and spreads keys over herd-nodes.\n"
           "herd-proxy --version prints the version.\n");
}

/* 1 when any argument is exactly `flag`. */
static int
has_flag(int argc, char **argv, const char *flag)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], flag) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Writes the process id to the pid file, when one is configured. */
static int
write_pidfile(const char *path)
{
    FILE *file;

    if (path[0] == '\0') {
        return 0;
    }
    file = fopen(path, "w");
    if (file == NULL) {
        log_warning("cannot write pid file %s", path);
        return -1;
    }
    fprintf(file, "%ld\n", (long)getpid());
    fclose(file);
    return 0;
}

/* Reads settings; prints the error and returns -1 on failure. */
static int
load_settings(struct proxy *proxy, int argc, char **argv)
{
    const char *path = NULL;
    char error[1024];
    int first = 1;

    if (argc >= 2 && strncmp(argv[1], "--", 2) != 0) {
        path = argv[1];
        first = 2;
        if (realpath(path, proxy->config_file) == NULL) {
            snprintf(proxy->config_file, sizeof(proxy->config_file), "%s", path);
        }
    }
    if (proxy_settings_load(&proxy->settings, path, argc, argv, first,
                            error, sizeof(error)) != 0) {
        fprintf(stderr, "herd-proxy: %s\n", error);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    static struct proxy proxy;
    int status = 1;

    if (has_flag(argc, argv, "--help") || has_flag(argc, argv, "-h")) {
        print_usage();
        return 0;
    }
    if (has_flag(argc, argv, "--version") || has_flag(argc, argv, "-v")) {
        printf("herd-proxy %s (Redis protocol %s)\n", PROXY_VERSION, PROXY_REDIS_VERSION);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    if (load_settings(&proxy, argc, argv) != 0) {
        proxy_settings_free(&proxy.settings);
        return 1;
    }
    if (log_open(proxy.settings.logfile, (enum log_level)proxy.settings.loglevel,
                 "herd-proxy") != 0) {
        fprintf(stderr, "herd-proxy: cannot open log file %s\n", proxy.settings.logfile);
        proxy_settings_free(&proxy.settings);
        return 1;
    }
    if (write_pidfile(proxy.settings.pidfile) == 0 && proxy_init(&proxy) == 0 &&
        proxy_run(&proxy) == 0) {
        status = 0;
    }
    proxy_free(&proxy);
    if (proxy.settings.pidfile[0] != '\0') {
        unlink(proxy.settings.pidfile);
    }
    log_notice("herd-proxy exiting");
    log_close();
    return status;
}
