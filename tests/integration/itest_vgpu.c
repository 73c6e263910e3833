/* The GVT-g guest interface through the real daemon: the i915 vGPU probe
 * order, PVINFO, GGTT, fences, OpRegion and the interrupt tree. */
#include "itest.h"

#include <sys/wait.h>
#include <unistd.h>

#define PVINFO (BAR0_ADDR + 0x78000)
#define GGTT (BAR0_ADDR + (8u << 20))
#define VGT_MAGIC 0x4776544776544776ull

static struct sim *start_placed(const char *name, const char *log)
{
    struct sim *s = itest_start(name, (struct sim_opts){ .log_path = log });
    itest_place_bars(s, false);
    return s;
}

static void test_i915_probe_order(void **state)
{
    (void)state;
    struct sim *s = itest_start("probe", (struct sim_opts){ 0 });
    /* Early quirks: GMCH and BDSM before anything is mapped. */
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x50, 2) >> 6 & 3, 3);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x5c, 4), 0);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x00, 4), 0x19128086);
    itest_place_bars(s, false);
    /* i915_detect_vgpu: the very first BAR0 access is an 8-byte read. */
    assert_true(sim_mmio_read(s, 0, PVINFO, 8) == VGT_MAGIC);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 8, 2), 1);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 0x10, 4), 0x1c);
    /* Everything in the host half refuses writes, at any size. */
    sim_mmio_write(s, 0, PVINFO + 0x44, 2, 0);
    sim_mmio_write(s, 0, PVINFO + 0x50, 1, 0);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 0x44, 4), 128u << 20);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 0x50, 4), 4);
    /* The guest's half: cursor hot spots reset to ~0, g2v, display_ready. */
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 0x830, 4), 0xffffffff);
    sim_mmio_write(s, 0, PVINFO + 0x818, 4, 4); /* L4 PPGTT create */
    sim_mmio_write(s, 0, PVINFO + 0x804, 4, 1);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 0x804, 4), 1);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_types(void **state)
{
    (void)state;
    static const char *const v58[] = { "--type", "GVTg_V5_8", NULL };
    struct sim *s = itest_start("type_v5_8", (struct sim_opts){ .args = v58 });
    itest_place_bars(s, false);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 0x44, 4), 64u << 20);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 0x48, 4), 256u << 20);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 0x4c, 4), 384u << 20);
    /* Its monitor prefers the largest mode it can scan out, not 1080p. */
    char line[512];
    void *edid = NULL;
    size_t elen = 0;
    assert_int_equal(sim_control(s, "{\"cmd\":\"edid\"}", line, sizeof(line), &edid, &elen), 0);
    assert_int_equal(elen, 128);
    const uint8_t *e = edid;
    assert_int_equal(e[0x38] | (e[0x3a] & 0xf0) << 4, 1024); /* first timing */
    assert_int_equal(e[0x3b] | (e[0x3d] & 0xf0) << 4, 768);
    free(edid);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
    /* A smaller aperture slice (--aperture): PVINFO says so, the BAR and
     * the hidden slice stay, and the rest of the slice is not the guest's. */
    static const char *const small[] = { "--aperture", "4", NULL };
    s = itest_start("type_small_aperture", (struct sim_opts){ .args = small });
    itest_place_bars(s, false);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 0x44, 4), 4u << 20);
    assert_int_equal(sim_mmio_read(s, 0, PVINFO + 0x48, 4), 256u << 20);
    memcpy((uint8_t *)sim_ram(s) + 0x101000, "in-slice", 8);
    sim_mmio_write(s, 0, GGTT + 8 * 1, 8, 0x101000 | 1);
    sim_mmio_write(s, 0, GGTT + 8 * 1024, 8, 0x101000 | 1); /* 4 MiB: outside */
    sim_mmio_write(s, 0, BAR0_ADDR + 0x101008, 4, 1); /* i915's GGTT invalidate */
    assert_true(sim_mmio_read(s, 0, BAR2_ADDR + 4096, 8) == *(uint64_t *)"in-slice");
    assert_int_equal(sim_mmio_read(s, 0, BAR2_ADDR + (4u << 20), 8), 0);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
    static const char *const too_big[] = { "--aperture", "129", NULL };
    s = itest_start("type_big_aperture", (struct sim_opts){ .args = too_big, .no_wait_ready = true });
    assert_int_equal(WEXITSTATUS(sim_wait_exit(s, 10000)), 2);
    sim_stop(s);
    /* V5_1 needs a 512 MiB aperture BAR. */
    static const char *const v51[] = { "--type", "GVTg_V5_1", NULL };
    s = itest_start("type_v5_1", (struct sim_opts){ .args = v51 });
    sim_cfg_write(s, 0, VGPU_SBDF, 0x18, 4, 0xffffffff);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x18, 4), 0xe000000c);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* The GGTT as a trapped table (--trap-ggtt, or when Xen gives no RAM):
 * every store an ioreq, the guest's view read back from the daemon. */
static void test_ggtt(void **state)
{
    (void)state;
    const char *log = itest_log_path("ggtt");
    /* Both trapped: each aperture access goes through the entry as the
     * daemon holds it at that moment. */
    static const char *const trap[] = { "--trap-ggtt", "--aperture-ram=0", NULL };
    struct sim *s = itest_start("ggtt", (struct sim_opts){ .log_path = log, .args = trap });
    itest_place_bars(s, false);
    assert_true(sim_claimed(s, SIM_RANGE_MMIO, GGTT));
    assert_null(sim_phys(s, GGTT));
    uint8_t *ram = sim_ram(s);
    /* 8-byte and split writes read back and translate. */
    sim_mmio_write(s, 0, GGTT + 8 * 1, 8, 0x00101000 | 1);
    sim_mmio_write(s, 0, GGTT + 8 * 2, 4, 0x00102000 | 1);
    sim_mmio_write(s, 0, GGTT + 8 * 2 + 4, 4, 0);
    assert_true(sim_mmio_read(s, 0, GGTT + 8, 8) == (0x00101000 | 1));
    assert_int_equal(sim_mmio_read(s, 0, GGTT + 16, 4), 0x00102001);
    assert_int_equal(sim_mmio_read(s, 0, GGTT + 20, 4), 0);
    memcpy(ram + 0x101000, "page-one", 8);
    memcpy(ram + 0x102000, "page-two", 8);
    assert_true(sim_mmio_read(s, 0, BAR2_ADDR + 4096, 8) == *(uint64_t *)"page-one");
    assert_true(sim_mmio_read(s, 0, BAR2_ADDR + 8192, 8) == *(uint64_t *)"page-two");
    sim_mmio_write(s, 0, BAR2_ADDR + 8192 + 4, 4, 0x21212121);
    assert_memory_equal(ram + 0x102004, "!!!!", 4);
    /* Outside guest RAM: reads back as written (the guest's view), maps
     * the scratch page (reads zero, writes vanish), and is logged. */
    sim_mmio_write(s, 0, GGTT + 8 * 3, 8, 0x7fff000000ull | 1);
    assert_true(sim_mmio_read(s, 0, GGTT + 24, 8) == (0x7fff000000ull | 1));
    assert_int_equal(sim_mmio_read(s, 0, BAR2_ADDR + 3 * 4096, 4), 0);
    sim_mmio_write(s, 0, BAR2_ADDR + 3 * 4096, 4, 0x55);
    /* Not present: scratch too. */
    assert_int_equal(sim_mmio_read(s, 0, BAR2_ADDR + 9 * 4096, 4), 0);
    /* An entry outside both slices (the gap between the aperture slice
     * and the aperture BAR's end) is not the guest's: dropped. */
    uint32_t gap_idx = (192u << 20) >> 12;
    sim_mmio_write(s, 0, GGTT + 8ull * gap_idx, 8, 0x101000 | 1);
    assert_int_equal(sim_mmio_read(s, 0, GGTT + 8ull * gap_idx, 4), 0);
    /* The hidden slice is the guest's. */
    uint32_t hidden_idx = (256u << 20) >> 12;
    sim_mmio_write(s, 0, GGTT + 8ull * hidden_idx, 8, 0x103000 | 1);
    assert_int_equal(sim_mmio_read(s, 0, GGTT + 8ull * hidden_idx, 4), 0x103001);
    char line[4096];
    assert_int_equal(sim_control(s, "{\"cmd\":\"status\"}", line, sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ggtt_dropped\":1,"));
    assert_non_null(strstr(line, "\"ggtt_invalid\":1,"));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
    assert_true(itest_log_contains(log, "is not guest memory: scratch page"));
}

static void test_fences(void **state)
{
    (void)state;
    struct sim *s = start_placed("fences", NULL);
    /* GVTg_V5_4 owns 4 fences. */
    sim_mmio_write(s, 0, BAR0_ADDR + 0x100000 + 3 * 8, 8, 0x123456789abcdef0ull);
    assert_true(sim_mmio_read(s, 0, BAR0_ADDR + 0x100000 + 3 * 8, 8) == 0x123456789abcdef0ull);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x100000 + 4 * 8, 8, 0x1111);
    assert_int_equal(sim_mmio_read(s, 0, BAR0_ADDR + 0x100000 + 4 * 8, 8), 0);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x100000 + 15 * 8 + 4, 4, 0x2222);
    assert_int_equal(sim_mmio_read(s, 0, BAR0_ADDR + 0x100000 + 15 * 8 + 4, 4), 0);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void check_opregion_header(const uint8_t *op)
{
    assert_memory_equal(op, "IntelGraphicsMem", 16);
    assert_int_equal(op[0x10], 8);          /* size in KiB */
    assert_int_equal(op[0x1ac], 3);         /* lid open */
    const uint8_t *vbt = op + 0x400;
    assert_memory_equal(vbt, "$VBT", 4);
    unsigned vbt_size = vbt[24] | vbt[25] << 8;
    uint8_t sum = 0;
    for (unsigned i = 0; i < vbt_size; i++)
        sum = (uint8_t)(sum + vbt[i]);
    assert_int_equal(sum, 0);
    const uint8_t *bdb = vbt + (vbt[28] | vbt[29] << 8);
    assert_memory_equal(bdb, "BIOS_DATA_BLOCK ", 16);
    /* Find the general definitions block and its one child: DP on port D. */
    const uint8_t *p = bdb + (bdb[18] | bdb[19] << 8);
    const uint8_t *end = bdb + (bdb[20] | bdb[21] << 8);
    const uint8_t *defs = NULL;
    while (p + 3 <= end) {
        unsigned size = p[1] | p[2] << 8;
        if (p[0] == 2)
            defs = p + 3;
        p += 3 + size;
    }
    assert_non_null(defs);
    assert_int_equal(defs[4], 33);
    const uint8_t *child = defs + 5;
    assert_int_equal(child[2] | child[3] << 8, 0x68c6); /* DEVICE_TYPE_DP */
    assert_int_equal(child[16], 9);                      /* DVO_PORT_DPD */
    assert_int_equal(child[25], 0x30);                   /* DP_AUX_D */
}

static void test_opregion_in_mmio_hole(void **state)
{
    (void)state;
    struct sim *s = start_placed("opregion_hole", NULL);
    /* hvmloader's choice: pages in the MMIO hole, above guest RAM. */
    const uint64_t asls = 0xfdffc000ull;
    sim_cfg_write(s, 0, VGPU_SBDF, 0xfc, 4, (uint32_t)asls);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0xfc, 4), (uint32_t)asls);
    assert_true(sim_claimed(s, SIM_RANGE_MMIO, asls));
    assert_true(sim_claimed(s, SIM_RANGE_MMIO, asls + 0x1fff));
    /* Finding that the pages are not RAM is no fault of the guest's: a
     * normal boot warns of nothing (real Xen logged "guest memory access
     * ... refused: unmappable page" on every boot). */
    assert_int_equal(itest_status_field(s, "guest_warnings"), 0);
    assert_int_equal(itest_status_field(s, "map_cache_faults"), 0);
    static uint8_t op[0x2000];
    for (unsigned i = 0; i < sizeof(op); i += 8) {
        uint64_t q = sim_mmio_read(s, 0, asls + i, 8);
        memcpy(op + i, &q, 8);
    }
    check_opregion_header(op);
    /* The signature is firmware's: writes to it vanish. */
    sim_mmio_write(s, 0, asls, 4, 0);
    assert_int_equal(sim_mmio_read(s, 0, asls, 1), 'I');
    /* SWSCI: "which BIOS data calls are supported?" answered with none. */
    sim_mmio_write(s, 0, asls + 0x200, 4, (4u << 1) | 1u); /* func 4, sub 0 */
    sim_mmio_write(s, 0, asls + 0x204, 4, 0xdead);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xe8, 2, 0x8001);
    assert_int_equal(sim_mmio_read(s, 0, asls + 0x200, 4), 0);
    assert_int_equal(sim_mmio_read(s, 0, asls + 0x204, 4), 0);
    /* No new 0->1 transition: nothing happens. */
    sim_mmio_write(s, 0, asls + 0x200, 4, (4u << 1) | 1u);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xe8, 2, 0x8001);
    assert_int_equal(sim_mmio_read(s, 0, asls + 0x200, 4), (4u << 1) | 1u);
    /* A runtime service: unsupported, the indicator cleared. */
    sim_cfg_write(s, 0, VGPU_SBDF, 0xe8, 2, 0x8000);
    sim_mmio_write(s, 0, asls + 0x200, 4, (6u << 1) | (5u << 8) | (1u << 5) | 1u);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xe8, 2, 0x8001);
    assert_int_equal(sim_mmio_read(s, 0, asls + 0x200, 4), (6u << 1) | (5u << 8));
    /* Moving ASLS releases the old range. */
    sim_cfg_write(s, 0, VGPU_SBDF, 0xfc, 4, 0xfdff0000);
    assert_false(sim_claimed(s, SIM_RANGE_MMIO, asls));
    assert_true(sim_claimed(s, SIM_RANGE_MMIO, 0xfdff0000));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_opregion_in_ram(void **state)
{
    (void)state;
    struct sim *s = start_placed("opregion_ram", NULL);
    uint8_t *ram = sim_ram(s);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xfc, 4, 0x00200000);
    assert_false(sim_claimed(s, SIM_RANGE_MMIO, 0x00200000));
    check_opregion_header(ram + 0x200000);
    /* SWSCI through guest RAM. */
    uint32_t scic = (4u << 1) | (1u << 8) | 1u;
    memcpy(ram + 0x200200, &scic, 4);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xe8, 2, 0x8001);
    memcpy(&scic, ram + 0x200200, 4);
    assert_int_equal(scic, 0);
    /* Unaligned and absurd values are refused, not obeyed. */
    sim_cfg_write(s, 0, VGPU_SBDF, 0xfc, 4, 0x00200123);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0xfc, 4), 0x00200000);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_msi_exactly_once(void **state)
{
    (void)state;
    struct sim *s = start_placed("msi_once", NULL);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xb0, 4, 0xfee00000);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xb4, 2, 0x30);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xae, 2, 1);
    /* Enabled in IER and master, but masked in IMR: none. */
    sim_mmio_write(s, 0, BAR0_ADDR + 0x4440c, 4, 1);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44200, 4, 0x80000000);
    usleep(120 * 1000);
    assert_int_equal(sim_msi_count(s), 0);
    assert_int_equal(sim_mmio_read(s, 0, BAR0_ADDR + 0x44408, 4), 0);
    /* Unmasked: the next vblank interrupts once, and however many more
     * vblanks go by, no second MSI until the guest acknowledges. */
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44404, 4, ~1u);
    assert_true(sim_wait_msi(s, 1, 1000));
    usleep(120 * 1000);
    assert_int_equal(sim_msi_count(s), 1);
    assert_int_equal(sim_mmio_read(s, 0, BAR0_ADDR + 0x44200, 4), 0x80010000);
    /* Acknowledged: the next one interrupts again. */
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44408, 4, 1);
    assert_true(sim_wait_msi(s, 2, 1000));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_intx_fallback(void **state)
{
    (void)state;
    struct sim *s = start_placed("intx", NULL);
    struct sim_shared *sh = sim_state(s);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44404, 4, ~1u);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x4440c, 4, 1);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44200, 4, 0x80000000);
    for (int i = 0; i < 100 && !sh->intx_level; i++)
        usleep(10 * 1000);
    assert_int_equal(sh->intx_level, 1);
    assert_int_equal(sim_msi_count(s), 0);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x06, 2) & 0x8, 0x8);
    /* Masking the master drops the line. */
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44200, 4, 0);
    assert_int_equal(sh->intx_level, 0);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_host_identity(void **state)
{
    (void)state;
    /* A Kaby Lake host: its ids are presented. */
    setenv("XENGVT_SIM_HOST_GPU", "8086:5912:04:1028:0768", 1);
    struct sim *s = itest_start("host_kbl", (struct sim_opts){ 0 });
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x00, 4), 0x59128086);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x08, 1), 0x04);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x2c, 4), 0x07681028);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
    /* The command line wins. */
    static const char *const id[] = { "--device-id", "0x191b", NULL };
    s = itest_start("host_cli", (struct sim_opts){ .args = id });
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x02, 2), 0x191b);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
    /* A Tiger Lake host takes other paths: Skylake GT2 it stays. */
    setenv("XENGVT_SIM_HOST_GPU", "8086:9a49:01:8086:2212", 1);
    s = itest_start("host_tgl", (struct sim_opts){ 0 });
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x02, 2), 0x1912);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
    unsetenv("XENGVT_SIM_HOST_GPU");
}

static uint32_t rd(struct sim *s, uint32_t off)
{
    return (uint32_t)sim_mmio_read(s, 0, BAR0_ADDR + off, 4);
}

static void wr(struct sim *s, uint32_t off, uint32_t val)
{
    sim_mmio_write(s, 0, BAR0_ADDR + off, 4, val);
}

static void test_probe_registers(void **state)
{
    (void)state;
    struct sim *s = start_placed("probe_regs", NULL);
    /* Forcewake: the ack follows the masked request, per domain. */
    static const uint32_t fw[3][2] = { { 0xa278, 0x0d84 }, { 0xa270, 0x0d88 },
                                       { 0xa188, 0x130044 } };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rd(s, fw[i][1]) & 1, 0);
        wr(s, fw[i][0], 0x00010001);
        assert_int_equal(rd(s, fw[i][1]) & 1, 1);
        wr(s, fw[i][0], 0x00000000); /* no enable bits: no change */
        assert_int_equal(rd(s, fw[i][1]) & 1, 1);
        wr(s, fw[i][0], 0x00010000);
        assert_int_equal(rd(s, fw[i][1]) & 1, 0);
    }
    /* Engine reset handshake and ring stop. */
    wr(s, 0x2000 + 0xd0, 0x00010001);
    assert_int_equal(rd(s, 0x20d0) & 3, 3);
    wr(s, 0x2000 + 0xd0, 0x00010000);
    assert_int_equal(rd(s, 0x20d0) & 3, 0);
    wr(s, 0x2000 + 0x9c, 0x01000100);
    assert_int_equal(rd(s, 0x209c) & 0x300, 0x300);
    wr(s, 0x2000 + 0x9c, 0x01000000);
    assert_int_equal(rd(s, 0x209c) & 0x300, 0x200); /* running again, nothing to run */
    /* pcode: both memory-latency reads, cdclk change, RC6 VIDs. */
    wr(s, 0x138128, 0);
    wr(s, 0x13812c, 0);
    wr(s, 0x138124, 0x80000006);
    assert_int_equal(rd(s, 0x138124) & 0x800000ff, 0);
    assert_int_equal(rd(s, 0x138128), 0x1e1a1100);
    wr(s, 0x138128, 1);
    wr(s, 0x138124, 0x80000006);
    assert_int_equal(rd(s, 0x138128), 0x61514b3d);
    wr(s, 0x138128, 3);
    wr(s, 0x138124, 0x80000007);
    assert_int_equal(rd(s, 0x138128), 1);
    wr(s, 0x138128, 0);
    wr(s, 0x138124, 0x80000005);
    assert_int_equal(rd(s, 0x138128) & 1, 1);
    /* GuC status: in reset once. */
    assert_int_equal(rd(s, 0xc000) & 1, 1);
    assert_int_equal(rd(s, 0xc000) & 1, 0);
    /* TLB invalidations complete at once; FPGA_DBG's NOCLAIM clears. */
    wr(s, 0x4260, 1);
    assert_int_equal(rd(s, 0x4260), 0);
    wr(s, 0x4270, 1);
    assert_int_equal(rd(s, 0x4270), 0);
    wr(s, 0x42300, 0x80000000);
    assert_int_equal(rd(s, 0x42300) >> 31, 0);
    /* Two DRAM channels of 8 GB. */
    assert_int_equal(rd(s, 0x14500c) & 0x3f, 8);
    assert_int_equal(rd(s, 0x145010) & 0x3f, 8);
    /* Fuses: one slice, three subslices; power-gate fuses distributed. */
    assert_int_equal(rd(s, 0x9120) >> 25 & 7, 1);
    assert_int_equal(rd(s, 0x42000) & 0x8e000000, 0x8e000000);
    /* Power wells and DBUF follow their requests. */
    wr(s, 0x45404, 0xa0000002);
    assert_int_equal(rd(s, 0x45404), 0xf0000003);
    wr(s, 0x45404, 0x20000000);
    assert_int_equal(rd(s, 0x45404), 0x30000000);
    wr(s, 0x45008, 0);
    assert_int_equal(rd(s, 0x45008) & 0xc0000000, 0);
    wr(s, 0x45008, 0x80000000);
    assert_int_equal(rd(s, 0x45008) & 0xc0000000, 0xc0000000);
    /* PLLs lock when enabled; DPLL_STATUS follows. */
    assert_int_equal(rd(s, 0x46010) >> 30, 3);
    assert_int_equal(rd(s, 0x6c060) & 1, 1);
    wr(s, 0x46040, 0x80000000);
    assert_int_equal(rd(s, 0x46040) >> 30, 3);
    assert_int_equal(rd(s, 0x6c060) & 0x10101, 0x10001);
    wr(s, 0x46040, 0);
    assert_int_equal(rd(s, 0x6c060) & 0x10000, 0);
    /* The virtual monitor's plumbing on port D. */
    assert_int_equal(rd(s, 0x60400) >> 28, 0xb); /* enabled, DDI D */
    assert_int_equal(rd(s, 0x64300) & 0x80000080, 0x80000000);
    wr(s, 0x64300, 0);
    assert_int_equal(rd(s, 0x64300) & 0x80, 0x80);
    wr(s, 0x64300, 0x80000000);
    assert_int_equal(rd(s, 0x64300) & 0x80, 0);
    wr(s, 0x64340, 0x80000200);
    assert_int_equal(rd(s, 0x64344) >> 25 & 1, 1);
    assert_int_equal(rd(s, 0xc2014) & 1, 1);
    assert_int_equal(rd(s, 0xc4000) >> 23 & 1, 1);
    assert_int_equal(rd(s, 0x70008) >> 30, 3);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_gdrst_full_reset(void **state)
{
    (void)state;
    struct sim *s = start_placed("gdrst", NULL);
    wr(s, 0x4000, 0x1234);                  /* GT register storage */
    wr(s, 0xa278, 0x00010001);              /* forcewake held */
    sim_mmio_write(s, 0, GGTT + 8, 8, 0x101000 | 1);
    wr(s, 0x100000, 0x55);                  /* fence 0 */
    wr(s, 0x941c, 1);                       /* GRDOM_FULL */
    assert_int_equal(rd(s, 0x941c), 0);     /* done at once */
    assert_int_equal(rd(s, 0x4000), 0);
    assert_int_equal(rd(s, 0x0d84) & 1, 0);
    assert_int_equal(rd(s, 0x100000), 0);
    /* Not reset: GGTT, display, PVINFO. */
    assert_true(sim_mmio_read(s, 0, GGTT + 8, 8) == (0x101000 | 1));
    assert_int_equal(rd(s, 0x70008) >> 31, 1);
    assert_true(sim_mmio_read(s, 0, PVINFO, 8) == VGT_MAGIC);
    /* An engine-only reset changes no storage. */
    wr(s, 0x4000, 0x77);
    wr(s, 0x941c, 2);
    assert_int_equal(rd(s, 0x941c), 0);
    assert_int_equal(rd(s, 0x4000), 0x77);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_flr(void **state)
{
    (void)state;
    struct sim *s = start_placed("flr", NULL);
    /* The PCIe capability advertises FLR. */
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x72, 2) >> 4 & 0xf, 9);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x74, 4) >> 28 & 1, 1);
    wr(s, 0x4000, 0x1234);
    sim_mmio_write(s, 0, GGTT + 8, 8, 0x101000 | 1);
    wr(s, 0x70008, 0);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xae, 2, 1); /* MSI on */
    sim_cfg_write(s, 0, VGPU_SBDF, 0x78, 2, 0x8000);
    /* Decode off (BARs unclaimed), MSI off, the bit reads back 0. */
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x78, 2) & 0x8000, 0);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0x04, 2) & 7, 0);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0xae, 2) & 1, 0);
    assert_false(sim_claimed(s, SIM_RANGE_MMIO, BAR0_ADDR));
    /* Linux restores the command register: everything is back at reset. */
    sim_cfg_write(s, 0, VGPU_SBDF, 0x04, 2, 0x6);
    assert_int_equal(rd(s, 0x4000), 0);
    assert_true(sim_mmio_read(s, 0, GGTT + 8, 8) == 0);
    assert_int_equal(rd(s, 0x70008) >> 30, 3);
    assert_true(sim_mmio_read(s, 0, PVINFO, 8) == VGT_MAGIC);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_i915_probe_order),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_ggtt),
        cmocka_unit_test(test_fences),
        cmocka_unit_test(test_opregion_in_mmio_hole),
        cmocka_unit_test(test_opregion_in_ram),
        cmocka_unit_test(test_msi_exactly_once),
        cmocka_unit_test(test_intx_fallback),
        cmocka_unit_test(test_host_identity),
        cmocka_unit_test(test_probe_registers),
        cmocka_unit_test(test_gdrst_full_reset),
        cmocka_unit_test(test_flr),
    };
    return cmocka_run_group_tests_name("vgpu", tests, NULL, NULL);
}
