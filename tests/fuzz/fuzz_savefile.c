/* Fuzz target: the launchers' save-file reader (what `xl-vgpu restore`, a
 * migration's receiving side and qemu-dm's -incoming read), and the
 * vGPU sections' checks on what it read (vgpu_sections.c). Every
 * section must be checked before anything is used; the xl image goes to a
 * file. */
#define _GNU_SOURCE 1
#include "tools/common/savefile.h"
#include "tools/common/vgpu_sections.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-savefile", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
        abort();
    char xl_path[64];
    snprintf(xl_path, sizeof(xl_path), "/tmp/fuzz-savefile-%d.xl", (int)getpid());
    struct savefile sf;
    const char *why = NULL;
    if (savefile_read(fd, xl_path, &sf, &why) == 0) {
        /* What restore looks up, and the vGPU sections as every launcher
         * reads them: a count said valid must hold whole, printable
         * entries and non-empty states. */
        savefile_find(&sf, "name");
        char why_vgpu[200];
        int n = vgpu_sections_count(&sf, why_vgpu, sizeof(why_vgpu));
        if (n > VGPU_CFG_MAX)
            abort();
        for (int i = 0; i < n; i++) {
            char spec[VGPU_SECTION_SPEC_MAX + 1];
            const struct savefile_section *st = vgpu_sections_get(&sf, (unsigned)i, spec);
            if (!st || st->len == 0 || spec[0] == 0)
                abort();
            for (const char *c = spec; *c; c++)
                if (*c < 0x20 || *c > 0x7e)
                    abort();
        }
        savefile_free(&sf);
    } else if (!why) {
        abort(); /* a refusal must say why */
    }
    unlink(xl_path);
    close(fd);
    return 0;
}
