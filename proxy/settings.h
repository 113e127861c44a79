/*
 * settings.h — herd-proxy's options: what herd.conf and `--name value`
 * arguments may set (the table itself is in proxy/settings.c).
 */
#ifndef HERD_PROXY_SETTINGS_H
#define HERD_PROXY_SETTINGS_H

#include <limits.h>
#include "shared/acl.h"
#include "shared/cluster_secret.h"
#include "shared/config.h"
#include "shared/placement.h"
#include "shared/tls.h"

#define PROXY_HOST_MAX    256
#define PROXY_ADDRESS_MAX (PROXY_HOST_MAX + 8)
#define PROXY_NODE_PASSWORD_MAX 512

/* Largest `node HOST:PORT:WEIGHT` weight (pool mode, ketama). */
#define PROXY_WEIGHT_MAX 10000

/* One `node HOST:PORT[:WEIGHT] [NAME]` line. */
struct proxy_node_address {
    char host[PROXY_HOST_MAX];
    int  port;
    char address[PROXY_ADDRESS_MAX];  /* "HOST:PORT", used in error texts */
    char name[PLACEMENT_ID_MAX];      /* placement identity; default address */
    int  named;                       /* NAME was given (pool mode: ketama
                                         hashes it instead of HOST:PORT) */
    int  weight;                      /* pool mode share; default 1 */
};

#define PROXY_SEEDS_MAX 64

/* read-consistency values. */
enum proxy_read_consistency {
    PROXY_READ_ONE,       /* round-robin over the live home replicas */
    PROXY_READ_PRIMARY    /* the first live home replica (the coordinator) */
};

/* distribution values: how keys are spread over the node lines. */
enum proxy_distribution_kind {
    PROXY_DISTRIBUTION_SLOTS,   /* herd's own: CRC16 slot, HRW placement */
    PROXY_DISTRIBUTION_KETAMA,  /* nutcracker's consistent hashing */
    PROXY_DISTRIBUTION_MODULA,  /* nutcracker's hash modulo total weight */
    PROXY_DISTRIBUTION_RANDOM   /* any server, per request (caches) */
};

/* "slots", "ketama", "modula", "random" (enum order), NULL-terminated. */
extern const char *const proxy_distribution_names[];

/* Settings read from the config file and the command line. */
struct proxy_settings {
    char      bind[PROXY_HOST_MAX];   /* listen address */
    long long port;                   /* client port; 0: no plaintext port */
    struct proxy_node_address *nodes; /* in configuration order */
    int       node_count;
    int       node_capacity;
    long long replicas;               /* copies per slot (placement) */
    long long node_timeout;           /* ms a node may take to answer */
    long long node_reconnect_interval;/* ms before the first reconnect */
    long long maxclients;
    long long timeout;                /* idle client seconds; 0: never */
    long long max_bulk_length;        /* proto-max-bulk-len */
    long long max_multibulk_count;    /* proto-max-multibulk-len */
    long long max_inline_length;      /* proto-inline-max-size */
    long long query_buffer_limit;     /* client-query-buffer-limit */
    long long output_buffer_limit;    /* client-output-buffer-limit */
    long long max_pipeline;           /* requests in flight per client */
    int       loglevel;               /* enum log_level */
    char      logfile[PATH_MAX];
    char      pidfile[PATH_MAX];
    struct acl acl;                   /* requirepass and user lines: clients */
    char      node_user[ACL_USER_NAME_MAX];           /* AUTH to nodes as; "": default */
    char      node_password[PROXY_NODE_PASSWORD_MAX]; /* "": nodes need no AUTH */
    struct cluster_secret cluster_secret; /* length 0: none; else proved to every node */
    long long tls_port;                   /* TLS client port; 0: none */
    char      tls_cert_file[PATH_MAX];    /* PEM certificate chain */
    char      tls_key_file[PATH_MAX];     /* PEM private key */
    char      tls_ca_cert_file[PATH_MAX]; /* CAs of client certificates */
    int       tls_auth_clients;           /* enum tls_auth_clients */
    char      tls_protocols[TLS_PROTOCOLS_MAX];  /* "TLSv1.2 TLSv1.3" */
    int       node_tls;                        /* connect to nodes over TLS */
    char      node_tls_cert_file[PATH_MAX];    /* client certificate shown to nodes */
    char      node_tls_key_file[PATH_MAX];     /* its private key */
    char      node_tls_ca_cert_file[PATH_MAX]; /* CAs that sign the nodes' certificates */
    /* Cluster mode (seed lines instead of node lines; proxy/membership.c). */
    char      seeds[PROXY_SEEDS_MAX][PROXY_ADDRESS_MAX];
    int       seed_count;
    long long membership_refresh_interval;     /* ms between CLUSTER MEMBERS polls */
    int       read_consistency;                /* enum proxy_read_consistency */
    /* Pool mode: nutcracker's key distribution (proxy/distribution.c). */
    int       distribution;                    /* enum proxy_distribution_kind */
    int       hash;                            /* enum hash_function */
    char      hash_tag[3];                     /* two characters; "": none */
    int       auto_eject_hosts;                /* take failing servers out */
    long long server_failure_limit;            /* failures in a row to eject */
    long long server_retry_timeout;            /* ms an ejected server stays out */
};

/* The option table (ends with a NULL name). */
extern const struct config_option proxy_settings_table[];

/* Applies defaults, then the file (when path is not NULL), then the
 * `--name value` arguments from argv[first..argc), then checks the result.
 * Returns 0, or -1 with a message ("file:line: ..." for file errors). */
int  proxy_settings_load(struct proxy_settings *settings, const char *path,
                         int argc, char **argv, int first,
                         char *error, size_t error_size);
void proxy_settings_free(struct proxy_settings *settings);

/* Parses "HOST:PORT" (IPv6 as "[::1]:7001" or "::1:7001").  Returns 0 or
 * -1 with a message. */
int  proxy_parse_node_address(const char *text, struct proxy_node_address *node,
                              char *error, size_t error_size);

#endif
