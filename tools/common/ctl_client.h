/* The client side of xengvtd's control socket (xengvtd(8), CONTROL
 * PROTOCOL): one JSON request line, one answer line, perhaps a payload.
 * One client for xengvt, xl-vgpu and xengvt-vgpu. The daemon may be its
 * guest's by now, so every exchange is bounded in time and size
 * (reply.h), and the answer line is made safe to print. 0 or -errno. */
#ifndef XENGVT_TOOLS_COMMON_CTL_CLIENT_H
#define XENGVT_TOOLS_COMMON_CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "tools/common/reply.h"

/* Larger payloads are refused by default (a --restore file is at most
 * 64 MiB). */
#define CTL_PAYLOAD_MAX (64u << 20)
/* A save can take this long; a supervisor cannot wait so (it passes its
 * own timeout). */
#define CTL_TIMEOUT_MS 60000

/* A connection to the socket at `sock`, whose writes block at most
 * timeout_ms: the fd, or -errno of the connect (no daemon there). */
int ctl_connect(const char *sock, int timeout_ms);
/* `request` (without its newline) on `fd`, and its answer until
 * deadline_ms (reply_now_ms() based): the line into line, the payload (at
 * most max_payload bytes, if `payload` is given) into a malloc'd
 * *payload. Control characters in the line are shown as '?'. */
int ctl_exchange(int fd, const char *request, uint64_t deadline_ms, size_t max_payload,
                 char *line, size_t cap, struct daemon_reply *reply, uint8_t **payload,
                 size_t *payload_len);

/* Connect, exchange, close: all within timeout_ms. */
int ctl_request(const char *sock, const char *request, int timeout_ms, size_t max_payload,
                char *line, size_t cap, struct daemon_reply *reply, uint8_t **payload,
                size_t *payload_len);
/* The same, payloads up to CTL_PAYLOAD_MAX, the parsed answer unseen. */
int ctl_request_within(const char *sock, const char *request, int timeout_ms, char *line,
                       size_t cap, uint8_t **payload, size_t *payload_len);
/* Within CTL_TIMEOUT_MS, and -EPROTO (no payload kept) unless the answer
 * says "ok":true at its top level. */
int ctl_request_ok(const char *sock, const char *request, char *line, size_t cap,
                   uint8_t **payload, size_t *payload_len);

/* A domain's daemons: {"cmd":CMD} to each of `count` sockets in turn
 * (ctl_request_ok). `refused` hears of each that did not say ok, with its
 * answer line ("" for none). 0 if all said ok, else -1. */
typedef void ctl_refused_fn(void *opaque, unsigned index, const char *cmd, const char *line);
int ctl_command_all(const char *const *socks, unsigned count, const char *cmd,
                    ctl_refused_fn *refused, void *opaque);

#endif
