/* Logging: one line per event on stderr, with a level and (for guest-caused
 * events) a rate limit so a hostile guest cannot flood dom0's logs. */
#ifndef XENGVT_COMMON_LOG_H
#define XENGVT_COMMON_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOGL_ERROR = 0, LOGL_WARN, LOGL_INFO, LOGL_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Accepts "error", "warn", "info", "debug"; returns 0 or -EINVAL. */
int log_parse_level(const char *name, enum log_level *out);
/* A prefix put on every line, e.g. "dom5"; copied. */
void log_set_prefix(const char *prefix);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOGL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOGL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOGL_INFO, __VA_ARGS__)
#define log_debug(...)                                                        \
    do {                                                                      \
        if (log_get_level() >= LOGL_DEBUG)                                    \
            log_msg(LOGL_DEBUG, __VA_ARGS__);                                 \
    } while (0)

/* Token bucket: at most `burst` lines, refilled at `per_sec` lines a second.
 * Suppressed lines are counted and reported with the next line let through. */
struct log_ratelimit {
    unsigned burst;
    unsigned per_sec;
    double tokens;
    uint64_t last_ns;
    uint64_t suppressed;
};
#define LOG_RATELIMIT_INIT { .burst = 20, .per_sec = 5, .tokens = 20 }

/* Guest-caused problem: warn level, rate limited per call site. */
#define log_guest(...)                                                        \
    do {                                                                      \
        static struct log_ratelimit rl_ = LOG_RATELIMIT_INIT;                 \
        log_ratelimited(&rl_, __VA_ARGS__);                                   \
    } while (0)

void log_ratelimited(struct log_ratelimit *rl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Counter of guest-caused warnings (suppressed or not), for stats. */
uint64_t log_guest_warnings(void);

uint64_t clock_now_ns(void);

#endif
