/*
 * storage_bench.c — a micro-benchmark of herd-node's storage layer without
 * the network (issue 3; run by bench/storage.sh, `make bench-storage`).
 *
 *   storage_bench [--records N] [--elements N] [--collections N]
 *                 [--rounds N] [--batch N] [--value-size N]
 *                 --dir DIR [herd-node options, e.g. --fsync everysec]
 *
 * Each round starts from empty data directories under DIR (removed at the
 * end) and measures, in operations per second (a batch ends as the node
 * ends one: collection_cache_flush() then storage_commit()):
 *
 *   string put    storage_put() of N records (record.h format, value-size
 *                 bytes of value), storage_commit() every `batch` puts
 *   string get    N storage_get() of random existing keys
 *   hash put      an HSET of one field as the node runs it: collection_open
 *                 (CREATE) + btree_put of the member key + collection_save
 *                 + collection_close, into `collections` hashes, committed
 *                 every `batch` operations
 *   hash get      an HGET: collection_open (READ) + btree_find
 *   list push     an RPUSH of one element: btree_insert_at(count)
 *   list index    an LINDEX of a random position: btree_get_at
 *   zset add      a ZADD of one member: member tree lookup (old score
 *                 removed from the score tree when present), member tree
 *                 put, score tree put
 *   zset rank     a ZRANK: member tree lookup, then btree_rank of the
 *                 score key in the score tree
 *
 * and prints a Markdown table of the median of the rounds (plus each
 * round) on standard output.  Node options after the benchmark's own
 * (--dir, --fsync, --tc-buckets, --tc-mmap-size, ...) are read with
 * herd-node's own option table and defaults, so the storage is set up
 * exactly as a node with those options would set it up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "shared/clock.h"
#include "shared/log.h"
#include "shared/random.h"
#include "node/btree.h"
#include "node/collection.h"
#include "node/db.h"
#include "node/record.h"
#include "node/server.h"
#include "node/settings.h"
#include "node/storage.h"

#define BENCH_ERROR_SIZE   1024
#define BENCH_MAX_ROUNDS   15
#define BENCH_KEY_SIZE     64

/* The measurements, in the order they are printed. */
enum bench_measure {
    MEASURE_STRING_PUT,
    MEASURE_STRING_GET,
    MEASURE_HASH_PUT,
    MEASURE_HASH_GET,
    MEASURE_LIST_PUSH,
    MEASURE_LIST_INDEX,
    MEASURE_ZSET_ADD,
    MEASURE_ZSET_RANK,
    MEASURE_COUNT
};

/* What each measurement is called in the table, and what it does. */
static const char *const measure_names[MEASURE_COUNT][2] = {
    { "string put", "storage_put of a 24-byte header + value, commit every batch" },
    { "string get", "storage_get of a random existing key" },
    { "hash put (HSET)", "collection_open + btree_put + collection_save, one field" },
    { "hash get (HGET)", "collection_open + btree_find" },
    { "list push (RPUSH)", "collection_open + btree_insert_at(count) + collection_save" },
    { "list index (LINDEX)", "collection_open + btree_get_at(random position)" },
    { "zset add (ZADD)", "member find + member put + score-key put + collection_save" },
    { "zset rank (ZRANK)", "member find + btree_rank in the score tree" },
};

/* The benchmark's one context: parameters, node settings, results. */
struct bench {
    long long            records;       /* string records per round */
    long long            elements;      /* elements per collection benchmark */
    long long            collections;   /* collections the elements spread over */
    long long            rounds;
    long long            batch;         /* operations per commit */
    long long            value_size;
    struct node_settings settings;      /* herd-node's defaults + options */
    char                 base_dir[PATH_MAX];
    uint64_t             random_state;
    char                *value;         /* value_size bytes */
    double               results[BENCH_MAX_ROUNDS][MEASURE_COUNT];
};

/* ------------------------------------------------------------------------
 * Keys and values
 * ------------------------------------------------------------------------ */

/* A well-mixed 64-bit number of an index (splitmix64's finalizer), so keys
 * made from consecutive indexes land all over the hash file. */
static uint64_t
mix(uint64_t index)
{
    uint64_t z = index + 0x9e3779b97f4a7c15ULL;

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Writes the name of element `index` with a prefix; returns its length. */
static size_t
element_name(char *out, const char *prefix, long long index)
{
    return (size_t)snprintf(out, BENCH_KEY_SIZE, "%s:%016llx", prefix,
                            (unsigned long long)mix((uint64_t)index));
}

/* The collection key that element `index` belongs to. */
static size_t
collection_name(const struct bench *bench, char *out, const char *prefix,
                long long index)
{
    return (size_t)snprintf(out, BENCH_KEY_SIZE, "%s:%lld", prefix,
                            index % bench->collections);
}

static long long
random_below(struct bench *bench, long long limit)
{
    return (long long)(random_next(&bench->random_state) % (uint64_t)limit);
}

static double
per_second(long long operations, uint64_t started_us)
{
    uint64_t elapsed = monotonic_microseconds() - started_us;

    return elapsed == 0 ? 0.0 : (double)operations * 1e6 / (double)elapsed;
}

/* ------------------------------------------------------------------------
 * Data directories
 * ------------------------------------------------------------------------ */

/* Makes `<base>/<name>` (empty) and returns it in out. */
static int
make_directory(const struct bench *bench, const char *name, char *out, size_t size)
{
    if (snprintf(out, size, "%s/%s", bench->base_dir, name) >= (int)size) {
        fprintf(stderr, "storage_bench: path too long\n");
        return -1;
    }
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "storage_bench: cannot create %s: %s\n", out, strerror(errno));
        return -1;
    }
    return 0;
}

/* Removes the files a node's storage leaves in a directory, then the
 * directory itself. */
static void
remove_directory(const char *dir)
{
    static const char *const files[] = {
        STORAGE_DATA_FILE, STORAGE_DATA_FILE ".wal", STORAGE_LOCK_FILE,
        STORAGE_CLEAN_MARKER, NULL
    };
    char path[PATH_MAX + 32];
    int index;

    for (index = 0; files[index] != NULL; index++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[index]);
        (void)unlink(path);
    }
    if (rmdir(dir) != 0 && errno != ENOENT) {
        fprintf(stderr, "storage_bench: cannot remove %s: %s\n", dir, strerror(errno));
    }
}

/* ------------------------------------------------------------------------
 * Strings: storage.h alone
 * ------------------------------------------------------------------------ */

/* Puts every string record, committing every batch; returns puts/s or -1. */
static double
bench_string_put(struct bench *bench, struct storage *storage)
{
    char key[BENCH_KEY_SIZE];
    size_t size = RECORD_HEADER_SIZE + (size_t)bench->value_size;
    char *record = malloc(size);
    struct record_header header;
    uint64_t started;
    double result = -1;
    long long index;

    if (record == NULL) {
        return -1;
    }
    memset(&header, 0, sizeof(header));
    header.type = RECORD_STRING;
    started = monotonic_microseconds();
    for (index = 0; index < bench->records; index++) {
        header.version.clock = (uint64_t)index + 1;
        record_encode(record, &header, bench->value, (size_t)bench->value_size);
        if (storage_put(storage, key, element_name(key, "key", index), record, size) != 0 ||
            ((index + 1) % bench->batch == 0 && storage_commit(storage) != 0)) {
            goto out;
        }
    }
    if (storage_commit(storage) != 0) {
        goto out;
    }
    result = per_second(bench->records, started);

out:
    free(record);
    return result;
}

/* Gets random existing string records; returns gets/s or -1. */
static double
bench_string_get(struct bench *bench, struct storage *storage)
{
    char key[BENCH_KEY_SIZE];
    uint64_t started = monotonic_microseconds();
    long long index;
    char *record;
    size_t size;

    for (index = 0; index < bench->records; index++) {
        size_t length = element_name(key, "key", random_below(bench, bench->records));

        if (storage_get(storage, key, length, &record, &size) != 1) {
            fprintf(stderr, "storage_bench: a stored string record is missing\n");
            return -1;
        }
        free(record);
    }
    return per_second(bench->records, started);
}

static int
bench_strings(struct bench *bench, double *results)
{
    struct storage_options options;
    struct storage *storage;
    char dir[PATH_MAX];
    char error[BENCH_ERROR_SIZE];
    int status = -1;

    if (make_directory(bench, "strings", dir, sizeof(dir)) != 0) {
        return -1;
    }
    options.dir = dir;
    options.hash_buckets = bench->settings.hash_buckets;
    options.mmap_size = bench->settings.mmap_size;
    options.fsync_policy = bench->settings.fsync;
    storage = storage_open(&options, error, sizeof(error));
    if (storage == NULL) {
        fprintf(stderr, "storage_bench: %s\n", error);
        goto out;
    }
    results[MEASURE_STRING_PUT] = bench_string_put(bench, storage);
    results[MEASURE_STRING_GET] = bench_string_get(bench, storage);
    if (storage_close(storage, 1) == 0 && results[MEASURE_STRING_PUT] >= 0 &&
        results[MEASURE_STRING_GET] >= 0) {
        status = 0;
    }

out:
    remove_directory(dir);
    return status;
}

/* ------------------------------------------------------------------------
 * Collections: collection.h + btree.h on a server opened with db_open()
 * ------------------------------------------------------------------------ */

/* One element operation on an opened collection; returns 0 or -1. */
typedef int (*element_operation)(struct bench *bench, struct collection *collection,
                                  long long index);

/* Opens a server's keyspace (storage + key index) in a fresh directory. */
static struct server *
open_server(struct bench *bench, const char *name)
{
    struct server *server = calloc(1, sizeof(*server));
    char error[BENCH_ERROR_SIZE];

    if (server == NULL) {
        return NULL;
    }
    server->settings = bench->settings;
    if (make_directory(bench, name, server->settings.dir,
                       sizeof(server->settings.dir)) != 0) {
        free(server);
        return NULL;
    }
    TAILQ_INIT(&server->clients);
    TAILQ_INIT(&server->waiting_commit);
    hlc_init(&server->clock, wall_clock_milliseconds, NULL);
    if (db_open(server, error, sizeof(error)) != 0) {
        fprintf(stderr, "storage_bench: %s\n", error);
        db_close(server, 0);
        remove_directory(server->settings.dir);
        free(server);
        return NULL;
    }
    return server;
}

static int
close_server(struct server *server)
{
    int result = db_close(server, 1);

    remove_directory(server->settings.dir);
    free(server);
    return result;
}

/* Ends a write batch as the node does (server_commit_batch): the changes
 * of cached collections are written, then the batch commits. */
static int
commit_batch(struct server *server)
{
    if (collection_cache_flush(server) != 0) {
        return -1;
    }
    return storage_commit(server->storage);
}

/*
 * Runs `operation` for `count` elements the way the node runs one command
 * each: open the element's collection, operate, save when writing, close;
 * a commit every batch.  Element indexes are 0..count-1 in order, or random
 * below `count` when `random_order`.  Returns operations/s or -1.
 */
static double
run_operations(struct bench *bench, struct server *server, int type, int writing,
               int random_order, element_operation operation)
{
    static const char *const prefixes[] = { NULL, NULL, "hash", "list", NULL, "zset" };
    char key[BENCH_KEY_SIZE];
    struct collection collection;
    uint64_t started = monotonic_microseconds();
    long long done, index = 0;
    size_t key_length;
    int opened;

    for (done = 0; done < bench->elements; done++) {
        index = random_order ? random_below(bench, bench->elements) : done;
        key_length = collection_name(bench, key, prefixes[type], index);
        server->command_time_ms = wall_clock_milliseconds(NULL);
        opened = collection_open(server, key, key_length, type,
                                 writing ? COLLECTION_CREATE : COLLECTION_READ,
                                 &collection);
        if (opened != DB_FOUND && (writing ? opened != DB_NOT_FOUND : 1)) {
            goto failed;
        }
        if (operation(bench, &collection, index) != 0 ||
            (writing && collection_save(&collection) != 0)) {
            goto failed;
        }
        collection_close(&collection);
        if ((done + 1) % bench->batch == 0 && commit_batch(server) != 0) {
            return -1;
        }
    }
    if (commit_batch(server) != 0) {
        return -1;
    }
    return per_second(bench->elements, started);

failed:
    fprintf(stderr, "storage_bench: a collection operation failed (element %lld)\n",
            index);
    collection_close(&collection);
    return -1;
}

static int
hash_put(struct bench *bench, struct collection *collection, long long index)
{
    char field[BENCH_KEY_SIZE];
    struct collection_key member;
    int result;

    collection_key_member(&member, field, element_name(field, "field", index));
    result = btree_put(&collection->trees[0], member.data, member.length,
                       bench->value, (size_t)bench->value_size);
    collection_key_free(&member);
    return result < 0 ? -1 : 0;
}

static int
hash_get(struct bench *bench, struct collection *collection, long long index)
{
    char field[BENCH_KEY_SIZE];
    struct collection_key member;
    struct btree_item item;
    int result;

    collection_key_member(&member, field, element_name(field, "field", index));
    result = btree_find(&collection->trees[0], member.data, member.length, &item);
    collection_key_free(&member);
    return result == 1 && item.value_length == (size_t)bench->value_size ? 0 : -1;
}

static int
list_push(struct bench *bench, struct collection *collection, long long index)
{
    struct btree *tree = &collection->trees[0];

    return btree_insert_at(tree, btree_count(tree), bench->value,
                           (size_t)bench->value_size) < 0 ? -1 : 0;
}

static int
list_index(struct bench *bench, struct collection *collection, long long index)
{
    struct btree_item item;
    uint64_t count;

    if ((count = btree_count(&collection->trees[0])) == 0) {
        return -1;
    }
    return btree_get_at(&collection->trees[0],
                        (uint64_t)random_below(bench, (long long)count), &item) == 1 ? 0 : -1;
}

/* The score of element `index` (a few repeat, as real scores do). */
static double
element_score(long long index)
{
    return (double)(mix((uint64_t)index) % 1000000) / 4.0;
}

static int
zset_add(struct bench *bench, struct collection *collection, long long index)
{
    struct btree *members = &collection->trees[COLLECTION_ZSET_MEMBERS];
    struct btree *scores = &collection->trees[COLLECTION_ZSET_SCORES];
    char name[BENCH_KEY_SIZE];
    size_t name_length = element_name(name, "member", index);
    struct collection_key member, score_key;
    struct btree_item item;
    unsigned char value[8];
    double score = element_score(index);
    int found, result = -1;

    collection_key_member(&member, name, name_length);
    found = btree_find(members, member.data, member.length, &item);
    if (found < 0) {
        goto out;
    }
    if (found == 1) {
        collection_key_score(&score_key,
                             collection_score_value_decode(item.value, item.value_length),
                             name, name_length);
        found = btree_remove(scores, score_key.data, score_key.length);
        collection_key_free(&score_key);
        if (found < 0) {
            goto out;
        }
    }
    collection_score_value_encode(score, value);
    collection_key_score(&score_key, score, name, name_length);
    if (btree_put(members, member.data, member.length, value, sizeof(value)) >= 0 &&
        btree_put(scores, score_key.data, score_key.length, "", 0) >= 0) {
        result = 0;
    }
    collection_key_free(&score_key);

out:
    collection_key_free(&member);
    return result;
}

static int
zset_rank(struct bench *bench, struct collection *collection, long long index)
{
    char name[BENCH_KEY_SIZE];
    size_t name_length = element_name(name, "member", index);
    struct collection_key member, score_key;
    struct btree_item item;
    uint64_t rank;
    int result = -1;

    collection_key_member(&member, name, name_length);
    if (btree_find(&collection->trees[COLLECTION_ZSET_MEMBERS], member.data,
                   member.length, &item) == 1) {
        collection_key_score(&score_key,
                             collection_score_value_decode(item.value, item.value_length),
                             name, name_length);
        if (btree_rank(&collection->trees[COLLECTION_ZSET_SCORES], score_key.data,
                       score_key.length, &rank) == 1) {
            result = 0;
        }
        collection_key_free(&score_key);
    }
    collection_key_free(&member);
    return result;
}

/* One write benchmark and its read benchmark on one fresh server. */
static int
bench_collection(struct bench *bench, const char *name, int type,
                 element_operation write, element_operation read,
                 double *write_result, double *read_result)
{
    struct server *server = open_server(bench, name);
    int status = 0;

    if (server == NULL) {
        return -1;
    }
    *write_result = run_operations(bench, server, type, 1, 0, write);
    *read_result = *write_result < 0 ? -1 :
                   run_operations(bench, server, type, 0, 1, read);
    if (close_server(server) != 0 || *write_result < 0 || *read_result < 0) {
        status = -1;
    }
    return status;
}

static int
bench_round(struct bench *bench, double *results)
{
    if (bench_strings(bench, results) != 0 ||
        bench_collection(bench, "hash", RECORD_HASH, hash_put, hash_get,
                         &results[MEASURE_HASH_PUT], &results[MEASURE_HASH_GET]) != 0 ||
        bench_collection(bench, "list", RECORD_LIST, list_push, list_index,
                         &results[MEASURE_LIST_PUSH], &results[MEASURE_LIST_INDEX]) != 0 ||
        bench_collection(bench, "zset", RECORD_ZSET, zset_add, zset_rank,
                         &results[MEASURE_ZSET_ADD], &results[MEASURE_ZSET_RANK]) != 0) {
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Results
 * ------------------------------------------------------------------------ */

static int
compare_doubles(const void *left, const void *right)
{
    double a = *(const double *)left, b = *(const double *)right;

    return (a > b) - (a < b);
}

static double
median_of(const struct bench *bench, int measure)
{
    double values[BENCH_MAX_ROUNDS];
    long long round;

    for (round = 0; round < bench->rounds; round++) {
        values[round] = bench->results[round][measure];
    }
    qsort(values, (size_t)bench->rounds, sizeof(values[0]), compare_doubles);
    return values[bench->rounds / 2];
}

static void
print_results(const struct bench *bench)
{
    long long round;
    int measure;

    printf("| operation | ops/s (median of %lld) | each round | what one operation is |\n",
           bench->rounds);
    printf("|---|---|---|---|\n");
    for (measure = 0; measure < MEASURE_COUNT; measure++) {
        printf("| %s | %.0f | ", measure_names[measure][0], median_of(bench, measure));
        for (round = 0; round < bench->rounds; round++) {
            printf("%s%.0f", round == 0 ? "" : " / ", bench->results[round][measure]);
        }
        printf(" | %s |\n", measure_names[measure][1]);
    }
}

static void
print_parameters(const struct bench *bench)
{
    printf("Parameters: %lld string records of %lld-byte values; %lld elements per "
           "collection benchmark spread over %lld collections of each type "
           "(%lld elements each, %lld-byte values); a commit every %lld operations; "
           "fsync %s, tc-buckets %lld, tc-mmap-size %lld; page limits %d entries / "
           "%d bytes.\n\n",
           bench->records, bench->value_size, bench->elements, bench->collections,
           bench->elements / bench->collections, bench->value_size, bench->batch,
           storage_fsync_policy_name(bench->settings.fsync),
           bench->settings.hash_buckets, bench->settings.mmap_size,
           BTREE_PAGE_ENTRIES, BTREE_PAGE_BYTES);
}

/* ------------------------------------------------------------------------
 * Command line
 * ------------------------------------------------------------------------ */

/* Reads the benchmark's own options; *first receives the index of the first
 * herd-node option.  Returns 0 or -1. */
static int
parse_options(struct bench *bench, int argc, char **argv, int *first)
{
    /* The benchmark's options: name, where the value goes, its minimum. */
    struct { const char *name; long long *value; long long minimum; } own[] = {
        { "--records", &bench->records, 1 },
        { "--elements", &bench->elements, 1 },
        { "--collections", &bench->collections, 1 },
        { "--rounds", &bench->rounds, 1 },
        { "--batch", &bench->batch, 1 },
        { "--value-size", &bench->value_size, 0 },
    };
    int index = 1, option;
    char *end;

    while (index + 1 < argc) {
        for (option = 0; option < (int)(sizeof(own) / sizeof(own[0])); option++) {
            if (strcmp(argv[index], own[option].name) == 0) {
                break;
            }
        }
        if (option == (int)(sizeof(own) / sizeof(own[0]))) {
            break;
        }
        errno = 0;
        *own[option].value = strtoll(argv[index + 1], &end, 10);
        if (errno != 0 || *end != '\0' || *own[option].value < own[option].minimum) {
            fprintf(stderr, "storage_bench: bad value for %s\n", argv[index]);
            return -1;
        }
        index += 2;
    }
    *first = index;
    return bench->rounds <= BENCH_MAX_ROUNDS ? 0 : -1;
}

static int
setup(struct bench *bench, int argc, char **argv)
{
    char error[BENCH_ERROR_SIZE];
    int first;

    bench->records = 500000;
    bench->elements = 100000;
    bench->collections = 4;
    bench->rounds = 3;
    bench->batch = 1000;
    bench->value_size = 100;
    if (parse_options(bench, argc, argv, &first) != 0) {
        fprintf(stderr, "usage: storage_bench [--records N] [--elements N] "
                "[--collections N] [--rounds N (<= %d)] [--batch N] [--value-size N] "
                "--dir DIR [herd-node options]\n", BENCH_MAX_ROUNDS);
        return -1;
    }
    if (node_settings_load(&bench->settings, NULL, argc, argv, first,
                           error, sizeof(error)) != 0) {
        fprintf(stderr, "storage_bench: %s\n", error);
        return -1;
    }
    if (strcmp(bench->settings.dir, ".") == 0) {
        fprintf(stderr, "storage_bench: give a scratch directory with --dir\n");
        return -1;
    }
    snprintf(bench->base_dir, sizeof(bench->base_dir), "%s", bench->settings.dir);
    bench->value = malloc((size_t)bench->value_size + 1);
    if (bench->value == NULL) {
        return -1;
    }
    memset(bench->value, 'v', (size_t)bench->value_size);
    bench->random_state = 0x2545f4914f6cdd1dULL;
    return 0;
}

int
main(int argc, char **argv)
{
    struct bench *bench = calloc(1, sizeof(*bench));
    long long round;
    int status = 1;

    if (bench == NULL || setup(bench, argc, argv) != 0) {
        goto out;
    }
    log_set_level(LOG_WARNING);
    for (round = 0; round < bench->rounds; round++) {
        fprintf(stderr, "storage_bench: round %lld of %lld\n", round + 1, bench->rounds);
        if (bench_round(bench, bench->results[round]) != 0) {
            fprintf(stderr, "storage_bench: round %lld failed\n", round + 1);
            goto out;
        }
    }
    print_parameters(bench);
    print_results(bench);
    status = 0;

out:
    if (bench != NULL) {
        free(bench->value);
    }
    free(bench);
    return status;
}
