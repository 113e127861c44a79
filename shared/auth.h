/*
 * auth.h — password checks off the event loop, for both programs.
 *
 * password_verify() (shared/password.h) costs tens of milliseconds on
 * purpose, far too long to run on the libevent loop that serves every
 * client.  An auth_worker is one thread that runs the checks one after
 * another.  The loop thread submits a check (auth_submit) and carries on;
 * the worker verifies, puts the finished check on a queue guarded by a
 * mutex and writes one byte to a pipe the loop watches; the loop then
 * calls the check's callback, on the loop thread, once the check's reply
 * delay (rate limiting) has also passed.
 *
 * A check for an unknown or disabled user runs a verification against a
 * dummy hash all the same and always fails, so the time a failure takes
 * does not tell whether the user exists.
 *
 * The owner of a check (a client connection) that goes away while it is
 * pending calls auth_cancel(): the callback then never runs, and the check
 * is freed by whichever thread holds it last.
 */
#ifndef HERD_AUTH_H
#define HERD_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include "shared/acl.h"
#include "shared/config.h"

struct auth_worker;
struct auth_job;

/* Called on the loop thread when a check is over: verified is 1 when the
 * password matched, else 0. */
typedef void auth_callback(void *argument, int verified);

/* Starts the worker thread and watches its pipe from `base`.  Returns the
 * worker, or NULL with a message in error. */
struct auth_worker *auth_worker_start(struct event_base *base, char *error,
                                      size_t error_size);
/* Stops the thread; checks not yet delivered are dropped (their callbacks
 * never run).  NULL is accepted. */
void auth_worker_stop(struct auth_worker *worker);

/*
 * Queues a check of `password` against the hashes of `user` (NULL, or a
 * disabled user: a dummy check that fails).  The callback runs no sooner
 * than `delay_ms` from now.  Returns the job, to give to auth_cancel(), or
 * NULL when out of memory.  The password is copied (and wiped after use).
 */
struct auth_job *auth_submit(struct auth_worker *worker, const struct acl_user *user,
                             const char *password, size_t length, uint64_t delay_ms,
                             auth_callback *callback, void *argument);
/* The job's owner is gone: its callback will not run. */
void auth_cancel(struct auth_job *job);

/* The reply delay after `failures` failed attempts on one connection:
 * 0 for the first attempt, then 100 ms doubling, at most 2 s. */
uint64_t auth_failure_delay_ms(int failures);

/* CONFIG_CUSTOM setters of the config lines both programs share:
 * `requirepass <password>` and `user <name> <rule>...`.  The option's
 * offset locates the program's struct acl in its settings.  Each returns
 * 0, or -1 with a message. */
int auth_config_requirepass(const struct config_option *option, void *target,
                            int argc, char **argv, char *error, size_t error_size);
int auth_config_user(const struct config_option *option, void *target,
                     int argc, char **argv, char *error, size_t error_size);

#define AUTH_DELAY_FIRST_MS 100
#define AUTH_DELAY_MAX_MS   2000

#endif
