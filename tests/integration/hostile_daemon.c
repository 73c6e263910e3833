/* A stand-in for xengvtd that its guest has taken over, for the
 * supervisor's tests: it answers "status" as a daemon does, so it is
 * started and supervised, and answers "checkpoint" as $HOSTILE_REPLY says:
 *   huge  a line announcing 1 GiB, then zeros as fast as they are read
 *   slow  the answer one byte every 300 ms, for ever
 * Until its domain is gone (SIGTERM from the supervisor, or killed). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void serve(int fd, const char *mode)
{
    char req[512];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, req + n, sizeof(req) - 1 - n);
        if (r <= 0)
            return;
        n += (size_t)r;
        req[n] = 0;
        if (strchr(req, '\n') || n == sizeof(req) - 1)
            break;
    }
    if (!strstr(req, "checkpoint")) {
        const char *ok = "{\"ok\":true,\"domid\":0}\n";
        (void)!write(fd, ok, strlen(ok));
        return;
    }
    if (strcmp(mode, "huge") == 0) {
        const char *line = "{\"ok\":true,\"ioreq_server\":3,\"bytes\":1073741824}\n";
        if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0)
            return;
        static char zeros[65536];
        for (size_t sent = 0; sent < (1u << 30);) {
            ssize_t s = send(fd, zeros, sizeof(zeros), MSG_NOSIGNAL);
            if (s <= 0)
                return;
            sent += (size_t)s;
        }
    } else {
        const char *line = "{\"ok\":true,\"ioreq_server\":3,\"bytes\":4}\nabcd";
        for (const char *p = line;; p = *(p + 1) ? p + 1 : line) {
            if (send(fd, p, 1, MSG_NOSIGNAL) != 1)
                return;
            usleep(300 * 1000);
        }
    }
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--control") == 0)
            path = argv[i + 1];
    const char *mode = getenv("HOSTILE_REPLY");
    if (!path || !mode)
        return 2;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    unlink(path);
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lfd, 8) < 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0 && errno == EINTR)
            continue;
        if (fd < 0)
            return 1;
        serve(fd, mode);
        close(fd);
    }
}
