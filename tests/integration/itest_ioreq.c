/* The ioreq server end to end: the shipped xengvtd under the simulated
 * hypervisor, driven by a test playing the guest. */
#include "itest.h"

#include <pwd.h>
#include <sys/stat.h>

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#define PVINFO (BAR0_ADDR + 0x78000)
#define SCRATCH (BAR0_ADDR + 0x4000) /* untracked register storage */
#define VGT_MAGIC 0x4776544776544776ull

static void test_pci_identity(void **state)
{
    (void)state;
    struct sim *s = itest_start("pci_identity", (struct sim_opts){ 0 });
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x00, 4), 0x19128086);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x00, 2), 0x8086);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x02, 2), 0x1912);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x03, 1), 0x19);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x08, 4) >> 8, 0x030000);
    /* GMCH: 8 MiB of GTT, no stolen memory; BDSM 0 */
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x50, 2), 0xc0);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x5c, 4), 0);
    /* Command register starts with decode off. */
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x04, 2) & 7, 0);
    /* Another slot is not ours: Xen answers all-ones without us. */
    uint32_t unclaimed = sim_state(s)->unclaimed;
    assert_int_equal(sim_cfg_read(s, 0, (3u << 3), 0x00, 4), 0xffffffff);
    assert_int_equal(sim_state(s)->unclaimed, unclaimed + 1);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* The daemon answers a vCPU before it unmasks the vCPU's port: the
 * unmask is a syscall on real Xen, and after the answer the guest runs on
 * while it happens. */
static void test_answer_before_unmask(void **state)
{
    (void)state;
    struct sim *s = itest_start("answer_first", (struct sim_opts){ 0 });
    uint32_t unmasks0 = sim_state(s)->unmasks, after0 = sim_state(s)->unmasks_after_answer;
    for (unsigned i = 0; i < 64; i++)
        assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x00, 4), 0x19128086);
    /* The last unmask may still be on its way when the read returns. */
    for (int i = 0; i < 1000 && sim_state(s)->unmasks - unmasks0 < 64; i++)
        usleep(1000);
    assert_int_equal(sim_state(s)->unmasks - unmasks0, 64);
    assert_int_equal(sim_state(s)->unmasks_after_answer - after0, 64);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_bar_sizing_and_pvinfo(void **state)
{
    (void)state;
    struct sim *s = itest_start("bar_sizing", (struct sim_opts){ 0 });
    /* Size BAR0 (64-bit, 16 MiB) and BAR2 (64-bit prefetchable, 256 MiB). */
    sim_cfg_write(s, 0, VGPU_SBDF, 0x10, 4, 0xffffffff);
    sim_cfg_write(s, 0, VGPU_SBDF, 0x14, 4, 0xffffffff);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x10, 4), 0xff000004);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x14, 4), 0xffffffff);
    sim_cfg_write(s, 0, VGPU_SBDF, 0x18, 4, 0xffffffff);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x18, 4), 0xf000000c);
    /* No I/O BAR unless asked for. */
    sim_cfg_write(s, 0, VGPU_SBDF, 0x20, 4, 0xffffffff);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x20, 4), 0);
    /* Decode is off: nothing claimed yet. */
    assert_false(sim_claimed(s, SIM_RANGE_MMIO, 0xff000000ull));

    itest_place_bars(s, false);
    assert_true(sim_claimed(s, SIM_RANGE_MMIO, BAR0_ADDR));
    /* BAR0's register half traps; its GGTT half is the vGPU's RAM. */
    assert_true(sim_claimed(s, SIM_RANGE_MMIO, BAR0_ADDR + (8u << 20) - 1));
    assert_false(sim_claimed(s, SIM_RANGE_MMIO, BAR0_ADDR + (8u << 20)));
    assert_non_null(sim_phys(s, BAR0_ADDR + (8u << 20)));
    assert_non_null(sim_phys(s, BAR0_ADDR + (16u << 20) - 1));
    assert_null(sim_phys(s, BAR0_ADDR + (16u << 20)));
    /* BAR2's slice is RAM of the vGPU's own (the default), not a trap. */
    assert_false(sim_claimed(s, SIM_RANGE_MMIO, BAR2_ADDR));
    assert_non_null(sim_phys(s, BAR2_ADDR));
    assert_non_null(sim_phys(s, BAR2_ADDR + (128u << 20) - 1));
    assert_int_equal(itest_status_field(s, "aperture_in_ram"), 1);

    /* The i915 probe: magic as one 8-byte read, version 16-bit, caps 32. */
    assert_true(sim_mmio_read(s, 0, PVINFO, 8) == VGT_MAGIC);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 8, 2), 1);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 0xa, 2), 0);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 0x10, 4) & 0x1c, 0x1c);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO, 1), 0x76);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 4, 4), 0x47765447);
    /* Ballooning values pass the guest's own checks (i915_vgpu.c): with
     * M the aperture BAR's size and T the GGTT's (4 GiB). */
    uint64_t M = 256ull << 20, T = 4ull << 30;
    uint64_t mb = sim_mmio_read(s, 0, PVINFO + 0x40, 4);
    uint64_t ms = sim_mmio_read(s, 0, PVINFO + 0x44, 4);
    uint64_t ub = sim_mmio_read(s, 0, PVINFO + 0x48, 4);
    uint64_t us = sim_mmio_read(s, 0, PVINFO + 0x4c, 4);
    assert_true(ms > 0 && us > 0);
    assert_false(mb + ms > M);
    assert_false(ub < M);
    assert_false(ub + us > T);
    assert_int_equal(ms, 128u << 20); /* GVTg_V5_4 */
    assert_int_equal(us, 512u << 20);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 0x50, 4), 4);
    /* The host half is read-only to the guest. */
    sim_mmio_write(s, 0, PVINFO, 4, 0);
    assert_true(sim_mmio_read(s, 0, PVINFO, 8) == VGT_MAGIC);

    /* Plain storage at every access size. */
    sim_mmio_write(s, 0, SCRATCH, 8, 0x1122334455667788ull);
    assert_true(sim_mmio_read(s, 0, SCRATCH, 8) == 0x1122334455667788ull);
    assert_int_equal(sim_mmio_read(s, 0, SCRATCH + 4, 4), 0x11223344);
    sim_mmio_write(s, 0, SCRATCH + 2, 2, 0xabcd);
    assert_int_equal(sim_mmio_read(s, 0, SCRATCH, 4), 0xabcd7788);
    sim_mmio_write(s, 0, SCRATCH + 1, 1, 0x5a);
    assert_int_equal(sim_mmio_read(s, 0, SCRATCH, 4), 0xabcd5a88);
    assert_int_equal(sim_mmio_read(s, 0, SCRATCH + 3, 1), 0xab);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_bar_relocation(void **state)
{
    (void)state;
    struct sim *s = itest_start("bar_relocation", (struct sim_opts){ 0 });
    itest_place_bars(s, false);
    sim_mmio_write(s, 0, SCRATCH, 4, 0xcafe);
    /* The guest moves BAR0 with decode on (Linux turns it off first; both
     * must work). */
    const uint64_t moved = 0xd0000000ull;
    sim_cfg_write(s, 0, VGPU_SBDF, 0x10, 4, (uint32_t)moved);
    assert_false(sim_claimed(s, SIM_RANGE_MMIO, BAR0_ADDR));
    assert_true(sim_claimed(s, SIM_RANGE_MMIO, moved));
    assert_int_equal(sim_mmio_read(s, 0, moved + 0x4000, 4), 0xcafe);
    assert_int_equal(sim_mmio_read(s, 0, SCRATCH, 4), 0xffffffff);
    /* Into the 64-bit space through the high dword. */
    sim_cfg_write(s, 0, VGPU_SBDF, 0x04, 2, 0);
    assert_false(sim_claimed(s, SIM_RANGE_MMIO, moved));
    sim_cfg_write(s, 0, VGPU_SBDF, 0x14, 4, 0x1);
    sim_cfg_write(s, 0, VGPU_SBDF, 0x04, 2, 0x2);
    assert_true(sim_claimed(s, SIM_RANGE_MMIO, 0x100000000ull | moved));
    assert_int_equal(sim_mmio_read(s, 0, 0x100000000ull + moved + 0x4000, 4), 0xcafe);
    /* An overlap with BAR2 is refused and leaves BAR0 unclaimed, not
     * half-mapped. */
    sim_cfg_write(s, 0, VGPU_SBDF, 0x14, 4, 0);
    sim_cfg_write(s, 0, VGPU_SBDF, 0x10, 4, (uint32_t)BAR2_ADDR);
    assert_true(sim_claimed(s, SIM_RANGE_MMIO, BAR2_ADDR));
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x00, 4), 0x19128086);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_pio_and_rep(void **state)
{
    (void)state;
    static const char *const args[] = { "--io-bar", NULL };
    struct sim *s = itest_start("pio_rep", (struct sim_opts){ .args = args });
    itest_place_bars(s, true);
    assert_true(sim_claimed(s, SIM_RANGE_PIO, IO_BAR_ADDR));
    /* MMIO_INDEX/MMIO_DATA reach the same registers as BAR0. */
    sim_pio_write(s, 0, IO_BAR_ADDR, 4, 0x4010);
    assert_int_equal(sim_pio_read(s, 0, IO_BAR_ADDR, 4), 0x4010);
    sim_pio_write(s, 0, IO_BAR_ADDR + 4, 4, 0xdeadbeef);
    assert_int_equal(sim_mmio_read(s, 0, BAR0_ADDR + 0x4010, 4), 0xdeadbeef);
    assert_int_equal(sim_pio_read(s, 0, IO_BAR_ADDR + 4, 4), 0xdeadbeef);
    assert_int_equal(sim_pio_read(s, 0, IO_BAR_ADDR + 8, 1), 0);
    assert_int_equal(sim_pio_read(s, 0, IO_BAR_ADDR + 8, 2), 0);

    uint8_t *ram = sim_ram(s);
    uint32_t *src = (uint32_t *)(ram + 0x10000);
    for (unsigned i = 0; i < 64; i++)
        src[i] = 0xa0000000u + i;

    /* rep movs guest RAM -> MMIO, ascending (df=0). */
    sim_rep(s, 0, true, false, SCRATCH, 4, 64, 0x10000, false);
    for (unsigned i = 0; i < 64; i += 21)
        assert_int_equal(sim_mmio_read(s, 0, SCRATCH + 4 * i, 4), 0xa0000000u + i);
    /* rep movs MMIO -> RAM, ascending. */
    sim_rep(s, 0, true, true, SCRATCH, 4, 64, 0x20000, false);
    assert_memory_equal(ram + 0x20000, ram + 0x10000, 256);
    /* Descending (df=1): both pointers walk down from the last item. */
    sim_rep(s, 0, true, true, SCRATCH + 4 * 63, 4, 64, 0x30000 + 4 * 63, true);
    assert_memory_equal(ram + 0x30000, ram + 0x10000, 256);
    memset(ram + 0x10000, 0x11, 256);
    sim_rep(s, 0, true, false, SCRATCH + 4 * 63, 4, 64, 0x10000 + 4 * 63, true);
    assert_int_equal(sim_mmio_read(s, 0, SCRATCH, 4), 0x11111111);
    assert_int_equal(sim_mmio_read(s, 0, SCRATCH + 252, 4), 0x11111111);
    /* 8-byte reps */
    uint64_t *q = (uint64_t *)(ram + 0x40000);
    for (unsigned i = 0; i < 8; i++)
        q[i] = 0x0102030405060708ull * (i + 1);
    sim_rep(s, 0, true, false, SCRATCH, 8, 8, 0x40000, false);
    assert_true(sim_mmio_read(s, 0, SCRATCH + 56, 8) == 0x0102030405060708ull * 8);

    /* rep outs to one port: every item lands on MMIO_DATA in turn. */
    uint32_t *outs = (uint32_t *)(ram + 0x50000);
    for (unsigned i = 0; i < 16; i++)
        outs[i] = 0x100 + i;
    sim_pio_write(s, 0, IO_BAR_ADDR, 4, 0x4000);
    sim_rep(s, 0, false, false, IO_BAR_ADDR + 4, 4, 16, 0x50000, false);
    assert_int_equal(sim_mmio_read(s, 0, BAR0_ADDR + 0x4000, 4), 0x10f);
    /* rep ins from one port fills the buffer, descending too. */
    sim_rep(s, 0, false, true, IO_BAR_ADDR + 4, 4, 16, 0x60000 + 60, true);
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(((uint32_t *)(ram + 0x60000))[i], 0x10f);
    /* 1 and 2-byte PIO */
    sim_pio_write(s, 0, IO_BAR_ADDR, 2, 0x4020);
    assert_int_equal(sim_pio_read(s, 0, IO_BAR_ADDR, 4), 0x4020);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_buffered(void **state)
{
    (void)state;
    static const char *const args[] = { "--io-bar", NULL };
    const char *log = itest_log_path("buffered");
    struct sim *s = itest_start("buffered", (struct sim_opts){ .args = args,
                                                                .log_path = log });
    itest_place_bars(s, true);
    /* Posted writes to the I/O window; the following synchronous read must
     * see them: the daemon drains the ring before every sync request. */
    assert_int_equal(sim_buffered_write(s, false, IO_BAR_ADDR, 4, 0x4040), 0);
    assert_int_equal(sim_buffered_write(s, false, IO_BAR_ADDR + 4, 4, 0x77), 0);
    assert_int_equal(sim_mmio_read(s, 0, BAR0_ADDR + 0x4040, 4), 0x77);
    /* Many, wrapping the 511-slot ring several times (Xen rebases the
     * pointers as they pass the ring size). */
    for (unsigned i = 0; i < 3000; i++) {
        while (sim_buffered_write(s, false, IO_BAR_ADDR + 4, 4, i) == -EAGAIN)
            usleep(100);
    }
    assert_int_equal(sim_buffered_drain(s, 5000), 0);
    assert_int_equal(sim_mmio_read(s, 0, BAR0_ADDR + 0x4040, 4), 2999);
    /* An 8-byte write takes two slots; unclaimed below 1 MiB, so the daemon
     * must consume both halves and refuse it as a whole. */
    assert_int_equal(sim_buffered_write(s, true, 0xa0000, 8, 0x1122334455667788ull), 0);
    /* Malformed: a buffered read, an unknown type. */
    buf_ioreq_t bad[2] = { { .type = 1, .dir = 1, .size = 2, .addr = 0x100, .data = 0 },
                           { .type = 9, .dir = 0, .size = 2, .addr = 0x100, .data = 0 } };
    assert_int_equal(sim_buffered_raw(s, bad, 2), 0);
    assert_int_equal(sim_buffered_drain(s, 5000), 0);
    /* Still in step: the next posted write is applied. */
    assert_int_equal(sim_buffered_write(s, false, IO_BAR_ADDR + 4, 4, 0x55), 0);
    assert_int_equal(sim_mmio_read(s, 0, BAR0_ADDR + 0x4040, 4), 0x55);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
    assert_int_equal(itest_stat(log, "buffered"), 3 + 3000 + 1 - 0);
}

#define HAMMER_VCPUS 4
#define HAMMER_ROUNDS 2000

struct hammer {
    struct sim *s;
    unsigned vcpu;
};

static void *hammer_vcpu(void *arg)
{
    struct hammer *h = arg;
    uint64_t reg = SCRATCH + 0x100 * h->vcpu;
    for (uint32_t i = 1; i <= HAMMER_ROUNDS; i++) {
        uint32_t v = (uint32_t)sim_mmio_read(h->s, h->vcpu, reg, 4);
        sim_mmio_write(h->s, h->vcpu, reg, 4, v + 1);
    }
    return NULL;
}

static void test_multi_vcpu(void **state)
{
    (void)state;
    const char *log = itest_log_path("multi_vcpu");
    struct sim *s = itest_start("multi_vcpu", (struct sim_opts){ .nr_vcpus = HAMMER_VCPUS,
                                                                  .log_path = log });
    itest_place_bars(s, false);
    pthread_t t[HAMMER_VCPUS];
    struct hammer h[HAMMER_VCPUS];
    for (unsigned i = 0; i < HAMMER_VCPUS; i++) {
        h[i] = (struct hammer){ s, i };
        assert_int_equal(pthread_create(&t[i], NULL, hammer_vcpu, &h[i]), 0);
    }
    for (unsigned i = 0; i < HAMMER_VCPUS; i++)
        pthread_join(t[i], NULL);
    for (unsigned i = 0; i < HAMMER_VCPUS; i++)
        assert_int_equal(sim_mmio_read(s, 0, SCRATCH + 0x100 * i, 4), HAMMER_ROUNDS);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
    /* Exactly the requests posted: none lost, none handled twice. */
    assert_int_equal(itest_stat(log, "mmio"),
                     HAMMER_VCPUS * HAMMER_ROUNDS * 2 + HAMMER_VCPUS);
}

#define MSI_CTRL 0xae
#define MSI_ADDR 0xb0
#define MSI_DATA 0xb4

static void test_msi_delivery(void **state)
{
    (void)state;
    struct sim *s = itest_start("msi", (struct sim_opts){ 0 });
    itest_place_bars(s, false);
    /* Capability chain: PCIe at 0x70, then MSI at 0xac. */
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x34, 1), 0x70);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x70, 1), 0x10);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x71, 1), 0xac);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0xac, 1), 0x05);
    /* Pipe A vblank unmasked and enabled, master on, but MSI still off:
     * nothing may be injected. */
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44404, 4, ~1u);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x4440c, 4, 1);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44200, 4, 0x80000000);
    usleep(100 * 1000);
    assert_int_equal(sim_msi_count(s), 0);
    /* The guest programs and enables MSI. */
    sim_cfg_write(s, 0, VGPU_SBDF, MSI_ADDR, 4, 0xfee00000);
    sim_cfg_write(s, 0, VGPU_SBDF, MSI_DATA, 2, 0x4041);
    sim_cfg_write(s, 0, VGPU_SBDF, MSI_CTRL, 2, 1);
    assert_true(sim_wait_msi(s, 1, 1000));
    struct sim_msi m = sim_msi_get(s, 0);
    assert_true(m.addr == 0xfee00000);
    assert_int_equal(m.data, 0x4041);
    /* The i915 handler: master off, read and ack IIR, master back on. */
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44200, 4, 0);
    assert_int_equal(sim_mmio_read(s, 0, BAR0_ADDR + 0x44200, 4) & 0x10000, 0x10000);
    uint32_t iir = (uint32_t)sim_mmio_read(s, 0, BAR0_ADDR + 0x44408, 4);
    assert_int_equal(iir & 1, 1);
    uint32_t fc0 = (uint32_t)sim_mmio_read(s, 0, BAR0_ADDR + 0x70040, 4);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44408, 4, iir);
    uint32_t after_ack = (uint32_t)sim_mmio_read(s, 0, BAR0_ADDR + 0x44408, 4);
    /* Cleared, unless the next vblank came in between (a loaded machine). */
    if ((uint32_t)sim_mmio_read(s, 0, BAR0_ADDR + 0x70040, 4) == fc0)
        assert_int_equal(after_ack, 0);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44200, 4, 0x80000000);
    /* Vblanks keep coming at ~60 Hz, one MSI each as the guest acks. */
    uint32_t before = sim_msi_count(s);
    for (uint32_t i = 1; i <= 3; i++) {
        assert_true(sim_wait_msi(s, before + i, 1000));
        sim_mmio_write(s, 0, BAR0_ADDR + 0x44200, 4, 0);
        sim_mmio_write(s, 0, BAR0_ADDR + 0x44408, 4, 1);
        sim_mmio_write(s, 0, BAR0_ADDR + 0x44200, 4, 0x80000000);
    }
    /* Masked in IMR: the events stop reaching IIR, so no more MSIs. */
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44404, 4, ~0u);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44408, 4, ~0u);
    uint32_t settled = sim_msi_count(s);
    usleep(150 * 1000);
    assert_int_equal(sim_msi_count(s), settled);
    /* Unmasked again: they resume. */
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44404, 4, ~1u);
    assert_true(sim_wait_msi(s, settled + 1, 1000));
    /* Pipe off: the vblank timer stops. */
    sim_mmio_write(s, 0, BAR0_ADDR + 0x70008, 4, 0);
    assert_int_equal(sim_mmio_read(s, 0, BAR0_ADDR + 0x70008, 4) & 0xc0000000, 0);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44408, 4, ~0u);
    settled = sim_msi_count(s);
    usleep(150 * 1000);
    assert_int_equal(sim_msi_count(s), settled);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_aperture_and_invalidate(void **state)
{
    (void)state;
    const char *log = itest_log_path("invalidate");
    /* The trapped aperture: each access maps the page its entry names now
     * (through the map cache that INVALIDATE drops). */
    static const char *const trapped[] = { "--aperture-ram=0", NULL };
    struct sim *s = itest_start("invalidate", (struct sim_opts){ .log_path = log,
                                                                 .args = trapped });
    itest_place_bars(s, false);
    uint8_t *ram = sim_ram(s);
    /* GGTT entry 5 -> guest frame 0x345, as two 4-byte halves. */
    sim_mmio_write(s, 0, BAR0_ADDR + (8u << 20) + 5 * 8, 4, 0x345000 | 1);
    sim_mmio_write(s, 0, BAR0_ADDR + (8u << 20) + 5 * 8 + 4, 4, 0);
    assert_true(sim_mmio_read(s, 0, BAR0_ADDR + (8u << 20) + 5 * 8, 8) == (0x345000 | 1));
    sim_mmio_write(s, 0, BAR2_ADDR + 5 * 4096 + 16, 4, 0x600dd00d);
    assert_int_equal(*(uint32_t *)(ram + 0x345000 + 16), 0x600dd00d);
    /* The physmap changed: Xen tells every server to drop its mappings. */
    ioreq_t inv = { .type = IOREQ_TYPE_INVALIDATE, .size = 0, .count = 1 };
    assert_int_equal(sim_ioreq(s, 0, &inv, 2000), 0);
    *(uint32_t *)(ram + 0x345000 + 20) = 0x12345678;
    assert_int_equal(sim_mmio_read(s, 0, BAR2_ADDR + 5 * 4096 + 20, 4), 0x12345678);
    /* A present entry to a frame beyond guest RAM: the scratch page. */
    sim_mmio_write(s, 0, BAR0_ADDR + (8u << 20) + 6 * 8, 8, 0x3fff0000000ull | 1);
    assert_int_equal(sim_mmio_read(s, 0, BAR2_ADDR + 6 * 4096, 4), 0);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
    assert_int_equal(itest_stat(log, "invalidate"), 1);
    assert_true(itest_stat(log, "maps") >= 2);
}

static void test_domain_death(void **state)
{
    (void)state;
    const char *log = itest_log_path("domain_death");
    struct sim *s = itest_start("domain_death", (struct sim_opts){ .nr_vcpus = 2,
                                                                    .log_path = log });
    itest_place_bars(s, false);
    sim_mmio_write(s, 1, SCRATCH, 4, 1);
    sim_kill_domain(s);
    int status = sim_wait_exit(s, 5000);
    assert_int_not_equal(status, -1);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(itest_log_contains(log, "is gone"));
    sim_stop(s);
}

static void test_sigterm_teardown(void **state)
{
    (void)state;
    struct sim *s = itest_start("sigterm", (struct sim_opts){ 0 });
    itest_place_bars(s, false);
    struct sim_shared *sh = sim_state(s);
    kill(sim_daemon_pid(s), SIGTERM);
    int status = sim_wait_exit(s, 5000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* Disabled, unclaimed, destroyed. */
    assert_int_equal(sh->server_destroyed, 1);
    assert_int_equal(sh->server_enabled, 0);
    for (int i = 0; i < SIM_MAX_RANGES; i++)
        assert_int_equal(sh->ranges[i].used, 0);
    sim_stop(s);
}

static void test_legacy_mapping_fallback(void **state)
{
    (void)state;
    const char *log = itest_log_path("legacy");
    struct sim *s = itest_start("legacy", (struct sim_opts){ .refuse_resource_api = true,
                                                              .nr_vcpus = 2,
                                                              .log_path = log });
    assert_true(sim_state(s)->legacy_info_calls > 0);
    assert_int_equal(sim_cfg_read(s, 1, VGPU_SBDF, 0x00, 4), 0x19128086);
    itest_place_bars(s, false);
    assert_true(sim_mmio_read(s, 1, PVINFO, 8) == VGT_MAGIC);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
    assert_true(itest_log_contains(log, "legacy gfn path"));
}

static void expect_safe(struct sim *s, ioreq_t req, uint64_t expect_data)
{
    assert_int_equal(sim_ioreq(s, 0, &req, 2000), 0);
    assert_int_equal(req.state, STATE_IORESP_READY);
    if (req.dir == IOREQ_READ && !req.data_is_ptr && req.data != expect_data) {
        fprintf(stderr, "type %u size %u addr %#llx: read %#llx, expected %#llx\n",
                req.type, req.size, (unsigned long long)req.addr,
                (unsigned long long)req.data, (unsigned long long)expect_data);
        fail();
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    const char *log = itest_log_path("bad_input");
    struct sim *s = itest_start("bad_input", (struct sim_opts){ .log_path = log });
    itest_place_bars(s, false);
    sim_mmio_write(s, 0, SCRATCH, 4, 0x1234);
    uint8_t *ram = sim_ram(s);
    /* Unknown type. */
    expect_safe(s, (ioreq_t){ .type = 5, .dir = IOREQ_READ, .size = 4, .count = 1,
                              .addr = SCRATCH }, 0xffffffff);
    /* Sizes 0, 3, 16. */
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = IOREQ_READ, .size = 0,
                              .count = 1, .addr = SCRATCH }, ~0ull);
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = IOREQ_READ, .size = 3,
                              .count = 1, .addr = SCRATCH }, ~0ull);
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = IOREQ_WRITE, .size = 16,
                              .count = 1, .addr = SCRATCH, .data = 0 }, 0);
    /* 8-byte port I/O does not exist. */
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_PIO, .dir = IOREQ_READ, .size = 8,
                              .count = 1, .addr = 0xcf8 }, ~0ull);
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_PIO, .dir = IOREQ_READ, .size = 2,
                              .count = 1, .addr = 0xcf8 }, 0xffff);
    /* Count overflowing the address, up and down; count 0; huge count. */
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = IOREQ_WRITE, .size = 8,
                              .count = 4, .addr = ~0ull - 8, .data = 0x1000,
                              .data_is_ptr = 1 }, 0);
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = IOREQ_WRITE, .size = 4,
                              .count = 4, .addr = 4, .df = 1, .data = 0x1000,
                              .data_is_ptr = 1 }, 0);
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = IOREQ_READ, .size = 4,
                              .count = 0, .addr = SCRATCH }, 0xffffffff);
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = IOREQ_READ, .size = 4,
                              .count = 0xffffffff, .addr = SCRATCH, .data = 0x1000,
                              .data_is_ptr = 1 }, 0);
    /* data_is_ptr outside guest RAM, both directions. */
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = IOREQ_READ, .size = 4,
                              .count = 2, .addr = SCRATCH, .data = 0x7f0000000ull,
                              .data_is_ptr = 1 }, 0);
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = IOREQ_WRITE, .size = 4,
                              .count = 2, .addr = SCRATCH, .data = ~0ull - 2,
                              .data_is_ptr = 1 }, 0);
    /* A read into the last bytes of RAM that would run past its end. */
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = IOREQ_READ, .size = 4,
                              .count = 4, .addr = SCRATCH,
                              .data = sim_ram_size(s) - 8, .data_is_ptr = 1 }, 0);
    /* Unclaimed address and SBDF reaching the daemon anyway. */
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = IOREQ_READ, .size = 4,
                              .count = 1, .addr = 0x12345000 }, 0xffffffff);
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_PCI_CONFIG, .dir = IOREQ_READ,
                              .size = 4, .count = 1, .addr = (uint64_t)(5u << 3) << 32 },
                0xffffffff);
    /* Config access past the space, and with a size of 8. */
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_PCI_CONFIG, .dir = IOREQ_READ,
                              .size = 4, .count = 1,
                              .addr = (uint64_t)VGPU_SBDF << 32 | 0x1ffe }, 0xffffffff);
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_PCI_CONFIG, .dir = IOREQ_READ,
                              .size = 8, .count = 1, .addr = (uint64_t)VGPU_SBDF << 32 },
                ~0ull);
    /* A read straddling the end of BAR0. */
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = IOREQ_READ, .size = 8,
                              .count = 1, .addr = BAR0_ADDR + (16u << 20) - 4 },
                ~0ull);
    /* Misaligned register access. */
    expect_safe(s, (ioreq_t){ .type = IOREQ_TYPE_COPY, .dir = IOREQ_READ, .size = 4,
                              .count = 1, .addr = SCRATCH + 1 }, 0xffffffff);
    /* Nothing was written into guest RAM out of bounds and state held. */
    assert_int_equal(ram[0x1000], 0);
    assert_int_equal(sim_mmio_read(s, 0, SCRATCH, 4), 0x1234);
    assert_true(sim_daemon_running(s));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
    assert_true(itest_log_contains(log, "rejected ioreq"));
    assert_true(itest_stat(log, "rejected") >= 12);
}

static void test_timeoffset(void **state)
{
    (void)state;
    struct sim *s = itest_start("timeoffset", (struct sim_opts){ 0 });
    ioreq_t t = { .type = IOREQ_TYPE_TIMEOFFSET, .data = (uint64_t)-3600, .count = 1,
                  .size = 8 };
    assert_int_equal(sim_ioreq(s, 0, &t, 2000), 0);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x00, 2), 0x8086);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_usage_errors(void **state)
{
    (void)state;
    /* Bad command lines exit 2 before touching Xen; a missing domain 3. */
    static const char *const bad_type[] = { "--type", "GVTg_V9_9", NULL };
    struct sim *s = sim_start(&(struct sim_opts){ .args = bad_type, .no_wait_ready = true,
                                                  .log_path = itest_log_path("usage") });
    assert_non_null(s);
    int status = sim_wait_exit(s, 5000);
    assert_int_equal(WEXITSTATUS(status), 2);
    sim_stop(s);
    static const char *const other_dom[] = { "--domid", "99", NULL };
    s = sim_start(&(struct sim_opts){ .args = other_dom, .no_wait_ready = true,
                                      .log_path = itest_log_path("nodomain") });
    assert_non_null(s);
    status = sim_wait_exit(s, 5000);
    assert_int_equal(WEXITSTATUS(status), 3);
    sim_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pci_identity),
        cmocka_unit_test(test_answer_before_unmask),
        cmocka_unit_test(test_bar_sizing_and_pvinfo),
        cmocka_unit_test(test_bar_relocation),
        cmocka_unit_test(test_pio_and_rep),
        cmocka_unit_test(test_buffered),
        cmocka_unit_test(test_multi_vcpu),
        cmocka_unit_test(test_msi_delivery),
        cmocka_unit_test(test_aperture_and_invalidate),
        cmocka_unit_test(test_domain_death),
        cmocka_unit_test(test_sigterm_teardown),
        cmocka_unit_test(test_legacy_mapping_fallback),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_timeoffset),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests_name("ioreq", tests, NULL, NULL);
}
