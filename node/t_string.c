/*
 * t_string.c — the string commands: GET, SET and its variants, MGET, MSET,
 * APPEND, ranges and counters.
 *
 * Every reply and error is the one Redis 7.0 gives for the same input, in
 * the same order of checks (which argument is validated first decides
 * which error a client sees).  A write replaces the key's whole value with
 * db_write(), which mints a new version; commands that change a value in
 * place in Redis (APPEND, SETRANGE, INCR...) keep the key's expiry, those
 * that replace it (SET, GETSET, MSET) drop it unless told otherwise.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "node/db.h"
#include "node/record.h"
#include "node/server.h"
#include "node/t_common.h"
#include "shared/number.h"
#include "shared/reply.h"

/* Options of SET and GETEX (bits of struct string_options.flags). */
#define OPTION_NX       (1u << 0)  /* only if the key does not exist */
#define OPTION_XX       (1u << 1)  /* only if the key exists */
#define OPTION_GET      (1u << 2)  /* reply with the old value */
#define OPTION_KEEPTTL  (1u << 3)  /* keep the key's expiry */
#define OPTION_PERSIST  (1u << 4)  /* remove the key's expiry (GETEX) */
#define OPTION_EX       (1u << 5)  /* expire in N seconds */
#define OPTION_PX       (1u << 6)  /* expire in N milliseconds */
#define OPTION_EXAT     (1u << 7)  /* expire at Unix time N seconds */
#define OPTION_PXAT     (1u << 8)  /* expire at Unix time N milliseconds */
/* Not a command-line option: reply :1 / :0 instead of +OK / nil (SETNX). */
#define OPTION_INTEGER_REPLY (1u << 9)

#define OPTION_ANY_EXPIRE (OPTION_EX | OPTION_PX | OPTION_EXAT | OPTION_PXAT)

/* Which commands accept an option. */
#define OPTION_FOR_SET    (1u << 0)
#define OPTION_FOR_GETEX  (1u << 1)
#define OPTION_FOR_BOTH   (OPTION_FOR_SET | OPTION_FOR_GETEX)

/* An expiry option conflicts with KEEPTTL, PERSIST and the other three
 * expiry options, but may be repeated itself. */
#define EXPIRE_CONFLICTS(own) \
    ((OPTION_KEEPTTL | OPTION_PERSIST | OPTION_ANY_EXPIRE) & ~(own))

/* Room for any value INCRBYFLOAT can format (Redis's 5k limit). */
#define LONG_DOUBLE_TEXT_SIZE (5 * 1024)

/*
 * One option of SET or GETEX.  An option is rejected (syntax error) when
 * one of `conflicts` was given before it, as Redis does; repeating an
 * option is allowed (the last expiry wins).
 */
struct string_option_rule {
    const char   *name;
    unsigned int  flag;
    unsigned int  conflicts;
    unsigned int  commands;     /* OPTION_FOR_* */
    int           takes_value;  /* 1: the next argument is its value */
};

static const struct string_option_rule string_option_rules[] = {
    { "nx", OPTION_NX, OPTION_XX, OPTION_FOR_SET, 0 },
    { "xx", OPTION_XX, OPTION_NX, OPTION_FOR_SET, 0 },
    { "get", OPTION_GET, 0, OPTION_FOR_SET, 0 },
    { "keepttl", OPTION_KEEPTTL, OPTION_PERSIST | OPTION_ANY_EXPIRE,
      OPTION_FOR_SET, 0 },
    { "persist", OPTION_PERSIST, OPTION_KEEPTTL | OPTION_ANY_EXPIRE,
      OPTION_FOR_GETEX, 0 },
    { "ex", OPTION_EX, EXPIRE_CONFLICTS(OPTION_EX), OPTION_FOR_BOTH, 1 },
    { "px", OPTION_PX, EXPIRE_CONFLICTS(OPTION_PX), OPTION_FOR_BOTH, 1 },
    { "exat", OPTION_EXAT, EXPIRE_CONFLICTS(OPTION_EXAT), OPTION_FOR_BOTH, 1 },
    { "pxat", OPTION_PXAT, EXPIRE_CONFLICTS(OPTION_PXAT), OPTION_FOR_BOTH, 1 },
    { NULL, 0, 0, 0, 0 }
};

/* What SET, SETNX, SETEX, PSETEX and GETEX were asked to do. */
struct string_options {
    unsigned int  flags;          /* OPTION_* */
    const char   *expire;         /* the EX/PX/EXAT/PXAT argument, or NULL */
    size_t        expire_length;
    const char   *command_name;   /* for "invalid expire time in '...'" */
};

/*----------------------------------------------------------------------------
 * Helpers
 *--------------------------------------------------------------------------*/

static void
reply_error_expire_time(struct client *c, const char *command_name)
{
    reply_error_format(c->reply, "ERR invalid expire time in '%s' command",
                       command_name);
}

/* "now" for every expiry decision of the running command. */
static int64_t
command_now_ms(struct client *c)
{
    return (int64_t)c->server->command_time_ms;
}

/* How a command looks a key up: Redis counts keyspace hits and misses only
 * for lookups made to read (GET, MGET, STRLEN...), not for the lookups of
 * write commands (APPEND, INCR, SETRANGE...). */
enum lookup_purpose {
    LOOKUP_TO_READ,
    LOOKUP_TO_WRITE
};

/*
 * Looks a key up with its value.  Returns DB_FOUND or DB_NOT_FOUND; on a
 * storage error, or when the key holds another type, replies with the
 * error and returns DB_ERROR.  On DB_FOUND the caller releases `value`.
 */
static int
lookup_string(struct client *c, int index, enum lookup_purpose purpose,
              struct db_value *value)
{
    const char *key = c->argv[index];
    size_t length = c->argv_length[index];
    int found;

    if (purpose == LOOKUP_TO_READ) {
        found = db_lookup(c->server, key, length, value);
    } else {
        found = db_lookup_write(c->server, key, length, value);
    }
    if (found == DB_ERROR) {
        reply_error_storage(c);
        return DB_ERROR;
    }
    if (found == DB_FOUND && value->type != RECORD_STRING) {
        db_value_release(value);
        reply_error_wrong_type(c->reply);
        return DB_ERROR;
    }
    return found;
}

/* Stores a string value under argument `index`; replies on error. */
static int
write_string(struct client *c, int index, const void *data, size_t length,
             int64_t expire_ms)
{
    if (db_write(c->server, c->argv[index], c->argv_length[index],
                 RECORD_STRING, data, length, expire_ms) != 0) {
        reply_error_storage(c);
        return -1;
    }
    return 0;
}

/*
 * Checks that a string of `length + extra` bytes is allowed
 * (proto-max-bulk-len); replies with Redis's error if not.
 */
static int
check_string_length(struct client *c, long long length, long long extra)
{
    long long limit = c->server->settings.max_bulk_length;

    if (length > limit || extra > limit - length) {
        reply_error(c->reply, "ERR string exceeds maximum allowed size "
                              "(proto-max-bulk-len)");
        return -1;
    }
    return 0;
}

/*----------------------------------------------------------------------------
 * SET / GETEX options and expiry
 *--------------------------------------------------------------------------*/

static const struct string_option_rule *
find_option_rule(const char *argument, size_t length)
{
    const struct string_option_rule *rule;

    for (rule = string_option_rules; rule->name != NULL; rule++) {
        if (option_is(argument, length, rule->name)) {
            return rule;
        }
    }
    return NULL;
}

/*
 * Parses the options of SET (command OPTION_FOR_SET, from argv[3]) or
 * GETEX (OPTION_FOR_GETEX, from argv[2]) into `options`.  Replies with a
 * syntax error and returns -1 on an unknown, misplaced or conflicting
 * option, or an expiry option without its value.
 */
static int
parse_string_options(struct client *c, unsigned int command,
                     struct string_options *options)
{
    const struct string_option_rule *rule;
    int index = (command == OPTION_FOR_SET) ? 3 : 2;

    for (; index < c->argc; index++) {
        rule = find_option_rule(c->argv[index], c->argv_length[index]);
        if (rule == NULL || (rule->commands & command) == 0 ||
            (options->flags & rule->conflicts) != 0 ||
            (rule->takes_value && index + 1 >= c->argc)) {
            reply_error_syntax(c->reply);
            return -1;
        }
        options->flags |= rule->flag;
        if (rule->takes_value) {
            index++;
            options->expire = c->argv[index];
            options->expire_length = c->argv_length[index];
        }
    }
    return 0;
}

/*
 * Turns the expiry argument of `options` into absolute Unix milliseconds.
 * Like Redis: the number must be positive, seconds must fit once converted
 * to milliseconds, and a relative expiry must not overflow when now is
 * added.  Replies with an error and returns -1 otherwise.
 */
static int
options_expire_ms(struct client *c, const struct string_options *options,
                  int64_t *expire_ms)
{
    long long value;
    int64_t now = command_now_ms(c);

    if (!string_to_long_long(options->expire, options->expire_length, &value)) {
        reply_error_not_integer(c->reply);
        return -1;
    }
    if (value <= 0) {
        goto invalid;
    }
    if (options->flags & (OPTION_EX | OPTION_EXAT)) {
        if (value > LLONG_MAX / 1000) {
            goto invalid;
        }
        value *= 1000;
    }
    if (options->flags & (OPTION_EX | OPTION_PX)) {
        if (value > LLONG_MAX - now) {
            goto invalid;
        }
        value += now;
    }
    *expire_ms = value;
    return 0;

invalid:
    reply_error_expire_time(c, options->command_name);
    return -1;
}

/*----------------------------------------------------------------------------
 * GET, SET and friends
 *--------------------------------------------------------------------------*/

/* Replies with the value of a string key, nil if missing. */
static void
reply_value(struct client *c, int found, const struct db_value *value)
{
    if (found == DB_FOUND) {
        reply_bulk(c->reply, value->data, value->length);
    } else {
        reply_null(c->reply);
    }
}

/*
 * Reads what SET needs to know about the key before writing: the old value
 * for GET (which must be a string), else only whether it exists and its
 * expiry, from the index (like Redis's write lookup: an expired key is
 * reclaimed, no keyspace hit or miss is counted).  Returns DB_FOUND,
 * DB_NOT_FOUND, or DB_ERROR after replying.  On DB_FOUND the caller
 * releases `old`.
 */
static int
set_lookup_old(struct client *c, const struct string_options *options,
               struct db_value *old)
{
    int found;

    if (options->flags & OPTION_GET) {
        return lookup_string(c, 1, LOOKUP_TO_READ, old);
    }
    memset(old, 0, sizeof(*old));
    found = db_peek(c->server, c->argv[1], c->argv_length[1], &old->type,
                    &old->expire_ms);
    if (found == DB_ERROR) {
        reply_error_storage(c);
    }
    return found;
}

/* Replies when SET did not write because of NX or XX. */
static void
set_reply_aborted(struct client *c, const struct string_options *options,
                  int found, const struct db_value *old)
{
    if (options->flags & OPTION_GET) {
        reply_value(c, found, old);
    } else if (options->flags & OPTION_INTEGER_REPLY) {
        reply_integer(c->reply, 0);
    } else {
        reply_null(c->reply);
    }
}

/* Replies after SET wrote its value. */
static void
set_reply_done(struct client *c, const struct string_options *options,
               int found, const struct db_value *old)
{
    if (options->flags & OPTION_GET) {
        reply_value(c, found, old);
    } else if (options->flags & OPTION_INTEGER_REPLY) {
        reply_integer(c->reply, 1);
    } else {
        reply_ok(c->reply);
    }
}

/*
 * SET, SETNX, SETEX and PSETEX: stores `value` under argv[1] as `options`
 * say.  The checks run in Redis's order: expiry value, then the old value
 * for GET (WRONGTYPE), then NX / XX.  An EXAT / PXAT already in the past
 * is stored as given, as Redis 7.0 does: the key expires (and is counted
 * as expired) at its next access.
 */
static void
set_generic(struct client *c, const struct string_options *options,
            const char *value, size_t value_length)
{
    struct db_value old;
    int64_t expire_ms = 0;
    int found;

    if (options->expire != NULL &&
        options_expire_ms(c, options, &expire_ms) != 0) {
        return;
    }
    found = set_lookup_old(c, options, &old);
    if (found == DB_ERROR) {
        return;
    }
    if (((options->flags & OPTION_NX) && found == DB_FOUND) ||
        ((options->flags & OPTION_XX) && found != DB_FOUND)) {
        set_reply_aborted(c, options, found, &old);
        goto out;
    }
    if ((options->flags & OPTION_KEEPTTL) && found == DB_FOUND) {
        expire_ms = old.expire_ms;
    }
    if (write_string(c, 1, value, value_length, expire_ms) != 0) {
        goto out;
    }
    set_reply_done(c, options, found, &old);

out:
    if (found == DB_FOUND) {
        db_value_release(&old);
    }
}

void
command_GET(struct client *c)
{
    struct db_value value;
    int found;

    found = lookup_string(c, 1, LOOKUP_TO_READ, &value);
    if (found == DB_ERROR) {
        return;
    }
    reply_value(c, found, &value);
    if (found == DB_FOUND) {
        db_value_release(&value);
    }
}

void
command_SET(struct client *c)
{
    struct string_options options = { 0, NULL, 0, "set" };

    if (parse_string_options(c, OPTION_FOR_SET, &options) != 0) {
        return;
    }
    set_generic(c, &options, c->argv[2], c->argv_length[2]);
}

void
command_SETNX(struct client *c)
{
    struct string_options options = {
        OPTION_NX | OPTION_INTEGER_REPLY, NULL, 0, "setnx"
    };

    set_generic(c, &options, c->argv[2], c->argv_length[2]);
}

void
command_SETEX(struct client *c)
{
    struct string_options options = {
        OPTION_EX, c->argv[2], c->argv_length[2], "setex"
    };

    set_generic(c, &options, c->argv[3], c->argv_length[3]);
}

void
command_PSETEX(struct client *c)
{
    struct string_options options = {
        OPTION_PX, c->argv[2], c->argv_length[2], "psetex"
    };

    set_generic(c, &options, c->argv[3], c->argv_length[3]);
}

/* GETSET: replies with the old value and sets a new one (without expiry). */
void
command_GETSET(struct client *c)
{
    struct db_value old;
    int found;

    found = lookup_string(c, 1, LOOKUP_TO_READ, &old);
    if (found == DB_ERROR) {
        return;
    }
    if (write_string(c, 1, c->argv[2], c->argv_length[2], 0) == 0) {
        reply_value(c, found, &old);
    }
    if (found == DB_FOUND) {
        db_value_release(&old);
    }
}

void
command_GETDEL(struct client *c)
{
    struct db_value value;
    int found;

    found = lookup_string(c, 1, LOOKUP_TO_READ, &value);
    if (found == DB_ERROR) {
        return;
    }
    if (found == DB_FOUND &&
        db_delete(c->server, c->argv[1], c->argv_length[1]) == DB_ERROR) {
        reply_error_storage(c);
        goto out;
    }
    reply_value(c, found, &value);

out:
    if (found == DB_FOUND) {
        db_value_release(&value);
    }
}

/*
 * Applies GETEX's expiry change to an existing key: a new expiry (deleting
 * the key when an absolute one has passed), or PERSIST.  Returns 0, or -1
 * after replying with an error.
 */
static int
getex_apply(struct client *c, const struct string_options *options,
            const struct db_value *value, int64_t expire_ms)
{
    int result = DB_FOUND;

    if (options->expire != NULL && expire_ms <= command_now_ms(c)) {
        result = db_delete(c->server, c->argv[1], c->argv_length[1]);
    } else if (options->expire != NULL) {
        result = db_set_expire(c->server, c->argv[1], c->argv_length[1],
                               expire_ms);
    } else if ((options->flags & OPTION_PERSIST) && value->expire_ms != 0) {
        result = db_set_expire(c->server, c->argv[1], c->argv_length[1], 0);
    }
    if (result == DB_ERROR) {
        reply_error_storage(c);
        return -1;
    }
    return 0;
}

/*
 * GETEX: replies with the value and changes its expiry.  As in Redis, a
 * missing key answers nil before the expiry value is even looked at.
 */
void
command_GETEX(struct client *c)
{
    struct string_options options = { 0, NULL, 0, "getex" };
    struct db_value value;
    int64_t expire_ms = 0;
    int found;

    if (parse_string_options(c, OPTION_FOR_GETEX, &options) != 0) {
        return;
    }
    found = lookup_string(c, 1, LOOKUP_TO_READ, &value);
    if (found != DB_FOUND) {
        if (found == DB_NOT_FOUND) {
            reply_null(c->reply);
        }
        return;
    }
    if (options.expire != NULL &&
        options_expire_ms(c, &options, &expire_ms) != 0) {
        goto out;
    }
    if (getex_apply(c, &options, &value, expire_ms) == 0) {
        reply_value(c, found, &value);
    }

out:
    db_value_release(&value);
}

/*----------------------------------------------------------------------------
 * Multi-key commands
 *--------------------------------------------------------------------------*/

/* MGET: nil for a missing key or a key of another type. */
void
command_MGET(struct client *c)
{
    struct db_value value;
    int index, found;

    reply_array_header(c->reply, c->argc - 1);
    for (index = 1; index < c->argc; index++) {
        found = db_lookup(c->server, c->argv[index], c->argv_length[index],
                          &value);
        if (found == DB_FOUND && value.type == RECORD_STRING) {
            reply_bulk(c->reply, value.data, value.length);
        } else {
            reply_null(c->reply);
        }
        if (found == DB_FOUND) {
            db_value_release(&value);
        }
    }
}

/*
 * Returns DB_FOUND when one of MSETNX's keys exists, DB_NOT_FOUND when
 * none does, DB_ERROR after replying on a storage error.
 */
static int
mset_any_exists(struct client *c)
{
    int index, found;

    for (index = 1; index < c->argc; index += 2) {
        found = db_peek(c->server, c->argv[index], c->argv_length[index],
                        NULL, NULL);
        if (found == DB_ERROR) {
            reply_error_storage(c);
            return DB_ERROR;
        }
        if (found == DB_FOUND) {
            return DB_FOUND;
        }
    }
    return DB_NOT_FOUND;
}

/* MSET and MSETNX (only_new: set nothing if any key exists). */
static void
mset_generic(struct client *c, int only_new)
{
    int index, exists;

    if ((c->argc % 2) == 0) {
        reply_error_arity(c->reply, only_new ? "msetnx" : "mset");
        return;
    }
    if (only_new) {
        exists = mset_any_exists(c);
        if (exists == DB_ERROR) {
            return;
        }
        if (exists == DB_FOUND) {
            reply_integer(c->reply, 0);
            return;
        }
    }
    for (index = 1; index < c->argc; index += 2) {
        if (write_string(c, index, c->argv[index + 1],
                         c->argv_length[index + 1], 0) != 0) {
            return;
        }
    }
    if (only_new) {
        reply_integer(c->reply, 1);
    } else {
        reply_ok(c->reply);
    }
}

void
command_MSET(struct client *c)
{
    mset_generic(c, 0);
}

void
command_MSETNX(struct client *c)
{
    mset_generic(c, 1);
}

/*----------------------------------------------------------------------------
 * APPEND, STRLEN, ranges
 *--------------------------------------------------------------------------*/

/* Appends argv[2] to an existing string value, keeping its expiry.
 * Replies with the new length or an error. */
static void
append_to_existing(struct client *c, const struct db_value *value)
{
    size_t length = value->length + c->argv_length[2];
    char *joined;

    if (check_string_length(c, (long long)value->length,
                            (long long)c->argv_length[2]) != 0) {
        return;
    }
    joined = malloc(length + 1);
    if (joined == NULL) {
        reply_error_out_of_memory(c);
        return;
    }
    memcpy(joined, value->data, value->length);
    memcpy(joined + value->length, c->argv[2], c->argv_length[2]);
    if (write_string(c, 1, joined, length, value->expire_ms) == 0) {
        reply_integer(c->reply, (long long)length);
    }
    free(joined);
}

void
command_APPEND(struct client *c)
{
    struct db_value value;
    int found;

    found = lookup_string(c, 1, LOOKUP_TO_WRITE, &value);
    if (found == DB_ERROR) {
        return;
    }
    if (found == DB_NOT_FOUND) {
        if (write_string(c, 1, c->argv[2], c->argv_length[2], 0) == 0) {
            reply_integer(c->reply, (long long)c->argv_length[2]);
        }
        return;
    }
    append_to_existing(c, &value);
    db_value_release(&value);
}

void
command_STRLEN(struct client *c)
{
    struct db_value value;
    int found;

    found = lookup_string(c, 1, LOOKUP_TO_READ, &value);
    if (found == DB_ERROR) {
        return;
    }
    if (found == DB_NOT_FOUND) {
        reply_integer(c->reply, 0);
        return;
    }
    reply_integer(c->reply, (long long)value.length);
    db_value_release(&value);
}

/*
 * Replies with bytes start..end (inclusive, negative counting from the
 * end) of a string of `length` bytes, clamped as Redis clamps them.
 */
static void
reply_range(struct client *c, const char *data, long long length,
            long long start, long long end)
{
    if (start < 0 && end < 0 && start > end) {
        reply_bulk(c->reply, "", 0);
        return;
    }
    if (start < 0) {
        start += length;
    }
    if (end < 0) {
        end += length;
    }
    if (start < 0) {
        start = 0;
    }
    if (end < 0) {
        end = 0;
    }
    if (end >= length) {
        end = length - 1;
    }
    if (start > end || length == 0) {
        reply_bulk(c->reply, "", 0);
        return;
    }
    reply_bulk(c->reply, data + start, (size_t)(end - start + 1));
}

/* GETRANGE and SUBSTR: the indexes are checked before the key. */
static void
getrange_generic(struct client *c)
{
    struct db_value value;
    long long start, end;
    int found;

    if (argument_long_long(c, 2, &start) != 0 ||
        argument_long_long(c, 3, &end) != 0) {
        return;
    }
    found = lookup_string(c, 1, LOOKUP_TO_READ, &value);
    if (found == DB_ERROR) {
        return;
    }
    if (found == DB_NOT_FOUND) {
        reply_bulk(c->reply, "", 0);
        return;
    }
    reply_range(c, value.data, (long long)value.length, start, end);
    db_value_release(&value);
}

void
command_GETRANGE(struct client *c)
{
    getrange_generic(c);
}

void
command_SUBSTR(struct client *c)
{
    getrange_generic(c);
}

/*
 * Writes argv[3] at `offset` into `old` (NULL for a new key), zero-padding
 * as needed, and stores the result with `expire_ms`.  Replies with the new
 * length or an error.
 */
static void
setrange_write(struct client *c, const char *old, size_t old_length,
               size_t offset, int64_t expire_ms)
{
    size_t end = offset + c->argv_length[3];
    size_t length = (end > old_length) ? end : old_length;
    char *buffer;

    buffer = calloc(1, length + 1);
    if (buffer == NULL) {
        reply_error_out_of_memory(c);
        return;
    }
    if (old != NULL) {
        memcpy(buffer, old, old_length);
    }
    memcpy(buffer + offset, c->argv[3], c->argv_length[3]);
    if (write_string(c, 1, buffer, length, expire_ms) == 0) {
        reply_integer(c->reply, (long long)length);
    }
    free(buffer);
}

/*
 * SETRANGE.  In Redis's order: the offset must be an integer, then not
 * negative; an empty value changes nothing and answers the current length
 * (even past the size limit); otherwise offset + value must fit.
 */
void
command_SETRANGE(struct client *c)
{
    struct db_value value;
    long long offset;
    int found;

    if (argument_long_long(c, 2, &offset) != 0) {
        return;
    }
    if (offset < 0) {
        reply_error(c->reply, "ERR offset is out of range");
        return;
    }
    found = lookup_string(c, 1, LOOKUP_TO_WRITE, &value);
    if (found == DB_ERROR) {
        return;
    }
    if (c->argv_length[3] == 0) {
        reply_integer(c->reply,
                      found == DB_FOUND ? (long long)value.length : 0);
    } else if (check_string_length(c, offset,
                                   (long long)c->argv_length[3]) == 0) {
        if (found == DB_FOUND) {
            setrange_write(c, value.data, value.length, (size_t)offset,
                           value.expire_ms);
        } else {
            setrange_write(c, NULL, 0, (size_t)offset, 0);
        }
    }
    if (found == DB_FOUND) {
        db_value_release(&value);
    }
}

/*----------------------------------------------------------------------------
 * Counters
 *--------------------------------------------------------------------------*/

/*
 * INCR, DECR, INCRBY, DECRBY: adds `increment` to the integer stored at
 * argv[1] (0 when missing), keeping the key's expiry.
 */
static void
incr_generic(struct client *c, long long increment)
{
    struct db_value value;
    long long current = 0;
    char text[32];
    int found, length;

    found = lookup_string(c, 1, LOOKUP_TO_WRITE, &value);
    if (found == DB_ERROR) {
        return;
    }
    if (found == DB_FOUND &&
        !string_to_long_long(value.data, value.length, &current)) {
        reply_error_not_integer(c->reply);
        goto out;
    }
    if ((increment < 0 && current < 0 && increment < LLONG_MIN - current) ||
        (increment > 0 && current > 0 && increment > LLONG_MAX - current)) {
        reply_error(c->reply, "ERR increment or decrement would overflow");
        goto out;
    }
    current += increment;
    length = long_long_to_string(text, sizeof(text), current);
    if (write_string(c, 1, text, (size_t)length,
                     found == DB_FOUND ? value.expire_ms : 0) == 0) {
        reply_integer(c->reply, current);
    }

out:
    if (found == DB_FOUND) {
        db_value_release(&value);
    }
}

void
command_INCR(struct client *c)
{
    incr_generic(c, 1);
}

void
command_DECR(struct client *c)
{
    incr_generic(c, -1);
}

void
command_INCRBY(struct client *c)
{
    long long increment;

    if (argument_long_long(c, 2, &increment) != 0) {
        return;
    }
    incr_generic(c, increment);
}

void
command_DECRBY(struct client *c)
{
    long long decrement;

    if (argument_long_long(c, 2, &decrement) != 0) {
        return;
    }
    if (decrement == LLONG_MIN) {
        reply_error(c->reply, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, -decrement);
}

/*
 * INCRBYFLOAT.  Redis checks the key's type and stored number before the
 * increment argument, so the same order is kept here.  The result is
 * stored as text in Redis's "human friendly" format and replied as a bulk
 * string; the key's expiry is kept.
 */
void
command_INCRBYFLOAT(struct client *c)
{
    struct db_value value;
    long double current = 0, increment;
    char text[LONG_DOUBLE_TEXT_SIZE];
    int found, length;

    found = lookup_string(c, 1, LOOKUP_TO_WRITE, &value);
    if (found == DB_ERROR) {
        return;
    }
    if ((found == DB_FOUND &&
         !string_to_long_double(value.data, value.length, &current)) ||
        !string_to_long_double(c->argv[2], c->argv_length[2], &increment)) {
        reply_error(c->reply, "ERR value is not a valid float");
        goto out;
    }
    current += increment;
    if (isnan(current) || isinf(current)) {
        reply_error(c->reply, "ERR increment would produce NaN or Infinity");
        goto out;
    }
    length = long_double_to_string(text, sizeof(text), current);
    if (write_string(c, 1, text, (size_t)length,
                     found == DB_FOUND ? value.expire_ms : 0) == 0) {
        reply_bulk(c->reply, text, (size_t)length);
    }

out:
    if (found == DB_FOUND) {
        db_value_release(&value);
    }
}
