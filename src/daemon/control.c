#include "config.h"
#include "daemon/control.h"
#include "evtchn/loop.h"
#include "common/log.h"
#include "common/peercred.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define REPLY_LINE_MAX 8192

struct client {
    struct control *ctl;
    int fd;
    char in[CONTROL_MAX_LINE];
    size_t in_len;
    char *out;      /* pending answer line */
    size_t out_len, out_off;
    uint8_t *payload; /* then this, owned; not copied: frames are large */
    size_t payload_len, payload_off;
};

struct control {
    struct evt_loop *loop;
    int fd;
    char path[108];
    const struct control_command *commands;
    void *opaque;
    uid_t allowed_uid; /* besides root */
    struct client *clients[CONTROL_MAX_CLIENTS];
};

static void client_close(struct client *cl)
{
    struct control *c = cl->ctl;
    evt_loop_del_fd(c->loop, cl->fd);
    close(cl->fd);
    for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
        if (c->clients[i] == cl)
            c->clients[i] = NULL;
    free(cl->out);
    free(cl->payload);
    free(cl);
}

/* Queue the line and the payload (taken over) and start writing. */
static void client_send(struct client *cl, const char *line, size_t line_len,
                        void *payload, size_t payload_len)
{
    char *out = malloc(line_len ? line_len : 1);
    if (!out) {
        free(payload);
        client_close(cl);
        return;
    }
    memcpy(out, line, line_len);
    cl->out = out;
    cl->out_len = line_len;
    cl->out_off = 0;
    cl->payload = payload;
    cl->payload_len = payload ? payload_len : 0;
    cl->payload_off = 0;
    evt_loop_set_events(cl->ctl->loop, cl->fd, EPOLLOUT);
}

static void answer_error(struct client *cl, const char *msg)
{
    char line[512];
    struct json_writer w;
    json_begin(&w, line, sizeof(line));
    json_bool(&w, "ok", false);
    json_str(&w, "error", msg);
    int n = json_end(&w);
    client_send(cl, line, n > 0 ? (size_t)n : 0, NULL, 0);
}

static void handle_line(struct client *cl, const char *text, size_t len)
{
    struct control *c = cl->ctl;
    struct json_object req;
    if (json_parse_flat(text, len, &req) < 0) {
        static struct log_ratelimit rl = LOG_RATELIMIT_INIT;
        log_ratelimited(&rl, "control: malformed request dropped");
        answer_error(cl, "malformed request: one flat JSON object per line");
        return;
    }
    const struct json_field *cmd = json_get(&req, "cmd");
    if (!cmd || !cmd->is_string) {
        answer_error(cl, "missing \"cmd\"");
        return;
    }
    const struct control_command *cc = c->commands;
    while (cc->name && strcmp(cc->name, cmd->str) != 0)
        cc++;
    if (!cc->name) {
        answer_error(cl, "unknown command");
        return;
    }
    char line[REPLY_LINE_MAX];
    struct json_writer w;
    json_begin(&w, line, sizeof(line));
    json_bool(&w, "ok", true);
    struct control_reply reply = { .json = &w };
    int rc = cc->fn(c->opaque, &req, &reply);
    if (rc < 0) {
        free(reply.payload);
        answer_error(cl, reply.error[0] ? reply.error : strerror(-rc));
        return;
    }
    if (reply.payload)
        json_u64(&w, "bytes", reply.payload_len);
    int n = json_end(&w);
    if (n < 0) {
        free(reply.payload);
        answer_error(cl, "answer too long");
        return;
    }
    client_send(cl, line, (size_t)n, reply.payload, reply.payload_len);
}

static void client_read_line(struct client *cl);

static void client_ready(void *opaque, uint32_t events)
{
    struct client *cl = opaque;
    if (cl->out) {
        if (events & (EPOLLERR | EPOLLHUP)) {
            client_close(cl);
            return;
        }
        bool in_line = cl->out_off < cl->out_len;
        const uint8_t *p = in_line ? (const uint8_t *)cl->out + cl->out_off
                                   : cl->payload + cl->payload_off;
        size_t left = in_line ? cl->out_len - cl->out_off : cl->payload_len - cl->payload_off;
        ssize_t n = left ? send(cl->fd, p, left, MSG_NOSIGNAL | MSG_DONTWAIT) : 0;
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            client_close(cl);
            return;
        }
        if (n > 0) {
            if (in_line)
                cl->out_off += (size_t)n;
            else
                cl->payload_off += (size_t)n;
        }
        if (cl->out_off == cl->out_len && cl->payload_off == cl->payload_len) {
            free(cl->out);
            free(cl->payload);
            cl->out = NULL;
            cl->payload = NULL;
            evt_loop_set_events(cl->ctl->loop, cl->fd, EPOLLIN);
            /* A pipelining client may have sent its next request already. */
            if (memchr(cl->in, '\n', cl->in_len))
                client_read_line(cl);
        }
        return;
    }
    ssize_t n = recv(cl->fd, cl->in + cl->in_len, sizeof(cl->in) - cl->in_len, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        client_close(cl);
        return;
    }
    if (n < 0)
        return;
    cl->in_len += (size_t)n;
    client_read_line(cl);
}

/* Answers the first complete request line in the buffer, if any. */
static void client_read_line(struct client *cl)
{
    char *nl = memchr(cl->in, '\n', cl->in_len);
    if (!nl) {
        if (cl->in_len == sizeof(cl->in)) {
            log_warn("control: request longer than %d bytes; closing", CONTROL_MAX_LINE);
            client_close(cl);
        }
        return;
    }
    /* One request at a time: the rest waits until the answer is out. The
     * line is taken out first: answering may close (free) the client. */
    char line[CONTROL_MAX_LINE];
    size_t line_len = (size_t)(nl - cl->in);
    memcpy(line, cl->in, line_len);
    memmove(cl->in, nl + 1, cl->in_len - line_len - 1);
    cl->in_len -= line_len + 1;
    handle_line(cl, line, line_len);
}

static void listener_ready(void *opaque, uint32_t events)
{
    struct control *c = opaque;
    (void)events;
    int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    /* The socket's file mode is one guard; the peer's uid is the one
     * that holds whatever the directory and file modes are: another
     * guest's daemon (its own uid) or any other local user is refused. */
    int uid;
    if (!peer_is_root_or(fd, c->allowed_uid, &uid)) {
        static struct log_ratelimit rl = LOG_RATELIMIT_INIT;
        log_ratelimited(&rl, "control: refused a client of uid %d (root or %u only)", uid,
                        (unsigned)c->allowed_uid);
        close(fd);
        return;
    }
    unsigned slot = 0;
    while (slot < CONTROL_MAX_CLIENTS && c->clients[slot])
        slot++;
    struct client *cl = slot < CONTROL_MAX_CLIENTS ? calloc(1, sizeof(*cl)) : NULL;
    if (!cl) {
        log_warn("control: too many clients; refusing one");
        close(fd);
        return;
    }
    cl->ctl = c;
    cl->fd = fd;
    if (evt_loop_add_fd(c->loop, fd, client_ready, cl) < 0) {
        close(fd);
        free(cl);
        return;
    }
    c->clients[slot] = cl;
}

int control_open(struct evt_loop *loop, const char *path,
                 const struct control_command *commands, void *opaque,
                 struct control **out)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(addr.sun_path))
        return -ENAMETOOLONG;
    struct control *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->loop = loop;
    c->commands = commands;
    c->opaque = opaque;
    c->allowed_uid = 0;
    snprintf(c->path, sizeof(c->path), "%s", path);
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int rc = c->fd < 0 ? -errno : 0;
    if (rc == 0) {
        unlink(path); /* a stale socket from a previous run */
        mode_t old = umask(0077); /* root's, and the group's it is given */
        if (bind(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
            listen(c->fd, CONTROL_MAX_CLIENTS) < 0)
            rc = -errno;
        umask(old);
    }
    if (rc == 0)
        rc = evt_loop_add_fd(loop, c->fd, listener_ready, c);
    if (rc < 0) {
        log_error("control socket %s: %s", path, strerror(-rc));
        if (c->fd >= 0)
            close(c->fd);
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void control_allow_uid(struct control *c, uid_t uid)
{
    c->allowed_uid = uid;
}

void control_close(struct control *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < CONTROL_MAX_CLIENTS; i++)
        if (c->clients[i])
            client_close(c->clients[i]);
    evt_loop_del_fd(c->loop, c->fd);
    close(c->fd);
    unlink(c->path);
    free(c);
}
