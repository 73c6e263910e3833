/* xengvt top against the real daemon: while the guest works at a steady
 * pace (config reads, register and PVINFO reads, a batch on rcs0, a flip,
 * with the pipe on at 60 Hz), `xengvt top --json` reports per interval the
 * rates the test can count itself. Every JSON line names the daemon's
 * clock at both ends of its interval; the test logs when each round of
 * work began and ended on the same clock, so each rate must match what
 * the rounds inside the interval did (rounds straddling an end may count
 * either way). Then all guests of a run directory, and one that does not
 * answer. */
#include "gpu_guest.h"

#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#define ROUNDS_MAX 4096
#define CFG_PER_ROUND 16u
#define PVINFO_PER_ROUND 3u
#define REGS_PER_ROUND 5u /* 4 ELSP writes, 1 PLANE_SURF */

struct round {
    uint64_t t0, t1;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double num_after(const char *line, const char *anchor, const char *key)
{
    const char *p = anchor ? strstr(line, anchor) : line;
    if (!p)
        fail_msg("no %s in %s", anchor, line);
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *q = strstr(p, pat);
    if (!q)
        fail_msg("no %s in %s", key, line);
    return strtod(q + strlen(pat), NULL);
}

/* The guest: a display at 60 Hz, the engines ready, a batch of 64K
 * MI_NOOPs (longer than what runs inside the ELSP write) that ends with
 * a breadcrumb. */
static void guest_setup(struct gg *g)
{
    struct sim *s = g->s;
    gg_init(g, s);
    gg_ppgtt_build(g);
    sim_mmio_write(s, 0, GG_REG(0x6001c), 4, 1023u << 16 | 767u);   /* PIPESRC */
    sim_mmio_write(s, 0, GG_REG(0x70180), 4, 1u << 31 | 4u << 24); /* plane on */
    sim_mmio_write(s, 0, GG_REG(0x70008), 4, 1u << 31);            /* pipe on */
    sim_mmio_write(s, 0, GG_REG(0x44404), 4, ~1u); /* vblank unmasked: raised */
    uint32_t *leaf = gg_ga(g, GG_BATCH + 0x10000);
    for (unsigned i = 0; i < 4095; i++)
        leaf[i] = MI_NOOP;
    leaf[4095] = MI_BATCH_BUFFER_END;
    uint32_t *first = gg_ga(g, GG_BATCH);
    unsigned n = 0;
    for (unsigned i = 0; i < 16; i++) {
        first[n++] = MI_BB_START_GGTT | MI_BB_SECOND_LEVEL;
        first[n++] = GG_BATCH + 0x10000;
        first[n++] = 0;
    }
    first[n++] = MI_STORE_DWORD_IMM_GGTT;
    first[n++] = GG_SEQNO;
    first[n++] = 0;
    first[n++] = 0;
    first[n++] = MI_BATCH_BUFFER_END;
    uint32_t *ring = gg_ga(g, GG_RING(GG_RCS, 0));
    ring[0] = MI_BB_START_GGTT;
    ring[1] = GG_BATCH;
    ring[2] = 0;
    ring[3] = MI_NOOP;
}

/* One round of work: every trap and the batch happen inside [t0, t1]. */
static void guest_round(struct gg *g, unsigned i, struct round *r)
{
    struct sim *s = g->s;
    r->t0 = now_ns();
    for (unsigned k = 0; k < CFG_PER_ROUND; k++)
        assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0, 4), 0x19128086);
    for (unsigned k = 0; k < PVINFO_PER_ROUND; k++)
        sim_mmio_read(s, 0, GG_REG(0x78000 + 4 * k), 4);
    gg_ga(g, GG_SEQNO)[0] = 0;
    gg_ctx_init(g, GG_RCS, GG_CTX(GG_RCS, 0), GG_RING(GG_RCS, 0), 0, 16);
    gg_submit(g, GG_RCS, gg_desc(GG_CTX(GG_RCS, 0), 1 + i % 1000), 0);
    uint32_t st[2], id[2];
    if (!gg_wait_csb(g, GG_RCS, 2, st, id, 10000))
        fail_msg("round %u: the batch did not complete", i);
    sim_mmio_write(s, 0, GG_REG(0x7019c), 4, (i & 1) ? 0x100000u : 0x200000u); /* flip */
    r->t1 = now_ns();
}

/* Runs `xengvt ARGS...` with stdout to a pipe; returns its pid. */
static pid_t spawn_cli(const char *const *args, int *out_fd)
{
    const char *bin = getenv("XENGVT_CLI");
    assert_non_null(bin);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        const char *argv[16] = { bin };
        for (unsigned i = 0; args[i] && i < 14; i++)
            argv[i + 1] = args[i];
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    *out_fd = p[0];
    return pid;
}

static size_t read_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = 0;
    close(fd);
    return n;
}

/* The rounds' counts inside [from, to]: at least those wholly inside, at
 * most those touching it. */
static void bounds(const struct round *r, unsigned n, uint64_t from, uint64_t to,
                   unsigned per_round, double *lo, double *hi)
{
    unsigned inside = 0, touching = 0;
    for (unsigned i = 0; i < n; i++) {
        if (r[i].t0 >= from && r[i].t1 <= to)
            inside++;
        if (r[i].t1 >= from && r[i].t0 <= to)
            touching++;
    }
    *lo = (double)inside * per_round;
    *hi = (double)touching * per_round;
}

static void expect_count(const char *what, double rate, double secs, double lo, double hi)
{
    double count = rate * secs;
    if (count < lo - 0.5 || count > hi + 0.5)
        fail_msg("%s: %.1f/s over %.3f s is %.1f, the guest did %.0f to %.0f", what, rate, secs,
                 count, lo, hi);
}

static void test_top_json_rates(void **state)
{
    (void)state;
    struct gg g;
    struct sim *s = itest_start("top", (struct sim_opts){ .ram_bytes = 64u << 20 });
    g.s = s;
    guest_setup(&g);
    static struct round rounds[ROUNDS_MAX];
    unsigned n = 0;
    int fd;
    const char *args[] = { "--socket", sim_control_path(s), "top", "--json", "--interval",
                           "0.4", "--count", "4", NULL };
    pid_t pid = spawn_cli(args, &fd);
    int status;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        assert_true(n < ROUNDS_MAX);
        guest_round(&g, n, &rounds[n]);
        n++;
        usleep(2000);
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    static char out[65536];
    read_all(fd, out, sizeof(out));
    if (getenv("TOP_DEBUG"))
        fprintf(stderr, "%s", out);
    unsigned lines = 0;
    double busy = 0, flips = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        lines++;
        assert_int_equal(num_after(line, NULL, "domid"), 7);
        uint64_t from = (uint64_t)num_after(line, NULL, "from_ns");
        uint64_t to = (uint64_t)num_after(line, NULL, "to_ns");
        double secs = num_after(line, NULL, "interval_s");
        assert_true(secs > 0.3 && secs < 3);
        assert_true(fabs((double)(to - from) / 1e9 - secs) < 1e-5);
        double lo, hi;
        bounds(rounds, n, from, to, CFG_PER_ROUND, &lo, &hi);
        expect_count("config traps", num_after(line, "traps_per_s", "config"), secs, lo, hi);
        bounds(rounds, n, from, to, REGS_PER_ROUND, &lo, &hi);
        expect_count("register traps", num_after(line, "traps_per_s", "regs"), secs, lo, hi);
        bounds(rounds, n, from, to, PVINFO_PER_ROUND, &lo, &hi);
        expect_count("PVINFO traps", num_after(line, "traps_per_s", "pvinfo"), secs, lo, hi);
        assert_true(num_after(line, "traps_per_s", "ggtt") == 0);
        assert_true(num_after(line, "traps_per_s", "aperture") == 0);
        bounds(rounds, n, from, to, 1, &lo, &hi);
        expect_count("rcs0 batches", num_after(line, "\"rcs0\"", "batches_per_s"), secs, lo, hi);
        /* The aperture's figures (their rates depend on aperture.c's sync
         * points, not on this test). */
        assert_true(num_after(line, "\"aperture\":{", "syncs_per_s") >= 0);
        assert_true(num_after(line, "\"aperture\":{", "pages_out_per_s") >= 0);
        assert_true(num_after(line, "\"aperture\":{", "pages_in_per_s") >= 0);
        double b = num_after(line, "\"rcs0\"", "busy_pct");
        assert_true(b >= 0 && b <= 100);
        busy += b;
        static const char *const idle[] = { "\"bcs0\"", "\"vcs0\"", "\"vecs0\"" };
        for (unsigned e = 0; e < 3; e++) {
            assert_true(num_after(line, idle[e], "busy_pct") == 0);
            assert_true(num_after(line, idle[e], "batches_per_s") == 0);
        }
        double vbl = num_after(line, NULL, "vblanks_per_s"), fl = num_after(line, NULL, "flips_per_s");
        if (vbl < 30 || vbl > 90)
            fail_msg("%.1f vblanks/s at 60 Hz", vbl);
        assert_true(fl <= vbl + 1 / secs);
        flips += fl;
        assert_non_null(strstr(line, "\"display\":{\"pipe_on\":true,\"plane_on\":true,"
                                     "\"width\":1024,\"height\":768,\"refresh_hz\":60}"));
        double cpu = num_after(line, NULL, "cpu_pct");
        assert_true(cpu >= 0 && cpu <= 200);
        assert_true(num_after(line, NULL, "cpu_s") > 0);
    }
    assert_int_equal(lines, 4);
    assert_true(busy > 0);  /* the batch outlasts its ELSP write */
    assert_true(flips > 0);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* Every socket of the run directory: two guests, and a socket nobody
 * serves (reported, not fatal); the text view names each guest's mode. */
static void test_top_all_guests(void **state)
{
    (void)state;
    char dir[64], p7[96], p8[96], p9[96];
    snprintf(dir, sizeof(dir), "/tmp/xengvt-top-%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(p7, sizeof(p7), "%s/dom7.sock", dir);
    snprintf(p8, sizeof(p8), "%s/dom8.sock", dir);
    snprintf(p9, sizeof(p9), "%s/dom9.sock", dir);
    struct sim *a = itest_start("top_all7", (struct sim_opts){ .ram_bytes = 64u << 20,
                                                                .control_path = p7 });
    struct sim *b = itest_start("top_all8", (struct sim_opts){ .ram_bytes = 64u << 20,
                                                                .domid = 8,
                                                                .control_path = p8 });
    int stale = open(p9, O_CREAT | O_WRONLY, 0600);
    assert_true(stale >= 0);
    close(stale);
    struct gg g;
    g.s = a;
    guest_setup(&g);
    int fd;
    const char *args[] = { "top", "--json", "--run-dir", dir, "--interval", "0.2", "--count",
                           "2", NULL };
    pid_t pid = spawn_cli(args, &fd);
    static char out[65536];
    read_all(fd, out, sizeof(out));
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    unsigned d7 = 0, d8 = 0, errors = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        if (strstr(line, "\"error\":")) {
            assert_non_null(strstr(line, "dom9.sock"));
            errors++;
            continue;
        }
        double dom = num_after(line, NULL, "domid");
        d7 += dom == 7;
        d8 += dom == 8;
        if (dom == 8) /* no plane on there */
            assert_non_null(strstr(line, "\"plane_on\":false"));
    }
    assert_int_equal(d7, 2);
    assert_int_equal(d8, 2);
    assert_int_equal(errors, 3); /* each round, the first one included */
    /* The text view (not a terminal here: no escapes). */
    const char *targs[] = { "top", "--run-dir", dir, "--interval", "0.2", "--count", "1", NULL };
    pid = spawn_cli(targs, &fd);
    read_all(fd, out, sizeof(out));
    if (getenv("TOP_DEBUG"))
        fprintf(stderr, "%s", out);
    waitpid(pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_non_null(strstr(out, "1024x768@60"));
    assert_non_null(strstr(out, "rcs0"));
    assert_non_null(strstr(out, "dom9.sock: "));
    assert_null(strchr(out, '\033'));
    unlink(p9);
    assert_int_equal(WEXITSTATUS(sim_stop(a)), 0);
    assert_int_equal(WEXITSTATUS(sim_stop(b)), 0);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top_json_rates),
        cmocka_unit_test(test_top_all_guests),
    };
    return cmocka_run_group_tests_name("top", tests, NULL, NULL);
}
