/*
 * log.c — leveled logging to stderr or a file, one line per event:
 *
 *     4242:N 21 Nov 2025 09:53:12.345 * Ready to accept connections
 *
 * that is "pid:role day month year time.milliseconds level message", the
 * layout of Redis's log.  The role is 'N' for herd-node and 'P' for
 * herd-proxy; the level character is '.' debug, '-' verbose, '*' notice and
 * '#' warning.
 *
 * Each line is formatted into a local buffer and handed to the kernel with
 * a single write() on an O_APPEND descriptor, so nothing waits in a user
 * space buffer when the process crashes, and lines written by another
 * thread (the background fsync thread) never interleave within a line.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "shared/log.h"

/* Longest line written; longer messages are cut and end in "...". */
#define LOG_LINE_MAX 4096

/*
 * The process's logger: the one piece of global state outside the
 * programs' context structs (see log.h).  The level is read and written
 * with atomic builtins because any thread may log.
 */
struct logger {
    int            fd;         /* STDERR_FILENO or an opened file */
    int            level;      /* enum log_level; lower levels are dropped */
    char           role;       /* 'N', 'P' or the program's initial */
};

static struct logger logger = { STDERR_FILENO, LOG_NOTICE, '-' };

/* Level names as redis.conf's `loglevel` spells them, by enum value. */
static const char *const level_names[] = { "debug", "verbose", "notice", "warning" };
/* Level characters of a log line, by enum value. */
static const char level_characters[] = { '.', '-', '*', '#' };

/* The role character of a program name: "herd-node" 'N', "herd-proxy" 'P'. */
static char
role_of_program(const char *program)
{
    const char *base;

    if (program == NULL || program[0] == '\0') {
        return '-';
    }
    base = strrchr(program, '/');
    base = (base == NULL) ? program : base + 1;
    if (strstr(base, "proxy") != NULL) {
        return 'P';
    }
    if (strstr(base, "node") != NULL) {
        return 'N';
    }
    return (char)toupper((unsigned char)base[0]);
}

int
log_open(const char *path, enum log_level level, const char *program)
{
    int fd = STDERR_FILENO;

    if (path != NULL && path[0] != '\0') {
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            return -1;
        }
    }
    log_close();
    logger.fd = fd;
    logger.role = role_of_program(program);
    log_set_level(level);
    return 0;
}

void
log_close(void)
{
    if (logger.fd != STDERR_FILENO) {
        close(logger.fd);
    }
    logger.fd = STDERR_FILENO;
}

void
log_set_level(enum log_level level)
{
    __atomic_store_n(&logger.level, (int)level, __ATOMIC_RELAXED);
}

int
log_level_from_name(const char *name, enum log_level *level)
{
    size_t i;

    for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            *level = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

int
log_enabled(enum log_level level)
{
    return (int)level >= __atomic_load_n(&logger.level, __ATOMIC_RELAXED);
}

/* Writes "pid:role DD Mon YYYY HH:MM:SS.mmm c " into buffer; returns its
 * length. */
static size_t
format_prefix(char *buffer, size_t size, enum log_level level)
{
    struct timespec now;
    struct tm local;
    size_t length;
    int written;

    clock_gettime(CLOCK_REALTIME, &now);
    localtime_r(&now.tv_sec, &local);
    written = snprintf(buffer, size, "%d:%c ", (int)getpid(), logger.role);
    length = (written > 0) ? (size_t)written : 0;
    length += strftime(buffer + length, size - length, "%d %b %Y %H:%M:%S", &local);
    written = snprintf(buffer + length, size - length, ".%03d %c ",
                       (int)(now.tv_nsec / 1000000), level_characters[level]);
    length += (written > 0) ? (size_t)written : 0;
    return length;
}

/* Hands the whole line to the kernel, retrying after signals and short
 * writes.  Logging has nowhere to report its own failure, so it has none. */
static void
write_line(int fd, const char *line, size_t length)
{
    ssize_t written;

    while (length > 0) {
        written = write(fd, line, length);
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        line += written;
        length -= (size_t)written;
    }
}

void
log_write(enum log_level level, const char *file, int line,
          const char *format, ...)
{
    char buffer[LOG_LINE_MAX];
    size_t length, room;
    va_list arguments;
    int saved_errno = errno;
    int written;

    if (level < LOG_DEBUG || level > LOG_WARNING || !log_enabled(level)) {
        return;
    }
    length = format_prefix(buffer, sizeof(buffer), level);
    room = sizeof(buffer) - length - 1;  /* keep one byte for the newline */
    va_start(arguments, format);
    written = vsnprintf(buffer + length, room + 1, format, arguments);
    va_end(arguments);
    if (written < 0) {
        written = 0;
    }
    if ((size_t)written > room) {
        memcpy(buffer + length + room - 3, "...", 3);
        written = (int)room;
    }
    length += (size_t)written;
    buffer[length++] = '\n';
    write_line(logger.fd, buffer, length);
    errno = saved_errno;
}
