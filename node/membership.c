/*
 * membership.c — the SWIM failure detector as a pure state machine: probes,
 * indirect probes, suspicion, refutation by incarnation, piggybacked
 * dissemination, full-list exchange (SYNC), and the binary wire form.
 *
 * Nothing here reads a clock, opens a socket or sets a timer: time comes in
 * through membership_tick() and membership_receive(), messages go out
 * through callbacks->send.
 *
 * Beyond the header's protocol, two details make convergence certain:
 *   - every member is probed, DEAD ones included, so a member that comes
 *     back is noticed without anyone having to remember it;
 *   - a message to a member this instance believes SUSPECT or DEAD carries
 *     that member's record first ("buddy" rumour), so the member hears the
 *     accusation directly and refutes it in its answer.
 */
#include <stdlib.h>
#include <string.h>

#include "node/membership.h"
#include "shared/random.h"

/* Helpers that relay a probe for someone else, remembered at once. */
#define MEMBERSHIP_RELAYS_MAX 32

/* Wire form constants. */
#define WIRE_MAGIC_0  0x48   /* 'H' */
#define WIRE_MAGIC_1  0x47   /* 'G' */
#define WIRE_VERSION  1

/* One member record plus what only this file uses. */
struct member_record {
    struct member public;           /* what membership_member() returns */
    uint64_t      update_serial;    /* order of queued updates, newest highest */
    uint64_t      last_sync_ms;     /* last digest-mismatch SYNC sent to it */
    int           synced_once;      /* last_sync_ms is meaningful */
};

/* A PING this instance sent on behalf of a requester (PING_REQUEST). */
struct membership_relay {
    int      in_use;
    uint64_t sequence;                         /* of our PING to the target */
    uint64_t requester_sequence;               /* echoed in the relayed ACK */
    uint64_t expires_ms;
    char     requester_address[MEMBERSHIP_ADDRESS_MAX];
    char     target_address[MEMBERSHIP_ADDRESS_MAX];
};

/* The probe in progress. */
struct membership_probe {
    int      active;
    int      acked;
    int      indirect_sent;
    int      target;                           /* index into records */
    uint64_t sequence;
    uint64_t started_ms;
};

/* One instance of the protocol. */
struct membership {
    struct membership_config    config;
    struct membership_callbacks callbacks;
    struct member_record       *records;       /* [0] is ourselves */
    int                         count;
    int                         capacity;
    uint64_t                    digest;        /* cached; members only grow */
    uint64_t                    random_state;
    uint64_t                    next_sequence;
    uint64_t                    next_update_serial;

    int                        *probe_order;   /* shuffled record indexes */
    int                         probe_order_count;
    int                         probe_position;
    struct membership_probe     probe;
    struct membership_relay     relays[MEMBERSHIP_RELAYS_MAX];

    char                        seeds[MEMBERSHIP_SEEDS_MAX][MEMBERSHIP_ADDRESS_MAX];
    int                         seed_count;

    int                         started;       /* first tick seen */
    uint64_t                    now_ms;        /* latest time seen, never decreases */
    uint64_t                    last_tick_ms;
    uint64_t                    next_probe_ms;
    uint64_t                    next_seed_ms;
    uint64_t                    next_push_pull_ms;
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

const char *
member_liveness_name(enum member_liveness liveness)
{
    switch (liveness) {
    case MEMBER_ALIVE:   return "alive";
    case MEMBER_SUSPECT: return "suspect";
    case MEMBER_DEAD:    return "dead";
    }
    return "unknown";
}

/* Nonzero when s is a NUL-terminated, nonempty string within `size` bytes. */
static int
string_fits(const char *s, size_t size)
{
    size_t length = strnlen(s, size);

    return length > 0 && length < size;
}

/* A uniformly distributed integer in [0, bound), bound > 0. */
static int
random_below(struct membership *membership, int bound)
{
    return (int)(random_next(&membership->random_state) % (uint64_t)bound);
}

/* ceil(log2(n + 1)) for n >= 1. */
static int
ceil_log2_plus_one(int n)
{
    int bits = 0;
    unsigned int value = (unsigned int)n;

    /* The bit length of n equals ceil(log2(n + 1)). */
    while (value > 0) {
        bits++;
        value >>= 1;
    }
    return bits > 0 ? bits : 1;
}

/* How many times a fresh update is piggybacked. */
static int
retransmit_limit(const struct membership *membership)
{
    return membership->config.retransmit_multiplier * ceil_log2_plus_one(membership->count);
}

static struct member_record *
record_by_id(struct membership *membership, const char *id)
{
    int i;

    for (i = 0; i < membership->count; i++) {
        if (strcmp(membership->records[i].public.id, id) == 0) {
            return &membership->records[i];
        }
    }
    return NULL;
}

/* The member (not ourselves) whose address is `address`, or NULL. */
static struct member_record *
record_by_address(struct membership *membership, const char *address)
{
    int i;

    for (i = 1; i < membership->count; i++) {
        if (strcmp(membership->records[i].public.address, address) == 0) {
            return &membership->records[i];
        }
    }
    return NULL;
}

/* Marks a record as news to piggyback, newest first. */
static void
queue_update(struct membership *membership, struct member_record *record)
{
    record->update_serial = ++membership->next_update_serial;
    record->public.retransmits_left = retransmit_limit(membership);
}

static void
notify_changed(struct membership *membership, const struct member_record *record,
               int previous)
{
    if (membership->callbacks.changed != NULL) {
        membership->callbacks.changed(membership->callbacks.context, &record->public,
                                      previous);
    }
}

/* Sets a member's liveness (at its current incarnation), arming the
 * suspicion timer when it becomes SUSPECT, and tells the glue. */
static void
set_liveness(struct membership *membership, struct member_record *record,
             enum member_liveness liveness)
{
    int previous = (int)record->public.liveness;

    if (liveness == MEMBER_SUSPECT && record->public.liveness != MEMBER_SUSPECT) {
        record->public.suspect_deadline_ms =
            membership->now_ms + membership->config.suspicion_timeout_ms;
    }
    if ((int)liveness == previous) {
        return;
    }
    record->public.liveness = liveness;
    record->public.changed_ms = membership->now_ms;
    notify_changed(membership, record, previous);
}

/* Recomputes the cached digest (after an addition). */
static void
refresh_digest(struct membership *membership)
{
    struct placement_member *members;
    int i;

    members = calloc((size_t)membership->count, sizeof(*members));
    if (members == NULL) {
        return;   /* keep the old value; the next addition retries */
    }
    for (i = 0; i < membership->count; i++) {
        memcpy(members[i].id, membership->records[i].public.id, MEMBERSHIP_ID_MAX);
        members[i].owns_data = 1;
    }
    membership->digest = placement_digest(members, membership->count,
                                          membership->config.replicas);
    free(members);
}

/* Appends a record; returns it, or NULL when full or out of memory. */
static struct member_record *
append_record(struct membership *membership, const char *id, const char *address,
              uint64_t incarnation, enum member_liveness liveness)
{
    struct member_record *record;

    if (membership->count >= MEMBERSHIP_MAX_MEMBERS) {
        return NULL;
    }
    if (membership->count == membership->capacity) {
        int capacity = membership->capacity * 2;
        struct member_record *grown;

        if (capacity > MEMBERSHIP_MAX_MEMBERS) {
            capacity = MEMBERSHIP_MAX_MEMBERS;
        }
        grown = realloc(membership->records, sizeof(*grown) * (size_t)capacity);
        if (grown == NULL) {
            return NULL;
        }
        membership->records = grown;
        membership->capacity = capacity;
    }
    record = &membership->records[membership->count++];
    memset(record, 0, sizeof(*record));
    strncpy(record->public.id, id, MEMBERSHIP_ID_MAX - 1);
    strncpy(record->public.address, address, MEMBERSHIP_ADDRESS_MAX - 1);
    record->public.incarnation = incarnation;
    record->public.liveness = liveness;
    record->public.changed_ms = membership->now_ms;
    if (liveness == MEMBER_SUSPECT) {
        record->public.suspect_deadline_ms =
            membership->now_ms + membership->config.suspicion_timeout_ms;
    }
    refresh_digest(membership);
    return record;
}

/* ------------------------------------------------------------------ */
/* Merging                                                             */
/* ------------------------------------------------------------------ */

/* A rumour about ourselves: refute anything that is not "alive at our
 * incarnation or below" by moving above it. */
static void
merge_about_myself(struct membership *membership, uint64_t incarnation,
                   enum member_liveness liveness)
{
    struct member_record *self = &membership->records[0];

    if (incarnation < self->public.incarnation) {
        return;
    }
    if (incarnation == self->public.incarnation && liveness == MEMBER_ALIVE) {
        return;
    }
    if (incarnation == UINT64_MAX) {
        return;   /* cannot move above it; never happens in practice */
    }
    self->public.incarnation = incarnation + 1;
    queue_update(membership, self);
}

/* Applies one record by the merge rule.  Returns nothing: callers learn
 * about changes through the callbacks. */
static void
merge_record(struct membership *membership, const char *id, const char *address,
             uint64_t incarnation, enum member_liveness liveness)
{
    struct member_record *record;

    if (strcmp(id, membership->records[0].public.id) == 0) {
        merge_about_myself(membership, incarnation, liveness);
        return;
    }
    record = record_by_id(membership, id);
    if (record == NULL) {
        record = append_record(membership, id, address, incarnation, liveness);
        if (record != NULL) {
            queue_update(membership, record);
            notify_changed(membership, record, -1);
        }
        return;
    }
    if (incarnation < record->public.incarnation) {
        return;
    }
    if (incarnation == record->public.incarnation && liveness <= record->public.liveness) {
        return;
    }
    if (incarnation > record->public.incarnation) {
        /* A newer life of the member: its address may have moved, and a
         * suspicion of the new life gets a full timer of its own. */
        record->public.incarnation = incarnation;
        memcpy(record->public.address, address, MEMBERSHIP_ADDRESS_MAX);
        if (liveness == MEMBER_SUSPECT) {
            record->public.suspect_deadline_ms =
                membership->now_ms + membership->config.suspicion_timeout_ms;
        }
    }
    set_liveness(membership, record, liveness);
    queue_update(membership, record);
}

/* ------------------------------------------------------------------ */
/* Sending                                                             */
/* ------------------------------------------------------------------ */

static void
copy_update(struct membership_update *update, const struct member *member)
{
    memcpy(update->id, member->id, MEMBERSHIP_ID_MAX);
    memcpy(update->address, member->address, MEMBERSHIP_ADDRESS_MAX);
    update->incarnation = member->incarnation;
    update->liveness = member->liveness;
}

/* Fills updates[] with the piggyback for a message to `recipient` (may be
 * NULL): the recipient's own record first when we think it is not alive,
 * then queued updates, newest first.  Returns how many. */
static int
fill_piggyback(struct membership *membership, const struct member_record *recipient,
               struct membership_update *updates)
{
    uint64_t bound = UINT64_MAX;
    int count = 0;

    if (recipient != NULL && recipient->public.liveness != MEMBER_ALIVE) {
        copy_update(&updates[count++], &recipient->public);
    }
    while (count < MEMBERSHIP_PIGGYBACK_MAX) {
        struct member_record *best = NULL;
        int i;

        for (i = 0; i < membership->count; i++) {
            struct member_record *record = &membership->records[i];

            if (record->public.retransmits_left > 0 && record->update_serial < bound &&
                record != recipient &&
                (best == NULL || record->update_serial > best->update_serial)) {
                best = record;
            }
        }
        if (best == NULL) {
            break;
        }
        bound = best->update_serial;
        best->public.retransmits_left--;
        copy_update(&updates[count++], &best->public);
    }
    return count;
}

/* The header fields every message carries. */
static void
fill_sender(struct membership *membership, struct membership_message *message,
            enum membership_message_type type, uint64_t sequence)
{
    const struct member *self = &membership->records[0].public;

    memset(message, 0, sizeof(*message));
    message->type = type;
    message->sequence = sequence;
    memcpy(message->from_id, self->id, MEMBERSHIP_ID_MAX);
    memcpy(message->from_address, self->address, MEMBERSHIP_ADDRESS_MAX);
    message->from_incarnation = self->incarnation;
    message->digest = membership->digest;
}

/* Sends PING, ACK or PING_REQUEST with piggybacked updates. */
static void
send_small(struct membership *membership, const char *to_address,
           enum membership_message_type type, uint64_t sequence,
           const char *target_address)
{
    struct membership_update updates[MEMBERSHIP_PIGGYBACK_MAX];
    struct membership_message message;

    fill_sender(membership, &message, type, sequence);
    if (target_address != NULL) {
        strncpy(message.target_address, target_address, MEMBERSHIP_ADDRESS_MAX - 1);
    }
    message.updates = updates;
    message.update_count = fill_piggyback(membership,
                                          record_by_address(membership, to_address),
                                          updates);
    membership->callbacks.send(membership->callbacks.context, to_address, &message);
}

/* Sends SYNC or SYNC_REPLY with every member record. */
static void
send_full_list(struct membership *membership, const char *to_address,
               enum membership_message_type type)
{
    struct membership_update *updates;
    struct membership_message message;
    int i;

    updates = calloc((size_t)membership->count, sizeof(*updates));
    if (updates == NULL) {
        return;   /* the next probe interval tries again */
    }
    fill_sender(membership, &message, type, membership->next_sequence++);
    for (i = 0; i < membership->count; i++) {
        copy_update(&updates[i], &membership->records[i].public);
    }
    message.updates = updates;
    message.update_count = membership->count;
    membership->callbacks.send(membership->callbacks.context, to_address, &message);
    free(updates);
}

/* ------------------------------------------------------------------ */
/* Creation                                                            */
/* ------------------------------------------------------------------ */

static int
config_valid(const struct membership_config *config)
{
    return config->probe_interval_ms > 0 && config->probe_timeout_ms > 0 &&
           config->probe_timeout_ms < config->probe_interval_ms &&
           config->indirect_checks > 0 && config->suspicion_timeout_ms > 0 &&
           config->retransmit_multiplier > 0 && config->push_pull_interval_ms > 0 &&
           config->replicas > 0;
}

struct membership *
membership_new(const struct membership_config *config, const char *my_id,
               const char *my_address, uint64_t incarnation, uint64_t random_seed,
               const struct membership_callbacks *callbacks)
{
    struct membership *membership = NULL;

    if (config == NULL || my_id == NULL || my_address == NULL || callbacks == NULL ||
        callbacks->send == NULL || !config_valid(config) ||
        !string_fits(my_id, MEMBERSHIP_ID_MAX) ||
        !string_fits(my_address, MEMBERSHIP_ADDRESS_MAX)) {
        return NULL;
    }
    membership = calloc(1, sizeof(*membership));
    if (membership == NULL) {
        goto fail;
    }
    membership->config = *config;
    membership->callbacks = *callbacks;
    membership->capacity = 8;
    membership->records = calloc((size_t)membership->capacity,
                                 sizeof(*membership->records));
    if (membership->records == NULL) {
        goto fail;
    }
    /* Spread the seed's bits; xorshift needs a nonzero state. */
    membership->random_state = random_seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL;
    if (membership->random_state == 0) {
        membership->random_state = 1;
    }
    membership->next_sequence = random_next(&membership->random_state) >> 16;
    if (append_record(membership, my_id, my_address, incarnation, MEMBER_ALIVE) == NULL) {
        goto fail;
    }
    membership->records[0].public.myself = 1;
    queue_update(membership, &membership->records[0]);
    return membership;

fail:
    membership_free(membership);
    return NULL;
}

void
membership_free(struct membership *membership)
{
    if (membership == NULL) {
        return;
    }
    free(membership->records);
    free(membership->probe_order);
    free(membership);
}

int
membership_add_seed(struct membership *membership, const char *address)
{
    int i;

    if (address == NULL || !string_fits(address, MEMBERSHIP_ADDRESS_MAX)) {
        return -1;
    }
    if (strcmp(address, membership->records[0].public.address) == 0) {
        return 0;
    }
    for (i = 0; i < membership->seed_count; i++) {
        if (strcmp(membership->seeds[i], address) == 0) {
            return 0;
        }
    }
    if (membership->seed_count >= MEMBERSHIP_SEEDS_MAX) {
        return -1;
    }
    strcpy(membership->seeds[membership->seed_count++], address);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Probing                                                             */
/* ------------------------------------------------------------------ */

/* Refills probe_order with every other member, shuffled. */
static int
reshuffle_probe_order(struct membership *membership)
{
    int i;

    free(membership->probe_order);
    membership->probe_order = NULL;
    membership->probe_order_count = 0;
    membership->probe_position = 0;
    if (membership->count <= 1) {
        return -1;
    }
    membership->probe_order = malloc(sizeof(int) * (size_t)(membership->count - 1));
    if (membership->probe_order == NULL) {
        return -1;
    }
    for (i = 1; i < membership->count; i++) {
        membership->probe_order[i - 1] = i;
    }
    membership->probe_order_count = membership->count - 1;
    for (i = membership->probe_order_count - 1; i > 0; i--) {
        int j = random_below(membership, i + 1);
        int swap = membership->probe_order[i];

        membership->probe_order[i] = membership->probe_order[j];
        membership->probe_order[j] = swap;
    }
    return 0;
}

/* The next member to probe (round-robin over a shuffled list), or -1. */
static int
next_probe_target(struct membership *membership)
{
    if (membership->probe_position >= membership->probe_order_count &&
        reshuffle_probe_order(membership) != 0) {
        return -1;
    }
    return membership->probe_order[membership->probe_position++];
}

/* Ends the probe in progress: a target that never answered, directly or
 * through a helper, becomes SUSPECT (spread at its current incarnation). */
static void
finish_probe(struct membership *membership)
{
    struct member_record *target;

    if (!membership->probe.active) {
        return;
    }
    membership->probe.active = 0;
    if (membership->probe.acked) {
        return;
    }
    target = &membership->records[membership->probe.target];
    if (target->public.liveness == MEMBER_ALIVE) {
        set_liveness(membership, target, MEMBER_SUSPECT);
        queue_update(membership, target);
    }
}

/* Sends PING to the next member in the round (DEAD ones included). */
static void
start_probe(struct membership *membership)
{
    int target = next_probe_target(membership);

    if (target < 0) {
        return;
    }
    membership->probe.active = 1;
    membership->probe.acked = 0;
    membership->probe.indirect_sent = 0;
    membership->probe.target = target;
    membership->probe.sequence = membership->next_sequence++;
    membership->probe.started_ms = membership->now_ms;
    send_small(membership, membership->records[target].public.address, MEMBERSHIP_PING,
               membership->probe.sequence, NULL);
}

/* Asks up to indirect_checks random alive members to probe the target. */
static void
send_indirect_probes(struct membership *membership)
{
    int candidates[MEMBERSHIP_MAX_MEMBERS];
    int candidate_count = 0, sent = 0, i;
    const struct member *target = &membership->records[membership->probe.target].public;

    membership->probe.indirect_sent = 1;
    if (target->liveness == MEMBER_DEAD) {
        return;   /* probed only to notice a return; no help needed */
    }
    for (i = 1; i < membership->count; i++) {
        if (i != membership->probe.target &&
            membership->records[i].public.liveness == MEMBER_ALIVE) {
            candidates[candidate_count++] = i;
        }
    }
    while (sent < membership->config.indirect_checks && candidate_count > 0) {
        int pick = random_below(membership, candidate_count);
        int helper = candidates[pick];

        candidates[pick] = candidates[--candidate_count];
        send_small(membership, membership->records[helper].public.address,
                   MEMBERSHIP_PING_REQUEST, membership->probe.sequence, target->address);
        sent++;
    }
}

/* Probe housekeeping for one tick.  `stalled`: our own ticks were late by
 * more than a probe interval, so an unanswered probe proves nothing. */
static void
tick_probe(struct membership *membership, int stalled)
{
    struct membership_probe *probe = &membership->probe;

    if (probe->active && !probe->acked && !probe->indirect_sent &&
        membership->now_ms >= probe->started_ms + membership->config.probe_timeout_ms &&
        !stalled) {
        send_indirect_probes(membership);
    }
    if (membership->now_ms < membership->next_probe_ms) {
        return;
    }
    if (stalled) {
        probe->active = 0;
    }
    finish_probe(membership);
    start_probe(membership);
    membership->next_probe_ms += membership->config.probe_interval_ms;
    if (membership->next_probe_ms <= membership->now_ms) {
        membership->next_probe_ms = membership->now_ms + membership->config.probe_interval_ms;
    }
}

/* SUSPECT members whose timer ran out become DEAD. */
static void
tick_suspicions(struct membership *membership)
{
    int i;

    for (i = 1; i < membership->count; i++) {
        struct member_record *record = &membership->records[i];

        if (record->public.liveness == MEMBER_SUSPECT &&
            membership->now_ms >= record->public.suspect_deadline_ms) {
            set_liveness(membership, record, MEMBER_DEAD);
            queue_update(membership, record);
        }
    }
}

/* Forgets relays nobody will answer any more. */
static void
tick_relays(struct membership *membership)
{
    int i;

    for (i = 0; i < MEMBERSHIP_RELAYS_MAX; i++) {
        if (membership->relays[i].in_use &&
            membership->now_ms >= membership->relays[i].expires_ms) {
            membership->relays[i].in_use = 0;
        }
    }
}

/* SYNC to each seed address that no known member has. */
static void
tick_seeds(struct membership *membership)
{
    int i;

    if (membership->now_ms < membership->next_seed_ms) {
        return;
    }
    membership->next_seed_ms = membership->now_ms + membership->config.probe_interval_ms;
    for (i = 0; i < membership->seed_count; i++) {
        if (record_by_address(membership, membership->seeds[i]) == NULL) {
            send_full_list(membership, membership->seeds[i], MEMBERSHIP_SYNC);
        }
    }
}

/* Every push_pull_interval_ms, a full exchange with one random member
 * (an alive one when there is any). */
static void
tick_push_pull(struct membership *membership)
{
    int alive[MEMBERSHIP_MAX_MEMBERS];
    int alive_count = 0, i, partner;

    if (membership->now_ms < membership->next_push_pull_ms) {
        return;
    }
    membership->next_push_pull_ms = membership->now_ms + membership->config.push_pull_interval_ms;
    if (membership->count <= 1) {
        return;
    }
    for (i = 1; i < membership->count; i++) {
        if (membership->records[i].public.liveness == MEMBER_ALIVE) {
            alive[alive_count++] = i;
        }
    }
    if (alive_count > 0) {
        partner = alive[random_below(membership, alive_count)];
    } else {
        partner = 1 + random_below(membership, membership->count - 1);
    }
    send_full_list(membership, membership->records[partner].public.address, MEMBERSHIP_SYNC);
}

/* Moves the instance's notion of time forward (never backward). */
static void
advance_time(struct membership *membership, uint64_t now_ms)
{
    if (now_ms > membership->now_ms) {
        membership->now_ms = now_ms;
    }
}

void
membership_tick(struct membership *membership, uint64_t now_ms)
{
    int stalled = 0;

    advance_time(membership, now_ms);
    if (!membership->started) {
        membership->started = 1;
        membership->next_probe_ms = membership->now_ms;
        membership->next_seed_ms = membership->now_ms;
        membership->next_push_pull_ms =
            membership->now_ms + membership->config.push_pull_interval_ms;
    } else if (membership->now_ms - membership->last_tick_ms >
               membership->config.probe_interval_ms) {
        stalled = 1;
    }
    membership->last_tick_ms = membership->now_ms;
    tick_seeds(membership);
    tick_suspicions(membership);
    tick_relays(membership);
    tick_probe(membership, stalled);
    tick_push_pull(membership);
}

/* ------------------------------------------------------------------ */
/* Receiving                                                           */
/* ------------------------------------------------------------------ */

/* Remembers a PING sent on behalf of a requester; reuses the oldest slot
 * when all are taken. */
static void
remember_relay(struct membership *membership, uint64_t sequence,
               const struct membership_message *request)
{
    struct membership_relay *slot = &membership->relays[0];
    int i;

    for (i = 0; i < MEMBERSHIP_RELAYS_MAX; i++) {
        if (!membership->relays[i].in_use) {
            slot = &membership->relays[i];
            break;
        }
        if (membership->relays[i].expires_ms < slot->expires_ms) {
            slot = &membership->relays[i];
        }
    }
    slot->in_use = 1;
    slot->sequence = sequence;
    slot->requester_sequence = request->sequence;
    slot->expires_ms = membership->now_ms + membership->config.probe_interval_ms;
    memcpy(slot->requester_address, request->from_address, MEMBERSHIP_ADDRESS_MAX);
    memcpy(slot->target_address, request->target_address, MEMBERSHIP_ADDRESS_MAX);
}

static void
handle_ping_request(struct membership *membership, const struct membership_message *message)
{
    uint64_t sequence;

    if (!string_fits(message->target_address, MEMBERSHIP_ADDRESS_MAX)) {
        return;
    }
    if (strcmp(message->target_address, membership->records[0].public.address) == 0) {
        /* We are the target: answer for ourselves. */
        send_small(membership, message->from_address, MEMBERSHIP_ACK, message->sequence,
                   message->target_address);
        return;
    }
    sequence = membership->next_sequence++;
    remember_relay(membership, sequence, message);
    send_small(membership, message->target_address, MEMBERSHIP_PING, sequence, NULL);
}

/* An ACK: either for a PING we sent on someone's behalf (relay it), or
 * for our own probe, direct or relayed. */
static void
handle_ack(struct membership *membership, const struct membership_message *message)
{
    struct membership_probe *probe = &membership->probe;
    int i;

    for (i = 0; i < MEMBERSHIP_RELAYS_MAX; i++) {
        struct membership_relay *relay = &membership->relays[i];

        if (relay->in_use && relay->sequence == message->sequence) {
            relay->in_use = 0;
            send_small(membership, relay->requester_address, MEMBERSHIP_ACK,
                       relay->requester_sequence, relay->target_address);
            return;
        }
    }
    if (!probe->active || probe->sequence != message->sequence) {
        return;
    }
    if (message->target_address[0] != '\0' &&
        strncmp(message->target_address,
                membership->records[probe->target].public.address,
                MEMBERSHIP_ADDRESS_MAX) != 0) {
        return;
    }
    probe->acked = 1;
}

/* A different digest on a small message: exchange full lists with the
 * sender, at most once per probe interval per sender. */
static void
maybe_sync_on_mismatch(struct membership *membership, const struct membership_message *message)
{
    struct member_record *sender;

    if (message->digest == membership->digest) {
        return;
    }
    sender = record_by_id(membership, message->from_id);
    if (sender != NULL) {
        if (sender->synced_once &&
            membership->now_ms < sender->last_sync_ms + membership->config.probe_interval_ms) {
            return;
        }
        sender->synced_once = 1;
        sender->last_sync_ms = membership->now_ms;
    }
    send_full_list(membership, message->from_address, MEMBERSHIP_SYNC);
}

/* Nonzero when the message's fixed fields are usable. */
static int
message_valid(const struct membership_message *message)
{
    return message->type >= MEMBERSHIP_PING && message->type <= MEMBERSHIP_SYNC_REPLY &&
           string_fits(message->from_id, MEMBERSHIP_ID_MAX) &&
           string_fits(message->from_address, MEMBERSHIP_ADDRESS_MAX) &&
           strnlen(message->target_address, MEMBERSHIP_ADDRESS_MAX) < MEMBERSHIP_ADDRESS_MAX &&
           message->update_count >= 0 && message->update_count <= MEMBERSHIP_MAX_MEMBERS &&
           (message->update_count == 0 || message->updates != NULL);
}

/* Merges the sender (evidently alive) and every valid carried record. */
static void
merge_message_records(struct membership *membership, const struct membership_message *message)
{
    int i;

    merge_record(membership, message->from_id, message->from_address,
                 message->from_incarnation, MEMBER_ALIVE);
    for (i = 0; i < message->update_count; i++) {
        const struct membership_update *update = &message->updates[i];

        if (string_fits(update->id, MEMBERSHIP_ID_MAX) &&
            string_fits(update->address, MEMBERSHIP_ADDRESS_MAX) &&
            update->liveness >= MEMBER_ALIVE && update->liveness <= MEMBER_DEAD) {
            merge_record(membership, update->id, update->address, update->incarnation,
                         update->liveness);
        }
    }
}

void
membership_receive(struct membership *membership, uint64_t now_ms,
                   const struct membership_message *message)
{
    if (message == NULL || !message_valid(message)) {
        return;
    }
    advance_time(membership, now_ms);
    if (strcmp(message->from_id, membership->records[0].public.id) == 0) {
        return;   /* our own message (a seed that is us), or an impostor */
    }
    merge_message_records(membership, message);
    switch (message->type) {
    case MEMBERSHIP_PING:
        send_small(membership, message->from_address, MEMBERSHIP_ACK, message->sequence, NULL);
        maybe_sync_on_mismatch(membership, message);
        break;
    case MEMBERSHIP_ACK:
        handle_ack(membership, message);
        maybe_sync_on_mismatch(membership, message);
        break;
    case MEMBERSHIP_PING_REQUEST:
        handle_ping_request(membership, message);
        maybe_sync_on_mismatch(membership, message);
        break;
    case MEMBERSHIP_SYNC:
        send_full_list(membership, message->from_address, MEMBERSHIP_SYNC_REPLY);
        break;
    case MEMBERSHIP_SYNC_REPLY:
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */
/* ------------------------------------------------------------------ */

int
membership_count(const struct membership *membership)
{
    return membership->count;
}

const struct member *
membership_member(const struct membership *membership, int index)
{
    if (index < 0 || index >= membership->count) {
        return NULL;
    }
    return &membership->records[index].public;
}

const struct member *
membership_find(const struct membership *membership, const char *id)
{
    int i;

    if (id == NULL) {
        return NULL;
    }
    for (i = 0; i < membership->count; i++) {
        if (strcmp(membership->records[i].public.id, id) == 0) {
            return &membership->records[i].public;
        }
    }
    return NULL;
}

uint64_t
membership_digest(const struct membership *membership)
{
    return membership->digest;
}

/* ------------------------------------------------------------------ */
/* Wire form                                                           */
/*                                                                     */
/*   magic 'H' 'G', version 1, type (1..5)            4 bytes          */
/*   sequence, from_incarnation, digest               3 x u64 BE       */
/*   from_id, from_address, target_address            strings          */
/*   update_count                                     u16 BE           */
/*   per update: liveness u8, incarnation u64, id, address             */
/* A string is a u16 BE length and that many bytes, no NUL, shorter    */
/* than its field (ids and from_address also nonempty).  Nothing may   */
/* follow the last update.                                             */
/* ------------------------------------------------------------------ */

/* A cursor writing into a buffer; counts what it would write past the end. */
struct wire_writer {
    unsigned char *out;
    size_t         capacity;
    size_t         length;
};

static void
write_bytes(struct wire_writer *writer, const void *bytes, size_t count)
{
    if (writer->length + count <= writer->capacity) {
        memcpy(writer->out + writer->length, bytes, count);
    }
    writer->length += count;
}

static void
write_u8(struct wire_writer *writer, unsigned int value)
{
    unsigned char byte = (unsigned char)value;

    write_bytes(writer, &byte, 1);
}

static void
write_u16(struct wire_writer *writer, unsigned int value)
{
    unsigned char bytes[2] = { (unsigned char)(value >> 8), (unsigned char)value };

    write_bytes(writer, bytes, 2);
}

static void
write_u64(struct wire_writer *writer, uint64_t value)
{
    unsigned char bytes[8];
    int i;

    for (i = 0; i < 8; i++) {
        bytes[i] = (unsigned char)(value >> (56 - 8 * i));
    }
    write_bytes(writer, bytes, 8);
}

/* Writes a string field; -1 when it does not fit its field (`size`). */
static int
write_string(struct wire_writer *writer, const char *s, size_t size)
{
    size_t length = strnlen(s, size);

    if (length >= size) {
        return -1;
    }
    write_u16(writer, (unsigned int)length);
    write_bytes(writer, s, length);
    return 0;
}

/* Returns the encoded size, or 0 when the message cannot be encoded (bad
 * type, unterminated or empty id/address, update count out of range). */
size_t
membership_encode(const struct membership_message *message, unsigned char *out,
                  size_t capacity)
{
    struct wire_writer writer = { out, out == NULL ? 0 : capacity, 0 };
    int i;

    if (message == NULL || !message_valid(message) || message->update_count > 0xFFFF) {
        return 0;
    }
    write_u8(&writer, WIRE_MAGIC_0);
    write_u8(&writer, WIRE_MAGIC_1);
    write_u8(&writer, WIRE_VERSION);
    write_u8(&writer, (unsigned int)message->type);
    write_u64(&writer, message->sequence);
    write_u64(&writer, message->from_incarnation);
    write_u64(&writer, message->digest);
    if (write_string(&writer, message->from_id, MEMBERSHIP_ID_MAX) != 0 ||
        write_string(&writer, message->from_address, MEMBERSHIP_ADDRESS_MAX) != 0 ||
        write_string(&writer, message->target_address, MEMBERSHIP_ADDRESS_MAX) != 0) {
        return 0;
    }
    write_u16(&writer, (unsigned int)message->update_count);
    for (i = 0; i < message->update_count; i++) {
        const struct membership_update *update = &message->updates[i];

        if (!string_fits(update->id, MEMBERSHIP_ID_MAX) ||
            !string_fits(update->address, MEMBERSHIP_ADDRESS_MAX) ||
            update->liveness < MEMBER_ALIVE || update->liveness > MEMBER_DEAD) {
            return 0;
        }
        write_u8(&writer, (unsigned int)update->liveness);
        write_u64(&writer, update->incarnation);
        write_string(&writer, update->id, MEMBERSHIP_ID_MAX);
        write_string(&writer, update->address, MEMBERSHIP_ADDRESS_MAX);
    }
    return writer.length;
}

/* A cursor reading from a buffer; any read past the end fails it. */
struct wire_reader {
    const unsigned char *data;
    size_t               length;
    size_t               position;
};

static int
read_u8(struct wire_reader *reader, unsigned int *value)
{
    if (reader->length - reader->position < 1) {
        return -1;
    }
    *value = reader->data[reader->position++];
    return 0;
}

static int
read_u16(struct wire_reader *reader, unsigned int *value)
{
    if (reader->length - reader->position < 2) {
        return -1;
    }
    *value = ((unsigned int)reader->data[reader->position] << 8) |
             reader->data[reader->position + 1];
    reader->position += 2;
    return 0;
}

static int
read_u64(struct wire_reader *reader, uint64_t *value)
{
    uint64_t result = 0;
    int i;

    if (reader->length - reader->position < 8) {
        return -1;
    }
    for (i = 0; i < 8; i++) {
        result = (result << 8) | reader->data[reader->position + (size_t)i];
    }
    reader->position += 8;
    *value = result;
    return 0;
}

/* Reads a string into out[size]: shorter than size, no NUL byte, and
 * nonempty unless allow_empty. */
static int
read_string(struct wire_reader *reader, char *out, size_t size, int allow_empty)
{
    unsigned int length;

    if (read_u16(reader, &length) != 0 || length >= size ||
        (length == 0 && !allow_empty) ||
        reader->length - reader->position < length ||
        memchr(reader->data + reader->position, '\0', length) != NULL) {
        return -1;
    }
    memcpy(out, reader->data + reader->position, length);
    out[length] = '\0';
    reader->position += length;
    return 0;
}

static int
read_update(struct wire_reader *reader, struct membership_update *update)
{
    unsigned int liveness;

    memset(update, 0, sizeof(*update));
    if (read_u8(reader, &liveness) != 0 || liveness > MEMBER_DEAD ||
        read_u64(reader, &update->incarnation) != 0 ||
        read_string(reader, update->id, MEMBERSHIP_ID_MAX, 0) != 0 ||
        read_string(reader, update->address, MEMBERSHIP_ADDRESS_MAX, 0) != 0) {
        return -1;
    }
    update->liveness = (enum member_liveness)liveness;
    return 0;
}

int
membership_decode(const unsigned char *data, size_t length,
                  struct membership_message *message,
                  struct membership_update *updates, int capacity)
{
    struct wire_reader reader = { data, length, 0 };
    unsigned int magic_0, magic_1, version, type, count, i;

    if (data == NULL || message == NULL || capacity < 0) {
        return -1;
    }
    memset(message, 0, sizeof(*message));
    if (read_u8(&reader, &magic_0) != 0 || read_u8(&reader, &magic_1) != 0 ||
        read_u8(&reader, &version) != 0 || read_u8(&reader, &type) != 0 ||
        magic_0 != WIRE_MAGIC_0 || magic_1 != WIRE_MAGIC_1 || version != WIRE_VERSION ||
        type < MEMBERSHIP_PING || type > MEMBERSHIP_SYNC_REPLY) {
        return -1;
    }
    message->type = (enum membership_message_type)type;
    if (read_u64(&reader, &message->sequence) != 0 ||
        read_u64(&reader, &message->from_incarnation) != 0 ||
        read_u64(&reader, &message->digest) != 0 ||
        read_string(&reader, message->from_id, MEMBERSHIP_ID_MAX, 0) != 0 ||
        read_string(&reader, message->from_address, MEMBERSHIP_ADDRESS_MAX, 0) != 0 ||
        read_string(&reader, message->target_address, MEMBERSHIP_ADDRESS_MAX, 1) != 0 ||
        read_u16(&reader, &count) != 0 ||
        count > (unsigned int)capacity || count > MEMBERSHIP_MAX_MEMBERS ||
        (count > 0 && updates == NULL)) {
        return -1;
    }
    for (i = 0; i < count; i++) {
        if (read_update(&reader, &updates[i]) != 0) {
            return -1;
        }
    }
    if (reader.position != length) {
        return -1;
    }
    message->update_count = (int)count;
    message->updates = updates;
    return 0;
}
