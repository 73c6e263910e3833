/* The vGPU as xengvtd's set-up builds it (main.c calls these in order):
 * a --restore file read and checked whole before anything touches the
 * domain, then the vGPU created (and restored from the file), then its
 * guest RAM -- adopted where the restored guest has it, populated
 * otherwise. Apart from main.c so that a fuzz target (fuzz_restore) runs
 * the very path `xengvtd --restore FILE` takes, and fuzz_live the path
 * of a successor that follows its dead predecessor's --live-state file.
 * main.c reads the files as root and checks and applies them only once
 * the sandbox is up. */
#include "config.h"
#include "daemon/daemon.h"
#include "common/log.h"
#include "gvt/vgpu.h"
#include "ioreq/ramrange.h"
#include "ioreq/server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* --restore: the file's bytes, read while the daemon can still open it;
 * nothing in them is looked at before the sandbox (daemon_restore_check). */
int daemon_restore_read(struct daemon *d)
{
    const char *path = d->opt.restore_path;
    size_t len;
    int rc = daemon_read_file(path, 64u << 20, &d->restore_blob, &len);
    if (rc < 0) {
        log_error("--restore %s: %s", path, strerror(-rc));
        return EXIT_BAD_STATE;
    }
    d->restore_len = len;
    return EXIT_OK;
}

/* The whole file checked against this vGPU before anything is applied; a
 * refused file ends the daemon with its own code. */
int daemon_restore_check(struct daemon *d, const struct vgpu_config *vc)
{
    const char *why = "?";
    if (vgpu_state_check(vc, d->restore_blob, d->restore_len, &why) < 0) {
        log_error("--restore %s: refused: %s; the vGPU was not touched", d->opt.restore_path,
                  why);
        return EXIT_BAD_STATE;
    }
    return EXIT_OK;
}

/* The GGTT as guest RAM behind BAR0 + 8 MiB (ramrange.h): populated now,
 * while privcmd is unrestricted, or found where a restored guest has it. A
 * guest that cannot be given the RAM keeps a trapped GGTT (slow, correct). */
static int setup_ggtt_ram(struct daemon *d)
{
    const struct xengvtd_options *o = &d->opt;
    struct ram_range *gsm = NULL;
    uint64_t gfn, park;
    int rc;
    if (vgpu_gsm_restored_at(d->vgpu, &gfn, &park)) {
        rc = ramrange_adopt(d->dmod, d->fmem, o->domid, gfn, park, vgpu_gsm_pages(), &gsm);
        if (rc < 0) {
            log_error("--restore %s: the guest's GGTT RAM at gfn %#llx cannot be mapped: %s "
                      "(restore the guest's memory first, as xl restore does)",
                      o->restore_path, (unsigned long long)gfn, strerror(-rc));
            return EXIT_BAD_STATE;
        }
    } else if (o->trap_ggtt) {
        log_info("GGTT trapped (--trap-ggtt): every entry store is an ioreq");
        return EXIT_OK;
    } else if ((rc = ramrange_populate(d->dmod, d->fmem, o->domid, vgpu_gsm_pages(), &gsm)) < 0) {
        log_warn("GGTT trapped: 8 MiB of RAM could not be added to dom%u (%s); every entry "
                 "store will be an ioreq", o->domid, strerror(-rc));
        return EXIT_OK;
    }
    if (vgpu_attach_gsm(d->vgpu, gsm) < 0) {
        ramrange_free(gsm);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

/* The aperture slice as guest RAM behind BAR2 (--aperture-ram), or found
 * where a restored guest has it. It costs the guest the slice's size in
 * memory; without it, aperture stores trap (correct, slow). */
static int setup_aperture_ram(struct daemon *d)
{
    const struct xengvtd_options *o = &d->opt;
    struct ram_range *apr = NULL;
    uint64_t gfn, park;
    size_t pages = vgpu_aperture_pages(d->vgpu);
    bool restored = vgpu_aperture_restored_at(d->vgpu, &gfn, &park);
    int rc;
    if (restored) {
        rc = ramrange_adopt(d->dmod, d->fmem, o->domid, gfn, park, pages, &apr);
        if (rc < 0) {
            log_error("--restore %s: the guest's aperture RAM at gfn %#llx cannot be mapped: %s",
                      o->restore_path, (unsigned long long)gfn, strerror(-rc));
            return EXIT_BAD_STATE;
        }
    } else if (!o->aperture_ram) {
        log_warn("aperture trapped (--aperture-ram=0): every access through BAR2 is an "
                 "ioreq, and i915's console, which draws through it, is very slow");
        return EXIT_OK;
    } else if ((rc = ramrange_populate(d->dmod, d->fmem, o->domid, pages, &apr)) < 0) {
        log_warn("aperture trapped: %zu MiB of RAM could not be added to dom%u (%s); "
                 "i915's console, which draws through it, will be very slow (free host "
                 "memory, or give a smaller slice with --aperture)",
                 pages >> 8, o->domid, strerror(-rc));
        return EXIT_OK;
    } else {
        log_info("aperture: the %zu MiB slice is RAM added to dom%u (no trap per access)",
                 pages >> 8, o->domid);
    }
    if (vgpu_attach_aperture(d->vgpu, apr, restored) < 0) {
        ramrange_free(apr);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

int daemon_vgpu_build(struct daemon *d, const struct vgpu_config *vc)
{
    if (vgpu_create(vc, d->srv, &d->irq, d->gm, d->loop, &d->vgpu) < 0)
        return EXIT_XEN_SETUP;
    if (d->restore_blob) {
        const char *why = "?";
        if (vgpu_restore(d->vgpu, d->restore_blob, d->restore_len, &why) < 0) {
            log_error("--restore %s: refused: %s", d->opt.restore_path, why);
            return EXIT_BAD_STATE;
        }
        free(d->restore_blob);
        d->restore_blob = NULL;
    }
    int code = setup_ggtt_ram(d);
    if (code == EXIT_OK)
        code = setup_aperture_ram(d);
    return code;
}

/* The vGPU built (from a checkpoint or saved state, if given), a dead
 * predecessor's live state followed, the EDID set, the server enabled.
 * With files written by a daemon (--restore, --live-state), this runs in
 * the sandbox: as the domain's uid, Xen handles restricted to it, under
 * seccomp, in the empty chroot. */
int daemon_build_and_enable(struct daemon *d, struct vgpu_config *vc)
{
    const struct xengvtd_options *o = &d->opt;
    int code;
    if (d->restore_blob && (code = daemon_restore_check(d, vc)) != EXIT_OK)
        return code;
    if (d->inherited.buf) {
        const char *why = "?";
        if (live_state_take(&d->inherited, o->domid, &why) < 0)
            log_warn("--live-state %s: no state of a predecessor to take (%s): the "
                     "checkpoint alone is restored", o->live_state_path, why);
    }
    if ((code = daemon_vgpu_build(d, vc)) != EXIT_OK)
        return code;
    if (o->adopt && o->restore_path)
        vgpu_follow_guest(d->vgpu, d->inherited.buf ? &d->inherited.state : NULL);
    free(d->inherited.buf);
    memset(&d->inherited, 0, sizeof(d->inherited));
    if (o->edid_path && vgpu_set_edid(d->vgpu, d->edid, d->edid_len) < 0) {
        log_error("--edid %s: not a valid EDID (128 bytes, header, checksum)", o->edid_path);
        return EXIT_USAGE;
    }
    if (ioreq_server_enable(d->srv) < 0)
        return EXIT_XEN_SETUP;
    return EXIT_OK;
}
