/* The control socket's commands (see xengvtd(8), CONTROL PROTOCOL). */
#include "config.h"
#include "daemon/daemon.h"
#include "daemon/control.h"
#include "evtchn/irq.h"
#include "ioreq/server.h"
#include "ioreq/guestmem.h"
#include "ioreq/dirtylog.h"
#include "gvt/vgpu.h"
#include "host/png.h"
#include "host/vnc.h"
#include "host/kms.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void describe_frame(struct json_writer *w, const struct vgpu_frame *f,
                           const char *format)
{
    json_u64(w, "width", f->width);
    json_u64(w, "height", f->height);
    json_bool(w, "blank", f->blank);
    if (f->blank)
        json_str(w, "reason", f->reason);
    json_str(w, "format", format);
    json_u64(w, "seq", f->seq);
    json_u64(w, "damage_y0", f->damage_y0);
    json_u64(w, "damage_y1", f->damage_y1);
}


static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Every capture goes through here: the time it takes is the daemon's
 * (status capture_ns; bench_capture reports it against memcpy). */
static int capture_view(struct daemon *d, struct vgpu_frame *f)
{
    uint64_t t0 = now_ns();
    int rc = vgpu_capture_view(d->vgpu, f);
    d->capture_ns += now_ns() - t0;
    return rc;
}

int daemon_capture_frame(void *opaque, struct host_frame *hf)
{
    struct daemon *d = opaque;
    struct vgpu_frame f;
    int rc = capture_view(d, &f);
    if (rc < 0)
        return rc;
    hf->pixels = f.pixels;
    hf->width = f.width;
    hf->height = f.height;
    hf->seq = f.seq;
    hf->damage_y0 = f.damage_y0;
    hf->damage_y1 = f.damage_y1;
    return 0;
}

void daemon_commands_release(struct daemon *d)
{
    free(d->png);
    d->png = NULL;
    d->png_len = 0;
}

static void sbdf_str(uint32_t sbdf, char *buf, size_t len)
{
    snprintf(buf, len, "%04x:%02x:%02x.%u", sbdf >> 16, (sbdf >> 8) & 0xff,
             (sbdf >> 3) & 0x1f, sbdf & 7);
}

static int cmd_status(void *opaque, const struct json_object *req,
                      struct control_reply *reply)
{
    struct daemon *d = opaque;
    (void)req;
    struct ioreq_stats is;
    struct gmem_stats gs;
    struct vgpu_stats vs;
    ioreq_get_stats(d->srv, &is);
    gmem_get_stats(d->gm, &gs);
    vgpu_get_stats(d->vgpu, &vs);
    struct json_writer *w = reply->json;
    char sbdf[16];
    sbdf_str(d->opt.sbdf, sbdf, sizeof(sbdf));
    json_u64(w, "domid", d->opt.domid);
    json_str(w, "sbdf", sbdf);
    json_str(w, "type", d->opt.type_name);
    json_u64(w, "vcpus", is.vcpus);
    json_u64(w, "ioreq_server", ioreq_server_id(d->srv));
    json_u64(w, "adopted_waiting", is.adopted_waiting);
    json_bool(w, "legacy_mapping", is.legacy_mapping);
    json_u64(w, "ioreq_pio", is.pio);
    json_u64(w, "ioreq_mmio", is.mmio);
    json_u64(w, "ioreq_pci", is.pci_config);
    json_u64(w, "ioreq_buffered", is.buffered);
    json_u64(w, "ioreq_rejected", is.rejected);
    json_u64(w, "msis", d->irq.msis_injected);
    json_u64(w, "msi_failures", d->irq.msi_failures);
    json_u64(w, "msi_retries", vs.msi_retries);
    json_bool(w, "msi_enabled", vs.msi_enabled);
    json_u64(w, "irq_events", vs.irq_events);
    json_u64(w, "vblanks", vs.vblanks);
    json_u64(w, "ggtt_writes", vs.ggtt_writes);
    json_u64(w, "ggtt_invalid", vs.ggtt_invalid);
    json_u64(w, "ggtt_dropped", vs.ggtt_dropped);
    json_bool(w, "ggtt_in_ram", vs.ggtt_in_ram);
    json_u64(w, "ggtt_ram_gfn", vs.gsm_gfn);
    json_u64(w, "ggtt_ram_moves", vs.gsm_relocations);
    json_bool(w, "aperture_in_ram", vs.aperture_in_ram);
    json_u64(w, "aperture_syncs", vs.aperture_syncs);
    json_u64(w, "aperture_pages_out", vs.aperture_out);
    json_u64(w, "aperture_pages_in", vs.aperture_in);
    /* Trapped accesses by kind: what the guest paid an ioreq for. */
    json_u64(w, "trap_config", is.pci_config);
    json_u64(w, "trap_regs", vs.trap_regs);
    json_u64(w, "trap_pvinfo", vs.trap_pvinfo);
    json_u64(w, "trap_ggtt", vs.trap_ggtt);
    json_u64(w, "trap_aperture", vs.trap_aperture);
    json_u64(w, "display_ready", vs.display_ready);
    json_u64(w, "bar0", vs.bar0);
    json_u64(w, "bar2", vs.bar2);
    json_u64(w, "map_cache_hits", gs.hits);
    json_u64(w, "map_cache_maps", gs.maps);
    json_u64(w, "map_cache_buckets", gs.mapped_buckets);
    json_u64(w, "map_cache_faults", gs.faults);
    struct dirtylog_stats ds;
    dirtylog_get_stats(d->dl, &ds);
    json_bool(w, "dirty_log", ds.enabled);
    json_u64(w, "modified_reported", ds.reported);
    json_u64(w, "modified_dm_ops", ds.dm_ops);
    json_u64(w, "modified_lost", ds.lost);
    json_u64(w, "guest_warnings", log_guest_warnings());
    json_u64(w, "flips", vs.flips);
    json_u64(w, "elsp_submissions", vs.elsp_submissions);
    json_u64(w, "ctx_completions", vs.ctx_completions);
    json_u64(w, "elsp_lite_restores", vs.elsp_lite_restores);
    json_u64(w, "elsp_context_switches", vs.elsp_context_switches);
    json_u64(w, "ctx_holds", vs.ctx_holds);
    json_u64(w, "ctx_holds_expired", vs.ctx_holds_expired);
    json_u64(w, "csb_events", vs.csb_events);
    json_u64(w, "engine_errors", vs.engine_errors);
    json_u64(w, "cs_dwords", vs.cs_dwords);
    json_u64(w, "cs_skipped", vs.cs_skipped);
    json_u64(w, "blits", vs.blits);
    json_u64(w, "ppgtt_walks", vs.ppgtt_walks);
    json_u64(w, "ppgtt_tlb_hits", vs.ppgtt_tlb_hits);
    json_u64(w, "wp_pages", vs.wp_pages);
    json_u64(w, "wp_writes", vs.wp_writes);
    json_u64(w, "wp_released", vs.wp_released);
    json_u64(w, "captures", vs.captures);
    json_u64(w, "captures_unchanged", vs.captures_unchanged);
    json_u64(w, "capture_pages_read", vs.capture_pages_read);
    json_u64(w, "captures_unread", vs.captures_unread);
    json_u64(w, "scanout_write_traps", vs.scanout_write_traps);
    json_bool(w, "scanout_watched", vgpu_scanout_watched(d->vgpu));
    json_u64(w, "capture_ns", d->capture_ns);
    json_u64(w, "vnc_clients", d->vnc ? host_vnc_clients(d->vnc) : 0);
    json_bool(w, "vnc_serving", d->vnc != NULL);
    /* For rates (xengvt top): when these counters were read, the
     * daemon's CPU time, each engine's work, the mode on pipe A. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    json_u64(w, "now_ns", (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0)
        json_u64(w, "cpu_ns", (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
    for (unsigned i = 0; i < VGPU_ENGINES; i++) {
        struct vgpu_engine_stats es;
        char key[32];
        vgpu_get_engine_stats(d->vgpu, i, &es);
        snprintf(key, sizeof(key), "%s_busy_ns", es.name);
        json_u64(w, key, es.busy_ns);
        snprintf(key, sizeof(key), "%s_batches", es.name);
        json_u64(w, key, es.batches);
    }
    struct vgpu_display_info di;
    vgpu_get_display(d->vgpu, &di);
    json_bool(w, "display_pipe_on", di.pipe_on);
    json_bool(w, "display_plane_on", di.plane_on);
    json_u64(w, "display_width", di.width);
    json_u64(w, "display_height", di.height);
    json_u64(w, "display_refresh_hz", di.refresh_hz);
    if (d->kms) {
        struct host_kms_stats ks;
        host_kms_get_stats(d->kms, &ks);
        json_str(w, "kms_connector", ks.connector);
        json_u64(w, "kms_width", ks.mode_w);
        json_u64(w, "kms_height", ks.mode_h);
        json_u64(w, "kms_frames", ks.frames);
    }
    return 0;
}

/* The monitor's EDID as the guest reads it (128 bytes). */
static int cmd_edid(void *opaque, const struct json_object *req, struct control_reply *reply)
{
    struct daemon *d = opaque;
    (void)req;
    uint8_t *edid = malloc(128);
    if (!edid)
        return -ENOMEM;
    vgpu_get_edid(d->vgpu, edid);
    reply->payload = edid;
    reply->payload_len = 128;
    return 0;
}

/* The current frame as a PNG payload. */
static int cmd_screenshot(void *opaque, const struct json_object *req,
                          struct control_reply *reply)
{
    struct daemon *d = opaque;
    (void)req;
    struct vgpu_frame f;
    int rc = capture_view(d, &f);
    if (rc < 0)
        return rc;
    /* An unchanged screen is the PNG we made of it: no encode (~15 ms). */
    if (!d->png || d->png_seq != f.seq) {
        void *png;
        size_t len;
        rc = host_png_encode(f.pixels, f.width, f.height, &png, &len);
        if (rc < 0)
            return rc;
        free(d->png);
        d->png = png;
        d->png_len = len;
        d->png_seq = f.seq;
    }
    reply->payload = malloc(d->png_len);
    if (!reply->payload)
        return -ENOMEM;
    memcpy(reply->payload, d->png, d->png_len);
    reply->payload_len = d->png_len;
    describe_frame(reply->json, &f, "png");
    return 0;
}

/* The current frame raw (XRGB8888 little-endian, width*height*4 bytes), for
 * live-view clients and harnesses that compare pixels themselves. */
static int cmd_frame(void *opaque, const struct json_object *req,
                     struct control_reply *reply)
{
    struct daemon *d = opaque;
    (void)req;
    struct vgpu_frame f;
    int rc = capture_view(d, &f);
    if (rc < 0)
        return rc;
    size_t len = (size_t)f.width * f.height * 4;
    reply->payload = malloc(len);
    if (!reply->payload)
        return -ENOMEM;
    memcpy(reply->payload, f.pixels, len);
    reply->payload_len = len;
    describe_frame(reply->json, &f, "xrgb8888");
    return 0;
}

/* {"cmd":"hotplug","connected":false} unplugs the monitor, true plugs it. */
static int cmd_hotplug(void *opaque, const struct json_object *req,
                       struct control_reply *reply)
{
    struct daemon *d = opaque;
    const struct json_field *c = json_get(req, "connected");
    if (!c || c->is_string)
        return -EINVAL;
    vgpu_set_monitor(d->vgpu, c->num != 0);
    json_bool(reply->json, "connected", c->num != 0);
    return 0;
}

/* {"cmd":"pause"} / {"cmd":"resume"}: quiesce the vGPU (no vblanks, no
 * command execution) while the toolstack suspends or saves the domain. */
static int cmd_pause(void *opaque, const struct json_object *req, struct control_reply *reply)
{
    struct daemon *d = opaque;
    (void)req;
    vgpu_pause(d->vgpu, true);
    json_bool(reply->json, "paused", true);
    return 0;
}

static int cmd_resume(void *opaque, const struct json_object *req, struct control_reply *reply)
{
    struct daemon *d = opaque;
    (void)req;
    vgpu_pause(d->vgpu, false);
    json_bool(reply->json, "paused", false);
    return 0;
}

/* {"cmd":"dirty-log","enable":true|false}: report the guest pages the
 * daemon writes to Xen's log-dirty mode, or stop (dirtylog.h). The
 * toolstack turns it on for a live migration's memory copy, as libxl asks
 * QEMU with `xen-set-global-dirty-log` (tools/libs/light/libxl_dom_save.c:
 * 229, Xen 4.17), and off when the stream is done. */
static int cmd_dirty_log(void *opaque, const struct json_object *req,
                         struct control_reply *reply)
{
    struct daemon *d = opaque;
    const struct json_field *on = json_get(req, "enable");
    if (!on || on->is_string)
        return -EINVAL;
    dirtylog_flush(d->dl); /* what is pending was written under the old mode */
    dirtylog_enable(d->dl, on->num != 0);
    vgpu_set_migrating(d->vgpu, on->num != 0);
    log_info("dom%u: dirty log %s", d->opt.domid, on->num ? "on" : "off");
    json_bool(reply->json, "dirty_log", on->num != 0);
    return 0;
}

/* The device state as the reply's payload (and its size in the reply).
 * Taking it may write guest memory (the aperture's frames are synced):
 * those pages are reported before the answer, which is the toolstack's cue
 * to take its last copy of the guest's memory. */
static int save_state(struct daemon *d, struct control_reply *reply, uint8_t **blob, size_t *len)
{
    int rc = vgpu_save(d->vgpu, blob, len);
    if (rc < 0)
        return rc;
    dirtylog_flush(d->dl);
    json_u64(reply->json, "state_bytes", *len);
    reply->payload = *blob;
    reply->payload_len = *len;
    return 0;
}

/* {"cmd":"save"}: quiesce and return the device state as the payload;
 * with "path":"/abs/file" write it there instead (atomically: a temporary
 * file renamed into place). The vGPU stays paused until "resume". */
static int cmd_save(void *opaque, const struct json_object *req, struct control_reply *reply)
{
    struct daemon *d = opaque;
    const struct json_field *path = json_get(req, "path");
    if (path && (!path->is_string || path->str[0] != '/'))
        return -EINVAL;
    vgpu_pause(d->vgpu, true);
    uint8_t *blob;
    size_t len;
    int rc = save_state(d, reply, &blob, &len);
    struct dirtylog_stats ds;
    dirtylog_get_stats(d->dl, &ds);
    if (rc == 0 && ds.enabled && ds.lost) {
        /* A page the destination may get stale: the migration must fail
         * (the toolstack then resumes the guest here). */
        log_error("dom%u: refusing to save: %llu page%s written during the migration "
                  "could not be reported to Xen (see above)", d->opt.domid,
                  (unsigned long long)ds.lost, ds.lost > 1 ? "s" : "");
        return -EIO; /* the control frees the payload */
    }
    if (rc < 0 || !path)
        return rc;
    reply->payload = NULL; /* to the file instead */
    reply->payload_len = 0;
    rc = daemon_write_file(path->str, blob, len);
    free(blob);
    if (rc == 0)
        json_str(reply->json, "path", path->str);
    return rc;
}

/* {"cmd":"checkpoint"}: the device state as the payload, taken between
 * two guest accesses, without stopping the guest: what a supervisor keeps
 * to restart this daemon (--restore, --adopt-server) should it die. */
static int cmd_checkpoint(void *opaque, const struct json_object *req,
                          struct control_reply *reply)
{
    struct daemon *d = opaque;
    (void)req;
    /* No pause: the event loop runs one thing at a time, so the state is
     * whole between two accesses, and pausing would re-phase the vblank
     * timer the guest is watching. Work in flight is in the state. */
    uint8_t *blob;
    size_t len;
    int rc = save_state(d, reply, &blob, &len);
    if (rc == 0)
        json_u64(reply->json, "ioreq_server", ioreq_server_id(d->srv));
    return rc;
}

/* {"cmd":"reg","reg":"0x2230"} or {"cmd":"reg","reg":"RING_ELSP(rcs0)"}:
 * one MMIO register, who owns it and what it holds (xengvt reg). */
static int cmd_reg(void *opaque, const struct json_object *req, struct control_reply *reply)
{
    struct daemon *d = opaque;
    const struct json_field *which = json_get(req, "reg");
    if (!which || !which->is_string || !which->str[0]) {
        snprintf(reply->error, sizeof(reply->error), "\"reg\" names a register or an offset");
        return -EINVAL;
    }
    struct vgpu_reg_info ri;
    int rc;
    if (which->str[0] >= '0' && which->str[0] <= '9') {
        char *end;
        errno = 0;
        unsigned long off = strtoul(which->str, &end, 0);
        if (errno || *end || off > UINT32_MAX) {
            snprintf(reply->error, sizeof(reply->error), "not an offset: %.64s", which->str);
            return -EINVAL;
        }
        rc = vgpu_describe_reg(d->vgpu, (uint32_t)off, &ri);
        if (rc < 0)
            snprintf(reply->error, sizeof(reply->error),
                     "offset %#lx is not a dword of the register file (0 to 0x1ffffc)", off);
    } else {
        rc = vgpu_describe_reg_named(d->vgpu, which->str, &ri);
        if (rc < 0)
            snprintf(reply->error, sizeof(reply->error), "unknown register: %.64s",
                     which->str);
    }
    if (rc < 0)
        return rc;
    struct json_writer *w = reply->json;
    char hex[16];
    snprintf(hex, sizeof(hex), "%#x", ri.offset);
    json_str(w, "offset", hex);
    json_bool(w, "tracked", ri.tracked);
    if (ri.tracked) {
        json_str(w, "name", ri.name);
        json_str(w, "owner", ri.owner);
        if (ri.override_of) {
            json_str(w, "overrides", ri.override_of);
            json_str(w, "override_reason", ri.override_why);
        }
    }
    snprintf(hex, sizeof(hex), "%#010x", ri.value);
    json_str(w, "value", hex);
    if (!ri.tracked)
        return 0;
    snprintf(hex, sizeof(hex), "%#010x", ri.reset);
    json_str(w, "reset", hex);
    snprintf(hex, sizeof(hex), "%#010x", ri.ro_mask);
    json_str(w, "ro_mask", hex);
    json_bool(w, "masked", ri.masked);
    json_bool(w, "cmd_access", ri.cmd_access);
    json_bool(w, "w1c", ri.w1c);
    json_bool(w, "read_only", ri.read_only);
    json_bool(w, "read_hook", ri.read_hook);
    json_bool(w, "write_hook", ri.write_hook);
    return 0;
}

/* {"cmd":"traps"} or {"cmd":"traps","top":N}: the registers the guest
 * trapped on most since the daemon started, busiest first (xengvt
 * traps): what a trap rate is made of, and what to emulate cheaper.
 * Flat, as every answer is (a client's parser takes no nesting): three
 * fields per register, keyed by its offset, in that order:
 * "name@0x2230":"RING_ELSP(rcs0)","reads@0x2230":0,"writes@0x2230":8.
 * An untracked register is counted with its page, named "untracked". */
#define TRAPS_TOP_DEFAULT 20
#define TRAPS_TOP_MAX 64
static int cmd_traps(void *opaque, const struct json_object *req, struct control_reply *reply)
{
    struct daemon *d = opaque;
    const struct json_field *top = json_get(req, "top");
    int64_t want = TRAPS_TOP_DEFAULT;
    if (top) {
        if (top->is_string || top->num < 1 || top->num > TRAPS_TOP_MAX) {
            snprintf(reply->error, sizeof(reply->error), "\"top\" is a count from 1 to %d",
                     TRAPS_TOP_MAX);
            return -EINVAL;
        }
        want = top->num;
    }
    struct vgpu_trap_count counts[TRAPS_TOP_MAX];
    unsigned n = vgpu_top_traps(d->vgpu, counts, (unsigned)want);
    struct json_writer *w = reply->json;
    for (unsigned i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof(key), "name@%#x", counts[i].offset);
        json_str(w, key, counts[i].name ? counts[i].name : "untracked");
        snprintf(key, sizeof(key), "reads@%#x", counts[i].offset);
        json_u64(w, key, counts[i].reads);
        snprintf(key, sizeof(key), "writes@%#x", counts[i].offset);
        json_u64(w, key, counts[i].writes);
    }
    return 0;
}

const struct control_command daemon_commands[] = {
    { "checkpoint", cmd_checkpoint },
    { "pause", cmd_pause },
    { "resume", cmd_resume },
    { "save", cmd_save },
    { "hotplug", cmd_hotplug },
    { "status", cmd_status },
    { "dirty-log", cmd_dirty_log },
    { "screenshot", cmd_screenshot },
    { "frame", cmd_frame },
    { "edid", cmd_edid },
    { "reg", cmd_reg },
    { "traps", cmd_traps },
    { NULL, NULL },
};

