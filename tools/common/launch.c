/* xengvtd processes as both launchers run them: started detached, waited
 * for until their control socket answers, stopped. */
#include "config.h"
#include "tools/common/launch.h"
#include "tools/common/ctl_client.h"
#include "tools/common/reply.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef XENGVT_SBINDIR
#define XENGVT_SBINDIR "/usr/local/sbin"
#endif

const char *launch_run_dir(void)
{
    const char *d = getenv("XENGVT_RUN_DIR");
    return d && d[0] == '/' ? d : "/run/xengvt";
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void launch_unblock_signals(void)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

int launch_daemon_args(const struct launch_spec *s, const char **argv, unsigned max,
                       char *buf, size_t buf_len)
{
    /* Ours: at most 11 with the NULL; the entry's fill what is left. */
    if (max < 12)
        return -E2BIG;
    int w = snprintf(buf, buf_len, "%ld", s->domid);
    if (w < 0 || (size_t)w + 1 > buf_len)
        return -E2BIG;
    const char *domid = buf;
    char *adopt = buf + w + 1;
    size_t used = (size_t)w + 1;
    unsigned n = 0;
    argv[n++] = "xengvtd";
    argv[n++] = "--domid";
    argv[n++] = domid;
    argv[n++] = "--control";
    argv[n++] = s->control;
    /* xl-vgpu's daemons keep their registers in a file that outlives
     * them: a successor takes them, newer than any checkpoint. */
    if (s->live_state) {
        argv[n++] = "--live-state";
        argv[n++] = s->live_state;
    }
    if (s->restore) {
        argv[n++] = "--restore";
        argv[n++] = s->restore;
    }
    if (s->adopt_server >= 0) {
        w = snprintf(adopt, buf_len - used, "%d", s->adopt_server);
        if (w < 0 || (size_t)w + 1 > buf_len - used)
            return -E2BIG;
        used += (size_t)w + 1;
        argv[n++] = "--adopt-server";
        argv[n++] = adopt;
    }
    int rc = vgpu_entry_args(s->entry, argv + n, max - n, buf + used, buf_len - used);
    return rc < 0 ? rc : (int)n + rc;
}

pid_t launch_daemon(const char *const *argv, const char *log_path)
{
    const char *daemon = getenv("XENGVTD");
    if (!daemon || !daemon[0])
        daemon = XENGVT_SBINDIR "/xengvtd";
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* Its own session: the daemon outlives xl-vgpu and its terminal. */
    setsid();
    launch_unblock_signals();
    /* An ignored SIGPIPE (xengvt-vgpu ignores it) would survive exec too. */
    signal(SIGPIPE, SIG_DFL);
    int null = open("/dev/null", O_RDONLY);
    int log = log_path ? open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640) : -1;
    if (null >= 0)
        dup2(null, 0);
    if (log >= 0) {
        dup2(log, 1);
        dup2(log, 2);
    }
    const char *args[64];
    unsigned n = 0;
    args[n++] = daemon;
    for (const char *const *a = argv + 1; *a && n < 63; a++)
        args[n++] = *a;
    args[n] = NULL;
    execv(daemon, (char *const *)args);
    fprintf(stderr, "xl-vgpu: cannot run %s: %s\n", daemon, strerror(errno));
    _exit(127);
}

bool launch_alive(pid_t pid)
{
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid)
        return false; /* our child, and it ended */
    return kill(pid, 0) == 0 || errno == EPERM;
}

int launch_wait_ready(pid_t pid, const char *sock, int timeout_ms, int *status)
{
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            *status = st;
            return -ESRCH;
        }
        char line[512];
        struct daemon_reply reply;
        if (ctl_request(sock, "{\"cmd\":\"status\"}", 2000, 0, line, sizeof(line),
                                   &reply, NULL, NULL) == 0 && reply.ok)
            return 0;
        if (now_ms() > deadline)
            return -ETIMEDOUT;
        usleep(50 * 1000);
    }
}

void launch_stop(pid_t pid, int timeout_ms)
{
    if (pid <= 0 || !launch_alive(pid))
        return;
    kill(pid, SIGTERM);
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    while (launch_alive(pid) && now_ms() < deadline)
        usleep(20 * 1000);
    if (launch_alive(pid)) {
        kill(pid, SIGKILL);
        for (int i = 0; i < 50 && launch_alive(pid); i++)
            usleep(20 * 1000);
    }
}

/* The last line of a daemon's log for our messages (the admin's terminal,
 * syslog): the daemon writes that file, so control characters (terminal
 * escapes, fake line breaks) are shown as '?'. */
void launch_log_tail(const char *log_path, char *out, size_t cap)
{
    out[0] = 0;
    FILE *f = fopen(log_path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f))
        if (strstr(line, "error") || strstr(line, "warn") || !out[0])
            snprintf(out, cap, "%s", line);
    fclose(f);
    out[strcspn(out, "\n")] = 0;
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
}
