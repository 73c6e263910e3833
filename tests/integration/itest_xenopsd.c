/* xengvt-vgpu driven as xenopsd and emu-manager drive their vGPU helper,
 * under the simulator: the xenopsd argv, vgpu/state and vgpu-pid in
 * xenstore, a guest access reaching the vGPU at the vpci, a save through
 * the EMP socket (migrate_init with the stream fd over SCM_RIGHTS,
 * migrate_nonlive, the completed event), SIGTERM, and --resume into other
 * domains: from the --suspend file, and from an EMP restore on a stream
 * that goes on after our state. Bad arguments: state=error, error-code. */
#include "itest.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <dirent.h>

/* Domids 57 and 59: xengvt-vgpu reaps the uid of a domain it stops, and
 * the daemon tests running alongside use 7 and 9. */
#define VPCI ((0u << 16) | (0u << 8) | (0xbu << 3) | 0u) /* 0000:00:0b.0 */
#define UUID "2c7dbc5c-2b1c-4ac5-9a5d-f7c3d3d6f1a0"
#define RAM (64u << 20)

static char dir[64], emp_dir[80], run_dir[80];

static void setup_env(void)
{
    snprintf(dir, sizeof(dir), "/tmp/xengvt-xenopsd-%d", (int)getpid());
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fail_msg("cannot clean %s", dir);
    mkdir(dir, 0700);
    snprintf(emp_dir, sizeof(emp_dir), "%s/emp", dir);
    snprintf(run_dir, sizeof(run_dir), "%s/run", dir);
    setenv("XENGVT_EMP_DIR", emp_dir, 1);
    setenv("XENGVT_RUN_DIR", run_dir, 1);
    char wl[512];
    snprintf(wl, sizeof(wl), "%s/../../doc/gvt-g-whitelist.example",
             getenv("XENGVT_TEST_SRCDIR"));
    setenv("XENGVT_GVTG_WHITELIST", wl, 1);
}

static void teardown_env(void)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

struct guest_mem {
    void *ram, *physmap;
    size_t physmap_len;
};

static struct sim *launch(const char *name, const char *const *argv, unsigned domid,
                          const struct guest_mem *m)
{
    struct sim *s = sim_start(&(struct sim_opts){
        .exec_argv = argv, .no_wait_ready = true, .log_path = itest_log_path(name),
        .domid = domid, .ram_bytes = RAM, .ram_image = m ? m->ram : NULL,
        .ram_image_len = m ? RAM : 0, .physmap_image = m ? m->physmap : NULL,
        .physmap_image_len = m ? m->physmap_len : 0 });
    assert_non_null(s);
    return s;
}

static const char *xs(struct sim *s, unsigned domid, const char *leaf)
{
    char key[96];
    snprintf(key, sizeof(key), "/local/domain/%u/%s", domid, leaf);
    const char *v = sim_xs_read(s, key);
    return v && v[0] ? v : NULL; /* the simulator's removed keys read "" */
}

/* As xenopsd waits: for vgpu/state to be one of `want`; "error" fails. */
static void wait_state(struct sim *s, unsigned domid, const char *want)
{
    uint64_t deadline = sim_now_ms() + 30000;
    for (;;) {
        const char *st = xs(s, domid, "vgpu/state");
        if (st && strcmp(st, want) == 0)
            return;
        if (st && strcmp(st, "error") == 0)
            fail_msg("vgpu/state=error, error-code %s", xs(s, domid, "vgpu/error-code"));
        if (!sim_daemon_running(s))
            fail_msg("xengvt-vgpu exited waiting for %s", want);
        if (sim_now_ms() > deadline)
            fail_msg("no vgpu/state=%s (have %s)", want, st ? st : "none");
        usleep(5000);
    }
}

/* The xengvtd serving `sock`, found by its command line; -1 if none. */
static pid_t daemon_for(const char *sock)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    pid_t found = -1;
    while (d && (de = readdir(d))) {
        char path[300], cmd[4096];
        snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, cmd, sizeof(cmd) - 1);
        close(fd);
        if (n <= 0)
            continue;
        cmd[n] = 0;
        for (ssize_t i = 0; i < n; i++)
            if (!cmd[i])
                cmd[i] = ' ';
        if (strstr(cmd, "xengvtd") && strstr(cmd, sock) && !strstr(cmd, "xengvt-vgpu"))
            found = atoi(de->d_name);
    }
    if (d)
        closedir(d);
    return found;
}

static bool cmdline_has(pid_t pid, const char *item)
{
    char path[64], cmd[4096];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, cmd, sizeof(cmd) - 1);
    close(fd);
    /* Exact NUL-separated items, as xenopsd's is_cmdline_valid checks. */
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(cmd + i) + 1)
        if (strcmp(cmd + i, item) == 0)
            return true;
    return false;
}

/* --- an emu-manager ------------------------------------------------------ */

static int emp_connect(unsigned domid)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s/%u/control", emp_dir, domid);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    for (int i = 0; i < 200; i++) {
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
            return fd;
        usleep(10000);
    }
    fail_msg("cannot connect to %s", a.sun_path);
    return -1;
}

/* As emu-manager's send_buf_and_fd: the request's bytes with the fd. */
static void emp_send(int sock, const char *req, int pass_fd)
{
    struct iovec iov = { (void *)req, strlen(req) };
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (pass_fd >= 0) {
        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.space;
        msg.msg_controllen = sizeof(ctl.space);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    assert_int_equal(sendmsg(sock, &msg, MSG_NOSIGNAL), (ssize_t)strlen(req));
}

/* One message (our server ends each with a newline). "" on EOF. */
static const char *emp_recv(int sock)
{
    static char line[512];
    size_t n = 0;
    while (n + 1 < sizeof(line)) {
        struct pollfd p = { sock, POLLIN, 0 };
        if (poll(&p, 1, 30000) != 1)
            fail_msg("no EMP answer in 30 s (have '%.*s')", (int)n, line);
        char c;
        if (read(sock, &c, 1) != 1)
            break;
        if (c == '\n')
            break;
        line[n++] = c;
    }
    line[n] = 0;
    return line;
}

static void emp_expect(int sock, const char *req, int pass_fd, const char *answer)
{
    emp_send(sock, req, pass_fd);
    const char *got = emp_recv(sock);
    if (!strstr(got, answer))
        fail_msg("%s: answered '%s', wanted '%s'", req, got, answer);
}

static void place_bars(struct sim *s)
{
    sim_cfg_write(s, 0, VPCI, 0x10, 4, (uint32_t)BAR0_ADDR);
    sim_cfg_write(s, 0, VPCI, 0x14, 4, (uint32_t)(BAR0_ADDR >> 32));
    sim_cfg_write(s, 0, VPCI, 0x18, 4, (uint32_t)BAR2_ADDR);
    sim_cfg_write(s, 0, VPCI, 0x1c, 4, (uint32_t)(BAR2_ADDR >> 32));
    sim_cfg_write(s, 0, VPCI, 0x04, 2, 0x6);
}

static size_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

/* SIGTERM, as xenopsd stops it: exit 0 well within 10 s, keys gone, no
 * daemon left. */
static void stop_and_check(struct sim *s, unsigned domid)
{
    char sock[200];
    snprintf(sock, sizeof(sock), "%s/xenopsd-dom%u-0.sock", run_dir, domid);
    assert_true(daemon_for(sock) > 0);
    uint64_t t0 = sim_now_ms();
    kill(sim_daemon_pid(s), SIGTERM);
    int status = sim_wait_exit(s, 10000);
    assert_true(status != -1);
    assert_true(sim_now_ms() - t0 < 5000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_null(xs(s, domid, "vgpu-pid"));
    assert_null(xs(s, domid, "vgpu/state"));
    assert_int_equal(daemon_for(sock), -1);
    char emp[256];
    snprintf(emp, sizeof(emp), "%s/%u/control", emp_dir, domid);
    assert_int_equal(access(emp, F_OK), -1);
    sim_stop(s);
}

static struct guest_mem *guest_mem_take(struct sim *s)
{
    struct guest_mem *m = calloc(1, sizeof(*m));
    m->ram = malloc(RAM);
    memcpy(m->ram, sim_ram(s), RAM);
    assert_int_equal(sim_physmap_save(s, &m->physmap, &m->physmap_len), 0);
    return m;
}

static void guest_mem_free(struct guest_mem *m)
{
    free(m->ram);
    free(m->physmap);
    free(m);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(16u << 20);
    *len = fread(buf, 1, 16u << 20, f);
    fclose(f);
    return buf;
}

static void test_start_save_resume(void **state)
{
    (void)state;
    setup_env();
    const char *bin = getenv("XENGVT_VGPU");
    char suspend[256], domain[32];
    snprintf(suspend, sizeof(suspend), "--suspend=%s/demu-save.57", dir);
    snprintf(domain, sizeof(domain), "--domain=57");
    /* Exactly what xenopsd runs (Service.Vgpu.vgpu_args_of_nvidia). */
    const char *argv[] = { bin, domain, "--vcpus=1", suspend,
                           "--device=0000:00:02.0,GVTg_V5_4,0000:00:0b.0," UUID
                           ",resolution=1280x720", NULL };
    struct sim *s = launch("xenopsd_start", argv, 57, NULL);
    wait_state(s, 57, "running");
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", (int)sim_daemon_pid(s));
    assert_string_equal(xs(s, 57, "vgpu-pid"), pid);
    /* xenopsd's is_cmdline_valid: the binary path and --domain=<d>. */
    assert_true(cmdline_has(sim_daemon_pid(s), bin));
    assert_true(cmdline_has(sim_daemon_pid(s), "--domain=57"));
    /* The guest finds the vGPU at the vpci, and nothing at 00:02.0. */
    assert_int_equal(sim_cfg_read(s, 0, VPCI, 0, 4), 0x19128086);
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0, 4), 0xffffffffu);
    place_bars(s);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x4f000, 4, 0xabc);
    assert_int_equal((uint32_t)sim_mmio_read(s, 0, BAR0_ADDR + 0x4f000, 4), 0xabc);

    /* A hostile or confused client first: answered, never fatal. */
    int bad = emp_connect(57);
    emp_expect(bad, "{\"execute\":\"migrate_nonlive\"}", -1, "\"error\"");
    emp_expect(bad, "{\"execute\":\"migrate_init\"}", -1, "\"error\"");
    emp_expect(bad, "{\"execute\":\"format_disk\"}", -1, "unknown command");
    int second = emp_connect(57);
    assert_non_null(strstr(emp_recv(second), "busy"));
    close(second);
    emp_expect(bad, "{\"execute\":[}", -1, "malformed");
    assert_string_equal(emp_recv(bad), ""); /* and closed */
    close(bad);

    /* emu-manager's save: migrate_init with the stream, set_args,
     * migrate_nonlive; our state on the stream, the completed event. */
    char stream_path[256];
    snprintf(stream_path, sizeof(stream_path), "%s/stream", dir);
    int stream = open(stream_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(stream >= 0);
    int emp = emp_connect(57);
    emp_expect(emp, "{ \"execute\" : \"migrate_init\"}", stream, "{\"return\":{}}");
    emp_expect(emp, "{ \"execute\" : \"set_args\", \"arguments\" : { \"x\":true } }", -1,
               "{\"return\":{}}");
    emp_expect(emp, "{ \"execute\" : \"track_dirty\"}", -1, "{\"return\":{}}");
    emp_expect(emp, "{ \"execute\" : \"migrate_nonlive\"}", -1, "{\"return\":{}}");
    assert_string_equal(emp_recv(emp),
                        "{\"event\":\"MIGRATION\",\"data\":{\"status\":\"completed\"}}");
    close(emp);
    char file[256];
    snprintf(file, sizeof(file), "%s/demu-save.57", dir);
    size_t saved_len = file_size(file);
    assert_true(saved_len > 16);
    assert_int_equal((size_t)lseek(stream, 0, SEEK_CUR), saved_len);
    close(stream);
    size_t a_len, b_len;
    char *a = slurp(file, &a_len), *b = slurp(stream_path, &b_len);
    assert_int_equal(a_len, b_len);
    assert_memory_equal(a, b, a_len);
    assert_memory_equal(a, "XGVTSAVE", 8);
    free(a);
    free(b);
    struct guest_mem *m = guest_mem_take(s);
    stop_and_check(s, 57);
    assert_true(file_size(file) > 0); /* the save outlives us */

    /* --resume for domain 59 from its --suspend file. */
    char file9[200];
    snprintf(file9, sizeof(file9), "%s/demu-save.59", dir);
    assert_int_equal(rename(file, file9), 0);
    snprintf(suspend, sizeof(suspend), "--suspend=%s", file9);
    const char *argv9[] = { bin, "--domain=59", "--vcpus=1", suspend,
                            "--device=0000:00:02.0,GVTg_V5_4,0000:00:0b.0," UUID
                            ",resolution=1280x720", "--resume", NULL };
    struct sim *r = launch("xenopsd_resume_file", argv9, 59, m);
    wait_state(r, 59, "running");
    assert_int_equal((uint32_t)sim_mmio_read(r, 0, BAR0_ADDR + 0x4f000, 4), 0xabc);
    assert_int_equal(access(file9, F_OK), -1); /* used once, then gone */
    stop_and_check(r, 59);

    /* --resume for domain 10 with no file: "resuming" until emu-manager's
     * restore, on a stream that goes on after our state (xenopsd's
     * records follow): exactly our bytes are read. The type given as the
     * GVT-g type list's type_id for GVTg_V5_4. */
    snprintf(suspend, sizeof(suspend), "--suspend=%s/demu-save.10", dir);
    const char *argv10[] = { bin, "--domain=10", "--vcpus=1", suspend,
                             "--device=0000:00:02.0,2,0000:00:0b.0," UUID
                             ",resolution=1280x720", "--resume", NULL };
    struct sim *t = launch("xenopsd_resume_emp", argv10, 10, m);
    wait_state(t, 10, "resuming");
    stream = open(stream_path, O_RDWR | O_APPEND);
    assert_int_equal(write(stream, "END-OF-IMAGE", 12), 12);
    assert_int_equal(lseek(stream, 0, SEEK_SET), 0);
    emp = emp_connect(10);
    emp_expect(emp, "{\"execute\":\"migrate_init\"}", stream, "{\"return\":{}}");
    emp_expect(emp, "{\"execute\":\"restore\"}", -1, "{\"return\":{}}");
    assert_non_null(strstr(emp_recv(emp), "\"completed\""));
    assert_int_equal((size_t)lseek(stream, 0, SEEK_CUR), saved_len);
    close(stream);
    close(emp);
    wait_state(t, 10, "running");
    assert_int_equal((uint32_t)sim_mmio_read(t, 0, BAR0_ADDR + 0x4f000, 4), 0xabc);
    stop_and_check(t, 10);
    guest_mem_free(m);
    teardown_env();
}

/* Published failures: error-code, then state=error, a non-zero exit. */
static void expect_failure(const char *name, const char *device, bool resume, const char *code,
                           int exit)
{
    const char *bin = getenv("XENGVT_VGPU");
    char suspend[256];
    snprintf(suspend, sizeof(suspend), "--suspend=%s/demu-save.57", dir);
    const char *argv[] = { bin, "--domain=57", "--vcpus=1", suspend, device,
                           resume ? "--resume" : NULL, NULL };
    struct sim *s = launch(name, argv, 57, NULL);
    int status = sim_wait_exit(s, 30000);
    assert_true(status != -1 && WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), exit);
    assert_string_equal(xs(s, 57, "vgpu/state"), "error");
    assert_string_equal(xs(s, 57, "vgpu/error-code"), code);
    assert_null(xs(s, 57, "vgpu-pid"));
    sim_stop(s);
}

static void test_failures(void **state)
{
    (void)state;
    setup_env();
    /* A malformed --device (no uuid): bad arguments. */
    expect_failure("xenopsd_bad_device", "--device=0000:00:02.0,GVTg_V5_4,0000:00:0b.0",
                   false, "1", 2);
    /* An unknown key among the extra arguments. */
    expect_failure("xenopsd_bad_extra",
                   "--device=0000:00:02.0,GVTg_V5_4,0000:00:0b.0," UUID ",shape=round", false, "1",
                   2);
    /* A type neither ours nor in the type list. */
    expect_failure("xenopsd_bad_type", "--device=0000:00:02.0,GRID M60-0B,0000:00:0b.0," UUID,
                   false, "2", 2);
    /* The daemon refuses to start (its EDID file is missing). */
    expect_failure("xenopsd_daemon_fails",
                   "--device=0000:00:02.0,GVTg_V5_4,0000:00:0b.0," UUID
                   ",edid=/nonexistent/monitor.bin", false, "3", 1);
    /* --resume from a damaged --suspend file: refused, error-code 4. */
    char file[200];
    snprintf(file, sizeof(file), "%s/demu-save.57", dir);
    FILE *f = fopen(file, "w");
    fputs("XGVTSAVE but not really", f);
    fclose(f);
    expect_failure("xenopsd_bad_file",
                   "--device=0000:00:02.0,GVTg_V5_4,0000:00:0b.0," UUID, true, "4", 1);
    /* An EMP restore of garbage: answered with an error, error-code 4. */
    unlink(file);
    const char *bin = getenv("XENGVT_VGPU");
    char suspend[256];
    snprintf(suspend, sizeof(suspend), "--suspend=%s", file);
    const char *argv[] = { bin, "--domain=57", "--vcpus=1", suspend,
                           "--device=0000:00:02.0,GVTg_V5_4,0000:00:0b.0," UUID, "--resume",
                           NULL };
    struct sim *s = launch("xenopsd_bad_stream", argv, 57, NULL);
    wait_state(s, 57, "resuming");
    int junk = open("/proc/self/exe", O_RDONLY);
    int emp = emp_connect(57);
    emp_expect(emp, "{\"execute\":\"migrate_init\"}", junk, "{\"return\":{}}");
    emp_expect(emp, "{\"execute\":\"restore\"}", -1, "\"error\"");
    close(emp);
    close(junk);
    int status = sim_wait_exit(s, 10000);
    assert_true(status != -1 && WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_string_equal(xs(s, 57, "vgpu/state"), "error");
    assert_string_equal(xs(s, 57, "vgpu/error-code"), "4");
    sim_stop(s);
    teardown_env();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_save_resume),
        cmocka_unit_test(test_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
