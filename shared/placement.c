/*
 * placement.c — rendezvous (highest random weight) placement of slots.
 *
 * Frozen definitions (every proxy and node must agree, across versions):
 *
 *   score(id, slot) = mix64(hash64(id, strlen(id)) ^ mix64(slot + 1))
 *
 *   Members are ranked per slot by score, highest first; equal scores are
 *   ordered by strcmp() of the ids, smaller first.  Only members with
 *   owns_data rank.  Member ids must be distinct and non-empty.
 *
 *   digest = mix64(S ^ mix64(replicas) ^ mix64(0x100000000 + count)) where
 *   S is the sum (mod 2^64) over all members of
 *   mix64(hash64(id, strlen(id)) ^ (owns_data ? 1 : 0)).  A sum does not
 *   depend on the order of the members, so no sorting is needed.
 *
 * The build keeps, per slot, a sorted top-`replicas` list while scanning
 * the owning members once (partial selection), so its cost is
 * SLOT_COUNT x owners x (one mix64 and a compare or two).
 */
#include <stdlib.h>
#include <string.h>

#include "shared/checksum.h"
#include "shared/placement.h"

/* A member competing for a slot: its score there and its index. */
struct placement_candidate {
    uint64_t score;
    int      member;     /* index into the caller's members array */
};

/* An owning member with its id hash, computed once per build. */
struct placement_owner {
    uint64_t id_hash;    /* hash64 of the id */
    int      member;     /* index into the caller's members array */
};

uint64_t
placement_score(const char *member_id, unsigned int slot)
{
    return mix64(hash64(member_id, strlen(member_id)) ^ mix64((uint64_t)slot + 1));
}

/* Nonzero when candidate a ranks before candidate b. */
static int
placement_ranks_before(const struct placement_candidate *a,
                       const struct placement_candidate *b,
                       const struct placement_member *members)
{
    if (a->score != b->score) {
        return a->score > b->score;
    }
    return strcmp(members[a->member].id, members[b->member].id) < 0;
}

/* qsort comparator over an array of id pointers. */
static int
placement_compare_ids(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Zero when every id is terminated, non-empty and distinct; else -1. */
static int
placement_check_members(const struct placement_member *members, int member_count)
{
    const char **ids;
    int i, status = -1;

    if (member_count == 0) {
        return 0;
    }
    ids = malloc(sizeof(*ids) * (size_t)member_count);
    if (ids == NULL) {
        return -1;
    }
    for (i = 0; i < member_count; i++) {
        if (memchr(members[i].id, '\0', PLACEMENT_ID_MAX) == NULL ||
            members[i].id[0] == '\0') {
            goto out;
        }
        ids[i] = members[i].id;
    }
    qsort(ids, (size_t)member_count, sizeof(*ids), placement_compare_ids);
    for (i = 1; i < member_count; i++) {
        if (strcmp(ids[i - 1], ids[i]) == 0) {
            goto out;
        }
    }
    status = 0;
out:
    free(ids);
    return status;
}

/* Collects the members that own data; returns how many. */
static int
placement_collect_owners(const struct placement_member *members, int member_count,
                         struct placement_owner *owners)
{
    int i, count = 0;

    for (i = 0; i < member_count; i++) {
        if (members[i].owns_data) {
            owners[count].id_hash = hash64(members[i].id, strlen(members[i].id));
            owners[count].member = i;
            count++;
        }
    }
    return count;
}

/*
 * Inserts a candidate into top[0..*kept), kept sorted best first and at
 * most `wanted` long; a candidate worse than a full list's last is dropped.
 */
static void
placement_offer(struct placement_candidate *top, int *kept, int wanted,
                const struct placement_candidate *candidate,
                const struct placement_member *members)
{
    int position = *kept;

    if (position == wanted) {
        if (!placement_ranks_before(candidate, &top[wanted - 1], members)) {
            return;
        }
        position--;
    } else {
        (*kept)++;
    }
    while (position > 0 && placement_ranks_before(candidate, &top[position - 1], members)) {
        top[position] = top[position - 1];
        position--;
    }
    top[position] = *candidate;
}

/* Fills one slot's row with its best `wanted` owners, -1 after them. */
static void
placement_rank_slot(int16_t *row, unsigned int slot,
                    const struct placement_owner *owners, int owner_count,
                    int wanted, const struct placement_member *members)
{
    struct placement_candidate top[PLACEMENT_MAX_REPLICAS], candidate;
    uint64_t slot_mix = mix64((uint64_t)slot + 1);
    int i, kept = 0;

    for (i = 0; i < owner_count; i++) {
        candidate.score = mix64(owners[i].id_hash ^ slot_mix);
        if (kept == wanted && (wanted == 0 || candidate.score < top[wanted - 1].score)) {
            continue;  /* the common case: clearly worse than a full list */
        }
        candidate.member = owners[i].member;
        placement_offer(top, &kept, wanted, &candidate, members);
    }
    for (i = 0; i < PLACEMENT_MAX_REPLICAS; i++) {
        row[i] = (int16_t)(i < kept ? top[i].member : -1);
    }
}

/*
 * The table is overwritten without freeing what it held: build into a
 * fresh struct, then placement_free() the old one.  On failure the table
 * is left untouched.
 */
int
placement_build(struct placement_table *table,
                const struct placement_member *members, int member_count,
                int replicas)
{
    struct placement_owner *owners = NULL;
    int16_t (*replica)[PLACEMENT_MAX_REPLICAS] = NULL;
    int owner_count, wanted, status = -1;
    unsigned int slot;

    if (replicas < 1 || replicas > PLACEMENT_MAX_REPLICAS ||
        member_count < 0 || member_count > PLACEMENT_MAX_MEMBERS ||
        (members == NULL && member_count > 0) ||
        placement_check_members(members, member_count) != 0) {
        return -1;
    }
    owners = malloc(sizeof(*owners) * (size_t)(member_count > 0 ? member_count : 1));
    replica = malloc(sizeof(*replica) * SLOT_COUNT);
    if (owners == NULL || replica == NULL) {
        free(replica);
        goto out;
    }
    owner_count = placement_collect_owners(members, member_count, owners);
    wanted = (owner_count < replicas) ? owner_count : replicas;
    for (slot = 0; slot < SLOT_COUNT; slot++) {
        placement_rank_slot(replica[slot], slot, owners, owner_count, wanted, members);
    }
    table->replicas = replicas;
    table->replica_count = wanted;
    table->member_count = member_count;
    table->digest = placement_digest(members, member_count, replicas);
    table->replica = replica;
    status = 0;
out:
    free(owners);
    return status;
}

void
placement_free(struct placement_table *table)
{
    free(table->replica);
    memset(table, 0, sizeof(*table));
}

const int16_t *
placement_replicas(const struct placement_table *table, unsigned int slot, int *count)
{
    if (table->replica == NULL || slot >= SLOT_COUNT) {
        *count = 0;
        return NULL;
    }
    *count = table->replica_count;
    return table->replica[slot];
}

uint64_t
placement_digest(const struct placement_member *members, int member_count,
                 int replicas)
{
    uint64_t sum = 0;
    int i;

    for (i = 0; i < member_count; i++) {
        sum += mix64(hash64(members[i].id, strnlen(members[i].id, PLACEMENT_ID_MAX)) ^
                     (members[i].owns_data ? 1 : 0));
    }
    return mix64(sum ^ mix64((uint64_t)(unsigned int)replicas) ^
                 mix64(0x100000000ULL + (uint64_t)(unsigned int)member_count));
}
