#include "config.h"
#include "common/dmuser.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int dmuser_for_domain(uint32_t domid, struct dmuser *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    if (domid == 0 || domid >= DMUSER_RANGE_SIZE) {
        snprintf(err, err_len, "domain %u has no daemon user", domid);
        return -EINVAL;
    }
    struct passwd *pw = getpwnam(DMUSER_RANGE_BASE);
    if (pw) {
        uint64_t last = (uint64_t)pw->pw_uid + DMUSER_RANGE_SIZE - 1;
        if (pw->pw_uid == 0 || last >= (uint64_t)(uid_t)-1) {
            snprintf(err, err_len, "user %s has uid %u: the range %u..%llu must not include "
                     "root nor wrap", DMUSER_RANGE_BASE, (unsigned)pw->pw_uid,
                     (unsigned)pw->pw_uid, (unsigned long long)last);
            return -ERANGE;
        }
        out->uid = pw->pw_uid + domid;
        out->gid = pw->pw_gid;
        out->per_domain = true;
        out->reaper_uid = pw->pw_uid;
        snprintf(out->name, sizeof(out->name), "%s+%u", DMUSER_RANGE_BASE, domid);
        return 0;
    }
    pw = getpwnam(DMUSER_SHARED);
    if (pw && pw->pw_uid != 0) {
        out->uid = pw->pw_uid;
        out->gid = pw->pw_gid;
        snprintf(out->name, sizeof(out->name), "%s", DMUSER_SHARED);
        return 0;
    }
    snprintf(err, err_len, "neither user %s (one uid per domain from its uid on) nor %s "
             "(one for all) exists: create one (xengvtd(8), USERS), or pass --runas",
             DMUSER_RANGE_BASE, DMUSER_SHARED);
    return -ENOENT;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Whether a process other than a zombie has `uid` as one of its uids.
 * kill(-1) keeps succeeding on a zombie until its parent reaps it (a
 * supervisor busy elsewhere, an init that waits late): that one is dead
 * already. Reads only what the kernel writes (/proc/PID/status's Uid and
 * State lines; a process name is escaped there). */
static bool live_process_of(uid_t uid)
{
    DIR *d = opendir("/proc");
    if (!d)
        return true; /* cannot tell: keep trying until the deadline */
    bool found = false;
    char self[24];
    snprintf(self, sizeof(self), "%d", (int)getpid()); /* the reaper has uid as its euid */
    struct dirent *de;
    while (!found && (de = readdir(d))) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9' || strcmp(de->d_name, self) == 0)
            continue;
        char path[64], line[160];
        snprintf(path, sizeof(path), "/proc/%.20s/status", de->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue; /* gone meanwhile */
        bool zombie = false, ours = false;
        while (fgets(line, sizeof(line), f)) {
            char state;
            unsigned r, e, sv, fs;
            if (sscanf(line, "State: %c", &state) == 1)
                zombie = state == 'Z' || state == 'X';
            else if (sscanf(line, "Uid: %u %u %u %u", &r, &e, &sv, &fs) == 4)
                ours = r == uid || e == uid || sv == uid;
        }
        fclose(f);
        found = ours && !zombie;
    }
    closedir(d);
    return found;
}

int dmuser_reap(const struct dmuser *u)
{
    if (!u->per_domain || u->uid == 0 || u->reaper_uid == 0)
        return -EINVAL;
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        /* kill(-1) reaches every process whose real or saved uid is our
         * real (the reaper's: no process has it) or effective (the
         * target's) uid, and never ourselves. The targets cannot signal
         * back: neither of their uids is one of ours. */
        if (setgroups(0, NULL) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
            setresuid(u->reaper_uid, u->uid, 0) < 0)
            _exit(2);
        uint64_t deadline = now_ms() + 2000;
        for (;;) {
            if (kill(-1, SIGKILL) < 0)
                _exit(errno == ESRCH ? 0 : 2);
            if (!live_process_of(u->uid))
                _exit(0);
            if (now_ms() > deadline)
                _exit(1);
            usleep(10 * 1000);
        }
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 2)
        return -EPERM;
    return WEXITSTATUS(status) == 0 ? 0 : -ETIMEDOUT;
}
