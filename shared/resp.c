/*
 * resp.c — the incremental RESP2 request parser (see resp.h).
 *
 * State between calls lives in struct resp_parser, all of it as offsets
 * into the query buffer, so growing the buffer (realloc) or compacting it
 * (memmove) never leaves a dangling pointer behind; argv pointers are made
 * from the offsets only when a complete request is handed out.
 *
 *   start            first byte of the request being parsed
 *   position         where parsing resumes: while a line is searched for
 *                    its terminator, the bytes before `position` are known
 *                    not to contain it, so each byte is scanned once
 *   multibulk_count  -1 until the "*<count>" line of a multibulk is read
 *   bulk_length      -1 until the "$<len>" line of the current element is
 *                    read
 *   argv_offset[i]   for complete elements (i < argc): where the bytes of
 *                    argument i start; for the element being read
 *                    (i == argc): where its "$<len>" line starts, then,
 *                    once bulk_length is known, where its bytes start
 *
 * Multibulk arguments are never copied: argv points into the buffer.
 * Inline arguments are unquoted into inline_copy (one reused block).
 *
 * Behaviour copied from redis-server 7.0 (checked against it):
 *  - the request type is chosen by its first byte: '*' multibulk, else
 *    inline;
 *  - a header line ends at '\r'; the byte after it is skipped unchecked,
 *    and so are the two bytes after a bulk's data;
 *  - "*<n>" with n <= 0 (e.g. "*0", "*-1") is skipped; so are empty and
 *    all-blank inline lines;
 *  - counts and lengths follow string2ll (no '+', no leading zero, no
 *    "-0", no blanks);
 *  - a header line longer than the inline limit gives "too big mbulk count
 *    string" / "too big bulk count string", an inline line longer than it
 *    "too big inline request".  Redis checks this only while the line has
 *    no terminator yet, which depends on how the bytes were read; herd
 *    applies the limit to every line, so the answer is the same however
 *    the bytes arrive.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/arguments.h"
#include "shared/number.h"
#include "shared/resp.h"

/* First allocation of the query buffer (Redis reads 16 KB at a time). */
#define RESP_INITIAL_CAPACITY (16 * 1024)
/* compact() frees an empty buffer larger than this. */
#define RESP_SHRINK_CAPACITY (1024 * 1024)
/* First allocation of the argument arrays. */
#define RESP_INITIAL_ARGUMENTS 8

/* Outcome of one parsing step. */
enum resp_step {
    STEP_DONE,          /* the step completed; go on */
    STEP_SKIPPED,       /* an empty request was consumed; parse the next */
    STEP_INCOMPLETE,    /* more bytes are needed */
    STEP_ERROR          /* protocol error; parser->error is set */
};

void
resp_limits_default(struct resp_limits *limits)
{
    limits->max_bulk_length = RESP_DEFAULT_MAX_BULK_LENGTH;
    limits->max_multibulk_count = RESP_DEFAULT_MAX_MULTIBULK_COUNT;
    limits->max_inline_length = RESP_DEFAULT_MAX_INLINE_LENGTH;
    limits->max_query_buffer = RESP_DEFAULT_MAX_QUERY_BUFFER;
}

/* Forgets the request being parsed (not the bytes). */
static void
reset_request_state(struct resp_parser *parser)
{
    parser->multibulk_count = -1;
    parser->bulk_length = -1;
    parser->argc = 0;
}

void
resp_parser_init(struct resp_parser *parser, const struct resp_limits *limits)
{
    memset(parser, 0, sizeof(*parser));
    if (limits != NULL) {
        parser->limits = *limits;
    } else {
        resp_limits_default(&parser->limits);
    }
    reset_request_state(parser);
}

void
resp_parser_free(struct resp_parser *parser)
{
    struct resp_limits limits = parser->limits;

    free(parser->buffer);
    free(parser->argv);
    free(parser->argv_length);
    free(parser->argv_offset);
    free(parser->inline_copy);
    resp_parser_init(parser, &limits);
}

/* The prefix of every protocol error; the caller replies "-<error>\r\n". */
#define RESP_ERROR_PREFIX "ERR Protocol error: "

/* Records a protocol error: "ERR Protocol error: <message>". */
static enum resp_step
parser_error(struct resp_parser *parser, const char *message)
{
    size_t prefix = sizeof(RESP_ERROR_PREFIX) - 1;
    size_t length = strlen(message);

    if (length > sizeof(parser->error) - prefix - 1) {
        length = sizeof(parser->error) - prefix - 1;
    }
    memcpy(parser->error, RESP_ERROR_PREFIX, prefix);
    memcpy(parser->error + prefix, message, length);
    parser->error[prefix + length] = '\0';
    return STEP_ERROR;
}

char *
resp_parser_space(struct resp_parser *parser, size_t want)
{
    size_t needed, capacity;
    char *buffer;

    if (parser->buffer != NULL && parser->capacity - parser->used >= want) {
        return parser->buffer + parser->used;
    }
    if (want > SIZE_MAX / 2 - parser->used) {
        return NULL;
    }
    needed = parser->used + want;
    capacity = parser->capacity != 0 ? parser->capacity : RESP_INITIAL_CAPACITY;
    while (capacity < needed) {
        capacity *= 2;
    }
    buffer = realloc(parser->buffer, capacity);
    if (buffer == NULL) {
        return NULL;
    }
    parser->buffer = buffer;
    parser->capacity = capacity;
    return parser->buffer + parser->used;
}

void
resp_parser_commit(struct resp_parser *parser, size_t written)
{
    if (written > parser->capacity - parser->used) {
        written = parser->capacity - parser->used;
    }
    parser->used += written;
}

int
resp_parser_append(struct resp_parser *parser, const char *data, size_t length)
{
    char *space = resp_parser_space(parser, length);

    if (space == NULL) {
        return -1;
    }
    memcpy(space, data, length);
    resp_parser_commit(parser, length);
    return 0;
}

/* Makes room for at least `needed` arguments.  Returns 0 or -1 (ENOMEM). */
static int
ensure_arguments(struct resp_parser *parser, int needed)
{
    int capacity;
    const char **argv;
    size_t *lengths, *offsets;

    if (parser->argv_capacity >= needed) {
        return 0;
    }
    capacity = parser->argv_capacity != 0 ? parser->argv_capacity
                                          : RESP_INITIAL_ARGUMENTS;
    while (capacity < needed) {
        capacity = capacity > INT_MAX / 2 ? INT_MAX : capacity * 2;
    }
    argv = realloc(parser->argv, sizeof(*argv) * (size_t)capacity);
    if (argv == NULL) {
        return -1;
    }
    parser->argv = argv;
    lengths = realloc(parser->argv_length, sizeof(*lengths) * (size_t)capacity);
    if (lengths == NULL) {
        return -1;
    }
    parser->argv_length = lengths;
    offsets = realloc(parser->argv_offset, sizeof(*offsets) * (size_t)capacity);
    if (offsets == NULL) {
        return -1;
    }
    parser->argv_offset = offsets;
    parser->argv_capacity = capacity;
    return 0;
}

/*
 * Finds the '\r' that ends the header line starting at line_start, scanning
 * from parser->position so no byte is looked at twice.  Returns STEP_DONE
 * with *line_end, STEP_INCOMPLETE, or STEP_ERROR (`too_big`) when the line
 * is longer than the inline limit.
 */
static enum resp_step
find_header_line(struct resp_parser *parser, size_t line_start,
                 const char *too_big, size_t *line_end)
{
    size_t from = parser->position > line_start ? parser->position : line_start;
    const char *cr = memchr(parser->buffer + from, '\r', parser->used - from);
    size_t end;

    if (cr == NULL) {
        if (parser->used - line_start > parser->limits.max_inline_length) {
            return parser_error(parser, too_big);
        }
        parser->position = parser->used;
        return STEP_INCOMPLETE;
    }
    end = (size_t)(cr - parser->buffer);
    if (end - line_start > parser->limits.max_inline_length) {
        return parser_error(parser, too_big);
    }
    parser->position = end;
    if (end + 1 >= parser->used) {
        /* The byte after '\r' (normally '\n') has not arrived. */
        return STEP_INCOMPLETE;
    }
    *line_end = end;
    return STEP_DONE;
}

/* The largest multibulk count accepted, never above what argc can hold. */
static long long
multibulk_limit(const struct resp_parser *parser)
{
    long long limit = parser->limits.max_multibulk_count;

    return limit > INT_MAX - 1 ? INT_MAX - 1 : limit;
}

/* Reads "*<count>\r\n".  A count <= 0 is an empty request: skipped. */
static enum resp_step
parse_multibulk_count(struct resp_parser *parser)
{
    size_t line_end = 0;
    long long count;
    enum resp_step step;

    step = find_header_line(parser, parser->start, "too big mbulk count string",
                            &line_end);
    if (step != STEP_DONE) {
        return step;
    }
    if (!string_to_long_long(parser->buffer + parser->start + 1,
                             line_end - parser->start - 1, &count) ||
        count > multibulk_limit(parser)) {
        return parser_error(parser, "invalid multibulk length");
    }
    parser->position = line_end + 2;
    if (count <= 0) {
        parser->start = parser->position;
        return STEP_SKIPPED;
    }
    if (ensure_arguments(parser, 1) < 0) {
        return parser_error(parser, "out of memory");
    }
    parser->multibulk_count = count;
    parser->argc = 0;
    parser->bulk_length = -1;
    parser->argv_offset[0] = parser->position;
    return STEP_DONE;
}

/* The character shown in "expected '$', got 'X'" (never a line break). */
static char
printable_byte(char c)
{
    return c == '\r' || c == '\n' || c == '\0' ? ' ' : c;
}

/* Reads the "$<length>\r\n" line of element argc. */
static enum resp_step
parse_bulk_header(struct resp_parser *parser)
{
    size_t line_start = parser->argv_offset[parser->argc];
    size_t line_end = 0;
    long long length;
    enum resp_step step;

    step = find_header_line(parser, line_start, "too big bulk count string",
                            &line_end);
    if (step != STEP_DONE) {
        return step;
    }
    if (parser->buffer[line_start] != '$') {
        char message[32];

        snprintf(message, sizeof(message), "expected '$', got '%c'",
                 printable_byte(parser->buffer[line_start]));
        return parser_error(parser, message);
    }
    if (!string_to_long_long(parser->buffer + line_start + 1,
                             line_end - line_start - 1, &length) ||
        length < 0 || length > parser->limits.max_bulk_length) {
        return parser_error(parser, "invalid bulk length");
    }
    parser->bulk_length = length;
    parser->position = line_end + 2;
    parser->argv_offset[parser->argc] = parser->position;
    return STEP_DONE;
}

/* Waits for the bytes of element argc and the two bytes after them. */
static enum resp_step
parse_bulk_data(struct resp_parser *parser)
{
    size_t data = parser->argv_offset[parser->argc];
    size_t needed = (size_t)parser->bulk_length + 2;

    if (parser->used - data < needed) {
        return STEP_INCOMPLETE;
    }
    parser->argv_length[parser->argc] = (size_t)parser->bulk_length;
    parser->argc++;
    parser->position = data + needed;
    parser->bulk_length = -1;
    if (parser->argc < parser->multibulk_count) {
        if (ensure_arguments(parser, parser->argc + 1) < 0) {
            return parser_error(parser, "out of memory");
        }
        parser->argv_offset[parser->argc] = parser->position;
    }
    return STEP_DONE;
}

/* Hands out the complete multibulk request and starts the next one. */
static void
finish_multibulk(struct resp_parser *parser, struct resp_request *request)
{
    int i;

    for (i = 0; i < parser->argc; i++) {
        parser->argv[i] = parser->buffer + parser->argv_offset[i];
    }
    request->argc = parser->argc;
    request->argv = parser->argv;
    request->argv_length = parser->argv_length;
    request->raw = parser->buffer + parser->start;
    request->raw_length = parser->position - parser->start;
    request->inline_request = 0;
    parser->start = parser->position;
    reset_request_state(parser);
}

/* Parses (or resumes) a multibulk request starting with '*'. */
static enum resp_step
parse_multibulk(struct resp_parser *parser, struct resp_request *request)
{
    enum resp_step step;

    if (parser->multibulk_count < 0) {
        step = parse_multibulk_count(parser);
        if (step != STEP_DONE) {
            return step;
        }
    }
    while (parser->argc < parser->multibulk_count) {
        if (parser->bulk_length < 0) {
            step = parse_bulk_header(parser);
            if (step != STEP_DONE) {
                return step;
            }
        }
        step = parse_bulk_data(parser);
        if (step != STEP_DONE) {
            return step;
        }
    }
    finish_multibulk(parser, request);
    return STEP_DONE;
}

/* Makes inline_copy hold at least `length` bytes.  Returns 0 or -1. */
static int
ensure_inline_copy(struct resp_parser *parser, size_t length)
{
    char *copy;

    if (length == 0) {
        length = 1;
    }
    if (parser->inline_capacity >= length) {
        return 0;
    }
    copy = realloc(parser->inline_copy, length);
    if (copy == NULL) {
        return -1;
    }
    parser->inline_copy = copy;
    parser->inline_capacity = length;
    return 0;
}

/* Splits an inline line into parser->argv; returns the count or -1. */
static int
split_inline_line(struct resp_parser *parser, size_t length)
{
    int count;

    for (;;) {
        count = split_arguments_into(parser->buffer + parser->start, length,
                                     parser->inline_copy, parser->argv,
                                     parser->argv_length, parser->argv_capacity);
        if (count != -2) {
            return count;
        }
        if (ensure_arguments(parser, parser->argv_capacity + 1) < 0) {
            return -3;
        }
    }
}

/*
 * Parses (or resumes) an inline request: one line ending in "\n" or
 * "\r\n", split with Redis's quoting rules.
 */
static enum resp_step
parse_inline(struct resp_parser *parser, struct resp_request *request)
{
    const char *newline;
    size_t line_end, length;
    int count;

    newline = memchr(parser->buffer + parser->position, '\n',
                     parser->used - parser->position);
    if (newline == NULL) {
        length = parser->used - parser->start;
        if (parser->buffer[parser->used - 1] == '\r') {
            length--;
        }
        if (length > parser->limits.max_inline_length) {
            return parser_error(parser, "too big inline request");
        }
        parser->position = parser->used;
        return STEP_INCOMPLETE;
    }
    line_end = (size_t)(newline - parser->buffer);
    length = line_end - parser->start;
    if (length > 0 && parser->buffer[line_end - 1] == '\r') {
        length--;
    }
    if (length > parser->limits.max_inline_length) {
        return parser_error(parser, "too big inline request");
    }
    if (ensure_inline_copy(parser, length) < 0) {
        return parser_error(parser, "out of memory");
    }
    count = split_inline_line(parser, length);
    if (count == -1) {
        return parser_error(parser, "unbalanced quotes in request");
    }
    if (count < 0) {
        return parser_error(parser, "out of memory");
    }
    parser->position = line_end + 1;
    if (count == 0) {
        parser->start = parser->position;
        return STEP_SKIPPED;
    }
    request->argc = count;
    request->argv = parser->argv;
    request->argv_length = parser->argv_length;
    request->raw = parser->buffer + parser->start;
    request->raw_length = parser->position - parser->start;
    request->inline_request = 1;
    parser->start = parser->position;
    return STEP_DONE;
}

enum resp_parse_status
resp_parser_next(struct resp_parser *parser, struct resp_request *request)
{
    enum resp_step step;

    if (parser->error[0] != '\0') {
        return RESP_PARSE_ERROR;
    }
    do {
        if (parser->start == parser->used) {
            return RESP_PARSE_INCOMPLETE;
        }
        if (parser->buffer[parser->start] == '*') {
            step = parse_multibulk(parser, request);
        } else {
            step = parse_inline(parser, request);
        }
    } while (step == STEP_SKIPPED);

    if (step == STEP_DONE) {
        return RESP_PARSE_REQUEST;
    }
    if (step == STEP_INCOMPLETE &&
        parser->used - parser->start > (unsigned long long)parser->limits.max_query_buffer) {
        parser_error(parser, "query buffer limit exceeded");
    }
    return parser->error[0] != '\0' ? RESP_PARSE_ERROR : RESP_PARSE_INCOMPLETE;
}

void
resp_parser_compact(struct resp_parser *parser)
{
    size_t shift = parser->start;
    int i;

    if (shift == 0) {
        return;
    }
    memmove(parser->buffer, parser->buffer + shift, parser->used - shift);
    parser->used -= shift;
    parser->position -= shift;
    parser->start = 0;
    if (parser->multibulk_count > 0) {
        /* Complete elements and the element being read (i == argc). */
        for (i = 0; i <= parser->argc; i++) {
            parser->argv_offset[i] -= shift;
        }
    }
    if (parser->used == 0 && parser->capacity > RESP_SHRINK_CAPACITY) {
        free(parser->buffer);
        parser->buffer = NULL;
        parser->capacity = 0;
    }
}

size_t
resp_parser_pending(const struct resp_parser *parser)
{
    return parser->used - parser->start;
}

void
resp_parser_release_buffer(struct resp_parser *parser)
{
    if (parser->used != 0 || parser->buffer == NULL) {
        return;
    }
    free(parser->buffer);
    parser->buffer = NULL;
    parser->capacity = 0;
    parser->position = 0;
    parser->start = 0;
}
