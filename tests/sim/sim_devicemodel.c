/* libxendevicemodel, simulated: the ioreq server, its ranges, interrupts. */
#include "sim_xen.h"
#include <errno.h>
#include <sys/socket.h>
#include <signal.h>

#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <xendevicemodel.h>
#include <xenforeignmemory.h>
#include <sys/mman.h>
#include <xen/hvm/ioreq.h>

struct xendevicemodel_handle {
    int32_t restricted;
};

xendevicemodel_handle *sim_last_dmod;

xendevicemodel_handle *xendevicemodel_open(struct xentoollog_logger *logger,
                                           unsigned int open_flags)
{
    (void)logger;
    (void)open_flags;
    xendevicemodel_handle *h = calloc(1, sizeof(*h));
    if (h)
        h->restricted = -1;
    sim_last_dmod = h;
    return h;
}

int xendevicemodel_close(xendevicemodel_handle *dmod)
{
    free(dmod);
    return 0;
}

int xendevicemodel_restrict(xendevicemodel_handle *dmod, domid_t domid)
{
    dmod->restricted = domid;
    sim_xen()->dm_restricted = domid;
    return 0;
}

static int check(xendevicemodel_handle *h, domid_t domid)
{
    return sim_check_domain(h->restricted, domid);
}

int sim_dm_check(struct xendevicemodel_handle *h, uint32_t domid)
{
    return check(h, (domid_t)domid);
}

static int check_server(xendevicemodel_handle *h, domid_t domid, ioservid_t id)
{
    if (check(h, domid) < 0)
        return -1;
    struct sim_shared *sh = sim_xen();
    if (!sh->server_created || id != SIM_SERVER_ID)
        return sim_fail(ENOENT);
    return 0;
}

/* The probe a test asks for (see sim_shared.h), once the daemon is
 * restricted: its own handles, another domain. */
/* The call a test asked for, made as the daemon (its uid, its seccomp
 * filter): what a compromised daemon would try against its neighbours. */
static void probe_call(void)
{
    struct sim_shared *sh = sim_xen();
    uint32_t call = __atomic_load_n(&sh->probe_call, __ATOMIC_ACQUIRE);
    if (!call || sh->toolcore_restricted < 0)
        return;
    int rc = -1;
    if (call == SIM_PROBE_KILL) {
        rc = kill((pid_t)sh->probe_pid, sh->probe_sig);
    } else if (call == SIM_PROBE_INET_SOCKET) {
        rc = socket(AF_INET, SOCK_STREAM, 0);
        if (rc >= 0)
            close(rc);
    }
    sh->probe_result = rc < 0 ? errno : 0;
    __atomic_store_n(&sh->probe_call, 0u, __ATOMIC_RELEASE);
}

static void probe_other_domain(void)
{
    probe_call();
    struct sim_shared *sh = sim_xen();
    if (!sh->probe_other_domain || sh->toolcore_restricted < 0 || !sim_last_dmod ||
        !sim_last_fmem)
        return;
    sh->probe_other_domain = 0;
    domid_t other = (domid_t)(sh->domid + 1);
    xen_pfn_t pfn = 0;
    int err = 0;
    void *p = xenforeignmemory_map(sim_last_fmem, other, PROT_READ, 1, &pfn, &err);
    sh->probe_map_errno = p ? 0 : errno;
    ioservid_t id;
    int rc = xendevicemodel_create_ioreq_server(sim_last_dmod, other, 1, &id);
    sh->probe_create_errno = rc < 0 ? errno : 0;
}

int xendevicemodel_nr_vcpus(xendevicemodel_handle *dmod, domid_t domid,
                            unsigned int *vcpus)
{
    probe_other_domain();
    if (check(dmod, domid) < 0)
        return -1;
    *vcpus = sim_xen()->nr_vcpus;
    return 0;
}

int xendevicemodel_create_ioreq_server(xendevicemodel_handle *dmod,
                                       domid_t domid, int handle_bufioreq,
                                       ioservid_t *id)
{
    if (check(dmod, domid) < 0)
        return -1;
    struct sim_shared *sh = sim_xen();
    if (sh->server_created)
        return sim_fail(EEXIST); /* one server per simulated domain */
    if (handle_bufioreq < 0 || handle_bufioreq > 2)
        return sim_fail(EINVAL);
    memset(sh->ioreq_page, 0, sizeof(sh->ioreq_page));
    memset(sh->bufioreq_page, 0, sizeof(sh->bufioreq_page));
    memset(sh->ranges, 0, sizeof(sh->ranges));
    sh->bufioreq_mode = (uint32_t)handle_bufioreq;
    sh->server_created = 1;
    sh->server_destroyed = 0;
    *id = SIM_SERVER_ID;
    return 0;
}

int xendevicemodel_get_ioreq_server_info(xendevicemodel_handle *dmod,
                                         domid_t domid, ioservid_t id,
                                         xen_pfn_t *ioreq_gfn,
                                         xen_pfn_t *bufioreq_gfn,
                                         evtchn_port_t *bufioreq_port)
{
    if (check_server(dmod, domid, id) < 0)
        return -1;
    struct sim_shared *sh = sim_xen();
    if (ioreq_gfn || bufioreq_gfn)
        sh->legacy_info_calls++;
    if (ioreq_gfn)
        *ioreq_gfn = SIM_LEGACY_IOREQ_GFN;
    if (bufioreq_gfn)
        *bufioreq_gfn = SIM_LEGACY_BUFIOREQ_GFN;
    if (bufioreq_port)
        *bufioreq_port = SIM_REMOTE_BUF_PORT;
    return 0;
}

int xendevicemodel_set_ioreq_server_state(xendevicemodel_handle *dmod,
                                          domid_t domid, ioservid_t id,
                                          int enabled)
{
    if (check_server(dmod, domid, id) < 0)
        return -1;
    struct sim_shared *sh = sim_xen();
    ioreq_t *slots = (ioreq_t *)sh->ioreq_page;
    /* Xen allocates the per-vCPU ports on enable. */
    for (uint32_t v = 0; v < sh->nr_vcpus; v++)
        slots[v].vp_eport = enabled ? SIM_REMOTE_VCPU_PORT_BASE + v : 0;
    __atomic_store_n(&sh->server_enabled, enabled ? 1u : 0u, __ATOMIC_RELEASE);
    return 0;
}

int xendevicemodel_destroy_ioreq_server(xendevicemodel_handle *dmod,
                                        domid_t domid, ioservid_t id)
{
    if (check_server(dmod, domid, id) < 0)
        return -1;
    struct sim_shared *sh = sim_xen();
    sh->server_enabled = 0;
    sh->server_created = 0;
    sh->server_destroyed = 1;
    memset(sh->ranges, 0, sizeof(sh->ranges));
    return 0;
}

static int add_range(uint32_t type, uint64_t start, uint64_t end)
{
    struct sim_shared *sh = sim_xen();
    if (end < start)
        return sim_fail(EINVAL);
    struct sim_range *free_slot = NULL;
    for (int i = 0; i < SIM_MAX_RANGES; i++) {
        struct sim_range *r = &sh->ranges[i];
        if (!r->used) {
            if (!free_slot)
                free_slot = r;
            continue;
        }
        /* Xen refuses a range overlapping one the server already has. */
        if (r->type == type && r->start <= end && start <= r->end)
            return sim_fail(EEXIST);
    }
    if (!free_slot)
        return sim_fail(ENOSPC);
    free_slot->type = type;
    free_slot->start = start;
    free_slot->end = end;
    __atomic_store_n(&free_slot->used, 1u, __ATOMIC_RELEASE);
    return 0;
}

static int del_range(uint32_t type, uint64_t start, uint64_t end)
{
    struct sim_shared *sh = sim_xen();
    for (int i = 0; i < SIM_MAX_RANGES; i++) {
        struct sim_range *r = &sh->ranges[i];
        if (r->used && r->type == type && r->start == start && r->end == end) {
            __atomic_store_n(&r->used, 0u, __ATOMIC_RELEASE);
            return 0;
        }
    }
    return sim_fail(ENOENT);
}

int xendevicemodel_map_io_range_to_ioreq_server(xendevicemodel_handle *dmod,
                                                domid_t domid, ioservid_t id,
                                                int is_mmio, uint64_t start,
                                                uint64_t end)
{
    if (check_server(dmod, domid, id) < 0)
        return -1;
    return add_range(is_mmio ? SIM_RANGE_MMIO : SIM_RANGE_PIO, start, end);
}

int xendevicemodel_unmap_io_range_from_ioreq_server(xendevicemodel_handle *dmod,
                                                    domid_t domid, ioservid_t id,
                                                    int is_mmio, uint64_t start,
                                                    uint64_t end)
{
    if (check_server(dmod, domid, id) < 0)
        return -1;
    return del_range(is_mmio ? SIM_RANGE_MMIO : SIM_RANGE_PIO, start, end);
}

static uint32_t sbdf_of(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn)
{
    return (uint32_t)seg << 16 | (uint32_t)bus << 8 | (uint32_t)(dev & 0x1f) << 3 |
           (fn & 7u);
}

int xendevicemodel_map_pcidev_to_ioreq_server(xendevicemodel_handle *dmod,
                                              domid_t domid, ioservid_t id,
                                              uint16_t segment, uint8_t bus,
                                              uint8_t device, uint8_t function)
{
    if (check_server(dmod, domid, id) < 0)
        return -1;
    if (device > 0x1f || function > 7)
        return sim_fail(EINVAL);
    uint32_t sbdf = sbdf_of(segment, bus, device, function);
    return add_range(SIM_RANGE_PCI, sbdf, sbdf);
}

int xendevicemodel_unmap_pcidev_from_ioreq_server(xendevicemodel_handle *dmod,
                                                  domid_t domid, ioservid_t id,
                                                  uint16_t segment, uint8_t bus,
                                                  uint8_t device,
                                                  uint8_t function)
{
    if (check_server(dmod, domid, id) < 0)
        return -1;
    uint32_t sbdf = sbdf_of(segment, bus, device, function);
    return del_range(SIM_RANGE_PCI, sbdf, sbdf);
}

int xendevicemodel_inject_msi(xendevicemodel_handle *dmod, domid_t domid,
                              uint64_t msi_addr, uint32_t msi_data)
{
    if (check(dmod, domid) < 0)
        return -1;
    struct sim_shared *sh = sim_xen();
    if (sh->fail_inject_msi)
        return sim_fail(EINVAL);
    /* Xen accepts only the x86 MSI window. */
    if ((msi_addr >> 20) != 0xfee)
        return sim_fail(EINVAL);
    uint32_t n = __atomic_load_n(&sh->msi_count, __ATOMIC_RELAXED);
    if (n < SIM_MAX_MSI) {
        sh->msi[n].addr = msi_addr;
        sh->msi[n].data = msi_data;
    }
    __atomic_store_n(&sh->msi_count, n + 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &sh->msi_count, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    return 0;
}

int xendevicemodel_set_pci_intx_level(xendevicemodel_handle *dmod,
                                      domid_t domid, uint16_t segment,
                                      uint8_t bus, uint8_t device, uint8_t intx,
                                      unsigned int level)
{
    (void)segment;
    (void)bus;
    (void)device;
    if (check(dmod, domid) < 0)
        return -1;
    if (intx > 3)
        return sim_fail(EINVAL);
    struct sim_shared *sh = sim_xen();
    sh->intx_level = level ? 1 : 0;
    sh->intx_changes++;
    return 0;
}

int xendevicemodel_set_mem_type(xendevicemodel_handle *dmod, domid_t domid,
                                hvmmem_type_t mem_type, uint64_t first_pfn,
                                uint32_t nr)
{
    if (check(dmod, domid) < 0)
        return -1;
    struct sim_shared *sh = sim_xen();
    if (first_pfn + nr > sh->ram_bytes / 4096)
        return sim_fail(EINVAL);
    /* Xen: only after a server claimed the type (map_mem_type_to_ioreq_server). */
    if (mem_type == HVMMEM_ioreq_server && !sh->memtype_claimed)
        return sim_fail(EINVAL);
    for (uint32_t i = 0; i < nr; i++) {
        uint64_t pfn = first_pfn + i, bit = 1ull << (pfn % 64);
        uint64_t *word = &sh->memtype_bits[pfn / 64];
        uint64_t was = __atomic_load_n(word, __ATOMIC_ACQUIRE);
        if (mem_type == HVMMEM_ioreq_server && !(was & bit)) {
            __atomic_fetch_or(word, bit, __ATOMIC_RELEASE);
            sh->memtype_count++;
        } else if (mem_type != HVMMEM_ioreq_server && (was & bit)) {
            __atomic_fetch_and(word, ~bit, __ATOMIC_RELEASE);
            sh->memtype_count--;
        }
    }
    return 0;
}

int xendevicemodel_map_mem_type_to_ioreq_server(xendevicemodel_handle *dmod,
                                                domid_t domid, ioservid_t id,
                                                uint16_t type, uint32_t flags)
{
    if (check_server(dmod, domid, id) < 0)
        return -1;
    if (type != HVMMEM_ioreq_server)
        return sim_fail(EINVAL);
    sim_xen()->memtype_claimed = flags != 0;
    return 0;
}

/* XEN_DMOP_remote_shutdown: domain_shutdown(d, reason) (Xen 4.17
 * xen/arch/x86/hvm/dm.c:553-558): the domain stays, shut down with that
 * reason, until its toolstack acts on it; @releaseDomain fires. */
int xendevicemodel_shutdown(xendevicemodel_handle *dmod, domid_t domid, unsigned int reason)
{
    if (check(dmod, domid) < 0)
        return -1;
    struct sim_shared *sh = sim_xen();
    __atomic_store_n(&sh->shutdown_reason, reason, __ATOMIC_RELEASE);
    __atomic_store_n(&sh->shutdown, 1u, __ATOMIC_RELEASE);
    sim_post_release(sh);
    return 0;
}
