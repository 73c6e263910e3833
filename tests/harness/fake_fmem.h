/* libxenforeignmemory's map and unmap for unit tests of code that maps
 * guest frames (the map cache, src/ioreq/guestmem.c), without Xen: guest
 * RAM is a memfd, and each "foreign mapping" is a PROT_NONE reservation
 * with the RAM pages mapped over it MAP_SHARED, so every mapping and the
 * test's own view of RAM alias the same memory. A frame beyond RAM or the
 * hole stays PROT_NONE and is refused in err[], as Xen refuses it. Every
 * misuse (wrong handle, domain, protection, shape, address) is counted. */
#ifndef XENGVT_HARNESS_FAKE_FMEM_H
#define XENGVT_HARNESS_FAKE_FMEM_H

#include <stdint.h>
#include <stddef.h>
#include <xenforeignmemory.h>

#define FAKE_FMEM_MAX_LIVE 64

struct fake_fmem_mapping {
    uint8_t *va;
    size_t pages;
    xen_pfn_t first;
};

struct fake_fmem {
    /* Set by the test. */
    int fd;                    /* guest RAM (a memfd of ram_pages pages) */
    uint8_t *ram;              /* the test's own view of all guest RAM */
    uint32_t domid;            /* the only domain it maps */
    uint64_t ram_pages;
    xen_pfn_t hole_pfn;        /* a frame inside RAM Xen refuses (MMIO, say) */
    unsigned fail_next;        /* map calls still to fail with fail_errno */
    int fail_errno;
    /* Counted by the fake. */
    unsigned map_calls, maps_ok, unmaps;
    unsigned bad_calls;        /* wrong handle, domain, prot, shape or address */
    struct fake_fmem_mapping live[FAKE_FMEM_MAX_LIVE];
    unsigned nlive;
};

extern struct fake_fmem fake_fmem;

/* The handle to give the code under test. */
#define FMEM ((xenforeignmemory_handle *)&fake_fmem)

#endif
