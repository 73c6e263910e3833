/* An engine of the vGPU (gen9: rcs, bcs, vcs, vecs): its register block,
 * its state (execlist port, context-status buffer, command-streamer
 * position), and what every user of an engine needs: its identity, its
 * interrupt and its error. execlist.c submits to an engine, cmd_exec.c and
 * blit.c run its commands; all three report through here. Internal to
 * gvt/. */
#ifndef XENGVT_GVT_ENGINE_H
#define XENGVT_GVT_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "gvt/ppgtt.h"

struct vgpu;

enum gvt_engine_id { GVT_RCS, GVT_BCS, GVT_VCS, GVT_VECS, GVT_NR_ENGINES };

/* Each engine's register block, as i915 names it (gvt_engine_info[].base). */
#define RENDER_RING_BASE 0x2000u
#define BLT_RING_BASE 0x22000u
#define GEN6_BSD_RING_BASE 0x12000u
#define VEBOX_RING_BASE 0x1a000u

/* Per-engine MMIO, relative to the engine's base. */
#define RING_TAIL 0x30u
#define RING_HEAD 0x34u
#define RING_START 0x38u
#define RING_CTL 0x3cu
#define RING_HWS_PGA 0x80u
#define RING_EIR 0xb0u
#define RING_EMR 0xb4u
#define RING_ESR 0xb8u
#define RING_ELSP 0x230u
#define RING_EXECLIST_STATUS_LO 0x234u
#define RING_EXECLIST_STATUS_HI 0x238u
#define RING_CONTEXT_STATUS_BUF 0x370u /* 6 x (lo, hi) */
#define RING_CONTEXT_STATUS_PTR 0x3a0u

/* GT interrupt bits of an engine, before its shift in the GT IIR. */
#define GT_USER_INTERRUPT (1u << 0)
#define GT_CS_MASTER_ERROR (1u << 3)
#define GT_NOTIFY_INTERRUPT (1u << 4) /* PIPE_CONTROL / MI_FLUSH_DW notify */
#define GT_CONTEXT_SWITCH (1u << 8)

/* CSB status bits (low dword). */
#define CSB_IDLE_TO_ACTIVE (1u << 0)
#define CSB_PREEMPTED (1u << 1)
#define CSB_ELEMENT_SWITCH (1u << 2)
#define CSB_ACTIVE_TO_IDLE (1u << 3)
#define CSB_COMPLETE (1u << 4)
#define CSB_LITE_RESTORE (1u << 15)
#define CSB_ENTRIES 6u
/* How long an engine out of work holds its last context's completion
 * (execlist.c): long enough to span the gap between two batches of one
 * context when a guest feeds every engine in turn. Under QEMU's emulation
 * of the whole machine IGT's gem_exec_nop -e all brings one engine's next
 * batch four batches later, 80-400 ms: 50 ms ran out on nearly every
 * batch; 250 ms on a quarter (measured while i915's kernel context was
 * held too, which execlist.c no longer does); 1 s, with only clients'
 * batches held, on 0.002 of them. What waits for an idle
 * engine does not wait for this event: i915's idleness checks read
 * RING_MI_MODE (idle while held: skl_regs.c) and retire requests by their
 * breadcrumbs. The price: a guest's own busyness figures (i915's PMU)
 * count a held context as running. */
#define CSB_HOLD_NS (1000ull * 1000 * 1000)
#define CSB_PTR_RESET 7u

/* Guest HWSP dwords the CSB is mirrored into (gen9). */
#define HWSP_CSB_BUF0 0x10u
#define HWSP_CSB_WRITE 0x1fu

#define CS_MAX_DEPTH 2u           /* ring -> first level -> second level */
#define CS_MAX_CHAIN 1024u        /* batch starts without return, per level */
#define CS_MAX_SUBMIT_DWORDS (16u << 20) /* dwords one submission may run */

/* Where the streamer is: the ring, or a batch level. */
struct gvt_cs_level {
    uint64_t ip;   /* graphics address of the next dword */
    bool ppgtt;    /* address space of this batch (and what it may do) */
    unsigned chain;
};

struct gvt_cs {
    uint32_t ring_start, ring_size, head, tail;
    unsigned depth; /* 0: executing the ring */
    struct gvt_cs_level bb[CS_MAX_DEPTH + 1];
    struct gvt_ppgtt_root root;
    uint32_t lrca; /* the context's graphics address (its PPHWSP page) */
    uint64_t dwords;
};

struct gvt_ctx_port {
    bool valid;
    uint64_t desc;
};

struct gvt_engine {
    enum gvt_engine_id id;
    uint32_t elsp[4];
    unsigned elsp_writes;
    struct gvt_ctx_port port[2]; /* port[0] runs, port[1] waits */
    bool active;
    bool loaded;                 /* cs holds port[0]'s ring state */
    uint32_t pending_event;      /* CSB status to post when the runner starts */
    uint32_t pending_ctx_id;
    unsigned csb_write;          /* last entry written, CSB_PTR_RESET after reset */
    bool hung;                   /* stopped on an error until reset */
    /* Its last context ran to its tail, and the engine holds the context's
     * completion event until held_until (execlist.c: why). Not part of a
     * saved state: a restored engine runs the empty remainder again and
     * holds anew. */
    bool held;
    uint64_t held_until;
    uint64_t batches_at_submit; /* `batches` when ELSP last submitted */
    struct gvt_cs cs;
    uint64_t submissions, completions, csb_events, errors, dwords;
    uint64_t last_lrca;          /* element 0 of the last submission */
    /* For xengvt top: first-level batches started, time with work (the
     * loop's clock: accounted when the engine wakes and goes idle, never
     * per command). */
    uint64_t batches, busy_ns, busy_since;
};

struct gvt_engine_info {
    const char *name;
    uint32_t base;
    unsigned irq_block; /* enum gvt_irq_block */
    unsigned irq_shift;
    uint32_t grdom;     /* GDRST bit resetting it */
};

extern const struct gvt_engine_info gvt_engine_info[GVT_NR_ENGINES];

/* An engine error the guest can see: RING_EIR, the CS error interrupt, and
 * the engine stops until reset. */
void gvt_engine_error(struct vgpu *v, struct gvt_engine *e, const char *why, ...)
    __attribute__((format(printf, 3, 4)));
void gvt_engine_interrupt(struct vgpu *v, const struct gvt_engine *e, uint32_t bit);

/* An engine's execlist and command-streamer state as a saved state's
 * "engines" section holds it, one engine after the other. Load checks what
 * the streamer relies on (a file is input like any other): false when the
 * values are not ones this build could have written. */
struct state_buf;
struct state_reader;
void gvt_engine_save(const struct gvt_engine *e, struct state_buf *b);
bool gvt_engine_load(struct state_reader *r, struct gvt_engine *e, unsigned id);
/* The engines' state from `from` (checked); the counters stay this
 * daemon's, as its stats report them. */
void gvt_engines_take(struct vgpu *v, const struct gvt_engine *from);
/* The bytes of `e`'s bool fields are 0 or 1 (raw memory a dead daemon left
 * must be checked before any is loaded as a bool). */
bool gvt_engine_bools_ok(const struct gvt_engine *e);

#endif
