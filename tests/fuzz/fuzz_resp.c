/*
 * fuzz_resp.c — libFuzzer target for the RESP request parser
 * (shared/resp.c), the first code to see a client's bytes.
 *
 * Input layout:
 *   byte 0    the limits (two bits each: inline length, bulk length,
 *             multibulk count, query buffer; 0 keeps Redis's default)
 *   byte 1    seed of the chunk sizes (0: one byte at a time, 1: whole)
 *   rest      the bytes a client sends
 *
 * The stream is parsed twice: appended whole, and appended in pieces with
 * resp_parser_compact() between them, as the servers do.  Checked:
 *  - no read outside the buffered bytes: ASan, with the query buffer's
 *    unused capacity poisoned while the parser runs, so a read past
 *    `used` is caught even inside the allocation;
 *  - every request has argc >= 1, its arguments lie inside the query
 *    buffer (multibulk) or the inline copy (inline), its raw bytes inside
 *    the query buffer, and the limits hold;
 *  - after RESP_PARSE_ERROR the parser stays in error with the same text,
 *    also when more bytes arrive;
 *  - both runs give the same requests and end the same way (same error,
 *    or the same number of pending bytes).  The one allowed difference:
 *    the query buffer limit is checked on the bytes pending at each
 *    call, so pieces may hit it where the whole stream completes a
 *    request; then the pieces' requests must be a prefix of the whole
 *    stream's, and a whole stream that hits it must hit it in pieces too;
 *  - the raw bytes of each request, parsed alone, give the same request
 *    (the proxy forwards raw bytes to a node, which parses them again).
 */
#include <sanitizer/asan_interface.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/resp.h"
#include "tests/fuzz/fuzz_util.h"

/* The limit values byte 0 chooses from (index 0: the default). */
static const size_t inline_limits[4] = { RESP_DEFAULT_MAX_INLINE_LENGTH, 16, 64, 300 };
static const long long bulk_limits[4] = { RESP_DEFAULT_MAX_BULK_LENGTH, 1, 16, 200 };
static const long long count_limits[4] = { RESP_DEFAULT_MAX_MULTIBULK_COUNT, 1, 4, 40 };
static const long long query_limits[4] = { RESP_DEFAULT_MAX_QUERY_BUFFER, 24, 256, 2048 };

static const char query_buffer_error[] = "ERR Protocol error: query buffer limit exceeded";
static const char error_prefix[] = "ERR Protocol error: ";

/* The requests one run produced, each flattened into one byte string
 * (inline flag, argc, then each argument and the raw bytes, each with
 * its length), and how the run ended. */
struct outcome {
    size_t  count;
    size_t  capacity;
    char  **request;
    size_t *request_length;
    int     error;              /* ended in RESP_PARSE_ERROR */
    char    error_text[sizeof(((struct resp_parser *)0)->error)];
    size_t  pending;            /* bytes left unparsed when no error */
};

/* A growable byte string used to flatten one request. */
struct bytes {
    char   *data;
    size_t  length;
    size_t  capacity;
};

/* Appends to a growable byte string. */
static void
bytes_add(struct bytes *bytes, const void *data, size_t length)
{
    if (bytes->length + length > bytes->capacity) {
        size_t capacity = bytes->capacity == 0 ? 256 : bytes->capacity;

        while (capacity < bytes->length + length) {
            capacity *= 2;
        }
        bytes->data = realloc(bytes->data, capacity);
        FUZZ_CHECK(bytes->data != NULL, "out of memory");
        bytes->capacity = capacity;
    }
    if (length > 0) {
        memcpy(bytes->data + bytes->length, data, length);
    }
    bytes->length += length;
}

/* Marks the query buffer's unused capacity unreadable, so that ASan
 * reports any read past the bytes actually buffered. */
static void
poison_unused(const struct resp_parser *parser)
{
    if (parser->buffer != NULL && parser->capacity > parser->used) {
        ASAN_POISON_MEMORY_REGION(parser->buffer + parser->used,
                                  parser->capacity - parser->used);
    }
}

/* Undoes poison_unused() before the parser itself writes, moves or
 * frees the buffer. */
static void
unpoison_buffer(const struct resp_parser *parser)
{
    if (parser->buffer != NULL) {
        ASAN_UNPOISON_MEMORY_REGION(parser->buffer, parser->capacity);
    }
}

/* 1 when [pointer, pointer + length) lies inside [base, base + size). */
static int
inside(const char *pointer, size_t length, const char *base, size_t size)
{
    return base != NULL && pointer >= base && length <= size &&
           (size_t)(pointer - base) <= size - length;
}

/* The invariants every returned request must satisfy. */
static void
check_request(const struct resp_parser *parser, const struct resp_request *request)
{
    size_t line;
    int i;

    FUZZ_CHECK(request->argc >= 1, "argc %d", request->argc);
    FUZZ_CHECK(request->argv != NULL && request->argv_length != NULL, "no argv");
    FUZZ_CHECK(request->raw_length >= 1 &&
               inside(request->raw, request->raw_length, parser->buffer, parser->used),
               "raw bytes outside the query buffer");
    if (request->inline_request) {
        FUZZ_CHECK(request->raw[request->raw_length - 1] == '\n', "inline raw without newline");
        line = request->raw_length - 1;
        if (line > 0 && request->raw[line - 1] == '\r') {
            line--;
        }
        FUZZ_CHECK(line <= parser->limits.max_inline_length, "inline line of %zu bytes", line);
    } else {
        FUZZ_CHECK(request->raw[0] == '*', "multibulk raw starts with 0x%02x",
                   (unsigned char)request->raw[0]);
        FUZZ_CHECK(request->argc <= parser->limits.max_multibulk_count,
                   "argc %d above the limit", request->argc);
    }
    for (i = 0; i < request->argc; i++) {
        const char *argument = request->argv[i];
        size_t length = request->argv_length[i];

        if (request->inline_request) {
            FUZZ_CHECK(inside(argument, length, parser->inline_copy, parser->inline_capacity),
                       "inline argument %d outside the inline copy", i);
            FUZZ_CHECK(length <= request->raw_length, "inline argument %d too long", i);
        } else {
            FUZZ_CHECK(inside(argument, length, request->raw, request->raw_length),
                       "argument %d outside the request's raw bytes", i);
            FUZZ_CHECK((long long)length <= parser->limits.max_bulk_length,
                       "argument %d of %zu bytes above the bulk limit", i, length);
        }
    }
}

/* Flattens a request (its bytes are read, so ASan checks every one). */
static void
flatten_request(const struct resp_request *request, struct bytes *out)
{
    int i;

    out->length = 0;
    bytes_add(out, &request->inline_request, sizeof(request->inline_request));
    bytes_add(out, &request->argc, sizeof(request->argc));
    for (i = 0; i < request->argc; i++) {
        bytes_add(out, &request->argv_length[i], sizeof(request->argv_length[i]));
        bytes_add(out, request->argv[i], request->argv_length[i]);
    }
    bytes_add(out, &request->raw_length, sizeof(request->raw_length));
    bytes_add(out, request->raw, request->raw_length);
}

/* Keeps a copy of one flattened request. */
static void
outcome_add(struct outcome *outcome, const struct bytes *flat)
{
    if (outcome->count == outcome->capacity) {
        outcome->capacity = outcome->capacity == 0 ? 16 : outcome->capacity * 2;
        outcome->request = realloc(outcome->request,
                                   outcome->capacity * sizeof(*outcome->request));
        outcome->request_length = realloc(outcome->request_length,
                                          outcome->capacity * sizeof(*outcome->request_length));
        FUZZ_CHECK(outcome->request != NULL && outcome->request_length != NULL,
                   "out of memory");
    }
    outcome->request[outcome->count] = malloc(flat->length);
    FUZZ_CHECK(outcome->request[outcome->count] != NULL, "out of memory");
    memcpy(outcome->request[outcome->count], flat->data, flat->length);
    outcome->request_length[outcome->count] = flat->length;
    outcome->count++;
}

/* Frees the copies an outcome keeps. */
static void
outcome_free(struct outcome *outcome)
{
    size_t i;

    for (i = 0; i < outcome->count; i++) {
        free(outcome->request[i]);
    }
    free(outcome->request);
    free(outcome->request_length);
}

/* Appends bytes, alternating between resp_parser_append() and the
 * space/commit pair a socket read uses (asking for more room than is
 * then written, as a read of 16 KB that returns less does). */
static void
feed(struct resp_parser *parser, const uint8_t *data, size_t length,
     struct chunker *chunker)
{
    unpoison_buffer(parser);
    if (chunker_pick(chunker, 2) == 0) {
        FUZZ_CHECK(resp_parser_append(parser, (const char *)data, length) == 0,
                   "append of %zu bytes failed", length);
    } else {
        size_t want = length + chunker_pick(chunker, 16 * 1024);
        char *space = resp_parser_space(parser, want);

        FUZZ_CHECK(space != NULL, "no space for %zu bytes", want);
        FUZZ_CHECK(parser->capacity - parser->used >= want, "space smaller than asked");
        memcpy(space, data, length);
        resp_parser_commit(parser, length);
    }
    poison_unused(parser);
}

/*
 * Parses the request's raw bytes alone with `reparser` (kept empty
 * between calls) and checks that the same request comes out.
 */
static void
check_reparse(struct resp_parser *reparser, const struct resp_request *request,
              const struct bytes *flat, struct bytes *scratch)
{
    struct resp_request again;
    enum resp_parse_status status;

    unpoison_buffer(reparser);
    FUZZ_CHECK(resp_parser_append(reparser, request->raw, request->raw_length) == 0,
               "append failed");
    poison_unused(reparser);
    status = resp_parser_next(reparser, &again);
    FUZZ_CHECK(status == RESP_PARSE_REQUEST,
               "raw bytes of a request parsed alone give status %d (%s)",
               (int)status, reparser->error);
    check_request(reparser, &again);
    flatten_request(&again, scratch);
    FUZZ_CHECK(scratch->length == flat->length &&
               memcmp(scratch->data, flat->data, flat->length) == 0,
               "raw bytes of a request parsed alone give another request");
    status = resp_parser_next(reparser, &again);
    FUZZ_CHECK(status == RESP_PARSE_INCOMPLETE && resp_parser_pending(reparser) == 0,
               "bytes left after re-parsing a request's raw bytes");
    unpoison_buffer(reparser);
    resp_parser_compact(reparser);
    poison_unused(reparser);
}

/* After an error the parser must keep answering with the same error,
 * even when more bytes arrive. */
static void
check_error_sticks(struct resp_parser *parser, struct chunker *chunker)
{
    char text[sizeof(parser->error)];
    struct resp_request request;
    static const uint8_t more[] = "*1\r\n$4\r\nPING\r\nPING\r\n";

    FUZZ_CHECK(strncmp(parser->error, error_prefix, sizeof(error_prefix) - 1) == 0,
               "error text '%s'", parser->error);
    FUZZ_CHECK(memchr(parser->error, '\0', sizeof(parser->error)) != NULL,
               "error text not terminated");
    FUZZ_CHECK(strpbrk(parser->error, "\r\n") == NULL, "line break in error text");
    memcpy(text, parser->error, sizeof(text));
    FUZZ_CHECK(resp_parser_next(parser, &request) == RESP_PARSE_ERROR,
               "error did not stick");
    feed(parser, more, sizeof(more) - 1, chunker);
    FUZZ_CHECK(resp_parser_next(parser, &request) == RESP_PARSE_ERROR,
               "error did not stick after more bytes");
    FUZZ_CHECK(strcmp(text, parser->error) == 0, "error text changed: '%s' -> '%s'",
               text, parser->error);
}

/* Everything that carries state through one run. */
struct run {
    struct resp_parser parser;
    struct resp_parser reparser;
    struct chunker     chunker;
    struct bytes       flat;
    struct bytes       scratch;
    struct outcome     outcome;
};

/* Takes every request now complete.  Returns 0, or -1 on a parse error. */
static int
drain(struct run *run)
{
    struct resp_request request;
    enum resp_parse_status status;

    for (;;) {
        memset(&request, 0, sizeof(request));
        status = resp_parser_next(&run->parser, &request);
        if (status == RESP_PARSE_INCOMPLETE) {
            FUZZ_CHECK(run->parser.error[0] == '\0', "INCOMPLETE with an error set");
            return 0;
        }
        if (status == RESP_PARSE_ERROR) {
            run->outcome.error = 1;
            memcpy(run->outcome.error_text, run->parser.error, sizeof(run->parser.error));
            check_error_sticks(&run->parser, &run->chunker);
            return -1;
        }
        FUZZ_CHECK(status == RESP_PARSE_REQUEST, "unknown status %d", (int)status);
        check_request(&run->parser, &request);
        flatten_request(&request, &run->flat);
        check_reparse(&run->reparser, &request, &run->flat, &run->scratch);
        outcome_add(&run->outcome, &run->flat);
    }
}

/*
 * Parses data[0..length): whole when `whole`, else in pieces cut by the
 * chunker, compacting between pieces.  Fills run->outcome.
 */
static void
parse_stream(struct run *run, const struct resp_limits *limits, uint8_t seed,
             const uint8_t *data, size_t length, int whole)
{
    struct resp_limits reparse_limits = *limits;
    size_t offset = 0, piece;

    memset(run, 0, sizeof(*run));
    reparse_limits.max_query_buffer = RESP_DEFAULT_MAX_QUERY_BUFFER;
    resp_parser_init(&run->parser, limits);
    resp_parser_init(&run->reparser, &reparse_limits);
    chunker_init(&run->chunker, whole ? 1 : seed, length);
    while (offset < length) {
        piece = chunker_next(&run->chunker, length - offset);
        feed(&run->parser, data + offset, piece, &run->chunker);
        offset += piece;
        if (drain(run) < 0) {
            break;
        }
        unpoison_buffer(&run->parser);
        resp_parser_compact(&run->parser);
        poison_unused(&run->parser);
        FUZZ_CHECK(run->parser.start == 0, "compact left start at %zu", run->parser.start);
    }
    if (!run->outcome.error) {
        run->outcome.pending = resp_parser_pending(&run->parser);
        FUZZ_CHECK(length == 0 || run->outcome.pending <= length, "pending above input");
    }
    unpoison_buffer(&run->parser);
    unpoison_buffer(&run->reparser);
    resp_parser_free(&run->parser);
    resp_parser_free(&run->reparser);
    free(run->flat.data);
    free(run->scratch.data);
}

/* 1 when the run ended on the query buffer limit. */
static int
is_query_buffer_error(const struct outcome *outcome)
{
    return outcome->error && strcmp(outcome->error_text, query_buffer_error) == 0;
}

/* 1 when the first `count` requests of both outcomes are identical. */
static int
same_requests(const struct outcome *a, const struct outcome *b, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        if (a->request_length[i] != b->request_length[i] ||
            memcmp(a->request[i], b->request[i], a->request_length[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

/* The differential check between the whole and the cut stream. */
static void
compare_outcomes(const struct outcome *whole, const struct outcome *pieces)
{
    if (is_query_buffer_error(pieces)) {
        FUZZ_CHECK(pieces->count <= whole->count &&
                   same_requests(whole, pieces, pieces->count),
                   "requests before a query buffer error are not a prefix "
                   "(%zu in pieces, %zu whole)", pieces->count, whole->count);
        return;
    }
    FUZZ_CHECK(!is_query_buffer_error(whole),
               "whole stream hit the query buffer limit, pieces did not");
    FUZZ_CHECK(whole->count == pieces->count,
               "%zu requests whole, %zu in pieces", whole->count, pieces->count);
    FUZZ_CHECK(same_requests(whole, pieces, whole->count),
               "different requests whole and in pieces");
    FUZZ_CHECK(whole->error == pieces->error,
               "whole: %s; pieces: %s", whole->error ? whole->error_text : "no error",
               pieces->error ? pieces->error_text : "no error");
    if (whole->error) {
        FUZZ_CHECK(strcmp(whole->error_text, pieces->error_text) == 0,
                   "whole: '%s'; pieces: '%s'", whole->error_text, pieces->error_text);
    } else {
        FUZZ_CHECK(whole->pending == pieces->pending,
                   "%zu bytes pending whole, %zu in pieces", whole->pending, pieces->pending);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct resp_limits limits;
    struct run whole, pieces;

    if (size < 2) {
        return 0;
    }
    limits.max_inline_length = inline_limits[data[0] & 3];
    limits.max_bulk_length = bulk_limits[(data[0] >> 2) & 3];
    limits.max_multibulk_count = count_limits[(data[0] >> 4) & 3];
    limits.max_query_buffer = query_limits[(data[0] >> 6) & 3];

    parse_stream(&whole, &limits, data[1], data + 2, size - 2, 1);
    parse_stream(&pieces, &limits, data[1], data + 2, size - 2, 0);
    compare_outcomes(&whole.outcome, &pieces.outcome);
    outcome_free(&whole.outcome);
    outcome_free(&pieces.outcome);
    return 0;
}
