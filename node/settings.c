/*
 * settings.c — the table of herd-node options (see settings.h).
 *
 * tc-buckets is the Tokyo Cabinet bucket count of a *new* data file (it is
 * fixed at creation; changing it later has no effect on an existing file).
 * Tokyo Cabinet is fastest with about two buckets per key; each bucket
 * costs 8 bytes of file and mapped memory, so the default 1048576 (8 MB)
 * suits nodes of up to ~2M keys and still works, more slowly, beyond.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "shared/auth.h"
#include "shared/log.h"
#include "shared/network.h"
#include "shared/process.h"
#include "shared/placement.h"
#include "node/server.h"
#include "node/settings.h"

#define FIELD(name) offsetof(struct node_settings, name)

static const char *const fsync_names[] = { "always", "everysec", "no", NULL };
static const char *const loglevel_names[] = { "debug", "verbose", "notice", "warning", NULL };
static const char *const write_consistency_names[] = { "one", "quorum", "all", NULL };
static const char *const yes_no_names[] = { "no", "yes", NULL };

/* `seed HOST:PORT`: one more member to contact at start (repeatable). */
static int
settings_set_seed(const struct config_option *option, void *target,
                  int argc, char **argv, char *error, size_t error_size)
{
    struct node_settings *settings = target;
    char host[sizeof(settings->seeds[0])];
    int port;

    (void)option;
    if (argc != 1) {
        snprintf(error, error_size, "'seed' wants HOST:PORT, got %d values", argc);
        return -1;
    }
    if (strlen(argv[0]) >= sizeof(settings->seeds[0]) ||
        network_parse_address(argv[0], host, sizeof(host), &port) != 0) {
        snprintf(error, error_size, "'seed' wants HOST:PORT, got '%s'", argv[0]);
        return -1;
    }
    if (settings->seed_count >= NODE_SEEDS_MAX) {
        snprintf(error, error_size, "at most %d seed lines", NODE_SEEDS_MAX);
        return -1;
    }
    snprintf(settings->seeds[settings->seed_count++], sizeof(settings->seeds[0]), "%s",
             argv[0]);
    return 0;
}

const struct config_option node_config_options[] = {
    { "bind", CONFIG_STRING, FIELD(bind), 0, sizeof(((struct node_settings *)0)->bind),
      "127.0.0.1", NULL, NULL, "address to listen on for clients" },
    { "port", CONFIG_INTEGER, FIELD(port), 0, 65535,
      "7379", NULL, NULL, "TCP port for clients (0: none, TLS only)" },
    { "dir", CONFIG_STRING, FIELD(dir), 0, sizeof(((struct node_settings *)0)->dir),
      ".", NULL, NULL, "data directory (data.tch, LOCK, clean-shutdown)" },
    { "node-index", CONFIG_INTEGER, FIELD(node_index), 0, 65535,
      "0", NULL, NULL, "this node's number, the tie-breaker of versions" },
    { "fsync", CONFIG_ENUM, FIELD(fsync), 0, 0,
      "everysec", fsync_names, NULL,
      "always: fsync every write batch before replying; everysec: once a second; no: never" },
    { "maxclients", CONFIG_INTEGER, FIELD(maxclients), 1, 1000000,
      "10000", NULL, NULL, "most client connections at once" },
    { "timeout", CONFIG_INTEGER, FIELD(timeout), 0, 100000000,
      "0", NULL, NULL, "close a client idle for this many seconds (0: never)" },
    { "proto-max-bulk-len", CONFIG_MEMORY, FIELD(max_bulk_length), 1, 512LL * 1024 * 1024 * 1024,
      "512mb", NULL, NULL, "largest bulk string in a request" },
    { "proto-max-multibulk-len", CONFIG_INTEGER, FIELD(max_multibulk_count), 1, 2147483647LL,
      "1048576", NULL, NULL, "most arguments in a request" },
    { "proto-inline-max-size", CONFIG_MEMORY, FIELD(max_inline_length), 1, 1024LL * 1024 * 1024,
      "64kb", NULL, NULL, "longest inline (non-RESP) request line" },
    { "client-query-buffer-limit", CONFIG_MEMORY, FIELD(query_buffer_limit), 1024 * 1024,
      1024LL * 1024 * 1024 * 1024, "1gb", NULL, NULL,
      "most unparsed input buffered per client" },
    { "client-output-buffer-limit", CONFIG_MEMORY, FIELD(output_buffer_limit), 0,
      1024LL * 1024 * 1024 * 1024, "256mb", NULL, NULL,
      "close a client whose pending output exceeds this (0: no limit)" },
    { "hz", CONFIG_INTEGER, FIELD(hz), 1, 500,
      "10", NULL, NULL, "cron runs per second (active expiry, idle clients)" },
    { "tc-buckets", CONFIG_INTEGER, FIELD(hash_buckets), 1024, 1LL << 32,
      "1048576", NULL, NULL,
      "Tokyo Cabinet buckets of a new data file (~2x the expected keys; fixed at creation)" },
    { "tc-mmap-size", CONFIG_MEMORY, FIELD(mmap_size), 0, 1LL << 40,
      "256mb", NULL, NULL, "bytes of the data file Tokyo Cabinet maps into memory" },
    { "loglevel", CONFIG_ENUM, FIELD(loglevel), 0, 0,
      "notice", loglevel_names, NULL, "debug, verbose, notice or warning" },
    { "logfile", CONFIG_STRING, FIELD(logfile), 0, sizeof(((struct node_settings *)0)->logfile),
      "", NULL, NULL, "log file (\"\": standard error)" },
    { "pidfile", CONFIG_STRING, FIELD(pidfile), 0, sizeof(((struct node_settings *)0)->pidfile),
      "", NULL, NULL, "write the process id here (\"\": don't)" },
    { "requirepass", CONFIG_CUSTOM, FIELD(acl), 0, 0, NULL, NULL, auth_config_requirepass,
      "password of the default user: clients must AUTH first" },
    { "user", CONFIG_CUSTOM, FIELD(acl), 0, 0, NULL, NULL, auth_config_user,
      "NAME RULE...: an ACL user, as Redis's ACL SETUSER rules (repeatable)" },
    { "cluster-secret", CONFIG_CUSTOM, FIELD(cluster_secret), 0, 0, NULL, NULL, cluster_secret_config,
      "shared secret (16+ bytes) every proxy and node must prove before talking to this node" },
    { "cluster-secret-file", CONFIG_CUSTOM, FIELD(cluster_secret), 0, 0, NULL, NULL,
      cluster_secret_config_file, "read cluster-secret from the first line of this file" },
    { "tls-port", CONFIG_INTEGER, FIELD(tls_port), 0, 65535, "0",
      NULL, NULL, "port for TLS peers (proxies, clients), beside the plaintext port (0: no TLS)" },
    { "tls-cert-file", CONFIG_STRING, FIELD(tls_cert_file), 0, PATH_MAX, "",
      NULL, NULL, "PEM certificate (chain) the node presents to TLS peers" },
    { "tls-key-file", CONFIG_STRING, FIELD(tls_key_file), 0, PATH_MAX, "",
      NULL, NULL, "PEM private key of tls-cert-file" },
    { "tls-ca-cert-file", CONFIG_STRING, FIELD(tls_ca_cert_file), 0, PATH_MAX, "",
      NULL, NULL, "PEM CA certificates that peer (proxy, client) certificates must be signed by" },
    { "tls-auth-clients", CONFIG_ENUM, FIELD(tls_auth_clients), 0, 0, "yes",
      tls_auth_clients_names, NULL,
      "yes: peers need a certificate from the CA; optional: checked if sent; no" },
    { "tls-protocols", CONFIG_STRING, FIELD(tls_protocols), 0, TLS_PROTOCOLS_MAX,
      "TLSv1.2 TLSv1.3", NULL, NULL, "TLS versions accepted: TLSv1.2 and/or TLSv1.3" },
    { "node-id", CONFIG_STRING, FIELD(node_id), 0, sizeof(((struct node_settings *)0)->node_id),
      "", NULL, NULL, "this node's identity (\"\": generated at first start, kept in dir/node-id)" },
    { "announce", CONFIG_STRING, FIELD(announce), 0, sizeof(((struct node_settings *)0)->announce),
      "", NULL, NULL, "HOST:PORT other members and proxies reach this node at (\"\": bind:port)" },
    { "seed", CONFIG_CUSTOM, 0, 0, 0, NULL, NULL, settings_set_seed,
      "HOST:PORT of a member to join through (repeatable)" },
    { "replicas", CONFIG_INTEGER, FIELD(replicas), 1, PLACEMENT_MAX_REPLICAS,
      "3", NULL, NULL, "copies of each slot, on that many nodes" },
    { "write-consistency", CONFIG_ENUM, FIELD(write_consistency), 0, 0,
      "quorum", write_consistency_names, NULL,
      "replicas that must apply a write before it is acknowledged: one, quorum or all" },
    { "write-timeout", CONFIG_INTEGER, FIELD(write_timeout), 10, 3600000,
      "2000", NULL, NULL, "ms to wait for write-consistency before answering -NOQUORUM" },
    { "membership-probe-interval", CONFIG_INTEGER, FIELD(probe_interval), 10, 600000,
      "1000", NULL, NULL, "ms between failure-detector probes" },
    { "membership-probe-timeout", CONFIG_INTEGER, FIELD(probe_timeout), 5, 600000,
      "500", NULL, NULL, "ms to wait for a probe's answer before asking others" },
    { "membership-suspicion-timeout", CONFIG_INTEGER, FIELD(suspicion_timeout), 10, 3600000,
      "4000", NULL, NULL, "ms a suspected member has to refute before it is declared dead" },
    { "membership-indirect-checks", CONFIG_INTEGER, FIELD(indirect_checks), 0, 16,
      "3", NULL, NULL, "members asked to probe a member that did not answer" },
    { "membership-push-pull-interval", CONFIG_INTEGER, FIELD(push_pull_interval), 100, 3600000,
      "30000", NULL, NULL, "ms between full membership exchanges with a random member" },
    { "anti-entropy-interval", CONFIG_INTEGER, FIELD(anti_entropy_interval), 10, 86400000,
      "10000", NULL, NULL, "ms between anti-entropy rounds (slot digests compared with a member)" },
    { "tombstone-gc-grace", CONFIG_INTEGER, FIELD(tombstone_gc_grace), 0, 1LL << 40,
      "86400000", NULL, NULL,
      "ms a delete's tombstone is kept at least (and until every replica has it)" },
    { "hint-max-keys", CONFIG_INTEGER, FIELD(hint_max_keys), 0, 1LL << 32,
      "1000000", NULL, NULL, "keys remembered per member that missed writes (hinted handoff)" },
    { "enable-debug-command", CONFIG_ENUM, FIELD(enable_debug_command), 0, 0,
      "no", yes_no_names, NULL, "allow DEBUG (NET DROP / NET HEAL for fault tests)" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL }
};

/* The ports and the TLS options that belong together (shared/tls.c). */
static int
settings_check_tls(const struct node_settings *settings, char *error, size_t error_size)
{
    struct tls_listen_settings listen;

    listen.port = settings->port;
    listen.tls_port = settings->tls_port;
    listen.cert_file = settings->tls_cert_file;
    listen.key_file = settings->tls_key_file;
    listen.ca_cert_file = settings->tls_ca_cert_file;
    listen.auth_clients = settings->tls_auth_clients;
    listen.protocols = settings->tls_protocols;
    return tls_check_listen_settings(&listen, error, error_size);
}

int
node_settings_load(struct node_settings *settings, const char *config_file,
                   int argc, char **argv, int first, char *error, size_t error_size)
{
    memset(settings, 0, sizeof(*settings));
    if (acl_init(&settings->acl) != 0) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    if (process_load_settings(node_config_options, settings, config_file, argc, argv,
                              first, error, error_size) != 0) {
        return -1;
    }
    if (settings->probe_timeout >= settings->probe_interval) {
        snprintf(error, error_size, "membership-probe-timeout (%lld) must be below "
                 "membership-probe-interval (%lld)", settings->probe_timeout,
                 settings->probe_interval);
        return -1;
    }
    return settings_check_tls(settings, error, error_size);
}

void
node_settings_resp_limits(const struct node_settings *settings,
                          struct resp_limits *limits)
{
    limits->max_bulk_length = settings->max_bulk_length;
    limits->max_multibulk_count = settings->max_multibulk_count;
    limits->max_inline_length = (size_t)settings->max_inline_length;
    limits->max_query_buffer = settings->query_buffer_limit;
}
