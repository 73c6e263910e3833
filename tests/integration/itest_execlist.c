/* Execlists and the command streamer through the real daemon: a scripted
 * guest builds gen9 contexts and rings in its memory, submits them through
 * ELSP, and checks what i915 relies on -- breadcrumbs, CSB events in its
 * HWSP in order, interrupts, RING_HEAD, lite restore, two-element ports,
 * PPGTT batches, blits -- and that hostile submissions end in an engine
 * error the guest can reset, never in a stuck or crashed daemon. */
#include "gpu_guest.h"

#include <sys/wait.h>

#define CSB_IDLE_TO_ACTIVE (1u << 0)
#define CSB_PREEMPTED (1u << 1)
#define CSB_ELEMENT_SWITCH (1u << 2)
#define CSB_ACTIVE_TO_IDLE (1u << 3)
#define CSB_COMPLETE (1u << 4)
#define CSB_LITE_RESTORE (1u << 15)

static struct sim *start(const char *name, struct gg *g)
{
    struct sim *s = itest_start(name, (struct sim_opts){ .ram_bytes = 64u << 20 });
    gg_init(g, s);
    gg_ppgtt_build(g);
    return s;
}

/* Puts `cmds` in ring n of engine e from offset 0 and its context there,
 * submits it alone; returns the tail. */
static uint32_t run_ring(struct gg *g, unsigned e, unsigned n, const uint32_t *cmds,
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

static void expect_events(struct gg *g, unsigned e, unsigned n, const uint32_t *status,
                          const uint32_t *ctx)
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

static void test_breadcrumbs_and_csb(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = start("el_breadcrumb", &g);
    uint32_t m0 = sim_msi_count(s);
    const uint32_t cmds[] = {
        MI_ARB_CHECK,
        MI_STORE_DWORD_IMM_GGTT, GG_SEQNO, 0, 0x1111,
        PIPE_CONTROL6, PC_QW_WRITE | PC_GLOBAL_GTT | PC_NOTIFY, GG_SEQNO + 8, 0, 0x2222, 0,
        MI_USER_INTERRUPT,
    };
    uint32_t tail = run_ring(&g, GG_RCS, 0, cmds, sizeof(cmds) / 4, 0x42);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 0x42 };
    expect_events(&g, GG_RCS, 2, st, id);
    assert_int_equal(gg_ga(&g, GG_SEQNO)[0], 0x1111);
    assert_int_equal(gg_ga(&g, GG_SEQNO)[2], 0x2222);
    assert_int_equal(gg_ga(&g, GG_SEQNO)[3], 0); /* the qword's upper half */
    /* The head the ring reached, in the image and the register. */
    assert_int_equal(gg_ctx_head(&g, GG_CTX(GG_RCS, 0)), tail);
    assert_int_equal(gg_read(&g, 0x2000 + 0x34), tail);
    /* The same CSB in the registers; pointer bits 2:0 = 1. */
    assert_int_equal(gg_read(&g, 0x2000 + 0x370 + 8), CSB_COMPLETE | CSB_ACTIVE_TO_IDLE);
    assert_int_equal(gg_read(&g, 0x2000 + 0x374 + 8), 0x42);
    assert_int_equal(gg_read(&g, 0x2000 + 0x3a0) & 7, 1);
    /* User, notify and context-switch interrupts, as MSIs. */
    uint32_t iir = gg_iir(&g, GG_RCS);
    assert_int_equal(iir & 0x111u, 0x111u);
    assert_true(sim_msi_count(s) > m0);
    /* The guest cannot move the write pointer. */
    gg_write(&g, 0x2000 + 0x3a0, 0x07070505u);
    assert_int_equal(gg_read(&g, 0x2000 + 0x3a0) & 0x707, 0x501);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* The aperture (RAM-backed, the default) shows what the GPU wrote to a
 * bound page at the next sync point, and only the frames bound to pages
 * the GPU wrote are copied again: i915 fills every unused entry with its
 * scratch page, and reloading every bound frame after each batch was the
 * whole slice per sync (real Xen: 27 million pages for 840 batches). */
static void test_gpu_writes_reach_the_aperture(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = start("el_aperture", &g);
    uint64_t *ggtt = sim_phys(s, BAR0_ADDR + (8u << 20));
    assert_non_null(ggtt);
    for (uint32_t i = GG_GGTT_SIZE / 4096; i < (128u << 20) / 4096; i++)
        ggtt[i] = (GG_PPGTT_GPA - 4096) | 1; /* i915's scratch fill, plain stores */
    gg_write(&g, 0x101008, 1); /* the GGTT invalidate: a sync point */
    long long in0 = itest_status_field(s, "aperture_pages_in");
    const uint32_t cmds[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO + 16, 0, 0xabcd1234,
                              MI_USER_INTERRUPT };
    run_ring(&g, GG_RCS, 0, cmds, sizeof(cmds) / 4, 9);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 9 };
    expect_events(&g, GG_RCS, 2, st, id);
    /* Visible through the aperture as soon as the run is done. */
    uint32_t *through_aperture = sim_phys(s, BAR2_ADDR + GG_SEQNO + 16);
    assert_non_null(through_aperture);
    assert_int_equal(*through_aperture, 0xabcd1234);
    /* The seqno page, the HWSP and the context image: a handful. */
    long long copied = itest_status_field(s, "aperture_pages_in") - in0;
    assert_true(copied > 0 && copied < 16);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* GPU work that touches nothing bound in the slice costs the aperture
 * nothing: no sync, so no harvest of Xen's dirty bitmap (a walk of the
 * whole slice) per batch, as there was at every ELSP write. On i915 rings,
 * contexts and the HWSP live above the mappable slice; here a 1 MiB slice
 * and the render engine's ring, context and HWSP above it. And a batch the
 * CPU wrote through the aperture is what the GPU runs. */
static void test_aperture_meets_the_gpu_only_where_they_touch(void **state)
{
    (void)state;
    static const char *const small_slice[] = { "--aperture", "1", NULL };
    struct sim *s = itest_start("el_aperture_meet", (struct sim_opts){ .ram_bytes = 64u << 20,
                                                                       .args = small_slice });
    struct gg g;
    gg_init(&g, s);
    /* Context, ring and HWSP in the hidden slice (GGTT 256 MiB up), on
     * pages the aperture's slice does not name (gg's GGTT address 6 MiB
     * up: outside the 1 MiB slice). */
    const uint32_t low = 0x600000, high = 0x10000000;
    const uint32_t ctx = high, ring = high + 0x4000, hwsp = high + 0x8000, seqno = high + 0x9000;
    uint32_t *seq = gg_ga(&g, low + 0x9000);
    uint64_t *ggtt = sim_phys(s, BAR0_ADDR + (8u << 20));
    for (uint32_t i = 0; i < 10; i++)
        ggtt[high / 4096 + i] = (GG_GGTT_GPA + low + 4096ull * i) | 1;
    gg_write(&g, 0x2000 + 0x80, hwsp); /* RCS HWS_PGA */
    gg_ga(&g, low + 0x8000)[0x1f] = 5;
    gg_write(&g, 0x101008, 1); /* bound: a sync point */
    uint32_t harvests = sim_state(s)->dirty_calls;
    long long syncs = itest_status_field(s, "aperture_syncs");
    uint32_t *r = gg_ga(&g, low + 0x4000);
    r[0] = MI_STORE_DWORD_IMM_GGTT;
    r[1] = seqno;
    r[2] = 0;
    r[3] = 0x600d;
    gg_ctx_init(&g, GG_RCS, low, ring, 0, 16);
    gg_submit(&g, GG_RCS, gg_desc(ctx, 6), 0);
    for (int i = 0; i < 500 && seq[0] != 0x600d; i++)
        usleep(1000);
    assert_int_equal(seq[0], 0x600d);
    assert_int_equal(itest_status_field(s, "aperture_syncs"), syncs);
    assert_int_equal(sim_state(s)->dirty_calls, harvests);
    /* The CPU writes a batch through the aperture (its frame, not yet the
     * page), then the ring jumps to it: the GPU runs what the CPU wrote. */
    const uint32_t batch[] = { MI_STORE_DWORD_IMM_GGTT, seqno + 32, 0, 0x5eed5eed,
                               MI_BATCH_BUFFER_END, MI_NOOP };
    const uint32_t at = 0x80000; /* inside the slice */
    for (unsigned i = 0; i < 6; i++)
        sim_mmio_write(s, 0, BAR2_ADDR + at + 4 * i, 4, batch[i]);
    assert_int_equal(gg_ga(&g, at)[0], 0);
    r[4] = MI_BB_START_GGTT;
    r[5] = at;
    r[6] = 0;
    r[7] = MI_NOOP;
    gg_ctx_set_tail(&g, low, 32);
    gg_submit(&g, GG_RCS, gg_desc(ctx, 6), 0);
    for (int i = 0; i < 500 && seq[8] != 0x5eed5eed; i++)
        usleep(1000);
    assert_int_equal(seq[8], 0x5eed5eed);
    assert_true(itest_status_field(s, "aperture_syncs") > syncs);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* A short request is done when the ELSP write that submits it returns:
 * breadcrumb and both CSB events already in the HWSP, no waiting (i915's
 * idle waits at load must not depend on interrupt latency). */
static void test_short_work_completes_in_the_submitting_write(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = start("el_sync", &g);
    for (unsigned round = 0; round < 3; round++) {
        const uint32_t cmds[] = {
            MI_STORE_DWORD_IMM_GGTT, GG_SEQNO + 4 * round, 0, 0x5000 + round,
            PIPE_CONTROL6, PC_QW_WRITE | PC_GLOBAL_GTT | PC_NOTIFY, GG_SEQNO + 64, 0, round, 0,
            MI_USER_INTERRUPT,
        };
        run_ring(&g, GG_RCS, round, cmds, sizeof(cmds) / 4, 0x60 + round);
        /* No polling: read the HWSP right after the fourth ELSP write. */
        assert_int_equal(gg_ga(&g, GG_SEQNO)[round], 0x5000 + round);
        assert_int_equal(gg_ga(&g, GG_SEQNO)[16], round);
        uint32_t st[2], id[2];
        assert_true(gg_wait_csb(&g, GG_RCS, 2, st, id, 0));
        assert_int_equal(st[0], CSB_IDLE_TO_ACTIVE);
        assert_int_equal(st[1], CSB_COMPLETE | CSB_ACTIVE_TO_IDLE);
        assert_int_equal(id[1], 0x60 + round);
    }
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_two_elements(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = start("el_two", &g);
    for (unsigned n = 0; n < 2; n++) {
        uint32_t *ring = gg_ga(&g, GG_RING(GG_RCS, n));
        ring[0] = MI_STORE_DWORD_IMM_GGTT;
        ring[1] = GG_SEQNO + 4 * n;
        ring[2] = 0;
        ring[3] = 0xa0 + n;
        gg_ctx_init(&g, GG_RCS, GG_CTX(GG_RCS, n), GG_RING(GG_RCS, n), 0, 16);
    }
    gg_submit(&g, GG_RCS, gg_desc(GG_CTX(GG_RCS, 0), 10), gg_desc(GG_CTX(GG_RCS, 1), 11));
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ELEMENT_SWITCH,
                            CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 10, 11 };
    expect_events(&g, GG_RCS, 3, st, id);
    assert_int_equal(gg_ga(&g, GG_SEQNO)[0], 0xa0);
    assert_int_equal(gg_ga(&g, GG_SEQNO)[1], 0xa1);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* A long first submission (12 million NOOPs through second-level batches)
 * is resubmitted with a later tail while it runs: a lite restore. */
static void test_lite_restore(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = start("el_lite", &g);
    uint32_t *nops = gg_ga(&g, GG_BATCH + 0x10000);
    for (unsigned i = 0; i < 4095; i++)
        nops[i] = MI_NOOP;
    nops[4095] = MI_BATCH_BUFFER_END;
    uint32_t *first = gg_ga(&g, GG_BATCH);
    unsigned n = 0;
    for (unsigned i = 0; i < 2900; i++) {
        first[n++] = MI_BB_START_GGTT | MI_BB_SECOND_LEVEL;
        first[n++] = GG_BATCH + 0x10000;
        first[n++] = 0;
    }
    first[n++] = MI_BATCH_BUFFER_END;
    const uint32_t cmds[] = { MI_BB_START_GGTT, GG_BATCH, 0, MI_NOOP };
    run_ring(&g, GG_RCS, 0, cmds, 4, 7);
    uint32_t st[2], id[2];
    assert_true(gg_wait_csb(&g, GG_RCS, 1, st, id, 5000));
    assert_int_equal(st[0], CSB_IDLE_TO_ACTIVE);
    /* RING_MI_MODE's MODE_IDLE is the engine's state: busy now, while an
     * engine with nothing to run reads idle (i915's engines-idle check). */
    assert_int_equal(gg_read(&g, 0x2000 + 0x9c) & 0x200, 0);
    assert_int_equal(gg_read(&g, 0x22000 + 0x9c) & 0x200, 0x200);
    /* More work for the same context, then the same context again. */
    uint32_t *ring = gg_ga(&g, GG_RING(GG_RCS, 0));
    ring[4] = MI_STORE_DWORD_IMM_GGTT;
    ring[5] = GG_SEQNO;
    ring[6] = 0;
    ring[7] = 0x77;
    gg_ctx_set_tail(&g, GG_CTX(GG_RCS, 0), 32);
    assert_int_equal(gg_csb_write_ptr(&g, GG_RCS), 0); /* still running */
    gg_submit(&g, GG_RCS, gg_desc(GG_CTX(GG_RCS, 0), 7), 0);
    const uint32_t est[] = { CSB_PREEMPTED | CSB_LITE_RESTORE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t eid[] = { 7, 7 };
    expect_events(&g, GG_RCS, 2, est, eid);
    assert_int_equal(gg_ga(&g, GG_SEQNO)[0], 0x77);
    assert_int_equal(gg_ctx_head(&g, GG_CTX(GG_RCS, 0)), 32);
    assert_int_equal(gg_read(&g, 0x2000 + 0x9c) & 0x200, 0x200); /* done: idle */
    /* While that ran, other engines and MMIO kept being served. */
    char line[4096];
    assert_int_equal(sim_control(s, "{\"cmd\":\"status\"}", line, sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"cs_dwords\":"));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* A PPGTT batch stores through 4 KiB and 2 MiB pages; the guest then
 * remaps a page, and the next submission follows the new mapping because
 * the page table was write-protected and the daemon saw the change. */
static void test_ppgtt_batch(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = start("el_ppgtt", &g);
    uint32_t *batch = gg_gpa(&g, GG_PPGTT_GPA); /* va GG_PPGTT_VA */
    const uint32_t b[] = {
        MI_STORE_DWORD_IMM_PPGTT, (uint32_t)GG_PPGTT_VA + 0x1010, 0, 0xbeef,
        MI_STORE_DWORD_IMM_PPGTT, (uint32_t)GG_HUGE_VA + 0x12344, 0, 0xcafe,
        MI_BATCH_BUFFER_END,
    };
    memcpy(batch, b, sizeof(b));
    const uint32_t cmds[] = { MI_BB_START_PPGTT, (uint32_t)GG_PPGTT_VA, 0, MI_NOOP };
    run_ring(&g, GG_RCS, 0, cmds, 4, 1);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 1 };
    expect_events(&g, GG_RCS, 2, st, id);
    assert_int_equal(*(uint32_t *)gg_gpa(&g, GG_PPGTT_GPA + 0x1010), 0xbeef);
    assert_int_equal(*(uint32_t *)gg_gpa(&g, GG_HUGE_GPA + 0x12344), 0xcafe);
    /* The tables walked are trapped now. */
    assert_true(sim_page_write_protected(s, GG_PML4));
    assert_true(sim_page_write_protected(s, GG_PT));
    /* Remap va+0x1000 to another page, as a guest CPU store. */
    uint64_t new_page = GG_PPGTT_GPA + 0x100000;
    sim_ram_store(s, 0, GG_PT + 8, 8, new_page | 3);
    assert_int_equal(*(uint64_t *)gg_gpa(&g, GG_PT + 8), new_page | 3); /* stored by the daemon */
    batch[3] = 0xf00d;
    /* The same ring again, from the start. */
    gg_ctx_init(&g, GG_RCS, GG_CTX(GG_RCS, 0), GG_RING(GG_RCS, 0), 0, 16);
    gg_submit(&g, GG_RCS, gg_desc(GG_CTX(GG_RCS, 0), 2), 0);
    const uint32_t id2[] = { 0, 2 };
    expect_events(&g, GG_RCS, 2, st, id2);
    assert_int_equal(*(uint32_t *)gg_gpa(&g, new_page + 0x10), 0xf00d);
    assert_int_equal(*(uint32_t *)gg_gpa(&g, GG_PPGTT_GPA + 0x1010), 0xbeef);
    char line[4096];
    assert_int_equal(sim_control(s, "{\"cmd\":\"status\"}", line, sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"wp_writes\":1"));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* One PPGTT batch on rcs0: 0xbeef stored at GG_PPGTT_VA + 0x1010 (its
 * first submission: context id 1). The batch is at GG_PPGTT_VA; returned
 * so that a test can change its value for a resubmission. */
static uint32_t *ppgtt_store_batch(struct gg *g)
{
    uint32_t *batch = gg_gpa(g, GG_PPGTT_GPA);
    const uint32_t b[] = { MI_STORE_DWORD_IMM_PPGTT, (uint32_t)GG_PPGTT_VA + 0x1010, 0, 0xbeef,
                           MI_BATCH_BUFFER_END };
    memcpy(batch, b, sizeof(b));
    const uint32_t cmds[] = { MI_BB_START_PPGTT, (uint32_t)GG_PPGTT_VA, 0, MI_NOOP };
    run_ring(g, GG_RCS, 0, cmds, 4, 1);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 1 };
    expect_events(g, GG_RCS, 2, st, id);
    return batch;
}

/* The same ring again from its start, as context id `id`. */
static void ppgtt_resubmit(struct gg *g, uint32_t id)
{
    gg_ctx_init(g, GG_RCS, GG_CTX(GG_RCS, 0), GG_RING(GG_RCS, 0), 0, 16);
    gg_submit(g, GG_RCS, gg_desc(GG_CTX(GG_RCS, 0), id), 0);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t ids[] = { 0, id };
    expect_events(g, GG_RCS, 2, st, ids);
}

/* i915 unhooks a table before it frees it (the parent entry to its
 * scratch table): the unhooked table and every trapped table below it go
 * back to plain RAM, or the guest's kernel would reuse trapped pages. */
static void test_ppgtt_unhooked_tables_released(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = start("el_ppgtt_unhook", &g);
    ppgtt_store_batch(&g);
    assert_int_equal(itest_status_field(s, "wp_pages"), 4);
    /* A PTE rewritten: a data page, nothing released. */
    sim_ram_store(s, 0, GG_PT + 16, 8, (GG_PPGTT_GPA + 0x200000) | 3);
    assert_int_equal(itest_status_field(s, "wp_pages"), 4);
    /* The PD's entry for the PT to a scratch table: the PT is released. */
    uint64_t scratch = GG_PPGTT_GPA + 0x300000;
    unsigned pde = (GG_PPGTT_VA >> 21) & 0x1ff;
    sim_ram_store(s, 0, GG_PD + 8ull * pde, 8, scratch | 3);
    assert_false(sim_page_write_protected(s, GG_PT));
    assert_true(sim_page_write_protected(s, GG_PD));
    assert_int_equal(itest_status_field(s, "wp_pages"), 3);
    /* Hook the PT back and walk it again: trapped again. */
    sim_ram_store(s, 0, GG_PD + 8ull * pde, 8, GG_PT | 3);
    ppgtt_resubmit(&g, 2);
    assert_true(sim_page_write_protected(s, GG_PT));
    assert_int_equal(itest_status_field(s, "wp_pages"), 4);
    /* The PML4 entry cleared with a 4-byte store to its low half: the PDP,
     * the PD and the PT below it are all released; the PML4 stays. */
    unsigned pml4e = (GG_PPGTT_VA >> 39) & 0x1ff;
    sim_ram_store(s, 0, GG_PML4 + 8ull * pml4e, 4, 0);
    assert_false(sim_page_write_protected(s, GG_PDP));
    assert_false(sim_page_write_protected(s, GG_PD));
    assert_false(sim_page_write_protected(s, GG_PT));
    assert_true(sim_page_write_protected(s, GG_PML4));
    assert_int_equal(itest_status_field(s, "wp_pages"), 1);
    assert_int_equal(itest_status_field(s, "wp_released"), 4);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* A live migration (the toolstack's dirty log on): Xen refuses global
 * log-dirty mode while any page is p2m_ioreq_server (real Xen 4.17: "Failed
 * to enable logdirty: 16"), so the trapped page tables go back to RAM and
 * translations are walked each time: a guest CPU remap is seen at once,
 * with no trap. With the dirty log off, tables are trapped again. */
static void test_ppgtt_untrapped_while_migrating(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = start("el_ppgtt_migrating", &g);
    uint32_t *batch = ppgtt_store_batch(&g);
    assert_true(sim_page_write_protected(s, GG_PT));
    char line[4096];
    assert_int_equal(sim_control(s, "{\"cmd\":\"dirty-log\",\"enable\":true}", line,
                                 sizeof(line), NULL, NULL), 0);
    assert_false(sim_page_write_protected(s, GG_PML4));
    assert_false(sim_page_write_protected(s, GG_PT));
    assert_int_equal(itest_status_field(s, "wp_pages"), 0);
    /* The guest remaps va+0x1000 with a plain store (no trap now). */
    uint64_t new_page = GG_PPGTT_GPA + 0x100000;
    sim_ram_store(s, 0, GG_PT + 8, 8, new_page | 3);
    batch[3] = 0xf00d;
    ppgtt_resubmit(&g, 2);
    assert_int_equal(*(uint32_t *)gg_gpa(&g, new_page + 0x10), 0xf00d);
    assert_false(sim_page_write_protected(s, GG_PT));
    assert_int_equal(itest_status_field(s, "wp_writes"), 0);
    /* The copy is done: tables are trapped (and cached) again. */
    assert_int_equal(sim_control(s, "{\"cmd\":\"dirty-log\",\"enable\":false}", line,
                                 sizeof(line), NULL, NULL), 0);
    batch[3] = 0xd00d;
    ppgtt_resubmit(&g, 3);
    assert_int_equal(*(uint32_t *)gg_gpa(&g, new_page + 0x10), 0xd00d);
    assert_true(sim_page_write_protected(s, GG_PT));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* The blitter: a fill and two copies on linear 32-bpp surfaces in the
 * PPGTT, checked pixel by pixel, then a flush with a post-sync store. */
#define SURF_W 64u
#define SURF_H 32u
#define SURF_PITCH (SURF_W * 4u)
#define XY_COLOR_BLT ((2u << 29) | (0x50u << 22) | (3u << 20) | 5u)
#define XY_SRC_COPY_BLT ((2u << 29) | (0x53u << 22) | (3u << 20) | 8u)
#define XY_FAST_COPY_BLT ((2u << 29) | (0x42u << 22) | 8u)

static uint32_t surf_px(struct gg *g, unsigned surf, unsigned x, unsigned y)
{
    return *(uint32_t *)gg_gpa(g, GG_PPGTT_GPA + 0x10000u * surf + y * SURF_PITCH + x * 4);
}

static void test_blits(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = start("el_blit", &g);
    /* Surface 1 starts with a gradient; 0 and 2 with zeros. */
    for (unsigned y = 0; y < SURF_H; y++)
        for (unsigned x = 0; x < SURF_W; x++)
            *(uint32_t *)gg_gpa(&g, GG_PPGTT_GPA + 0x10000 + y * SURF_PITCH + x * 4) =
                y << 8 | x;
    const uint32_t va0 = (uint32_t)GG_PPGTT_VA, va1 = va0 + 0x10000, va2 = va0 + 0x20000;
    const uint32_t cmds[] = {
        /* fill (4,2)-(20,10) of surface 0 with red */
        XY_COLOR_BLT, 3u << 24 | 0xf0u << 16 | SURF_PITCH, 2u << 16 | 4, 10u << 16 | 20,
        va0, 0, 0x00ff0000u,
        /* copy (0,0)-(16,8) of surface 1 to (30,20) of surface 0 */
        XY_SRC_COPY_BLT, 3u << 24 | 0xccu << 16 | SURF_PITCH, 20u << 16 | 30,
        28u << 16 | 46, va0, 0, 0, SURF_PITCH, va1, 0,
        /* fast copy all of surface 1 to surface 2 */
        XY_FAST_COPY_BLT, 3u << 24 | SURF_PITCH, 0, SURF_H << 16 | SURF_W, va2, 0, 0,
        SURF_PITCH, va1, 0,
        MI_FLUSH_DW_STORE, GG_SEQNO | 4u /* GGTT */, 0, 0x5151,
        MI_USER_INTERRUPT,
    };
    run_ring(&g, GG_BCS, 0, cmds, sizeof(cmds) / 4, 3);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 3 };
    expect_events(&g, GG_BCS, 2, st, id);
    size_t bad = 0;
    for (unsigned y = 0; y < SURF_H; y++)
        for (unsigned x = 0; x < SURF_W; x++) {
            uint32_t want = 0;
            if (x >= 4 && x < 20 && y >= 2 && y < 10)
                want = 0x00ff0000u;
            if (x >= 30 && x < 46 && y >= 20 && y < 28)
                want = (y - 20) << 8 | (x - 30);
            bad += surf_px(&g, 0, x, y) != want;
            bad += surf_px(&g, 2, x, y) != (y << 8 | x);
        }
    assert_int_equal(bad, 0);
    assert_int_equal(gg_ga(&g, GG_SEQNO)[0], 0x5151);
    assert_int_equal(gg_iir(&g, GG_BCS) & 0x101u, 0x101u);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* Register loads as i915 and its userspace issue them: the kernel's ring
 * loads its context workarounds; a user (PPGTT) batch loads the registers
 * user batches may (CS GPRs, 3DPRIM), and not a kernel-only one. */
static void test_register_loads(void **state)
{
    (void)state;
    struct gg g;
    const char *log = itest_log_path("el_lri");
    struct sim *s = itest_start("el_lri", (struct sim_opts){ .ram_bytes = 64u << 20,
                                                             .log_path = log });
    gg_init(&g, s);
    gg_ppgtt_build(&g);
    uint32_t *pb = gg_gpa(&g, GG_PPGTT_GPA + 0x8000);
    const uint32_t user[] = { MI_LRI(2), 0x2600, 0x11, 0x2434, 0x22, MI_BATCH_BUFFER_END };
    memcpy(pb, user, sizeof(user));
    const uint32_t ring[] = {
        MI_LRI(4), 0x7014, 0x00200020u, 0xe4f0, 0x01000100u, 0x2580, 0x00060000u,
        0x7300, 0x00300030u,
        MI_BB_START_PPGTT, (uint32_t)GG_PPGTT_VA + 0x8000, 0, MI_NOOP,
    };
    run_ring(&g, GG_RCS, 0, ring, sizeof(ring) / 4, 1);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 1 };
    expect_events(&g, GG_RCS, 2, st, id);
    assert_int_equal(gg_read(&g, 0x7014), 0x20u); /* masked: enable bits applied */
    assert_int_equal(gg_read(&g, 0x2600), 0x11u);
    assert_int_equal(gg_read(&g, 0x2434), 0x22u);
    /* A user batch loading a kernel-only register. */
    pb[0] = MI_LRI(1);
    pb[1] = 0x7014;
    pb[2] = 0xffff0000u;
    pb[3] = MI_BATCH_BUFFER_END;
    const uint32_t ring2[] = { MI_BB_START_PPGTT, (uint32_t)GG_PPGTT_VA + 0x8000, 0, MI_NOOP };
    run_ring(&g, GG_RCS, 1, ring2, 4, 2);
    uint64_t t0 = sim_now_ms();
    while (!(gg_iir(&g, GG_RCS) & (1u << 3)) && sim_now_ms() - t0 < 5000)
        usleep(500);
    assert_true(itest_log_contains(log, "register 0x7014, not allowed"));
    assert_int_equal(gg_read(&g, 0x7014), 0x20u);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* Each hostile submission: an engine error (CS error interrupt, RING_EIR),
 * no completion, a log line; the guest resets the engine through GDRST and
 * it runs again; meanwhile the other engines keep working. */
static void expect_engine_error(struct gg *g, unsigned e, const char *log, const char *needle)
{
    uint64_t t0 = sim_now_ms();
    while (!(gg_iir(g, e) & (1u << 3)) && sim_now_ms() - t0 < 5000)
        usleep(500);
    if (!(gg_iir(g, e) & (1u << 3)))
        fail_msg("engine %u: no CS error interrupt (IIR %#x)", e, gg_iir(g, e));
    assert_int_equal(gg_read(g, gg_base[e] + 0xb0) & 1, 1); /* RING_EIR */
    assert_int_equal(gg_read(g, gg_base[e] + 0xb8) & 1, 1); /* RING_ESR */
    if (!itest_log_contains(log, needle))
        fail_msg("daemon log has no '%s'", needle);
    /* No completion was reported: only idle->active. */
    uint32_t st[1], id[1];
    assert_true(gg_wait_csb(g, e, 1, st, id, 5000));
    assert_int_equal(st[0], CSB_IDLE_TO_ACTIVE);
    usleep(20000);
    assert_int_equal(gg_csb_write_ptr(g, e), (g->csb_seen[e] - 1) % 6);
    /* i915's recovery: ack, engine reset through GDRST, resume. */
    gg_write(g, gg_base[e] + 0xb0, ~0u);
    gg_ack(g, e);
    static const uint32_t grdom[4] = { 1u << 1, 1u << 3, 1u << 2, 1u << 4 };
    gg_write(g, 0x941c, grdom[e]);
    assert_int_equal(gg_read(g, 0x941c), 0);
    assert_int_equal(gg_read(g, gg_base[e] + 0xb8), 0);
    assert_int_equal(gg_read(g, gg_base[e] + 0x3a0) & 7, 7);
    g->csb_seen[e] = 0;
    gg_ga(g, GG_HWSP(e))[0x1f] = 5;
}

/* What i915 does before reusing an engine whose CSB it stops tracking. */
static void reset_engine(struct gg *g, unsigned e)
{
    static const uint32_t grdom[4] = { 1u << 1, 1u << 3, 1u << 2, 1u << 4 };
    gg_write(g, 0x941c, grdom[e]);
    g->csb_seen[e] = 0;
    gg_ga(g, GG_HWSP(e))[0x1f] = 5;
}

static void expect_engine_works(struct gg *g, unsigned e, uint32_t value)
{
    const uint32_t cmds[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO + 0x100 + 4 * e, 0, value };
    run_ring(g, e, 3, cmds, 4, 0x99);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 0x99 };
    expect_events(g, e, 2, st, id);
    assert_int_equal(gg_ga(g, GG_SEQNO + 0x100 + 4 * e)[0], value);
}

/* A batch that stores over its own next commands runs them as stored
 * (the command streamer reads ahead, and must not run what it read before
 * the store): here a header no engine knows becomes a breadcrumb store,
 * from a GGTT batch and from a PPGTT one. */
static void test_self_modifying_batch(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = start("el_selfmod", &g);
    uint32_t *b = gg_ga(&g, GG_BATCH);
    unsigned n = 0;
    b[n++] = MI_STORE_DWORD_IMM_GGTT;
    b[n++] = GG_BATCH + 4 * 12;
    b[n++] = 0;
    b[n++] = MI_STORE_DWORD_IMM_GGTT; /* the command at dword 12 */
    for (; n < 12; n++)
        b[n] = MI_NOOP;
    b[n++] = 0xe0000000u; /* malformed until the store above */
    b[n++] = GG_SEQNO;
    b[n++] = 0;
    b[n++] = 0x5e1f;
    b[n++] = MI_BATCH_BUFFER_END;
    gg_ga(&g, GG_SEQNO)[0] = 0;
    const uint32_t c1[] = { MI_BB_START_GGTT, GG_BATCH, 0, MI_NOOP };
    run_ring(&g, GG_RCS, 0, c1, 4, 1);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 1 };
    expect_events(&g, GG_RCS, 2, st, id);
    assert_int_equal(gg_ga(&g, GG_SEQNO)[0], 0x5e1f);

    uint32_t *pb = gg_gpa(&g, GG_PPGTT_GPA + 0x8000);
    n = 0;
    pb[n++] = MI_STORE_DWORD_IMM_PPGTT;
    pb[n++] = (uint32_t)GG_PPGTT_VA + 0x8000 + 4 * 40;
    pb[n++] = 0;
    pb[n++] = MI_STORE_DWORD_IMM_PPGTT;
    for (; n < 40; n++)
        pb[n] = MI_NOOP;
    pb[n++] = 0xe0000000u;
    pb[n++] = (uint32_t)GG_PPGTT_VA + 0x100;
    pb[n++] = 0;
    pb[n++] = 0x5e2f;
    pb[n++] = MI_BATCH_BUFFER_END;
    uint32_t *crumb = gg_gpa(&g, GG_PPGTT_GPA + 0x100);
    *crumb = 0;
    const uint32_t c2[] = { MI_BB_START_PPGTT, (uint32_t)GG_PPGTT_VA + 0x8000, 0, MI_NOOP };
    run_ring(&g, GG_VCS, 0, c2, 4, 2);
    const uint32_t id2[] = { 0, 2 };
    expect_events(&g, GG_VCS, 2, st, id2);
    assert_int_equal(*crumb, 0x5e2f);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_hostile_submissions(void **state)
{
    (void)state;
    struct gg g;
    const char *log = itest_log_path("el_hostile");
    struct sim *s = itest_start("el_hostile", (struct sim_opts){ .ram_bytes = 64u << 20,
                                                                 .log_path = log });
    gg_init(&g, s);
    gg_ppgtt_build(&g);

    /* 1. A batch that starts itself: an endless chain. */
    uint32_t *loop = gg_ga(&g, GG_BATCH);
    loop[0] = MI_NOOP;
    loop[1] = MI_BB_START_GGTT;
    loop[2] = GG_BATCH;
    loop[3] = 0;
    const uint32_t c1[] = { MI_BB_START_GGTT, GG_BATCH, 0, MI_NOOP };
    run_ring(&g, GG_RCS, 0, c1, 4, 1);
    /* The copy engine is served while the render engine is stuck. */
    expect_engine_works(&g, GG_BCS, 0xb1);
    expect_engine_error(&g, GG_RCS, log, "a loop?");
    expect_engine_works(&g, GG_RCS, 0xa1);

    /* 2. A batch in graphics memory that is not the vGPU's. */
    reset_engine(&g, GG_RCS);
    const uint32_t c2[] = { MI_BB_START_GGTT, 0xf0000000u, 0, MI_NOOP };
    run_ring(&g, GG_RCS, 0, c2, 4, 2);
    expect_engine_error(&g, GG_RCS, log, "not in the vGPU's memory");
    expect_engine_works(&g, GG_RCS, 0xa2);

    /* 3. LRI to a register no command may write (GDRST, a plane). */
    reset_engine(&g, GG_RCS);
    uint32_t plane_before = gg_read(&g, 0x70180);
    const uint32_t c3[] = { MI_LRI(2), 0x2000 + 0x9c, 0x00010001u, 0x70180, 0x80000000u };
    run_ring(&g, GG_RCS, 0, c3, 5, 3);
    expect_engine_error(&g, GG_RCS, log, "register 0x70180, not allowed");
    assert_int_equal(gg_read(&g, 0x70180), plane_before);
    expect_engine_works(&g, GG_RCS, 0xa3);

    /* 4. A command header no engine knows. */
    reset_engine(&g, GG_RCS);
    const uint32_t c4[] = { 0xe0000000u, MI_NOOP };
    run_ring(&g, GG_RCS, 0, c4, 2, 4);
    expect_engine_error(&g, GG_RCS, log, "malformed command header 0xe0000000");
    expect_engine_works(&g, GG_RCS, 0xa4);

    /* 5. Ring tail outside the ring. */
    reset_engine(&g, GG_RCS);
    gg_ctx_init(&g, GG_VCS, GG_CTX(GG_VCS, 0), GG_RING(GG_VCS, 0), 0, 0x10000);
    gg_submit(&g, GG_VCS, gg_desc(GG_CTX(GG_VCS, 0), 5), 0);
    expect_engine_error(&g, GG_VCS, log, "outside the 16384-byte ring");
    expect_engine_works(&g, GG_VCS, 0xc5);

    /* 6. An unprivileged (PPGTT) batch writing through the GGTT. */
    uint32_t *pb = gg_gpa(&g, GG_PPGTT_GPA + 0x8000);
    pb[0] = MI_STORE_DWORD_IMM_GGTT;
    pb[1] = GG_SEQNO;
    pb[2] = 0;
    pb[3] = 0xdead;
    pb[4] = MI_BATCH_BUFFER_END;
    gg_ga(&g, GG_SEQNO)[0] = 0;
    const uint32_t c6[] = { MI_BB_START_PPGTT, (uint32_t)GG_PPGTT_VA + 0x8000, 0, MI_NOOP };
    run_ring(&g, GG_VECS, 0, c6, 4, 6);
    expect_engine_error(&g, GG_VECS, log, "GGTT store from an unprivileged batch");
    assert_int_equal(gg_ga(&g, GG_SEQNO)[0], 0);
    expect_engine_works(&g, GG_VECS, 0xd6);

    /* 7. A context descriptor pointing outside the vGPU's memory. */
    gg_submit(&g, GG_RCS, (3u << 3) | 1u | 0xf0000000u, 0);
    uint64_t t0 = sim_now_ms();
    while (!(gg_iir(&g, GG_RCS) & (1u << 3)) && sim_now_ms() - t0 < 5000)
        usleep(500);
    assert_true(itest_log_contains(log, "is not in the vGPU's memory"));

    char line[4096];
    assert_int_equal(sim_control(s, "{\"cmd\":\"status\"}", line, sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"engine_errors\":7"));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* Live migration: Xen's log-dirty mode does not see what the daemon
 * writes through its foreign mappings, so with the dirty log on (the
 * toolstack's `xen-set-global-dirty-log`, through the device-model wrapper)
 * the daemon reports the pages a batch wrote with XEN_DMOP_modified_memory:
 * the seqno page, the HWSP (breadcrumbs, CSB), the context image (the ring
 * head) and the aperture frame that shows the seqno page. Off, nothing. */
static bool gfn_reported(struct sim *s, uint64_t gpa, uint32_t since)
{
    /* A control round trip first: the daemon reports at the end of the loop
     * round that wrote, and the status is answered in a later one. */
    (void)itest_status_field(s, "modified_reported");
    return sim_modified(s, gpa >> 12, since);
}

static void test_dirty_log_reports_gpu_writes(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = start("el_dirty_log", &g);
    gg_write(&g, 0x101008, 1); /* the GGTT invalidate: the aperture binds the slice */
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    char line[512];

    /* Off (the default): a batch's writes are not reported. */
    assert_int_equal(itest_status_field(s, "dirty_log"), 0);
    const uint32_t first[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO, 0, 0x0ff, MI_USER_INTERRUPT };
    run_ring(&g, GG_RCS, 0, first, sizeof(first) / 4, 1);
    expect_events(&g, GG_RCS, 2, st, (const uint32_t[]){ 0, 1 });
    assert_false(gfn_reported(s, GG_GGTT_GPA + GG_SEQNO, 0));
    assert_int_equal(sim_modified_count(s), 0);

    /* On: each page the batch wrote, reported once the round is over. */
    assert_int_equal(sim_control(s, "{\"cmd\":\"dirty-log\",\"enable\":true}", line,
                                 sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ok\":true"));
    assert_int_equal(itest_status_field(s, "dirty_log"), 1);
    uint32_t since = sim_modified_count(s);
    const uint32_t on[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO + 4, 0, 0x0a, MI_USER_INTERRUPT };
    run_ring(&g, GG_RCS, 1, on, sizeof(on) / 4, 2);
    expect_events(&g, GG_RCS, 2, st, (const uint32_t[]){ 0, 2 });
    assert_int_equal(gg_ga(&g, GG_SEQNO)[1], 0x0a);
    assert_true(gfn_reported(s, GG_GGTT_GPA + GG_SEQNO, since));
    assert_true(gfn_reported(s, GG_GGTT_GPA + GG_HWSP(GG_RCS), since));
    assert_true(gfn_reported(s, GG_GGTT_GPA + GG_CTX(GG_RCS, 1) + 4096, since));
    uint32_t *through_aperture = sim_phys(s, BAR2_ADDR + GG_SEQNO + 4);
    assert_non_null(through_aperture);
    assert_int_equal(*through_aperture, 0x0a);
    assert_true(gfn_reported(s, BAR2_ADDR + GG_SEQNO, since));
    /* Pages nobody wrote are not: the batch's own ring, read only. */
    assert_false(gfn_reported(s, GG_GGTT_GPA + GG_RING(GG_RCS, 1), since));
    long long pages = itest_status_field(s, "modified_reported");
    assert_true(pages >= 4 && pages < 64);
    assert_int_equal((long long)sim_state(s)->modified_pages, pages);
    assert_int_equal(sim_state(s)->modified_refused, 0);
    /* Batched: far fewer dm_ops than pages written (one per round). */
    assert_true(itest_status_field(s, "modified_dm_ops") <= pages);

    /* Off again: nothing more. */
    assert_int_equal(sim_control(s, "{\"cmd\":\"dirty-log\",\"enable\":false}", line,
                                 sizeof(line), NULL, NULL), 0);
    since = sim_modified_count(s);
    const uint32_t off[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO + 8, 0, 0x0b, MI_USER_INTERRUPT };
    run_ring(&g, GG_RCS, 2, off, sizeof(off) / 4, 3);
    expect_events(&g, GG_RCS, 2, st, (const uint32_t[]){ 0, 3 });
    assert_int_equal(gg_ga(&g, GG_SEQNO)[2], 0x0b);
    (void)itest_status_field(s, "modified_reported");
    assert_int_equal(sim_modified_count(s), since);

    /* Malformed: refused, the mode unchanged. */
    assert_int_equal(sim_control(s, "{\"cmd\":\"dirty-log\"}", line, sizeof(line), NULL, NULL),
                     0);
    assert_non_null(strstr(line, "\"ok\":false"));
    assert_int_equal(itest_status_field(s, "dirty_log"), 0);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* A page Xen would not take (here: every report refused) may reach the
 * destination stale: the daemon says so in its status and log, and its
 * save fails, so that the toolstack fails the migration and the guest
 * keeps running where it is. A new migration (dirty log on again) starts
 * with a clean slate. */
static void test_dirty_log_lost_pages_fail_the_save(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = start("el_dirty_lost", &g);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    char line[512];
    assert_int_equal(sim_control(s, "{\"cmd\":\"dirty-log\",\"enable\":true}", line,
                                 sizeof(line), NULL, NULL), 0);
    sim_state(s)->refuse_modified = 1;
    const uint32_t cmds[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO, 0, 0x1, MI_USER_INTERRUPT };
    run_ring(&g, GG_RCS, 0, cmds, sizeof(cmds) / 4, 1);
    expect_events(&g, GG_RCS, 2, st, (const uint32_t[]){ 0, 1 });
    assert_true(itest_status_field(s, "modified_lost") > 0);
    void *payload = NULL;
    size_t len = 0;
    assert_int_equal(sim_control(s, "{\"cmd\":\"save\"}", line, sizeof(line), &payload, &len),
                     0);
    assert_non_null(strstr(line, "\"ok\":false"));
    assert_null(payload);
    sim_state(s)->refuse_modified = 0;
    assert_int_equal(sim_control(s, "{\"cmd\":\"resume\"}", line, sizeof(line), NULL, NULL), 0);
    /* Off and on again: a fresh migration, nothing lost yet; its save works. */
    assert_int_equal(sim_control(s, "{\"cmd\":\"dirty-log\",\"enable\":false}", line,
                                 sizeof(line), NULL, NULL), 0);
    assert_int_equal(sim_control(s, "{\"cmd\":\"dirty-log\",\"enable\":true}", line,
                                 sizeof(line), NULL, NULL), 0);
    assert_int_equal(itest_status_field(s, "modified_lost"), 0);
    assert_int_equal(sim_control(s, "{\"cmd\":\"save\"}", line, sizeof(line), &payload, &len),
                     0);
    assert_non_null(strstr(line, "\"ok\":true"));
    assert_non_null(payload);
    free(payload);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breadcrumbs_and_csb),
        cmocka_unit_test(test_gpu_writes_reach_the_aperture),
        cmocka_unit_test(test_aperture_meets_the_gpu_only_where_they_touch),
        cmocka_unit_test(test_short_work_completes_in_the_submitting_write),
        cmocka_unit_test(test_two_elements),
        cmocka_unit_test(test_lite_restore),
        cmocka_unit_test(test_ppgtt_batch),
        cmocka_unit_test(test_ppgtt_unhooked_tables_released),
        cmocka_unit_test(test_ppgtt_untrapped_while_migrating),
        cmocka_unit_test(test_blits),
        cmocka_unit_test(test_self_modifying_batch),
        cmocka_unit_test(test_hostile_submissions),
        cmocka_unit_test(test_register_loads),
        cmocka_unit_test(test_dirty_log_reports_gpu_writes),
        cmocka_unit_test(test_dirty_log_lost_pages_fail_the_save),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
