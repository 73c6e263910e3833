/* Fuzz target: the ioreq path as Xen drives it. Each record is one
 * synchronous request with every field the guest (or a confused Xen) could
 * set: type, size, count, direction, df, data_is_ptr, address and data --
 * or a batch of raw buffered slots with a hostile write pointer. Every
 * synchronous access must be answered. */
#include "vgpu_dev.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_dev d;
    fuzz_dev_start(&d, NULL);
    fuzz_place_bars(&d);
    const uint8_t *p = data, *end = data + size;
    while (p < end) {
        unsigned op = (unsigned)fuzz_take(&p, end, 1);
        if (op & 0x80) {
            /* Buffered: up to 32 raw slots. */
            buf_ioreq_t slots[32];
            unsigned n = (op & 0x1f) + 1;
            memset(slots, 0, sizeof(slots));
            for (unsigned i = 0; i < n; i++) {
                uint64_t raw = fuzz_take(&p, end, 8);
                memcpy(&slots[i], &raw, sizeof(slots[i]));
                /* Most slots aimed at the vGPU's BARs' low 1 MiB. */
                if (op & 0x20)
                    slots[i].addr = (uint32_t)(FUZZ_BAR0 + (slots[i].addr & 0xfffff)) & 0xfffff;
            }
            uint32_t skew = (op & 0x40) ? (uint32_t)fuzz_take(&p, end, 2) : 0;
            fuzz_buffered(&d, slots, n, skew);
            continue;
        }
        ioreq_t r;
        memset(&r, 0, sizeof(r));
        uint64_t where = fuzz_take(&p, end, 4);
        switch (op & 3) {
        case 0: r.addr = FUZZ_BAR0 + (where & 0xffffff); break;
        case 1: r.addr = FUZZ_BAR2 + (where & 0xfffffff); break;
        case 2: r.addr = (uint64_t)FUZZ_SBDF << 32 | (where & 0x1fff); break;
        default: r.addr = where | fuzz_take(&p, end, 4) << 32; break;
        }
        r.data = fuzz_take(&p, end, 8);
        unsigned f = (unsigned)fuzz_take(&p, end, 2);
        r.size = (f & 0xf) == 15 ? (uint32_t)fuzz_take(&p, end, 4) : 1u << ((f & 0xf) % 4);
        r.count = (f & 0x10) ? (uint32_t)fuzz_take(&p, end, 4) : 1;
        r.dir = (f >> 5) & 1;
        r.df = (f >> 6) & 1;
        r.data_is_ptr = (f >> 7) & 1;
        if (r.data_is_ptr)
            r.data %= FUZZ_RAM_BYTES + 0x10000; /* mostly inside RAM */
        static const uint8_t types[] = { IOREQ_TYPE_COPY, IOREQ_TYPE_PIO,
                                         IOREQ_TYPE_PCI_CONFIG, IOREQ_TYPE_TIMEOFFSET,
                                         IOREQ_TYPE_INVALIDATE, 0x7f };
        r.type = (op & 3) == 2 ? IOREQ_TYPE_PCI_CONFIG : types[(f >> 8) % sizeof(types)];
        fuzz_ioreq(&d, (f >> 12) & 1, &r);
    }
    fuzz_run(&d, 4);
    fuzz_dev_stop(&d);
    return 0;
}
