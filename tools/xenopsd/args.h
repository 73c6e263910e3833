/* xengvt-vgpu's command line: exactly what xenopsd gives its vGPU helper
 * (Service.Vgpu.vgpu_args_of_nvidia):
 *
 *   --domain=<domid> --vcpus=<n> --suspend=<file>
 *   --device=<pci>,<type>,<vpci>,<uuid>[,<key=value>...]   (one per vGPU)
 *   [--noconsole] [--resume]
 *
 * plus ours: --type-list=FILE, --help, --version. Strict: an unknown,
 * repeated, missing or malformed argument is an error with a message. */
#ifndef XENGVT_XENOPSD_ARGS_H
#define XENGVT_XENOPSD_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/common/vgpu_entry.h"

/* vgpu/error-code values (documented in xengvt-vgpu(8)). */
enum xv_error {
    XV_ERR_ARGS = 1,     /* bad command line */
    XV_ERR_TYPE = 2,     /* unknown vGPU type, or the type list cannot say */
    XV_ERR_DAEMON = 3,   /* an xengvtd did not start or did not serve */
    XV_ERR_STATE = 4,    /* saved state refused (file or stream) */
    XV_ERR_SETUP = 5,    /* run directories or the EMP socket */
    XV_ERR_DIED = 6,     /* an xengvtd died while serving */
};

#define XV_PATH_MAX 256
#define XV_TYPE_MAX 64
#define XV_EXTRA_MAX 384

struct xv_device {
    uint32_t pci;                /* the host function xapi picked (logged only) */
    uint32_t vpci;               /* the guest-visible address: xengvtd --sbdf */
    char type[XV_TYPE_MAX];      /* as given: an xengvt type, a whitelist name or id */
    char uuid[37];
    char extra[XV_EXTRA_MAX];    /* key=value,... : vgpu entry keys */
};

struct xv_args {
    long domid;                  /* -1 until --domain= is seen */
    unsigned vcpus;
    char suspend[XV_PATH_MAX];
    unsigned count;
    struct xv_device dev[VGPU_CFG_MAX];
    bool noconsole, resume, help, version;
    char type_list[XV_PATH_MAX]; /* "" : gvtg_wl_default_path() */
};

/* 0, or -EINVAL with a one-line reason in err. out->domid is set as soon
 * as --domain= parsed, even if a later argument is bad, so the error can
 * be published for that domain. */
int xv_args_parse(int argc, char *const *argv, struct xv_args *out, char *err, size_t err_len);

/* "%04x:%02x:%02x.%x", exactly as xenopsd prints PCI addresses. */
int xv_parse_pci(const char *s, size_t len, uint32_t *sbdf);

#endif
