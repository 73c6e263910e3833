/* xengvtd's command line. */
#ifndef XENGVT_DAEMON_OPTIONS_H
#define XENGVT_DAEMON_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"

#define XENGVT_RUN_DIR "/run/xengvt"

/* Exit codes, documented in xengvtd(8). */
enum xengvtd_exit {
    EXIT_OK = 0,            /* SIGTERM/SIGINT, or the domain went away */
    EXIT_RUNTIME = 1,       /* an error while serving */
    EXIT_USAGE = 2,         /* bad command line */
    EXIT_NO_DOMAIN = 3,     /* the domain does not exist at start */
    EXIT_XEN_SETUP = 4,     /* Xen refused a set-up step (handles, server, ports) */
    EXIT_BAD_STATE = 5,     /* --restore: the state file was refused */
    EXIT_SANDBOX = 6,       /* the sandbox could not be entered */
};

struct xengvtd_options {
    uint32_t domid;
    bool have_domid;
    uint32_t sbdf;
    const char *type_name;
    enum log_level log_level;
    bool legacy_mapping;
    bool trap_ggtt;
    uint32_t aperture_mb;    /* 0: the type's mappable slice */
    bool aperture_ram;       /* the slice as guest RAM, synchronised */
    bool io_bar;
    uint16_t device_id;     /* 0: the host's Intel GPU's, else 0x1912 */
    bool host_identity;     /* look for the host's Intel GPU */
    unsigned map_cache_buckets;
    char control_path[108];
    const char *vnc_listen; /* "ADDR:PORT" or NULL */
    const char *kms_spec;   /* "DEVICE[:CONNECTOR]" or NULL */
    const char *restore_path; /* --restore FILE */
    const char *live_state_path; /* --live-state FILE */
    bool adopt;               /* --adopt-server ID: a dead daemon's server */
    uint16_t adopt_id;
    bool sandbox;           /* on unless --no-sandbox */
    const char *runas;      /* --runas USER[:GROUP] */
    const char *chroot_dir; /* --chroot DIR */
    const char *edid_path;  /* the monitor's EDID instead of the built-in */
    unsigned width, height; /* --resolution */
};

/* 0 to run; otherwise the process should exit with *exit_code (help and
 * version exit 0, errors EXIT_USAGE after printing why). */
int options_parse(int argc, char **argv, struct xengvtd_options *o, int *exit_code);
/* "SSSS:BB:DD.F" or "BB:DD.F". */
int options_parse_sbdf(const char *s, uint32_t *sbdf);

#endif
