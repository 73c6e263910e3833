/* Fuzz target: the vGPU's RAM-backed BAR halves -- the GGTT behind BAR0 +
 * 8 MiB and a 4 MiB aperture slice behind BAR2, as xengvtd sets them up --
 * through BAR sizing, placement, moves and decode switches (with Xen
 * refusing moves at times), guest stores to the table and the aperture as
 * a CPU makes them (memory, marked dirty for Xen's tracking), and the sync
 * points: i915's posting read, the GGTT invalidate, ELSP, vblanks, a
 * capture, a save. Entries may name anything.
 *
 * Record: op (1) | a (4) | b (8). */
#include "vgpu_dev.h"
#include "gvt/vgpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t cfg_regs[] = { 0x04, 0x10, 0x14, 0x18, 0x1c, 0x10, 0x18, 0x04 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_dev d;
    fuzz_dev_start_ram(&d);
    fuzz_place_bars(&d);
    fuzz_set_mode_640x480(&d);
    const uint8_t *p = data, *end = data + size;
    unsigned ops = 0;
    while (p < end && ops++ < 2048) {
        unsigned op = (unsigned)fuzz_take(&p, end, 1);
        uint32_t a = (uint32_t)fuzz_take(&p, end, 4);
        uint64_t b = fuzz_take(&p, end, 8);
        struct vgpu_stats vs;
        vgpu_get_stats(d.vgpu, &vs);
        /* Where the guest put the BARs (unmapped: ~0, then the access
         * lands nowhere the guest has, an unclaimed MMIO). */
        uint64_t bar0 = vs.bar0 == UINT64_MAX ? FUZZ_BAR0 : vs.bar0;
        uint64_t bar2 = vs.bar2 == UINT64_MAX ? FUZZ_BAR2 : vs.bar2;
        unsigned sz = 1u << ((op >> 3) & 3);
        switch (op & 7) {
        case 0: /* config space: decode, BAR placement and sizing */
            fuzz_cfg(&d, cfg_regs[(op >> 5) & 7], (op & 0x80) ? 2 : 4, 1, a);
            break;
        case 1: /* a GGTT entry, stored as a CPU stores it */
            fuzz_phys(&d, bar0 + (8u << 20) + ((a % (8u << 20)) & ~7u), 8, 1,
                      (op & 0x40) ? b : ((b & 0xfffull) << 12) | (op >> 7));
            break;
        case 2: /* the aperture: stores and loads, inside and beyond the slice */
            fuzz_phys(&d, bar2 + (op & 0x80 ? a % (256u << 20) : a % (4u << 20)), sz,
                      op & 0x40, b);
            break;
        case 3: /* guest RAM: the pages the entries name */
            fuzz_phys(&d, ((uint64_t)a % (32u << 20)) & ~7ull, 8, 1, b);
            break;
        case 4: /* a sync point */
            if (op & 0x40)
                fuzz_mmio(&d, bar0 + 0x101008, 4, 1, 1); /* GFX_FLSH_CNTL */
            else
                fuzz_mmio(&d, bar0 + 0x2034, 4, 0, 0);   /* the posting read */
            break;
        case 5: { /* time passes: vblanks; the screen is captured */
            fuzz_mmio(&d, bar0 + 0x70180, 4, 1, (uint32_t)b);  /* PLANE_CTL */
            fuzz_mmio(&d, bar0 + 0x7019c, 4, 1, a & 0x3ff000); /* PLANE_SURF */
            fuzz_run(&d, 1 + (op >> 6));
            struct vgpu_frame fr;
            if (vgpu_capture(d.vgpu, &fr) == 0)
                free(fr.pixels);
            break;
        }
        case 6: /* Xen refuses (or allows again) moving the frames */
            fx.refuse_relocate = op & 0x80;
            break;
        default: { /* a save: the aperture is synchronised first */
            uint8_t *blob;
            size_t len;
            if (vgpu_save(d.vgpu, &blob, &len) == 0)
                free(blob);
            break;
        }
        }
    }
    if (getenv("FUZZ_LOG")) {
        struct vgpu_stats vs;
        vgpu_get_stats(d.vgpu, &vs);
        fprintf(stderr, "fuzz_bars: GGTT in RAM %d (moves %llu), aperture in RAM %d: %llu syncs, "
                "%llu out, %llu in; trapped GGTT %llu, aperture %llu\n", vs.ggtt_in_ram,
                (unsigned long long)vs.gsm_relocations, vs.aperture_in_ram,
                (unsigned long long)vs.aperture_syncs, (unsigned long long)vs.aperture_out,
                (unsigned long long)vs.aperture_in, (unsigned long long)vs.trap_ggtt,
                (unsigned long long)vs.trap_aperture);
    }
    fuzz_dev_stop(&d);
    return 0;
}
