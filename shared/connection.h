/*
 * connection.h — what a client connection is to the commands that talk
 * about connections, and those commands, for both programs: PING ECHO
 * SELECT QUIT RESET HELLO AUTH CLIENT COMMAND INFO TIME.
 *
 * Each program embeds a struct connection_info in its own client struct
 * (node: struct client, proxy: struct proxy_client) and keeps it up to
 * date: the id, addresses and creation time when the client connects, the
 * last interaction when it reads or writes, the last command when it runs
 * one.  The commands set the name and the client library's name and
 * version.
 *
 * To run a command, the program fills a struct connection_host, which
 * says what the commands need to know about the program (versions, port,
 * client count...) and lets them call back into it (every client for
 * CLIENT LIST, a client's CLIENT LIST line, closing after QUIT, its own
 * INFO sections), and calls connection_execute().
 *
 * Replies and error texts are Redis 7.0's byte for byte (CLIENT SETINFO is
 * Redis 7.2's, because client libraries send it on connect).  Only RESP2
 * exists: HELLO 3 gets NOPROTO and clients fall back to RESP2.
 *
 * Authentication.  The program gives each connection its users (struct
 * acl) and its password thread (shared/auth.h) with connection_set_acl().
 * A connection is logged in as the default user at once when that user
 * needs no password, else as nobody until AUTH or HELLO AUTH succeeds;
 * connection_access() then gates every command (NOAUTH, NOPERM).  AUTH
 * with a password to check does not answer at once: it leaves a check
 * pending (connection_auth_pending()); the program stops running that
 * client's further requests until the connection's auth_done callback
 * runs, on the loop thread, and there calls connection_auth_finish() to
 * write the reply.  After each failure the next AUTH answers later (see
 * auth_failure_delay_ms()); failures are logged with the user name and
 * the client's address, never the password.
 */
#ifndef HERD_CONNECTION_H
#define HERD_CONNECTION_H

#include <stddef.h>
#include <stdint.h>
#include <event2/buffer.h>
#include "shared/acl.h"
#include "shared/auth.h"
#include "shared/commands.h"
#include "shared/network.h"
#include "shared/resp.h"

/* The struct of type `type` whose member `member` is at `pointer` (the
 * program's client from its embedded struct connection_info). */
#define CONNECTION_OWNER(pointer, type, member) \
    ((type *)(void *)((char *)(pointer) - offsetof(type, member)))

struct connection_info;

/* Called when a pending password check is over (see connection.h's top). */
typedef void connection_auth_done(struct connection_info *connection, int verified);

/* An AUTH or HELLO AUTH whose password is being checked: what its reply
 * needs once the check is over.  Allocated only while a check runs, so an
 * idle connection does not carry it. */
struct connection_auth_check {
    struct auth_job       *job;          /* the pending check */
    int                    hello;        /* 1: HELLO's map on success */
    const char            *redis_version;  /* for that map (static text) */
    const struct acl_user *candidate;    /* the user logging in; NULL: unknown */
    char                  *setname;      /* HELLO SETNAME after AUTH; NULL: none */
    char                  *error;        /* HELLO option error after AUTH; NULL */
    char                   name[ACL_USER_NAME_MAX];  /* the name given (logs) */
};

/* Who a connection is logged in as, and its AUTH in progress. */
struct connection_auth {
    const struct acl      *acl;          /* the process's users; NULL: no checks */
    struct auth_worker    *worker;       /* checks passwords */
    connection_auth_done  *done;         /* the program's completion hook */
    const struct acl_user *user;         /* logged in as; NULL: nobody yet */
    int                    failures;     /* failed attempts in a row */
    struct connection_auth_check *check; /* pending check; NULL: none */
};

/* What CLIENT SETINFO set: allocated at the first SETINFO, since most
 * connections never send one. */
struct connection_library {
    char *name;       /* LIB-NAME; NULL: none */
    char *version;    /* LIB-VER; NULL: none */
};

/* The per-connection state both programs keep and the commands use. */
struct connection_info {
    uint64_t    id;                    /* CLIENT ID; unique per process, from 1 */
    int         fd;                    /* the client's socket */
    char       *name;                  /* CLIENT SETNAME; NULL: none */
    struct connection_library *library;  /* CLIENT SETINFO; NULL: none yet */
    const char *last_command;          /* "get", "client|list" (static); NULL: none */
    char        address[NETWORK_ADDRESS_MAX];        /* ip:port of the peer */
    uint64_t    created_ms;            /* monotonic_milliseconds() at accept */
    uint64_t    last_interaction_ms;   /* monotonic: last read or write */
    struct connection_auth auth;       /* see connection_set_acl() */
};

/* Fills in a new connection: id, socket, the peer's address (`peer`, or
 * asked of the socket when NULL), both times `now_ms` (monotonic); no
 * name, no last command.  The local address is asked of the socket when
 * CLIENT LIST shows it, so a connection does not keep it. */
void connection_init(struct connection_info *connection, uint64_t id, int fd,
                     const struct sockaddr *peer, uint64_t now_ms);
/* Frees the name and library texts and cancels a pending password check
 * (the struct itself is the caller's). */
void connection_release(struct connection_info *connection);

/* Gives the connection its users, password thread and completion hook,
 * and logs it in as the default user when that one needs no password.
 * Without this call (acl NULL) every command is allowed. */
void connection_set_acl(struct connection_info *connection, const struct acl *acl,
                        struct auth_worker *worker, connection_auth_done *done);

/* connection_access_check() results: allowed, not logged in, or an
 * acl_check() denial (ACL_DENIED_COMMAND, ACL_DENIED_KEY). */
#define CONNECTION_ACCESS_ALLOWED  ACL_ALLOWED
#define CONNECTION_ACCESS_NOAUTH   (-1)

/* Whether the connection may run this request (its arity already checked). */
int connection_access_check(const struct connection_info *connection,
                            const struct command_info *info, int argc,
                            const char **argv, const size_t *argv_length);
/* Writes the NOAUTH or NOPERM error of a refusal. */
void connection_access_reply(struct evbuffer *out, int result,
                             const struct command_info *info);
/* Both: 1 when allowed, else writes the error to out and returns 0. */
int connection_access(struct connection_info *connection, const struct command_info *info,
                      int argc, const char **argv, const size_t *argv_length,
                      struct evbuffer *out);

/* 1 while AUTH or HELLO AUTH waits for its password check: run none of
 * the client's further requests until connection_auth_finish(). */
int connection_auth_pending(const struct connection_info *connection);

/* Ends the check (called from the auth_done hook with its result): logs
 * the user in or counts the failure, and writes the reply (+OK, HELLO's
 * map, or the error) to out. */
void connection_auth_finish(struct connection_info *connection, int verified,
                            struct evbuffer *out);

/* ACL WHOAMI | HELP (the node calls it directly; connection_execute()
 * runs it for the proxy). */
void connection_acl_command(struct connection_info *connection,
                            const struct resp_request *request, struct evbuffer *out);

/* The part of a CLIENT LIST line only the program knows: its flags and
 * buffers. */
struct connection_usage {
    const char *flags;               /* flags=: "N", or letters such as "c" */
    const char *events;              /* events=: "r", "w", "rw" or "" */
    size_t      query_buffer;        /* qbuf: unparsed input bytes */
    size_t      query_buffer_free;   /* qbuf-free */
    size_t      argv_memory;         /* argv-mem */
    size_t      read_buffer_size;    /* rbs */
    size_t      read_buffer_peak;    /* rbp */
    long        output_list_length;  /* oll */
    size_t      output_memory;       /* omem */
    size_t      total_memory;        /* tot-mem */
};

/* Writes the connection's CLIENT LIST line (no newline), in Redis 7.0's
 * field order, with age and idle seconds counted to `now_ms` (monotonic). */
void connection_describe(const struct connection_info *connection,
                         const struct connection_usage *usage, uint64_t now_ms,
                         struct evbuffer *out);

/* 1 when a client name or library text is acceptable to Redis: printable
 * ASCII without spaces ('!' to '~'); the empty text is acceptable. */
int connection_text_valid(const char *text, size_t length);

/* Sets the name (empty clears it) when it is valid.  Returns 0, -1 for an
 * invalid name (nothing changed) or -2 when out of memory. */
int connection_set_name(struct connection_info *connection, const char *name,
                        size_t length);

struct connection_host;

/* Writes one INFO section ("# Title\r\n" and its "field:value\r\n" lines)
 * for the program described by `host`. */
typedef void info_writer(const struct connection_host *host, struct evbuffer *text);

/* One section INFO may show; the program lists them in output order. */
struct info_section {
    const char  *name;     /* lower case, as INFO's arguments name it */
    info_writer *write;
};

/* The two sections both programs show, from the host's fields. */
void info_write_server(const struct connection_host *host, struct evbuffer *text);
void info_write_clients(const struct connection_host *host, struct evbuffer *text);

/* Called for each client by connection_host.for_each_client. */
typedef void connection_visitor(struct connection_info *connection, void *argument);

/*
 * What the commands need from the program they run in.  The program fills
 * one per command (it is cheap: a few words) from its context.
 */
struct connection_host {
    const char    *role;             /* INFO herd_role: "node" or "proxy" */
    const char    *version;          /* INFO herd_version */
    const char    *redis_version;    /* HELLO version, INFO redis_version */
    const char    *run_id;           /* 40 hex digits */
    const char    *config_file;      /* "" when none */
    const char    *multiplexing_api; /* event_base_get_method() */
    long long      port;
    long long      hz;               /* INFO hz and configured_hz; 0: not shown */
    long long      maxclients;
    unsigned long  client_count;
    uint64_t       start_ms;         /* monotonic_milliseconds() at start-up */
    const struct info_section *info_sections;  /* INFO's, ending with a NULL name */
    void          *context;          /* the program's context, for its sections */
    /* Calls visit(connection, argument) for every client, oldest first. */
    void         (*for_each_client)(void *context, connection_visitor *visit,
                                    void *argument);
    /* Writes the client's CLIENT LIST line (connection_describe()). */
    void         (*describe)(struct connection_info *connection, struct evbuffer *out);
    /* QUIT: the +OK is written; close the client once it has been sent. */
    void         (*close_after_reply)(struct connection_info *connection);
};

/* 1 when connection_execute() answers `id`. */
int connection_command_handled(enum command_id id);

/*
 * Runs `command` (one connection_command_handled() accepts; its arity was
 * checked by the caller) with the arguments in `request` for `connection`,
 * and writes the reply to `out`.  CLIENT and COMMAND set the connection's
 * last_command to their subcommand ("client|list"; NULL for an unknown
 * one).
 */
void connection_execute(const struct connection_host *host,
                        struct connection_info *connection,
                        const struct command_info *command,
                        const struct resp_request *request, struct evbuffer *out);

#endif
