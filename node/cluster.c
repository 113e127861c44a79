/*
 * cluster.c — the node's cluster state: its identity, the membership state
 * machine wired to peer connections, the placement table, and the tick
 * that drives membership, replication timeouts, hints and anti-entropy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/network.h"
#include "shared/random.h"
#include "shared/reply.h"
#include "node/cluster.h"
#include "node/peer.h"
#include "node/server.h"

#define CLUSTER_NODE_ID_FILE      "node-id"
#define CLUSTER_GENERATION_FILE   "cluster-generation"
#define CLUSTER_CLOCK_BOUND_FILE  "clock-bound"
/* The wall-clock bound is written this far ahead, and refreshed when less
 * than half of it is left (distribution.md: now + 1 s every 500 ms). */
#define CLUSTER_CLOCK_BOUND_AHEAD_MS 1000
#define CLUSTER_TICK_MAX_MS       50
#define CLUSTER_MAX_PEERS         (PLACEMENT_MAX_MEMBERS + NODE_SEEDS_MAX)
/* Incarnations of one run start at generation << this, so a restarted
 * node outranks anything said about its previous run. */
#define CLUSTER_INCARNATION_SHIFT 24

/* ------------------------------------------------------------------------
 * Small files in the data directory
 * ------------------------------------------------------------------------ */

/* Reads the first line of dir/name into out.  Returns 1 read, 0 absent,
 * -1 error. */
static int
cluster_read_file(const char *dir, const char *name, char *out, size_t size)
{
    char path[PATH_MAX];
    FILE *file;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    file = fopen(path, "r");
    if (file == NULL) {
        return errno == ENOENT ? 0 : -1;
    }
    if (fgets(out, (int)size, file) == NULL) {
        out[0] = '\0';
    }
    fclose(file);
    out[strcspn(out, "\r\n")] = '\0';
    return 1;
}

/* Writes text to dir/name durably (temporary file, fsync, rename). */
static int
cluster_write_file(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX], temporary[PATH_MAX];
    int fd, result = -1;
    size_t length = strlen(text);

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(temporary, sizeof(temporary), "%s/%s.tmp", dir, name);
    fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        return -1;
    }
    if (write(fd, text, length) == (ssize_t)length && fsync(fd) == 0) {
        result = 0;
    }
    close(fd);
    if (result == 0 && rename(temporary, path) != 0) {
        result = -1;
    }
    return result;
}

/* The node id: from the config, else dir/node-id, else a new random one
 * (written there).  A config id must match the directory's. */
static int
cluster_load_identity(struct cluster *cluster, char *error, size_t error_size)
{
    const struct node_settings *settings = &cluster->server->settings;
    char stored[MEMBERSHIP_ID_MAX + 2];
    uint64_t random_state = random_seed();
    int found = cluster_read_file(settings->dir, CLUSTER_NODE_ID_FILE, stored,
                                  sizeof(stored));

    if (found < 0) {
        snprintf(error, error_size, "cannot read %s/%s: %s", settings->dir,
                 CLUSTER_NODE_ID_FILE, strerror(errno));
        return -1;
    }
    if (settings->node_id[0] != '\0') {
        if (found && strcmp(stored, settings->node_id) != 0) {
            snprintf(error, error_size, "node-id %s does not match %s/%s (%s): this data "
                     "directory belongs to another node", settings->node_id,
                     settings->dir, CLUSTER_NODE_ID_FILE, stored);
            return -1;
        }
        snprintf(cluster->my_id, sizeof(cluster->my_id), "%s", settings->node_id);
    } else if (found && stored[0] != '\0') {
        if (strlen(stored) >= sizeof(cluster->my_id)) {
            snprintf(error, error_size, "%s/%s holds an id longer than %zu bytes",
                     settings->dir, CLUSTER_NODE_ID_FILE, sizeof(cluster->my_id) - 1);
            return -1;
        }
        memcpy(cluster->my_id, stored, strlen(stored) + 1);
    } else {
        random_hex(&random_state, cluster->my_id, 32);
    }
    if (!found && cluster_write_file(settings->dir, CLUSTER_NODE_ID_FILE,
                                     cluster->my_id) != 0) {
        snprintf(error, error_size, "cannot write %s/%s: %s", settings->dir,
                 CLUSTER_NODE_ID_FILE, strerror(errno));
        return -1;
    }
    return 0;
}

/* Counts this start in dir/cluster-generation; returns the new count, or
 * 0 on error. */
static uint64_t
cluster_next_generation(const char *dir)
{
    char text[32];
    unsigned long long generation = 0;

    if (cluster_read_file(dir, CLUSTER_GENERATION_FILE, text, sizeof(text)) == 1) {
        generation = strtoull(text, NULL, 10);
    }
    generation++;
    snprintf(text, sizeof(text), "%llu\n", generation);
    return cluster_write_file(dir, CLUSTER_GENERATION_FILE, text) == 0 ? generation : 0;
}

/* Versions never go back across restarts: start the clock above the bound
 * the previous run wrote ahead of its wall clock. */
static void
cluster_restore_clock_bound(struct cluster *cluster)
{
    struct server *server = cluster->server;
    char text[32];
    uint64_t bound;

    if (cluster_read_file(server->settings.dir, CLUSTER_CLOCK_BOUND_FILE, text,
                          sizeof(text)) != 1) {
        return;
    }
    bound = strtoull(text, NULL, 10);
    if (HLC_MAKE(bound, 0) > server->clock.last) {
        server->clock.last = HLC_MAKE(bound, 0);
    }
}

/* Keeps dir/clock-bound ahead of every version this run may mint. */
static void
cluster_refresh_clock_bound(struct cluster *cluster)
{
    struct server *server = cluster->server;
    uint64_t now = HLC_MILLISECONDS(hlc_now(&server->clock));
    char text[32];

    if (cluster->clock_bound_ms > now + CLUSTER_CLOCK_BOUND_AHEAD_MS / 2) {
        return;
    }
    cluster->clock_bound_ms = now + CLUSTER_CLOCK_BOUND_AHEAD_MS;
    snprintf(text, sizeof(text), "%llu\n", (unsigned long long)cluster->clock_bound_ms);
    if (cluster_write_file(server->settings.dir, CLUSTER_CLOCK_BOUND_FILE, text) != 0) {
        log_warning("cluster: cannot write %s/%s: %s", server->settings.dir,
                    CLUSTER_CLOCK_BOUND_FILE, strerror(errno));
    }
}

/* ------------------------------------------------------------------------
 * Peers and placement
 * ------------------------------------------------------------------------ */

/* The peer for an address, created on first use.  NULL for our own
 * address or when it cannot be created. */
static struct peer *
cluster_peer_for(struct cluster *cluster, const char *address)
{
    struct peer *peer;
    int i;

    if (strcmp(address, cluster->my_address) == 0) {
        return NULL;
    }
    for (i = 0; i < cluster->peer_count; i++) {
        if (strcmp(cluster->peers[i]->address, address) == 0) {
            return cluster->peers[i];
        }
    }
    if (cluster->peer_count >= CLUSTER_MAX_PEERS) {
        return NULL;
    }
    peer = peer_new(cluster, address);
    if (peer != NULL) {
        cluster->peers[cluster->peer_count++] = peer;
    }
    return peer;
}

struct peer *
cluster_member_peer(struct cluster *cluster, int index)
{
    return index > 0 && index < cluster->member_count ? cluster->member_peer[index] : NULL;
}

/* Rebuilds the placement table over every member (liveness does not
 * matter: a dead member keeps its slots). */
static void
cluster_rebuild_placement(struct cluster *cluster)
{
    int count = membership_count(cluster->membership), i;
    struct placement_member *members = calloc((size_t)count, sizeof(*members));
    const struct member *member;

    if (members == NULL) {
        log_warning("cluster: out of memory rebuilding placement");
        return;
    }
    for (i = 0; i < count; i++) {
        member = membership_member(cluster->membership, i);
        snprintf(members[i].id, sizeof(members[i].id), "%s", member->id);
        members[i].owns_data = 1;
        cluster->member_peer[i] = i == CLUSTER_SELF ? NULL
                                : cluster_peer_for(cluster, member->address);
    }
    placement_free(&cluster->placement);
    if (placement_build(&cluster->placement, members, count,
                        (int)cluster->server->settings.replicas) != 0) {
        log_warning("cluster: cannot build the placement table");
    } else {
        cluster->member_count = count;
    }
    free(members);
    log_notice("cluster: %d members, placement digest %016llx", count,
               (unsigned long long)cluster->placement.digest);
}

const int16_t *
cluster_slot_replicas(const struct cluster *cluster, unsigned int slot, int *count)
{
    return placement_replicas(&cluster->placement, slot, count);
}

int
cluster_member_alive(const struct cluster *cluster, int index)
{
    const struct member *member;

    if (index == CLUSTER_SELF) {
        return 1;
    }
    member = membership_member(cluster->membership, index);
    return member != NULL && member->liveness == MEMBER_ALIVE &&
           !cluster->network_dropped;
}

int
cluster_write_quorum(const struct cluster *cluster, int replica_count)
{
    switch (cluster->server->settings.write_consistency) {
    case WRITE_ONE:
        return replica_count > 0 ? 1 : 0;
    case WRITE_ALL:
        return replica_count;
    default:
        return replica_count / 2 + 1;
    }
}

int
cluster_owns_slot(const struct cluster *cluster, unsigned int slot)
{
    const int16_t *replicas;
    int count, i;

    if (!cluster_has_peers(cluster)) {
        return 1;
    }
    replicas = cluster_slot_replicas(cluster, slot, &count);
    for (i = 0; i < count; i++) {
        if (cluster_member_alive(cluster, replicas[i])) {
            return replicas[i] == CLUSTER_SELF;
        }
    }
    return 0;
}

/* HERD.OWNED <command> [arguments]: runs a keyspace listing restricted to
 * the slots this node owns. */
void
command_HERD_OWNED(struct client *c)
{
    const struct command_info *info = command_lookup(c->argv[1], c->argv_length[1]);
    const char **argv = c->argv;
    size_t *lengths = c->argv_length;

    if (info == NULL || (info->id != COMMAND_DBSIZE && info->id != COMMAND_KEYS &&
                         info->id != COMMAND_SCAN && info->id != COMMAND_RANDOMKEY)) {
        reply_error(c->reply, "ERR HERD.OWNED runs DBSIZE, KEYS, SCAN or RANDOMKEY only");
        return;
    }
    if (!command_arity_ok(info, c->argc - 1)) {
        reply_error_arity(c->reply, info->name);
        return;
    }
    c->argc--;
    c->argv++;
    c->argv_length++;
    c->flags |= CLIENT_OWNED_VIEW;
    command_handler_for(info->id)(c);
    c->flags &= ~CLIENT_OWNED_VIEW;
    c->argc++;
    c->argv = argv;
    c->argv_length = lengths;
}

int
cluster_has_peers(const struct cluster *cluster)
{
    return cluster != NULL && cluster->member_count > 1;
}

/* ------------------------------------------------------------------------
 * Membership glue
 * ------------------------------------------------------------------------ */

/* membership -> network: HERD.GOSSIP <encoded message>, reply ignored. */
static void
cluster_send_gossip(void *context, const char *to_address,
                    const struct membership_message *message)
{
    struct cluster *cluster = context;
    struct peer *peer = cluster_peer_for(cluster, to_address);
    unsigned char small[2048], *buffer = small;
    size_t length;
    const char *argv[2];
    size_t lengths[2];

    if (peer == NULL) {
        return;
    }
    length = membership_encode(message, buffer, sizeof(small));
    if (length == 0) {
        return;
    }
    if (length > sizeof(small)) {
        buffer = malloc(length);
        if (buffer == NULL || membership_encode(message, buffer, length) > length) {
            free(buffer);
            return;
        }
    }
    argv[0] = "HERD.GOSSIP";
    lengths[0] = 11;
    argv[1] = (const char *)buffer;
    lengths[1] = length;
    peer_send(peer, 2, argv, lengths, NULL, NULL);
    if (buffer != small) {
        free(buffer);
    }
}

/* membership -> node: a member was learnt or its liveness changed. */
static void
cluster_member_changed(void *context, const struct member *member, int previous)
{
    struct cluster *cluster = context;
    struct peer *peer;

    if (previous < 0) {
        log_notice("cluster: member %s at %s joined (%s)", member->id, member->address,
                   member_liveness_name(member->liveness));
        cluster->placement_stale = 1;
        return;
    }
    log_notice("cluster: member %s at %s is %s (was %s)", member->id, member->address,
               member_liveness_name(member->liveness),
               member_liveness_name((enum member_liveness)previous));
    if (member->liveness == MEMBER_DEAD) {
        peer = cluster_peer_for(cluster, member->address);
        if (peer != NULL) {
            peer_disconnect(peer, "the member is dead");
        }
    }
}

void
command_HERD_GOSSIP(struct client *c)
{
    struct cluster *cluster = c->server->cluster;
    struct membership_update *updates;
    struct membership_message message;

    if (cluster->network_dropped) {
        reply_error(c->reply, "ERR network dropped (DEBUG NET DROP)");
        return;
    }
    updates = malloc(MEMBERSHIP_MAX_MEMBERS * sizeof(*updates));
    if (updates == NULL) {
        reply_error(c->reply, "ERR out of memory");
        return;
    }
    if (membership_decode((const unsigned char *)c->argv[1], c->argv_length[1], &message,
                          updates, MEMBERSHIP_MAX_MEMBERS) != 0) {
        free(updates);
        reply_error(c->reply, "ERR malformed membership message");
        return;
    }
    membership_receive(cluster->membership, monotonic_milliseconds(), &message);
    free(updates);
    reply_ok(c->reply);
}

/* ------------------------------------------------------------------------
 * The tick
 * ------------------------------------------------------------------------ */

static void
cluster_tick(evutil_socket_t fd, short events, void *argument)
{
    struct cluster *cluster = argument;
    uint64_t now = monotonic_milliseconds();
    const struct node_settings *settings = &cluster->server->settings;
    uint64_t stall = (uint64_t)(settings->write_timeout > settings->probe_interval * 2
                                ? settings->write_timeout : settings->probe_interval * 2);
    int i;

    (void)fd;
    (void)events;
    membership_tick(cluster->membership, now);   /* sends fail under NET DROP */
    if (cluster->placement_stale) {
        cluster->placement_stale = 0;
        cluster_rebuild_placement(cluster);
    }
    for (i = 0; i < cluster->peer_count; i++) {
        peer_check_stall(cluster->peers[i], now, stall);
    }
    replication_tick(cluster, now);
    anti_entropy_tick(cluster, now);
    cluster_refresh_clock_bound(cluster);
}

/* ------------------------------------------------------------------------
 * Set-up
 * ------------------------------------------------------------------------ */

/* network_resolve_seed() callback: one more seed address. */
static void
cluster_seed_found(const char *address, void *context)
{
    struct cluster *cluster = context;

    membership_add_seed(cluster->membership, address);
}

/* Adds a seed line: each address a DNS name resolves to is a seed. */
static void
cluster_add_seed(struct cluster *cluster, const char *seed)
{
    if (network_resolve_seed(seed, cluster_seed_found, cluster) == 0) {
        log_warning("cluster: seed %s does not resolve; using it as given", seed);
        membership_add_seed(cluster->membership, seed);
    }
}

/* The membership state machine with the configured timings. */
static int
cluster_start_membership(struct cluster *cluster, uint64_t generation)
{
    const struct node_settings *settings = &cluster->server->settings;
    struct membership_config config;
    struct membership_callbacks callbacks;
    int i;

    config.probe_interval_ms = (uint64_t)settings->probe_interval;
    config.probe_timeout_ms = (uint64_t)settings->probe_timeout;
    config.indirect_checks = (int)settings->indirect_checks;
    config.suspicion_timeout_ms = (uint64_t)settings->suspicion_timeout;
    config.retransmit_multiplier = 4;
    config.push_pull_interval_ms = (uint64_t)settings->push_pull_interval;
    config.replicas = (int)settings->replicas;
    callbacks.send = cluster_send_gossip;
    callbacks.changed = cluster_member_changed;
    callbacks.context = cluster;
    cluster->membership = membership_new(&config, cluster->my_id, cluster->my_address,
                                         generation << CLUSTER_INCARNATION_SHIFT,
                                         random_seed(), &callbacks);
    if (cluster->membership == NULL) {
        return -1;
    }
    for (i = 0; i < settings->seed_count; i++) {
        cluster_add_seed(cluster, settings->seeds[i]);
    }
    return 0;
}

/* Timer of the tick: often enough for the probe timeout. */
static int
cluster_start_tick(struct cluster *cluster)
{
    long long interval = cluster->server->settings.probe_timeout / 2;
    struct timeval tick;

    if (interval > CLUSTER_TICK_MAX_MS) {
        interval = CLUSTER_TICK_MAX_MS;
    }
    if (interval < 1) {
        interval = 1;
    }
    tick.tv_sec = interval / 1000;
    tick.tv_usec = (interval % 1000) * 1000;
    cluster->tick_event = event_new(cluster->server->base, -1, EV_PERSIST, cluster_tick,
                                    cluster);
    if (cluster->tick_event == NULL) {
        return -1;
    }
    return event_add(cluster->tick_event, &tick);
}

struct cluster *
cluster_new(struct server *server, char *error, size_t error_size)
{
    const struct node_settings *settings = &server->settings;
    struct cluster *cluster = calloc(1, sizeof(*cluster));
    uint64_t generation;

    if (cluster == NULL) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    cluster->server = server;
    TAILQ_INIT(&cluster->batches);
    cluster->written_keys = tcmapnew2(1024);
    cluster->peers = calloc(CLUSTER_MAX_PEERS, sizeof(*cluster->peers));
    cluster->member_peer = calloc(PLACEMENT_MAX_MEMBERS, sizeof(*cluster->member_peer));
    if (cluster->peers == NULL || cluster->member_peer == NULL) {
        snprintf(error, error_size, "out of memory");
        goto fail;
    }
    if (settings->announce[0] != '\0') {
        snprintf(cluster->my_address, sizeof(cluster->my_address), "%s", settings->announce);
    } else {
        snprintf(cluster->my_address, sizeof(cluster->my_address), "%s:%lld",
                 settings->bind, settings->port);
    }
    if (cluster_load_identity(cluster, error, error_size) != 0) {
        goto fail;
    }
    generation = cluster_next_generation(settings->dir);
    if (generation == 0) {
        snprintf(error, error_size, "cannot write %s/%s: %s", settings->dir,
                 CLUSTER_GENERATION_FILE, strerror(errno));
        goto fail;
    }
    cluster_restore_clock_bound(cluster);
    if (cluster_start_membership(cluster, generation) != 0 || cluster_start_tick(cluster) != 0) {
        snprintf(error, error_size, "cannot start the membership protocol");
        goto fail;
    }
    cluster_rebuild_placement(cluster);
    log_notice("cluster: node id %s, address %s, %d seed(s), replicas %lld, "
               "write-consistency %s", cluster->my_id, cluster->my_address,
               settings->seed_count, settings->replicas,
               settings->write_consistency == WRITE_ONE ? "one"
               : settings->write_consistency == WRITE_ALL ? "all" : "quorum");
    return cluster;

fail:
    cluster_free(cluster);
    return NULL;
}

void
cluster_free(struct cluster *cluster)
{
    int i;

    if (cluster == NULL) {
        return;
    }
    if (cluster->tick_event != NULL) {
        event_free(cluster->tick_event);
    }
    for (i = 0; i < cluster->peer_count; i++) {
        peer_free(cluster->peers[i]);    /* pending requests fail now */
    }
    replication_free(cluster);
    if (cluster->membership != NULL) {
        membership_free(cluster->membership);
    }
    placement_free(&cluster->placement);
    if (cluster->written_keys != NULL) {
        tcmapdel(cluster->written_keys);
    }
    free(cluster->peers);
    free(cluster->member_peer);
    free(cluster);
}
