/*
 * storage.c — the Tokyo Cabinet hash file, write batches, fsync policy and
 * the LOCK / clean-shutdown files (see storage.h).
 *
 * Tuning (measured in ../shared/research/libraries.md): HDBTLARGE always
 * (without it offsets silently overflow past 2^32 << apow), bnum from the
 * tc-buckets setting (fixed when the file is created; ~2x the expected key
 * count is best), the extra mapped memory from tc-mmap-size, no record
 * cache (it made gets slower), no TC mutex (one thread owns the database).
 *
 * Durability.  Each batch is one TC transaction; TC's write-ahead log holds
 * before-images and is replayed at the next open when the process died
 * mid-batch, so committed batches survive kill -9.  For an OS crash the
 * data must be on the device: with `always` the data file is fsync'd right
 * after each commit, before the batch's replies are released; Linux keeps
 * one page cache for a file, so fsync(fd) also writes back the pages TC
 * dirtied through its MAP_SHARED mapping (this is what tchdbsync() does
 * after its msync).  With `everysec` a background thread fsyncs its own
 * descriptor of the same file once a second and never touches TC's
 * structures.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <tcutil.h>
#include <tchdb.h>
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/process.h"
#include "node/server.h"
#include "node/storage.h"

#define STORAGE_ALIGNMENT_POWER  4
#define STORAGE_FREE_BLOCK_POWER 10

/* The open data directory. */
struct storage {
    TCHDB              *database;
    char                dir[PATH_MAX];
    char                path[PATH_MAX];      /* data file */
    int                 lock_fd;
    int                 was_clean;
    int                 fsync_policy;
    struct storage_stats stats;
    /* The open batch: key -> one op byte ('P' put, 'D' delete) then the
     * record.  Applied in one TC transaction by storage_commit(), so a key
     * written many times in a batch (a hot collection's pages) reaches the
     * file, and TC's write-ahead log, once. */
    TCMAP              *batch;
    int                 batch_open;
    /* The `everysec` fsync thread; `mutex` guards the fields below and the
     * fsync counters in stats. */
    pthread_mutex_t     mutex;
    pthread_cond_t      wake;
    pthread_t           thread;
    int                 thread_started;
    int                 thread_stop;
    int                 sync_fd;             /* the thread's descriptor */
};

/*
 * Debian's Tokyo Cabinet 1.4.48 is built with the library's test-only
 * "micro yield" option: its code calls sched_yield() every few dozen
 * internal steps (measured: ~0.6 calls per tchdbget(), each a system call
 * and, on a shared CPU, a context switch; this halved GET throughput).  The
 * yields only matter for TC's own multi-threaded tests; herd-node uses TC
 * from a single thread without TC mutexes.  This definition is exported by
 * the executable (the library references the symbol), so the library's
 * calls bind to it instead of libc's.  Nothing else in the node yields.
 */
int
sched_yield(void)
{
    return 0;
}

/* Logs a failed TC call; exits when TC marked the database fatal. */
static void
storage_failed(struct storage *storage, const char *operation)
{
    int code = tchdbecode(storage->database);

    log_warning("storage: %s failed on %s: %s", operation, storage->path,
                tchdberrmsg(code));
    if (storage->database->fatal) {
        log_warning("storage: fatal Tokyo Cabinet error; exiting so that a "
                    "restart recovers the data file");
        exit(1);
    }
}

static int
join_path(char *out, size_t size, const char *dir, const char *name)
{
    int written = snprintf(out, size, "%s/%s", dir, name);

    return (written < 0 || (size_t)written >= size) ? -1 : 0;
}

/* fsyncs a directory so that creating or removing a file in it is durable. */
static void
sync_directory(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Creates the directory (and its parents) when missing and takes the LOCK
 * file. */
static int
lock_directory(struct storage *storage, char *error, size_t error_size)
{
    char path[PATH_MAX + 16];
    char pid[32];
    int length;

    if (directory_create(storage->dir) != 0) {
        snprintf(error, error_size, "cannot create data directory %s: %s",
                 storage->dir, strerror(errno));
        return -1;
    }
    if (join_path(path, sizeof(path), storage->dir, STORAGE_LOCK_FILE) != 0) {
        snprintf(error, error_size, "data directory path too long: %s", storage->dir);
        return -1;
    }
    storage->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (storage->lock_fd < 0) {
        snprintf(error, error_size, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(storage->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            snprintf(error, error_size,
                     "data directory %s is in use by another herd-node", storage->dir);
        } else {
            snprintf(error, error_size, "cannot lock %s: %s", path, strerror(errno));
        }
        return -1;
    }
    length = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(storage->lock_fd, 0) == 0) {
        (void)!pwrite(storage->lock_fd, pid, (size_t)length, 0);
    }
    return 0;
}

/* Notes whether the last run closed cleanly and removes the marker, so a
 * crash of this run is detected at the next start. */
static int
consume_clean_marker(struct storage *storage, char *error, size_t error_size)
{
    char marker[PATH_MAX + 16];

    if (join_path(marker, sizeof(marker), storage->dir, STORAGE_CLEAN_MARKER) != 0) {
        snprintf(error, error_size, "data directory path too long: %s", storage->dir);
        return -1;
    }
    if (access(storage->path, F_OK) != 0) {
        storage->was_clean = 1;          /* a new directory: nothing to check */
    } else {
        storage->was_clean = access(marker, F_OK) == 0;
    }
    if (unlink(marker) != 0 && errno != ENOENT) {
        snprintf(error, error_size, "cannot remove %s: %s", marker, strerror(errno));
        return -1;
    }
    sync_directory(storage->dir);
    return 0;
}

static int
open_database(struct storage *storage, const struct storage_options *options,
              char *error, size_t error_size)
{
    storage->database = tchdbnew();
    if (!tchdbtune(storage->database, options->hash_buckets, STORAGE_ALIGNMENT_POWER,
                   STORAGE_FREE_BLOCK_POWER, HDBTLARGE) ||
        !tchdbsetxmsiz(storage->database, options->mmap_size) ||
        !tchdbopen(storage->database, storage->path,
                   HDBOWRITER | HDBOCREAT | HDBOLCKNB)) {
        snprintf(error, error_size, "cannot open %s: %s", storage->path,
                 tchdberrmsg(tchdbecode(storage->database)));
        return -1;
    }
    return 0;
}

/* The body of the `everysec` thread: fsync once a second until stopped. */
static void *
fsync_every_second(void *argument)
{
    struct storage *storage = argument;
    struct timespec deadline;
    int fd;

    pthread_mutex_lock(&storage->mutex);
    while (!storage->thread_stop) {
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 1;
        pthread_cond_timedwait(&storage->wake, &storage->mutex, &deadline);
        if (storage->thread_stop) {
            break;
        }
        fd = storage->sync_fd;
        if (fd >= 0 && fsync(fd) == 0) {
            storage->stats.fsyncs++;
            storage->stats.last_fsync_ms = wall_clock_milliseconds(NULL);
        }
    }
    pthread_mutex_unlock(&storage->mutex);
    return NULL;
}

static int
start_fsync_thread(struct storage *storage, char *error, size_t error_size)
{
    storage->sync_fd = open(storage->path, O_RDONLY | O_CLOEXEC);
    if (storage->sync_fd < 0) {
        snprintf(error, error_size, "cannot open %s: %s", storage->path, strerror(errno));
        return -1;
    }
    if (pthread_create(&storage->thread, NULL, fsync_every_second, storage) != 0) {
        snprintf(error, error_size, "cannot start the fsync thread");
        return -1;
    }
    storage->thread_started = 1;
    return 0;
}

static void
stop_fsync_thread(struct storage *storage)
{
    if (storage->thread_started) {
        pthread_mutex_lock(&storage->mutex);
        storage->thread_stop = 1;
        pthread_cond_signal(&storage->wake);
        pthread_mutex_unlock(&storage->mutex);
        pthread_join(storage->thread, NULL);
        storage->thread_started = 0;
    }
    if (storage->sync_fd >= 0) {
        close(storage->sync_fd);
        storage->sync_fd = -1;
    }
}

/* Frees everything of a storage that failed to open or was closed. */
static void
storage_release(struct storage *storage)
{
    stop_fsync_thread(storage);
    if (storage->database != NULL) {
        tchdbdel(storage->database);
    }
    if (storage->batch != NULL) {
        tcmapdel(storage->batch);
    }
    if (storage->lock_fd >= 0) {
        close(storage->lock_fd);
    }
    pthread_cond_destroy(&storage->wake);
    pthread_mutex_destroy(&storage->mutex);
    free(storage);
}

struct storage *
storage_open(const struct storage_options *options, char *error, size_t error_size)
{
    struct storage *storage = calloc(1, sizeof(*storage));

    if (storage == NULL) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    storage->lock_fd = -1;
    storage->sync_fd = -1;
    storage->fsync_policy = options->fsync_policy;
    pthread_mutex_init(&storage->mutex, NULL);
    pthread_cond_init(&storage->wake, NULL);
    if (snprintf(storage->dir, sizeof(storage->dir), "%s", options->dir) >=
            (int)sizeof(storage->dir) ||
        join_path(storage->path, sizeof(storage->path), options->dir,
                  STORAGE_DATA_FILE) != 0) {
        snprintf(error, error_size, "data directory path too long: %s", options->dir);
        goto fail;
    }
    if (lock_directory(storage, error, error_size) != 0 ||
        consume_clean_marker(storage, error, error_size) != 0 ||
        open_database(storage, options, error, error_size) != 0) {
        goto fail;
    }
    if (storage->fsync_policy == FSYNC_EVERYSEC &&
        start_fsync_thread(storage, error, error_size) != 0) {
        goto fail;
    }
    return storage;

fail:
    storage_release(storage);
    return NULL;
}

/* fsyncs the data file from the event-loop thread. */
static int
sync_data_file(struct storage *storage)
{
    if (fsync(storage->database->fd) != 0) {
        log_warning("storage: fsync of %s failed: %s", storage->path, strerror(errno));
        return -1;
    }
    pthread_mutex_lock(&storage->mutex);
    storage->stats.fsyncs++;
    storage->stats.last_fsync_ms = wall_clock_milliseconds(NULL);
    pthread_mutex_unlock(&storage->mutex);
    return 0;
}

static int
write_clean_marker(struct storage *storage)
{
    char marker[PATH_MAX + 16];
    int fd;

    if (join_path(marker, sizeof(marker), storage->dir, STORAGE_CLEAN_MARKER) != 0) {
        return -1;
    }
    fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        log_warning("storage: cannot write %s: %s", marker, strerror(errno));
        return -1;
    }
    (void)fsync(fd);
    close(fd);
    sync_directory(storage->dir);
    return 0;
}

int
storage_close(struct storage *storage, int clean)
{
    int result = 0;

    if (storage == NULL) {
        return 0;
    }
    if (storage_commit(storage) != 0 || sync_data_file(storage) != 0) {
        result = -1;
    }
    stop_fsync_thread(storage);
    if (!tchdbclose(storage->database)) {
        log_warning("storage: closing %s failed: %s", storage->path,
                    tchdberrmsg(tchdbecode(storage->database)));
        result = -1;
    }
    if (result == 0 && clean) {
        /* tchdbclose() rewrote the header: make that durable too. */
        int fd = open(storage->path, O_RDONLY | O_CLOEXEC);

        if (fd >= 0) {
            (void)fsync(fd);
            close(fd);
        }
        result = write_clean_marker(storage);
    }
    storage_release(storage);
    return result;
}

int
storage_was_clean(const struct storage *storage)
{
    return storage->was_clean;
}

/* After a read found nothing: 0 when the key is absent, -1 (logged) when
 * Tokyo Cabinet failed. */
static int
storage_read_missed(struct storage *storage)
{
    if (tchdbecode(storage->database) == TCENOREC) {
        return 0;
    }
    storage_failed(storage, "get");
    return -1;
}

#define BATCH_PUT     'P'
#define BATCH_DELETE  'D'

/* The batch's entry for a key: NULL when the batch has not touched it. */
static const char *
batch_lookup(struct storage *storage, const char *key, size_t key_length,
             size_t *size)
{
    int value_size;
    const char *value;

    if (storage->batch == NULL || !storage->batch_open) {
        return NULL;
    }
    value = tcmapget(storage->batch, key, (int)key_length, &value_size);
    if (value != NULL) {
        *size = (size_t)value_size;
    }
    return value;
}

int
storage_get(struct storage *storage, const char *key, size_t key_length,
            char **record, size_t *size)
{
    int in_batch;

    return storage_get_noting_batch(storage, key, key_length, record, size,
                                    &in_batch);
}

int
storage_get_noting_batch(struct storage *storage, const char *key,
                         size_t key_length, char **record, size_t *size,
                         int *in_batch)
{
    size_t pending_size;
    const char *pending = batch_lookup(storage, key, key_length, &pending_size);
    int value_size;
    char *value;

    *in_batch = pending != NULL;
    if (pending != NULL) {
        if (pending[0] == BATCH_DELETE) {
            return 0;
        }
        *size = pending_size - 1;
        *record = malloc(*size + 1);
        if (*record == NULL) {
            return -1;
        }
        memcpy(*record, pending + 1, *size);
        (*record)[*size] = '\0';
        return 1;
    }
    value = tchdbget(storage->database, key, (int)key_length, &value_size);
    if (value == NULL) {
        return storage_read_missed(storage);
    }
    *record = value;
    *size = (size_t)value_size;
    return 1;
}

int
storage_get_prefix(struct storage *storage, const char *key, size_t key_length,
                   char *buffer, size_t capacity, size_t *size)
{
    size_t pending_size;
    const char *pending = batch_lookup(storage, key, key_length, &pending_size);
    int copied;

    if (pending != NULL) {
        if (pending[0] == BATCH_DELETE) {
            return 0;
        }
        *size = pending_size - 1 < capacity ? pending_size - 1 : capacity;
        memcpy(buffer, pending + 1, *size);
        return 1;
    }
    copied = tchdbget3(storage->database, key, (int)key_length, buffer,
                       (int)capacity);
    if (copied < 0) {
        return storage_read_missed(storage);
    }
    *size = (size_t)copied;
    return 1;
}

int
storage_in_batch(const struct storage *storage)
{
    return storage->batch_open;
}

int
storage_begin(struct storage *storage)
{
    if (storage->batch_open) {
        return 0;
    }
    if (storage->batch == NULL) {
        storage->batch = tcmapnew();
    }
    storage->batch_open = 1;
    storage->stats.batch_writes = 0;
    storage->stats.batch_bytes = 0;
    return 1;
}

/* Records one write in the batch. */
static void
batch_record(struct storage *storage, const char *key, size_t key_length,
             char op, const char *record, size_t size)
{
    storage_begin(storage);
    tcmapput4(storage->batch, key, (int)key_length, &op, 1, record, (int)size);
    storage->stats.batch_writes++;
    storage->stats.batch_bytes += key_length + size;
}

int
storage_put(struct storage *storage, const char *key, size_t key_length,
            const char *record, size_t size)
{
    batch_record(storage, key, key_length, BATCH_PUT, record, size);
    return 0;
}

int
storage_delete(struct storage *storage, const char *key, size_t key_length)
{
    size_t pending_size;
    const char *pending = batch_lookup(storage, key, key_length, &pending_size);
    int existed;

    if (pending != NULL) {
        existed = pending[0] == BATCH_PUT;
    } else {
        existed = tchdbvsiz(storage->database, key, (int)key_length) >= 0;
        if (!existed && tchdbecode(storage->database) != TCENOREC) {
            storage_failed(storage, "delete");
            return -1;
        }
    }
    batch_record(storage, key, key_length, BATCH_DELETE, "", 0);
    return existed;
}

/* Applies the batch inside one TC transaction.  Any failure is fatal: the
 * process exits and TC's write-ahead log undoes the partial transaction at
 * the next start. */
static void
batch_apply(struct storage *storage)
{
    const char *key, *value;
    int key_size, value_size;

    if (!tchdbtranbegin(storage->database)) {
        storage_failed(storage, "transaction begin");
        log_warning("storage: cannot open a write batch; exiting");
        exit(1);
    }
    tcmapiterinit(storage->batch);
    while ((key = tcmapiternext(storage->batch, &key_size)) != NULL) {
        value = tcmapiterval(key, &value_size);
        if (value[0] == BATCH_PUT) {
            if (!tchdbput(storage->database, key, key_size, value + 1, value_size - 1)) {
                storage_failed(storage, "put");
                log_warning("storage: a write batch could not be applied; exiting");
                exit(1);
            }
        } else if (!tchdbout(storage->database, key, key_size) &&
                   tchdbecode(storage->database) != TCENOREC) {
            storage_failed(storage, "delete");
            log_warning("storage: a write batch could not be applied; exiting");
            exit(1);
        }
    }
    if (!tchdbtrancommit(storage->database)) {
        storage_failed(storage, "transaction commit");
        log_warning("storage: a write batch could not be committed; exiting");
        exit(1);
    }
}

int
storage_commit(struct storage *storage)
{
    uint64_t started;

    if (!storage->batch_open) {
        return 0;
    }
    started = monotonic_microseconds();
    if (tcmaprnum(storage->batch) > 0) {
        batch_apply(storage);
    }
    tcmapclear(storage->batch);
    storage->batch_open = 0;
    if (storage->fsync_policy == FSYNC_ALWAYS && sync_data_file(storage) != 0) {
        log_warning("storage: cannot make a write batch durable; exiting");
        exit(1);
    }
    storage->stats.commits++;
    storage->stats.last_commit_ms = wall_clock_milliseconds(NULL);
    storage->stats.last_commit_us = monotonic_microseconds() - started;
    storage->stats.batch_writes = 0;
    storage->stats.batch_bytes = 0;
    return 0;
}

void
storage_batch_size(const struct storage *storage, uint64_t *writes, uint64_t *bytes)
{
    *writes = storage->stats.batch_writes;
    *bytes = storage->stats.batch_bytes;
}

int
storage_vanish(struct storage *storage)
{
    int result = 0;

    storage_commit(storage);
    if (!tchdbvanish(storage->database)) {
        storage_failed(storage, "vanish");
        return -1;
    }
    /* TC closed and reopened the file: give the fsync thread a fresh
     * descriptor of it. */
    pthread_mutex_lock(&storage->mutex);
    if (storage->sync_fd >= 0) {
        close(storage->sync_fd);
        storage->sync_fd = open(storage->path, O_RDONLY | O_CLOEXEC);
    }
    pthread_mutex_unlock(&storage->mutex);
    if (storage->fsync_policy == FSYNC_ALWAYS) {
        result = sync_data_file(storage);
    }
    return result;
}

int
storage_iterate(struct storage *storage, storage_visitor visitor, void *context)
{
    TCXSTR *key = tcxstrnew();
    TCXSTR *value = tcxstrnew();
    int result = 0;

    storage_commit(storage);
    if (!tchdbiterinit(storage->database)) {
        storage_failed(storage, "iteration");
        result = -1;
        goto out;
    }
    while (tchdbiternext3(storage->database, key, value)) {
        if (visitor(tcxstrptr(key), (size_t)tcxstrsize(key), tcxstrptr(value),
                    (size_t)tcxstrsize(value), context) != 0) {
            goto out;
        }
    }
    if (tchdbecode(storage->database) != TCENOREC) {
        storage_failed(storage, "iteration");
        result = -1;
    }

out:
    tcxstrdel(key);
    tcxstrdel(value);
    return result;
}

uint64_t
storage_file_size(struct storage *storage)
{
    return tchdbfsiz(storage->database);
}

uint64_t
storage_record_count(struct storage *storage)
{
    return tchdbrnum(storage->database);
}

void
storage_get_stats(struct storage *storage, struct storage_stats *stats)
{
    pthread_mutex_lock(&storage->mutex);
    *stats = storage->stats;
    pthread_mutex_unlock(&storage->mutex);
}

const char *
storage_fsync_policy_name(int policy)
{
    switch (policy) {
    case FSYNC_ALWAYS:
        return "always";
    case FSYNC_EVERYSEC:
        return "everysec";
    default:
        return "no";
    }
}

const char *
storage_path(const struct storage *storage)
{
    return storage->path;
}
