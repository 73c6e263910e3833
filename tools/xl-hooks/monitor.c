#include "config.h"
#include "monitor.h"
#include "tools/common/launch.h"
#include "tools/common/ctl_client.h"
#include "tools/common/xl_cmd.h"
#include "tools/common/reply.h"
#include "tools/common/served.h"
#include "tools/common/xvlog.h"
#include "common/files.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xenstore.h>

/* xl waits this long between destroying a rebooted guest and creating it
 * again ("domain re-creation fails sometimes" without it); it is also all
 * the rate limiting xl does to a guest that reboots in a loop. */
#define RESTART_DELAY_MS 2000

enum dom_state { DOM_RUNNING, DOM_SHUTDOWN, DOM_GONE };

struct monitor {
    struct monitor_args *a;
    ino_t cfg_ino, args_ino; /* the kept config files as given to us */
    struct served sv;
    xc_interface *xch;
    struct xs_handle *xs;
    int sigfd;
    bool shutdown_handled; /* this shutdown was acted on (events repeat) */
    uint64_t checkpoint_ms[VGPU_CFG_MAX]; /* 0: none yet */
    int server_id[VGPU_CFG_MAX];
    uint64_t restarts_ms[VGPU_CFG_MAX][DAEMON_RESTARTS_MAX];
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *guest_name(const struct monitor *m) { return m->a->cfg.name; }

static void set_state(struct monitor *m, const char *state)
{
    snprintf(m->sv.state, sizeof(m->sv.state), "%s", state);
    m->sv.monitor = getpid();
    if (served_write(&m->sv) < 0)
        xv_say("warning: cannot update the record of %s: %s", guest_name(m), strerror(errno));
}

static enum dom_state domain_state(struct monitor *m, unsigned *reason)
{
    xc_domaininfo_t info;
    int n = xc_domain_getinfolist(m->xch, (uint32_t)m->a->domid, 1, &info);
    if (n < 0) {
        xv_say("warning: domain info for %ld: %s", m->a->domid, strerror(errno));
        return DOM_RUNNING; /* not known to be otherwise */
    }
    if (n == 0 || info.domain != m->a->domid || (info.flags & XEN_DOMINF_dying))
        return DOM_GONE;
    if (info.flags & XEN_DOMINF_shutdown) {
        *reason = (info.flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
        return DOM_SHUTDOWN;
    }
    return DOM_RUNNING;
}

static void files_of_guest(const struct monitor *m, char *cfg, char *args, size_t cap)
{
    snprintf(cfg, cap, "%s/%s.cfg", launch_run_dir(), guest_name(m));
    snprintf(args, cap, "%s/%s.create", launch_run_dir(), guest_name(m));
}

/* The end: the domain is gone or was destroyed here. Nothing is left. */
static int finish(struct monitor *m, int code)
{
    served_stop_all(&m->sv);
    served_remove(m->a->domid);
    /* Ours only: a new guest of this name has files of its own. */
    char cfg[300], args[300];
    files_of_guest(m, cfg, args, sizeof(cfg));
    struct stat st;
    if (m->cfg_ino && stat(cfg, &st) == 0 && st.st_ino == m->cfg_ino)
        unlink(cfg);
    if (m->args_ino && stat(args, &st) == 0 && st.st_ino == m->args_ino)
        unlink(args);
    xv_say("supervisor of %s ends", guest_name(m));
    return code;
}

static void dump_core(struct monitor *m)
{
    const char *dir = getenv("XENGVT_DUMP_DIR");
    if (!dir || dir[0] != '/')
        dir = "/var/lib/xen/dump";
    mkdir(dir, 0700);
    char path[400], dom[24];
    snprintf(path, sizeof(path), "%s/%s", dir, guest_name(m));
    snprintf(dom, sizeof(dom), "%ld", m->a->domid);
    const char *args[] = { "dump-core", dom, path, NULL };
    if (launch_xl(NULL, 0, args) == 0)
        xv_say("core of %s written to %s", guest_name(m), path);
    else
        xv_say("warning: xl dump-core %s failed", guest_name(m));
}

static void write_ready(struct monitor *m, char word)
{
    if (m->a->ready_fd < 0)
        return;
    if (write(m->a->ready_fd, &word, 1) != 1)
        xv_say("warning: the caller did not wait for the supervisor");
    close(m->a->ready_fd);
    m->a->ready_fd = -1;
}

/* Daemons for the (paused) domain m->a->domid, then unpause. */
static int serve_and_unpause(struct monitor *m, char (*restore)[200])
{
    m->sv.monitor = getpid();
    if (served_start(m->a->domid, guest_name(m), m->a->cfg.entries, m->a->cfg.count, restore,
                     &m->sv) < 0)
        return -1;
    memset(m->checkpoint_ms, 0, sizeof(m->checkpoint_ms));
    char dom[24];
    snprintf(dom, sizeof(dom), "%ld", m->a->domid);
    if (xl1("unpause", dom) != 0) {
        xv_say("xl unpause %s failed", guest_name(m));
        served_stop_all(&m->sv);
        return -1;
    }
    set_state(m, "running");
    return 0;
}

/* SIGTERM/SIGINT/SIGHUP arrived (they are blocked: read in the loop). */
static bool told_to_stand_down(void)
{
    sigset_t pending;
    return sigpending(&pending) == 0 &&
           (sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT) ||
            sigismember(&pending, SIGHUP));
}

static int destroy_domain(struct monitor *m)
{
    char dom[24];
    snprintf(dom, sizeof(dom), "%ld", m->a->domid);
    if (xl1("destroy", dom) != 0) {
        xv_say("xl destroy %s (domain %ld) failed", guest_name(m), m->a->domid);
        return -1;
    }
    return 0;
}

/* The guest's restart, as xl's: the old domain goes (or is kept under
 * another name), a new one is created paused from the config it was
 * created with, its daemons serve it, then it runs. -1 (go on
 * supervising), or the supervisor's exit status: the guest could not come
 * back, or the supervisor was told to stand down meanwhile. */
static int restart_guest(struct monitor *m, bool keep_old)
{
    long old = m->a->domid;
    set_state(m, "rebooting");
    if (m->a->create_argc == 0) {
        xv_say("%s cannot be restarted: its config was not kept (restored from a save "
               "file without one); destroying it", guest_name(m));
        destroy_domain(m);
        return finish(m, 1);
    }
    if (keep_old) {
        char newname[128], dom[24];
        guest_preserved_name(guest_name(m), (int64_t)time(NULL), newname, sizeof(newname));
        snprintf(dom, sizeof(dom), "%ld", old);
        const char *args[] = { "rename", dom, newname, NULL };
        if (launch_xl(NULL, 0, args) != 0) {
            xv_say("xl rename %s %s failed: %s stays as it is, not restarted", guest_name(m),
                   newname, guest_name(m));
            set_state(m, "preserved");
            return -1;
        }
        xv_say("domain %ld kept as %s", old, newname);
    } else if (destroy_domain(m) < 0) {
        return finish(m, 1);
    }
    served_stop_all(&m->sv);
    served_remove(old);
    usleep(RESTART_DELAY_MS * 1000);
    if (told_to_stand_down()) {
        /* xl-vgpu destroy (or a save) took the guest meanwhile. */
        xv_say("supervisor of %s stands down before re-creating it", guest_name(m));
        return 0;
    }
    const char *argv[MONITOR_ARGS_MAX + 1];
    for (unsigned i = 0; i < m->a->create_argc; i++)
        argv[i] = m->a->create_argv[i];
    argv[m->a->create_argc] = NULL;
    if (launch_xl(NULL, 0, argv) != 0) {
        xv_say("re-creating %s failed (xl %s)", guest_name(m), argv[0]);
        return finish(m, 1);
    }
    long domid = launch_domid(guest_name(m));
    if (domid < 0) {
        xv_say("xl re-created no domain named %s", guest_name(m));
        return finish(m, 1);
    }
    m->a->domid = domid;
    m->shutdown_handled = false;
    memset(m->restarts_ms, 0, sizeof(m->restarts_ms));
    if (serve_and_unpause(m, NULL) < 0) {
        xv_say("%s (domain %ld) has no vGPUs: destroying it", guest_name(m), domid);
        destroy_domain(m);
        return finish(m, 1);
    }
    xv_say("%s restarted as domain %ld with its %u vGPU%s", guest_name(m), domid,
           m->a->cfg.count, m->a->cfg.count > 1 ? "s" : "");
    return -1;
}

/* on_<event> for a guest that shut down (or that a daemon death made
 * crash). Returns -1 to go on supervising, else the exit status. */
static int apply_action(struct monitor *m, unsigned reason, bool real_shutdown)
{
    enum guest_action act = guest_action_for(&m->a->cfg.actions, reason);
    const char *key = reason < EVENT_COUNT ? guest_event_key((enum guest_event)reason) : NULL;
    xv_say("%s (domain %ld) %s (%s): %s=%s", guest_name(m), m->a->domid,
           real_shutdown ? "shut down" : "is treated as crashed", guest_event_name(reason),
           key ? key : "unknown reason, as xl", guest_action_name(act));
    if (guest_action_dumps_core(act))
        dump_core(m);
    switch (act) {
    case ACTION_PRESERVE: {
        char dom[24];
        snprintf(dom, sizeof(dom), "%ld", m->a->domid);
        if (!real_shutdown)
            xl1("pause", dom);
        set_state(m, real_shutdown ? "preserved" : "crashed");
        xv_say("%s (domain %ld) left for inspection; `xl-vgpu destroy %s` ends it",
               guest_name(m), m->a->domid, guest_name(m));
        return -1;
    }
    case ACTION_DESTROY:
    case ACTION_COREDUMP_DESTROY:
        destroy_domain(m);
        return finish(m, 0);
    case ACTION_SOFT_RESET:
        xv_say("soft-reset is not done for guests with vGPUs: restarting %s instead",
               guest_name(m));
        /* fall through */
    case ACTION_RESTART:
    case ACTION_COREDUMP_RESTART:
    case ACTION_RENAME_RESTART: {
        return restart_guest(m, act == ACTION_RENAME_RESTART);
    }
    default:
        destroy_domain(m);
        return finish(m, 0);
    }
}

static int on_domain_event(struct monitor *m)
{
    unsigned reason = 0;
    switch (domain_state(m, &reason)) {
    case DOM_GONE:
        xv_say("%s (domain %ld) is gone", guest_name(m), m->a->domid);
        return finish(m, 0);
    case DOM_SHUTDOWN:
        if (reason == EVENT_SUSPEND || m->shutdown_handled)
            return -1; /* a save: whoever saves decides what comes next */
        m->shutdown_handled = true;
        return apply_action(m, reason, true);
    case DOM_RUNNING:
    default:
        m->shutdown_handled = false; /* e.g. resumed after a failed save */
        return -1;
    }
}

static void describe_exit(int status, char *out, size_t cap)
{
    if (WIFSIGNALED(status))
        snprintf(out, cap, "killed by signal %d (%s)%s", WTERMSIG(status),
                 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
    else if (WIFEXITED(status))
        snprintf(out, cap, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(out, cap, "ended (wait status %#x)", (unsigned)status);
}

static int daemon_died(struct monitor *m, unsigned i, int status)
{
    char how[96];
    describe_exit(status, how, sizeof(how));
    m->sv.pid[i] = 0;
    unsigned reason;
    enum dom_state ds = domain_state(m, &reason);
    if (ds != DOM_RUNNING) {
        xv_say("vGPU %u of %s %s as its domain %s", i, guest_name(m), how,
               ds == DOM_GONE ? "went" : "shut down");
        return ds == DOM_GONE ? on_domain_event(m) : -1;
    }
    const struct vgpu_entry *e = &m->a->cfg.entries[i];
    xv_say("vGPU %u of %s (domain %ld) died: xengvtd %s; on_daemon_death=%s", i, guest_name(m),
           m->a->domid, how, daemon_death_name(e->on_daemon_death));
    char tail[512];
    launch_log_tail(m->sv.log[i], tail, sizeof(tail));
    if (tail[0])
        xv_say("its log (%s) ends: %s", m->sv.log[i], tail);
    switch (e->on_daemon_death) {
    case DEATH_RESTART: {
        uint64_t age = m->checkpoint_ms[i] ? now_ms() - m->checkpoint_ms[i] : UINT64_MAX;
        if (age > CHECKPOINT_MAX_AGE_MS) {
            if (age == UINT64_MAX)
                xv_say("no checkpoint of vGPU %u to restart it from", i);
            else
                xv_say("vGPU %u's last checkpoint is %llu s old (at most %d): not restarting "
                       "from it", i, (unsigned long long)(age / 1000), CHECKPOINT_MAX_AGE_MS / 1000);
            break;
        }
        if (!daemon_restart_allowed(m->restarts_ms[i], now_ms())) {
            xv_say("vGPU %u died %d times within %d s: not restarting it again", i,
                   DAEMON_RESTARTS_MAX, DAEMON_RESTART_WINDOW_MS / 1000);
            break;
        }
        char ckpt[200];
        served_checkpoint_path(m->a->domid, i, ckpt, sizeof(ckpt));
        set_state(m, "daemon-restarting");
        if (served_start_one(&m->sv, i, e, ckpt, m->server_id[i]) < 0) {
            xv_say("restarting vGPU %u failed", i);
            break;
        }
        set_state(m, "running");
        xv_say("vGPU %u of %s restarted (pid %d) from its checkpoint of %llu ms ago, "
               "adopting ioreq server %d", i, guest_name(m), (int)m->sv.pid[i],
               (unsigned long long)age, m->server_id[i]);
        return -1;
    }
    case DEATH_PRESERVE: {
        char dom[24];
        snprintf(dom, sizeof(dom), "%ld", m->a->domid);
        xl1("pause", dom);
        set_state(m, "daemon-dead");
        xv_say("%s (domain %ld) paused and left for inspection without vGPU %u; "
               "`xl-vgpu destroy %s` ends it", guest_name(m), m->a->domid, i, guest_name(m));
        return -1;
    }
    case DEATH_CRASH:
    default:
        break;
    }
    /* The other daemons go with the guest's crash handling. */
    return apply_action(m, EVENT_CRASH, false);
}

static int on_children(struct monitor *m)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (unsigned i = 0; i < m->sv.count; i++) {
            if (m->sv.pid[i] != pid)
                continue;
            int rc = daemon_died(m, i, status);
            if (rc >= 0)
                return rc;
        }
    }
    return -1;
}

/* A restart-policy daemon's state, kept where a successor finds it. */
static void take_checkpoints(struct monitor *m)
{
    for (unsigned i = 0; i < m->sv.count; i++) {
        if (m->a->cfg.entries[i].on_daemon_death != DEATH_RESTART || m->sv.pid[i] <= 0)
            continue;
        if (served_checkpoint(&m->sv, i, &m->server_id[i]) == 0)
            m->checkpoint_ms[i] = now_ms();
    }
}

static int open_watches(struct monitor *m)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    m->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    m->xch = xc_interface_open(NULL, NULL, 0);
    m->xs = xs_open(0);
    if (m->sigfd < 0 || !m->xch || !m->xs || !xs_watch(m->xs, "@releaseDomain", "xl-vgpu")) {
        xv_say("cannot follow domains (xenctrl/xenstore): %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int loop(struct monitor *m)
{
    uint64_t next_checkpoint = now_ms() + CHECKPOINT_INTERVAL_MS;
    for (;;) {
        struct pollfd fds[2] = { { .fd = m->sigfd, .events = POLLIN },
                                 { .fd = xs_fileno(m->xs), .events = POLLIN } };
        uint64_t now = now_ms();
        int timeout = next_checkpoint > now ? (int)(next_checkpoint - now) : 0;
        int n = poll(fds, 2, timeout);
        if (n < 0 && errno != EINTR) {
            xv_say("poll: %s", strerror(errno));
            return 1;
        }
        int rc = -1;
        if (n > 0 && (fds[0].revents & POLLIN)) {
            struct signalfd_siginfo si;
            bool children = false;
            while (read(m->sigfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGCHLD) {
                    children = true;
                    continue;
                }
                xv_say("supervisor of %s stands down (signal %u): the guest and its daemons "
                       "go on unsupervised", guest_name(m), si.ssi_signo);
                m->sv.monitor = 0;
                snprintf(m->sv.state, sizeof(m->sv.state), "unsupervised");
                served_write(&m->sv);
                return 0;
            }
            if (children)
                rc = on_children(m);
        }
        if (rc < 0 && n > 0 && (fds[1].revents & POLLIN)) {
            /* One event per readiness: libxenstore's xs_read_watch blocks
             * when none is queued (more make the fd readable again). */
            unsigned num;
            free(xs_read_watch(m->xs, &num));
            rc = on_domain_event(m);
        }
        if (rc >= 0)
            return rc;
        if (now_ms() >= next_checkpoint) {
            take_checkpoints(m);
            next_checkpoint = now_ms() + CHECKPOINT_INTERVAL_MS;
        }
    }
}

int monitor_run(struct monitor_args *a)
{
    struct monitor m = { .a = a, .sigfd = -1 };
    char cfg[300], args[300];
    struct stat st;
    files_of_guest(&m, cfg, args, sizeof(cfg));
    if (a->create_argc && stat(cfg, &st) == 0)
        m.cfg_ino = st.st_ino;
    if (a->create_argc && stat(args, &st) == 0)
        m.args_ino = st.st_ino;
    for (unsigned i = 0; i < VGPU_CFG_MAX; i++)
        m.server_id[i] = -1;
    if (open_watches(&m) < 0) {
        write_ready(&m, 1);
        char dom[24];
        snprintf(dom, sizeof(dom), "%ld", a->domid);
        xl1("destroy", dom);
        return 1;
    }
    xv_say("supervising %s (domain %ld, %u vGPU%s; on_poweroff=%s on_reboot=%s on_crash=%s "
           "on_watchdog=%s)", a->cfg.name, a->domid, a->cfg.count, a->cfg.count > 1 ? "s" : "",
           guest_action_name(a->cfg.actions.on[EVENT_POWEROFF]),
           guest_action_name(a->cfg.actions.on[EVENT_REBOOT]),
           guest_action_name(a->cfg.actions.on[EVENT_CRASH]),
           guest_action_name(a->cfg.actions.on[EVENT_WATCHDOG]));
    if (serve_and_unpause(&m, a->restore) < 0) {
        xv_say("destroying %s (domain %ld)", a->cfg.name, a->domid);
        destroy_domain(&m);
        served_remove(a->domid);
        write_ready(&m, 1);
        return 1;
    }
    write_ready(&m, 0);
    int rc = loop(&m);
    if (m.xs)
        xs_close(m.xs);
    if (m.xch)
        xc_interface_close(m.xch);
    return rc;
}

int monitor_spawn(struct monitor_args *a)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    const char *dir = getenv("XENGVT_LOG_DIR");
    if (!dir || dir[0] != '/')
        dir = "/var/log/xen";
    char log[300];
    snprintf(log, sizeof(log), "%s/xl-vgpu-%s.log", dir, a->cfg.name);
    /* Where the log stands now: what the supervisor says from here on is
     * shown to our caller if it fails. */
    struct stat st;
    off_t log_start = stat(log, &st) == 0 ? st.st_size : 0;
    fflush(stderr);
    pid_t child = fork();
    if (child < 0)
        return -1;
    if (child == 0) {
        close(p[0]);
        setsid();
        pid_t grandchild = fork();
        if (grandchild != 0)
            _exit(grandchild < 0);
        /* Detached: no terminal, no caller to wait for it. */
        mkdir(dir, 0755);
        int null = open("/dev/null", O_RDWR);
        int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        if (lfd >= 0)
            dup2(lfd, 2);
        if (chdir("/") < 0)
            _exit(1);
        xv_log_to_syslog("xl-vgpu");
        a->ready_fd = p[1];
        _exit(monitor_run(a));
    }
    close(p[1]);
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    char word = 1;
    ssize_t r;
    while ((r = read(p[0], &word, 1)) < 0 && errno == EINTR)
        ;
    close(p[0]);
    if (r != 1 || word != 0) {
        FILE *f = fopen(log, "r");
        char line[1024];
        if (f && fseeko(f, log_start, SEEK_SET) == 0)
            while (fgets(line, sizeof(line), f))
                fputs(line, stderr);
        if (f)
            fclose(f);
        xv_say("the guest's supervisor failed (its log: %s)", log);
        return -1;
    }
    return 0;
}

void monitor_stand_down(pid_t monitor)
{
    if (monitor <= 0 || kill(monitor, SIGTERM) < 0)
        return;
    for (int i = 0; i < 250 && kill(monitor, 0) == 0; i++)
        usleep(20 * 1000);
}
