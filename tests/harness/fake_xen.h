/* The in-process hypervisor (fake_xen.c) the fuzz targets, the gvt unit
 * tests and the harness's vGPU (vgpu_dev.h) share: state a test reads and
 * drives. Whole-binary tests use the LD_PRELOAD simulator (tests/sim)
 * instead. The fuzz_ prefix is from the fuzzers it was written for. */
#ifndef XENGVT_TESTS_FUZZ_XEN_H
#define XENGVT_TESTS_FUZZ_XEN_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/hvm/ioreq.h>

#define FUZZ_RAM_BYTES (64ull << 20) /* the guest's RAM: [0, 64 MiB) */
#define FUZZ_VCPUS 2u
#define FUZZ_VCPU_PORT 10u          /* Xen's port for vCPU i: this + i */
#define FUZZ_BUF_PORT 9u
#define FUZZ_LOCAL_OFFSET 100u      /* our local port = remote + this */
#define FUZZ_MAX_PENDING 16
#define FUZZ_POOL_FRAMES 4096u      /* frames a device model may populate */

struct fuzz_xen {
    int ram_fd;
    uint8_t *ram;           /* the harness's view of guest RAM */
    void *ioreq_pages;      /* buffered page, then the sync ioreq page */
    int evt_fd;
    uint32_t pending[FUZZ_MAX_PENDING];
    unsigned npending;
    uint64_t msis, notifies, maps;
    /* The physmap beyond RAM (populate, relocate, dirty tracking), in the
     * memfd after RAM; pool_gfn[i] ~0 when frame i is not in the physmap. */
    bool physmap;           /* a target that wants the RAM-backed paths */
    bool refuse_relocate;   /* Xen refuses XEN_DMOP_relocate_memory */
    unsigned pool_used;
    uint64_t pool_gfn[FUZZ_POOL_FRAMES];
    uint16_t pool_index[2 * FUZZ_POOL_FRAMES]; /* gfn hash -> frame + 1 */
    uint8_t pool_dirty[FUZZ_POOL_FRAMES];
    uint16_t dirty_list[FUZZ_POOL_FRAMES]; /* the frames marked in pool_dirty */
    unsigned ndirty;
    uint64_t dirty_first;
    uint32_t dirty_nr;
    /* RAM pages of type p2m_ioreq_server (XEN_DMOP_set_mem_type): a
     * guest store to one is an ioreq (fuzz_phys), as under Xen. */
    uint64_t memtype[FUZZ_RAM_BYTES / 4096 / 64];
};

extern struct fuzz_xen fx;

void fuzz_xen_init(void);
void fuzz_xen_reset(void);
/* Xen signals `local_port` (as the guest's access would). */
void fuzz_xen_raise(uint32_t local_port);
/* The frame at `gfn` in the physmap beyond RAM, or -1; its bytes. */
int fuzz_xen_pool_find(uint64_t gfn);
uint8_t *fuzz_xen_pool_frame(int i);
/* A guest CPU store to frame i: dirty for Xen's tracking. */
void fuzz_xen_pool_mark_dirty(int i);
/* Whether a store to guest-physical `gpa` goes to the ioreq server. */
bool fuzz_xen_write_protected(uint64_t gpa);
/* No frame dirty (a new input). */
void fuzz_xen_pool_clean(void);

#endif
