#include "simguest_priv.h"

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

uint64_t sim_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
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

/* The domain's xenstore as the daemon left it (NULL: no such key). */
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
    if (sim->ram_bytes > (uint64_t)SIM_MAX_RAM_PAGES * 4096u)
        sim_die("more guest RAM than the simulator's p2m types cover");
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
