#include "simguest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 5000

struct sim {
    struct sim_shared *sh;
    void *ram;
    uint64_t ram_bytes;
    int shm_fd, ram_fd, daemon_efd, xs_efd[SIM_XS_WATCHERS];
    pid_t pid;
    bool reaped;
    int status;
    pthread_mutex_t buf_lock; /* Xen serialises buffered sends per server */
    char control[108];
};

uint64_t sim_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void die(const char *what)
{
    fprintf(stderr, "simguest: %s\n", what);
    abort();
}

static void close_fds(struct sim *sim)
{
    int fds[] = { sim->shm_fd, sim->ram_fd, sim->daemon_efd };
    for (unsigned i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    for (unsigned i = 0; i < SIM_XS_WATCHERS; i++)
        if (sim->xs_efd[i] >= 0)
            close(sim->xs_efd[i]);
}

static void release(struct sim *sim)
{
    if (sim->ram)
        munmap(sim->ram, sim->ram_bytes + (uint64_t)SIM_POOL_FRAMES * 4096u);
    if (sim->sh)
        munmap(sim->sh, sizeof(*sim->sh));
    close_fds(sim);
    pthread_mutex_destroy(&sim->buf_lock);
    free(sim);
}

static bool is_ready(struct sim *sim)
{
    struct sim_shared *sh = sim->sh;
    if (!__atomic_load_n(&sh->server_enabled, __ATOMIC_ACQUIRE) ||
        !__atomic_load_n(&sh->buf_local_port, __ATOMIC_ACQUIRE))
        return false;
    for (uint32_t v = 0; v < sh->nr_vcpus; v++)
        if (!__atomic_load_n(&sh->vcpu_local_port[v], __ATOMIC_ACQUIRE))
            return false;
    /* The daemon says it is serving once its set-up is complete; one
     * restoring from a file says "restoring" before its sandbox (which
     * cuts xenstore) and enables its server once the file is applied. */
    char key[96];
    snprintf(key, sizeof(key), "/local/domain/0/device-model/%u/xengvt/state",
             sh->domid);
    const char *state = sim_xs_read(sim, key);
    return state && (strcmp(state, "running") == 0 || strcmp(state, "restoring") == 0);
}

/* In a child about to exec: the simulator's descriptors inherited, its
 * library preloaded, attached to this simulation. */
static void attach_child(struct sim *sim, const char *preload)
{
    int fds[] = { sim->shm_fd, sim->ram_fd, sim->daemon_efd };
    for (unsigned i = 0; i < 3; i++)
        fcntl(fds[i], F_SETFD, 0); /* inherited across exec */
    for (unsigned i = 0; i < SIM_XS_WATCHERS; i++)
        fcntl(sim->xs_efd[i], F_SETFD, 0);
    char fdbuf[16];
    snprintf(fdbuf, sizeof(fdbuf), "%d", sim->shm_fd);
    setenv(SIM_ENV_FD, fdbuf, 1);
    /* Sanitizer runtimes want to come first; the preload follows. */
    const char *old = getenv("LD_PRELOAD");
    char pre[PATH_MAX * 2];
    snprintf(pre, sizeof(pre), "%s%s%s", old ? old : "", old ? ":" : "", preload);
    setenv("LD_PRELOAD", pre, 1);
}

int sim_run(struct sim *sim, const char *const *argv, char *out, size_t cap)
{
    const char *preload = getenv("XENGVT_SIM_LIB");
    int p[2];
    if (!preload || pipe(p) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], 1);
        dup2(p[1], 2);
        attach_child(sim, preload);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while (cap && (r = read(p[0], out + n, cap - 1 - n)) > 0 && n + 1 < cap)
        n += (size_t)r;
    if (cap)
        out[n] = 0;
    close(p[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void exec_daemon(struct sim *sim, const struct sim_opts *o,
                        const char *daemon, const char *preload)
{
    /* A test that dies (a failed assertion, a crash) takes its daemons
     * with it instead of leaving them serving a simulation nobody drives. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1)
        _exit(127);
    /* Never the test's stdout: a daemon outliving a failed test must not
     * hold the TAP pipe open. */
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
        dup2(devnull, 1);
        close(devnull);
    }

    attach_child(sim, preload);
    if (o->log_path) {
        int lfd = open(o->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (lfd >= 0) {
            dup2(lfd, 2);
            close(lfd);
        }
    }
    char domid[16];
    snprintf(domid, sizeof(domid), "%u", sim->sh->domid);
    if (o->exec_argv) {
        setenv("XENGVTD", daemon, 1);
        execv(o->exec_argv[0], (char *const *)o->exec_argv);
        fprintf(stderr, "simguest: exec %s: %s\n", o->exec_argv[0], strerror(errno));
        _exit(127);
    }
    const char *argv[64];
    unsigned n = 0;
    argv[n++] = daemon;
    argv[n++] = "--domid";
    argv[n++] = domid;
    argv[n++] = "--control";
    argv[n++] = sim->control;
    for (const char *const *a = o->args; a && *a && n < 62; a++)
        argv[n++] = *a;
    argv[n] = NULL;
    execv(daemon, (char *const *)argv);
    fprintf(stderr, "simguest: exec %s: %s\n", daemon, strerror(errno));
    _exit(127);
}

static int physmap_load(struct sim *sim, const void *img, size_t len);

struct sim *sim_start(const struct sim_opts *opts)
{
    struct sim_opts o = opts ? *opts : (struct sim_opts){ 0 };
    const char *daemon = o.daemon ? o.daemon : getenv("XENGVTD");
    const char *preload = o.preload ? o.preload : getenv("XENGVT_SIM_LIB");
    if (!daemon || !preload) {
        fprintf(stderr, "simguest: set XENGVTD and XENGVT_SIM_LIB\n");
        return NULL;
    }
    struct sim *sim = calloc(1, sizeof(*sim));
    if (!sim)
        return NULL;
    sim->shm_fd = sim->ram_fd = sim->daemon_efd = -1;
    for (unsigned i = 0; i < SIM_XS_WATCHERS; i++)
        sim->xs_efd[i] = -1;
    pthread_mutex_init(&sim->buf_lock, NULL);
    sim->ram_bytes = o.ram_bytes ? o.ram_bytes : 256ull << 20;
    static unsigned counter;
    if (o.control_path)
        snprintf(sim->control, sizeof(sim->control), "%s", o.control_path);
    else
        snprintf(sim->control, sizeof(sim->control), "/tmp/xengvt-sim-%d-%u.sock",
                 (int)getpid(), __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));

    sim->shm_fd = memfd_create("xengvt-sim-state", MFD_CLOEXEC);
    sim->ram_fd = memfd_create("xengvt-sim-ram", MFD_CLOEXEC);
    sim->daemon_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
    for (unsigned i = 0; i < SIM_XS_WATCHERS; i++)
        if ((sim->xs_efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)) < 0)
            goto fail;
    if (sim->shm_fd < 0 || sim->ram_fd < 0 || sim->daemon_efd < 0 || ftruncate(sim->shm_fd, sizeof(struct sim_shared)) < 0 ||
        ftruncate(sim->ram_fd, (off_t)(sim->ram_bytes + (uint64_t)SIM_POOL_FRAMES * 4096u)) < 0)
        goto fail;
    sim->sh = mmap(NULL, sizeof(struct sim_shared), PROT_READ | PROT_WRITE,
                   MAP_SHARED, sim->shm_fd, 0);
    sim->ram = mmap(NULL, sim->ram_bytes + (uint64_t)SIM_POOL_FRAMES * 4096u,
                    PROT_READ | PROT_WRITE, MAP_SHARED, sim->ram_fd, 0);
    if (sim->sh == MAP_FAILED || sim->ram == MAP_FAILED) {
        sim->sh = NULL;
        sim->ram = NULL;
        goto fail;
    }
    if (o.ram_image)
        memcpy(sim->ram, o.ram_image,
               o.ram_image_len < sim->ram_bytes ? o.ram_image_len : sim->ram_bytes);
    struct sim_shared *sh = sim->sh;
    sh->magic = SIM_SHM_MAGIC;
    sh->version = SIM_SHM_VERSION;
    sh->domid = o.domid ? o.domid : 7;
    sh->nr_vcpus = o.nr_vcpus ? o.nr_vcpus : 1;
    if (sh->nr_vcpus > SIM_MAX_VCPUS)
        goto fail;
    sh->ram_bytes = sim->ram_bytes;
    sh->ram_fd = sim->ram_fd;
    for (unsigned i = 0; i < SIM_POOL_FRAMES; i++)
        sh->pool_gfn[i] = SIM_GFN_NONE;
    if (o.physmap_image && physmap_load(sim, o.physmap_image, o.physmap_image_len) < 0)
        goto fail;
    sh->shm_fd = sim->shm_fd;
    sh->daemon_efd = sim->daemon_efd;
    for (unsigned i = 0; i < SIM_XS_WATCHERS; i++)
        sh->xs_efd[i] = sim->xs_efd[i];
    sh->generation = 1;
    sh->alive = 1;
    sh->refuse_resource_api = o.refuse_resource_api;
    sh->refuse_populate = o.refuse_populate;
    sh->die_after_calls = o.die_after_calls;
    sh->harness_pid = getpid();
    sh->dm_restricted = sh->fm_restricted = sh->evt_restricted = -1;
    sh->toolcore_restricted = -1;

    sim->pid = fork();
    if (sim->pid < 0)
        goto fail;
    if (sim->pid == 0)
        exec_daemon(sim, &o, daemon, preload);

    if (o.no_wait_ready)
        return sim;
    int timeout = o.ready_timeout_ms ? o.ready_timeout_ms : 10000;
    uint64_t deadline = sim_now_ms() + (uint64_t)timeout;
    while (!is_ready(sim)) {
        if (!sim_daemon_running(sim)) {
            fprintf(stderr, "simguest: daemon exited during set-up (status %#x)\n",
                    sim->status);
            sim_stop(sim);
            return NULL;
        }
        if (sim_now_ms() > deadline) {
            fprintf(stderr, "simguest: daemon not ready after %d ms\n", timeout);
            sim_stop(sim);
            return NULL;
        }
        usleep(2000);
    }
    return sim;

fail:
    fprintf(stderr, "simguest: set-up failed: %s\n", strerror(errno));
    release(sim);
    return NULL;
}

bool sim_daemon_running(struct sim *sim)
{
    if (sim->reaped)
        return false;
    pid_t r = waitpid(sim->pid, &sim->status, WNOHANG);
    if (r == sim->pid) {
        sim->reaped = true;
        return false;
    }
    return true;
}

pid_t sim_daemon_pid(const struct sim *sim) { return sim->pid; }

int sim_wait_exit(struct sim *sim, int timeout_ms)
{
    uint64_t deadline = sim_now_ms() + (uint64_t)timeout_ms;
    while (sim_daemon_running(sim)) {
        if (sim_now_ms() > deadline)
            return -1;
        usleep(2000);
    }
    return sim->status;
}

int sim_stop(struct sim *sim)
{
    int status = 0;
    if (sim->pid > 0 && sim_daemon_running(sim)) {
        kill(sim->pid, SIGTERM);
        status = sim_wait_exit(sim, 10000);
        if (status == -1) {
            kill(sim->pid, SIGKILL);
            waitpid(sim->pid, &sim->status, 0);
        }
    } else if (sim->pid > 0) {
        status = sim->status;
    }
    release(sim);
    return status;
}

void sim_kill_domain(struct sim *sim)
{
    struct sim_shared *sh = sim->sh;
    __atomic_store_n(&sh->alive, 0u, __ATOMIC_RELEASE);
    sim_post_release(sh);
}

void sim_shutdown_domain(struct sim *sim, unsigned reason)
{
    struct sim_shared *sh = sim->sh;
    __atomic_store_n(&sh->shutdown_reason, reason, __ATOMIC_RELEASE);
    __atomic_store_n(&sh->shutdown, 1u, __ATOMIC_RELEASE);
    sim_post_release(sh);
}

struct sim_shared *sim_state(struct sim *sim) { return sim->sh; }
void *sim_ram(struct sim *sim) { return sim->ram; }
uint64_t sim_ram_size(const struct sim *sim) { return sim->ram_bytes; }

/* Xen's side of an event channel send to the daemon. */
static void notify_daemon(struct sim *sim, unsigned idx)
{
    if (__atomic_exchange_n(&sim->sh->port_pending[idx], 1u, __ATOMIC_ACQ_REL) == 0) {
        uint64_t one = 1;
        if (write(sim->daemon_efd, &one, sizeof(one)) != sizeof(one))
            die("eventfd write");
    }
}

/* A physmap image: u32 count, then per frame u64 gfn and 4 KiB. */
static int physmap_load(struct sim *sim, const void *img, size_t len)
{
    const uint8_t *p = img;
    uint32_t n;
    if (len < 4)
        return -EINVAL;
    memcpy(&n, p, 4);
    if (n > SIM_POOL_FRAMES || len != 4 + (size_t)n * (8 + 4096))
        return -EINVAL;
    struct sim_shared *sh = sim->sh;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *f = p + 4 + (size_t)i * (8 + 4096);
        uint64_t gfn;
        memcpy(&gfn, f, 8);
        sh->pool_gfn[i] = gfn;
        if (gfn > sh->max_gpfn_seen)
            sh->max_gpfn_seen = gfn;
        memcpy((uint8_t *)sim->ram + sim->ram_bytes + (size_t)i * 4096, f + 8, 4096);
    }
    sh->pool_used = sh->pool_live = n;
    sim_pool_rehash(sh);
    return 0;
}

int sim_physmap_save(struct sim *sim, void **img, size_t *len)
{
    struct sim_shared *sh = sim->sh;
    uint32_t n = 0;
    for (uint32_t i = 0; i < sh->pool_used; i++)
        n += sh->pool_gfn[i] != SIM_GFN_NONE;
    *len = 4 + (size_t)n * (8 + 4096);
    uint8_t *p = malloc(*len);
    if (!p)
        return -ENOMEM;
    memcpy(p, &n, 4);
    uint8_t *f = p + 4;
    for (uint32_t i = 0; i < sh->pool_used; i++) {
        uint64_t gfn = sh->pool_gfn[i];
        if (gfn == SIM_GFN_NONE)
            continue;
        memcpy(f, &gfn, 8);
        memcpy(f + 8, (uint8_t *)sim->ram + sim->ram_bytes + (size_t)i * 4096, 4096);
        f += 8 + 4096;
    }
    *img = p;
    return 0;
}

void *sim_phys(struct sim *sim, uint64_t gpa)
{
    if (gpa < sim->ram_bytes)
        return (uint8_t *)sim->ram + gpa;
    int i = sim_pool_find(sim->sh, gpa >> 12);
    if (i < 0)
        return NULL;
    return (uint8_t *)sim->ram + sim->ram_bytes + (size_t)i * 4096 + (gpa & 0xfff);
}

int sim_ioreq(struct sim *sim, unsigned vcpu, ioreq_t *req, int timeout_ms)
{
    struct sim_shared *sh = sim->sh;
    if (vcpu >= sh->nr_vcpus)
        return -EINVAL;
    volatile ioreq_t *slot = &((ioreq_t *)sh->ioreq_page)[vcpu];
    if (slot->state != STATE_IOREQ_NONE)
        return -EBUSY;
    uint32_t port = slot->vp_eport;
    slot->addr = req->addr;
    slot->data = req->data;
    slot->count = req->count;
    slot->size = req->size;
    slot->dir = req->dir;
    slot->df = req->df;
    slot->data_is_ptr = req->data_is_ptr;
    slot->type = req->type;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    /* As in Xen, the vCPU runs again only when the server notifies it: an
     * answer written without a notification leaves it blocked. */
    uint32_t posted = __atomic_load_n(&sh->vcpu_wake[vcpu], __ATOMIC_ACQUIRE);
    slot->state = STATE_IOREQ_READY;
    notify_daemon(sim, vcpu);

    uint64_t deadline = sim_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        uint32_t seen = __atomic_load_n(&sh->vcpu_wake[vcpu], __ATOMIC_ACQUIRE);
        if (slot->state == STATE_IORESP_READY && seen != posted)
            break;
        uint64_t now = sim_now_ms();
        if (now >= deadline) {
            /* Leave the slot as Xen would: still waiting. */
            return -ETIMEDOUT;
        }
        uint64_t left = deadline - now;
        struct timespec ts = { .tv_sec = (time_t)(left / 1000),
                               .tv_nsec = (long)(left % 1000) * 1000000 };
        syscall(SYS_futex, &sh->vcpu_wake[vcpu], FUTEX_WAIT, seen, &ts, NULL, 0);
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    req->data = slot->data;
    req->state = STATE_IORESP_READY;
    req->vp_eport = port;
    slot->state = STATE_IOREQ_NONE;
    return 0;
}

bool sim_claimed(struct sim *sim, enum sim_range_type type, uint64_t addr)
{
    struct sim_shared *sh = sim->sh;
    if (!__atomic_load_n(&sh->server_enabled, __ATOMIC_ACQUIRE))
        return false;
    for (int i = 0; i < SIM_MAX_RANGES; i++) {
        const struct sim_range *r = &sh->ranges[i];
        if (__atomic_load_n(&r->used, __ATOMIC_ACQUIRE) && r->type == (uint32_t)type &&
            r->start <= addr && addr <= r->end)
            return true;
    }
    return false;
}

static uint64_t ones(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static uint64_t routed(struct sim *sim, unsigned vcpu, enum sim_range_type type,
                       uint8_t ioreq_type, uint64_t addr, uint64_t claim_key,
                       unsigned size, int dir, uint64_t val)
{
    /* RAM in the physmap (a populated frame) is memory, whoever claims
     * the range: no ioreq, as with Xen's p2m. */
    if (type == SIM_RANGE_MMIO && addr >= sim->ram_bytes && sim_pool_find(sim->sh, addr >> 12) >= 0) {
        uint8_t *p = sim_phys(sim, addr);
        uint64_t v = 0;
        if (dir == IOREQ_READ) {
            memcpy(&v, p, size);
            return v;
        }
        memcpy(p, &val, size);
        __atomic_fetch_add(&sim->sh->ram_stores, 1, __ATOMIC_RELAXED);
        __atomic_store_n(&sim->sh->pool_dirty[sim_pool_find(sim->sh, addr >> 12)], 1,
                         __ATOMIC_RELEASE);
        return 0;
    }
    if (!sim_claimed(sim, type, claim_key)) {
        __atomic_fetch_add(&sim->sh->unclaimed, 1, __ATOMIC_RELAXED);
        return ones(size);
    }
    ioreq_t req = { .addr = addr, .data = val, .count = 1, .size = size,
                    .dir = (uint8_t)dir, .type = ioreq_type };
    int rc = sim_ioreq(sim, vcpu, &req, DEFAULT_TIMEOUT_MS);
    if (rc < 0) {
        fprintf(stderr, "simguest: vCPU %u %s at %#llx not answered: %s\n", vcpu,
                dir == IOREQ_READ ? "read" : "write", (unsigned long long)addr,
                strerror(-rc));
        abort();
    }
    return dir == IOREQ_READ ? req.data : 0;
}

uint64_t sim_mmio_read(struct sim *sim, unsigned vcpu, uint64_t addr, unsigned size)
{
    return routed(sim, vcpu, SIM_RANGE_MMIO, IOREQ_TYPE_COPY, addr, addr, size,
                  IOREQ_READ, 0);
}

void sim_mmio_write(struct sim *sim, unsigned vcpu, uint64_t addr, unsigned size,
                    uint64_t val)
{
    routed(sim, vcpu, SIM_RANGE_MMIO, IOREQ_TYPE_COPY, addr, addr, size,
           IOREQ_WRITE, val);
}

bool sim_page_write_protected(struct sim *sim, uint64_t gpa)
{
    struct sim_shared *sh = sim->sh;
    if (!__atomic_load_n(&sh->memtype_claimed, __ATOMIC_ACQUIRE))
        return false;
    uint32_t n = __atomic_load_n(&sh->memtype_count, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n && i < SIM_MAX_MEMTYPE; i++)
        if (sh->memtype_pfn[i] == gpa >> 12)
            return true;
    return false;
}

void sim_ram_store(struct sim *sim, unsigned vcpu, uint64_t gpa, unsigned size, uint64_t val)
{
    /* Xen: a write to a p2m_ioreq_server page claimed for writes becomes
     * an ioreq to that server, and RAM is left to the server to update. */
    if (sim_page_write_protected(sim, gpa)) {
        ioreq_t req = { .addr = gpa, .data = val, .count = 1, .size = size,
                        .dir = IOREQ_WRITE, .type = IOREQ_TYPE_COPY };
        int rc = sim_ioreq(sim, vcpu, &req, DEFAULT_TIMEOUT_MS);
        if (rc < 0) {
            fprintf(stderr, "simguest: write-protected store at %#llx not answered: %s\n",
                    (unsigned long long)gpa, strerror(-rc));
            abort();
        }
        return;
    }
    memcpy((uint8_t *)sim_ram(sim) + gpa, &val, size);
}

uint32_t sim_pio_read(struct sim *sim, unsigned vcpu, uint16_t port, unsigned size)
{
    return (uint32_t)routed(sim, vcpu, SIM_RANGE_PIO, IOREQ_TYPE_PIO, port, port,
                            size, IOREQ_READ, 0);
}

void sim_pio_write(struct sim *sim, unsigned vcpu, uint16_t port, unsigned size,
                   uint32_t val)
{
    routed(sim, vcpu, SIM_RANGE_PIO, IOREQ_TYPE_PIO, port, port, size,
           IOREQ_WRITE, val);
}

uint32_t sim_cfg_read(struct sim *sim, unsigned vcpu, uint32_t sbdf, unsigned reg,
                      unsigned size)
{
    return (uint32_t)routed(sim, vcpu, SIM_RANGE_PCI, IOREQ_TYPE_PCI_CONFIG,
                            (uint64_t)sbdf << 32 | reg, sbdf, size, IOREQ_READ, 0);
}

void sim_cfg_write(struct sim *sim, unsigned vcpu, uint32_t sbdf, unsigned reg,
                   unsigned size, uint32_t val)
{
    routed(sim, vcpu, SIM_RANGE_PCI, IOREQ_TYPE_PCI_CONFIG,
           (uint64_t)sbdf << 32 | reg, sbdf, size, IOREQ_WRITE, val);
}

void sim_rep(struct sim *sim, unsigned vcpu, bool mmio, bool read, uint64_t addr,
             unsigned size, uint32_t count, uint64_t gpa, bool df)
{
    if (!sim_claimed(sim, mmio ? SIM_RANGE_MMIO : SIM_RANGE_PIO, addr))
        die("rep access to an unclaimed address");
    ioreq_t req = { .addr = addr, .data = gpa, .count = count, .size = size,
                    .dir = read ? IOREQ_READ : IOREQ_WRITE, .df = df,
                    .data_is_ptr = 1,
                    .type = mmio ? IOREQ_TYPE_COPY : IOREQ_TYPE_PIO };
    if (sim_ioreq(sim, vcpu, &req, DEFAULT_TIMEOUT_MS) < 0)
        die("rep request not answered");
}

int sim_buffered_raw(struct sim *sim, const buf_ioreq_t *slots, unsigned n)
{
    buffered_iopage_t *pg = (buffered_iopage_t *)sim->sh->bufioreq_page;
    pthread_mutex_lock(&sim->buf_lock);
    uint32_t rp = __atomic_load_n(&pg->read_pointer, __ATOMIC_ACQUIRE);
    uint32_t wp = pg->write_pointer;
    if (wp - rp + n > IOREQ_BUFFER_SLOT_NUM) {
        pthread_mutex_unlock(&sim->buf_lock);
        return -EAGAIN;
    }
    for (unsigned i = 0; i < n; i++)
        pg->buf_ioreq[(wp + i) % IOREQ_BUFFER_SLOT_NUM] = slots[i];
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&pg->write_pointer, wp + n, __ATOMIC_RELEASE);
    /* Canonicalise as Xen does, with one 64-bit compare-and-swap of the
     * pointer pair, so the daemon must read the pair atomically. */
    for (;;) {
        uint64_t old = __atomic_load_n((uint64_t *)pg, __ATOMIC_ACQUIRE);
        uint32_t r = (uint32_t)old, w = (uint32_t)(old >> 32);
        if (r < IOREQ_BUFFER_SLOT_NUM)
            break;
        uint32_t k = r / IOREQ_BUFFER_SLOT_NUM * IOREQ_BUFFER_SLOT_NUM;
        uint64_t nw = (uint64_t)(w - k) << 32 | (r - k);
        if (__atomic_compare_exchange_n((uint64_t *)pg, &old, nw, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            break;
    }
    pthread_mutex_unlock(&sim->buf_lock);
    notify_daemon(sim, SIM_MAX_VCPUS);
    return 0;
}

int sim_buffered_write(struct sim *sim, bool mmio, uint64_t addr, unsigned size,
                       uint64_t val)
{
    static const uint8_t size_code[9] = { [1] = 0, [2] = 1, [4] = 2, [8] = 3 };
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return -EINVAL;
    if (addr >= (1u << 20))
        return -ERANGE; /* the slot holds 20 address bits */
    buf_ioreq_t slots[2] = { 0 };
    slots[0].type = mmio ? IOREQ_TYPE_COPY : IOREQ_TYPE_PIO;
    slots[0].dir = IOREQ_WRITE;
    slots[0].size = size_code[size];
    slots[0].addr = (uint32_t)addr;
    slots[0].data = (uint32_t)val;
    slots[1] = slots[0];
    slots[1].data = (uint32_t)(val >> 32);
    return sim_buffered_raw(sim, slots, size == 8 ? 2 : 1);
}

int sim_buffered_drain(struct sim *sim, int timeout_ms)
{
    buffered_iopage_t *pg = (buffered_iopage_t *)sim->sh->bufioreq_page;
    uint64_t deadline = sim_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        uint64_t both = __atomic_load_n((uint64_t *)pg, __ATOMIC_ACQUIRE);
        if ((uint32_t)both == (uint32_t)(both >> 32))
            return 0;
        if (sim_now_ms() > deadline)
            return -ETIMEDOUT;
        usleep(500);
    }
}

uint32_t sim_modified_count(struct sim *sim)
{
    return __atomic_load_n(&sim->sh->modified_count, __ATOMIC_ACQUIRE);
}

bool sim_modified(struct sim *sim, uint64_t gfn, uint32_t since)
{
    uint32_t n = sim_modified_count(sim);
    if (n - since > SIM_MAX_MODIFIED)
        since = n - SIM_MAX_MODIFIED;
    for (uint32_t i = since; i != n; i++) {
        uint64_t first = sim->sh->modified[i % SIM_MAX_MODIFIED].first;
        uint32_t nr = sim->sh->modified[i % SIM_MAX_MODIFIED].nr;
        if (gfn >= first && gfn - first < nr)
            return true;
    }
    return false;
}

uint32_t sim_msi_count(struct sim *sim)
{
    return __atomic_load_n(&sim->sh->msi_count, __ATOMIC_ACQUIRE);
}

bool sim_wait_msi(struct sim *sim, uint32_t count, int timeout_ms)
{
    uint64_t deadline = sim_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        uint32_t seen = sim_msi_count(sim);
        if (seen >= count)
            return true;
        uint64_t now = sim_now_ms();
        if (now >= deadline)
            return false;
        uint64_t left = deadline - now;
        struct timespec ts = { .tv_sec = (time_t)(left / 1000),
                               .tv_nsec = (long)(left % 1000) * 1000000 };
        syscall(SYS_futex, &sim->sh->msi_count, FUTEX_WAIT, seen, &ts, NULL, 0);
    }
}

struct sim_msi sim_msi_get(struct sim *sim, uint32_t index)
{
    if (index >= SIM_MAX_MSI || index >= sim_msi_count(sim))
        return (struct sim_msi){ 0 };
    return sim->sh->msi[index];
}

const char *sim_xs_read(struct sim *sim, const char *key)
{
    static __thread char buf[160];
    struct sim_shared *sh = sim->sh;
    uint32_t n = __atomic_load_n(&sh->xs_count, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n && i < SIM_MAX_XS; i++) {
        if (strncmp(sh->xs[i].key, key, sizeof(sh->xs[i].key)) == 0) {
            memcpy(buf, sh->xs[i].val, sizeof(buf));
            buf[sizeof(buf) - 1] = 0;
            return buf;
        }
    }
    return NULL;
}

const char *sim_control_path(const struct sim *sim) { return sim->control; }

static int read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n <= 0)
            return n == 0 ? -EPIPE : -errno;
        got += (size_t)n;
    }
    return 0;
}

int sim_control(struct sim *sim, const char *request, char *line, size_t cap,
                void **payload, size_t *payload_len)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sim->control);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct timeval tv = { .tv_sec = 10 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int rc = 0;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        rc = -errno;
        goto out;
    }
    size_t rl = strlen(request);
    if (write(fd, request, rl) != (ssize_t)rl || write(fd, "\n", 1) != 1) {
        rc = -EIO;
        goto out;
    }
    size_t n = 0;
    for (;;) {
        char ch;
        ssize_t r = read(fd, &ch, 1);
        if (r <= 0) {
            rc = r == 0 ? -EPIPE : -errno;
            goto out;
        }
        if (ch == '\n')
            break;
        if (n + 1 < cap)
            line[n++] = ch;
    }
    line[n] = 0;
    if (payload) {
        *payload = NULL;
        *payload_len = 0;
        const char *b = strstr(line, "\"bytes\":");
        if (b) {
            size_t len = strtoull(b + 8, NULL, 10);
            *payload = malloc(len ? len : 1);
            if (!*payload) {
                rc = -ENOMEM;
                goto out;
            }
            rc = read_full(fd, *payload, len);
            *payload_len = len;
        }
    }
out:
    close(fd);
    return rc;
}
