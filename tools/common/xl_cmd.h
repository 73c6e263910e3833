/* Running xl, as xl-vgpu does around its own work. */
#ifndef XENGVT_TOOLS_COMMON_XL_CMD_H
#define XENGVT_TOOLS_COMMON_XL_CMD_H

#include <stddef.h>

/* Runs `xl ARGS...` ($XL, else xl from PATH; never through a shell).
 * Captures at most out_len-1 bytes of its stdout into out if given.
 * Returns its exit status, or -1 if it could not run. */
int launch_xl(char *out, size_t out_len, const char *const *args);

/* The domid of a domain named or numbered `dom`; -1 if none. */
long launch_domid(const char *dom);

#endif
