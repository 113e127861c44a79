/*
 * arguments.c — Redis's quoting rules for inline commands and config lines.
 *
 * The rules, as redis-server 7.0 applies them to inline requests:
 *  - arguments are separated by blanks (space, \t, \n, \v, \f, \r); an
 *    unquoted word ends at a space, \t, \n or \r (so \v and \f inside a
 *    word are kept);
 *  - a quote may open anywhere in a word: ab"c d" is the one argument
 *    "abc d"; the closing quote must be followed by a blank or the end of
 *    the line, else the line is refused;
 *  - inside "double quotes": \n \r \t \b \a, \xHH (two hex digits), and a
 *    backslash before any other byte stands for that byte;
 *  - inside 'single quotes': only \' is an escape;
 *  - a quote left open is refused.
 * Unlike Redis, which treats the line as a C string, a NUL byte is an
 * ordinary byte here: the length is explicit.
 *
 * One tokenizer (next_argument) serves both entry points.  It writes the
 * decoded bytes to `out`; decoding never makes an argument longer than its
 * source, so `length` bytes of output always suffice.
 */
#include <stdlib.h>
#include <string.h>

#include "shared/arguments.h"

/* What next_argument() found. */
enum token_status {
    TOKEN_FOUND,        /* one argument decoded */
    TOKEN_END,          /* only blanks were left */
    TOKEN_UNBALANCED    /* open quote, or a closing quote not followed by a blank */
};

/* Blanks skipped between arguments (isspace() in the C locale). */
static int
is_blank(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Bytes that end an unquoted word. */
static int
ends_word(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The value of a hex digit, or -1. */
static int
hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* The byte a backslash escape stands for inside double quotes. */
static char
escaped_byte(char c)
{
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'b':
        return '\b';
    case 'a':
        return '\a';
    default:
        return c;
    }
}

/* 1 when the byte after a closing quote at `i` allows the quote to close. */
static int
quote_may_close(const char *line, size_t length, size_t i)
{
    return i + 1 == length || is_blank(line[i + 1]);
}

/*
 * Decodes a double-quoted part starting after the opening quote at *i.
 * On success *i is on the closing quote.  Returns 0, or -1 when unbalanced.
 */
static int
decode_double_quoted(const char *line, size_t length, size_t *i,
                     char *out, size_t *written)
{
    size_t p = *i;

    for (; p < length; p++) {
        if (line[p] == '\\' && p + 3 < length && line[p + 1] == 'x' &&
            hex_value(line[p + 2]) >= 0 && hex_value(line[p + 3]) >= 0) {
            out[(*written)++] = (char)(hex_value(line[p + 2]) * 16 +
                                       hex_value(line[p + 3]));
            p += 3;
        } else if (line[p] == '\\' && p + 1 < length) {
            p++;
            out[(*written)++] = escaped_byte(line[p]);
        } else if (line[p] == '"') {
            *i = p;
            return quote_may_close(line, length, p) ? 0 : -1;
        } else {
            out[(*written)++] = line[p];
        }
    }
    return -1;
}

/* The same for a single-quoted part, where only \' is an escape. */
static int
decode_single_quoted(const char *line, size_t length, size_t *i,
                     char *out, size_t *written)
{
    size_t p = *i;

    for (; p < length; p++) {
        if (line[p] == '\\' && p + 1 < length && line[p + 1] == '\'') {
            p++;
            out[(*written)++] = '\'';
        } else if (line[p] == '\'') {
            *i = p;
            return quote_may_close(line, length, p) ? 0 : -1;
        } else {
            out[(*written)++] = line[p];
        }
    }
    return -1;
}

/*
 * Decodes the next argument of line[*position..length) into out, storing
 * its length.  Advances *position past it.
 */
static enum token_status
next_argument(const char *line, size_t length, size_t *position,
              char *out, size_t *out_length)
{
    size_t i = *position;
    size_t written = 0;

    while (i < length && is_blank(line[i])) {
        i++;
    }
    if (i == length) {
        *position = i;
        return TOKEN_END;
    }
    while (i < length && !ends_word(line[i])) {
        int quoted = line[i] == '"' || line[i] == '\'';

        if (line[i] == '"') {
            i++;
            if (decode_double_quoted(line, length, &i, out, &written) < 0) {
                return TOKEN_UNBALANCED;
            }
        } else if (line[i] == '\'') {
            i++;
            if (decode_single_quoted(line, length, &i, out, &written) < 0) {
                return TOKEN_UNBALANCED;
            }
        } else {
            out[written++] = line[i];
        }
        i++;
        if (quoted) {
            /* A closing quote ends the argument (a blank follows it). */
            break;
        }
    }
    *position = i;
    *out_length = written;
    return TOKEN_FOUND;
}

int
split_arguments_into(const char *line, size_t length, char *out,
                     const char **argv, size_t *argv_length,
                     int max_arguments)
{
    size_t position = 0, used = 0, argument_length = 0;
    int count = 0;

    for (;;) {
        enum token_status status = next_argument(line, length, &position,
                                                 out + used, &argument_length);

        if (status == TOKEN_END) {
            return count;
        }
        if (status == TOKEN_UNBALANCED) {
            return -1;
        }
        if (count == max_arguments) {
            return -2;
        }
        argv[count] = out + used;
        argv_length[count] = argument_length;
        count++;
        used += argument_length;
    }
}

/* Appends a NUL-terminated copy of value[0..length).  Returns 0 or -1. */
static int
argument_list_push(struct argument_list *list, const char *value, size_t length)
{
    char *copy;

    if (list->count == list->capacity) {
        int capacity = list->capacity == 0 ? 8 : list->capacity * 2;
        char **values;
        size_t *lengths;

        values = realloc(list->value, sizeof(*values) * (size_t)capacity);
        if (values == NULL) {
            return -1;
        }
        list->value = values;
        lengths = realloc(list->length, sizeof(*lengths) * (size_t)capacity);
        if (lengths == NULL) {
            return -1;
        }
        list->length = lengths;
        list->capacity = capacity;
    }
    copy = malloc(length + 1);
    if (copy == NULL) {
        return -1;
    }
    memcpy(copy, value, length);
    copy[length] = '\0';
    list->value[list->count] = copy;
    list->length[list->count] = length;
    list->count++;
    return 0;
}

/*
 * `out` is initialised here (any previous content is not freed).  Returns
 * 0, or -1 on unbalanced quotes or ENOMEM, with the list left empty.
 */
int
split_arguments(const char *line, size_t length, struct argument_list *out)
{
    size_t position = 0, argument_length = 0;
    char *scratch;
    int result = -1;

    memset(out, 0, sizeof(*out));
    scratch = malloc(length + 1);
    if (scratch == NULL) {
        return -1;
    }
    for (;;) {
        enum token_status status = next_argument(line, length, &position,
                                                 scratch, &argument_length);

        if (status == TOKEN_END) {
            result = 0;
            goto out;
        }
        if (status == TOKEN_UNBALANCED ||
            argument_list_push(out, scratch, argument_length) < 0) {
            goto out;
        }
    }
out:
    free(scratch);
    if (result < 0) {
        argument_list_free(out);
    }
    return result;
}

void
argument_list_free(struct argument_list *list)
{
    int i;

    for (i = 0; i < list->count; i++) {
        free(list->value[i]);
    }
    free(list->value);
    free(list->length);
    memset(list, 0, sizeof(*list));
}
