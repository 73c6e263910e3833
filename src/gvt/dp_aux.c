/* The DP AUX channel of port D, where the guest talks to the virtual
 * monitor: native AUX reads and writes of the sink's DPCD (capabilities,
 * link training) and I2C-over-AUX reads of its EDID at address 0x50.
 *
 * A transaction completes within the guest's write to the control register
 * (there is no wire): the reply is in the data registers and DONE is set
 * before the guest's first poll. Every length comes from the guest and is
 * checked against the 20-byte data window. */
#include "config.h"
#include "gvt/vgpu.h"
#include "gvt/device.h"
#include "gvt/dp_aux.h"
#include "gvt/edid.h"
#include "gvt/irq.h"
#include "common/log.h"
#include "common/stateblob.h"

#include <errno.h>
#include <string.h>

#define DP_AUX_CH_CTL_D 0x64310u
#define DP_AUX_CH_DATA_D(i) (0x64314u + 4u * (i))
#define AUX_CTL_SEND_BUSY (1u << 31)
#define AUX_CTL_DONE (1u << 30)
#define AUX_CTL_INTERRUPT (1u << 29)
#define AUX_CTL_TIME_OUT_ERROR (1u << 28)
#define AUX_CTL_RECEIVE_ERROR (1u << 25)
#define AUX_CTL_MESSAGE_SIZE_SHIFT 20
#define AUX_CTL_MESSAGE_SIZE_MASK (0x1fu << 20)
#define GEN9_AUX_CHANNEL_D (1u << 27) /* DE port IIR */

/* Request commands (high nibble of the first byte). */
#define AUX_I2C_WRITE 0x0u
#define AUX_I2C_READ 0x1u
#define AUX_I2C_MOT 0x4u
#define AUX_NATIVE_WRITE 0x8u
#define AUX_NATIVE_READ 0x9u
/* Reply codes (first byte). */
#define AUX_REPLY_ACK 0x00u
#define AUX_NATIVE_REPLY_NACK 0x10u
#define AUX_I2C_REPLY_NACK 0x40u

#define DDC_ADDR 0x50u
#define DDC_SEGMENT_ADDR 0x30u

/* DPCD addresses */
#define DP_TRAINING_PATTERN_SET 0x102u
#define DP_LANE0_1_STATUS 0x202u
#define DP_LANE2_3_STATUS 0x203u
#define DP_LANE_ALIGN_STATUS_UPDATED 0x204u
#define DP_SET_POWER 0x600u

void vgpu_set_monitor(struct vgpu *v, bool connected)
{
    uint32_t isr = vreg(&v->regs, SDEISR);
    bool was = isr & SDE_PORTD_HOTPLUG_CPT;
    vreg_set(&v->regs, SDEISR, connected ? isr | SDE_PORTD_HOTPLUG_CPT
                                         : isr & ~SDE_PORTD_HOTPLUG_CPT);
    v->mon.dpcd[0x200] = connected ? 1 : 0;
    if (was == connected)
        return;
    log_info("monitor on port D %s", connected ? "plugged in" : "unplugged");
    /* A hotplug is an edge either way: the driver re-probes the port. */
    gvt_irq_raise(v, IRQ_PCH, SDE_PORTD_HOTPLUG_CPT);
}

int vgpu_set_edid(struct vgpu *v, const uint8_t *edid, size_t len)
{
    static const uint8_t header[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 };
    uint8_t sum = 0;
    if (len < 128 || memcmp(edid, header, 8) != 0)
        return -EINVAL;
    for (unsigned i = 0; i < 128; i++)
        sum = (uint8_t)(sum + edid[i]);
    if (sum != 0)
        return -EINVAL;
    memcpy(v->mon.custom_edid, edid, 128);
    v->mon.have_custom_edid = true;
    memcpy(v->mon.edid, edid, 128);
    return 0;
}

void vgpu_get_edid(const struct vgpu *v, uint8_t out[128])
{
    memcpy(out, v->mon.edid, 128);
}

void gvt_dp_reset(struct vgpu *v)
{
    uint8_t *d = v->mon.dpcd;
    memset(d, 0, sizeof(v->mon.dpcd));
    d[0x000] = 0x12; /* DPCD 1.2 */
    d[0x001] = 0x14; /* 5.4 Gb/s */
    d[0x002] = 0x84; /* 4 lanes, enhanced framing */
    d[0x003] = 0x01; /* 0.5% down-spread */
    d[0x200] = 0x01; /* one sink */
    /* The link is up: the pipe starts out driving the monitor. */
    d[DP_LANE0_1_STATUS] = 0x77;
    d[DP_LANE2_3_STATUS] = 0x77;
    d[DP_LANE_ALIGN_STATUS_UPDATED] = 0x01;
    d[0x205] = 0x01; /* receive port 0 in sync */
    d[DP_SET_POWER] = 0x01;
    v->mon.edid_offset = 0;
    if (v->mon.have_custom_edid)
        memcpy(v->mon.edid, v->mon.custom_edid, sizeof(v->mon.edid));
    else
        gvt_edid_build(v->mon.edid, v->cfg.width, v->cfg.height);
}

static void native_write(struct vgpu *v, uint32_t addr, const uint8_t *data, unsigned len)
{
    for (unsigned i = 0; i < len; i++) {
        uint32_t a = addr + i;
        /* The sink's writable ranges: link configuration and power. */
        if (!((a >= 0x100 && a < 0x200) || a == DP_SET_POWER))
            continue;
        v->mon.dpcd[a] = data[i];
        if (a != DP_TRAINING_PATTERN_SET)
            continue;
        /* Training "succeeds" at once: pattern 1 locks the clocks,
         * patterns 2-4 equalise and align every lane. */
        switch (data[i] & 0xf) {
        case 1:
            v->mon.dpcd[DP_LANE0_1_STATUS] = v->mon.dpcd[DP_LANE2_3_STATUS] = 0x11;
            v->mon.dpcd[DP_LANE_ALIGN_STATUS_UPDATED] = 0;
            break;
        case 2: case 3: case 7:
            v->mon.dpcd[DP_LANE0_1_STATUS] = v->mon.dpcd[DP_LANE2_3_STATUS] = 0x77;
            v->mon.dpcd[DP_LANE_ALIGN_STATUS_UPDATED] = 0x01;
            break;
        default:
            break; /* training off: keep the trained status */
        }
    }
}

/* Executes the request in `msg` (size bytes); writes the reply into `reply`
 * and returns its size. */
static unsigned transact(struct vgpu *v, const uint8_t *msg, unsigned size, uint8_t *reply)
{
    unsigned cmd = msg[0] >> 4;
    uint32_t addr = (uint32_t)(msg[0] & 0xf) << 16 | (uint32_t)msg[1] << 8 | msg[2];
    bool i2c = !(cmd & 0x8);
    if (size == 3) { /* address only: I2C start/stop */
        reply[0] = i2c && addr != DDC_ADDR && addr != DDC_SEGMENT_ADDR ? AUX_I2C_REPLY_NACK
                                                                       : AUX_REPLY_ACK;
        return 1;
    }
    unsigned len = msg[3] + 1u;
    switch (cmd) {
    case AUX_NATIVE_READ:
        if (len > 16 || size != 4)
            break;
        reply[0] = AUX_REPLY_ACK;
        for (unsigned i = 0; i < len; i++)
            reply[1 + i] = addr + i < sizeof(v->mon.dpcd) ? v->mon.dpcd[addr + i] : 0;
        return 1 + len;
    case AUX_NATIVE_WRITE:
        if (len > 16 || size != 4 + len)
            break;
        native_write(v, addr, msg + 4, len);
        reply[0] = AUX_REPLY_ACK;
        return 1;
    case AUX_I2C_WRITE: case AUX_I2C_WRITE | AUX_I2C_MOT:
        if (len > 16 || size != 4 + len)
            break;
        if (addr == DDC_ADDR) {
            v->mon.edid_offset = msg[4]; /* the first byte sets the offset */
        } else if (addr != DDC_SEGMENT_ADDR) {
            reply[0] = AUX_I2C_REPLY_NACK;
            return 1;
        }
        reply[0] = AUX_REPLY_ACK;
        return 1;
    case AUX_I2C_READ: case AUX_I2C_READ | AUX_I2C_MOT:
        if (len > 16 || size != 4)
            break;
        if (addr != DDC_ADDR) {
            reply[0] = AUX_I2C_REPLY_NACK;
            return 1;
        }
        reply[0] = AUX_REPLY_ACK;
        for (unsigned i = 0; i < len; i++)
            reply[1 + i] = v->mon.edid[(v->mon.edid_offset++) % sizeof(v->mon.edid)];
        return 1 + len;
    default:
        reply[0] = AUX_NATIVE_REPLY_NACK;
        return 1;
    }
    return 0; /* malformed */
}

static void aux_ctl_written(struct vgpu *v, uint32_t off, uint32_t old, uint32_t val)
{
    (void)old;
    if (!(val & AUX_CTL_SEND_BUSY)) {
        /* Clearing the sticky status bits. */
        vreg_set(&v->regs, off, val & ~(AUX_CTL_DONE | AUX_CTL_TIME_OUT_ERROR |
                                       AUX_CTL_RECEIVE_ERROR));
        return;
    }
    unsigned size = (val & AUX_CTL_MESSAGE_SIZE_MASK) >> AUX_CTL_MESSAGE_SIZE_SHIFT;
    uint8_t msg[20], reply[20];
    for (unsigned i = 0; i < 5; i++) {
        uint32_t w = vreg(&v->regs, DP_AUX_CH_DATA_D(i));
        msg[4 * i] = (uint8_t)(w >> 24);
        msg[4 * i + 1] = (uint8_t)(w >> 16);
        msg[4 * i + 2] = (uint8_t)(w >> 8);
        msg[4 * i + 3] = (uint8_t)w;
    }
    unsigned rsize = size >= 3 && size <= 20 ? transact(v, msg, size, reply) : 0;
    uint32_t ctl = val & ~(AUX_CTL_SEND_BUSY | AUX_CTL_TIME_OUT_ERROR | AUX_CTL_RECEIVE_ERROR |
                           AUX_CTL_MESSAGE_SIZE_MASK);
    ctl |= AUX_CTL_DONE;
    if (rsize == 0) {
        log_guest("AUX D: malformed request (%u bytes, command %#x)", size, msg[0] >> 4);
        ctl |= AUX_CTL_RECEIVE_ERROR;
    } else {
        for (unsigned i = 0; i < 5; i++) {
            uint8_t b[4] = { 0 };
            for (unsigned j = 0; j < 4 && 4 * i + j < rsize; j++)
                b[j] = reply[4 * i + j];
            vreg_set(&v->regs, DP_AUX_CH_DATA_D(i),
                     (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
        }
        ctl |= rsize << AUX_CTL_MESSAGE_SIZE_SHIFT;
    }
    vreg_set(&v->regs, off, ctl);
    v->stats.aux_transactions++;
    if (val & AUX_CTL_INTERRUPT)
        gvt_irq_raise(v, IRQ_DE_PORT, GEN9_AUX_CHANNEL_D);
}

static const struct gvt_reg aux_rows[] = {
    { DP_AUX_CH_CTL_D, 0, 0, 0, NULL, aux_ctl_written, "DP_AUX_CH_CTL_D" },
};

int gvt_dp_aux_init(struct vgpu *v)
{
    return gvt_regs_add(&v->regs, "dp_aux", aux_rows, sizeof(aux_rows) / sizeof(aux_rows[0]));
}

/* Its section ("dp_aux", version 1): the monitor as the guest sees it --
 * its DPCD, the EDID served and the DDC pointer in it, and --edid's block
 * (kept for a reset). Any byte is a valid DPCD or pointer value. */
#define DP_SECTION_LEN (0x1000u + 128u + 1u + 1u + 128u)

void gvt_dp_save(struct vgpu *v, struct state_buf *b)
{
    state_put_bytes(b, v->mon.dpcd, sizeof(v->mon.dpcd));
    state_put_bytes(b, v->mon.edid, sizeof(v->mon.edid));
    state_put8(b, v->mon.edid_offset);
    state_put8(b, v->mon.have_custom_edid);
    state_put_bytes(b, v->mon.custom_edid, sizeof(v->mon.custom_edid));
}

int gvt_dp_check(const struct stateblob_section *s, const char **why)
{
    if (s->len != DP_SECTION_LEN) {
        *why = "dp_aux section malformed";
        return -EINVAL;
    }
    return 0;
}

void gvt_dp_load(struct vgpu *v, const struct stateblob_section *s)
{
    struct state_reader r;
    state_reader_init(&r, s);
    state_get_bytes(&r, v->mon.dpcd, sizeof(v->mon.dpcd));
    state_get_bytes(&r, v->mon.edid, sizeof(v->mon.edid));
    v->mon.edid_offset = state_get8(&r);
    v->mon.have_custom_edid = state_get8(&r) != 0;
    state_get_bytes(&r, v->mon.custom_edid, sizeof(v->mon.custom_edid));
}
