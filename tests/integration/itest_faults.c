/* Faults injected into the simulated hypervisor while the real daemon
 * serves: foreign maps refused, MSIs refused, notifications refused,
 * event-channel errors, the domain dying at every step of set-up, a
 * pipelining control client, a daemon killed while a vCPU waits. For each:
 * the daemon recovers and keeps serving, or exits with a clear message and
 * its documented code; it never leaves a vCPU waiting while it lives. */
#include "gpu_guest.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static void invalidate_map_cache(struct sim *s)
{
    ioreq_t inv = { .type = IOREQ_TYPE_INVALIDATE, .size = 0, .count = 1 };
    assert_int_equal(sim_ioreq(s, 0, &inv, 5000), 0);
}

static void test_foreign_map_refused(void **state)
{
    (void)state;
    struct gg g;
    const char *log = itest_log_path("fault_map");
    struct sim *s = itest_start("fault_map", (struct sim_opts){ .ram_bytes = 64u << 20,
                                                                .log_path = log });
    gg_init(&g, s);
    const uint32_t cmds[] = { MI_STORE_DWORD_IMM_GGTT, GG_SEQNO, 0, 0x1 };
    memcpy(gg_ga(&g, GG_RING(GG_RCS, 0)), cmds, sizeof(cmds));
    gg_ctx_init(&g, GG_RCS, GG_CTX(GG_RCS, 0), GG_RING(GG_RCS, 0), 0, sizeof(cmds));
    invalidate_map_cache(s);
    sim_state(s)->fail_map_count = 1000000;
    gg_submit(&g, GG_RCS, gg_desc(GG_CTX(GG_RCS, 0), 1), 0);
    /* The engine reports an error; registers are still answered. */
    uint64_t t0 = sim_now_ms();
    while (!(gg_iir(&g, GG_RCS) & (1u << 3)) && sim_now_ms() - t0 < 5000)
        usleep(1000);
    assert_true(gg_iir(&g, GG_RCS) & (1u << 3));
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0, 4), 0x19128086);
    char line[2048];
    assert_int_equal(sim_control(s, "{\"cmd\":\"frame\"}", line, sizeof(line), NULL, NULL), 0);
    /* Xen maps again: reset the engine, the same work completes. */
    sim_state(s)->fail_map_count = 0;
    gg_write(&g, gg_base[GG_RCS] + 0xb0, ~0u);
    gg_ack(&g, GG_RCS);
    gg_write(&g, 0x941c, 1u << 1);
    gg_ga(&g, GG_HWSP(GG_RCS))[0x1f] = 5;
    g.csb_seen[GG_RCS] = 0;
    gg_ctx_init(&g, GG_RCS, GG_CTX(GG_RCS, 0), GG_RING(GG_RCS, 0), 0, sizeof(cmds));
    gg_submit(&g, GG_RCS, gg_desc(GG_CTX(GG_RCS, 0), 2), 0);
    uint32_t st[2], id[2];
    assert_true(gg_wait_csb(&g, GG_RCS, 2, st, id, 5000));
    assert_int_equal(st[1], 0x18u);
    assert_int_equal(gg_ga(&g, GG_SEQNO)[0], 1);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_msi_refused_then_delivered(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = itest_start("fault_msi", (struct sim_opts){ .ram_bytes = 64u << 20 });
    gg_init(&g, s);
    uint32_t m0 = sim_msi_count(s);
    sim_state(s)->fail_inject_msi = 1;
    const uint32_t cmds[] = { MI_USER_INTERRUPT, MI_NOOP };
    memcpy(gg_ga(&g, GG_RING(GG_RCS, 0)), cmds, sizeof(cmds));
    gg_ctx_init(&g, GG_RCS, GG_CTX(GG_RCS, 0), GG_RING(GG_RCS, 0), 0, sizeof(cmds));
    gg_submit(&g, GG_RCS, gg_desc(GG_CTX(GG_RCS, 0), 1), 0);
    uint32_t st[2], id[2];
    assert_true(gg_wait_csb(&g, GG_RCS, 2, st, id, 5000));
    usleep(50 * 1000);
    assert_int_equal(sim_msi_count(s), m0); /* refused so far */
    /* Xen takes MSIs again: the pending interrupt arrives by itself. */
    sim_state(s)->fail_inject_msi = 0;
    assert_true(sim_wait_msi(s, m0 + 1, 2000));
    char line[4096];
    assert_int_equal(sim_control(s, "{\"cmd\":\"status\"}", line, sizeof(line), NULL, NULL), 0);
    assert_null(strstr(line, "\"msi_retries\":0,"));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

static void test_notify_refused(void **state)
{
    (void)state;
    const char *log = itest_log_path("fault_notify");
    struct sim *s = itest_start("fault_notify", (struct sim_opts){ .log_path = log });
    itest_place_bars(s, false);
    /* A few refusals: retried, the vCPU gets its answer. */
    sim_state(s)->fail_notify_count = 5;
    assert_int_equal(sim_mmio_read(s, 0, BAR0_ADDR + 0x78000, 4), 0x76544776u);
    bool logged = false; /* written just after the vCPU was let go */
    for (int i = 0; i < 100 && !logged; i++, usleep(10000))
        logged = itest_log_contains(log, "delayed notifications delivered");
    assert_true(logged);
    /* Refused for good: the daemon says so and exits 1 (not a silent hang). */
    sim_state(s)->fail_notify_count = 0x7fffffff;
    ioreq_t req = { .addr = BAR0_ADDR + 0x78000, .size = 4, .count = 1,
                    .dir = IOREQ_READ, .type = IOREQ_TYPE_COPY };
    assert_int_equal(sim_ioreq(s, 0, &req, 500), -ETIMEDOUT);
    int status = sim_wait_exit(s, 10000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    sim_stop(s);
    assert_true(itest_log_contains(log, "Xen refuses to notify a waiting vCPU"));
}

static void test_pending_errors(void **state)
{
    (void)state;
    const char *log = itest_log_path("fault_pending");
    struct sim *s = itest_start("fault_pending", (struct sim_opts){ .log_path = log });
    itest_place_bars(s, false);
    sim_state(s)->fail_pending_count = 20;
    assert_int_equal(sim_mmio_read(s, 0, BAR0_ADDR + 0x78000, 4), 0x76544776u);
    sim_state(s)->fail_pending_count = 0x7fffffff;
    ioreq_t req = { .addr = BAR0_ADDR + 0x78000, .size = 4, .count = 1,
                    .dir = IOREQ_READ, .type = IOREQ_TYPE_COPY };
    assert_int_equal(sim_ioreq(s, 0, &req, 500), -ETIMEDOUT);
    int status = sim_wait_exit(s, 10000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    sim_stop(s);
    assert_true(itest_log_contains(log, "xenevtchn_pending keeps failing"));
}

/* The domain dies at the Nth Xen call about it, for every N through set-up
 * and a little beyond: the daemon exits by itself with 0 (domain gone),
 * 3 (no domain) or 4 (a set-up step refused), never crashes or hangs, and
 * (in the sanitizer build) leaks nothing. */
static void test_domain_death_every_stage(void **state)
{
    (void)state;
    struct sim *probe = itest_start("fault_death_probe", (struct sim_opts){ 0 });
    uint32_t calls = sim_state(probe)->calls_about_domain;
    sim_stop(probe);
    /* die_after_calls 0 means never: count the calls set-up makes. */
    struct sim *counting = itest_start("fault_death_count",
                                       (struct sim_opts){ .die_after_calls = 0x7fffffff });
    calls = sim_state(counting)->calls_about_domain;
    sim_stop(counting);
    assert_true(calls > 5);
    for (uint32_t n = 1; n <= calls + 3; n++) {
        char name[64];
        snprintf(name, sizeof(name), "fault_death_%u", n);
        const char *log = itest_log_path(name);
        struct sim *s = sim_start(&(struct sim_opts){ .die_after_calls = n, .log_path = log,
                                                      .no_wait_ready = true });
        assert_non_null(s);
        /* Past set-up the domain dies at the first call of the loop; make
         * one happen. */
        if (n > calls)
            sim_kill_domain(s);
        int status = sim_wait_exit(s, 10000);
        if (!WIFEXITED(status))
            fail_msg("dying at call %u: daemon %s (status %#x)", n,
                     status == -1 ? "did not exit" : "was killed by a signal", status);
        int code = WEXITSTATUS(status);
        if (code != 0 && code != 3 && code != 4)
            fail_msg("dying at call %u: exit status %d", n, code);
        sim_stop(s);
    }
}

static int connect_control(struct sim *s)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", sim_control_path(s));
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

/* A client pipelines many requests before reading anything: every one is
 * answered in order, one at a time, and the guest is served meanwhile. */
static void test_control_pipelined_flood(void **state)
{
    (void)state;
    struct sim *s = itest_start("fault_flood", (struct sim_opts){ 0 });
    itest_place_bars(s, false);
    int fd = connect_control(s);
    const char req[] = "{\"cmd\":\"status\"}\n";
    for (int i = 0; i < 100; i++)
        assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0, 4), 0x19128086);
    int answers = 0;
    char buf[65536];
    size_t have = 0;
    uint64_t t0 = sim_now_ms();
    while (answers < 100 && sim_now_ms() - t0 < 10000) {
        ssize_t n = recv(fd, buf + have, sizeof(buf) - have, MSG_DONTWAIT);
        if (n > 0)
            have += (size_t)n;
        else
            usleep(1000);
        char *nl;
        while ((nl = memchr(buf, '\n', have))) {
            answers += memcmp(buf, "{\"ok\":true", 10) == 0;
            size_t used = (size_t)(nl - buf) + 1;
            memmove(buf, nl + 1, have - used);
            have -= used;
        }
    }
    close(fd);
    assert_int_equal(answers, 100);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* Killed with SIGKILL while a vCPU waits for an answer: Xen keeps the
 * ioreq server and the vCPU blocked until the toolstack destroys the
 * domain (xl-vgpu does); a second daemon for the same domain refuses to
 * start with a clear message instead of fighting over the device. */
static void test_sigkill_while_vcpu_waits(void **state)
{
    (void)state;
    struct sim *s = itest_start("fault_kill", (struct sim_opts){ 0 });
    itest_place_bars(s, false);
    kill(sim_daemon_pid(s), SIGSTOP);
    ioreq_t req = { .addr = BAR0_ADDR + 0x78000, .size = 4, .count = 1,
                    .dir = IOREQ_READ, .type = IOREQ_TYPE_COPY };
    assert_int_equal(sim_ioreq(s, 0, &req, 200), -ETIMEDOUT);
    kill(sim_daemon_pid(s), SIGKILL);
    int status = sim_wait_exit(s, 5000);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(sim_state(s)->server_destroyed, 0); /* nobody cleaned up */
    sim_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_foreign_map_refused),
        cmocka_unit_test(test_msi_refused_then_delivered),
        cmocka_unit_test(test_notify_refused),
        cmocka_unit_test(test_pending_errors),
        cmocka_unit_test(test_domain_death_every_stage),
        cmocka_unit_test(test_control_pipelined_flood),
        cmocka_unit_test(test_sigkill_while_vcpu_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
