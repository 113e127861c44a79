/*
 * resp.h — incremental RESP2 request parser shared by herd-proxy and herd-node.
 *
 * The parser owns one contiguous query buffer per connection (like Redis's
 * querybuf).  The connection appends what it reads, then calls
 * resp_parser_next() until it returns RESP_PARSE_INCOMPLETE, handling each
 * request as it comes, then calls resp_parser_compact().  Argument pointers
 * point into the query buffer: they stay valid until the next append or
 * compact.  Parsing resumes where it stopped, so a request that arrives one
 * byte at a time costs O(length), not O(length^2).
 *
 * Accepts multibulk (`*N\r\n$len\r\n...`) and inline (`PING\r\n`) requests,
 * with Redis's quoting rules for inline arguments.  Every limit is enforced
 * while parsing and reported with the exact Redis error text.
 */
#ifndef HERD_RESP_H
#define HERD_RESP_H

#include <stddef.h>
#include <stdint.h>

/* Default limits (each one is configurable; see herd.conf(5)). */
#define RESP_DEFAULT_MAX_BULK_LENGTH     (512LL * 1024 * 1024)
#define RESP_DEFAULT_MAX_MULTIBULK_COUNT (1024LL * 1024)
#define RESP_DEFAULT_MAX_INLINE_LENGTH   (64 * 1024)
#define RESP_DEFAULT_MAX_QUERY_BUFFER    (1024LL * 1024 * 1024)

/* The limits applied to one connection's requests. */
struct resp_limits {
    long long max_bulk_length;      /* largest $<len> accepted */
    long long max_multibulk_count;  /* largest *<count> accepted */
    size_t    max_inline_length;    /* longest inline line, without \r\n */
    long long max_query_buffer;     /* most unparsed bytes buffered */
};
/* Exceeding a limit is a protocol error with Redis's text: a count above
 * max_multibulk_count gives "invalid multibulk length", a length above
 * max_bulk_length "invalid bulk length", a line longer than
 * max_inline_length "too big inline request" (or "too big mbulk count
 * string" / "too big bulk count string" for a header line).  More than
 * max_query_buffer pending bytes without a complete request gives the
 * herd-specific "ERR Protocol error: query buffer limit exceeded" (Redis
 * closes such a client without a reply). */

/* What resp_parser_next() found. */
enum resp_parse_status {
    RESP_PARSE_REQUEST,     /* a complete request is in *request */
    RESP_PARSE_INCOMPLETE,  /* need more bytes; nothing to do yet */
    RESP_PARSE_ERROR        /* protocol error; parser->error holds the text */
};

/* One parsed request.  argv[i] has argv_length[i] bytes and is NOT
 * NUL-terminated in general (binary safe).  raw/raw_length span the exact
 * bytes of the request in the query buffer (for multibulk requests they can
 * be forwarded unchanged). */
struct resp_request {
    int          argc;
    const char **argv;
    size_t      *argv_length;
    const char  *raw;
    size_t       raw_length;
    int          inline_request;    /* 1 when it came as an inline command */
};

/* Parser state of one connection. */
struct resp_parser {
    struct resp_limits limits;
    char        *buffer;            /* query buffer */
    size_t       used;              /* bytes in buffer */
    size_t       capacity;          /* bytes allocated */
    size_t       start;             /* first byte of the request being parsed */
    size_t       position;          /* where parsing resumes */
    long long    multibulk_count;   /* -1 when not inside a multibulk */
    long long    bulk_length;       /* -1 when not inside a bulk */
    int          argc;              /* arguments complete so far */
    int          argv_capacity;
    const char **argv;
    size_t      *argv_length;
    size_t      *argv_offset;       /* offsets from buffer, rebased on growth */
    char        *inline_copy;       /* unquoted inline arguments */
    size_t       inline_capacity;
    char         error[160];        /* "ERR Protocol error: ..." when ERROR */
};

void  resp_parser_init(struct resp_parser *parser, const struct resp_limits *limits);
void  resp_parser_free(struct resp_parser *parser);
void  resp_limits_default(struct resp_limits *limits);

/* Returns a pointer where up to `want` more bytes may be written, growing
 * the buffer (NULL on ENOMEM); call resp_parser_commit() with how many
 * were written. */
char *resp_parser_space(struct resp_parser *parser, size_t want);
void  resp_parser_commit(struct resp_parser *parser, size_t written);
/* Copies `length` bytes in (space + commit). Returns 0, or -1 on ENOMEM. */
int   resp_parser_append(struct resp_parser *parser, const char *data, size_t length);

/* Parses the next request.  After RESP_PARSE_ERROR the parser stays in the
 * error state; parser->error holds the whole error text including the
 * "ERR " prefix ("ERR Protocol error: invalid bulk length"), so the caller
 * replies reply_error(out, parser->error) -- "-<error>\r\n" -- and closes
 * the connection once the reply is flushed. */
enum resp_parse_status resp_parser_next(struct resp_parser *parser,
                                        struct resp_request *request);

/* Drops the bytes of every request already returned. */
void  resp_parser_compact(struct resp_parser *parser);

/* Bytes buffered that do not belong to a returned request. */
size_t resp_parser_pending(const struct resp_parser *parser);
/* Frees the query buffer when it holds nothing (call after
 * resp_parser_compact()); the next resp_parser_space() allocates one
 * again.  For a program with many connections that are mostly idle: the
 * buffers then go back to the allocator after every read and are reused
 * by whichever connection reads next. */
void   resp_parser_release_buffer(struct resp_parser *parser);

#endif
