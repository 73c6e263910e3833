#include "config.h"
#include "common/peercred.h"

#include <sys/socket.h>

bool peer_is_root_or(int fd, uid_t allowed, int *peer_uid)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred)) {
        *peer_uid = -1;
        return false;
    }
    *peer_uid = (int)cred.uid;
    return cred.uid == 0 || cred.uid == allowed;
}
