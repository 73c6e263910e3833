#include "config.h"
#include "evtchn/loop.h"
#include "common/log.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct evt_watch {
    int fd;
    evt_fd_cb cb;
    void *opaque;
    struct evt_watch *next;
};

struct evt_timer {
    struct evt_loop *loop;
    int fd;
    bool armed;
    bool periodic;
    bool fd_armed;    /* the timerfd is set (not a "soon" one) */
    bool soon;        /* armed by evt_timer_arm_soon */
    uint64_t soon_at; /* the loop's soon_round when it was */
    evt_timer_cb cb;
    void *opaque;
    uint64_t deadline_ns, period_ns; /* manual time only */
    struct evt_timer *next;          /* the loop's timers */
};

struct evt_loop {
    int epfd;
    bool stopping;
    int exit_code;
    struct evt_watch *watches;
    struct evt_watch *retired; /* removed during a batch, freed after it */
    int sigfd;
    evt_signal_cb sig_cb;
    void *sig_opaque;
    struct evt_timer *timers;
    bool manual_time;  /* timers fire only through evt_loop_advance */
    uint64_t now_ns;   /* the manual clock */
    unsigned soon_armed;  /* timers armed "soon" */
    uint64_t soon_round;  /* rounds that fired "soon" timers */
    evt_round_cb round_end;
    void *round_end_opaque;
};

int evt_loop_new(struct evt_loop **out)
{
    struct evt_loop *loop = calloc(1, sizeof(*loop));
    if (!loop)
        return -ENOMEM;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        int err = -errno;
        free(loop);
        return err;
    }
    loop->sigfd = -1;
    *out = loop;
    return 0;
}

static void free_watch_list(struct evt_watch *w)
{
    while (w) {
        struct evt_watch *next = w->next;
        free(w);
        w = next;
    }
}

void evt_loop_free(struct evt_loop *loop)
{
    if (!loop)
        return;
    free_watch_list(loop->watches);
    free_watch_list(loop->retired);
    if (loop->sigfd >= 0)
        close(loop->sigfd);
    close(loop->epfd);
    free(loop);
}

int evt_loop_add_fd(struct evt_loop *loop, int fd, evt_fd_cb cb, void *opaque)
{
    struct evt_watch *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->fd = fd;
    w->cb = cb;
    w->opaque = opaque;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int err = -errno;
        free(w);
        return err;
    }
    w->next = loop->watches;
    loop->watches = w;
    return 0;
}

int evt_loop_del_fd(struct evt_loop *loop, int fd)
{
    for (struct evt_watch **pp = &loop->watches; *pp; pp = &(*pp)->next) {
        struct evt_watch *w = *pp;
        if (w->fd != fd)
            continue;
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
        *pp = w->next;
        /* epoll may already have returned this watch in the batch being
         * dispatched: keep the memory until the batch ends. */
        w->cb = NULL;
        w->next = loop->retired;
        loop->retired = w;
        return 0;
    }
    return -ENOENT;
}

int evt_loop_set_events(struct evt_loop *loop, int fd, uint32_t events)
{
    for (struct evt_watch *w = loop->watches; w; w = w->next) {
        if (w->fd != fd)
            continue;
        struct epoll_event ev = { .events = events, .data.ptr = w };
        return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
    }
    return -ENOENT;
}

static void signal_ready(void *opaque, uint32_t events)
{
    struct evt_loop *loop = opaque;
    (void)events;
    struct signalfd_siginfo si;
    while (read(loop->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        loop->sig_cb(loop->sig_opaque, (int)si.ssi_signo);
}

int evt_loop_add_signals(struct evt_loop *loop, const int *signals,
                         evt_signal_cb cb, void *opaque)
{
    sigset_t set;
    sigemptyset(&set);
    for (const int *s = signals; *s; s++)
        sigaddset(&set, *s);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -errno;
    loop->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (loop->sigfd < 0)
        return -errno;
    loop->sig_cb = cb;
    loop->sig_opaque = opaque;
    return evt_loop_add_fd(loop, loop->sigfd, signal_ready, loop);
}

static void timer_ready(void *opaque, uint32_t events)
{
    struct evt_timer *t = opaque;
    (void)events;
    uint64_t expirations = 0;
    if (read(t->fd, &expirations, sizeof(expirations)) != sizeof(expirations))
        return; /* disarmed between the wake-up and now */
    if (!t->periodic)
        t->armed = t->fd_armed = false; /* a one-shot has fired: the callback may re-arm it */
    t->cb(t->opaque, expirations);
}

int evt_timer_new(struct evt_loop *loop, evt_timer_cb cb, void *opaque,
                  struct evt_timer **out)
{
    struct evt_timer *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->loop = loop;
    t->cb = cb;
    t->opaque = opaque;
    t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (t->fd < 0) {
        int err = -errno;
        free(t);
        return err;
    }
    int rc = evt_loop_add_fd(loop, t->fd, timer_ready, t);
    if (rc < 0) {
        close(t->fd);
        free(t);
        return rc;
    }
    t->next = loop->timers;
    loop->timers = t;
    *out = t;
    return 0;
}

static struct timespec ns_to_ts(uint64_t ns)
{
    return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000ull),
                              .tv_nsec = (long)(ns % 1000000000ull) };
}

static void soon_clear(struct evt_timer *t)
{
    if (t->soon) {
        t->soon = false;
        t->loop->soon_armed--;
    }
}

int evt_timer_arm(struct evt_timer *t, uint64_t first_ns, uint64_t period_ns)
{
    soon_clear(t);
    if (t->loop->manual_time) {
        t->armed = first_ns != 0;
        t->periodic = period_ns != 0;
        t->deadline_ns = t->loop->now_ns + first_ns;
        t->period_ns = period_ns;
        return 0;
    }
    if (first_ns == 0 && !t->fd_armed) {
        t->armed = false; /* nothing to stop in the kernel */
        return 0;
    }
    struct itimerspec its = { .it_value = ns_to_ts(first_ns),
                              .it_interval = ns_to_ts(period_ns) };
    if (timerfd_settime(t->fd, 0, &its, NULL) < 0)
        return -errno;
    t->armed = first_ns != 0;
    t->fd_armed = t->armed;
    t->periodic = period_ns != 0;
    return 0;
}

void evt_timer_arm_soon(struct evt_timer *t)
{
    if (t->armed && !t->soon)
        evt_timer_disarm(t); /* a pending timerfd expiry would fire it twice */
    if (t->loop->manual_time) {
        t->armed = true;
        t->periodic = false;
        t->deadline_ns = t->loop->now_ns;
        return;
    }
    if (!t->soon) {
        t->soon = true;
        t->loop->soon_armed++;
        t->soon_at = t->loop->soon_round;
    }
    t->armed = true;
    t->periodic = false;
}

/* Fires the timers armed "soon" before this round began (one re-armed by
 * its own callback waits for the next round: the loop polls between). */
static void fire_soon(struct evt_loop *loop)
{
    uint64_t round = ++loop->soon_round;
    struct evt_timer *t;
again:
    for (t = loop->timers; t && !loop->stopping; t = t->next) {
        if (t->soon && t->soon_at < round) {
            soon_clear(t);
            t->armed = false;
            t->cb(t->opaque, 1);
            goto again; /* the callback may have freed or armed timers */
        }
    }
}

void evt_timer_disarm(struct evt_timer *t)
{
    evt_timer_arm(t, 0, 0);
}

bool evt_timer_armed(const struct evt_timer *t) { return t->armed; }

void evt_timer_free(struct evt_timer *t)
{
    if (!t)
        return;
    soon_clear(t);
    for (struct evt_timer **p = &t->loop->timers; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    evt_loop_del_fd(t->loop, t->fd);
    close(t->fd);
    free(t);
}

int evt_loop_run_once(struct evt_loop *loop, int timeout_ms)
{
    struct epoll_event events[16];
    int n = epoll_wait(loop->epfd, events, 16, loop->soon_armed ? 0 : timeout_ms);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        log_error("epoll_wait: %s", strerror(errno));
        return -errno;
    }
    for (int i = 0; i < n && !loop->stopping; i++) {
        struct evt_watch *w = events[i].data.ptr;
        if (w->cb) /* NULL: removed earlier in this batch */
            w->cb(w->opaque, events[i].events);
    }
    free_watch_list(loop->retired);
    loop->retired = NULL;
    if (loop->soon_armed && !loop->stopping)
        fire_soon(loop);
    if (loop->round_end)
        loop->round_end(loop->round_end_opaque);
    return n;
}

void evt_loop_on_round_end(struct evt_loop *loop, evt_round_cb cb, void *opaque)
{
    loop->round_end = cb;
    loop->round_end_opaque = opaque;
}

int evt_loop_run(struct evt_loop *loop)
{
    while (!loop->stopping) {
        int rc = evt_loop_run_once(loop, -1);
        if (rc < 0)
            return rc;
    }
    return loop->exit_code;
}

void evt_loop_stop(struct evt_loop *loop, int code)
{
    if (!loop->stopping)
        loop->exit_code = code;
    loop->stopping = true;
}

bool evt_loop_stopping(const struct evt_loop *loop) { return loop->stopping; }

uint64_t evt_loop_now_ns(const struct evt_loop *loop)
{
    if (loop->manual_time)
        return loop->now_ns;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void evt_loop_set_manual_time(struct evt_loop *loop)
{
    static const struct itimerspec off;
    loop->manual_time = true;
    loop->now_ns = 0;
    for (struct evt_timer *t = loop->timers; t; t = t->next) {
        timerfd_settime(t->fd, 0, &off, NULL);
        soon_clear(t);
        t->armed = t->fd_armed = false;
    }
}

/* The earliest armed deadline at or before `until`, or NULL. */
static struct evt_timer *next_due(struct evt_loop *loop, uint64_t until)
{
    struct evt_timer *best = NULL;
    for (struct evt_timer *t = loop->timers; t; t = t->next)
        if (t->armed && t->deadline_ns <= until && (!best || t->deadline_ns < best->deadline_ns))
            best = t;
    return best;
}

unsigned evt_loop_advance(struct evt_loop *loop, uint64_t ns, unsigned max_fires)
{
    if (!loop->manual_time)
        return 0;
    uint64_t until = loop->now_ns + ns;
    unsigned fired = 0;
    struct evt_timer *t;
    while (!loop->stopping && (!max_fires || fired < max_fires) &&
           (t = next_due(loop, until)) != NULL) {
        loop->now_ns = t->deadline_ns;
        uint64_t expirations = 1;
        if (t->periodic) {
            expirations += (until - t->deadline_ns) / t->period_ns;
            t->deadline_ns += expirations * t->period_ns;
        } else {
            t->armed = false;
        }
        t->cb(t->opaque, expirations);
        fired++;
    }
    loop->now_ns = until;
    return fired;
}
