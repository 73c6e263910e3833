/* The live view: a VNC server (libvncserver) on an address the admin
 * chooses, showing the guest's screen. Served from the daemon's event loop
 * on a timer; frames are captured only while a viewer is connected, and
 * only the tiles that changed are sent. */
#ifndef XENGVT_HOST_VNC_H
#define XENGVT_HOST_VNC_H

#include <stdint.h>
#include "host/capture.h"

struct evt_loop;
struct host_vnc;

/* `listen` is "ADDR:PORT" (IPv4, e.g. 127.0.0.1:5901). */
int host_vnc_start(struct evt_loop *loop, const char *listen, host_capture_fn capture,
                   void *opaque, struct host_vnc **out);
void host_vnc_stop(struct host_vnc *vnc);
unsigned host_vnc_clients(const struct host_vnc *vnc);
uint64_t host_vnc_updates(const struct host_vnc *vnc);

#endif
