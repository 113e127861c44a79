/*
 * main.c — herd-proxy's entry point.
 *
 *   herd-proxy [CONFIG-FILE] [--option value ...]
 *   herd-proxy --help | --version
 *   herd-proxy --hash-password    (password on stdin, hash text on stdout)
 *
 * Reads the configuration (file first, then command-line overrides),
 * opens the log, writes the pid file, runs the loop until SIGTERM or
 * SIGINT, and exits 0 after a clean shutdown (1 on a configuration or
 * start-up error; a pid file that cannot be written is a start-up error).
 */
#include <signal.h>
#include <stdio.h>
#include "shared/log.h"
#include "shared/password_tool.h"
#include "shared/process.h"
#include "proxy/proxy.h"

#define ERROR_SIZE 1024

static void
print_usage(void)
{
    config_print_help(proxy_settings_table, "herd-proxy");
    printf("\nherd-proxy speaks the Redis protocol and spreads keys over herd-nodes.\n"
           "herd-proxy --version prints the version.\n"
           "herd-proxy --hash-password reads a password on standard input and prints its hash.\n");
}

/* Fills proxy->settings from the file and command line; prints the error
 * and returns -1 on a bad configuration. */
static int
load_settings(struct proxy *proxy, int argc, char **argv)
{
    char error[ERROR_SIZE];
    const char *path;
    int first;

    path = process_config_path(argc, argv, &first, proxy->config_file,
                               sizeof(proxy->config_file));
    if (proxy_settings_load(&proxy->settings, path, argc, argv, first,
                            error, sizeof(error)) != 0) {
        fprintf(stderr, "herd-proxy: %s\n", error);
        return -1;
    }
    return 0;
}

/* Writes the pid file, starts the proxy, runs it until a signal and stops
 * it; returns the exit status. */
static int
run(struct proxy *proxy)
{
    char error[ERROR_SIZE];
    int status = 1;

    if (pidfile_write(proxy->settings.pidfile, error, sizeof(error)) != 0) {
        log_warning("%s", error);
    } else if (proxy_init(proxy) == 0 && proxy_run(proxy) == 0) {
        status = 0;
    }
    proxy_free(proxy);
    pidfile_remove(proxy->settings.pidfile);
    log_notice("herd-proxy exiting");
    return status;
}

int
main(int argc, char **argv)
{
    static struct proxy proxy;
    int status = 1;

    if (process_wants_help(argc, argv)) {
        print_usage();
        return 0;
    }
    if (process_wants_version(argc, argv)) {
        printf("herd-proxy %s (Redis protocol %s)\n", PROXY_VERSION, PROXY_REDIS_VERSION);
        return 0;
    }
    if (process_has_flag(argc, argv, "--hash-password")) {
        return password_hash_command("herd-proxy", stdin, stdout, stderr);
    }
    signal(SIGPIPE, SIG_IGN);
    if (load_settings(&proxy, argc, argv) != 0) {
        goto out;
    }
    if (process_open_log("herd-proxy", proxy.settings.logfile,
                         proxy.settings.loglevel) != 0) {
        goto out;
    }
    status = run(&proxy);
    log_close();

out:
    proxy_settings_free(&proxy.settings);
    return status;
}
