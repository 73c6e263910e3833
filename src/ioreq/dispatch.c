#include "config.h"
#include "ioreq/dispatch.h"
#include "ioreq/guestmem.h"
#include "common/log.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static uint64_t ones(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static const char *const space_names[] = { "pio", "mmio", "pci" };

/* The range serving [addr, addr+size) and the offset its handler gets:
 * device ranges take offsets from their start; a write-protected page's
 * owner gets the guest-physical address itself. */
static const struct io_range *find(struct ioreq_dispatch *d, enum io_space space,
                                   uint64_t addr, unsigned size, uint64_t *offset)
{
    const struct io_range *r = iomap_find(&d->maps[space], addr);
    uint64_t base = r ? r->start : 0;
    if (!r && space == IO_SPACE_MMIO) {
        r = iomap_find(&d->maps[IO_MAP_WPAGE], addr);
        base = 0;
    }
    if (!r || addr + (size - 1) > r->end || addr + (size - 1) < addr)
        return NULL;
    *offset = addr - base;
    return r;
}

/* One access of `size` bytes at `addr`. Unclaimed addresses and accesses
 * running past the end of their range read as all-ones and drop writes. */
static uint64_t device_read(struct ioreq_dispatch *d, enum io_space space,
                            uint64_t addr, unsigned size, bool *ok)
{
    uint64_t off = 0;
    const struct io_range *r = find(d, space, addr, size, &off);
    uint64_t val = ones(size);
    if (!r) {
        log_guest("dom%u: %s read of %u bytes at %#llx: no device claims it",
                  d->domid, space_names[space], size, (unsigned long long)addr);
        *ok = false;
        return val;
    }
    if (!r->ops->read || r->ops->read(r->opaque, off, size, &val) < 0)
        return ones(size);
    return val & ones(size);
}

static void device_write(struct ioreq_dispatch *d, enum io_space space,
                         uint64_t addr, unsigned size, uint64_t val, bool *ok)
{
    uint64_t off = 0;
    const struct io_range *r = find(d, space, addr, size, &off);
    if (!r) {
        log_guest("dom%u: %s write of %u bytes at %#llx: no device claims it",
                  d->domid, space_names[space], size, (unsigned long long)addr);
        *ok = false;
        return;
    }
    if (r->ops->write)
        r->ops->write(r->opaque, off, size, val & ones(size));
}

/* [base, base + step*(count-1)] stays inside 64 bits (and, for guest
 * memory, inside the physical address space). */
static bool span_ok(uint64_t base, unsigned size, uint32_t count, bool down,
                    uint64_t limit)
{
    uint64_t span = (uint64_t)size * (count - 1);
    if (down)
        return base >= span && base + (size - 1) >= base &&
               base + (size - 1) <= limit;
    return base + span >= base && base + span + (size - 1) >= base + span &&
           base + span + (size - 1) <= limit;
}

static bool size_ok(enum io_space space, uint32_t size)
{
    switch (size) {
    case 1: case 2: case 4:
        return true;
    case 8:
        return space == IO_SPACE_MMIO;
    default:
        return false;
    }
}

static void reject(struct ioreq_dispatch *d, ioreq_t *req, const char *why)
{
    d->stats->rejected++;
    log_guest("dom%u: rejected ioreq type=%u dir=%s addr=%#llx size=%u "
              "count=%u ptr=%u df=%u: %s",
              d->domid, req->type, req->dir == IOREQ_READ ? "read" : "write",
              (unsigned long long)req->addr, req->size, req->count,
              req->data_is_ptr, req->df, why);
    /* data_is_ptr requests leave guest memory alone: nothing is known to
     * be safe to write there. */
    if (req->dir == IOREQ_READ && !req->data_is_ptr) {
        bool valid_size = req->size == 1 || req->size == 2 || req->size == 4 ||
                          req->size == 8;
        req->data = ones(valid_size ? req->size : 8);
    }
}

static void access_space(struct ioreq_dispatch *d, ioreq_t *req,
                         enum io_space space, uint64_t addr)
{
    unsigned size = req->size;
    bool down = req->df;
    bool ok = true;

    if (!size_ok(space, size))
        return reject(d, req, "bad size");
    if (req->count == 0 || req->count > IOREQ_MAX_REPS)
        return reject(d, req, "bad count");
    /* Port I/O repeats on one port; MMIO walks the device range. */
    uint32_t dev_count = space == IO_SPACE_PIO ? 1 : req->count;
    if (!span_ok(addr, size, dev_count, down, UINT64_MAX))
        return reject(d, req, "count overflows the address");
    if (req->data_is_ptr &&
        !span_ok(req->data, size, req->count, down, GMEM_MAX_GPA - 1))
        return reject(d, req, "count overflows the guest buffer");

    int64_t step = down ? -(int64_t)size : (int64_t)size;
    int64_t dev_step = space == IO_SPACE_PIO ? 0 : step;
    d->stats->reps += req->count;

    if (!req->data_is_ptr) {
        /* Xen sends count > 1 without a pointer only for rep stos-like
         * writes; a read keeps the last value. */
        for (uint32_t i = 0; i < req->count; i++) {
            uint64_t a = addr + (uint64_t)(dev_step * (int64_t)i);
            if (req->dir == IOREQ_READ)
                req->data = device_read(d, space, a, size, &ok);
            else
                device_write(d, space, a, size, req->data, &ok);
        }
        if (!ok)
            d->stats->rejected++;
        return;
    }

    for (uint32_t i = 0; i < req->count; i++) {
        uint64_t a = addr + (uint64_t)(dev_step * (int64_t)i);
        uint64_t gpa = req->data + (uint64_t)(step * (int64_t)i);
        uint64_t val = 0;
        int rc;
        if (req->dir == IOREQ_READ) {
            val = device_read(d, space, a, size, &ok);
            rc = gmem_write(d->gm, gpa, &val, size);
        } else {
            rc = gmem_read(d->gm, gpa, &val, size);
            if (rc == 0)
                device_write(d, space, a, size, val, &ok);
        }
        if (rc < 0) {
            log_guest("dom%u: rep %s buffer at %#llx is not guest memory",
                      d->domid, space_names[space], (unsigned long long)gpa);
            d->stats->rejected++;
            return;
        }
    }
    if (!ok)
        d->stats->rejected++;
}

void ioreq_dispatch_one(struct ioreq_dispatch *d, ioreq_t *req)
{
    switch (req->type) {
    case IOREQ_TYPE_PIO:
        d->stats->pio++;
        access_space(d, req, IO_SPACE_PIO, req->addr);
        return;
    case IOREQ_TYPE_COPY:
        d->stats->mmio++;
        access_space(d, req, IO_SPACE_MMIO, req->addr);
        return;
    case IOREQ_TYPE_PCI_CONFIG: {
        d->stats->pci_config++;
        /* Xen puts the SBDF in addr[63:32] and the register in the low
         * bits; config accesses are single and never through memory. */
        if (req->data_is_ptr || req->count != 1)
            return reject(d, req, "config access with rep or pointer");
        if (req->size != 1 && req->size != 2 && req->size != 4)
            return reject(d, req, "bad size");
        uint32_t sbdf = (uint32_t)(req->addr >> 32);
        uint32_t reg = (uint32_t)req->addr;
        const struct io_range *r = iomap_find(&d->maps[IO_SPACE_PCI], sbdf);
        if (!r)
            return reject(d, req, "no function at this SBDF");
        if (req->dir == IOREQ_READ) {
            uint64_t v = ones(req->size);
            if (r->ops->read(r->opaque, reg, req->size, &v) < 0)
                v = ones(req->size);
            req->data = v & ones(req->size);
        } else {
            r->ops->write(r->opaque, reg, req->size, req->data & ones(req->size));
        }
        return;
    }
    case IOREQ_TYPE_INVALIDATE:
        /* The guest's physmap changed (ballooning, grant maps): every cached
         * foreign mapping may now be stale. */
        d->stats->invalidate++;
        gmem_invalidate(d->gm);
        return;
    case IOREQ_TYPE_TIMEOFFSET:
        d->stats->timeoffset++;
        d->stats->time_offset = (int64_t)req->data;
        log_debug("dom%u: guest RTC offset now %lld s", d->domid,
                  (long long)req->data);
        return;
    default:
        return reject(d, req, "unknown type");
    }
}

unsigned ioreq_dispatch_buffered(struct ioreq_dispatch *d,
                                 buffered_iopage_t *page)
{
    unsigned consumed_total = 0;
    for (;;) {
        /* Xen rebases both pointers together with a 64-bit cmpxchg; one
         * 64-bit load gives a consistent pair. */
        uint64_t both = __atomic_load_n((uint64_t *)page, __ATOMIC_ACQUIRE);
        uint32_t rp = (uint32_t)both, wp = (uint32_t)(both >> 32);
        if (rp == wp)
            break;
        uint32_t used = wp - rp;
        if (used > IOREQ_BUFFER_SLOT_NUM) {
            log_guest("dom%u: buffered ring pointers rp=%u wp=%u make no "
                      "sense; skipping to wp", d->domid, rp, wp);
            d->stats->rejected++;
            __atomic_fetch_add(&page->read_pointer, used, __ATOMIC_RELEASE);
            consumed_total += used;
            continue;
        }
        buf_ioreq_t slot = page->buf_ioreq[rp % IOREQ_BUFFER_SLOT_NUM];
        unsigned size = 1u << slot.size;
        uint64_t data = slot.data;
        uint32_t consumed = 1;
        bool valid = slot.dir == IOREQ_WRITE &&
                     (slot.type == IOREQ_TYPE_PIO || slot.type == IOREQ_TYPE_COPY);
        if (size == 8) {
            if (used < 2) {
                valid = false; /* Xen publishes both halves at once */
            } else {
                buf_ioreq_t hi = page->buf_ioreq[(rp + 1) % IOREQ_BUFFER_SLOT_NUM];
                data |= (uint64_t)hi.data << 32;
                consumed = 2;
            }
        }
        if (valid) {
            ioreq_t req = { .addr = slot.addr, .data = data, .count = 1,
                            .size = size, .dir = IOREQ_WRITE,
                            .type = slot.type };
            d->stats->buffered++;
            access_space(d, &req, slot.type == IOREQ_TYPE_PIO ? IO_SPACE_PIO
                                                              : IO_SPACE_MMIO,
                         req.addr);
        } else {
            d->stats->rejected++;
            log_guest("dom%u: malformed buffered ioreq type=%u dir=%u size=%u "
                      "at slot %u", d->domid, slot.type, slot.dir, size, rp);
        }
        __atomic_fetch_add(&page->read_pointer, consumed, __ATOMIC_RELEASE);
        consumed_total += consumed;
    }
    return consumed_total;
}
