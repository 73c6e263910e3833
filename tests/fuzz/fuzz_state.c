/* Fuzz target: restoring device state. The input patches a genuine saved
 * state (sections rebuilt with correct checksums, so the fuzzer reaches
 * the section decoders, not just the CRC check), or -- first byte odd --
 * is handed to the parser raw. A restore must be refused or applied whole;
 * the restored vGPU then serves reads and a capture. */
#include "vgpu_dev.h"
#include "common/stateblob.h"
#include "gvt/vgpu.h"

#include <stdlib.h>
#include <string.h>

static void exercise(struct fuzz_dev *d)
{
    static const uint32_t regs[] = { 0x78000, 0x78010, 0x44200, 0x2034, 0x2234, 0x70180,
                                     0x800000, 0x64310, 0xc5108 };
    for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
        fuzz_mmio(d, FUZZ_BAR0 + regs[i], 4, 0, 0);
    fuzz_cfg(d, 0x10, 4, 0, 0);
    fuzz_run(d, 4);
    struct vgpu_frame fr;
    if (vgpu_capture(d->vgpu, &fr) == 0)
        free(fr.pixels);
}

struct section {
    char tag[STATEBLOB_TAG_LEN + 1];
    uint32_t version;
    uint8_t *data;
    size_t len;
};

/* A genuine state (BARs placed, a GGTT entry, a register or two), taken
 * once: the vGPU is cold-reset between inputs, so it is the same state
 * every time. */
static unsigned genuine(const struct section **out)
{
    static struct section sec[16];
    static unsigned n;
    if (!n) {
        struct fuzz_dev d;
        const char *why = NULL;
        fuzz_dev_start(&d, NULL);
        fuzz_place_bars(&d);
        fuzz_mmio(&d, FUZZ_BAR0 + (8u << 20), 8, 1, 0x200001);
        fuzz_mmio(&d, FUZZ_BAR0 + 0x70180, 4, 1, 0x84000000u);
        uint8_t *blob;
        size_t len;
        struct stateblob sb;
        if (vgpu_save(d.vgpu, &blob, &len) < 0 || stateblob_parse(blob, len, &sb, &why) < 0)
            abort();
        n = sb.count < 16 ? sb.count : 16;
        for (unsigned i = 0; i < n; i++) {
            memcpy(sec[i].tag, sb.sections[i].tag, sizeof(sec[i].tag));
            sec[i].version = sb.sections[i].version;
            sec[i].len = sb.sections[i].len;
            sec[i].data = malloc(sec[i].len + 1);
            memcpy(sec[i].data, sb.sections[i].data, sec[i].len);
        }
        free(blob);
        fuzz_dev_stop(&d);
    }
    *out = sec;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct fuzz_dev d;
    const char *why = NULL;
    if (data[0] & 1) {
        fuzz_dev_start(&d, NULL);
        if (vgpu_restore(d.vgpu, data + 1, size - 1, &why) == 0)
            exercise(&d);
        fuzz_dev_stop(&d);
        return 0;
    }
    /* Patches: section (1) | offset (4) | length (1) | bytes; a length of
     * 0xff truncates the section at offset instead. */
    const struct section *orig;
    unsigned n = genuine(&orig);
    struct section sec[16];
    for (unsigned i = 0; i < n; i++) {
        sec[i] = orig[i];
        sec[i].data = malloc(sec[i].len + 1);
        memcpy(sec[i].data, orig[i].data, sec[i].len);
    }
    const uint8_t *p = data + 1, *end = data + size;
    while (p < end && n > 0) {
        unsigned s = (unsigned)fuzz_take(&p, end, 1) % n;
        uint32_t off = (uint32_t)fuzz_take(&p, end, 4);
        unsigned l = (unsigned)fuzz_take(&p, end, 1);
        if (sec[s].len == 0)
            continue;
        off %= sec[s].len;
        if (l == 0xff) {
            sec[s].len = off;
            continue;
        }
        if (l == 0xfe) {
            sec[s].version = (uint32_t)fuzz_take(&p, end, 4);
            continue;
        }
        for (unsigned i = 0; i < l && off + i < sec[s].len; i++)
            sec[s].data[off + i] = (uint8_t)fuzz_take(&p, end, 1);
    }
    struct stateblob_writer w;
    stateblob_writer_init(&w);
    for (unsigned i = 0; i < n; i++)
        stateblob_add(&w, sec[i].tag, sec[i].version, sec[i].data, sec[i].len);
    uint8_t *patched;
    size_t plen;
    /* Into a vGPU as created, as a new daemon would. */
    fuzz_dev_start(&d, NULL);
    if (stateblob_finish(&w, &patched, &plen) == 0) {
        if (vgpu_restore(d.vgpu, patched, plen, &why) == 0)
            exercise(&d);
        free(patched);
    }
    for (unsigned i = 0; i < n; i++)
        free(sec[i].data);
    fuzz_dev_stop(&d);
    return 0;
}
