/* The e2e guest's GPU client: work submitted through the unmodified i915
 * with DRM_IOCTL_I915_GEM_EXECBUFFER2, on the render engine (a store of a
 * known value) and the blitter (a colour fill), each into a buffer object
 * that is then read back. Built statically into the guest image; prints
 * "E2E-GPU: ..." lines, exits 0 only if every result is right.
 *
 * Buffers are soft-pinned at fixed PPGTT addresses (full PPGTT: no
 * relocations needed). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <i915_drm.h>

#define TARGET_VA 0x100000ull
#define BATCH_VA 0x200000ull
#define TARGET_SIZE 65536u
#define FILL_PITCH 256u
#define FILL_ROWS 64u

static int fd = -1;

static int xioctl(unsigned long req, void *arg)
{
    int rc;
    do
        rc = ioctl(fd, req, arg);
    while (rc < 0 && (errno == EINTR || errno == EAGAIN));
    return rc;
}

static uint32_t bo_create(uint64_t size)
{
    struct drm_i915_gem_create c = { .size = size };
    if (xioctl(DRM_IOCTL_I915_GEM_CREATE, &c) < 0) {
        printf("E2E-GPU: GEM_CREATE: %s\n", strerror(errno));
        return 0;
    }
    return c.handle;
}

static int bo_write(uint32_t h, uint64_t off, const void *p, uint64_t len)
{
    struct drm_i915_gem_pwrite w = { .handle = h, .offset = off, .size = len,
                                     .data_ptr = (uintptr_t)p };
    return xioctl(DRM_IOCTL_I915_GEM_PWRITE, &w);
}

static int bo_read(uint32_t h, uint64_t off, void *p, uint64_t len)
{
    struct drm_i915_gem_pread r = { .handle = h, .offset = off, .size = len,
                                    .data_ptr = (uintptr_t)p };
    return xioctl(DRM_IOCTL_I915_GEM_PREAD, &r);
}

/* One batch on one engine, waited for. */
static int run(uint32_t target, uint32_t batch, const uint32_t *cmds, unsigned n,
               unsigned engine, const char *what)
{
    if (bo_write(batch, 0, cmds, n * 4) < 0) {
        printf("E2E-GPU: %s: PWRITE batch: %s\n", what, strerror(errno));
        return -1;
    }
    struct drm_i915_gem_exec_object2 obj[2] = {
        { .handle = target, .offset = TARGET_VA,
          .flags = EXEC_OBJECT_PINNED | EXEC_OBJECT_WRITE | EXEC_OBJECT_SUPPORTS_48B_ADDRESS },
        { .handle = batch, .offset = BATCH_VA,
          .flags = EXEC_OBJECT_PINNED | EXEC_OBJECT_SUPPORTS_48B_ADDRESS },
    };
    struct drm_i915_gem_execbuffer2 eb = {
        .buffers_ptr = (uintptr_t)obj, .buffer_count = 2, .batch_len = n * 4,
        .flags = engine | I915_EXEC_NO_RELOC,
    };
    if (xioctl(DRM_IOCTL_I915_GEM_EXECBUFFER2, &eb) < 0) {
        printf("E2E-GPU: %s: EXECBUFFER2: %s\n", what, strerror(errno));
        return -1;
    }
    struct drm_i915_gem_wait w = { .bo_handle = target, .timeout_ns = 20000000000ll };
    if (xioctl(DRM_IOCTL_I915_GEM_WAIT, &w) < 0) {
        printf("E2E-GPU: %s: GEM_WAIT: %s\n", what, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *dev = argc > 1 ? argv[1] : "/dev/dri/card0";
    fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        printf("E2E-GPU: open %s: %s\n", dev, strerror(errno));
        return 1;
    }
    uint32_t target = bo_create(TARGET_SIZE), batch = bo_create(4096);
    if (!target || !batch)
        return 1;
    static uint8_t zero[TARGET_SIZE];
    bo_write(target, 0, zero, sizeof(zero));
    int bad = 0;

    /* Render engine: MI_STORE_DWORD_IMM (gen8: 64-bit address, PPGTT). */
    const uint32_t value = 0xc0ffee42u;
    const uint32_t store[] = {
        (0x20u << 23) | 2u, (uint32_t)(TARGET_VA + 64), (uint32_t)((TARGET_VA + 64) >> 32),
        value, 0x05000000u /* MI_BATCH_BUFFER_END */, 0,
    };
    uint32_t got = 0;
    if (run(target, batch, store, 6, I915_EXEC_RENDER, "store") < 0 ||
        bo_read(target, 64, &got, 4) < 0) {
        bad++;
    } else if (got != value) {
        printf("E2E-GPU: store: read %#x, wrote %#x\n", got, value);
        bad++;
    } else {
        printf("E2E-GPU: store ok (%#x on rcs0)\n", got);
    }

    /* Blitter: XY_COLOR_BLT, 32 bpp, 64x64 pixels at +4 KiB. */
    const uint32_t colour = 0x00336699u;
    const uint64_t dst = TARGET_VA + 4096;
    const uint32_t fill[] = {
        (2u << 29) | (0x50u << 22) | (3u << 20) | 5u,
        (3u << 24) | (0xf0u << 16) | FILL_PITCH,
        0, FILL_ROWS << 16 | (FILL_PITCH / 4),
        (uint32_t)dst, (uint32_t)(dst >> 32), colour,
        0x05000000u, /* MI_BATCH_BUFFER_END */
    };
    static uint32_t px[FILL_PITCH / 4 * FILL_ROWS];
    if (run(target, batch, fill, 8, I915_EXEC_BLT, "fill") < 0 ||
        bo_read(target, 4096, px, sizeof(px)) < 0) {
        bad++;
    } else {
        unsigned wrong = 0;
        for (unsigned i = 0; i < FILL_PITCH / 4 * FILL_ROWS; i++)
            wrong += px[i] != colour;
        if (wrong) {
            printf("E2E-GPU: fill: %u of %u pixels wrong (first %#x)\n", wrong,
                   FILL_PITCH / 4 * FILL_ROWS, px[0]);
            bad++;
        } else {
            printf("E2E-GPU: fill ok (%u pixels of %#x on bcs0)\n", FILL_PITCH / 4 * FILL_ROWS,
                   colour);
        }
    }
    printf("E2E-GPU: %s\n", bad ? "FAILED" : "all ok");
    return bad ? 1 : 0;
}
