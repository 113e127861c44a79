/*
 * t_hash.c — the hash commands: HSET HSETNX HGET HMGET HMSET HDEL HEXISTS
 * HLEN HSTRLEN HKEYS HVALS HGETALL HINCRBY HINCRBYFLOAT HRANDFIELD.
 * (HSCAN lives with SSCAN and ZSCAN in node/t_scan.c.)
 *
 * A hash is a collection (node/collection.h) with one by-key tree: each
 * element's key is the member key of the field (its 64-bit hash, then the
 * field) and its value is the field's value.  Replies and errors are the
 * ones Redis 7.0 gives, checked in the same order; only the order of
 * fields in HKEYS / HVALS / HGETALL differs (Redis leaves it unspecified):
 * here it is the order of the field hashes.
 *
 * Replies that list many elements are built in a scratch buffer first and
 * appended to the client's reply only when the whole walk succeeded, so a
 * storage failure half-way gives one clean error instead of a broken array.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <event2/buffer.h>

#include "node/btree.h"
#include "node/collection.h"
#include "node/db.h"
#include "node/record.h"
#include "node/server.h"
#include "node/t_common.h"
#include "shared/number.h"
#include "shared/random.h"
#include "shared/reply.h"

/* The hash's one tree. */
#define HASH_TREE 0

/* Which parts of each element a listing replies (bits). */
#define HASH_FIELDS  (1u << 0)
#define HASH_VALUES  (1u << 1)
#define HASH_BOTH    (HASH_FIELDS | HASH_VALUES)

/* Room for any number HINCRBYFLOAT formats: the largest long double has
 * 4933 integer digits, plus sign, point and 17 decimals (Redis's 5k). */
#define LONG_DOUBLE_TEXT_SIZE (5 * 1024)

/* A hash at least this many times bigger than a positive HRANDFIELD count
 * is sampled by drawing positions; a smaller one by shuffling them all. */
#define RANDOM_SHUFFLE_FACTOR 3

/* Most bytes one negative-count HRANDFIELD may build when the node has no
 * output buffer limit (Redis would try to build the whole reply, however
 * large). */
#define RANDOM_REPLY_CAP (1024LL * 1024 * 1024)

/* The fewest bytes one element of an HRANDFIELD reply takes ("$0\r\n\r\n"):
 * a count above cap / this is refused before any work. */
#define RANDOM_ELEMENT_MIN_BYTES 6

/*----------------------------------------------------------------------------
 * Helpers
 *--------------------------------------------------------------------------*/

/*
 * Opens argv[1] as a hash with collection_open() flags.  Returns DB_FOUND
 * or DB_NOT_FOUND; when the key holds another type or storage fails, it
 * replies with the error and returns DB_ERROR.  The caller always calls
 * collection_close().
 */
static int
hash_open(struct client *c, int flags, struct collection *hash)
{
    return open_collection_argument(c, 1, RECORD_HASH, flags, hash);
}

/* Looks a field up: 1 found (item filled), 0 absent, -1 storage error. */
static int
hash_find(struct collection *hash, const char *field, size_t length,
          struct btree_item *item)
{
    struct collection_key key;
    int found;

    collection_key_member(&key, field, length);
    found = btree_find(&hash->trees[HASH_TREE], key.data, key.length, item);
    collection_key_free(&key);
    return found;
}

/* Sets a field: 1 created, 0 replaced, -1 storage error. */
static int
hash_put(struct collection *hash, const char *field, size_t field_length,
         const char *value, size_t value_length)
{
    struct collection_key key;
    int result;

    collection_key_member(&key, field, field_length);
    result = btree_put(&hash->trees[HASH_TREE], key.data, key.length,
                       value, value_length);
    collection_key_free(&key);
    return result;
}

/* Removes a field: 1 removed, 0 absent, -1 storage error. */
static int
hash_remove(struct collection *hash, const char *field, size_t length)
{
    struct collection_key key;
    int result;

    collection_key_member(&key, field, length);
    result = btree_remove(&hash->trees[HASH_TREE], key.data, key.length);
    collection_key_free(&key);
    return result;
}

/* Writes the parts of one element that `parts` asks for. */
static void
write_element(struct evbuffer *out, const struct btree_item *item,
              unsigned int parts)
{
    const char *field;
    size_t length;

    if (parts & HASH_FIELDS) {
        field = collection_member_of_member_key(item, &length);
        reply_bulk(out, field, length);
    }
    if (parts & HASH_VALUES) {
        reply_bulk(out, item->value, item->value_length);
    }
}

/* Replies elements per element of `parts` (1 or 2). */
static int
parts_per_element(unsigned int parts)
{
    return parts == HASH_BOTH ? 2 : 1;
}

/*----------------------------------------------------------------------------
 * HSET HMSET HSETNX
 *--------------------------------------------------------------------------*/

/* HSET and HMSET: set every field/value pair; HSET replies how many fields
 * were created, HMSET +OK.  The arity is checked before the key's type. */
static void
hset_generic(struct client *c, int is_hmset)
{
    struct collection hash;
    long long created = 0;
    int index, result;

    if ((c->argc % 2) == 1) {
        reply_error_arity(c->reply, is_hmset ? "hmset" : "hset");
        return;
    }
    if (hash_open(c, COLLECTION_CREATE, &hash) == DB_ERROR) {
        goto out;
    }
    for (index = 2; index < c->argc; index += 2) {
        result = hash_put(&hash, c->argv[index], c->argv_length[index],
                          c->argv[index + 1], c->argv_length[index + 1]);
        if (result < 0) {
            reply_error_storage(c);
            goto out;
        }
        created += result;
    }
    if (save_collection(c, &hash) != 0) {
        goto out;
    }
    if (is_hmset) {
        reply_ok(c->reply);
    } else {
        reply_integer(c->reply, created);
    }

out:
    collection_close(&hash);
}

void
command_HSET(struct client *c)
{
    hset_generic(c, 0);
}

void
command_HMSET(struct client *c)
{
    hset_generic(c, 1);
}

void
command_HSETNX(struct client *c)
{
    struct collection hash;
    struct btree_item item;
    int found;

    if (hash_open(c, COLLECTION_CREATE, &hash) == DB_ERROR) {
        goto out;
    }
    found = hash_find(&hash, c->argv[2], c->argv_length[2], &item);
    if (found != 0) {
        if (found == 1) {
            reply_integer(c->reply, 0);
        } else {
            reply_error_storage(c);
        }
        goto out;
    }
    if (hash_put(&hash, c->argv[2], c->argv_length[2], c->argv[3],
                 c->argv_length[3]) < 0) {
        reply_error_storage(c);
        goto out;
    }
    if (save_collection(c, &hash) == 0) {
        reply_integer(c->reply, 1);
    }

out:
    collection_close(&hash);
}

/*----------------------------------------------------------------------------
 * HGET HMGET HEXISTS HSTRLEN HLEN
 *--------------------------------------------------------------------------*/

/* Writes the value of one field (nil when absent) into out.  Returns 0 or
 * -1 on a storage error. */
static int
write_field_value(struct evbuffer *out, struct collection *hash, int found,
                  const char *field, size_t length)
{
    struct btree_item item;
    int present = 0;

    if (found == DB_FOUND) {
        present = hash_find(hash, field, length, &item);
        if (present < 0) {
            return -1;
        }
    }
    if (present) {
        reply_bulk(out, item.value, item.value_length);
    } else {
        reply_null(out);
    }
    return 0;
}

void
command_HGET(struct client *c)
{
    struct collection hash;
    int found;

    found = hash_open(c, COLLECTION_READ, &hash);
    if (found != DB_ERROR &&
        write_field_value(c->reply, &hash, found, c->argv[2],
                          c->argv_length[2]) != 0) {
        reply_error_storage(c);
    }
    collection_close(&hash);
}

/* HMGET: a missing key is an empty hash (every value nil). */
void
command_HMGET(struct client *c)
{
    struct collection hash;
    struct evbuffer *values = NULL;
    int found, index;

    found = hash_open(c, COLLECTION_READ, &hash);
    if (found == DB_ERROR) {
        goto out;
    }
    values = evbuffer_new();
    if (values == NULL) {
        reply_error(c->reply, "ERR out of memory");
        goto out;
    }
    for (index = 2; index < c->argc; index++) {
        if (write_field_value(values, &hash, found, c->argv[index],
                              c->argv_length[index]) != 0) {
            reply_error_storage(c);
            goto out;
        }
    }
    reply_array_header(c->reply, c->argc - 2);
    evbuffer_add_buffer(c->reply, values);

out:
    if (values != NULL) {
        evbuffer_free(values);
    }
    collection_close(&hash);
}

/* HEXISTS (want_length 0) and HSTRLEN (want_length 1): 0 when the key or
 * the field is missing. */
static void
field_fact(struct client *c, int want_length)
{
    struct collection hash;
    struct btree_item item;
    int found, present = 0;

    found = hash_open(c, COLLECTION_READ, &hash);
    if (found == DB_ERROR) {
        goto out;
    }
    if (found == DB_FOUND) {
        present = hash_find(&hash, c->argv[2], c->argv_length[2], &item);
        if (present < 0) {
            reply_error_storage(c);
            goto out;
        }
    }
    if (want_length) {
        reply_integer(c->reply, present ? (long long)item.value_length : 0);
    } else {
        reply_integer(c->reply, present);
    }

out:
    collection_close(&hash);
}

void
command_HEXISTS(struct client *c)
{
    field_fact(c, 0);
}

void
command_HSTRLEN(struct client *c)
{
    field_fact(c, 1);
}

void
command_HLEN(struct client *c)
{
    struct collection hash;
    int found;

    found = hash_open(c, COLLECTION_READ, &hash);
    if (found != DB_ERROR) {
        reply_integer(c->reply, found == DB_FOUND
                                ? (long long)collection_count(&hash) : 0);
    }
    collection_close(&hash);
}

/*----------------------------------------------------------------------------
 * HDEL
 *--------------------------------------------------------------------------*/

/* HDEL: removes the named fields; a hash left empty is deleted. */
void
command_HDEL(struct client *c)
{
    struct collection hash;
    long long deleted = 0;
    int found, index, result;

    found = hash_open(c, COLLECTION_WRITE, &hash);
    if (found == DB_ERROR) {
        goto out;
    }
    for (index = 2; found == DB_FOUND && index < c->argc; index++) {
        result = hash_remove(&hash, c->argv[index], c->argv_length[index]);
        if (result < 0) {
            reply_error_storage(c);
            goto out;
        }
        deleted += result;
    }
    if (deleted > 0 && save_collection(c, &hash) != 0) {
        goto out;
    }
    reply_integer(c->reply, deleted);

out:
    collection_close(&hash);
}

/*----------------------------------------------------------------------------
 * HKEYS HVALS HGETALL
 *--------------------------------------------------------------------------*/

/*
 * Writes `parts` of every element, in tree order, into out.  Returns the
 * number of elements written, or -1 on a storage error.
 */
static long long
write_all_elements(struct collection *hash, unsigned int parts,
                   struct evbuffer *out)
{
    struct btree_cursor cursor;
    struct btree_item item;
    long long written = 0;
    int step;

    step = btree_seek_position(&hash->trees[HASH_TREE], 0, &cursor);
    while (step == 1) {
        if (btree_cursor_item(&cursor, &item) != 1) {
            return -1;
        }
        write_element(out, &item, parts);
        written++;
        step = btree_cursor_next(&cursor);
    }
    return step < 0 ? -1 : written;
}

/* HKEYS, HVALS and HGETALL: an empty array for a missing key. */
static void
list_all(struct client *c, unsigned int parts)
{
    struct collection hash;
    struct evbuffer *elements = NULL;
    long long written;
    int found;

    found = hash_open(c, COLLECTION_READ, &hash);
    if (found == DB_ERROR) {
        goto out;
    }
    if (found == DB_NOT_FOUND) {
        reply_array_header(c->reply, 0);
        goto out;
    }
    elements = evbuffer_new();
    if (elements == NULL) {
        reply_error(c->reply, "ERR out of memory");
        goto out;
    }
    written = write_all_elements(&hash, parts, elements);
    if (written < 0 || (uint64_t)written != collection_count(&hash)) {
        reply_error_storage(c);
        goto out;
    }
    reply_array_header(c->reply, written * parts_per_element(parts));
    evbuffer_add_buffer(c->reply, elements);

out:
    if (elements != NULL) {
        evbuffer_free(elements);
    }
    collection_close(&hash);
}

void
command_HKEYS(struct client *c)
{
    list_all(c, HASH_FIELDS);
}

void
command_HVALS(struct client *c)
{
    list_all(c, HASH_VALUES);
}

void
command_HGETALL(struct client *c)
{
    list_all(c, HASH_BOTH);
}

/*----------------------------------------------------------------------------
 * HINCRBY HINCRBYFLOAT
 *--------------------------------------------------------------------------*/

/*
 * Opens the hash for a counter and reads the field's current value:
 * *present is 1 with *item filled when the field exists.  Returns 0, or
 * -1 after replying with an error.
 */
static int
counter_open(struct client *c, struct collection *hash,
             struct btree_item *item, int *present)
{
    if (hash_open(c, COLLECTION_CREATE, hash) == DB_ERROR) {
        return -1;
    }
    *present = hash_find(hash, c->argv[2], c->argv_length[2], item);
    if (*present < 0) {
        reply_error_storage(c);
        return -1;
    }
    return 0;
}

/* Stores the counter's new text and saves; replies on error. */
static int
counter_store(struct client *c, struct collection *hash, const char *text,
              size_t length)
{
    if (hash_put(hash, c->argv[2], c->argv_length[2], text, length) < 0) {
        reply_error_storage(c);
        return -1;
    }
    return save_collection(c, hash);
}

/* HINCRBY: the increment is checked before the key's type, the stored
 * value after it. */
void
command_HINCRBY(struct client *c)
{
    struct collection hash;
    struct btree_item item;
    long long increment, current = 0;
    char text[32];
    int present, length;

    if (!string_to_long_long(c->argv[3], c->argv_length[3], &increment)) {
        reply_error_not_integer(c->reply);
        return;
    }
    if (counter_open(c, &hash, &item, &present) != 0) {
        goto out;
    }
    if (present &&
        !string_to_long_long(item.value, item.value_length, &current)) {
        reply_error(c->reply, "ERR hash value is not an integer");
        goto out;
    }
    if ((increment < 0 && current < 0 && increment < LLONG_MIN - current) ||
        (increment > 0 && current > 0 && increment > LLONG_MAX - current)) {
        reply_error(c->reply, "ERR increment or decrement would overflow");
        goto out;
    }
    current += increment;
    length = long_long_to_string(text, sizeof(text), current);
    if (counter_store(c, &hash, text, (size_t)length) == 0) {
        reply_integer(c->reply, current);
    }

out:
    collection_close(&hash);
}

/*
 * HINCRBYFLOAT: the increment must be a finite float (checked before the
 * key); the stored value must parse as a long double; the result is
 * stored and replied in INCRBYFLOAT's human-friendly format.
 */
void
command_HINCRBYFLOAT(struct client *c)
{
    struct collection hash;
    struct btree_item item;
    long double increment, current = 0;
    char *text = NULL;
    int present, length;

    if (!string_to_long_double(c->argv[3], c->argv_length[3], &increment)) {
        reply_error(c->reply, "ERR value is not a valid float");
        return;
    }
    if (isnan(increment) || isinf(increment)) {
        reply_error(c->reply, "ERR value is NaN or Infinity");
        return;
    }
    if (counter_open(c, &hash, &item, &present) != 0) {
        goto out;
    }
    if (present &&
        !string_to_long_double(item.value, item.value_length, &current)) {
        reply_error(c->reply, "ERR hash value is not a float");
        goto out;
    }
    current += increment;
    if (isnan(current) || isinf(current)) {
        reply_error(c->reply, "ERR increment would produce NaN or Infinity");
        goto out;
    }
    text = malloc(LONG_DOUBLE_TEXT_SIZE);
    if (text == NULL) {
        reply_error(c->reply, "ERR out of memory");
        goto out;
    }
    length = long_double_to_string(text, LONG_DOUBLE_TEXT_SIZE, current);
    if (counter_store(c, &hash, text, (size_t)length) == 0) {
        reply_bulk(c->reply, text, (size_t)length);
    }

out:
    free(text);
    collection_close(&hash);
}

/*----------------------------------------------------------------------------
 * HRANDFIELD
 *--------------------------------------------------------------------------*/

/* What HRANDFIELD with a count was asked for. */
struct random_request {
    long long    count;        /* as given: negative allows repeats */
    unsigned int parts;        /* HASH_FIELDS or HASH_BOTH */
};

/* A uniformly drawn position below `size` (size > 0). */
static uint64_t
random_position(struct client *c, uint64_t size)
{
    return random_next(&c->server->random_state) % size;
}

/* Writes the element at `position`.  Returns 0 or -1. */
static int
write_element_at(struct collection *hash, uint64_t position,
                 unsigned int parts, struct evbuffer *out)
{
    struct btree_item item;

    if (btree_get_at(&hash->trees[HASH_TREE], position, &item) != 1) {
        return -1;
    }
    write_element(out, &item, parts);
    return 0;
}

/*
 * Most reply bytes a repeating HRANDFIELD may build: the node's output
 * buffer limit (a client over it is disconnected), or a fixed cap when
 * there is no limit.
 */
static long long
random_reply_cap(struct client *c)
{
    long long limit = c->server->settings.output_buffer_limit;

    return limit > 0 ? limit : RANDOM_REPLY_CAP;
}

/*
 * Replies that a repeating HRANDFIELD would outgrow the output limit.
 * Redis would try to build the reply anyway (and disconnect the client at
 * its limit, or run out of memory); an error keeps the connection, which
 * matters when it is a proxy's connection shared by many clients.
 */
static void
reply_error_random_too_big(struct client *c)
{
    reply_error_format(c->reply, "ERR HRANDFIELD count too large: the reply "
                       "would exceed client-output-buffer-limit (%lld bytes)",
                       random_reply_cap(c));
}

/*
 * A negative count (or 1): `count` elements drawn independently, so
 * repeats are possible.  Returns the elements written, -1 on a storage
 * error, -2 when the reply would outgrow the output limit.
 */
static long long
random_with_repeats(struct client *c, struct collection *hash,
                    unsigned long long count, unsigned int parts,
                    struct evbuffer *out)
{
    uint64_t size = collection_count(hash);
    long long cap = random_reply_cap(c);
    unsigned long long index;

    if (count > (unsigned long long)(cap / RANDOM_ELEMENT_MIN_BYTES)) {
        return -2;
    }
    for (index = 0; index < count; index++) {
        if (write_element_at(hash, random_position(c, size), parts, out) != 0) {
            return -1;
        }
        if ((long long)evbuffer_get_length(out) > cap) {
            return -2;
        }
    }
    return (long long)count;
}

/*
 * `count` distinct positions below `size` (count < size), by a partial
 * Fisher-Yates shuffle of all positions: for counts close to the size.
 * Returns a malloc'd array, or NULL when out of memory.
 */
static uint64_t *
distinct_by_shuffle(struct client *c, uint64_t size, uint64_t count)
{
    uint64_t *positions, index, other, swap;

    positions = malloc(size * sizeof(*positions));
    if (positions == NULL) {
        return NULL;
    }
    for (index = 0; index < size; index++) {
        positions[index] = index;
    }
    for (index = 0; index < count; index++) {
        other = index + random_position(c, size - index);
        swap = positions[index];
        positions[index] = positions[other];
        positions[other] = swap;
    }
    return positions;
}

/* Inserts `position` into an open-addressing set of `capacity` slots (a
 * power of two; slots hold position + 1, 0 is empty).  Returns 1 when it
 * was new, 0 when already there. */
static int
position_set_add(uint64_t *slots, uint64_t capacity, uint64_t position)
{
    uint64_t slot = (position * 0x9E3779B97F4A7C15ULL) & (capacity - 1);

    while (slots[slot] != 0) {
        if (slots[slot] == position + 1) {
            return 0;
        }
        slot = (slot + 1) & (capacity - 1);
    }
    slots[slot] = position + 1;
    return 1;
}

/*
 * `count` distinct positions below `size` (count much smaller than size),
 * drawn at random and deduplicated through a hash set.  Returns a malloc'd
 * array, or NULL when out of memory.
 */
static uint64_t *
distinct_by_drawing(struct client *c, uint64_t size, uint64_t count)
{
    uint64_t *positions, *slots, capacity = 16, found = 0, position;

    while (capacity < count * 2) {
        capacity *= 2;
    }
    positions = malloc(count * sizeof(*positions));
    slots = calloc(capacity, sizeof(*slots));
    if (positions == NULL || slots == NULL) {
        free(positions);
        free(slots);
        return NULL;
    }
    while (found < count) {
        position = random_position(c, size);
        if (position_set_add(slots, capacity, position)) {
            positions[found++] = position;
        }
    }
    free(slots);
    return positions;
}

/*
 * A positive count smaller than the hash: `count` distinct elements in
 * random order.  Returns the elements written, or -1 on a storage error
 * or when out of memory.
 */
static long long
random_distinct(struct client *c, struct collection *hash, uint64_t count,
                unsigned int parts, struct evbuffer *out)
{
    uint64_t size = collection_count(hash);
    uint64_t *positions, index;
    long long written = -1;

    if (count * RANDOM_SHUFFLE_FACTOR > size) {
        positions = distinct_by_shuffle(c, size, count);
    } else {
        positions = distinct_by_drawing(c, size, count);
    }
    if (positions == NULL) {
        return -1;
    }
    for (index = 0; index < count; index++) {
        if (write_element_at(hash, positions[index], parts, out) != 0) {
            goto out;
        }
    }
    written = (long long)count;

out:
    free(positions);
    return written;
}

/* Chooses the sampling for a count and writes the elements.  Returns the
 * elements written, -1 on failure, -2 when the reply is too big. */
static long long
random_elements(struct client *c, struct collection *hash,
                const struct random_request *request, struct evbuffer *out)
{
    uint64_t size = collection_count(hash);
    unsigned long long count;

    if (request->count < 0) {
        count = 0ULL - (unsigned long long)request->count;
        return random_with_repeats(c, hash, count, request->parts, out);
    }
    count = (unsigned long long)request->count;
    if (count == 1) {
        return random_with_repeats(c, hash, 1, request->parts, out);
    }
    if (count >= size) {
        return write_all_elements(hash, request->parts, out);
    }
    return random_distinct(c, hash, count, request->parts, out);
}

/* HRANDFIELD key count [WITHVALUES], once the arguments are valid. */
static void
hrandfield_with_count(struct client *c, const struct random_request *request)
{
    struct collection hash;
    struct evbuffer *elements = NULL;
    long long written;
    int found;

    found = hash_open(c, COLLECTION_READ, &hash);
    if (found == DB_ERROR) {
        goto out;
    }
    if (found == DB_NOT_FOUND || request->count == 0) {
        reply_array_header(c->reply, 0);
        goto out;
    }
    elements = evbuffer_new();
    if (elements == NULL) {
        reply_error(c->reply, "ERR out of memory");
        goto out;
    }
    written = random_elements(c, &hash, request, elements);
    if (written == -2) {
        reply_error_random_too_big(c);
        goto out;
    }
    if (written < 0) {
        reply_error_storage(c);
        goto out;
    }
    reply_array_header(c->reply, written * parts_per_element(request->parts));
    evbuffer_add_buffer(c->reply, elements);

out:
    if (elements != NULL) {
        evbuffer_free(elements);
    }
    collection_close(&hash);
}

/*
 * Parses HRANDFIELD's count and WITHVALUES in Redis's order: the count
 * must be an integer in [-LONG_MAX, LONG_MAX], then the options must be
 * exactly WITHVALUES, and with WITHVALUES the count must stay within half
 * of that range (its reply doubles it).  Replies and returns -1 on error.
 */
static int
parse_random_request(struct client *c, struct random_request *request)
{
    if (!string_to_long_long(c->argv[2], c->argv_length[2], &request->count)) {
        reply_error_not_integer(c->reply);
        return -1;
    }
    if (request->count < -LLONG_MAX) {
        reply_error_format(c->reply, "ERR value is out of range, value must "
                           "between %lld and %lld", -LLONG_MAX, LLONG_MAX);
        return -1;
    }
    request->parts = HASH_FIELDS;
    if (c->argc > 4 ||
        (c->argc == 4 &&
         !argument_is(c, 3, "withvalues"))) {
        reply_error_syntax(c->reply);
        return -1;
    }
    if (c->argc == 4) {
        request->parts = HASH_BOTH;
        if (request->count < -LLONG_MAX / 2 || request->count > LLONG_MAX / 2) {
            reply_error(c->reply, "ERR value is out of range");
            return -1;
        }
    }
    return 0;
}

/* HRANDFIELD key: one random field, nil for a missing key. */
static void
hrandfield_one(struct client *c)
{
    struct collection hash;
    struct btree_item item;
    int found;

    found = hash_open(c, COLLECTION_READ, &hash);
    if (found == DB_ERROR) {
        goto out;
    }
    if (found == DB_NOT_FOUND) {
        reply_null(c->reply);
        goto out;
    }
    if (btree_get_at(&hash.trees[HASH_TREE],
                     random_position(c, collection_count(&hash)), &item) != 1) {
        reply_error_storage(c);
        goto out;
    }
    write_element(c->reply, &item, HASH_FIELDS);

out:
    collection_close(&hash);
}

void
command_HRANDFIELD(struct client *c)
{
    struct random_request request;

    if (c->argc < 3) {
        hrandfield_one(c);
        return;
    }
    if (parse_random_request(c, &request) == 0) {
        hrandfield_with_count(c, &request);
    }
}
