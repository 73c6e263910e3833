#include "config.h"
#include "tools/common/xvlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

static bool to_syslog;
static const char *say_ident = "xl-vgpu";

void xv_set_ident(const char *name)
{
    say_ident = name;
}

void xv_log_to_syslog(const char *ident)
{
    openlog(ident, LOG_PID, LOG_DAEMON);
    to_syslog = true;
}

void xv_say(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (to_syslog) {
        char stamp[32] = "";
        time_t now = time(NULL);
        struct tm tm;
        if (localtime_r(&now, &tm))
            strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S ", &tm);
        fprintf(stderr, "%s%s: %s\n", stamp, say_ident, msg);
        syslog(LOG_NOTICE, "%s", msg);
    } else {
        fprintf(stderr, "%s: %s\n", say_ident, msg);
    }
    fflush(stderr);
}
