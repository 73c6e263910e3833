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
    printf("1..%u\n", n);
    for (unsigned i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        uint8_t *buf = malloc(1 << 20);
        size_t len = f && buf ? fread(buf, 1, 1 << 20, f) : 0;
        if (f)
            fclose(f);
        /* A finding aborts (or the sanitizer ends the process): the TAP
         * plan then comes up short and the test fails. */
        LLVMFuzzerTestOneInput(buf, len);
        printf("ok %u - %s %s (%zu bytes)\n", i + 1, FUZZ_TARGET_NAME, names[i], len);
        fflush(stdout);
        free(buf);
        free(names[i]);
    }
    return 0;
}
