/* What a guest GPU driver does, scripted for tests: a linear GGTT map of the
 * first 8 MiB of graphics memory, per-engine status pages, gen9 logical
 * ring contexts and rings built in guest memory, a 4-level PPGTT, and ELSP
 * submission. Written from the hardware documentation and the i915
 * driver's observable behaviour, independently of the daemon's code. */
#ifndef XENGVT_TESTS_GPU_GUEST_H
#define XENGVT_TESTS_GPU_GUEST_H

#include "itest.h"

#include <sched.h>

#define GG_REG(off) (BAR0_ADDR + (off))
#define GG_GGTT_GPA 0x100000ull   /* graphics address g is guest-physical g + this */
#define GG_GGTT_SIZE (8u << 20)
#define GG_HWSP(e) (0x10000u + 0x1000u * (e))
#define GG_CTX(e, n) (0x40000u + 0x2000u * (4u * (e) + (n)))
#define GG_RING(e, n) (0x100000u + 0x4000u * (4u * (e) + (n)))
#define GG_RING_SIZE 0x4000u
#define GG_SEQNO 0x180000u         /* a page of breadcrumbs */
#define GG_BATCH 0x200000u         /* batches in the GGTT */

/* The PPGTT: tables and pages in guest RAM above 16 MiB. */
#define GG_PML4 0x1000000ull
#define GG_PDP 0x1001000ull
#define GG_PD 0x1002000ull
#define GG_PT 0x1003000ull
#define GG_PPGTT_VA 0x40000000ull  /* 2 MiB of 4 KiB pages ... */
#define GG_PPGTT_GPA 0x2000000ull  /* ... backed here */
#define GG_HUGE_VA 0x40200000ull   /* one 2 MiB page ... */
#define GG_HUGE_GPA 0x2400000ull   /* ... backed here */

enum { GG_RCS, GG_BCS, GG_VCS, GG_VECS };
static const uint32_t gg_base[4] = { 0x2000u, 0x22000u, 0x12000u, 0x1a000u };
/* GT IIR block offset and bit shift of each engine's interrupts. */
static const uint32_t gg_gt_isr[4] = { 0x44300u, 0x44300u, 0x44310u, 0x44330u };
static const unsigned gg_shift[4] = { 0, 16, 0, 0 };

#define MI_NOOP 0u
#define MI_USER_INTERRUPT (0x02u << 23)
#define MI_ARB_CHECK (0x05u << 23)
#define MI_BATCH_BUFFER_END (0x0au << 23)
#define MI_STORE_DWORD_IMM_GGTT ((0x20u << 23) | (1u << 22) | 2u)
#define MI_STORE_DWORD_IMM_PPGTT ((0x20u << 23) | 2u)
#define MI_LRI(n) ((0x22u << 23) | (2u * (n) - 1u))
#define MI_BB_START_GGTT ((0x31u << 23) | 1u)
#define MI_BB_START_PPGTT ((0x31u << 23) | (1u << 8) | 1u)
#define MI_BB_SECOND_LEVEL (1u << 22)
#define MI_FLUSH_DW_STORE ((0x26u << 23) | (1u << 14) | 2u)
#define PIPE_CONTROL6 (0x7a000000u | 4u)
#define PC_QW_WRITE (1u << 14)
#define PC_GLOBAL_GTT (1u << 24)
#define PC_NOTIFY (1u << 8)

struct gg {
    struct sim *s;
    uint8_t *ram;
    unsigned csb_seen[4]; /* CSB events consumed per engine */
    unsigned poll_us;     /* between HWSP polls; 0 spins (benchmarks) */
};

static inline void *gg_gpa(struct gg *g, uint64_t gpa) { return g->ram + gpa; }
static inline uint32_t *gg_ga(struct gg *g, uint32_t ga)
{
    return (uint32_t *)(g->ram + GG_GGTT_GPA + ga);
}

static inline void gg_write(struct gg *g, uint32_t off, uint32_t val)
{
    sim_mmio_write(g->s, 0, GG_REG(off), 4, val);
}

static inline uint32_t gg_read(struct gg *g, uint32_t off)
{
    return (uint32_t)sim_mmio_read(g->s, 0, GG_REG(off), 4);
}

/* The status page, interrupts (MSI, master, each engine's bits) and the
 * engines' execlist mode, as i915's init does. */
static inline void gg_init(struct gg *g, struct sim *s)
{
    memset(g, 0, sizeof(*g));
    g->s = s;
    g->poll_us = 500;
    g->ram = sim_ram(s);
    itest_place_bars(s, false);
    for (uint32_t i = 0; i < GG_GGTT_SIZE / 4096; i++)
        sim_mmio_write(s, 0, BAR0_ADDR + (8u << 20) + 8u * i, 8,
                       (GG_GGTT_GPA + 4096ull * i) | 1);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xb0, 4, 0xfee00000);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xb4, 2, 0x41);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xae, 2, 1);
    const uint32_t bits = 1u << 0 | 1u << 3 | 1u << 4 | 1u << 8;
    for (unsigned e = 0; e < 4; e++) {
        uint32_t isr = gg_gt_isr[e];
        gg_write(g, isr + 4, gg_read(g, isr + 4) & ~(bits << gg_shift[e])); /* IMR */
        gg_write(g, isr + 12, gg_read(g, isr + 12) | bits << gg_shift[e]);  /* IER */
        gg_write(g, gg_base[e] + 0x80, GG_HWSP(e));                         /* HWS_PGA */
        /* i915's reset_csb_pointers: the HWSP write pointer at the last
         * entry, so the first event (entry 0) is new. */
        gg_ga(g, GG_HWSP(e))[0x1f] = 5;
        gg_write(g, gg_base[e] + 0x29c, 0x80008000u);    /* GFX_MODE: run list on */
        gg_write(g, gg_base[e] + 0xb4, ~1u);             /* EMR: instruction errors */
        gg_write(g, gg_base[e] + 0x9c, 0x01000000u);     /* MI_MODE: STOP_RING off */
    }
    gg_write(g, 0x44200, 0x80000000u);
}

/* A 4-level PPGTT: GG_PPGTT_VA.. 4 KiB pages onto GG_PPGTT_GPA.., and a
 * 2 MiB page at GG_HUGE_VA. */
static inline void gg_ppgtt_build(struct gg *g)
{
    uint64_t *pml4 = gg_gpa(g, GG_PML4), *pdp = gg_gpa(g, GG_PDP), *pd = gg_gpa(g, GG_PD),
             *pt = gg_gpa(g, GG_PT);
    memset(pml4, 0, 4 * 4096);
    pml4[(GG_PPGTT_VA >> 39) & 0x1ff] = GG_PDP | 3;
    pdp[(GG_PPGTT_VA >> 30) & 0x1ff] = GG_PD | 3;
    pd[(GG_PPGTT_VA >> 21) & 0x1ff] = GG_PT | 3;
    pd[(GG_HUGE_VA >> 21) & 0x1ff] = GG_HUGE_GPA | 3 | (1u << 7);
    for (unsigned i = 0; i < 512; i++)
        pt[i] = (GG_PPGTT_GPA + 4096ull * i) | 3;
}

/* A gen9 logical ring context at GGTT `lrca` for engine `e`, its ring at
 * `ring` (GG_RING_SIZE bytes), head and tail given, PPGTT root GG_PML4. */
static inline void gg_ctx_init(struct gg *g, unsigned e, uint32_t lrca, uint32_t ring,
                               uint32_t head, uint32_t tail)
{
    uint32_t *st = gg_ga(g, lrca + 4096);
    uint32_t b = gg_base[e];
    memset(gg_ga(g, lrca), 0, 8192);
    st[1] = (0x22u << 23) | (1u << 12) | (2u * 14 - 1); /* LRI(14) with force-posted */
    st[2] = b + 0x244; st[3] = 0x00090009u;            /* CONTEXT_CONTROL */
    st[4] = b + 0x34; st[5] = head;
    st[6] = b + 0x30; st[7] = tail;
    st[8] = b + 0x38; st[9] = ring;
    st[10] = b + 0x3c; st[11] = ((GG_RING_SIZE / 4096 - 1) << 12) | 1;
    st[0x21] = (0x22u << 23) | (2u * 9 - 1);
    for (unsigned i = 0; i < 4; i++) {
        unsigned n = 3 - i; /* PDP3 first */
        st[0x24 + 4 * i] = b + 0x270 + 8 * n + 4;
        st[0x26 + 4 * i] = b + 0x270 + 8 * n;
    }
    st[0x31] = 0; /* PDP0 = the PML4 */
    st[0x33] = (uint32_t)GG_PML4;
}

static inline void gg_ctx_set_tail(struct gg *g, uint32_t lrca, uint32_t tail)
{
    gg_ga(g, lrca + 4096)[7] = tail;
}

static inline uint32_t gg_ctx_head(struct gg *g, uint32_t lrca)
{
    return gg_ga(g, lrca + 4096)[5];
}

static inline uint64_t gg_desc(uint32_t lrca, uint32_t ctx_id)
{
    return (uint64_t)ctx_id << 32 | lrca | (3u << 3) | (1u << 8) | 1u;
}

/* i915's write order: element 1 high, low, element 0 high, low. */
static inline void gg_submit(struct gg *g, unsigned e, uint64_t desc0, uint64_t desc1)
{
    uint32_t elsp = gg_base[e] + 0x230;
    gg_write(g, elsp, (uint32_t)(desc1 >> 32));
    gg_write(g, elsp, (uint32_t)desc1);
    gg_write(g, elsp, (uint32_t)(desc0 >> 32));
    gg_write(g, elsp, (uint32_t)desc0);
}

/* The CSB as the guest reads it: its HWSP copy. */
static inline uint32_t gg_csb_write_ptr(struct gg *g, unsigned e)
{
    return __atomic_load_n(&gg_ga(g, GG_HWSP(e))[0x1f], __ATOMIC_ACQUIRE);
}

static inline void gg_csb_entry(struct gg *g, unsigned e, unsigned i, uint32_t *status,
                                uint32_t *ctx)
{
    uint32_t *hwsp = gg_ga(g, GG_HWSP(e));
    *status = hwsp[0x10 + 2 * (i % 6)];
    *ctx = hwsp[0x11 + 2 * (i % 6)];
}

/* Wait until `n` more CSB events arrived on `e` (the write pointer moved
 * n entries); fills status/ctx of them. The pointer starts at 7 (none). */
static inline bool gg_wait_csb(struct gg *g, unsigned e, unsigned n, uint32_t *status,
                               uint32_t *ctx, int timeout_ms)
{
    uint64_t t0 = sim_now_ms();
    unsigned want = g->csb_seen[e] + n;
    for (;;) {
        uint32_t p = gg_csb_write_ptr(g, e);
        /* Events so far, modulo 6, consistent with the pointer. */
        if (p < 6 && (want - 1) % 6 == p) {
            for (unsigned i = 0; i < n; i++)
                gg_csb_entry(g, e, g->csb_seen[e] + i, &status[i], &ctx[i]);
            g->csb_seen[e] = want;
            return true;
        }
        if (sim_now_ms() - t0 > (uint64_t)timeout_ms)
            return false;
        if (g->poll_us)
            usleep(g->poll_us);
        else
            sched_yield();
    }
}

/* GT IIR bits of engine `e` (unshifted). */
static inline uint32_t gg_iir(struct gg *g, unsigned e)
{
    uint32_t v = gg_read(g, gg_gt_isr[e] + 8) >> gg_shift[e];
    return e == GG_RCS ? v & 0xffff : v;
}

static inline void gg_ack(struct gg *g, unsigned e)
{
    gg_write(g, gg_gt_isr[e] + 8, gg_iir(g, e) << gg_shift[e]);
}

/* CSB event status bits (gen9). */
#define CSB_IDLE_TO_ACTIVE (1u << 0)
#define CSB_PREEMPTED (1u << 1)
#define CSB_ELEMENT_SWITCH (1u << 2)
#define CSB_ACTIVE_TO_IDLE (1u << 3)
/* How long the daemon holds an engine's last completion (its CSB_HOLD_NS,
 * src/gvt/engine.h): what the guest sees, pinned here. */
#define GG_CSB_HOLD_MS 1000u
#define CSB_COMPLETE (1u << 4)
#define CSB_LITE_RESTORE (1u << 15)

/* A simulated guest with 64 MiB, its PPGTT built. */
static inline struct sim *gg_start(const char *name, struct gg *g)
{
    struct sim *s = itest_start(name, (struct sim_opts){ .ram_bytes = 64u << 20 });
    gg_init(g, s);
    gg_ppgtt_build(g);
    return s;
}

/* Puts `cmds` in ring n of engine e from offset 0 and its context there,
 * submits it alone; returns the tail. */
static inline uint32_t gg_run_ring(struct gg *g, unsigned e, unsigned n, const uint32_t *cmds,
                                   unsigned count, uint32_t ctx_id)
{
    uint32_t *ring = gg_ga(g, GG_RING(e, n));
    memcpy(ring, cmds, 4 * count);
    uint32_t tail = 4 * count;
    if (tail % 8) { /* i915 keeps the tail qword aligned */
        ring[count] = MI_NOOP;
        tail += 4;
    }
    gg_ctx_init(g, e, GG_CTX(e, n), GG_RING(e, n), 0, tail);
    gg_submit(g, e, gg_desc(GG_CTX(e, n), ctx_id), 0);
    return tail;
}

/* The next n CSB events of engine e are status[i] for context ctx[i]. */
static inline void gg_expect_events(struct gg *g, unsigned e, unsigned n,
                                    const uint32_t *status, const uint32_t *ctx)
{
    uint32_t st[8], id[8];
    if (!gg_wait_csb(g, e, n, st, id, 5000))
        fail_msg("engine %u: %u CSB events did not arrive (write pointer %u)", e, n,
                 gg_csb_write_ptr(g, e));
    for (unsigned i = 0; i < n; i++) {
        if (st[i] != status[i] || id[i] != ctx[i])
            fail_msg("engine %u CSB event %u: status %#x ctx %#x, expected %#x ctx %#x", e, i,
                     st[i], id[i], status[i], ctx[i]);
    }
}

#endif
