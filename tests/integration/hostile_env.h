/* What the hostile-daemon tests (itest_hostile.c, itest_hostile_live.c)
 * ask of the system: a domain's daemon uid, and a process's state. */
#ifndef XENGVT_ITEST_HOSTILE_ENV_H
#define XENGVT_ITEST_HOSTILE_ENV_H

#include "itest.h"

#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

/* The uid xengvtd drops to for `domid` (xengvtd(8), USERS). */
static inline uid_t domain_uid(uint32_t domid)
{
    struct passwd *pw = getpwnam("xengvt-range-base");
    assert_non_null(pw); /* scripts/setup creates it */
    return pw->pw_uid + domid;
}

/* The state letter of /proc/PID/stat (R, S, Z, ...), or 0 if gone. */
static inline char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : 0;
}

#endif
