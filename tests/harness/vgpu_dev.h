/* A vGPU served by the daemon's own modules inside the test's process, on
 * a manual clock, and the guest's side of it: ioreqs posted in the shared
 * page and signalled as Xen would, buffered writes, guest RAM, timers.
 * Shared by the fuzz targets (tests/fuzz) and the part-level unit tests
 * (tests/unit/test_gvt_*.c); Xen is fake_xen.c. */
#ifndef XENGVT_TESTS_FUZZ_DEV_H
#define XENGVT_TESTS_FUZZ_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "fake_xen.h"
#include "evtchn/irq.h"

#define FUZZ_DOMID 7u
#define FUZZ_SBDF 0x10u             /* 0000:00:02.0 */
#define FUZZ_BAR0 0xe0000000ull
#define FUZZ_BAR2 0xc0000000ull

struct fuzz_dev {
    struct evt_loop *loop;
    struct evt_ports *ports;
    struct evt_irq *irq;
    struct gmem *gm;
    struct ioreq_server *srv;
    struct vgpu *vgpu;
    uint64_t observed; /* FNV-1a of every value the guest read */
};

/* Fresh RAM and a vGPU of type `type` (NULL: default) as at creation: one
 * vGPU per process, cold-reset between inputs (vgpu_cold_reset), on a
 * manual clock (evt_loop_set_manual_time) so that an input gives the same
 * run whatever ran before it. Aborts if set-up fails: a harness bug, not a
 * finding. */
void fuzz_dev_start(struct fuzz_dev *d, const char *type);
/* Ends an input: its fingerprint (what the guest observed, and the vGPU's
 * counters) goes to fuzz_last_fingerprint. */
void fuzz_dev_stop(struct fuzz_dev *d);
/* The same with the GGTT and a 4 MiB aperture slice as guest RAM (the
 * daemon's default set-up on a Xen that gives it the frames). */
void fuzz_dev_start_ram(struct fuzz_dev *d);
/* A guest CPU access to guest-physical `gpa`, routed as Xen's p2m routes
 * it: RAM and populated frames are memory (a store marks the frame dirty
 * for Xen's tracking), but a store to a write-protected page
 * (p2m_ioreq_server) and anything else are an MMIO ioreq. */
uint64_t fuzz_phys(struct fuzz_dev *d, uint64_t gpa, unsigned size, int write, uint64_t val);
extern uint64_t fuzz_last_fingerprint;

/* Posts `req` on `vcpu`'s slot, signals its port and lets the daemon run.
 * The access must be answered (a hung vCPU aborts: a finding). Returns the
 * data the daemon put in the slot. */
uint64_t fuzz_ioreq(struct fuzz_dev *d, unsigned vcpu, const ioreq_t *req);
uint64_t fuzz_mmio(struct fuzz_dev *d, uint64_t addr, unsigned size, int write, uint64_t val);
uint64_t fuzz_cfg(struct fuzz_dev *d, uint32_t reg, unsigned size, int write, uint64_t val);
/* Puts `n` raw slots in the buffered ring from write_pointer on, with
 * `write_ptr_skew` added to the pointer Xen publishes (hostile pointers),
 * and signals the buffered port. */
void fuzz_buffered(struct fuzz_dev *d, const buf_ioreq_t *slots, unsigned n,
                   uint32_t write_ptr_skew);
/* Runs what is due (timers, queued work) for up to `rounds` loop rounds. */
void fuzz_run(struct fuzz_dev *d, unsigned rounds);
void fuzz_run_bounded(struct fuzz_dev *d, unsigned rounds, unsigned max_fires);
/* BAR0/BAR2 where the BIOS would put them, memory decoding and bus
 * mastering on, MSI enabled. */
void fuzz_place_bars(struct fuzz_dev *d);

/* The guest sets pipe A's source size to 640x480 (PIPESRC_A), as a
 * driver setting that mode would: a capture is then 1.2 MiB of pixels, not
 * 1080p's 8 MiB (a screenshot of that is a 14 ms PNG). For targets whose
 * subject is not the mode. */
void fuzz_set_mode_640x480(struct fuzz_dev *d);

/* The GGTT's first `pages` entries onto guest RAM from `gpa` on, as
 * i915 binds its objects (8-byte stores to BAR0 + 8 MiB). */
void fuzz_map_ggtt(struct fuzz_dev *d, uint64_t gpa, uint32_t pages);

/* A gen9 context's register state page as i915 writes it (LRI headers,
 * ring registers of the engine at `base`, the four PDPs as given). */
void fuzz_ctx_image(uint32_t *state, uint32_t base, uint32_t head, uint32_t tail,
                    uint32_t ring_start, uint32_t ring_size, const uint64_t pdp[4]);

/* Reads a little-endian value of `n` bytes (n <= 8) from *p, advancing;
 * zero past the end. */
uint64_t fuzz_take(const uint8_t **p, const uint8_t *end, unsigned n);

#endif
