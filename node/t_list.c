/*
 * t_list.c — the list commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN
 * LRANGE LINDEX LSET LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP, and the
 * blocking forms (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP), which herd refuses
 * with a clear error for now.
 *
 * A list is a collection (node/collection.h) with one BTREE_BY_POSITION
 * tree: elements are values addressed by position, so pushes, pops,
 * LINDEX and LSET cost O(height) page reads whatever the list's length.
 * Walks (LRANGE, LPOS, LREM, LINSERT) seek once and step a cursor.
 *
 * Replies and errors are Redis 7.0's, checked in Redis's order (which
 * argument is validated first decides which error a client sees).  A reply
 * of several elements is built in a scratch buffer first, so a storage
 * failure half-way replies one error instead of a truncated array; a pop
 * replies only once the list has been stored.
 */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
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
#include "shared/reply.h"

/* The ends of a list, as LEFT / RIGHT and BEFORE / AFTER name them. */
enum list_end {
    LIST_HEAD,   /* LEFT: position 0 */
    LIST_TAIL    /* RIGHT: position count - 1 */
};

/* Longest command name reply_error_blocking() prints. */
#define BLOCKING_NAME_MAX 32

/* Redis's error texts for counts that must not be negative. */
static const char error_must_be_positive[] =
    "ERR value is out of range, must be positive";
static const char error_rank_zero[] =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from "
    "the second ... or use negative to start from the end of the list";

/* What LPOS was asked (RANK, COUNT, MAXLEN). */
struct lpos_options {
    long long rank;        /* 1-based match to start from; < 0: from the tail */
    long long count;       /* -1: no COUNT option (reply one index or nil) */
    long long maxlen;      /* elements to compare at most; 0: all */
    int       backward;    /* walk from the tail */
};

/*----------------------------------------------------------------------------
 * Helpers: arguments
 *--------------------------------------------------------------------------*/

/* Parses LEFT / RIGHT at argument `index`; replies a syntax error if not. */
static int
argument_end(struct client *c, int index, enum list_end *end)
{
    if (argument_is(c, index, "left")) {
        *end = LIST_HEAD;
    } else if (argument_is(c, index, "right")) {
        *end = LIST_TAIL;
    } else {
        reply_error_syntax(c->reply);
        return -1;
    }
    return 0;
}

/*----------------------------------------------------------------------------
 * Helpers: the list and its tree
 *--------------------------------------------------------------------------*/

/*
 * Opens the key at argument `index` as a list (collection_open flags).
 * Returns DB_FOUND or DB_NOT_FOUND; when the key holds another type or
 * storage fails, replies the error and returns DB_ERROR.  The caller
 * closes `list` whatever the result.
 */
static int
list_open(struct client *c, int index, int flags, struct collection *list)
{
    return open_collection_argument(c, index, RECORD_LIST, flags, list);
}

static struct btree *
list_tree(struct collection *list)
{
    return &list->trees[0];
}

static uint64_t
list_length(struct collection *list)
{
    return btree_count(list_tree(list));
}

/* 1 when a tree item holds exactly `element`. */
static int
item_is(const struct btree_item *item, const char *element, size_t length)
{
    return item->value_length == length &&
           memcmp(item->value, element, length) == 0;
}

/* Inserts an element at one end. */
static int
list_push(struct btree *tree, enum list_end end, const void *element,
          size_t length)
{
    uint64_t position = (end == LIST_HEAD) ? 0 : btree_count(tree);

    return btree_insert_at(tree, position, element, length) < 0 ? -1 : 0;
}

/* Removes `count` elements from one end (all of them: the tree is cleared,
 * which also drops its stored pages).  Returns 0 or -1. */
static int
list_remove_at_end(struct btree *tree, enum list_end end, uint64_t count)
{
    uint64_t length = btree_count(tree);
    uint64_t removed;

    if (count >= length) {
        return btree_clear(tree) == 0 ? 0 : -1;
    }
    for (removed = 0; removed < count; removed++) {
        uint64_t position = (end == LIST_HEAD) ? 0 : length - 1 - removed;

        if (btree_remove_at(tree, position) != 1) {
            return -1;
        }
    }
    return 0;
}

/*
 * Turns Redis's start / end indexes (negative ones count from the tail)
 * into the first position and the number of elements of the range, for a
 * list of `length` elements.  Returns 0 when the range is empty (start
 * past the end or after end), as LRANGE and LTRIM define it.
 */
static int
list_range(long long start, long long end, uint64_t length, uint64_t *first,
           uint64_t *count)
{
    long long elements = (long long)length;

    if (start < 0) {
        start += elements;
    }
    if (end < 0) {
        end += elements;
    }
    if (start < 0) {
        start = 0;
    }
    if (start > end || start >= elements) {
        return 0;
    }
    if (end >= elements) {
        end = elements - 1;
    }
    *first = (uint64_t)start;
    *count = (uint64_t)(end - start) + 1;
    return 1;
}

/* The position of Redis index `index` (negative: from the tail); 0 when
 * it is outside a list of `length` elements. */
static int
list_position(long long index, uint64_t length, uint64_t *position)
{
    long long elements = (long long)length;

    if (index < 0) {
        index += elements;
    }
    if (index < 0 || index >= elements) {
        return 0;
    }
    *position = (uint64_t)index;
    return 1;
}

/*
 * Appends `count` elements to `out` as bulk strings, starting at position
 * `first` and walking toward the tail, or toward the head when
 * `backward`.  Seeks once, then steps.  Returns 0 or -1 (storage).
 */
static int
write_elements(struct btree *tree, uint64_t first, uint64_t count,
               int backward, struct evbuffer *out)
{
    struct btree_cursor cursor;
    struct btree_item item;
    uint64_t written;
    int result;

    if (count == 0) {
        return 0;
    }
    result = btree_seek_position(tree, first, &cursor);
    for (written = 0; written < count; written++) {
        if (result != 1 || btree_cursor_item(&cursor, &item) != 1) {
            return -1;
        }
        reply_bulk(out, item.value, item.value_length);
        if (written + 1 < count) {
            result = backward ? btree_cursor_prev(&cursor)
                              : btree_cursor_next(&cursor);
        }
    }
    return 0;
}

/*
 * Pops up to `count` elements from one end of a non-empty list and stores
 * it.  The elements go to `out` as bulk strings in pop order, their
 * number to *popped.  On failure replies the error and returns -1 (then
 * nothing was stored, and `out` must not be sent).
 */
static int
list_pop(struct client *c, struct collection *list, enum list_end end,
         uint64_t count, struct evbuffer *out, uint64_t *popped)
{
    struct btree *tree = list_tree(list);
    uint64_t length = btree_count(tree);
    int backward = (end == LIST_TAIL);

    if (count > length) {
        count = length;
    }
    if (write_elements(tree, backward ? length - 1 : 0, count, backward,
                       out) != 0 ||
        list_remove_at_end(tree, end, count) != 0) {
        reply_error_storage(c);
        return -1;
    }
    if (save_collection(c, list) != 0) {
        return -1;
    }
    *popped = count;
    return 0;
}

/* A scratch buffer for a reply; replies out-of-memory when none. */
static struct evbuffer *
scratch_buffer(struct client *c)
{
    struct evbuffer *buffer = evbuffer_new();

    if (buffer == NULL) {
        reply_error_out_of_memory(c);
    }
    return buffer;
}

/* Sends an array of `count` elements already written to `elements`. */
static void
reply_array_from(struct client *c, uint64_t count, struct evbuffer *elements)
{
    reply_array_header(c->reply, (long long)count);
    evbuffer_add_buffer(c->reply, elements);
}

/*----------------------------------------------------------------------------
 * LPUSH RPUSH LPUSHX RPUSHX
 *--------------------------------------------------------------------------*/

/*
 * Pushes argv[2..] one at a time at `end` of the list at argv[1] (so
 * LPUSH a b c leaves c first) and replies the new length.  With
 * `only_existing` (the X forms) a missing key is left alone: reply 0.
 */
static void
push_command(struct client *c, enum list_end end, int only_existing)
{
    struct collection list;
    int flags = only_existing ? COLLECTION_WRITE : COLLECTION_CREATE;
    int found, index;

    found = list_open(c, 1, flags, &list);
    if (found == DB_ERROR) {
        goto out;
    }
    if (found == DB_NOT_FOUND && only_existing) {
        reply_integer(c->reply, 0);
        goto out;
    }
    for (index = 2; index < c->argc; index++) {
        if (list_push(list_tree(&list), end, c->argv[index],
                      c->argv_length[index]) != 0) {
            reply_error_storage(c);
            goto out;
        }
    }
    if (save_collection(c, &list) != 0) {
        goto out;
    }
    reply_integer(c->reply, (long long)list_length(&list));

out:
    collection_close(&list);
}

void
command_LPUSH(struct client *c)
{
    push_command(c, LIST_HEAD, 0);
}

void
command_RPUSH(struct client *c)
{
    push_command(c, LIST_TAIL, 0);
}

void
command_LPUSHX(struct client *c)
{
    push_command(c, LIST_HEAD, 1);
}

void
command_RPUSHX(struct client *c)
{
    push_command(c, LIST_TAIL, 1);
}

/*----------------------------------------------------------------------------
 * LPOP RPOP
 *--------------------------------------------------------------------------*/

/*
 * LPOP / RPOP key [count].  Without a count: one bulk element, nil when
 * the key is missing.  With a count (checked first): an array (RPOP's in
 * pop order, last element first), a nil array when the key is missing and
 * an empty array for count 0.
 */
static void
pop_command(struct client *c, enum list_end end)
{
    struct collection list;
    struct evbuffer *elements = NULL;
    int with_count = (c->argc == 3);
    long long count = 1;
    uint64_t popped;
    int found;

    if (c->argc > 3) {
        reply_error_arity(c->reply, c->command->name);
        return;
    }
    if (with_count &&
        argument_in_range(c, 2, 0, LLONG_MAX, error_must_be_positive,
                          &count) != 0) {
        return;
    }
    found = list_open(c, 1, COLLECTION_WRITE, &list);
    if (found == DB_ERROR) {
        goto out;
    }
    if (found == DB_NOT_FOUND) {
        if (with_count) {
            reply_null_array(c->reply);
        } else {
            reply_null(c->reply);
        }
        goto out;
    }
    if (count == 0) {
        reply_array_header(c->reply, 0);
        goto out;
    }
    elements = scratch_buffer(c);
    if (elements == NULL ||
        list_pop(c, &list, end, (uint64_t)count, elements, &popped) != 0) {
        goto out;
    }
    if (with_count) {
        reply_array_header(c->reply, (long long)popped);
    }
    evbuffer_add_buffer(c->reply, elements);

out:
    if (elements != NULL) {
        evbuffer_free(elements);
    }
    collection_close(&list);
}

void
command_LPOP(struct client *c)
{
    pop_command(c, LIST_HEAD);
}

void
command_RPOP(struct client *c)
{
    pop_command(c, LIST_TAIL);
}

/*----------------------------------------------------------------------------
 * LLEN LINDEX LRANGE
 *--------------------------------------------------------------------------*/

void
command_LLEN(struct client *c)
{
    struct collection list;
    int found = list_open(c, 1, COLLECTION_READ, &list);

    if (found == DB_FOUND) {
        reply_integer(c->reply, (long long)list_length(&list));
    } else if (found == DB_NOT_FOUND) {
        reply_integer(c->reply, 0);
    }
    collection_close(&list);
}

/* LINDEX key index: the key is looked up before the index is parsed, so a
 * missing key answers nil whatever the index. */
void
command_LINDEX(struct client *c)
{
    struct collection list;
    struct btree_item item;
    long long index;
    uint64_t position;
    int found, result;

    found = list_open(c, 1, COLLECTION_READ, &list);
    if (found == DB_ERROR) {
        goto out;
    }
    if (found == DB_NOT_FOUND) {
        reply_null(c->reply);
        goto out;
    }
    if (argument_long_long(c, 2, &index) != 0) {
        goto out;
    }
    if (!list_position(index, list_length(&list), &position)) {
        reply_null(c->reply);
        goto out;
    }
    result = btree_get_at(list_tree(&list), position, &item);
    if (result != 1) {
        reply_error_storage(c);
        goto out;
    }
    reply_bulk(c->reply, item.value, item.value_length);

out:
    collection_close(&list);
}

/* LRANGE key start stop: both indexes are parsed before the lookup. */
void
command_LRANGE(struct client *c)
{
    struct collection list;
    struct evbuffer *elements = NULL;
    long long start, end;
    uint64_t first, count;
    int found;

    if (argument_long_long(c, 2, &start) != 0 ||
        argument_long_long(c, 3, &end) != 0) {
        return;
    }
    found = list_open(c, 1, COLLECTION_READ, &list);
    if (found == DB_ERROR) {
        goto out;
    }
    if (found == DB_NOT_FOUND ||
        !list_range(start, end, list_length(&list), &first, &count)) {
        reply_array_header(c->reply, 0);
        goto out;
    }
    elements = scratch_buffer(c);
    if (elements == NULL) {
        goto out;
    }
    if (write_elements(list_tree(&list), first, count, 0, elements) != 0) {
        reply_error_storage(c);
        goto out;
    }
    reply_array_from(c, count, elements);

out:
    if (elements != NULL) {
        evbuffer_free(elements);
    }
    collection_close(&list);
}

/*----------------------------------------------------------------------------
 * LSET LTRIM
 *--------------------------------------------------------------------------*/

/* LSET key index element: "no such key" before the index is parsed. */
void
command_LSET(struct client *c)
{
    struct collection list;
    long long index;
    uint64_t position;
    int found;

    found = list_open(c, 1, COLLECTION_WRITE, &list);
    if (found == DB_ERROR) {
        goto out;
    }
    if (found == DB_NOT_FOUND) {
        reply_error(c->reply, "ERR no such key");
        goto out;
    }
    if (argument_long_long(c, 2, &index) != 0) {
        goto out;
    }
    if (!list_position(index, list_length(&list), &position)) {
        reply_error(c->reply, "ERR index out of range");
        goto out;
    }
    if (btree_replace_at(list_tree(&list), position, c->argv[3],
                         c->argv_length[3]) != 1) {
        reply_error_storage(c);
        goto out;
    }
    if (save_collection(c, &list) != 0) {
        goto out;
    }
    reply_ok(c->reply);

out:
    collection_close(&list);
}

/*
 * LTRIM key start stop: keeps the LRANGE of start..stop.  The elements
 * outside it are removed from both ends (an empty range clears the list,
 * which deletes the key); a list left as it was is not rewritten.
 */
void
command_LTRIM(struct client *c)
{
    struct collection list;
    long long start, end;
    uint64_t length, first = 0, count = 0;
    int found;

    if (argument_long_long(c, 2, &start) != 0 ||
        argument_long_long(c, 3, &end) != 0) {
        return;
    }
    found = list_open(c, 1, COLLECTION_WRITE, &list);
    if (found == DB_ERROR) {
        goto out;
    }
    if (found == DB_NOT_FOUND) {
        reply_ok(c->reply);
        goto out;
    }
    length = list_length(&list);
    if (!list_range(start, end, length, &first, &count)) {
        first = 0;
        count = 0;
    }
    if (count == length) {
        reply_ok(c->reply);
        goto out;
    }
    if (list_remove_at_end(list_tree(&list), LIST_TAIL,
                           length - first - count) != 0 ||
        list_remove_at_end(list_tree(&list), LIST_HEAD, first) != 0) {
        reply_error_storage(c);
        goto out;
    }
    if (save_collection(c, &list) != 0) {
        goto out;
    }
    reply_ok(c->reply);

out:
    collection_close(&list);
}

/*----------------------------------------------------------------------------
 * LINSERT LREM
 *--------------------------------------------------------------------------*/

/*
 * Finds the first element equal to `element`, from the head.  Returns 1
 * with its position, 0 when absent, -1 on a storage failure.
 */
static int
find_first(struct btree *tree, const char *element, size_t length,
           uint64_t *position)
{
    struct btree_cursor cursor;
    struct btree_item item;
    uint64_t current = 0;
    int result = btree_seek_position(tree, 0, &cursor);

    while (result == 1) {
        if (btree_cursor_item(&cursor, &item) != 1) {
            return -1;
        }
        if (item_is(&item, element, length)) {
            *position = current;
            return 1;
        }
        result = btree_cursor_next(&cursor);
        current++;
    }
    return result;
}

/*
 * LINSERT key BEFORE|AFTER pivot element: the new length, -1 when the
 * pivot is not in the list, 0 when the key is missing.  The keyword is
 * checked before the key.
 */
void
command_LINSERT(struct client *c)
{
    struct collection list;
    uint64_t position = 0;
    int after, found;

    if (argument_is(c, 2, "after")) {
        after = 1;
    } else if (argument_is(c, 2, "before")) {
        after = 0;
    } else {
        reply_error_syntax(c->reply);
        return;
    }
    found = list_open(c, 1, COLLECTION_WRITE, &list);
    if (found == DB_ERROR) {
        goto out;
    }
    if (found == DB_NOT_FOUND) {
        reply_integer(c->reply, 0);
        goto out;
    }
    found = find_first(list_tree(&list), c->argv[3], c->argv_length[3],
                       &position);
    if (found == 0) {
        reply_integer(c->reply, -1);
        goto out;
    }
    if (found < 0 ||
        btree_insert_at(list_tree(&list), position + (uint64_t)after,
                        c->argv[4], c->argv_length[4]) < 0) {
        reply_error_storage(c);
        goto out;
    }
    if (save_collection(c, &list) != 0) {
        goto out;
    }
    reply_integer(c->reply, (long long)list_length(&list));

out:
    collection_close(&list);
}

/*
 * Removes elements equal to `element` walking from the head, up to
 * `limit` of them (0: all).  After a removal the cursor is re-seeked at
 * the same position (removal invalidates it).  Adds to *removed; returns
 * 0 or -1.
 */
static int
remove_forward(struct btree *tree, const char *element, size_t length,
               uint64_t limit, uint64_t *removed)
{
    struct btree_cursor cursor;
    struct btree_item item;
    uint64_t position = 0;
    int result = btree_seek_position(tree, 0, &cursor);

    while (result == 1) {
        if (btree_cursor_item(&cursor, &item) != 1) {
            return -1;
        }
        if (!item_is(&item, element, length)) {
            result = btree_cursor_next(&cursor);
            position++;
            continue;
        }
        if (btree_remove_at(tree, position) != 1) {
            return -1;
        }
        if (++*removed == limit) {
            return 0;
        }
        result = btree_seek_position(tree, position, &cursor);
    }
    return result;
}

/* The same, walking from the tail. */
static int
remove_backward(struct btree *tree, const char *element, size_t length,
                uint64_t limit, uint64_t *removed)
{
    struct btree_cursor cursor;
    struct btree_item item;
    uint64_t position = btree_count(tree);
    int result;

    if (position == 0) {
        return 0;
    }
    position--;
    result = btree_seek_position(tree, position, &cursor);
    while (result == 1) {
        if (btree_cursor_item(&cursor, &item) != 1) {
            return -1;
        }
        if (!item_is(&item, element, length)) {
            result = btree_cursor_prev(&cursor);
            position--;
            continue;
        }
        if (btree_remove_at(tree, position) != 1) {
            return -1;
        }
        if (++*removed == limit || position == 0) {
            return 0;
        }
        position--;
        result = btree_seek_position(tree, position, &cursor);
    }
    return result;
}

/*
 * LREM key count element: count > 0 removes the first `count` matches,
 * count < 0 the last ones, 0 all.  Like Redis, a count of LLONG_MIN
 * (whose negation does not exist) removes every match from the tail.
 */
void
command_LREM(struct client *c)
{
    struct collection list;
    long long count;
    uint64_t limit, removed = 0;
    int found, result;

    if (argument_long_long(c, 2, &count) != 0) {
        return;
    }
    found = list_open(c, 1, COLLECTION_WRITE, &list);
    if (found == DB_ERROR) {
        goto out;
    }
    if (found == DB_NOT_FOUND) {
        reply_integer(c->reply, 0);
        goto out;
    }
    if (count >= 0) {
        result = remove_forward(list_tree(&list), c->argv[3], c->argv_length[3],
                                (uint64_t)count, &removed);
    } else {
        limit = (count == LLONG_MIN) ? 0 : (uint64_t)-count;
        result = remove_backward(list_tree(&list), c->argv[3],
                                 c->argv_length[3], limit, &removed);
    }
    if (result < 0) {
        reply_error_storage(c);
        goto out;
    }
    if (removed > 0 && save_collection(c, &list) != 0) {
        goto out;
    }
    reply_integer(c->reply, (long long)removed);

out:
    collection_close(&list);
}

/*----------------------------------------------------------------------------
 * LPOS
 *--------------------------------------------------------------------------*/

/*
 * Parses LPOS's options (argv[3..]) in Redis's order and with its error
 * texts; replies and returns -1 on an error.  RANK LLONG_MIN behaves as
 * in Redis 7.0, whose negation of it wraps: every match from the tail
 * qualifies and COUNT never stops the walk (MAXLEN still does).
 */
static int
parse_lpos_options(struct client *c, struct lpos_options *options)
{
    int index;

    options->rank = 1;
    options->count = -1;
    options->maxlen = 0;
    for (index = 3; index < c->argc; index++) {
        int has_value = index + 1 < c->argc;

        if (argument_is(c, index, "rank") && has_value) {
            if (argument_long_long(c, ++index, &options->rank) != 0) {
                return -1;
            }
            if (options->rank == 0) {
                reply_error(c->reply, error_rank_zero);
                return -1;
            }
        } else if (argument_is(c, index, "count") && has_value) {
            if (argument_in_range(c, ++index, 0, LLONG_MAX,
                                  "ERR COUNT can't be negative",
                                  &options->count) != 0) {
                return -1;
            }
        } else if (argument_is(c, index, "maxlen") && has_value) {
            if (argument_in_range(c, ++index, 0, LLONG_MAX,
                                  "ERR MAXLEN can't be negative",
                                  &options->maxlen) != 0) {
                return -1;
            }
        } else {
            reply_error_syntax(c->reply);
            return -1;
        }
    }
    options->backward = options->rank < 0;
    if (options->rank == LLONG_MIN) {
        options->rank = 1;
        if (options->count > 0) {
            options->count = 0;
        }
    } else if (options->rank < 0) {
        options->rank = -options->rank;
    }
    return 0;
}

/*
 * Walks the list for LPOS.  Writes each qualifying index to `out` as an
 * integer reply (with COUNT) or stores the first in *found_index.  Returns
 * the number of indexes found, or -1 on a storage failure.
 */
static long long
lpos_walk(struct btree *tree, const char *element, size_t length,
          const struct lpos_options *options, struct evbuffer *out,
          long long *found_index)
{
    struct btree_cursor cursor;
    struct btree_item item;
    uint64_t list_length = btree_count(tree);
    uint64_t walked = 0, position;
    long long matches = 0, found = 0;
    int result;

    position = options->backward ? list_length - 1 : 0;
    result = btree_seek_position(tree, position, &cursor);
    while (result == 1 &&
           (options->maxlen == 0 || walked < (uint64_t)options->maxlen)) {
        if (btree_cursor_item(&cursor, &item) != 1) {
            return -1;
        }
        if (item_is(&item, element, length) && ++matches >= options->rank) {
            found++;
            if (options->count < 0) {
                *found_index = (long long)position;
                return found;
            }
            reply_integer(out, (long long)position);
            if (options->count > 0 && found >= options->count) {
                return found;
            }
        }
        walked++;
        if (options->backward) {
            result = btree_cursor_prev(&cursor);
            position--;
        } else {
            result = btree_cursor_next(&cursor);
            position++;
        }
    }
    return result < 0 ? -1 : found;
}

/*
 * LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: the
 * index of a match (nil when none), or with COUNT an array of indexes
 * (COUNT 0: every match).  Options are checked before the key.
 */
void
command_LPOS(struct client *c)
{
    struct lpos_options options;
    struct collection list;
    struct evbuffer *indexes = NULL;
    long long found, found_index = 0;
    int result;

    if (parse_lpos_options(c, &options) != 0) {
        return;
    }
    result = list_open(c, 1, COLLECTION_READ, &list);
    if (result == DB_ERROR) {
        goto out;
    }
    if (result == DB_NOT_FOUND) {
        if (options.count >= 0) {
            reply_array_header(c->reply, 0);
        } else {
            reply_null(c->reply);
        }
        goto out;
    }
    indexes = scratch_buffer(c);
    if (indexes == NULL) {
        goto out;
    }
    found = lpos_walk(list_tree(&list), c->argv[2], c->argv_length[2], &options,
                      indexes, &found_index);
    if (found < 0) {
        reply_error_storage(c);
    } else if (options.count >= 0) {
        reply_array_from(c, (uint64_t)found, indexes);
    } else if (found > 0) {
        reply_integer(c->reply, found_index);
    } else {
        reply_null(c->reply);
    }

out:
    if (indexes != NULL) {
        evbuffer_free(indexes);
    }
    collection_close(&list);
}

/*----------------------------------------------------------------------------
 * LMOVE RPOPLPUSH
 *--------------------------------------------------------------------------*/

/*
 * Moves the element at `from` of `source` to `to` of `destination` (which
 * may be the same handle: then the list rotates).  The element is copied
 * out first, since items point into pages the removal may change.  Stores
 * *element (malloc'd) for the reply.  Returns 0 or -1 (storage; nothing
 * replied).
 */
static int
move_element(struct collection *source, enum list_end from,
             struct collection *destination, enum list_end to,
             char **element, size_t *length)
{
    struct btree *tree = list_tree(source);
    struct btree_item item;
    uint64_t position = (from == LIST_HEAD) ? 0 : btree_count(tree) - 1;

    if (btree_get_at(tree, position, &item) != 1) {
        return -1;
    }
    *length = item.value_length;
    *element = malloc(item.value_length > 0 ? item.value_length : 1);
    if (*element == NULL) {
        return -1;
    }
    memcpy(*element, item.value, item.value_length);
    if (btree_remove_at(tree, position) != 1) {
        return -1;
    }
    return list_push(list_tree(destination), to, *element, *length);
}

/*
 * LMOVE / RPOPLPUSH source destination: nil when the source is missing
 * (the destination is not even looked at); WRONGTYPE for either key
 * before anything changes.  The same key on both sides uses one handle.
 */
static void
move_command(struct client *c, enum list_end from, enum list_end to)
{
    struct collection source, destination;
    struct collection *target = &source;
    int destination_open = 0;
    char *element = NULL;
    size_t length = 0;
    int found;

    found = list_open(c, 1, COLLECTION_WRITE, &source);
    if (found == DB_ERROR) {
        goto out;
    }
    if (found == DB_NOT_FOUND) {
        reply_null(c->reply);
        goto out;
    }
    if (!same_argument(c, 1, 2)) {
        destination_open = 1;
        target = &destination;
        if (list_open(c, 2, COLLECTION_CREATE, &destination) == DB_ERROR) {
            goto out;
        }
    }
    if (move_element(&source, from, target, to, &element, &length) != 0) {
        reply_error_storage(c);
        goto out;
    }
    if (save_collection(c, &source) != 0 ||
        (target != &source && save_collection(c, target) != 0)) {
        goto out;
    }
    reply_bulk(c->reply, element, length);

out:
    free(element);
    if (destination_open) {
        collection_close(&destination);
    }
    collection_close(&source);
}

void
command_LMOVE(struct client *c)
{
    enum list_end from, to;

    if (argument_end(c, 3, &from) != 0 || argument_end(c, 4, &to) != 0) {
        return;
    }
    move_command(c, from, to);
}

void
command_RPOPLPUSH(struct client *c)
{
    move_command(c, LIST_TAIL, LIST_HEAD);
}

/*----------------------------------------------------------------------------
 * LMPOP
 *--------------------------------------------------------------------------*/

/*
 * Parses LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] in Redis's
 * order.  Stores the index of LEFT|RIGHT in *end_index (the keys are
 * argv[2..*end_index - 1]).  Replies and returns -1 on an error.
 */
static int
parse_lmpop(struct client *c, int *end_index, enum list_end *end,
            long long *count)
{
    long long numkeys;
    int index;

    if (argument_in_range(c, 1, 1, LLONG_MAX,
                          "ERR numkeys should be greater than 0",
                          &numkeys) != 0) {
        return -1;
    }
    if (numkeys > c->argc - 3) {
        reply_error_syntax(c->reply);
        return -1;
    }
    *end_index = 2 + (int)numkeys;
    if (argument_end(c, *end_index, end) != 0) {
        return -1;
    }
    *count = -1;
    for (index = *end_index + 1; index < c->argc; index++) {
        if (*count == -1 && argument_is(c, index, "count") &&
            index + 1 < c->argc) {
            if (argument_in_range(c, ++index, 1, LLONG_MAX,
                                  "ERR count should be greater than 0",
                                  count) != 0) {
                return -1;
            }
        } else {
            reply_error_syntax(c->reply);
            return -1;
        }
    }
    if (*count == -1) {
        *count = 1;
    }
    return 0;
}

/*
 * Pops from the list at argument `index` for LMPOP.  Returns 1 when it
 * replied (elements or an error), 0 when the key is missing (try the
 * next one).
 */
static int
lmpop_key(struct client *c, int index, enum list_end end, long long count)
{
    struct collection list;
    struct evbuffer *elements = NULL;
    uint64_t popped;
    int found;

    found = list_open(c, index, COLLECTION_WRITE, &list);
    if (found == DB_NOT_FOUND) {
        collection_close(&list);
        return 0;
    }
    if (found == DB_ERROR) {
        goto out;
    }
    elements = scratch_buffer(c);
    if (elements == NULL ||
        list_pop(c, &list, end, (uint64_t)count, elements, &popped) != 0) {
        goto out;
    }
    reply_array_header(c->reply, 2);
    reply_bulk(c->reply, c->argv[index], c->argv_length[index]);
    reply_array_from(c, popped, elements);

out:
    if (elements != NULL) {
        evbuffer_free(elements);
    }
    collection_close(&list);
    return 1;
}

/* LMPOP: pops from the first non-empty list of the keys; replies
 * [key, [elements]], or a nil array when every list is empty. */
void
command_LMPOP(struct client *c)
{
    enum list_end end;
    long long count;
    int end_index, index;

    if (parse_lmpop(c, &end_index, &end, &count) != 0) {
        return;
    }
    for (index = 2; index < end_index; index++) {
        if (lmpop_key(c, index, end, count)) {
            return;
        }
    }
    reply_null_array(c->reply);
}

/*----------------------------------------------------------------------------
 * Blocking commands (not supported yet)
 *--------------------------------------------------------------------------*/

void
reply_error_blocking(struct client *c)
{
    char name[BLOCKING_NAME_MAX + 1];
    const char *source = (c->command != NULL) ? c->command->name : "";
    size_t length;

    for (length = 0; source[length] != '\0' && length < BLOCKING_NAME_MAX;
         length++) {
        name[length] = (char)toupper((unsigned char)source[length]);
    }
    name[length] = '\0';
    reply_error_format(c->reply, "ERR herd does not support blocking commands "
                       "yet (%s); use the non-blocking form and poll", name);
}

void
command_BLPOP(struct client *c)
{
    reply_error_blocking(c);
}

void
command_BRPOP(struct client *c)
{
    reply_error_blocking(c);
}

void
command_BLMOVE(struct client *c)
{
    reply_error_blocking(c);
}

void
command_BRPOPLPUSH(struct client *c)
{
    reply_error_blocking(c);
}

void
command_BLMPOP(struct client *c)
{
    reply_error_blocking(c);
}
