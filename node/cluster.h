/*
 * cluster.h — herd-node as a member of a cluster: membership (SWIM, in
 * node/membership.c), connections to the other members (node/peer.c),
 * replication of writes with write-consistency, hinted handoff
 * (node/replication.c) and anti-entropy with tombstone garbage collection
 * (node/antientropy.c).
 *
 * A node without seeds and without peers is standalone: every slot is its
 * own, nothing is replicated, and it behaves as a single Redis-like server.
 *
 * Internal commands between members (never forwarded by a proxy; with a
 * cluster secret only from peers that proved it):
 *   HERD.GOSSIP <message>     a membership message (membership_encode)
 *   HERD.REPL <key> <state>   apply a key's state when newer (keystate.h)
 *   HERD.FETCH <key>          the key's state, or nil
 *   HERD.DIGESTS              every slot's digest (SLOT_COUNT x 8 bytes, BE)
 *   HERD.SLOTKEYS <slot>      [key, version (11 bytes), ...] of a slot's
 *                             live keys and tombstones
 *   HERD.OWNED <command>      DBSIZE, KEYS, SCAN or RANDOMKEY over the slots
 *                             this node owns (how a proxy lists a replicated
 *                             keyspace without counting a key per replica)
 */
#ifndef HERD_NODE_CLUSTER_H
#define HERD_NODE_CLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <event2/event.h>
#include <tcutil.h>
#include "shared/clock.h"
#include "shared/placement.h"
#include "shared/slot.h"
#include "node/membership.h"

struct server;
struct client;
struct peer;
struct replication_batch;
struct command_info;

/* write-consistency values. */
enum write_consistency {
    WRITE_ONE,
    WRITE_QUORUM,
    WRITE_ALL
};

/* Counters shown by CLUSTER INFO. */
struct cluster_stats {
    uint64_t replication_writes_sent;   /* HERD.REPL sent (writes and hints) */
    uint64_t replication_acks;          /* HERD.REPL acknowledged */
    uint64_t replication_applied;       /* states received that were newer */
    uint64_t writes_unavailable;        /* refused: too few live replicas */
    uint64_t writes_timed_out;          /* answered -NOQUORUM */
    uint64_t hints_replayed;
    uint64_t hints_dropped;             /* over hint-max-keys */
    uint64_t anti_entropy_rounds;
    uint64_t anti_entropy_slots_compared;  /* slots whose key lists were swapped */
    uint64_t anti_entropy_keys_repaired;   /* keys pushed or pulled */
    uint64_t tombstones_purged;
};

/* The node's cluster state (one per server). */
struct cluster {
    struct server          *server;
    char                    my_id[MEMBERSHIP_ID_MAX];
    char                    my_address[MEMBERSHIP_ADDRESS_MAX];
    struct membership      *membership;
    int                     member_count;     /* placement built for this many */
    struct placement_table  placement;        /* indexes = membership indexes */
    struct peer           **peers;            /* by address, PLACEMENT_MAX_MEMBERS + seeds */
    int                     peer_count;
    struct peer           **member_peer;      /* membership index -> peer (NULL: me) */
    struct event           *tick_event;       /* membership, timeouts, hints, repair */
    int                     network_dropped;  /* DEBUG NET DROP */
    int                     placement_stale;  /* a member joined: rebuild */
    /* Replication (node/replication.c). */
    TCMAP                  *written_keys;     /* keys written in the open batch */
    TAILQ_HEAD(, replication_batch) batches;  /* waiting for acks, oldest first */
    uint64_t                next_batch;
    uint64_t                last_hint_replay_ms;
    /* Anti-entropy (node/antientropy.c). */
    uint64_t                last_anti_entropy_ms;
    uint64_t                last_tombstone_sweep_ms;
    int                     anti_entropy_next;   /* round-robin over members */
    int                     anti_entropy_busy;   /* a round is in flight */
    uint64_t                last_clock_bound_ms; /* hlc bound file refreshed */
    uint64_t                clock_bound_ms;      /* the bound written last */
    struct cluster_stats    stats;
};

/* --- node/cluster.c --- */

/* Sets the cluster up from the settings: node id (created in the data
 * directory at first start), membership with the seeds, the tick timer.
 * Returns NULL with a message in error. */
struct cluster *cluster_new(struct server *server, char *error, size_t error_size);
void cluster_free(struct cluster *cluster);
/* 1 when the node has other members (replication and repair are on). */
int  cluster_has_peers(const struct cluster *cluster);
/* The home replicas of a slot (membership indexes, best first). */
const int16_t *cluster_slot_replicas(const struct cluster *cluster, unsigned int slot,
                                     int *count);
/* 1 when a member counts as alive (this node itself always does). */
int  cluster_member_alive(const struct cluster *cluster, int index);
/* The index of this node in the membership (always 0). */
#define CLUSTER_SELF 0
/* Acknowledgements a write needs in total: 1, a majority or every home
 * replica (write-consistency), of `replica_count` home replicas. */
int  cluster_write_quorum(const struct cluster *cluster, int replica_count);
/* 1 when this node answers for the slot in listings through a proxy
 * (HERD.OWNED): it is the slot's first live home replica (a standalone
 * node owns every slot). */
int  cluster_owns_slot(const struct cluster *cluster, unsigned int slot);
/* The peer connection of a member (NULL for this node). */
struct peer *cluster_member_peer(struct cluster *cluster, int index);

/* --- node/replication.c --- */

/* The db layer wrote a key (not an applied state, not an expiry). */
void cluster_key_written(struct cluster *cluster, const char *key, size_t key_length);
/* Before a write command runs: every key's slot must be held by this node
 * (else -NOTHOME: a proxy with a stale view) and have enough live home
 * replicas for write-consistency (else -UNAVAILABLE).  Returns 1 to go on,
 * 0 when the command was answered. */
int  cluster_write_allowed(struct cluster *cluster, struct client *c,
                           const struct command_info *info);
/* The batch just committed: sends every written key's state to its other
 * home replicas and holds the replies of the batch's clients (those on
 * server->waiting_commit) until write-consistency is met.  Returns 1 when
 * the clients are held, 0 when they may be answered now. */
int  cluster_batch_committed(struct cluster *cluster);
/* Notes that the reply of a write command starts / ends at these offsets
 * of c->reply (replaced by -NOQUORUM if its batch times out). */
void cluster_note_write_reply(struct client *c, size_t start, size_t end);
/* The client goes away: forget its holds. */
void cluster_client_gone(struct client *c);
/* Timeouts of held batches, hint replay (called from the tick). */
void replication_tick(struct cluster *cluster, uint64_t now_ms);
/* Fails every held batch and frees the replication state (shutdown). */
void replication_free(struct cluster *cluster);
/* Hints waiting, over every peer. */
uint64_t replication_hints_pending(const struct cluster *cluster);
/* Remembers that a peer missed a key (hinted handoff). */
void replication_hint(struct cluster *cluster, struct peer *peer, const char *key,
                      size_t key_length);
/* Sends a key's current state to a peer (hint replay, anti-entropy push);
 * on failure the key becomes a hint. */
void replication_push_key(struct cluster *cluster, struct peer *peer, const char *key,
                          size_t key_length);

/* --- node/antientropy.c --- */

/* One key in a slot's key list. */
struct anti_entropy_entry {
    const char     *key;
    size_t          key_length;
    struct version  version;
    int             tombstone;
};

/*
 * Compares a slot's key list here (`local`) with a member's (`remote`),
 * leaving out tombstones older than grace_ms at now_ms (wall clock): calls
 * push() for every key newer or only here, pull() for every key newer or
 * only there.  Pure (no I/O), so tests drive it directly.  Returns the
 * number of differences (0: the slot is in sync).
 */
int  anti_entropy_compare(const struct anti_entropy_entry *local, int local_count,
                          const struct anti_entropy_entry *remote, int remote_count,
                          uint64_t now_ms, uint64_t grace_ms,
                          void (*push)(void *context, const struct anti_entropy_entry *entry),
                          void (*pull)(void *context, const struct anti_entropy_entry *entry),
                          void *context);

/* Starts a round with the next member when one is due; sweeps tombstones. */
void anti_entropy_tick(struct cluster *cluster, uint64_t now_ms);

#endif
