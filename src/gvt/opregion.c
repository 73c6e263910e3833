/* The virtual OpRegion: 8 KiB the guest finds at the address in config
 * register ASLS, holding a header, the SWSCI mailbox and, in mailbox 4, a
 * VBT that describes one DisplayPort connector on port D.
 *
 * Where ASLS points decides how it is served. hvmloader, taking our
 * function for an Intel IGD, allocates the pages in the MMIO hole and
 * expects the device model to "map" them there: we claim that range from
 * Xen and answer from our own copy. If the guest points ASLS at its own
 * RAM instead, we write the contents there. */
#include "config.h"
#include "gvt/device.h"
#include "gvt/opregion.h"
#include "ioreq/guestmem.h"
#include "ioreq/server.h"
#include "common/log.h"
#include "common/stateblob.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* OpRegion layout (Intel IGD OpRegion spec, as the i915 driver reads it) */
#define OPREGION_SIGNATURE "IntelGraphicsMem"
#define OPREGION_HDR_SIZE_KB 0x10
#define OPREGION_HDR_VERSION 0x14
#define OPREGION_HDR_MBOXES 0x58
#define OPREGION_MBOX_VBT (1u << 3) /* GVT-g's own bit: only the VBT is offered */
#define OPREGION_CLID 0x1ac         /* mailbox 1, lid state */
#define OPREGION_SCIC 0x200         /* mailbox 2 (SWSCI) */
#define OPREGION_PARM 0x204
#define OPREGION_VBT_OFFSET 0x400

/* SWSCI config register bits and SCIC fields */
#define SWSCI_SCI_SELECT (1u << 15)
#define SWSCI_SCI_TRIGGER 1u
#define SCIC_FUNC(x) (((x) >> 1) & 0xf)
#define SCIC_SUBFUNC(x) (((x) >> 8) & 0xff)
#define SCIC_EXIT_MASK 0xe0u
#define SCIC_F_GET_BIOS_DATA 4
#define SCIC_F_GET_BIOS_CALLBACKS 6

/* VBT pieces (i915's intel_vbt_defs.h names) */
#define VBT_HEADER_SIZE 48
#define BDB_HEADER_SIZE 22
#define BDB_GENERAL_FEATURES 1
#define BDB_GENERAL_DEFINITIONS 2
#define BDB_DRIVER_FEATURES 12
#define BDB_VERSION 186         /* child device configs are 33 bytes up to 194 */
#define CHILD_DEV_SIZE 33
#define DEVICE_TYPE_DP 0x68c6
#define DEVICE_HANDLE_EFP4 0x10 /* the handle GVT-g gives port D */
#define DVO_PORT_DPD 9
#define DP_AUX_D 0x30
#define CHILD_DP_COMPAT (1u << 1)            /* byte 24 */
#define CHILD_INTEGRATED_ENCODER (1u << 5)   /* byte 27 */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* A BDB block: id, 16-bit size, data. Returns the bytes used. */
static size_t put_block(uint8_t *p, uint8_t id, uint16_t size)
{
    p[0] = id;
    put16(p + 1, size);
    return 3u + size;
}

/* Writes the VBT at `vbt` and returns its size. */
static size_t build_vbt(uint8_t *vbt)
{
    uint8_t *bdb = vbt + VBT_HEADER_SIZE;
    uint8_t *p = bdb + BDB_HEADER_SIZE;

    /* General features: all zero (no CRT, no TV). */
    p += put_block(p, BDB_GENERAL_FEATURES, 10);

    /* General definitions: 5 bytes of header, then the child devices. */
    uint8_t *defs = p + 3;
    p += put_block(p, BDB_GENERAL_DEFINITIONS, 5 + CHILD_DEV_SIZE);
    defs[4] = CHILD_DEV_SIZE;
    uint8_t *child = defs + 5;
    put16(child + 0, DEVICE_HANDLE_EFP4);
    put16(child + 2, DEVICE_TYPE_DP);
    child[16] = DVO_PORT_DPD;
    child[24] = CHILD_DP_COMPAT;
    child[25] = DP_AUX_D;
    child[27] = CHILD_INTEGRATED_ENCODER;

    /* Driver features: zero means no LVDS. */
    p += put_block(p, BDB_DRIVER_FEATURES, 16);

    size_t bdb_size = (size_t)(p - bdb);
    memcpy(bdb, "BIOS_DATA_BLOCK ", 16);
    put16(bdb + 16, BDB_VERSION);
    put16(bdb + 18, BDB_HEADER_SIZE);
    put16(bdb + 20, (uint16_t)bdb_size);

    size_t vbt_size = VBT_HEADER_SIZE + bdb_size;
    memcpy(vbt, "$VBT SKYLAKE        ", 20);
    put16(vbt + 20, 155);
    put16(vbt + 22, VBT_HEADER_SIZE);
    put16(vbt + 24, (uint16_t)vbt_size);
    put32(vbt + 28, VBT_HEADER_SIZE); /* bdb_offset */
    uint8_t sum = 0;
    for (size_t i = 0; i < vbt_size; i++)
        sum = (uint8_t)(sum + vbt[i]);
    vbt[26] = (uint8_t)(0x100 - sum); /* bytes sum to zero */
    return vbt_size;
}

void gvt_opregion_build(uint8_t *buf)
{
    memset(buf, 0, GVT_OPREGION_SIZE);
    memcpy(buf, OPREGION_SIGNATURE, 16);
    put32(buf + OPREGION_HDR_SIZE_KB, GVT_OPREGION_SIZE / 1024);
    put32(buf + OPREGION_HDR_VERSION, 0x02000000);
    put32(buf + OPREGION_HDR_MBOXES, OPREGION_MBOX_VBT);
    buf[OPREGION_CLID] = 0x3; /* lid open: guests block on a closed lid */
    build_vbt(buf + OPREGION_VBT_OFFSET);
}

/* --- served as MMIO from our copy ------------------------------------- */

static int opregion_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    struct vgpu *v = opaque;
    uint64_t x = 0;
    memcpy(&x, v->opreg.bytes + off, size); /* dispatch checked off+size */
    *val = x;
    return 0;
}

static int opregion_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
    struct vgpu *v = opaque;
    /* The header and the VBT are the firmware's; mailboxes 1-3 are the
     * guest's to write. */
    if (off < 0x100 || off + size > OPREGION_VBT_OFFSET) {
        log_guest("OpRegion write at %#llx dropped (read-only part)",
                  (unsigned long long)off);
        return 0;
    }
    memcpy(v->opreg.bytes + off, &val, size);
    return 0;
}

static const struct io_ops opregion_ops = { opregion_read, opregion_write };

static void unclaim(struct vgpu *v)
{
    if (v->opreg.claimed != PCI_BAR_UNMAPPED)
        ioreq_unmap_range(v->srv, IO_SPACE_MMIO, v->opreg.claimed);
    v->opreg.claimed = PCI_BAR_UNMAPPED;
    v->opreg.gpa = 0;
}

void gvt_opregion_asls_written(struct vgpu *v, uint32_t asls)
{
    unclaim(v);
    if (asls == 0)
        return;
    if (asls & (GMEM_PAGE_SIZE - 1)) {
        log_guest("ASLS %#x is not page aligned: no OpRegion", asls);
        return;
    }
    /* Guest RAM: put the contents there and let the guest own them. Not
     * RAM (hvmloader's pages in the MMIO hole, the usual case) is no
     * fault: those are claimed below. */
    if (gmem_probe_write(v->gm, asls, v->opreg.bytes, GVT_OPREGION_SIZE) == 0) {
        v->opreg.gpa = asls;
        log_info("OpRegion written to guest RAM at %#x", asls);
        return;
    }
    int rc = ioreq_map_range(v->srv, IO_SPACE_MMIO, asls, GVT_OPREGION_SIZE,
                             &opregion_ops, v);
    if (rc < 0) {
        log_guest("OpRegion at %#x: neither guest RAM nor claimable (%s)", asls,
                  strerror(-rc));
        return;
    }
    v->opreg.claimed = asls;
    v->opreg.gpa = asls;
    log_info("OpRegion served at %#x", asls);
}

void gvt_opregion_restore(struct vgpu *v, uint64_t gpa, bool served)
{
    unclaim(v);
    if (!gpa)
        return;
    v->opreg.gpa = gpa;
    /* In guest RAM it travelled with the guest's memory: leave it be. */
    if (!served)
        return;
    int rc = ioreq_map_range(v->srv, IO_SPACE_MMIO, gpa, GVT_OPREGION_SIZE, &opregion_ops, v);
    if (rc < 0)
        log_warn("OpRegion at %#llx could not be claimed again: %s",
                 (unsigned long long)gpa, strerror(-rc));
    else
        v->opreg.claimed = gpa;
}

/* Access to the SWSCI mailbox wherever the OpRegion lives. */
static int mailbox_rw(struct vgpu *v, unsigned off, uint32_t *val, bool write)
{
    if (!v->opreg.gpa)
        return -ENOENT;
    if (v->opreg.claimed != PCI_BAR_UNMAPPED) {
        if (write)
            put32(v->opreg.bytes + off, *val);
        else
            *val = get32(v->opreg.bytes + off);
        return 0;
    }
    return write ? gmem_write(v->gm, v->opreg.gpa + off, val, 4)
                 : gmem_read(v->gm, v->opreg.gpa + off, val, 4);
}

void gvt_opregion_swsci_written(struct vgpu *v, uint16_t old, uint16_t val)
{
    /* Act on a 0->1 trigger with SCI (not SMI) selected. */
    if ((old & SWSCI_SCI_TRIGGER) || !(val & SWSCI_SCI_TRIGGER))
        return;
    if (!(val & SWSCI_SCI_SELECT)) {
        log_guest("SWSCI: SMI requested; only SCI is emulated");
        return;
    }
    uint32_t scic, parm;
    if (mailbox_rw(v, OPREGION_SCIC, &scic, false) < 0 ||
        mailbox_rw(v, OPREGION_PARM, &parm, false) < 0) {
        log_guest("SWSCI without a readable OpRegion");
        return;
    }
    unsigned func = SCIC_FUNC(scic), sub = SCIC_SUBFUNC(scic);
    bool capability_query = (func == SCIC_F_GET_BIOS_DATA && sub <= 1) ||
                            (func == SCIC_F_GET_BIOS_CALLBACKS && sub == 0);
    if (capability_query) {
        /* "Nothing supported, nothing requested". */
        scic = 0;
        parm = 0;
    } else {
        log_debug("SWSCI function %u.%u not supported", func, sub);
        scic &= ~SCIC_EXIT_MASK; /* exit status 0: unsupported */
        scic &= ~1u;             /* and done */
    }
    mailbox_rw(v, OPREGION_SCIC, &scic, true);
    mailbox_rw(v, OPREGION_PARM, &parm, true);
    v->stats.swsci_requests++;
}

void gvt_opregion_release(struct vgpu *v)
{
    unclaim(v);
}

/* Its section ("opregion", version 1): the last SWSCI value (for 0->1
 * triggers), where the guest put the OpRegion and whether it is served
 * from the MMIO hole, and its bytes. */
#define OPREGION_SECTION_LEN (4u + 8u + 1u + GVT_OPREGION_SIZE)

void gvt_opregion_save(struct vgpu *v, struct state_buf *b)
{
    state_put32(b, v->opreg.swsci);
    state_put64(b, v->opreg.gpa);
    state_put8(b, v->opreg.claimed != PCI_BAR_UNMAPPED);
    state_put_bytes(b, v->opreg.bytes, sizeof(v->opreg.bytes));
}

int gvt_opregion_check(const struct stateblob_section *s, const char **why)
{
    struct state_reader r;
    state_reader_init(&r, s);
    (void)state_get32(&r);
    uint64_t gpa = state_get64(&r);
    if (s->len != OPREGION_SECTION_LEN || r.bad || (gpa & 0xfff) || gpa > UINT32_MAX) {
        *why = "opregion section malformed";
        return -EINVAL;
    }
    return 0;
}

/* After config space: the claim follows where the guest put it. */
void gvt_opregion_load(struct vgpu *v, const struct stateblob_section *s)
{
    struct state_reader r;
    state_reader_init(&r, s);
    v->opreg.swsci = (uint16_t)state_get32(&r);
    uint64_t gpa = state_get64(&r);
    bool served = state_get8(&r) != 0;
    state_get_bytes(&r, v->opreg.bytes, sizeof(v->opreg.bytes));
    gvt_opregion_restore(v, gpa, served);
}
