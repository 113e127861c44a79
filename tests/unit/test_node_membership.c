/*
 * test_node_membership.c — the SWIM state machine (node/membership.h)
 * driven in one process: several instances, a fake clock and a fake
 * network that delays, drops, duplicates, reorders and partitions
 * messages, crashes, pauses and restarts instances.  Every message goes
 * through membership_encode()/membership_decode(), so the wire form is
 * exercised by all the traffic too.
 *
 * The randomized schedule test runs schedules with seeds 1..2000
 * (HERD_MEMBERSHIP_SCHEDULES=<n> runs 1..n instead); a failure prints its
 * seed, and HERD_MEMBERSHIP_SEED=<seed> replays just that schedule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "node/membership.h"

#define SIM_MAX_NODES 8
#define SIM_TICK_MS   10

/* One simulated instance. */
struct sim_node {
    struct sim        *sim;
    int                index;
    struct membership *membership;
    char               id[MEMBERSHIP_ID_MAX];
    char               address[MEMBERSHIP_ADDRESS_MAX];
    int                up;            /* receives messages and ticks */
    int                crashed;       /* down for good (until restarted) */
    int                group;         /* partition group: equal groups talk */
    uint64_t           highest_incarnation;   /* of itself, over all lives */
    int                dead_marks;    /* changes to DEAD seen by this instance */
    int                suspect_marks;
};

/* A message in flight. */
struct sim_event {
    uint64_t       time;
    uint64_t       order;             /* ties broken by sending order */
    int            from;
    int            to;
    size_t         length;
    unsigned char *bytes;
};

/* The whole simulated world. */
struct sim {
    uint64_t                 seed;
    uint64_t                 random_state;
    struct membership_config config;
    struct sim_node          nodes[SIM_MAX_NODES];
    int                      node_count;
    uint64_t                 now;
    /* network model */
    double                   drop;
    double                   duplicate;
    uint64_t                 delay_min;
    uint64_t                 delay_max;
    int                      blocked[SIM_MAX_NODES][SIM_MAX_NODES];   /* one cut link */
    /* messages in flight: a binary min-heap on (time, order) */
    struct sim_event        *events;
    int                      event_count;
    int                      event_capacity;
    uint64_t                 next_order;
    uint64_t                 messages_sent;
    uint64_t                 duplicated;   /* extra copies put in flight */
    uint64_t                 reordered;    /* delivered after a later-sent one */
    uint64_t                 last_delivered[SIM_MAX_NODES][SIM_MAX_NODES];
    struct membership_update *decode_buffer;   /* MEMBERSHIP_MAX_MEMBERS */
    /* invariant (c): last incarnation viewer v saw for node j */
    uint64_t                 seen_incarnation[SIM_MAX_NODES][SIM_MAX_NODES];
    int                      replayable;   /* a random schedule: HERD_MEMBERSHIP_SEED */
    int                      failed;
};

/* ------------------------------------------------------------------ */
/* Random numbers for the simulation (independent of the instances')   */
/* ------------------------------------------------------------------ */

static uint64_t
sim_random(struct sim *sim)
{
    /* splitmix64 */
    uint64_t z = (sim->random_state += 0x9E3779B97F4A7C15ULL);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double
sim_chance(struct sim *sim)
{
    return (double)(sim_random(sim) >> 11) / 9007199254740992.0;
}

/* Uniform in [low, high]. */
static uint64_t
sim_between(struct sim *sim, uint64_t low, uint64_t high)
{
    return low + sim_random(sim) % (high - low + 1);
}

/* Fails the current test, naming the seed that replays it. */
static void
sim_fail(struct sim *sim, const char *format, ...)
{
    va_list arguments;
    char text[512];

    va_start(arguments, format);
    vsnprintf(text, sizeof(text), format, arguments);
    va_end(arguments);
    if (sim->replayable) {
        print_error("membership simulation failed at t=%llu ms, schedule seed %llu "
                    "(replay: HERD_MEMBERSHIP_SEED=%llu): %s\n",
                    (unsigned long long)sim->now, (unsigned long long)sim->seed,
                    (unsigned long long)sim->seed, text);
    } else {
        print_error("membership simulation failed at t=%llu ms, seed %llu: %s\n",
                    (unsigned long long)sim->now, (unsigned long long)sim->seed, text);
    }
    sim->failed = 1;
    fail();
}

/* ------------------------------------------------------------------ */
/* Event heap                                                          */
/* ------------------------------------------------------------------ */

static int
event_before(const struct sim_event *a, const struct sim_event *b)
{
    return a->time < b->time || (a->time == b->time && a->order < b->order);
}

static void
heap_push(struct sim *sim, struct sim_event event)
{
    int i;

    if (sim->event_count == sim->event_capacity) {
        sim->event_capacity = sim->event_capacity ? sim->event_capacity * 2 : 256;
        sim->events = realloc(sim->events, sizeof(*sim->events) * (size_t)sim->event_capacity);
        assert_non_null(sim->events);
    }
    i = sim->event_count++;
    sim->events[i] = event;
    while (i > 0) {
        int parent = (i - 1) / 2;
        struct sim_event swap;

        if (!event_before(&sim->events[i], &sim->events[parent])) {
            break;
        }
        swap = sim->events[i];
        sim->events[i] = sim->events[parent];
        sim->events[parent] = swap;
        i = parent;
    }
}

static struct sim_event
heap_pop(struct sim *sim)
{
    struct sim_event top = sim->events[0];
    int i = 0;

    sim->events[0] = sim->events[--sim->event_count];
    for (;;) {
        int left = 2 * i + 1, right = left + 1, smallest = i;
        struct sim_event swap;

        if (left < sim->event_count && event_before(&sim->events[left], &sim->events[smallest])) {
            smallest = left;
        }
        if (right < sim->event_count && event_before(&sim->events[right], &sim->events[smallest])) {
            smallest = right;
        }
        if (smallest == i) {
            break;
        }
        swap = sim->events[i];
        sim->events[i] = sim->events[smallest];
        sim->events[smallest] = swap;
        i = smallest;
    }
    return top;
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                           */
/* ------------------------------------------------------------------ */

static int
node_by_address(struct sim *sim, const char *address)
{
    int i;

    for (i = 0; i < sim->node_count; i++) {
        if (strcmp(sim->nodes[i].address, address) == 0) {
            return i;
        }
    }
    return -1;
}

/* The network: encode, maybe drop, maybe duplicate, delay. */
static void
sim_send(void *context, const char *to_address, const struct membership_message *message)
{
    struct sim_node *node = context;
    struct sim *sim = node->sim;
    size_t length = membership_encode(message, NULL, 0);
    int to = node_by_address(sim, to_address);
    int copies, i;
    unsigned char *bytes;

    if (length == 0) {
        sim_fail(sim, "instance %d built an unencodable message", node->index);
    }
    sim->messages_sent++;
    if (to < 0 || sim->nodes[to].group != node->group || sim->blocked[node->index][to] ||
        sim_chance(sim) < sim->drop) {
        return;
    }
    bytes = malloc(length);
    assert_non_null(bytes);
    if (membership_encode(message, bytes, length) != length) {
        sim_fail(sim, "encode size changed");
    }
    copies = sim_chance(sim) < sim->duplicate ? 2 : 1;
    sim->duplicated += (uint64_t)(copies - 1);
    for (i = 0; i < copies; i++) {
        struct sim_event event;

        event.time = sim->now + sim_between(sim, sim->delay_min, sim->delay_max);
        event.order = sim->next_order++;
        event.from = node->index;
        event.to = to;
        event.length = length;
        event.bytes = i == 0 ? bytes : malloc(length);
        assert_non_null(event.bytes);
        if (i > 0) {
            memcpy(event.bytes, bytes, length);
        }
        heap_push(sim, event);
    }
}

static void
sim_changed(void *context, const struct member *member, int previous)
{
    struct sim_node *node = context;

    if (member->liveness == MEMBER_DEAD && previous != MEMBER_DEAD) {
        node->dead_marks++;
    }
    if (member->liveness == MEMBER_SUSPECT && previous != MEMBER_SUSPECT) {
        node->suspect_marks++;
    }
}

/* ------------------------------------------------------------------ */
/* World                                                               */
/* ------------------------------------------------------------------ */

static struct membership_config
fast_config(void)
{
    struct membership_config config;

    memset(&config, 0, sizeof(config));
    config.probe_interval_ms = 100;
    config.probe_timeout_ms = 50;
    config.indirect_checks = 3;
    config.suspicion_timeout_ms = 500;
    config.retransmit_multiplier = 3;
    config.push_pull_interval_ms = 2000;
    config.replicas = 3;
    return config;
}

/* (Re)creates instance i at `incarnation`, seeded with `seed_mode`:
 * 0 no seeds, 1 node 0 only, 2 every other node. */
static void
node_start(struct sim *sim, int i, uint64_t incarnation, int seed_mode)
{
    struct sim_node *node = &sim->nodes[i];
    struct membership_callbacks callbacks = { sim_send, sim_changed, node };
    int j;

    membership_free(node->membership);
    node->membership = membership_new(&sim->config, node->id, node->address, incarnation,
                                      sim_random(sim), &callbacks);
    assert_non_null(node->membership);
    for (j = 0; j < sim->node_count; j++) {
        if ((seed_mode == 1 && j == 0) || (seed_mode == 2 && j != i)) {
            assert_int_equal(membership_add_seed(node->membership, sim->nodes[j].address), 0);
        }
    }
    node->up = 1;
    node->crashed = 0;
    if (incarnation > node->highest_incarnation) {
        node->highest_incarnation = incarnation;
    }
    memset(sim->seen_incarnation[i], 0, sizeof(sim->seen_incarnation[i]));
}

static void
sim_init(struct sim *sim, uint64_t seed, int node_count, const struct membership_config *config,
         int seed_mode)
{
    int i;

    memset(sim, 0, sizeof(*sim));
    sim->seed = seed;
    sim->random_state = seed;
    sim->config = *config;
    sim->node_count = node_count;
    sim->delay_min = 1;
    sim->delay_max = 5;
    sim->decode_buffer = calloc(MEMBERSHIP_MAX_MEMBERS, sizeof(*sim->decode_buffer));
    assert_non_null(sim->decode_buffer);
    for (i = 0; i < node_count; i++) {
        struct sim_node *node = &sim->nodes[i];

        node->sim = sim;
        node->index = i;
        snprintf(node->id, sizeof(node->id), "node-%d", i);
        snprintf(node->address, sizeof(node->address), "127.0.0.1:%d", 7100 + i);
    }
    for (i = 0; i < node_count; i++) {
        node_start(sim, i, 1, seed_mode);
    }
}

static void
sim_destroy(struct sim *sim)
{
    int i;

    for (i = 0; i < sim->node_count; i++) {
        membership_free(sim->nodes[i].membership);
    }
    for (i = 0; i < sim->event_count; i++) {
        free(sim->events[i].bytes);
    }
    free(sim->events);
    free(sim->decode_buffer);
}

/* The node index of member id "node-<i>", or -1. */
static int
node_of_member(const struct member *member)
{
    int index;

    if (sscanf(member->id, "node-%d", &index) != 1 || index < 0 || index >= SIM_MAX_NODES) {
        return -1;
    }
    return index;
}

/* Invariants (b) and (c), checked after every step. */
static void
check_step_invariants(struct sim *sim)
{
    int i, k;

    for (i = 0; i < sim->node_count; i++) {
        struct sim_node *node = &sim->nodes[i];
        const struct member *self;

        if (node->crashed) {
            continue;
        }
        self = membership_member(node->membership, 0);
        if (self->liveness != MEMBER_ALIVE || !self->myself) {
            sim_fail(sim, "instance %d believes itself %s", i, member_liveness_name(self->liveness));
        }
        if (self->incarnation > node->highest_incarnation) {
            node->highest_incarnation = self->incarnation;
        }
        for (k = 0; k < membership_count(node->membership); k++) {
            const struct member *member = membership_member(node->membership, k);
            int j = node_of_member(member);

            if (j < 0) {
                sim_fail(sim, "instance %d knows a stranger '%s'", i, member->id);
            }
            if (member->incarnation < sim->seen_incarnation[i][j]) {
                sim_fail(sim, "instance %d: incarnation of %s went from %llu to %llu", i,
                         member->id, (unsigned long long)sim->seen_incarnation[i][j],
                         (unsigned long long)member->incarnation);
            }
            sim->seen_incarnation[i][j] = member->incarnation;
        }
    }
}

/* Delivers one message, unless its destination is down or cut off. */
static void
deliver(struct sim *sim, struct sim_event *event)
{
    struct membership_message message;
    struct sim_node *to = &sim->nodes[event->to];

    if (to->up && to->group == sim->nodes[event->from].group &&
        !sim->blocked[event->from][event->to]) {
        if (event->order < sim->last_delivered[event->from][event->to]) {
            sim->reordered++;
        }
        sim->last_delivered[event->from][event->to] = event->order;
        if (membership_decode(event->bytes, event->length, &message, sim->decode_buffer,
                              MEMBERSHIP_MAX_MEMBERS) != 0) {
            sim_fail(sim, "a message from %d did not decode", event->from);
        }
        membership_receive(to->membership, sim->now, &message);
    }
    free(event->bytes);
}

/* Advances the world by one tick. */
static void
sim_step(struct sim *sim)
{
    int i;

    sim->now += SIM_TICK_MS;
    while (sim->event_count > 0 && sim->events[0].time <= sim->now) {
        struct sim_event event = heap_pop(sim);

        deliver(sim, &event);
    }
    for (i = 0; i < sim->node_count; i++) {
        if (sim->nodes[i].up) {
            membership_tick(sim->nodes[i].membership, sim->now);
        }
    }
    check_step_invariants(sim);
}

static void
sim_run(struct sim *sim, uint64_t duration_ms)
{
    uint64_t end = sim->now + duration_ms;

    while (sim->now < end) {
        sim_step(sim);
    }
}

/* Liveness of node j in node i's view; -1 when i does not know j. */
static int
liveness_in_view(struct sim *sim, int i, int j)
{
    const struct member *member = membership_find(sim->nodes[i].membership, sim->nodes[j].id);

    return member == NULL ? -1 : (int)member->liveness;
}

/* Nonzero when every up instance knows every node and sees up nodes
 * ALIVE, crashed or paused ones DEAD, with equal digests.  A crashed node
 * that no up instance ever heard of may stay unknown everywhere. */
static int
converged(struct sim *sim)
{
    uint64_t digest = 0;
    int first = -1, i, j;

    for (i = 0; i < sim->node_count; i++) {
        if (!sim->nodes[i].up) {
            continue;
        }
        if (first < 0) {
            digest = membership_digest(sim->nodes[i].membership);
            first = i;
        } else if (membership_digest(sim->nodes[i].membership) != digest) {
            return 0;
        }
        for (j = 0; j < sim->node_count; j++) {
            int seen = liveness_in_view(sim, i, j);

            if (sim->nodes[j].up ? seen != MEMBER_ALIVE :
                (seen != MEMBER_DEAD && !(seen == -1 && sim->nodes[j].crashed))) {
                return 0;
            }
            if (seen != liveness_in_view(sim, first, j)) {
                return 0;
            }
        }
    }
    return 1;
}

/* Runs until converged(); returns the time it took, or fails after `bound`. */
static uint64_t
run_until_converged(struct sim *sim, uint64_t bound, const char *what)
{
    uint64_t start = sim->now;

    while (!converged(sim)) {
        if (sim->now - start > bound) {
            sim_fail(sim, "%s: not converged within %llu ms", what, (unsigned long long)bound);
        }
        sim_step(sim);
    }
    return sim->now - start;
}

/* Nonzero when node j is DEAD in the view of every up instance. */
static int
dead_everywhere(struct sim *sim, int j)
{
    int i;

    for (i = 0; i < sim->node_count; i++) {
        if (sim->nodes[i].up && i != j && liveness_in_view(sim, i, j) != MEMBER_DEAD) {
            return 0;
        }
    }
    return 1;
}

/*
 * Worst time for every instance to declare a silent member DEAD on its own:
 * a round-robin round lists n - 1 members, so two consecutive probes of one
 * member are at most 2(n - 1) intervals apart; the unanswered probe
 * suspects at the end of its interval; then the suspicion timer; plus a
 * tick and a network delay of slack.
 */
static uint64_t
detection_bound(const struct sim *sim)
{
    return (uint64_t)(2 * (sim->node_count - 1) + 1) * sim->config.probe_interval_ms +
           sim->config.suspicion_timeout_ms + 2 * SIM_TICK_MS + sim->delay_max;
}

/*
 * Worst time for a member wrongly believed DEAD to be seen ALIVE again by
 * everyone, once the network is whole: each instance probes it within
 * 2(n - 1) intervals, carrying the accusation; the member refutes in its ACK.
 */
static uint64_t
recovery_bound(const struct sim *sim)
{
    return (uint64_t)(2 * (sim->node_count - 1) + 2) * sim->config.probe_interval_ms +
           4 * SIM_TICK_MS + 4 * sim->delay_max;
}

/* ------------------------------------------------------------------ */
/* Wire form                                                           */
/* ------------------------------------------------------------------ */

/* A message with long strings and `count` updates (updates[] given). */
static void
make_message(struct membership_message *message, struct membership_update *updates,
             int count, enum membership_message_type type)
{
    int i;

    memset(message, 0, sizeof(*message));
    message->type = type;
    message->sequence = 0x0102030405060708ULL;
    message->from_incarnation = 42;
    message->digest = 0xFEDCBA9876543210ULL;
    memset(message->from_id, 'i', MEMBERSHIP_ID_MAX - 1);
    memset(message->from_address, 'a', MEMBERSHIP_ADDRESS_MAX - 1);
    if (type == MEMBERSHIP_PING_REQUEST || type == MEMBERSHIP_ACK) {
        strcpy(message->target_address, "10.0.0.1:7000");
    }
    for (i = 0; i < count; i++) {
        memset(&updates[i], 0, sizeof(updates[i]));
        snprintf(updates[i].id, sizeof(updates[i].id), "member-%d", i);
        snprintf(updates[i].address, sizeof(updates[i].address), "host-%d:%d", i, 7000 + i);
        updates[i].incarnation = (uint64_t)i * 1000003ULL;
        updates[i].liveness = (enum member_liveness)(i % 3);
    }
    message->update_count = count;
    message->updates = updates;
}

static void
assert_messages_equal(const struct membership_message *a, const struct membership_message *b)
{
    int i;

    assert_int_equal(a->type, b->type);
    assert_true(a->sequence == b->sequence);
    assert_true(a->from_incarnation == b->from_incarnation);
    assert_true(a->digest == b->digest);
    assert_string_equal(a->from_id, b->from_id);
    assert_string_equal(a->from_address, b->from_address);
    assert_string_equal(a->target_address, b->target_address);
    assert_int_equal(a->update_count, b->update_count);
    for (i = 0; i < a->update_count; i++) {
        assert_string_equal(a->updates[i].id, b->updates[i].id);
        assert_string_equal(a->updates[i].address, b->updates[i].address);
        assert_true(a->updates[i].incarnation == b->updates[i].incarnation);
        assert_int_equal(a->updates[i].liveness, b->updates[i].liveness);
    }
}

/* Encodes into a fresh buffer; *length receives the size. */
static unsigned char *
encode_fresh(const struct membership_message *message, size_t *length)
{
    unsigned char *bytes;

    *length = membership_encode(message, NULL, 0);
    assert_true(*length > 0);
    bytes = malloc(*length);
    assert_non_null(bytes);
    assert_int_equal(membership_encode(message, bytes, *length), *length);
    return bytes;
}

static void
test_encode_decode_round_trip(void **state)
{
    static struct membership_update updates[MEMBERSHIP_MAX_MEMBERS];
    static struct membership_update decoded_updates[MEMBERSHIP_MAX_MEMBERS];
    const int counts[] = { 0, 1, MEMBERSHIP_PIGGYBACK_MAX, MEMBERSHIP_MAX_MEMBERS };
    struct membership_message message, decoded;
    unsigned char small[16];
    int type, c;

    for (type = MEMBERSHIP_PING; type <= MEMBERSHIP_SYNC_REPLY; type++) {
        for (c = 0; c < 4; c++) {
            size_t length;
            unsigned char *bytes;

            make_message(&message, updates, counts[c], (enum membership_message_type)type);
            bytes = encode_fresh(&message, &length);
            /* Too small a buffer: the size is still reported. */
            assert_int_equal(membership_encode(&message, small, sizeof(small)), length);
            assert_int_equal(membership_decode(bytes, length, &decoded, decoded_updates,
                                               MEMBERSHIP_MAX_MEMBERS), 0);
            assert_messages_equal(&message, &decoded);
            /* Fewer update slots than records: rejected. */
            if (counts[c] > 0) {
                assert_int_equal(membership_decode(bytes, length, &decoded, decoded_updates,
                                                   counts[c] - 1), -1);
            }
            free(bytes);
        }
    }
    /* The layout starts with magic, version and type. */
    make_message(&message, updates, 0, MEMBERSHIP_ACK);
    {
        size_t length;
        unsigned char *bytes = encode_fresh(&message, &length);

        assert_int_equal(bytes[0], 'H');
        assert_int_equal(bytes[1], 'G');
        assert_int_equal(bytes[2], 1);
        assert_int_equal(bytes[3], MEMBERSHIP_ACK);
        assert_int_equal(bytes[4], 0x01);
        assert_int_equal(bytes[11], 0x08);
        free(bytes);
    }
}

static void
test_encode_refuses_unencodable(void **state)
{
    struct membership_update updates[2];
    struct membership_message message;
    unsigned char buffer[2048];

    make_message(&message, updates, 2, MEMBERSHIP_PING);
    message.from_id[0] = '\0';
    assert_int_equal(membership_encode(&message, buffer, sizeof(buffer)), 0);
    make_message(&message, updates, 2, MEMBERSHIP_PING);
    memset(message.from_id, 'x', sizeof(message.from_id));   /* unterminated */
    assert_int_equal(membership_encode(&message, buffer, sizeof(buffer)), 0);
    make_message(&message, updates, 2, MEMBERSHIP_PING);
    message.type = (enum membership_message_type)9;
    assert_int_equal(membership_encode(&message, buffer, sizeof(buffer)), 0);
    make_message(&message, updates, 2, MEMBERSHIP_PING);
    updates[1].liveness = (enum member_liveness)7;
    assert_int_equal(membership_encode(&message, buffer, sizeof(buffer)), 0);
    make_message(&message, updates, 2, MEMBERSHIP_PING);
    message.update_count = -1;
    assert_int_equal(membership_encode(&message, buffer, sizeof(buffer)), 0);
}

static void
test_decode_rejects_every_truncation(void **state)
{
    struct membership_update updates[MEMBERSHIP_PIGGYBACK_MAX];
    struct membership_update decoded_updates[MEMBERSHIP_PIGGYBACK_MAX];
    struct membership_message message, decoded;
    int type;

    for (type = MEMBERSHIP_PING; type <= MEMBERSHIP_SYNC_REPLY; type++) {
        size_t length, cut;
        unsigned char *bytes;

        make_message(&message, updates, MEMBERSHIP_PIGGYBACK_MAX,
                     (enum membership_message_type)type);
        bytes = encode_fresh(&message, &length);
        for (cut = 0; cut < length; cut++) {
            /* A copy of exactly `cut` bytes, so ASan sees any overread. */
            unsigned char *prefix = malloc(cut > 0 ? cut : 1);

            assert_non_null(prefix);
            memcpy(prefix, bytes, cut);
            assert_int_equal(membership_decode(prefix, cut, &decoded, decoded_updates,
                                               MEMBERSHIP_PIGGYBACK_MAX), -1);
            free(prefix);
        }
        free(bytes);
    }
}

/* Offsets in an encoded message built by a short hand-made layout. */
static size_t
put_u16(unsigned char *out, size_t at, unsigned int value)
{
    out[at] = (unsigned char)(value >> 8);
    out[at + 1] = (unsigned char)value;
    return at + 2;
}

/* Builds a PING by hand: from_id of `id_length` bytes of `id_byte`, one
 * update whose liveness byte is `liveness`.  Returns the length. */
static size_t
build_raw(unsigned char *out, size_t id_length, unsigned char id_byte, unsigned int liveness,
          size_t address_length)
{
    size_t at = 0;

    out[at++] = 'H';
    out[at++] = 'G';
    out[at++] = 1;
    out[at++] = MEMBERSHIP_PING;
    memset(out + at, 0, 24);
    at += 24;
    at = put_u16(out, at, (unsigned int)id_length);
    memset(out + at, id_byte, id_length);
    at += id_length;
    at = put_u16(out, at, (unsigned int)address_length);
    memset(out + at, 'a', address_length);
    at += address_length;
    at = put_u16(out, at, 0);
    at = put_u16(out, at, 1);
    out[at++] = (unsigned char)liveness;
    memset(out + at, 0, 8);
    at += 8;
    at = put_u16(out, at, 1);
    out[at++] = 'm';
    at = put_u16(out, at, 1);
    out[at++] = 'h';
    return at;
}

static void
test_decode_rejects_malformed(void **state)
{
    unsigned char raw[1024];
    struct membership_update updates[4];
    struct membership_message message;
    size_t length;

    /* The hand-made layout itself is valid. */
    length = build_raw(raw, 5, 'n', MEMBER_DEAD, 10);
    assert_int_equal(membership_decode(raw, length, &message, updates, 4), 0);
    assert_string_equal(message.from_id, "nnnnn");
    assert_int_equal(message.updates[0].liveness, MEMBER_DEAD);
    /* Longest id fits, one more byte does not. */
    length = build_raw(raw, MEMBERSHIP_ID_MAX - 1, 'n', 0, 10);
    assert_int_equal(membership_decode(raw, length, &message, updates, 4), 0);
    length = build_raw(raw, MEMBERSHIP_ID_MAX, 'n', 0, 10);
    assert_int_equal(membership_decode(raw, length, &message, updates, 4), -1);
    length = build_raw(raw, 5, 'n', 0, MEMBERSHIP_ADDRESS_MAX - 1);
    assert_int_equal(membership_decode(raw, length, &message, updates, 4), 0);
    length = build_raw(raw, 5, 'n', 0, MEMBERSHIP_ADDRESS_MAX);
    assert_int_equal(membership_decode(raw, length, &message, updates, 4), -1);
    /* Empty id, NUL inside an id, bad liveness. */
    length = build_raw(raw, 0, 'n', 0, 10);
    assert_int_equal(membership_decode(raw, length, &message, updates, 4), -1);
    length = build_raw(raw, 5, '\0', 0, 10);
    assert_int_equal(membership_decode(raw, length, &message, updates, 4), -1);
    length = build_raw(raw, 5, 'n', 3, 10);
    assert_int_equal(membership_decode(raw, length, &message, updates, 4), -1);
    /* Magic, version, type. */
    length = build_raw(raw, 5, 'n', 0, 10);
    raw[0] = 'X';
    assert_int_equal(membership_decode(raw, length, &message, updates, 4), -1);
    length = build_raw(raw, 5, 'n', 0, 10);
    raw[2] = 2;
    assert_int_equal(membership_decode(raw, length, &message, updates, 4), -1);
    length = build_raw(raw, 5, 'n', 0, 10);
    raw[3] = 0;
    assert_int_equal(membership_decode(raw, length, &message, updates, 4), -1);
    raw[3] = MEMBERSHIP_SYNC_REPLY + 1;
    assert_int_equal(membership_decode(raw, length, &message, updates, 4), -1);
    /* A trailing byte; no room for the update. */
    length = build_raw(raw, 5, 'n', 0, 10);
    raw[length] = 0;
    assert_int_equal(membership_decode(raw, length + 1, &message, updates, 4), -1);
    assert_int_equal(membership_decode(raw, length, &message, updates, 0), -1);
    assert_int_equal(membership_decode(raw, length, &message, NULL, 4), -1);
}

static void
test_decode_survives_random_corruption(void **state)
{
    struct membership_update updates[MEMBERSHIP_PIGGYBACK_MAX];
    struct membership_update decoded_updates[MEMBERSHIP_PIGGYBACK_MAX];
    struct membership_message message, decoded;
    struct sim sim;
    size_t length;
    unsigned char *original;
    int round, accepted = 0;

    memset(&sim, 0, sizeof(sim));
    sim.seed = 12345;
    sim.random_state = sim.seed;
    make_message(&message, updates, 3, MEMBERSHIP_PING_REQUEST);
    strcpy(message.from_id, "abc");
    strcpy(message.from_address, "127.0.0.1:1");
    original = encode_fresh(&message, &length);
    for (round = 0; round < 20000; round++) {
        size_t mutated_length = length, flips, f;
        unsigned char *mutated;

        if (sim_chance(&sim) < 0.3) {
            mutated_length = (size_t)sim_between(&sim, 0, length + 8);
        }
        mutated = malloc(mutated_length > 0 ? mutated_length : 1);
        assert_non_null(mutated);
        for (f = 0; f < mutated_length; f++) {
            mutated[f] = f < length ? original[f] : (unsigned char)sim_random(&sim);
        }
        flips = mutated_length > 0 ? (size_t)sim_between(&sim, 0, 4) : 0;
        for (f = 0; f < flips; f++) {
            mutated[sim_between(&sim, 0, mutated_length - 1)] = (unsigned char)sim_random(&sim);
        }
        if (membership_decode(mutated, mutated_length, &decoded, decoded_updates,
                              MEMBERSHIP_PIGGYBACK_MAX) == 0) {
            /* The format is canonical: what decodes re-encodes to itself. */
            unsigned char again[4096];

            accepted++;
            assert_int_equal(membership_encode(&decoded, again, sizeof(again)), mutated_length);
            assert_memory_equal(again, mutated, mutated_length);
        }
        free(mutated);
    }
    assert_true(accepted > 0);   /* some flips land in numbers and stay valid */
    free(original);
}

/* ------------------------------------------------------------------ */
/* One instance, by hand                                               */
/* ------------------------------------------------------------------ */

/* Captures what an instance sends. */
struct capture {
    int                       count;
    char                      to[MEMBERSHIP_ADDRESS_MAX];
    struct membership_message last;
    struct membership_update  updates[MEMBERSHIP_PIGGYBACK_MAX];
    int                       changes;
};

static void
capture_send(void *context, const char *to_address, const struct membership_message *message)
{
    struct capture *capture = context;
    int i;

    capture->count++;
    strcpy(capture->to, to_address);
    capture->last = *message;
    capture->last.updates = capture->updates;
    capture->last.update_count = 0;
    for (i = 0; i < message->update_count && i < MEMBERSHIP_PIGGYBACK_MAX; i++) {
        capture->updates[i] = message->updates[i];
        capture->last.update_count++;
    }
}

static void
capture_changed(void *context, const struct member *member, int previous)
{
    struct capture *capture = context;

    capture->changes++;
}

static void
test_new_checks_arguments(void **state)
{
    struct membership_config config = fast_config();
    struct capture capture;
    struct membership_callbacks callbacks = { capture_send, capture_changed, &capture };
    struct membership_callbacks no_send = { NULL, NULL, NULL };
    char long_id[MEMBERSHIP_ID_MAX + 1];
    struct membership *membership;
    int i;

    memset(long_id, 'x', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    assert_null(membership_new(&config, "", "a:1", 1, 1, &callbacks));
    assert_null(membership_new(&config, long_id, "a:1", 1, 1, &callbacks));
    assert_null(membership_new(&config, "me", "", 1, 1, &callbacks));
    assert_null(membership_new(&config, "me", "a:1", 1, 1, &no_send));
    config.probe_timeout_ms = config.probe_interval_ms;
    assert_null(membership_new(&config, "me", "a:1", 1, 1, &callbacks));
    config = fast_config();
    config.replicas = 0;
    assert_null(membership_new(&config, "me", "a:1", 1, 1, &callbacks));
    config = fast_config();
    membership = membership_new(&config, "me", "a:1", 7, 1, &callbacks);
    assert_non_null(membership);
    assert_int_equal(membership_count(membership), 1);
    assert_true(membership_member(membership, 0)->myself);
    assert_true(membership_member(membership, 0)->incarnation == 7);
    assert_null(membership_member(membership, 1));
    assert_non_null(membership_find(membership, "me"));
    assert_null(membership_find(membership, "other"));
    assert_string_equal(member_liveness_name(MEMBER_SUSPECT), "suspect");
    /* Seeds: our own address is ignored, duplicates too, then the limit. */
    assert_int_equal(membership_add_seed(membership, "a:1"), 0);
    for (i = 0; i < MEMBERSHIP_SEEDS_MAX; i++) {
        char address[32];

        snprintf(address, sizeof(address), "seed:%d", i);
        assert_int_equal(membership_add_seed(membership, address), 0);
        assert_int_equal(membership_add_seed(membership, address), 0);
    }
    assert_int_equal(membership_add_seed(membership, "one-too-many:1"), -1);
    /* The first tick sends SYNC to every seed. */
    memset(&capture, 0, sizeof(capture));
    membership_tick(membership, 1000);
    assert_int_equal(capture.count, MEMBERSHIP_SEEDS_MAX);
    assert_int_equal(capture.last.type, MEMBERSHIP_SYNC);
    membership_free(membership);
    membership_free(NULL);
}

/* A PING from `from` carrying one update. */
static void
receive_ping(struct membership *membership, uint64_t now, const char *from, uint64_t from_inc,
             const char *about, uint64_t incarnation, enum member_liveness liveness,
             uint64_t digest)
{
    struct membership_update update;
    struct membership_message message;

    memset(&message, 0, sizeof(message));
    memset(&update, 0, sizeof(update));
    message.type = MEMBERSHIP_PING;
    message.sequence = 99;
    strcpy(message.from_id, from);
    snprintf(message.from_address, sizeof(message.from_address), "%s:1", from);
    message.from_incarnation = from_inc;
    message.digest = digest;
    strcpy(update.id, about);
    snprintf(update.address, sizeof(update.address), "%s:1", about);
    update.incarnation = incarnation;
    update.liveness = liveness;
    message.updates = &update;
    message.update_count = 1;
    membership_receive(membership, now, &message);
}

static void
test_refutes_and_merges_by_rule(void **state)
{
    struct membership_config config = fast_config();
    struct capture capture;
    struct membership_callbacks callbacks = { capture_send, capture_changed, &capture };
    struct membership *membership = membership_new(&config, "me", "me:1", 5, 3, &callbacks);
    const struct member *peer;
    int i, found = 0;

    assert_non_null(membership);
    memset(&capture, 0, sizeof(capture));
    /* An unknown sender is added ALIVE at its incarnation and answered. */
    receive_ping(membership, 10, "peer", 3, "peer", 3, MEMBER_ALIVE, 0);
    peer = membership_find(membership, "peer");
    assert_non_null(peer);
    assert_int_equal(peer->liveness, MEMBER_ALIVE);
    assert_true(peer->incarnation == 3);
    assert_int_equal(capture.changes, 1);
    /* The answer is an ACK (the digests differ, so a SYNC follows it). */
    assert_int_equal(capture.count, 2);
    assert_int_equal(capture.last.type, MEMBERSHIP_SYNC);
    /* A rumour that I am SUSPECT at my incarnation: refuted above it. */
    receive_ping(membership, 20, "peer", 3, "me", 5, MEMBER_SUSPECT, membership_digest(membership));
    assert_true(membership_member(membership, 0)->incarnation == 6);
    assert_int_equal(membership_member(membership, 0)->liveness, MEMBER_ALIVE);
    assert_int_equal(capture.last.type, MEMBERSHIP_ACK);
    assert_true(capture.last.from_incarnation == 6);
    for (i = 0; i < capture.last.update_count; i++) {
        if (strcmp(capture.updates[i].id, "me") == 0) {
            assert_int_equal(capture.updates[i].liveness, MEMBER_ALIVE);
            assert_true(capture.updates[i].incarnation == 6);
            found = 1;
        }
    }
    assert_true(found);
    /* An old rumour about me changes nothing. */
    receive_ping(membership, 30, "peer", 3, "me", 4, MEMBER_DEAD, membership_digest(membership));
    assert_true(membership_member(membership, 0)->incarnation == 6);
    /* Equal incarnation: DEAD beats SUSPECT beats ALIVE; never backwards. */
    receive_ping(membership, 40, "peer", 3, "other", 2, MEMBER_SUSPECT, 0);
    receive_ping(membership, 41, "peer", 3, "other", 2, MEMBER_ALIVE, 0);
    assert_int_equal(membership_find(membership, "other")->liveness, MEMBER_SUSPECT);
    receive_ping(membership, 42, "peer", 3, "other", 2, MEMBER_DEAD, 0);
    receive_ping(membership, 43, "peer", 3, "other", 2, MEMBER_SUSPECT, 0);
    assert_int_equal(membership_find(membership, "other")->liveness, MEMBER_DEAD);
    /* A higher incarnation wins, whatever its liveness. */
    receive_ping(membership, 44, "peer", 3, "other", 3, MEMBER_ALIVE, 0);
    assert_int_equal(membership_find(membership, "other")->liveness, MEMBER_ALIVE);
    assert_true(membership_find(membership, "other")->incarnation == 3);
    /* A suspicion expires into DEAD after suspicion_timeout_ms. */
    receive_ping(membership, 50, "peer", 3, "other", 3, MEMBER_SUSPECT, 0);
    membership_tick(membership, 50 + config.suspicion_timeout_ms - 1);
    assert_int_equal(membership_find(membership, "other")->liveness, MEMBER_SUSPECT);
    membership_tick(membership, 50 + config.suspicion_timeout_ms);
    assert_int_equal(membership_find(membership, "other")->liveness, MEMBER_DEAD);
    /* Our own messages (a seed that is us) are ignored. */
    receive_ping(membership, 60, "me", 100, "me", 100, MEMBER_DEAD, 0);
    assert_true(membership_member(membership, 0)->incarnation == 6);
    membership_free(membership);
}

/* Applying the same records in any order gives the same views. */
static void
test_merge_is_order_independent(void **state)
{
    struct membership_config config = fast_config();
    struct capture capture;
    struct membership_callbacks callbacks = { capture_send, NULL, &capture };
    struct sim sim;
    int trial;

    memset(&sim, 0, sizeof(sim));
    sim.random_state = 777;
    for (trial = 0; trial < 200; trial++) {
        struct { int who; uint64_t incarnation; int liveness; } records[12];
        struct membership *a = membership_new(&config, "me", "me:1", 1, 1, &callbacks);
        struct membership *b = membership_new(&config, "me", "me:1", 1, 2, &callbacks);
        char name[16];
        int i;

        for (i = 0; i < 12; i++) {
            records[i].who = (int)sim_between(&sim, 0, 2);
            records[i].incarnation = sim_between(&sim, 0, 3);
            records[i].liveness = (int)sim_between(&sim, 0, 2);
        }
        for (i = 0; i < 12; i++) {
            int j = 11 - i;

            snprintf(name, sizeof(name), "m%d", records[i].who);
            receive_ping(a, 1, "peer", 0, name, records[i].incarnation,
                         (enum member_liveness)records[i].liveness, 0);
            receive_ping(a, 1, "peer", 0, name, records[i].incarnation,   /* idempotent */
                         (enum member_liveness)records[i].liveness, 0);
            snprintf(name, sizeof(name), "m%d", records[j].who);
            receive_ping(b, 1, "peer", 0, name, records[j].incarnation,
                         (enum member_liveness)records[j].liveness, 0);
        }
        for (i = 0; i < 3; i++) {
            const struct member *in_a, *in_b;

            snprintf(name, sizeof(name), "m%d", i);
            in_a = membership_find(a, name);
            in_b = membership_find(b, name);
            assert_true((in_a == NULL) == (in_b == NULL));
            if (in_a != NULL) {
                assert_true(in_a->incarnation == in_b->incarnation);
                assert_int_equal(in_a->liveness, in_b->liveness);
            }
        }
        assert_true(membership_digest(a) == membership_digest(b));
        membership_free(a);
        membership_free(b);
    }
}


/* Counts, over every message sent, the updates naming `watch` with
 * liveness `watch_liveness`, and checks piggyback bounds and order. */
struct piggyback_watch {
    const char          *watch;
    enum member_liveness watch_liveness;
    int                  seen;
    int                  messages;
    int                  first_was_watch;
};

static void
watch_send(void *context, const char *to_address, const struct membership_message *message)
{
    struct piggyback_watch *watch = context;
    int i;

    assert_true(message->update_count <= MEMBERSHIP_PIGGYBACK_MAX);
    watch->messages++;
    for (i = 0; i < message->update_count; i++) {
        if (strcmp(message->updates[i].id, watch->watch) == 0 &&
            message->updates[i].liveness == watch->watch_liveness) {
            watch->seen++;
            if (i == 0) {
                watch->first_was_watch++;
            }
        }
    }
}

static void
test_piggyback_bounded_newest_first_and_counted(void **state)
{
    struct membership_config config = fast_config();
    struct piggyback_watch watch = { "m0", MEMBER_SUSPECT, 0, 0, 0 };
    struct membership_callbacks callbacks = { watch_send, NULL, &watch };
    struct membership *membership = membership_new(&config, "me", "me:1", 1, 9, &callbacks);
    char name[16];
    int i, expected;

    assert_non_null(membership);
    /* 13 more members: 14 in all, so each update goes out
     * retransmit_multiplier * ceil(log2(15)) = 3 * 4 times. */
    for (i = 0; i < 12; i++) {
        snprintf(name, sizeof(name), "m%d", i);
        receive_ping(membership, 1, "peer", 1, name, 1, MEMBER_ALIVE, 0);
    }
    assert_int_equal(membership_count(membership), 14);
    expected = config.retransmit_multiplier * 4;
    /* m0 becomes SUSPECT: the newest update, first in the next answer. */
    receive_ping(membership, 2, "peer", 1, "m0", 1, MEMBER_SUSPECT, membership_digest(membership));
    assert_int_equal(watch.first_was_watch, 1);
    for (i = 0; i < 100; i++) {
        receive_ping(membership, 3, "peer", 1, "peer", 1, MEMBER_ALIVE,
                     membership_digest(membership));
    }
    assert_int_equal(watch.seen, expected);
    membership_free(membership);
}

/* ------------------------------------------------------------------ */
/* Clusters                                                            */
/* ------------------------------------------------------------------ */

static void
test_join_through_one_seed(void **state)
{
    struct membership_config config = fast_config();
    struct sim sim;
    uint64_t took;

    sim_init(&sim, 101, 6, &config, 1);
    took = run_until_converged(&sim, 3000, "join through node 0");
    assert_true(took <= 3000);
    assert_int_equal(membership_count(sim.nodes[3].membership), 6);
    sim_run(&sim, 2000);   /* and it stays so */
    assert_true(converged(&sim));
    sim_destroy(&sim);
}

static void
test_join_with_all_seeds(void **state)
{
    struct membership_config config = fast_config();
    struct sim sim;
    int i;

    sim_init(&sim, 102, 7, &config, 2);
    /* Each instance SYNCs every seed on its first tick: one round trip. */
    run_until_converged(&sim, 2 * config.probe_interval_ms, "join with all seeds");
    sim_run(&sim, 3000);
    assert_true(converged(&sim));
    for (i = 0; i < sim.node_count; i++) {
        assert_int_equal(sim.nodes[i].suspect_marks, 0);
        assert_int_equal(sim.nodes[i].dead_marks, 0);
    }
    sim_destroy(&sim);
}

static void
test_crash_detected_within_bound(void **state)
{
    struct membership_config config = fast_config();
    struct sim sim;
    uint64_t crashed_at, bound;

    sim_init(&sim, 103, 5, &config, 2);
    run_until_converged(&sim, 2000, "initial join");
    sim_run(&sim, 1000);
    sim.nodes[4].up = 0;
    sim.nodes[4].crashed = 1;
    crashed_at = sim.now;
    bound = detection_bound(&sim);
    while (!dead_everywhere(&sim, 4)) {
        if (sim.now - crashed_at > bound) {
            sim_fail(&sim, "crash not detected everywhere within %llu ms",
                     (unsigned long long)bound);
        }
        /* DEAD needs a whole suspicion timeout after the last possible ACK. */
        if (sim.now < crashed_at + config.suspicion_timeout_ms) {
            int i;

            for (i = 0; i < 4; i++) {
                assert_int_not_equal(liveness_in_view(&sim, i, 4), MEMBER_DEAD);
            }
        }
        sim_step(&sim);
    }
    print_message("crash detected everywhere after %llu ms (bound %llu ms)\n",
                  (unsigned long long)(sim.now - crashed_at), (unsigned long long)bound);
    sim_run(&sim, 3000);
    assert_true(converged(&sim));
    sim_destroy(&sim);
}

static void
test_paused_member_refutes_after_resume(void **state)
{
    struct membership_config config = fast_config();
    struct sim sim;
    uint64_t incarnation_before, took;

    sim_init(&sim, 104, 5, &config, 2);
    run_until_converged(&sim, 2000, "initial join");
    incarnation_before = membership_member(sim.nodes[2].membership, 0)->incarnation;
    sim.nodes[2].up = 0;   /* paused: keeps its state, neither hears nor ticks */
    sim_run(&sim, detection_bound(&sim));
    assert_true(dead_everywhere(&sim, 2));
    sim.nodes[2].up = 1;
    took = run_until_converged(&sim, recovery_bound(&sim), "resume after pause");
    print_message("paused member ALIVE everywhere %llu ms after resuming (bound %llu ms)\n",
                  (unsigned long long)took, (unsigned long long)recovery_bound(&sim));
    assert_true(membership_member(sim.nodes[2].membership, 0)->incarnation > incarnation_before);
    assert_true(membership_find(sim.nodes[0].membership, "node-2")->incarnation ==
                membership_member(sim.nodes[2].membership, 0)->incarnation);
    sim_destroy(&sim);
}

static void
test_partition_heals(void **state)
{
    struct membership_config config = fast_config();
    struct sim sim;
    uint64_t took;
    int i;

    sim_init(&sim, 105, 5, &config, 2);
    run_until_converged(&sim, 2000, "initial join");
    sim.nodes[4].group = 1;
    sim_run(&sim, detection_bound(&sim));
    for (i = 0; i < 4; i++) {
        assert_int_equal(liveness_in_view(&sim, i, 4), MEMBER_DEAD);
        assert_int_equal(liveness_in_view(&sim, i, (i + 1) % 4), MEMBER_ALIVE);
        assert_int_equal(liveness_in_view(&sim, 4, i), MEMBER_DEAD);
    }
    sim.nodes[4].group = 0;
    took = run_until_converged(&sim, recovery_bound(&sim), "partition healed");
    print_message("partition healed: all ALIVE everywhere after %llu ms (bound %llu ms)\n",
                  (unsigned long long)took, (unsigned long long)recovery_bound(&sim));
    sim_destroy(&sim);
}

static void
test_restart_with_higher_incarnation(void **state)
{
    struct membership_config config = fast_config();
    struct sim sim;
    uint64_t old;

    sim_init(&sim, 106, 4, &config, 2);
    run_until_converged(&sim, 2000, "initial join");
    sim.nodes[1].up = 0;
    sim.nodes[1].crashed = 1;
    sim_run(&sim, detection_bound(&sim));
    assert_true(dead_everywhere(&sim, 1));
    old = sim.nodes[1].highest_incarnation;
    node_start(&sim, 1, old + 1, 2);   /* a fresh process, knowing only seeds */
    run_until_converged(&sim, 2 * config.probe_interval_ms + 4 * sim.delay_max,
                        "restarted member");
    assert_true(membership_find(sim.nodes[0].membership, "node-1")->incarnation == old + 1);
    assert_int_equal(membership_count(sim.nodes[1].membership), 4);
    sim_destroy(&sim);
}

/* A cut link between two members: each must reach the other through
 * indirect probes (PING_REQUEST and relayed ACKs), never suspecting it. */
static void
test_indirect_probes_bridge_a_cut_link(void **state)
{
    struct membership_config config = fast_config();
    struct sim sim;
    int i;

    sim_init(&sim, 109, 5, &config, 2);
    run_until_converged(&sim, 2000, "initial join");
    sim.blocked[0][1] = sim.blocked[1][0] = 1;
    sim_run(&sim, 30000);
    assert_true(converged(&sim));
    for (i = 0; i < sim.node_count; i++) {
        assert_int_equal(sim.nodes[i].suspect_marks, 0);
        assert_int_equal(sim.nodes[i].dead_marks, 0);
    }
    sim_destroy(&sim);
}

/* Runs a cluster with 10% drops for a long time: no one is ever DEAD. */
static void
test_no_false_dead_with_drops(void **state)
{
    struct membership_config config = fast_config();
    struct sim sim;
    int i, suspicions = 0;

    sim_init(&sim, 107, 5, &config, 2);
    run_until_converged(&sim, 2000, "initial join");
    sim.drop = 0.10;
    sim.delay_max = 10;
    sim_run(&sim, 300000);   /* 3000 probe intervals */
    for (i = 0; i < sim.node_count; i++) {
        suspicions += sim.nodes[i].suspect_marks;
        if (sim.nodes[i].dead_marks != 0) {
            sim_fail(&sim, "instance %d declared %d false deaths", i, sim.nodes[i].dead_marks);
        }
    }
    print_message("10%% drops, 300 s: %d suspicions, all refuted, no DEAD\n", suspicions);
    sim.drop = 0;
    run_until_converged(&sim, recovery_bound(&sim), "after drops");
    sim_destroy(&sim);
}

/* Heavy duplication and reordering (random delays) change nothing. */
static void
test_duplicates_and_reordering_are_harmless(void **state)
{
    struct membership_config config = fast_config();
    struct sim sim;
    int i;

    sim_init(&sim, 108, 6, &config, 1);
    sim.duplicate = 0.5;
    sim.delay_min = 1;
    sim.delay_max = 20;   /* a round trip stays under probe_timeout_ms */
    run_until_converged(&sim, 3000, "join with duplicates");
    sim_run(&sim, 60000);
    assert_true(converged(&sim));
    print_message("%llu duplicates, %llu reordered deliveries: no suspicion\n",
                  (unsigned long long)sim.duplicated, (unsigned long long)sim.reordered);
    assert_true(sim.duplicated > 1000);
    assert_true(sim.reordered > 1000);
    for (i = 0; i < sim.node_count; i++) {
        assert_int_equal(sim.nodes[i].suspect_marks, 0);
        assert_int_equal(sim.nodes[i].dead_marks, 0);
        assert_true(membership_member(sim.nodes[i].membership, 0)->incarnation == 1);
    }
    sim_destroy(&sim);
}

/* ------------------------------------------------------------------ */
/* Random fault schedules                                              */
/* ------------------------------------------------------------------ */

/* What the random schedules did, summed (printed, to show coverage). */
struct schedule_stats {
    int      schedules;
    int      faults[8];            /* by kind, as in random_fault() */
    int      dead_marks;           /* DEAD decisions taken by instances */
    uint64_t messages;
    uint64_t slowest_settle_ms;    /* heal to last disagreement, worst case */
    uint64_t quiesce_ms;           /* the time allowed, for comparison */
};

/* One random fault applied to the world; returns its kind, or -1 when
 * it changed nothing (e.g. restarting an instance that is not down). */
static int
random_fault(struct sim *sim)
{
    int i = (int)sim_between(sim, 0, (uint64_t)sim->node_count - 1);
    struct sim_node *node = &sim->nodes[i];
    int other = (int)sim_between(sim, 0, (uint64_t)sim->node_count - 1);
    int kind = (int)sim_between(sim, 0, 7), k;

    switch (kind) {
    case 0:   /* crash */
        if (node->crashed) {
            return -1;
        }
        node->up = 0;
        node->crashed = 1;
        break;
    case 1:   /* pause (a stalled process, or a clock jump) */
        if (node->crashed || !node->up) {
            return -1;
        }
        node->up = 0;
        break;
    case 2:   /* resume */
        if (node->crashed || node->up) {
            return -1;
        }
        node->up = 1;
        break;
    case 3:   /* restart a crashed instance with a higher incarnation */
        if (!node->crashed) {
            return -1;
        }
        node_start(sim, i, node->highest_incarnation + 1, 2);
        break;
    case 4:   /* partition into two random groups */
        for (k = 0; k < sim->node_count; k++) {
            sim->nodes[k].group = (int)sim_between(sim, 0, 1);
        }
        break;
    case 5:   /* heal partitions and cut links */
        for (k = 0; k < sim->node_count; k++) {
            sim->nodes[k].group = 0;
        }
        memset(sim->blocked, 0, sizeof(sim->blocked));
        break;
    case 6:   /* cut the link between two instances, both ways */
        if (i == other) {
            return -1;
        }
        sim->blocked[i][other] = sim->blocked[other][i] = 1;
        break;
    default:  /* change the network's quality */
        sim->drop = sim_chance(sim) * 0.3;
        sim->duplicate = sim_chance(sim) * 0.3;
        sim->delay_max = sim_between(sim, 1, 60);
        break;
    }
    return kind;
}

/* Invariant (a): every live instance agrees on every member's liveness
 * and on the digest (and that is the truth: live ALIVE, crashed DEAD). */
static void
check_agreement(struct sim *sim)
{
    int i, j;

    if (converged(sim)) {
        return;
    }
    for (i = 0; i < sim->node_count; i++) {
        for (j = 0; j < sim->node_count; j++) {
            if (sim->nodes[i].up) {
                print_error("  view %d: node-%d %d (up %d)\n", i, j, liveness_in_view(sim, i, j),
                            sim->nodes[j].up);
            }
        }
    }
    sim_fail(sim, "live instances disagree after healing and quiescing");
}

/* The number of instances of a schedule, drawn from its seed alone. */
static int
schedule_node_count(uint64_t seed)
{
    struct sim picker;

    memset(&picker, 0, sizeof(picker));
    picker.random_state = seed;
    return (int)sim_between(&picker, 3, 7);
}

/* Random faults, one every 25 ticks on average, for 0.5 to 2.5 s. */
static void
run_fault_phase(struct sim *sim, struct schedule_stats *stats)
{
    uint64_t fault_end = sim->now + sim_between(sim, 500, 2500);

    while (sim->now < fault_end && !sim->failed) {
        if (sim_chance(sim) < 0.04) {
            int kind = random_fault(sim);

            if (kind >= 0) {
                stats->faults[kind]++;
            }
        }
        sim_step(sim);
    }
}

/* Heals: network whole and clean, paused instances resume, crashed ones
 * stay down or come back (each with even odds). */
static void
heal_world(struct sim *sim)
{
    int i;

    sim->drop = 0;
    sim->duplicate = 0;
    sim->delay_max = 5;
    memset(sim->blocked, 0, sizeof(sim->blocked));
    for (i = 0; i < sim->node_count; i++) {
        sim->nodes[i].group = 0;
        if (sim->nodes[i].crashed && sim_chance(sim) < 0.5) {
            node_start(sim, i, sim->nodes[i].highest_incarnation + 1, 2);
        } else if (!sim->nodes[i].crashed) {
            sim->nodes[i].up = 1;
        }
    }
}

/* Runs the healed world long enough for any leftover false suspicion to
 * expire into DEAD (suspicion timeout) and be refuted (recovery), and for
 * crashed members to be found (detection); then checks invariant (a). */
static void
run_quiesce_phase(struct sim *sim, struct schedule_stats *stats)
{
    uint64_t quiesce = sim->config.probe_interval_ms + sim->config.suspicion_timeout_ms +
                       detection_bound(sim) + recovery_bound(sim);
    uint64_t healed_at = sim->now, settled_at = sim->now;

    while (sim->now < healed_at + quiesce) {
        sim_step(sim);
        if (!converged(sim)) {
            settled_at = sim->now;
        }
    }
    check_agreement(sim);
    if (settled_at - healed_at > stats->slowest_settle_ms) {
        stats->slowest_settle_ms = settled_at - healed_at;
    }
    if (quiesce > stats->quiesce_ms) {
        stats->quiesce_ms = quiesce;
    }
}

/* One schedule: faults for a while, then heal everything and quiesce. */
static void
run_schedule(uint64_t seed, struct schedule_stats *stats)
{
    struct membership_config config = fast_config();
    struct sim sim;
    int i;

    sim_init(&sim, seed, schedule_node_count(seed), &config, 2);
    sim.replayable = 1;
    sim.delay_max = sim_between(&sim, 1, 30);
    run_fault_phase(&sim, stats);
    heal_world(&sim);
    run_quiesce_phase(&sim, stats);
    stats->schedules++;
    stats->messages += sim.messages_sent;
    for (i = 0; i < sim.node_count; i++) {
        stats->dead_marks += sim.nodes[i].dead_marks;
    }
    sim_destroy(&sim);
}

static void
test_random_fault_schedules(void **state)
{
    const char *replay = getenv("HERD_MEMBERSHIP_SEED");
    struct schedule_stats stats;
    uint64_t seed;
    int schedules = 2000;

    memset(&stats, 0, sizeof(stats));
    if (replay != NULL && replay[0] != '\0') {
        seed = strtoull(replay, NULL, 10);
        print_message("replaying schedule seed %llu\n", (unsigned long long)seed);
        run_schedule(seed, &stats);
        return;
    }
    if (getenv("HERD_MEMBERSHIP_SCHEDULES") != NULL) {
        schedules = atoi(getenv("HERD_MEMBERSHIP_SCHEDULES"));
    }
    for (seed = 1; seed <= (uint64_t)schedules; seed++) {
        run_schedule(seed, &stats);
    }
    print_message("%d schedules: %d crashes, %d pauses, %d resumes, %d restarts, "
                  "%d partitions, %d heals, %d cut links, %d network changes; "
                  "%d DEAD decisions, %llu messages; slowest agreement %llu ms after "
                  "healing (allowed %llu ms)\n", stats.schedules,
                  stats.faults[0], stats.faults[1], stats.faults[2], stats.faults[3],
                  stats.faults[4], stats.faults[5], stats.faults[6], stats.faults[7],
                  stats.dead_marks, (unsigned long long)stats.messages,
                  (unsigned long long)stats.slowest_settle_ms,
                  (unsigned long long)stats.quiesce_ms);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_decode_round_trip),
        cmocka_unit_test(test_encode_refuses_unencodable),
        cmocka_unit_test(test_decode_rejects_every_truncation),
        cmocka_unit_test(test_decode_rejects_malformed),
        cmocka_unit_test(test_decode_survives_random_corruption),
        cmocka_unit_test(test_new_checks_arguments),
        cmocka_unit_test(test_refutes_and_merges_by_rule),
        cmocka_unit_test(test_merge_is_order_independent),
        cmocka_unit_test(test_piggyback_bounded_newest_first_and_counted),
        cmocka_unit_test(test_join_through_one_seed),
        cmocka_unit_test(test_join_with_all_seeds),
        cmocka_unit_test(test_crash_detected_within_bound),
        cmocka_unit_test(test_paused_member_refutes_after_resume),
        cmocka_unit_test(test_partition_heals),
        cmocka_unit_test(test_restart_with_higher_incarnation),
        cmocka_unit_test(test_indirect_probes_bridge_a_cut_link),
        cmocka_unit_test(test_no_false_dead_with_drops),
        cmocka_unit_test(test_duplicates_and_reordering_are_harmless),
        cmocka_unit_test(test_random_fault_schedules),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
