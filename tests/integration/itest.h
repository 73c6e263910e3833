/* Shared helpers for integration tests: start the real xengvtd under the
 * simulated hypervisor with a per-test log file, and the guest-side steps
 * every test repeats (placing BARs like a BIOS would). */
#ifndef XENGVT_TESTS_ITEST_H
#define XENGVT_TESTS_ITEST_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <unistd.h>
#include <sys/wait.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "simguest.h"

/* Built with sanitizers (--enable-sanitizers): the daemon's seccomp
 * filter then allows what the runtimes need, and it has no memory cap
 * (ASan's shadow counts as data). Tests of those check the shipped,
 * unsanitized build. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define ITEST_SANITIZED 1
#else
#define ITEST_SANITIZED 0
#endif

#define VGPU_SBDF ((0u << 16) | (0u << 8) | (2u << 3) | 0u)
#define BAR0_ADDR 0xe0000000ull
#define BAR2_ADDR 0xc0000000ull
#define IO_BAR_ADDR 0xc000u

/* A program run directly, outside any simulated domain: its exit status
 * (-1 if killed), stdout and stderr together in `out`. */
static inline int itest_run_direct(const char *const *argv, char *out, size_t cap)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while ((r = read(p[0], out + n, cap - 1 - n)) > 0 && n + 1 < cap)
        n += (size_t)r;
    out[n] = 0;
    close(p[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline const char *itest_log_path(const char *name)
{
    static char path[512];
    const char *dir = getenv("XENGVT_TEST_LOGDIR");
    snprintf(path, sizeof(path), "%s/%s.daemon.log", dir ? dir : "/tmp", name);
    unlink(path);
    return path;
}

static inline struct sim *itest_start(const char *name, struct sim_opts o)
{
    if (!o.log_path)
        o.log_path = itest_log_path(name);
    struct sim *s = sim_start(&o);
    assert_non_null(s);
    return s;
}

/* What firmware does before the guest's driver runs: place the BARs and
 * turn on memory (and I/O) decode. */
static inline void itest_place_bars(struct sim *s, bool io)
{
    sim_cfg_write(s, 0, VGPU_SBDF, 0x10, 4, (uint32_t)BAR0_ADDR);
    sim_cfg_write(s, 0, VGPU_SBDF, 0x14, 4, (uint32_t)(BAR0_ADDR >> 32));
    sim_cfg_write(s, 0, VGPU_SBDF, 0x18, 4, (uint32_t)BAR2_ADDR);
    sim_cfg_write(s, 0, VGPU_SBDF, 0x1c, 4, (uint32_t)(BAR2_ADDR >> 32));
    uint16_t cmd = 0x6; /* MEM | MASTER */
    if (io) {
        sim_cfg_write(s, 0, VGPU_SBDF, 0x20, 4, IO_BAR_ADDR);
        cmd |= 0x1;
    }
    sim_cfg_write(s, 0, VGPU_SBDF, 0x04, 2, cmd);
}

/* Write PLANE_SURF and wait for the flip to be latched at a vblank. */
static inline void itest_flip(struct sim *s, uint32_t surf)
{
    sim_mmio_write(s, 0, BAR0_ADDR + 0x7019c, 4, surf);
    for (int i = 0; i < 200; i++) {
        if ((uint32_t)sim_mmio_read(s, 0, BAR0_ADDR + 0x701ac, 4) == (surf & ~0xfffu))
            return;
        usleep(1000);
    }
    fail_msg("flip to %#x never latched", surf);
}

/* The value of `key=N` on the daemon's final stats line, or -1. */
static inline long long itest_stat(const char *log_path, const char *key)
{
    FILE *f = fopen(log_path, "r");
    if (!f)
        return -1;
    char line[2048];
    long long val = -1;
    char pat[64];
    snprintf(pat, sizeof(pat), " %s=", key);
    while (fgets(line, sizeof(line), f)) {
        if (!strstr(line, "stats:"))
            continue;
        char *p = strstr(line, pat);
        if (p)
            val = atoll(p + strlen(pat));
    }
    fclose(f);
    return val;
}

/* A field of the daemon's status line: a number, or 1/0 for true/false. */
static inline long long itest_status_field(struct sim *s, const char *key)
{
    char line[4096], pat[64];
    assert_int_equal(sim_control(s, "{\"cmd\":\"status\"}", line, sizeof(line), NULL, NULL), 0);
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(line, pat);
    if (!p)
        fail_msg("no %s in %s", key, line);
    p += strlen(pat);
    return strncmp(p, "true", 4) == 0 ? 1 : strncmp(p, "false", 5) == 0 ? 0 : atoll(p);
}

static inline bool itest_log_contains(const char *log_path, const char *needle)
{
    FILE *f = fopen(log_path, "r");
    if (!f)
        return false;
    char line[2048];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

#endif
