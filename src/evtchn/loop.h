/* The daemon's single event loop: epoll over file descriptors (the xenevtchn
 * fd, xenstore's fd, timerfds, a signalfd, control sockets). Callbacks run
 * to completion on the loop's thread; nothing here knows about GPUs. */
#ifndef XENGVT_EVTCHN_LOOP_H
#define XENGVT_EVTCHN_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct evt_loop;
struct evt_timer;

/* `events` is the epoll event mask that fired (EPOLLIN, EPOLLHUP, ...). */
typedef void (*evt_fd_cb)(void *opaque, uint32_t events);
typedef void (*evt_timer_cb)(void *opaque, uint64_t expirations);
typedef void (*evt_signal_cb)(void *opaque, int signo);

int evt_loop_new(struct evt_loop **out);
void evt_loop_free(struct evt_loop *loop);

/* Watch `fd` for readability. One registration per fd. */
int evt_loop_add_fd(struct evt_loop *loop, int fd, evt_fd_cb cb, void *opaque);
int evt_loop_del_fd(struct evt_loop *loop, int fd);
/* Change what wakes a watch (EPOLLIN, EPOLLOUT, or both). */
int evt_loop_set_events(struct evt_loop *loop, int fd, uint32_t events);

/* Block `signals` (a 0-terminated list) and deliver them through a signalfd. */
int evt_loop_add_signals(struct evt_loop *loop, const int *signals,
                         evt_signal_cb cb, void *opaque);

/* Periodic or one-shot timers on CLOCK_MONOTONIC. A stopped timer costs
 * nothing: the loop only wakes for armed ones. */
int evt_timer_new(struct evt_loop *loop, evt_timer_cb cb, void *opaque,
                  struct evt_timer **out);
/* period_ns 0: one-shot after first_ns. first_ns 0 disarms. */
int evt_timer_arm(struct evt_timer *t, uint64_t first_ns, uint64_t period_ns);
/* One-shot "as soon as the events already waiting are served": the next
 * round polls instead of blocking and fires it after its callbacks. No
 * timerfd (no syscall to arm it, no timer slack): for work done in slices
 * between ioreqs. Under manual time, a one-shot due now. */
void evt_timer_arm_soon(struct evt_timer *t);
void evt_timer_disarm(struct evt_timer *t);
bool evt_timer_armed(const struct evt_timer *t);
void evt_timer_free(struct evt_timer *t);

/* Runs at the end of every round of evt_loop_run_once, after its
 * callbacks: for work that batches what a round did (the daemon reports the
 * guest pages it wrote once per round, not once per write). One per loop;
 * NULL removes it. */
typedef void (*evt_round_cb)(void *opaque);
void evt_loop_on_round_end(struct evt_loop *loop, evt_round_cb cb, void *opaque);

/* One round: waits up to timeout_ms (-1: forever, 0: not at all) and runs
 * the callbacks of what is ready. Events handled, or -errno. */
int evt_loop_run_once(struct evt_loop *loop, int timeout_ms);
/* Run until evt_loop_stop(); returns the code passed to it. */
int evt_loop_run(struct evt_loop *loop);
void evt_loop_stop(struct evt_loop *loop, int code);
bool evt_loop_stopping(const struct evt_loop *loop);

/* The loop's clock (CLOCK_MONOTONIC, in ns); what device models time
 * things by, so that a manual clock makes them deterministic. */
uint64_t evt_loop_now_ns(const struct evt_loop *loop);
/* For deterministic harnesses (the fuzz targets): timers stop firing by
 * themselves; the clock starts at 0 and moves only in evt_loop_advance,
 * which fires the timers whose deadlines it passes, in order (a periodic
 * one once, with the expirations it missed), at most max_fires callbacks
 * (0: no bound; what is left is late, and fires on the next call). Calling
 * set_manual_time again resets the clock and disarms every timer.
 * Callbacks must not free timers. Returns the callbacks run. */
void evt_loop_set_manual_time(struct evt_loop *loop);
unsigned evt_loop_advance(struct evt_loop *loop, uint64_t ns, unsigned max_fires);

#endif
