/*
 * log.h — leveled logging to stderr or a file.
 *
 * The logger is the one piece of process-wide state outside each program's
 * server context: any function may need to log, and threading a handle
 * through every call would hide more than it shows.
 */
#ifndef HERD_LOG_H
#define HERD_LOG_H

enum log_level { LOG_DEBUG, LOG_VERBOSE, LOG_NOTICE, LOG_WARNING };

/* Opens `path` for appending ("" or NULL: stderr).  Returns 0 or -1. */
int  log_open(const char *path, enum log_level level, const char *program);
void log_close(void);
void log_set_level(enum log_level level);
int  log_level_from_name(const char *name, enum log_level *level);
int  log_enabled(enum log_level level);
void log_write(enum log_level level, const char *file, int line,
               const char *format, ...) __attribute__((format(printf, 4, 5)));

#define log_debug(...)   do { if (log_enabled(LOG_DEBUG)) log_write(LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__); } while (0)
#define log_verbose(...) do { if (log_enabled(LOG_VERBOSE)) log_write(LOG_VERBOSE, __FILE__, __LINE__, __VA_ARGS__); } while (0)
#define log_notice(...)  log_write(LOG_NOTICE, __FILE__, __LINE__, __VA_ARGS__)
#define log_warning(...) log_write(LOG_WARNING, __FILE__, __LINE__, __VA_ARGS__)

#endif
