/* The daemon's share of an ioreq: round trip, CPU time and syscalls per
 * register read, for the shipped xengvtd with and without its sandbox,
 * next to the floor (bench/floor_server: the smallest correct ioreq
 * server) measured in the same run.
 *
 * - us/ioreq: wall time per round trip as the guest's vCPU sees it;
 * - CPU us/ioreq: the server process's CPU time (/proc/PID/schedstat)
 *   over the same reads;
 * - syscalls/ioreq: strace -c attached to the server for a second run
 *   only (its own cost does not enter the timings), by syscall;
 * - on Xen: the same plus xenevtchn_unmask, a write(2) on
 *   /dev/xen/evtchn on real Xen that the simulator serves without one
 *   (counted by the simulator). Without strace the syscall columns say so.
 * Each timing is the median of 3 runs. */
#include "simguest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BAR0 0xe0000000ull
#define SBDF (2u << 3)
#define REG (BAR0 + 0x4000)
#define MAX_SYSCALLS 64

struct syscount {
    char name[32];
    double calls;
};

struct result {
    double us, cpu_us, syscalls, on_xen;
    struct syscount top[MAX_SYSCALLS];
    unsigned ntop;
    bool traced;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the process so far, ns (its only thread's schedstat). */
static double cpu_ns(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
    FILE *f = fopen(path, "r");
    double ns = -1;
    if (f) {
        if (fscanf(f, "%lf", &ns) != 1)
            ns = -1;
        fclose(f);
    }
    return ns;
}

static struct sim *start(const char *daemon, const char *const *args)
{
    struct sim_opts o = { .daemon = daemon, .log_path = "/dev/null", .args = args };
    struct sim *s = sim_start(&o);
    if (!s) {
        fprintf(stderr, "bench_ioreq_cost: could not start %s\n", daemon ? daemon : "xengvtd");
        exit(1);
    }
    if (!daemon) {
        sim_cfg_write(s, 0, SBDF, 0x10, 4, (uint32_t)BAR0);
        sim_cfg_write(s, 0, SBDF, 0x14, 4, 0);
        sim_cfg_write(s, 0, SBDF, 0x04, 2, 2);
    }
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* strace -c's table: "% time seconds usecs/call calls [errors] syscall". */
static void parse_strace(const char *path, unsigned n, struct result *r)
{
    FILE *f = fopen(path, "r");
    char line[256];
    while (f && fgets(line, sizeof(line), f)) {
        double pct, secs;
        unsigned long usecs, calls;
        char a[32], b[32];
        int k = sscanf(line, "%lf %lf %lu %lu %31s %31s", &pct, &secs, &usecs, &calls, a, b);
        if (k < 5)
            continue;
        const char *name = k == 6 ? b : a;
        if (strcmp(name, "total") == 0) {
            r->syscalls = (double)calls / n;
            r->traced = true;
        } else if (r->ntop < MAX_SYSCALLS) {
            snprintf(r->top[r->ntop].name, sizeof(r->top[0].name), "%s", name);
            r->top[r->ntop++].calls = (double)calls / n;
        }
    }
    if (f)
        fclose(f);
}

static void measure(const char *daemon, const char *const *args, unsigned n, struct result *r)
{
    memset(r, 0, sizeof(*r));
    struct sim *s = start(daemon, args);
    pid_t pid = sim_daemon_pid(s);
    for (unsigned i = 0; i < n / 10; i++) /* warm up */
        sim_mmio_read(s, 0, REG, 4);
    double us[3], cpu[3];
    for (unsigned k = 0; k < 3; k++) {
        double c0 = cpu_ns(pid), t0 = now_s();
        for (unsigned i = 0; i < n; i++)
            sim_mmio_read(s, 0, REG, 4);
        us[k] = (now_s() - t0) * 1e6 / n;
        cpu[k] = (cpu_ns(pid) - c0) / 1e3 / n;
    }
    qsort(us, 3, sizeof(double), cmp_double);
    qsort(cpu, 3, sizeof(double), cmp_double);
    r->us = us[1];
    r->cpu_us = cpu[1];

    /* Syscalls: strace attached for a run of its own. */
    unsigned m = n / 5;
    char out[64], pidstr[16];
    snprintf(out, sizeof(out), "/tmp/bench_ioreq_cost.%d", (int)getpid());
    snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
    unlink(out);
    pid_t tracer = fork();
    if (tracer == 0) {
        int null = open("/dev/null", 0);
        dup2(null, 2);
        execlp("strace", "strace", "-c", "-f", "-p", pidstr, "-o", out, (char *)NULL);
        _exit(127);
    }
    usleep(300000); /* attached */
    struct sim_shared *sh = sim_state(s);
    uint32_t unmasks0 = __atomic_load_n(&sh->unmasks, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < m; i++)
        sim_mmio_read(s, 0, REG, 4);
    uint32_t unmasks = __atomic_load_n(&sh->unmasks, __ATOMIC_RELAXED) - unmasks0;
    usleep(100000);
    kill(tracer, SIGINT);
    int status;
    waitpid(tracer, &status, 0);
    parse_strace(out, m, r);
    unlink(out);
    r->on_xen = r->syscalls + (double)unmasks / m;
    sim_stop(s);
}

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 20000;
    const char *floor = getenv("XENGVT_FLOOR_SERVER");
    if (!floor)
        floor = "bench/floor_server";
    static const char *const sandboxed[] = { "--log-level", "error", NULL };
    static const char *const bare[] = { "--log-level", "error", "--no-sandbox", NULL };
    static const struct {
        const char *name;
        bool floor;
        const char *const *args;
    } cases[] = {
        { "floor server", true, NULL },
        { "xengvtd (sandbox)", false, sandboxed },
        { "xengvtd --no-sandbox", false, bare },
    };
    struct result r[3];
    for (unsigned c = 0; c < 3; c++)
        measure(cases[c].floor ? floor : NULL, cases[c].args, n, &r[c]);
    printf("bench_ioreq_cost: %u register reads from 1 vCPU per timing (median of 3), "
           "%u under strace\n", n, n / 5);
    printf("%-22s %9s %6s %11s %6s %12s %6s %10s\n", "server", "us/ioreq", "ratio",
           "CPU us/ioreq", "ratio", "syscalls/io", "ratio", "on Xen/io");
    for (unsigned c = 0; c < 3; c++) {
        printf("%-22s %9.2f %6.2f %11.2f %6.2f", cases[c].name, r[c].us, r[c].us / r[0].us,
               r[c].cpu_us, r[c].cpu_us / r[0].cpu_us);
        if (r[c].traced && r[0].traced)
            printf(" %12.2f %6.2f %10.2f\n", r[c].syscalls, r[c].syscalls / r[0].syscalls,
                   r[c].on_xen);
        else
            printf(" %12s %6s %10s\n", "no strace", "-", "-");
    }
    for (unsigned c = 0; c < 3; c++) {
        if (!r[c].traced)
            continue;
        printf("  %-20s", cases[c].name);
        for (unsigned i = 0; i < r[c].ntop; i++)
            if (r[c].top[i].calls >= 0.005)
                printf(" %s %.2f", r[c].top[i].name, r[c].top[i].calls);
        printf("\n");
    }
    printf("ratio = this server / the floor; on Xen = syscalls + xenevtchn_unmask calls\n"
           "(a write(2) on real Xen, none in the simulator)\n");
    return 0;
}
