/* libxendevicemodel's modified-memory calls for test_dirtylog: extents
 * checked as Xen 4.17 checks them (xen/arch/x86/hvm/dm.c:153-160: the
 * domain's highest gfn itself is refused), buffered as Linux's privcmd
 * buffers them (4 KiB at most), and the pages taken recorded. In a file
 * of its own so that dirtylog.c (which calls it) and the test (which
 * calls dirtylog.c) do not depend on each other. */
#ifndef XENGVT_TESTS_FAKE_DM_DIRTY_H
#define XENGVT_TESTS_FAKE_DM_DIRTY_H

#include <stdbool.h>
#include <stdint.h>
#include <xendevicemodel.h>

#define FAKE_DM_DOMID 7u
#define MAX_GFN 0x100000ull /* the fake domain's highest gfn */

struct fake_dm_dirty {
    unsigned calls, single_calls, refused;
    uint8_t taken[MAX_GFN + 1]; /* times each page was reported */
    uint64_t pages;
    bool refuse_all;
};
extern struct fake_dm_dirty fake;

/* The only handle the fake accepts. */
extern char fake_dm_handle;
#define DMOD ((xendevicemodel_handle *)&fake_dm_handle)

#endif
