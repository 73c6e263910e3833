/* Reporting the daemon's own writes to guest memory to Xen's log-dirty
 * mode, for live migration.
 *
 * The daemon writes guest RAM through foreign mappings (guestmem.c, the
 * RAM ranges behind its BARs). Xen's log-dirty tracking sees only the
 * guest's own stores (p2m types), not a dom0 mapping's: while libxl
 * pre-copies a running guest's memory, a page the daemon writes after its
 * last copy would reach the destination stale. QEMU has the same problem
 * for its DMA and reports each write with xendevicemodel_modified_memory
 * while libxl's `xen-set-global-dirty-log` is on (QEMU
 * hw/i386/xen/xen-hvm.c: xen_log_global_start sets xen_in_migration,
 * xen_hvm_modified_memory reports when it is set). So do we: while on,
 * every write's gfns go into a set (deduplicated), and a flush reports them
 * as sorted, merged extents with xendevicemodel_modified_memory_bulk.
 *
 * Costs: off, a mark is one test. On, one dm_op per flush of up to
 * DIRTYLOG_EXTENTS_PER_OP extents (Linux privcmd refuses a dm_op buffer
 * over 4 KiB: dm_op_buf_max_size, drivers/xen/privcmd.c). Xen 4.17 returns
 * at once when the domain is not in log-dirty mode (xen/arch/x86/hvm/dm.c:
 * 135), but the hypercall is made all the same: hence off by default.
 *
 * A page Xen did not take is "lost": the migration may carry it stale.
 * The count says so, and the daemon's save refuses while it is not zero,
 * so that the toolstack fails the migration and the guest keeps running
 * where it is. Not thread-safe: the event loop's thread only. */
#ifndef XENGVT_IOREQ_DIRTYLOG_H
#define XENGVT_IOREQ_DIRTYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xendevicemodel.h>

/* 4096 / sizeof(struct xen_dm_op_modified_memory_extent). */
#define DIRTYLOG_EXTENTS_PER_OP 256u

struct dirtylog;

struct dirtylog_stats {
    bool enabled;
    uint64_t pending;   /* pages marked, not yet reported */
    uint64_t reported;  /* pages Xen took since the daemon started */
    uint64_t dm_ops;    /* modified_memory calls made */
    uint64_t lost;      /* pages Xen refused since the last enable */
};

int dirtylog_new(xendevicemodel_handle *dmod, uint32_t domid, struct dirtylog **out);
void dirtylog_free(struct dirtylog *dl);

/* On: from now, marks are kept (and the lost count starts again at 0).
 * Off: what is pending is dropped (the migration is over, or was never
 * started: Xen would ignore it). */
void dirtylog_enable(struct dirtylog *dl, bool on);
bool dirtylog_enabled(const struct dirtylog *dl);

/* The daemon wrote [gpa, gpa + len): remember its pages if on. Call after
 * the write: a report that comes before it could let the toolstack copy
 * the page in between. Never fails: a set that cannot grow is flushed. */
void dirtylog_mark(struct dirtylog *dl, uint64_t gpa, size_t len);

/* Report what is pending. 0, or -errno if some pages were lost (logged). */
int dirtylog_flush(struct dirtylog *dl);

void dirtylog_get_stats(const struct dirtylog *dl, struct dirtylog_stats *out);

#endif
