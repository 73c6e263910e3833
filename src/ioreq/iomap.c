#include "config.h"
#include "ioreq/iomap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void iomap_init(struct iomap *map) { memset(map, 0, sizeof(*map)); }

void iomap_release(struct iomap *map)
{
    free(map->ranges);
    memset(map, 0, sizeof(*map));
}

/* Index of the first range whose end is >= addr (count if none). */
static size_t lower_bound(const struct iomap *map, uint64_t addr)
{
    size_t lo = 0, hi = map->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (map->ranges[mid].end < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int iomap_insert(struct iomap *map, uint64_t start, uint64_t size,
                 const struct io_ops *ops, void *opaque)
{
    if (size == 0 || start + (size - 1) < start)
        return -EINVAL;
    uint64_t end = start + (size - 1);
    size_t i = lower_bound(map, start);
    if (i < map->count && map->ranges[i].start <= end)
        return -EEXIST;
    if (map->count == map->capacity) {
        size_t cap = map->capacity ? map->capacity * 2 : 8;
        struct io_range *r = realloc(map->ranges, cap * sizeof(*r));
        if (!r)
            return -ENOMEM;
        map->ranges = r;
        map->capacity = cap;
    }
    memmove(&map->ranges[i + 1], &map->ranges[i],
            (map->count - i) * sizeof(map->ranges[0]));
    map->ranges[i] = (struct io_range){ start, end, ops, opaque };
    map->count++;
    return 0;
}

int iomap_remove(struct iomap *map, uint64_t start)
{
    size_t i = lower_bound(map, start);
    if (i == map->count || map->ranges[i].start != start)
        return -ENOENT;
    memmove(&map->ranges[i], &map->ranges[i + 1],
            (map->count - i - 1) * sizeof(map->ranges[0]));
    map->count--;
    return 0;
}

const struct io_range *iomap_find(const struct iomap *map, uint64_t addr)
{
    size_t i = lower_bound(map, addr);
    if (i < map->count && map->ranges[i].start <= addr)
        return &map->ranges[i];
    return NULL;
}
