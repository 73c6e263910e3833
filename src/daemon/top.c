/* xengvt top: a live view of one guest's daemon or of all of them, from
 * their status counters, refreshed each interval. Plain text with ANSI
 * escapes on a terminal (usable over ssh, no curses), or one JSON object
 * per guest per interval for monitoring systems (--json).
 *
 * Rates come from two status answers and the daemon's own clock (now_ns
 * in each), so a slow answer or a late tick does not skew them. */
#include "config.h"
#include "daemon/top.h"
#include "daemon/options.h"
#include "tools/common/ctl_client.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_GUESTS 256
#define STATUS_MAX 8192

/* The counters a sample keeps, by their status keys. */
enum {
    K_NOW, K_CPU, K_CONFIG, K_REGS, K_PVINFO, K_GGTT, K_APERTURE, K_VBLANKS, K_FLIPS,
    K_SYNCS, K_PAGES_OUT, K_PAGES_IN,
    K_RCS_BUSY, K_RCS_BATCHES, K_BCS_BUSY, K_BCS_BATCHES, K_VCS_BUSY, K_VCS_BATCHES,
    K_VECS_BUSY, K_VECS_BATCHES,
    K_DOMID, K_WIDTH, K_HEIGHT, K_HZ,
    K_COUNT
};
static const char *const keys[K_COUNT] = {
    "now_ns", "cpu_ns", "trap_config", "trap_regs", "trap_pvinfo", "trap_ggtt",
    "trap_aperture", "vblanks", "flips", "aperture_syncs", "aperture_pages_out",
    "aperture_pages_in",
    "rcs0_busy_ns", "rcs0_batches", "bcs0_busy_ns", "bcs0_batches", "vcs0_busy_ns",
    "vcs0_batches", "vecs0_busy_ns", "vecs0_batches",
    "domid", "display_width", "display_height", "display_refresh_hz",
};
/* Counters (rates are taken of them); the rest are levels. */
#define K_LAST_COUNTER K_VECS_BATCHES
static const char *const engines[4] = { "rcs0", "bcs0", "vcs0", "vecs0" };

struct sample {
    double v[K_COUNT];
    bool pipe_on, plane_on;
};

struct guest {
    char path[108];
    struct sample prev;
    bool have_prev;
    bool listed; /* still in the directory (all-guests mode) */
};

struct top {
    const char *socket;  /* one guest, or NULL: every socket in dir */
    const char *dir;
    bool json;
    bool tty;
    double interval;
    long count;          /* intervals to show; 0: until interrupted */
    struct guest guests[MAX_GUESTS];
    unsigned nguests;
};

/* One status answer from the daemon at `path`. */
static int query(const char *path, char *line, size_t cap)
{
    struct daemon_reply reply;
    int rc = ctl_request(path, "{\"cmd\":\"status\"}", 5000, 0, line, cap, &reply, NULL, NULL);
    if (rc == 0 && !reply.ok)
        rc = -EPROTO;
    return rc;
}

/* The flat status object's values by key (keys are unique, quoted). */
static bool parse(const char *line, struct sample *s)
{
    char pat[48];
    for (unsigned k = 0; k < K_COUNT; k++) {
        snprintf(pat, sizeof(pat), "\"%s\":", keys[k]);
        const char *p = strstr(line, pat);
        if (!p)
            return false;
        s->v[k] = strtod(p + strlen(pat), NULL);
    }
    s->pipe_on = strstr(line, "\"display_pipe_on\":true") != NULL;
    s->plane_on = strstr(line, "\"display_plane_on\":true") != NULL;
    return true;
}

static double rate(const struct sample *a, const struct sample *b, unsigned k, double secs)
{
    return (b->v[k] - a->v[k]) / secs;
}

static void json_path(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", (unsigned char)*s);
        else
            putchar(*s);
    }
    putchar('"');
}

static void show_json(const struct guest *g, const struct sample *a, const struct sample *b)
{
    double secs = (b->v[K_NOW] - a->v[K_NOW]) / 1e9;
    printf("{\"domid\":%.0f,\"socket\":", b->v[K_DOMID]);
    json_path(g->path);
    printf(",\"from_ns\":%.0f,\"to_ns\":%.0f,\"interval_s\":%.6f", a->v[K_NOW], b->v[K_NOW],
           secs);
    printf(",\"traps_per_s\":{\"config\":%.3f,\"regs\":%.3f,\"pvinfo\":%.3f,\"ggtt\":%.3f,"
           "\"aperture\":%.3f}",
           rate(a, b, K_CONFIG, secs), rate(a, b, K_REGS, secs), rate(a, b, K_PVINFO, secs),
           rate(a, b, K_GGTT, secs), rate(a, b, K_APERTURE, secs));
    printf(",\"engines\":{");
    for (unsigned e = 0; e < 4; e++)
        printf("%s\"%s\":{\"busy_pct\":%.3f,\"batches_per_s\":%.3f}", e ? "," : "", engines[e],
               100.0 * (b->v[K_RCS_BUSY + 2 * e] - a->v[K_RCS_BUSY + 2 * e]) /
                   (b->v[K_NOW] - a->v[K_NOW]),
               rate(a, b, K_RCS_BATCHES + 2 * e, secs));
    printf("},\"vblanks_per_s\":%.3f,\"flips_per_s\":%.3f", rate(a, b, K_VBLANKS, secs),
           rate(a, b, K_FLIPS, secs));
    printf(",\"display\":{\"pipe_on\":%s,\"plane_on\":%s,\"width\":%.0f,\"height\":%.0f,"
           "\"refresh_hz\":%.0f}",
           b->pipe_on ? "true" : "false", b->plane_on ? "true" : "false", b->v[K_WIDTH],
           b->v[K_HEIGHT], b->v[K_HZ]);
    printf(",\"aperture\":{\"syncs_per_s\":%.3f,\"pages_out_per_s\":%.3f,"
           "\"pages_in_per_s\":%.3f}",
           rate(a, b, K_SYNCS, secs), rate(a, b, K_PAGES_OUT, secs),
           rate(a, b, K_PAGES_IN, secs));
    printf(",\"cpu_pct\":%.3f,\"cpu_s\":%.3f}\n",
           100.0 * (b->v[K_CPU] - a->v[K_CPU]) / (b->v[K_NOW] - a->v[K_NOW]),
           b->v[K_CPU] / 1e9);
}

static void show_text(const struct sample *a, const struct sample *b)
{
    double secs = (b->v[K_NOW] - a->v[K_NOW]) / 1e9, ns = b->v[K_NOW] - a->v[K_NOW];
    char mode[40];
    if (b->pipe_on) /* a pipe scanning out no plane shows black */
        snprintf(mode, sizeof(mode), "%.0fx%.0f@%.0f%s", b->v[K_WIDTH], b->v[K_HEIGHT],
                 b->v[K_HZ], b->plane_on ? "" : " black");
    else
        snprintf(mode, sizeof(mode), "off");
    printf("%5.0f  %-14s %5.1f %8.1f %8.1f %9.0f %9.0f %8.0f %8.0f %8.0f %8.1f %9.1f\n",
           b->v[K_DOMID], mode, 100.0 * (b->v[K_CPU] - a->v[K_CPU]) / ns,
           rate(a, b, K_VBLANKS, secs), rate(a, b, K_FLIPS, secs), rate(a, b, K_CONFIG, secs),
           rate(a, b, K_REGS, secs), rate(a, b, K_PVINFO, secs), rate(a, b, K_GGTT, secs),
           rate(a, b, K_APERTURE, secs), rate(a, b, K_SYNCS, secs),
           rate(a, b, K_PAGES_OUT, secs) + rate(a, b, K_PAGES_IN, secs));
    printf("       ");
    for (unsigned e = 0; e < 4; e++)
        printf("  %-5s %5.1f%% %7.1f batch/s", engines[e],
               100.0 * (b->v[K_RCS_BUSY + 2 * e] - a->v[K_RCS_BUSY + 2 * e]) / ns,
               rate(a, b, K_RCS_BATCHES + 2 * e, secs));
    printf("   cpu %.2f s\n", b->v[K_CPU] / 1e9);
}

static int by_name(const void *a, const void *b)
{
    return strverscmp(((const struct guest *)a)->path, ((const struct guest *)b)->path);
}

/* All-guests mode: the sockets in the directory now; a guest that stays
 * keeps its last sample, a new one starts without. */
static void rescan(struct top *t)
{
    for (unsigned i = 0; i < t->nguests; i++)
        t->guests[i].listed = false;
    DIR *d = opendir(t->dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".sock") != 0)
            continue;
        char path[108];
        if (snprintf(path, sizeof(path), "%s/%s", t->dir, de->d_name) >= (int)sizeof(path))
            continue;
        unsigned i = 0;
        while (i < t->nguests && strcmp(t->guests[i].path, path) != 0)
            i++;
        if (i == t->nguests) {
            if (t->nguests == MAX_GUESTS)
                continue;
            t->guests[t->nguests++] = (struct guest){ .have_prev = false };
            snprintf(t->guests[i].path, sizeof(t->guests[i].path), "%s", path);
        }
        t->guests[i].listed = true;
    }
    if (d)
        closedir(d);
    unsigned kept = 0;
    for (unsigned i = 0; i < t->nguests; i++)
        if (t->guests[i].listed)
            t->guests[kept++] = t->guests[i];
    t->nguests = kept;
    qsort(t->guests, t->nguests, sizeof(t->guests[0]), by_name);
}

/* One round: a sample from each guest, rates against its last one.
 * Returns how many guests had rates to show. */
static unsigned round_once(struct top *t)
{
    static char line[STATUS_MAX];
    if (!t->socket)
        rescan(t);
    if (!t->json && t->tty)
        fputs("\033[H\033[J", stdout);
    if (!t->json) {
        time_t now = time(NULL);
        char clock[16];
        strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&now));
        printf("xengvt top  %s  every %.1f s  %u guest%s%s\n", clock, t->interval, t->nguests,
               t->nguests == 1 ? "" : "s", t->socket ? "" : " in the run directory");
        printf("%5s  %-14s %5s %8s %8s %9s %9s %8s %8s %8s %8s %9s\n", "DOM", "MODE", "CPU%",
               "VBLANK/s", "FLIP/s", "CONFIG/s", "REGS/s", "PVINFO/s", "GGTT/s", "APER/s",
               "SYNC/s", "PAGES/s");
    }
    unsigned shown = 0;
    for (unsigned i = 0; i < t->nguests; i++) {
        struct guest *g = &t->guests[i];
        struct sample s;
        int rc = query(g->path, line, sizeof(line));
        if (rc < 0 || !parse(line, &s)) {
            if (t->json) {
                printf("{\"socket\":");
                json_path(g->path);
                printf(",\"error\":\"%s\"}\n", rc < 0 ? strerror(-rc) : "unexpected status");
            } else {
                printf("%5s  %s: %s\n", "-", g->path,
                       rc < 0 ? strerror(-rc) : "unexpected status");
            }
            g->have_prev = false;
            continue;
        }
        /* A new daemon at the same socket starts its counters again. */
        bool fresh = !g->have_prev || s.v[K_NOW] <= g->prev.v[K_NOW] ||
                     s.v[K_DOMID] != g->prev.v[K_DOMID];
        for (unsigned k = 0; k <= K_LAST_COUNTER && !fresh; k++)
            fresh = s.v[k] < g->prev.v[k];
        if (!fresh) {
            if (t->json)
                show_json(g, &g->prev, &s);
            else
                show_text(&g->prev, &s);
            shown++;
        } else if (!t->json) {
            printf("%5.0f  (measuring)\n", s.v[K_DOMID]);
        }
        g->prev = s;
        g->have_prev = true;
    }
    if (!t->json && !t->nguests)
        printf("no daemon sockets in %s\n", t->dir);
    fflush(stdout);
    return shown;
}

static void usage(FILE *out)
{
    fprintf(out,
"Usage: xengvt [--domid N | --socket PATH] top [--json] [--interval SEC]\n"
"              [--count N] [--run-dir DIR]\n"
"Without --domid/--socket: every daemon socket in DIR (" XENGVT_RUN_DIR ").\n");
}

int cli_top(const char *socket_path, int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "interval", required_argument, NULL, 'i' },
        { "count", required_argument, NULL, 'n' },
        { "run-dir", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static struct top t;
    t = (struct top){ .socket = socket_path, .dir = XENGVT_RUN_DIR, .interval = 1.0 };
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "+ji:n:r:h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'j':
            t.json = true;
            break;
        case 'i':
            t.interval = strtod(optarg, &end);
            if (*end || !(t.interval >= 0.1 && t.interval <= 3600)) {
                fprintf(stderr, "xengvt top: --interval takes 0.1 to 3600 seconds\n");
                return 2;
            }
            break;
        case 'n':
            t.count = strtol(optarg, &end, 10);
            if (*end || t.count < 1) {
                fprintf(stderr, "xengvt top: --count takes a positive number\n");
                return 2;
            }
            break;
        case 'r':
            t.dir = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    if (socket_path) {
        t.nguests = 1;
        snprintf(t.guests[0].path, sizeof(t.guests[0].path), "%s", socket_path);
    }
    t.tty = isatty(STDOUT_FILENO);
    signal(SIGPIPE, SIG_DFL); /* `| head`: end quietly */
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    /* The first round only takes the samples the next one's rates need. */
    bool any_ok = false;
    for (long round = 0;; round++) {
        any_ok |= round_once(&t) > 0;
        if (t.count && round == t.count)
            break;
        uint64_t step = (uint64_t)(t.interval * 1e9);
        uint64_t ns = (uint64_t)next.tv_nsec + step;
        next.tv_sec += (time_t)(ns / 1000000000u);
        next.tv_nsec = (long)(ns % 1000000000u);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
            ;
    }
    return any_ok ? 0 : 3;
}
