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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_breadcrumbs_and_csb),
        cmocka_unit_test(test_two_elements),
        cmocka_unit_test(test_lite_restore),
        cmocka_unit_test(test_ppgtt_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
