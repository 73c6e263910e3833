#include "config.h"
#include "tools/common/ctl_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int ctl_connect(const char *sock, int timeout_ms)
{
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
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

int ctl_exchange(int fd, const char *request, uint64_t deadline_ms, size_t max_payload,
                 char *line, size_t cap, struct daemon_reply *reply, uint8_t **payload,
                 size_t *payload_len)
{
    line[0] = 0;
    memset(reply, 0, sizeof(*reply));
    if (payload) {
        *payload = NULL;
        *payload_len = 0;
    }
    size_t len = strlen(request);
    int rc;
    if (write(fd, request, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
        rc = -EPIPE;
    else
        rc = reply_read(fd, deadline_ms, line, cap, max_payload, reply, payload, payload_len);
    /* The line may end up in messages: no terminal escapes from it. */
    for (char *c = line; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return rc;
}

int ctl_request(const char *sock, const char *request, int timeout_ms, size_t max_payload,
                char *line, size_t cap, struct daemon_reply *reply, uint8_t **payload,
                size_t *payload_len)
{
    uint64_t deadline = reply_now_ms() + (uint64_t)timeout_ms;
    int fd = ctl_connect(sock, timeout_ms);
    if (fd < 0) {
        line[0] = 0;
        memset(reply, 0, sizeof(*reply));
        if (payload) {
            *payload = NULL;
            *payload_len = 0;
        }
        return fd;
    }
    int rc = ctl_exchange(fd, request, deadline, max_payload, line, cap, reply, payload,
                          payload_len);
    close(fd);
    return rc;
}

int ctl_request_within(const char *sock, const char *request, int timeout_ms, char *line,
                       size_t cap, uint8_t **payload, size_t *payload_len)
{
    struct daemon_reply reply;
    return ctl_request(sock, request, timeout_ms, CTL_PAYLOAD_MAX, line, cap, &reply, payload,
                       payload_len);
}

int ctl_command_all(const char *const *socks, unsigned count, const char *cmd,
                    ctl_refused_fn *refused, void *opaque)
{
    char req[64], line[512];
    snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}", cmd);
    int rc = 0;
    for (unsigned i = 0; i < count; i++) {
        if (ctl_request_ok(socks[i], req, line, sizeof(line), NULL, NULL) < 0) {
            refused(opaque, i, cmd, line);
            rc = -1;
        }
    }
    return rc;
}

int ctl_request_ok(const char *sock, const char *request, char *line, size_t cap,
                   uint8_t **payload, size_t *payload_len)
{
    struct daemon_reply reply;
    int rc = ctl_request(sock, request, CTL_TIMEOUT_MS, CTL_PAYLOAD_MAX, line, cap, &reply,
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
