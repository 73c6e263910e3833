/* xengvt's device-model wrapper: what libxl runs as a guest's device model
 * when its xl.cfg says
 *     device_model_override = "/usr/libexec/xengvt/qemu-dm"
 *     device_model_args_hvm = [ "-vgpu", "type=GVTg_V5_4" ]
 * so that stock xl (and libvirt's libxl driver) gives the guest its vGPUs.
 *
 * It takes its `-vgpu SPEC` pairs out of QEMU's arguments, starts one
 * xengvtd per vGPU for the domain and waits until each serves, then execs
 * the real QEMU (same pid: libxl's record and its kill of the device model
 * stay right) with every other argument as libxl wrote it -- but for
 * libxl's QMP socket, which a helper process keeps: it passes libxl's
 * monitor traffic through to QEMU and adds the vGPUs' state to the device
 * state libxl saves (qmp_proxy.h, dmstate.h). On restore (`-incoming
 * fd:N`) the vGPUs' state is taken out of that file first: the daemons
 * start from it, and QEMU reads its own bytes on the same fd number.
 *
 * The helper is the daemons' parent and QEMU's child in spirit: it dies
 * with QEMU (PR_SET_PDEATHSIG), and then stops the daemons and removes
 * their sockets and records. Without -vgpu the wrapper is only an exec. */
#define _GNU_SOURCE 1 /* memfd_create */
#include "config.h"
#include "dm_args.h"
#include "dm_slots.h"
#include "dmstate.h"
#include "tools/common/ctl_client.h"
#include "tools/common/launch.h"
#include "tools/common/lifecycle.h"
#include "qmp_proxy.h"
#include "tools/common/reply.h"
#include "tools/common/vgpu_sections.h"
#include "tools/common/served.h"
#include "tools/common/xvlog.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xendevicemodel.h>
#include <xen/sched.h> /* SHUTDOWN_crash */

#ifndef XENGVT_XEN_QEMU
#define XENGVT_XEN_QEMU "/usr/libexec/xen-qemu-system-i386"
#endif

#define say xv_say

/* What the helper keeps between libxl's requests. */
struct helper {
    struct dm_args *a;
    struct served sv;
    char qemu_sock[SERVED_PATH_MAX]; /* QEMU's side of the QMP proxy */
    char libxl_sock[DM_QMP_PATH_MAX];/* libxl's path, if we made it (path= form) */
    struct stat libxl_st;
    int sig_fd;
    /* on_daemon_death=restart, as xl-vgpu's supervisor (monitor.c) does
     * it: a checkpoint every CHECKPOINT_INTERVAL_MS, kept in a file. */
    uint64_t checkpoint_ms[VGPU_CFG_MAX]; /* 0: none yet */
    int server_id[VGPU_CFG_MAX];          /* what a successor adopts */
    uint64_t restarts_ms[VGPU_CFG_MAX][DAEMON_RESTARTS_MAX];
    bool dirty_log; /* libxl's last xen-set-global-dirty-log: a successor gets it too */
    bool dirty_log_broken; /* a successor would not take it: this migration must fail */
};

static const char *real_qemu(void)
{
    const char *q = getenv("XENGVT_QEMU");
    return q && q[0] ? q : XENGVT_XEN_QEMU;
}

static void exec_qemu(const struct dm_args *a)
{
    const char *argv[DM_ARGS_MAX + 2];
    const char *qemu = real_qemu();
    argv[0] = qemu;
    for (unsigned i = 0; i <= a->argc; i++)
        argv[i + 1] = a->argv[i];
    execv(qemu, (char *const *)argv);
    say("cannot run QEMU %s: %s", qemu, strerror(errno));
    exit(127);
}

static int listen_unix(const char *path, int flags)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(addr.sun_path))
        return -ENAMETOOLONG;
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | flags, 0);
    if (fd < 0)
        return -errno;
    unlink(path); /* a dead predecessor's, as libxl and QEMU do */
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 8) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* --- restore: the vGPUs' state out of libxl's device-state file ---------- */

/* Splits -incoming fd:N: QEMU's bytes on the same fd number, each vGPU's
 * state into a file for `xengvtd --restore`. 0, or -1 said. */
static int take_incoming(const struct dm_args *a, char files[][200])
{
    if (a->incoming_fd < 0) {
        say("-incoming %s: refused: the vGPUs' state can only be restored from libxl's "
            "-incoming fd:N; the guest is not restored", a->incoming);
        return -1;
    }
    int qfd = memfd_create("qemu-device-state", 0);
    if (qfd < 0) {
        say("cannot restore: memfd: %s", strerror(errno));
        return -1;
    }
    struct savefile sf;
    const char *why = "?";
    int rc = dmstate_split(a->incoming_fd, qfd, &sf, &why);
    if (rc < 0) {
        say("the saved device state (-incoming %s) is refused: %s; the guest is not restored",
            a->incoming, why);
        close(qfd);
        return -1;
    }
    char why_vgpu[200];
    int saved_count = vgpu_sections_count(&sf, why_vgpu, sizeof(why_vgpu));
    if (saved_count < 0) {
        say("the saved device state is refused: %s; the guest is not restored", why_vgpu);
        rc = -1;
    } else if ((unsigned)saved_count != a->vgpu_count) {
        say("the saved device state has %d vGPU%s, this guest's -vgpu arguments %u; the guest "
            "is not restored", saved_count, saved_count == 1 ? "" : "s", a->vgpu_count);
        rc = -1;
    }
    for (unsigned i = 0; i < a->vgpu_count; i++)
        snprintf(files[i], 200, "%s/dom%ld-%u.restore", launch_run_dir(), a->domid, i);
    for (unsigned i = 0; rc == 0 && i < a->vgpu_count; i++) {
        if (vgpu_sections_stage(&sf, i, files[i], why_vgpu, sizeof(why_vgpu)) < 0) {
            say("%s; the guest is not restored", why_vgpu);
            rc = -1;
        }
    }
    savefile_free(&sf);
    /* QEMU reads the -incoming fd from where it stands: the start. */
    if (rc == 0 && (dup2(qfd, a->incoming_fd) < 0 || lseek(a->incoming_fd, 0, SEEK_SET) != 0)) {
        say("cannot hand QEMU its device state: %s", strerror(errno));
        rc = -1;
    }
    close(qfd);
    if (rc < 0)
        for (unsigned i = 0; i < a->vgpu_count; i++)
            unlink(files[i]);
    return rc;
}

/* A guest without -vgpu restored from a state with vGPUs: QEMU would only
 * say "Unknown savevm section"; say what it means. */
static void refuse_stray_vgpu_state(const struct dm_args *a)
{
    if (a->incoming_fd < 0)
        return;
    struct savefile sf;
    const char *why;
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    int rc = dmstate_split(a->incoming_fd, devnull, &sf, &why);
    if (devnull >= 0)
        close(devnull);
    lseek(a->incoming_fd, 0, SEEK_SET);
    if (rc == -ENOENT)
        return;
    if (rc == 0)
        savefile_free(&sf);
    say("the saved device state carries vGPU state but the guest's device_model_args_hvm "
        "has no -vgpu: restore it with its vGPU configuration");
    exit(1);
}

/* --- the helper: the daemons' keeper and libxl's QMP socket ------------- */

static int save_vgpus(void *opaque, int fd, char *msg, size_t cap)
{
    struct helper *hp = opaque;
    struct savefile sf = { 0 };
    if (hp->dirty_log_broken) {
        snprintf(msg, cap, "a vGPU daemon restarted during the migration without its dirty "
                           "log: pages it wrote may be stale at the destination");
        return -1;
    }
    const char *socks[VGPU_CFG_MAX], *specs[VGPU_CFG_MAX];
    for (unsigned i = 0; i < hp->sv.count; i++) {
        socks[i] = hp->sv.sock[i];
        specs[i] = hp->sv.spec[i];
    }
    int rc = vgpu_sections_save(&sf, hp->sv.count, socks, specs, msg, cap);
    const char *why = "?";
    if (rc == 0 && dmstate_insert(fd, &sf, &why) < 0) {
        snprintf(msg, cap, "the vGPU state could not join QEMU's: %s", why);
        rc = -1;
    }
    savefile_free(&sf);
    if (rc == 0)
        say("the vGPU state joined the device state libxl saves");
    return rc;
}

static void resume_vgpus(void *opaque)
{
    struct helper *hp = opaque;
    served_control_all(&hp->sv, "resume");
}

/* libxl waits 10 s for QEMU's answer to xen-set-global-dirty-log
 * (libxl_dom_save.c:220-221); the vGPUs share most of that. */
#define DIRTY_LOG_BUDGET_MS 8000

static int tell_dirty_log(const char *sock, bool enable, int timeout_ms, char *line, size_t cap)
{
    struct daemon_reply reply;
    int rc = ctl_request(sock, enable ? "{\"cmd\":\"dirty-log\",\"enable\":true}"
                                      : "{\"cmd\":\"dirty-log\",\"enable\":false}",
                         timeout_ms, 0, line, cap, &reply, NULL, NULL);
    return rc < 0 ? rc : reply.ok ? 0 : -EPROTO;
}

/* Every vGPU reports the guest pages it writes while libxl copies the
 * guest's memory (dirtylog.h in the daemon). All or none: a vGPU that
 * cannot be told to start fails the migration, and the others are told to
 * stop again (libxl will not: its cleanup switches off only what it saw
 * switched on, xg_sr_save_x86_hvm.c:219). */
static int dirty_log_vgpus(void *opaque, bool enable, char *msg, size_t cap)
{
    struct helper *hp = opaque;
    int each = DIRTY_LOG_BUDGET_MS / (int)(hp->sv.count ? hp->sv.count : 1);
    int rc = 0;
    for (unsigned i = 0; i < hp->sv.count; i++) {
        char line[512];
        int r = hp->sv.pid[i] ? tell_dirty_log(hp->sv.sock[i], enable, each, line, sizeof(line))
                              : -ESRCH;
        if (r == 0)
            continue;
        if (rc == 0)
            snprintf(msg, cap, "vGPU %u's daemon could not %s its dirty log: %.300s", i,
                     enable ? "start" : "stop", r == -ESRCH ? "it is not running"
                                                : r == -EPROTO ? line : strerror(-r));
        rc = -1;
        if (!enable)
            continue; /* stop the others all the same */
        for (unsigned j = 0; j < i; j++)
            (void)tell_dirty_log(hp->sv.sock[j], false, each, line, sizeof(line));
        break;
    }
    if (rc == 0)
        say("the vGPUs' dirty log is %s", enable ? "on: a migration copies guest memory"
                                                 : "off");
    hp->dirty_log = enable && rc == 0;
    hp->dirty_log_broken = false; /* a new migration, or none */
    return rc;
}

static void take_checkpoints(struct helper *hp)
{
    for (unsigned i = 0; i < hp->sv.count; i++)
        if (hp->a->vgpu[i].on_daemon_death == DEATH_RESTART && hp->sv.pid[i] > 0 &&
            served_checkpoint(&hp->sv, i, &hp->server_id[i]) == 0)
            hp->checkpoint_ms[i] = reply_now_ms();
}

/* The guest treated as crashed: Xen marks it so (what QEMU does on a fatal
 * error, XEN_DMOP_remote_shutdown), and xl's monitor -- the `xl create`
 * that waits on every domain it made -- applies its on_crash. */
static void crash_guest(struct helper *hp)
{
    xendevicemodel_handle *dm = xendevicemodel_open(NULL, 0);
    if (!dm || xendevicemodel_shutdown(dm, (domid_t)hp->a->domid, SHUTDOWN_crash) < 0)
        say("the guest could not be marked crashed: %s", strerror(errno));
    else
        say("domain %ld marked crashed: its on_crash applies", hp->a->domid);
    if (dm)
        xendevicemodel_close(dm);
}

/* A new daemon from the last checkpoint (at most CHECKPOINT_MAX_AGE_MS old),
 * adopting the dead one's ioreq server and answering the access a vCPU
 * waits on; at most DAEMON_RESTARTS_MAX within DAEMON_RESTART_WINDOW_MS. */
static bool restart_daemon(struct helper *hp, unsigned i)
{
    uint64_t now = reply_now_ms();
    uint64_t age = hp->checkpoint_ms[i] ? now - hp->checkpoint_ms[i] : UINT64_MAX;
    if (age > CHECKPOINT_MAX_AGE_MS) {
        if (age == UINT64_MAX)
            say("no checkpoint of vGPU %u to restart it from", i);
        else
            say("vGPU %u's last checkpoint is %llu s old (at most %d): not restarting from it",
                i, (unsigned long long)(age / 1000), CHECKPOINT_MAX_AGE_MS / 1000);
        return false;
    }
    if (!daemon_restart_allowed(hp->restarts_ms[i], now)) {
        say("vGPU %u died %d times within %d s: not restarting it again", i,
            DAEMON_RESTARTS_MAX, DAEMON_RESTART_WINDOW_MS / 1000);
        return false;
    }
    char ckpt[200];
    served_checkpoint_path(hp->a->domid, i, ckpt, sizeof(ckpt));
    if (served_start_one(&hp->sv, i, &hp->a->vgpu[i], ckpt, hp->server_id[i]) < 0) {
        hp->sv.pid[i] = 0;
        say("restarting vGPU %u failed", i);
        return false;
    }
    if (served_write(&hp->sv) < 0)
        say("warning: the record of domain %ld's vGPUs is stale", hp->a->domid);
    char line[512];
    if (hp->dirty_log && tell_dirty_log(hp->sv.sock[i], true, 2000, line, sizeof(line)) < 0) {
        /* Its pages would go unreported: the migration under way must not
         * complete (its save fails), the guest runs on here. */
        say("vGPU %u's successor would not take the dirty log: %s", i, line);
        hp->dirty_log_broken = true;
    }
    say("vGPU %u restarted (pid %d) from its checkpoint of %llu ms ago, adopting ioreq "
        "server %d", i, (int)hp->sv.pid[i], (unsigned long long)age, hp->server_id[i]);
    return true;
}

/* A daemon ended. One that exits 0 was told to (SIGTERM) or saw its domain
 * go: nothing to do. Otherwise its vGPU's on_daemon_death, as xl-vgpu's
 * supervisor applies it (xl-vgpu(8)): restart, else (or if that fails)
 * crash -- the guest's on_crash -- or preserve: paused for inspection. */
static void daemon_ended(struct helper *hp, unsigned i, int status)
{
    enum daemon_death_policy policy = hp->a->vgpu[i].on_daemon_death;
    say("vGPU %u's xengvtd (pid %d) ended (%s %d)", i, (int)hp->sv.pid[i],
        WIFEXITED(status) ? "status" : "signal",
        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    hp->sv.pid[i] = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return;
    say("on_daemon_death=%s", daemon_death_name(policy));
    if (policy == DEATH_RESTART && restart_daemon(hp, i))
        return;
    if (policy == DEATH_PRESERVE) {
        char dom[24];
        snprintf(dom, sizeof(dom), "%ld", hp->a->domid);
        if (xl1("pause", dom) == 0)
            say("domain %ld paused and left for inspection without vGPU %u", hp->a->domid, i);
        return;
    }
    crash_guest(hp);
}

/* A signal: SIGTERM (QEMU is gone: PR_SET_PDEATHSIG), SIGINT, SIGCHLD (a
 * daemon ended) or SIGALRM (time for checkpoints). */
static bool helper_wake(void *opaque)
{
    struct helper *hp = opaque;
    struct signalfd_siginfo si;
    if (read(hp->sig_fd, &si, sizeof(si)) != sizeof(si))
        return false;
    if (si.ssi_signo == SIGALRM) {
        take_checkpoints(hp);
        return false;
    }
    if (si.ssi_signo != SIGCHLD)
        return true;
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (unsigned i = 0; i < hp->sv.count; i++)
            if (pid == hp->sv.pid[i])
                daemon_ended(hp, i, status);
    return false;
}

static void helper_cleanup(struct helper *hp)
{
    served_stop_all(&hp->sv);
    served_remove(hp->a->domid);
    unlink(hp->qemu_sock);
    /* libxl's path only while it is still the socket we made. */
    struct stat st;
    if (hp->libxl_sock[0] && stat(hp->libxl_sock, &st) == 0 && st.st_ino == hp->libxl_st.st_ino &&
        st.st_dev == hp->libxl_st.st_dev)
        unlink(hp->libxl_sock);
}

static void helper_main(struct helper *hp, pid_t qemu_pid, int libxl_fd, int ready_fd,
                        char restore[][200])
{
    /* QEMU's end is ours: the helper goes with it, whatever kills it. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGALRM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    hp->sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
    signal(SIGPIPE, SIG_IGN);
    if (getppid() != qemu_pid || hp->sig_fd < 0)
        _exit(1);
    struct dm_args *a = hp->a;
    hp->sv.log_to_stderr = true;
    int rc = served_start(a->domid, a->name ? a->name : "", a->vgpu, a->vgpu_count,
                          a->incoming ? restore : NULL, &hp->sv);
    for (unsigned i = 0; a->incoming && i < a->vgpu_count; i++)
        unlink(restore[i]); /* read by now, or never to be */
    if (rc < 0) {
        helper_cleanup(hp);
        (void)!write(ready_fd, "F", 1);
        _exit(1);
    }
    if (write(ready_fd, "R", 1) != 1) {
        helper_cleanup(hp);
        _exit(1);
    }
    close(ready_fd);
    say("%u vGPU%s of domain %ld served; QEMU runs as pid %d", a->vgpu_count,
        a->vgpu_count > 1 ? "s" : "", a->domid, (int)qemu_pid);
    bool checkpoints = false;
    for (unsigned i = 0; i < a->vgpu_count; i++) {
        hp->server_id[i] = -1;
        checkpoints |= a->vgpu[i].on_daemon_death == DEATH_RESTART;
    }
    if (checkpoints) {
        struct itimerval it = { .it_interval = { .tv_sec = CHECKPOINT_INTERVAL_MS / 1000,
                                                 .tv_usec = CHECKPOINT_INTERVAL_MS % 1000 * 1000 },
                                .it_value = { .tv_usec = 1000 } }; /* the first one now */
        setitimer(ITIMER_REAL, &it, NULL);
    }
    struct qmp_hooks hooks = { .saved = save_vgpus, .cont = resume_vgpus,
                               .dirty_log = dirty_log_vgpus, .wake = helper_wake,
                               .opaque = hp };
    rc = qmp_proxy_run(libxl_fd, hp->qemu_sock, hp->sig_fd, &hooks);
    if (rc < 0)
        say("libxl's QMP socket failed: %s", strerror(-rc));
    helper_cleanup(hp);
    _exit(0);
}

int main(int argc, char **argv)
{
    xv_set_ident("xengvt qemu-dm");
    struct dm_args *a = calloc(1, sizeof(*a));
    char err[VGPU_CFG_ERR_MAX + 64];
    if (!a) {
        say("out of memory");
        return 1;
    }
    if (dm_args_parse(argc, argv, a, err, sizeof(err)) < 0) {
        say("%s", err);
        return 1;
    }
    if (a->vgpu_count == 0) {
        refuse_stray_vgpu_state(a);
        exec_qemu(a);
    }
    if (a->domid < 0) {
        say("no -xen-domid among the arguments: not run by libxl for a guest?");
        return 1;
    }
    if (a->qmp_index < 0) {
        say("no QMP socket (-chardev socket,id=libxl-cmd,...) among the arguments: the "
            "vGPU state could not be saved with the guest");
        return 1;
    }
    /* QEMU's own devices off the vGPUs' slots (dm_slots.h). */
    static struct dm_slots slots;
    if (dm_slots_apply(a, &slots, err, sizeof(err)) < 0) {
        say("domain %ld: %s; no device model runs", a->domid, err);
        return 1;
    }
    for (unsigned i = 0; i < slots.n_notes; i++)
        say("%s", slots.notes[i]);
    struct helper hp = { .a = a, .sig_fd = -1 };
    mkdir(launch_run_dir(), 0700);
    char restore[VGPU_CFG_MAX][200] = { { 0 } };
    if (a->incoming && take_incoming(a, restore) < 0)
        return 1;

    /* QEMU's monitor moves to a socket only the helper reaches; libxl's
     * socket is the helper's. With libxl's pre-opened listener (fd=N,
     * dm_restrict) QEMU's arguments stay as they are: fd N becomes ours.
     * With path=P, QEMU is given fd=N of ours instead. */
    snprintf(hp.qemu_sock, sizeof(hp.qemu_sock), "%s/dom%ld.qmp", launch_run_dir(), a->domid);
    char qmp_arg[512];
    int qemu_fd = listen_unix(hp.qemu_sock, 0);
    int libxl_fd = -1;
    if (qemu_fd < 0) {
        say("%s: %s", hp.qemu_sock, strerror(-qemu_fd));
    } else if (a->qmp_fd >= 0) {
        libxl_fd = fcntl(a->qmp_fd, F_DUPFD_CLOEXEC, 3);
        if (libxl_fd < 0 || dup2(qemu_fd, a->qmp_fd) < 0) {
            say("libxl's QMP socket (fd %d): %s", a->qmp_fd, strerror(errno));
            libxl_fd = -1;
        }
        close(qemu_fd);
        qemu_fd = a->qmp_fd;
    } else {
        libxl_fd = listen_unix(a->qmp_path, SOCK_CLOEXEC);
        if (libxl_fd < 0 || stat(a->qmp_path, &hp.libxl_st) < 0) {
            say("libxl's QMP socket %s: %s", a->qmp_path, strerror(libxl_fd < 0 ? -libxl_fd : errno));
            libxl_fd = -1;
        } else {
            snprintf(hp.libxl_sock, sizeof(hp.libxl_sock), "%s", a->qmp_path);
        }
        if (dm_args_set_qmp_fd(a, qemu_fd, qmp_arg, sizeof(qmp_arg)) < 0) {
            say("cannot rewrite libxl's QMP socket argument");
            libxl_fd = -1;
        }
    }
    int ready[2];
    if (libxl_fd < 0 || pipe2(ready, O_CLOEXEC) < 0) {
        unlink(hp.qemu_sock);
        for (unsigned i = 0; i < a->vgpu_count; i++)
            unlink(restore[i]);
        return 1;
    }
    pid_t self = getpid();
    pid_t helper = fork();
    if (helper < 0) {
        say("fork: %s", strerror(errno));
        return 1;
    }
    if (helper == 0) {
        close(ready[0]);
        close(qemu_fd);
        if (a->incoming_fd >= 0)
            close(a->incoming_fd);
        helper_main(&hp, self, libxl_fd, ready[1], restore);
    }
    close(ready[1]);
    close(libxl_fd);
    char word = 0;
    while (read(ready[0], &word, 1) < 0 && errno == EINTR)
        ;
    if (word != 'R') {
        /* The helper said why and removed what it made; it is gone
         * before the device model is, so nothing outlives the failure. */
        while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
            ;
        say("domain %ld: the vGPU could not be started; no device model runs", a->domid);
        return 1;
    }
    close(ready[0]);
    exec_qemu(a);
}
