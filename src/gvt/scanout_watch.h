/* Which pages of the scanout surface changed since the last capture, so
 * that a capture reads only those, and nothing when none did.
 *
 * Writers of a surface page, and how each is seen:
 *  - the guest's CPU, through any mapping (a dumb buffer's WC map goes
 *    straight to RAM): the pages are write-protected between captures
 *    (Xen's p2m_ioreq_server type, which the daemon claims for writes).
 *    The first store to a page comes here as an ioreq; it is performed,
 *    the page is marked and given back as plain RAM until the next
 *    capture protects it again. One trap per written page per capture;
 *  - the daemon itself (the aperture's sync into the surface, blits):
 *    its writes are announced by guestmem's write hook.
 * Anything else (another device model's DMA) is not seen: every
 * FULL_READ_NS a capture reads the whole surface anyway.
 *
 * A surface whose pages change by more than a quarter between captures
 * (video), or that costs the guest more than TRAPS_PER_S traps in a
 * second (a moving picture in part of it), is not protected: it would
 * cost the guest a trap per page per frame. It is read whole until two
 * captures in a row find it calm (and, after too many traps, for
 * BACKOFF_NS).
 * Nothing is protected while a live migration copies memory: Xen refuses
 * log-dirty mode while any page has the p2m_ioreq_server type. */
#ifndef XENGVT_GVT_SCANOUT_WATCH_H
#define XENGVT_GVT_SCANOUT_WATCH_H

#include <stdbool.h>
#include <stdint.h>

struct vgpu;
struct scanout_watch;

/* What a capture must read of the surface. */
enum scanout_read {
    SCANOUT_READ_ALL,   /* every page */
    SCANOUT_READ_DIRTY, /* the pages scanout_watch_dirty names */
    SCANOUT_READ_NONE,  /* nothing changed */
};

int scanout_watch_new(struct vgpu *v, struct scanout_watch **out);
/* Every page back to plain RAM, every registration gone. */
void scanout_watch_free(struct scanout_watch *w);

/* Before a capture reads the surface whose page i is guest frame gfns[i]
 * (n pages), programmed as `key` says (a digest of the plane registers).
 * Protects what must be protected before it is read. `whole`: the caller
 * needs every page whatever changed (its frame is not this surface's). */
enum scanout_read scanout_watch_begin(struct scanout_watch *w, const uint64_t *gfns, uint32_t n,
                                      uint64_t key, bool whole, uint64_t now_ns);
bool scanout_watch_dirty(const struct scanout_watch *w, uint32_t i);
/* After the capture: how many of its `rows` it found changed. */
void scanout_watch_end(struct scanout_watch *w, uint32_t damaged_rows, uint32_t rows);

/* Off: nothing protected from now on (a live migration); on again after. */
void scanout_watch_allow(struct scanout_watch *w, bool allow);
/* The surface's pages are protected now (what they cost and save is
 * counted in the vGPU's stats: scanout_write_traps, captures_unread,
 * capture_pages_read). */
bool scanout_watch_armed(const struct scanout_watch *w);

#endif
