/*
 * fuzz_arguments.c — libFuzzer target for Redis's quoting rules
 * (shared/arguments.c), used for inline requests and config lines.
 *
 * Input layout:
 *   byte 0    below 128: max_arguments for split_arguments_into() is
 *             byte 0 % 8 (exercises its -2 answer); from 128 on: enough
 *             for any line
 *   rest      the line
 *
 * Checked:
 *  - split_arguments() and split_arguments_into() agree: the same answer
 *    (unbalanced or not), the same arguments, and -2 exactly when there
 *    are more arguments than max_arguments;
 *  - split_arguments_into() writes inside its `length`-byte output, its
 *    arguments lie there back to back, and split_arguments()'s copies
 *    are NUL-terminated;
 *  - a line without quotes splits the plain way: blanks between words
 *    (space, \t, \n, \v, \f, \r), a word ends at space, \t, \n or \r;
 *  - any argument list written back with "\xHH" escapes splits into the
 *    same list again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/arguments.h"
#include "tests/fuzz/fuzz_util.h"

/* The arguments of one split, pointing into someone else's memory. */
struct split {
    int          count;         /* -1: unbalanced quotes */
    const char **value;
    size_t      *length;
};

/* Splits with split_arguments_into() into an output of exactly `length`
 * bytes (ASan catches a write past it). */
static int
split_into(const char *line, size_t length, int max_arguments, char **out,
           struct split *split)
{
    size_t slots = max_arguments > 0 ? (size_t)max_arguments : 1;
    int count, i;

    *out = malloc(length > 0 ? length : 1);
    split->value = malloc(slots * sizeof(*split->value));
    split->length = malloc(slots * sizeof(*split->length));
    FUZZ_CHECK(*out != NULL && split->value != NULL && split->length != NULL,
               "out of memory");
    count = split_arguments_into(line, length, *out, split->value, split->length,
                                 max_arguments);
    FUZZ_CHECK(count >= -2 && count <= max_arguments, "count %d for max %d",
               count, max_arguments);
    split->count = count;
    if (count > 0) {
        /* Arguments are written back to back from the start of out. */
        const char *expected = *out;

        for (i = 0; i < count; i++) {
            FUZZ_CHECK(split->value[i] == expected, "argument %d not where expected", i);
            expected += split->length[i];
        }
        FUZZ_CHECK((size_t)(expected - *out) <= length,
                   "decoded %zu bytes from a %zu-byte line",
                   (size_t)(expected - *out), length);
    }
    return count;
}

/* Frees what split_into() allocated. */
static void
split_free(char *out, struct split *split)
{
    free(out);
    free(split->value);
    free(split->length);
}

/* Compares the first `count` arguments of a split with a list. */
static void
check_same(const struct split *split, const struct argument_list *list, int count,
           const char *what)
{
    int i;

    for (i = 0; i < count; i++) {
        FUZZ_CHECK(split->length[i] == list->length[i] &&
                   memcmp(split->value[i], list->value[i], list->length[i]) == 0,
                   "%s: argument %d differs", what, i);
    }
}

/* Blanks skipped between words, and the bytes that end a word. */
static int
plain_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int
plain_word_end(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* For a line without quotes: the plain word split must be the answer. */
static void
check_plain_line(const char *line, size_t length, const struct argument_list *list)
{
    size_t i = 0, start;
    int count = 0;

    if (memchr(line, '"', length) != NULL || memchr(line, '\'', length) != NULL) {
        return;
    }
    for (;;) {
        while (i < length && plain_blank(line[i])) {
            i++;
        }
        if (i == length) {
            break;
        }
        start = i;
        while (i < length && !plain_word_end(line[i])) {
            i++;
        }
        FUZZ_CHECK(count < list->count, "plain line: more words than arguments");
        FUZZ_CHECK(list->length[count] == i - start &&
                   memcmp(list->value[count], line + start, i - start) == 0,
                   "plain line: word %d differs", count);
        count++;
    }
    FUZZ_CHECK(count == list->count, "plain line: %d words, %d arguments", count,
               list->count);
}

/* Writes every argument as "\xHH..." separated by spaces and checks that
 * the line splits back into the same arguments. */
static void
check_round_trip(const struct argument_list *list)
{
    static const char hex[] = "0123456789abcdef";
    struct argument_list again;
    size_t size = 1, used = 0, j;
    char *line;
    int i;

    for (i = 0; i < list->count; i++) {
        size += list->length[i] * 4 + 3;
    }
    line = malloc(size);
    FUZZ_CHECK(line != NULL, "out of memory");
    for (i = 0; i < list->count; i++) {
        line[used++] = '"';
        for (j = 0; j < list->length[i]; j++) {
            unsigned char c = (unsigned char)list->value[i][j];

            line[used++] = '\\';
            line[used++] = 'x';
            line[used++] = hex[c >> 4];
            line[used++] = hex[c & 15];
        }
        line[used++] = '"';
        line[used++] = ' ';
    }
    FUZZ_CHECK(split_arguments(line, used, &again) == 0, "escaped line is unbalanced");
    FUZZ_CHECK(again.count == list->count, "escaped line: %d arguments, expected %d",
               again.count, list->count);
    for (i = 0; i < list->count; i++) {
        FUZZ_CHECK(again.length[i] == list->length[i] &&
                   memcmp(again.value[i], list->value[i], list->length[i]) == 0,
                   "escaped line: argument %d differs", i);
    }
    argument_list_free(&again);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct argument_list list;
    struct split full, limited;
    char *full_out, *limited_out;
    const char *line;
    size_t length;
    int listed, max_arguments, i;

    if (size < 1) {
        return 0;
    }
    line = (const char *)data + 1;
    length = size - 1;
    /* A line of n bytes holds at most n arguments. */
    max_arguments = data[0] < 128 ? data[0] % 8 : (int)length + 1;

    listed = split_arguments(line, length, &list);
    FUZZ_CHECK(listed == 0 || listed == -1, "split_arguments returned %d", listed);
    if (listed == -1) {
        FUZZ_CHECK(list.count == 0 && list.value == NULL, "list not empty after failure");
    }
    for (i = 0; i < list.count; i++) {
        FUZZ_CHECK(list.value[i][list.length[i]] == '\0', "argument %d not terminated", i);
    }

    split_into(line, length, (int)length + 1, &full_out, &full);
    FUZZ_CHECK(full.count != -2, "-2 with room for every argument");
    FUZZ_CHECK((listed == -1) == (full.count == -1),
               "split_arguments says %d, split_arguments_into says %d", listed, full.count);
    if (listed == 0) {
        FUZZ_CHECK(full.count == list.count, "%d arguments vs %d", list.count, full.count);
        check_same(&full, &list, list.count, "split_arguments_into");
        check_plain_line(line, length, &list);
        check_round_trip(&list);
    }

    split_into(line, length, max_arguments, &limited_out, &limited);
    if (full.count >= 0) {
        if (full.count > max_arguments) {
            FUZZ_CHECK(limited.count == -2, "%d arguments, max %d, got %d", full.count,
                       max_arguments, limited.count);
        } else {
            FUZZ_CHECK(limited.count == full.count, "%d arguments, max %d, got %d",
                       full.count, max_arguments, limited.count);
            check_same(&limited, &list, limited.count, "limited split");
        }
    } else {
        /* Unbalanced somewhere: refused, or too many arguments before it. */
        FUZZ_CHECK(limited.count == -1 || limited.count == -2,
                   "unbalanced line gave %d", limited.count);
    }

    split_free(full_out, &full);
    split_free(limited_out, &limited);
    argument_list_free(&list);
    return 0;
}
