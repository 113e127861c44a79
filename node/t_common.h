/*
 * t_common.h — helpers the command files (node/t_*.c) share: comparing an
 * option word the way Redis does, parsing integer arguments with Redis's
 * error replies, and opening and saving a collection named by an argument
 * with the WRONGTYPE and storage error replies.
 *
 * Every function that can fail replies the error itself, so a command only
 * has to stop: the result says whether it must.
 */
#ifndef HERD_NODE_T_COMMON_H
#define HERD_NODE_T_COMMON_H

#include <stddef.h>

struct client;
struct collection;

/*
 * Whether `argument` names `option` (lower case), compared as Redis
 * compares options: case-insensitively and as a C string, so whatever
 * follows a NUL byte is ignored ("nx\0junk" means NX).
 */
int option_is(const char *argument, size_t length, const char *option);
/* option_is() on argument `index` of the command. */
int argument_is(const struct client *c, int index, const char *option);
/* 1 when arguments a and b are the same bytes (the same key). */
int same_argument(const struct client *c, int a, int b);

/* Parses argument `index` as a long long; replies Redis's "not an integer
 * or out of range" error and returns -1 when it is not one. */
int argument_long_long(struct client *c, int index, long long *value);
/* Parses argument `index` as a long long in [minimum, maximum]; replies
 * `message` both when it is not an integer and when it is out of range
 * (Redis uses one text for both where a command names its own), and
 * returns -1 then. */
int argument_in_range(struct client *c, int index, long long minimum,
                      long long maximum, const char *message, long long *value);

/*
 * Opens the key at argument `index` as a collection of `type` with
 * collection_open() flags.  Returns DB_FOUND or DB_NOT_FOUND; when the key
 * holds another type or storage fails, replies the error (WRONGTYPE or the
 * storage error) and returns DB_ERROR.  The caller closes `collection`
 * whatever the result.
 */
int open_collection_argument(struct client *c, int index, int type, int flags,
                             struct collection *collection);
/* Stores a changed collection (an empty one deletes the key); replies the
 * storage error and returns -1 on failure. */
int save_collection(struct client *c, struct collection *collection);

/* Replies "ERR out of memory". */
void reply_error_out_of_memory(struct client *c);

#endif /* HERD_NODE_T_COMMON_H */
