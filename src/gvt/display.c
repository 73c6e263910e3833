/* Pipe A's transcoder, its vblank and page flips. While TRANSCONF_A is
 * enabled frames go by at the mode's refresh rate from an epoch: a timer
 * at that rate counts them, latches a pending flip of the primary plane
 * (PLANE_SURF -> PLANE_SURFLIVE) and raises the vblank and flip-done
 * events.
 *
 * The timer runs only while the guest can see a vblank: a flip waits for
 * one, or pipe A's IMR lets the vblank or flip-done event through (masked
 * events leave no trace in IIR). Otherwise -- i915 masks the vblank when
 * no one has waited for one for a while, so an idle desktop is this case
 * -- the frame counter catches up with the clock when read, and the daemon
 * is not woken 60 times a second for nothing. No timer runs while the pipe
 * is off. */
#include "config.h"
#include "gvt/vgpu.h"
#include "gvt/device.h"
#include "gvt/display.h"
#include "gvt/irq.h"
#include "evtchn/loop.h"
#include "common/log.h"
#include "common/stateblob.h"

#include <errno.h>

#define TRANS_HTOTAL_A 0x60000u
#define TRANS_VTOTAL_A 0x6000cu
#define TRANS_VBLANK_A 0x60010u
#define PIPEDSL_A 0x70000u
#define PIPEDSL_LINE_MASK 0x1fffu
#define PIPE_DATA_M1_A 0x60030u
#define PIPE_LINK_M1_A 0x60040u
#define PIPE_LINK_N1_A 0x60044u
#define PIPE_FLIPCOUNT_A 0x70044u
#define PLANE_SURF_1_A 0x7019cu
#define PLANE_CTL_ASYNC_FLIP (1u << 9)
#define GEN9_PIPE_PLANE1_FLIP_DONE (1u << 3)

/* The link clock our virtual DP link runs at (1.62 Gb/s per lane, in kHz
 * of link symbols), for turning the guest's link M/N into a pixel clock. */
#define LS_CLK_KHZ 162000ull
#define DEFAULT_HZ 60u

/* Refresh rate from the guest's timings: pixel clock = ls_clk * M / N over
 * htotal * vtotal. Anything implausible falls back to 60 Hz. */
static unsigned refresh_hz(const struct vgpu *v)
{
    const struct gvt_regs *r = &v->regs;
    uint64_t htotal = ((vreg(r, TRANS_HTOTAL_A) >> 16) & 0x1fff) + 1;
    uint64_t vtotal = ((vreg(r, TRANS_VTOTAL_A) >> 16) & 0x1fff) + 1;
    uint64_t m = vreg(r, PIPE_LINK_M1_A) & 0xffffff, n = vreg(r, PIPE_LINK_N1_A) & 0xffffff;
    if (htotal < 64 || vtotal < 64 || m == 0 || n == 0)
        return DEFAULT_HZ;
    uint64_t hz = (LS_CLK_KHZ * 1000 * m / n + htotal * vtotal / 2) / (htotal * vtotal);
    return hz >= 24 && hz <= 240 ? (unsigned)hz : DEFAULT_HZ;
}

/* PIPEDSL, the scanline counter, follows the vblank timer: the timer fires
 * at the start of vertical blank (line vblank_start), so the line now is
 * vblank_start plus the lines the frame's elapsed time covers. i915 reads
 * it for vblank timestamps and vblank evasion, and re-reads a 0 up to 100
 * times with interrupts off (on DDI platforms a 0 can be a counter that
 * has not started): a counter that never moves costs it a trap storm per
 * query. The hardware counts one line behind the line i915 means (its
 * scanline_offset is 1 for DP), hence the -1. Off: 0, as on hardware. */
static uint32_t pipedsl_read(struct vgpu *v, uint32_t off, uint32_t stored)
{
    (void)off;
    (void)stored;
    if (!(vreg(&v->regs, TRANSCONF_A) & TRANSCONF_ENABLE) || !v->disp.refresh_hz)
        return 0;
    uint32_t vtotal = ((vreg(&v->regs, TRANS_VTOTAL_A) >> 16) & 0x1fff) + 1;
    uint32_t vblank_start = (vreg(&v->regs, TRANS_VBLANK_A) & 0x1fff) + 1;
    if (vblank_start >= vtotal)
        vblank_start = (vreg(&v->regs, TRANS_VTOTAL_A) & 0x1fff) + 1;
    if (vblank_start >= vtotal)
        vblank_start = 0;
    uint64_t period = 1000000000ull / v->disp.refresh_hz;
    uint64_t into_frame = (evt_loop_now_ns(v->loop) - v->disp.frame_epoch_ns) % period;
    uint32_t line = (uint32_t)(into_frame * vtotal / period);
    return (vblank_start + line + vtotal - 1) % vtotal & PIPEDSL_LINE_MASK;
}

#define PIPE_IMR_A (0x44400u + 0x4u)

static bool vblank_watched(const struct vgpu *v)
{
    return v->disp.flip_pending ||
           (~vreg(&v->regs, PIPE_IMR_A) & (GEN8_PIPE_VBLANK | GEN9_PIPE_PLANE1_FLIP_DONE));
}

/* PIPE_FRMCOUNT_A takes the frames that went by unwatched (no timer). */
static void frames_catch_up(struct vgpu *v)
{
    if (!v->disp.vblank_timer || !v->disp.frames_running || !v->disp.refresh_hz || v->paused ||
        evt_timer_armed(v->disp.vblank_timer))
        return;
    uint64_t period = 1000000000ull / v->disp.refresh_hz;
    uint64_t now = evt_loop_now_ns(v->loop);
    uint64_t due = now > v->disp.frame_epoch_ns ? (now - v->disp.frame_epoch_ns) / period : 0;
    if (due > v->disp.frames_counted) {
        vreg_set(&v->regs, PIPE_FRMCOUNT_A,
                 vreg(&v->regs, PIPE_FRMCOUNT_A) + (uint32_t)(due - v->disp.frames_counted));
        v->disp.frames_counted = due;
    }
}

/* The timer on while a vblank can be seen, aligned to the epoch's frames;
 * off otherwise. */
static void vblank_timer_update(struct vgpu *v)
{
    if (!v->disp.vblank_timer)
        return; /* not set up yet */
    bool want = v->disp.frames_running && v->disp.refresh_hz && !v->paused && vblank_watched(v);
    bool armed = evt_timer_armed(v->disp.vblank_timer);
    if (want == armed)
        return;
    if (!want) {
        evt_timer_disarm(v->disp.vblank_timer);
        return;
    }
    frames_catch_up(v);
    uint64_t period = 1000000000ull / v->disp.refresh_hz;
    uint64_t now = evt_loop_now_ns(v->loop);
    uint64_t into = now > v->disp.frame_epoch_ns ? (now - v->disp.frame_epoch_ns) % period : 0;
    evt_timer_arm(v->disp.vblank_timer, period - into, period);
}

/* Pipe A's interrupt mask changed (irq.c, through the vGPU's hook): the
 * vblank timer runs only while the guest can see a vblank. */
static void irq_mask_changed(struct vgpu *v, unsigned block)
{
    (void)block;
    vblank_timer_update(v);
}

static uint32_t frmcount_read(struct vgpu *v, uint32_t off, uint32_t stored)
{
    (void)off;
    (void)stored;
    frames_catch_up(v);
    return vreg(&v->regs, PIPE_FRMCOUNT_A);
}

static void latch_flip(struct vgpu *v)
{
    vreg_set(&v->regs, PLANE_SURFLIVE_1_A, vreg(&v->regs, PLANE_SURF_1_A));
    vreg_set(&v->regs, PIPE_FLIPCOUNT_A, vreg(&v->regs, PIPE_FLIPCOUNT_A) + 1);
    v->disp.flip_pending = false;
    v->stats.flips++;
}

static void vblank_tick(void *opaque, uint64_t expirations)
{
    struct vgpu *v = opaque;
    /* A late wake-up still counts every frame that went by, but raises
     * one event: the guest sees a single pending vblank either way. */
    vreg_set(&v->regs, PIPE_FRMCOUNT_A,
             vreg(&v->regs, PIPE_FRMCOUNT_A) + (uint32_t)expirations);
    v->disp.frames_counted += expirations;
    v->stats.vblanks += expirations;
    /* No aperture sync here: what the guest drew through the aperture is
     * only seen by a capture, which syncs itself. At 60 Hz, Xen's harvest
     * of a 128 MiB slice kept the guest paused most of the time (real Xen:
     * the kernel never got past its boot loader). */    if (v->disp.flip_pending) {
        latch_flip(v);
        gvt_irq_raise(v, IRQ_PIPE_A, GEN9_PIPE_PLANE1_FLIP_DONE);
    }
    gvt_irq_raise(v, IRQ_PIPE_A, GEN8_PIPE_VBLANK);
    vblank_timer_update(v); /* nobody watching any more: stop */
}

static void apply_transconf(struct vgpu *v)
{
    uint32_t val = vreg(&v->regs, TRANSCONF_A);
    bool on = val & TRANSCONF_ENABLE;
    /* The state bit follows the enable at once: no real link to train. */
    vreg_set(&v->regs, TRANSCONF_A, on ? val | TRANSCONF_STATE : val & ~TRANSCONF_STATE);
    if (on) {
        unsigned hz = refresh_hz(v);
        if (!v->disp.frames_running || hz != v->disp.refresh_hz) {
            frames_catch_up(v); /* the frames of the old rate stay counted */
            evt_timer_disarm(v->disp.vblank_timer);
            v->disp.frame_epoch_ns = evt_loop_now_ns(v->loop); /* vblanks at epoch + k * period */
            v->disp.frames_counted = 0;
            v->disp.frames_running = true;
            if (hz != v->disp.refresh_hz)
                log_info("pipe A on at %u Hz", hz);
            v->disp.refresh_hz = hz;
        }
        vblank_timer_update(v);
    } else if (v->disp.frames_running) {
        frames_catch_up(v);
        v->disp.frames_running = false;
        evt_timer_disarm(v->disp.vblank_timer);
        log_info("pipe A off");
    }
}

static void transconf_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)off;
    (void)old;
    (void)val;
    apply_transconf(v);
}

/* Writing the surface address arms a flip: at the next vblank for a
 * synchronous one, at once for an async one. With the pipe off the new
 * address is live at once (nothing is being scanned out). */
static void surf_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)off;
    (void)old;
    (void)val;
    bool async = vreg(&v->regs, PLANE_CTL_1_A) & PLANE_CTL_ASYNC_FLIP;
    if (async || !(vreg(&v->regs, TRANSCONF_A) & TRANSCONF_ENABLE)) {
        latch_flip(v);
        if (async)
            gvt_irq_raise(v, IRQ_PIPE_A, GEN9_PIPE_PLANE1_FLIP_DONE);
        return;
    }
    v->disp.flip_pending = true;
    vblank_timer_update(v);
}

static const struct gvt_reg display_rows[] = {
    /* i915 calls it PIPECONF(PIPE_A) too; TRANSCONF is the newer name. */
    { TRANSCONF_A, 0, TRANSCONF_ENABLE | TRANSCONF_STATE, TRANSCONF_STATE, NULL,
      transconf_written, "TRANSCONF_A" },
    { PIPE_FRMCOUNT_A, REG_RO, 0, 0, frmcount_read, NULL, "PIPE_FRMCOUNT_A" },
    { PIPEDSL_A, REG_RO, 0, 0, pipedsl_read, NULL, "PIPEDSL_A" },
    { PIPE_FLIPCOUNT_A, REG_RO, 0, 0, NULL, NULL, "PIPE_FLIPCOUNT_A" },
    { PLANE_SURF_1_A, 0, 0, 0xfffu, NULL, surf_written, "PLANE_SURF_1_A" },
    { PLANE_SURFLIVE_1_A, REG_RO, 0, 0, NULL, NULL, "PLANE_SURFLIVE_1_A" },
    /* The timings re-derive the refresh rate when the pipe is enabled. */
};

int gvt_display_init(struct vgpu *v)
{
    int rc = evt_timer_new(v->loop, vblank_tick, v, &v->disp.vblank_timer);
    if (rc < 0)
        return rc;
    v->intr.mask_changed = irq_mask_changed;
    return gvt_regs_add(&v->regs, "display", display_rows,
                        sizeof(display_rows) / sizeof(display_rows[0]));
}

void gvt_display_release(struct vgpu *v)
{
    evt_timer_free(v->disp.vblank_timer);
    v->disp.vblank_timer = NULL;
}

void gvt_display_resync(struct vgpu *v)
{
    v->disp.refresh_hz = 0;
    v->disp.frames_running = false; /* a new epoch, from now */
    evt_timer_disarm(v->disp.vblank_timer);
    apply_transconf(v);
}

void gvt_display_follow(struct vgpu *v)
{
    /* A surface written but not yet latched was a flip in flight: it
     * completes at the next vblank, as the guest waits for. */
    if (vreg(&v->regs, PLANE_SURF_1_A) != vreg(&v->regs, PLANE_SURFLIVE_1_A))
        v->disp.flip_pending = true;
    gvt_display_resync(v);
}

void gvt_display_reset(struct vgpu *v)
{
    v->disp.flip_pending = false;
    v->disp.refresh_hz = 0;
    v->disp.frames_running = false;
    evt_timer_disarm(v->disp.vblank_timer);
    apply_transconf(v);
}

void vgpu_get_display(const struct vgpu *v, struct vgpu_display_info *out)
{
    uint32_t src = vreg(&v->regs, 0x6001cu); /* PIPESRC_A */
    out->width = ((src >> 16) & 0x1fff) + 1;
    out->height = (src & 0xfff) + 1;
    out->pipe_on = vreg(&v->regs, TRANSCONF_A) & TRANSCONF_ENABLE;
    out->plane_on = out->pipe_on && (vreg(&v->regs, PLANE_CTL_1_A) & (1u << 31));
    out->refresh_hz = out->pipe_on ? v->disp.refresh_hz : 0;
}

/* Its section ("display", version 1): a flip armed and not yet latched.
 * The pipe itself is in the registers; the timers follow them. */
void gvt_display_save(struct vgpu *v, struct state_buf *b)
{
    state_put8(b, v->disp.flip_pending);
}

int gvt_display_check(const struct stateblob_section *s, const char **why)
{
    if (s->len != 1) {
        *why = "display section malformed";
        return -EINVAL;
    }
    return 0;
}

void gvt_display_load(struct vgpu *v, const struct stateblob_section *s)
{
    v->disp.flip_pending = s->data[0] != 0; /* before the resync: a flip keeps the timer on */
    gvt_display_resync(v);
}
