/* What pcidev.c calls below it, recorded for test_pci: the ioreq server's
 * range claims and the interrupt injection. In a file of its own so that
 * pcidev.c (which calls these) and the test (which calls pcidev.c) do not
 * depend on each other. */
#ifndef XENGVT_TESTS_FAKE_PCI_ENV_H
#define XENGVT_TESTS_FAKE_PCI_ENV_H

#include <stdint.h>

#include "ioreq/server.h"

struct fake_pci_call {
    char what; /* 'm' map, 'u' unmap */
    enum io_space space;
    uint64_t start, size;
};

struct fake_pci_env {
    struct fake_pci_call calls[64];
    unsigned ncalls;
    int map_result; /* what ioreq_map_range returns */
    unsigned msis, intx_changes;
    uint64_t last_msi_addr;
    uint32_t last_msi_data;
    unsigned last_intx;
};
extern struct fake_pci_env fpe;

#endif
