/*
 * framer.c — finds where each RESP2 reply from a node ends, without
 * copying it.
 *
 * Replies that go to the client unchanged are never parsed into objects:
 * the framer only counts, so their bytes move from the node's input
 * evbuffer to the client's output with evbuffer_remove_buffer (whole
 * chains move without a copy), and a large value can stream through
 * before its last byte has arrived.  Replies the proxy must look into
 * (merges) are handed to hiredis's redisReader once the framer has found
 * their exact length (see backend.c).
 */
#include <string.h>
#include "proxy/proxy.h"

/* Scanner states. */
enum framer_state {
    FRAMER_TYPE,         /* expecting a type byte */
    FRAMER_LINE,         /* inside a +, - or : line */
    FRAMER_LINE_END,     /* saw '\r' of such a line */
    FRAMER_NUMBER,       /* digits of a $ or * length */
    FRAMER_NUMBER_END,   /* saw '\r' after the digits */
    FRAMER_BULK,         /* skipping bulk payload */
    FRAMER_BULK_END      /* expecting the '\r' after the payload */
};

/* Lengths past this are not RESP a node would send. */
#define FRAMER_NUMBER_MAX (1LL << 40)

void
proxy_framer_reset(struct proxy_framer *framer)
{
    framer->offset = 0;
    framer->state = FRAMER_TYPE;
    framer->kind = 0;
    framer->negative = 0;
    framer->digits = 0;
    framer->number = 0;
    framer->bulk_remaining = 0;
    framer->depth = 0;
}

/* One element ended.  Returns 1 when that completed the whole reply. */
static int
framer_element_done(struct proxy_framer *framer)
{
    while (framer->depth > 0) {
        if (--framer->remaining[framer->depth - 1] > 0) {
            framer->state = FRAMER_TYPE;
            return 0;
        }
        framer->depth--;
    }
    framer->state = FRAMER_TYPE;
    return 1;
}

/* Starts an element from its type byte.  Returns 0 or -1 (invalid). */
static int
framer_start(struct proxy_framer *framer, char type)
{
    switch (type) {
    case '+':
    case '-':
    case ':':
        framer->state = FRAMER_LINE;
        return 0;
    case '$':
    case '*':
        framer->kind = type;
        framer->negative = 0;
        framer->digits = 0;
        framer->number = 0;
        framer->state = FRAMER_NUMBER;
        return 0;
    default:
        return -1;
    }
}

/* Reads one byte of a length.  Returns 0 or -1 (invalid). */
static int
framer_number_byte(struct proxy_framer *framer, char c)
{
    if (c == '\r') {
        if (framer->digits == 0) {
            return -1;
        }
        framer->state = FRAMER_NUMBER_END;
        return 0;
    }
    if (c == '-' && framer->digits == 0 && !framer->negative) {
        framer->negative = 1;
        return 0;
    }
    if (c < '0' || c > '9') {
        return -1;
    }
    framer->number = framer->number * 10 + (c - '0');
    framer->digits++;
    return framer->number > FRAMER_NUMBER_MAX ? -1 : 0;
}

/* A length line ended.  Returns 1 when the reply is complete, 0 to go
 * on, -1 when invalid. */
static int
framer_number_done(struct proxy_framer *framer)
{
    long long value = framer->negative ? -framer->number : framer->number;

    if (value < -1) {
        return -1;
    }
    if (framer->kind == '$') {
        if (value == -1) {
            return framer_element_done(framer);
        }
        framer->bulk_remaining = value;
        framer->state = value > 0 ? FRAMER_BULK : FRAMER_BULK_END;
        return 0;
    }
    if (value <= 0) {
        return framer_element_done(framer);
    }
    if (framer->depth >= PROXY_FRAMER_MAX_DEPTH) {
        return -1;
    }
    framer->remaining[framer->depth++] = value;
    framer->state = FRAMER_TYPE;
    return 0;
}

enum proxy_framer_status
proxy_framer_feed(struct proxy_framer *framer, const char *data, size_t length,
                  size_t *used)
{
    size_t i = 0;
    int done = 0;

    while (i < length && !done) {
        switch (framer->state) {
        case FRAMER_TYPE:
            if (framer_start(framer, data[i++]) != 0) {
                return PROXY_FRAMER_INVALID;
            }
            break;
        case FRAMER_LINE: {
            const char *cr = memchr(data + i, '\r', length - i);
            if (cr == NULL) {
                i = length;
            } else {
                i = (size_t)(cr - data) + 1;
                framer->state = FRAMER_LINE_END;
            }
            break;
        }
        case FRAMER_LINE_END:
            if (data[i++] != '\n') {
                return PROXY_FRAMER_INVALID;
            }
            done = framer_element_done(framer);
            break;
        case FRAMER_NUMBER:
            if (framer_number_byte(framer, data[i++]) != 0) {
                return PROXY_FRAMER_INVALID;
            }
            break;
        case FRAMER_NUMBER_END:
            if (data[i++] != '\n') {
                return PROXY_FRAMER_INVALID;
            }
            done = framer_number_done(framer);
            if (done < 0) {
                return PROXY_FRAMER_INVALID;
            }
            break;
        case FRAMER_BULK: {
            size_t step = length - i;
            if ((long long)step > framer->bulk_remaining) {
                step = (size_t)framer->bulk_remaining;
            }
            i += step;
            framer->bulk_remaining -= (long long)step;
            if (framer->bulk_remaining == 0) {
                framer->state = FRAMER_BULK_END;
            }
            break;
        }
        case FRAMER_BULK_END:
            if (data[i++] != '\r') {
                return PROXY_FRAMER_INVALID;
            }
            framer->state = FRAMER_LINE_END;
            break;
        default:
            return PROXY_FRAMER_INVALID;
        }
    }
    *used = i;
    return done ? PROXY_FRAMER_COMPLETE : PROXY_FRAMER_INCOMPLETE;
}

#define FRAMER_PEEK_VECTORS 8

enum proxy_framer_status
proxy_framer_scan(struct proxy_framer *framer, struct evbuffer *input)
{
    struct evbuffer_iovec vector[FRAMER_PEEK_VECTORS];
    struct evbuffer_ptr position;
    size_t total = evbuffer_get_length(input);
    enum proxy_framer_status status;
    size_t used;
    int count, i;

    while (framer->offset < total) {
        if (evbuffer_ptr_set(input, &position, framer->offset, EVBUFFER_PTR_SET) != 0) {
            return PROXY_FRAMER_INVALID;
        }
        count = evbuffer_peek(input, -1, &position, vector, FRAMER_PEEK_VECTORS);
        if (count <= 0) {
            break;
        }
        if (count > FRAMER_PEEK_VECTORS) {
            count = FRAMER_PEEK_VECTORS;
        }
        for (i = 0; i < count; i++) {
            status = proxy_framer_feed(framer, vector[i].iov_base, vector[i].iov_len, &used);
            framer->offset += used;
            if (status != PROXY_FRAMER_INCOMPLETE) {
                return status;
            }
        }
    }
    return PROXY_FRAMER_INCOMPLETE;
}
