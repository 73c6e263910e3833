/* What xl-vgpu says: on stderr for a command run by hand; for a guest's
 * supervisor, also with a timestamp in its log file and to syslog
 * (LOG_DAEMON, "xl-vgpu"), where an admin looks. */
#ifndef XENGVT_TOOLS_COMMON_XVLOG_H
#define XENGVT_TOOLS_COMMON_XVLOG_H

#include <stdbool.h>

/* From now on also to syslog, with timestamps on stderr (the supervisor's
 * stderr is its log file). */
void xv_log_to_syslog(const char *ident);
/* The name messages on stderr start with (default "xl-vgpu"): the
 * device-model wrapper shares this code and says its own. */
void xv_set_ident(const char *name);
void xv_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
