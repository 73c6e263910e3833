/* The vGPUs' state inside the device-model state libxl saves.
 *
 * libxl asks QEMU for its device state with the QMP command
 * xen-save-devices-state (libxl_qmp.c:1078 in Xen 4.17), into a file it
 * then copies whole into the save or migration stream as the EMULATOR_CONTEXT
 * record (libxl_stream_write.c:453-490), and on restore writes back to a
 * file QEMU reads through `-incoming fd:N` (libxl_stream_read.c:684,
 * libxl_dm.c:1795). Whatever the file holds when QEMU's command returns
 * travels with the guest. QEMU writes its "QEVM" stream there: magic, version
 * 3, one QEMU_VM_SECTION_FULL section per device, and a single
 * QEMU_VM_EOF byte (0x00) last (migration/savevm.c, qemu_save_device_state).
 *
 * The vGPUs' state goes in as one more section, just before that EOF byte:
 *
 *   0x04 (SECTION_FULL) | be32 section id 0x58475654 | u8 6 | "xengvt" |
 *   be32 instance 0 | be32 version 1 |
 *   payload: an xl-vgpu save container (savefile.h, XGVTSAVE, CRC-checked
 *            sections "vgpuN.spec" and "vgpuN.state") |
 *   trailer: "XGVTQDM" 0x00 | le32 format version (1) | le32 0 | le64 payload length |
 *   0x00 (QEMU's EOF, moved after us)
 *
 * Why a QEMU section rather than bytes after the EOF: a QEMU without the
 * wrapper that is handed this state refuses it, naming it ("Unknown savevm
 * section or instance 'xengvt' 0"), instead of restoring the guest without
 * its vGPU. The wrapper finds the section from the end (the trailer), checks
 * every byte of its header, and hands QEMU the stream without it. */
#ifndef XENGVT_QEMU_DMSTATE_H
#define XENGVT_QEMU_DMSTATE_H

#include "tools/common/savefile.h"

#define DMSTATE_VERSION 1

/* Inserts `sf` into the QEMU device state in the regular file `fd` (open
 * for writing; QEMU has written and closed it). 0, or -EINVAL with *why
 * if the file is not a whole QEMU device state, -EIO. */
int dmstate_insert(int fd, const struct savefile *sf, const char **why);

/* Reads the device state in `fd` (a regular file, from offset 0): QEMU's
 * own stream is written to `qemu_fd` (from its current offset) and the
 * vGPUs' sections parsed into `sf` (CRCs checked). 0; -ENOENT if the file
 * carries no vGPU state (nothing written), -EINVAL if it is refused (*why
 * says why), -EIO. */
int dmstate_split(int fd, int qemu_fd, struct savefile *sf, const char **why);

#endif
