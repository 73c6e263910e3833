/* Per-trap parity, measured where it matters: the guest times PCI config
 * dword reads answered by QEMU (the PIIX3 bridge at 00:01.0) and by
 * xengvtd (the vGPU at 00:02.0), in alternating rounds so that both see
 * the same host, and a BAR0 register read (PVINFO's magic) answered by
 * xengvtd. Each read is one ioreq round trip: the guest's CF8 write stays
 * in Xen, its CFC read goes to the server that claimed the device.
 *
 *   trap-parity ROUNDS READS
 *
 * Prints "E2E-PARITY:" lines: one per round, then the totals and the
 * ratio xengvtd/QEMU. Exit 0 only if every read gave the expected value. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define QEMU_DEV "/sys/bus/pci/devices/0000:00:01.0/config"
#define VGPU_DEV "/sys/bus/pci/devices/0000:00:02.0/config"
#define VGPU_BAR0 "/sys/bus/pci/devices/0000:00:02.0/resource0"
#define QEMU_ID 0x70008086u  /* PIIX3 ISA bridge */
#define VGPU_ID 0x19128086u  /* the vGPU: Intel SKL GT2 */
#define PVINFO_MAGIC_OFFSET 0x78000u
#define VGT_MAGIC_LOW 0x76544776u

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* READS dword reads of a device's vendor/device id; seconds taken. */
static double config_round(int fd, unsigned long reads, uint32_t want, unsigned long *bad)
{
    double t0 = now();
    for (unsigned long i = 0; i < reads; i++) {
        uint32_t v = 0;
        if (pread(fd, &v, 4, 0) != 4 || v != want)
            (*bad)++;
    }
    return now() - t0;
}

static double mmio_round(volatile uint32_t *magic, unsigned long reads, unsigned long *bad)
{
    double t0 = now();
    for (unsigned long i = 0; i < reads; i++)
        *bad += *magic != VGT_MAGIC_LOW;
    return now() - t0;
}

int main(int argc, char **argv)
{
    unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 4;
    unsigned long reads = argc > 2 ? strtoul(argv[2], NULL, 0) : 512;
    if (rounds == 0 || reads == 0) {
        fprintf(stderr, "usage: trap-parity ROUNDS READS\n");
        return 2;
    }
    int qfd = open(QEMU_DEV, O_RDONLY), vfd = open(VGPU_DEV, O_RDONLY);
    int bfd = open(VGPU_BAR0, O_RDONLY | O_SYNC);
    if (qfd < 0 || vfd < 0 || bfd < 0) {
        printf("E2E-PARITY: cannot open %s: %s\n",
               qfd < 0 ? QEMU_DEV : vfd < 0 ? VGPU_DEV : VGPU_BAR0, strerror(errno));
        return 1;
    }
    volatile uint8_t *bar = mmap(NULL, PVINFO_MAGIC_OFFSET + 4096, PROT_READ, MAP_SHARED, bfd, 0);
    if (bar == MAP_FAILED) {
        printf("E2E-PARITY: mmap %s: %s\n", VGPU_BAR0, strerror(errno));
        return 1;
    }
    volatile uint32_t *magic = (volatile uint32_t *)(bar + PVINFO_MAGIC_OFFSET);
    double tq = 0, tv = 0, tm = 0;
    unsigned long bad = 0;
    for (unsigned long r = 0; r < rounds; r++) {
        /* QEMU first in even rounds, xengvtd first in odd ones. */
        double q, v;
        if (r & 1) {
            v = config_round(vfd, reads, VGPU_ID, &bad);
            q = config_round(qfd, reads, QEMU_ID, &bad);
        } else {
            q = config_round(qfd, reads, QEMU_ID, &bad);
            v = config_round(vfd, reads, VGPU_ID, &bad);
        }
        double m = mmio_round(magic, reads, &bad);
        printf("E2E-PARITY: round %lu: config qemu %.0f us, xengvtd %.0f us (%.2fx); "
               "register xengvtd %.0f us\n", r + 1, q * 1e6 / reads, v * 1e6 / reads,
               v / q, m * 1e6 / reads);
        tq += q;
        tv += v;
        tm += m;
    }
    unsigned long n = rounds * reads;
    printf("E2E-PARITY: config round trip: qemu %.0f us, xengvtd %.0f us: ratio %.2f; "
           "register round trip %.0f us (%.2fx qemu's config); %lu reads each, %lu wrong\n",
           tq * 1e6 / n, tv * 1e6 / n, tv / tq, tm * 1e6 / n, tm / tq, n, bad);
    return bad ? 1 : 0;
}
