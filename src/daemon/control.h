/* The control socket: a UNIX stream socket speaking one JSON object per
 * line, for admins (xengvt), toolstacks and test harnesses. Requests name
 * a command ({"cmd":"status"}); every answer is one JSON line, optionally
 * followed by a binary payload whose length the line gives ("bytes").
 * Clients are served from the event loop without ever blocking it: a slow
 * reader only delays itself. */
#ifndef XENGVT_DAEMON_CONTROL_H
#define XENGVT_DAEMON_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/json.h"

struct evt_loop;
struct control;

#define CONTROL_MAX_CLIENTS 8
#define CONTROL_MAX_LINE 4096

struct control_reply {
    struct json_writer *json; /* "ok" is written by the caller on return */
    void *payload;            /* malloc'd, sent after the line, freed by us */
    size_t payload_len;
    /* On an error return: what went wrong, for the client; empty means
     * strerror() of the error. */
    char error[160];
};

/* Returns 0 (answer {"ok":true,...}) or -errno (answer {"ok":false,
 * "error":"..."}); may set reply->payload. */
typedef int (*control_fn)(void *opaque, const struct json_object *req,
                          struct control_reply *reply);

struct control_command {
    const char *name;
    control_fn fn;
};

/* `commands` is NULL-name terminated and must outlive the control. */
int control_open(struct evt_loop *loop, const char *path,
                 const struct control_command *commands, void *opaque,
                 struct control **out);
void control_close(struct control *c);
/* Who may connect besides root, checked by the peer's credentials
 * (SO_PEERCRED) at accept, whatever the file's mode: the daemon's own
 * uid, i.e. its domain's. Until called, root only. */
void control_allow_uid(struct control *c, uid_t uid);

#endif
