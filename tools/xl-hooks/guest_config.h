/* The config a guest was created with, kept for its restarts: the files
 * RUN_DIR/NAME.cfg (the config) and RUN_DIR/NAME.create (the KEY=VALUE
 * arguments, a line each), and the RAM xl-vgpu budgets for its vGPUs. */
#ifndef XENGVT_XL_HOOKS_GUEST_CONFIG_H
#define XENGVT_XL_HOOKS_GUEST_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "monitor.h"
#include "tools/common/vgpu_cfg.h"

/* xl-vgpu's exit status (xl-vgpu(8), EXIT STATUS). */
enum { XV_OK = 0, XV_FAILED = 1, XV_USAGE = 2 };

#define CREATE_OVERRIDES_MAX 16

/* The whole file (at most 1 MiB) into a malloc'd, NUL-terminated *out.
 * 0, or -1 with errno. */
int read_whole(const char *path, char **out, size_t *len);
/* RUN_DIR/NAME.EXT */
void guest_file(const char *name, const char *ext, char *out, size_t cap);
/* One more argument of the supervisor's `xl create` (dropped, and said,
 * past MONITOR_ARGS_MAX or when longer than its slot). */
void monitor_arg(struct monitor_args *ma, const char *arg);
/* Keeps the config as RUN_DIR/NAME.cfg, and makes ma's re-creation
 * `xl create -p -e RUN_DIR/NAME.cfg`. 0 or -1. */
int keep_config(const struct vgpu_cfg *cfg, const char *text, size_t len,
                struct monitor_args *ma);
/* RUN_DIR/NAME.create: ma's KEY=VALUE arguments, a line each. */
void keep_create_args(const struct monitor_args *ma);
/* Removes both files. */
void forget_config(const char *name);
/* KEY=VALUE for an on_* key into `a`: 1 if it was one, 0 if another key,
 * -1 (said) if its value is not an action. */
int action_override(const char *kv, struct guest_actions *a);
/* The vGPUs' RAM as memory= and videoram= overrides into out: how many
 * it wrote (0 when the config does not allow it, said). */
int ram_budget(const struct vgpu_cfg *cfg, int n_overrides, char **overrides,
               char out[2][32]);

#endif
