/* The engines against a hostile guest and during a migration, through the
 * real daemon (the scripted guest of gpu_guest.h, as itest_execlist.c):
 * a batch that rewrites itself, hostile submissions that end in an engine
 * error the guest can reset -- never a stuck or crashed daemon -- and the
 * dirty log that reports the guest pages GPU work writes, or fails the save
 * when it loses some. */
#include "gpu_guest.h"

#include <sys/wait.h>

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
    gg_run_ring(g, e, 3, cmds, 4, 0x99);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 0x99 };
    gg_expect_events(g, e, 2, st, id);
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
    struct sim *s = gg_start("el_selfmod", &g);
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
    gg_run_ring(&g, GG_RCS, 0, c1, 4, 1);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    const uint32_t id[] = { 0, 1 };
    gg_expect_events(&g, GG_RCS, 2, st, id);
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
    gg_run_ring(&g, GG_VCS, 0, c2, 4, 2);
    const uint32_t id2[] = { 0, 2 };
    gg_expect_events(&g, GG_VCS, 2, st, id2);
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
    gg_run_ring(&g, GG_RCS, 0, c1, 4, 1);
    /* The copy engine is served while the render engine is stuck. */
    expect_engine_works(&g, GG_BCS, 0xb1);
    expect_engine_error(&g, GG_RCS, log, "a loop?");
    expect_engine_works(&g, GG_RCS, 0xa1);

    /* 2. A batch in graphics memory that is not the vGPU's. */
    reset_engine(&g, GG_RCS);
    const uint32_t c2[] = { MI_BB_START_GGTT, 0xf0000000u, 0, MI_NOOP };
    gg_run_ring(&g, GG_RCS, 0, c2, 4, 2);
    expect_engine_error(&g, GG_RCS, log, "not in the vGPU's memory");
    expect_engine_works(&g, GG_RCS, 0xa2);

    /* 3. LRI to a register no command may write (GDRST, a plane). */
    reset_engine(&g, GG_RCS);
    uint32_t plane_before = gg_read(&g, 0x70180);
    const uint32_t c3[] = { MI_LRI(2), 0x2000 + 0x9c, 0x00010001u, 0x70180, 0x80000000u };
    gg_run_ring(&g, GG_RCS, 0, c3, 5, 3);
    expect_engine_error(&g, GG_RCS, log, "register 0x70180, not allowed");
    assert_int_equal(gg_read(&g, 0x70180), plane_before);
    expect_engine_works(&g, GG_RCS, 0xa3);

    /* 4. A command header no engine knows. */
    reset_engine(&g, GG_RCS);
    const uint32_t c4[] = { 0xe0000000u, MI_NOOP };
    gg_run_ring(&g, GG_RCS, 0, c4, 2, 4);
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
    gg_run_ring(&g, GG_VECS, 0, c6, 4, 6);
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
    struct sim *s = gg_start("el_dirty_log", &g);
    gg_write(&g, 0x101008, 1); /* the GGTT invalidate: the aperture binds the slice */
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    char line[512];

    /* Off (the default): a batch's writes are not reported. */
    assert_int_equal(itest_status_field(s, "dirty_log"), 0);
    const uint32_t first[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO, 0, 0x0ff, MI_USER_INTERRUPT };
    gg_run_ring(&g, GG_RCS, 0, first, sizeof(first) / 4, 1);
    gg_expect_events(&g, GG_RCS, 2, st, (const uint32_t[]){ 0, 1 });
    assert_false(gfn_reported(s, GG_GGTT_GPA + GG_SEQNO, 0));
    assert_int_equal(sim_modified_count(s), 0);

    /* On: each page the batch wrote, reported once the round is over. */
    assert_int_equal(sim_control(s, "{\"cmd\":\"dirty-log\",\"enable\":true}", line,
                                 sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ok\":true"));
    assert_int_equal(itest_status_field(s, "dirty_log"), 1);
    uint32_t since = sim_modified_count(s);
    const uint32_t on[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO + 4, 0, 0x0a, MI_USER_INTERRUPT };
    gg_run_ring(&g, GG_RCS, 1, on, sizeof(on) / 4, 2);
    gg_expect_events(&g, GG_RCS, 2, st, (const uint32_t[]){ 0, 2 });
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
    gg_run_ring(&g, GG_RCS, 2, off, sizeof(off) / 4, 3);
    gg_expect_events(&g, GG_RCS, 2, st, (const uint32_t[]){ 0, 3 });
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
    struct sim *s = gg_start("el_dirty_lost", &g);
    const uint32_t st[] = { CSB_IDLE_TO_ACTIVE, CSB_COMPLETE | CSB_ACTIVE_TO_IDLE };
    char line[512];
    assert_int_equal(sim_control(s, "{\"cmd\":\"dirty-log\",\"enable\":true}", line,
                                 sizeof(line), NULL, NULL), 0);
    sim_state(s)->refuse_modified = 1;
    const uint32_t cmds[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO, 0, 0x1, MI_USER_INTERRUPT };
    gg_run_ring(&g, GG_RCS, 0, cmds, sizeof(cmds) / 4, 1);
    gg_expect_events(&g, GG_RCS, 2, st, (const uint32_t[]){ 0, 1 });
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
        cmocka_unit_test(test_self_modifying_batch),
        cmocka_unit_test(test_hostile_submissions),
        cmocka_unit_test(test_dirty_log_reports_gpu_writes),
        cmocka_unit_test(test_dirty_log_lost_pages_fail_the_save),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
