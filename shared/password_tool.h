/*
 * password_tool.h — the `--hash-password` mode of herd-node and
 * herd-proxy: read one password, print its hash text (shared/password.h)
 * for a configuration file.
 */
#ifndef HERD_PASSWORD_TOOL_H
#define HERD_PASSWORD_TOOL_H

#include <stdio.h>

/*
 * Reads the first line of `in` (without its newline; it may hold any bytes,
 * NUL included) as the password, hashes it with the default parameters and
 * prints the hash text and a newline on `out`.  When `in` is a terminal, it
 * prompts on `err` and turns the terminal's echo off while reading; the
 * password is never written anywhere.  An empty password, an empty input
 * or a failure gets a message starting with "PROGRAM: " on `err`.
 * Returns the exit status: 0, or 1.
 */
int password_hash_command(const char *program, FILE *in, FILE *out, FILE *err);

#endif
