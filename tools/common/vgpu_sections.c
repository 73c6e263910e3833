/* The vGPUs' sections of a save file: written once, read once (see the
 * header). */
#include "config.h"
#include "tools/common/vgpu_sections.h"
#include "tools/common/ctl_client.h"
#include "common/files.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void tag_of(char tag[SAVEFILE_TAG_LEN + 1], unsigned i, const char *what)
{
    /* i < VGPU_CFG_MAX <= 10: one digit, the tag always fits. */
    snprintf(tag, SAVEFILE_TAG_LEN + 1, "vgpu%u.%s", i % 10u, what);
}

int vgpu_sections_save(struct savefile *sf, unsigned count, const char *const socks[],
                       const char *const specs[], char *msg, size_t cap)
{
    unsigned before = sf->count;
    if (count > VGPU_CFG_MAX || sf->count + 2 * count > SAVEFILE_MAX_SECTIONS) {
        snprintf(msg, cap, "%u vGPUs do not fit in a save file", count);
        return -1;
    }
    for (unsigned i = 0; i < count; i++) {
        char line[1024] = "";
        uint8_t *blob = NULL;
        size_t len = 0;
        char *spec = strdup(specs[i]);
        if (!spec || ctl_request_ok(socks[i], "{\"cmd\":\"save\"}", line, sizeof(line), &blob,
                                    &len) < 0 || !blob || len == 0) {
            snprintf(msg, cap, "vGPU %u would not save its state: %.300s", i,
                     !spec ? "out of memory" : line[0] ? line : "no answer");
            free(spec);
            free(blob);
            for (unsigned s = before; s < sf->count; s++)
                free(sf->s[s].data);
            sf->count = before;
            return -1;
        }
        struct savefile_section *sp = &sf->s[sf->count++], *st = &sf->s[sf->count++];
        *sp = (struct savefile_section){ .data = (uint8_t *)spec, .len = strlen(spec) };
        tag_of(sp->tag, i, "spec");
        *st = (struct savefile_section){ .data = blob, .len = len };
        tag_of(st->tag, i, "state");
    }
    return 0;
}

/* A spec is one line of printable text: it becomes a daemon's argument. */
static bool spec_ok(const struct savefile_section *spec)
{
    if (spec->len == 0 || spec->len > VGPU_SECTION_SPEC_MAX)
        return false;
    for (uint64_t k = 0; k < spec->len; k++)
        if (spec->data[k] < 0x20 || spec->data[k] > 0x7e)
            return false;
    return true;
}

int vgpu_sections_count(const struct savefile *sf, char *why, size_t cap)
{
    unsigned count = 0;
    for (unsigned i = 0; i < 10; i++) {
        char tag[SAVEFILE_TAG_LEN + 1];
        tag_of(tag, i, "spec");
        const struct savefile_section *spec = savefile_find(sf, tag);
        tag_of(tag, i, "state");
        const struct savefile_section *st = savefile_find(sf, tag);
        if (!spec && !st)
            continue; /* the end, unless a later vGPU follows (below) */
        if (count != i) {
            snprintf(why, cap, "vGPU %u is saved but vGPU %u is not", i, count);
            return -1;
        }
        if (i >= VGPU_CFG_MAX) {
            snprintf(why, cap, "more than %d vGPUs", VGPU_CFG_MAX);
            return -1;
        }
        if (!spec || !st || st->len == 0) {
            snprintf(why, cap, "vGPU %u: its %s is missing", i, !spec ? "entry" : "state");
            return -1;
        }
        if (!spec_ok(spec)) {
            snprintf(why, cap, "vGPU %u: its entry is not one line of text under %d bytes", i,
                     VGPU_SECTION_SPEC_MAX + 1);
            return -1;
        }
        count = i + 1;
    }
    return (int)count;
}

const struct savefile_section *vgpu_sections_get(const struct savefile *sf, unsigned i,
                                                 char spec[VGPU_SECTION_SPEC_MAX + 1])
{
    char tag[SAVEFILE_TAG_LEN + 1];
    tag_of(tag, i, "spec");
    const struct savefile_section *sp = savefile_find(sf, tag);
    spec[0] = 0;
    if (sp && sp->len <= VGPU_SECTION_SPEC_MAX) {
        memcpy(spec, sp->data, (size_t)sp->len);
        spec[sp->len] = 0;
    }
    tag_of(tag, i, "state");
    return savefile_find(sf, tag);
}

int vgpu_sections_stage(const struct savefile *sf, unsigned i, const char *file, char *why,
                        size_t cap)
{
    char spec[VGPU_SECTION_SPEC_MAX + 1];
    const struct savefile_section *st = vgpu_sections_get(sf, i, spec);
    if (!st) {
        snprintf(why, cap, "vGPU %u: no saved state", i);
        return -1;
    }
    int rc = file_write_atomic(file, st->data, (size_t)st->len, 0600);
    if (rc < 0) {
        snprintf(why, cap, "cannot write vGPU %u's state to %s: %s", i, file, strerror(-rc));
        return -1;
    }
    return 0;
}
