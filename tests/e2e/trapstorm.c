/* The e2e guest's slow path, forced and bounded: accesses that each cost
 * a trapped ioreq round trip, from user space, while the rest of the guest
 * must stay responsive.
 *
 *   trapstorm regs N     N reads of PVINFO's magic through BAR0 (resource0)
 *   trapstorm fb ROWS    ROWS rows of /dev/fb0's mapping (the aperture, when
 *                        i915 pinned fbdev there) stored a dword at a time,
 *                        then read back and compared
 *
 * Prints one "E2E-STORM:" line per run with the count, the time and the
 * microseconds per access, or what went wrong. Exit 0 only if every
 * access gave the expected value. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define VGPU_BAR0 "/sys/bus/pci/devices/0000:00:02.0/resource0"
#define PVINFO_MAGIC_OFFSET 0x78000u
#define VGT_MAGIC 0x4776544776544776ull

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(const char *what, unsigned long n, double t, unsigned long bad)
{
    printf("E2E-STORM: %s %lu accesses in %.2f s: %.0f us each, %lu wrong\n", what, n, t,
           n ? t * 1e6 / n : 0.0, bad);
}

static int regs(unsigned long n)
{
    int fd = open(VGPU_BAR0, O_RDONLY | O_SYNC);
    if (fd < 0) {
        printf("E2E-STORM: regs: %s: %s\n", VGPU_BAR0, strerror(errno));
        return 1;
    }
    const size_t len = PVINFO_MAGIC_OFFSET + 4096;
    volatile uint8_t *bar = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    if (bar == MAP_FAILED) {
        printf("E2E-STORM: regs: mmap: %s\n", strerror(errno));
        return 1;
    }
    volatile uint32_t *magic = (volatile uint32_t *)(bar + PVINFO_MAGIC_OFFSET);
    unsigned long bad = 0;
    double t0 = now();
    for (unsigned long i = 0; i < n; i++)
        bad += magic[i & 1] != (uint32_t)(VGT_MAGIC >> (32 * (i & 1)));
    report("regs", n, now() - t0, bad);
    return bad != 0;
}

static uint32_t pattern(unsigned long i) { return (uint32_t)(i * 2654435761u) ^ 0x5a5a0000u; }

static int fb(unsigned long rows)
{
    int fd = open("/dev/fb0", O_RDWR | O_SYNC);
    struct fb_fix_screeninfo fix;
    struct fb_var_screeninfo var;
    if (fd < 0 || ioctl(fd, FBIOGET_FSCREENINFO, &fix) < 0 ||
        ioctl(fd, FBIOGET_VSCREENINFO, &var) < 0) {
        printf("E2E-STORM: fb: /dev/fb0: %s\n", strerror(errno));
        return 1;
    }
    if (rows > var.yres)
        rows = var.yres;
    size_t len = (size_t)fix.line_length * rows;
    volatile uint32_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        printf("E2E-STORM: fb: mmap: %s\n", strerror(errno));
        return 1;
    }
    printf("E2E-STORM: fb0 at %#lx (%s), %lu rows of %u bytes\n", fix.smem_start, fix.id,
           rows, fix.line_length);
    unsigned long n = len / 4, bad = 0;
    double t0 = now();
    for (unsigned long i = 0; i < n; i++)
        p[i] = pattern(i);
    report("fb-stores", n, now() - t0, 0);
    t0 = now();
    for (unsigned long i = 0; i < n; i++)
        bad += p[i] != pattern(i);
    report("fb-loads", n, now() - t0, bad);
    return bad != 0;
}

int main(int argc, char **argv)
{
    unsigned long n = argc == 3 ? strtoul(argv[2], NULL, 0) : 0;
    if (argc == 3 && strcmp(argv[1], "regs") == 0)
        return regs(n);
    if (argc == 3 && strcmp(argv[1], "fb") == 0)
        return fb(n);
    fprintf(stderr, "usage: trapstorm regs N | trapstorm fb ROWS\n");
    return 2;
}
