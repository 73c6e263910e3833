#include "config.h"
#include "daemon/sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int sd_notify_connect(int *err)
{
    *err = 0;
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !path[0])
        return -1;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    size_t len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr.sun_path)) {
        *err = -EINVAL;
        return -1;
    }
    memcpy(addr.sun_path, path, len);
    if (path[0] == '@')
        addr.sun_path[0] = 0; /* abstract namespace */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *err = -errno;
        return -1;
    }
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    if (connect(fd, (struct sockaddr *)&addr, alen) < 0) {
        *err = -errno;
        close(fd);
        return -1;
    }
    return fd;
}

int sd_notify_send(int fd, const char *state)
{
    if (fd < 0)
        return 0;
    ssize_t n = send(fd, state, strlen(state), MSG_NOSIGNAL);
    int err = n < 0 ? errno : 0;
    close(fd);
    return -err;
}
