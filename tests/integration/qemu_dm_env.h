/* The device-model wrapper run as libxl runs it (itest_qemu_dm.c,
 * itest_qemu_dm_failures.c): each case's directory, run dir and stand-in
 * QEMU (fake_qemu.c), the wrapper started under the simulator with the
 * real xengvtd, and libxl's side of the QMP socket. */
#ifndef XENGVT_ITEST_QEMU_DM_ENV_H
#define XENGVT_ITEST_QEMU_DM_ENV_H

#include "itest.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "dmstate.h"
#include "tools/common/ctl_client.h"
#include "tools/common/launch.h"

/* Domids no other test uses, one per case: a helper that ends reaps
 * whatever still runs as its domain's uid (served_remove), in the
 * background of the next case. */
#define DOM_CREATE 45
#define DOMS_CREATE "45"
#define DOM_FAIL 47
#define DOMS_FAIL "47"
#define DOM_SAVE 49
#define DOMS_SAVE "49"
#define DOM_RESTORE 51
#define DOMS_RESTORE "51"
#define DOM_SAVEFAIL 53
#define DOMS_SAVEFAIL "53"
#define DOM_REFUSE 55
#define DOMS_REFUSE "55"
#define DOM_DIRTY 57
#define DOMS_DIRTY "57"
#define DOM_DEATH 59
#define DOMS_DEATH "59"
#define DOM_CRASH 61
#define DOMS_CRASH "61"
#define DOM_PRESERVE 63
#define DOMS_PRESERVE "63"

static char dir[256], qlog[300], libxl_sock[300], chardev[400];

static inline void setup(const char *name)
{
    const char *logdir = getenv("XENGVT_TEST_LOGDIR");
    snprintf(dir, sizeof(dir), "%s/qemudm-%s", logdir ? logdir : "/tmp", name);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    mkdir(dir, 0700);
    snprintf(qlog, sizeof(qlog), "%s/qemu.log", dir);
    snprintf(libxl_sock, sizeof(libxl_sock), "%s/qmp-libxl", dir);
    snprintf(chardev, sizeof(chardev), "socket,id=libxl-cmd,path=%s,server=on,wait=off",
             libxl_sock);
    char fake[512];
    snprintf(fake, sizeof(fake), "%s/tests/integration/fake_qemu",
             getenv("XENGVT_TEST_BUILDDIR"));
    setenv("XENGVT_QEMU", fake, 1);
    setenv("FAKE_QEMU_LOG", qlog, 1);
    setenv("XENGVT_RUN_DIR", dir, 1);
    unsetenv("FAKE_QEMU_SAVE_FAIL");
}

static inline char *slurp(const char *path, size_t *len)
{
    static char buf[65536];
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
    }
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

static inline bool exists(const char *name)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* Until the stand-in QEMU says it is up. */
static inline void wait_qemu(void)
{
    for (int i = 0; i < 400; i++) {
        if (strstr(slurp(qlog, NULL), "ready\n"))
            return;
        usleep(50 * 1000);
    }
    fail_msg("the stand-in QEMU never started: %s", slurp(qlog, NULL));
}

static inline struct sim *start(const char *name, const char *const *argv, unsigned domid, void *ram,
                         size_t ram_len, void *phys, size_t phys_len)
{
    struct sim *s = sim_start(&(struct sim_opts){
        .exec_argv = argv, .no_wait_ready = true, .log_path = itest_log_path(name),
        .domid = domid, .ram_bytes = 64u << 20, .ram_image = ram, .ram_image_len = ram_len,
        .physmap_image = phys, .physmap_image_len = phys_len });
    assert_non_null(s);
    return s;
}

/* --- libxl's side of QMP -------------------------------------------------- */

static inline int read_line(int fd, char *out, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 20000) != 1)
            return -1;
        char c;
        if (read(fd, &c, 1) != 1)
            return -1;
        out[n++] = c;
        if (c == '\n')
            break;
    }
    out[n] = 0;
    return 0;
}

static inline int qmp_open(void)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%.100s", libxl_sock);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    char line[1024];
    assert_int_equal(read_line(fd, line, sizeof(line)), 0);
    assert_non_null(strstr(line, "\"QMP\""));
    return fd;
}

/* One command as libxl sends it (with a descriptor, for add-fd); the
 * answer, events skipped. */
static inline const char *qmp(int fd, const char *cmd, int id, const char *args, int pass_fd)
{
    static char line[4096];
    char out[1024];
    int n = snprintf(out, sizeof(out), "{\"execute\":\"%s\",\"id\":%d%s%s%s}\r\n", cmd, id,
                     args ? ",\"arguments\":" : "", args ? args : "", "");
    struct iovec iov = { .iov_base = out, .iov_len = (size_t)n };
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (pass_fd >= 0) {
        msg.msg_control = u.b;
        msg.msg_controllen = sizeof(u.b);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
    }
    assert_int_equal(sendmsg(fd, &msg, 0), n);
    do
        assert_int_equal(read_line(fd, line, sizeof(line)), 0);
    while (strstr(line, "\"event\""));
    return line;
}

#endif
