/* The control socket of the real daemon: status, registers, and a hostile
 * local client (garbage, oversized lines, floods) never stalls the guest. */
#include "itest.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int connect_to(struct sim *s)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sim_control_path(s));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    return fd;
}

static void test_status(void **state)
{
    (void)state;
    struct sim *s = itest_start("control_status", (struct sim_opts){ .nr_vcpus = 2 });
    itest_place_bars(s, false);
    sim_mmio_write(s, 1, BAR0_ADDR + 0x4000, 4, 1);
    char line[4096];
    assert_int_equal(sim_control(s, "{\"cmd\":\"status\"}", line, sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ok\":true"));
    assert_non_null(strstr(line, "\"domid\":7"));
    assert_non_null(strstr(line, "\"sbdf\":\"0000:00:02.0\""));
    assert_non_null(strstr(line, "\"type\":\"GVTg_V5_4\""));
    assert_non_null(strstr(line, "\"vcpus\":2"));
    assert_non_null(strstr(line, "\"ioreq_mmio\":1,"));
    char bar0[64];
    snprintf(bar0, sizeof(bar0), "\"bar0\":%llu", (unsigned long long)BAR0_ADDR);
    assert_non_null(strstr(line, bar0));
    char path[108];
    snprintf(path, sizeof(path), "%s", sim_control_path(s));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
    /* Nobody answers there any more (the file stays: the daemon is in
     * its empty chroot by then; the next daemon or the toolstack removes
     * it). */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    assert_int_not_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    close(fd);
}

static void test_bad_clients(void **state)
{
    (void)state;
    struct sim *s = itest_start("control_bad", (struct sim_opts){ 0 });
    char line[4096];
    static const char *const bad[] = {
        "not json", "{\"cmd\":}", "{\"cmd\":\"status\"", "[1,2]", "{\"cmd\":1}",
        "{\"cmd\":\"status\",\"cmd\":\"x\"}", "{\"a\":{\"b\":1}}", "{\"cmd\":\"reboot-host\"}",
        "{\"cmd\":\"stat\\u0000us\"}", "",
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(sim_control(s, bad[i], line, sizeof(line), NULL, NULL), 0);
        assert_non_null(strstr(line, "\"ok\":false"));
    }
    /* An endless line: the daemon hangs up on that client alone. */
    int fd = connect_to(s);
    static char junk[8192];
    memset(junk, 'x', sizeof(junk));
    ssize_t w = write(fd, junk, sizeof(junk));
    (void)w;
    char c;
    assert_true(read(fd, &c, 1) <= 0);
    close(fd);
    /* Clients that connect and never read or write. */
    int idle[12];
    for (int i = 0; i < 12; i++)
        idle[i] = connect_to(s);
    /* The guest is still served meanwhile. */
    assert_int_equal(sim_cfg_read(s, 0, VGPU_SBDF, 0, 4), 0x19128086);
    for (int i = 0; i < 12; i++)
        close(idle[i]);
    usleep(50 * 1000);
    assert_int_equal(sim_control(s, "{\"cmd\":\"status\"}", line, sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ok\":true"));
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* The xengvt client, run as an admin would. */
static int cli(struct sim *s, const char *cmd, const char *arg)
{
    const char *bin = getenv("XENGVT_CLI");
    assert_non_null(bin);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execl(bin, bin, "--socket", s ? sim_control_path(s) : "/nonexistent/x.sock", cmd, arg,
              (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_cli_state_commands(void **state)
{
    (void)state;
    struct sim *s = itest_start("control_cli", (struct sim_opts){ 0 });
    itest_place_bars(s, false);
    char path[512];
    snprintf(path, sizeof(path), "%s/cli.state",
             getenv("XENGVT_TEST_LOGDIR") ? getenv("XENGVT_TEST_LOGDIR") : "/tmp");
    unlink(path);
    assert_int_equal(cli(s, "save", path), 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char magic[8];
    assert_int_equal(fread(magic, 1, 8, f), 8);
    fclose(f);
    assert_memory_equal(magic, "XGVTSTAT", 8);
    /* The EDID the guest reads, and the raw frame (the pipe's 1080p). */
    snprintf(path, sizeof(path), "%s/cli.edid",
             getenv("XENGVT_TEST_LOGDIR") ? getenv("XENGVT_TEST_LOGDIR") : "/tmp");
    assert_int_equal(cli(s, "edid", path), 0);
    uint8_t edid[200];
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(edid, 1, sizeof(edid), f), 128);
    fclose(f);
    static const uint8_t hdr[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 };
    assert_memory_equal(edid, hdr, 8);
    assert_int_equal(edid[0x38] | (edid[0x3a] & 0xf0) << 4, 1920); /* first timing */
    snprintf(path, sizeof(path), "%s/cli.frame",
             getenv("XENGVT_TEST_LOGDIR") ? getenv("XENGVT_TEST_LOGDIR") : "/tmp");
    assert_int_equal(cli(s, "frame", path), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 0 && st.st_size % 4 == 0);
    assert_int_equal(cli(s, "edid", NULL), 2);
    assert_int_equal(cli(s, "pause", NULL), 0);
    assert_int_equal(cli(s, "resume", NULL), 0);
    assert_int_equal(cli(s, "dirty-log", "on"), 0);
    assert_int_equal(itest_status_field(s, "dirty_log"), 1);
    assert_int_equal(cli(s, "dirty-log", "off"), 0);
    assert_int_equal(itest_status_field(s, "dirty_log"), 0);
    assert_int_equal(cli(s, "dirty-log", "maybe"), 2);
    assert_int_equal(cli(s, "dirty-log", NULL), 2);
    assert_int_equal(cli(s, "status", NULL), 0);
    assert_int_equal(cli(s, "reboot", NULL), 2);
    assert_int_equal(cli(s, "save", NULL), 2);
    assert_int_equal(cli(NULL, "status", NULL), 3);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* xengvt reg: a register by name and by offset, who owns it and what it
 * holds; an unknown one is a clear error. */
static void test_reg(void **state)
{
    (void)state;
    struct sim *s = itest_start("control_reg", (struct sim_opts){ 0 });
    itest_place_bars(s, false);
    char line[4096];
    assert_int_equal(sim_control(s, "{\"cmd\":\"reg\",\"reg\":\"RING_ELSP(rcs0)\"}", line,
                                 sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ok\":true"));
    assert_non_null(strstr(line, "\"offset\":\"0x2230\""));
    assert_non_null(strstr(line, "\"name\":\"RING_ELSP(rcs0)\""));
    assert_non_null(strstr(line, "\"owner\":\"execlist\""));
    assert_non_null(strstr(line, "\"write_hook\":true"));
    /* By offset, with the value the guest stored (RING_HWSTAM(rcs0)). */
    sim_mmio_write(s, 0, BAR0_ADDR + 0x2098, 4, 0x12345678);
    assert_int_equal(sim_control(s, "{\"cmd\":\"reg\",\"reg\":\"0x2098\"}", line,
                                 sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ok\":true"));
    assert_non_null(strstr(line, "\"name\":\"RING_HWSTAM(rcs0)\""));
    assert_non_null(strstr(line, "\"owner\":\"skl_regs\""));
    assert_non_null(strstr(line, "\"value\":\"0x12345678\""));
    assert_non_null(strstr(line, "\"reset\":\"0xffffffff\""));
    /* Masks and flags: the CSB pointer's write pointer is the hardware's. */
    assert_int_equal(sim_control(s, "{\"cmd\":\"reg\",\"reg\":\"RING_CONTEXT_STATUS_PTR(rcs0)\"}",
                                 line, sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ro_mask\":\"0x00000007\""));
    assert_non_null(strstr(line, "\"masked\":true"));
    /* Plain storage no part owns. */
    assert_int_equal(sim_control(s, "{\"cmd\":\"reg\",\"reg\":\"0x100\"}", line,
                                 sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"tracked\":false"));
    assert_null(strstr(line, "\"owner\""));
    /* Unknown names and offsets outside the register file. */
    assert_int_equal(sim_control(s, "{\"cmd\":\"reg\",\"reg\":\"NOT_A_REGISTER\"}", line,
                                 sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ok\":false"));
    assert_non_null(strstr(line, "unknown register: NOT_A_REGISTER"));
    assert_int_equal(sim_control(s, "{\"cmd\":\"reg\",\"reg\":\"0x2231\"}", line,
                                 sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ok\":false"));
    assert_non_null(strstr(line, "not a dword of the register file"));
    assert_int_equal(sim_control(s, "{\"cmd\":\"reg\"}", line, sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ok\":false"));
    /* The same through xengvt. */
    assert_int_equal(cli(s, "reg", "SDEISR"), 0);
    assert_int_equal(cli(s, "reg", "0xc4000"), 0);
    assert_int_equal(cli(s, "reg", "NOT_A_REGISTER"), 1);
    assert_int_equal(cli(s, "reg", "a\"b"), 2);
    assert_int_equal(cli(s, "reg", NULL), 2);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* xengvt traps: each trapped access counted against its register (an
 * untracked one against its page), busiest first, and what a client
 * may ask for bounded. */
static void test_traps(void **state)
{
    (void)state;
    struct sim *s = itest_start("control_traps", (struct sim_opts){ 0 });
    itest_place_bars(s, false);
    for (int i = 0; i < 5; i++)
        sim_mmio_write(s, 0, BAR0_ADDR + 0x2098, 4, 0x1); /* RING_HWSTAM(rcs0) */
    for (int i = 0; i < 3; i++)
        sim_mmio_read(s, 0, BAR0_ADDR + 0x44200, 4); /* GEN8_MASTER_IRQ */
    sim_mmio_write(s, 0, BAR0_ADDR + 0x44200, 4, 0);
    sim_mmio_write(s, 0, BAR0_ADDR + 0x1f104, 4, 7); /* untracked, page 0x1f000 */
    sim_mmio_read(s, 0, BAR0_ADDR + 0x1f108, 4);
    char line[8192];
    assert_int_equal(sim_control(s, "{\"cmd\":\"traps\"}", line, sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ok\":true"));
    const char *hwstam = strstr(line, "\"name@0x2098\":\"RING_HWSTAM(rcs0)\","
                                      "\"reads@0x2098\":0,\"writes@0x2098\":5");
    const char *master = strstr(line, "\"name@0x44200\":\"GEN8_MASTER_IRQ\","
                                      "\"reads@0x44200\":3,\"writes@0x44200\":1");
    const char *page = strstr(line, "\"name@0x1f000\":\"untracked\","
                                    "\"reads@0x1f000\":1,\"writes@0x1f000\":1");
    assert_non_null(hwstam);
    assert_non_null(master);
    assert_non_null(page);
    /* Busiest first; a tie goes to the lower offset. */
    assert_true(hwstam < master && master < page);
    /* Only the top N. */
    assert_int_equal(sim_control(s, "{\"cmd\":\"traps\",\"top\":1}", line, sizeof(line),
                                 NULL, NULL), 0);
    assert_non_null(strstr(line, "RING_HWSTAM(rcs0)"));
    assert_null(strstr(line, "GEN8_MASTER_IRQ"));
    /* What a client may ask for is bounded. */
    assert_int_equal(sim_control(s, "{\"cmd\":\"traps\",\"top\":65}", line, sizeof(line),
                                 NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ok\":false"));
    assert_int_equal(sim_control(s, "{\"cmd\":\"traps\",\"top\":\"5\"}", line, sizeof(line),
                                 NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ok\":false"));
    /* More busy registers than an answer holds: the 64 busiest, and the
     * daemon (in its sandbox) lives on: ranking them once killed it
     * (glibc's qsort asked sysinfo(2)). */
    for (uint32_t i = 0; i < 80; i++)
        sim_mmio_write(s, 0, BAR0_ADDR + 0x100000 + i * 0x1000 + 0xffc, 4, i);
    assert_int_equal(sim_control(s, "{\"cmd\":\"traps\",\"top\":64}", line, sizeof(line),
                                 NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ok\":true"));
    unsigned named = 0;
    for (const char *p = line; (p = strstr(p, "\"name@")); p++)
        named++;
    assert_int_equal(named, 64);
    assert_non_null(strstr(line, "RING_HWSTAM(rcs0)")); /* still the busiest */
    assert_int_equal(sim_control(s, "{\"cmd\":\"status\"}", line, sizeof(line), NULL, NULL), 0);
    assert_non_null(strstr(line, "\"ok\":true"));
    /* The same through xengvt. */
    assert_int_equal(cli(s, "traps", NULL), 0);
    assert_int_equal(cli(s, "traps", "64"), 0);
    assert_int_equal(cli(s, "traps", "0"), 2);
    assert_int_equal(cli(s, "traps", "3x"), 2);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

/* Under systemd (Type=notify): READY=1 once the guest is served. */
static void test_sd_notify(void **state)
{
    (void)state;
    char path[100];
    snprintf(path, sizeof(path), "%.80s/notify.sock",
             getenv("XENGVT_TEST_LOGDIR") ? getenv("XENGVT_TEST_LOGDIR") : "/tmp");
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    chmod(path, 0777); /* as systemd's: the daemon no longer runs as root */
    setenv("NOTIFY_SOCKET", path, 1);
    struct sim *s = itest_start("control_notify", (struct sim_opts){ 0 });
    unsetenv("NOTIFY_SOCKET");
    char msg[256] = "";
    struct timeval tv = { .tv_sec = 5 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ssize_t n = recv(fd, msg, sizeof(msg) - 1, 0);
    assert_true(n > 0);
    msg[n] = 0;
    assert_non_null(strstr(msg, "READY=1"));
    assert_non_null(strstr(msg, "STATUS=serving dom7"));
    /* By then the guest is served. */
    assert_true(sim_claimed(s, SIM_RANGE_PCI, VGPU_SBDF));
    close(fd);
    unlink(path);
    assert_int_equal(WEXITSTATUS(sim_stop(s)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_bad_clients),
        cmocka_unit_test(test_cli_state_commands),
        cmocka_unit_test(test_reg),
        cmocka_unit_test(test_traps),
        cmocka_unit_test(test_sd_notify),
    };
    return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
