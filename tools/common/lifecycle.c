#include "config.h"
#include "tools/common/lifecycle.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const action_names[ACTION_COUNT] = {
    [ACTION_DESTROY] = "destroy",
    [ACTION_RESTART] = "restart",
    [ACTION_RENAME_RESTART] = "rename-restart",
    [ACTION_PRESERVE] = "preserve",
    [ACTION_COREDUMP_DESTROY] = "coredump-destroy",
    [ACTION_COREDUMP_RESTART] = "coredump-restart",
    [ACTION_SOFT_RESET] = "soft-reset",
};

static const char *const event_names[EVENT_COUNT] = {
    "poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset",
};

static const char *const event_keys[EVENT_COUNT] = {
    "on_poweroff", "on_reboot", NULL, "on_crash", "on_watchdog", "on_soft_reset",
};

void guest_actions_default(struct guest_actions *a)
{
    a->on[EVENT_POWEROFF] = ACTION_DESTROY;
    a->on[EVENT_REBOOT] = ACTION_RESTART;
    a->on[EVENT_SUSPEND] = ACTION_PRESERVE;
    a->on[EVENT_CRASH] = ACTION_DESTROY;
    a->on[EVENT_WATCHDOG] = ACTION_DESTROY;
    a->on[EVENT_SOFT_RESET] = ACTION_SOFT_RESET;
}

int guest_action_parse(const char *word, enum guest_action *out)
{
    for (unsigned i = 0; i < ACTION_COUNT; i++)
        if (strcmp(word, action_names[i]) == 0) {
            *out = (enum guest_action)i;
            return 0;
        }
    return -1;
}

const char *guest_action_name(enum guest_action a)
{
    return (unsigned)a < ACTION_COUNT ? action_names[a] : "?";
}

const char *guest_event_name(unsigned reason)
{
    return reason < EVENT_COUNT ? event_names[reason] : "unknown";
}

const char *guest_event_key(enum guest_event e)
{
    return (unsigned)e < EVENT_COUNT ? event_keys[e] : NULL;
}

enum guest_action guest_action_for(const struct guest_actions *a, unsigned reason)
{
    if (reason >= EVENT_COUNT || reason == EVENT_SUSPEND)
        return ACTION_DESTROY;
    return a->on[reason];
}

bool guest_action_restarts(enum guest_action a)
{
    return a == ACTION_RESTART || a == ACTION_RENAME_RESTART || a == ACTION_COREDUMP_RESTART ||
           a == ACTION_SOFT_RESET;
}

bool guest_action_dumps_core(enum guest_action a)
{
    return a == ACTION_COREDUMP_DESTROY || a == ACTION_COREDUMP_RESTART;
}

void guest_preserved_name(const char *name, int64_t unix_time, char *out, unsigned cap)
{
    time_t t = (time_t)unix_time;
    struct tm tm;
    char stamp[24] = "";
    if (gmtime_r(&t, &tm))
        strftime(stamp, sizeof(stamp), "-%Y%m%dT%H%MZ", &tm);
    snprintf(out, cap, "%s%s", name, stamp);
}

bool daemon_restart_allowed(uint64_t times[DAEMON_RESTARTS_MAX], uint64_t now)
{
    unsigned recent = 0, oldest = 0;
    for (unsigned k = 0; k < DAEMON_RESTARTS_MAX; k++) {
        if (times[k] && now - times[k] < DAEMON_RESTART_WINDOW_MS)
            recent++;
        if (times[k] < times[oldest])
            oldest = k;
    }
    if (recent >= DAEMON_RESTARTS_MAX)
        return false;
    times[oldest] = now;
    return true;
}
