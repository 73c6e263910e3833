#include "config.h"
#include "daemon/sandbox.h"
#include "common/log.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xentoolcore.h>

int sandbox_resolve(const char *runas, struct sandbox_ids *out)
{
    memset(out, 0, sizeof(*out));
    if (geteuid() != 0) {
        if (runas)
            log_warn("--runas %s: not running as root, already unprivileged", runas);
        return 0;
    }
    const char *spec = runas ? runas : SANDBOX_DEFAULT_USER;
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
        log_error("--runas: no user '%s'%s", user,
                  runas ? "" : " (the default; create it or pass --runas)");
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
    out->change = true;
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
 * guest pages), the control socket and VNC clients (accept, send, recv),
 * KMS refreshes (ioctl), memory management, time, exit. */
static const int allowed[] = {
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
    SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(close), SCMP_SYS(lseek),
    SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
    SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
    SCMP_SYS(timerfd_settime), SCMP_SYS(timerfd_gettime), SCMP_SYS(timerfd_create),
    SCMP_SYS(ioctl), SCMP_SYS(fcntl), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
    SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(mremap),
    SCMP_SYS(madvise), SCMP_SYS(brk),
    SCMP_SYS(futex), SCMP_SYS(sched_yield),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
    SCMP_SYS(gettimeofday), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid),
    SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
    SCMP_SYS(getrandom),
    SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
    SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(shutdown), SCMP_SYS(setsockopt),
    SCMP_SYS(getsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
    SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
    SCMP_SYS(sigaltstack), SCMP_SYS(tgkill), SCMP_SYS(kill),
    SCMP_SYS(unlink), SCMP_SYS(unlinkat),
    SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
};

/* Sanitizer runtimes (CI's ASan/UBSan build) stop the world and read
 * /proc to report leaks at exit: allowed in those builds only. */
static const int sanitizer_extra[] = {
    SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(ptrace), SCMP_SYS(wait4),
    SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(getdents), SCMP_SYS(getdents64), SCMP_SYS(prctl),
    SCMP_SYS(sched_getaffinity), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
    SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(dup), SCMP_SYS(dup2),
    SCMP_SYS(pipe2), SCMP_SYS(munlock), SCMP_SYS(mlock), SCMP_SYS(getrlimit),
    SCMP_SYS(sysinfo), SCMP_SYS(statx),
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

static int install_seccomp(void)
{
    /* Anything else ends the process at once: a compromised daemon gets
     * no second try. Opening files fails softly instead (EACCES), so a
     * library probing for an optional file does not kill the daemon. */
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx)
        return -ENOMEM;
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
    /* Datagrams to systemd's notify socket: AF_UNIX only. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                              SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
    if (SANITIZED) {
        for (size_t i = 0; i < sizeof(sanitizer_extra) / sizeof(sanitizer_extra[0]) && rc == 0;
             i++)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sanitizer_extra[i], 0);
    } else {
        if (rc == 0)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
        if (rc == 0)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0);
    }
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    return rc;
}

int sandbox_enter(uint32_t domid, const struct sandbox_ids *ids, const char *chroot_dir)
{
    /* Every Xen handle (devicemodel, foreign memory, event channels,
     * xencall, xenstore) now reaches this guest only. */
    if (xentoolcore_restrict_all((domid_t)domid) < 0) {
        log_error("restricting Xen handles to dom%u: %s", domid, strerror(errno));
        return -errno;
    }
    if (chroot_dir && (chroot(chroot_dir) < 0 || chdir("/") < 0)) {
        log_error("--chroot %s: %s", chroot_dir, strerror(errno));
        return -errno;
    }
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
    log_info("sandbox: Xen handles restricted to dom%u%s%s%s%s, seccomp on", domid,
             ids->change ? ", running as " : "", ids->change ? ids->name : "",
             chroot_dir ? ", chroot " : "", chroot_dir ? chroot_dir : "");
    return 0;
}
