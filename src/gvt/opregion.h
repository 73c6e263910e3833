/* The OpRegion (ACPI IGD OpRegion with its VBT) the guest's i915 finds at
 * the address in config register ASLS, and SWSCI requests. Internal to gvt/. */
#ifndef XENGVT_GVT_OPREGION_H
#define XENGVT_GVT_OPREGION_H

#include <stdbool.h>
#include <stdint.h>

struct vgpu;

#define GVT_OPREGION_SIZE 0x2000u
#define PCI_ASLS 0xfcu
#define PCI_SWSCI 0xe8u

void gvt_opregion_build(uint8_t *buf);
void gvt_opregion_asls_written(struct vgpu *v, uint32_t asls);
void gvt_opregion_swsci_written(struct vgpu *v, uint16_t old, uint16_t val);
void gvt_opregion_release(struct vgpu *v);
/* After a restore: the OpRegion at `gpa`, served from the MMIO hole or not. */
void gvt_opregion_restore(struct vgpu *v, uint64_t gpa, bool served);

struct state_buf;
struct stateblob_section;
void gvt_opregion_save(struct vgpu *v, struct state_buf *b);
int gvt_opregion_check(const struct stateblob_section *s, const char **why);
void gvt_opregion_load(struct vgpu *v, const struct stateblob_section *s);

#endif
