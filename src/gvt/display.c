/* Pipe A's transcoder and its vblank: while TRANSCONF_A is enabled a timer
 * at the refresh rate counts frames and raises the pipe's vblank event.
 * No timer runs while the pipe is off. */
#include "config.h"
#include "gvt/vgpu_priv.h"
#include "evtchn/loop.h"
#include "common/log.h"

#define VBLANK_PERIOD_NS (1000000000ull / 60)

static void vblank_tick(void *opaque, uint64_t expirations)
{
    struct vgpu *v = opaque;
    /* A late wake-up still counts every frame that went by, but raises
     * one event: the guest sees a single pending vblank either way. */
    vreg_set(&v->regs, PIPE_FRMCOUNT_A,
             vreg(&v->regs, PIPE_FRMCOUNT_A) + (uint32_t)expirations);
    v->stats.vblanks += expirations;
    gvt_irq_raise(v, IRQ_PIPE_A, GEN8_PIPE_VBLANK);
}

static void apply_transconf(struct vgpu *v)
{
    uint32_t val = vreg(&v->regs, TRANSCONF_A);
    bool on = val & TRANSCONF_ENABLE;
    /* The state bit follows the enable at once: no real link to train. */
    vreg_set(&v->regs, TRANSCONF_A, on ? val | TRANSCONF_STATE : val & ~TRANSCONF_STATE);
    if (on && !evt_timer_armed(v->vblank_timer))
        evt_timer_arm(v->vblank_timer, VBLANK_PERIOD_NS, VBLANK_PERIOD_NS);
    else if (!on && evt_timer_armed(v->vblank_timer))
        evt_timer_disarm(v->vblank_timer);
}

static void transconf_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)off;
    (void)old;
    (void)val;
    apply_transconf(v);
}

static const struct gvt_reg display_rows[] = {
    { TRANSCONF_A, 0, TRANSCONF_ENABLE | TRANSCONF_STATE, TRANSCONF_STATE, NULL,
      transconf_written },
    { PIPE_FRMCOUNT_A, REG_RO, 0, 0, NULL, NULL },
};

int gvt_display_init(struct vgpu *v)
{
    int rc = evt_timer_new(v->loop, vblank_tick, v, &v->vblank_timer);
    if (rc < 0)
        return rc;
    return gvt_regs_add(&v->regs, display_rows,
                        sizeof(display_rows) / sizeof(display_rows[0]));
}

void gvt_display_release(struct vgpu *v)
{
    evt_timer_free(v->vblank_timer);
    v->vblank_timer = NULL;
}

void gvt_display_reset(struct vgpu *v)
{
    apply_transconf(v);
}
