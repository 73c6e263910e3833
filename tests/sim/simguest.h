/* Playing the guest against a real xengvtd process under the simulated
 * hypervisor. A test starts the daemon with sim_start(), then acts as the
 * guest's vCPUs: each access is posted as Xen posts it (routed by the
 * ranges the daemon claimed, through the vCPU's ioreq slot and port) and
 * waits for the answer with a timeout, so a daemon that never answers
 * fails the test instead of hanging it. */
#ifndef XENGVT_TESTS_SIMGUEST_H
#define XENGVT_TESTS_SIMGUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/hvm/ioreq.h>

#include "sim_shared.h"

struct sim;

struct sim_opts {
    const char *daemon;        /* default: $XENGVTD */
    const char *preload;       /* default: $XENGVT_SIM_LIB */
    uint32_t domid;            /* default 7 */
    unsigned nr_vcpus;         /* default 1 */
    uint64_t ram_bytes;        /* default 256 MiB */
    bool refuse_resource_api;  /* force the legacy mapping path */
    bool refuse_populate;      /* Xen has no frames for the device model */
    const char *const *args;   /* extra daemon arguments, NULL-terminated */
    const char *log_path;      /* daemon stderr; default: inherit */
    bool no_wait_ready;        /* return right after spawning */
    int ready_timeout_ms;      /* default 10000 */
    const char *control_path;  /* default: a fresh socket under /tmp */
    /* Run this program (argv, NULL-terminated) in the daemon's place, with
     * the daemon's environment: a launcher that starts xengvtd itself. */
    const char *const *exec_argv;
    uint32_t die_after_calls;  /* the domain dies at the Nth Xen call about it */
    const void *ram_image;     /* copied into guest RAM before the daemon starts */
    size_t ram_image_len;      /* (a migrated guest's memory) */
    const void *physmap_image; /* frames beyond RAM (sim_physmap_save) */
    size_t physmap_image_len;
};

/* NULL on failure (reason printed on stderr). */
struct sim *sim_start(const struct sim_opts *opts);
/* SIGTERM (if still running), wait, release everything. Returns the exit
 * status as from waitpid, or -1 on timeout (then SIGKILL). */
int sim_stop(struct sim *sim);
/* Wait for the daemon to exit by itself; returns waitpid status or -1. */
int sim_wait_exit(struct sim *sim, int timeout_ms);
bool sim_daemon_running(struct sim *sim);
pid_t sim_daemon_pid(const struct sim *sim);

/* The domain dies: every later hypercall about it fails with ESRCH and
 * @releaseDomain fires. */
void sim_kill_domain(struct sim *sim);

/* The guest shuts itself down (SHUTDOWN_poweroff, _reboot, _crash,
 * _watchdog...): the domain stays, shut down, until a toolstack destroys
 * it; @releaseDomain fires. */
void sim_shutdown_domain(struct sim *sim, unsigned reason);

/* Runs argv (a toolstack command) attached to this simulation, as the
 * daemon is: its output (stdout and stderr) into out. Exit status, or -1. */
int sim_run(struct sim *sim, const char *const *argv, char *out, size_t cap);

struct sim_shared *sim_state(struct sim *sim);
/* The frames a device model populated beyond RAM, with their gfns and
 * contents (malloc'd), for sim_opts.physmap_image: the part of a saved
 * guest's memory that is not its RAM. */
int sim_physmap_save(struct sim *sim, void **img, size_t *len);
/* Where guest-physical `gpa` is in this process: RAM or a populated
 * frame; NULL if nothing is there. */
void *sim_phys(struct sim *sim, uint64_t gpa);
/* A guest CPU store to RAM (size 1, 2, 4 or 8): plain memory, unless the
 * daemon write-protected the page, then an MMIO write ioreq as Xen sends
 * for p2m_ioreq_server pages. */
void sim_ram_store(struct sim *sim, unsigned vcpu, uint64_t gpa, unsigned size, uint64_t val);
bool sim_page_write_protected(struct sim *sim, uint64_t gpa);
/* The guest's CPU storing `len` bytes (a memcpy in the guest): plain
 * memory, but each store to a write-protected page an ioreq as above. */
void sim_ram_write(struct sim *sim, unsigned vcpu, uint64_t gpa, const void *buf, size_t len);
void *sim_ram(struct sim *sim);
uint64_t sim_ram_size(const struct sim *sim);

/* Raw: post `req` on `vcpu`'s slot whatever the ranges say; on return req
 * holds the answered slot. 0, or -ETIMEDOUT if not answered in time. */
int sim_ioreq(struct sim *sim, unsigned vcpu, ioreq_t *req, int timeout_ms);

/* Routed accesses, as Xen does them: an address no server claimed reads
 * all-ones without reaching the daemon. Timeouts abort the test process
 * with a message (a hung daemon is a failure, never a hang). */
uint64_t sim_mmio_read(struct sim *sim, unsigned vcpu, uint64_t addr, unsigned size);
void sim_mmio_write(struct sim *sim, unsigned vcpu, uint64_t addr, unsigned size,
                    uint64_t val);
uint32_t sim_pio_read(struct sim *sim, unsigned vcpu, uint16_t port, unsigned size);
void sim_pio_write(struct sim *sim, unsigned vcpu, uint16_t port, unsigned size,
                   uint32_t val);
uint32_t sim_cfg_read(struct sim *sim, unsigned vcpu, uint32_t sbdf, unsigned reg,
                      unsigned size);
void sim_cfg_write(struct sim *sim, unsigned vcpu, uint32_t sbdf, unsigned reg,
                   unsigned size, uint32_t val);
/* rep movs/ins/outs: `count` items of `size` between the device address and
 * guest RAM at `gpa`, direction by `df`. */
void sim_rep(struct sim *sim, unsigned vcpu, bool mmio, bool read, uint64_t addr,
             unsigned size, uint32_t count, uint64_t gpa, bool df);

/* Buffered (posted) write through the buffered ring; 8-byte writes take two
 * slots. -EAGAIN if the ring is full. */
int sim_buffered_write(struct sim *sim, bool mmio, uint64_t addr, unsigned size,
                       uint64_t val);
/* Post a raw slot into the buffered ring (malformed-input tests). */
int sim_buffered_raw(struct sim *sim, const buf_ioreq_t *slots, unsigned n);
/* Wait until the daemon consumed every buffered slot. */
int sim_buffered_drain(struct sim *sim, int timeout_ms);

/* Is [addr] claimed by the daemon's server in `type` space? */
bool sim_claimed(struct sim *sim, enum sim_range_type type, uint64_t addr);

/* MSIs the daemon injected so far, and waiting for more. */
uint32_t sim_msi_count(struct sim *sim);
/* Wait until at least `count` MSIs were injected; false on timeout. */
bool sim_wait_msi(struct sim *sim, uint32_t count, int timeout_ms);
struct sim_msi sim_msi_get(struct sim *sim, uint32_t index);

/* The daemon's reports of pages it wrote (XEN_DMOP_modified_memory):
 * extents taken so far, and whether `gfn` was in one of those from number
 * `since` on (within the last SIM_MAX_MODIFIED). */
uint32_t sim_modified_count(struct sim *sim);
bool sim_modified(struct sim *sim, uint64_t gfn, uint32_t since);

/* A xenstore value the daemon wrote, or NULL (static buffer). */
const char *sim_xs_read(struct sim *sim, const char *key);

uint64_t sim_now_ms(void);

/* The daemon's control socket. */
const char *sim_control_path(const struct sim *sim);
/* Send one request line (without "\n"), read the answer line into `line`
 * (NUL-terminated, without "\n") and, if it announces "bytes":N, the
 * payload into a malloc'd *payload. 0 or -errno. */
int sim_control(struct sim *sim, const char *request, char *line, size_t cap,
                void **payload, size_t *payload_len);

#endif
