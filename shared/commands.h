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
#define COMMAND_BLOCKING  (1u << 12) /* may block the client (herd refuses these) */
#define COMMAND_MOVABLEKEYS (1u << 13) /* key positions depend on the arguments */

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
    /* hash */ \
    X(HSET,            "hset", -4, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @hash @fast", "hash", "Set the string value of a hash field") \
    X(HSETNX,          "hsetnx", 4, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @hash @fast", "hash", "Set the value of a hash field, only if the field does not exist") \
    X(HGET,            "hget", 3, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @hash @fast", "hash", "Get the value of a hash field") \
    X(HMGET,           "hmget", -3, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @hash @fast", "hash", "Get the values of all the given hash fields") \
    X(HMSET,           "hmset", -4, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @hash @fast", "hash", "Set multiple hash fields to multiple values") \
    X(HDEL,            "hdel", -3, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@write @hash @fast", "hash", "Delete one or more hash fields") \
    X(HEXISTS,         "hexists", 3, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @hash @fast", "hash", "Determine if a hash field exists") \
    X(HLEN,            "hlen", 2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @hash @fast", "hash", "Get the number of fields in a hash") \
    X(HSTRLEN,         "hstrlen", 3, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @hash @fast", "hash", "Get the length of the value of a hash field") \
    X(HKEYS,           "hkeys", 2, COMMAND_READONLY, 1, 1, 1, "@read @hash @slow", "hash", "Get all the fields in a hash") \
    X(HVALS,           "hvals", 2, COMMAND_READONLY, 1, 1, 1, "@read @hash @slow", "hash", "Get all the values in a hash") \
    X(HGETALL,         "hgetall", 2, COMMAND_READONLY, 1, 1, 1, "@read @hash @slow", "hash", "Get all the fields and values in a hash") \
    X(HINCRBY,         "hincrby", 4, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @hash @fast", "hash", "Increment the integer value of a hash field by the given number") \
    X(HINCRBYFLOAT,    "hincrbyfloat", 4, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @hash @fast", "hash", "Increment the float value of a hash field by the given amount") \
    X(HRANDFIELD,      "hrandfield", -2, COMMAND_READONLY, 1, 1, 1, "@read @hash @slow", "hash", "Get one or multiple random fields from a hash") \
    X(HSCAN,           "hscan", -3, COMMAND_READONLY, 1, 1, 1, "@read @hash @slow", "hash", "Incrementally iterate hash fields and associated values") \
    /* list */ \
    X(LPUSH,           "lpush", -3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @list @fast", "list", "Prepend one or multiple elements to a list") \
    X(RPUSH,           "rpush", -3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @list @fast", "list", "Append one or multiple elements to a list") \
    X(LPUSHX,          "lpushx", -3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @list @fast", "list", "Prepend an element to a list, only if the list exists") \
    X(RPUSHX,          "rpushx", -3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @list @fast", "list", "Append an element to a list, only if the list exists") \
    X(LPOP,            "lpop", -2, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@write @list @fast", "list", "Remove and get the first elements in a list") \
    X(RPOP,            "rpop", -2, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@write @list @fast", "list", "Remove and get the last elements in a list") \
    X(LLEN,            "llen", 2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @list @fast", "list", "Get the length of a list") \
    X(LRANGE,          "lrange", 4, COMMAND_READONLY, 1, 1, 1, "@read @list @slow", "list", "Get a range of elements from a list") \
    X(LINDEX,          "lindex", 3, COMMAND_READONLY, 1, 1, 1, "@read @list @slow", "list", "Get an element from a list by its index") \
    X(LSET,            "lset", 4, COMMAND_WRITE|COMMAND_DENYOOM, 1, 1, 1, "@write @list @slow", "list", "Set the value of an element in a list by its index") \
    X(LINSERT,         "linsert", 5, COMMAND_WRITE|COMMAND_DENYOOM, 1, 1, 1, "@write @list @slow", "list", "Insert an element before or after another element in a list") \
    X(LREM,            "lrem", 4, COMMAND_WRITE, 1, 1, 1, "@write @list @slow", "list", "Remove elements from a list") \
    X(LTRIM,           "ltrim", 4, COMMAND_WRITE, 1, 1, 1, "@write @list @slow", "list", "Trim a list to the specified range") \
    X(LPOS,            "lpos", -3, COMMAND_READONLY, 1, 1, 1, "@read @list @slow", "list", "Return the index of matching elements on a list") \
    X(LMOVE,           "lmove", 5, COMMAND_WRITE|COMMAND_DENYOOM, 1, 2, 1, "@write @list @slow", "list", "Pop an element from a list, push it to another list and return it") \
    X(RPOPLPUSH,       "rpoplpush", 3, COMMAND_WRITE|COMMAND_DENYOOM, 1, 2, 1, "@write @list @slow", "list", "Remove the last element in a list, prepend it to another list and return it") \
    X(BLPOP,           "blpop", -3, COMMAND_WRITE|COMMAND_NOSCRIPT|COMMAND_BLOCKING, 1, -2, 1, "@write @list @slow @blocking", "list", "Remove and get the first element in a list, or block until one is available") \
    X(BRPOP,           "brpop", -3, COMMAND_WRITE|COMMAND_NOSCRIPT|COMMAND_BLOCKING, 1, -2, 1, "@write @list @slow @blocking", "list", "Remove and get the last element in a list, or block until one is available") \
    X(BLMOVE,          "blmove", 6, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_NOSCRIPT|COMMAND_BLOCKING, 1, 2, 1, "@write @list @slow @blocking", "list", "Pop an element from a list, push it to another list and return it; or block until one is available") \
    X(BRPOPLPUSH,      "brpoplpush", 4, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_NOSCRIPT|COMMAND_BLOCKING, 1, 2, 1, "@write @list @slow @blocking", "list", "Pop an element from a list, push it to another list and return it; or block until one is available") \
    X(LMPOP,           "lmpop", -4, COMMAND_WRITE|COMMAND_MOVABLEKEYS, 0, 0, 0, "@write @list @slow", "list", "Pop elements from a list") \
    X(BLMPOP,          "blmpop", -5, COMMAND_WRITE|COMMAND_BLOCKING|COMMAND_MOVABLEKEYS, 0, 0, 0, "@write @list @slow @blocking", "list", "Pop elements from a list, or block until one is available") \
    /* set */ \
    X(SADD,            "sadd", -3, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @set @fast", "set", "Add one or more members to a set") \
    X(SREM,            "srem", -3, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@write @set @fast", "set", "Remove one or more members from a set") \
    X(SMEMBERS,        "smembers", 2, COMMAND_READONLY, 1, 1, 1, "@read @set @slow", "set", "Get all the members in a set") \
    X(SISMEMBER,       "sismember", 3, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @set @fast", "set", "Determine if a given value is a member of a set") \
    X(SMISMEMBER,      "smismember", -3, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @set @fast", "set", "Returns the membership associated with the given elements for a set") \
    X(SCARD,           "scard", 2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @set @fast", "set", "Get the number of members in a set") \
    X(SPOP,            "spop", -2, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@write @set @fast", "set", "Remove and return one or multiple random members from a set") \
    X(SRANDMEMBER,     "srandmember", -2, COMMAND_READONLY, 1, 1, 1, "@read @set @slow", "set", "Get one or multiple random members from a set") \
    X(SMOVE,           "smove", 4, COMMAND_WRITE|COMMAND_FAST, 1, 2, 1, "@write @set @fast", "set", "Move a member from one set to another") \
    X(SINTER,          "sinter", -2, COMMAND_READONLY, 1, -1, 1, "@read @set @slow", "set", "Intersect multiple sets") \
    X(SUNION,          "sunion", -2, COMMAND_READONLY, 1, -1, 1, "@read @set @slow", "set", "Add multiple sets") \
    X(SDIFF,           "sdiff", -2, COMMAND_READONLY, 1, -1, 1, "@read @set @slow", "set", "Subtract multiple sets") \
    X(SINTERCARD,      "sintercard", -3, COMMAND_READONLY|COMMAND_MOVABLEKEYS, 0, 0, 0, "@read @set @slow", "set", "Intersect multiple sets and return the cardinality of the result") \
    X(SINTERSTORE,     "sinterstore", -3, COMMAND_WRITE|COMMAND_DENYOOM, 1, -1, 1, "@write @set @slow", "set", "Intersect multiple sets and store the resulting set in a key") \
    X(SUNIONSTORE,     "sunionstore", -3, COMMAND_WRITE|COMMAND_DENYOOM, 1, -1, 1, "@write @set @slow", "set", "Add multiple sets and store the resulting set in a key") \
    X(SDIFFSTORE,      "sdiffstore", -3, COMMAND_WRITE|COMMAND_DENYOOM, 1, -1, 1, "@write @set @slow", "set", "Subtract multiple sets and store the resulting set in a key") \
    X(SSCAN,           "sscan", -3, COMMAND_READONLY, 1, 1, 1, "@read @set @slow", "set", "Incrementally iterate Set elements") \
    /* zset */ \
    X(ZADD,            "zadd", -4, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @sortedset @fast", "sorted-set", "Add one or more members to a sorted set, or update its score if it already exists") \
    X(ZREM,            "zrem", -3, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@write @sortedset @fast", "sorted-set", "Remove one or more members from a sorted set") \
    X(ZSCORE,          "zscore", 3, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @sortedset @fast", "sorted-set", "Get the score associated with the given member in a sorted set") \
    X(ZMSCORE,         "zmscore", -3, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @sortedset @fast", "sorted-set", "Get the score associated with the given members in a sorted set") \
    X(ZINCRBY,         "zincrby", 4, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_FAST, 1, 1, 1, "@write @sortedset @fast", "sorted-set", "Increment the score of a member in a sorted set") \
    X(ZCARD,           "zcard", 2, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @sortedset @fast", "sorted-set", "Get the number of members in a sorted set") \
    X(ZCOUNT,          "zcount", 4, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @sortedset @fast", "sorted-set", "Count the members in a sorted set with scores within the given values") \
    X(ZLEXCOUNT,       "zlexcount", 4, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @sortedset @fast", "sorted-set", "Count the number of members in a sorted set between a given lexicographical range") \
    X(ZRANGE,          "zrange", -4, COMMAND_READONLY, 1, 1, 1, "@read @sortedset @slow", "sorted-set", "Return a range of members in a sorted set") \
    X(ZRANGESTORE,     "zrangestore", -5, COMMAND_WRITE|COMMAND_DENYOOM, 1, 2, 1, "@write @sortedset @slow", "sorted-set", "Store a range of members from sorted set into another key") \
    X(ZRANGEBYSCORE,   "zrangebyscore", -4, COMMAND_READONLY, 1, 1, 1, "@read @sortedset @slow", "sorted-set", "Return a range of members in a sorted set, by score") \
    X(ZRANGEBYLEX,     "zrangebylex", -4, COMMAND_READONLY, 1, 1, 1, "@read @sortedset @slow", "sorted-set", "Return a range of members in a sorted set, by lexicographical range") \
    X(ZREVRANGE,       "zrevrange", -4, COMMAND_READONLY, 1, 1, 1, "@read @sortedset @slow", "sorted-set", "Return a range of members in a sorted set, by index, with scores ordered from high to low") \
    X(ZREVRANGEBYSCORE, "zrevrangebyscore", -4, COMMAND_READONLY, 1, 1, 1, "@read @sortedset @slow", "sorted-set", "Return a range of members in a sorted set, by score, with scores ordered from high to low") \
    X(ZREVRANGEBYLEX,  "zrevrangebylex", -4, COMMAND_READONLY, 1, 1, 1, "@read @sortedset @slow", "sorted-set", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.") \
    X(ZRANK,           "zrank", 3, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @sortedset @fast", "sorted-set", "Determine the index of a member in a sorted set") \
    X(ZREVRANK,        "zrevrank", 3, COMMAND_READONLY|COMMAND_FAST, 1, 1, 1, "@read @sortedset @fast", "sorted-set", "Determine the index of a member in a sorted set, with scores ordered from high to low") \
    X(ZPOPMIN,         "zpopmin", -2, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@write @sortedset @fast", "sorted-set", "Remove and return members with the lowest scores in a sorted set") \
    X(ZPOPMAX,         "zpopmax", -2, COMMAND_WRITE|COMMAND_FAST, 1, 1, 1, "@write @sortedset @fast", "sorted-set", "Remove and return members with the highest scores in a sorted set") \
    X(ZRANDMEMBER,     "zrandmember", -2, COMMAND_READONLY, 1, 1, 1, "@read @sortedset @slow", "sorted-set", "Get one or multiple random elements from a sorted set") \
    X(ZREMRANGEBYSCORE, "zremrangebyscore", 4, COMMAND_WRITE, 1, 1, 1, "@write @sortedset @slow", "sorted-set", "Remove all members in a sorted set within the given scores") \
    X(ZREMRANGEBYRANK, "zremrangebyrank", 4, COMMAND_WRITE, 1, 1, 1, "@write @sortedset @slow", "sorted-set", "Remove all members in a sorted set within the given indexes") \
    X(ZREMRANGEBYLEX,  "zremrangebylex", 4, COMMAND_WRITE, 1, 1, 1, "@write @sortedset @slow", "sorted-set", "Remove all members in a sorted set between the given lexicographical range") \
    X(ZUNIONSTORE,     "zunionstore", -4, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_MOVABLEKEYS, 1, 1, 1, "@write @sortedset @slow", "sorted-set", "Add multiple sorted sets and store the resulting sorted set in a new key") \
    X(ZINTERSTORE,     "zinterstore", -4, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_MOVABLEKEYS, 1, 1, 1, "@write @sortedset @slow", "sorted-set", "Intersect multiple sorted sets and store the resulting sorted set in a new key") \
    X(ZDIFFSTORE,      "zdiffstore", -4, COMMAND_WRITE|COMMAND_DENYOOM|COMMAND_MOVABLEKEYS, 1, 1, 1, "@write @sortedset @slow", "sorted-set", "Subtract multiple sorted sets and store the resulting sorted set in a new key") \
    X(ZUNION,          "zunion", -3, COMMAND_READONLY|COMMAND_MOVABLEKEYS, 0, 0, 0, "@read @sortedset @slow", "sorted-set", "Add multiple sorted sets") \
    X(ZINTER,          "zinter", -3, COMMAND_READONLY|COMMAND_MOVABLEKEYS, 0, 0, 0, "@read @sortedset @slow", "sorted-set", "Intersect multiple sorted sets") \
    X(ZDIFF,           "zdiff", -3, COMMAND_READONLY|COMMAND_MOVABLEKEYS, 0, 0, 0, "@read @sortedset @slow", "sorted-set", "Subtract multiple sorted sets") \
    X(ZINTERCARD,      "zintercard", -3, COMMAND_READONLY|COMMAND_MOVABLEKEYS, 0, 0, 0, "@read @sortedset @slow", "sorted-set", "Intersect multiple sorted sets and return the cardinality of the result") \
    X(ZMPOP,           "zmpop", -4, COMMAND_WRITE|COMMAND_MOVABLEKEYS, 0, 0, 0, "@write @sortedset @slow", "sorted-set", "Remove and return members with scores in a sorted set") \
    X(BZPOPMIN,        "bzpopmin", -3, COMMAND_WRITE|COMMAND_NOSCRIPT|COMMAND_BLOCKING|COMMAND_FAST, 1, -2, 1, "@write @sortedset @fast @blocking", "sorted-set", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available") \
    X(BZPOPMAX,        "bzpopmax", -3, COMMAND_WRITE|COMMAND_NOSCRIPT|COMMAND_BLOCKING|COMMAND_FAST, 1, -2, 1, "@write @sortedset @fast @blocking", "sorted-set", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available") \
    X(BZMPOP,          "bzmpop", -5, COMMAND_WRITE|COMMAND_BLOCKING|COMMAND_MOVABLEKEYS, 0, 0, 0, "@write @sortedset @slow @blocking", "sorted-set", "Remove and return members with scores in a sorted set or block until one is available") \
    X(ZSCAN,           "zscan", -3, COMMAND_READONLY, 1, 1, 1, "@read @sortedset @slow", "sorted-set", "Incrementally iterate sorted sets elements and associated scores") \
    /* generic */ \
    X(RENAME,          "rename", 3, COMMAND_WRITE, 1, 2, 1, "@keyspace @write @slow", "generic", "Rename a key") \
    X(RENAMENX,        "renamenx", 3, COMMAND_WRITE|COMMAND_FAST, 1, 2, 1, "@keyspace @write @fast", "generic", "Rename a key, only if the new key does not exist") \
    X(COPY,            "copy", -3, COMMAND_WRITE|COMMAND_DENYOOM, 1, 2, 1, "@keyspace @write @slow", "generic", "Copy a key") \
    X(OBJECT,          "object", -2, 0, 0, 0, 0, "@slow", "generic", "A container for object introspection commands") \
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
    X(TIME,        "time",        1, COMMAND_LOADING|COMMAND_STALE|COMMAND_FAST, 0, 0, 0, "@fast", "server", "Return the current server time") \
    X(ACL,         "acl",        -2, COMMAND_CONNECTION, 0, 0, 0, "@slow", "server", "A container for Access List Control commands") \
    X(CLUSTER,     "cluster",    -2, 0, 0, 0, 0, "@slow", "cluster", "A container for cluster commands") \
    X(DEBUG,       "debug",      -2, COMMAND_ADMIN|COMMAND_NOSCRIPT|COMMAND_LOADING|COMMAND_STALE, 0, 0, 0, "@admin @slow @dangerous", "server", "A container for debugging commands") \
    /* cluster-internal (shared/cluster_secret.h): hidden from COMMAND, never forwarded by the proxy */ \
    X(HERD_CHALLENGE, "herd.challenge", 1, COMMAND_INTERNAL|COMMAND_NOAUTH|COMMAND_FAST, 0, 0, 0, "@fast @connection", "server", "Start a cluster-secret proof: returns a fresh nonce") \
    X(HERD_PROVE,     "herd.prove",     3, COMMAND_INTERNAL|COMMAND_NOAUTH|COMMAND_FAST, 0, 0, 0, "@fast @connection", "server", "Prove the cluster secret: HMAC of the nonce and the role") \
    X(HERD_GOSSIP,    "herd.gossip",    2, COMMAND_INTERNAL|COMMAND_FAST, 0, 0, 0, "@fast", "cluster", "A membership message from another member") \
    X(HERD_REPL,      "herd.repl",      3, COMMAND_INTERNAL|COMMAND_WRITE, 0, 0, 0, "@write @slow", "cluster", "Apply a key's replicated state when newer") \
    X(HERD_FETCH,     "herd.fetch",     2, COMMAND_INTERNAL|COMMAND_READONLY, 0, 0, 0, "@read @slow", "cluster", "A key's whole state, for repair") \
    X(HERD_DIGESTS,   "herd.digests",   1, COMMAND_INTERNAL|COMMAND_READONLY, 0, 0, 0, "@read @slow", "cluster", "Every slot's digest, for anti-entropy") \
    X(HERD_SLOTKEYS,  "herd.slotkeys",  2, COMMAND_INTERNAL|COMMAND_READONLY, 0, 0, 0, "@read @slow", "cluster", "A slot's keys and versions, for anti-entropy") \
    X(HERD_OWNED,     "herd.owned",    -2, COMMAND_INTERNAL|COMMAND_READONLY, 0, 0, 0, "@read @slow", "cluster", "A keyspace listing over the slots this node owns")

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

/*
 * Where a request's keys are: the range first, first + step, ... last, and
 * at most one more position `extra` (the destination of ZUNIONSTORE and
 * the like), listed before the range when extra_first, else after it.
 * count is the number of keys in all; 0 when there are none.
 */
struct command_keys {
    int first;
    int last;
    int step;
    int extra;        /* 0: none */
    int extra_first;
    int count;
};

/*
 * Finds the keys of a request whose arity is satisfied, as Redis 7.0's
 * COMMAND GETKEYS and cluster routing find them: from the table's key
 * positions, from the numkeys argument of movable-keys commands (see
 * commands.c for Redis's exact rules), and argv[2] for OBJECT
 * ENCODING|REFCOUNT|IDLETIME|FREQ key.  A movable-keys command whose
 * numkeys Redis refuses has no keys (the node then answers the error).
 * Returns keys->count.
 */
int command_find_keys(const struct command_info *info, int argc, const char *const *argv,
                      const size_t *argv_length, struct command_keys *keys);
/* The argument position of key `index` (0 <= index < keys->count), in
 * the order Redis lists the keys. */
int command_keys_position(const struct command_keys *keys, int index);
/* command_find_keys() as an array: writes the first `capacity` positions
 * and returns the number of keys (which may be more than capacity). */
int command_get_keys(const struct command_info *info, int argc, const char *const *argv,
                     const size_t *argv_length, int *positions, int capacity);
/* Position of the numkeys argument of a movable-keys command; 0 when the
 * command has none. */
int command_numkeys_position(const struct command_info *info);
/* OBJECT's subcommand argv[1]: 1 when it takes a key (ENCODING, REFCOUNT,
 * IDLETIME, FREQ; any case), 0 for HELP, -1 when unknown. */
int command_object_subcommand_keys(const char *name, size_t length);

/* COMMAND replies generated from the table, as Redis 7.0 shapes them. */
void command_reply_count(struct evbuffer *out);
void command_reply_info(struct evbuffer *out, const struct command_info *info); /* NULL: nil */
void command_reply_docs(struct evbuffer *out, const struct command_info *info);  /* name + doc map */
void command_reply_all(struct evbuffer *out);

#endif
