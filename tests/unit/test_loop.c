/* The event loop's "soon" timers (evt_timer_arm_soon): they fire in the
 * next round after the events already waiting, without blocking and
 * without a timerfd; one re-armed by its own callback fires a round
 * later, not in a loop; disarming or freeing one cancels it; and under
 * manual time one is a timer due now. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include "evtchn/loop.h"

struct probe {
    struct evt_timer *t;
    unsigned fired, rearm;
    int order_fd;       /* an event handled before the timer fires */
    unsigned *seq;
    unsigned at;        /* *seq when it fired */
};

static void soon_cb(void *opaque, uint64_t expirations)
{
    struct probe *p = opaque;
    assert_int_equal(expirations, 1);
    p->fired++;
    p->at = ++*p->seq;
    if (p->rearm && p->rearm--)
        evt_timer_arm_soon(p->t);
}

struct event {
    int fd;
    unsigned *seq;
    unsigned at;
};

static void fd_cb(void *opaque, uint32_t events)
{
    struct event *e = opaque;
    (void)events;
    uint64_t v;
    assert_int_equal(read(e->fd, &v, sizeof(v)), sizeof(v));
    e->at = ++*e->seq;
}

static void test_soon_after_waiting_events(void **state)
{
    (void)state;
    struct evt_loop *loop;
    assert_int_equal(evt_loop_new(&loop), 0);
    unsigned seq = 0;
    struct probe p = { .seq = &seq };
    assert_int_equal(evt_timer_new(loop, soon_cb, &p, &p.t), 0);
    struct event e = { .fd = eventfd(0, EFD_NONBLOCK), .seq = &seq };
    assert_int_equal(evt_loop_add_fd(loop, e.fd, fd_cb, &e), 0);
    uint64_t one = 1;
    assert_int_equal(write(e.fd, &one, sizeof(one)), sizeof(one));
    evt_timer_arm_soon(p.t);
    assert_true(evt_timer_armed(p.t));
    alarm(5); /* a round that blocked would never return */
    assert_int_equal(evt_loop_run_once(loop, -1), 1);
    assert_int_equal(p.fired, 1);
    assert_int_equal(e.at, 1); /* the waiting event first */
    assert_int_equal(p.at, 2);
    assert_false(evt_timer_armed(p.t));
    /* Re-armed by its callback: once per round, not in a loop. */
    p.rearm = 2;
    evt_timer_arm_soon(p.t);
    evt_timer_arm_soon(p.t); /* twice armed is armed once */
    assert_int_equal(evt_loop_run_once(loop, -1), 0);
    assert_int_equal(p.fired, 2);
    assert_int_equal(evt_loop_run_once(loop, -1), 0);
    assert_int_equal(p.fired, 3);
    assert_int_equal(evt_loop_run_once(loop, -1), 0);
    assert_int_equal(p.fired, 4);
    assert_false(evt_timer_armed(p.t));
    /* Disarmed: nothing fires and the loop blocks again (for 10 ms). */
    evt_timer_arm_soon(p.t);
    evt_timer_disarm(p.t);
    assert_int_equal(evt_loop_run_once(loop, 10), 0);
    assert_int_equal(p.fired, 4);
    /* An ordinary timer armed over a soon one replaces it. */
    evt_timer_arm_soon(p.t);
    assert_int_equal(evt_timer_arm(p.t, 20000000, 0), 0);
    assert_int_equal(evt_loop_run_once(loop, 5), 0);
    assert_int_equal(p.fired, 4);
    assert_int_equal(evt_loop_run_once(loop, 1000), 1);
    assert_int_equal(p.fired, 5);
    /* Freed while armed: forgotten. */
    evt_timer_arm_soon(p.t);
    evt_timer_free(p.t);
    assert_int_equal(evt_loop_run_once(loop, 10), 0);
    assert_int_equal(p.fired, 5);
    alarm(0);
    evt_loop_del_fd(loop, e.fd);
    close(e.fd);
    evt_loop_free(loop);
}

static void test_soon_under_manual_time(void **state)
{
    (void)state;
    struct evt_loop *loop;
    assert_int_equal(evt_loop_new(&loop), 0);
    evt_loop_set_manual_time(loop);
    unsigned seq = 0;
    struct probe p = { .seq = &seq };
    assert_int_equal(evt_timer_new(loop, soon_cb, &p, &p.t), 0);
    evt_timer_arm_soon(p.t);
    /* Only time passing fires it (a fuzz input replays the same). */
    assert_int_equal(evt_loop_run_once(loop, 0), 0);
    assert_int_equal(p.fired, 0);
    assert_int_equal(evt_loop_advance(loop, 0, 0), 1);
    assert_int_equal(p.fired, 1);
    evt_timer_free(p.t);
    evt_loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_soon_after_waiting_events),
        cmocka_unit_test(test_soon_under_manual_time),
    };
    return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
