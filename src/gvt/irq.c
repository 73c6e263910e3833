/* The gen8 interrupt tree as the guest i915 programs it: per block ISR,
 * IMR, IIR, IER at +0/+4/+8/+0xC, and a master register whose bit 31 gates
 * delivery and whose low bits summarise (IIR & IER) of each block. */
#include "config.h"
#include "gvt/device.h"
#include "gvt/irq.h"
#include "common/log.h"
#include "common/stateblob.h"
#include "evtchn/loop.h"

#include <errno.h>

static const uint32_t block_base[IRQ_BLOCKS] = {
    [IRQ_GT0] = GEN8_GT_ISR(0), [IRQ_GT1] = GEN8_GT_ISR(1),
    [IRQ_GT2] = GEN8_GT_ISR(2), [IRQ_GT3] = GEN8_GT_ISR(3),
    [IRQ_PIPE_A] = GEN8_DE_PIPE_ISR(0), [IRQ_PIPE_B] = GEN8_DE_PIPE_ISR(1),
    [IRQ_PIPE_C] = GEN8_DE_PIPE_ISR(2), [IRQ_DE_PORT] = GEN8_DE_PORT_ISR,
    [IRQ_DE_MISC] = GEN8_DE_MISC_ISR, [IRQ_PCU] = GEN8_PCU_ISR,
    [IRQ_PCH] = SDEISR,
};

#define ISR 0x0u
#define IMR 0x4u
#define IIR 0x8u
#define IER 0xcu

static uint32_t pending(struct vgpu *v, enum gvt_irq_block b)
{
    return vreg(&v->regs, block_base[b] + IIR) & vreg(&v->regs, block_base[b] + IER);
}

uint32_t gvt_irq_master_summary(struct vgpu *v)
{
    uint32_t s = 0, p;
    p = pending(v, IRQ_GT0);
    s |= (p & 0xffffu ? 1u << 0 : 0) | (p >> 16 ? 1u << 1 : 0); /* RCS, BCS */
    p = pending(v, IRQ_GT1);
    s |= (p & 0xffffu ? 1u << 2 : 0) | (p >> 16 ? 1u << 3 : 0); /* VCS0, VCS1 */
    s |= pending(v, IRQ_GT2) ? 1u << 4 : 0;                      /* PM */
    s |= pending(v, IRQ_GT3) ? 1u << 6 : 0;                      /* VECS */
    s |= pending(v, IRQ_PIPE_A) ? 1u << 16 : 0;
    s |= pending(v, IRQ_PIPE_B) ? 1u << 17 : 0;
    s |= pending(v, IRQ_PIPE_C) ? 1u << 18 : 0;
    s |= pending(v, IRQ_DE_PORT) ? 1u << 20 : 0;
    s |= pending(v, IRQ_DE_MISC) ? 1u << 22 : 0;
    s |= pending(v, IRQ_PCH) ? 1u << 23 : 0;
    s |= pending(v, IRQ_PCU) ? 1u << 30 : 0;
    return s;
}

/* The master output is a level: (bit 31) && (any summary bit). An MSI is
 * its rising edge, so each event the guest has not yet acknowledged
 * interrupts it once; i915's handler drops bit 31, acks IIR and raises bit
 * 31 again, which re-fires if anything is still pending. INTx, used only
 * while MSI is off, follows the level. */
void gvt_irq_update(struct vgpu *v)
{
    bool level = (vreg(&v->regs, GEN8_MASTER_IRQ) & GEN8_MASTER_IRQ_CONTROL) &&
                 gvt_irq_master_summary(v);
    bool rising = level && !v->intr.level;
    v->intr.level = level;
    if (pci_func_msi_enabled(&v->pci)) {
        if (!rising)
            return;
        if (pci_func_msi_notify(&v->pci) == 0) {
            v->stats.msis++;
            return;
        }
        /* Xen refused the MSI: the edge is not spent. Try again shortly,
         * or the guest would wait for an interrupt that never comes. */
        v->intr.level = false;
        v->stats.msi_retries++;
        if (v->intr.retry_timer && !evt_timer_armed(v->intr.retry_timer))
            evt_timer_arm(v->intr.retry_timer, 10u * 1000 * 1000, 0);
        return;
    }
    pci_func_set_intx(&v->pci, level);
}

static void irq_retry(void *opaque, uint64_t expirations)
{
    (void)expirations;
    gvt_irq_update(opaque);
}

void gvt_irq_release(struct vgpu *v)
{
    evt_timer_free(v->intr.retry_timer);
    v->intr.retry_timer = NULL;
}

void gvt_irq_raise(struct vgpu *v, enum gvt_irq_block b, uint32_t bit)
{
    v->stats.irq_events++;
    uint32_t base = block_base[b];
    if (vreg(&v->regs, base + IMR) & bit)
        return; /* masked: the event leaves no trace in IIR */
    vreg_set(&v->regs, base + IIR, vreg(&v->regs, base + IIR) | bit);
    gvt_irq_update(v);
}

static uint32_t master_read(struct vgpu *v, uint32_t off, uint32_t stored)
{
    (void)off;
    return (stored & GEN8_MASTER_IRQ_CONTROL) | gvt_irq_master_summary(v);
}

static void irq_reg_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)old;
    (void)val;
    gvt_irq_update(v);
    if (off == GEN8_DE_PIPE_ISR(0) + IMR && v->intr.mask_changed)
        v->intr.mask_changed(v, IRQ_PIPE_A);
}

/* A block's IMR, IIR and IER, named as i915 names them: `pre` "IMR" `post`
 * ("GEN8_GT_" "IMR" "(0)", "SDE" "IMR" ""). */
#define MASK_ROWS(base, pre, post)                                             \
    { (base) + IMR, 0, 0xffffffffu, 0, NULL, irq_reg_written, pre "IMR" post }, \
    { (base) + IIR, REG_W1C, 0, 0, NULL, irq_reg_written, pre "IIR" post },    \
    { (base) + IER, 0, 0, 0, NULL, irq_reg_written, pre "IER" post }
#define BLOCK_ROWS(base, pre, post)                                            \
    { (base) + ISR, REG_RO, 0, 0, NULL, NULL, pre "ISR" post },                \
    MASK_ROWS(base, pre, post)

static const struct gvt_reg irq_rows[] = {
    { GEN8_MASTER_IRQ, 0, 0, ~GEN8_MASTER_IRQ_CONTROL, master_read, irq_reg_written,
      "GEN8_MASTER_IRQ" },
    BLOCK_ROWS(GEN8_GT_ISR(0), "GEN8_GT_", "(0)"),
    BLOCK_ROWS(GEN8_GT_ISR(1), "GEN8_GT_", "(1)"),
    BLOCK_ROWS(GEN8_GT_ISR(2), "GEN8_GT_", "(2)"),
    BLOCK_ROWS(GEN8_GT_ISR(3), "GEN8_GT_", "(3)"),
    BLOCK_ROWS(GEN8_DE_PIPE_ISR(0), "GEN8_DE_PIPE_", "(A)"),
    BLOCK_ROWS(GEN8_DE_PIPE_ISR(1), "GEN8_DE_PIPE_", "(B)"),
    BLOCK_ROWS(GEN8_DE_PIPE_ISR(2), "GEN8_DE_PIPE_", "(C)"),
    BLOCK_ROWS(GEN8_DE_PORT_ISR, "GEN8_DE_PORT_", ""),
    BLOCK_ROWS(GEN8_DE_MISC_ISR, "GEN8_DE_MISC_", ""),
    BLOCK_ROWS(GEN8_PCU_ISR, "GEN8_PCU_", ""),
    /* SDEISR itself is skl_regs.c's: its reset value is the plugged-in
     * monitor, a fact of the platform, not of the interrupt tree. */
    MASK_ROWS(SDEISR, "SDE", ""),
};

int gvt_irq_init(struct vgpu *v)
{
    int rc = gvt_regs_add(&v->regs, "irq", irq_rows, sizeof(irq_rows) / sizeof(irq_rows[0]));
    if (rc == 0 && v->loop)
        rc = evt_timer_new(v->loop, irq_retry, v, &v->intr.retry_timer);
    return rc;
}

/* Its section of a saved state ("irq", version 1): the master line's
 * level, so the next edge is an edge, and whether MSI was on when it was. */
void gvt_irq_save(struct vgpu *v, struct state_buf *b)
{
    state_put8(b, v->intr.level);
    state_put8(b, v->intr.msi_was_enabled);
}

int gvt_irq_check(const struct stateblob_section *s, const char **why)
{
    if (s->len != 2) {
        *why = "irq section malformed";
        return -EINVAL;
    }
    return 0;
}

void gvt_irq_load(struct vgpu *v, const struct stateblob_section *s)
{
    v->intr.level = s->data[0] != 0;
    v->intr.msi_was_enabled = s->data[1] != 0;
}
