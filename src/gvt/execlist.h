/* Execlists on the vGPU's four engines (gen9): ELSP submission, the
 * two-element port, context images read through the GGTT, CSB events in
 * the registers and the guest's HWSP, and the software command streamer
 * that runs each context's ring. Internal to gvt/. */
#ifndef XENGVT_GVT_EXECLIST_H
#define XENGVT_GVT_EXECLIST_H

#include <stdbool.h>
#include <stdint.h>

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
#define CSB_PTR_RESET 7u

/* Guest HWSP dwords the CSB is mirrored into (gen9). */
#define HWSP_CSB_BUF0 0x10u
#define HWSP_CSB_WRITE 0x1fu

/* Bounds on what one submission may make the streamer do. */
#define CS_MAX_DEPTH 2u           /* ring -> first level -> second level */
#define CS_MAX_CHAIN 1024u        /* batch starts without return, per level */
#define CS_MAX_SUBMIT_DWORDS (16u << 20)
#define CS_SLICE_DWORDS 16384u    /* then the loop serves ioreqs again */
#define CS_SYNC_DWORDS 4096u      /* run inside the submitting ELSP write */
#define CS_MAX_CMD_DWORDS 1024u

struct gvt_ppgtt_root {
    bool four_level;
    uint64_t pdp[4]; /* four_level: pdp[0] is the PML4's guest-physical address */
};

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
    struct gvt_cs cs;
    uint64_t submissions, completions, csb_events, errors, dwords;
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

/* execlist.c */
int gvt_execlist_init(struct vgpu *v);
void gvt_execlist_release(struct vgpu *v);
void gvt_execlist_reset(struct vgpu *v, uint32_t engine_mask);
/* After a restart from a checkpoint: the guest's HWSP (its memory, which
 * outlived the dead daemon) holds the newest context-status events the
 * dead daemon wrote; take them, so the CSB pointer never goes backwards
 * under the guest's feet ("invalid CSB event" in i915). */
void gvt_execlist_follow_guest_csb(struct vgpu *v);
/* Stop or restart the runner (quiesce for save; resume). */
void gvt_execlist_pause(struct vgpu *v, bool paused);
/* An engine error the guest can see: RING_EIR, the CS error interrupt, and
 * the engine stops until reset. */
void gvt_engine_error(struct vgpu *v, struct gvt_engine *e, const char *why, ...)
    __attribute__((format(printf, 3, 4)));
void gvt_engine_interrupt(struct vgpu *v, const struct gvt_engine *e, uint32_t bit);

/* cmd_exec.c: runs the loaded context from head towards tail. Returns 1
 * when the ring is empty, 0 when the budget ran out first, -1 on an
 * engine error (already reported). */
int gvt_cs_run(struct vgpu *v, struct gvt_engine *e, unsigned *budget);

/* gtt access for the streamer: graphics address -> guest memory, page by
 * page, in the GGTT or the context's PPGTT. 0 or -EFAULT. */
int gvt_gfx_read(struct vgpu *v, const struct gvt_cs *cs, bool ppgtt, uint64_t addr,
                 void *buf, uint32_t len);
int gvt_gfx_write(struct vgpu *v, const struct gvt_cs *cs, bool ppgtt, uint64_t addr,
                  const void *buf, uint32_t len);

/* cmd_regs.c: may a command (LRI/LRM/LRR) load register `off`, from a
 * privileged (ring, GGTT batch) or unprivileged (PPGTT batch) context? */
bool gvt_cmd_reg_loadable(struct vgpu *v, uint32_t off, bool privileged);
int gvt_cmd_regs_init(struct vgpu *v);

/* ppgtt.c */
int gvt_ppgtt_init(struct vgpu *v);
void gvt_ppgtt_release(struct vgpu *v);
/* Forget every cached translation and stop trapping page-table pages. */
void gvt_ppgtt_reset(struct vgpu *v);
int gvt_ppgtt_translate(struct vgpu *v, const struct gvt_ppgtt_root *root, uint64_t va,
                        uint64_t *gpa);
void gvt_ppgtt_g2v(struct vgpu *v, uint32_t msg);

/* blit.c: XY_COLOR_BLT, XY_SRC_COPY_BLT, XY_FAST_COPY_BLT on linear
 * surfaces. `cmd` holds the whole command. 0, or -1 after an engine error. */
int gvt_blit(struct vgpu *v, struct gvt_engine *e, const uint32_t *cmd, unsigned len);

#endif
