/*
 * auth.c — the password-check thread (see auth.h).
 *
 * A job moves through four states.  QUEUED: on worker->queue, waiting for
 * the thread.  RUNNING: the thread verifies it (with the mutex released).
 * FINISHED: on worker->done, waiting for the loop, which the thread woke
 * through the pipe.  DELAYED: the loop holds it until its reply time, on
 * worker->delayed with a timer armed.  Only the loop thread submits,
 * cancels and delivers; the mutex guards queue, done and the state of
 * jobs on them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "shared/auth.h"
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/password.h"

enum auth_job_state {
    AUTH_JOB_QUEUED,
    AUTH_JOB_RUNNING,
    AUTH_JOB_FINISHED,
    AUTH_JOB_DELAYED
};

/* One password check. */
struct auth_job {
    struct auth_worker *worker;
    enum auth_job_state state;
    int                 cancelled;     /* owner gone: free, never call back */
    int                 verified;      /* the result, once FINISHED */
    int                 hash_count;    /* 0: dummy check that fails */
    char                hashes[ACL_MAX_PASSWORDS][PASSWORD_HASH_MAX];
    char               *password;      /* copy, wiped before it is freed */
    size_t              length;
    uint64_t            reply_ms;      /* monotonic: not answered before */
    auth_callback      *callback;
    void               *argument;
    struct event       *timer;         /* DELAYED */
    TAILQ_ENTRY(auth_job) link;
};

TAILQ_HEAD(auth_job_list, auth_job);

/* The thread and the queues between it and the loop. */
struct auth_worker {
    struct event_base   *base;
    pthread_t            thread;
    int                  thread_started;
    pthread_mutex_t      mutex;
    pthread_cond_t       wake;
    int                  stopping;
    struct auth_job_list queue;        /* QUEUED, oldest first */
    struct auth_job_list done;         /* FINISHED */
    struct auth_job_list delayed;      /* DELAYED (loop thread only) */
    int                  pipe_fds[2];  /* thread writes [1], loop reads [0] */
    struct event        *pipe_event;
    char                 dummy_hash[PASSWORD_HASH_MAX];
};

uint64_t
auth_failure_delay_ms(int failures)
{
    uint64_t delay = AUTH_DELAY_FIRST_MS;
    int i;

    if (failures <= 0) {
        return 0;
    }
    for (i = 1; i < failures && delay < AUTH_DELAY_MAX_MS; i++) {
        delay *= 2;
    }
    return delay < AUTH_DELAY_MAX_MS ? delay : AUTH_DELAY_MAX_MS;
}

/* Wipes the password copy and frees the job. */
static void
job_free(struct auth_job *job)
{
    if (job->password != NULL) {
        OPENSSL_cleanse(job->password, job->length);
        free(job->password);
    }
    if (job->timer != NULL) {
        event_free(job->timer);
    }
    free(job);
}

/* ------------------------------------------------------------------------
 * The thread
 * ------------------------------------------------------------------------ */

/* Runs the check: 1 when a hash of the user matches. */
static int
job_verify(const struct auth_worker *worker, const struct auth_job *job)
{
    int i, verified = 0;

    if (job->hash_count == 0) {
        (void)password_verify(worker->dummy_hash, job->password, job->length);
        return 0;
    }
    for (i = 0; i < job->hash_count; i++) {
        if (password_verify(job->hashes[i], job->password, job->length) == 1) {
            verified = 1;
        }
    }
    return verified;
}

/* Wakes the loop: one byte on the pipe (a full pipe already wakes it). */
static void
worker_notify(struct auth_worker *worker)
{
    char byte = 1;

    if (write(worker->pipe_fds[1], &byte, 1) < 0 && errno != EAGAIN) {
        log_warning("auth: cannot wake the event loop: %s", strerror(errno));
    }
}

static void *
worker_main(void *argument)
{
    struct auth_worker *worker = argument;
    struct auth_job *job;
    int verified;

    pthread_mutex_lock(&worker->mutex);
    while (!worker->stopping) {
        job = TAILQ_FIRST(&worker->queue);
        if (job == NULL) {
            pthread_cond_wait(&worker->wake, &worker->mutex);
            continue;
        }
        TAILQ_REMOVE(&worker->queue, job, link);
        job->state = AUTH_JOB_RUNNING;
        pthread_mutex_unlock(&worker->mutex);
        verified = job_verify(worker, job);
        pthread_mutex_lock(&worker->mutex);
        job->verified = verified;
        job->state = AUTH_JOB_FINISHED;
        TAILQ_INSERT_TAIL(&worker->done, job, link);
        worker_notify(worker);
    }
    pthread_mutex_unlock(&worker->mutex);
    return NULL;
}

/* ------------------------------------------------------------------------
 * The loop side
 * ------------------------------------------------------------------------ */

/* Gives the result to the job's owner and frees the job. */
static void
job_deliver(struct auth_job *job)
{
    auth_callback *callback = job->callback;
    void *argument = job->argument;
    int verified = job->verified;

    job_free(job);
    callback(argument, verified);
}

static void
job_timer_callback(evutil_socket_t fd, short events, void *argument)
{
    struct auth_job *job = argument;

    (void)fd;
    (void)events;
    TAILQ_REMOVE(&job->worker->delayed, job, link);
    job_deliver(job);
}

/* A finished job reached the loop: deliver it now, or at its reply time. */
static void
job_finished(struct auth_worker *worker, struct auth_job *job)
{
    uint64_t now = monotonic_milliseconds();
    struct timeval wait;

    if (job->cancelled) {
        job_free(job);
        return;
    }
    if (now >= job->reply_ms) {
        job_deliver(job);
        return;
    }
    job->timer = evtimer_new(worker->base, job_timer_callback, job);
    wait.tv_sec = (time_t)((job->reply_ms - now) / 1000);
    wait.tv_usec = (suseconds_t)(((job->reply_ms - now) % 1000) * 1000);
    if (job->timer == NULL || evtimer_add(job->timer, &wait) != 0) {
        job_deliver(job);
        return;
    }
    job->state = AUTH_JOB_DELAYED;
    TAILQ_INSERT_TAIL(&worker->delayed, job, link);
}

static void
pipe_callback(evutil_socket_t fd, short events, void *argument)
{
    struct auth_worker *worker = argument;
    struct auth_job_list finished;
    struct auth_job *job;
    char bytes[64];

    (void)events;
    while (read(fd, bytes, sizeof(bytes)) > 0) {
    }
    TAILQ_INIT(&finished);
    pthread_mutex_lock(&worker->mutex);
    while ((job = TAILQ_FIRST(&worker->done)) != NULL) {
        TAILQ_REMOVE(&worker->done, job, link);
        TAILQ_INSERT_TAIL(&finished, job, link);
    }
    pthread_mutex_unlock(&worker->mutex);
    while ((job = TAILQ_FIRST(&finished)) != NULL) {
        TAILQ_REMOVE(&finished, job, link);
        job_finished(worker, job);
    }
}

/* Opens the wake-up pipe, non-blocking at both ends. */
static int
worker_open_pipe(struct auth_worker *worker)
{
    if (pipe(worker->pipe_fds) != 0) {
        worker->pipe_fds[0] = worker->pipe_fds[1] = -1;
        return -1;
    }
    if (fcntl(worker->pipe_fds[0], F_SETFL, O_NONBLOCK) != 0 ||
        fcntl(worker->pipe_fds[1], F_SETFL, O_NONBLOCK) != 0 ||
        fcntl(worker->pipe_fds[0], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(worker->pipe_fds[1], F_SETFD, FD_CLOEXEC) != 0) {
        return -1;
    }
    return 0;
}

struct auth_worker *
auth_worker_start(struct event_base *base, char *error, size_t error_size)
{
    struct auth_worker *worker = calloc(1, sizeof(*worker));

    if (worker == NULL) {
        snprintf(error, error_size, "auth: out of memory");
        return NULL;
    }
    worker->base = base;
    worker->pipe_fds[0] = worker->pipe_fds[1] = -1;
    TAILQ_INIT(&worker->queue);
    TAILQ_INIT(&worker->done);
    TAILQ_INIT(&worker->delayed);
    pthread_mutex_init(&worker->mutex, NULL);
    pthread_cond_init(&worker->wake, NULL);
    if (password_hash("herd-dummy", 10, worker->dummy_hash, sizeof(worker->dummy_hash)) != 0) {
        snprintf(error, error_size, "auth: cannot make the dummy password hash");
        goto failed;
    }
    if (worker_open_pipe(worker) != 0) {
        snprintf(error, error_size, "auth: cannot open a pipe: %s", strerror(errno));
        goto failed;
    }
    worker->pipe_event = event_new(base, worker->pipe_fds[0], EV_READ | EV_PERSIST,
                                   pipe_callback, worker);
    if (worker->pipe_event == NULL || event_add(worker->pipe_event, NULL) != 0) {
        snprintf(error, error_size, "auth: cannot watch the pipe");
        goto failed;
    }
    if (pthread_create(&worker->thread, NULL, worker_main, worker) != 0) {
        snprintf(error, error_size, "auth: cannot start the password thread");
        goto failed;
    }
    worker->thread_started = 1;
    return worker;
failed:
    auth_worker_stop(worker);
    return NULL;
}

/* Frees every job of a list without calling back. */
static void
free_jobs(struct auth_job_list *list)
{
    struct auth_job *job;

    while ((job = TAILQ_FIRST(list)) != NULL) {
        TAILQ_REMOVE(list, job, link);
        job_free(job);
    }
}

void
auth_worker_stop(struct auth_worker *worker)
{
    if (worker == NULL) {
        return;
    }
    if (worker->thread_started) {
        pthread_mutex_lock(&worker->mutex);
        worker->stopping = 1;
        pthread_cond_signal(&worker->wake);
        pthread_mutex_unlock(&worker->mutex);
        pthread_join(worker->thread, NULL);
    }
    free_jobs(&worker->queue);
    free_jobs(&worker->done);
    free_jobs(&worker->delayed);
    if (worker->pipe_event != NULL) {
        event_free(worker->pipe_event);
    }
    if (worker->pipe_fds[0] >= 0) {
        close(worker->pipe_fds[0]);
    }
    if (worker->pipe_fds[1] >= 0) {
        close(worker->pipe_fds[1]);
    }
    pthread_cond_destroy(&worker->wake);
    pthread_mutex_destroy(&worker->mutex);
    free(worker);
}

/* A new job with a copy of the password and the user's hashes. */
static struct auth_job *
job_new(const struct acl_user *user, const char *password, size_t length)
{
    struct auth_job *job = calloc(1, sizeof(*job));
    int i;

    if (job == NULL) {
        return NULL;
    }
    job->password = malloc(length + 1);
    if (job->password == NULL) {
        free(job);
        return NULL;
    }
    memcpy(job->password, password, length);
    job->password[length] = '\0';
    job->length = length;
    if (user != NULL && user->enabled) {
        for (i = 0; i < user->password_count && i < ACL_MAX_PASSWORDS; i++) {
            memcpy(job->hashes[i], user->passwords[i], PASSWORD_HASH_MAX);
            job->hashes[i][PASSWORD_HASH_MAX - 1] = '\0';
        }
        job->hash_count = i;
    }
    return job;
}

struct auth_job *
auth_submit(struct auth_worker *worker, const struct acl_user *user,
            const char *password, size_t length, uint64_t delay_ms,
            auth_callback *callback, void *argument)
{
    struct auth_job *job = job_new(user, password, length);

    if (job == NULL) {
        return NULL;
    }
    job->worker = worker;
    job->reply_ms = monotonic_milliseconds() + delay_ms;
    job->callback = callback;
    job->argument = argument;
    job->state = AUTH_JOB_QUEUED;
    pthread_mutex_lock(&worker->mutex);
    TAILQ_INSERT_TAIL(&worker->queue, job, link);
    pthread_cond_signal(&worker->wake);
    pthread_mutex_unlock(&worker->mutex);
    return job;
}

void
auth_cancel(struct auth_job *job)
{
    struct auth_worker *worker = job->worker;

    pthread_mutex_lock(&worker->mutex);
    switch (job->state) {
    case AUTH_JOB_QUEUED:
        TAILQ_REMOVE(&worker->queue, job, link);
        pthread_mutex_unlock(&worker->mutex);
        job_free(job);
        return;
    case AUTH_JOB_DELAYED:
        TAILQ_REMOVE(&worker->delayed, job, link);
        pthread_mutex_unlock(&worker->mutex);
        job_free(job);
        return;
    default:
        /* RUNNING or FINISHED: the loop frees it when it arrives. */
        job->cancelled = 1;
        pthread_mutex_unlock(&worker->mutex);
        return;
    }
}

/* ------------------------------------------------------------------------
 * Config lines
 * ------------------------------------------------------------------------ */

/* The struct acl a config option names. */
static struct acl *
option_acl(const struct config_option *option, void *target)
{
    return (struct acl *)((char *)target + option->offset);
}

int
auth_config_requirepass(const struct config_option *option, void *target,
                        int argc, char **argv, char *error, size_t error_size)
{
    struct acl *acl = option_acl(option, target);

    if (argc != 1) {
        snprintf(error, error_size, "'requirepass' wants one password, got %d values", argc);
        return -1;
    }
    return acl_set_requirepass(acl, argv[0], strlen(argv[0]), error, error_size);
}

int
auth_config_user(const struct config_option *option, void *target,
                 int argc, char **argv, char *error, size_t error_size)
{
    struct acl *acl = option_acl(option, target);
    size_t *lengths;
    int i, status;

    if (argc < 1) {
        snprintf(error, error_size, "'user' wants a name and rules");
        return -1;
    }
    lengths = calloc((size_t)argc, sizeof(*lengths));
    if (lengths == NULL) {
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    for (i = 0; i < argc; i++) {
        lengths[i] = strlen(argv[i]);
    }
    status = acl_set_user(acl, argc, (const char **)argv, lengths, error, error_size);
    free(lengths);
    return status;
}
