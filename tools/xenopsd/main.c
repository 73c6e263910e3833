/* xengvt-vgpu: xenopsd's vGPU helper, serving xengvt vGPUs. xenopsd starts
 * it with the arguments of its NVIDIA helper, keeps its pid, reads its
 * state from xenstore, stops it with SIGTERM (SIGKILL after 10 s);
 * emu-manager saves and restores its state over the EMP socket. It runs
 * one xengvtd per --device and stays in the foreground. See
 * xengvt-vgpu(8). */
#include "config.h"
#include "args.h"
#include "emp.h"
#include "fleet.h"
#include "gvtg_whitelist.h"
#include "resolve.h"
#include "xs_publish.h"
#include "common/files.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
"Usage: xengvt-vgpu --domain=<domid> --vcpus=<n> --suspend=<file>\n"
"                   --device=<pci>,<type>,<vpci>,<uuid>[,<key>=<value>...] ...\n"
"                   [--noconsole] [--resume] [--type-list=<file>]\n"
"       xengvt-vgpu --help | --version\n"
"\n"
"xenopsd's vGPU helper for Intel GVT-g vGPUs served by xengvtd: one xengvtd\n"
"per --device (the vpci is the guest's PCI address), state in xenstore under\n"
"/local/domain/<domid>/vgpu, save and restore over the EMP socket\n"
"$XENGVT_EMP_DIR/<domid>/control (default /var/xen/vgpu). <type> is an\n"
"xengvt type (GVTg_V5_8, GVTg_V5_4, GVTg_V5_2, GVTg_V5_1) or a name or\n"
"type_id from the GVT-g type list (--type-list, $XENGVT_GVTG_WHITELIST,\n"
"/etc/gvt-g-whitelist). Keys: resolution, aperture, aperture_ram, vnc, edid,\n"
"kms, io_bar, device_id, log_level. Exit: 0 stopped, 1 failure, 2 usage.\n"
"See xengvt-vgpu(8).\n";

struct xv {
    struct xv_args a;
    struct vgpu_entry entries[VGPU_CFG_MAX];
    struct xv_xs *xs;
    struct xv_fleet fleet;
    struct emp emp;
    int stream_fd;
    sigset_t stop;
};

enum { EXIT_STOPPED = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* The end, clean (keys removed) or failed (error-code and state=error
 * stay for xenopsd to read; only vgpu-pid goes). Never returns. */
static void finish(struct xv *x, int code, int status)
{
    if (x->fleet.count)
        fleet_stop(&x->fleet);
    fleet_unstage(&x->fleet);
    if (x->stream_fd >= 0)
        close(x->stream_fd);
    emp_close(&x->emp);
    if (x->xs && code) {
        xv_xs_error(x->xs, code);
        log_error("failed (error-code %d), exiting with status %d", code, status);
        /* xenopsd reads error-code on state=error: keep both. */
        xv_xs_close_pid_only(x->xs);
    } else if (x->xs) {
        xv_xs_close(x->xs);
        log_info("stopped");
    }
    exit(status);
}

/* --- save and restore ---------------------------------------------------- */

/* The --suspend file, written whole or not at all. */
static int write_suspend_file(const struct xv *x, const struct savefile *sf)
{
    struct file_atomic out;
    int rc = file_atomic_open(&out, x->a.suspend, 0600);
    if (rc < 0)
        return rc;
    rc = savefile_write(out.fd, sf);
    if (rc < 0) {
        file_atomic_abort(&out);
        return rc;
    }
    return file_atomic_commit(&out);
}

static void save_to_stream(struct xv *x)
{
    if (x->stream_fd < 0) {
        emp_error(&x->emp, "no stream: migrate_init with a descriptor first");
        return;
    }
    if (!fleet_running(&x->fleet)) {
        emp_error(&x->emp, "no vGPU is running to save");
        return;
    }
    struct savefile sf;
    if (fleet_save(&x->fleet, &sf) < 0) {
        emp_error(&x->emp, "a vGPU would not save its state");
        return;
    }
    /* The stream is what emu-manager and xenopsd carry; the file is a
     * local copy for a --resume on this host. */
    if (savefile_write(x->stream_fd, &sf) < 0) {
        fleet_save_free(&sf);
        emp_error(&x->emp, "writing the state to the stream failed");
        return;
    }
    int rc = write_suspend_file(x, &sf);
    if (rc < 0)
        log_warn("cannot write %s: %s (the stream has the state)", x->a.suspend,
                 strerror(-rc));
    fleet_save_free(&sf);
    close(x->stream_fd);
    x->stream_fd = -1;
    log_info("state saved for %u vGPU%s; the vGPUs stay paused until migrate_abort",
             x->fleet.count, x->fleet.count == 1 ? "" : "s");
    emp_return(&x->emp);
    emp_event_completed(&x->emp);
}

/* Daemons from a saved container: stage, start, serve. 0 or an xv_error. */
static int start_from(struct xv *x, const struct savefile *sf)
{
    char why[256];
    if (fleet_stage(&x->fleet, sf, why, sizeof(why)) < 0) {
        log_error("saved state refused: %s", why);
        return XV_ERR_STATE;
    }
    int rc = fleet_start(&x->fleet, &x->stop);
    fleet_unstage(&x->fleet);
    if (rc == -EINTR)
        finish(x, 0, EXIT_STOPPED);
    return rc < 0 ? XV_ERR_DAEMON : 0;
}

static void restore_from_stream(struct xv *x)
{
    if (x->stream_fd < 0) {
        emp_error(&x->emp, "no stream: migrate_init with a descriptor first");
        return;
    }
    /* A socket stream that stalls must not hold us forever (a pipe or a
     * file cannot be given a timeout; a file does not stall). */
    struct timeval tv = { .tv_sec = 60 };
    setsockopt(x->stream_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct savefile sf;
    const char *why = "";
    int code;
    if (savefile_read_stream(x->stream_fd, &sf, &why) < 0) {
        log_error("state from the stream refused: %s", why);
        code = XV_ERR_STATE;
    } else {
        /* Started from a --suspend file already: the stream's state is the
         * one emu-manager means; the guest is paused while it restores. */
        if (fleet_running(&x->fleet))
            fleet_stop(&x->fleet);
        code = start_from(x, &sf);
        savefile_free(&sf);
    }
    close(x->stream_fd);
    x->stream_fd = -1;
    if (code) {
        emp_error(&x->emp, "restore failed (error-code %d)", code);
        finish(x, code, EXIT_FAILED);
    }
    xv_xs_state(x->xs, "running");
    emp_return(&x->emp);
    emp_event_completed(&x->emp);
}

/* --resume: from the --suspend file if there is one, else from the EMP
 * restore that emu-manager will send. */
static void resume_from_file(struct xv *x)
{
    int fd = open(x->a.suspend, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        log_info("%s: %s: waiting for the state over EMP (restore)", x->a.suspend,
                 strerror(errno));
        return;
    }
    struct savefile sf;
    const char *why = "";
    int rc = savefile_read(fd, NULL, &sf, &why);
    close(fd);
    if (rc < 0) {
        log_error("%s refused: %s", x->a.suspend, why);
        finish(x, XV_ERR_STATE, EXIT_FAILED);
    }
    int code = start_from(x, &sf);
    savefile_free(&sf);
    if (code)
        finish(x, code, EXIT_FAILED);
    /* Used: a later domain with this domid must not resume from it. */
    unlink(x->a.suspend);
    xv_xs_state(x->xs, "running");
}

/* --- EMP commands -------------------------------------------------------- */

static void handle(struct xv *x, const char *cmd)
{
    log_info("EMP: %s", cmd[0] ? cmd : "(no execute)");
    if (strcmp(cmd, "migrate_init") == 0) {
        int fd = emp_take_fd(&x->emp);
        if (fd < 0) {
            emp_error(&x->emp, "migrate_init needs the stream as a descriptor (SCM_RIGHTS)");
            return;
        }
        if (x->stream_fd >= 0)
            close(x->stream_fd);
        x->stream_fd = fd;
        emp_return(&x->emp);
    } else if (strcmp(cmd, "set_args") == 0 || strcmp(cmd, "track_dirty") == 0 ||
               strcmp(cmd, "migrate_progress") == 0) {
        /* Nothing to track: the vGPU's memory is guest RAM, which
         * xenguest's stream carries with its dirty pages. */
        emp_return(&x->emp);
    } else if (strcmp(cmd, "migrate_live") == 0) {
        /* No pre-copy: the state is small and taken at migrate_paused. */
        emp_return(&x->emp);
        emp_event_progress(&x->emp, 0, 0, 0);
    } else if (strcmp(cmd, "migrate_pause") == 0) {
        if (!fleet_running(&x->fleet))
            emp_error(&x->emp, "no vGPU is running");
        else if (fleet_control(&x->fleet, "pause") < 0)
            emp_error(&x->emp, "a vGPU would not pause");
        else
            emp_return(&x->emp);
    } else if (strcmp(cmd, "migrate_paused") == 0 || strcmp(cmd, "migrate_nonlive") == 0) {
        save_to_stream(x);
    } else if (strcmp(cmd, "migrate_abort") == 0) {
        if (x->stream_fd >= 0)
            close(x->stream_fd);
        x->stream_fd = -1;
        if (fleet_running(&x->fleet) && fleet_control(&x->fleet, "resume") < 0)
            emp_error(&x->emp, "a vGPU would not resume");
        else
            emp_return(&x->emp);
    } else if (strcmp(cmd, "restore") == 0) {
        restore_from_stream(x);
    } else if (strcmp(cmd, "quit") == 0) {
        emp_return(&x->emp);
        finish(x, 0, EXIT_STOPPED);
    } else {
        emp_error(&x->emp, "unknown command '%.32s'", cmd);
    }
}

/* --- main ---------------------------------------------------------------- */

static void on_signal(struct xv *x, int sfd)
{
    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
            log_info("signal %u: stopping", si.ssi_signo);
            finish(x, 0, EXIT_STOPPED);
        }
    }
    unsigned i;
    int status;
    while (fleet_reap(&x->fleet, &i, &status) == 1) {
        /* xengvtd ends by itself with 0 when its domain is gone: so do we.
         * Any other end is a failure xenopsd must hear of. */
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            log_info("vGPU %u: xengvtd ended (the domain is gone)", i);
            finish(x, 0, EXIT_STOPPED);
        }
        log_error("vGPU %u: xengvtd died (%s %d)", i,
                  WIFEXITED(status) ? "status" : "signal",
                  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        finish(x, XV_ERR_DIED, EXIT_FAILED);
    }
}

int main(int argc, char **argv)
{
    static struct xv x; /* big (entries, buffers): not on the stack */
    x.stream_fd = -1;
    x.emp.listen_fd = x.emp.client_fd = x.emp.pending_fd = -1;
    log_set_prefix("xengvt-vgpu");
    setvbuf(stderr, NULL, _IOLBF, 0); /* whole lines into syslog */
    char err[512];
    int rc = xv_args_parse(argc, argv, &x.a, err, sizeof(err));
    if (x.a.help) {
        fputs(usage, stdout);
        return 0;
    }
    if (x.a.version) {
        printf("xengvt-vgpu %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (x.a.domid > 0) {
        char prefix[48];
        snprintf(prefix, sizeof(prefix), "xengvt-vgpu dom%ld", x.a.domid);
        log_set_prefix(prefix);
        x.xs = xv_xs_open((unsigned)x.a.domid);
        if (!x.xs)
            return EXIT_FAILED;
        xv_xs_pid(x.xs);
    }
    if (rc < 0) {
        log_error("%s", err);
        if (x.xs)
            finish(&x, XV_ERR_ARGS, EXIT_USAGE);
        return EXIT_USAGE;
    }
    xv_xs_state(x.xs, x.a.resume ? "resuming" : "initialising");
    const char *list = x.a.type_list[0] ? x.a.type_list : gvtg_wl_default_path();
    int code = xv_resolve(&x.a, list, x.entries, err, sizeof(err));
    if (code) {
        log_error("%s", err);
        finish(&x, code, EXIT_USAGE);
    }

    sigemptyset(&x.stop);
    sigaddset(&x.stop, SIGTERM);
    sigaddset(&x.stop, SIGINT);
    sigset_t mask = x.stop;
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN); /* a stream or client that went: an error, not death */
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0 || emp_open(&x.emp, (unsigned)x.a.domid) < 0)
        finish(&x, XV_ERR_SETUP, EXIT_FAILED);

    fleet_init(&x.fleet, (unsigned)x.a.domid, x.entries, x.a.count);
    if (x.a.resume) {
        resume_from_file(&x);
    } else {
        rc = fleet_start(&x.fleet, &x.stop);
        if (rc == -EINTR)
            finish(&x, 0, EXIT_STOPPED);
        if (rc < 0)
            finish(&x, XV_ERR_DAEMON, EXIT_FAILED);
        xv_xs_state(x.xs, "running");
    }

    for (;;) {
        struct pollfd p[3] = {
            { .fd = sfd, .events = POLLIN },
            { .fd = x.emp.listen_fd, .events = POLLIN },
            { .fd = x.emp.client_fd, .events = POLLIN },
        };
        if (poll(p, x.emp.client_fd >= 0 ? 3 : 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            log_error("poll: %s", strerror(errno));
            finish(&x, XV_ERR_SETUP, EXIT_FAILED);
        }
        if (p[0].revents)
            on_signal(&x, sfd);
        if (p[1].revents)
            emp_accept(&x.emp);
        if (x.emp.client_fd >= 0 && p[2].fd == x.emp.client_fd && p[2].revents &&
            emp_receive(&x.emp) == 0) {
            char cmd[EMP_EXECUTE_MAX];
            while (emp_next(&x.emp, cmd, sizeof(cmd)) == 1)
                handle(&x, cmd);
        }
    }
}
