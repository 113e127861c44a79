/*
 * arguments.h — splitting a line into arguments with Redis's quoting rules.
 *
 * One implementation for inline commands and config-file lines: words are
 * separated by blanks; "double quotes" accept \n \r \t \b \a \\ \" and \xHH;
 * 'single quotes' accept \' only.  A closing quote must be followed by a
 * blank or the end of the line.
 */
#ifndef HERD_ARGUMENTS_H
#define HERD_ARGUMENTS_H

#include <stddef.h>

/* A growable list of arguments; each is a malloc'd, NUL-terminated copy
 * (binary bytes are kept; length holds the true size). */
struct argument_list {
    int     count;
    int     capacity;
    char  **value;
    size_t *length;
};

/* Splits line[0..length).  Returns 0, or -1 on unbalanced quotes (the list
 * is left empty).  The list must be freed with argument_list_free(). */
int  split_arguments(const char *line, size_t length, struct argument_list *out);
void argument_list_free(struct argument_list *list);

/* Writes the decoded bytes of the line into out (which needs `length` bytes)
 * and records, for each argument, its start and length in argv/argv_length
 * (up to max_arguments).  Returns the argument count, -1 on unbalanced
 * quotes, -2 when there are more than max_arguments.  Used by the inline
 * request parser so it needs no allocation per request. */
int  split_arguments_into(const char *line, size_t length, char *out,
                          const char **argv, size_t *argv_length,
                          int max_arguments);

#endif
