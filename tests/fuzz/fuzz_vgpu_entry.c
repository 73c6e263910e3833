/* Fuzz target: one xl.cfg vgpu entry ("type=...,sbdf=...,edid=..."), as
 * xl-vgpu parses it before starting a daemon, and the daemon arguments
 * made from an accepted entry. */
#include "tools/common/vgpu_entry.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char spec[1024];
    if (size >= sizeof(spec))
        size = sizeof(spec) - 1;
    memcpy(spec, data, size);
    spec[size] = 0;
    struct vgpu_entry e;
    char err[VGPU_CFG_ERR_MAX];
    err[0] = 0;
    if (vgpu_entry_parse(spec, &e, err, sizeof(err)) == 0) {
        const char *argv[48];
        char buf[1024];
        if (vgpu_entry_args(&e, argv, 40, buf, sizeof(buf)) == 0)
            for (unsigned i = 0; argv[i]; i++)
                if (strlen(argv[i]) > sizeof(buf))
                    abort();
    } else if (!err[0]) {
        abort(); /* a refusal names what was wrong */
    }
    return 0;
}
