/* A guest's life as xl.cfg says it: on_* actions with xl's words and
 * defaults, read strictly from a config; on_daemon_death in vgpu entries;
 * xl's rename-restart name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tools/common/lifecycle.h"
#include "tools/common/vgpu_cfg.h"

static int parse(const char *text, struct vgpu_cfg *c, char *err)
{
    return vgpu_cfg_parse("guest.cfg", text, strlen(text), c, err, VGPU_CFG_ERR_MAX);
}

static void test_defaults_are_xls(void **state)
{
    (void)state;
    struct vgpu_cfg c;
    char err[VGPU_CFG_ERR_MAX] = "";
    assert_int_equal(parse("name = \"g\"\nvgpu = [ \"type=GVTg_V5_4\" ]\n", &c, err), 0);
    assert_int_equal(guest_action_for(&c.actions, 0), ACTION_DESTROY); /* poweroff */
    assert_int_equal(guest_action_for(&c.actions, 1), ACTION_RESTART);  /* reboot */
    assert_int_equal(guest_action_for(&c.actions, 3), ACTION_DESTROY); /* crash */
    assert_int_equal(guest_action_for(&c.actions, 4), ACTION_DESTROY); /* watchdog */
    assert_int_equal(guest_action_for(&c.actions, 5), ACTION_SOFT_RESET);
    /* A reason Xen may add later: destroyed, as xl does. */
    assert_int_equal(guest_action_for(&c.actions, 9), ACTION_DESTROY);
    assert_int_equal(c.entries[0].on_daemon_death, DEATH_RESTART);
}

static void test_actions_from_the_config(void **state)
{
    (void)state;
    struct vgpu_cfg c;
    char err[VGPU_CFG_ERR_MAX] = "";
    const char *text = "name = \"g\"\n"
                       "on_poweroff = \"preserve\"\n"
                       "on_reboot = \"rename-restart\"\n"
                       "on_crash = \"coredump-restart\"\n"
                       "on_watchdog = \"coredump-destroy\"\n"
                       "vgpu = [ \"type=GVTg_V5_4,on_daemon_death=crash\", "
                       "\"sbdf=00:03.0,on_daemon_death=preserve\" ]\n";
    assert_int_equal(parse(text, &c, err), 0);
    assert_int_equal(c.actions.on[EVENT_POWEROFF], ACTION_PRESERVE);
    assert_int_equal(c.actions.on[EVENT_REBOOT], ACTION_RENAME_RESTART);
    assert_int_equal(c.actions.on[EVENT_CRASH], ACTION_COREDUMP_RESTART);
    assert_int_equal(c.actions.on[EVENT_WATCHDOG], ACTION_COREDUMP_DESTROY);
    assert_true(guest_action_restarts(ACTION_COREDUMP_RESTART));
    assert_false(guest_action_restarts(ACTION_PRESERVE));
    assert_true(guest_action_dumps_core(ACTION_COREDUMP_DESTROY));
    assert_int_equal(c.entries[0].on_daemon_death, DEATH_CRASH);
    assert_int_equal(c.entries[1].on_daemon_death, DEATH_PRESERVE);
}

static void test_bad_words_are_refused(void **state)
{
    (void)state;
    struct vgpu_cfg c;
    char err[VGPU_CFG_ERR_MAX] = "";
    assert_int_not_equal(parse("name = \"g\"\non_crash = \"explode\"\n", &c, err), 0);
    assert_non_null(strstr(err, "on_crash: 'explode' is not an action"));
    assert_int_not_equal(
        parse("name = \"g\"\nvgpu = [ \"on_daemon_death=ignore\" ]\n", &c, err), 0);
    assert_non_null(strstr(err, "on_daemon_death: restart, crash or preserve"));
    assert_int_not_equal(
        parse("name = \"g\"\nvgpu = [ \"on_daemon_death=crash,on_daemon_death=crash\" ]\n", &c,
              err), 0);
    enum guest_action a;
    assert_int_equal(guest_action_parse("", &a), -1);
    assert_int_equal(guest_action_parse("restart ", &a), -1);
    assert_string_equal(guest_action_name((enum guest_action)99), "?");
    assert_string_equal(guest_event_name(77), "unknown");
}

static void test_rename_restart_name(void **state)
{
    (void)state;
    char out[64];
    /* 2026-11-30 23:47 UTC */
    guest_preserved_name("web", 1796082420, out, sizeof(out));
    assert_string_equal(out, "web-20261130T2347Z");
    /* Truncated, never overrun. */
    char small[8];
    guest_preserved_name("a-long-guest-name", 0, small, sizeof(small));
    assert_int_equal(strlen(small), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_are_xls),
        cmocka_unit_test(test_actions_from_the_config),
        cmocka_unit_test(test_bad_words_are_refused),
        cmocka_unit_test(test_rename_restart_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
