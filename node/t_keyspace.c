/*
 * t_keyspace.c — commands on keys of any type: DEL UNLINK EXISTS TYPE
 * EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME PERSIST
 * TOUCH SCAN KEYS DBSIZE RANDOMKEY FLUSHDB FLUSHALL RENAME RENAMENX COPY
 * OBJECT.
 *
 * Semantics and error texts follow Redis 7.0.  Single-key questions (TYPE,
 * TTL, EXISTS ...) read only the 24-byte record header; SCAN, KEYS and
 * RANDOMKEY walk the in-memory key index, which also holds each key's type
 * and expiry, so they never read values.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <tcutil.h>
#include "shared/glob.h"
#include "shared/slot.h"
#include "node/cluster.h"
#include "shared/number.h"
#include "shared/random.h"
#include "shared/reply.h"
#include "node/collection.h"
#include "node/db.h"
#include "node/keyindex.h"
#include "node/record.h"
#include "node/server.h"
#include "node/t_common.h"

#define SCAN_DEFAULT_COUNT 10

/* EXPIRE options. */
#define EXPIRE_NX (1 << 0)
#define EXPIRE_XX (1 << 1)
#define EXPIRE_GT (1 << 2)
#define EXPIRE_LT (1 << 3)

static uint64_t
command_now(const struct client *c)
{
    return c->server->command_time_ms != 0 ? c->server->command_time_ms
                                           : wall_clock_milliseconds(NULL);
}

/* ------------------------------------------------------------------------
 * DEL UNLINK EXISTS TOUCH TYPE
 * ------------------------------------------------------------------------ */

static void
delete_keys(struct client *c)
{
    long long deleted = 0;
    int i, result;

    for (i = 1; i < c->argc; i++) {
        result = db_delete(c->server, c->argv[i], c->argv_length[i]);
        if (result == DB_ERROR) {
            reply_error_storage(c);
            return;
        }
        deleted += result == DB_FOUND;
    }
    reply_integer(c->reply, deleted);
}

void
command_DEL(struct client *c)
{
    delete_keys(c);
}

void
command_UNLINK(struct client *c)
{
    delete_keys(c);
}

/* Counts the arguments (from 1) naming existing keys; duplicates count.
 * Each lookup counts a keyspace hit or miss, as in Redis. */
static void
count_existing(struct client *c)
{
    struct db_value header;
    long long found = 0;
    int i, result;

    for (i = 1; i < c->argc; i++) {
        result = db_lookup_header(c->server, c->argv[i], c->argv_length[i], &header);
        if (result == DB_ERROR) {
            reply_error_storage(c);
            return;
        }
        found += result == DB_FOUND;
    }
    reply_integer(c->reply, found);
}

void
command_EXISTS(struct client *c)
{
    count_existing(c);
}

void
command_TOUCH(struct client *c)
{
    count_existing(c);
}

void
command_TYPE(struct client *c)
{
    struct db_value header;
    int result;

    result = db_lookup_header(c->server, c->argv[1], c->argv_length[1], &header);
    if (result == DB_ERROR) {
        reply_error_storage(c);
        return;
    }
    reply_status(c->reply, record_type_name(result == DB_FOUND ? header.type
                                                               : RECORD_TOMBSTONE));
}

/* ------------------------------------------------------------------------
 * EXPIRE family
 * ------------------------------------------------------------------------ */

/* Parses NX/XX/GT/LT from argv[3..]; replies the error and returns -1 on
 * unknown or conflicting options. */
static int
parse_expire_options(struct client *c, int *options)
{
    int i;

    *options = 0;
    for (i = 3; i < c->argc; i++) {
        if (argument_is(c, i, "nx")) {
            *options |= EXPIRE_NX;
        } else if (argument_is(c, i, "xx")) {
            *options |= EXPIRE_XX;
        } else if (argument_is(c, i, "gt")) {
            *options |= EXPIRE_GT;
        } else if (argument_is(c, i, "lt")) {
            *options |= EXPIRE_LT;
        } else {
            reply_error_format(c->reply, "ERR Unsupported option %.*s",
                               (int)c->argv_length[i], c->argv[i]);
            return -1;
        }
    }
    if ((*options & EXPIRE_NX) && (*options & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT))) {
        reply_error(c->reply, "ERR NX and XX, GT or LT options at the same time "
                    "are not compatible");
        return -1;
    }
    if ((*options & EXPIRE_GT) && (*options & EXPIRE_LT)) {
        reply_error(c->reply, "ERR GT and LT options at the same time are not compatible");
        return -1;
    }
    return 0;
}

/* Turns argv[2] into an absolute Unix time in ms; replies the error and
 * returns -1 when it is not an integer or overflows. */
static int
parse_expire_time(struct client *c, long long base_ms, int in_seconds, long long *when)
{
    if (!string_to_long_long(c->argv[2], c->argv_length[2], when)) {
        reply_error_not_integer(c->reply);
        return -1;
    }
    if (in_seconds) {
        if (*when > LLONG_MAX / 1000 || *when < LLONG_MIN / 1000) {
            goto invalid;
        }
        *when *= 1000;
    }
    if (*when > LLONG_MAX - base_ms) {
        goto invalid;
    }
    *when += base_ms;
    return 0;

invalid:
    reply_error_format(c->reply, "ERR invalid expire time in '%s' command", c->command->name);
    return -1;
}

/* Whether the options allow replacing `current` (0: none) by `when`. */
static int
expire_allowed(int options, int64_t current, long long when)
{
    if ((options & EXPIRE_NX) && current != 0) {
        return 0;
    }
    if ((options & EXPIRE_XX) && current == 0) {
        return 0;
    }
    if ((options & EXPIRE_GT) && (current == 0 || when <= current)) {
        return 0;
    }
    if ((options & EXPIRE_LT) && current != 0 && when >= current) {
        return 0;
    }
    return 1;
}

static void
expire_generic(struct client *c, long long base_ms, int in_seconds)
{
    long long when;
    int64_t current;
    int options, result;

    if (parse_expire_options(c, &options) != 0 ||
        parse_expire_time(c, base_ms, in_seconds, &when) != 0) {
        return;
    }
    result = db_peek(c->server, c->argv[1], c->argv_length[1], NULL, &current);
    if (result == DB_FOUND && !expire_allowed(options, current, when)) {
        result = DB_NOT_FOUND;
    } else if (result == DB_FOUND && when <= (long long)command_now(c)) {
        result = db_delete(c->server, c->argv[1], c->argv_length[1]);
    } else if (result == DB_FOUND) {
        result = db_set_expire(c->server, c->argv[1], c->argv_length[1], when);
    }
    if (result == DB_ERROR) {
        reply_error_storage(c);
    } else {
        reply_integer(c->reply, result == DB_FOUND);
    }
}

void
command_EXPIRE(struct client *c)
{
    expire_generic(c, (long long)command_now(c), 1);
}

void
command_PEXPIRE(struct client *c)
{
    expire_generic(c, (long long)command_now(c), 0);
}

void
command_EXPIREAT(struct client *c)
{
    expire_generic(c, 0, 1);
}

void
command_PEXPIREAT(struct client *c)
{
    expire_generic(c, 0, 0);
}

#define KEY_EXPIRY_FAILED (-3)

/* The expiry of argv[1] in Redis's TTL terms: -2 missing, -1 none, 0 with
 * the absolute time in *expire_ms; KEY_EXPIRY_FAILED after replying with a
 * storage error.  Read commands (`count_lookup`) count a keyspace hit or
 * miss, as in Redis; PERSIST, a write, does not. */
static long long
key_expiry(struct client *c, int count_lookup, int64_t *expire_ms)
{
    struct db_value header;
    int result;

    if (count_lookup) {
        result = db_lookup_header(c->server, c->argv[1], c->argv_length[1], &header);
        *expire_ms = header.expire_ms;
    } else {
        result = db_peek(c->server, c->argv[1], c->argv_length[1], NULL, expire_ms);
    }
    if (result == DB_ERROR) {
        reply_error_storage(c);
        return KEY_EXPIRY_FAILED;
    }
    if (result != DB_FOUND) {
        return -2;
    }
    return *expire_ms == 0 ? -1 : 0;
}

static void
ttl_generic(struct client *c, int in_ms)
{
    int64_t expire_ms;
    long long status = key_expiry(c, 1, &expire_ms), ttl;

    if (status == KEY_EXPIRY_FAILED) {
        return;
    }
    if (status < 0) {
        reply_integer(c->reply, status);
        return;
    }
    ttl = (long long)expire_ms - (long long)command_now(c);
    if (ttl < 0) {
        ttl = 0;
    }
    reply_integer(c->reply, in_ms ? ttl : (ttl + 500) / 1000);
}

void
command_TTL(struct client *c)
{
    ttl_generic(c, 0);
}

void
command_PTTL(struct client *c)
{
    ttl_generic(c, 1);
}

static void
expiretime_generic(struct client *c, int in_ms)
{
    int64_t expire_ms;
    long long status = key_expiry(c, 1, &expire_ms);

    if (status == KEY_EXPIRY_FAILED) {
        return;
    }
    if (status < 0) {
        reply_integer(c->reply, status);
    } else {
        reply_integer(c->reply, in_ms ? expire_ms : expire_ms / 1000);
    }
}

void
command_EXPIRETIME(struct client *c)
{
    expiretime_generic(c, 0);
}

void
command_PEXPIRETIME(struct client *c)
{
    expiretime_generic(c, 1);
}

void
command_PERSIST(struct client *c)
{
    int64_t expire_ms;
    int result;

    switch (key_expiry(c, 0, &expire_ms)) {
    case KEY_EXPIRY_FAILED:
        return;
    case 0:
        break;
    default:
        reply_integer(c->reply, 0);
        return;
    }
    result = db_set_expire(c->server, c->argv[1], c->argv_length[1], 0);
    if (result == DB_ERROR) {
        reply_error_storage(c);
    } else {
        reply_integer(c->reply, result == DB_FOUND);
    }
}

/* ------------------------------------------------------------------------
 * SCAN KEYS RANDOMKEY DBSIZE
 * ------------------------------------------------------------------------ */

/* Filters and results of a SCAN step or a KEYS walk. */
struct key_walk {
    const char *pattern;        /* NULL: every key */
    size_t      pattern_length;
    int         type;           /* -1: any type */
    int         type_given;     /* TYPE was given (an unknown name matches nothing) */
    uint64_t    now_ms;
    TCLIST     *found;          /* keys to reply */
    TCLIST     *expired;        /* keys to delete after the walk */
    struct cluster *owned_by;   /* not NULL: only keys this node owns (HERD.OWNED) */
};

static int
key_walk_visit(const struct keyindex_entry *entry, void *context)
{
    struct key_walk *walk = context;

    if (walk->pattern != NULL &&
        !glob_match(walk->pattern, walk->pattern_length, entry->key,
                    entry->key_length, 0)) {
        return 0;
    }
    if (db_is_expired(entry->expire_ms, walk->now_ms)) {
        if (walk->expired != NULL) {
            tclistpush(walk->expired, entry->key, (int)entry->key_length);
        }
        return 0;
    }
    if (walk->type_given && entry->type != walk->type) {
        return 0;
    }
    if (walk->owned_by != NULL &&
        !cluster_owns_slot(walk->owned_by, (unsigned int)(entry->position >> 40))) {
        return 0;
    }
    tclistpush(walk->found, entry->key, (int)entry->key_length);
    return 0;
}

static void
key_walk_init(struct key_walk *walk, struct client *c)
{
    memset(walk, 0, sizeof(*walk));
    walk->type = -1;
    walk->now_ms = command_now(c);
    walk->found = tclistnew();
    if (c->flags & CLIENT_OWNED_VIEW) {
        walk->owned_by = c->server->cluster;
    }
}

static void
key_walk_set_pattern(struct key_walk *walk, const char *pattern, size_t length)
{
    if (glob_matches_everything(pattern, length)) {
        walk->pattern = NULL;
    } else {
        walk->pattern = pattern;
        walk->pattern_length = length;
    }
}

/* Deletes the expired keys met during the walk and frees the lists. */
static void
key_walk_finish(struct key_walk *walk, struct server *server)
{
    const char *key;
    int index, size;

    for (index = 0; walk->expired != NULL && index < tclistnum(walk->expired); index++) {
        key = tclistval(walk->expired, index, &size);
        db_delete_expired(server, key, (size_t)size);
    }
    if (walk->expired != NULL) {
        tclistdel(walk->expired);
    }
    tclistdel(walk->found);
}

static void
reply_key_list(struct client *c, TCLIST *keys)
{
    const char *key;
    int index, size;

    reply_array_header(c->reply, tclistnum(keys));
    for (index = 0; index < tclistnum(keys); index++) {
        key = tclistval(keys, index, &size);
        reply_bulk(c->reply, key, (size_t)size);
    }
}

/* Parses a SCAN cursor as Redis does (strtoull on the text; a leading
 * space, trailing garbage or overflow is an error). */
static int
parse_scan_cursor(struct client *c, unsigned long long *cursor)
{
    char text[64];
    size_t length = c->argv_length[1];
    char *end;

    if (length >= sizeof(text)) {
        goto invalid;
    }
    memcpy(text, c->argv[1], length);
    text[length] = '\0';
    if (isspace((unsigned char)text[0])) {
        goto invalid;
    }
    errno = 0;
    *cursor = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE) {
        goto invalid;
    }
    return 0;

invalid:
    reply_error(c->reply, "ERR invalid cursor");
    return -1;
}

/* Parses SCAN's COUNT / MATCH / TYPE options into walk and *count. */
static int
parse_scan_options(struct client *c, struct key_walk *walk, long long *count)
{
    int i = 2;

    *count = SCAN_DEFAULT_COUNT;
    while (i < c->argc) {
        int more = c->argc - i;

        if (argument_is(c, i, "count") && more >= 2) {
            if (!string_to_long_long(c->argv[i + 1], c->argv_length[i + 1], count)) {
                reply_error_not_integer(c->reply);
                return -1;
            }
            if (*count < 1) {
                reply_error_syntax(c->reply);
                return -1;
            }
        } else if (argument_is(c, i, "match") && more >= 2) {
            key_walk_set_pattern(walk, c->argv[i + 1], c->argv_length[i + 1]);
        } else if (argument_is(c, i, "type") && more >= 2) {
            walk->type_given = 1;
            walk->type = record_type_from_name(c->argv[i + 1], c->argv_length[i + 1]);
        } else {
            reply_error_syntax(c->reply);
            return -1;
        }
        i += 2;
    }
    return 0;
}

void
command_SCAN(struct client *c)
{
    unsigned long long cursor;
    long long count;
    struct key_walk walk;
    uint64_t next;

    if (parse_scan_cursor(c, &cursor) != 0) {
        return;
    }
    key_walk_init(&walk, c);
    walk.expired = tclistnew();
    if (parse_scan_options(c, &walk, &count) == 0) {
        next = keyindex_scan(c->server->keyindex, cursor,
                             count > LONG_MAX ? LONG_MAX : (long)count,
                             key_walk_visit, &walk);
        reply_array_header(c->reply, 2);
        reply_bulk_long_long(c->reply, (long long)next);
        reply_key_list(c, walk.found);
    }
    key_walk_finish(&walk, c->server);
}

void
command_KEYS(struct client *c)
{
    struct key_walk walk;

    key_walk_init(&walk, c);
    key_walk_set_pattern(&walk, c->argv[1], c->argv_length[1]);
    keyindex_foreach(c->server->keyindex, key_walk_visit, &walk);
    reply_key_list(c, walk.found);
    key_walk_finish(&walk, c->server);
}

static int
count_visit(const struct keyindex_entry *entry, void *context)
{
    (void)entry;
    (*(long long *)context)++;
    return 0;
}

/* DBSIZE of the keys this node owns (HERD.OWNED): the slots where it is
 * the first live home replica.  Costs O(keys owned). */
static long long
owned_size(struct server *server)
{
    long long count = 0;
    unsigned int slot;

    for (slot = 0; slot < SLOT_COUNT; slot++) {
        if (cluster_owns_slot(server->cluster, slot)) {
            keyindex_foreach_in_slot(server->keyindex, slot, count_visit, &count);
        }
    }
    return count;
}

void
command_DBSIZE(struct client *c)
{
    if ((c->flags & CLIENT_OWNED_VIEW) && cluster_has_peers(c->server->cluster)) {
        reply_integer(c->reply, owned_size(c->server));
        return;
    }
    reply_integer(c->reply, db_size(c->server));
}

/* Random keys RANDOMKEY under HERD.OWNED draws before it answers nil when
 * none is this node's. */
#define RANDOMKEY_OWNED_TRIES 64

/* The key RANDOMKEY found, copied out of the index. */
struct random_pick {
    char    *key;
    size_t   key_length;
    int64_t  expire_ms;
};

static int
random_pick_visit(const struct keyindex_entry *entry, void *context)
{
    struct random_pick *pick = context;

    pick->key = malloc(entry->key_length + 1);
    if (pick->key != NULL) {
        memcpy(pick->key, entry->key, entry->key_length);
        pick->key_length = entry->key_length;
        pick->expire_ms = entry->expire_ms;
    }
    return 0;
}

void
command_RANDOMKEY(struct client *c)
{
    struct server *server = c->server;
    struct random_pick pick;
    int misses = 0;

    for (;;) {
        memset(&pick, 0, sizeof(pick));
        if (!keyindex_visit_at(server->keyindex, random_next(&server->random_state),
                               random_pick_visit, &pick) || pick.key == NULL) {
            reply_null(c->reply);
            return;
        }
        if ((c->flags & CLIENT_OWNED_VIEW) &&
            !cluster_owns_slot(server->cluster, key_slot(pick.key, pick.key_length))) {
            free(pick.key);
            if (++misses >= RANDOMKEY_OWNED_TRIES) {
                reply_null(c->reply);     /* the proxy asks the next node */
                return;
            }
            continue;
        }
        if (!db_is_expired(pick.expire_ms, command_now(c))) {
            break;
        }
        /* Each round deletes an expired key, so the loop ends. */
        db_delete_expired(server, pick.key, pick.key_length);
        free(pick.key);
    }
    reply_bulk(c->reply, pick.key, pick.key_length);
    free(pick.key);
}

/* ------------------------------------------------------------------------
 * FLUSHDB FLUSHALL
 * ------------------------------------------------------------------------ */

static void
flush_generic(struct client *c)
{
    if (c->argc > 2 || (c->argc == 2 && !argument_is(c, 1, "async") &&
                        !argument_is(c, 1, "sync"))) {
        reply_error_syntax(c->reply);
        return;
    }
    /* A flush ends the current write batch: what came before commits. */
    server_commit_batch(c->server);
    if (db_flush(c->server) != 0) {
        reply_error_storage(c);
        return;
    }
    reply_ok(c->reply);
}

void
command_FLUSHDB(struct client *c)
{
    flush_generic(c);
}

void
command_FLUSHALL(struct client *c)
{
    flush_generic(c);
}

/* ------------------------------------------------------------------------
 * RENAME RENAMENX COPY OBJECT
 * ------------------------------------------------------------------------ */

/* RENAME / RENAMENX: the record moves (a collection's pages stay where
 * they are, so this is O(1) for any type); the TTL moves with it. */
static void
rename_generic(struct client *c, int only_if_absent)
{
    int type, result;

    result = db_peek(c->server, c->argv[1], c->argv_length[1], &type, NULL);
    if (result == DB_NOT_FOUND) {
        reply_error(c->reply, "ERR no such key");
        return;
    }
    if (result == DB_FOUND && same_argument(c, 1, 2)) {
        if (only_if_absent) {
            reply_integer(c->reply, 0);
        } else {
            reply_ok(c->reply);
        }
        return;
    }
    if (result == DB_FOUND && only_if_absent) {
        result = db_peek(c->server, c->argv[2], c->argv_length[2], NULL, NULL);
        if (result == DB_FOUND) {
            reply_integer(c->reply, 0);
            return;
        }
    }
    if (result != DB_ERROR) {
        result = db_rename(c->server, c->argv[1], c->argv_length[1],
                           c->argv[2], c->argv_length[2]);
    }
    if (result != DB_FOUND) {
        reply_error_storage(c);
    } else if (only_if_absent) {
        reply_integer(c->reply, 1);
    } else {
        reply_ok(c->reply);
    }
}

void
command_RENAME(struct client *c)
{
    rename_generic(c, 0);
}

void
command_RENAMENX(struct client *c)
{
    rename_generic(c, 1);
}

/* COPY's options: [DB index] [REPLACE].  herd has database 0 only.
 * Returns 0, or -1 after replying an error. */
static int
parse_copy_options(struct client *c, int *replace)
{
    long long database;
    int i;

    *replace = 0;
    for (i = 3; i < c->argc; i++) {
        if (argument_is(c, i, "replace")) {
            *replace = 1;
        } else if (argument_is(c, i, "db") && i + 1 < c->argc) {
            i++;
            if (!string_to_long_long(c->argv[i], c->argv_length[i], &database)) {
                reply_error_not_integer(c->reply);
                return -1;
            }
            if (database != 0) {
                reply_error(c->reply, "ERR DB index is out of range");
                return -1;
            }
        } else {
            reply_error_syntax(c->reply);
            return -1;
        }
    }
    return 0;
}

/* Writes a copy of `value` (with its TTL) at the destination key: a
 * collection gets its own generation and pages. */
static int
copy_value(struct client *c, const struct db_value *value)
{
    char *copy = NULL;
    size_t copy_length = 0;
    int result;

    if (!collection_type(value->type)) {
        return db_write(c->server, c->argv[2], c->argv_length[2], value->type,
                        value->data, value->length, value->expire_ms);
    }
    if (collection_copy_payload(c->server, value->data, value->length,
                                &copy, &copy_length) != 0) {
        return DB_ERROR;
    }
    result = db_write(c->server, c->argv[2], c->argv_length[2], value->type,
                      copy, copy_length, value->expire_ms);
    free(copy);
    return result;
}

void
command_COPY(struct client *c)
{
    struct db_value value;
    int replace, result;

    if (parse_copy_options(c, &replace) != 0) {
        return;
    }
    if (same_argument(c, 1, 2)) {
        reply_error(c->reply, "ERR source and destination objects are the same");
        return;
    }
    result = db_lookup_write(c->server, c->argv[1], c->argv_length[1], &value);
    if (result == DB_NOT_FOUND) {
        reply_integer(c->reply, 0);
        return;
    }
    if (result == DB_FOUND && !replace) {
        result = db_peek(c->server, c->argv[2], c->argv_length[2], NULL, NULL);
        if (result == DB_FOUND) {
            db_value_release(&value);
            reply_integer(c->reply, 0);
            return;
        }
        result = result == DB_ERROR ? DB_ERROR : DB_FOUND;
    }
    if (result == DB_FOUND && copy_value(c, &value) != 0) {
        result = DB_ERROR;
    }
    if (result == DB_ERROR) {
        reply_error_storage(c);
    } else {
        reply_integer(c->reply, 1);
    }
    db_value_release(&value);
}

static const char *const object_help[] = {
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
};

/*
 * OBJECT ENCODING answers how herd stores the value: "raw" for a string
 * (bytes in one record), "listpack" for a collection kept in one record,
 * "btree" for one with stored pages.  REFCOUNT is 1 (values are never
 * shared).  herd tracks neither access frequency nor idle time.
 */
static void
object_key_subcommand(struct client *c, const char *subcommand)
{
    struct db_value value;
    int result;

    result = db_lookup_write(c->server, c->argv[2], c->argv_length[2], &value);
    if (result == DB_ERROR) {
        reply_error_storage(c);
        return;
    }
    if (result == DB_NOT_FOUND) {
        reply_null(c->reply);
        return;
    }
    if (strcasecmp(subcommand, "encoding") == 0) {
        reply_bulk_cstring(c->reply, collection_type(value.type) ?
            collection_payload_encoding(c->server, value.type, value.data,
                                        value.length) : "raw");
    } else if (strcasecmp(subcommand, "refcount") == 0) {
        reply_integer(c->reply, 1);
    } else if (strcasecmp(subcommand, "freq") == 0) {
        reply_error(c->reply, "ERR An LFU maxmemory policy is not selected, access "
                    "frequency not tracked. Please note that when switching between "
                    "policies at runtime LRU and LFU data will take some time to adjust.");
    } else {
        reply_error(c->reply, "ERR herd does not track access times, idle time not tracked.");
    }
    db_value_release(&value);
}

void
command_OBJECT(struct client *c)
{
    static const char *const keyed[] = { "encoding", "refcount", "freq", "idletime" };
    size_t i;

    if (argument_is(c, 1, "help")) {
        if (c->argc != 2) {
            reply_error(c->reply, "ERR wrong number of arguments for 'object|help' command");
            return;
        }
        reply_array_header(c->reply, (long long)(sizeof(object_help) / sizeof(object_help[0])));
        for (i = 0; i < sizeof(object_help) / sizeof(object_help[0]); i++) {
            reply_status(c->reply, object_help[i]);
        }
        return;
    }
    for (i = 0; i < sizeof(keyed) / sizeof(keyed[0]); i++) {
        if (argument_is(c, 1, keyed[i])) {
            if (c->argc != 3) {
                reply_error_format(c->reply, "ERR wrong number of arguments for "
                                   "'object|%s' command", keyed[i]);
                return;
            }
            object_key_subcommand(c, keyed[i]);
            return;
        }
    }
    reply_error_unknown_subcommand(c->reply, c->argv[1], c->argv_length[1], "OBJECT");
}
