/*
 * t_zset.c — the sorted set commands: ZADD ZINCRBY ZREM ZSCORE ZMSCORE
 * ZCARD ZCOUNT ZLEXCOUNT ZRANGE ZRANGESTORE ZRANGEBYSCORE ZRANGEBYLEX
 * ZREVRANGE ZREVRANGEBYSCORE ZREVRANGEBYLEX ZRANK ZREVRANK ZPOPMIN ZPOPMAX
 * ZMPOP ZRANDMEMBER ZREMRANGEBYSCORE ZREMRANGEBYRANK ZREMRANGEBYLEX
 * ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZUNION ZINTER ZDIFF ZINTERCARD, and
 * the blocking BZPOPMIN BZPOPMAX BZMPOP (not supported yet: an error).
 *
 * A sorted set is a collection (node/collection.h) with two trees kept in
 * step by every change:
 *
 *   members  member key -> the score's 8 bytes (collection_score_value_*)
 *   scores   score key (order-preserving score, then member) -> empty
 *
 * The score tree is in Redis's order (score, then member bytes), so a rank
 * is a position in it: ZRANK is btree_rank(), ranges by index seek to a
 * position, and ranges by score or by lex become a pair of positions
 * [first, end) found in O(log n) before anything is read.  Every count
 * (ZCOUNT, ZLEXCOUNT, the length of a reply) is therefore known up front.
 * (Lex ranges over members with different scores, which Redis leaves
 * undefined, are answered as Redis's compact encoding does, by a scan.)
 *
 * A score of -0.0 is stored as 0.0, as Redis's compact encoding does for
 * the small sets almost every -0 lands in; replies computed by a command
 * (ZINCRBY, ZADD INCR, ZUNION...) show the computed value, as Redis does.
 *
 * Replies and errors are Redis 7.0's, in the order Redis checks them.  A
 * reply that could still turn into a storage error is built in a separate
 * buffer and appended whole.
 */
#include <limits.h>
#include <math.h>
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
#include "shared/random.h"
#include "shared/reply.h"

/* open_zset() result when it has already replied with an error. */
#define ZSET_REPLIED (-100)

/* ZADD options (bits of the flags given to zset_add()). */
#define ZADD_NX    (1u << 0)  /* only add new members */
#define ZADD_XX    (1u << 1)  /* only update existing members */
#define ZADD_GT    (1u << 2)  /* only update to a greater score */
#define ZADD_LT    (1u << 3)  /* only update to a lower score */
#define ZADD_INCR  (1u << 4)  /* the score is an increment (ZINCRBY) */
#define ZADD_CH    (1u << 5)  /* count changed members, not only added */

/* Redis's limit on ZRANDMEMBER's count with WITHSCORES. */
#define RANDOM_WITH_SCORES_LIMIT (LLONG_MAX / 2)

/* ZRANDMEMBER: above size / SPARSE_PICK_DIVISOR distinct picks, the picks
 * are drawn from a shuffled list of every position. */
#define SPARSE_PICK_DIVISOR 3

/* Bytes of a score bound copied on the stack before parsing. */
#define SCORE_TEXT_STACK 64

static const char error_not_float[] = "ERR value is not a valid float";
static const char error_nan[] = "ERR resulting score is not a number (NaN)";
static const char error_score_range[] = "ERR min or max is not a float";
static const char error_lex_range[] = "ERR min or max not valid string range item";
static const char error_must_be_positive[] =
    "ERR value is out of range, must be positive";
static const char error_numkeys[] = "ERR numkeys should be greater than 0";
static const char error_count[] = "ERR count should be greater than 0";
static const char error_limit[] = "ERR LIMIT can't be negative";

/* What zset_add() did with one member. */
enum zadd_outcome {
    ZADD_ADDED,      /* a new member */
    ZADD_UPDATED,    /* its score changed */
    ZADD_UNCHANGED,  /* processed, same score */
    ZADD_SKIPPED,    /* NX / XX / GT / LT said no */
    ZADD_NOT_NUMBER  /* the increment gave NaN */
};

/* One end of a score range ("(1.5", "-inf", "3"). */
struct score_bound {
    double value;
    int    exclusive;
};

/* The kinds of one end of a lex range. */
enum lex_kind {
    LEX_LOWEST,   /* "-": before every member */
    LEX_HIGHEST,  /* "+": after every member */
    LEX_VALUE     /* "[value" or "(value" */
};

/* One end of a lex range; value points into the argument. */
struct lex_bound {
    enum lex_kind  kind;
    int            exclusive;
    const char    *value;
    size_t         length;
};

/* How ZRANGE and its variants address elements. */
enum range_kind {
    RANGE_AUTO,   /* ZRANGE / ZRANGESTORE: decided by BYSCORE / BYLEX */
    RANGE_RANK,
    RANGE_SCORE,
    RANGE_LEX
};

/* Direction of ZRANGE and its variants. */
enum range_direction {
    DIRECTION_AUTO,   /* ZRANGE / ZRANGESTORE: decided by REV */
    DIRECTION_FORWARD,
    DIRECTION_REVERSE
};

/* A parsed ZRANGE-family request. */
struct range_request {
    int                source;       /* argv index of the sorted set */
    int                store;        /* ZRANGESTORE: destination is argv[1] */
    enum range_kind    kind;
    int                reverse;
    int                with_scores;
    long long          offset;       /* LIMIT offset */
    long long          limit;        /* LIMIT count; -1: no limit */
    long long          start;        /* by rank */
    long long          stop;
    struct score_bound score_min;    /* by score */
    struct score_bound score_max;
    struct lex_bound   lex_min;      /* by lex */
    struct lex_bound   lex_max;
};

/* A member and its score copied out of the trees. */
struct zset_entry {
    char   *member;
    size_t  length;
    double  score;
    int     source;   /* union: aggregation order of its source */
};

/* A growable array of entries. */
struct zset_entries {
    struct zset_entry *items;
    size_t             count;
    size_t             capacity;
};

/* Where the elements a range walk visits go: bulk strings into `reply`,
 * or copies into `entries` (ZRANGESTORE). */
struct range_sink {
    struct evbuffer     *reply;
    int                  with_scores;
    struct zset_entries *entries;
};

/* ZUNION / ZINTER / ZDIFF and their STORE forms, ZINTERCARD. */
enum set_operation {
    OPERATION_UNION,
    OPERATION_INTER,
    OPERATION_DIFF
};

/* AGGREGATE of ZUNION and ZINTER. */
enum aggregate {
    AGGREGATE_SUM,
    AGGREGATE_MIN,
    AGGREGATE_MAX
};

/* The kinds of input of a set operation. */
enum source_kind {
    SOURCE_MISSING,
    SOURCE_ZSET,
    SOURCE_SET     /* a plain set: every member scores 1 */
};

/* One input key of a set operation. */
struct zset_source {
    struct collection collection;
    enum source_kind  kind;
    double            weight;
    uint64_t          length;
};

/* The inputs of a set operation.  `sources` is never moved (the trees
 * point into it); `order` is the aggregation order (by size). */
struct zset_sources {
    struct zset_source *sources;
    int                *order;
    long long           count;
    long long           opened;
};

/* A parsed set operation request. */
struct set_request {
    enum set_operation operation;
    int                destination;       /* argv index; 0: reply */
    int                numkeys_index;
    int                cardinality_only;  /* ZINTERCARD */
    enum aggregate     aggregate;
    int                with_scores;
    long long          limit;             /* ZINTERCARD LIMIT; 0: none */
};

/*----------------------------------------------------------------------------
 * Helpers
 *--------------------------------------------------------------------------*/

static struct btree *
member_tree(struct collection *zset)
{
    return &zset->trees[COLLECTION_ZSET_MEMBERS];
}

static struct btree *
score_tree(struct collection *zset)
{
    return &zset->trees[COLLECTION_ZSET_SCORES];
}

/*
 * Parses argument `index` as an integer in [minimum, maximum].  Replies
 * `range_message` when it is out of range, and `integer_message` (Redis's
 * integer error when NULL) when it is not an integer; returns -1 then.
 */
static int
parse_ranged_integer(struct client *c, int index, long long minimum,
                     long long maximum, const char *integer_message,
                     const char *range_message, long long *value)
{
    if (!string_to_long_long(c->argv[index], c->argv_length[index], value)) {
        if (integer_message != NULL) {
            reply_error(c->reply, integer_message);
        } else {
            reply_error_not_integer(c->reply);
        }
        return -1;
    }
    if (*value < minimum || *value > maximum) {
        reply_error(c->reply, range_message);
        return -1;
    }
    return 0;
}

/* Parses argument `index` as a score or weight (Redis's strict float
 * rules); replies `message` and returns -1 when it is not one. */
static int
parse_float(struct client *c, int index, const char *message, double *value)
{
    if (!string_to_double(c->argv[index], c->argv_length[index], value)) {
        reply_error(c->reply, message);
        return -1;
    }
    return 0;
}

/*
 * Parses one end of a score range as Redis does: strtod() over the
 * argument up to its first NUL byte, after an optional '(' (exclusive).
 * strtod's leniency is Redis's: leading blanks pass, "" is 0, overflow is
 * an infinity.  Returns 0, or -1 when it is not a float (or NaN).
 */
static int
parse_score_bound(const char *argument, size_t length, struct score_bound *bound)
{
    char stack[SCORE_TEXT_STACK];
    const char *nul = memchr(argument, '\0', length);
    char *text = stack, *end;
    int result = -1;

    if (nul != NULL) {
        length = (size_t)(nul - argument);
    }
    if (length >= sizeof(stack)) {
        text = malloc(length + 1);
        if (text == NULL) {
            return -1;
        }
    }
    memcpy(text, argument, length);
    text[length] = '\0';
    bound->exclusive = text[0] == '(';
    bound->value = strtod(text + bound->exclusive, &end);
    if (*end == '\0' && !isnan(bound->value)) {
        result = 0;
    }
    if (text != stack) {
        free(text);
    }
    return result;
}

/* Parses the two score bounds at argv[min_index] and argv[max_index];
 * replies Redis's error and returns -1 when either is not a float. */
static int
parse_score_range(struct client *c, int min_index, int max_index,
                  struct score_bound *min, struct score_bound *max)
{
    if (parse_score_bound(c->argv[min_index], c->argv_length[min_index], min) != 0 ||
        parse_score_bound(c->argv[max_index], c->argv_length[max_index], max) != 0) {
        reply_error(c->reply, error_score_range);
        return -1;
    }
    return 0;
}

/*
 * Parses one end of a lex range: "-", "+" (nothing may follow but a NUL
 * byte, as Redis reads them as C strings), "[value" or "(value".
 * Returns 0, or -1 when it is none of these.
 */
static int
parse_lex_bound(const char *argument, size_t length, struct lex_bound *bound)
{
    if (length == 0) {
        return -1;
    }
    bound->value = argument + 1;
    bound->length = length - 1;
    switch (argument[0]) {
    case '-':
    case '+':
        if (length > 1 && argument[1] != '\0') {
            return -1;
        }
        bound->kind = argument[0] == '-' ? LEX_LOWEST : LEX_HIGHEST;
        bound->exclusive = 1;
        return 0;
    case '(':
    case '[':
        bound->kind = LEX_VALUE;
        bound->exclusive = argument[0] == '(';
        return 0;
    default:
        return -1;
    }
}

/* Parses the two lex bounds; replies Redis's error and returns -1 when
 * either is invalid. */
static int
parse_lex_range(struct client *c, int min_index, int max_index,
                struct lex_bound *min, struct lex_bound *max)
{
    if (parse_lex_bound(c->argv[min_index], c->argv_length[min_index], min) != 0 ||
        parse_lex_bound(c->argv[max_index], c->argv_length[max_index], max) != 0) {
        reply_error(c->reply, error_lex_range);
        return -1;
    }
    return 0;
}

/*
 * Opens argument `index` as a sorted set.  Returns DB_FOUND or
 * DB_NOT_FOUND; on another type or a storage failure replies with the
 * error and returns ZSET_REPLIED.  The caller closes `zset` whatever the
 * result.
 */
static int
open_zset(struct client *c, int index, int flags, struct collection *zset)
{
    int result = open_collection_argument(c, index, RECORD_ZSET, flags, zset);

    return result == DB_ERROR ? ZSET_REPLIED : result;
}

/* Appends a reply built in `body` to the client's replies (frees body). */
static void
reply_buffer(struct client *c, struct evbuffer *body)
{
    evbuffer_add_buffer(c->reply, body);
    evbuffer_free(body);
}

/* A new reply buffer; replies "out of memory" when there is none. */
static struct evbuffer *
new_reply_buffer(struct client *c)
{
    struct evbuffer *body = evbuffer_new();

    if (body == NULL) {
        reply_error_out_of_memory(c);
    }
    return body;
}

/* A uniformly drawn number below `bound` (which is > 0). */
static uint64_t
random_below(struct client *c, uint64_t bound)
{
    return random_next(&c->server->random_state) % bound;
}

/*----------------------------------------------------------------------------
 * Entries: members and scores copied out of the trees
 *--------------------------------------------------------------------------*/

/* Appends a copy of member with its score.  Returns 0, or -1 when out of
 * memory. */
static int
entries_add(struct zset_entries *entries, const char *member, size_t length,
            double score, int source)
{
    struct zset_entry *entry;
    size_t capacity;

    if (entries->count == entries->capacity) {
        capacity = entries->capacity ? entries->capacity * 2 : 16;
        entry = realloc(entries->items, capacity * sizeof(*entry));
        if (entry == NULL) {
            return -1;
        }
        entries->items = entry;
        entries->capacity = capacity;
    }
    entry = &entries->items[entries->count];
    entry->member = malloc(length ? length : 1);
    if (entry->member == NULL) {
        return -1;
    }
    if (length > 0) {
        memcpy(entry->member, member, length);
    }
    entry->length = length;
    entry->score = score;
    entry->source = source;
    entries->count++;
    return 0;
}

static void
entries_free(struct zset_entries *entries)
{
    size_t i;

    for (i = 0; i < entries->count; i++) {
        free(entries->items[i].member);
    }
    free(entries->items);
    memset(entries, 0, sizeof(*entries));
}

/* Byte order of members: memcmp, the shorter first on a tie. */
static int
compare_members(const char *a, size_t a_length, const char *b, size_t b_length)
{
    size_t common = a_length < b_length ? a_length : b_length;
    int result = common ? memcmp(a, b, common) : 0;

    if (result != 0) {
        return result;
    }
    return (a_length > b_length) - (a_length < b_length);
}

/* qsort order of a sorted set: score (as doubles, -0 == 0), then member. */
static int
compare_entries_by_score(const void *left, const void *right)
{
    const struct zset_entry *a = left, *b = right;

    if (a->score < b->score) {
        return -1;
    }
    if (a->score > b->score) {
        return 1;
    }
    return compare_members(a->member, a->length, b->member, b->length);
}

/* qsort order for folding a union: member, then aggregation order. */
static int
compare_entries_by_member(const void *left, const void *right)
{
    const struct zset_entry *a = left, *b = right;
    int result = compare_members(a->member, a->length, b->member, b->length);

    if (result != 0) {
        return result;
    }
    return (a->source > b->source) - (a->source < b->source);
}

/*----------------------------------------------------------------------------
 * Elements: both trees in step
 *--------------------------------------------------------------------------*/

/* The score of member: 1 and *score, 0 when absent, -1 on a storage
 * failure. */
static int
zset_member_score(struct collection *zset, const char *member, size_t length,
                  double *score)
{
    struct collection_key key;
    struct btree_item item;
    int result;

    collection_key_member(&key, member, length);
    result = btree_find(member_tree(zset), key.data, key.length, &item);
    collection_key_free(&key);
    if (result == 1) {
        *score = collection_score_value_decode(item.value, item.value_length);
    }
    return result;
}

/* Stores member -> score in the member tree.  Returns 0 or -1. */
static int
put_member_score(struct collection *zset, const char *member, size_t length,
                 double score)
{
    struct collection_key key;
    unsigned char value[8];
    int result;

    collection_score_value_encode(score, value);
    collection_key_member(&key, member, length);
    result = btree_put(member_tree(zset), key.data, key.length, value, sizeof(value));
    collection_key_free(&key);
    return result < 0 ? -1 : 0;
}

/* Adds (score, member) to the score tree.  Returns 0 or -1. */
static int
put_score_key(struct collection *zset, const char *member, size_t length,
              double score)
{
    struct collection_key key;
    int result;

    collection_key_score(&key, score, member, length);
    result = btree_put(score_tree(zset), key.data, key.length, "", 0);
    collection_key_free(&key);
    return result < 0 ? -1 : 0;
}

/* Removes (score, member) from the score tree.  Returns 0 or -1. */
static int
remove_score_key(struct collection *zset, const char *member, size_t length,
                 double score)
{
    struct collection_key key;
    int result;

    collection_key_score(&key, score, member, length);
    result = btree_remove(score_tree(zset), key.data, key.length);
    collection_key_free(&key);
    return result < 0 ? -1 : 0;
}

/* Inserts a member that is not in the set.  -0.0 is stored as 0.0.
 * Returns 0 or -1. */
static int
zset_insert(struct collection *zset, const char *member, size_t length,
            double score)
{
    if (score == 0) {
        score = 0.0;
    }
    if (put_member_score(zset, member, length, score) != 0) {
        return -1;
    }
    return put_score_key(zset, member, length, score);
}

/* Moves a member from score `current` to `score`.  Returns 0 or -1. */
static int
zset_change_score(struct collection *zset, const char *member, size_t length,
                  double current, double score)
{
    if (remove_score_key(zset, member, length, current) != 0) {
        return -1;
    }
    return zset_insert(zset, member, length, score);
}

/* Removes a member: 1 removed, 0 absent, -1 storage failure. */
static int
zset_remove(struct collection *zset, const char *member, size_t length)
{
    struct collection_key key;
    double score;
    int result;

    result = zset_member_score(zset, member, length, &score);
    if (result != 1) {
        return result;
    }
    if (remove_score_key(zset, member, length, score) != 0) {
        return -1;
    }
    collection_key_member(&key, member, length);
    result = btree_remove(member_tree(zset), key.data, key.length);
    collection_key_free(&key);
    return result < 0 ? -1 : 1;
}

/*
 * Removes the element at `position` of the score tree (and its member),
 * after writing it (member, score) to `reply` when not NULL.  Returns 0
 * or -1.
 */
static int
zset_remove_at(struct collection *zset, uint64_t position, struct evbuffer *reply)
{
    struct collection_key key;
    struct btree_item item;
    const char *member;
    size_t length;
    int result;

    if (btree_get_at(score_tree(zset), position, &item) != 1) {
        return -1;
    }
    member = collection_member_of_score_key(&item, &length);
    if (reply != NULL) {
        reply_bulk(reply, member, length);
        reply_bulk_double(reply, collection_score_of_score_key(&item));
    }
    collection_key_member(&key, member, length);
    result = btree_remove_at(score_tree(zset), position);
    if (result == 1) {
        result = btree_remove(member_tree(zset), key.data, key.length);
    }
    collection_key_free(&key);
    return result == 1 ? 0 : -1;
}

/* Removes `count` elements from `first` on.  Returns 0 or -1. */
static int
zset_remove_positions(struct collection *zset, uint64_t first, uint64_t count)
{
    uint64_t i;

    for (i = 0; i < count; i++) {
        if (zset_remove_at(zset, first, NULL) != 0) {
            return -1;
        }
    }
    return 0;
}

/*
 * Adds or updates one member as ZADD does with `flags`.  On success
 * returns 0 with *outcome, and *new_score set unless the member was
 * skipped; returns -1 on a storage failure.
 */
static int
zset_add(struct collection *zset, double score, const char *member, size_t length,
         unsigned int flags, double *new_score, enum zadd_outcome *outcome)
{
    double current;
    int found = zset_member_score(zset, member, length, &current);

    if (found < 0) {
        return -1;
    }
    if (!found) {
        if (flags & ZADD_XX) {
            *outcome = ZADD_SKIPPED;
            return 0;
        }
        *new_score = score;
        *outcome = ZADD_ADDED;
        return zset_insert(zset, member, length, score);
    }
    if (flags & ZADD_NX) {
        *outcome = ZADD_SKIPPED;
        return 0;
    }
    if (flags & ZADD_INCR) {
        score += current;
        if (isnan(score)) {
            *outcome = ZADD_NOT_NUMBER;
            return 0;
        }
    }
    if (((flags & ZADD_LT) && score >= current) ||
        ((flags & ZADD_GT) && score <= current)) {
        *outcome = ZADD_SKIPPED;
        return 0;
    }
    *new_score = score;
    if (score == current) {
        *outcome = ZADD_UNCHANGED;
        return 0;
    }
    *outcome = ZADD_UPDATED;
    return zset_change_score(zset, member, length, current, score);
}

/*----------------------------------------------------------------------------
 * Ranges as positions of the score tree
 *--------------------------------------------------------------------------*/

/* How many elements score below `score` (or at most `score` when
 * `or_equal`).  Returns 0 or -1. */
static int
score_position(struct collection *zset, double score, int or_equal,
               uint64_t *position)
{
    struct collection_key key;
    int result;

    if (or_equal) {
        if (score == INFINITY) {
            *position = btree_count(score_tree(zset));
            return 0;
        }
        score = nextafter(score, INFINITY);
    }
    collection_key_score_only(&key, score);
    result = btree_rank(score_tree(zset), key.data, key.length, position);
    collection_key_free(&key);
    return result < 0 ? -1 : 0;
}

/* Positions [first, end) of the elements within a score range. */
static int
score_range_positions(struct collection *zset, const struct score_bound *min,
                      const struct score_bound *max, uint64_t *first, uint64_t *end)
{
    if (score_position(zset, min->value, min->exclusive, first) != 0 ||
        score_position(zset, max->value, !max->exclusive, end) != 0) {
        return -1;
    }
    if (*end < *first) {
        *end = *first;
    }
    return 0;
}

/*
 * The first position whose member is >= value (> value when `after`),
 * found by bisection: members are in order along the score tree when all
 * scores are equal.
 */
static int
lex_position(struct collection *zset, const char *value, size_t length, int after,
             uint64_t *position)
{
    uint64_t low = 0, high = btree_count(score_tree(zset)), middle;
    struct btree_item item;
    const char *member;
    size_t member_length;
    int order;

    while (low < high) {
        middle = low + (high - low) / 2;
        if (btree_get_at(score_tree(zset), middle, &item) != 1) {
            return -1;
        }
        member = collection_member_of_score_key(&item, &member_length);
        order = compare_members(member, member_length, value, length);
        if (order > 0 || (order == 0 && !after)) {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    *position = low;
    return 0;
}

/* Where a lex bound falls when all scores are equal: the position where
 * the range starts (at_end 0) or ends (at_end 1). */
static int
lex_bound_position(struct collection *zset, const struct lex_bound *bound,
                   int at_end, uint64_t *position)
{
    switch (bound->kind) {
    case LEX_LOWEST:
        *position = 0;
        return 0;
    case LEX_HIGHEST:
        *position = btree_count(score_tree(zset));
        return 0;
    default:
        return lex_position(zset, bound->value, bound->length,
                            at_end ? !bound->exclusive : bound->exclusive, position);
    }
}

/* Whether a member is within the range's lower end. */
static int
lex_above_min(const char *member, size_t length, const struct lex_bound *min)
{
    int order;

    if (min->kind != LEX_VALUE) {
        return min->kind == LEX_LOWEST;
    }
    order = compare_members(member, length, min->value, min->length);
    return min->exclusive ? order > 0 : order >= 0;
}

/* Whether a member is within the range's upper end. */
static int
lex_below_max(const char *member, size_t length, const struct lex_bound *max)
{
    int order;

    if (max->kind != LEX_VALUE) {
        return max->kind == LEX_HIGHEST;
    }
    order = compare_members(member, length, max->value, max->length);
    return max->exclusive ? order < 0 : order <= 0;
}

/* Order of two lex bounds as Redis compares them ("-" below and "+" above
 * every value, each equal to itself). */
static int
lex_bound_order(const struct lex_bound *a, const struct lex_bound *b)
{
    if (a->kind != LEX_VALUE || b->kind != LEX_VALUE) {
        if (a->kind == b->kind) {
            return 0;
        }
        if (a->kind == LEX_LOWEST || b->kind == LEX_HIGHEST) {
            return -1;
        }
        return 1;
    }
    return compare_members(a->value, a->length, b->value, b->length);
}

/* A test of a member against one end of a lex range. */
typedef int lex_test(const char *member, size_t length, const struct lex_bound *bound);

/*
 * From `position`, steps forward (or backward) over the elements for which
 * test(member, bound) == expect.  *stop is the position of the first one
 * that differs, or the element count (forward) / -1 (backward) when none
 * does.  Returns 0 or -1.
 */
static int
lex_walk(struct collection *zset, int64_t position, int backward, lex_test *test,
         const struct lex_bound *bound, int expect, int64_t *stop)
{
    struct btree_cursor cursor;
    struct btree_item item;
    const char *member;
    size_t length;
    int result;

    result = btree_seek_position(score_tree(zset), (uint64_t)position, &cursor);
    while (result == 1) {
        if (btree_cursor_item(&cursor, &item) != 1) {
            return -1;
        }
        member = collection_member_of_score_key(&item, &length);
        if (test(member, length, bound) != expect) {
            break;
        }
        position += backward ? -1 : 1;
        result = backward ? btree_cursor_prev(&cursor) : btree_cursor_next(&cursor);
    }
    *stop = position;
    return result < 0 ? -1 : 0;
}

/* Whether the member at `position` passes test(member, bound): 1, 0, or
 * -1 on a storage failure. */
static int
lex_test_at(struct collection *zset, uint64_t position, lex_test *test,
            const struct lex_bound *bound)
{
    struct btree_item item;
    const char *member;
    size_t length;

    if (btree_get_at(score_tree(zset), position, &item) != 1) {
        return -1;
    }
    member = collection_member_of_score_key(&item, &length);
    return test(member, length, bound);
}

/*
 * A lex range over members that are not in order (mixed scores), where
 * Redis leaves lex ranges undefined: answered as Redis's compact encoding
 * does (its small sets are deterministic).  The range must reach the last
 * element from below and the first from above; then, forward, it starts at
 * the first member within min and runs while members are within max;
 * backward, it starts at the last member within max and runs back while
 * within min.  Sets [*first, *end) (empty: equal).
 */
static int
lex_scan_positions(struct collection *zset, const struct lex_bound *min,
                   const struct lex_bound *max, int reverse,
                   uint64_t *first, uint64_t *end)
{
    int64_t count = (int64_t)btree_count(score_tree(zset)), start, stop;
    int order = lex_bound_order(min, max), last_ok, first_ok;

    *first = *end = 0;
    if (order > 0 || (order == 0 && (min->exclusive || max->exclusive))) {
        return 0;
    }
    last_ok = lex_test_at(zset, (uint64_t)count - 1, lex_above_min, min);
    first_ok = lex_test_at(zset, 0, lex_below_max, max);
    if (last_ok < 0 || first_ok < 0) {
        return -1;
    }
    if (!last_ok || !first_ok) {
        return 0;
    }
    if (!reverse) {
        if (lex_walk(zset, 0, 0, lex_above_min, min, 0, &start) != 0 ||
            (start < count &&
             lex_walk(zset, start, 0, lex_below_max, max, 1, &stop) != 0)) {
            return -1;
        }
        if (start < count) {
            *first = (uint64_t)start;
            *end = (uint64_t)stop;
        }
        return 0;
    }
    if (lex_walk(zset, count - 1, 1, lex_below_max, max, 0, &start) != 0 ||
        (start >= 0 && lex_walk(zset, start, 1, lex_above_min, min, 1, &stop) != 0)) {
        return -1;
    }
    if (start >= 0) {
        *first = (uint64_t)(stop + 1);
        *end = (uint64_t)(start + 1);
    }
    return 0;
}

/* Whether every element has the same score: 1, 0, or -1. */
static int
zset_scores_all_equal(struct collection *zset)
{
    uint64_t count = btree_count(score_tree(zset));
    struct btree_item item;
    double lowest;

    if (count < 2) {
        return 1;
    }
    if (btree_get_at(score_tree(zset), 0, &item) != 1) {
        return -1;
    }
    lowest = collection_score_of_score_key(&item);
    if (btree_get_at(score_tree(zset), count - 1, &item) != 1) {
        return -1;
    }
    return collection_score_of_score_key(&item) == lowest;
}

/*
 * Positions [first, end) of the elements within a lex range, walked
 * forward, or backward when `reverse` (which matters only when scores
 * differ).  With equal scores (the case Redis defines) two bisections find
 * them in O(log n).
 */
static int
lex_range_positions(struct collection *zset, const struct lex_bound *min,
                    const struct lex_bound *max, int reverse,
                    uint64_t *first, uint64_t *end)
{
    int equal = zset_scores_all_equal(zset);

    if (equal < 0) {
        return -1;
    }
    if (!equal) {
        return lex_scan_positions(zset, min, max, reverse, first, end);
    }
    if (lex_bound_position(zset, min, 0, first) != 0 ||
        lex_bound_position(zset, max, 1, end) != 0) {
        return -1;
    }
    if (*end < *first) {
        *end = *first;
    }
    return 0;
}

/*
 * ZRANGE's index rules: negative indexes count from the end, the range is
 * clamped to the set.  Sets *start (a position of the score tree; the
 * highest one walked first when reverse) and *count.
 */
static void
rank_window(long long start, long long stop, uint64_t length, int reverse,
            uint64_t *position, uint64_t *count)
{
    long long size = (long long)length;

    if (start < 0) {
        start += size;
    }
    if (stop < 0) {
        stop += size;
    }
    if (start < 0) {
        start = 0;
    }
    if (start > stop || start >= size) {
        *count = 0;
        *position = 0;
        return;
    }
    if (stop >= size) {
        stop = size - 1;
    }
    *count = (uint64_t)(stop - start + 1);
    *position = reverse ? (uint64_t)(size - 1 - start) : (uint64_t)start;
}

/*
 * LIMIT offset count over positions [first, end) walked forward or (when
 * reverse) backward.  A negative offset selects nothing, a negative count
 * everything, as in Redis.  Sets the position walked first and the count.
 */
static void
limit_window(uint64_t first, uint64_t end, long long offset, long long limit,
             int reverse, uint64_t *position, uint64_t *count)
{
    uint64_t available = end - first;

    *position = 0;
    *count = 0;
    if (offset < 0 || (uint64_t)offset >= available) {
        return;
    }
    available -= (uint64_t)offset;
    if (limit >= 0 && (uint64_t)limit < available) {
        available = (uint64_t)limit;
    }
    *count = available;
    *position = reverse ? end - 1 - (uint64_t)offset : first + (uint64_t)offset;
}

/* Hands one element of the score tree to a sink.  Returns 0 or -1. */
static int
sink_element(struct range_sink *sink, const struct btree_item *item)
{
    size_t length;
    const char *member = collection_member_of_score_key(item, &length);
    double score = collection_score_of_score_key(item);

    if (sink->entries != NULL) {
        return entries_add(sink->entries, member, length, score, 0);
    }
    reply_bulk(sink->reply, member, length);
    if (sink->with_scores) {
        reply_bulk_double(sink->reply, score);
    }
    return 0;
}

/* Walks `count` elements of the score tree from `position`, forward or
 * backward, into a sink.  Returns 0 or -1. */
static int
walk_range(struct collection *zset, uint64_t position, uint64_t count, int reverse,
           struct range_sink *sink)
{
    struct btree_cursor cursor;
    struct btree_item item;
    uint64_t done;
    int step;

    if (count == 0) {
        return 0;
    }
    if (btree_seek_position(score_tree(zset), position, &cursor) != 1) {
        return -1;
    }
    for (done = 0; done < count; done++) {
        if (btree_cursor_item(&cursor, &item) != 1 || sink_element(sink, &item) != 0) {
            return -1;
        }
        if (done + 1 < count) {
            step = reverse ? btree_cursor_prev(&cursor) : btree_cursor_next(&cursor);
            if (step != 1) {
                return -1;
            }
        }
    }
    return 0;
}

/*----------------------------------------------------------------------------
 * Destinations (ZRANGESTORE, ZUNIONSTORE...)
 *--------------------------------------------------------------------------*/

/*
 * Replaces the key at argv[index] with a sorted set of `entries` (unique
 * members), or deletes it when there are none, and replies the number of
 * members, as Redis's *STORE commands do.
 */
static void
store_entries(struct client *c, int index, const struct zset_entries *entries)
{
    struct collection zset;
    size_t i;

    if (entries->count == 0) {
        if (db_delete(c->server, c->argv[index], c->argv_length[index]) == DB_ERROR) {
            reply_error_storage(c);
        } else {
            reply_integer(c->reply, 0);
        }
        return;
    }
    if (open_zset(c, index, COLLECTION_REPLACE, &zset) == ZSET_REPLIED) {
        goto out;
    }
    for (i = 0; i < entries->count; i++) {
        if (zset_insert(&zset, entries->items[i].member, entries->items[i].length,
                        entries->items[i].score) != 0) {
            reply_error_storage(c);
            goto out;
        }
    }
    if (save_collection(c, &zset) == 0) {
        reply_integer(c->reply, (long long)entries->count);
    }
out:
    collection_close(&zset);
}

/*----------------------------------------------------------------------------
 * ZADD ZINCRBY
 *--------------------------------------------------------------------------*/

/* The ZADD option argument `index` names, or 0. */
static unsigned int
zadd_option(const struct client *c, int index)
{
    static const struct {
        const char   *name;
        unsigned int  flag;
    } options[] = {
        { "nx", ZADD_NX }, { "xx", ZADD_XX }, { "ch", ZADD_CH },
        { "incr", ZADD_INCR }, { "gt", ZADD_GT }, { "lt", ZADD_LT },
    };
    size_t i;

    for (i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
        if (argument_is(c, index, options[i].name)) {
            return options[i].flag;
        }
    }
    return 0;
}

/* Checks ZADD's option combinations and element count, in Redis's order;
 * replies the error and returns -1 when they do not fit. */
static int
zadd_check_options(struct client *c, unsigned int flags, int elements)
{
    if (elements % 2 != 0 || elements == 0) {
        reply_error_syntax(c->reply);
        return -1;
    }
    if ((flags & ZADD_NX) && (flags & ZADD_XX)) {
        reply_error(c->reply,
                    "ERR XX and NX options at the same time are not compatible");
        return -1;
    }
    if (((flags & ZADD_NX) && (flags & (ZADD_GT | ZADD_LT))) ||
        ((flags & ZADD_GT) && (flags & ZADD_LT))) {
        reply_error(c->reply, "ERR GT, LT, and/or NX options at the same time "
                              "are not compatible");
        return -1;
    }
    if ((flags & ZADD_INCR) && elements > 2) {
        reply_error(c->reply,
                    "ERR INCR option supports a single increment-element pair");
        return -1;
    }
    return 0;
}

/* The counts ZADD replies with. */
struct zadd_counts {
    long long added;
    long long updated;
    long long processed;
    double    score;      /* INCR: the member's new score */
};

/*
 * Applies the (score, member) pairs from argv[first] on.  Returns 0, or
 * -1 after replying an error (NaN, storage).
 */
static int
zadd_apply(struct client *c, struct collection *zset, unsigned int flags,
           int first, const double *scores, struct zadd_counts *counts)
{
    enum zadd_outcome outcome;
    int pair, index;

    for (pair = 0, index = first; index < c->argc; pair++, index += 2) {
        if (zset_add(zset, scores[pair], c->argv[index + 1], c->argv_length[index + 1],
                     flags, &counts->score, &outcome) != 0) {
            reply_error_storage(c);
            return -1;
        }
        if (outcome == ZADD_NOT_NUMBER) {
            reply_error(c->reply, error_nan);
            return -1;
        }
        counts->added += outcome == ZADD_ADDED;
        counts->updated += outcome == ZADD_UPDATED;
        counts->processed += outcome != ZADD_SKIPPED;
    }
    return 0;
}

/* ZADD, and ZINCRBY (flags ZADD_INCR). */
static void
zadd_generic(struct client *c, unsigned int flags)
{
    struct zadd_counts counts = { 0, 0, 0, 0.0 };
    struct collection zset;
    double *scores = NULL;
    unsigned int option;
    int first = 2, pair;

    memset(&zset, 0, sizeof(zset));
    while (first < c->argc && (option = zadd_option(c, first)) != 0) {
        flags |= option;
        first++;
    }
    if (zadd_check_options(c, flags, c->argc - first) != 0) {
        return;
    }
    scores = malloc(sizeof(double) * (size_t)((c->argc - first) / 2));
    if (scores == NULL) {
        reply_error_out_of_memory(c);
        return;
    }
    for (pair = 0; first + 2 * pair < c->argc; pair++) {
        if (parse_float(c, first + 2 * pair, error_not_float, &scores[pair]) != 0) {
            goto out;
        }
    }
    switch (open_zset(c, 1, COLLECTION_CREATE, &zset)) {
    case ZSET_REPLIED:
        goto out;
    case DB_NOT_FOUND:
        if (flags & ZADD_XX) {
            goto reply;
        }
        break;
    default:
        break;
    }
    if (zadd_apply(c, &zset, flags, first, scores, &counts) != 0) {
        goto out;
    }
    if (counts.added + counts.updated > 0 && save_collection(c, &zset) != 0) {
        goto out;
    }
reply:
    if (!(flags & ZADD_INCR)) {
        reply_integer(c->reply, (flags & ZADD_CH) ? counts.added + counts.updated
                                                  : counts.added);
    } else if (counts.processed > 0) {
        reply_bulk_double(c->reply, counts.score);
    } else {
        reply_null(c->reply);
    }
out:
    free(scores);
    collection_close(&zset);
}

void
command_ZADD(struct client *c)
{
    zadd_generic(c, 0);
}

void
command_ZINCRBY(struct client *c)
{
    zadd_generic(c, ZADD_INCR);
}

/*----------------------------------------------------------------------------
 * ZREM ZSCORE ZMSCORE ZCARD ZRANK ZREVRANK
 *--------------------------------------------------------------------------*/

void
command_ZREM(struct client *c)
{
    struct collection zset;
    long long removed = 0;
    int i, result;

    switch (open_zset(c, 1, COLLECTION_WRITE, &zset)) {
    case ZSET_REPLIED:
        goto out;
    case DB_NOT_FOUND:
        reply_integer(c->reply, 0);
        goto out;
    default:
        break;
    }
    for (i = 2; i < c->argc; i++) {
        result = zset_remove(&zset, c->argv[i], c->argv_length[i]);
        if (result < 0) {
            reply_error_storage(c);
            goto out;
        }
        removed += result;
    }
    if (removed > 0 && save_collection(c, &zset) != 0) {
        goto out;
    }
    reply_integer(c->reply, removed);
out:
    collection_close(&zset);
}

void
command_ZSCORE(struct client *c)
{
    struct collection zset;
    double score;
    int result;

    switch (open_zset(c, 1, COLLECTION_READ, &zset)) {
    case ZSET_REPLIED:
        goto out;
    case DB_NOT_FOUND:
        reply_null(c->reply);
        goto out;
    default:
        break;
    }
    result = zset_member_score(&zset, c->argv[2], c->argv_length[2], &score);
    if (result < 0) {
        reply_error_storage(c);
    } else if (result == 0) {
        reply_null(c->reply);
    } else {
        reply_bulk_double(c->reply, score);
    }
out:
    collection_close(&zset);
}

void
command_ZMSCORE(struct client *c)
{
    struct collection zset;
    struct evbuffer *body = NULL;
    double score;
    int found, i, result;

    found = open_zset(c, 1, COLLECTION_READ, &zset);
    if (found == ZSET_REPLIED || (body = new_reply_buffer(c)) == NULL) {
        goto out;
    }
    reply_array_header(body, c->argc - 2);
    for (i = 2; i < c->argc; i++) {
        result = 0;
        if (found == DB_FOUND) {
            result = zset_member_score(&zset, c->argv[i], c->argv_length[i], &score);
        }
        if (result < 0) {
            reply_error_storage(c);
            goto out;
        }
        if (result == 0) {
            reply_null(body);
        } else {
            reply_bulk_double(body, score);
        }
    }
    reply_buffer(c, body);
    body = NULL;
out:
    if (body != NULL) {
        evbuffer_free(body);
    }
    collection_close(&zset);
}

void
command_ZCARD(struct client *c)
{
    struct collection zset;

    switch (open_zset(c, 1, COLLECTION_READ, &zset)) {
    case ZSET_REPLIED:
        break;
    case DB_NOT_FOUND:
        reply_integer(c->reply, 0);
        break;
    default:
        reply_integer(c->reply, (long long)collection_count(&zset));
        break;
    }
    collection_close(&zset);
}

/* ZRANK and ZREVRANK. */
static void
rank_generic(struct client *c, int reverse)
{
    struct collection zset;
    struct collection_key key;
    uint64_t rank;
    double score;
    int result;

    switch (open_zset(c, 1, COLLECTION_READ, &zset)) {
    case ZSET_REPLIED:
        goto out;
    case DB_NOT_FOUND:
        reply_null(c->reply);
        goto out;
    default:
        break;
    }
    result = zset_member_score(&zset, c->argv[2], c->argv_length[2], &score);
    if (result == 1) {
        collection_key_score(&key, score, c->argv[2], c->argv_length[2]);
        result = btree_rank(score_tree(&zset), key.data, key.length, &rank);
        collection_key_free(&key);
    }
    if (result < 0) {
        reply_error_storage(c);
    } else if (result == 0) {
        reply_null(c->reply);
    } else {
        if (reverse) {
            rank = collection_count(&zset) - 1 - rank;
        }
        reply_integer(c->reply, (long long)rank);
    }
out:
    collection_close(&zset);
}

void
command_ZRANK(struct client *c)
{
    rank_generic(c, 0);
}

void
command_ZREVRANK(struct client *c)
{
    rank_generic(c, 1);
}

/*----------------------------------------------------------------------------
 * ZCOUNT ZLEXCOUNT
 *--------------------------------------------------------------------------*/

/* ZCOUNT (lex 0) and ZLEXCOUNT (lex 1). */
static void
count_generic(struct client *c, int lex)
{
    struct score_bound score_min, score_max;
    struct lex_bound lex_min, lex_max;
    struct collection zset;
    uint64_t first, end;
    int result;

    memset(&zset, 0, sizeof(zset));
    if (lex ? parse_lex_range(c, 2, 3, &lex_min, &lex_max)
            : parse_score_range(c, 2, 3, &score_min, &score_max)) {
        return;
    }
    switch (open_zset(c, 1, COLLECTION_READ, &zset)) {
    case ZSET_REPLIED:
        goto out;
    case DB_NOT_FOUND:
        reply_integer(c->reply, 0);
        goto out;
    default:
        break;
    }
    if (lex) {
        result = lex_range_positions(&zset, &lex_min, &lex_max, 0, &first, &end);
    } else {
        result = score_range_positions(&zset, &score_min, &score_max, &first, &end);
    }
    if (result != 0) {
        reply_error_storage(c);
    } else {
        reply_integer(c->reply, (long long)(end - first));
    }
out:
    collection_close(&zset);
}

void
command_ZCOUNT(struct client *c)
{
    count_generic(c, 0);
}

void
command_ZLEXCOUNT(struct client *c)
{
    count_generic(c, 1);
}

/*----------------------------------------------------------------------------
 * ZRANGE and its variants
 *--------------------------------------------------------------------------*/

/* Parses the options after <key> <min> <max>; replies and returns -1 on
 * an error.  Direction and kind become definite. */
static int
range_parse_options(struct client *c, struct range_request *request,
                    enum range_direction *direction)
{
    int index;

    for (index = request->source + 3; index < c->argc; index++) {
        if (!request->store && argument_is(c, index, "withscores")) {
            request->with_scores = 1;
        } else if (argument_is(c, index, "limit") && c->argc - index - 1 >= 2) {
            if (argument_long_long(c, index + 1, &request->offset) != 0 ||
                argument_long_long(c, index + 2, &request->limit) != 0) {
                return -1;
            }
            index += 2;
        } else if (*direction == DIRECTION_AUTO && argument_is(c, index, "rev")) {
            *direction = DIRECTION_REVERSE;
        } else if (request->kind == RANGE_AUTO && argument_is(c, index, "bylex")) {
            request->kind = RANGE_LEX;
        } else if (request->kind == RANGE_AUTO && argument_is(c, index, "byscore")) {
            request->kind = RANGE_SCORE;
        } else {
            reply_error_syntax(c->reply);
            return -1;
        }
    }
    request->reverse = *direction == DIRECTION_REVERSE;
    if (request->kind == RANGE_AUTO) {
        request->kind = RANGE_RANK;
    }
    return 0;
}

/* Parses a ZRANGE-family request in Redis's order of checks: options,
 * their conflicts, then the range.  Replies and returns -1 on an error. */
static int
range_parse(struct client *c, struct range_request *request,
            enum range_direction direction)
{
    int min_index = request->source + 1, max_index = request->source + 2;

    request->limit = -1;
    if (range_parse_options(c, request, &direction) != 0) {
        return -1;
    }
    if (request->limit != -1 && request->kind == RANGE_RANK) {
        reply_error(c->reply, "ERR syntax error, LIMIT is only supported in "
                              "combination with either BYSCORE or BYLEX");
        return -1;
    }
    if (request->with_scores && request->kind == RANGE_LEX) {
        reply_error(c->reply, "ERR syntax error, WITHSCORES not supported in "
                              "combination with BYLEX");
        return -1;
    }
    if (request->reverse && request->kind != RANGE_RANK) {
        min_index = request->source + 2;
        max_index = request->source + 1;
    }
    switch (request->kind) {
    case RANGE_SCORE:
        return parse_score_range(c, min_index, max_index, &request->score_min,
                                 &request->score_max);
    case RANGE_LEX:
        return parse_lex_range(c, min_index, max_index, &request->lex_min,
                               &request->lex_max);
    default:
        if (argument_long_long(c, min_index, &request->start) != 0 ||
            argument_long_long(c, max_index, &request->stop) != 0) {
            return -1;
        }
        return 0;
    }
}

/* The elements a parsed request selects: the position walked first and
 * how many.  Returns 0 or -1. */
static int
range_window(struct collection *zset, const struct range_request *request,
             uint64_t *position, uint64_t *count)
{
    uint64_t first, end;
    int result;

    if (request->kind == RANGE_RANK) {
        rank_window(request->start, request->stop, collection_count(zset),
                    request->reverse, position, count);
        return 0;
    }
    if (request->kind == RANGE_SCORE) {
        result = score_range_positions(zset, &request->score_min,
                                       &request->score_max, &first, &end);
    } else {
        result = lex_range_positions(zset, &request->lex_min, &request->lex_max,
                                     request->reverse, &first, &end);
    }
    if (result != 0) {
        return -1;
    }
    limit_window(first, end, request->offset, request->limit, request->reverse,
                 position, count);
    return 0;
}

/* Replies the selected elements of an open sorted set. */
static void
range_reply(struct client *c, struct collection *zset,
            const struct range_request *request)
{
    struct range_sink sink = { NULL, request->with_scores, NULL };
    uint64_t position, count;

    if (range_window(zset, request, &position, &count) != 0) {
        reply_error_storage(c);
        return;
    }
    sink.reply = new_reply_buffer(c);
    if (sink.reply == NULL) {
        return;
    }
    reply_array_header(sink.reply, (long long)(count * (request->with_scores ? 2 : 1)));
    if (walk_range(zset, position, count, request->reverse, &sink) != 0) {
        evbuffer_free(sink.reply);
        reply_error_storage(c);
        return;
    }
    reply_buffer(c, sink.reply);
}

/* Copies the selected elements of an open sorted set into `entries`.
 * Returns 0, or -1 after replying an error. */
static int
range_collect(struct client *c, struct collection *zset,
              const struct range_request *request, struct zset_entries *entries)
{
    struct range_sink sink = { NULL, 1, entries };
    uint64_t position, count;

    if (range_window(zset, request, &position, &count) != 0 ||
        walk_range(zset, position, count, request->reverse, &sink) != 0) {
        reply_error_storage(c);
        return -1;
    }
    return 0;
}

/*
 * ZRANGE, ZRANGESTORE (store), ZRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGE,
 * ZREVRANGEBYSCORE, ZREVRANGEBYLEX: the sorted set is argv[source]; kind
 * and direction are fixed by the older commands, AUTO for ZRANGE.
 */
static void
range_generic(struct client *c, int source, int store, enum range_kind kind,
              enum range_direction direction)
{
    struct range_request request;
    struct zset_entries entries = { NULL, 0, 0 };
    struct collection zset;
    int found;

    memset(&request, 0, sizeof(request));
    memset(&zset, 0, sizeof(zset));
    request.source = source;
    request.store = store;
    request.kind = kind;
    if (range_parse(c, &request, direction) != 0) {
        return;
    }
    found = open_zset(c, source, COLLECTION_READ, &zset);
    if (found == ZSET_REPLIED) {
        goto out;
    }
    if (!store) {
        if (found == DB_NOT_FOUND) {
            reply_array_header(c->reply, 0);
        } else {
            range_reply(c, &zset, &request);
        }
        goto out;
    }
    if (found == DB_FOUND && range_collect(c, &zset, &request, &entries) != 0) {
        goto out;
    }
    collection_close(&zset);
    store_entries(c, 1, &entries);
out:
    entries_free(&entries);
    collection_close(&zset);
}

void
command_ZRANGE(struct client *c)
{
    range_generic(c, 1, 0, RANGE_AUTO, DIRECTION_AUTO);
}

void
command_ZRANGESTORE(struct client *c)
{
    range_generic(c, 2, 1, RANGE_AUTO, DIRECTION_AUTO);
}

void
command_ZRANGEBYSCORE(struct client *c)
{
    range_generic(c, 1, 0, RANGE_SCORE, DIRECTION_FORWARD);
}

void
command_ZRANGEBYLEX(struct client *c)
{
    range_generic(c, 1, 0, RANGE_LEX, DIRECTION_FORWARD);
}

void
command_ZREVRANGE(struct client *c)
{
    range_generic(c, 1, 0, RANGE_RANK, DIRECTION_REVERSE);
}

void
command_ZREVRANGEBYSCORE(struct client *c)
{
    range_generic(c, 1, 0, RANGE_SCORE, DIRECTION_REVERSE);
}

void
command_ZREVRANGEBYLEX(struct client *c)
{
    range_generic(c, 1, 0, RANGE_LEX, DIRECTION_REVERSE);
}

/*----------------------------------------------------------------------------
 * ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX
 *--------------------------------------------------------------------------*/

/* The three ZREMRANGEBY* commands (kind RANK, SCORE or LEX). */
static void
remove_range_generic(struct client *c, enum range_kind kind)
{
    struct range_request request;
    struct collection zset;
    uint64_t position, count;

    memset(&request, 0, sizeof(request));
    memset(&zset, 0, sizeof(zset));
    request.kind = kind;
    request.limit = -1;
    if (kind == RANGE_RANK) {
        if (argument_long_long(c, 2, &request.start) != 0 ||
            argument_long_long(c, 3, &request.stop) != 0) {
            return;
        }
    } else if (kind == RANGE_SCORE) {
        if (parse_score_range(c, 2, 3, &request.score_min, &request.score_max) != 0) {
            return;
        }
    } else if (parse_lex_range(c, 2, 3, &request.lex_min, &request.lex_max) != 0) {
        return;
    }
    switch (open_zset(c, 1, COLLECTION_WRITE, &zset)) {
    case ZSET_REPLIED:
        goto out;
    case DB_NOT_FOUND:
        reply_integer(c->reply, 0);
        goto out;
    default:
        break;
    }
    if (range_window(&zset, &request, &position, &count) != 0 ||
        zset_remove_positions(&zset, position, count) != 0) {
        reply_error_storage(c);
        goto out;
    }
    if (count > 0 && save_collection(c, &zset) != 0) {
        goto out;
    }
    reply_integer(c->reply, (long long)count);
out:
    collection_close(&zset);
}

void
command_ZREMRANGEBYRANK(struct client *c)
{
    remove_range_generic(c, RANGE_RANK);
}

void
command_ZREMRANGEBYSCORE(struct client *c)
{
    remove_range_generic(c, RANGE_SCORE);
}

void
command_ZREMRANGEBYLEX(struct client *c)
{
    remove_range_generic(c, RANGE_LEX);
}

/*----------------------------------------------------------------------------
 * ZPOPMIN ZPOPMAX ZMPOP
 *--------------------------------------------------------------------------*/

/* What a pop was asked. */
struct pop_request {
    int       first_key;       /* argv index of the first key */
    int       key_count;
    int       from_max;        /* ZPOPMAX, ZMPOP MAX */
    long long count;           /* -1: no COUNT given (one element) */
    int       with_key;        /* ZMPOP: [key, [[member, score], ...]] */
};

/*
 * Opens the first of the request's keys that exists.  Returns DB_FOUND
 * (with *key_index), DB_NOT_FOUND when none does, or ZSET_REPLIED after a
 * wrong type or storage error.
 */
static int
pop_open(struct client *c, const struct pop_request *request,
         struct collection *zset, int *key_index)
{
    int index, result;

    for (index = request->first_key;
         index < request->first_key + request->key_count; index++) {
        result = open_zset(c, index, COLLECTION_WRITE, zset);
        if (result != DB_NOT_FOUND) {
            *key_index = index;
            return result;
        }
        collection_close(zset);
    }
    return DB_NOT_FOUND;
}

/* Pops up to request->count elements of an open sorted set into body. */
static int
pop_elements(struct client *c, struct collection *zset, int key_index,
             const struct pop_request *request, struct evbuffer *body)
{
    uint64_t length = collection_count(zset), taken, wanted;

    wanted = request->count < 0 ? 1 : (uint64_t)request->count;
    if (wanted > length) {
        wanted = length;
    }
    if (request->with_key) {
        reply_array_header(body, 2);
        reply_bulk(body, c->argv[key_index], c->argv_length[key_index]);
        reply_array_header(body, (long long)wanted);
    } else {
        reply_array_header(body, (long long)wanted * 2);
    }
    for (taken = 0; taken < wanted; taken++) {
        if (request->with_key) {
            reply_array_header(body, 2);
        }
        if (zset_remove_at(zset, request->from_max ? length - 1 - taken : 0, body) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ZPOPMIN, ZPOPMAX and ZMPOP once their arguments are parsed. */
static void
pop_generic(struct client *c, const struct pop_request *request)
{
    struct collection zset;
    struct evbuffer *body = NULL;
    int key_index = 0;

    memset(&zset, 0, sizeof(zset));
    switch (pop_open(c, request, &zset, &key_index)) {
    case ZSET_REPLIED:
        goto out;
    case DB_NOT_FOUND:
        if (request->with_key) {
            reply_null_array(c->reply);
        } else {
            reply_array_header(c->reply, 0);
        }
        goto out;
    default:
        break;
    }
    if (request->count == 0) {
        reply_array_header(c->reply, 0);
        goto out;
    }
    body = new_reply_buffer(c);
    if (body == NULL) {
        goto out;
    }
    if (pop_elements(c, &zset, key_index, request, body) != 0 ||
        collection_save(&zset) != 0) {
        reply_error_storage(c);
        goto out;
    }
    reply_buffer(c, body);
    body = NULL;
out:
    if (body != NULL) {
        evbuffer_free(body);
    }
    collection_close(&zset);
}

/* ZPOPMIN / ZPOPMAX key [count]. */
static void
pop_min_max(struct client *c, int from_max)
{
    struct pop_request request = { 1, 1, from_max, -1, 0 };

    if (c->argc > 3) {
        reply_error_syntax(c->reply);
        return;
    }
    if (c->argc == 3 &&
        parse_ranged_integer(c, 2, 0, LLONG_MAX, error_must_be_positive,
                             error_must_be_positive, &request.count) != 0) {
        return;
    }
    pop_generic(c, &request);
}

void
command_ZPOPMIN(struct client *c)
{
    pop_min_max(c, 0);
}

void
command_ZPOPMAX(struct client *c)
{
    pop_min_max(c, 1);
}

void
command_ZMPOP(struct client *c)
{
    struct pop_request request = { 2, 0, 0, -1, 1 };
    long long numkeys;
    int index;

    if (parse_ranged_integer(c, 1, 1, LLONG_MAX, error_numkeys, error_numkeys,
                             &numkeys) != 0) {
        return;
    }
    if (numkeys >= c->argc - 2) {
        reply_error_syntax(c->reply);
        return;
    }
    request.key_count = (int)numkeys;
    index = 2 + request.key_count;
    if (argument_is(c, index, "max")) {
        request.from_max = 1;
    } else if (!argument_is(c, index, "min")) {
        reply_error_syntax(c->reply);
        return;
    }
    for (index++; index < c->argc; index++) {
        if (request.count == -1 && argument_is(c, index, "count") &&
            index + 1 < c->argc) {
            index++;
            if (parse_ranged_integer(c, index, 1, LLONG_MAX, error_count,
                                     error_count, &request.count) != 0) {
                return;
            }
        } else {
            reply_error_syntax(c->reply);
            return;
        }
    }
    pop_generic(c, &request);
}

void
command_BZPOPMIN(struct client *c)
{
    reply_error_blocking(c);
}

void
command_BZPOPMAX(struct client *c)
{
    reply_error_blocking(c);
}

void
command_BZMPOP(struct client *c)
{
    reply_error_blocking(c);
}

/*----------------------------------------------------------------------------
 * ZRANDMEMBER
 *--------------------------------------------------------------------------*/

/* Writes the element at `position` of the score tree.  Returns 0 or -1. */
static int
write_element_at(struct collection *zset, uint64_t position, int with_scores,
                 struct evbuffer *body)
{
    struct range_sink sink = { body, with_scores, NULL };
    struct btree_item item;

    if (btree_get_at(score_tree(zset), position, &item) != 1) {
        return -1;
    }
    return sink_element(&sink, &item);
}

/* `count` elements drawn with repetition (a negative count). */
static int
random_with_repetition(struct client *c, struct collection *zset, uint64_t count,
                       int with_scores, struct evbuffer *body)
{
    uint64_t length = collection_count(zset), i;

    for (i = 0; i < count; i++) {
        if (write_element_at(zset, random_below(c, length), with_scores, body) != 0) {
            return -1;
        }
    }
    return 0;
}

/* `count` distinct positions out of `length`, drawn from a shuffle of all
 * of them (many picks).  Returns 0 or -1 (memory, storage). */
static int
random_distinct_dense(struct client *c, struct collection *zset, uint64_t count,
                      int with_scores, struct evbuffer *body)
{
    uint64_t length = collection_count(zset), i, j, swap;
    uint64_t *positions = malloc(sizeof(uint64_t) * length);
    int result = 0;

    if (positions == NULL) {
        return -1;
    }
    for (i = 0; i < length; i++) {
        positions[i] = i;
    }
    for (i = 0; i < count && result == 0; i++) {
        j = i + random_below(c, length - i);
        swap = positions[i];
        positions[i] = positions[j];
        positions[j] = swap;
        result = write_element_at(zset, positions[i], with_scores, body);
    }
    free(positions);
    return result;
}

/* `count` distinct positions out of `length`, drawn one at a time and
 * remembered in an open-addressing table (few picks). */
static int
random_distinct_sparse(struct client *c, struct collection *zset, uint64_t count,
                       int with_scores, struct evbuffer *body)
{
    uint64_t length = collection_count(zset), size = 16, picked = 0, position, slot;
    uint64_t *table;
    int result = 0;

    while (size < count * 2) {
        size *= 2;
    }
    table = malloc(sizeof(uint64_t) * size);
    if (table == NULL) {
        return -1;
    }
    memset(table, 0xff, sizeof(uint64_t) * size);   /* UINT64_MAX: empty */
    while (picked < count && result == 0) {
        position = random_below(c, length);
        slot = (position * 0x9e3779b97f4a7c15ULL) & (size - 1);
        while (table[slot] != UINT64_MAX && table[slot] != position) {
            slot = (slot + 1) & (size - 1);
        }
        if (table[slot] == position) {
            continue;
        }
        table[slot] = position;
        picked++;
        result = write_element_at(zset, position, with_scores, body);
    }
    free(table);
    return result;
}

/* ZRANDMEMBER key count [WITHSCORES] once parsed. */
static void
random_with_count(struct client *c, long long count, int with_scores)
{
    struct collection zset;
    struct evbuffer *body = NULL;
    uint64_t length, wanted;
    int result;

    switch (open_zset(c, 1, COLLECTION_READ, &zset)) {
    case ZSET_REPLIED:
        goto out;
    case DB_NOT_FOUND:
        reply_array_header(c->reply, 0);
        goto out;
    default:
        break;
    }
    if (count == 0) {
        reply_array_header(c->reply, 0);
        goto out;
    }
    if ((body = new_reply_buffer(c)) == NULL) {
        goto out;
    }
    length = collection_count(&zset);
    wanted = count < 0 ? (uint64_t)(-count) : (uint64_t)count;
    if (count > 0 && wanted > length) {
        wanted = length;
    }
    reply_array_header(body, (long long)(wanted * (with_scores ? 2 : 1)));
    if (count < 0) {
        result = random_with_repetition(c, &zset, wanted, with_scores, body);
    } else if (wanted == length) {
        /* The whole set, from the highest score down, as Redis walks it. */
        result = walk_range(&zset, length - 1, length, 1,
                            &(struct range_sink){ body, with_scores, NULL });
    } else if (wanted * SPARSE_PICK_DIVISOR > length) {
        result = random_distinct_dense(c, &zset, wanted, with_scores, body);
    } else {
        result = random_distinct_sparse(c, &zset, wanted, with_scores, body);
    }
    if (result != 0) {
        reply_error_storage(c);
        goto out;
    }
    reply_buffer(c, body);
    body = NULL;
out:
    if (body != NULL) {
        evbuffer_free(body);
    }
    collection_close(&zset);
}

/* ZRANDMEMBER key: one member or nil. */
static void
random_one(struct client *c)
{
    struct collection zset;
    struct btree_item item;
    const char *member;
    size_t length;

    switch (open_zset(c, 1, COLLECTION_READ, &zset)) {
    case ZSET_REPLIED:
        goto out;
    case DB_NOT_FOUND:
        reply_null(c->reply);
        goto out;
    default:
        break;
    }
    if (btree_get_at(score_tree(&zset), random_below(c, collection_count(&zset)),
                     &item) != 1) {
        reply_error_storage(c);
        goto out;
    }
    member = collection_member_of_score_key(&item, &length);
    reply_bulk(c->reply, member, length);
out:
    collection_close(&zset);
}

void
command_ZRANDMEMBER(struct client *c)
{
    long long count;

    if (c->argc < 3) {
        random_one(c);
        return;
    }
    if (argument_long_long(c, 2, &count) != 0) {
        return;
    }
    if (count < -LLONG_MAX) {
        reply_error(c->reply, "ERR value is out of range, value must between "
                              "-9223372036854775807 and 9223372036854775807");
        return;
    }
    if (c->argc > 4 || (c->argc == 4 && !argument_is(c, 3, "withscores"))) {
        reply_error_syntax(c->reply);
        return;
    }
    if (c->argc == 4 && (count < -RANDOM_WITH_SCORES_LIMIT ||
                         count > RANDOM_WITH_SCORES_LIMIT)) {
        reply_error(c->reply, "ERR value is out of range");
        return;
    }
    random_with_count(c, count, c->argc == 4);
}

/*----------------------------------------------------------------------------
 * ZUNION ZINTER ZDIFF ZINTERCARD and the STORE forms
 *--------------------------------------------------------------------------*/

/*
 * Opens argv[index] as an input: a sorted set, a set, or missing.  Returns
 * 0, or -1 after replying WRONGTYPE or a storage error.  The set is looked
 * up a second time without counting a keyspace hit.
 */
static int
source_open(struct client *c, int index, struct zset_source *source)
{
    int result = collection_open(c->server, c->argv[index], c->argv_length[index],
                                 RECORD_ZSET, COLLECTION_READ, &source->collection);

    source->weight = 1.0;
    if (result == COLLECTION_WRONG_TYPE) {
        collection_close(&source->collection);
        result = collection_open(c->server, c->argv[index], c->argv_length[index],
                                 RECORD_SET, COLLECTION_WRITE, &source->collection);
        source->kind = SOURCE_SET;
    } else {
        source->kind = SOURCE_ZSET;
    }
    if (result == COLLECTION_WRONG_TYPE) {
        reply_error_wrong_type(c->reply);
        return -1;
    }
    if (result == DB_ERROR) {
        reply_error_storage(c);
        return -1;
    }
    if (result == DB_NOT_FOUND) {
        source->kind = SOURCE_MISSING;
    }
    source->length = collection_count(&source->collection);
    return 0;
}

static void
sources_close(struct zset_sources *sources)
{
    long long i;

    for (i = 0; i < sources->opened; i++) {
        collection_close(&sources->sources[i].collection);
    }
    free(sources->sources);
    free(sources->order);
    memset(sources, 0, sizeof(*sources));
}

/* Opens `count` inputs from argv[first] on.  Returns 0, or -1 after
 * replying an error. */
static int
sources_open(struct client *c, int first, long long count, struct zset_sources *sources)
{
    long long i;

    sources->count = count;
    sources->sources = calloc((size_t)count, sizeof(*sources->sources));
    sources->order = calloc((size_t)count, sizeof(*sources->order));
    if (sources->sources == NULL || sources->order == NULL) {
        reply_error_out_of_memory(c);
        return -1;
    }
    for (i = 0; i < count; i++) {
        sources->opened++;
        if (source_open(c, first + (int)i, &sources->sources[i]) != 0) {
            return -1;
        }
        sources->order[i] = (int)i;
    }
    return 0;
}

/* Orders the inputs from the smallest to the largest, keeping the given
 * order among equal sizes (Redis sorts them so, with a stable sort). */
static void
sources_sort(struct zset_sources *sources)
{
    long long i, j;
    int moving;

    for (i = 1; i < sources->count; i++) {
        moving = sources->order[i];
        for (j = i; j > 0 && sources->sources[sources->order[j - 1]].length >
                             sources->sources[moving].length; j--) {
            sources->order[j] = sources->order[j - 1];
        }
        sources->order[j] = moving;
    }
}

/* The tree of member keys of an input. */
static struct btree *
source_tree(struct zset_source *source)
{
    return source->kind == SOURCE_ZSET ? member_tree(&source->collection)
                                       : &source->collection.trees[0];
}

/* The score an input's member-key item carries (1 for a set). */
static double
source_score(const struct zset_source *source, const struct btree_item *item)
{
    if (source->kind != SOURCE_ZSET) {
        return 1.0;
    }
    return collection_score_value_decode(item->value, item->value_length);
}

/* Looks a member key up in an input: 1 and *score, 0, or -1. */
static int
source_find(struct zset_source *source, const char *key, size_t key_length,
            double *score)
{
    struct btree_item item;
    int result;

    if (source->kind == SOURCE_MISSING) {
        return 0;
    }
    result = btree_find(source_tree(source), key, key_length, &item);
    if (result == 1) {
        *score = source_score(source, &item);
    }
    return result;
}

/* Combines a score into an aggregate: SUM (inf + -inf is 0), MIN, MAX. */
static void
aggregate_score(double *target, double value, enum aggregate how)
{
    switch (how) {
    case AGGREGATE_SUM:
        *target += value;
        if (isnan(*target)) {
            *target = 0.0;
        }
        break;
    case AGGREGATE_MIN:
        if (value < *target) {
            *target = value;
        }
        break;
    case AGGREGATE_MAX:
        if (value > *target) {
            *target = value;
        }
        break;
    }
}

/* A weighted score (0 * inf is 0). */
static double
weighted(double score, double weight)
{
    double result = score * weight;

    return isnan(result) ? 0.0 : result;
}

/*
 * Visits every element of an input in tree order: visit(item, member,
 * length, score, context) returns 0 to go on, 1 to stop, -1 on error.
 * Returns 0 or -1.
 */
typedef int source_visitor(const struct btree_item *item, const char *member,
                           size_t length, double score, void *context);

static int
source_walk(struct zset_source *source, source_visitor *visit, void *context)
{
    struct btree_cursor cursor;
    struct btree_item item;
    const char *member;
    size_t length;
    int result;

    if (source->kind == SOURCE_MISSING || source->length == 0) {
        return 0;
    }
    result = btree_seek_position(source_tree(source), 0, &cursor);
    while (result == 1) {
        if (btree_cursor_item(&cursor, &item) != 1) {
            return -1;
        }
        member = collection_member_of_member_key(&item, &length);
        result = visit(&item, member, length, source_score(source, &item), context);
        if (result != 0) {
            return result < 0 ? -1 : 0;
        }
        result = btree_cursor_next(&cursor);
    }
    return result < 0 ? -1 : 0;
}

/* The state of one set operation while its first input is walked. */
struct operation_state {
    struct zset_sources      *sources;
    const struct set_request *request;
    struct zset_entries      *entries;
    int                       position;   /* union: the input walked */
    uint64_t                  cardinality;
};

/* Union: every element, weighted, tagged with its input's position. */
static int
union_visit(const struct btree_item *item, const char *member, size_t length,
            double score, void *context)
{
    struct operation_state *state = context;
    struct zset_source *source =
        &state->sources->sources[state->sources->order[state->position]];

    (void)item;
    return entries_add(state->entries, member, length, weighted(score, source->weight),
                       state->position);
}

/* Intersection: an element of the smallest input found in every other. */
static int
inter_visit(const struct btree_item *item, const char *member, size_t length,
            double score, void *context)
{
    struct operation_state *state = context;
    struct zset_sources *sources = state->sources;
    struct zset_source *source;
    double total = weighted(score, sources->sources[sources->order[0]].weight), found;
    long long i;
    int result;

    for (i = 1; i < sources->count; i++) {
        source = &sources->sources[sources->order[i]];
        result = source_find(source, item->key, item->key_length, &found);
        if (result != 1) {
            return result;   /* 0: not in the intersection (go on); -1 */
        }
        aggregate_score(&total, found * source->weight, state->request->aggregate);
    }
    if (state->request->cardinality_only) {
        state->cardinality++;
        return (state->request->limit > 0 &&
                state->cardinality >= (uint64_t)state->request->limit) ? 1 : 0;
    }
    return entries_add(state->entries, member, length, total, 0);
}

/* Difference: an element of the first input found in no other. */
static int
diff_visit(const struct btree_item *item, const char *member, size_t length,
           double score, void *context)
{
    struct operation_state *state = context;
    struct zset_sources *sources = state->sources;
    double found;
    long long i;
    int result;

    for (i = 1; i < sources->count; i++) {
        result = source_find(&sources->sources[i], item->key, item->key_length, &found);
        if (result != 0) {
            return result == 1 ? 0 : -1;
        }
    }
    return entries_add(state->entries, member, length, score, 0);
}

/* Folds the union's entries (sorted by member, then input order) into one
 * entry per member with the aggregated score. */
static void
union_fold(struct zset_entries *entries, enum aggregate how)
{
    size_t read, write = 0;
    struct zset_entry *kept;

    if (entries->count < 2) {
        return;
    }
    qsort(entries->items, entries->count, sizeof(*entries->items),
          compare_entries_by_member);
    for (read = 0; read < entries->count; read++) {
        kept = write > 0 ? &entries->items[write - 1] : NULL;
        if (kept != NULL && compare_members(kept->member, kept->length,
                                            entries->items[read].member,
                                            entries->items[read].length) == 0) {
            aggregate_score(&kept->score, entries->items[read].score, how);
            free(entries->items[read].member);
            continue;
        }
        entries->items[write++] = entries->items[read];
    }
    entries->count = write;
}

/* Computes the operation over the open inputs into `state`.  Returns 0 or
 * -1 (storage, memory). */
static int
operation_compute(struct operation_state *state)
{
    struct zset_sources *sources = state->sources;
    long long i;

    switch (state->request->operation) {
    case OPERATION_UNION:
        for (i = 0; i < sources->count; i++) {
            state->position = (int)i;
            if (source_walk(&sources->sources[sources->order[i]], union_visit,
                            state) != 0) {
                return -1;
            }
        }
        union_fold(state->entries, state->request->aggregate);
        return 0;
    case OPERATION_INTER:
        return source_walk(&sources->sources[sources->order[0]], inter_visit, state);
    default:
        return source_walk(&sources->sources[0], diff_visit, state);
    }
}

/* Parses WEIGHTS, AGGREGATE, WITHSCORES and LIMIT from argv[index] on, as
 * each command allows them.  Replies and returns -1 on an error. */
static int
operation_parse_options(struct client *c, int index, struct set_request *request,
                        struct zset_sources *sources)
{
    int weighted_operation = request->operation != OPERATION_DIFF &&
                             !request->cardinality_only;
    long long remaining, i;

    while (index < c->argc) {
        remaining = c->argc - index;
        if (weighted_operation && remaining >= sources->count + 1 &&
            argument_is(c, index, "weights")) {
            for (index++, i = 0; i < sources->count; i++, index++) {
                if (parse_float(c, index, "ERR weight value is not a float",
                                &sources->sources[i].weight) != 0) {
                    return -1;
                }
            }
        } else if (weighted_operation && remaining >= 2 &&
                   argument_is(c, index, "aggregate")) {
            index++;
            if (argument_is(c, index, "sum")) {
                request->aggregate = AGGREGATE_SUM;
            } else if (argument_is(c, index, "min")) {
                request->aggregate = AGGREGATE_MIN;
            } else if (argument_is(c, index, "max")) {
                request->aggregate = AGGREGATE_MAX;
            } else {
                reply_error_syntax(c->reply);
                return -1;
            }
            index++;
        } else if (request->destination == 0 && !request->cardinality_only &&
                   argument_is(c, index, "withscores")) {
            request->with_scores = 1;
            index++;
        } else if (request->cardinality_only && remaining >= 2 &&
                   argument_is(c, index, "limit")) {
            if (parse_ranged_integer(c, index + 1, 0, LLONG_MAX, error_limit,
                                     error_limit, &request->limit) != 0) {
                return -1;
            }
            index += 2;
        } else {
            reply_error_syntax(c->reply);
            return -1;
        }
    }
    return 0;
}

/* Replies the result of ZUNION / ZINTER / ZDIFF in sorted set order. */
static void
operation_reply(struct client *c, struct zset_entries *entries, int with_scores)
{
    struct evbuffer *body = new_reply_buffer(c);
    size_t i;

    if (body == NULL) {
        return;
    }
    if (entries->count > 1) {
        qsort(entries->items, entries->count, sizeof(*entries->items),
              compare_entries_by_score);
    }
    reply_array_header(body, (long long)entries->count * (with_scores ? 2 : 1));
    for (i = 0; i < entries->count; i++) {
        reply_bulk(body, entries->items[i].member, entries->items[i].length);
        if (with_scores) {
            reply_bulk_double(body, entries->items[i].score);
        }
    }
    reply_buffer(c, body);
}

/* Parses numkeys at argv[request->numkeys_index]; replies and returns -1
 * when it is not a usable count of the keys given. */
static int
operation_parse_numkeys(struct client *c, const struct set_request *request,
                        long long *count)
{
    if (argument_long_long(c, request->numkeys_index, count) != 0) {
        return -1;
    }
    if (*count < 1) {
        reply_error_format(c->reply, "ERR at least 1 input key is needed for "
                           "'%s' command", c->command->name);
        return -1;
    }
    if (*count > c->argc - (request->numkeys_index + 1)) {
        reply_error_syntax(c->reply);
        return -1;
    }
    return 0;
}

/* Every ZUNION / ZINTER / ZDIFF / ZINTERCARD form, with Redis's order of
 * checks: numkeys, the inputs' types, then the options. */
static void
operation_generic(struct client *c, struct set_request *request)
{
    struct zset_entries entries = { NULL, 0, 0 };
    struct zset_sources sources;
    struct operation_state state;
    long long count;
    int first;

    memset(&sources, 0, sizeof(sources));
    if (operation_parse_numkeys(c, request, &count) != 0) {
        return;
    }
    first = request->numkeys_index + 1;
    if (sources_open(c, first, count, &sources) != 0 ||
        operation_parse_options(c, first + (int)count, request, &sources) != 0) {
        goto out;
    }
    if (request->operation != OPERATION_DIFF) {
        sources_sort(&sources);
    }
    memset(&state, 0, sizeof(state));
    state.sources = &sources;
    state.request = request;
    state.entries = &entries;
    if (operation_compute(&state) != 0) {
        reply_error_storage(c);
        goto out;
    }
    sources_close(&sources);
    if (request->destination != 0) {
        store_entries(c, request->destination, &entries);
    } else if (request->cardinality_only) {
        reply_integer(c->reply, (long long)state.cardinality);
    } else {
        operation_reply(c, &entries, request->with_scores);
    }
out:
    entries_free(&entries);
    sources_close(&sources);
}

/* Runs one of the operations; destination 0 replies instead of storing. */
static void
operation_command(struct client *c, enum set_operation operation, int destination,
                  int cardinality_only)
{
    struct set_request request;

    memset(&request, 0, sizeof(request));
    request.operation = operation;
    request.destination = destination;
    request.numkeys_index = destination != 0 ? 2 : 1;
    request.cardinality_only = cardinality_only;
    request.aggregate = AGGREGATE_SUM;
    operation_generic(c, &request);
}

void
command_ZUNIONSTORE(struct client *c)
{
    operation_command(c, OPERATION_UNION, 1, 0);
}

void
command_ZINTERSTORE(struct client *c)
{
    operation_command(c, OPERATION_INTER, 1, 0);
}

void
command_ZDIFFSTORE(struct client *c)
{
    operation_command(c, OPERATION_DIFF, 1, 0);
}

void
command_ZUNION(struct client *c)
{
    operation_command(c, OPERATION_UNION, 0, 0);
}

void
command_ZINTER(struct client *c)
{
    operation_command(c, OPERATION_INTER, 0, 0);
}

void
command_ZDIFF(struct client *c)
{
    operation_command(c, OPERATION_DIFF, 0, 0);
}

void
command_ZINTERCARD(struct client *c)
{
    operation_command(c, OPERATION_INTER, 0, 1);
}
