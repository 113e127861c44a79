/*
 * acl.c — users, their rules (the subset of Redis's ACL SETUSER that acl.h
 * lists) and the check of each request against them.
 *
 * A user is a flat record: flags, password hashes, key patterns and one
 * byte per command of the command table saying whether it may run it.
 * Category rules are resolved against the table's `categories` strings
 * when the rule is applied, so checking a request costs one array lookup
 * plus, for users with key patterns, one glob match per key and pattern.
 *
 * Rules of one `user` line are applied to a copy of the user and stored
 * only when all of them succeed: a line with a bad rule changes nothing,
 * as ACL SETUSER does in Redis.
 *
 * Passwords are only ever hashed here (a `>password` rule, at config load
 * time); verifying them is slow on purpose and happens off the event loop
 * in the AUTH code, never in this file.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shared/acl.h"
#include "shared/glob.h"
#include "shared/reply.h"

/* Why a rule was refused: Redis 7.0's texts where Redis has the case. */
#define ACL_REASON_SYNTAX        "Syntax error"
#define ACL_REASON_UNKNOWN_NAME  "Unknown command or category name in ACL"
#define ACL_REASON_PATTERN_AFTER_ALL_KEYS \
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not " \
    "valid and does not have any effect. Try 'resetkeys' to start with an " \
    "empty list of patterns"
#define ACL_REASON_SUBCOMMAND \
    "herd allows or denies whole commands only, not subcommands or first " \
    "arguments"
#define ACL_REASON_BAD_HASH \
    "The password hash is not a valid herd password hash (make one with " \
    "herd-proxy --hash-password)"
#define ACL_TEXT(value)          #value
#define ACL_NUMBER_TEXT(value)   ACL_TEXT(value)
#define ACL_REASON_TOO_MANY_PASSWORDS \
    "A user can have at most " ACL_NUMBER_TEXT(ACL_MAX_PASSWORDS) " passwords"
#define ACL_REASON_LONG_NAME \
    "Usernames must be shorter than " ACL_NUMBER_TEXT(ACL_USER_NAME_MAX) " bytes"
#define ACL_REASON_HASH_FAILED   "Could not hash the password"
#define ACL_REASON_PATTERN_NUL   "Key patterns can't contain null characters"
#define ACL_REASON_NO_MEMORY     "Out of memory"

/* The special category names acl.h defines on top of the table's. */
#define ACL_CATEGORY_ALL    "all"
#define ACL_CATEGORY_ADMIN  "admin"

/* 1 when rule[0..length) is `keyword`, ignoring case (as Redis does). */
static int
rule_is(const char *rule, size_t length, const char *keyword)
{
    return length == strlen(keyword) && strncasecmp(rule, keyword, length) == 0;
}

/* Writes "Error in ACL SETUSER modifier '<shown>': <reason>" into error. */
static void
acl_format_rule_error(char *error, size_t error_size, const char *shown,
                      size_t shown_length, const char *reason)
{
    if (error == NULL || error_size == 0) {
        return;
    }
    snprintf(error, error_size, "Error in ACL SETUSER modifier '%.*s': %s",
             (int)shown_length, shown, reason);
}

/* Writes a message that is not about one rule into error. */
static void
acl_format_error(char *error, size_t error_size, const char *message)
{
    if (error == NULL || error_size == 0) {
        return;
    }
    snprintf(error, error_size, "%s", message);
}

/*
 * 1 when the space-separated `categories` string of a table row holds
 * "@<name>" (name compared without case: rules may be written in any case,
 * the table is lower case).
 */
static int
categories_contain(const char *categories, const char *name, size_t length)
{
    const char *token = categories;

    while (*token != '\0') {
        size_t token_length;

        while (*token == ' ') {
            token++;
        }
        token_length = strcspn(token, " ");
        if (token_length == length + 1 && token[0] == '@' &&
            strncasecmp(token + 1, name, length) == 0) {
            return 1;
        }
        token += token_length;
    }
    return 0;
}

/*
 * herd's `admin` category.  Redis has an @admin category of its own (CONFIG,
 * DEBUG, SHUTDOWN, ...) and herd keeps its meaning, but also counts as admin
 * every command that is both @write and @dangerous: FLUSHALL and FLUSHDB
 * wipe data, and Redis lets +@write or +@keyspace grant them.  In herd
 * those commands need +@admin (or +@all, or naming the command).
 */
static int
command_is_admin(const struct command_info *info)
{
    if (categories_contain(info->categories, ACL_CATEGORY_ADMIN,
                           strlen(ACL_CATEGORY_ADMIN))) {
        return 1;
    }
    return categories_contain(info->categories, "write", 5) &&
           categories_contain(info->categories, "dangerous", 9);
}

/* 1 when the command belongs to the category (`all` and `admin` included). */
static int
command_in_category(const struct command_info *info, const char *name, size_t length)
{
    if (rule_is(name, length, ACL_CATEGORY_ALL)) {
        return 1;
    }
    if (rule_is(name, length, ACL_CATEGORY_ADMIN)) {
        return command_is_admin(info);
    }
    return categories_contain(info->categories, name, length);
}

/*
 * 1 when the name is a category: `all`, `admin`, or one that some row of
 * the command table lists.  (So Redis categories that no herd command has,
 * such as @geo or @pubsub, are unknown here.)
 */
static int
category_known(const char *name, size_t length)
{
    int id;

    if (rule_is(name, length, ACL_CATEGORY_ALL) ||
        rule_is(name, length, ACL_CATEGORY_ADMIN)) {
        return 1;
    }
    for (id = 0; id < COMMAND_COUNT; id++) {
        if (categories_contain(command_table[id].categories, name, length)) {
            return 1;
        }
    }
    return 0;
}

/* Forgets every key pattern (allkeys included). */
static void
acl_user_reset_keys(struct acl_user *user)
{
    int i;

    for (i = 0; i < user->pattern_count; i++) {
        free(user->patterns[i]);
    }
    free(user->patterns);
    user->patterns = NULL;
    user->pattern_count = 0;
    user->all_keys = 0;
}

/* Forgets every password, and nopass. */
static void
acl_user_reset_passwords(struct acl_user *user)
{
    memset(user->passwords, 0, sizeof(user->passwords));
    user->password_count = 0;
    user->nopass = 0;
}

/* A user as ACL SETUSER creates one: off, no passwords, commands or keys. */
static void
acl_user_init(struct acl_user *user, const char *name, size_t length)
{
    memset(user, 0, sizeof(*user));
    memcpy(user->name, name, length);
    user->name[length] = '\0';
}

/* Frees what the user owns (its patterns); the record itself stays. */
static void
acl_user_clear(struct acl_user *user)
{
    acl_user_reset_keys(user);
}

/* A deep copy of `from` into `to`.  Returns 0, or -1 out of memory. */
static int
acl_user_copy(struct acl_user *to, const struct acl_user *from)
{
    int i;

    *to = *from;
    to->patterns = NULL;
    to->pattern_count = 0;
    if (from->pattern_count == 0) {
        return 0;
    }
    to->patterns = calloc((size_t)from->pattern_count, sizeof(*to->patterns));
    if (to->patterns == NULL) {
        return -1;
    }
    for (i = 0; i < from->pattern_count; i++) {
        to->patterns[i] = strdup(from->patterns[i]);
        if (to->patterns[i] == NULL) {
            acl_user_clear(to);
            return -1;
        }
        to->pattern_count++;
    }
    return 0;
}

/* Sets every command of the category to `allow`.  Granting a category
 * other than `all` and `admin` leaves admin commands alone. */
static void
acl_user_set_category(struct acl_user *user, const char *name, size_t length, int allow)
{
    int grants_admin = rule_is(name, length, ACL_CATEGORY_ALL) ||
                       rule_is(name, length, ACL_CATEGORY_ADMIN);
    int id;

    for (id = 0; id < COMMAND_COUNT; id++) {
        const struct command_info *info = &command_table[id];

        if (!command_in_category(info, name, length)) {
            continue;
        }
        if (allow && !grants_admin && command_is_admin(info)) {
            continue;
        }
        user->allowed[id] = (unsigned char)allow;
    }
}

/* +@<category> | -@<category> | +<command> | -<command>. */
static const char *
acl_user_apply_command_rule(struct acl_user *user, const char *rule, size_t length)
{
    int allow = rule[0] == '+';
    const char *name = rule + 1;
    size_t name_length = length - 1;
    const char *bar;
    const struct command_info *info;

    if (name_length > 0 && name[0] == '@') {
        if (!category_known(name + 1, name_length - 1)) {
            return ACL_REASON_UNKNOWN_NAME;
        }
        acl_user_set_category(user, name + 1, name_length - 1, allow);
        return NULL;
    }
    bar = memchr(name, '|', name_length);
    info = command_lookup(name, bar != NULL ? (size_t)(bar - name) : name_length);
    if (info == NULL) {
        return ACL_REASON_UNKNOWN_NAME;
    }
    if (bar != NULL) {
        return ACL_REASON_SUBCOMMAND;
    }
    user->allowed[info->id] = (unsigned char)allow;
    return NULL;
}

/* 1 when the user already has this exact hash text. */
static int
acl_user_has_hash(const struct acl_user *user, const char *hash)
{
    int i;

    for (i = 0; i < user->password_count; i++) {
        if (strcmp(user->passwords[i], hash) == 0) {
            return 1;
        }
    }
    return 0;
}

/* ><password>: hashes it (slow: config load time only) and adds it. */
static const char *
acl_user_add_password(struct acl_user *user, const char *password, size_t length)
{
    char hash[PASSWORD_HASH_MAX];

    if (user->password_count == ACL_MAX_PASSWORDS) {
        return ACL_REASON_TOO_MANY_PASSWORDS;
    }
    if (password_hash(password, length, hash, sizeof(hash)) != 0) {
        return ACL_REASON_HASH_FAILED;
    }
    memcpy(user->passwords[user->password_count], hash, strlen(hash) + 1);
    user->password_count++;
    user->nopass = 0;
    return NULL;
}

/* #<hash>: checks the hash text's form and adds it (once). */
static const char *
acl_user_add_hash(struct acl_user *user, const char *text, size_t length)
{
    char hash[PASSWORD_HASH_MAX];

    if (length >= sizeof(hash) || memchr(text, '\0', length) != NULL) {
        return ACL_REASON_BAD_HASH;
    }
    memcpy(hash, text, length);
    hash[length] = '\0';
    if (password_hash_valid(hash) != 1) {
        return ACL_REASON_BAD_HASH;
    }
    user->nopass = 0;
    if (acl_user_has_hash(user, hash)) {
        return NULL;
    }
    if (user->password_count == ACL_MAX_PASSWORDS) {
        return ACL_REASON_TOO_MANY_PASSWORDS;
    }
    memcpy(user->passwords[user->password_count], hash, length + 1);
    user->password_count++;
    return NULL;
}

/* 1 when the user already has this pattern. */
static int
acl_user_has_pattern(const struct acl_user *user, const char *pattern, size_t length)
{
    int i;

    for (i = 0; i < user->pattern_count; i++) {
        if (strlen(user->patterns[i]) == length &&
            memcmp(user->patterns[i], pattern, length) == 0) {
            return 1;
        }
    }
    return 0;
}

/* ~<pattern>: "*" means allkeys; other patterns are added (once). */
static const char *
acl_user_add_pattern(struct acl_user *user, const char *pattern, size_t length)
{
    char **patterns;
    char *copy;

    if (glob_matches_everything(pattern, length)) {
        acl_user_reset_keys(user);
        user->all_keys = 1;
        return NULL;
    }
    if (user->all_keys) {
        return ACL_REASON_PATTERN_AFTER_ALL_KEYS;
    }
    if (memchr(pattern, '\0', length) != NULL) {
        return ACL_REASON_PATTERN_NUL;
    }
    if (acl_user_has_pattern(user, pattern, length)) {
        return NULL;
    }
    patterns = realloc(user->patterns,
                       ((size_t)user->pattern_count + 1) * sizeof(*patterns));
    if (patterns == NULL) {
        return ACL_REASON_NO_MEMORY;
    }
    user->patterns = patterns;
    copy = strndup(pattern, length);
    if (copy == NULL) {
        return ACL_REASON_NO_MEMORY;
    }
    user->patterns[user->pattern_count++] = copy;
    return NULL;
}

/*
 * Rules that are one keyword.  Returns 1 when `rule` was one (and applied),
 * 0 when it is not a keyword.  `reset` is Redis's shorthand for resetpass
 * resetkeys off -@all (herd has no channels to reset).
 */
static int
acl_user_apply_keyword(struct acl_user *user, const char *rule, size_t length)
{
    if (rule_is(rule, length, "on")) {
        user->enabled = 1;
    } else if (rule_is(rule, length, "off")) {
        user->enabled = 0;
    } else if (rule_is(rule, length, "nopass")) {
        acl_user_reset_passwords(user);
        user->nopass = 1;
    } else if (rule_is(rule, length, "resetpass")) {
        acl_user_reset_passwords(user);
    } else if (rule_is(rule, length, "allkeys")) {
        acl_user_reset_keys(user);
        user->all_keys = 1;
    } else if (rule_is(rule, length, "resetkeys")) {
        acl_user_reset_keys(user);
    } else if (rule_is(rule, length, "allcommands")) {
        acl_user_set_category(user, ACL_CATEGORY_ALL, strlen(ACL_CATEGORY_ALL), 1);
    } else if (rule_is(rule, length, "nocommands")) {
        acl_user_set_category(user, ACL_CATEGORY_ALL, strlen(ACL_CATEGORY_ALL), 0);
    } else if (rule_is(rule, length, "reset")) {
        acl_user_reset_passwords(user);
        acl_user_reset_keys(user);
        user->enabled = 0;
        acl_user_set_category(user, ACL_CATEGORY_ALL, strlen(ACL_CATEGORY_ALL), 0);
    } else {
        return 0;
    }
    return 1;
}

/* Applies one rule.  Returns NULL, or why the rule was refused. */
static const char *
acl_user_apply_rule(struct acl_user *user, const char *rule, size_t length)
{
    if (length == 0) {
        return NULL;                       /* an empty rule does nothing */
    }
    if (acl_user_apply_keyword(user, rule, length)) {
        return NULL;
    }
    switch (rule[0]) {
    case '>':
        return acl_user_add_password(user, rule + 1, length - 1);
    case '#':
        return acl_user_add_hash(user, rule + 1, length - 1);
    case '~':
        return acl_user_add_pattern(user, rule + 1, length - 1);
    case '+':
    case '-':
        return acl_user_apply_command_rule(user, rule, length);
    default:
        return ACL_REASON_SYNTAX;
    }
}

/*
 * Applies rules in order to `user`.  On a refused rule, writes the error
 * (never showing a clear-text password) and returns -1; the user may then
 * be half changed, so callers work on a copy.
 */
static int
acl_user_apply_rules(struct acl_user *user, int count, const char **rules,
                     const size_t *rule_length, char *error, size_t error_size)
{
    int i;

    for (i = 0; i < count; i++) {
        const char *reason = acl_user_apply_rule(user, rules[i], rule_length[i]);

        if (reason == NULL) {
            continue;
        }
        if (rule_length[i] > 0 && rules[i][0] == '>') {
            acl_format_rule_error(error, error_size, ">...", 4, reason);
        } else {
            acl_format_rule_error(error, error_size, rules[i], rule_length[i], reason);
        }
        return -1;
    }
    return 0;
}

/* Index of the user with this name, or -1. */
static int
acl_find_index(const struct acl *acl, const char *name, size_t length)
{
    int i;

    for (i = 0; i < acl->user_count; i++) {
        if (strlen(acl->users[i].name) == length &&
            memcmp(acl->users[i].name, name, length) == 0) {
            return i;
        }
    }
    return -1;
}

/* Checks a user name: Redis refuses spaces and NULs; herd also a length
 * that does not fit acl_user.name.  Returns 0, or -1 with the error. */
static int
acl_validate_user_name(const char *name, size_t length, char *error, size_t error_size)
{
    size_t i;

    for (i = 0; i < length; i++) {
        if (name[i] == '\0' || isspace((unsigned char)name[i])) {
            acl_format_error(error, error_size,
                             "Usernames can't contain spaces or null characters");
            return -1;
        }
    }
    if (length >= ACL_USER_NAME_MAX) {
        acl_format_error(error, error_size, ACL_REASON_LONG_NAME);
        return -1;
    }
    return 0;
}

/* Stores `user` (which the ACL then owns) at `index`, or appends it when
 * index is -1.  Returns 0, or -1 out of memory (user left untouched). */
static int
acl_store_user(struct acl *acl, int index, struct acl_user *user)
{
    struct acl_user *users;

    if (index >= 0) {
        acl_user_clear(&acl->users[index]);
        acl->users[index] = *user;
        return 0;
    }
    users = realloc(acl->users, ((size_t)acl->user_count + 1) * sizeof(*users));
    if (users == NULL) {
        return -1;
    }
    acl->users = users;
    acl->users[acl->user_count++] = *user;
    return 0;
}

int
acl_init(struct acl *acl)
{
    struct acl_user *user;

    acl->user_count = 0;
    acl->users = calloc(1, sizeof(*acl->users));
    if (acl->users == NULL) {
        return -1;
    }
    user = &acl->users[0];
    acl_user_init(user, "default", strlen("default"));
    user->enabled = 1;
    user->nopass = 1;
    user->all_keys = 1;
    acl_user_set_category(user, ACL_CATEGORY_ALL, strlen(ACL_CATEGORY_ALL), 1);
    acl->user_count = 1;
    return 0;
}

void
acl_free(struct acl *acl)
{
    int i;

    for (i = 0; i < acl->user_count; i++) {
        acl_user_clear(&acl->users[i]);
    }
    free(acl->users);
    acl->users = NULL;
    acl->user_count = 0;
}

/*
 * `requirepass <password>`: the default user's passwords become this one;
 * an empty password means none (nopass), like Redis's requirepass "".
 * Whether the user is on is left as it is, as in Redis.
 */
int
acl_set_requirepass(struct acl *acl, const char *password, size_t length,
                    char *error, size_t error_size)
{
    struct acl_user *user = &acl->users[0];
    char hash[PASSWORD_HASH_MAX];

    if (length == 0) {
        acl_user_reset_passwords(user);
        user->nopass = 1;
        return 0;
    }
    if (password_hash(password, length, hash, sizeof(hash)) != 0) {
        acl_format_error(error, error_size, "requirepass: " ACL_REASON_HASH_FAILED);
        return -1;
    }
    acl_user_reset_passwords(user);
    memcpy(user->passwords[0], hash, strlen(hash) + 1);
    user->password_count = 1;
    return 0;
}

int
acl_set_user(struct acl *acl, int argc, const char **argv,
             const size_t *argv_length, char *error, size_t error_size)
{
    struct acl_user user;
    int index;

    memset(&user, 0, sizeof(user));
    if (argc < 1) {
        acl_format_error(error, error_size, "A user line needs a user name");
        return -1;
    }
    if (acl_validate_user_name(argv[0], argv_length[0], error, error_size) != 0) {
        return -1;
    }
    index = acl_find_index(acl, argv[0], argv_length[0]);
    if (index >= 0) {
        if (acl_user_copy(&user, &acl->users[index]) != 0) {
            acl_format_error(error, error_size, ACL_REASON_NO_MEMORY);
            goto out;
        }
    } else {
        acl_user_init(&user, argv[0], argv_length[0]);
    }
    if (acl_user_apply_rules(&user, argc - 1, argv + 1, argv_length + 1,
                             error, error_size) != 0) {
        goto out;
    }
    if (acl_store_user(acl, index, &user) != 0) {
        acl_format_error(error, error_size, ACL_REASON_NO_MEMORY);
        goto out;
    }
    return 0;

out:
    acl_user_clear(&user);
    return -1;
}

const struct acl_user *
acl_find_user(const struct acl *acl, const char *name, size_t length)
{
    int index = acl_find_index(acl, name, length);

    return index >= 0 ? &acl->users[index] : NULL;
}

const struct acl_user *
acl_default_user(const struct acl *acl)
{
    return acl->user_count > 0 ? &acl->users[0] : NULL;
}

int
acl_requires_auth(const struct acl *acl)
{
    const struct acl_user *user = acl_default_user(acl);

    return user == NULL || !user->enabled || !user->nopass;
}

/* 1 when one of the user's patterns matches the key (binary safe). */
static int
acl_user_may_access_key(const struct acl_user *user, const char *key, size_t length)
{
    int i;

    if (user->all_keys) {
        return 1;
    }
    for (i = 0; i < user->pattern_count; i++) {
        if (glob_match(user->patterns[i], strlen(user->patterns[i]), key, length, 0)) {
            return 1;
        }
    }
    return 0;
}

/*
 * Commands flagged no_auth are always allowed; otherwise the command must
 * be allowed, then every key the request names (movable keys included)
 * must match a pattern.  Keyless commands (SCAN, KEYS, DBSIZE, FLUSHALL)
 * need the command only, as in Redis 7.0.
 */
int
acl_check(const struct acl_user *user, const struct command_info *info,
          int argc, const char **argv, const size_t *argv_length)
{
    struct command_keys keys;
    int i;

    if (info->flags & COMMAND_NOAUTH) {
        return ACL_ALLOWED;
    }
    if (!user->allowed[info->id]) {
        return ACL_DENIED_COMMAND;
    }
    if (user->all_keys) {
        return ACL_ALLOWED;
    }
    command_find_keys(info, argc, argv, argv_length, &keys);
    for (i = 0; i < keys.count; i++) {
        int position = command_keys_position(&keys, i);

        if (position <= 0 || position >= argc) {
            continue;
        }
        if (!acl_user_may_access_key(user, argv[position], argv_length[position])) {
            return ACL_DENIED_KEY;
        }
    }
    return ACL_ALLOWED;
}

void
acl_reply_denied(struct evbuffer *out, int result, const struct command_info *info)
{
    switch (result) {
    case ACL_DENIED_COMMAND:
        reply_error_format(out, "NOPERM this user has no permissions to run the '%s' command",
                           info->name);
        break;
    case ACL_DENIED_KEY:
        reply_error(out, "NOPERM this user has no permissions to access one of the "
                    "keys used as arguments");
        break;
    default:
        break;
    }
}
