/* Running xl itself, as xl-vgpu does: never through a shell. */
#include "config.h"
#include "tools/common/xl_cmd.h"
#include "tools/common/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
        launch_unblock_signals();
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
