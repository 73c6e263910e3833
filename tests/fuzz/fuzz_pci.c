/* Fuzz target: the vGPU's PCI configuration space (BAR sizing and moves,
 * command register, capabilities: MSI, PCIe with FLR, PM; GMCH and BDSM;
 * OpRegion/ASLS, SWSCI), each record one config access, then an access
 * at wherever the BARs went to check the registry followed them. */
#include "vgpu_dev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_dev d;
    fuzz_dev_start(&d, NULL);
    const uint8_t *p = data, *end = data + size;
    while (p < end) {
        unsigned f = (unsigned)fuzz_take(&p, end, 1);
        uint32_t reg = (uint32_t)fuzz_take(&p, end, 2) & ((f & 0x80) ? 0xffff : 0xff);
        unsigned sz = (f & 3) == 3 ? 4 : 1u << (f & 3);
        if ((f & 0x40) && (f & 0x3) == 3)
            sz = 3; /* a size no config access has */
        if (f & 4) {
            fuzz_cfg(&d, reg, sz, 1, fuzz_take(&p, end, 4));
        } else {
            fuzz_cfg(&d, reg, sz, 0, 0);
        }
        if (f & 8) {
            /* Whatever the BARs say now: touch BAR0's PVINFO and BAR2. */
            uint64_t bar0 = fuzz_cfg(&d, 0x10, 4, 0, 0) & ~0xfull;
            bar0 |= fuzz_cfg(&d, 0x14, 4, 0, 0) << 32;
            fuzz_mmio(&d, bar0 + 0x78000, 4, 0, 0);
            uint64_t bar2 = fuzz_cfg(&d, 0x18, 4, 0, 0) & ~0xfull;
            fuzz_mmio(&d, bar2 + 0x1000, 4, f & 16, 0x12345678);
        }
    }
    fuzz_dev_stop(&d);
    return 0;
}
