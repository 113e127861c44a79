/*
 * storage.h — herd-node's data directory: one Tokyo Cabinet hash file
 * (`<dir>/data.tch`) holding one record per key (format: record.h), plus
 * the files that make restarts safe:
 *
 *   LOCK            fcntl/flock-locked while a node uses the directory
 *   clean-shutdown  written after an orderly close, removed at open; its
 *                   absence at open means "validate every record"
 *
 * Writes are grouped into batches: the first write opens a Tokyo Cabinet
 * transaction, storage_commit() ends it.  TC's write-ahead log undoes a
 * batch that was not committed when the process died, so a committed batch
 * survives kill -9.  The fsync policy decides what survives an OS crash:
 * `always` fsyncs the file in storage_commit(), `everysec` has a background
 * thread fsync it once a second, `no` leaves it to the kernel.
 *
 * Any Tokyo Cabinet error that sets its fatal flag is logged and ends the
 * process with exit status 1 (a restart recovers through the WAL).
 */
#ifndef HERD_NODE_STORAGE_H
#define HERD_NODE_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#define STORAGE_DATA_FILE      "data.tch"
#define STORAGE_LOCK_FILE      "LOCK"
#define STORAGE_CLEAN_MARKER   "clean-shutdown"

struct storage;

/* How to open the data directory. */
struct storage_options {
    const char *dir;
    long long   hash_buckets;   /* bnum for a new file */
    long long   mmap_size;      /* xmsiz */
    int         fsync_policy;   /* enum fsync_policy (server.h) */
};

/* Statistics reported by INFO. */
struct storage_stats {
    uint64_t commits;
    uint64_t batch_writes;         /* writes in the open batch */
    uint64_t batch_bytes;          /* bytes written in the open batch */
    uint64_t last_commit_ms;       /* wall clock of the last commit */
    uint64_t last_commit_us;       /* duration of the last commit (+fsync) */
    uint64_t fsyncs;
    uint64_t last_fsync_ms;
};

/* Visitor of storage_iterate(): the raw key and record.  Return 0 to go
 * on, non-zero to stop. */
typedef int (*storage_visitor)(const char *key, size_t key_length,
                               const char *record, size_t record_size,
                               void *context);

/* Opens (creating if needed) the data directory.  On failure returns NULL
 * with a message in error. */
struct storage *storage_open(const struct storage_options *options,
                             char *error, size_t error_size);
/* Commits, syncs and closes; with `clean` set also writes the
 * clean-shutdown marker.  Returns 0, or -1 if something failed (then no
 * marker is written). */
int  storage_close(struct storage *storage, int clean);

/* 1 when the previous run ended with an orderly close. */
int  storage_was_clean(const struct storage *storage);

/* Reads the record of a key into a malloc'd buffer (with a trailing NUL,
 * free() it).  Returns 1 found, 0 absent, -1 error. */
int  storage_get(struct storage *storage, const char *key, size_t key_length,
                 char **record, size_t *size);
/* Like storage_get; *in_batch is set to 1 when the record came from the
 * open batch (this process wrote it moments ago, so checking its checksum
 * again is pointless), else 0. */
int  storage_get_noting_batch(struct storage *storage, const char *key,
                              size_t key_length, char **record, size_t *size,
                              int *in_batch);
/* Reads at most `capacity` leading bytes of a key's record into buffer;
 * *size receives how many.  Returns 1 found, 0 absent, -1 error. */
int  storage_get_prefix(struct storage *storage, const char *key, size_t key_length,
                        char *buffer, size_t capacity, size_t *size);
/* Stores a record (joins the open batch, opening one if needed).
 * Returns 0 or -1. */
int  storage_put(struct storage *storage, const char *key, size_t key_length,
                 const char *record, size_t size);
/* Removes a key's record (joins the batch).  Returns 1 removed, 0 absent,
 * -1 error. */
int  storage_delete(struct storage *storage, const char *key, size_t key_length);

/* 1 while a batch is open. */
int  storage_in_batch(const struct storage *storage);
/* Opens a batch if none is open.  Returns 1 if it opened one, 0 if one was
 * already open. */
int  storage_begin(struct storage *storage);
/* Commits the open batch (no-op without one), then fsyncs when the policy
 * is `always`.  Returns 0 or -1. */
int  storage_commit(struct storage *storage);
/* Writes and bytes in the open batch (0 without one). */
void storage_batch_size(const struct storage *storage, uint64_t *writes,
                        uint64_t *bytes);
/* Removes every record (commits first).  Returns 0 or -1. */
int  storage_vanish(struct storage *storage);

/* Walks every record in file order.  Returns 0, or -1 on a read error. */
int  storage_iterate(struct storage *storage, storage_visitor visitor, void *context);

uint64_t storage_file_size(struct storage *storage);
uint64_t storage_record_count(struct storage *storage);
/* Copies the statistics (some are updated by the fsync thread). */
void storage_get_stats(struct storage *storage, struct storage_stats *stats);
const char *storage_fsync_policy_name(int policy);
const char *storage_path(const struct storage *storage);

#endif
