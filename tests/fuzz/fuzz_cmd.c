/* Fuzz target: execlists and the software command streamer with its audit.
 * The harness plays i915: a GGTT mapping [0, 1 MiB) of graphics memory
 * onto guest RAM, a status page per engine, a gen9 context image whose ring
 * registers come from the input, then an ELSP submission. The ring's
 * dwords and the memory behind them (batches, PPGTT tables, blit surfaces)
 * are the input; the engine runs until it idles or the harness's patience
 * (a bounded number of loop rounds) ends, as a guest would wait.
 *
 * Input: engine (1) | flags (1) | head (2) | tail (2) | ring (16 KiB) |
 * the rest of graphics memory from 0x40000 on. */
#include "vgpu_dev.h"
#include "gvt/vgpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GGTT_GPA 0x100000u   /* graphics address g is guest-physical g + this */
#define GGTT_PAGES 256u
#define HWSP(e) (0x1000u * (e))
#define CTX(e) (0x10000u + 0x2000u * (e))
#define RING 0x20000u
#define RING_SIZE 0x4000u
#define FREE_GA 0x40000u

static const uint32_t engine_base[4] = { 0x2000u, 0x22000u, 0x12000u, 0x1a000u };

static uint32_t *ga(uint32_t g) { return (uint32_t *)(fx.ram + GGTT_GPA + g); }

static void reg_write(struct fuzz_dev *d, uint32_t off, uint32_t val)
{
    fuzz_mmio(d, FUZZ_BAR0 + off, 4, 1, val);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 6)
        return 0;
    struct fuzz_dev d;
    fuzz_dev_start(&d, NULL);
    fuzz_place_bars(&d);
    fuzz_map_ggtt(&d, GGTT_GPA, GGTT_PAGES);

    unsigned e = data[0] % 4;
    unsigned flags = data[1];
    uint32_t head = (uint32_t)(data[2] | data[3] << 8) << 2;
    uint32_t tail = (uint32_t)(data[4] | data[5] << 8) << 2;
    if (!(flags & 0x80)) { /* mostly inside the ring */
        head %= RING_SIZE;
        tail %= RING_SIZE;
    }
    size_t rest = size - 6;
    size_t ring_bytes = rest < RING_SIZE ? rest : RING_SIZE;
    memcpy(ga(RING), data + 6, ring_bytes);
    size_t more = rest - ring_bytes;
    if (more > (GGTT_PAGES * 4096u - FREE_GA))
        more = GGTT_PAGES * 4096u - FREE_GA;
    memcpy(ga(FREE_GA), data + 6 + ring_bytes, more);

    uint32_t b = engine_base[e];
    /* Interrupts on, the status page, run-list mode, errors unmasked. */
    reg_write(&d, 0x44300 + 4, 0);
    reg_write(&d, 0x44310 + 4, 0);
    reg_write(&d, 0x44330 + 4, 0);
    reg_write(&d, 0x4430c, ~0u);
    reg_write(&d, 0x4431c, ~0u);
    reg_write(&d, 0x4433c, ~0u);
    reg_write(&d, b + 0x80, HWSP(e));
    ga(HWSP(e))[0x1f] = 5;
    reg_write(&d, b + 0x29c, 0x80008000u);
    reg_write(&d, b + 0xb4, ~1u);
    reg_write(&d, b + 0x9c, 0x01000000u);
    reg_write(&d, 0x44200, 0x80000000u);

    /* The context image: ring registers (LRI as i915 writes them), PDPs
     * pointing into input-controlled memory. */
    uint32_t *st = ga(CTX(e) + 4096);
    memset(ga(CTX(e)), 0, 8192);
    const uint64_t pdp[4] = { GGTT_GPA + FREE_GA, GGTT_GPA + FREE_GA + 0x1000u,
                              GGTT_GPA + FREE_GA + 0x2000u, GGTT_GPA + FREE_GA + 0x3000u };
    fuzz_ctx_image(st, b, head, tail, (flags & 0x40) ? (uint32_t)(data[2] << 12) : RING,
                   RING_SIZE, pdp); /* PML4 / PDPs */
    /* Descriptor: valid, 4-level (i915's choice) or legacy 3-level PPGTT;
     * with flag 8 any of the four addressing modes, unsupported ones too. */
    uint32_t addressing = (flags & 8) ? (flags >> 2) & 3 : (flags & 4) ? 1 : 3;
    uint64_t desc = (uint64_t)(0x10 + e) << 32 | CTX(e) | addressing << 3 | 1u << 8 | 1u;
    uint64_t desc1 = (flags & 0x20) ? desc + (1ull << 32) : 0;
    uint32_t elsp = b + 0x230;
    reg_write(&d, elsp, (uint32_t)(desc1 >> 32));
    reg_write(&d, elsp, (uint32_t)desc1);
    reg_write(&d, elsp, (uint32_t)(desc >> 32));
    reg_write(&d, elsp, (uint32_t)desc);
    fuzz_run_bounded(&d, 2, 1); /* the guest's patience: two slices of the streamer */
    if (flags & 0x10) {
        /* Lite restore: the same context again with a new tail. */
        st[7] = (tail + 64) % RING_SIZE;
        reg_write(&d, elsp, 0);
        reg_write(&d, elsp, 0);
        reg_write(&d, elsp, (uint32_t)(desc >> 32));
        reg_write(&d, elsp, (uint32_t)desc);
        fuzz_run_bounded(&d, 2, 1); /* the guest's patience: two slices of the streamer */
    }
    /* The guest reads what happened, then resets the engine. */
    fuzz_mmio(&d, FUZZ_BAR0 + b + 0x234, 4, 0, 0);  /* EXECLIST_STATUS */
    fuzz_mmio(&d, FUZZ_BAR0 + b + 0x3a0, 4, 0, 0);  /* CSB pointers */
    fuzz_mmio(&d, FUZZ_BAR0 + b + 0xb0, 4, 0, 0);   /* EIR */
    if (getenv("FUZZ_LOG")) {
        struct vgpu_stats vs;
        vgpu_get_stats(d.vgpu, &vs);
        fprintf(stderr, "fuzz_cmd: engine %u: %llu submissions, %llu completions, %llu CS "
                "dwords, %llu engine errors, %llu MSIs\n", e,
                (unsigned long long)vs.elsp_submissions, (unsigned long long)vs.ctx_completions,
                (unsigned long long)vs.cs_dwords, (unsigned long long)vs.engine_errors,
                (unsigned long long)fx.msis);
    }
    reg_write(&d, 0x941c, 1u << (e == 0 ? 1 : e == 1 ? 3 : e == 2 ? 2 : 4));
    fuzz_run(&d, 4);
    fuzz_dev_stop(&d);
    return 0;
}
