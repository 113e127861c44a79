/*
 * settings.c — herd-proxy's option table, the `node` option and the
 * checks that need several options at once.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/auth.h"
#include "shared/hash.h"
#include "shared/number.h"
#include "shared/process.h"
#include "shared/network.h"
#include "proxy/settings.h"

#define NODE_CAPACITY_FIRST 8

static const char *const loglevel_names[] = {
    "debug", "verbose", "notice", "warning", NULL
};

static int settings_set_node(const struct config_option *option, void *target,
                             int argc, char **argv, char *error, size_t error_size);

static int settings_set_seed(const struct config_option *option, void *target,
                             int argc, char **argv, char *error, size_t error_size);

static int settings_set_hash_tag(const struct config_option *option, void *target,
                                 int argc, char **argv, char *error, size_t error_size);

#define SETTING(field) offsetof(struct proxy_settings, field)

static const char *const read_consistency_names[] = { "one", "primary", NULL };

const char *const proxy_distribution_names[] = {
    "slots", "ketama", "modula", "random", NULL
};

const struct config_option proxy_settings_table[] = {
    { "bind", CONFIG_STRING, SETTING(bind), 0, PROXY_HOST_MAX, "127.0.0.1",
      NULL, NULL, "address clients connect to" },
    { "port", CONFIG_INTEGER, SETTING(port), 0, 65535, "7380",
      NULL, NULL, "port clients connect to (0: none, TLS only)" },
    { "node", CONFIG_CUSTOM, 0, 0, 0, NULL, NULL, settings_set_node,
      "HOST:PORT[:WEIGHT] [NAME]: a herd-node or redis-server (repeat the option "
      "for each node; WEIGHT counts in pool mode only)" },
    { "distribution", CONFIG_ENUM, SETTING(distribution), 0, 0, "slots",
      proxy_distribution_names, NULL,
      "slots: herd's placement; ketama, modula, random: nutcracker's (pool mode, "
      "node lines only)" },
    { "hash", CONFIG_ENUM, SETTING(hash), 0, 0, "fnv1a_64", hash_function_names, NULL,
      "pool mode key hash, by nutcracker's name (fnv1a_64, md5, murmur, ...)" },
    { "hash-tag", CONFIG_CUSTOM, 0, 0, 0, NULL, NULL, settings_set_hash_tag,
      "XY: pool mode hashes only the text between X and a later Y (e.g. {}); "
      "\"\": whole key" },
    { "auto-eject-hosts", CONFIG_BOOLEAN, SETTING(auto_eject_hosts), 0, 0, "no",
      NULL, NULL, "pool mode: take a failing server out of the distribution for a while" },
    { "server-failure-limit", CONFIG_INTEGER, SETTING(server_failure_limit), 1, 1000000,
      "2", NULL, NULL, "pool mode: failures in a row that eject a server" },
    { "server-retry-timeout", CONFIG_INTEGER, SETTING(server_retry_timeout), 1,
      86400000, "30000", NULL, NULL,
      "pool mode: milliseconds an ejected server stays out of the distribution" },
    { "seed", CONFIG_CUSTOM, 0, 0, 0, NULL, NULL, settings_set_seed,
      "HOST:PORT of a herd-node to learn the cluster's members from (repeatable; "
      "instead of node lines)" },
    { "membership-refresh-interval", CONFIG_INTEGER, SETTING(membership_refresh_interval),
      10, 3600000, "1000", NULL, NULL,
      "milliseconds between reads of the membership from every node (seed mode)" },
    { "read-consistency", CONFIG_ENUM, SETTING(read_consistency), 0, 0, "one",
      read_consistency_names, NULL,
      "one: reads round-robin over a key's live replicas; primary: its first live replica" },
    { "replicas", CONFIG_INTEGER, SETTING(replicas), 1, PLACEMENT_MAX_REPLICAS, "3",
      NULL, NULL, "copies of each slot (placement); keys go to the first" },
    { "node-timeout", CONFIG_INTEGER, SETTING(node_timeout), 1, 86400000, "2000",
      NULL, NULL, "milliseconds a node may take to answer before the request fails" },
    { "node-reconnect-interval", CONFIG_INTEGER, SETTING(node_reconnect_interval),
      1, 3600000, "200", NULL, NULL,
      "milliseconds before reconnecting to a node (doubles while it stays down)" },
    { "maxclients", CONFIG_INTEGER, SETTING(maxclients), 1, 1000000, "10000",
      NULL, NULL, "most client connections at once" },
    { "timeout", CONFIG_INTEGER, SETTING(timeout), 0, 100000000, "0",
      NULL, NULL, "close a client idle for this many seconds (0: never)" },
    { "proto-max-bulk-len", CONFIG_MEMORY, SETTING(max_bulk_length), 1, LLONG_MAX,
      "512mb", NULL, NULL, "largest bulk argument accepted" },
    { "proto-max-multibulk-len", CONFIG_INTEGER, SETTING(max_multibulk_count),
      1, INT_MAX, "1048576", NULL, NULL, "most arguments in one request" },
    { "proto-inline-max-size", CONFIG_MEMORY, SETTING(max_inline_length), 1, LLONG_MAX,
      "64kb", NULL, NULL, "longest inline request line" },
    { "client-query-buffer-limit", CONFIG_MEMORY, SETTING(query_buffer_limit),
      1, LLONG_MAX, "1gb", NULL, NULL,
      "most unparsed bytes buffered per client (and per node output)" },
    { "client-output-buffer-limit", CONFIG_MEMORY, SETTING(output_buffer_limit),
      1, LLONG_MAX, "256mb", NULL, NULL,
      "a client whose pending replies exceed this is closed" },
    { "max-pipeline", CONFIG_INTEGER, SETTING(max_pipeline), 1, 1000000, "1024",
      NULL, NULL, "requests in flight per client before the proxy stops reading it" },
    { "loglevel", CONFIG_ENUM, SETTING(loglevel), 0, 0, "notice",
      loglevel_names, NULL, "debug, verbose, notice or warning" },
    { "logfile", CONFIG_STRING, SETTING(logfile), 0, PATH_MAX, "",
      NULL, NULL, "log file (empty: standard error)" },
    { "pidfile", CONFIG_STRING, SETTING(pidfile), 0, PATH_MAX, "",
      NULL, NULL, "file to write the process id to (empty: none)" },
    { "requirepass", CONFIG_CUSTOM, SETTING(acl), 0, 0, NULL, NULL, auth_config_requirepass,
      "password of the default user: clients must AUTH first" },
    { "user", CONFIG_CUSTOM, SETTING(acl), 0, 0, NULL, NULL, auth_config_user,
      "NAME RULE...: an ACL user, as Redis's ACL SETUSER rules (repeatable)" },
    { "node-user", CONFIG_STRING, SETTING(node_user), 0, ACL_USER_NAME_MAX, "",
      NULL, NULL, "user the proxy logs in to nodes as (empty: default)" },
    { "node-password", CONFIG_STRING, SETTING(node_password), 0,
      PROXY_NODE_PASSWORD_MAX, "", NULL, NULL,
      "password the proxy sends in AUTH to nodes, in clear (empty: no AUTH)" },
    { "cluster-secret", CONFIG_CUSTOM, SETTING(cluster_secret), 0, 0, NULL, NULL, cluster_secret_config,
      "shared secret (16+ bytes) the proxy proves to every node before sending requests" },
    { "cluster-secret-file", CONFIG_CUSTOM, SETTING(cluster_secret), 0, 0, NULL, NULL,
      cluster_secret_config_file, "read cluster-secret from the first line of this file" },
    { "tls-port", CONFIG_INTEGER, SETTING(tls_port), 0, 65535, "0",
      NULL, NULL, "port for TLS clients, beside the plaintext port (0: no TLS)" },
    { "tls-cert-file", CONFIG_STRING, SETTING(tls_cert_file), 0, PATH_MAX, "",
      NULL, NULL, "PEM certificate (chain) the proxy presents to TLS clients" },
    { "tls-key-file", CONFIG_STRING, SETTING(tls_key_file), 0, PATH_MAX, "",
      NULL, NULL, "PEM private key of tls-cert-file" },
    { "tls-ca-cert-file", CONFIG_STRING, SETTING(tls_ca_cert_file), 0, PATH_MAX, "",
      NULL, NULL, "PEM CA certificates that client certificates must be signed by" },
    { "tls-auth-clients", CONFIG_ENUM, SETTING(tls_auth_clients), 0, 0, "yes",
      tls_auth_clients_names, NULL,
      "yes: clients need a certificate from the CA; optional: checked if sent; no" },
    { "tls-protocols", CONFIG_STRING, SETTING(tls_protocols), 0, TLS_PROTOCOLS_MAX,
      "TLSv1.2 TLSv1.3", NULL, NULL, "TLS versions accepted: TLSv1.2 and/or TLSv1.3" },
    { "node-tls", CONFIG_BOOLEAN, SETTING(node_tls), 0, 0, "no", NULL, NULL,
      "connect to the nodes over TLS (the node lines then name their tls-port)" },
    { "node-tls-cert-file", CONFIG_STRING, SETTING(node_tls_cert_file), 0, PATH_MAX, "",
      NULL, NULL, "PEM client certificate the proxy presents to nodes" },
    { "node-tls-key-file", CONFIG_STRING, SETTING(node_tls_key_file), 0, PATH_MAX, "",
      NULL, NULL, "PEM private key of node-tls-cert-file" },
    { "node-tls-ca-cert-file", CONFIG_STRING, SETTING(node_tls_ca_cert_file), 0, PATH_MAX,
      "", NULL, NULL, "PEM CA certificates the nodes' certificates must be signed by" },
    { NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL }
};

int
proxy_parse_node_address(const char *text, struct proxy_node_address *node,
                         char *error, size_t error_size)
{
    const char *port_text;

    memset(node, 0, sizeof(*node));
    if (network_split_host_port(text, node->host, sizeof(node->host), &port_text) != 0) {
        snprintf(error, error_size, "'node' wants HOST:PORT, got '%s'", text);
        return -1;
    }
    if (network_parse_port(port_text, &node->port) != 0) {
        snprintf(error, error_size, "'node' wants a port from 1 to 65535, got '%s'",
                 port_text);
        return -1;
    }
    node->weight = 1;
    snprintf(node->address, sizeof(node->address), "%s:%d", node->host, node->port);
    /* The address is the default name; too long to be one: left empty. */
    if (strlen(node->address) < sizeof(node->name)) {
        memcpy(node->name, node->address, strlen(node->address) + 1);
    }
    return 0;
}

/* Grows the node array so one more fits.  Returns 0 or -1. */
static int
settings_reserve_node(struct proxy_settings *settings)
{
    struct proxy_node_address *grown;
    int capacity;

    if (settings->node_count < settings->node_capacity) {
        return 0;
    }
    capacity = settings->node_capacity ? settings->node_capacity * 2 : NODE_CAPACITY_FIRST;
    grown = realloc(settings->nodes, (size_t)capacity * sizeof(*grown));
    if (grown == NULL) {
        return -1;
    }
    settings->nodes = grown;
    settings->node_capacity = capacity;
    return 0;
}

/* Where the ":WEIGHT" of "HOST:PORT:WEIGHT" starts, or NULL when `text`
 * has no weight: an unbracketed host with exactly two colons, or
 * "[IPV6]:PORT:WEIGHT".  (An unbracketed IPv6 address takes no weight.) */
static const char *
settings_weight_start(const char *text)
{
    const char *after_host = text, *colon;
    int colons = 0;

    if (text[0] == '[') {
        after_host = strchr(text, ']');
        if (after_host == NULL) {
            return NULL;
        }
    }
    for (colon = strchr(after_host, ':'); colon != NULL; colon = strchr(colon + 1, ':')) {
        colons++;
    }
    if (colons != 2) {
        return NULL;
    }
    return strrchr(after_host, ':');
}

/* Parses "HOST:PORT[:WEIGHT]" into `node`.  Returns 0 or -1 with a message. */
static int
settings_parse_weighted_address(const char *text, struct proxy_node_address *node,
                                char *error, size_t error_size)
{
    char address[PROXY_ADDRESS_MAX + 32];
    const char *weight_start = settings_weight_start(text);
    long long weight;
    size_t address_length;

    if (weight_start == NULL) {
        return proxy_parse_node_address(text, node, error, error_size);
    }
    address_length = (size_t)(weight_start - text);
    if (address_length >= sizeof(address)) {
        snprintf(error, error_size, "'node' wants HOST:PORT[:WEIGHT], got '%s'", text);
        return -1;
    }
    memcpy(address, text, address_length);
    address[address_length] = '\0';
    if (proxy_parse_node_address(address, node, error, error_size) != 0) {
        return -1;
    }
    if (!string_to_long_long(weight_start + 1, strlen(weight_start + 1), &weight) ||
        weight < 1 || weight > PROXY_WEIGHT_MAX) {
        snprintf(error, error_size, "'node' weight must be an integer from 1 to %d, "
                 "got '%s'", PROXY_WEIGHT_MAX, weight_start + 1);
        return -1;
    }
    node->weight = (int)weight;
    return 0;
}

/* `node HOST:PORT[:WEIGHT] [NAME]`: appends one node; names must be unique. */
static int
settings_set_node(const struct config_option *option, void *target,
                  int argc, char **argv, char *error, size_t error_size)
{
    struct proxy_settings *settings = target;
    struct proxy_node_address node;
    int i;

    (void)option;
    if (argc < 1 || argc > 2) {
        snprintf(error, error_size, "'node' wants HOST:PORT[:WEIGHT] [NAME], got %d values",
                 argc);
        return -1;
    }
    if (settings_parse_weighted_address(argv[0], &node, error, error_size) != 0) {
        return -1;
    }
    if (argc == 2) {
        node.named = 1;
        if (argv[1][0] == '\0' || strlen(argv[1]) >= sizeof(node.name)) {
            snprintf(error, error_size, "'node' name must have 1 to %zu bytes",
                     sizeof(node.name) - 1);
            return -1;
        }
        snprintf(node.name, sizeof(node.name), "%s", argv[1]);
    } else if (node.name[0] == '\0') {
        snprintf(error, error_size, "'node' address %s is too long to be its name; "
                 "give a NAME", node.address);
        return -1;
    }
    for (i = 0; i < settings->node_count; i++) {
        if (strcmp(settings->nodes[i].name, node.name) == 0) {
            snprintf(error, error_size, "'node' %s is configured twice", node.name);
            return -1;
        }
    }
    if (settings->node_count >= PLACEMENT_MAX_MEMBERS) {
        snprintf(error, error_size, "at most %d nodes", PLACEMENT_MAX_MEMBERS);
        return -1;
    }
    if (settings_reserve_node(settings) != 0) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    settings->nodes[settings->node_count++] = node;
    return 0;
}

/* `seed HOST:PORT`: a node to read the membership from (repeatable). */
static int
settings_set_seed(const struct config_option *option, void *target,
                  int argc, char **argv, char *error, size_t error_size)
{
    struct proxy_settings *settings = target;
    struct proxy_node_address node;

    (void)option;
    if (argc != 1) {
        snprintf(error, error_size, "'seed' wants HOST:PORT, got %d values", argc);
        return -1;
    }
    if (proxy_parse_node_address(argv[0], &node, error, error_size) != 0) {
        return -1;
    }
    if (settings->seed_count >= PROXY_SEEDS_MAX) {
        snprintf(error, error_size, "at most %d seed lines", PROXY_SEEDS_MAX);
        return -1;
    }
    snprintf(settings->seeds[settings->seed_count++], PROXY_ADDRESS_MAX, "%s", node.address);
    return 0;
}

/* `hash-tag XY`: two characters (X opens, Y closes); "" for none. */
static int
settings_set_hash_tag(const struct config_option *option, void *target,
                      int argc, char **argv, char *error, size_t error_size)
{
    struct proxy_settings *settings = target;

    (void)option;
    if (argc != 1 || (strlen(argv[0]) != 2 && argv[0][0] != '\0')) {
        snprintf(error, error_size, "'hash-tag' wants two characters, like {} "
                 "(or \"\" for none), got '%s'", argc >= 1 ? argv[0] : "");
        return -1;
    }
    memcpy(settings->hash_tag, argv[0], strlen(argv[0]) + 1);
    return 0;
}

/* distribution ketama/modula/random needs node lines (a fixed pool). */
static int
settings_check_distribution(const struct proxy_settings *settings, char *error,
                            size_t error_size)
{
    if (settings->distribution != PROXY_DISTRIBUTION_SLOTS && settings->seed_count > 0) {
        snprintf(error, error_size, "'distribution %s' works with 'node' lines only; "
                 "seed lines need 'distribution slots'",
                 proxy_distribution_names[settings->distribution]);
        return -1;
    }
    return 0;
}

/* The ports and the TLS options that belong together (shared/tls.c). */
static int
settings_check_tls(const struct proxy_settings *settings, char *error, size_t error_size)
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

/* node-tls needs a CA to verify the nodes; the client certificate and
 * its key go together. */
static int
settings_check_node_tls(const struct proxy_settings *settings, char *error,
                        size_t error_size)
{
    if (!settings->node_tls) {
        return 0;
    }
    if (settings->node_tls_ca_cert_file[0] == '\0') {
        snprintf(error, error_size, "'node-tls yes' needs 'node-tls-ca-cert-file' "
                 "(to verify the nodes' certificates)");
        return -1;
    }
    if ((settings->node_tls_cert_file[0] == '\0') !=
        (settings->node_tls_key_file[0] == '\0')) {
        snprintf(error, error_size, "'node-tls-cert-file' and 'node-tls-key-file' go "
                 "together");
        return -1;
    }
    return 0;
}

/* Checks that need the whole configuration. */
static int
settings_check(const struct proxy_settings *settings, char *error, size_t error_size)
{
    if (settings->node_count == 0 && settings->seed_count == 0) {
        snprintf(error, error_size, "no node configured (add 'node HOST:PORT' lines, or "
                 "'seed HOST:PORT' lines for a replicated cluster)");
        return -1;
    }
    if (settings->node_count > 0 && settings->seed_count > 0) {
        snprintf(error, error_size, "'node' and 'seed' lines do not mix: node lines name a "
                 "fixed pool, seed lines a cluster whose members the proxy learns");
        return -1;
    }
    if (settings->node_user[0] != '\0' && settings->node_password[0] == '\0') {
        snprintf(error, error_size, "'node-user' needs 'node-password'");
        return -1;
    }
    if (settings_check_node_tls(settings, error, error_size) != 0 ||
        settings_check_distribution(settings, error, error_size) != 0) {
        return -1;
    }
    return settings_check_tls(settings, error, error_size);
}

int
proxy_settings_load(struct proxy_settings *settings, const char *path,
                    int argc, char **argv, int first,
                    char *error, size_t error_size)
{
    memset(settings, 0, sizeof(*settings));
    if (acl_init(&settings->acl) != 0) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    if (process_load_settings(proxy_settings_table, settings, path, argc, argv, first,
                              error, error_size) != 0) {
        return -1;
    }
    return settings_check(settings, error, error_size);
}

void
proxy_settings_free(struct proxy_settings *settings)
{
    acl_free(&settings->acl);
    cluster_secret_clear(&settings->cluster_secret);
    free(settings->nodes);
    settings->nodes = NULL;
    settings->node_count = 0;
    settings->node_capacity = 0;
}
