#include "config.h"
#include "daemon/sandbox.h"
#include "common/log.h"
#include "common/dmuser.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xentoolcore.h>

static int resolve_named(const char *spec, struct sandbox_ids *out)
{
    char user[64], group[64] = "";
    const char *colon = strchr(spec, ':');
    size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
    if (ulen == 0 || ulen >= sizeof(user) || (colon && strlen(colon + 1) >= sizeof(group))) {
        log_error("--runas '%s': USER[:GROUP]", spec);
        return -EINVAL;
    }
    memcpy(user, spec, ulen);
    user[ulen] = 0;
    if (colon)
        strcpy(group, colon + 1);
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        log_error("--runas: no user '%s'", user);
        return -ENOENT;
    }
    out->uid = pw->pw_uid;
    out->gid = pw->pw_gid;
    if (group[0]) {
        struct group *gr = getgrnam(group);
        if (!gr) {
            log_error("--runas: no group '%s'", group);
            return -ENOENT;
        }
        out->gid = gr->gr_gid;
    }
    if (out->uid == 0) {
        log_error("--runas %s: that is root", spec);
        return -EINVAL;
    }
    snprintf(out->name, sizeof(out->name), "%s", spec);
    return 0;
}

int sandbox_resolve(const char *runas, uint32_t domid, struct sandbox_ids *out)
{
    memset(out, 0, sizeof(*out));
    if (geteuid() != 0) {
        if (runas)
            log_warn("--runas %s: not running as root, already unprivileged", runas);
        return 0;
    }
    int rc;
    if (runas) {
        rc = resolve_named(runas, out);
    } else {
        /* One uid per domain: another guest's daemon cannot signal,
         * trace or open anything of this one. */
        struct dmuser u;
        char err[256];
        rc = dmuser_for_domain(domid, &u, err, sizeof(err));
        if (rc < 0) {
            log_error("%s", err);
        } else {
            out->uid = u.uid;
            out->gid = u.gid;
            out->per_domain = u.per_domain;
            snprintf(out->name, sizeof(out->name), "%s", u.name);
            if (!u.per_domain)
                log_warn("running as the shared user %s: create user %s for one uid per "
                         "domain (xengvtd(8), USERS)", u.name, DMUSER_RANGE_BASE);
        }
    }
    if (rc == 0)
        out->change = true;
    return rc;
}

int sandbox_prepare_root(const char *run_dir, uint32_t domid, char *out, size_t cap)
{
    if (snprintf(out, cap, "%s/root-dom%u", run_dir, domid) >= (int)cap)
        return -ENAMETOOLONG;
    mkdir(run_dir, 0700); /* EEXIST is fine; checked through the child */
    if (mkdir(out, 0) < 0 && errno != EEXIST) {
        int err = errno;
        log_error("chroot directory %s: %s", out, strerror(err));
        return -err;
    }
    /* A leftover of an earlier daemon of this domid is taken if it is
     * still what we make: nobody but root can have put anything in it. */
    struct stat st;
    int err = 0;
    if (lstat(out, &st) < 0)
        err = errno;
    else if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 07777) != 0)
        err = EPERM;
    if (err) {
        log_error("chroot directory %s: %s", out,
                  err == EPERM ? "not a root-owned directory of mode 0000" : strerror(err));
        return -err;
    }
    return 0;
}

static int drop_ids(const struct sandbox_ids *ids)
{
    if (setgroups(0, NULL) < 0 || setresgid(ids->gid, ids->gid, ids->gid) < 0 ||
        setresuid(ids->uid, ids->uid, ids->uid) < 0) {
        log_error("dropping to %s: %s", ids->name, strerror(errno));
        return -errno;
    }
    /* Make sure it cannot come back. */
    if (setuid(0) == 0 || setgid(0) == 0) {
        log_error("dropping to %s: root is still reachable", ids->name);
        return -EPERM;
    }
    return 0;
}

/* What the running daemon does: its event loop (epoll, timerfds,
 * signalfd, eventfds), Xen's devices (ioctl on privcmd and evtchn; mmap of
 * guest pages), the control socket and VNC clients (accept, send, recv on
 * sockets made before the sandbox), KMS refreshes (ioctl), memory
 * management, time, exit. No call here takes a path. */
static const int allowed[] = {
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
    SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(close), SCMP_SYS(lseek),
    SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
    SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
    SCMP_SYS(timerfd_settime), SCMP_SYS(timerfd_gettime), SCMP_SYS(timerfd_create),
    SCMP_SYS(ioctl), SCMP_SYS(fcntl), SCMP_SYS(fstat),
    SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(mremap),
    SCMP_SYS(madvise), SCMP_SYS(brk),
    SCMP_SYS(futex), SCMP_SYS(sched_yield),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
    SCMP_SYS(gettimeofday), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid),
    SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
    SCMP_SYS(getrandom),
    SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
    SCMP_SYS(sendmsg), SCMP_SYS(shutdown), SCMP_SYS(setsockopt),
    SCMP_SYS(getsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
    SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
};

/* Sanitizer runtimes (CI's ASan/UBSan build) stop the world (a traced
 * clone that signals our threads) and read /proc to report leaks at exit:
 * allowed in those builds only. */
static const int sanitizer_extra[] = {
    SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(ptrace), SCMP_SYS(wait4),
    SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(getdents), SCMP_SYS(getdents64), SCMP_SYS(prctl),
    SCMP_SYS(sched_getaffinity), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
    SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(dup), SCMP_SYS(dup2),
    SCMP_SYS(pipe2), SCMP_SYS(munlock), SCMP_SYS(mlock), SCMP_SYS(getrlimit),
    SCMP_SYS(sysinfo), SCMP_SYS(statx), SCMP_SYS(newfstatat), SCMP_SYS(kill),
    SCMP_SYS(tgkill),
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static int add_rules(scmp_filter_ctx ctx)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && rc == 0; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
    /* libvncserver reads its descriptor limit when a viewer connects:
     * reading a limit of our own (pid 0, no new value) only. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2,
                              SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getrlimit), 0);
    /* send() on connected sockets; never to an address (the systemd
     * notify socket is connected before the sandbox, no socket is made
     * after it: a datagram to another service's socket is out of reach). */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendto), 1, SCMP_A4(SCMP_CMP_EQ, 0));
    /* glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH): by descriptor
     * only; a path gets EACCES (and the chroot is empty anyway). */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
                              SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
    if (SANITIZED) {
        for (size_t i = 0; i < sizeof(sanitizer_extra) / sizeof(sanitizer_extra[0]) && rc == 0;
             i++)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sanitizer_extra[i], 0);
        /* Removing files fails softly here too, as below (the control
         * socket at exit): killed for it, the sanitizer build's daemons
         * ended on SIGSYS instead of exiting 0. */
        static const int soft_san[] = { SCMP_SYS(unlink), SCMP_SYS(unlinkat) };
        for (size_t i = 0; i < sizeof(soft_san) / sizeof(soft_san[0]) && rc == 0; i++)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), soft_san[i], 0);
        return rc;
    }
    /* Signals to our own process only (abort() is tgkill of ourselves):
     * kill(-1, SIGSTOP) would otherwise freeze every process of this
     * uid. Signal 0 delivers nothing: probing whether a pid exists is
     * allowed. */
    pid_t self = getpid();
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1, SCMP_A1(SCMP_CMP_EQ, 0));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
    /* Paths fail softly (a library probing for an optional file does not
     * kill the daemon; removing the control socket at exit fails). */
    static const int soft[] = { SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(unlink),
                                SCMP_SYS(unlinkat) };
    for (size_t i = 0; i < sizeof(soft) / sizeof(soft[0]) && rc == 0; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), soft[i], 0);
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(newfstatat), 1,
                              SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, 0));
    return rc;
}

static int install_seccomp(void)
{
    /* Anything else ends the process at once: a compromised daemon gets
     * no second try. */
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx)
        return -ENOMEM;
    int rc = add_rules(ctx);
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    return rc;
}

/* libxl's limits for a deprivileged QEMU (libxl_linux.c), and a cap on
 * the data segment: a daemon that writes or allocates without end
 * fails, instead of filling dom0's tmpfs or RAM. */
static int set_limits(void)
{
    static const struct {
        int resource;
        rlim_t max;
        const char *name;
    } limits[] = {
        { RLIMIT_FSIZE, SANDBOX_FSIZE_MAX, "FSIZE" },
        { RLIMIT_CORE, 0, "CORE" },
        { RLIMIT_MSGQUEUE, 0, "MSGQUEUE" },
        { RLIMIT_LOCKS, 0, "LOCKS" },
        { RLIMIT_MEMLOCK, 0, "MEMLOCK" },
        /* ASan's shadow is private memory counted here: no cap there. */
        { SANITIZED ? -1 : RLIMIT_DATA, SANDBOX_DATA_MAX, "DATA" },
    };
    /* A log line past the size limit is dropped (EFBIG), not fatal. */
    signal(SIGXFSZ, SIG_IGN);
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        if (limits[i].resource < 0)
            continue;
        struct rlimit rl = { limits[i].max, limits[i].max };
        if (setrlimit(limits[i].resource, &rl) < 0) {
            log_error("RLIMIT_%s: %s", limits[i].name, strerror(errno));
            return -errno;
        }
    }
    return 0;
}

int sandbox_enter(uint32_t domid, const struct sandbox_ids *ids, const char *chroot_dir)
{
    /* Every Xen handle (devicemodel, foreign memory, event channels,
     * xencall, xenstore) now reaches this guest only. */
    if (xentoolcore_restrict_all((domid_t)domid) < 0) {
        log_error("restricting Xen handles to dom%u: %s", domid, strerror(errno));
        return -errno;
    }
    /* Own mount and IPC namespaces, as libxl gives QEMU: mounts made
     * later in dom0 do not appear, System V IPC of dom0 is out of reach. */
    bool root = geteuid() == 0;
    if (root && unshare(CLONE_NEWNS | CLONE_NEWIPC) < 0) {
        log_error("unshare(mount, IPC namespaces): %s", strerror(errno));
        return -errno;
    }
    /* LeakSanitizer reads /proc/PID/task at exit (CI's ASan build): those
     * builds keep the filesystem, and say so. */
    if (chroot_dir && SANITIZED) {
        log_info("sanitizer build: no chroot into %s (its runtime needs /proc)", chroot_dir);
        chroot_dir = NULL;
    }
    if (chroot_dir && (chroot(chroot_dir) < 0 || chdir("/") < 0)) {
        log_error("chroot %s: %s", chroot_dir, strerror(errno));
        return -errno;
    }
    if (set_limits() < 0)
        return -EPERM;
    if (ids->change && drop_ids(ids) < 0)
        return -EPERM;
    /* No setuid binary could help now, and nobody attaches a debugger to
     * read guest memory through us. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
        log_error("prctl: %s", strerror(errno));
        return -errno;
    }
    int rc = install_seccomp();
    if (rc < 0) {
        log_error("seccomp filter: %s", strerror(-rc));
        return rc;
    }
    log_info("sandbox: Xen handles restricted to dom%u%s%s%s%s%s, rlimits, seccomp on", domid,
             root ? ", own mount and IPC namespaces" : "",
             ids->change ? ", running as " : "", ids->change ? ids->name : "",
             chroot_dir ? ", chroot " : "", chroot_dir ? chroot_dir : "");
    return 0;
}
