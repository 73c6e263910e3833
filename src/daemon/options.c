#include "config.h"
#include "daemon/options.h"
#include "gvt/vgpu.h"
#include "ioreq/server.h"
#include "ioreq/guestmem.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
"Usage: xengvtd --domid N [options]\n"
"\n"
"Serve an Intel GVT-g virtual GPU to Xen HVM guest N as a device-model\n"
"ioreq server. Runs in the foreground until the domain is destroyed or the\n"
"daemon receives SIGTERM/SIGINT; logs go to stderr.\n"
"\n"
"Options:\n"
"  -d, --domid N          guest domain to serve (required)\n"
"  -s, --sbdf S:B:D.F     PCI address of the vGPU in the guest\n"
"                         (default 0000:00:02.0, where i915 expects the iGPU)\n"
"  -t, --type NAME        vGPU type (default GVTg_V5_4); one of:\n");
    for (const struct vgpu_type *const *t = vgpu_types(); *t; t++)
        fprintf(out, "                           %-10s aperture %4u MiB, hidden %4u MiB, "
                "%u fences, up to %ux%u\n", (*t)->name, (*t)->aperture_mb,
                (*t)->hidden_mb, (*t)->fences, (*t)->max_width, (*t)->max_height);
    fprintf(out,
"      --device-id ID     PCI device id to present (default: the host's Intel\n"
"                         GPU's if libdrm finds one, else 0x1912, SKL GT2)\n"
"      --no-host-identity do not copy the host GPU's ids\n"
"      --io-bar           also expose BAR4, the MMIO index/data I/O window of\n"
"                         bare-metal iGPUs (GVT-g leaves it out)\n"
"      --legacy-mapping   map the ioreq pages by gfn instead of the resource API\n"
"      --aperture MIB     the guest's aperture slice in MiB (default: the\n"
"                         type's; expert knob: a smaller slice breaks GTT\n"
"                         mmaps larger than it)\n"
"      --aperture-ram[=0|1]  back the aperture slice with RAM added to the\n"
"                         guest (default 1; costs the slice's size, e.g.\n"
"                         128 MiB for GVTg_V5_4): stores through the aperture\n"
"                         at memory speed, kept coherent with the pages the\n"
"                         GGTT names at i915's sync points. 0 (expert): every\n"
"                         aperture access traps, and i915's console, which\n"
"                         draws through it, becomes very slow\n"
"      --trap-ggtt        keep the GGTT trapped (one ioreq per entry store)\n"
"                         instead of adding 8 MiB of guest RAM behind BAR0\n"
"      --control PATH     control socket (default " XENGVT_RUN_DIR "/domN.sock)\n"
"      --resolution WxH   the monitor's preferred mode at 60 Hz (default\n"
"                         1920x1080, or the type's maximum if smaller; at\n"
"                         most the type's maximum)\n"
"      --edid FILE        the monitor's EDID (128 bytes) instead of the\n"
"                         built-in 1920x1080@60 one\n"
"      --vnc ADDR:PORT    live view of the guest's screen for VNC viewers\n"
"                         (e.g. 127.0.0.1:5901; no password: keep it local)\n"
"      --kms DEV[:CONN]   show the guest's screen on a display of this host\n"
"                         (e.g. /dev/dri/card0:HDMI-A-1; default connector:\n"
"                         the first connected). Needs the device to be free\n"
"                         of a display server\n"
"      --restore FILE     start from a device state saved by the control\n"
"                         socket's \"save\" (same type, PCI address, ids);\n"
"                         a refused file exits 5 before touching the domain\n"
"      --adopt-server ID  take over ioreq server ID, which a daemon that died\n"
"                         left serving this domain (its claims, and an access\n"
"                         a vCPU still waits on), instead of creating one;\n"
"                         with --restore of that daemon's last checkpoint\n"
"      --live-state FILE  keep the register file in FILE (tmpfs), where it\n"
"                         outlives this daemon; with --adopt-server and\n"
"                         --restore, first take the registers a dead\n"
"                         predecessor left there (newer than its checkpoint)\n"
"      --runas USER[:GROUP]  after set-up, run as this user (default when\n"
"                         started as root: the domain's own uid, from user\n"
"                         xengvt-range-base's on; else user xengvt-shared)\n"
"      --chroot DIR       after set-up, chroot into DIR (default: an empty\n"
"                         directory " XENGVT_RUN_DIR "/root-domN, mode 0000)\n"
"      --no-sandbox       keep root, unrestricted Xen handles and no seccomp\n"
"                         (debugging only; logged as a warning)\n"
"      --map-cache N      guest-memory map cache size in 256 KiB buckets\n"
"                         (default %u)\n"
"  -l, --log-level LVL    error, warn, info (default) or debug\n"
"  -h, --help             this text\n"
"  -V, --version          version\n"
"\n"
"Exit status: 0 stopped by signal or domain gone; 1 runtime error; 2 usage;\n"
"3 domain not found; 4 Xen refused a set-up step; 5 --restore file refused;\n"
"6 the sandbox could not be entered.\n"
"See xengvtd(8).\n",
            GMEM_DEFAULT_MAX_BUCKETS);
}

int options_parse_sbdf(const char *s, uint32_t *sbdf)
{
    unsigned seg = 0, bus, dev, fn;
    char tail;
    if (sscanf(s, "%x:%x:%x.%x%c", &seg, &bus, &dev, &fn, &tail) != 4) {
        seg = 0;
        if (sscanf(s, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3)
            return -EINVAL;
    }
    if (seg > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
        return -ERANGE;
    *sbdf = pci_sbdf(seg, bus, dev, fn);
    return 0;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || end == s || *end || v > max)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

enum { OPT_LEGACY = 256, OPT_IO_BAR, OPT_DEVICE_ID, OPT_MAP_CACHE, OPT_NO_HOST_ID,
       OPT_CONTROL, OPT_VNC, OPT_EDID, OPT_RESOLUTION, OPT_KMS,
       OPT_RESTORE, OPT_RUNAS, OPT_CHROOT, OPT_NO_SANDBOX, OPT_TRAP_GGTT, OPT_APERTURE, OPT_APERTURE_RAM, OPT_ADOPT,
       OPT_LIVE_STATE };

int options_parse(int argc, char **argv, struct xengvtd_options *o, int *exit_code)
{
    static const struct option longopts[] = {
        { "domid", required_argument, NULL, 'd' },
        { "sbdf", required_argument, NULL, 's' },
        { "type", required_argument, NULL, 't' },
        { "log-level", required_argument, NULL, 'l' },
        { "legacy-mapping", no_argument, NULL, OPT_LEGACY },
        { "trap-ggtt", no_argument, NULL, OPT_TRAP_GGTT },
        { "aperture", required_argument, NULL, OPT_APERTURE },
        { "aperture-ram", optional_argument, NULL, OPT_APERTURE_RAM },
        { "io-bar", no_argument, NULL, OPT_IO_BAR },
        { "device-id", required_argument, NULL, OPT_DEVICE_ID },
        { "map-cache", required_argument, NULL, OPT_MAP_CACHE },
        { "no-host-identity", no_argument, NULL, OPT_NO_HOST_ID },
        { "control", required_argument, NULL, OPT_CONTROL },
        { "vnc", required_argument, NULL, OPT_VNC },
        { "kms", required_argument, NULL, OPT_KMS },
        { "restore", required_argument, NULL, OPT_RESTORE },
        { "adopt-server", required_argument, NULL, OPT_ADOPT },
        { "live-state", required_argument, NULL, OPT_LIVE_STATE },
        { "runas", required_argument, NULL, OPT_RUNAS },
        { "chroot", required_argument, NULL, OPT_CHROOT },
        { "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
        { "edid", required_argument, NULL, OPT_EDID },
        { "resolution", required_argument, NULL, OPT_RESOLUTION },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof(*o));
    o->sbdf = pci_sbdf(0, 0, 2, 0);
    o->type_name = "GVTg_V5_4";
    o->log_level = LOGL_INFO;
    o->map_cache_buckets = GMEM_DEFAULT_MAX_BUCKETS;
    o->host_identity = true;
    o->sandbox = true;
    /* Out of the box i915's console draws through the aperture: trapped,
     * that is one ioreq per pixel store (see doc/ggtt-and-aperture.md). */
    o->aperture_ram = true;
    *exit_code = EXIT_USAGE;
    optind = 1;
    int c;
    uint32_t v;
    while ((c = getopt_long(argc, argv, "d:s:t:l:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            /* DOMID_FIRST_RESERVED is 0x7ff0; dom0 serves, never is served. */
            if (parse_u32(optarg, 0x7fef, &v) < 0 || v == 0) {
                fprintf(stderr, "xengvtd: --domid: '%s' is not a guest domain id\n", optarg);
                return -1;
            }
            o->domid = v;
            o->have_domid = true;
            break;
        case 's':
            if (options_parse_sbdf(optarg, &o->sbdf) < 0) {
                fprintf(stderr, "xengvtd: --sbdf: '%s' is not SSSS:BB:DD.F\n", optarg);
                return -1;
            }
            break;
        case 't':
            if (!vgpu_type_find(optarg)) {
                fprintf(stderr, "xengvtd: --type: unknown vGPU type '%s'; valid:", optarg);
                for (const struct vgpu_type *const *t = vgpu_types(); *t; t++)
                    fprintf(stderr, " %s", (*t)->name);
                fprintf(stderr, "\n");
                return -1;
            }
            o->type_name = optarg;
            break;
        case 'l':
            if (log_parse_level(optarg, &o->log_level) < 0) {
                fprintf(stderr, "xengvtd: --log-level: use error, warn, info or debug\n");
                return -1;
            }
            break;
        case OPT_LEGACY:
            o->legacy_mapping = true;
            break;
        case OPT_TRAP_GGTT:
            o->trap_ggtt = true;
            break;
        case OPT_APERTURE_RAM:
            if (optarg && strcmp(optarg, "0") && strcmp(optarg, "1")) {
                fprintf(stderr, "xengvtd: --aperture-ram: 0 or 1\n");
                return -1;
            }
            o->aperture_ram = !optarg || optarg[0] == '1';
            break;
        case OPT_APERTURE:
            if (parse_u32(optarg, 4096, &o->aperture_mb) < 0 || o->aperture_mb == 0) {
                fprintf(stderr, "xengvtd: --aperture: a slice in MiB, 1 to the type's\n");
                return -1;
            }
            break;
        case OPT_IO_BAR:
            o->io_bar = true;
            break;
        case OPT_DEVICE_ID:
            if (parse_u32(optarg, 0xffff, &v) < 0) {
                fprintf(stderr, "xengvtd: --device-id: '%s' is not a 16-bit id\n", optarg);
                return -1;
            }
            o->device_id = (uint16_t)v;
            break;
        case OPT_RESOLUTION: {
            unsigned w, h;
            char tail;
            if (sscanf(optarg, "%ux%u%c", &w, &h, &tail) != 2 || w < 640 || h < 480 ||
                w > 4096 || h > 2160) {
                fprintf(stderr, "xengvtd: --resolution: WxH between 640x480 and 4096x2160\n");
                return -1;
            }
            o->width = w;
            o->height = h;
            break;
        }
        case OPT_EDID:
            o->edid_path = optarg; /* read and checked at set-up */
            break;
        case OPT_RUNAS:
            o->runas = optarg; /* resolved at set-up */
            break;
        case OPT_CHROOT:
            if (optarg[0] != '/') {
                fprintf(stderr, "xengvtd: --chroot: an absolute directory\n");
                return -1;
            }
            o->chroot_dir = optarg;
            break;
        case OPT_NO_SANDBOX:
            o->sandbox = false;
            break;
        case OPT_RESTORE:
            o->restore_path = optarg; /* read and checked at set-up */
            break;
        case OPT_LIVE_STATE:
            o->live_state_path = optarg; /* opened and checked at set-up */
            break;
        case OPT_ADOPT: {
            char *end;
            errno = 0;
            unsigned long id = strtoul(optarg, &end, 0);
            if (errno || end == optarg || *end || id > 0xffff) {
                fprintf(stderr, "xengvtd: --adopt-server: an ioreq server id (0-65535)\n");
                return -1;
            }
            o->adopt = true;
            o->adopt_id = (uint16_t)id;
            break;
        }
        case OPT_KMS:
            o->kms_spec = optarg; /* checked when the output starts */
            break;
        case OPT_VNC:
            o->vnc_listen = optarg; /* checked when the server starts */
            break;
        case OPT_CONTROL:
            if (strlen(optarg) >= sizeof(o->control_path)) {
                fprintf(stderr, "xengvtd: --control: path longer than %zu bytes\n",
                        sizeof(o->control_path) - 1);
                return -1;
            }
            snprintf(o->control_path, sizeof(o->control_path), "%s", optarg);
            break;
        case OPT_NO_HOST_ID:
            o->host_identity = false;
            break;
        case OPT_MAP_CACHE:
            if (parse_u32(optarg, 65536, &v) < 0 || v < 4) {
                fprintf(stderr, "xengvtd: --map-cache: 4..65536 buckets\n");
                return -1;
            }
            o->map_cache_buckets = v;
            break;
        case 'h':
            usage(stdout);
            *exit_code = EXIT_OK;
            return 1;
        case 'V':
            printf("xengvtd %s\n", PACKAGE_VERSION);
            *exit_code = EXIT_OK;
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "xengvtd: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (!o->have_domid) {
        fprintf(stderr, "xengvtd: --domid is required (see --help)\n");
        return -1;
    }
    if (!o->control_path[0])
        snprintf(o->control_path, sizeof(o->control_path), XENGVT_RUN_DIR "/dom%u.sock",
                 o->domid);
    return 0;
}
