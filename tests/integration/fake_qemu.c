/* A stand-in for the real QEMU in the device-model wrapper's tests
 * (itest_qemu_dm): what the wrapper execs. It records what it was given in
 * $FAKE_QEMU_LOG -- its pid, its arguments, whether the vGPU's daemon
 * already served when it started, the device state it read from
 * `-incoming fd:N` (into $FAKE_QEMU_LOG.incoming) -- and plays QEMU's QMP
 * monitor on libxl's chardev (fd=N or path=P) for the commands libxl's
 * save and restore use: qmp_capabilities, stop, cont, query-status, add-fd
 * (the descriptor arrives with SCM_RIGHTS) and xen-save-devices-state,
 * which writes a small "QEVM" stream ending with QEMU_VM_EOF as QEMU does.
 * In C rather than sh: it must receive descriptors. */
#include "config.h"
#include "qmp_proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static FILE *logf_;
static long domid = -1;
static int state_fd = -1;

static void logline(const char *fmt, const char *s)
{
    fprintf(logf_, fmt, s);
    fflush(logf_);
}

static void check_daemon(void)
{
    const char *dir = getenv("XENGVT_RUN_DIR");
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/dom%ld.sock", dir ? dir : "", domid);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    char line[512] = "";
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
        write(fd, "{\"cmd\":\"status\"}\n", 17) == 17) {
        ssize_t n = read(fd, line, sizeof(line) - 1);
        line[n > 0 ? n : 0] = 0;
    }
    if (fd >= 0)
        close(fd);
    logline("daemon: %s\n", strstr(line, "\"ok\":true") ? "serving" : "not serving");
}

static void reply(int fd, const char *body, const char *id, size_t id_len)
{
    char out[512];
    int n = snprintf(out, sizeof(out), "{\"return\": %s, \"id\": %.*s}\r\n", body, (int)id_len,
                     id);
    (void)!write(fd, out, (size_t)n);
}

static void save_state(int cfd, const char *line, size_t len, const char *id, size_t id_len)
{
    const char *args, *f;
    size_t alen, flen;
    int fd = -1;
    if (qmp_member(line, line + len, "arguments", &args, &alen) &&
        qmp_member(args, args + alen, "filename", &f, &flen) && flen > 2) {
        char path[256];
        snprintf(path, sizeof(path), "%.*s", (int)(flen - 2), f + 1);
        fd = strncmp(path, "/dev/fdset/", 11) == 0 ? dup(state_fd)
                                                   : open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    }
    const char *fail = getenv("FAKE_QEMU_SAVE_FAIL");
    if (fd < 0 || (fail && fail[0])) {
        char out[256];
        int n = snprintf(out, sizeof(out),
                         "{\"error\": {\"class\": \"GenericError\", \"desc\": \"fake: no\"}, "
                         "\"id\": %.*s}\r\n", (int)id_len, id);
        (void)!write(cfd, out, (size_t)n);
        return;
    }
    char body[128];
    int n = snprintf(body, sizeof(body), "QEVM%c%c%c%cfake-device-state-of-%ld", 0, 0, 0, 3, domid);
    body[n++] = 0; /* QEMU_VM_EOF */
    (void)!write(fd, body, (size_t)n);
    close(fd);
    /* An event on the way, as QEMU may send one. */
    const char *ev = "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}\r\n";
    (void)!write(cfd, ev, strlen(ev));
    reply(cfd, "{}", id, id_len);
}

static void serve(int cfd)
{
    const char *greet = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "
                        "\"major\": 7}, \"package\": \"\"}, \"capabilities\": []}}\r\n";
    (void)!write(cfd, greet, strlen(greet));
    char buf[65536];
    size_t have = 0;
    for (;;) {
        union {
            char b[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } u;
        struct iovec iov = { .iov_base = buf + have, .iov_len = sizeof(buf) - 1 - have };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
                              .msg_controllen = sizeof(u.b) };
        ssize_t n = recvmsg(cfd, &msg, 0);
        if (n <= 0)
            return;
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        if (cm && cm->cmsg_type == SCM_RIGHTS) {
            if (state_fd >= 0)
                close(state_fd);
            memcpy(&state_fd, CMSG_DATA(cm), sizeof(int));
        }
        have += (size_t)n;
        char *nl;
        while ((nl = memchr(buf, '\n', have))) {
            size_t len = (size_t)(nl - buf) + 1;
            const char *ex, *id = "null";
            size_t exl, idl = 4;
            qmp_member(buf, buf + len, "id", &id, &idl);
            if (qmp_member(buf, buf + len, "execute", &ex, &exl) && exl > 2) {
                char cmd[64];
                snprintf(cmd, sizeof(cmd), "%.*s", (int)(exl - 2), ex + 1);
                logline("qmp: %s\n", cmd);
                if (strcmp(cmd, "add-fd") == 0)
                    reply(cfd, state_fd >= 0 ? "{\"fdset-id\": 1, \"fd\": 10}" : "{}", id, idl);
                else if (strcmp(cmd, "xen-save-devices-state") == 0)
                    save_state(cfd, buf, len, id, idl);
                else if (strcmp(cmd, "query-status") == 0)
                    reply(cfd, "{\"status\": \"running\", \"running\": true}", id, idl);
                else
                    reply(cfd, "{}", id, idl);
            }
            memmove(buf, buf + len, have - len);
            have -= len;
        }
    }
}

int main(int argc, char **argv)
{
    const char *logpath = getenv("FAKE_QEMU_LOG");
    logf_ = fopen(logpath ? logpath : "/dev/null", "a");
    if (!logf_)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    fprintf(logf_, "pid: %d\nargv:", (int)getpid());
    for (int i = 1; i < argc; i++)
        fprintf(logf_, " %s", argv[i]);
    fprintf(logf_, "\n");
    int lfd = -1;
    for (int i = 1; i + 1 < argc; i++) {
        const char *v = argv[i + 1];
        if (strcmp(argv[i], "-xen-domid") == 0)
            domid = atol(v);
        if (strcmp(argv[i], "-incoming") == 0 && strncmp(v, "fd:", 3) == 0) {
            int fd = atoi(v + 3);
            char path[600], data[65536];
            snprintf(path, sizeof(path), "%s.incoming", logpath);
            int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            ssize_t n;
            size_t total = 0;
            while ((n = read(fd, data, sizeof(data))) > 0) {
                (void)!write(out, data, (size_t)n);
                total += (size_t)n;
            }
            close(out);
            fprintf(logf_, "incoming: %zu bytes\n", total);
        }
        if (strcmp(argv[i], "-chardev") == 0 && strstr(v, "id=libxl-cmd")) {
            const char *fd = strstr(v, "fd="), *path = strstr(v, "path=");
            if (fd) {
                lfd = atoi(fd + 3);
            } else if (path) {
                struct sockaddr_un addr = { .sun_family = AF_UNIX };
                snprintf(addr.sun_path, sizeof(addr.sun_path), "%.*s",
                         (int)strcspn(path + 5, ","), path + 5);
                lfd = socket(AF_UNIX, SOCK_STREAM, 0);
                unlink(addr.sun_path);
                if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lfd, 4) < 0)
                    lfd = -1;
            }
        }
    }
    check_daemon();
    fprintf(logf_, "qmp listener: %s\nready\n", lfd >= 0 ? "yes" : "no");
    fflush(logf_);
    for (;;) {
        int cfd = lfd >= 0 ? accept(lfd, NULL, NULL) : -1;
        if (cfd < 0) {
            pause();
            continue;
        }
        serve(cfd);
        close(cfd);
    }
}
