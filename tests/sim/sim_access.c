/* The guest's accesses in the simulated domain: each is an ioreq in the
 * page the daemon shares with "Xen" (sim_shared.h), sent with an event
 * channel notification and answered as Xen would route it -- to the
 * daemon's ioreq server when it claimed the range, to RAM or ~0
 * otherwise -- plus buffered writes, and what the daemon did to Xen's
 * state (MSIs, pages it modified). */
#include "simguest_priv.h"

#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Xen's side of an event channel send to the daemon. */
static void notify_daemon(struct sim *sim, unsigned idx)
{
    if (__atomic_exchange_n(&sim->sh->port_pending[idx], 1u, __ATOMIC_ACQ_REL) == 0) {
        uint64_t one = 1;
        if (write(sim->daemon_efd, &one, sizeof(one)) != sizeof(one))
            sim_die("eventfd write");
    }
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
        __atomic_fetch_add(&sim->sh->pool_dirty_marks, 1, __ATOMIC_RELEASE);
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
    uint64_t pfn = gpa >> 12;
    if (!__atomic_load_n(&sh->memtype_claimed, __ATOMIC_ACQUIRE) || pfn >= SIM_MAX_RAM_PAGES)
        return false;
    return (__atomic_load_n(&sh->memtype_bits[pfn / 64], __ATOMIC_ACQUIRE) >> (pfn % 64)) & 1;
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

void sim_ram_write(struct sim *sim, unsigned vcpu, uint64_t gpa, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        /* A protected page takes one store at a time (its owner may give
         * it back as RAM after any); a plain one the rest of it at once. */
        size_t in_page = 4096 - (gpa & 4095), n = len < in_page ? len : in_page;
        if (sim_page_write_protected(sim, gpa)) {
            unsigned size = (gpa & 3) == 0 && len >= 4 ? 4 : 1;
            uint32_t v = 0;
            memcpy(&v, p, size);
            sim_ram_store(sim, vcpu, gpa, size, v);
            n = size;
        } else {
            memcpy((uint8_t *)sim_ram(sim) + gpa, p, n);
        }
        gpa += n;
        p += n;
        len -= n;
    }
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
        sim_die("rep access to an unclaimed address");
    ioreq_t req = { .addr = addr, .data = gpa, .count = count, .size = size,
                    .dir = read ? IOREQ_READ : IOREQ_WRITE, .df = df,
                    .data_is_ptr = 1,
                    .type = mmio ? IOREQ_TYPE_COPY : IOREQ_TYPE_PIO };
    if (sim_ioreq(sim, vcpu, &req, DEFAULT_TIMEOUT_MS) < 0)
        sim_die("rep request not answered");
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

