/* Fuzz target: what the supervisor and xl-vgpu read from a daemon's
 * control socket (reply.c), as a daemon its guest took over could send
 * it: the answer line parsed, then read from a socket with its payload,
 * bounded in size. The input is the whole stream the daemon sends. */
#define _GNU_SOURCE 1
#include "tools/common/reply.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A checkpoint's bound, small enough that inputs reach it. */
#define FUZZ_MAX_PAYLOAD 4096u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct daemon_reply r;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t line_len = nl ? (size_t)(nl - data) : size;
    (void)reply_parse((const char *)data, line_len, &r);
    /* The same bytes as a daemon's stream, closed after them: a read
     * never waits, whatever the input. */
    if (size > 65536)
        return 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    int buf = 1 << 18;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    if (size && write(sv[0], data, size) != (ssize_t)size)
        abort();
    close(sv[0]);
    char line[512];
    uint8_t *payload = NULL;
    size_t len = 0;
    int rc = reply_read(sv[1], reply_now_ms() + 1000, line, sizeof(line), FUZZ_MAX_PAYLOAD, &r,
                        &payload, &len);
    if (rc == 0 && payload && (len > FUZZ_MAX_PAYLOAD || len != r.bytes))
        abort();
    if (rc != 0 && payload)
        abort(); /* a failed read hands nothing over */
    free(payload);
    close(sv[1]);
    return 0;
}
