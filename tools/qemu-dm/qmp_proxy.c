#include "config.h"
#include "qmp_proxy.h"
#include "tools/common/xvlog.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define CONN_MAX 8          /* libxl opens one at a time; a few to spare */
#define LINE_MAX_BYTES (1u << 20)
#define FDS_MAX 4           /* per line; libxl sends one (add-fd) */
#define JSON_DEPTH_MAX 32

/* --- a bounded reader for one JSON object -------------------------- */

static const char *ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

static const char *skip_string(const char *p, const char *e)
{
    for (p++; p < e; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

static const char *skip_value(const char *p, const char *e, int depth)
{
    p = ws(p, e);
    if (p >= e || depth > JSON_DEPTH_MAX)
        return NULL;
    if (*p == '"')
        return skip_string(p, e);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = ws(p + 1, e);
        if (p < e && *p == close)
            return p + 1;
        for (;;) {
            if (close == '}') {
                if (p >= e || *p != '"' || !(p = skip_string(p, e)))
                    return NULL;
                p = ws(p, e);
                if (p >= e || *p != ':')
                    return NULL;
                p++;
            }
            if (!(p = skip_value(p, e, depth + 1)))
                return NULL;
            p = ws(p, e);
            if (p < e && *p == ',') {
                p = ws(p + 1, e);
                continue;
            }
            return p < e && *p == close ? p + 1 : NULL;
        }
    }
    /* number, true, false, null */
    const char *s = p;
    while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\r' &&
           *p != '\n' && *p != '\t')
        p++;
    return p > s ? p : NULL;
}

bool qmp_member(const char *p, const char *e, const char *key, const char **val, size_t *len)
{
    p = ws(p, e);
    if (p >= e || *p != '{' || !skip_value(p, e, 0))
        return false; /* not one whole object */
    size_t klen = strlen(key);
    p = ws(p + 1, e);
    while (p < e && *p == '"') {
        const char *k = p + 1, *kend = skip_string(p, e);
        if (!kend)
            return false;
        bool match = (size_t)(kend - 1 - k) == klen && memcmp(k, key, klen) == 0;
        p = ws(kend, e);
        if (p >= e || *p != ':')
            return false;
        const char *v = ws(p + 1, e), *vend = skip_value(v, e, 1);
        if (!vend)
            return false;
        if (match) {
            *val = v;
            *len = (size_t)(vend - v);
            return true;
        }
        p = ws(vend, e);
        if (p < e && *p == ',')
            p = ws(p + 1, e);
    }
    return false;
}

/* A string member without escapes (libxl writes none in what we read). */
static bool string_member(const char *p, const char *e, const char *key, char *out, size_t cap)
{
    const char *v;
    size_t n;
    if (!qmp_member(p, e, key, &v, &n) || n < 2 || v[0] != '"' || n - 2 >= cap ||
        memchr(v, '\\', n))
        return false;
    memcpy(out, v + 1, n - 2);
    out[n - 2] = 0;
    return true;
}

/* --- one client --------------------------------------------------------- */

struct line_buf {
    char *data;
    size_t len, cap;
};

struct conn {
    int cfd, qfd;                /* libxl's side, QEMU's side */
    struct line_buf to_qemu, to_libxl;
    int fds[FDS_MAX];            /* received from libxl with the line in progress */
    unsigned nfds;
    int state_fd;                /* the last file libxl passed (add-fd) */
    bool save_pending;           /* xen-save-devices-state sent, no answer yet */
    char save_id[64];            /* its "id", as libxl wrote it */
    char save_file[256];         /* its "filename" */
    /* An answer of ours to a command QEMU never saw, for libxl: sent as
     * soon as no line of QEMU's is half passed on. */
    char injected[800];
    size_t injected_len;
};

static int buf_add(struct line_buf *b, const char *p, size_t n)
{
    if (b->len + n > LINE_MAX_BYTES)
        return -EMSGSIZE;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return -ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static void buf_drop(struct line_buf *b, size_t n)
{
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

static void conn_close(struct conn *c)
{
    close(c->cfd);
    close(c->qfd);
    for (unsigned i = 0; i < c->nfds; i++)
        close(c->fds[i]);
    if (c->state_fd >= 0)
        close(c->state_fd);
    free(c->to_qemu.data);
    free(c->to_libxl.data);
    memset(c, 0, sizeof(*c));
    c->cfd = c->qfd = c->state_fd = -1;
}

static int send_all(int fd, const char *p, size_t n, const int *fds, unsigned nfds)
{
    while (n) {
        struct iovec iov = { .iov_base = (void *)p, .iov_len = n };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        union {
            char buf[CMSG_SPACE(sizeof(int) * FDS_MAX)];
            struct cmsghdr align;
        } u;
        if (nfds) {
            msg.msg_control = u.buf;
            msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
            struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
            cm->cmsg_level = SOL_SOCKET;
            cm->cmsg_type = SCM_RIGHTS;
            cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
            memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
        }
        ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -EPIPE;
        nfds = 0; /* the descriptors went with the first bytes */
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The reason goes into a JSON string: nothing that would end it. */
static void json_safe(char *msg)
{
    for (char *m = msg; *m; m++)
        if (*m == '"' || *m == '\\' || (unsigned char)*m < 0x20)
            *m = '?';
}

/* QMP's error answer to the command whose "id" is `id` (its raw JSON
 * text; none if NULL). */
static size_t error_line(char *out, size_t cap, const char *msg, const char *id, size_t id_len)
{
    int len = id ? snprintf(out, cap,
                            "{\"error\": {\"class\": \"GenericError\", \"desc\": \"xengvt: %s\"}, "
                            "\"id\": %.*s}\r\n", msg, (int)id_len, id)
                 : snprintf(out, cap,
                            "{\"error\": {\"class\": \"GenericError\", \"desc\": \"xengvt: %s\"}}\r\n",
                            msg);
    return len < 0 ? 0 : (size_t)len < cap ? (size_t)len : cap - 1;
}

static int send_injected(struct conn *c)
{
    if (!c->injected_len || c->to_libxl.len)
        return 0;
    size_t n = c->injected_len;
    c->injected_len = 0;
    return send_all(c->cfd, c->injected, n, NULL, 0);
}

/* xen-set-global-dirty-log: the vGPUs first. True if the command goes on
 * to QEMU; false if libxl is answered here (an error). */
static bool dirty_log(struct conn *c, const char *line, const char *e, const struct qmp_hooks *h)
{
    const char *args, *v, *id = NULL;
    size_t args_len, vlen, id_len = 0;
    if (!qmp_member(line, e, "arguments", &args, &args_len) ||
        !qmp_member(args, args + args_len, "enable", &v, &vlen) ||
        !((vlen == 4 && memcmp(v, "true", 4) == 0) || (vlen == 5 && memcmp(v, "false", 5) == 0)))
        return true; /* not libxl's form: QEMU says what is wrong with it */
    bool enable = vlen == 4;
    char msg[512] = "";
    if (h->dirty_log(h->opaque, enable, msg, sizeof(msg)) == 0)
        return true;
    if (!enable) {
        /* The migration is over either way: QEMU's part still stops. A
         * daemon left on only costs a hypercall per write burst. */
        xv_say("warning: the dirty log stays on in a vGPU: %s", msg);
        return true;
    }
    json_safe(msg);
    xv_say("the migration fails: %s", msg);
    if (!qmp_member(line, e, "id", &id, &id_len) || id_len > 64)
        id = NULL;
    c->injected_len = error_line(c->injected, sizeof(c->injected), msg, id, id_len);
    return false;
}

/* A line from libxl: note what we intercept, then on to QEMU with the
 * descriptors that came with it. */
static int from_libxl_line(struct conn *c, const char *line, size_t n, const struct qmp_hooks *h)
{
    const char *e = line + n;
    char cmd[64];
    bool to_qemu = true;
    if (memmem(line, n, "\"execute\"", 9) && string_member(line, e, "execute", cmd, sizeof(cmd))) {
        if (strcmp(cmd, "xen-save-devices-state") == 0) {
            const char *id, *args;
            size_t id_len, args_len;
            c->save_pending = qmp_member(line, e, "id", &id, &id_len) &&
                              id_len < sizeof(c->save_id) &&
                              qmp_member(line, e, "arguments", &args, &args_len) &&
                              string_member(args, args + args_len, "filename", c->save_file,
                                            sizeof(c->save_file));
            if (c->save_pending) {
                memcpy(c->save_id, id, id_len);
                c->save_id[id_len] = 0;
            } else {
                xv_say("warning: a xen-save-devices-state without id or filename: the "
                       "vGPU state cannot be added to it");
            }
        } else if (strcmp(cmd, "cont") == 0) {
            h->cont(h->opaque);
        } else if (strcmp(cmd, "xen-set-global-dirty-log") == 0) {
            to_qemu = dirty_log(c, line, e, h);
        }
    }
    int rc = to_qemu ? send_all(c->qfd, line, n, c->fds, c->nfds) : send_injected(c);
    /* The last file libxl passed is where the next save goes (add-fd's
     * /dev/fdset/N); our copy of the others is not needed. */
    for (unsigned i = 0; i < c->nfds; i++) {
        if (i + 1 == c->nfds) {
            if (c->state_fd >= 0)
                close(c->state_fd);
            c->state_fd = c->fds[i];
        } else {
            close(c->fds[i]);
        }
    }
    c->nfds = 0;
    return rc;
}

/* QEMU's answer to xen-save-devices-state: the vGPUs' state joins the file
 * before libxl hears "return"; if it cannot, libxl hears an error. */
static int answer_save(struct conn *c, const char *line, size_t n, const struct qmp_hooks *h)
{
    const char *e = line + n, *v;
    size_t vlen;
    if (!qmp_member(line, e, "id", &v, &vlen) || vlen != strlen(c->save_id) ||
        memcmp(v, c->save_id, vlen) != 0)
        return send_all(c->cfd, line, n, NULL, 0); /* an event, or another answer */
    c->save_pending = false;
    if (!qmp_member(line, e, "return", &v, &vlen))
        return send_all(c->cfd, line, n, NULL, 0); /* QEMU failed: libxl hears so */
    char msg[512] = "";
    int fd = -1;
    if (strncmp(c->save_file, "/dev/fdset/", 11) == 0) {
        /* libxl opened it write-only (libxl_qmp.c:1010); we read it too:
         * the same file, opened again. */
        char self[64];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", c->state_fd);
        fd = c->state_fd >= 0 ? open(self, O_RDWR | O_CLOEXEC) : -1;
        if (fd < 0)
            snprintf(msg, sizeof(msg), "the state file libxl passed (add-fd) is not here");
    } else {
        fd = open(c->save_file, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            snprintf(msg, sizeof(msg), "%.200s: %s", c->save_file, strerror(errno));
    }
    int rc = fd >= 0 ? h->saved(h->opaque, fd, msg, sizeof(msg)) : -1;
    if (fd >= 0)
        close(fd);
    if (rc == 0)
        return send_all(c->cfd, line, n, NULL, 0);
    json_safe(msg);
    xv_say("the save fails: %s", msg);
    char err[800];
    size_t len = error_line(err, sizeof(err), msg, c->save_id, strlen(c->save_id));
    return send_all(c->cfd, err, len, NULL, 0);
}

static int pump_libxl(struct conn *c, const struct qmp_hooks *h)
{
    char data[65536];
    union {
        char buf[CMSG_SPACE(sizeof(int) * FDS_MAX)];
        struct cmsghdr align;
    } u;
    struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                          .msg_controllen = sizeof(u.buf) };
    ssize_t n = recvmsg(c->cfd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR)
        return 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        unsigned k = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (unsigned i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
            if (c->nfds < FDS_MAX)
                c->fds[c->nfds++] = fd;
            else
                close(fd);
        }
    }
    if (n <= 0)
        return -EPIPE;
    if (buf_add(&c->to_qemu, data, (size_t)n) < 0)
        return -EMSGSIZE;
    char *nl;
    while ((nl = memchr(c->to_qemu.data, '\n', c->to_qemu.len))) {
        size_t len = (size_t)(nl - c->to_qemu.data) + 1;
        int rc = from_libxl_line(c, c->to_qemu.data, len, h);
        buf_drop(&c->to_qemu, len);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int pump_qemu(struct conn *c, const struct qmp_hooks *h)
{
    char data[65536];
    ssize_t n = read(c->qfd, data, sizeof(data));
    if (n < 0 && errno == EINTR)
        return 0;
    if (n <= 0)
        return -EPIPE;
    if (!c->save_pending && c->to_libxl.len == 0 && data[n - 1] == '\n') {
        int rc = send_all(c->cfd, data, (size_t)n, NULL, 0); /* whole lines, nothing to see */
        return rc < 0 ? rc : send_injected(c);
    }
    if (buf_add(&c->to_libxl, data, (size_t)n) < 0)
        return -EMSGSIZE;
    char *nl;
    while ((nl = memchr(c->to_libxl.data, '\n', c->to_libxl.len))) {
        size_t len = (size_t)(nl - c->to_libxl.data) + 1;
        int rc = c->save_pending ? answer_save(c, c->to_libxl.data, len, h)
                                 : send_all(c->cfd, c->to_libxl.data, len, NULL, 0);
        buf_drop(&c->to_libxl, len);
        if (rc < 0)
            return rc;
    }
    return send_injected(c);
}

static int connect_qemu(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(addr.sun_path))
        return -ENAMETOOLONG;
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    /* QEMU that stops reading cannot hold libxl's other requests forever. */
    struct timeval tv = { .tv_sec = 30 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int qmp_proxy_run(int listen_fd, const char *qemu_sock, int wake_fd, const struct qmp_hooks *h)
{
    struct conn conns[CONN_MAX];
    for (unsigned i = 0; i < CONN_MAX; i++) {
        memset(&conns[i], 0, sizeof(conns[i]));
        conns[i].cfd = conns[i].qfd = conns[i].state_fd = -1;
    }
    for (;;) {
        struct pollfd pfd[2 + 2 * CONN_MAX];
        unsigned n = 0;
        pfd[n++] = (struct pollfd){ .fd = wake_fd, .events = POLLIN };
        pfd[n++] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
        for (unsigned i = 0; i < CONN_MAX; i++) {
            pfd[n++] = (struct pollfd){ .fd = conns[i].cfd, .events = POLLIN };
            pfd[n++] = (struct pollfd){ .fd = conns[i].qfd, .events = POLLIN };
        }
        if (poll(pfd, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (pfd[0].revents && h->wake(h->opaque))
            break;
        if (pfd[1].revents & POLLIN) {
            int cfd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            struct conn *c = NULL;
            for (unsigned i = 0; cfd >= 0 && i < CONN_MAX && !c; i++)
                if (conns[i].cfd < 0)
                    c = &conns[i];
            int qfd = c ? connect_qemu(qemu_sock) : -1;
            if (cfd >= 0 && qfd < 0) {
                xv_say("warning: a QMP client of libxl is turned away: %s",
                       c ? strerror(-qfd) : "too many at once");
                close(cfd);
            } else if (cfd >= 0) {
                c->cfd = cfd;
                c->qfd = qfd;
            }
        } else if (pfd[1].revents) {
            return -EIO;
        }
        for (unsigned i = 0; i < CONN_MAX; i++) {
            struct conn *c = &conns[i];
            int rc = 0;
            if (c->cfd >= 0 && pfd[2 + 2 * i].revents)
                rc = pump_libxl(c, h);
            if (rc == 0 && c->qfd >= 0 && pfd[3 + 2 * i].revents)
                rc = pump_qemu(c, h);
            if (rc < 0 && c->cfd >= 0)
                conn_close(c);
        }
    }
    for (unsigned i = 0; i < CONN_MAX; i++)
        if (conns[i].cfd >= 0)
            conn_close(&conns[i]);
    return 0;
}
