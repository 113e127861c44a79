/*
 * expire.h — active expiry: removes keys whose time has passed even when no
 * command touches them, so expired data does not linger on disk.
 */
#ifndef HERD_NODE_EXPIRE_H
#define HERD_NODE_EXPIRE_H

struct server;

/* Smallest and largest time budget of one cycle, in microseconds. */
#define EXPIRE_CYCLE_MIN_BUDGET_US 1000
#define EXPIRE_CYCLE_MAX_SHARE     4     /* at most 1/4 of the cron period */

/* Runs one bounded cycle (called `hz` times a second from the cron):
 * deletes due keys in expiry order until none is due or the budget is
 * spent.  The budget starts at EXPIRE_CYCLE_MIN_BUDGET_US, doubles while
 * cycles keep running out of time (a backlog of due keys), up to a quarter
 * of the cron period, and falls back when the backlog is gone.  Returns
 * the number of keys deleted. */
long expire_cycle(struct server *server);

#endif
