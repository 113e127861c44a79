/*
 * commands.h — the one table of Redis commands herd knows.
 *
 * Both programs use it: the proxy for arity checks, key positions (routing)
 * and local COMMAND replies; the node for dispatch, through its own handler
 * array indexed by `enum command_id`.  Add a command here, then give it a
 * handler in node/ and a route in proxy/.
 *
 * Columns: id, name, arity (negative: at least -arity), flags, first key,
 * last key (-1: last argument), key step, ACL categories (space separated,
 * as in Redis's COMMAND INFO), group (for COMMAND DOCS), summary.
 */
#ifndef HERD_COMMANDS_H
#define HERD_COMMANDS_H

#include <stddef.h>
#include <event2/buffer.h>

/* Command flags. */
#define COMMAND_WRITE     (1u << 0)  /* may modify the keyspace */
#define COMMAND_READONLY  (1u << 1)  /* reads only */
#define COMMAND_DENYOOM   (1u << 2)  /* may grow memory/disk */
#define COMMAND_ADMIN     (1u << 3)  /* administrative */
#define COMMAND_FAST      (1u << 4)  /* O(1) or O(log N) */
#define COMMAND_NOSCRIPT  (1u << 5)
#define COMMAND_LOADING   (1u << 6)
#define COMMAND_STALE     (1u << 7)
#define COMMAND_NOAUTH    (1u << 8)  /* allowed before AUTH */
#define COMMAND_CONNECTION (1u << 9) /* connection state; proxy answers it */
#define COMMAND_INTERNAL  (1u << 10) /* cluster-internal; never from clients */

#define COMMAND_TABLE(X) \
    /* strings */ \
    X(GET,         "get",         2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @string @fast", "string", "Returns the string value of a key.") \
    X(SET,         "set",        -3, COMMAND_WRITE|COMMAND_DENYOOM, 1, 1, 1, "@write @string @slow", "string", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.") \
    X(SETNX,       "setnx",       3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Set the string value of a key only when the key doesn't exist.") \
    X(SETEX,       "setex",       4, COMMAND_WRITE|COMMAND_DENYOOM, 1, 1, 1, "@write @string @slow", "string", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.") \
    X(PSETEX,      "psetex",      4, COMMAND_WRITE|COMMAND_DENYOOM, 1, 1, 1, "@write @string @slow", "string", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.") \
    X(GETSET,      "getset",      3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Returns the previous string value of a key after setting it to a new value.") \
    X(GETDEL,      "getdel",      2, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Returns the string value of a key after deleting the key.") \
    X(GETEX,       "getex",      -2, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Returns the string value of a key after setting its expiration time.") \
    X(MGET,        "mget",       -2, COMMAND_READONLY|COMMAND_FAST, 1, -1, 1, "@read @string @fast", "string", "Atomically returns the string values of one or more keys.") \
    X(MSET,        "mset",       -3, COMMAND_WRITE|COMMAND_DENYOOM, 1, -1, 2, "@write @string @slow", "string", "Atomically creates or modifies the string values of one or more keys.") \
    X(MSETNX,      "msetnx",     -3, COMMAND_WRITE|COMMAND_DENYOOM, 1, -1, 2, "@write @string @slow", "string", "Atomically modifies the string values of one or more keys only when all keys don't exist.") \
    X(APPEND,      "append",      3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Appends a string to the value of a key. Creates the key if it doesn't exist.") \
    X(STRLEN,      "strlen",      2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @string @fast", "string", "Returns the length of a string value.") \
    X(GETRANGE,    "getrange",    4, COMMAND_READONLY, 1, 1, 1, "@read @string @slow", "string", "Returns a substring of the string stored at a key.") \
    X(SUBSTR,      "substr",      4, COMMAND_READONLY, 1, 1, 1, "@read @string @slow", "string", "Returns a substring from a string value.") \
    X(SETRANGE,    "setrange",    4, COMMAND_WRITE|COMMAND_DENYOOM, 1, 1, 1, "@write @string @slow", "string", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.") \
    X(INCR,        "incr",        2, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.") \
    X(DECR,        "decr",        2, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.") \
    X(INCRBY,      "incrby",      3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.") \
    X(DECRBY,      "decrby",      3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.") \
    X(INCRBYFLOAT, "incrbyfloat", 3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.") \
    /* keyspace */ \
    X(DEL,         "del",        -2, COMMAND_WRITE, 1, -1, 1, "@keyspace @write @slow", "generic", "Deletes one or more keys.") \
    X(UNLINK,      "unlink",     -2, COMMAND_WRITE|COMMAND_FAST, 1, -1, 1, "@keyspace @write @fast", "generic", "Asynchronously deletes one or more keys.") \
    X(EXISTS,      "exists",     -2, COMMAND_READONLY|COMMAND_FAST, 1, -1, 1, "@keyspace @read @fast", "generic", "Determines whether one or more keys exist.") \
    X(TYPE,        "type",        2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@keyspace @read @fast", "generic", "Determines the type of value stored at a key.") \
    X(EXPIRE,      "expire",     -3, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@keyspace @write @fast", "generic", "Sets the expiration time of a key in seconds.") \
    X(PEXPIRE,     "pexpire",    -3, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@keyspace @write @fast", "generic", "Sets the expiration time of a key in milliseconds.") \
    X(EXPIREAT,    "expireat",   -3, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@keyspace @write @fast", "generic", "Sets the expiration time of a key to a Unix timestamp.") \
    X(PEXPIREAT,   "pexpireat",  -3, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@keyspace @write @fast", "generic", "Sets the expiration time of a key to a Unix milliseconds timestamp.") \
    X(TTL,         "ttl",         2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@keyspace @read @fast", "generic", "Returns the expiration time in seconds of a key.") \
    X(PTTL,        "pttl",        2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@keyspace @read @fast", "generic", "Returns the expiration time in milliseconds of a key.") \
    X(EXPIRETIME,  "expiretime",  2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@keyspace @read @fast", "generic", "Returns the expiration time of a key as a Unix timestamp.") \
    X(PEXPIRETIME, "pexpiretime", 2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@keyspace @read @fast", "generic", "Returns the expiration time of a key as a Unix milliseconds timestamp.") \
    X(PERSIST,     "persist",     2, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@keyspace @write @fast", "generic", "Removes the expiration time of a key.") \
    X(TOUCH,       "touch",      -2, COMMAND_READONLY|COMMAND_FAST, 1, -1, 1, "@keyspace @read @fast", "generic", "Returns the number of existing keys out of those specified after updating the time they were last accessed.") \
    X(SCAN,        "scan",       -2, COMMAND_READONLY, 0, 0, 0, "@keyspace @read @slow", "generic", "Iterates over the key names in the database.") \
    X(KEYS,        "keys",        2, COMMAND_READONLY, 0, 0, 0, "@keyspace @read @slow @dangerous", "generic", "Returns all key names that match a pattern.") \
    X(DBSIZE,      "dbsize",      1, COMMAND_READONLY|COMMAND_FAST, 0, 0, 0, "@keyspace @read @fast", "server", "Returns the number of keys in the database.") \
    X(RANDOMKEY,   "randomkey",   1, COMMAND_READONLY, 0, 0, 0, "@keyspace @read @slow", "generic", "Returns a random key name from the database.") \
    X(FLUSHDB,     "flushdb",    -1, COMMAND_WRITE, 0, 0, 0, "@keyspace @write @slow @dangerous", "server", "Removes all keys from the current database.") \
    X(FLUSHALL,    "flushall",   -1, COMMAND_WRITE, 0, 0, 0, "@keyspace @write @slow @dangerous", "server", "Removes all keys from all databases.") \
    /* connection and server */ \
    X(PING,        "ping",       -1, COMMAND_FAST|COMMAND_STALE|COMMAND_CONNECTION, 0, 0, 0, "@fast @connection", "connection", "Returns the server's liveliness response.") \
    X(ECHO,        "echo",        2, COMMAND_FAST|COMMAND_STALE|COMMAND_CONNECTION, 0, 0, 0, "@fast @connection", "connection", "Returns the given string.") \
    X(SELECT,      "select",      2, COMMAND_FAST|COMMAND_LOADING|COMMAND_STALE|COMMAND_CONNECTION, 0, 0, 0, "@fast @connection", "connection", "Changes the selected database.") \
    X(QUIT,        "quit",       -1, COMMAND_FAST|COMMAND_NOAUTH|COMMAND_LOADING|COMMAND_STALE|COMMAND_CONNECTION, 0, 0, 0, "@fast @connection", "connection", "Closes the connection.") \
    X(RESET,       "reset",       1, COMMAND_FAST|COMMAND_NOAUTH|COMMAND_LOADING|COMMAND_STALE|COMMAND_CONNECTION, 0, 0, 0, "@fast @connection", "connection", "Resets the connection.") \
    X(HELLO,       "hello",      -1, COMMAND_FAST|COMMAND_NOAUTH|COMMAND_LOADING|COMMAND_STALE|COMMAND_CONNECTION, 0, 0, 0, "@fast @connection", "connection", "Handshakes with the Redis server.") \
    X(AUTH,        "auth",       -2, COMMAND_FAST|COMMAND_NOAUTH|COMMAND_LOADING|COMMAND_STALE|COMMAND_CONNECTION, 0, 0, 0, "@fast @connection", "connection", "Authenticates the connection.") \
    X(CLIENT,      "client",     -2, COMMAND_STALE|COMMAND_CONNECTION, 0, 0, 0, "@slow @connection", "connection", "A container for client connection commands.") \
    X(COMMAND,     "command",    -1, COMMAND_LOADING|COMMAND_STALE|COMMAND_CONNECTION, 0, 0, 0, "@slow @connection", "server", "Returns detailed information about all commands.") \
    X(INFO,        "info",       -1, COMMAND_LOADING|COMMAND_STALE, 0, 0, 0, "@slow @dangerous", "server", "Returns information and statistics about the server.") \
    X(TIME,        "time",        1, COMMAND_LOADING|COMMAND_STALE|COMMAND_FAST, 0, 0, 0, "@fast", "server", "Returns the server time.")

/* One identifier per command. */
enum command_id {
#define COMMAND_ENUM(id, name, arity, flags, first, last, step, categories, group, summary) COMMAND_##id,
    COMMAND_TABLE(COMMAND_ENUM)
#undef COMMAND_ENUM
    COMMAND_COUNT
};

/* What the table says about one command. */
struct command_info {
    enum command_id id;
    const char     *name;       /* lower case */
    int             arity;
    unsigned int    flags;
    int             first_key;  /* 0: no keys */
    int             last_key;   /* negative: counted from the end */
    int             key_step;
    const char     *categories;
    const char     *group;
    const char     *summary;
};

extern const struct command_info command_table[COMMAND_COUNT];

/* Case-insensitive lookup; NULL when unknown. */
const struct command_info *command_lookup(const char *name, size_t length);

/* 1 when argc satisfies the arity. */
int command_arity_ok(const struct command_info *info, int argc);

/* Key positions for this argc: *first, *last (inclusive, resolved), *step.
 * Returns the number of keys (0 for keyless commands). */
int command_key_positions(const struct command_info *info, int argc,
                          int *first, int *last, int *step);

/* COMMAND replies generated from the table, as Redis 7.0 shapes them. */
void command_reply_count(struct evbuffer *out);
void command_reply_info(struct evbuffer *out, const struct command_info *info); /* NULL: nil */
void command_reply_docs(struct evbuffer *out, const struct command_info *info);  /* name + doc map */
void command_reply_all(struct evbuffer *out);

#endif
