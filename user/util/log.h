/* user/util/log.h: messages on stderr, one line each, prefixed "memleakbpf: ".
 *
 * log_error and log_warn always print; log_note (things a user should know,
 * e.g. a traced pid exited) unless -q; log_info only with -v; log_debug
 * with -vv (and libbpf's own debug output).
 */
#ifndef LOG_H
#define LOG_H

extern int log_verbosity;	/* 0 default, <0 quiet, >0 verbose */

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Route libbpf's messages through the same verbosity levels. */
void log_setup_libbpf(void);

#endif /* LOG_H */
