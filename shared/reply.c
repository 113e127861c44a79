/*
 * reply.c — RESP2 reply writers shared by herd-proxy and herd-node.
 *
 * Small replies are assembled in a stack buffer and handed to the evbuffer
 * in one evbuffer_add() call: on the hot path (GET, SET, INCR) the cost of
 * a reply is dominated by the number of evbuffer calls, not by the bytes.
 *
 * Error texts follow Redis 7.0: a formatted error never contains '\r' or
 * '\n' in its middle (they become spaces) and loses any at its ends, so a
 * user-supplied argument can never break the protocol stream.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/number.h"
#include "shared/reply.h"

/* Bulk payloads up to this size are copied next to their header so the
 * whole reply is one evbuffer_add(). */
#define REPLY_INLINE_BULK_MAX 256

/* Enough for "$" or "*" or ":", a long long, and "\r\n". */
#define REPLY_HEADER_MAX 32

/* Redis prints at most this many bytes of each user argument in errors. */
#define REPLY_ARGUMENT_PRINT_MAX 128

/* Room for Redis's "human friendly" long double (MAX_LONG_DOUBLE_CHARS). */
#define REPLY_LONG_DOUBLE_MAX (5 * 1024)

/* Writes "<prefix><value>\r\n" (":12\r\n", "*3\r\n", "$5\r\n"). */
static void
reply_prefixed_number(struct evbuffer *out, char prefix, long long value)
{
    char header[REPLY_HEADER_MAX];
    int length;

    header[0] = prefix;
    length = 1 + long_long_to_string(header + 1, sizeof(header) - 3, value);
    header[length++] = '\r';
    header[length++] = '\n';
    evbuffer_add(out, header, (size_t)length);
}

/* Replaces every '\r' and '\n' of text[0..length) with a space. */
static void
replace_newlines(char *text, size_t length)
{
    size_t i;

    for (i = 0; i < length; i++) {
        if (text[i] == '\r' || text[i] == '\n') {
            text[i] = ' ';
        }
    }
}

/* Writes "-<text>\r\n" with newlines inside text turned into spaces. */
static void
reply_error_sanitized(struct evbuffer *out, char *text, size_t length)
{
    replace_newlines(text, length);
    evbuffer_add(out, "-", 1);
    evbuffer_add(out, text, length);
    evbuffer_add(out, "\r\n", 2);
}

void
reply_status(struct evbuffer *out, const char *status)
{
    evbuffer_add(out, "+", 1);
    evbuffer_add(out, status, strlen(status));
    evbuffer_add(out, "\r\n", 2);
}

void
reply_ok(struct evbuffer *out)
{
    evbuffer_add(out, "+OK\r\n", 5);
}

void
reply_error(struct evbuffer *out, const char *error)
{
    size_t length = strlen(error);
    char *copy;

    if (strpbrk(error, "\r\n") == NULL) {
        evbuffer_add(out, "-", 1);
        evbuffer_add(out, error, length);
        evbuffer_add(out, "\r\n", 2);
        return;
    }
    /* A newline would end the error early and desynchronise the client. */
    copy = strdup(error);
    if (copy == NULL) {
        evbuffer_add(out, "-ERR out of memory\r\n", 20);
        return;
    }
    reply_error_sanitized(out, copy, length);
    free(copy);
}

/*
 * Formats an error as Redis's addReplyErrorFormat() does: '\r' and '\n' at
 * either end are dropped, the ones in the middle become spaces.
 */
static void
reply_error_vformat(struct evbuffer *out, const char *format, va_list arguments)
{
    char small[256];
    char *text = small;
    char *start;
    va_list copy;
    int needed;
    size_t length;

    va_copy(copy, arguments);
    needed = vsnprintf(small, sizeof(small), format, copy);
    va_end(copy);
    if (needed < 0) {
        evbuffer_add(out, "-ERR\r\n", 6);
        return;
    }
    if ((size_t)needed >= sizeof(small)) {
        text = malloc((size_t)needed + 1);
        if (text == NULL) {
            evbuffer_add(out, "-ERR out of memory\r\n", 20);
            return;
        }
        vsnprintf(text, (size_t)needed + 1, format, arguments);
    }
    start = text;
    length = (size_t)needed;
    while (length > 0 && (start[0] == '\r' || start[0] == '\n')) {
        start++;
        length--;
    }
    while (length > 0 && (start[length - 1] == '\r' || start[length - 1] == '\n')) {
        length--;
    }
    reply_error_sanitized(out, start, length);
    if (text != small) {
        free(text);
    }
}

void
reply_error_format(struct evbuffer *out, const char *format, ...)
{
    va_list arguments;

    va_start(arguments, format);
    reply_error_vformat(out, format, arguments);
    va_end(arguments);
}

void
reply_integer(struct evbuffer *out, long long value)
{
    reply_prefixed_number(out, ':', value);
}

void
reply_bulk(struct evbuffer *out, const void *data, size_t length)
{
    char small[REPLY_HEADER_MAX + REPLY_INLINE_BULK_MAX + 2];
    size_t used;

    small[0] = '$';
    used = 1 + (size_t)long_long_to_string(small + 1, REPLY_HEADER_MAX - 3,
                                           (long long)length);
    small[used++] = '\r';
    small[used++] = '\n';
    if (length <= REPLY_INLINE_BULK_MAX) {
        if (length > 0) {
            memcpy(small + used, data, length);   /* data may be NULL when empty */
        }
        used += length;
        small[used++] = '\r';
        small[used++] = '\n';
        evbuffer_add(out, small, used);
        return;
    }
    evbuffer_add(out, small, used);
    evbuffer_add(out, data, length);
    evbuffer_add(out, "\r\n", 2);
}

void
reply_bulk_cstring(struct evbuffer *out, const char *text)
{
    if (text == NULL) {
        reply_null(out);
        return;
    }
    reply_bulk(out, text, strlen(text));
}

void
reply_bulk_long_long(struct evbuffer *out, long long value)
{
    char digits[REPLY_HEADER_MAX];
    int length;

    length = long_long_to_string(digits, sizeof(digits), value);
    reply_bulk(out, digits, (size_t)length);
}

void
reply_bulk_double(struct evbuffer *out, double value)
{
    char text[64];
    int length;

    length = double_to_string(text, sizeof(text), value);
    reply_bulk(out, text, (size_t)length);
}

void
reply_bulk_long_double(struct evbuffer *out, long double value)
{
    char small[128];
    char *text = small;
    int length;

    length = long_double_to_string(small, sizeof(small), value);
    if (length == 0) {
        /* Huge magnitudes print every integer digit (INCRBYFLOAT 1e300). */
        text = malloc(REPLY_LONG_DOUBLE_MAX);
        if (text == NULL) {
            reply_error(out, "ERR out of memory");
            return;
        }
        length = long_double_to_string(text, REPLY_LONG_DOUBLE_MAX, value);
    }
    reply_bulk(out, text, (size_t)length);
    if (text != small) {
        free(text);
    }
}

void
reply_null(struct evbuffer *out)
{
    evbuffer_add(out, "$-1\r\n", 5);
}

void
reply_null_array(struct evbuffer *out)
{
    evbuffer_add(out, "*-1\r\n", 5);
}

void
reply_array_header(struct evbuffer *out, long long count)
{
    reply_prefixed_number(out, '*', count);
}

void
reply_map_header(struct evbuffer *out, long long pairs)
{
    reply_prefixed_number(out, '*', pairs * 2);
}

void
reply_error_arity(struct evbuffer *out, const char *command_name)
{
    reply_error_format(out, "ERR wrong number of arguments for '%s' command",
                       command_name);
}

/*
 * How many bytes of an argument Redis prints with "%.*s": it stops at the
 * first NUL (Redis formats the argument as a C string) and at `limit`.
 */
static int
printable_length(const char *text, size_t length, size_t limit)
{
    const char *nul;

    if (length > limit) {
        length = limit;
    }
    nul = memchr(text, '\0', length);
    if (nul != NULL) {
        length = (size_t)(nul - text);
    }
    return (int)length;
}

/*
 * "ERR unknown command 'foo', with args beginning with: 'a' 'b' ".  As in
 * Redis 7.0: the name is cut to 128 bytes; arguments are added, each
 * quoted and followed by a space, while the list is shorter than 128
 * bytes, each cut to what is left of those 128; every argument stops at
 * its first NUL byte; '\r' and '\n' anywhere become spaces.
 */
void
reply_error_unknown_command(struct evbuffer *out, int argc,
                            const char **argv, const size_t *argv_length)
{
    char text[64 + 2 * REPLY_ARGUMENT_PRINT_MAX + 8];
    size_t used;
    size_t arguments_start;
    int i;

    used = (size_t)snprintf(text, sizeof(text), "ERR unknown command '%.*s', "
                            "with args beginning with: ",
                            argc > 0 ? printable_length(argv[0], argv_length[0],
                                                        REPLY_ARGUMENT_PRINT_MAX) : 0,
                            argc > 0 ? argv[0] : "");
    arguments_start = used;
    for (i = 1; i < argc && used - arguments_start < REPLY_ARGUMENT_PRINT_MAX; i++) {
        size_t left = REPLY_ARGUMENT_PRINT_MAX - (used - arguments_start);
        int length = printable_length(argv[i], argv_length[i], left);

        text[used++] = '\'';
        memcpy(text + used, argv[i], (size_t)length);
        used += (size_t)length;
        text[used++] = '\'';
        text[used++] = ' ';
    }
    reply_error_sanitized(out, text, used);
}

/* "ERR unknown subcommand 'x'. Try CLIENT HELP." (Redis 7.0 text). */
void
reply_error_unknown_subcommand(struct evbuffer *out, const char *subcommand,
                               size_t subcommand_length,
                               const char *command_name)
{
    char upper[64];
    size_t i;

    for (i = 0; command_name[i] != '\0' && i < sizeof(upper) - 1; i++) {
        upper[i] = (char)toupper((unsigned char)command_name[i]);
    }
    upper[i] = '\0';
    reply_error_format(out, "ERR unknown subcommand '%.*s'. Try %s HELP.",
                       printable_length(subcommand, subcommand_length,
                                        REPLY_ARGUMENT_PRINT_MAX),
                       subcommand, upper);
}

void
reply_error_syntax(struct evbuffer *out)
{
    evbuffer_add(out, "-ERR syntax error\r\n", 19);
}

void
reply_error_not_integer(struct evbuffer *out)
{
    static const char text[] = "-ERR value is not an integer or out of range\r\n";

    evbuffer_add(out, text, sizeof(text) - 1);
}

void
reply_error_wrong_type(struct evbuffer *out)
{
    static const char text[] =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    evbuffer_add(out, text, sizeof(text) - 1);
}
