#include "config.h"
#include "launch.h"
#include "reply.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
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

/* A supervisor blocks the signals it reads from a signalfd; what it
 * starts must not inherit that (a daemon deaf to SIGTERM). */
static void unblock_signals(void)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

int launch_xl(char *out, size_t out_len, const char *const *args)
{
    const char *xl = getenv("XL");
    if (!xl || !xl[0])
        xl = "xl";
    const char *argv[32];
    unsigned n = 0;
    argv[n++] = xl;
    for (const char *const *a = args; *a && n < 31; a++)
        argv[n++] = *a;
    argv[n] = NULL;
    int pipefd[2] = { -1, -1 };
    if (out && pipe2(pipefd, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        unblock_signals();
        if (out)
            dup2(pipefd[1], 1);
        execvp(xl, (char *const *)argv);
        fprintf(stderr, "xl-vgpu: cannot run %s: %s\n", xl, strerror(errno));
        _exit(127);
    }
    if (out) {
        close(pipefd[1]);
        size_t got = 0;
        ssize_t r;
        while ((r = read(pipefd[0], out + got, out_len - 1 - got)) > 0 && got + 1 < out_len)
            got += (size_t)r;
        out[got] = 0;
        char sink[256];
        while (read(pipefd[0], sink, sizeof(sink)) > 0)
            ; /* drain: xl must not block on a full pipe */
        close(pipefd[0]);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

long launch_domid(const char *dom)
{
    char *end;
    long v = strtol(dom, &end, 10);
    if (*dom && !*end && v > 0 && v < 0x7ff0)
        return v;
    char out[64];
    const char *args[] = { "domid", dom, NULL };
    if (launch_xl(out, sizeof(out), args) != 0)
        return -1;
    v = strtol(out, &end, 10);
    return end != out && (*end == '\n' || !*end) && v > 0 && v < 0x7ff0 ? v : -1;
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
    unblock_signals();
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
        if (launch_control_bounded(sock, "{\"cmd\":\"status\"}", 2000, 0, line, sizeof(line),
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

int launch_control(const char *sock, const char *request, char *line, size_t cap,
                   uint8_t **payload, size_t *payload_len)
{
    return launch_control_within(sock, request, 60000, line, cap, payload, payload_len);
}

int launch_control_within(const char *sock, const char *request, int timeout_ms, char *line,
                          size_t cap, uint8_t **payload, size_t *payload_len)
{
    struct daemon_reply reply;
    return launch_control_bounded(sock, request, timeout_ms, LAUNCH_PAYLOAD_MAX, line, cap,
                                  &reply, payload, payload_len);
}

int launch_control_bounded(const char *sock, const char *request, int timeout_ms,
                           size_t max_payload, char *line, size_t cap,
                           struct daemon_reply *reply, uint8_t **payload, size_t *payload_len)
{
    uint64_t deadline = reply_now_ms() + (uint64_t)timeout_ms;
    line[0] = 0;
    memset(reply, 0, sizeof(*reply));
    if (payload) {
        *payload = NULL;
        *payload_len = 0;
    }
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(sock) >= sizeof(addr.sun_path))
        return -ENAMETOOLONG;
    strcpy(addr.sun_path, sock);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    /* A daemon that does not read blocks our write at most this long. */
    struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int rc = 0;
    size_t len = strlen(request);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        rc = -errno;
    else if (write(fd, request, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
        rc = -EPIPE;
    else
        rc = reply_read(fd, deadline, line, cap, max_payload, reply, payload, payload_len);
    close(fd);
    /* The line may end up in messages: no terminal escapes from it. */
    for (char *c = line; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return rc;
}

int launch_control_ok(const char *sock, const char *request, char *line, size_t cap,
                      uint8_t **payload, size_t *payload_len)
{
    struct daemon_reply reply;
    int rc = launch_control_bounded(sock, request, 60000, LAUNCH_PAYLOAD_MAX, line, cap, &reply,
                                    payload, payload_len);
    if (rc == 0 && !reply.ok) {
        if (payload) {
            free(*payload);
            *payload = NULL;
            *payload_len = 0;
        }
        rc = -EPROTO;
    }
    return rc;
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
