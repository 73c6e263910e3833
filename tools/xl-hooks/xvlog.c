#include "config.h"
#include "xvlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

static bool to_syslog;

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
        fprintf(stderr, "%sxl-vgpu: %s\n", stamp, msg);
        syslog(LOG_NOTICE, "%s", msg);
    } else {
        fprintf(stderr, "xl-vgpu: %s\n", msg);
    }
    fflush(stderr);
}
