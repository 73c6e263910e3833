/* The simulated hypervisor's state, shared between the daemon process (the
 * libxen* interposer, sim_xen*.c) and the test that plays the guest
 * (simguest.c). It lives in a memfd both processes map; guest RAM is a
 * second memfd. Only plain integers and fixed arrays: two address spaces. */
#ifndef XENGVT_TESTS_SIM_SHARED_H
#define XENGVT_TESTS_SIM_SHARED_H

#include <stdint.h>
#include <unistd.h>

#define SIM_SHM_MAGIC 0x58475653u /* "SVGX" */
#define SIM_SHM_VERSION 7u
#define SIM_ENV_FD "XENGVT_SIM_FD"

#define SIM_MAX_VCPUS 8
#define SIM_MAX_RANGES 128
#define SIM_MAX_MSI 4096
#define SIM_MAX_XS 64
/* Processes watching @releaseDomain at once (daemons, a supervisor): each
 * has its own eventfd, made by the test and inherited by all. */
#define SIM_XS_WATCHERS 6
/* Guest RAM a simulation may have (the p2m type bitmap's size). */
#define SIM_MAX_RAM_PAGES (1u << 18) /* 1 GiB */
#define SIM_MAX_MODIFIED 4096 /* the last extents reported, a ring */
#define SIM_LOCAL_PORT_BASE 100 /* daemon-side ports: base + vcpu, base + MAX for buf */
#define SIM_REMOTE_VCPU_PORT_BASE 10
#define SIM_REMOTE_BUF_PORT 9
#define SIM_SERVER_ID 3
/* Legacy ioreq pages live at these gfns, outside guest RAM, as Xen's
 * special pages do. */
#define SIM_LEGACY_IOREQ_GFN 0xfeff0u
#define SIM_LEGACY_BUFIOREQ_GFN 0xfeff1u

/* Frames a device model may populate beyond guest RAM (Xen's
 * XENMEM_populate_physmap): a pool in the RAM memfd after the guest's RAM,
 * frame i at ram_bytes + 4 KiB * i, each at a gfn of the guest's physmap
 * that relocation can change. */
/* Room for the largest default: GVTg_V5_1's 512 MiB aperture slice and the
 * 8 MiB GGTT, plus a slice's worth of slack for tests that populate more.
 * The memfd is sparse: only frames a test touches cost memory. */
#define SIM_POOL_FRAMES (2048u + 2u * 131072u)
#define SIM_GFN_NONE UINT64_MAX
#define SIM_POOL_HASH_BITS 19u /* gfn -> frame, open addressing, half full at most */
#define SIM_POOL_HASH (1u << SIM_POOL_HASH_BITS)
/* Xen's slack above an HVM guest's target (LIBXL_MAXMEM_CONSTANT, 1 MiB). */
#define SIM_MAXMEM_SLACK_PAGES 256u

enum sim_probe { SIM_PROBE_NONE = 0, SIM_PROBE_KILL = 1, SIM_PROBE_INET_SOCKET = 2 };

enum sim_range_type { SIM_RANGE_PIO = 0, SIM_RANGE_MMIO = 1, SIM_RANGE_PCI = 2 };

struct sim_range {
    uint32_t type;
    uint32_t used;
    uint64_t start, end; /* inclusive; PCI: start = end = SBDF */
};

struct sim_msi {
    uint64_t addr;
    uint32_t data;
    uint32_t pad;
};

struct sim_xs_entry {
    char key[160];
    char val[160];
};

struct sim_shared {
    uint32_t magic, version;
    uint32_t domid;
    uint32_t nr_vcpus;
    uint64_t ram_bytes;
    int32_t ram_fd, daemon_efd, shm_fd; /* fd numbers in the daemon */
    int32_t xs_efd[SIM_XS_WATCHERS];

    uint32_t alive;   /* 0 once the guest killed the domain */
    /* Xen's shutdown state (SHUTDOWN_* reason), as domain info reports it;
     * the domain still exists until destroyed. */
    uint32_t shutdown, shutdown_reason;
    uint32_t generation; /* domains created so far in this simulation */
    uint32_t paused;     /* the toolstack paused it (xl pause, create -p) */
    uint32_t dm_domid; /* the daemon's own domain (0) */

    /* Faults a test can inject. */
    uint32_t refuse_resource_api; /* map_resource fails with EOPNOTSUPP */
    uint32_t fail_inject_msi;     /* inject_msi fails with EINVAL */
    uint32_t fail_map_count;      /* next N foreign maps fail (ENOMEM) */
    uint32_t fail_notify_count;   /* next N evtchn notifies fail (EIO) */
    uint32_t fail_pending_count;  /* next N xenevtchn_pending calls fail (EIO) */
    uint32_t die_after_calls;     /* the domain dies at the Nth call about it (0: never) */
    uint32_t calls_about_domain;  /* calls counted for die_after_calls */
    int32_t harness_pid;          /* the test: when it is gone, so is the domain */
    /* Set by a test: once the daemon is restricted, the preload tries,
     * with the daemon's own handles, what a compromised daemon would:
     * map another domain's memory, create a server for it. Errnos here. */
    uint32_t probe_other_domain;
    int32_t probe_map_errno, probe_create_errno;

    /* Set by a test: once restricted, the daemon's process makes a call a
     * compromised daemon would (SIM_PROBE_*), with probe_pid/probe_sig;
     * its result (0 or errno) in probe_result, probe_call back to 0. The
     * seccomp filter may end the process instead. */
    uint32_t probe_call;
    int32_t probe_pid, probe_sig, probe_result;
    /* The daemon's process as it exited (the preload's destructor runs at
     * exit()): its effective uid, and whether its handles were restricted
     * by then. A file refused at set-up exits right after its check. */
    uint32_t exit_seen;
    int32_t exit_euid, exit_restricted;

    /* What restrict calls did (domid restricted to, or -1). */
    int32_t dm_restricted, fm_restricted, evt_restricted, toolcore_restricted;
    uint32_t denied_calls; /* calls refused because of a restriction */

    /* The one ioreq server. */
    uint32_t server_created, server_enabled, server_destroyed;
    uint32_t bufioreq_mode;
    uint32_t legacy_info_calls;
    struct sim_range ranges[SIM_MAX_RANGES];

    uint32_t vcpu_local_port[SIM_MAX_VCPUS]; /* 0 until bound */
    uint32_t buf_local_port;
    uint32_t port_pending[SIM_MAX_VCPUS + 1];
    uint32_t vcpu_wake[SIM_MAX_VCPUS]; /* futex words, bumped by notify */
    uint32_t notifies;
    /* libxenevtchn calls that are a syscall each on real Xen (read and
     * write on /dev/xen/evtchn) but not all here (bench_ioreq_cost). */
    uint32_t pendings, unmasks;
    /* Unmasks of a vCPU's port that came after the daemon answered that
     * vCPU (notified it since taking its event): off the guest's path. */
    uint32_t unmasks_after_answer;

    uint32_t msi_count; /* futex word too */
    struct sim_msi msi[SIM_MAX_MSI];
    uint32_t intx_level, intx_changes;

    uint32_t unclaimed; /* guest accesses no server claimed */

    uint32_t memtype_count; /* pages of type p2m_ioreq_server */
    uint64_t memtype_bits[SIM_MAX_RAM_PAGES / 64];
    uint32_t memtype_claimed; /* map_mem_type_to_ioreq_server done */

    /* The physmap beyond RAM: populated frames, their gfns, the limit. */
    uint64_t max_pages;
    uint32_t pool_used;                     /* frames handed out so far */
    uint32_t pool_live;                     /* of which still in the physmap */
    uint64_t pool_gfn[SIM_POOL_FRAMES];     /* SIM_GFN_NONE: freed */
    /* An index of pool_gfn, rebuilt (seqlock: odd while rebuilding) by the
     * side that changes the physmap; frame + 1, 0 for an empty slot. */
    uint32_t pool_seq;
    uint32_t pool_hash[SIM_POOL_HASH];
    uint32_t populate_calls, relocations, relocated_frames;
    uint32_t refuse_populate;               /* populate fails (ENOMEM) */
    uint32_t refuse_relocate;               /* relocate_memory fails (EPERM) */
    uint64_t max_gpfn_seen;                 /* highest gfn ever in the physmap */
    uint64_t ram_stores;                    /* guest stores to populated frames */
    /* XEN_DMOP_track_dirty_vram: one range per domain (0 pages: none);
     * a populated frame the guest stored to since the last harvest. */
    uint64_t dirty_first;
    uint32_t dirty_nr;
    uint32_t dirty_calls;
    uint8_t pool_dirty[SIM_POOL_FRAMES];
    /* Stores that marked a frame, and how many the last harvest had seen:
     * a harvest with nothing new is cheap, as Xen's is. */
    uint64_t pool_dirty_marks, pool_dirty_seen;

    /* XEN_DMOP_modified_memory, checked as Xen 4.17 and Linux's privcmd
     * check it: calls, calls refused, pages taken, and the extents taken
     * (extent i of all at modified[i % SIM_MAX_MODIFIED]). */
    uint32_t refuse_modified; /* set by a test: every report fails (EINVAL) */
    uint32_t modified_calls, modified_refused;
    uint64_t modified_pages;
    uint32_t modified_count;
    struct {
        uint64_t first;
        uint32_t nr, pad;
    } modified[SIM_MAX_MODIFIED];

    /* @releaseDomain watchers: a slot per watching process (pid 0: free;
     * a dead pid's slot is taken again), events not yet read. */
    struct {
        int32_t pid;
        uint32_t events;
    } xs_watcher[SIM_XS_WATCHERS];
    uint32_t xs_count;
    struct sim_xs_entry xs[SIM_MAX_XS];

    /* Page aligned, adjacent: the resource mapping hands out both. */
    uint8_t bufioreq_page[4096] __attribute__((aligned(4096)));
    uint8_t ioreq_page[4096] __attribute__((aligned(4096)));
};

/* xenstored fires @releaseDomain for every watcher. */
static inline void sim_post_release(struct sim_shared *sh)
{
    for (unsigned i = 0; i < SIM_XS_WATCHERS; i++) {
        if (!__atomic_load_n(&sh->xs_watcher[i].pid, __ATOMIC_ACQUIRE))
            continue;
        uint64_t one = 1;
        __atomic_fetch_add(&sh->xs_watcher[i].events, 1, __ATOMIC_ACQ_REL);
        if (write(sh->xs_efd[i], &one, sizeof(one)) != sizeof(one))
            __builtin_trap();
    }
}

static inline uint32_t sim_pool_slot(uint64_t gfn)
{
    return (uint32_t)(gfn * 0x9e3779b97f4a7c15ull >> (64 - SIM_POOL_HASH_BITS)) &
           (SIM_POOL_HASH - 1);
}

/* The pool frame at `gfn`, or -1. */
static inline int sim_pool_find(const struct sim_shared *sh, uint64_t gfn)
{
    for (;;) {
        uint32_t seq = __atomic_load_n(&sh->pool_seq, __ATOMIC_ACQUIRE);
        if (seq & 1)
            continue;
        int found = -1;
        for (uint32_t h = sim_pool_slot(gfn), n = 0; n < SIM_POOL_HASH;
             n++, h = (h + 1) & (SIM_POOL_HASH - 1)) {
            uint32_t v = __atomic_load_n(&sh->pool_hash[h], __ATOMIC_RELAXED);
            if (!v)
                break;
            if (__atomic_load_n(&sh->pool_gfn[v - 1], __ATOMIC_RELAXED) == gfn) {
                found = v - 1;
                break;
            }
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&sh->pool_seq, __ATOMIC_RELAXED) == seq)
            return found;
    }
}

/* After pool_gfn changed: the index again. */
static inline void sim_pool_rehash(struct sim_shared *sh)
{
    __atomic_fetch_add(&sh->pool_seq, 1, __ATOMIC_ACQ_REL);
    for (uint32_t h = 0; h < SIM_POOL_HASH; h++)
        __atomic_store_n(&sh->pool_hash[h], 0, __ATOMIC_RELAXED);
    for (uint32_t i = 0; i < sh->pool_used && i < SIM_POOL_FRAMES; i++) {
        uint64_t gfn = sh->pool_gfn[i];
        if (gfn == SIM_GFN_NONE)
            continue;
        uint32_t h = sim_pool_slot(gfn);
        while (sh->pool_hash[h])
            h = (h + 1) & (SIM_POOL_HASH - 1);
        __atomic_store_n(&sh->pool_hash[h], i + 1, __ATOMIC_RELAXED);
    }
    __atomic_fetch_add(&sh->pool_seq, 1, __ATOMIC_ACQ_REL);
}

#endif
