/*
 * t_common.c — helpers the command files share (see node/t_common.h).
 */
#include <string.h>
#include <strings.h>

#include "node/collection.h"
#include "node/db.h"
#include "node/server.h"
#include "node/t_common.h"
#include "shared/number.h"
#include "shared/reply.h"

/* Whether an option word matches, Redis's way (see t_common.h). */
int
option_is(const char *argument, size_t length, const char *option)
{
    const char *nul = memchr(argument, '\0', length);

    if (nul != NULL) {
        length = (size_t)(nul - argument);
    }
    return length == strlen(option) &&
           strncasecmp(argument, option, length) == 0;
}

/* Whether argument `index` names `option`. */
int
argument_is(const struct client *c, int index, const char *option)
{
    return option_is(c->argv[index], c->argv_length[index], option);
}

/* Whether two arguments are the same bytes. */
int
same_argument(const struct client *c, int a, int b)
{
    return c->argv_length[a] == c->argv_length[b] &&
           memcmp(c->argv[a], c->argv[b], c->argv_length[a]) == 0;
}

/* Parses an integer argument; replies Redis's error when it is not one. */
int
argument_long_long(struct client *c, int index, long long *value)
{
    if (!string_to_long_long(c->argv[index], c->argv_length[index], value)) {
        reply_error_not_integer(c->reply);
        return -1;
    }
    return 0;
}

/* Parses an integer argument in a range; replies `message` when it is not
 * one. */
int
argument_in_range(struct client *c, int index, long long minimum,
                  long long maximum, const char *message, long long *value)
{
    if (!string_to_long_long(c->argv[index], c->argv_length[index], value) ||
        *value < minimum || *value > maximum) {
        reply_error(c->reply, message);
        return -1;
    }
    return 0;
}

/* Opens the collection an argument names; replies WRONGTYPE or the storage
 * error and returns DB_ERROR when it cannot be used. */
int
open_collection_argument(struct client *c, int index, int type, int flags,
                         struct collection *collection)
{
    int result = collection_open(c->server, c->argv[index], c->argv_length[index],
                                 type, flags, collection);

    if (result == COLLECTION_WRONG_TYPE) {
        reply_error_wrong_type(c->reply);
        return DB_ERROR;
    }
    if (result != DB_FOUND && result != DB_NOT_FOUND) {
        reply_error_storage(c);
        return DB_ERROR;
    }
    return result;
}

/* Saves a collection; replies the storage error on failure. */
int
save_collection(struct client *c, struct collection *collection)
{
    if (collection_save(collection) != 0) {
        reply_error_storage(c);
        return -1;
    }
    return 0;
}

/* The reply when memory runs out. */
void
reply_error_out_of_memory(struct client *c)
{
    reply_error(c->reply, "ERR out of memory");
}
