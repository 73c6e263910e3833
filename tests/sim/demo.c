/* xengvt-sim-demo: the README's main job. Starts the real xengvtd under the
 * simulated hypervisor and plays the first steps of an i915 guest's probe,
 * printing what the guest sees and what the daemon counted. */
#include "simguest.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SBDF (2u << 3)
#define BAR0 0xe0000000ull
#define BAR2 0xc0000000ull
#define PVINFO (BAR0 + 0x78000)

static void usage(void)
{
    printf("Usage: xengvt-sim-demo [--out DIR] [--vcpus N]\n"
           "Runs xengvtd ($XENGVTD) under the simulated hypervisor\n"
           "($XENGVT_SIM_LIB) and plays a guest's vGPU probe against it.\n"
           "The daemon's log is kept in DIR/xengvtd.log (default ./demo-out).\n");
}

int main(int argc, char **argv)
{
    const char *out = "demo-out";
    unsigned vcpus = 2;
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' },
        { "vcpus", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "o:c:h", opts, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else if (c == 'c')
            vcpus = (unsigned)atoi(optarg);
        else {
            usage();
            return c == 'h' ? 0 : 2;
        }
    }
    mkdir(out, 0755);
    char log[512];
    snprintf(log, sizeof(log), "%s/xengvtd.log", out);
    unlink(log);

    printf("== starting xengvtd for simulated HVM guest dom7 (%u vCPUs, 256 MiB)\n", vcpus);
    struct sim *s = sim_start(&(struct sim_opts){ .nr_vcpus = vcpus, .log_path = log });
    if (!s) {
        fprintf(stderr, "demo: the daemon did not come up; see %s\n", log);
        return 1;
    }
    uint32_t id = sim_cfg_read(s, 0, SBDF, 0, 4);
    uint32_t class = sim_cfg_read(s, 0, SBDF, 8, 4) >> 8;
    printf("guest lspci: 00:02.0 class %06x [%04x:%04x]\n", class, id & 0xffff, id >> 16);

    sim_cfg_write(s, 0, SBDF, 0x10, 4, 0xffffffff);
    uint32_t sz = sim_cfg_read(s, 0, SBDF, 0x10, 4);
    printf("BIOS sizes BAR0: %u MiB, ", (~(sz & ~0xfu) + 1) >> 20);
    sim_cfg_write(s, 0, SBDF, 0x18, 4, 0xffffffff);
    sz = sim_cfg_read(s, 0, SBDF, 0x18, 4);
    printf("BAR2: %u MiB; places them at %#llx and %#llx\n", (~(sz & ~0xfu) + 1) >> 20,
           BAR0, BAR2);
    sim_cfg_write(s, 0, SBDF, 0x10, 4, (uint32_t)BAR0);
    sim_cfg_write(s, 0, SBDF, 0x14, 4, 0);
    sim_cfg_write(s, 0, SBDF, 0x18, 4, (uint32_t)BAR2);
    sim_cfg_write(s, 0, SBDF, 0x1c, 4, 0);
    sim_cfg_write(s, 0, SBDF, 0x04, 2, 0x6);

    uint64_t magic = sim_mmio_read(s, 0, PVINFO, 8);
    char m[9];
    memcpy(m, &magic, 8);
    m[8] = 0;
    printf("i915: PVINFO magic %#llx \"%s\", version %llu.%llu, caps %#llx\n",
           (unsigned long long)magic, m,
           (unsigned long long)sim_mmio_read(s, 0, PVINFO + 8, 2),
           (unsigned long long)sim_mmio_read(s, 0, PVINFO + 10, 2),
           (unsigned long long)sim_mmio_read(s, 0, PVINFO + 0x10, 4));
    if (magic == 0x4776544776544776ull)
        printf("i915: Virtual GPU for Intel GVT-g detected.\n");
    uint32_t mb = (uint32_t)sim_mmio_read(s, 0, PVINFO + 0x40, 4);
    uint32_t ms = (uint32_t)sim_mmio_read(s, 0, PVINFO + 0x44, 4);
    uint32_t hb = (uint32_t)sim_mmio_read(s, 0, PVINFO + 0x48, 4);
    uint32_t hs = (uint32_t)sim_mmio_read(s, 0, PVINFO + 0x4c, 4);
    printf("i915: mappable [%#x, %#x), non-mappable [%#x, %#x), %llu fences\n", mb,
           mb + ms, hb, hb + hs, (unsigned long long)sim_mmio_read(s, 0, PVINFO + 0x50, 4));

    /* Interrupts: MSI on, pipe A vblank unmasked, master on. */
    sim_cfg_write(s, 0, SBDF, 0xb0, 4, 0xfee00000);
    sim_cfg_write(s, 0, SBDF, 0xb4, 2, 0x41);
    sim_cfg_write(s, 0, SBDF, 0xae, 2, 1);
    sim_mmio_write(s, 0, BAR0 + 0x44404, 4, ~1u);
    sim_mmio_write(s, 0, BAR0 + 0x4440c, 4, 1);
    sim_mmio_write(s, 0, BAR0 + 0x44200, 4, 0x80000000);
    uint64_t t0 = sim_now_ms();
    unsigned handled = 0;
    while (sim_now_ms() - t0 < 500) {
        if (!sim_wait_msi(s, handled + 1, 100))
            continue;
        handled++;
        /* The i915 interrupt handler's dance. */
        sim_mmio_write(s, 1 % vcpus, BAR0 + 0x44200, 4, 0);
        uint32_t iir = (uint32_t)sim_mmio_read(s, 1 % vcpus, BAR0 + 0x44408, 4);
        sim_mmio_write(s, 1 % vcpus, BAR0 + 0x44408, 4, iir);
        sim_mmio_write(s, 1 % vcpus, BAR0 + 0x44200, 4, 0x80000000);
    }
    uint32_t frames = (uint32_t)sim_mmio_read(s, 0, BAR0 + 0x70040, 4);
    printf("guest handled %u vblank MSIs in 500 ms (pipe A frame counter %u)\n", handled,
           frames);

    /* The guest's console: a 1920x1080 XRGB8888 framebuffer in its RAM,
     * mapped through the GGTT, scanned out by pipe A's primary plane. */
    const uint32_t w = 1920, h = 1080;
    const uint64_t fb_gpa = 0x2000000, fb_gaddr = 0x100000;
    uint8_t *ram = sim_ram(s);
    static const uint32_t bars[8] = { 0xffffff, 0xffff00, 0x00ffff, 0x00ff00,
                                      0xff00ff, 0xff0000, 0x0000ff, 0x101010 };
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint32_t px = y < h * 3 / 4 ? bars[x * 8 / w]
                                        : (x * 255 / (w - 1)) * 0x010101u;
            memcpy(ram + fb_gpa + ((size_t)y * w + x) * 4, &px, 4);
        }
    for (uint64_t i = 0; i < (uint64_t)w * h * 4 / 4096 + 1; i++)
        sim_mmio_write(s, 0, BAR0 + (8u << 20) + 8 * (fb_gaddr / 4096 + i), 8,
                       (fb_gpa + i * 4096) | 1);
    sim_mmio_write(s, 0, BAR0 + 0x6001c, 4, (w - 1) << 16 | (h - 1));
    sim_mmio_write(s, 0, BAR0 + 0x70188, 4, w * 4 / 64);
    sim_mmio_write(s, 0, BAR0 + 0x70180, 4, 1u << 31 | 4u << 24);
    sim_mmio_write(s, 0, BAR0 + 0x7019c, 4, (uint32_t)fb_gaddr);
    for (int i = 0; i < 200 && sim_mmio_read(s, 0, BAR0 + 0x701ac, 4) != fb_gaddr; i++)
        usleep(1000); /* the flip lands at the next vblank */
    char line[4096];
    void *png = NULL;
    size_t png_len = 0;
    if (sim_control(s, "{\"cmd\":\"screenshot\"}", line, sizeof(line), &png, &png_len) == 0 &&
        png) {
        char shot[600];
        snprintf(shot, sizeof(shot), "%s/screenshot.png", out);
        FILE *pf = fopen(shot, "wb");
        if (pf && fwrite(png, 1, png_len, pf) == png_len && fclose(pf) == 0)
            printf("screenshot of the guest's screen: %s (%zu bytes PNG)\n", shot, png_len);
        free(png);
    }
    if (sim_control(s, "{\"cmd\":\"status\"}", line, sizeof(line), NULL, NULL) == 0)
        printf("xengvt status: %s\n", line);

    int status = sim_stop(s);
    printf("== xengvtd stopped (exit %d); its log is %s; final stats:\n",
           WEXITSTATUS(status), log);
    FILE *f = fopen(log, "r");
    while (f && fgets(line, sizeof(line), f))
        if (strstr(line, "stats:"))
            fputs(line, stdout);
    if (f)
        fclose(f);
    return WEXITSTATUS(status) == 0 && handled > 0 ? 0 : 1;
}
