/* Fuzz target, structure-aware: the input does not hold dwords but
 * decisions, from which the harness builds what i915 would submit -- a
 * ring and up to three batches of well-formed MI, PIPE_CONTROL, blitter
 * and 3D-state commands with addresses that mostly land in mapped memory,
 * chained and second-level batch starts, and a 4-level PPGTT whose tables
 * the input also shapes (4 KiB and 2 MiB pages, holes, stray bits). So
 * mutations reach deep into the command streamer, its audit and its PPGTT
 * walk instead of dying at the first header check.
 *
 * Input: engine (1) | flags (1) | then records of kind (1) | a (4) | b (4). */
#include "vgpu_dev.h"
#include "gvt/vgpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GGTT_GPA 0x100000u /* graphics address g is guest-physical g + this */
#define GGTT_PAGES 512u
#define HWSP 0x0u
#define CTX 0x10000u
#define RING 0x20000u
#define RING_SIZE 0x4000u
#define BATCH(i) (0x40000u + 0x4000u * (i))
#define DATA 0x60000u      /* stores, blits land here (GGTT) */
#define PML4 0x80000u      /* PPGTT tables in graphics memory */
#define PPGTT_VA 0x40000000ull
#define PPGTT_GPA 0x1000000ull

static const uint32_t engine_base[4] = { 0x2000u, 0x22000u, 0x12000u, 0x1a000u };
/* Registers a batch may or may not load: allowed, masked, denied, weird. */
static const uint32_t lri_regs[] = { 0x7004, 0x2098, 0xb118, 0x20d8, 0x2248, 0x44200,
                                     0x78000, 0x101008, 0x2094, 0x229c, 0xe4f0, 0x7010 };

static uint32_t *ga(uint32_t g) { return (uint32_t *)(fx.ram + GGTT_GPA + g); }

struct gen {
    uint32_t *out;
    unsigned n, cap;
    bool ppgtt; /* addresses in this stream are PPGTT (a PPGTT batch) */
};

static void emit(struct gen *g, uint32_t dw)
{
    if (g->n < g->cap)
        g->out[g->n++] = dw;
}

/* An address the command will touch: mostly inside mapped memory. */
static uint64_t addr(const struct gen *g, uint32_t a)
{
    switch (a >> 30) {
    case 0: return g->ppgtt ? PPGTT_VA + (a & 0x3ffffc) : DATA + (a & 0xfffc);
    case 1: return g->ppgtt ? PPGTT_VA + 0x200000 + DATA + (a & 0xfffc) : HWSP + (a & 0xffc);
    case 2: return (a & 0xfffc) + ((uint64_t)(a >> 16 & 0xff) << 32); /* far, unmapped */
    default: return a;
    }
}

static void gen_cmd(struct gen *g, unsigned kind, uint32_t a, uint32_t b)
{
    uint64_t ad = addr(g, a);
    uint32_t ggtt = g->ppgtt ? 0 : (1u << 22);
    switch (kind % 14) {
    case 0: emit(g, 0); break; /* MI_NOOP */
    case 1: emit(g, 0x05u << 23); break; /* MI_ARB_CHECK */
    case 2: /* MI_STORE_DATA_IMM, 1 or 2 dwords */
        emit(g, (0x20u << 23) | ggtt | (2u + (b & 1)));
        emit(g, (uint32_t)ad), emit(g, (uint32_t)(ad >> 32)), emit(g, b);
        if (b & 1)
            emit(g, ~b);
        break;
    case 3: { /* MI_LOAD_REGISTER_IMM of 1..3 registers */
        unsigned n = 1 + b % 3;
        emit(g, (0x22u << 23) | (2u * n - 1));
        for (unsigned i = 0; i < n; i++) {
            emit(g, lri_regs[(a >> (4 * i)) % (sizeof(lri_regs) / 4)]);
            emit(g, b * (i + 1));
        }
        break;
    }
    case 4: /* PIPE_CONTROL with a post-sync write */
        emit(g, 0x7a000000u | 4u);
        emit(g, (b & 0xffff00u) | (1u << 14) | (g->ppgtt ? 0 : 1u << 24) | (b & 0x100));
        emit(g, (uint32_t)ad), emit(g, (uint32_t)(ad >> 32)), emit(g, a), emit(g, 0);
        break;
    case 5: /* MI_FLUSH_DW with a store */
        emit(g, (0x26u << 23) | (1u << 14) | 2u);
        emit(g, (uint32_t)ad | (g->ppgtt ? 0 : 4)), emit(g, (uint32_t)(ad >> 32)), emit(g, b);
        break;
    case 6: /* MI_BATCH_BUFFER_START: one of the batches, GGTT or PPGTT */
        emit(g, (0x31u << 23) | 1u | ((b & 1) ? 1u << 22 : 0) | ((b & 2) ? 1u << 8 : 0));
        emit(g, (b & 2) ? (uint32_t)(PPGTT_VA + 0x200000 + BATCH(a % 3)) : BATCH(a % 3));
        emit(g, (b & 2) ? (uint32_t)((PPGTT_VA + 0x200000) >> 32) : 0);
        break;
    case 7: emit(g, 0x0au << 23); break; /* MI_BATCH_BUFFER_END */
    case 8: emit(g, 0x02u << 23); break; /* MI_USER_INTERRUPT */
    case 9: { /* XY_COLOR_BLT */
        emit(g, (2u << 29) | (0x50u << 22) | (3u << 20) | 5u);
        emit(g, (3u << 24) | (0xf0u << 16) | (256 + (b & 0x3c0)));
        emit(g, 0), emit(g, (b & 0x3f) << 16 | (a & 0x3f));
        emit(g, (uint32_t)ad), emit(g, (uint32_t)(ad >> 32)), emit(g, b);
        break;
    }
    case 10: { /* XY_SRC_COPY_BLT */
        uint64_t src = addr(g, b);
        emit(g, (2u << 29) | (0x53u << 22) | (3u << 20) | 8u);
        emit(g, (3u << 24) | (0xccu << 16) | 256u);
        emit(g, 0), emit(g, (a & 0x1f) << 16 | ((a >> 8) & 0x3f));
        emit(g, (uint32_t)ad), emit(g, (uint32_t)(ad >> 32));
        emit(g, 0), emit(g, 256u);
        emit(g, (uint32_t)src), emit(g, (uint32_t)(src >> 32));
        break;
    }
    case 11: /* MI_STORE_REGISTER_MEM / MI_LOAD_REGISTER_MEM */
        emit(g, (((b & 1) ? 0x29u : 0x24u) << 23) | ggtt | 2u);
        emit(g, lri_regs[a % (sizeof(lri_regs) / 4)]);
        emit(g, (uint32_t)ad), emit(g, (uint32_t)(ad >> 32));
        break;
    case 12: { /* 3D state: a length to skip */
        unsigned len = b & 0x1f;
        emit(g, 0x78000000u | (a & 0x00ff0000u) | len);
        for (unsigned i = 0; i < len; i++)
            emit(g, a ^ i);
        break;
    }
    default: /* MI_COPY_MEM_MEM */
        emit(g, (0x2eu << 23) | (g->ppgtt ? 0 : 3u << 21) | 3u);
        emit(g, (uint32_t)ad), emit(g, (uint32_t)(ad >> 32));
        emit(g, (uint32_t)addr(g, b)), emit(g, (uint32_t)(addr(g, b) >> 32));
        break;
    }
}

/* The 4-level tables: VA PPGTT_VA.. onto PPGTT_GPA.. (2 MiB of 4 KiB
 * pages), the next 2 MiB onto graphics memory itself (where the batches
 * are), shaped by `shape`: bit 0 that second 2 MiB one huge page instead,
 * bit 1 a hole, bit 2 stray high bits in the entries. */
static void build_ppgtt(uint32_t shape)
{
    uint64_t *pml4 = (uint64_t *)ga(PML4), *pdp = (uint64_t *)ga(PML4 + 0x1000),
             *pd = (uint64_t *)ga(PML4 + 0x2000), *pt = (uint64_t *)ga(PML4 + 0x3000),
             *pt2 = (uint64_t *)ga(PML4 + 0x4000);
    memset(pml4, 0, 0x5000);
    pml4[(PPGTT_VA >> 39) & 511] = (GGTT_GPA + PML4 + 0x1000) | 3;
    pdp[(PPGTT_VA >> 30) & 511] = (GGTT_GPA + PML4 + 0x2000) | 3;
    unsigned pde = (PPGTT_VA >> 21) & 511;
    pd[pde] = (GGTT_GPA + PML4 + 0x3000) | 3;
    for (unsigned i = 0; i < 512; i++) {
        pt[i] = (PPGTT_GPA + 0x1000ull * i) | 3 | ((shape & 4) ? (uint64_t)i << 52 : 0);
        pt2[i] = (GGTT_GPA + 0x1000ull * i) | 3;
    }
    pd[pde + 1] = (shape & 1) ? GGTT_GPA | 3 | 0x80 /* PS: 2 MiB */ : (GGTT_GPA + PML4 + 0x4000) | 3;
    if (shape & 2)
        pt[(shape >> 4) & 511] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct fuzz_dev d;
    fuzz_dev_start(&d, NULL);
    fuzz_place_bars(&d);
    fuzz_map_ggtt(&d, GGTT_GPA, GGTT_PAGES);
    unsigned e = data[0] % 4;
    unsigned flags = data[1];
    uint32_t b0 = engine_base[e];
    const uint8_t *p = data + 2, *end = data + size;

    /* The ring, then the three batches (each ends its stream). */
    struct gen ring = { ga(RING), 0, RING_SIZE / 4 - 16, false };
    struct gen batch[3];
    for (unsigned i = 0; i < 3; i++)
        batch[i] = (struct gen){ ga(BATCH(i)), 0, 0x4000 / 4 - 16, (flags >> i) & 1 };
    struct gen *cur = &ring;
    unsigned which = 0;
    while (p < end) {
        unsigned kind = (unsigned)fuzz_take(&p, end, 1);
        uint32_t a = (uint32_t)fuzz_take(&p, end, 4), b = (uint32_t)fuzz_take(&p, end, 4);
        if (kind == 0xff) { /* the next stream */
            which = (which + 1) % 4;
            cur = which == 0 ? &ring : &batch[which - 1];
            continue;
        }
        gen_cmd(cur, kind, a, b);
    }
    for (unsigned i = 0; i < 3; i++)
        emit(&batch[i], 0x0au << 23);
    if (ring.n % 2)
        emit(&ring, 0);
    build_ppgtt(flags >> 3);

    /* i915's set-up and the context image (as fuzz_cmd). */
    fuzz_mmio(&d, FUZZ_BAR0 + 0x44300 + 4, 4, 1, 0);
    fuzz_mmio(&d, FUZZ_BAR0 + 0x4430c, 4, 1, ~0u);
    fuzz_mmio(&d, FUZZ_BAR0 + b0 + 0x80, 4, 1, HWSP);
    ga(HWSP)[0x1f] = 5;
    fuzz_mmio(&d, FUZZ_BAR0 + b0 + 0x29c, 4, 1, 0x80008000u);
    fuzz_mmio(&d, FUZZ_BAR0 + b0 + 0x9c, 4, 1, 0x01000000u);
    fuzz_mmio(&d, FUZZ_BAR0 + 0x44200, 4, 1, 0x80000000u);
    memset(ga(CTX), 0, 8192);
    const uint64_t pdp[4] = { GGTT_GPA + PML4, 0, 0, 0 };
    fuzz_ctx_image(ga(CTX + 4096), b0, 0, 4 * ring.n, RING, RING_SIZE, pdp);
    uint64_t desc = (uint64_t)(0x20 + e) << 32 | CTX | 3u << 3 | 1u << 8 | 1u;
    uint32_t elsp = b0 + 0x230;
    fuzz_mmio(&d, FUZZ_BAR0 + elsp, 4, 1, 0);
    fuzz_mmio(&d, FUZZ_BAR0 + elsp, 4, 1, 0);
    fuzz_mmio(&d, FUZZ_BAR0 + elsp, 4, 1, (uint32_t)(desc >> 32));
    fuzz_mmio(&d, FUZZ_BAR0 + elsp, 4, 1, (uint32_t)desc);
    fuzz_run_bounded(&d, 2, 1);
    fuzz_mmio(&d, FUZZ_BAR0 + b0 + 0x234, 4, 0, 0); /* EXECLIST_STATUS */
    fuzz_mmio(&d, FUZZ_BAR0 + b0 + 0xb0, 4, 0, 0);  /* EIR */
    if (getenv("FUZZ_LOG")) {
        struct vgpu_stats vs;
        vgpu_get_stats(d.vgpu, &vs);
        fprintf(stderr, "fuzz_cmdgen: ring %u dwords, batches %u/%u/%u: %llu CS dwords, %llu "
                "skipped, %llu blits, %llu PPGTT walks, %llu errors, %llu completions\n",
                ring.n, batch[0].n, batch[1].n, batch[2].n, (unsigned long long)vs.cs_dwords,
                (unsigned long long)vs.cs_skipped, (unsigned long long)vs.blits,
                (unsigned long long)vs.ppgtt_walks, (unsigned long long)vs.engine_errors,
                (unsigned long long)vs.ctx_completions);
    }
    fuzz_mmio(&d, FUZZ_BAR0 + 0x941c, 4, 1, 1u << (e == 0 ? 1 : e == 1 ? 3 : e == 2 ? 2 : 4));
    fuzz_run(&d, 1);
    fuzz_dev_stop(&d);
    return 0;
}
