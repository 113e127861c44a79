/*
 * settings.h — herd-node's configuration options (redis.conf style, read
 * through shared/config.h into struct node_settings).
 */
#ifndef HERD_NODE_SETTINGS_H
#define HERD_NODE_SETTINGS_H

#include <stddef.h>
#include "shared/config.h"
#include "shared/resp.h"

struct node_settings;

/* The option table (ends with a NULL name). */
extern const struct config_option node_config_options[];

/* Loads defaults, then the file (if any), then `--option value` pairs from
 * argv[first..argc).  Returns 0, or -1 with "FILE:LINE: problem" or
 * "command line: problem" in error. */
int  node_settings_load(struct node_settings *settings, const char *config_file,
                        int argc, char **argv, int first,
                        char *error, size_t error_size);

/* The request limits a client connection gets from the settings. */
void node_settings_resp_limits(const struct node_settings *settings,
                               struct resp_limits *limits);

#endif
