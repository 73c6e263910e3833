/* xengvtd: one process per guest vGPU. Set-up opens Xen's handles, creates
 * the ioreq server, builds the vGPU, enables the server and then serves
 * from one event loop until the domain goes away or a signal says stop. */
#include "config.h"
#include "daemon/options.h"
#include "daemon/daemon.h"
#include "daemon/domain.h"
#include "daemon/sdnotify.h"
#include "daemon/sandbox.h"
#include "daemon/live_state.h"
#include "evtchn/loop.h"
#include "evtchn/ports.h"
#include "evtchn/irq.h"
#include "ioreq/server.h"
#include "ioreq/guestmem.h"
#include "ioreq/dirtylog.h"
#include "gvt/vgpu.h"
#include "host/hostgpu.h"
#include "daemon/control.h"
#include "host/vnc.h"
#include "host/kms.h"
#include "common/log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xendevicemodel.h>
#include <xenforeignmemory.h>

static void on_signal(void *opaque, int signo)
{
    struct daemon *d = opaque;
    log_info("signal %d: shutting down", signo);
    evt_loop_stop(d->loop, EXIT_OK);
}

static void on_domain_gone(void *opaque)
{
    struct daemon *d = opaque;
    if (!evt_loop_stopping(d->loop))
        log_info("dom%u destroyed: exiting", d->opt.domid);
    evt_loop_stop(d->loop, EXIT_OK);
}

/* The vGPU as the command line and the host describe it. */
/* Every write to guest memory (gmem's hook) goes to the dirty log; what a
 * loop round wrote is reported at its end (off: nothing is kept). */
static void on_guest_write(void *opaque, uint64_t gpa, size_t len)
{
    dirtylog_mark(opaque, gpa, len);
}

static void on_round_end(void *opaque)
{
    dirtylog_flush(opaque); /* failures are logged and counted there */
}

static int vgpu_config_from(const struct xengvtd_options *o, struct vgpu_config *out)
{
    struct vgpu_config vc = {
        .sbdf = o->sbdf,
        .type = vgpu_type_find(o->type_name),
        .device_id = o->device_id,
        .io_bar = o->io_bar,
        .width = o->width,
        .height = o->height,
        .aperture_mb = o->aperture_mb,
    };
    if (vc.aperture_mb > vc.type->aperture_mb) {
        log_error("--aperture %u: %s's aperture slice is at most %u MiB", vc.aperture_mb,
                  vc.type->name, vc.type->aperture_mb);
        return EXIT_USAGE;
    }
    if (vc.width > vc.type->max_width || vc.height > vc.type->max_height) {
        log_error("--resolution %ux%u: %s allows at most %ux%u", vc.width, vc.height,
                  vc.type->name, vc.type->max_width, vc.type->max_height);
        return EXIT_USAGE;
    }
    struct host_gpu_identity host;
    if (o->host_identity && host_gpu_find_intel(&host) > 0) {
        if (!host_gpu_same_paths(host.device_id)) {
            log_info("host Intel GPU %04x is not gen9: presenting Skylake GT2",
                     host.device_id);
        } else {
            log_info("host Intel GPU %04x (rev %02x) at %02x:%02x.%u: presenting "
                     "its identity", host.device_id, host.revision, host.bus,
                     host.dev, host.fn);
            vc.device_id = host.device_id;
            vc.revision = host.revision;
            vc.subsys_vendor = host.subsys_vendor;
            vc.subsys_id = host.subsys_id;
        }
    }
    if (o->device_id)
        vc.device_id = o->device_id; /* the command line has the last word */
    *out = vc;
    return EXIT_OK;
}

static void on_event_channels_failed(void *opaque)
{
    struct daemon *d = opaque;
    evt_loop_stop(d->loop, EXIT_RUNTIME);
}

/* --edid FILE: the admin's, read while files can be opened; applied
 * (and checked) once the vGPU exists. */
static int read_edid(struct daemon *d)
{
    FILE *f = fopen(d->opt.edid_path, "rb");
    d->edid_len = f ? fread(d->edid, 1, sizeof(d->edid), f) : 0;
    if (f)
        fclose(f);
    return EXIT_OK;
}

static int setup(struct daemon *d)
{
    const struct xengvtd_options *o = &d->opt;
    struct vgpu_config vc;
    int code = vgpu_config_from(o, &vc);
    if (code != EXIT_OK)
        return code;
    /* Users and groups are looked up while /etc is reachable. */
    if (o->sandbox && sandbox_resolve(o->runas, o->domid, &d->ids) < 0)
        return EXIT_USAGE;
    const char *chroot_dir = o->chroot_dir;
    if (o->sandbox && !chroot_dir && geteuid() == 0) {
        if (sandbox_prepare_root(XENGVT_RUN_DIR, o->domid, d->chroot_dir,
                                 sizeof(d->chroot_dir)) < 0)
            return EXIT_SANDBOX;
        chroot_dir = d->chroot_dir;
    }
    if (o->edid_path)
        read_edid(d);
    /* Files a daemon wrote (a checkpoint, a live-state file) are read
     * here as bytes and looked at only in the sandbox: a daemon the guest
     * took over may have written them. */
    if (o->restore_path && (code = daemon_restore_read(d)) != EXIT_OK)
        return code;
    if (o->live_state_path) {
        if (live_state_open(o->live_state_path, o->domid, o->adopt && o->restore_path,
                            &d->live, &d->inherited) < 0)
            return EXIT_USAGE;
        vc.regs_storage = d->live.regs;
        vc.engines_storage = d->live.engines;
        vc.pcicfg_storage = d->live.pcicfg;
    }
    int rc = domain_alive(o->domid);
    if (rc <= 0) {
        log_error("dom%u: %s", o->domid, rc == 0 ? "no such domain" : strerror(-rc));
        return rc == 0 ? EXIT_NO_DOMAIN : EXIT_XEN_SETUP;
    }
    if (evt_loop_new(&d->loop) < 0)
        return EXIT_RUNTIME;
    static const int signals[] = { SIGTERM, SIGINT, SIGHUP, 0 };
    if (evt_loop_add_signals(d->loop, signals, on_signal, d) < 0)
        return EXIT_RUNTIME;
    signal(SIGPIPE, SIG_IGN);

    d->dmod = xendevicemodel_open(NULL, 0);
    d->fmem = xenforeignmemory_open(NULL, 0);
    if (!d->dmod || !d->fmem) {
        log_error("opening Xen's device-model/foreign-memory interfaces: %s "
                  "(is this dom0 with privcmd loaded?)", strerror(errno));
        return EXIT_XEN_SETUP;
    }
    if (evt_ports_open(d->loop, &d->ports) < 0)
        return EXIT_XEN_SETUP;
    evt_ports_on_domain_dead(d->ports, on_domain_gone, d);
    evt_ports_on_fatal(d->ports, on_event_channels_failed, d);
    evt_irq_init(&d->irq, d->dmod, o->domid);
    if (gmem_new(d->fmem, o->domid, o->map_cache_buckets, &d->gm) < 0 ||
        dirtylog_new(d->dmod, o->domid, &d->dl) < 0)
        return EXIT_RUNTIME;
    gmem_add_write_hook(d->gm, on_guest_write, d->dl); /* the first: cannot fail */
    evt_loop_on_round_end(d->loop, on_round_end, d->dl);

    struct ioreq_server_params params = { .domid = o->domid,
                                          .legacy_mapping = o->legacy_mapping,
                                          .adopt = o->adopt,
                                          .adopt_id = o->adopt_id };
    if (ioreq_server_create(&params, d->dmod, d->fmem, d->ports, d->gm, &d->srv) < 0)
        return EXIT_XEN_SETUP;
    ioreq_server_on_domain_dead(d->srv, on_domain_gone, d);

    /* A fresh vGPU needs privcmd unrestricted for its RAM (populating
     * frames): built now. One from files is built in the sandbox, where
     * its RAM is adopted from the guest (restricted mappings suffice). */
    bool from_files = d->restore_blob || d->inherited.buf;
    if (!from_files && (code = daemon_build_and_enable(d, &vc)) != EXIT_OK)
        return code;
    if (domain_watch_start(d->loop, o->domid, on_domain_gone, d, &d->watch) < 0)
        return EXIT_XEN_SETUP;
    if (strncmp(o->control_path, XENGVT_RUN_DIR "/", strlen(XENGVT_RUN_DIR) + 1) == 0)
        mkdir(XENGVT_RUN_DIR, 0700); /* the default place; EEXIST is fine */
    if (control_open(d->loop, o->control_path, daemon_commands, d, &d->control) < 0)
        log_warn("serving without a control socket");
    if (o->vnc_listen) {
        int vrc = host_vnc_start(d->loop, o->vnc_listen, daemon_capture_frame, d, &d->vnc);
        /* An address in use is no reason to keep the guest from its vGPU:
         * on the same host it is often this very guest's (a localhost
         * migration's source still serves it until the switch-over; no
         * socket can be made after the sandbox to take it over later). */
        if (vrc == -EADDRINUSE)
            log_warn("--vnc %s: the address is in use (another guest's live view, or this "
                     "guest's migration source on this host): serving without a live view",
                     o->vnc_listen);
        else if (vrc < 0) {
            log_error("--vnc %s: cannot serve the live view there", o->vnc_listen);
            return EXIT_USAGE;
        }
    }
    if (o->kms_spec &&
        host_kms_start(d->loop, o->kms_spec, daemon_capture_frame, d, &d->kms) < 0) {
        log_error("--kms %s: cannot show the guest there", o->kms_spec);
        return EXIT_USAGE;
    }
    /* xenstore is out of reach in the sandbox: a vGPU still to be built
     * from files says so; the control socket and READY=1 say when it
     * serves. */
    if (domain_watch_set_state(d->watch, from_files ? "restoring" : "running") < 0)
        log_warn("could not publish state in xenstore: %s", strerror(errno));
    /* The socket file belongs to whom the daemon becomes, so that it can
     * remove it at exit (in a sticky directory such as /tmp). */
    if (o->sandbox && d->ids.change && d->control &&
        chown(o->control_path, d->ids.uid, d->ids.gid) < 0)
        log_debug("chown %s: %s", o->control_path, strerror(errno));
    if (d->control)
        control_allow_uid(d->control, d->ids.change ? d->ids.uid : geteuid());
    int nerr;
    int notify_fd = sd_notify_connect(&nerr);
    if (nerr < 0)
        log_warn("could not reach systemd's notify socket: %s", strerror(-nerr));
    if (o->sandbox) {
        /* Set-up is over. xentoolcore_restrict_all also cuts xenstore
         * (libxenstore's restrict puts /dev/null over its socket): the
         * watch goes first, and Xen itself tells us of the domain's end. */
        domain_watch_stop(d->watch);
        d->watch = NULL;
        if (domain_liveness_start(d->loop, d->dmod, o->domid, on_domain_gone, d,
                                  &d->liveness) < 0 ||
            sandbox_enter(o->domid, &d->ids, chroot_dir) < 0) {
            if (notify_fd >= 0)
                close(notify_fd);
            return EXIT_SANDBOX;
        }
    } else {
        log_warn("SANDBOX OFF (--no-sandbox): Xen handles unrestricted, running as uid %u, "
                 "no seccomp. For debugging only: a compromised daemon owns dom0.",
                 (unsigned)geteuid());
    }
    if (from_files && (code = daemon_build_and_enable(d, &vc)) != EXIT_OK) {
        if (notify_fd >= 0)
            close(notify_fd);
        return code;
    }
    char ready[96];
    snprintf(ready, sizeof(ready), "READY=1\nSTATUS=serving dom%u", o->domid);
    int nrc = sd_notify_send(notify_fd, ready);
    if (nrc < 0)
        log_warn("could not tell systemd we are ready: %s", strerror(-nrc));
    log_info("dom%u: serving", o->domid);
    return EXIT_OK;
}

static void report_stats(struct daemon *d)
{
    if (!d->srv || !d->vgpu)
        return;
    struct ioreq_stats is;
    struct gmem_stats gs;
    struct vgpu_stats vs;
    ioreq_get_stats(d->srv, &is);
    gmem_get_stats(d->gm, &gs);
    vgpu_get_stats(d->vgpu, &vs);
    log_info("stats: ioreqs pio=%llu mmio=%llu pci=%llu buffered=%llu "
             "invalidate=%llu rejected=%llu; msis=%llu (failed %llu) vblanks=%llu; "
             "map cache hits=%llu maps=%llu faults=%llu; guest warnings=%llu",
             (unsigned long long)is.pio, (unsigned long long)is.mmio,
             (unsigned long long)is.pci_config, (unsigned long long)is.buffered,
             (unsigned long long)is.invalidate, (unsigned long long)is.rejected,
             (unsigned long long)d->irq.msis_injected,
             (unsigned long long)d->irq.msi_failures,
             (unsigned long long)vs.vblanks, (unsigned long long)gs.hits,
             (unsigned long long)gs.maps, (unsigned long long)gs.faults,
             (unsigned long long)log_guest_warnings());
}

static void teardown(struct daemon *d)
{
    report_stats(d);
    host_kms_stop(d->kms);
    host_vnc_stop(d->vnc);
    control_close(d->control);
    domain_watch_stop(d->watch);
    domain_liveness_stop(d->liveness);
    vgpu_destroy(d->vgpu);
    ioreq_server_destroy(d->srv);
    gmem_free(d->gm);
    dirtylog_free(d->dl);
    evt_ports_close(d->ports);
    if (d->fmem)
        xenforeignmemory_close(d->fmem);
    if (d->dmod)
        xendevicemodel_close(d->dmod);
    evt_loop_free(d->loop);
    free(d->restore_blob);
    daemon_commands_release(d);
    free(d->inherited.buf);
    live_state_close(&d->live); /* after the vGPU: its registers live there */
}

int main(int argc, char **argv)
{
    struct daemon d = { 0 };
    int code;
    if (options_parse(argc, argv, &d.opt, &code) != 0)
        return code;
    log_set_level(d.opt.log_level);
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "xengvtd[dom%u]", d.opt.domid);
    log_set_prefix(prefix);

    code = setup(&d);
    if (code == EXIT_OK)
        code = evt_loop_run(d.loop);
    if (code < 0)
        code = EXIT_RUNTIME;
    teardown(&d);
    return code;
}
