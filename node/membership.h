/*
 * membership.h — who is in the cluster and who is alive: a SWIM-style
 * failure detector with piggybacked dissemination, written as a pure state
 * machine.
 *
 * The state machine owns no socket, no timer and no clock.  The node's glue
 * (node/cluster.c) feeds it time and the messages that arrive, and it hands
 * back, through callbacks, the messages to send and the changes it decided.
 * A test drives several instances with a fake clock and a fake network in
 * one process (tests/unit/test_node_membership.c).
 *
 * Protocol, per instance:
 *   - Every probe_interval_ms it probes one member, picked round-robin over
 *     a shuffled list of the others: PING(sequence).  The target answers
 *     ACK(sequence).  No ACK within probe_timeout_ms: it asks up to
 *     indirect_checks other alive members to probe the target for it
 *     (PING_REQUEST); they relay the target's ACK back.  No ACK, direct or
 *     relayed, by the end of the probe interval: the target becomes SUSPECT.
 *   - A SUSPECT member that does not refute within suspicion_timeout_ms is
 *     declared DEAD.  A member refutes a suspicion (or a death) about
 *     itself by raising its incarnation number and spreading ALIVE.
 *   - Updates ride on every message (at most MEMBERSHIP_PIGGYBACK_MAX per
 *     message), each sent about retransmit_multiplier * log2(n + 1) times.
 *   - Every message carries the sender's membership digest; a different
 *     digest, and every push_pull_interval_ms with one random member, makes
 *     the two exchange their full member lists (SYNC / SYNC_REPLY).
 *   - A seed is an address without a known id: membership_add_seed() makes
 *     the instance send SYNC to it at every probe interval until a member
 *     with that address is known.
 *
 * Merge rule for a member's record (commutative, idempotent): the higher
 * incarnation wins; at equal incarnation DEAD beats SUSPECT beats ALIVE.
 * Rumours about oneself are refuted, never accepted.  Members are never
 * removed: liveness does not change placement (a DEAD member keeps its
 * slots, and its replicas serve them).
 */
#ifndef HERD_NODE_MEMBERSHIP_H
#define HERD_NODE_MEMBERSHIP_H

#include <stddef.h>
#include <stdint.h>
#include "shared/placement.h"

#define MEMBERSHIP_ID_MAX          PLACEMENT_ID_MAX   /* with the NUL */
#define MEMBERSHIP_ADDRESS_MAX     280                /* "host:port" with the NUL */
#define MEMBERSHIP_MAX_MEMBERS     PLACEMENT_MAX_MEMBERS
#define MEMBERSHIP_PIGGYBACK_MAX   8
#define MEMBERSHIP_SEEDS_MAX       64

/* A member's liveness as this instance believes it. */
enum member_liveness {
    MEMBER_ALIVE   = 0,
    MEMBER_SUSPECT = 1,
    MEMBER_DEAD    = 2
};

/* What the instance knows about one member (itself included). */
struct member {
    char                 id[MEMBERSHIP_ID_MAX];
    char                 address[MEMBERSHIP_ADDRESS_MAX];
    uint64_t             incarnation;
    enum member_liveness liveness;
    uint64_t             changed_ms;     /* when liveness last changed here */
    int                  myself;         /* 1 for the instance's own record */
    /* Private to membership.c (suspicion deadline, retransmit count...). */
    uint64_t             suspect_deadline_ms;
    int                  retransmits_left;
};

/* Timings and fan-outs.  Every value > 0. */
struct membership_config {
    uint64_t probe_interval_ms;
    uint64_t probe_timeout_ms;       /* < probe_interval_ms */
    int      indirect_checks;
    uint64_t suspicion_timeout_ms;
    int      retransmit_multiplier;
    uint64_t push_pull_interval_ms;
    int      replicas;               /* carried in the digest */
};

/* Kinds of message. */
enum membership_message_type {
    MEMBERSHIP_PING = 1,
    MEMBERSHIP_ACK,
    MEMBERSHIP_PING_REQUEST,   /* "probe target_address for me" */
    MEMBERSHIP_SYNC,           /* full list; answer with SYNC_REPLY */
    MEMBERSHIP_SYNC_REPLY      /* full list */
};

/* One member record carried by a message. */
struct membership_update {
    char                 id[MEMBERSHIP_ID_MAX];
    char                 address[MEMBERSHIP_ADDRESS_MAX];
    uint64_t             incarnation;
    enum member_liveness liveness;
};

/*
 * One message.  PING/ACK/PING_REQUEST carry up to MEMBERSHIP_PIGGYBACK_MAX
 * updates in `updates`; SYNC/SYNC_REPLY carry the full list (up to
 * MEMBERSHIP_MAX_MEMBERS; `updates` then points at a larger array owned by
 * whoever built the message).
 */
struct membership_message {
    enum membership_message_type type;
    uint64_t                  sequence;
    char                      from_id[MEMBERSHIP_ID_MAX];
    char                      from_address[MEMBERSHIP_ADDRESS_MAX];
    uint64_t                  from_incarnation;
    char                      target_address[MEMBERSHIP_ADDRESS_MAX]; /* PING_REQUEST;
                                               ACK relayed: the target's address */
    uint64_t                  digest;          /* sender's membership_digest() */
    int                       update_count;
    struct membership_update *updates;
};

/* Callbacks to the glue.  `send` must not call back into the instance;
 * the message (and its updates) is valid only during the call. */
struct membership_callbacks {
    void (*send)(void *context, const char *to_address,
                 const struct membership_message *message);
    /* A member was learnt (added) or its liveness changed; `previous` is
     * -1 for a new member. */
    void (*changed)(void *context, const struct member *member, int previous);
    void *context;
};

struct membership;   /* private to membership.c */

/* Creates an instance knowing only itself (ALIVE at `incarnation`).
 * `random_seed` seeds its own generator (probe order, helpers picked),
 * so a test run is replayable.  NULL on bad arguments or no memory. */
struct membership *membership_new(const struct membership_config *config,
                                  const char *my_id, const char *my_address,
                                  uint64_t incarnation, uint64_t random_seed,
                                  const struct membership_callbacks *callbacks);
void membership_free(struct membership *membership);

/* Adds a seed address (ignored when it is our own).  Returns 0 or -1
 * (too many seeds, address too long). */
int  membership_add_seed(struct membership *membership, const char *address);

/* Advances time: starts probes, expires probe timeouts and suspicions,
 * sends SYNC to unknown seeds and push/pull partners.  Call it at least
 * every probe_timeout_ms / 2 (the glue uses a short periodic timer). */
void membership_tick(struct membership *membership, uint64_t now_ms);

/* Handles one message that arrived at `now_ms`. */
void membership_receive(struct membership *membership, uint64_t now_ms,
                        const struct membership_message *message);

/* Members, in a stable order (the order they were learnt; index 0 is the
 * instance itself).  A returned pointer stays valid only until the next
 * membership_tick() or membership_receive() (adding a member may move the
 * records). */
int  membership_count(const struct membership *membership);
const struct member *membership_member(const struct membership *membership, int index);
/* The member with this id, or NULL. */
const struct member *membership_find(const struct membership *membership, const char *id);
/* Digest of the membership: placement_digest() of every member's id
 * (all own data) with config->replicas.  Equal digests, equal placement. */
uint64_t membership_digest(const struct membership *membership);

/* Wire form of a message (what HERD.GOSSIP carries): binary, versioned,
 * length-checked.  membership_encode() returns the bytes needed (0 when the
 * message cannot be encoded: bad type, empty or unterminated id/address,
 * too many updates); when that exceeds `capacity` nothing useful was
 * written (call again with a bigger buffer).  membership_decode() fills *message, pointing `updates` at
 * `updates` (room for `capacity` records); returns 0, or -1 for anything
 * malformed (never reads outside data[0..length)). */
size_t membership_encode(const struct membership_message *message,
                         unsigned char *out, size_t capacity);
int  membership_decode(const unsigned char *data, size_t length,
                       struct membership_message *message,
                       struct membership_update *updates, int capacity);

const char *member_liveness_name(enum member_liveness liveness); /* "alive"... */

#endif
