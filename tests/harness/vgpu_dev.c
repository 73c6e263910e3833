/* The harness's vGPU (fuzz targets, gvt unit tests): set up in the
 * daemon's order (main.c), driven only through what a guest controls. */
#include "config.h"
#include "vgpu_dev.h"

#include "common/log.h"
#include "evtchn/loop.h"
#include "evtchn/ports.h"
#include "gvt/vgpu.h"
#include "ioreq/guestmem.h"
#include "ioreq/server.h"
#include "ioreq/ramrange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 4096u

static void must(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz harness: %s failed\n", what);
        abort();
    }
}

uint64_t fuzz_last_fingerprint;

static uint64_t fnv(uint64_t h, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= 0x100000001b3ull;
    }
    return h;
}


static struct fuzz_dev kept;
static struct evt_irq kept_irq;
static char kept_type[32];

static bool kept_ram;

static void create(const char *type, bool ram)
{
    struct fuzz_dev *d = &kept;
    memset(d, 0, sizeof(*d));
    d->irq = &kept_irq;
    must(evt_loop_new(&d->loop) == 0, "evt_loop_new");
    must(evt_ports_open(d->loop, &d->ports) == 0, "evt_ports_open");
    evt_irq_init(d->irq, xendevicemodel_open(NULL, 0), FUZZ_DOMID);
    must(gmem_new(xenforeignmemory_open(NULL, 0), FUZZ_DOMID, 64, &d->gm) == 0, "gmem_new");
    struct ioreq_server_params params = { .domid = FUZZ_DOMID };
    must(ioreq_server_create(&params, xendevicemodel_open(NULL, 0),
                             xenforeignmemory_open(NULL, 0), d->ports, d->gm, &d->srv) == 0,
         "ioreq_server_create");
    /* Slices of 2048 dwords: a looping batch costs an input little, and
     * the bounds at slice edges are reached as often as the middle. */
    struct vgpu_config vc = { .sbdf = FUZZ_SBDF, .type = vgpu_type_find(type), .revision = 6,
                              .vgt_id = 1, .cs_slice_dwords = 2048,
                              .aperture_mb = ram ? 4 : 0 };
    must(vc.type != NULL, "vgpu_type_find");
    must(vgpu_create(&vc, d->srv, d->irq, d->gm, d->loop, &d->vgpu) == 0, "vgpu_create");
    fx.physmap = ram;
    if (ram) {
        /* The GGTT and a 4 MiB aperture as guest RAM, as xengvtd sets them
         * up (main.c): populated above the guest's frames, moved with the
         * BARs, the aperture kept coherent by dirty tracking. */
        struct ram_range *gsm, *apr;
        must(ramrange_populate(xendevicemodel_open(NULL, 0), xenforeignmemory_open(NULL, 0),
                               FUZZ_DOMID, vgpu_gsm_pages(), &gsm) == 0, "populate GGTT");
        must(vgpu_attach_gsm(d->vgpu, gsm) == 0, "vgpu_attach_gsm");
        must(ramrange_populate(xendevicemodel_open(NULL, 0), xenforeignmemory_open(NULL, 0),
                               FUZZ_DOMID, vgpu_aperture_pages(d->vgpu), &apr) == 0,
             "populate aperture");
        must(vgpu_attach_aperture(d->vgpu, apr, false) == 0, "vgpu_attach_aperture");
    }
    kept_ram = ram;
    must(ioreq_server_enable(d->srv) == 0, "ioreq_server_enable");
    snprintf(kept_type, sizeof(kept_type), "%s", type);
}

static void destroy(void)
{
    vgpu_destroy(kept.vgpu);
    ioreq_server_destroy(kept.srv);
    gmem_free(kept.gm);
    evt_ports_close(kept.ports);
    evt_loop_free(kept.loop);
    memset(&kept, 0, sizeof(kept));
    kept_type[0] = 0;
    fx.pool_used = 0; /* the domain those frames were populated for is gone */
    memset(fx.pool_index, 0, sizeof(fx.pool_index));
    fuzz_xen_pool_clean();
    fx.physmap = false;
}

static void at_exit(void)
{
    if (kept.vgpu)
        destroy();
}

static void start(struct fuzz_dev *d, const char *type, bool ram)
{
    type = type ? type : "GVTg_V5_4";
    fuzz_xen_init();
    fuzz_xen_reset();
    /* Findings are crashes and sanitizer reports; the daemon's refusals
     * are expected by the thousand. */
    log_set_level(getenv("FUZZ_LOG") ? LOGL_DEBUG : LOGL_ERROR);
    if (kept.vgpu && (strcmp(kept_type, type) != 0 || kept_ram != ram))
        destroy();
    if (!kept.vgpu) {
        static bool registered;
        if (!registered)
            atexit(at_exit);
        registered = true;
        create(type, ram);
    }
    /* What ran before leaves nothing: clock at 0, no timer armed, no
     * mapping cached, the vGPU as created, no interrupt pending. */
    evt_loop_set_manual_time(kept.loop);
    gmem_invalidate(kept.gm);
    vgpu_cold_reset(kept.vgpu);
    kept_irq.msis_injected = kept_irq.msi_failures = kept_irq.intx_changes = 0;
    fx.npending = 0;
    kept.observed = 0xcbf29ce484222325ull;
    fuzz_xen_pool_clean();
    fx.dirty_first = fx.dirty_nr = 0;
    *d = kept;
}

void fuzz_dev_start(struct fuzz_dev *d, const char *type)
{
    start(d, type, false);
}

void fuzz_dev_start_ram(struct fuzz_dev *d)
{
    start(d, NULL, true);
}

uint64_t fuzz_phys(struct fuzz_dev *d, uint64_t gpa, unsigned size, int write, uint64_t val)
{
    if (size != 1 && size != 2 && size != 4 && size != 8)
        size = 4;
    gpa &= ~(uint64_t)(size - 1);
    uint8_t *p = NULL;
    int f = -1;
    if (gpa < FUZZ_RAM_BYTES)
        p = fx.ram + gpa;
    else if ((f = fuzz_xen_pool_find(gpa >> 12)) >= 0)
        p = fuzz_xen_pool_frame(f) + (gpa & 0xfff);
    if (!p || (write && fuzz_xen_write_protected(gpa)))
        return fuzz_mmio(d, gpa, size, write, val);
    uint64_t v = 0;
    if (write) {
        memcpy(p, &val, size);
        if (f >= 0)
            fuzz_xen_pool_mark_dirty(f);
        return 0;
    }
    memcpy(&v, p, size);
    d->observed = fnv(d->observed, v);
    return v;
}

void fuzz_dev_stop(struct fuzz_dev *d)
{
    struct vgpu_stats vs;
    vgpu_get_stats(d->vgpu, &vs);
    uint64_t h = d->observed;
    const uint64_t counted[] = { vs.mmio_reads, vs.mmio_writes, vs.msis, vs.vblanks, vs.irq_events,
                                 vs.ggtt_writes, vs.ggtt_invalid, vs.ggtt_dropped, vs.flips,
                                 vs.aux_transactions, vs.elsp_submissions, vs.ctx_completions,
                                 vs.csb_events, vs.engine_errors, vs.cs_dwords, vs.cs_skipped,
                                 vs.blits, vs.ppgtt_walks, vs.wp_pages, vs.wp_writes,
                                 vs.gt_resets, vs.resets, vs.display_ready, vs.g2v_last };
    for (unsigned i = 0; i < sizeof(counted) / sizeof(counted[0]); i++)
        h = fnv(h, counted[i]);
    fuzz_last_fingerprint = h;
    memset(d, 0, sizeof(*d));
}

/* Time passes: what is queued runs, then the manual clock moves 5 ms a
 * round (a vblank every fourth), firing what falls due, at most
 * `max_fires` callbacks a round (the command streamer's runner re-arms
 * itself a microsecond out: unbounded, 5 ms would be 5000 slices). */
void fuzz_run_bounded(struct fuzz_dev *d, unsigned rounds, unsigned max_fires)
{
    for (unsigned i = 0; i < rounds; i++) {
        evt_loop_run_once(d->loop, 0);
        evt_loop_advance(d->loop, 5000000, max_fires);
    }
}

void fuzz_run(struct fuzz_dev *d, unsigned rounds)
{
    fuzz_run_bounded(d, rounds, 8);
}

uint64_t fuzz_ioreq(struct fuzz_dev *d, unsigned vcpu, const ioreq_t *req)
{
    vcpu %= FUZZ_VCPUS;
    shared_iopage_t *iop = (shared_iopage_t *)((uint8_t *)fx.ioreq_pages + PAGE);
    ioreq_t *slot = &iop->vcpu_ioreq[vcpu];
    uint32_t eport = slot->vp_eport;
    *slot = *req;
    slot->vp_eport = eport;
    slot->state = STATE_IOREQ_NONE;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    slot->state = STATE_IOREQ_READY;
    fuzz_xen_raise(FUZZ_VCPU_PORT + vcpu + FUZZ_LOCAL_OFFSET);
    /* The slot is answered in the round that delivers its port; a few
     * more rounds let anything the access armed (a zero-delay timer) run. */
    for (unsigned i = 0; i < 8 && slot->state != STATE_IORESP_READY; i++)
        evt_loop_run_once(d->loop, 0);
    if (slot->state != STATE_IORESP_READY) {
        fprintf(stderr, "fuzz: vCPU %u's access (type %u addr %#llx size %u) was never "
                "answered: the guest would hang\n", vcpu, req->type,
                (unsigned long long)req->addr, req->size);
        abort();
    }
    uint64_t data = slot->data;
    slot->state = STATE_IOREQ_NONE;
    /* Work the access queued "after the ioreqs already waiting" (a timer a
     * microsecond out) runs now, on the manual clock. */
    evt_loop_advance(d->loop, 2000, 1);
    if (req->dir == IOREQ_READ)
        d->observed = fnv(d->observed, data);
    return data;
}

uint64_t fuzz_mmio(struct fuzz_dev *d, uint64_t addr, unsigned size, int write, uint64_t val)
{
    ioreq_t r = { .addr = addr, .data = val, .count = 1, .size = size,
                  .dir = write ? IOREQ_WRITE : IOREQ_READ, .type = IOREQ_TYPE_COPY };
    return fuzz_ioreq(d, 0, &r);
}

uint64_t fuzz_cfg(struct fuzz_dev *d, uint32_t reg, unsigned size, int write, uint64_t val)
{
    ioreq_t r = { .addr = (uint64_t)FUZZ_SBDF << 32 | reg, .data = val, .count = 1,
                  .size = size, .dir = write ? IOREQ_WRITE : IOREQ_READ,
                  .type = IOREQ_TYPE_PCI_CONFIG };
    return fuzz_ioreq(d, 0, &r);
}

void fuzz_buffered(struct fuzz_dev *d, const buf_ioreq_t *slots, unsigned n,
                   uint32_t write_ptr_skew)
{
    buffered_iopage_t *bp = fx.ioreq_pages;
    uint32_t w = __atomic_load_n(&bp->write_pointer, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < n; i++)
        bp->buf_ioreq[(w + i) % IOREQ_BUFFER_SLOT_NUM] = slots[i];
    __atomic_store_n(&bp->write_pointer, w + n + write_ptr_skew, __ATOMIC_RELEASE);
    fuzz_xen_raise(FUZZ_BUF_PORT + FUZZ_LOCAL_OFFSET);
    fuzz_run(d, 4);
    /* Xen moves its pointer back when it sees the ring drained; a hostile
     * skew is undone here so later inputs start from a sane ring. */
    __atomic_store_n(&bp->write_pointer, bp->read_pointer, __ATOMIC_RELEASE);
}

void fuzz_place_bars(struct fuzz_dev *d)
{
    fuzz_cfg(d, 0x10, 4, 1, (uint32_t)FUZZ_BAR0);
    fuzz_cfg(d, 0x14, 4, 1, FUZZ_BAR0 >> 32);
    fuzz_cfg(d, 0x18, 4, 1, (uint32_t)FUZZ_BAR2);
    fuzz_cfg(d, 0x1c, 4, 1, FUZZ_BAR2 >> 32);
    fuzz_cfg(d, 0x04, 2, 1, 0x6);
    fuzz_cfg(d, 0xb0, 4, 1, 0xfee00000u); /* MSI address, data, enable */
    fuzz_cfg(d, 0xb4, 2, 1, 0x41);
    fuzz_cfg(d, 0xae, 2, 1, 1);
}

void fuzz_set_mode_640x480(struct fuzz_dev *d)
{
    fuzz_mmio(d, FUZZ_BAR0 + 0x6001c, 4, 1, (639u << 16) | 479u);
}

/* The entries go as one `rep movsq` from a guest buffer (an ioreq with
 * count and data_is_ptr): each still reaches the GGTT's write handler as
 * an 8-byte store, at one round trip for all instead of one each (512
 * round trips were most of a command-stream input's time). The buffer is
 * RAM's last page, zeroed again after. */
void fuzz_map_ggtt(struct fuzz_dev *d, uint64_t gpa, uint32_t pages)
{
    const uint64_t buf = FUZZ_RAM_BYTES - PAGE;
    for (uint32_t done = 0; done < pages;) {
        uint32_t n = pages - done < PAGE / 8 ? pages - done : PAGE / 8;
        uint64_t *e = (uint64_t *)(fx.ram + buf);
        for (uint32_t i = 0; i < n; i++)
            e[i] = (gpa + 4096ull * (done + i)) | 1;
        ioreq_t r = { .addr = FUZZ_BAR0 + (8u << 20) + 8ull * done, .data = buf, .count = n,
                      .size = 8, .dir = IOREQ_WRITE, .type = IOREQ_TYPE_COPY, .data_is_ptr = 1 };
        fuzz_ioreq(d, 0, &r);
        memset(e, 0, PAGE);
        done += n;
    }
}

void fuzz_ctx_image(uint32_t *st, uint32_t b, uint32_t head, uint32_t tail,
                    uint32_t ring_start, uint32_t ring_size, const uint64_t pdp[4])
{
    st[1] = (0x22u << 23) | (1u << 12) | (2u * 14 - 1);
    st[2] = b + 0x244, st[3] = 0x00090009u;
    st[4] = b + 0x34, st[5] = head;
    st[6] = b + 0x30, st[7] = tail;
    st[8] = b + 0x38, st[9] = ring_start;
    st[10] = b + 0x3c, st[11] = ((ring_size / 4096 - 1) << 12) | 1;
    st[0x21] = (0x22u << 23) | (2u * 9 - 1);
    for (unsigned i = 0; i < 4; i++) {
        unsigned n = 3 - i;
        st[0x24 + 4 * i] = b + 0x270 + 8 * n + 4;
        st[0x25 + 4 * i] = (uint32_t)(pdp[n] >> 32);
        st[0x26 + 4 * i] = b + 0x270 + 8 * n;
        st[0x27 + 4 * i] = (uint32_t)pdp[n];
    }
}

uint64_t fuzz_take(const uint8_t **p, const uint8_t *end, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n && i < 8; i++)
        if (*p < end)
            v |= (uint64_t)*(*p)++ << (8 * i);
    return v;
}
