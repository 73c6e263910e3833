/* The io registry's data structure: non-overlapping [start, end] ranges with
 * a handler each, kept sorted so that lookup is a binary search (O(log n)).
 * One map per space (port I/O, MMIO, PCI functions keyed by SBDF). Pure
 * data: it knows nothing of Xen; ioreq/server.c keeps Xen in sync. */
#ifndef XENGVT_IOREQ_IOMAP_H
#define XENGVT_IOREQ_IOMAP_H

#include <stddef.h>
#include <stdint.h>

/* Handlers get the offset from the range's start and a size of 1, 2, 4 or
 * 8 (the dispatcher has checked it and that the access lies in the range).
 * Return 0 or -errno; a failed read answers the guest with all-ones. */
struct io_ops {
    int (*read)(void *opaque, uint64_t offset, unsigned size, uint64_t *val);
    int (*write)(void *opaque, uint64_t offset, unsigned size, uint64_t val);
};

/* The spaces a map may be for, as Xen's ioreq server claims them (the
 * registry keeps one map each). */
enum io_space { IO_SPACE_PIO = 0, IO_SPACE_MMIO = 1, IO_SPACE_PCI = 2 };

struct io_range {
    uint64_t start;
    uint64_t end; /* inclusive: a range may end at UINT64_MAX */
    const struct io_ops *ops;
    void *opaque;
};

struct iomap {
    struct io_range *ranges;
    size_t count;
    size_t capacity;
};

void iomap_init(struct iomap *map);
void iomap_release(struct iomap *map);
/* -EINVAL for size 0 or a wrapping range, -EEXIST if it overlaps. */
int iomap_insert(struct iomap *map, uint64_t start, uint64_t size,
                 const struct io_ops *ops, void *opaque);
/* Removes the range starting at `start`; -ENOENT if there is none. */
int iomap_remove(struct iomap *map, uint64_t start);
const struct io_range *iomap_find(const struct iomap *map, uint64_t addr);

#endif
