/* A simulated KMS device for the daemon's dom0 output. The "device node" is
 * a regular file the test creates: this header sits at its start, dumb
 * buffers follow it, and the daemon maps them with a plain mmap of the file
 * (as it would map a real dumb buffer through the DRM fd). The preload
 * library's drmMode* and drmIoctl keep their state here, so the test reads
 * what is scanned out straight from the file. */
#ifndef XENGVT_TESTS_SIM_KMS_H
#define XENGVT_TESTS_SIM_KMS_H

#include <stdint.h>

#define SIM_KMS_MAGIC 0x534b4d53u /* "SKMS" */
#define SIM_KMS_CONNECTORS 2
#define SIM_KMS_MODES 3
#define SIM_KMS_OBJECTS 8
#define SIM_KMS_DATA_OFFSET (1u << 20) /* first dumb buffer */
#define SIM_KMS_CRTC_ID 50u
#define SIM_KMS_ENCODER_ID 60u
#define SIM_KMS_FOREIGN_FB 99u /* what the console showed before us */

struct sim_kms_mode {
    uint16_t w, h, refresh;
    uint16_t preferred;
};

struct sim_kms_connector {
    uint32_t id, type, type_id, connected, nr_modes;
    struct sim_kms_mode modes[SIM_KMS_MODES];
};

struct sim_kms_dumb {
    uint32_t handle, w, h, pitch, live;
    uint64_t offset, size;
};

struct sim_kms_fb {
    uint32_t id, handle, w, h, pitch, format, live;
};

struct sim_kms_dev {
    uint32_t magic;
    uint32_t refuse_master; /* SetCrtc fails with EACCES (a compositor runs) */
    struct sim_kms_connector conn[SIM_KMS_CONNECTORS];
    /* The CRTC: what it scans out, on which connector, in which mode. */
    uint32_t crtc_fb, crtc_connector, crtc_w, crtc_h;
    uint32_t setcrtc_calls, dirtyfb_calls;
    struct sim_kms_dumb dumb[SIM_KMS_OBJECTS];
    struct sim_kms_fb fb[SIM_KMS_OBJECTS];
    uint64_t next_offset;
    uint32_t next_handle, next_fb;
};

#endif
