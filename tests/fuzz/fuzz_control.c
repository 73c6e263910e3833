/* Fuzz target: the control socket as a client on it speaks -- JSON lines
 * (any bytes, split anywhere, pipelined), answered by the daemon's own
 * command table (commands.c) over its own socket code (control.c, json.c)
 * for a vGPU served in-process. Every answer must be one JSON object per
 * line with the payload its "bytes" announce; the daemon must never stop
 * serving. Files are never written: "save" with a path goes to a stand-in
 * for daemon_write_file that only checks its arguments (fake_daemon_files.c).
 *
 * Input: chunk (1) | bytes... : the input is sent in chunks of that size. */
#include "vgpu_dev.h"
#include "daemon/daemon.h"
#include "ioreq/dirtylog.h"
#include "evtchn/loop.h"
#include "gvt/vgpu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* What comes back, checked as it streams: each answer one JSON object on
 * a line, then the payload its "bytes" announce. */
struct answers {
    char line[8192];
    size_t len;
    uint64_t payload_left;
};

static void take_answers(struct answers *an, const char *buf, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (an->payload_left) {
            size_t skip = n - i < an->payload_left ? n - i : an->payload_left;
            an->payload_left -= skip;
            i += skip;
            continue;
        }
        char c = buf[i++];
        if (c != '\n') {
            if (an->len < sizeof(an->line))
                an->line[an->len++] = c;
            continue;
        }
        if (an->len < 2 || an->len >= sizeof(an->line) || an->line[0] != '{' ||
            an->line[an->len - 1] != '}') {
            fprintf(stderr, "fuzz_control: answer is not a JSON object: %.*s\n", (int)an->len,
                    an->line);
            abort();
        }
        const char *b = memmem(an->line, an->len, "\"bytes\":", 8);
        an->payload_left = b ? strtoull(b + 8, NULL, 10) : 0;
        an->len = 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static struct daemon dm;
    static char path[108];
    static struct control *ctl;
    struct fuzz_dev d;
    fuzz_dev_start(&d, NULL);
    fuzz_place_bars(&d);
    fuzz_set_mode_640x480(&d);
    /* The daemon's parts, as main.c wires them. */
    memset(&dm, 0, sizeof(dm));
    dm.loop = d.loop;
    dm.srv = d.srv;
    dm.gm = d.gm;
    dm.vgpu = d.vgpu;
    dm.irq = *d.irq;
    dm.opt.domid = FUZZ_DOMID;
    dm.opt.sbdf = FUZZ_SBDF;
    dm.opt.type_name = "GVTg_V5_4";
    static struct dirtylog *dl;
    if (!dl && dirtylog_new(xendevicemodel_open(NULL, 0), FUZZ_DOMID, &dl) < 0)
        abort();
    dirtylog_enable(dl, false); /* as at start, whatever the last input said */
    dm.dl = dl;
    if (!ctl) {
        snprintf(path, sizeof(path), "/tmp/xengvt-fuzz-control-%d.sock", (int)getpid());
        unlink(path);
        if (control_open(d.loop, path, daemon_commands, &dm, &ctl) < 0)
            abort();
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
        abort();
    size_t chunk = data[0] ? data[0] : 1;
    const uint8_t *p = data + 1, *end = data + size;
    static char buf[1 << 16];
    static struct answers an;
    memset(&an, 0, sizeof(an));
    for (unsigned round = 0; round < 256 && (p < end || round < 4); round++) {
        if (p < end) {
            size_t n = (size_t)(end - p) < chunk ? (size_t)(end - p) : chunk;
            ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
            if (w > 0)
                p += w;
        }
        evt_loop_run_once(d.loop, 0);
        evt_loop_run_once(d.loop, 0);
        for (;;) {
            ssize_t r = recv(fd, buf, sizeof(buf), 0);
            if (r <= 0)
                break;
            take_answers(&an, buf, (size_t)r);
            evt_loop_run_once(d.loop, 0); /* the daemon sends the rest */
        }
    }
    close(fd);
    evt_loop_run_once(d.loop, 0); /* the daemon sees the client go */
    /* It still serves: a fresh client gets a status. */
    int fd2 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd2 < 0 || connect(fd2, (struct sockaddr *)&a, sizeof(a)) < 0)
        abort();
    if (write(fd2, "{\"cmd\":\"status\"}\n", 17) != 17)
        abort();
    char line[64] = "";
    for (unsigned i = 0; i < 64 && !line[0]; i++) {
        evt_loop_run_once(d.loop, 1);
        if (recv(fd2, line, sizeof(line) - 1, MSG_DONTWAIT) > 0 && strncmp(line, "{\"ok\":true", 10))
            abort();
    }
    if (!line[0])
        abort(); /* no answer: the daemon stopped serving */
    close(fd2);
    evt_loop_run_once(d.loop, 0);
    daemon_commands_release(&dm);
    fuzz_dev_stop(&d);
    return 0;
}
