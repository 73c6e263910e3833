/* Execlists and the command streamer through the real daemon: a scripted
 * guest builds gen9 contexts and rings in its memory, submits them through
 * ELSP, and checks what i915 relies on -- breadcrumbs, CSB events in its
 * HWSP in order, interrupts, RING_HEAD, lite restore, two-element ports,
 * PPGTT batches, blits, register loads. Hostile submissions and the dirty
 * log of GPU writes: itest_engine_faults.c. */
#include "gpu_guest.h"

#include <sys/wait.h>

static void test_breadcrumbs_and_csb(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = gg_start("el_breadcrumb", &g);
    uint32_t m0 = sim_msi_count(s);
    const uint32_t cmds[] = {
        MI_ARB_CHECK,
        MI_STORE_DWORD_IMM_GGTT, GG_SEQNO, 0, 0x1111,
        PIPE_CONTROL6, PC_QW_WRITE | PC_GLOBAL_GTT | PC_NOTIFY, GG_SEQNO + 8, 0, 0x2222, 0,
        MI_USER_INTERRUPT,
    };
    uint32_t tail = gg_run_ring(&g, GG_RCS, 0, cmds, sizeof(cmds) / 4, 0x42);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 0x42 };
    gg_expect_events(&g, GG_RCS, 2, st, id);
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
    struct sim *s = gg_start("el_aperture", &g);
    uint64_t *ggtt = sim_phys(s, BAR0_ADDR + (8u << 20));
    assert_non_null(ggtt);
    for (uint32_t i = GG_GGTT_SIZE / 4096; i < (128u << 20) / 4096; i++)
        ggtt[i] = (GG_PPGTT_GPA - 4096) | 1; /* i915's scratch fill, plain stores */
    gg_write(&g, 0x101008, 1); /* the GGTT invalidate: a sync point */
    long long in0 = itest_status_field(s, "aperture_pages_in");
    const uint32_t cmds[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO + 16, 0, 0xabcd1234,
                              MI_USER_INTERRUPT };
    gg_run_ring(&g, GG_RCS, 0, cmds, sizeof(cmds) / 4, 9);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 9 };
    gg_expect_events(&g, GG_RCS, 2, st, id);
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
/* Short work completes inside the ELSP write that submits it (the
 * breadcrumb is there when the write returns), and the engine holds the
 * context's completion event after a client's batch: it reaches the guest
 * no sooner than the hold (GG_CSB_HOLD_MS), unless more work comes first
 * (unit test_gvt_execlist). A request of ring commands alone (i915's
 * kernel context) completes at once. */
static void test_short_work_completes_in_the_submitting_write(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = gg_start("el_sync", &g);
    for (unsigned round = 0; round < 3; round++) {
        /* A client's batch (only those are held), then the ring's
         * breadcrumb and interrupt. */
        const uint32_t bb[] = {
            MI_STORE_DWORD_IMM_GGTT, GG_SEQNO + 4 * round, 0, 0x5000 + round,
            MI_BATCH_BUFFER_END,
        };
        memcpy(gg_ga(&g, GG_BATCH + 0x1000 * round), bb, sizeof(bb));
        const uint32_t cmds[] = {
            MI_BB_START_GGTT, GG_BATCH + 0x1000 * round, 0,
            PIPE_CONTROL6, PC_QW_WRITE | PC_GLOBAL_GTT | PC_NOTIFY, GG_SEQNO + 64, 0, round, 0,
            MI_USER_INTERRUPT,
        };
        uint64_t t0 = sim_now_ms();
        gg_run_ring(&g, GG_RCS, round, cmds, sizeof(cmds) / 4, 0x60 + round);
        /* No polling: read the HWSP right after the fourth ELSP write. */
        assert_int_equal(gg_ga(&g, GG_SEQNO)[round], 0x5000 + round);
        assert_int_equal(gg_ga(&g, GG_SEQNO)[16], round);
        uint32_t st[1], id[1];
        assert_true(gg_wait_csb(&g, GG_RCS, 1, st, id, 0));
        assert_int_equal(st[0], CSB_IDLE_TO_ACTIVE);
        /* Held: the ring drained (RING_MI_MODE idle), no second event. A
         * test step slower than the hold (a loaded machine) proves nothing
         * here, and is not asserted. */
        uint32_t mode = gg_read(&g, 0x2000 + 0x9c), ptr = gg_csb_write_ptr(&g, GG_RCS);
        if (sim_now_ms() - t0 < GG_CSB_HOLD_MS / 2) {
            assert_int_equal(mode & 0x200, 0x200);
            assert_int_equal(ptr, (g.csb_seen[GG_RCS] - 1) % 6);
        }
        assert_true(gg_wait_csb(&g, GG_RCS, 1, st, id, 5000));
        assert_int_equal(st[0], CSB_COMPLETE | CSB_ACTIVE_TO_IDLE);
        assert_int_equal(id[0], 0x60 + round);
        assert_true(sim_now_ms() - t0 >= GG_CSB_HOLD_MS - 5);
    }
    /* Three contexts one after the other: two switches, no lite restore. */
    assert_int_equal(itest_status_field(s, "elsp_context_switches"), 2);
    assert_int_equal(itest_status_field(s, "elsp_lite_restores"), 0);
    assert_int_equal(itest_status_field(s, "ctx_holds"), 3);
    /* Ring commands alone: both events at once, nothing held. */
    const uint32_t crumb[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO + 32, 0, 0x600d };
    gg_run_ring(&g, GG_RCS, 3, crumb, 4, 0x70);
    uint32_t st[2], id[2];
    assert_true(gg_wait_csb(&g, GG_RCS, 2, st, id, 0));
    assert_int_equal(st[0], CSB_IDLE_TO_ACTIVE);
    assert_int_equal(st[1], CSB_COMPLETE | CSB_ACTIVE_TO_IDLE);
    assert_int_equal(itest_status_field(s, "ctx_holds"), 3);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_two_elements(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = gg_start("el_two", &g);
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
    gg_expect_events(&g, GG_RCS, 3, st, id);
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
    struct sim *s = gg_start("el_lite", &g);
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
    gg_run_ring(&g, GG_RCS, 0, cmds, 4, 7);
    uint32_t st[2], id[2];
    assert_true(gg_wait_csb(&g, GG_RCS, 1, st, id, 5000));
    assert_int_equal(st[0], CSB_IDLE_TO_ACTIVE);
    /* Held where it is (the batch is milliseconds of work, a loaded
     * machine's test steps may be longer): the vGPU paused runs nothing. */
    char line[4096];
    assert_int_equal(sim_control(s, "{\"cmd\":\"pause\"}", line, sizeof(line), NULL, NULL), 0);
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
    assert_int_equal(sim_control(s, "{\"cmd\":\"resume\"}", line, sizeof(line), NULL, NULL), 0);
    const uint32_t est[] = { CSB_PREEMPTED | CSB_LITE_RESTORE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t eid[] = { 7, 7 };
    gg_expect_events(&g, GG_RCS, 2, est, eid);
    assert_int_equal(gg_ga(&g, GG_SEQNO)[0], 0x77);
    assert_int_equal(gg_ctx_head(&g, GG_CTX(GG_RCS, 0)), 32);
    assert_int_equal(gg_read(&g, 0x2000 + 0x9c) & 0x200, 0x200); /* done: idle */
    /* While that ran, other engines and MMIO kept being served. */
    assert_int_equal(sim_control(s, "{\"cmd\":\"status\"}", line, sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"cs_dwords\":"));
    assert_int_equal(itest_status_field(s, "elsp_lite_restores"), 1);
    assert_int_equal(itest_status_field(s, "elsp_context_switches"), 0);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* A PPGTT batch stores through 4 KiB and 2 MiB pages; the guest then
 * remaps a page, and the next submission follows the new mapping because
 * the page table was write-protected and the daemon saw the change. */
static void test_ppgtt_batch(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = gg_start("el_ppgtt", &g);
    uint32_t *batch = gg_gpa(&g, GG_PPGTT_GPA); /* va GG_PPGTT_VA */
    const uint32_t b[] = {
        MI_STORE_DWORD_IMM_PPGTT, (uint32_t)GG_PPGTT_VA + 0x1010, 0, 0xbeef,
        MI_STORE_DWORD_IMM_PPGTT, (uint32_t)GG_HUGE_VA + 0x12344, 0, 0xcafe,
        MI_BATCH_BUFFER_END,
    };
    memcpy(batch, b, sizeof(b));
    const uint32_t cmds[] = { MI_BB_START_PPGTT, (uint32_t)GG_PPGTT_VA, 0, MI_NOOP };
    gg_run_ring(&g, GG_RCS, 0, cmds, 4, 1);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 1 };
    gg_expect_events(&g, GG_RCS, 2, st, id);
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
    gg_expect_events(&g, GG_RCS, 2, st, id2);
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
    gg_run_ring(g, GG_RCS, 0, cmds, 4, 1);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 1 };
    gg_expect_events(g, GG_RCS, 2, st, id);
    return batch;
}

/* The same ring again from its start, as context id `id`. */
static void ppgtt_resubmit(struct gg *g, uint32_t id)
{
    gg_ctx_init(g, GG_RCS, GG_CTX(GG_RCS, 0), GG_RING(GG_RCS, 0), 0, 16);
    gg_submit(g, GG_RCS, gg_desc(GG_CTX(GG_RCS, 0), id), 0);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t ids[] = { 0, id };
    gg_expect_events(g, GG_RCS, 2, st, ids);
}

/* i915 unhooks a table before it frees it (the parent entry to its
 * scratch table): the unhooked table and every trapped table below it go
 * back to plain RAM, or the guest's kernel would reuse trapped pages. */
static void test_ppgtt_unhooked_tables_released(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = gg_start("el_ppgtt_unhook", &g);
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
    struct sim *s = gg_start("el_ppgtt_migrating", &g);
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
    struct sim *s = gg_start("el_blit", &g);
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
    gg_run_ring(&g, GG_BCS, 0, cmds, sizeof(cmds) / 4, 3);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 3 };
    gg_expect_events(&g, GG_BCS, 2, st, id);
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
    gg_run_ring(&g, GG_RCS, 0, ring, sizeof(ring) / 4, 1);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 1 };
    gg_expect_events(&g, GG_RCS, 2, st, id);
    assert_int_equal(gg_read(&g, 0x7014), 0x20u); /* masked: enable bits applied */
    assert_int_equal(gg_read(&g, 0x2600), 0x11u);
    assert_int_equal(gg_read(&g, 0x2434), 0x22u);
    /* A user batch loading a kernel-only register. */
    pb[0] = MI_LRI(1);
    pb[1] = 0x7014;
    pb[2] = 0xffff0000u;
    pb[3] = MI_BATCH_BUFFER_END;
    const uint32_t ring2[] = { MI_BB_START_PPGTT, (uint32_t)GG_PPGTT_VA + 0x8000, 0, MI_NOOP };
    gg_run_ring(&g, GG_RCS, 1, ring2, 4, 2);
    uint64_t t0 = sim_now_ms();
    while (!(gg_iir(&g, GG_RCS) & (1u << 3)) && sim_now_ms() - t0 < 5000)
        usleep(500);
    assert_true(itest_log_contains(log, "register 0x7014, not allowed"));
    assert_int_equal(gg_read(&g, 0x7014), 0x20u);
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
        cmocka_unit_test(test_register_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
