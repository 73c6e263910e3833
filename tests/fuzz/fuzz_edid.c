/* Fuzz target: the --edid file (an admin's input): any bytes offered as
 * the monitor's EDID. A file without the header or the checksum is
 * refused and the built-in EDID stays; an accepted one is what the guest
 * then reads, byte for byte, over AUX (I2C-over-AUX at 0x50) and GMBUS. */
#include "vgpu_dev.h"
#include "gvt/vgpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUX_D_CTL 0x64310u

/* One native AUX transaction on DDI D, as i915's intel_dp_aux_xfer does. */
static void aux(struct fuzz_dev *d, const uint8_t *msg, unsigned len, uint8_t *reply)
{
    for (unsigned i = 0; i < len; i += 4) {
        uint32_t w = 0;
        for (unsigned k = 0; k < 4 && i + k < len; k++)
            w |= (uint32_t)msg[i + k] << (24 - 8 * k);
        fuzz_mmio(d, FUZZ_BAR0 + AUX_D_CTL + 4 + i, 4, 1, w);
    }
    fuzz_mmio(d, FUZZ_BAR0 + AUX_D_CTL, 4, 1, 1u << 31 | 1u << 30 | len << 20 | 0x3fu);
    for (unsigned i = 0; i < 20; i += 4) {
        uint32_t w = (uint32_t)fuzz_mmio(d, FUZZ_BAR0 + AUX_D_CTL + 4 + i, 4, 0, 0);
        for (unsigned k = 0; k < 4; k++)
            reply[i + k] = (uint8_t)(w >> (24 - 8 * k));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_dev d;
    fuzz_dev_start(&d, NULL);
    fuzz_place_bars(&d);
    uint8_t before[128], now[128];
    vgpu_get_edid(d.vgpu, before);
    int rc = vgpu_set_edid(d.vgpu, data, size);
    vgpu_get_edid(d.vgpu, now);
    if (rc < 0 ? memcmp(now, before, 128) != 0 : memcmp(now, data, 128) != 0) {
        fprintf(stderr, "fuzz_edid: the EDID served is not the one %s\n",
                rc < 0 ? "kept" : "accepted");
        abort();
    }
    /* The guest reads it: the DDC offset, then 16 bytes at a time. */
    static const uint8_t set_off[5] = { 0x40, 0x00, 0x50, 0, 0 };
    static const uint8_t rd16[4] = { 0x50, 0x00, 0x50, 15 };
    uint8_t reply[20], via_aux[128];
    aux(&d, set_off, 5, reply);
    for (unsigned i = 0; i < 128; i += 16) {
        aux(&d, rd16, 4, reply);
        memcpy(via_aux + i, reply + 1, 16);
    }
    if (memcmp(via_aux, now, 128) != 0) {
        fprintf(stderr, "fuzz_edid: the guest read another EDID over AUX\n");
        abort();
    }
    /* GMBUS on pin pair D: an indexed read of all 128 bytes. */
    fuzz_mmio(&d, FUZZ_BAR0 + 0xc5100, 4, 1, 6);
    fuzz_mmio(&d, FUZZ_BAR0 + 0xc5104, 4, 1, 1u << 30 | 3u << 25 | 128u << 16 | 0x50u << 1 | 1);
    for (unsigned i = 0; i < 128; i += 4) {
        uint32_t w = (uint32_t)fuzz_mmio(&d, FUZZ_BAR0 + 0xc510c, 4, 0, 0);
        if (memcmp(&w, now + i, 4) != 0) {
            fprintf(stderr, "fuzz_edid: the guest read another EDID over GMBUS at %u\n", i);
            abort();
        }
    }
    fuzz_dev_stop(&d);
    return 0;
}
