#include "fake_dm_dirty.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

struct fake_dm_dirty fake;
char fake_dm_handle;

int xendevicemodel_modified_memory_bulk(xendevicemodel_handle *dmod, domid_t domid,
                                        struct xen_dm_op_modified_memory_extent extents[],
                                        uint32_t nr)
{
    assert_ptr_equal(dmod, DMOD);
    assert_int_equal(domid, FAKE_DM_DOMID);
    fake.calls++;
    if (nr * sizeof(extents[0]) > 4096) {
        fake.refused++;
        errno = E2BIG;
        return -1;
    }
    for (uint32_t i = nr; i-- > 0;) {
        uint64_t end = extents[i].first_pfn + extents[i].nr;
        if (fake.refuse_all || extents[i].pad || end <= extents[i].first_pfn || end > MAX_GFN) {
            fake.refused++;
            errno = EINVAL;
            return -1;
        }
        for (uint64_t g = extents[i].first_pfn; g < end; g++)
            fake.taken[g]++;
        fake.pages += extents[i].nr;
    }
    return 0;
}

int xendevicemodel_modified_memory(xendevicemodel_handle *dmod, domid_t domid,
                                   uint64_t first_pfn, uint32_t nr)
{
    struct xen_dm_op_modified_memory_extent e = { .first_pfn = first_pfn, .nr = nr };
    fake.single_calls++;
    return xendevicemodel_modified_memory_bulk(dmod, domid, &e, 1);
}
