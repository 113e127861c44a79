/*
 * dispatch.c — the node's handler for each command of the shared table.
 *
 * The array is indexed by enum command_id and lists every COMMAND_TABLE
 * entry by hand, so adding a command to the table (shared/commands.h)
 * without giving the node a handler leaves a NULL here, which the server
 * answers as an unknown command.
 */
#include <stddef.h>
#include "node/server.h"

static command_handler *const command_handlers[COMMAND_COUNT] = {
    /* Strings (node/t_string.c) */
    [COMMAND_GET]         = command_GET,
    [COMMAND_SET]         = command_SET,
    [COMMAND_SETNX]       = command_SETNX,
    [COMMAND_SETEX]       = command_SETEX,
    [COMMAND_PSETEX]      = command_PSETEX,
    [COMMAND_GETSET]      = command_GETSET,
    [COMMAND_GETDEL]      = command_GETDEL,
    [COMMAND_GETEX]       = command_GETEX,
    [COMMAND_MGET]        = command_MGET,
    [COMMAND_MSET]        = command_MSET,
    [COMMAND_MSETNX]      = command_MSETNX,
    [COMMAND_APPEND]      = command_APPEND,
    [COMMAND_STRLEN]      = command_STRLEN,
    [COMMAND_GETRANGE]    = command_GETRANGE,
    [COMMAND_SUBSTR]      = command_SUBSTR,
    [COMMAND_SETRANGE]    = command_SETRANGE,
    [COMMAND_INCR]        = command_INCR,
    [COMMAND_DECR]        = command_DECR,
    [COMMAND_INCRBY]      = command_INCRBY,
    [COMMAND_DECRBY]      = command_DECRBY,
    [COMMAND_INCRBYFLOAT] = command_INCRBYFLOAT,
    /* Keyspace (node/t_keyspace.c) */
    [COMMAND_DEL]         = command_DEL,
    [COMMAND_UNLINK]      = command_UNLINK,
    [COMMAND_EXISTS]      = command_EXISTS,
    [COMMAND_TYPE]        = command_TYPE,
    [COMMAND_EXPIRE]      = command_EXPIRE,
    [COMMAND_PEXPIRE]     = command_PEXPIRE,
    [COMMAND_EXPIREAT]    = command_EXPIREAT,
    [COMMAND_PEXPIREAT]   = command_PEXPIREAT,
    [COMMAND_TTL]         = command_TTL,
    [COMMAND_PTTL]        = command_PTTL,
    [COMMAND_EXPIRETIME]  = command_EXPIRETIME,
    [COMMAND_PEXPIRETIME] = command_PEXPIRETIME,
    [COMMAND_PERSIST]     = command_PERSIST,
    [COMMAND_TOUCH]       = command_TOUCH,
    [COMMAND_SCAN]        = command_SCAN,
    [COMMAND_KEYS]        = command_KEYS,
    [COMMAND_DBSIZE]      = command_DBSIZE,
    [COMMAND_RANDOMKEY]   = command_RANDOMKEY,
    [COMMAND_FLUSHDB]     = command_FLUSHDB,
    [COMMAND_FLUSHALL]    = command_FLUSHALL,
    /* Connection and server (node/t_connection.c) */
    [COMMAND_PING]        = command_PING,
    [COMMAND_ECHO]        = command_ECHO,
    [COMMAND_SELECT]      = command_SELECT,
    [COMMAND_QUIT]        = command_QUIT,
    [COMMAND_RESET]       = command_RESET,
    [COMMAND_HELLO]       = command_HELLO,
    [COMMAND_AUTH]        = command_AUTH,
    [COMMAND_CLIENT]      = command_CLIENT,
    [COMMAND_COMMAND]     = command_COMMAND,
    [COMMAND_INFO]        = command_INFO,
    [COMMAND_TIME]        = command_TIME,
};

command_handler *
command_handler_for(enum command_id id)
{
    if ((int)id < 0 || id >= COMMAND_COUNT) {
        return NULL;
    }
    return command_handlers[id];
}
