#include "fake_pci_env.h"
#include "evtchn/irq.h"

struct fake_pci_env fpe;

int ioreq_map_range(struct ioreq_server *s, enum io_space space, uint64_t start,
                    uint64_t size, const struct io_ops *ops, void *opaque)
{
    (void)s, (void)ops, (void)opaque;
    if (fpe.ncalls < 64)
        fpe.calls[fpe.ncalls++] = (struct fake_pci_call){ 'm', space, start, size };
    return fpe.map_result;
}

int ioreq_unmap_range(struct ioreq_server *s, enum io_space space, uint64_t start)
{
    (void)s;
    if (fpe.ncalls < 64)
        fpe.calls[fpe.ncalls++] = (struct fake_pci_call){ 'u', space, start, 0 };
    return 0;
}

int evt_irq_inject_msi(struct evt_irq *irq, uint64_t addr, uint32_t data)
{
    (void)irq;
    fpe.msis++;
    fpe.last_msi_addr = addr;
    fpe.last_msi_data = data;
    return 0;
}

int evt_irq_set_intx(struct evt_irq *irq, uint32_t sbdf, unsigned pin, unsigned level)
{
    (void)irq, (void)sbdf, (void)pin;
    fpe.intx_changes++;
    fpe.last_intx = level;
    return 0;
}
