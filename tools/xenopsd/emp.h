/* The EMP control socket emu-manager talks to during save, migration and
 * restore: $XENGVT_EMP_DIR/<domid>/control (default /var/xen/vgpu, where
 * libempserver puts it). We are the server; one client at a time (a second
 * one is told "busy" and closed). Requests are JSON objects (emp_json.h);
 * migrate_init's stream fd arrives with its bytes as SCM_RIGHTS. Answers
 * are {"return":{}} or {"error":"..."}, events {"event":"MIGRATION",...}. */
#ifndef XENGVT_XENOPSD_EMP_H
#define XENGVT_XENOPSD_EMP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "emp_json.h"

#define EMP_BUF 8192

struct emp {
    int listen_fd, client_fd;
    uid_t allowed_uid;          /* besides root: the domain's daemons' uid */
    int pending_fd;             /* the last fd received, until taken */
    char dir[200], path[240];
    char buf[EMP_BUF];
    size_t len;
};

/* Creates the directory and listens. Only root and the domain's own
 * daemon uid (common/dmuser.h) may talk to it, checked by SO_PEERCRED at
 * accept. 0 or -errno (logged). */
int emp_open(struct emp *e, unsigned domid);
/* The listening socket is readable: accept (or refuse a second client). */
void emp_accept(struct emp *e);
/* The client is readable: read what is there. 0, or -EPIPE when the client
 * went (or sent garbage: answered, then closed). */
int emp_receive(struct emp *e);
/* The next whole request: 1 with its command name, 0 if none yet. A
 * malformed request is answered and the client closed (returns 0). */
int emp_next(struct emp *e, char *execute, size_t cap);
/* The fd that came with the requests so far (-1 if none); ours to close. */
int emp_take_fd(struct emp *e);

void emp_return(struct emp *e);
void emp_error(struct emp *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void emp_event_completed(struct emp *e);
void emp_event_progress(struct emp *e, unsigned long long sent, unsigned long long remaining,
                        unsigned iteration);

/* Closes everything and removes the socket and its directory. */
void emp_close(struct emp *e);

#endif
