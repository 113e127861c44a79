/*
 * t_cluster.c — CLUSTER (membership status, digests) and DEBUG (fault
 * switches for tests) on herd-node.
 *
 *   CLUSTER MYID | NODES | MEMBERS | INFO | DIGEST | SLOTDIGEST slot | HELP
 *   DEBUG NET DROP | NET HEAL | HELP      (needs enable-debug-command yes)
 */
#include <stdio.h>
#include <string.h>
#include "shared/checksum.h"
#include "shared/log.h"
#include "shared/number.h"
#include "shared/reply.h"
#include "node/cluster.h"
#include "node/db.h"
#include "node/peer.h"
#include "node/server.h"
#include "node/t_common.h"

static const char *const cluster_help[] = {
    "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "MYID",
    "    Return this node's id.",
    "NODES",
    "    One line per member: id, address, liveness, ring status, incarnation.",
    "MEMBERS",
    "    The membership as an array: digest, replicas, [id, address, liveness, status, incarnation]...",
    "INFO",
    "    Membership, replication and repair counters.",
    "DIGEST",
    "    A digest of every key version this node holds (equal on converged replicas).",
    "SLOTDIGEST <slot>",
    "    The digest of one slot.",
    "HELP",
    "    Print this help.",
    NULL
};

static void
reply_help(struct client *c, const char *const *lines)
{
    long long count = 0;
    int i;

    while (lines[count] != NULL) {
        count++;
    }
    reply_array_header(c->reply, count);
    for (i = 0; lines[i] != NULL; i++) {
        reply_status(c->reply, lines[i]);
    }
}

/* The members this node knows (and 1 when only itself). */
static int
member_count(const struct cluster *cluster)
{
    return membership_count(cluster->membership);
}

static void
cluster_nodes(struct client *c, struct cluster *cluster)
{
    struct evbuffer *text = evbuffer_new();
    const struct member *member;
    int i;

    for (i = 0; i < member_count(cluster); i++) {
        member = membership_member(cluster->membership, i);
        evbuffer_add_printf(text, "%s %s %s normal %llu%s\n", member->id, member->address,
                            member_liveness_name(member->liveness),
                            (unsigned long long)member->incarnation,
                            i == CLUSTER_SELF ? " myself" : "");
    }
    reply_bulk(c->reply, evbuffer_pullup(text, -1), evbuffer_get_length(text));
    evbuffer_free(text);
}

static void
cluster_members(struct client *c, struct cluster *cluster)
{
    char digest[17];
    const struct member *member;
    int i;

    snprintf(digest, sizeof(digest), "%016llx",
             (unsigned long long)membership_digest(cluster->membership));
    reply_array_header(c->reply, 3);
    reply_bulk_cstring(c->reply, digest);
    reply_integer(c->reply, c->server->settings.replicas);
    reply_array_header(c->reply, member_count(cluster));
    for (i = 0; i < member_count(cluster); i++) {
        member = membership_member(cluster->membership, i);
        reply_array_header(c->reply, 5);
        reply_bulk_cstring(c->reply, member->id);
        reply_bulk_cstring(c->reply, member->address);
        reply_bulk_cstring(c->reply, member_liveness_name(member->liveness));
        reply_bulk_cstring(c->reply, "normal");
        reply_integer(c->reply, (long long)member->incarnation);
    }
}

/* A digest over every slot's running digest (equal on replicas holding
 * the same versions of the same slots). */
static uint64_t
node_digest(struct server *server)
{
    unsigned char bytes[8];
    uint64_t digest = 0;
    unsigned int slot;

    for (slot = 0; slot < SLOT_COUNT; slot++) {
        record_write_be64(bytes, db_slot_digest_now(server, slot));
        digest = mix64(digest ^ hash64(bytes, sizeof(bytes)) ^ slot);
    }
    return digest;
}

static void
cluster_info(struct client *c, struct cluster *cluster)
{
    const struct node_settings *settings = &c->server->settings;
    const struct cluster_stats *stats = &cluster->stats;
    struct evbuffer *text = evbuffer_new();
    int i, alive = 0;

    for (i = 0; i < member_count(cluster); i++) {
        alive += cluster_member_alive(cluster, i);
    }
    evbuffer_add_printf(text,
        "cluster_state:%s\r\n"
        "cluster_my_id:%s\r\n"
        "cluster_known_nodes:%d\r\n"
        "cluster_alive_nodes:%d\r\n"
        "cluster_replicas:%lld\r\n"
        "cluster_digest:%016llx\r\n"
        "cluster_write_consistency:%s\r\n"
        "cluster_network_dropped:%d\r\n"
        "hints_pending:%llu\r\n"
        "hints_replayed:%llu\r\n"
        "hints_dropped:%llu\r\n"
        "tombstones:%llu\r\n"
        "tombstones_purged:%llu\r\n"
        "replication_writes_sent:%llu\r\n"
        "replication_acks:%llu\r\n"
        "replication_applied:%llu\r\n"
        "writes_unavailable:%llu\r\n"
        "writes_timed_out:%llu\r\n"
        "anti_entropy_rounds:%llu\r\n"
        "anti_entropy_slots_compared:%llu\r\n"
        "anti_entropy_keys_repaired:%llu\r\n",
        alive * 2 > member_count(cluster) ? "ok" : "fail", cluster->my_id,
        member_count(cluster), alive, settings->replicas,
        (unsigned long long)membership_digest(cluster->membership),
        settings->write_consistency == WRITE_ONE ? "one"
        : settings->write_consistency == WRITE_ALL ? "all" : "quorum",
        cluster->network_dropped,
        (unsigned long long)replication_hints_pending(cluster),
        (unsigned long long)stats->hints_replayed, (unsigned long long)stats->hints_dropped,
        (unsigned long long)db_tombstone_count(c->server),
        (unsigned long long)stats->tombstones_purged,
        (unsigned long long)stats->replication_writes_sent,
        (unsigned long long)stats->replication_acks,
        (unsigned long long)stats->replication_applied,
        (unsigned long long)stats->writes_unavailable,
        (unsigned long long)stats->writes_timed_out,
        (unsigned long long)stats->anti_entropy_rounds,
        (unsigned long long)stats->anti_entropy_slots_compared,
        (unsigned long long)stats->anti_entropy_keys_repaired);
    reply_bulk(c->reply, evbuffer_pullup(text, -1), evbuffer_get_length(text));
    evbuffer_free(text);
}

static void
reply_hex64(struct client *c, uint64_t value)
{
    char text[17];

    snprintf(text, sizeof(text), "%016llx", (unsigned long long)value);
    reply_bulk(c->reply, text, 16);
}

void
command_CLUSTER(struct client *c)
{
    struct cluster *cluster = c->server->cluster;
    long long slot;

    if (c->argc == 2 && argument_is(c, 1, "help")) {
        reply_help(c, cluster_help);
    } else if (c->argc == 2 && argument_is(c, 1, "myid")) {
        reply_bulk_cstring(c->reply, cluster->my_id);
    } else if (c->argc == 2 && argument_is(c, 1, "nodes")) {
        cluster_nodes(c, cluster);
    } else if (c->argc == 2 && argument_is(c, 1, "members")) {
        cluster_members(c, cluster);
    } else if (c->argc == 2 && argument_is(c, 1, "info")) {
        cluster_info(c, cluster);
    } else if (c->argc == 2 && argument_is(c, 1, "digest")) {
        reply_hex64(c, node_digest(c->server));
    } else if (c->argc == 3 && argument_is(c, 1, "slotdigest")) {
        if (!string_to_long_long(c->argv[2], c->argv_length[2], &slot) || slot < 0 ||
            slot >= SLOT_COUNT) {
            reply_error(c->reply, "ERR Invalid or out of range slot");
            return;
        }
        reply_hex64(c, db_slot_digest_now(c->server, (unsigned int)slot));
    } else {
        reply_error_unknown_subcommand(c->reply, c->argv[1], c->argv_length[1], "CLUSTER");
    }
}

static const char *const debug_help[] = {
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "NET DROP",
    "    Drop every message to and from the other members (a partition of this node).",
    "NET HEAL",
    "    End NET DROP.",
    "HELP",
    "    Print this help.",
    NULL
};

/* DEBUG NET DROP|HEAL: the in-node partition switch of the fault tests. */
void
command_DEBUG(struct client *c)
{
    struct cluster *cluster = c->server->cluster;
    int i;

    if (!c->server->settings.enable_debug_command) {
        reply_error(c->reply, "ERR DEBUG command not allowed. If the enable-debug-command "
                              "option is set to \"local\", you can run it from a local "
                              "connection, otherwise you need to set this option in the "
                              "configuration file, and then restart the server.");
        return;
    }
    if (c->argc == 2 && argument_is(c, 1, "help")) {
        reply_help(c, debug_help);
    } else if (c->argc == 3 && argument_is(c, 1, "net") && argument_is(c, 2, "drop")) {
        cluster->network_dropped = 1;
        for (i = 0; i < cluster->peer_count; i++) {
            peer_disconnect(cluster->peers[i], "DEBUG NET DROP");
        }
        log_notice("cluster: DEBUG NET DROP: every peer message is dropped");
        reply_ok(c->reply);
    } else if (c->argc == 3 && argument_is(c, 1, "net") && argument_is(c, 2, "heal")) {
        cluster->network_dropped = 0;
        log_notice("cluster: DEBUG NET HEAL: peer messages flow again");
        reply_ok(c->reply);
    } else {
        reply_error_unknown_subcommand(c->reply, c->argv[1], c->argv_length[1], "DEBUG");
    }
}
