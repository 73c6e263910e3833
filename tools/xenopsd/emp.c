#include "config.h"
#include "emp.h"
#include "common/dmuser.h"
#include "common/log.h"
#include "common/peercred.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char *emp_base(void)
{
    const char *d = getenv("XENGVT_EMP_DIR");
    return d && d[0] == '/' ? d : "/var/xen/vgpu";
}

/* mkdir -p, each new level 0700 (only root talks to us). */
static int mkdirs(const char *path)
{
    char tmp[200];
    if (strlen(path) >= sizeof(tmp))
        return -ENAMETOOLONG;
    strcpy(tmp, path);
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = 0;
            if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
                return -errno;
            *p = c;
            if (!c)
                return 0;
        }
    }
}

int emp_open(struct emp *e, unsigned domid)
{
    memset(e, 0, sizeof(*e));
    e->listen_fd = e->client_fd = e->pending_fd = -1;
    snprintf(e->dir, sizeof(e->dir), "%s/%u", emp_base(), domid);
    snprintf(e->path, sizeof(e->path), "%s/control", e->dir);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(e->path) >= sizeof(addr.sun_path)) {
        log_error("EMP socket path %s is too long", e->path);
        return -ENAMETOOLONG;
    }
    int rc = mkdirs(e->dir);
    if (rc < 0) {
        log_error("cannot create %s: %s", e->dir, strerror(-rc));
        return rc;
    }
    strcpy(addr.sun_path, e->path);
    unlink(e->path); /* a socket left by an earlier helper for this domid */
    e->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (e->listen_fd < 0 || bind(e->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        chmod(e->path, 0600) < 0 || listen(e->listen_fd, 4) < 0) {
        rc = -errno;
        log_error("EMP socket %s: %s", e->path, strerror(errno));
        return rc;
    }
    struct dmuser u;
    char err[256];
    e->allowed_uid = dmuser_for_domain(domid, &u, err, sizeof(err)) == 0 ? u.uid : 0;
    log_info("EMP control socket %s", e->path);
    return 0;
}

static void say(int fd, const char *s)
{
    size_t len = strlen(s);
    /* MSG_NOSIGNAL: a client that went away is not a reason to die. */
    while (len) {
        ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_warn("EMP: answer not delivered: %s", strerror(errno));
            return;
        }
        s += n;
        len -= (size_t)n;
    }
}

static void drop_client(struct emp *e)
{
    if (e->client_fd >= 0)
        close(e->client_fd);
    e->client_fd = -1;
    e->len = 0;
}

void emp_accept(struct emp *e)
{
    int fd = accept4(e->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    /* emu-manager and xenopsd run as root: whatever the socket's mode, no
     * other local user (another guest's daemon included) gets to save,
     * restore or abort this guest. */
    int uid;
    if (!peer_is_root_or(fd, e->allowed_uid, &uid)) {
        log_warn("EMP: a client of uid %d refused (root or %u only)", uid,
                 (unsigned)e->allowed_uid);
        close(fd);
        return;
    }
    if (e->client_fd >= 0) {
        log_warn("EMP: a second client refused (one at a time)");
        say(fd, "{\"error\":\"busy: another client is connected\"}\n");
        close(fd);
        return;
    }
    e->client_fd = fd;
    e->len = 0;
    log_info("EMP: client connected");
}

int emp_receive(struct emp *e)
{
    if (e->client_fd < 0)
        return -EPIPE;
    if (e->len == sizeof(e->buf)) {
        log_warn("EMP: request longer than %d bytes: client closed", EMP_BUF);
        say(e->client_fd, "{\"error\":\"request too long\"}\n");
        drop_client(e);
        return -EPIPE;
    }
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(4 * sizeof(int))];
    } ctl;
    struct iovec iov = { e->buf + e->len, sizeof(e->buf) - e->len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
                          .msg_controllen = sizeof(ctl.space) };
    ssize_t n = recvmsg(e->client_fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n < 0) {
        log_info("EMP: client connection: %s", strerror(errno));
        drop_client(e);
        return -EPIPE;
    }
    /* Descriptors first: they are ours even if the bytes are not wanted. */
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
            if (e->pending_fd >= 0) {
                log_warn("EMP: a second file descriptor before migrate_init: the older "
                         "one is closed");
                close(e->pending_fd);
            }
            e->pending_fd = fd;
        }
    }
    if (msg.msg_flags & MSG_CTRUNC)
        log_warn("EMP: more descriptors than expected: extra ones dropped by the kernel");
    if (n <= 0) {
        log_info("EMP: client disconnected");
        drop_client(e);
        return -EPIPE;
    }
    e->len += (size_t)n;
    return 0;
}

int emp_next(struct emp *e, char *execute, size_t cap)
{
    if (e->client_fd < 0 || !e->len)
        return 0;
    size_t used = 0;
    int rc = emp_json_scan(e->buf, e->len, &used, execute, cap);
    if (rc < 0) {
        log_warn("EMP: malformed request: client closed");
        say(e->client_fd, "{\"error\":\"malformed request\"}\n");
        drop_client(e);
        return 0;
    }
    memmove(e->buf, e->buf + used, e->len - used);
    e->len -= used;
    return rc;
}

int emp_take_fd(struct emp *e)
{
    int fd = e->pending_fd;
    e->pending_fd = -1;
    return fd;
}

void emp_return(struct emp *e)
{
    if (e->client_fd >= 0)
        say(e->client_fd, "{\"return\":{}}\n");
}

void emp_error(struct emp *e, const char *fmt, ...)
{
    char msg[256], line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_warn("EMP: %s", msg);
    /* Our messages carry no quotes or backslashes, but make sure. */
    for (char *c = msg; *c; c++)
        if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
            *c = '\'';
    snprintf(line, sizeof(line), "{\"error\":\"%s\"}\n", msg);
    if (e->client_fd >= 0)
        say(e->client_fd, line);
}

void emp_event_completed(struct emp *e)
{
    if (e->client_fd >= 0)
        say(e->client_fd, "{\"event\":\"MIGRATION\",\"data\":{\"status\":\"completed\"}}\n");
}

void emp_event_progress(struct emp *e, unsigned long long sent, unsigned long long remaining,
                        unsigned iteration)
{
    char line[160];
    snprintf(line, sizeof(line),
             "{\"event\":\"MIGRATION\",\"data\":{\"sent\":%llu,\"remaining\":%llu,"
             "\"iteration\":%u}}\n", sent, remaining, iteration);
    if (e->client_fd >= 0)
        say(e->client_fd, line);
}

void emp_close(struct emp *e)
{
    drop_client(e);
    if (e->pending_fd >= 0)
        close(e->pending_fd);
    e->pending_fd = -1;
    if (e->listen_fd >= 0) {
        close(e->listen_fd);
        unlink(e->path);
        rmdir(e->dir); /* only if empty: never anyone else's files */
    }
    e->listen_fd = -1;
}
