/*
 * test_acl.c — shared/acl.c: the default user, requirepass, user rules
 * applied in order, herd's `admin` category, key patterns (binary keys,
 * movable keys, multi-key commands), no_auth commands and the exact error
 * texts.  Redis's side of each expectation (error texts, NOPERM replies,
 * keyless commands for users with key patterns) was checked against
 * redis-server 7.0.15 with ACL SETUSER, AUTH and the same requests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/buffer.h>

#include "shared/acl.h"
#include "shared/password.h"

#define MAX_WORDS 16

/* A request or a `user` line split into words. */
struct words {
    char       *text;                  /* the split copy the words point into */
    const char *argv[MAX_WORDS];
    size_t      argv_length[MAX_WORDS];
    int         argc;
};

/* Splits `line` at single spaces (no quoting: tests use simple words). */
static void
words_split(struct words *words, const char *line)
{
    char *cursor;

    words->text = strdup(line);
    assert_non_null(words->text);
    words->argc = 0;
    for (cursor = strtok(words->text, " "); cursor != NULL; cursor = strtok(NULL, " ")) {
        assert_true(words->argc < MAX_WORDS);
        words->argv[words->argc] = cursor;
        words->argv_length[words->argc] = strlen(cursor);
        words->argc++;
    }
}

static void
words_free(struct words *words)
{
    free(words->text);
}

/* Applies a `user` line ("name rule rule ..."); returns acl_set_user's
 * result and leaves its message in error. */
static int
set_user(struct acl *acl, const char *line, char *error, size_t error_size)
{
    struct words words;
    int result;

    words_split(&words, line);
    error[0] = '\0';
    result = acl_set_user(acl, words.argc, words.argv, words.argv_length,
                          error, error_size);
    words_free(&words);
    return result;
}

/* A `user` line that must succeed. */
static void
set_user_ok(struct acl *acl, const char *line)
{
    char error[256];

    if (set_user(acl, line, error, sizeof(error)) != 0) {
        fail_msg("user %s: %s", line, error);
    }
}

/* Checks that the line fails with exactly `expected`. */
static void
set_user_fails(struct acl *acl, const char *line, const char *expected)
{
    char error[512];

    assert_int_equal(set_user(acl, line, error, sizeof(error)), -1);
    assert_string_equal(error, expected);
}

/* A user that must exist. */
static const struct acl_user *
user_named(const struct acl *acl, const char *name)
{
    const struct acl_user *user = acl_find_user(acl, name, strlen(name));

    assert_non_null(user);
    return user;
}

/* acl_check() of a request given as words separated by spaces. */
static int
check_request(const struct acl_user *user, const char *request)
{
    const struct command_info *info;
    struct words words;
    int result;

    words_split(&words, request);
    info = command_lookup(words.argv[0], words.argv_length[0]);
    assert_non_null(info);
    assert_true(command_arity_ok(info, words.argc));
    result = acl_check(user, info, words.argc, words.argv, words.argv_length);
    words_free(&words);
    return result;
}

/* acl_check() of a request given as an argument array (binary keys). */
static int
check_arguments(const struct acl_user *user, int argc, const char **argv,
                const size_t *argv_length)
{
    const struct command_info *info = command_lookup(argv[0], argv_length[0]);

    assert_non_null(info);
    assert_true(command_arity_ok(info, argc));
    return acl_check(user, info, argc, argv, argv_length);
}

static int
setup_acl(void **state)
{
    struct acl *acl = calloc(1, sizeof(*acl));

    if (acl == NULL || acl_init(acl) != 0) {
        free(acl);
        return -1;
    }
    *state = acl;
    return 0;
}

static int
teardown_acl(void **state)
{
    struct acl *acl = *state;

    acl_free(acl);
    free(acl);
    return 0;
}

static void
test_default_user(void **state)
{
    struct acl *acl = *state;
    const struct acl_user *user = acl_default_user(acl);
    int id;

    assert_int_equal(acl->user_count, 1);
    assert_ptr_equal(user, &acl->users[0]);
    assert_ptr_equal(user_named(acl, "default"), user);
    assert_string_equal(user->name, "default");
    assert_true(user->enabled);
    assert_true(user->nopass);
    assert_int_equal(user->password_count, 0);
    assert_true(user->all_keys);
    assert_int_equal(user->pattern_count, 0);
    for (id = 0; id < COMMAND_COUNT; id++) {
        assert_true(user->allowed[id]);
    }
    assert_false(acl_requires_auth(acl));
    assert_int_equal(check_request(user, "FLUSHALL"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "GET anything"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "MSET a 1 b 2"), ACL_ALLOWED);
    assert_null(acl_find_user(acl, "nobody", 6));
    assert_null(acl_find_user(acl, "defaul", 6));
}

static void
test_requirepass(void **state)
{
    struct acl *acl = *state;
    const struct acl_user *user = acl_default_user(acl);
    char error[256] = "";

    assert_int_equal(acl_set_requirepass(acl, "secret", 6, error, sizeof(error)), 0);
    assert_false(user->nopass);
    assert_true(user->enabled);
    assert_int_equal(user->password_count, 1);
    assert_int_equal(password_hash_valid(user->passwords[0]), 1);
    assert_null(strstr(user->passwords[0], "secret"));
    assert_int_equal(password_verify(user->passwords[0], "secret", 6), 1);
    assert_true(acl_requires_auth(acl));
    /* Still allowed everything once logged in. */
    assert_int_equal(check_request(user, "FLUSHALL"), ACL_ALLOWED);

    /* A second requirepass replaces the password. */
    assert_int_equal(acl_set_requirepass(acl, "other", 5, error, sizeof(error)), 0);
    assert_int_equal(user->password_count, 1);
    assert_int_equal(password_verify(user->passwords[0], "other", 5), 1);

    /* requirepass "" means no password, as in Redis. */
    assert_int_equal(acl_set_requirepass(acl, "", 0, error, sizeof(error)), 0);
    assert_true(user->nopass);
    assert_int_equal(user->password_count, 0);
    assert_false(acl_requires_auth(acl));
}

static void
test_default_user_off_requires_auth(void **state)
{
    struct acl *acl = *state;

    set_user_ok(acl, "default off");
    assert_int_equal(acl->user_count, 1);
    assert_false(acl_default_user(acl)->enabled);
    assert_true(acl_default_user(acl)->nopass);
    assert_true(acl_requires_auth(acl));
    set_user_ok(acl, "default on");
    assert_false(acl_requires_auth(acl));
}

static void
test_new_user_starts_empty(void **state)
{
    struct acl *acl = *state;
    const struct acl_user *user;
    int id;

    set_user_ok(acl, "bob");
    assert_int_equal(acl->user_count, 2);
    user = user_named(acl, "bob");
    assert_false(user->enabled);
    assert_false(user->nopass);
    assert_int_equal(user->password_count, 0);
    assert_false(user->all_keys);
    assert_int_equal(user->pattern_count, 0);
    for (id = 0; id < COMMAND_COUNT; id++) {
        assert_false(user->allowed[id]);
    }
    assert_int_equal(check_request(user, "GET a"), ACL_DENIED_COMMAND);
    assert_int_equal(check_request(user, "PING"), ACL_DENIED_COMMAND);
    /* Another user does not change whether the default user needs AUTH. */
    assert_false(acl_requires_auth(acl));

    /* Later lines extend the user; names are case-sensitive. */
    set_user_ok(acl, "bob on +get ~*");
    set_user_ok(acl, "Bob on");
    assert_int_equal(acl->user_count, 3);
    user = user_named(acl, "bob");
    assert_true(user->enabled);
    assert_int_equal(check_request(user, "GET a"), ACL_ALLOWED);
    assert_false(user_named(acl, "Bob")->allowed[COMMAND_GET]);
}

static void
test_password_rules(void **state)
{
    struct acl *acl = *state;
    const struct acl_user *user;
    char hash[PASSWORD_HASH_MAX];
    char line[512];
    char error[512];

    set_user_ok(acl, "alice on nopass");
    user = user_named(acl, "alice");
    assert_true(user->enabled);
    assert_true(user->nopass);

    /* >password hashes it and turns nopass off. */
    set_user_ok(acl, "alice >first");
    user = user_named(acl, "alice");
    assert_false(user->nopass);
    assert_int_equal(user->password_count, 1);
    assert_int_equal(password_verify(user->passwords[0], "first", 5), 1);

    /* #hash stores the text as it is, once. */
    assert_int_equal(password_hash("second", 6, hash, sizeof(hash)), 0);
    snprintf(line, sizeof(line), "alice #%s #%s", hash, hash);
    set_user_ok(acl, line);
    user = user_named(acl, "alice");
    assert_int_equal(user->password_count, 2);
    assert_string_equal(user->passwords[1], hash);

    /* nopass forgets the passwords; a hash turns nopass off again. */
    set_user_ok(acl, "alice nopass");
    user = user_named(acl, "alice");
    assert_true(user->nopass);
    assert_int_equal(user->password_count, 0);
    snprintf(line, sizeof(line), "alice #%s", hash);
    set_user_ok(acl, line);
    user = user_named(acl, "alice");
    assert_false(user->nopass);
    assert_int_equal(user->password_count, 1);

    /* resetpass forgets passwords and nopass. */
    set_user_ok(acl, "alice nopass resetpass");
    user = user_named(acl, "alice");
    assert_false(user->nopass);
    assert_int_equal(user->password_count, 0);

    /* off disables without touching the rest. */
    set_user_ok(acl, "alice off");
    assert_false(user_named(acl, "alice")->enabled);

    /* A malformed hash, and too many passwords (the clear text is never
     * shown in the error). */
    set_user_fails(acl, "alice #0123abcd",
                   "Error in ACL SETUSER modifier '#0123abcd': The password hash is "
                   "not a valid herd password hash (make one with herd-proxy "
                   "--hash-password)");
    snprintf(line, sizeof(line), "alice #%s >p1 >p2 >p3 >p4", hash);
    assert_int_equal(set_user(acl, line, error, sizeof(error)), -1);
    assert_string_equal(error, "Error in ACL SETUSER modifier '>...': "
                        "A user can have at most 4 passwords");
    /* The failed line changed nothing. */
    assert_int_equal(user_named(acl, "alice")->password_count, 0);
}

static void
test_categories_in_order(void **state)
{
    struct acl *acl = *state;
    const struct acl_user *user;

    set_user_ok(acl, "ops on nopass allkeys +@all -@admin");
    user = user_named(acl, "ops");
    assert_int_equal(check_request(user, "GET a"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "SET a 1"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "KEYS *"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "INFO"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "FLUSHALL"), ACL_DENIED_COMMAND);
    assert_int_equal(check_request(user, "FLUSHDB"), ACL_DENIED_COMMAND);

    set_user_ok(acl, "reader on nopass allkeys +@read");
    user = user_named(acl, "reader");
    assert_int_equal(check_request(user, "GET a"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "HGETALL h"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "SCAN 0"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "SET a 1"), ACL_DENIED_COMMAND);
    assert_int_equal(check_request(user, "PING"), ACL_DENIED_COMMAND);

    set_user_ok(acl, "writer on nopass allkeys +@read +set");
    user = user_named(acl, "writer");
    assert_int_equal(check_request(user, "SET a 1"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "DEL a"), ACL_DENIED_COMMAND);

    /* Rules apply in order: -get after +@read, +@read after -get. */
    set_user_ok(acl, "picky on nopass allkeys +@read -get");
    user = user_named(acl, "picky");
    assert_int_equal(check_request(user, "GET a"), ACL_DENIED_COMMAND);
    assert_int_equal(check_request(user, "MGET a b"), ACL_ALLOWED);
    set_user_ok(acl, "picky +@read");
    assert_int_equal(check_request(user_named(acl, "picky"), "GET a"), ACL_ALLOWED);
    set_user_ok(acl, "picky -@string");
    user = user_named(acl, "picky");
    assert_int_equal(check_request(user, "MGET a b"), ACL_DENIED_COMMAND);
    assert_int_equal(check_request(user, "HGET h f"), ACL_ALLOWED);

    /* Names are case-insensitive, as in Redis. */
    set_user_ok(acl, "shout ON NOPASS ALLKEYS +@READ +SET -@FAST");
    user = user_named(acl, "shout");
    assert_true(user->enabled);
    assert_int_equal(check_request(user, "SET a 1"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "GET a"), ACL_DENIED_COMMAND);
    assert_int_equal(check_request(user, "GETRANGE a 0 1"), ACL_ALLOWED);

    /* allcommands / nocommands are +@all / -@all. */
    set_user_ok(acl, "shout allcommands");
    assert_int_equal(check_request(user_named(acl, "shout"), "FLUSHALL"), ACL_ALLOWED);
    set_user_ok(acl, "shout nocommands +ping");
    user = user_named(acl, "shout");
    assert_int_equal(check_request(user, "GET a"), ACL_DENIED_COMMAND);
    assert_int_equal(check_request(user, "PING"), ACL_ALLOWED);
}

static void
test_admin_category(void **state)
{
    struct acl *acl = *state;
    const struct acl_user *user;

    /* admin alone: FLUSHALL and FLUSHDB (write + dangerous), nothing else
     * of the data commands. */
    set_user_ok(acl, "root on nopass allkeys +@admin");
    user = user_named(acl, "root");
    assert_int_equal(check_request(user, "FLUSHALL"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "FLUSHDB"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "GET a"), ACL_DENIED_COMMAND);
    assert_int_equal(check_request(user, "KEYS *"), ACL_DENIED_COMMAND);

    /* Granting @write, @keyspace or @dangerous does not grant admin
     * commands (in Redis they would grant FLUSHALL). */
    set_user_ok(acl, "app on nopass allkeys +@read +@write +@keyspace +@dangerous +@slow");
    user = user_named(acl, "app");
    assert_int_equal(check_request(user, "SET a 1"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "DEL a"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "KEYS *"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "FLUSHALL"), ACL_DENIED_COMMAND);
    assert_int_equal(check_request(user, "FLUSHDB"), ACL_DENIED_COMMAND);
    /* ... but naming the command or +@admin does. */
    set_user_ok(acl, "app +flushdb");
    user = user_named(acl, "app");
    assert_int_equal(check_request(user, "FLUSHDB"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "FLUSHALL"), ACL_DENIED_COMMAND);
    set_user_ok(acl, "app +@ADMIN");
    assert_int_equal(check_request(user_named(acl, "app"), "FLUSHALL"), ACL_ALLOWED);

    /* Revoking any category of an admin command revokes it. */
    set_user_ok(acl, "app -@write");
    user = user_named(acl, "app");
    assert_int_equal(check_request(user, "FLUSHALL"), ACL_DENIED_COMMAND);
    assert_int_equal(check_request(user, "GET a"), ACL_ALLOWED);

    /* The default user can lose admin too. */
    set_user_ok(acl, "default -@admin");
    user = acl_default_user(acl);
    assert_int_equal(check_request(user, "FLUSHALL"), ACL_DENIED_COMMAND);
    assert_int_equal(check_request(user, "SET a 1"), ACL_ALLOWED);
}

static void
test_no_auth_commands_always_allowed(void **state)
{
    struct acl *acl = *state;
    const struct acl_user *user;

    set_user_ok(acl, "nobody on nopass nocommands -auth -hello -quit -reset");
    user = user_named(acl, "nobody");
    assert_int_equal(check_request(user, "AUTH pw"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "AUTH nobody pw"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "HELLO 2"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "QUIT"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "RESET"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "PING"), ACL_DENIED_COMMAND);
    assert_int_equal(check_request(user, "ECHO x"), ACL_DENIED_COMMAND);
}

static void
test_key_patterns(void **state)
{
    struct acl *acl = *state;
    const struct acl_user *user;

    set_user_ok(acl, "keys on nopass +@all ~a* ~{x}*");
    user = user_named(acl, "keys");
    assert_false(user->all_keys);
    assert_int_equal(user->pattern_count, 2);
    assert_int_equal(check_request(user, "GET a1"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "GET {x}y"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "GET b"), ACL_DENIED_KEY);
    assert_int_equal(check_request(user, "RENAME a1 b"), ACL_DENIED_KEY);
    assert_int_equal(check_request(user, "RENAME a1 a2"), ACL_ALLOWED);

    /* A denied command is reported before its keys. */
    set_user_ok(acl, "keys -get");
    user = user_named(acl, "keys");
    assert_int_equal(check_request(user, "GET b"), ACL_DENIED_COMMAND);

    /* Multi-key commands: every key must match. */
    assert_int_equal(check_request(user, "MSET a1 1 a2 2"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "MSET a1 1 b 2"), ACL_DENIED_KEY);
    assert_int_equal(check_request(user, "MSET a1 b a2 c"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "DEL a1 a2 b"), ACL_DENIED_KEY);

    /* Movable keys: the destination and the numkeys sources. */
    assert_int_equal(check_request(user, "ZUNIONSTORE a9 2 a1 a2"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "ZUNIONSTORE a9 2 a1 b"), ACL_DENIED_KEY);
    assert_int_equal(check_request(user, "ZUNIONSTORE b9 2 a1 a2"), ACL_DENIED_KEY);
    assert_int_equal(check_request(user, "ZUNIONSTORE a9 1 a1 WEIGHTS 2"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "ZUNION 2 a1 b"), ACL_DENIED_KEY);
    assert_int_equal(check_request(user, "ZUNION 2 a1 a2 WITHSCORES"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "LMPOP 2 a1 b LEFT"), ACL_DENIED_KEY);
    /* A numkeys Redis refuses names no keys: the command's own error
     * follows (Redis answers "value is not an integer", not NOPERM). */
    assert_int_equal(check_request(user, "ZUNIONSTORE b9 x a1 a2"), ACL_ALLOWED);

    /* Keyless commands need only the command, as in Redis 7.0. */
    assert_int_equal(check_request(user, "KEYS *"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "SCAN 0"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "DBSIZE"), ACL_ALLOWED);
    assert_int_equal(check_request(user, "FLUSHALL"), ACL_ALLOWED);

    /* resetkeys: nothing; ~* and allkeys: everything. */
    set_user_ok(acl, "keys resetkeys");
    user = user_named(acl, "keys");
    assert_int_equal(user->pattern_count, 0);
    assert_int_equal(check_request(user, "MGET a1"), ACL_DENIED_KEY);
    set_user_ok(acl, "keys ~a* ~*");
    user = user_named(acl, "keys");
    assert_true(user->all_keys);
    assert_int_equal(user->pattern_count, 0);
    assert_int_equal(check_request(user, "MGET zzz"), ACL_ALLOWED);
    set_user_ok(acl, "keys resetkeys ~a* allkeys");
    user = user_named(acl, "keys");
    assert_true(user->all_keys);
    assert_int_equal(user->pattern_count, 0);

    /* Duplicated patterns are kept once. */
    set_user_ok(acl, "keys resetkeys ~a* ~a* ~b");
    assert_int_equal(user_named(acl, "keys")->pattern_count, 2);
}

static void
test_binary_keys(void **state)
{
    struct acl *acl = *state;
    const struct acl_user *user;
    const char *rules[] = { "bin", "on", "nopass", "+@all", "~k\xff*" };
    size_t rules_length[] = { 3, 2, 6, 5, 4 };
    const char *get_binary[] = { "GET", "k\xff\0z" };
    size_t get_binary_length[] = { 3, 4 };
    const char *get_nul_first[] = { "GET", "k\0\xff" };
    size_t get_nul_first_length[] = { 3, 3 };
    const char *get_empty[] = { "GET", "" };
    size_t get_empty_length[] = { 3, 0 };
    char error[256];

    assert_int_equal(acl_set_user(acl, 5, rules, rules_length, error, sizeof(error)), 0);
    user = user_named(acl, "bin");
    assert_int_equal(check_arguments(user, 2, get_binary, get_binary_length), ACL_ALLOWED);
    assert_int_equal(check_arguments(user, 2, get_nul_first, get_nul_first_length),
                     ACL_DENIED_KEY);
    /* Like Redis, no pattern but "*" matches the empty key. */
    assert_int_equal(check_arguments(user, 2, get_empty, get_empty_length), ACL_DENIED_KEY);

    /* A NUL inside a pattern is refused. */
    rules[4] = "~a\0b";
    assert_int_equal(acl_set_user(acl, 5, rules, rules_length, error, sizeof(error)), -1);
    assert_string_equal(error, "Error in ACL SETUSER modifier '~a': "
                        "Key patterns can't contain null characters");
}

static void
test_rule_errors(void **state)
{
    struct acl *acl = *state;
    const char *no_name[] = { "x" };
    char error[256];

    set_user_fails(acl, "x foo", "Error in ACL SETUSER modifier 'foo': Syntax error");
    set_user_fails(acl, "x on +@foo",
                   "Error in ACL SETUSER modifier '+@foo': "
                   "Unknown command or category name in ACL");
    set_user_fails(acl, "x -@foo",
                   "Error in ACL SETUSER modifier '-@foo': "
                   "Unknown command or category name in ACL");
    set_user_fails(acl, "x +foo",
                   "Error in ACL SETUSER modifier '+foo': "
                   "Unknown command or category name in ACL");
    set_user_fails(acl, "x -foo",
                   "Error in ACL SETUSER modifier '-foo': "
                   "Unknown command or category name in ACL");
    set_user_fails(acl, "x +@",
                   "Error in ACL SETUSER modifier '+@': "
                   "Unknown command or category name in ACL");
    set_user_fails(acl, "x +client|foo",
                   "Error in ACL SETUSER modifier '+client|foo': "
                   "herd allows or denies whole commands only, not subcommands "
                   "or first arguments");
    set_user_fails(acl, "x +client|setname",
                   "Error in ACL SETUSER modifier '+client|setname': "
                   "herd allows or denies whole commands only, not subcommands "
                   "or first arguments");
    set_user_fails(acl, "x +nosuch|setname",
                   "Error in ACL SETUSER modifier '+nosuch|setname': "
                   "Unknown command or category name in ACL");
    set_user_fails(acl, "x allkeys ~a*",
                   "Error in ACL SETUSER modifier '~a*': Adding a pattern after "
                   "the * pattern (or the 'allkeys' flag) is not valid and does not "
                   "have any effect. Try 'resetkeys' to start with an empty list of "
                   "patterns");
    set_user_fails(acl, "x ~* ~a",
                   "Error in ACL SETUSER modifier '~a': Adding a pattern after "
                   "the * pattern (or the 'allkeys' flag) is not valid and does not "
                   "have any effect. Try 'resetkeys' to start with an empty list of "
                   "patterns");
    /* Redis rules herd does not have. */
    set_user_fails(acl, "x %R~a", "Error in ACL SETUSER modifier '%R~a': Syntax error");
    set_user_fails(acl, "x &*", "Error in ACL SETUSER modifier '&*': Syntax error");
    set_user_fails(acl, "x <pw", "Error in ACL SETUSER modifier '<pw': Syntax error");
    /* A failed line creates nothing. */
    assert_int_equal(acl->user_count, 1);
    assert_null(acl_find_user(acl, "x", 1));

    /* A failed line changes nothing in an existing user. */
    set_user_ok(acl, "y on +get ~a");
    set_user_fails(acl, "y off -get resetkeys bogus",
                   "Error in ACL SETUSER modifier 'bogus': Syntax error");
    assert_true(user_named(acl, "y")->enabled);
    assert_int_equal(check_request(user_named(acl, "y"), "GET a"), ACL_ALLOWED);

    /* User names. */
    assert_int_equal(acl_set_user(acl, 0, no_name, NULL, error, sizeof(error)), -1);
    set_user_fails(acl, "x\ty on", "Usernames can't contain spaces or null characters");
    set_user_fails(acl,
                   "u2345678901234567890123456789012345678901234567890123456789012345678901"
                   "23456789012345678901234567890123456789012345678901234567890 on",
                   "Usernames must be shorter than 128 bytes");

    /* An empty rule does nothing, as in Redis. */
    {
        const char *rules[] = { "z", "", "on" };
        size_t rules_length[] = { 1, 0, 2 };

        assert_int_equal(acl_set_user(acl, 3, rules, rules_length, error, sizeof(error)), 0);
        assert_true(user_named(acl, "z")->enabled);
    }
}

static void
test_reset_rule(void **state)
{
    struct acl *acl = *state;
    const struct acl_user *user;
    int id;

    set_user_ok(acl, "r on nopass +@all allkeys reset");
    user = user_named(acl, "r");
    assert_false(user->enabled);
    assert_false(user->nopass);
    assert_false(user->all_keys);
    for (id = 0; id < COMMAND_COUNT; id++) {
        assert_false(user->allowed[id]);
    }
}

/* The bytes acl_reply_denied() writes. */
static void
check_denied_reply(int result, const char *command, const char *expected)
{
    struct evbuffer *out = evbuffer_new();
    const struct command_info *info = command_lookup(command, strlen(command));
    size_t length;
    char *bytes;

    assert_non_null(out);
    assert_non_null(info);
    acl_reply_denied(out, result, info);
    length = evbuffer_get_length(out);
    bytes = calloc(1, length + 1);
    assert_non_null(bytes);
    evbuffer_remove(out, bytes, length);
    assert_int_equal(length, strlen(expected));
    assert_memory_equal(bytes, expected, length);
    free(bytes);
    evbuffer_free(out);
}

static void
test_reply_denied(void **state)
{
    check_denied_reply(ACL_DENIED_COMMAND, "FLUSHALL",
                       "-NOPERM this user has no permissions to run the 'flushall' command\r\n");
    check_denied_reply(ACL_DENIED_COMMAND, "ZUNIONSTORE",
                       "-NOPERM this user has no permissions to run the 'zunionstore' command\r\n");
    check_denied_reply(ACL_DENIED_KEY, "GET",
                       "-NOPERM this user has no permissions to access one of the keys "
                       "used as arguments\r\n");
    check_denied_reply(ACL_ALLOWED, "GET", "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_user, setup_acl, teardown_acl),
        cmocka_unit_test_setup_teardown(test_requirepass, setup_acl, teardown_acl),
        cmocka_unit_test_setup_teardown(test_default_user_off_requires_auth, setup_acl,
                                        teardown_acl),
        cmocka_unit_test_setup_teardown(test_new_user_starts_empty, setup_acl, teardown_acl),
        cmocka_unit_test_setup_teardown(test_password_rules, setup_acl, teardown_acl),
        cmocka_unit_test_setup_teardown(test_categories_in_order, setup_acl, teardown_acl),
        cmocka_unit_test_setup_teardown(test_admin_category, setup_acl, teardown_acl),
        cmocka_unit_test_setup_teardown(test_no_auth_commands_always_allowed, setup_acl,
                                        teardown_acl),
        cmocka_unit_test_setup_teardown(test_key_patterns, setup_acl, teardown_acl),
        cmocka_unit_test_setup_teardown(test_binary_keys, setup_acl, teardown_acl),
        cmocka_unit_test_setup_teardown(test_rule_errors, setup_acl, teardown_acl),
        cmocka_unit_test_setup_teardown(test_reset_rule, setup_acl, teardown_acl),
        cmocka_unit_test(test_reply_denied),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
