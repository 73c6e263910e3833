/* What the simulated guest's two halves share (simguest.c: the daemon's
 * process, the domain's memory and control socket; sim_access.c: the
 * guest's accesses, answered by the daemon through the shared ioreq pages,
 * and what Xen saw of them). Not for tests: they use simguest.h. */
#ifndef XENGVT_SIMGUEST_PRIV_H
#define XENGVT_SIMGUEST_PRIV_H

#include "simguest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* How long a simulated access waits for the daemon's answer. */
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

/* A broken simulator: no test can go on. */
static inline void sim_die(const char *what)
{
    fprintf(stderr, "simguest: %s\n", what);
    abort();
}

#endif
