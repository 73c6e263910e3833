/* Fuzz target: xl-vgpu's save-file reader (what `xl-vgpu restore` and a
 * migration's receiving side read from a file or the network). Every
 * section must be checked before anything is used; the xl image goes to a
 * file. */
#define _GNU_SOURCE 1
#include "tools/common/savefile.h"

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
        /* What restore looks up. */
        savefile_find(&sf, "name");
        savefile_find(&sf, "vgpu0.state");
        savefile_free(&sf);
    } else if (!why) {
        abort(); /* a refusal must say why */
    }
    unlink(xl_path);
    close(fd);
    return 0;
}
