/* The toolstack's part of a simulated domain's life, for the stand-in xl
 * (tests/integration/fake-xl): create a domain, destroy it, shut it down
 * with a reason, pause it, name its domid. Runs with the simulator
 * preloaded (as everything a test starts does) and acts on its state:
 *
 *   sim-domctl create          a new domain (the test's first one is used
 *                              while nobody serves it); prints its domid
 *   sim-domctl destroy DOMID   the domain ends; @releaseDomain fires
 *   sim-domctl shutdown REASON the guest shuts down (SHUTDOWN_* number)
 *   sim-domctl pause|unpause   the domain's pause flag
 *   sim-domctl domid           prints the live domain's domid
 *
 * One domain at a time, as the simulator serves one: a reboot is a
 * destroy, then a create with the next domid, as xl's is. */
#include "sim_shared.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xen/xen.h>
#include <xen/hvm/ioreq.h>

static struct sim_shared *attach(void)
{
    struct sim_shared *(*get)(void) = (struct sim_shared * (*)(void)) dlsym(RTLD_DEFAULT,
                                                                         "sim_xen");
    if (!get || !get()) {
        fprintf(stderr, "sim-domctl: run it with the simulator preloaded\n");
        exit(2);
    }
    return get();
}

/* What a new domain starts with: no server, no claims, no ports, nothing
 * populated, zeroed RAM, no restrictions. Counters tests read stay. */
static void fresh_domain(struct sim_shared *sh)
{
    sh->server_created = sh->server_enabled = sh->server_destroyed = 0;
    sh->bufioreq_mode = 0;
    memset(sh->ranges, 0, sizeof(sh->ranges));
    memset(sh->vcpu_local_port, 0, sizeof(sh->vcpu_local_port));
    sh->buf_local_port = 0;
    memset(sh->port_pending, 0, sizeof(sh->port_pending));
    memset(sh->ioreq_page, 0, sizeof(sh->ioreq_page));
    memset(sh->bufioreq_page, 0, sizeof(sh->bufioreq_page));
    sh->memtype_count = 0;
    memset(sh->memtype_bits, 0, sizeof(sh->memtype_bits));
    sh->memtype_claimed = 0;
    sh->max_pages = 0;
    for (unsigned i = 0; i < SIM_POOL_FRAMES; i++)
        sh->pool_gfn[i] = SIM_GFN_NONE;
    sh->pool_used = sh->pool_live = 0;
    sim_pool_rehash(sh);
    sh->dirty_first = 0;
    sh->dirty_nr = 0;
    memset(sh->pool_dirty, 0, sizeof(sh->pool_dirty));
    sh->xs_count = 0;
    sh->dm_restricted = sh->fm_restricted = sh->evt_restricted = -1;
    sh->toolcore_restricted = -1;
    sh->die_after_calls = sh->calls_about_domain = 0;
    size_t len = sh->ram_bytes + (size_t)SIM_POOL_FRAMES * 4096u;
    void *ram = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, sh->ram_fd, 0);
    if (ram != MAP_FAILED) {
        memset(ram, 0, len);
        munmap(ram, len);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: sim-domctl create|destroy DOMID|shutdown REASON|"
                        "pause|unpause|domid\n");
        return 2;
    }
    struct sim_shared *sh = attach();
    const char *cmd = argv[1];
    bool alive = __atomic_load_n(&sh->alive, __ATOMIC_ACQUIRE);
    if (strcmp(cmd, "create") == 0) {
        if (alive && !sh->shutdown && !sh->server_created) {
            printf("%u\n", sh->domid); /* the test's domain, not yet served */
            return 0;
        }
        if (alive) {
            fprintf(stderr, "sim-domctl: domain %u still exists (one at a time)\n", sh->domid);
            return 1;
        }
        fresh_domain(sh);
        sh->domid++;
        sh->generation++;
        sh->shutdown = sh->shutdown_reason = 0;
        sh->paused = 1; /* created paused, as xl create -p */
        __atomic_store_n(&sh->alive, 1u, __ATOMIC_RELEASE);
        printf("%u\n", sh->domid);
        return 0;
    }
    if (strcmp(cmd, "domid") == 0) {
        if (!alive)
            return 1;
        printf("%u\n", sh->domid);
        return 0;
    }
    if (!alive) {
        fprintf(stderr, "sim-domctl: no domain\n");
        return 1;
    }
    if (strcmp(cmd, "destroy") == 0 && argc == 3) {
        if ((uint32_t)strtoul(argv[2], NULL, 10) != sh->domid) {
            fprintf(stderr, "sim-domctl: no domain %s\n", argv[2]);
            return 1;
        }
        __atomic_store_n(&sh->alive, 0u, __ATOMIC_RELEASE);
        sh->shutdown = 0;
        sim_post_release(sh);
        return 0;
    }
    if (strcmp(cmd, "shutdown") == 0 && argc == 3) {
        sh->shutdown_reason = (uint32_t)strtoul(argv[2], NULL, 10);
        __atomic_store_n(&sh->shutdown, 1u, __ATOMIC_RELEASE);
        sim_post_release(sh);
        return 0;
    }
    if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "unpause") == 0) {
        sh->paused = strcmp(cmd, "pause") == 0;
        return 0;
    }
    fprintf(stderr, "sim-domctl: '%s'?\n", cmd);
    return 2;
}
