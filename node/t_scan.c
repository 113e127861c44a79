/*
 * t_scan.c — HSCAN, SSCAN and ZSCAN: one step of an iteration over the
 * elements of a hash, a set or a sorted set.
 *
 * The three share one implementation over collection_scan(): the tree of
 * member keys is in hash order, so the cursor is the 64-bit member hash to
 * resume at and Redis's SCAN guarantee holds (an element present for the
 * whole iteration is returned at least once).  A collection small enough
 * to be one record is returned whole with cursor 0.
 *
 * Redis 7.0 also answers in one step, with cursor 0 and whatever the
 * cursor and COUNT, for a collection it keeps in a compact encoding (with
 * its default thresholds: a hash or sorted set of at most 128 elements of
 * at most 64 bytes, a set of at most 512 integers), and ZSCAN of such a
 * sorted set writes the scores as its listpack stores them (integral
 * scores as integers).  herd looks at the collection the same way, so a
 * small collection scans exactly as in Redis, whatever its page layout.
 * (Redis never converts a collection back to a compact encoding once it
 * outgrew it; herd decides on the current content only.)
 *
 * The checks run in Redis 7.0's order: the cursor, then the key (a missing
 * key answers an empty scan before the options are even read), then its
 * type, then the options (COUNT must be an integer >= 1, MATCH takes a
 * glob pattern, anything else — TYPE included — is a syntax error).
 *
 * Replies: [cursor, elements] where elements are
 *   HSCAN  field, value, field, value ...
 *   SSCAN  member, member ...
 *   ZSCAN  member, score, ... with the score as Redis writes a double
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
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
#include "shared/glob.h"
#include "shared/number.h"
#include "shared/reply.h"

#define SCAN_DEFAULT_COUNT 10

/* Redis 7.0's default limits of its compact encodings. */
#define COMPACT_MAX_ENTRIES      128  /* hash-/zset-max-listpack-entries */
#define COMPACT_MAX_BYTES        64   /* hash-/zset-max-listpack-value */
#define COMPACT_MAX_SET_INTEGERS 512  /* set-max-intset-entries */

/* The listpack prints an integral score as an integer within this range. */
#define COMPACT_SCORE_INTEGER_MAX ((double)(LLONG_MAX / 2))

/* What one scan step was asked for. */
struct scan_options {
    long        count;            /* elements to visit at least */
    const char *pattern;          /* MATCH; NULL: every element */
    size_t      pattern_length;
};

/* The state of one step while the visitor runs. */
struct scan_step {
    int                        type;      /* RECORD_HASH, RECORD_SET or RECORD_ZSET */
    const struct scan_options *options;
    struct evbuffer           *out;       /* the elements' replies */
    long long                  replies;   /* bulk replies written to out */
    int                        compact;   /* Redis would use a compact encoding */
};

/*
 * Parses a cursor as Redis does with strtoul(): the text up to its first
 * NUL, optional sign ("-1" wraps around to the largest cursor), decimal
 * digits only, no leading blank, no overflow; an empty cursor is 0.
 * Replies "invalid cursor" and returns -1 otherwise.
 */
static int
parse_cursor(struct client *c, uint64_t *cursor)
{
    const char *argument = c->argv[2];
    size_t length = c->argv_length[2];
    unsigned long long value;
    char *text, *end;
    int valid;

    text = malloc(length + 1);
    if (text == NULL) {
        reply_error(c->reply, "ERR out of memory");
        return -1;
    }
    memcpy(text, argument, length);
    text[length] = '\0';
    errno = 0;
    value = strtoull(text, &end, 10);
    valid = !isspace((unsigned char)text[0]) && *end == '\0' && errno != ERANGE;
    free(text);
    if (!valid) {
        reply_error(c->reply, "ERR invalid cursor");
        return -1;
    }
    *cursor = value;
    return 0;
}

/* Parses COUNT n and MATCH pattern from argv[3] on; replies and returns
 * -1 on an error. */
static int
parse_scan_options(struct client *c, struct scan_options *options)
{
    long long count;
    int index = 3;

    options->count = SCAN_DEFAULT_COUNT;
    options->pattern = NULL;
    options->pattern_length = 0;
    while (index < c->argc) {
        const char *name = c->argv[index];
        size_t length = c->argv_length[index];
        int more = c->argc - index;

        if (option_is(name, length, "count") && more >= 2) {
            if (argument_long_long(c, index + 1, &count) != 0) {
                return -1;
            }
            if (count < 1) {
                reply_error_syntax(c->reply);
                return -1;
            }
            options->count = (long)count;
        } else if (option_is(name, length, "match") && more >= 2) {
            options->pattern = c->argv[index + 1];
            options->pattern_length = c->argv_length[index + 1];
            if (glob_matches_everything(options->pattern,
                                        options->pattern_length)) {
                options->pattern = NULL;
            }
        } else {
            reply_error_syntax(c->reply);
            return -1;
        }
        index += 2;
    }
    return 0;
}

/*
 * Writes a score as Redis 7.0's listpack holds it: an integral score
 * within +/-LLONG_MAX/2 as an integer ("0" for -0), any other as %.17g.
 */
static void
reply_compact_score(struct evbuffer *out, double score)
{
    if (score >= -COMPACT_SCORE_INTEGER_MAX && score <= COMPACT_SCORE_INTEGER_MAX &&
        score == (double)(long long)score) {
        reply_bulk_long_long(out, (long long)score);
    } else {
        reply_bulk_double(out, score);
    }
}

/* Visitor: writes one element (filtered by MATCH on its member). */
static int
scan_visit(const struct btree_item *item, void *context)
{
    struct scan_step *step = context;
    const struct scan_options *options = step->options;
    const char *member;
    size_t length;
    double score;

    member = collection_member_of_member_key(item, &length);
    if (options->pattern != NULL &&
        !glob_match(options->pattern, options->pattern_length, member,
                    length, 0)) {
        return 0;
    }
    reply_bulk(step->out, member, length);
    step->replies++;
    if (step->type == RECORD_HASH) {
        reply_bulk(step->out, item->value, item->value_length);
        step->replies++;
    } else if (step->type == RECORD_ZSET) {
        score = collection_score_value_decode(item->value, item->value_length);
        if (step->compact) {
            reply_compact_score(step->out, score);
        } else {
            reply_bulk_double(step->out, score);
        }
        step->replies++;
    }
    return 0;
}

/* Replies [cursor, elements]. */
static void
reply_scan(struct client *c, uint64_t next, struct scan_step *step)
{
    char text[32];
    int length;

    length = snprintf(text, sizeof(text), "%llu", (unsigned long long)next);
    reply_array_header(c->reply, 2);
    reply_bulk(c->reply, text, (size_t)length);
    reply_array_header(c->reply, step->replies);
    if (step->out != NULL) {
        evbuffer_add_buffer(c->reply, step->out);
    }
}

/* Opens argv[1] as a collection of `type`; replies on a wrong type or a
 * storage failure (DB_ERROR).  The caller always closes it. */
static int
scan_open(struct client *c, int type, struct collection *collection)
{
    return open_collection_argument(c, 1, type, COLLECTION_READ, collection);
}

/* Whether one element fits the compact encoding Redis would use. */
static int
element_is_compact(int type, const struct btree_item *item)
{
    const char *member;
    size_t length;

    member = collection_member_of_member_key(item, &length);
    if (type == RECORD_SET) {
        return string_to_long_long(member, length, NULL);
    }
    if (length > COMPACT_MAX_BYTES) {
        return 0;
    }
    return type != RECORD_HASH || item->value_length <= COMPACT_MAX_BYTES;
}

/*
 * Whether Redis 7.0 (default settings) would hold this collection in a
 * compact encoding: a listpack hash or sorted set, an intset.  Returns 1,
 * 0, or -1 on a storage error.
 */
static int
redis_would_be_compact(struct collection *collection, int type, int tree)
{
    uint64_t limit = (type == RECORD_SET) ? COMPACT_MAX_SET_INTEGERS
                                          : COMPACT_MAX_ENTRIES;
    struct btree_cursor cursor;
    struct btree_item item;
    int step;

    if (collection_count(collection) > limit) {
        return 0;
    }
    step = btree_seek_position(&collection->trees[tree], 0, &cursor);
    while (step == 1) {
        if (btree_cursor_item(&cursor, &item) != 1) {
            return -1;
        }
        if (!element_is_compact(type, &item)) {
            return 0;
        }
        step = btree_cursor_next(&cursor);
    }
    return step < 0 ? -1 : 1;
}

/* One step of HSCAN / SSCAN / ZSCAN over a collection of `type`. */
static void
scan_generic(struct client *c, int type)
{
    struct collection collection;
    struct scan_options options;
    struct scan_step step = { type, &options, NULL, 0, 0 };
    uint64_t cursor, next = 0;
    int found, tree;

    if (parse_cursor(c, &cursor) != 0) {
        return;
    }
    found = scan_open(c, type, &collection);
    if (found != DB_FOUND) {
        if (found == DB_NOT_FOUND) {
            reply_scan(c, 0, &step);
        }
        goto out;
    }
    if (parse_scan_options(c, &options) != 0) {
        goto out;
    }
    step.out = evbuffer_new();
    if (step.out == NULL) {
        reply_error(c->reply, "ERR out of memory");
        goto out;
    }
    tree = (type == RECORD_ZSET) ? COLLECTION_ZSET_MEMBERS : 0;
    step.compact = redis_would_be_compact(&collection, type, tree);
    if (step.compact < 0) {
        reply_error_storage(c);
        goto out;
    }
    if (step.compact) {
        cursor = 0;
        options.count = LONG_MAX;
    }
    if (collection_scan(&collection, tree, cursor, options.count, scan_visit,
                        &step, &next) != 0) {
        reply_error_storage(c);
        goto out;
    }
    reply_scan(c, next, &step);

out:
    if (step.out != NULL) {
        evbuffer_free(step.out);
    }
    collection_close(&collection);
}

void
command_HSCAN(struct client *c)
{
    scan_generic(c, RECORD_HASH);
}

void
command_SSCAN(struct client *c)
{
    scan_generic(c, RECORD_SET);
}

void
command_ZSCAN(struct client *c)
{
    scan_generic(c, RECORD_ZSET);
}
