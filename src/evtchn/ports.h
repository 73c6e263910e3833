/* Event channels to one guest: a xenevtchn handle on the event loop, and a
 * table from local port to the callback that owns it (one per vCPU ioreq
 * slot, one for the buffered ring). Lookup is a direct index: O(1). */
#ifndef XENGVT_EVTCHN_PORTS_H
#define XENGVT_EVTCHN_PORTS_H

#include <stdint.h>
#include <xenevtchn.h>

struct evt_loop;
struct evt_ports;

/* Called on the loop when `port` fires; `arg` is what was bound with it. */
typedef void (*evt_port_cb)(void *opaque, unsigned arg);

int evt_ports_open(struct evt_loop *loop, struct evt_ports **out);
void evt_ports_close(struct evt_ports *ports);
xenevtchn_handle *evt_ports_handle(struct evt_ports *ports);

/* Bind to `remote_port` of `domid`; returns the local port (>= 0) or -errno. */
int evt_ports_bind(struct evt_ports *ports, uint32_t domid,
                   uint32_t remote_port, evt_port_cb cb, void *opaque,
                   unsigned arg);
void evt_ports_unbind(struct evt_ports *ports, uint32_t local_port);
/* Notify the guest side of `local_port`. A refusal other than ESRCH is
 * retried from a timer until it goes through; if Xen keeps refusing for
 * seconds, the fatal callback runs. Returns the first attempt's result. */
int evt_ports_notify(struct evt_ports *ports, uint32_t local_port);

/* The event-channel device cannot be used any more (persistent errors):
 * the daemon should exit with an error rather than serve half. */
typedef void (*evt_ports_fatal_cb)(void *opaque);
void evt_ports_on_fatal(struct evt_ports *ports, evt_ports_fatal_cb cb, void *opaque);

/* Count of notifications delivered to callbacks, for stats. */
uint64_t evt_ports_delivered(const struct evt_ports *ports);

/* Set when a xenevtchn call failed with ESRCH: the domain is gone. */
typedef void (*evt_ports_dead_cb)(void *opaque);
void evt_ports_on_domain_dead(struct evt_ports *ports, evt_ports_dead_cb cb,
                              void *opaque);

#endif
