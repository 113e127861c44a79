/*
 * placement.h — which nodes hold a slot: rendezvous (HRW) hashing.
 *
 * The replica set of a slot is the first `replicas` members ordered by
 * score(member id, slot), highest first, among members that own data.  The
 * table is precomputed for all 16384 slots whenever membership changes.
 * Proxies and nodes link this one implementation, so equal membership gives
 * equal tables, and equal tables give equal digests.
 */
#ifndef HERD_PLACEMENT_H
#define HERD_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>
#include "shared/slot.h"

#define PLACEMENT_MAX_REPLICAS 8
#define PLACEMENT_MAX_MEMBERS  1024
#define PLACEMENT_ID_MAX       64

/* One member as placement sees it. */
struct placement_member {
    char     id[PLACEMENT_ID_MAX];  /* stable identity, e.g. node id */
    int      owns_data;             /* 0: not ranked (e.g. joining) */
};

/* The slot -> replicas table.  replica[slot][i] indexes `members` as given
 * to placement_build(); entries past replica_count are -1. */
struct placement_table {
    int      replicas;              /* wanted copies per slot */
    int      replica_count;         /* min(replicas, owning members) */
    int      member_count;
    uint64_t digest;                /* hash of sorted (id, owns_data), replicas */
    int16_t  (*replica)[PLACEMENT_MAX_REPLICAS];  /* SLOT_COUNT rows */
};

/* The HRW score of a member for a slot (stable across builds/versions). */
uint64_t placement_score(const char *member_id, unsigned int slot);

/* Builds the table.  Returns 0, or -1 on bad arguments or no memory. */
int  placement_build(struct placement_table *table,
                     const struct placement_member *members, int member_count,
                     int replicas);
void placement_free(struct placement_table *table);

/* The members holding a slot, best first; *count receives how many. */
const int16_t *placement_replicas(const struct placement_table *table,
                                  unsigned int slot, int *count);

/* Digest of a membership; order of `members` does not matter. */
uint64_t placement_digest(const struct placement_member *members,
                          int member_count, int replicas);

#endif
