/* make check's half of the fuzzing: every input committed under
 * tests/fuzz/corpus/<target>/ (seeds, and each crash found while fuzzing,
 * kept as a regression test) is run through the fuzz target, built with
 * the ordinary compiler and, in CI, the sanitizers. TAP, one line per
 * input. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Set by device targets at the end of each input (tests/harness/vgpu_dev.c); the
 * parsers' targets have none and leave it 0. */
extern uint64_t fuzz_last_fingerprint __attribute__((weak));

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    const char *root = getenv("XENGVT_FUZZ_CORPUS");
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%s", root ? root : "tests/fuzz/corpus", FUZZ_TARGET_NAME);
    DIR *d = opendir(dir);
    if (!d) {
        printf("1..0 # SKIP no corpus at %s\n", dir);
        return 1; /* a missing corpus is a broken tree, not a pass */
    }
    char *names[4096];
    unsigned n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 4096)
        if (de->d_name[0] != '.')
            names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, n, sizeof(names[0]), by_name);
    /* Each input runs twice: once after the input before it, once after
     * the one after it (different predecessors on the same reused vGPU).
     * A device target must see exactly the same run both times. */
    printf("1..%u\n", n);
    uint8_t *bufs[4096];
    size_t lens[4096];
    for (unsigned i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        bufs[i] = malloc(1 << 20);
        lens[i] = f && bufs[i] ? fread(bufs[i], 1, 1 << 20, f) : 0;
        if (f)
            fclose(f);
    }
    uint64_t *first = calloc(n ? n : 1, sizeof(*first));
    int failed = 0;
    for (unsigned i = 0; i < n; i++) {
        /* A finding aborts (or the sanitizer ends the process): the TAP
         * plan then comes up short and the test fails. */
        if (&fuzz_last_fingerprint)
            fuzz_last_fingerprint = 0; /* an input refused before the device ran has none */
        LLVMFuzzerTestOneInput(bufs[i], lens[i]);
        first[i] = &fuzz_last_fingerprint ? fuzz_last_fingerprint : 0;
    }
    for (unsigned i = 0; i < n; i++) {
        unsigned before = (i + 1) % n;
        LLVMFuzzerTestOneInput(bufs[before], lens[before]);
        if (&fuzz_last_fingerprint)
            fuzz_last_fingerprint = 0;
        LLVMFuzzerTestOneInput(bufs[i], lens[i]);
        uint64_t again = &fuzz_last_fingerprint ? fuzz_last_fingerprint : 0;
        if (again != first[i]) {
            printf("not ok %u - %s %s: a different run after %s (fingerprint %#llx, then %#llx)\n",
                   i + 1, FUZZ_TARGET_NAME, names[i], names[before],
                   (unsigned long long)first[i], (unsigned long long)again);
            failed = 1;
        } else {
            printf("ok %u - %s %s (%zu bytes, the same run after another input)\n", i + 1,
                   FUZZ_TARGET_NAME, names[i], lens[i]);
        }
        fflush(stdout);
    }
    for (unsigned i = 0; i < n; i++) {
        free(bufs[i]);
        free(names[i]);
    }
    free(first);
    return failed;
}
