/* libxl's QMP socket, served by the device-model wrapper: every client
 * libxl connects is passed through, byte for byte and with the file
 * descriptors libxl sends (add-fd), to QEMU's own monitor socket, except
 * where the vGPUs must take part (Xen 4.17's libxl_qmp.c):
 *  - xen-save-devices-state (libxl_qmp.c:1078, after "stop" and "add-fd"):
 *    when QEMU answers "return", the vGPUs' state is added to the file it
 *    wrote before libxl hears the answer; if that fails libxl hears an
 *    error instead, and its save fails (the guest resumes);
 *  - cont (libxl_dom_suspend.c:555, a save that failed or a checkpoint;
 *    libxl_dm.c's start-up under -S): the vGPUs resume before QEMU does;
 *  - xen-set-global-dirty-log (libxl_dom_save.c:229, sent when a save's
 *    memory copy starts and ends: xg_sr_save_x86_hvm.c:160 and :220): the
 *    vGPUs are told first, so that from then on they report the guest pages
 *    they write (Xen's log-dirty mode cannot see them); if one cannot be
 *    told to start, libxl hears an error instead of QEMU's answer and
 *    abandons the save (libxl_dom_save.c:247), the guest running on.
 * QMP is one JSON object per line each way (libxl ends its commands with
 * "\r\n", libxl_qmp.c:518; QEMU its answers and events, libxl_qmp.c:1615);
 * lines are bounded, and only libxl's lines are parsed for what to
 * intercept, QEMU's only for the answer to an intercepted command. */
#ifndef XENGVT_QEMU_QMP_PROXY_H
#define XENGVT_QEMU_QMP_PROXY_H

#include <stdbool.h>
#include <stddef.h>

struct qmp_hooks {
    /* QEMU saved its device state into `fd` (the file libxl passed with
     * add-fd, or opened from the command's "filename"). 0, or -1 with the
     * reason in msg (then libxl is answered with an error). */
    int (*saved)(void *opaque, int fd, char *msg, size_t cap);
    /* libxl is about to let QEMU run the guest ("cont"). */
    void (*cont)(void *opaque);
    /* libxl switches the dirty log (xen-set-global-dirty-log). 0, or -1
     * with the reason in msg. */
    int (*dirty_log)(void *opaque, bool enable, char *msg, size_t cap);
    /* `wake_fd` is readable (a signalfd): true to stop serving. */
    bool (*wake)(void *opaque);
    void *opaque;
};

/* Accepts libxl's clients on `listen_fd`, connects each to QEMU's socket
 * at `qemu_sock`, until hooks->wake says stop. 0, or -errno if the
 * listener fails. */
int qmp_proxy_run(int listen_fd, const char *qemu_sock, int wake_fd, const struct qmp_hooks *h);

/* The raw text of member `key` of the JSON object in [p, e) (a string
 * keeps its quotes); false if absent or the text is not one object.
 * Bounded (nesting, length); no allocation. Exposed for tests. */
bool qmp_member(const char *p, const char *e, const char *key, const char **val, size_t *len);

#endif
