/*
 * t_set.c — the set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER
 * SCARD SPOP SRANDMEMBER SMOVE SINTER SUNION SDIFF SINTERCARD SINTERSTORE
 * SUNIONSTORE SDIFFSTORE.
 *
 * A set is a collection (node/collection.h) with one tree ordered by member
 * key (the member's 64-bit hash, then the member) whose values are empty.
 * Membership tests and removals are lookups in that tree; random picks
 * address elements by position; intersections walk the smallest set and
 * look its members up in the others; unions merge the sources' trees,
 * which all share the same order.
 *
 * Replies and errors are Redis 7.0's, in the order Redis checks them.  A
 * reply whose size is known only at the end (or that could still turn into
 * a storage error) is built in a separate buffer and appended whole, so a
 * client never sees half a reply followed by an error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "node/btree.h"
#include "node/collection.h"
#include "node/db.h"
#include "node/record.h"
#include "node/server.h"
#include "node/t_common.h"
#include "shared/number.h"
#include "shared/random.h"
#include "shared/reply.h"

/* open_set() result when it has already replied with an error. */
#define SET_REPLIED (-100)

/* A set operation failed (memory or storage); the caller replies. */
#define SET_OPERATION_ERROR (-1)

/* Random picks of SRANDMEMBER / SPOP: above size / SPARSE_PICK_DIVISOR
 * distinct picks, positions are chosen by one pass over all of them. */
#define SPARSE_PICK_DIVISOR 3

/* The algebra of SINTER, SUNION and SDIFF. */
enum set_operation {
    SET_INTERSECTION,
    SET_UNION,
    SET_DIFFERENCE
};

/* What becomes of a computed set. */
enum output_kind {
    OUTPUT_REPLY,   /* bulk strings for an array reply */
    OUTPUT_STORE,   /* member keys to store under a destination */
    OUTPUT_COUNT    /* only counted (SINTERCARD) */
};

/*
 * Where the members of a computed set go.  OUTPUT_REPLY appends each
 * member as a bulk string; OUTPUT_STORE appends each member key as an
 * 8-byte big-endian length followed by the key.
 */
struct set_output {
    enum output_kind  kind;
    uint64_t          count;    /* members so far */
    uint64_t          limit;    /* OUTPUT_COUNT: stop there (0: no limit) */
    struct evbuffer  *buffer;   /* NULL for OUTPUT_COUNT */
};

/* The source sets of a multi-key command, one handle per key named (a key
 * named twice is opened twice; only reads are made through these). */
struct set_sources {
    int                count;     /* keys named */
    int                opened;    /* handles to close */
    int                missing;   /* keys that do not exist */
    struct collection *sets;
    int               *found;     /* 1: the key exists */
};

/* One source of a union: a cursor and the element it stands on. */
struct merge_source {
    struct btree_cursor cursor;
    struct btree_item   item;
};

/* A binary min-heap of union sources, by their current element. */
struct merge_heap {
    struct merge_source *sources;
    int                 *order;   /* heap of indexes into sources */
    int                  size;
};

/* A growable copy of one member key. */
struct key_copy {
    char   *data;
    size_t  length;
    size_t  capacity;
};

/*----------------------------------------------------------------------------
 * Helpers
 *--------------------------------------------------------------------------*/

static struct btree *
set_tree(struct collection *set)
{
    return &set->trees[0];
}

/*
 * Opens argument `index` as a set.  Returns DB_FOUND or DB_NOT_FOUND;
 * on another type or a storage failure replies with the error and returns
 * SET_REPLIED.  The caller closes `set` whatever the result.
 */
static int
open_set(struct client *c, int index, int flags, struct collection *set)
{
    int result = open_collection_argument(c, index, RECORD_SET, flags, set);

    return result == DB_ERROR ? SET_REPLIED : result;
}

/* Adds a member: 1 added, 0 already there, -1 storage failure. */
static int
add_member(struct collection *set, const char *member, size_t length)
{
    struct collection_key key;
    int result;

    collection_key_member(&key, member, length);
    result = btree_put(set_tree(set), key.data, key.length, "", 0);
    collection_key_free(&key);
    return result;
}

/* Removes a member: 1 removed, 0 absent, -1 storage failure. */
static int
remove_member(struct collection *set, const char *member, size_t length)
{
    struct collection_key key;
    int result;

    collection_key_member(&key, member, length);
    result = btree_remove(set_tree(set), key.data, key.length);
    collection_key_free(&key);
    return result;
}

/* Whether member is in the set: 1, 0, or -1 on a storage failure. */
static int
has_member(struct collection *set, const char *member, size_t length)
{
    struct collection_key key;
    struct btree_item item;
    int result;

    collection_key_member(&key, member, length);
    result = btree_find(set_tree(set), key.data, key.length, &item);
    collection_key_free(&key);
    return result;
}

/* Appends the member of a tree element as a bulk string. */
static void
write_member(struct evbuffer *out, const struct btree_item *item)
{
    size_t length;
    const char *member = collection_member_of_member_key(item, &length);

    reply_bulk(out, member, length);
}

/* Replies an array of `count` elements already written to `elements`
 * (which is freed). */
static void
reply_buffered_array(struct client *c, uint64_t count, struct evbuffer *elements)
{
    reply_array_header(c->reply, (long long)count);
    evbuffer_add_buffer(c->reply, elements);
    evbuffer_free(elements);
}

/*
 * Writes every member of the set, in tree order, to out.  Returns 0, or
 * -1 on a storage failure.
 */
static int
write_all_members(struct collection *set, struct evbuffer *out)
{
    struct btree_cursor cursor;
    struct btree_item item;
    int result;

    result = btree_seek_position(set_tree(set), 0, &cursor);
    while (result == 1) {
        if (btree_cursor_item(&cursor, &item) != 1) {
            return -1;
        }
        write_member(out, &item);
        result = btree_cursor_next(&cursor);
    }
    return result;
}

/*
 * Whether the client's pending output plus `extra` passed the
 * client-output-buffer-limit: the server then disconnects the client after
 * the command, so producing more is pointless.
 */
static int
output_limit_passed(struct client *c, struct evbuffer *extra)
{
    long long limit = c->server->settings.output_buffer_limit;
    size_t pending;

    if (limit <= 0) {
        return 0;
    }
    pending = evbuffer_get_length(c->reply) + evbuffer_get_length(extra);
    if (c->connection != NULL) {
        pending += evbuffer_get_length(bufferevent_get_output(c->connection));
    }
    return (long long)pending > limit;
}

/*----------------------------------------------------------------------------
 * Random positions
 *--------------------------------------------------------------------------*/

/* A uniformly random number in [0, bound); 0 when bound is 0 (an empty
 * tree, which a stored set never is: the lookup then fails cleanly). */
static uint64_t
random_below(uint64_t *state, uint64_t bound)
{
    uint64_t accepted, value;

    if (bound == 0) {
        return 0;
    }
    accepted = UINT64_MAX - UINT64_MAX % bound;
    do {
        value = random_next(state);
    } while (value >= accepted);
    return value % bound;
}

static int
compare_positions(const void *left, const void *right)
{
    uint64_t a = *(const uint64_t *)left, b = *(const uint64_t *)right;

    return (a > b) - (a < b);
}

/* Sorts positions[0..count) and moves the distinct ones to the front;
 * returns how many are distinct. */
static uint64_t
sort_distinct(uint64_t *positions, uint64_t count)
{
    uint64_t kept = 0, i;

    qsort(positions, count, sizeof(*positions), compare_positions);
    for (i = 0; i < count; i++) {
        if (kept == 0 || positions[kept - 1] != positions[i]) {
            positions[kept++] = positions[i];
        }
    }
    return kept;
}

/*
 * Chooses `count` distinct random positions in [0, size), count < size,
 * into positions[], in ascending order.  Many picks: one pass deciding
 * each position with the right probability (selection sampling).  Few
 * picks: random positions, redrawing the duplicates.
 */
static void
pick_distinct_positions(uint64_t *state, uint64_t size, uint64_t count,
                        uint64_t *positions)
{
    uint64_t needed = count, position, distinct = 0, i;

    if (count > size / SPARSE_PICK_DIVISOR) {
        for (position = 0; needed > 0; position++) {
            if (random_below(state, size - position) < needed) {
                positions[count - needed] = position;
                needed--;
            }
        }
        return;
    }
    while (distinct < count) {
        for (i = distinct; i < count; i++) {
            positions[i] = random_below(state, size);
        }
        distinct = sort_distinct(positions, count);
    }
}

/*----------------------------------------------------------------------------
 * Outputs of set operations
 *--------------------------------------------------------------------------*/

/* Prepares an output; returns -1 when out of memory. */
static int
output_init(struct set_output *output, enum output_kind kind, uint64_t limit)
{
    output->kind = kind;
    output->count = 0;
    output->limit = limit;
    output->buffer = NULL;
    if (kind == OUTPUT_COUNT) {
        return 0;
    }
    output->buffer = evbuffer_new();
    return output->buffer == NULL ? -1 : 0;
}

static void
output_free(struct set_output *output)
{
    if (output->buffer != NULL) {
        evbuffer_free(output->buffer);
        output->buffer = NULL;
    }
}

/* Adds one member of the result.  Returns 1 when the output wants no
 * more (SINTERCARD's LIMIT reached), else 0. */
static int
output_add(struct set_output *output, const struct btree_item *item)
{
    unsigned char length[8];

    output->count++;
    if (output->kind == OUTPUT_REPLY) {
        write_member(output->buffer, item);
    } else if (output->kind == OUTPUT_STORE) {
        record_write_be64(length, (uint64_t)item->key_length);
        evbuffer_add(output->buffer, length, sizeof(length));
        evbuffer_add(output->buffer, item->key, item->key_length);
    }
    return output->limit != 0 && output->count >= output->limit;
}

/*----------------------------------------------------------------------------
 * Source sets
 *--------------------------------------------------------------------------*/

static void
sources_close(struct set_sources *sources)
{
    int i;

    for (i = 0; i < sources->opened; i++) {
        collection_close(&sources->sets[i]);
    }
    free(sources->sets);
    free(sources->found);
    sources->sets = NULL;
    sources->found = NULL;
    sources->opened = 0;
}

/*
 * Opens arguments first .. first + count - 1 as sets, in order, as Redis
 * looks them up: the first key of another type stops with WRONGTYPE even
 * when an earlier key is missing.  Returns 0, or -1 after replying with
 * an error.  The caller calls sources_close() in both cases.
 */
static int
sources_open(struct client *c, int first, int count, int flags,
             struct set_sources *sources)
{
    int i, result;

    memset(sources, 0, sizeof(*sources));
    sources->count = count;
    sources->sets = calloc((size_t)count, sizeof(*sources->sets));
    sources->found = calloc((size_t)count, sizeof(*sources->found));
    if (sources->sets == NULL || sources->found == NULL) {
        reply_error_out_of_memory(c);
        return -1;
    }
    for (i = 0; i < count; i++) {
        result = open_set(c, first + i, flags, &sources->sets[i]);
        sources->opened++;
        if (result == SET_REPLIED) {
            return -1;
        }
        sources->found[i] = result == DB_FOUND;
        sources->missing += result != DB_FOUND;
    }
    return 0;
}

/*----------------------------------------------------------------------------
 * Intersection
 *--------------------------------------------------------------------------*/

/* Source indexes by ascending size, for intersect(). */
struct sized_source {
    uint64_t size;
    int      index;
};

static int
compare_sized_sources(const void *left, const void *right)
{
    const struct sized_source *a = left, *b = right;

    if (a->size != b->size) {
        return (a->size > b->size) - (a->size < b->size);
    }
    return a->index - b->index;
}

/*
 * Whether the element is in every set of order[1..count): 1, 0, or -1 on
 * a storage failure.
 */
static int
in_all_others(struct set_sources *sources, const struct sized_source *order,
              const struct btree_item *item)
{
    struct btree_item found;
    int i, result;

    for (i = 1; i < sources->count; i++) {
        result = btree_find(set_tree(&sources->sets[order[i].index]),
                            item->key, item->key_length, &found);
        if (result != 1) {
            return result;
        }
    }
    return 1;
}

/*
 * The intersection: walks the smallest set and keeps the members every
 * other set has.  Empty at once when a key is missing.  Returns 0 or
 * SET_OPERATION_ERROR.
 */
static int
intersect(struct set_sources *sources, struct set_output *output)
{
    struct sized_source *order;
    struct btree_cursor cursor;
    struct btree_item item;
    int i, result, status = SET_OPERATION_ERROR;

    if (sources->missing > 0) {
        return 0;
    }
    order = malloc((size_t)sources->count * sizeof(*order));
    if (order == NULL) {
        return SET_OPERATION_ERROR;
    }
    for (i = 0; i < sources->count; i++) {
        order[i].size = collection_count(&sources->sets[i]);
        order[i].index = i;
    }
    qsort(order, (size_t)sources->count, sizeof(*order), compare_sized_sources);

    result = btree_seek_position(set_tree(&sources->sets[order[0].index]), 0, &cursor);
    while (result == 1) {
        if (btree_cursor_item(&cursor, &item) != 1) {
            goto out;
        }
        result = in_all_others(sources, order, &item);
        if (result < 0) {
            goto out;
        }
        if (result == 1 && output_add(output, &item)) {
            break;
        }
        result = btree_cursor_next(&cursor);
    }
    if (result >= 0) {
        status = 0;
    }
out:
    free(order);
    return status;
}

/*----------------------------------------------------------------------------
 * Union: a merge of the sources' trees (all in member-key order)
 *--------------------------------------------------------------------------*/

/* The tree order of member keys: bytes, then the shorter first. */
static int
compare_keys(const char *a, size_t a_length, const char *b, size_t b_length)
{
    int result = memcmp(a, b, a_length < b_length ? a_length : b_length);

    if (result != 0) {
        return result;
    }
    return (a_length > b_length) - (a_length < b_length);
}

/* Compares the current elements of heap entries i and j. */
static int
heap_less(const struct merge_heap *heap, int i, int j)
{
    const struct btree_item *a = &heap->sources[heap->order[i]].item;
    const struct btree_item *b = &heap->sources[heap->order[j]].item;

    return compare_keys(a->key, a->key_length, b->key, b->key_length) < 0;
}

/* Moves heap entry i down to its place. */
static void
heap_sift_down(struct merge_heap *heap, int i)
{
    int smallest, child, swap;

    for (;;) {
        smallest = i;
        child = 2 * i + 1;
        if (child < heap->size && heap_less(heap, child, smallest)) {
            smallest = child;
        }
        if (child + 1 < heap->size && heap_less(heap, child + 1, smallest)) {
            smallest = child + 1;
        }
        if (smallest == i) {
            return;
        }
        swap = heap->order[i];
        heap->order[i] = heap->order[smallest];
        heap->order[smallest] = swap;
        i = smallest;
    }
}

/* The element at the top of the heap (heap->size > 0). */
static const struct btree_item *
heap_top(const struct merge_heap *heap)
{
    return &heap->sources[heap->order[0]].item;
}

/* Steps the top source to its next element (dropping it at its end) and
 * restores the heap.  Returns 0, or -1 on a storage failure. */
static int
heap_advance(struct merge_heap *heap)
{
    struct merge_source *top = &heap->sources[heap->order[0]];
    int result = btree_cursor_next(&top->cursor);

    if (result < 0) {
        return -1;
    }
    if (result == 0) {
        heap->order[0] = heap->order[--heap->size];
    } else if (btree_cursor_item(&top->cursor, &top->item) != 1) {
        return -1;
    }
    heap_sift_down(heap, 0);
    return 0;
}

/* Puts a cursor on the first element of every existing source and builds
 * the heap.  Returns 0, or -1 on a storage failure. */
static int
heap_build(struct merge_heap *heap, struct set_sources *sources)
{
    struct merge_source *source;
    int i, result;

    heap->size = 0;
    for (i = 0; i < sources->count; i++) {
        if (!sources->found[i]) {
            continue;
        }
        source = &heap->sources[heap->size];
        result = btree_seek_position(set_tree(&sources->sets[i]), 0, &source->cursor);
        if (result < 0 || (result == 1 &&
                           btree_cursor_item(&source->cursor, &source->item) != 1)) {
            return -1;
        }
        if (result == 1) {
            heap->order[heap->size] = heap->size;
            heap->size++;
        }
    }
    for (i = heap->size / 2 - 1; i >= 0; i--) {
        heap_sift_down(heap, i);
    }
    return 0;
}

/* Keeps a copy of key in copy.  Returns 0, or -1 when out of memory. */
static int
key_copy_set(struct key_copy *copy, const char *key, size_t length)
{
    char *grown;

    if (length > copy->capacity) {
        grown = realloc(copy->data, length);
        if (grown == NULL) {
            return -1;
        }
        copy->data = grown;
        copy->capacity = length;
    }
    memcpy(copy->data, key, length);
    copy->length = length;
    return 0;
}

/* Emits the heap's smallest element once and steps past it in every source
 * holding it.  Returns 0, or -1 on a failure. */
static int
merge_step(struct merge_heap *heap, struct key_copy *last, struct set_output *output)
{
    const struct btree_item *top = heap_top(heap);

    output_add(output, top);
    if (key_copy_set(last, top->key, top->key_length) != 0 ||
        heap_advance(heap) != 0) {
        return -1;
    }
    while (heap->size > 0) {
        top = heap_top(heap);
        if (compare_keys(top->key, top->key_length, last->data, last->length) != 0) {
            break;
        }
        if (heap_advance(heap) != 0) {
            return -1;
        }
    }
    return 0;
}

/* The union of the existing sources.  Returns 0 or SET_OPERATION_ERROR. */
static int
unite(struct set_sources *sources, struct set_output *output)
{
    struct merge_heap heap = { NULL, NULL, 0 };
    struct key_copy last = { NULL, 0, 0 };
    int status = SET_OPERATION_ERROR;

    heap.sources = malloc((size_t)sources->count * sizeof(*heap.sources));
    heap.order = malloc((size_t)sources->count * sizeof(*heap.order));
    if (heap.sources == NULL || heap.order == NULL ||
        heap_build(&heap, sources) != 0) {
        goto out;
    }
    while (heap.size > 0) {
        if (merge_step(&heap, &last, output) != 0) {
            goto out;
        }
    }
    status = 0;
out:
    free(last.data);
    free(heap.sources);
    free(heap.order);
    return status;
}

/*----------------------------------------------------------------------------
 * Difference
 *--------------------------------------------------------------------------*/

/* Whether an element of the first set is in none of the other existing
 * sets: 1, 0, or -1 on a storage failure. */
static int
in_no_other(struct set_sources *sources, const struct btree_item *item)
{
    struct btree_item found;
    int i, result;

    for (i = 1; i < sources->count; i++) {
        if (!sources->found[i]) {
            continue;
        }
        result = btree_find(set_tree(&sources->sets[i]), item->key,
                            item->key_length, &found);
        if (result != 0) {
            return result < 0 ? -1 : 0;
        }
    }
    return 1;
}

/* The members of the first set that no other set has.  Returns 0 or
 * SET_OPERATION_ERROR. */
static int
subtract(struct set_sources *sources, struct set_output *output)
{
    struct btree_cursor cursor;
    struct btree_item item;
    int result;

    if (!sources->found[0]) {
        return 0;
    }
    result = btree_seek_position(set_tree(&sources->sets[0]), 0, &cursor);
    while (result == 1) {
        if (btree_cursor_item(&cursor, &item) != 1) {
            return SET_OPERATION_ERROR;
        }
        result = in_no_other(sources, &item);
        if (result < 0) {
            return SET_OPERATION_ERROR;
        }
        if (result == 1) {
            output_add(output, &item);
        }
        result = btree_cursor_next(&cursor);
    }
    return result < 0 ? SET_OPERATION_ERROR : 0;
}

/*----------------------------------------------------------------------------
 * SINTER SUNION SDIFF SINTERCARD and their STORE forms
 *--------------------------------------------------------------------------*/

/* Runs one operation over the opened sources. */
static int
compute(enum set_operation operation, struct set_sources *sources,
        struct set_output *output)
{
    switch (operation) {
    case SET_INTERSECTION:
        return intersect(sources, output);
    case SET_UNION:
        return unite(sources, output);
    case SET_DIFFERENCE:
        return subtract(sources, output);
    }
    return SET_OPERATION_ERROR;
}

/*
 * Replaces the key at argument `index` by the set of member keys in the
 * output (an empty one deletes the key) and replies with its size.  The
 * keys are in tree order, so the tree fills from left to right.
 */
static void
store_output(struct client *c, int index, struct set_output *output)
{
    struct collection destination;
    const unsigned char *data, *end;
    uint64_t length;
    size_t size;

    if (open_set(c, index, COLLECTION_REPLACE, &destination) == SET_REPLIED) {
        goto out;
    }
    size = evbuffer_get_length(output->buffer);
    data = size > 0 ? evbuffer_pullup(output->buffer, -1) : NULL;
    if (size > 0 && data == NULL) {
        reply_error_out_of_memory(c);
        goto out;
    }
    end = size > 0 ? data + size : NULL;
    while (data != end) {
        length = record_read_be64(data);
        if (btree_put(set_tree(&destination), data + 8, (size_t)length, "", 0) < 0) {
            reply_error_storage(c);
            goto out;
        }
        data += 8 + length;
    }
    if (save_collection(c, &destination) != 0) {
        goto out;
    }
    reply_integer(c->reply, (long long)output->count);
out:
    collection_close(&destination);
}

/*
 * The common body of the multi-set commands: opens `key_count` sources from
 * argument `first_key` (as reads, each counting a keyspace hit or miss, as
 * Redis 7.0 looks them up even for the STORE forms), computes, closes the
 * sources, and then replies or stores into argument `destination` (-1:
 * none).
 */
static void
set_operation_command(struct client *c, enum set_operation operation,
                      int first_key, int key_count, int destination,
                      enum output_kind kind, uint64_t limit)
{
    struct set_sources sources;
    struct set_output output;
    int status;

    if (output_init(&output, kind, limit) != 0) {
        reply_error_out_of_memory(c);
        return;
    }
    if (sources_open(c, first_key, key_count, COLLECTION_READ, &sources) != 0) {
        sources_close(&sources);
        goto out;
    }
    status = compute(operation, &sources, &output);
    sources_close(&sources);
    if (status != 0) {
        reply_error_storage(c);
    } else if (kind == OUTPUT_COUNT) {
        reply_integer(c->reply, (long long)output.count);
    } else if (kind == OUTPUT_STORE) {
        store_output(c, destination, &output);
    } else {
        reply_buffered_array(c, output.count, output.buffer);
        output.buffer = NULL;
    }
out:
    output_free(&output);
}

void
command_SMEMBERS(struct client *c)
{
    set_operation_command(c, SET_INTERSECTION, 1, 1, -1, OUTPUT_REPLY, 0);
}

void
command_SINTER(struct client *c)
{
    set_operation_command(c, SET_INTERSECTION, 1, c->argc - 1, -1, OUTPUT_REPLY, 0);
}

void
command_SUNION(struct client *c)
{
    set_operation_command(c, SET_UNION, 1, c->argc - 1, -1, OUTPUT_REPLY, 0);
}

void
command_SDIFF(struct client *c)
{
    set_operation_command(c, SET_DIFFERENCE, 1, c->argc - 1, -1, OUTPUT_REPLY, 0);
}

void
command_SINTERSTORE(struct client *c)
{
    set_operation_command(c, SET_INTERSECTION, 2, c->argc - 2, 1, OUTPUT_STORE, 0);
}

void
command_SUNIONSTORE(struct client *c)
{
    set_operation_command(c, SET_UNION, 2, c->argc - 2, 1, OUTPUT_STORE, 0);
}

void
command_SDIFFSTORE(struct client *c)
{
    set_operation_command(c, SET_DIFFERENCE, 2, c->argc - 2, 1, OUTPUT_STORE, 0);
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit] */
void
command_SINTERCARD(struct client *c)
{
    long long key_count, limit = 0;
    int index;

    if (argument_in_range(c, 1, 1, INT64_MAX, "ERR numkeys should be greater than 0",
                          &key_count) != 0) {
        return;
    }
    if (key_count > c->argc - 2) {
        reply_error(c->reply, "ERR Number of keys can't be greater than number of args");
        return;
    }
    for (index = 2 + (int)key_count; index < c->argc; index++) {
        if (!argument_is(c, index, "limit") || index + 1 >= c->argc) {
            reply_error_syntax(c->reply);
            return;
        }
        index++;
        if (argument_in_range(c, index, 0, INT64_MAX, "ERR LIMIT can't be negative",
                              &limit) != 0) {
            return;
        }
    }
    set_operation_command(c, SET_INTERSECTION, 2, (int)key_count, -1, OUTPUT_COUNT,
                          (uint64_t)limit);
}

/*----------------------------------------------------------------------------
 * SADD SREM SISMEMBER SMISMEMBER SCARD SMOVE
 *--------------------------------------------------------------------------*/

void
command_SADD(struct client *c)
{
    struct collection set;
    long long added = 0;
    int index, result;

    if (open_set(c, 1, COLLECTION_CREATE, &set) == SET_REPLIED) {
        goto out;
    }
    for (index = 2; index < c->argc; index++) {
        result = add_member(&set, c->argv[index], c->argv_length[index]);
        if (result < 0) {
            reply_error_storage(c);
            goto out;
        }
        added += result;
    }
    if (added > 0 && save_collection(c, &set) != 0) {
        goto out;
    }
    reply_integer(c->reply, added);
out:
    collection_close(&set);
}

void
command_SREM(struct client *c)
{
    struct collection set;
    long long removed = 0;
    int index, found, result;

    found = open_set(c, 1, COLLECTION_WRITE, &set);
    if (found == SET_REPLIED) {
        goto out;
    }
    for (index = 2; found == DB_FOUND && index < c->argc; index++) {
        result = remove_member(&set, c->argv[index], c->argv_length[index]);
        if (result < 0) {
            reply_error_storage(c);
            goto out;
        }
        removed += result;
    }
    if (removed > 0 && save_collection(c, &set) != 0) {
        goto out;
    }
    reply_integer(c->reply, removed);
out:
    collection_close(&set);
}

void
command_SISMEMBER(struct client *c)
{
    struct collection set;
    int result;

    result = open_set(c, 1, COLLECTION_READ, &set);
    if (result == SET_REPLIED) {
        goto out;
    }
    if (result == DB_FOUND) {
        result = has_member(&set, c->argv[2], c->argv_length[2]);
        if (result < 0) {
            reply_error_storage(c);
            goto out;
        }
    }
    reply_integer(c->reply, result == 1);
out:
    collection_close(&set);
}

void
command_SMISMEMBER(struct client *c)
{
    struct collection set;
    struct evbuffer *answers = NULL;
    int index, found, result;

    found = open_set(c, 1, COLLECTION_READ, &set);
    if (found == SET_REPLIED) {
        goto out;
    }
    answers = evbuffer_new();
    if (answers == NULL) {
        reply_error_out_of_memory(c);
        goto out;
    }
    for (index = 2; index < c->argc; index++) {
        result = 0;
        if (found == DB_FOUND) {
            result = has_member(&set, c->argv[index], c->argv_length[index]);
        }
        if (result < 0) {
            reply_error_storage(c);
            goto out;
        }
        reply_integer(answers, result);
    }
    reply_buffered_array(c, (uint64_t)(c->argc - 2), answers);
    answers = NULL;
out:
    if (answers != NULL) {
        evbuffer_free(answers);
    }
    collection_close(&set);
}

void
command_SCARD(struct client *c)
{
    struct collection set;
    int result;

    result = open_set(c, 1, COLLECTION_READ, &set);
    if (result != SET_REPLIED) {
        reply_integer(c->reply,
                      result == DB_FOUND ? (long long)collection_count(&set) : 0);
    }
    collection_close(&set);
}

/* SMOVE of a key onto itself: a membership test, nothing changes. */
static void
move_within(struct client *c, struct collection *set)
{
    int result = has_member(set, c->argv[3], c->argv_length[3]);

    if (result < 0) {
        reply_error_storage(c);
        return;
    }
    reply_integer(c->reply, result);
}

/*
 * Moves the member from source to destination (both open, distinct keys).
 * Replies 1 if it moved, 0 if the source does not have it.
 */
static void
move_between(struct client *c, struct collection *source,
             struct collection *destination)
{
    int result = remove_member(source, c->argv[3], c->argv_length[3]);

    if (result <= 0) {
        if (result < 0) {
            reply_error_storage(c);
        } else {
            reply_integer(c->reply, 0);
        }
        return;
    }
    result = add_member(destination, c->argv[3], c->argv_length[3]);
    if (result < 0) {
        reply_error_storage(c);
        return;
    }
    if (save_collection(c, source) != 0 ||
        (result == 1 && save_collection(c, destination) != 0)) {
        return;
    }
    reply_integer(c->reply, 1);
}

/*
 * SMOVE source destination member.  Redis's order: a missing source
 * answers 0 whatever the destination holds; then the source's type, then
 * the destination's; a key moved onto itself is only a membership test.
 */
void
command_SMOVE(struct client *c)
{
    struct collection source, destination;
    int same_key, destination_open = 0, result;

    same_key = c->argv_length[1] == c->argv_length[2] &&
               memcmp(c->argv[1], c->argv[2], c->argv_length[1]) == 0;
    result = open_set(c, 1, COLLECTION_WRITE, &source);
    if (result == SET_REPLIED) {
        goto out;
    }
    if (result == DB_NOT_FOUND) {
        reply_integer(c->reply, 0);
        goto out;
    }
    if (same_key) {
        move_within(c, &source);
        goto out;
    }
    destination_open = 1;
    if (open_set(c, 2, COLLECTION_CREATE, &destination) == SET_REPLIED) {
        goto out;
    }
    move_between(c, &source, &destination);
out:
    if (destination_open) {
        collection_close(&destination);
    }
    collection_close(&source);
}

/*----------------------------------------------------------------------------
 * SPOP SRANDMEMBER
 *--------------------------------------------------------------------------*/

/* Writes the members at the sorted `positions` to out.  Returns 0, or -1
 * on a storage failure. */
static int
write_members_at(struct collection *set, const uint64_t *positions,
                 uint64_t count, struct evbuffer *out)
{
    struct btree_item item;
    uint64_t i;

    for (i = 0; i < count; i++) {
        if (btree_get_at(set_tree(set), positions[i], &item) != 1) {
            return -1;
        }
        write_member(out, &item);
    }
    return 0;
}

/* Writes the members at the sorted `positions` to out and removes them
 * (from the last, so the others keep their positions).  Returns 0 or -1. */
static int
pop_members_at(struct collection *set, const uint64_t *positions,
               uint64_t count, struct evbuffer *out)
{
    struct btree_item item;
    uint64_t i;

    for (i = count; i > 0; i--) {
        if (btree_get_at(set_tree(set), positions[i - 1], &item) != 1) {
            return -1;
        }
        write_member(out, &item);
        if (btree_remove_at(set_tree(set), positions[i - 1]) != 1) {
            return -1;
        }
    }
    return 0;
}

/*
 * Writes `count` distinct random members (count < size) to out, removing
 * them when `pop`.  Returns 0, -1 on a storage failure, -2 when out of
 * memory.
 */
static int
write_random_distinct(struct client *c, struct collection *set, uint64_t count,
                      int pop, struct evbuffer *out)
{
    uint64_t *positions;
    int result;

    positions = malloc((size_t)count * sizeof(*positions));
    if (positions == NULL) {
        return -2;
    }
    pick_distinct_positions(&c->server->random_state, collection_count(set),
                            count, positions);
    if (pop) {
        result = pop_members_at(set, positions, count, out);
    } else {
        result = write_members_at(set, positions, count, out);
    }
    free(positions);
    return result;
}

/* Replies the error of write_random_distinct()'s result (nonzero). */
static void
reply_random_failure(struct client *c, int result)
{
    if (result == -2) {
        reply_error_out_of_memory(c);
    } else {
        reply_error_storage(c);
    }
}

/* SPOP key: removes and replies one random member, nil for no set. */
static void
pop_one(struct client *c)
{
    struct collection set;
    struct evbuffer *member = NULL;
    uint64_t position;
    int result;

    result = open_set(c, 1, COLLECTION_WRITE, &set);
    if (result != DB_FOUND) {
        if (result == DB_NOT_FOUND) {
            reply_null(c->reply);
        }
        goto out;
    }
    member = evbuffer_new();
    if (member == NULL) {
        reply_error_out_of_memory(c);
        goto out;
    }
    position = random_below(&c->server->random_state, collection_count(&set));
    if (pop_members_at(&set, &position, 1, member) != 0) {
        reply_error_storage(c);
        goto out;
    }
    if (save_collection(c, &set) != 0) {
        goto out;
    }
    evbuffer_add_buffer(c->reply, member);
out:
    if (member != NULL) {
        evbuffer_free(member);
    }
    collection_close(&set);
}

/*
 * SPOP of at least the whole set: replies every member and deletes the
 * key (O(1) whatever its size; its pages go to the reclaimer).  Closes
 * the set.
 */
static void
pop_all(struct client *c, struct collection *set, struct evbuffer *members)
{
    uint64_t count = collection_count(set);
    int result = write_all_members(set, members);

    collection_close(set);
    if (result != 0 ||
        db_delete(c->server, c->argv[1], c->argv_length[1]) == DB_ERROR) {
        reply_error_storage(c);
        return;
    }
    reply_array_header(c->reply, (long long)count);
    evbuffer_add_buffer(c->reply, members);
}

/* SPOP key count: count distinct random members, removed. */
static void
pop_many(struct client *c)
{
    struct collection set;
    struct evbuffer *members = NULL;
    long long count;
    int result, closed = 0;

    if (argument_in_range(c, 2, 0, INT64_MAX,
                          "ERR value is out of range, must be positive", &count) != 0) {
        return;
    }
    result = open_set(c, 1, COLLECTION_WRITE, &set);
    if (result != DB_FOUND || count == 0) {
        if (result != SET_REPLIED) {
            reply_array_header(c->reply, 0);
        }
        goto out;
    }
    members = evbuffer_new();
    if (members == NULL) {
        reply_error_out_of_memory(c);
        goto out;
    }
    if ((uint64_t)count >= collection_count(&set)) {
        pop_all(c, &set, members);
        closed = 1;
        goto out;
    }
    result = write_random_distinct(c, &set, (uint64_t)count, 1, members);
    if (result != 0) {
        reply_random_failure(c, result);
        goto out;
    }
    if (save_collection(c, &set) != 0) {
        goto out;
    }
    reply_buffered_array(c, (uint64_t)count, members);
    members = NULL;
out:
    if (members != NULL) {
        evbuffer_free(members);
    }
    if (!closed) {
        collection_close(&set);
    }
}

void
command_SPOP(struct client *c)
{
    if (c->argc == 3) {
        pop_many(c);
    } else if (c->argc > 3) {
        reply_error_syntax(c->reply);
    } else {
        pop_one(c);
    }
}

/* SRANDMEMBER key: one random member, nil for no set. */
static void
random_one(struct client *c)
{
    struct collection set;
    struct btree_item item;
    int result;

    result = open_set(c, 1, COLLECTION_READ, &set);
    if (result == DB_NOT_FOUND) {
        reply_null(c->reply);
    } else if (result == DB_FOUND) {
        if (btree_get_at(set_tree(&set),
                         random_below(&c->server->random_state, collection_count(&set)),
                         &item) != 1) {
            reply_error_storage(c);
        } else {
            write_member(c->reply, &item);
        }
    }
    collection_close(&set);
}

/*
 * `count` random members, repetitions allowed (a negative count).  Stops
 * early once the reply passes the client's output limit: the client is
 * then disconnected, as Redis would, instead of the node building a reply
 * of any size.  Returns 0 or -1.
 */
static int
write_random_repeated(struct client *c, struct collection *set, uint64_t count,
                      struct evbuffer *out)
{
    struct btree_item item;
    uint64_t size = collection_count(set), i;

    for (i = 0; i < count; i++) {
        if (btree_get_at(set_tree(set), random_below(&c->server->random_state, size),
                         &item) != 1) {
            return -1;
        }
        write_member(out, &item);
        if ((i & 1023) == 1023 && output_limit_passed(c, out)) {
            break;
        }
    }
    return 0;
}

/* Writes SRANDMEMBER's members for a nonzero count.  Returns 0, -1 or -2
 * (see write_random_distinct). */
static int
write_random(struct client *c, struct collection *set, long long count,
             struct evbuffer *out, uint64_t *written)
{
    uint64_t size = collection_count(set);

    if (count < 0) {
        *written = (uint64_t)-count;
        return write_random_repeated(c, set, (uint64_t)-count, out);
    }
    if ((uint64_t)count >= size) {
        *written = size;
        return write_all_members(set, out);
    }
    *written = (uint64_t)count;
    return write_random_distinct(c, set, (uint64_t)count, 0, out);
}

/* SRANDMEMBER key count: distinct members for a positive count (the whole
 * set at most), `-count` members with repetitions for a negative one. */
static void
random_many(struct client *c)
{
    struct collection set;
    struct evbuffer *members = NULL;
    long long count;
    uint64_t written = 0;
    int result;

    if (!string_to_long_long(c->argv[2], c->argv_length[2], &count)) {
        reply_error_not_integer(c->reply);
        return;
    }
    if (count == INT64_MIN) {
        reply_error(c->reply, "ERR value is out of range, value must between "
                              "-9223372036854775807 and 9223372036854775807");
        return;
    }
    result = open_set(c, 1, COLLECTION_READ, &set);
    if (result != DB_FOUND || count == 0) {
        if (result != SET_REPLIED) {
            reply_array_header(c->reply, 0);
        }
        goto out;
    }
    members = evbuffer_new();
    if (members == NULL) {
        reply_error_out_of_memory(c);
        goto out;
    }
    result = write_random(c, &set, count, members, &written);
    if (result != 0) {
        reply_random_failure(c, result);
        goto out;
    }
    reply_buffered_array(c, written, members);
    members = NULL;
out:
    if (members != NULL) {
        evbuffer_free(members);
    }
    collection_close(&set);
}

void
command_SRANDMEMBER(struct client *c)
{
    if (c->argc == 3) {
        random_many(c);
    } else if (c->argc > 3) {
        reply_error_syntax(c->reply);
    } else {
        random_one(c);
    }
}
