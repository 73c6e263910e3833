/* Fuzz target: the --live-state file a dead daemon leaves, as its
 * successor takes it. xl-vgpu's supervisor starts the successor with
 * `--restore CHECKPOINT --adopt-server ID --live-state FILE`; the dead
 * daemon (perhaps its guest's by then) wrote FILE, in place, at every
 * access. The successor runs main.c's path here, in its order: the file
 * copied as it is (live_state_open: its size), the checkpoint read, the
 * server adopted, then (main.c: in the sandbox) daemon_build_and_enable:
 * the checkpoint checked, the file's header checked and its parts taken
 * (live_state_take), the vGPU built from the checkpoint, the live state
 * laid over it (vgpu_follow_guest: registers, engines checked as a
 * checkpoint's, config space in the bits the guest could write), the
 * server enabled, answering the access a vCPU was waiting on. Then the
 * guest carries on: registers, PVINFO, config space, its GGTT and
 * aperture, time passing (the engines' runner, vblanks), a capture when
 * the registers show a plane, a save. Nothing may crash, and what the file cannot change is checked:
 * the device's identity and BAR sizes, PVINFO's host half, the waiting
 * vCPU answered, set-up never refused for a bad file.
 *
 * Input: flags (1) | header (96) | config space (256) | engines (this
 * build's struct array, vgpu_engines_state_size()) | registers, 8 bytes
 * each to the end: dword index (4, modulo the register file), value (4),
 * over a zero file. Flags: bits 0-1 the dead daemon's checkpoint (a
 * guest with a trapped GGTT, its GGTT and aperture in RAM, an I/O BAR,
 * RAM parked behind unplaced BARs: the checkpoints are made at start-up
 * by the daemon's own modules). Bit 2: the harness writes the header this
 * build writes for this domain (no mutation guesses the build string;
 * without the bit the header check is fuzzed). Bit 3: the file is one
 * byte short. Bit 4: there is no file (the predecessor never made one).
 *
 * FUZZ_LIVE_SEEDS=DIR: writes seeds instead: the live-state files the
 * daemon's own live_state code wrote for each checkpoint's guest after
 * it carried on past the checkpoint, encoded so. FUZZ_LIVE_FROM="FILE..."
 * adds real files (e.g. a .live file an integration test kept), their
 * header replaced by this domain's (flag bit 2). */
#define _GNU_SOURCE 1
#include "vgpu_dev.h"
#include "common/log.h"
#include "daemon/daemon.h"
#include "daemon/live_state.h"
#include "evtchn/loop.h"
#include "evtchn/ports.h"
#include "gvt/vgpu.h"
#include "ioreq/guestmem.h"
#include "ioreq/server.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xenctrl.h>

#define GGTT_PAGES 2048u
#define APR_PAGES 1024u               /* --aperture 4 */
#define GGTT_PLACED ((FUZZ_BAR0 + (8u << 20)) >> 12)
#define APR_PLACED (FUZZ_BAR2 >> 12)
#define PARK (FUZZ_RAM_BYTES >> 12)   /* above the guest's RAM, as ramrange parks */

#define HDR_SIZE 96u    /* live_state.c's struct live_header */
#define HDR_PAGE 4096u  /* where the registers start */
#define CFG_IN 256u     /* the config space an input gives: the rest is zero */
#define PVINFO 0x78000u
#define PVINFO_HOST 0x800u
#define SCRATCH 0x4f000u
#define WAITING_VCPU 1u
#define PVINFO_COPY 0x300000u /* guest RAM the guest reads PVINFO into */

/* The dead daemon's checkpoint: the guest it was made from, the options
 * its daemon had (fuzz_restore's bits: 0x10 --aperture-ram, 0x20
 * --trap-ggtt, 0x80 --io-bar), the device-model frames the guest has
 * (fuzz_restore's memory bits), and what a guest reads of what no file
 * may change. */
static struct checkpoint {
    const char *name;
    unsigned options, memory;
    bool bars;
    int fd;
    char path[64];
    uint32_t id;                    /* config dword 0 */
    uint32_t bar_size[3];           /* BAR0, BAR2, BAR4 sizing reads */
    uint32_t pvinfo[PVINFO_HOST / 4];
} ckpts[] = {
    { "trapped-ggtt", 0x20, 0, true, -1, "", 0, { 0 }, { 0 } },
    { "ram-ggtt-aperture", 0x10, 1 | 2, true, -1, "", 0, { 0 }, { 0 } },
    { "io-bar", 0x80 | 0x20, 0, true, -1, "", 0, { 0 }, { 0 } },
    { "ram-parked", 0x10, 4 | 8, false, -1, "", 0, { 0 }, { 0 } },
};

static char live_path[128];
static size_t engines_size, file_len;

/* xengvtd's command line as xl-vgpu's supervisor gives a successor
 * (served.c), parsed by the daemon's own option parser. */
static struct xengvtd_options parsed_options(const char *ckpt, bool successor)
{
    char *argv[] = { "xengvtd", "--domid", "7", "--sbdf", "00:02.0", "--aperture", "4",
                     "--no-host-identity", "--no-sandbox", "--live-state", live_path,
                     "--restore", (char *)ckpt, "--adopt-server", "1", NULL };
    int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1 - (successor ? 0 : 4);
    struct xengvtd_options o;
    int code;
    optind = 0;
    if (options_parse(argc, argv, &o, &code) != 0)
        abort();
    return o;
}

/* As main.c's vgpu_config_from with --no-host-identity. */
static struct vgpu_config config_from(const struct xengvtd_options *o)
{
    struct vgpu_config vc = { .sbdf = o->sbdf, .type = vgpu_type_find(o->type_name),
                              .device_id = o->device_id, .io_bar = o->io_bar,
                              .width = o->width, .height = o->height,
                              .aperture_mb = o->aperture_mb };
    return vc;
}

static void apply_options(struct daemon *dm, unsigned options)
{
    dm->opt.aperture_ram = options & 0x10;
    dm->opt.trap_ggtt = options & 0x20;
    dm->opt.io_bar = options & 0x80;
}

/* The guest's device-model frames, which outlived the dead daemon (as
 * fuzz_restore's restore_memory). */
static void guest_memory(unsigned memory)
{
    static const struct { unsigned bit; uint64_t gfn; uint32_t pages; } runs[] = {
        { 1, GGTT_PLACED, GGTT_PAGES }, { 2, APR_PLACED, APR_PAGES },
        { 4, PARK, GGTT_PAGES }, { 8, PARK + GGTT_PAGES, APR_PAGES },
    };
    static xen_pfn_t pfns[GGTT_PAGES];
    fx.physmap = true;
    for (unsigned i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        if (!(memory & runs[i].bit))
            continue;
        for (uint32_t p = 0; p < runs[i].pages; p++)
            pfns[p] = runs[i].gfn + p;
        if (xc_domain_populate_physmap_exact(NULL, FUZZ_DOMID, runs[i].pages, 0, 0, pfns) < 0)
            abort();
    }
}

/* main.c's set-up, in its order, for a first daemon (`inherit` false:
 * its live-state file starts fresh) or a successor. EXIT_OK or its code. */
static int set_up(struct daemon *dm, struct vgpu_config *vc, bool inherit)
{
    int code;
    if (dm->opt.restore_path && (code = daemon_restore_read(dm)) != EXIT_OK)
        return code;
    if (live_state_open(dm->opt.live_state_path, dm->opt.domid, inherit, &dm->live,
                        &dm->inherited) < 0)
        abort(); /* the harness's own file: never refused */
    vc->regs_storage = dm->live.regs;
    vc->engines_storage = dm->live.engines;
    vc->pcicfg_storage = dm->live.pcicfg;
    if (evt_loop_new(&dm->loop) < 0)
        abort();
    evt_loop_set_manual_time(dm->loop);
    dm->dmod = xendevicemodel_open(NULL, 0);
    dm->fmem = xenforeignmemory_open(NULL, 0);
    if (evt_ports_open(dm->loop, &dm->ports) < 0)
        abort();
    evt_irq_init(&dm->irq, dm->dmod, dm->opt.domid);
    if (gmem_new(dm->fmem, dm->opt.domid, dm->opt.map_cache_buckets, &dm->gm) < 0)
        abort();
    struct ioreq_server_params params = { .domid = dm->opt.domid, .adopt = dm->opt.adopt,
                                          .adopt_id = dm->opt.adopt_id };
    if (ioreq_server_create(&params, dm->dmod, dm->fmem, dm->ports, dm->gm, &dm->srv) < 0)
        abort();
    /* (main.c enters the sandbox here when it has files to parse.) */
    return daemon_build_and_enable(dm, vc);
}

static void tear_down(struct daemon *dm)
{
    vgpu_destroy(dm->vgpu);
    ioreq_server_destroy(dm->srv);
    gmem_free(dm->gm);
    evt_ports_close(dm->ports);
    evt_loop_free(dm->loop);
    free(dm->restore_blob);
    free(dm->inherited.buf);
    live_state_close(&dm->live);
    memset(dm, 0, sizeof(*dm));
    /* The domain is gone with its device-model frames. */
    fx.pool_used = 0;
    memset(fx.pool_index, 0, sizeof(fx.pool_index));
    fuzz_xen_pool_clean();
    fx.physmap = false;
}

static struct fuzz_dev as_fuzz_dev(struct daemon *dm)
{
    struct fuzz_dev d = { .loop = dm->loop, .ports = dm->ports, .irq = &dm->irq, .gm = dm->gm,
                          .srv = dm->srv, .vgpu = dm->vgpu,
                          .observed = 0xcbf29ce484222325ull };
    return d;
}

/* What no live-state file may change, as a guest reads it: the device's
 * identity and, with BAR0 decoding, PVINFO's host half. */
static void read_fixed(struct fuzz_dev *d, uint32_t *id, uint32_t *pvinfo)
{
    *id = (uint32_t)fuzz_cfg(d, 0, 4, 0, 0);
    struct vgpu_stats vs;
    vgpu_get_stats(d->vgpu, &vs);
    if (pvinfo && vs.bar0 != UINT64_MAX) {
        /* One `rep movsq` from PVINFO into guest RAM: each quadword by
         * the read handler a guest's load meets, in one round trip. */
        ioreq_t r = { .addr = vs.bar0 + PVINFO, .data = PVINFO_COPY, .data_is_ptr = 1,
                      .count = PVINFO_HOST / 8, .size = 8, .dir = IOREQ_READ,
                      .type = IOREQ_TYPE_COPY };
        fuzz_ioreq(d, 0, &r);
        memcpy(pvinfo, fx.ram + PVINFO_COPY, PVINFO_HOST);
    }
}

static const uint32_t bar_regs[3] = { 0x10, 0x18, 0x20 }; /* BAR0, BAR2, BAR4 */

/* The BARs' sizes, as a BIOS finds them (decoding off, all ones written,
 * read back, the value put back): once, on the first daemon's vGPU. */
static void size_bars(struct fuzz_dev *d, uint32_t size[3])
{
    uint16_t cmd = (uint16_t)fuzz_cfg(d, 0x04, 2, 0, 0);
    fuzz_cfg(d, 0x04, 2, 1, cmd & ~3u);
    for (unsigned i = 0; i < 3; i++) {
        uint32_t was = (uint32_t)fuzz_cfg(d, bar_regs[i], 4, 0, 0);
        fuzz_cfg(d, bar_regs[i], 4, 1, 0xffffffffu);
        size[i] = (uint32_t)fuzz_cfg(d, bar_regs[i], 4, 0, 0);
        fuzz_cfg(d, bar_regs[i], 4, 1, was);
    }
    fuzz_cfg(d, 0x04, 2, 1, cmd);
}

/* Each BAR as the guest reads it is an address of that size's alignment
 * with the BAR's own flags (sizing every input would move the BARs, at a
 * cost: what sizing reads back is fixed by these bits). */
static bool bars_keep_size(struct fuzz_dev *d, const uint32_t size[3])
{
    for (unsigned i = 0; i < 3; i++) {
        uint32_t val = (uint32_t)fuzz_cfg(d, bar_regs[i], 4, 0, 0);
        uint32_t flags = size[i] & 1 ? 0x3u : 0xfu;
        uint32_t fixed = ~(size[i] & ~flags); /* bits a guest cannot set */
        if ((val & fixed) != (size[i] & flags))
            return false;
    }
    return true;
}

/* A guest that set up its display and bound a page or two (fuzz_restore's
 * guest_works), and its MSI. */
static void guest_works(struct fuzz_dev *d, bool bars)
{
    if (!bars)
        return; /* switched on, never set up: its RAM waits parked */
    fuzz_place_bars(d);
    fuzz_cfg(d, 0x20, 4, 1, 0xc000);  /* BAR4 (with --io-bar), I/O decode on */
    fuzz_cfg(d, 0x04, 2, 1, 0x7);
    fuzz_phys(d, FUZZ_BAR0 + (8u << 20), 8, 1, 0x200001);
    fuzz_phys(d, FUZZ_BAR0 + (8u << 20) + 8, 8, 1, 0x201001);
    fuzz_phys(d, FUZZ_BAR2 + 0x40, 4, 1, 0x11223344);
    fuzz_mmio(d, FUZZ_BAR0 + 0x70180, 4, 1, 0x84000000u); /* PLANE_CTL: on */
    fuzz_mmio(d, FUZZ_BAR0 + 0x7019c, 4, 1, 0);           /* PLANE_SURF */
    fuzz_mmio(d, FUZZ_BAR0 + 0x70008, 4, 1, 0x80000000u); /* TRANSCONF: on */
    fuzz_mmio(d, FUZZ_BAR0 + 0x44204, 4, 1, 0);           /* DE pipe IMR */
    fuzz_mmio(d, FUZZ_BAR0 + SCRATCH, 4, 1, 0x111);
    fuzz_set_mode_640x480(d); /* captures of 1.2 MiB, not 1080p's 8 MiB */
    fuzz_run(d, 4);
}

/* After the checkpoint, before the daemon dies: a store, vblank unmasked
 * (a flip waits), the interrupt moved to another CPU, half a submission
 * (two of ELSP's four dwords: the engines' state has elsp_writes 2). */
static void guest_goes_on(struct fuzz_dev *d, bool bars)
{
    if (!bars)
        return;
    fuzz_mmio(d, FUZZ_BAR0 + SCRATCH, 4, 1, 0xdef);
    fuzz_mmio(d, FUZZ_BAR0 + 0x44404, 4, 1, ~1u);
    fuzz_mmio(d, FUZZ_BAR0 + 0x7019c, 4, 1, 0x1000);       /* a flip armed */
    fuzz_cfg(d, 0xb4, 2, 1, 0x42);
    fuzz_mmio(d, FUZZ_BAR0 + 0x2230, 4, 1, 0);             /* RCS ELSP */
    fuzz_mmio(d, FUZZ_BAR0 + 0x2230, 4, 1, 0);
    fuzz_run(d, 2);
}

static void make_live_path(void)
{
    if (live_path[0])
        return;
    struct stat st;
    const char *dir = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
    snprintf(live_path, sizeof(live_path), "%s/fuzz-live-%d.live", dir, (int)getpid());
}

static void remove_live(void)
{
    unlink(live_path);
}

/* Each checkpoint as the dead daemon's supervisor took it: a first daemon
 * (with its own live-state file) serves a guest that works, then saves.
 * `seeds`: the guest then goes on and the daemon's live-state file, as it
 * stands, is kept in *seed (malloc'd copy of the file). */
static void make_checkpoint(struct checkpoint *c, uint8_t **seed)
{
    fuzz_xen_reset();
    static struct daemon dm;
    memset(&dm, 0, sizeof(dm));
    dm.opt = parsed_options("unused", false);
    apply_options(&dm, c->options);
    struct vgpu_config vc = config_from(&dm.opt);
    fx.physmap = true;
    unlink(live_path);
    if (set_up(&dm, &vc, false) != EXIT_OK)
        abort();
    struct fuzz_dev d = as_fuzz_dev(&dm);
    guest_works(&d, c->bars);
    read_fixed(&d, &c->id, c->bars ? c->pvinfo : NULL);
    size_bars(&d, c->bar_size);
    uint8_t *blob;
    size_t len;
    if (vgpu_save(dm.vgpu, &blob, &len) < 0)
        abort();
    c->fd = memfd_create("fuzz-live-checkpoint", MFD_CLOEXEC);
    if (c->fd < 0 || write(c->fd, blob, len) != (ssize_t)len)
        abort();
    free(blob);
    snprintf(c->path, sizeof(c->path), "/proc/self/fd/%d", c->fd);
    if (seed) {
        guest_goes_on(&d, c->bars);
        *seed = malloc(dm.live.len);
        if (!*seed)
            abort();
        memcpy(*seed, dm.live.map, dm.live.len);
    }
    fuzz_dev_stop(&d);
    tear_down(&dm);
}

static void init(uint8_t **seeds)
{
    /* A vGPU per input allocates and frees its 8 MiB GGTT: glibc would
     * raise its mmap threshold after the first free and serve the next
     * from the heap, memset whole (the daemon allocates it once, fresh
     * zero pages). The rest of an input's big buffers (the predecessor's
     * file copied, a capture's frame) are reused heap, not pages faulted
     * in afresh each time: faults were most of an input's time. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    fuzz_xen_init();
    log_set_level(getenv("FUZZ_LOG") ? LOGL_DEBUG : LOGL_ERROR);
    make_live_path();
    atexit(remove_live);
    engines_size = vgpu_engines_state_size();
    file_len = HDR_PAGE + vgpu_register_file_size() + engines_size + vgpu_pcicfg_size();
    for (unsigned i = 0; i < 4; i++)
        make_checkpoint(&ckpts[i], seeds ? &seeds[i] : NULL);
}

/* The predecessor's file, from the input (the format above). */
static void write_predecessor(const uint8_t *data, size_t size)
{
    static uint8_t *file;
    static uint8_t touched[2048]; /* the file's 4 KiB pages written last time */
    if (!file && !(file = calloc(1, file_len)))
        abort();
    unlink(live_path);
    uint8_t flags = data[0];
    if (flags & 0x10)
        return;
    for (size_t p = 0; p < file_len / 4096 + 1 && p < sizeof(touched); p++)
        if (touched[p]) {
            size_t at = p * 4096, n = file_len - at < 4096 ? file_len - at : 4096;
            memset(file + at, 0, n);
            touched[p] = 0;
        }
    const uint8_t *in = data + 1, *end = data + size;
    size_t regs_at = HDR_PAGE, engines_at = regs_at + vgpu_register_file_size(),
           cfg_at = engines_at + engines_size;
    size_t n = (size_t)(end - in) < HDR_SIZE ? (size_t)(end - in) : HDR_SIZE;
    memcpy(file, in, n);
    in += n;
    n = (size_t)(end - in) < CFG_IN ? (size_t)(end - in) : CFG_IN;
    memcpy(file + cfg_at, in, n);
    in += n;
    n = (size_t)(end - in) < engines_size ? (size_t)(end - in) : engines_size;
    memcpy(file + engines_at, in, n);
    in += n;
    touched[0] = 1;
    for (size_t at = engines_at; at < file_len; at += 4096)
        touched[at / 4096] = 1;
    touched[(file_len - 1) / 4096] = 1;
    uint32_t nregs = (uint32_t)(vgpu_register_file_size() / 4);
    for (; end - in >= 8; in += 8) {
        uint32_t idx, val;
        memcpy(&idx, in, 4);
        memcpy(&val, in + 4, 4);
        idx %= nregs;
        memcpy(file + regs_at + (size_t)idx * 4, &val, 4);
        touched[(regs_at + (size_t)idx * 4) / 4096] = 1;
    }
    int fd = open(live_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t len = file_len - ((flags & 0x08) ? 1 : 0);
    if (fd < 0 || ftruncate(fd, (off_t)len) < 0)
        abort();
    for (size_t p = 0; p * 4096 < len && p < sizeof(touched); p++) {
        if (!touched[p])
            continue;
        size_t at = p * 4096, cnt = len - at < 4096 ? len - at : 4096;
        if (pwrite(fd, file + at, cnt, (off_t)at) != (ssize_t)cnt)
            abort();
    }
    close(fd);
}

static uint8_t good_header[HDR_SIZE];
static void write_seeds(const char *dir);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        if (getenv("FUZZ_LIVE_SEEDS")) {
            write_seeds(getenv("FUZZ_LIVE_SEEDS"));
            exit(0);
        }
        uint8_t *files[4] = { NULL };
        init(files);
        memcpy(good_header, files[0], HDR_SIZE);
        for (unsigned i = 0; i < 4; i++)
            free(files[i]);
        ready = true;
    }
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    struct checkpoint *c = &ckpts[flags & 3];
    fuzz_xen_reset();
    /* The dead daemon's file, then what its supervisor saw of the guest. */
    const uint8_t *in = data;
    if ((flags & 0x04) && size >= 1 + HDR_SIZE) {
        static uint8_t *copy;
        static size_t cap;
        if (size > cap) {
            free(copy);
            if (!(copy = malloc(cap = size)))
                abort();
        }
        /* This build's header for this domain: what live_state_open
         * wrote in the first daemons' files. */
        memcpy(copy, data, size);
        memcpy(copy + 1, good_header, HDR_SIZE);
        in = copy;
    }
    write_predecessor(in, size);
    guest_memory(c->memory);
    /* A vCPU's access was in flight when the daemon died: the successor
     * answers it once its server is enabled. */
    shared_iopage_t *iop = (shared_iopage_t *)((uint8_t *)fx.ioreq_pages + 4096);
    ioreq_t *slot = &iop->vcpu_ioreq[WAITING_VCPU];
    uint32_t eport = slot->vp_eport;
    *slot = (ioreq_t){ .addr = FUZZ_BAR0 + SCRATCH, .count = 1, .size = 4, .dir = IOREQ_READ,
                       .type = IOREQ_TYPE_COPY, .vp_eport = eport,
                       .state = STATE_IOREQ_READY };

    static struct daemon dm;
    memset(&dm, 0, sizeof(dm));
    dm.opt = parsed_options(c->path, true);
    apply_options(&dm, c->options);
    struct vgpu_config vc = config_from(&dm.opt);
    int code = set_up(&dm, &vc, true);
    if (code != EXIT_OK) {
        /* The checkpoint is good: no live-state file may stop the guest
         * from being served. */
        fprintf(stderr, "fuzz_live: set-up ended with %d\n", code);
        abort();
    }
    if (slot->state != STATE_IORESP_READY) {
        fprintf(stderr, "fuzz_live: the waiting vCPU was not answered\n");
        abort();
    }
    slot->state = STATE_IOREQ_NONE;
    struct fuzz_dev d = as_fuzz_dev(&dm);
    uint32_t id, pvinfo[PVINFO_HOST / 4];
    read_fixed(&d, &id, c->bars ? pvinfo : NULL);
    if (id != c->id || !bars_keep_size(&d, c->bar_size)) {
        fprintf(stderr, "fuzz_live: the file changed the device's identity or BAR sizes\n");
        abort();
    }
    struct vgpu_stats vs;
    vgpu_get_stats(d.vgpu, &vs);
    if (c->bars && vs.bar0 != UINT64_MAX &&
        memcmp(pvinfo, c->pvinfo, sizeof(pvinfo)) != 0) {
        for (unsigned i = 0; i < PVINFO_HOST / 4; i++)
            if (pvinfo[i] != c->pvinfo[i])
                fprintf(stderr, "fuzz_live: PVINFO %#x reads %#x, this daemon says %#x\n",
                        PVINFO + i * 4, pvinfo[i], c->pvinfo[i]);
        abort();
    }
    /* The guest carries on. */
    static const uint32_t regs[] = { SCRATCH, 0x44200, 0x44404, 0x2034, 0x2234, 0x70180,
                                     0x7019c, 0x6001c, 0xc5108, 0x4400, 0x2230 };
    bool shown = false; /* pipe A and its plane on */
    if (vs.bar0 != UINT64_MAX) {
        for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
            fuzz_mmio(&d, vs.bar0 + regs[i], 4, 0, 0);
        shown = (fuzz_mmio(&d, vs.bar0 + 0x70008, 4, 0, 0) &
                 fuzz_mmio(&d, vs.bar0 + 0x70180, 4, 0, 0)) >> 31;
        fuzz_phys(&d, vs.bar0 + (8u << 20), 8, 0, 0);
        fuzz_mmio(&d, vs.bar0 + 0x44200, 4, 1, 0x80000000u); /* interrupts on */
        fuzz_mmio(&d, vs.bar0 + 0x101008, 4, 1, 1);          /* GFX_FLSH_CNTL */
    }
    if (vs.bar2 != UINT64_MAX) {
        fuzz_phys(&d, vs.bar2 + 0x10, 4, 1, 0x5a5a5a5a);
        fuzz_phys(&d, vs.bar2 + 0x10, 4, 0, 0);
    }
    uint32_t bar4 = (uint32_t)fuzz_cfg(&d, 0x20, 4, 0, 0);
    if (bar4 & 1) {
        ioreq_t r = { .addr = bar4 & ~3u, .data = SCRATCH, .count = 1, .size = 4,
                      .dir = IOREQ_WRITE, .type = IOREQ_TYPE_PIO };
        fuzz_ioreq(&d, 0, &r);
        r.addr += 4, r.dir = IOREQ_READ;
        fuzz_ioreq(&d, 0, &r);
    }
    fuzz_run(&d, 6);
    /* What the live registers show (the plane decoder on them); a blank
     * frame, a memset, is left to fuzz_display. */
    struct vgpu_frame fr;
    if (shown && vgpu_capture(d.vgpu, &fr) == 0)
        free(fr.pixels);
    uint8_t *blob;
    size_t len;
    if (vgpu_save(d.vgpu, &blob, &len) < 0)
        abort(); /* what the successor serves can be checkpointed again */
    free(blob);
    fuzz_dev_stop(&d);
    tear_down(&dm);
    return 0;
}

/* --- seeds: what the daemon's live_state code writes --------------------- */

static void put_seed(const char *dir, const char *name, uint8_t flags, const uint8_t *file)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f)
        abort();
    size_t regs_at = HDR_PAGE, engines_at = regs_at + vgpu_register_file_size(),
           cfg_at = engines_at + engines_size;
    fwrite(&flags, 1, 1, f);
    fwrite(file, 1, HDR_SIZE, f);
    fwrite(file + cfg_at, 1, CFG_IN, f);
    fwrite(file + engines_at, 1, engines_size, f);
    const uint32_t *regs = (const uint32_t *)(file + regs_at);
    for (uint32_t i = 0; i < vgpu_register_file_size() / 4; i++) {
        if (regs[i]) {
            fwrite(&i, 4, 1, f);
            fwrite(&regs[i], 4, 1, f);
        }
    }
    fclose(f);
}

static void write_seeds(const char *dir)
{
    uint8_t *files[4] = { NULL };
    init(files);
    char name[128];
    for (unsigned i = 0; i < 4; i++) {
        put_seed(dir, ckpts[i].name, (uint8_t)i, files[i]);
        snprintf(name, sizeof(name), "%s-header-fixed", ckpts[i].name);
        put_seed(dir, name, (uint8_t)(i | 0x04), files[i]);
    }
    /* The refusals: another domain's file, a short one, none. */
    uint8_t *other = files[0];
    uint32_t domid = 8;
    memcpy(other + 12, &domid, 4);
    put_seed(dir, "another-domain", 0, other);
    put_seed(dir, "short", 0x04 | 0x08, files[1]);
    put_seed(dir, "none", 0x10 | 1, files[1]);
    for (unsigned i = 0; i < 4; i++)
        free(files[i]);
    /* Real files a daemon left (FUZZ_LIVE_FROM): this domain's header. */
    const char *from = getenv("FUZZ_LIVE_FROM");
    char list[4096];
    snprintf(list, sizeof(list), "%s", from ? from : "");
    for (char *save, *path = strtok_r(list, " ", &save); path;
         path = strtok_r(NULL, " ", &save)) {
        FILE *f = fopen(path, "rb");
        uint8_t *file = calloc(1, file_len);
        if (!f || !file || fread(file, 1, file_len, f) != file_len) {
            fprintf(stderr, "%s: not a live-state file of this build\n", path);
            exit(1);
        }
        fclose(f);
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        for (unsigned i = 0; i < 2; i++) { /* the checkpoints it may meet */
            snprintf(name, sizeof(name), "real-%s-%s", base, ckpts[i].name);
            put_seed(dir, name, (uint8_t)(i | 0x04), file);
        }
        free(file);
    }
}
