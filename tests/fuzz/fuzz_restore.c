/* Fuzz target: `xengvtd --restore FILE` end to end. The file is read and
 * checked whole (daemon_restore_read, daemon_restore_check), a fresh vGPU is built from it on a
 * fresh ioreq server (daemon_vgpu_build: created, restored, its GGTT and
 * aperture RAM adopted where the saved guest had them), the server is
 * enabled, and the restored guest touches the device: registers, its
 * GGTT and aperture where the restored BARs put them, time passing, a
 * capture, a BAR switched off and on, a save of what was restored. A
 * refused file must end set-up with EXIT_BAD_STATE; nothing may crash.
 *
 * Input: memory (1) | the state file.
 * The memory byte says which device-model frames `xl restore` brought
 * back with the guest's RAM before starting the daemon (bit 0: 8 MiB at
 * BAR0 + 8 MiB, bit 1: 4 MiB at BAR2, bit 2: 8 MiB at the parking place,
 * bit 3: 4 MiB after it), and the options the toolstack passed (bit 4
 * --aperture-ram, bit 5 --trap-ggtt). The frames come back zero. Bit 6:
 * the harness puts the right CRC-32 in the file's header first (no
 * mutation gets past a checksum; without the bit the check is fuzzed).
 * Bit 7: --io-bar (the vGPU has the MMIO index/data window in BAR4).
 *
 * FUZZ_RESTORE_SEEDS=DIR: writes seeds instead -- state files the daemon
 * saved for guests in a few situations, each with the memory byte that
 * restores it whole. */
#define _GNU_SOURCE 1
#include "vgpu_dev.h"
#include "common/log.h"
#include "common/stateblob.h"
#include "daemon/daemon.h"
#include "evtchn/loop.h"
#include "evtchn/ports.h"
#include "gvt/vgpu.h"
#include "ioreq/guestmem.h"
#include "ioreq/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xenctrl.h>

#define GGTT_PAGES 2048u
#define APR_PAGES 1024u               /* --aperture 4 */
#define GGTT_PLACED ((FUZZ_BAR0 + (8u << 20)) >> 12)
#define APR_PLACED (FUZZ_BAR2 >> 12)
#define PARK (FUZZ_RAM_BYTES >> 12)   /* above the guest's RAM, as ramrange parks */

/* xengvtd's command line for this guest, parsed by the daemon's own
 * option parser; the file and two options vary per input. */
static struct xengvtd_options parsed_options(const char *path)
{
    char *argv[] = { "xengvtd", "--domid", "7", "--sbdf", "00:02.0", "--aperture", "4",
                     "--no-host-identity", "--no-sandbox", "--restore", (char *)path, NULL };
    struct xengvtd_options o;
    int code;
    optind = 0;
    if (options_parse((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv, &o, &code) != 0)
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

/* The guest's memory as xl restore leaves it: RAM, and the frames it had
 * from the device model. false: more frames than the fuzz hypervisor
 * holds (all four runs), a guest no Xen here would have restored. */
static bool restore_memory(unsigned memory)
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
            return false;
    }
    return true;
}

/* The daemon's parts, set up in main.c's order; EXIT_OK or its code. */
static int set_up(struct daemon *dm, const struct vgpu_config *vc)
{
    int code;
    if (dm->opt.restore_path && (code = daemon_restore_read(dm)) != EXIT_OK)
        return code;
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
    struct ioreq_server_params params = { .domid = dm->opt.domid };
    if (ioreq_server_create(&params, dm->dmod, dm->fmem, dm->ports, dm->gm, &dm->srv) < 0)
        abort();
    /* (main.c enters the sandbox here.) */
    if (dm->opt.restore_path && (code = daemon_restore_check(dm, vc)) != EXIT_OK)
        return code;
    code = daemon_vgpu_build(dm, vc);
    if (code == EXIT_OK && ioreq_server_enable(dm->srv) < 0)
        abort();
    return code;
}

static void tear_down(struct daemon *dm)
{
    vgpu_destroy(dm->vgpu);
    ioreq_server_destroy(dm->srv);
    gmem_free(dm->gm);
    evt_ports_close(dm->ports);
    evt_loop_free(dm->loop);
    free(dm->restore_blob);
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

/* The restored guest carries on where it was. */
static void guest_runs(struct fuzz_dev *d)
{
    struct vgpu_stats vs;
    vgpu_get_stats(d->vgpu, &vs);
    uint64_t bar0 = vs.bar0, bar2 = vs.bar2;
    static const uint32_t regs[] = { 0x78000, 0x78010, 0x44200, 0x2034, 0x2234, 0x70180,
                                     0x7019c, 0x6001c, 0xc5108, 0x4400 };
    if (bar0 != UINT64_MAX) {
        for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
            fuzz_mmio(d, bar0 + regs[i], 4, 0, 0);
        fuzz_phys(d, bar0 + (8u << 20), 8, 0, 0);       /* the GGTT, RAM or trapped */
        fuzz_phys(d, bar0 + (8u << 20) + 8, 8, 1, 0x1001);
        fuzz_mmio(d, bar0 + 0x101008, 4, 1, 1);         /* GFX_FLSH_CNTL */
    }
    if (bar2 != UINT64_MAX) {
        fuzz_phys(d, bar2 + 0x10, 4, 1, 0x5a5a5a5a);
        fuzz_phys(d, bar2 + 0x10, 4, 0, 0);
    }
    fuzz_cfg(d, 0x10, 4, 0, 0);
    uint32_t bar4 = (uint32_t)fuzz_cfg(d, 0x20, 4, 0, 0);
    if (bar4 & 1) { /* BAR4, if there is one and it is placed: index, data */
        ioreq_t r = { .addr = bar4 & ~3u, .data = 0x2034, .count = 1, .size = 4,
                      .dir = IOREQ_WRITE, .type = IOREQ_TYPE_PIO };
        fuzz_ioreq(d, 0, &r);
        r.addr += 4, r.dir = IOREQ_READ;
        fuzz_ioreq(d, 0, &r);
    }
    fuzz_run(d, 4);
    struct vgpu_frame fr;
    if (vgpu_capture(d->vgpu, &fr) == 0)
        free(fr.pixels);
    /* Decode off and on again: the adopted frames park and come back. */
    uint16_t cmd = (uint16_t)fuzz_cfg(d, 0x04, 2, 0, 0);
    fuzz_cfg(d, 0x04, 2, 1, cmd & ~2u);
    fuzz_cfg(d, 0x04, 2, 1, cmd);
    uint8_t *blob;
    size_t len;
    if (vgpu_save(d->vgpu, &blob, &len) < 0)
        abort(); /* what was restored can be saved again */
    free(blob);
}

static void write_seeds(const char *dir);

/* The payload's CRC-32 (header bytes 24..27) over what the header's length
 * names, or what there is. */
static void fix_crc(int fd, const uint8_t *file, size_t len)
{
    uint64_t payload;
    memcpy(&payload, file + 16, 8);
    size_t have = len - STATEBLOB_HEADER_SIZE;
    uint32_t crc = stateblob_crc32(file + STATEBLOB_HEADER_SIZE, payload < have ? payload : have);
    uint8_t le[4] = { (uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24) };
    if (pwrite(fd, le, 4, 24) != 4)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        const char *seeds = getenv("FUZZ_RESTORE_SEEDS");
        if (seeds) {
            write_seeds(seeds);
            exit(0);
        }
        fd = memfd_create("fuzz-restore-file", MFD_CLOEXEC);
        if (fd < 0)
            abort();
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    if (size < 1)
        return 0;
    /* The file the toolstack hands the daemon. */
    if (ftruncate(fd, 0) < 0 || pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
        abort();
    if ((data[0] & 0x40) && size - 1 >= STATEBLOB_HEADER_SIZE)
        fix_crc(fd, data + 1, size - 1);
    fuzz_xen_init();
    fuzz_xen_reset();
    log_set_level(getenv("FUZZ_LOG") ? LOGL_DEBUG : LOGL_ERROR);
    static struct daemon dm;
    memset(&dm, 0, sizeof(dm));
    dm.opt = parsed_options(path);
    dm.opt.aperture_ram = data[0] & 0x10;
    dm.opt.trap_ggtt = data[0] & 0x20;
    dm.opt.io_bar = data[0] & 0x80;
    struct vgpu_config vc = config_from(&dm.opt);
    if (!restore_memory(data[0])) {
        tear_down(&dm);
        return 0;
    }
    int code = set_up(&dm, &vc);
    if (code != EXIT_OK && code != EXIT_BAD_STATE)
        abort(); /* the fuzz hypervisor refuses nothing else */
    if (dm.vgpu) {
        struct fuzz_dev d = as_fuzz_dev(&dm);
        if (code == EXIT_OK)
            guest_runs(&d);
        fuzz_dev_stop(&d);
    }
    fuzz_last_fingerprint ^= (uint64_t)code;
    tear_down(&dm);
    return 0;
}

/* --- seeds: what the daemon saves --------------------------------------- */

static void save_seed(const char *dir, const char *name, struct fuzz_dev *d, unsigned memory)
{
    uint8_t *blob;
    size_t len;
    char p[4096];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f || vgpu_save(d->vgpu, &blob, &len) < 0)
        abort();
    uint8_t m = (uint8_t)memory;
    fwrite(&m, 1, 1, f);
    fwrite(blob, 1, len, f);
    fclose(f);
    free(blob);
}

/* A guest that set up its display and bound a page or two. */
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
    fuzz_run(d, 4);
}

static void write_seeds(const char *dir)
{
    static const struct {
        const char *name;
        unsigned options, memory; /* options: the --aperture-ram/--trap-ggtt bits */
        bool bars;
    } cases[] = {
        { "trapped-ggtt", 0x20, 0, true },
        { "ram-ggtt", 0, 1, true },
        { "ram-ggtt-aperture", 0x10, 1 | 2, true },
        { "ram-parked", 0x10, 4 | 8, false },
        { "io-bar", 0x80 | 0x20, 0, true },
    };
    fuzz_xen_init();
    log_set_level(LOGL_ERROR);
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fuzz_xen_reset();
        static struct daemon dm;
        memset(&dm, 0, sizeof(dm));
        dm.opt = parsed_options("unused");
        dm.opt.restore_path = NULL; /* a guest's first start */
        dm.opt.aperture_ram = cases[i].options & 0x10;
        dm.opt.trap_ggtt = cases[i].options & 0x20;
        dm.opt.io_bar = cases[i].options & 0x80;
        struct vgpu_config vc = config_from(&dm.opt);
        fx.physmap = true;
        if (set_up(&dm, &vc) != EXIT_OK)
            abort();
        struct fuzz_dev d = as_fuzz_dev(&dm);
        guest_works(&d, cases[i].bars);
        save_seed(dir, cases[i].name, &d, 0x40 | cases[i].options | cases[i].memory);
        if (cases[i].options & 0x20) /* restored without --trap-ggtt: entries move to RAM */
            save_seed(dir, cases[i].options & 0x80 ? "io-bar-to-ram" : "trapped-to-ram", &d,
                      0x40 | (cases[i].options & ~0x20u));
        fuzz_dev_stop(&d);
        tear_down(&dm);
    }
}
