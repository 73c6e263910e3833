/* Which xl.cfg keys a save file may carry. A save file (or a migration
 * stream) is configuration that root's `xl restore` and the supervisor's
 * `xl create` act on: keys that run programs (device_model_override,
 * bootloader, a vif's script), name host files or devices (kernel, disk,
 * pci, serial = "file:..."), or pass arguments to QEMU must come from the
 * admin, never from the file. The allowlist is the guest's shape (memory,
 * vCPUs, firmware options, lifecycle actions, its vGPUs): a file setting
 * anything else is refused unless the admin names the guest's config. */
#ifndef XENGVT_XL_HOOKS_CFG_KEYS_H
#define XENGVT_XL_HOOKS_CFG_KEYS_H

#include <stdbool.h>
#include <stddef.h>

bool cfg_key_allowed(const char *key);

/* Every top-level `KEY = value` (or `+=`) of an xl.cfg text is allowed.
 * 0; -EPERM with the first key refused in bad; -EINVAL if the text is not
 * one this scanner can read whole (refused too: what it cannot read, it
 * cannot vouch for). */
int cfg_keys_check(const char *text, size_t len, char *bad, size_t cap);

/* A "KEY=VALUE" create argument with an allowed key. */
bool cfg_override_allowed(const char *kv);

#endif
