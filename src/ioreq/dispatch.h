/* Executing one ioreq against the io registry: size/count/direction checks,
 * rep iteration with df, data_is_ptr moving data through guest memory, and
 * safe answers for anything malformed or unclaimed. Internal to ioreq/. */
#ifndef XENGVT_IOREQ_DISPATCH_H
#define XENGVT_IOREQ_DISPATCH_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/hvm/ioreq.h>

#include "ioreq/iomap.h"
#include "ioreq/server.h"

/* Upper bound on rep iterations in one request: Xen clips reps to a page of
 * guest buffer, so 4096 covers every honest request and bounds the work a
 * malformed one can cause. */
#define IOREQ_MAX_REPS 4096u

struct gmem;

/* The maps: one per enum io_space, then the write-protected guest pages
 * (writes to them arrive as MMIO requests no range claims). */
#define IO_MAP_WPAGE 3
#define IO_MAPS 4

struct ioreq_dispatch {
    struct iomap maps[IO_MAPS];
    struct gmem *gm;
    struct ioreq_stats *stats;
    uint32_t domid;
};

/* Handles `req` (a private copy of the slot); for reads it sets req->data. */
void ioreq_dispatch_one(struct ioreq_dispatch *d, ioreq_t *req);

/* Drains the buffered ring; returns the number of slots consumed. */
unsigned ioreq_dispatch_buffered(struct ioreq_dispatch *d,
                                 buffered_iopage_t *page);

#endif
