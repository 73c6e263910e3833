#include "config.h"
#include "dm_slots.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 32u

/* One line for the log; a warning says so itself. */
static void note(struct dm_slots *s, bool warning, const char *fmt, ...)
{
    if (s->n_notes == DM_SLOTS_NOTES)
        return;
    char *dst = s->notes[s->n_notes++];
    int n = warning ? snprintf(dst, DM_SLOTS_NOTE_MAX, "warning: ") : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst + n, DM_SLOTS_NOTE_MAX - (size_t)n, fmt, ap);
    va_end(ap);
    if (warning)
        s->n_warnings++;
}

static const char *keep(struct dm_slots *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = sizeof(s->arena) - s->used;
    int n = vsnprintf(s->arena + s->used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        return NULL;
    const char *p = s->arena + s->used;
    s->used += (size_t)n + 1;
    return p;
}

/* The value of KEY= among a QEMU option string's comma-separated
 * properties (the first field, the driver or type, excluded), copied into
 * out; false if absent. */
static bool prop(const char *opts, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    const char *p = strchr(opts, ',');
    while (p) {
        p++;
        size_t n = strcspn(p, ",");
        if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            snprintf(out, cap, "%.*s", (int)(n - klen - 1), p + klen + 1);
            return true;
        }
        p = strchr(p, ',');
    }
    return false;
}

static void driver_of(const char *opts, char *out, size_t cap)
{
    snprintf(out, cap, "%.*s", (int)strcspn(opts, ","), opts);
}

/* QEMU's addr= ("slot[.fn]", the slot in hex, "0x" allowed): its slot, or
 * -1 if it does not read as one. */
static int addr_slot(const char *v)
{
    char *end;
    unsigned long slot = strtoul(v, &end, 16);
    if (end == v || slot >= SLOTS || (*end && *end != '.'))
        return -1;
    return (int)slot;
}

/* Devices libxl (or a user) gives QEMU that sit on the PCI bus. */
static bool is_pci_driver(const char *drv, const char *opts)
{
    static const char *const pci[] = {
        "VGA", "cirrus-vga", "qxl-vga", "qxl", "secondary-vga", "bochs-display",
        "rtl8139", "e1000", "e1000-82544gc", "e1000-82545em", "e1000e", "ne2k_pci",
        "pcnet", "i82550", "i82551", "i82557a", "i82557b", "i82557c", "i82558a",
        "i82558b", "i82559a", "i82559b", "i82559c", "i82559er", "i82562", "i82801",
        "vmxnet3", "piix3-usb-uhci", "piix4-usb-uhci", "usb-ehci", "ich9-usb-ehci1",
        "ich9-usb-ehci2", "ich9-usb-uhci1", "ich9-usb-uhci2", "ich9-usb-uhci3",
        "ich9-usb-uhci4", "ich9-usb-uhci5", "ich9-usb-uhci6", "nec-usb-xhci",
        "qemu-xhci", "intel-hda", "ich9-intel-hda", "AC97", "ES1370", "ahci",
        "lsi53c895a", "lsi53c810", "megasas", "megasas-gen2", "nvme", "xen-pvdevice",
        "xen-platform", "xen-pci-passthrough", "pci-bridge", "pci-ohci",
    };
    for (size_t i = 0; i < sizeof(pci) / sizeof(pci[0]); i++)
        if (strcmp(drv, pci[i]) == 0)
            return true;
    size_t n = strlen(drv);
    if (n > 4 && strcmp(drv + n - 4, "-pci") == 0)
        return true;
    /* A NIC front-end (it has a netdev) that is not USB or ISA. */
    char v[64];
    return prop(opts, "netdev", v, sizeof(v)) && strncmp(drv, "usb-", 4) != 0 &&
           !strstr(drv, "isa");
}

/* Devices that never sit on bus 0's slots by themselves. */
static bool is_not_pci_driver(const char *drv)
{
    static const char *const prefixes[] = { "usb-", "ide-", "scsi-", "hda-", "isa-",
                                            "virtserialport", "virtconsole", "xen-" };
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(drv, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

static int first_free(uint32_t taken)
{
    for (unsigned slot = 0; slot < SLOTS; slot++)
        if (!(taken & (1u << slot)))
            return (int)slot;
    return -1;
}

static bool is_xenfv(const char *machine)
{
    /* "xenfv,..." or "...,type=xenfv,..." */
    char type[32], all[512];
    driver_of(machine, type, sizeof(type));
    snprintf(all, sizeof(all), ",%s", machine);
    if (strchr(type, '=') && !prop(all, "type", type, sizeof(type)))
        return false;
    return strcmp(type, "xenfv") == 0 || strncmp(type, "xenfv-", 6) == 0;
}

static int insert(struct dm_args *a, unsigned at, const char *opt, const char *val)
{
    if (a->argc + 2 > DM_ARGS_MAX)
        return -ENOSPC;
    memmove(&a->argv[at + 2], &a->argv[at], (a->argc - at + 1) * sizeof(a->argv[0]));
    a->argv[at] = opt;
    a->argv[at + 1] = val;
    a->argc += 2;
    if (a->qmp_index >= (int)at)
        a->qmp_index += 2;
    return 0;
}

int dm_slots_apply(struct dm_args *a, struct dm_slots *s, char *err, size_t err_len)
{
    memset(s, 0, sizeof(*s));
    uint32_t vgpus = 0, explicit = 0;
    for (unsigned i = 0; i < a->vgpu_count; i++)
        if ((a->vgpu[i].sbdf >> 8) == 0) /* segment 0, bus 0 */
            vgpus |= 1u << ((a->vgpu[i].sbdf >> 3) & 0x1f);
    if (!vgpus)
        return 0;
    int machine = -1, first_device = -1;
    for (unsigned i = 0; i + 1 < a->argc; i++) {
        if (strcmp(a->argv[i], "-machine") == 0 || strcmp(a->argv[i], "-M") == 0) {
            machine = (int)i + 1;
        } else if (strcmp(a->argv[i], "-device") == 0) {
            if (first_device < 0)
                first_device = (int)i;
            char v[32];
            int slot;
            if (prop(a->argv[i + 1], "addr", v, sizeof(v)) && (slot = addr_slot(v)) >= 0)
                explicit |= 1u << slot;
        } else {
            continue;
        }
        i++;
    }
    /* What the machine places before any -device: the host bridge at 0,
     * the PIIX3 at 1, and xenfv's platform device at the first free slot. */
    uint32_t used = 0x3;
    const char *new_machine = NULL;
    int platform_slot = -1;
    if (machine >= 0 && is_xenfv(a->argv[machine])) {
        int slot = first_free(used);
        if (slot >= 0 && (vgpus & (1u << slot))) {
            platform_slot = first_free(used | vgpus | explicit);
            /* The machine's options but its type (xenfv implies Xen's
             * accelerator; pc must be told). */
            char opts[512] = "", accel[16], all[512];
            size_t w = 0;
            for (const char *p = a->argv[machine]; *p;) {
                size_t n = strcspn(p, ",");
                if (p != a->argv[machine] && strncmp(p, "type=", 5) != 0 && w + n + 1 < sizeof(opts))
                    w += (size_t)snprintf(opts + w, sizeof(opts) - w, ",%.*s", (int)n, p);
                p += n + (p[n] == ',');
            }
            snprintf(all, sizeof(all), ",%s", a->argv[machine]);
            if (platform_slot < 0 ||
                !(new_machine = keep(s, "pc%s%s",
                                     prop(all, "accel", accel, sizeof(accel)) ? "" : ",accel=xen",
                                     opts))) {
                snprintf(err, err_len, "no slot left for QEMU's Xen platform device");
                return -ENOSPC;
            }
            note(s, false,
                 "QEMU's Xen platform device (machine %s) would take 00:%02x.0, a vGPU's slot: "
                 "machine %s with the platform device at 00:%02x.0",
                 a->argv[machine], slot, new_machine, platform_slot);
            used |= 1u << platform_slot;
        } else if (slot >= 0) {
            used |= 1u << slot;
        }
    }
    /* Then each -device in order, as QEMU realizes them. */
    const char *new_val[DM_ARGS_MAX] = { 0 };
    for (unsigned i = 0; i + 1 < a->argc; i++) {
        if (strcmp(a->argv[i], "-device") != 0)
            continue;
        const char *opts = a->argv[++i];
        char drv[64], v[64];
        driver_of(opts, drv, sizeof(drv));
        if (prop(opts, "addr", v, sizeof(v))) {
            int slot = addr_slot(v);
            if (slot >= 0)
                used |= 1u << slot;
            continue;
        }
        if (prop(opts, "bus", v, sizeof(v)) && strcmp(v, "pci.0") != 0)
            continue; /* not on bus 0, or not PCI */
        bool pci = is_pci_driver(drv, opts);
        if (!pci && is_not_pci_driver(drv))
            continue;
        int slot = first_free(used);
        if (slot < 0 || !(vgpus & (1u << slot))) {
            if (slot >= 0 && pci)
                used |= 1u << slot;
            continue;
        }
        if (!pci) {
            note(s, true, "QEMU places -device %s itself: if it is a PCI device it takes "
                          "00:%02x.0, a vGPU's slot (give it addr=)", drv, slot);
            continue;
        }
        int to = first_free(used | vgpus | explicit);
        if (to < 0) {
            snprintf(err, err_len, "no slot left for QEMU's -device %s", drv);
            return -ENOSPC;
        }
        if (!(new_val[i] = keep(s, "%s,addr=0x%x", opts, to))) {
            snprintf(err, err_len, "QEMU's -device arguments too long to place %s", drv);
            return -ENOSPC;
        }
        note(s, false, "QEMU's -device %s would take 00:%02x.0, a vGPU's slot: placed at 00:%02x.0",
             drv, slot, to);
        used |= 1u << to;
    }
    /* All planned: now change the arguments. */
    const char *dev = NULL;
    if (new_machine && (!(dev = keep(s, "xen-platform,addr=0x%x", platform_slot)) ||
                        a->argc + 2 > DM_ARGS_MAX)) {
        snprintf(err, err_len, "no room for QEMU's Xen platform device argument");
        return -ENOSPC;
    }
    for (unsigned i = 0; i < a->argc; i++)
        if (new_val[i])
            a->argv[i] = new_val[i];
    if (dev) {
        /* Before every -device: realized first, as xenfv's would be. */
        unsigned at = first_device >= 0 ? (unsigned)first_device : (unsigned)machine + 1;
        insert(a, at, "-device", dev);
        a->argv[(unsigned)machine + ((unsigned)machine >= at ? 2 : 0)] = new_machine;
    }
    return 0;
}
