/* A daemon its guest took over writes the live-state file its successor
 * reads (--live-state): whatever it wrote, the successor parses it in its
 * own sandbox, takes only what checks out, and the guest goes on. Through
 * the shipped binaries: xengvtd under the simulator, xl-vgpu's supervisor
 * (xlvgpu_env.h). */
#include "itest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "xlvgpu_env.h"
#include "hostile_env.h"
#include "gvt/engine.h" /* this build's engine layout, as its daemon writes it */

#include <stddef.h>

/* Domids no other test binary uses at the same time: xl-vgpu reaps the
 * uid of a domain it is done with. */
#define HOSTILE_LIVE_DOMID 39
#define HOSTILE_LIVE_DOMS "39"

/* --- a hostile live-state file taken by a successor ----------------------- */

#define SCRATCH (BAR0_ADDR + 0x4f000)
#define PVINFO (BAR0_ADDR + 0x78000)
#define VENDOR_DEVICE 0x19128086u
#define VGT_MAGIC 0x4776544776544776ull
/* The file's layout (live_state.c): a 4 KiB header page, then where its
 * header says: registers, engines, config space. */
#define LIVE_DOMID_AT 12
#define LIVE_ENGINES_AT 64
#define LIVE_PCICFG_AT 80

static long live_record(const char *key)
{
    char path[320];
    snprintf(path, sizeof(path), "%s/dom" HOSTILE_LIVE_DOMS ".vgpu", dir);
    const char *rec = slurp(path);
    char want[32];
    snprintf(want, sizeof(want), "%s ", key);
    const char *v = strstr(rec, want);
    return v ? atol(v + strlen(want)) : -1;
}

static bool live_running(void)
{
    char path[320];
    snprintf(path, sizeof(path), "%s/dom" HOSTILE_LIVE_DOMS ".vgpu", dir);
    return strstr(slurp(path), "state running\n") != NULL;
}

/* The whole daemon log (every daemon of the domain appends to it). */
static char *daemon_log(void)
{
    char path[320];
    snprintf(path, sizeof(path), "%s/dom" HOSTILE_LIVE_DOMS ".log", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* The newest successor said `said`, and only once its sandbox was up:
 * its sandbox line (after its adoption of the server, the newest in the
 * log) comes before the newest `said`. A take run as root, before the
 * sandbox, would say it before even the adoption. */
static bool said_in_sandbox(const char *said, const char **problem)
{
    char *log = daemon_log(), *from = NULL, *line = NULL;
    for (char *p = log; (p = strstr(p, "adopted, ")); p++)
        from = p;
    for (char *p = log; (p = strstr(p, said)); p++)
        line = p;
    const char *sandbox = from ? strstr(from, "sandbox: Xen handles restricted to dom"
                                              HOSTILE_LIVE_DOMS) : NULL;
    *problem = !from      ? "no adoption of the server in the log"
               : !line    ? "not in the log"
               : !sandbox ? "no sandbox line after the adoption"
               : line < sandbox ? "said before the successor's sandbox was up"
                                : NULL;
    return !*problem;
}

static void successor_said_in_sandbox(const char *said)
{
    /* What the engines' runner says comes once the successor serves:
     * under load, a little after the supervisor records it running. */
    const char *problem;
    uint64_t end = sim_now_ms() + 5000;
    while (!said_in_sandbox(said, &problem) && sim_now_ms() < end)
        usleep(20 * 1000);
    if (!said_in_sandbox(said, &problem))
        fail_msg("\"%s\": %s", said, problem);
}

/* A new checkpoint of the serving daemon; then its supervisor is stopped
 * (what follows reaches only the daemon's live state) and the daemon is
 * killed: its live-state file, which the caller then rewrites, is what
 * the successor will be given. Returns the dead daemon's pid. */
static pid_t checkpoint_then_kill(struct sim *s, pid_t monitor)
{
    char ckpt[320];
    snprintf(ckpt, sizeof(ckpt), "%s/dom" HOSTILE_LIVE_DOMS "-0.checkpoint", dir);
    struct stat st0 = { 0 }, st;
    stat(ckpt, &st0);
    uint64_t end = sim_now_ms() + 8000;
    while ((stat(ckpt, &st) != 0 || (st.st_mtim.tv_sec == st0.st_mtim.tv_sec &&
                                      st.st_mtim.tv_nsec == st0.st_mtim.tv_nsec)) &&
           sim_now_ms() < end)
        usleep(20 * 1000);
    assert_true(sim_now_ms() < end);
    assert_int_equal(kill(monitor, SIGSTOP), 0);
    /* After the checkpoint: only the live state has it. */
    sim_mmio_write(s, 0, SCRATCH, 4, 0xdef);
    pid_t old = (pid_t)live_record("vgpu");
    assert_true(old > 0); /* kill(-1, ...) would signal everything */
    assert_int_equal(kill(old, SIGKILL), 0);
    /* Its supervisor is stopped: it stays a zombie, its mappings gone. */
    end = sim_now_ms() + 5000;
    while (proc_state(old) != 'Z' && proc_state(old) != 0 && sim_now_ms() < end)
        usleep(10 * 1000);
    return old;
}

/* The supervisor goes on and starts the successor; it serves. The
 * simulator's record of the handle restriction is cleared first: set
 * again, it is the successor's own (xentoolcore_restrict_all in its
 * sandbox_enter). */
static pid_t resume_successor(struct sim *s, pid_t monitor, pid_t old)
{
    sim_state(s)->toolcore_restricted = -1;
    assert_int_equal(kill(monitor, SIGCONT), 0);
    uint64_t end = sim_now_ms() + 10000;
    while ((live_record("vgpu") == old || !live_running()) && sim_now_ms() < end)
        usleep(20 * 1000);
    pid_t successor = (pid_t)live_record("vgpu");
    assert_true(successor > 0 && successor != old && kill(successor, 0) == 0);
    assert_true(live_running());
    /* It runs as its domain's uid, its handles restricted to the domain. */
    char proc[64];
    struct stat st;
    snprintf(proc, sizeof(proc), "/proc/%d", (int)successor);
    assert_int_equal(stat(proc, &st), 0);
    assert_int_equal(st.st_uid, domain_uid(HOSTILE_LIVE_DOMID));
    assert_int_equal(sim_state(s)->toolcore_restricted, HOSTILE_LIVE_DOMID);
    return successor;
}

struct live_file {
    uint8_t *p;
    size_t len;
    uint64_t engines_at, pcicfg_at;
};

static void live_read(const char *path, struct live_file *f)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    f->len = (size_t)ftell(fp);
    rewind(fp);
    f->p = malloc(f->len);
    assert_int_equal(fread(f->p, 1, f->len, fp), f->len);
    fclose(fp);
    memcpy(&f->engines_at, f->p + LIVE_ENGINES_AT, 8);
    memcpy(&f->pcicfg_at, f->p + LIVE_PCICFG_AT, 8);
    assert_true(f->pcicfg_at + 256 <= f->len);
}

static void live_write(const char *path, const struct live_file *f)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(f->p, 1, f->len, fp), f->len);
    fclose(fp);
    free(f->p);
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* The guest took over its daemon, which rewrote its live-state file and
 * died; xl-vgpu's supervisor starts the successor on that file. Three
 * deaths, three files (the supervisor restarts a vGPU three times a
 * minute):
 *  1. another domain's header: the file is refused whole, the successor
 *     serves the checkpoint's state;
 *  2. a config space of another device (foreign ids and BARs): the
 *     config space is refused, the file's registers are taken;
 *  3. this device's config space with BAR bits no guest can write,
 *     PVINFO's host half rewritten, the render engine running a ring
 *     outside the vGPU's memory: the BARs keep their sizes, PVINFO reads
 *     what the daemon says, the engine stops on an error the guest can
 *     see and reset.
 * Each time the successor says so in its log, after the line its sandbox
 * logs once it is up (the domain's uid, handles restricted, chroot,
 * seccomp), and serves the guest; it runs as the domain's uid with its
 * own restriction of the handles recorded by the simulator. */
static void test_hostile_live_state(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    setup_env("hostile_live", HOSTILE_LIVE_DOMID);
    setenv("FAKE_XL_SIM", "1", 1);
    const char *cfg = write_cfg("hostile_live", "\"type=GVTg_V5_4\"");
    const char *argv[] = { getenv("XL_VGPU"), "create", cfg, NULL };
    int status;
    struct sim *s = launch(itest_log_path("hostile_live"), argv, HOSTILE_LIVE_DOMID, NULL,
                           &status);
    assert_int_equal(WEXITSTATUS(status), 0);
    uint64_t end = sim_now_ms() + 10000;
    while (!live_running() && sim_now_ms() < end)
        usleep(20 * 1000);
    assert_true(live_running());
    itest_place_bars(s, false);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xb0, 4, 0xfee00000); /* MSI, as i915 sets it */
    sim_cfg_write(s, 0, VGPU_SBDF, 0xb4, 2, 0x31);
    sim_cfg_write(s, 0, VGPU_SBDF, 0xae, 2, 1);
    sim_mmio_write(s, 0, SCRATCH, 4, 0x111);
    const uint32_t bar0 = (uint32_t)sim_cfg_read(s, 0, VGPU_SBDF, 0x10, 4);
    const uint32_t mappable = (uint32_t)sim_mmio_read(s, 0, PVINFO + 0x44, 4);
    assert_true((bar0 & ~0xfu) == (uint32_t)BAR0_ADDR);
    pid_t monitor = (pid_t)live_record("monitor");
    assert_true(monitor > 0);
    char live[320];
    snprintf(live, sizeof(live), "%s/dom" HOSTILE_LIVE_DOMS "-0.live", dir);
    struct live_file f;

    /* 1. Another domain's file. (The genuine one is kept in the log
     * directory: fuzz_live's seeds are made from such files.) */
    pid_t old = checkpoint_then_kill(s, monitor);
    live_read(live, &f);
    char kept[512];
    const char *logdir = getenv("XENGVT_TEST_LOGDIR");
    snprintf(kept, sizeof(kept), "%s/hostile_live.genuine.live", logdir ? logdir : "/tmp");
    FILE *k = fopen(kept, "wb");
    if (k) {
        fwrite(f.p, 1, f.len, k);
        fclose(k);
    }
    put32(f.p + LIVE_DOMID_AT, HOSTILE_LIVE_DOMID + 1);
    live_write(live, &f);
    pid_t successor = resume_successor(s, monitor, old);
    successor_said_in_sandbox("no state of a predecessor to take (it is another domain's)");
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, SCRATCH, 4), 0x111); /* the checkpoint's */
    assert_true(sim_mmio_read(s, 0, PVINFO, 8) == VGT_MAGIC);

    /* 2. Another device's config space. */
    sim_mmio_write(s, 0, SCRATCH, 4, 0x222);
    old = checkpoint_then_kill(s, monitor);
    live_read(live, &f);
    put32(f.p + f.pcicfg_at, 0x123410deu);          /* vendor and device */
    put32(f.p + f.pcicfg_at + 0x10, 0xfe000000u);   /* BAR0 elsewhere */
    live_write(live, &f);
    successor = resume_successor(s, monitor, old);
    successor_said_in_sandbox("the dead daemon's config space is another device's: the "
                              "checkpoint's is kept");
    successor_said_in_sandbox("registers as the dead daemon left them");
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0, 4), VENDOR_DEVICE);
    assert_int_equal((uint32_t)sim_cfg_read(s, 0, VGPU_SBDF, 0x10, 4), bar0);
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, SCRATCH, 4), 0xdef); /* the file's */

    /* 3. This device's config space with bits no guest can write, PVINFO's
     * host half rewritten, an engine running a ring outside the vGPU's
     * memory. */
    old = checkpoint_then_kill(s, monitor);
    live_read(live, &f);
    put32(f.p + f.pcicfg_at + 0x10, (uint32_t)BAR0_ADDR | 0x00fff00fu); /* size and flags */
    put32(f.p + f.pcicfg_at + 0xb4, 0x42);          /* MSI data: the guest's to write */
    put32(f.p + 4096 + 0x78044, 0xfffff000u);       /* PVINFO mappable size */
    put32(f.p + 4096 + 0x78100, 0x1c);              /* a reserved host dword */
    struct gvt_engine *rcs = (struct gvt_engine *)(f.p + f.engines_at);
    memset(rcs, 0, sizeof(*rcs));
    rcs->port[0].valid = true;
    rcs->port[0].desc = 0x9ull << 32 | 0x40000u | 0x19;
    rcs->active = rcs->loaded = true;
    rcs->csb_write = CSB_PTR_RESET;
    rcs->cs.ring_start = 0xfff00000u; /* above the vGPU's slices */
    rcs->cs.ring_size = 4096;
    rcs->cs.tail = 64;
    live_write(live, &f);
    successor = resume_successor(s, monitor, old);
    successor_said_in_sandbox("config space as the dead daemon left it");
    successor_said_in_sandbox("engines as the dead daemon left them");
    successor_said_in_sandbox("rcs: engine error, stopped until reset: commands at ring "
                              "0xfff00000+0 are not in the vGPU's memory");
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0, 4), VENDOR_DEVICE);
    assert_int_equal((uint32_t)sim_cfg_read(s, 0, VGPU_SBDF, 0x10, 4), bar0);
    assert_true(sim_mmio_read(s, 0, PVINFO, 8) == VGT_MAGIC);
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, PVINFO + 0x44, 4), mappable);
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, PVINFO + 0x100, 4), 0);
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, SCRATCH, 4), 0xdef);
    /* The engine's error is the guest's to see (RING_ESR, until it resets
     * the engine); its MSI as the file had it, which the guest could have
     * written itself. */
    assert_int_not_equal((uint32_t)sim_mmio_read(s, 0, BAR0_ADDR + 0x2000 + RING_ESR, 4), 0);
    assert_int_equal((uint32_t)sim_cfg_read(s, 0, VGPU_SBDF, 0xb4, 2), 0x42);
    assert_int_equal(sim_state(s)->denied_calls, 0); /* nothing outside its domain tried */

    const char *destroy[] = { getenv("XL_VGPU"), "destroy", "hostile_live", NULL };
    char out[4096];
    assert_int_equal(sim_run(s, destroy, out, sizeof(out)), 0);
    end = sim_now_ms() + 10000;
    while (kill(successor, 0) == 0 && proc_state(successor) != 'Z' && sim_now_ms() < end)
        usleep(20 * 1000);
    assert_true(kill(successor, 0) != 0 || proc_state(successor) == 'Z');
    sim_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_live_state),
    };
    return cmocka_run_group_tests_name("hostile live state", tests, NULL, NULL);
}
