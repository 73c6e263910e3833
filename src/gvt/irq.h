/* The gen8 interrupt tree: per-block ISR/IMR/IIR/IER, the master control,
 * and the line (MSI or INTx) it drives. Internal to gvt/. */
#ifndef XENGVT_GVT_IRQ_H
#define XENGVT_GVT_IRQ_H

#include <stdint.h>

struct vgpu;

enum gvt_irq_block {
    IRQ_GT0, IRQ_GT1, IRQ_GT2, IRQ_GT3,
    IRQ_PIPE_A, IRQ_PIPE_B, IRQ_PIPE_C,
    IRQ_DE_PORT, IRQ_DE_MISC, IRQ_PCU, IRQ_PCH,
    IRQ_BLOCKS
};
#define GEN8_MASTER_IRQ 0x44200u
#define GEN8_MASTER_IRQ_CONTROL (1u << 31)
#define GEN8_GT_ISR(n) (0x44300u + 0x10u * (n))
#define GEN8_DE_PIPE_ISR(p) (0x44400u + 0x10u * (p))
#define GEN8_DE_PORT_ISR 0x44440u
#define GEN8_DE_MISC_ISR 0x44460u
#define GEN8_PCU_ISR 0x444e0u
#define SDEISR 0xc4000u
#define SDE_PORTD_HOTPLUG_CPT (1u << 23) /* the monitor on port D */
#define GEN8_PIPE_VBLANK (1u << 0)

int gvt_irq_init(struct vgpu *v);
void gvt_irq_release(struct vgpu *v);
/* An event: sets IIR (if unmasked) and re-evaluates the MSI/INTx line. */
void gvt_irq_raise(struct vgpu *v, enum gvt_irq_block block, uint32_t bit);
void gvt_irq_update(struct vgpu *v);
uint32_t gvt_irq_master_summary(struct vgpu *v);

struct state_buf;
struct stateblob_section;
void gvt_irq_save(struct vgpu *v, struct state_buf *b);
int gvt_irq_check(const struct stateblob_section *s, const char **why);
void gvt_irq_load(struct vgpu *v, const struct stateblob_section *s);

#endif
