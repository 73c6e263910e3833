/* The e2e guest's framebuffer pattern: a known image written to /dev/fb0
 * with write(2) (as any fbdev client may), row by row at the device's
 * stride, and the same pixels packed (width*height XRGB8888, little-endian,
 * what `xengvt frame` returns) to a file for a checksum. dom0 compares the
 * vGPU's scanout with it pixel for pixel. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static uint32_t pixel(uint32_t x, uint32_t y)
{
    return (((x * 7u) ^ (y * 13u)) & 0xffu) | (x & 0xffu) << 8 | (y & 0xffu) << 16;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fbpattern /dev/fbN PACKED_OUT\n");
        return 2;
    }
    int fd = open(argv[1], O_RDWR);
    struct fb_var_screeninfo var;
    struct fb_fix_screeninfo fix;
    if (fd < 0 || ioctl(fd, FBIOGET_VSCREENINFO, &var) < 0 ||
        ioctl(fd, FBIOGET_FSCREENINFO, &fix) < 0) {
        printf("E2E-FB: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (var.bits_per_pixel != 32 || var.xres == 0 || var.yres == 0 ||
        fix.line_length < var.xres * 4) {
        printf("E2E-FB: %ux%u at %u bpp, stride %u: not XRGB8888\n", var.xres, var.yres,
               var.bits_per_pixel, fix.line_length);
        return 1;
    }
    FILE *out = fopen(argv[2], "wb");
    uint32_t *row = malloc((size_t)var.xres * 4);
    if (!out || !row)
        return 1;
    for (uint32_t y = 0; y < var.yres; y++) {
        for (uint32_t x = 0; x < var.xres; x++)
            row[x] = pixel(x, y);
        off_t at = (off_t)(y + var.yoffset) * fix.line_length + (off_t)var.xoffset * 4;
        if (pwrite(fd, row, (size_t)var.xres * 4, at) != (ssize_t)var.xres * 4) {
            printf("E2E-FB: writing row %u: %s\n", y, strerror(errno));
            return 1;
        }
        fwrite(row, 4, var.xres, out);
    }
    fclose(out);
    printf("E2E-FB: %ux%u pattern written (stride %u)\n", var.xres, var.yres, fix.line_length);
    return 0;
}
