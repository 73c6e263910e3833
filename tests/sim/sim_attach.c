/* Attaches the interposer to the state the test shared with it. */
#include "sim_xen.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <signal.h>
#include <unistd.h>

static struct sim_shared *shared;

__attribute__((constructor)) static void sim_attach(void)
{
    const char *env = getenv(SIM_ENV_FD);
    if (!env) {
        fprintf(stderr, "xengvt-sim: preloaded without %s; refusing to run\n",
                SIM_ENV_FD);
        _exit(70);
    }
    int fd = atoi(env);
    void *p = mmap(NULL, sizeof(struct sim_shared), PROT_READ | PROT_WRITE,
                   MAP_SHARED, fd, 0);
    if (p == MAP_FAILED || ((struct sim_shared *)p)->magic != SIM_SHM_MAGIC ||
        ((struct sim_shared *)p)->version != SIM_SHM_VERSION) {
        fprintf(stderr, "xengvt-sim: shared state on fd %d is not usable\n", fd);
        _exit(70);
    }
    shared = p;
}

struct sim_shared *sim_xen(void) { return shared; }

/* How the daemon's process stood when it exited. */
__attribute__((destructor)) static void sim_detach(void)
{
    struct sim_shared *sh = shared;
    if (!sh)
        return;
    sh->exit_euid = (int32_t)geteuid();
    sh->exit_restricted = sh->toolcore_restricted;
    __atomic_store_n(&sh->exit_seen, 1u, __ATOMIC_RELEASE);
}

void sim_domain_dies(void)
{
    struct sim_shared *sh = shared;
    if (!__atomic_exchange_n(&sh->alive, 0u, __ATOMIC_ACQ_REL))
        return;
    sim_post_release(sh);
}

int sim_check_domain(int32_t restricted, uint32_t domid)
{
    struct sim_shared *sh = shared;
    /* The test that plays the guest died: the hypervisor went with it.
     * (A parent-death signal would not do: it is cleared when the daemon
     * changes user.) */
    if (sh->harness_pid > 0 && kill(sh->harness_pid, 0) < 0 && errno == ESRCH)
        sim_domain_dies();
    if (sh->toolcore_restricted >= 0 && (uint32_t)sh->toolcore_restricted != domid) {
        __atomic_fetch_add(&sh->denied_calls, 1, __ATOMIC_RELAXED);
        return sim_fail(EPERM);
    }
    if (restricted >= 0 && (uint32_t)restricted != domid) {
        __atomic_fetch_add(&sh->denied_calls, 1, __ATOMIC_RELAXED);
        return sim_fail(EPERM);
    }
    if (sh->die_after_calls &&
        __atomic_add_fetch(&sh->calls_about_domain, 1, __ATOMIC_ACQ_REL) >= sh->die_after_calls)
        sim_domain_dies();
    if (domid != sh->domid || !__atomic_load_n(&sh->alive, __ATOMIC_ACQUIRE))
        return sim_fail(ESRCH);
    return 0;
}
