/*
 * expire.c — the active expire cycle (see expire.h).
 *
 * Keys are taken from the expiry index in expiry order, so a cycle only
 * touches keys that are due: its cost is proportional to the work done,
 * never to the number of keys with a TTL.
 */
#include <stdlib.h>
#include <string.h>
#include "shared/clock.h"
#include "node/server.h"
#include "node/keyindex.h"
#include "node/db.h"
#include "node/expire.h"

#define EXPIRE_TIME_CHECK_EVERY 16   /* keys between clock reads */

/* The largest budget: a quarter of the cron period. */
static uint64_t
expire_max_budget(const struct server *server)
{
    long long hz = server->settings.hz > 0 ? server->settings.hz : 10;
    uint64_t period_us = (uint64_t)(1000000 / hz);
    uint64_t budget = period_us / EXPIRE_CYCLE_MAX_SHARE;

    return budget < EXPIRE_CYCLE_MIN_BUDGET_US ? EXPIRE_CYCLE_MIN_BUDGET_US : budget;
}

/* Deletes the first due key; returns 1 if one was deleted, 0 if none is
 * due, -1 on a storage error. */
static int
expire_one(struct server *server, uint64_t now_ms)
{
    struct keyindex_entry entry;
    char *key;
    size_t key_length;
    int result;

    if (!keyindex_first_expiring(server->keyindex, &entry) ||
        !db_is_expired(entry.expire_ms, now_ms)) {
        return 0;
    }
    /* entry.key points into the index, which the delete changes. */
    key_length = entry.key_length;
    key = malloc(key_length + 1);
    if (key == NULL) {
        return -1;
    }
    memcpy(key, entry.key, key_length);
    result = db_delete_expired(server, key, key_length);
    free(key);
    return result == DB_ERROR ? -1 : 1;
}

long
expire_cycle(struct server *server)
{
    uint64_t started = monotonic_microseconds();
    uint64_t budget = server->expire_budget_us;
    uint64_t now_ms = wall_clock_milliseconds(NULL);
    long deleted = 0;
    int result, out_of_time = 0;

    if (budget < EXPIRE_CYCLE_MIN_BUDGET_US) {
        budget = EXPIRE_CYCLE_MIN_BUDGET_US;
    }
    server->stats.expire_cycles++;
    server->command_time_ms = now_ms;
    while ((result = expire_one(server, now_ms)) == 1) {
        deleted++;
        if (deleted % EXPIRE_TIME_CHECK_EVERY == 0 &&
            monotonic_microseconds() - started >= budget) {
            out_of_time = 1;
            break;
        }
    }
    server->command_time_ms = 0;
    if (out_of_time) {
        server->stats.expire_time_limit_reached++;
        budget *= 2;
        if (budget > expire_max_budget(server)) {
            budget = expire_max_budget(server);
        }
    } else {
        budget = EXPIRE_CYCLE_MIN_BUDGET_US;
    }
    server->expire_budget_us = budget;
    return deleted;
}
