/* GMBUS, the PCH's I2C controller for DDC on non-DP ports. The virtual
 * monitor answers on pin pair 6 (port D) at address 0x50 with the same
 * EDID as over AUX; everything else NAKs, as an empty connector does. */
#include "config.h"
#include "gvt/device.h"
#include "gvt/gmbus.h"
#include "gvt/irq.h"
#include "common/log.h"
#include "common/stateblob.h"

#include <errno.h>

#define PCH_GMBUS0 0xc5100u
#define PCH_GMBUS1 0xc5104u
#define PCH_GMBUS2 0xc5108u
#define PCH_GMBUS3 0xc510cu
#define GMBUS_PIN_DPD 6u
#define GMBUS_SW_CLR_INT (1u << 31)
#define GMBUS_SW_RDY (1u << 30)
#define GMBUS_CYCLE_MASK (7u << 25)
#define GMBUS_CYCLE_INDEX (2u << 25)
#define GMBUS_CYCLE_STOP (4u << 25)
#define GMBUS_SLAVE_READ 1u
#define GMBUS_INUSE (1u << 15)
#define GMBUS_HW_WAIT_PHASE (1u << 14)
#define GMBUS_HW_RDY (1u << 11)
#define GMBUS_SATOER (1u << 10) /* NAK */
#define GMBUS_ACTIVE (1u << 9)
#define DDC_ADDR 0x50u

static void set_status(struct vgpu *v, uint32_t st)
{
    vreg_set(&v->regs, PCH_GMBUS2, st);
}

static void gmbus0_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)off;
    (void)old;
    (void)val;
    v->mon.gmbus_left = 0;
    set_status(v, GMBUS_HW_RDY);
}

static void gmbus1_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)off;
    (void)old;
    if (val & GMBUS_SW_CLR_INT) {
        v->mon.gmbus_left = 0;
        set_status(v, 0);
        return;
    }
    if (!(val & GMBUS_SW_RDY))
        return;
    uint32_t cycle = val & GMBUS_CYCLE_MASK;
    unsigned count = (val >> 16) & 0x1ff, addr = (val >> 1) & 0x7f;
    if (cycle == GMBUS_CYCLE_STOP && count == 0) {
        v->mon.gmbus_left = 0;
        set_status(v, GMBUS_HW_RDY);
        return;
    }
    unsigned pin = vreg(&v->regs, PCH_GMBUS0) & 0x7;
    if (pin != GMBUS_PIN_DPD || addr != DDC_ADDR || !(vreg(&v->regs, SDEISR) & (1u << 23))) {
        set_status(v, GMBUS_SATOER | GMBUS_HW_RDY);
        v->mon.gmbus_left = 0;
        return;
    }
    if (cycle & GMBUS_CYCLE_INDEX)
        v->mon.edid_offset = (uint8_t)(val >> 8);
    if (val & GMBUS_SLAVE_READ) {
        v->mon.gmbus_left = count;
        set_status(v, GMBUS_ACTIVE | GMBUS_HW_RDY | (count ? 0 : GMBUS_HW_WAIT_PHASE));
    } else {
        /* A write's first bytes are already in GMBUS3: the DDC offset. */
        if (count)
            v->mon.edid_offset = (uint8_t)vreg(&v->regs, PCH_GMBUS3);
        v->mon.gmbus_left = 0;
        set_status(v, GMBUS_ACTIVE | GMBUS_HW_RDY | GMBUS_HW_WAIT_PHASE);
    }
}

static uint32_t gmbus3_read(struct vgpu *v, uint32_t off, uint32_t stored)
{
    (void)off;
    if (!v->mon.gmbus_left)
        return stored;
    uint32_t val = 0;
    for (unsigned i = 0; i < 4 && v->mon.gmbus_left; i++, v->mon.gmbus_left--)
        val |= (uint32_t)v->mon.edid[(v->mon.edid_offset++) % sizeof(v->mon.edid)] << (8 * i);
    uint32_t st = GMBUS_ACTIVE | GMBUS_HW_RDY;
    if (!v->mon.gmbus_left)
        st |= GMBUS_HW_WAIT_PHASE;
    set_status(v, st);
    vreg_set(&v->regs, off, val);
    return val;
}

static void gmbus2_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)off;
    /* INUSE is released by writing it; nothing else is the guest's. */
    vreg_set(&v->regs, PCH_GMBUS2, (val & GMBUS_INUSE) ? old & ~GMBUS_INUSE : old);
}

static const struct gvt_reg gmbus_rows[] = {
    { PCH_GMBUS0, 0, 0, 0, NULL, gmbus0_written, "PCH_GMBUS0" },
    { PCH_GMBUS1, 0, 0, 0, NULL, gmbus1_written, "PCH_GMBUS1" },
    { PCH_GMBUS2, 0, GMBUS_HW_RDY, 0, NULL, gmbus2_written, "PCH_GMBUS2" },
    { PCH_GMBUS3, 0, 0, 0, gmbus3_read, NULL, "PCH_GMBUS3" },
};

/* No read in progress. */
void gvt_gmbus_reset(struct vgpu *v)
{
    v->mon.gmbus_left = 0;
}

int gvt_gmbus_init(struct vgpu *v)
{
    return gvt_regs_add(&v->regs, "gmbus", gmbus_rows,
                        sizeof(gmbus_rows) / sizeof(gmbus_rows[0]));
}

/* Its section ("gmbus", version 1): the bytes of a DDC read still to
 * come (at most a block and a half: GMBUS1's byte count is 9 bits). */
void gvt_gmbus_save(struct vgpu *v, struct state_buf *b)
{
    state_put32(b, v->mon.gmbus_left);
}

static uint32_t left_of(const struct stateblob_section *s)
{
    return (uint32_t)s->data[0] | (uint32_t)s->data[1] << 8 | (uint32_t)s->data[2] << 16 |
           (uint32_t)s->data[3] << 24;
}

int gvt_gmbus_check(const struct stateblob_section *s, const char **why)
{
    if (s->len != 4 || left_of(s) > 256) {
        *why = "gmbus section malformed";
        return -EINVAL;
    }
    return 0;
}

void gvt_gmbus_load(struct vgpu *v, const struct stateblob_section *s)
{
    v->mon.gmbus_left = left_of(s);
}
