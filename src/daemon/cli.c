/* xengvt: the admin's client for a running xengvtd, over its control
 * socket (the tools' client, tools/common/ctl_client.h). */
#include "config.h"
#include "daemon/options.h"
#include "daemon/top.h"
#include "tools/common/ctl_client.h"

#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2, CLI_NO_DAEMON = 3 };

/* Screenshots, frames and saved states: larger answers are refused. */
#define CLI_PAYLOAD_MAX (1u << 30)

static void usage(FILE *out)
{
    fprintf(out,
"Usage: xengvt [--domid N | --socket PATH] COMMAND [ARGS]\n"
"\n"
"Talk to the xengvtd serving a guest's vGPU.\n"
"\n"
"Commands:\n"
"  status             print the daemon's state and counters (one JSON line)\n"
"  screenshot FILE    write the guest's current screen to FILE as PNG\n"
"  frame FILE         the same raw: width*height XRGB8888 pixels (little-endian)\n"
"  edid FILE          the 128-byte EDID the guest reads from its monitor\n"
"  save FILE          quiesce the vGPU and write its device state to FILE\n"
"                     (for xengvtd --restore); it stays paused until resume\n"
"  pause              quiesce the vGPU (no vblanks, no command execution)\n"
"  resume             undo pause or save\n"
"  reg OFFSET|NAME    one MMIO register: its name, owning part, value, reset\n"
"                     value, masks and flags (one JSON line); OFFSET as 0x2230,\n"
"                     NAME as i915's, e.g. RING_ELSP(rcs0)\n"
"  traps [N]          the N registers (default 20, at most 64) the guest trapped\n"
"                     on most since the daemon started, busiest first, with\n"
"                     their reads and writes (one JSON line)\n"
"  dirty-log on|off   report the guest pages the daemon writes to Xen's\n"
"                     log-dirty mode (for a live migration; off by default)\n"
"  top [--json] [--interval SEC] [--count N] [--run-dir DIR]\n"
"                     live rates (traps, engines, vblanks, flips, aperture,\n"
"                     CPU), each second; all daemons without --domid/--socket\n"
"\n"
"Options:\n"
"  -d, --domid N      the guest (socket " XENGVT_RUN_DIR "/domN.sock)\n"
"  -s, --socket PATH  the daemon's control socket\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 done; 1 the daemon refused or failed; 2 usage; 3 no daemon.\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "domid", required_argument, NULL, 'd' },
        { "socket", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    char path[108] = "";
    int c;
    while ((c = getopt_long(argc, argv, "+d:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            snprintf(path, sizeof(path), XENGVT_RUN_DIR "/dom%s.sock", optarg);
            break;
        case 's':
            snprintf(path, sizeof(path), "%s", optarg);
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind < argc && strcmp(argv[optind], "top") == 0)
        return cli_top(path[0] ? path : NULL, argc - optind, argv + optind);
    if (!path[0] || optind >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[optind];
    const char *file = NULL;
    const char *reg = NULL;
    const char *enable = NULL; /* dirty-log's argument, as JSON */
    long top = 0;              /* traps' count; 0: the daemon's default */
    bool wants_file = strcmp(cmd, "screenshot") == 0 || strcmp(cmd, "save") == 0 ||
                      strcmp(cmd, "frame") == 0 || strcmp(cmd, "edid") == 0;
    if (wants_file) {
        if (optind + 1 >= argc) {
            fprintf(stderr, "xengvt: %s needs an output file\n", cmd);
            return CLI_USAGE;
        }
        file = argv[optind + 1];
    } else if (strcmp(cmd, "reg") == 0) {
        reg = optind + 1 < argc ? argv[optind + 1] : NULL;
        /* Sent inside a JSON string: names and offsets are made of
         * characters that need no escape there. */
        static const char reg_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "abcdefghijklmnopqrstuvwxyz0123456789_()[]";
        if (!reg || !reg[0] || strlen(reg) > 64 || reg[strspn(reg, reg_chars)]) {
            fprintf(stderr, "xengvt: reg needs a register offset (0x2230) or name "
                            "(RING_ELSP(rcs0))\n");
            return CLI_USAGE;
        }
    } else if (strcmp(cmd, "traps") == 0) {
        if (optind + 1 < argc) {
            char *end;
            top = strtol(argv[optind + 1], &end, 10);
            if (*end || end == argv[optind + 1] || top < 1 || top > 64) {
                fprintf(stderr, "xengvt: traps takes a count from 1 to 64\n");
                return CLI_USAGE;
            }
        }
    } else if (strcmp(cmd, "dirty-log") == 0) {
        const char *arg = optind + 1 < argc ? argv[optind + 1] : "";
        enable = strcmp(arg, "on") == 0 ? "true" : strcmp(arg, "off") == 0 ? "false" : NULL;
        if (!enable) {
            fprintf(stderr, "xengvt: dirty-log takes on or off\n");
            return CLI_USAGE;
        }
    } else if (strcmp(cmd, "status") != 0 && strcmp(cmd, "pause") != 0 &&
               strcmp(cmd, "resume") != 0) {
        fprintf(stderr, "xengvt: unknown command '%s'\n", cmd);
        return CLI_USAGE;
    }

    int fd = ctl_connect(path, CTL_TIMEOUT_MS);
    if (fd < 0) {
        fprintf(stderr, "xengvt: no daemon at %s: %s\n", path, strerror(-fd));
        return CLI_NO_DAEMON;
    }
    char req[160];
    if (reg)
        snprintf(req, sizeof(req), "{\"cmd\":\"reg\",\"reg\":\"%s\"}", reg);
    else if (enable)
        snprintf(req, sizeof(req), "{\"cmd\":\"%s\",\"enable\":%s}", cmd, enable);
    else if (top)
        snprintf(req, sizeof(req), "{\"cmd\":\"traps\",\"top\":%ld}", top);
    else
        snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}", cmd);
    char line[8192];
    struct daemon_reply reply;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = ctl_exchange(fd, req, reply_now_ms() + CTL_TIMEOUT_MS, CLI_PAYLOAD_MAX, line,
                          sizeof(line), &reply, file ? &data : NULL, &len);
    close(fd);
    if (rc < 0 && !line[0]) {
        fprintf(stderr, "xengvt: the daemon hung up\n");
        return CLI_FAILED;
    }
    if (rc < 0) {
        fprintf(stderr, "xengvt: answer cut short (%s): %s\n", strerror(-rc), line);
        return CLI_FAILED;
    }
    if (!reply.ok) {
        fprintf(stderr, "xengvt: %s\n", line);
        return CLI_FAILED;
    }
    if (!file) {
        printf("%s\n", line);
        return CLI_OK;
    }
    if (!data) {
        fprintf(stderr, "xengvt: no data in the answer\n");
        return CLI_FAILED;
    }
    FILE *out = fopen(file, "wb");
    if (!out || fwrite(data, 1, len, out) != len || fclose(out) != 0) {
        fprintf(stderr, "xengvt: writing %s: %s\n", file, strerror(errno));
        return CLI_FAILED;
    }
    free(data);
    if (strstr(line, "\"blank\":true"))
        fprintf(stderr, "xengvt: the screen is blank: %s\n", line);
    return CLI_OK;
}
