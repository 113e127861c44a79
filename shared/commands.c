/*
 * commands.c — the command table, its lookup, where a request's keys are,
 * and the COMMAND replies.
 *
 * Lookup runs for every request, so it must be cheap without any table
 * built at run time (no global mutable state).  Each command gets a 64-bit
 * key computed by the compiler from its name: the first seven bytes in the
 * low bytes and the name's length in the top byte.  A lookup lower-cases
 * the first seven bytes of the request's name into the same shape and
 * scans the (contiguous, read-only) key array; only a key match is
 * confirmed byte by byte.  The scan compares one integer per command and
 * the hot commands come first in the table; measured by
 * tests/unit/test_commands.c at a few nanoseconds per lookup.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "shared/commands.h"
#include "shared/number.h"
#include "shared/reply.h"

const struct command_info command_table[COMMAND_COUNT] = {
#define COMMAND_ENTRY(id, name, arity, flags, first, last, step, categories, group, summary) \
    [COMMAND_##id] = { COMMAND_##id, name, arity, flags, first, last, step, \
                       categories, group, summary },
    COMMAND_TABLE(COMMAND_ENTRY)
#undef COMMAND_ENTRY
};

/* Bytes of the name packed into a lookup key. */
#define KEY_PREFIX_BYTES 7

/* Byte i of a name literal, 0 past its end (the padding keeps the index
 * inside the literal, so the compiler folds it to a constant). */
#define NAME_BYTE(name, i) \
    ((uint64_t)(unsigned char)(name "\0\0\0\0\0\0\0")[i] << (8 * (i)))

/* The lookup key of a name literal. */
#define NAME_KEY(name) \
    (NAME_BYTE(name, 0) | NAME_BYTE(name, 1) | NAME_BYTE(name, 2) | \
     NAME_BYTE(name, 3) | NAME_BYTE(name, 4) | NAME_BYTE(name, 5) | \
     NAME_BYTE(name, 6) | (uint64_t)(sizeof(name) - 1) << 56)

/* command_name_key[id] == NAME_KEY(command_table[id].name). */
static const uint64_t command_name_key[COMMAND_COUNT] = {
#define COMMAND_KEY(id, name, arity, flags, first, last, step, categories, group, summary) \
    [COMMAND_##id] = NAME_KEY(name),
    COMMAND_TABLE(COMMAND_KEY)
#undef COMMAND_KEY
};

/* ASCII lower case (command names are matched like Redis: ASCII only). */
static unsigned char
lower_byte(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* The lookup key of a request's name. */
static uint64_t
request_key(const char *name, size_t length)
{
    uint64_t key = (uint64_t)length << 56;
    size_t i;

    for (i = 0; i < length && i < KEY_PREFIX_BYTES; i++) {
        key |= (uint64_t)lower_byte((unsigned char)name[i]) << (8 * i);
    }
    return key;
}

/* 1 when name[from..length) equals table_name[from..length) ignoring case. */
static int
rest_matches(const char *name, const char *table_name, size_t from, size_t length)
{
    size_t i;

    for (i = from; i < length; i++) {
        if (lower_byte((unsigned char)name[i]) != (unsigned char)table_name[i]) {
            return 0;
        }
    }
    return 1;
}

const struct command_info *
command_lookup(const char *name, size_t length)
{
    uint64_t key;
    int i;

    if (length == 0 || length > 255) {
        return NULL;
    }
    key = request_key(name, length);
    for (i = 0; i < COMMAND_COUNT; i++) {
        if (command_name_key[i] == key &&
            rest_matches(name, command_table[i].name, KEY_PREFIX_BYTES, length)) {
            return &command_table[i];
        }
    }
    return NULL;
}

int
command_arity_ok(const struct command_info *info, int argc)
{
    if (info->arity >= 0) {
        return argc == info->arity;
    }
    return argc >= -info->arity;
}

/*
 * Resolves the key range for argc arguments: a negative last key counts
 * from the end (-1: the last argument), and *last is moved back to the
 * last position the step actually reaches (MSET k1 v1 k2 v2: first 1,
 * last 3, step 2, two keys).  Positions past argc are not keys.
 */
int
command_key_positions(const struct command_info *info, int argc,
                      int *first, int *last, int *step)
{
    int first_key = info->first_key;
    int last_key = info->last_key;
    int key_step = info->key_step > 0 ? info->key_step : 1;
    int count;

    *first = 0;
    *last = -1;
    *step = key_step;
    if (first_key <= 0) {
        return 0;
    }
    if (last_key < 0) {
        last_key = argc + last_key;
    }
    if (last_key >= argc) {
        last_key = argc - 1;
    }
    if (last_key < first_key) {
        return 0;
    }
    count = (last_key - first_key) / key_step + 1;
    *first = first_key;
    *last = first_key + (count - 1) * key_step;
    return count;
}

/*
 * Movable keys.  Every movable-keys command herd has counts its keys with a
 * numkeys argument: argv[numkeys] keys follow it, one after another, and
 * the *STORE commands have a destination key at argv[1] as well.
 */
struct movable_keys_shape {
    enum command_id id;
    int             destination;  /* position of the destination; 0: none */
    int             numkeys;      /* position of the numkeys argument */
};

static const struct movable_keys_shape movable_keys_shapes[] = {
    { COMMAND_ZUNIONSTORE, 1, 2 },  /* ZUNIONSTORE dest numkeys key... */
    { COMMAND_ZINTERSTORE, 1, 2 },
    { COMMAND_ZDIFFSTORE,  1, 2 },
    { COMMAND_ZUNION,      0, 1 },  /* ZUNION numkeys key... */
    { COMMAND_ZINTER,      0, 1 },
    { COMMAND_ZDIFF,       0, 1 },
    { COMMAND_ZINTERCARD,  0, 1 },
    { COMMAND_SINTERCARD,  0, 1 },
    { COMMAND_LMPOP,       0, 1 },
    { COMMAND_ZMPOP,       0, 1 },
    { COMMAND_BLMPOP,      0, 2 },  /* BLMPOP timeout numkeys key... */
    { COMMAND_BZMPOP,      0, 2 },
};

#define MOVABLE_KEYS_SHAPE_COUNT \
    (sizeof(movable_keys_shapes) / sizeof(movable_keys_shapes[0]))

/* The shape of a movable-keys command; NULL for any other command. */
static const struct movable_keys_shape *
movable_keys_shape(const struct command_info *info)
{
    size_t i;

    if ((info->flags & COMMAND_MOVABLEKEYS) == 0) {
        return NULL;
    }
    for (i = 0; i < MOVABLE_KEYS_SHAPE_COUNT; i++) {
        if (movable_keys_shapes[i].id == info->id) {
            return &movable_keys_shapes[i];
        }
    }
    return NULL;
}

int
command_numkeys_position(const struct command_info *info)
{
    const struct movable_keys_shape *shape = movable_keys_shape(info);

    return shape != NULL ? shape->numkeys : 0;
}

/*
 * The value C's atoi() gives for s[0..length) on this platform (glibc,
 * 64-bit long, 32-bit int): leading blanks skipped, an optional sign, the
 * digits up to the first other byte; an overflow saturates like strtol()
 * and the result is then cut to an int.  Redis falls back to atoi() when
 * the strict numkeys parse fails, so "01" or "2abc" still name keys.
 */
static int
atoi_value(const char *s, size_t length)
{
    const unsigned long long positive_limit = (unsigned long long)LLONG_MAX;
    unsigned long long magnitude = 0, limit;
    int negative = 0, saturated = 0;
    size_t i = 0;
    long long value;

    while (i < length && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) {
        i++;
    }
    if (i < length && (s[i] == '+' || s[i] == '-')) {
        negative = s[i] == '-';
        i++;
    }
    limit = negative ? positive_limit + 1 : positive_limit;
    for (; i < length && s[i] >= '0' && s[i] <= '9'; i++) {
        unsigned int digit = (unsigned int)(s[i] - '0');

        if (saturated || magnitude > (limit - digit) / 10) {
            saturated = 1;
            continue;
        }
        magnitude = magnitude * 10 + digit;
    }
    if (saturated) {
        magnitude = limit;
    }
    value = negative ? (long long)(0 - magnitude) : (long long)magnitude;
    return (int)(int32_t)(uint32_t)(unsigned long long)value;
}

/* One key range, nothing else. */
static void
keys_set_range(struct command_keys *keys, int first, int last, int step)
{
    keys->first = first;
    keys->last = last;
    keys->step = step;
    keys->count = last >= first ? (last - first) / step + 1 : 0;
}

/*
 * A numkeys command's keys, the way Redis 7.0 finds them: first its key
 * specs (numkeys must be a canonical non-negative integer, cut to an int,
 * naming at least one key and no more than there are arguments; the
 * destination comes first); when those fail, its older key function
 * (numkeys read by atoi(), between 1 and the arguments left; the
 * destination comes last).  When both fail there are no keys.
 */
static void
movable_keys_find(const struct movable_keys_shape *shape, int argc,
                  const char *const *argv, const size_t *argv_length,
                  struct command_keys *keys)
{
    int first = shape->numkeys + 1;
    long long parsed, last;
    int count;

    if (string_to_long_long(argv[shape->numkeys], argv_length[shape->numkeys], &parsed) &&
        parsed >= 0) {
        count = (int)(int32_t)(uint32_t)(unsigned long long)parsed;
        last = (long long)first + count - 1;
        if (count >= 1 && last < argc) {
            keys_set_range(keys, first, (int)last, 1);
            keys->extra = shape->destination;
            keys->extra_first = 1;
            keys->count += shape->destination != 0;
            return;
        }
    }
    count = atoi_value(argv[shape->numkeys], argv_length[shape->numkeys]);
    if (count >= 1 && count <= argc - first) {
        keys_set_range(keys, first, first + count - 1, 1);
        keys->extra = shape->destination;
        keys->extra_first = 0;
        keys->count += shape->destination != 0;
    }
}

int
command_object_subcommand_keys(const char *name, size_t length)
{
    static const char *const with_key[] = { "encoding", "refcount", "idletime", "freq" };
    size_t i;

    for (i = 0; i < sizeof(with_key) / sizeof(with_key[0]); i++) {
        if (strlen(with_key[i]) == length && strncasecmp(name, with_key[i], length) == 0) {
            return 1;
        }
    }
    if (length == 4 && strncasecmp(name, "help", 4) == 0) {
        return 0;
    }
    return -1;
}

int
command_find_keys(const struct command_info *info, int argc, const char *const *argv,
                  const size_t *argv_length, struct command_keys *keys)
{
    const struct movable_keys_shape *shape = movable_keys_shape(info);
    int first, last, step;

    memset(keys, 0, sizeof(*keys));
    keys->step = 1;
    keys->last = -1;
    if (shape != NULL) {
        if (argc > shape->numkeys) {
            movable_keys_find(shape, argc, argv, argv_length, keys);
        }
    } else if (info->id == COMMAND_OBJECT) {
        /* OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ key */
        if (argc == 3 && command_object_subcommand_keys(argv[1], argv_length[1]) == 1) {
            keys_set_range(keys, 2, 2, 1);
        }
    } else if (command_key_positions(info, argc, &first, &last, &step) > 0) {
        keys_set_range(keys, first, last, step);
    }
    return keys->count;
}

int
command_keys_position(const struct command_keys *keys, int index)
{
    int range_count = keys->count - (keys->extra != 0);

    if (keys->extra != 0) {
        if (keys->extra_first) {
            if (index == 0) {
                return keys->extra;
            }
            index--;
        } else if (index == range_count) {
            return keys->extra;
        }
    }
    return keys->first + index * keys->step;
}

int
command_get_keys(const struct command_info *info, int argc, const char *const *argv,
                 const size_t *argv_length, int *positions, int capacity)
{
    struct command_keys keys;
    int i;

    command_find_keys(info, argc, argv, argv_length, &keys);
    for (i = 0; i < keys.count && i < capacity; i++) {
        positions[i] = command_keys_position(&keys, i);
    }
    return keys.count;
}

/* A command flag and the name COMMAND INFO gives it, in Redis's order. */
struct command_flag_name {
    unsigned int flag;
    const char  *name;
};

/* herd-only flags (connection, internal) are not shown. */
static const struct command_flag_name command_flag_names[] = {
    { COMMAND_WRITE,    "write" },
    { COMMAND_READONLY, "readonly" },
    { COMMAND_DENYOOM,  "denyoom" },
    { COMMAND_ADMIN,    "admin" },
    { COMMAND_NOSCRIPT, "noscript" },
    { COMMAND_BLOCKING, "blocking" },
    { COMMAND_LOADING,  "loading" },
    { COMMAND_STALE,    "stale" },
    { COMMAND_FAST,     "fast" },
    { COMMAND_NOAUTH,   "no_auth" },
    { COMMAND_ALLOW_BUSY, "allow_busy" },
    { COMMAND_MOVABLEKEYS, "movablekeys" },
};

#define COMMAND_FLAG_NAME_COUNT \
    (sizeof(command_flag_names) / sizeof(command_flag_names[0]))

/* 1 when COMMAND shows the command (internal commands are hidden). */
static int
command_visible(const struct command_info *info)
{
    return (info->flags & COMMAND_INTERNAL) == 0;
}

/* Writes the flags array: "*2\r\n+readonly\r\n+fast\r\n". */
static void
reply_command_flags(struct evbuffer *out, unsigned int flags)
{
    size_t i;
    long long count = 0;

    for (i = 0; i < COMMAND_FLAG_NAME_COUNT; i++) {
        if (flags & command_flag_names[i].flag) {
            count++;
        }
    }
    reply_array_header(out, count);
    for (i = 0; i < COMMAND_FLAG_NAME_COUNT; i++) {
        if (flags & command_flag_names[i].flag) {
            reply_status(out, command_flag_names[i].name);
        }
    }
}

/* Writes the space-separated ACL categories as an array of statuses. */
static void
reply_command_categories(struct evbuffer *out, const char *categories)
{
    const char *p;
    long long count = 0;
    int in_word = 0;

    for (p = categories; *p != '\0'; p++) {
        if (*p != ' ' && !in_word) {
            count++;
        }
        in_word = *p != ' ';
    }
    reply_array_header(out, count);
    p = categories;
    while (*p != '\0') {
        size_t length;

        while (*p == ' ') {
            p++;
        }
        length = strcspn(p, " ");
        if (length > 0) {
            evbuffer_add(out, "+", 1);
            evbuffer_add(out, p, length);
            evbuffer_add(out, "\r\n", 2);
        }
        p += length;
    }
}

/* How many commands COMMAND shows. */
static long long
command_visible_count(void)
{
    long long count = 0;
    int i;

    for (i = 0; i < COMMAND_COUNT; i++) {
        count += command_visible(&command_table[i]);
    }
    return count;
}

void
command_reply_count(struct evbuffer *out)
{
    reply_integer(out, command_visible_count());
}

/*
 * One COMMAND INFO entry, shaped like Redis 7.0's: name, arity, flags,
 * first key, last key, step, ACL categories, tips, key specs and
 * subcommands (the last three empty).
 */
void
command_reply_info(struct evbuffer *out, const struct command_info *info)
{
    if (info == NULL) {
        reply_null(out);
        return;
    }
    reply_array_header(out, 10);
    reply_bulk_cstring(out, info->name);
    reply_integer(out, info->arity);
    reply_command_flags(out, info->flags);
    reply_integer(out, info->first_key);
    reply_integer(out, info->last_key);
    reply_integer(out, info->key_step);
    reply_command_categories(out, info->categories);
    reply_array_header(out, 0);
    reply_array_header(out, 0);
    reply_array_header(out, 0);
}

/*
 * Two elements of COMMAND DOCS's reply: the name, then its doc map
 * (summary, since, group).  The caller writes the enclosing map header.
 */
void
command_reply_docs(struct evbuffer *out, const struct command_info *info)
{
    reply_bulk_cstring(out, info->name);
    reply_map_header(out, 3);
    reply_bulk_cstring(out, "summary");
    reply_bulk_cstring(out, info->summary);
    reply_bulk_cstring(out, "since");
    reply_bulk_cstring(out, "1.0.0");
    reply_bulk_cstring(out, "group");
    reply_bulk_cstring(out, info->group);
}

/* COMMAND with no argument: the INFO entry of every visible command. */
void
command_reply_all(struct evbuffer *out)
{
    int i;

    reply_array_header(out, command_visible_count());
    for (i = 0; i < COMMAND_COUNT; i++) {
        if (command_visible(&command_table[i])) {
            command_reply_info(out, &command_table[i]);
        }
    }
}
