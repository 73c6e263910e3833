/* What the xl-vgpu tests share: a clean run directory per test, the
 * stand-in xl (fake-xl) and its call log, configs, running xl-vgpu
 * under a simulated domain or directly, and reading its records. */
#ifndef XENGVT_TESTS_XLVGPU_ENV_H
#define XENGVT_TESTS_XLVGPU_ENV_H

#include "itest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char dir[256], xl_log[300];

/* A clean run directory: daemons an earlier, failed run left behind (they
 * are detached, as in production) are stopped first. */
static inline void clean_dir(void)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "for f in '%s'/dom*.vgpu; do [ -f \"$f\" ] && awk '/^(vgpu|monitor) / && $2 > 1 {print $2}' \"$f\" | "
             "xargs -r kill -9 2>/dev/null; done; rm -rf '%s'", dir, dir);
    if (system(cmd) != 0)
        fail_msg("cannot clean %s", dir);
}

static inline void setup_env(const char *name, unsigned domid)
{
    const char *logdir = getenv("XENGVT_TEST_LOGDIR");
    snprintf(dir, sizeof(dir), "%s/xlvgpu-%s", logdir ? logdir : "/tmp", name);
    clean_dir();
    mkdir(dir, 0700);
    snprintf(xl_log, sizeof(xl_log), "%s/xl.log", dir);
    unlink(xl_log);
    char xl[512], dom[16];
    snprintf(xl, sizeof(xl), "%s/fake-xl", getenv("XENGVT_TEST_SRCDIR"));
    snprintf(dom, sizeof(dom), "%u", domid);
    setenv("XL", xl, 1);
    setenv("FAKE_XL_LOG", xl_log, 1);
    setenv("FAKE_XL_NAME", name, 1);
    setenv("FAKE_XL_DOMID", dom, 1);
    setenv("XENGVT_RUN_DIR", dir, 1);
    setenv("XENGVT_LOG_DIR", dir, 1);
    setenv("XENGVT_DUMP_DIR", dir, 1);
    unsetenv("FAKE_XL_FAIL");
    unsetenv("FAKE_XL_SIM");
}

static inline const char *write_cfg_with(const char *name, const char *vgpu, const char *more)
{
    static char path[320];
    snprintf(path, sizeof(path), "%s/%s-orig.cfg", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "name = \"%s\"\ntype = \"hvm\"\nmemory = 512\nvgpu = [ %s ]\n%s", name, vgpu,
            more);
    fclose(f);
    return path;
}

static inline const char *write_cfg(const char *name, const char *vgpu)
{
    return write_cfg_with(name, vgpu, "");
}

static inline char *slurp(const char *path)
{
    static char buf[8192];
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = 0;
        fclose(f);
    }
    return buf;
}

/* A guest's memory as xl's image carries it: RAM and the frames beyond. */
struct guest_mem {
    void *ram, *physmap;
    size_t physmap_len;
};

static inline struct guest_mem *guest_mem_take(struct sim *s)
{
    struct guest_mem *m = calloc(1, sizeof(*m));
    m->ram = malloc(64u << 20);
    memcpy(m->ram, sim_ram(s), 64u << 20);
    assert_int_equal(sim_physmap_save(s, &m->physmap, &m->physmap_len), 0);
    return m;
}

static inline void guest_mem_free(struct guest_mem *m)
{
    free(m->ram);
    free(m->physmap);
    free(m);
}

/* xl-vgpu ARGS as a sim's launcher: its daemons serve that sim's domain. */
static inline struct sim *launch(const char *log, const char *const *argv, unsigned domid,
                          const struct guest_mem *m, int *status)
{
    struct sim *s = sim_start(&(struct sim_opts){ .exec_argv = argv, .no_wait_ready = true,
                                                  .log_path = log, .domid = domid,
                                                  .ram_bytes = 64u << 20,
                                                  .ram_image = m ? m->ram : NULL,
                                                  .ram_image_len = m ? 64u << 20 : 0,
                                                  .physmap_image = m ? m->physmap : NULL,
                                                  .physmap_image_len = m ? m->physmap_len : 0 });
    assert_non_null(s);
    *status = sim_wait_exit(s, 60000);
    return s;
}

/* xl-vgpu ARGS run directly (commands that need no simulated domain). */
static inline int run(const char *const *argv, char *out, size_t cap)
{
    return itest_run_direct(argv, out, cap);
}

static inline pid_t daemon_pid(unsigned domid)
{
    char path[320];
    snprintf(path, sizeof(path), "%s/dom%u.vgpu", dir, domid);
    const char *rec = slurp(path);
    const char *v = strstr(rec, "vgpu ");
    return v ? (pid_t)atoi(v + 5) : -1;
}

#endif
