/*
 * acl.h — users and what they may do, read from the config file, used by
 * herd-proxy and herd-node alike:
 *
 *   requirepass <password>          the default user needs this password
 *   user <name> <rule> [<rule>...]  defines (or extends) a user
 *
 * Rules, as in Redis's ACL SETUSER (the subset herd has):
 *   on | off                enabled / disabled (a disabled user cannot log in)
 *   #<hash>                 a password hash (shared/password.h; see
 *                           `herd-proxy --hash-password`); several allowed
 *   ><password>             a password in clear text (hashed when loaded)
 *   nopass                  any password logs in
 *   resetpass               forget passwords (and nopass)
 *   reset                   resetpass, resetkeys, off, -@all
 *   ~<pattern> | allkeys | resetkeys     key patterns (glob) the user may touch
 *   +@<category> | -@<category>          command categories: Redis's names
 *                           (read, write, keyspace, string, hash, list, set,
 *                           sortedset, fast, slow, dangerous, connection, ...)
 *                           plus `admin` (see below); +@all / allcommands,
 *                           -@all / nocommands
 *   +<command> | -<command> one command
 *
 * The `admin` category: commands Redis puts in @admin, and every command in
 * both @write and @dangerous (FLUSHALL, FLUSHDB): these need +@admin (or
 * +@all).  Commands flagged no_auth (AUTH, HELLO, QUIT, RESET) are always
 * allowed, as in Redis.
 *
 * Without any `requirepass` or `user default ...` line the default user is
 * on, nopass, +@all, allkeys: every client is logged in as it, as in Redis.
 * Rules apply in order, so later lines extend earlier ones.
 */
#ifndef HERD_ACL_H
#define HERD_ACL_H

#include <stddef.h>
#include <stdint.h>
#include <event2/buffer.h>
#include "shared/commands.h"
#include "shared/password.h"

#define ACL_USER_NAME_MAX   128
#define ACL_MAX_PASSWORDS   4

/* One user. */
struct acl_user {
    char      name[ACL_USER_NAME_MAX];
    int       enabled;
    int       nopass;
    int       password_count;
    char      passwords[ACL_MAX_PASSWORDS][PASSWORD_HASH_MAX];
    int       all_keys;
    int       pattern_count;
    char    **patterns;                      /* malloc'd glob patterns */
    unsigned char allowed[COMMAND_COUNT];    /* 1: may run command id */
};

/* Every user of a process. */
struct acl {
    int              user_count;
    struct acl_user *users;                  /* users[0] is "default" */
};

/* acl_check() results. */
#define ACL_ALLOWED          0
#define ACL_DENIED_COMMAND   1
#define ACL_DENIED_KEY       2

/* An ACL with only the default user (on, nopass, +@all, allkeys). */
int  acl_init(struct acl *acl);
void acl_free(struct acl *acl);

/* Config lines.  Each returns 0, or -1 with a message in error. */
int  acl_set_requirepass(struct acl *acl, const char *password, size_t length,
                         char *error, size_t error_size);
int  acl_set_user(struct acl *acl, int argc, const char **argv,
                  const size_t *argv_length, char *error, size_t error_size);

const struct acl_user *acl_find_user(const struct acl *acl, const char *name,
                                     size_t length);
const struct acl_user *acl_default_user(const struct acl *acl);
/* 1 when a new connection must AUTH first (the default user is off or has
 * a password). */
int  acl_requires_auth(const struct acl *acl);

/* Whether `user` may run this request (argv[0] is the command name). */
int  acl_check(const struct acl_user *user, const struct command_info *info,
               int argc, const char **argv, const size_t *argv_length);
/* Redis 7.0's NOPERM error for an acl_check() result. */
void acl_reply_denied(struct evbuffer *out, int result, const struct command_info *info);

/* The messages Redis uses. */
#define ACL_NOAUTH_ERROR    "NOAUTH Authentication required."
#define ACL_WRONGPASS_ERROR "WRONGPASS invalid username-password pair or user is disabled."

#endif
