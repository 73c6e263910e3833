/* Fuzz target: the vGPU's BAR0 as the guest's driver sees it -- the
 * register file (masked, W1C, read-only, hooks), PVINFO and its g2v
 * notifications, the GGTT, interrupts, forcewake, resets, fences -- and,
 * built with FOCUS_DISPLAY, the display: DP AUX (DPCD, I2C-over-AUX EDID),
 * GMBUS, pipes, planes and cursor, with guest RAM holding the surfaces and
 * every frame captured through the plane decoder.
 *
 * Record: flags (1) | offset (3) | value (8). */
#include "vgpu_dev.h"
#include "gvt/vgpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct window {
    uint32_t base, size;
};

#ifdef FOCUS_DISPLAY
static const struct window windows[] = {
    { 0x64300, 0x100 },   /* DP AUX channels */
    { 0xc5100, 0x40 },    /* GMBUS */
    { 0x70000, 0x2000 },  /* pipe A, planes, cursor */
    { 0x60000, 0x1000 },  /* transcoder A timings */
    { 0x44400, 0x100 },   /* DE interrupts */
    { 0x800000, 0x800000 }, /* the GGTT: surfaces' translations */
    { 0x46000, 0x1000 },  /* DDI, PLLs */
    { 0x0, 0x1000000 },   /* anywhere */
};
#else
static const struct window windows[] = {
    { 0x78000, 0x1000 },  /* PVINFO */
    { 0x800000, 0x800000 }, /* GGTT */
    { 0x44000, 0x1000 },  /* GT and DE interrupts */
    { 0x2000, 0x1000 },   /* render engine */
    { 0xa000, 0x1000 },   /* forcewake, GT power */
    { 0x100000, 0x1000 }, /* fences */
    { 0x0, 0x200000 },    /* the register file */
    { 0x0, 0x1000000 },   /* anywhere */
};
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_dev d;
    fuzz_dev_start(&d, NULL);
    fuzz_place_bars(&d);
    const uint8_t *p = data, *end = data + size;
    unsigned ops = 0;
    while (p < end && ops++ < 4096) {
        unsigned f = (unsigned)fuzz_take(&p, end, 1);
        uint32_t off = (uint32_t)fuzz_take(&p, end, 3);
        uint64_t val = fuzz_take(&p, end, 8);
        const struct window *w = &windows[f & 7];
        off = w->base + off % w->size;
        unsigned sz = 1u << ((f >> 3) & 3);
        switch (f >> 5) {
        case 0: case 1: case 2:
            fuzz_mmio(&d, FUZZ_BAR0 + off, sz, 1, val);
            break;
        case 3: case 4:
            fuzz_mmio(&d, FUZZ_BAR0 + off, sz, 0, 0);
            break;
        case 5: {
            /* Guest RAM: 8 bytes anywhere in the first 32 MiB (surfaces,
             * the GGTT's target pages). */
            uint64_t gpa = ((uint64_t)off << 3) % (32u << 20);
            memcpy(fx.ram + gpa, &val, 8);
            break;
        }
        case 6:
            /* The aperture: through the GGTT into guest RAM. */
            fuzz_mmio(&d, FUZZ_BAR2 + ((uint64_t)off << 4) % (128u << 20), sz, f & 4, val);
            break;
        default: {
            /* Time passes: vblanks, queued work; the screen is captured. */
            fuzz_run(&d, 4);
            struct vgpu_frame fr;
            if (vgpu_capture(d.vgpu, &fr) == 0)
                free(fr.pixels);
            break;
        }
        }
    }
    struct vgpu_frame fr;
    if (vgpu_capture(d.vgpu, &fr) == 0) {
        if (getenv("FUZZ_LOG")) {
            struct vgpu_stats vs;
            vgpu_get_stats(d.vgpu, &vs);
            fprintf(stderr, "fuzz_bar0: %llu GGTT writes, %llu AUX, %llu flips, frame %ux%u %s%s\n",
                    (unsigned long long)vs.ggtt_writes, (unsigned long long)vs.aux_transactions,
                    (unsigned long long)vs.flips, fr.width, fr.height,
                    fr.blank ? "blank: " : "shown", fr.blank && fr.reason ? fr.reason : "");
        }
        free(fr.pixels);
    }
    fuzz_dev_stop(&d);
    return 0;
}
