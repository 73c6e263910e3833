#include "config.h"
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Process-wide logging configuration is the one deliberate exception to
 * "no mutable globals": it is set once from the command line. */
static enum log_level current_level = LOGL_INFO;
static char line_prefix[32] = "xengvtd";
static uint64_t guest_warnings;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level level) { current_level = level; }
enum log_level log_get_level(void) { return current_level; }

void log_set_prefix(const char *prefix)
{
    snprintf(line_prefix, sizeof(line_prefix), "%s", prefix);
}

int log_parse_level(const char *name, enum log_level *out)
{
    for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

uint64_t clock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void vlog(enum log_level level, const char *fmt, va_list ap)
{
    char buf[1024];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n < 0)
        return;
    /* One fprintf per line keeps lines whole when stderr is shared. */
    fprintf(stderr, "%s: %s: %s\n", line_prefix, level_names[level], buf);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level > current_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, fmt, ap);
    va_end(ap);
}

void log_ratelimited(struct log_ratelimit *rl, const char *fmt, ...)
{
    guest_warnings++;
    uint64_t now = clock_now_ns();
    if (rl->last_ns) {
        rl->tokens += (double)(now - rl->last_ns) * rl->per_sec / 1e9;
        if (rl->tokens > rl->burst)
            rl->tokens = rl->burst;
    }
    rl->last_ns = now;
    if (rl->tokens < 1.0) {
        rl->suppressed++;
        return;
    }
    rl->tokens -= 1.0;
    if (LOGL_WARN > current_level)
        return;
    if (rl->suppressed) {
        log_msg(LOGL_WARN, "(%llu similar messages suppressed)",
                (unsigned long long)rl->suppressed);
        rl->suppressed = 0;
    }
    va_list ap;
    va_start(ap, fmt);
    vlog(LOGL_WARN, fmt, ap);
    va_end(ap);
}

uint64_t log_guest_warnings(void) { return guest_warnings; }
