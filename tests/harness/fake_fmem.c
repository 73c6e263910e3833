#include "config.h"
#include "fake_fmem.h"

#include <errno.h>
#include <sys/mman.h>

#define PAGE 4096u

struct fake_fmem fake_fmem;

void *xenforeignmemory_map(xenforeignmemory_handle *fmem, uint32_t dom, int prot,
                           size_t pages, const xen_pfn_t arr[], int err[])
{
    struct fake_fmem *f = &fake_fmem;
    f->map_calls++;
    if (fmem != FMEM || dom != f->domid || prot != (PROT_READ | PROT_WRITE) || !err ||
        pages == 0 || f->nlive == FAKE_FMEM_MAX_LIVE) {
        f->bad_calls++;
        errno = EINVAL;
        return NULL;
    }
    /* The map cache maps whole buckets of consecutive frames. */
    for (size_t i = 0; i < pages; i++)
        if (arr[i] != arr[0] + i)
            f->bad_calls++;
    if (f->fail_next) {
        f->fail_next--;
        errno = f->fail_errno;
        return NULL;
    }
    uint8_t *va = mmap(NULL, pages * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
    if (va == MAP_FAILED)
        return NULL;
    for (size_t i = 0; i < pages; i++) {
        if (arr[i] >= f->ram_pages || arr[i] == f->hole_pfn) {
            err[i] = -EINVAL;
            continue;
        }
        void *p = mmap(va + i * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, f->fd,
                       (off_t)(arr[i] * PAGE));
        if (p == MAP_FAILED) {
            munmap(va, pages * PAGE);
            return NULL;
        }
        err[i] = 0;
    }
    f->live[f->nlive++] = (struct fake_fmem_mapping){ va, pages, arr[0] };
    f->maps_ok++;
    return va;
}

int xenforeignmemory_unmap(xenforeignmemory_handle *fmem, void *addr, size_t pages)
{
    struct fake_fmem *f = &fake_fmem;
    for (unsigned i = 0; i < f->nlive; i++) {
        if (f->live[i].va != addr)
            continue;
        if (fmem != FMEM || f->live[i].pages != pages)
            break;
        munmap(addr, pages * PAGE);
        f->live[i] = f->live[--f->nlive];
        f->unmaps++;
        return 0;
    }
    f->bad_calls++;
    errno = EINVAL;
    return -1;
}
