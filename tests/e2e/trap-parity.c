/* Per-trap parity, measured where it matters: the guest times PCI config
 * dword reads answered by QEMU (the PIIX3 bridge at 00:01.0) and by
 * xengvtd (the vGPU at 00:02.0), in alternating rounds so that both see
 * the same host, and a BAR0 register read (PVINFO's magic) answered by
 * xengvtd.
 *
 * Two kinds of config read, because they are not the same work:
 * - through the kernel (sysfs): Linux writes CF8 and reads CFC each time.
 *   Xen latches the CF8 write and still hands it to the catch-all server,
 *   QEMU (xen/arch/x86/hvm/ioreq.c, hvm_access_cf8), so a read of QEMU's
 *   device is two QEMU ioreqs, and a read of the vGPU is one QEMU ioreq
 *   and one xengvtd ioreq, with a switch between two dom0 processes;
 * - one ioreq: CF8 written once, then only CFC read. Each read is then
 *   exactly one PCI_CONFIG ioreq to the device's own server: the
 *   per-trap figure. Only on one vCPU (another CPU's kernel could be
 *   between its own CF8 write and CFC read); a read that meets a CF8 the
 *   kernel moved meanwhile is noticed by its value and done again.
 * From the four: the switch between the servers costs
 *   (kernel_xengvtd - one_xengvtd) - (kernel_qemu - one_qemu).
 *
 *   trap-parity ROUNDS READS
 *
 * Prints "E2E-PARITY:" lines: one per round, then the totals and the
 * ratios xengvtd/QEMU, and how many ioreqs each server was sent (for
 * dom0's CPU time per ioreq). Exit 0 only if every read gave the
 * expected value. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define QEMU_DEV "/sys/bus/pci/devices/0000:00:01.0/config"
#define VGPU_DEV "/sys/bus/pci/devices/0000:00:02.0/config"
#define VGPU_BAR0 "/sys/bus/pci/devices/0000:00:02.0/resource0"
#define QEMU_DEVFN (1u << 3)
#define VGPU_DEVFN (2u << 3)
#define QEMU_ID 0x70008086u  /* PIIX3 ISA bridge */
#define VGPU_ID 0x19128086u  /* the vGPU: Intel SKL GT2 */
#define PVINFO_MAGIC_OFFSET 0x78000u
#define VGT_MAGIC_LOW 0x76544776u
#define CF8 0xcf8
#define CFC 0xcfc

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct server {
    const char *name;
    int fd;          /* sysfs config */
    unsigned devfn;  /* bus 0 */
    uint32_t id;
    double kernel_s, one_s; /* time in the two kinds of read */
};

static unsigned long ioreqs_qemu, ioreqs_xengvtd, bad, refetched;

/* Each read: CF8 to QEMU, CFC to the device's server. */
static double kernel_round(struct server *s, unsigned long reads)
{
    double t0 = now();
    for (unsigned long i = 0; i < reads; i++) {
        uint32_t v = 0;
        if (pread(s->fd, &v, 4, 0) != 4 || v != s->id)
            bad++;
    }
    double t = now() - t0;
    ioreqs_qemu += reads;
    if (s->devfn == QEMU_DEVFN)
        ioreqs_qemu += reads;
    else
        ioreqs_xengvtd += reads;
    return t;
}

/* Each read: CFC alone, one ioreq to the device's server. */
static double one_ioreq_round(struct server *s, unsigned long reads)
{
    uint32_t addr = 0x80000000u | s->devfn << 8;
    unsigned long *count = s->devfn == QEMU_DEVFN ? &ioreqs_qemu : &ioreqs_xengvtd;
    outl(addr, CF8);
    ioreqs_qemu++;
    double t0 = now();
    for (unsigned long i = 0; i < reads; i++) {
        uint32_t v = inl(CFC);
        if (v != s->id) { /* the kernel moved CF8 in between: again */
            refetched++;
            outl(addr, CF8);
            ioreqs_qemu++;
            (*count)++;
            if (inl(CFC) != s->id)
                bad++;
        }
    }
    double t = now() - t0;
    *count += reads;
    return t;
}

static double mmio_round(volatile uint32_t *magic, unsigned long reads)
{
    double t0 = now();
    for (unsigned long i = 0; i < reads; i++)
        bad += *magic != VGT_MAGIC_LOW;
    ioreqs_xengvtd += reads;
    return now() - t0;
}

static void both(struct server *first, struct server *second, unsigned long reads, bool one)
{
    if (one) {
        first->one_s += one_ioreq_round(first, reads);
        second->one_s += one_ioreq_round(second, reads);
    } else {
        first->kernel_s += kernel_round(first, reads);
        second->kernel_s += kernel_round(second, reads);
    }
}

int main(int argc, char **argv)
{
    unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 4;
    unsigned long reads = argc > 2 ? strtoul(argv[2], NULL, 0) : 512;
    if (rounds == 0 || reads == 0) {
        fprintf(stderr, "usage: trap-parity ROUNDS READS\n");
        return 2;
    }
    struct server q = { "qemu", open(QEMU_DEV, O_RDONLY), QEMU_DEVFN, QEMU_ID, 0, 0 };
    struct server x = { "xengvtd", open(VGPU_DEV, O_RDONLY), VGPU_DEVFN, VGPU_ID, 0, 0 };
    int bfd = open(VGPU_BAR0, O_RDONLY | O_SYNC);
    if (q.fd < 0 || x.fd < 0 || bfd < 0) {
        printf("E2E-PARITY: cannot open %s: %s\n",
               q.fd < 0 ? QEMU_DEV : x.fd < 0 ? VGPU_DEV : VGPU_BAR0, strerror(errno));
        return 1;
    }
    volatile uint8_t *bar = mmap(NULL, PVINFO_MAGIC_OFFSET + 4096, PROT_READ, MAP_SHARED, bfd, 0);
    if (bar == MAP_FAILED) {
        printf("E2E-PARITY: mmap %s: %s\n", VGPU_BAR0, strerror(errno));
        return 1;
    }
    volatile uint32_t *magic = (volatile uint32_t *)(bar + PVINFO_MAGIC_OFFSET);
    bool one = sysconf(_SC_NPROCESSORS_ONLN) == 1;
    if (!one)
        printf("E2E-PARITY: %ld CPUs: no one-ioreq rounds (another CPU's kernel could be "
               "between its CF8 write and its CFC read)\n", sysconf(_SC_NPROCESSORS_ONLN));
    else if (ioperm(CF8, 8, 1) < 0) {
        printf("E2E-PARITY: ioperm(0xcf8): %s\n", strerror(errno));
        return 1;
    }
    double tm = 0;
    for (unsigned long r = 0; r < rounds; r++) {
        /* QEMU first in even rounds, xengvtd first in odd ones. */
        struct server *first = r & 1 ? &x : &q, *second = r & 1 ? &q : &x;
        double qk = q.kernel_s, xk = x.kernel_s, qo = q.one_s, xo = x.one_s;
        both(first, second, reads, false);
        if (one)
            both(second, first, reads, true);
        double m = mmio_round(magic, reads);
        tm += m;
        qk = q.kernel_s - qk, xk = x.kernel_s - xk, qo = q.one_s - qo, xo = x.one_s - xo;
        printf("E2E-PARITY: round %lu: config through the kernel qemu %.0f us, xengvtd %.0f us "
               "(%.2fx); one ioreq qemu %.0f us, xengvtd %.0f us (%.2fx); register xengvtd "
               "%.0f us\n", r + 1, qk * 1e6 / reads, xk * 1e6 / reads, xk / qk,
               qo * 1e6 / reads, xo * 1e6 / reads, one ? xo / qo : 0.0, m * 1e6 / reads);
    }
    unsigned long n = rounds * reads;
    double qk = q.kernel_s * 1e6 / n, xk = x.kernel_s * 1e6 / n;
    double qo = q.one_s * 1e6 / n, xo = x.one_s * 1e6 / n, m = tm * 1e6 / n;
    if (one)
        printf("E2E-PARITY: one ioreq (config CFC): qemu %.0f us, xengvtd %.0f us: ratio %.2f; "
               "%lu reads each, %lu again after the kernel moved CF8\n", qo, xo, xo / qo, n,
               refetched);
    printf("E2E-PARITY: config round trip: qemu %.0f us, xengvtd %.0f us: ratio %.2f; "
           "register round trip %.0f us (%.2fx qemu's config); %lu reads each, %lu wrong\n",
           qk, xk, xk / qk, m, m / qk, n, bad);
    if (one)
        printf("E2E-PARITY: through the kernel: CF8 write to QEMU %.0f us, the switch between "
               "QEMU and xengvtd %.0f us a read; register round trip %.2fx qemu's one ioreq\n",
               qk - qo, (xk - xo) - (qk - qo), m / qo);
    printf("E2E-PARITY: ioreqs sent: qemu %lu, xengvtd %lu\n", ioreqs_qemu, ioreqs_xengvtd);
    return bad ? 1 : 0;
}
