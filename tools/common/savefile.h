/* The launchers' save file: xl's own save image (xl-vgpu) and each vGPU's
 * device state in one file, so a guest with vGPUs saves, restores and
 * migrates as a unit; xengvt-vgpu writes the same container without "xl"
 * into xenopsd's suspend image and migration stream.
 *
 *   "XGVTSAVE" | u32 version (1) | u32 section count
 *   per section: char tag[16] (NUL-padded) | u64 length | u32 CRC-32 |
 *                u32 0 | length bytes
 * Tags: "name" (the guest's name), "vgpuN.spec" (its xl.cfg entry),
 * "vgpuN.state" (xengvtd's state file), "xl" (xl save's image, last).
 * Every section is checked (CRC) before anything is restored. */
#ifndef XENGVT_TOOLS_COMMON_SAVEFILE_H
#define XENGVT_TOOLS_COMMON_SAVEFILE_H

#include <stddef.h>
#include <stdint.h>

#define SAVEFILE_MAX_SECTIONS 16
#define SAVEFILE_TAG_LEN 16
#define SAVEFILE_SMALL_MAX (64u << 20)

struct savefile_section {
    char tag[SAVEFILE_TAG_LEN + 1];
    uint8_t *data;      /* in memory; NULL for a section kept in a file */
    uint64_t len;
    const char *path;   /* writing: take the bytes from this file instead */
};

struct savefile {
    unsigned count;
    struct savefile_section s[SAVEFILE_MAX_SECTIONS];
};

/* Writes `sf` to fd (a file or a pipe). 0 or -errno. */
int savefile_write(int fd, const struct savefile *sf);
/* Reads from fd: every section but "xl" into memory, "xl" into the file
 * `xl_path`. All CRCs checked. 0, or -EINVAL with *why. */
int savefile_read(int fd, const char *xl_path, struct savefile *out, const char **why);
/* The same from a stream that goes on after the container (xenopsd's
 * migration stream): reads exactly the container's bytes, no "xl". */
int savefile_read_stream(int fd, struct savefile *out, const char **why);
const struct savefile_section *savefile_find(const struct savefile *sf, const char *tag);
void savefile_free(struct savefile *sf);

#endif
