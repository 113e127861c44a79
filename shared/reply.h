/*
 * reply.h — writing RESP2 replies into a libevent evbuffer.
 *
 * Every byte a client sees goes through these functions, in both programs,
 * so formats (doubles, errors, arity messages) are identical to Redis 7.0.
 */
#ifndef HERD_REPLY_H
#define HERD_REPLY_H

#include <stddef.h>
#include <event2/buffer.h>

void reply_status(struct evbuffer *out, const char *status);          /* +OK */
void reply_ok(struct evbuffer *out);
/* `error` is written after '-' verbatim, e.g. "ERR syntax error". */
void reply_error(struct evbuffer *out, const char *error);
void reply_error_format(struct evbuffer *out, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void reply_integer(struct evbuffer *out, long long value);
void reply_bulk(struct evbuffer *out, const void *data, size_t length);
void reply_bulk_cstring(struct evbuffer *out, const char *text);
void reply_bulk_long_long(struct evbuffer *out, long long value);
/* A double as Redis writes it in a bulk reply (%.17g, inf/-inf). */
void reply_bulk_double(struct evbuffer *out, double value);
/* A long double as INCRBYFLOAT writes it (humanfriendly %.17Lf trimmed). */
void reply_bulk_long_double(struct evbuffer *out, long double value);
void reply_null(struct evbuffer *out);                                /* $-1 */
void reply_null_array(struct evbuffer *out);                          /* *-1 */
void reply_array_header(struct evbuffer *out, long long count);
/* A map as RESP2 writes it: an array of 2*pairs elements. */
void reply_map_header(struct evbuffer *out, long long pairs);

/* Redis's standard errors, byte for byte. */
void reply_error_arity(struct evbuffer *out, const char *command_name);
void reply_error_unknown_command(struct evbuffer *out, int argc,
                                 const char **argv, const size_t *argv_length);
void reply_error_unknown_subcommand(struct evbuffer *out, const char *subcommand,
                                    size_t subcommand_length,
                                    const char *command_name);
void reply_error_syntax(struct evbuffer *out);
void reply_error_not_integer(struct evbuffer *out);
void reply_error_wrong_type(struct evbuffer *out);

#endif
