/* xl-vgpu save, restore and migrate: a guest and its vGPUs' state in one
 * file (savefile.h), so they move as a unit. */
#ifndef XENGVT_XL_HOOKS_XL_SAVERESTORE_H
#define XENGVT_XL_HOOKS_XL_SAVERESTORE_H

/* Each returns xl-vgpu's exit status (guest_config.h). */
int cmd_save(const char *dom, const char *file);
/* admin_cfg: the guest's config, NULL to take the one the file carries. */
int cmd_restore(const char *admin_cfg, const char *file);
int cmd_migrate(const char *dom, const char *host);

#endif
