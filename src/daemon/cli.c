/* xengvt: the admin's client for a running xengvtd, over its control
 * socket. */
#include "config.h"
#include "daemon/options.h"
#include "daemon/top.h"

#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2, CLI_NO_DAEMON = 3 };

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
    const char *enable = NULL; /* dirty-log's argument, as JSON */
    bool wants_file = strcmp(cmd, "screenshot") == 0 || strcmp(cmd, "save") == 0 ||
                      strcmp(cmd, "frame") == 0 || strcmp(cmd, "edid") == 0;
    if (wants_file) {
        if (optind + 1 >= argc) {
            fprintf(stderr, "xengvt: %s needs an output file\n", cmd);
            return CLI_USAGE;
        }
        file = argv[optind + 1];
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

    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fprintf(stderr, "xengvt: no daemon at %s: %s\n", path, strerror(errno));
        return CLI_NO_DAEMON;
    }
    struct timeval tv = { .tv_sec = 30 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char req[80];
    int n = enable ? snprintf(req, sizeof(req), "{\"cmd\":\"%s\",\"enable\":%s}\n", cmd, enable)
                   : snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}\n", cmd);
    char line[8192];
    if (write(fd, req, (size_t)n) != n || ctl_read_line(fd, line, sizeof(line)) < 0) {
        fprintf(stderr, "xengvt: the daemon hung up\n");
        return CLI_FAILED;
    }
    if (!strstr(line, "\"ok\":true")) {
        fprintf(stderr, "xengvt: %s\n", line);
        return CLI_FAILED;
    }
    if (!file) {
        printf("%s\n", line);
        return CLI_OK;
    }
    const char *b = strstr(line, "\"bytes\":");
    size_t len = b ? strtoull(b + 8, NULL, 10) : 0;
    char *png = len && len < (1u << 30) ? malloc(len) : NULL;
    if (!png) {
        fprintf(stderr, "xengvt: no data in the answer\n");
        return CLI_FAILED;
    }
    for (size_t got = 0; got < len;) {
        ssize_t r = read(fd, png + got, len - got);
        if (r <= 0) {
            fprintf(stderr, "xengvt: answer cut short\n");
            return CLI_FAILED;
        }
        got += (size_t)r;
    }
    FILE *out = fopen(file, "wb");
    if (!out || fwrite(png, 1, len, out) != len || fclose(out) != 0) {
        fprintf(stderr, "xengvt: writing %s: %s\n", file, strerror(errno));
        return CLI_FAILED;
    }
    free(png);
    if (strstr(line, "\"blank\":true"))
        fprintf(stderr, "xengvt: the screen is blank: %s\n", line);
    return CLI_OK;
}
