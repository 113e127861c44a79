/*
 * fuzz_framer.c — libFuzzer target for the proxy's reply framer
 * (proxy/framer.c), differential against hiredis's redisReader.
 *
 * Input layout:
 *   byte 0    seed of the chunk sizes (0: one byte at a time, 1: whole)
 *   rest      the bytes a node sends back: any number of replies
 *
 * The framer finds where each reply ends; the proxy then moves exactly
 * those bytes to the client, or hands them to a redisReader (merged
 * replies).  So the two must agree on where a reply ends, or a reply
 * would be cut or glued to the next one.  Checked:
 *  - proxy_framer_feed() fed the whole stream, fed in pieces, and
 *    proxy_framer_scan() over an evbuffer of many chains all find the
 *    same reply ends and end the same way (complete, incomplete,
 *    invalid);
 *  - each reply the framer completes, fed alone to a fresh redisReader,
 *    gives exactly one reply with no byte left over;
 *  - bytes the framer holds as an incomplete reply give hiredis no reply.
 *
 * Where they legitimately differ (measured on Debian's hiredis 0.14.1;
 * none of it is something a herd-node sends):
 *  - the framer is stricter, and says INVALID (the proxy resets the node
 *    connection) where hiredis accepts: a bulk not followed by "\r\n"
 *    (hiredis skips two bytes unchecked), a '\r' not followed by '\n'
 *    inside a +, - or : line (hiredis looks for "\r\n"), arrays nested
 *    deeper than PROXY_FRAMER_MAX_DEPTH (32), lengths above 2^40.  Not
 *    checked against hiredis;
 *  - the framer only counts and does not look at what it skips, so
 *    hiredis may refuse a reply the framer completed, with one of:
 *      "Bad integer value"            a ':' line that is not a canonical
 *                                     integer (":abc", ":-0", ":")
 *      "Bad bulk string length",
 *      "Bad multi-bulk length"        a length with leading zeros or
 *                                     "-0" ("$01", "*-0"), which the
 *                                     framer reads as digits
 *      "No support for nested multi bulk replies with depth > 7"
 *                                     nesting 9 to 32 deep
 *    The proxy stays in step (the framer consumed the right bytes) and
 *    fails only that request with "sent an invalid reply"; the same
 *    errors are accepted for bytes the framer holds as incomplete;
 *  - hiredis allocates an array's element table when it reads the
 *    header, so a count above INT_MAX is refused ("Multi-bulk length out
 *    of range") where the framer waits for the elements; inputs with an
 *    array count above HIREDIS_COUNT_MAX are not given to hiredis at all,
 *    so that it does not allocate gigabytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <hiredis/hiredis.h>

#include "proxy/proxy.h"
#include "tests/fuzz/fuzz_util.h"

/* Array counts above this keep an input away from hiredis (see above). */
#define HIREDIS_COUNT_MAX 10000

/* Most reply ends recorded per input (an input of n bytes has at most
 * n / 3 replies: "+\r\n"). */
#define MAX_REPLIES 4096

/* How one way of framing a stream went: where each reply ended (offsets
 * in the stream) and how the stream ended. */
struct framing {
    size_t ends[MAX_REPLIES];
    size_t count;
    enum proxy_framer_status last;  /* INCOMPLETE or INVALID */
};

/* Records where one reply ended; ends must move forward. */
static void
framing_add(struct framing *framing, size_t end)
{
    FUZZ_CHECK(framing->count < MAX_REPLIES, "too many replies");
    FUZZ_CHECK(framing->count == 0 || end > framing->ends[framing->count - 1],
               "reply end %zu does not advance", end);
    framing->ends[framing->count++] = end;
}

/* Frames the stream the way unit tests and backend code feed it: each
 * call is given everything from the current position to the end of the
 * current piece. */
static void
frame_with_feed(const uint8_t *data, size_t length, struct chunker *chunker,
                struct framing *framing)
{
    struct proxy_framer framer;
    enum proxy_framer_status status;
    size_t position = 0, piece_end = 0, used;

    proxy_framer_reset(&framer);
    framing->count = 0;
    framing->last = PROXY_FRAMER_INCOMPLETE;
    while (position < length) {
        if (position == piece_end) {
            piece_end = position + chunker_next(chunker, length - position);
        }
        used = 0;
        status = proxy_framer_feed(&framer, (const char *)data + position,
                                   piece_end - position, &used);
        if (status == PROXY_FRAMER_INVALID) {
            framing->last = PROXY_FRAMER_INVALID;
            return;
        }
        FUZZ_CHECK(used <= piece_end - position, "used %zu of %zu bytes", used,
                   piece_end - position);
        if (status == PROXY_FRAMER_COMPLETE) {
            FUZZ_CHECK(used >= 1, "reply completed with no byte used");
            position += used;
            framing_add(framing, position);
            FUZZ_CHECK(framer.depth == 0, "depth %d after a complete reply", framer.depth);
        } else {
            FUZZ_CHECK(used == piece_end - position, "INCOMPLETE left %zu bytes",
                       piece_end - position - used);
            position = piece_end;
        }
    }
}

/* Frames the stream the way backend.c does: proxy_framer_scan() over an
 * evbuffer (here one chain per piece), draining each complete reply. */
static void
frame_with_scan(const uint8_t *data, size_t length, struct chunker *chunker,
                struct framing *framing)
{
    struct evbuffer *input = evbuffer_new();
    struct proxy_framer framer;
    enum proxy_framer_status status;
    size_t position = 0, piece, drained = 0;

    FUZZ_CHECK(input != NULL, "evbuffer_new failed");
    while (position < length) {
        piece = chunker_next(chunker, length - position);
        FUZZ_CHECK(evbuffer_add_reference(input, data + position, piece, NULL, NULL) == 0,
                   "evbuffer_add_reference failed");
        position += piece;
    }
    proxy_framer_reset(&framer);
    framing->count = 0;
    for (;;) {
        status = proxy_framer_scan(&framer, input);
        if (status != PROXY_FRAMER_COMPLETE) {
            break;
        }
        FUZZ_CHECK(framer.offset >= 1 && framer.offset <= evbuffer_get_length(input),
                   "reply of %zu bytes in %zu", framer.offset, evbuffer_get_length(input));
        drained += framer.offset;
        framing_add(framing, drained);
        evbuffer_drain(input, framer.offset);
        framer.offset = 0;
    }
    if (status == PROXY_FRAMER_INCOMPLETE) {
        FUZZ_CHECK(framer.offset == evbuffer_get_length(input),
                   "INCOMPLETE scanned %zu of %zu bytes", framer.offset,
                   evbuffer_get_length(input));
    }
    framing->last = status;
    evbuffer_free(input);
}

/* Two framings of one stream must be identical (`a` is the whole-stream
 * one, `b` the one named by `what`). */
static void
compare_framings(const struct framing *a, const struct framing *b, const char *what)
{
    size_t i;

    FUZZ_CHECK(a->last == b->last, "%s: ended %d, whole stream ended %d", what,
               (int)b->last, (int)a->last);
    FUZZ_CHECK(a->count == b->count, "%s: %zu replies, whole stream %zu", what,
               b->count, a->count);
    for (i = 0; i < a->count; i++) {
        FUZZ_CHECK(a->ends[i] == b->ends[i], "%s: reply %zu ends at %zu, whole stream at %zu",
                   what, i, b->ends[i], a->ends[i]);
    }
}

/* 1 when some "*<count>" in the stream asks for more than
 * HIREDIS_COUNT_MAX elements (looked for anywhere, to be safe). */
static int
has_large_array_count(const uint8_t *data, size_t length)
{
    size_t i, j;
    unsigned long long count;

    for (i = 0; i < length; i++) {
        if (data[i] != '*') {
            continue;
        }
        count = 0;
        for (j = i + 1; j < length && data[j] >= '0' && data[j] <= '9'; j++) {
            count = count * 10 + (unsigned long long)(data[j] - '0');
            if (count > HIREDIS_COUNT_MAX) {
                return 1;
            }
        }
    }
    return 0;
}

/* The hiredis errors documented above as content the framer skips. */
static int
is_content_error(const char *error)
{
    static const char *const allowed[] = {
        "Bad integer value",
        "Bad bulk string length",
        "Bad multi-bulk length",
        "No support for nested multi bulk replies with depth > 7",
    };
    size_t i;

    for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        if (strcmp(error, allowed[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/*
 * Feeds data[0..length) to a fresh redisReader, in pieces.  Returns 1
 * when it gave a reply (*left: bytes it did not use), 0 when it wants
 * more, -1 on an error (copied to error).
 */
static int
hiredis_parse(const uint8_t *data, size_t length, struct chunker *chunker,
              size_t *left, char *error, size_t error_size)
{
    redisReader *reader = redisReaderCreate();
    void *reply = NULL;
    size_t position = 0, piece;
    int result;

    FUZZ_CHECK(reader != NULL, "redisReaderCreate failed");
    while (position < length) {
        piece = chunker_next(chunker, length - position);
        FUZZ_CHECK(redisReaderFeed(reader, (const char *)data + position, piece) == REDIS_OK,
                   "redisReaderFeed failed");
        position += piece;
    }
    if (redisReaderGetReply(reader, &reply) != REDIS_OK) {
        snprintf(error, error_size, "%s", reader->errstr);
        result = -1;
    } else if (reply == NULL) {
        result = 0;
    } else {
        *left = reader->len - reader->pos;
        freeReplyObject(reply);
        result = 1;
    }
    redisReaderFree(reader);
    return result;
}

/* Every reply the framer completed must be exactly one hiredis reply; the
 * bytes it holds as incomplete must not make one. */
static void
compare_with_hiredis(const uint8_t *data, size_t length, const struct framing *framing,
                     struct chunker *chunker)
{
    char error[128];
    size_t start = 0, end, left = 0, i;
    int result;

    for (i = 0; i < framing->count; i++) {
        end = framing->ends[i];
        result = hiredis_parse(data + start, end - start, chunker, &left, error,
                               sizeof(error));
        FUZZ_CHECK(result != 0, "reply %zu (bytes %zu..%zu): framer complete, "
                   "hiredis wants more", i, start, end);
        FUZZ_CHECK(result == 1 || is_content_error(error),
                   "reply %zu (bytes %zu..%zu): framer complete, hiredis: %s",
                   i, start, end, error);
        FUZZ_CHECK(result != 1 || left == 0,
                   "reply %zu (bytes %zu..%zu): hiredis's reply ends %zu bytes earlier",
                   i, start, end, left);
        start = end;
    }
    if (framing->last == PROXY_FRAMER_INCOMPLETE && start < length) {
        result = hiredis_parse(data + start, length - start, chunker, &left, error,
                               sizeof(error));
        FUZZ_CHECK(result != 1, "bytes %zu..%zu: framer incomplete, hiredis has a reply "
                   "of %zu bytes", start, length, length - start - left);
        FUZZ_CHECK(result == 0 || is_content_error(error),
                   "bytes %zu..%zu: framer incomplete, hiredis: %s", start, length, error);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Large: kept off the stack. */
    struct framing *whole, *pieces, *scanned;
    struct chunker chunker;
    const uint8_t *stream;
    size_t length;

    if (size < 1) {
        return 0;
    }
    stream = data + 1;
    length = size - 1;
    whole = malloc(sizeof(*whole));
    pieces = malloc(sizeof(*pieces));
    scanned = malloc(sizeof(*scanned));
    FUZZ_CHECK(whole != NULL && pieces != NULL && scanned != NULL, "out of memory");

    chunker_init(&chunker, 1, length);
    frame_with_feed(stream, length, &chunker, whole);
    chunker_init(&chunker, data[0], length);
    frame_with_feed(stream, length, &chunker, pieces);
    compare_framings(whole, pieces, "fed in pieces");
    frame_with_scan(stream, length, &chunker, scanned);
    compare_framings(whole, scanned, "scanned from an evbuffer");
    if (!has_large_array_count(stream, length)) {
        compare_with_hiredis(stream, length, whole, &chunker);
    }

    free(whole);
    free(pieces);
    free(scanned);
    return 0;
}
