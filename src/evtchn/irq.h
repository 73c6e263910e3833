/* Interrupt delivery into the guest: MSI through dm_op inject_msi, INTx
 * through dm_op set_pci_intx_level. Counts what it delivered. */
#ifndef XENGVT_EVTCHN_IRQ_H
#define XENGVT_EVTCHN_IRQ_H

#include <stdint.h>
#include <xendevicemodel.h>

struct evt_irq {
    xendevicemodel_handle *dmod;
    uint32_t domid;
    uint64_t msis_injected;
    uint64_t msi_failures;
    uint64_t intx_changes;
};

void evt_irq_init(struct evt_irq *irq, xendevicemodel_handle *dmod,
                  uint32_t domid);
int evt_irq_inject_msi(struct evt_irq *irq, uint64_t addr, uint32_t data);
int evt_irq_set_intx(struct evt_irq *irq, uint32_t sbdf, unsigned pin,
                     unsigned level);

#endif
