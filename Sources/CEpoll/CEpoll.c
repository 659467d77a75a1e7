// CEpoll: the few functions that need _GNU_SOURCE or must not be inlined into Swift.
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h>
#include "CEpoll.h"

int cepoll_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    return accept4(fd, addr, len, flags);
}

int cepoll_errno(void) { return errno; }
