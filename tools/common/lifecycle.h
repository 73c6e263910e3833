/* A guest's life as xl.cfg describes it: what to do when the guest powers
 * off, reboots, crashes or its watchdog fires (on_poweroff, on_reboot,
 * on_crash, on_watchdog, on_soft_reset, with xl's words and defaults), and
 * the supervisor's limits when one of its vGPU daemons dies (the policy,
 * the vgpu entry's on_daemon_death, is vgpu_entry.h's). Pure: parsing and
 * deciding, no processes. */
#ifndef XENGVT_TOOLS_COMMON_LIFECYCLE_H
#define XENGVT_TOOLS_COMMON_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

/* xl's actions (xl.cfg(5) "on_poweroff" etc.). */
enum guest_action {
    ACTION_DESTROY,
    ACTION_RESTART,
    ACTION_RENAME_RESTART, /* keep the old domain as NAME-YYYYMMDDTHHMMZ, start anew */
    ACTION_PRESERVE,       /* leave the shut-down domain for inspection */
    ACTION_COREDUMP_DESTROY,
    ACTION_COREDUMP_RESTART,
    ACTION_SOFT_RESET,     /* not done with vGPUs: treated as restart, said so */
    ACTION_COUNT
};

/* Xen's shutdown reasons (SHUTDOWN_* in xen/include/public/sched.h). */
enum guest_event {
    EVENT_POWEROFF = 0,
    EVENT_REBOOT = 1,
    EVENT_SUSPEND = 2, /* a save in progress: never acted on */
    EVENT_CRASH = 3,
    EVENT_WATCHDOG = 4,
    EVENT_SOFT_RESET = 5,
    EVENT_COUNT
};

struct guest_actions {
    enum guest_action on[EVENT_COUNT]; /* EVENT_SUSPEND unused */
};

/* xl's defaults: poweroff destroy, reboot restart, crash destroy,
 * watchdog destroy, soft_reset soft-reset. */
void guest_actions_default(struct guest_actions *a);
/* "destroy", "restart", ... -> 0 and *out; -1 for anything else. */
int guest_action_parse(const char *word, enum guest_action *out);
const char *guest_action_name(enum guest_action a);
const char *guest_event_name(unsigned reason); /* "poweroff", ..., "unknown" */
/* The xl.cfg key for an event: "on_poweroff", ... (NULL for suspend). */
const char *guest_event_key(enum guest_event e);
/* What the guest's config says for `reason`; an unknown reason destroys
 * (as xl does). */
enum guest_action guest_action_for(const struct guest_actions *a, unsigned reason);
bool guest_action_restarts(enum guest_action a);
bool guest_action_dumps_core(enum guest_action a);

/* How old a checkpoint may be for a restart from it, and how often the
 * supervisor takes one. Older (the daemon stopped answering before it
 * died): the guest is treated as crashed instead. */
#define CHECKPOINT_INTERVAL_MS 2000
#define CHECKPOINT_MAX_AGE_MS 10000
/* What one checkpoint may take: its whole answer within this time, at
 * most this many bytes (the largest vGPU state, a trapped GGTT full and
 * every register page touched, is under 8 MiB). */
#define CHECKPOINT_TIMEOUT_MS 2000
#define CHECKPOINT_MAX_BYTES (16u << 20)
/* A daemon restarted this many times within the window dies for good:
 * the guest is treated as crashed. */
#define DAEMON_RESTARTS_MAX 3
#define DAEMON_RESTART_WINDOW_MS 60000
/* Whether a daemon whose last restarts were at times[] (ms, 0: none) may
 * be restarted at `now`; if so `now` takes the oldest slot. */
bool daemon_restart_allowed(uint64_t times[DAEMON_RESTARTS_MAX], uint64_t now);

/* The rename-restart name: NAME-YYYYMMDDTHHMMZ (UTC), as xl names it. */
void guest_preserved_name(const char *name, int64_t unix_time, char *out, unsigned cap);

#endif
