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
#define COMMAND_ALLOW_BUSY (1u << 11) /* allowed while a script is busy (Redis flag) */

#define COMMAND_TABLE(X) \
    /* strings */ \
    X(GET,         "get",         2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @string @fast", "string", "Get the value of a key") \
    X(SET,         "set",        -3, COMMAND_WRITE|COMMAND_DENYOOM, 1, 1, 1, "@write @string @slow", "string", "Set the string value of a key") \
    X(SETNX,       "setnx",       3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Set the value of a key, only if the key does not exist") \
    X(SETEX,       "setex",       4, COMMAND_WRITE|COMMAND_DENYOOM, 1, 1, 1, "@write @string @slow", "string", "Set the value and expiration of a key") \
    X(PSETEX,      "psetex",      4, COMMAND_WRITE|COMMAND_DENYOOM, 1, 1, 1, "@write @string @slow", "string", "Set the value and expiration in milliseconds of a key") \
    X(GETSET,      "getset",      3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Set the string value of a key and return its old value") \
    X(GETDEL,      "getdel",      2, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Get the value of a key and delete the key") \
    X(GETEX,       "getex",      -2, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Get the value of a key and optionally set its expiration") \
    X(MGET,        "mget",       -2, COMMAND_READONLY|COMMAND_FAST, 1, -1, 1, "@read @string @fast", "string", "Get the values of all the given keys") \
    X(MSET,        "mset",       -3, COMMAND_WRITE|COMMAND_DENYOOM, 1, -1, 2, "@write @string @slow", "string", "Set multiple keys to multiple values") \
    X(MSETNX,      "msetnx",     -3, COMMAND_WRITE|COMMAND_DENYOOM, 1, -1, 2, "@write @string @slow", "string", "Set multiple keys to multiple values, only if none of the keys exist") \
    X(APPEND,      "append",      3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Append a value to a key") \
    X(STRLEN,      "strlen",      2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @string @fast", "string", "Get the length of the value stored in a key") \
    X(GETRANGE,    "getrange",    4, COMMAND_READONLY, 1, 1, 1, "@read @string @slow", "string", "Get a substring of the string stored at a key") \
    X(SUBSTR,      "substr",      4, COMMAND_READONLY, 1, 1, 1, "@read @string @slow", "string", "Get a substring of the string stored at a key") \
    X(SETRANGE,    "setrange",    4, COMMAND_WRITE|COMMAND_DENYOOM, 1, 1, 1, "@write @string @slow", "string", "Overwrite part of a string at key starting at the specified offset") \
    X(INCR,        "incr",        2, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Increment the integer value of a key by one") \
    X(DECR,        "decr",        2, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Decrement the integer value of a key by one") \
    X(INCRBY,      "incrby",      3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Increment the integer value of a key by the given amount") \
    X(DECRBY,      "decrby",      3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Decrement the integer value of a key by the given number") \
    X(INCRBYFLOAT, "incrbyfloat", 3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @string @fast", "string", "Increment the float value of a key by the given amount") \
    /* keyspace */ \
    X(DEL,         "del",        -2, COMMAND_WRITE, 1, -1, 1, "@keyspace @write @slow", "generic", "Delete a key") \
    X(UNLINK,      "unlink",     -2, COMMAND_WRITE|COMMAND_FAST, 1, -1, 1, "@keyspace @write @fast", "generic", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.") \
    X(EXISTS,      "exists",     -2, COMMAND_READONLY|COMMAND_FAST, 1, -1, 1, "@keyspace @read @fast", "generic", "Determine if a key exists") \
    X(TYPE,        "type",        2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@keyspace @read @fast", "generic", "Determine the type stored at key") \
    X(EXPIRE,      "expire",     -3, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@keyspace @write @fast", "generic", "Set a key's time to live in seconds") \
    X(PEXPIRE,     "pexpire",    -3, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@keyspace @write @fast", "generic", "Set a key's time to live in milliseconds") \
    X(EXPIREAT,    "expireat",   -3, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@keyspace @write @fast", "generic", "Set the expiration for a key as a UNIX timestamp") \
    X(PEXPIREAT,   "pexpireat",  -3, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@keyspace @write @fast", "generic", "Set the expiration for a key as a UNIX timestamp specified in milliseconds") \
    X(TTL,         "ttl",         2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@keyspace @read @fast", "generic", "Get the time to live for a key in seconds") \
    X(PTTL,        "pttl",        2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@keyspace @read @fast", "generic", "Get the time to live for a key in milliseconds") \
    X(EXPIRETIME,  "expiretime",  2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@keyspace @read @fast", "generic", "Get the expiration Unix timestamp for a key") \
    X(PEXPIRETIME, "pexpiretime", 2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@keyspace @read @fast", "generic", "Get the expiration Unix timestamp for a key in milliseconds") \
    X(PERSIST,     "persist",     2, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@keyspace @write @fast", "generic", "Remove the expiration from a key") \
    X(TOUCH,       "touch",      -2, COMMAND_READONLY|COMMAND_FAST, 1, -1, 1, "@keyspace @read @fast", "generic", "Alters the last access time of a key(s). Returns the number of existing keys specified.") \
    X(SCAN,        "scan",       -2, COMMAND_READONLY, 0, 0, 0, "@keyspace @read @slow", "generic", "Incrementally iterate the keys space") \
    X(KEYS,        "keys",        2, COMMAND_READONLY, 0, 0, 0, "@keyspace @read @slow @dangerous", "generic", "Find all keys matching the given pattern") \
    X(DBSIZE,      "dbsize",      1, COMMAND_READONLY|COMMAND_FAST, 0, 0, 0, "@keyspace @read @fast", "server", "Return the number of keys in the selected database") \
    X(RANDOMKEY,   "randomkey",   1, COMMAND_READONLY, 0, 0, 0, "@keyspace @read @slow", "generic", "Return a random key from the keyspace") \
    X(FLUSHDB,     "flushdb",    -1, COMMAND_WRITE, 0, 0, 0, "@keyspace @write @slow @dangerous", "server", "Remove all keys from the current database") \
    X(FLUSHALL,    "flushall",   -1, COMMAND_WRITE, 0, 0, 0, "@keyspace @write @slow @dangerous", "server", "Remove all keys from all databases") \
    /* connection and server */ \
    X(PING,        "ping",       -1, COMMAND_FAST|COMMAND_CONNECTION, 0, 0, 0, "@fast @connection", "connection", "Ping the server") \
    X(ECHO,        "echo",        2, COMMAND_FAST|COMMAND_LOADING|COMMAND_STALE|COMMAND_CONNECTION, 0, 0, 0, "@fast @connection", "connection", "Echo the given string") \
    X(SELECT,      "select",      2, COMMAND_FAST|COMMAND_LOADING|COMMAND_STALE|COMMAND_CONNECTION, 0, 0, 0, "@fast @connection", "connection", "Change the selected database for the current connection") \
    X(QUIT,        "quit",       -1, COMMAND_NOSCRIPT|COMMAND_FAST|COMMAND_NOAUTH|COMMAND_LOADING|COMMAND_STALE|COMMAND_ALLOW_BUSY|COMMAND_CONNECTION, 0, 0, 0, "@fast @connection", "connection", "Close the connection") \
    X(RESET,       "reset",       1, COMMAND_NOSCRIPT|COMMAND_FAST|COMMAND_NOAUTH|COMMAND_LOADING|COMMAND_STALE|COMMAND_ALLOW_BUSY|COMMAND_CONNECTION, 0, 0, 0, "@fast @connection", "connection", "Reset the connection") \
    X(HELLO,       "hello",      -1, COMMAND_NOSCRIPT|COMMAND_FAST|COMMAND_NOAUTH|COMMAND_LOADING|COMMAND_STALE|COMMAND_ALLOW_BUSY|COMMAND_CONNECTION, 0, 0, 0, "@fast @connection", "connection", "Handshake with Redis") \
    X(AUTH,        "auth",       -2, COMMAND_NOSCRIPT|COMMAND_FAST|COMMAND_NOAUTH|COMMAND_LOADING|COMMAND_STALE|COMMAND_ALLOW_BUSY|COMMAND_CONNECTION, 0, 0, 0, "@fast @connection", "connection", "Authenticate to the server") \
    X(CLIENT,      "client",     -2, COMMAND_CONNECTION, 0, 0, 0, "@slow", "connection", "A container for client connection commands") \
    X(COMMAND,     "command",    -1, COMMAND_LOADING|COMMAND_STALE|COMMAND_CONNECTION, 0, 0, 0, "@slow @connection", "server", "Get array of Redis command details") \
    X(INFO,        "info",       -1, COMMAND_LOADING|COMMAND_STALE, 0, 0, 0, "@slow @dangerous", "server", "Get information and statistics about the server") \
    X(TIME,        "time",        1, COMMAND_LOADING|COMMAND_STALE|COMMAND_FAST, 0, 0, 0, "@fast", "server", "Return the current server time")

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
