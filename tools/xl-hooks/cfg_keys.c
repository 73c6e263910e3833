#include "config.h"
#include "cfg_keys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const allowed_keys[] = {
    "name", "type", "builder", "uuid", "memory", "maxmem", "vcpus", "maxvcpus",
    "cpus", "cpus_soft", "cpu_weight", "cap", "on_poweroff", "on_reboot", "on_crash",
    "on_watchdog", "on_soft_reset", "vga", "videoram", "stdvga", "xen_platform_pci",
    "vgpu", "hap", "nestedhvm", "acpi", "acpi_s3", "acpi_s4", "apic", "pae", "viridian",
    "hpet", "timer_mode", "localtime", "rtc_timeoffset", "tsc_mode", "boot", "vnc",
    "vnclisten", "vncunused", "sdl", "nographic", "keymap", "usb", "usbdevice",
    "shadow_memory", "extra", "cmdline", "max_grant_frames", "max_maptrack_frames",
    "e820_host", "altp2m", "vpmu", "msr_relaxed", NULL,
};

bool cfg_key_allowed(const char *key)
{
    for (const char *const *k = allowed_keys; *k; k++)
        if (strcmp(*k, key) == 0)
            return true;
    return false;
}

static bool ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

/* Skips a quoted string at *i (xl.cfg: '...' or "..." with \-escapes). */
static int skip_string(const char *t, size_t len, size_t *i)
{
    char q = t[(*i)++];
    while (*i < len && t[*i] != q) {
        if (t[*i] == '\\')
            (*i)++;
        if (*i < len && t[*i] == '\n')
            return -EINVAL;
        (*i)++;
    }
    if (*i >= len)
        return -EINVAL;
    (*i)++;
    return 0;
}

int cfg_keys_check(const char *t, size_t len, char *bad, size_t cap)
{
    size_t i = 0;
    bad[0] = 0;
    for (;;) {
        /* Between statements: blanks, newlines, ';' and comments. */
        while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n' ||
                           t[i] == ';'))
            i++;
        if (i < len && t[i] == '#') {
            while (i < len && t[i] != '\n')
                i++;
            continue;
        }
        if (i >= len)
            return 0;
        if (!ident_start(t[i]))
            return -EINVAL;
        size_t k = i;
        while (i < len && ident_char(t[i]))
            i++;
        char key[64];
        if (i - k >= sizeof(key))
            return -EINVAL;
        memcpy(key, t + k, i - k);
        key[i - k] = 0;
        if (!cfg_key_allowed(key)) {
            snprintf(bad, cap, "%s", key);
            return -EPERM;
        }
        while (i < len && (t[i] == ' ' || t[i] == '\t'))
            i++;
        if (i < len && t[i] == '+')
            i++;
        if (i >= len || t[i] != '=')
            return -EINVAL;
        i++;
        /* The value: up to the end of the statement, lists may span lines. */
        int depth = 0;
        while (i < len) {
            char c = t[i];
            if (c == '"' || c == '\'') {
                if (skip_string(t, len, &i) < 0)
                    return -EINVAL;
                continue;
            }
            if (c == '#') {
                while (i < len && t[i] != '\n')
                    i++;
                continue;
            }
            if (c == '[') {
                depth++;
            } else if (c == ']') {
                if (--depth < 0)
                    return -EINVAL;
            } else if ((c == '\n' || c == ';') && depth == 0) {
                break;
            }
            i++;
        }
        if (depth != 0)
            return -EINVAL;
    }
}

bool cfg_override_allowed(const char *kv)
{
    const char *eq = strchr(kv, '=');
    char key[64];
    size_t n = eq ? (size_t)(eq - kv) : 0;
    if (n == 0 || n >= sizeof(key))
        return false;
    memcpy(key, kv, n);
    key[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (!ident_char(key[i]))
            return false;
    return cfg_key_allowed(key);
}
