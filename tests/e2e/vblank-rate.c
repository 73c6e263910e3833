/* The e2e guest's vblank clock, timed: how fast pipe A's vblank counter
 * runs as i915 reports it, and vblank events delivered one after the
 * other, each stamped by the kernel.
 *
 *   vblank-rate /dev/dri/card0
 *
 * Prints "E2E-VBLANK: ..." lines: the counter's rate over about 2 s
 * (DRM_IOCTL_WAIT_VBLANK queries before and after a sleep, each answered
 * with a vblank's sequence number and i915's timestamp of it), and N events
 * each requested for the next vblank: their sequence numbers and kernel
 * timestamps give the rate the events report, the wall clock how fast they
 * arrived. Exit 0 when both were measured. */
#include <drm.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define EVENTS 30

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int query(int fd, uint32_t *seq, double *ts)
{
    union drm_wait_vblank vbl;
    memset(&vbl, 0, sizeof(vbl));
    vbl.request.type = _DRM_VBLANK_RELATIVE;
    vbl.request.sequence = 0;
    if (ioctl(fd, DRM_IOCTL_WAIT_VBLANK, &vbl) < 0)
        return -errno;
    *seq = vbl.reply.sequence;
    *ts = vbl.reply.tval_sec + vbl.reply.tval_usec / 1e6;
    return 0;
}

static int counter_rate(int fd)
{
    uint32_t s0, s1;
    double k0, k1, t0, t1;
    t0 = now();
    int rc = query(fd, &s0, &k0);
    if (rc == 0) {
        usleep(2000 * 1000);
        rc = query(fd, &s1, &k1);
    }
    t1 = now();
    if (rc < 0) {
        printf("E2E-VBLANK: counter query failed: %s\n", strerror(-rc));
        return -1;
    }
    /* Against i915's stamps of the two vblanks, not the wall clock: under
     * emulation a query itself takes long enough to skew 2 s. */
    printf("E2E-VBLANK: counter %u vblanks stamped %.3f s apart (%.3f s of wall clock): "
           "%.1f Hz\n", s1 - s0, k1 - k0, t1 - t0, k1 > k0 ? (s1 - s0) / (k1 - k0) : 0.0);
    return 0;
}

static int events(int fd)
{
    uint32_t first = 0, last = 0;
    double kfirst = 0, klast = 0, t0 = now();
    for (int i = 0; i < EVENTS; i++) {
        union drm_wait_vblank vbl;
        memset(&vbl, 0, sizeof(vbl));
        vbl.request.type = _DRM_VBLANK_RELATIVE | _DRM_VBLANK_EVENT;
        vbl.request.sequence = 1;
        vbl.request.signal = (unsigned long)i;
        if (ioctl(fd, DRM_IOCTL_WAIT_VBLANK, &vbl) < 0) {
            printf("E2E-VBLANK: event request %d failed: %s\n", i, strerror(errno));
            return -1;
        }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 5000) != 1) {
            printf("E2E-VBLANK: event %d never arrived (5 s)\n", i);
            return -1;
        }
        struct drm_event_vblank ev;
        if (read(fd, &ev, sizeof(ev)) != (ssize_t)sizeof(ev) ||
            ev.base.type != DRM_EVENT_VBLANK) {
            printf("E2E-VBLANK: event %d unreadable\n", i);
            return -1;
        }
        double k = ev.tv_sec + ev.tv_usec / 1e6;
        if (i == 0) {
            first = ev.sequence;
            kfirst = k;
        }
        last = ev.sequence;
        klast = k;
    }
    double wall = now() - t0;
    printf("E2E-VBLANK: events %d in %.3f s (%.1f/s), sequences %u..%u stamped %.3f s apart: "
           "%.1f Hz\n", EVENTS, wall, EVENTS / wall, first, last, klast - kfirst,
           klast > kfirst ? (last - first) / (klast - kfirst) : 0.0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: vblank-rate /dev/dri/cardN\n");
        return 2;
    }
    int fd = open(argv[1], O_RDWR);
    if (fd < 0) {
        printf("E2E-VBLANK: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    int rc = counter_rate(fd) | events(fd);
    close(fd);
    return rc ? 1 : 0;
}
