#include "config.h"
#include "evtchn/irq.h"
#include "common/log.h"

#include <errno.h>
#include <string.h>

void evt_irq_init(struct evt_irq *irq, xendevicemodel_handle *dmod,
                  uint32_t domid)
{
    memset(irq, 0, sizeof(*irq));
    irq->dmod = dmod;
    irq->domid = domid;
}

int evt_irq_inject_msi(struct evt_irq *irq, uint64_t addr, uint32_t data)
{
    if (xendevicemodel_inject_msi(irq->dmod, (domid_t)irq->domid, addr, data) < 0) {
        int err = -errno;
        irq->msi_failures++;
        log_guest("dom%u: inject_msi addr=%#llx data=%#x failed: %s",
                  irq->domid, (unsigned long long)addr, data, strerror(-err));
        return err;
    }
    irq->msis_injected++;
    return 0;
}

int evt_irq_set_intx(struct evt_irq *irq, uint32_t sbdf, unsigned pin,
                     unsigned level)
{
    if (xendevicemodel_set_pci_intx_level(irq->dmod, (domid_t)irq->domid,
                                          (uint16_t)(sbdf >> 16),
                                          (uint8_t)(sbdf >> 8),
                                          (uint8_t)((sbdf >> 3) & 0x1f),
                                          (uint8_t)pin, level) < 0) {
        int err = -errno;
        log_warn("dom%u: set_pci_intx_level: %s", irq->domid, strerror(-err));
        return err;
    }
    irq->intx_changes++;
    return 0;
}
